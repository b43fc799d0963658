/* import_bench.c - what a CSV import costs on either engine: each kind's file
 * of DIR (units.csv, staff.csv, ... as docs/import.md; a missing or empty
 * one is passed over) imported into DATABASE, a SQLite path or a PostgreSQL
 * URI, then the same files again (every row found and updated). Wall time
 * per file and the process's peak memory. bench/import.sh makes the files.
 * usage: import_bench DATABASE DIR */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "db.h"
#include "import.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Import every kind's file once; the total wall time, or -1. */
static double round_of(struct dbi *db, const char *dir, const char *what)
{
	double total = 0;

	for (int i = 0; import_kinds[i]; i++) {
		struct import_result res;
		struct err e = { 0 };
		struct stat sb;
		char path[1024];
		double t;

		snprintf(path, sizeof path, "%s/%s.csv", dir, import_kinds[i]);
		if (stat(path, &sb) < 0 || sb.st_size == 0)
			continue;
		t = now_s();
		if (import_file(db, import_kinds[i], path, &res, &e) < 0) {
			fprintf(stderr, "import_bench: %s\n", e.msg);
			return -1;
		}
		t = now_s() - t;
		total += t;
		printf("%s %-10s %7d rows (%d new, %d updated) %8.2f s  %8.0f rows/s\n", what,
		       import_kinds[i], res.rows, res.added, res.updated, t,
		       t > 0 ? res.rows / t : 0);
	}
	printf("%s total %.2f s\n", what, total);
	return total;
}

int main(int argc, char **argv)
{
	struct err e = { 0 };
	struct dbi *db = NULL;
	struct rusage ru;
	int r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: import_bench DATABASE DIR\n");
		return 2;
	}
	if (db_open(argv[1], DB_CREATE | DB_MIGRATE, &db, &e) < 0) {
		fprintf(stderr, "import_bench: %s\n", e.msg);
		return 1;
	}
	if (round_of(db, argv[2], "first ") >= 0 && round_of(db, argv[2], "again ") >= 0)
		r = 0;
	db_close(db);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory %.1f MB\n", ru.ru_maxrss / 1024.0);
	return r;
}
