/* barnkontakt.c - deriving the Barnkontakt from assignments and placements. */
#include "barnkontakt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "idmap.h"
#include "sqldate.h"

/* A pass reads one snapshot of the facts and asks about the same child
 * several times (the day before and the day of a start, each reminder's
 * send day), and about the same unit for every child placed there. So a
 * child's placements and assignments are read once, and a unit's role rows
 * once, and the day's holder is chosen here. Dates are compared as SQLite
 * compares them (src/sqldate.c): a malformed date written by another system
 * is judged as the SQL that chose before judged it. */
struct span {
	long long id, staff_id, unit_id;
	struct sqldate start, end;           /* end NULL: open */
	int rank;                            /* placement: the stage */
	int named;                           /* placement: a named, active person */
	char kind[16];                       /* placement kind, or the unit role */
};

struct spans {
	struct span *v;
	int n, cap;
};

/* A child's rows. A pass asks about the same children rule after rule (a
 * new principal's: each child of the school for its handovers, then for
 * the role-change scan), so the last KIDS children asked about are kept,
 * each in the slot of its id. */
#define KIDS 256
struct kid {
	long long child_id; /* whose rows these are, or 0 */
	struct spans explicit, placed;
};

/* A walk of every child's rows of one kind in the order of the child ids
 * (bk_walk_begin()): the row it stands on is of child at. */
struct walk {
	struct dbi_stmt *q;
	long long at;
	int done;
};

struct bk_ctx {
	struct dbi *db;
	struct dbi_stmt *child_q, *role_q;
	struct walk ex, pl;   /* assignments, placements */
	int walking;
	long long walked;     /* the last child whose rows the walks gave */
	struct kid kids[KIDS];
	struct spans roles;
	struct idmap units; /* a unit's role rows (held by active staff) in roles */
};

/* Each with its dates last (start and end, each with its storage class:
 * sqldate_cols()), the rest of the statement after them. A child's
 * assignments (first column 0) and placements (1) are one statement: a
 * full pass asks for some 100,000 children. */
static const char *const sql_explicit[] = {
	"SELECT 0, b.id, b.staff_id, 0, NULL, 1, ", "b",
	" FROM barnkontakt b JOIN staff s ON s.id = b.staff_id"
	" WHERE b.child_id = ?1 AND s.active = 1" };
static const char *const sql_placement[] = {
	"SELECT 1, p.id, p.staff_id, p.unit_id, p.kind,"
	" (SELECT active FROM staff WHERE id = p.staff_id), ", "p",
	" FROM placement p WHERE p.child_id = ?1" };
/* The same rows of every child, by child (the child's id last). */
static const char *const walk_explicit[] = {
	"SELECT 0, b.id, b.staff_id, 0, NULL, 1, ", "b",
	", b.child_id FROM barnkontakt b"
	" WHERE (SELECT active FROM staff WHERE id = b.staff_id) = 1 ORDER BY b.child_id" };
static const char *const walk_placement[] = {
	"SELECT 1, p.id, p.staff_id, p.unit_id, p.kind,"
	" (SELECT active FROM staff WHERE id = p.staff_id), ", "p",
	", p.child_id FROM placement p ORDER BY p.child_id" };
#define WALK_CHILD_COL 10
static const char *const sql_role[] = {
	"SELECT r.id, r.role, r.staff_id, ", "r",
	" FROM unit_role r JOIN staff s ON s.id = r.staff_id"
	" WHERE r.unit_id = ?1 AND s.active = 1" };

/* sql as text: its head, the date columns of its table alias, its tail. */
static void dated(struct dbi *db, const char *const sql[3], char *text, size_t n)
{
	char start[80], end[80], expr[32];

	snprintf(expr, sizeof expr, "%s.start_date", sql[1]);
	sqldate_cols(db, expr, start, sizeof start);
	snprintf(expr, sizeof expr, "%s.end_date", sql[1]);
	sqldate_cols(db, expr, end, sizeof end);
	snprintf(text, n, "%s%s, %s%s", sql[0], start, end, sql[2]);
}

static int prepare_dated(struct dbi *db, const char *const sql[3], struct dbi_stmt **q,
			 struct err *e)
{
	char text[512];

