/* test_plan_regress.c - regressions of planning by subject: facts recorded
 * late, rows the planner did not make, disclosure at send time, one bad row,
 * downtime, and the audit of digests. Each test is named after the failure
 * it guards against. */
#include "plan_fixture.h"

#include "outbox.h"
#include "smstext.h"
#include "utf8.h"

/* Claim every due message at now and record res for each. */
static int settle(struct fx *f, const char *when, enum outbox_result res)
{
	struct outbox_msg *msgs = NULL;
	enum outbox_state state;
	struct err e = { 0 };
	int n = 0;

	if (outbox_claim(f->db, at(when), 100, NULL, "test", at(when) + 600, &msgs, &n, &e) < 0)
		fail_msg("claim: %s", e.msg);
	for (int i = 0; i < n; i++)
		if (outbox_done(f->db, &msgs[i], res, res == OUTBOX_SENT ? "ok" : "550 nej", -1,
				at(when), &f->cfg, &state, &e) < 0)
			fail_msg("done: %s", e.msg);
	outbox_msgs_free(msgs, n);
	return n;
}

/* A referral and its decision registered days after their dates: the
 * reporter still gets the receipt and the outcome, intake the task. */
static void late_referral_left_reporter_without_answer(void **state)
{
	struct fx *f;
	char *body;

	(void)state;
	f = fx_new();
	f->cfg.lookback_days = 0;
	run(f, "2026-07-28T10:00:00"); /* backad runs before the facts come */
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date,"
	       "decision_date,outcome) VALUES (4,3,6,4,'2026-07-29','2026-07-30','not_opened')");
	run(f, "2026-08-03T10:00:00");
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=6"), 1);
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=4"), 1);
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id=6"), 1);
	/* Due now, not at the fact's date. */
	body = one(f, "due_at", "rule='referral_feedback'");
	assert_string_equal(body, "2026-08-03T08:00:00Z"); /* 10:00 CEST */
	free(body);
	body = one(f, "body", "rule='referral_feedback'");
	assert_non_null(strstr(body, "ingen utredning inleds"));
	free(body);
	/* Told once (it went out): later passes and a new officer change
	 * nothing. */
	settle(f, "2026-08-03T10:01:00", OUTBOX_SENT);
	run(f, "2026-08-03T11:00:00");
	sql(f, "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (4,'intake_officer',5,'2026-08-01')");
	run(f, "2026-08-04T08:00:00");
	assert_int_equal(count(f, "rule LIKE 'referral_%'"), 3);
	fx_free(f);
}

/* The reporter left the school before the decision: the answer goes to the
 * principal of the reporting unit, never into the void. */
static void reporter_left_without_answer(void **state)
{
	struct fx *f;
	char *body;

	(void)state;
	f = fx_new();
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (6,3,6,3,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=6"), 1);
	settle(f, "2026-09-01T09:01:00", OUTBOX_SENT);
	sql(f, "UPDATE staff SET active=0 WHERE id=6;"
	       "UPDATE referral SET decision_date='2026-09-08', outcome='opened' WHERE id=6");
	run(f, "2026-09-08T09:00:00");
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id=6"), 0);
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id=3"), 1);
	body = one(f, "body", "rule='referral_feedback'");
	assert_non_null(strstr(body, "har slutat"));
	assert_non_null(strstr(body, "en utredning har inletts"));
	free(body);
	/* The receipt told to the reporter is not told again to the principal. */
	assert_int_equal(count(f, "rule='referral_receipt'"), 1);
	fx_free(f);
}

/* A referral registered after its reminders' dates: no stale reminder. */
static void late_referral_sent_stale_reminders(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	f->cfg.lookback_days = 0;
	run(f, "2026-06-30T10:00:00");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (5,3,6,4,'2026-07-01')");
	run(f, "2026-08-03T10:00:00");
	assert_int_equal(count(f, "rule='referral_receipt'"), 1);
	assert_int_equal(count(f, "rule='referral_reminder'"), 0);
	fx_free(f);
}

/* A referral recorded weeks late reached only the first of two intake
 * officers; both are told, and the ones who hold the role now. */
static void late_referral_reached_one_officer(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO unit_role(unit_id,role,staff_id,start_date) VALUES"
	       " (4,'intake_officer',8,'2020-01-01')");
	run(f, "2026-08-01T10:00:00");
	sql(f, "UPDATE unit_role SET end_date='2026-07-15' WHERE staff_id=8;"
	       "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (4,'intake_officer',7,'2026-07-16')");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (9,3,6,4,'2026-07-01')");
	run(f, "2026-08-03T10:00:00");
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=4"), 1);
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=7"), 1);
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=8"), 0); /* left */
	fx_free(f);
}

