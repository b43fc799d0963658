/* engine.c - loading everything the daemon needs, and one pass of its job. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

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
	r = planner_run(g->db, g->cfg, g->tpl, now, &st->plan, e);
	if (r < 0)
		return r;
	return deliver_pass(g->db, g->cfg, &g->email, &g->sms, now, &st->deliver, e);
}
