/* spool.h - the file spool channel: each message becomes a file, written
 * atomically (temporary file, fsync, rename). E-mail as an RFC 5322 .eml in
 * DIR/email, SMS as a small text file in DIR/sms. A resend overwrites the
 * same file, so a message is there once. */
#ifndef BACKAD_SPOOL_H
#define BACKAD_SPOOL_H

#include <time.h>

#include "channel.h"
#include "config.h"

struct spool {
	const char *dir;            /* owned by the config */
	const struct config *cfg;
	time_t (*clock)(void);      /* for the Date header; time() when NULL */
};

/* Fill a channel that writes e-mail (sms = 0) or SMS (sms = 1) into sp. */
void spool_channel(struct spool *sp, int sms, struct channel *ch);

/* Write one message; 0, ERR_TEMPFAIL (disk) or ERR_PERMFAIL (cannot be built). */
int spool_send(const struct spool *sp, const struct outbox_msg *m, char *provider_id,
	       size_t n, struct err *e);

#endif
