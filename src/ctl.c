/* ctl.c - shared plumbing for backactl commands, and 'backactl init'. */
#include "ctl.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "schema.h"

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "backactl: %s\n", line);
}

int ctl_config(struct ctl *c)
{
	struct err e = { 0 };
	int r;

	if (c->cfg)
		return 0;
	r = config_load(c->config_path, &c->cfg, print_line, NULL, &e);
	return r;
}

static int open_db(struct ctl *c, int flags)
{
	struct err e = { 0 };
	int r;

	if (c->db)
		return 0;
	r = ctl_config(c);
	if (r < 0)
		return r;
	r = db_open(c->cfg->database, flags, &c->db, &e);
	if (r < 0)
		fprintf(stderr, "backactl: %s\n", e.msg);
	return r;
}

int ctl_db(struct ctl *c)
{
	return open_db(c, 0);
}

int ctl_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "backactl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "backactl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'backactl %s --help')\n", cmd);
	return CTL_USAGE;
}

int cmd_init(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: backactl init\n\n"
			       "Create the case database named in the configuration, or migrate\n"
			       "an older one to schema version %d. Safe to run again.\n",
			       schema_version());
			return CTL_OK;
		}
		return ctl_usage("init", "unknown option");
	}
	if (optind < argc)
		return ctl_usage("init", "unexpected argument '%s'", argv[optind]);
	if (open_db(c, DB_CREATE | DB_MIGRATE) < 0)
		return CTL_FAIL;
	printf("%s: schema version %d\n", c->cfg->database, schema_version());
	return CTL_OK;
}
