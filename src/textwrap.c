/* textwrap.c - word wrap by characters and the signature separator; by hand
 * because Debian's libraries for it (fribidi, pango) are far larger than a
 * loop over spaces in UTF-8 text. */
#include "textwrap.h"

#include <string.h>

#include "err.h"

/* Characters (UTF-8 code points) in s[0..n). */
static size_t chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Where to break s[0..n) for at most avail characters: the byte index of
 * the last space after from that fits, else of the first space after from
 * (a long word stays whole), else n (it fits, or cannot be broken). */
static size_t break_at(const char *s, size_t n, size_t from, size_t avail)
{
	size_t k = 0, last = 0; /* k: characters in s[0..i) */

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && i > from) {
			if (k > avail)
				return last ? last : i;
			last = i;
		}
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	}
	return k > avail && last ? last : n;
}

static void put_indent(struct strbuf *out, const char *s, size_t ind, size_t hang)
{
	sb_add(out, s, ind);
	for (size_t i = ind; i < hang; i++)
		sb_putc(out, ' ');
}

static void wrap_line(const char *s, size_t n, size_t width, struct strbuf *out)
{
	const char *line = s;
	size_t ind = 0, hang, from;

	if (n == 2 && memcmp(s, "--", 2) == 0) {
		sb_puts(out, "-- ");
		return;
	}
	while (ind < n && (s[ind] == ' ' || s[ind] == '\t'))
		ind++;
	hang = ind + ((n > ind + 2 && (s[ind] == '-' || s[ind] == '*') && s[ind + 1] == ' ') ? 2 : 0);
	from = hang;
	for (int first = 1; chars(s, n) > width - (first ? 0 : hang) && hang < width / 2;
	     first = 0) {
		size_t cut = break_at(s, n, from, width - (first ? 0 : hang)), next = cut;

		if (cut >= n)
			break;
		while (cut > 0 && s[cut - 1] == ' ')
			cut--;
		sb_add(out, s, cut);
		sb_putc(out, '\n');
		while (next < n && s[next] == ' ')
			next++;
		s += next;
		n -= next;
		put_indent(out, line, ind, hang);
		from = 0;
	}
	sb_add(out, s, n);
}

int text_wrap(const char *body, int width, struct strbuf *out)
{
	const char *p = body;

	while (*p) {
		size_t n = strcspn(p, "\n"), end = n;

		if (end && p[end - 1] == '\r')
			end--;
		wrap_line(p, end, (size_t)width, out);
		if (p[n] == '\n')
			sb_putc(out, '\n');
		p += n + (p[n] == '\n');
	}
	return out->oom ? ERR_NOMEM : 0;
}
