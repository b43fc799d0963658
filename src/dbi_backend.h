/* dbi_backend.h - what a database engine gives the dbi layer: one table of
 * operations (dbi_sqlite.c, dbi_pg.c); callers use dbi.h only. */
#ifndef BACKAD_DBI_BACKEND_H
#define BACKAD_DBI_BACKEND_H

#include "dbi.h"

struct dbi_ops {
	enum dbi_backend backend;
	int (*prepare)(struct dbi *db, const char *sql, struct dbi_stmt **st, struct err *e);
	int (*bind_int64)(struct dbi_stmt *st, int idx, long long v);
	int (*bind_text)(struct dbi_stmt *st, int idx, const char *s);
	int (*bind_null)(struct dbi_stmt *st, int idx);
	int (*step)(struct dbi_stmt *st, struct err *e);
	long long (*column_int64)(struct dbi_stmt *st, int col);
	double (*column_double)(struct dbi_stmt *st, int col);
	const char *(*column_text)(struct dbi_stmt *st, int col);
	int (*column_is_null)(struct dbi_stmt *st, int col);
	int (*column_count)(struct dbi_stmt *st);
	void (*reset)(struct dbi_stmt *st);
	void (*finalize)(struct dbi_stmt *st);
	long long (*changes)(struct dbi *db);
	int (*exec)(struct dbi *db, const char *sql, struct err *e);
	const char *begin_sql; /* the engine's dbi_begin */
	int (*begin_batch)(struct dbi *db, struct err *e); /* NULL: dbi_begin */
	int (*in_transaction)(struct dbi *db);
	void (*free)(struct dbi *db);
	void *(*handle)(struct dbi *db); /* sqlite3 * or PGconn * */
};

/* The first member of each engine's connection and statement. */
struct dbi {
	const struct dbi_ops *ops;
	int owned; /* dbi_free closes the engine's handle (dbi_own) */
};

struct dbi_stmt {
	struct dbi *db;
};

extern const struct dbi_ops dbi_sqlite_ops;
extern const struct dbi_ops dbi_pg_ops;

/* "statement \"first words\"" for error lines: what failed, never values. */
void dbi_stmt_name(const char *sql, char *buf, size_t size);

#endif
