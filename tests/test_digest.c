/* test_digest.c - the right amount of messages: an assigned referral's
 * reminders reach its officer only, an unassigned one the intake unit's
 * mailbox, and one person's items of one send time go as one digest,
 * disclosing per child what is allowed when it goes. Each test is named
 * after what it guards. */
#include "plan_fixture.h"

#include "digest.h"
#include "outbox.h"
#include "templates.h"

/* Claim every due message at when, digests gathered. */
static struct outbox_msg *claim(struct fx *f, const char *when, int *n)
{
	struct outbox_msg *msgs = NULL;
	struct err e = { 0 };

	if (outbox_claim_digests(f->db, at(when), 500, NULL, "test", at(when) + 600, f->tpl,
				 &f->cfg, &msgs, n, &e) < 0)
		fail_msg("claim: %s", e.msg);
	return msgs;
}

static void done(struct fx *f, struct outbox_msg *m, enum outbox_result res, const char *when)
{
	struct err e = { 0 };

	if (outbox_done(f->db, m, res, res == OUTBOX_SENT ? "250 ok" : "451 later", -1, at(when),
			&f->cfg, NULL, &e) < 0)
		fail_msg("done: %s", e.msg);
}

/* Send everything due at when (what came before the day of the test). */
static void send_due(struct fx *f, const char *when)
{
	struct outbox_msg *msgs;
	int n;

	msgs = claim(f, when, &n);
	for (int i = 0; i < n; i++)
		done(f, &msgs[i], OUTBOX_SENT, when);
	outbox_msgs_free(msgs, n);
}

/* The claimed message to address, or fail. */
static struct outbox_msg *to(struct outbox_msg *msgs, int n, const char *address)
{
	struct outbox_msg *found = NULL;

	for (int i = 0; i < n; i++)
		if (strcmp(msgs[i].address, address) == 0) {
			if (found)
				fail_msg("two messages to %s", address);
			found = &msgs[i];
		}
	if (!found)
		fail_msg("no message to %s", address);
	return found;
}

/* The claimed message of rule to address, or fail; the others are sent. */
static struct outbox_msg *reminder_to(struct fx *f, struct outbox_msg *msgs, int n,
				      const char *address, const char *when)
{
	struct outbox_msg *found = NULL;

	for (int i = 0; i < n; i++)
		if (strcmp(msgs[i].address, address) == 0 &&
		    strcmp(msgs[i].rule, "referral_reminder") == 0) {
			if (found)
				fail_msg("two reminders to %s", address);
			found = &msgs[i];
		} else {
			done(f, &msgs[i], OUTBOX_SENT, when);
		}
	if (!found)
		fail_msg("no reminder to %s", address);
	return found;
}

/* A second intake officer, so "every officer" and "the assigned one" differ. */
static void second_officer(struct fx *f)
{
	sql(f, "INSERT INTO staff(id,code,name,email,unit_id) VALUES"
	       " (10,'handl2','Maja Lind','maja@ystad.example.se',4);"
	       "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (4,'intake_officer',10,'2020-01-01')");
}

static void assigned_referral_reminds_only_its_officer(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	second_officer(f);
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date,officer)"
	       " VALUES (1,3,6,4,'2026-09-01','handl1')");
	run(f, "2026-09-01T09:00:00");
	/* The new referral itself still reaches the whole intake unit. */
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id IN (4,10)"), 2);
	run(f, "2026-09-11T09:00:00"); /* day 10: the first reminder */
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=4"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id<>4"), 0);
	/* Overdue notices too, and the escalation still reaches the manager. */
	run(f, "2026-09-14T09:00:00");
	assert_int_equal(count(f, "rule='referral_escalation' AND recipient_id=5"), 1);
	assert_int_equal(count(f, "rule IN ('referral_reminder','referral_overdue')"
				  " AND recipient_id=10"), 0);
	/* The officer leaves: the referral is the unit's again. */
	sql(f, "UPDATE staff SET active = 0 WHERE id = 4");
	run(f, "2026-09-14T09:30:00");
	assert_int_equal(count(f, "rule='referral_escalation' AND recipient_id=5"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=10"
				  " AND state='pending'"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=4"
				  " AND state='pending'"), 0);
	fx_free(f);
}

