/* ack_store.c - the SQL of acknowledgements: a link's page view, recording
 * an action (task_ack, its audit row, a follow-up's done date) in one
 * transaction, and the report's figures. */
#include "ack_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"

/* Per kind: the reference, the date the messages named, the child, and
 * whether the task is closed (a referral decided, a follow-up done, a
 * discovery card's conversation held; a handover is never closed here:
 * the link's expiry ends it). */
static const struct {
	const char *kind, *sql;
} views[] = {
	{ "referral",
	  "SELECT c.ref || '/A' || r.id, t.due_date, r.child_id, r.decision_date IS NOT NULL"
	  " FROM referral r"
	  " JOIN child c ON c.id = r.child_id LEFT JOIN task t ON t.key = 'referral/' || r.id"
	  " WHERE r.id = ?1" },
	{ "followup",
	  "SELECT c.ref, f.due_date, f.child_id, f.done_date IS NOT NULL FROM followup f"
	  " JOIN child c ON c.id = f.child_id"
	  " WHERE f.id = ?1" },
	{ "discovery",
	  "SELECT c.ref, t.due_date, d.child_id, d.conversation_date IS NOT NULL"
	  " FROM discovery_card d"
	  " JOIN child c ON c.id = d.child_id LEFT JOIN task t ON t.key = 'discovery/' || d.id"
	  " WHERE d.id = ?1" },
	{ "placement",
	  "SELECT c.ref, p.start_date, p.child_id, 0 FROM placement p"
	  " JOIN child c ON c.id = p.child_id WHERE p.id = ?1" },
};

static const char sql_recorded[] =
	"SELECT action FROM task_ack WHERE kind = ?1 AND ref_id = ?2 AND staff_id = ?3";
static const char sql_active[] = "SELECT 1 FROM staff WHERE id = ?1 AND active = 1";
static const char sql_ack_ins[] =
	"INSERT INTO task_ack(kind, ref_id, staff_id, action, at, client)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
static const char sql_audit_ins[] =
	"INSERT INTO audit(at, outbox_id, recipient_id, address, child_id, rule, channel,"
	" provider_id, categories) VALUES (?1, NULL, ?2, ?3, ?4, ?5, 'web', NULL, ?6)";
static const char sql_followup_done[] =
	"UPDATE followup SET done_date = ?2 WHERE id = ?1 AND done_date IS NULL";

const char *ack_action_name(char action)
{
	switch (action) {
	case ACK_RECEIVED: return "received";
	case ACK_DONE: return "done";
	case ACK_BOOKED: return "booked";
	default: return NULL;
	}
}

static void col(struct dbi_stmt *q, int i, char *buf, size_t n)
{
	const char *s = dbi_column_text(q, i);

	snprintf(buf, n, "%s", s ? s : "");
}

/* One row of q (bound already): 1 when there is one, 0 when none. */
static int step_one(struct dbi_stmt *q, struct err *e)
{
	int rc = dbi_step(q, e);

	if (rc == DBI_ROW)
		return 1;
	return rc == DBI_DONE ? 0 : rc;
}

static int view_subject(struct dbi *db, const struct ack_claim *c, struct ack_view *v,
			struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = ERR_NOTFOUND;

	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
		if (strcmp(views[i].kind, c->kind) == 0)
			r = dbi_prepare(db, views[i].sql, &q, e);
	if (r < 0)
		return r == ERR_NOTFOUND ? err_set(e, r, "%s: no such kind", c->kind) : r;
	r = dbi_bind_int64(q, 1, c->ref_id);
	if (r == 0)
		r = step_one(q, e);
	if (r == 1) {
		col(q, 0, v->ref, sizeof v->ref);
		col(q, 1, v->date, sizeof v->date);
		v->child_id = dbi_column_int64(q, 2);
		v->closed = dbi_column_int(q, 3);
		r = 0;
	} else if (r == 0) {
		r = err_set(e, ERR_NOTFOUND, "%s %lld: gone", c->kind, c->ref_id);
	}
	dbi_finalize(q);
	return r;
}

/* The actions a kind takes: any task "received"; a follow-up also "done",
 * a handover also "booked" (as src/plan_ack.c offers them). */
static int kind_takes(const char *kind, char action)
{
	if (action == ACK_RECEIVED)
		return 1;
	if (action == ACK_DONE)
		return strcmp(kind, "followup") == 0;
	return action == ACK_BOOKED && strcmp(kind, "placement") == 0;
}

static int view_recorded(struct dbi *db, const struct ack_claim *c, struct ack_view *v,
			 struct err *e)
{
	struct dbi_stmt *q;
	int r = dbi_prepare(db, sql_recorded, &q, e);

