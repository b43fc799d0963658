/* planner.c - the planning pass: its window, which subjects it plans (all
 * of them, or those whose facts changed or whose wake time came), the rules
 * in the order of the registry, and the reconciliation afterwards. */
#include "planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "db.h"
#include "keyset.h"
#include "plan.h"
#include "plan_sets.h"
#include "rules.h"

#define AHEAD_DAYS 2 /* look this far past the window for wake times */

static void (*progress_fn)(void *ctx);
static void *progress_ctx;

void planner_on_progress(void (*fn)(void *ctx), void *ctx)
{
	progress_fn = fn;
	progress_ctx = ctx;
}

void plan_progress(struct planner *p)
{
	if (++p->subjects % PLANNER_PROGRESS_EVERY == 0 && progress_fn)
		progress_fn(progress_ctx);
}

/* Cancel what is no longer wanted: pending or failed messages in the window
 * that a rule planned for a subject planned in this pass (or whose facts
 * changed) and that no rule produced this time, and the open tasks of those
 * subjects that no rule produced. Rows of a subject that could not be
 * planned, and rows a rule did not make (fallbacks, alerts, resends), are
 * never touched. */
static int cancel_stale(struct planner *p, struct err *e)
{
	char lo[21], now[21], sql[1536], in_subj[160], in_seen[160];
	int r;

	cal_iso_utc(p->lo_keep, lo);
	cal_iso_utc(p->now, now);
	/* A full pass looks at every open row (by state), its subjects and
	 * keys in the pass's sets (plan_sets_has()); one after a change only
	 * at its subjects' rows (by subject: the "|| ''" keeps SQLite from
	 * scanning every open row of the state index instead). */
	if (p->full) {
		plan_sets_has(p, PLAN_SUBJ, "subject_key", in_subj, sizeof in_subj);
		plan_sets_has(p, PLAN_SEEN, "CAST(id AS TEXT)", in_seen, sizeof in_seen);
		snprintf(sql, sizeof sql,
			 "UPDATE outbox SET state = 'cancelled', last_error = 'skälet gäller inte längre'"
			 " || CASE WHEN in_doubt <> 0 THEN '; kan redan ha levererats (meddelande '"
			 "  || coalesce(digest_id, message_id) || ')' ELSE '' END"
			 " WHERE state IN ('pending','failed') AND origin = 'rule'"
			 " AND (%s OR subject_key IN (SELECT s FROM temp.plan_subj))"
			 " AND subject_key NOT IN (SELECT s FROM temp.plan_err)"
			 " AND due_at >= '%s' AND NOT %s", in_subj, lo, in_seen);
	} else {
		snprintf(sql, sizeof sql,
			 "UPDATE outbox SET state = 'cancelled', last_error = 'skälet gäller inte längre'"
			 " || CASE WHEN in_doubt <> 0 THEN '; kan redan ha levererats (meddelande '"
			 "  || coalesce(digest_id, message_id) || ')' ELSE '' END"
			 " WHERE state || '' IN ('pending','failed') AND origin = 'rule'"
			 " AND subject_key IN (SELECT s FROM temp.plan_subj)"
			 " AND subject_key NOT IN (SELECT s FROM temp.plan_err)"
			 " AND due_at || '' >= '%s' AND CAST(id AS TEXT) NOT IN (SELECT key FROM temp.plan_seen)",
			 lo);
	}
	r = db_exec(p->db, sql, e);
	if (r < 0)
		return r;
	p->st->cancelled += dbi_changes(p->db);
	if (p->full) {
		plan_sets_has(p, PLAN_SUBJ, "replace(key, '/', ':')", in_subj, sizeof in_subj);
		plan_sets_has(p, PLAN_TASK_SEEN, "key", in_seen, sizeof in_seen);
		snprintf(sql, sizeof sql,
			 "UPDATE task SET state = 'cancelled', closed_at = '%s' WHERE state = 'open'"
			 " AND (%s OR key IN (SELECT replace(s, ':', '/') FROM temp.plan_subj))"
			 " AND replace(key, '/', ':') NOT IN (SELECT s FROM temp.plan_err)"
			 " AND NOT %s", now, in_subj, in_seen);
	} else {
		snprintf(sql, sizeof sql,
			 "UPDATE task SET state = 'cancelled', closed_at = '%s' WHERE state || '' = 'open'"
			 " AND key IN (SELECT replace(s, ':', '/') FROM temp.plan_subj"
			 "  WHERE s NOT IN (SELECT s FROM temp.plan_err))"
			 " AND key NOT IN (SELECT key FROM temp.plan_task_seen)", now);
	}
	r = db_exec(p->db, sql, e);
	if (r == 0)
		p->st->tasks_closed += dbi_changes(p->db);
	if (r == 0)
		r = db_exec(p->db, p->full ? "DELETE FROM plan_error"
					     " WHERE subject_key NOT IN (SELECT s FROM temp.plan_err)"
					   : "DELETE FROM plan_error"
					     " WHERE subject_key IN (SELECT s FROM temp.plan_subj)"
					     " AND subject_key NOT IN (SELECT s FROM temp.plan_err)", e);
	return r;
}