/* An old event not yet sent whose recipient changes: the new one gets it,
 * nothing is cancelled into silence. */
static void pending_event_lost_when_recipient_changed(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	run(f, "2026-08-01T10:00:00");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (9,3,6,3,4,'2026-07-01')");
	run(f, "2026-08-03T10:00:00");
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=6 AND state='pending'"), 1);
	sql(f, "UPDATE staff SET active=0 WHERE id=6");
	run(f, "2026-08-03T11:00:00");
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=3 AND state='pending'"), 1);
	fx_free(f);
}

/* A follow-up deleted with no message pending kept its task open. */
static void deleted_followup_kept_task_open(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO followup(id,child_id,responsible_id,due_date) VALUES (2,1,3,'2026-09-30')");
	run(f, "2026-09-01T09:00:00");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='followup/2'"
				       " AND state='open'"), 1);
	sql(f, "DELETE FROM followup WHERE id=2");
	run(f, "2026-09-01T10:00:00");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='followup/2'"
				       " AND state='open'"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM plan_wake"
				       " WHERE subject_key='followup:2'"), 0);
	fx_free(f);
}

/* Two children whose long references differ only at the end. */
static void long_child_reference_cut(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "UPDATE child SET ref='ÖSTRA-ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ-0003' WHERE id=3");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (9,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	assert_int_equal(count(f, "rule='referral_receipt'"
				  " AND body LIKE '%ÖSTRA-ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ-0003/A9%'"), 1);
	fx_free(f);
}

/* A database that held last year's referrals before backad's first pass:
 * history, not news; but the open one is a task. */
static void first_pass_told_history_as_news(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date,"
	       "decision_date,outcome) VALUES (1,3,6,4,'2025-03-01','2025-03-10','opened');"
	       "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (2,1,6,4,'2026-07-01')");
	run(f, "2026-08-03T10:00:00");
	assert_int_equal(count(f, "rule LIKE 'referral_%' AND state <> 'cancelled'"), 0);
	assert_int_equal(count(f, "origin = 'history' AND rule = 'referral_feedback'"), 1);
	/* ...and the next passes do not take it for news either. */
	run(f, "2026-08-03T11:00:00");
	run(f, "2026-08-04T09:00:00");
	assert_int_equal(count(f, "rule LIKE 'referral_%' AND state <> 'cancelled'"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='referral/2'"
				       " AND state='open'"), 1);
	fx_free(f);
}

