/* web.c - backad-web's HTTP glue on libmicrohttpd: one internal thread,
 * a route per path prefix (/a/: acknowledgement links, /dlr/: SMS delivery
 * reports), limits (connections, time, header memory, body
 * size, requests a minute per client address), and the answers: a link's
 * page, the result of an action, and one plain refusal for every bad link
 * or form, so a refusal tells nothing about why. */
#include "web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "ack_page.h"
#include "ack_store.h"
#include "db.h"
#include "dlr.h"
#include "i18n.h"
#include "log.h"
#include "outbox.h"
#include "ratelimit.h"

struct web {
	struct MHD_Daemon *d;
	const struct config *cfg;
	struct dbi *db;
	struct dbi *ro;              /* read only: what a GET reads */
	const struct ack_keys *keys;
	time_t now_fixed;
	struct ratelimit rl;
	struct ratelimit rl_dlr;  /* delivery reports: a gateway's bucket */
	long dlr_refused;         /* delivery reports refused since the last log line */
	double dlr_logged;        /* when that line was written (monotonic), or 0 */
};

/* One request's state between the calls of the access handler. */
struct req {
	int counted;        /* the rate limit has seen it */
	size_t body_len;
	struct MHD_PostProcessor *pp;
	char csrf[ACK_CSRF_LEN + 8];
	char action[4];
	char status[16], ref[64]; /* a 46elks-style delivery report's status and id */
	int bad_field;      /* 1: a field unknown; 2: a field too long */
	char client[RL_ADDR_LEN];
};

static time_t web_now(const struct web *w)
{
	return w->now_fixed ? w->now_fixed : time(NULL);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *html)
{
	/* MHD_RESPMEM_MUST_COPY: the buffer is only read (the API is not const). */
	union { const char *c; void *v; } buf = { .c = html };
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(html), buf.v,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	/* The link is the credential: never sent on to another site. */
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, "Retry-After", "60");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "5"); /* a lock, most likely */
	if (status == MHD_HTTP_CONTENT_TOO_LARGE)
		MHD_add_response_header(r, "Connection", "close"); /* the rest is not read */
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_owned(struct MHD_Connection *c, unsigned int status, char *html)
{
	enum MHD_Result ret;

	if (!html)
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, ack_page_fault);
	ret = answer(c, status, html);
	free(html);
	return ret;
}

/* Keeps the value of the last X-Forwarded-For header in *cls. */
static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	if (value && strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/* The client's address: the peer, or, when the peer is the trusted proxy,
 * the last address of the last X-Forwarded-For header (the one the proxy
 * added: what comes before it is the client's to choose). */
static void client_addr(const struct web *w, struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff = NULL;
	char last[RL_ADDR_LEN];
	unsigned char bin[sizeof(struct in6_addr)];

	snprintf(out, n, "-");
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  out, (socklen_t)n);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
				  (socklen_t)n);
	}
	if (!w->cfg->web_trusted_proxy || strcmp(out, w->cfg->web_trusted_proxy) != 0)
		return;
	MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
	if (!xff)
		return;
	xff = strrchr(xff, ',') ? strrchr(xff, ',') + 1 : xff;
	xff += strspn(xff, " \t");
	snprintf(last, sizeof last, "%.*s", (int)strcspn(xff, " \t"), xff);
	if (inet_pton(AF_INET, last, bin) == 1 || inet_pton(AF_INET6, last, bin) == 1)
		snprintf(out, n, "%s", last);
}

static enum MHD_Result field(void *cls, enum MHD_ValueKind kind, const char *key,
			     const char *filename, const char *content_type,
			     const char *transfer_encoding, const char *data, uint64_t off,
			     size_t size)
{
	struct req *q = cls;
	char *dst = NULL;
	size_t cap = 0;

	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	if (strcmp(key, "csrf") == 0)
		dst = q->csrf, cap = sizeof q->csrf;
	else if (strcmp(key, "action") == 0)
		dst = q->action, cap = sizeof q->action;
	else if (strcmp(key, "status") == 0)
		dst = q->status, cap = sizeof q->status;
	else if (strcmp(key, "id") == 0)
		dst = q->ref, cap = sizeof q->ref;
	if (!dst || off + size >= cap) {
		q->bad_field |= dst ? 2 : 1; /* 2: a known field too long to keep */
		return MHD_YES;
	}
	memcpy(dst + off, data, size);
	dst[off + size] = '\0';
	return MHD_YES;
}

