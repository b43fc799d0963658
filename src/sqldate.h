/* sqldate.h - a date column read into C and compared exactly as SQLite
 * compares it: by storage class (NULL < number < text < blob), then by value
 * (text and blob byte by byte). Rows written by other systems may hold
 * malformed dates; the planner's choices made in C must judge them as its
 * SQL would. PostgreSQL's date columns are text, so there a value is NULL
 * or text and compares byte by byte (the C collation) as well. */
#ifndef BACKAD_SQLDATE_H
#define BACKAD_SQLDATE_H

#include <stddef.h>

#include "dbi.h"

enum { SQLDATE_NULL, SQLDATE_NUMBER, SQLDATE_TEXT, SQLDATE_BLOB };

/* A value may be moved (kept in arrays that grow): it holds no pointer
 * into itself. */
struct sqldate {
	int kind;     /* SQLDATE_* */
	double num;   /* SQLDATE_NUMBER */
	char *heap;   /* the bytes when longer than buf, else NULL */
	int len;      /* bytes of text or blob */
	char buf[12]; /* "YYYY-MM-DD" fits */
};

/* The text or blob bytes, NUL-terminated. */
static inline const char *sqldate_text(const struct sqldate *d)
{
	return d->heap ? d->heap : d->buf;
}

/* The two select-list columns sqldate_read() reads for the date column
 * expr, into buf: the value and its storage class (SQLite's typeof(); on
 * PostgreSQL a NULL: the value is text or NULL). */
void sqldate_cols(struct dbi *db, const char *expr, char *buf, size_t n);
/* Read the value at col and its class at col + 1 (sqldate_cols()) of q's
 * current row into d (0, or ERR_NOMEM: d is NULL then). A blob is read up
 * to its first NUL byte. */
int sqldate_read(struct sqldate *d, struct dbi_stmt *q, int col);
void sqldate_free(struct sqldate *d);
/* <0, 0, >0 as SQLite orders a and b (ORDER BY, BINARY collation). */
int sqldate_cmp(const struct sqldate *a, const struct sqldate *b);
/* As SQLite compares a with the text day ("YYYY-MM-DD"): <0, 0, >0; a NULL
 * compares with nothing, so *null is set and the result is 0. */
int sqldate_cmp_day(const struct sqldate *a, const char *day, int *null);

#endif
