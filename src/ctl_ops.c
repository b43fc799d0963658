/* ctl_ops.c - 'backactl status' (is backad running, what waits, what
 * failed) and 'backactl report' (the figures a municipality follows up). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack_store.h"
#include "calendar.h"
#include "ctl.h"
#include "ctl_format.h"
#include "date.h"
#include "db.h"
#include "i18n.h"
#include "outbox.h"
#include "table.h"

/* One text from a query with up to two text parameters (given only when
 * the query has them), or def. */
static void query_text(struct dbi *db, const char *sql, const char *p1, const char *p2,
		       char *buf, size_t n, const char *def)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };

	snprintf(buf, n, "%s", def);
	if (dbi_prepare(db, sql, &st, &e) < 0)
		return;
	if (p1)
		dbi_bind_text(st, 1, p1);
	if (p2)
		dbi_bind_text(st, 2, p2);
	if (dbi_step(st, &e) == DBI_ROW && dbi_column_text(st, 0))
		snprintf(buf, n, "%s", dbi_column_text(st, 0));
	dbi_finalize(st);
}

/* The first ten dead messages' ids, "1, 2, 3", or def: the list is built
 * here, as SQLite's group_concat and PostgreSQL's string_agg differ. */
static void dead_ids(struct dbi *db, char *buf, size_t n, const char *def)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	size_t len = 0;

	snprintf(buf, n, "%s", def);
	if (dbi_prepare(db, "SELECT id FROM outbox WHERE state = 'dead' ORDER BY id LIMIT 10",
			&st, &e) < 0)
		return;
	while (dbi_step(st, &e) == DBI_ROW && len < n) {
		int w = snprintf(buf + len, n - len, "%s%lld", len ? ", " : "",
				 dbi_column_int64(st, 0));

		len += w > 0 ? (size_t)w : 0;
	}
	dbi_finalize(st);
}

static void daemon_state(struct dbi *db, char *buf, size_t n)
{
	char pid[32], beat[32], when[17];
	time_t t = 0;
	long p;

	query_text(db, "SELECT value FROM state WHERE key = 'daemon.pid'", NULL, NULL, pid,
		   sizeof pid, "");
	query_text(db, "SELECT value FROM state WHERE key = 'daemon.heartbeat'", NULL, NULL, beat,
		   sizeof beat, "");
	if (!pid[0] || cal_parse_instant(beat, &t) < 0) {
		snprintf(buf, n, "%s", _("has never run against this database"));
		return;
	}
	p = strtol(pid, NULL, 10);
	cal_local_str(t, when);
	/* The daemon passes at least every 300 s; allow for a slow pass. */
	if (p > 0 && (kill((pid_t)p, 0) == 0 || errno == EPERM) && time(NULL) - t < 420)
		snprintf(buf, n, _("running (pid %ld, last pass %s)"), p, when);
	else
		snprintf(buf, n, _("not running (last pass %s)"), when);
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const head[] = { N_("AREA"), N_("STATE") };
	static const char *const keys[] = { "area", "value" };
	const char *cells[40][2];
	char vals[40][300], labels[40][64], today[DATE_LEN], sql[300];
	int counts[OB_NSTATES], ch, n = 0, check = 0, mach;
	struct err e = { 0 };
	struct dbi_stmt *st = NULL;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'k') {
			check = 1;
			continue;
		}
		if (ch == 'h') {
			printf(_("usage: backactl status [--check]\n\n"
			       "Whether backad is running, the queue by state, the oldest waiting\n"
			       "message, dead messages, overdue tasks by rule, and the last\n"
			       "delivery error of each channel.\n\n"
			       "  --check   one line for monitoring (BACKAD OK|WARNING|CRITICAL - ...);\n"
			       "            exit 0 healthy, 1 warning, 2 critical, 3 unknown\n"));
			return CTL_OK;
		}
		return ctl_usage("status", "unknown option");
	}
	if (optind < argc)
		return ctl_usage("status", "unexpected argument '%s'", argv[optind]);
	if (check)
		return ctl_status_check(c);
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	if (outbox_counts(c->db, counts, &e) < 0)
		return ctl_fail("status", "%s", e.msg);
	/* For JSON and CSV every row names its area (in English, for programs)
	 * and holds the bare figure; the table groups rows under one label in
	 * the reader's language. */
	mach = c->format != CTL_FMT_TEXT;
