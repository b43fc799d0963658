/* test_planner.c - the planner's rules as scenarios on a simulated clock:
 * referrals, handovers with and without consent, discovery cards, follow-ups,
 * role-change digests, deputies, vacancies, holidays, and idempotence. */
#include "plan_fixture.h"

/* With case_url configured, the e-mails to the social services link to the
 * case (the reference percent-encoded); the reporter's receipt does not,
 * and no SMS ever carries a link. */
static void case_url_in_staff_mail(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	f->cfg.case_url = strdup("https://case.example/referral/{ref}?tab=1");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	body = one(f, "body", "rule='referral_task' AND channel='email'");
	assert_non_null(strstr(body, "https://case.example/referral/B-0001%2FA7?tab=1\n"));
	free(body);
	body = one(f, "body", "rule='referral_receipt'");
	assert_null(strstr(body, "https://"));
	free(body);
	assert_int_equal(count(f, "body LIKE '%https://%' AND channel='sms'"), 0);
	run(f, "2026-03-31T08:00:00");
	body = one(f, "body", "rule='referral_escalation' AND channel='email'");
	assert_non_null(strstr(body, "B-0001%2FA7"));
	free(body);
	fx_free(f);
}

/* Without case_url no message mentions the case system's link. */
static void no_case_url_no_link(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	assert_int_equal(count(f, "rule='referral_task'"), 1);
	assert_int_equal(count(f, "body LIKE '%https://%' OR body LIKE '%verksamhetssystemet:%'"), 0);
	fx_free(f);
}

/* Referral received Wed 2026-03-18: receipt and task at once; day 10 is
 * Sat 03-28 -> Fri 03-27; day 13 is Tue 03-31; deadline 04-01. */
static void referral_lifecycle(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;
	char *body, *due;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18')");
	st = run(f, "2026-03-18T10:15:00");
	assert_int_equal(st.planned, 2);
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=6"), 1);
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=4"), 1);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='referral/7'"
				       " AND state='open' AND due_date='2026-04-01'"), 1);
	body = one(f, "body", "rule='referral_receipt'");
	assert_non_null(strstr(body, "B-0001/A7"));
	assert_null(strstr(body, "Alva")); /* never the child's name */
	free(body);

	/* Day 10 falls on a Saturday: the reminder goes out Friday 08:00. */
	st = run(f, "2026-03-27T08:00:00");
	assert_int_equal(st.planned, 1);
	due = one(f, "due_at", "rule='referral_reminder'");
	assert_string_equal(due, "2026-03-27T07:00:00Z"); /* 08:00 CET */
	free(due);
	/* Day 13 (Tue 03-31, summer time): reminder to the officer and
	 * escalation to the manager. */
	st = run(f, "2026-03-31T08:00:00");
	assert_int_equal(st.planned, 2);
	assert_int_equal(count(f, "rule='referral_escalation' AND recipient_id=5"), 1);
	due = one(f, "due_at", "rule='referral_escalation'");
	assert_string_equal(due, "2026-03-31T06:00:00Z"); /* 08:00 CEST */
	free(due);
	body = one(f, "body", "rule='referral_escalation'");
	assert_non_null(strstr(body, "Karin Ek"));
	free(body);
	/* Overdue on day 15 to officer and manager. */
	st = run(f, "2026-04-02T09:00:00");
	assert_int_equal(count(f, "rule='referral_overdue'"), 2);

	/* The decision: feedback with the outcome only, task done. */
	sql(f, "UPDATE referral SET decision_date='2026-04-02', outcome='not_opened' WHERE id=7");
	st = run(f, "2026-04-02T09:30:00");
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id=6"), 1);
	body = one(f, "body", "rule='referral_feedback'");
	assert_non_null(strstr(body, "ingen utredning inleds"));
	assert_null(strstr(body, "Alva"));
	free(body);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='referral/7'"
				       " AND state='done'"), 1);
	fx_free(f);
}

