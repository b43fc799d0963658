/* test_sqldate.c - date columns compared in C exactly as SQLite compares
 * them: every pair of a mixed set of values (NULL, numbers, dates with and
 * without a time of day, long text, empty text, BLOBs) ordered by C as by
 * SQLite's ORDER BY, and each compared with a day as SQLite's <= and >=;
 * each read through dbi with its storage class (sqldate_cols()). */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "sqldate.h"

static const char *const values[] = {
	"NULL", "20260801", "2026.5", "'2026-08-01'", "'2026-08-01 08:00'", "'2026-08-01 09:00'",
	"'2026-8-1'", "''", "' 2026-08-01'", "'2026-08-02'",
	"'2026-08-01 with a very long tail that does not fit any small buffer at all'",
	"X'323032362D30382D3031'", "X''", "X'FF'",
};
#define N (int)(sizeof values / sizeof values[0])

static void ordered_and_compared_as_sqlite_does(void **state)
{
	struct sqldate d[N];
	struct dbi *dbi;
	struct err e = { 0 };
	sqlite3 *db;
	char sql[640], cols[64];

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(dbi_from_sqlite(db, &dbi, &e), 0);
	sqldate_cols(dbi, "v", cols, sizeof cols);
	for (int i = 0; i < N; i++) {
		struct dbi_stmt *q;

		snprintf(sql, sizeof sql, "SELECT %s FROM (SELECT %s AS v)", cols, values[i]);
		assert_int_equal(dbi_prepare(dbi, sql, &q, &e), 0);
		assert_int_equal(dbi_step(q, &e), DBI_ROW);
		assert_int_equal(sqldate_read(&d[i], q, 0), 0);
		dbi_finalize(q);
	}
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			sqlite3_stmt *q;
			int c = sqldate_cmp(&d[i], &d[j]), want;

			/* SQLite's own order of the two (NULLs first, as ORDER BY). */
			snprintf(sql, sizeof sql,
				 "SELECT CASE WHEN a IS b THEN 0 WHEN a IS NULL THEN -1 WHEN b IS NULL"
				 " THEN 1 WHEN a < b THEN -1 ELSE 1 END FROM (SELECT %s AS a, %s AS b)",
				 values[i], values[j]);
			assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_ROW);
			want = sqlite3_column_int(q, 0);
			sqlite3_finalize(q);
			if ((c > 0) - (c < 0) != want)
				fail_msg("%s vs %s: C says %d, SQLite %d", values[i], values[j], c, want);
		}
		for (int k = 0; k < 3; k++) {
			static const char *const days[] = { "2026-08-01", "2026-07-31", "2026-08-02" };
			sqlite3_stmt *q;
			int null, c = sqldate_cmp_day(&d[i], days[k], &null);

			snprintf(sql, sizeof sql, "SELECT %s <= '%s', %s >= '%s'", values[i], days[k],
				 values[i], days[k]);
			assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_ROW);
			if (null) {
				assert_int_equal(sqlite3_column_type(q, 0), SQLITE_NULL);
			} else {
				assert_int_equal(sqlite3_column_int(q, 0), c <= 0);
				assert_int_equal(sqlite3_column_int(q, 1), c >= 0);
			}
			sqlite3_finalize(q);
		}
	}
	for (int i = 0; i < N; i++)
		sqldate_free(&d[i]);
	dbi_free(dbi);
	sqlite3_close(db);
}

/* Values kept in an array that grows (the planner's rows) are moved by
 * realloc: each still reads, compares and frees as before. */
static void moved_values_keep_their_bytes(void **state)
{
	struct sqldate *v = NULL;
	struct dbi *dbi;
	struct dbi_stmt *q;
	struct err e = { 0 };
	sqlite3 *db;
	char sql[128], cols[64];
	int n = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(dbi_from_sqlite(db, &dbi, &e), 0);
	sqldate_cols(dbi, "v", cols, sizeof cols);
	snprintf(sql, sizeof sql, "SELECT %s FROM (SELECT CAST(?1 AS TEXT) AS v)", cols);
	assert_int_equal(dbi_prepare(dbi, sql, &q, &e), 0);
	for (int i = 0; i < 200; i++) {
		char t[64];

		v = realloc(v, (size_t)(n + 1) * sizeof *v); /* moves as it grows */
		assert_non_null(v);
		snprintf(t, sizeof t, i % 2 ? "2026-08-%02d" : "2026-08-%02d and a long tail", i % 28 + 1);
		dbi_reset(q);
		assert_int_equal(dbi_bind_text(q, 1, t), 0);
		assert_int_equal(dbi_step(q, &e), DBI_ROW);
		assert_int_equal(sqldate_read(&v[n++], q, 0), 0);
	}
	for (int i = 0; i < n; i++) {
		char t[64];

		snprintf(t, sizeof t, i % 2 ? "2026-08-%02d" : "2026-08-%02d and a long tail", i % 28 + 1);
		assert_string_equal(sqldate_text(&v[i]), t);
		sqldate_free(&v[i]);
	}
	free(v);
	dbi_finalize(q);
	dbi_free(dbi);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordered_and_compared_as_sqlite_does),
		cmocka_unit_test(moved_values_keep_their_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
