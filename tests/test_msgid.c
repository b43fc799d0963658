/* test_msgid.c - Message-IDs are well-formed and bounded whatever the key
 * and mail_from; rows and settings that could add a header line or an SMTP
 * command are refused at send, naming the outbox id. */
#include "testutil.h"

#include "msgid.h"
#include "outbox.h"
#include "sendcheck.h"

static char *long_from(void)
{
	static char from[260];

	strcpy(from, "backad@");
	while (strlen(from) < 240)
		strcat(from, "kommun.");
	strcat(from, "se");
	return from;
}

static void message_id_well_formed_and_bounded(void **state)
{
	char id[MSGID_SIZE], id2[MSGID_SIZE], key[2000];

	(void)state;
	msgid_make("referral_reminder/referral:1/2026-08-03/staff:11", "backad@ystad.example.se", id);
	assert_string_equal(id, "<referral_reminder.referral.1.2026-08-03.staff.11@ystad.example.se>");
	assert_true(msgid_valid(id));
	/* A long key and the longest mail_from: still <...@...>, bounded. */
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	msgid_make(key, long_from(), id);
	assert_true(msgid_valid(id));
	assert_true(strlen(id) <= MSGID_MAX);
	assert_int_equal(id[strlen(id) - 1], '>');
	/* Two long keys with the same start stay apart. */
	key[1500] = 'x';
	msgid_make(key, long_from(), id2);
	assert_true(msgid_valid(id2));
	assert_string_not_equal(id, id2);
	/* Odd keys and domains. */
	msgid_make("../@@ <x>\r\n", "no-at-sign", id);
	assert_string_equal(id, "<x@backad.invalid>");
	msgid_make("", "a@ystad.example.se", id);
	assert_string_equal(id, "<m@ystad.example.se>");
	msgid_make("åäö", "a@ystad.example.se", id);
	assert_string_equal(id, "<m@ystad.example.se>");
}

static void message_id_valid(void **state)
{
	char id[MSGID_SIZE];

	(void)state;
	assert_true(msgid_valid("<a.b@c.d>"));
	assert_false(msgid_valid("<a.b@c.d"));
	assert_false(msgid_valid("a.b@c.d>"));
	assert_false(msgid_valid("<a..b@c.d>"));
	assert_false(msgid_valid("<a@b@c.d>"));
	assert_false(msgid_valid("<a b@c.d>"));
	assert_false(msgid_valid("<a\r\nBcc: x@c.d>"));
	msgid_fix("<a.b@c.d>", "x@y.se", id);
	assert_string_equal(id, "<a.b@c.d>");
	msgid_fix("<a.b@c.d", "x@y.se", id);
	assert_string_equal(id, "<a.b.c.d@y.se>");
}

static struct outbox_msg msg(long long id, char *channel, char *address, char *mid)
{
	struct outbox_msg m = { 0 };

	m.id = id;
	m.channel = channel;
	m.address = address;
	m.message_id = mid;
	return m;
}

/* An address with a newline written into the database by another system
 * gave a second To: line in the SMS spool file. */
static void address_with_newline_second_header_line(void **state)
{
	struct err e = { 0 };
	struct outbox_msg m;

	(void)state;
	m = msg(17, "sms", "+46701234567\nTo: +46709999999", "<a@b.se>");
	assert_int_equal(sendcheck_msg(&m, &e), ERR_PERMFAIL);
	assert_non_null(strstr(e.msg, "outbox 17: the SMS number contains a line break"));
	assert_null(strstr(e.msg, "+4670"));
	m = msg(18, "email", "a@ystad.example.se\r\nBcc: x@y.se", "<a@b.se>");
	assert_int_equal(sendcheck_msg(&m, &e), ERR_PERMFAIL);
	assert_non_null(strstr(e.msg, "outbox 18: the e-mail address contains a line break"));
	m = msg(19, "email", "not an address", "<a@b.se>");
	assert_int_equal(sendcheck_msg(&m, &e), ERR_PERMFAIL);
	assert_non_null(strstr(e.msg, "outbox 19: the e-mail address is not"));
	m = msg(20, "sms", "+46701234567", "<a@b.se>\nX: y");
	assert_int_equal(sendcheck_msg(&m, &e), ERR_PERMFAIL);
	assert_non_null(strstr(e.msg, "outbox 20: the Message-ID"));
	m = msg(21, "sms", "+46701234567", "<a@b.se>");
	assert_int_equal(sendcheck_msg(&m, &e), 0);
	m = msg(22, "email", "a@ystad.example.se", "<a@b.se>");
	assert_int_equal(sendcheck_msg(&m, &e), 0);
}

/* A helo with "\r\nRCPT TO:<...>" put a command on the wire. */
static void smtp_setting_with_newline_command_on_wire(void **state)
{
	struct config c = { 0 };
	struct err e = { 0 };

	(void)state;
	c.mail_from = "backad@ystad.example.se";
	c.smtp_host = "mail.ystad.example.se";
	c.smtp_helo = "backad.ystad.example.se";
	assert_int_equal(sendcheck_smtp(&c, &e), 0);
	c.smtp_helo = "x\r\nRCPT TO:<evil@example.com>";
	assert_int_equal(sendcheck_smtp(&c, &e), ERR_TEMPFAIL);
	assert_non_null(strstr(e.msg, "smtp.helo contains a line break"));
	c.smtp_helo = "backad";
	c.smtp_user = "backad\r\nQUIT";
	assert_int_equal(sendcheck_smtp(&c, &e), ERR_TEMPFAIL);
	assert_non_null(strstr(e.msg, "smtp.user"));
	c.smtp_user = NULL;
	c.smtp_host = "mail host";
	assert_int_equal(sendcheck_smtp(&c, &e), ERR_TEMPFAIL);
	c.smtp_host = "localhost";
	c.mail_from = "backad@ystad.example.se\r\nRCPT TO:<x@y.se>";
	assert_int_equal(sendcheck_smtp(&c, &e), ERR_TEMPFAIL);
	assert_non_null(strstr(e.msg, "mail_from"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_id_well_formed_and_bounded),
		cmocka_unit_test(message_id_valid),
		cmocka_unit_test(address_with_newline_second_header_line),
		cmocka_unit_test(smtp_setting_with_newline_command_on_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
