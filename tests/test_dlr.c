/* test_dlr.c - SMS delivery reports: what Kannel's types and 46elks'
 * statuses mean; only the first report of a sent SMS (or one still being
 * sent: a report may overtake the gateway's answer) changes it, an
 * undeliverable one queues its text by e-mail (or an admin alert when the
 * person has no address), and repeated, late, unknown or mismatched
 * reports change nothing. */
#include "testutil.h"

#include "calendar.h"
#include "config.h"
#include "dlr.h"
#include "outbox.h"

static void report_meanings(void **state)
{
	(void)state;
	assert_int_equal(dlr_parse("1", NULL), DLR_DELIVERED);
	assert_int_equal(dlr_parse("2", NULL), DLR_UNDELIVERABLE);
	assert_int_equal(dlr_parse("16", NULL), DLR_UNDELIVERABLE);
	assert_int_equal(dlr_parse("8", NULL), DLR_INTERIM);
	assert_int_equal(dlr_parse("4", "delivered"), DLR_INTERIM); /* Kannel's type rules */
	assert_int_equal(dlr_parse("%d", NULL), DLR_INVALID);
	assert_int_equal(dlr_parse(NULL, "delivered"), DLR_DELIVERED);
	assert_int_equal(dlr_parse(NULL, "failed"), DLR_UNDELIVERABLE);
	assert_int_equal(dlr_parse(NULL, "sent"), DLR_INTERIM);
	assert_int_equal(dlr_parse(NULL, "Delivered"), DLR_INVALID);
	assert_int_equal(dlr_parse(NULL, NULL), DLR_INVALID);
}

