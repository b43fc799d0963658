/* test_dbi.c - the dbi layer's behaviour, written once for both engines:
 * SQLite by default, PostgreSQL when BACKAD_TEST_PG holds a libpq URL
 * (tests/it_dbi_pg.sh starts one). Integers, Swedish text, NULL and '',
 * changes, RETURNING, upserts, savepoints, nested walks, errors, temp
 * tables and time, statements kept prepared after finalize. */
#include "testutil.h"

#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <time.h>

#include "dbi.h"

struct fx {
	struct dbi *db;
	sqlite3 *sl;
	PGconn *pg;
	char *dir;
};

static const char *pg_url(void)
{
	const char *u = getenv("BACKAD_TEST_PG");

	return u && *u ? u : NULL;
}

/* A second connection to the same database, for conflicts. */
static void connect_to(struct fx *f, const char *dir)
{
	struct err e = { 0 };
	char *path = NULL;
	int r;

	if (pg_url()) {
		f->pg = PQconnectdb(pg_url());
		if (PQstatus(f->pg) != CONNECTION_OK)
			fail_msg("PostgreSQL: %s", PQerrorMessage(f->pg));
		PQclear(PQexec(f->pg, "SET client_min_messages = warning"));
		PQclear(PQexec(f->pg, "SET search_path = dbi_test"));
		r = dbi_from_pg(f->pg, &f->db, &e);
	} else {
		assert_true(asprintf(&path, "%s/t.db", dir) > 0);
		assert_int_equal(sqlite3_open(path, &f->sl), SQLITE_OK);
		free(path);
		sqlite3_busy_timeout(f->sl, 100);
		/* WAL as db_open sets it; no fsync per commit in a test */
		assert_int_equal(sqlite3_exec(f->sl, "PRAGMA journal_mode = WAL;"
					      " PRAGMA synchronous = OFF", NULL, NULL, NULL), SQLITE_OK);
		r = dbi_from_sqlite(f->sl, &f->db, &e);
	}
	assert_int_equal(r, 0);
}

static void disconnect(struct fx *f)
{
	dbi_free(f->db);
	if (f->pg)
		PQfinish(f->pg);
	if (f->sl)
		assert_int_equal(sqlite3_close(f->sl), SQLITE_OK);
}

static void run(struct dbi *db, const char *sql)
{
	struct err e = { 0 };

	if (dbi_exec(db, sql, &e) < 0)
		fail_msg("%s: %s", sql, e.msg);
}

static struct dbi_stmt *prep(struct dbi *db, const char *sql)
{
	struct err e = { 0 };
	struct dbi_stmt *st = NULL;

	if (dbi_prepare(db, sql, &st, &e) < 0)
		fail_msg("%s: %s", sql, e.msg);
	return st;
}

static int step(struct dbi_stmt *st)
{
	struct err e = { 0 };
	int r = dbi_step(st, &e);

	if (r < 0)
		fail_msg("step: %s", e.msg);
	return r;
}

