/* rule_handover.c - a coming change of Barnkontakt (a BVC, preschool or
 * school placement starting, or förskoleklass in the autumn the child turns
 * 6) is announced to the outgoing holder and to the incoming one. What the
 * incoming holder learns beyond role and date depends on a recorded handover
 * consent. */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "plan.h"
#include "rules.h"

/* A coming change of holder: a placement starting, or förskoleklass. */
struct change {
	long long child_id, placement_id, unit_id;
	const char *child_ref, *child_name, *unit_name;
	int birth, protected_identity;
	int start;           /* the day the new holder takes over */
	int school_unknown;  /* förskoleklass due but no school placement */
};

static int max_offset(const struct config *c)
{
	int m = 0;

	for (int i = 0; i < c->handover_outgoing.n; i++)
		if (c->handover_outgoing.v[i] > m)
			m = c->handover_outgoing.v[i];
	for (int i = 0; i < c->handover_incoming.n; i++)
		if (c->handover_incoming.v[i] > m)
			m = c->handover_incoming.v[i];
	return m;
}

/* Fill the incoming holder's view for a message sent on day: with a consent
 * in force that day, name and birth date (never for a child with protected
 * identity); without it, role and date only. */
static int incoming_vars(struct planner *p, const struct change *ch, int day,
			 struct tvars *v, int *sensitive, struct err *e)
{
	char d[DATE_LEN];
	int yes = 0, r;

	*sensitive = 0;
	tvars_set(v, "child_name", "");
	tvars_set(v, "child_birth", "");
	r = facts_consent(p->facts, ch->child_id, "handover", day, &yes, e);
	if (r < 0)
		return r;
	/* For a child with protected identity a consent is not in force here:
	 * nothing of the child is handed over by message. */
	yes = yes && !ch->protected_identity;
	tvars_set_bool(v, "consent", yes);
	if (yes) {
		tvars_set(v, "child_name", ch->child_name[0] ? ch->child_name : "(namn ej registrerat)");
		tvars_set(v, "child_birth", date_format(ch->birth, d));
		*sensitive = 1;
	}
	return 0;
}

/* The messages of one series to one holder: of the occurrences already due
 * only the latest goes out; what the incoming holder learns is judged on
 * the day each is sent. */
static int announce(struct planner *p, const struct change *ch, const char *rule,
		    long long staff_id, long long contact, const struct config_days *offs,
		    struct tvars *v, struct err *e)
{
	char subject[48], occ[40], d[DATE_LEN];
	int days[CONFIG_MAX_LIST], latest, incoming = strcmp(rule, "handover_incoming") == 0;
	time_t at[CONFIG_MAX_LIST];
	int r = 0, first = 0, booked = 0;

	snprintf(subject, sizeof subject, ch->placement_id ? "placement:%lld" : "fklass:%lld",
		 ch->placement_id ? ch->placement_id : ch->child_id);
	for (int i = 0; i < offs->n; i++) {
		days[i] = ch->start - offs->v[i];
		at[i] = plan_at(p, &days[i], -1);
	}
	latest = plan_latest_due(p, at, offs->n);
	/* This holder has registered the handover conversation booked (an
	 * acknowledgement link): the later messages of the series, reminders to
	 * arrange it, stop; the first, the notice, always goes out, and what
	 * the other holder is sent is not this holder's answer to give. */
	for (int i = 1; i < offs->n; i++)
		if (offs->v[i] > offs->v[first])
			first = i;
	if (ch->placement_id)
		r = facts_acked(p->facts, "placement", ch->placement_id, "booked", staff_id,
				&booked, e);
	for (int i = 0; r == 0 && i < offs->n; i++) {
		int day = days[i], sday = plan_send_day(p, day), sensitive = 0;
		struct plan_req req = {
			.rule = rule, .subject = subject, .occurrence = occ,
			.child_id = ch->child_id, .child_ref = ch->child_ref, .day = day,
			.scheduled = at[i], .vars = v, .deadline = ch->start,
		};

		if (at[i] <= p->now && i != latest)
			continue; /* superseded by a later one */
		if (!plan_in_window(p, at[i]))
			continue;
		if (booked && i != first)
			continue;
		snprintf(occ, sizeof occ, "%s-%d", date_format(ch->start, d), offs->v[i]);
		plan_set_date(v, "date", ch->start);
		plan_set_days(v, ch->start > sday ? ch->start - sday : 0);
		r = plan_set_contact(p, v, contact, sday, e);
		if (r == 0 && incoming)
			r = incoming_vars(p, ch, sday, v, &sensitive, e);
		req.sensitive = sensitive;
		if (r == 0)
			r = plan_to_staff(p, &req, staff_id, e);
	}
	return r;
}

