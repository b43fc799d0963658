/* ctl_format.h - backactl's listings and reports as a table for people, or
 * as JSON (jansson) or CSV (RFC 4180) for programs: --format text|json|csv. */
#ifndef BACKAD_CTL_FORMAT_H
#define BACKAD_CTL_FORMAT_H

enum ctl_format { CTL_FMT_TEXT, CTL_FMT_JSON, CTL_FMT_CSV };

/* "text", "json" or "csv" to its enum value, or -1. */
int ctl_format_parse(const char *s);

/* Print nrows rows of ncols cells (row-major, NULL cells allowed) in format:
 * text: head over aligned columns fitting 80 columns (table.h); json: an
 * array of objects with keys as member names (cells of right-aligned
 * columns that are whole numbers become numbers, NULL becomes null); csv: a
 * header line of keys, then one record per row, CRLF line ends. right may be
 * NULL. Returns 0, or -1 when out of memory (nothing printed). */
int ctl_table(int format, int ncols, const char *const *head, const char *const *keys,
	      const char *const *cells, int nrows, const int *right);

#endif
