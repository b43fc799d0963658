/* msgid.c - well-formed, bounded Message-IDs; the hash is OpenSSL's SHA-256. */
#include "msgid.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static int atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A dot-atom-text of 1..max bytes: atext runs separated by single dots. */
static int dot_atom(const char *s, size_t n, size_t max)
{
	if (n < 1 || n > max || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(atext((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return 0;
	return 1;
}

int msgid_valid(const char *id)
{
	size_t n = strlen(id);
	const char *at;

	if (n < 5 || n > MSGID_MAX || id[0] != '<' || id[n - 1] != '>')
		return 0;
	at = strchr(id, '@');
	if (!at || strchr(at + 1, '@'))
		return 0;
	return dot_atom(id + 1, (size_t)(at - id - 1), MSGID_LEFT_MAX) &&
	       dot_atom(at + 1, (size_t)(id + n - 1 - at - 1), MSGID_RIGHT_MAX);
}

/* key as dot-atom-text into out (MSGID_LEFT_MAX + 1 bytes). */
static void left_part(const char *key, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t k = 0, full = 0, len = 0; /* full: the length the whole key gives */
	char last = '.';

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		char c = atext(*p) && *p != '/' ? (char)*p : '.'; /* "a/b" reads as a path */

		if (c == '.' && last == '.')
			continue;
		last = c;
		full++;
		if (c != '.')
			len = full; /* without trailing dots */
		if (k < MSGID_LEFT_MAX)
			out[k++] = c;
	}
	if (len > MSGID_LEFT_MAX) {
		/* Cut: keep the start, end in a hash of the whole key. */
		SHA256((const unsigned char *)key, strlen(key), md);
		k = MSGID_LEFT_MAX - 17;
		while (k && out[k - 1] == '.')
			k--;
		out[k++] = '.';
		for (int i = 0; i < 8; i++, k += 2)
			snprintf(out + k, 3, "%02x", md[i]);
	}
	while (k && out[k - 1] == '.')
		k--;
	out[k] = '\0';
	if (!k)
		strcpy(out, "m");
}

void msgid_make(const char *key, const char *mail_from, char buf[MSGID_SIZE])
{
	char left[MSGID_LEFT_MAX + 1];
	const char *at = mail_from ? strrchr(mail_from, '@') : NULL;
	const char *dom = at && dot_atom(at + 1, strlen(at + 1), MSGID_RIGHT_MAX) ? at + 1
										 : "backad.invalid";

	left_part(key ? key : "", left);
	snprintf(buf, MSGID_SIZE, "<%s@%s>", left, dom);
}

void msgid_fix(const char *id, const char *mail_from, char buf[MSGID_SIZE])
{
	if (msgid_valid(id))
		snprintf(buf, MSGID_SIZE, "%s", id);
	else
		msgid_make(id, mail_from, buf);
}
