/* plan_emit.c - from a wanted message to an outbox row: the recipient on
 * the day (deputy, channel), the text rendered for the channel, and the
 * row reconciled by its key; tasks likewise; admin alerts for vacant roles,
 * unreachable people and subjects that could not be planned. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"
#include "digest.h"
#include "msgid.h"
#include "plan_ack.h"
#include "plan_rows.h"
#include "rules.h"
#include "templates.h"
#include "utf8.h"

/* A vacant role or an unreachable person, announced once per pass. */
struct alert {
	struct alert *next;
	long long unit_id;  /* vacant role at a unit, or 0 */
	long long staff_id; /* unreachable person, or 0 */
	char role[64];      /* or the subject that could not be planned */
	int subject;        /* 1: a planning error of the subject in role */
	char why[400];
	int count;          /* messages that could not be addressed */
};

static const char sql_outbox_ins[] =
	"INSERT INTO outbox (key, rule, child_id, task_id, recipient_id, channel, address,"
	" subject, body, categories, message_id, due_at, state, created_at, subject_key,"
	" origin, last_error, deadline, digest_key)"
	" VALUES (?1, ?2, ?3, (SELECT id FROM task WHERE key = ?4), ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11, ?12, CASE ?15 WHEN 'history' THEN 'cancelled' ELSE 'pending' END, ?13, ?14,"
	" ?15, CASE ?15 WHEN 'history' THEN 'fanns före backads första planering' END, ?16,"
	" CASE WHEN ?17 <> 0 THEN CAST(?6 AS TEXT) || ' ' || CAST(?7 AS TEXT) || ' ' ||"
	"  CAST(?12 AS TEXT) END) RETURNING id";
/* A pending or cancelled row takes the new text and time; a failed one the
 * new text only (it keeps its backoff): what it discloses is what is allowed
 * when it is next tried. A cancelled row that comes back leaves the digest
 * set it was claimed in (that Message-ID may have gone out without it). */
static const char sql_outbox_upd[] =
	"UPDATE outbox SET channel = ?2, address = ?3, subject = ?4, body = ?5,"
	" digest_id = CASE WHEN state = 'cancelled' THEN NULL ELSE digest_id END,"
	" categories = ?6, recipient_id = ?8, deadline = ?9,"
	" digest_key = CASE WHEN ?10 <> 0 THEN CAST(?2 AS TEXT) || ' ' || CAST(?3 AS TEXT) || ' ' ||"
	"  CASE WHEN state = 'failed' THEN due_at ELSE CAST(?7 AS TEXT) END END,"
	" due_at = CASE WHEN state = 'failed' THEN due_at ELSE ?7 END,"
	" last_error = CASE WHEN state = 'failed' THEN last_error END,"
	" state = CASE WHEN state = 'failed' THEN 'failed' ELSE 'pending' END"
	" WHERE id = ?1";
static const char sql_oc_del[] = "DELETE FROM outbox_child WHERE outbox_id = ?1";
static const char sql_oc_ins[] =
	"INSERT INTO outbox_child(outbox_id, child_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
/* A row of the same occurrence (rule, subject, occurrence) that was told to
 * someone: it went out, is going, was given up (and reported), or is
 * history from before backad's first pass. */
static const char sql_event_any[] =
	"SELECT 1 FROM outbox WHERE subject_key = ?1 AND substr(key, 1, ?3) = ?2"
	" AND (state IN ('sent','sending','dead') OR origin = 'history') LIMIT 1";
static const char sql_seen_ins[] =
	"INSERT INTO temp.plan_seen(key) VALUES (?1) ON CONFLICT DO NOTHING";
static const char sql_task_upsert[] =
	"INSERT INTO task (key, rule, child_id, assignee_id, unit_id, due_date, state,"
	" created_at, closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	" CASE WHEN ?7 = 'open' THEN NULL ELSE ?8 END)"
	" ON CONFLICT(key) DO UPDATE SET assignee_id = excluded.assignee_id,"
	" unit_id = excluded.unit_id, due_date = excluded.due_date, state = excluded.state,"
	" closed_at = CASE WHEN excluded.state = 'open' THEN NULL"
	"  ELSE coalesce(task.closed_at, excluded.closed_at) END"
	" WHERE task.assignee_id IS DISTINCT FROM excluded.assignee_id"
	"  OR task.unit_id IS DISTINCT FROM excluded.unit_id"
	"  OR task.due_date IS DISTINCT FROM excluded.due_date"
	"  OR task.state <> excluded.state";
