/* test_import.c - each import kind: a good file imports, a re-import
 * updates without duplicates, and each kind of bad row rejects the whole file
 * with its line number and leaves the database unchanged. The demo data
 * imports cleanly. */
#include "testutil.h"
#include "fact_state.h"

#include <sys/wait.h>

#include "date.h"
#include "import.h"

struct fx {
	char *dir;
	struct dbi *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = tu_mkdtemp();
	f->db = tu_db(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static int seq;
	char name[64];

	/* Each test's final facts, for it_import_pg.sh to compare across engines. */
	snprintf(name, sizeof name, "test_import.%02d", ++seq);
	fact_state_write(f->db, name);
	db_close(f->db);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static int imp(struct fx *f, const char *kind, const char *text, struct import_result *res,
	       struct err *e)
{
	char *path = tu_write(f->dir, "in.csv", text);
	int r = import_file(f->db, kind, path, res, e);

	free(path);
	return r;
}

static void ok(struct fx *f, const char *kind, const char *text, int rows)
{
	struct import_result res;
	struct err e = { 0 };

	if (imp(f, kind, text, &res, &e) < 0)
		fail_msg("%s: %s", kind, e.msg);
	assert_int_equal(res.rows, rows);
}

static const char units[] =
	"code,kind,name,municipality\n"
	"BVC1,bvc,BVC Centrum,Ystad\n"
	"FSK1,preschool,Förskolan Solrosen,Ystad\n"
	"SK1,school,Västervångskolan,Ystad\n";
static const char staff[] =
	"code,name,email,mobile,unit,active,channel\n"
	"karin,Karin Sjöholm,karin@ystad.example.se,+46701234502,BVC1,1,\n"
	"olof,Olof Lindqvist,olof@ystad.example.se,,FSK1,ja,email\n"
	"nils,Nils Hägg,,+46701234517,,1,sms\n";
static const char children[] =
	"ref,birth_date,name,pnr,protected_identity\n"
	"B-1,2021-04-22,Ella Svensson,20210422-1235,0\n";

/* A bad file must fail at line, with text in the message, and change nothing. */
static void bad(struct fx *f, const char *kind, const char *text, const char *where,
		const char *what)
{
	struct import_result res;
	struct err e = { 0 };
	long long before = tu_int(f->db, "SELECT (SELECT count(*) FROM unit) + (SELECT count(*)"
					 " FROM staff) + (SELECT count(*) FROM child) + (SELECT"
					 " count(*) FROM placement) + (SELECT count(*) FROM"
					 " unit_role) + (SELECT count(*) FROM absence)");

	assert_int_equal(imp(f, kind, text, &res, &e), ERR_INVALID);
	if (!strstr(e.msg, where) || !strstr(e.msg, what))
		fail_msg("expected '%s' and '%s' in: %s", where, what, e.msg);
	assert_int_equal(res.rows, 0);
	assert_int_equal(tu_int(f->db, "SELECT (SELECT count(*) FROM unit) + (SELECT count(*)"
				       " FROM staff) + (SELECT count(*) FROM child) + (SELECT"
				       " count(*) FROM placement) + (SELECT count(*) FROM"
				       " unit_role) + (SELECT count(*) FROM absence)"), before);
}

static void units_and_reimport(void **state)
{
	struct fx *f = *state;
	struct import_result res;
	struct err e = { 0 };

	ok(f, "units", units, 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE name='Förskolan Solrosen'"), 1);
	/* Re-import: updated, not duplicated. */
	assert_int_equal(imp(f, "units", "code,kind,name,municipality\n"
					 "FSK1,preschool,Förskolan Solrosen (ny),Ystad\n", &res, &e), 0);
	assert_int_equal(res.updated, 1);
	assert_int_equal(res.added, 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit"), 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE name LIKE '%(ny)'"), 1);
}

static void bad_units(void **state)
{
	struct fx *f = *state;

	ok(f, "units", units, 3);
	bad(f, "units", "code,kind,name,municipality\nU9,school,A,Y\nU8,förskola,B,Y\n",
	    "in.csv:3:", "column 'kind': 'förskola' is not one of");
	bad(f, "units", "code,kind,name,municipality\nU9,school,A,Y\nU9,school,B,Y\n",
	    "in.csv:3:", "appears twice");
	bad(f, "units", "code,kind,name\nU9,school,A\n", "in.csv:1:",
	    "required column 'municipality' is missing");
	bad(f, "units", "code,kind,name,municipality,colour\nU9,school,A,Y,red\n", "in.csv:1:",
	    "unknown column 'colour'");
	bad(f, "units", "code,kind,name,municipality\nU9,school,A\n", "in.csv:2:",
	    "3 fields where the header has 4");
	bad(f, "units", "code,kind,name,municipality\nU 9,school,A,Y\n", "in.csv:2:",
	    "column 'code'");
	bad(f, "units", "code,kind,name,municipality\nU9,school,,Y\n", "in.csv:2:",
	    "column 'name': a value is required");
	bad(f, "units", "code,kind,name,municipality\nU9,school,\"Two\nlines\",Y\n", "in.csv:2:",
	    "column 'name': control character");
}

static void staff_rows(void **state)
{
	struct fx *f = *state;

	ok(f, "units", units, 3);
	ok(f, "staff", staff, 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM staff WHERE email IS NULL"
				       " AND channel='sms' AND unit_id IS NULL"), 1);
	assert_int_equal(tu_int(f->db, "SELECT active FROM staff WHERE code='olof'"), 1);
	bad(f, "staff", "code,name,email\nx,X,not-an-address\n", "in.csv:2:", "column 'email'");
	bad(f, "staff", "code,name,mobile\nx,X,0701234567\n", "in.csv:2:", "column 'mobile'");
	bad(f, "staff", "code,name,unit\nx,X,NOPE\n", "in.csv:2:", "unknown unit 'NOPE'");
	bad(f, "staff", "code,name,active\nx,X,kanske\n", "in.csv:2:", "column 'active'");
	bad(f, "staff", "code,name,channel\nx,X,fax\n", "in.csv:2:", "column 'channel'");
}

static void children_rows(void **state)
{
	struct fx *f = *state;

	ok(f, "children", children, 1);
	bad(f, "children", "ref,birth_date\nB-2,2021-02-30\n", "in.csv:2:", "column 'birth_date'");
	bad(f, "children", "ref,birth_date,pnr\nB-2,2012-12-12,19121212-1213\n", "in.csv:2:",
	    "column 'pnr'");
	bad(f, "children", "ref,birth_date,pnr\nB-2,2012-12-13,19121212-1212\n", "in.csv:2:",
	    "does not match birth_date");
	bad(f, "children", "ref,birth_date,protected_identity\nB-2,2012-12-13,2\n", "in.csv:2:",
	    "column 'protected_identity'");
}

static void placements_roles_absences(void **state)
{
	struct fx *f = *state;

	ok(f, "units", units, 3);
	ok(f, "staff", staff, 3);
	ok(f, "children", children, 1);
	ok(f, "placements", "child,unit,kind,start_date,end_date,staff\n"
			    "B-1,BVC1,bvc,2021-05-01,2022-08-21,karin\n"
			    "B-1,FSK1,preschool,2022-08-22,,\n", 2);
	ok(f, "placements", "child,unit,kind,start_date,end_date\n"
			    "B-1,FSK1,preschool,2022-08-22,2027-08-16\n", 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM placement"), 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM placement WHERE end_date='2027-08-16'"), 1);
	bad(f, "placements", "child,unit,kind,start_date\nB-1,SK1,preschool,2027-08-17\n",
	    "in.csv:2:", "does not match unit 'SK1'");
	bad(f, "placements", "child,unit,kind,start_date\nB-9,SK1,school,2027-08-17\n",
	    "in.csv:2:", "unknown child 'B-9'");
	bad(f, "placements", "child,unit,kind,start_date,end_date\nB-1,SK1,school,2027-08-17,2027-08-01\n",
	    "in.csv:2:", "before the start date");
	ok(f, "roles", "unit,role,staff,start_date,end_date\nFSK1,principal,olof,2020-01-01,\n", 1);
	bad(f, "roles", "unit,role,staff,start_date\nFSK1,rektor,olof,2020-01-01\n", "in.csv:2:",
	    "column 'role'");
	bad(f, "roles", "unit,role,staff,start_date\nFSK1,principal,nobody,2020-01-01\n",
	    "in.csv:2:", "unknown staff 'nobody'");
	ok(f, "absences", "staff,start_date,end_date,deputy\nolof,2026-08-01,2026-08-16,karin\n", 1);
	bad(f, "absences", "staff,start_date,end_date,deputy\nolof,2026-09-01,2026-09-16,olof\n",
	    "in.csv:2:", "own deputy");
	bad(f, "absences", "staff,start_date,end_date\nolof,2026-09-01\n", "in.csv:2:",
	    "2 fields where the header has 3");
}

