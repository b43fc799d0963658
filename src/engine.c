/* engine.c - loading everything the daemon needs; planning; delivery. */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"

#include "db.h"
#include "lock.h"
#include "outbox.h"
#include "templates.h"

/* ---- the channels: one line each ---- */

static int email_setup(struct engine *g, struct transport *t, struct err *e)
{
	int r;

	if (strcmp(g->cfg->delivery, "network") != 0) {
		spool_channel(&g->spool, 0, &g->spool_email);
		transport_sync(t, &g->spool_email, DELIVER_BATCH);
		return 0;
	}
	r = smtp_channel_init(&g->smtp, g->cfg, e);
	if (r == 0)
		smtp_transport(&g->smtp, t);
	return r;
}

static int sms_setup(struct engine *g, struct transport *t, struct err *e)
{
	int r;

	if (strcmp(g->cfg->delivery, "network") != 0 || g->cfg->sms_provider == SMS_SPOOL) {
		spool_channel(&g->spool, 1, &g->spool_sms);
		transport_sync(t, &g->spool_sms, DELIVER_BATCH);
		return 0;
	}
	r = sms_channel_init(&g->sms_gw, g->cfg, e);
	if (r == 0)
		r = sms_transport(&g->sms_gw, t, e);
	return r;
}

static const struct chan_def {
	const char *name; /* outbox.channel */
	int (*setup)(struct engine *g, struct transport *t, struct err *e);
	int (*allowed)(const struct config *cfg, time_t t);
	time_t (*next_allowed)(const struct config *cfg, time_t t);
} chan_defs[] = {
	{ "email", email_setup, NULL, NULL },
	{ "sms", sms_setup, deliver_sms_allowed, deliver_sms_next },
};

#define NCHAN ((int)(sizeof chan_defs / sizeof chan_defs[0]))

static int channels(struct engine *g, void (*errors)(void *ctx, const char *line), void *ctx,
		    struct err *e)
{
	g->spool.dir = g->cfg->spool_dir;
	g->spool.cfg = g->cfg;
	delivery_init(&g->dl, g->db, g->cfg, instance_owner());
	g->dl.tpl = g->tpl;
	for (int i = 0; i < NCHAN && i < DELIVER_MAX_CHANNELS; i++) {
		int r = chan_defs[i].setup(g, &g->tr[i], e);

		if (r < 0) {
			if (errors)
				errors(ctx, e->msg);
			return r;
		}
		delivery_add(&g->dl, chan_defs[i].name, &g->tr[i], chan_defs[i].allowed,
			     chan_defs[i].next_allowed);
	}
	return 0;
}

/* SQLite: commits reach the kernel at once (enough for a killed process);
 * delivery fsyncs the log within DELIVER_SYNC_MS (a power loss).
 * PostgreSQL's server makes its own commits durable. */
static int sync_mode(struct dbi *db, struct err *e)
{
	if (dbi_backend(db) != DBI_SQLITE)
		return 0;
	return db_exec(db, "PRAGMA synchronous = NORMAL", e);
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
	rd = db_open_cfg(g->cfg, 0, &g->db, &de);
	if (rd < 0 && errors)
		errors(ctx, de.msg);
	if (rt < 0 || rd < 0) {
		r = rt < 0 ? err_set(e, rt, "%s", te.msg) : err_set(e, rd, "%s", de.msg);
		goto fail;
	}
	templates_set_sms_limit(g->tpl, g->cfg->sms_max_segments);
	r = sync_mode(g->db, e);
	if (r == 0)
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
	if (g->cfg) {
		/* Whatever is still in flight ends now, and is recorded. */
		struct err e = { 0 };

		delivery_stop(&g->dl);
		if (g->db)
			delivery_sync(&g->dl, time(NULL), &e);
		delivery_free(&g->dl);
	}
	if (g->db)
		db_close(g->db);
	smtp_channel_free(&g->smtp);
	sms_channel_free(&g->sms_gw);
	templates_free(g->tpl);
	config_free(g->cfg);
	free(g);
}

void engine_disconnect(struct engine *g)
{
	if (!g->db)
		return;
	db_close(g->db);
	g->db = NULL;
	g->dl.db = NULL;
}

int engine_connect(struct engine *g, struct err *e)
{
	int r;

	if (g->db)
		return 0;
	r = db_open_cfg(g->cfg, 0, &g->db, e);
	if (r == 0 && (r = sync_mode(g->db, e)) < 0) {
		db_close(g->db);
		g->db = NULL;
	}
	g->dl.db = g->db;
	return r;
}

#define HEARTBEAT_S 60

/* state: daemon.pid, daemon.owner, daemon.heartbeat, last_error.email|sms
 * ("time text"). */
int engine_note(struct engine *g, time_t now, const struct deliver_stats *st, int force,
		struct err *e)
{
	struct dbi_stmt *q = NULL;
	char ts[21], pid[24], email[300], sms[300];
	const char *keys[] = { "daemon.pid", "daemon.owner", "daemon.heartbeat",
			       "last_error.email", "last_error.sms" };
	const char *vals[5];
	int r, fresh_email, fresh_sms;