/* A dead e-mail's SMS fallback and the admin alert survive later passes. */
static void planner_cancelled_fallback_it_did_not_make(void **state)
{
	struct fx *f;

	(void)state;
	f = fx_new();
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (7,1,6,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	assert_int_equal(settle(f, "2026-03-18T10:16:00", OUTBOX_PERMFAIL), 2);
	assert_int_equal(count(f, "origin='fallback' AND state='pending'"), 2);
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (8,3,6,4,'2026-03-19')");
	run(f, "2026-03-19T08:00:00");
	run(f, "2026-03-20T08:00:00");
	assert_int_equal(count(f, "origin='fallback' AND state='pending'"), 2);
	assert_int_equal(count(f, "state='cancelled'"), 0);
	fx_free(f);
}

/* A named handover e-mail that failed once is retried after the consent was
 * withdrawn: it must not carry the name, and is not claimed while it does. */
static void retry_disclosed_name_after_consent_withdrawn(void **state)
{
	struct fx *f;
	char *body;

	(void)state;
	f = fx_new();
	sql(f, "INSERT INTO consent(child_id,scope,given_by,given_date)"
	       " VALUES (2,'handover','guardian','2026-08-01')");
	run(f, "2026-08-31T08:00:00");
	body = one(f, "body", "rule='handover_incoming'");
	assert_non_null(strstr(body, "Ture Ek"));
	free(body);
	assert_int_equal(settle(f, "2026-08-31T08:00:00", OUTBOX_TEMPFAIL), 1);
	assert_int_equal(count(f, "rule='handover_incoming' AND state='failed'"), 1);

	sql(f, "UPDATE consent SET withdrawn_date='2026-08-31' WHERE child_id=2");
	/* Before any pass: the named row is held back. */
	assert_int_equal(settle(f, "2026-08-31T12:00:00", OUTBOX_SENT), 0);
	run(f, "2026-08-31T12:00:00");
	body = one(f, "body", "rule='handover_incoming'");
	assert_null(strstr(body, "Ture"));
	assert_null(strstr(body, "2024-05-06"));
	free(body);
	assert_int_equal(count(f, "rule='handover_incoming' AND state='failed'"
				  " AND categories NOT LIKE '%namn%'"), 1);
	assert_int_equal(settle(f, "2026-08-31T12:00:00", OUTBOX_SENT), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit WHERE rule='handover_incoming'"
				       " AND categories NOT LIKE '%namn%' AND child_id=2"), 1);
	fx_free(f);
}

/* Protected identity set after planning: the name is not sent. */
static void protected_identity_set_after_planning_disclosed(void **state)
{
	struct fx *f;
	char *body;

	(void)state;
	f = fx_new();
	sql(f, "INSERT INTO consent(child_id,scope,given_by,given_date)"
	       " VALUES (2,'handover','guardian','2026-08-01')");
	run(f, "2026-08-31T08:00:00");
	sql(f, "UPDATE child SET protected_identity=1 WHERE id=2");
	assert_int_equal(settle(f, "2026-08-31T08:00:00", OUTBOX_SENT), 0); /* held back */
	assert_int_equal(count(f, "rule='handover_incoming' AND state='pending'"), 1);
	run(f, "2026-08-31T08:01:00");
	body = one(f, "body", "rule='handover_incoming'");
	assert_null(strstr(body, "Ture"));
	free(body);
	assert_int_equal(settle(f, "2026-08-31T08:01:00", OUTBOX_SENT), 1);
	fx_free(f);
}

/* A date that is not one is refused when another system writes it. */
static void bad_date_written_by_another_system(void **state)
{
	struct fx *f = fx_new();
	struct err e = { 0 };

	(void)state;
	assert_true(db_exec(f->db, "INSERT INTO referral(child_id,reporter_id,intake_unit_id,"
			    "received_date) VALUES (1,6,4,'2026-8-3')", &e) < 0);
	assert_non_null(strstr(e.msg, "referral.received_date is not a date"));
	assert_true(db_exec(f->db, "UPDATE placement SET start_date='2026-02-30' WHERE id=1",
			    &e) < 0);
	assert_non_null(strstr(e.msg, "placement.start_date is not a date"));
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM referral"), 0);
	fx_free(f);
}

/* A referral row with a broken date (written before the database checked
 * dates) must not stop the other subjects. */
static void one_bad_row_stopped_all_planning(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;

	(void)state;
	fx_drop_date_check(f, "referral", "received_date");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,1,6,4,'2026-13-45'), (2,3,6,4,'2026-09-01')");
	st = run(f, "2026-09-01T09:00:00");
	assert_int_equal(st.errors, 1);
	assert_non_null(strstr(st.error, "referral:1"));
	assert_int_equal(count(f, "rule='referral_receipt' AND key LIKE '%referral:2/%'"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM plan_error"
				       " WHERE subject_key='referral:1'"), 1);
	assert_int_equal(count(f, "rule='admin_alert' AND key LIKE 'admin_alert/subject:referral:1/%'"
				  " AND address='admin@ystad.example.se'"), 1);
	/* Once a day: a second pass the same day adds no alert. */
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (1,3,'2026-09-20')");
	run(f, "2026-09-01T10:00:00");
	assert_int_equal(count(f, "rule='admin_alert'"), 1);
	/* Mended: the error is gone, the referral planned. */
	sql(f, "UPDATE referral SET received_date='2026-09-01' WHERE id=1");
	st = run(f, "2026-09-01T11:00:00");
	assert_int_equal(st.errors, 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM plan_error"), 0);
	assert_int_equal(count(f, "rule='referral_receipt'"), 2);
	fx_free(f);
}

