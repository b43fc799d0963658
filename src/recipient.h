/* recipient.h - from a staff member and a day to a person who can be reached:
 * an absent person's deputy stands in, and the channel follows the person's
 * preference and the addresses on record (no e-mail -> SMS, no phone -> e-mail). */
#ifndef BACKAD_RECIPIENT_H
#define BACKAD_RECIPIENT_H

#include "dbi.h"
#include "err.h"

enum channel_kind { CHAN_NONE = 0, CHAN_EMAIL, CHAN_SMS };

struct recipient {
	long long staff_id;     /* who receives it (a deputy, perhaps) */
	long long for_staff_id; /* whom it was meant for */
	int deputy;             /* 1 when staff_id stands in for for_staff_id */
	char for_name[256];     /* a deputy: the absent person's name */
	char until[11];         /* a deputy: the last day of that absence, YYYY-MM-DD */
	int inactive;           /* the person has left: no address, channel CHAN_NONE */
	int absent;             /* absent on the day with no active deputy: reached
				 * themselves */
	char code[65];
	char name[256];
	enum channel_kind channel; /* CHAN_NONE: no address at all */
	char address[256];
	char email[256];
	char mobile[20];
};

struct rcpt_ctx;

/* A person resolved on a day is remembered while the context is open, so
 * open one for a snapshot of the facts (a transaction that does not change
 * staff or absences). */
int rcpt_open(struct dbi *db, struct rcpt_ctx **out, struct err *e);
void rcpt_close(struct rcpt_ctx *c);

/* Resolve staff_id on day. ERR_NOTFOUND when the staff row does not exist;
 * an inactive person with no active deputy resolves to themselves with
 * channel CHAN_NONE and inactive set: people who left get no messages. */
int rcpt_resolve(struct rcpt_ctx *c, long long staff_id, int day, struct recipient *out,
		 struct err *e);

/* The person staff_id themselves on no particular day (no deputy): name and
 * work addresses; ERR_NOTFOUND when the row does not exist. Someone who has
 * left has no addresses. */
int rcpt_person(struct rcpt_ctx *c, long long staff_id, struct recipient *out, struct err *e);

/* The same person on the other channel, if they have an address for it.
 * Returns 1 and rewrites out, or 0 when there is none. */
int rcpt_other_channel(struct recipient *r);

const char *channel_name(enum channel_kind k);

#endif
