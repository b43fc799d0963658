/* test_table.c - aligned tables: widths in UTF-8 characters, right-aligned
 * numbers, missing cells and the empty table. */
#include "testutil.h"

#include "table.h"

/* Print a table into a malloc'd string. */
static char *render(int ncols, const char *const *head, const char *const *cells, int nrows,
		    const int *right)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_print(f, ncols, head, cells, nrows, right);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void widths(void **state)
{
	(void)state;
	assert_int_equal(table_width(""), 0);
	assert_int_equal(table_width("REF"), 3);
	assert_int_equal(table_width("FÖDD"), 4);
	assert_int_equal(table_width("åäöÅÄÖ"), 6);
	assert_int_equal(table_width("€"), 1);  /* three bytes */
	assert_int_equal(table_width("😀"), 1); /* four bytes */
}

static void swedish_letters_align(void **state)
{
	static const char *const head[] = { "REF", "ENHET", "TYP" };
	static const char *const cells[] = {
		"B-1", "Östra förskolan", "preschool",
		"B-22", "Ale skola", "school",
	};
	char *out = render(3, head, cells, 2, NULL);

	(void)state;
	assert_string_equal(out,
			    "REF   ENHET            TYP\n"
			    "B-1   Östra förskolan  preschool\n"
			    "B-22  Ale skola        school\n");
	free(out);
}

static void numbers_right_aligned(void **state)
{
	static const char *const head[] = { "ID", "STATUS", "FÖRSÖK" };
	static const char *const cells[] = {
		"7", "sent", "1",
		"1234", "dead", "12",
	};
	static const int right[] = { 1, 0, 1 };
	char *out = render(3, head, cells, 2, right);

	(void)state;
	assert_string_equal(out,
			    "  ID  STATUS  FÖRSÖK\n"
			    "   7  sent         1\n"
			    "1234  dead        12\n");
	free(out);
}

static void missing_cells_print_dash(void **state)
{
	static const char *const head[] = { "A", "BÄR" };
	static const char *const cells[] = {
		NULL, "x",
		"long value", NULL,
	};
	char *out = render(2, head, cells, 2, NULL);

	(void)state;
	assert_string_equal(out,
			    "A           BÄR\n"
			    "-           x\n"
			    "long value  -\n");
	free(out);
}

static void empty_table(void **state)
{
	static const char *const head[] = { "ID", "REGEL" };
	char *out = render(2, head, NULL, 0, NULL);

	(void)state;
	assert_string_equal(out, "ID  REGEL\n(inga rader)\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widths),
		cmocka_unit_test(swedish_letters_align),
		cmocka_unit_test(numbers_right_aligned),
		cmocka_unit_test(missing_cells_print_dash),
		cmocka_unit_test(empty_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