/* How many outbox texts are not valid UTF-8. */
static int bad_utf8(struct fx *f)
{
	struct dbi_stmt *q = NULL;
	struct sms_info info;
	struct err e = { 0 };
	int bad = 0;

	assert_int_equal(dbi_prepare(f->db, "SELECT body, coalesce(subject,'') FROM outbox", &q, &e),
			 0);
	while (dbi_step(q, &e) == DBI_ROW)
		for (int c = 0; c < 2; c++)
			bad += sms_measure(dbi_column_text(q, c), &info) < 0;
	dbi_finalize(q);
	return bad;
}

/* A long unit name full of å/ä/ö was cut inside a character: the SMS-only
 * holder's text failed and the whole pass rolled back. */
static void long_unit_name_cut_inside_utf8(void **state)
{
	struct fx *f = fx_new();
	char name[400] = "Skolan ";
	struct plan_stats st;
	char sqlbuf[800];
	char *body;

	(void)state;
	while (strlen(name) < 230)
		strcat(name, "Ängsö");
	snprintf(sqlbuf, sizeof sqlbuf, "UPDATE unit SET name='%s' WHERE id=3", name);
	sql(f, sqlbuf);
	sql(f, "UPDATE unit_role SET staff_id=9 WHERE unit_id=3 AND role='principal'");
	/* Fri 07-17: 30 days before child 1 moves to the school, the outgoing
	 * principal's e-mail names the school in full. */
	run(f, "2026-07-17T09:00:00");
	body = one(f, "body", "rule='handover_outgoing' AND recipient_id=2");
	assert_non_null(strstr(body, name));
	free(body);
	/* Tue 08-04: 14 days before, the SMS-only incoming principal. */
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (2,3,6,4,'2026-08-04')");
	st = run(f, "2026-08-04T09:00:00");
	assert_int_equal(count(f, "rule='referral_receipt'"), 1);
	/* Whatever went to the SMS-only principal is whole UTF-8, or the
	 * subject was skipped and alerted. */
	if (count(f, "rule='handover_incoming' AND recipient_id=9") == 0) {
		assert_int_equal(st.errors, 1);
		assert_int_equal(count(f, "rule='admin_alert'"), 1);
	}
	assert_int_equal(bad_utf8(f), 0);
	fx_free(f);
}

