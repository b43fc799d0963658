/* channel.h - what a delivery channel's transport does, driven by the
 * daemon's one poll() loop: it takes batches of claimed outbox messages (an
 * SMTP session's worth, one SMS request), gives the loop its file
 * descriptors and its earliest deadline, handles their readiness, and reports
 * each message as it goes: its data phase is about to start (the pipeline
 * records that durably and then lets it go on), its result is final, the
 * batch is through. A transport never blocks: a slow or silent server only
 * ever costs its own sessions their deadline. */
#ifndef BACKAD_CHANNEL_H
#define BACKAD_CHANNEL_H

#include <poll.h>
#include <stddef.h>

#include "err.h"
#include "outbox.h"

struct send_result {
	int code;         /* 0 accepted, ERR_TEMPFAIL or ERR_PERMFAIL */
	int in_doubt;     /* it may have arrived: no reply after the data */
	int untried;      /* nothing was sent (the session ran out of time after
			   * others, or backad stops): back in the queue, the
			   * attempt not counted */
	long retry_after; /* the server asked to wait this many seconds; -1: none */
	char detail[256]; /* the provider's id when accepted, else the error */
};

/* Called as soon as res[i] is final, so it can be recorded at once. */
typedef void channel_done_fn(void *arg, int i);

/* A synchronous sender (the file spool, whose writes are local, and tests):
 * fill res[i] for each of the n messages and call done(arg, i) for each
 * once. transport_sync() drives one as a transport. */
struct channel {
	const char *name;
	void (*send)(void *ctx, const struct outbox_msg *msgs, int n, struct send_result *res,
		     channel_done_fn *done, void *arg);
	void *ctx;
};

/* Claimed messages handed to a transport as one unit of work. */
struct batch {
	struct outbox_msg *msgs;
	int n;
	struct send_result *res;
	void *priv;        /* the transport's (NULL once it is through) */
	/* The pipeline's bookkeeping. */
	void *pipe;
	int refs;          /* records not yet written that name this batch */
	int finished;      /* the transport is through with it */
	int nstarted;      /* messages whose data phase was recorded */
	unsigned char *went; /* per message: not yet told to go, told and its
			      * result out, its result in (deliver.c) */
};

struct transport;

/* How a transport reports; the pipeline records each durably. */
struct transport_events {
	/* Message i is about to send its data: once the pipeline has recorded
	 * that (a crash from then on leaves it in doubt) it calls go(b, i); only
	 * then may the data leave. */
	void (*started)(struct transport *t, struct batch *b, int i);
	/* b->res[i] is final. Called once per message. */
	void (*done)(struct transport *t, struct batch *b, int i);
	/* The transport is through with b (every message had done()). */
	void (*finished)(struct transport *t, struct batch *b);
};

struct transport {
	const char *name;      /* for logs and errors: "smtp", "sms-gateway", "spool-email" */
	int batch_max;         /* messages per batch */
	int lease_seconds;     /* how long a claim may take at most (deadline and margin) */
	void *ctx;             /* the transport's own state */
	const struct transport_events *ev; /* set by the pipeline */
	void *arg;             /* the pipeline's, for ev */
	struct channel sync;   /* transport_sync(): the sender it drives */

	/* Batches that may start now. */
	int (*free_slots)(struct transport *t);
	/* Batches in flight. */
	int (*busy)(struct transport *t);
	/* Take b; results come through ev (possibly before this returns). */
	void (*start)(struct transport *t, struct batch *b);
	/* Add the descriptors to watch to p (at most max; returns how many) and
	 * lower *deadline (CLOCK_MONOTONIC ms) to the earliest thing due. */
	int (*fds)(struct transport *t, struct pollfd *p, int max, long long *deadline);
	/* After poll(): p and n as fds() gave them, with revents. Handles
	 * readiness and whatever deadline has passed. */
	void (*run)(struct transport *t, struct pollfd *p, int n);
	/* The pipeline recorded the start of b's message i (see started). */
	void (*go)(struct transport *t, struct batch *b, int i);
	/* Start no new message's data; let those under way finish. */
	void (*drain)(struct transport *t);
	/* End everything now: each message gets done() (untried, failed or in
	 * doubt) and each batch finished(). */
	void (*stop)(struct transport *t);
	void (*free)(struct transport *t);
};

/* Drive the synchronous sender ch as a transport (one batch at a time, done
 * within start()). */
void transport_sync(struct transport *t, const struct channel *ch, int batch_max);

/* CLOCK_MONOTONIC in milliseconds. */
long long mono_ms(void);

#endif
