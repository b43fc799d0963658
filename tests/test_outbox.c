/* test_outbox.c - the outbox state machine and a delivery pass: claiming,
 * crash recovery with the same identity, backoff and its cap, dead letters
 * with exactly one admin alert, permanent failures, retry, the audit row of a
 * sent message, SMS quiet hours, and the file spool (its starts recorded
 * before its writes); a result the database refuses; claims of several
 * daemons on one database (connections of their own, at the same time). */
#include "testutil.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "calendar.h"
#include "config.h"
#include "deliver.h"
#include "lock.h"
#include "outbox.h"
#include "spool.h"
#include "templates.h"

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

/* A synchronous channel (the file spool's kind) that, when it writes a
 * message, notes whether the message's start was recorded, and counts the
 * writes of each row. */
struct noting {
	struct dbi *db;
	int writes, started, sent_of[8];
};

static void noting_send(void *ctx, const struct outbox_msg *m, int n, struct send_result *res,
			channel_done_fn *done, void *arg)
{
	struct noting *w = ctx;
	char sql[96];

	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof sql, "SELECT data_started FROM outbox WHERE id = %lld", m[i].id);
		w->started += tu_int(w->db, sql) == 1;
		w->writes++;
		if (m[i].id >= 0 && m[i].id < 8)
			w->sent_of[m[i].id]++;
		res[i].code = 0;
		res[i].retry_after = -1;
		snprintf(res[i].detail, sizeof res[i].detail, "written");
		done(arg, i);
	}
}

/* The spool path left data_started 0: a crash after a spool file was
 * written and before its result was recorded resent it as new, not in
 * doubt. Its start is recorded before the write, as other channels' are. */
static void spool_write_is_marked_started_so_a_crash_after_it_is_in_doubt(void **state)
{
	struct fx *f = *state;
	struct noting w = { .db = f->db };
	struct channel ch = { "noting", noting_send, &w };
	struct deliver_stats st;
	struct err e = { 0 };

	assert_int_equal(deliver_pass(f->db, &f->cfg, &ch, &ch, at("2026-08-03T08:00"), &st, &e), 0);
	assert_int_equal(st.sent, 3);
	assert_int_equal(w.writes, 3);
	assert_int_equal(w.started, 3);
	/* Recorded as sent, the mark is cleared. */
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state = 'sent'"
				       " AND data_started = 0"), 3);
}

/* E-mail and SMS through one noting channel, synchronously, as the spool
 * goes: the deliveries of the tests of unrecordable records. */
struct two_channels {
	struct noting w;
	struct channel ch;
	struct transport te, ts;
	struct delivery d;
};

static void two_channels(struct two_channels *t, struct fx *f)
{
	memset(t, 0, sizeof *t);
	t->w.db = f->db;
	t->ch = (struct channel){ "noting", noting_send, &t->w };
	transport_sync(&t->te, &t->ch, DELIVER_BATCH);
	transport_sync(&t->ts, &t->ch, DELIVER_BATCH);
	delivery_init(&t->d, f->db, &f->cfg, "test");
	delivery_add(&t->d, "email", &t->te, NULL, NULL);
	delivery_add(&t->d, "sms", &t->ts, deliver_sms_allowed, deliver_sms_next);
}

/* A result the database refuses for good (here no audit row can be written,
 * as without the permission on the audit table) was retried, given up,
 * recovered at the lease's end and sent again, over and over, with no alert.
 * It is tried DELIVER_RECORD_TRIES times, then its message is dead and in
 * doubt with the reason, the administrator alerted, and nothing is resent. */
