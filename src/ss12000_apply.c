/* ss12000_apply.c - staged SS 12000 units, people, placements and duties into facts. */
#include "ss12000_apply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "validate.h"

#define SRC "ss12000"

static const char *col(struct dbi_stmt *q, int i)
{
	return dbi_column_text(q, i);
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
	struct dbi_stmt *q = a->ext_get;
	int r;

	*id = 0;
	dbi_reset(q);
	r = dbi_bind_text(q, 1, kind);
	if (r == 0)
		r = dbi_bind_text(q, 2, ext);
	if (r == 0)
		r = dbi_step(q, a->e);
	if (r == DBI_ROW)
		*id = dbi_column_int64(q, 0);
	dbi_reset(q);
	return r < 0 ? r : 0;
}

static int ext_put(struct ss_apply *a, const char *kind, const char *ext, long long id)
{
	struct dbi_stmt *q = a->ext_put;
	int r;

	dbi_reset(q);
	r = dbi_bind_text(q, 1, kind);
	if (r == 0)
		r = dbi_bind_text(q, 2, ext);
	if (r == 0)
		r = dbi_bind_int64(q, 3, id);
	if (r == 0)
		r = dbi_step(q, a->e);
	dbi_reset(q);
	return r == DBI_DONE ? 0 : r;
}

/* Bind texts (NULL or empty: NULL) to ?first.. of a statement reset. */
static int bind_texts(struct dbi_stmt *st, int first, int n, const char *const *v)
{
	int r = 0;

	for (int i = 0; r == 0 && i < n; i++)
		r = dbi_bind_text(st, first + i, v[i] && *v[i] ? v[i] : NULL);
	return r;
}

/* Run a bound write and reset it: *changed (may be NULL) the rows it
 * changed, *new_id (may be NULL) the id a statement RETURNING one gave. A
 * row the database refuses (a constraint) is an error naming what and ext. */
static int run_write(struct ss_apply *a, struct dbi_stmt *st, int *changed, long long *new_id,
		     const char *what, const char *ext)
{
	int r = dbi_step(st, a->e);

	if (r == DBI_ROW && new_id)
		*new_id = dbi_column_int64(st, 0);
	if (r == DBI_DONE && changed)
		*changed = (int)dbi_changes(a->db);
	dbi_reset(st);
	if (r == ERR_DB && what) {
		char why[sizeof a->e->msg];

		snprintf(why, sizeof why, "%s", a->e->msg);
		return fail(a, "%s %s: rejected by the database: %s", what, ext, why);
	}
	return r < 0 ? r : 0;
}

/* A write with text parameters ?1..?n and, when id is not 0, the id ?n+1. */
static int write(struct ss_apply *a, struct dbi_stmt *st, int n, const char *const *v,
		 long long id, int *changed, long long *new_id, const char *what, const char *ext)
{
	int r;

	dbi_reset(st);
	r = bind_texts(st, 1, n, v);
	if (r == 0 && id)
		r = dbi_bind_int64(st, n + 1, id);
	return r < 0 ? r : run_write(a, st, changed, new_id, what, ext);
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
	struct dbi_stmt *q = NULL;
	int r;

	if (a->cfg->ss_municipality) {
		snprintf(out, n, "%s", a->cfg->ss_municipality);
		return 0;
	}
	snprintf(out, n, "okänd huvudman");
	r = dbi_prepare(a->db, "SELECT name FROM temp.ss_org WHERE otype = 'Huvudman'"
			" ORDER BY ext LIMIT 1", &q, a->e);
	if (r == 0)
		r = dbi_step(q, a->e);
	if (r == DBI_ROW && col(q, 0))
		snprintf(out, n, "%s", col(q, 0));
	dbi_finalize(q);
	return r < 0 ? r : 0;
}

