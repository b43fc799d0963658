/* retry_after.c - Retry-After in both forms (RFC 9110 10.2.3); dates are
 * parsed by libcurl, not here. */
#include "retry_after.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* value without leading and trailing blanks, in buf; 0 if it does not fit. */
static int trimmed(const char *value, char *buf, size_t n)
{
	size_t len;

	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
		       value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	if (len == 0 || len >= n)
		return 0;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return 1;
}

static long bounded(long long s)
{
	if (s < 1)
		return 1;
	return s > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)s;
}

/* An HTTP-date names its month (and day) in letters; a bare number or a
 * word without digits is not one, whatever curl_getdate makes of it. */
static int looks_like_date(const char *s)
{
	int letters = 0, digits = 0;

	for (; *s; s++) {
		letters += (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z');
		digits += *s >= '0' && *s <= '9';
	}
	return letters >= 3 && digits >= 4;
}

long retry_after_seconds(const char *value, const char *date, time_t now)
{
	char buf[128], dbuf[128];
	time_t when, base = now;

	if (!value || !trimmed(value, buf, sizeof buf))
		return -1;
	if (strspn(buf, "0123456789") == strlen(buf)) {
		long long s;

		errno = 0;
		s = strtoll(buf, NULL, 10);
		return errno == ERANGE ? RETRY_AFTER_MAX : bounded(s);
	}
	if (!looks_like_date(buf) || (when = curl_getdate(buf, NULL)) == -1)
		return -1;
	if (date && trimmed(date, dbuf, sizeof dbuf) && looks_like_date(dbuf)) {
		time_t sent = curl_getdate(dbuf, NULL);

		if (sent != -1)
			base = sent;
	}
	return bounded((long long)when - (long long)base);
}
