/* test_template_variants.c - every shipped template rendered in every
 * variant (each combination of its yes/no sections, the day counts 0, 1, 2
 * and 14, with and without a case link, a deputy, the other Barnkontakt's
 * contact, a protected child's units) reads as good Swedish text: valid
 * UTF-8, no tag left, no word twice in a row, no "1 dagar" or "om 0 dagar",
 * no empty parentheses or stray spaces before punctuation, no two empty
 * lines in a row, and e-mail lines within the wrap width once wrapped. */
#include "testutil.h"

#include <ctype.h>

#include "plan.h"
#include "templates.h"
#include "textwrap.h"
#include "tvars.h"
#include "validate.h"

/* bits: 1 consent, 2 reporter_left, 4 a case link, 8 a deputy, 16 the other
 * Barnkontakt with e-mail and phone (32: with a phone only), 64 a child with
 * protected identity in a handover (no unit, no previous unit). */
static struct tvars *sample(int days, int bits)
{
	struct tvars *v = tvars_new(), *it;

	tvars_set(v, "ref", "B-2019-0006/A1");
	tvars_set(v, "recipient", "Johanna Fors");
	tvars_set(v, "unit", bits & 64 ? "" : "Socialtjänstens mottagningsenhet");
	tvars_set(v, "from_unit", bits & 64 ? "" : "Förskolan Ängen");
	tvars_set(v, "date", "måndag 17 augusti 2026");
	tvars_set(v, "due", "tisdag 4 augusti 2026");
	plan_set_days(v, days);
	tvars_set(v, "role", "förskolerektor");
	tvars_set(v, "outcome", "ingen utredning inleds");
	tvars_set(v, "received", "tisdag 21 juli 2026");
	tvars_set(v, "deadline_days", "14 dagar");
	tvars_set(v, "count", "3");
	tvars_set_bool(v, "consent", bits & 1);
	tvars_set_bool(v, "reporter_left", bits & 2);
	tvars_set_bool(v, "deputy", bits & 8);
	tvars_set(v, "deputy_for", bits & 8 ? "Karin Åberg" : "");
	tvars_set(v, "deputy_until", bits & 8 ? "fredag 28 augusti 2026" : "");
	tvars_set(v, "contact_name", bits & 48 ? "Olof Lindqvist" : "");
	tvars_set(v, "contact_email", bits & 16 ? "olof.lindqvist@ystad.example.se" : "");
	tvars_set(v, "contact_phone", bits & 48 ? "+46701234567" : "");
	/* With a phone only, the contact is the holder's deputy. */
	tvars_set_bool(v, "contact_away", bits & 32);
	tvars_set(v, "contact_for", bits & 32 ? "Karin Åberg" : "");
	tvars_set(v, "child_name", "Saga Nilsson");
	tvars_set(v, "child_birth", "2024-08-09");
	tvars_set(v, "officer", "Ahmed Yilmaz");
	tvars_set(v, "case_url", bits & 4 ? "https://case.example/referral/B-2019-0006%2FA1" : "");
	/* The acknowledgement link comes and goes with the case link. */
	tvars_set(v, "ack_url", bits & 4 ? "https://backa.example.se/a/MTIzNDU2Nzg5MA.c2lnbmF0dXJl"
				       : "");
	tvars_set(v, "alert_unit", "Förskolan Ängen");
	tvars_set(v, "alert_role", "rektor");
	tvars_set(v, "alert_reason", "ny Barnkontakt saknas");
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-2020-0004");
	tvars_set(it, "unit", "Förskolan Ängen");
	tvars_set(it, "date", "måndag 17 augusti 2026");
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-2020-0005");
	tvars_set(it, "unit", "Förskolan Ängen");
	tvars_set(it, "date", "tisdag 18 augusti 2026");
	/* A person's digest: two kinds, items with their own lines. */
	tvars_set(v, "summary", "2 förhandsbedömningar och 1 uppföljningssamtal");
	struct tvars *g = tvars_add_item(v, "groups"), *item;
	tvars_set(g, "heading", "Förhandsbedömningar");
	item = tvars_add_item(g, "items");
	tvars_set(item, "title", "Påminnelse: förhandsbedömning i ärende B-2019-0006/A1 ska vara klar i morgon");
	tvars_set(item, "text", "Förhandsbedömningen ska vara klar tisdag 4 augusti 2026.");
	item = tvars_add_item(g, "items");
	tvars_set(item, "title", "Påminnelse: förhandsbedömning i ärende B-2019-0007/A2 ska vara klar om 2 dagar");
	tvars_set(item, "text", "Förhandsbedömningen ska vara klar onsdag 5 augusti 2026.");
	g = tvars_add_item(v, "groups");
	tvars_set(g, "heading", "Uppföljningssamtal");
	item = tvars_add_item(g, "items");
	tvars_set(item, "title", "Påminnelse: uppföljningssamtal måndag 17 augusti 2026 – ärende B-2020-0004");
	tvars_set(item, "text", "Samtalet ska hållas senast måndag 17 augusti 2026.");
	return v;
}

