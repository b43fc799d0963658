/* testutil.h - small helpers shared by the cmocka tests: scratch directories,
 * files with given contents, and a fresh case database. Header-only. */
#ifndef BACKAD_TESTUTIL_H
#define BACKAD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"

/* A scratch directory removed by tu_rmdir(). */
static inline char *tu_mkdtemp(void)
{
	char tmpl[] = "/tmp/backad-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static inline void tu_rmdir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* Write text to dir/name; returns the malloc'd path. */
static inline char *tu_write(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* The PostgreSQL server the tests run against: BACKAD_TEST_PG holds a
 * libpq URI of its maintenance database (tests/lib.sh pg_start), else NULL
 * and the tests run on SQLite. */
static inline const char *tu_pg(void)
{
	const char *u = getenv("BACKAD_TEST_PG");

	return u && *u ? u : NULL;
}

/* Run sql on the test server's maintenance database (tu_pg). */
static inline void tu_pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(tu_pg());
	PGresult *res;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("PostgreSQL: %s", PQerrorMessage(c));
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

/* A libpq conninfo for database name on the test server (malloc'd). */
static inline char *tu_pg_conninfo(const char *name)
{
	PQconninfoOption *opts = PQconninfoParse(tu_pg(), NULL), *o;
	const char *host = "", *port = "", *user = "";
	char *conninfo = NULL;

	assert_non_null(opts);
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "user"))
			user = o->val;
	}
	assert_true(asprintf(&conninfo, "host=%s port=%s user=%s dbname=%s", host, port, user,
			     name) > 0);
	PQconninfoFree(opts);
	return conninfo;
}

/* On PostgreSQL: a new empty database on the test server, as a libpq
 * conninfo string (malloc'd). Each test gets its own. */
static inline char *tu_pg_new_database(void)
{
	static int seq;
	char name[64], sql[128];

	snprintf(name, sizeof name, "t_%ld_%d", (long)getpid(), ++seq);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	tu_pg_admin(sql);
	return tu_pg_conninfo(name);
}

/* A new case database at the current schema: dir/case.db on SQLite, a
 * database of its own on the test PostgreSQL (tu_pg); returns the handle. */
static inline struct dbi *tu_db(const char *dir)
{
	struct err e = { 0 };
	struct dbi *db = NULL;
	char *path = NULL;

	if (tu_pg())
		path = tu_pg_new_database();
	else
		assert_true(asprintf(&path, "%s/case.db", dir) > 0);
	if (db_open(path, DB_CREATE | DB_MIGRATE, &db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	free(path);
	return db;
}

/* Run fixture SQL (several statements); fails the test on error. On
 * PostgreSQL rows inserted with explicit ids leave the identity counters
 * behind, so each table's counter is then moved past its highest id, as
 * SQLite's rowid would be. */
static inline void tu_exec(struct dbi *db, const char *sql)
{
	static const char sync[] =
		"DO $$ DECLARE t record; BEGIN"
		" FOR t IN SELECT table_name FROM information_schema.columns"
		"  WHERE table_schema = current_schema() AND column_name = 'id'"
		"  AND is_identity = 'YES' LOOP"
		"  EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''),"
		"   coalesce((SELECT max(id) FROM %I), 0) + 1, false)', t.table_name, t.table_name);"
		" END LOOP; END $$";
	struct err e = { 0 };

	if (dbi_exec(db, sql, &e) < 0)
		fail_msg("%s: %s", sql, e.msg);
	if (dbi_backend(db) == DBI_PG && dbi_exec(db, sync, &e) < 0)
		fail_msg("identity counters: %s", e.msg);
}

/* path opened as a bare SQLite file (no pragmas, no schema check), owned. */
static inline struct dbi *tu_raw(const char *path)
{
	struct err e = { 0 };
	struct dbi *db = NULL;
	sqlite3 *sq = NULL;

	assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
	assert_int_equal(dbi_from_sqlite(sq, &db, &e), 0);
	dbi_own(db);
	return db;
}

/* One integer from a query, e.g. a count. */
static inline long long tu_int(struct dbi *db, const char *sql)
{
	struct err e = { 0 };
	struct dbi_stmt *st = NULL;
	long long v;

	if (dbi_prepare(db, sql, &st, &e) < 0 || dbi_step(st, &e) != DBI_ROW)
		fail_msg("%s: %s", sql, e.msg);
	v = dbi_column_int64(st, 0);
	dbi_finalize(st);
	return v;
}

#endif