/* The subjects whose facts changed since the last pass are reconsidered
 * even when no rule visits them now (a deleted or moved fact): their open
 * rows that no rule wants any more are cancelled. */
static int changed_subjects(struct planner *p, struct err *e)
{
	return db_exec(p->db,
		"INSERT INTO temp.plan_subj(s) SELECT kind || ':' || ref_id"
		" FROM fact_change WHERE kind IN ('referral','discovery','followup')"
		" AND ref_id IS NOT NULL ON CONFLICT DO NOTHING;"
		"INSERT INTO temp.plan_subj(s) SELECT DISTINCT subject_key FROM outbox"
		/* Tested once, before the open rows are walked: a full pass
		 * with no child changed walks none of them. */
		" WHERE EXISTS (SELECT 1 FROM fact_change WHERE kind = 'child')"
		" AND state IN ('pending','failed') AND origin = 'rule'"
		" AND subject_key IS NOT NULL"
		" AND child_id IN (SELECT ref_id FROM fact_change WHERE kind = 'child')"
		" ON CONFLICT DO NOTHING", e);
}

/* Wake times of subjects that were due or changed but are not planned any
 * more (deleted, or out of the window); in a full pass, of every subject
 * that has none now (not planned, or planned without one). */
static int drop_wakes(struct planner *p, struct err *e)
{
	char sql[512], woke[160];

	plan_sets_has(p, PLAN_WOKE, "subject_key", woke, sizeof woke);
	if (p->full)
		snprintf(sql, sizeof sql, "DELETE FROM plan_wake WHERE NOT %s", woke);
	else
		snprintf(sql, sizeof sql,
			 "DELETE FROM plan_wake WHERE (subject_key IN (SELECT s FROM temp.plan_todo)"
			 " OR subject_key IN (SELECT s FROM temp.plan_subj))"
			 " AND NOT %s", woke);
	return db_exec(p->db, sql, e);
}

/* The wake times as the pass begins, so that a subject waking as before
 * costs no write. */
static int load_wakes(struct planner *p, struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(p->db, "SELECT subject_key || '\t' || wake_at FROM plan_wake", &q, e);
	int rc;

	if (r < 0)
		return r;
	while (r == 0 && (rc = dbi_step(q, e)) == DBI_ROW) {
		const char *k = dbi_column_text(q, 0);

		if (k && keyset_add(p->sets[PLAN_WAKES], k) == ERR_NOMEM)
			r = err_set(e, ERR_NOMEM, "out of memory");
	}
	if (r == 0 && rc != DBI_DONE)
		r = rc;
	dbi_finalize(q);
	return r;
}

/* The sets a pass keeps in memory (enum plan_set). */
static int open_sets(struct planner *p, struct err *e)
{
	int r;

	if (p->preview)
		return 0;
	for (int i = 0; i < PLAN_SETS; i++)
		if ((p->full || i == PLAN_WOKE) && !(p->sets[i] = keyset_new()))
			return err_set(e, ERR_NOMEM, "out of memory");
	r = plan_sets_open(p, e);
	return r == 0 && p->full ? load_wakes(p, e) : r;
}

static void close_sets(struct planner *p)
{
	if (p->sets[PLAN_WOKE])
		plan_sets_close(p);
	for (int i = 0; i < PLAN_SETS; i++) {
		keyset_free(p->sets[i]);
		p->sets[i] = NULL;
	}
}

/* Every subject of every rule. */
static int run_full(struct planner *p, struct err *e)
{
	int r = 0;

	for (int i = 0; r == 0 && rules[i]; i++)
		if (!p->preview || rules[i]->plan_one) /* digests are not previewed */
			r = rules[i]->plan_all(p, e);
	return r;
}

/* The subjects the changes affect and those whose wake time has come, rule
 * by rule in the registry's order, each by id. */
