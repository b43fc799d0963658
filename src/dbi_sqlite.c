/* dbi_sqlite.c - the dbi layer on an open sqlite3 connection: each call is
 * the sqlite3_* call it stands for, behind one indirect call; a finalized
 * statement (and the statements of an exec) stays prepared for the next
 * use of the same SQL. */
#include "dbi_backend.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Statements kept prepared per connection, the least recently used
 * finalized beyond. A planning pass prepares some 60 statements and runs
 * some 20 more through exec, the same every pass: parsing them was a third
 * of a pass after a change. */
#define SL_KEPT 256
/* An exec text of more statements is not kept (a schema migration). */
#define SL_EXEC_MAX 32

/* The SQL of a kept statement (prepare: one statement, whose text SQLite
 * keeps; exec: the text as given and each of its statements in order). */
struct sl_kept {
	uint64_t hash;
	char *exec_sql;         /* exec only: a copy of the text */
	int n;                  /* statements */
	sqlite3_stmt *one;      /* prepare: the statement */
	sqlite3_stmt **list;    /* exec: n statements */
};

struct sl_db {
	struct dbi base;
	sqlite3 *db;
	struct sl_kept kept[SL_KEPT]; /* most recently used first */
	int nkept;
};

struct sl_stmt {
	struct dbi_stmt base;
	sqlite3_stmt *st;
};

#define SL_DB(d) ((struct sl_db *)(d))
#define SL_ST(s) (((struct sl_stmt *)(s))->st)

static int sl_fail(sqlite3 *db, int rc, const char *sql, struct err *e)
{
	char name[80];
	int code = ERR_DB;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = ERR_BUSY;
	else if (rc == SQLITE_NOMEM)
		code = ERR_NOMEM;
	dbi_stmt_name(sql ? sql : "", name, sizeof name);
	return err_set(e, code, "statement \"%s\": %s", name, sqlite3_errmsg(db));
}

static uint64_t sl_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void kept_free(struct sl_kept *k)
{
	sqlite3_finalize(k->one);
	for (int i = 0; i < k->n && k->list; i++)
		sqlite3_finalize(k->list[i]);
	free(k->list);
	free(k->exec_sql);
}

/* Take the kept statement(s) of sql (exec: an exec's) out of the cache into
 * *out: 1, or 0 when none is kept. */
static int kept_take(struct sl_db *d, const char *sql, uint64_t h, int exec,
		     struct sl_kept *out)
{
	for (int i = 0; i < d->nkept; i++) {
		struct sl_kept *k = &d->kept[i];

		if (k->hash != h || !k->exec_sql != !exec ||
		    strcmp(exec ? k->exec_sql : sqlite3_sql(k->one), sql) != 0)
			continue;
		*out = *k;
		memmove(k, k + 1, (size_t)(d->nkept - i - 1) * sizeof *k);
		d->nkept--;
		return 1;
	}
	return 0;
}

/* Keep k as the most recently used, finalizing the least recently used
 * when the cache is full. */
static void kept_put(struct sl_db *d, const struct sl_kept *k)
{
	if (d->nkept == SL_KEPT)
		kept_free(&d->kept[--d->nkept]);
	memmove(&d->kept[1], &d->kept[0], (size_t)d->nkept * sizeof d->kept[0]);
	d->kept[0] = *k;
	d->nkept++;
}

static int sl_prepare(struct dbi *d, const char *sql, struct dbi_stmt **out, struct err *e)
{
	sqlite3 *db = SL_DB(d)->db;
	struct sl_stmt *s = malloc(sizeof *s);
	struct sl_kept k;
	int rc;

	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->base.db = d;
	if (kept_take(SL_DB(d), sql, sl_hash(sql), 0, &k)) {
		s->st = k.one;
		*out = &s->base;
		return 0;
	}
	rc = sqlite3_prepare_v2(db, sql, -1, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return sl_fail(db, rc, sql, e);
	}
	*out = &s->base;
	return 0;
}

static int sl_bind_rc(int rc)
{
	if (rc == SQLITE_OK)
		return 0;
	return rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_INVALID;
}

static int sl_bind_int64(struct dbi_stmt *st, int idx, long long v)
{
	return sl_bind_rc(sqlite3_bind_int64(SL_ST(st), idx, v));
}

static int sl_bind_text(struct dbi_stmt *st, int idx, const char *s)
{
	return sl_bind_rc(sqlite3_bind_text(SL_ST(st), idx, s, -1, SQLITE_TRANSIENT));
}

static int sl_bind_null(struct dbi_stmt *st, int idx)
{
	return sl_bind_rc(sqlite3_bind_null(SL_ST(st), idx));
}

static int sl_step(struct dbi_stmt *st, struct err *e)
{
	int rc = sqlite3_step(SL_ST(st));

	if (rc == SQLITE_ROW)
		return DBI_ROW;
	if (rc == SQLITE_DONE)
		return DBI_DONE;
	return sl_fail(SL_DB(st->db)->db, rc, sqlite3_sql(SL_ST(st)), e);
}

static long long sl_column_int64(struct dbi_stmt *st, int col)
{
	return sqlite3_column_int64(SL_ST(st), col);
}

