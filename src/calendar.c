/* calendar.c - Swedish holidays (with the historical changes: Annandag pingst
 * until 2004, Sveriges nationaldag from 2005), working days, school starts and
 * Europe/Stockholm time through localtime_r/mktime. */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "err.h"

void cal_init(void)
{
	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
}

int cal_easter(int year)
{
	/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;

	return date_from_ymd(year, month, day);
}

/* The Saturday in [from, from + 6]. */
static int saturday_from(int from)
{
	return from + (6 - date_weekday(from) + 7) % 7;
}

int cal_holiday(int day, const char **name)
{
	int y, m, d, easter;
	const char *n = NULL;

	date_to_ymd(day, &y, &m, &d);
	easter = cal_easter(y);
	if (m == 1 && d == 1)
		n = "Nyårsdagen";
	else if (m == 1 && d == 6)
		n = "Trettondedag jul";
	else if (day == easter - 2)
		n = "Långfredagen";
	else if (day == easter)
		n = "Påskdagen";
	else if (day == easter + 1)
		n = "Annandag påsk";
	else if (m == 5 && d == 1)
		n = "Första maj";
	else if (day == easter + 39)
		n = "Kristi himmelsfärdsdag";
	else if (day == easter + 49)
		n = "Pingstdagen";
	else if (day == easter + 50 && y <= 2004)
		n = "Annandag pingst";
	else if (m == 6 && d == 6 && y >= 2005)
		n = "Sveriges nationaldag";
	else if (day == saturday_from(date_from_ymd(y, 6, 20)) - 1)
		n = "Midsommarafton";
	else if (day == saturday_from(date_from_ymd(y, 6, 20)))
		n = "Midsommardagen";
	else if (day == saturday_from(date_from_ymd(y, 10, 31)))
		n = "Alla helgons dag";
	else if (m == 12 && d == 24)
		n = "Julafton";
	else if (m == 12 && d == 25)
		n = "Juldagen";
	else if (m == 12 && d == 26)
		n = "Annandag jul";
	else if (m == 12 && d == 31)
		n = "Nyårsafton";
	if (name)
		*name = n;
	return n != NULL;
}

int cal_is_workday(int day)
{
	return date_weekday(day) <= 5 && !cal_holiday(day, NULL);
}

int cal_prev_workday(int day)
{
	while (!cal_is_workday(day))
		day--;
	return day;
}

int cal_next_workday(int day)
{
	while (!cal_is_workday(day))
		day++;
	return day;
}

int cal_add_workdays(int day, int n)
{
	int step = n < 0 ? -1 : 1;

	for (int left = abs(n); left > 0;) {
		day += step;
		if (cal_is_workday(day))
			left--;
	}
	return day;
}

int cal_local_to_utc(int day, int minute_of_day, time_t *out)
{
	struct tm tm = { 0 }, probe;
	int y, m, d;
	time_t t;

	if (minute_of_day < 0 || minute_of_day >= 24 * 60)
		return ERR_INVALID;
	date_to_ymd(day, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = minute_of_day / 60;
	tm.tm_min = minute_of_day % 60;
	tm.tm_isdst = 1; /* try summer time first: the earlier of two */
	probe = tm;
	t = mktime(&probe);
	if (t == (time_t)-1)
		return ERR_INVALID;
	if (probe.tm_isdst != 1 || probe.tm_hour != tm.tm_hour || probe.tm_min != tm.tm_min) {
		/* Not a summer-time wall clock: take standard time. In the spring
		 * gap mktime normalises forward, to the first valid instant. */
		probe = tm;
		probe.tm_isdst = 0;
		t = mktime(&probe);
		if (t == (time_t)-1)
			return ERR_INVALID;
		if (probe.tm_hour != tm.tm_hour) {
			/* Inside the gap: the first instant after it. */
			struct tm lt;

			localtime_r(&t, &lt);
			t -= lt.tm_min * 60 + lt.tm_sec;
		}
	}
	*out = t;
	return 0;
}

void cal_utc_to_local(time_t t, int *day, int *minute_of_day)
{
	struct tm tm;

	localtime_r(&t, &tm);
	*day = date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (minute_of_day)
		*minute_of_day = tm.tm_hour * 60 + tm.tm_min;
}

int cal_today(time_t now)
{
	int day;

	cal_utc_to_local(now, &day, NULL);
	return day;
}

char *cal_iso_utc(time_t t, char buf[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

char *cal_local_str(time_t t, char buf[17])
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, 17, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static int two(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int cal_parse_instant(const char *s, time_t *out)
{
	char date[DATE_LEN];
	int day, hh = 0, mm = 0, ss = 0, off = 0, sign;
	size_t n = strlen(s);
	const char *p;

	if (n < 10)
		return ERR_INVALID;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &day) < 0)
		return ERR_INVALID;
	if (n == 10)
		return cal_local_to_utc(day, 0, out);
	p = s + 10;
	if (*p != 'T' && *p != ' ')
		return ERR_INVALID;
	if (strlen(p) < 6 || two(p + 1, &hh) || p[3] != ':' || two(p + 4, &mm) || hh > 23 ||
	    mm > 59)
		return ERR_INVALID;
	p += 6;
	if (*p == ':') {
		if (two(p + 1, &ss) || ss > 59)
			return ERR_INVALID;
		p += 3;
	}
	if (*p == '\0') {
		int got;

		if (cal_local_to_utc(day, hh * 60 + mm, out) < 0)
			return ERR_INVALID;
		cal_utc_to_local(*out, &day, &got);
		if (got == hh * 60 + mm) /* else in the spring gap: its end */
			*out += ss;
		return 0;
	}
	if (strcmp(p, "Z") == 0) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh, om;

		sign = *p == '-' ? -1 : 1;
		if (two(p + 1, &oh) || two(p + 4, &om) || oh > 14 || om > 59)
			return ERR_INVALID;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return ERR_INVALID;
	}
	*out = (time_t)day * 86400 + hh * 3600 + mm * 60 + ss - off;
	return 0;
}

char *cal_format_sv(int day, char *buf, size_t n)
{
	static const char *const wd[] = { "måndag", "tisdag", "onsdag", "torsdag",
					  "fredag", "lördag", "söndag" };
	static const char *const mon[] = { "januari", "februari", "mars", "april", "maj",
					   "juni", "juli", "augusti", "september",
					   "oktober", "november", "december" };
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	snprintf(buf, n, "%s %d %s %d", wd[date_weekday(day) - 1], d, mon[m - 1], y);
	return buf;
}

int cal_school_start(const struct config *c, int year)
{
	for (int i = 0; i < c->n_school_starts; i++) {
		int y, m, d;

		date_to_ymd(c->school_starts[i], &y, &m, &d);
		if (y == year)
			return c->school_starts[i];
	}
	return cal_next_workday(date_from_ymd(year, c->school_start_month, c->school_start_day));
}

int cal_fklass_start(const struct config *c, int birth_day)
{
	int y, m, d;

	date_to_ymd(birth_day, &y, &m, &d);
	return cal_school_start(c, y + 6);
}
