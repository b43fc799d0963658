/* outbox.h - the durable outbox: claiming due messages, recording results
 * (sent with an audit row, failed with backoff, dead with an admin alert),
 * recovering what a crash left in 'sending', and re-queueing dead ones.
 * Every change is its own short transaction (dbi_begin). */
#ifndef BACKAD_OUTBOX_H
#define BACKAD_OUTBOX_H

#include <time.h>

#include "dbi.h"
#include "config.h"
#include "err.h"

struct outbox_msg {
	long long id, child_id, recipient_id;
	char *key, *rule, *channel, *address, *subject, *body, *categories, *message_id;
	int attempts;   /* including the one now claimed */
	int in_doubt;   /* it may have been delivered before a crash */
	int data_started; /* (recovery) its data may have reached the server */
	time_t created, due;
	char *digest_key; /* the digest it goes in, or NULL */
	char *digest_id;  /* (digest items) the Message-ID of the set it was
			   * first claimed in, or NULL: never claimed */
	char *deadline;   /* (digest items) "YYYY-MM-DD" it is about, or NULL */
	/* A digest: the item rows it stands for (each as planned, with its own
	 * text), recorded together; NULL for a message on its own. */
	struct outbox_msg *parts;
	int n_parts;
};

/* OUTBOX_INDOUBT: a temporary failure after which the message may still have
 * arrived (no reply to the end of its data); it is retried with the same
 * identity and marked in doubt. OUTBOX_SENT_INDOUBT: accepted, but it may
 * have arrived twice (the request went out again on a new connection); it
 * is sent and marked in doubt. */
enum outbox_result { OUTBOX_SENT, OUTBOX_TEMPFAIL, OUTBOX_PERMFAIL, OUTBOX_INDOUBT,
		     OUTBOX_SENT_INDOUBT };

/* retry_after for outbox_done: due again at once (recovery). */
#define OUTBOX_AT_ONCE (-2)

enum outbox_state { OB_PENDING, OB_SENDING, OB_SENT, OB_FAILED, OB_DEAD, OB_CANCELLED,
		    OB_NSTATES };
extern const char *const outbox_state_names[OB_NSTATES];

/* What recovery did with claims of an owner that is gone (another process:
 * the caller holds the database's lock) or whose lease ran out. */
struct outbox_recovery {
	int in_doubt;  /* its data had started: failed, in doubt, resent at once */
	int released;  /* never started: failed (the attempt counts), due at once */
	int dead;      /* never started and past its lifetime: dead, alerted */
};

/* Take back rows in 'sending' that owner does not hold (or whose lease ended
 * before now). Only rows whose data phase had started (data_started) are in
 * doubt; they are resent with the same message id. */
int outbox_recover(struct dbi *db, time_t now, const char *owner, const struct config *cfg,
		   struct outbox_recovery *rec, struct err *e);

/* Failed rows whose lifetime (retry.lifetime_seconds from when they were due)
 * has passed become dead, with a fallback or an admin alert: a message whose
 * attempts keep ending without a result still ends. */
int outbox_expire(struct dbi *db, time_t now, const struct config *cfg, int *dead, struct err *e);

/* Claim up to max due messages ('pending' or 'failed', due_at and
 * next_attempt_at reached; of one channel, or any when channel is NULL),
 * oldest first, and mark them 'sending', held by owner until lease_until.
 * *msgs (n of them) is freed with outbox_msgs_free(). */
int outbox_claim(struct dbi *db, time_t now, int max, const char *channel, const char *owner,
		 time_t lease_until, struct outbox_msg **msgs, int *n, struct err *e);
void outbox_msgs_free(struct outbox_msg *msgs, int n);

struct templates;
/* outbox_claim, and the items of a digest (src/digest.h) that are due,
 * disclosable today and not cancelled, claimed together as one message,
 * rendered with tpl. A set of items claimed once keeps its Message-ID
 * (outbox.digest_id, written at its first claim) at every later attempt,
 * and no other set gets it: items claimed before go again as their set
 * (one left: its text alone, the set's Message-ID), new items wait for
 * the next claim. */
int outbox_claim_digests(struct dbi *db, time_t now, int max, const char *channel,
			 const char *owner, time_t lease_until, const struct templates *tpl,
			 const struct config *cfg, struct outbox_msg **msgs, int *n,
			 struct err *e);
/* Free what one message owns. */
void outbox_msg_clear(struct outbox_msg *m);

