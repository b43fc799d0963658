/* rule_referral.c - orosanmälan: receipt to the reporter, the 14-day
 * förhandsbedömning task for the intake unit with reminders, escalation and
 * overdue messages while undecided, and the outcome (only) to the reporter. */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "plan.h"
#include "rules.h"

/* A referral as the rule uses it: the fact and its dates as day numbers. */
struct referral {
	long long id, child_id, reporter_id, intake_unit_id, reporting_unit_id;
	long long officer_id; /* the assigned handläggare, or 0 */
	const char *officer_name, *intake_email;
	const char *officer_code; /* referral.officer as written, or "" */
	int reporter_active;
	const char *child_ref, *outcome, *intake_name;
	char ref[FACT_REF_LEN + 24];
	int received, decided; /* day numbers; decided = 0 while undecided */
	int due;               /* the förhandsbedömning's deadline */
};

static const char *outcome_sv(const char *o)
{
	if (strcmp(o, "opened") == 0)
		return "en utredning har inletts";
	if (strcmp(o, "not_opened") == 0)
		return "ingen utredning inleds";
	return "barnet har redan en pågående utredning, och anmälan förs in i den";
}

static struct tvars *vars_for(const struct referral *f, int due)
{
	struct tvars *v = plan_vars(f->ref);

	if (!v)
		return NULL;
	tvars_set(v, "unit", f->intake_name);
	plan_set_date(v, "received", f->received);
	plan_set_date(v, "due", due);
	/* The configured deadline (referral.deadline_days) as said: "14 dagar". */
	plan_set_count(v, "deadline_days", f->due - f->received);
	return v;
}

/* Point *role at "coordinator" when the intake unit has one on the day the
 * message is sent: they take the unit's queue. */
static int has_coordinator(struct planner *p, const struct referral *f, int day,
			   const char **role, struct err *e)
{
	long long *ids;
	char **names;
	int n, r = facts_holders(p->facts, f->intake_unit_id, "coordinator",
				 plan_send_day(p, day), &ids, &names, &n, e);

	if (r == 0 && n > 0)
		*role = "coordinator";
	facts_free_holders(ids, names, n);
	return r;
}

/* One message of kind rule, dated day, to the reporter or a role. */
static int send(struct planner *p, const struct referral *f, const char *rule,
		const char *occ, int day, time_t at, struct tvars *v, const char *role,
		struct err *e)
{
	char subject[48], task_key[48];
	struct plan_req req = {
		.rule = rule, .subject = subject, .occurrence = occ,
		.child_id = f->child_id, .child_ref = f->child_ref, .task_key = task_key,
		.day = day, .scheduled = at, .vars = v,
		.decision = strcmp(rule, "referral_feedback") == 0,
		.event = role ? strcmp(rule, "referral_task") == 0
			      : strcmp(rule, "referral_reminder") != 0,
		.deadline = f->due,
		/* The receipt and the outcome are the reporter's own: a colleague
		 * standing in for them did not report and is not told. */
		.personal = !role,
	};

