/* test_observe.c - what reaches the journal: an error text from a server or
 * gateway loses addresses, phone and identity numbers, and nothing else. */
#include "testutil.h"

#include "observe.h"

static void check(const char *in, const char *want)
{
	char out[300];

	observe_redact(in, out, sizeof out);
	assert_string_equal(out, want);
}

static void addresses_and_numbers_leaked_into_the_journal(void **state)
{
	(void)state;
	check("550 5.1.1 <anna.bergstrom@ystad.example.se>: Recipient address rejected",
	      "550 5.1.1 […] Recipient address rejected");
	check("HTTP 400 invalid to +46701234501", "HTTP 400 invalid to […]");
	check("child 20260720-2237 unknown", "child […] unknown");
	check("ssn=201405052383,x", "[…]");
}

static void ten_digit_identity_numbers_leaked_into_the_journal(void **state)
{
	(void)state;
	check("child 190101-1234 unknown", "child […] unknown");
	check("child 190101+1234 unknown", "child […] unknown");
	check("pnr=19190101-1234;", "[…]");
	check("child 191901011234 unknown", "child […] unknown");
	check("child 1901011234 unknown", "child […] unknown");
	check("(190101-1234)", "[…]");
}

static void dates_times_and_ids_stay(void **state)
{
	(void)state;
	check("due 2026-08-03 at 08:00:00", "due 2026-08-03 at 08:00:00");
	check("at 2026-08-03T08:00:00Z", "at 2026-08-03T08:00:00Z");
	check("child B-2020-0001 id 4711 row 1234567", "child B-2020-0001 id 4711 row 1234567");
	check("code 12345-12 and 123456-123", "code 12345-12 and 123456-123");
	check("version +1234", "version +1234");
}

static void plain_errors_pass_unchanged(void **state)
{
	(void)state;
	check("421 4.3.2 Service not available, closing", "421 4.3.2 Service not available, closing");
	check("HTTP 503 Temporal failure, try again later.",
	      "HTTP 503 Temporal failure, try again later.");
	check("connect: timeout after 20 s", "connect: timeout after 20 s");
	check("", "");
	check("  two  spaces ", "  two  spaces ");
}

static void a_short_buffer_stays_terminated(void **state)
{
	char out[8];

	(void)state;
	/* Cut at a word, never inside one (or inside a UTF-8 character). */
	observe_redact("550 rejected <a@b.se>", out, sizeof out);
	assert_string_equal(out, "550 ");
	observe_redact("x <a@b.se>", out, 5);
	assert_string_equal(out, "x ");
	observe_redact("på", out, 3);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_and_numbers_leaked_into_the_journal),
		cmocka_unit_test(ten_digit_identity_numbers_leaked_into_the_journal),
		cmocka_unit_test(dates_times_and_ids_stay),
		cmocka_unit_test(plain_errors_pass_unchanged),
		cmocka_unit_test(a_short_buffer_stays_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
