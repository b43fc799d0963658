/* test_config.c - backad.conf: the shipped example loads, defaults hold, and
 * every mistake is reported with its line, all of them in one pass. */
#include "testutil.h"

#include "config.h"

struct lines {
	int n;
	char text[8][512];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n < 8)
		snprintf(l->text[l->n], sizeof l->text[0], "%s", line);
	l->n++;
}

static void example_loads(void **state)
{
	struct config *c = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	if (config_load("etc/backad.conf", &c, collect, &l, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(l.n, 0);
	assert_string_equal(c->delivery, "spool");
	assert_int_equal(c->send_time, 8 * 60);
	assert_int_equal(c->referral_reminders.n, 2);
	assert_int_equal(c->referral_reminders.v[1], 13);
	assert_int_equal(c->n_school_starts, 2);
	assert_int_equal(c->retry_lifetime, 432000);
	assert_int_equal(c->channels[RG_REFERRAL], CHMODE_PREFERRED);
	/* The shipped file says what the defaults are. */
	assert_int_equal(c->smtp_timeout, 60);
	assert_int_equal(c->smtp_sessions, 2);
	assert_int_equal(c->sms_connections, 4);
	assert_int_equal(c->stop_grace, 15);
	config_free(c);
}

/* The delivery pipelines' keys: defaults and ranges. */
static void pipeline_keys(void **state)
{
	char *dir = tu_mkdtemp();
	char *ok = tu_write(dir, "ok.conf", "smtp: { sessions = 16; };\nsms: { connections = 1; };\n"
					   "stop_grace_seconds = 5;\n");
	char *bad = tu_write(dir, "bad.conf", "smtp: { sessions = 0; };\nsms: { connections = 17; };\n"
					     "stop_grace_seconds = 0;\n");
	struct config *c = NULL, d;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	assert_int_equal(config_defaults(&d, &e), 0);
	assert_int_equal(d.smtp_sessions, 2);
	assert_int_equal(d.sms_connections, 4);
	assert_int_equal(d.stop_grace, 15);
	assert_int_equal(d.smtp_timeout, 60);
	config_clear(&d);
	assert_int_equal(config_load(ok, &c, NULL, NULL, &e), 0);
	assert_int_equal(c->smtp_sessions, 16);
	assert_int_equal(c->sms_connections, 1);
	assert_int_equal(c->stop_grace, 5);
	config_free(c);
	assert_int_equal(config_load(bad, &c, collect, &l, &e), ERR_INVALID);
	assert_int_equal(l.n, 3);
	assert_non_null(strstr(l.text[0], "bad.conf:1: smtp.sessions = 0 is out of range (1..16)"));
	assert_non_null(strstr(l.text[1], "bad.conf:2: sms.connections = 17 is out of range (1..16)"));
	assert_non_null(strstr(l.text[2], "bad.conf:3: stop_grace_seconds = 0 is out of range"));
	free(ok);
	free(bad);
	tu_rmdir(dir);
}

static void empty_file_gives_defaults(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_write(dir, "empty.conf", "");
	struct config *c = NULL, d;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(config_load(path, &c, NULL, NULL, &e), 0);
	assert_int_equal(config_defaults(&d, &e), 0);
	assert_string_equal(c->database, d.database);
	assert_int_equal(c->referral_deadline, 14);
	assert_int_equal(c->handover_incoming.n, 2);
	assert_int_equal(c->sms_from, 7 * 60 + 30);
	config_clear(&d);
	config_free(c);
	free(path);
	tu_rmdir(dir);
}

static void every_mistake_with_its_line(void **state)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "bad.conf",
			      "database = \"/tmp/x.db\";\n"
			      "send_time = \"25:00\";\n"
			      "colour = \"blue\";\n"
			      "referral: {\n"
			      "  reminder_days = [ 10, 99 ];\n"
			      "};\n"
			      "admin_email = \"not an address\";\n");
	struct config *c = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	assert_int_equal(config_load(path, &c, collect, &l, &e), ERR_INVALID);
	assert_null(c);
	assert_int_equal(l.n, 4);
	assert_non_null(strstr(l.text[0], "bad.conf:2: send_time"));
	assert_non_null(strstr(l.text[1], "bad.conf:3: unknown setting 'colour'"));
	assert_non_null(strstr(l.text[2], "bad.conf:5: referral.reminder_days = 99"));
	assert_non_null(strstr(l.text[3], "bad.conf:7: admin_email"));
	assert_string_equal(e.msg, l.text[0]);
	free(path);
	tu_rmdir(dir);
}

static void syntax_error_names_line(void **state)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "syntax.conf", "database = \"/tmp/x.db\";\nsend_time = ;\n");
	struct config *c = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(config_load(path, &c, NULL, NULL, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "syntax.conf:2:"));
	free(path);
	tu_rmdir(dir);
}

