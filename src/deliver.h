/* deliver.h - delivery as pipelines, one per channel, that the daemon's
 * poll() loop drives. A pipeline claims due messages of its channel only
 * when its transport has a free slot (a session, a connection), hands them
 * over as batches, and records what the transport reports as it arrives:
 * the start of a message's data phase (before the data may leave), each
 * result (sent, failed with backoff, dead, in doubt, or untried back to the
 * queue). Records that arrive together are written in one transaction.
 * Channels never wait for one another: each has its own claims, slots and
 * deadlines. SMS wait for their allowed hours. */
#ifndef BACKAD_DELIVER_H
#define BACKAD_DELIVER_H

#include <poll.h>
#include <time.h>

#include "dbi.h"
#include "channel.h"
#include "config.h"
#include "err.h"

#define DELIVER_BATCH 100        /* messages in one SMTP session or spool batch */
#define DELIVER_MAX_CHANNELS 4
#define DELIVER_DEFER_MS 0       /* a result may wait this long to share a commit */
#define DELIVER_SYNC_MS 20       /* commits are fsync'd at most this late */
#define DELIVER_RETRY_MS 2000    /* after a database error, the next try */
#define DELIVER_RECORD_TRIES 3   /* a record the database refuses is given up */
#define DELIVER_HOLD_MS 2000     /* other database work waits at most this long
				  * for the results of data under way */

struct deliver_stats {
	int sent, failed, dead;
	int deferred;   /* held back by a rate limit */
	int untried;    /* put back untried */
	int unrecorded; /* results the database refused to record: dead, alerted */
	char unrecorded_error[300]; /* the last of them: "message ID: why" */
	char last_error[256];       /* the last failure of any channel */
	char email_error[256];      /* the last failure of the e-mail channel */
	char sms_error[256];        /* the last failure of the SMS channel */
};

struct delivery;

/* One channel: the outbox rows of channel go through transport t. */
struct pipeline {
	const char *channel;        /* outbox.channel: "email", "sms" */
	struct transport *t;
	int (*allowed)(const struct config *cfg, time_t t);       /* NULL: always */
	time_t (*next_allowed)(const struct config *cfg, time_t t);
	int look;                   /* look for due rows at the next pump */
	int full;                   /* the last pump found no free slot */
	time_t next_due;            /* when something may be due (0: nothing known) */
	int fd_off, fd_n;           /* its share of the poll set */
	struct delivery *d;
};

struct deliver_rec;
struct deliver_go;

struct delivery {
	struct dbi *db;
	const struct config *cfg;
	const struct templates *tpl; /* digests are written with these; NULL: none */
	char owner[96];             /* claims are made in this name */
	struct pipeline p[DELIVER_MAX_CHANNELS];
	int np;
	int claiming;               /* 0 once stopping: no new claims */
	int chase;                  /* look again at once after a dead message */
	struct deliver_rec *recs;   /* reported, not yet written */
	int nrec, caprec;
	int nstart;                 /* of them, starts (a session waits for each) */
	long long done_since;       /* mono ms: the oldest result waiting, or 0 */
	int unsynced;               /* committed, not yet fsync'd */
	long long synced_at;        /* mono ms: the last fsync (or the first commit since) */
	int batches;                /* alive */
	int in_flight;              /* messages told to go whose result is not in */
	int holding;                /* starts recorded now wait to go (delivery_hold) */
	struct deliver_go *held;    /* those waiting */
	int nheld, capheld;
	long long retry_at;         /* a failed write is tried again then (mono ms) */
	long long pump_retry;       /* a failed claim is tried again then (mono ms) */
	struct deliver_stats st;    /* since the last delivery_take_stats() */
	int news;                   /* something was recorded since the last take */
	char db_error[256];         /* the last failure to record, or "" */
};

/* 1 when SMS may go out at t: a working day within sms.allowed_from/until. */
int deliver_sms_allowed(const struct config *cfg, time_t t);
/* The next instant at or after t when SMS may go out. */
time_t deliver_sms_next(const struct config *cfg, time_t t);

void delivery_init(struct delivery *d, struct dbi *db, const struct config *cfg, const char *owner);
/* Add a channel; the delivery drives t (and frees it with delivery_free). */
void delivery_add(struct delivery *d, const char *channel, struct transport *t,
		  int (*allowed)(const struct config *, time_t),
		  time_t (*next_allowed)(const struct config *, time_t));
void delivery_free(struct delivery *d);

/* Something may have become due (a pass planned, another process wrote). */
void delivery_poke(struct delivery *d);
/* Claim what is due for every channel with a free slot and start it.
 * Only a database error is returned; channel errors are recorded. */
int delivery_pump(struct delivery *d, time_t now, struct err *e);
/* The poll set: descriptors into p (at most max), *deadline (mono ms)
 * lowered to the transports' earliest deadline, *wake (wall clock) lowered
 * to when a pump could claim something. Returns how many descriptors. */
int delivery_fds(struct delivery *d, struct pollfd *p, int max, long long *deadline,
		 time_t *wake);
/* After poll(): the same p with revents. */
void delivery_run(struct delivery *d, struct pollfd *p);
/* Write what the transports reported (one batch transaction: one round
 * trip on PostgreSQL), then let the messages whose start is recorded send
 * their data, and write at once what that reported (a synchronous
 * channel's results). Results alone may wait
 * DELIVER_DEFER_MS for a start to share the commit; delivery_sync writes
 * everything now. */
int delivery_flush(struct delivery *d, time_t now, struct err *e);
int delivery_sync(struct delivery *d, time_t now, struct err *e);
/* Between a server's acceptance of a message and the commit recording it,
 * a crash makes a duplicate: the daemon does no other database work (a
 * planning pass, a claim, recovery) while a result may come in. Before such
 * work it holds the data of messages whose start is recorded from now on
 * (delivery_hold(d, 1)), waits for delivery_quiet, and lets them go after
 * (delivery_hold(d, 0)). */
void delivery_hold(struct delivery *d, int on);
/* 1 when no message's data is under way and every result is recorded. */
int delivery_quiet(const struct delivery *d);
/* 1 while a batch is in flight or a record is not yet written. */
int delivery_busy(const struct delivery *d);
/* 1 when some channel has something due now (and a free slot). */
int delivery_due(const struct delivery *d, time_t now);
/* Stop claiming; let the messages under way finish, start no new data. */
void delivery_drain(struct delivery *d);
/* End everything in flight now (then flush). */
void delivery_stop(struct delivery *d);
/* The counts and errors since the last call; clears them. */
void delivery_take_stats(struct delivery *d, struct deliver_stats *st);

/* One whole delivery pass with synchronous channels (tests, tools): claim
 * and send until nothing due is left. Only a database error stops it. */
int deliver_pass(struct dbi *db, const struct config *cfg, const struct channel *email,
		 const struct channel *sms, time_t now, struct deliver_stats *st,
		 struct err *e);

#endif
