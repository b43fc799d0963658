/* sms.c - SMS through an HTTP gateway with libcurl. */
#include "sms.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ack_token.h"
#include "deliver.h"
#include "retry_after.h"
#include "secret.h"
#include "sendcheck.h"
#include "sms_resend.h"
#include "smstext.h"
#include "strbuf.h"
#include "validate.h"

#define BODY_MAX 4096

/* Delivery reports are asked for where the gateway offers them (Kannel,
 * 46elks) when backad-web receives them (web.public_url): the report goes
 * to public_url/dlr/ID/MAC, MAC authenticating the outbox row id. */
static int dlr_init(struct sms_channel *s, struct err *e)
{
	const struct config *cfg = s->cfg;
	int r;

	if (!cfg->web_public_url ||
	    (cfg->sms_provider != SMS_KANNEL && cfg->sms_provider != SMS_46ELKS))
		return 0;
	s->dlr = malloc(sizeof *s->dlr);
	if (!s->dlr)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = ack_keys_load(cfg->web_key_file, s->dlr, e);
	if (r < 0) {
		free(s->dlr);
		s->dlr = NULL;
	}
	return r;
}

/* The delivery-report address of m into url, or "" when none is asked. */
static void dlr_url(const struct sms_channel *s, const struct outbox_msg *m, char *url, size_t n)
{
	char mac[ACK_CSRF_LEN];

	url[0] = '\0';
	if (s->dlr && m->id > 0 && ack_dlr_make(s->dlr, m->id, mac, sizeof mac) == 0)
		snprintf(url, n, "%s/dlr/%lld/%s", s->cfg->web_public_url, m->id, mac);
}

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
	if (cfg->sms_password_file) {
		int r = secret_read(cfg->sms_password_file, &s->password, e);

		if (r < 0)
			return r;
	}
	return dlr_init(s, e);
}

