/* backoff.c - exponential waits between reconnection tries (backoff.h). */
#include "backoff.h"

void backoff_reset(struct backoff *b)
{
	b->next_ms = 0;
}

long long backoff_next(struct backoff *b)
{
	long long wait = b->next_ms > 0 ? b->next_ms : BACKOFF_FIRST_MS;

	b->next_ms = wait >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : wait * 2;
	return wait;
}