static void assigned_officer_absent_reminds_deputy(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	second_officer(f);
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	/* Assigned later, by backactl or another system; Karin is away then
	 * and Sven stands in. */
	sql(f, "UPDATE referral SET officer = 'handl1' WHERE id = 1;"
	       "INSERT INTO absence(staff_id,start_date,end_date,deputy_id)"
	       " VALUES (4,'2026-09-10','2026-09-12',8)");
	run(f, "2026-09-11T09:00:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=8"
				  " AND state='pending'"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id IN (4,10)"
				  " AND state='pending'"), 0);
	fx_free(f);
}

static void unassigned_referral_reaches_functional_mailbox(void **state)
{
	struct fx *f = fx_new();
	char *v;

	(void)state;
	second_officer(f);
	sql(f, "UPDATE unit SET email = 'mottagningen@ystad.example.se' WHERE id = 4;"
	       "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T09:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 1);
	v = one(f, "address || '|' || coalesce(recipient_id, 0)", "rule='referral_reminder'");
	assert_string_equal(v, "mottagningen@ystad.example.se|0");
	free(v);
	assert_int_equal(count(f, "rule='referral_reminder' AND key LIKE '%/unit:4'"), 1);
	v = one(f, "body", "rule='referral_reminder'");
	assert_non_null(strstr(v, "Hej Socialtjänstens mottagningsenhet,"));
	free(v);
	/* The new referral reaches the unit at once, by its mailbox, and not
	 * each officer besides. */
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id IN (4,10)"), 0);
	assert_int_equal(count(f, "rule='referral_task' AND address ="
				  " 'mottagningen@ystad.example.se' AND state <> 'cancelled'"), 1);
	fx_free(f);
}

static void unassigned_referral_without_mailbox_reaches_coordinator(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	second_officer(f);
	/* Maja coordinates the intake unit's queue; Karin and Maja are officers. */
	sql(f, "INSERT INTO unit_role(unit_id,role,staff_id,start_date)"
	       " VALUES (4,'coordinator',10,'2026-01-01');"
	       "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T09:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=10"), 1);
	/* The new referral still reaches both officers at once. */
	assert_int_equal(count(f, "rule='referral_task' AND recipient_id IN (4,10)"), 2);
	fx_free(f);
}

/* 60 children start at Västervångskolan on one day; every other one with
 * the guardians' consent to a handover. */
static void sixty_children(struct fx *f)
{
	char q[512];

	sql(f, "DELETE FROM placement WHERE child_id = 1");
	for (int i = 0; i < 60; i++) {
		snprintf(q, sizeof q,
			 "INSERT INTO child(id,ref,name,birth_date) VALUES (%d,'K-%02d','Barn%02d"
			 " Efternamn','2019-06-01');"
			 "INSERT INTO placement(child_id,unit_id,kind,start_date,end_date) VALUES"
			 " (%d,2,'preschool','2022-08-15','2026-08-17'),"
			 " (%d,3,'school','2026-08-18',NULL);", 100 + i, i, i, 100 + i, 100 + i);
		sql(f, q);
		if (i % 2 == 0) {
			snprintf(q, sizeof q, "INSERT INTO consent(child_id,scope,given_by,given_date)"
				 " VALUES (%d,'handover','guardian','2026-06-01')", 100 + i);
			sql(f, q);
		}
	}
}

