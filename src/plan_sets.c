/* plan_sets.c - the planning pass's in-memory sets as its closing SQL reads
 * them, on SQLite through a function and on PostgreSQL through temporary
 * tables (src/plan_sets.h). */
#include "plan_sets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "keyset.h"
#include "plan.h"
#include "strbuf.h"

/* The temporary table of each set SQL reads on PostgreSQL (NULL: none). */
static const char *const table[PLAN_SETS] = {
	[PLAN_SUBJ] = "plan_set_subj",
	[PLAN_WOKE] = "plan_set_woke",
	[PLAN_SEEN] = "plan_set_seen",
	[PLAN_TASK_SEEN] = "plan_set_task_seen",
};

const char *plan_sets_id_type(struct dbi *db)
{
	return dbi_backend(db) == DBI_PG ? "BIGINT" : "INTEGER";
}

int plan_temp_create(struct dbi *db, const char *probe, const char *create, struct err *e)
{
	struct dbi_stmt *q = NULL;
	char sql[128];
	int r;

	if (dbi_backend(db) != DBI_PG)
		return dbi_exec(db, create, e);
	snprintf(sql, sizeof sql, "SELECT to_regclass('pg_temp.%s') IS NOT NULL", probe);
	r = dbi_prepare(db, sql, &q, e);
	if (r == 0 && (r = dbi_step(q, e)) == DBI_ROW)
		r = dbi_column_int(q, 0);
	dbi_finalize(q);
	if (r < 0)
		return r;
	return r == 1 ? 0 : dbi_exec(db, create, e);
}

/* plan_has() is registered once per SQLite connection and stays: defining
 * a function again expires every statement prepared on the connection,
 * which then parses its SQL again (dbi_sqlite.c keeps statements prepared
 * from pass to pass). Its user data is the connection's cell, pointing at
 * the pass under way; SQLite frees the cell (and it leaves this list) when
 * the connection closes. */
struct has_cell {
	struct has_cell *next;
	sqlite3 *db;
	const struct planner *p; /* the pass under way, or NULL */
};

static struct has_cell *cells;

static void cell_drop(void *arg)
{
	for (struct has_cell **c = &cells; *c; c = &(*c)->next)
		if (*c == arg) {
			*c = (*c)->next;
			break;
		}
	free(arg);
}

static struct has_cell *cell_of(sqlite3 *db)
{
	struct has_cell *c;

	for (c = cells; c && c->db != db; c = c->next)
		;
	return c;
}

/* plan_has(SET, KEY): whether KEY is in the pass's set SET. */
static void sql_plan_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct has_cell *c = sqlite3_user_data(ctx);
	int set = sqlite3_value_int(argv[0]);
	const char *key = (const char *)sqlite3_value_text(argv[1]);

	(void)argc;
	if (!c->p || set < 0 || set >= PLAN_SETS) {
		sqlite3_result_error(ctx, "plan_has: no such set", -1);
		return;
	}
	sqlite3_result_int(ctx, key && keyset_has(c->p->sets[set], key));
}

int plan_sets_open(struct planner *p, struct err *e)
{
	sqlite3 *sq = dbi_sqlite(p->db);
	char sql[256];
	int r = 0;

	if (sq) {
		struct has_cell *c = cell_of(sq);

		if (!c) {
			if (!(c = calloc(1, sizeof *c)))
				return err_set(e, ERR_NOMEM, "out of memory");
			c->db = sq;
			c->next = cells;
			cells = c;
			/* On failure SQLite has called cell_drop() already. */
			if (sqlite3_create_function_v2(sq, "plan_has", 2, SQLITE_UTF8, c,
						       sql_plan_has, NULL, NULL,
						       cell_drop) != SQLITE_OK)
				return err_set(e, ERR_DB, "plan_has: %s", sqlite3_errmsg(sq));
		}
		c->p = p;
		return 0;
	}
	for (int i = 0; r == 0 && i < PLAN_SETS; i++) {
		if (!table[i])
			continue;
		snprintf(sql, sizeof sql,
			 "CREATE TEMP TABLE IF NOT EXISTS %s(plan_key TEXT PRIMARY KEY)", table[i]);
		r = plan_temp_create(p->db, table[i], sql, e);
		snprintf(sql, sizeof sql, "DELETE FROM temp.%s", table[i]);
		if (r == 0)
			r = dbi_exec(p->db, sql, e);
	}
	return r;
}

