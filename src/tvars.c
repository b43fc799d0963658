/* tvars.c - template values: a small linked list per scope. */
#include "tvars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct tvars {
	struct tvar *vars;
	const struct tvars *parent;
	struct tvars *next_item;
};

struct tvars *tvars_new(void)
{
	return calloc(1, sizeof(struct tvars));
}

static void var_free(struct tvar *t)
{
	struct tvars *it = t->items;

	while (it) {
		struct tvars *n = it->next_item;

		tvars_free(it);
		it = n;
	}
	free(t->name);
	free(t->str);
	free(t);
}

void tvars_free(struct tvars *v)
{
	if (!v)
		return;
	while (v->vars) {
		struct tvar *n = v->vars->next;

		var_free(v->vars);
		v->vars = n;
	}
	free(v);
}

/* The entry for name in v itself, created empty when missing. */
static struct tvar *slot(struct tvars *v, const char *name)
{
	struct tvar *t, **tail = &v->vars;

	for (t = v->vars; t; t = t->next) {
		if (strcmp(t->name, name) == 0)
			return t;
		tail = &t->next;
	}
	t = calloc(1, sizeof *t);
	if (!t || !(t->name = strdup(name))) {
		free(t);
		return NULL;
	}
	*tail = t;
	return t;
}

static void clear(struct tvar *t)
{
	struct tvars *it = t->items;

	while (it) {
		struct tvars *n = it->next_item;

		tvars_free(it);
		it = n;
	}
	t->items = NULL;
	free(t->str);
	t->str = NULL;
}

int tvars_set(struct tvars *v, const char *name, const char *value)
{
	struct tvar *t = slot(v, name);
	char *s = strdup(value ? value : "");

	if (!t || !s) {
		free(s);
		return ERR_NOMEM;
	}
	clear(t);
	t->kind = TV_STR;
	t->str = s;
	return 0;
}

int tvars_set_int(struct tvars *v, const char *name, long long n)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%lld", n);
	return tvars_set(v, name, buf);
}

int tvars_set_bool(struct tvars *v, const char *name, int b)
{
	struct tvar *t = slot(v, name);

	if (!t)
		return ERR_NOMEM;
	clear(t);
	t->kind = TV_BOOL;
	t->b = b != 0;
	return 0;
}

struct tvars *tvars_add_item(struct tvars *v, const char *list)
{
	struct tvar *t = slot(v, list);
	struct tvars *item, **tail;

	if (!t)
		return NULL;
	if (t->kind != TV_LIST) {
		clear(t);
		t->kind = TV_LIST;
	}
	item = tvars_new();
	if (!item)
		return NULL;
	item->parent = v;
	for (tail = &t->items; *tail; tail = &(*tail)->next_item)
		;
	*tail = item;
	return item;
}

const struct tvar *tvars_get(const struct tvars *v, const char *name)
{
	for (; v; v = v->parent)
		for (const struct tvar *t = v->vars; t; t = t->next)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

const struct tvars *tvars_first(const struct tvar *list)
{
	return list && list->kind == TV_LIST ? list->items : NULL;
}

const struct tvars *tvars_next(const struct tvars *item)
{
	return item->next_item;
}
