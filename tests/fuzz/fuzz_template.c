/* fuzz_template.c - libFuzzer target: template text compiled and rendered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "template.h"
#include "tvars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	struct template *t = NULL;
	struct tvars *v = tvars_new(), *it;
	struct strbuf sb = STRBUF_INIT;
	struct err e;

	if (!src || !v)
		goto out;
	memcpy(src, data, size);
	src[size] = '\0';
	tvars_set(v, "ref", "B-1");
	tvars_set(v, "unit", "Förskolan Ängen");
	tvars_set_bool(v, "consent", 1);
	it = tvars_add_item(v, "children");
	tvars_set(it, "ref", "B-2");
	if (template_compile(src, "fuzz", 1, &t, &e) == 0)
		template_render(t, v, &sb, &e);
out:
	template_free(t);
	tvars_free(v);
	sb_free(&sb);
	free(src);
	return 0;
}
