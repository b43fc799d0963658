/* smtp_stage.c - following the SMTP dialogue to name the stage of an error. */
#include "smtp_stage.h"

#include <stdio.h>
#include <string.h>

#include <libesmtp.h>

static void push(struct smtp_stage *t, const char *stage)
{
	if (t->npending == STAGE_PENDING) {
		memmove(t->pending[0], t->pending[1], sizeof t->pending[0] * (STAGE_PENDING - 1));
		t->npending--;
	}
	snprintf(t->pending[t->npending++], sizeof t->pending[0], "%s", stage);
}

/* The stage a reply answers; the oldest pending command goes. */
static void pop(struct smtp_stage *t, char *stage, size_t n)
{
	if (!t->npending) {
		snprintf(stage, n, "after QUIT");
		return;
	}
	snprintf(stage, n, "%s", t->pending[0]);
	memmove(t->pending[0], t->pending[1], sizeof t->pending[0] * (STAGE_PENDING - 1));
	t->npending--;
}

static void push_front(struct smtp_stage *t, const char *stage)
{
	if (t->npending == STAGE_PENDING)
		t->npending--;
	memmove(t->pending[1], t->pending[0], sizeof t->pending[0] * (size_t)t->npending);
	snprintf(t->pending[0], sizeof t->pending[0], "%s", stage);
	t->npending++;
}

void smtp_stage_init(struct smtp_stage *t)
{
	memset(t, 0, sizeof *t);
	push(t, "greeting");
}

/* One whole reply line (without CR LF). */
static void reply_line(struct smtp_stage *t, const char *line)
{
	char stage[16], text[200];
	int code;

	if (strlen(line) < 3 || sscanf(line, "%3d", &code) != 1 || line[3] == '-')
		return; /* not a reply, or not its last line */
	pop(t, stage, sizeof stage);
	if (code == 354 && strcmp(stage, "DATA") == 0)
		push_front(t, "end of data"); /* the next reply answers the final dot */
	if (code == 334)
		t->auth_answer = 1;
	if (code < 400 || t->failed[0] || strcmp(stage, "QUIT") == 0)
		return;
	snprintf(text, sizeof text, "%s", line);
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	snprintf(t->failed, sizeof t->failed, "%s %s", stage, text);
}

/* One written command line, of which only the verb was kept. */
static void command_line(struct smtp_stage *t, const char *start)
{
	if (t->auth_answer) {
		t->auth_answer = 0;
		push(t, "AUTH");
		return;
	}
	push(t, start[0] ? start : "?");
}

static void reading(struct smtp_stage *t, const char *buf, int n)
{
	for (int i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			t->in[t->inlen && t->in[t->inlen - 1] == '\r' ? t->inlen - 1 : t->inlen] = '\0';
			reply_line(t, t->in);
			t->inlen = 0;
		} else if (t->inlen < sizeof t->in - 1) {
			t->in[t->inlen++] = buf[i];
		}
	}
}

static void writing(struct smtp_stage *t, const char *buf, int n)
{
	for (int i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			t->out[t->outlen] = '\0';
			command_line(t, t->out);
			memset(t->out, 0, sizeof t->out);
			t->outlen = 0;
			t->out_skip = 0;
		} else if (!t->out_skip && buf[i] >= 'A' && buf[i] <= 'Z' &&
			   t->outlen < sizeof t->out - 1) {
			t->out[t->outlen++] = buf[i];
		} else {
			t->out_skip = 1; /* only the verb: arguments are never kept */
		}
	}
}

void smtp_stage_monitor(const char *buf, int buflen, int direction, void *arg)
{
	struct smtp_stage *t = arg;

	if (direction == SMTP_CB_READING)
		reading(t, buf, buflen);
	else if (direction == SMTP_CB_WRITING)
		writing(t, buf, buflen);
}

int smtp_stage_waiting(const struct smtp_stage *t, char *out, size_t n)
{
	if (!t->npending)
		return 0;
	snprintf(out, n, "no reply to %s%s", strcmp(t->pending[0], "greeting") == 0 ? "the " : "",
		 t->pending[0]);
	return 1;
}

int smtp_stage_describe(const struct smtp_stage *t, char *out, size_t n)
{
	if (!t->failed[0])
		return smtp_stage_waiting(t, out, n);
	snprintf(out, n, "%s", t->failed);
	return 1;
}

int smtp_stage_session_failed(const struct smtp_stage *t)
{
	static const char *const early[] = { "greeting ", "EHLO ", "HELO ", "STARTTLS ", "AUTH " };

	for (size_t i = 0; i < sizeof early / sizeof early[0]; i++)
		if (strncmp(t->failed, early[i], strlen(early[i])) == 0)
			return 1;
	return 0;
}