static void decision_cancels_pending_reminder(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (8,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	st = run(f, "2026-09-11T08:00:00"); /* day 10 reminder planned, not sent */
	assert_int_equal(count(f, "rule='referral_reminder' AND state='pending'"), 1);
	sql(f, "UPDATE referral SET decision_date='2026-09-11', outcome='opened' WHERE id=8");
	st = run(f, "2026-09-11T08:05:00");
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND state='cancelled'"), 1);
	/* ...and no later reminder, escalation or overdue appears. */
	run(f, "2026-09-14T08:00:00");
	run(f, "2026-09-16T08:00:00");
	assert_int_equal(count(f, "rule IN ('referral_reminder','referral_escalation',"
				  "'referral_overdue') AND state<>'cancelled'"), 0);
	fx_free(f);
}

static void three_runs_no_duplicate(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;
	long long n;

	(void)state;
	sql(f, "INSERT INTO referral(child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,6,4,'2026-09-01')");
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,3,'2026-09-08')");
	run(f, "2026-09-01T08:00:00");
	n = tu_int(f->db, "SELECT count(*) FROM outbox");
	assert_true(n >= 3);
	st = run(f, "2026-09-01T08:00:01");
	assert_int_equal(st.planned, 0);
	assert_int_equal(st.cancelled, 0);
	st = run(f, "2026-09-01T08:00:02");
	assert_int_equal(st.planned, 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox"), n);
	/* A sent message is never planned again. */
	sql(f, "UPDATE outbox SET state='sent'");
	st = run(f, "2026-09-01T08:00:03");
	assert_int_equal(st.planned, 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox"), n);
	fx_free(f);
}

/* Easter 2026: Good Friday 04-03, Easter Monday 04-06. A follow-up due
 * Tue 04-07: the 1-day reminder (Mon 04-06) moves to Thu 04-02. */
static void reminder_before_easter(void **state)
{
	struct fx *f = fx_new();
	char *due;

	(void)state;
	sql(f, "INSERT INTO followup(id,child_id,responsible_id,due_date)"
	       " VALUES (3,3,3,'2026-04-07')");
	run(f, "2026-04-02T08:00:00");
	due = one(f, "due_at", "rule='followup_reminder' AND key LIKE '%b1/%'");
	assert_string_equal(due, "2026-04-02T06:00:00Z");
	free(due);
	fx_free(f);
}

/* Midsummer eve Fri 2026-06-19: a 7-day reminder for a follow-up due Fri
 * 06-26 would be 06-19 and moves to Thu 06-18. */
static void reminder_before_midsummer(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;

	(void)state;
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,3,'2026-06-26')");
	st = run(f, "2026-06-17T12:00:00");
	assert_int_equal(count(f, "rule='followup_reminder'"), 0);
	st = run(f, "2026-06-18T08:00:00");
	assert_int_equal(st.planned, 1);
	assert_int_equal(count(f, "rule='followup_reminder' AND due_at='2026-06-18T06:00:00Z'"), 1);
	fx_free(f);
}

static void followup_moved_replans(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;

	(void)state;
	sql(f, "INSERT INTO followup(id,child_id,responsible_id,due_date)"
	       " VALUES (4,3,3,'2026-10-16')");
	run(f, "2026-10-09T08:00:00"); /* the 7-day reminder */
	assert_int_equal(count(f, "rule='followup_reminder' AND state='pending'"), 1);
	sql(f, "UPDATE followup SET due_date='2026-10-23' WHERE id=4");
	st = run(f, "2026-10-09T08:10:00");
	assert_int_equal(st.cancelled, 1);
	assert_int_equal(count(f, "rule='followup_reminder' AND state='cancelled'"
				  " AND key LIKE '%2026-10-16b7%'"), 1);
	run(f, "2026-10-16T08:00:00");
	assert_int_equal(count(f, "rule='followup_reminder' AND state='pending'"
				  " AND key LIKE '%2026-10-23b7%'"), 1);
	/* Done: the task closes, nothing more comes. */
	sql(f, "UPDATE followup SET done_date='2026-10-20' WHERE id=4");
	run(f, "2026-10-22T08:00:00");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task WHERE key='followup/4'"
				       " AND state='done'"), 1);
	assert_int_equal(count(f, "rule='followup_overdue'"), 0);
	fx_free(f);
}

