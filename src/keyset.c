/* keyset.c - a set of short strings in memory. Written here because no
 * Debian C library the project uses offers a string hash set (glib would be
 * a large dependency for 150 lines). A full planning pass over a million
 * children keeps some 400,000 keys, so a slot is 8 bytes: 32 bits of a
 * 64-bit FNV-1a hash and where the string is (chunk and offset); open
 * addressing with linear probing, at most three quarters full; the strings
 * in 64 KiB chunks freed together. A key that is a number written plainly
 * (an outbox row id: the ids a full pass wants, some 600,000 at a million
 * children) is a bit in a bitmap instead, found without a string compared
 * or a cache line missed. */
#include "keyset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define CHUNK 65536         /* a chunk's bytes: the offset's 16 bits */
#define KEY_MAX 4096        /* the longest key kept */
#define MAX_CHUNKS 65535    /* the chunk number's 16 bits (0: empty slot) */

struct slot {
	uint32_t hash;
	uint32_t at; /* chunk number (1-based) << 16 | offset; 0: empty */
};

/* Numbers below this are bits (a bitmap of at most 8 MiB). */
#define NUM_MAX (1u << 26)

struct keyset {
	struct slot *v;
	size_t cap, n; /* cap a power of two; n counts the numbers too */
	char **chunks;
	size_t nchunks, used; /* used: bytes of the last chunk */
	unsigned char *bits;  /* numbers below nbits */
	size_t nbits;         /* a multiple of 8 */
};

/* The key as a number kept as a bit: digits without a leading zero, below
 * NUM_MAX; else -1. */
static long num_of(const char *key)
{
	long v = 0;

	if (!*key || (key[0] == '0' && key[1]))
		return -1;
	for (; *key; key++) {
		if (*key < '0' || *key > '9')
			return -1;
		v = v * 10 + (*key - '0');
		if (v >= (long)NUM_MAX)
			return -1;
	}
	return v;
}

static int bit_has(const struct keyset *s, long v)
{
	return (size_t)v < s->nbits && (s->bits[v >> 3] >> (v & 7) & 1);
}

static int bit_add(struct keyset *s, long v)
{
	if ((size_t)v >= s->nbits) {
		size_t n = s->nbits ? s->nbits : 8192;
		unsigned char *b;

		while (n <= (size_t)v)
			n *= 2;
		if (!(b = realloc(s->bits, n / 8)))
			return ERR_NOMEM;
		memset(b + s->nbits / 8, 0, (n - s->nbits) / 8);
		s->bits = b;
		s->nbits = n;
	}
	if (!bit_has(s, v)) {
		s->bits[v >> 3] |= (unsigned char)(1u << (v & 7));
		s->n++;
	}
	return 0;
}

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct keyset *keyset_new(void)
{
	return calloc(1, sizeof(struct keyset));
}

void keyset_free(struct keyset *s)
{
	if (!s)
		return;
	free(s->v);
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	free(s->bits);
	free(s);
}

void keyset_clear(struct keyset *s)
{
	if (s->v)
		memset(s->v, 0, s->cap * sizeof *s->v);
	if (s->bits)
		memset(s->bits, 0, s->nbits / 8);
	s->n = 0;
	for (size_t i = 1; i < s->nchunks; i++)
		free(s->chunks[i]);
	s->nchunks = s->nchunks ? 1 : 0;
	s->used = 0;
}

static const char *key_at(const struct keyset *s, uint32_t at)
{
	return s->chunks[(at >> 16) - 1] + (at & 0xffff);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct keyset *s, const char *key, uint32_t h)
{
	size_t i;

	for (i = h & (s->cap - 1); s->v[i].at; i = (i + 1) & (s->cap - 1))
		if (s->v[i].hash == h && strcmp(key_at(s, s->v[i].at), key) == 0)
			break;
	return i;
}

static int grow(struct keyset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct slot *v = calloc(cap, sizeof *v);

	if (!v)
		return ERR_NOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->v[i].at)
			continue;
		for (j = s->v[i].hash & (cap - 1); v[j].at; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

/* Copy key into the chunks; its place, or 0 when out of memory. */
static uint32_t store(struct keyset *s, const char *key, size_t len)
{
	uint32_t at;

	if (!s->nchunks || CHUNK - s->used < len) {
		char **v, *c;

		if (s->nchunks == MAX_CHUNKS)
			return 0;
		v = realloc(s->chunks, (s->nchunks + 1) * sizeof *v);
		if (!v)
			return 0;
		s->chunks = v;
		if (!(c = malloc(CHUNK)))
			return 0;
		s->chunks[s->nchunks++] = c;
		s->used = 0;
	}
	memcpy(s->chunks[s->nchunks - 1] + s->used, key, len);
	at = (uint32_t)s->nchunks << 16 | (uint32_t)s->used;
	s->used += len;
	return at;
}

int keyset_add(struct keyset *s, const char *key)
{
	long num = num_of(key);

	if (num >= 0)
		return bit_add(s, num);

	size_t len = strlen(key) + 1, i;
	uint32_t h = (uint32_t)(hash_of(key) >> 32);

	if (len > KEY_MAX)
		return ERR_INVALID;
	if ((s->n + 1) * 4 > s->cap * 3 && grow(s) < 0)
		return ERR_NOMEM;
	i = find(s, key, h);
	if (s->v[i].at)
		return 0;
	s->v[i].at = store(s, key, len);
	if (!s->v[i].at)
		return ERR_NOMEM;
	s->v[i].hash = h;
	s->n++;
	return 0;
}

int keyset_has(const struct keyset *s, const char *key)
{
	long num;

	if (!s)
		return 0;
	if ((num = num_of(key)) >= 0)
		return bit_has(s, num);
	return s->cap && s->v[find(s, key, (uint32_t)(hash_of(key) >> 32))].at;
}

size_t keyset_count(const struct keyset *s)
{
	return s ? s->n : 0;
}

int keyset_each(struct keyset *s, int (*fn)(void *ctx, const char *key), void *ctx)
{
	for (size_t i = 0; s && i < s->cap; i++) {
		int r;

		if (s->v[i].at && (r = fn(ctx, key_at(s, s->v[i].at))) != 0)
			return r;
	}
	for (size_t v = 0; s && v < s->nbits; v++) {
		char num[16];
		uint32_t at;
		int r, len;

		if (!bit_has(s, (long)v))
			continue;
		/* The text stays with the set (a caller may keep it until it
		 * is done): written into its chunks, not counted a member. */
		len = snprintf(num, sizeof num, "%zu", v);
		if (!(at = store(s, num, (size_t)len + 1)))
			return ERR_NOMEM;
		if ((r = fn(ctx, key_at(s, at))) != 0)
			return r;
	}
	return 0;
}
