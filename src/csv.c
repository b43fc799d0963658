/* csv.c - RFC 4180 records, one at a time, with line numbers. */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "validate.h"

static int put(struct csv *c, size_t *len, char ch, struct err *e)
{
	if (*len + 1 >= CSV_MAX_RECORD)
		return err_set(e, ERR_INVALID, "%s:%d: record longer than %d bytes", c->path,
			       c->rec_line, CSV_MAX_RECORD);
	if (*len + 1 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		char *b = realloc(c->buf, cap);

		if (!b)
			return err_set(e, ERR_NOMEM, "out of memory");
		c->buf = b;
		c->cap = cap;
	}
	c->buf[(*len)++] = ch;
	return 0;
}

/* Trim spaces around an unquoted field that starts at buf[start]. */
static void trim(struct csv *c, size_t start, size_t *len)
{
	size_t s = start;

	while (*len > s && c->buf[*len - 1] == ' ')
		(*len)--;
	while (s < *len && c->buf[s] == ' ')
		s++;
	if (s > start) {
		memmove(c->buf + start, c->buf + s, *len - s);
		*len -= s - start;
	}
}

/* Read one record into c->buf as NUL-terminated fields; offsets in offs. */
static int read_record(struct csv *c, size_t *offs, int *n, struct err *e)
{
	size_t len = 0, start = 0;
	int ch, quoted = 0, in_quotes = 0, any = 0, r;

	*n = 0;
	c->rec_line = c->line;
	offs[0] = 0;
	for (;;) {
		ch = getc(c->f);
		if (ch == EOF) {
			if (in_quotes)
				return err_set(e, ERR_INVALID, "%s:%d: a quoted field is not closed",
					       c->path, c->rec_line);
			if (!any && *n == 0 && len == 0)
				return 0;
			break;
		}
		any = 1;
		if (in_quotes) {
			if (ch == '"') {
				int next = getc(c->f);

				if (next == '"') {
					if ((r = put(c, &len, '"', e)) < 0)
						return r;
					continue;
				}
				ungetc(next, c->f);
				in_quotes = 0;
				continue;
			}
			if (ch == '\n')
				c->line++;
			if ((r = put(c, &len, (char)ch, e)) < 0)
				return r;
			continue;
		}
		if (ch == '\r') {
			int next = getc(c->f);

			if (next != '\n') {
				ungetc(next, c->f);
				return err_set(e, ERR_INVALID, "%s:%d: a bare carriage return",
					       c->path, c->line);
			}
			ch = '\n';
		}
		if (ch == '\n') {
			c->line++;
			break;
		}
		if (ch == '"') {
			if (len != start || quoted)
				return err_set(e, ERR_INVALID,
					       "%s:%d: field %d: a quote inside an unquoted field",
					       c->path, c->line, *n + 1);
			quoted = in_quotes = 1;
			continue;
		}
		if (ch == c->sep) {
			if (!quoted)
				trim(c, start, &len);
			if ((r = put(c, &len, '\0', e)) < 0)
				return r;
			if (++*n >= CSV_MAX_FIELDS)
				return err_set(e, ERR_INVALID, "%s:%d: more than %d fields", c->path,
					       c->rec_line, CSV_MAX_FIELDS);
			start = len;
			offs[*n] = start;
			quoted = 0;
			continue;
		}
		if (quoted)
			return err_set(e, ERR_INVALID, "%s:%d: field %d: text after a closing quote",
				       c->path, c->line, *n + 1);
		if ((r = put(c, &len, (char)ch, e)) < 0)
			return r;
	}
	if (!quoted)
		trim(c, start, &len);
	if ((r = put(c, &len, '\0', e)) < 0)
		return r;
	(*n)++;
	/* A blank line: one empty unquoted field. */
	if (*n == 1 && c->buf[0] == '\0' && !quoted)
		return read_record(c, offs, n, e);
	return 1;
}

static int fetch(struct csv *c, struct err *e)
{
	size_t offs[CSV_MAX_FIELDS];
	struct err ve;
	int n, r = read_record(c, offs, &n, e);

	if (r <= 0)
		return r;
	c->nfields = n;
	for (int i = 0; i < n; i++) {
		c->field[i] = c->buf + offs[i];
		if (valid_utf8(c->field[i], &ve) < 0)
			return err_set(e, ERR_INVALID, "%s:%d: field %d: %s", c->path, c->rec_line,
				       i + 1, ve.msg);
		for (const unsigned char *p = (const unsigned char *)c->field[i]; *p; p++)
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				return err_set(e, ERR_INVALID, "%s:%d: field %d: a control character",
					       c->path, c->rec_line, i + 1);
	}
	return 1;
}

int csv_open(struct csv *c, const char *path, struct err *e)
{
	unsigned char bom[3];
	char first[4096];
	size_t got;
	int r;

	memset(c, 0, sizeof *c);
	c->path = path;
	c->line = 1;
	c->f = fopen(path, "rb");
	if (!c->f)
		return err_set(e, ERR_IO, "%s: cannot open: %m", path);
	got = fread(bom, 1, 3, c->f);
	if (!(got == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf))
		rewind(c->f);
	/* Choose the separator from the header line. */
	{
		long pos = ftell(c->f);

		if (!fgets(first, sizeof first, c->f))
			first[0] = '\0';
		fseek(c->f, pos, SEEK_SET);
	}
	c->sep = strchr(first, ';') && !strchr(first, ',') ? ';' : ',';
	r = fetch(c, e);
	if (r == 0)
		r = err_set(e, ERR_INVALID, "%s:1: the file is empty (a header row is needed)", path);
	if (r < 0) {
		csv_close(c);
		return r;
	}
	return 0;
}

int csv_next(struct csv *c, struct err *e)
{
	return fetch(c, e);
}

void csv_close(struct csv *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}
