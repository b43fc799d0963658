/* test_plan_property.c - planning after a change is planning from scratch:
 * several hundred random fact changes (referrals recorded and decided,
 * placements new and moved, staff leaving and returning, absences, consents,
 * protected identity, discovery cards, follow-ups, new principals, officers
 * assigned to referrals, the intake unit's mailbox and coordinator) are
 * applied in batches on a moving clock (also roles and placements moved to
 * another unit or child), with messages sent or failing in
 * between; after each batch the pass a running daemon makes (only the
 * subjects changed or due) must leave tasks, outbox and the Barnkontakt
 * last announced exactly as a full replan of a copy of the same state.
 * Under valgrind (make valgrind sets BACKAD_VALGRIND) and ASan the first 150
 * changes are run: those runs look for memory errors, the plain run for
 * differences over all 600; PROP_CHANGES=N runs N (tests/it_plan_pg.sh: 100
 * on PostgreSQL, 40 under ASan, where each full replan copies the database). On PostgreSQL
 * the copy is CREATE DATABASE ... TEMPLATE (the original's connection
 * closed for it, then opened again). */
#include "plan_fixture.h"

/* An ASan build (gcc defines __SANITIZE_ADDRESS__). */
#ifdef __SANITIZE_ADDRESS__
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#include "date.h"
#include "outbox.h"

#include <libpq-fe.h>

#define CHANGES 600

#ifndef PROP_SEED
#define PROP_SEED 1 /* another seed: make CFLAGS=-DPROP_SEED=N */
#endif

static unsigned long long rng = 0x9e3779b97f4a7c15ULL * PROP_SEED;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void exec(struct dbi *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void exec(struct dbi *db, const char *fmt, ...)
{
	char sqlbuf[1024];
	struct err e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sqlbuf, sizeof sqlbuf, fmt, ap);
	va_end(ap);
	/* A change a constraint refuses (a date before another) is skipped,
	 * as the writing system would have been refused. */
	if (db_exec(db, sqlbuf, &e) < 0 && !strstr(e.msg, "constraint"))
		fail_msg("%s: %s", sqlbuf, e.msg);
}

/* The first column of a query's first row: as an integer (0 when there is
 * none) and, when text is given, as text ("" when none). */
static long long value(struct dbi *db, const char *sql, char *text, size_t n)
{
	struct dbi_stmt *q = NULL;
	struct err e = { 0 };
	long long v = 0;
	int rc;

	if (text)
		text[0] = '\0';
	if (dbi_prepare(db, sql, &q, &e) < 0)
		fail_msg("%s: %s", sql, e.msg);
	rc = dbi_step(q, &e);
	if (rc == DBI_ROW) {
		v = dbi_column_int64(q, 0);
		if (text && dbi_column_text(q, 0))
			snprintf(text, n, "%s", dbi_column_text(q, 0));
	} else if (rc != DBI_DONE)
		fail_msg("%s: %s", sql, e.msg);
	dbi_finalize(q);
	return v;
}

static const char *day_str(int day, char buf[DATE_LEN])
{
	return date_format(day, buf);
}