	dated(db, sql, text, sizeof text);
	return dbi_prepare(db, text, q, e);
}

/* A child's assignments, then its placements. */
static int prepare_child(struct dbi *db, struct dbi_stmt **q, struct err *e)
{
	char a[512], b[512], text[1040];

	dated(db, sql_explicit, a, sizeof a);
	dated(db, sql_placement, b, sizeof b);
	snprintf(text, sizeof text, "%s UNION ALL %s", a, b);
	return dbi_prepare(db, text, q, e);
}

int bk_open(struct dbi *db, struct bk_ctx **out, struct err *e)
{
	struct bk_ctx *c = calloc(1, sizeof *c);
	int r;

	*out = NULL;
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->db = db;
	r = prepare_child(db, &c->child_q, e);
	if (r == 0)
		r = prepare_dated(db, sql_role, &c->role_q, e);
	if (r < 0) {
		bk_close(c);
		return r;
	}
	*out = c;
	return 0;
}

/* Forget the rows of s from the first on, keeping the memory. */
static void spans_cut(struct spans *s, int first)
{
	for (int i = first; i < s->n; i++) {
		sqldate_free(&s->v[i].start);
		sqldate_free(&s->v[i].end);
	}
	s->n = first;
}

static void spans_clear(struct spans *s)
{
	spans_cut(s, 0);
}

void bk_close(struct bk_ctx *c)
{
	if (!c)
		return;
	dbi_finalize(c->child_q);
	dbi_finalize(c->ex.q);
	dbi_finalize(c->pl.q);
	dbi_finalize(c->role_q);
	for (int i = 0; i < KIDS; i++) {
		spans_clear(&c->kids[i].explicit);
		spans_clear(&c->kids[i].placed);
		free(c->kids[i].explicit.v);
		free(c->kids[i].placed.v);
	}
	spans_clear(&c->roles);
	free(c->roles.v);
	idmap_free(&c->units);
	free(c);
}

static struct span *span_add(struct spans *s)
{
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 8;
		struct span *v = realloc(s->v, (size_t)cap * sizeof *v);

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof s->v[0]);
	return &s->v[s->n++];
}

static void text_col(struct dbi_stmt *q, int i, char *buf, size_t len)
{
	const char *t = dbi_column_text(q, i);

	snprintf(buf, len, "%s", t ? t : "");
}

/* start <= d AND (end IS NULL OR end >= d), as SQL judged it. */
static int covers(const struct span *s, const char *d)
{
	int null, c = sqldate_cmp_day(&s->start, d, &null);

	if (null || c > 0)
		return 0;
	if (s->end.kind == SQLDATE_NULL)
		return 1;
	c = sqldate_cmp_day(&s->end, d, &null);
	return c >= 0;
}

