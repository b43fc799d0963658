/* planner.c - the planning pass: window, reconciliation of tasks and outbox
 * rows by deterministic keys, recipients, rendering, and admin alerts. */
#include "plan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"
#include "strbuf.h"
#include "templates.h"
#include "utf8.h"

#define AHEAD_DAYS 2 /* look this far past the window for next_at */

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

static const char sql_outbox_get[] =
	"SELECT id, state, channel, address, coalesce(subject,''), body, due_at, categories"
	" FROM outbox WHERE key = ?1";
static const char sql_outbox_ins[] =
	"INSERT INTO outbox (key, rule, child_id, task_id, recipient_id, channel, address,"
	" subject, body, categories, message_id, due_at, state, created_at, subject_key,"
	" origin)"
	" VALUES (?1, ?2, ?3, (SELECT id FROM task WHERE key = ?4), ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11, ?12, 'pending', ?13, ?14, ?15)";
/* A pending or cancelled row takes the new text and time; a failed one the
 * new text only (it keeps its backoff): what it discloses is what is allowed
 * when it is next tried. */
static const char sql_outbox_upd[] =
	"UPDATE outbox SET channel = ?2, address = ?3, subject = ?4, body = ?5,"
	" categories = ?6, recipient_id = ?8,"
	" due_at = CASE WHEN state = 'failed' THEN due_at ELSE ?7 END,"
	" last_error = CASE WHEN state = 'failed' THEN last_error END,"
	" state = CASE WHEN state = 'failed' THEN 'failed' ELSE 'pending' END"
	" WHERE id = ?1";
static const char sql_oc_del[] = "DELETE FROM outbox_child WHERE outbox_id = ?1";
static const char sql_oc_ins[] =
	"INSERT OR IGNORE INTO outbox_child(outbox_id, child_id) VALUES (?1, ?2)";
static const char sql_subj_ins[] = "INSERT OR IGNORE INTO temp.plan_subj(s) VALUES (?1)";
static const char sql_event_any[] =
	"SELECT 1 FROM outbox WHERE subject_key = ?1 AND substr(key, 1, ?3) = ?2 LIMIT 1";
static const char sql_seen_ins[] = "INSERT OR IGNORE INTO temp.plan_seen(key) VALUES (?1)";
static const char sql_task_upsert[] =
	"INSERT INTO task (key, rule, child_id, assignee_id, unit_id, due_date, state,"
	" created_at, closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	" CASE WHEN ?7 = 'open' THEN NULL ELSE ?8 END)"
	" ON CONFLICT(key) DO UPDATE SET assignee_id = excluded.assignee_id,"
	" unit_id = excluded.unit_id, due_date = excluded.due_date, state = excluded.state,"
	" closed_at = CASE WHEN excluded.state = 'open' THEN NULL"
	"  ELSE coalesce(task.closed_at, excluded.closed_at) END"
	" WHERE task.assignee_id IS NOT excluded.assignee_id"
	"  OR task.unit_id IS NOT excluded.unit_id OR task.due_date IS NOT excluded.due_date"
	"  OR task.state <> excluded.state";
static const char sql_task_seen[] =
	"INSERT OR IGNORE INTO temp.plan_task_seen(key) VALUES (?1)";
static const char sql_holders[] =
	"SELECT r.staff_id, s.name FROM unit_role r JOIN staff s ON s.id = r.staff_id"
	" WHERE r.unit_id = ?1 AND r.role = ?2 AND r.start_date <= ?3"
	" AND (r.end_date IS NULL OR r.end_date >= ?3) AND s.active = 1"
	" ORDER BY r.start_date, r.id";
static const char sql_unit_name[] = "SELECT name FROM unit WHERE id = ?1";
static const char sql_consent[] =
	"SELECT count(*) FROM consent WHERE child_id = ?1 AND scope = ?2"
	" AND given_date <= ?3 AND (withdrawn_date IS NULL OR withdrawn_date > ?3)";

/* ---- time ---- */

time_t plan_at(const struct planner *p, int *day, int shift)
{
	time_t t = 0;

	if (p->cfg->workday_shift && shift < 0)
		*day = cal_prev_workday(*day);
	else if (p->cfg->workday_shift && shift > 0)
		*day = cal_next_workday(*day);
	cal_local_to_utc(*day, p->cfg->send_time, &t);
	return t;
}