static int run_changed(struct planner *p, struct err *e)
{
	struct dbi_stmt *q = NULL;
	char now[21];
	int r = facts_affected(p->facts, p->lo_day, e);

	/* The subjects whose rows the changes touch are planned too, wherever
	 * their facts are now (a placement moved to another child). */
	if (r == 0)
		r = db_exec(p->db, "INSERT INTO temp.plan_todo(s)"
				   " SELECT s FROM temp.plan_subj WHERE true ON CONFLICT DO NOTHING", e);
	if (r == 0)
		r = dbi_prepare(p->db, "INSERT INTO temp.plan_todo(s)"
				       " SELECT subject_key FROM plan_wake WHERE wake_at <= ?1"
				       " ON CONFLICT DO NOTHING", &q, e);
	if (r == 0) {
		dbi_bind_text(q, 1, cal_iso_utc(p->now, now));
		r = dbi_step(q, e);
		if (r == DBI_ROW)
			r = err_set(e, ERR_DB, "%s: a row where none was expected", "plan_wake");
		else if (r == DBI_DONE)
			r = 0;
	}
	dbi_finalize(q);
	q = NULL;
	if (r == 0)
		r = dbi_prepare(p->db, "SELECT CAST(substr(s, length(CAST(?1 AS TEXT)) + 2) AS INTEGER)"
				       " FROM temp.plan_todo WHERE s > CAST(?1 AS TEXT) || ':'"
				       " AND s < CAST(?1 AS TEXT) || ';' ORDER BY 1", &q, e);
	for (int i = 0; r == 0 && rules[i]; i++) {
		int rc;

		if (!rules[i]->plan_one)
			continue;
		dbi_bind_text(q, 1, rules[i]->subject);
		while (r == 0 && (rc = dbi_step(q, e)) == DBI_ROW)
			r = rules[i]->plan_one(p, dbi_column_int64(q, 0), e);
		if (r == 0 && rc != DBI_DONE)
			r = rc;
		dbi_reset(q);
	}
	dbi_finalize(q);
	return r;
}

static int run_rules(struct planner *p, struct err *e)
{
	int r = p->full ? run_full(p, e) : run_changed(p, e);

	for (int i = 0; r == 0 && rules[i]; i++)
		if (rules[i]->finish && !p->preview)
			r = rules[i]->finish(p, e);
	if (r == 0)
		r = plan_emit_alerts(p, e);
	return r;
}

static int open_all(struct planner *p, struct err *e)
{
	int r = facts_open(p->db, &p->facts, e);

	if (r == 0)
		r = open_sets(p, e);
	if (r == 0)
		r = plan_emit_open(p, e);
	if (r == 0)
		r = plan_subject_open(p, e);
	if (r == 0)
		r = bk_open(p->db, &p->bk, e);
	if (r == 0)
		r = rcpt_open(p->db, &p->rcpt, e);
	return r;
}

static void close_all(struct planner *p)
{
	for (int i = 0; rules[i]; i++)
		if (rules[i]->clear)
			rules[i]->clear(p);
	plan_emit_close(p);
	plan_subject_close(p);
	close_sets(p);
	bk_close(p->bk);
	rcpt_close(p->rcpt);
	facts_close(p->facts);
}

/* Lookback is counted in Swedish calendar days: from the start of the day
 * lookback_days before today. */
static void set_window(struct planner *p, time_t from, time_t to, int lookback)
{
	time_t lo = from;

	if (lookback >= 0) {
		cal_local_to_utc(p->today - lookback, 0, &lo);
		if (lo > from)
			lo = from;
	}
	p->lo_new = lo;
	p->lo_keep = lookback >= 0 ? lo - p->cfg->retry_lifetime : lo;
	p->hi = to;
	p->lo_day = cal_today(p->lo_keep) - 1;
	p->hi_day = cal_today(to) + AHEAD_DAYS;
}

static int state_int(struct dbi *db, const char *key, long long *v, struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(db, "SELECT value FROM state WHERE key = ?1", &q, e), rc;

	if (r < 0)
		return r;
	*v = -1;
	dbi_bind_text(q, 1, key);
	rc = dbi_step(q, e);
	if (rc == DBI_ROW)
		*v = dbi_column_int64(q, 0);
	else if (rc != DBI_DONE)
		r = rc;
	dbi_finalize(q);
	return r;
}

#define SQL_TEMP \
	"CREATE TEMP TABLE IF NOT EXISTS plan_seen(key TEXT PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_task_seen(key TEXT PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_subj(s TEXT PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_err(s TEXT PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_todo(s TEXT PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_kids(id %s PRIMARY KEY);" \
	"CREATE TEMP TABLE IF NOT EXISTS plan_units(id %s PRIMARY KEY);"

/* The pass's temporary tables, created on the connection's first pass and
 * emptied for each. */
static int temp_tables(struct dbi *db, struct err *e)
{
	char sql[sizeof SQL_TEMP + 16];
	const char *id = plan_sets_id_type(db);
	int r;

	snprintf(sql, sizeof sql, SQL_TEMP, id, id);
	r = plan_temp_create(db, "plan_units", sql, e);
	return r < 0 ? r : db_exec(db, "DELETE FROM temp.plan_seen; DELETE FROM temp.plan_task_seen;"
			   "DELETE FROM temp.plan_subj; DELETE FROM temp.plan_err;"
			   "DELETE FROM temp.plan_todo; DELETE FROM temp.plan_kids;"
			   "DELETE FROM temp.plan_units", e);
}

