/* test_validate.c - every input check: dates, E.164, e-mail, codes,
 * personnummer, UTF-8 text. */
#include "testutil.h"

#include "date.h"
#include "validate.h"

static void dates(void **state)
{
	struct err e = { 0 };
	int d;

	(void)state;
	assert_int_equal(valid_date("2026-08-03", &e), 0);
	assert_int_equal(valid_date("2024-02-29", &e), 0);
	assert_int_equal(valid_date("2025-02-29", &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "2025-02-29"));
	assert_int_equal(valid_date("2026-13-01", &e), ERR_INVALID);
	assert_int_equal(valid_date("2026-8-3", &e), ERR_INVALID);
	assert_int_equal(valid_date("2026-08-03x", &e), ERR_INVALID);
	assert_int_equal(valid_date("", &e), ERR_INVALID);
	assert_int_equal(valid_date("1899-12-31", &e), ERR_INVALID);
	/* Day numbers round-trip and weekdays are right. */
	assert_int_equal(date_parse("1970-01-01", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(date_parse("2026-08-03", &d), 0);
	assert_int_equal(date_weekday(d), 1); /* a Monday */
	for (int day = date_from_ymd(1999, 12, 1); day < date_from_ymd(2101, 1, 1); day += 7) {
		char buf[DATE_LEN];
		int back;

		assert_int_equal(date_parse(date_format(day, buf), &back), 0);
		assert_int_equal(back, day);
	}
}

static void e164(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_int_equal(valid_e164("+46701234567", &e), 0);
	assert_int_equal(valid_e164("+4670123", &e), 0);
	assert_int_equal(valid_e164("+123456789012345", &e), 0);
	assert_int_equal(valid_e164("+1234567890123456", &e), ERR_INVALID);
	assert_int_equal(valid_e164("0701234567", &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "E.164"));
	assert_int_equal(valid_e164("+046701234567", &e), ERR_INVALID);
	assert_int_equal(valid_e164("+46 70 123 45 67", &e), ERR_INVALID);
	assert_int_equal(valid_e164("+46-701234567", &e), ERR_INVALID);
	assert_int_equal(valid_e164("+", &e), ERR_INVALID);
}

static void email(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_int_equal(valid_email("anna.bergstrom@ystad.example.se", &e), 0);
	assert_int_equal(valid_email("a+b_c-d@kommun.se", &e), 0);
	assert_int_equal(valid_email("anna@localhost", &e), ERR_INVALID);
	assert_int_equal(valid_email("anna", &e), ERR_INVALID);
	assert_int_equal(valid_email("@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a@@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a@b@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a b@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a@kommun..se", &e), ERR_INVALID);
	assert_int_equal(valid_email(".a@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a.@kommun.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("a@kommun.se.", &e), ERR_INVALID);
	assert_int_equal(valid_email("åsa@kommun.se", &e), ERR_INVALID);
	/* Header injection never passes. */
	assert_int_equal(valid_email("a@kommun.se\r\nBcc: x@y.se", &e), ERR_INVALID);
	assert_int_equal(valid_email("<a@kommun.se>", &e), ERR_INVALID);
	assert_int_equal(valid_email("a@kommun.se,b@kommun.se", &e), ERR_INVALID);
}

static void codes(void **state)
{
	struct err e = { 0 };
	char long_code[70];

	(void)state;
	assert_int_equal(valid_code("B-2026-0001", &e), 0);
	assert_int_equal(valid_code("anna.bm", &e), 0);
	assert_int_equal(valid_code("SK_1", &e), 0);
	assert_int_equal(valid_code("", &e), ERR_INVALID);
	assert_int_equal(valid_code("a b", &e), ERR_INVALID);
	assert_int_equal(valid_code("förskola", &e), ERR_INVALID);
	assert_int_equal(valid_code("a/b", &e), ERR_INVALID);
	memset(long_code, 'x', 65);
	long_code[65] = '\0';
	assert_int_equal(valid_code(long_code, &e), ERR_INVALID);
	long_code[64] = '\0';
	assert_int_equal(valid_code(long_code, &e), 0);
}

static void pnr(void **state)
{
	struct err e = { 0 };

	(void)state;
	/* Skatteverket's test numbers pattern: Luhn over YYMMDDNNN. */
	assert_int_equal(valid_pnr("19121212-1212", &e), 0);
	assert_int_equal(valid_pnr("191212121212", &e), 0);
	assert_int_equal(valid_pnr("19121212-1213", &e), ERR_INVALID);
	assert_int_equal(valid_pnr("20200230-1234", &e), ERR_INVALID); /* no such date */
	assert_int_equal(valid_pnr("1212121212", &e), ERR_INVALID);     /* 10 digits */
	assert_int_equal(valid_pnr("19121272-1219", &e), 0);            /* samordningsnummer */
	assert_int_equal(valid_pnr("19121212+1212", &e), ERR_INVALID);
	/* The message never repeats the number itself. */
	assert_null(strstr(e.msg, "1212"));
}

static void text(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_int_equal(valid_text("Förskolan Ängen – å ä ö", &e), 0);
	assert_int_equal(valid_text("tab\there", &e), 0);
	assert_int_equal(valid_text("line\nbreak", &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "control character"));
	assert_int_equal(valid_text("\xc3\x28", &e), ERR_INVALID);      /* bad continuation */
	assert_int_equal(valid_text("\xc0\xaf", &e), ERR_INVALID);      /* overlong */
	assert_int_equal(valid_text("\xed\xa0\x80", &e), ERR_INVALID);  /* surrogate */
	assert_int_equal(valid_text("\xf4\x90\x80\x80", &e), ERR_INVALID);
	assert_int_equal(valid_text("\xc2\x85", &e), ERR_INVALID);      /* C1 control */
	assert_int_equal(valid_utf8("line\nbreak \xf0\x9f\x98\x80", &e), 0);
	assert_int_equal(valid_utf8("\xff", &e), ERR_INVALID);
}

static void choices(void **state)
{
	(void)state;
	assert_true(valid_choice("opened not-opened already-open", "opened"));
	assert_true(valid_choice("opened not-opened already-open", "already-open"));
	assert_false(valid_choice("opened not-opened already-open", "open"));
	assert_false(valid_choice("opened not-opened already-open", "opened not-opened"));
	assert_false(valid_choice("a b", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dates), cmocka_unit_test(e164), cmocka_unit_test(email),
		cmocka_unit_test(codes), cmocka_unit_test(pnr),  cmocka_unit_test(text),
		cmocka_unit_test(choices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