time_t plan_immediate(const struct planner *p, int day)
{
	time_t t = 0;

	(void)p;
	cal_local_to_utc(day, 0, &t);
	return t;
}

int plan_event_in_window(struct planner *p, time_t t)
{
	if (t > p->hi) {
		if (!p->preview && (!p->st->next_at || t < p->st->next_at))
			p->st->next_at = t;
		return 0;
	}
	return 1;
}

int plan_send_day(const struct planner *p, int day)
{
	return day < p->today ? p->today : day;
}

int plan_latest_due(const struct planner *p, const time_t *at, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (at[i] <= p->now && (best < 0 || at[i] >= at[best]))
			best = i;
	return best;
}

int plan_in_window(struct planner *p, time_t t)
{
	if (t > p->hi) {
		if (!p->preview && (!p->st->next_at || t < p->st->next_at))
			p->st->next_at = t;
		return 0;
	}
	return t >= p->lo_keep;
}

/* ---- small queries ---- */

static int step_text(struct planner *p, sqlite3_stmt *q, char *buf, size_t n,
		     const char *what, struct err *e)
{
	int rc = sqlite3_step(q), r = 0;

	buf[0] = '\0';
	if (rc == SQLITE_ROW)
		utf8_copy(buf, n, (const char *)sqlite3_column_text(q, 0));
	else if (rc != SQLITE_DONE)
		r = db_fail(p->db, rc, what, e);
	sqlite3_reset(q);
	return r;
}

int plan_unit_name(struct planner *p, long long unit_id, char *buf, size_t n, struct err *e)
{
	sqlite3_bind_int64(p->q_unit_name, 1, unit_id);
	return step_text(p, p->q_unit_name, buf, n, "unit", e);
}

int plan_consent(struct planner *p, long long child_id, const char *scope, int day,
		 int *yes, struct err *e)
{
	char d[DATE_LEN];
	int rc;

	sqlite3_bind_int64(p->q_consent, 1, child_id);
	sqlite3_bind_text(p->q_consent, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(p->q_consent, 3, date_format(day, d), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(p->q_consent);
	*yes = rc == SQLITE_ROW && sqlite3_column_int(p->q_consent, 0) > 0;
	sqlite3_reset(p->q_consent);
	if (rc != SQLITE_ROW)
		return db_fail(p->db, rc, "consent", e);
	return 0;
}

/* Calls fn for each active holder of role at unit on day. */
static int for_holders(struct planner *p, long long unit_id, const char *role, int day,
		       int (*fn)(struct planner *, long long, const char *, void *, struct err *),
		       void *arg, int *n, struct err *e)
{
	sqlite3_stmt *q = p->q_holders;
	char d[DATE_LEN];
	long long *ids = NULL;
	char **names = NULL;
	int rc, r = 0, cnt = 0;

	sqlite3_bind_int64(q, 1, unit_id);
	sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, date_format(day, d), -1, SQLITE_TRANSIENT);
	/* Collect first: fn runs other statements. */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long *ni = realloc(ids, (size_t)(cnt + 1) * sizeof *ids);
		char **nn = realloc(names, (size_t)(cnt + 1) * sizeof *names);

		if (ni)
			ids = ni;
		if (nn)
			names = nn;
		if (!ni || !nn) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		ids[cnt] = sqlite3_column_int64(q, 0);
		names[cnt] = strdup((const char *)sqlite3_column_text(q, 1));
		cnt++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(p->db, rc, "unit role", e);
	sqlite3_reset(q);
	for (int i = 0; r == 0 && i < cnt; i++)
		r = fn(p, ids[i], names[i] ? names[i] : "", arg, e);
	for (int i = 0; i < cnt; i++)
		free(names[i]);
	free(ids);
	free(names);
	*n = cnt;
	return r;
}

static int add_name(struct planner *p, long long id, const char *name, void *arg,
		    struct err *e)
{
	struct strbuf *sb = arg;

	(void)p;
	(void)id;
	(void)e;
	if (sb->len)
		sb_puts(sb, ", ");
	return sb_puts(sb, name);
}

int plan_role_names(struct planner *p, long long unit_id, const char *role, int day,
		    char *buf, size_t n, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int cnt, r = for_holders(p, unit_id, role, day, add_name, &sb, &cnt, e);

	utf8_copy(buf, n, sb_str(&sb));
	sb_free(&sb);
	return r;
}

/* ---- template variables ---- */

static const char *const plan_fields[] = {
	"recipient", "unit", "from_unit", "date", "due", "days", "days_text", "role", "outcome",
	"received", "count", "child_name", "child_birth", "officer", "alert_unit",
	"alert_role", "alert_reason",
};

struct tvars *plan_vars(const char *ref)
{
	struct tvars *v = tvars_new();

	if (!v)
		return NULL;
	for (size_t i = 0; i < sizeof plan_fields / sizeof plan_fields[0]; i++)
		tvars_set(v, plan_fields[i], "");
	tvars_set(v, "ref", ref);
	tvars_set_bool(v, "consent", 0);
	return v;
}

void plan_col_text(sqlite3_stmt *q, int col, char *buf, size_t n)
{
	utf8_copy(buf, n, (const char *)sqlite3_column_text(q, col));
}

void plan_set_days(struct tvars *v, int n)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%d %s", n, n == 1 || n == -1 ? "dag" : "dagar");
	tvars_set_int(v, "days", n);
	tvars_set(v, "days_text", buf);
}

