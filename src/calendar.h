/* calendar.h - Swedish time: public holidays and working days, school-year
 * starts, and conversions between Europe/Stockholm wall-clock time and UTC
 * (through the system tz database). Days are date.h day numbers. */
#ifndef BACKAD_CALENDAR_H
#define BACKAD_CALENDAR_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* Set TZ=Europe/Stockholm for the process; call once at start. */
void cal_init(void);

/* 1 if day is a Swedish public holiday or midsommarafton, julafton or
 * nyårsafton; *name (may be NULL) gets its Swedish name. */
int cal_holiday(int day, const char **name);
/* Easter Sunday of year (Gregorian computus). */
int cal_easter(int year);
int cal_is_workday(int day);
int cal_prev_workday(int day); /* day itself when it is a working day */
int cal_next_workday(int day);
int cal_add_workdays(int day, int n);

/* Stockholm wall clock -> UTC, minute_of_day 0-1439. A time in the spring
 * gap moves forward; an ambiguous autumn time is the first (summer-time)
 * one. 0 or ERR_INVALID. */
int cal_local_to_utc(int day, int minute_of_day, time_t *out);
void cal_utc_to_local(time_t t, int *day, int *minute_of_day);
int cal_today(time_t now);

/* "YYYY-MM-DDTHH:MM:SSZ" */
char *cal_iso_utc(time_t t, char buf[21]);
/* "YYYY-MM-DD HH:MM" in Stockholm time */
char *cal_local_str(time_t t, char buf[17]);
/* Accepts ...Z, local "YYYY-MM-DDTHH:MM[:SS]", "...+HH:MM"/"-HH:MM" and a
 * plain date (local midnight). 0 or ERR_INVALID. */
int cal_parse_instant(const char *s, time_t *out);
/* "måndag 17 augusti 2026" */
char *cal_format_sv(int day, char *buf, size_t n);

/* The first school day of year: configured, else the default month-day
 * moved to the next working day. */
int cal_school_start(const struct config *c, int year);
/* The school start of the year a child born on birth_day turns 6. */
int cal_fklass_start(const struct config *c, int birth_day);

#endif
