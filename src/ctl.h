/* ctl.h - what every backactl command shares: the loaded configuration, the
 * open case database, and the command table's signature. */
#ifndef BACKAD_CTL_H
#define BACKAD_CTL_H

#include "dbi.h"
#include "config.h"
#include "err.h"

/* Exit codes of backactl. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl {
	const char *config_path; /* -c, $BACKAD_CONFIG or the default */
	struct config *cfg;      /* loaded on demand by ctl_config() */
	struct dbi *db;          /* opened on demand by ctl_db() */
	struct ctl_busy *busy;   /* PostgreSQL: the lock-wait watch (ctl_busy.h) */
	int format;              /* --format: enum ctl_format (ctl_format.h) */
};

/* Load the configuration once; prints every error line. 0 or negative. */
int ctl_config(struct ctl *c);
/* Open the case database (current schema) once; prints the error. */
int ctl_db(struct ctl *c);
/* The same, read-only: for commands that only read, so that members of group
 * backad who may not write the file can run them. */
int ctl_db_read(struct ctl *c);

/* Close the database and free the configuration (each may be unopened). */
void ctl_close(struct ctl *c);

/* Print "backactl CMD: message" to stderr; returns CTL_FAIL. */
int ctl_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a usage error and the hint to use --help; returns CTL_USAGE. */
int ctl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A command: argv[0] is the command name; returns an exit code. */
typedef int ctl_cmd_fn(struct ctl *c, int argc, char **argv);

/* 'status --check': one monitoring-plugin line; exit 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (ctl_check.c). */
int ctl_status_check(struct ctl *c);

ctl_cmd_fn cmd_init;
ctl_cmd_fn cmd_import;
ctl_cmd_fn cmd_referral;
ctl_cmd_fn cmd_discovery;
ctl_cmd_fn cmd_followup;
ctl_cmd_fn cmd_consent;
ctl_cmd_fn cmd_barnkontakt;
ctl_cmd_fn cmd_children;
ctl_cmd_fn cmd_tasks;
ctl_cmd_fn cmd_outbox;
ctl_cmd_fn cmd_retry;
ctl_cmd_fn cmd_status;
ctl_cmd_fn cmd_report;
ctl_cmd_fn cmd_calendar;
ctl_cmd_fn cmd_plan;
ctl_cmd_fn cmd_preview;
ctl_cmd_fn cmd_sync;
ctl_cmd_fn cmd_audit;
ctl_cmd_fn cmd_migrate_to;

#endif
