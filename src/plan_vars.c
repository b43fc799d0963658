/* plan_vars.c - the template variables a rule fills: every field the
 * templates may name, day counts and dates in Swedish, and role holders. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>

#include "calendar.h"
#include "strbuf.h"
#include "utf8.h"

static const char *const plan_fields[] = {
	"recipient", "unit", "from_unit", "date", "due", "days", "days_text", "role", "outcome",
	"received", "count", "child_name", "child_birth", "officer", "alert_unit",
	"alert_role", "alert_reason", "ack_url",
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
	return v;
}

void plan_set_days(struct tvars *v, int n)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%d %s", n, n == 1 || n == -1 ? "dag" : "dagar");
	tvars_set_int(v, "days", n);
	tvars_set(v, "days_text", buf);
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
