/* import_full.c - ending what a full export leaves out: staff, placements, roles. */
#include "import_full.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "barnkontakt.h"
#include "calendar.h"
#include "date.h"
#include "db.h"
#include "strbuf.h"
#include "validate.h"

static const char unit_kinds[] = "bmm bvc preschool school intake other";

/* Per kind: the unit kinds the file's rows belong to, the rows in scope that
 * are open on the import date (?1) but not in the file, and those that were
 * there before and are in the file. */
struct full_kind {
	const char *name, *table, *file_scope, *gone, *kept;
};

#define SCOPE "(SELECT kind FROM temp.import_scope)"
/* Not in the file (NOT EXISTS: an anti-join in both engines, however many rows). */
#define UNSEEN(t) "NOT EXISTS (SELECT 1 FROM temp.import_seen x WHERE x.id = " t ".id)"
#define OPEN(t) "(" t ".end_date IS NULL OR " t ".end_date >= ?1)"
static const struct full_kind full_kinds[] = {
	{ "staff", "staff",
	  "SELECT DISTINCT u.kind FROM temp.import_seen x JOIN staff s ON s.id = x.id"
	  " JOIN unit u ON u.id = s.unit_id",
	  "SELECT s.id FROM staff s JOIN unit u ON u.id = s.unit_id WHERE s.active = 1"
	  " AND u.kind IN " SCOPE " AND " UNSEEN("s"),
	  "SELECT count(*) FROM temp.import_seen x JOIN staff s ON s.id = x.id"
	  " JOIN unit u ON u.id = s.unit_id WHERE x.new = 0 AND u.kind IN " SCOPE },
	{ "placements", "placement",
	  "SELECT DISTINCT p.kind FROM temp.import_seen x JOIN placement p ON p.id = x.id",
	  "SELECT p.id FROM placement p WHERE p.kind IN " SCOPE " AND " OPEN("p")
	  " AND " UNSEEN("p"),
	  "SELECT count(*) FROM temp.import_seen x JOIN placement p ON p.id = x.id"
	  " WHERE x.new = 0 AND p.kind IN " SCOPE },
	{ "roles", "unit_role",
	  "SELECT DISTINCT u.kind FROM temp.import_seen x JOIN unit_role r ON r.id = x.id"
	  " JOIN unit u ON u.id = r.unit_id",
	  "SELECT r.id FROM unit_role r JOIN unit u ON u.id = r.unit_id WHERE u.kind IN " SCOPE
	  " AND " OPEN("r") " AND " UNSEEN("r"),
	  "SELECT count(*) FROM temp.import_seen x JOIN unit_role r ON r.id = x.id"
	  " JOIN unit u ON u.id = r.unit_id WHERE x.new = 0 AND u.kind IN " SCOPE },
};
#undef UNSEEN

struct full {
	struct dbi *db;
	const struct full_kind *k;
	const struct import_opts *o;
	const char *path;
	struct import_result *res;
	char day[DATE_LEN], prev[DATE_LEN]; /* the import date and the day before */
	struct err *e;
};

int import_full_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof full_kinds / sizeof full_kinds[0]; i++)
		if (strcmp(full_kinds[i].name, kind) == 0)
			return 1;
	return 0;
}

/* Bind ?1 = the import date and ?2 = the day before, those sql has. */
static int bind_days(struct full *f, struct dbi_stmt *st, const char *sql)
{
	int r = 0;

	if (strstr(sql, "?1"))
		r = dbi_bind_text(st, 1, f->day);
	if (r == 0 && strstr(sql, "?2"))
		r = dbi_bind_text(st, 2, f->prev);
	return r;
}

/* Run sql with ?1 = the import date and ?2 = the day before; *changes (may be
 * NULL) gets the rows it changed. */
static int run_sql(struct full *f, const char *sql, int *changes)
{
	struct dbi_stmt *st = NULL;
	int r = dbi_prepare(f->db, sql, &st, f->e);

	if (r == 0)
		r = bind_days(f, st, sql);
	while (r == 0 && (r = dbi_step(st, f->e)) == DBI_ROW)
		r = 0;
	if (r == DBI_DONE) {
		r = 0;
		if (changes)
			*changes += (int)dbi_changes(f->db);
	}
	dbi_finalize(st);
	return r;
}