static void whole_file_checks(void **state)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "w.conf",
			      "sms: { allowed_from = \"19:00\"; allowed_until = \"07:00\";"
			      " sender = \"Far too long sender\"; };\n"
			      "referral: { deadline_days = 14; escalate_day = 20; };\n"
			      "retry: { min_seconds = 600; max_seconds = 300; };\n"
			      "followup: { channels = \"pigeon\"; };\n");
	struct config *c = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	assert_int_equal(config_load(path, &c, collect, &l, &e), ERR_INVALID);
	assert_int_equal(l.n, 5);
	assert_non_null(strstr(l.text[0], "w.conf:4: followup.channels = \"pigeon\""));
	assert_non_null(strstr(l.text[1], "allowed_until must be later"));
	assert_non_null(strstr(l.text[2], "retry.max_seconds"));
	assert_non_null(strstr(l.text[3], "sms.sender"));
	assert_non_null(strstr(l.text[4], "escalate_day (20)"));
	free(path);
	tu_rmdir(dir);
}

/* case_url must be https and say where the reference goes; a good one loads. */
static void case_url_checked(void **state)
{
	static const char *const bad[] = { "http://case.example/referral/{ref}",
					   "https://case.example/referral/",
					   "https://", "case.example/{ref}" };
	char *dir = tu_mkdtemp();
	struct config *c = NULL;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[200];
		struct lines l = { 0 };
		char *path;

		snprintf(text, sizeof text, "database = \"x.db\";\ncase_url = \"%s\";\n", bad[i]);
		path = tu_write(dir, "u.conf", text);
		assert_int_equal(config_load(path, &c, collect, &l, &e), ERR_INVALID);
		assert_int_equal(l.n, 1);
		assert_non_null(strstr(l.text[0], "u.conf:2: case_url"));
		assert_non_null(strstr(l.text[0], "https://"));
		free(path);
	}
	{
		char *path = tu_write(dir, "u.conf",
				      "case_url = \"https://case.example/referral/{ref}?view=1\";\n");

		assert_int_equal(config_load(path, &c, NULL, NULL, &e), 0);
		assert_string_equal(c->case_url, "https://case.example/referral/{ref}?view=1");
		config_free(c);
		free(path);
	}
	tu_rmdir(dir);
}

/* A helo of "x\r\nRCPT TO:<...>" put a command on the SMTP wire. */
static void smtp_values_with_line_breaks_refused(void **state)
{
	char *dir = tu_mkdtemp();
	char *path = tu_write(dir, "crlf.conf",
			      "mail_from = \"backad@ystad.example.se\\r\\nBcc: x@y.se\";\n"
			      "smtp: {\n"
			      "  helo = \"x\\r\\nRCPT TO:<evil@example.com>\";\n"
			      "  user = \"backad\\n\";\n"
			      "  host = \"mail.example.se\\tQUIT\";\n"
			      "};\n"
			      "templates = \"templates/sv\\x07\";\n");
	char *ok = tu_write(dir, "ok.conf",
			    "smtp: { helo = \"[192.0.2.1]\"; host = \"relay_1.ystad.example.se\"; };\n");
	struct config *c = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	assert_int_equal(config_load(path, &c, collect, &l, &e), ERR_INVALID);
	assert_null(c);
	assert_int_equal(l.n, 5);
	assert_non_null(strstr(l.text[0], "crlf.conf:1: mail_from: contains a line break"));
	assert_non_null(strstr(l.text[1], "crlf.conf:3: smtp.helo: contains a line break"));
	assert_non_null(strstr(l.text[2], "crlf.conf:4: smtp.user: contains a line break"));
	assert_non_null(strstr(l.text[3], "crlf.conf:5: smtp.host: contains a line break"));
	assert_non_null(strstr(l.text[4], "crlf.conf:7: templates: contains"));
	for (int i = 0; i < l.n && i < 8; i++)
		assert_null(strpbrk(l.text[i], "\r\n"));
	assert_int_equal(config_load(ok, &c, collect, &l, &e), 0);
	assert_string_equal(c->smtp_helo, "[192.0.2.1]");
	config_free(c);
	free(path);
	free(ok);
	tu_rmdir(dir);
}

static void missing_file(void **state)
{
	struct config *c = NULL;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(config_load("/nonexistent/backad.conf", &c, NULL, NULL, &e), ERR_IO);
	assert_non_null(strstr(e.msg, "/nonexistent/backad.conf"));
}

static void env_and_argument(void **state)
{
	(void)state;
	unsetenv("BACKAD_CONFIG");
	assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
	setenv("BACKAD_CONFIG", "/tmp/from-env.conf", 1);
	assert_string_equal(config_path(NULL), "/tmp/from-env.conf");
	assert_string_equal(config_path("/tmp/arg.conf"), "/tmp/arg.conf");
	unsetenv("BACKAD_CONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_loads),
		cmocka_unit_test(empty_file_gives_defaults),
		cmocka_unit_test(pipeline_keys),
		cmocka_unit_test(every_mistake_with_its_line),
		cmocka_unit_test(syntax_error_names_line),
		cmocka_unit_test(whole_file_checks),
		cmocka_unit_test(case_url_checked),
		cmocka_unit_test(smtp_values_with_line_breaks_refused),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(env_and_argument),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
