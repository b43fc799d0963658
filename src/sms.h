/* sms.h - the SMS gateway channel (libcurl): Kannel's /cgi-bin/sendsms, the
 * 46elks-style POST /a1/sms with Basic auth, or a generic HTTP form/JSON
 * gateway described in the configuration. Requests run through libcurl's
 * multi interface, driven by the daemon's poll() loop (its socket and timer
 * callbacks), up to sms.connections at once over kept-alive connections; a
 * request goes out only after its start is recorded. TLS is always verified;
 * every request has a connect timeout and sms.timeout_seconds in all. */
#ifndef BACKAD_SMS_H
#define BACKAD_SMS_H

#include "channel.h"
#include "config.h"
#include "err.h"

struct ack_keys;
struct xfer;
struct sock;

struct sms_channel {
	const struct config *cfg;
	char *password; /* from sms.password_file, or NULL */
	struct ack_keys *dlr; /* signs delivery-report addresses, or NULL: none asked */
	void *multi;    /* CURLM */
	struct xfer *xfers;
	int nxfers, active;
	struct sock *socks; /* what libcurl wants watched */
	int nsocks, capsocks;
	long long timer_at; /* libcurl's timeout (mono ms), or 0 */
	int draining;
};

int sms_channel_init(struct sms_channel *s, const struct config *cfg, struct err *e);
void sms_channel_free(struct sms_channel *s);
/* Fill t to drive s. */
int sms_transport(struct sms_channel *s, struct transport *t, struct err *e);

#endif
