/* smtp.h - the SMTP transport (libESMTP): one session carries a batch of
 * messages, up to smtp.sessions sessions at once. Each session runs in a
 * short-lived child process; the daemon's loop reads its reports from a
 * pipe without ever waiting on it, and kills it when it makes no progress
 * for smtp.timeout_seconds (and, after SMTP_SESSION_CAP times that, lets it
 * begin no further message: it ends at a message boundary), so a
 * stalled or black-holed server only costs its own messages time. The child
 * never touches the database: it gets the messages, says "D i" before a
 * message's data and waits for the daemon's answer (written as soon as the
 * start is recorded, for the next message usually before it asks: go on, or
 * stop), reports each result ("R i code text") as it comes, and exits. STARTTLS (off / if offered /
 * required) with a fresh SSL_CTX per session, TLS 1.2, verified certificates;
 * AUTH with a password read from a file. A message counts as delivered only
 * on a 2xx reply to its final dot; no reply after the dot is "in doubt". */
#ifndef BACKAD_SMTP_H
#define BACKAD_SMTP_H

#include <sys/types.h>

#include "channel.h"
#include "config.h"
#include "err.h"

#define SMTP_SESSION_CAP 3 /* a session's whole life: this many timeouts */
#define SMTP_ZOMBIES 64    /* ended children not yet reaped */

struct session;

struct smtp_channel {
	const struct config *cfg;
	char *password;         /* read from smtp.password_file, or NULL */
	struct session *sessions;
	int nsessions, active;
	int draining;           /* start no new message's data */
	pid_t zombies[SMTP_ZOMBIES];
	int nzombies;
};

/* Prepare the channel: read the password file, refusing one that is group-
 * or world-readable. The strings stay owned by cfg. */
int smtp_channel_init(struct smtp_channel *s, const struct config *cfg, struct err *e);
void smtp_channel_free(struct smtp_channel *s);
/* Fill t to drive s. */
void smtp_transport(struct smtp_channel *s, struct transport *t);

#endif
