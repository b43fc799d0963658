/* channel.h - what a delivery channel does: send one claimed outbox message
 * and say whether it was accepted (0, with the provider's id), may succeed
 * later (ERR_TEMPFAIL) or never will (ERR_PERMFAIL). */
#ifndef BACKAD_CHANNEL_H
#define BACKAD_CHANNEL_H

#include <stddef.h>

#include "err.h"
#include "outbox.h"

struct channel {
	const char *name;
	int (*send)(void *ctx, const struct outbox_msg *m, char *provider_id, size_t n,
		    struct err *e);
	void *ctx;
};

#endif
