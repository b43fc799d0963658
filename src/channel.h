/* channel.h - what a delivery channel does: send a batch of claimed outbox
 * messages (one SMTP session, one keep-alive HTTP connection) and say for
 * each whether it was accepted, may succeed later, or never will. */
#ifndef BACKAD_CHANNEL_H
#define BACKAD_CHANNEL_H

#include <stddef.h>

#include "err.h"
#include "outbox.h"

struct send_result {
	int code;         /* 0 accepted, ERR_TEMPFAIL or ERR_PERMFAIL */
	int in_doubt;     /* it may have arrived: no reply after the data */
	long retry_after; /* the server asked to wait this many seconds; -1: none */
	char detail[256]; /* the provider's id when accepted, else the error */
};

/* Called as soon as res[i] is final, so it can be recorded at once: a crash
 * later in the batch then resends only what was really in flight. */
typedef void channel_done_fn(void *arg, int i);

struct channel {
	const char *name;
	/* Fill res[i] for each of the n messages and call done(arg, i) for each
	 * once; every message gets a result. */
	void (*send)(void *ctx, const struct outbox_msg *msgs, int n, struct send_result *res,
		     channel_done_fn *done, void *arg);
	void *ctx;
};

#endif
