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

static int send_one(sqlite3 *db, const struct config *cfg, const struct channel *ch,
		    const struct outbox_msg *m, time_t now, struct deliver_stats *st,
		    struct err *e)
{
	char provider[256] = "";
	struct err ce = { 0 };
	enum outbox_state state;
	enum outbox_result res;
	int r;

	r = ch->send(ch->ctx, m, provider, sizeof provider, &ce);
	res = r == 0 ? OUTBOX_SENT : r == ERR_PERMFAIL ? OUTBOX_PERMFAIL : OUTBOX_TEMPFAIL;
	if (r < 0)
		snprintf(st->last_error, sizeof st->last_error, "%s: %s", ch->name, ce.msg);
	r = outbox_done(db, m, res, r == 0 ? provider : ce.msg, now, cfg, &state, e);
	if (r < 0)
		return r;
	st->sent += state == OB_SENT;
	st->failed += state == OB_FAILED;
	st->dead += state == OB_DEAD;
	return 0;
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
		for (int i = 0; r == 0 && i < n; i++)
			r = send_one(db, cfg, strcmp(msgs[i].channel, "sms") == 0 ? sms : email,
				     &msgs[i], now, st, e);
		outbox_msgs_free(msgs, n);
		if (r < 0 || n < DELIVER_BATCH)
			break;
	}
	return r;
}
