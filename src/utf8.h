/* utf8.h - copying UTF-8 text into a bounded buffer without cutting a
 * character in two (snprintf would cut inside a multi-byte sequence). */
#ifndef BACKAD_UTF8_H
#define BACKAD_UTF8_H

#include <stddef.h>

/* Copy src (NULL: "") into dst of n > 0 bytes, NUL-terminated. When it does
 * not fit, the copy ends before the first character that would not fit
 * whole. Returns 1 when src was shortened, else 0. */
int utf8_copy(char *dst, size_t n, const char *src);

#endif
