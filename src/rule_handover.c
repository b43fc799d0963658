/* rule_handover.c - a coming change of Barnkontakt (a BVC, preschool or
 * school placement starting, or förskoleklass in the autumn the child turns
 * 6) is announced to the outgoing holder and to the incoming one. What the
 * incoming holder learns beyond role and date depends on a recorded handover
 * consent. */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"
#include "plan_internal.h"

struct change {
	long long child_id, placement_id, unit_id;
	char child_ref[33], child_name[PLAN_NAME_LEN];
	int birth, protected_identity;
	int start;           /* the day the new holder takes over */
	char unit_name[PLAN_NAME_LEN];
	char start_s[DATE_LEN]; /* as stored */
	int school_unknown;  /* förskoleklass due but no school placement */
};

static const char sql_starts[] =
	"SELECT p.id, p.child_id, c.ref, coalesce(c.name,''), c.birth_date,"
	" c.protected_identity, p.unit_id, u.name, p.start_date"
	" FROM placement p JOIN child c ON c.id = p.child_id JOIN unit u ON u.id = p.unit_id"
	" WHERE p.kind IN ('bvc','preschool','school') AND p.start_date BETWEEN ?1 AND ?2"
	" ORDER BY p.id";

/* Children born in ?1 (a year) with no school placement starting in ?2..?3. */
static const char sql_fklass[] =
	"SELECT c.id, c.ref, coalesce(c.name,''), c.birth_date, c.protected_identity"
	" FROM child c WHERE c.birth_date BETWEEN ?1 || '-01-01' AND ?1 || '-12-31'"
	" AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.child_id = c.id"
	"  AND p.kind = 'school' AND p.start_date <= ?3"
	"  AND (p.end_date IS NULL OR p.end_date >= ?2))"
	" ORDER BY c.id";

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
	r = plan_consent(p, ch->child_id, "handover", day, &yes, e);
	if (r < 0)
		return r;
	tvars_set_bool(v, "consent", yes);
	if (yes && !ch->protected_identity) {
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
		    long long staff_id, const struct config_days *offs, struct tvars *v,
		    struct err *e)
{
	char subject[48], occ[40], d[DATE_LEN];
	int days[CONFIG_MAX_LIST], latest, incoming = strcmp(rule, "handover_incoming") == 0;
	time_t at[CONFIG_MAX_LIST];
	int r = 0;

	snprintf(subject, sizeof subject, ch->placement_id ? "placement:%lld" : "fklass:%lld",
		 ch->placement_id ? ch->placement_id : ch->child_id);
	for (int i = 0; i < offs->n; i++) {
		days[i] = ch->start - offs->v[i];
		at[i] = plan_at(p, &days[i], -1);
	}
	latest = plan_latest_due(p, at, offs->n);
	for (int i = 0; r == 0 && i < offs->n; i++) {
		int day = days[i], sday = plan_send_day(p, day), sensitive = 0;
		struct plan_req req = {
			.rule = rule, .subject = subject, .occurrence = occ,
			.child_id = ch->child_id, .child_ref = ch->child_ref, .day = day,
			.scheduled = at[i], .vars = v,
		};

		if (at[i] <= p->now && i != latest)
			continue; /* superseded by a later one */
		if (!plan_in_window(p, at[i]))
			continue;
		snprintf(occ, sizeof occ, "%s-%d", date_format(ch->start, d), offs->v[i]);
		plan_set_date(v, "date", ch->start);
		plan_set_days(v, ch->start > sday ? ch->start - sday : 0);
		if (incoming)
			r = incoming_vars(p, ch, sday, v, &sensitive, e);
		req.sensitive = sensitive;
		if (r == 0)
			r = plan_to_staff(p, &req, staff_id, e);
	}
	return r;
}