static int count_sql(struct full *f, const char *sql, int *n)
{
	struct dbi_stmt *st = NULL;
	int r = dbi_prepare(f->db, sql, &st, f->e);

	if (r == 0)
		r = bind_days(f, st, sql);
	if (r == 0)
		r = dbi_step(st, f->e);
	if (r == DBI_ROW)
		*n = dbi_column_int(st, 0);
	dbi_finalize(st);
	return r < 0 ? r : 0; /* a count always has its row */
}

/* temp.import_scope: the kinds given, or those of the file's rows. */
static int fill_scope(struct full *f)
{
	char buf[128], sql[160], *save = NULL;
	int r = db_exec(f->db, "CREATE TEMP TABLE IF NOT EXISTS import_scope(kind TEXT PRIMARY KEY);"
			       "DELETE FROM temp.import_scope", f->e);
	struct dbi_stmt *st = NULL;
	size_t n = 0;

	if (r < 0)
		return r;
	if (!f->o->scope) {
		snprintf(sql, sizeof sql, "INSERT INTO temp.import_scope %s", f->k->file_scope);
		r = run_sql(f, sql, NULL);
	} else {
		snprintf(buf, sizeof buf, "%s", f->o->scope);
		r = dbi_prepare(f->db, "INSERT INTO temp.import_scope VALUES (?1) ON CONFLICT DO NOTHING",
				&st, f->e);
		for (char *t = strtok_r(buf, " ,", &save); t && r == 0; t = strtok_r(NULL, " ,", &save)) {
			if (!valid_choice(unit_kinds, t)) {
				r = err_set(f->e, ERR_INVALID, "scope '%s' is not one of %s", t,
					    unit_kinds);
				break;
			}
			dbi_reset(st);
			r = dbi_bind_text(st, 1, t);
			if (r == 0 && (r = dbi_step(st, f->e)) == DBI_DONE)
				r = 0;
		}
		dbi_finalize(st);
		st = NULL;
	}
	if (r < 0)
		return r;
	/* The scope's names, for the summary. */
	r = dbi_prepare(f->db, "SELECT kind FROM temp.import_scope ORDER BY kind", &st, f->e);
	while (r == 0 && (r = dbi_step(st, f->e)) == DBI_ROW) {
		n += (size_t)snprintf(f->res->scope + n, n < sizeof f->res->scope ?
				      sizeof f->res->scope - n : 0, "%s%s", n ? "," : "",
				      dbi_column_text(st, 0));
		r = 0;
	}
	dbi_finalize(st);
	return r == DBI_DONE ? 0 : r;
}

/* temp.import_gone: the rows in scope the file left out; refuse a shrink
 * beyond the configured share. */
static int find_gone(struct full *f)
{
	char sql[600];
	int gone = 0, kept = 0, r;

	r = db_exec(f->db, "CREATE TEMP TABLE IF NOT EXISTS import_gone(id BIGINT PRIMARY KEY);"
			   "DELETE FROM temp.import_gone", f->e);
	snprintf(sql, sizeof sql, "INSERT INTO temp.import_gone %s", f->k->gone);
	if (r == 0)
		r = run_sql(f, sql, &gone);
	if (r == 0)
		r = count_sql(f, f->k->kept, &kept);
	if (r < 0)
		return r;
	f->res->in_scope = gone + kept;
	if (!f->o->force && gone > 0 &&
	    (long)gone * 100 > (long)f->o->max_shrink_percent * f->res->in_scope)
		return err_set(f->e, ERR_INVALID,
			       "%s: the export leaves out %d of the %d %s in scope (%s), %.1f %%, more than "
			       "import.max_shrink_percent = %d; nothing was changed (check the export, "
			       "or use --force)", f->path, gone, f->res->in_scope, f->k->name,
			       f->res->scope[0] ? f->res->scope : "-",
			       100.0 * gone / f->res->in_scope, f->o->max_shrink_percent);
	return 0;
}