static void unrecordable_result_is_given_up_dead_alerted_and_not_resent(void **state)
{
	struct fx *f = *state;
	struct two_channels t;
	struct deliver_stats st;
	struct err e = { 0 };
	struct outbox_recovery rec;
	time_t now = at("2026-08-03T08:00");

	if (tu_pg())
		tu_exec(f->db, "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS"
			       " 'BEGIN RAISE EXCEPTION ''permission denied for table audit''"
			       " USING ERRCODE = ''insufficient_privilege''; END';"
			       "CREATE TRIGGER no_audit BEFORE INSERT ON audit FOR EACH ROW"
			       " EXECUTE FUNCTION no_audit()");
	else
		tu_exec(f->db, "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN"
			       " SELECT RAISE(ABORT, 'permission denied for table audit'); END");
	two_channels(&t, f);
	assert_int_equal(delivery_pump(&t.d, now, &e), 0);
	for (int i = 0; i < DELIVER_RECORD_TRIES; i++)
		assert_true(delivery_sync(&t.d, now, &e) < 0);
	assert_int_equal(t.w.writes, 3);
	assert_int_equal(t.d.nrec, 0);     /* nothing left to try */
	assert_int_equal(t.d.batches, 0);
	delivery_take_stats(&t.d, &st);
	assert_int_equal(st.unrecorded, 3);
	assert_int_equal(st.dead, 3);
	assert_non_null(strstr(st.unrecorded_error, "permission denied for table audit"));
	delivery_free(&t.d);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id IN (1, 2, 4)"
				       " AND state = 'dead' AND in_doubt = 1 AND data_started = 0"
				       " AND last_error LIKE 'resultatet kunde inte sparas:%audit%'"), 3);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule = 'admin_alert'"
				       " AND key LIKE 'alert/unrecorded/%' AND state = 'pending'"
				       " AND body LIKE '%backactl retry%'"), 3);
	/* Long past every lease: nothing to take back, nothing sent again. */
	assert_int_equal(outbox_recover(f->db, now + 86400, "test2", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt + rec.released + rec.dead, 0);
	/* A pass sends the alerts (whose own results fail to record too). */
	(void)deliver_pass(f->db, &f->cfg, &t.ch, &t.ch, now + 86400, &st, &e);
	assert_true(t.w.writes > 3);
	assert_int_equal(t.w.sent_of[1] + t.w.sent_of[2] + t.w.sent_of[4], 3);
}

/* A start the database refuses for one message (here a trigger; a full
 * disk, a read-only server after a failover) was dropped: its batch waited
 * for every start for ever, the other messages of the batch stayed
 * claimed and unsent, and the daemon could neither reload nor stop. The
 * message goes without its start recorded; the batch goes whole. */
static void refused_start_stopped_its_whole_batch(void **state)
{
	struct fx *f = *state;
	struct two_channels t;
	struct deliver_stats st;
	struct err e = { 0 };
	time_t now = at("2026-08-03T08:00");

	if (tu_pg())
		tu_exec(f->db, "CREATE FUNCTION no_start() RETURNS trigger LANGUAGE plpgsql AS"
			       " 'BEGIN IF NEW.id = 2 AND NEW.data_started = 1 THEN RAISE EXCEPTION"
			       " ''disk full'' USING ERRCODE = ''disk_full''; END IF; RETURN NEW; END';"
			       "CREATE TRIGGER no_start BEFORE UPDATE ON outbox FOR EACH ROW"
			       " EXECUTE FUNCTION no_start()");
	else
		tu_exec(f->db, "CREATE TRIGGER no_start BEFORE UPDATE OF data_started ON outbox"
			       " WHEN NEW.id = 2 AND NEW.data_started = 1 BEGIN"
			       " SELECT RAISE(ABORT, 'disk full'); END");
	two_channels(&t, f);
	assert_int_equal(delivery_pump(&t.d, now, &e), 0);
	for (int i = 0; i < DELIVER_RECORD_TRIES + 1 && (t.d.batches || t.d.nrec); i++)
		(void)delivery_sync(&t.d, now, &e);
	assert_int_equal(t.d.batches, 0);
	assert_int_equal(t.d.nrec, 0);
	assert_true(delivery_quiet(&t.d));
	delivery_take_stats(&t.d, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(t.w.sent_of[1] + t.w.sent_of[2] + t.w.sent_of[4], 3);
	assert_non_null(strstr(st.unrecorded_error, "its start could not be recorded"));
	delivery_free(&t.d);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id IN (1, 2, 4)"
				       " AND state = 'sent'"), 3);
}

/* ---- several daemons on one database ---- */

