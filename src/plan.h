/* plan.h - what a planning rule calls: the pass's clock and window, the
 * facts (src/facts.h), template variables, and planning a task or a message
 * to a person or a role. These helpers (src/plan_*.c) sit below the rules;
 * the pass that runs the rules (src/planner.c) above them. */
#ifndef BACKAD_PLAN_H
#define BACKAD_PLAN_H

#include "dbi.h"
#include "barnkontakt.h"
#include "facts.h"
#include "planner.h"
#include "recipient.h"
#include "tvars.h"

/* Room for a name or unit name read from the database. */
#define PLAN_NAME_LEN FACT_NAME_LEN

struct ack_keys;
struct alert;
struct digest;
struct keyset;
struct plan_rows;

/* What a pass remembers in memory rather than in temporary tables
 * (plan_mark(); read by SQL through plan_sets_has(), src/plan_sets.c): a full pass all of
 * them, a pass after a change only PLAN_WOKE (its few subjects are looked
 * up through the temporary tables' indexes). */
enum plan_set {
	PLAN_SUBJ,      /* subjects planned (temp.plan_subj) */
	PLAN_WOKE,      /* subjects planned that have a wake time */
	PLAN_SEEN,      /* outbox row ids a rule wants, as text (temp.plan_seen) */
	PLAN_TASK_SEEN, /* task keys a rule wants (temp.plan_task_seen) */
	PLAN_WAKES,     /* "subject TAB wake_at" of plan_wake as the pass began */
	PLAN_SETS
};

struct planner {
	struct dbi *db;
	const struct config *cfg;
	const struct templates *tpl;
	struct facts *facts;
	struct bk_ctx *bk;
	struct rcpt_ctx *rcpt;
	time_t now;
	int today;            /* Stockholm date of now */
	time_t lo_new;        /* occurrences before this are not planned anew */
	time_t lo_keep;       /* ...nor kept (older rows are left to delivery) */
	time_t hi;            /* occurrences after this are not planned yet */
	int lo_day, hi_day;   /* the same window as Stockholm dates */
	int preview;          /* 1: report through cb, write nothing */
	int full;             /* 1: every subject; 0: those changed or due */
	int first;            /* the database's first pass: old events are history */
	void (*cb)(void *ctx, const struct plan_msg *m);
	void *cb_ctx;
	struct plan_stats *st;
	struct dbi_stmt *q_outbox_ins, *q_outbox_upd, *q_seen_ins;
	struct dbi_stmt *q_task_get, *q_task_upsert, *q_task_seen, *q_oc_del, *q_oc_ins, *q_event_any;
	struct dbi_stmt *q_subj_ins, *q_wake_set;
	struct dbi_stmt *q_sp_begin, *q_sp_release, *q_sp_rollback;
	struct alert *alerts; /* vacant roles, unreachable people, subjects that
			       * could not be planned: sent at the end */
	struct digest *digests; /* role-change digests collected (rule_rolechange) */
	int in_subject;       /* inside plan_subject(): errors are isolated */
	struct ack_keys *ack; /* link signing keys (src/plan_ack.c), or NULL: no links */
	time_t subj_wake;     /* the subject's next occurrence after hi, or 0 */
	long subjects;        /* planned so far in this pass */
	long restat_at;       /* PostgreSQL: rows written to outbox and task at
			       * which their statistics are renewed, or 0
			       * (src/plan_restat.c) */
	struct keyset *sets[PLAN_SETS]; /* NULL: the temporary table (open_sets()) */
	struct plan_rows *rows; /* the subject's outbox rows (src/plan_rows.c) */
	char told_prefix[300];/* the last occurrence asked whether it was told */
	int told;             /* (all its recipients share it) and the answer */
};

/* What a rule knows about one message before its recipient is resolved. */
struct plan_req {
	const char *rule;      /* template kind */
	const char *subject;   /* e.g. "referral:12" */
	const char *occurrence;/* e.g. "2026-08-13" or "received" */
	long long child_id;
	const char *child_ref;
	const char *task_key;  /* or NULL */
	int day;               /* the message's date: recipients resolve on it */
	time_t scheduled;
	struct tvars *vars;    /* set by the rule; recipient fields are added */
	int sensitive;         /* vars carry a child's name or birth date */
	int decision;          /* vars carry a referral's outcome */
	int event;             /* tells of an event: goes out when first seen,
				* whatever the fact's date (not a reminder) */
	const long long *children; /* every child the message names, when more */
	int n_children;            /* than child_id (a digest) */
	int deadline;          /* the day the matter is due, to sort a person's
				* digest by (0: day) */
	int personal;          /* to the person themself, never a deputy: it
				* waits in their own inbox while they are away */
};

/* Remember key in set: in memory in a full pass, where a temporary table
 * would cost a B-tree insert per subject, else through ins (the temporary
 * table's INSERT). 0 or a negative code. */
int plan_mark(struct planner *p, enum plan_set set, struct dbi_stmt *ins, const char *key,
	      struct err *e);

/* Called by plan_subject() for each subject: the hook of
 * planner_on_progress() every PLANNER_PROGRESS_EVERY subjects. */
void plan_progress(struct planner *p);

/* ---- statistics (plan_restat.c) ---- */

/* Ready plan_restat() for a pass that writes, on PostgreSQL (nothing on
 * SQLite or in a preview): the rows outbox and task hold as the server's
 * statistics know them. 0 or a negative code. */
int plan_restat_open(struct planner *p, struct err *e);
/* Between subjects (not inside one, whose savepoint may be rolled back):
 * ANALYZE the tables a pass fills once it has written as many rows as they
 * held at the last count. 0 or a negative code. */
