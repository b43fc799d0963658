/* ss12000_apply.c - staged SS 12000 units, people, placements and duties into facts. */
#include "ss12000_apply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "validate.h"

#define SRC "ss12000"

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

static int fail(struct ss_apply *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ss_apply *a, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return err_set(a->e, ERR_INVALID, "%s", why);
}

int ss_ext_get(struct ss_apply *a, const char *kind, const char *ext, long long *id)
{
	sqlite3_stmt *q = a->ext_get;
	int rc;

	*id = 0;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ext, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(DB_SQ(a->db), rc, "ext_ref", a->e);
}

static int ext_put(struct ss_apply *a, const char *kind, const char *ext, long long id)
{
	sqlite3_stmt *q = a->ext_put;
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ext, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, id);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_fail(DB_SQ(a->db), rc, "ext_ref", a->e);
}

/* Run a prepared write with text (or NULL) parameters and an optional id
 * last; *changed = rows it changed. */
static int write(struct ss_apply *a, sqlite3_stmt *st, int n, const char *const *v,
		 long long id, int *changed)
{
	int rc;

	sqlite3_reset(st);
	for (int i = 0; i < n; i++)
		db_bind_text_or_null(st, i + 1, v[i]);
	if (id)
		sqlite3_bind_int64(st, n + 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(DB_SQ(a->db), rc, "sync", a->e);
	if (changed)
		*changed = sqlite3_changes(DB_SQ(a->db));
	return 0;
}

/* ---- units ---- */

static int has_type(const char *types, const char *t)
{
	char w[16];

	snprintf(w, sizeof w, " %s", t);
	for (const char *p = types ? strstr(types, w) : NULL; p; p = strstr(p + 1, w))
		if (p[strlen(w)] == ' ' || !p[strlen(w)])
			return 1;
	return 0;
}

/* förskoleklass and grundskola (also anpassad) make a school unit; förskola
 * alone a preschool; other school types are not followed. */
static const char *unit_kind(const char *types)
{
	if (has_type(types, "FKLASS") || has_type(types, "GR") || has_type(types, "GRS"))
		return "school";
	if (has_type(types, "FS"))
		return "preschool";
	return NULL;
}

static int municipality(struct ss_apply *a, char *out, size_t n)
{
	sqlite3_stmt *q = NULL;
	int r;

	if (a->cfg->ss_municipality) {
		snprintf(out, n, "%s", a->cfg->ss_municipality);
		return 0;
	}
	snprintf(out, n, "okänd huvudman");
	r = db_prepare(DB_SQ(a->db), "SELECT name FROM temp.ss_org WHERE otype = 'Huvudman'"
			      " ORDER BY ext LIMIT 1", &q, a->e);
	if (r == 0 && sqlite3_step(q) == SQLITE_ROW && col(q, 0))
		snprintf(out, n, "%s", col(q, 0));
	sqlite3_finalize(q);
	return r;
}

static int apply_units(struct ss_apply *a)
{
	sqlite3_stmt *q = NULL, *by_code = NULL, *ins = NULL, *upd = NULL;
	char muni[200];
	struct err ve;
	int r, rc, changed = 0;

	r = municipality(a, muni, sizeof muni);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "SELECT ext, name, unit_code, types FROM temp.ss_org ORDER BY ext",
			       &q, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "SELECT id FROM unit WHERE code = ?1", &by_code, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT INTO unit(code, kind, name, municipality)"
				      " VALUES (?1, ?2, ?3, ?4)", &ins, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "UPDATE unit SET kind = ?1, name = ?2 WHERE id = ?3"
				      " AND (kind IS NOT ?1 OR name IS NOT ?2)", &upd, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ext = col(q, 0), *kind = unit_kind(col(q, 3));
		const char *code = col(q, 2) && valid_code(col(q, 2), NULL) == 0 ? col(q, 2) : ext;
		long long id;

		if (!kind)
			continue;
		if (valid_code(code, &ve) < 0) {
			r = fail(a, "organisation %s: neither schoolUnitCode nor the id is a usable "
				    "code: %s", ext, ve.msg);
			break;
		}
		if ((r = ss_ext_get(a, "unit", ext, &id)) < 0)
			break;
		if (!id) {
			sqlite3_reset(by_code);
			sqlite3_bind_text(by_code, 1, code, -1, SQLITE_STATIC);
			if (sqlite3_step(by_code) == SQLITE_ROW)
				id = sqlite3_column_int64(by_code, 0);
			sqlite3_reset(by_code);
			if (id && (r = ext_put(a, "unit", ext, id)) < 0)
				break;
		}
		if (id) {
			r = write(a, upd, 2, (const char *const[]){ kind, col(q, 1) }, id, &changed);
			a->sum->units_updated += changed;
			continue;
		}
		r = write(a, ins, 4, (const char *const[]){ code, kind, col(q, 1), muni }, 0, NULL);
		if (r == 0)
			r = ext_put(a, "unit", ext, sqlite3_last_insert_rowid(DB_SQ(a->db)));
		a->sum->units_new++;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(by_code);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return r;
}

/* ---- staff and children ---- */

static const char sql_staff[] =
	"SELECT p.ext, trim(p.name), p.email, p.mobile,"
	" (SELECT x.local_id FROM temp.ss_duty d JOIN ext_ref x ON x.source = '" SRC "'"
	"  AND x.kind = 'unit' AND x.ext_id = d.org WHERE d.person = p.ext"
	"  ORDER BY d.start DESC LIMIT 1)"
	" FROM temp.ss_person p WHERE EXISTS (SELECT 1 FROM temp.ss_duty d WHERE d.person = p.ext)"
	" OR EXISTS (SELECT 1 FROM ext_ref x WHERE x.source = '" SRC "' AND x.kind = 'staff'"
	"  AND x.ext_id = p.ext) ORDER BY p.ext";

static int apply_staff(struct ss_apply *a)
{
	sqlite3_stmt *q = NULL, *ins = NULL, *upd = NULL;
	struct err ve;
	int r, rc, changed = 0;

	r = db_prepare(DB_SQ(a->db), sql_staff, &q, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT INTO staff(code, name, email, mobile, unit_id)"
				      " VALUES (?1, ?2, ?3, ?4, ?5)", &ins, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "UPDATE staff SET name = ?1, email = ?2, mobile = ?3,"
				      " unit_id = coalesce(?4, unit_id), active = 1 WHERE id = ?5"
				      " AND (name IS NOT ?1 OR email IS NOT ?2 OR mobile IS NOT ?3"
				      " OR unit_id IS NOT coalesce(?4, unit_id) OR active = 0)", &upd, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ext = col(q, 0), *name = col(q, 1);
		long long id;

		if (!name || !*name) {
			r = fail(a, "person %s: a staff member (with a duty) needs givenName or "
				    "familyName", ext);
			break;
		}
		if (valid_code(ext, &ve) < 0) {
			r = fail(a, "person %s: the id cannot be a staff code: %s", ext, ve.msg);
			break;
		}
		if ((r = ss_ext_get(a, "staff", ext, &id)) < 0)
			break;
		sqlite3_stmt *st = id ? upd : ins;

		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (id) {
			db_bind_text_or_null(st, 1, name);
			db_bind_text_or_null(st, 2, col(q, 2));
			db_bind_text_or_null(st, 3, col(q, 3));
			if (sqlite3_column_type(q, 4) != SQLITE_NULL)
				sqlite3_bind_int64(st, 4, sqlite3_column_int64(q, 4));
			sqlite3_bind_int64(st, 5, id);
		} else {
			db_bind_text_or_null(st, 1, ext);
			db_bind_text_or_null(st, 2, name);
			db_bind_text_or_null(st, 3, col(q, 2));
			db_bind_text_or_null(st, 4, col(q, 3));
			if (sqlite3_column_type(q, 4) != SQLITE_NULL)
				sqlite3_bind_int64(st, 5, sqlite3_column_int64(q, 4));
		}
		rc = sqlite3_step(st);
		changed = sqlite3_changes(DB_SQ(a->db));
		sqlite3_reset(st);
		if (rc == SQLITE_CONSTRAINT) {
			r = fail(a, "person %s: rejected by the database: %s", ext, sqlite3_errmsg(DB_SQ(a->db)));
			break;
		}
		if (rc != SQLITE_DONE) {
			r = db_fail(DB_SQ(a->db), rc, "staff", a->e);
			break;
		}
		if (id) {
			a->sum->staff_updated += changed;
		} else {
			a->sum->staff_new++;
			r = ext_put(a, "staff", ext, sqlite3_last_insert_rowid(DB_SQ(a->db)));
		}
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return r;
}

static const char sql_children[] =
	"SELECT p.ext, p.birth, p.pnr FROM temp.ss_person p"
	" WHERE EXISTS (SELECT 1 FROM temp.ss_place c WHERE c.child = p.ext)"
	" OR EXISTS (SELECT 1 FROM temp.ss_enrol n WHERE n.person = p.ext"
	"  AND n.stype IN ('FKLASS', 'GR', 'GRS'))"
	" OR EXISTS (SELECT 1 FROM ext_ref x WHERE x.source = '" SRC "' AND x.kind = 'child'"
	"  AND x.ext_id = p.ext) ORDER BY p.ext";

/* The opaque case reference of a child: its SS 12000 id without dashes. */
static int child_ref(struct ss_apply *a, const char *ext, char out[33])
{
	size_t k = 0;
	struct err ve;

	for (const char *c = ext; *c; c++)
		if (*c != '-' && k < 32)
			out[k++] = *c;
		else if (*c != '-')
			return fail(a, "person %s: the id is longer than 32 characters without "
				       "dashes and cannot be a case reference", ext);
	out[k] = '\0';
	if (valid_code(out, &ve) < 0)
		return fail(a, "person %s: the id cannot be a case reference: %s", ext, ve.msg);
	return 0;
}

static int apply_children(struct ss_apply *a)
{
	sqlite3_stmt *q = NULL, *ins = NULL, *upd = NULL;
	int r, rc, changed = 0;
	char ref[33];

	r = db_prepare(DB_SQ(a->db), sql_children, &q, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT INTO child(ref, birth_date, pnr) VALUES (?1, ?2, ?3)",
			       &ins, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "UPDATE child SET birth_date = ?1, pnr = ?2 WHERE id = ?3"
				      " AND (birth_date IS NOT ?1 OR pnr IS NOT ?2)", &upd, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ext = col(q, 0);
		long long id;

		if (!col(q, 1)) {
			r = fail(a, "person %s: a child needs birthDate (or civicNo)", ext);
			break;
		}
		if ((r = child_ref(a, ext, ref)) < 0 || (r = ss_ext_get(a, "child", ext, &id)) < 0)
			break;
		if (id) {
			r = write(a, upd, 2, (const char *const[]){ col(q, 1), col(q, 2) }, id, &changed);
			a->sum->children_updated += changed;
			continue;
		}
		r = write(a, ins, 3, (const char *const[]){ ref, col(q, 1), col(q, 2) }, 0, NULL);
		if (r == 0)
			r = ext_put(a, "child", ext, sqlite3_last_insert_rowid(DB_SQ(a->db)));
		a->sum->children_new++;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return r;
}

/* ---- placements and enrolments ---- */

struct place_ctx {
	sqlite3_stmt *old, *ins, *upd, *seen;
};

/* Upsert one placement known by ext. */
static int put_placement(struct ss_apply *a, struct place_ctx *p, const char *what,
			 const char *ext, const char *child_ext, const char *org, const char *kind,
			 const char *start, const char *end)
{
	long long child, unit, id;
	int r, changed = 0;

	if ((r = ss_ext_get(a, "unit", org, &unit)) < 0)
		return r;
	if (!unit) {
		a->sum->skipped++;
		return 0;
	}
	if ((r = ss_ext_get(a, "child", child_ext, &child)) < 0)
		return r;
	if (!child)
		return fail(a, "%s %s: child %s is not a known person (not in /persons)", what, ext,
			    child_ext);
	if (end && *end && strcmp(end, start) < 0)
		return fail(a, "%s %s: endDate %s is before startDate %s", what, ext, end, start);
	if ((r = ss_ext_get(a, "placement", ext, &id)) < 0)
		return r;
	sqlite3_reset(p->seen);
	sqlite3_bind_text(p->seen, 1, ext, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(p->seen) != SQLITE_DONE)
		return db_fail(DB_SQ(a->db), sqlite3_errcode(DB_SQ(a->db)), "sync", a->e);
	sqlite3_reset(p->seen);
	if (!id) {
		sqlite3_reset(p->ins);
		sqlite3_bind_int64(p->ins, 1, child);
		sqlite3_bind_int64(p->ins, 2, unit);
		sqlite3_bind_text(p->ins, 3, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(p->ins, 4, start, -1, SQLITE_TRANSIENT);
		db_bind_text_or_null(p->ins, 5, end);
		if (sqlite3_step(p->ins) != SQLITE_DONE)
			return db_fail(DB_SQ(a->db), sqlite3_errcode(DB_SQ(a->db)), "placement", a->e);
		sqlite3_reset(p->ins);
		a->sum->placements_new++;
		return ext_put(a, "placement", ext, sqlite3_last_insert_rowid(DB_SQ(a->db)));
	}
	/* Was it open before? Then a new end date ends it. */
	sqlite3_reset(p->old);
	sqlite3_bind_int64(p->old, 1, id);
	int was_open = sqlite3_step(p->old) == SQLITE_ROW && sqlite3_column_type(p->old, 0) == SQLITE_NULL;

	sqlite3_reset(p->old);
	sqlite3_reset(p->upd);
	sqlite3_bind_int64(p->upd, 1, unit);
	sqlite3_bind_text(p->upd, 2, start, -1, SQLITE_TRANSIENT);
	db_bind_text_or_null(p->upd, 3, end);
	sqlite3_bind_int64(p->upd, 4, id);
	if (sqlite3_step(p->upd) != SQLITE_DONE)
		return db_fail(DB_SQ(a->db), sqlite3_errcode(DB_SQ(a->db)), "placement", a->e);
	changed = sqlite3_changes(DB_SQ(a->db));
	sqlite3_reset(p->upd);
	if (changed && was_open && end && *end)
		a->sum->placements_ended++;
	else
		a->sum->placements_updated += changed;
	return 0;
}

/* Enrolment-made placements of the persons read now that their enrolments no
 * longer list: the person's list is the whole truth for them. */
static const char sql_enrol_gone[] =
	"SELECT x.local_id FROM temp.ss_person p JOIN ext_ref x ON x.source = '" SRC "'"
	" AND x.kind = 'placement' AND x.ext_id >= p.ext || '/' AND x.ext_id < p.ext || '0'"
	" WHERE x.ext_id NOT IN (SELECT ext FROM temp.ss_place_seen)";

static int apply_placements(struct ss_apply *a)
{
	struct place_ctx p = { 0 };
	sqlite3_stmt *q = NULL;
	char ext[400];
	int r, rc = SQLITE_DONE;

	r = db_exec(a->db, "DROP TABLE IF EXISTS temp.ss_place_seen;"
			   "CREATE TEMP TABLE ss_place_seen(ext TEXT PRIMARY KEY)", a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "SELECT end_date FROM placement WHERE id = ?1", &p.old, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT INTO placement(child_id, unit_id, kind, start_date,"
				      " end_date) VALUES (?1, ?2, ?3, ?4, ?5)", &p.ins, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "UPDATE placement SET unit_id = ?1, start_date = ?2,"
				      " end_date = ?3 WHERE id = ?4 AND (unit_id IS NOT ?1"
				      " OR start_date IS NOT ?2 OR end_date IS NOT ?3)", &p.upd, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT OR IGNORE INTO temp.ss_place_seen VALUES (?1)", &p.seen,
			       a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "SELECT ext, child, org, start, end_date, stype FROM temp.ss_place"
				      " ORDER BY ext", &q, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		/* Placements are for förskola; fritidshem and others are not followed. */
		if (col(q, 5) && strcmp(col(q, 5), "FS") != 0) {
			a->sum->skipped++;
			continue;
		}
		r = put_placement(a, &p, "placement", col(q, 0), col(q, 1), col(q, 2), "preschool",
				  col(q, 3), col(q, 4));
	}
	sqlite3_finalize(q);
	q = NULL;
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "SELECT person, org, start, end_date FROM temp.ss_enrol"
				      " WHERE stype IN ('FKLASS', 'GR', 'GRS') ORDER BY person, start",
			       &q, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		snprintf(ext, sizeof ext, "%s/%s/%s", col(q, 0), col(q, 1), col(q, 2));
		r = put_placement(a, &p, "enrolment", ext, col(q, 0), col(q, 1), "school",
				  col(q, 2), col(q, 3));
	}
	sqlite3_finalize(q);
	sqlite3_finalize(p.old);
	sqlite3_finalize(p.ins);
	sqlite3_finalize(p.upd);
	sqlite3_finalize(p.seen);
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(a->db), rc, "sync", a->e);
	/* Listed as gone for ss_apply_gone(). */
	if (r == 0)
		r = db_exec(a->db, "CREATE TEMP TABLE IF NOT EXISTS ss_gone(kind TEXT, id INTEGER,"
				   " PRIMARY KEY (kind, id)); DELETE FROM temp.ss_gone", a->e);
	if (r == 0) {
		char sql[600];

		snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO temp.ss_gone SELECT 'placement', local_id"
			 " FROM (%s)", sql_enrol_gone);
		r = db_exec(a->db, sql, a->e);
	}
	return r;
}

/* ---- principals ---- */

int ss_note_principal(struct ss_apply *a, long long unit_id)
{
	struct ss_summary *s = a->sum;
	sqlite3_stmt *q = NULL;
	size_t n = strlen(s->principal_units);
	int r;

	r = db_exec(a->db, "CREATE TEMP TABLE IF NOT EXISTS ss_principal(unit_id INTEGER PRIMARY KEY)",
		    a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT OR IGNORE INTO temp.ss_principal VALUES (?1)", &q, a->e);
	if (r < 0)
		return r;
	sqlite3_bind_int64(q, 1, unit_id);
	if (sqlite3_step(q) != SQLITE_DONE)
		r = db_fail(DB_SQ(a->db), sqlite3_errcode(DB_SQ(a->db)), "sync", a->e);
	sqlite3_finalize(q);
	if (r < 0 || sqlite3_changes(DB_SQ(a->db)) == 0)
		return r;
	s->principals_changed++;
	q = NULL;
	r = db_prepare(DB_SQ(a->db), "SELECT name FROM unit WHERE id = ?1", &q, a->e);
	if (r < 0)
		return r;
	sqlite3_bind_int64(q, 1, unit_id);
	if (sqlite3_step(q) == SQLITE_ROW && col(q, 0) &&
	    n + strlen(col(q, 0)) + 3 < sizeof s->principal_units) {
		snprintf(s->principal_units + n, sizeof s->principal_units - n, "%s%s", n ? ", " : "",
			 col(q, 0));
		s->principal_listed++;
	}
	sqlite3_finalize(q);
	return 0;
}

static int put_duty(struct ss_apply *a, sqlite3_stmt *ins, sqlite3_stmt *upd, sqlite3_stmt *q)
{
	const char *ext = col(q, 0), *start = col(q, 3), *end = col(q, 4);
	long long unit, staff, id;
	int r, changed;

	if ((r = ss_ext_get(a, "unit", col(q, 2), &unit)) < 0)
		return r;
	if (!unit) {
		a->sum->skipped++;
		return 0;
	}
	if ((r = ss_ext_get(a, "staff", col(q, 1), &staff)) < 0)
		return r;
	if (!staff)
		return fail(a, "duty %s: person %s is not a known person (not in /persons)", ext,
			    col(q, 1));
	if ((r = ss_ext_get(a, "role", ext, &id)) < 0)
		return r;
	sqlite3_stmt *st = id ? upd : ins;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, unit);
	sqlite3_bind_int64(st, 2, staff);
	sqlite3_bind_text(st, 3, start, -1, SQLITE_TRANSIENT);
	db_bind_text_or_null(st, 4, end);
	if (id)
		sqlite3_bind_int64(st, 5, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(DB_SQ(a->db), sqlite3_errcode(DB_SQ(a->db)), "unit_role", a->e);
	changed = sqlite3_changes(DB_SQ(a->db));
	sqlite3_reset(st);
	if (!id && (r = ext_put(a, "role", ext, sqlite3_last_insert_rowid(DB_SQ(a->db)))) < 0)
		return r;
	return changed ? ss_note_principal(a, unit) : 0;
}

static int apply_duties(struct ss_apply *a)
{
	sqlite3_stmt *q = NULL, *ins = NULL, *upd = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(DB_SQ(a->db), "SELECT ext, person, org, start, end_date FROM temp.ss_duty"
			      " WHERE role IN ('Rektor', 'Förskolechef') ORDER BY ext", &q, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT INTO unit_role(unit_id, role, staff_id, start_date,"
				      " end_date) VALUES (?1, 'principal', ?2, ?3, ?4)", &ins, a->e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "UPDATE unit_role SET unit_id = ?1, staff_id = ?2, start_date = ?3,"
				      " end_date = ?4 WHERE id = ?5 AND (unit_id IS NOT ?1"
				      " OR staff_id IS NOT ?2 OR start_date IS NOT ?3 OR end_date IS NOT ?4)",
			       &upd, a->e);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = put_duty(a, ins, upd, q);
	if (r == 0 && rc != SQLITE_DONE)
		r = db_fail(DB_SQ(a->db), rc, "sync", a->e);
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return r;
}

int ss_apply_facts(struct ss_apply *a)
{
	int r = db_exec(a->db, "DROP TABLE IF EXISTS temp.ss_principal", a->e);

	if (r == 0)
		r = apply_units(a);
	if (r == 0)
		r = apply_staff(a);
	if (r == 0)
		r = apply_children(a);
	if (r == 0)
		r = apply_placements(a);
	if (r == 0)
		r = apply_duties(a);
	return r;
}

int ss_apply_open(struct ss_apply *a, struct err *e)
{
	int r;

	a->e = e;
	date_format(a->day, a->today);
	date_format(a->day - 1, a->prev);
	r = db_prepare(DB_SQ(a->db), "SELECT local_id FROM ext_ref WHERE source = '" SRC "' AND kind = ?1"
			      " AND ext_id = ?2", &a->ext_get, e);
	if (r == 0)
		r = db_prepare(DB_SQ(a->db), "INSERT OR REPLACE INTO ext_ref(source, kind, ext_id, local_id)"
				      " VALUES ('" SRC "', ?1, ?2, ?3)", &a->ext_put, e);
	return r;
}

void ss_apply_close(struct ss_apply *a)
{
	sqlite3_finalize(a->ext_get);
	sqlite3_finalize(a->ext_put);
	a->ext_get = a->ext_put = NULL;
}