/* Another connection to f's database, as a second daemon opens it. */
static struct dbi *open_again(struct fx *f)
{
	struct err e = { 0 };
	struct dbi *db = NULL;
	char *where = NULL;
	PGconn *c = dbi_pg(f->db);

	if (c)
		assert_true(asprintf(&where, "host=%s port=%s user=%s dbname=%s", PQhost(c),
				     PQport(c), PQuser(c), PQdb(c)) > 0);
	else
		assert_true(asprintf(&where, "%s/case.db", f->dir) > 0);
	if (db_open(where, 0, &db, &e) < 0)
		fail_msg("db_open: %s", e.msg);
	free(where);
	return db;
}

/* n more e-mails due Monday 08:00, ids from first; digest_key: NULL, or
 * the key each row is an item of. */
static void add_due_rows(struct fx *f, int first, int n, const char *digest_key)
{
	size_t cap = (size_t)n * 400 + 400, len = 0;
	char *q = malloc(cap);

	assert_non_null(q);
	len += (size_t)snprintf(q + len, cap - len,
				"INSERT INTO outbox(id,key,rule,child_id,recipient_id,channel,address,"
				"subject,body,categories,message_id,due_at,created_at,digest_key)"
				" VALUES");
	for (int i = 0; i < n; i++) {
		int id = first + i;

		len += (size_t)snprintf(q + len, cap - len,
					"%s (%d,'m%d','referral_reminder',1,1,'email',"
					"'asa@ystad.example.se','Påminnelse','Hej %d\n',"
					"'ärendereferens','<m%d@ystad.example.se>',"
					"'2026-08-03T06:00:00Z','2026-08-03T05:00:00Z',%s%s%s)",
					i ? "," : "", id, id, id, id, digest_key ? "'" : "",
					digest_key ? digest_key : "NULL", digest_key ? "'" : "");
	}
	tu_exec(f->db, q);
	free(q);
}

/* One daemon's claims in a thread of its own: batches of 7 until none is
 * left; the ids it got, and its first error. */
struct claimer {
	struct dbi *db;
	const char *owner;
	const struct templates *tpl;
	struct config *cfg;
	pthread_barrier_t *start;
	long long ids[2000];
	int n, r;
	struct err e;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	time_t now;

	cal_parse_instant("2026-08-03T08:00", &now);
	pthread_barrier_wait(c->start);
	for (;;) {
		struct outbox_msg *m = NULL;
		int n = 0;

		c->r = outbox_claim_digests(c->db, now, 7, NULL, c->owner, now + 600, c->tpl,
					    c->cfg, &m, &n, &c->e);
		if (c->r < 0 || n == 0) {
			outbox_msgs_free(m, n);
			break;
		}
		for (int i = 0; i < n; i++)
			for (int k = 0; k < (m[i].parts ? m[i].n_parts : 1); k++)
				if (c->n < 2000)
					c->ids[c->n++] = m[i].parts ? m[i].parts[k].id : m[i].id;
		outbox_msgs_free(m, n);
	}
	return NULL;
}

/* Two claimers start at once, each on its own connection; every due row
 * (due before) is claimed once, by one of them. */
static void claim_concurrently(struct fx *f, const struct templates *tpl)
{
	struct claimer *c = calloc(2, sizeof *c);
	pthread_barrier_t start;
	pthread_t th[2];
	int due, all = 0;
	char *seen;

	assert_non_null(c);
	due = tu_int(f->db, "SELECT count(*) FROM outbox WHERE state IN ('pending','failed')"
			    " AND due_at <= '2026-08-03T06:00:00Z'");
	seen = calloc(4096, 1);
	assert_non_null(seen);
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		c[i].db = open_again(f);
		c[i].owner = i ? "daemon-b" : "daemon-a";
		c[i].tpl = tpl;
		c[i].cfg = &f->cfg;
		c[i].start = &start;
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, claim_all, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < 2; i++) {
		if (c[i].r < 0)
			fail_msg("%s: %s", c[i].owner, c[i].e.msg);
		for (int k = 0; k < c[i].n; k++) {
			assert_true(c[i].ids[k] > 0 && c[i].ids[k] < 4096);
			/* never the same row twice, in one claimer or both */
			assert_int_equal(seen[c[i].ids[k]], 0);
			seen[c[i].ids[k]] = 1;
		}
		all += c[i].n;
		db_close(c[i].db);
	}
	assert_int_equal(all, due);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state = 'sending'"
				       " AND claim_owner IN ('daemon-a','daemon-b')"
				       " AND lease_until = '2026-08-03T06:10:00Z'"), due);
	free(seen);
	free(c);
}

