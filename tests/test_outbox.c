/* test_outbox.c - the outbox state machine and a delivery pass: claiming,
 * crash recovery with the same identity, backoff and its cap, dead letters
 * with exactly one admin alert, permanent failures, retry, the audit row of a
 * sent message, SMS quiet hours, and the file spool. */
#include "testutil.h"

#include <sys/stat.h>

#include "calendar.h"
#include "config.h"
#include "deliver.h"
#include "outbox.h"
#include "spool.h"

struct fx {
	char *dir;
	struct dbi *db;
	struct config cfg;
};

static time_t at(const char *s)
{
	time_t t;

	assert_int_equal(cal_parse_instant(s, &t), 0);
	return t;
}

/* Claim as a test process, for ten minutes. */
static int claim(struct fx *f, time_t now, int max, const char *channel, struct outbox_msg **m,
		 int *n, struct err *e)
{
	return outbox_claim(f->db, now, max, channel, "test", now + 600, m, n, e);
}

/* When a restarted process takes back the claims of a dead one: at once
 * on SQLite (one daemon, which holds the database's lock: another owner is
 * gone), once the claim's lease of lease_end ended on PostgreSQL (several
 * daemons share the database: another owner may be alive). */
static time_t restart_at(time_t sqlite_at, time_t lease_end)
{
	return tu_pg() ? lease_end + 1 : sqlite_at;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct err e = { 0 };
	char *spool = NULL;

	f->dir = tu_mkdtemp();
	f->db = tu_db(f->dir);
	config_defaults(&f->cfg, &e);
	free(f->cfg.spool_dir);
	assert_true(asprintf(&spool, "%s/spool", f->dir) > 0);
	f->cfg.spool_dir = spool;
	free(f->cfg.admin_email);
	f->cfg.admin_email = strdup("admin@ystad.example.se");
	/* Two messages due on Monday 08:00, one e-mail a week later, one SMS. */
	tu_exec(f->db,
		"INSERT INTO child(id,ref,birth_date) VALUES (1,'B-1','2020-01-01');"
		"INSERT INTO staff(id,code,name,email,mobile) VALUES"
		" (1,'a','Åsa','asa@ystad.example.se','+46701234567');"
		"INSERT INTO outbox(id,key,rule,child_id,recipient_id,channel,address,subject,body,"
		"categories,message_id,due_at,created_at) VALUES"
		" (1,'k1','referral_reminder',1,1,'email','asa@ystad.example.se','Påminnelse',"
		"  'Hej Åsa\n','ärendereferens,datum','<k1@ystad.example.se>',"
		"  '2026-08-03T06:00:00Z','2026-08-03T05:00:00Z'),"
		" (2,'k2','followup_reminder',1,1,'email','asa@ystad.example.se','Uppföljning',"
		"  'Hej\n','ärendereferens','<k2@ystad.example.se>','2026-08-03T06:00:00Z',"
		"  '2026-08-03T05:00:00Z'),"
		" (3,'k3','followup_overdue',1,1,'email','asa@ystad.example.se','Sen','Hej\n','',"
		"  '<k3@ystad.example.se>','2026-08-10T06:00:00Z','2026-08-03T05:00:00Z'),"
		" (4,'k4','followup_reminder',1,1,'sms','+46701234567',NULL,'Backa barnet: hej',"
		"  'ärendereferens','<k4@ystad.example.se>','2026-08-03T04:00:00Z',"
		"  '2026-08-03T04:00:00Z');");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	outbox_close_statements(f->db);
	db_close(f->db);
	config_clear(&f->cfg);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static void claim_respects_time_and_state(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	int n;

	/* 07:00 local: nothing due yet (SMS due 06:00 but outside its hours). */
	assert_int_equal(claim(f, at("2026-08-03T07:00"), 10, "email", &m, &n, &e), 0);
	assert_int_equal(n, 0);
	outbox_msgs_free(m, n);
	assert_int_equal(claim(f, at("2026-08-03T08:00"), 10, NULL, &m, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].id, 4); /* oldest due first */
	assert_int_equal(m[1].attempts, 1);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state='sending'"), 3);
	/* Claimed rows are not claimed twice. */
	assert_int_equal(claim(f, at("2026-08-03T08:00"), 10, NULL, &m, &n, &e), 0);
	assert_int_equal(n, 0);
	outbox_msgs_free(m, n);
}

static void crash_recovery_same_identity(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	struct outbox_recovery rec;
	int n;

	assert_int_equal(claim(f, at("2026-08-03T08:00"), 1, "email", &m, &n, &e), 0);
	outbox_msgs_free(m, n);
	/* The process dies here. On restart: */
	/* Its data phase had begun (a session said so): in doubt after the crash. */
	assert_int_equal(db_exec(f->db, "UPDATE outbox SET data_started = 1 WHERE id = 1", &e), 0);
	assert_int_equal(outbox_recover(f->db, restart_at(at("2026-08-03T08:05"),
							  at("2026-08-03T08:10")),
					"restarted", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt, 1);
	assert_int_equal(rec.released, 0);
	assert_int_equal(claim(f, restart_at(at("2026-08-03T08:05"), at("2026-08-03T08:10")), 1,
			       "email", &m, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].message_id, "<k1@ystad.example.se>");
	assert_int_equal(m[0].in_doubt, 1);
	assert_int_equal(m[0].attempts, 2);
	outbox_msgs_free(m, n);
}

/* Claims have owners: recovery takes only those of an owner that is gone
 * (another name: the caller holds the lock) or whose lease ended; only a
 * message whose data had started is in doubt. */
static void recovery_by_owner_and_lease(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	struct outbox_recovery rec;
	time_t now = at("2026-08-03T08:00");
	int n;

	assert_int_equal(outbox_claim(f->db, now, 2, "email", "A", now + 600, &m, &n, &e), 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE claim_owner='A'"
				       " AND lease_until='2026-08-03T06:10:00Z' AND state='sending'"), 2);
	/* A itself, within the lease: nothing to take back. */
	assert_int_equal(outbox_recover(f->db, now + 60, "A", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt + rec.released + rec.dead, 0);
	/* A's lease ended: taken back, even by A. */
	assert_int_equal(db_exec(f->db, "UPDATE outbox SET data_started = 1 WHERE id = 1", &e), 0);
	assert_int_equal(outbox_recover(f->db, now + 601, "A", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt, 1);
	assert_int_equal(rec.released, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=1 AND state='failed'"
				       " AND in_doubt=1 AND claim_owner IS NULL"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=2 AND state='failed'"
				       " AND in_doubt=0 AND attempts=1 AND data_started=0"
				       " AND next_attempt_at='2026-08-03T06:10:01Z'"), 1);
	/* Claimed by B, which is gone when C holds the lock (SQLite); on
	 * PostgreSQL B may be a daemon alive beside C: its claims are taken
	 * over only once their lease ended (live_lease_of_another_owner_...). */
	assert_int_equal(outbox_claim(f->db, now + 601, 2, "email", "B", now + 1200, &m, &n, &e),
			 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	assert_int_equal(outbox_recover(f->db, restart_at(now + 700, now + 1200), "C", &f->cfg,
					&rec, &e), 0);
	assert_int_equal(rec.in_doubt, 0);
	assert_int_equal(rec.released, 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state='sending'"), 0);
}

/* Nothing stuck forever: a message whose attempts keep ending without a
 * result (its process dies every time) is dead once its lifetime passed,
 * and alerted. */
static void lifetime_ends_stuck_messages(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	struct outbox_recovery rec;
	time_t now = at("2026-08-03T08:00");
	int n, dead;

	assert_int_equal(db_exec(f->db, "UPDATE staff SET mobile = NULL", &e), 0);
	/* Claimed, then the process dies, again and again for six days. */
	for (int day = 0; day < 7; day++) {
		time_t t = now + day * 86400;

		assert_int_equal(outbox_claim(f->db, t, 1, "email", "gone", t + 600, &m, &n, &e),
				 0);
		if (n == 0)
			break;
		outbox_msgs_free(m, n);
		assert_int_equal(outbox_recover(f->db, restart_at(t + 60, t + 600), "new", &f->cfg,
						&rec, &e), 0);
		assert_int_equal(rec.released + rec.dead, 1);
	}
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=1 AND state='dead'"
				       " AND last_error LIKE '%livslängden%'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"
				       " AND key='alert/dead/1'"), 1);
	/* A failed row past its lifetime (its process died before the result
	 * of the last attempt could make it dead) ends by the sweep. */
	assert_int_equal(db_exec(f->db, "UPDATE outbox SET state='failed', attempts=3,"
				 " next_attempt_at='2026-08-20T00:00:00Z', last_error='421 busy'"
				 " WHERE id=2", &e), 0);
	assert_int_equal(outbox_expire(f->db, at("2026-08-08T07:59"), &f->cfg, &dead, &e), 0);
	assert_int_equal(dead, 0);
	assert_int_equal(outbox_expire(f->db, at("2026-08-08T08:00:01"), &f->cfg, &dead, &e), 0);
	assert_int_equal(dead, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=2 AND state='dead'"
				       " AND last_error LIKE '%421 busy%'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE key='alert/dead/2'"), 1);
}

static void backoff_dead_and_alert(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	enum outbox_state st;
	time_t now = at("2026-08-03T08:00");
	int n, expect[] = { 300, 600, 1200, 2400, 4000, 4000 };

	/* Without a mobile number there is no channel to fall back to. */
	assert_int_equal(db_exec(f->db, "UPDATE staff SET mobile = NULL", &e), 0);

	for (int i = 0; i < 6; i++) {
		char sql[160];

		assert_int_equal(claim(f, now, 1, "email", &m, &n, &e), 0);
		assert_int_equal(n, 1);
		assert_int_equal(m[0].id, 1);
		assert_int_equal(outbox_done(f->db, &m[0], OUTBOX_TEMPFAIL, "421 try later", -1, now,
					     &f->cfg, &st, &e), 0);
		assert_int_equal(st, OB_FAILED);
		outbox_msgs_free(m, n);
		/* Not due before the backoff, due after it. */
		snprintf(sql, sizeof sql, "SELECT (julianday(next_attempt_at) - julianday('%s'))"
			 " * 86400 + 0.5 FROM outbox WHERE id = 1", "2026-08-03T06:00:00Z");
		assert_int_equal(tu_int(f->db, sql) - (now - at("2026-08-03T08:00")), expect[i]);
		now += expect[i];
	}
	/* Past the lifetime (5 days after creation): dead, one alert. */
	now = at("2026-08-08T08:00");
	assert_int_equal(claim(f, now, 1, "email", &m, &n, &e), 0);
	assert_int_equal(outbox_done(f->db, &m[0], OUTBOX_TEMPFAIL, "421 still", -1, now, &f->cfg,
				     &st, &e), 0);
	assert_int_equal(st, OB_DEAD);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"
				       " AND address='admin@ystad.example.se' AND key='alert/dead/1'"
				       " AND body LIKE '%backactl retry 1%'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"
				       " AND body LIKE '%Hej Åsa%'"), 0); /* never the text */
	/* Re-queued by an admin. */
	assert_int_equal(outbox_retry(f->db, 1, &e), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=1 AND state='pending'"), 1);
	assert_int_equal(outbox_retry(f->db, 1, &e), ERR_INVALID);
	assert_int_equal(outbox_retry(f->db, 99, &e), ERR_NOTFOUND);
}

