/* barnkontakt.h - who is a child's Barnkontakt on a given day: an explicit
 * assignment if one covers the day, else the holder that follows from the
 * child's placements (midwife at BMM -> nurse at BVC -> principal of the
 * preschool -> principal of the school). */
#ifndef BACKAD_BARNKONTAKT_H
#define BACKAD_BARNKONTAKT_H

#include "dbi.h"
#include "err.h"

enum bk_source {
	BK_NONE = 0,     /* no placement and no assignment covers the day */
	BK_EXPLICIT,     /* a row in barnkontakt */
	BK_PLACEMENT,    /* the named midwife or nurse of a BMM/BVC placement */
	BK_PRINCIPAL,    /* the principal of the placement's unit */
};

struct bk {
	enum bk_source source;
	long long staff_id;     /* 0 when nobody holds the role (see unit_id) */
	long long unit_id;      /* the unit the role belongs to (0 for explicit) */
	long long placement_id; /* the placement it follows from, or 0 */
	char kind[16];          /* placement kind: bmm, bvc, preschool, school */
};

/* Prepared statements, reused across calls; free with bk_close(). The last
 * children's placements and assignments (a few hundred) and every unit's
 * roles asked about are
 * remembered while the context is open, so open one for a snapshot of the
 * facts (a transaction that does not change them meanwhile). */
struct bk_ctx;

int bk_open(struct dbi *db, struct bk_ctx **out, struct err *e);
void bk_close(struct bk_ctx *c);

/* A walk over every child's placements and assignments in the order of
 * the children's ids, two statements for all of them: until bk_walk_end(),
 * the rows of a child asked about after the last one (by a higher id) come
 * from the walk, of one asked about again or out of order from a statement
 * of its own. For a scan of every child by id. 0 or a negative code. */
int bk_walk_begin(struct bk_ctx *c, struct err *e);
void bk_walk_end(struct bk_ctx *c);

/* The Barnkontakt of child_id on day (date.h day number). Staff who are not
 * active do not hold roles: then staff_id is 0 and unit_id names the unit
 * whose role is vacant. 0 or a negative code. */
int bk_at(struct bk_ctx *c, long long child_id, int day, struct bk *out, struct err *e);

/* The active holder of a unit role on day (first by start date), or 0. */
int bk_unit_role(struct bk_ctx *c, long long unit_id, const char *role, int day,
		 long long *staff_id, struct err *e);

/* Swedish name of the role a struct bk stands for, e.g. "förskolerektor". */
const char *bk_role_sv(const struct bk *b);

#endif
