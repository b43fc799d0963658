/* db.h - opening the case database: pragmas, busy timeout, schema migrations,
 * and small statement helpers that turn SQLite errors into struct err lines. */
#ifndef BACKAD_DB_H
#define BACKAD_DB_H

#include <sqlite3.h>

#include "dbi.h"
#include "err.h"

struct config;

enum {
	DB_CREATE = 1 << 0,  /* create the file when missing */
	DB_MIGRATE = 1 << 1, /* apply migrations up to the current version */
	DB_READONLY = 1 << 2, /* read only: no pragma writes, no migrations; for readers
			       * that may not write the file (members of group backad) */
};

/* Busy timeout for every connection, in milliseconds. */
#define DB_BUSY_TIMEOUT_MS 5000
/* backactl waits longer for the write lock than the daemon may: a full pass
 * over a large region holds it for tens of seconds, and a command that
 * records a fact should wait for it rather than fail. */
#define DB_CTL_BUSY_TIMEOUT_MS 120000

/* Open the case database named by database: a path opens SQLite with WAL,
 * foreign keys, synchronous=FULL and the busy timeout; a postgresql:// URI or
 * libpq conninfo connects to PostgreSQL (pg_connect: the password from
 * cfg's database_password_file when cfg is given, a credential or
 * PGPASSFILE). Without DB_MIGRATE the schema must be exactly current; a
 * database newer than this program is always refused (ERR_VERSION). *out is
 * owned by the caller, closed with db_close(). */
int db_open(const char *database, int flags, struct dbi **out, struct err *e);
int db_open_cfg(const struct config *cfg, int flags, struct dbi **out, struct err *e);
void db_close(struct dbi *db);

/* Apply migrations from the database's version up to target (1..current;
 * on PostgreSQL only the current one: schema_pg_init). All in one
 * transaction: on error nothing changes. */
int db_migrate(struct dbi *db, int target, struct err *e);

/* The database's schema version, or a negative code. */
int db_user_version(struct dbi *db, struct err *e);

/* Run SQL without results. */
int db_exec(struct dbi *db, const char *sql, struct err *e);
/* Prepare one statement on a bare SQLite handle (the source of migrate-to);
 * *st is finalized by the caller. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e);
/* Translate an SQLite result code into an error line naming what failed. */
int db_fail(sqlite3 *db, int rc, const char *what, struct err *e);

int db_begin(struct dbi *db, struct err *e); /* dbi_begin */
int db_commit(struct dbi *db, struct err *e);
void db_rollback(struct dbi *db);            /* safe to call when no transaction */

/* Bind text or NULL when s is NULL or empty. */
int db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s);

/* Look up the id of a row by its unique text column, e.g.
 * db_lookup_id(db, "staff", "code", "anna.l", &id). 0, ERR_NOTFOUND or ERR_DB. */
int db_lookup_id(struct dbi *db, const char *table, const char *column,
		 const char *value, long long *id, struct err *e);

#endif
