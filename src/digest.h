/* digest.h - one message per person and send time: which kinds may wait for
 * a digest (the planner keys them "channel address due_at" in
 * outbox.digest_key), and the digest built at send time
 * from the item rows (each item with the lines it has alone; an SMS gives
 * counts only). */
#ifndef BACKAD_DIGEST_H
#define BACKAD_DIGEST_H

#include <stddef.h>

#include "config.h"
#include "err.h"

struct templates;

/* The kinds of message a digest groups under one heading. */
enum digest_group { DG_REFERRAL, DG_HANDOVER, DG_FOLLOWUP, DG_DISCOVERY, DG_COUNT };

/* One item of a digest: an outbox row as the planner rendered it. */
struct digest_item {
	long long id;
	const char *rule;     /* template kind */
	const char *subject;  /* e-mail subject, or NULL */
	const char *body;
	const char *deadline; /* "YYYY-MM-DD" the item is about, or NULL */
};

/* The heading kind belongs under, or -1: kind always goes on its own. */
int digest_group_of(const char *kind);

/* 1 when messages of kind go in digests under cfg (the delivery_mode of the
 * rule group that renders kind). */
int digest_wanted(const struct config *cfg, const char *kind);

/* The counts of items by heading, in Swedish: "3 förhandsbedömningar och
 * 1 uppföljningssamtal". */
void digest_summary(const struct digest_item *items, int n, char *buf, size_t len);

/* Build the one message for items[0..n) (n >= 1; sorted here by heading,
 * deadline and id) on channel ("email" or "sms") to recipient (a name, or
 * ""), sent on day (a day number). One item: its own subject and text.
 * Several: templates' "digest" kind. *subject is NULL for SMS. */
int digest_render(const struct templates *t, const char *channel, const char *recipient,
		  int day, struct digest_item *items, int n, char **subject, char **body,
		  struct err *e);

#endif