static void refused(const struct req *q, const char *method, const char *why)
{
	log_info("refused %s from %s: %s", method, q->client, why);
}

/* A refused delivery report: logged at most once a minute, with how many
 * were refused since, so a flood of them does not flood the journal. */
static void refused_dlr(struct web *w, const struct req *q, const char *why)
{
	double now = mono();

	w->dlr_refused++;
	if (w->dlr_logged && now - w->dlr_logged < 60)
		return;
	log_info(ngettext("refused %ld delivery report since the last such line, from %s: %s",
			  "refused %ld delivery reports since the last such line, the latest "
			  "from %s: %s", (unsigned long)w->dlr_refused),
		 w->dlr_refused, q->client, why);
	w->dlr_refused = 0;
	w->dlr_logged = now;
}

/* GET or POST /a/TOKEN. */
static enum MHD_Result ack(struct web *w, struct MHD_Connection *c, const char *method,
			   const char *token, struct req *q)
{
	struct ack_claim cl;
	struct ack_view v;
	struct err e = { 0 };
	char csrf[ACK_CSRF_LEN];
	int post = strcmp(method, "POST") == 0, r, recorded = 0;

	if (ack_token_check(w->keys, token, web_now(w), &cl) < 0) {
		refused(q, method, "a link that is not valid");
		return answer(c, MHD_HTTP_FORBIDDEN, ack_page_refused);
	}
	if (!post) {
		r = ack_store_view(w->ro, &cl, &v, &e);
		if (r == ERR_NOTFOUND || (r == 0 && ack_csrf_make(w->keys, token, csrf,
								   sizeof csrf) < 0)) {
			refused(q, method, e.msg);
			return answer(c, MHD_HTTP_FORBIDDEN, ack_page_refused);
		}
		if (r < 0) {
			log_err("link page: %s", e.msg);
			return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, ack_page_fault);
		}
		return answer_owned(c, MHD_HTTP_OK, ack_page_form(&cl, &v, csrf));
	}
	if (q->bad_field || ack_csrf_check(w->keys, token, q->csrf) < 0 || strlen(q->action) != 1 ||
	    !ack_claim_offers(&cl, q->action[0])) {
		refused(q, method, "a form without a valid CSRF value or action");
		return answer(c, MHD_HTTP_FORBIDDEN, ack_page_refused);
	}
	r = ack_store_record(w->db, &cl, q->action[0], q->client, web_now(w), &recorded, &e);
	if (r == 0)
		r = ack_store_view(w->db, &cl, &v, &e);
	if (r == ERR_NOTFOUND || r == ERR_INVALID) {
		refused(q, method, e.msg);
		return answer(c, MHD_HTTP_FORBIDDEN, ack_page_refused);
	}
	if (r < 0) {
		log_err("recording an acknowledgement: %s", e.msg);
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, ack_page_fault);
	}
	if (v.closed && !recorded) { /* closed before (a "done" closes it itself) */
		refused(q, method, "the task is closed");
		return answer_owned(c, MHD_HTTP_OK, ack_page_form(&cl, &v, ""));
	}
	if (recorded)
		log_info("recorded %s %s:%lld by staff %lld from %s", ack_action_name(q->action[0]),
			 cl.kind, cl.ref_id, cl.staff_id, q->client);
	return answer_owned(c, MHD_HTTP_OK, ack_page_done(&v, q->action[0], recorded));
}

