/* test_ss12000.c - SS 12000 pages into facts without a network: each field
 * check names the entity and id and keeps nothing of a bad page; private
 * addresses, children's names and personal identity numbers are never kept;
 * a person's enrolment list is the whole truth for their school placements;
 * a full resync that would end most of what was known is refused; a row the
 * database refuses names its entity and keeps nothing; a bad page inside a
 * transaction is undone to its savepoint. */
#include "testutil.h"
#include "fact_state.h"

#include <jansson.h>

#include "calendar.h"
#include "config.h"
#include "ss12000_apply.h"
#include "ss12000_stage.h"

struct fx {
	char *dir;
	struct dbi *db;
	struct ss_stage *st;
	struct config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { 0 };

	f->dir = tu_mkdtemp();
	f->db = tu_db(f->dir);
	assert_int_equal(config_defaults(&f->cfg, &e), 0);
	assert_int_equal(ss_stage_open(f->db, 0, &f->st, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static int seq;
	char name[64];

	/* Each test's final facts, for it_import_pg.sh to compare across engines. */
	snprintf(name, sizeof name, "test_ss12000.%02d", ++seq);
	fact_state_write(f->db, name);
	ss_stage_close(f->st);
	config_clear(&f->cfg);
	db_close(f->db);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* Stage one page given as JSON text; returns the result and fills e. */
static int page(struct fx *f, enum ss_entity ent, const char *text, struct err *e)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int r;

	if (!j)
		fail_msg("test JSON: %s", je.text);
	r = ss_stage_page(f->st, ent, j, e);
	json_decref(j);
	return r;
}

static void ok(struct fx *f, enum ss_entity ent, const char *text)
{
	struct err e = { 0 };

	if (page(f, ent, text, &e) < 0)
		fail_msg("%s", e.msg);
}

static int apply(struct fx *f, int full, int force, struct ss_summary *sum, struct err *e)
{
	struct ss_apply a = { .db = f->db, .cfg = &f->cfg, .sum = sum };
	int r;

	assert_int_equal(date_parse("2026-08-03", &a.day), 0);
	memset(sum, 0, sizeof *sum);
	assert_int_equal(db_begin(f->db, e), 0);
	r = ss_apply_open(&a, e);
	if (r == 0)
		r = ss_apply_facts(&a);
	if (r == 0)
		r = ss_apply_gone(&a, full, force);
	ss_apply_close(&a);
	if (r == 0)
		r = db_commit(f->db, e);
	else
		db_rollback(f->db);
	return r;
}

static const char orgs[] =
	"{\"data\": [{\"id\": \"o-fs\", \"displayName\": \"Förskolan Solrosen\","
	" \"schoolUnitCode\": \"111\", \"schoolTypes\": [\"FS\"]},"
	" {\"id\": \"o-gr\", \"displayName\": \"Västervångskolan\", \"schoolUnitCode\": \"222\","
	" \"schoolTypes\": [\"FKLASS\", \"GR\"]},"
	" {\"id\": \"o-gy\", \"displayName\": \"Gymnasiet\", \"schoolTypes\": [\"GY\"]}]}";

static void bad_birth_date_names_the_person_and_keeps_nothing(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };

	assert_int_equal(page(f, SS_PERSONS, "{\"data\": [{\"id\": \"p1\", \"birthDate\": \"2020-01-01\"},"
			      " {\"id\": \"p2\", \"birthDate\": \"2020-13-01\"}]}", &e), ERR_INVALID);
	assert_string_equal(e.msg, "person p2: birthDate '2020-13-01' is not a date");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_person"), 0);
	assert_int_equal(page(f, SS_PLACEMENTS, "{\"data\": [{\"id\": \"x1\", \"child\": {\"id\": \"p1\"},"
			      " \"placedAt\": {\"id\": \"o\"}, \"startDate\": \"2026-08-01\","
			      " \"endDate\": \"2026-07-01\"}]}", &e), ERR_INVALID);
	assert_string_equal(e.msg, "placement x1: endDate 2026-07-01 is before startDate 2026-08-01");
	assert_int_equal(page(f, SS_DUTIES, "{\"data\": [{\"id\": \"d1\", \"person\": {\"id\": \"p1\"},"
			      " \"dutyAt\": {\"id\": \"o\"}, \"startDate\": \"2026-08-01\"}]}", &e),
			 ERR_INVALID);
	assert_string_equal(e.msg, "duty d1: dutyRole is missing");
	assert_int_equal(page(f, SS_PERSONS, "{\"items\": []}", &e), ERR_INVALID);
	assert_string_equal(e.msg, "GET /persons: the answer has no \"data\" list");
}

static void private_address_name_and_pnr_are_not_kept(void **state)
{
	struct fx *f = *state;

	/* Duties come first: they say whose name is kept. */
	ok(f, SS_DUTIES, "{\"data\": [{\"id\": \"d1\", \"person\": {\"id\": \"s1\"},"
	   " \"dutyAt\": {\"id\": \"o-fs\"}, \"dutyRole\": \"Rektor\", \"startDate\": \"2019-08-01\"}]}");
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"s1\", \"givenName\": \"Olof\", \"familyName\": \"Lind\","
	   " \"emails\": [{\"value\": \"olof@privat.example.com\", \"type\": \"Privat\"},"
	   "  {\"value\": \"olof@skola.example.se\", \"type\": \"Skola personal\"}],"
	   " \"phoneNumbers\": [{\"value\": \"0411-123\", \"type\": \"Hem\", \"mobile\": false},"
	   "  {\"value\": \"070-123 45 67\", \"type\": \"Arbete\", \"mobile\": true}]},"
	   " {\"id\": \"c1\", \"givenName\": \"Ella\", \"civicNo\": {\"value\": \"20210422-5566\"}}]}");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_person WHERE ext = 's1'"
				       " AND email = 'olof@skola.example.se' AND mobile = '+46701234567'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_person WHERE ext = 'c1'"
				       " AND birth = '2021-04-22' AND pnr IS NULL AND name IS NULL"), 1);
	ok(f, SS_ORGS, orgs);
	ok(f, SS_PLACEMENTS, "{\"data\": [{\"id\": \"pl1\", \"child\": {\"id\": \"c1\"},"
	   " \"placedAt\": {\"id\": \"o-fs\"}, \"schoolType\": \"FS\", \"startDate\": \"2022-08-22\"}]}");

	struct ss_summary sum;
	struct err e = { 0 };

	if (apply(f, 0, 0, &sum, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit"), 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM child WHERE ref = 'c1' AND name IS NULL"
				       " AND pnr IS NULL AND birth_date = '2021-04-22'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit_role r JOIN staff s ON"
				       " s.id = r.staff_id WHERE s.name = 'Olof Lind'"), 1);
	assert_int_equal(sum.principals_changed, 1);
	assert_string_equal(sum.principal_units, "Förskolan Solrosen");
	assert_int_equal(sum.placements_new, 1);
}

