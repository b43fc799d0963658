/* table.c - aligned text tables. */
#include "table.h"

#include <stdlib.h>

int table_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void cell(FILE *f, const char *s, int width, int right, int last)
{
	int pad = width - table_width(s);

	if (right)
		fprintf(f, "%*s%s", pad, "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, pad, "");
	fputs(last ? "\n" : "  ", f);
}

void table_print(FILE *f, int ncols, const char *const *head, const char *const *cells,
		 int nrows, const int *right)
{
	int *w = calloc((size_t)ncols, sizeof *w);

	if (!w)
		return;
	for (int c = 0; c < ncols; c++)
		w[c] = table_width(head[c]);
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			int n = table_width(s ? s : "-");

			if (n > w[c])
				w[c] = n;
		}
	for (int c = 0; c < ncols; c++)
		cell(f, head[c], w[c], right && right[c], c == ncols - 1);
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];

			cell(f, s ? s : "-", w[c], right && right[c], c == ncols - 1);
		}
	if (nrows == 0)
		fputs("(inga rader)\n", f);
	free(w);
}