int plan_restat(struct planner *p, struct err *e);

/* ---- time (plan_time.c) ---- */

/* The instant a message dated day goes out: send_time on that day, the day
 * first moved to the previous (shift < 0) or next (shift > 0) working day
 * when workday_shift is on. *day is updated to the day actually used. */
time_t plan_at(const struct planner *p, int *day, int shift);
/* The instant of an event that is told at once: the start of its day. */
time_t plan_immediate(const struct planner *p, int day);
/* 1 when an occurrence at t belongs in this pass; a later one is noted as
 * the subject's (and the pass's) next wake time. */
int plan_in_window(struct planner *p, time_t t);
/* The same for an event: any time up to the end of the window. */
int plan_event_in_window(struct planner *p, time_t t);
/* The day a message dated day is actually sent: day, or today when day has
 * passed. Day counts and consent are judged on it, so a text is true when
 * it goes out. */
int plan_send_day(const struct planner *p, int day);
/* Of the n occurrences of one series at times at[], the index of the latest
 * one already due at now, or -1. An earlier due occurrence is superseded:
 * only the latest goes out. */
int plan_latest_due(const struct planner *p, const time_t *at, int n);

/* ---- template variables (plan_vars.c) ---- */

/* A tvars with every planner field set to its empty value plus ref. */
struct tvars *plan_vars(const char *ref);
/* Set days (a number), days_text ("1 dag", "3 dagar"), in_days ("i dag",
 * "i morgon", "om 3 dagar") and days_ago ("i dag", "i går", "för 3 dagar
 * sedan"); n counts days away from the day the message is sent. */
void plan_set_days(struct tvars *v, int n);
/* Set a field to n days as said: "1 dag", "14 dagar". */
void plan_set_count(struct tvars *v, const char *name, int n);
/* Set deputy (yes/no), deputy_for (the absent colleague's name) and
 * deputy_until (the absence's last day in Swedish) for recipient r. */
void plan_set_deputy(struct tvars *v, const struct recipient *r);
/* Set contact_name, contact_email and contact_phone: the other Barnkontakt
 * of a handover, staff_id (0: none), with their work addresses; when they
 * are absent on day with a deputy, the deputy, with contact_away set and
 * contact_for the absent holder's name. */
int plan_set_contact(struct planner *p, struct tvars *v, long long staff_id, int day,
		     struct err *e);
/* Set case_url: the configured case_url with {ref} replaced by ref,
 * percent-encoded; empty when none is configured. */
int plan_set_case_url(const struct planner *p, struct tvars *v, const char *ref);
/* Set a date field in Swedish long form. */
void plan_set_date(struct tvars *v, const char *name, int day);
/* The names of the active holders of role at unit on day, ", "-joined. */
int plan_role_names(struct planner *p, long long unit_id, const char *role, int day,
		    char *buf, size_t n, struct err *e);

/* ---- messages and tasks (plan_emit.c) ---- */

/* Plan req to one staff member (deputies and channel resolved on req->day;
 * no deputy when req->personal). */
int plan_to_staff(struct planner *p, const struct plan_req *req, long long staff_id,
		  struct err *e);
/* Plan req to every active holder of role at unit on req->day; a vacant role
 * becomes an admin alert naming the unit and role. */
int plan_to_role(struct planner *p, const struct plan_req *req, long long unit_id,
		 const char *role, struct err *e);
/* Plan req to a unit's functional mailbox (address; name greets it). */
int plan_to_mailbox(struct planner *p, const struct plan_req *req, long long unit_id,
		    const char *address, const char *name, struct err *e);
/* Note that nobody could be reached for a message about unit/role. */
int plan_alert_vacant(struct planner *p, long long unit_id, const char *role,
		      const char *why, struct err *e);
/* 1 when staff_id can be reached on day (present or with an active deputy,
 * active, with an e-mail address or a mobile number); else 0 and why, in
 * Swedish ("är frånvarande och har ingen ersättare"). */
int plan_staff_reachable(struct planner *p, long long staff_id, int day, char *why,
			 size_t n, struct err *e);
/* Note that the person assigned to subject cannot be reached and its
 * messages go elsewhere (why, in full): an admin alert, once a day. */
int plan_alert_assignee(struct planner *p, const char *subject, const char *why,
			struct err *e);
/* A task: open (done = 0) or closed. assignee or unit may be 0. */
int plan_task(struct planner *p, const char *key, const char *rule, long long child_id,
	      long long assignee_id, long long unit_id, int due_day, int done,
	      struct err *e);

/* ---- subjects (plan_subject.c) ---- */

/* Plan one subject ("referral:12") with fn in a savepoint. An error in it
 * (a bad row, a text that cannot be rendered) is recorded against the
 * subject, alerted to the admin once a day, and the pass goes on with the
 * other subjects; its existing messages are left as they are. Only errors
 * of the database itself (full, I/O, locked) or of memory end the pass.
 * The subject's next wake time is kept, so the clock wakes only it. */
int plan_subject(struct planner *p, const char *subject,
		 int (*fn)(struct planner *p, const void *arg, struct err *e),
		 const void *arg, struct err *e);

/* ---- for the pass (src/planner.c) ---- */

int plan_emit_open(struct planner *p, struct err *e);
void plan_emit_close(struct planner *p);
/* Plan the admin alerts collected during the pass. */
int plan_emit_alerts(struct planner *p, struct err *e);
/* Note that subject could not be planned (why): an admin alert, once a day. */
int plan_alert_subject(struct planner *p, const char *subject, const char *why,
		       struct err *e);
int plan_subject_open(struct planner *p, struct err *e);
void plan_subject_close(struct planner *p);

#endif