/* One integer from a query without parameters. */
static long long one_int(struct dbi *db, const char *sql)
{
	struct dbi_stmt *st = prep(db, sql);
	long long v;

	assert_int_equal(step(st), DBI_ROW);
	v = dbi_column_int64(st, 0);
	dbi_finalize(st);
	return v;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = tu_mkdtemp();
	if (pg_url()) {
		PGconn *c = PQconnectdb(pg_url());

		if (PQstatus(c) != CONNECTION_OK)
			fail_msg("PostgreSQL: %s", PQerrorMessage(c));
		PQclear(PQexec(c, "SET client_min_messages = warning;"
				  " DROP SCHEMA IF EXISTS dbi_test CASCADE; CREATE SCHEMA dbi_test"));
		PQfinish(c);
	}
	connect_to(f, f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	disconnect(f);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* A table with an id the database assigns: DDL is the schema's business
 * and differs; everything after it is written once. */
static void make_table(struct dbi *db, const char *name, const char *cols)
{
	char sql[512];

	snprintf(sql, sizeof sql, "CREATE TABLE %s (id %s PRIMARY KEY, %s)", name,
		 dbi_backend(db) == DBI_PG ? "BIGSERIAL" : "INTEGER", cols);
	run(db, sql);
}

static void integers_keep_64_bits(void **state)
{
	struct fx *f = *state;
	static const long long vals[] = { 9007199254740993LL /* 2^53+1 */, -1, -9007199254740993LL,
					  0, LLONG_MAX, LLONG_MIN, 4294967296LL };
	struct dbi_stmt *ins, *sel;
	size_t i;

	make_table(f->db, "t", "v BIGINT");
	ins = prep(f->db, "INSERT INTO t (v) VALUES (?1)");
	sel = prep(f->db, "SELECT v FROM t WHERE v = ?1");
	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		assert_int_equal(dbi_bind_int64(ins, 1, vals[i]), 0);
		assert_int_equal(step(ins), DBI_DONE);
		dbi_reset(ins);
		assert_int_equal(dbi_bind_int64(sel, 1, vals[i]), 0);
		assert_int_equal(step(sel), DBI_ROW);
		assert_true(dbi_column_int64(sel, 0) == vals[i]);
		assert_int_equal(dbi_column_int(sel, 0), (int)vals[i]);
		assert_int_equal(step(sel), DBI_DONE);
		dbi_reset(sel);
	}
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM t WHERE v < 0"), 3);
	/* arithmetic stays exact beyond a double's 53 bits */
	assert_true(one_int(f->db, "SELECT v + 1 FROM t WHERE v = 9007199254740993") ==
		    9007199254740994LL);
	dbi_finalize(ins);
	dbi_finalize(sel);
}

static void swedish_text_empty_and_null_differ(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *ins, *sel;

	make_table(f->db, "person", "name TEXT, note TEXT");
	ins = prep(f->db, "INSERT INTO person (name, note) VALUES (?1, ?2)");
	dbi_bind_text(ins, 1, "Åsa Ärlig-Östberg");
	dbi_bind_text(ins, 2, "");
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	dbi_bind_text(ins, 1, "Örjan Å");
	dbi_bind_null(ins, 2);
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	dbi_bind_text(ins, 1, NULL); /* NULL text binds NULL */
	dbi_bind_text(ins, 2, "ä");
	assert_int_equal(step(ins), DBI_DONE);
	dbi_finalize(ins);

	sel = prep(f->db, "SELECT name, note, length(name) FROM person WHERE name = ?1");
	dbi_bind_text(sel, 1, "Åsa Ärlig-Östberg");
	assert_int_equal(step(sel), DBI_ROW);
	assert_string_equal(dbi_column_text(sel, 0), "Åsa Ärlig-Östberg");
	assert_string_equal(dbi_column_text(sel, 1), ""); /* '' is not NULL */
	assert_false(dbi_column_is_null(sel, 1));
	assert_int_equal(dbi_column_int(sel, 2), 17); /* characters, not bytes */
	assert_int_equal(step(sel), DBI_DONE);
	dbi_reset(sel);
	dbi_bind_text(sel, 1, "Örjan Å");
	assert_int_equal(step(sel), DBI_ROW);
	assert_true(dbi_column_is_null(sel, 1));
	assert_null(dbi_column_text(sel, 1));
	assert_int_equal(dbi_column_int64(sel, 1), 0);
	dbi_finalize(sel);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM person WHERE name IS NULL"), 1);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM person WHERE note = ''"), 1);
}

static void changes_counts_the_last_write(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *st;

	make_table(f->db, "t", "v BIGINT");
	run(f->db, "INSERT INTO t (v) VALUES (1), (2), (3)");
	assert_int_equal(dbi_changes(f->db), 3);
	st = prep(f->db, "UPDATE t SET v = v * 10 WHERE v >= ?1");
	dbi_bind_int64(st, 1, 2);
	assert_int_equal(step(st), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 2);
	dbi_finalize(st);
	/* a query leaves it alone */
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM t"), 3);
	assert_int_equal(dbi_changes(f->db), 2);
	st = prep(f->db, "DELETE FROM t WHERE v = ?1");
	dbi_bind_int64(st, 1, 99);
	assert_int_equal(step(st), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 0);
	dbi_finalize(st);
}

static void returning_gives_the_new_id(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *st;
	long long first;

	make_table(f->db, "t", "v TEXT");
	st = prep(f->db, "INSERT INTO t (v) VALUES (?1) RETURNING id");
	dbi_bind_text(st, 1, "a");
	assert_int_equal(step(st), DBI_ROW);
	first = dbi_column_int64(st, 0);
	assert_true(first > 0);
	assert_int_equal(step(st), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 1);
	dbi_reset(st);
	dbi_bind_text(st, 1, "b");
	assert_int_equal(step(st), DBI_ROW);
	assert_int_equal(dbi_column_int64(st, 0), first + 1);
	assert_int_equal(step(st), DBI_DONE);
	dbi_finalize(st);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM t WHERE v IN ('a', 'b')"), 2);
}