/* One random change of the facts on day today. */
static void change(struct dbi *db, int today)
{
	char d1[DATE_LEN], d2[DATE_LEN];
	long long child = 1 + rnd(12), staff = 1 + rnd(12), unit = 1 + rnd(5);
	static const char *const outcomes[] = { "opened", "not_opened", "already_open" };

	switch (rnd(18)) {
	case 16: /* an officer assigned to an open referral (or taken off it) */
		exec(db, "UPDATE referral SET officer = (SELECT code FROM staff WHERE id = %lld)"
			 " WHERE id = (SELECT id FROM referral WHERE decision_date IS NULL"
			 " ORDER BY id LIMIT 1 OFFSET %u)", rnd(4) ? staff : 0LL, rnd(3));
		break;
	case 17: /* the intake unit's mailbox set or removed, or a coordinator */
		if (rnd(3))
			exec(db, "UPDATE unit SET email = %s WHERE id = 4",
			     rnd(2) ? "'mottagningen@ystad.example.se'" : "NULL");
		else
			exec(db, "INSERT INTO unit_role(unit_id,role,staff_id,start_date,end_date)"
				 " VALUES (4,'coordinator',%lld,'%s','%s')", staff,
			     day_str(today - (int)rnd(3), d1), day_str(today + (int)rnd(20), d2));
		break;
	case 14: /* a role moved to another unit: both units change */
		exec(db, "UPDATE unit_role SET unit_id = %lld WHERE id = %u", unit, 1 + rnd(6));
		break;
	case 15: /* a placement moved to another child: both children change */
		exec(db, "UPDATE placement SET child_id = %lld WHERE id = %u", child, 1 + rnd(8));
		break;
	case 0: case 1:
		exec(db, "INSERT INTO referral(child_id,reporter_id,reporting_unit_id,intake_unit_id,"
			 "received_date) VALUES (%lld,%lld,%s,4,'%s')", child, staff,
		     rnd(2) ? "3" : "NULL", day_str(today - (int)rnd(20), d1));
		break;
	case 2: { /* an open referral decided some days after it came */
		int after = (int)rnd(16), received;
		const char *outcome = outcomes[rnd(3)];
		char q[160], text[DATE_LEN];
		long long id;

		snprintf(q, sizeof q, "SELECT id FROM referral WHERE decision_date IS NULL"
			 " ORDER BY id LIMIT 1 OFFSET %u", rnd(3));
		id = value(db, q, NULL, 0);
		snprintf(q, sizeof q, "SELECT received_date FROM referral WHERE id = %lld", id);
		if (!id || (value(db, q, text, sizeof text), date_parse(text, &received) < 0))
			break;
		exec(db, "UPDATE referral SET decision_date = '%s', outcome = '%s' WHERE id = %lld",
		     day_str(received + after, d1), outcome, id);
		break;
	}
	case 3: {
		int school = (int)rnd(2);

		exec(db, "INSERT INTO placement(child_id,unit_id,kind,start_date) VALUES"
			 " (%lld,%d,'%s','%s')", child, school ? 3 : rnd(2) ? 2 : 5,
		     school ? "school" : "preschool", day_str(today + (int)rnd(45) - 3, d1));
		break;
	}
	case 4:
		exec(db, "UPDATE placement SET start_date = '%s' WHERE id = %u",
		     day_str(today + (int)rnd(40) - 2, d1), 1 + rnd(8));
		break;
	case 5:
		exec(db, "UPDATE staff SET active = %u WHERE id = %lld", rnd(3) ? 1u : 0u, staff);
		break;
	case 6:
		exec(db, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id) VALUES"
			 " (%lld,'%s','%s',%lld)", staff, day_str(today - (int)rnd(3), d1),
		     day_str(today + (int)rnd(10), d2), staff % 12 + 1);
		break;
	case 7:
		exec(db, "INSERT INTO consent(child_id,scope,given_by,given_date) VALUES"
			 " (%lld,'handover','guardian','%s')", child, day_str(today - (int)rnd(30), d1));
		break;
	case 8:
		exec(db, "UPDATE consent SET withdrawn_date = '%s' WHERE id = (SELECT id FROM consent"
			 " WHERE withdrawn_date IS NULL ORDER BY id LIMIT 1)",
		     day_str(today + (int)rnd(2), d1));
		break;
	case 9:
		exec(db, "UPDATE child SET protected_identity = 1 - protected_identity"
			 " WHERE id = %lld", child);
		break;
	case 10:
		exec(db, "INSERT INTO discovery_card(child_id,discoverer_id,created_date) VALUES"
			 " (%lld,%lld,'%s')", child, staff, day_str(today - (int)rnd(15), d1));
		break;
	case 11:
		exec(db, "UPDATE discovery_card SET conversation_date = '%s' WHERE id ="
			 " (SELECT id FROM discovery_card WHERE conversation_date IS NULL"
			 " ORDER BY id LIMIT 1)", day_str(today, d1));
		break;
	case 12:
		if (rnd(2))
			exec(db, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES"
				 " (%lld,%lld,'%s')", child, staff, day_str(today + (int)rnd(20) - 5, d1));
		else
			exec(db, "UPDATE followup SET due_date = '%s' WHERE id = (SELECT id FROM"
				 " followup WHERE done_date IS NULL ORDER BY id LIMIT 1)",
			     day_str(today + (int)rnd(10), d1));
		break;
	default:
		exec(db, "UPDATE unit_role SET end_date = '%s' WHERE unit_id = %lld"
			 " AND role = 'principal' AND end_date IS NULL;"
			 "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
			 " VALUES (%lld,'principal',%lld,'%s')", day_str(today - 1, d1), unit,
		     unit, staff, day_str(today - (int)rnd(2), d2));
		break;
	}
}