	snprintf(subject, sizeof subject, "referral:%lld", f->id);
	snprintf(task_key, sizeof task_key, "referral/%lld", f->id);
	/* The case system's page is for the social services, not the reporter. */
	if (role && plan_set_case_url(p, v, f->ref) < 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!role && !f->reporter_active && f->reporting_unit_id) {
		/* The reporter has left: the answer goes to the principal of the
		 * unit that reported, so the report never goes unanswered. */
		tvars_set_bool(v, "reporter_left", 1);
		return plan_to_role(p, &req, f->reporting_unit_id, "principal", e);
	}
	if (!role)
		return plan_to_staff(p, &req, f->reporter_id, e);
	if (strcmp(role, "intake_officer") == 0 && strcmp(rule, "referral_task") == 0 &&
	    f->intake_email[0])
		/* A new referral reaches the unit at once: its functional mailbox
		 * when it has one (the officers read it together), else every
		 * intake officer. */
		return plan_to_mailbox(p, &req, f->intake_unit_id, f->intake_email,
				       f->intake_name, e);
	if (strcmp(role, "intake_officer") == 0 && strcmp(rule, "referral_task") != 0) {
		/* A reminder or an overdue notice: to the assigned handläggare
		 * (or their deputy), else to the intake unit's mailbox, else to
		 * its coordinator, else to every intake officer (each in their
		 * own digest). An assigned one who cannot be reached that day
		 * (absent with no deputy, no address, left, unknown) leaves it
		 * to the queue, and the admin is told. */
		if (f->officer_code[0]) {
			char why[128], text[400];
			int ok = f->officer_id ? plan_staff_reachable(p, f->officer_id, day, why,
								      sizeof why, e) : 0;

			if (ok < 0)
				return ok;
			if (ok)
				return plan_to_staff(p, &req, f->officer_id, e);
			if (!f->officer_id)
				snprintf(why, sizeof why, "finns inte bland aktiv personal"
					 " (okänd kod eller har slutat)");
			snprintf(text, sizeof text, "förhandsbedömningen %lld (ärende %s, %s):"
				 " den tilldelade handläggaren med koden %s %s; påminnelserna"
				 " går till enhetens kö", f->id, f->ref, f->intake_name,
				 f->officer_code, why);
			ok = plan_alert_assignee(p, subject, text, e);
			if (ok < 0)
				return ok;
		}
		if (f->intake_email[0])
			return plan_to_mailbox(p, &req, f->intake_unit_id, f->intake_email,
					       f->intake_name, e);
		int r = has_coordinator(p, f, day, &role, e);

		if (r < 0)
			return r;
	}
	return plan_to_role(p, &req, f->intake_unit_id, role, e);
}

/* A series of messages (reminders before the deadline, overdue notices
 * after it): of the occurrences already due only the latest goes out, a
 * reminder only while the deadline has not passed, and the day count is
 * the one on the day it is sent. */
static int days_msgs(struct planner *p, const struct referral *f, int due,
		     const char *rule, const struct config_days *offs, int base, int shift,
		     const char *role, struct err *e)
{
	int days[CONFIG_MAX_LIST], latest, r = 0, before = shift < 0;
	time_t at[CONFIG_MAX_LIST];

	for (int i = 0; i < offs->n; i++) {
		days[i] = base + offs->v[i];
		at[i] = plan_at(p, &days[i], shift);
	}
	latest = plan_latest_due(p, at, offs->n);
	for (int i = 0; r == 0 && i < offs->n; i++) {
		int day = days[i], sday = plan_send_day(p, day);
		char occ[32], d[DATE_LEN], names[PLAN_NAME_LEN] = "";
		struct tvars *v;

		if (day < f->received || (at[i] <= p->now && i != latest))
			continue;
		if (before && sday >= due)
			continue; /* the deadline has passed: the overdue notice tells */
		if (!plan_in_window(p, at[i]))
			continue;
		v = vars_for(f, due);
		if (!v)
			return err_set(e, ERR_NOMEM, "out of memory");
		plan_set_days(v, due >= sday ? due - sday : sday - due);
		plan_set_date(v, "date", day);
		if (f->officer_id)
			snprintf(names, sizeof names, "%s", f->officer_name);
		else
			r = plan_role_names(p, f->intake_unit_id, "intake_officer", sday, names,
					    sizeof names, e);
		tvars_set(v, "officer", names[0] ? names : "(ingen handläggare registrerad)");
		snprintf(occ, sizeof occ, "%s", date_format(day, d));
		if (r == 0)
			r = send(p, f, rule, occ, day, at[i], v, role, e);
		tvars_free(v);
	}
	return r;
}

