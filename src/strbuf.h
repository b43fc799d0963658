/* strbuf.h - a growable, always NUL-terminated byte buffer. */
#ifndef BACKAD_STRBUF_H
#define BACKAD_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *s;     /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	int oom;     /* set once an allocation failed; later appends do nothing */
};

#define STRBUF_INIT { NULL, 0, 0, 0 }

/* Appends return 0 or ERR_NOMEM (and set sb->oom). */
int sb_add(struct strbuf *sb, const char *data, size_t n);
int sb_puts(struct strbuf *sb, const char *s);
int sb_putc(struct strbuf *sb, char c);
int sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); owned by sb. */
const char *sb_str(const struct strbuf *sb);
/* Hand the buffer to the caller (free() it); sb is left empty. */
char *sb_take(struct strbuf *sb);
void sb_reset(struct strbuf *sb); /* length 0, memory kept */
void sb_free(struct strbuf *sb);

#endif
