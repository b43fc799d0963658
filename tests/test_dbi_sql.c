/* test_dbi_sql.c - SQLite's spelling rewritten for PostgreSQL: placeholders
 * only outside strings, quoted names and comments, ?10 beside ?1, temp.
 * tables, the time functions, and clear errors for what cannot be rewritten. */
#include "testutil.h"

#include "dbi.h"

/* The rewrite of sql, which must succeed with nparams parameters. */
static void expect(const char *sql, const char *want, int want_n)
{
	struct err e = { 0 };
	char *out = NULL;
	int n = -1;

	if (dbi_sql_rewrite(sql, &out, &n, &e) < 0)
		fail_msg("%s: %s", sql, e.msg);
	assert_string_equal(out, want);
	assert_int_equal(n, want_n);
	free(out);
}

/* The rewrite of sql must fail with ERR_INVALID and a message containing part. */
static void refuse(const char *sql, const char *part)
{
	struct err e = { 0 };
	char *out = NULL;
	int n = -1;

	assert_int_equal(dbi_sql_rewrite(sql, &out, &n, &e), ERR_INVALID);
	assert_null(out);
	if (!strstr(e.msg, part))
		fail_msg("'%s' does not say '%s'", e.msg, part);
}

static void numbered_placeholders(void **state)
{
	(void)state;
	expect("SELECT a FROM t WHERE b = ?1 AND c = ?2", "SELECT a FROM t WHERE b = $1 AND c = $2", 2);
	expect("UPDATE t SET a = ?2 WHERE id = ?1 OR id = ?2", "UPDATE t SET a = $2 WHERE id = $1 OR id = $2", 2);
	expect("SELECT 1", "SELECT 1", 0);
}

static void ten_is_not_one_and_zero(void **state)
{
	(void)state;
	expect("VALUES (?1, ?10, ?11)", "VALUES ($1, $10, $11)", 11);
	expect("SELECT ?10+?1", "SELECT $10+$1", 10);
}

static void bare_question_marks_count_on_like_sqlite(void **state)
{
	(void)state;
	expect("INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES ($1, $2, $3)", 3);
	/* ? after ?5 is 6, as SQLite numbers it */
	expect("SELECT ?5, ?", "SELECT $5, $6", 6);
}

static void strings_are_left_alone(void **state)
{
	(void)state;
	expect("SELECT '?1', ?1, 'a $1 b'", "SELECT '?1', $1, 'a $1 b'", 1);
	/* '' inside a string does not end it */
	expect("SELECT 'it''s ?2 here', ?1", "SELECT 'it''s ?2 here', $1", 1);
	expect("SELECT '', ?1, ''''", "SELECT '', $1, ''''", 1);
	expect("SELECT 'Åsa ? Öberg' || ?1", "SELECT 'Åsa ? Öberg' || $1", 1);
}

static void quoted_names_and_comments_are_left_alone(void **state)
{
	(void)state;
	expect("SELECT \"odd?1\", \"x\"\"?2\" FROM t WHERE a = ?1",
	       "SELECT \"odd?1\", \"x\"\"?2\" FROM t WHERE a = $1", 1);
	expect("SELECT a -- why ?3\nFROM t WHERE b = ?1", "SELECT a -- why ?3\nFROM t WHERE b = $1", 1);
	expect("SELECT /* ?2 'x */ a FROM t WHERE b = ?1", "SELECT /* ?2 'x */ a FROM t WHERE b = $1", 1);
	expect("SELECT 'julianday(x) temp.y' FROM t", "SELECT 'julianday(x) temp.y' FROM t", 0);
}

static void temp_schema_becomes_pg_temp(void **state)
{
	(void)state;
	expect("CREATE TABLE temp.plan_subj(s TEXT)", "CREATE TABLE pg_temp.plan_subj(s TEXT)", 0);
	expect("SELECT s FROM TEMP.plan_err WHERE s IN (SELECT s FROM temp.plan_subj)",
	       "SELECT s FROM pg_temp.plan_err WHERE s IN (SELECT s FROM pg_temp.plan_subj)", 0);
	/* words that only end in temp, a column named temp, CREATE TEMP TABLE */
	expect("SELECT attempt.x, t.temp, temp FROM attempt, t", "SELECT attempt.x, t.temp, temp FROM attempt, t", 0);
	expect("CREATE TEMP TABLE x(a)", "CREATE TEMP TABLE x(a)", 0);
}