static void concurrent_claims_never_take_the_same_row(void **state)
{
	struct fx *f = *state;

	add_due_rows(f, 100, 400, NULL);
	claim_concurrently(f, NULL);
}

/* The same for digests: many keys of a few items, claimed by two daemons
 * at once; a set goes whole to one of them, under one Message-ID. */
static void concurrent_digest_claims_never_take_the_same_item(void **state)
{
	struct fx *f = *state;
	struct templates *tpl = NULL;
	struct err e = { 0 };
	char key[32];

	if (templates_load("templates/sv", &tpl, NULL, NULL, &e) < 0)
		fail_msg("templates: %s", e.msg);
	for (int k = 0; k < 40; k++) {
		snprintf(key, sizeof key, "digest/k%d", k);
		add_due_rows(f, 100 + k * 5, 5, key);
	}
	claim_concurrently(f, tpl);
	/* One Message-ID per set, none shared by two sets. */
	assert_int_equal(tu_int(f->db, "SELECT count(DISTINCT digest_id) FROM outbox"
				       " WHERE digest_key IS NOT NULL"),
			 tu_int(f->db, "SELECT count(*) FROM (SELECT digest_id FROM outbox"
				       " WHERE digest_key IS NOT NULL GROUP BY digest_id"
				       " HAVING count(DISTINCT claim_owner) = 1) AS s"));
	templates_free(tpl);
}

/* PostgreSQL: rows another daemon's claim holds locked are skipped at once,
 * not waited for (the claim would fail after lock_timeout if it waited). */
static void claim_skips_rows_another_claim_holds_without_waiting(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct dbi *other;
	struct err e = { 0 };
	int n;

	if (!tu_pg())
		skip(); /* SQLite has one writer at a time: no row locks to skip */
	other = open_again(f);
	assert_int_equal(dbi_exec(f->db, "SET lock_timeout = '2s'", &e), 0);
	assert_int_equal(dbi_exec(other, "BEGIN; SELECT id FROM outbox WHERE id IN (1, 4)"
					 " FOR UPDATE", &e), 0);
	assert_int_equal(claim(f, at("2026-08-03T08:00"), 10, NULL, &m, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].id, 2);
	outbox_msgs_free(m, n);
	dbi_rollback(other);
	assert_int_equal(claim(f, at("2026-08-03T08:00"), 10, NULL, &m, &n, &e), 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	db_close(other);
}

/* PostgreSQL: a digest set claimed before (one Message-ID) of which
 * another daemon's claim holds an item goes whole later, never split into
 * two messages under one Message-ID. */
static void digest_set_partly_held_elsewhere_waits_to_go_whole(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct templates *tpl = NULL;
	struct dbi *other;
	struct err e = { 0 };
	time_t now = at("2026-08-03T08:00");
	int n;

	if (!tu_pg())
		skip(); /* SQLite has one writer at a time: no row locks to skip */
	if (templates_load("templates/sv", &tpl, NULL, NULL, &e) < 0)
		fail_msg("templates: %s", e.msg);
	add_due_rows(f, 100, 3, "digest/set");
	tu_exec(f->db, "UPDATE outbox SET state = 'failed', attempts = 1,"
		       " digest_id = '<set@ystad.example.se>' WHERE id >= 100");
	other = open_again(f);
	assert_int_equal(dbi_exec(other, "BEGIN; SELECT id FROM outbox WHERE id = 101 FOR UPDATE",
				  &e), 0);
	assert_int_equal(outbox_claim_digests(f->db, now, 10, "email", "daemon-a", now + 600, tpl,
					      &f->cfg, &m, &n, &e), 0);
	assert_int_equal(n, 2); /* rows 1 and 2; the set waits */
	for (int i = 0; i < n; i++)
		assert_true(m[i].id < 100 && !m[i].parts);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id >= 100"
				       " AND state = 'failed'"), 3);
	dbi_rollback(other);
	assert_int_equal(outbox_claim_digests(f->db, now, 10, "email", "daemon-a", now + 600, tpl,
					      &f->cfg, &m, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].n_parts, 3);
	assert_string_equal(m[0].message_id, "<set@ystad.example.se>");
	outbox_msgs_free(m, n);
	db_close(other);
	templates_free(tpl);
}

