/* test_calendar.c - Easter and the moving holidays, working days around
 * them, Stockholm time across both summer-time changes, instants as text,
 * Swedish date words and school starts. */
#include "testutil.h"

#include <time.h>

#include "calendar.h"
#include "config.h"
#include "date.h"

static int D(const char *s)
{
	int d;

	assert_int_equal(date_parse(s, &d), 0);
	return d;
}

static void easter_and_holidays(void **state)
{
	const char *name = NULL;

	(void)state;
	assert_int_equal(cal_easter(2024), D("2024-03-31"));
	assert_int_equal(cal_easter(2025), D("2025-04-20"));
	assert_int_equal(cal_easter(2026), D("2026-04-05"));
	assert_int_equal(cal_easter(2038), D("2038-04-25"));
	assert_int_equal(cal_easter(2100), D("2100-03-28"));
	assert_true(cal_holiday(D("2026-04-03"), &name));
	assert_string_equal(name, "Långfredagen");
	assert_true(cal_holiday(D("2026-05-14"), &name));
	assert_string_equal(name, "Kristi himmelsfärdsdag");
	assert_true(cal_holiday(D("2026-06-19"), &name));
	assert_string_equal(name, "Midsommarafton");
	assert_true(cal_holiday(D("2026-06-20"), &name));
	assert_true(cal_holiday(D("2026-10-31"), &name));
	assert_string_equal(name, "Alla helgons dag");
	assert_true(cal_holiday(D("2027-11-06"), &name));
	/* Whit Monday until 2004, National Day from 2005. */
	assert_true(cal_holiday(D("2004-05-31"), NULL));
	assert_false(cal_holiday(D("2005-05-16"), NULL));
	assert_false(cal_holiday(D("2004-06-06"), NULL));
	assert_true(cal_holiday(D("2005-06-06"), NULL));
	assert_false(cal_holiday(D("2026-06-18"), &name));
	assert_null(name);
}

static void working_days(void **state)
{
	(void)state;
	assert_true(cal_is_workday(D("2026-08-03")));
	assert_false(cal_is_workday(D("2026-08-01")));
	/* Easter 2026: Thu 04-02, then Fri-Mon off. */
	assert_int_equal(cal_prev_workday(D("2026-04-06")), D("2026-04-02"));
	assert_int_equal(cal_next_workday(D("2026-04-03")), D("2026-04-07"));
	/* Christmas 2026: Thu 24 - Sat 26, Sun 27. */
	assert_int_equal(cal_next_workday(D("2026-12-24")), D("2026-12-28"));
	assert_int_equal(cal_prev_workday(D("2027-01-01")), D("2026-12-30"));
	assert_int_equal(cal_add_workdays(D("2026-04-02"), 1), D("2026-04-07"));
	assert_int_equal(cal_add_workdays(D("2026-04-07"), -1), D("2026-04-02"));
	assert_int_equal(cal_add_workdays(D("2026-08-03"), 10), D("2026-08-17"));
}