static void permfail_and_sent_audit(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	enum outbox_state st;
	time_t now = at("2026-08-03T08:00");
	int n;

	assert_int_equal(claim(f, now, 2, "email", &m, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(outbox_done(f->db, &m[0], OUTBOX_SENT, "250 2.0.0 queued as X1", -1, now,
				     &f->cfg, &st, &e), 0);
	assert_int_equal(st, OB_SENT);
	assert_int_equal(outbox_done(f->db, &m[1], OUTBOX_PERMFAIL, "550 no such user", -1, now,
				     &f->cfg, &st, &e), 0);
	assert_int_equal(st, OB_DEAD);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit WHERE outbox_id=1"
				       " AND recipient_id=1 AND child_id=1 AND channel='email'"
				       " AND rule='referral_reminder' AND provider_id LIKE '250%'"
				       " AND categories='ärendereferens,datum'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit"), 1);
	/* The dead e-mail falls back to a short SMS that names no case; no alert. */
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE key='k2/fallback'"
				       " AND channel='sms' AND address='+46701234567' AND state='pending'"
				       " AND body NOT LIKE '%Hej%' AND subject IS NULL"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"), 0);
}

static void retry_after_and_sms_fallback(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct err e = { 0 };
	enum outbox_state st;
	time_t now = at("2026-08-03T09:00");
	int n;

	assert_int_equal(claim(f, now, 10, NULL, &m, &n, &e), 0);
	assert_int_equal(m[0].id, 4); /* the SMS */
	/* 429 with Retry-After: 120 is honoured instead of the backoff. */
	assert_int_equal(outbox_done(f->db, &m[0], OUTBOX_TEMPFAIL, "HTTP 429", 120, now,
				     &f->cfg, &st, &e), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=4 AND"
				       " next_attempt_at='2026-08-03T07:02:00Z'"), 1);
	outbox_msgs_free(m, n);
	now += 120;
	assert_int_equal(claim(f, now, 1, NULL, &m, &n, &e), 0);
	assert_int_equal(m[0].id, 4);
	/* 403: dead, and the same text goes by e-mail instead. */
	assert_int_equal(outbox_done(f->db, &m[0], OUTBOX_PERMFAIL, "HTTP 403: Not routable", -1,
				     now, &f->cfg, &st, &e), 0);
	assert_int_equal(st, OB_DEAD);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE key='k4/fallback'"
				       " AND channel='email' AND address='asa@ystad.example.se'"
				       " AND body LIKE 'Backa barnet: hej%' AND message_id <> '<k4@ystad.example.se>'"), 1);
	/* A fallback does not fall back again: it dies with an alert. */
	assert_int_equal(claim(f, now, 10, NULL, &m, &n, &e), 0);
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].key, "k4/fallback") == 0)
			assert_int_equal(outbox_done(f->db, &m[i], OUTBOX_PERMFAIL, "550 no", -1, now,
						     &f->cfg, &st, &e), 0);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE key LIKE '%fallback/fallback'"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"), 1);
}