/* Record the result of sending m. detail is the provider's id (sent) or the
 * error (failed). A temporary failure is retried after retry_after seconds
 * when the server asked for it (> 0), else after
 * min(retry_max, retry_min * 2^(attempts-1)) seconds, unless that would pass
 * retry_lifetime (counted from when it was due). Then, and on a permanent
 * failure, the message is 'dead'.
 * A dead message to a person falls back to their other channel (an SMS
 * becomes an e-mail with the same text; an e-mail becomes a short SMS that
 * only says an e-mail could not be delivered) as a new outbox row; without
 * one, an alert to cfg->admin_email is queued. All in one transaction.
 * *state_out (may be NULL) gets the new state. */
int outbox_done(struct dbi *db, const struct outbox_msg *m, enum outbox_result res,
		const char *detail, long retry_after, time_t now, const struct config *cfg,
		enum outbox_state *state_out, struct err *e);

/* The same inside the caller's transaction. */
int outbox_done_tx(struct dbi *db, const struct outbox_msg *m, enum outbox_result res,
		   const char *detail, long retry_after, time_t now, const struct config *cfg,
		   enum outbox_state *state_out, struct err *e);

/* The result of m cannot be recorded (why: the database's refusal, e.g.
 * no permission on the audit table): m is dead and in doubt (it may have
 * arrived), why in its last error, and an admin alert says so, so that it
 * is never sent again by itself (`backactl retry` sends it once the cause
 * is fixed). Only a row still claimed ('sending') changes. _tx: inside the
 * caller's transaction. */
int outbox_unrecordable_tx(struct dbi *db, const struct outbox_msg *m, const char *why,
			   time_t now, const struct config *cfg, struct err *e);

/* m's data phase begins (inside the caller's transaction): from now on a
 * crash leaves it in doubt. */
int outbox_started_tx(struct dbi *db, const struct outbox_msg *m, struct err *e);

/* Put a claimed message back, untried (the attempt is not counted), to be
 * claimed again at until. _tx: inside the caller's transaction. */
int outbox_release_tx(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e);
int outbox_defer(struct dbi *db, const struct outbox_msg *m, time_t until, struct err *e);

/* Messages sent after t: to address (NULL: to anyone); a digest is one
 * message (distinct Message-IDs of the audit log). */
int outbox_sent_since(struct dbi *db, const char *address, time_t t, int *n, struct err *e);

/* A dead message back to 'pending'. ERR_NOTFOUND / ERR_INVALID if not dead. */
int outbox_retry(struct dbi *db, long long id, struct err *e);

/* The earliest time a pending or failed message of channel (NULL: any)
 * becomes due (*any = 0 when there is none); a message whose disclosure is
 * not allowed on now's day does not count (it waits for the planner). */
int outbox_next_due(struct dbi *db, const char *channel, time_t now, time_t *t, int *any,
		    struct err *e);

/* What a delivery report did (outbox_delivery_report). */
enum outbox_dlr {
	OUTBOX_DLR_RECORDED, /* the first report of a sent SMS: recorded */
	OUTBOX_DLR_UNKNOWN,  /* no such SMS, or the gateway's id is not the one it gave */
	OUTBOX_DLR_REPEATED, /* the SMS has its report already: nothing changes */
	OUTBOX_DLR_NOT_SENT, /* the SMS is not sent or being sent (failed, dead, ...) */
};
/* A gateway's delivery report for the SMS in row id: delivered (1) or
 * undeliverable (0). provider_ref, when not NULL, must be the gateway's id
 * recorded when it was sent (a report that overtakes the gateway's answer,
 * the row still in sending, has none to check). Only the first report of
 * an SMS sent (or being sent) changes anything: delivery and delivery_at, and for an undeliverable one a
 * fallback by e-mail (origin 'fallback') or, without an address, an admin
 * alert, as for a dead message; all in one transaction. *what says which. */
int outbox_delivery_report(struct dbi *db, long long id, const char *provider_ref, int delivered,
			   time_t now, const struct config *cfg, enum outbox_dlr *what,
			   struct err *e);
/* SMS with a delivery report: delivered and undeliverable. */
int outbox_delivery_counts(struct dbi *db, long long *delivered, long long *undeliverable,
			   struct err *e);

/* Counts by state, indexed by enum outbox_state. */
int outbox_counts(struct dbi *db, int counts[OB_NSTATES], struct err *e);

#endif
