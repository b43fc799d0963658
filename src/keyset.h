/* keyset.h - a set of short strings in memory (subject keys and row ids of
 * one planning pass): add and test in constant time, freed at once. */
#ifndef BACKAD_KEYSET_H
#define BACKAD_KEYSET_H

#include <stddef.h>

struct keyset;

struct keyset *keyset_new(void);
void keyset_free(struct keyset *s);
/* Add key (copied); 0, ERR_NOMEM, or ERR_INVALID for a key over 4 KiB.
 * Adding a member again changes nothing. */
int keyset_add(struct keyset *s, const char *key);
int keyset_has(const struct keyset *s, const char *key);
size_t keyset_count(const struct keyset *s);
/* Call fn with each member, in no particular order, until it returns
 * non-zero; that value (ERR_NOMEM: no room for a number's text), or 0 when
 * every member was visited. The strings stay valid until the set is
 * cleared or freed (a member kept as a number is written out for it). */
int keyset_each(struct keyset *s, int (*fn)(void *ctx, const char *key), void *ctx);
/* Forget every member, keeping the memory for reuse. */
void keyset_clear(struct keyset *s);

#endif
