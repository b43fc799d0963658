/* recipient.c - deputies for absent staff, and the channel to reach a person. */
#include "recipient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#include "date.h"
#include "db.h"

#define DEPUTY_DEPTH 4 /* a deputy's deputy, and so on, this deep at most */
#define CACHE_SLOTS 512 /* people resolved in one pass, kept by (id, day) */

/* A pass reads one snapshot of the facts, so a person resolved on a day
 * stays resolved: the same intake officers and principals are asked for
 * over and over (every referral of a unit names them). */
struct rcpt_slot {
	long long staff_id;
	int day;
	struct recipient r;
};

struct rcpt_ctx {
	sqlite3 *db;
	sqlite3_stmt *staff_q, *absence_q;
	struct rcpt_slot cache[CACHE_SLOTS];
};

static const char sql_staff[] =
	"SELECT code, name, email, mobile, channel, active FROM staff WHERE id = ?1";
/* The absence of the day with an active deputy, else any absence of the
 * day (deputy_id NULL: absent with nobody standing in). */
static const char sql_absence[] =
	"SELECT CASE WHEN d.active = 1 THEN a.deputy_id END, a.end_date FROM absence a"
	" LEFT JOIN staff d ON d.id = a.deputy_id"
	" WHERE a.staff_id = ?1 AND a.start_date <= ?2 AND a.end_date >= ?2"
	" ORDER BY coalesce(d.active, 0) = 1 DESC, a.start_date DESC LIMIT 1";

int rcpt_open(sqlite3 *db, struct rcpt_ctx **out, struct err *e)
{
	struct rcpt_ctx *c = calloc(1, sizeof *c);
	int r;

	*out = NULL;
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->db = db;
	r = db_prepare(db, sql_staff, &c->staff_q, e);
	if (r == 0)
		r = db_prepare(db, sql_absence, &c->absence_q, e);
	if (r < 0) {
		rcpt_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void rcpt_close(struct rcpt_ctx *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->staff_q);
	sqlite3_finalize(c->absence_q);
	free(c);
}

const char *channel_name(enum channel_kind k)
{
	return k == CHAN_EMAIL ? "email" : k == CHAN_SMS ? "sms" : "none";
}

static void col_copy(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	utf8_copy(dst, n, (const char *)sqlite3_column_text(st, col));
}

/* The active deputy of staff_id on day, or 0, the absence's last day
 * (until, DATE_LEN bytes), and *absent: absent that day. */
static int deputy_of(struct rcpt_ctx *c, long long staff_id, const char *day,
		     long long *deputy, char *until, int *absent, struct err *e)
{
	int rc, r = 0;

	*deputy = 0;
	until[0] = '\0';
	*absent = 0;
	sqlite3_reset(c->absence_q);
	sqlite3_bind_int64(c->absence_q, 1, staff_id);
	sqlite3_bind_text(c->absence_q, 2, day, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->absence_q);
	if (rc == SQLITE_ROW) {
		*deputy = sqlite3_column_int64(c->absence_q, 0);
		utf8_copy(until, DATE_LEN, (const char *)sqlite3_column_text(c->absence_q, 1));
		*absent = 1;
	} else if (rc != SQLITE_DONE)
		r = db_fail(c->db, rc, "absence", e);
	sqlite3_reset(c->absence_q);
	return r;
}

static int load_staff(struct rcpt_ctx *c, long long id, struct recipient *out,
		      char pref[8], struct err *e)
{
	sqlite3_stmt *q = c->staff_q;
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return err_set(e, ERR_NOTFOUND, "staff id %lld does not exist", id);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		return db_fail(c->db, rc, "staff", e);
	}
	out->staff_id = id;
	col_copy(q, 0, out->code, sizeof out->code);
	col_copy(q, 1, out->name, sizeof out->name);
	col_copy(q, 2, out->email, sizeof out->email);
	col_copy(q, 3, out->mobile, sizeof out->mobile);
	col_copy(q, 4, pref, 8);
	/* Someone who has left (active = 0) is not written to at any address. */
	out->inactive = sqlite3_column_int(q, 5) == 0;
	if (out->inactive)
		out->email[0] = out->mobile[0] = '\0';
	sqlite3_reset(q);
	return 0;
}

static void choose_channel(struct recipient *r, const char *pref)
{
	int has_email = r->email[0] != '\0', has_sms = r->mobile[0] != '\0';

	if (has_sms && (strcmp(pref, "sms") == 0 || !has_email))
		r->channel = CHAN_SMS;
	else if (has_email)
		r->channel = CHAN_EMAIL;
	else
		r->channel = CHAN_NONE;
	snprintf(r->address, sizeof r->address, "%s",
		 r->channel == CHAN_SMS ? r->mobile : r->channel == CHAN_EMAIL ? r->email : "");
}

static int resolve(struct rcpt_ctx *c, long long staff_id, int day, struct recipient *out,
		   struct err *e)
{
	char d[DATE_LEN], pref[8], until[DATE_LEN], first_until[DATE_LEN] = "";
	long long id = staff_id, deputy;
	struct recipient absent;
	int r, away = 0;

	memset(out, 0, sizeof *out);
	date_format(day, d);
	for (int depth = 0; depth < DEPUTY_DEPTH; depth++) {
		r = deputy_of(c, id, d, &deputy, until, &away, e);
		if (r < 0)
			return r;
		if (!deputy || deputy == staff_id)
			break;
		if (depth == 0)
			memcpy(first_until, until, sizeof first_until);
		id = deputy;
	}
	if (id != staff_id) {
		/* The deputy is told whom they stand in for, and until when. */
		r = load_staff(c, staff_id, &absent, pref, e);
		if (r < 0)
			return r;
	}
	r = load_staff(c, id, out, pref, e);
	if (r < 0)
		return r;
	out->for_staff_id = staff_id;
	out->deputy = id != staff_id;
	if (out->deputy) {
		memcpy(out->for_name, absent.name, sizeof out->for_name);
		memcpy(out->until, first_until, sizeof out->until);
	}
	out->absent = away && !deputy;
	choose_channel(out, pref);
	return 0;
}

int rcpt_person(struct rcpt_ctx *c, long long staff_id, struct recipient *out, struct err *e)
{
	char pref[8];
	int r;

	memset(out, 0, sizeof *out);
	r = load_staff(c, staff_id, out, pref, e);
	if (r < 0)
		return r;
	out->for_staff_id = staff_id;
	choose_channel(out, pref);
	return 0;
}

int rcpt_resolve(struct rcpt_ctx *c, long long staff_id, int day, struct recipient *out,
		 struct err *e)
{
	struct rcpt_slot *s = &c->cache[((unsigned long long)staff_id * 31u + (unsigned)day) %
					CACHE_SLOTS];
	int r;

	if (s->staff_id == staff_id && s->day == day && staff_id) {
		*out = s->r;
		return 0;
	}
	r = resolve(c, staff_id, day, out, e);
	if (r == 0) {
		s->staff_id = staff_id;
		s->day = day;
		s->r = *out;
	}
	return r;
}

int rcpt_other_channel(struct recipient *r)
{
	if (r->channel == CHAN_EMAIL && r->mobile[0]) {
		r->channel = CHAN_SMS;
		snprintf(r->address, sizeof r->address, "%s", r->mobile);
		return 1;
	}
	if (r->channel == CHAN_SMS && r->email[0]) {
		r->channel = CHAN_EMAIL;
		snprintf(r->address, sizeof r->address, "%s", r->email);
		return 1;
	}
	return 0;
}