static void sixty_handovers_one_email_names_only_with_consent(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char name[32], *mid;
	int n;

	(void)state;
	sixty_children(f);
	run(f, "2026-08-04T08:00:00"); /* 14 days before school starts */
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=3"), 60);
	msgs = claim(f, "2026-08-04T08:01:00", &n);
	m = to(msgs, n, "marta@ystad.example.se");
	assert_int_equal(m->n_parts, 60);
	assert_string_equal(m->subject, "Backa barnet: 60 överlämningar väntar på dig tisdag 4 augusti 2026");
	assert_non_null(strstr(m->body, "Hej Märta Öberg,"));
	for (int i = 0; i < 60; i++) {
		char ref[8];

		snprintf(ref, sizeof ref, "K-%02d", i);
		snprintf(name, sizeof name, "Barn%02d Efternamn", i);
		assert_non_null(strstr(m->body, ref));
		if (i % 2 == 0)
			assert_non_null(strstr(m->body, name));
		else
			assert_null(strstr(m->body, name));
	}
	/* Sorted by deadline and told once each, under one heading. */
	assert_non_null(strstr(m->body, "Överlämningar"));
	done(f, m, OUTBOX_SENT, "2026-08-04T08:02:00");
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=3 AND state='sent'"),
			 60);
	/* One audit row per child, each naming the digest's Message-ID. */
	mid = strdup(m->message_id);
	{
		char q[512];

		snprintf(q, sizeof q, "SELECT count(DISTINCT child_id) FROM audit WHERE"
			 " rule='handover_incoming' AND address='marta@ystad.example.se'"
			 " AND message_id='%s'", mid);
		assert_int_equal(tu_int(f->db, q), 60);
		assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit WHERE"
					       " rule='handover_incoming' AND address="
					       "'marta@ystad.example.se'"), 60);
	}
	free(mid);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

/* Three open referrals, all reminded to Karin on the same morning. */
static void three_referrals(struct fx *f)
{
	sql(f, "INSERT INTO child(id,ref,name,birth_date) VALUES (4,'B-0004','Liv Ek','2018-01-01');"
	       "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date) VALUES"
	       " (1,1,6,4,'2026-09-01'), (2,2,6,4,'2026-09-01'), (3,4,6,4,'2026-09-01')");
}

