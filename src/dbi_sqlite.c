/* dbi_sqlite.c - the dbi layer on an open sqlite3 connection: each call is
 * the sqlite3_* call it stands for, behind one indirect call. */
#include "dbi_backend.h"

#include <sqlite3.h>
#include <stdlib.h>

struct sl_db {
	struct dbi base;
	sqlite3 *db;
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

static int sl_prepare(struct dbi *d, const char *sql, struct dbi_stmt **out, struct err *e)
{
	sqlite3 *db = SL_DB(d)->db;
	struct sl_stmt *s = malloc(sizeof *s);
	int rc;

	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->base.db = d;
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

static void sl_finalize(struct dbi_stmt *st)
{
	sqlite3_finalize(SL_ST(st));
	free(st);
}

static long long sl_changes(struct dbi *d)
{
	return sqlite3_changes(SL_DB(d)->db);
}

static int sl_exec(struct dbi *d, const char *sql, struct err *e)
{
	int rc = sqlite3_exec(SL_DB(d)->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sl_fail(SL_DB(d)->db, rc, sql, e);
	return 0;
}

static int sl_in_transaction(struct dbi *d)
{
	return !sqlite3_get_autocommit(SL_DB(d)->db);
}

static void sl_free(struct dbi *d)
{
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
	*out = &d->base;
	return 0;
}
