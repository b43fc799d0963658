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
	assert_string_equal(out, "ID  REGEL\n(no rows)\n");
	free(out);
}

/* Each line of out is at most TABLE_COLUMNS characters. */
static void assert_fits(const char *out)
{
	char *copy = strdup(out), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		assert_true(table_width(l) <= TABLE_COLUMNS);
	free(copy);
}

static void wide_rows_overflowed_the_terminal(void **state)
{
	static const char *const head[] = { "ID", "REGEL", "TILL", "FEL" };
	static const char *const cells[] = {
		"123456", "handover_outgoing", "anna.bergstrom@ystad.example.se",
		"550 5.1.1 mottagaren finns inte på den här servern, försök inte igen med samma adress",
		"7", "referral_receipt", "+46701234501", "",
	};
	static const int right[] = { 1, 0, 0, 0 };
	char *out = render(4, head, cells, 2, right);

	(void)state;
	assert_fits(out);
	/* Numbers, rule and address are whole; the last column (the error) is
	 * cut to what is left, with an ellipsis, on a character boundary. */
	assert_non_null(strstr(out, "123456  handover_outgoing  anna.bergstrom@ystad.example.se  "
				    "550 5.1.1 mottagare…\n"));
	assert_non_null(strstr(out, "\n     7  referral_receipt"));
	free(out);
}

static void references_and_times_stay_whole(void **state)
{
	static const char *const head[] = { "REF", "NÄR", "ENHET", "TILL", "FEL" };
	static const char *const cells[] = {
		"B-2014-0008", "2026-07-31 08:00", "Västervångs skola, årskurs 4-6",
		"maja.akesson@ystad.example.se", "421 försök igen senare",
	};
	char *out = render(5, head, cells, 1, NULL);

	(void)state;
	assert_fits(out);
	/* The error goes down to its minimum first, then the longest contents. */
	assert_non_null(strstr(out, "B-2014-0008  2026-07-31 08:00  "));
	assert_non_null(strstr(out, "421 för…\n"));
	free(out);
}

static void audit_child_references_were_cut_alike(void **state)
{
	static const char *const head[] = { "NÄR", "MOTTAGARE", "KANAL", "REGEL", "UPPGIFTER",
					    "MEDD", "BARN" };
	static const char *const cells[] = {
		"2026-08-03 08:00", "anna.bergstrom@ystad.example.se", "email",
		"handover_outgoing", "name,pnr,unit,referral,health", "123456", "B-2020-0001",
		"2026-08-03 08:00", "anna.bergstrom@ystad.example.se", "email",
		"handover_outgoing", "name,pnr,unit,referral,health", "123457", "B-2020-0002",
	};
	static const int right[] = { TABLE_LEFT, TABLE_LEFT,  TABLE_LEFT, TABLE_LEFT,
				     TABLE_LEFT, TABLE_RIGHT, TABLE_KEY };
	char *out = render(7, head, cells, 2, right);

	(void)state;
	assert_fits(out);
	/* The key stays whole and left-aligned; the other columns give way. */
	assert_non_null(strstr(out, "  B-2020-0001\n"));
	assert_non_null(strstr(out, "  B-2020-0002\n"));
	assert_non_null(strstr(out, "  123456  "));
	assert_non_null(strstr(out, "…"));
	free(out);
}

static void every_column_keeps_its_header(void **state)
{
	static const char *const head[] = { "EN", "TVÅ", "TRE", "FYRA", "FEM", "SEX", "SJU" };
	const char *cells[7];
	char *out;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		cells[i] = "åååååååååååååååååååååååååååååå";
	out = render(7, head, cells, 1, NULL);
	assert_fits(out);
	for (i = 0; i < 7; i++)
		assert_non_null(strstr(out, head[i]));
	i = 0;
	for (const char *p = strstr(out, "…"); p; p = strstr(p + 1, "…"))
		i++;
	assert_int_equal(i, 7); /* every cell cut, none dropped */
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
		cmocka_unit_test(wide_rows_overflowed_the_terminal),
		cmocka_unit_test(references_and_times_stay_whole),
		cmocka_unit_test(audit_child_references_were_cut_alike),
		cmocka_unit_test(every_column_keeps_its_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
