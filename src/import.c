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

struct job;

struct kind {
	const char *name;
	const struct column *cols;
	int ncols;
	const char *find, *insert, *update; /* ?1..?n = columns, ?(n+1) = row id */
	/* 1 with why filled for a bad row, 0, or a negative code (e in j). */
	int (*check)(struct job *j, const char **v, const long long *ids, char *why, size_t n);
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

/* One file being imported. The statements are prepared once per file. */
struct job {
	struct dbi *db;
	const struct kind *k;
	struct csv csv;
	int map[CSV_MAX_FIELDS]; /* spec column -> CSV field, or -1 */
	int nfind, nins, nupd;   /* parameters of find, ins and upd */
	struct dbi_stmt *find, *ins, *upd, *key_ins, *seen_ins;
	struct dbi_stmt *ref[C_CHILD + 1]; /* C_UNIT, C_STAFF, C_CHILD: id by code or ref */
	struct dbi_stmt *unit_kind;
	struct import_result *res;
	struct err *e;
};

/* The kind of unit id into buf ("?" when there is no such unit). */
static int unit_kind(struct job *j, long long id, char *buf, size_t n)
{
	int r = 0;

	if (!j->unit_kind)
		r = dbi_prepare(j->db, "SELECT kind FROM unit WHERE id = ?1", &j->unit_kind, j->e);
	if (r == 0)
		r = dbi_bind_int64(j->unit_kind, 1, id);
	if (r == 0)
		r = dbi_step(j->unit_kind, j->e);
	if (r == DBI_ROW)
		snprintf(buf, n, "%s", dbi_column_text(j->unit_kind, 0));
	if (j->unit_kind)
		dbi_reset(j->unit_kind);
	return r < 0 ? r : 0;
}

static int check_child(struct job *j, const char **v, const long long *ids, char *why, size_t n)
{
	char born[9];
	int day;

	(void)j;
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
	return 1;
}

static int end_after_start(const char *start, const char *end, const char *col, char *why,
			   size_t n)
{
	if (end && strcmp(end, start) < 0) {
		snprintf(why, n, _("column '%s': %s is before the start date %s"), col, end,
			 start);
		return 1;
	}
	return 0;
}

static int check_placement(struct job *j, const char **v, const long long *ids, char *why,
			   size_t n)
{
	char kind[32] = "?";
	int r;

	if (end_after_start(v[3], v[4], "end_date", why, n))
		return 1;
	/* The placement kind must be the unit's kind. */
	r = unit_kind(j, ids[1], kind, sizeof kind);
	if (r < 0)
		return r;
	if (strcmp(kind, v[2]) == 0)
		return 0;
	snprintf(why, n, _("column 'kind': '%s' does not match unit '%s' (kind %s)"), v[2], v[1],
		 kind);
	return 1;
}

static int check_role(struct job *j, const char **v, const long long *ids, char *why, size_t n)
{
	(void)j;
	(void)ids;
	return end_after_start(v[3], v[4], "end_date", why, n);
}

static int check_absence(struct job *j, const char **v, const long long *ids, char *why,
			 size_t n)
{
	(void)j;
	if (end_after_start(v[1], v[2], "end_date", why, n))
		return 1;
	if (v[3] && ids[3] == ids[0]) {
		snprintf(why, n, "%s", _("column 'deputy': a person cannot be their own deputy"));
		return 1;
	}
	return 0;
}

#define N(a) ((int)(sizeof a / sizeof a[0]))
static const struct kind kinds[] = {
	{ "units", unit_cols, N(unit_cols), "SELECT id FROM unit WHERE code = ?1",
	  "INSERT INTO unit(code,kind,name,municipality,email) VALUES (?1,?2,?3,?4,?5)"
	  " RETURNING id",
	  "UPDATE unit SET kind = ?2, name = ?3, municipality = ?4,"
	  " email = CASE WHEN substr(CAST(?7 AS TEXT), 5, 1) = '1' THEN ?5 ELSE email END"
	  " WHERE id = ?6 AND code = ?1",
	  NULL },
	{ "staff", staff_cols, N(staff_cols), "SELECT id FROM staff WHERE code = ?1",
	  "INSERT INTO staff(code,name,email,mobile,unit_id,active,channel)"
	  " VALUES (?1,?2,?3,?4,?5,?6,?7) RETURNING id",
	  "UPDATE staff SET name = ?2, email = ?3, mobile = ?4, unit_id = ?5, active = ?6,"
	  " channel = ?7 WHERE id = ?8 AND code = ?1", NULL },
	{ "children", child_cols, N(child_cols), "SELECT id FROM child WHERE ref = ?1",
	  "INSERT INTO child(ref,birth_date,name,pnr,protected_identity) VALUES (?1,?2,?3,?4,?5)"
	  " RETURNING id",
	  "UPDATE child SET birth_date = ?2, name = ?3, pnr = ?4, protected_identity = ?5"
	  " WHERE id = ?6 AND ref = ?1", check_child },
	/* +unit_id: found by the child's index; without statistics SQLite would
	 * take the unit's, and walk all of a unit's placements for each row. */
	{ "placements", placement_cols, N(placement_cols),
	  "SELECT id FROM placement WHERE child_id = ?1 AND +unit_id = ?2 AND kind = ?3"
	  " AND start_date = ?4",
	  "INSERT INTO placement(child_id,unit_id,kind,start_date,end_date,staff_id)"
	  " VALUES (?1,?2,?3,?4,?5,?6) RETURNING id",
	  "UPDATE placement SET end_date = ?5, staff_id = ?6 WHERE id = ?7 AND child_id = ?1"
	  " AND unit_id = ?2 AND kind = ?3 AND start_date = ?4", check_placement },
	{ "roles", role_cols, N(role_cols),
	  "SELECT id FROM unit_role WHERE unit_id = ?1 AND role = ?2 AND staff_id = ?3"
	  " AND start_date = ?4",
	  "INSERT INTO unit_role(unit_id,role,staff_id,start_date,end_date) VALUES (?1,?2,?3,?4,?5)"
	  " RETURNING id",
	  "UPDATE unit_role SET end_date = ?5 WHERE id = ?6 AND unit_id = ?1 AND role = ?2"
	  " AND staff_id = ?3 AND start_date = ?4", check_role },
	{ "absences", absence_cols, N(absence_cols),
	  "SELECT id FROM absence WHERE staff_id = ?1 AND start_date = ?2",
	  "INSERT INTO absence(staff_id,start_date,end_date,deputy_id) VALUES (?1,?2,?3,?4)"
	  " RETURNING id",
	  "UPDATE absence SET end_date = ?3, deputy_id = ?4 WHERE id = ?5 AND staff_id = ?1"
	  " AND start_date = ?2", check_absence },
};

/* Attempts of one file on PostgreSQL when other writers collide with it. */
#define IMPORT_ATTEMPTS 5

const char *const import_kinds[] = { "units", "staff", "children", "placements", "roles",
				     "absences", NULL };

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
	static const char *const sql[] = { [C_UNIT] = "SELECT id FROM unit WHERE code = ?1",
					   [C_STAFF] = "SELECT id FROM staff WHERE code = ?1",
					   [C_CHILD] = "SELECT id FROM child WHERE ref = ?1" };
	struct dbi_stmt **st = &j->ref[col->type];
	struct err le;
	int r = 0;