static void upserts_do_nothing_and_update(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *nothing, *update, *sel;

	run(f->db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)");
	nothing = prep(f->db, "INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO NOTHING");
	dbi_bind_text(nothing, 1, "räkna");
	dbi_bind_int64(nothing, 2, 1);
	assert_int_equal(step(nothing), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 1);
	dbi_reset(nothing);
	dbi_bind_int64(nothing, 2, 2);
	assert_int_equal(step(nothing), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 0);
	update = prep(f->db, "INSERT INTO kv (k, v) VALUES (?1, ?2)"
			     " ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v");
	dbi_bind_text(update, 1, "räkna");
	dbi_bind_int64(update, 2, 5);
	assert_int_equal(step(update), DBI_DONE);
	assert_int_equal(dbi_changes(f->db), 1);
	sel = prep(f->db, "SELECT v FROM kv WHERE k = ?1");
	dbi_bind_text(sel, 1, "räkna");
	assert_int_equal(step(sel), DBI_ROW);
	assert_int_equal(dbi_column_int64(sel, 0), 6);
	dbi_finalize(sel);
	dbi_finalize(nothing);
	dbi_finalize(update);
}

static void savepoint_rollback_keeps_the_outer_transaction(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *ins;

	run(f->db, "CREATE TABLE u (k TEXT PRIMARY KEY)");
	ins = prep(f->db, "INSERT INTO u (k) VALUES (?1)");
	assert_int_equal(dbi_begin(f->db, &e), 0);
	assert_true(dbi_in_transaction(f->db));
	dbi_bind_text(ins, 1, "a");
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	run(f->db, "SAVEPOINT subject");
	assert_int_equal(dbi_bind_text(ins, 1, "b"), 0);
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	dbi_bind_text(ins, 1, "a"); /* a unique violation inside the savepoint */
	assert_int_equal(dbi_step(ins, &e), ERR_DB);
	dbi_reset(ins);
	run(f->db, "ROLLBACK TO subject; RELEASE subject");
	dbi_bind_text(ins, 1, "c");
	assert_int_equal(step(ins), DBI_DONE);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_false(dbi_in_transaction(f->db));
	dbi_finalize(ins);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM u"), 2);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM u WHERE k IN ('a', 'c')"), 2);
}

/* A RELEASE may wait for the next round trip (PostgreSQL), but it takes
 * effect before the next statement and in its place: the savepoint is gone
 * for a ROLLBACK TO right after, a RELEASE of one that does not exist fails
 * at the latest with the next statement, and what ran between commits. */
static void a_release_takes_effect_before_the_next_statement(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *sp, *rel, *rb, *ins, *bad;
	int r;

	run(f->db, "CREATE TABLE u (k TEXT PRIMARY KEY)");
	sp = prep(f->db, "SAVEPOINT s");
	rel = prep(f->db, "RELEASE s");
	rb = prep(f->db, "ROLLBACK TO s");
	ins = prep(f->db, "INSERT INTO u (k) VALUES (?1)");
	bad = prep(f->db, "RELEASE nosuch");
	assert_int_equal(dbi_begin(f->db, &e), 0);
	for (int i = 0; i < 3; i++) { /* as the planner's subjects, one after another */
		char k[8];

		snprintf(k, sizeof k, "k%d", i);
		assert_int_equal(step(sp), DBI_DONE);
		dbi_reset(sp);
		dbi_bind_text(ins, 1, k);
		assert_int_equal(step(ins), DBI_DONE);
		dbi_reset(ins);
		assert_int_equal(step(rel), DBI_DONE);
		dbi_reset(rel);
	}
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM u"), 3);
	assert_int_equal(step(sp), DBI_DONE);
	dbi_reset(sp);
	dbi_bind_text(ins, 1, "gone");
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	assert_int_equal(step(rb), DBI_DONE); /* "gone" is undone... */
	dbi_reset(rb);
	assert_int_equal(step(rel), DBI_DONE);
	dbi_reset(rel);
	assert_true(dbi_step(rb, &e) < 0); /* ...and the savepoint released */
	dbi_reset(rb);
	dbi_rollback(f->db);
	/* A RELEASE that fails says so, at once or with the next statement. */
	assert_int_equal(dbi_begin(f->db, &e), 0);
	r = dbi_step(bad, &e);
	if (r == DBI_DONE)
		r = dbi_exec(f->db, "INSERT INTO u (k) VALUES ('x')", &e);
	assert_true(r < 0);
	assert_non_null(strstr(e.msg, "nosuch"));
	dbi_rollback(f->db);
	/* Committed after a RELEASE: the rows of the released savepoints. */
	assert_int_equal(dbi_begin(f->db, &e), 0);
	dbi_reset(sp);
	assert_int_equal(step(sp), DBI_DONE);
	dbi_reset(sp);
	dbi_bind_text(ins, 1, "kept");
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	dbi_reset(rel);
	assert_int_equal(step(rel), DBI_DONE);
	dbi_reset(rel);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM u WHERE k = 'kept'"), 1);
	dbi_finalize(sp);
	dbi_finalize(rel);
	dbi_finalize(rb);
	dbi_finalize(ins);
	dbi_finalize(bad);
}

