/* rule_discovery.c - upptäckarkort: the child's Barnkontakt is told at once,
 * gets a task (barnsamtal within a configured number of days) and reminders
 * while the conversation is not recorded. */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "plan_internal.h"

static const char sql_cards[] =
	"SELECT d.id, d.child_id, c.ref, d.created_date, d.conversation_date"
	" FROM discovery_card d JOIN child c ON c.id = d.child_id"
	" WHERE (d.created_date <= ?2 AND (d.conversation_date IS NULL"
	"  OR d.created_date >= ?1 OR EXISTS (SELECT 1 FROM task t"
	"   WHERE t.key = 'discovery/' || d.id AND t.state = 'open')))"
	" OR d.id IN (SELECT ref_id FROM fact_change WHERE kind = 'discovery')"
	" ORDER BY d.id";

struct card {
	long long id, child_id;
	char child_ref[33];
	int created, done;
	char created_s[DATE_LEN], done_s[DATE_LEN]; /* as stored */
};

static int card_msg(struct planner *p, const struct card *k, const struct bk *bk,
		    const char *rule, const char *occ, int day, time_t at, int due,
		    struct err *e)
{
	char subject[40], task_key[40], unit[PLAN_NAME_LEN] = "";
	int event = strcmp(rule, "discovery_new") == 0, sday = plan_send_day(p, day);
	struct tvars *v;
	int r = 0;

	if (!(event ? plan_event_in_window(p, at) : plan_in_window(p, at)))
		return 0;
	if (!bk->staff_id)
		return bk->unit_id ? plan_alert_vacant(p, bk->unit_id, "principal",
						      "upptäckarkort utan Barnkontakt", e)
				   : 0;
	snprintf(subject, sizeof subject, "discovery:%lld", k->id);
	snprintf(task_key, sizeof task_key, "discovery/%lld", k->id);
	v = plan_vars(k->child_ref);
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (bk->unit_id)
		r = plan_unit_name(p, bk->unit_id, unit, sizeof unit, e);
	tvars_set(v, "unit", unit);
	tvars_set(v, "role", bk_role_sv(bk));
	plan_set_date(v, "date", k->created);
	plan_set_date(v, "due", due);
	plan_set_days(v, due >= sday ? due - sday : 0);
	struct plan_req req = {
		.rule = rule, .subject = subject, .occurrence = occ,
		.child_id = k->child_id, .child_ref = k->child_ref, .task_key = task_key,
		.day = day, .scheduled = at, .vars = v, .event = event,
	};
	if (r == 0)
		r = plan_to_staff(p, &req, bk->staff_id, e);
	tvars_free(v);
	return r;
}

static int plan_card(struct planner *p, const void *arg, struct err *e)
{
	struct card kv = *(const struct card *)arg, *k = &kv;
	const struct config_days *rem = &p->cfg->discovery_reminders;
	char task_key[40], occ[32], d[DATE_LEN];
	int days[CONFIG_MAX_LIST], latest, due, r;
	time_t at[CONFIG_MAX_LIST];
	struct bk bk;

	if (date_parse(k->created_s, &k->created) < 0)
		return err_set(e, ERR_INVALID, "discovery_card %lld: created_date '%s' is not a date",
			       k->id, k->created_s);
	if (k->done_s[0] && date_parse(k->done_s, &k->done) < 0)
		return err_set(e, ERR_INVALID,
			       "discovery_card %lld: conversation_date '%s' is not a date", k->id,
			       k->done_s);
	due = k->created + p->cfg->discovery_days;

	/* The Barnkontakt on the day the card was written holds the task. */
	r = bk_at(p->bk, k->child_id, k->created, &bk, e);
	if (r < 0)
		return r;
	snprintf(task_key, sizeof task_key, "discovery/%lld", k->id);
	r = plan_task(p, task_key, "discovery", k->child_id, bk.staff_id, bk.unit_id, due,
		      k->done != 0, e);
	if (r == 0)
		r = card_msg(p, k, &bk, "discovery_new", "new", k->created,
			     plan_immediate(p, k->created), due, e);
	for (int i = 0; i < rem->n; i++) {
		days[i] = k->created + rem->v[i];
		at[i] = plan_at(p, &days[i], -1);
	}
	/* Of the reminders already due only the latest, and none once the
	 * conversation's last day has passed. */
	latest = plan_latest_due(p, at, rem->n);
	for (int i = 0; r == 0 && !k->done && i < rem->n; i++) {
		int day = days[i];

		if (day <= k->created || (at[i] <= p->now && i != latest) ||
		    plan_send_day(p, day) >= due)
			continue;
		snprintf(occ, sizeof occ, "%s", date_format(day, d));
		/* Reminders follow the role: whoever holds it on the day. */
		r = bk_at(p->bk, k->child_id, day, &bk, e);
		if (r == 0)
			r = card_msg(p, k, &bk, "discovery_reminder", occ, day, at[i], due, e);
	}
	return r;
}

int rule_discovery(struct planner *p, struct err *e)
{
	char lo[DATE_LEN], hi[DATE_LEN], subject[40];
	sqlite3_stmt *q = NULL;
	int rc = SQLITE_DONE, r;

	r = db_prepare(p->db, sql_cards, &q, e);
	if (r < 0)
		return r;
	sqlite3_bind_text(q, 1, date_format(p->lo_day, lo), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, date_format(p->hi_day, hi), -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct card k = { 0 };

		k.id = sqlite3_column_int64(q, 0);
		k.child_id = sqlite3_column_int64(q, 1);
		plan_col_text(q, 2, k.child_ref, sizeof k.child_ref);
		plan_col_text(q, 3, k.created_s, sizeof k.created_s);
		if (sqlite3_column_type(q, 4) != SQLITE_NULL) {
			plan_col_text(q, 4, k.done_s, sizeof k.done_s);
			if (!k.done_s[0])
				snprintf(k.done_s, sizeof k.done_s, "?");
		}
		snprintf(subject, sizeof subject, "discovery:%lld", k.id);
		r = plan_subject(p, subject, plan_card, &k, e);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "discovery_card", e);
	sqlite3_finalize(q);
	return r;
}
