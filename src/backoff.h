/* backoff.h - the waits between tries to reach the case database again
 * after its connection was lost: 1 s, doubling, at most 60 s. */
#ifndef BACKAD_BACKOFF_H
#define BACKAD_BACKOFF_H

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000

struct backoff {
	long long next_ms; /* the wait before the next try; 0: reset */
};

/* Start again from the first wait (the connection is back). */
void backoff_reset(struct backoff *b);
/* The wait before the next try (ms), and the one after it doubled. */
long long backoff_next(struct backoff *b);

#endif
