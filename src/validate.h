/* validate.h - checks for values that come from people and outside systems:
 * dates, E.164 numbers, e-mail addresses, codes and references. Each returns
 * 0 or ERR_INVALID and, on error, fills e with a short Swedish-free reason
 * naming the value (callers add file:line or the option name). */
#ifndef BACKAD_VALIDATE_H
#define BACKAD_VALIDATE_H

#include "err.h"

/* "YYYY-MM-DD", a real date. */
int valid_date(const char *s, struct err *e);
/* E.164: '+', a non-zero digit, 7 to 15 digits in all. */
int valid_e164(const char *s, struct err *e);
/* A plain work address: local@domain, ASCII, no spaces, quotes, angle
 * brackets or control characters, a dot in the domain, at most 254 bytes. */
int valid_email(const char *s, struct err *e);
/* Codes and references: 1-64 characters of [A-Za-z0-9._-]. */
int valid_code(const char *s, struct err *e);
/* Swedish personal identity number: YYYYMMDD-NNNN or YYYYMMDDNNNN with a
 * correct Luhn check digit (coordination numbers: day + 60). */
int valid_pnr(const char *s, struct err *e);
/* 1 when v is one of the space-separated words in choices. */
int valid_choice(const char *choices, const char *v);
/* UTF-8 well-formed (any characters, newlines included). */
int valid_utf8(const char *s, struct err *e);
/* UTF-8 well-formed and free of control characters other than tab. */
int valid_text(const char *s, struct err *e);
/* One line of text: UTF-8, no control characters at all (no CR, LF, tab,
 * NUL, DEL); the message does not repeat the value. */
int valid_line(const char *s, struct err *e);
/* A host name for SMTP (smtp.host, the EHLO name): a domain of letters,
 * digits, '-', '_' and single dots, at most 253 bytes, or an address
 * literal like [192.0.2.1] or [IPv6:2001:db8::1]. */
int valid_host(const char *s, struct err *e);

#endif
