/* tvars.h - the values a template is rendered with: named strings, booleans
 * and lists of items, each item a tvars of its own whose lookups fall back to
 * its parent. */
#ifndef BACKAD_TVARS_H
#define BACKAD_TVARS_H

#include <stddef.h>

enum tvar_kind { TV_STR, TV_BOOL, TV_LIST };

struct tvars;

struct tvar {
	struct tvar *next;
	struct tvar *hnext;     /* the next in its hash bucket */
	char *name;             /* in the same allocation */
	enum tvar_kind kind;
	char *str;              /* TV_STR */
	size_t cap;             /* bytes allocated for str */
	int b;                  /* TV_BOOL */
	struct tvars *items;    /* TV_LIST: first item; items chain by ->next_item */
};

struct tvars *tvars_new(void);
/* Frees v and every item it owns. */
void tvars_free(struct tvars *v);

/* Set (or replace) a value; 0 or ERR_NOMEM. The strings are copied. */
int tvars_set(struct tvars *v, const char *name, const char *value);
int tvars_set_int(struct tvars *v, const char *name, long long n);
int tvars_set_bool(struct tvars *v, const char *name, int b);
/* Append an item to list name (created when missing); the item is owned by v
 * and looks names up in v when it lacks them. NULL on ERR_NOMEM. */
struct tvars *tvars_add_item(struct tvars *v, const char *list);

/* The value of name in v or its parents, or NULL. */
const struct tvar *tvars_get(const struct tvars *v, const char *name);
/* Items of a list, in order. */
const struct tvars *tvars_first(const struct tvar *list);
const struct tvars *tvars_next(const struct tvars *item);

#endif
