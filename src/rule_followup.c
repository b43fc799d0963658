/* rule_followup.c - uppföljningssamtal: reminders before the due date, overdue
 * messages after it, closed when recorded done; a moved date replans (the due
 * date is part of every occurrence key). */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "plan_internal.h"

static const char sql_followups[] =
	"SELECT f.id, f.child_id, c.ref, f.responsible_id, f.due_date, f.done_date"
	" FROM followup f JOIN child c ON c.id = f.child_id"
	" WHERE f.done_date IS NULL OR EXISTS (SELECT 1 FROM task t"
	"  WHERE t.key = 'followup/' || f.id AND t.state = 'open')"
	" ORDER BY f.id";

struct followup {
	long long id, child_id, responsible_id;
	char child_ref[33];
	int due, done;
	char due_s[DATE_LEN], done_s[DATE_LEN]; /* as stored */
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
			.day = day, .scheduled = at[i], .vars = v,
		};
		r = plan_to_staff(p, &req, f->responsible_id, e);
		tvars_free(v);
	}
	return r;
}

static int plan_followup(struct planner *p, const void *arg, struct err *e)
{
	struct followup fv = *(const struct followup *)arg, *f = &fv;
	char task_key[40];
	int r;

	if (date_parse(f->due_s, &f->due) < 0 || (f->done_s[0] && date_parse(f->done_s, &f->done) < 0))
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

int rule_followup(struct planner *p, struct err *e)
{
	sqlite3_stmt *q = NULL;
	int rc = SQLITE_DONE, r;

	r = db_prepare(p->db, sql_followups, &q, e);
	if (r < 0)
		return r;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct followup f = { 0 };
		char subject[40];

		f.id = sqlite3_column_int64(q, 0);
		f.child_id = sqlite3_column_int64(q, 1);
		plan_col_text(q, 2, f.child_ref, sizeof f.child_ref);
		f.responsible_id = sqlite3_column_int64(q, 3);
		plan_col_text(q, 4, f.due_s, sizeof f.due_s);
		if (sqlite3_column_type(q, 5) != SQLITE_NULL) {
			plan_col_text(q, 5, f.done_s, sizeof f.done_s);
			if (!f.done_s[0])
				snprintf(f.done_s, sizeof f.done_s, "?");
		}
		snprintf(subject, sizeof subject, "followup:%lld", f.id);
		r = plan_subject(p, subject, plan_followup, &f, e);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "followup", e);
	sqlite3_finalize(q);
	return r;
}
