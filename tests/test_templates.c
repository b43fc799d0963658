/* test_templates.c - the shipped Swedish templates load and render for every
 * kind and channel; SMS templates cannot carry names or identity numbers;
 * every problem in a broken directory is reported with its file and line; the
 * SMS part count is measured and limited. */
#include "testutil.h"

#include "smstext.h"
#include "templates.h"
#include "tvars.h"
#include "validate.h"

static struct tvars *realistic(void)
{
	struct tvars *v = tvars_new(), *it;

	tvars_set(v, "ref", "B-2019-0006/A1");
	tvars_set(v, "recipient", "Johanna Fors");
	tvars_set(v, "unit", "Socialtjänstens mottagningsenhet");
	tvars_set(v, "from_unit", "Förskolan Ängen");
	tvars_set(v, "date", "måndag 17 augusti 2026");
	tvars_set(v, "due", "tisdag 4 augusti 2026");
	tvars_set(v, "days", "3");
	tvars_set(v, "days_text", "3 dagar");
	tvars_set(v, "in_days", "om 3 dagar");
	tvars_set(v, "days_ago", "för 3 dagar sedan");
	tvars_set(v, "case_url", "https://case.example/referral/B-2019-0006%2FA1");
	tvars_set_bool(v, "deputy", 0);
	tvars_set(v, "deputy_for", "");
	tvars_set(v, "deputy_until", "");
	tvars_set(v, "contact_name", "Olof Lindqvist");
	tvars_set(v, "contact_email", "olof.lindqvist@ystad.example.se");
	tvars_set(v, "contact_phone", "+46701234567");
	tvars_set_bool(v, "contact_away", 0);
	tvars_set(v, "contact_for", "");
	tvars_set(v, "role", "förskolerektor");
	tvars_set(v, "outcome", "ingen utredning inleds");
	tvars_set(v, "received", "tisdag 21 juli 2026");
	tvars_set(v, "deadline_days", "14 dagar");
	tvars_set(v, "count", "143");
	tvars_set_bool(v, "consent", 1);
	tvars_set_bool(v, "reporter_left", 0);
	tvars_set(v, "child_name", "Saga Nilsson");
	tvars_set(v, "child_birth", "2024-08-09");
	tvars_set(v, "officer", "Johanna Fors, Ahmed Yilmaz");
	tvars_set(v, "alert_unit", "Förskolan Ängen");
	tvars_set(v, "alert_role", "rektor");
	tvars_set(v, "alert_reason", "ny Barnkontakt saknas");
	tvars_set(v, "ack_url", "https://backad.ystad.example.se/a/MXxmb2xsb3d1cDoxfDl8cmR8MTc5MDk4NTYwMA.x");
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-2020-0004");
	tvars_set(v, "summary", "3 förhandsbedömningar och 1 uppföljningssamtal");
	it = tvars_add_item(v, "groups");
	tvars_set(it, "heading", "Förhandsbedömningar");
	it = tvars_add_item(it, "items");
	tvars_set(it, "title", "Påminnelse: förhandsbedömning för ärende B-2019-0006/A1");
	tvars_set(it, "text", "Förhandsbedömningen i ärende B-2019-0006/A1 ska vara klar.");
	return v;
}

