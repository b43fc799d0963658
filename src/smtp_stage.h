/* smtp_stage.h - which step of the SMTP dialogue a reply answers, seen
 * through libESMTP's protocol monitor, so that an error names its stage,
 * code and text ("greeting 421 4.3.2 ...", "STARTTLS 454 4.7.0 ..."), or
 * the command left without a reply. Only command verbs are kept, never
 * their arguments (AUTH carries the password). */
#ifndef BACKAD_SMTP_STAGE_H
#define BACKAD_SMTP_STAGE_H

#include <stddef.h>

#define STAGE_PENDING 16

struct smtp_stage {
	char pending[STAGE_PENDING][12]; /* commands sent, not yet answered */
	int npending;
	int auth_answer;  /* after a 334 the next line written answers AUTH */
	char in[512];     /* a reply line being read */
	size_t inlen;
	char out[16];     /* the verb of a command line being written */
	size_t outlen;
	int out_skip;     /* the rest of that line is not looked at */
	char failed[240]; /* the first 4xx or 5xx reply: "STAGE CODE text" */
};

/* Start a session: the first reply answers the greeting. */
void smtp_stage_init(struct smtp_stage *t);

/* libESMTP's monitor callback (smtp_set_monitorcb, headers 0); arg is a
 * struct smtp_stage. Lines may come in any pieces. */
void smtp_stage_monitor(const char *buf, int buflen, int writing, void *arg);

/* Write into out what went wrong in the dialogue: the first 4xx/5xx reply
 * with its stage, else "no reply to STAGE" for the oldest unanswered
 * command. 0 when neither is known. */
int smtp_stage_describe(const struct smtp_stage *t, char *out, size_t n);

/* "no reply to STAGE" for the oldest unanswered command; 0 when none. */
int smtp_stage_waiting(const struct smtp_stage *t, char *out, size_t n);

/* 1 when the first failure came before any message (greeting, EHLO, HELO,
 * STARTTLS, AUTH): it then explains every message of the session. */
int smtp_stage_session_failed(const struct smtp_stage *t);

#endif
