/* facts.c - the planning rules' reads of the case database (SQLite or
 * PostgreSQL). Every statement is prepared once per pass, on first use. */
#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "idmap.h"
#include "plan_sets.h"
#include "strbuf.h"
#include "utf8.h"

enum q {
	Q_REFERRALS, Q_REFERRAL, Q_STARTS, Q_START, Q_FKLASS, Q_FKLASS_ONE, Q_CARDS, Q_CARD,
	Q_FOLLOWUPS, Q_FOLLOWUP, Q_UNIT_NAME, Q_HOLDERS, Q_CONSENT, Q_KNOWN_ALL, Q_KNOWN_KIDS,
	Q_KNOWN_SET, Q_PSTART, Q_STATE_GET, Q_STATE_SET, Q_STATE_DEL, Q_ACKED, Q_COUNT
};

/* A unit role's holders on a day, kept for the pass: every referral of an
 * intake unit asks for the same officers, coordinator and manager. */
#define HOLDER_SLOTS 64
struct holders {
	long long unit_id; /* 0: empty */
	int day, n;
	char role[24];
	long long *ids;
	char **names;
};

struct facts {
	struct dbi *db;
	struct dbi_stmt *q[Q_COUNT];
	/* A unit's name, read once per pass (every child placed there asks):
	 * by unit id, where it starts in names (each ends with its NUL). */
	struct idmap units;
	struct strbuf names;
	int acks;                /* -1: not known yet; 0: no task_ack rows; 1: some */
	struct holders holders[HOLDER_SLOTS];
};

/* Referrals that matter for ?1..?2: undecided, decided since ?1, with an
 * open task, or changed since the last pass. */
#define REFERRAL_COLS \
	"SELECT r.id, r.child_id, c.ref, r.reporter_id, r.intake_unit_id," \
	" r.received_date, r.decision_date, r.outcome, u.name, r.reporting_unit_id," \
	" (SELECT active FROM staff WHERE id = r.reporter_id)," \
	" (SELECT id FROM staff WHERE code = r.officer AND active = 1)," \
	" coalesce(u.email, ''), (SELECT name FROM staff WHERE code = r.officer AND active = 1)," \
	" coalesce(r.officer, '')" \
	" FROM referral r JOIN child c ON c.id = r.child_id" \
	" JOIN unit u ON u.id = r.intake_unit_id"
#define REFERRAL_WHEN \
	" ((r.received_date <= ?2 AND (r.decision_date IS NULL OR r.decision_date >= ?1" \
	"  OR EXISTS (SELECT 1 FROM task t WHERE t.key = 'referral/' || r.id" \
	"   AND t.state = 'open')))" \
	" OR r.id IN (SELECT ref_id FROM fact_change WHERE kind = 'referral'))"
/* The same referrals found through indexes: the candidates of each arm of
 * REFERRAL_WHEN (which is then applied as it stands), so a full pass does
 * not read every referral ever received. */
#define REFERRAL_CANDIDATES \
	" r.id IN (SELECT id FROM referral WHERE decision_date IS NULL AND received_date <= ?2" \
	" UNION ALL SELECT id FROM referral WHERE decision_date >= ?1 AND received_date <= ?2" \
	" UNION ALL SELECT CAST(substr(key, 10) AS INTEGER) FROM task" \
	"  WHERE key >= 'referral/' AND key < 'referral0' AND state || '' = 'open'" \
	" UNION ALL SELECT ref_id FROM fact_change WHERE kind = 'referral') AND"
#define START_COLS \
	"SELECT p.id, p.child_id, c.ref, coalesce(c.name,''), c.birth_date," \
	" c.protected_identity, p.unit_id, u.name, p.start_date" \
	" FROM placement p JOIN child c ON c.id = p.child_id JOIN unit u ON u.id = p.unit_id" \
	" WHERE p.kind IN ('bvc','preschool','school') AND p.start_date BETWEEN ?1 AND ?2"