void plan_set_date(struct tvars *v, const char *name, int day)
{
	char buf[64];

	tvars_set(v, name, cal_format_sv(day, buf, sizeof buf));
}

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
		snprintf(a->why, sizeof a->why,
			 "personen med koden %s saknar både e-postadress och mobilnummer", r->code);
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
	return role;
}

/* ---- emitting ---- */

/* A Message-ID (RFC 5322 msg-id) made from the key: stable, so a resend is
 * the same message. Its local part is the key's first 100 characters that
 * are atext or '.', and a hash of the whole key; its domain that of
 * mail_from (at most 200 characters), so it always fits and always ends in
 * '>'. */
static void message_id(const struct planner *p, const char *key, char *buf, size_t n)
{
	const char *at = strchr(p->cfg->mail_from, '@');
	const char *dom = at && at[1] ? at + 1 : "backad.invalid";
	unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
	char local[101];
	size_t k = 0;

	for (const char *s = key; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (const char *s = key; *s && k < sizeof local - 1; s++)
		local[k++] = (isalnum((unsigned char)*s) || *s == '-' || *s == '_') ? *s : '.';
	local[k] = '\0';
	snprintf(buf, n, "<%s.%016llx@%.200s>", local, h, dom);
}

static int seen(struct planner *p, const char *key, struct err *e)
{
	int rc;

	sqlite3_bind_text(p->q_seen_ins, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(p->q_seen_ins);
	sqlite3_reset(p->q_seen_ins);
	return rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "planning", e);
}

static int same_text(sqlite3_stmt *q, int col, const char *s)
{
	const char *v = (const char *)sqlite3_column_text(q, col);

	return strcmp(v ? v : "", s ? s : "") == 0;
}

/* Record every child m names (one audit row each when it is sent). */
static int set_children(struct planner *p, const struct plan_msg *m, long long id,
			struct err *e)
{
	int rc;

	sqlite3_bind_int64(p->q_oc_del, 1, id);
	rc = sqlite3_step(p->q_oc_del);
	sqlite3_reset(p->q_oc_del);
	for (int i = -1; rc == SQLITE_DONE && i < m->n_children; i++) {
		long long c = i < 0 ? m->child_id : m->children[i];

		if (!c)
			continue;
		sqlite3_bind_int64(p->q_oc_ins, 1, id);
		sqlite3_bind_int64(p->q_oc_ins, 2, c);
		rc = sqlite3_step(p->q_oc_ins);
		sqlite3_reset(p->q_oc_ins);
	}
	return rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "outbox_child", e);
}

static int emit_update(struct planner *p, const struct plan_msg *m, long long id,
		       const char *due, struct err *e)
{
	sqlite3_stmt *q = p->q_outbox_upd;
	int rc;

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, channel_name(m->channel), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m->address, -1, SQLITE_STATIC);
	db_bind_text_or_null(q, 4, m->subject);
	sqlite3_bind_text(q, 5, m->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, m->categories, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, due, -1, SQLITE_STATIC);
	if (m->recipient_id)
		sqlite3_bind_int64(q, 8, m->recipient_id);
	else
		sqlite3_bind_null(q, 8);
	rc = sqlite3_step(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_fail(p->db, rc, "outbox", e);
	return set_children(p, m, id, e);
}