static void shipped_templates_render(void **state)
{
	struct templates *t = NULL;
	struct err e = { 0 };
	struct tvars *v = realistic();

	(void)state;
	if (templates_load("templates/sv", &t, NULL, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	for (size_t i = 0; templates_kind(i); i++) {
		const char *k = templates_kind(i);
		char *subject = NULL, *body = NULL;
		struct sms_info si;

		if (templates_render(t, k, TPL_EMAIL, v, &subject, &body, &e) < 0)
			fail_msg("%s: %s", k, e.msg);
		/* Every message about a case carries its reference. */
		if (strcmp(k, "admin_alert") != 0)
			assert_non_null(strstr(body, "B-2019-0006/A1"));
		assert_null(strchr(subject, '\n'));
		assert_int_equal(valid_utf8(body, &e), 0);
		free(subject);
		free(body);
		if (strcmp(k, "admin_alert") == 0)
			continue;
		if (templates_render(t, k, TPL_SMS, v, &subject, &body, &e) < 0)
			fail_msg("%s.sms: %s", k, e.msg);
		assert_null(subject);
		assert_null(strstr(body, "Saga"));
		assert_null(strstr(body, "Johanna"));
		assert_int_equal(sms_measure(body, &si), 0);
		if (si.ucs2 || si.segments != 1)
			fail_msg("%s.sms: %s, %d parts: %s", k, si.ucs2 ? "UCS-2" : "GSM-7",
				 si.segments, body);
		free(body);
	}
	tvars_free(v);
	templates_free(t);
}

static void key_phrases(void **state)
{
	struct templates *t = NULL;
	struct err e = { 0 };
	struct tvars *v = realistic();
	char *s = NULL, *b = NULL;

	(void)state;
	assert_int_equal(templates_load("templates/sv", &t, NULL, NULL, &e), 0);
	assert_int_equal(templates_render(t, "referral_feedback", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_non_null(strstr(b, "ingen utredning inleds"));
	assert_string_equal(s, "Återkoppling på orosanmälan – ärende B-2019-0006/A1");
	free(s);
	free(b);
	assert_int_equal(templates_render(t, "handover_incoming", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_non_null(strstr(b, "Saga Nilsson"));
	free(s);
	free(b);
	/* A task message shows the reader's acknowledgement link, on a line of
	 * its own; without one (links off) not a word about it. */
	assert_int_equal(templates_render(t, "followup_reminder", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_non_null(strstr(b, "\nhttps://backad.ystad.example.se/a/MXxmb2xsb3d1cDoxfDl8cmR8MTc5MDk4NTYwMA.x\n"));
	free(s);
	free(b);
	tvars_set(v, "ack_url", "");
	assert_int_equal(templates_render(t, "followup_reminder", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_null(strstr(b, "bekräfta"));
	free(s);
	free(b);
	tvars_set(v, "ack_url", "https://backad.ystad.example.se/a/MXxmb2xsb3d1cDoxfDl8cmR8MTc5MDk4NTYwMA.x");
	tvars_set_bool(v, "consent", 0);
	assert_int_equal(templates_render(t, "handover_incoming", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_null(strstr(b, "Saga"));
	assert_non_null(strstr(b, "Inget samtycke"));
	free(s);
	free(b);
	/* A value with a line break cannot break the subject line. */
	tvars_set(v, "ref", "X\r\nBcc: evil@example.com");
	assert_int_equal(templates_render(t, "referral_feedback", TPL_EMAIL, v, &s, &b, &e), 0);
	assert_null(strpbrk(s, "\r\n"));
	free(s);
	free(b);
	tvars_free(v);
	templates_free(t);
}

struct lines {
	int n;
	char text[16][600];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n < 16)
		snprintf(l->text[l->n], sizeof l->text[0], "%s", line);
	l->n++;
}

static int has_line(const struct lines *l, const char *a, const char *b)
{
	for (int i = 0; i < l->n && i < 16; i++)
		if (strstr(l->text[i], a) && strstr(l->text[i], b))
			return 1;
	return 0;
}

static void broken_directory_reports_everything(void **state)
{
	char *dir = tu_mkdtemp(), cmd[512];
	struct templates *t = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	snprintf(cmd, sizeof cmd, "cp templates/sv/* '%s'/", dir);
	assert_int_equal(system(cmd), 0);
	free(tu_write(dir, "referral_reminder.sms", "Påminnelse för {{child_name}}, {{ref}}.\n"));
	free(tu_write(dir, "followup_overdue.sms", "Ring 20120101-1234 om {{ref}}.\n"));
	free(tu_write(dir, "discovery_new.email", "Subject: fel\n\nbody\n"));
	free(tu_write(dir, "discovery_reminder.email", "Ämne: {{ref}}\n\nrad\n{{#consent}}\n"));
	free(tu_write(dir, "referral_task.email", "Ämne: {{ref}}\n\n{{colour}}\n"));
	snprintf(cmd, sizeof cmd, "rm '%s/handover_outgoing.sms'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(templates_load(dir, &t, collect, &l, &e), ERR_INVALID);
	assert_null(t);
	assert_int_equal(l.n, 6);
	assert_true(has_line(&l, "referral_reminder.sms:1:", "'child_name' may not be used in SMS"));
	assert_true(has_line(&l, "followup_overdue.sms:1:", "personal identity number"));
	assert_true(has_line(&l, "discovery_new.email:1:", "Ämne:"));
	assert_true(has_line(&l, "discovery_reminder.email:4:", "section 'consent' is not closed"));
	assert_true(has_line(&l, "referral_task.email:3:", "unknown field 'colour'"));
	assert_true(has_line(&l, "handover_outgoing.sms:0:", "cannot read"));
	tu_rmdir(dir);
}

/* A templates directory copied before the digests came has no digest.*:
 * each missing file is named, with what to do. */
static void templates_dir_without_digest_says_what_is_missing(void **state)
{
	char *dir = tu_mkdtemp(), cmd[512];
	struct templates *t = NULL;
	struct err e = { 0 };
	struct lines l = { 0 };

	(void)state;
	snprintf(cmd, sizeof cmd, "cp templates/sv/* '%s'/ && rm '%s'/digest.*", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(templates_load(dir, &t, collect, &l, &e), ERR_INVALID);
	assert_null(t);
	assert_int_equal(l.n, 2);
	assert_true(has_line(&l, "digest.email:0: cannot read the template", "copy them from"));
	assert_true(has_line(&l, "digest.sms:0: cannot read the template", "Upgrading"));
	tu_rmdir(dir);
}

static void sms_limit(void **state)
{
	struct templates *t = NULL;
	struct err e = { 0 };
	struct tvars *v = realistic();
	char *s = NULL, *b = NULL, longunit[400];

	(void)state;
	assert_int_equal(templates_load("templates/sv", &t, NULL, NULL, &e), 0);
	memset(longunit, 'x', 399);
	longunit[399] = '\0';
	tvars_set(v, "unit", longunit);
	templates_set_sms_limit(t, 2);
	assert_int_equal(templates_render(t, "handover_outgoing", TPL_SMS, v, &s, &b, &e),
			 ERR_INVALID);
	assert_non_null(strstr(e.msg, "SMS parts"));
	assert_null(b);
	templates_set_sms_limit(t, 4);
	assert_int_equal(templates_render(t, "handover_outgoing", TPL_SMS, v, &s, &b, &e), 0);
	free(b);
	tvars_free(v);
	templates_free(t);
}

static void sms_measure_rules(void **state)
{
	struct sms_info si;
	char buf[400];

	(void)state;
	memset(buf, 'a', 160);
	buf[160] = '\0';
	assert_int_equal(sms_measure(buf, &si), 0);
	assert_int_equal(si.ucs2, 0);
	assert_int_equal(si.segments, 1);
	buf[160] = 'a';
	buf[161] = '\0';
	sms_measure(buf, &si);
	assert_int_equal(si.segments, 2);
	memset(buf, 'a', 306);
	buf[306] = '\0';
	sms_measure(buf, &si);
	assert_int_equal(si.segments, 2);
	buf[306] = 'a';
	buf[307] = '\0';
	sms_measure(buf, &si);
	assert_int_equal(si.segments, 3);
	sms_measure("Hej Åsa, Ängen, Öland, é ü", &si);
	assert_int_equal(si.ucs2, 0);
	assert_int_equal(si.units, 26);
	sms_measure("{[€]}", &si);
	assert_int_equal(si.ucs2, 0);
	assert_int_equal(si.units, 10);
	sms_measure("ärende – nu", &si); /* en dash forces UCS-2 */
	assert_int_equal(si.ucs2, 1);
	assert_int_equal(si.units, 11);
	sms_measure("hej \xf0\x9f\x98\x80", &si); /* an emoji is two UTF-16 units */
	assert_int_equal(si.units, 6);
	memset(buf, 0, sizeof buf);
	for (int i = 0; i < 70; i++)
		memcpy(buf + i * 3, "\xe2\x80\x93", 3);
	sms_measure(buf, &si);
	assert_int_equal(si.segments, 1);
	memcpy(buf + 210, "\xe2\x80\x93", 3);
	sms_measure(buf, &si);
	assert_int_equal(si.segments, 2);
	assert_int_equal(sms_measure("\xff", &si), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_templates_render),
		cmocka_unit_test(key_phrases),
		cmocka_unit_test(broken_directory_reports_everything),
		cmocka_unit_test(sms_limit),
		cmocka_unit_test(templates_dir_without_digest_says_what_is_missing),
		cmocka_unit_test(sms_measure_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
