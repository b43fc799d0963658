/* ctl_sync.c - 'backactl sync ss12000': facts from the schools' SS 12000 API. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "ctl.h"
#include "i18n.h"
#include "ss12000.h"

static void help(void)
{
	printf(_("usage: backactl sync ss12000 [--full [--force]] [--now TIME]\n\n"
	       "Read school units, children, staff, placements, enrolments and principals'\n"
	       "duties from the SS 12000 API in ss12000.url and write them into the case\n"
	       "database. Without --full only what changed since the last run is read\n"
	       "(meta.modified.after) and deletions come from /deletedEntities; with --full\n"
	       "everything is read and what earlier syncs wrote but the server no longer\n"
	       "lists has ended. Every page is read before anything is written, in one\n"
	       "transaction: a failure changes nothing. The mapping is in docs/ss12000.md.\n\n"
	       "  --full       read everything (a resync)\n"
	       "  --force      accept a resync that ends more than import.max_shrink_percent\n"
	       "  --now TIME   the clock: the sync date is its Swedish day (tests)\n"));
}

int cmd_sync(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "full", no_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct ss_opts o = { .now = time(NULL) };
	struct ss_summary sum;
	struct err e = { 0 };
	char line[1200];
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			return CTL_OK;
		case 'F':
			o.full = 1;
			break;
		case 'f':
			o.force = 1;
			break;
		case 't':
			if (cal_parse_instant(optarg, &o.now) < 0)
				return ctl_usage("sync", "--now '%s' is not a time", optarg);
			break;
		default:
			return ctl_usage("sync", "unknown option");
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "ss12000") != 0)
		return ctl_usage("sync", "expected the source: ss12000");
	if (o.force && !o.full)
		return ctl_usage("sync", "--force needs --full");
	if (ctl_db(c) < 0)
		return CTL_FAIL;
	if (ss12000_sync(c->db, c->cfg, &o, &sum, &e) < 0)
		return ctl_fail("sync", "ss12000: %s; nothing was changed", e.msg);
	ss12000_summary_line(&sum, line, sizeof line);
	printf(_("ss12000: %s%s%s: read %d organisations, %d persons, %d placements, %d duties, "
	       "%d deletions in %d requests (%d retries)\n"), sum.full ? _("full sync") : _("incremental sync"),
	       sum.since[0] ? _(" since ") : "", sum.since, sum.read_orgs, sum.read_persons,
	       sum.read_placements, sum.read_duties, sum.read_deleted, sum.requests, sum.retries);
	printf(_("ss12000: %s\n"), line);
	return CTL_OK;
}
