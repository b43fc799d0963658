/* ctl_check.c - 'backactl status --check': one line and an exit code in the
 * monitoring-plugin convention (Nagios, Icinga, Checkmk): 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN, with performance data after '|'. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "ctl.h"
#include "date.h"
#include "db.h"
#include "i18n.h"
#include "lock.h"
#include "pg_conn.h"

/* The daemon writes its heartbeat after a pass, at least every 300 s; a pass
 * may take minutes (an SMTP deadline, a large planning pass). */
#define BEAT_LATE_S 420
#define BEAT_STALE_S 900
/* However long a pass may be, a heartbeat this old means the daemon hangs,
 * whatever the outbox says (docs/operations.md). */
#define BEAT_HUNG_S 1800
/* A channel error this recent, with messages waiting to be retried on that
 * channel, counts as the channel failing. */
#define CHANNEL_ERROR_S 3600

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

struct health {
	long pid;            /* 0: never ran */
	int remote;          /* the daemon runs on another host (PostgreSQL) or
			      * in another container of this one: its pid
			      * cannot be looked at from here */
	int alive;           /* the pid exists (EPERM counts: another user's)
			      * and is a process named backad */
	long beat_age;       /* seconds since the heartbeat, -1: none */
	int busy;            /* a pass is under way: messages in 'sending'
			      * under a live lease of the daemon's own claim */
	long long pending, failed, dead, overdue;
	long long failing_email, failing_sms; /* waiting on a recently failing channel */
};

/* The first failure of a check's reads: what the verdict reports. */
struct reads {
	int bad;             /* the code of the first failure, or 0 */
	struct err e;
};

/* One integer from sql with parameters p1, p2 (text, may be NULL). */
static long long one_int(struct dbi *db, const char *sql, const char *p1, const char *p2,
			 struct reads *rd)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	long long v = 0;
	int r = dbi_prepare(db, sql, &st, &e);

	if (r == 0 && p1)
		r = dbi_bind_text(st, 1, p1);
	if (r == 0 && p2)
		r = dbi_bind_text(st, 2, p2);
	if (r == 0 && (r = dbi_step(st, &e)) == DBI_ROW)
		v = dbi_column_int64(st, 0);
	else if (r >= 0)
		r = err_set(&e, ERR_DB, "%s: no result", sql);
	dbi_finalize(st);
	if (r < 0 && !rd->bad) {
		rd->bad = r;
		rd->e = e;
	}
	return v;
}

/* One text (a state value) into buf, "" when there is none. */
static void one_text(struct dbi *db, const char *sql, char *buf, size_t n, struct reads *rd)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	int r = dbi_prepare(db, sql, &st, &e);

	buf[0] = '\0';
	if (r == 0 && (r = dbi_step(st, &e)) == DBI_ROW && dbi_column_text(st, 0))
		snprintf(buf, n, "%s", dbi_column_text(st, 0));
	dbi_finalize(st);
	if (r < 0 && !rd->bad) {
		rd->bad = r;
		rd->e = e;
	}
}

/* Messages waiting for a retry on a channel whose last error is recent. */
static long long failing(struct dbi *db, const char *channel, time_t now, struct reads *rd)
{
	char key[40], sql[160], val[300];
	time_t t;

	snprintf(sql, sizeof sql, "SELECT value FROM state WHERE key = 'last_error.%s'", channel);
	one_text(db, sql, val, sizeof val, rd);
	snprintf(key, sizeof key, "%.20s", val);
	if (!val[0] || cal_parse_instant(key, &t) < 0 || now - t > CHANNEL_ERROR_S)
		return 0;
	return one_int(db, "SELECT count(*) FROM outbox WHERE state = 'failed' AND channel = ?1",
		       channel, NULL, rd);
}

/* Whether pid is a live process named backad: kill(2) alone would take a
 * reused pid for the daemon. */
static int is_backad(long pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof comm, f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "backad") == 0;
}

/* When this boot began (/proc/stat btime), 0 if unknown. */
static time_t boot_time(void)
{
	char line[128];
	long long t = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "btime %lld", &t) == 1)
			break;
	fclose(f);
	return (time_t)t;
}

/* The daemon's owner name for claims (lock.h), as it wrote it
 * (daemon.owner) with daemon.pid, else its pid here (a heartbeat written
 * before daemon.owner was). *where: lock.h instance_where. */
static void daemon_owner(long pid, const char *noted, char *buf, size_t n, int *where)
{
	if (strchr(noted, '@') && strtol(noted, NULL, 10) == pid) {
		snprintf(buf, n, "%s", noted);
		*where = instance_where(noted);
		return;
	}
	instance_owner_of(pid, buf, n);
	*where = INSTANCE_HERE;
}

