/* ss12000_apply.h - staged SS 12000 rows (ss12000_stage.h) onto the case
 * database, inside the caller's transaction: upserts through ext_ref, and
 * what was deleted (or, in a full resync, is missing) ended. */
#ifndef BACKAD_SS12000_APPLY_H
#define BACKAD_SS12000_APPLY_H

#include "dbi.h"
#include "config.h"
#include "date.h"
#include "err.h"
#include "ss12000.h"

struct ss_apply {
	struct dbi *db;
	const struct config *cfg;
	int day;                             /* the sync date */
	char today[DATE_LEN], prev[DATE_LEN]; /* it, and the day before */
	struct dbi_stmt *ext_get, *ext_put;
	struct ss_summary *sum;
	struct err *e;
};

/* Prepare a (statements); free with ss_apply_close. */
int ss_apply_open(struct ss_apply *a, struct err *e);
void ss_apply_close(struct ss_apply *a);

/* Units, staff, children, placements and enrolments, principals' duties. */
int ss_apply_facts(struct ss_apply *a);

/* deletedEntities, and with full every row of an earlier sync that this one
 * did not see: staff leave, placements and roles end the day before. A full
 * resync that would end more than import.max_shrink_percent of the rows it
 * knew is refused unless force. */
int ss_apply_gone(struct ss_apply *a, int full, int force);

/* Count unit_id's principal as changed (once per unit per sync) for the summary. */
int ss_note_principal(struct ss_apply *a, long long unit_id);

/* The local id of an outside id (0 when unknown). */
int ss_ext_get(struct ss_apply *a, const char *kind, const char *ext, long long *id);

#endif
