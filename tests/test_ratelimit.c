/* test_ratelimit.c - requests per client address: a burst up to the rate,
 * then refusal; tokens come back with time; one address's flood does not
 * touch another's; a flood of addresses reuses the oldest slots. */
#include "testutil.h"

#include "ratelimit.h"

static void burst_then_refused_then_refilled(void **state)
{
	static struct ratelimit rl;
	int allowed = 0;

	(void)state;
	rl_init(&rl, 30);
	for (int i = 0; i < 100; i++)
		allowed += rl_allow(&rl, "192.0.2.1", 1000.0);
	assert_int_equal(allowed, 30);
	assert_true(rl_allow(&rl, "192.0.2.2", 1000.0)); /* another address */
	assert_false(rl_allow(&rl, "192.0.2.1", 1001.0)); /* half a token back */
	assert_true(rl_allow(&rl, "192.0.2.1", 1002.0)); /* one token per 2 s */
	assert_false(rl_allow(&rl, "192.0.2.1", 1002.0));
}

static void many_addresses_reuse_the_oldest_slot(void **state)
{
	static struct ratelimit rl;
	char addr[32];

	(void)state;
	rl_init(&rl, 2);
	assert_true(rl_allow(&rl, "198.51.100.1", 1.0));
	assert_true(rl_allow(&rl, "198.51.100.1", 1.0));
	assert_false(rl_allow(&rl, "198.51.100.1", 1.0));
	for (int i = 0; i < RL_SLOTS; i++) {
		snprintf(addr, sizeof addr, "10.0.%d.%d", i / 256, i % 256);
		assert_true(rl_allow(&rl, addr, 2.0 + i));
	}
	/* Its slot went to a newer address: it starts afresh. */
	assert_true(rl_allow(&rl, "198.51.100.1", 2.0 + RL_SLOTS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_refused_then_refilled),
		cmocka_unit_test(many_addresses_reuse_the_oldest_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
