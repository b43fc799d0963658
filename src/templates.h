/* templates.h - the catalog of message templates: one e-mail template
 * (KIND.email: "Ämne: subject", an empty line, the body) and one SMS template
 * (KIND.sms) per message kind, checked as they load: known fields only, and in
 * SMS only fields that carry no names, identity numbers or health data. */
#ifndef BACKAD_TEMPLATES_H
#define BACKAD_TEMPLATES_H

#include "err.h"
#include "tvars.h"

enum tpl_channel { TPL_EMAIL, TPL_SMS };

struct templates;

/* Load every kind from dir. Every problem is passed to errors() as
 * "file:line: message"; the result is ERR_INVALID (e holds the first) when
 * there was any. *out is freed with templates_free(). */
int templates_load(const char *dir, struct templates **out,
		   void (*errors)(void *ctx, const char *line), void *ctx, struct err *e);
void templates_free(struct templates *t);

/* An SMS needing more parts than this is a render error (default 3). */
void templates_set_sms_limit(struct templates *t, int max_segments);

/* Render kind for a channel. *subject (NULL for SMS) and *body are the
 * caller's to free. Subjects are one line: CR, LF and tabs from values become
 * spaces. */
int templates_render(const struct templates *t, const char *kind, enum tpl_channel ch,
		     const struct tvars *vars, char **subject, char **body, struct err *e);

/* The i-th known kind (the admin alert and the kinds of the rules in the
 * registry, src/rules.c), or NULL past the last. */
const char *templates_kind(size_t i);

#endif