static int fake_result;
static void fake_send(void *ctx, const struct outbox_msg *m, int n, struct send_result *res,
		      channel_done_fn *done, void *arg)
{
	(void)ctx;
	(void)m;
	for (int i = 0; i < n; i++) {
		res[i].code = fake_result;
		res[i].in_doubt = 0;
		res[i].retry_after = -1;
		snprintf(res[i].detail, sizeof res[i].detail, "%s",
			 fake_result ? "fake failure" : "fake");
		done(arg, i);
	}
}

static void pass_with_spool_and_quiet_hours(void **state)
{
	struct fx *f = *state;
	struct spool sp = { .dir = f->cfg.spool_dir, .cfg = &f->cfg };
	struct channel em, sms;
	struct deliver_stats st;
	struct err e = { 0 };
	struct stat sb;
	char path[600];
	time_t next;
	int any;

	spool_channel(&sp, 0, &em);
	spool_channel(&sp, 1, &sms);
	/* Saturday 2026-08-08 10:00: the due e-mail goes (k3 is due Monday), the
	 * SMS waits for Monday 07:30. */
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-08T10:00"), &st, &e), 0);
	assert_int_equal(st.sent, 2);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=4 AND state='pending'"), 1);
	assert_int_equal(deliver_sms_next(&f->cfg, at("2026-08-08T10:00")), at("2026-08-10T07:30"));
	assert_int_equal(deliver_sms_next(&f->cfg, at("2026-08-10T19:00")), at("2026-08-11T07:30"));
	assert_int_equal(outbox_next_due(f->db, NULL, at("2026-08-10T07:30"), &next, &any, &e), 0);
	assert_true(any);
	snprintf(path, sizeof path, "%s/email/1-k1_ystad.example.se.eml", f->cfg.spool_dir);
	assert_int_equal(stat(path, &sb), 0);
	/* For the service user and group backad, never others. */
	{
		mode_t mask = umask(0);

		umask(mask);
		assert_int_equal(sb.st_mode & 0777, 0660 & ~mask);
		assert_int_equal(sb.st_mode & 0007, 0);
	}
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-10T07:30"), &st, &e), 0);
	assert_int_equal(st.sent, 1);
	snprintf(path, sizeof path, "%s/sms/4.txt", f->cfg.spool_dir);
	assert_int_equal(stat(path, &sb), 0);
	/* Nothing is left half-written. */
	snprintf(path, sizeof path, "%s/tmp", f->cfg.spool_dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit"), 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state<>'sent'"), 1);
	assert_int_equal(outbox_next_due(f->db, NULL, at("2026-08-10T07:30"), &next, &any, &e), 0);
	assert_int_equal(next, at("2026-08-10T08:00"));
}