/* A daemon died holding claims (kill -9, its host gone): once their lease
 * ended, another daemon takes them over, and they go with the Message-IDs
 * they had. */
static void expired_lease_of_another_owner_is_taken_over_with_its_message_id(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct outbox_recovery rec;
	struct err e = { 0 };
	time_t now = at("2026-08-03T08:00");
	int n;

	assert_int_equal(outbox_claim(f->db, now, 2, "email", "daemon-a", now + 600, &m, &n, &e),
			 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	tu_exec(f->db, "UPDATE outbox SET data_started = 1 WHERE id = 1");
	assert_int_equal(outbox_recover(f->db, now + 601, "daemon-b", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt, 1);
	assert_int_equal(rec.released, 1);
	assert_int_equal(outbox_claim(f->db, now + 601, 2, "email", "daemon-b", now + 1200, &m, &n,
				      &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].id, 1);
	assert_string_equal(m[0].message_id, "<k1@ystad.example.se>");
	assert_int_equal(m[0].in_doubt, 1);
	assert_string_equal(m[1].message_id, "<k2@ystad.example.se>");
	assert_int_equal(m[1].in_doubt, 0);
	outbox_msgs_free(m, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id IN (1, 2)"
				       " AND state = 'sending' AND claim_owner = 'daemon-b'"
				       " AND message_id = '<k' || id || '@ystad.example.se>'"), 2);
}

/* PostgreSQL: a claim whose lease runs is its daemon's, alive beside this
 * one: recovery leaves it alone. */
static void live_lease_of_another_owner_is_not_taken_over(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct outbox_recovery rec;
	struct err e = { 0 };
	time_t now = at("2026-08-03T08:00");
	int n;

	if (!tu_pg())
		skip(); /* SQLite: one daemon holds the lock, another owner is gone */
	assert_int_equal(outbox_claim(f->db, now, 2, "email", "daemon-a", now + 600, &m, &n, &e),
			 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	tu_exec(f->db, "UPDATE outbox SET data_started = 1 WHERE id = 1");
	assert_int_equal(outbox_recover(f->db, now + 599, "daemon-b", &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.in_doubt + rec.released + rec.dead, 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE state = 'sending'"
				       " AND claim_owner = 'daemon-a'"
				       " AND lease_until = '2026-08-03T06:10:00Z'"), 2);
	assert_int_equal(outbox_claim(f->db, now + 599, 10, "email", "daemon-b", now + 1200, &m,
				      &n, &e), 0);
	assert_int_equal(n, 0);
	outbox_msgs_free(m, n);
}

/* The pid of a process of this boot that has ended. */
static pid_t dead_pid(void)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	return child;
}

/* A daemon of this host killed with kill -9 and started again (a new pid,
 * so a new owner) got its old claims back only when their lease ended:
 * minutes of delay for each kill. A claim of a process of this boot that no
 * longer runs is taken back at once; one of a running process (this
 * process's parent stands for another live daemon) still waits. */
static void restarted_daemon_waited_for_its_dead_predecessors_leases(void **state)
{
	struct fx *f = *state;
	struct outbox_msg *m = NULL;
	struct outbox_recovery rec;
	struct err e = { 0 };
	time_t now = at("2026-08-03T08:00");
	char dead[128], alive[128], sql[400];
	const char *boot = strchr(instance_owner(), '@');
	pid_t child;
	int n;

	if (!tu_pg())
		skip(); /* SQLite: the one delivering daemon takes every other owner's claims */
	child = dead_pid();
	snprintf(dead, sizeof dead, "%ld%s", (long)child, boot);
	assert_int_equal(instance_owner_of((long)getppid(), alive, sizeof alive), 0);
	assert_int_equal(instance_gone(dead), 1);
	assert_int_equal(instance_gone(alive), 0);
	assert_int_equal(instance_gone(instance_owner()), 0);
	assert_int_equal(instance_gone("1@another-boot"), 0);
	assert_int_equal(outbox_claim(f->db, now, 2, "email", dead, now + 600, &m, &n, &e), 0);
	assert_int_equal(n, 2);
	outbox_msgs_free(m, n);
	snprintf(sql, sizeof sql, "UPDATE outbox SET claim_owner = '%s' WHERE id = 2", alive);
	tu_exec(f->db, sql);
	assert_int_equal(outbox_recover(f->db, now + 1, instance_owner(), &f->cfg, &rec, &e), 0);
	assert_int_equal(rec.released, 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id = 1 AND state = 'failed'"
				       " AND claim_owner IS NULL"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE id = 2"
				       " AND state = 'sending'"), 1);
}

