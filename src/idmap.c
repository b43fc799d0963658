/* idmap.c - a map from row ids to index ranges. Written here because no
 * Debian C library the project uses has an integer hash map: open
 * addressing with linear probing on a multiplicative hash, at most half
 * full. */
#include "idmap.h"

#include <stdlib.h>

#include "err.h"

struct idmap_slot {
	long long id;
	int used, first, n;
};

static int slot_of(const struct idmap_slot *v, int cap, long long id)
{
	unsigned k = (unsigned)(((unsigned long long)id * 0x9e3779b97f4a7c15ull) >> 32);

	for (k &= (unsigned)cap - 1; v[k].used && v[k].id != id; k = (k + 1) & ((unsigned)cap - 1))
		;
	return (int)k;
}

int idmap_get(const struct idmap *m, long long id, int *first, int *n)
{
	const struct idmap_slot *s;

	if (!m->cap)
		return 0;
	s = &m->v[slot_of(m->v, m->cap, id)];
	if (!s->used)
		return 0;
	*first = s->first;
	*n = s->n;
	return 1;
}

static int grow(struct idmap *m)
{
	int cap = m->cap ? m->cap * 2 : 256;
	struct idmap_slot *v = calloc((size_t)cap, sizeof *v);

	if (!v)
		return ERR_NOMEM;
	for (int i = 0; i < m->cap; i++)
		if (m->v[i].used)
			v[slot_of(v, cap, m->v[i].id)] = m->v[i];
	free(m->v);
	m->v = v;
	m->cap = cap;
	return 0;
}

int idmap_put(struct idmap *m, long long id, int first, int n)
{
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return ERR_NOMEM;
	m->v[slot_of(m->v, m->cap, id)] = (struct idmap_slot){ id, 1, first, n };
	m->n++;
	return 0;
}

void idmap_free(struct idmap *m)
{
	free(m->v);
	*m = (struct idmap){ 0 };
}