static void first_report_counts_and_undeliverable_falls_back(void **state)
{
	char *dir = tu_mkdtemp();
	struct dbi *db = tu_db(dir);
	struct config cfg;
	struct err e = { 0 };
	enum outbox_dlr what;
	time_t now;

	(void)state;
	cal_init();
	assert_int_equal(config_defaults(&cfg, &e), 0);
	assert_int_equal(cal_parse_instant("2026-08-03T08:05", &now), 0);
	tu_exec(db,
		"INSERT INTO child(id,ref,birth_date) VALUES (1,'B-1','2020-01-01');"
		"INSERT INTO staff(id,code,name,email,mobile) VALUES"
		" (1,'a','Åsa','asa@ystad.example.se','+46701234567'),"
		" (2,'b','Bo',NULL,'+46701234568');"
		"INSERT INTO outbox(id,key,rule,child_id,recipient_id,channel,address,body,"
		"categories,message_id,due_at,created_at,state,provider_id) VALUES"
		" (1,'k1','followup_reminder',1,1,'sms','+46701234567','Backa barnet: 1','ärendereferens',"
		"  '<k1@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sent','200 s0001'),"
		" (2,'k2','followup_reminder',1,1,'sms','+46701234567','Backa barnet: 2','ärendereferens',"
		"  '<k2@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sent','200 s0002'),"
		" (3,'k3','followup_reminder',1,2,'sms','+46701234568','Backa barnet: 3','ärendereferens',"
		"  '<k3@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sent','202 0: Accepted'),"
		" (4,'k4','followup_reminder',1,1,'sms','+46701234567','Backa barnet: 4','ärendereferens',"
		"  '<k4@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','dead',NULL),"
		" (5,'k5','followup_reminder',1,1,'email','asa@ystad.example.se','Hej','',"
		"  '<k5@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sent',NULL),"
		" (6,'k6','followup_reminder',1,1,'sms','+46701234567','Backa barnet: 6','ärendereferens',"
		"  '<k6@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sending',NULL);"
		"INSERT INTO outbox_child VALUES (2, 1);");

	assert_int_equal(outbox_delivery_report(db, 1, "s0001", 1, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_RECORDED);
	assert_int_equal(tu_int(db, "SELECT delivery = 'delivered' AND delivery_at ="
				    " '2026-08-03T06:05:00Z' AND state = 'sent' FROM outbox WHERE id = 1"), 1);
	/* Twice, or late with another verdict: nothing changes. */
	assert_int_equal(outbox_delivery_report(db, 1, "s0001", 0, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_REPEATED);
	assert_int_equal(tu_int(db, "SELECT delivery = 'delivered' FROM outbox WHERE id = 1"), 1);
	/* The gateway's id must be the one it gave this SMS. */
	assert_int_equal(outbox_delivery_report(db, 2, "s0001", 0, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_UNKNOWN);
	assert_int_equal(tu_int(db, "SELECT delivery IS NULL FROM outbox WHERE id = 2"), 1);
	/* Undeliverable: its text by e-mail, naming the same child. */
	assert_int_equal(outbox_delivery_report(db, 2, "s0002", 0, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_RECORDED);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE key = 'k2/fallback' AND"
				    " origin = 'fallback' AND channel = 'email' AND state = 'pending'"
				    " AND address = 'asa@ystad.example.se' AND body LIKE 'Backa barnet: 2%'"),
			 1);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox_child WHERE outbox_id ="
				    " (SELECT id FROM outbox WHERE key = 'k2/fallback')"), 1);
	/* No e-mail address: an admin alert instead; no gateway id checked (Kannel). */
	assert_int_equal(outbox_delivery_report(db, 3, NULL, 0, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_RECORDED);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE key = 'alert/dead/3'"), 1);
	/* A report that overtakes the gateway's answer: the row is still
	 * being sent, with no gateway id yet to check. */
	assert_int_equal(outbox_delivery_report(db, 6, "s0006", 1, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_RECORDED);
	assert_int_equal(tu_int(db, "SELECT delivery = 'delivered' AND state = 'sending' FROM outbox"
				    " WHERE id = 6"), 1);
	/* Not a sent SMS, or no such row: nothing. */
	assert_int_equal(outbox_delivery_report(db, 4, NULL, 1, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_NOT_SENT);
	assert_int_equal(outbox_delivery_report(db, 5, NULL, 1, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_UNKNOWN);
	assert_int_equal(outbox_delivery_report(db, 99, NULL, 1, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_UNKNOWN);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE delivery IS NOT NULL"), 4);
	{
		long long ok, bad;

		assert_int_equal(outbox_delivery_counts(db, &ok, &bad, &e), 0);
		assert_int_equal(ok, 2);
		assert_int_equal(bad, 2);
	}
	db_close(db);
	config_clear(&cfg);
	tu_rmdir(dir);
}

/* A report that overtakes the gateway's answer (the row still in sending)
 * is recorded, and acted on only when the send's result is known: an
 * undeliverable one queues its fallback when the SMS is sent (not before,
 * not on top of a retry); a delivered one wins over a failed answer. */
static void report_before_send_result_waits_for_it(void **state)
{
	char *dir = tu_mkdtemp();
	struct dbi *db = tu_db(dir);
	struct config cfg;
	struct err e = { 0 };
	enum outbox_dlr what;
	enum outbox_state st;
	time_t now;
	struct outbox_msg m = {
		.child_id = 1, .recipient_id = 1, .rule = "followup_reminder", .channel = "sms",
		.address = "+46701234567", .body = "Backa barnet", .categories = "ärendereferens",
		.attempts = 1,
	};
	char key[8];

	(void)state;
	cal_init();
	assert_int_equal(config_defaults(&cfg, &e), 0);
	assert_int_equal(cal_parse_instant("2026-08-03T08:05", &now), 0);
	m.created = m.due = now - 60;
	tu_exec(db,
		"INSERT INTO child(id,ref,birth_date) VALUES (1,'B-1','2020-01-01');"
		"INSERT INTO staff(id,code,name,email,mobile) VALUES"
		" (1,'a','Åsa','asa@ystad.example.se','+46701234567');"
		"INSERT INTO outbox(id,key,rule,child_id,recipient_id,channel,address,body,"
		"categories,message_id,due_at,created_at,state) SELECT n, 'k' || n,"
		" 'followup_reminder',1,1,'sms','+46701234567','Backa barnet','ärendereferens',"
		" '<k' || n || '@x>','2026-08-03T06:00:00Z','2026-08-03T05:00:00Z','sending'"
		" FROM (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4) AS s;");
	m.key = key;

	/* 1: failed reported, then the gateway's answer "sent": the fallback now. */
	assert_int_equal(outbox_delivery_report(db, 1, NULL, 0, now, &cfg, &what, &e), 0);
	assert_int_equal(what, OUTBOX_DLR_RECORDED);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE origin = 'fallback'"), 0);
	m.id = 1, snprintf(key, sizeof key, "k1");
	assert_int_equal(outbox_done(db, &m, OUTBOX_SENT, "200 s1", 0, now, &cfg, &st, &e), 0);
	assert_int_equal(st, OB_SENT);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE key = 'k1/fallback'"), 1);

	/* 2: failed reported, then a temporary failure: retried, no fallback,
	 * and the retry's own report will count. */
	assert_int_equal(outbox_delivery_report(db, 2, NULL, 0, now, &cfg, &what, &e), 0);
	m.id = 2, snprintf(key, sizeof key, "k2");
	assert_int_equal(outbox_done(db, &m, OUTBOX_TEMPFAIL, "503", 0, now, &cfg, &st, &e), 0);
	assert_int_equal(st, OB_FAILED);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE key = 'k2/fallback'"), 0);
	assert_int_equal(tu_int(db, "SELECT delivery IS NULL FROM outbox WHERE id = 2"), 1);

	/* 3: delivered reported, then the answer failed for good: it is sent
	 * (the handset has it), no fallback, no alert. 4: the same with a
	 * temporary failure: sent, not retried. */
	assert_int_equal(outbox_delivery_report(db, 3, NULL, 1, now, &cfg, &what, &e), 0);
	m.id = 3, snprintf(key, sizeof key, "k3");
	assert_int_equal(outbox_done(db, &m, OUTBOX_PERMFAIL, "400", 0, now, &cfg, &st, &e), 0);
	assert_int_equal(st, OB_SENT);
	assert_int_equal(outbox_delivery_report(db, 4, NULL, 1, now, &cfg, &what, &e), 0);
	m.id = 4, snprintf(key, sizeof key, "k4");
	assert_int_equal(outbox_done(db, &m, OUTBOX_TEMPFAIL, "503", 0, now, &cfg, &st, &e), 0);
	assert_int_equal(st, OB_SENT);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE id IN (3, 4) AND"
				    " state = 'sent' AND delivery = 'delivered'"), 2);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM outbox WHERE key IN"
				    " ('k3/fallback', 'k4/fallback', 'alert/dead/3', 'alert/dead/4')"), 0);
	assert_int_equal(tu_int(db, "SELECT count(*) FROM audit WHERE outbox_id IN (1, 3, 4)"), 3);
	db_close(db);
	config_clear(&cfg);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_meanings),
		cmocka_unit_test(first_report_counts_and_undeliverable_falls_back),
		cmocka_unit_test(report_before_send_result_waits_for_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
