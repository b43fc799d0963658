/* backactl.c - the admin command line: global options and the command table. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "ctl_format.h"
#include "db.h"
#include "i18n.h"
#include "log.h"

struct command {
	const char *name;
	ctl_cmd_fn *fn;
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, N_("create or migrate the case database") },
	{ "migrate-to", cmd_migrate_to, N_("copy the SQLite case database into PostgreSQL, verified") },
	{ "import", cmd_import, N_("import units, staff, children or placements from CSV") },
	{ "referral", cmd_referral, N_("record a referral (orosanmälan) or its decision") },
	{ "discovery", cmd_discovery, N_("record a discovery card (upptäckarkort)") },
	{ "followup", cmd_followup, N_("add, move or complete a follow-up conversation") },
	{ "consent", cmd_consent, N_("record or withdraw a consent") },
	{ "barnkontakt", cmd_barnkontakt, N_("set an explicit Barnkontakt for a child") },
	{ "children", cmd_children, N_("list children and their Barnkontakt") },
	{ "tasks", cmd_tasks, N_("list tasks") },
	{ "outbox", cmd_outbox, N_("list the outbox") },
	{ "retry", cmd_retry, N_("re-queue a dead message") },
	{ "status", cmd_status, N_("is backad running; queue, failures, overdue tasks") },
	{ "report", cmd_report, N_("figures for a period") },
	{ "calendar", cmd_calendar, N_("Swedish holidays and working days") },
	{ "plan", cmd_plan, N_("run one planning pass") },
	{ "preview", cmd_preview, N_("show what would be sent, without writing") },
	{ "sync", cmd_sync, N_("read schools' data from an SS 12000 API") },
	{ "audit", cmd_audit, N_("who was told what about a child, or what a person was told") },
};

static void usage(FILE *f)
{
	fprintf(f, _("usage: backactl [-c FILE] [--format text|json|csv] COMMAND [ARGS...]\n\n"
		   "  -c FILE        configuration (default $BACKAD_CONFIG or %s)\n"
		   "  --format FMT   listings and reports as a table (text, the default),\n"
		   "                 JSON or CSV; also accepted after the command\n\n"
		   "commands:\n"), CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
	fprintf(f, _("\n'backactl COMMAND --help' describes each command.\n"));
}

/* Take --format FMT (or --format=FMT) out of argv wherever it stands, so
 * that every command accepts it, before or after its name. 0, or -1 with a
 * message for a bad value. */
static int take_format(int *argc, char **argv, int *format)
{
	int o = 1;

	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;

		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--format") == 0 && i + 1 < *argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			v = argv[i] + 9;
		else if (strcmp(argv[i], "--format") == 0)
			v = "";
		if (!v) {
			argv[o++] = argv[i];
			continue;
		}
		*format = ctl_format_parse(v);
		if (*format < 0) {
			fprintf(stderr, _("backactl: --format '%s': expected text, json or csv\n"), v);
			return -1;
		}
	}
	*argc = o;
	argv[o] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { 0 };
	const char *cfg_arg = NULL;
	int ch, rc = CTL_USAGE;

	/* A planning pass allocates and frees much; keep freed memory rather
	 * than trimming the heap after every pass (measured: 3x faster). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	i18n_init();
	log_init("backactl", 0);
	/* What backactl creates (the database, its -wal and -shm files) is for
	 * the service user and group backad alike, never for others. */
	umask(007);
	if (take_format(&argc, argv, &c.format) < 0)
		return CTL_USAGE;
	/* '+': stop at the command name; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	c.config_path = config_path(cfg_arg);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, argv[optind]) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0; /* reset getopt for the command */
			rc = commands[i].fn(&c, argc, argv);
			goto out;
		}
	}
	fprintf(stderr, _("backactl: unknown command '%s' (see backactl --help)\n"),
		argv[optind]);
out:
	ctl_close(&c);
	return rc;
}