void plan_sets_close(struct planner *p)
{
	struct has_cell *c = cell_of(dbi_sqlite(p->db));

	if (c)
		c->p = NULL;
}

/* A set's keys on their way into its table: up to PLAN_SETS_BATCH bound to
 * a multi-row INSERT at a time. */
struct fill {
	struct dbi *db;
	const char *table;
	struct dbi_stmt *full;   /* INSERT of PLAN_SETS_BATCH rows, prepared once */
	int n;                   /* keys bound so far */
	const char *keys[PLAN_SETS_BATCH]; /* the keys bound (the set's own memory) */
	struct err *e;
};

/* The INSERT of n rows into the fill's table. */
static int prepare_insert(struct fill *f, int n, struct dbi_stmt **st)
{
	struct strbuf sb = { 0 };
	char row[24];
	int r;

	r = sb_printf(&sb, "INSERT INTO temp.%s(plan_key) VALUES ", f->table);
	for (int i = 1; r == 0 && i <= n; i++) {
		snprintf(row, sizeof row, "%s(?%d)", i > 1 ? "," : "", i);
		r = sb_add(&sb, row, strlen(row));
	}
	if (r < 0) {
		sb_free(&sb);
		return err_set(f->e, ERR_NOMEM, "out of memory");
	}
	r = dbi_prepare(f->db, sb.s, st, f->e);
	sb_free(&sb);
	return r;
}

/* Insert the n keys bound: through the prepared batch when it is full,
 * else (the set's last keys) through an INSERT of their own. */
static int flush(struct fill *f)
{
	struct dbi_stmt *st = f->full, *own = NULL;
	int r = 0;

	if (!f->n)
		return 0;
	if (f->n < PLAN_SETS_BATCH || !st)
		r = prepare_insert(f, f->n, f->n < PLAN_SETS_BATCH ? &own : &f->full);
	if (r < 0)
		return r;
	st = own ? own : f->full;
	for (int i = 0; r == 0 && i < f->n; i++)
		r = dbi_bind_text(st, i + 1, f->keys[i]);
	if (r == 0 && (r = dbi_step(st, f->e)) == DBI_DONE)
		r = 0;
	else if (r >= 0)
		r = err_set(f->e, ERR_DB, "%s: a row where none was expected", f->table);
	dbi_reset(st);
	dbi_finalize(own);
	f->n = 0;
	return r;
}

static int add_key(void *ctx, const char *key)
{
	struct fill *f = ctx;

	f->keys[f->n++] = key;
	return f->n == PLAN_SETS_BATCH ? flush(f) : 0;
}

int plan_sets_publish(struct planner *p, struct err *e)
{
	char sql[128];
	int r = 0;

	if (dbi_backend(p->db) != DBI_PG)
		return 0;
	for (int i = 0; r == 0 && i < PLAN_SETS; i++) {
		struct fill *f;

		if (!table[i] || !p->sets[i])
			continue;
		if (!(f = calloc(1, sizeof *f)))
			return err_set(e, ERR_NOMEM, "out of memory");
		*f = (struct fill){ .db = p->db, .table = table[i], .e = e };
		r = keyset_each(p->sets[i], add_key, f);
		if (r == 0)
			r = flush(f);
		dbi_finalize(f->full);
		free(f);
		/* Fresh statistics: the closing statements join against it. */
		snprintf(sql, sizeof sql, "ANALYZE temp.%s", table[i]);
		if (r == 0)
			r = dbi_exec(p->db, sql, e);
	}
	return r;
}

void plan_sets_has(const struct planner *p, int set, const char *expr, char *buf, size_t n)
{
	if (dbi_backend(p->db) == DBI_PG)
		snprintf(buf, n, "EXISTS (SELECT 1 FROM temp.%s WHERE plan_key = %s)", table[set],
			 expr);
	else
		snprintf(buf, n, "plan_has(%d, %s)", set, expr);
}
