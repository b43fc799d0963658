/* ratelimit.c - a token bucket per client address for backad-web: a fixed
 * table, so a flood of addresses costs no memory; an address not seen for
 * the longest time gives its slot to a new one. libmicrohttpd limits
 * connections, not requests, hence this. */
#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

void rl_init(struct ratelimit *rl, int per_minute)
{
	memset(rl, 0, sizeof *rl);
	rl->per_minute = per_minute;
}

static struct rl_slot *find(struct ratelimit *rl, const char *addr, double now)
{
	struct rl_slot *oldest = &rl->slot[0];

	for (int i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &rl->slot[i];

		if (s->addr[0] && strcmp(s->addr, addr) == 0)
			return s;
		if (!s->addr[0] || s->last < oldest->last)
			oldest = s;
		if (!s->addr[0])
			break;
	}
	snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
	oldest->tokens = rl->per_minute;
	oldest->last = now;
	return oldest;
}

int rl_allow(struct ratelimit *rl, const char *addr, double now)
{
	struct rl_slot *s = find(rl, addr, now);

	if (now > s->last) {
		s->tokens += (now - s->last) * rl->per_minute / 60.0;
		if (s->tokens > rl->per_minute)
			s->tokens = rl->per_minute;
	}
	s->last = now;
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}
