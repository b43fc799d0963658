/* sendcheck.h - the last look at a message and at the settings that reach
 * the wire, just before a channel sends: a value another system wrote into
 * the database, or a setting that slipped past the loader, must never add
 * a header line or an SMTP command. */
#ifndef BACKAD_SENDCHECK_H
#define BACKAD_SENDCHECK_H

#include "config.h"
#include "err.h"
#include "outbox.h"

/* 0, or ERR_PERMFAIL with a message naming the outbox id (never the value
 * itself) when m's address is not a valid address for its channel (an
 * e-mail address, or an E.164 number for "sms") or its Message-ID is empty
 * or holds a control character. Such a row will never be sendable. */
int sendcheck_msg(const struct outbox_msg *m, struct err *e);

/* 0, or ERR_TEMPFAIL naming the setting when mail_from, smtp.host,
 * smtp.helo or smtp.user could change the SMTP dialogue (a line break or
 * another control character, a host that is not a host name). The message
 * is not at fault: it goes once the configuration is fixed and reloaded. */
int sendcheck_smtp(const struct config *cfg, struct err *e);

#endif
