/* csv.h - a streaming RFC 4180 reader for UTF-8 files: a header row, comma
 * (or semicolon, as Swedish spreadsheets write) separators, quoted fields
 * with "" and line breaks, CRLF or LF, an optional BOM. Each record knows
 * the line it starts on, so errors can say FILE:LINE. */
#ifndef BACKAD_CSV_H
#define BACKAD_CSV_H

#include <stdio.h>

#include "err.h"

#define CSV_MAX_FIELDS 32
#define CSV_MAX_RECORD (64 * 1024)

struct csv {
	FILE *f;
	const char *path;
	char sep;
	int line;              /* physical line of the next character */
	int rec_line;          /* line the current record starts on */
	int nfields;
	char *field[CSV_MAX_FIELDS];
	char *buf;             /* the current record's fields, NUL-separated */
	size_t cap;
};

/* Open path and read the header into c->field (nfields). The separator is ';'
 * when the header has semicolons and no commas. 0 or ERR_IO/ERR_INVALID. */
int csv_open(struct csv *c, const char *path, struct err *e);
/* Read the next record: 1 with c->field/nfields set, 0 at the end, or a
 * negative code with e = "FILE:LINE: reason". Blank lines are skipped.
 * Fields are valid UTF-8 without control characters (a quoted field may hold
 * line breaks; callers decide whether they fit); unquoted fields are
 * trimmed of surrounding spaces. */
int csv_next(struct csv *c, struct err *e);
void csv_close(struct csv *c);

#endif