#define LABEL(s) (mach || !(s)[0] ? (s) : _(s))
#define ROW(label, ...) do { snprintf(vals[n], sizeof vals[n], __VA_ARGS__); \
		cells[n][0] = LABEL(label); cells[n][1] = vals[n]; n++; } while (0)
	daemon_state(c->db, vals[n], sizeof vals[n]);
	cells[n][0] = "backad";
	cells[n][1] = vals[n];
	n++;
	for (int i = 0; i < OB_NSTATES; i++)
		if (mach) {
			snprintf(labels[n], sizeof labels[n], "queue %s", outbox_state_names[i]);
			ROW(labels[n], "%d", counts[i]);
		} else {
			ROW(i == 0 ? N_("queue") : "", "%-9s %d", outbox_state_names[i], counts[i]);
		}
	query_text(c->db, "SELECT min(coalesce(next_attempt_at, due_at)) FROM outbox"
			  " WHERE state IN ('pending','failed')", NULL, NULL, vals[n], sizeof vals[n], "-");
	{
		time_t t;
		char when[17];

		if (cal_parse_instant(vals[n], &t) == 0)
			snprintf(vals[n], sizeof vals[n], "%s", cal_local_str(t, when));
	}
	cells[n][0] = LABEL(N_("oldest waiting"));
	cells[n][1] = vals[n];
	n++;
	dead_ids(c->db, vals[n], sizeof vals[n], mach ? "none" : _("none"));
	cells[n][0] = LABEL(N_("dead messages"));
	cells[n][1] = vals[n];
	n++;
	date_format(cal_today(time(NULL)), today);
	snprintf(sql, sizeof sql, "SELECT rule, count(*) FROM task WHERE state = 'open'"
		 " AND due_date < ?1 GROUP BY rule ORDER BY rule");
	if (dbi_prepare(c->db, sql, &st, &e) == 0) {
		int any = 0;

		dbi_bind_text(st, 1, today);
		while (dbi_step(st, &e) == DBI_ROW && n < 36) {
			const char *rule = dbi_column_text(st, 0);

			if (mach) {
				snprintf(labels[n], sizeof labels[n], "overdue tasks %s", rule);
				ROW(labels[n], "%d", dbi_column_int(st, 1));
			} else {
				ROW(any ? "" : N_("overdue tasks"), "%-10s %d", rule,
				    dbi_column_int(st, 1));
			}
			any = 1;
		}
		if (!any)
			ROW(N_("overdue tasks"), "%s", mach ? "none" : _("none"));
		dbi_finalize(st);
	}
	query_text(c->db, "SELECT value FROM state WHERE key = 'last_error.email'", NULL, NULL,
		   vals[n], sizeof vals[n], mach ? "none" : _("no error"));
	cells[n][0] = LABEL(N_("last error e-mail"));
	cells[n][1] = vals[n];
	n++;
	query_text(c->db, "SELECT value FROM state WHERE key = 'last_error.sms'", NULL, NULL,
		   vals[n], sizeof vals[n], mach ? "none" : _("no error"));
	cells[n][0] = LABEL(N_("last error SMS"));
	cells[n][1] = vals[n];
	n++;
#undef ROW
#undef LABEL
	if (ctl_table(c->format, 2, head, keys, &cells[0][0], n, NULL) < 0)
		return ctl_fail("status", "out of memory");
	return CTL_OK;
}

/* ---- report ---- */

