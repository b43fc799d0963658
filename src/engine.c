/* engine.c - loading everything the daemon needs, and one pass of its job. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"

#include "db.h"
#include "outbox.h"
#include "templates.h"

/* The delivery channels the configuration names. */
static int channels(struct engine *g, void (*errors)(void *ctx, const char *line), void *ctx,
		    struct err *e)
{
	int r;

	g->spool.dir = g->cfg->spool_dir;
	g->spool.cfg = g->cfg;
	spool_channel(&g->spool, 0, &g->email);
	spool_channel(&g->spool, 1, &g->sms);
	if (strcmp(g->cfg->delivery, "network") != 0)
		return 0;
	r = smtp_channel_init(&g->smtp, g->cfg, e);
	if (r < 0) {
		if (errors)
			errors(ctx, e->msg);
		return r;
	}
	smtp_channel(&g->smtp, &g->email);
	if (g->cfg->sms_provider == SMS_SPOOL)
		return 0;
	r = sms_channel_init(&g->sms_gw, g->cfg, e);
	if (r < 0) {
		if (errors)
			errors(ctx, e->msg);
		return r;
	}
	sms_channel(&g->sms_gw, &g->sms);
	return 0;
}

int engine_load(const char *path, struct engine **out,
		void (*errors)(void *ctx, const char *line), void *ctx, struct err *e)
{
	struct engine *g = calloc(1, sizeof *g);
	struct err te = { 0 }, de = { 0 };
	int r, rt = 0, rd = 0;

	*out = NULL;
	if (!g)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = config_load(path, &g->cfg, errors, ctx, e);
	if (r < 0)
		goto fail;
	/* Templates and database are both checked, so -n reports everything. */
	rt = templates_load(g->cfg->templates, &g->tpl, errors, ctx, &te);
	rd = db_open(g->cfg->database, 0, &g->db, &de);
	if (rd < 0 && errors)
		errors(ctx, de.msg);
	if (rt < 0 || rd < 0) {
		r = rt < 0 ? err_set(e, rt, "%s", te.msg) : err_set(e, rd, "%s", de.msg);
		goto fail;
	}
	templates_set_sms_limit(g->tpl, g->cfg->sms_max_segments);
	r = channels(g, errors, ctx, e);
	if (r < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	engine_free(g);
	return r;
}

void engine_free(struct engine *g)
{
	if (!g)
		return;
	if (g->db)
		sqlite3_close(g->db);
	smtp_channel_free(&g->smtp);
	sms_channel_free(&g->sms_gw);
	templates_free(g->tpl);
	config_free(g->cfg);
	free(g);
}

#define HEARTBEAT_S 60

/* state: daemon.pid, daemon.heartbeat, last_error.email|sms ("time text"). */
static int note_state(struct engine *g, time_t now, const struct engine_stats *st,
		      struct err *e)
{
	sqlite3_stmt *q = NULL;
	char ts[21], pid[24], email[300], sms[300];
	const char *keys[] = { "daemon.pid", "daemon.heartbeat", "last_error.email",
			       "last_error.sms" };
	const char *vals[4];
	int r;

	cal_iso_utc(now, ts);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	snprintf(email, sizeof email, "%s %s", ts, st->deliver.email_error);
	snprintf(sms, sizeof sms, "%s %s", ts, st->deliver.sms_error);
	vals[0] = pid;
	vals[1] = ts;
	vals[2] = st->deliver.email_error[0] ? email : NULL;
	vals[3] = st->deliver.sms_error[0] ? sms : NULL;
	r = db_begin(g->db, e);
	if (r == 0)
		r = db_prepare(g->db, "INSERT INTO state(key, value) VALUES (?1, ?2)"
				      " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &q, e);
	for (int i = 0; r == 0 && i < 4; i++) {
		if (!vals[i])
			continue;
		sqlite3_bind_text(q, 1, keys[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, vals[i], -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			r = db_fail(g->db, sqlite3_errcode(g->db), "state", e);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (r == 0)
		r = db_commit(g->db, e);
	if (r < 0)
		db_rollback(g->db);
	return r;
}

int engine_pass(struct engine *g, time_t now, struct engine_stats *st, struct err *e)
{
	int r;

	st->in_doubt = 0;
	if (!g->recovered) {
		r = outbox_recover(g->db, now, &st->in_doubt, e);
		if (r < 0)
			return r;
		g->recovered = 1;
	}
	r = planner_run(g->db, g->cfg, g->tpl, now, &g->plan_cache, &st->plan, e);
	if (r < 0)
		return r;
	r = deliver_pass(g->db, g->cfg, &g->email, &g->sms, now, &st->deliver, e);
	if (r < 0)
		return r;
	if (!g->noted || now - g->noted >= HEARTBEAT_S || now < g->noted ||
	    st->deliver.email_error[0] || st->deliver.sms_error[0]) {
		r = note_state(g, now, st, e);
		if (r == 0)
			g->noted = now;
	}
	return r;
}

time_t engine_next_wake(struct engine *g, const struct engine_stats *st, time_t now,
			int max_sleep)
{
	time_t next = now + max_sleep, all, email;
	int any_all = 0, any_email = 0;
	struct err e;

	if (st->plan.next_at && st->plan.next_at < next)
		next = st->plan.next_at;
	if (outbox_next_due(g->db, 1, now, &all, &any_all, &e) < 0 ||
	    outbox_next_due(g->db, 0, now, &email, &any_email, &e) < 0)
		return now + 1; /* the database is busy: look again soon */
	if (any_email && email < next)
		next = email;
	if (any_all && (!any_email || all < email)) {
		/* An SMS is earliest: not before its hours. */
		time_t sms = deliver_sms_next(g->cfg, all > now ? all : now);

		if (sms < next)
			next = sms;
	}
	return next > now ? next : now;
}

void engine_status(struct engine *g, const struct engine_stats *st, time_t next, char *buf,
		   size_t n)
{
	int c[OB_NSTATES] = { 0 };
	char when[17];
	struct err e;

	outbox_counts(g->db, c, &e);
	snprintf(buf, n, "%d pending, %d failed, %d dead; next pass %s%s%s",
		 c[OB_PENDING], c[OB_FAILED], c[OB_DEAD], cal_local_str(next, when),
		 st->deliver.last_error[0] ? "; last error: " : "", st->deliver.last_error);
}