static void item_decided_before_sending_is_not_in_digest(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	int n;

	(void)state;
	three_referrals(f);
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00"); /* the reminders are planned */
	assert_int_equal(count(f, "rule='referral_reminder' AND recipient_id=4"), 3);
	/* Referral 2 is decided before they go: its reminder leaves. */
	sql(f, "UPDATE referral SET decision_date='2026-09-11', outcome='opened' WHERE id=2");
	run(f, "2026-09-11T08:01:00");
	msgs = claim(f, "2026-09-11T08:02:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 2);
	assert_non_null(strstr(m->body, "B-0001/A1"));
	assert_null(strstr(m->body, "B-0002/A2"));
	assert_non_null(strstr(m->body, "B-0004/A3"));
	assert_non_null(strstr(m->subject, "2 förhandsbedömningar"));
	assert_int_equal(count(f, "rule='referral_reminder' AND state='cancelled'"), 1);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

static void digest_of_one_item_reads_like_the_message(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *body, *subject;
	int n;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date)"
	       " VALUES (1,3,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	body = one(f, "body", "rule='referral_reminder'");
	subject = one(f, "subject", "rule='referral_reminder'");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_null(m->parts); /* the item itself, with its own identity */
	assert_string_equal(m->body, body);
	assert_string_equal(m->subject, subject);
	free(body);
	free(subject);
	body = one(f, "message_id", "rule='referral_reminder'");
	assert_string_equal(m->message_id, body);
	free(body);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

static void digest_items_fail_and_resend_together_with_one_message_id(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *mid;
	int n;

	(void)state;
	three_referrals(f);
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 3);
	mid = strdup(m->message_id);
	done(f, m, OUTBOX_INDOUBT, "2026-09-11T08:02:00");
	outbox_msgs_free(msgs, n);
	/* Every item failed with the same next attempt. */
	assert_int_equal(tu_int(f->db, "SELECT count(DISTINCT next_attempt_at) FROM outbox"
				       " WHERE rule='referral_reminder' AND state='failed'"
				       " AND in_doubt=1"), 1);
	assert_int_equal(count(f, "rule='referral_reminder' AND state='failed'"), 3);
	msgs = claim(f, "2026-09-11T10:00:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 3);
	assert_string_equal(m->message_id, mid);
	free(mid);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

static void sms_digest_carries_no_name(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	int n;

	(void)state;
	sixty_children(f);
	/* The school's principal is reached by SMS only. */
	sql(f, "UPDATE unit_role SET staff_id = 9 WHERE unit_id = 3 AND role = 'principal'");
	run(f, "2026-08-04T08:00:00");
	assert_int_equal(count(f, "rule='handover_incoming' AND recipient_id=9"
				  " AND channel='sms'"), 60);
	msgs = claim(f, "2026-08-04T08:01:00", &n);
	m = to(msgs, n, "+46701000009");
	assert_int_equal(m->n_parts, 60);
	assert_null(m->subject);
	assert_string_equal(m->body, "Backa barnet: 60 överlämningar väntar på dig i dag. "
				     "Uppgifterna finns i verksamhetssystemet.");
	assert_null(strstr(m->body, "Barn"));
	assert_null(strstr(m->body, "K-"));
	/* Audited per child, as telling a count only. */
	done(f, m, OUTBOX_SENT, "2026-08-04T08:02:00");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit WHERE channel='sms'"
				       " AND categories='antal'"), 60);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

static void digest_summary_counts_kinds_in_swedish(void **state)
{
	struct digest_item it[7] = {
		{ 1, "referral_reminder", "a", "x", "2026-09-15" },
		{ 2, "followup_reminder", "b", "x", NULL },
		{ 3, "referral_overdue", "c", "x", "2026-09-14" },
		{ 4, "followup_overdue", "d", "x", NULL },
		{ 5, "referral_reminder", "e", "x", NULL },
		{ 6, "followup_reminder", "f", "x", NULL },
		{ 7, "followup_reminder", "g", "x", NULL },
	};
	char buf[256];

	(void)state;
	digest_summary(it, 7, buf, sizeof buf);
	assert_string_equal(buf, "3 förhandsbedömningar och 4 uppföljningssamtal");
	digest_summary(it, 1, buf, sizeof buf);
	assert_string_equal(buf, "1 förhandsbedömning");
	it[1].rule = "handover_incoming";
	it[3].rule = "discovery_reminder";
	digest_summary(it, 4, buf, sizeof buf);
	assert_string_equal(buf, "2 förhandsbedömningar, 1 överlämning och 1 upptäckarkort");
}

static void immediate_mode_keeps_items_apart(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs;
	int n, to_karin = 0;

	(void)state;
	f->cfg.digest[RG_REFERRAL] = 0;
	three_referrals(f);
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 3);
	assert_int_equal(count(f, "rule='referral_reminder' AND digest_key IS NOT NULL"), 0);
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	for (int i = 0; i < n; i++)
		if (strcmp(msgs[i].address, "karin@ystad.example.se") == 0) {
			to_karin++;
			assert_null(msgs[i].parts);
		}
	assert_int_equal(to_karin, 3);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

/* Two of Karin's reminders go out as a digest that ends in doubt; two more
 * referrals of the same reminder day come in. The new pair is another
 * message with another Message-ID; the pair in doubt goes again as the
 * same message, with the Message-ID it had. */
static void digest_in_doubt_keeps_its_message_id_and_a_new_set_gets_another(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *first, *second;
	int n;

	(void)state;
	f->cfg.retry_min = 3600;
	sql(f, "INSERT INTO child(id,ref,name,birth_date) VALUES"
	       " (4,'B-0004','Liv Ek','2018-01-01'), (5,'B-0005','Ida Ek','2018-01-01');"
	       "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date) VALUES"
	       " (1,1,6,4,'2026-09-01'), (2,2,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 2);
	first = strdup(m->message_id);
	done(f, m, OUTBOX_INDOUBT, "2026-09-11T08:02:00");
	outbox_msgs_free(msgs, n);
	/* Two more referrals, reminded on the same morning. */
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date) VALUES"
	       " (3,4,6,4,'2026-09-01'), (4,5,6,4,'2026-09-01')");
	run(f, "2026-09-11T08:03:00");
	assert_int_equal(tu_int(f->db, "SELECT count(DISTINCT digest_key) FROM outbox"
				       " WHERE rule='referral_reminder'"), 1);
	msgs = claim(f, "2026-09-11T08:04:00", &n);
	m = reminder_to(f, msgs, n, "karin@ystad.example.se", "2026-09-11T08:04:00");
	assert_int_equal(m->n_parts, 2);
	assert_non_null(strstr(m->body, "B-0004/A3"));
	assert_non_null(strstr(m->body, "B-0005/A4"));
	assert_string_not_equal(m->message_id, first);
	second = strdup(m->message_id);
	done(f, m, OUTBOX_SENT, "2026-09-11T08:05:00");
	outbox_msgs_free(msgs, n);
	/* The pair in doubt, due again: the same message as before. */
	msgs = claim(f, "2026-09-11T09:10:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 2);
	assert_non_null(strstr(m->body, "B-0001/A1"));
	assert_non_null(strstr(m->body, "B-0002/A2"));
	assert_string_equal(m->message_id, first);
	done(f, m, OUTBOX_SENT, "2026-09-11T09:11:00");
	outbox_msgs_free(msgs, n);
	/* Each child audited under the message that told it. */
	{
		char q[512];

		snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE rule='referral_reminder'"
			 " AND message_id='%s'", first);
		assert_int_equal(tu_int(f->db, q), 2);
		snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE rule='referral_reminder'"
			 " AND message_id='%s'", second);
		assert_int_equal(tu_int(f->db, q), 2);
	}
	free(first);
	free(second);
	fx_free(f);
}

