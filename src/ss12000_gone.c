/* ss12000_gone.c - SS 12000 deletions, and what a full resync no longer lists, ended. */
#include "ss12000_apply.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "import_full.h"

#define SRC "ss12000"
#define X(kind) "SELECT ext_id, local_id FROM ext_ref WHERE source = '" SRC "' AND kind = '" kind "'"

/* temp.ss_gone(kind, id): from deletedEntities. */
static const char sql_deleted[] =
	"INSERT INTO temp.ss_gone SELECT x.kind, x.local_id FROM temp.ss_deleted d"
	" JOIN ext_ref x ON x.source = '" SRC "' AND x.ext_id = d.ext AND x.kind ="
	" CASE d.kind WHEN 'organisations' THEN 'unit' WHEN 'placements' THEN 'placement'"
	" WHEN 'duties' THEN 'role' ELSE x.kind END"
	" WHERE d.kind <> 'persons' OR x.kind IN ('staff', 'child') ON CONFLICT DO NOTHING";

/* ...and, in a full resync, every row of an earlier sync this one did not
 * read (NOT EXISTS: an anti-join in both engines, however many rows). */
static const char sql_unseen[] =
	"INSERT INTO temp.ss_gone SELECT kind, id FROM ("
	" SELECT 'unit' AS kind, local_id AS id FROM (" X("unit") ") x"
	"  WHERE NOT EXISTS (SELECT 1 FROM temp.ss_org s WHERE s.ext = x.ext_id)"
	" UNION ALL SELECT 'staff', local_id FROM (" X("staff") ") x"
	"  WHERE NOT EXISTS (SELECT 1 FROM temp.ss_person s WHERE s.ext = x.ext_id)"
	" UNION ALL SELECT 'child', local_id FROM (" X("child") ") x"
	"  WHERE NOT EXISTS (SELECT 1 FROM temp.ss_person s WHERE s.ext = x.ext_id)"
	" UNION ALL SELECT 'placement', local_id FROM (" X("placement") ") x"
	"  WHERE NOT EXISTS (SELECT 1 FROM temp.ss_place_seen s WHERE s.ext = x.ext_id)"
	" UNION ALL SELECT 'role', local_id FROM (" X("role") ") x"
	"  WHERE NOT EXISTS (SELECT 1 FROM temp.ss_duty s WHERE s.ext = x.ext_id"
	"   AND s.role IN ('Rektor', 'Förskolechef'))) u WHERE true ON CONFLICT DO NOTHING";

static int count(struct dbi *db, const char *sql, const char *day, int *n, struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(db, sql, &q, e);

	if (r == 0 && day)
		r = dbi_bind_text(q, 1, day);
	if (r == 0)
		r = dbi_step(q, e);
	if (r == DBI_ROW)
		*n = dbi_column_int(q, 0);
	dbi_finalize(q);
	return r < 0 ? r : 0; /* a count always has its row */
}

/* A full resync must not end more than import.max_shrink_percent of the
 * open rows earlier syncs wrote. */
static int shrink_guard(struct ss_apply *a, int force)
{
	static const char known[] =
		"SELECT (SELECT count(*) FROM ext_ref x JOIN staff s ON s.id = x.local_id"
		"  WHERE x.source = '" SRC "' AND x.kind = 'staff' AND s.active = 1)"
		" + (SELECT count(*) FROM ext_ref x JOIN placement p ON p.id = x.local_id"
		"  WHERE x.source = '" SRC "' AND x.kind = 'placement'"
		"  AND (p.end_date IS NULL OR p.end_date >= ?1))";
	static const char gone[] =
		"SELECT (SELECT count(*) FROM temp.ss_gone g JOIN staff s ON s.id = g.id"
		"  WHERE g.kind = 'staff' AND s.active = 1)"
		" + (SELECT count(*) FROM temp.ss_gone g JOIN placement p ON p.id = g.id"
		"  WHERE g.kind = 'placement' AND (p.end_date IS NULL OR p.end_date >= ?1))";
	int n_known = 0, n_gone = 0, r;

	r = count(a->db, known, a->today, &n_known, a->e);
	if (r == 0)
		r = count(a->db, gone, a->today, &n_gone, a->e);
	if (r < 0 || force || n_gone == 0 || (long)n_gone * 100 <= (long)a->cfg->import_max_shrink * n_known)
		return r;
	return err_set(a->e, ERR_INVALID,
		       "the full resync no longer lists %d of the %d active staff and open placements "
		       "earlier syncs wrote (%.1f %%), more than import.max_shrink_percent = %d; "
		       "nothing was changed (check the server, or use --force)",
		       n_gone, n_known, 100.0 * n_gone / n_known, a->cfg->import_max_shrink);
}

