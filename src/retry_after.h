/* retry_after.h - the Retry-After field of an HTTP reply (RFC 9110 10.2.3):
 * delay-seconds or an HTTP-date, turned into seconds to wait. */
#ifndef BACKAD_RETRY_AFTER_H
#define BACKAD_RETRY_AFTER_H

#include <time.h>

#define RETRY_AFTER_MAX (30L * 86400) /* a longer wish is cut to this */

/* Seconds to wait before the next request, from the field's value (leading
 * and trailing blanks allowed). An HTTP-date (any of the three forms, parsed
 * by libcurl's curl_getdate) counts from the reply's own Date field when
 * date is given and readable, else from now, so the gateway's clock and
 * ours need not agree. A delay of 0 or a date in the past means "retry
 * now": 1 second, the least wait, so a gateway answering so is not asked
 * again and again within the same second. -1 when value is NULL, empty or
 * neither form (garbage is ignored). At most RETRY_AFTER_MAX. */
long retry_after_seconds(const char *value, const char *date, time_t now);

#endif