static int apply_units(struct ss_apply *a)
{
	struct dbi_stmt *q = NULL, *by_code = NULL, *ins = NULL, *upd = NULL;
	char muni[200];
	struct err ve;
	int r, changed = 0;

	r = municipality(a, muni, sizeof muni);
	if (r == 0)
		r = dbi_prepare(a->db, "SELECT ext, name, unit_code, types FROM temp.ss_org ORDER BY ext",
				&q, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "SELECT id FROM unit WHERE code = ?1", &by_code, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO unit(code, kind, name, municipality)"
				" VALUES (?1, ?2, ?3, ?4) RETURNING id", &ins, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "UPDATE unit SET kind = ?1, name = ?2 WHERE id = ?3"
				" AND (kind IS DISTINCT FROM ?1 OR name IS DISTINCT FROM ?2)", &upd, a->e);
	while (r == 0 && (r = dbi_step(q, a->e)) == DBI_ROW) {
		const char *ext = col(q, 0), *kind = unit_kind(col(q, 3));
		const char *code = col(q, 2) && valid_code(col(q, 2), NULL) == 0 ? col(q, 2) : ext;
		long long id;

		r = 0;
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
			dbi_reset(by_code);
			r = dbi_bind_text(by_code, 1, code);
			if (r == 0)
				r = dbi_step(by_code, a->e);
			if (r == DBI_ROW)
				id = dbi_column_int64(by_code, 0);
			dbi_reset(by_code);
			if (r < 0 || (id && (r = ext_put(a, "unit", ext, id)) < 0))
				break;
			r = 0;
		}
		if (id) {
			r = write(a, upd, 2, (const char *const[]){ kind, col(q, 1) }, id, &changed,
				  NULL, "organisation", ext);
			a->sum->units_updated += changed;
			continue;
		}
		r = write(a, ins, 4, (const char *const[]){ code, kind, col(q, 1), muni }, 0, NULL, &id,
			  "organisation", ext);
		if (r == 0)
			r = ext_put(a, "unit", ext, id);
		a->sum->units_new++;
	}
	dbi_finalize(q);
	dbi_finalize(by_code);
	dbi_finalize(ins);
	dbi_finalize(upd);
	return r == DBI_DONE ? 0 : r;
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
	struct dbi_stmt *q = NULL, *ins = NULL, *upd = NULL;
	struct err ve;
	int r, changed = 0;

	r = dbi_prepare(a->db, sql_staff, &q, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO staff(code, name, email, mobile, unit_id)"
				" VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &ins, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "UPDATE staff SET name = ?1, email = ?2, mobile = ?3,"
				" unit_id = coalesce(?4, unit_id), active = 1 WHERE id = ?5"
				" AND (name IS DISTINCT FROM ?1 OR email IS DISTINCT FROM ?2"
				" OR mobile IS DISTINCT FROM ?3"
				" OR unit_id IS DISTINCT FROM coalesce(?4, unit_id) OR active = 0)",
				&upd, a->e);
	while (r == 0 && (r = dbi_step(q, a->e)) == DBI_ROW) {
		const char *ext = col(q, 0), *name = col(q, 1);
		long long id, new_id = 0;

		r = 0;
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
		struct dbi_stmt *st = id ? upd : ins;
		const char *v[] = { id ? name : ext, id ? col(q, 2) : name,
				    id ? col(q, 3) : col(q, 2), id ? NULL : col(q, 3) };

		/* The unit (of the newest duty) or NULL, after the texts. */
		dbi_reset(st);
		for (int i = 0; r == 0 && i < (id ? 3 : 4); i++)
			r = dbi_bind_text(st, i + 1, v[i] && *v[i] ? v[i] : NULL);
		if (r == 0)
			r = dbi_column_is_null(q, 4) ? dbi_bind_null(st, id ? 4 : 5)
						     : dbi_bind_int64(st, id ? 4 : 5,
								      dbi_column_int64(q, 4));
		if (r == 0 && id)
			r = dbi_bind_int64(st, 5, id);
		if (r == 0)
			r = dbi_step(st, a->e);
		if (r == DBI_ROW)
			new_id = dbi_column_int64(st, 0);
		changed = r == DBI_DONE ? (int)dbi_changes(a->db) : 0;
		dbi_reset(st);
		if (r == ERR_DB) {
			char why[sizeof a->e->msg];

			snprintf(why, sizeof why, "%s", a->e->msg);
			r = fail(a, "person %s: rejected by the database: %s", ext, why);
		}
		if (r < 0)
			break;
		r = 0;
		if (id) {
			a->sum->staff_updated += changed;
		} else {
			a->sum->staff_new++;
			r = ext_put(a, "staff", ext, new_id);
		}
	}
	dbi_finalize(q);
	dbi_finalize(ins);
	dbi_finalize(upd);
	return r == DBI_DONE ? 0 : r;
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
	struct dbi_stmt *q = NULL, *ins = NULL, *upd = NULL;
	int r, changed = 0;
	char ref[33];

	r = dbi_prepare(a->db, sql_children, &q, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO child(ref, birth_date, pnr) VALUES (?1, ?2, ?3)"
				" RETURNING id", &ins, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "UPDATE child SET birth_date = ?1, pnr = ?2 WHERE id = ?3"
				" AND (birth_date IS DISTINCT FROM ?1 OR pnr IS DISTINCT FROM ?2)",
				&upd, a->e);
	while (r == 0 && (r = dbi_step(q, a->e)) == DBI_ROW) {
		const char *ext = col(q, 0);
		long long id;

		r = 0;
		if (!col(q, 1)) {
			r = fail(a, "person %s: a child needs birthDate (or civicNo)", ext);
			break;
		}
		if ((r = child_ref(a, ext, ref)) < 0 || (r = ss_ext_get(a, "child", ext, &id)) < 0)
			break;
		if (id) {
			r = write(a, upd, 2, (const char *const[]){ col(q, 1), col(q, 2) }, id, &changed,
				  NULL, "person", ext);
			a->sum->children_updated += changed;
			continue;
		}
		r = write(a, ins, 3, (const char *const[]){ ref, col(q, 1), col(q, 2) }, 0, NULL, &id,
			  "person", ext);
		if (r == 0)
			r = ext_put(a, "child", ext, id);
		a->sum->children_new++;
	}
	dbi_finalize(q);
	dbi_finalize(ins);
	dbi_finalize(upd);
	return r == DBI_DONE ? 0 : r;
}

