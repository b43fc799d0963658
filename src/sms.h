/* sms.h - the SMS gateway channel (libcurl): Kannel's /cgi-bin/sendsms, the
 * 46elks-style POST /a1/sms with Basic auth, or a generic HTTP form/JSON
 * gateway described in the configuration. One easy handle per batch keeps
 * the connection alive; TLS is always verified; every request has a connect
 * and a total timeout, and a batch as a whole gets sms.timeout_seconds. */
#ifndef BACKAD_SMS_H
#define BACKAD_SMS_H

#include "channel.h"
#include "config.h"
#include "err.h"

struct sms_channel {
	const struct config *cfg;
	char *password; /* from sms.password_file, or NULL */
};

int sms_channel_init(struct sms_channel *s, const struct config *cfg, struct err *e);
void sms_channel_free(struct sms_channel *s);
void sms_channel(struct sms_channel *s, struct channel *ch);

#endif
