/* db.c - opening, migrating and talking to the case database. */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "pg_conn.h"
#include "schema.h"

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

int db_exec(sqlite3 *db, const char *sql, struct err *e)
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

int db_begin(sqlite3 *db, struct err *e)
{
	return db_exec(db, "BEGIN IMMEDIATE", e);
}

int db_commit(sqlite3 *db, struct err *e)
{
	return db_exec(db, "COMMIT", e);
}

void db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s || !*s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

int db_user_version(sqlite3 *db, struct err *e)
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

int db_migrate(sqlite3 *db, int target, struct err *e)
{
	char pragma[64];
	int v, r;

	if (target < 1 || target > schema_version())
		return err_set(e, ERR_INVALID, "no schema version %d", target);
	r = db_begin(db, e);
	if (r < 0)
		return r;
	v = db_user_version(db, e);
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
		r = db_exec(db, schema_migration(v + 1), e);
		if (r < 0) {
			err_prefix(e, "migration to schema version %d", v + 1);
			goto fail;
		}
	}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
	r = db_exec(db, pragma, e);
	if (r < 0)
		goto fail;
	return db_commit(db, e);
fail:
	db_rollback(db);
	return r;
}

static int db_check_version(sqlite3 *db, struct err *e)
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
	r = db_exec(db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -16384;"
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
	return db_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", e);
}

int db_open(const char *path, int flags, sqlite3 **out, struct err *e)
{
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	int rc, r;

	*out = NULL;
	if (db_backend_of(path) == DB_BACKEND_POSTGRESQL) {
		char what[400];

		pg_describe(path, what, sizeof what);
		return err_set(e, ERR_INVALID, "%s: backad does not yet run on PostgreSQL (backactl "
			       "init and migrate-to do)", what);
	}
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
	if (flags & DB_MIGRATE)
		r = db_migrate(db, schema_version(), e);
	else
		r = db_check_version(db, e);
	if (r < 0)
		goto fail_path;
	*out = db;
	return 0;
fail_path:
	err_prefix(e, "%s", path);
fail:
	sqlite3_close(db);
	return r;
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

int db_lookup_id(sqlite3 *db, const char *table, const char *column,
		 const char *value, long long *id, struct err *e)
{
	char sql[160];
	sqlite3_stmt *st = NULL;
	int r, rc;

	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1", table, column);
	r = db_prepare(db, sql, &st, e);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		r = 0;
	} else if (rc == SQLITE_DONE) {
		r = unknown(table, value, e);
	} else {
		r = db_fail(db, rc, "database", e);
	}
	sqlite3_finalize(st);
	return r;
}