/* ---- placements and enrolments ---- */

struct place_ctx {
	struct dbi_stmt *old, *ins, *upd, *seen;
};

/* Upsert one placement known by ext. */
static int put_placement(struct ss_apply *a, struct place_ctx *p, const char *what,
			 const char *ext, const char *child_ext, const char *org, const char *kind,
			 const char *start, const char *end)
{
	long long child, unit, id;
	int r, changed = 0, was_open = 0;

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
	if ((r = write(a, p->seen, 1, (const char *const[]){ ext }, 0, NULL, NULL, NULL, NULL)) < 0)
		return r;
	if (!id) {
		dbi_reset(p->ins);
		r = dbi_bind_int64(p->ins, 1, child);
		if (r == 0)
			r = dbi_bind_int64(p->ins, 2, unit);
		if (r == 0)
			r = bind_texts(p->ins, 3, 3, (const char *const[]){ kind, start, end });
		if (r == 0)
			r = run_write(a, p->ins, NULL, &id, what, ext);
		if (r < 0)
			return r;
		a->sum->placements_new++;
		return ext_put(a, "placement", ext, id);
	}
	/* Was it open before? Then a new end date ends it. */
	dbi_reset(p->old);
	r = dbi_bind_int64(p->old, 1, id);
	if (r == 0)
		r = dbi_step(p->old, a->e);
	if (r == DBI_ROW)
		was_open = dbi_column_is_null(p->old, 0);
	dbi_reset(p->old);
	if (r < 0)
		return r;
	dbi_reset(p->upd);
	r = dbi_bind_int64(p->upd, 1, unit);
	if (r == 0)
		r = bind_texts(p->upd, 2, 2, (const char *const[]){ start, end });
	if (r == 0)
		r = dbi_bind_int64(p->upd, 4, id);
	if (r == 0)
		r = run_write(a, p->upd, &changed, NULL, what, ext);
	if (r < 0)
		return r;
	if (changed && was_open && end && *end)
		a->sum->placements_ended++;
	else
		a->sum->placements_updated += changed;
	return 0;
}
/* Enrolment-made placements (ext_id "person/org/start") of the persons read
 * now that their enrolments no longer list: the person's list is the whole
 * truth for them. SQLite finds a person's by the range of ext_id after
 * "person/" in the key's byte order; PostgreSQL's text order is the
 * database's collation, where '/' may not sort as a byte, so there the
 * person part is cut off and joined. */