static const char sql_task_get[] =
	"SELECT assignee_id, unit_id, due_date, state FROM task WHERE key = ?1";
static const char sql_task_seen[] =
	"INSERT INTO temp.plan_task_seen(key) VALUES (?1) ON CONFLICT DO NOTHING";
/* ---- alerts ---- */

static struct alert *alert_get(struct planner *p, long long unit_id, long long staff_id,
			       const char *role)
{
	struct alert *a;

	for (a = p->alerts; a; a = a->next)
		if (a->unit_id == unit_id && a->staff_id == staff_id && strcmp(a->role, role) == 0)
			return a;
	a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->unit_id = unit_id;
	a->staff_id = staff_id;
	snprintf(a->role, sizeof a->role, "%s", role);
	a->next = p->alerts;
	p->alerts = a;
	return a;
}

int plan_alert_vacant(struct planner *p, long long unit_id, const char *role,
		      const char *why, struct err *e)
{
	struct alert *a = alert_get(p, unit_id, 0, role);

	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!a->count++)
		utf8_copy(a->why, sizeof a->why, why);
	return 0;
}

static int alert_unreachable(struct planner *p, const struct recipient *r, struct err *e)
{
	struct alert *a = alert_get(p, 0, r->staff_id, "");

	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!a->count++)
		snprintf(a->why, sizeof a->why, r->inactive
			 ? "personen med koden %s har slutat och har ingen ersättare"
			 : "personen med koden %s saknar både e-postadress och mobilnummer", r->code);
	return 0;
}

int plan_staff_reachable(struct planner *p, long long staff_id, int day, char *why,
			 size_t n, struct err *e)
{
	struct recipient r;
	int ret = rcpt_resolve(p->rcpt, staff_id, plan_send_day(p, day), &r, e);

	why[0] = '\0';
	if (ret == ERR_NOTFOUND) {
		if (e)
			memset(e, 0, sizeof *e);
		snprintf(why, n, "finns inte i personalregistret");
		return 0;
	}
	if (ret < 0)
		return ret;
	if (r.inactive)
		snprintf(why, n, "har slutat och har ingen ersättare");
	else if (r.channel == CHAN_NONE)
		snprintf(why, n, "saknar både e-postadress och mobilnummer");
	else if (r.absent)
		snprintf(why, n, "är frånvarande och har ingen ersättare");
	return why[0] == '\0';
}

int plan_alert_assignee(struct planner *p, const char *subject, const char *why,
			struct err *e)
{
	char key[64];
	struct alert *a;

	snprintf(key, sizeof key, "%s/assignee", subject);
	a = alert_get(p, 0, 0, key);
	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	a->subject = 1;
	if (!a->count++)
		utf8_copy(a->why, sizeof a->why, why);
	return 0;
}

static const char *role_sv(const char *role)
{
	if (strcmp(role, "principal") == 0)
		return "rektor/chef (Barnkontakt)";
	if (strcmp(role, "intake_officer") == 0)
		return "mottagningshandläggare";
	if (strcmp(role, "manager") == 0)
		return "enhetschef";
	if (strcmp(role, "coordinator") == 0)
		return "samordnare för mottagningen";
	return role;
}

/* ---- emitting ---- */


/* The outbox row id is wanted (what the pass does not mark is cancelled):
 * its number as text, a few bytes a row in a full pass's set. */
static int seen(struct planner *p, long long id, struct err *e)
{
	char key[24];

	snprintf(key, sizeof key, "%lld", id);
	return plan_mark(p, PLAN_SEEN, p->q_seen_ins, key, e);
}

static int same_text(const char *v, const char *s)
{
	return strcmp(v ? v : "", s ? s : "") == 0;
}

/* Record every child m names (one audit row each when it is sent). */
static int set_children(struct planner *p, const struct plan_msg *m, long long id,
			struct err *e)
{
	int rc;

