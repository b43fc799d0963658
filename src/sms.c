/* sms.c - SMS through an HTTP gateway with libcurl. */
#include "sms.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "retry_after.h"
#include "sendcheck.h"
#include "sms_resend.h"
#include "smstext.h"
#include "smtp.h"
#include "strbuf.h"
#include "validate.h"

#define BODY_MAX 4096

int sms_channel_init(struct sms_channel *s, const struct config *cfg, struct err *e)
{
	static int curl_ready;

	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(e, ERR_IO, "cannot initialise libcurl");
		curl_ready = 1;
	}
	if (cfg->sms_user && !cfg->sms_password_file)
		return err_set(e, ERR_INVALID, "%s: sms.user needs sms.password_file", cfg->path);
	if (cfg->sms_password_file)
		return secret_read(cfg->sms_password_file, &s->password, e);
	return 0;
}

void sms_channel_free(struct sms_channel *s)
{
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	s->password = NULL;
}

struct reply {
	struct strbuf body;
	char retry_after[128]; /* the Retry-After field's value, or "" */
	char date[128];        /* the Date field's value, or "" */
	int requests;          /* requests libcurl sent (sms_resend_watch) */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (r->body.len < BODY_MAX)
		sb_add(&r->body, p, len < BODY_MAX - r->body.len ? len : BODY_MAX - r->body.len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) /* a new reply: forget the last */
		r->retry_after[0] = r->date[0] = '\0';
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		snprintf(r->retry_after, sizeof r->retry_after, "%.*s", (int)(len - 12), p + 12);
	else if (len > 5 && strncasecmp(p, "Date:", 5) == 0)
		snprintf(r->date, sizeof r->date, "%.*s", (int)(len - 5), p + 5);
	return len;
}

/* Append name=value, URL-encoded, to a form. */
static void form_add(CURL *c, struct strbuf *f, const char *name, const char *value)
{
	char *v = curl_easy_escape(c, value, 0);

	if (f->len)
		sb_putc(f, '&');
	sb_printf(f, "%s=%s", name, v ? v : "");
	curl_free(v);
}

static void json_str(struct strbuf *j, const char *s)
{
	sb_putc(j, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(j, "\\%c", *p);
		else if (*p < 0x20)
			sb_printf(j, "\\u%04x", *p);
		else
			sb_putc(j, (char)*p);
	}
	sb_putc(j, '"');
}

static void json_add(struct strbuf *j, const char *name, const char *value)
{
	sb_puts(j, j->len ? "," : "{");
	json_str(j, name);
	sb_putc(j, ':');
	json_str(j, value);
}

/* "Idempotency-Key" (IETF httpapi draft; a structured-field string) with
 * the Message-ID, the same for every attempt at one message, so a gateway
 * that knows the field sends a resent request only once. 46elks and Kannel
 * have no such field; the generic gateway also gets the Message-ID in its
 * reference field. */
static struct curl_slist *idempotency_key(struct curl_slist *h, const char *message_id)
{
	struct strbuf v = STRBUF_INIT;
	struct curl_slist *n = NULL;

	sb_puts(&v, "Idempotency-Key: \"");
	for (const char *p = message_id; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_putc(&v, '\\');
		sb_putc(&v, *p);
	}
	sb_putc(&v, '"');
	if (!v.oom)
		n = curl_slist_append(h, sb_str(&v));
	sb_free(&v);
	return n ? n : h;
}

/* Set up the request for m; *url and *post are the caller's to free. */
static int build(const struct sms_channel *s, CURL *c, const struct outbox_msg *m,
		 struct strbuf *url, struct strbuf *post, struct curl_slist **hdrs)
{
	const struct config *cfg = s->cfg;
	struct sms_info si;

	if (sms_measure(m->body, &si) < 0)
		return ERR_PERMFAIL;
	if (cfg->sms_provider == SMS_KANNEL) {
		struct strbuf q = STRBUF_INIT;

		form_add(c, &q, "username", cfg->sms_user ? cfg->sms_user : "");
		form_add(c, &q, "password", s->password ? s->password : "");
		form_add(c, &q, "from", cfg->sms_sender);
		form_add(c, &q, "to", m->address);
		form_add(c, &q, "text", m->body);
		form_add(c, &q, "charset", "UTF-8");
		form_add(c, &q, "coding", si.ucs2 ? "2" : "0");
		sb_printf(url, "%s%c%s", cfg->sms_url, strchr(cfg->sms_url, '?') ? '&' : '?', sb_str(&q));
		sb_free(&q);
		return 0;
	}
	sb_puts(url, cfg->sms_url);
	if (cfg->sms_provider == SMS_46ELKS) {
		form_add(c, post, "from", cfg->sms_sender);
		form_add(c, post, "to", m->address);
		form_add(c, post, "message", m->body);
	} else if (cfg->sms_json) {
		json_add(post, cfg->sms_to_field, m->address);
		json_add(post, cfg->sms_from_field, cfg->sms_sender);
		json_add(post, cfg->sms_text_field, m->body);
		json_add(post, cfg->sms_ref_field, m->message_id);
		sb_putc(post, '}');
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	} else {
		form_add(c, post, cfg->sms_to_field, m->address);
		form_add(c, post, cfg->sms_from_field, cfg->sms_sender);
		form_add(c, post, cfg->sms_text_field, m->body);
		form_add(c, post, cfg->sms_ref_field, m->message_id);
	}
	if (cfg->sms_provider == SMS_GENERIC)
		*hdrs = idempotency_key(*hdrs, m->message_id);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, sb_str(post));
	return 0;
}