static void pass_with_failing_channel(void **state)
{
	struct fx *f = *state;
	struct channel fake = { "fake", fake_send, NULL };
	struct deliver_stats st;
	struct err e = { 0 };

	/* Monday 08:00: both e-mails and the SMS (inside its hours) are due.
	 * The recipient has left: no fallback, alerts instead. */
	assert_int_equal(db_exec(f->db, "UPDATE staff SET active = 0", &e), 0);
	fake_result = ERR_TEMPFAIL;
	assert_int_equal(deliver_pass(f->db, &f->cfg, &fake, &fake, at("2026-08-03T08:00"), &st, &e), 0);
	assert_int_equal(st.failed, 3);
	assert_non_null(strstr(st.last_error, "fake failure"));
	fake_result = ERR_PERMFAIL;
	assert_int_equal(deliver_pass(f->db, &f->cfg, &fake, &fake, at("2026-08-03T09:00"), &st, &e), 0);
	assert_int_equal(st.dead, 3);
	/* The alerts themselves go through the (failing) channel and die quietly. */
	assert_int_equal(deliver_pass(f->db, &f->cfg, &fake, &fake, at("2026-08-03T09:01"), &st, &e), 0);
	assert_int_equal(st.dead, 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='admin_alert'"), 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state IN"
				       " ('pending','sending')"), 1); /* only k3, not yet due */
}

