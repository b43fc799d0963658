/* deliver.h - one delivery pass: claim what is due, hand each message to
 * its channel, record the result. SMS wait for their allowed hours. */
#ifndef BACKAD_DELIVER_H
#define BACKAD_DELIVER_H

#include <sqlite3.h>
#include <time.h>

#include "channel.h"
#include "config.h"
#include "err.h"

#define DELIVER_BATCH 100

struct deliver_stats {
	int sent, failed, dead;
	int deferred;   /* held back by a rate limit */
	char last_error[256];       /* the last failure of any channel */
	char email_error[256];      /* the last failure of the e-mail channel */
	char sms_error[256];        /* the last failure of the SMS channel */
};

/* 1 when SMS may go out at t: a working day within sms.allowed_from/until. */
int deliver_sms_allowed(const struct config *cfg, time_t t);
/* The next instant at or after t when SMS may go out. */
time_t deliver_sms_next(const struct config *cfg, time_t t);

/* Only a database error stops the pass; channel errors are recorded. */
int deliver_pass(sqlite3 *db, const struct config *cfg, const struct channel *email,
		 const struct channel *sms, time_t now, struct deliver_stats *st,
		 struct err *e);

#endif