/* More people and children than the fixture has. */
static void grow(struct dbi *db)
{
	exec(db, "INSERT INTO staff(id,code,name,email,mobile,unit_id,channel) VALUES"
		 " (10,'p10','Åke Ölund','ake@ystad.example.se','+46701000010',5,'sms'),"
		 " (11,'p11','Britt Ärlig','britt@ystad.example.se',NULL,1,NULL),"
		 " (12,'p12','Cecilia Å','cecilia@ystad.example.se','+46701000012',4,NULL)");
	exec(db, "INSERT INTO unit_role(unit_id,role,staff_id,start_date) VALUES"
		 " (5,'principal',10,'2020-01-01'), (4,'intake_officer',12,'2020-01-01')");
	for (int c = 4; c <= 12; c++)
		exec(db, "INSERT INTO child(id,ref,name,birth_date) VALUES (%d,'B-%04d','Barn %d',"
			 "'%d-0%d-1%d')", c, c, c, 2016 + c % 9, 1 + c % 9, c % 10);
}

/* Everything a pass decides, as one text. */
static char *state_text(struct dbi *db)
{
	static const char *const qs[] = {
		/* An admin alert's text tells what the first pass to find the
		 * problem saw: only its key and state are compared. */
		"SELECT key, state, CASE origin WHEN 'alert' THEN '' ELSE coalesce(subject,'') ||"
		" replace(body, '\n', '~') || due_at END, channel, address,"
		" categories, coalesce(recipient_id,0), origin, coalesce(subject_key,''),"
		" coalesce(digest_key,''), coalesce(deadline,'')"
		" FROM outbox ORDER BY key",
		"SELECT outbox.key, outbox_child.child_id FROM outbox_child JOIN outbox ON outbox.id = outbox_id"
		" ORDER BY 1, 2",
		"SELECT key, state, coalesce(due_date,''), coalesce(assignee_id,0),"
		" coalesce(unit_id,0) FROM task ORDER BY key",
		"SELECT child_id, coalesce(staff_id,0), coalesce(unit_id,0), since"
		" FROM barnkontakt_known ORDER BY child_id",
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		struct dbi_stmt *q = NULL;
		struct err e = { 0 };
		int rc;

		if (dbi_prepare(db, qs[i], &q, &e) < 0)
			fail_msg("%s: %s", qs[i], e.msg);
		while ((rc = dbi_step(q, &e)) == DBI_ROW) {
			for (int c = 0; c < dbi_column_count(q); c++)
				fprintf(f, "%s|", dbi_column_is_null(q, c) ? "(null)" : dbi_column_text(q, c));
			fputc('\n', f);
		}
		if (rc != DBI_DONE)
			fail_msg("%s: %s", qs[i], e.msg);
		dbi_finalize(q);
		fputs("--\n", f);
	}
	fclose(f);
	return out;
}

