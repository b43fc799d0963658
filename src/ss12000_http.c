/* ss12000_http.c - authenticated JSON GETs with retries and one deadline (libcurl). */
#include "ss12000_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "secret.h"
#include "strbuf.h"

#define MAX_BODY (256u << 20) /* a page larger than this is refused */
#define BACKOFF_MAX 60        /* seconds between retries at most */

struct ss_http {
	const struct config *cfg;
	CURL *curl;
	time_t deadline;
	char *token;
	time_t token_expires;
	struct strbuf body;
	long retry_after; /* seconds, from the last response; -1 when none */
	int requests, retries;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct strbuf *sb = arg;

	if (sb->len + size * n > MAX_BODY || sb_add(sb, p, size * n) < 0)
		return 0;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct ss_http *h = arg;
	size_t len = size * n;
	char buf[128];

	if (len > 12 && len < sizeof buf && strncasecmp(p, "Retry-After:", 12) == 0) {
		memcpy(buf, p + 12, len - 12);
		buf[len - 12] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		char *end;
		long v = strtol(buf, &end, 10);

		if (end != buf && v >= 0) {
			h->retry_after = v;
		} else {
			time_t t = curl_getdate(buf + strspn(buf, " "), NULL);

			if (t > 0)
				h->retry_after = t > time(NULL) ? (long)(t - time(NULL)) : 0;
		}
	}
	return len;
}

/* Plain http only to this machine (the tests); everything else must be https. */
static int check_url(const char *what, const char *url, struct err *e)
{
	static const char *const local[] = { "http://127.0.0.1", "http://localhost", "http://[::1]" };

	if (!url)
		return err_set(e, ERR_INVALID, "ss12000.%s is not set", what);
	if (strncmp(url, "https://", 8) == 0)
		return 0;
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
		size_t n = strlen(local[i]);

		if (strncmp(url, local[i], n) == 0 && (url[n] == ':' || url[n] == '/' || !url[n]))
			return 0;
	}
	return err_set(e, ERR_INVALID, "ss12000.%s '%s' must be an https:// address", what, url);
}

/* The options every request shares: TLS verified, certificate, time-outs. */
static int common_opts(struct ss_http *h, const char *url, long timeout)
{
	const struct config *c = h->cfg;
	CURL *cu = h->curl;

	curl_easy_reset(cu);
	sb_reset(&h->body);
	h->retry_after = -1;
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, timeout < 20 ? timeout : 20L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "backad-ss12000/1");
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &h->body);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, h);
	if (c->ss_ca_file)
		curl_easy_setopt(cu, CURLOPT_CAINFO, c->ss_ca_file);
	if (c->ss_auth == SS_AUTH_CERT) {
		curl_easy_setopt(cu, CURLOPT_SSLCERT, c->ss_cert_file);
		curl_easy_setopt(cu, CURLOPT_SSLKEY, c->ss_key_file ? c->ss_key_file : c->ss_cert_file);
	}
	return 0;
}

/* The server's error body in one line: an SS 12000 Error object's code and
 * message, else its first bytes with control characters replaced. */
