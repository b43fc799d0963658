/* plan_vars.c - the template variables a rule fills: every field the
 * templates may name, day counts and dates in Swedish, and role holders. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config.h"
#include "date.h"
#include "strbuf.h"
#include "utf8.h"

static const char *const plan_fields[] = {
	"recipient", "unit", "from_unit", "date", "due", "days", "days_text", "role", "outcome",
	"received", "count", "child_name", "child_birth", "officer", "alert_unit",
	"alert_role", "alert_reason", "in_days", "days_ago", "case_url", "deputy_for",
	"deputy_until", "contact_name", "contact_email", "contact_phone", "ack_url", "deadline_days",
};

struct tvars *plan_vars(const char *ref)
{
	struct tvars *v = tvars_new();

	if (!v)
		return NULL;
	for (size_t i = 0; i < sizeof plan_fields / sizeof plan_fields[0]; i++)
		tvars_set(v, plan_fields[i], "");
	tvars_set(v, "ref", ref);
	tvars_set_bool(v, "consent", 0);
	tvars_set_bool(v, "reporter_left", 0);
	tvars_set_bool(v, "deputy", 0);
	tvars_set_bool(v, "contact_away", 0);
	tvars_set(v, "contact_for", "");
	return v;
}

void plan_set_days(struct tvars *v, int n)
{
	char buf[24];

	int a = n < 0 ? -n : n;

	snprintf(buf, sizeof buf, "%d %s", n, a == 1 ? "dag" : "dagar");
	tvars_set_int(v, "days", n);
	tvars_set(v, "days_text", buf);
	if (a == 0) {
		tvars_set(v, "in_days", "i dag");
		tvars_set(v, "days_ago", "i dag");
	} else if (a == 1) {
		tvars_set(v, "in_days", "i morgon");
		tvars_set(v, "days_ago", "i går");
	} else {
		snprintf(buf, sizeof buf, "om %d dagar", a);
		tvars_set(v, "in_days", buf);
		snprintf(buf, sizeof buf, "för %d dagar sedan", a);
		tvars_set(v, "days_ago", buf);
	}
}

void plan_set_count(struct tvars *v, const char *name, int n)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%d %s", n, n == 1 || n == -1 ? "dag" : "dagar");
	tvars_set(v, name, buf);
}

void plan_set_deputy(struct tvars *v, const struct recipient *r)
{
	int day;

	tvars_set_bool(v, "deputy", r->deputy);
	tvars_set(v, "deputy_for", r->deputy ? r->for_name : "");
	if (r->deputy && date_parse(r->until, &day) == 0)
		plan_set_date(v, "deputy_until", day);
	else
		tvars_set(v, "deputy_until", "");
}

int plan_set_contact(struct planner *p, struct tvars *v, long long staff_id, int day,
		     struct err *e)
{
	struct recipient c = { 0 };
	/* Resolved on the day like a recipient: an absent holder's deputy is
	 * the one to contact. */
	int r = staff_id ? rcpt_resolve(p->rcpt, staff_id, day, &c, e) : 0;

	if (r < 0 && r != ERR_NOTFOUND)
		return r;
	/* Someone who has left is nobody to contact. */
	if (r < 0 || c.inactive)
		c.name[0] = '\0';
	tvars_set(v, "contact_name", c.name);
	tvars_set_bool(v, "contact_away", c.name[0] && c.deputy);
	tvars_set(v, "contact_for", c.name[0] && c.deputy ? c.for_name : "");
	tvars_set(v, "contact_email", c.name[0] ? c.email : "");
	tvars_set(v, "contact_phone", c.name[0] ? c.mobile : "");
	return 0;
}

int plan_set_case_url(const struct planner *p, struct tvars *v, const char *ref)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *u = p->cfg ? p->cfg->case_url : NULL, *at;
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (!u || !(at = strstr(u, "{ref}")))
		return tvars_set(v, "case_url", "");
	sb_add(&sb, u, (size_t)(at - u));
	/* RFC 3986 unreserved characters stay; every other byte is encoded. */
	for (const unsigned char *s = (const unsigned char *)ref; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s)) {
			sb_add(&sb, (const char *)s, 1);
		} else {
			char pct[3] = { '%', hex[*s >> 4], hex[*s & 15] };

			sb_add(&sb, pct, 3);
		}
	}
	sb_puts(&sb, at + 5);
	r = tvars_set(v, "case_url", sb_str(&sb));
	sb_free(&sb);
	return r;
}

void plan_set_date(struct tvars *v, const char *name, int day)
{
	char buf[64];

	tvars_set(v, name, cal_format_sv(day, buf, sizeof buf));
}

int plan_role_names(struct planner *p, long long unit_id, const char *role, int day,
		    char *buf, size_t n, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	long long *ids;
	char **names;
	int cnt, r = facts_holders(p->facts, unit_id, role, day, &ids, &names, &cnt, e);

	for (int i = 0; r == 0 && i < cnt; i++) {
		if (sb.len)
			sb_puts(&sb, ", ");
		sb_puts(&sb, names[i]);
	}
	facts_free_holders(ids, names, cnt);
	utf8_copy(buf, n, sb_str(&sb));
	sb_free(&sb);
	return r;
}
