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

#include "deliver.h"
#include "mime.h"
#include "sendcheck.h"
#include "smtp_stage.h"
#include "secret.h"
#include "strbuf.h"

/* A message in a session: not yet asked for (WAIT); its start requested
 * ahead, with its predecessor's result, before the child asks (PRE); the
 * child asked and its start is not yet recorded (ASKED); recorded and
 * answered, so its data may go (GO); its result is in (DONE). */
/* A message in its session: waiting; its start being recorded before the
 * child asks (PRE); the child asked to send its data (ASKED); told to go
 * before it asked (PREGO: its data has not begun until it asks); its data
 * may be under way (GO); its result in (DONE). */
enum { ST_WAIT, ST_PRE, ST_ASKED, ST_PREGO, ST_GO, ST_DONE };

/* The answer to 'D i': i + 1 to go on, 0 to stop. Answers for a message
 * are written as soon as its start is recorded, often before the child
 * asks, so it rarely waits; it skips answers of messages that never got to
 * their data (their envelope was refused). */
static int answer(int fd, int go_index)
{
	int v = go_index;

	return write(fd, &v, sizeof v) == (ssize_t)sizeof v ? 0 : -1;
}

struct session {
	pid_t pid;               /* 0: the slot is free */
	int rfd, afd;            /* results from the child, answers to it */
	struct batch *b;
	int k;                   /* messages handed to the child */
	int *map;                /* child index -> batch index */
	unsigned char *st;       /* per child index: ST_* */
	long long deadline, cap; /* mono ms: no progress by then / at the latest */
	struct strbuf buf;
	int progress;            /* some message got its result */
};

int smtp_channel_init(struct smtp_channel *s, const struct config *cfg, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->nsessions = cfg->smtp_sessions > 0 ? cfg->smtp_sessions : 1;
	s->sessions = calloc((size_t)s->nsessions, sizeof *s->sessions);
	if (!s->sessions)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (cfg->smtp_user && !cfg->smtp_password_file)
		return err_set(e, ERR_INVALID, "%s: smtp.user needs smtp.password_file", cfg->path);
	if (cfg->smtp_password_file)
		return secret_read(cfg->smtp_password_file, &s->password, e);
	return 0;
}

void smtp_channel_free(struct smtp_channel *s)
{
	free(s->sessions);
	s->sessions = NULL;
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	s->password = NULL;
}

/* ---- the child: one libESMTP session ---- */

struct item {
	int index, fd;
	int ack;            /* the parent answers each 'D' here: 'g' go on, else stop */
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
		/* The daemon records that this message's data begins (a crash from
		 * now on leaves it in doubt) before the data may go out. */
		report(it->fd, "D %d\n", it->index);
		for (;;) {
			int v;

			if (read(it->ack, &v, sizeof v) != (ssize_t)sizeof v || v == 0)
				_exit(0); /* stopping: the server discards a DATA without its dot */
			if (v == it->index + 1)
				break;
		}
		it->started = 1;
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

