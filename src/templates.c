/* templates.c - loading, checking and rendering the message templates. */
#include "templates.h"

#include "i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smstext.h"
#include "strbuf.h"
#include "template.h"
#include "rules.h"
#include "validate.h"

#define MAX_KINDS 64

/* The kinds: the admin alert and the digest, then those of the rules in
 * the registry. */
const char *templates_kind(size_t i)
{
	static const char *const own[] = { "admin_alert", "digest" };
	size_t n = 0;

	if (i < sizeof own / sizeof own[0])
		return own[i];
	i -= sizeof own / sizeof own[0] - 1;
	for (int r = 0; rules[r]; r++)
		for (int k = 0; rules[r]->kinds[k]; k++) {
			/* A kind two rules share counts once, at its first rule. */
			const struct rule *first = rule_by_kind(rules[r]->kinds[k]);

			if (first == rules[r] && ++n == i)
				return rules[r]->kinds[k];
		}
	return NULL;
}

/* Every field the planner sets; items of 'children' have ref, unit, date. */
static const char *const known_fields[] = {
	"ref", "recipient", "unit", "from_unit", "date", "due", "days", "days_text", "role",
	"outcome",
	"received", "count", "children", "consent", "reporter_left", "child_name", "child_birth",
	"officer", "in_days", "days_ago", "case_url", "deputy", "deputy_for", "deputy_until",
	"contact_name", "contact_email", "contact_phone", "contact_away", "contact_for",
	"alert_unit", "alert_role", "alert_reason",
	"summary", "groups", "heading", "items", "title", "text", "ack_url", "deadline_days",
	NULL,
};
/* What an SMS may carry: no names, no identity numbers, no health data. */
static const char *const sms_fields[] = {
	"ref", "unit", "from_unit", "date", "due", "days", "days_text", "role", "outcome",
	"received", "count", "consent", "reporter_left", "in_days", "days_ago", "deputy",
	"deputy_until", "summary", "ack_url", "deadline_days", NULL,
};

struct kind {
	struct template *subject, *email, *sms;
};

struct templates {
	struct kind kinds[MAX_KINDS];
	const char *names[MAX_KINDS];
	size_t n;
	int sms_limit;
};

struct loader {
	struct report rep;
	const char *file;
	int sms;
};

static int listed(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

static int check_field(void *ctx, const char *name, int line, int section)
{
	struct loader *l = ctx;
	static const char *const item_fields[] = { "ref", "unit", "date", NULL };

	(void)section;
	if (!listed(known_fields, name) && !listed(item_fields, name))
		report_line(&l->rep, "%s:%d: unknown field '%s'", l->file, line, name);
	else if (l->sms && !listed(sms_fields, name))
		report_line(&l->rep, "%s:%d: field '%s' may not be used in SMS (names, identity numbers "
			  "and health data never go by SMS)", l->file, line, name);
	return 0;
}

static char *read_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	if (sb.oom) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}

/* A personnummer-like run of digits in literal SMS text: 6 or 8 digits, an
 * optional '-' or '+', 4 digits; or 10 or 12 digits in a row. */
static int has_pnr_pattern(const char *s)
{
	while (*s) {
		size_t d = strspn(s, "0123456789"), k;

		if (d == 0) {
			s++;
			continue;
		}
		if (d == 10 || d == 12)
			return 1;
		if (d == 6 || d == 8) {
			const char *p = s + d + (s[d] == '-' || s[d] == '+');

			k = strspn(p, "0123456789");
			if (k == 4)
				return 1;
		}
		s += d;
	}
	return 0;
}

static struct template *compile(struct loader *l, const char *src, int line0)
{
	struct template *t = NULL;
	struct err ce = { 0 };

	if (template_compile(src, l->file, line0, &t, &ce) < 0) {
		report_line(&l->rep, "%s", ce.msg);
		return NULL;
	}
	template_fields(t, check_field, l);
	return t;
}

/* Why a template file that cannot be read may be missing: a templates
 * directory copied before the digests came lacks theirs. */
static const char *missing_hint(const char *kind)
{
	return strcmp(kind, "digest") == 0
		? _(" (the digest templates digest.email and digest.sms are needed since digests"
		    " came with schema version 7: copy them from the installed templates/sv,"
		    " see docs/templates.md, Upgrading)") : "";
}

static void load_email(struct loader *l, const char *dir, const char *kind, struct kind *k)
{
	char path[512], *src, *nl, *body;
	static const char prefix[] = "Ämne:";

	snprintf(path, sizeof path, "%s/%s.email", dir, kind);
	l->file = path;
	l->sms = 0;
	src = read_file(path);
	if (!src) {
		report_line(&l->rep, "%s:0: cannot read the template%s", path, missing_hint(kind));
		return;
	}
	if (valid_utf8(src, NULL) < 0) {
		report_line(&l->rep, "%s:1: not valid UTF-8 text", path);
		goto out;
	}
	nl = strchr(src, '\n');
	if (strncmp(src, prefix, strlen(prefix)) != 0 || !nl) {
		report_line(&l->rep, "%s:1: the first line must be 'Ämne: <subject>'", path);
		goto out;
	}
	*nl = '\0';
	body = nl + 1;
	if (*body != '\n') {
		report_line(&l->rep, "%s:2: an empty line must follow the subject line", path);
		goto out;
	}
	k->subject = compile(l, src + strlen(prefix) + (src[strlen(prefix)] == ' '), 1);
	k->email = compile(l, body + 1, 3);
out:
	free(src);
}