/* Child 2 moves from BVC (nurse 1) to Förskolan Solrosen (principal 2) on
 * Mon 2026-09-14: the nurse hears 30 days before, the principal 14 days
 * before and on the day; with consent the principal learns name and birth
 * date, without it only role and date. */
static void handover_with_and_without_consent(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	run(f, "2026-08-14T08:00:00"); /* Fri: 30 days before */
	assert_int_equal(count(f, "rule='handover_outgoing' AND recipient_id=1"), 1);
	body = one(f, "body", "rule='handover_outgoing'");
	assert_non_null(strstr(body, "Förskolan Solrosen"));
	free(body);

	run(f, "2026-08-31T08:00:00"); /* Mon: 14 days before, no consent */
	body = one(f, "body", "rule='handover_incoming' AND recipient_id=2");
	assert_null(strstr(body, "Ture"));
	assert_null(strstr(body, "2024-05-06"));
	free(body);
	body = one(f, "categories", "rule='handover_incoming'");
	assert_null(strstr(body, "namn"));
	free(body);

	/* Consent recorded: the on-the-day message names the child. */
	sql(f, "INSERT INTO consent(child_id,scope,given_by,given_date)"
	       " VALUES (2,'handover','guardian','2026-09-01')");
	run(f, "2026-09-14T08:00:00");
	body = one(f, "body", "rule='handover_incoming' AND key LIKE '%-0/%'");
	assert_non_null(strstr(body, "Ture Ek"));
	free(body);
	body = one(f, "categories", "rule='handover_incoming' AND key LIKE '%-0/%'");
	assert_non_null(strstr(body, "namn"));
	free(body);
	fx_free(f);
}

/* The receipt and the outcome of a referral are the reporter's own: while
 * the reporter is away they wait in the reporter's inbox; the colleague
 * standing in did not report and learns nothing of it. */
static void referral_outcome_not_told_to_deputy(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sql(f, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id)"
	       " VALUES (6,'2026-03-01','2026-04-30',8)");
	/* Sven is asked about something else first: the per-day cache holds
	 * Eva resolved to her deputy for the same day. */
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,6,'2026-03-18')");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=6"), 1);
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id<>6"), 0);
	sql(f, "UPDATE referral SET decision_date='2026-04-02', outcome='not_opened' WHERE id=7");
	run(f, "2026-04-02T10:00:00");
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id=6"), 1);
	assert_int_equal(count(f, "rule='referral_feedback' AND recipient_id<>6"), 0);
	assert_int_equal(count(f, "rule LIKE 'referral_%' AND recipient_id=8"), 0);
	assert_int_equal(count(f, "rule LIKE 'referral_%' AND body LIKE '%ersättare%'"), 0);
	fx_free(f);
}

/* A deputy is told that the person they stand in for becomes Barnkontakt,
 * not that they become it themselves; an SMS says "som ersättare" and names
 * nobody. */
