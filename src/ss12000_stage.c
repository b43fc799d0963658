/* ss12000_stage.c - SS 12000 JSON entities into checked temporary rows. */
#include "ss12000_stage.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "db.h"
#include "validate.h"

const char *const ss_endpoints[SS_NENTITIES] = { "/organisations", "/persons", "/placements",
						 "/duties", "/deletedEntities" };
static const char *const entity_names[SS_NENTITIES] = { "organisation", "person", "placement",
							"duty", "deleted" };

static const char sql_tables[] =
	"DROP TABLE IF EXISTS temp.ss_org; DROP TABLE IF EXISTS temp.ss_person;"
	"DROP TABLE IF EXISTS temp.ss_enrol; DROP TABLE IF EXISTS temp.ss_place;"
	"DROP TABLE IF EXISTS temp.ss_duty; DROP TABLE IF EXISTS temp.ss_deleted;"
	"CREATE TEMP TABLE ss_org(ext TEXT PRIMARY KEY, name TEXT, otype TEXT, unit_code TEXT,"
	" types TEXT, parent TEXT, end_date TEXT);"
	"CREATE TEMP TABLE ss_person(ext TEXT PRIMARY KEY, name TEXT, birth TEXT, pnr TEXT,"
	" email TEXT, mobile TEXT);"
	"CREATE TEMP TABLE ss_enrol(person TEXT, org TEXT, stype TEXT, start TEXT, end_date TEXT,"
	" PRIMARY KEY (person, org, start));"
	"CREATE TEMP TABLE ss_place(ext TEXT PRIMARY KEY, child TEXT, org TEXT, stype TEXT,"
	" start TEXT, end_date TEXT);"
	"CREATE TEMP TABLE ss_duty(ext TEXT PRIMARY KEY, person TEXT, org TEXT, role TEXT,"
	" start TEXT, end_date TEXT);"
	"CREATE TEMP TABLE ss_deleted(kind TEXT, ext TEXT, PRIMARY KEY (kind, ext));"
	/* Unqualified: an index goes where its table is (both engines). */
	"CREATE INDEX ss_place_child ON ss_place(child);"
	"CREATE INDEX ss_duty_person ON ss_duty(person);";

static const char *const sql_insert[] = {
	/* An entity read twice (on two pages) is kept as read last. */
	"INSERT INTO temp.ss_org VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (ext) DO UPDATE"
	" SET name = excluded.name, otype = excluded.otype, unit_code = excluded.unit_code,"
	" types = excluded.types, parent = excluded.parent, end_date = excluded.end_date",
	"INSERT INTO temp.ss_person VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (ext) DO UPDATE"
	" SET name = excluded.name, birth = excluded.birth, pnr = excluded.pnr,"
	" email = excluded.email, mobile = excluded.mobile",
	"INSERT INTO temp.ss_place VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (ext) DO UPDATE"
	" SET child = excluded.child, org = excluded.org, stype = excluded.stype,"
	" start = excluded.start, end_date = excluded.end_date",
	"INSERT INTO temp.ss_duty VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (ext) DO UPDATE"
	" SET person = excluded.person, org = excluded.org, role = excluded.role,"
	" start = excluded.start, end_date = excluded.end_date",
	"INSERT INTO temp.ss_deleted VALUES (?1, ?2) ON CONFLICT DO NOTHING",
};

struct ss_stage {
	struct dbi *db;
	int keep_pnr;
	struct dbi_stmt *ins[SS_NENTITIES], *enrol, *enrol_clear, *is_staff;
	int count[SS_NENTITIES];
};

/* One entity being staged: its kind and id, for error messages. */
struct ent {
	struct ss_stage *s;
	const char *what, *id;
	struct err *e;
};

