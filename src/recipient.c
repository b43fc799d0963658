/* recipient.c - deputies for absent staff, and the channel to reach a person. */
#include "recipient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#include "date.h"
#include "db.h"
#include "idmap.h"
#include "sqldate.h"

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

/* A person's absences, read once per pass and chosen from here. Dates are
 * compared as SQLite compares them (src/sqldate.c). */
struct away {
	long long id, deputy; /* deputy: an active one, else 0 */
	struct sqldate start, end;
};

struct rcpt_ctx {
	struct dbi *db;
	struct dbi_stmt *staff_q, *absence_q;
	struct rcpt_slot cache[CACHE_SLOTS];
	int any_absence;          /* -1: not known yet */
	struct away *aways;
	int aways_n, aways_cap;
	struct idmap people;      /* a person's absences in aways */
};

static const char sql_staff[] =
	"SELECT code, name, email, mobile, channel, active FROM staff WHERE id = ?1";
/* A person's absences, each with its deputy when that deputy is active. */
#define SQL_ABSENCE(start, end) \
	"SELECT a.id, CASE WHEN d.active = 1 THEN a.deputy_id END, " start ", " end \
	" FROM absence a LEFT JOIN staff d ON d.id = a.deputy_id WHERE a.staff_id = ?1"

int rcpt_open(struct dbi *db, struct rcpt_ctx **out, struct err *e)
{
	struct rcpt_ctx *c = calloc(1, sizeof *c);
	int r;

	*out = NULL;
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->db = db;
	c->any_absence = -1;
	r = dbi_prepare(db, sql_staff, &c->staff_q, e);
	if (r == 0) { /* the dates with their storage class (sqldate_cols()) */
		char start[80], end[80], sql[512];

		sqldate_cols(db, "a.start_date", start, sizeof start);
		sqldate_cols(db, "a.end_date", end, sizeof end);
		snprintf(sql, sizeof sql, SQL_ABSENCE("%s", "%s"), start, end);
		r = dbi_prepare(db, sql, &c->absence_q, e);
	}
	if (r < 0) {
		rcpt_close(c);
		return r;
	}
	*out = c;
	return 0;
}

static void forget_aways(struct rcpt_ctx *c, int first)
{
	for (int i = first; i < c->aways_n; i++) {
		sqldate_free(&c->aways[i].start);
		sqldate_free(&c->aways[i].end);
	}
	c->aways_n = first;
}

void rcpt_close(struct rcpt_ctx *c)
{
	if (!c)
		return;
	dbi_finalize(c->staff_q);
	dbi_finalize(c->absence_q);
	forget_aways(c, 0);
	free(c->aways);
	idmap_free(&c->people);
	free(c);
}

const char *channel_name(enum channel_kind k)
{
	return k == CHAN_EMAIL ? "email" : k == CHAN_SMS ? "sms" : "none";
}

static void col_copy(struct dbi_stmt *st, int col, char *dst, size_t n)
{
	utf8_copy(dst, n, dbi_column_text(st, col));
}


/* The absences of staff_id, read once: aways[*first] and the *n after it. */
static int aways_of(struct rcpt_ctx *c, long long staff_id, int *first, int *n,
		    struct err *e)
{
	int rc;

