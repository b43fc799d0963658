/* rule_rolechange.c - a Barnkontakt that changes for another reason than a
 * placement starting (a new principal, someone leaving, an absence without
 * end, an explicit assignment) is announced as one digest per new holder:
 * "du är nu Barnkontakt för 143 barn vid X", not one message per child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "plan_internal.h"

struct moved {
	long long child_id, unit_id;
	long long was;  /* the holder announced before */
	char ref[33];
};

struct digest {
	struct digest *next;
	long long staff_id;
	int n, cap;
	struct moved *kids;
};

static const char sql_children[] =
	"SELECT c.id, c.ref, k.child_id IS NOT NULL, k.staff_id, k.since"
	" FROM child c LEFT JOIN barnkontakt_known k ON k.child_id = c.id ORDER BY c.id";
static const char sql_known[] =
	"INSERT INTO barnkontakt_known(child_id, staff_id, unit_id, since)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT(child_id) DO UPDATE SET"
	" staff_id = excluded.staff_id, unit_id = excluded.unit_id, since = excluded.since";
static const char sql_pstart[] = "SELECT start_date FROM placement WHERE id = ?1";

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
		r = plan_unit_name(p, d->kids[0].unit_id, unit, sizeof unit, e);
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
			r = plan_unit_name(p, d->kids[i].unit_id, u, sizeof u, e);
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
	sqlite3_stmt *q = NULL;
	int r = db_prepare(p->db, "UPDATE barnkontakt_known SET staff_id = nullif(?2, 0)"
				  " WHERE child_id = ?1", &q, e);

	for (int i = 0; r == 0 && i < d->n; i++) {
		sqlite3_bind_int64(q, 1, d->kids[i].child_id);
		sqlite3_bind_int64(q, 2, d->kids[i].was);
		if (sqlite3_step(q) != SQLITE_DONE)
			r = db_fail(p->db, sqlite3_errcode(p->db), "barnkontakt_known", e);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (r == 0)
		r = db_exec(p->db, "DELETE FROM state WHERE key = 'rolechange.scanned'", e);
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
static int by_placement(struct planner *p, sqlite3_stmt *ps, const struct bk *cur,
			const char *since)
{
	int started_after = 0;

	if (!cur->placement_id || cur->source == BK_EXPLICIT)
		return 0;
	sqlite3_bind_int64(ps, 1, cur->placement_id);
	if (sqlite3_step(ps) == SQLITE_ROW)
		started_after = strcmp((const char *)sqlite3_column_text(ps, 0), since) > 0;
	sqlite3_reset(ps);
	(void)p;
	return started_after;
}

static int remember(struct planner *p, sqlite3_stmt *kq, long long child_id,
		    const struct bk *cur, struct err *e)
{
	char d[DATE_LEN];
	int rc;

	sqlite3_bind_int64(kq, 1, child_id);
	if (cur->staff_id)
		sqlite3_bind_int64(kq, 2, cur->staff_id);
	else
		sqlite3_bind_null(kq, 2);
	if (cur->unit_id)
		sqlite3_bind_int64(kq, 3, cur->unit_id);
	else
		sqlite3_bind_null(kq, 3);
	sqlite3_bind_text(kq, 4, date_format(p->today, d), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(kq);
	sqlite3_reset(kq);
	return rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "barnkontakt_known", e);
}

static int scan(struct planner *p, sqlite3_stmt *cq, sqlite3_stmt *kq, sqlite3_stmt *ps,
		struct digest **list, struct err *e)
{
	int rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(cq)) == SQLITE_ROW) {
		long long child_id = sqlite3_column_int64(cq, 0);
		int known = sqlite3_column_int(cq, 2);
		long long was = sqlite3_column_int64(cq, 3);
		const char *since = (const char *)sqlite3_column_text(cq, 4);
		struct moved m = { .child_id = child_id, .was = was };
		struct bk cur;

		r = bk_at(p->bk, child_id, p->today, &cur, e);
		if (r < 0 || (known && was == cur.staff_id))
			continue;
		snprintf(m.ref, sizeof m.ref, "%s", (const char *)sqlite3_column_text(cq, 1));
		m.unit_id = cur.unit_id;
		if (known && !by_placement(p, ps, &cur, since ? since : "")) {
			if (cur.staff_id)
				r = digest_add(list, cur.staff_id, &m) < 0
					    ? err_set(e, ERR_NOMEM, "out of memory") : 0;
			else if (cur.unit_id)
				r = plan_alert_vacant(p, cur.unit_id, "principal",
						      "barn saknar Barnkontakt efter ett rollbyte", e);
		}
		if (r == 0)
			r = remember(p, kq, child_id, &cur, e);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "child", e);
	return r;
}

/* The holders version (staff, roles, placements, assignments, children) and
 * day of the last scan, and now: equal means the Barnkontakt of no child can
 * have changed. */
static int scan_key(struct planner *p, char *now, size_t n, char *last, size_t m,
		    struct err *e)
{
	sqlite3_stmt *q = NULL;
	char d[DATE_LEN];
	int r = db_prepare(p->db, "SELECT (SELECT value FROM state WHERE key = 'holders.version'),"
				  " (SELECT value FROM state WHERE key = 'rolechange.scanned')",
			   &q, e);

	if (r < 0)
		return r;
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return db_fail(p->db, sqlite3_errcode(p->db), "state", e);
	}
	snprintf(now, n, "%s/%s", sqlite3_column_text(q, 0) ? (const char *)sqlite3_column_text(q, 0)
							    : "?", date_format(p->today, d));
	snprintf(last, m, "%s", sqlite3_column_text(q, 1) ? (const char *)sqlite3_column_text(q, 1)
							   : "");
	sqlite3_finalize(q);
	return 0;
}

static int scanned(struct planner *p, const char *key, struct err *e)
{
	sqlite3_stmt *q = NULL;
	int r = db_prepare(p->db, "INSERT INTO state(key, value) VALUES ('rolechange.scanned', ?1)"
				  " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &q, e);

	if (r < 0)
		return r;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		r = db_fail(p->db, sqlite3_errcode(p->db), "state", e);
	sqlite3_finalize(q);
	return r;
}

int rule_rolechange(struct planner *p, struct err *e)
{
	sqlite3_stmt *cq = NULL, *kq = NULL, *ps = NULL;
	struct digest *list = NULL;
	char now[64], last[64];
	int r;

	r = scan_key(p, now, sizeof now, last, sizeof last, e);
	if (r < 0 || strcmp(now, last) == 0)
		return r; /* nothing changed since the last scan today */
	r = db_prepare(p->db, sql_children, &cq, e);
	if (r == 0)
		r = db_prepare(p->db, sql_known, &kq, e);
	if (r == 0)
		r = db_prepare(p->db, sql_pstart, &ps, e);
	if (r == 0)
		r = scan(p, cq, kq, ps, &list, e);
	if (r == 0)
		r = scanned(p, now, e);
	for (struct digest *d = list; r == 0 && d; d = d->next)
		r = digest(p, d, e);
	digests_free(list);
	sqlite3_finalize(cq);
	sqlite3_finalize(kq);
	sqlite3_finalize(ps);
	return r;
}
