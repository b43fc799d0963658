/* dbi_bench.c - what the dbi layer costs: point selects by primary key on
 * SQLite through sqlite3_* directly and through dbi_*, alternated three
 * times inside a transaction as the planner reads; with a PostgreSQL URL also through dbi on PostgreSQL, outside a
 * transaction and inside one (where a query is a cursor until it has shown
 * itself small, then one round trip as outside).
 * usage: dbi_bench [N [POSTGRESQL-URL]]   (N point selects, default 1000000) */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbi.h"

#define ROWS 10000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "dbi_bench: %s: %s\n", what, msg);
	exit(1);
}

static long long direct(sqlite3 *db, long n)
{
	sqlite3_stmt *st;
	long long sum = 0;
	long i;

	if (sqlite3_prepare_v2(db, "SELECT v, length(t) FROM b WHERE id = ?1", -1, &st, NULL))
		die("prepare", sqlite3_errmsg(db));
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, i % ROWS + 1);
		if (sqlite3_step(st) != SQLITE_ROW)
			die("step", sqlite3_errmsg(db));
		sum += sqlite3_column_int64(st, 0) + (long long)strlen((const char *)sqlite3_column_text(st, 1));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return sum;
}

static long long layered(struct dbi *db, long n)
{
	struct err e = { 0 };
	struct dbi_stmt *st;
	long long sum = 0;
	long i;

	if (dbi_prepare(db, "SELECT v, length(t) FROM b WHERE id = ?1", &st, &e) < 0)
		die("prepare", e.msg);
	for (i = 0; i < n; i++) {
		dbi_bind_int64(st, 1, i % ROWS + 1);
		if (dbi_step(st, &e) != DBI_ROW)
			die("step", e.msg);
		sum += dbi_column_int64(st, 0) + (long long)strlen(dbi_column_text(st, 1));
		dbi_reset(st);
	}
	dbi_finalize(st);
	return sum;
}

static void fill(struct dbi *db)
{
	struct err e = { 0 };
	struct dbi_stmt *st;
	int i;

	if (dbi_exec(db, "DROP TABLE IF EXISTS b; CREATE TABLE b (id BIGINT PRIMARY KEY,"
			 " v BIGINT NOT NULL, t TEXT NOT NULL)", &e) < 0 ||
	    dbi_begin(db, &e) < 0 ||
	    dbi_prepare(db, "INSERT INTO b (id, v, t) VALUES (?1, ?2, ?3)", &st, &e) < 0)
		die("fill", e.msg);
	for (i = 1; i <= ROWS; i++) {
		dbi_bind_int64(st, 1, i);
		dbi_bind_int64(st, 2, i * 7LL);
		dbi_bind_text(st, 3, "Förskolan Ängen, avdelning Blåbär");
		if (dbi_step(st, &e) != DBI_DONE)
			die("fill", e.msg);
		dbi_reset(st);
	}
	dbi_finalize(st);
	if (dbi_commit(db, &e) < 0)
		die("fill", e.msg);
}

static void sqlite_runs(long n)
{
	char path[] = "/tmp/dbi-bench-XXXXXX";
	struct err e = { 0 };
	struct dbi *d;
	sqlite3 *db;
	double t0, a, b, best_a = 1e9, best_b = 1e9;
	long long s1, s2;
	int fd = mkstemp(path), k;

	if (fd < 0 || sqlite3_open(path, &db) != SQLITE_OK)
		die(path, "cannot open");
	close(fd);
	if (dbi_from_sqlite(db, &d, &e) < 0)
		die("dbi", e.msg);
	fill(d);
	for (k = 0; k < 3; k++) {
		/* in a transaction, as the planner reads: no file lock per select */
		dbi_begin(d, &e);
		t0 = now_s();
		s1 = direct(db, n);
		a = now_s() - t0;
		t0 = now_s();
		s2 = layered(d, n);
		b = now_s() - t0;
		dbi_rollback(d);
		if (s1 != s2)
			die("sums", "differ");
		printf("sqlite3 direct %.0f ns/select, dbi %.0f ns/select (%+.1f %%)\n", a / n * 1e9,
		       b / n * 1e9, (b - a) / a * 100);
		best_a = a < best_a ? a : best_a;
		best_b = b < best_b ? b : best_b;
	}
	printf("best of 3, %ld selects: sqlite3 direct %.3f s, dbi %.3f s (%+.1f %%)\n", n, best_a,
	       best_b, (best_b - best_a) / best_a * 100);
	dbi_free(d);
	sqlite3_close(db);
	unlink(path);
}

static void pg_runs(const char *url, long n)
{
	PGconn *c = PQconnectdb(url);
	struct err e = { 0 };
	struct dbi *d;
	double t0, a, b;

	if (PQstatus(c) != CONNECTION_OK)
		die(url, PQerrorMessage(c));
	if (dbi_from_pg(c, &d, &e) < 0)
		die("dbi", e.msg);
	fill(d);
	t0 = now_s();
	layered(d, n);
	a = now_s() - t0;
	if (dbi_begin(d, &e) < 0)
		die("begin", e.msg);
	t0 = now_s();
	layered(d, n);
	b = now_s() - t0;
	dbi_rollback(d);
	printf("PostgreSQL (Unix socket), %ld selects through dbi: %.1f us/select outside a"
	       " transaction, %.1f us/select inside one\n", n, a / n * 1e6, b / n * 1e6);
	dbi_exec(d, "DROP TABLE b", NULL);
	dbi_free(d);
	PQfinish(c);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;

	if (n <= 0)
		die("N", "must be a positive number");
	sqlite_runs(n);
	if (argc > 2)
		pg_runs(argv[2], n);
	return 0;
}
