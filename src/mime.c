/* mime.c - RFC 5322 messages, RFC 2047 encoded-word subjects (B encoding,
 * never splitting a UTF-8 character, each word at most 75 characters) and
 * RFC 2045 quoted-printable bodies (lines at most 76 characters, CRLF). */
#include "mime.h"

#include <stdio.h>
#include <string.h>

#include "msgid.h"
#include "textwrap.h"
#include "validate.h"

#define WORD_BYTES 39 /* UTF-8 bytes per encoded-word: 52 base64 chars, 64 in all */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const unsigned char *s, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (unsigned)s[i + 1] << 8;
		if (k > 2)
			v |= s[i + 2];
		sb_putc(out, b64[(v >> 18) & 63]);
		sb_putc(out, b64[(v >> 12) & 63]);
		sb_putc(out, k > 1 ? b64[(v >> 6) & 63] : '=');
		sb_putc(out, k > 2 ? b64[v & 63] : '=');
	}
}

static int needs_encoding(const char *s)
{
	size_t n = strlen(s);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80 || *p < 0x20)
			return 1;
	/* "=?" could be read as an encoded-word; long lines need folding. */
	return strstr(s, "=?") != NULL || n > 66;
}

int mime_encode_subject(const char *subject, struct strbuf *out)
{
	const unsigned char *s = (const unsigned char *)subject;
	size_t n = strlen(subject), i = 0;

	if (!needs_encoding(subject))
		return sb_puts(out, subject);
	while (i < n) {
		size_t len = n - i > WORD_BYTES ? WORD_BYTES : n - i;

		/* Back off to a character boundary. */
		while (i + len < n && len > 0 && (s[i + len] & 0xc0) == 0x80)
			len--;
		if (i)
			sb_puts(out, "\r\n ");
		sb_puts(out, "=?UTF-8?B?");
		base64(s + i, len, out);
		sb_puts(out, "?=");
		i += len;
	}
	return out->oom ? ERR_NOMEM : 0;
}

int mime_qp(const char *body, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)body;
	int col = 0;

	while (*p) {
		unsigned char c = *p;
		int at_eol = p[1] == '\n' || p[1] == '\0' || (p[1] == '\r' && p[2] == '\n');
		char tok[4];
		int tlen;

		if (c == '\r' && p[1] == '\n') {
			p++;
			continue;
		}
		if (c == '\n') {
			sb_puts(out, "\r\n");
			col = 0;
			p++;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
		    ((c == ' ' || c == '\t') && !at_eol)) {
			tok[0] = (char)c;
			tlen = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tlen = 3;
		}
		/* Keep room for a soft break '=' within 76 characters. */
		if (col + tlen > 75 && !(at_eol && col + tlen <= 76)) {
			sb_puts(out, "=\r\n");
			col = 0;
			if (tok[0] == '.' && tlen == 1) {
				strcpy(tok, "=2E");
				tlen = 3;
			}
		}
		sb_add(out, tok, (size_t)tlen);
		col += tlen;
		p++;
	}
	if (col)
		sb_puts(out, "\r\n");
	return out->oom ? ERR_NOMEM : 0;
}

int mime_build(const char *from, const char *reply_to, const char *to, const char *subject,
	       const char *body, const char *message_id, time_t date, struct strbuf *out,
	       struct err *e)
{
	char clean[1024], when[64], mid[MSGID_SIZE];
	struct strbuf text = STRBUF_INIT;
	struct tm tm;
	size_t n;

	if (valid_email(from, e) < 0 || valid_email(to, e) < 0 ||
	    (reply_to && valid_email(reply_to, e) < 0))
		return ERR_INVALID;
	/* One that is cut or malformed becomes a well-formed one, the same at
	 * every attempt: a bad id must not stop the message. */
	msgid_fix(message_id, from, mid);
	snprintf(clean, sizeof clean, "%s", subject ? subject : "");
	for (char *p = clean; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	n = strlen(clean);
	while (n && (clean[n - 1] & 0xc0) == 0x80 && strlen(subject) >= sizeof clean - 1)
		clean[--n] = '\0'; /* a cut subject never ends mid-character */
	localtime_r(&date, &tm);
	strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S %z", &tm);
	sb_printf(out, "Date: %s\r\nFrom: %s\r\n", when, from);
	if (reply_to)
		sb_printf(out, "Reply-To: %s\r\n", reply_to);
	sb_printf(out, "To: %s\r\nMessage-ID: %s\r\nSubject: ", to, mid);
	mime_encode_subject(clean, out);
	/* RFC 3834: no vacation or out-of-office replies to a notification. */
	sb_puts(out, "\r\nAuto-Submitted: auto-generated\r\n"
		     "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	text_wrap(body, TEXT_WIDTH, &text);
	mime_qp(sb_str(&text), out);
	if (text.oom)
		out->oom = 1;
	sb_free(&text);
	return out->oom ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}
