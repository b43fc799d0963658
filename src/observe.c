/* observe.c - journal events and metrics after each pass of the daemon. */
#include "observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "i18n.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"

/* One daemon per process: the pass in progress and the last good one. */
static struct {
	struct timespec started;
	time_t last_success;
	long long *dead;   /* ids dead before the pass, ascending */
	int ndead;
} obs;

static int known_dead(long long id)
{
	int lo = 0, hi = obs.ndead - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (obs.dead[mid] == id)
			return 1;
		if (obs.dead[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

void observe_begin(struct engine *g)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	int cap = 0;

	clock_gettime(CLOCK_MONOTONIC, &obs.started);
	obs.ndead = 0;
	if (dbi_prepare(g->db, "SELECT id FROM outbox WHERE state = 'dead' ORDER BY id", &st, &e) < 0)
		return;
	while (dbi_step(st, &e) == DBI_ROW) {
		if (obs.ndead == cap) {
			long long *nd = realloc(obs.dead, (size_t)(cap = cap ? cap * 2 : 64) *
							  sizeof *nd);

			if (!nd)
				break;
			obs.dead = nd;
		}
		obs.dead[obs.ndead++] = dbi_column_int64(st, 0);
	}
	dbi_finalize(st);
}

static int is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

void observe_redact(const char *in, char *out, size_t n)
{
	size_t o = 0;

	if (!n)
		return;
	while (*in) {
		size_t len = strcspn(in, " \t"), digits = 0, plen;
		int hide = memchr(in, '@', len) != NULL;
		const char *piece = in;

		for (size_t i = 0; i < len && !hide; i++) {
			/* A personal identity number: YYMMDD-NNNN, YYMMDD+NNNN,
			 * YYYYMMDD-NNNN; 8 digits or more in a row cover
			 * YYYYMMDDNNNN and 10 digits. */
			if ((in[i] == '-' || in[i] == '+') && digits >= 6 &&
			    len - i > 4 && is_digits(in + i + 1, 4)) {
				hide = 1;
				break;
			}
			digits = in[i] >= '0' && in[i] <= '9' ? digits + 1 : 0;
			hide = digits >= 8;
		}
		if (hide)
			piece = "[…]";
		plen = hide ? strlen(piece) : len;
		/* Whole words only: a cut one could end inside a UTF-8 character. */
		if (o + plen >= n)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		in += len;
		while ((*in == ' ' || *in == '\t') && o + 1 < n)
			out[o++] = *in++;
	}
	out[o] = '\0';
}

static void report_dead(struct dbi *db)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };

	if (dbi_prepare(db, "SELECT id, rule, channel, subject_key, attempts,"
			    " coalesce(last_error, '') FROM outbox WHERE state = 'dead'"
			    " ORDER BY id", &st, &e) < 0)
		return;
	while (dbi_step(st, &e) == DBI_ROW) {
		struct journal_fields f = {
			.outbox_id = dbi_column_int64(st, 0),
			.rule = dbi_column_text(st, 1),
			.channel = dbi_column_text(st, 2),
			.subject = dbi_column_text(st, 3),
		};
		char why[300];

		if (known_dead(f.outbox_id))
			continue;
		observe_redact(dbi_column_text(st, 5), why, sizeof why);
		journal_event(JOURNAL_DEAD, LOG_WARNING, &f,
			      ngettext("message %lld (%s, %s) given up after %d attempt: %s",
				       "message %lld (%s, %s) given up after %d attempts: %s",
				       (unsigned long)dbi_column_int(st, 4)),
			      f.outbox_id, f.rule, f.channel, dbi_column_int(st, 4), why);
	}
	dbi_finalize(st);
}

/* Planning errors recorded in this pass (at the pass's clock or later). */
static void report_plan_errors(struct dbi *db, time_t now)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	char iso[21];

	if (dbi_prepare(db, "SELECT subject_key, message FROM plan_error WHERE at >= ?1"
			    " ORDER BY subject_key", &st, &e) < 0)
		return;
	if (dbi_bind_text(st, 1, cal_iso_utc(now, iso)) < 0) {
		dbi_finalize(st);
		return;
	}
	while (dbi_step(st, &e) == DBI_ROW) {
		struct journal_fields f = { .subject = dbi_column_text(st, 0) };
		char why[300];

		observe_redact(dbi_column_text(st, 1), why, sizeof why);
		journal_event(JOURNAL_PLAN_ERROR, LOG_ERR, &f, "cannot plan %s: %s", f.subject, why);
	}
	dbi_finalize(st);
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void observe_end(struct engine *g, time_t now, const struct engine_stats *st, int ok)
{
	const struct plan_stats *p = &st->plan;
	const struct deliver_stats *d = &st->deliver;
	struct metrics_pass m = { .now = now, .duration = seconds_since(&obs.started), .ok = ok };
	struct err e = { 0 };

	if (ok)
		obs.last_success = time(NULL);
	m.last_success = obs.last_success;
	report_dead(g->db);
	report_plan_errors(g->db, now);
	if (!ok)
		journal_event(JOURNAL_PASS_FAILED, LOG_ERR, NULL, "pass failed after %.1f s: %s",
			      m.duration, d->last_error);
	else if (p->planned || p->cancelled || p->updated || p->alerts || d->sent || d->failed ||
		 d->dead)
		journal_event(JOURNAL_PASS, LOG_INFO, NULL,
			      "pass in %.1f s: planned %d, updated %d, cancelled %d, alerts %d; "
			      "sent %d, failed %d, dead %d", m.duration, p->planned, p->updated,
			      p->cancelled, p->alerts, d->sent, d->failed, d->dead);
	free(obs.dead);
	obs.dead = NULL;
	obs.ndead = 0;
	if (g->cfg->metrics_file && metrics_write(g->db, g->cfg->metrics_file, &m, &e) < 0)
		log_warn("%s", e.msg);
}