#define FKLASS_SQL \
	"SELECT c.id, c.ref, c.birth_date FROM child c" \
	" WHERE c.birth_date BETWEEN CAST(?1 AS TEXT) || '-01-01' AND CAST(?1 AS TEXT) || '-12-31'" \
	" AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.child_id = c.id" \
	"  AND p.kind = 'school' AND p.start_date <= ?3" \
	"  AND (p.end_date IS NULL OR p.end_date >= ?2))"
#define CARD_COLS \
	"SELECT d.id, d.child_id, c.ref, d.created_date, d.conversation_date" \
	" FROM discovery_card d JOIN child c ON c.id = d.child_id"
#define CARD_WHEN \
	" ((d.created_date <= ?2 AND (d.conversation_date IS NULL" \
	"  OR d.created_date >= ?1 OR EXISTS (SELECT 1 FROM task t" \
	"   WHERE t.key = 'discovery/' || d.id AND t.state = 'open')))" \
	" OR d.id IN (SELECT ref_id FROM fact_change WHERE kind = 'discovery'))"
#define FOLLOWUP_COLS \
	"SELECT f.id, f.child_id, c.ref, f.responsible_id, f.due_date, f.done_date" \
	" FROM followup f JOIN child c ON c.id = f.child_id"
#define FOLLOWUP_WHEN \
	" (f.done_date IS NULL OR EXISTS (SELECT 1 FROM task t" \
	"  WHERE t.key = 'followup/' || f.id AND t.state = 'open'))"
#define KNOWN_COLS \
	"SELECT c.id, c.ref, k.child_id IS NOT NULL, k.staff_id, k.since, k.unit_id" \
	" FROM child c LEFT JOIN barnkontakt_known k ON k.child_id = c.id"

