/* ss12000_http.h - HTTP for the SS 12000 client (libcurl, jansson): a bearer
 * token from an OAuth2 client-credentials endpoint or a client certificate,
 * verified server certificates, JSON bodies, and retries with backoff on 429
 * and 5xx (Retry-After honoured) within one deadline for the whole run. */
#ifndef BACKAD_SS12000_HTTP_H
#define BACKAD_SS12000_HTTP_H

#include <jansson.h>
#include <time.h>

#include "config.h"
#include "err.h"

struct ss_http;

/* Open a client for cfg's ss12000.* settings; with auth = oauth2 it fetches
 * the token now. Every request, retries included, ends by deadline. */
int ss_http_open(const struct config *cfg, time_t deadline, struct ss_http **out, struct err *e);
void ss_http_close(struct ss_http *h);

/* GET url_base + path (path starts with '/', query included) and parse the
 * JSON object it returns into *out (the caller json_decref()s it). Errors
 * name the URL path and, for HTTP errors, the status and the server's error
 * body (code and message of an SS 12000 Error object, else its first bytes):
 * ERR_PERMFAIL for 4xx, ERR_TEMPFAIL when 429/5xx/timeouts outlast the
 * deadline, ERR_INVALID for a body that is not a JSON object. A 401 to a
 * bearer token fetches a new token and tries once more. */
int ss_http_get(struct ss_http *h, const char *path, json_t **out, struct err *e);

/* Requests made and retries waited for, for the summary. */
void ss_http_counts(const struct ss_http *h, int *requests, int *retries);

#endif