static void deputy_not_told_they_become_barnkontakt(void **state)
{
	struct fx *f = fx_new();
	char *text;

	(void)state;
	sql(f, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id)"
	       " VALUES (3,'2026-08-01','2026-08-10',8)");
	run(f, "2026-08-04T08:00:00"); /* 14 days before school start 08-18 */
	text = one(f, "subject", "rule='handover_incoming' AND recipient_id=8");
	assert_null(strstr(text, "Du blir"));
	assert_non_null(strstr(text, "Märta Öberg blir Barnkontakt"));
	free(text);
	text = one(f, "body", "rule='handover_incoming' AND recipient_id=8");
	assert_null(strstr(text, "är du Barnkontakt"));
	assert_non_null(strstr(text, "är Märta Öberg Barnkontakt"));
	free(text);
	sql(f, "UPDATE staff SET channel='sms' WHERE id=8");
	run(f, "2026-08-07T08:00:00");
	text = one(f, "body", "rule='handover_incoming' AND recipient_id=8 AND channel='sms'");
	assert_non_null(strstr(text, "som ersättare"));
	assert_null(strstr(text, "är du Barnkontakt"));
	free(text);
	fx_free(f);
}

/* The receipt says the configured deadline, not a fixed 14 days, and
 * speaks to the principal as "er" when the reporter has left. */
static void referral_receipt_says_configured_deadline(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	f->cfg.referral_deadline = 21;
	sql(f, "UPDATE staff SET channel='sms' WHERE id=9");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18'), (8,3,9,3,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	body = one(f, "body", "rule='referral_receipt' AND recipient_id=6");
	assert_non_null(strstr(body, "tog emot din orosanmälan"));
	assert_non_null(strstr(body, "21 dagar"));
	assert_null(strstr(body, "14 dagar"));
	free(body);
	body = one(f, "body", "rule='referral_receipt' AND recipient_id=9");
	assert_non_null(strstr(body, "Du får besked inom 21 dagar om en utredning inleds."));
	free(body);
	fx_free(f);

	f = fx_new();
	sql(f, "UPDATE staff SET active=0 WHERE id=6");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,reporting_unit_id,intake_unit_id,"
	       "received_date) VALUES (7,1,6,3,4,'2026-03-18')");
	run(f, "2026-03-18T10:15:00");
	body = one(f, "body", "rule='referral_receipt' AND recipient_id=3");
	assert_non_null(strstr(body, "tog emot er orosanmälan"));
	assert_null(strstr(body, "Din orosanmälan"));
	assert_null(strstr(body, "din orosanmälan"));
	free(body);
	fx_free(f);
}

static void absent_principal_goes_to_deputy(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	/* The school principal is away; Sven stands in. */
	sql(f, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id)"
	       " VALUES (3,'2026-08-01','2026-08-10',8)");
	run(f, "2026-08-04T08:00:00"); /* 14 days before school start 08-18 */
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=8"), 1);
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=3"), 0);
	/* The deputy is told they stand in, for whom and until when. */
	body = one(f, "body", "rule='handover_incoming' AND recipient_id=8");
	assert_non_null(strstr(body, "som ersättare för Märta Öberg"));
	assert_non_null(strstr(body, "10 augusti 2026"));
	free(body);
	/* Others are not told they stand in. */
	assert_int_equal(count(f, "body LIKE '%ersättare%' AND recipient_id<>8"), 0);
	/* An SMS names nobody (it says "som ersättare" only). */
	sql(f, "UPDATE staff SET channel='sms' WHERE id=8");
	run(f, "2026-08-07T08:00:00");
	assert_int_equal(count(f, "channel='sms' AND recipient_id=8"), 1);
	assert_int_equal(count(f, "channel='sms' AND body LIKE '%Märta%'"), 0);
	fx_free(f);
}

/* Each side of a handover learns who the other Barnkontakt is and how to
 * reach them at work; not for a child with protected identity; never by SMS. */
