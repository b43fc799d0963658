/* sqldate.c - date columns compared as SQLite compares them. */
#include "sqldate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void sqldate_cols(struct dbi *db, const char *expr, char *buf, size_t n)
{
	if (dbi_backend(db) == DBI_PG)
		snprintf(buf, n, "%s, CAST(NULL AS TEXT)", expr);
	else
		snprintf(buf, n, "%s, typeof(%s)", expr, expr);
}

int sqldate_read(struct sqldate *d, struct dbi_stmt *q, int col)
{
	const char *class = dbi_column_text(q, col + 1), *v;
	char *text;

	memset(d, 0, sizeof *d);
	if (dbi_column_is_null(q, col))
		return 0;
	if (class && (strcmp(class, "integer") == 0 || strcmp(class, "real") == 0)) {
		d->kind = SQLDATE_NUMBER;
		d->num = dbi_column_double(q, col);
		return 0;
	}
	d->kind = class && strcmp(class, "blob") == 0 ? SQLDATE_BLOB : SQLDATE_TEXT;
	v = dbi_column_text(q, col);
	d->len = v ? (int)strlen(v) : 0;
	if ((size_t)d->len >= sizeof d->buf && !(d->heap = malloc((size_t)d->len + 1))) {
		d->kind = SQLDATE_NULL;
		return ERR_NOMEM;
	}
	text = d->heap ? d->heap : d->buf;
	if (d->len)
		memcpy(text, v, (size_t)d->len);
	text[d->len] = '\0';
	return 0;
}
void sqldate_free(struct sqldate *d)
{
	free(d->heap);
	d->heap = NULL;
}

static int bytes_cmp(const char *a, int alen, const char *b, int blen)
{
	int c = memcmp(a, b, (size_t)(alen < blen ? alen : blen));

	return c ? c : alen - blen;
}

int sqldate_cmp(const struct sqldate *a, const struct sqldate *b)
{
	if (a->kind != b->kind)
		return a->kind - b->kind;
	switch (a->kind) {
	case SQLDATE_NULL:
		return 0;
	case SQLDATE_NUMBER:
		return (a->num > b->num) - (a->num < b->num);
	default:
		return bytes_cmp(sqldate_text(a), a->len, sqldate_text(b), b->len);
	}
}

int sqldate_cmp_day(const struct sqldate *a, const char *day, int *null)
{
	*null = a->kind == SQLDATE_NULL;
	if (a->kind != SQLDATE_TEXT)
		return a->kind == SQLDATE_NUMBER ? -1 : a->kind == SQLDATE_BLOB ? 1 : 0;
	return bytes_cmp(sqldate_text(a), a->len, day, (int)strlen(day));
}
