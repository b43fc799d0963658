/* test_smtp_stage.c - replies are matched to the commands they answer, in
 * pipelines and pieces, so an error names its stage; AUTH arguments are
 * never kept. */
#include "testutil.h"

#include <libesmtp.h>

#include "smtp_stage.h"

static void rd(struct smtp_stage *t, const char *s)
{
	smtp_stage_monitor(s, (int)strlen(s), SMTP_CB_READING, t);
}

static void wr(struct smtp_stage *t, const char *s)
{
	smtp_stage_monitor(s, (int)strlen(s), SMTP_CB_WRITING, t);
}

static char *why(const struct smtp_stage *t)
{
	static char buf[300];

	if (!smtp_stage_describe(t, buf, sizeof buf))
		strcpy(buf, "-");
	return buf;
}

/* A 421 greeting was recorded as "No Error". */
static void greeting_421_no_error(void **state)
{
	struct smtp_stage t;

	(void)state;
	smtp_stage_init(&t);
	assert_string_equal(why(&t), "no reply to the greeting");
	rd(&t, "421 4.3.2 Service not");
	rd(&t, " available\r\n");
	wr(&t, "QUIT\r\n");
	assert_string_equal(why(&t), "greeting 421 4.3.2 Service not available");
	assert_true(smtp_stage_session_failed(&t));
}

/* A 454 reply to STARTTLS was recorded as "no reply". */
static void starttls_454_no_reply(void **state)
{
	struct smtp_stage t;

	(void)state;
	smtp_stage_init(&t);
	rd(&t, "220 mx ESMTP\r\n");
	wr(&t, "EHLO backad\r\n");
	rd(&t, "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
	wr(&t, "STARTTLS\r\n");
	assert_string_equal(why(&t), "no reply to STARTTLS");
	rd(&t, "454 4.7.0 TLS not available\r\n");
	wr(&t, "QUIT\r\n");
	rd(&t, "221 Bye\r\n");
	assert_string_equal(why(&t), "STARTTLS 454 4.7.0 TLS not available");
	assert_true(smtp_stage_session_failed(&t));
}

static void pipeline_and_data(void **state)
{
	struct smtp_stage t;

	(void)state;
	smtp_stage_init(&t);
	rd(&t, "220 mx\r\n");
	wr(&t, "EHLO backad\r\n");
	rd(&t, "250 mx\r\n");
	wr(&t, "MAIL FROM:<a@b.se>\r\nRCPT TO:<c@d.se>\r\nDATA\r\n");
	rd(&t, "250 ok\r\n250 ok\r\n354 go\r\n");
	assert_string_equal(why(&t), "no reply to end of data");
	rd(&t, "250 queued\r\n");
	wr(&t, "MAIL FROM:<a@b.se>\r\nRCPT TO:<e@d.se>\r\nDATA\r\n");
	rd(&t, "250 ok\r\n550 5.1.1 no such user\r\n554 no valid recipients\r\n");
	assert_string_equal(why(&t), "RCPT 550 5.1.1 no such user");
	assert_false(smtp_stage_session_failed(&t));
	/* The next message's MAIL gets no reply: that, not the old RCPT. */
	wr(&t, "RSET\r\n");
	rd(&t, "250 ok\r\n");
	wr(&t, "MAIL FROM:<a@b.se>\r\n");
	{
		char buf[100];

		assert_true(smtp_stage_waiting(&t, buf, sizeof buf));
		assert_string_equal(buf, "no reply to MAIL");
	}
	smtp_stage_init(&t);
	rd(&t, "220 mx\r\nx");
	rd(&t, "\n");
	wr(&t, "EHLO backad\r\n");
	rd(&t, "250 mx\r\n");
	wr(&t, "MAIL FROM:<a@b.se>\r\nRCPT TO:<c@d.se>\r\nDATA\r\n");
	rd(&t, "250 ok\r\n250 ok\r\n354 go\r\n451 4.3.0 later\r\n");
	assert_string_equal(why(&t), "end of data 451 4.3.0 later");
}

static void auth_arguments_never_kept(void **state)
{
	struct smtp_stage t;

	(void)state;
	smtp_stage_init(&t);
	rd(&t, "220 mx\r\n");
	wr(&t, "EHLO backad\r\n");
	rd(&t, "250 AUTH LOGIN\r\n");
	wr(&t, "AUTH LOGIN\r\n");
	rd(&t, "334 VXNlcm5hbWU6\r\n");
	wr(&t, "YmFja2Fk\r\n");
	rd(&t, "334 UGFzc3dvcmQ6\r\n");
	wr(&t, "SEMLIGT\r\n");
	rd(&t, "535 5.7.8 Authentication failed\r\n");
	assert_string_equal(why(&t), "AUTH 535 5.7.8 Authentication failed");
	assert_true(smtp_stage_session_failed(&t));
	assert_null(memmem(&t, sizeof t, "SEMLIGT", 7));
	assert_null(memmem(&t, sizeof t, "LOGIN", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(greeting_421_no_error),
		cmocka_unit_test(starttls_454_no_reply),
		cmocka_unit_test(pipeline_and_data),
		cmocka_unit_test(auth_arguments_never_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