static int bad(struct ent *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct ent *x, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return err_set(x->e, ERR_INVALID, "%s %s: %s", x->what, x->id ? x->id : "(without id)",
		       why);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The id of an ObjectReference field ({"id": ...}), or NULL. */
static const char *ref(const json_t *o, const char *key)
{
	return str(json_object_get(o, key), "id");
}

/* A required or optional date field: "YYYY-MM-DD" or an RFC 3339 instant
 * starting with one. out gets the date, or "" when absent. */
static int date_field(struct ent *x, const json_t *o, const char *key, int required,
		      char out[DATE_LEN])
{
	const char *v = str(o, key);
	int day;

	out[0] = '\0';
	if (!v && !required)
		return 0;
	if (!v)
		return bad(x, "%s is missing", key);
	if (strlen(v) < 10 || (v[10] && v[10] != 'T') || (memcpy(out, v, 10), out[10] = '\0',
							    date_parse(out, &day) < 0)) {
		out[0] = '\0';
		return bad(x, "%s '%.40s' is not a date", key, v);
	}
	return 0;
}

static int check_id(struct ent *x, const json_t *o)
{
	struct err ve;

	x->id = str(o, "id");
	if (!x->id)
		return bad(x, "the id is missing");
	if (strlen(x->id) > 100 || valid_text(x->id, &ve) < 0)
		return bad(x, "the id is not a short text");
	return 0;
}

/* Bind texts (NULL or empty: NULL) to ?1..?n, run, and reset. */
static int put(struct ent *x, struct dbi_stmt *st, int n, const char *const *v)
{
	int r = 0;

	dbi_reset(st);
	for (int i = 0; r == 0 && i < n; i++)
		r = dbi_bind_text(st, i + 1, v[i] && *v[i] ? v[i] : NULL);
	if (r == 0)
		r = dbi_step(st, x->e);
	dbi_reset(st);
	return r == DBI_DONE ? 0 : r;
}

static int stage_org(struct ent *x, const json_t *o)
{
	char end[DATE_LEN], types[200] = "";
	const json_t *t = json_object_get(o, "schoolTypes");
	size_t i, n = 0;
	json_t *v;
	int r;

	if ((r = check_id(x, o)) < 0 || (r = date_field(x, o, "endDate", 0, end)) < 0)
		return r;
	if (!str(o, "displayName"))
		return bad(x, "displayName is missing");
	json_array_foreach(t, i, v) {
		if (!json_is_string(v))
			return bad(x, "schoolTypes[%zu] is not a text", i);
		n += (size_t)snprintf(types + n, n < sizeof types ? sizeof types - n : 0, " %s",
				      json_string_value(v));
	}
	return put(x, x->s->ins[SS_ORGS], 7, (const char *const[]){
		x->id, str(o, "displayName"), str(o, "organisationType"), str(o, "schoolUnitCode"),
		types, ref(o, "parentOrganisation"), end });
}

/* A work address: "Skola personal" first, then "Arbete övrigt"; never
 * private or pupil addresses. */
static int work_email(struct ent *x, const json_t *o, const char **out)
{
	static const char *const order[] = { "Skola personal", "Arbete övrigt" };
	const json_t *list = json_object_get(o, "emails");
	struct err ve;
	size_t i;
	json_t *m;

	*out = NULL;
	for (size_t k = 0; k < 2 && !*out; k++)
		json_array_foreach(list, i, m)
			if (!*out && str(m, "type") && strcmp(str(m, "type"), order[k]) == 0)
				*out = str(m, "value");
	if (*out && valid_email(*out, &ve) < 0)
		return bad(x, "emails: %s", ve.msg);
	return 0;
}

/* A work mobile: phoneNumbers with type "Arbete" and mobile true, in E.164
 * (a Swedish 07x number becomes +467x). */
static int work_mobile(struct ent *x, const json_t *o, char *out, size_t n)
{
	const json_t *list = json_object_get(o, "phoneNumbers");
	const char *v = NULL;
	struct err ve;
	size_t i, k = 0;
	json_t *p;

	out[0] = '\0';
	json_array_foreach(list, i, p)
		if (!v && json_is_true(json_object_get(p, "mobile")) && str(p, "type") &&
		    strcmp(str(p, "type"), "Arbete") == 0)
			v = str(p, "value");
	if (!v)
		return 0;
	for (const char *c = v; *c && k + 4 < n; c++) {
		if (*c == '+' && k == 0)
			out[k++] = '+';
		else if (isdigit((unsigned char)*c))
			out[k++] = *c;
		else if (*c != ' ' && *c != '-')
			return bad(x, "phoneNumbers: '%.30s' is not a phone number", v);
	}
	out[k] = '\0';
	if (strncmp(out, "00", 2) == 0)
		memmove(out + 1, out + 2, k - 1), out[0] = '+';
	else if (out[0] == '0')
		memmove(out + 3, out + 1, k), memcpy(out, "+46", 3);
	if (valid_e164(out, &ve) < 0)
		return bad(x, "phoneNumbers: %s", ve.msg);
	return 0;
}

/* The birth date, or (when absent) the one a personnummer starts with. */
static int birth(struct ent *x, const json_t *o, const char *pnr, char out[DATE_LEN])
{
	int r = date_field(x, o, "birthDate", 0, out), day;

	if (r < 0 || out[0] || !pnr)
		return r;
	if (strlen(pnr) < 8)
		return bad(x, "civicNo is too short to give a birth date");
	snprintf(out, DATE_LEN, "%.4s-%.2s-%02d", pnr, pnr + 4,
		 (pnr[6] - '0') * 10 + (pnr[7] - '0') - ((pnr[6] - '0') >= 6 ? 60 : 0));
	if (date_parse(out, &day) < 0)
		return bad(x, "civicNo does not start with a date");
	return 0;
}

static int stage_enrolments(struct ent *x, const json_t *o)
{
	const json_t *list = json_object_get(o, "enrolments");
	char start[DATE_LEN], end[DATE_LEN], what[160];
	struct ent sub = *x;
	size_t i;
	json_t *en;
	int r;

	if ((r = put(x, x->s->enrol_clear, 1, (const char *const[]){ x->id })) < 0)
		return r;
	json_array_foreach(list, i, en) {
		snprintf(what, sizeof what, "%s enrolments[%zu]", x->id, i);
		sub.id = what;
		if (json_is_true(json_object_get(en, "cancelled")))
			continue;
		if (!ref(en, "enroledAt"))
			return bad(&sub, "enroledAt is missing");
		if (!str(en, "schoolType"))
			return bad(&sub, "schoolType is missing");
		if ((r = date_field(&sub, en, "startDate", 1, start)) < 0 ||
		    (r = date_field(&sub, en, "endDate", 0, end)) < 0)
			return r;
		if ((r = put(x, x->s->enrol, 5, (const char *const[]){ x->id, ref(en, "enroledAt"),
			      str(en, "schoolType"), start, end })) < 0)
			return r;
	}
	return 0;
}

static int stage_person(struct ent *x, const json_t *o)
{
	const char *pnr = str(json_object_get(o, "civicNo"), "value"), *email;
	char born[DATE_LEN], mobile[24], name[200];
	struct err ve;
	int r;

	if ((r = check_id(x, o)) < 0 || (r = work_email(x, o, &email)) < 0 ||
	    (r = work_mobile(x, o, mobile, sizeof mobile)) < 0 || (r = birth(x, o, pnr, born)) < 0)
		return r;
	if (pnr && x->s->keep_pnr && valid_pnr(pnr, &ve) < 0)
		return bad(x, "civicNo: %s", ve.msg);
	/* The name only of staff (a duty read in this run, or staff of an earlier
	 * one): a child's name is not kept even here. */
	name[0] = '\0';
	dbi_reset(x->s->is_staff);
	r = dbi_bind_text(x->s->is_staff, 1, x->id);
	if (r == 0)
		r = dbi_step(x->s->is_staff, x->e);
	dbi_reset(x->s->is_staff);
	if (r < 0)
		return r;
	if (r == DBI_ROW)
		snprintf(name, sizeof name, "%s %s", str(o, "givenName") ? str(o, "givenName") : "",
			 str(o, "familyName") ? str(o, "familyName") : "");
	if (valid_text(name, &ve) < 0)
		return bad(x, "givenName/familyName: %s", ve.msg);
	if ((r = put(x, x->s->ins[SS_PERSONS], 6, (const char *const[]){
		x->id, name[0] ? name : NULL, born[0] ? born : NULL, x->s->keep_pnr ? pnr : NULL,
		email, mobile[0] ? mobile : NULL })) < 0)
		return r;
	return stage_enrolments(x, o);
}

static int stage_placement(struct ent *x, const json_t *o)
{
	char start[DATE_LEN], end[DATE_LEN];
	int r;

	if ((r = check_id(x, o)) < 0 || (r = date_field(x, o, "startDate", 1, start)) < 0 ||
	    (r = date_field(x, o, "endDate", 0, end)) < 0)
		return r;
	if (!ref(o, "child"))
		return bad(x, "child is missing");
	if (!ref(o, "placedAt"))
		return bad(x, "placedAt is missing");
	if (end[0] && strcmp(end, start) < 0)
		return bad(x, "endDate %s is before startDate %s", end, start);
	return put(x, x->s->ins[SS_PLACEMENTS], 6, (const char *const[]){
		x->id, ref(o, "child"), ref(o, "placedAt"), str(o, "schoolType"), start, end });
}

static int stage_duty(struct ent *x, const json_t *o)
{
	char start[DATE_LEN], end[DATE_LEN];
	int r;

	if ((r = check_id(x, o)) < 0 || (r = date_field(x, o, "startDate", 1, start)) < 0 ||
	    (r = date_field(x, o, "endDate", 0, end)) < 0)
		return r;
	if (!ref(o, "person"))
		return bad(x, "person is missing");
	if (!ref(o, "dutyAt"))
		return bad(x, "dutyAt is missing");
	if (!str(o, "dutyRole"))
		return bad(x, "dutyRole is missing");
	if (end[0] && strcmp(end, start) < 0)
		return bad(x, "endDate %s is before startDate %s", end, start);
	return put(x, x->s->ins[SS_DUTIES], 6, (const char *const[]){
		x->id, ref(o, "person"), ref(o, "dutyAt"), str(o, "dutyRole"), start, end });
}

static int stage_deleted(struct ent *x, const json_t *data)
{
	static const char *const kinds[] = { "organisations", "persons", "placements", "duties" };
	size_t i;
	json_t *v;
	int r;

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		json_array_foreach(json_object_get(data, kinds[k]), i, v) {
			if (!json_is_string(v))
				return bad(x, "%s[%zu] is not an id", kinds[k], i);
			if ((r = put(x, x->s->ins[SS_DELETED], 2,
				     (const char *const[]){ kinds[k], json_string_value(v) })) < 0)
				return r;
			x->s->count[SS_DELETED]++;
		}
	}
	return 0;
}