static const char *enrol_gone_sql(struct dbi *db)
{
	static const char sqlite[] =
		"INSERT INTO temp.ss_gone SELECT 'placement', x.local_id FROM temp.ss_person p"
		" JOIN ext_ref x ON x.source = '" SRC "' AND x.kind = 'placement'"
		" AND x.ext_id >= p.ext || '/' AND x.ext_id < p.ext || '0'"
		" WHERE NOT EXISTS (SELECT 1 FROM temp.ss_place_seen s WHERE s.ext = x.ext_id)"
		" ON CONFLICT DO NOTHING";
	static const char pg[] =
		"INSERT INTO temp.ss_gone SELECT 'placement', x.local_id FROM ext_ref x"
		" JOIN temp.ss_person p ON p.ext = substr(x.ext_id, 1, strpos(x.ext_id, '/') - 1)"
		" WHERE x.source = '" SRC "' AND x.kind = 'placement' AND strpos(x.ext_id, '/') > 0"
		" AND NOT EXISTS (SELECT 1 FROM temp.ss_place_seen s WHERE s.ext = x.ext_id)"
		" ON CONFLICT DO NOTHING";

	return dbi_backend(db) == DBI_PG ? pg : sqlite;
}

/* Walk q (a statement of the staged placements or enrolments) into put_placement. */
static int place_walk(struct ss_apply *a, struct place_ctx *p, struct dbi_stmt *q, int enrol)
{
	char ext[400];
	int r;

	while ((r = dbi_step(q, a->e)) == DBI_ROW) {
		if (enrol) {
			snprintf(ext, sizeof ext, "%s/%s/%s", col(q, 0), col(q, 1), col(q, 2));
			r = put_placement(a, p, "enrolment", ext, col(q, 0), col(q, 1), "school",
					  col(q, 2), col(q, 3));
		} else if (col(q, 5) && strcmp(col(q, 5), "FS") != 0) {
			/* Placements are for förskola; fritidshem and others are not followed. */
			a->sum->skipped++;
		} else {
			r = put_placement(a, p, "placement", col(q, 0), col(q, 1), col(q, 2),
					  "preschool", col(q, 3), col(q, 4));
		}
		if (r < 0)
			return r;
	}
	return r == DBI_DONE ? 0 : r;
}