static int immediate(struct planner *p, const struct referral *f, int due,
		     const char *rule, int day, const char *role, struct err *e)
{
	time_t at = plan_immediate(p, day);
	struct tvars *v;
	int r;

	if (!plan_event_in_window(p, at))
		return 0;
	v = vars_for(f, due);
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	plan_set_date(v, "date", day);
	if (f->decided)
		tvars_set(v, "outcome", outcome_sv(f->outcome));
	r = send(p, f, rule, strcmp(rule, "referral_feedback") == 0 ? f->outcome : "received",
		 day, at, v, role, e);
	tvars_free(v);
	return r;
}

static int plan_referral(struct planner *p, const void *arg, struct err *e)
{
	const struct fact_referral *fact = arg;
	struct referral fv = {
		.id = fact->id, .child_id = fact->child_id, .reporter_id = fact->reporter_id,
		.intake_unit_id = fact->intake_unit_id, .child_ref = fact->child_ref,
		.reporting_unit_id = fact->reporting_unit_id,
		.reporter_active = fact->reporter_active,
		.outcome = fact->outcome, .intake_name = fact->intake_name,
		.officer_id = fact->officer_id, .officer_name = fact->officer_name,
		.intake_email = fact->intake_email, .officer_code = fact->officer_code,
	}, *f = &fv;
	const struct config *c = p->cfg;
	int due, r;
	char task_key[48];

	if (date_parse(fact->received, &f->received) < 0)
		return err_set(e, ERR_INVALID, "referral %lld: received_date '%s' is not a date",
			       f->id, fact->received);
	if (fact->decided[0] && date_parse(fact->decided, &f->decided) < 0)
		return err_set(e, ERR_INVALID, "referral %lld: decision_date '%s' is not a date",
			       f->id, fact->decided);
	snprintf(f->ref, sizeof f->ref, "%s/A%lld", f->child_ref, f->id);
	due = f->received + c->referral_deadline; /* a legal deadline: calendar days */
	f->due = due;

	snprintf(task_key, sizeof task_key, "referral/%lld", f->id);
	r = plan_task(p, task_key, "referral", f->child_id, 0, f->intake_unit_id, due,
		      f->decided != 0, e);
	if (r == 0)
		r = immediate(p, f, due, "referral_receipt", f->received, NULL, e);
	if (r == 0)
		r = immediate(p, f, due, "referral_task", f->received, "intake_officer", e);
	if (r < 0 || f->decided)
		return r ? r : immediate(p, f, due, "referral_feedback", f->decided, NULL, e);
	r = days_msgs(p, f, due, "referral_reminder", &c->referral_reminders, f->received, -1,
		      "intake_officer", e);
	if (r == 0) {
		struct config_days esc = { 1, { c->referral_escalate } };

		r = days_msgs(p, f, due, "referral_escalation", &esc, f->received, -1,
			      "manager", e);
	}
	if (r == 0)
		r = days_msgs(p, f, due, "referral_overdue", &c->referral_overdue, due, +1,
			      "intake_officer", e);
	if (r == 0)
		r = days_msgs(p, f, due, "referral_overdue", &c->referral_overdue, due, +1,
			      "manager", e);
	return r;
}

static int each(void *arg, const void *fact, struct err *e)
{
	const struct fact_referral *f = fact;
	char subject[48];

	snprintf(subject, sizeof subject, "referral:%lld", f->id);
	return plan_subject(arg, subject, plan_referral, f, e);
}

static int plan_one(struct planner *p, long long id, struct err *e)
{
	struct fact_sel sel = { p->lo_day, p->hi_day, id };

	return facts_referrals(p->facts, &sel, each, p, e);
}

static int plan_all(struct planner *p, struct err *e)
{
	return plan_one(p, 0, e);
}

static const char *const kinds[] = {
	"referral_receipt", "referral_task", "referral_reminder", "referral_escalation",
	"referral_overdue", "referral_feedback", NULL,
};

const struct rule rule_referral = {
	.subject = "referral", .group = RG_REFERRAL, .kinds = kinds,
	.plan_all = plan_all, .plan_one = plan_one,
};
