/* rule_rolechange.c - a Barnkontakt that changes for another reason than a
 * placement starting (a new principal, someone leaving, an absence without
 * end, an explicit assignment) is announced as one digest per new holder:
 * "du är nu Barnkontakt för 143 barn vid X", not one message per child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "plan.h"
#include "rules.h"

struct moved {
	long long child_id, unit_id;
	long long was, was_unit; /* the holder announced before, and since */
	char was_since[FACT_DATE_LEN];
	char ref[FACT_REF_LEN];
};

struct digest {
	struct digest *next;
	long long staff_id;
	int n, cap;
	struct moved *kids;
};

static int digest_add(struct digest **list, long long staff_id, const struct moved *m)
{
	struct digest *d;

	for (d = *list; d && d->staff_id != staff_id; d = d->next)
		;
	if (!d) {
		d = calloc(1, sizeof *d);
		if (!d)
			return ERR_NOMEM;
		d->staff_id = staff_id;
		d->next = *list;
		*list = d;
	}
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		struct moved *k = realloc(d->kids, (size_t)cap * sizeof *k);

		if (!k)
			return ERR_NOMEM;
		d->kids = k;
		d->cap = cap;
	}
	d->kids[d->n++] = *m;
	return 0;
}

static void digests_free(struct digest *d)
{
	while (d) {
		struct digest *n = d->next;

		free(d->kids);
		free(d);
		d = n;
	}
}