static void utf8_copy_cut_inside_character(void **state)
{
	char buf[6];

	(void)state;
	assert_int_equal(utf8_copy(buf, sizeof buf, "ÅÄÖ"), 1); /* 6 bytes */
	assert_string_equal(buf, "ÅÄ");
	assert_int_equal(utf8_copy(buf, 4, "aÅÄ"), 1);
	assert_string_equal(buf, "aÅ");
	assert_int_equal(utf8_copy(buf, 3, "aÅ"), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(utf8_copy(buf, sizeof buf, "abc"), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(utf8_copy(buf, sizeof buf, NULL), 0);
	assert_string_equal(buf, "");
}

/* After downtime both reminders went out at once, the earlier one with a
 * count no longer true. */
static void downtime_sent_superseded_reminders(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	/* Received Mon 07-20: reminders Thu 07-30 and Fri 07-31 (day 13 is a
	 * Sunday), deadline Mon 08-03. Down from the receipt until Sat 08-01. */
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,3,6,4,'2026-07-20')");
	run(f, "2026-07-20T09:00:00");
	run(f, "2026-08-01T10:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 1);
	body = one(f, "body", "rule='referral_reminder'");
	assert_non_null(strstr(body, "(om 2 dagar)")); /* true on 08-01 */
	free(body);
	/* Down until after the deadline: no reminder at all, the overdue notice
	 * tells, with a true count. */
	fx_free(f);
	f = fx_new();
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,3,6,4,'2026-07-20')");
	run(f, "2026-07-20T09:00:00");
	run(f, "2026-08-05T10:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 0);
	assert_int_equal(count(f, "rule='referral_escalation'"), 0);
	assert_int_equal(count(f, "rule='referral_overdue' AND recipient_id=4"), 1);
	fx_free(f);
}

/* The day a reminder is planned for passes while it waits: its count is
 * re-told on the day it goes out. */
static void delayed_reminder_kept_old_count(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,3,6,4,'2026-07-20')");
	run(f, "2026-07-20T09:00:00");
	run(f, "2026-07-30T08:00:00");
	body = one(f, "body", "rule='referral_reminder'");
	assert_non_null(strstr(body, "(om 4 dagar)"));
	free(body);
	/* Not sent (the relay was down); the next day it is 3 days, and the day
	 * 13 reminder supersedes it. */
	run(f, "2026-07-31T08:00:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND state='pending'"), 1);
	body = one(f, "body", "rule='referral_reminder' AND state='pending'");
	assert_non_null(strstr(body, "(om 3 dagar)"));
	free(body);
	fx_free(f);
}

/* A role-change digest naming four children had one audit row, no child. */
static void digest_audited_without_children(void **state)
{
	struct fx *f;

	(void)state;
	f = fx_new();
	sql(f, "INSERT INTO child(id,ref,birth_date) VALUES (4,'B-0004','2017-02-02'),"
	       " (5,'B-0005','2016-03-03')");
	sql(f, "INSERT INTO placement(child_id,unit_id,kind,start_date) VALUES"
	       " (4,3,'school','2023-08-18'), (5,3,'school','2022-08-18')");
	run(f, "2026-10-01T08:00:00");
	sql(f, "UPDATE unit_role SET end_date='2026-10-04' WHERE staff_id=3;"
	       "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (3,'principal',8,'2026-10-05')");
	run(f, "2026-10-05T08:00:00");
	assert_int_equal(count(f, "rule='rolechange_digest'"), 1);
	settle(f, "2026-10-05T08:00:00", OUTBOX_SENT);
	assert_int_equal(tu_int(f->db, "SELECT count(DISTINCT child_id) FROM audit"
				       " WHERE rule='rolechange_digest'"), 4);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit"
				       " WHERE rule='rolechange_digest' AND child_id IS NULL"), 0);
	fx_free(f);
}

/* A placement deleted after its handover was planned: the pending message
 * is cancelled, though no rule visits the placement any more. */
static void deleted_placement_still_announced(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	run(f, "2026-08-31T08:00:00"); /* incoming for child 2, not yet sent */
	assert_int_equal(count(f, "rule='handover_incoming' AND state='pending'"), 1);
	sql(f, "DELETE FROM placement WHERE child_id=2 AND kind='preschool'");
	run(f, "2026-08-31T08:05:00");
	assert_int_equal(count(f, "rule='handover_incoming' AND state='pending'"), 0);
	fx_free(f);
}

/* A unit whose id is 0 (ids are the case system's): its principal is the
 * incoming Barnkontakt like any unit's. */
static void unit_with_id_0_lost_its_principal(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO unit(id,code,kind,name,municipality)"
	       " VALUES (0,'SK0','school','Skolan Noll','Ystad');"
	       "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (0,'principal',8,'2020-01-01');"
	       "UPDATE placement SET unit_id=0 WHERE child_id=1 AND kind='school'");
	run(f, "2026-08-04T10:00:00");
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=8"), 1);
	assert_int_equal(count(f, "rule='admin_alert'"), 0);
	fx_free(f);
}

/* Rows written before the date checks existed (or by a writer that goes
 * around them): start dates with a time of day, and a date stored as a
 * BLOB, are judged as SQL compares them, whole, by storage class. */