/* Read rows of q (id bound) into s with fill; 0 or a negative code. */
static int read_spans(struct dbi_stmt *q, long long id, struct spans *s,
		      int (*fill)(struct dbi_stmt *q, struct span *sp), struct err *e)
{
	int rc;

	dbi_reset(q);
	dbi_bind_int64(q, 1, id);
	while ((rc = dbi_step(q, e)) == DBI_ROW) {
		struct span *sp = span_add(s);

		if (!sp || fill(q, sp) < 0) {
			dbi_reset(q);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

static int fill_dates(struct dbi_stmt *q, int col, struct span *s)
{
	if (sqldate_read(&s->start, q, col) < 0)
		return ERR_NOMEM;
	if (sqldate_read(&s->end, q, col + 2) < 0) {
		sqldate_free(&s->start);
		return ERR_NOMEM;
	}
	return 0;
}

static int stage(const char *kind)
{
	if (strcmp(kind, "school") == 0)
		return 4;
	if (strcmp(kind, "preschool") == 0)
		return 3;
	return strcmp(kind, "bvc") == 0 ? 2 : 1;
}

/* A row of the child statement: an assignment or a placement. */
static int fill_child(struct dbi_stmt *q, struct span *s)
{
	s->id = dbi_column_int64(q, 1);
	if (dbi_column_int(q, 0) == 0) {
		s->staff_id = dbi_column_int64(q, 2);
		return fill_dates(q, 6, s);
	}
	s->unit_id = dbi_column_int64(q, 3);
	text_col(q, 4, s->kind, sizeof s->kind);
	s->rank = stage(s->kind);
	s->named = !dbi_column_is_null(q, 2) && dbi_column_int(q, 5) == 1;
	s->staff_id = s->named ? dbi_column_int64(q, 2) : 0;
	return fill_dates(q, 6, s);
}

static int fill_role(struct dbi_stmt *q, struct span *s)
{
	s->id = dbi_column_int64(q, 0);
	text_col(q, 1, s->kind, sizeof s->kind);
	s->staff_id = dbi_column_int64(q, 2);
	return fill_dates(q, 3, s);
}

/* The child statement's rows into k->explicit and k->placed. */
static int read_child(struct bk_ctx *c, struct kid *k, long long child_id, struct err *e)
{
	struct dbi_stmt *q = c->child_q;
	int rc;

	dbi_reset(q);
	dbi_bind_int64(q, 1, child_id);
	while ((rc = dbi_step(q, e)) == DBI_ROW) {
		struct span *sp = span_add(dbi_column_int(q, 0) == 0 ? &k->explicit : &k->placed);

		if (!sp || fill_child(q, sp) < 0) {
			dbi_reset(q);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

static int walk_step(struct walk *w, struct err *e)
{
	int rc = dbi_step(w->q, e);

	if (rc == DBI_ROW) {
		w->at = dbi_column_int64(w->q, WALK_CHILD_COL);
		return 0;
	}
	w->done = 1;
	return rc == DBI_DONE ? 0 : rc;
}

/* The rows of w that are child_id's into s (those of children before it
 * skipped: nobody asked for them). */
static int walk_take(struct walk *w, long long child_id, struct spans *s, struct err *e)
{
	int r = 0;

	while (r == 0 && !w->done && w->at < child_id)
		r = walk_step(w, e);
	while (r == 0 && !w->done && w->at == child_id) {
		struct span *sp = span_add(s);

		if (!sp || fill_child(w->q, sp) < 0)
			return err_set(e, ERR_NOMEM, "out of memory");
		r = walk_step(w, e);
	}
	return r;
}

int bk_walk_begin(struct bk_ctx *c, struct err *e)
{
	int r = 0;

	if (!c->ex.q)
		r = prepare_dated(c->db, walk_explicit, &c->ex.q, e);
	if (r == 0 && !c->pl.q)
		r = prepare_dated(c->db, walk_placement, &c->pl.q, e);
	for (int i = 0; r == 0 && i < 2; i++) {
		struct walk *w = i ? &c->pl : &c->ex;

		dbi_reset(w->q);
		w->done = 0;
		r = walk_step(w, e);
	}
	c->walking = r == 0;
	c->walked = 0;
	if (r < 0)
		bk_walk_end(c);
	return r;
}

void bk_walk_end(struct bk_ctx *c)
{
	if (c->ex.q)
		dbi_reset(c->ex.q);
	if (c->pl.q)
		dbi_reset(c->pl.q);
	c->walking = 0;
}

/* The child's rows, read once for all the days asked about, into *out:
 * from the walks when they are under way and have not passed the child,
 * else by the child statement. */
static int load_child(struct bk_ctx *c, long long child_id, const struct kid **out,
		      struct err *e)
{
	struct kid *k = &c->kids[(unsigned long long)child_id % KIDS];
	int r;

	*out = k;
	if (k->child_id == child_id && child_id)
		return 0;
	k->child_id = 0;
	spans_clear(&k->explicit);
	spans_clear(&k->placed);
	if (c->walking && child_id > c->walked) {
		r = walk_take(&c->ex, child_id, &k->explicit, e);
		if (r == 0)
			r = walk_take(&c->pl, child_id, &k->placed, e);
		if (r < 0) {
			bk_walk_end(c);
			return r;
		}
		c->walked = child_id;
	} else {
		r = read_child(c, k, child_id, e);
	}
	if (r == 0)
		k->child_id = child_id;
	return r;
}

/* The unit's role rows, read once: roles.v[*first] and the *n after it. */
static int load_unit(struct bk_ctx *c, long long unit_id, int *first, int *n, struct err *e)
{
	int r;

	if (idmap_get(&c->units, unit_id, first, n))
		return 0;
	*first = c->roles.n;
	r = read_spans(c->role_q, unit_id, &c->roles, fill_role, e);
	*n = c->roles.n - *first;
	if (r == 0 && idmap_put(&c->units, unit_id, *first, *n) < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	if (r < 0)
		spans_cut(&c->roles, *first);
	return r;
}

int bk_unit_role(struct bk_ctx *c, long long unit_id, const char *role, int day,
		 long long *staff_id, struct err *e)
{
	const struct span *best = NULL;
	char d[DATE_LEN];
	int first, n, r;

	*staff_id = 0;
	r = load_unit(c, unit_id, &first, &n, e);
	if (r < 0)
		return r;
	date_format(day, d);
	/* The latest start covering the day; among equal starts the first row. */
	for (int i = first; i < first + n; i++) {
		const struct span *s = &c->roles.v[i];
		int cmp;

		if (strcmp(s->kind, role) != 0 || !covers(s, d))
			continue;
		cmp = best ? sqldate_cmp(&s->start, &best->start) : 1;
		if (cmp > 0 || (cmp == 0 && s->id < best->id))
			best = s;
	}
	if (best)
		*staff_id = best->staff_id;
	return 0;
}

int bk_at(struct bk_ctx *c, long long child_id, int day, struct bk *out, struct err *e)
{
	const struct span *ex = NULL, *pl = NULL;
	const struct kid *k;
	char d[DATE_LEN];
	int r;

	memset(out, 0, sizeof *out);
	r = load_child(c, child_id, &k, e);
	if (r < 0)
		return r;
	date_format(day, d);
	/* An explicit assignment: the latest start, then the latest row. */
	for (int i = 0; i < k->explicit.n; i++) {
		const struct span *s = &k->explicit.v[i];
		int cmp;

		if (!covers(s, d))
			continue;
		cmp = ex ? sqldate_cmp(&s->start, &ex->start) : 1;
		if (cmp > 0 || (cmp == 0 && s->id > ex->id))
			ex = s;
	}
	/* The placement: later stages win; among equals the latest start,
	 * then the latest row. It is looked up even for explicit holders: its
	 * kind and unit say where the child is. */
	for (int i = 0; i < k->placed.n; i++) {
		const struct span *s = &k->placed.v[i];
		int cmp;

		if (!covers(s, d))
			continue;
		cmp = pl ? s->rank - pl->rank : 1;
		if (cmp == 0)
			cmp = sqldate_cmp(&s->start, &pl->start);
		if (cmp > 0 || (cmp == 0 && s->id > pl->id))
			pl = s;
	}
	if (ex) {
		out->source = BK_EXPLICIT;
		out->staff_id = ex->staff_id;
	}
	if (!pl)
		return 0;
	out->placement_id = pl->id;
	snprintf(out->kind, sizeof out->kind, "%s", pl->kind);
	if (ex)
		return 0;
	out->unit_id = pl->unit_id;
	/* At BMM and BVC the child's own midwife or nurse, when named and still
	 * active; otherwise (and always at preschool and school) the principal. */
	if (pl->named && (strcmp(pl->kind, "bmm") == 0 || strcmp(pl->kind, "bvc") == 0)) {
		out->source = BK_PLACEMENT;
		out->staff_id = pl->staff_id;
		return 0;
	}
	out->source = BK_PRINCIPAL;
	return bk_unit_role(c, out->unit_id, "principal", day, &out->staff_id, e);
}
const char *bk_role_sv(const struct bk *b)
{
	if (b->source == BK_EXPLICIT)
		return "Barnkontakt";
	if (strcmp(b->kind, "bmm") == 0)
		return b->source == BK_PLACEMENT ? "barnmorska" : "verksamhetschef, barnmorskemottagning";
	if (strcmp(b->kind, "bvc") == 0)
		return b->source == BK_PLACEMENT ? "BVC-sjuksköterska" : "verksamhetschef, BVC";
	if (strcmp(b->kind, "preschool") == 0)
		return "förskolerektor";
	if (strcmp(b->kind, "school") == 0)
		return "rektor";
	return "Barnkontakt";
}