static enum MHD_Result plain(struct MHD_Connection *c, unsigned int status, const char *text)
{
	union { const char *c; void *v; } buf = { .c = text };
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), buf.v,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, "Retry-After", status == MHD_HTTP_SERVICE_UNAVAILABLE
								  ? "5" : "60");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A delivery report: /dlr/ID/MAC, MAC authenticating the outbox row ID
 * (src/sms.c asks for reports there). Every authenticated report is
 * answered 200, so the gateway does not send it again; what it changed,
 * or why nothing, is logged. */
static enum MHD_Result dlr(struct web *w, struct MHD_Connection *c, const char *method,
			   const char *path, struct req *q)
{
	const char *type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
	static const char *const what_log[] = {
		[OUTBOX_DLR_RECORDED] = "recorded",
		[OUTBOX_DLR_UNKNOWN] = "for no SMS it knows: nothing changes",
		[OUTBOX_DLR_REPEATED] = "repeated: nothing changes",
		[OUTBOX_DLR_NOT_SENT] = "for an SMS not in state sent: nothing changes",
	};
	enum outbox_dlr what;
	enum dlr_says says;
	struct err e = { 0 };
	char *end;
	long long id = strtoll(path, &end, 10);

	(void)method;
	if (id <= 0 || *end != '/' || !w->keys || ack_dlr_check(w->keys, id, end + 1) < 0) {
		refused_dlr(w, q, "a delivery report with a wrong address");
		return answer(c, MHD_HTTP_FORBIDDEN, ack_page_refused);
	}
	says = dlr_parse(type, q->status[0] ? q->status : NULL);
	/* A 46elks report (no Kannel type) must carry the gateway's id, and
	 * no field may be cut: else the id check would not run. Fields it
	 * does not use (46elks' "delivered") are ignored. */
	if ((q->bad_field & 2) || (!type && !q->ref[0]))
		says = DLR_INVALID;
	if (says == DLR_INVALID) {
		log_warn("delivery report for message %lld from %s: not understood", id, q->client);
		return plain(c, MHD_HTTP_BAD_REQUEST, "not a delivery report\n");
	}
	if (says == DLR_INTERIM) {
		log_info("delivery report for message %lld: on its way; nothing to record", id);
		return plain(c, MHD_HTTP_OK, "OK\n");
	}
	if (outbox_delivery_report(w->db, id, q->ref[0] ? q->ref : NULL, says == DLR_DELIVERED,
				   web_now(w), w->cfg, &what, &e) < 0) {
		log_err("delivery report for message %lld: %s", id, e.msg);
		return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "try again\n");
	}
	log_info("delivery report for message %lld (%s) %s", id,
		 says == DLR_DELIVERED ? "delivered" : "undeliverable", what_log[what]);
	return plain(c, MHD_HTTP_OK, "OK\n");
}

/* The first call of a request: count it, check its method and size. 1 when
 * it goes on, 0 when answered (ret set). */