static void legacy_dates_chose_another_principal(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_drop_date_check(f, "unit_role", "start_date");
	/* the later of two starts on one day wins, as ORDER BY start DESC chose */
	sql(f, "INSERT INTO unit_role(id,unit_id,role,staff_id,start_date) VALUES"
	       " (20,3,'principal',8,'2026-01-01 08:00'), (21,3,'principal',7,'2026-01-01 09:00')");
	/* a BLOB sorts after every text: it never covers a day (PostgreSQL's
	 * date columns hold text only) */
	if (!fx_pg())
		sql(f, "INSERT INTO unit_role(id,unit_id,role,staff_id,start_date) VALUES"
		       " (22,3,'principal',9,X'323032362D30322D3031')");
	run(f, "2026-08-04T10:00:00");
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=7"), 1);
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id IN (3,8,9)"), 0);
	fx_free(f);
}

/* A pass that reads more role rows, placements and absences than its
 * first arrays hold (they grow and move): every choice still right, and
 * nothing freed twice. */
static void many_units_moved_the_planner_rows(void **state)
{
	struct fx *f = fx_new();
	char q[256];

	(void)state;
	for (int u = 10; u < 60; u++) {
		snprintf(q, sizeof q, "INSERT INTO unit(id,code,kind,name,municipality)"
			 " VALUES (%d,'U%d','preschool','Förskola %d','Ystad');"
			 "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
			 " VALUES (%d,'principal',%d,'2020-01-0%d')", u, u, u, u, u % 2 ? 7 : 8, u % 9 + 1);
		sql(f, q);
		snprintf(q, sizeof q, "INSERT INTO placement(child_id,unit_id,kind,start_date,end_date)"
			 " VALUES (3,%d,'preschool','2019-0%d-01','2019-0%d-02')", u, u % 9 + 1, u % 9 + 1);
		sql(f, q);
	}
	sql(f, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id) VALUES"
	       " (3,'2026-07-01','2026-07-02',8), (3,'2026-07-03','2026-07-04',8),"
	       " (3,'2026-07-05','2026-07-06',8), (3,'2026-07-07','2026-07-08',8),"
	       " (3,'2026-07-09','2026-07-10',8), (3,'2026-07-11','2026-07-12',8),"
	       " (3,'2026-07-13','2026-07-14',8), (3,'2026-07-15','2026-07-16',8),"
	       " (3,'2026-07-17','2026-07-18',8), (3,'2026-08-01','2026-08-05',8)");
	run(f, "2026-08-04T10:00:00");
	/* Child 1 starts school on 2026-08-18: its principal (3) is away, so
	 * the deputy (8) is told. */
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=8"), 1);
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=3"), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(late_referral_left_reporter_without_answer),
		cmocka_unit_test(late_referral_sent_stale_reminders),
		cmocka_unit_test(reporter_left_without_answer),
		cmocka_unit_test(first_pass_told_history_as_news),
		cmocka_unit_test(late_referral_reached_one_officer),
		cmocka_unit_test(pending_event_lost_when_recipient_changed),
		cmocka_unit_test(deleted_followup_kept_task_open),
		cmocka_unit_test(long_child_reference_cut),
		cmocka_unit_test(planner_cancelled_fallback_it_did_not_make),
		cmocka_unit_test(retry_disclosed_name_after_consent_withdrawn),
		cmocka_unit_test(protected_identity_set_after_planning_disclosed),
		cmocka_unit_test(bad_date_written_by_another_system),
		cmocka_unit_test(one_bad_row_stopped_all_planning),
		cmocka_unit_test(long_unit_name_cut_inside_utf8),
		cmocka_unit_test(utf8_copy_cut_inside_character),
		cmocka_unit_test(downtime_sent_superseded_reminders),
		cmocka_unit_test(delayed_reminder_kept_old_count),
		cmocka_unit_test(digest_audited_without_children),
		cmocka_unit_test(deleted_placement_still_announced),
		cmocka_unit_test(unit_with_id_0_lost_its_principal),
		cmocka_unit_test(legacy_dates_chose_another_principal),
		cmocka_unit_test(many_units_moved_the_planner_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