static void handover_names_the_other_barnkontakt(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	run(f, "2026-08-14T08:00:00"); /* 30 days before the BVC -> preschool change */
	body = one(f, "body", "rule='handover_outgoing' AND recipient_id=1");
	assert_non_null(strstr(body, "Den nya Barnkontakten är Örjan Lindqvist, e-post "
				     "orjan@ystad.example.se, telefon +46701000002."));
	free(body);
	run(f, "2026-08-31T08:00:00"); /* 14 days before */
	body = one(f, "body", "rule='handover_incoming' AND recipient_id=2");
	assert_non_null(strstr(body, "Den tidigare Barnkontakten är Åsa Sjöberg, e-post "
				     "asa@ystad.example.se, telefon +46701000001."));
	free(body);
	assert_int_equal(count(f, "channel='sms' AND (body LIKE '%Örjan%' OR body LIKE '%Åsa%')"), 0);
	fx_free(f);

	/* Without a mobile number on record: the e-mail address only. */
	f = fx_new();
	run(f, "2026-07-17T08:00:00"); /* 30 days before the preschool -> school change */
	body = one(f, "body", "rule='handover_outgoing' AND recipient_id=2 AND child_id=1");
	assert_non_null(strstr(body, "Den nya Barnkontakten är Märta Öberg, e-post "
				     "marta@ystad.example.se."));
	free(body);
	run(f, "2026-08-04T08:00:00"); /* 14 days before */
	body = one(f, "body", "rule='handover_incoming' AND recipient_id=3 AND child_id=1");
	assert_non_null(strstr(body, "Den tidigare Barnkontakten är Örjan Lindqvist"));
	free(body);
	fx_free(f);

	f = fx_new();
	sql(f, "UPDATE child SET protected_identity=1 WHERE id=2");
	run(f, "2026-08-14T08:00:00");
	run(f, "2026-08-31T08:00:00");
	assert_int_equal(count(f, "rule LIKE 'handover_%' AND body LIKE '%Barnkontakten är%'"
				  " AND child_id=2"), 0);
	assert_int_equal(count(f, "rule='handover_incoming' AND child_id=2"), 1);
	fx_free(f);
}

/* For a child with protected identity the outgoing holder is not told the
 * new unit, nor the incoming holder the previous one, by e-mail or SMS. */
static void handover_hides_units_of_protected_child(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "UPDATE child SET protected_identity=1 WHERE id=2");
	run(f, "2026-08-14T08:00:00"); /* 30 days before BVC -> Förskolan Solrosen */
	run(f, "2026-08-31T08:00:00");
	assert_int_equal(count(f, "rule='handover_outgoing' AND child_id=2"), 1);
	assert_int_equal(count(f, "rule='handover_incoming' AND child_id=2"), 1);
	assert_int_equal(count(f, "child_id=2 AND recipient_id=1 AND body LIKE '%Solrosen%'"), 0);
	assert_int_equal(count(f, "child_id=2 AND recipient_id=2 AND body LIKE '%BVC%'"), 0);
	body = one(f, "body", "rule='handover_outgoing' AND child_id=2");
	assert_non_null(strstr(body, "byter verksamhet"));
	free(body);
	/* The incoming holder is still told their own unit. */
	body = one(f, "body", "rule='handover_incoming' AND child_id=2");
	assert_non_null(strstr(body, "Förskolan Solrosen"));
	free(body);
	fx_free(f);

	f = fx_new();
	sql(f, "UPDATE child SET protected_identity=1 WHERE id=2");
	sql(f, "UPDATE staff SET channel='sms' WHERE id IN (1,2)");
	run(f, "2026-08-14T08:00:00");
	run(f, "2026-08-31T08:00:00");
	assert_int_equal(count(f, "child_id=2 AND rule LIKE 'handover_%' AND channel='sms'"), 2);
	assert_int_equal(count(f, "child_id=2 AND recipient_id=1 AND body LIKE '%Solrosen%'"), 0);
	assert_int_equal(count(f, "child_id=2 AND recipient_id=2 AND body LIKE '%BVC%'"), 0);
	body = one(f, "body", "rule='handover_outgoing' AND child_id=2");
	assert_non_null(strstr(body, "byter verksamhet"));
	free(body);
	fx_free(f);
}

