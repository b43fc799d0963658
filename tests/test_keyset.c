/* test_keyset.c - the in-memory key set of a full planning pass: members
 * found, non-members not (also after growth past many chunks), keys that
 * differ only at the end or share a hash prefix kept apart, the empty key,
 * a key over the limit refused, clear forgetting everything, every member
 * visited once by keyset_each and its walk stopped by the callback; row ids
 * (plain numbers, kept as bits) apart from their look-alikes ("07", "-1",
 * "1e3", numbers too large for bits), counted, cleared and walked as text
 * that stays valid while the walk's caller keeps it. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "keyset.h"

static void members_are_found_after_growth_and_others_are_not(void **state)
{
	struct keyset *s = keyset_new();
	char k[64];

	(void)state;
	assert_non_null(s);
	assert_false(keyset_has(s, "placement:1"));
	/* 300,000 keys of about 40 bytes: many slot arrays and chunks. */
	for (int i = 0; i < 300000; i++) {
		snprintf(k, sizeof k, "handover_incoming/placement:%d/staff:%d", i, i % 977);
		assert_int_equal(keyset_add(s, k), 0);
	}
	assert_int_equal(keyset_count(s), 300000);
	for (int i = 0; i < 300000; i += 7) {
		snprintf(k, sizeof k, "handover_incoming/placement:%d/staff:%d", i, i % 977);
		assert_true(keyset_has(s, k));
		snprintf(k, sizeof k, "handover_incoming/placement:%d/staff:%d", i, i % 977 + 1);
		assert_false(keyset_has(s, k));
	}
	/* Adding a member again changes nothing. */
	assert_int_equal(keyset_add(s, "handover_incoming/placement:5/staff:5"), 0);
	assert_int_equal(keyset_count(s), 300000);
	keyset_free(s);
}

static void near_keys_empty_key_and_limit(void **state)
{
	struct keyset *s = keyset_new();
	char big[5000];

	(void)state;
	assert_int_equal(keyset_add(s, "referral:1"), 0);
	assert_false(keyset_has(s, "referral:10"));
	assert_false(keyset_has(s, "referral:"));
	assert_false(keyset_has(s, ""));
	assert_int_equal(keyset_add(s, ""), 0);
	assert_true(keyset_has(s, ""));
	assert_true(keyset_has(s, "referral:1"));
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(keyset_add(s, big), ERR_INVALID);
	assert_false(keyset_has(s, big));
	big[4094] = '\0'; /* 4,095 bytes with the NUL: kept */
	assert_int_equal(keyset_add(s, big), 0);
	assert_true(keyset_has(s, big));
	assert_int_equal(keyset_count(s), 3);
	keyset_clear(s);
	assert_int_equal(keyset_count(s), 0);
	assert_false(keyset_has(s, "referral:1"));
	assert_int_equal(keyset_add(s, "referral:2"), 0);
	assert_true(keyset_has(s, "referral:2"));
	assert_false(keyset_has(s, "referral:1"));
	keyset_free(s);
	assert_false(keyset_has(NULL, "x"));
	keyset_free(NULL);
}

struct visit {
	int n, sum, stop_at;
};

static int visit(void *ctx, const char *key)
{
	struct visit *v = ctx;
	int i;

	assert_int_equal(sscanf(key, "referral:%d", &i), 1);
	v->n++;
	v->sum += i;
	return v->n == v->stop_at ? -7 : 0;
}

static void each_visits_every_member_once_and_stops_when_told(void **state)
{
	struct keyset *s = keyset_new();
	struct visit v = { 0 };
	char k[32];

	(void)state;
	assert_int_equal(keyset_each(s, visit, &v), 0);
	assert_int_equal(v.n, 0);
	for (int i = 1; i <= 5000; i++) {
		snprintf(k, sizeof k, "referral:%d", i);
		assert_int_equal(keyset_add(s, k), 0);
		assert_int_equal(keyset_add(s, k), 0);
	}
	assert_int_equal(keyset_each(s, visit, &v), 0);
	assert_int_equal(v.n, 5000);
	assert_int_equal(v.sum, 5000 * 5001 / 2);
	v = (struct visit){ .stop_at = 10 };
	assert_int_equal(keyset_each(s, visit, &v), -7);
	assert_int_equal(v.n, 10);
	keyset_clear(s);
	v = (struct visit){ 0 };
	assert_int_equal(keyset_each(s, visit, &v), 0);
	assert_int_equal(v.n, 0);
	keyset_free(s);
	assert_int_equal(keyset_each(NULL, visit, &v), 0);
}

/* What the walk saw: every string kept, as plan_sets.c keeps them. */
struct seen_text {
	const char *keys[64];
	int n;
};

static int keep(void *ctx, const char *key)
{
	struct seen_text *t = ctx;

	if (t->n == 64)
		return -1;
	t->keys[t->n++] = key;
	return 0;
}

static int listed(const struct seen_text *t, const char *key)
{
	int hits = 0;

	for (int i = 0; i < t->n; i++)
		hits += strcmp(t->keys[i], key) == 0;
	return hits;
}

static void row_ids_are_bits_apart_from_look_alikes(void **state)
{
	static const char *const ids[] = { "0", "7", "12345", "640000", "67108863" };
	static const char *const others[] = { "07", "-1", "1e3", "67108864", "99999999999", "7 " };
	struct keyset *s = keyset_new();
	struct seen_text t = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		assert_false(keyset_has(s, ids[i]));
		assert_int_equal(keyset_add(s, ids[i]), 0);
		assert_int_equal(keyset_add(s, ids[i]), 0);
	}
	assert_int_equal(keyset_count(s), 5);
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		assert_true(keyset_has(s, ids[i]));
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_false(keyset_has(s, others[i]));
	assert_false(keyset_has(s, "8"));
	assert_false(keyset_has(s, "6"));
	/* Look-alikes are strings of their own, "07" not 7. */
	assert_int_equal(keyset_add(s, "07"), 0);
	assert_int_equal(keyset_add(s, "99999999999"), 0);
	assert_int_equal(keyset_count(s), 7);
	assert_true(keyset_has(s, "07"));
	assert_true(keyset_has(s, "99999999999"));
	assert_int_equal(keyset_each(s, keep, &t), 0);
	assert_int_equal(t.n, 7);
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		assert_int_equal(listed(&t, ids[i]), 1);
	assert_int_equal(listed(&t, "07"), 1);
	assert_int_equal(listed(&t, "99999999999"), 1);
	keyset_clear(s);
	assert_int_equal(keyset_count(s), 0);
	assert_false(keyset_has(s, "7"));
	assert_false(keyset_has(s, "07"));
	keyset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(members_are_found_after_growth_and_others_are_not),
		cmocka_unit_test(near_keys_empty_key_and_limit),
		cmocka_unit_test(each_visits_every_member_once_and_stops_when_told),
		cmocka_unit_test(row_ids_are_bits_apart_from_look_alikes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
