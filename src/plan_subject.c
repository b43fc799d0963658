/* plan_subject.c - one subject at a time: each in a savepoint, so an error
 * in one (recorded, alerted once a day) never stops the others; the
 * subjects planned in a pass, and each subject's next wake time. */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "keyset.h"

static const char sql_subj_ins[] = "INSERT OR IGNORE INTO temp.plan_subj(s) VALUES (?1)";
static const char sql_wake_set[] =
	"INSERT INTO plan_wake(subject_key, wake_at) VALUES (?1, ?2)"
	" ON CONFLICT(subject_key) DO UPDATE SET wake_at = excluded.wake_at"
	" WHERE wake_at <> excluded.wake_at";

int plan_subject_open(struct planner *p, struct err *e)
{
	int r = db_prepare(DB_SQ(p->db), "SAVEPOINT subject", &p->q_sp_begin, e);

	if (r == 0)
		r = db_prepare(DB_SQ(p->db), "RELEASE subject", &p->q_sp_release, e);
	if (r == 0)
		r = db_prepare(DB_SQ(p->db), "ROLLBACK TO subject", &p->q_sp_rollback, e);
	if (r < 0 || p->preview)
		return r;
	r = db_prepare(DB_SQ(p->db), sql_subj_ins, &p->q_subj_ins, e);
	if (r == 0)
		r = db_prepare(DB_SQ(p->db), sql_wake_set, &p->q_wake_set, e);
	return r;
}

void plan_subject_close(struct planner *p)
{
	sqlite3_finalize(p->q_subj_ins);
	sqlite3_finalize(p->q_wake_set);
	sqlite3_finalize(p->q_sp_begin);
	sqlite3_finalize(p->q_sp_release);
	sqlite3_finalize(p->q_sp_rollback);
	p->q_subj_ins = p->q_wake_set = NULL;
	p->q_sp_begin = p->q_sp_release = p->q_sp_rollback = NULL;
}

/* Run a prepared statement without results (a savepoint command). */
static int run(struct planner *p, sqlite3_stmt *q, struct err *e)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_fail(DB_SQ(p->db), rc, "savepoint", e);
}

/* Errors of the database itself or of memory: the pass cannot go on. */
static int fatal(struct dbi *db, int code)
{
	switch (sqlite3_errcode(DB_SQ(db)) & 0xff) {
	case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED:
	case SQLITE_NOMEM: case SQLITE_CORRUPT: case SQLITE_READONLY: case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
		return code == ERR_DB || code == ERR_BUSY || code == ERR_IO;
	default:
		return code == ERR_NOMEM || code == ERR_BUSY || code == ERR_IO;
	}
}

/* Run q with subject (and, when given, a time) bound. */
static int step_subject(struct planner *p, sqlite3_stmt *q, const char *subject, time_t t,
			struct err *e)
{
	char ts[21];
	int rc;

	sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
	if (t)
		sqlite3_bind_text(q, 2, cal_iso_utc(t, ts), -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_fail(DB_SQ(p->db), rc, "planning", e);
}

/* Record that subject could not be planned: its rows are left alone, the
 * error is kept in plan_error and the admin hears of it once a day. */
static int subject_failed(struct planner *p, const char *subject, const struct err *se,
			  struct err *e)
{
	sqlite3_stmt *q = NULL;
	char now[21];
	int r;

	if (!p->st->errors++)
		snprintf(p->st->error, sizeof p->st->error, "%s: %s", subject, se->msg);
	if (p->preview)
		return 0;
	r = db_prepare(DB_SQ(p->db), "INSERT OR IGNORE INTO temp.plan_err(s) VALUES (?1)", &q, e);
	if (r == 0)
		r = step_subject(p, q, subject, 0, e);
	sqlite3_finalize(q);
	q = NULL;
	if (r == 0)
		r = db_prepare(DB_SQ(p->db), "INSERT INTO plan_error(subject_key, at, message)"
				      " VALUES (?1, ?2, ?3) ON CONFLICT(subject_key) DO UPDATE"
				      " SET at = excluded.at, message = excluded.message", &q, e);
	if (r == 0) {
		sqlite3_bind_text(q, 1, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, cal_iso_utc(p->now, now), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, se->msg, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			r = db_fail(DB_SQ(p->db), sqlite3_errcode(DB_SQ(p->db)), "plan_error", e);
	}
	sqlite3_finalize(q);
	return r < 0 ? r : plan_alert_subject(p, subject, se->msg, e);
}

int plan_mark(struct planner *p, enum plan_set set, sqlite3_stmt *ins, const char *key,
	      struct err *e)
{
	if (p->sets[set]) {
		int r = keyset_add(p->sets[set], key);

		if (r == ERR_INVALID)
			return err_set(e, r, "key too long to plan: %.60s...", key);
		return r < 0 ? err_set(e, r, "out of memory") : 0;
	}
	return step_subject(p, ins, key, 0, e);
}

/* The subject planned: its next wake time kept. The wake times of the
 * subjects planned without one (or not planned) are dropped at the pass's
 * end, all at once (drop_wakes() in planner.c). */
static int subject_done(struct planner *p, const char *subject, struct err *e)
{
	char kept[400], ts[21];
	int r;

	if (p->preview || !p->subj_wake)
		return 0;
	/* In a full pass most subjects wake as they did: no write then. */
	snprintf(kept, sizeof kept, "%s\t%s", subject, cal_iso_utc(p->subj_wake, ts));
	if (!p->sets[PLAN_WAKES] || !keyset_has(p->sets[PLAN_WAKES], kept)) {
		r = step_subject(p, p->q_wake_set, subject, p->subj_wake, e);
		if (r < 0)
			return r;
	}
	return plan_mark(p, PLAN_WOKE, NULL, subject, e);
}

int plan_subject(struct planner *p, const char *subject,
		 int (*fn)(struct planner *p, const void *arg, struct err *e),
		 const void *arg, struct err *e)
{
	struct err se = { 0 };
	int r;

	if (p->in_subject)
		return fn(p, arg, e);
	plan_progress(p);
	if (!p->preview && (r = plan_mark(p, PLAN_SUBJ, p->q_subj_ins, subject, e)) < 0)
		return r;
	r = run(p, p->q_sp_begin, e);
	if (r < 0)
		return r;
	p->in_subject = 1;
	p->subj_wake = 0;
	/* What was learnt of this subject's rows does not outlive it: its
	 * savepoint may be rolled back. */
	p->told_prefix[0] = '\0';
	r = fn(p, arg, &se);
	p->in_subject = 0;
	if (r == 0)
		r = subject_done(p, subject, e);
	if (r == 0)
		return run(p, p->q_sp_release, e);
	if (fatal(p->db, r)) {
		*e = se.msg[0] ? se : *e;
		if (run(p, p->q_sp_rollback, NULL) == 0)
			run(p, p->q_sp_release, NULL);
		return r;
	}
	r = run(p, p->q_sp_rollback, e);
	if (r == 0)
		r = run(p, p->q_sp_release, e);
	return r < 0 ? r : subject_failed(p, subject, &se, e);
}
