/* planner.h - level-triggered planning: from the facts in the case database
 * and the clock, derive the tasks and messages that should exist and
 * reconcile them with what is already planned or sent (docs/rules.md). */
#ifndef BACKAD_PLANNER_H
#define BACKAD_PLANNER_H

#include <time.h>

#include "dbi.h"
#include "config.h"
#include "err.h"
#include "recipient.h"

struct templates;

struct plan_stats {
	int planned;    /* new outbox rows */
	int updated;    /* pending rows whose text, address or time changed */
	int kept;       /* rows that already matched */
	int cancelled;  /* pending or failed rows whose reason vanished */
	int tasks_open; /* tasks opened or changed */
	int tasks_closed;
	int alerts;     /* admin alerts planned (no role holder, no address) */
	time_t next_at; /* the next occurrence after now, or 0 */
	int skipped;    /* nothing changed: the pass was skipped (plan_cache) */
	int full;       /* every subject was planned (else those changed or due) */
	int errors;     /* subjects that could not be planned (skipped, alerted) */
	char error[512];/* the first of them */
};

/* One message as planned (or previewed). Strings are owned by the planner
 * and valid only during the callback. */
struct plan_msg {
	const char *rule;       /* template kind, e.g. "referral_reminder" */
	const char *key;        /* rule/subject/occurrence/recipient */
	long long child_id;
	const char *child_ref;
	long long recipient_id; /* 0 for the admin address */
	const char *recipient_code;
	const char *recipient_name;
	enum channel_kind channel;
	const char *address;
	const char *subject;    /* NULL for SMS */
	const char *body;
	const char *categories;
	time_t scheduled;       /* when it should go out */
	const char *subject_key;/* the subject a rule planned it for */
	int event;              /* an event message (see plan_req) */
	const long long *children; /* the children it names, when more than */
	int n_children;            /* child_id */
	int digest;             /* 1: goes in the recipient's digest of its time */
	const char *deadline;   /* "YYYY-MM-DD" it is about, or NULL */
};

/* What the last pass of a long-running process saw. When no fact changed
 * since (state 'facts.version'), the day is the same and nothing came due
 * (now < next_at), a pass would change nothing and is skipped. Zero it to
 * start afresh (a reload does). */
struct plan_cache {
	int valid;
	long long version;
	int today;
	time_t next_at;
};

/* One planning pass at now, in one transaction. It plans every subject on
 * a new day, after a reload (cache zeroed) or, without a cache, when no full
 * pass ran today; else only the subjects whose facts changed (fact_change)
 * or whose wake time has come. cache may be NULL. */
int planner_run(struct dbi *db, const struct config *cfg, const struct templates *tpl,
		time_t now, struct plan_cache *cache, struct plan_stats *st, struct err *e);

/* fn(ctx) is called every PLANNER_PROGRESS_EVERY subjects while a pass
 * plans (NULL: never), so a process can show it is alive during a long full
 * pass (backad pings systemd's watchdog from it). fn must not touch the
 * database. */
#define PLANNER_PROGRESS_EVERY 256
void planner_on_progress(void (*fn)(void *ctx), void *ctx);

/* What would be sent with scheduled time in [from, to), given the facts as
 * they are; writes nothing. cb is called in no particular order. Role-change
 * digests are not previewed (they depend on what was last announced). */
int planner_preview(struct dbi *db, const struct config *cfg, const struct templates *tpl,
		    time_t from, time_t to,
		    void (*cb)(void *ctx, const struct plan_msg *m), void *ctx,
		    struct err *e);

#endif