/* End the open rows of table selected by where: deleted when they start on
 * or after the import date, else ended the day before. Counts into *ended
 * and *removed. */
static int end_rows(struct full *f, const char *table, const char *where, int *ended,
		    int *removed)
{
	char sql[400];
	int r;

	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s AND start_date >= ?1", table, where);
	r = run_sql(f, sql, removed);
	snprintf(sql, sizeof sql, "UPDATE %s SET end_date = ?2 WHERE %s AND start_date < ?1"
		 " AND (end_date IS NULL OR end_date >= ?1)", table, where);
	if (r == 0)
		r = run_sql(f, sql, ended);
	return r;
}

/* Append one line about a follow-up nobody can take over to the alert. */
static int orphan_line(struct full *f, struct strbuf *sb, struct dbi_stmt *q)
{
	(void)f;
	return sb_printf(sb, "  uppföljning %lld, ärende %s, senast %s, tidigare ansvarig %s\n",
			 dbi_column_int64(q, 0), dbi_column_text(q, 2), dbi_column_text(q, 3),
			 dbi_column_text(q, 5));
}

static int queue_alert(struct full *f, const char *lines, long long first_id)
{
	char key[96], mid[160], subject[160], at[21];
	const char *dom = f->o->mail_from ? strchr(f->o->mail_from, '@') : NULL;
	struct strbuf body = { 0 };
	struct dbi_stmt *st = NULL;
	time_t t;
	int r;

	/* Due at the start of the import date, so it goes out with that day's pass. */
	if (cal_local_to_utc(f->o->day, 0, &t) < 0)
		t = time(NULL);
	cal_iso_utc(t, at);
	snprintf(key, sizeof key, "alert/import/followup/%s/%lld", f->day, first_id);
	snprintf(mid, sizeof mid, "<alert.import.%s.%lld@%s>", f->day, first_id,
		 dom ? dom + 1 : "backad.invalid");
	snprintf(subject, sizeof subject, "backad: uppföljningar utan ansvarig efter import %s",
		 f->day);
	r = sb_printf(&body, "Till administratören för Backa barnet,\n\n"
			     "Importen %s den %s gjorde personer inaktiva som var ansvariga\n"
			     "för öppna uppföljningar. Barnen har ingen Barnkontakt som kan ta över:\n\n"
			     "%s\nRegistrera en rektor (backactl import roles) eller en Barnkontakt\n"
			     "(backactl barnkontakt set); nästa fullständiga personalimport flyttar\n"
			     "då uppföljningarna.\n\n--\nDetta meddelande skickades automatiskt av backad.\n",
		      f->path, f->day, lines);
	if (r == 0)
		r = dbi_prepare(f->db, "INSERT INTO outbox(key, rule, channel, address, subject, body,"
				" categories, message_id, due_at, state, created_at, origin) VALUES (?1,"
				" 'admin_alert', 'email', ?2, ?3, ?4, 'ärende', ?5, ?6, 'pending', ?6,"
				" 'alert') ON CONFLICT DO NOTHING", &st, f->e);
	if (r == 0)
		r = dbi_bind_text(st, 1, key);
	if (r == 0)
		r = dbi_bind_text(st, 2, f->o->admin_email);
	if (r == 0)
		r = dbi_bind_text(st, 3, subject);
	if (r == 0)
		r = dbi_bind_text(st, 4, sb_str(&body));
	if (r == 0)
		r = dbi_bind_text(st, 5, mid);
	if (r == 0)
		r = dbi_bind_text(st, 6, at);
	if (r == 0)
		r = dbi_step(st, f->e);
	if (r == DBI_DONE) {
		r = 0;
		f->res->alerts += (int)dbi_changes(f->db);
	}
	dbi_finalize(st);
	sb_free(&body);
	return r;
}

/* Open follow-ups of people who are no longer active go to the child's
 * Barnkontakt on the import date; those without one become one alert. */
