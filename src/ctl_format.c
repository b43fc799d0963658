/* ctl_format.c - one table, three renderings. JSON is built and escaped by
 * jansson. The CSV writer is the three rules of RFC 4180 section 2 (quote a
 * field holding a comma, quote or line break; double the quotes; CRLF) and
 * is written here, like the reader in csv.c. */
#include "ctl_format.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int ctl_format_parse(const char *s)
{
	static const char *const names[] = { "text", "json", "csv" };

	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static json_t *json_cell(const char *s, int numeric)
{
	char *end;
	long long v;
	json_t *j;

	if (!s)
		return json_null();
	if (numeric && *s) {
		v = strtoll(s, &end, 10);
		if (!*end)
			return json_integer(v);
	}
	/* json_string() refuses invalid UTF-8: such a cell becomes U+FFFD. */
	j = json_string(s);
	return j ? j : json_string("\xef\xbf\xbd");
}

static int print_json(int ncols, const char *const *keys, const char *const *cells, int nrows,
		      const int *right)
{
	json_t *rows = json_array();
	int r = -1;

	if (!rows)
		return -1;
	for (int i = 0; i < nrows; i++) {
		json_t *o = json_object();

		if (!o || json_array_append_new(rows, o) < 0)
			goto out;
		for (int c = 0; c < ncols; c++)
			if (json_object_set_new(o, keys[c], json_cell(cells[i * ncols + c],
								      right && right[c] == TABLE_RIGHT)) < 0)
				goto out;
	}
	if (json_dumpf(rows, stdout, JSON_INDENT(2)) < 0)
		goto out;
	putchar('\n');
	r = 0;
out:
	json_decref(rows);
	return r;
}

static void csv_field(const char *s, int last)
{
	if (s && s[strcspn(s, ",\"\r\n")]) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else if (s) {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void print_csv(int ncols, const char *const *keys, const char *const *cells, int nrows)
{
	for (int c = 0; c < ncols; c++)
		csv_field(keys[c], c == ncols - 1);
	for (int i = 0; i < nrows; i++)
		for (int c = 0; c < ncols; c++)
			csv_field(cells[i * ncols + c], c == ncols - 1);
}

int ctl_table(int format, int ncols, const char *const *head, const char *const *keys,
	      const char *const *cells, int nrows, const int *right)
{
	if (format == CTL_FMT_JSON)
		return print_json(ncols, keys, cells, nrows, right);
	if (format == CTL_FMT_CSV)
		print_csv(ncols, keys, cells, nrows);
	else
		table_print(stdout, ncols, head, cells, nrows, right);
	return 0;
}