	dbi_bind_int64(p->q_oc_del, 1, id);
	rc = dbi_step(p->q_oc_del, e);
	dbi_reset(p->q_oc_del);
	for (int i = -1; rc == DBI_DONE && i < m->n_children; i++) {
		long long c = i < 0 ? m->child_id : m->children[i];

		if (!c)
			continue;
		dbi_bind_int64(p->q_oc_ins, 1, id);
		dbi_bind_int64(p->q_oc_ins, 2, c);
		rc = dbi_step(p->q_oc_ins, e);
		dbi_reset(p->q_oc_ins);
	}
	return rc == DBI_DONE ? 0 : rc;
}

static int emit_update(struct planner *p, const struct plan_msg *m, long long id,
		       const char *due, struct err *e)
{
	struct dbi_stmt *q = p->q_outbox_upd;
	int rc;

	dbi_bind_int64(q, 1, id);
	dbi_bind_text(q, 2, channel_name(m->channel));
	dbi_bind_text(q, 3, m->address);
	dbi_bind_text(q, 4, m->subject && *m->subject ? m->subject : NULL);
	dbi_bind_text(q, 5, m->body);
	dbi_bind_text(q, 6, m->categories);
	dbi_bind_text(q, 7, due);
	if (m->recipient_id)
		dbi_bind_int64(q, 8, m->recipient_id);
	else
		dbi_bind_null(q, 8);
	dbi_bind_text(q, 9, m->deadline && *m->deadline ? m->deadline : NULL);
	dbi_bind_int64(q, 10, m->digest);
	plan_rows_written(p);
	rc = dbi_step(q, e);
	dbi_reset(q);
	if (rc != DBI_DONE)
		return rc;
	return set_children(p, m, id, e);
}

static int emit_insert(struct planner *p, const struct plan_msg *m, const char *task_key,
		       const char *due, const char *origin, long long *idp, struct err *e)
{
	struct dbi_stmt *q = p->q_outbox_ins;
	char mid[MSGID_SIZE], now[21];
	long long id;
	int rc;

	plan_rows_written(p);
	msgid_make(m->key, p->cfg->mail_from, mid);
	dbi_bind_text(q, 1, m->key);
	dbi_bind_text(q, 2, m->rule);
	if (m->child_id)
		dbi_bind_int64(q, 3, m->child_id);
	else
		dbi_bind_null(q, 3);
	dbi_bind_text(q, 4, task_key && *task_key ? task_key : NULL);
	if (m->recipient_id)
		dbi_bind_int64(q, 5, m->recipient_id);
	else
		dbi_bind_null(q, 5);
	dbi_bind_text(q, 6, channel_name(m->channel));
	dbi_bind_text(q, 7, m->address);
	dbi_bind_text(q, 8, m->subject && *m->subject ? m->subject : NULL);
	dbi_bind_text(q, 9, m->body);
	dbi_bind_text(q, 10, m->categories);
	dbi_bind_text(q, 11, mid);
	dbi_bind_text(q, 12, due);
	dbi_bind_text(q, 13, cal_iso_utc(p->now, now));
	dbi_bind_text(q, 14, m->subject_key && *m->subject_key ? m->subject_key : NULL);
	dbi_bind_text(q, 15, origin);
	dbi_bind_text(q, 16, m->deadline && *m->deadline ? m->deadline : NULL);
	dbi_bind_int64(q, 17, m->digest);
	rc = dbi_step(q, e);
	id = rc == DBI_ROW ? dbi_column_int64(q, 0) : 0;
	dbi_reset(q);
	if (rc != DBI_ROW)
		return rc < 0 ? rc : err_set(e, ERR_DB, "outbox: no id returned");
	*idp = id;
	return set_children(p, m, id, e);
}

/* 1 in *told when m's occurrence (same rule, subject and occurrence) was
 * told to anyone already (sql_event_any). */
static int occurrence_told(struct planner *p, const struct plan_msg *m, int *told,
			   struct err *e)
{
	struct dbi_stmt *q = p->q_event_any;
	const char *end = strrchr(m->key, '/');
	int rc;