static void demo_data_imports(void **state)
{
	struct fx *f = *state;

	for (int i = 0; import_kinds[i]; i++) {
		char path[128];
		struct import_result res;
		struct err e = { 0 };

		snprintf(path, sizeof path, "etc/demo/%s.csv", import_kinds[i]);
		if (import_file(f->db, import_kinds[i], path, &res, &e) < 0)
			fail_msg("%s", e.msg);
		assert_true(res.rows > 0);
	}
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE kind='intake'"), 1);
}

/* A full import: what the file leaves out has ended; a shrink beyond the
 * share is refused with nothing changed. */
/* A units file without the column email (as before it existed) keeps the
 * mailboxes; a file with the column sets them, and an empty cell clears. */
static void units_reimport_without_email_column_keeps_mailbox(void **state)
{
	struct fx *f = *state;

	ok(f, "units", "code,kind,name,municipality,email\n"
		       "MOT,intake,Mottagningen,Ystad,mottagningen@ystad.example.se\n"
		       "MOT2,intake,Mottagning 2,Ystad,m2@ystad.example.se\n", 2);
	ok(f, "units", "code,kind,name,municipality\n"
		       "MOT,intake,Mottagningen,Ystad\nMOT2,intake,Mottagning 2,Ystad\n", 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE"
				       " email = 'mottagningen@ystad.example.se' AND code = 'MOT'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE email IS NOT NULL"), 2);
	ok(f, "units", "code,kind,name,municipality,email\n"
		       "MOT,intake,Mottagningen,Ystad,\n"
		       "MOT2,intake,Mottagning 2,Ystad,ny@ystad.example.se\n", 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE code = 'MOT'"
				       " AND email IS NULL"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE code = 'MOT2'"
				       " AND email = 'ny@ystad.example.se'"), 1);
}