/* The pass's next wake: the earliest of the subjects'. */
static int next_wake(struct planner *p, struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(p->db, "SELECT min(wake_at) FROM plan_wake", &q, e);
	time_t t;

	if (r < 0)
		return r;
	if (dbi_step(q, e) == DBI_ROW && !dbi_column_is_null(q, 0) &&
	    cal_parse_instant(dbi_column_text(q, 0), &t) == 0)
		p->st->next_at = t;
	else
		p->st->next_at = 0;
	dbi_finalize(q);
	return 0;
}

/* The very first pass over a database: what it held before is history,
 * not news: events older than the lookback are not told (an import of last
 * year's referrals sends no receipts), though every fact is planned. */
static int first_pass_ever(struct planner *p, struct err *e)
{
	long long v;
	int r = state_int(p->db, "plan.full", &v, e);

	p->first = r == 0 && v < 0;
	return r;
}

/* Whether this pass plans every subject: a new process (no cache) plans all
 * of them unless a full pass ran today already (state plan.full); a
 * long-running one after a reload (cache zeroed) or on a new day. */
static int wants_full(struct planner *p, const struct plan_cache *cache, struct err *e)
{
	long long v;
	int r;

	if (cache)
		return !cache->valid || cache->today != p->today;
	r = state_int(p->db, "plan.full", &v, e);
	if (r < 0)
		return r;
	return v != p->today;
}

static int note_full(struct planner *p, struct err *e)
{
	char sql[128];

	snprintf(sql, sizeof sql, "INSERT INTO state(key, value) VALUES ('plan.full', '%d')"
		 " ON CONFLICT(key) DO UPDATE SET value = excluded.value", p->today);
	return db_exec(p->db, sql, e);
}

int planner_run(struct dbi *db, const struct config *cfg, const struct templates *tpl,
		time_t now, struct plan_cache *cache, struct plan_stats *st, struct err *e)
{
	struct planner p = { .db = db, .cfg = cfg, .tpl = tpl, .now = now, .st = st };
	long long version = -1;
	int r;

	memset(st, 0, sizeof *st);
	p.today = cal_today(now);
	set_window(&p, now, now, cfg->lookback_days);
	r = temp_tables(db, e);
	if (r < 0)
		return r;
	r = db_begin(db, e);
	if (r < 0)
		return r;
	r = state_int(db, "facts.version", &version, e);
	if (r == 0 && cache && cache->valid && version >= 0 && version == cache->version &&
	    p.today == cache->today && (!cache->next_at || now < cache->next_at)) {
		st->skipped = 1;
		st->next_at = cache->next_at;
		db_rollback(db);
		return 0;
	}
	if (r == 0)
		r = first_pass_ever(&p, e);
	if (r == 0)
		r = wants_full(&p, cache, e);
	if (r >= 0) {
		p.full = r;
		st->full = r;
		r = open_all(&p, e);
	}
	if (r == 0)
		r = changed_subjects(&p, e);
	if (r == 0)
		r = run_rules(&p, e);
	if (r == 0)
		r = plan_sets_publish(&p, e);
	if (r == 0)
		r = cancel_stale(&p, e);
	if (r == 0)
		r = drop_wakes(&p, e);
	if (r == 0)
		r = db_exec(db, "DELETE FROM fact_change", e);
	if (r == 0 && p.full)
		r = note_full(&p, e);
	if (r == 0)
		r = next_wake(&p, e);
	close_all(&p);
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

int planner_preview(struct dbi *db, const struct config *cfg, const struct templates *tpl,
		    time_t from, time_t to,
		    void (*cb)(void *ctx, const struct plan_msg *m), void *ctx,
		    struct err *e)
{
	struct plan_stats st;
	struct planner p = { .db = db, .cfg = cfg, .tpl = tpl, .now = from, .st = &st,
			     .preview = 1, .full = 1, .cb = cb, .cb_ctx = ctx };
	int r;

	memset(&st, 0, sizeof st);
	p.today = cal_today(from);
	set_window(&p, from, to - 1, -1);
	/* A read transaction: one consistent view of the facts (SQLite's
	 * deferred BEGIN reads one snapshot; PostgreSQL's needs asking). */
	r = db_exec(db, dbi_backend(db) == DBI_PG ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
						   : "BEGIN", e);
	if (r < 0)
		return r;
	r = open_all(&p, e);
	if (r == 0)
		r = run_rules(&p, e);
	close_all(&p);
	db_rollback(db);
	return r;
}
