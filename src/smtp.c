/* smtp.c - SMTP delivery through libESMTP in a child process with a deadline. */
#include "smtp.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "mime.h"
#include "sendcheck.h"
#include "smtp_stage.h"
#include "secret.h"
#include "strbuf.h"

/* ---- secrets ---- */

int secret_read(const char *path, char **out, struct err *e)
{
	struct stat st;
	char buf[512];
	FILE *f;
	int fd = secret_credential(path, out, e);

	if (fd != 0)
		return fd < 0 ? fd : 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the password file: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
		close(fd);
		return err_set(e, ERR_INVALID,
			       "%s: the password file is readable by group or others; "
			       "fix with: chmod 600 %s", path, path);
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	}
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		return err_set(e, ERR_INVALID, "%s: the password file is empty", path);
	*out = strdup(buf);
	memset(buf, 0, sizeof buf);
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

int smtp_channel_init(struct smtp_channel *s, const struct config *cfg, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	if (cfg->smtp_user && !cfg->smtp_password_file)
		return err_set(e, ERR_INVALID, "%s: smtp.user needs smtp.password_file", cfg->path);
	if (cfg->smtp_password_file)
		return secret_read(cfg->smtp_password_file, &s->password, e);
	return 0;
}

void smtp_channel_free(struct smtp_channel *s)
{
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	s->password = NULL;
}

/* ---- the child: one libESMTP session ---- */

struct item {
	int index, fd;
	int ack;            /* the parent writes a byte here when it has recorded */
	int reported;       /* its result line was written */
	const char *to;     /* the envelope recipient */
	const char *text;   /* the whole message, CRLF */
	int given;          /* the message callback handed out the text */
	int started;        /* reported 'D' */
};

struct session_state {
	const struct smtp_channel *ch;
	char tls_error[160];
	struct smtp_stage stage; /* names the stage of an error */
};

static void child_report(int fd, smtp_message_t m, struct item *it,
			 const struct session_state *ss, int session_ok);

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	/* One write per line: the parent reads whole lines even if we die. */
	if (write(fd, line, (size_t)n) < 0)
		_exit(3);
}

static const char *message_cb(void **ctx, int *len, void *arg)
{
	struct item *it = arg;

	if (!len) {
		*ctx = NULL; /* rewind */
		it->given = 0;
		return NULL;
	}
	if (!it->started) {
		it->started = 1;
		report(it->fd, "D %d\n", it->index);
	}
	if (it->given) {
		*len = 0;
		return NULL;
	}
	it->given = 1;
	*len = (int)strlen(it->text);
	return it->text;
}

static void event_cb(smtp_session_t session, int event_no, void *arg, ...)
{
	struct session_state *ss = arg;
	va_list ap;
	int *ok;

	(void)session;
	va_start(ap, arg);
	switch (event_no) {
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
		(void)va_arg(ap, long);
		ok = va_arg(ap, int *);
		*ok = 0;
		snprintf(ss->tls_error, sizeof ss->tls_error,
			 "STARTTLS: the server's certificate is not trusted");
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 0;
		snprintf(ss->tls_error, sizeof ss->tls_error, "STARTTLS: %s",
			 event_no == SMTP_EV_NO_PEER_CERTIFICATE
				 ? "the server sent no certificate"
				 : "the server's certificate is for another name");
		break;
	case SMTP_EV_MESSAGESENT: {
		/* The final dot was answered: report it now, not at the end of the
		 * session, so a crash resends only what is really in flight. */
		smtp_message_t m = va_arg(ap, smtp_message_t);
		struct item *it = smtp_message_get_application_data(m);

		if (it && !it->reported) {
			char c;

			child_report(it->fd, m, it, ss, 1);
			/* Wait until the daemon has recorded it before the next
			 * message's data goes out; no answer means it is gone. */
			if (read(it->ack, &c, 1) != 1)
				_exit(1);
		}
		break;
	}
	case SMTP_EV_EXTNA_STARTTLS:
		snprintf(ss->tls_error, sizeof ss->tls_error,
			 "the server does not offer STARTTLS, which is required");
		break;
	default:
		break;
	}
	va_end(ap);
}

static int interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	const struct smtp_channel *ch = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = ch->cfg->smtp_user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = ch->password;
		else
			return 0;
	}
	return 1;
}