static int emit_insert(struct planner *p, const struct plan_msg *m, const char *task_key,
		       const char *due, const char *origin, struct err *e)
{
	sqlite3_stmt *q = p->q_outbox_ins;
	char mid[400], now[21];
	int rc;

	message_id(p, m->key, mid, sizeof mid);
	sqlite3_bind_text(q, 1, m->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m->rule, -1, SQLITE_STATIC);
	if (m->child_id)
		sqlite3_bind_int64(q, 3, m->child_id);
	db_bind_text_or_null(q, 4, task_key);
	if (m->recipient_id)
		sqlite3_bind_int64(q, 5, m->recipient_id);
	sqlite3_bind_text(q, 6, channel_name(m->channel), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, m->address, -1, SQLITE_STATIC);
	db_bind_text_or_null(q, 8, m->subject);
	sqlite3_bind_text(q, 9, m->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 10, m->categories, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, mid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 12, due, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 13, cal_iso_utc(p->now, now), -1, SQLITE_STATIC);
	db_bind_text_or_null(q, 14, m->subject_key);
	sqlite3_bind_text(q, 15, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_fail(p->db, rc, "outbox", e);
	return set_children(p, m, sqlite3_last_insert_rowid(p->db), e);
}

/* 1 when a message of the event m (same rule, subject and occurrence, any
 * recipient) was planned before: the event has been seen. */
static int event_told(struct planner *p, const struct plan_msg *m, int *told,
		      struct err *e)
{
	sqlite3_stmt *q = p->q_event_any;
	const char *end = strrchr(m->key, '/');
	int rc;

	*told = 0;
	if (!m->subject_key || !end)
		return 0;
	sqlite3_bind_text(q, 1, m->subject_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m->key, (int)(end - m->key + 1), SQLITE_STATIC);
	sqlite3_bind_int(q, 3, (int)(end - m->key + 1));
	rc = sqlite3_step(q);
	*told = rc == SQLITE_ROW;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "outbox", e);
}

/* A new row for m. A reminder whose time is older than the lookback is
 * stale and not planned; an event is planned when first seen, whatever its
 * date, and goes out now (unless it was told to someone already). */
static int emit_new(struct planner *p, const struct plan_msg *m, const char *task_key,
		    const char *origin, char *due, struct err *e)
{
	int told = 0, r;

	if (m->scheduled < p->lo_new) {
		if (!m->event)
			return 0; /* missed long ago: stale news */
		r = event_told(p, m, &told, e);
		if (r < 0 || told)
			return r;
		cal_iso_utc(p->now, due);
	}
	r = emit_insert(p, m, task_key, due, origin, e);
	if (r == 0)
		r = seen(p, m->key, e);
	p->st->planned += r == 0;
	return r;
}