/* A digest of two ends in doubt; one of its referrals is decided before
 * the retry. The other goes again under the digest's Message-ID (a client
 * that has the digest drops it), with its own text; the cancelled one says
 * it may have been delivered. */
static void digest_in_doubt_with_one_item_left_keeps_the_digest_message_id(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *mid, *body, *own, *why;
	int n;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date) VALUES"
	       " (1,1,6,4,'2026-09-01'), (2,2,6,4,'2026-09-01')");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 2);
	mid = strdup(m->message_id);
	done(f, m, OUTBOX_INDOUBT, "2026-09-11T08:02:00");
	outbox_msgs_free(msgs, n);
	sql(f, "UPDATE referral SET decision_date='2026-09-11', outcome='opened' WHERE id=2");
	run(f, "2026-09-11T08:03:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND state='cancelled'"), 1);
	why = one(f, "last_error", "rule='referral_reminder' AND state='cancelled'");
	assert_non_null(strstr(why, "kan redan ha levererats"));
	assert_non_null(strstr(why, mid));
	free(why);
	body = one(f, "body", "rule='referral_reminder' AND state='failed'");
	own = one(f, "message_id", "rule='referral_reminder' AND state='failed'");
	msgs = claim(f, "2026-09-11T10:00:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_null(m->parts);
	assert_string_equal(m->body, body);
	assert_string_equal(m->message_id, mid);
	assert_string_not_equal(m->message_id, own);
	done(f, m, OUTBOX_SENT, "2026-09-11T10:01:00");
	outbox_msgs_free(msgs, n);
	/* The decision is taken back: the cancelled item comes back as a
	 * message of its own (another Message-ID: a client that has the
	 * first one must not drop it). */
	sql(f, "UPDATE referral SET decision_date=NULL, outcome=NULL WHERE id=2");
	run(f, "2026-09-11T10:02:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND state='pending'"), 1);
	msgs = claim(f, "2026-09-11T10:03:00", &n);
	m = reminder_to(f, msgs, n, "karin@ystad.example.se", "2026-09-11T10:03:00");
	assert_string_not_equal(m->message_id, mid);
	free(body);
	free(own);
	free(mid);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

/* Referral 1 (received 1 September, deadline 15 September) has its first
 * reminder and referral 2 (received 29 August, deadline 12 September) its
 * last on the same morning: the digest lists referral 2 first, by
 * deadline, as backactl preview does. */
