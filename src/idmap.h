/* idmap.h - rows of one id found again within a pass: a map in memory from
 * a row id (any 64-bit integer, 0 included) to where the caller keeps what
 * it read for that id (a first index and a count). */
#ifndef BACKAD_IDMAP_H
#define BACKAD_IDMAP_H

struct idmap_slot;

/* Zero-initialised is empty. */
struct idmap {
	struct idmap_slot *v;
	int n, cap; /* cap a power of two */
};

/* 1 and *first, *n when id is in m; 0 when not. */
int idmap_get(const struct idmap *m, long long id, int *first, int *n);
/* Add id (not yet in m): 0, or ERR_NOMEM (m unchanged). */
int idmap_put(struct idmap *m, long long id, int first, int n);
void idmap_free(struct idmap *m);

#endif
