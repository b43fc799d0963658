/* test_idmap.c - the map from row ids to index ranges: ids 0, negative and
 * large found after many additions (the table grows and moves), absent ids
 * not found, an emptied map usable again. */
#include "testutil.h"

#include "idmap.h"

static void ids_found_after_growth_and_others_not(void **state)
{
	struct idmap m = { 0 };
	int first, n;

	(void)state;
	assert_false(idmap_get(&m, 0, &first, &n));
	for (long long id = -5000; id < 45000; id += 5)
		assert_int_equal(idmap_put(&m, id * 1000003LL, (int)(id + 5000), (int)(id & 7)), 0);
	for (long long id = -5000; id < 45000; id += 5) {
		assert_true(idmap_get(&m, id * 1000003LL, &first, &n));
		assert_int_equal(first, (int)(id + 5000));
		assert_int_equal(n, (int)(id & 7));
		assert_false(idmap_get(&m, id * 1000003LL + 1, &first, &n));
	}
	assert_true(idmap_get(&m, 0, &first, &n)); /* id 0 is an id like any other */
	assert_int_equal(first, 5000);
	idmap_free(&m);
	assert_false(idmap_get(&m, 0, &first, &n));
	assert_int_equal(idmap_put(&m, 0, 1, 2), 0);
	assert_true(idmap_get(&m, 0, &first, &n));
	assert_int_equal(first * 10 + n, 12);
	idmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_found_after_growth_and_others_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