/* The first line where a and b differ, for the failure message. */
static void show_diff(const char *a, const char *b)
{
	while (*a && *a == *b) {
		const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');

		if (!na || !nb || na - a != nb - b || strncmp(a, b, (size_t)(na - a)) != 0)
			break;
		a = na + 1;
		b = nb + 1;
	}
	fprintf(stderr, "after changes:   %.300s\nfull replan:     %.300s\n", a, b);
}

static struct dbi *open_pg(const char *name)
{
	char *conninfo = tu_pg_conninfo(name);
	struct dbi *db = NULL;
	struct err e = { 0 };

	if (db_open(conninfo, 0, &db, &e) < 0)
		fail_msg("db_open %s: %s", name, e.msg);
	free(conninfo);
	return db;
}

/* A copy of PostgreSQL database f->db: a template must have no
 * connections, so f->db is closed for the copy and opened again (its
 * temporary tables go; every pass makes them anew). */
static struct dbi *copy_of_pg(struct fx *f)
{
	static int copies;
	char name[64], sql[200];
	struct dbi_stmt *q = NULL;
	struct err e = { 0 };

	assert_int_equal(dbi_prepare(f->db, "SELECT current_database()", &q, &e), 0);
	assert_int_equal(dbi_step(q, &e), DBI_ROW);
	snprintf(name, sizeof name, "%s", dbi_column_text(q, 0));
	dbi_finalize(q);
	db_close(f->db);
	if (copies++) { /* the previous batch's copy, closed by now */
		snprintf(sql, sizeof sql, "DROP DATABASE %s_copy", name);
		tu_pg_admin(sql);
	}
	snprintf(sql, sizeof sql, "CREATE DATABASE %s_copy TEMPLATE %s", name, name);
	tu_pg_admin(sql);
	f->db = open_pg(name);
	snprintf(sql, sizeof sql, "%s_copy", name);
	return open_pg(sql);
}

static struct dbi *copy_of(struct fx *f)
{
	char path[512];
	sqlite3 *to = NULL;
	sqlite3_backup *b;
	struct dbi *copy = NULL;
	struct err e = { 0 };

	if (dbi_backend(f->db) == DBI_PG)
		return copy_of_pg(f);
	snprintf(path, sizeof path, "%s/copy.db", f->dir);
	unlink(path);
	assert_int_equal(sqlite3_open(path, &to), SQLITE_OK);
	b = sqlite3_backup_init(to, "main", dbi_sqlite(f->db), "main");
	assert_non_null(b);
	assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
	sqlite3_backup_finish(b);
	assert_int_equal(dbi_from_sqlite(to, &copy, &e), 0);
	dbi_own(copy);
	return copy;
}

/* Send (or fail) what is due, as delivery would between passes. */
static void deliver(struct fx *f, time_t now)
{
	struct outbox_msg *msgs = NULL;
	enum outbox_state st;
	struct err e = { 0 };
	int n = 0;

	/* Digests gathered, as the daemon claims. */
	if (outbox_claim_digests(f->db, now, 50, NULL, "test", now + 600, f->tpl, &f->cfg, &msgs,
				 &n, &e) < 0)
		fail_msg("claim: %s", e.msg);
	for (int i = 0; i < n; i++)
		if (outbox_done(f->db, &msgs[i], rnd(4) ? OUTBOX_SENT : OUTBOX_TEMPFAIL, "x", -1,
				now, &f->cfg, &st, &e) < 0)
			fail_msg("done: %s", e.msg);
	outbox_msgs_free(msgs, n);
}

/* Each row of sql (?1 bound to arg when given) to stderr, after prefix. */
static void dump(struct dbi *db, const char *sql, const char *arg, const char *prefix)
{
	struct dbi_stmt *q = NULL;
	struct err e = { 0 };

	if (dbi_prepare(db, sql, &q, &e) < 0) {
		fprintf(stderr, "%s: %s\n", sql, e.msg);
		return;
	}
	if (arg)
		dbi_bind_text(q, 1, arg);
	while (dbi_step(q, &e) == DBI_ROW)
		fprintf(stderr, "%s%s", prefix, dbi_column_text(q, 0));
	dbi_finalize(q);
}

