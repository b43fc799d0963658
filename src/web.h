/* web.h - backad-web's HTTP service (libmicrohttpd): acknowledgement links
 * (GET shows, POST with a CSRF value records), request size and rate
 * limits, the client address (X-Forwarded-For only from the trusted
 * proxy), and security headers on every answer. */
#ifndef BACKAD_WEB_H
#define BACKAD_WEB_H

#include <time.h>

#include "dbi.h"
#include "ack_token.h"
#include "config.h"
#include "err.h"

/* The largest request body accepted (a form of two short fields). */
#define WEB_BODY_MAX 1024

/* How long a request waits for a database lock before its 503. */
#define WEB_BUSY_TIMEOUT_MS 300

struct web;

/* Make a request on db wait at most WEB_BUSY_TIMEOUT_MS for a lock: SQLite's
 * busy timeout, PostgreSQL's lock_timeout (readers never wait there; a
 * write waits for a row another transaction holds). 0 or a negative code. */
int web_db_wait(struct dbi *db, struct err *e);

/* Serve on the listening socket fd (the caller keeps it open until
 * web_stop) with one thread, answering from db (which the service alone
 * uses from then on) with keys. now_fixed: 0, or the clock to use
 * (tests). *out is freed by web_stop. */
int web_start(int fd, const struct config *cfg, struct dbi *db, const struct ack_keys *keys,
	      time_t now_fixed, struct web **out, struct err *e);
void web_stop(struct web *w);

#endif
