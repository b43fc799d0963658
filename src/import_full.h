/* import_full.h - a full import: the file is the whole truth for its kind
 * within a scope of unit kinds, so what it leaves out has ended. Staff who are
 * missing are deactivated (their roles, explicit Barnkontakt assignments and
 * named placements end with them, their open follow-ups go to the child's new
 * Barnkontakt or to an admin alert); placements and roles that are missing
 * end the day before the import date (or are deleted if they had not begun).
 * A file that would end more than max_shrink_percent of the rows in scope is
 * refused unless forced. docs/import.md describes it. */
#ifndef BACKAD_IMPORT_FULL_H
#define BACKAD_IMPORT_FULL_H

#include "dbi.h"
#include "err.h"
#include "import.h"

/* Called by import_file_opts() inside the import's transaction, after every
 * row of path was written and recorded in temp.import_seen. Fills the full
 * fields of res. ERR_INVALID names the file and the numbers when the export
 * shrinks too much or the kind has no end state (units, children, absences). */
int import_full_apply(struct dbi *db, const char *kind, const char *path,
		      const struct import_opts *o, struct import_result *res, struct err *e);

/* The same for other sources of facts (the SS 12000 sync), in the caller's
 * transaction. import_full_end: end (the day before day) or delete (not yet
 * begun) the open rows of table (placement, unit_role, barnkontakt) that the
 * SQL condition where selects. import_full_staff_gone: the staff whose ids
 * are in temp.import_gone(id) have left, with everything above; path in o is
 * not used. */
int import_full_end(struct dbi *db, const char *table, const char *where, int day, int *ended,
		    int *removed, struct err *e);
int import_full_staff_gone(struct dbi *db, const struct import_opts *o, struct import_result *res,
			   struct err *e);

/* 1 when a full import of kind is possible. */
int import_full_kind(const char *kind);

#endif