	*first = c->aways_n;
	*n = 0;
	if (c->any_absence < 0) {
		struct dbi_stmt *q = NULL;
		int r = dbi_prepare(c->db, "SELECT EXISTS (SELECT 1 FROM absence)", &q, e);

		if (r < 0)
			return r;
		rc = dbi_step(q, e);
		c->any_absence = rc == DBI_ROW ? dbi_column_int(q, 0) != 0 : 1;
		dbi_finalize(q);
	}
	if (!c->any_absence)
		return 0;
	if (idmap_get(&c->people, staff_id, first, n))
		return 0;
	dbi_reset(c->absence_q);
	dbi_bind_int64(c->absence_q, 1, staff_id);
	while ((rc = dbi_step(c->absence_q, e)) == DBI_ROW) {
		struct away *a;

		if (c->aways_n == c->aways_cap) {
			int cap = c->aways_cap ? c->aways_cap * 2 : 64;
			struct away *v = realloc(c->aways, (size_t)cap * sizeof *v);

			if (!v) {
				forget_aways(c, *first);
				dbi_reset(c->absence_q);
				return err_set(e, ERR_NOMEM, "out of memory");
			}
			c->aways = v;
			c->aways_cap = cap;
		}
		a = &c->aways[c->aways_n];
		memset(a, 0, sizeof *a);
		a->id = dbi_column_int64(c->absence_q, 0);
		a->deputy = dbi_column_int64(c->absence_q, 1);
		if (sqldate_read(&a->start, c->absence_q, 2) < 0 ||
		    sqldate_read(&a->end, c->absence_q, 4) < 0) {
			sqldate_free(&a->start);
			rc = ERR_NOMEM;
			break;
		}
		c->aways_n++;
	}
	dbi_reset(c->absence_q);
	if (rc == DBI_DONE && idmap_put(&c->people, staff_id, *first, c->aways_n - *first) < 0)
		rc = ERR_NOMEM;
	if (rc != DBI_DONE) {
		forget_aways(c, *first);
		return rc == ERR_NOMEM ? err_set(e, ERR_NOMEM, "out of memory") : rc;
	}
	*n = c->aways_n - *first;
	return 0;
}

/* The active deputy of staff_id on day, or 0, the absence's last day
 * (until, DATE_LEN bytes), and *absent: absent that day. Of the absences
 * covering the day, one with an active deputy first, then the latest
 * start, then the first recorded. */
static int deputy_of(struct rcpt_ctx *c, long long staff_id, const char *day,
		     long long *deputy, char *until, int *absent, struct err *e)
{
	const struct away *best = NULL;
	int first, n, r = aways_of(c, staff_id, &first, &n, e);

	*deputy = 0;
	until[0] = '\0';
	*absent = 0;
	if (r < 0)
		return r;
	for (int i = first; i < first + n; i++) {
		const struct away *a = &c->aways[i];
		int cmp;

		int null_s, null_e, s = sqldate_cmp_day(&a->start, day, &null_s),
				      t = sqldate_cmp_day(&a->end, day, &null_e);

		/* start_date <= day AND end_date >= day, as SQL judged it */
		if (null_s || null_e || s > 0 || t < 0)
			continue;
		cmp = best ? (a->deputy != 0) - (best->deputy != 0) : 1;
		if (cmp == 0)
			cmp = sqldate_cmp(&a->start, &best->start);
		if (cmp > 0 || (cmp == 0 && a->id < best->id))
			best = a;
	}
	if (best) {
		*deputy = best->deputy;
		utf8_copy(until, DATE_LEN, best->end.kind == SQLDATE_TEXT ? sqldate_text(&best->end) : "");
		*absent = 1;
	}
	return 0;
}

static int load_staff(struct rcpt_ctx *c, long long id, struct recipient *out,
		      char pref[8], struct err *e)
{
	struct dbi_stmt *q = c->staff_q;
	int rc;

	dbi_reset(q);
	dbi_bind_int64(q, 1, id);
	rc = dbi_step(q, e);
	if (rc == DBI_DONE) {
		dbi_reset(q);
		return err_set(e, ERR_NOTFOUND, "staff id %lld does not exist", id);
	}
	if (rc != DBI_ROW) {
		dbi_reset(q);
		return rc;
	}
	out->staff_id = id;
	col_copy(q, 0, out->code, sizeof out->code);
	col_copy(q, 1, out->name, sizeof out->name);
	col_copy(q, 2, out->email, sizeof out->email);
	col_copy(q, 3, out->mobile, sizeof out->mobile);
	col_copy(q, 4, pref, 8);
	/* Someone who has left (active = 0) is not written to at any address. */
	out->inactive = dbi_column_int(q, 5) == 0;
	if (out->inactive)
		out->email[0] = out->mobile[0] = '\0';
	dbi_reset(q);
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
