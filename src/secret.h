/* secret.h - passwords handed over by systemd credentials (LoadCredential=). */
#ifndef BACKAD_SECRET_H
#define BACKAD_SECRET_H

#include "err.h"

/* Under systemd with LoadCredential=NAME:PATH, the service finds a private
 * copy of PATH as $CREDENTIALS_DIRECTORY/NAME. For a configured password file
 * path, look for the credential named as its last component (smtp.password
 * for /etc/backad/smtp.password) and read its first line into *out (freed by
 * the caller). Returns 1 when read, 0 when there is no such credential (the
 * caller reads path itself, mode 600 required), or a negative code. */
int secret_credential(const char *path, char **out, struct err *e);

#endif
