/* date.h - proleptic Gregorian calendar dates as day numbers (days since
 * 1970-01-01), parsing and formatting 'YYYY-MM-DD'. No time zones here. */
#ifndef BACKAD_DATE_H
#define BACKAD_DATE_H

#define DATE_LEN 11 /* "YYYY-MM-DD" and the NUL */

/* Day number of y-m-d; the caller ensures the date exists. */
int date_from_ymd(int y, int m, int d);
/* Year, month (1-12) and day (1-31) of a day number. */
void date_to_ymd(int days, int *y, int *m, int *d);
/* 1 if y-m-d is a real date in years 1900-2199. */
int date_valid(int y, int m, int d);
int date_days_in_month(int y, int m);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int date_weekday(int days);
/* Parse exactly "YYYY-MM-DD"; 0 or ERR_INVALID. */
int date_parse(const char *s, int *days);
/* Write "YYYY-MM-DD" into buf (DATE_LEN bytes); returns buf. */
char *date_format(int days, char buf[DATE_LEN]);

#endif
