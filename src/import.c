/* import.c - CSV rows to case-database rows, validated column by column. */
#include "import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "date.h"
#include "db.h"
#include "import_full.h"
#include "i18n.h"
#include "validate.h"

enum col_type {
	C_CODE, C_TEXT, C_DATE, C_EMAIL, C_E164, C_BOOL, C_PNR,
	C_UNIT, C_STAFF, C_CHILD, /* references by code/ref, bound as ids */
	C_ENUM,
};

struct column {
	const char *name;
	enum col_type type;
	int required;
	const char *choices; /* C_ENUM: space-separated */
	const char *dflt;    /* value when absent or empty, or NULL */
};

struct kind {
	const char *name;
	const struct column *cols;
	int ncols;
	const char *find, *insert, *update; /* ?1..?n = columns, ?(n+1) = row id */
	int (*check)(struct dbi *db, const char **v, const long long *ids, char *why, size_t n);
};

static const struct column unit_cols[] = {
	{ "code", C_CODE, 1, NULL, NULL },
	{ "kind", C_ENUM, 1, "bmm bvc preschool school intake other", NULL },
	{ "name", C_TEXT, 1, NULL, NULL },
	{ "municipality", C_TEXT, 1, NULL, NULL },
	{ "email", C_EMAIL, 0, NULL, NULL }, /* a functional mailbox (intake) */
};
static const struct column staff_cols[] = {
	{ "code", C_CODE, 1, NULL, NULL },
	{ "name", C_TEXT, 1, NULL, NULL },
	{ "email", C_EMAIL, 0, NULL, NULL },
	{ "mobile", C_E164, 0, NULL, NULL },
	{ "unit", C_UNIT, 0, NULL, NULL },
	{ "active", C_BOOL, 0, NULL, "1" },
	{ "channel", C_ENUM, 0, "email sms", NULL },
};
static const struct column child_cols[] = {
	{ "ref", C_CODE, 1, NULL, NULL },
	{ "birth_date", C_DATE, 1, NULL, NULL },
	{ "name", C_TEXT, 0, NULL, NULL },
	{ "pnr", C_PNR, 0, NULL, NULL },
	{ "protected_identity", C_BOOL, 0, NULL, "0" },
};
static const struct column placement_cols[] = {
	{ "child", C_CHILD, 1, NULL, NULL },
	{ "unit", C_UNIT, 1, NULL, NULL },
	{ "kind", C_ENUM, 1, "bmm bvc preschool school", NULL },
	{ "start_date", C_DATE, 1, NULL, NULL },
	{ "end_date", C_DATE, 0, NULL, NULL },
	{ "staff", C_STAFF, 0, NULL, NULL },
};
static const struct column role_cols[] = {
	{ "unit", C_UNIT, 1, NULL, NULL },
	{ "role", C_ENUM, 1, "principal intake_officer manager coordinator", NULL },
	{ "staff", C_STAFF, 1, NULL, NULL },
	{ "start_date", C_DATE, 1, NULL, NULL },
	{ "end_date", C_DATE, 0, NULL, NULL },
};
static const struct column absence_cols[] = {
	{ "staff", C_STAFF, 1, NULL, NULL },
	{ "start_date", C_DATE, 1, NULL, NULL },
	{ "end_date", C_DATE, 1, NULL, NULL },
	{ "deputy", C_STAFF, 0, NULL, NULL },
};

static int check_child(struct dbi *db, const char **v, const long long *ids, char *why, size_t n)
{
	char born[9];
	int day;

	(void)db;
	(void)ids;
	if (!v[3])
		return 0;
	/* A personnummer starts with the birth date (the day plus 60 for a
	 * samordningsnummer). */
	day = (v[3][6] - '0') * 10 + (v[3][7] - '0');
	snprintf(born, sizeof born, "%.4s%.2s%02d", v[3], v[3] + 4, day > 60 ? day - 60 : day);
	if (strncmp(born, v[1], 4) == 0 && strncmp(born + 4, v[1] + 5, 2) == 0 &&
	    strncmp(born + 6, v[1] + 8, 2) == 0)
		return 0;
	snprintf(why, n, _("column 'pnr': does not match birth_date %s"), v[1]);
	return -1;
}

