/* test_schema.c - migrations: empty and older databases reach the current
 * version, a newer one is refused, a failed migration changes nothing. */
#include "testutil.h"

#include "schema.h"

static char *db_path(const char *dir)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/case.db", dir) > 0);
	return p;
}

static void empty_db_reaches_current(void **state)
{
	char *dir = tu_mkdtemp(), *path = db_path(dir);
	struct err e = { 0 };
	struct dbi *db = NULL;

	(void)state;
	assert_int_equal(db_open(path, DB_CREATE | DB_MIGRATE, &db, &e), 0);
	assert_int_equal(db_user_version(db, &e), schema_version());
	assert_int_equal(tu_int(db, "SELECT count(*) FROM sqlite_master WHERE name='outbox'"), 1);
	assert_int_equal(tu_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(tu_int(db, "PRAGMA synchronous"), 2);
	db_close(db);
	free(path);
	tu_rmdir(dir);
}

static void before_digests_reaches_current(void **state)
{
	char *dir = tu_mkdtemp(), *path = db_path(dir);
	struct err e = { 0 };
	struct dbi *db = NULL;

	(void)state;
	/* Build a database of version 6 (before digests and acknowledgements:
	 * the migrations since rebuild unit_role), with rows that must survive. */
	db = tu_raw(path);
	assert_int_equal(db_migrate(db, 6, &e), 0);
	assert_int_equal(db_user_version(db, &e), 6);
	assert_int_equal(db_exec(db, "INSERT INTO unit(code,kind,name,municipality)"
				 " VALUES ('U1','school','Skolan','Ystad');"
				 "INSERT INTO staff(id,code,name) VALUES (7,'s7','Sara');"
				 "INSERT INTO unit_role(id,unit_id,role,staff_id,start_date)"
				 " VALUES (5,1,'principal',7,'2020-01-01')", &e), 0);
	db_close(db);

	/* Opening without migration refuses the old version... */
	assert_int_equal(db_open(path, 0, &db, &e), ERR_VERSION);
	assert_non_null(strstr(e.msg, "backactl init"));
	assert_null(db);
	/* ...and with migration brings it up to date, data intact. */
	assert_int_equal(db_open(path, DB_MIGRATE, &db, &e), 0);
	assert_int_equal(db_user_version(db, &e), schema_version());
	assert_int_equal(tu_int(db, "SELECT count(*) FROM unit WHERE code='U1'"), 1);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM sqlite_master"
				    " WHERE name='barnkontakt_known'"), 1);
	/* Version 7 rebuilt unit_role: its row, id, indexes and triggers kept,
	 * and a coordinator may be recorded. */
	assert_int_equal(tu_int(db, "SELECT count(*) FROM unit_role WHERE id=5 AND staff_id=7"), 1);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM sqlite_master WHERE tbl_name='unit_role'"
				    " AND type IN ('index','trigger')"), 2 + 3 + 3 + 4);
	assert_int_equal(db_exec(db, "DELETE FROM fact_change;"
				 "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
				 " VALUES (1,'coordinator',7,'2026-01-01')", &e), 0);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM fact_change WHERE kind='unit'"
				    " AND ref_id=1"), 1);
	assert_int_not_equal(db_exec(db, "UPDATE unit_role SET end_date='2026-13-01' WHERE id=5",
				     &e), 0);
	db_close(db);
	free(path);
	tu_rmdir(dir);
}

static void newer_db_refused(void **state)
{
	char *dir = tu_mkdtemp(), *path = db_path(dir);
	struct err e = { 0 };
	struct dbi *db = NULL;
	char sql[64];

	(void)state;
	db = tu_raw(path);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", schema_version() + 1);
	assert_int_equal(db_exec(db, sql, &e), 0);
	db_close(db);
	db = NULL;

	assert_int_equal(db_open(path, 0, &db, &e), ERR_VERSION);
	assert_non_null(strstr(e.msg, "newer than this program"));
	assert_null(db);
	assert_int_equal(db_open(path, DB_MIGRATE, &db, &e), ERR_VERSION);
	assert_null(db);
	free(path);
	tu_rmdir(dir);
}

static void failed_migration_changes_nothing(void **state)
{
	char *dir = tu_mkdtemp(), *path = db_path(dir);
	struct err e = { 0 };
	struct dbi *db = NULL;

	(void)state;
	/* A table in the way of migration 2 makes it fail half-way. */
	db = tu_raw(path);
	assert_int_equal(db_migrate(db, 1, &e), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE audit(x)", &e), 0);
	assert_true(db_migrate(db, schema_version(), &e) < 0);
	assert_non_null(strstr(e.msg, "migration to schema version 2"));
	assert_int_equal(db_user_version(db, &e), 1);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM sqlite_master WHERE name='task'"), 0);
	db_close(db);
	free(path);
	tu_rmdir(dir);
}

static void missing_file_without_create(void **state)
{
	char *dir = tu_mkdtemp(), *path = db_path(dir);
	struct err e = { 0 };
	struct dbi *db = NULL;

	(void)state;
	assert_int_equal(db_open(path, 0, &db, &e), ERR_IO);
	assert_non_null(strstr(e.msg, path));
	free(path);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_db_reaches_current),
		cmocka_unit_test(before_digests_reaches_current),
		cmocka_unit_test(newer_db_refused),
		cmocka_unit_test(failed_migration_changes_nothing),
		cmocka_unit_test(missing_file_without_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
