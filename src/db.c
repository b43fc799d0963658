/* db.c - opening, migrating and talking to the case database. */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "pg_conn.h"
#include "schema.h"
#include "schema_pg.h"

int db_fail(sqlite3 *db, int rc, const char *what, struct err *e)
{
	int code = ERR_DB;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = ERR_BUSY;
	if (rc == SQLITE_NOMEM)
		code = ERR_NOMEM;
	return err_set(e, code, "%s: %s", what,
		       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int db_exec(struct dbi *db, const char *sql, struct err *e)
{
	return dbi_exec(db, sql, e);
}

static int sq_exec(sqlite3 *db, const char *sql, struct err *e)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_fail(db, rc, "database", e);
	return 0;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return db_fail(db, rc, "database", e);
	return 0;
}

int db_begin(struct dbi *db, struct err *e)
{
	return dbi_begin(db, e);
}

int db_commit(struct dbi *db, struct err *e)
{
	return dbi_commit(db, e);
}

void db_rollback(struct dbi *db)
{
	dbi_rollback(db);
}

int db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s || !*s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

static int sq_user_version(sqlite3 *db, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db, "PRAGMA user_version", &st, e);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(st, 0);
	else
		r = db_fail(db, rc, "reading the schema version", e);
	sqlite3_finalize(st);
	return r;
}

int db_user_version(struct dbi *db, struct err *e)
{
	if (dbi_backend(db) == DBI_PG)
		return schema_pg_db_version(dbi_pg(db), e);
	return sq_user_version(dbi_sqlite(db), e);
}