static void error_body(const struct ss_http *h, char *out, size_t n)
{
	json_t *j = json_loadb(h->body.s ? h->body.s : "", h->body.len, 0, NULL);
	const char *code = json_string_value(json_object_get(j, "code"));
	const char *msg = json_string_value(json_object_get(j, "message"));

	if (!msg)
		msg = json_string_value(json_object_get(j, "error_description"));
	if (!code)
		code = json_string_value(json_object_get(j, "error"));
	if (msg || code) {
		snprintf(out, n, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	} else {
		size_t k = 0;

		for (size_t i = 0; i < h->body.len && k + 1 < n && k < 200; i++)
			out[k++] = (unsigned char)h->body.s[i] < 0x20 ? ' ' : h->body.s[i];
		out[k] = '\0';
		if (!k)
			snprintf(out, n, "(empty body)");
	}
	json_decref(j);
}

static int fetch_token(struct ss_http *h, struct err *e)
{
	const struct config *c = h->cfg;
	char *secret = NULL, *scope = NULL, post[600], why[300];
	json_t *j = NULL;
	long status = 0, ttl;
	CURLcode rc;
	int r;

	r = check_url("token_url", c->ss_token_url, e);
	if (r == 0 && !c->ss_client_id)
		r = err_set(e, ERR_INVALID, "ss12000.auth = \"oauth2\" needs ss12000.client_id");
	if (r == 0 && !c->ss_secret_file)
		r = err_set(e, ERR_INVALID, "ss12000.auth = \"oauth2\" needs ss12000.secret_file");
	if (r == 0)
		r = secret_read(c->ss_secret_file, &secret, e);
	if (r < 0)
		return r;
	common_opts(h, c->ss_token_url, c->ss_timeout);
	if (c->ss_scope)
		scope = curl_easy_escape(h->curl, c->ss_scope, 0);
	snprintf(post, sizeof post, "grant_type=client_credentials%s%s", scope ? "&scope=" : "",
		 scope ? scope : "");
	curl_free(scope);
	/* RFC 6749 2.3.1: the client authenticates with HTTP Basic. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(h->curl, CURLOPT_USERNAME, c->ss_client_id);
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, secret);
	curl_easy_setopt(h->curl, CURLOPT_COPYPOSTFIELDS, post);
	rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, "");
	memset(secret, 0, strlen(secret));
	free(secret);
	h->requests++;
	if (rc != CURLE_OK)
		return err_set(e, ERR_TEMPFAIL, "token endpoint %s: %s", c->ss_token_url,
			       curl_easy_strerror(rc));
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		error_body(h, why, sizeof why);
		return err_set(e, status >= 500 ? ERR_TEMPFAIL : ERR_PERMFAIL,
			       "token endpoint %s: HTTP %ld: %s", c->ss_token_url, status, why);
	}
	j = json_loadb(h->body.s ? h->body.s : "", h->body.len, 0, NULL);
	if (!json_string_value(json_object_get(j, "access_token"))) {
		json_decref(j);
		return err_set(e, ERR_INVALID, "token endpoint %s: the answer has no access_token",
			       c->ss_token_url);
	}
	free(h->token);
	h->token = strdup(json_string_value(json_object_get(j, "access_token")));
	ttl = json_is_integer(json_object_get(j, "expires_in"))
		      ? (long)json_integer_value(json_object_get(j, "expires_in")) : 3600;
	h->token_expires = time(NULL) + ttl;
	json_decref(j);
	return h->token ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

int ss_http_open(const struct config *cfg, time_t deadline, struct ss_http **out, struct err *e)
{
	struct ss_http *h;
	int r;

	*out = NULL;
	r = check_url("url", cfg->ss_url, e);
	if (r == 0 && cfg->ss_auth == SS_AUTH_CERT && !cfg->ss_cert_file)
		r = err_set(e, ERR_INVALID, "ss12000.auth = \"certificate\" needs ss12000.cert_file");
	if (r < 0)
		return r;
	h = calloc(1, sizeof *h);
	if (!h || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(h);
		return err_set(e, ERR_NOMEM, "cannot start libcurl");
	}
	h->cfg = cfg;
	h->deadline = deadline;
	h->curl = curl_easy_init();
	if (!h->curl)
		r = err_set(e, ERR_NOMEM, "cannot start libcurl");
	if (r == 0 && cfg->ss_auth == SS_AUTH_OAUTH2)
		r = fetch_token(h, e);
	if (r < 0) {
		ss_http_close(h);
		return r;
	}
	*out = h;
	return 0;
}

void ss_http_close(struct ss_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	if (h->token) {
		memset(h->token, 0, strlen(h->token));
		free(h->token);
	}
	sb_free(&h->body);
	free(h);
}

void ss_http_counts(const struct ss_http *h, int *requests, int *retries)
{
	*requests = h->requests;
	*retries = h->retries;
}

static int parse_body(struct ss_http *h, const char *path, json_t **out, struct err *e)
{
	json_error_t je;
	json_t *j = json_loadb(h->body.s ? h->body.s : "", h->body.len, 0, &je);

	if (!j)
		return err_set(e, ERR_INVALID, "GET %s: malformed JSON at line %d, column %d: %s",
			       path, je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(e, ERR_INVALID, "GET %s: the answer is not a JSON object", path);
	}
	*out = j;
	return 0;
}

/* One attempt. 0 with *status set, or a curl failure in e (*retry = 1 when
 * trying again may help). */
static int attempt(struct ss_http *h, const char *url, const char *path, long *status,
		   int *retry, struct err *e)
{
	long left = (long)(h->deadline - time(NULL));
	long timeout = h->cfg->ss_timeout < left ? h->cfg->ss_timeout : left;
	CURLcode rc;

	common_opts(h, url, timeout > 0 ? timeout : 1);
	if (h->token) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(h->curl, CURLOPT_XOAUTH2_BEARER, h->token);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	h->requests++;
	rc = curl_easy_perform(h->curl);
	*retry = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
		return 0;
	}
	*retry = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
		 rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
		 rc == CURLE_PARTIAL_FILE;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return err_set(e, ERR_TEMPFAIL, "GET %s: no complete answer within %ld s (%s)",
			       path, timeout, timeout < h->cfg->ss_timeout ? "what was left of "
			       "ss12000.max_seconds" : "ss12000.timeout_seconds");
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CERTPROBLEM)
		return err_set(e, ERR_PERMFAIL, "GET %s: certificate problem: %s (check "
			       "ss12000.ca_file and ss12000.cert_file)", path, curl_easy_strerror(rc));
	return err_set(e, *retry ? ERR_TEMPFAIL : ERR_PERMFAIL, "GET %s: %s", path,
		       curl_easy_strerror(rc));
}

int ss_http_get(struct ss_http *h, const char *path, json_t **out, struct err *e)
{
	char url[2048], why[300];
	long status = 0, wait;
	int r, retry, tries = 0, renewed = 0;

	*out = NULL;
	snprintf(url, sizeof url, "%s%s", h->cfg->ss_url, path);
	for (;;) {
		if (h->token && time(NULL) >= h->token_expires - 30 && (r = fetch_token(h, e)) < 0)
			return r;
		tries++;
		r = attempt(h, url, path, &status, &retry, e);
		if (r == 0 && status == 200)
			return parse_body(h, path, out, e);
		/* A token the server stopped accepting early: fetch a new one, once. */
		if (r == 0 && status == 401 && h->token && !renewed) {
			renewed = 1;
			if ((r = fetch_token(h, e)) < 0)
				return r;
			continue;
		}
		if (r == 0) {
			error_body(h, why, sizeof why);
			retry = status == 429 || status >= 500;
			r = err_set(e, retry ? ERR_TEMPFAIL : ERR_PERMFAIL, "GET %s: HTTP %ld: %s",
				    path, status, why);
		}
		if (!retry)
			return r;
		wait = h->retry_after >= 0 ? h->retry_after : 1L << (tries - 1 < 6 ? tries - 1 : 6);
		wait = wait > BACKOFF_MAX ? BACKOFF_MAX : wait;
		if (time(NULL) + wait >= h->deadline)
			return err_prefix(e, "gave up after %d attempts within ss12000.max_seconds = %d",
					  tries, h->cfg->ss_max_seconds);
		h->retries++;
		sleep((unsigned)wait);
	}
}
