/* backactl.c - the admin command line: global options and the command table. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "ctl_format.h"
#include "log.h"

struct command {
	const char *name;
	ctl_cmd_fn *fn;
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create or migrate the case database" },
	{ "import", cmd_import, "import units, staff, children or placements from CSV" },
	{ "referral", cmd_referral, "record a referral (orosanmälan) or its decision" },
	{ "discovery", cmd_discovery, "record a discovery card (upptäckarkort)" },
	{ "followup", cmd_followup, "add, move or complete a follow-up conversation" },
	{ "consent", cmd_consent, "record or withdraw a consent" },
	{ "barnkontakt", cmd_barnkontakt, "set an explicit Barnkontakt for a child" },
	{ "children", cmd_children, "list children and their Barnkontakt" },
	{ "tasks", cmd_tasks, "list tasks" },
	{ "outbox", cmd_outbox, "list the outbox" },
	{ "retry", cmd_retry, "re-queue a dead message" },
	{ "status", cmd_status, "is backad running; queue, failures, overdue tasks" },
	{ "report", cmd_report, "figures for a period" },
	{ "calendar", cmd_calendar, "Swedish holidays and working days" },
	{ "plan", cmd_plan, "run one planning pass" },
	{ "preview", cmd_preview, "show what would be sent, without writing" },
	{ "sync", cmd_sync, "read schools' data from an SS 12000 API" },
	{ "audit", cmd_audit, "who was told what about a child, or what a person was told" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: backactl [-c FILE] [--format text|json|csv] COMMAND [ARGS...]\n\n"
		   "  -c FILE        configuration (default $BACKAD_CONFIG or %s)\n"
		   "  --format FMT   listings and reports as a table (text, the default),\n"
		   "                 JSON or CSV; also accepted after the command\n\n"
		   "commands:\n", CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'backactl COMMAND --help' describes each command.\n");
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
			fprintf(stderr, "backactl: --format '%s': expected text, json or csv\n", v);
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
	fprintf(stderr, "backactl: unknown command '%s' (see backactl --help)\n",
		argv[optind]);
out:
	if (c.db)
		sqlite3_close(c.db);
	config_free(c.cfg);
	return rc;
}