static void rollback_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };

	make_table(f->db, "t", "v BIGINT");
	assert_int_equal(dbi_begin(f->db, &e), 0);
	run(f->db, "INSERT INTO t (v) VALUES (1), (2)");
	dbi_rollback(f->db);
	assert_false(dbi_in_transaction(f->db));
	dbi_rollback(f->db); /* none open: nothing happens */
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM t"), 0);
}

/* A batch transaction's writes (kept and sent together on PostgreSQL) run
 * in order: a query between them sees them, the commit makes them all. */
static void a_batch_runs_its_writes_in_order_and_commits_them(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *ins, *q;

	make_table(f->db, "t", "v BIGINT");
	ins = prep(f->db, "INSERT INTO t (v) VALUES (?1)");
	assert_int_equal(dbi_begin_batch(f->db, &e), 0);
	assert_true(dbi_in_transaction(f->db));
	for (int i = 1; i <= 3; i++) {
		dbi_bind_int64(ins, 1, i);
		assert_int_equal(step(ins), DBI_DONE);
		dbi_reset(ins);
	}
	run(f->db, "UPDATE t SET v = v * 10 WHERE v = 2");
	q = prep(f->db, "SELECT sum(v), count(*) FROM t");
	assert_int_equal(step(q), DBI_ROW);
	assert_int_equal(dbi_column_int64(q, 0), 1 + 20 + 3);
	assert_int_equal(dbi_column_int64(q, 1), 3);
	dbi_finalize(q);
	dbi_bind_int64(ins, 1, 4);
	assert_int_equal(step(ins), DBI_DONE);
	dbi_finalize(ins);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_false(dbi_in_transaction(f->db));
	assert_int_equal(one_int(f->db, "SELECT sum(v) FROM t"), 1 + 20 + 3 + 4);
	/* Nothing written: the commit has nothing to send. */
	assert_int_equal(dbi_begin_batch(f->db, &e), 0);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_false(dbi_in_transaction(f->db));
}

/* A write of a batch that fails (at once on SQLite, at the commit on
 * PostgreSQL) fails the transaction: the rollback leaves none of its
 * writes, and the connection goes on. */
static void a_failed_write_fails_its_batch_and_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *ins;
	int r;

	make_table(f->db, "u", "v BIGINT UNIQUE");
	ins = prep(f->db, "INSERT INTO u (v) VALUES (?1)");
	assert_int_equal(dbi_begin_batch(f->db, &e), 0);
	dbi_bind_int64(ins, 1, 7);
	assert_int_equal(step(ins), DBI_DONE);
	dbi_reset(ins);
	r = dbi_step(ins, &e); /* the same value again */
	if (r >= 0)
		r = dbi_commit(f->db, &e);
	assert_true(r < 0);
	assert_int_equal(r, ERR_DB);
	assert_non_null(strstr(e.msg, "INSERT INTO u"));
	dbi_rollback(f->db);
	assert_false(dbi_in_transaction(f->db));
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM u"), 0);
	/* A batch rolled back before anything was sent, then one that works. */
	assert_int_equal(dbi_begin_batch(f->db, &e), 0);
	dbi_rollback(f->db);
	assert_false(dbi_in_transaction(f->db));
	assert_int_equal(dbi_begin_batch(f->db, &e), 0);
	dbi_reset(ins);
	assert_int_equal(dbi_bind_int64(ins, 1, 8), 0);
	assert_int_equal(step(ins), DBI_DONE);
	dbi_finalize(ins);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_int_equal(one_int(f->db, "SELECT sum(v) FROM u"), 8);
}

/* Fill src with n rows, ids 1..n, in one transaction. */
static void fill(struct fx *f, int n)
{
	struct err e = { 0 };
	struct dbi_stmt *ins;
	int i;

	make_table(f->db, "src", "v BIGINT");
	make_table(f->db, "dst", "v BIGINT");
	ins = prep(f->db, "INSERT INTO src (v) VALUES (?1)");
	assert_int_equal(dbi_begin(f->db, &e), 0);
	for (i = 1; i <= n; i++) {
		dbi_bind_int64(ins, 1, i);
		assert_int_equal(step(ins), DBI_DONE);
		dbi_reset(ins);
	}
	assert_int_equal(dbi_commit(f->db, &e), 0);
	dbi_finalize(ins);
}

/* Walk src, inserting into dst for each row and reading back each time, on
 * the same connection; returns the rows walked. */