/* Principal changes: every unit whose open role ends now. */
static int note_roles(struct ss_apply *a)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(a->db, "SELECT DISTINCT r.unit_id FROM temp.ss_gone g JOIN unit_role r"
			    " ON r.id = g.id WHERE g.kind = 'role'"
			    " AND (r.end_date IS NULL OR r.end_date >= ?1)", &q, a->e);

	if (r == 0)
		r = dbi_bind_text(q, 1, a->today);
	while (r == 0 && (r = dbi_step(q, a->e)) == DBI_ROW)
		r = ss_note_principal(a, dbi_column_int64(q, 0));
	dbi_finalize(q);
	return r == DBI_DONE ? 0 : r;
}

static int staff_gone(struct ss_apply *a)
{
	struct import_opts o = { .day = a->day, .admin_email = a->cfg->admin_email,
				 .mail_from = a->cfg->mail_from };
	struct import_result res = { 0 };
	int r = db_exec(a->db, "CREATE TEMP TABLE IF NOT EXISTS import_gone(id BIGINT PRIMARY KEY);"
			       "DELETE FROM temp.import_gone;"
			       "INSERT INTO temp.import_gone SELECT g.id FROM temp.ss_gone g"
			       " JOIN staff s ON s.id = g.id WHERE g.kind = 'staff' AND s.active = 1",
			a->e);

	if (r == 0)
		r = import_full_staff_gone(a->db, &o, &res, a->e);
	a->sum->staff_left += res.ended;
	a->sum->follow_moved += res.reassigned;
	a->sum->alerts += res.alerts;
	return r;
}

int ss_apply_gone(struct ss_apply *a, int full, int force)
{
	int *ended = &a->sum->placements_ended, *removed = &a->sum->placements_removed, roles = 0;
	int r = db_exec(a->db, sql_deleted, a->e);

	if (r == 0 && full)
		r = db_exec(a->db, sql_unseen, a->e);
	if (r == 0 && full)
		r = shrink_guard(a, force);
	if (r == 0)
		r = note_roles(a);
	if (r == 0)
		r = staff_gone(a);
	if (r == 0)
		r = import_full_end(a->db, "placement", "(id IN (SELECT id FROM temp.ss_gone WHERE"
				    " kind = 'placement') OR child_id IN (SELECT id FROM temp.ss_gone"
				    " WHERE kind = 'child') OR unit_id IN (SELECT id FROM temp.ss_gone"
				    " WHERE kind = 'unit'))", a->day, ended, removed, a->e);
	if (r == 0)
		r = import_full_end(a->db, "unit_role", "(id IN (SELECT id FROM temp.ss_gone WHERE"
				    " kind = 'role') OR unit_id IN (SELECT id FROM temp.ss_gone"
				    " WHERE kind = 'unit'))", a->day, &roles, &roles, a->e);
	/* Rows that had not begun are deleted: so is their outside id. */
	if (r == 0)
		r = db_exec(a->db, "DELETE FROM ext_ref WHERE kind = 'placement' AND local_id NOT IN"
				   " (SELECT id FROM placement); DELETE FROM ext_ref WHERE kind = 'role'"
				   " AND local_id NOT IN (SELECT id FROM unit_role)", a->e);
	return r;
}
