/* facts.h - what the planning rules read from the case database, as typed
 * structs: referrals, placements starting, children due for förskoleklass,
 * discovery cards, follow-ups, unit names, role holders, consents and the
 * Barnkontakt last announced; and which subjects a set of fact changes
 * affects. The rules see no SQL; a second database engine implements this
 * interface. */
#ifndef BACKAD_FACTS_H
#define BACKAD_FACTS_H

#include "dbi.h"
#include "date.h"
#include "err.h"

/* Room for a name read from the database; a longer one is cut at a
 * character boundary. */
#define FACT_NAME_LEN 512
/* A date as stored (checked by the rule that uses it: "" when NULL). */
#define FACT_DATE_LEN 24
/* A child's reference: 32 characters of up to 4 bytes each. */
#define FACT_REF_LEN 132

struct facts;

int facts_open(struct dbi *db, struct facts **out, struct err *e);
void facts_close(struct facts *f);

/* Which facts a call reads: those that matter for the days lo..hi (open,
 * recent, with an open task, or changed since the last pass), and of them
 * only id when id > 0. */
struct fact_sel {
	int lo_day, hi_day;
	long long id;
};

/* Called for each fact found; a negative return stops the walk. */
typedef int fact_fn(void *arg, const void *fact, struct err *e);

struct fact_referral {
	long long id, child_id, reporter_id, intake_unit_id;
	long long reporting_unit_id; /* or 0 */
	int reporter_active;         /* 0: the reporter has left */
	char child_ref[FACT_REF_LEN];
	char received[FACT_DATE_LEN], decided[FACT_DATE_LEN]; /* decided "" if open */
	char outcome[16];
	char intake_name[FACT_NAME_LEN];
	long long officer_id;        /* the assigned handläggare (active), or 0 */
	char intake_email[FACT_NAME_LEN]; /* the intake unit's mailbox, or "" */
	char officer_name[FACT_NAME_LEN]; /* the assigned handläggare's, or "" */
	char officer_code[65];       /* referral.officer as written (perhaps unknown), or "" */
};
int facts_referrals(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		    struct err *e);

/* A BVC, preschool or school placement starting in lo..hi. */
struct fact_start {
	long long placement_id, child_id, unit_id;
	char child_ref[FACT_REF_LEN], child_name[FACT_NAME_LEN], birth[FACT_DATE_LEN];
	int protected_identity;
	char unit_name[FACT_NAME_LEN];
	char start[FACT_DATE_LEN];
};
int facts_starts(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		 struct err *e);

/* Children born in year with no school placement covering start +- 60 days
 * (id > 0: only that child). */
struct fact_child {
	long long id;
	char ref[FACT_REF_LEN], birth[FACT_DATE_LEN];
};
int facts_fklass(struct facts *f, int year, int start, long long id, fact_fn *fn, void *arg,
		 struct err *e);

struct fact_card {
	long long id, child_id;
	char child_ref[FACT_REF_LEN];
	char created[FACT_DATE_LEN], done[FACT_DATE_LEN]; /* done "" while open */
};
int facts_cards(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		struct err *e);

struct fact_followup {
	long long id, child_id, responsible_id;
	char child_ref[FACT_REF_LEN];
	char due[FACT_DATE_LEN], done[FACT_DATE_LEN]; /* done "" while open */
};
/* Open follow-ups and those with an open task, whatever their dates. */
int facts_followups(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		    struct err *e);

/* The name of a unit ("" when unknown). */
int facts_unit_name(struct facts *f, long long unit_id, char *buf, size_t n, struct err *e);

/* The active holders of role at unit on day, in order of their start: ids
 * and names. *ids and *names are the caller's to free with facts_free_holders. */
int facts_holders(struct facts *f, long long unit_id, const char *role, int day,
		  long long **ids, char ***names, int *n, struct err *e);
void facts_free_holders(long long *ids, char **names, int n);

/* 1 in *yes when a consent of scope for the child is in force on day. */
int facts_consent(struct facts *f, long long child_id, const char *scope, int day, int *yes,
		  struct err *e);

/* The Barnkontakt each child had when last announced. */
struct fact_known {
	long long child_id;
	char ref[FACT_REF_LEN];
	int known;          /* 0: never seen */
	long long staff_id; /* the holder announced, or 0 */
	long long unit_id;  /* the unit whose role it was, or 0 */
	char since[FACT_DATE_LEN];
};
/* Every child, or (changed = 1) only those in temp.plan_kids. */
int facts_known(struct facts *f, int changed, fact_fn *fn, void *arg, struct err *e);
/* Record the holder announced for a child: since is a stored date. */
int facts_known_set(struct facts *f, long long child_id, long long staff_id,
		    long long unit_id, const char *since, struct err *e);
/* The start date of a placement ("" when unknown). */
int facts_placement_start(struct facts *f, long long placement_id, char *buf, size_t n,
			  struct err *e);

/* A value in the state table ("" when unset), and setting or clearing one. */
int facts_state_get(struct facts *f, const char *key, char *buf, size_t n, struct err *e);
int facts_state_set(struct facts *f, const char *key, const char *value, struct err *e);

/* The subjects the fact changes since the last pass (table fact_change)
 * affect, into temp.plan_todo(s) ("referral:12", "placement:7", ...), and
 * the children whose Barnkontakt may have changed into temp.plan_kids(id).
 * lo_day bounds which placements count as a child's current ones, and
 * which are subjects at all (those starting on it or later). The
 * pass creates and empties those tables at its start (src/planner.c). */
int facts_affected(struct facts *f, int lo_day, struct err *e);

/* 1 in *yes when staff_id (0: anyone) answered the subject (kind
 * "referral", "followup", "discovery" or "placement", and its id) with
 * action ("received", "done", "booked") by an acknowledgement link (table
 * task_ack, docs/ack.md). */
int facts_acked(struct facts *f, const char *kind, long long ref_id, const char *action,
		long long staff_id, int *yes, struct err *e);

#endif
