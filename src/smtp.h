/* smtp.h - the SMTP channel (libESMTP): one session carries a batch of
 * messages; the session runs in a short-lived child process that the daemon
 * kills at a hard deadline, so a stalled or black-holed server can never
 * freeze it. The child never touches the database: it gets the messages,
 * reports each result on a pipe, and exits. STARTTLS (off / if offered /
 * required) with a fresh SSL_CTX per session, TLS 1.2, verified certificates;
 * AUTH with a password read from a file. A message counts as delivered only
 * on a 2xx reply to its final dot; no reply after the dot is "in doubt". */
#ifndef BACKAD_SMTP_H
#define BACKAD_SMTP_H

#include "channel.h"
#include "config.h"
#include "err.h"

struct smtp_channel {
	const struct config *cfg;
	char *password;         /* read from smtp.password_file, or NULL */
};

/* Prepare the channel: read the password file, refusing one that is group-
 * or world-readable. The strings stay owned by cfg. */
int smtp_channel_init(struct smtp_channel *s, const struct config *cfg, struct err *e);
void smtp_channel_free(struct smtp_channel *s);
void smtp_channel(struct smtp_channel *s, struct channel *ch);

/* Read a secret from path: the first line, without its newline. The file
 * must belong to the caller's user and not be readable by group or others.
 * Under systemd a credential named as path's last component comes first
 * (secret.h). */
int secret_read(const char *path, char **out, struct err *e);

#endif
