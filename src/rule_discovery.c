/* rule_discovery.c - upptäckarkort: the child's Barnkontakt is told at once,
 * gets a task (barnsamtal within a configured number of days) and reminders
 * while the conversation is not recorded. */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "plan.h"
#include "rules.h"

/* A card as the rule uses it: the fact and its dates as day numbers. */
struct card {
	long long id, child_id;
	const char *child_ref;
	int created, done;
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
		r = facts_unit_name(p->facts, bk->unit_id, unit, sizeof unit, e);
	tvars_set(v, "unit", unit);
	tvars_set(v, "role", bk_role_sv(bk));
	plan_set_date(v, "date", k->created);
	plan_set_date(v, "due", due);
	plan_set_days(v, due >= sday ? due - sday : 0);
	struct plan_req req = {
		.rule = rule, .subject = subject, .occurrence = occ,
		.child_id = k->child_id, .child_ref = k->child_ref, .task_key = task_key,
		.day = day, .scheduled = at, .vars = v, .event = event, .deadline = due,
	};
	if (r == 0)
		r = plan_to_staff(p, &req, bk->staff_id, e);
	tvars_free(v);
	return r;
}

static int plan_card(struct planner *p, const void *arg, struct err *e)
{
	const struct fact_card *f = arg;
	struct card kv = { .id = f->id, .child_id = f->child_id, .child_ref = f->child_ref },
		    *k = &kv;
	const struct config_days *rem = &p->cfg->discovery_reminders;
	char task_key[40], occ[32], d[DATE_LEN];
	int days[CONFIG_MAX_LIST], latest, due, r;
	time_t at[CONFIG_MAX_LIST];
	struct bk bk;

	if (date_parse(f->created, &k->created) < 0)
		return err_set(e, ERR_INVALID, "discovery_card %lld: created_date '%s' is not a date",
			       k->id, f->created);
	if (f->done[0] && date_parse(f->done, &k->done) < 0)
		return err_set(e, ERR_INVALID,
			       "discovery_card %lld: conversation_date '%s' is not a date", k->id,
			       f->done);
	due = k->created + p->cfg->discovery_days;

	/* The Barnkontakt when the card is told (its day, or today when backad
	 * sees it late) holds the task. */
	r = bk_at(p->bk, k->child_id, plan_send_day(p, k->created), &bk, e);
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
		/* Reminders follow the role: whoever holds it when they go out. */
		r = bk_at(p->bk, k->child_id, plan_send_day(p, day), &bk, e);
		if (r == 0)
			r = card_msg(p, k, &bk, "discovery_reminder", occ, day, at[i], due, e);
	}
	return r;
}

static int each(void *arg, const void *fact, struct err *e)
{
	const struct fact_card *f = fact;
	char subject[40];

	snprintf(subject, sizeof subject, "discovery:%lld", f->id);
	return plan_subject(arg, subject, plan_card, f, e);
}

static int plan_one(struct planner *p, long long id, struct err *e)
{
	struct fact_sel sel = { p->lo_day, p->hi_day, id };

	return facts_cards(p->facts, &sel, each, p, e);
}

static int plan_all(struct planner *p, struct err *e)
{
	return plan_one(p, 0, e);
}

static const char *const kinds[] = { "discovery_new", "discovery_reminder", NULL };

const struct rule rule_discovery = {
	.subject = "discovery", .group = RG_DISCOVERY, .kinds = kinds,
	.plan_all = plan_all, .plan_one = plan_one,
};
