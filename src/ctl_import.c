/* ctl_import.c - 'backactl import [--full] KIND FILE.csv'. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "ctl.h"
#include "date.h"
#include "i18n.h"
#include "import.h"
#include "import_full.h"

static void help(void)
{
	printf(_("usage: backactl import [--full [--force] [--scope KINDS] [--date DATE]]"
	       " KIND FILE.csv\n\n"
	       "Import rows from a UTF-8 CSV file with a header row. KIND is one of\n"
	       "units, staff, children, placements, roles, absences (import them in this\n"
	       "order: later kinds refer to earlier ones). The whole file is one\n"
	       "transaction: one bad row rejects the file with FILE:LINE and the reason,\n"
	       "and nothing is written. Rows whose key exists are updated. The columns\n"
	       "are described in docs/import.md.\n\n"
	       "  --full          the file is the whole truth for staff, placements or roles\n"
	       "                  at the unit kinds it names: staff it leaves out are\n"
	       "                  deactivated, placements and roles end the day before\n"
	       "  --scope KINDS   the unit kinds it is the whole truth for (e.g. bmm,bvc)\n"
	       "  --date DATE     the import date (default today)\n"
	       "  --force         accept an export that leaves out more than\n"
	       "                  import.max_shrink_percent of the rows in scope\n"));
}

static void summary(const char *path, const char *kind, const struct import_result *res,
		    int full)
{
	printf(_("%s: %d rows imported (%d new, %d updated)\n"), path, res->rows, res->added,
	       res->updated);
	if (!full)
		return;
	if (strcmp(kind, "staff") == 0)
		printf(_("%s: full import (%s): %d of %d staff left out and deactivated, %d roles, "
		       "assignments and named placements ended with them, %d follow-ups moved to "
		       "the new Barnkontakt, %d admin alerts\n"), path, res->scope, res->ended,
		       res->in_scope, res->cascaded, res->reassigned, res->alerts);
	else
		printf(_("%s: full import (%s): %d of %d %s left out: %d ended, %d not yet begun "
		       "removed\n"), path, res->scope, res->ended + res->removed, res->in_scope,
		       kind, res->ended, res->removed);
}

int cmd_import(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "full", no_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "scope", required_argument, NULL, 's' },
		{ "date", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { .day = cal_today(time(NULL)) };
	struct import_result res;
	struct err e = { 0 };
	int ch, known = 0;

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
		case 's':
			o.scope = optarg;
			break;
		case 'd':
			if (date_parse(optarg, &o.day) < 0)
				return ctl_usage("import", "--date '%s' is not a date (YYYY-MM-DD)",
						 optarg);
			break;
		default:
			return ctl_usage("import", "unknown option");
		}
	}
	if (argc - optind != 2)
		return ctl_usage("import", "expected KIND and FILE");
	for (int i = 0; import_kinds[i]; i++)
		known |= strcmp(import_kinds[i], argv[optind]) == 0;
	if (!known)
		return ctl_usage("import", "unknown kind '%s'", argv[optind]);
	if (o.full && !import_full_kind(argv[optind]))
		return ctl_usage("import", "--full is for staff, placements and roles, not %s",
				 argv[optind]);
	if (!o.full && (o.force || o.scope))
		return ctl_usage("import", "--force and --scope need --full");
	if (ctl_db(c) < 0)
		return CTL_FAIL;
	o.max_shrink_percent = c->cfg->import_max_shrink;
	o.admin_email = c->cfg->admin_email;
	o.mail_from = c->cfg->mail_from;
	if (import_file_opts(c->db, argv[optind], argv[optind + 1], &o, &res, &e) < 0)
		return ctl_fail("import", "%s", e.msg);
	summary(argv[optind + 1], argv[optind], &res, o.full);
	return CTL_OK;
}
