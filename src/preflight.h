/* preflight.h - what `backad -n` warns about: a configuration that is valid
 * but not fit to run a municipality on. */
#ifndef BACKAD_PREFLIGHT_H
#define BACKAD_PREFLIGHT_H

#include <stdio.h>

#include "config.h"

/* Write one "path: warning: ..." line to out per problem and return how
 * many. A configuration counts as production when it is the installed one
 * (CONFIG_DEFAULT_PATH) or is checked under systemd ($INVOCATION_ID). */
int preflight_warn(const struct config *c, const char *path, FILE *out);

#endif