static int apply_placements(struct ss_apply *a)
{
	struct place_ctx p = { 0 };
	struct dbi_stmt *q = NULL, *qe = NULL;
	int r;

	r = db_exec(a->db, "DROP TABLE IF EXISTS temp.ss_place_seen;"
			   "CREATE TEMP TABLE ss_place_seen(ext TEXT PRIMARY KEY)", a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "SELECT end_date FROM placement WHERE id = ?1", &p.old, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO placement(child_id, unit_id, kind, start_date,"
				" end_date) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", &p.ins, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "UPDATE placement SET unit_id = ?1, start_date = ?2,"
				" end_date = ?3 WHERE id = ?4 AND (unit_id IS DISTINCT FROM ?1"
				" OR start_date IS DISTINCT FROM ?2 OR end_date IS DISTINCT FROM ?3)",
				&p.upd, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO temp.ss_place_seen VALUES (?1) ON CONFLICT DO NOTHING",
				&p.seen, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "SELECT ext, child, org, start, end_date, stype FROM temp.ss_place"
				" ORDER BY ext", &q, a->e);
	if (r == 0)
		r = place_walk(a, &p, q, 0);
	if (r == 0)
		r = dbi_prepare(a->db, "SELECT person, org, start, end_date FROM temp.ss_enrol"
				" WHERE stype IN ('FKLASS', 'GR', 'GRS') ORDER BY person, start",
				&qe, a->e);
	if (r == 0)
		r = place_walk(a, &p, qe, 1);
	dbi_finalize(q);
	dbi_finalize(qe);
	dbi_finalize(p.old);
	dbi_finalize(p.ins);
	dbi_finalize(p.upd);
	dbi_finalize(p.seen);
	/* Listed as gone for ss_apply_gone(). */
	if (r == 0)
		r = db_exec(a->db, "CREATE TEMP TABLE IF NOT EXISTS ss_gone(kind TEXT, id BIGINT,"
				   " PRIMARY KEY (kind, id)); DELETE FROM temp.ss_gone", a->e);
	if (r == 0)
		r = db_exec(a->db, enrol_gone_sql(a->db), a->e);
	return r;
}

/* ---- principals ---- */

int ss_note_principal(struct ss_apply *a, long long unit_id)
{
	struct ss_summary *s = a->sum;
	struct dbi_stmt *q = NULL;
	size_t n = strlen(s->principal_units);
	int r, changed = 0;

	r = db_exec(a->db, "CREATE TEMP TABLE IF NOT EXISTS ss_principal(unit_id BIGINT PRIMARY KEY)",
		    a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO temp.ss_principal VALUES (?1) ON CONFLICT DO NOTHING",
				&q, a->e);
	if (r == 0)
		r = dbi_bind_int64(q, 1, unit_id);
	if (r == 0)
		r = run_write(a, q, &changed, NULL, NULL, NULL);
	dbi_finalize(q);
	if (r < 0 || changed == 0)
		return r;
	s->principals_changed++;
	q = NULL;
	r = dbi_prepare(a->db, "SELECT name FROM unit WHERE id = ?1", &q, a->e);
	if (r == 0)
		r = dbi_bind_int64(q, 1, unit_id);
	if (r == 0)
		r = dbi_step(q, a->e);
	if (r == DBI_ROW && col(q, 0) && n + strlen(col(q, 0)) + 3 < sizeof s->principal_units) {
		snprintf(s->principal_units + n, sizeof s->principal_units - n, "%s%s", n ? ", " : "",
			 col(q, 0));
		s->principal_listed++;
	}
	dbi_finalize(q);
	return r < 0 ? r : 0;
}

static int put_duty(struct ss_apply *a, struct dbi_stmt *ins, struct dbi_stmt *upd,
		    struct dbi_stmt *q)
{
	const char *ext = col(q, 0), *start = col(q, 3), *end = col(q, 4);
	long long unit, staff, id, new_id = 0;
	int r, changed = 1;

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
	struct dbi_stmt *st = id ? upd : ins;

	dbi_reset(st);
	r = dbi_bind_int64(st, 1, unit);
	if (r == 0)
		r = dbi_bind_int64(st, 2, staff);
	if (r == 0)
		r = bind_texts(st, 3, 2, (const char *const[]){ start, end });
	if (r == 0 && id)
		r = dbi_bind_int64(st, 5, id);
	/* An insert changes its row; an update only when something differs. */
	if (r == 0)
		r = run_write(a, st, id ? &changed : NULL, &new_id, "duty", ext);
	if (r == 0 && !id)
		r = ext_put(a, "role", ext, new_id);
	if (r < 0)
		return r;
	return changed ? ss_note_principal(a, unit) : 0;
}

static int apply_duties(struct ss_apply *a)
{
	struct dbi_stmt *q = NULL, *ins = NULL, *upd = NULL;
	int r;

	r = dbi_prepare(a->db, "SELECT ext, person, org, start, end_date FROM temp.ss_duty"
			" WHERE role IN ('Rektor', 'Förskolechef') ORDER BY ext", &q, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO unit_role(unit_id, role, staff_id, start_date,"
				" end_date) VALUES (?1, 'principal', ?2, ?3, ?4) RETURNING id", &ins, a->e);
	if (r == 0)
		r = dbi_prepare(a->db, "UPDATE unit_role SET unit_id = ?1, staff_id = ?2,"
				" start_date = ?3, end_date = ?4 WHERE id = ?5"
				" AND (unit_id IS DISTINCT FROM ?1 OR staff_id IS DISTINCT FROM ?2"
				" OR start_date IS DISTINCT FROM ?3 OR end_date IS DISTINCT FROM ?4)",
				&upd, a->e);
	while (r == 0 && (r = dbi_step(q, a->e)) == DBI_ROW)
		r = put_duty(a, ins, upd, q);
	dbi_finalize(q);
	dbi_finalize(ins);
	dbi_finalize(upd);
	return r == DBI_DONE ? 0 : r;
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
	r = dbi_prepare(a->db, "SELECT local_id FROM ext_ref WHERE source = '" SRC "' AND kind = ?1"
			" AND ext_id = ?2", &a->ext_get, e);
	if (r == 0)
		r = dbi_prepare(a->db, "INSERT INTO ext_ref(source, kind, ext_id, local_id)"
				" VALUES ('" SRC "', ?1, ?2, ?3) ON CONFLICT (source, kind, ext_id)"
				" DO UPDATE SET local_id = excluded.local_id", &a->ext_put, e);
	return r;
}

void ss_apply_close(struct ss_apply *a)
{
	dbi_finalize(a->ext_get);
	dbi_finalize(a->ext_put);
	a->ext_get = a->ext_put = NULL;
}