static int measure(struct ctl *c, time_t now, struct health *h, struct reads *rd)
{
	char buf[64], noted[128], today[DATE_LEN], iso[21], owner[128];
	time_t t;
	int where;

	memset(h, 0, sizeof *h);
	h->beat_age = -1;
	one_text(c->db, "SELECT value FROM state WHERE key = 'daemon.pid'", buf, sizeof buf, rd);
	h->pid = strtol(buf, NULL, 10);
	one_text(c->db, "SELECT value FROM state WHERE key = 'daemon.owner'", noted, sizeof noted,
		 rd);
	daemon_owner(h->pid, noted, owner, sizeof owner, &where);
	one_text(c->db, "SELECT value FROM state WHERE key = 'daemon.heartbeat'", buf, sizeof buf,
		 rd);
	if (buf[0] && cal_parse_instant(buf, &t) == 0)
		h->beat_age = now - t;
	/* A daemon of another host (a shared PostgreSQL database) or of
	 * another container of this host (another PID namespace, on either
	 * engine) is judged by its heartbeat alone; one of this host by its pid
	 * too. A heartbeat from before this boot is another boot's daemon: its
	 * pid now names some other process. */
	h->remote = where == INSTANCE_OTHER_NAMESPACE ||
		    (where == INSTANCE_ELSEWHERE && h->beat_age >= 0 &&
		     now - h->beat_age >= boot_time() && dbi_backend(c->db) == DBI_PG);
	if (h->remote)
		h->alive = h->beat_age <= BEAT_HUNG_S;
	else if (h->pid > 0)
		h->alive = is_backad(h->pid) && !(h->beat_age >= 0 && now - h->beat_age < boot_time());
	h->pending = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'pending'", NULL,
			     NULL, rd);
	h->failed = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'failed'", NULL, NULL,
			    rd);
	h->dead = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'dead'", NULL, NULL, rd);
	cal_iso_utc(now, iso);
	h->busy = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'sending'"
				 " AND claim_owner = ?1 AND lease_until > ?2", owner, iso, rd) > 0;
	date_format(cal_today(now), today);
	h->overdue = one_int(c->db, "SELECT count(*) FROM task WHERE state = 'open' AND due_date < ?1",
			     today, NULL, rd);
	h->failing_email = failing(c->db, "email", now, rd);
	h->failing_sms = failing(c->db, "sms", now, rd);
	return rd->bad;
}

/* The worst state and the words for it, most serious first. */
static int judge(const struct health *h, char *why, size_t n)
{
	if (!h->pid || h->beat_age < 0) {
		snprintf(why, n, _("backad has never run against this database"));
		return CHECK_CRITICAL;
	}
	if (!h->alive) {
		snprintf(why, n, _("backad is not running (pid %ld gone, last pass %ld s ago)"), h->pid,
			 h->beat_age);
		return CHECK_CRITICAL;
	}
	if (h->beat_age > BEAT_HUNG_S) {
		snprintf(why, n, _("backad hangs: last pass %ld s ago"), h->beat_age);
		return CHECK_CRITICAL;
	}
	if (h->beat_age > BEAT_STALE_S && !h->busy) {
		snprintf(why, n, _("heartbeat stale: last pass %ld s ago, nothing under way"),
			 h->beat_age);
		return CHECK_CRITICAL;
	}
	if (h->dead) {
		snprintf(why, n, ngettext("%lld dead message: see 'backactl outbox --state dead'",
					  "%lld dead messages: see 'backactl outbox --state dead'",
					  (unsigned long)h->dead),
			 h->dead);
		return CHECK_CRITICAL;
	}
	if (h->failing_email || h->failing_sms) {
		snprintf(why, n, _("channel failing: %lld e-mail and %lld SMS waiting for a retry"),
			 h->failing_email, h->failing_sms);
		return CHECK_WARNING;
	}
	if (h->overdue) {
		snprintf(why, n, ngettext("%lld overdue task: see 'backactl tasks'",
					  "%lld overdue tasks: see 'backactl tasks'",
					  (unsigned long)h->overdue),
			 h->overdue);
		return CHECK_WARNING;
	}
	if (h->beat_age > BEAT_LATE_S && !h->busy) {
		snprintf(why, n, _("heartbeat late: last pass %ld s ago"), h->beat_age);
		return CHECK_WARNING;
	}
	snprintf(why, n, _("running (pid %ld%s), %lld pending, %lld failed"), h->pid,
		 h->beat_age > BEAT_LATE_S ? _(", in a long pass") : "", h->pending, h->failed);
	return CHECK_OK;
}

int ctl_status_check(struct ctl *c)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	struct err e = { 0 };
	struct reads rd = { 0 };
	struct health h;
	char why[300], where[300];
	int rc, r;

	/* The reason goes to the monitoring line, not only to stderr. */
	if (!c->cfg && config_load(c->config_path, &c->cfg, NULL, NULL, &e) < 0) {
		printf("BACKAD UNKNOWN - %s\n",
		       e.msg[0] ? e.msg : _("the configuration file cannot be read"));
		return CHECK_UNKNOWN;
	}
	/* A PostgreSQL server out of reach is an outage of the service
	 * (CRITICAL), named by server and database, never the password; a
	 * file that cannot be opened stays a problem of the check (UNKNOWN). */
	if (!c->db && (r = db_open_cfg(c->cfg, DB_READONLY, &c->db, &e)) < 0) {
		/* pg_connect's message names the server and database. */
		if (r == ERR_IO && db_backend_of(c->cfg->database) == DB_BACKEND_POSTGRESQL) {
			printf("BACKAD CRITICAL - %s: %s\n", _("cannot reach the case database"),
			       e.msg);
			return CHECK_CRITICAL;
		}
		printf("BACKAD UNKNOWN - %s\n", e.msg);
		return CHECK_UNKNOWN;
	}
	if (measure(c, time(NULL), &h, &rd) < 0) {
		if (rd.bad == ERR_IO) {
			pg_describe(c->cfg->database, where, sizeof where);
			printf("BACKAD CRITICAL - %s (%s): %s\n",
			       _("lost the connection to the case database"), where, rd.e.msg);
			return CHECK_CRITICAL;
		}
		printf("BACKAD UNKNOWN - %s: %s\n", _("cannot read the case database"), rd.e.msg);
		return CHECK_UNKNOWN;
	}
	rc = judge(&h, why, sizeof why);
	/* The state word and the performance data are for the monitoring
	 * system (plugin convention); the explanation is for people. */
	printf("BACKAD %s - %s | pending=%lld failed=%lld dead=%lld overdue=%lld "
	       "heartbeat_age=%lds\n", word[rc], why, h.pending, h.failed, h.dead, h.overdue,
	       h.beat_age < 0 ? 0 : h.beat_age);
	return rc;
}