static SSL_CTX *tls_context(const struct config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	/* TLS 1.3 stalls in libESMTP 1.1.0; 1.2 does not. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (cfg->smtp_ca_file ? !SSL_CTX_load_verify_locations(ctx, cfg->smtp_ca_file, NULL)
			      : !SSL_CTX_set_default_verify_paths(ctx)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The status of one message after the session: the final-dot reply, else
 * the envelope's failure, else nothing (0). */
static const smtp_status_t *worst_envelope(smtp_message_t m)
{
	const smtp_status_t *st = smtp_reverse_path_status(m);

	if (st && st->code >= 400)
		return st;
	return NULL;
}

static void rcpt_status(smtp_recipient_t r, const char *mailbox, void *arg)
{
	const smtp_status_t **worst = arg;
	const smtp_status_t *st = smtp_recipient_status(r);

	(void)mailbox;
	if (st && st->code >= 400 && !*worst)
		*worst = st;
}

/* A reply as "STAGE CODE text" (the code alone for an accepted one). */
static void report_status(int fd, const struct item *it, const char *stage,
			  const smtp_status_t *st)
{
	char text[200];
	size_t n;

	snprintf(text, sizeof text, "%s", st->text ? st->text : "");
	for (char *p = text; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	for (n = strlen(text); n && text[n - 1] == ' '; n--)
		text[n - 1] = '\0'; /* libESMTP keeps the CR LF */
	report(fd, "R %d %d %s%s%d %s\n", it->index, st->code, stage ? stage : "",
	       stage ? " " : "", st->code, text);
}

/* Why the session gave no reply for a message: a refused greeting, EHLO,
 * STARTTLS or AUTH with its code and text, a certificate problem,
 * libESMTP's error, or the command left unanswered. (A failure of an
 * earlier message's MAIL or RCPT does not explain this one.) */
static void session_why(const struct session_state *ss, int session_ok, char *why, size_t n)
{
	char stage[200];
	int known = smtp_stage_waiting(&ss->stage, stage, sizeof stage);

	if (smtp_stage_session_failed(&ss->stage))
		snprintf(why, n, "%s", ss->stage.failed);
	else if (ss->tls_error[0])
		snprintf(why, n, "%s", ss->tls_error);
	else if (!session_ok && smtp_errno() != 0) {
		char e[120];

		smtp_strerror(smtp_errno(), e, sizeof e);
		snprintf(why, n, "%s%s%s", e, known ? ": " : "", known ? stage : "");
	} else
		snprintf(why, n, "%s", known ? stage : "no reply");
	for (char *p = why; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void child_report(int fd, smtp_message_t m, struct item *it,
			 const struct session_state *ss, int session_ok)
{
	const smtp_status_t *st = smtp_message_transfer_status(m), *env = worst_envelope(m);
	char why[240];

	if (it->reported)
		return;
	it->reported = 1;
	if (!env)
		smtp_enumerate_recipients(m, rcpt_status, &env);
	/* A refused greeting, EHLO, STARTTLS or AUTH explains every message,
	 * whatever libESMTP left in their statuses. */
	if (smtp_stage_session_failed(&ss->stage)) {
		session_why(ss, session_ok, why, sizeof why);
		report(fd, "R %d 0 %s\n", it->index, why);
		return;
	}
	/* A rejected sender or recipient decides, not the DATA reply that
	 * follows it in a pipeline ("503 need RCPT"). */
	/* 2xx, 4xx and 5xx are final replies; a 354 means DATA began and the
	 * reply to the final dot never came. */
	if (st && st->code >= 200 && !(st->code >= 300 && st->code < 400) &&
	    (st->code < 300 || !env)) {
		report_status(fd, it, st->code < 300 ? NULL : it->started ? "end of data" : "DATA",
			      st);
		return;
	}
	if (env) {
		report_status(fd, it, env == smtp_reverse_path_status(m) ? "MAIL" : "RCPT", env);
		return;
	}
	session_why(ss, session_ok, why, sizeof why);
	/* Data handed over but no reply to the final dot: in doubt. */
	report(fd, "R %d %d %s%s\n", it->index, it->started ? -1 : 0,
	       it->started ? "no reply after the data: " : "", why);
}

static void run_session(struct smtp_channel *ch, struct item *items, int n, int fd)
{
	const struct config *cfg = ch->cfg;
	struct session_state ss = { .ch = ch };
	smtp_message_t *msgs = calloc((size_t)n, sizeof *msgs);
	auth_context_t auth = NULL;
	smtp_session_t s;
	char hostport[300];
	SSL_CTX *ctx;
	long ms = (long)cfg->smtp_timeout * 1000;
	int ok;

	s = smtp_create_session();
	if (!s || !msgs)
		_exit(2);
	snprintf(hostport, sizeof hostport, "%s:%d", cfg->smtp_host, cfg->smtp_port);
	smtp_set_server(s, hostport);
	smtp_set_hostname(s, cfg->smtp_helo);
	smtp_set_eventcb(s, event_cb, &ss);
	smtp_stage_init(&ss.stage);
	smtp_set_monitorcb(s, smtp_stage_monitor, &ss.stage, 0);
	for (int w = Timeout_GREETING; w <= Timeout_DATA2; w++)
		smtp_set_timeout(s, w | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
	if (cfg->smtp_starttls) {
		/* A context of our own per session (libESMTP 1.1.0 frees a shared
		 * one); libESMTP keeps its own reference. */
		ctx = tls_context(cfg);
		if (!ctx) {
			for (int i = 0; i < n; i++)
				report(fd, "R %d 0 cannot set up TLS (smtp.ca_file?)\n", items[i].index);
			_exit(0);
		}
		smtp_starttls_set_ctx(s, ctx);
		SSL_CTX_free(ctx);
		smtp_starttls_enable(s, cfg->smtp_starttls == 2 ? Starttls_REQUIRED : Starttls_ENABLED);
	} else {
		smtp_starttls_enable(s, Starttls_DISABLED);
	}
	if (cfg->smtp_user) {
		auth_client_init();
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact, ch);
		smtp_auth_set_context(s, auth);
	}
	for (int i = 0; i < n; i++) {
		msgs[i] = smtp_add_message(s);
		smtp_set_reverse_path(msgs[i], cfg->mail_from);
		smtp_add_recipient(msgs[i], items[i].to);
		smtp_set_messagecb(msgs[i], message_cb, &items[i]);
		smtp_message_set_application_data_release(msgs[i], &items[i], NULL);
	}
	ok = smtp_start_session(s);
	for (int i = 0; i < n; i++)
		child_report(fd, msgs[i], &items[i], &ss, ok);
	smtp_destroy_session(s);
	if (auth)
		auth_destroy_context(auth);
	free(msgs);
	_exit(0);
}

/* ---- the parent: fork, collect results, enforce the deadline ---- */

static void set_result(struct send_result *r, int code, int in_doubt, const char *detail)
{
	r->retry_after = -1;
	r->code = code;
	r->in_doubt = in_doubt;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* Where results go as they arrive: res[map[i]], then done(arg, map[i]), then
 * a byte on ack so the child goes on. */
struct sink {
	struct send_result *res;
	const int *map;
	channel_done_fn *done;
	void *arg;
	int ack;
};

/* Apply one line "D i" or "R i code text" from the child. */
static void apply_line(char *line, int n, const struct sink *sk, int *started, int *done)
{
	struct send_result *res = sk->res;
	char text[300];
	int i, code, off = 0;

	if (sscanf(line, "D %d", &i) == 1 && i >= 0 && i < n) {
		started[i] = 1;
		return;
	}
	if (sscanf(line, "R %d %d %n", &i, &code, &off) < 2 || i < 0 || i >= n || !off || done[i])
		return;
	done[i] = 1;
	/* The child's text keeps the server's code and names the stage of a
	 * failure: "250 2.0.0 Ok: queued as X", "RCPT 550 5.1.1 ...". */
	snprintf(text, sizeof text, "%s", line + off);
	i = sk->map[i];
	if (code >= 200 && code < 300)
		set_result(&res[i], 0, 0, text);
	else if (code >= 500)
		set_result(&res[i], ERR_PERMFAIL, 0, text);
	else
		set_result(&res[i], ERR_TEMPFAIL, code == -1, text);
	sk->done(sk->arg, i);
	if (write(sk->ack, "k", 1) < 0) {
		/* The child has gone; what it did not report is settled below. */
	}
}

static void collect(int fd, pid_t pid, int n, int deadline_s, const struct sink *sk,
		    int *started, int *done)
{
	struct send_result *res = sk->res;
	struct strbuf buf = STRBUF_INIT;
	struct timespec t0, now;
	char chunk[4096];
	int killed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t got;
		char *nl;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)deadline_s * 1000 - ((now.tv_sec - t0.tv_sec) * 1000 +
						  (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		got = read(fd, chunk, sizeof chunk);
		if (got <= 0)
			break;
		sb_add(&buf, chunk, (size_t)got);
		while (buf.s && (nl = strchr(buf.s, '\n'))) {
			*nl = '\0';
			apply_line(buf.s, n, sk, started, done);
			memmove(buf.s, nl + 1, buf.len - (size_t)(nl + 1 - buf.s) + 1);
			buf.len -= (size_t)(nl + 1 - buf.s);
		}
	}
	sb_free(&buf);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < n; i++) {
		int j = sk->map[i];

		if (done[i])
			continue;
		if (started[i])
			set_result(&res[j], ERR_TEMPFAIL, 1,
				   killed ? "session deadline passed after the data was sent: in doubt"
					  : "the session ended after the data was sent: in doubt");
		else
			set_result(&res[j], ERR_TEMPFAIL, 0,
				   killed ? "session deadline passed before the message was sent"
					  : "the session ended before the message was sent");
		sk->done(sk->arg, j);
	}
}

static void smtp_batch(void *ctx, const struct outbox_msg *msgs, int n, struct send_result *res,
		       channel_done_fn *done_fn, void *arg)
{
	struct smtp_channel *ch = ctx;
	struct item *items = calloc((size_t)n, sizeof *items);
	char **texts = calloc((size_t)n, sizeof *texts);
	int *started = calloc((size_t)n, sizeof *started), *done = calloc((size_t)n, sizeof *done);
	int p[2] = { -1, -1 }, a[2] = { -1, -1 }, k = 0;
	int *map = calloc((size_t)n, sizeof *map);
	pid_t pid;

	for (int i = 0; i < n; i++)
		set_result(&res[i], ERR_TEMPFAIL, 0, "not attempted");
	if (!items || !texts || !started || !done || !map)
		goto out;
	/* Build every message first: one that cannot be built never will be. */
	for (int i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		struct err e = { 0 };

		if (sendcheck_smtp(ch->cfg, &e) < 0 || sendcheck_msg(&msgs[i], &e) < 0 ||
		    mime_build(ch->cfg->mail_from, ch->cfg->reply_to, msgs[i].address,
			       msgs[i].subject ? msgs[i].subject : "",
			       msgs[i].body, msgs[i].message_id, time(NULL), &sb, &e) < 0) {
			set_result(&res[i], e.code == ERR_NOMEM || e.code == ERR_TEMPFAIL
						    ? ERR_TEMPFAIL : ERR_PERMFAIL, 0, e.msg);
			sb_free(&sb);
			done_fn(arg, i);
			continue;
		}
		texts[k] = sb_take(&sb);
		map[k] = i;
		items[k].index = k;
		items[k].text = texts[k];
		items[k].to = msgs[i].address;
		k++;
	}
	if (k == 0 || pipe2(p, O_CLOEXEC) < 0 || pipe2(a, O_CLOEXEC) < 0)
		goto out;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		/* Die with the daemon: a session must not go on unrecorded. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(p[0]);
		close(a[1]);
		signal(SIGPIPE, SIG_IGN);
		for (int i = 0; i < k; i++) {
			items[i].fd = p[1];
			items[i].ack = a[0];
		}
		run_session(ch, items, k, p[1]);
	}
	close(p[1]);
	p[1] = -1;
	close(a[0]);
	a[0] = -1;
	{
		struct sink sk = { res, map, done_fn, arg, a[1] };

		collect(p[0], pid, k, ch->cfg->smtp_timeout, &sk, started, done);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		if (a[i] >= 0)
			close(a[i]);
	}
	for (int i = 0; texts && i < k; i++)
		free(texts[i]);
	free(texts);
	free(items);
	free(started);
	free(done);
	free(map);
}

void smtp_channel(struct smtp_channel *s, struct channel *ch)
{
	ch->name = "smtp";
	ch->send = smtp_batch;
	ch->ctx = s;
}