	*told = 0;
	if (!m->subject_key || !end)
		return 0;
	/* The recipients of one occurrence ask in a row: the answer does not
	 * change within a pass (the planner sends nothing). */
	size_t n = (size_t)(end - m->key + 1);
	if (n < sizeof p->told_prefix && strncmp(p->told_prefix, m->key, n) == 0 &&
	    p->told_prefix[n] == '\0') {
		*told = p->told;
		return 0;
	}
	rc = plan_rows_told(p, m->subject_key, m->key, n, told, e);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (n < sizeof p->told_prefix) {
			memcpy(p->told_prefix, m->key, n);
			p->told_prefix[n] = '\0';
			p->told = *told;
		}
		return 0;
	}
	char *prefix = strndup(m->key, n);

	if (!prefix)
		return err_set(e, ERR_NOMEM, "out of memory");
	dbi_bind_text(q, 1, m->subject_key);
	dbi_bind_text(q, 2, prefix);
	dbi_bind_int64(q, 3, (long long)n);
	free(prefix);
	rc = dbi_step(q, e);
	*told = rc == DBI_ROW;
	dbi_reset(q);
	if (n < sizeof p->told_prefix && (rc == DBI_ROW || rc == DBI_DONE)) {
		memcpy(p->told_prefix, m->key, n);
		p->told_prefix[n] = '\0';
		p->told = *told;
	}
	return rc == DBI_ROW || rc == DBI_DONE ? 0 : rc;
}

/* A new row for m. A reminder whose time is older than the lookback is
 * stale and not planned; one whose time has come is not told again to
 * someone else (a new deputy, a new holder) once it went out. An event is
 * planned when first seen, whatever its date, and goes out now (unless it
 * was told to someone already). */
static int emit_new(struct planner *p, const struct plan_msg *m, const char *task_key,
		    const char *origin, char *due, struct err *e)
{
	long long id = 0;
	int told = 0, r;

	if (m->scheduled < p->lo_new) {
		if (!m->event)
			return 0; /* missed long ago: stale news */
		if (p->first) /* history: kept as told, so it is never told */
			origin = "history";
		cal_iso_utc(p->now, due);
	}
	if (m->scheduled <= p->now && m->subject_key) {
		/* Its time has come: told once, not again to a new holder. */
		r = occurrence_told(p, m, &told, e);
		if (r < 0 || told)
			return r;
	}
	r = emit_insert(p, m, task_key, due, origin, &id, e);
	if (strcmp(origin, "history") == 0)
		p->told_prefix[0] = '\0'; /* now it counts as told */
	if (r == 0)
		r = seen(p, id, e);
	p->st->planned += r == 0;
	return r;
}

/* What the outbox holds under a key, as far as a pass cares. */
enum row_state { ROW_NONE, ROW_OPEN, ROW_CANCELLED, ROW_OUT };

/* The state of row w: ROW_OUT when it went out or is going (sent,
 * sending, dead, or later states; history): a pass changes nothing about
 * it. */
static int row_state(const struct plan_row *w)
{
	if (!w->found)
		return ROW_NONE;
	if (w->origin && strcmp(w->origin, "history") == 0)
		return ROW_OUT;
	if (strcmp(w->state, "pending") == 0 || strcmp(w->state, "failed") == 0)
		return ROW_OPEN;
	return strcmp(w->state, "cancelled") == 0 ? ROW_CANCELLED : ROW_OUT;
}


/* Reconcile one wanted message with w, the outbox row of the same key
 * (found 0: none). */
static int emit(struct planner *p, const struct plan_msg *m, const char *task_key,
		const char *origin, const struct plan_row *w, struct err *e)
{
	char due[21];
	int r;

	if (p->preview) {
		if (m->scheduled >= p->lo_keep && m->scheduled <= p->hi)
			p->cb(p->cb_ctx, m);
		return 0;
	}
	cal_iso_utc(m->scheduled, due);
	if (!w->found)
		return emit_new(p, m, task_key, origin, due, e);
	/* An admin alert is written once a day, by the first pass that finds
	 * the problem, and then left as it is; so is history (an event from
	 * before backad's first pass, never sent). */
	int alert = strcmp(origin, "alert") == 0 || (w->origin && strcmp(w->origin, "history") == 0);
	int open = !alert && (strcmp(w->state, "pending") == 0 || strcmp(w->state, "failed") == 0);
	int revive = !alert && strcmp(w->state, "cancelled") == 0 &&
		     (m->event || m->scheduled >= p->lo_new);

	if (m->event) /* an event keeps the time it was first planned for */
		utf8_copy(due, sizeof due, w->due);
	int changed = !same_text(w->channel, channel_name(m->channel)) ||
		      !same_text(w->address, m->address) || !same_text(w->subject, m->subject) ||
		      !same_text(w->body, m->body) || !same_text(w->due, due) ||
		      !same_text(w->categories, m->categories) ||
		      w->digest != m->digest || !same_text(w->deadline, m->deadline);

	r = seen(p, w->id, e);
	if (r < 0)
		return r;
	if ((open && changed) || revive) {
		r = emit_update(p, m, w->id, due, e);
		p->st->updated += r == 0;
		return r;
	}
	p->st->kept++;
	return 0;
}