static long long walk(struct fx *f)
{
	struct dbi_stmt *w, *ins, *look;
	long long n = 0, expect = 0;

	w = prep(f->db, "SELECT id, v FROM src ORDER BY id");
	ins = prep(f->db, "INSERT INTO dst (v) VALUES (?1)");
	look = prep(f->db, "SELECT count(*) FROM dst WHERE v = ?1");
	while (step(w) == DBI_ROW) {
		if (expect == 0 && dbi_backend(f->db) == DBI_PG && dbi_in_transaction(f->db))
			/* the walk is a cursor on the server, not a result in memory */
			assert_int_equal(one_int(f->db, "SELECT count(*) FROM pg_cursors"
							" WHERE statement LIKE '%FROM src ORDER BY id'"), 1);
		expect++;
		assert_int_equal(dbi_column_int64(w, 1), expect); /* in order, none skipped */
		dbi_bind_int64(ins, 1, dbi_column_int64(w, 1) * 2);
		assert_int_equal(step(ins), DBI_DONE);
		dbi_reset(ins);
		dbi_bind_int64(look, 1, expect * 2);
		assert_int_equal(step(look), DBI_ROW);
		assert_int_equal(dbi_column_int64(look, 0), 1);
		dbi_reset(look);
		n++;
	}
	dbi_finalize(w);
	dbi_finalize(ins);
	dbi_finalize(look);
	return n;
}

static void nested_walk_of_5000_rows_in_a_transaction(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };

	fill(f, 5000);
	assert_int_equal(dbi_begin(f->db, &e), 0);
	assert_int_equal(walk(f), 5000);
	if (dbi_backend(f->db) == DBI_PG) {
		/* 10,000 point queries ran as cursors; the server holds few */
		long long open = one_int(f->db, "SELECT count(*) FROM pg_cursors");

		assert_true(open >= 1 && open <= 34);
	}
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM dst"), 5000);
	assert_int_equal(one_int(f->db, "SELECT sum(v) FROM dst"), 5000LL * 5001);
}

static void nested_walk_outside_a_transaction(void **state)
{
	struct fx *f = *state;

	fill(f, 1500);
	assert_int_equal(walk(f), 1500);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM dst"), 1500);
}

/* A walk stopped early, and one begun inside a savepoint that is rolled
 * back: neither may break the transaction around them. */
static void walks_cut_short_leave_the_transaction_whole(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *w, *w2;
	int n;

	fill(f, 2500);
	assert_int_equal(dbi_begin(f->db, &e), 0);
	w = prep(f->db, "SELECT v FROM src ORDER BY id");
	assert_int_equal(step(w), DBI_ROW);
	assert_int_equal(dbi_column_int64(w, 0), 1);
	dbi_reset(w); /* stopped early */
	assert_int_equal(step(w), DBI_ROW); /* and again, from the start */
	assert_int_equal(dbi_column_int64(w, 0), 1);
	run(f->db, "SAVEPOINT s");
	w2 = prep(f->db, "SELECT v FROM src ORDER BY id DESC");
	assert_int_equal(step(w2), DBI_ROW);
	assert_int_equal(dbi_column_int64(w2, 0), 2500);
	for (n = 0; n < 1000; n++) /* past w2's first batch */
		assert_int_equal(step(w2), DBI_ROW);
	run(f->db, "ROLLBACK TO s");
	if (dbi_backend(f->db) == DBI_PG) {
		/* its cursor went with the savepoint: the rows already here,
		 * then an error, not a short walk */
		while ((n = dbi_step(w2, &e)) == DBI_ROW)
			;
		assert_int_equal(n, ERR_DB);
		assert_non_null(strstr(e.msg, "its rows ended with the transaction or savepoint"));
	}
	dbi_finalize(w2);
	for (n = 2; n <= 1500; n++) { /* w's was older: it goes on, past its batch */
		assert_int_equal(step(w), DBI_ROW);
		assert_int_equal(dbi_column_int64(w, 0), n);
	}
	dbi_finalize(w);
	run(f->db, "INSERT INTO dst (v) VALUES (7)");
	assert_int_equal(dbi_commit(f->db, &e), 0);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM dst"), 1);
}

/* A walk whose transaction commits before its end: PostgreSQL's cursor is
 * gone, and the next step says so instead of ending early; SQLite reads on. */
static void a_walk_past_its_commit_is_not_cut_silently(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *w;
	int n = 1;

	fill(f, 1200);
	assert_int_equal(dbi_begin(f->db, &e), 0);
	w = prep(f->db, "SELECT v FROM src ORDER BY id");
	assert_int_equal(step(w), DBI_ROW);
	assert_int_equal(dbi_commit(f->db, &e), 0);
	if (dbi_backend(f->db) == DBI_PG) {
		while (n < 1000 && step(w) == DBI_ROW) /* the first batch is here */
			n++;
		assert_int_equal(n, 1000);
		assert_int_equal(dbi_step(w, &e), ERR_DB);
		assert_non_null(strstr(e.msg, "statement \"SELECT v FROM src ORDER BY id\": its rows ended"));
	} else {
		while (step(w) == DBI_ROW)
			n++;
		assert_int_equal(n, 1200);
	}
	dbi_finalize(w);
}