static void digest_sent_is_sorted_by_deadline(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	const char *a, *b;
	int n;

	(void)state;
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date) VALUES"
	       " (1,1,6,4,'2026-09-01'), (2,2,6,4,'2026-08-29')");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-10T08:00:00");
	send_due(f, "2026-09-10T08:00:00");
	run(f, "2026-09-11T08:00:00");
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM outbox WHERE rule='referral_reminder'"
				       " AND state='pending' AND digest_key IS NOT NULL"), 2);
	assert_true(tu_int(f->db, "SELECT (SELECT min(deadline) FROM outbox WHERE state='pending'"
				  " AND subject_key='referral:2') < (SELECT min(deadline) FROM outbox"
				  " WHERE state='pending' AND subject_key='referral:1')"));
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = reminder_to(f, msgs, n, "karin@ystad.example.se", "2026-09-11T08:01:00");
	assert_int_equal(m->n_parts, 2);
	a = strstr(m->body, "B-0001/A1");
	b = strstr(m->body, "B-0002/A2");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(b < a);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

/* A digest of three reminders is one message for the rate limits: with
 * three an hour allowed, Karin may still get two more after it. */
static void digest_counts_as_one_message_for_rate_limits(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	struct err e = { 0 };
	int n, sent = -1;

	(void)state;
	three_referrals(f);
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 3);
	done(f, m, OUTBOX_SENT, "2026-09-11T08:02:00");
	outbox_msgs_free(msgs, n);
	assert_int_equal(tu_int(f->db, "SELECT count(*) FROM audit WHERE"
				       " address='karin@ystad.example.se' AND at > '2026-09-11'"), 3);
	assert_int_equal(outbox_sent_since(f->db, "karin@ystad.example.se",
					   at("2026-09-11T07:30:00"), &sent, &e), 0);
	assert_int_equal(sent, 1);
	fx_free(f);
}

/* A digest of three that is given up is one report: with no other
 * channel, one admin alert naming the three rows; with a mobile number,
 * one SMS fallback (no name) instead of three. */
static void dead_digest_gives_one_alert_naming_its_items(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *body, q[256];
	int n;

	(void)state;
	three_referrals(f);
	sql(f, "UPDATE staff SET mobile = NULL WHERE id = 4");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 3);
	done(f, m, OUTBOX_PERMFAIL, "2026-09-11T08:02:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND state='dead'"), 3);
	assert_int_equal(count(f, "rule='admin_alert'"), 1);
	body = one(f, "body", "rule='admin_alert'");
	for (int i = 0; i < 3; i++) {
		snprintf(q, sizeof q, "backactl retry %lld", m->parts[i].id);
		assert_non_null(strstr(body, q));
	}
	assert_non_null(strstr(body, m->message_id));
	free(body);
	outbox_msgs_free(msgs, n);
	fx_free(f);

	f = fx_new();
	three_referrals(f);
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	done(f, m, OUTBOX_PERMFAIL, "2026-09-11T08:02:00");
	assert_int_equal(count(f, "rule='admin_alert'"), 0);
	assert_int_equal(count(f, "origin='fallback'"), 1);
	assert_int_equal(count(f, "origin='fallback' AND channel='sms'"
				  " AND address='+46701000004'"), 1);
	outbox_msgs_free(msgs, n);
	fx_free(f);
}

/* The admin alert about referral id's assigned officer, or fail. */
static char *assignee_alert(struct fx *f, int id)
{
	char where[128];

	snprintf(where, sizeof where, "rule='admin_alert' AND key LIKE"
		 " 'admin_alert/subject:referral:%d/assignee/%%'", id);
	assert_int_equal(count(f, where), 1);
	return one(f, "body", where);
}

/* Three assigned referrals whose officers cannot be reached on the day of
 * the reminder: Karin is away with nobody standing in, Maja has neither
 * e-mail nor mobile, and the code of the third was written by another
 * system and names nobody. Each reminder goes to the unit's mailbox, and
 * the admin gets one alert per referral naming it, the code and why. */
