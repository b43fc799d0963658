/* test_retry_after.c - Retry-After as delay-seconds and as an HTTP-date in
 * its three forms (RFC 9110 10.2.3), against the reply's Date or our clock;
 * a past date means now; garbage is ignored. */
#include "testutil.h"

#include "retry_after.h"

#define T0 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

/* The HTTP-date form was ignored (read with strtol): a 503 with
 * "Retry-After: <date>" was retried on our own schedule. */
static void http_date_retry_after_ignored(void **state)
{
	(void)state;
	assert_int_equal(retry_after_seconds("Sun, 06 Nov 1994 08:51:37 GMT", NULL, T0), 120);
	assert_int_equal(retry_after_seconds("Sunday, 06-Nov-94 08:51:37 GMT", NULL, T0), 120);
	assert_int_equal(retry_after_seconds("Sun Nov  6 08:51:37 1994", NULL, T0), 120);
	assert_int_equal(retry_after_seconds(" Sun, 06 Nov 1994 09:49:37 GMT\r\n", NULL, T0), 3600);
	/* Counted from the reply's own Date, whatever our clock says. */
	assert_int_equal(retry_after_seconds("Sun, 06 Nov 1994 08:54:37 GMT",
					     " Sun, 06 Nov 1994 08:49:37 GMT\r\n", T0 + 86400), 300);
	/* An unreadable Date: our clock. */
	assert_int_equal(retry_after_seconds("Sun, 06 Nov 1994 08:54:37 GMT", "soon", T0), 300);
}

static void delay_seconds(void **state)
{
	(void)state;
	assert_int_equal(retry_after_seconds("120", NULL, T0), 120);
	assert_int_equal(retry_after_seconds(" 120\r\n", "Sun, 06 Nov 1994 08:49:37 GMT", 0), 120);
	assert_int_equal(retry_after_seconds("0", NULL, T0), 1);
	assert_int_equal(retry_after_seconds("99999999999999999999999", NULL, T0), RETRY_AFTER_MAX);
	assert_int_equal(retry_after_seconds("86400000", NULL, T0), RETRY_AFTER_MAX);
}

static void past_date_means_now(void **state)
{
	(void)state;
	assert_int_equal(retry_after_seconds("Sun, 06 Nov 1994 08:49:36 GMT", NULL, T0), 1);
	assert_int_equal(retry_after_seconds("Thu, 01 Jan 1970 00:00:00 GMT", NULL, T0), 1);
	assert_int_equal(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", NULL, T0), 1);
}

static void garbage_ignored(void **state)
{
	(void)state;
	assert_int_equal(retry_after_seconds(NULL, NULL, T0), -1);
	assert_int_equal(retry_after_seconds("", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("   \r\n", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("soon", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("-5", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("120abc", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("12.5", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("Sun, 99 Foo 1994 25:61:00 GMT", NULL, T0), -1);
	assert_int_equal(retry_after_seconds("Sunday", NULL, T0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_date_retry_after_ignored),
		cmocka_unit_test(delay_seconds),
		cmocka_unit_test(past_date_means_now),
		cmocka_unit_test(garbage_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
