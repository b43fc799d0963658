/* test_daemon_pg.c - what the daemon needs from the database to run beside
 * others: a commit by another connection wakes it (inotify and data_version
 * on SQLite, LISTEN on PostgreSQL), one planning lock that one session holds
 * at a time and another takes over within the bound when the first ends, a
 * lost connection reported as ERR_IO, and the reconnection waits. The lock
 * and the lost connection are PostgreSQL's (tests/it_daemon_pg.sh runs this
 * on a server); make unit runs the rest on SQLite. */
#include <poll.h>
#include <time.h>

#include "testutil.h"

#include "backoff.h"
#include "config.h"
#include "leader.h"
#include "pg_listen.h"
#include "watch.h"

struct fx {
	char *dir;
	char *where;          /* the database: a path or a conninfo */
	struct config cfg;    /* only database is set */
	struct dbi *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { 0 };

	f->dir = tu_mkdtemp();
	if (tu_pg())
		f->where = tu_pg_new_database();
	else
		assert_true(asprintf(&f->where, "%s/case.db", f->dir) > 0);
	if (db_open(f->where, DB_CREATE | DB_MIGRATE, &f->db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	f->cfg.database = f->where;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->db);
	tu_rmdir(f->dir);
	free(f->where);
	free(f);
	return 0;
}

/* Another connection to the same database. */
static struct dbi *other(struct fx *f)
{
	struct err e = { 0 };
	struct dbi *db = NULL;