static void now_as_text_in_utc(void **state)
{
	(void)state;
	expect("SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now')",
	       "SELECT to_char((statement_timestamp() AT TIME ZONE 'UTC'), "
	       "'YYYY\"-\"MM\"-\"DD\"T\"HH24\":\"MI\":\"SS\"Z\"')", 0);
	expect("SELECT date('now')",
	       "SELECT to_char((statement_timestamp() AT TIME ZONE 'UTC'), 'YYYY\"-\"MM\"-\"DD')", 0);
	expect("SELECT datetime()",
	       "SELECT to_char((statement_timestamp() AT TIME ZONE 'UTC'), "
	       "'YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS')", 0);
}

static void julianday_of_columns_and_parameters(void **state)
{
	(void)state;
	expect("SELECT julianday(decision_date) - julianday(?1) FROM referral",
	       "SELECT (EXTRACT(EPOCH FROM CAST((decision_date) AS timestamp)) / 86400.0 + 2440587.5)"
	       " - (EXTRACT(EPOCH FROM CAST(($1) AS timestamp)) / 86400.0 + 2440587.5) FROM referral", 1);
	expect("SELECT JulianDay( 'now' )",
	       "SELECT (EXTRACT(EPOCH FROM (statement_timestamp() AT TIME ZONE 'UTC')) / 86400.0 + 2440587.5)", 0);
	/* nested calls and parentheses inside the argument */
	expect("SELECT julianday(min(o.sent_at)) FROM o",
	       "SELECT (EXTRACT(EPOCH FROM CAST((min(o.sent_at)) AS timestamp)) / 86400.0 + 2440587.5) FROM o", 0);
	expect("SELECT strftime('%Y', coalesce(?2, 'now'))",
	       "SELECT to_char(CAST(( coalesce($2, 'now')) AS timestamp), 'YYYY')", 2);
}

static void names_that_are_not_calls_stay(void **state)
{
	(void)state;
	expect("SELECT date, t.date(x) FROM t ORDER BY date", "SELECT date, t.date(x) FROM t ORDER BY date", 0);
	expect("SELECT mydate(1), date_x FROM t", "SELECT mydate(1), date_x FROM t", 0);
}

static void quotes_in_a_format_stay_quoted(void **state)
{
	(void)state;
	expect("SELECT strftime('%d''%m %%', x)", "SELECT to_char(CAST(( x) AS timestamp), 'DD\"''\"MM\" %\"')", 0);
}

static void what_cannot_be_rewritten_is_refused(void **state)
{
	(void)state;
	refuse("SELECT date('now', '+1 day')", "date() with modifiers");
	refuse("SELECT strftime('%w', 'now')", "byte 18: this strftime() format");
	refuse("SELECT strftime(?1, 'now')", "literal format");
	refuse("SELECT julianday(a, b)", "julianday() takes one argument");
	refuse("SELECT julianday(a", "unbalanced");
	refuse("SELECT ?0", "parameter number");
	refuse("SELECT ?99999", "parameter number");
}

static void unterminated_strings_go_to_the_server(void **state)
{
	(void)state;
	/* the server then names the error; the rewrite does not guess */
	expect("SELECT 'abc ?1", "SELECT 'abc ?1", 0);
	expect("SELECT a /* ?1", "SELECT a /* ?1", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbered_placeholders),
		cmocka_unit_test(ten_is_not_one_and_zero),
		cmocka_unit_test(bare_question_marks_count_on_like_sqlite),
		cmocka_unit_test(strings_are_left_alone),
		cmocka_unit_test(quoted_names_and_comments_are_left_alone),
		cmocka_unit_test(temp_schema_becomes_pg_temp),
		cmocka_unit_test(now_as_text_in_utc),
		cmocka_unit_test(julianday_of_columns_and_parameters),
		cmocka_unit_test(names_that_are_not_calls_stay),
		cmocka_unit_test(quotes_in_a_format_stay_quoted),
		cmocka_unit_test(what_cannot_be_rewritten_is_refused),
		cmocka_unit_test(unterminated_strings_go_to_the_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
