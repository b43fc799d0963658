/* tvars.c - template values: a small list per scope, in the order set, with
 * a hash index (a planning pass sets some 40 names for each of a million
 * subjects, and a string is rewritten in place when it fits). */
#include "tvars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define BUCKETS 64

struct tvars {
	struct tvar *vars, *last;
	struct tvar *idx[BUCKETS];
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
	free(t->str);
	free(t);
}

static unsigned bucket(const char *name)
{
	unsigned h = 5381;

	for (; *name; name++)
		h = h * 33 + (unsigned char)*name;
	return h % BUCKETS;
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

static struct tvar *lookup(const struct tvars *v, const char *name, unsigned b)
{
	for (struct tvar *t = v->idx[b]; t; t = t->hnext)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* The entry for name in v itself, created empty when missing. */
static struct tvar *slot(struct tvars *v, const char *name)
{
	unsigned b = bucket(name);
	struct tvar *t = lookup(v, name, b);
	size_t len;

	if (t)
		return t;
	len = strlen(name) + 1;
	t = calloc(1, sizeof *t + len);
	if (!t)
		return NULL;
	t->name = (char *)(t + 1);
	memcpy(t->name, name, len);
	t->hnext = v->idx[b];
	v->idx[b] = t;
	if (v->last)
		v->last->next = t;
	else
		v->vars = t;
	v->last = t;
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
	t->cap = 0;
}

int tvars_set(struct tvars *v, const char *name, const char *value)
{
	struct tvar *t = slot(v, name);
	size_t len = strlen(value ? value : "") + 1;
	char *s;

	if (!t)
		return ERR_NOMEM;
	if (t->kind == TV_STR && t->str && t->cap >= len) {
		memmove(t->str, value ? value : "", len);
		return 0;
	}
	s = malloc(len < 16 ? 16 : len);
	if (!s)
		return ERR_NOMEM;
	memcpy(s, value ? value : "", len);
	clear(t);
	t->kind = TV_STR;
	t->str = s;
	t->cap = len < 16 ? 16 : len;
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
	unsigned b = bucket(name);

	for (; v; v = v->parent) {
		const struct tvar *t = lookup(v, name, b);

		if (t)
			return t;
	}
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
