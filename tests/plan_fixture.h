/* plan_fixture.h - the planner tests' municipality (units 1-5, staff 1-9,
 * three children) and helpers to run passes on a simulated clock. */
#ifndef BACKAD_PLAN_FIXTURE_H
#define BACKAD_PLAN_FIXTURE_H

#include "testutil.h"

#include "calendar.h"
#include "config.h"
#include "outbox.h"
#include "planner.h"
#include "templates.h"

struct fx {
	char *dir;
	struct dbi *db;
	struct config cfg;
	struct templates *tpl;
};

/* Units 1-5, staff 1-9; see the SQL. */
static const char fixture_sql[] __attribute__((unused)) =
	"INSERT INTO unit(id,code,kind,name,municipality) VALUES"
	" (1,'BVC1','bvc','BVC Centrum','Ystad'),"
	" (2,'FSK1','preschool','Förskolan Solrosen','Ystad'),"
	" (3,'SK1','school','Västervångskolan','Ystad'),"
	" (4,'MOT','intake','Socialtjänstens mottagningsenhet','Ystad'),"
	" (5,'FSK2','preschool','Förskolan Ängen','Ystad');"
	"INSERT INTO staff(id,code,name,email,mobile,unit_id) VALUES"
	" (1,'nurse','Åsa Sjöberg','asa@ystad.example.se','+46701000001',1),"
	" (2,'rektor.fsk','Örjan Lindqvist','orjan@ystad.example.se','+46701000002',2),"
	" (3,'rektor.sk','Märta Öberg','marta@ystad.example.se',NULL,3),"
	" (4,'handl1','Karin Ek','karin@ystad.example.se','+46701000004',4),"
	" (5,'chef','Lars Ström','lars@ystad.example.se','+46701000005',4),"
	" (6,'larare','Eva Berg','eva@ystad.example.se','+46701000006',3),"
	" (7,'ny.rektor','Pia Holm','pia@ystad.example.se','+46701000007',2),"
	" (8,'stf','Sven Dahl','sven@ystad.example.se','+46701000008',3),"
	" (9,'sms.only','Nils Åkesson',NULL,'+46701000009',3);"
	"INSERT INTO unit_role(unit_id,role,staff_id,start_date) VALUES"
	" (2,'principal',2,'2020-01-01'), (3,'principal',3,'2020-01-01'),"
	" (4,'intake_officer',4,'2020-01-01'), (4,'manager',5,'2020-01-01');"
	"INSERT INTO child(id,ref,name,birth_date) VALUES"
	" (1,'B-0001','Alva Nilsson','2020-03-04'), (2,'B-0002','Ture Ek','2024-05-06'),"
	" (3,'B-0003',NULL,'2019-01-01');"
	"INSERT INTO placement(child_id,unit_id,kind,start_date,end_date,staff_id) VALUES"
	" (1,2,'preschool','2021-08-16','2026-08-17',NULL),"
	" (1,3,'school','2026-08-18',NULL,NULL),"
	" (2,1,'bvc','2024-05-20','2026-09-13',1),"
	" (2,2,'preschool','2026-09-14',NULL,NULL),"
	" (3,3,'school','2025-08-18',NULL,NULL);";

static inline struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { 0 };

	assert_non_null(f);
	cal_init(); /* Stockholm time, as backad and backactl use */
	f->dir = tu_mkdtemp();
	f->db = tu_db(f->dir);
	assert_int_equal(db_exec(f->db, fixture_sql, &e), 0);
	assert_int_equal(config_defaults(&f->cfg, &e), 0);
	free(f->cfg.admin_email);
	f->cfg.admin_email = strdup("admin@ystad.example.se");
	if (templates_load("templates/sv", &f->tpl, NULL, NULL, &e) < 0)
		fail_msg("templates: %s", e.msg);
	return f;
}

static inline void fx_free(struct fx *f)
{
	templates_free(f->tpl);
	db_close(f->db);
	config_clear(&f->cfg);
	tu_rmdir(f->dir);
	free(f);
}

/* Whether the tests run on PostgreSQL (tu_db(): BACKAD_TEST_PG). */
static inline int fx_pg(void)
{
	const char *pg = getenv("BACKAD_TEST_PG");

	return pg && *pg;
}

/* Let rows with a malformed date into table.col, as a writer from before
 * the date checks did: SQLite checks each column on insert with a trigger
 * of its own, PostgreSQL each table with one. */
static inline void fx_drop_date_check(struct fx *f, const char *table, const char *col)
{
	struct err e = { 0 };
	char q[160];

	if (dbi_backend(f->db) == DBI_PG)
		snprintf(q, sizeof q, "DROP TRIGGER date_%s ON %s", table, table);
	else
		snprintf(q, sizeof q, "DROP TRIGGER date_%s_%s_i", table, col);
	if (db_exec(f->db, q, &e) < 0)
		fail_msg("%s: %s", q, e.msg);
}

static inline time_t at(const char *s)
{
	time_t t;

	if (cal_parse_instant(s, &t) < 0)
		fail_msg("bad instant %s", s);
	return t;
}

static inline struct plan_stats run(struct fx *f, const char *when)
{
	struct plan_stats st;
	struct err e = { 0 };

	if (planner_run(f->db, &f->cfg, f->tpl, at(when), NULL, &st, &e) < 0)
		fail_msg("planner_run at %s: %s", when, e.msg);
	return st;
}

static inline void sql(struct fx *f, const char *s)
{
	struct err e = { 0 };

	if (db_exec(f->db, s, &e) < 0)
		fail_msg("%s: %s", s, e.msg);
}

static inline long long count(struct fx *f, const char *where)
{
	char q[1024];

	snprintf(q, sizeof q, "SELECT count(*) FROM outbox WHERE %s", where);
	return tu_int(f->db, q);
}

/* The text of one column of the single outbox row matching where. */
static inline char *one(struct fx *f, const char *col, const char *where)
{
	char q[1024];
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	const char *t;
	char *v;

	snprintf(q, sizeof q, "SELECT %s FROM outbox WHERE %s", col, where);
	if (dbi_prepare(f->db, q, &st, &e) < 0)
		fail_msg("%s: %s", q, e.msg);
	if (dbi_step(st, &e) != DBI_ROW)
		fail_msg("no outbox row where %s", where);
	t = dbi_column_text(st, 0);
	v = strdup(t ? t : "");
	assert_int_equal(dbi_step(st, &e), DBI_DONE);
	dbi_finalize(st);
	return v;
}

#endif