/* The next word of s (letters, digits, å ä ö and other UTF-8 letters),
 * lower-cased into w; the position after it, or NULL at the end. */
static const char *next_word(const char *s, char *w, size_t n)
{
	size_t k = 0;

	while (*s && !(isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80))
		s++;
	if (!*s)
		return NULL;
	while (*s && (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)) {
		if (k + 1 < n)
			w[k++] = (char)tolower((unsigned char)*s);
		s++;
	}
	w[k] = '\0';
	return s;
}

static int chars(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* The problems of one rendered text, each as a line in out. */
static int problems(const char *what, const char *text, int email, char *out, size_t n)
{
	static const char *const bad[] = { "{{", "}}", "1 dagar", "0 dagar", "om 0 ", "om 1 dag",
					   "för 0 ", "för 1 dag", "()", "( ", " )", " ,", " .",
					   " :", "..", ",,", "\n\n\n", NULL };
	char prev[64] = "", w[64];
	const char *s = text;
	struct err e = { 0 };
	size_t used = strlen(out);
	int k = 0;

#define SAY(...) do { snprintf(out + used, n - used, __VA_ARGS__); used = strlen(out); k++; } \
	while (0)
	if (valid_utf8(text, &e) < 0)
		SAY("%s: %s\n", what, e.msg);
	for (int i = 0; bad[i]; i++)
		if (strstr(text, bad[i]))
			SAY("%s: contains '%s'\n", what, bad[i]);
	for (const char *from = s; (s = next_word(s, w, sizeof w)); from = s) {
		/* Words apart only by blanks or a parenthesis repeat ("samtycke
		 * (samtycke till ..."); a colon or full stop starts anew
		 * ("Backa barnet: barnet ..."), and numbers may repeat. */
		size_t gap = strcspn(from, ".,:;!?");

		if (prev[0] && strcmp(prev, w) == 0 && !isdigit((unsigned char)w[0]) &&
		    from + gap >= s - strlen(w))
			SAY("%s: the word '%s' twice\n", what, w);
		snprintf(prev, sizeof prev, "%s", w);
	}
	for (const char *l = text; email && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);

		/* A line over the width is one word (a link) the wrap keeps whole. */
		if (chars(l, len) > TEXT_WIDTH && memchr(l, ' ', len))
			SAY("%s: a line of %d characters: %.*s\n", what, chars(l, len), (int)len, l);
		if (len && l[len - 1] == ' ' && !(len == 3 && memcmp(l, "-- ", 3) == 0))
			SAY("%s: a line ends in a space: %.*s\n", what, (int)len, l);
		l += len + (end != NULL);
	}
#undef SAY
	return k;
}