static int sq_migrate(sqlite3 *db, int target, struct err *e)
{
	char pragma[64];
	int v, r;

	if (target < 1 || target > schema_version())
		return err_set(e, ERR_INVALID, "no schema version %d", target);
	r = sq_exec(db, "BEGIN IMMEDIATE", e);
	if (r < 0)
		return r;
	v = sq_user_version(db, e);
	if (v < 0) {
		r = v;
		goto fail;
	}
	if (v > schema_version()) {
		r = err_set(e, ERR_VERSION,
			    "database schema version %d is newer than this program (%d); "
			    "upgrade backad", v, schema_version());
		goto fail;
	}
	for (; v < target; v++) {
		r = sq_exec(db, schema_migration(v + 1), e);
		if (r < 0) {
			err_prefix(e, "migration to schema version %d", v + 1);
			goto fail;
		}
	}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
	r = sq_exec(db, pragma, e);
	if (r < 0)
		goto fail;
	return sq_exec(db, "COMMIT", e);
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int db_migrate(struct dbi *db, int target, struct err *e)
{
	int created;

	if (dbi_backend(db) == DBI_SQLITE)
		return sq_migrate(dbi_sqlite(db), target, e);
	if (target != schema_version())
		return err_set(e, ERR_INVALID, "a PostgreSQL database is migrated to the current "
			       "schema version only (%d)", schema_version());
	return schema_pg_init(dbi_pg(db), &created, e);
}

static int db_check_version(struct dbi *db, struct err *e)
{
	int v = db_user_version(db, e);

	if (v < 0)
		return v;
	if (v > schema_version())
		return err_set(e, ERR_VERSION,
			       "database schema version %d is newer than this program (%d); "
			       "upgrade backad", v, schema_version());
	if (v < schema_version())
		return err_set(e, ERR_VERSION,
			       "database schema version %d is older than this program (%d); "
			       "run 'backactl init' to migrate it", v, schema_version());
	return 0;
}

static int db_pragmas(sqlite3 *db, int flags, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r;

	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	/* The planner's per-pass tables go to a temporary file with 8 MB of
	 * cache (a full pass over a large region would hold hundreds of MB of
	 * them in memory); 16 MB of page cache keeps a large database's
	 * indexes from being read again each pass. */
	r = sq_exec(db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -16384;"
			    " PRAGMA temp.cache_size = -8192;", e);
	if (r < 0)
		return r;
	/* A reader finds the journal mode in the file; it cannot set one. */
	if (flags & DB_READONLY)
		return 0;
	/* journal_mode returns a row; the others do not. */
	r = db_prepare(db, "PRAGMA journal_mode = WAL", &st, e);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		r = err_set(e, ERR_DB, "cannot switch the database to WAL mode");
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return sq_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", e);
}

static int open_sqlite(const char *path, int flags, struct dbi **out, struct err *e)
{
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	struct dbi *d = NULL;
	int rc, r;

	if (flags & DB_READONLY) {
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
		flags &= ~(DB_CREATE | DB_MIGRATE);
	}
	if (flags & DB_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = err_set(e, rc == SQLITE_CANTOPEN ? ERR_IO : ERR_DB,
			    "%s: cannot open the case database: %s", path,
			    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 0);
	r = db_pragmas(db, flags, e);
	if (r < 0)
		goto fail_path;
	r = dbi_from_sqlite(db, &d, e);
	if (r < 0)
		goto fail;
	dbi_own(d);
	db = NULL;
	if (flags & DB_MIGRATE)
		r = db_migrate(d, schema_version(), e);
	else
		r = db_check_version(d, e);
	if (r < 0)
		goto fail_path;
	*out = d;
	return 0;
fail_path:
	err_prefix(e, "%s", path);
fail:
	dbi_free(d);
	sqlite3_close(db);
	return r;
}

static int open_pg(const struct config *cfg, const char *conninfo, int flags,
		   struct dbi **out, struct err *e)
{
	PGconn *pg = NULL;
	struct dbi *d = NULL;
	char what[400];
	int r;

	r = pg_connect(cfg, conninfo, &pg, e);
	if (r < 0)
		return r;
	r = dbi_from_pg(pg, &d, e);
	if (r < 0) {
		PQfinish(pg);
		return r;
	}
	dbi_own(d);
	if (flags & DB_MIGRATE)
		r = db_migrate(d, schema_version(), e);
	else
		r = db_check_version(d, e);
	if (r < 0) {
		pg_describe(conninfo, what, sizeof what);
		err_prefix(e, "%s", what);
		dbi_free(d);
		return r;
	}
	*out = d;
	return 0;
}

int db_open_cfg(const struct config *cfg, int flags, struct dbi **out, struct err *e)
{
	*out = NULL;
	if (db_backend_of(cfg->database) == DB_BACKEND_POSTGRESQL)
		return open_pg(cfg, cfg->database, flags, out, e);
	return open_sqlite(cfg->database, flags, out, e);
}

int db_open(const char *database, int flags, struct dbi **out, struct err *e)
{
	*out = NULL;
	if (db_backend_of(database) == DB_BACKEND_POSTGRESQL)
		return open_pg(NULL, database, flags, out, e);
	return open_sqlite(database, flags, out, e);
}

void db_close(struct dbi *db)
{
	dbi_free(db);
}

/* "unknown ..." in words of the reader's language, not a table name. */
static int unknown(const char *table, const char *value, struct err *e)
{
	if (strcmp(table, "child") == 0)
		return err_set(e, ERR_NOTFOUND, "unknown child '%s'", value);
	if (strcmp(table, "staff") == 0)
		return err_set(e, ERR_NOTFOUND, "unknown staff '%s'", value);
	if (strcmp(table, "unit") == 0)
		return err_set(e, ERR_NOTFOUND, "unknown unit '%s'", value);
	return err_set(e, ERR_NOTFOUND, "unknown %s '%s'", table, value);
}

int db_lookup_id(struct dbi *db, const char *table, const char *column,
		 const char *value, long long *id, struct err *e)
{
	char sql[160];
	struct dbi_stmt *st = NULL;
	int r;

	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", table, column);
	r = dbi_prepare(db, sql, &st, e);
	if (r < 0)
		return r;
	dbi_bind_text(st, 1, value);
	r = dbi_step(st, e);
	if (r == DBI_ROW) {
		*id = dbi_column_int64(st, 0);
		r = 0;
	} else if (r == DBI_DONE) {
		r = unknown(table, value, e);
	}
	dbi_finalize(st);
	return r;
}
