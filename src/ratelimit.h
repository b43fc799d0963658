/* ratelimit.h - requests per client address: a token bucket per address
 * in a fixed table (the least recently seen address makes room). */
#ifndef BACKAD_RATELIMIT_H
#define BACKAD_RATELIMIT_H

#define RL_SLOTS 1024
#define RL_ADDR_LEN 64

struct rl_slot {
	char addr[RL_ADDR_LEN];
	double tokens, last; /* tokens left; when last seen (seconds) */
};

struct ratelimit {
	double per_minute;
	struct rl_slot slot[RL_SLOTS];
};

/* Allow per_minute requests a minute from one address, in bursts of as
 * many. */
void rl_init(struct ratelimit *rl, int per_minute);
/* 1 when a request from addr at now (seconds, monotonic) is allowed (and
 * counted), 0 when the address is over its rate. */
int rl_allow(struct ratelimit *rl, const char *addr, double now);

#endif