static int move_followups(struct full *f)
{
	struct dbi_stmt *q = NULL, *upd = NULL;
	struct bk_ctx *bk = NULL;
	struct strbuf lines = { 0 };
	long long first = 0;
	struct bk b;
	int r;

	r = dbi_prepare(f->db, "SELECT f.id, f.child_id, c.ref, f.due_date, f.responsible_id,"
			" s.code FROM followup f JOIN child c ON c.id = f.child_id"
			" JOIN staff s ON s.id = f.responsible_id"
			" WHERE f.done_date IS NULL AND s.active = 0 ORDER BY f.id", &q, f->e);
	if (r == 0)
		r = dbi_prepare(f->db, "UPDATE followup SET responsible_id = ?1 WHERE id = ?2", &upd,
				f->e);
	while (r == 0 && (r = dbi_step(q, f->e)) == DBI_ROW) {
		/* The Barnkontakt lookups only when there is a follow-up to move. */
		r = bk ? 0 : bk_open(f->db, &bk, f->e);
		if (r == 0)
			r = bk_at(bk, dbi_column_int64(q, 1), f->o->day, &b, f->e);
		if (r < 0)
			break;
		if (!b.staff_id) {
			first = first ? first : dbi_column_int64(q, 0);
			r = orphan_line(f, &lines, q);
			continue;
		}
		dbi_reset(upd);
		r = dbi_bind_int64(upd, 1, b.staff_id);
		if (r == 0)
			r = dbi_bind_int64(upd, 2, dbi_column_int64(q, 0));
		if (r == 0 && (r = dbi_step(upd, f->e)) == DBI_DONE)
			r = 0;
		f->res->reassigned++;
	}
	if (r == DBI_DONE)
		r = 0;
	if (r == 0 && first)
		r = queue_alert(f, sb_str(&lines), first);
	dbi_finalize(q);
	dbi_finalize(upd);
	bk_close(bk);
	sb_free(&lines);
	return r;
}

#define GONE "(SELECT id FROM temp.import_gone)"
/* Staff who left: inactive, and what they held ends with them. */
static int staff_left(struct full *f)
{
	int r = run_sql(f, "UPDATE staff SET active = 0 WHERE id IN " GONE, &f->res->ended);
	int *n = &f->res->cascaded;

	if (r == 0)
		r = end_rows(f, "unit_role", "staff_id IN " GONE, n, n);
	if (r == 0)
		r = end_rows(f, "barnkontakt", "staff_id IN " GONE, n, n);
	if (r == 0)
		r = run_sql(f, "UPDATE placement SET staff_id = NULL WHERE staff_id IN " GONE
			       " AND " OPEN("placement"), n);
	if (r == 0)
		r = move_followups(f);
	return r;
}

int import_full_end(struct dbi *db, const char *table, const char *where, int day, int *ended,
		    int *removed, struct err *e)
{
	struct full f = { .db = db, .e = e };

	date_format(day, f.day);
	date_format(day - 1, f.prev);
	return end_rows(&f, table, where, ended, removed);
}

int import_full_staff_gone(struct dbi *db, const struct import_opts *o, struct import_result *res,
			   struct err *e)
{
	struct full f = { .db = db, .o = o, .path = "ss12000", .res = res, .e = e };

	date_format(o->day, f.day);
	date_format(o->day - 1, f.prev);
	return staff_left(&f);
}

int import_full_apply(struct dbi *db, const char *kind, const char *path,
		      const struct import_opts *o, struct import_result *res, struct err *e)
{
	struct full f = { .db = db, .o = o, .path = path, .res = res, .e = e };
	int r;

	for (size_t i = 0; i < sizeof full_kinds / sizeof full_kinds[0]; i++)
		if (strcmp(full_kinds[i].name, kind) == 0)
			f.k = &full_kinds[i];
	if (!f.k)
		return err_set(e, ERR_INVALID, "a full import is for staff, placements and roles, "
			       "not %s", kind);
	date_format(o->day, f.day);
	date_format(o->day - 1, f.prev);
	r = fill_scope(&f);
	if (r == 0)
		r = find_gone(&f);
	if (r < 0)
		return r;
	if (strcmp(kind, "staff") == 0)
		return staff_left(&f);
	return end_rows(&f, f.k->table, "id IN " GONE, &res->ended, &res->removed);
}
