/* err.h - the one error convention: functions return 0 or a negative code and
 * may fill a caller-owned struct err with one human-readable line. */
#ifndef BACKAD_ERR_H
#define BACKAD_ERR_H

#include <stddef.h>

enum {
	ERR_OK = 0,
	ERR_INVALID = -1,  /* bad input: config, CSV, arguments, rows */
	ERR_NOTFOUND = -2, /* an unknown reference */
	ERR_DB = -3,       /* SQLite failed */
	ERR_IO = -4,       /* file system or network */
	ERR_NOMEM = -5,
	ERR_VERSION = -6,  /* database newer than this program */
	ERR_BUSY = -7,     /* database locked beyond the busy timeout */
	ERR_TEMPFAIL = -8, /* delivery: try again later */
	ERR_PERMFAIL = -9  /* delivery: will never succeed */
};

/* One error line. The caller owns it; helpers fill it, the edge logs it. */
struct err {
	int code;
	char msg[512];
};

/* Set e (may be NULL) to code and a printf-style message; returns code. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with "prefix: " (for adding file:line). */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A check that reports every problem, not just the first: each line goes to
 * the callback (may be NULL), the first also into e, and n counts them. */
struct report {
	void (*cb)(void *ctx, const char *line);
	void *ctx;
	struct err *e;
	int n;
};

void report_line(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
