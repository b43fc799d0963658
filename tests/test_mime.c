/* test_mime.c - e-mail built by mime.c parses strictly with Python's email
 * package, with the exact Swedish subject and body; long subjects and lines
 * fold within limits; values cannot add headers or recipients. */
#include "testutil.h"

#include "calendar.h"
#include "mime.h"
#include "textwrap.h"

/* Build, write, parse with tests/mime_strict.py; returns its output. */
static char *roundtrip(const char *to, const char *subject, const char *body)
{
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = { 0 };
	char *dir = tu_mkdtemp(), *path, cmd[600], buf[4096];
	FILE *p;
	size_t n;

	if (mime_build("backad@ystad.example.se", "backabarnet@ystad.example.se", to, subject, body,
		       "<referral_reminder.referral.1.2026-08-03.staff.11@ystad.example.se>",
		       1785736800, &sb, &e) < 0)
		fail_msg("%s", e.msg);
	path = tu_write(dir, "m.eml", sb_str(&sb));
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/mime_strict.py '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		sb_add(&out, buf, n);
	assert_int_equal(pclose(p), 0);
	sb_free(&sb);
	free(path);
	tu_rmdir(dir);
	return sb_take(&out);
}

static void swedish_subject_and_body(void **state)
{
	const char *subject = "Påminnelse: förhandsbedömning för ärende B-2026-0042 – 3 dagar kvar";
	char body[1200], *out, want[1400];

	(void)state;
	snprintf(body, sizeof body,
		 "Hej Åsa Öberg,\n\nFörhandsbedömningen ska vara klar senast tisdag 4 augusti.\n"
		 ".en rad som börjar med punkt\nslut med blanksteg   \n%s\n",
		 "Lång rad: åäö ÅÄÖ é ü – 0123456789 0123456789 0123456789 0123456789 0123456789 "
		 "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 "
		 "0123456789 0123456789 slut");
	out = roundtrip("asa.oberg@ystad.example.se", subject, body);
	snprintf(want, sizeof want, "SUBJECT %s\n", subject);
	assert_non_null(strstr(out, want));
	/* The text as written, its one long line wrapped (bodies_wrapped). */
	{
		struct strbuf w = STRBUF_INIT;

		assert_int_equal(text_wrap(body, TEXT_WIDTH, &w), 0);
		snprintf(want, sizeof want, "BODY %s", sb_str(&w));
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, "BODY Hej Åsa Öberg,\n\nFörhandsbedömningen ska vara klar "
					    "senast tisdag 4 augusti.\n.en rad som börjar med punkt\n"
					    "slut med blanksteg   \nLång rad: "));
		sb_free(&w);
	}
	assert_non_null(strstr(out, "HEADERS Auto-Submitted Content-Transfer-Encoding Content-Type Date "
				    "From MIME-Version Message-ID Reply-To Subject To\n"));
	free(out);
}

static void long_subject_folds(void **state)
{
	char subject[400], *out, want[500];
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	snprintf(subject, sizeof subject, "%s",
		 "Överlämning av Barnkontakt måndag 17 augusti 2026 – ärende B-2020-0004 – "
		 "förskoleklass vid Västervångskolan, med samtycke från vårdnadshavare åäö");
	out = roundtrip("a@ystad.example.se", subject, "x\n");
	snprintf(want, sizeof want, "SUBJECT %s\n", subject);
	assert_non_null(strstr(out, want));
	free(out);
	/* Every encoded word at most 75 characters, no character split. */
	mime_encode_subject(subject, &sb);
	for (char *w = strstr(sb.s, "=?"); w; w = strstr(w + 2, "=?")) {
		char *end = strstr(w + 2, "?=");

		assert_non_null(end);
		assert_true(end + 2 - w <= 75);
		w = end;
	}
	sb_free(&sb);
}

