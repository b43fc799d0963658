/* digest.c - building a person's digest from its item rows at send time. */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "rules.h"
#include "strbuf.h"
#include "templates.h"
#include "tvars.h"

/* The kinds a digest may hold and their heading. Events (a new referral, a
 * receipt, an outcome, an escalation, a new discovery card, a role change)
 * are not here: they always go at once. */
static const struct {
	const char *kind;
	enum digest_group group;
} kinds[] = {
	{ "referral_reminder", DG_REFERRAL },  { "referral_overdue", DG_REFERRAL },
	{ "handover_outgoing", DG_HANDOVER },  { "handover_incoming", DG_HANDOVER },
	{ "followup_reminder", DG_FOLLOWUP },  { "followup_overdue", DG_FOLLOWUP },
	{ "discovery_reminder", DG_DISCOVERY },
};

/* Heading, and the word in a count (singular, plural). */
static const struct {
	const char *heading, *one, *many;
} groups[DG_COUNT] = {
	[DG_REFERRAL] = { "Förhandsbedömningar", "förhandsbedömning", "förhandsbedömningar" },
	[DG_HANDOVER] = { "Överlämningar", "överlämning", "överlämningar" },
	[DG_FOLLOWUP] = { "Uppföljningssamtal", "uppföljningssamtal", "uppföljningssamtal" },
	[DG_DISCOVERY] = { "Upptäckarkort", "upptäckarkort", "upptäckarkort" },
};

int digest_group_of(const char *kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return (int)kinds[i].group;
	return -1;
}

int digest_wanted(const struct config *cfg, const char *kind)
{
	const struct rule *r;

	if (digest_group_of(kind) < 0)
		return 0;
	r = rule_by_kind(kind);
	return r && cfg->digest[r->group];
}

void digest_summary(const struct digest_item *items, int n, char *buf, size_t len)
{
	int count[DG_COUNT] = { 0 }, parts = 0, done = 0;
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		int g = digest_group_of(items[i].rule);

		count[g < 0 ? DG_REFERRAL : g]++;
	}
	for (int g = 0; g < DG_COUNT; g++)
		parts += count[g] > 0;
	for (int g = 0; g < DG_COUNT && at < len; g++) {
		if (!count[g])
			continue;
		done++;
		at += (size_t)snprintf(buf + at, len - at, "%s%d %s",
				       done == 1 ? "" : done == parts ? " och " : ", ", count[g],
				       count[g] == 1 ? groups[g].one : groups[g].many);
	}
}

static int cmp_item(const void *a, const void *b)
{
	const struct digest_item *x = a, *y = b;
	int gx = digest_group_of(x->rule), gy = digest_group_of(y->rule), c;

	if (gx != gy)
		return gx < gy ? -1 : 1;
	/* An item without a deadline sorts last in its group. */
	c = strcmp(x->deadline ? x->deadline : "~", y->deadline ? y->deadline : "~");
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The lines of an item's e-mail that tell its matter: without the greeting
 * (the first paragraph) and the signature (from the line "--" on). */
static char *item_text(const char *body)
{
	const char *start = strstr(body, "\n\n"), *end;
	size_t n;
	char *out;

	start = start ? start + 2 : body;
	end = strstr(start, "\n--\n");
	if (!end)
		end = strstr(start, "\n-- \n");
	if (!end)
		end = start + strlen(start);
	while (end > start && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	n = (size_t)(end - start);
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, start, n);
	out[n] = '\0';
	return out;
}

static int add_items(struct tvars *v, const struct digest_item *items, int n)
{
	struct tvars *group = NULL;
	int last = -2;

	for (int i = 0; i < n; i++) {
		int g = digest_group_of(items[i].rule);
		struct tvars *it;
		char *text;

		if (g != last) {
			group = tvars_add_item(v, "groups");
			if (!group || tvars_set(group, "heading", groups[g < 0 ? 0 : g].heading) < 0)
				return ERR_NOMEM;
			last = g;
		}
		it = tvars_add_item(group, "items");
		text = item_text(items[i].body);
		if (!it || !text || tvars_set(it, "title", items[i].subject ? items[i].subject : "") < 0
		    || tvars_set(it, "text", text) < 0) {
			free(text);
			return ERR_NOMEM;
		}
		free(text);
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int digest_render(const struct templates *t, const char *channel, const char *recipient,
		  int day, struct digest_item *items, int n, char **subject, char **body,
		  struct err *e)
{
	int sms = strcmp(channel, "sms") == 0, r;
	char summary[256], date[64];
	struct tvars *v;

	*subject = *body = NULL;
	if (n == 1) {
		/* One item reads like the message it is. */
		*subject = sms ? NULL : dup_or_null(items[0].subject);
		*body = strdup(items[0].body);
		if (!*body || (!sms && items[0].subject && !*subject)) {
			free(*subject);
			free(*body);
			*subject = *body = NULL;
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		return 0;
	}
	qsort(items, (size_t)n, sizeof *items, cmp_item);
	v = tvars_new();
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	digest_summary(items, n, summary, sizeof summary);
	r = tvars_set(v, "recipient", recipient ? recipient : "");
	if (r == 0)
		r = tvars_set(v, "summary", summary);
	if (r == 0)
		r = tvars_set(v, "date", cal_format_sv(day, date, sizeof date));
	if (r == 0)
		r = tvars_set_int(v, "count", n);
	if (r == 0 && !sms)
		r = add_items(v, items, n);
	if (r < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	else
		r = templates_render(t, "digest", sms ? TPL_SMS : TPL_EMAIL, v, subject, body, e);
	tvars_free(v);
	return r;
}
