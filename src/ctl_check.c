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
	int alive;           /* the pid exists (EPERM counts: another user's)
			      * and is a process named backad */
	long beat_age;       /* seconds since the heartbeat, -1: none */
	int busy;            /* a pass is under way: messages in 'sending'
			      * under a live lease of the daemon's own claim */
	long long pending, failed, dead, overdue;
	long long failing_email, failing_sms; /* waiting on a recently failing channel */
};

static long long one_int(struct dbi *db, const char *sql, const char *p1, int *bad)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;

	if (sqlite3_prepare_v2(DB_SQ(db), sql, -1, &st, NULL) != SQLITE_OK) {
		*bad = 1;
		return 0;
	}
	if (p1)
		sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		*bad = 1;
	sqlite3_finalize(st);
	return v;
}

static void one_text(struct dbi *db, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(DB_SQ(db), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Messages waiting for a retry on a channel whose last error is recent. */
static long long failing(struct dbi *db, const char *channel, time_t now, int *bad)
{
	char key[40], sql[160], val[300];
	time_t t;

	snprintf(sql, sizeof sql, "SELECT value FROM state WHERE key = 'last_error.%s'", channel);
	one_text(db, sql, val, sizeof val);
	snprintf(key, sizeof key, "%.20s", val);
	if (!val[0] || cal_parse_instant(key, &t) < 0 || now - t > CHANNEL_ERROR_S)
		return 0;
	return one_int(db, "SELECT count(*) FROM outbox WHERE state = 'failed' AND channel = ?1",
		       channel, bad);
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

/* The daemon's owner name for claims ("PID@BOOT-ID", as lock.c writes it),
 * on this boot. */
static void daemon_owner(long pid, char *buf, size_t n)
{
	char boot[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f) {
		if (!fgets(boot, sizeof boot, f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	snprintf(buf, n, "%ld@%s", pid, boot[0] ? boot : "unknown");
}

static int measure(struct ctl *c, time_t now, struct health *h)
{
	char buf[64], today[DATE_LEN], iso[21], owner[96];
	sqlite3_stmt *st = NULL;
	time_t t;
	int bad = 0;

	memset(h, 0, sizeof *h);
	h->beat_age = -1;
	one_text(c->db, "SELECT value FROM state WHERE key = 'daemon.pid'", buf, sizeof buf);
	h->pid = strtol(buf, NULL, 10);
	if (h->pid > 0)
		h->alive = is_backad(h->pid);
	one_text(c->db, "SELECT value FROM state WHERE key = 'daemon.heartbeat'", buf, sizeof buf);
	if (buf[0] && cal_parse_instant(buf, &t) == 0) {
		h->beat_age = now - t;
		/* A heartbeat from before this boot is another boot's daemon:
		 * its pid now names some other process. */
		if (t < boot_time())
			h->alive = 0;
	}
	h->pending = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'pending'", NULL, &bad);
	h->failed = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'failed'", NULL, &bad);
	h->dead = one_int(c->db, "SELECT count(*) FROM outbox WHERE state = 'dead'", NULL, &bad);
	cal_iso_utc(now, iso);
	daemon_owner(h->pid, owner, sizeof owner);
	if (sqlite3_prepare_v2(DB_SQ(c->db), "SELECT count(*) FROM outbox WHERE state = 'sending'"
				      " AND claim_owner = ?1 AND lease_until > ?2",
			       -1, &st, NULL) != SQLITE_OK) {
		bad = 1;
	} else {
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, iso, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			h->busy = sqlite3_column_int64(st, 0) > 0;
		else
			bad = 1;
		sqlite3_finalize(st);
	}
	date_format(cal_today(now), today);
	h->overdue = one_int(c->db, "SELECT count(*) FROM task WHERE state = 'open' AND due_date < ?1",
			     today, &bad);
	h->failing_email = failing(c->db, "email", now, &bad);
	h->failing_sms = failing(c->db, "sms", now, &bad);
	return bad ? -1 : 0;
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
	struct health h;
	char why[300];
	int rc;

	/* The reason goes to the monitoring line, not only to stderr. */
	if (!c->cfg && config_load(c->config_path, &c->cfg, NULL, NULL, &e) < 0) {
		printf("BACKAD UNKNOWN - %s\n",
		       e.msg[0] ? e.msg : _("the configuration file cannot be read"));
		return CHECK_UNKNOWN;
	}
	if (!c->db && db_open_cfg(c->cfg, DB_READONLY, &c->db, &e) < 0) {
		printf("BACKAD UNKNOWN - %s\n", e.msg);
		return CHECK_UNKNOWN;
	}
	if (measure(c, time(NULL), &h) < 0) {
		printf("BACKAD UNKNOWN - %s: %s\n", _("cannot read the case database"),
		       sqlite3_errmsg(DB_SQ(c->db)));
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
