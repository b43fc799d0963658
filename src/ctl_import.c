/* ctl_import.c - 'backactl import KIND FILE.csv'. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "import.h"

static void help(void)
{
	printf("usage: backactl import KIND FILE.csv\n\n"
	       "Import rows from a UTF-8 CSV file with a header row. KIND is one of\n"
	       "units, staff, children, placements, roles, absences (import them in this\n"
	       "order: later kinds refer to earlier ones). The whole file is one\n"
	       "transaction: one bad row rejects the file with FILE:LINE and the reason,\n"
	       "and nothing is written. Rows whose key exists are updated. The columns\n"
	       "are described in docs/import.md.\n");
}

int cmd_import(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_result res;
	struct err e = { 0 };
	int ch, known = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			help();
			return CTL_OK;
		}
		return ctl_usage("import", "unknown option");
	}
	if (argc - optind != 2)
		return ctl_usage("import", "expected KIND and FILE");
	for (int i = 0; import_kinds[i]; i++)
		known |= strcmp(import_kinds[i], argv[optind]) == 0;
	if (!known)
		return ctl_usage("import", "unknown kind '%s'", argv[optind]);
	if (ctl_db(c) < 0)
		return CTL_FAIL;
	if (import_file(c->db, argv[optind], argv[optind + 1], &res, &e) < 0)
		return ctl_fail("import", "%s", e.msg);
	printf("%s: %d rows imported (%d new, %d updated)\n", argv[optind + 1], res.rows,
	       res.added, res.updated);
	return CTL_OK;
}
