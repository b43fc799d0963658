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

/* A new case database at the current schema in dir; returns the handle. */
static inline struct dbi *tu_db(const char *dir)
{
	struct err e = { 0 };
	struct dbi *db = NULL;
	char *path = NULL;

	assert_true(asprintf(&path, "%s/case.db", dir) > 0);
	if (db_open(path, DB_CREATE | DB_MIGRATE, &db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	free(path);
	return db;
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
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(DB_SQ(db), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