/* Open cursors on the server reading statement text ending in tail. */
static long long cursors_on(struct fx *f, const char *tail)
{
	struct dbi_stmt *st = prep(f->db, "SELECT count(*) FROM pg_cursors WHERE statement LIKE ?1");
	char like[128];
	long long n;

	snprintf(like, sizeof like, "%%%s", tail);
	dbi_bind_text(st, 1, like);
	assert_int_equal(step(st), DBI_ROW);
	n = dbi_column_int64(st, 0);
	dbi_finalize(st);
	return n;
}

/* A query that returned few rows is read whole (one round trip); when it
 * returns many after all, every row still comes, and it is a cursor again. */
static void a_small_query_that_grows_loses_no_row(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *q;
	long long n, i, c0 = 0;
	int run;

	fill(f, 3000);
	assert_int_equal(dbi_begin(f->db, &e), 0);
	q = prep(f->db, "SELECT v FROM src WHERE id <= ?1 ORDER BY id");
	for (run = 0; run < 4; run++) {
		n = run < 3 ? 2 : 3000;
		dbi_bind_int64(q, 1, n);
		for (i = 1; i <= n; i++) {
			assert_int_equal(step(q), DBI_ROW);
			assert_int_equal(dbi_column_int64(q, 0), i);
			if (i != 1 || dbi_backend(f->db) != DBI_PG)
				continue;
			/* first run: a cursor (closed later, with others); then
			 * read whole: no new cursor */
			if (run == 0)
				c0 = cursors_on(f, "WHERE id <= $1 ORDER BY id");
			assert_int_equal(c0, 1);
			assert_int_equal(cursors_on(f, "WHERE id <= $1 ORDER BY id"), c0);
		}
		assert_int_equal(step(q), DBI_DONE);
		dbi_reset(q);
	}
	dbi_bind_int64(q, 1, 1500);
	assert_int_equal(step(q), DBI_ROW);
	if (dbi_backend(f->db) == DBI_PG) /* it was large once: a cursor again */
		assert_int_equal(cursors_on(f, "WHERE id <= $1 ORDER BY id"), c0 + 1);
	for (i = 2; step(q) == DBI_ROW; i++)
		assert_int_equal(dbi_column_int64(q, 0), i);
	assert_int_equal(i, 1501);
	dbi_finalize(q);
	assert_int_equal(dbi_commit(f->db, &e), 0);
}

static void errors_name_the_statement(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *st = NULL;

	assert_int_equal(dbi_prepare(f->db, "SELECT nosuch FROM nowhere WHERE a = ?1", &st, &e), ERR_DB);
	assert_null(st);
	assert_non_null(strstr(e.msg, "statement \"SELECT nosuch FROM nowhere WHERE a = ?1\""));
	assert_non_null(strstr(e.msg, "nowhere"));
	make_table(f->db, "t", "v BIGINT NOT NULL");
	st = prep(f->db, "INSERT INTO t (v) VALUES (?1)");
	dbi_bind_null(st, 1);
	assert_int_equal(dbi_step(st, &e), ERR_DB);
	assert_non_null(strstr(e.msg, "statement \"INSERT INTO t (v) VALUES (?1)\": "));
	assert_non_null(strcasestr(e.msg, "null"));
	dbi_finalize(st);
	assert_int_equal(dbi_exec(f->db, "DELETE FROM nowhere", &e), ERR_DB);
	assert_non_null(strstr(e.msg, "statement \"DELETE FROM nowhere\": "));
	/* a parameter that does not exist; a binding between steps */
	st = prep(f->db, "SELECT v FROM t WHERE v = ?1");
	assert_int_equal(dbi_bind_int64(st, 2, 1), ERR_INVALID);
	assert_int_equal(dbi_bind_int64(st, 0, 1), ERR_INVALID);
	assert_int_equal(dbi_bind_int64(st, 1, 1), 0);
	assert_int_equal(step(st), DBI_DONE);
	assert_int_equal(dbi_bind_int64(st, 1, 2), ERR_INVALID);
	dbi_reset(st);
	assert_int_equal(dbi_bind_int64(st, 1, 2), 0);
	dbi_finalize(st);
}

static void unique_violation_says_so_without_the_value(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi_stmt *st;

	make_table(f->db, "child", "pnr TEXT NOT NULL UNIQUE");
	st = prep(f->db, "INSERT INTO child (pnr) VALUES (?1)");
	dbi_bind_text(st, 1, "20150312-1234");
	assert_int_equal(step(st), DBI_DONE);
	dbi_reset(st);
	assert_int_equal(dbi_step(st, &e), ERR_DB);
	if (!strstr(e.msg, "UNIQUE constraint failed: child.pnr") &&
	    !strstr(e.msg, "duplicate key value violates unique constraint \"child_pnr_key\""))
		fail_msg("unclear: %s", e.msg);
	assert_null(strstr(e.msg, "1234")); /* no personal identity number in a log line */
	dbi_finalize(st);
}