		/* The next message's data waits for the daemon's answer to its
		 * 'D', which it gives after recording this result. */
		if (it && !it->reported)
			child_report(it->fd, m, it, ss, 1);
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
	 * follows it in a pipeline ("503 need RCPT"), nor a 250 to the final
	 * dot from a server that took the data without a recipient: the one
	 * recipient was refused, so nobody got the message. */
	/* 2xx, 4xx and 5xx are final replies; a 354 means DATA began and the
	 * reply to the final dot never came. */
	if (st && st->code >= 200 && !(st->code >= 300 && st->code < 400) && !env) {
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


/* ---- the parent: sessions as children, driven by the daemon's loop ---- */

static void set_result(struct send_result *r, int code, int in_doubt, const char *detail)
{
	r->retry_after = -1;
	r->code = code;
	r->in_doubt = in_doubt;
	r->untried = 0;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
}

static void set_untried(struct send_result *r, const char *detail)
{
	set_result(r, ERR_TEMPFAIL, 0, detail);
	r->untried = 1;
}

static struct session *session_of(struct smtp_channel *ch, const struct batch *b)
{
	for (int i = 0; i < ch->nsessions; i++)
		if (ch->sessions[i].pid && ch->sessions[i].b == b)
			return &ch->sessions[i];
	return NULL;
}

/* Apply one line "D i" or "R i code text" from the child. */
static void apply_line(struct transport *t, struct session *s, char *line)
{
	struct smtp_channel *ch = t->ctx;
	struct send_result *res;
	char text[300];
	int i, code, off = 0;

	if (sscanf(line, "D %d", &i) == 1 && i >= 0 && i < s->k) {
		int was = s->st[i];

		if (was == ST_PREGO) {
			s->st[i] = ST_GO; /* the answer waited in the pipe: data begins */
			return;
		}
		if (was != ST_WAIT && was != ST_PRE)
			return; /* answered already */
		s->st[i] = ST_ASKED;
		/* Past its cap a session sends no further message: it ends at this
		 * boundary rather than be killed in the middle of one. */
		if (ch->draining || mono_ms() >= s->cap) {
			if (answer(s->afd, 0) < 0) {
				/* The child is gone; settled when the session ends. */
			}
			return;
		}
		if (was == ST_WAIT)
			t->ev->started(t, s->b, s->map[i]);
		return;
	}
	if (sscanf(line, "R %d %d %n", &i, &code, &off) < 2 || i < 0 || i >= s->k || !off ||
	    s->st[i] == ST_DONE)
		return;
	s->st[i] = ST_DONE;
	s->progress = 1;
	/* A session that makes progress gets more time; past its cap it starts
	 * no further message (above), so it ends at a message boundary. */
	s->deadline = mono_ms() + (long long)ch->cfg->smtp_timeout * 1000;
	/* The child's text keeps the server's code and names the stage of a
	 * failure: "250 2.0.0 Ok: queued as X", "RCPT 550 5.1.1 ...". */
	snprintf(text, sizeof text, "%s", line + off);
	res = &s->b->res[s->map[i]];
	if (code >= 200 && code < 300)
		set_result(res, 0, 0, text);
	else if (code >= 500)
		set_result(res, ERR_PERMFAIL, 0, text);
	else
		set_result(res, ERR_TEMPFAIL, code == -1, text);
	t->ev->done(t, s->b, s->map[i]);
	/* The next message's start goes into the same commit as this result,
	 * while the child speaks the next envelope: its data need not wait for
	 * a commit of its own. (Should the session end before that data, its
	 * result clears the mark; a crash in between leaves it in doubt.) */
	for (int j = i + 1; j < s->k && !ch->draining && mono_ms() < s->cap; j++) {
		if (s->st[j] != ST_WAIT)
			continue;
		s->st[j] = ST_PRE;
		t->ev->started(t, s->b, s->map[j]);
		break;
	}
}

/* Read what the child wrote; 1 at end of file. */
static int read_lines(struct transport *t, struct session *s)
{
	char chunk[4096], *nl;

	for (;;) {
		ssize_t got = read(s->rfd, chunk, sizeof chunk);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
		if (got == 0)
			return 1;
		sb_add(&s->buf, chunk, (size_t)got);
		while (s->buf.s && (nl = strchr(s->buf.s, '\n'))) {
			*nl = '\0';
			apply_line(t, s, s->buf.s);
			memmove(s->buf.s, nl + 1, s->buf.len - (size_t)(nl + 1 - s->buf.s) + 1);
			s->buf.len -= (size_t)(nl + 1 - s->buf.s);
		}
	}
}

enum end_why { END_EXITED, END_DEADLINE, END_STOP };

/* The result of a message its session left without one. */
static void settle(struct send_result *res, int st, enum end_why why, int draining,
		   int progress)
{
	int dl = why == END_DEADLINE;

	if (st == ST_GO)
		set_result(res, ERR_TEMPFAIL, 1,
			   dl ? "session deadline passed after the data was sent: in doubt"
			   : why == END_STOP ? "backad stopped after the data was sent: in doubt"
					     : "the session ended after the data was sent: in doubt");
	else if (why == END_STOP || draining)
		set_untried(res, "backad stopped before the message was sent");
	else if (progress) /* others went: this one was only out of time */
		set_untried(res, dl ? "session deadline passed before the message's turn"
				    : "the session ended before the message's turn");
	else
		set_result(res, ERR_TEMPFAIL, 0,
			   dl ? "session deadline passed before the message was sent"
			      : "the session ended before the message was sent");
}

/* The session is over: reap the child, apply what it still wrote, settle
 * every message without a result, and free the slot. */
static void end_session(struct transport *t, struct session *s, enum end_why why)
{
	struct smtp_channel *ch = t->ctx;
	struct batch *b = s->b;

	if (why != END_EXITED)
		kill(s->pid, SIGKILL);
	/* Reaped later if it is still on its way out: the loop never waits. */
	if (waitpid(s->pid, NULL, WNOHANG) == 0 && ch->nzombies < SMTP_ZOMBIES)
		ch->zombies[ch->nzombies++] = s->pid;
	read_lines(t, s); /* what the child wrote before it ended (whole lines) */
	for (int i = 0; i < s->k; i++) {
		struct send_result *res = &b->res[s->map[i]];

		if (s->st[i] == ST_DONE)
			continue;
		settle(res, s->st[i], why, ch->draining, s->progress);
		s->st[i] = ST_DONE;
		t->ev->done(t, b, s->map[i]);
	}
	close(s->rfd);
	close(s->afd);
	sb_free(&s->buf);
	free(s->map);
	free(s->st);
	memset(s, 0, sizeof *s);
	s->rfd = s->afd = -1;
	ch->active--;
	b->priv = NULL;
	t->ev->finished(t, b);
}

static int smtp_free_slots(struct transport *t)
{
	struct smtp_channel *ch = t->ctx;

	return ch->draining ? 0 : ch->nsessions - ch->active;
}

static int smtp_busy(struct transport *t)
{
	struct smtp_channel *ch = t->ctx;

	return ch->active;
}

/* Fail every message of b that has no result yet, and give b back. */
static void fail_rest(struct transport *t, struct batch *b, const unsigned char *have,
		      const char *why)
{
	for (int i = 0; i < b->n; i++) {
		if (have && have[i])
			continue;
		set_result(&b->res[i], ERR_TEMPFAIL, 0, why);
		t->ev->done(t, b, i);
	}
	t->ev->finished(t, b);
}

static void smtp_start(struct transport *t, struct batch *b)
{
	struct smtp_channel *ch = t->ctx;
	struct session *s = NULL;
	struct item *items = calloc((size_t)b->n, sizeof *items);
	char **texts = calloc((size_t)b->n, sizeof *texts);
	unsigned char *have = calloc((size_t)b->n, 1);
	int *map = calloc((size_t)b->n, sizeof *map);
	unsigned char *st = calloc((size_t)b->n, 1);
	int p[2] = { -1, -1 }, a[2] = { -1, -1 }, k = 0;
	char why[200];
	pid_t pid;

	for (int i = 0; i < ch->nsessions && !s; i++)
		if (!ch->sessions[i].pid)
			s = &ch->sessions[i];
	if (!s || !items || !texts || !have || !map || !st) {
		fail_rest(t, b, NULL, !s ? "no free SMTP session" : "out of memory");
		goto out;
	}
	/* Build every message first: one that cannot be built never will be. */
	for (int i = 0; i < b->n; i++) {
		const struct outbox_msg *m = &b->msgs[i];
		struct strbuf sb = STRBUF_INIT;
		struct err e = { 0 };

		if (sendcheck_smtp(ch->cfg, &e) < 0 || sendcheck_msg(m, &e) < 0 ||
		    mime_build(ch->cfg->mail_from, ch->cfg->reply_to, m->address,
			       m->subject ? m->subject : "", m->body, m->message_id, time(NULL),
			       &sb, &e) < 0) {
			set_result(&b->res[i], e.code == ERR_NOMEM || e.code == ERR_TEMPFAIL
						       ? ERR_TEMPFAIL : ERR_PERMFAIL, 0, e.msg);
			sb_free(&sb);
			have[i] = 1;
			t->ev->done(t, b, i);
			continue;
		}
		texts[k] = sb_take(&sb);
		map[k] = i;
		items[k].index = k;
		items[k].text = texts[k];
		items[k].to = m->address;
		k++;
	}
	if (k == 0) {
		t->ev->finished(t, b);
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(a, O_CLOEXEC) < 0) {
		snprintf(why, sizeof why, "cannot start an SMTP session: %s", strerror(errno));
		fail_rest(t, b, have, why);
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof why, "cannot start an SMTP session: %s", strerror(errno));
		fail_rest(t, b, have, why);
		goto out;
	}
	if (pid == 0) {
		int lo = p[1] < a[0] ? p[1] : a[0], hi = p[1] < a[0] ? a[0] : p[1];

		/* Die with the daemon: a session must not go on unrecorded. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		/* Keep only the two pipe ends: not the database, not the lock,
		 * not the other sessions' pipes. */
		if (lo > 3)
			close_range(3, (unsigned)lo - 1, 0);
		if (hi > lo + 1)
			close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
		close_range((unsigned)hi + 1, ~0U, 0);
		signal(SIGPIPE, SIG_IGN);
		for (int i = 0; i < k; i++) {
			items[i].fd = p[1];
			items[i].ack = a[0];
		}
		run_session(ch, items, k, p[1]);
	}
	close(p[1]);
	close(a[0]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(s, 0, sizeof *s);
	s->pid = pid;
	s->rfd = p[0];
	s->afd = a[1];
	s->b = b;
	s->k = k;
	s->map = map;
	s->st = st;
	map = NULL;
	st = NULL;
	s->deadline = mono_ms() + (long long)ch->cfg->smtp_timeout * 1000;
	s->cap = mono_ms() + (long long)SMTP_SESSION_CAP * ch->cfg->smtp_timeout * 1000;
	b->priv = s;
	ch->active++;
out:
	for (int i = 0; texts && i < k; i++)
		free(texts[i]);
	free(texts);
	free(items);
	free(have);
	free(map);
	free(st);
}

static int smtp_fds(struct transport *t, struct pollfd *p, int max, long long *deadline)
{
	struct smtp_channel *ch = t->ctx;
	int n = 0;

	if (ch->nzombies && mono_ms() + 100 < *deadline)
		*deadline = mono_ms() + 100;
	for (int i = 0; i < ch->nsessions; i++) {
		struct session *s = &ch->sessions[i];

		if (!s->pid)
			continue;
		if (s->deadline < *deadline)
			*deadline = s->deadline;
		if (n < max)
			p[n++] = (struct pollfd){ .fd = s->rfd, .events = POLLIN };
	}
	return n;
}

static void smtp_run(struct transport *t, struct pollfd *p, int n)
{
	struct smtp_channel *ch = t->ctx;
	long long now;

	for (int j = 0; j < n; j++) {
		if (!(p[j].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		for (int i = 0; i < ch->nsessions; i++) {
			struct session *s = &ch->sessions[i];

			if (s->pid && s->rfd == p[j].fd && read_lines(t, s))
				end_session(t, s, END_EXITED);
		}
	}
	now = mono_ms();
	for (int i = 0; i < ch->nsessions; i++) {
		struct session *s = &ch->sessions[i];

		if (s->pid && now >= s->deadline)
			end_session(t, s, END_DEADLINE);
	}
	for (int i = 0; i < ch->nzombies; i++)
		if (waitpid(ch->zombies[i], NULL, WNOHANG) != 0)
			ch->zombies[i--] = ch->zombies[--ch->nzombies];
}

static void smtp_go(struct transport *t, struct batch *b, int i)
{
	struct smtp_channel *ch = t->ctx;
	struct session *s = session_of(ch, b);

	if (!s)
		return;
	for (int j = 0; j < s->k; j++) {
		if (s->map[j] != i)
			continue;
		if (s->st[j] != ST_PRE && s->st[j] != ST_ASKED)
			return;
		if (ch->draining) {
			/* Stopping: a child that asked is told to stop; one that has
			 * not will be told when it asks. */
			if (s->st[j] == ST_ASKED && answer(s->afd, 0) < 0) {
				/* gone: settled when the session ends */
			}
			return;
		}
		if (answer(s->afd, j + 1) == 0)
			s->st[j] = s->st[j] == ST_ASKED ? ST_GO : ST_PREGO;
		return;
	}
}

static void smtp_drain(struct transport *t)
{
	struct smtp_channel *ch = t->ctx;

	ch->draining = 1;
}

static void smtp_stop(struct transport *t)
{
	struct smtp_channel *ch = t->ctx;

	ch->draining = 1;
	for (int i = 0; i < ch->nsessions; i++)
		if (ch->sessions[i].pid)
			end_session(t, &ch->sessions[i], END_STOP);
}

static void smtp_tfree(struct transport *t)
{
	smtp_stop(t);
}

void smtp_transport(struct smtp_channel *s, struct transport *t)
{
	memset(t, 0, sizeof *t);
	t->name = "smtp";
	t->ctx = s;
	t->batch_max = DELIVER_BATCH;
	/* A claim lasts at most as long as the session's cap, the last message
	 * it began then, and a margin. */
	t->lease_seconds = (SMTP_SESSION_CAP + 1) * s->cfg->smtp_timeout + 60;
	t->free_slots = smtp_free_slots;
	t->busy = smtp_busy;
	t->start = smtp_start;
	t->fds = smtp_fds;
	t->run = smtp_run;
	t->go = smtp_go;
	t->drain = smtp_drain;
	t->stop = smtp_stop;
	t->free = smtp_tfree;
}
