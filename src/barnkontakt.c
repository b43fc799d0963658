/* barnkontakt.c - deriving the Barnkontakt from assignments and placements. */
#include "barnkontakt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"

#define ROLE_SLOTS 256 /* unit roles looked up in one pass, kept by (unit, role, day) */

/* A pass reads one snapshot of the facts, and the children of one unit
 * share its principal: the holder of a role on a day is looked up once. */
struct role_slot {
	long long unit_id, staff_id;
	int day;
	char role[24];
};

struct bk_ctx {
	sqlite3 *db;
	sqlite3_stmt *explicit_q, *placement_q, *role_q;
	struct role_slot roles[ROLE_SLOTS];
};

/* Later stages win; among equals the latest start. */
static const char sql_explicit[] =
	"SELECT b.staff_id FROM barnkontakt b JOIN staff s ON s.id = b.staff_id"
	" WHERE b.child_id = ?1 AND b.start_date <= ?2"
	" AND (b.end_date IS NULL OR b.end_date >= ?2) AND s.active = 1"
	" ORDER BY b.start_date DESC, b.id DESC LIMIT 1";
static const char sql_placement[] =
	"SELECT p.id, p.unit_id, p.kind, p.staff_id,"
	" (SELECT active FROM staff WHERE id = p.staff_id)"
	" FROM placement p WHERE p.child_id = ?1 AND p.start_date <= ?2"
	" AND (p.end_date IS NULL OR p.end_date >= ?2)"
	" ORDER BY CASE p.kind WHEN 'school' THEN 4 WHEN 'preschool' THEN 3"
	" WHEN 'bvc' THEN 2 ELSE 1 END DESC, p.start_date DESC, p.id DESC LIMIT 1";
static const char sql_role[] =
	"SELECT r.staff_id FROM unit_role r JOIN staff s ON s.id = r.staff_id"
	" WHERE r.unit_id = ?1 AND r.role = ?2 AND r.start_date <= ?3"
	" AND (r.end_date IS NULL OR r.end_date >= ?3) AND s.active = 1"
	" ORDER BY r.start_date DESC, r.id LIMIT 1";

int bk_open(sqlite3 *db, struct bk_ctx **out, struct err *e)
{
	struct bk_ctx *c = calloc(1, sizeof *c);
	int r;

	*out = NULL;
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->db = db;
	r = db_prepare(db, sql_explicit, &c->explicit_q, e);
	if (r == 0)
		r = db_prepare(db, sql_placement, &c->placement_q, e);
	if (r == 0)
		r = db_prepare(db, sql_role, &c->role_q, e);
	if (r < 0) {
		bk_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void bk_close(struct bk_ctx *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->explicit_q);
	sqlite3_finalize(c->placement_q);
	sqlite3_finalize(c->role_q);
	free(c);
}

int bk_unit_role(struct bk_ctx *c, long long unit_id, const char *role, int day,
		 long long *staff_id, struct err *e)
{
	struct role_slot *slot = &c->roles[((unsigned long long)unit_id * 31u + (unsigned)day +
					    (unsigned char)role[0]) % ROLE_SLOTS];
	char d[DATE_LEN];
	int rc, r = 0;

	if (slot->unit_id == unit_id && slot->day == day && unit_id &&
	    strcmp(slot->role, role) == 0) {
		*staff_id = slot->staff_id;
		return 0;
	}
	*staff_id = 0;
	sqlite3_reset(c->role_q);
	sqlite3_bind_int64(c->role_q, 1, unit_id);
	sqlite3_bind_text(c->role_q, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->role_q, 3, date_format(day, d), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->role_q);
	if (rc == SQLITE_ROW)
		*staff_id = sqlite3_column_int64(c->role_q, 0);
	else if (rc != SQLITE_DONE)
		r = db_fail(c->db, rc, "unit role", e);
	sqlite3_reset(c->role_q);
	if (r == 0 && strlen(role) < sizeof slot->role) {
		slot->unit_id = unit_id;
		slot->day = day;
		slot->staff_id = *staff_id;
		snprintf(slot->role, sizeof slot->role, "%s", role);
	}
	return r;
}

static int from_placement(struct bk_ctx *c, int day, struct bk *out, struct err *e)
{
	sqlite3_stmt *q = c->placement_q;
	const char *kind = (const char *)sqlite3_column_text(q, 2);
	int named = sqlite3_column_type(q, 3) != SQLITE_NULL && sqlite3_column_int(q, 4) == 1;

	out->placement_id = sqlite3_column_int64(q, 0);
	out->unit_id = sqlite3_column_int64(q, 1);
	snprintf(out->kind, sizeof out->kind, "%s", kind ? kind : "");
	/* At BMM and BVC the child's own midwife or nurse, when named and still
	 * active; otherwise (and always at preschool and school) the principal. */
	if (named && (strcmp(out->kind, "bmm") == 0 || strcmp(out->kind, "bvc") == 0)) {
		out->source = BK_PLACEMENT;
		out->staff_id = sqlite3_column_int64(q, 3);
		return 0;
	}
	out->source = BK_PRINCIPAL;
	return bk_unit_role(c, out->unit_id, "principal", day, &out->staff_id, e);
}

int bk_at(struct bk_ctx *c, long long child_id, int day, struct bk *out, struct err *e)
{
	char d[DATE_LEN];
	int rc, r = 0;

	memset(out, 0, sizeof *out);
	date_format(day, d);
	sqlite3_reset(c->explicit_q);
	sqlite3_bind_int64(c->explicit_q, 1, child_id);
	sqlite3_bind_text(c->explicit_q, 2, d, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->explicit_q);
	if (rc == SQLITE_ROW) {
		out->source = BK_EXPLICIT;
		out->staff_id = sqlite3_column_int64(c->explicit_q, 0);
	}
	sqlite3_reset(c->explicit_q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(c->db, rc, "barnkontakt", e);

	/* The placement is looked up even for explicit holders: its kind and
	 * unit say where the child is. */
	sqlite3_reset(c->placement_q);
	sqlite3_bind_int64(c->placement_q, 1, child_id);
	sqlite3_bind_text(c->placement_q, 2, d, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->placement_q);
	if (rc == SQLITE_ROW) {
		if (out->source == BK_EXPLICIT) {
			out->placement_id = sqlite3_column_int64(c->placement_q, 0);
			snprintf(out->kind, sizeof out->kind, "%s",
				 (const char *)sqlite3_column_text(c->placement_q, 2));
		} else {
			r = from_placement(c, day, out, e);
		}
	} else if (rc != SQLITE_DONE) {
		r = db_fail(c->db, rc, "placement", e);
	}
	sqlite3_reset(c->placement_q);
	return r;
}

const char *bk_role_sv(const struct bk *b)
{
	if (b->source == BK_EXPLICIT)
		return "Barnkontakt";
	if (strcmp(b->kind, "bmm") == 0)
		return b->source == BK_PLACEMENT ? "barnmorska" : "verksamhetschef, barnmorskemottagning";
	if (strcmp(b->kind, "bvc") == 0)
		return b->source == BK_PLACEMENT ? "BVC-sjuksköterska" : "verksamhetschef, BVC";
	if (strcmp(b->kind, "preschool") == 0)
		return "förskolerektor";
	if (strcmp(b->kind, "school") == 0)
		return "rektor";
	return "Barnkontakt";
}
