/* test_template.c - the template language: values, sections over lists and
 * booleans, inverted sections, comments, standalone lines, errors by line. */
#include "testutil.h"

#include "template.h"
#include "tvars.h"

static char *render(const char *src, const struct tvars *v, struct err *e, int *rc)
{
	struct template *t = NULL;
	struct strbuf sb = STRBUF_INIT;

	*rc = template_compile(src, "t.email", 1, &t, e);
	if (*rc == 0)
		*rc = template_render(t, v, &sb, e);
	template_free(t);
	if (*rc < 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}

static void values_and_sections(void **state)
{
	struct tvars *v = tvars_new(), *it;
	struct err e = { 0 };
	char *out;
	int rc;

	(void)state;
	tvars_set(v, "ref", "B-1");
	tvars_set(v, "unit", "Förskolan Ängen");
	tvars_set_int(v, "count", 2);
	tvars_set_bool(v, "consent", 1);
	tvars_set_bool(v, "none", 0);
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-2");
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-3");
	out = render("Ärende {{ref}} vid {{ unit }}: {{count}} barn.\n"
		     "{{#children}}\n"
		     "- {{ref}} ({{unit}})\n"
		     "{{/children}}\n"
		     "{{#consent}}samtycke{{/consent}}{{^consent}}inget{{/consent}}"
		     "{{#none}}X{{/none}}{{^none}}!{{/none}}{{! a comment }}\n",
		     v, &e, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "Ärende B-1 vid Förskolan Ängen: 2 barn.\n"
				 "- B-2 (Förskolan Ängen)\n"
				 "- B-3 (Förskolan Ängen)\n"
				 "samtycke!\n");
	free(out);
	/* Values are text: no escaping, no recursive expansion. */
	tvars_set(v, "unit", "{{ref}} & <b>");
	out = render("{{unit}}", v, &e, &rc);
	assert_string_equal(out, "{{ref}} & <b>");
	free(out);
	tvars_free(v);
}

static void standalone_lines(void **state)
{
	struct tvars *v = tvars_new();
	struct err e = { 0 };
	char *out;
	int rc;

	(void)state;
	tvars_set_bool(v, "a", 0);
	out = render("one\n  {{#a}}  \nhidden\n{{/a}}\n{{! note }}\ntwo\n", v, &e, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "one\ntwo\n");
	free(out);
	tvars_free(v);
}

static void errors(void **state)
{
	struct tvars *v = tvars_new();
	struct err e = { 0 };
	char *out;
	int rc;

	(void)state;
	tvars_set(v, "a", "x");
	out = render("ok\n{{#a}}\nnever closed\n", v, &e, &rc);
	assert_null(out);
	assert_int_equal(rc, ERR_INVALID);
	assert_string_equal(e.msg, "t.email:2: section 'a' is not closed");
	out = render("{{#a}}x{{/b}}", v, &e, &rc);
	assert_non_null(strstr(e.msg, "t.email:1: '{{/b}}' closes no open section"));
	out = render("line1\nline2 {{a\n}}", v, &e, &rc);
	assert_non_null(strstr(e.msg, "t.email:2: tag '{{' is not closed"));
	out = render("{{}}", v, &e, &rc);
	assert_non_null(strstr(e.msg, "not a field name"));
	out = render("a\nb\n{{missing}}\n", v, &e, &rc);
	assert_null(out);
	assert_string_equal(e.msg, "t.email:3: field 'missing' is not set");
	out = render("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		     "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}", v, &e, &rc);
	assert_non_null(strstr(e.msg, "nested deeper"));
	tvars_free(v);
}

static int count_fields(void *ctx, const char *name, int line, int section)
{
	int *n = ctx;

	(void)name;
	(void)line;
	(void)section;
	(*n)++;
	return 0;
}

static void fields_listed(void **state)
{
	struct template *t = NULL;
	struct err e = { 0 };
	int n = 0;

	(void)state;
	assert_int_equal(template_compile("{{a}} {{#l}}{{b}}{{/l}} {{^c}}x{{/c}}", "t", 1, &t, &e), 0);
	template_fields(t, count_fields, &n);
	assert_int_equal(n, 4);
	template_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_and_sections),
		cmocka_unit_test(standalone_lines),
		cmocka_unit_test(errors),
		cmocka_unit_test(fields_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
