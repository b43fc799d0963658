/* test_csv.c - the CSV reader: quoting, line breaks in fields, BOM, CRLF,
 * semicolons, and errors with the right line numbers. */
#include "testutil.h"

#include "csv.h"

static int read_all(const char *text, char out[][8][64], int *nrec, int *lines,
		    struct err *e)
{
	char *dir = tu_mkdtemp(), *path = tu_write(dir, "t.csv", text);
	struct csv c;
	int r;

	*nrec = 0;
	r = csv_open(&c, path, e);
	if (r == 0) {
		for (int i = 0; i < c.nfields; i++)
			snprintf(out[0][i], 64, "%s", c.field[i]);
		lines[0] = c.rec_line;
		*nrec = 1;
		while ((r = csv_next(&c, e)) > 0) {
			for (int i = 0; i < c.nfields && i < 8; i++)
				snprintf(out[*nrec][i], 64, "%s", c.field[i]);
			lines[*nrec] = c.rec_line;
			(*nrec)++;
		}
		csv_close(&c);
	}
	free(path);
	tu_rmdir(dir);
	return r;
}

static void quoting_and_lines(void **state)
{
	char f[8][8][64];
	int n, lines[8], r;
	struct err e = { 0 };

	(void)state;
	r = read_all("a,b,c\n"
				  "1, two ,\"th,ree\"\n"
				  "\"multi\nline\",\"say \"\"hej\"\"\",x\n"
				  "\n"
				  "å,ä,ö\n", f, &n, lines, &e);
	if (r != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 4);
	assert_string_equal(f[1][1], "two");
	assert_string_equal(f[1][2], "th,ree");
	assert_string_equal(f[2][0], "multi\nline");
	assert_string_equal(f[2][1], "say \"hej\"");
	assert_int_equal(lines[2], 3);
	assert_int_equal(lines[3], 6); /* after a two-line record and a blank line */
	assert_string_equal(f[3][2], "ö");
}

static void bom_crlf_semicolon(void **state)
{
	char f[8][8][64];
	int n, lines[8];
	struct err e = { 0 };

	(void)state;
	assert_int_equal(read_all("\xef\xbb\xbf" "kod;namn\r\nU1;Skolan, Norra\r\n", f, &n, lines,
				  &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(f[0][0], "kod");
	assert_string_equal(f[1][1], "Skolan, Norra");
}

static void errors_name_the_line(void **state)
{
	char f[8][8][64];
	int n, lines[8];
	struct err e = { 0 };

	(void)state;
	assert_int_equal(read_all("a,b\n1,2\n\"open,3\n", f, &n, lines, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "t.csv:3: a quoted field is not closed"));
	assert_int_equal(read_all("a,b\n1,2\n3,\xff\n", f, &n, lines, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "t.csv:3: field 2"));
	assert_int_equal(read_all("a,b\n1,x\"y\"\n", f, &n, lines, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "t.csv:2:"));
	assert_int_equal(read_all("a,b\n\"x\"y,1\n", f, &n, lines, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "text after a closing quote"));
	assert_int_equal(read_all("a,b\n1,2\r3,4\n", f, &n, lines, &e), ERR_INVALID);
	assert_int_equal(read_all("", f, &n, lines, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "header"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoting_and_lines),
		cmocka_unit_test(bom_crlf_semicolon),
		cmocka_unit_test(errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