/* A handover consent is not in force for a child with protected identity:
 * no name or birth date lines, and no invitation to contact a previous
 * Barnkontakt who is not named. */
static void protected_child_consent_mail_not_broken(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "UPDATE child SET protected_identity=1 WHERE id=2");
	sql(f, "INSERT INTO consent(child_id,scope,given_by,given_date)"
	       " VALUES (2,'handover','guardian','2026-08-01')");
	run(f, "2026-08-31T08:00:00");
	body = one(f, "body", "rule='handover_incoming' AND child_id=2");
	assert_null(strstr(body, "Barnets namn"));
	assert_null(strstr(body, "Födelsedatum"));
	assert_null(strstr(body, "Kontakta gärna"));
	assert_null(strstr(body, "Ture"));
	free(body);
	fx_free(f);

	/* Not protected: the consent and the contact are given. */
	f = fx_new();
	sql(f, "INSERT INTO consent(child_id,scope,given_by,given_date)"
	       " VALUES (2,'handover','guardian','2026-08-01')");
	run(f, "2026-08-31T08:00:00");
	body = one(f, "body", "rule='handover_incoming' AND child_id=2");
	assert_non_null(strstr(body, "Barnets namn: Ture Ek"));
	assert_non_null(strstr(body, "Kontakta gärna den tidigare Barnkontakten"));
	free(body);
	fx_free(f);
}

/* The other Barnkontakt named in a handover is judged on the day the
 * message is sent: when they are away, their deputy is the one to contact,
 * with the deputy's work addresses. */
static void handover_contact_away_names_deputy(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "INSERT INTO absence(staff_id,start_date,end_date,deputy_id)"
	       " VALUES (2,'2026-08-10','2026-08-20',7)");
	run(f, "2026-08-14T08:00:00"); /* 30 days before BVC -> Förskolan Solrosen */
	body = one(f, "body", "rule='handover_outgoing' AND recipient_id=1");
	for (char *c = body; *c; c++)
		if (*c == '\n')
			*c = ' ';
	assert_non_null(strstr(body, "Den nya Barnkontakten, Örjan Lindqvist, är borta."));
	assert_non_null(strstr(body, "Kontakta ersättaren Pia Holm, e-post pia@ystad.example.se,"
				     " telefon +46701000007."));
	assert_null(strstr(body, "orjan@"));
	free(body);
	fx_free(f);
}

static void vacant_role_alerts_admin(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "DELETE FROM unit_role WHERE role='intake_officer'");
	sql(f, "INSERT INTO referral(child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	assert_int_equal(count(f, "rule='admin_alert' AND address='admin@ystad.example.se'"), 1);
	body = one(f, "body", "rule='admin_alert'");
	assert_non_null(strstr(body, "Socialtjänstens mottagningsenhet"));
	assert_non_null(strstr(body, "mottagningshandläggare"));
	free(body);
	/* The reporter still gets the receipt. */
	assert_int_equal(count(f, "rule='referral_receipt'"), 1);
	fx_free(f);
}

static void sms_only_person_gets_sms(void **state)
{
	struct fx *f = fx_new();
	char *body;

	(void)state;
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,9,'2026-09-08')");
	run(f, "2026-09-01T08:00:00");
	assert_int_equal(count(f, "rule='followup_reminder' AND channel='sms'"
				  " AND address='+46701000009' AND subject IS NULL"), 1);
	body = one(f, "body", "rule='followup_reminder'");
	assert_null(strstr(body, "Nils")); /* no names in SMS */
	free(body);
	fx_free(f);
}

