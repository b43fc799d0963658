/* rule_followup.c - uppföljningssamtal: reminders before the due date, overdue
 * messages after it, closed when recorded done; a moved date replans (the due
 * date is part of every occurrence key). */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "plan.h"
#include "rules.h"

/* A follow-up as the rule uses it: the fact and its dates as day numbers. */
struct followup {
	long long id, child_id, responsible_id;
	const char *child_ref;
	int due, done;
};

static int series(struct planner *p, const struct followup *f, const char *rule,
		  const struct config_days *offs, int sign, struct err *e)
{
	char subject[40], task_key[40], occ[40], d[DATE_LEN];
	int days[CONFIG_MAX_LIST], latest, r = 0;
	time_t at[CONFIG_MAX_LIST];

	snprintf(subject, sizeof subject, "followup:%lld", f->id);
	snprintf(task_key, sizeof task_key, "followup/%lld", f->id);
	for (int i = 0; i < offs->n; i++) {
		days[i] = f->due + sign * offs->v[i];
		/* Before the date: the previous working day; after: the next. */
		at[i] = plan_at(p, &days[i], sign < 0 ? -1 : +1);
	}
	/* Of the occurrences already due only the latest goes out; a reminder
	 * only while the date has not passed; counts as on the day it is sent. */
	latest = plan_latest_due(p, at, offs->n);
	for (int i = 0; r == 0 && i < offs->n; i++) {
		int day = days[i], sday = plan_send_day(p, day);
		struct tvars *v;

		if ((at[i] <= p->now && i != latest) || (sign < 0 && sday >= f->due))
			continue;
		if (!plan_in_window(p, at[i]))
			continue;
		v = plan_vars(f->child_ref);
		if (!v)
			return err_set(e, ERR_NOMEM, "out of memory");
		plan_set_date(v, "due", f->due);
		plan_set_date(v, "date", day);
		plan_set_days(v, sign < 0 ? f->due - sday : sday - f->due);
		snprintf(occ, sizeof occ, "%s%c%d", date_format(f->due, d), sign < 0 ? 'b' : 'a',
			 offs->v[i]);
		struct plan_req req = {
			.rule = rule, .subject = subject, .occurrence = occ,
			.child_id = f->child_id, .child_ref = f->child_ref, .task_key = task_key,
			.day = day, .scheduled = at[i], .vars = v, .deadline = f->due,
		};
		r = plan_to_staff(p, &req, f->responsible_id, e);
		tvars_free(v);
	}
	return r;
}

static int plan_followup(struct planner *p, const void *arg, struct err *e)
{
	const struct fact_followup *u = arg;
	struct followup fv = { .id = u->id, .child_id = u->child_id,
			       .responsible_id = u->responsible_id, .child_ref = u->child_ref },
			*f = &fv;
	char task_key[40];
	int r;

	if (date_parse(u->due, &f->due) < 0 || (u->done[0] && date_parse(u->done, &f->done) < 0))
		return err_set(e, ERR_INVALID, "followup %lld: a date is not YYYY-MM-DD", f->id);
	snprintf(task_key, sizeof task_key, "followup/%lld", f->id);
	r = plan_task(p, task_key, "followup", f->child_id, f->responsible_id, 0, f->due,
		      f->done != 0, e);
	if (r == 0 && !f->done)
		r = series(p, f, "followup_reminder", &p->cfg->followup_before, -1, e);
	if (r == 0 && !f->done)
		r = series(p, f, "followup_overdue", &p->cfg->followup_after, +1, e);
	return r;
}

static int each(void *arg, const void *fact, struct err *e)
{
	const struct fact_followup *f = fact;
	char subject[40];

	snprintf(subject, sizeof subject, "followup:%lld", f->id);
	return plan_subject(arg, subject, plan_followup, f, e);
}

static int plan_one(struct planner *p, long long id, struct err *e)
{
	struct fact_sel sel = { p->lo_day, p->hi_day, id };

	return facts_followups(p->facts, &sel, each, p, e);
}

static int plan_all(struct planner *p, struct err *e)
{
	return plan_one(p, 0, e);
}

static const char *const kinds[] = { "followup_reminder", "followup_overdue", NULL };

const struct rule rule_followup = {
	.subject = "followup", .group = RG_FOLLOWUP, .kinds = kinds,
	.plan_all = plan_all, .plan_one = plan_one,
};