static void load_sms(struct loader *l, const char *dir, const char *kind, struct kind *k)
{
	char path[512], *src;

	snprintf(path, sizeof path, "%s/%s.sms", dir, kind);
	l->file = path;
	l->sms = 1;
	src = read_file(path);
	if (!src) {
		report_line(&l->rep, "%s:0: cannot read the template%s", path, missing_hint(kind));
		return;
	}
	if (valid_utf8(src, NULL) < 0)
		report_line(&l->rep, "%s:1: not valid UTF-8 text", path);
	if (has_pnr_pattern(src))
		report_line(&l->rep, "%s:1: the text contains what looks like a personal identity number",
		       path);
	k->sms = compile(l, src, 1);
	free(src);
}

int templates_load(const char *dir, struct templates **out,
		   void (*errors)(void *ctx, const char *line), void *ctx, struct err *e)
{
	struct templates *t = calloc(1, sizeof *t);
	struct loader l = { .rep = { errors, ctx, e, 0 } };

	*out = NULL;
	if (!t)
		return err_set(e, ERR_NOMEM, "out of memory");
	t->sms_limit = 3;
	if (access(dir, R_OK | X_OK) != 0) {
		report_line(&l.rep, "%s:0: cannot read the templates directory: %s", dir, strerror(errno));
		templates_free(t);
		return ERR_INVALID;
	}
	for (const char *k; t->n < MAX_KINDS && (k = templates_kind(t->n)); t->n++) {
		t->names[t->n] = k;
		load_email(&l, dir, k, &t->kinds[t->n]);
		if (strcmp(k, "admin_alert") != 0)
			load_sms(&l, dir, k, &t->kinds[t->n]);
	}
	if (l.rep.n) {
		templates_free(t);
		return ERR_INVALID;
	}
	*out = t;
	return 0;
}

void templates_free(struct templates *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		template_free(t->kinds[i].subject);
		template_free(t->kinds[i].email);
		template_free(t->kinds[i].sms);
	}
	free(t);
}

void templates_set_sms_limit(struct templates *t, int max_segments)
{
	t->sms_limit = max_segments;
}

enum shape { SHAPE_BODY, SHAPE_LINE, SHAPE_SMS };

/* Trim trailing blank lines; a subject becomes one line; an e-mail body ends
 * with one newline, an SMS with none. */
static void tidy(char *s, enum shape shape)
{
	int one_line = shape == SHAPE_LINE;

	size_t n = strlen(s);

	if (one_line) {
		for (char *p = s; *p; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
	}
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || (one_line && s[n - 1] == ' ')))
		s[--n] = '\0';
	if (shape == SHAPE_BODY && n) {
		s[n] = '\n';
		s[n + 1] = '\0';
	}
}

static int render_one(const struct template *tp, const struct tvars *v, enum shape shape,
		      char **out, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int r = template_render(tp, v, &sb, e);

	/* Room for tidy()'s final newline. */
	if (r == 0 && sb_puts(&sb, " ") < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r < 0) {
		sb_free(&sb);
		return r;
	}
	*out = sb_take(&sb);
	tidy(*out, shape);
	return 0;
}

static int check_sms(const struct templates *t, const char *kind, const char *body,
		     struct err *e)
{
	struct sms_info si;

	if (sms_measure(body, &si) < 0)
		return err_set(e, ERR_INVALID, "%s.sms: the text is not valid UTF-8", kind);
	if (si.segments > t->sms_limit)
		return err_set(e, ERR_INVALID,
			       "%s.sms: the text needs %d SMS parts (%s, %d units); at most %d allowed",
			       kind, si.segments, si.ucs2 ? "UCS-2" : "GSM-7", si.units,
			       t->sms_limit);
	return 0;
}

int templates_render(const struct templates *t, const char *kind, enum tpl_channel ch,
		     const struct tvars *vars, char **subject, char **body, struct err *e)
{
	const struct kind *k = NULL;
	int r;

	*subject = *body = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], kind) == 0)
			k = &t->kinds[i];
	if (!k)
		return err_set(e, ERR_INVALID, "no template kind '%s'", kind);
	if (ch == TPL_SMS) {
		if (!k->sms)
			return err_set(e, ERR_INVALID, "%s has no SMS template", kind);
		r = render_one(k->sms, vars, SHAPE_SMS, body, e);
		if (r == 0 && (r = check_sms(t, kind, *body, e)) < 0) {
			free(*body);
			*body = NULL;
		}
		return r;
	}
	r = render_one(k->subject, vars, SHAPE_LINE, subject, e);
	if (r == 0)
		r = render_one(k->email, vars, SHAPE_BODY, body, e);
	if (r < 0) {
		free(*subject);
		free(*body);
		*subject = *body = NULL;
	}
	return r;
}