static void categories(const struct plan_req *req, enum channel_kind ch, char *buf,
		       size_t n)
{
	snprintf(buf, n, "ärendereferens,datum,enhet,roll%s%s",
		 req->decision ? ",beslut" : "",
		 req->sensitive && ch == CHAN_EMAIL ? ",namn,födelsedatum" : "");
}

/* Render for r's channel; an SMS that cannot be rendered (too long) goes by
 * e-mail when the person has an address. */
static int render(struct planner *p, const struct plan_req *req, struct recipient *r,
		  int fallback, char **subject, char **body, struct err *e)
{
	int ret;

	tvars_set(req->vars, "recipient", r->name);
	plan_set_deputy(req->vars, r);
	plan_ack_url(p, req, r->staff_id);
	ret = templates_render(p->tpl, req->rule, r->channel == CHAN_SMS ? TPL_SMS : TPL_EMAIL,
			       req->vars, subject, body, e);
	if (ret < 0 && fallback && r->channel == CHAN_SMS && rcpt_other_channel(r))
		ret = templates_render(p->tpl, req->rule, TPL_EMAIL, req->vars, subject,
				       body, e);
	return ret;
}

/* The channel setting of the group of the rule that renders kind. */
static enum chan_mode rule_mode(const struct planner *p, const char *kind)
{
	const struct rule *r = rule_by_kind(kind);

	return r ? (enum chan_mode)p->cfg->channels[r->group] : CHMODE_PREFERRED;
}

/* Append s to buf (n bytes, *at used), cut as snprintf cuts. */
static void put(char *buf, size_t n, size_t *at, const char *s)
{
	size_t len = strlen(s);

	if (*at + len >= n)
		len = n - 1 - *at;
	memcpy(buf + *at, s, len);
	*at += len;
	buf[*at] = '\0';
}

/* The key of a message: "rule/subject/occurrence/WHO[ID]suffix", where WHO
 * is "staff:" and ID the person's id, or WHO a unit's mailbox code and no
 * ID. Built without printf: a full pass builds one per message. */
static void message_key(char *key, size_t n, const struct plan_req *req, const char *who,
			long long id, const char *suffix)
{
	char num[24], *d = num + sizeof num;
	unsigned long long v = id < 0 ? 0ull - (unsigned long long)id : (unsigned long long)id;
	size_t at = 0;

	*--d = '\0';
	do
		*--d = (char)('0' + v % 10);
	while (v /= 10);
	if (id < 0)
		*--d = '-';
	key[0] = '\0';
	put(key, n, &at, req->rule);
	put(key, n, &at, "/");
	put(key, n, &at, req->subject);
	put(key, n, &at, "/");
	put(key, n, &at, req->occurrence);
	put(key, n, &at, "/");
	put(key, n, &at, who);
	if (id)
		put(key, n, &at, d);
	put(key, n, &at, suffix);
}

/* Render and emit for r's channel. suffix tells channels apart in the key
 * when a rule sends both; only a single-channel message may fall back from
 * an SMS that cannot be rendered to e-mail. */