void sms_channel_free(struct sms_channel *s)
{
	if (s->dlr) {
		ack_keys_clear(s->dlr);
		free(s->dlr);
		s->dlr = NULL;
	}
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
	char dlr[512];

	if (sms_measure(m->body, &si) < 0)
		return ERR_PERMFAIL;
	dlr_url(s, m, dlr, sizeof dlr);
	if (cfg->sms_provider == SMS_KANNEL) {
		struct strbuf q = STRBUF_INIT;

		form_add(c, &q, "username", cfg->sms_user ? cfg->sms_user : "");
		form_add(c, &q, "password", s->password ? s->password : "");
		form_add(c, &q, "from", cfg->sms_sender);
		form_add(c, &q, "to", m->address);
		form_add(c, &q, "text", m->body);
		form_add(c, &q, "charset", "UTF-8");
		form_add(c, &q, "coding", si.ucs2 ? "2" : "0");
		if (dlr[0]) {
			/* Delivered (1), not delivered (2) to the handset; rejected
			 * by the SMS centre (16). Kannel puts the type in %d. */
			size_t len = strlen(dlr);

			snprintf(dlr + len, sizeof dlr - len, "?type=%%d");
			form_add(c, &q, "dlr-mask", "19");
			form_add(c, &q, "dlr-url", dlr);
		}
		sb_printf(url, "%s%c%s", cfg->sms_url, strchr(cfg->sms_url, '?') ? '&' : '?', sb_str(&q));
		sb_free(&q);
		return 0;
	}
	sb_puts(url, cfg->sms_url);
	if (cfg->sms_provider == SMS_46ELKS) {
		form_add(c, post, "from", cfg->sms_sender);
		form_add(c, post, "to", m->address);
		form_add(c, post, "message", m->body);
		if (dlr[0])
			form_add(c, post, "whendelivered", dlr);
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

/* One request, from set-up to result. */
struct xfer {
	CURL *c;                 /* kept per slot: the multi handle keeps connections alive */
	struct batch *b;         /* NULL: the slot is free */
	int added;               /* handed to libcurl: the request may have left */
	struct strbuf url, post;
	struct curl_slist *hdrs;
	struct reply r;
	char errbuf[CURL_ERROR_SIZE];
};

/* Set up the request for m on x->c; 0, or -1 with res filled (the message
 * cannot be sent). */
static int send_one(const struct sms_channel *s, struct xfer *x, const struct outbox_msg *m,
		    long timeout_ms, struct send_result *res)
{
	const struct config *cfg = s->cfg;
	CURL *c = x->c;
	struct err e = { 0 };

	if (sendcheck_msg(m, &e) < 0) {
		res->code = e.code;
		snprintf(res->detail, sizeof res->detail, "%s", e.msg);
		return -1;
	}
	curl_easy_reset(c);
	if (build(s, c, m, &x->url, &x->post, &x->hdrs) < 0) {
		res->code = ERR_PERMFAIL;
		snprintf(res->detail, sizeof res->detail, "the text is not valid UTF-8");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, sb_str(&x->url));
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
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "backad");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x->r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	x->r.requests = 0;
	sms_resend_watch(c, &x->r.requests);
	return 0;
}

/* The result of a finished request. */
static void finish_one(struct xfer *x, CURLcode rc, struct send_result *res)
{
	long status = 0;

	if (rc != CURLE_OK) {
		/* A request that may have reached the gateway is in doubt. */
		res->code = ERR_TEMPFAIL;
		res->in_doubt = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
				rc == CURLE_GOT_NOTHING;
		snprintf(res->detail, sizeof res->detail, "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		note_resend(x->r.requests, res);
		return;
	}
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
	classify(status, &x->r, res);
	note_resend(x->r.requests, res);
}

/* ---- the transport: libcurl's multi interface, driven by the loop ---- */

struct sock {
	curl_socket_t fd;
	short events;
};

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct sms_channel *s = userp;
	int i;

	(void)easy, (void)sockp;
	for (i = 0; i < s->nsocks && s->socks[i].fd != fd; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < s->nsocks)
			s->socks[i] = s->socks[--s->nsocks];
		return 0;
	}
	if (i == s->nsocks) {
		if (s->nsocks == s->capsocks) {
			int cap = s->capsocks ? s->capsocks * 2 : 8;
			struct sock *n = realloc(s->socks, (size_t)cap * sizeof *n);

			if (!n)
				return -1;
			s->socks = n;
			s->capsocks = cap;
		}
		s->nsocks++;
	}
	s->socks[i].fd = fd;
	s->socks[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
				     ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct sms_channel *s = userp;

	(void)multi;
	s->timer_at = timeout_ms < 0 ? 0 : mono_ms() + timeout_ms;
	return 0;
}

static void xfer_clear(struct xfer *x)
{
	curl_slist_free_all(x->hdrs);
	sb_free(&x->url);
	sb_free(&x->post);
	sb_free(&x->r.body);
	x->hdrs = NULL;
	x->r.retry_after[0] = x->r.date[0] = '\0';
	x->r.requests = 0;
	x->errbuf[0] = '\0';
	x->added = 0;
	x->b = NULL;
}

/* x's message has its result: report it and free the slot. */
static void xfer_end(struct transport *t, struct xfer *x)
{
	struct sms_channel *s = t->ctx;
	struct batch *b = x->b;

	if (x->added)
		curl_multi_remove_handle(s->multi, x->c);
	xfer_clear(x);
	s->active--;
	b->priv = NULL;
	t->ev->done(t, b, 0);
	t->ev->finished(t, b);
}

static int sms_free_slots(struct transport *t)
{
	struct sms_channel *s = t->ctx;

	return s->draining ? 0 : s->nxfers - s->active;
}

static int sms_busy(struct transport *t)
{
	struct sms_channel *s = t->ctx;

	return s->active;
}

static void sms_start(struct transport *t, struct batch *b)
{
	struct sms_channel *s = t->ctx;
	struct send_result *res = &b->res[0];
	struct xfer *x = NULL;

	memset(res, 0, sizeof *res);
	res->retry_after = -1;
	for (int i = 0; i < s->nxfers && !x; i++)
		if (!s->xfers[i].b)
			x = &s->xfers[i];
	if (x && !x->c)
		x->c = curl_easy_init();
	if (!x || !x->c) {
		res->code = ERR_TEMPFAIL;
		snprintf(res->detail, sizeof res->detail, "%s", x ? "libcurl failed" : "no free slot");
		t->ev->done(t, b, 0);
		t->ev->finished(t, b);
		return;
	}
	x->b = b;
	b->priv = x;
	s->active++;
	if (send_one(s, x, &b->msgs[0], (long)s->cfg->sms_timeout * 1000, res) < 0) {
		xfer_end(t, x);
		return;
	}
	/* The request goes out once its start is recorded (go). */
	t->ev->started(t, b, 0);
}

static void sms_go(struct transport *t, struct batch *b, int i)
{
	struct sms_channel *s = t->ctx;
	struct xfer *x = b->priv;

	(void)i;
	if (!x || x->added)
		return;
	if (s->draining) {
		b->res[0].untried = 1;
		b->res[0].code = ERR_TEMPFAIL;
		snprintf(b->res[0].detail, sizeof b->res[0].detail,
			 "backad stopped before the request was sent");
		xfer_end(t, x);
		return;
	}
	if (curl_multi_add_handle(s->multi, x->c) != CURLM_OK) {
		b->res[0].code = ERR_TEMPFAIL;
		snprintf(b->res[0].detail, sizeof b->res[0].detail, "libcurl failed");
		xfer_end(t, x);
		return;
	}
	x->added = 1;
}

static int sms_fds(struct transport *t, struct pollfd *p, int max, long long *deadline)
{
	struct sms_channel *s = t->ctx;
	int n = 0;

	for (int i = 0; i < s->nsocks && n < max; i++)
		p[n++] = (struct pollfd){ .fd = s->socks[i].fd, .events = s->socks[i].events };
	if (s->timer_at && s->timer_at < *deadline)
		*deadline = s->timer_at;
	return n;
}

static void sms_run(struct transport *t, struct pollfd *p, int n)
{
	struct sms_channel *s = t->ctx;
	CURLMsg *msg;
	int running, left;

	for (int j = 0; j < n; j++) {
		int flags = 0;

		if (!p[j].revents)
			continue;
		if (p[j].revents & POLLIN)
			flags |= CURL_CSELECT_IN;
		if (p[j].revents & POLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (p[j].revents & (POLLERR | POLLHUP))
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(s->multi, p[j].fd, flags, &running);
	}
	if (s->timer_at && mono_ms() >= s->timer_at) {
		s->timer_at = 0;
		curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((msg = curl_multi_info_read(s->multi, &left))) {
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (!x || !x->b)
			continue;
		finish_one(x, msg->data.result, &x->b->res[0]);
		xfer_end(t, x);
	}
}

static void sms_drain(struct transport *t)
{
	struct sms_channel *s = t->ctx;

	s->draining = 1;
}

static void sms_stop(struct transport *t)
{
	struct sms_channel *s = t->ctx;

	s->draining = 1;
	for (int i = 0; i < s->nxfers; i++) {
		struct xfer *x = &s->xfers[i];
		struct send_result *res;

		if (!x->b)
			continue;
		res = &x->b->res[0];
		res->code = ERR_TEMPFAIL;
		res->in_doubt = x->added;
		res->untried = !x->added;
		snprintf(res->detail, sizeof res->detail, "%s",
			 x->added ? "backad stopped while the request was in flight: in doubt"
				  : "backad stopped before the request was sent");
		xfer_end(t, x);
	}
}

static void sms_tfree(struct transport *t)
{
	struct sms_channel *s = t->ctx;

	sms_stop(t);
	for (int i = 0; i < s->nxfers; i++)
		if (s->xfers[i].c)
			curl_easy_cleanup(s->xfers[i].c);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->xfers);
	free(s->socks);
	s->xfers = NULL;
	s->socks = NULL;
	s->multi = NULL;
	s->nxfers = s->nsocks = s->capsocks = 0;
}

int sms_transport(struct sms_channel *s, struct transport *t, struct err *e)
{
	memset(t, 0, sizeof *t);
	s->nxfers = s->cfg->sms_connections > 0 ? s->cfg->sms_connections : 1;
	s->xfers = calloc((size_t)s->nxfers, sizeof *s->xfers);
	s->multi = curl_multi_init();
	if (!s->xfers || !s->multi) {
		free(s->xfers);
		s->xfers = NULL;
		if (s->multi)
			curl_multi_cleanup(s->multi);
		s->multi = NULL;
		return err_set(e, ERR_NOMEM, "cannot set up libcurl");
	}
	for (int i = 0; i < s->nxfers; i++)
		s->xfers[i].r.retry_after[0] = s->xfers[i].r.date[0] = '\0';
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->nxfers);
	t->name = "sms-gateway";
	t->ctx = s;
	t->batch_max = 1;
	t->lease_seconds = s->cfg->sms_timeout + 60;
	t->free_slots = sms_free_slots;
	t->busy = sms_busy;
	t->start = sms_start;
	t->fds = sms_fds;
	t->run = sms_run;
	t->go = sms_go;
	t->drain = sms_drain;
	t->stop = sms_stop;
	t->free = sms_tfree;
	return 0;
}