static void unreachable_officer_leaves_reminders_to_the_queue_and_alerts(void **state)
{
	struct fx *f = fx_new();
	char *v;

	(void)state;
	second_officer(f);
	sql(f, "UPDATE unit SET email = 'mottagningen@ystad.example.se' WHERE id = 4;"
	       "UPDATE staff SET email = NULL, mobile = NULL WHERE id = 10;"
	       "INSERT INTO absence(staff_id,start_date,end_date) VALUES (4,'2026-09-10','2026-09-12')");
	/* Codes written by another system, checked by nothing: on PostgreSQL
	 * the foreign key's trigger is off for the session meanwhile. */
	sql(f, tu_pg() ? "SET session_replication_role = replica" : "PRAGMA foreign_keys = OFF");
	sql(f, "INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date,officer)"
	       " VALUES (1,1,6,4,'2026-09-01','handl1'), (2,2,6,4,'2026-09-01','handl2'),"
	       " (3,3,6,4,'2026-09-01','okand')");
	sql(f, tu_pg() ? "SET session_replication_role = DEFAULT" : "PRAGMA foreign_keys = ON");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	assert_int_equal(count(f, "rule='referral_reminder'"), 3);
	assert_int_equal(count(f, "rule='referral_reminder'"
				  " AND address='mottagningen@ystad.example.se'"), 3);
	v = assignee_alert(f, 1);
	assert_non_null(strstr(v, "förhandsbedömningen 1 (ärende B-0001/A1"));
	assert_non_null(strstr(v, "koden handl1 är frånvarande och har ingen ersättare"));
	assert_null(strstr(v, "Ingen har rollen"));
	free(v);
	v = assignee_alert(f, 2);
	assert_non_null(strstr(v, "koden handl2 saknar både e-postadress och mobilnummer"));
	free(v);
	v = assignee_alert(f, 3);
	assert_non_null(strstr(v, "koden okand finns inte bland aktiv personal"));
	free(v);
	/* Once a day: a second pass adds no alert. */
	run(f, "2026-09-11T08:30:00");
	assert_int_equal(count(f, "rule='admin_alert' AND key LIKE '%/assignee/%'"), 3);
	/* Karin back at work: her referral's next reminder is hers again. */
	run(f, "2026-09-14T08:00:00");
	assert_int_equal(count(f, "rule='referral_overdue' AND recipient_id=4"), 0);
	assert_int_equal(count(f, "rule IN ('referral_reminder','referral_overdue')"
				  " AND subject_key='referral:1' AND recipient_id=4"), 1);
	fx_free(f);
}

/* A digest that cannot be written (the SMS would be longer than allowed)
 * tells the admin once, and its items still go, one at a time. */
static void unwritable_digest_alerts_once_and_items_still_go(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	char *body;
	int n, sent = 0;

	(void)state;
	three_referrals(f);
	sql(f, "UPDATE staff SET email = NULL WHERE id = 4");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	assert_int_equal(count(f, "rule='referral_reminder' AND channel='sms'"), 3);
	templates_set_sms_limit(f->tpl, 0); /* from now on no SMS text fits */
	for (int round = 0; round < 5 && sent < 3; round++) {
		msgs = claim(f, "2026-09-11T08:01:00", &n);
		for (int i = 0; i < n; i++) {
			m = &msgs[i];
			if (strcmp(m->rule, "referral_reminder") == 0) {
				assert_null(m->parts);
				sent++;
			}
			done(f, m, OUTBOX_SENT, "2026-09-11T08:01:00");
		}
		outbox_msgs_free(msgs, n);
	}
	assert_int_equal(sent, 3);
	assert_int_equal(count(f, "rule='referral_reminder' AND state='sent'"), 3);
	assert_int_equal(count(f, "rule='admin_alert' AND key LIKE 'alert/digest/%'"), 1);
	body = one(f, "body", "rule='admin_alert' AND key LIKE 'alert/digest/%'");
	assert_non_null(strstr(body, "kunde inte skrivas"));
	assert_null(strstr(body, "+4670"));
	free(body);
	fx_free(f);
}