	fresh_email = st->email_error[0] && strcmp(st->email_error, g->noted_email) != 0;
	fresh_sms = st->sms_error[0] && strcmp(st->sms_error, g->noted_sms) != 0;
	if (!force && g->noted && now - g->noted < HEARTBEAT_S && now >= g->noted && !fresh_email &&
	    !fresh_sms)
		return 0;
	cal_iso_utc(now, ts);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	snprintf(email, sizeof email, "%s %s", ts, st->email_error);
	snprintf(sms, sizeof sms, "%s %s", ts, st->sms_error);
	vals[0] = pid;
	vals[1] = instance_owner();
	vals[2] = ts;
	vals[3] = st->email_error[0] ? email : NULL;
	vals[4] = st->sms_error[0] ? sms : NULL;
	r = db_begin(g->db, e);
	if (r == 0)
		r = dbi_prepare(g->db, "INSERT INTO state(key, value) VALUES (?1, ?2)"
				       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &q, e);
	for (int i = 0; r == 0 && i < 5; i++) {
		if (!vals[i])
			continue;
		r = dbi_bind_text(q, 1, keys[i]);
		if (r == 0)
			r = dbi_bind_text(q, 2, vals[i]);
		if (r == 0 && (r = dbi_step(q, e)) == DBI_DONE)
			r = 0;
		else if (r >= 0)
			r = err_set(e, ERR_DB, "state: unexpected row");
		dbi_reset(q);
	}
	dbi_finalize(q);
	if (r == 0)
		r = db_commit(g->db, e);
	if (r < 0) {
		db_rollback(g->db);
		return r;
	}
	g->noted = now;
	snprintf(g->noted_email, sizeof g->noted_email, "%s", st->email_error);
	snprintf(g->noted_sms, sizeof g->noted_sms, "%s", st->sms_error);
	return 0;
}

int engine_recover(struct engine *g, time_t now, struct engine_stats *st, struct err *e)
{
	int r = outbox_recover(g->db, now, g->dl.owner, g->cfg, &st->recovery, e);

	if (r == 0)
		r = outbox_expire(g->db, now, g->cfg, &st->expired, e);
	if (r == 0 && (st->recovery.in_doubt || st->recovery.released || st->recovery.dead ||
		       st->expired))
		delivery_poke(&g->dl);
	return r;
}

int engine_plan(struct engine *g, time_t now, struct engine_stats *st, struct err *e)
{
	int r = planner_run(g->db, g->cfg, g->tpl, now, &g->plan_cache, &st->plan, e);

	if (r == 0)
		delivery_poke(&g->dl);
	return r;
}

/* Merge what a delivery reported into the running totals. */
static void add_stats(struct deliver_stats *to, const struct deliver_stats *from)
{
	to->sent += from->sent;
	to->failed += from->failed;
	to->dead += from->dead;
	to->deferred += from->deferred;
	to->untried += from->untried;
	if (from->last_error[0])
		memcpy(to->last_error, from->last_error, sizeof to->last_error);
	if (from->email_error[0])
		memcpy(to->email_error, from->email_error, sizeof to->email_error);
	if (from->sms_error[0])
		memcpy(to->sms_error, from->sms_error, sizeof to->sms_error);
}

#define PASS_FDS 64

int engine_pass(struct engine *g, time_t now, struct engine_stats *st, struct err *e)
{
	struct deliver_stats ds;
	int r;

	memset(st, 0, sizeof *st);
	if (g->delivering && !g->plan_elsewhere) {
		r = engine_recover(g, now, st, e);
		if (r < 0)
			return r;
	}
	r = g->plan_elsewhere ? 0 : engine_plan(g, now, st, e);
	if (r < 0 || !g->delivering)
		return r;
	for (;;) {
		struct pollfd p[PASS_FDS];
		long long deadline = mono_ms() + 1000, left;
		time_t wake = now + 1;
		int n;

		r = delivery_pump(&g->dl, now, e);
		if (r == 0)
			r = delivery_flush(&g->dl, now, e);
		if (r < 0)
			break;
		if (!delivery_busy(&g->dl) && !delivery_due(&g->dl, now))
			break;
		n = delivery_fds(&g->dl, p, PASS_FDS, &deadline, &wake);
		if (wake <= now || delivery_due(&g->dl, now))
			deadline = 0;
		left = deadline - mono_ms();
		if (poll(p, (nfds_t)n, left > 0 ? (int)left : 0) < 0 && errno != EINTR) {
			r = err_set(e, ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		delivery_run(&g->dl, p);
	}
	delivery_take_stats(&g->dl, &ds);
	add_stats(&st->deliver, &ds);
	if (r == 0)
		r = delivery_sync(&g->dl, now, e);
	if (r == 0)
		r = engine_note(g, now, &st->deliver, 1, e);
	return r;
}

void engine_status(struct engine *g, time_t next, const char *extra, char *buf, size_t n)
{
	int c[OB_NSTATES] = { 0 };
	char when[17];
	struct err e;

	if (g->db)
		outbox_counts(g->db, c, &e);
	/* No time before the first pass, nor in a daemon that does not plan
	 * (it said "next pass 1970-01-01 01:00"). */
	snprintf(buf, n, "%d pending, %d sending, %d failed, %d dead%s%s%s%s", c[OB_PENDING],
		 c[OB_SENDING], c[OB_FAILED], c[OB_DEAD], next > 0 ? "; next pass " : "",
		 next > 0 ? cal_local_str(next, when) : "", extra && extra[0] ? "; " : "",
		 extra ? extra : "");
}