static void enrolment_no_longer_listed_ends_the_school_placement(void **state)
{
	struct fx *f = *state;
	struct ss_summary sum;
	struct err e = { 0 };

	ok(f, SS_ORGS, orgs);
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"c2\", \"birthDate\": \"2018-02-02\", \"enrolments\":"
	   " [{\"enroledAt\": {\"id\": \"o-gr\"}, \"schoolType\": \"GR\", \"startDate\": \"2024-08-19\"}]}]}");
	if (apply(f, 0, 0, &sum, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(sum.placements_new, 1);
	/* The next page of this person lists a gymnasium enrolment only. */
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"c2\", \"birthDate\": \"2018-02-02\", \"enrolments\":"
	   " [{\"enroledAt\": {\"id\": \"o-gy\"}, \"schoolType\": \"GY\", \"startDate\": \"2026-08-17\"}]}]}");
	if (apply(f, 0, 0, &sum, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(sum.placements_ended, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM placement WHERE end_date = '2026-08-02'"), 1);
}

static void unknown_child_of_a_placement_is_named(void **state)
{
	struct fx *f = *state;
	struct ss_summary sum;
	struct err e = { 0 };

	ok(f, SS_ORGS, orgs);
	ok(f, SS_PLACEMENTS, "{\"data\": [{\"id\": \"pl9\", \"child\": {\"id\": \"nobody\"},"
	   " \"placedAt\": {\"id\": \"o-fs\"}, \"startDate\": \"2022-08-22\"}]}");
	assert_int_equal(apply(f, 0, 0, &sum, &e), ERR_INVALID);
	assert_string_equal(e.msg, "placement pl9: child nobody is not a known person (not in /persons)");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit"), 0);
}

static void full_resync_that_ends_most_is_refused(void **state)
{
	struct fx *f = *state;
	struct ss_summary sum;
	struct err e = { 0 };

	ok(f, SS_ORGS, orgs);
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"a\", \"birthDate\": \"2022-01-01\"},"
	   " {\"id\": \"b\", \"birthDate\": \"2022-01-01\"}]}");
	ok(f, SS_PLACEMENTS, "{\"data\": [{\"id\": \"pa\", \"child\": {\"id\": \"a\"}, \"placedAt\":"
	   " {\"id\": \"o-fs\"}, \"startDate\": \"2024-08-19\"}, {\"id\": \"pb\", \"child\": {\"id\": \"b\"},"
	   " \"placedAt\": {\"id\": \"o-fs\"}, \"startDate\": \"2024-08-19\"}]}");
	if (apply(f, 1, 0, &sum, &e) < 0)
		fail_msg("%s", e.msg);
	/* A resync that lists nothing any more. */
	ss_stage_close(f->st);
	assert_int_equal(ss_stage_open(f->db, 0, &f->st, &e), 0);
	ok(f, SS_ORGS, orgs);
	assert_int_equal(apply(f, 1, 0, &sum, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "no longer lists 2 of the 2 active staff and open placements"));
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM placement WHERE end_date IS NULL"), 2);
	if (apply(f, 1, 1, &sum, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(sum.placements_ended, 2);
}

/* A staff code already taken by a CSV import: the database refuses the new
 * staff row, the error names the person, and nothing of the sync is kept
 * (on PostgreSQL the failed statement aborts the transaction: rolled back). */
static void staff_row_refused_by_the_database_names_the_person(void **state)
{
	struct fx *f = *state;
	struct ss_summary sum;
	struct err e = { 0 };

	tu_exec(f->db, "INSERT INTO staff(code, name) VALUES ('s1', 'Annan Person')");
	ok(f, SS_ORGS, orgs);
	ok(f, SS_DUTIES, "{\"data\": [{\"id\": \"d1\", \"person\": {\"id\": \"s1\"},"
	   " \"dutyAt\": {\"id\": \"o-fs\"}, \"dutyRole\": \"Rektor\", \"startDate\": \"2019-08-01\"}]}");
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"s1\", \"givenName\": \"Olof\", \"familyName\": \"Lind\"}]}");
	assert_int_equal(apply(f, 0, 0, &sum, &e), ERR_INVALID);
	if (!strstr(e.msg, "person s1: rejected by the database: "))
		fail_msg("%s", e.msg);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM unit"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM ext_ref"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM staff"), 1);
}

/* Staged inside the caller's transaction, a bad page is undone to its
 * savepoint and the pages before it stay (both engines). */
static void bad_page_inside_a_transaction_keeps_the_pages_before(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };

	assert_int_equal(db_begin(f->db, &e), 0);
	ok(f, SS_ORGS, orgs);
	assert_int_equal(page(f, SS_PERSONS, "{\"data\": [{\"id\": \"p1\", \"birthDate\": \"2020-01-01\"},"
			      " {\"birthDate\": \"2020-01-01\"}]}", &e), ERR_INVALID);
	assert_string_equal(e.msg, "person (without id): the id is missing");
	ok(f, SS_PERSONS, "{\"data\": [{\"id\": \"p2\", \"birthDate\": \"2020-02-02\"}]}");
	assert_int_equal(db_commit(f->db, &e), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_org"), 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_person"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM temp.ss_person WHERE ext = 'p2'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_birth_date_names_the_person_and_keeps_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(private_address_name_and_pnr_are_not_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(enrolment_no_longer_listed_ends_the_school_placement,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_child_of_a_placement_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(full_resync_that_ends_most_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(staff_row_refused_by_the_database_names_the_person,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bad_page_inside_a_transaction_keeps_the_pages_before,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