	if (!*st)
		r = dbi_prepare(j->db, sql[col->type], st, j->e);
	if (r == 0)
		r = dbi_bind_text(*st, 1, v);
	if (r == 0)
		r = dbi_step(*st, j->e);
	if (r == DBI_ROW)
		*id = dbi_column_int64(*st, 0);
	if (*st)
		dbi_reset(*st);
	if (r == DBI_DONE) {
		if (col->type == C_UNIT)
			err_set(&le, ERR_NOTFOUND, "unknown unit '%s'", v);
		else if (col->type == C_STAFF)
			err_set(&le, ERR_NOTFOUND, "unknown staff '%s'", v);
		else
			err_set(&le, ERR_NOTFOUND, "unknown child '%s'", v);
		return row_err(j, "column '%s': %s", col->name, le.msg);
	}
	return r < 0 ? r : 0;
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

/* ?1..?ncols the values (of the first nparams), ?ncols+1 the row id;
 * ?ncols+2 (when the statement has it) which columns the file has, '1' or
 * '0' each: an update keeps a stored value of an optional column the file
 * lacks (an empty cell clears). */
static int bind_all(struct dbi_stmt *st, int nparams, const struct kind *k, const char **v,
		    const long long *ids, long long row_id, const int *map)
{
	char present[CSV_MAX_FIELDS + 1];
	int r = 0;

	dbi_reset(st);
	for (int i = 0; r == 0 && i < k->ncols && i < nparams; i++) {
		enum col_type t = k->cols[i].type;

		if (!v[i])
			r = dbi_bind_null(st, i + 1);
		else if (t == C_UNIT || t == C_STAFF || t == C_CHILD)
			r = dbi_bind_int64(st, i + 1, ids[i]);
		else if (t == C_BOOL)
			r = dbi_bind_int64(st, i + 1, v[i][0] == '1');
		else
			r = dbi_bind_text(st, i + 1, v[i]);
	}
	if (r == 0 && k->ncols + 1 <= nparams)
		r = dbi_bind_int64(st, k->ncols + 1, row_id);
	if (r == 0 && k->ncols + 2 <= nparams) {
		for (int i = 0; i < k->ncols; i++)
			present[i] = map[i] >= 0 ? '1' : '0';
		present[k->ncols] = '\0';
		r = dbi_bind_text(st, k->ncols + 2, present);
	}
	return r;
}

/* The highest ?N of a statement of the table above (no '?' in strings). */
static int nparams(const char *sql)
{
	int n = 0;

	for (const char *p = strchr(sql, '?'); p; p = strchr(p + 1, '?'))
		if (atoi(p + 1) > n)
			n = atoi(p + 1);
	return n;
}

/* The natural key must not repeat within one file. */
static int unique_in_file(struct job *j, const char **v, const long long *ids)
{
	char key[512];
	int n = 0, r;

	/* The find statement's parameters are the key columns. */
	for (int i = 0; i < j->nfind && i < j->k->ncols; i++) {
		enum col_type t = j->k->cols[i].type;

		if (t == C_UNIT || t == C_STAFF || t == C_CHILD)
			n += snprintf(key + n, sizeof key - (size_t)n, "%lld\x1f", ids[i]);
		else
			n += snprintf(key + n, sizeof key - (size_t)n, "%s\x1f", v[i] ? v[i] : "");
		if (n >= (int)sizeof key)
			break;
	}
	dbi_reset(j->key_ins);
	r = dbi_bind_text(j->key_ins, 1, key);
	if (r == 0)
		r = dbi_bind_int64(j->key_ins, 2, j->csv.rec_line);
	if (r == 0)
		r = dbi_step(j->key_ins, j->e);
	if (r < 0)
		return r;
	if (dbi_changes(j->db) == 0)
		return row_err(j, "the same %s appears twice in the file", j->k->cols[0].name);
	return 0;
}

/* Insert (the new id into *id) or update the row. A row the database
 * refuses (a constraint) is an error of this line. */
static int write_row(struct job *j, const char **v, const long long *ids, long long *id)
{
	struct dbi_stmt *st = *id ? j->upd : j->ins;
	int r = bind_all(st, *id ? j->nupd : j->nins, j->k, v, ids, *id, j->map);

	if (r == 0)
		r = dbi_step(st, j->e);
	if (r == DBI_ROW && !*id)
		*id = dbi_column_int64(st, 0);
	dbi_reset(st);
	if (r == ERR_DB) {
		char why[sizeof j->e->msg];

		snprintf(why, sizeof why, "%s", j->e->msg);
		return row_err(j, "rejected by the database: %s", why);
	}
	return r < 0 ? r : 0;
}

static int import_row(struct job *j)
{
	const struct kind *k = j->k;
	const char *v[CSV_MAX_FIELDS] = { 0 };
	long long ids[CSV_MAX_FIELDS] = { 0 }, row_id = 0, id;
	char why[300];
	int r;

	for (int i = 0; i < k->ncols; i++) {
		const char *raw = j->map[i] >= 0 ? j->csv.field[j->map[i]] : NULL;

		r = check_value(j, &k->cols[i], raw, &v[i], &ids[i]);
		if (r < 0)
			return r;
	}
	r = k->check ? k->check(j, v, ids, why, sizeof why) : 0;
	if (r > 0)
		return row_err(j, "%s", why);
	if (r < 0)
		return r;
	r = unique_in_file(j, v, ids);
	if (r == 0)
		r = bind_all(j->find, j->nfind, k, v, ids, 0, j->map);
	if (r == 0)
		r = dbi_step(j->find, j->e);
	if (r == DBI_ROW)
		row_id = dbi_column_int64(j->find, 0);
	dbi_reset(j->find);
	if (r < 0)
		return r;
	id = row_id;
	r = write_row(j, v, ids, &id);
	/* The rows the file names, for a full import (import_full.c). */
	if (r == 0) {
		dbi_reset(j->seen_ins);
		r = dbi_bind_int64(j->seen_ins, 1, id);
	}
	if (r == 0)
		r = dbi_bind_int64(j->seen_ins, 2, !row_id);
	if (r == 0)
		r = dbi_step(j->seen_ins, j->e);
	if (r < 0)
		return r;
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

/* One attempt: the file read and written in one transaction. */
static int import_once(struct dbi *db, const struct kind *k, const char *path,
		       const struct import_opts *o, struct import_result *res, struct err *e)
{
	struct job j = { .db = db, .k = k, .res = res, .e = e };
	int r;

	memset(res, 0, sizeof *res);
	r = csv_open(&j.csv, path, e);
	if (r < 0)
		return r;
	r = db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS import_key(k TEXT PRIMARY KEY, line INT);"
			"DELETE FROM temp.import_key;"
			"CREATE TEMP TABLE IF NOT EXISTS import_seen(id BIGINT PRIMARY KEY, new INT);"
			"DELETE FROM temp.import_seen;", e);
	if (r == 0)
		r = db_begin(db, e);
	if (r < 0)
		goto out;
	j.nfind = nparams(k->find);
	j.nins = nparams(k->insert);
	j.nupd = nparams(k->update);
	r = dbi_prepare(db, k->find, &j.find, e);
	if (r == 0)
		r = dbi_prepare(db, k->insert, &j.ins, e);
	if (r == 0)
		r = dbi_prepare(db, k->update, &j.upd, e);
	if (r == 0)
		r = dbi_prepare(db, "INSERT INTO temp.import_key(k, line) VALUES (?1, ?2)"
				" ON CONFLICT DO NOTHING", &j.key_ins, e);
	if (r == 0)
		r = dbi_prepare(db, "INSERT INTO temp.import_seen(id, new) VALUES (?1, ?2)"
				" ON CONFLICT DO NOTHING", &j.seen_ins, e);
	if (r == 0)
		r = run(&j);
	if (r == 0 && o && o->full)
		r = import_full_apply(db, k->name, path, o, res, e);
	dbi_finalize(j.seen_ins);
	dbi_finalize(j.find);
	dbi_finalize(j.ins);
	dbi_finalize(j.upd);
	dbi_finalize(j.key_ins);
	dbi_finalize(j.unit_kind);
	for (size_t i = 0; i < sizeof j.ref / sizeof j.ref[0]; i++)
		dbi_finalize(j.ref[i]);
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

int import_file_opts(struct dbi *db, const char *kind, const char *path,
		     const struct import_opts *o, struct import_result *res, struct err *e)
{
	const struct kind *k = NULL;
	int r;

	memset(res, 0, sizeof *res);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, kind) == 0)
			k = &kinds[i];
	if (!k)
		return err_set(e, ERR_INVALID, "unknown import kind '%s' (units, staff, children, "
			       "placements, roles, absences)", kind);
	/* On PostgreSQL a write that collides with another transaction's commit
	 * (every fact write moves the facts version) fails: the whole file is
	 * read and written again. SQLite waited for the lock instead. */
	for (int attempt = 1;; attempt++) {
		r = import_once(db, k, path, o, res, e);
		if (r != ERR_BUSY || dbi_backend(db) != DBI_PG || attempt == IMPORT_ATTEMPTS)
			return r;
	}
}