/* Reconcile one wanted message with the outbox row of the same key. */
static int emit(struct planner *p, const struct plan_msg *m, const char *task_key,
		const char *origin, struct err *e)
{
	sqlite3_stmt *q = p->q_outbox_get;
	char due[21];
	int rc, r;

	if (p->preview) {
		if (m->scheduled >= p->lo_keep && m->scheduled <= p->hi)
			p->cb(p->cb_ctx, m);
		return 0;
	}
	cal_iso_utc(m->scheduled, due);
	sqlite3_bind_text(q, 1, m->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return emit_new(p, m, task_key, origin, due, e);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		return db_fail(p->db, rc, "outbox", e);
	}
	long long id = sqlite3_column_int64(q, 0);
	const char *state = (const char *)sqlite3_column_text(q, 1);
	int open = strcmp(state, "pending") == 0 || strcmp(state, "failed") == 0;
	int revive = strcmp(state, "cancelled") == 0 &&
		     (m->event || m->scheduled >= p->lo_new);

	if (m->event) /* an event keeps the time it was first planned for */
		utf8_copy(due, sizeof due, (const char *)sqlite3_column_text(q, 6));
	int changed = !same_text(q, 2, channel_name(m->channel)) ||
		      !same_text(q, 3, m->address) || !same_text(q, 4, m->subject) ||
		      !same_text(q, 5, m->body) || !same_text(q, 6, due) ||
		      !same_text(q, 7, m->categories);

	sqlite3_reset(q);
	r = seen(p, m->key, e);
	if (r < 0)
		return r;
	if ((open && changed) || revive) {
		r = emit_update(p, m, id, due, e);
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
	ret = templates_render(p->tpl, req->rule, r->channel == CHAN_SMS ? TPL_SMS : TPL_EMAIL,
			       req->vars, subject, body, e);
	if (ret < 0 && fallback && r->channel == CHAN_SMS && rcpt_other_channel(r))
		ret = templates_render(p->tpl, req->rule, TPL_EMAIL, req->vars, subject,
				       body, e);
	return ret;
}

/* The channel setting of the rule's group (the part of the name before '_'). */
static enum chan_mode rule_mode(const struct planner *p, const char *rule)
{
	static const char *const groups[RG_COUNT] = {
		[RG_HANDOVER] = "handover", [RG_ROLECHANGE] = "rolechange",
		[RG_REFERRAL] = "referral", [RG_DISCOVERY] = "discovery",
		[RG_FOLLOWUP] = "followup",
	};
	size_t n = strcspn(rule, "_");

	for (int g = 0; g < RG_COUNT; g++)
		if (strlen(groups[g]) == n && strncmp(groups[g], rule, n) == 0)
			return (enum chan_mode)p->cfg->channels[g];
	return CHMODE_PREFERRED;
}

/* Render and emit for r's channel. suffix tells channels apart in the key
 * when a rule sends both; only a single-channel message may fall back from
 * an SMS that cannot be rendered to e-mail. */
static int emit_to(struct planner *p, const struct plan_req *req, struct recipient *r,
		   const char *suffix, struct err *e)
{
	struct plan_msg m;
	char key[300], cats[96];
	char *subject = NULL, *body = NULL;
	int ret;

	ret = render(p, req, r, !*suffix, &subject, &body, e);
	if (ret < 0)
		return err_prefix(e, "%s for %s", req->rule, req->subject);
	snprintf(key, sizeof key, "%s/%s/%s/staff:%lld%s", req->rule, req->subject,
		 req->occurrence, r->staff_id, suffix);
	categories(req, r->channel, cats, sizeof cats);
	m = (struct plan_msg){
		.rule = req->rule, .key = key, .child_id = req->child_id,
		.child_ref = req->child_ref, .recipient_id = r->staff_id,
		.recipient_code = r->code, .channel = r->channel, .address = r->address,
		.subject = subject, .body = body, .categories = cats,
		.scheduled = req->scheduled, .subject_key = req->subject, .event = req->event,
		.children = req->children, .n_children = req->n_children,
	};
	ret = emit(p, &m, req->task_key, "rule", e);
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
	ret = rcpt_resolve(p->rcpt, staff_id, req->day, &r, e);
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

struct role_arg {
	const struct plan_req *req;
};

static int to_holder(struct planner *p, long long id, const char *name, void *arg,
		     struct err *e)
{
	struct role_arg *ra = arg;

	(void)name;
	return plan_to_staff(p, ra->req, id, e);
}

int plan_to_role(struct planner *p, const struct plan_req *req, long long unit_id,
		 const char *role, struct err *e)
{
	struct role_arg ra = { req };
	char why[160];
	int n, r;

	if (!(req->event ? plan_event_in_window(p, req->scheduled)
			 : plan_in_window(p, req->scheduled)))
		return 0;
	r = for_holders(p, unit_id, role, req->day, to_holder, &ra, &n, e);
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
		r = plan_unit_name(p, a->unit_id, unit, sizeof unit, e);
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
	tvars_set(v, "alert_role", a->unit_id ? role_sv(a->role) : "-");
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
	r = emit(p, &m, NULL, "alert", e);
	p->st->alerts += r == 0;
out:
	free(subject);
	free(body);
	tvars_free(v);
	return r;
}

int plan_task(struct planner *p, const char *key, const char *rule, long long child_id,
	      long long assignee_id, long long unit_id, int due_day, int done, struct err *e)
{
	sqlite3_stmt *q = p->q_task_upsert;
	char due[DATE_LEN], now[21];
	int rc;

	if (p->preview)
		return 0;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, rule, -1, SQLITE_STATIC);
	if (child_id)
		sqlite3_bind_int64(q, 3, child_id);
	if (assignee_id)
		sqlite3_bind_int64(q, 4, assignee_id);
	if (unit_id)
		sqlite3_bind_int64(q, 5, unit_id);
	sqlite3_bind_text(q, 6, date_format(due_day, due), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, done ? "done" : "open", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, cal_iso_utc(p->now, now), -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_fail(p->db, rc, "task", e);
	if (sqlite3_changes(p->db) > 0) {
		if (done)
			p->st->tasks_closed++;
		else
			p->st->tasks_open++;
	}
	sqlite3_bind_text(p->q_task_seen, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(p->q_task_seen);
	sqlite3_reset(p->q_task_seen);
	return rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "task", e);
}

/* ---- one subject at a time ---- */

/* Errors of the database itself or of memory: the pass cannot go on. */
static int fatal(sqlite3 *db, int code)
{
	switch (sqlite3_errcode(db) & 0xff) {
	case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED:
	case SQLITE_NOMEM: case SQLITE_CORRUPT: case SQLITE_READONLY: case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
		return code == ERR_DB || code == ERR_BUSY || code == ERR_IO;
	default:
		return code == ERR_NOMEM || code == ERR_BUSY || code == ERR_IO;
	}
}

static int subject_mark(struct planner *p, sqlite3_stmt *q, const char *subject,
			struct err *e)
{
	int rc;

	sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_fail(p->db, rc, "planning", e);
}

/* Record that subject could not be planned: its rows are left alone, the
 * error is kept in plan_error and the admin hears of it once a day. */
static int subject_failed(struct planner *p, const char *subject, const struct err *se,
			  struct err *e)
{
	sqlite3_stmt *q = NULL;
	struct alert *a;
	char now[21];
	int r;

	if (!p->st->errors++)
		snprintf(p->st->error, sizeof p->st->error, "%s: %s", subject, se->msg);
	if (p->preview)
		return 0;
	r = db_prepare(p->db, "INSERT OR IGNORE INTO temp.plan_err(s) VALUES (?1)", &q, e);
	if (r == 0)
		r = subject_mark(p, q, subject, e);
	sqlite3_finalize(q);
	q = NULL;
	if (r == 0)
		r = db_prepare(p->db, "INSERT INTO plan_error(subject_key, at, message)"
				      " VALUES (?1, ?2, ?3) ON CONFLICT(subject_key) DO UPDATE"
				      " SET at = excluded.at, message = excluded.message", &q, e);
	if (r == 0) {
		sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, cal_iso_utc(p->now, now), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, se->msg, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			r = db_fail(p->db, sqlite3_errcode(p->db), "plan_error", e);
	}
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	a = alert_get(p, 0, 0, subject);
	if (!a)
		return err_set(e, ERR_NOMEM, "out of memory");
	a->subject = 1;
	if (!a->count++)
		snprintf(a->why, sizeof a->why, "%s kunde inte planeras: %s", subject, se->msg);
	return 0;
}

int plan_subject(struct planner *p, const char *subject,
		 int (*fn)(struct planner *p, const void *arg, struct err *e),
		 const void *arg, struct err *e)
{
	struct err se = { 0 };
	int r;

	if (p->in_subject)
		return fn(p, arg, e);
	if (!p->preview && (r = subject_mark(p, p->q_subj_ins, subject, e)) < 0)
		return r;
	r = db_exec(p->db, "SAVEPOINT subject", e);
	if (r < 0)
		return r;
	p->in_subject = 1;
	r = fn(p, arg, &se);
	p->in_subject = 0;
	if (r == 0)
		return db_exec(p->db, "RELEASE subject", e);
	if (fatal(p->db, r)) {
		*e = se;
		db_exec(p->db, "ROLLBACK TO subject; RELEASE subject", NULL);
		return r;
	}
	r = db_exec(p->db, "ROLLBACK TO subject; RELEASE subject", e);
	return r < 0 ? r : subject_failed(p, subject, &se, e);
}

/* ---- the pass ---- */

static int prepare_all(struct planner *p, struct err *e)
{
	static const struct {
		size_t off;
		const char *sql;
		int write;
	} qs[] = {
		{ offsetof(struct planner, q_outbox_get), sql_outbox_get, 0 },
		{ offsetof(struct planner, q_outbox_ins), sql_outbox_ins, 1 },
		{ offsetof(struct planner, q_outbox_upd), sql_outbox_upd, 1 },
		{ offsetof(struct planner, q_seen_ins), sql_seen_ins, 1 },
		{ offsetof(struct planner, q_task_upsert), sql_task_upsert, 1 },
		{ offsetof(struct planner, q_task_seen), sql_task_seen, 1 },
		{ offsetof(struct planner, q_holders), sql_holders, 0 },
		{ offsetof(struct planner, q_unit_name), sql_unit_name, 0 },
		{ offsetof(struct planner, q_consent), sql_consent, 0 },
		{ offsetof(struct planner, q_oc_del), sql_oc_del, 1 },
		{ offsetof(struct planner, q_oc_ins), sql_oc_ins, 1 },
		{ offsetof(struct planner, q_subj_ins), sql_subj_ins, 1 },
		{ offsetof(struct planner, q_event_any), sql_event_any, 0 },
	};
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof qs / sizeof qs[0]; i++) {
		if (qs[i].write && p->preview)
			continue;
		r = db_prepare(p->db, qs[i].sql,
			       (sqlite3_stmt **)(void *)((char *)p + qs[i].off), e);
	}
	if (r == 0)
		r = bk_open(p->db, &p->bk, e);
	if (r == 0)
		r = rcpt_open(p->db, &p->rcpt, e);
	return r;
}

static void planner_close(struct planner *p)
{
	sqlite3_stmt *qs[] = { p->q_outbox_get, p->q_outbox_ins, p->q_outbox_upd,
			       p->q_seen_ins, p->q_task_upsert, p->q_task_seen,
			       p->q_holders, p->q_unit_name, p->q_consent, p->q_oc_del,
			       p->q_oc_ins, p->q_subj_ins, p->q_event_any };

	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		sqlite3_finalize(qs[i]);
	bk_close(p->bk);
	rcpt_close(p->rcpt);
	while (p->alerts) {
		struct alert *a = p->alerts;

		p->alerts = a->next;
		free(a);
	}
}

static int run_rules(struct planner *p, struct err *e)
{
	int r = rule_referral(p, e);

	if (r == 0)
		r = rule_handover(p, e);
	if (r == 0)
		r = rule_discovery(p, e);
	if (r == 0)
		r = rule_followup(p, e);
	if (r == 0 && !p->preview)
		r = rule_rolechange(p, e);
	for (struct alert *a = p->alerts; r == 0 && a; a = a->next)
		r = emit_alert(p, a, e);
	return r;
}

/* Cancel what is no longer wanted: pending or failed messages in the window
 * that a rule planned for a subject planned in this pass (or whose facts
 * changed) and that no rule produced this time, and open tasks no rule
 * produced. Rows of a subject that could not be planned, and rows a rule
 * did not make (fallbacks, alerts, resends), are never touched. */
static int cancel_stale(struct planner *p, struct err *e)
{
	char lo[21], now[21], sql[1024];
	int r;

	cal_iso_utc(p->lo_keep, lo);
	cal_iso_utc(p->now, now);
	snprintf(sql, sizeof sql,
		 "UPDATE outbox SET state = 'cancelled', last_error = 'skälet gäller inte längre'"
		 " WHERE state IN ('pending','failed') AND origin = 'rule'"
		 " AND subject_key IN (SELECT s FROM temp.plan_subj)"
		 " AND subject_key NOT IN (SELECT s FROM temp.plan_err)"
		 " AND due_at >= '%s' AND key NOT IN (SELECT key FROM temp.plan_seen)", lo);
	r = db_exec(p->db, sql, e);
	if (r < 0)
		return r;
	p->st->cancelled += sqlite3_changes(p->db);
	snprintf(sql, sizeof sql,
		 "UPDATE task SET state = 'cancelled', closed_at = '%s' WHERE state = 'open'"
		 " AND key NOT IN (SELECT key FROM temp.plan_task_seen)"
		 " AND replace(key, '/', ':') NOT IN (SELECT s FROM temp.plan_err)", now);
	r = db_exec(p->db, sql, e);
	if (r == 0)
		p->st->tasks_closed += sqlite3_changes(p->db);
	if (r == 0)
		r = db_exec(p->db, "DELETE FROM plan_error"
				   " WHERE subject_key NOT IN (SELECT s FROM temp.plan_err)", e);
	return r;
}

/* The subjects whose facts changed since the last pass are reconsidered
 * even when no rule visits them now (a deleted or moved fact): their open
 * rows that no rule wants any more are cancelled. Then the changes are
 * consumed. */
static int changed_subjects(struct planner *p, struct err *e)
{
	int r = db_exec(p->db,
		"INSERT OR IGNORE INTO temp.plan_subj(s) SELECT DISTINCT subject_key FROM outbox"
		" WHERE state IN ('pending','failed') AND origin = 'rule'"
		" AND subject_key IS NOT NULL"
		" AND (child_id IN (SELECT ref_id FROM fact_change WHERE kind = 'child')"
		"  OR subject_key IN (SELECT kind || ':' || ref_id FROM fact_change"
		"   WHERE kind IN ('referral','discovery','followup')))", e);

	return r;
}

/* Lookback is counted in Swedish calendar days: from the start of the day
 * lookback_days before today. */
static time_t lookback_start(const struct config *cfg, int today)
{
	time_t t = 0;

	cal_local_to_utc(today - cfg->lookback_days, 0, &t);
	return t;
}

static void set_window(struct planner *p, time_t lo_keep, time_t lo_new, time_t hi)
{
	p->lo_keep = lo_keep;
	p->lo_new = lo_new;
	p->hi = hi;
	p->lo_day = cal_today(lo_keep) - 1;
	p->hi_day = cal_today(hi) + AHEAD_DAYS;
}

static int facts_version(sqlite3 *db, long long *v, struct err *e)
{
	sqlite3_stmt *q = NULL;
	int r = db_prepare(db, "SELECT value FROM state WHERE key = 'facts.version'", &q, e), rc;

	if (r < 0)
		return r;
	*v = -1;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	else if (rc != SQLITE_DONE)
		r = db_fail(db, rc, "state", e);
	sqlite3_finalize(q);
	return r;
}

int planner_run(sqlite3 *db, const struct config *cfg, const struct templates *tpl,
		time_t now, struct plan_cache *cache, struct plan_stats *st, struct err *e)
{
	struct planner p = { .db = db, .cfg = cfg, .tpl = tpl, .now = now, .st = st };
	long long version = -1;
	time_t lo;
	int r;

	memset(st, 0, sizeof *st);
	p.today = cal_today(now);
	lo = lookback_start(cfg, p.today);
	if (lo > now)
		lo = now;
	set_window(&p, lo - cfg->retry_lifetime, lo, now);
	r = db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS plan_seen(key TEXT PRIMARY KEY);"
			"CREATE TEMP TABLE IF NOT EXISTS plan_task_seen(key TEXT PRIMARY KEY);"
			"CREATE TEMP TABLE IF NOT EXISTS plan_subj(s TEXT PRIMARY KEY);"
			"CREATE TEMP TABLE IF NOT EXISTS plan_err(s TEXT PRIMARY KEY);"
			"DELETE FROM temp.plan_seen; DELETE FROM temp.plan_task_seen;"
			"DELETE FROM temp.plan_subj; DELETE FROM temp.plan_err;", e);
	if (r < 0)
		return r;
	r = db_begin(db, e);
	if (r < 0)
		return r;
	r = facts_version(db, &version, e);
	if (r == 0 && cache && cache->valid && version >= 0 && version == cache->version &&
	    p.today == cache->today && (!cache->next_at || now < cache->next_at)) {
		st->skipped = 1;
		st->next_at = cache->next_at;
		db_rollback(db);
		return 0;
	}
	if (r == 0)
		r = prepare_all(&p, e);
	if (r == 0)
		r = changed_subjects(&p, e);
	if (r == 0)
		r = run_rules(&p, e);
	if (r == 0)
		r = cancel_stale(&p, e);
	if (r == 0)
		r = db_exec(db, "DELETE FROM fact_change", e);
	planner_close(&p);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0) {
		db_rollback(db);
		return r;
	}
	if (cache)
		*cache = (struct plan_cache){ .valid = version >= 0, .version = version,
					      .today = p.today, .next_at = st->next_at };
	return 0;
}

int planner_preview(sqlite3 *db, const struct config *cfg, const struct templates *tpl,
		    time_t from, time_t to,
		    void (*cb)(void *ctx, const struct plan_msg *m), void *ctx,
		    struct err *e)
{
	struct plan_stats st;
	struct planner p = { .db = db, .cfg = cfg, .tpl = tpl, .now = from, .st = &st,
			     .preview = 1, .cb = cb, .cb_ctx = ctx };
	int r;

	memset(&st, 0, sizeof st);
	p.today = cal_today(from);
	set_window(&p, from, from, to - 1);
	/* A read transaction: one consistent view of the facts. */
	r = db_exec(db, "BEGIN", e);
	if (r < 0)
		return r;
	r = prepare_all(&p, e);
	if (r == 0)
		r = run_rules(&p, e);
	planner_close(&p);
	db_rollback(db);
	return r;
}
