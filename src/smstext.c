/* smstext.c - GSM-7 versus UCS-2 and the number of SMS parts. */
#include "smstext.h"

#include <string.h>

#include "err.h"

/* GSM 03.38 basic character set, as Unicode code points (0x1B is the escape
 * to the extension table and is not a character of its own). */
static const unsigned short gsm7_basic[] = {
	'@', 0xa3, '$', 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7, '\n', 0xd8, 0xf8, '\r',
	0xc5, 0xe5, 0x394, '_', 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8, 0x3a3, 0x398,
	0x39e, 0xc6, 0xe6, 0xdf, 0xc9, ' ', '!', '"', '#', 0xa4, '%', '&', '\'', '(',
	')', '*', '+', ',', '-', '.', '/', '0', '1', '2', '3', '4', '5', '6', '7', '8',
	'9', ':', ';', '<', '=', '>', '?', 0xa1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H',
	'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X',
	'Y', 'Z', 0xc4, 0xd6, 0xd1, 0xdc, 0xa7, 0xbf, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
	'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
	'x', 'y', 'z', 0xe4, 0xf6, 0xf1, 0xfc, 0xe0,
};
static const unsigned short gsm7_ext[] = { '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac,
					   '\f' };

static int in(const unsigned short *set, size_t n, unsigned cp)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

/* Decode one UTF-8 character at *p; advances *p. -1 on malformed input. */
static long next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned cp;
	int len;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*p = s + len;
	return cp;
}

int sms_measure(const char *utf8, struct sms_info *out)
{
	const unsigned char *p = (const unsigned char *)utf8;
	int septets = 0, utf16 = 0, gsm = 1;

	while (*p) {
		long cp = next_cp(&p);

		if (cp < 0)
			return ERR_INVALID;
		utf16 += cp > 0xffff ? 2 : 1;
		if (in(gsm7_basic, sizeof gsm7_basic / sizeof gsm7_basic[0], (unsigned)cp))
			septets += 1;
		else if (in(gsm7_ext, sizeof gsm7_ext / sizeof gsm7_ext[0], (unsigned)cp))
			septets += 2;
		else
			gsm = 0;
	}
	out->ucs2 = !gsm;
	out->units = gsm ? septets : utf16;
	if (out->units == 0)
		out->segments = 0;
	else if (gsm)
		out->segments = out->units <= 160 ? 1 : (out->units + 152) / 153;
	else
		out->segments = out->units <= 70 ? 1 : (out->units + 66) / 67;
	return 0;
}