static int plan_change(struct planner *p, const struct change *ch, struct err *e)
{
	struct bk before, after;
	char from_unit[PLAN_NAME_LEN] = "", ref[FACT_REF_LEN];
	struct tvars *v;
	int r;

	r = bk_at(p->bk, ch->child_id, ch->start - 1, &before, e);
	if (r == 0)
		r = bk_at(p->bk, ch->child_id, ch->start, &after, e);
	if (r < 0)
		return r;
	if (ch->placement_id && after.placement_id != ch->placement_id)
		return 0; /* another placement or an explicit assignment decides */
	if (before.staff_id == after.staff_id && before.unit_id == after.unit_id &&
	    !ch->school_unknown)
		return 0; /* no change of holder */
	if (before.unit_id)
		r = facts_unit_name(p->facts, before.unit_id, from_unit, sizeof from_unit, e);
	snprintf(ref, sizeof ref, "%s", ch->child_ref);
	v = plan_vars(ref);
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	/* For a child with protected identity the outgoing holder is not told
	 * the new unit, nor the incoming holder the previous one: either would
	 * point to the child's whereabouts. */
	tvars_set(v, "unit", ch->protected_identity ? "" : ch->unit_name);
	tvars_set(v, "from_unit", ch->protected_identity ? "" : from_unit);
	tvars_set(v, "role", ch->school_unknown ? "rektor" : bk_role_sv(&after));
	/* Each holder learns who the other one is and how to reach them at
	 * work, so they can arrange the handover; for a child with protected
	 * identity neither learns the other (it would point to the child's
	 * whereabouts). */
	if (r == 0 && before.staff_id)
		r = announce(p, ch, "handover_outgoing", before.staff_id,
			     ch->school_unknown || ch->protected_identity ? 0 : after.staff_id,
			     &p->cfg->handover_outgoing, v, e);
	else if (r == 0 && before.unit_id)
		r = plan_alert_vacant(p, before.unit_id, "principal",
				      "överlämning kunde inte aviseras till avlämnande Barnkontakt", e);
	if (r == 0 && after.staff_id && !ch->school_unknown) {
		tvars_set(v, "unit", ch->unit_name); /* the incoming holder's own unit */
		r = announce(p, ch, "handover_incoming", after.staff_id,
			     ch->protected_identity ? 0 : before.staff_id,
			     &p->cfg->handover_incoming, v, e);
	}
	else if (r == 0 && !ch->school_unknown)
		r = plan_alert_vacant(p, ch->unit_id, "principal",
				      "ny Barnkontakt saknas för ett barn som börjar", e);
	tvars_free(v);
	return r;
}

static int plan_start(struct planner *p, const void *arg, struct err *e)
{
	const struct fact_start *f = arg;
	struct change ch = {
		.child_id = f->child_id, .placement_id = f->placement_id, .unit_id = f->unit_id,
		.child_ref = f->child_ref, .child_name = f->child_name,
		.unit_name = f->unit_name, .protected_identity = f->protected_identity,
	};

	if (date_parse(f->birth, &ch.birth) < 0)
		return err_set(e, ERR_INVALID, "child %lld: birth_date '%s' is not a date",
			       f->child_id, f->birth);
	if (date_parse(f->start, &ch.start) < 0)
		return err_set(e, ERR_INVALID, "placement %lld: start_date '%s' is not a date",
			       f->placement_id, f->start);
	return plan_change(p, &ch, e);
}

static int each_start(void *arg, const void *fact, struct err *e)
{
	const struct fact_start *f = fact;
	char subject[48];

	snprintf(subject, sizeof subject, "placement:%lld", f->placement_id);
	return plan_subject(arg, subject, plan_start, f, e);
}

static int starts_one(struct planner *p, long long id, struct err *e)
{
	struct fact_sel sel = { p->lo_day, p->hi_day + max_offset(p->cfg), id };

	return facts_starts(p->facts, &sel, each_start, p, e);
}

static int starts_all(struct planner *p, struct err *e)
{
	return starts_one(p, 0, e);
}

/* Förskoleklass in the autumn of the year a child turns 6, when no school
 * placement records where: the outgoing holder is told, the school is not. */
struct fk {
	struct planner *p;
	int start;
};

struct fk_child {
	const struct fact_child *c;
	int start;
};

static int plan_fk(struct planner *p, const void *arg, struct err *e)
{
	const struct fk_child *k = arg;
	struct change ch = {
		.child_id = k->c->id, .child_ref = k->c->ref, .child_name = "",
		.unit_name = "förskoleklass (skola ej registrerad)", .start = k->start,
		.school_unknown = 1,
	};

	if (date_parse(k->c->birth, &ch.birth) < 0)
		return 0;
	return plan_change(p, &ch, e);
}

static int each_fk(void *arg, const void *fact, struct err *e)
{
	const struct fk *fk = arg;
	struct fk_child k = { fact, fk->start };
	char subject[48];

	snprintf(subject, sizeof subject, "fklass:%lld", k.c->id);
	return plan_subject(fk->p, subject, plan_fk, &k, e);
}

static int fklass_one(struct planner *p, long long id, struct err *e)
{
	int y0, y1, m, d, r = 0;

	date_to_ymd(p->lo_day, &y0, &m, &d);
	date_to_ymd(p->hi_day + max_offset(p->cfg), &y1, &m, &d);
	for (int y = y0; r == 0 && y <= y1; y++) {
		struct fk fk = { p, cal_school_start(p->cfg, y) };

		if (fk.start >= p->lo_day && fk.start <= p->hi_day + max_offset(p->cfg))
			r = facts_fklass(p->facts, y - 6, fk.start, id, each_fk, &fk, e);
	}
	return r;
}

static int fklass_all(struct planner *p, struct err *e)
{
	return fklass_one(p, 0, e);
}

static const char *const kinds[] = { "handover_outgoing", "handover_incoming", NULL };

const struct rule rule_handover = {
	.subject = "placement", .group = RG_HANDOVER, .kinds = kinds,
	.plan_all = starts_all, .plan_one = starts_one,
};

const struct rule rule_fklass = {
	.subject = "fklass", .group = RG_HANDOVER, .kinds = kinds,
	.plan_all = fklass_all, .plan_one = fklass_one,
};
