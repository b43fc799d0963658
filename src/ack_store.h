/* ack_store.h - the case database as the acknowledgement service sees it:
 * what a link's page may show (the reference and the date its message
 * named), recording an action as a fact with its audit row, and the
 * figures `backactl report` gives. All the SQL of acknowledgements. */
#ifndef BACKAD_ACK_STORE_H
#define BACKAD_ACK_STORE_H

#include <time.h>

#include "dbi.h"
#include "ack_token.h"
#include "err.h"

#define ACK_REF_LEN 160

/* What the page of a link shows, and what its recipient has recorded. */
struct ack_view {
	char ref[ACK_REF_LEN];  /* the case reference the message named */
	char date[24];          /* the deadline (a handover: the start), "" when none */
	long long child_id;     /* for the audit row; never shown */
	int received, done, booked; /* 1: this recipient has recorded it */
	int closed;             /* 1: the task is closed (decided, done, held) */
};

/* The view of the subject and recipient of c. ERR_NOTFOUND when the
 * subject is gone, the recipient is no longer active staff, or c offers an
 * action its kind does not take ("done" on a referral). */
int ack_store_view(struct dbi *db, const struct ack_claim *c, struct ack_view *v, struct err *e);

/* The action word of a letter ("received", "done", "booked"), or NULL. */
const char *ack_action_name(char action);

/* Record action (a letter c offers) by c's recipient from client at now
 * (nothing, *recorded 0, when the task is closed),
 * in one transaction: the fact (task_ack: once per subject, person and
 * action; *recorded 0 when it was there already), its audit row, and for a
 * follow-up's "done" the follow-up's done_date (today in Sweden), as
 * `backactl followup done` writes it. ERR_NOTFOUND as ack_store_view. */
int ack_store_record(struct dbi *db, const struct ack_claim *c, char action, const char *client,
		     time_t now, int *recorded, struct err *e);

/* Acknowledgements recorded in from..to (dates), and the hours from the
 * first message of their subject to that person to the acknowledgement. */
struct ack_stats {
	long long count;
	long long timed;   /* of them, with a sent message to measure from */
	double median_h, max_h;
};
int ack_store_stats(struct dbi *db, const char *from, const char *to, struct ack_stats *s,
		    struct err *e);

#endif