static const char *const sql[Q_COUNT] = {
	[Q_REFERRALS] = REFERRAL_COLS " WHERE" REFERRAL_CANDIDATES REFERRAL_WHEN " ORDER BY r.id",
	[Q_REFERRAL] = REFERRAL_COLS " WHERE r.id = ?3 AND" REFERRAL_WHEN,
	[Q_STARTS] = START_COLS " ORDER BY p.id",
	[Q_START] = START_COLS " AND p.id = ?3",
	[Q_FKLASS] = FKLASS_SQL " ORDER BY c.id",
	[Q_FKLASS_ONE] = FKLASS_SQL " AND c.id = ?4",
	[Q_CARDS] = CARD_COLS " WHERE" CARD_WHEN " ORDER BY d.id",
	[Q_CARD] = CARD_COLS " WHERE d.id = ?3 AND" CARD_WHEN,
	[Q_FOLLOWUPS] = FOLLOWUP_COLS " WHERE" FOLLOWUP_WHEN " ORDER BY f.id",
	[Q_FOLLOWUP] = FOLLOWUP_COLS " WHERE f.id = ?1 AND" FOLLOWUP_WHEN,
	[Q_UNIT_NAME] = "SELECT name FROM unit WHERE id = ?1",
	[Q_HOLDERS] =
		"SELECT r.staff_id, s.name FROM unit_role r JOIN staff s ON s.id = r.staff_id"
		" WHERE r.unit_id = ?1 AND r.role = ?2 AND r.start_date <= ?3"
		" AND (r.end_date IS NULL OR r.end_date >= ?3) AND s.active = 1"
		" ORDER BY r.start_date, r.id",
	[Q_CONSENT] =
		"SELECT count(*) FROM consent WHERE child_id = ?1 AND scope = ?2"
		" AND given_date <= ?3 AND (withdrawn_date IS NULL OR withdrawn_date > ?3)",
	[Q_KNOWN_ALL] = KNOWN_COLS " ORDER BY c.id",
	[Q_KNOWN_KIDS] = KNOWN_COLS " WHERE c.id IN (SELECT id FROM temp.plan_kids) ORDER BY c.id",
	[Q_KNOWN_SET] =
		"INSERT INTO barnkontakt_known(child_id, staff_id, unit_id, since)"
		" VALUES (?1, nullif(?2, 0), nullif(?3, 0), ?4) ON CONFLICT(child_id) DO UPDATE"
		" SET staff_id = excluded.staff_id, unit_id = excluded.unit_id,"
		" since = excluded.since",
	[Q_PSTART] = "SELECT start_date FROM placement WHERE id = ?1",
	[Q_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
	[Q_STATE_SET] = "INSERT INTO state(key, value) VALUES (?1, ?2)"
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[Q_STATE_DEL] = "DELETE FROM state WHERE key = ?1",
	[Q_ACKED] = "SELECT count(*) FROM task_ack WHERE kind = ?1 AND ref_id = ?2 AND action = ?3"
		     " AND (?4 = 0 OR staff_id = ?4)",
};

int facts_open(struct dbi *db, struct facts **out, struct err *e)
{
	struct facts *f = calloc(1, sizeof *f);

	*out = NULL;
	if (!f)
		return err_set(e, ERR_NOMEM, "out of memory");
	f->db = db;
	f->acks = -1;
	*out = f;
	return 0;
}

void facts_close(struct facts *f)
{
	if (!f)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		dbi_finalize(f->q[i]);
	for (int i = 0; i < HOLDER_SLOTS; i++)
		facts_free_holders(f->holders[i].ids, f->holders[i].names, f->holders[i].n);
	idmap_free(&f->units);
	sb_free(&f->names);
	free(f);
}

/* The statement q, prepared on first use and reset for a new use. */
static int stmt(struct facts *f, enum q q, struct dbi_stmt **out, struct err *e)
{
	if (!f->q[q]) {
		int r = dbi_prepare(f->db, sql[q], &f->q[q], e);

		if (r < 0)
			return r;
	} else {
		dbi_reset(f->q[q]); /* every use binds every parameter */
	}
	*out = f->q[q];
	return 0;
}

static void col(struct dbi_stmt *q, int c, char *buf, size_t n)
{
	utf8_copy(buf, n, dbi_column_text(q, c));
}

static void bind_day(struct dbi_stmt *q, int i, int day)
{
	char d[DATE_LEN];

	dbi_bind_text(q, i, date_format(day, d));
}

/* Step q to the end, filling a fact with fill() and handing it to fn. */
static int walk(struct dbi_stmt *q, void *fact, void (*fill)(struct dbi_stmt *, void *),
		fact_fn *fn, void *arg, struct err *e)
{
	int rc, r = 0;

	while (r == 0 && (rc = dbi_step(q, e)) == DBI_ROW) {
		fill(q, fact);
		r = fn(arg, fact, e);
	}
	if (r == 0 && rc != DBI_DONE)
		r = rc;
	dbi_reset(q);
	return r;
}

static int select_window(struct facts *f, enum q all, enum q one, const struct fact_sel *s,
			 struct dbi_stmt **q, struct err *e)
{
	int r = stmt(f, s->id > 0 ? one : all, q, e);

	if (r < 0)
		return r;
	bind_day(*q, 1, s->lo_day);
	bind_day(*q, 2, s->hi_day);
	if (s->id > 0)
		dbi_bind_int64(*q, 3, s->id);
	return 0;
}

static void fill_referral(struct dbi_stmt *q, void *fact)
{
	struct fact_referral *r = fact;

	memset(r, 0, sizeof *r);
	r->id = dbi_column_int64(q, 0);
	r->child_id = dbi_column_int64(q, 1);
	col(q, 2, r->child_ref, sizeof r->child_ref);
	r->reporter_id = dbi_column_int64(q, 3);
	r->intake_unit_id = dbi_column_int64(q, 4);
	col(q, 5, r->received, sizeof r->received);
	if (!dbi_column_is_null(q, 6)) {
		col(q, 6, r->decided, sizeof r->decided);
		if (!r->decided[0])
			snprintf(r->decided, sizeof r->decided, "?");
		col(q, 7, r->outcome, sizeof r->outcome);
	}
	col(q, 8, r->intake_name, sizeof r->intake_name);
	r->reporting_unit_id = dbi_column_int64(q, 9);
	r->reporter_active = dbi_column_int(q, 10);
	r->officer_id = dbi_column_int64(q, 11);
	col(q, 12, r->intake_email, sizeof r->intake_email);
	col(q, 13, r->officer_name, sizeof r->officer_name);
	col(q, 14, r->officer_code, sizeof r->officer_code);
}

int facts_referrals(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		    struct err *e)
{
	struct fact_referral fact;
	struct dbi_stmt *q;
	int r = select_window(f, Q_REFERRALS, Q_REFERRAL, s, &q, e);

	return r < 0 ? r : walk(q, &fact, fill_referral, fn, arg, e);
}

static void fill_start(struct dbi_stmt *q, void *fact)
{
	struct fact_start *s = fact;

	memset(s, 0, sizeof *s);
	s->placement_id = dbi_column_int64(q, 0);
	s->child_id = dbi_column_int64(q, 1);
	col(q, 2, s->child_ref, sizeof s->child_ref);
	col(q, 3, s->child_name, sizeof s->child_name);
	col(q, 4, s->birth, sizeof s->birth);
	s->protected_identity = dbi_column_int(q, 5);
	s->unit_id = dbi_column_int64(q, 6);
	col(q, 7, s->unit_name, sizeof s->unit_name);
	col(q, 8, s->start, sizeof s->start);
	if (!s->start[0])
		snprintf(s->start, sizeof s->start, "?");
}

int facts_starts(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		 struct err *e)
{
	struct fact_start fact;
	struct dbi_stmt *q;
	int r = select_window(f, Q_STARTS, Q_START, s, &q, e);

	return r < 0 ? r : walk(q, &fact, fill_start, fn, arg, e);
}

static void fill_child(struct dbi_stmt *q, void *fact)
{
	struct fact_child *c = fact;

	memset(c, 0, sizeof *c);
	c->id = dbi_column_int64(q, 0);
	col(q, 1, c->ref, sizeof c->ref);
	col(q, 2, c->birth, sizeof c->birth);
}

int facts_fklass(struct facts *f, int year, int start, long long id, fact_fn *fn, void *arg,
		 struct err *e)
{
	struct fact_child fact;
	struct dbi_stmt *q;
	char y[8];
	int r = stmt(f, id > 0 ? Q_FKLASS_ONE : Q_FKLASS, &q, e);

	if (r < 0)
		return r;
	snprintf(y, sizeof y, "%04d", year);
	dbi_bind_text(q, 1, y);
	bind_day(q, 2, start - 60);
	bind_day(q, 3, start + 60);
	if (id > 0)
		dbi_bind_int64(q, 4, id);
	return walk(q, &fact, fill_child, fn, arg, e);
}

static void fill_card(struct dbi_stmt *q, void *fact)
{
	struct fact_card *k = fact;

	memset(k, 0, sizeof *k);
	k->id = dbi_column_int64(q, 0);
	k->child_id = dbi_column_int64(q, 1);
	col(q, 2, k->child_ref, sizeof k->child_ref);
	col(q, 3, k->created, sizeof k->created);
	if (!dbi_column_is_null(q, 4)) {
		col(q, 4, k->done, sizeof k->done);
		if (!k->done[0])
			snprintf(k->done, sizeof k->done, "?");
	}
}

int facts_cards(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		struct err *e)
{
	struct fact_card fact;
	struct dbi_stmt *q;
	int r = select_window(f, Q_CARDS, Q_CARD, s, &q, e);

	return r < 0 ? r : walk(q, &fact, fill_card, fn, arg, e);
}

static void fill_followup(struct dbi_stmt *q, void *fact)
{
	struct fact_followup *u = fact;

	memset(u, 0, sizeof *u);
	u->id = dbi_column_int64(q, 0);
	u->child_id = dbi_column_int64(q, 1);
	col(q, 2, u->child_ref, sizeof u->child_ref);
	u->responsible_id = dbi_column_int64(q, 3);
	col(q, 4, u->due, sizeof u->due);
	if (!dbi_column_is_null(q, 5)) {
		col(q, 5, u->done, sizeof u->done);
		if (!u->done[0])
			snprintf(u->done, sizeof u->done, "?");
	}
}

int facts_followups(struct facts *f, const struct fact_sel *s, fact_fn *fn, void *arg,
		    struct err *e)
{
	struct fact_followup fact;
	struct dbi_stmt *q;
	int r = stmt(f, s->id > 0 ? Q_FOLLOWUP : Q_FOLLOWUPS, &q, e);

	if (r < 0)
		return r;
	if (s->id > 0)
		dbi_bind_int64(q, 1, s->id);
	return walk(q, &fact, fill_followup, fn, arg, e);
}

/* One text value of the single-row statement q into buf ("" for none). */
static int one_text(struct dbi_stmt *q, char *buf, size_t n, struct err *e)
{
	int rc = dbi_step(q, e);

	buf[0] = '\0';
	if (rc == DBI_ROW)
		col(q, 0, buf, n);
	dbi_reset(q);
	return rc == DBI_ROW || rc == DBI_DONE ? 0 : rc;
}

int facts_unit_name(struct facts *f, long long unit_id, char *buf, size_t n, struct err *e)
{
	const char *name;
	struct dbi_stmt *q;
	int at, len, rc, r;

	if (idmap_get(&f->units, unit_id, &at, &len)) {
		utf8_copy(buf, n, f->names.s + at);
		return 0;
	}
	r = stmt(f, Q_UNIT_NAME, &q, e);
	if (r < 0)
		return r;
	dbi_bind_int64(q, 1, unit_id);
	rc = dbi_step(q, e);
	if (rc != DBI_ROW && rc != DBI_DONE) {
		dbi_reset(q);
		return rc;
	}
	name = rc == DBI_ROW && dbi_column_text(q, 0)
		       ? dbi_column_text(q, 0) : "";
	utf8_copy(buf, n, name);
	/* Kept when there is room; asked again otherwise. */
	at = (int)f->names.len;
	len = (int)strlen(name);
	if (sb_add(&f->names, name, (size_t)len + 1) == 0 &&
	    idmap_put(&f->units, unit_id, at, len) < 0)
		f->names.len = (size_t)at;
	dbi_reset(q);
	return 0;
}

void facts_free_holders(long long *ids, char **names, int n)
{
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(ids);
	free(names);
}

static int holders_read(struct facts *f, long long unit_id, const char *role, int day,
			long long **ids, char ***names, int *n, struct err *e)
{
	struct dbi_stmt *q;
	int rc, r = stmt(f, Q_HOLDERS, &q, e), cnt = 0;

	*ids = NULL;
	*names = NULL;
	*n = 0;
	if (r < 0)
		return r;
	dbi_bind_int64(q, 1, unit_id);
	dbi_bind_text(q, 2, role);
	bind_day(q, 3, day);
	while ((rc = dbi_step(q, e)) == DBI_ROW) {
		long long *ni = realloc(*ids, (size_t)(cnt + 1) * sizeof **ids);
		char **nn = ni ? realloc(*names, (size_t)(cnt + 1) * sizeof **names) : NULL;
		const char *s = dbi_column_text(q, 1);

		if (ni)
			*ids = ni;
		if (nn)
			*names = nn;
		if (!ni || !nn || !((*names)[cnt] = strdup(s ? s : ""))) {
			r = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		(*ids)[cnt++] = dbi_column_int64(q, 0);
	}
	if (r == 0 && rc != DBI_DONE)
		r = rc;
	dbi_reset(q);
	*n = cnt;
	if (r < 0) {
		facts_free_holders(*ids, *names, cnt);
		*ids = NULL;
		*names = NULL;
		*n = 0;
	}
	return r;
}

/* Copies of n ids and names; 0 or ERR_NOMEM (nothing allocated then). */
static int holders_copy(const long long *ids, char *const *names, int n, long long **out_ids,
			char ***out_names, struct err *e)
{
	*out_ids = NULL;
	*out_names = NULL;
	if (!n)
		return 0;
	*out_ids = malloc((size_t)n * sizeof **out_ids);
	*out_names = calloc((size_t)n, sizeof **out_names);
	for (int i = 0; *out_ids && *out_names && i < n; i++) {
		(*out_ids)[i] = ids[i];
		if (!((*out_names)[i] = strdup(names[i])))
			break;
	}
	if (!*out_ids || !*out_names || !(*out_names)[n - 1]) {
		facts_free_holders(*out_ids, *out_names, n);
		*out_ids = NULL;
		*out_names = NULL;
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int facts_holders(struct facts *f, long long unit_id, const char *role, int day,
		  long long **ids, char ***names, int *n, struct err *e)
{
	struct holders *h = &f->holders[((unsigned long long)unit_id * 31u + (unsigned)day +
					 (unsigned char)role[0]) % HOLDER_SLOTS];
	int r;

	*ids = NULL;
	*names = NULL;
	*n = 0;
	if (!(h->unit_id == unit_id && h->day == day && unit_id && strcmp(h->role, role) == 0)) {
		long long *hi;
		char **hn;
		int cnt;

		r = holders_read(f, unit_id, role, day, &hi, &hn, &cnt, e);
		if (r < 0)
			return r;
		if (strlen(role) >= sizeof h->role) { /* not kept */
			*ids = hi;
			*names = hn;
			*n = cnt;
			return 0;
		}
		facts_free_holders(h->ids, h->names, h->n);
		*h = (struct holders){ .unit_id = unit_id, .day = day, .n = cnt, .ids = hi,
				       .names = hn };
		snprintf(h->role, sizeof h->role, "%s", role);
	}
	r = holders_copy(h->ids, h->names, h->n, ids, names, e);
	if (r == 0)
		*n = h->n;
	return r;
}

int facts_consent(struct facts *f, long long child_id, const char *scope, int day, int *yes,
		  struct err *e)
{
	struct dbi_stmt *q;
	int rc, r = stmt(f, Q_CONSENT, &q, e);

	*yes = 0;
	if (r < 0)
		return r;
	dbi_bind_int64(q, 1, child_id);
	dbi_bind_text(q, 2, scope);
	bind_day(q, 3, day);
	rc = dbi_step(q, e);
	*yes = rc == DBI_ROW && dbi_column_int(q, 0) > 0;
	dbi_reset(q);
	return rc == DBI_ROW ? 0 : rc;
}

static void fill_known(struct dbi_stmt *q, void *fact)
{
	struct fact_known *k = fact;

	memset(k, 0, sizeof *k);
	k->child_id = dbi_column_int64(q, 0);
	col(q, 1, k->ref, sizeof k->ref);
	k->known = dbi_column_int(q, 2);
	k->staff_id = dbi_column_int64(q, 3);
	col(q, 4, k->since, sizeof k->since);
	k->unit_id = dbi_column_int64(q, 5);
}

int facts_known(struct facts *f, int changed, fact_fn *fn, void *arg, struct err *e)
{
	struct fact_known fact;
	struct dbi_stmt *q;
	int r = stmt(f, changed ? Q_KNOWN_KIDS : Q_KNOWN_ALL, &q, e);

	return r < 0 ? r : walk(q, &fact, fill_known, fn, arg, e);
}

int facts_known_set(struct facts *f, long long child_id, long long staff_id,
		    long long unit_id, const char *since, struct err *e)
{
	struct dbi_stmt *q;
	int rc, r = stmt(f, Q_KNOWN_SET, &q, e);

	if (r < 0)
		return r;
	dbi_bind_int64(q, 1, child_id);
	dbi_bind_int64(q, 2, staff_id);
	dbi_bind_int64(q, 3, unit_id);
	dbi_bind_text(q, 4, since);
	rc = dbi_step(q, e);
	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

int facts_placement_start(struct facts *f, long long placement_id, char *buf, size_t n,
			  struct err *e)
{
	struct dbi_stmt *q;
	int r = stmt(f, Q_PSTART, &q, e);

	if (r < 0)
		return r;
	dbi_bind_int64(q, 1, placement_id);
	return one_text(q, buf, n, e);
}

int facts_state_get(struct facts *f, const char *key, char *buf, size_t n, struct err *e)
{
	struct dbi_stmt *q;
	int r = stmt(f, Q_STATE_GET, &q, e);

	if (r < 0)
		return r;
	dbi_bind_text(q, 1, key);
	return one_text(q, buf, n, e);
}

int facts_state_set(struct facts *f, const char *key, const char *value, struct err *e)
{
	struct dbi_stmt *q;
	int rc, r = stmt(f, value ? Q_STATE_SET : Q_STATE_DEL, &q, e);

	if (r < 0)
		return r;
	dbi_bind_text(q, 1, key);
	if (value)
		dbi_bind_text(q, 2, value);
	rc = dbi_step(q, e);
	dbi_reset(q);
	return rc == DBI_DONE ? 0 : rc;
}

/* From the changes to the subjects they affect. A changed staff member
 * (and whoever they stand in for, however many deputies apart) affects the units where they hold a role,
 * the children they follow as nurse or assigned Barnkontakt, and what they
 * report, answer for or receive; a changed unit the children placed there from lo_day on and the
 * referrals it takes in; a changed child all its subjects. Of a child whose
 * Barnkontakt may have changed (not its own facts), the subjects that
 * follow the Barnkontakt: its placements, förskoleklass and discovery
 * cards. */
#define SQL_STAFF "CREATE TEMP TABLE IF NOT EXISTS plan_staff(id %s PRIMARY KEY)"
#define SQL_AFFECTED \
	"DELETE FROM temp.plan_staff;" \
	"INSERT INTO temp.plan_staff WITH RECURSIVE s(id) AS (" \
	" SELECT ref_id FROM fact_change WHERE kind = 'staff' AND ref_id IS NOT NULL" \
	" UNION SELECT a.staff_id FROM absence a JOIN s ON a.deputy_id = s.id)" \
	" SELECT id FROM s WHERE true ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_units SELECT ref_id FROM fact_change" \
	" WHERE kind = 'unit' AND ref_id IS NOT NULL ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_units SELECT unit_id FROM unit_role" \
	" WHERE staff_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_kids SELECT ref_id FROM fact_change" \
	" WHERE kind = 'child' AND ref_id IS NOT NULL ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_kids SELECT child_id FROM placement" \
	" WHERE staff_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_kids SELECT child_id FROM barnkontakt" \
	" WHERE staff_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_kids SELECT child_id FROM placement" \
	" WHERE unit_id IN (SELECT id FROM temp.plan_units)" \
	" AND (end_date IS NULL OR end_date >= '%s') ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT kind || ':' || ref_id FROM fact_change" \
	" WHERE kind IN ('referral','discovery','followup') AND ref_id IS NOT NULL" \
	" ON CONFLICT DO NOTHING;" \
	/* One statement per indexed column, so each is an index look-up. */ \
	/* A referral and a follow-up read of their child only its reference: \
	 * they are planned again when the child's own facts changed, not when \
	 * its Barnkontakt may have (a unit's new principal touches hundreds). */ \
	"INSERT INTO temp.plan_todo SELECT 'referral:' || id FROM referral" \
	" WHERE child_id IN (SELECT ref_id FROM fact_change WHERE kind = 'child')" \
	" ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'referral:' || id FROM referral" \
	" WHERE reporter_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'referral:' || id FROM referral" \
	" WHERE intake_unit_id IN (SELECT id FROM temp.plan_units) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'referral:' || id FROM referral" \
	" WHERE officer IN (SELECT code FROM staff WHERE id IN (SELECT id FROM temp.plan_staff))" \
	" ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'referral:' || id FROM referral" \
	" WHERE reporting_unit_id IN (SELECT id FROM temp.plan_units) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'discovery:' || id FROM discovery_card" \
	" WHERE child_id IN (SELECT id FROM temp.plan_kids) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'followup:' || id FROM followup" \
	" WHERE child_id IN (SELECT ref_id FROM fact_change WHERE kind = 'child')" \
	" ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'followup:' || id FROM followup" \
	" WHERE responsible_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;" \
	/* A placement that started before the window is no subject of any \
	 * pass (facts_starts() reads from the same day): the children's \
	 * earlier placements are not asked about (unless one has a wake time \
	 * left, which its planning then drops). */ \
	"INSERT INTO temp.plan_todo SELECT 'placement:' || id FROM placement" \
	" WHERE child_id IN (SELECT id FROM temp.plan_kids) AND (start_date >= '%s'" \
	"  OR 'placement:' || id IN (SELECT subject_key FROM plan_wake)) ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT 'fklass:' || id FROM temp.plan_kids" \
	" WHERE true ON CONFLICT DO NOTHING;" \
	"INSERT INTO temp.plan_todo SELECT DISTINCT subject_key FROM outbox" \
	" WHERE state IN ('pending','failed') AND origin = 'rule' AND subject_key IS NOT NULL" \
	" AND recipient_id IN (SELECT id FROM temp.plan_staff) ON CONFLICT DO NOTHING;"

int facts_affected(struct facts *f, int lo_day, struct err *e)
{
	size_t n = sizeof SQL_AFFECTED + 64;
	char d[DATE_LEN], *text = malloc(n);
	int r;

	if (!text)
		return err_set(e, ERR_NOMEM, "out of memory");
	date_format(lo_day, d);
	snprintf(text, n, SQL_STAFF, plan_sets_id_type(f->db));
	r = plan_temp_create(f->db, "plan_staff", text, e);
	snprintf(text, n, SQL_AFFECTED, d, d);
	if (r == 0)
		r = db_exec(f->db, text, e);
	free(text);
	return r;
}

int facts_acked(struct facts *f, const char *kind, long long ref_id, const char *action,
		long long staff_id, int *yes, struct err *e)
{
	struct dbi_stmt *q;
	int rc, r = stmt(f, Q_ACKED, &q, e);

	*yes = 0;
	if (r < 0)
		return r;
	/* Most databases hold no acknowledgements: asked once per pass. */
	if (f->acks < 0) {
		struct dbi_stmt *any = NULL;

		r = dbi_prepare(f->db, "SELECT EXISTS (SELECT 1 FROM task_ack)", &any, e);
		if (r < 0)
			return r;
		rc = dbi_step(any, e);
		f->acks = rc == DBI_ROW ? dbi_column_int(any, 0) != 0 : 1;
		dbi_finalize(any);
	}
	if (!f->acks)
		return 0;
	dbi_bind_text(q, 1, kind);
	dbi_bind_int64(q, 2, ref_id);
	dbi_bind_text(q, 3, action);
	dbi_bind_int64(q, 4, staff_id);
	rc = dbi_step(q, e);
	*yes = rc == DBI_ROW && dbi_column_int(q, 0) > 0;
	dbi_reset(q);
	return rc == DBI_ROW ? 0 : rc;
}