static long long count(struct dbi *db, const char *sql, const char *from, const char *to)
{
	char buf[32];

	query_text(db, sql, from, to, buf, sizeof buf, "0");
	return strtoll(buf, NULL, 10);
}

static double median_days(struct dbi *db, const char *from, const char *to, int *n)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	int cap = 0, *v = NULL;
	double m = 0;

	*n = 0;
	if (dbi_prepare(db, "SELECT CAST(julianday(decision_date) - julianday(received_date)"
			" AS INTEGER) AS d FROM referral WHERE received_date BETWEEN ?1"
			" AND ?2 AND decision_date IS NOT NULL ORDER BY d", &st, &e) < 0)
		return 0;
	dbi_bind_text(st, 1, from);
	dbi_bind_text(st, 2, to);
	while (dbi_step(st, &e) == DBI_ROW) {
		if (*n == cap) {
			int *nv = realloc(v, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *v);

			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = dbi_column_int(st, 0);
	}
	dbi_finalize(st);
	if (*n)
		m = *n % 2 ? v[*n / 2] : (v[*n / 2 - 1] + v[*n / 2]) / 2.0;
	free(v);
	return m;
}

/* Handover messages sent before the day the child moved (the day is the
 * occurrence in the key: rule/placement:ID/START-OFFSET/recipient). */
static void handovers(struct dbi *db, const char *from, const char *to, int *in_time, int *late)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };

	*in_time = *late = 0;
	if (dbi_prepare(db, "SELECT key, sent_at FROM outbox WHERE rule LIKE 'handover_%'"
			" AND state = 'sent' AND substr(due_at, 1, 10) BETWEEN ?1 AND ?2", &st,
			&e) < 0)
		return;
	dbi_bind_text(st, 1, from);
	dbi_bind_text(st, 2, to);
	while (dbi_step(st, &e) == DBI_ROW) {
		const char *key = dbi_column_text(st, 0);
		const char *sent = dbi_column_text(st, 1);
		const char *occ = key ? strchr(key, '/') : NULL;
		time_t t;
		int start, day;

		occ = occ ? strchr(occ + 1, '/') : NULL;
		if (!occ || !sent || cal_parse_instant(sent, &t) < 0)
			continue;
		char d[DATE_LEN];

		snprintf(d, sizeof d, "%.10s", occ + 1);
		if (date_parse(d, &start) < 0)
			continue;
		day = cal_today(t);
		if (day <= start)
			(*in_time)++;
		else
			(*late)++;
	}
	dbi_finalize(st);
}

int cmd_report(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const head[] = { N_("MEASURE"), N_("VALUE") };
	static const char *const keys[] = { "measure", "value" };
	static const int right[] = { 0, 1 };
	const char *from = NULL, *to = NULL, *cells[24][2];
	char vals[24][64], dl[8];
	int ch, n = 0, d, decided, in_time, late;
	double med;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'h':
			printf(_("usage: backactl report --from DATE --to DATE\n\n"
			       "The figures to follow up for a period: referrals received,\n"
			       "preliminary assessments decided within the deadline and late, the\n"
			       "median days to a decision, handovers announced in time, follow-ups\n"
			       "held on time, messages sent per channel, and acknowledgements by link\n"
			       "with the hours from the first message to them (median, max).\n"));
			return CTL_OK;
		default:
			return ctl_usage("report", "unknown option");
		}
	}
	if (!from || !to || date_parse(from, &d) < 0 || date_parse(to, &d) < 0)
		return ctl_usage("report", "--from and --to need dates (YYYY-MM-DD)");
	if (strcmp(from, to) > 0)
		return ctl_usage("report", "--from %s is after --to %s", from, to);
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	snprintf(dl, sizeof dl, "%d", c->cfg->referral_deadline);
	/* Measures are named in English for programs, translated in the table. */
