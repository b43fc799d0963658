/* dbi.c - the engine-neutral face of the statement layer: each call goes to
 * the connection's table of operations (dbi_backend.h). */
#include "dbi_backend.h"

#include <stdio.h>
#include <string.h>

enum dbi_backend dbi_backend(const struct dbi *db)
{
	return db->ops->backend;
}

void dbi_free(struct dbi *db)
{
	if (db)
		db->ops->free(db);
}

void dbi_own(struct dbi *db)
{
	db->owned = 1;
}

struct sqlite3 *dbi_sqlite(struct dbi *db)
{
	return db && db->ops->backend == DBI_SQLITE ? db->ops->handle(db) : NULL;
}

struct pg_conn *dbi_pg(struct dbi *db)
{
	return db && db->ops->backend == DBI_PG ? db->ops->handle(db) : NULL;
}

int dbi_prepare(struct dbi *db, const char *sql, struct dbi_stmt **st, struct err *e)
{
	*st = NULL;
	return db->ops->prepare(db, sql, st, e);
}

int dbi_bind_int64(struct dbi_stmt *st, int idx, long long v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int dbi_bind_text(struct dbi_stmt *st, int idx, const char *s)
{
	return st->db->ops->bind_text(st, idx, s);
}

int dbi_bind_null(struct dbi_stmt *st, int idx)
{
	return st->db->ops->bind_null(st, idx);
}

int dbi_step(struct dbi_stmt *st, struct err *e)
{
	return st->db->ops->step(st, e);
}

long long dbi_column_int64(struct dbi_stmt *st, int col)
{
	return st->db->ops->column_int64(st, col);
}

int dbi_column_int(struct dbi_stmt *st, int col)
{
	return (int)st->db->ops->column_int64(st, col);
}

double dbi_column_double(struct dbi_stmt *st, int col)
{
	return st->db->ops->column_double(st, col);
}

const char *dbi_column_text(struct dbi_stmt *st, int col)
{
	return st->db->ops->column_text(st, col);
}

int dbi_column_is_null(struct dbi_stmt *st, int col)
{
	return st->db->ops->column_is_null(st, col);
}

int dbi_column_count(struct dbi_stmt *st)
{
	return st->db->ops->column_count(st);
}

void dbi_reset(struct dbi_stmt *st)
{
	st->db->ops->reset(st);
}

void dbi_finalize(struct dbi_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

long long dbi_changes(struct dbi *db)
{
	return db->ops->changes(db);
}

int dbi_exec(struct dbi *db, const char *sql, struct err *e)
{
	return db->ops->exec(db, sql, e);
}

int dbi_begin(struct dbi *db, struct err *e)
{
	return db->ops->exec(db, db->ops->begin_sql, e);
}

int dbi_begin_batch(struct dbi *db, struct err *e)
{
	if (db->ops->begin_batch)
		return db->ops->begin_batch(db, e);
	return dbi_begin(db, e);
}

int dbi_commit(struct dbi *db, struct err *e)
{
	return db->ops->exec(db, "COMMIT", e);
}

void dbi_rollback(struct dbi *db)
{
	if (db->ops->in_transaction(db))
		db->ops->exec(db, "ROLLBACK", NULL);
}

int dbi_in_transaction(struct dbi *db)
{
	return db->ops->in_transaction(db);
}

void dbi_stmt_name(const char *sql, char *buf, size_t size)
{
	size_t n = 0, len, max = size < 64 ? size - 4 : 60;

	/* The first 60 bytes in whole UTF-8 characters, blanks folded. */
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	while (*sql) {
		unsigned char c = (unsigned char)*sql;

		len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n + len > max)
			break;
		if (c == '\n' || c == '\t' || c == ' ') {
			if (n == 0 || buf[n - 1] != ' ')
				buf[n++] = ' ';
			sql++;
			continue;
		}
		for (; len > 0 && *sql; len--)
			buf[n++] = *sql++;
	}
	buf[n] = '\0';
	if (*sql)
		strcat(buf, "...");
}