static void rate_limits(void **state)
{
	struct fx *f = *state;
	struct spool sp = { .dir = f->cfg.spool_dir, .cfg = &f->cfg };
	struct channel em, sms;
	struct deliver_stats st;
	struct err e = { 0 };

	spool_channel(&sp, 0, &em);
	spool_channel(&sp, 1, &sms);
	/* One message an hour to an address: k1 goes, k2 (same address) waits. */
	f->cfg.rate_recipient = 1;
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-03T08:00"), &st, &e), 0);
	assert_int_equal(st.sent, 2); /* k1 and the SMS, to another address */
	assert_int_equal(st.deferred, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id=2 AND state='pending'"
				       " AND attempts=0 AND next_attempt_at='2026-08-03T07:00:00Z'"), 1);
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-03T09:00"), &st, &e), 0);
	assert_int_equal(st.sent, 1);
	/* One a minute in all: k2 went at 09:00, so k3 waits a minute. */
	f->cfg.rate_recipient = 0;
	f->cfg.rate_global = 1;
	assert_int_equal(db_exec(f->db, "UPDATE outbox SET due_at='2026-08-03T06:00:00Z'"
				 " WHERE id=3", &e), 0);
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-03T09:00:30"), &st, &e), 0);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-03T09:01:31"), &st, &e), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state='sent'"), 4);
}

static void unwritable_spool_is_temporary(void **state)
{
	struct fx *f = *state;
	struct spool sp = { .dir = "/proc/backad-no-such-dir", .cfg = &f->cfg };
	struct channel em, sms;
	struct deliver_stats st;
	struct err e = { 0 };

	spool_channel(&sp, 0, &em);
	spool_channel(&sp, 1, &sms);
	assert_int_equal(deliver_pass(f->db, &f->cfg, &em, &sms, at("2026-08-03T08:00"), &st, &e), 0);
	assert_int_equal(st.failed, 3);
	assert_int_equal(st.sent, 0);
	assert_non_null(strstr(st.last_error, "/proc/backad-no-such-dir"));
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state='failed'"
				       " AND last_error LIKE '%/proc/backad-no-such-dir%'"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claim_respects_time_and_state, setup, teardown),
		cmocka_unit_test_setup_teardown(crash_recovery_same_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(recovery_by_owner_and_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(lifetime_ends_stuck_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(backoff_dead_and_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(permfail_and_sent_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(retry_after_and_sms_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(pass_with_spool_and_quiet_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(pass_with_failing_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(rate_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(unwritable_spool_is_temporary, setup, teardown),
	};

	cal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