static void channel_settings_per_rule(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	/* Follow-ups by SMS first; referral messages by both channels. */
	f->cfg.channels[RG_FOLLOWUP] = CHMODE_SMS;
	f->cfg.channels[RG_REFERRAL] = CHMODE_BOTH;
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,4,'2026-09-08')");
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,3,'2026-09-08')");
	sql(f, "INSERT INTO referral(child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,9,4,'2026-09-01')");
	run(f, "2026-09-01T08:00:00");
	/* Karin has both addresses: SMS. Märta has no mobile: e-mail. */
	assert_int_equal(count(f, "rule='followup_reminder' AND recipient_id=4 AND channel='sms'"), 1);
	assert_int_equal(count(f, "rule='followup_reminder' AND recipient_id=3 AND channel='email'"), 1);
	/* Both: Karin (intake officer) twice, Nils (reporter, SMS only) once. */
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=4"), 2);
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id=4 AND channel='sms'"
				  " AND key LIKE '%:sms'"), 1);
	assert_int_equal(count(f, "rule='referral_receipt' AND recipient_id=9"), 1);
	fx_free(f);
}

/* A principal change at the school: the new principal gets one digest for
 * all children whose Barnkontakt changed, not one message per child. */
static void principal_change_one_digest(void **state)
{
	struct fx *f = fx_new();
	struct plan_stats st;
	char *body;

	(void)state;
	sql(f, "INSERT INTO child(id,ref,birth_date) VALUES (4,'B-0004','2017-02-02'),"
	       " (5,'B-0005','2016-03-03')");
	sql(f, "INSERT INTO placement(child_id,unit_id,kind,start_date) VALUES"
	       " (4,3,'school','2023-08-18'), (5,3,'school','2022-08-18')");
	run(f, "2026-10-01T08:00:00"); /* learns the current holders silently */
	assert_int_equal(count(f, "rule='rolechange_digest'"), 0);
	sql(f, "UPDATE unit_role SET end_date='2026-10-04' WHERE staff_id=3;"
	       "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (3,'principal',8,'2026-10-05')");
	run(f, "2026-10-04T08:00:00");
	assert_int_equal(count(f, "rule='rolechange_digest'"), 0);
	st = run(f, "2026-10-05T08:00:00");
	assert_int_equal(count(f, "rule='rolechange_digest'"), 1);
	assert_int_equal(count(f, "rule='rolechange_digest' AND recipient_id=8"), 1);
	body = one(f, "body", "rule='rolechange_digest'");
	/* Children 1 (school since 08-18), 3, 4 and 5 are at the school. */
	assert_non_null(strstr(body, "4 barn"));
	assert_non_null(strstr(body, "B-0004"));
	assert_non_null(strstr(body, "B-0005"));
	free(body);
	st = run(f, "2026-10-05T09:00:00");
	assert_int_equal(st.planned, 0);
	assert_int_equal(count(f, "rule='rolechange_digest'"), 1);
	fx_free(f);
}

static void unchanged_facts_skip_the_pass(void **state)
{
	struct fx *f = fx_new();
	struct plan_cache cache = { 0 };
	struct plan_stats st;
	struct err e = { 0 };

	(void)state;
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,3,'2026-09-08')");
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-01T09:00"), &cache, &st, &e), 0);
	assert_false(st.skipped);
	assert_true(cache.valid);
	/* The 1-day reminder is next: 2026-09-07 08:00. */
	assert_int_equal(cache.next_at, at("2026-09-07T08:00"));
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-01T10:00"), &cache, &st, &e), 0);
	assert_true(st.skipped);
	/* A new fact: planned at once. */
	sql(f, "INSERT INTO referral(child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (3,6,4,'2026-09-01')");
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-01T10:01"), &cache, &st, &e), 0);
	assert_false(st.skipped);
	assert_int_equal(st.planned, 2);
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-01T10:02"), &cache, &st, &e), 0);
	assert_true(st.skipped);
	/* A new day, or an occurrence coming due: a real pass. */
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-02T00:10"), &cache, &st, &e), 0);
	assert_false(st.skipped);
	assert_int_equal(planner_run(f->db, &f->cfg, f->tpl, at("2026-09-07T08:00"), &cache, &st, &e), 0);
	assert_false(st.skipped);
	assert_int_equal(count(f, "rule='followup_reminder' AND key LIKE '%b1/%'"), 1);
	fx_free(f);
}

