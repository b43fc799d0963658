/* ctl_migrate.c - 'backactl migrate-to URL': the configured SQLite case
 * database copied into PostgreSQL and verified row for row, or (with
 * --verify-only) only compared. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "db.h"
#include "i18n.h"
#include "pg_conn.h"
#include "pg_migrate.h"

struct tally {
	long long rows;
	int tables;
};

static void table_done(void *ctx, const struct pg_table_result *t)
{
	struct tally *y = ctx;

	y->rows += t->rows;
	y->tables++;
	printf(_("%-18s %10lld rows  SHA-256 %.16s  equal\n"), t->table, t->rows, t->sha256);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_migrate_to(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify-only", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err e = { 0 };
	struct tally y = { 0 };
	struct dbi *src = NULL;
	PGconn *dst = NULL;
	char what[400];
	int ch, verify_only = 0, r;
	double t0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'v') {
			verify_only = 1;
			continue;
		}
		if (ch == 'h') {
			printf(_("usage: backactl migrate-to [--verify-only] URL\n\n"
				 "Copy the configured SQLite case database into the PostgreSQL database\n"
				 "URL (a postgresql:// address or a libpq connection string) in one\n"
				 "transaction, then compare every table row for row. The target must be\n"
				 "empty or freshly initialised; on any error or difference nothing is\n"
				 "kept. --verify-only compares the two databases without copying.\n"));
			return CTL_OK;
		}
		return ctl_usage("migrate-to", "unknown option");
	}
	if (optind + 1 != argc)
		return ctl_usage("migrate-to", "give one PostgreSQL connection string");
	if (db_backend_of(argv[optind]) != DB_BACKEND_POSTGRESQL)
		return ctl_usage("migrate-to", "'%s' is not a PostgreSQL address "
				 "(postgresql://... or key=value)", argv[optind]);
	if (ctl_config(c) < 0)
		return CTL_FAIL;
	if (db_backend_of(c->cfg->database) != DB_BACKEND_SQLITE)
		return ctl_fail("migrate-to", "the configured database is not a SQLite file: "
				"migrate-to copies from one");
	pg_describe(argv[optind], what, sizeof what);
	r = db_open(c->cfg->database, DB_READONLY, &src, &e);
	if (r == 0)
		r = pg_connect(c->cfg, argv[optind], &dst, &e);
	t0 = now_s();
	if (r == 0)
		r = verify_only ? pg_migrate_verify(dbi_sqlite(src), dst, table_done, &y, &e)
				: pg_migrate_copy(dbi_sqlite(src), dst, table_done, &y, &e);
	PQfinish(dst);
	db_close(src);
	if (r < 0) {
		if (!verify_only && dst)
			fprintf(stderr, _("backactl migrate-to: nothing was copied into %s\n"), what);
		return ctl_fail("migrate-to", "%s", e.msg);
	}
	if (verify_only)
		printf(_("%s holds the same %lld rows in %d tables as %s (%.1f s)\n"), what, y.rows,
		       y.tables, c->cfg->database, now_s() - t0);
	else
		printf(_("copied %lld rows in %d tables from %s into %s and verified them (%.1f s)\n"),
		       y.rows, y.tables, c->cfg->database, what, now_s() - t0);
	return CTL_OK;
}
