/* test_plan_sets.c - the full pass's in-memory sets as SQL reads them, on
 * the engine the tests run on (BACKAD_TEST_PG): members found and others
 * not by the one fragment plan_sets_has() gives, for sets of 0, 1, 499,
 * 500, 501 and 1,234 keys (the bulk INSERTs of 500 on PostgreSQL, full and
 * partial), a key with quotes and UTF-8, the sets emptied for the next pass,
 * and a set not kept (NULL) left out. */
#include "testutil.h"

#include "keyset.h"
#include "plan.h"
#include "plan_sets.h"

/* How many keys of temp.probe the SQL finds in set. */
static long long found(struct planner *p, int set)
{
	char has[200], sql[300];

	plan_sets_has(p, set, "k", has, sizeof has);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM temp.probe WHERE %s", has);
	return tu_int(p->db, sql);
}

static void members_found_others_not_in_every_batch_size(void **state)
{
	static const int sizes[] = { 0, 1, 499, 500, 501, 1234 };
	char *dir = tu_mkdtemp();
	struct planner p = { 0 };
	struct err e = { 0 };
	char key[64], sql[300], has[200];

	(void)state;
	p.db = tu_db(dir);
	tu_exec(p.db, "CREATE TEMP TABLE probe(k TEXT PRIMARY KEY)");
	/* 2,000 probes: "subject:0" .. "subject:1999", and the odd key. */
	for (int i = 0; i < 2000; i += 250) {
		char *v = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&v, &len);

		fprintf(m, "INSERT INTO temp.probe(k) VALUES ");
		for (int j = i; j < i + 250; j++)
			fprintf(m, "%s('subject:%d')", j > i ? "," : "", j);
		fclose(m);
		tu_exec(p.db, v);
		free(v);
	}
	tu_exec(p.db, "INSERT INTO temp.probe(k) VALUES ('o''Brien/Åsa:ö')");
	assert_int_equal(dbi_begin(p.db, &e), 0);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		for (int i = 0; i < PLAN_SETS; i++)
			assert_non_null(p.sets[i] = keyset_new());
		/* PLAN_SEEN: the first n probes and some that are no probe;
		 * PLAN_SUBJ: every third probe up to 600; PLAN_WOKE: the odd key. */
		for (int i = 0; i < sizes[s]; i++) {
			snprintf(key, sizeof key, "subject:%d", i);
			assert_int_equal(keyset_add(p.sets[PLAN_SEEN], key), 0);
			snprintf(key, sizeof key, "other:%d", i);
			assert_int_equal(keyset_add(p.sets[PLAN_SEEN], key), 0);
		}
		for (int i = 0; i < 600; i += 3) {
			snprintf(key, sizeof key, "subject:%d", i);
			assert_int_equal(keyset_add(p.sets[PLAN_SUBJ], key), 0);
		}
		assert_int_equal(keyset_add(p.sets[PLAN_WOKE], "o'Brien/Åsa:ö"), 0);
		keyset_free(p.sets[PLAN_TASK_SEEN]);
		p.sets[PLAN_TASK_SEEN] = NULL; /* not kept in this pass */
		assert_int_equal(plan_sets_open(&p, &e), 0);
		assert_int_equal(plan_sets_publish(&p, &e), 0);
		assert_int_equal(found(&p, PLAN_SEEN), sizes[s]);
		assert_int_equal(found(&p, PLAN_SUBJ), 200);
		assert_int_equal(found(&p, PLAN_WOKE), 1);
		/* Not a member: the same fragment negated. */
		plan_sets_has(&p, PLAN_SEEN, "k", has, sizeof has);
		snprintf(sql, sizeof sql, "SELECT count(*) FROM temp.probe WHERE NOT %s", has);
		assert_int_equal(tu_int(p.db, sql), 2001 - sizes[s]);
		plan_sets_close(&p);
		for (int i = 0; i < PLAN_SETS; i++) {
			keyset_free(p.sets[i]);
			p.sets[i] = NULL;
		}
	}
	dbi_rollback(p.db);
	db_close(p.db);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(members_found_others_not_in_every_batch_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
