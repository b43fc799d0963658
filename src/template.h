/* template.h - a small logic-less template language for plain text, a subset
 * of Mustache: {{name}}, {{#name}}...{{/name}} (a list repeats, a true or
 * non-empty value renders once), {{^name}}...{{/name}} (inverted) and
 * {{! comment}}. A tag alone on its line takes the line with it. No escaping:
 * the output is plain text. */
#ifndef BACKAD_TEMPLATE_H
#define BACKAD_TEMPLATE_H

#include "err.h"
#include "strbuf.h"
#include "tvars.h"

struct template;

/* Compile src; name (e.g. a file name) is used in errors as "name:line: ...".
 * line0 is the line number of src's first line in that file. */
int template_compile(const char *src, const char *name, int line0, struct template **out,
		     struct err *e);
void template_free(struct template *t);

/* Append the text for vars to out. A name that is not set anywhere in scope
 * is an error naming the template, line and field. */
int template_render(const struct template *t, const struct tvars *vars, struct strbuf *out,
		    struct err *e);

/* Call fn for every field name the template uses (with its line); stops at
 * and returns the first non-zero result. */
int template_fields(const struct template *t,
		    int (*fn)(void *ctx, const char *name, int line, int section), void *ctx);

#endif
