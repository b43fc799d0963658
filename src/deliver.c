/* deliver.c - claiming due messages in batches and sending them. */
#include "deliver.h"

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "outbox.h"

int deliver_sms_allowed(const struct config *cfg, time_t t)
{
	int day, minute;

	cal_utc_to_local(t, &day, &minute);
	return cal_is_workday(day) && minute >= cfg->sms_from && minute < cfg->sms_until;
}

time_t deliver_sms_next(const struct config *cfg, time_t t)
{
	int day, minute;
	time_t next = t;

	if (deliver_sms_allowed(cfg, t))
		return t;
	cal_utc_to_local(t, &day, &minute);
	if (!cal_is_workday(day) || minute >= cfg->sms_until)
		day = cal_next_workday(day + 1);
	cal_local_to_utc(day, cfg->sms_from, &next);
	return next;
}

static enum outbox_result result_of(const struct send_result *r)
{
	if (r->code == 0)
		return r->in_doubt ? OUTBOX_SENT_INDOUBT : OUTBOX_SENT;
	if (r->code == ERR_PERMFAIL)
		return OUTBOX_PERMFAIL;
	return r->in_doubt ? OUTBOX_INDOUBT : OUTBOX_TEMPFAIL;
}

/* One batch in flight: results are recorded as the channel reports them. */
struct group {
	sqlite3 *db;
	const struct config *cfg;
	const struct channel *ch;
	const struct outbox_msg *msgs;
	struct send_result *res;
	int *recorded;
	time_t now;
	struct deliver_stats *st;
	struct err *e;
	int r; /* the first database error */
};

static void record(void *arg, int i)
{
	struct group *g = arg;
	const struct send_result *res = &g->res[i];
	struct deliver_stats *st = g->st;
	enum outbox_state state;

	if (g->r < 0 || g->recorded[i])
		return;
	g->recorded[i] = 1;
	if (res->code < 0) {
		snprintf(st->last_error, sizeof st->last_error, "%s: %s", g->ch->name, res->detail);
		snprintf(strcmp(g->msgs[i].channel, "sms") == 0 ? st->sms_error : st->email_error,
			 sizeof st->email_error, "%s", res->detail);
	}
	g->r = outbox_done(g->db, &g->msgs[i], result_of(res), res->detail, res->retry_after,
			   g->now, g->cfg, &state, g->e);
	st->sent += g->r == 0 && state == OB_SENT;
	st->failed += g->r == 0 && state == OB_FAILED;
	st->dead += g->r == 0 && state == OB_DEAD;
}

/* Send the messages of one channel as one batch and record every result. */
static int send_group(sqlite3 *db, const struct config *cfg, const struct channel *ch,
		      const struct outbox_msg *msgs, int n, time_t now,
		      struct deliver_stats *st, struct err *e)
{
	struct send_result res[DELIVER_BATCH];
	int recorded[DELIVER_BATCH] = { 0 };
	struct group g = { db, cfg, ch, msgs, res, recorded, now, st, e, 0 };

	if (n == 0)
		return 0;
	ch->send(ch->ctx, msgs, n, res, record, &g);
	/* A channel that forgot one still has it recorded. */
	for (int i = 0; i < n; i++)
		record(&g, i);
	return g.r;
}

/* Hold back what the rate limits do not allow now; the rest stays in msgs
 * (compacted, *n updated). Counts come from the audit log. */
static int rate_limit(sqlite3 *db, const struct config *cfg, struct outbox_msg *msgs, int *n,
		      time_t now, struct deliver_stats *st, struct err *e)
{
	int global = 0, k = 0, r = 0;

	if (!cfg->rate_global && !cfg->rate_recipient)
		return 0;
	if (cfg->rate_global)
		r = outbox_sent_since(db, NULL, now - 60, &global, e);
	for (int i = 0; r == 0 && i < *n; i++) {
		int mine = 0;
		time_t until = 0;

		if (cfg->rate_recipient)
			r = outbox_sent_since(db, msgs[i].address, now - 3600, &mine, e);
		/* Earlier messages of this batch to the same address count too. */
		for (int j = 0; j < k; j++)
			mine += strcmp(msgs[j].address, msgs[i].address) == 0;
		if (r == 0 && cfg->rate_global && global + k >= cfg->rate_global)
			until = now + 60;
		else if (r == 0 && cfg->rate_recipient && mine >= cfg->rate_recipient)
			until = now + 3600;
		if (r == 0 && until) {
			r = outbox_defer(db, &msgs[i], until, e);
			st->deferred += r == 0;
			continue;
		}
		if (k != i) {
			struct outbox_msg tmp = msgs[k];

			msgs[k] = msgs[i];
			msgs[i] = tmp;
		}
		k++;
	}
	*n = k;
	return r;
}

/* Claimed rows come oldest first; split them by channel, keeping the order. */
static int send_claimed(sqlite3 *db, const struct config *cfg, const struct channel *email,
			const struct channel *sms, struct outbox_msg *msgs, int n, time_t now,
			struct deliver_stats *st, struct err *e)
{
	struct outbox_msg tmp;
	int k = 0, r;

	for (int i = 0; i < n; i++)
		if (strcmp(msgs[i].channel, "sms") != 0) {
			tmp = msgs[k];
			msgs[k++] = msgs[i];
			msgs[i] = tmp;
		}
	r = send_group(db, cfg, email, msgs, k, now, st, e);
	if (r == 0)
		r = send_group(db, cfg, sms, msgs + k, n - k, now, st, e);
	return r;
}

int deliver_pass(sqlite3 *db, const struct config *cfg, const struct channel *email,
		 const struct channel *sms, time_t now, struct deliver_stats *st,
		 struct err *e)
{
	int sms_ok = deliver_sms_allowed(cfg, now), r = 0;

	memset(st, 0, sizeof *st);
	for (;;) {
		struct outbox_msg *msgs = NULL;
		int n = 0;

		r = outbox_claim(db, now, DELIVER_BATCH, sms_ok, &msgs, &n, e);
		if (r < 0 || n == 0) {
			outbox_msgs_free(msgs, n);
			break;
		}
		int claimed = n;

		r = rate_limit(db, cfg, msgs, &n, now, st, e);
		if (r == 0)
			r = send_claimed(db, cfg, email, sms, msgs, n, now, st, e);
		outbox_msgs_free(msgs, claimed);
		n = claimed;
		if (r < 0 || n < DELIVER_BATCH)
			break;
	}
	return r;
}
