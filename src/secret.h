/* secret.h - passwords: systemd credentials (LoadCredential=) and password
 * files of mode 600. */
#ifndef BACKAD_SECRET_H
#define BACKAD_SECRET_H

#include <sys/types.h>

#include "err.h"

/* Under systemd with LoadCredential=NAME:PATH, the service finds a private
 * copy of PATH as $CREDENTIALS_DIRECTORY/NAME. For a configured password file
 * path, look for the credential named as its last component (smtp.password
 * for /etc/backad/smtp.password) and read its first line into *out (freed by
 * the caller). Returns 1 when read, 0 when there is no such credential (the
 * caller reads path itself, mode 600 required), or a negative code. */
int secret_credential(const char *path, char **out, struct err *e);

/* Read a password file: it must be a regular file owned by uid or root,
 * readable and writable by its owner only (mode 600 or stricter), with the
 * password on its first line. *out is freed by the caller. */
int secret_file_read(const char *path, uid_t uid, char **out, struct err *e);

/* A secret for path: the credential named as its last component under
 * systemd, else the file itself (secret_file_read, owned by this process's
 * user or root). */
int secret_read(const char *path, char **out, struct err *e);

#endif