/* PROP_DEBUG=SUBJECT: the changes before each pass and the subject's rows. */
static void debug(struct dbi *db, int batch, time_t now, const char *subject)
{
	char ts[21];

	fprintf(stderr, "batch %d now %s changes:", batch, cal_iso_utc(now, ts));
	dump(db, "SELECT kind || ':' || ref_id FROM fact_change", NULL, " ");
	fprintf(stderr, "\n");
	dump(db, "SELECT 'wake ' || wake_at || '\n' FROM plan_wake WHERE subject_key = ?1"
		 " UNION ALL SELECT key || ' ' || state || '\n' FROM outbox"
		 " WHERE subject_key = ?1", subject, "   ");
}

static void incremental_pass_equals_full_replan(void **state)
{
	struct fx *f = fx_new();
	struct plan_cache cache = { 0 };
	struct plan_stats st;
	struct err e = { 0 };
	time_t now;
	int changes = 0, batches = 0, incremental = 0, want = CHANGES;

	(void)state;
	if (getenv("PROP_CHANGES"))
		want = atoi(getenv("PROP_CHANGES"));
	else if (getenv("BACKAD_VALGRIND") || SANITIZED)
		want = CHANGES / 4;
	grow(f->db);
	now = at("2026-08-03T07:30");
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, now, &cache, &st, &e), 0);
	while (changes < want) {
		int n = 1 + (int)rnd(5);
		struct plan_cache full = { 0 };
		struct plan_stats fst;
		struct dbi *copy;
		char *a, *b;

		/* The clock: minutes to hours, now and then into the next day. */
		now += rnd(8) == 0 ? 86400 : 60 * (time_t)rnd(200);
		for (int i = 0; i < n; i++)
			change(f->db, cal_today(now));
		changes += n;
		if (rnd(3) == 0)
			deliver(f, now);
		copy = copy_of(f);
		if (getenv("PROP_DEBUG"))
			debug(f->db, batches, now, getenv("PROP_DEBUG"));
		if (planner_run(f->db, &f->cfg, f->tpl, now, &cache, &st, &e) < 0)
			fail_msg("pass: %s", e.msg);
		incremental += !st.full && !st.skipped;
		if (getenv("PROP_DEBUG")) {
			fprintf(stderr, "  pass full=%d skipped=%d todo:", st.full, st.skipped);
			dump(f->db, "SELECT s FROM temp.plan_todo UNION ALL SELECT 'ABS ' || staff_id"
				    " || '>' || coalesce(deputy_id,0) || ' ' || start_date || '..' ||"
				    " end_date FROM absence UNION ALL SELECT 'ROLE ' || unit_id || role ||"
				    " staff_id || ' ' || start_date || '..' || coalesce(end_date,'')"
				    " FROM unit_role WHERE unit_id = 4 UNION ALL SELECT 'INACTIVE ' || id"
				    " FROM staff WHERE active = 0", NULL, " ");
			fprintf(stderr, "\n");
		}
		if (planner_run(copy, &f->cfg, f->tpl, now, &full, &fst, &e) < 0)
			fail_msg("full replan: %s", e.msg);
		assert_true(fst.full);
		a = state_text(f->db);
		b = state_text(copy);
		if (strcmp(a, b) != 0) {
			show_diff(a, b);
			fail_msg("batch %d (%d changes): the pass after the changes differs from"
				 " a full replan", batches, changes);
		}
		free(a);
		free(b);
		db_close(copy);
		batches++;
	}
	/* Most passes were of the changed subjects only. */
	assert_true(incremental > batches / 2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(incremental_pass_equals_full_replan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
