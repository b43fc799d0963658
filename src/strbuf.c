/* strbuf.c - growable string buffer. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *s;

	if (sb->oom)
		return ERR_NOMEM;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	s = realloc(sb->s, cap);
	if (!s) {
		sb->oom = 1;
		return ERR_NOMEM;
	}
	sb->s = s;
	sb->cap = cap;
	return 0;
}

int sb_add(struct strbuf *sb, const char *data, size_t n)
{
	if (sb_grow(sb, n) < 0)
		return ERR_NOMEM;
	memcpy(sb->s + sb->len, data, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int sb_puts(struct strbuf *sb, const char *s)
{
	return sb_add(sb, s, strlen(s));
}

int sb_putc(struct strbuf *sb, char c)
{
	return sb_add(sb, &c, 1);
}

int sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_grow(sb, (size_t)n) < 0)
		return ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

char *sb_take(struct strbuf *sb)
{
	char *s = sb->s ? sb->s : strdup("");

	sb->s = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->oom = 0;
}