static int emit_to(struct planner *p, const struct plan_req *req, struct recipient *r,
		   const char *suffix, struct err *e)
{
	struct plan_msg m;
	struct plan_row w = { 0 };
	char key[300], cats[96], deadline[DATE_LEN];
	char *subject = NULL, *body = NULL;
	int ret;

	if (r->staff_id)
		message_key(key, sizeof key, req, "staff:", r->staff_id, suffix);
	else /* a unit's mailbox: code is "unit:ID" */
		message_key(key, sizeof key, req, r->code, 0, suffix);
	/* Nothing about a message that went out changes: it is not rendered
	 * again, and not marked seen either (only open rows are cancelled). */
	if (!p->preview && (ret = plan_rows_get(p, req->subject, key, &w, e)) < 0)
		return ret;
	ret = row_state(&w);
	if (ret == ROW_OUT) {
		p->st->kept++;
		return 0;
	}
	/* A reminder due before the window for new ones is only kept when it
	 * is open (its text may need updating): missing, it is stale news
	 * (emit_new()); cancelled, it stays so. Neither is rendered. */
	if (!p->preview && !req->event && req->scheduled < p->lo_new && ret != ROW_OPEN) {
		if (ret == ROW_NONE)
			return 0;
		p->st->kept++;
		return seen(p, w.id, e);
	}
	/* A new recipient of an occurrence already told to someone else (a new
	 * deputy, a new holder) is not told again (emit_new()): not rendered. */
	if (!p->preview && ret == ROW_NONE && req->scheduled <= p->now && req->subject) {
		struct plan_msg told_m = { .key = key, .subject_key = req->subject };
		int told;

		ret = occurrence_told(p, &told_m, &told, e);
		if (ret < 0 || told)
			return ret;
	}
	ret = render(p, req, r, !*suffix, &subject, &body, e);
	if (ret < 0)
		return err_prefix(e, "%s for %s", req->rule, req->subject);
	categories(req, r->channel, cats, sizeof cats);
	m = (struct plan_msg){
		.rule = req->rule, .key = key, .child_id = req->child_id,
		.child_ref = req->child_ref, .recipient_id = r->staff_id,
		.recipient_code = r->code, .recipient_name = r->name, .channel = r->channel,
		.address = r->address,
		.subject = subject, .body = body, .categories = cats,
		.scheduled = req->scheduled, .subject_key = req->subject, .event = req->event,
		.children = req->children, .n_children = req->n_children,
		.digest = digest_wanted(p->cfg, req->rule),
		.deadline = date_format(req->deadline ? req->deadline : req->day, deadline),
	};
	ret = emit(p, &m, req->task_key, "rule", &w, e);
	free(subject);
	free(body);
	return ret;
}

/* Point r at channel ch when the person has an address for it. */
static int use_channel(struct recipient *r, enum channel_kind ch)
{
	if (r->channel == ch)
		return 1;
	return rcpt_other_channel(r) && r->channel == ch;
}

int plan_to_staff(struct planner *p, const struct plan_req *req, long long staff_id,
		  struct err *e)
{
	enum chan_mode mode = rule_mode(p, req->rule);
	struct recipient r, other;
	int ret;

	if (!(req->event ? plan_event_in_window(p, req->scheduled)
			 : plan_in_window(p, req->scheduled)))
		return 0;
	/* A personal message skips the deputy chain and its per-day cache. */
	ret = req->personal ? rcpt_person(p->rcpt, staff_id, &r, e)
			    : rcpt_resolve(p->rcpt, staff_id, plan_send_day(p, req->day), &r, e);
	if (ret < 0)
		return ret;
	if (r.channel == CHAN_NONE)
		return alert_unreachable(p, &r, e);
	if (mode == CHMODE_EMAIL)
		use_channel(&r, CHAN_EMAIL);
	else if (mode == CHMODE_SMS)
		use_channel(&r, CHAN_SMS);
	if (mode != CHMODE_BOTH)
		return emit_to(p, req, &r, "", e);
	/* Both: each channel the person has an address for, keyed apart. */
	other = r;
	if (use_channel(&r, CHAN_EMAIL) && (ret = emit_to(p, req, &r, ":email", e)) < 0)
		return ret;
	if (use_channel(&other, CHAN_SMS))
		ret = emit_to(p, req, &other, ":sms", e);
	return ret;
}

int plan_to_mailbox(struct planner *p, const struct plan_req *req, long long unit_id,
		    const char *address, const char *name, struct err *e)
{
	struct recipient r = { .channel = CHAN_EMAIL };

	if (!plan_in_window(p, req->scheduled))
		return 0;
	snprintf(r.code, sizeof r.code, "unit:%lld", unit_id);
	utf8_copy(r.name, sizeof r.name, name);
	utf8_copy(r.address, sizeof r.address, address);
	utf8_copy(r.email, sizeof r.email, address);
	return emit_to(p, req, &r, "", e);
}