static void full_import_ends_what_is_missing(void **state)
{
	struct fx *f = *state;
	struct import_opts o = { .full = 1, .max_shrink_percent = 10, .scope = "bvc preschool" };
	struct import_result res;
	struct err e = { 0 };
	char *path;

	ok(f, "units", units, 3);
	ok(f, "staff", staff, 3);
	assert_int_equal(date_parse("2026-08-03", &o.day), 0);
	assert_int_equal(imp(f, "roles", "unit,role,staff,start_date\nFSK1,principal,olof,2020-01-01\n"
			     "BVC1,principal,karin,2020-01-01\n", &res, &e), 0);
	path = tu_write(f->dir, "staff.csv", "code,name,unit\nkarin,Karin Sjöholm,BVC1\n");
	assert_int_equal(import_file_opts(f->db, "staff", path, &o, &res, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "leaves out 1 of the 2 staff in scope (bvc,preschool), 50.0 %"));
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM staff WHERE active = 0"), 0);
	o.force = 1;
	if (import_file_opts(f->db, "staff", path, &o, &res, &e) < 0)
		fail_msg("%s", e.msg);
	free(path);
	assert_int_equal(res.ended, 1);
	assert_int_equal(tu_int(f->db, "SELECT active FROM staff WHERE code = 'olof'"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit_role WHERE end_date = '2026-08-02'"), 1);
	/* Nils has no unit: never in scope. */
	assert_int_equal(tu_int(f->db, "SELECT active FROM staff WHERE code = 'nils'"), 1);
}

/* Where a second connection finds f's database: the file, or on
 * PostgreSQL the test server's database of this test (malloc'd). */
static char *second_connection(struct fx *f)
{
	PQconninfoOption *opts;
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	char *where = NULL;
	size_t n;
	FILE *m;

	if (!tu_pg()) {
		assert_true(asprintf(&where, "%s/case.db", f->dir) > 0);
		return where;
	}
	m = open_memstream(&where, &n);
	assert_non_null(m);
	opts = PQconninfoParse(tu_pg(), NULL);
	assert_non_null(opts);
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && strcmp(o->keyword, "dbname") != 0)
			fprintf(m, "%s='%s' ", o->keyword, o->val);
	PQconninfoFree(opts);
	if (dbi_prepare(f->db, "SELECT current_database()", &st, &e) < 0 ||
	    dbi_step(st, &e) != DBI_ROW)
		fail_msg("%s", e.msg);
	fprintf(m, "dbname='%s'", dbi_column_text(st, 0));
	dbi_finalize(st);
	assert_int_equal(fclose(m), 0);
	return where;
}

/* Another writer holds the database while a file is imported: on SQLite the
 * import waits for its lock; on PostgreSQL its write collides with the
 * other's commit (both move the facts version), and the whole file is read
 * and written again. Either way every row is there once. */
static void import_with_a_concurrent_writer_gets_every_row(void **state)
{
	struct fx *f = *state;
	char *where = second_connection(f), c;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dbi *db2 = NULL;
		struct err e2 = { 0 };
		int r;

		close(fds[0]);
		r = db_open(where, 0, &db2, &e2);
		free(where);
		if (r < 0)
			_exit(1);
		if (dbi_begin(db2, &e2) < 0 ||
		    dbi_exec(db2, "INSERT INTO unit(code, kind, name, municipality)"
				  " VALUES ('X1', 'other', 'Annan enhet', 'Ystad')", &e2) < 0)
			_exit(2);
		if (write(fds[1], "w", 1) != 1)
			_exit(3);
		usleep(500 * 1000);
		if (dbi_commit(db2, &e2) < 0)
			_exit(4);
		db_close(db2);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	ok(f, "units", units, 3);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit"), 4);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit WHERE code IN ('BVC1', 'FSK1',"
				       " 'SK1', 'X1')"), 4);
	free(where);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(units_and_reimport, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_units, setup, teardown),
		cmocka_unit_test_setup_teardown(staff_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(children_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(placements_roles_absences, setup, teardown),
		cmocka_unit_test_setup_teardown(demo_data_imports, setup, teardown),
		cmocka_unit_test_setup_teardown(full_import_ends_what_is_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(units_reimport_without_email_column_keeps_mailbox,
						setup, teardown),
		cmocka_unit_test_setup_teardown(import_with_a_concurrent_writer_gets_every_row,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
