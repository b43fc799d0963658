/* pg_migrate.h - copying a SQLite case database into PostgreSQL (COPY),
 * and verifying the two hold the same rows (backactl migrate-to). */
#ifndef BACKAD_PG_MIGRATE_H
#define BACKAD_PG_MIGRATE_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "err.h"

/* What one table came to: its rows and the SHA-256 (hex) of their
 * canonical text form in key order, the same on both sides. */
struct pg_table_result {
	const char *table;
	long long rows;
	char sha256[65];
};

typedef void pg_table_cb(void *ctx, const struct pg_table_result *t);

/* Copy every table of src (schema current) into dst in one transaction:
 * the schema is created when dst has none; a dst that holds any row (but
 * the facts counters of a fresh init) is refused. Identity counters are
 * set past the largest ids, then every table is verified; any error or
 * difference rolls all of it back. done (may be NULL) is called per table
 * verified. */
int pg_migrate_copy(sqlite3 *src, PGconn *dst, pg_table_cb *done, void *ctx, struct err *e);

/* Verify only: the same comparison of every table, read-only. A
 * difference is ERR_INVALID naming the table and the first differing key. */
int pg_migrate_verify(sqlite3 *src, PGconn *dst, pg_table_cb *done, void *ctx, struct err *e);

#endif
