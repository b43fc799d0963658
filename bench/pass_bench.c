/* pass_bench.c - the daemon's passes on a case database, timed in process:
 * the first pass (a full plan and delivery), passes with nothing changed (as
 * the daemon runs them, with its plan cache), the pass after another
 * process commits one change of each kind (a referral, a placement moved, a
 * new principal), and a full replan. Prints milliseconds and peak RSS.
 * usage: pass_bench CONFIG [REPEAT]
 * CONFIG's database may be SQLite or PostgreSQL; the changes are committed by
 * a connection of their own.
 * PASS_QUICK=1: the database was planned today; the first pass is one after
 * a change, not a full one. PASS_NO_FULL=1: no full replan at the end. */
#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "calendar.h"
#include "db.h"
#include "engine.h"

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static double pass(struct engine *g, time_t now)
{
	struct engine_stats st;
	struct timespec t0, t1;
	struct err e = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (engine_pass(g, now, &st, &e) < 0) {
		fprintf(stderr, "pass: %s\n", e.msg);
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ms_between(&t0, &t1);
}

/* With PASS_TRACE=MS set, every statement of the daemon's connection that
 * takes longer than MS milliseconds after the first change is printed with
 * its time. */
static double trace_ms = 1e12;

static int trace(unsigned type, void *ctx, void *stmt, void *ns)
{
	double limit = *(const double *)ctx, ms = *(const sqlite3_int64 *)ns / 1e6;
	char *sql;

	if (type != SQLITE_TRACE_PROFILE || ms < limit)
		return 0;
	sql = sqlite3_expanded_sql(stmt);
	fprintf(stderr, "  %9.2f ms  %.200s\n", ms, sql ? sql : "?");
	sqlite3_free(sql);
	return 0;
}

static void line(const char *what, double ms)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%-34s %10.2f ms  peak %ld kB\n", what, ms, ru.ru_maxrss);
}

/* A pass after a change, its planning timed apart from the delivery of
 * what it planned (the pass that follows finds nothing new to plan). */
static void changed(struct engine *g, time_t now, const char *what)
{
	struct engine_stats st;
	struct timespec t0, t1;
	struct err e = { 0 };
	char label[80];
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (engine_plan(g, now, &st, &e) < 0) {
		fprintf(stderr, "plan: %s\n", e.msg);
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(label, sizeof label, "%s: plan", what);
	line(label, ms_between(&t0, &t1));
	ms = pass(g, now);
	snprintf(label, sizeof label, "%s: deliver", what);
	line(label, ms);
}

/* Another process commits sql to the case database (SQLite or PostgreSQL,
 * a connection of its own). */
static void commit(const char *database, const char *sql)
{
	struct dbi *db = NULL;
	struct err e = { 0 };

	if (db_open(database, 0, &db, &e) < 0 || dbi_begin(db, &e) < 0 ||
	    dbi_exec(db, sql, &e) < 0 || dbi_commit(db, &e) < 0) {
		fprintf(stderr, "%s: %s\n", sql, e.msg);
		exit(1);
	}
	db_close(db);
}

int main(int argc, char **argv)
{
	struct engine *g = NULL;
	struct err e = { 0 };
	int repeat = argc > 2 ? atoi(argv[2]) : 20;
	double best = 1e9, sum = 0;
	time_t now;

	if (argc < 2) {
		fprintf(stderr, "usage: pass_bench CONFIG [REPEAT]\n");
		return 2;
	}
	cal_init();
	/* As backad's main does. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	cal_parse_instant("2026-08-03T08:00", &now);
	if (engine_load(argv[1], &g, NULL, NULL, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	g->delivering = 1; /* as the daemon that holds the delivery lock */
	if (getenv("PASS_TRACE") && dbi_sqlite(g->db)) /* from the first change on (SQLite) */
		sqlite3_trace_v2(dbi_sqlite(g->db), SQLITE_TRACE_PROFILE, trace, &trace_ms);
	if (getenv("PASS_QUICK")) { /* the database was planned today already */
		g->plan_cache = (struct plan_cache){ .valid = 1, .version = -1,
						     .today = cal_today(now) };
		line("first pass (incremental)", pass(g, now));
	} else {
		line("first pass (plan + deliver)", pass(g, now));
	}
	for (int i = 0; i < repeat; i++) {
		double ms = pass(g, now + 1 + i);

		sum += ms;
		if (ms < best)
			best = ms;
	}
	line("no change (best)", best);
	line("no change (mean)", sum / repeat);
	now += repeat + 2;
	if (getenv("PASS_TRACE"))
		trace_ms = atof(getenv("PASS_TRACE"));
	/* Another process records a referral (for the child's first intake
	 * unit when the database has several). */
	commit(g->cfg->database,
	       "INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)"
	       " SELECT c.id, s.id, (SELECT min(id) FROM unit WHERE kind = 'intake'), '2026-08-03'"
	       " FROM child c, staff s WHERE c.ref = 'B-0000002' AND s.code = 's5'");
	changed(g, now++, "after one referral");
	/* ...moves the start of a placement that starts soon... */
	commit(g->cfg->database, dbi_backend(g->db) == DBI_PG
	       ? "UPDATE placement SET start_date = (start_date::date + 7)::text"
		 " WHERE id = (SELECT id FROM placement WHERE start_date"
		 " BETWEEN '2026-08-10' AND '2026-08-31' ORDER BY id LIMIT 1)"
	       : "UPDATE placement SET start_date = date(start_date, '+7 days')"
		 " WHERE id = (SELECT id FROM placement WHERE start_date"
		 " BETWEEN '2026-08-10' AND '2026-08-31' ORDER BY id LIMIT 1)");
	changed(g, now++, "after one placement moved");
	/* ...and a school gets a new principal. */
	commit(g->cfg->database,
	       "UPDATE unit_role SET end_date = '2026-08-02' WHERE id = (SELECT r.id FROM unit_role r"
	       " JOIN unit u ON u.id = r.unit_id WHERE u.kind = 'school' AND r.role = 'principal'"
	       " AND r.end_date IS NULL ORDER BY r.id LIMIT 1);"
	       "INSERT INTO unit_role(unit_id, role, staff_id, start_date) SELECT unit_id,"
	       " 'principal', (SELECT max(id) FROM staff), '2026-08-03' FROM unit_role"
	       " WHERE end_date = '2026-08-02' ORDER BY id DESC LIMIT 1");
	changed(g, now++, "after a new principal");
	/* A full replan, as after a reload or on a new day. */
	if (!getenv("PASS_NO_FULL")) {
		memset(&g->plan_cache, 0, sizeof g->plan_cache);
		line("full replan", pass(g, now++));
	}
	engine_free(g);
	return 0;
}
