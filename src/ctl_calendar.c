/* ctl_calendar.c - 'backactl calendar': Swedish holidays, working days and
 * school starts, as backad computes them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "ctl.h"
#include "ctl_format.h"
#include "date.h"
#include "i18n.h"

static void help(void)
{
	printf(_("usage: backactl calendar holidays YEAR [LAST-YEAR]\n"
	       "       backactl calendar workday DATE...\n"
	       "       backactl calendar school-start YEAR\n\n"
	       "holidays      the Swedish public holidays and midsommarafton, julafton and\n"
	       "              nyårsafton of YEAR (or each year up to LAST-YEAR)\n"
	       "workday       whether each DATE is a working day, and the nearest ones\n"
	       "school-start  the first school day backad uses for YEAR (needs -c)\n"));
}

static int parse_year(const char *s, int *y)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1900 || v > 2199)
		return -1;
	*y = (int)v;
	return 0;
}

/* The holidays as "DATE  NAME" lines, or as rows for --format json|csv. */
static int holidays(int format, int argc, char **argv)
{
	static const char *const head[] = { N_("DATE"), N_("HOLIDAY") };
	static const char *const keys[] = { "date", "name" };
	const char **cells = NULL;
	char (*dates)[DATE_LEN] = NULL;
	int y0, y1, n = 0, r;

	if (argc < 1 || argc > 2 || parse_year(argv[0], &y0) < 0 ||
	    (argc == 2 && parse_year(argv[1], &y1) < 0))
		return ctl_usage("calendar", "holidays needs a year 1900-2199");
	if (argc == 1)
		y1 = y0;
	if (format != CTL_FMT_TEXT) {
		/* At most 20 holidays a year. */
		cells = calloc((size_t)(y1 - y0 + 1) * 40, sizeof *cells);
		dates = calloc((size_t)(y1 - y0 + 1) * 20, sizeof *dates);
		if (!cells || !dates) {
			free(cells);
			free(dates);
			return ctl_fail("calendar", "out of memory");
		}
	}
	for (int d = date_from_ymd(y0, 1, 1); d <= date_from_ymd(y1, 12, 31); d++) {
		const char *name;
		char buf[DATE_LEN];

		if (!cal_holiday(d, &name))
			continue;
		if (format == CTL_FMT_TEXT) {
			printf("%s  %s\n", date_format(d, buf), name);
			continue;
		}
		cells[2 * n] = date_format(d, dates[n]);
		cells[2 * n + 1] = name;
		n++;
	}
	if (format == CTL_FMT_TEXT)
		return CTL_OK;
	r = ctl_table(format, 2, head, keys, cells, n, NULL);
	free(cells);
	free(dates);
	return r < 0 ? ctl_fail("calendar", "out of memory") : CTL_OK;
}

/* One line about day d, as given in arg. */
static void workday_line(const char *arg, int d)
{
	char a[DATE_LEN], b[DATE_LEN];
	const char *name = NULL;

	if (cal_is_workday(d)) {
		printf(_("%s is a working day\n"), arg);
		return;
	}
	cal_holiday(d, &name);
	printf(_("%s is not a working day (%s); previous working day %s, next %s\n"), arg,
	       name ? name : (date_weekday(d) == 6 ? _("Saturday") : _("Sunday")),
	       date_format(cal_prev_workday(d), a), date_format(cal_next_workday(d), b));
}

static int workday(int argc, char **argv)
{
	int d;

	if (argc < 1)
		return ctl_usage("calendar", "workday needs a date (YYYY-MM-DD)");
	for (int i = 0; i < argc; i++) {
		if (date_parse(argv[i], &d) < 0)
			return ctl_fail("calendar", "'%s' is not a date (YYYY-MM-DD, 1900-2199)",
					argv[i]);
		workday_line(argv[i], d);
	}
	return CTL_OK;
}

static int school_start(struct ctl *c, int argc, char **argv)
{
	char buf[DATE_LEN];
	int y;

	if (argc != 1 || parse_year(argv[0], &y) < 0)
		return ctl_usage("calendar", "school-start needs a year 1900-2199");
	if (ctl_config(c) < 0)
		return CTL_FAIL;
	printf("%s\n", date_format(cal_school_start(c->cfg, y), buf));
	return CTL_OK;
}

int cmd_calendar(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	cal_init();
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h') {
			help();
			return CTL_OK;
		}
		return ctl_usage("calendar", "unknown option");
	}
	if (optind >= argc)
		return ctl_usage("calendar", "expected holidays, workday or school-start");
	argv += optind;
	argc -= optind;
	if (strcmp(argv[0], "holidays") == 0)
		return holidays(c->format, argc - 1, argv + 1);
	if ((strcmp(argv[0], "workday") == 0 || strcmp(argv[0], "school-start") == 0) &&
	    c->format != CTL_FMT_TEXT)
		return ctl_usage("calendar", "%s prints text only: --format json|csv is not supported",
				 argv[0]);
	if (strcmp(argv[0], "workday") == 0)
		return workday(argc - 1, argv + 1);
	if (strcmp(argv[0], "school-start") == 0)
		return school_start(c, argc - 1, argv + 1);
	return ctl_usage("calendar", "unknown subcommand '%s'", argv[0]);
}
