/* plan_subject.c - one subject at a time: each in a savepoint, so an error
 * in one (recorded, alerted once a day) never stops the others; the
 * subjects planned in a pass, and each subject's next wake time. */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "keyset.h"
#include "plan_rows.h"

static const char sql_subj_ins[] =
	"INSERT INTO temp.plan_subj(s) VALUES (?1) ON CONFLICT DO NOTHING";
static const char sql_wake_set[] =
	"INSERT INTO plan_wake(subject_key, wake_at) VALUES (?1, ?2)"
	" ON CONFLICT(subject_key) DO UPDATE SET wake_at = excluded.wake_at"
	" WHERE plan_wake.wake_at <> excluded.wake_at";

int plan_subject_open(struct planner *p, struct err *e)
{
	int r = dbi_prepare(p->db, "SAVEPOINT subject", &p->q_sp_begin, e);

	if (r == 0)
		r = dbi_prepare(p->db, "RELEASE subject", &p->q_sp_release, e);
	if (r == 0)
		r = dbi_prepare(p->db, "ROLLBACK TO subject", &p->q_sp_rollback, e);
	if (r < 0 || p->preview)
		return r;
	r = dbi_prepare(p->db, sql_subj_ins, &p->q_subj_ins, e);
	if (r == 0)
		r = dbi_prepare(p->db, sql_wake_set, &p->q_wake_set, e);
	return r < 0 ? r : plan_restat_open(p, e);
}

void plan_subject_close(struct planner *p)
{
	dbi_finalize(p->q_subj_ins);
	dbi_finalize(p->q_wake_set);
	dbi_finalize(p->q_sp_begin);
	dbi_finalize(p->q_sp_release);
	dbi_finalize(p->q_sp_rollback);
	p->q_subj_ins = p->q_wake_set = NULL;
	p->q_sp_begin = p->q_sp_release = p->q_sp_rollback = NULL;
}

/* Run a prepared statement without results (a savepoint command). */
static int run(struct dbi_stmt *q, struct err *e)
{
	int rc = dbi_step(q, e);

	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

/* Errors of the database itself or of memory: the pass cannot go on. On
 * SQLite an ERR_DB is told apart by the engine's last result code (a full
 * disk, not a refused row); on PostgreSQL a lost connection is ERR_IO and
 * a conflict ERR_BUSY, and any other statement error is the subject's. */
static int fatal(struct dbi *db, int code)
{
	sqlite3 *sq = dbi_sqlite(db);

	switch (sq ? sqlite3_errcode(sq) & 0xff : SQLITE_OK) {
	case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED:
	case SQLITE_NOMEM: case SQLITE_CORRUPT: case SQLITE_READONLY: case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
		return code == ERR_DB || code == ERR_BUSY || code == ERR_IO;
	default:
		return code == ERR_NOMEM || code == ERR_BUSY || code == ERR_IO;
	}
}

/* Run q with subject (and, when given, a time) bound. */
static int step_subject(struct dbi_stmt *q, const char *subject, time_t t, struct err *e)
{
	char ts[21];
	int rc;

	dbi_bind_text(q, 1, subject);
	if (t)
		dbi_bind_text(q, 2, cal_iso_utc(t, ts));
	rc = dbi_step(q, e);
	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

/* Record that subject could not be planned: its rows are left alone, the
 * error is kept in plan_error and the admin hears of it once a day. */
static int subject_failed(struct planner *p, const char *subject, const struct err *se,
			  struct err *e)
{
	struct dbi_stmt *q = NULL;
	char now[21];
	int r;

	if (!p->st->errors++)
		snprintf(p->st->error, sizeof p->st->error, "%s: %s", subject, se->msg);
	if (p->preview)
		return 0;
	r = dbi_prepare(p->db, "INSERT INTO temp.plan_err(s) VALUES (?1) ON CONFLICT DO NOTHING",
			&q, e);
	if (r == 0)
		r = step_subject(q, subject, 0, e);
	dbi_finalize(q);
	q = NULL;
	if (r == 0)
		r = dbi_prepare(p->db, "INSERT INTO plan_error(subject_key, at, message)"
				      " VALUES (?1, ?2, ?3) ON CONFLICT(subject_key) DO UPDATE"
				      " SET at = excluded.at, message = excluded.message", &q, e);
	if (r == 0) {
		dbi_bind_text(q, 1, subject);
		dbi_bind_text(q, 2, cal_iso_utc(p->now, now));
		dbi_bind_text(q, 3, se->msg);
		r = dbi_step(q, e);
		if (r == DBI_ROW)
			r = err_set(e, ERR_DB, "%s: a row where none was expected", "plan_error");
		else if (r == DBI_DONE)
			r = 0;
	}
	dbi_finalize(q);
	return r < 0 ? r : plan_alert_subject(p, subject, se->msg, e);
}

int plan_mark(struct planner *p, enum plan_set set, struct dbi_stmt *ins, const char *key,
	      struct err *e)
{
	if (p->sets[set]) {
		int r = keyset_add(p->sets[set], key);

		if (r == ERR_INVALID)
			return err_set(e, r, "key too long to plan: %.60s...", key);
		return r < 0 ? err_set(e, r, "out of memory") : 0;
	}
	return step_subject(ins, key, 0, e);
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
		r = step_subject(p->q_wake_set, subject, p->subj_wake, e);
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
	r = run(p->q_sp_begin, e);
	if (r < 0)
		return r;
	p->in_subject = 1;
	p->subj_wake = 0;
	/* What was learnt of this subject's rows does not outlive it: its
	 * savepoint may be rolled back. */
	p->told_prefix[0] = '\0';
	plan_rows_forget(p);
	r = fn(p, arg, &se);
	p->in_subject = 0;
	if (r == 0)
		r = subject_done(p, subject, e);
	if (r == 0) {
		r = run(p->q_sp_release, e);
		return r < 0 ? r : plan_restat(p, e);
	}
	if (fatal(p->db, r)) {
		*e = se.msg[0] ? se : *e;
		if (run(p->q_sp_rollback, NULL) == 0)
			run(p->q_sp_release, NULL);
		return r;
	}
	r = run(p->q_sp_rollback, e);
	if (r == 0)
		r = run(p->q_sp_release, e);
	return r < 0 ? r : subject_failed(p, subject, &se, e);
}