static void stockholm_time(void **state)
{
	time_t t;
	char buf[21];
	int day, min;

	(void)state;
	assert_int_equal(cal_local_to_utc(D("2026-01-15"), 8 * 60, &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-01-15T07:00:00Z");
	assert_int_equal(cal_local_to_utc(D("2026-07-15"), 8 * 60, &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-07-15T06:00:00Z");
	/* 2026-03-29 02:30 does not exist: the first instant after the gap. */
	assert_int_equal(cal_local_to_utc(D("2026-03-29"), 2 * 60 + 30, &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-03-29T01:00:00Z");
	/* 2026-10-25 02:30 happens twice: the first, summer time. */
	assert_int_equal(cal_local_to_utc(D("2026-10-25"), 2 * 60 + 30, &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-10-25T00:30:00Z");
	assert_int_equal(cal_local_to_utc(D("2026-10-25"), 24 * 60, &t), ERR_INVALID);
	assert_int_equal(cal_local_to_utc(D("2026-10-25"), -1, &t), ERR_INVALID);
	/* Every hour of 2026 agrees with the tz database both ways. */
	for (time_t u = 1767225600; u < 1798761600; u += 3600) {
		struct tm lt;
		time_t back;

		localtime_r(&u, &lt);
		cal_utc_to_local(u, &day, &min);
		assert_int_equal(day, date_from_ymd(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday));
		assert_int_equal(min, lt.tm_hour * 60 + lt.tm_min);
		assert_int_equal(cal_local_to_utc(day, min, &back), 0);
		/* Only the repeated autumn hour maps back to its first occurrence. */
		if (back != u)
			assert_int_equal(back, u - 3600);
	}
	assert_int_equal(cal_today(1785801600 /* 2026-08-04T00:00Z */), D("2026-08-04"));
	assert_int_equal(cal_today(1785794400 /* 2026-08-03T22:00Z */), D("2026-08-04"));
}

static void instants(void **state)
{
	time_t t;
	char buf[21], lbuf[17];

	(void)state;
	assert_int_equal(cal_parse_instant("2026-08-03T06:00:00Z", &t), 0);
	assert_string_equal(cal_local_str(t, lbuf), "2026-08-03 08:00");
	assert_int_equal(cal_parse_instant("2026-08-03T08:00", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-08-03T06:00:00Z");
	assert_int_equal(cal_parse_instant("2026-08-03T08:00:30", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-08-03T06:00:30Z");
	assert_int_equal(cal_parse_instant("2026-08-03T08:00:00+01:00", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-08-03T07:00:00Z");
	assert_int_equal(cal_parse_instant("2026-08-03T08:00:00-02:30", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-08-03T10:30:00Z");
	assert_int_equal(cal_parse_instant("2026-03-29T02:30:15", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-03-29T01:00:00Z");
	assert_int_equal(cal_parse_instant("2026-08-03", &t), 0);
	assert_string_equal(cal_iso_utc(t, buf), "2026-08-02T22:00:00Z");
	assert_int_equal(cal_parse_instant("2026-08-03T25:00", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("2026-08-03T08:00Q", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("2026-02-30", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("2026-08-03T08:00+1:00", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("2026-08-03T08:00:60Z", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("2026-08-03T08:0", &t), ERR_INVALID);
	assert_int_equal(cal_parse_instant("tomorrow", &t), ERR_INVALID);
}

static void swedish_words(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(cal_format_sv(D("2026-08-17"), buf, sizeof buf),
			    "måndag 17 augusti 2026");
	assert_string_equal(cal_format_sv(D("2026-12-31"), buf, sizeof buf),
			    "torsdag 31 december 2026");
	assert_string_equal(cal_format_sv(D("2027-02-06"), buf, sizeof buf),
			    "lördag 6 februari 2027");
}

static void school_start(void **state)
{
	struct config c;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(config_defaults(&c, &e), 0);
	/* Default 08-20: Thu 2026-08-20; Sat 2022-08-20 moves to Mon 08-22. */
	assert_int_equal(cal_school_start(&c, 2026), D("2026-08-20"));
	assert_int_equal(cal_school_start(&c, 2022), D("2022-08-22"));
	c.school_starts[0] = D("2026-08-18");
	c.n_school_starts = 1;
	assert_int_equal(cal_school_start(&c, 2026), D("2026-08-18"));
	/* Born in 2020: förskoleklass in the autumn of 2026. */
	assert_int_equal(cal_fklass_start(&c, D("2020-12-31")), D("2026-08-18"));
	assert_int_equal(cal_fklass_start(&c, D("2021-01-01")), cal_school_start(&c, 2027));
	config_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(easter_and_holidays), cmocka_unit_test(working_days),
		cmocka_unit_test(stockholm_time),      cmocka_unit_test(instants),
		cmocka_unit_test(swedish_words),       cmocka_unit_test(school_start),
	};

	cal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