int ss_stage_page(struct ss_stage *s, enum ss_entity ent, json_t *page, struct err *e)
{
	static int (*const fn[])(struct ent *, const json_t *) = { stage_org, stage_person,
								  stage_placement, stage_duty };
	json_t *data = json_object_get(page, "data"), *o;
	struct ent x = { .s = s, .what = entity_names[ent], .e = e };
	size_t i;
	int r, own;

	if (ent == SS_DELETED ? !json_is_object(data) : !json_is_array(data))
		return err_set(e, ERR_INVALID, "GET %s: the answer has no \"data\" %s",
			       ss_endpoints[ent], ent == SS_DELETED ? "object" : "list");
	/* A page is all or nothing: a transaction of its own, or a savepoint
	 * in the caller's (PostgreSQL has no savepoint outside a transaction). */
	own = !dbi_in_transaction(s->db);
	r = db_exec(s->db, own ? "BEGIN" : "SAVEPOINT ss_page", e);
	if (r < 0)
		return r;
	if (ent == SS_DELETED) {
		r = stage_deleted(&x, data);
	} else {
		json_array_foreach(data, i, o) {
			if (!json_is_object(o)) {
				r = err_set(e, ERR_INVALID, "GET %s: data[%zu] is not an object",
					    ss_endpoints[ent], i);
				break;
			}
			x.id = NULL;
			if ((r = fn[ent](&x, o)) < 0)
				break;
			s->count[ent]++;
		}
	}
	if (r < 0)
		db_exec(s->db, own ? "ROLLBACK" : "ROLLBACK TO ss_page; RELEASE ss_page", NULL);
	else
		r = db_exec(s->db, own ? "COMMIT" : "RELEASE ss_page", e);
	return r;
}