static int end_after_start(const char *start, const char *end, const char *col, char *why,
			   size_t n)
{
	if (end && strcmp(end, start) < 0) {
		snprintf(why, n, _("column '%s': %s is before the start date %s"), col, end,
			 start);
		return -1;
	}
	return 0;
}

static int check_placement(struct dbi *db, const char **v, const long long *ids, char *why,
			   size_t n)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (end_after_start(v[3], v[4], "end_date", why, n) < 0)
		return -1;
	/* The placement kind must be the unit's kind. */
	if (sqlite3_prepare_v2(DB_SQ(db), "SELECT kind FROM unit WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, ids[1]);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), v[2]) == 0;
	if (!ok)
		snprintf(why, n, _("column 'kind': '%s' does not match unit '%s' (kind %s)"), v[2],
			 v[1], sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "?");
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int check_role(struct dbi *db, const char **v, const long long *ids, char *why, size_t n)
{
	(void)db;
	(void)ids;
	return end_after_start(v[3], v[4], "end_date", why, n);
}

static int check_absence(struct dbi *db, const char **v, const long long *ids, char *why,
			 size_t n)
{
	(void)db;
	if (end_after_start(v[1], v[2], "end_date", why, n) < 0)
		return -1;
	if (v[3] && ids[3] == ids[0]) {
		snprintf(why, n, "%s", _("column 'deputy': a person cannot be their own deputy"));
		return -1;
	}
	return 0;
}

#define N(a) ((int)(sizeof a / sizeof a[0]))
static const struct kind kinds[] = {
	{ "units", unit_cols, N(unit_cols), "SELECT id FROM unit WHERE code = ?1",
	  "INSERT INTO unit(code,kind,name,municipality,email) VALUES (?1,?2,?3,?4,?5)",
	  "UPDATE unit SET kind = ?2, name = ?3, municipality = ?4,"
	  " email = CASE WHEN substr(?7, 5, 1) = '1' THEN ?5 ELSE email END WHERE id = ?6",
	  NULL },
	{ "staff", staff_cols, N(staff_cols), "SELECT id FROM staff WHERE code = ?1",
	  "INSERT INTO staff(code,name,email,mobile,unit_id,active,channel)"
	  " VALUES (?1,?2,?3,?4,?5,?6,?7)",
	  "UPDATE staff SET name = ?2, email = ?3, mobile = ?4, unit_id = ?5, active = ?6,"
	  " channel = ?7 WHERE id = ?8", NULL },
	{ "children", child_cols, N(child_cols), "SELECT id FROM child WHERE ref = ?1",
	  "INSERT INTO child(ref,birth_date,name,pnr,protected_identity) VALUES (?1,?2,?3,?4,?5)",
	  "UPDATE child SET birth_date = ?2, name = ?3, pnr = ?4, protected_identity = ?5"
	  " WHERE id = ?6", check_child },
	{ "placements", placement_cols, N(placement_cols),
	  "SELECT id FROM placement WHERE child_id = ?1 AND unit_id = ?2 AND kind = ?3"
	  " AND start_date = ?4",
	  "INSERT INTO placement(child_id,unit_id,kind,start_date,end_date,staff_id)"
	  " VALUES (?1,?2,?3,?4,?5,?6)",
	  "UPDATE placement SET end_date = ?5, staff_id = ?6 WHERE id = ?7", check_placement },
	{ "roles", role_cols, N(role_cols),
	  "SELECT id FROM unit_role WHERE unit_id = ?1 AND role = ?2 AND staff_id = ?3"
	  " AND start_date = ?4",
	  "INSERT INTO unit_role(unit_id,role,staff_id,start_date,end_date) VALUES (?1,?2,?3,?4,?5)",
	  "UPDATE unit_role SET end_date = ?5 WHERE id = ?6", check_role },
	{ "absences", absence_cols, N(absence_cols),
	  "SELECT id FROM absence WHERE staff_id = ?1 AND start_date = ?2",
	  "INSERT INTO absence(staff_id,start_date,end_date,deputy_id) VALUES (?1,?2,?3,?4)",
	  "UPDATE absence SET end_date = ?3, deputy_id = ?4 WHERE id = ?5", check_absence },
};

const char *const import_kinds[] = { "units", "staff", "children", "placements", "roles",
				     "absences", NULL };

struct job {
	struct dbi *db;
	const struct kind *k;
	struct csv csv;
	int map[CSV_MAX_FIELDS]; /* spec column -> CSV field, or -1 */
	sqlite3_stmt *find, *ins, *upd, *key_ins, *seen_ins;
	struct import_result *res;
	struct err *e;
};

static int row_err(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int row_err(struct job *j, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, _(fmt), ap);
	va_end(ap);
	return err_set(j->e, ERR_INVALID, "%s:%d: %s", j->csv.path, j->csv.rec_line, why);
}

static int map_header(struct job *j)
{
	const struct kind *k = j->k;
	struct csv *c = &j->csv;

	for (int i = 0; i < k->ncols; i++)
		j->map[i] = -1;
	for (int f = 0; f < c->nfields; f++) {
		int found = -1;

		for (int i = 0; i < k->ncols; i++)
			if (strcasecmp(c->field[f], k->cols[i].name) == 0)
				found = i;
		if (found < 0)
			return err_set(j->e, ERR_INVALID, "%s:1: unknown column '%s' for %s",
				       c->path, c->field[f], k->name);
		if (j->map[found] >= 0)
			return err_set(j->e, ERR_INVALID, "%s:1: column '%s' appears twice",
				       c->path, c->field[f]);
		j->map[found] = f;
	}
	for (int i = 0; i < k->ncols; i++)
		if (k->cols[i].required && j->map[i] < 0)
			return err_set(j->e, ERR_INVALID, "%s:1: required column '%s' is missing",
				       c->path, k->cols[i].name);
	return 0;
}

static int parse_bool(const char *v, const char **out)
{
	static const char *const yes[] = { "1", "ja", "true", "yes", NULL };
	static const char *const no[] = { "0", "nej", "false", "no", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = "1", 0;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = "0", 0;
	return -1;
}

static int resolve(struct job *j, const struct column *col, const char *v, long long *id)
{
	static const char *const table[] = { [C_UNIT] = "unit", [C_STAFF] = "staff",
					     [C_CHILD] = "child" };
	const char *key = col->type == C_CHILD ? "ref" : "code";
	struct err le;
	int r = db_lookup_id(j->db, table[col->type], key, v, id, &le);

	if (r == ERR_NOTFOUND)
		return row_err(j, "column '%s': %s", col->name, le.msg);
	if (r < 0)
		return err_set(j->e, r, "%s", le.msg);
	return 0;
}

/* Validate one value; sets *out (possibly normalised) or NULL for empty. */
static int check_value(struct job *j, const struct column *col, const char *v,
		       const char **out, long long *id)
{
	struct err ve;
	int bad = 0;

	*out = v && *v ? v : col->dflt;
	if (!*out) {
		if (col->required)
			return row_err(j, "column '%s': a value is required", col->name);
		return 0;
	}
	v = *out;
	switch (col->type) {
	case C_CODE: bad = valid_code(v, &ve); break;
	case C_TEXT: bad = valid_text(v, &ve); break;
	case C_DATE: bad = valid_date(v, &ve); break;
	case C_EMAIL: bad = valid_email(v, &ve); break;
	case C_E164: bad = valid_e164(v, &ve); break;
	case C_PNR: bad = valid_pnr(v, &ve); break;
	case C_BOOL:
		if (parse_bool(v, out) < 0)
			return row_err(j, "column '%s': '%s' is not 1/0, ja/nej or true/false",
				       col->name, v);
		break;
	case C_ENUM:
		if (!valid_choice(col->choices, v))
			return row_err(j, "column '%s': '%s' is not one of %s", col->name, v,
				       col->choices);
		break;
	case C_UNIT:
	case C_STAFF:
	case C_CHILD:
		return resolve(j, col, v, id);
	}
	if (bad < 0)
		return row_err(j, "column '%s': %s", col->name, ve.msg);
	return 0;
}

/* ?1..?ncols the values, ?ncols+1 the row id; ?ncols+2 (when the statement
 * has it) which columns the file has, '1' or '0' each: an update keeps a
 * stored value of an optional column the file lacks (an empty cell clears). */
static void bind_all(sqlite3_stmt *st, const struct kind *k, const char **v,
		     const long long *ids, long long row_id, const int *map)
{
	int max = sqlite3_bind_parameter_count(st);
	char present[CSV_MAX_FIELDS + 1];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < k->ncols && i < max; i++) {
		enum col_type t = k->cols[i].type;

		if (!v[i])
			sqlite3_bind_null(st, i + 1);
		else if (t == C_UNIT || t == C_STAFF || t == C_CHILD)
			sqlite3_bind_int64(st, i + 1, ids[i]);
		else if (t == C_BOOL)
			sqlite3_bind_int(st, i + 1, v[i][0] == '1');
		else
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	}
	if (k->ncols + 1 <= max)
		sqlite3_bind_int64(st, k->ncols + 1, row_id);
	if (k->ncols + 2 <= max) {
		for (int i = 0; i < k->ncols; i++)
			present[i] = map[i] >= 0 ? '1' : '0';
		present[k->ncols] = '\0';
		sqlite3_bind_text(st, k->ncols + 2, present, -1, SQLITE_TRANSIENT);
	}
}

/* The natural key must not repeat within one file. */
static int unique_in_file(struct job *j, const char **v, const long long *ids)
{
	char key[512];
	int n = 0, rc;

	/* The find statement's parameters are the key columns. */
	for (int i = 0; i < sqlite3_bind_parameter_count(j->find) && i < j->k->ncols; i++) {
		enum col_type t = j->k->cols[i].type;

		if (t == C_UNIT || t == C_STAFF || t == C_CHILD)
			n += snprintf(key + n, sizeof key - (size_t)n, "%lld\x1f", ids[i]);
		else
			n += snprintf(key + n, sizeof key - (size_t)n, "%s\x1f", v[i] ? v[i] : "");
		if (n >= (int)sizeof key)
			break;
	}
	sqlite3_reset(j->key_ins);
	sqlite3_bind_text(j->key_ins, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(j->key_ins, 2, j->csv.rec_line);
	rc = sqlite3_step(j->key_ins);
	if (rc == SQLITE_CONSTRAINT)
		return row_err(j, "the same %s appears twice in the file", j->k->cols[0].name);
	if (rc != SQLITE_DONE)
		return db_fail(DB_SQ(j->db), rc, "import", j->e);
	return 0;
}

static int import_row(struct job *j)
{
	const struct kind *k = j->k;
	const char *v[CSV_MAX_FIELDS] = { 0 };
	long long ids[CSV_MAX_FIELDS] = { 0 }, row_id = 0;
	char why[300];
	int r, rc;

	for (int i = 0; i < k->ncols; i++) {
		const char *raw = j->map[i] >= 0 ? j->csv.field[j->map[i]] : NULL;

		r = check_value(j, &k->cols[i], raw, &v[i], &ids[i]);
		if (r < 0)
			return r;
	}
	if (k->check && k->check(j->db, v, ids, why, sizeof why) < 0)
		return row_err(j, "%s", why);
	r = unique_in_file(j, v, ids);
	if (r < 0)
		return r;
	bind_all(j->find, k, v, ids, 0, j->map);
	rc = sqlite3_step(j->find);
	if (rc == SQLITE_ROW)
		row_id = sqlite3_column_int64(j->find, 0);
	else if (rc != SQLITE_DONE)
		return db_fail(DB_SQ(j->db), rc, "import", j->e);
	sqlite3_reset(j->find);
	bind_all(row_id ? j->upd : j->ins, k, v, ids, row_id, j->map);
	rc = sqlite3_step(row_id ? j->upd : j->ins);
	if (rc == SQLITE_CONSTRAINT)
		return row_err(j, "rejected by the database: %s", sqlite3_errmsg(DB_SQ(j->db)));
	if (rc != SQLITE_DONE)
		return db_fail(DB_SQ(j->db), rc, "import", j->e);
	/* The rows the file names, for a full import (import_full.c). */
	sqlite3_reset(j->seen_ins);
	sqlite3_bind_int64(j->seen_ins, 1, row_id ? row_id : sqlite3_last_insert_rowid(DB_SQ(j->db)));
	sqlite3_bind_int(j->seen_ins, 2, !row_id);
	rc = sqlite3_step(j->seen_ins);
	if (rc != SQLITE_DONE)
		return db_fail(DB_SQ(j->db), rc, "import", j->e);
	j->res->rows++;
	if (row_id)
		j->res->updated++;
	else
		j->res->added++;
	return 0;
}

static int run(struct job *j)
{
	int r, width = j->csv.nfields;

	r = map_header(j);
	while (r == 0 && (r = csv_next(&j->csv, j->e)) > 0) {
		if (j->csv.nfields != width)
			return row_err(j, "%d fields where the header has %d", j->csv.nfields, width);
		r = import_row(j);
	}
	return r;
}

int import_file(struct dbi *db, const char *kind, const char *path, struct import_result *res,
		struct err *e)
{
	return import_file_opts(db, kind, path, NULL, res, e);
}

int import_file_opts(struct dbi *db, const char *kind, const char *path,
		     const struct import_opts *o, struct import_result *res, struct err *e)
{
	struct job j = { .db = db, .res = res, .e = e };
	int r;

	memset(res, 0, sizeof *res);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, kind) == 0)
			j.k = &kinds[i];
	if (!j.k)
		return err_set(e, ERR_INVALID, "unknown import kind '%s' (units, staff, children, "
			       "placements, roles, absences)", kind);
	r = csv_open(&j.csv, path, e);
	if (r < 0)
		return r;
	r = db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS import_key(k TEXT PRIMARY KEY, line INT);"
			"DELETE FROM temp.import_key;"
			"CREATE TEMP TABLE IF NOT EXISTS import_seen(id INTEGER PRIMARY KEY, new INT);"
			"DELETE FROM temp.import_seen;", e);
	if (r == 0)
		r = db_begin(db, e);
	if (r < 0)
		goto out;
	r = db_prepare(DB_SQ(db), j.k->find, &j.find, e);
	if (r == 0)
		r = db_prepare(DB_SQ(db), j.k->insert, &j.ins, e);
	if (r == 0)
		r = db_prepare(DB_SQ(db), j.k->update, &j.upd, e);
	if (r == 0)
		r = db_prepare(DB_SQ(db), "INSERT INTO temp.import_key(k, line) VALUES (?1, ?2)",
			       &j.key_ins, e);
	if (r == 0)
		r = db_prepare(DB_SQ(db), "INSERT OR IGNORE INTO temp.import_seen(id, new) VALUES (?1, ?2)",
			       &j.seen_ins, e);
	if (r == 0)
		r = run(&j);
	if (r == 0 && o && o->full)
		r = import_full_apply(db, kind, path, o, res, e);
	sqlite3_finalize(j.seen_ins);
	sqlite3_finalize(j.find);
	sqlite3_finalize(j.ins);
	sqlite3_finalize(j.upd);
	sqlite3_finalize(j.key_ins);
	if (r == 0)
		r = db_commit(db, e);
	if (r < 0) {
		db_rollback(db);
		memset(res, 0, sizeof *res);
	}
out:
	csv_close(&j.csv);
	return r;
}
