/* table.c - aligned text tables that fit an 80-column terminal. */
#include "i18n.h"
#include "table.h"

#include <stdlib.h>

int table_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Print the first n characters of s. */
static void put_chars(FILE *f, const char *s, int n)
{
	const char *p = s;

	for (; *p && n >= 0; p++)
		if (((unsigned char)*p & 0xc0) != 0x80 && n-- == 0)
			break;
	fwrite(s, 1, (size_t)(p - s), f);
}

static void cell(FILE *f, const char *s, int width, int right, int last)
{
	int n = table_width(s), pad = width - n;

	if (n > width) {
		/* Cut to the column, the last character an ellipsis. */
		put_chars(f, s, width - 1);
		fputs("…", f);
		pad = 0;
	} else if (right) {
		fprintf(f, "%*s%s", pad, "", s);
		pad = 0;
	} else {
		fputs(s, f);
	}
	if (!last)
		fprintf(f, "%*s", pad, "");
	fputs(last ? "\n" : "  ", f);
}

/* Narrow text columns until the row fits TABLE_COLUMNS. Numbers (right-
 * aligned columns) and keys (TABLE_KEY) are never cut, and a column keeps at least its header and
 * MIN_WIDTH characters. In order: the last column (errors, names: the least
 * needed to tell rows apart) down to that minimum; then the widest columns,
 * each keeping up to KEEP_WIDTH characters, so that references, dates and
 * times stay whole; then, if still too wide, the columns with the longest
 * contents (cut already) down to the minimum, one after the other. */
#define MIN_WIDTH 8
#define KEEP_WIDTH 20

/* Take one character at a time from the column with the greatest by[] among
 * those (only: just that one) wider than floor[]. 1 when the row fits. */
static int narrow(int ncols, int *w, const int *floor, const int *by, const int *right, int only,
		  int *total)
{
	while (*total > TABLE_COLUMNS) {
		int pick = -1;

		for (int c = 0; c < ncols; c++)
			if ((only < 0 || c == only) && !(right && right[c]) && w[c] > floor[c] &&
			    (pick < 0 || by[c] >= by[pick]))
				pick = c;
		if (pick < 0)
			return 0;
		w[pick]--;
		(*total)--;
	}
	return 1;
}

static void fit(int ncols, int *w, const char *const *head, const int *right)
{
	int *lo = calloc((size_t)ncols, sizeof *lo), *keep = calloc((size_t)ncols, sizeof *keep);
	int *nat = calloc((size_t)ncols, sizeof *nat), total = 2 * (ncols - 1);

	if (!lo || !keep || !nat)
		goto out;
	for (int c = 0; c < ncols; c++) {
		total += w[c];
		nat[c] = w[c];
		lo[c] = table_width(head[c]) > MIN_WIDTH ? table_width(head[c]) : MIN_WIDTH;
		keep[c] = w[c] < KEEP_WIDTH ? w[c] : KEEP_WIDTH;
		if (keep[c] < lo[c])
			keep[c] = lo[c];
	}
	if (!narrow(ncols, w, lo, w, right, ncols - 1, &total) &&
	    !narrow(ncols, w, keep, w, right, -1, &total))
		narrow(ncols, w, lo, nat, right, -1, &total);
out:
	free(lo);
	free(keep);
	free(nat);
}

void table_print(FILE *f, int ncols, const char *const *head, const char *const *cells,
		 int nrows, const int *right)
{
	int *w = calloc((size_t)ncols, sizeof *w);
	const char **th = calloc((size_t)ncols, sizeof *th);

	if (!w || !th) {
		free(w);
		free(th);
		return;
	}
	/* Headings are marked N_() where they are defined. */
	for (int c = 0; c < ncols; c++) {
		th[c] = head[c][0] ? _(head[c]) : "";
		w[c] = table_width(th[c]);
	}
	head = th;
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			int n = table_width(s ? s : "-");

			if (n > w[c])
				w[c] = n;
		}
	fit(ncols, w, head, right);
	for (int c = 0; c < ncols; c++)
		cell(f, head[c], w[c], right && right[c] == TABLE_RIGHT, c == ncols - 1);
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];

			cell(f, s ? s : "-", w[c], right && right[c] == TABLE_RIGHT, c == ncols - 1);
		}
	if (nrows == 0)
		fputs(_("(no rows)\n"), f);
	free(w);
	free(th);
}
