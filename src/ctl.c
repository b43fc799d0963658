/* ctl.c - shared plumbing for backactl commands, and 'backactl init'. */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_busy.h"
#include "db.h"
#include "i18n.h"
#include "pg_conn.h"
#include "schema.h"
#include "schema_pg.h"

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

/* What the admin is told, once, after a second of waiting for a lock. */
static char busy_msg[300];

/* Waiting for the write lock (a planning pass over a large region holds it
 * for seconds): retried every 50 ms up to DB_CTL_BUSY_TIMEOUT_MS, and after
 * a second the admin is told why nothing happens. SQLite's busy handler; on
 * PostgreSQL see wait_pg. */
static int wait_busy(void *arg, int n)
{
	static struct timespec t0;
	static int told;
	struct timespec now, nap = { 0, 50 * 1000000L };
	long ms;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n == 0)
		t0 = now;
	ms = (now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000L;
	if (ms >= DB_CTL_BUSY_TIMEOUT_MS)
		return 0;
	if (ms >= 1000 && !told) {
		told = 1;
		fputs(busy_msg, stderr);
	}
	nanosleep(&nap, NULL);
	return 1;
}

/* The same on PostgreSQL, where a command waits for a row lock another
 * transaction holds (readers never wait): the connection's lock_timeout
 * bounds every wait to DB_CTL_BUSY_TIMEOUT_MS (then the command fails with
 * the lock's error, nothing half-done), and a watch (ctl_busy.c) tells the
 * admin once when the command has waited for a lock past its first second. */
static int wait_pg(struct ctl *c, int flags, struct err *e)
{
	char sql[64];
	int r;

	snprintf(sql, sizeof sql, "SET lock_timeout = %d", DB_CTL_BUSY_TIMEOUT_MS);
	r = dbi_exec(c->db, sql, e);
	if (r == 0 && !(flags & DB_READONLY))
		r = ctl_busy_start(c->cfg, c->cfg->database, c->db, busy_msg, &c->busy, e);
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
	snprintf(busy_msg, sizeof busy_msg, _("backactl: the database is busy (a planning pass may"
		 " be running); waiting for it, at most %d s\n"), DB_CTL_BUSY_TIMEOUT_MS / 1000);
	r = db_open_cfg(c->cfg, flags, &c->db, &e);
	if (r == 0 && dbi_backend(c->db) == DBI_PG)
		r = wait_pg(c, flags, &e);
	else if (r == 0 && !(flags & DB_READONLY))
		sqlite3_busy_handler(dbi_sqlite(c->db), wait_busy, NULL);
	if (r < 0)
		fprintf(stderr, "backactl: %s\n", e.msg);
	return r;
}

void ctl_close(struct ctl *c)
{
	ctl_busy_stop(c->busy);
	c->busy = NULL;
	db_close(c->db);
	c->db = NULL;
	config_free(c->cfg);
	c->cfg = NULL;
}

int ctl_db(struct ctl *c)
{
	return open_db(c, 0);
}

int ctl_db_read(struct ctl *c)
{
	return open_db(c, DB_READONLY);
}

int ctl_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "backactl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "backactl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fprintf(stderr, _(" (see 'backactl %s --help')\n"), cmd);
	return CTL_USAGE;
}

/* The database and its -wal and -shm files are for the service user and
 * group backad alike: read-write for both, nothing for others (SQLite creates
 * files 0644 less the umask, and gives -wal and -shm the database's mode).
 * Run as root, 'init' would also leave a database only root can write, and
 * the daemon (user backad) would fail with "attempt to write a readonly
 * database": so the files go to the owner of their directory (backad:backad
 * for /var/lib/backad). A root-owned directory stays root's, with a warning
 * when a service user exists: the daemon could not create its -wal file. */
static int share_with_group(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char *copy = NULL, file[4096];
	struct stat dir, st;
	int r = 0, root = geteuid() == 0;

	copy = strdup(path);
	if (!copy || stat(dirname(copy), &dir) < 0) {
		r = -ctl_fail("init", "%s: %s", path, strerror(copy ? errno : ENOMEM));
		goto out;
	}
	if (root && dir.st_uid == 0 && getpwnam("backad"))
		fprintf(stderr, _("backactl init: warning: %s belongs to root, so backad running "
			"as user backad cannot write there; fix with: chown -R backad:backad "
			"%s\n"), copy, copy);
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(file, sizeof file, "%s%s", path, suffix[i]);
		if (lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (chmod(file, (st.st_mode & 0770) | 0660) < 0 ||
		    (root && dir.st_uid != 0 && lchown(file, dir.st_uid, dir.st_gid) < 0)) {
			r = -ctl_fail("init", "%s: cannot share it with the owner of %s: %s; fix "
				      "with: chown %u:%u %s* && chmod 660 %s*", file, copy,
				      strerror(errno), (unsigned)dir.st_uid, (unsigned)dir.st_gid,
				      path, path);
			goto out;
		}
	}
out:
	free(copy);
	return r;
}

/* init on PostgreSQL: the schema in one transaction, or nothing when it is
 * current. */
static int init_pg(struct ctl *c)
{
	struct err e = { 0 };
	PGconn *pg = NULL;
	char what[400];
	int created = 0, r;

	pg_describe(c->cfg->database, what, sizeof what);
	r = pg_connect(c->cfg, c->cfg->database, &pg, &e);
	if (r == 0)
		r = schema_pg_init(pg, &created, &e);
	PQfinish(pg);
	if (r < 0)
		return ctl_fail("init", "%s", e.msg);
	if (created == 2)
		printf(_("%s: migrated the schema to version %d\n"), what, schema_pg_version());
	else if (created)
		printf(_("%s: created the schema, version %d\n"), what, schema_pg_version());
	else
		printf(_("%s: schema version %d is current, nothing to do\n"), what,
		       schema_pg_version());
	return CTL_OK;
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
			printf(_("usage: backactl init\n\n"
			       "Create the case database named in the configuration, or migrate\n"
			       "an older one to schema version %d. Safe to run again.\n"),
			       schema_version());
			return CTL_OK;
		}
		return ctl_usage("init", "unknown option");
	}
	if (optind < argc)
		return ctl_usage("init", "unexpected argument '%s'", argv[optind]);
	if (ctl_config(c) < 0)
		return CTL_FAIL;
	if (db_backend_of(c->cfg->database) == DB_BACKEND_POSTGRESQL)
		return init_pg(c);
	if (open_db(c, DB_CREATE | DB_MIGRATE) < 0)
		return CTL_FAIL;
	if (share_with_group(c->cfg->database) < 0)
		return CTL_FAIL;
	printf(_("%s: schema version %d\n"), c->cfg->database, schema_version());
	return CTL_OK;
}
