/* pass_bench.c - the daemon's passes on a case database, timed in process:
 * the first pass (a full plan and delivery), passes with nothing changed (as
 * the daemon runs them, with its plan cache), and the pass after another
 * process commits one referral. Prints milliseconds and peak RSS.
 * usage: pass_bench CONFIG [REPEAT] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "calendar.h"
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

static void line(const char *what, double ms)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%-34s %10.2f ms  peak %ld kB\n", what, ms, ru.ru_maxrss);
}

int main(int argc, char **argv)
{
	struct engine *g = NULL;
	struct err e = { 0 };
	int repeat = argc > 2 ? atoi(argv[2]) : 20;
	double best = 1e9, sum = 0;
	time_t now;
	char cmd[600];

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
	line("first pass (plan + deliver)", pass(g, now));
	for (int i = 0; i < repeat; i++) {
		double ms = pass(g, now + 1 + i);

		sum += ms;
		if (ms < best)
			best = ms;
	}
	line("no change (best)", best);
	line("no change (mean)", sum / repeat);
	/* Another process records a referral. */
	snprintf(cmd, sizeof cmd, "%s -c %s referral add --child B-0000002 --reporter s5"
		 " --received 2026-08-03 >/dev/null", getenv("BACKACTL") ? getenv("BACKACTL")
								: "build/backactl", argv[1]);
	if (system(cmd) != 0)
		return 1;
	line("after one referral (plan + deliver)", pass(g, now + repeat + 2));
	engine_free(g);
	return 0;
}