/* A provider id from a 46elks-style JSON reply ("id": "s..."), else the body. */
static void provider_id(const char *body, long status, char *out, size_t n)
{
	const char *id = strstr(body, "\"id\"");

	if (id && (id = strchr(id + 4, '"'))) {
		size_t len = strcspn(id + 1, "\"");

		snprintf(out, n, "%ld %.*s", status, (int)(len < 100 ? len : 100), id + 1);
		return;
	}
	snprintf(out, n, "%ld %.120s", status, body);
	for (char *p = out; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

static void classify(long status, const struct reply *r, struct send_result *res)
{
	const char *body = sb_str(&r->body);

	if (status >= 200 && status < 300) {
		res->code = 0;
		provider_id(body, status, res->detail, sizeof res->detail);
		return;
	}
	/* 429 and 503 come back; 403 and the other 4xx will not change. */
	res->code = status == 429 || status == 408 || status >= 500 ? ERR_TEMPFAIL : ERR_PERMFAIL;
	res->retry_after = status == 429 || status == 503
				   ? retry_after_seconds(r->retry_after, r->date, time(NULL)) : -1;
	snprintf(res->detail, sizeof res->detail, "HTTP %ld: %.160s", status, body);
	for (char *p = res->detail; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

/* More than one request for one message: libcurl sent it again after a
 * reused connection died, so the gateway may have it twice. Whatever the
 * last reply said, the message is in doubt, and the detail says why. */
static void note_resend(int requests, struct send_result *res)
{
	size_t n = strlen(res->detail);

	if (requests <= 1)
		return;
	res->in_doubt = 1;
	snprintf(res->detail + n, sizeof res->detail - n,
		 " (sent %d times: the reused connection was reset and libcurl sent the"
		 " request again; it may have arrived twice)", requests);
}

static void send_one(const struct sms_channel *s, CURL *c, const struct outbox_msg *m,
		     long timeout_ms, struct send_result *res)
{
	const struct config *cfg = s->cfg;
	struct strbuf url = STRBUF_INIT, post = STRBUF_INIT;
	struct curl_slist *hdrs = NULL;
	struct reply r = { STRBUF_INIT, "", "", 0 };
	struct err e = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;

	if (sendcheck_msg(m, &e) < 0) {
		res->code = e.code;
		snprintf(res->detail, sizeof res->detail, "%s", e.msg);
		return;
	}
	curl_easy_reset(c);
	if (build(s, c, m, &url, &post, &hdrs) < 0) {
		res->code = ERR_PERMFAIL;
		snprintf(res->detail, sizeof res->detail, "the text is not valid UTF-8");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, sb_str(&url));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cfg->sms_ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->sms_ca_file);
	if (cfg->sms_provider != SMS_KANNEL && cfg->sms_user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->sms_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "backad");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	sms_resend_watch(c, &r.requests);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		/* A request that may have reached the gateway is in doubt. */
		res->code = ERR_TEMPFAIL;
		res->in_doubt = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
				rc == CURLE_GOT_NOTHING;
		snprintf(res->detail, sizeof res->detail, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	classify(status, &r, res);
out:
	note_resend(r.requests, res);
	curl_slist_free_all(hdrs);
	sb_free(&url);
	sb_free(&post);
	sb_free(&r.body);
}

static long ms_left(const struct timespec *t0, long budget_ms)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return budget_ms - ((now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

static void sms_batch(void *ctx, const struct outbox_msg *msgs, int n, struct send_result *res,
		      channel_done_fn *done, void *arg)
{
	const struct sms_channel *s = ctx;
	long budget = (long)s->cfg->sms_timeout * 1000;
	struct timespec t0;
	CURL *c = curl_easy_init();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		long left = ms_left(&t0, budget);

		memset(&res[i], 0, sizeof res[i]);
		res[i].retry_after = -1;
		if (!c || left <= 0) {
			res[i].code = ERR_TEMPFAIL;
			snprintf(res[i].detail, sizeof res[i].detail, "%s",
				 c ? "the batch's time ran out before this message" : "libcurl failed");
			done(arg, i);
			continue;
		}
		send_one(s, c, &msgs[i], left, &res[i]);
		done(arg, i);
	}
	curl_easy_cleanup(c);
}

void sms_channel(struct sms_channel *s, struct channel *ch)
{
	ch->name = "sms-gateway";
	ch->send = sms_batch;
	ch->ctx = s;
}
