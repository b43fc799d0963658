/* table.h - printing rows as aligned columns for people to read. Widths
 * count UTF-8 characters, so å, ä and ö line up. */
#ifndef BACKAD_TABLE_H
#define BACKAD_TABLE_H

#include <stdio.h>

/* The width every table fits. */
#define TABLE_COLUMNS 80

/* Kinds of column in right[]: text, a number (right-aligned, never cut), a
 * key (text that tells rows apart, such as a child's reference: never cut). */
enum { TABLE_LEFT, TABLE_RIGHT, TABLE_KEY };

/* Print a header and nrows rows of ncols cells (row-major; NULL cells print
 * as "-"). right (may be NULL) gives each column's kind (TABLE_LEFT,
 * TABLE_RIGHT, TABLE_KEY). Rows wider than TABLE_COLUMNS get their widest
 * text columns narrowed (other than keys) and the cells cut with "…". An
 * empty table prints the header and "(inga rader)". */
void table_print(FILE *f, int ncols, const char *const *head, const char *const *cells,
		 int nrows, const int *right);

/* Display width of a UTF-8 string: its number of characters. */
int table_width(const char *s);

#endif