static int plan_change(struct planner *p, const void *arg, struct err *e)
{
	struct change chv = *(const struct change *)arg, *ch = &chv;
	struct bk before, after;
	char from_unit[PLAN_NAME_LEN] = "", ref[40];
	struct tvars *v;
	int r;

	if (ch->start_s[0] && date_parse(ch->start_s, &ch->start) < 0)
		return err_set(e, ERR_INVALID, "placement %lld: start_date '%s' is not a date",
			       ch->placement_id, ch->start_s);
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
		r = plan_unit_name(p, before.unit_id, from_unit, sizeof from_unit, e);
	snprintf(ref, sizeof ref, "%s", ch->child_ref);
	v = plan_vars(ref);
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	tvars_set(v, "unit", ch->unit_name);
	tvars_set(v, "from_unit", from_unit[0] ? from_unit : "-");
	tvars_set(v, "role", ch->school_unknown ? "rektor" : bk_role_sv(&after));
	if (r == 0 && before.staff_id)
		r = announce(p, ch, "handover_outgoing", before.staff_id,
			     &p->cfg->handover_outgoing, v, e);
	else if (r == 0 && before.unit_id)
		r = plan_alert_vacant(p, before.unit_id, "principal",
				      "överlämning kunde inte aviseras till avlämnande Barnkontakt", e);
	if (r == 0 && after.staff_id && !ch->school_unknown)
		r = announce(p, ch, "handover_incoming", after.staff_id,
			     &p->cfg->handover_incoming, v, e);
	else if (r == 0 && !ch->school_unknown)
		r = plan_alert_vacant(p, ch->unit_id, "principal",
				      "ny Barnkontakt saknas för ett barn som börjar", e);
	tvars_free(v);
	return r;
}

static int placements(struct planner *p, struct err *e)
{
	char lo[DATE_LEN], hi[DATE_LEN], d[DATE_LEN], subject[48];
	sqlite3_stmt *q = NULL;
	int rc = SQLITE_DONE, r;

	r = db_prepare(p->db, sql_starts, &q, e);
	if (r < 0)
		return r;
	sqlite3_bind_text(q, 1, date_format(p->lo_day, lo), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, date_format(p->hi_day + max_offset(p->cfg), hi), -1,
			  SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct change ch = { 0 };

		ch.placement_id = sqlite3_column_int64(q, 0);
		ch.child_id = sqlite3_column_int64(q, 1);
		plan_col_text(q, 2, ch.child_ref, sizeof ch.child_ref);
		plan_col_text(q, 3, ch.child_name, sizeof ch.child_name);
		plan_col_text(q, 4, d, sizeof d);
		if (date_parse(d, &ch.birth) < 0)
			ch.birth = 0;
		ch.protected_identity = sqlite3_column_int(q, 5);
		ch.unit_id = sqlite3_column_int64(q, 6);
		plan_col_text(q, 7, ch.unit_name, sizeof ch.unit_name);
		plan_col_text(q, 8, ch.start_s, sizeof ch.start_s);
		if (!ch.start_s[0])
			snprintf(ch.start_s, sizeof ch.start_s, "?");
		snprintf(subject, sizeof subject, "placement:%lld", ch.placement_id);
		r = plan_subject(p, subject, plan_change, &ch, e);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "placement", e);
	sqlite3_finalize(q);
	return r;
}

/* Förskoleklass in the autumn of the year a child turns 6, when no school
 * placement records where: the outgoing holder is told, the school is not. */
static int fklass_year(struct planner *p, int year, int start, struct err *e)
{
	char y[8], lo[DATE_LEN], hi[DATE_LEN], d[DATE_LEN], subject[48];
	sqlite3_stmt *q = NULL;
	int rc = SQLITE_DONE, r;

	r = db_prepare(p->db, sql_fklass, &q, e);
	if (r < 0)
		return r;
	snprintf(y, sizeof y, "%04d", year - 6);
	sqlite3_bind_text(q, 1, y, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, date_format(start - 60, lo), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, date_format(start + 60, hi), -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct change ch = { 0 };

		ch.child_id = sqlite3_column_int64(q, 0);
		plan_col_text(q, 1, ch.child_ref, sizeof ch.child_ref);
		plan_col_text(q, 3, d, sizeof d);
		if (date_parse(d, &ch.birth) < 0)
			continue;
		ch.start = start;
		ch.school_unknown = 1;
		snprintf(ch.unit_name, sizeof ch.unit_name, "förskoleklass (skola ej registrerad)");
		snprintf(subject, sizeof subject, "fklass:%lld", ch.child_id);
		r = plan_subject(p, subject, plan_change, &ch, e);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "child", e);
	sqlite3_finalize(q);
	return r;
}

int rule_handover(struct planner *p, struct err *e)
{
	int y0, y1, m, d, r;

	r = placements(p, e);
	date_to_ymd(p->lo_day, &y0, &m, &d);
	date_to_ymd(p->hi_day + max_offset(p->cfg), &y1, &m, &d);
	for (int y = y0; r == 0 && y <= y1; y++) {
		int start = cal_school_start(p->cfg, y);

		if (start >= p->lo_day && start <= p->hi_day + max_offset(p->cfg))
			r = fklass_year(p, y, start, e);
	}
	return r;
}