#define ROW(label, ...) do { snprintf(vals[n], sizeof vals[n], __VA_ARGS__); \
		cells[n][0] = c->format == CTL_FMT_TEXT ? _(label) : (label); \
		cells[n][1] = vals[n]; n++; } while (0)
	ROW(N_("referrals received"), "%lld",
	    count(c->db, "SELECT count(*) FROM referral WHERE received_date BETWEEN ?1 AND ?2",
		  from, to));
	decided = (int)count(c->db, "SELECT count(*) FROM referral WHERE received_date BETWEEN ?1"
				    " AND ?2 AND decision_date IS NOT NULL", from, to);
	{
		char sql[300];

		snprintf(sql, sizeof sql, "SELECT count(*) FROM referral WHERE received_date BETWEEN"
			 " ?1 AND ?2 AND decision_date IS NOT NULL AND julianday(decision_date) -"
			 " julianday(received_date) <= %s", dl);
		ROW(N_("initial assessments on time"), "%lld", count(c->db, sql, from, to));
		ROW(N_("initial assessments late"), "%lld", decided - count(c->db, sql, from, to));
		snprintf(sql, sizeof sql, "SELECT count(*) FROM referral WHERE received_date BETWEEN"
			 " ?1 AND ?2 AND decision_date IS NULL AND julianday('now') -"
			 " julianday(received_date) > %s", dl);
		ROW(N_("not decided, overdue"), "%lld", count(c->db, sql, from, to));
	}
	med = median_days(c->db, from, to, &d);
	if (d)
		ROW(N_("median days to decision"), "%.1f", med);
	else
		ROW(N_("median days to decision"), "-");
	ROW(N_("investigation opened"), "%lld", count(c->db, "SELECT count(*) FROM referral WHERE"
		" received_date BETWEEN ?1 AND ?2 AND outcome = 'opened'", from, to));
	ROW(N_("investigation not opened"), "%lld", count(c->db, "SELECT count(*) FROM referral WHERE"
		" received_date BETWEEN ?1 AND ?2 AND outcome = 'not_opened'", from, to));
	handovers(c->db, from, to, &in_time, &late);
	ROW(N_("handovers announced on time"), "%d", in_time);
	ROW(N_("handovers announced late"), "%d", late);
	ROW(N_("follow-ups held on time"), "%lld", count(c->db, "SELECT count(*) FROM followup"
		" WHERE due_date BETWEEN ?1 AND ?2 AND done_date <= due_date", from, to));
	ROW(N_("follow-ups late or not held"), "%lld", count(c->db, "SELECT count(*) FROM"
		" followup WHERE due_date BETWEEN ?1 AND ?2 AND (done_date IS NULL OR"
		" done_date > due_date)", from, to));
	ROW(N_("e-mails sent"), "%lld", count(c->db, "SELECT count(*) FROM audit WHERE channel ="
		" 'email' AND substr(at, 1, 10) BETWEEN ?1 AND ?2", from, to));
	ROW(N_("SMS sent"), "%lld", count(c->db, "SELECT count(*) FROM audit WHERE channel ="
		" 'sms' AND substr(at, 1, 10) BETWEEN ?1 AND ?2", from, to));
	{
		struct ack_stats as;
		struct err e = { 0 };

		if (ack_store_stats(c->db, from, to, &as, &e) < 0)
			return ctl_fail("report", "%s", e.msg);
		ROW(N_("acknowledgements"), "%lld", as.count);
		if (as.timed) {
			ROW(N_("hours to acknowledgement, median"), "%.1f", as.median_h);
			ROW(N_("hours to acknowledgement, max"), "%.1f", as.max_h);
		} else {
			ROW(N_("hours to acknowledgement, median"), "-");
			ROW(N_("hours to acknowledgement, max"), "-");
		}
	}
#undef ROW
	if (c->format == CTL_FMT_TEXT)
		printf(_("Backa barnet %s – %s\n\n"), from, to);
	if (ctl_table(c->format, 2, head, keys, &cells[0][0], n, right) < 0)
		return ctl_fail("report", "out of memory");
	return CTL_OK;
}