static void no_header_injection(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct err e = { 0 };
	char *out;

	(void)state;
	out = roundtrip("a@ystad.example.se", "Hej\r\nBcc: evil@example.com\nX-Evil: 1", "b\n");
	assert_non_null(strstr(out, "HEADERS Auto-Submitted Content-Transfer-Encoding Content-Type Date "
				    "From MIME-Version Message-ID Reply-To Subject To\n"));
	assert_non_null(strstr(out, "TO a@ystad.example.se\n"));
	free(out);
	assert_int_equal(mime_build("a@ystad.example.se", NULL, "b@ystad.example.se\r\nBcc: c@x.se",
				    "s", "b", "<a@b>", 0, &sb, &e), ERR_INVALID);
	assert_int_equal(mime_build("a@ystad.example.se\n", NULL, "b@ystad.example.se", "s", "b",
				    "<a@b>", 0, &sb, &e), ERR_INVALID);
	/* A Message-ID with a line break cannot add a header either: it is
	 * rebuilt well-formed (tests/test_msgid.c). */
	assert_int_equal(mime_build("a@ystad.example.se", NULL, "b@ystad.example.se", "s", "b",
				    "<a@b>\r\nBcc: c@x.se", 0, &sb, &e), 0);
	assert_null(strstr(sb_str(&sb), "\nBcc"));
	assert_non_null(strstr(sb_str(&sb), "\r\nMessage-ID: <a.b.Bcc.c.x.se@ystad.example.se>\r\n"));
	sb_free(&sb);
}

static char *wrapped(const char *in)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(text_wrap(in, TEXT_WIDTH, &sb), 0);
	return sb_take(&sb);
}

/* Rendered bodies went out with lines of any length and a "--" that is no
 * signature separator. */
static void bodies_wrapped_signature_separated(void **state)
{
	char *w;

	(void)state;
	w = wrapped("Förhandsbedömningen för ärende B-2026-0042 ska vara klar senast tisdag "
		    "4 augusti 2026, det är om tre arbetsdagar från i dag räknat.\n"
		    "  - en punkt i en lista som är så lång att den inte ryms på en rad "
		    "utan måste brytas\n"
		    "https://arende.ystad.example.se/mycket/lang/lank/som/inte/far/brytas/"
		    "mitt/i/ordet?ref=B-2026-0042 och sedan text\n"
		    "kort rad\r\n--\nDetta meddelande skickades automatiskt av backad.\n");
	assert_string_equal(w,
		"Förhandsbedömningen för ärende B-2026-0042 ska vara klar senast tisdag 4\n"
		"augusti 2026, det är om tre arbetsdagar från i dag räknat.\n"
		"  - en punkt i en lista som är så lång att den inte ryms på en rad utan\n"
		"    måste brytas\n"
		"https://arende.ystad.example.se/mycket/lang/lank/som/inte/far/brytas/mitt/i/ordet?ref=B-2026-0042\n"
		"och sedan text\n"
		"kort rad\n-- \nDetta meddelande skickades automatiskt av backad.\n");
	free(w);
	/* Every line at most 72 characters (å counts one), none lost. */
	w = wrapped("åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö "
		    "åäö åäö åäö åäö åäö åäö åäö åäö slut");
	assert_string_equal(w, "åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö åäö\n"
			       "åäö åäö åäö åäö åäö åäö åäö åäö slut");
	free(w);
	w = wrapped("");
	assert_string_equal(w, "");
	free(w);
	w = wrapped("-- \n---\n --\n");
	assert_string_equal(w, "-- \n---\n --\n");
	free(w);
}

/* Notifications drew vacation auto-replies, and answers went to the
 * daemon's address instead of the local team. */