	if (r < 0)
		return r;
	if (dbi_bind_text(q, 1, c->kind) < 0 || dbi_bind_int64(q, 2, c->ref_id) < 0 ||
	    dbi_bind_int64(q, 3, c->staff_id) < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	while (r == 0 && (r = step_one(q, e)) == 1) {
		const char *a = dbi_column_text(q, 0);

		v->received |= a && strcmp(a, "received") == 0;
		v->done |= a && strcmp(a, "done") == 0;
		v->booked |= a && strcmp(a, "booked") == 0;
		r = 0;
	}
	dbi_finalize(q);
	return r;
}

int ack_store_view(struct dbi *db, const struct ack_claim *c, struct ack_view *v, struct err *e)
{
	struct dbi_stmt *q;
	int r;

	memset(v, 0, sizeof *v);
	for (const char *a = c->actions; *a; a++)
		if (!kind_takes(c->kind, *a))
			return err_set(e, ERR_NOTFOUND, "a %s takes no action '%c'", c->kind, *a);
	r = dbi_prepare(db, sql_active, &q, e);
	if (r < 0)
		return r;
	r = dbi_bind_int64(q, 1, c->staff_id);
	if (r == 0)
		r = step_one(q, e);
	dbi_finalize(q);
	if (r == 0)
		return err_set(e, ERR_NOTFOUND, "staff %lld: not active", c->staff_id);
	if (r < 0)
		return r;
	r = view_subject(db, c, v, e);
	if (r == 0)
		r = view_recorded(db, c, v, e);
	return r;
}

/* Run sql with parameters by fmt: 'i' long long, 's' text. */
static int exec_bound(struct dbi *db, const char *sql, struct err *e, const char *fmt, ...)
{
	struct dbi_stmt *q;
	va_list ap;
	int r = dbi_prepare(db, sql, &q, e);

	if (r < 0)
		return r;
	va_start(ap, fmt);
	for (int i = 0; r == 0 && fmt[i]; i++)
		r = fmt[i] == 'i' ? dbi_bind_int64(q, i + 1, va_arg(ap, long long))
				  : dbi_bind_text(q, i + 1, va_arg(ap, const char *));
	va_end(ap);
	if (r < 0)
		r = err_set(e, r, "%s: cannot bind a parameter", "acknowledgement");
	if (r == 0)
		r = dbi_step(q, e);
	dbi_finalize(q);
	return r < 0 ? r : 0;
}

static int record(struct dbi *db, const struct ack_claim *c, char action, const char *client,
		  time_t now, int *recorded, struct err *e)
{
	const char *name = ack_action_name(action);
	char at[21], rule[32], day[DATE_LEN];
	struct ack_view v;
	int r = ack_store_view(db, c, &v, e);

	if (r < 0 || v.closed)
		return r; /* a closed task takes no answer: nothing recorded */
	cal_iso_utc(now, at);
	r = exec_bound(db, sql_ack_ins, e, "siisss", c->kind, c->ref_id, c->staff_id, name, at,
		       client);
	if (r < 0)
		return r;
	*recorded = dbi_changes(db) == 1;
	if (!*recorded)
		return 0; /* recorded before: nothing more to do */
	snprintf(rule, sizeof rule, "ack_%s", name);
	/* The page showed the reference and the date to the link's holder. */
	r = exec_bound(db, sql_audit_ins, e, "sisiss", at, c->staff_id, client, v.child_id, rule,
		       "ärendereferens,datum");
	if (r < 0)
		return r;
	if (strcmp(c->kind, "followup") == 0 && action == ACK_DONE) {
		r = exec_bound(db, sql_followup_done, e, "is", c->ref_id,
			       date_format(cal_today(now), day));
	}
	return r < 0 ? r : 0;
}

int ack_store_record(struct dbi *db, const struct ack_claim *c, char action, const char *client,
		     time_t now, int *recorded, struct err *e)
{
	int r;

	*recorded = 0;
	if (!ack_action_name(action) || !ack_claim_offers(c, action))
		return err_set(e, ERR_INVALID, "action '%c' not offered", action ? action : '-');
	r = db_begin(db, e);
	if (r < 0)
		return r;
	r = record(db, c, action, client, now, recorded, e);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0) {
		db_rollback(db);
		*recorded = 0;
	}
	return r;
}

/* Per acknowledgement in the period: when it was recorded, and when the
 * first message of its subject was sent to that person (NULL when none
 * was); the hours between are counted in C (both engines alike). */
static const char sql_stats[] =
	"SELECT a.at, (SELECT min(o.sent_at) FROM outbox o"
	"  WHERE o.subject_key = a.kind || ':' || a.ref_id AND o.recipient_id = a.staff_id"
	"  AND o.sent_at IS NOT NULL AND o.sent_at <= a.at)"
	" FROM task_ack a WHERE substr(a.at, 1, 10) BETWEEN ?1 AND ?2";

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int ack_store_stats(struct dbi *db, const char *from, const char *to, struct ack_stats *s,
		    struct err *e)
{
	struct dbi_stmt *q;
	double *h = NULL;
	size_t cap = 0;
	time_t at, sent;
	int r;

	memset(s, 0, sizeof *s);
	r = dbi_prepare(db, sql_stats, &q, e);
	if (r < 0)
		return r;
	if (dbi_bind_text(q, 1, from) < 0 || dbi_bind_text(q, 2, to) < 0)
		r = err_set(e, ERR_NOMEM, "out of memory");
	while (r == 0 && (r = step_one(q, e)) == 1) {
		r = 0;
		s->count++;
		if (dbi_column_is_null(q, 1) || cal_parse_instant(dbi_column_text(q, 0), &at) < 0 ||
		    cal_parse_instant(dbi_column_text(q, 1), &sent) < 0)
			continue;
		if ((size_t)s->timed == cap) {
			double *n = realloc(h, (cap = cap ? cap * 2 : 64) * sizeof *h);

			if (!n) {
				r = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			h = n;
		}
		h[s->timed++] = (double)(at - sent) / 3600.0;
	}
	dbi_finalize(q);
	if (r == 0 && s->timed) {
		qsort(h, (size_t)s->timed, sizeof *h, cmp_double);
		s->max_h = h[s->timed - 1];
		s->median_h = s->timed % 2 ? h[s->timed / 2]
					   : (h[s->timed / 2 - 1] + h[s->timed / 2]) / 2;
	}
	free(h);
	return r;
}