int plan_to_role(struct planner *p, const struct plan_req *req, long long unit_id,
		 const char *role, struct err *e)
{
	long long *ids;
	char **names, why[160];
	int n, r;

	if (!(req->event ? plan_event_in_window(p, req->scheduled)
			 : plan_in_window(p, req->scheduled)))
		return 0;
	r = facts_holders(p->facts, unit_id, role, plan_send_day(p, req->day), &ids, &names, &n, e);
	for (int i = 0; r == 0 && i < n; i++)
		r = plan_to_staff(p, req, ids[i], e);
	facts_free_holders(ids, names, n);
	if (r == 0 && n == 0) {
		snprintf(why, sizeof why, "meddelandet %s (ärende %s) kunde inte adresseras",
			 req->rule, req->child_ref ? req->child_ref : "-");
		r = plan_alert_vacant(p, unit_id, role, why, e);
	}
	return r;
}

static int emit_alert(struct planner *p, const struct alert *a, struct err *e)
{
	struct tvars *v = plan_vars("-");
	char unit[PLAN_NAME_LEN] = "", key[200], reason[512], d[DATE_LEN];
	char *subject = NULL, *body = NULL;
	struct plan_msg m;
	int r = 0;

	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (a->unit_id)
		r = facts_unit_name(p->facts, a->unit_id, unit, sizeof unit, e);
	if (r < 0)
		goto out;
	date_format(p->today, d);
	if (a->subject)
		snprintf(key, sizeof key, "admin_alert/subject:%s/%s", a->role, d);
	else if (a->unit_id)
		snprintf(key, sizeof key, "admin_alert/unit:%lld/%s/%s", a->unit_id, a->role, d);
	else
		snprintf(key, sizeof key, "admin_alert/staff:%lld/address/%s", a->staff_id, d);
	snprintf(reason, sizeof reason, "%s%s", a->why,
		 a->count > 1 ? " (och fler meddelanden)" : "");
	tvars_set(v, "alert_unit", a->unit_id ? unit : "-");
	tvars_set(v, "alert_role", a->unit_id ? role_sv(a->role) : ""); /* "": no role */
	tvars_set(v, "alert_reason", reason);
	tvars_set_int(v, "count", a->count);
	plan_set_date(v, "date", p->today);
	r = templates_render(p->tpl, "admin_alert", TPL_EMAIL, v, &subject, &body, e);
	if (r < 0)
		goto out;
	m = (struct plan_msg){
		.rule = "admin_alert", .key = key, .channel = CHAN_EMAIL,
		.address = p->cfg->admin_email, .subject = subject, .body = body,
		.categories = "enhet,roll", .scheduled = p->preview ? p->lo_keep : p->now,
	};
	struct plan_row w = { 0 };

	if (!p->preview)
		r = plan_rows_get(p, NULL, key, &w, e);
	if (r == 0)
		r = emit(p, &m, NULL, "alert", &w, e);
	p->st->alerts += r == 0;
out:
	free(subject);
	free(body);
	tvars_free(v);
	return r;
}

/* Whether the task row is already as planned (the upsert, a write, is then
 * skipped: a full pass finds nearly every task unchanged): 1, 0 or a
 * negative code. */
static int task_same(struct planner *p, const char *key, long long assignee_id,
		     long long unit_id, const char *due, const char *state, struct err *e)
{
	struct dbi_stmt *q = p->q_task_get;
	int same = 0, rc;

	dbi_bind_text(q, 1, key);
	rc = dbi_step(q, e);
	if (rc == DBI_ROW) {
		const char *d = dbi_column_text(q, 2);
		const char *s = dbi_column_text(q, 3);

		/* none is NULL, as the upsert writes it */
		same = (assignee_id ? !dbi_column_is_null(q, 0) &&
				      dbi_column_int64(q, 0) == assignee_id
				    : dbi_column_is_null(q, 0)) &&
		       (unit_id ? !dbi_column_is_null(q, 1) &&
				  dbi_column_int64(q, 1) == unit_id
				: dbi_column_is_null(q, 1)) &&
		       d && strcmp(d, due) == 0 && s && strcmp(s, state) == 0;
	}
	dbi_reset(q);
	return rc < 0 ? rc : same;
}