/* A digest's items given up later, at the end of their lifetime (expiry,
 * or recovery after a crash), are reported once too, as one message. */
static void digest_expired_or_recovered_dead_gives_one_alert(void **state)
{
	struct fx *f = fx_new();
	struct outbox_msg *msgs, *m;
	struct outbox_recovery rec;
	struct err e = { 0 };
	char *body, *mid;
	int n, dead = 0;

	(void)state;
	f->cfg.retry_lifetime = 3600;
	three_referrals(f);
	sql(f, "UPDATE staff SET mobile = NULL WHERE id = 4");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(m->n_parts, 3);
	mid = strdup(m->message_id);
	done(f, m, OUTBOX_INDOUBT, "2026-09-11T08:02:00");
	outbox_msgs_free(msgs, n);
	assert_int_equal(outbox_expire(f->db, at("2026-09-11T12:00:00"), &f->cfg, &dead, &e), 0);
	assert_int_equal(dead, 3);
	assert_int_equal(count(f, "rule='referral_reminder' AND state='dead'"), 3);
	assert_int_equal(count(f, "rule='admin_alert'"), 1);
	body = one(f, "body", "rule='admin_alert'");
	assert_non_null(strstr(body, mid));
	free(body);
	free(mid);
	fx_free(f);

	/* The same set, its process killed while it was being sent. */
	f = fx_new();
	f->cfg.retry_lifetime = 3600;
	three_referrals(f);
	sql(f, "UPDATE staff SET mobile = NULL WHERE id = 4");
	run(f, "2026-09-01T09:00:00");
	send_due(f, "2026-09-01T09:00:00");
	run(f, "2026-09-11T08:00:00");
	msgs = claim(f, "2026-09-11T08:01:00", &n);
	m = to(msgs, n, "karin@ystad.example.se");
	assert_int_equal(outbox_started_tx(f->db, m, &e), 0);
	outbox_msgs_free(msgs, n);
	assert_int_equal(outbox_recover(f->db, at("2026-09-11T12:00:00"), "other", &f->cfg, &rec,
					&e), 0);
	assert_int_equal(count(f, "rule='referral_reminder' AND state='dead' AND in_doubt=1"), 3);
	assert_int_equal(count(f, "rule='admin_alert'"), 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(assigned_referral_reminds_only_its_officer),
		cmocka_unit_test(assigned_officer_absent_reminds_deputy),
		cmocka_unit_test(unassigned_referral_reaches_functional_mailbox),
		cmocka_unit_test(unassigned_referral_without_mailbox_reaches_coordinator),
		cmocka_unit_test(sixty_handovers_one_email_names_only_with_consent),
		cmocka_unit_test(item_decided_before_sending_is_not_in_digest),
		cmocka_unit_test(digest_of_one_item_reads_like_the_message),
		cmocka_unit_test(digest_items_fail_and_resend_together_with_one_message_id),
		cmocka_unit_test(sms_digest_carries_no_name),
		cmocka_unit_test(digest_summary_counts_kinds_in_swedish),
		cmocka_unit_test(immediate_mode_keeps_items_apart),
		cmocka_unit_test(digest_sent_is_sorted_by_deadline),
		cmocka_unit_test(digest_counts_as_one_message_for_rate_limits),
		cmocka_unit_test(dead_digest_gives_one_alert_naming_its_items),
		cmocka_unit_test(unreachable_officer_leaves_reminders_to_the_queue_and_alerts),
		cmocka_unit_test(unwritable_digest_alerts_once_and_items_still_go),
		cmocka_unit_test(digest_expired_or_recovered_dead_gives_one_alert),
		cmocka_unit_test(digest_in_doubt_keeps_its_message_id_and_a_new_set_gets_another),
		cmocka_unit_test(digest_in_doubt_with_one_item_left_keeps_the_digest_message_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
