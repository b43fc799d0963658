/* test_pg_conn.c - which backend a `database` value selects, the checks on
 * the PostgreSQL password file (owner, mode, content), and a connection
 * string that would put the password in the configuration refused at its
 * line. */
#include "testutil.h"

#include <sys/stat.h>

#include "pg_conn.h"

static void uris_and_conninfo_select_postgresql(void **state)
{
	(void)state;
	assert_int_equal(db_backend_of("postgresql://db.example/backad"), DB_BACKEND_POSTGRESQL);
	assert_int_equal(db_backend_of("postgres://u@h:5433/backad"), DB_BACKEND_POSTGRESQL);
	assert_int_equal(db_backend_of("postgresql:///backad?host=/run/pg"), DB_BACKEND_POSTGRESQL);
	assert_int_equal(db_backend_of("host=db.example dbname=backad"), DB_BACKEND_POSTGRESQL);
	assert_int_equal(db_backend_of("  dbname = backad"), DB_BACKEND_POSTGRESQL);
	assert_int_equal(db_backend_of("service=backad"), DB_BACKEND_POSTGRESQL);
}

static void paths_select_sqlite(void **state)
{
	(void)state;
	assert_int_equal(db_backend_of("/var/lib/backad/case.db"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of("case.db"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of("./dir=x/case.db"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of("file:case.db?mode=ro"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of("postgresql:/x"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of("my file.db"), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of(""), DB_BACKEND_SQLITE);
	assert_int_equal(db_backend_of(NULL), DB_BACKEND_SQLITE);
}

static void password_in_conninfo_refused(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_int_equal(pg_conninfo_check("postgresql://backad:s3cret@db/backad", &e),
			 ERR_INVALID);
	assert_non_null(strstr(e.msg, "database_password_file"));
	assert_null(strstr(e.msg, "s3cret"));
	assert_int_equal(pg_conninfo_check("host=db password=s3cret", &e), ERR_INVALID);
	assert_int_equal(pg_conninfo_check("host=db dbname=backad", &e), 0);
	assert_int_equal(pg_conninfo_check("postgresql://backad@db/backad", &e), 0);
	assert_int_equal(pg_conninfo_check("host=db dbname='unclosed", &e), ERR_INVALID);
}

static void describe_names_host_and_database_not_password(void **state)
{
	char buf[300];

	(void)state;
	pg_describe("postgresql://backad:s3cret@db.example:5433/cases", buf, sizeof buf);
	assert_non_null(strstr(buf, "cases"));
	assert_non_null(strstr(buf, "db.example"));
	assert_non_null(strstr(buf, "5433"));
	assert_null(strstr(buf, "s3cret"));
}

static void config_takes_password_file_and_refuses_password_in_database(void **state)
{
	char *dir = tu_mkdtemp(), *file;
	struct config *c = NULL;
	struct err e = { 0 };

	(void)state;
	file = tu_write(dir, "ok.conf", "database = \"host=db dbname=backad\";\n"
			"database_password_file = \"/etc/backad/db.password\";\n");
	assert_int_equal(config_load(file, &c, NULL, NULL, &e), 0);
	assert_string_equal(c->database_password_file, "/etc/backad/db.password");
	assert_int_equal(db_backend_of(c->database), DB_BACKEND_POSTGRESQL);
	config_free(c);
	free(file);
	file = tu_write(dir, "bad.conf", "# a comment\n"
			"database = \"postgresql://backad:s3cret@db/backad\";\n");
	assert_int_equal(config_load(file, &c, NULL, NULL, &e), ERR_INVALID);
	assert_null(c);
	assert_non_null(strstr(e.msg, "bad.conf:2: database: "));
	assert_non_null(strstr(e.msg, "holds a password"));
	assert_null(strstr(e.msg, "s3cret"));
	free(file);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uris_and_conninfo_select_postgresql),
		cmocka_unit_test(paths_select_sqlite),
		cmocka_unit_test(password_in_conninfo_refused),
		cmocka_unit_test(describe_names_host_and_database_not_password),
		cmocka_unit_test(config_takes_password_file_and_refuses_password_in_database),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