static void auto_submitted_and_reply_to(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(mime_build("backad@ystad.example.se", "backabarnet@ystad.example.se",
				    "b@ystad.example.se", "s", "Hej\n--\nbackad\n", "<a@b.se>", 0,
				    &sb, &e), 0);
	assert_non_null(strstr(sb_str(&sb), "\r\nReply-To: backabarnet@ystad.example.se\r\n"));
	assert_non_null(strstr(sb_str(&sb), "\r\nAuto-Submitted: auto-generated\r\n"));
	/* The separator's blank survives quoted-printable. */
	assert_non_null(strstr(sb_str(&sb), "\r\n\r\nHej\r\n--=20\r\nbackad\r\n"));
	sb_free(&sb);
	assert_int_equal(mime_build("backad@ystad.example.se", NULL, "b@ystad.example.se", "s",
				    "x", "<a@b.se>", 0, &sb, &e), 0);
	assert_null(strstr(sb_str(&sb), "Reply-To"));
	sb_free(&sb);
	assert_int_equal(mime_build("backad@ystad.example.se", "team@ystad.example.se\r\nBcc: x@y.se",
				    "b@ystad.example.se", "s", "x", "<a@b.se>", 0, &sb, &e),
			 ERR_INVALID);
	sb_free(&sb);
}

/* A long valid mail_from made a Message-ID that lost its '>', and every
 * e-mail died; a stored id like that now gives a well-formed one. */
static void long_mail_from_message_id_loses_bracket(void **state)
{
	char from[260], cut[400], *out;
	struct strbuf sb = STRBUF_INIT;
	struct err e = { 0 };
	const char *mid, *end;

	(void)state;
	memset(from, 0, sizeof from);
	strcpy(from, "backad@");
	for (int i = 0; i < 24; i++)
		strcat(from, "kommunen.");
	strcat(from, "ystad.se"); /* 231 bytes, a valid address */
	/* What the planner stored: "<key@domain" cut at 299 bytes. */
	snprintf(cut, 300, "<referral_reminder.referral.1.2026-08-03.staff.11.extra.long.key%s",
		 strchr(from, '@'));
	assert_int_equal(mime_build(from, NULL, "b@ystad.example.se", "s", "b\n", cut, 0, &sb, &e), 0);
	mid = strstr(sb_str(&sb), "\r\nMessage-ID: <");
	assert_non_null(mid);
	end = strstr(mid + 2, "\r\n");
	assert_int_equal(end[-1], '>');
	assert_true(end - (mid + 14) <= 320);
	sb_free(&sb);
	/* The same stored id gives the same Message-ID at every attempt. */
	assert_int_equal(mime_build(from, NULL, "b@ystad.example.se", "s", "b\n", cut, 0, &sb, &e), 0);
	assert_non_null(strstr(sb_str(&sb), "kommunen.ystad.se>\r\n"));
	out = sb_take(&sb);
	assert_int_equal(mime_build(from, NULL, "b@ystad.example.se", "s", "b\n", cut, 0, &sb, &e), 0);
	assert_string_equal(out, sb_str(&sb));
	free(out);
	sb_free(&sb);
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static void qp_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char body[300];
	int lines = 0;

	(void)state;
	memset(body, 0, sizeof body);
	for (int i = 0; i < 100; i++)
		memcpy(body + 2 * i, "ä", 2); /* every character becomes =C3=A4 */
	strcat(body, "\nx\n");
	assert_int_equal(mime_qp(body, &sb), 0);
	for (const char *p = sb.s; *p; lines++) {
		const char *nl = strstr(p, "\r\n");
		int soft;

		assert_non_null(nl); /* every line ends in CRLF: no bare LF */
		assert_null(memchr(p, '\n', (size_t)(nl - p)));
		assert_true(nl - p <= 76);
		soft = nl > p && nl[-1] == '=';
		/* Every escape is complete on its line: a soft break never splits one. */
		for (const char *q = p; q < nl - soft; q++)
			if (*q == '=')
				assert_true(q + 2 < nl + (soft ? 0 : 1) && is_hex(q[1]) && is_hex(q[2]));
		p = nl + 2;
	}
	assert_true(lines >= 9); /* 600 characters of escapes need several lines */
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(swedish_subject_and_body),
		cmocka_unit_test(long_subject_folds),
		cmocka_unit_test(no_header_injection),
		cmocka_unit_test(long_mail_from_message_id_loses_bracket),
		cmocka_unit_test(bodies_wrapped_signature_separated),
		cmocka_unit_test(auto_submitted_and_reply_to),
		cmocka_unit_test(qp_lines),
	};

	cal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