/* A daemon in a container on the same host and boot (another PID
 * namespace) has pids of its own: one of them that does not run here was
 * taken for dead, and its live claims were taken and sent again. Only a
 * process of this boot and this PID namespace is looked up; and a pid of
 * ours taken by another process since names another owner (its start). */
static void daemon_in_another_pid_namespace_kept_its_claims(void **state)
{
	const char *me = instance_owner(), *at = strchr(me, '@');
	const char *ns = strchr(at, '/'), *start = strrchr(me, '/');
	char owner[200], parent[200];
	pid_t child;

	(void)state;
	assert_non_null(ns);
	assert_true(start > ns); /* PID@BOOT-ID/PID-NAMESPACE/START */
	child = dead_pid();
	snprintf(owner, sizeof owner, "%ld%s", (long)child, at);
	assert_int_equal(instance_where(owner), INSTANCE_HERE);
	assert_int_equal(instance_gone(owner), 1);
	snprintf(owner, sizeof owner, "%ld%.*s/4026539999/12345", (long)child, (int)(ns - at), at);
	assert_int_equal(instance_where(owner), INSTANCE_OTHER_NAMESPACE);
	assert_int_equal(instance_gone(owner), 0);
	snprintf(owner, sizeof owner, "%ld%.*s", (long)child, (int)(start - at), at);
	assert_int_equal(instance_where(owner), INSTANCE_ELSEWHERE); /* no start: an older form */
	assert_int_equal(instance_gone(owner), 0);
	/* The parent runs; named with another start it is a pid taken since. */
	assert_int_equal(instance_owner_of((long)getppid(), parent, sizeof parent), 0);
	assert_int_equal(instance_gone(parent), 0);
	snprintf(owner, sizeof owner, "%.*s/1", (int)(strrchr(parent, '/') - parent), parent);
	assert_int_equal(instance_gone(owner), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(daemon_in_another_pid_namespace_kept_its_claims),
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
		cmocka_unit_test_setup_teardown(
			spool_write_is_marked_started_so_a_crash_after_it_is_in_doubt, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			unrecordable_result_is_given_up_dead_alerted_and_not_resent, setup,
			teardown),
		cmocka_unit_test_setup_teardown(refused_start_stopped_its_whole_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_claims_never_take_the_same_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(concurrent_digest_claims_never_take_the_same_item,
						setup, teardown),
		cmocka_unit_test_setup_teardown(claim_skips_rows_another_claim_holds_without_waiting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(digest_set_partly_held_elsewhere_waits_to_go_whole,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			expired_lease_of_another_owner_is_taken_over_with_its_message_id, setup,
			teardown),
		cmocka_unit_test_setup_teardown(live_lease_of_another_owner_is_not_taken_over, setup,
						teardown),
		cmocka_unit_test_setup_teardown(restarted_daemon_waited_for_its_dead_predecessors_leases,
						setup, teardown),
	};

	cal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