static void every_variant_reads_well(void **state)
{
	static const int days[] = { 0, 1, 2, 14 };
	struct templates *t = NULL;
	struct err e = { 0 };
	char report[8192] = "";
	int n = 0, rendered = 0;

	(void)state;
	if (templates_load("templates/sv", &t, NULL, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	for (size_t i = 0; templates_kind(i); i++) {
		const char *k = templates_kind(i);

		for (int d = 0; d < 4; d++)
			for (int bits = 0; bits < 128; bits++) {
				struct tvars *v;
				char *subject = NULL, *body = NULL, what[96];
				struct strbuf wrapped = STRBUF_INIT;

				if ((bits & 64) && strncmp(k, "handover_", 9) != 0)
					continue; /* only a handover hides the units */
				v = sample(days[d], bits);
				if ((bits & 64) && strcmp(k, "handover_incoming") == 0)
					tvars_set(v, "unit", "Förskolan Solrosen"); /* their own */

				snprintf(what, sizeof what, "%s.email (days %d, variant %d)", k,
					 days[d], bits);
				if (templates_render(t, k, TPL_EMAIL, v, &subject, &body, &e) < 0)
					fail_msg("%s: %s", what, e.msg);
				assert_int_equal(text_wrap(body, TEXT_WIDTH, &wrapped), 0);
				n += problems(what, subject, 0, report, sizeof report);
				n += problems(what, sb_str(&wrapped), 1, report, sizeof report);
				rendered++;
				free(subject);
				free(body);
				sb_free(&wrapped);
				snprintf(what, sizeof what, "%s.sms (days %d, variant %d)", k,
					 days[d], bits);
				if (templates_render(t, k, TPL_SMS, v, &subject, &body, &e) == 0) {
					n += problems(what, body, 0, report, sizeof report);
					/* A link to the case system never goes by SMS. */
					if (strstr(body, "https://"))
						n += problems(what, "{{link}}", 0, report,
							      sizeof report);
					rendered++;
					free(body);
				}
				tvars_free(v);
			}
	}
	templates_free(t);
	if (n)
		fail_msg("%d problem(s):\n%s", n, report);
	assert_true(rendered > 2000);
}

/* The checks can fail: a text with each fault is caught. */
static void the_checks_catch_faults(void **state)
{
	char out[2048] = "";

	(void)state;
	assert_int_equal(problems("t", "Hej Johanna,\n\nDet är 1 dagar kvar.\n", 1, out,
				  sizeof out), 1);
	assert_int_equal(problems("t", "om om tre dagar", 0, out, sizeof out), 1);
	assert_int_equal(problems("t", "ge samtycke (samtycke till", 0, out, sizeof out), 1);
	assert_int_equal(problems("t", "Backa barnet: barnet", 0, out, sizeof out), 0);
	assert_int_equal(problems("t", "a\n\n\nb {{x}}", 0, out, sizeof out), 3);
	assert_int_equal(problems("t", "ord ord ord ord ord ord ord ord ord ord ord ord ord ord "
				       "ord ord ord ord ord ord", 0, out, sizeof out), 19);
	assert_int_equal(problems("t", "ett två tre fyra fem sex sju åtta nio tio elva tolv "
				       "tretton fjorton femton sexton sjutton arton nitton tjugo", 1,
				  out, sizeof out), 1);
	assert_int_equal(problems("t", "https://case.example/a-very-long-link-that-is-longer-"
				       "than-the-width-of-a-line-of-text-in-mail\n", 1, out,
				  sizeof out), 0);
}

static void day_phrases(void **state)
{
	static const struct {
		int n;
		const char *text, *in, *ago;
	} want[] = {
		{ 0, "0 dagar", "i dag", "i dag" },
		{ 1, "1 dag", "i morgon", "i går" },
		{ 2, "2 dagar", "om 2 dagar", "för 2 dagar sedan" },
		{ 14, "14 dagar", "om 14 dagar", "för 14 dagar sedan" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct tvars *v = tvars_new();
		const struct tvar *t;

		plan_set_days(v, want[i].n);
		t = tvars_get(v, "days_text");
		assert_string_equal(t->str, want[i].text);
		t = tvars_get(v, "in_days");
		assert_string_equal(t->str, want[i].in);
		t = tvars_get(v, "days_ago");
		assert_string_equal(t->str, want[i].ago);
		tvars_free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_variant_reads_well),
		cmocka_unit_test(the_checks_catch_faults),
		cmocka_unit_test(day_phrases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
