/* validate.c - input checks shared by backactl, the importer and the planner. */
#include "validate.h"

#include <string.h>

#include "date.h"

int valid_date(const char *s, struct err *e)
{
	int d;

	if (date_parse(s, &d) < 0)
		return err_set(e, ERR_INVALID, "'%s' is not a date (YYYY-MM-DD)", s);
	return 0;
}

int valid_e164(const char *s, struct err *e)
{
	size_t n = strlen(s);

	if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		goto bad;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			goto bad;
	return 0;
bad:
	return err_set(e, ERR_INVALID,
		       "'%s' is not a mobile number in E.164 form (+46701234567)", s);
}

static int email_char(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("\"<>()[]\\,;:@", c);
}

int valid_email(const char *s, struct err *e)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (!at || at == s || n > 254 || strchr(at + 1, '@'))
		goto bad;
	for (const char *p = s; *p; p++)
		if (p != at && !email_char((unsigned char)*p))
			goto bad;
	/* Domain: labels separated by single dots, at least one dot. */
	if (!strchr(at + 1, '.') || at[1] == '.' || s[n - 1] == '.' || strstr(at, ".."))
		goto bad;
	if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
		goto bad;
	return 0;
bad:
	return err_set(e, ERR_INVALID, "'%s' is not an e-mail address", s);
}

int valid_code(const char *s, struct err *e)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			goto bad;
	}
	return 0;
bad:
	return err_set(e, ERR_INVALID,
		       "'%s' is not a code (1-64 of A-Z a-z 0-9 . _ -)", s);
}

int valid_pnr(const char *s, struct err *e)
{
	char d[12];
	size_t n = strlen(s), k = 0;
	int sum = 0, y, m, day;

	if (n != 12 && !(n == 13 && s[8] == '-'))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (n == 13 && i == 8)
			continue;
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		d[k++] = s[i];
	}
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	m = (d[4] - '0') * 10 + (d[5] - '0');
	day = (d[6] - '0') * 10 + (d[7] - '0');
	if (day > 60)
		day -= 60; /* samordningsnummer */
	if (!date_valid(y, m, day))
		goto bad;
	/* Luhn over the ten digits YYMMDDNNNC. */
	for (int i = 2; i < 12; i++) {
		int v = d[i] - '0';

		if (i % 2 == 0) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	if (sum % 10 != 0)
		goto bad;
	return 0;
bad:
	return err_set(e, ERR_INVALID,
		       "not a valid personal identity number (YYYYMMDD-NNNN)");
}

/* Check UTF-8 and, when ctl, that no control character other than tab is in s. */
static int check_utf8(const char *s, int ctl, struct err *e)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int len;
		unsigned cp;

		if (*p < 0x80) {
			if (ctl && ((*p < 0x20 && *p != '\t') || *p == 0x7f))
				goto ctl;
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			len = 2;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			len = 3;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			len = 4;
			cp = *p & 0x07;
		} else {
			goto bad;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		if (ctl && cp >= 0x80 && cp < 0xa0)
			goto ctl;
		p += len;
	}
	return 0;
bad:
	return err_set(e, ERR_INVALID, "not valid UTF-8 at byte %td",
		       (const char *)p - s);
ctl:
	return err_set(e, ERR_INVALID, "control character at byte %td",
		       (const char *)p - s);
}

int valid_utf8(const char *s, struct err *e)
{
	return check_utf8(s, 0, e);
}

int valid_text(const char *s, struct err *e)
{
	return check_utf8(s, 1, e);
}

int valid_choice(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && strncmp(p, v, n) == 0)
			return 1;
		p += w + (p[w] == ' ');
	}
	return 0;
}

int valid_line(const char *s, struct err *e)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return err_set(e, ERR_INVALID, "contains a line break or another control "
				       "character (byte %zu)", (size_t)(p - (const unsigned char *)s) + 1);
	return check_utf8(s, 0, e);
}

/* RFC 5321 4.1.2 Domain (letters, digits, hyphens, dots) or an address
 * literal in brackets; '_' too, which some internal names carry. */
int valid_host(const char *s, struct err *e)
{
	size_t n = strlen(s);
	const char *set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";

	if (valid_line(s, e) < 0)
		return ERR_INVALID;
	if (n >= 3 && s[0] == '[' && s[n - 1] == ']' &&
	    strspn(s + 1, "0123456789abcdefABCDEF.:IPv") == n - 2)
		return 0;
	if (n < 1 || n > 253 || strspn(s, set) != n || s[0] == '.' || s[0] == '-' ||
	    strstr(s, ".."))
		return err_set(e, ERR_INVALID, "'%s' is not a host name or [address]", s);
	return 0;
}
