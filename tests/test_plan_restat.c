/* test_plan_restat.c - the first pass over a database fills the outbox and
 * task tables in its own transaction: on PostgreSQL its lookups by key stay
 * on their indexes however empty the tables were when the server first
 * planned them (src/plan_restat.c); on both engines the pass plans the
 * same rows. */
#include "plan_fixture.h"

#include <libpq-fe.h>

#define REFERRALS 300

/* REFERRALS referrals of one day, ids 101.., in one INSERT. */
static void add_referrals(struct fx *f)
{
	char *v = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&v, &len);

	assert_non_null(m);
	fprintf(m, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
		   "received_date) VALUES ");
	for (int i = 0; i < REFERRALS; i++)
		fprintf(m, "%s(%d,%d,6,3,4,'2026-03-18')", i ? "," : "", 101 + i, 1 + i % 3);
	fclose(m);
	sql(f, v);
	free(v);
}

/* The plan the connection's prepared statement whose text ends in tail
 * runs for a key that is not there, as EXPLAIN prints it (malloc'd). */
static char *prepared_plan(struct fx *f, const char *tail)
{
	PGconn *c = dbi_pg(f->db);
	const char *params[1] = { tail };
	char q[160], *plan = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&plan, &len);
	PGresult *res;

	assert_non_null(m);
	res = PQexecParams(c, "SELECT name FROM pg_prepared_statements"
			      " WHERE statement LIKE '%' || $1", 1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	if (PQntuples(res) != 1)
		fail_msg("%d prepared statements end in \"%s\"", PQntuples(res), tail);
	snprintf(q, sizeof q, "EXPLAIN EXECUTE %s('no-such-key')", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = PQexec(c, q);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(res); i++)
		fprintf(m, "%s\n", PQgetvalue(res, i, 0));
	PQclear(res);
	fclose(m);
	return plan;
}

static void first_pass_over_empty_outbox_keeps_key_lookups_on_their_index(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;
	char *plan;

	(void)state;
	add_referrals(f);
	/* Counted empty, as an ANALYZE after the copy to PostgreSQL leaves
	 * them (never counted, the server assumes some rows). */
	if (fx_pg())
		sql(f, "ANALYZE outbox, outbox_child, task");
	st = run(f, "2026-03-18T10:15:00");
	/* Each referral: a receipt, a task and the officer's e-mail of it. */
	assert_int_equal(st.planned, 2 * REFERRALS);
	assert_int_equal(st.tasks_open, REFERRALS);
	assert_int_equal(count(f, "rule='referral_receipt'"), REFERRALS);
	if (!fx_pg()) {
		fx_free(f);
		return;
	}
	/* Planned while outbox and task were empty, a lookup by key was a
	 * sequential scan over every row the pass had written so far. */
	plan = prepared_plan(f, "FROM outbox WHERE key = $1");
	if (!strstr(plan, "Index Scan using outbox_key_key") || strstr(plan, "Seq Scan"))
		fail_msg("the outbox lookup by key after the first pass:\n%s", plan);
	free(plan);
	plan = prepared_plan(f, "FROM task WHERE key = $1");
	if (!strstr(plan, "Index Scan using task_key_key") || strstr(plan, "Seq Scan"))
		fail_msg("the task lookup by key after the first pass:\n%s", plan);
	free(plan);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_pass_over_empty_outbox_keeps_key_lookups_on_their_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