static int send_digest(struct planner *p, const void *arg, struct err *e)
{
	const struct digest *d = arg;
	char subject[40], occ[48], day[DATE_LEN], unit[PLAN_NAME_LEN] = "";
	struct tvars *v = plan_vars(d->kids[0].ref);
	long long *ids = calloc((size_t)d->n, sizeof *ids);
	int r = 0;

	if (!v || !ids) {
		tvars_free(v);
		free(ids);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	snprintf(subject, sizeof subject, "staff:%lld", d->staff_id);
	snprintf(occ, sizeof occ, "%s-%lld", date_format(p->today, day), d->kids[0].child_id);
	if (d->kids[0].unit_id)
		r = facts_unit_name(p->facts, d->kids[0].unit_id, unit, sizeof unit, e);
	tvars_set(v, "unit", unit);
	tvars_set(v, "role", "Barnkontakt");
	tvars_set_int(v, "count", d->n);
	plan_set_date(v, "date", p->today);
	for (int i = 0; r == 0 && i < d->n; i++) {
		struct tvars *item = tvars_add_item(v, "children");
		char u[PLAN_NAME_LEN] = "";

		if (!item) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		if (d->kids[i].unit_id)
			r = facts_unit_name(p->facts, d->kids[i].unit_id, u, sizeof u, e);
		ids[i] = d->kids[i].child_id;
		tvars_set(item, "ref", d->kids[i].ref);
		tvars_set(item, "unit", u);
		plan_set_date(item, "date", p->today);
	}
	struct plan_req req = {
		.rule = "rolechange_digest", .subject = subject, .occurrence = occ,
		.child_ref = d->kids[0].ref, .day = p->today, .scheduled = p->now, .vars = v,
		.event = 1, .children = ids, .n_children = d->n,
	};
	if (r == 0)
		r = plan_to_staff(p, &req, d->staff_id, e);
	tvars_free(v);
	free(ids);
	return r;
}

/* A digest that could not be planned: its children's last announced holder
 * is put back, so the change is announced when the error is mended. */
static int forget(struct planner *p, const struct digest *d, struct err *e)
{
	int r = 0;

	for (int i = 0; r == 0 && i < d->n; i++)
		r = facts_known_set(p->facts, d->kids[i].child_id, d->kids[i].was,
				    d->kids[i].was_unit, d->kids[i].was_since, e);
	if (r == 0)
		r = facts_state_set(p->facts, "rolechange.scanned", NULL, e);
	return r;
}

static int digest(struct planner *p, const struct digest *d, struct err *e)
{
	char subject[40];
	int errors = p->st->errors, r;

	snprintf(subject, sizeof subject, "staff:%lld", d->staff_id);
	r = plan_subject(p, subject, send_digest, d, e);
	if (r == 0 && p->st->errors > errors)
		r = forget(p, d, e);
	return r;
}

/* 1 when the holder changed because the placement cur started after since. */
static int by_placement(struct planner *p, const struct bk *cur, const char *since,
			int *yes, struct err *e)
{
	char start[FACT_DATE_LEN];
	int r;

	*yes = 0;
	if (!cur->placement_id || cur->source == BK_EXPLICIT)
		return 0;
	r = facts_placement_start(p->facts, cur->placement_id, start, sizeof start, e);
	if (r == 0)
		*yes = strcmp(start, since) > 0;
	return r;
}

/* One child: a new holder since the last announcement, not because a
 * placement started (the handover rule tells of those), joins the new
 * holder's digest; a role left vacant is an admin alert. */
static int scan_child(void *arg, const void *fact, struct err *e)
{
	struct planner *p = arg;
	const struct fact_known *k = fact;
	struct moved m = { .child_id = k->child_id, .was = k->staff_id, .was_unit = k->unit_id };
	char today[DATE_LEN];
	struct bk cur;
	int placed = 0, r = bk_at(p->bk, k->child_id, p->today, &cur, e);

	if (r < 0 || (k->known && k->staff_id == cur.staff_id))
		return r;
	snprintf(m.ref, sizeof m.ref, "%s", k->ref);
	snprintf(m.was_since, sizeof m.was_since, "%s", k->since);
	m.unit_id = cur.unit_id;
	if (k->known)
		r = by_placement(p, &cur, k->since, &placed, e);
	if (r == 0 && k->known && !placed) {
		if (cur.staff_id)
			r = digest_add(&p->digests, cur.staff_id, &m) < 0
				    ? err_set(e, ERR_NOMEM, "out of memory") : 0;
		else if (cur.unit_id)
			r = plan_alert_vacant(p, cur.unit_id, "principal",
					      "barn saknar Barnkontakt efter ett rollbyte", e);
	}
	if (r == 0)
		r = facts_known_set(p->facts, k->child_id, cur.staff_id, cur.unit_id,
				    date_format(p->today, today), e);
	return r;
}

/* The holders version (staff, roles, placements, assignments, children) and
 * the day: when equal to the last scan's, no child's Barnkontakt can have
 * changed. */
static int scan_key(struct planner *p, char *key, size_t n, struct err *e)
{
	char v[32], d[DATE_LEN];
	int r = facts_state_get(p->facts, "holders.version", v, sizeof v, e);

	snprintf(key, n, "%s/%s", v[0] ? v : "?", date_format(p->today, d));
	return r;
}

/* A full pass: every child, unless nothing changed since the last scan. */
static int plan_all(struct planner *p, struct err *e)
{
	char key[64], last[64];
	int r = scan_key(p, key, sizeof key, e);

	if (r == 0)
		r = facts_state_get(p->facts, "rolechange.scanned", last, sizeof last, e);
	if (r < 0 || strcmp(key, last) == 0)
		return r;
	/* Every child in the order of its id: their rows read by one walk,
	 * not a statement per child. */
	r = bk_walk_begin(p->bk, e);
	if (r == 0)
		r = facts_known(p->facts, 0, scan_child, p, e);
	bk_walk_end(p->bk);
	return r < 0 ? r : facts_state_set(p->facts, "rolechange.scanned", key, e);
}

static void clear(struct planner *p)
{
	digests_free(p->digests);
	p->digests = NULL;
}

/* After the subjects: in a pass after changes, the children they touch;
 * then one digest per new holder. */
static int finish(struct planner *p, struct err *e)
{
	char key[64];
	int r = 0;

	if (!p->full) {
		r = facts_known(p->facts, 1, scan_child, p, e);
		if (r == 0)
			r = scan_key(p, key, sizeof key, e);
		if (r == 0)
			r = facts_state_set(p->facts, "rolechange.scanned", key, e);
	}
	for (struct digest *d = p->digests; r == 0 && d; d = d->next)
		r = digest(p, d, e);
	clear(p);
	return r;
}


static const char *const kinds[] = { "rolechange_digest", NULL };

const struct rule rule_rolechange = {
	.subject = "staff", .group = RG_ROLECHANGE, .kinds = kinds,
	.plan_all = plan_all, .finish = finish, .clear = clear,
};