	if (db_open(f->where, 0, &db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	return db;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll the watch as the daemon does, until it reports a change or 5 s
 * pass: 1 changed, 0 not. */
static int wait_change(struct watch *w)
{
	long long until = now_ms() + 5000;
	struct err e = { 0 };

	while (now_ms() < until) {
		struct pollfd p = { .fd = w->fd, .events = POLLIN };
		int r;

		if (poll(&p, 1, w->settling ? WATCH_RECHECK_MS : 200) < 0)
			fail_msg("poll");
		r = p.revents ? watch_changed(w, &e) : w->settling ? watch_recheck(w, &e) : 0;
		if (r < 0)
			fail_msg("watch: %s", e.msg);
		if (r > 0)
			return 1;
	}
	return 0;
}

static void test_watch_wakes_on_a_fact_committed_by_another_connection(void **state)
{
	struct fx *f = *state;
	struct watch w = { 0 };
	struct err e = { 0 };
	struct dbi *writer = other(f);

	assert_int_equal(watch_open(&w, f->db, &f->cfg, &e), 0);
	assert_true(w.fd >= 0);
	tu_exec(writer, "INSERT INTO unit(code,kind,name,municipality)"
			" VALUES ('U1','school','Skolan','Ystad')");
	assert_int_equal(wait_change(&w), 1);
	/* Nothing more came: no change is reported. */
	assert_int_equal(wait_change(&w), 0);
	/* One committed while the watcher was busy (no poll): the next
	 * look finds it. */
	tu_exec(writer, "UPDATE unit SET name = 'Skolan 2' WHERE code = 'U1'");
	usleep(200 * 1000);
	assert_int_equal(wait_change(&w), 1);
	watch_close(&w);
	db_close(writer);
}

static void test_watch_ignores_a_transaction_rolled_back(void **state)
{
	struct fx *f = *state;
	struct watch w = { 0 };
	struct err e = { 0 };
	struct dbi *writer = other(f);

	assert_int_equal(watch_open(&w, f->db, &f->cfg, &e), 0);
	assert_int_equal(dbi_begin(writer, &e), 0);
	assert_int_equal(dbi_exec(writer, "INSERT INTO unit(code,kind,name,municipality)"
					  " VALUES ('U2','school','Skolan','Ystad')", &e), 0);
	dbi_rollback(writer);
	/* SQLite sees the write begin (inotify) and settles: no change. */
	assert_int_equal(wait_change(&w), 0);
	watch_close(&w);
	db_close(writer);
}

static void test_backoff_doubles_from_one_second_to_sixty(void **state)
{
	static const long long want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	struct backoff b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_int_equal(backoff_next(&b), want[i]);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), BACKOFF_FIRST_MS);
	assert_int_equal(backoff_next(&b), 2 * BACKOFF_FIRST_MS);
}

/* The backend pid of db's session. */
static long long backend_pid(struct dbi *db)
{
	return tu_int(db, "SELECT pg_backend_pid()");
}

static void terminate(struct dbi *by, long long pid)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", pid);
	assert_int_equal(tu_int(by, sql), 1);
}

static void test_leader_lock_is_held_by_one_session_and_taken_over_when_it_ends(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi *a, *b;
	long long gone, took = -1;
	int r;

	if (!tu_pg())
		skip(); /* the planning lock is PostgreSQL's: SQLite has the flock */
	a = other(f);
	b = other(f);
	assert_int_equal(leader_session(a, &e), 0);
	assert_int_equal(leader_try(a, &e), 1);
	assert_int_equal(leader_try(b, &e), 0);
	assert_int_equal(leader_try(b, &e), 0);
	/* The holder's connection ends (a process killed): the lock is free
	 * for the next try, within LEADER_RETRY_MS of the daemon's loop. */
	db_close(a);
	gone = now_ms();
	for (int i = 0; i < 20; i++) {
		r = leader_try(b, &e);
		assert_true(r >= 0);
		if (r == 1) {
			took = now_ms() - gone;
			break;
		}
		usleep(LEADER_RETRY_MS * 1000 / 10);
	}
	assert_true(took >= 0);
	assert_true(took <= 2 * LEADER_RETRY_MS);
	/* A clean stop gives it back: the other takes it at the first try. */
	a = other(f);
	assert_int_equal(leader_try(a, &e), 0);
	leader_release(b);
	assert_int_equal(leader_try(a, &e), 1);
	db_close(a);
	db_close(b);
}

static void test_leader_lock_goes_with_a_terminated_backend(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	struct dbi *a, *b;

	if (!tu_pg())
		skip(); /* pg_terminate_backend is PostgreSQL's */
	a = other(f);
	b = other(f);
	assert_int_equal(leader_try(a, &e), 1);
	assert_int_equal(leader_try(b, &e), 0);
	terminate(b, backend_pid(a));
	/* The old holder learns it at its next statement: ERR_IO, the code
	 * that makes the daemon reconnect. */
	usleep(100 * 1000);
	assert_int_equal(leader_try(a, &e), ERR_IO);
	assert_int_equal(leader_try(b, &e), 1);
	db_close(a);
	db_close(b);
}

static void test_listen_connection_lost_is_err_io(void **state)
{
	struct fx *f = *state;
	struct pg_listen l;
	struct err e = { 0 };
	long long pid;
	struct pollfd p;
	int r = 0;

	if (!tu_pg())
		skip(); /* LISTEN is PostgreSQL's */
	assert_int_equal(pg_listen_open(&l, NULL, f->where, &e), 0);
	assert_int_equal(pg_listen_drain(&l, &e), 0);
	pid = tu_int(f->db, "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
			    " AND pid <> pg_backend_pid() AND datname = current_database()");
	terminate(f->db, pid);
	/* The server's last words and the end of the stream may come apart:
	 * each wakes the poll, and the end is ERR_IO. */
	for (int i = 0; i < 10 && r >= 0; i++) {
		p = (struct pollfd){ .fd = l.fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 5000), 1);
		r = pg_listen_drain(&l, &e);
		assert_true(r == 0 || r == ERR_IO);
	}
	assert_int_equal(r, ERR_IO);
	assert_non_null(strstr(e.msg, "LISTEN"));
	pg_listen_close(&l);
	assert_int_equal(l.fd, -1);
}

static void test_listen_to_an_unreachable_server_is_err_io(void **state)
{
	struct fx *f = *state;
	struct pg_listen l;
	struct err e = { 0 };
	char dir[] = "/tmp/backad-nopg-XXXXXX", conninfo[128];

	(void)f;
	if (!tu_pg())
		skip(); /* LISTEN is PostgreSQL's */
	/* A socket directory where no server listens. */
	assert_non_null(mkdtemp(dir));
	snprintf(conninfo, sizeof conninfo, "host=%s port=5 dbname=backad user=backad", dir);
	assert_int_equal(pg_listen_open(&l, NULL, conninfo, &e), ERR_IO);
	assert_int_equal(l.fd, -1);
	assert_non_null(strstr(e.msg, "backad"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_watch_wakes_on_a_fact_committed_by_another_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_ignores_a_transaction_rolled_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_doubles_from_one_second_to_sixty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_leader_lock_is_held_by_one_session_and_taken_over_when_it_ends, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_leader_lock_goes_with_a_terminated_backend,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_connection_lost_is_err_io, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listen_to_an_unreachable_server_is_err_io,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