static int first_call(struct web *w, struct MHD_Connection *c, const char *url,
		      const char *method, struct req *q, enum MHD_Result *ret)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

	client_addr(w, c, q->client, sizeof q->client);
	q->counted = 1;
	/* A gateway's reports come in bursts from one address: a bucket of
	 * their own, web.reports_per_minute. */
	if (strncmp(url, "/dlr/", 5) == 0) {
		if (!rl_allow(&w->rl_dlr, q->client, mono())) {
			refused_dlr(w, q, "over the rate limit for delivery reports");
			*ret = plain(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests\n");
			return 0;
		}
	} else if (!rl_allow(&w->rl, q->client, mono())) {
		refused(q, method, "over the rate limit");
		*ret = answer(c, MHD_HTTP_TOO_MANY_REQUESTS, ack_page_limited);
		return 0;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0) {
		*ret = answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, ack_page_refused);
		return 0;
	}
	if (len && strtoull(len, NULL, 10) > WEB_BODY_MAX) {
		refused(q, method, "a body over the size limit");
		*ret = answer(c, MHD_HTTP_CONTENT_TOO_LARGE, ack_page_too_large);
		return 0;
	}
	if (strcmp(method, "POST") == 0)
		q->pp = MHD_create_post_processor(c, 1024, field, q);
	return 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct req *q = *con_cls;
	enum MHD_Result ret = MHD_NO;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof *q);
		if (!q)
			return MHD_NO;
		*con_cls = q;
		return first_call(w, c, url, method, q, &ret) ? MHD_YES : ret;
	}
	if (*upload_size) {
		q->body_len += *upload_size;
		if (q->body_len > WEB_BODY_MAX) {
			/* A body without Content-Length (chunked) past the
			 * limit: closed at once, so a slow one does not hold
			 * the connection. libmicrohttpd 0.9.75 queues no
			 * answer before the whole body is read; one with
			 * Content-Length got its 413 in first_call. */
			refused(q, method, "a chunked body over the size limit: closed");
			return MHD_NO;
		}
		if (q->pp)
			MHD_post_process(q->pp, upload, *upload_size);
		else
			q->bad_field = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->pp) {
		/* Ends the form: the last field is delivered now. */
		MHD_destroy_post_processor(q->pp);
		q->pp = NULL;
	}
	if (strncmp(url, "/a/", 3) == 0 && !strchr(url + 3, '/'))
		return ack(w, c, method, url + 3, q);
	if (strncmp(url, "/dlr/", 5) == 0 && strcmp(method, "HEAD") != 0)
		return dlr(w, c, method, url + 5, q);
	refused(q, method, "an unknown path");
	return answer(c, MHD_HTTP_NOT_FOUND, ack_page_refused);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (!q)
		return;
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	free(q);
	*con_cls = NULL;
}

int web_db_wait(struct dbi *db, struct err *e)
{
	char sql[64];

	if (dbi_backend(db) == DBI_SQLITE) {
		sqlite3_busy_timeout(dbi_sqlite(db), WEB_BUSY_TIMEOUT_MS);
		return 0;
	}
	snprintf(sql, sizeof sql, "SET lock_timeout = %d", WEB_BUSY_TIMEOUT_MS);
	return dbi_exec(db, sql, e);
}

/* The handle a GET reads through: SQLite opened read-only; on PostgreSQL a
 * second connection whose transactions are all read-only, so that no write
 * can come from a GET on either engine. */
static int open_ro(const struct config *cfg, struct dbi **ro, struct err *e)
{
	int r = db_open_cfg(cfg, DB_READONLY, ro, e);

	if (r == 0 && dbi_backend(*ro) == DBI_PG)
		r = dbi_exec(*ro, "SET default_transaction_read_only = on", e);
	if (r == 0)
		r = web_db_wait(*ro, e);
	if (r < 0) {
		db_close(*ro);
		*ro = NULL;
	}
	return r;
}

int web_start(int fd, const struct config *cfg, struct dbi *db, const struct ack_keys *keys,
	      time_t now_fixed, struct web **out, struct err *e)
{
	struct web *w = calloc(1, sizeof *w);
	int r;

	*out = NULL;
	if (!w)
		return err_set(e, ERR_NOMEM, "out of memory");
	w->cfg = cfg;
	w->db = db;
	w->keys = keys;
	w->now_fixed = now_fixed;
	/* A GET only reads: through a handle that cannot write. */
	r = open_ro(cfg, &w->ro, e);
	if (r < 0) {
		free(w);
		return r;
	}
	rl_init(&w->rl, cfg->web_rate);
	rl_init(&w->rl_dlr, cfg->web_reports_rate);
	/* One thread: the database connection is used by it alone. */
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
				NULL, handle, w,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				/* Slow clients holding connections (slowloris): a
				 * few per address, and 5 s without a byte ends one. */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)cfg->web_connections_per_address,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)5,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				MHD_OPTION_NOTIFY_COMPLETED, completed, w,
				MHD_OPTION_END);
	if (!w->d) {
		db_close(w->ro);
		free(w);
		return err_set(e, ERR_IO, "the HTTP service did not start on socket %d", fd);
	}
	*out = w;
	return 0;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->d);
	db_close(w->ro);
	free(w);
}