static void temp_tables_are_the_connections_own(void **state)
{
	struct fx *f = *state;
	struct fx other = { 0 };
	struct dbi_stmt *st;

	run(f->db, "CREATE TEMP TABLE plan_seen (k TEXT PRIMARY KEY)");
	st = prep(f->db, "INSERT INTO temp.plan_seen (k) VALUES (?1)");
	dbi_bind_text(st, 1, "referral/1");
	assert_int_equal(step(st), DBI_DONE);
	dbi_finalize(st);
	run(f->db, "CREATE TABLE temp.plan_subj (s TEXT)");
	run(f->db, "INSERT INTO temp.plan_subj SELECT k FROM temp.plan_seen");
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM temp.plan_subj"), 1);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM plan_seen"), 1);
	connect_to(&other, f->dir);
	assert_int_equal(dbi_prepare(other.db, "SELECT count(*) FROM temp.plan_seen", &st, NULL), ERR_DB);
	disconnect(&other);
}

static void time_functions_agree_with_the_clock(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *st;
	char want[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *got;
	double jd;

	st = prep(f->db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), julianday('now'),"
			 " julianday('2026-03-02') - julianday('2026-02-27'),"
			 " date('2026-03-04T23:30:00Z'), datetime(?1),"
			 " strftime('%Y-%m-%d', ?1) < date('now')");
	dbi_bind_text(st, 1, "2024-02-29T08:05:09Z");
	assert_int_equal(step(st), DBI_ROW);
	got = dbi_column_text(st, 0);
	assert_int_equal(strlen(got), 20);
	memset(&tm, 0, sizeof tm);
	assert_int_equal(sscanf(got, "%d-%d-%dT%d:%d:%d%1[Z]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec, want), 7);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	assert_true(llabs((long long)(timegm(&tm) - now)) < 5); /* now, in UTC */
	jd = dbi_column_double(st, 1);
	assert_true(fabs(jd - ((double)now / 86400.0 + 2440587.5)) < 5.0 / 86400);
	assert_true(fabs(dbi_column_double(st, 2) - 3.0) < 1e-9); /* 2026 is no leap year */
	assert_int_equal(dbi_column_int(st, 2), 3);
	assert_string_equal(dbi_column_text(st, 3), "2026-03-04");
	assert_string_equal(dbi_column_text(st, 4), "2024-02-29 08:05:09");
	assert_int_equal(dbi_column_int(st, 5), 1); /* a comparison reads as 1 or 0 */
	dbi_finalize(st);
}

static void reset_runs_again_with_the_same_bindings(void **state)
{
	struct fx *f = *state;
	struct dbi_stmt *st;

	make_table(f->db, "t", "v BIGINT");
	run(f->db, "INSERT INTO t (v) VALUES (10), (20), (30)");
	st = prep(f->db, "SELECT count(*), sum(v) FROM t WHERE v > ?1");
	dbi_bind_int64(st, 1, 15);
	assert_int_equal(dbi_column_count(st), 2);
	assert_int_equal(step(st), DBI_ROW);
	assert_int_equal(dbi_column_int64(st, 1), 50);
	dbi_reset(st);
	assert_int_equal(step(st), DBI_ROW);
	assert_int_equal(dbi_column_int64(st, 0), 2);
	assert_int_equal(step(st), DBI_DONE);
	dbi_reset(st);
	dbi_bind_int64(st, 1, 25);
	assert_int_equal(step(st), DBI_ROW);
	assert_int_equal(dbi_column_int64(st, 0), 1);
	dbi_finalize(st);
}

/* A finalized statement may stay prepared for the next prepare of its SQL
 * (SQLite keeps them, src/dbi_sqlite.c): one finalized in the middle of a
 * walk holds no table (a DROP goes through), comes back at its first row,
 * and a kept statement or exec text runs against the table as it is now,
 * dropped and created again in between. */
static void kept_statements_hold_nothing_and_follow_the_schema(void **state)
{
	static const char create[] =
		"CREATE TABLE u (v BIGINT); INSERT INTO u (v) VALUES (1), (2)";
	struct fx *f = *state;
	struct dbi_stmt *st;

	make_table(f->db, "t", "v BIGINT");
	run(f->db, "INSERT INTO t (v) VALUES (10), (20), (30)");
	for (int i = 0; i < 2; i++) {
		st = prep(f->db, "SELECT v FROM t WHERE v > ?1 ORDER BY v");
		dbi_bind_int64(st, 1, 15);
		assert_int_equal(step(st), DBI_ROW);
		assert_int_equal(dbi_column_int64(st, 0), 20);
		dbi_finalize(st); /* in the middle of the walk */
	}
	run(f->db, "DROP TABLE t");
	make_table(f->db, "t", "v BIGINT");
	run(f->db, "INSERT INTO t (v) VALUES (40)");
	st = prep(f->db, "SELECT v FROM t WHERE v > ?1 ORDER BY v");
	dbi_bind_int64(st, 1, 15);
	assert_int_equal(step(st), DBI_ROW);
	assert_int_equal(dbi_column_int64(st, 0), 40);
	assert_int_equal(step(st), DBI_DONE);
	dbi_finalize(st);
	for (int i = 0; i < 3; i++) {
		run(f->db, create);
		assert_int_equal(one_int(f->db, "SELECT count(*) FROM u"), 2);
		run(f->db, "DROP TABLE u");
	}
}

/* Two writers of one row: the second gets ERR_BUSY, which it may retry. */
static void a_conflict_is_busy(void **state)
{
	struct fx *f = *state;
	struct fx other = { 0 };
	struct err e = { 0 };
	int r;

	run(f->db, "CREATE TABLE c (k BIGINT PRIMARY KEY, v BIGINT)");
	run(f->db, "INSERT INTO c (k, v) VALUES (1, 0)");
	connect_to(&other, f->dir);
	assert_int_equal(dbi_begin(other.db, &e), 0);
	/* PostgreSQL: other's snapshot is taken before f's commit */
	assert_int_equal(one_int(other.db, "SELECT v FROM c WHERE k = 1"), 0);
	if (dbi_backend(f->db) == DBI_PG) {
		assert_int_equal(dbi_begin(f->db, &e), 0);
		run(f->db, "UPDATE c SET v = 1 WHERE k = 1");
		assert_int_equal(dbi_commit(f->db, &e), 0);
		r = dbi_exec(other.db, "UPDATE c SET v = 2 WHERE k = 1", &e);
	} else {
		/* SQLite: other holds the write lock; f cannot begin */
		r = dbi_begin(f->db, &e);
	}
	assert_int_equal(r, ERR_BUSY);
	dbi_rollback(other.db);
	assert_int_equal(dbi_begin(other.db, &e), 0); /* the retry succeeds */
	run(other.db, "UPDATE c SET v = v + 2 WHERE k = 1");
	assert_int_equal(dbi_commit(other.db, &e), 0);
	disconnect(&other);
	assert_int_equal(one_int(f->db, "SELECT v FROM c WHERE k = 1"),
			 dbi_backend(f->db) == DBI_PG ? 3 : 2);
}

static void a_lost_connection_is_io(void **state)
{
	struct fx *f = *state;
	struct fx other = { 0 };
	struct err e = { 0 };
	struct dbi_stmt *st;
	long long pid;

	if (dbi_backend(f->db) != DBI_PG)
		skip(); /* SQLite has no connection to lose */
	pid = one_int(f->db, "SELECT pg_backend_pid()");
	st = prep(f->db, "SELECT 1");
	connect_to(&other, f->dir);
	{
		char sql[64];

		snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", pid);
		assert_int_equal(one_int(other.db, sql), 1);
	}
	disconnect(&other);
	assert_int_equal(dbi_step(st, &e), ERR_IO);
	assert_non_null(strstr(e.msg, "connection to the database lost"));
	dbi_finalize(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(integers_keep_64_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(swedish_text_empty_and_null_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(changes_counts_the_last_write, setup, teardown),
		cmocka_unit_test_setup_teardown(returning_gives_the_new_id, setup, teardown),
		cmocka_unit_test_setup_teardown(upserts_do_nothing_and_update, setup, teardown),
		cmocka_unit_test_setup_teardown(savepoint_rollback_keeps_the_outer_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_release_takes_effect_before_the_next_statement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_runs_its_writes_in_order_and_commits_them,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_fails_its_batch_and_leaves_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(nested_walk_of_5000_rows_in_a_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_walk_outside_a_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(walks_cut_short_leave_the_transaction_whole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_walk_past_its_commit_is_not_cut_silently, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_small_query_that_grows_loses_no_row, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_name_the_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(unique_violation_says_so_without_the_value, setup, teardown),
		cmocka_unit_test_setup_teardown(temp_tables_are_the_connections_own, setup, teardown),
		cmocka_unit_test_setup_teardown(time_functions_agree_with_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_runs_again_with_the_same_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_statements_hold_nothing_and_follow_the_schema,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_conflict_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lost_connection_is_io, setup, teardown),
	};

	return cmocka_run_group_tests_name(pg_url() ? "dbi on PostgreSQL" : "dbi on SQLite", tests,
					   NULL, NULL);
}
