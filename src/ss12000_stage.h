/* ss12000_stage.h - SS 12000 pages (organisations, persons, placements,
 * duties, deletedEntities) checked field by field and kept in temporary
 * tables of the connection until the sync applies them in one transaction.
 * Only the fields docs/ss12000.md lists are kept: no names of children (a
 * person's name only when a duty staged before, or an earlier sync, makes
 * them staff: stage duties before persons), no personal identity numbers
 * unless keep_pnr, no private addresses. */
#ifndef BACKAD_SS12000_STAGE_H
#define BACKAD_SS12000_STAGE_H

#include <jansson.h>

#include "dbi.h"
#include "err.h"

enum ss_entity { SS_ORGS, SS_PERSONS, SS_PLACEMENTS, SS_DUTIES, SS_DELETED, SS_NENTITIES };

/* The endpoint of each entity, e.g. "/persons". */
extern const char *const ss_endpoints[SS_NENTITIES];

struct ss_stage;

/* (Re)create the staging tables temp.ss_*; *out is freed with ss_stage_close. */
int ss_stage_open(struct dbi *db, int keep_pnr, struct ss_stage **out, struct err *e);
void ss_stage_close(struct ss_stage *s);

/* Stage the "data" of one page of ent (for SS_DELETED an object of id lists).
 * A bad entity is ERR_INVALID naming it: "person 5f1c...: birthDate '2020-13-01'
 * is not a date". Nothing of a bad page is kept. */
int ss_stage_page(struct ss_stage *s, enum ss_entity ent, json_t *page, struct err *e);

/* Entities staged so far, per ent. */
int ss_stage_count(const struct ss_stage *s, enum ss_entity ent);

#endif