struct seen {
	int n, reminders;
};

static void on_msg(void *ctx, const struct plan_msg *m)
{
	struct seen *s = ctx;

	s->n++;
	if (strcmp(m->rule, "followup_reminder") == 0 && m->channel == CHAN_EMAIL &&
	    strcmp(m->address, "marta@ystad.example.se") == 0)
		s->reminders++;
}

static void preview_writes_nothing(void **state)
{
	struct fx *f = fx_new();
	struct err e = { 0 };
	struct seen s = { 0 };

	(void)state;
	sql(f, "INSERT INTO followup(child_id,responsible_id,due_date) VALUES (3,3,'2026-09-08')");
	if (planner_preview(f->db, &f->cfg, f->tpl, at("2026-08-01"), at("2026-10-01"),
			    on_msg, &s, &e) < 0)
		fail_msg("%s", e.msg);
	/* Two reminders (7 and 1 day before) to the school principal, plus the
	 * handovers of children 1 and 2 and the overdue messages. */
	assert_int_equal(s.reminders, 2);
	assert_true(s.n > s.reminders);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM task"), 0);
	fx_free(f);
}

/* A full pass over many subjects took longer than systemd's watchdog
 * waits, and the daemon was killed in the middle of it: the planner calls
 * its progress hook every PLANNER_PROGRESS_EVERY subjects. */
static void progress(void *ctx)
{
	(*(int *)ctx)++;
}

static void long_full_pass_keeps_the_watchdog_fed(void **state)
{
	struct fx *f = fx_new();
	int calls = 0, n = 3 * PLANNER_PROGRESS_EVERY + 10;
	char q[256];

	(void)state;
	sql(f, "BEGIN");
	for (int i = 0; i < n; i++) {
		snprintf(q, sizeof q, "INSERT INTO followup(child_id,responsible_id,due_date)"
			 " VALUES (3,3,'2026-09-%02d')", 1 + i % 28);
		sql(f, q);
	}
	sql(f, "COMMIT");
	planner_on_progress(progress, &calls);
	run(f, "2026-08-03T08:00:00");
	planner_on_progress(NULL, NULL);
	assert_true(calls >= n / PLANNER_PROGRESS_EVERY);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(referral_lifecycle),
		cmocka_unit_test(case_url_in_staff_mail),
		cmocka_unit_test(no_case_url_no_link),
		cmocka_unit_test(decision_cancels_pending_reminder),
		cmocka_unit_test(three_runs_no_duplicate),
		cmocka_unit_test(reminder_before_easter),
		cmocka_unit_test(reminder_before_midsummer),
		cmocka_unit_test(followup_moved_replans),
		cmocka_unit_test(handover_with_and_without_consent),
		cmocka_unit_test(absent_principal_goes_to_deputy),
		cmocka_unit_test(referral_receipt_says_configured_deadline),
		cmocka_unit_test(deputy_not_told_they_become_barnkontakt),
		cmocka_unit_test(referral_outcome_not_told_to_deputy),
		cmocka_unit_test(handover_names_the_other_barnkontakt),
		cmocka_unit_test(handover_hides_units_of_protected_child),
		cmocka_unit_test(protected_child_consent_mail_not_broken),
		cmocka_unit_test(handover_contact_away_names_deputy),
		cmocka_unit_test(vacant_role_alerts_admin),
		cmocka_unit_test(sms_only_person_gets_sms),
		cmocka_unit_test(principal_change_one_digest),
		cmocka_unit_test(channel_settings_per_rule),
		cmocka_unit_test(unchanged_facts_skip_the_pass),
		cmocka_unit_test(preview_writes_nothing),
		cmocka_unit_test(long_full_pass_keeps_the_watchdog_fed),
	};

	cal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