int plan_task(struct planner *p, const char *key, const char *rule, long long child_id,
	      long long assignee_id, long long unit_id, int due_day, int done, struct err *e)
{
	struct dbi_stmt *q = p->q_task_upsert;
	char due[DATE_LEN], now[21];
	int rc;

	if (p->preview)
		return 0;
	date_format(due_day, due);
	rc = task_same(p, key, assignee_id, unit_id, due, done ? "done" : "open", e);
	if (rc < 0)
		return rc;
	if (rc)
		return plan_mark(p, PLAN_TASK_SEEN, p->q_task_seen, key, e);
	dbi_bind_text(q, 1, key);
	dbi_bind_text(q, 2, rule);
	for (int i = 0; i < 3; i++) {
		long long v = i == 0 ? child_id : i == 1 ? assignee_id : unit_id;

		if (v)
			dbi_bind_int64(q, 3 + i, v);
		else
			dbi_bind_null(q, 3 + i);
	}
	dbi_bind_text(q, 6, due);
	dbi_bind_text(q, 7, done ? "done" : "open");
	dbi_bind_text(q, 8, cal_iso_utc(p->now, now));
	rc = dbi_step(q, e);
	dbi_reset(q);
	if (rc != DBI_DONE)
		return rc;
	if (dbi_changes(p->db) > 0) {
		if (done)
			p->st->tasks_closed++;
		else
			p->st->tasks_open++;
	}
	return plan_mark(p, PLAN_TASK_SEEN, p->q_task_seen, key, e);
}


int plan_alert_subject(struct planner *p, const char *subject, const char *why,
		       struct err *e)
{
	struct alert *a = alert_get(p, 0, 0, subject);

	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	a->subject = 1;
	if (!a->count++)
		snprintf(a->why, sizeof a->why, "%s kunde inte planeras: %s", subject, why);
	return 0;
}

int plan_emit_alerts(struct planner *p, struct err *e)
{
	int r = 0;

	for (struct alert *a = p->alerts; r == 0 && a; a = a->next)
		r = emit_alert(p, a, e);
	return r;
}

int plan_emit_open(struct planner *p, struct err *e)
{
	static const struct {
		size_t off;
		const char *sql;
		int write;
	} qs[] = {
		{ offsetof(struct planner, q_outbox_ins), sql_outbox_ins, 1 },
		{ offsetof(struct planner, q_outbox_upd), sql_outbox_upd, 1 },
		{ offsetof(struct planner, q_seen_ins), sql_seen_ins, 1 },
		{ offsetof(struct planner, q_task_get), sql_task_get, 0 },
		{ offsetof(struct planner, q_task_upsert), sql_task_upsert, 1 },
		{ offsetof(struct planner, q_task_seen), sql_task_seen, 1 },
		{ offsetof(struct planner, q_oc_del), sql_oc_del, 1 },
		{ offsetof(struct planner, q_oc_ins), sql_oc_ins, 1 },
		{ offsetof(struct planner, q_event_any), sql_event_any, 0 },
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof qs / sizeof qs[0]; i++) {
		if (qs[i].write && p->preview)
			continue;
		r = dbi_prepare(p->db, qs[i].sql,
			       (struct dbi_stmt **)(void *)((char *)p + qs[i].off), e);
	}
	if (r == 0)
		r = plan_rows_open(p, e);
	if (r == 0)
		plan_ack_open(p);
	return r;
}

void plan_emit_close(struct planner *p)
{
	struct dbi_stmt *qs[] = { p->q_outbox_ins, p->q_outbox_upd,
			       p->q_seen_ins, p->q_task_get, p->q_task_upsert, p->q_task_seen, p->q_oc_del,
			       p->q_oc_ins, p->q_event_any };

	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		dbi_finalize(qs[i]);
	plan_ack_close(p);
	plan_rows_close(p);
	while (p->alerts) {
		struct alert *a = p->alerts;

		p->alerts = a->next;
		free(a);
	}
}