static double sl_column_double(struct dbi_stmt *st, int col)
{
	return sqlite3_column_double(SL_ST(st), col);
}

static const char *sl_column_text(struct dbi_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(SL_ST(st), col);
}

static int sl_column_is_null(struct dbi_stmt *st, int col)
{
	return sqlite3_column_type(SL_ST(st), col) == SQLITE_NULL;
}

static int sl_column_count(struct dbi_stmt *st)
{
	return sqlite3_column_count(SL_ST(st));
}

static void sl_reset(struct dbi_stmt *st)
{
	sqlite3_reset(SL_ST(st));
}

/* Reset and unbound, the statement waits for the next prepare of its SQL
 * (a statement of no SQL, from a text of only comments, is just freed). */
static void sl_finalize(struct dbi_stmt *st)
{
	sqlite3_stmt *q = SL_ST(st);
	const char *sql = q ? sqlite3_sql(q) : NULL;

	if (sql) {
		struct sl_kept k = { .hash = sl_hash(sql), .n = 1, .one = q };

		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		kept_put(SL_DB(st->db), &k);
	} else {
		sqlite3_finalize(q);
	}
	free(st);
}

static long long sl_changes(struct dbi *d)
{
	return sqlite3_changes(SL_DB(d)->db);
}

/* Run q to its end, as sqlite3_exec runs each statement; reset after. */
static int run_one(sqlite3_stmt *q)
{
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		;
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Prepare and run the statements of sql one after another (a later one may
 * name a table an earlier one creates), collecting them into k. */
static int exec_first(sqlite3 *db, const char *sql, struct sl_kept *k)
{
	const char *tail = sql;
	int rc = SQLITE_OK;

	while (rc == SQLITE_OK && tail && *tail) {
		sqlite3_stmt *q = NULL, **v;

		rc = sqlite3_prepare_v2(db, tail, -1, &q, &tail);
		if (rc != SQLITE_OK || !q)
			break; /* an error, or only white space and comments left */
		v = realloc(k->list, (size_t)(k->n + 1) * sizeof *v);
		if (!v) {
			sqlite3_finalize(q);
			return SQLITE_NOMEM;
		}
		k->list = v;
		k->list[k->n++] = q;
		rc = run_one(q);
	}
	return rc;
}

static int sl_exec(struct dbi *d, const char *sql, struct err *e)
{
	sqlite3 *db = SL_DB(d)->db;
	uint64_t h = sl_hash(sql);
	struct sl_kept k = { 0 };
	int rc = SQLITE_OK;

	if (kept_take(SL_DB(d), sql, h, 1, &k)) {
		for (int i = 0; rc == SQLITE_OK && i < k.n; i++)
			rc = run_one(k.list[i]);
	} else {
		k.hash = h;
		rc = exec_first(db, sql, &k);
		if (rc == SQLITE_OK && !(k.exec_sql = strdup(sql)))
			rc = SQLITE_NOMEM;
	}
	if (rc == SQLITE_OK && k.n > SL_EXEC_MAX) {
		kept_free(&k); /* a migration: run once */
		return 0;
	}
	if (rc == SQLITE_OK) {
		kept_put(SL_DB(d), &k);
		return 0;
	}
	/* Not kept: the error may be the text's own. The message is read
	 * before the statements go (finalizing one may clear it). */
	rc = sl_fail(db, rc, sql, e);
	kept_free(&k);
	return rc;
}

static int sl_in_transaction(struct dbi *d)
{
	return !sqlite3_get_autocommit(SL_DB(d)->db);
}

static void sl_free(struct dbi *d)
{
	for (int i = 0; i < SL_DB(d)->nkept; i++)
		kept_free(&SL_DB(d)->kept[i]);
	if (d->owned)
		sqlite3_close(SL_DB(d)->db);
	free(d);
}

static void *sl_handle(struct dbi *d)
{
	return SL_DB(d)->db;
}

const struct dbi_ops dbi_sqlite_ops = {
	.backend = DBI_SQLITE,
	.prepare = sl_prepare,
	.bind_int64 = sl_bind_int64,
	.bind_text = sl_bind_text,
	.bind_null = sl_bind_null,
	.step = sl_step,
	.column_int64 = sl_column_int64,
	.column_double = sl_column_double,
	.column_text = sl_column_text,
	.column_is_null = sl_column_is_null,
	.column_count = sl_column_count,
	.reset = sl_reset,
	.finalize = sl_finalize,
	.changes = sl_changes,
	.exec = sl_exec,
	.begin_sql = "BEGIN IMMEDIATE",
	.in_transaction = sl_in_transaction,
	.free = sl_free,
	.handle = sl_handle,
};

int dbi_from_sqlite(sqlite3 *db, struct dbi **out, struct err *e)
{
	struct sl_db *d = malloc(sizeof *d);

	*out = NULL;
	if (!d)
		return err_set(e, ERR_NOMEM, "out of memory");
	d->base.ops = &dbi_sqlite_ops;
	d->base.owned = 0;
	d->db = db;
	d->nkept = 0;
	*out = &d->base;
	return 0;
}