int ss_stage_count(const struct ss_stage *s, enum ss_entity ent)
{
	return s->count[ent];
}

int ss_stage_open(struct dbi *db, int keep_pnr, struct ss_stage **out, struct err *e)
{
	struct ss_stage *s = calloc(1, sizeof *s);
	int r;

	*out = NULL;
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->db = db;
	s->keep_pnr = keep_pnr;
	r = db_exec(db, sql_tables, e);
	for (int i = 0; r == 0 && i < SS_NENTITIES; i++)
		r = dbi_prepare(db, sql_insert[i], &s->ins[i], e);
	if (r == 0)
		r = dbi_prepare(db, "INSERT INTO temp.ss_enrol VALUES (?1, ?2, ?3, ?4, ?5)"
				" ON CONFLICT (person, org, start) DO UPDATE SET stype = excluded.stype,"
				" end_date = excluded.end_date", &s->enrol, e);
	if (r == 0)
		r = dbi_prepare(db, "DELETE FROM temp.ss_enrol WHERE person = ?1", &s->enrol_clear, e);
	if (r == 0)
		r = dbi_prepare(db, "SELECT 1 FROM temp.ss_duty WHERE person = ?1 UNION ALL"
				" SELECT 1 FROM ext_ref WHERE source = 'ss12000' AND kind = 'staff'"
				" AND ext_id = ?1 LIMIT 1", &s->is_staff, e);
	if (r < 0) {
		ss_stage_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void ss_stage_close(struct ss_stage *s)
{
	if (!s)
		return;
	for (int i = 0; i < SS_NENTITIES; i++)
		dbi_finalize(s->ins[i]);
	dbi_finalize(s->enrol);
	dbi_finalize(s->enrol_clear);
	dbi_finalize(s->is_staff);
	free(s);
}
