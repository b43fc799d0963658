/* sqldate.c - date columns compared as SQLite compares them. */
#include "sqldate.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int sqldate_read(struct sqldate *d, sqlite3_stmt *q, int col)
{
	const void *v;
	char *text;

	memset(d, 0, sizeof *d);
	switch (sqlite3_column_type(q, col)) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		d->kind = SQLDATE_NUMBER;
		d->num = sqlite3_column_double(q, col);
		return 0;
	case SQLITE_BLOB:
		d->kind = SQLDATE_BLOB;
		v = sqlite3_column_blob(q, col);
		break;
	default:
		d->kind = SQLDATE_TEXT;
		v = sqlite3_column_text(q, col);
		break;
	}
	d->len = sqlite3_column_bytes(q, col);
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
