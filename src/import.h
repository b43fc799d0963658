/* import.h - importing units, staff, children, placements, roles and absences
 * from CSV files (columns in docs/import.md). A file is one transaction: one
 * bad row rejects it whole with "FILE:LINE: reason" and nothing is written.
 * Rows whose natural key exists are updated, so a re-import is idempotent. */
#ifndef BACKAD_IMPORT_H
#define BACKAD_IMPORT_H

#include <sqlite3.h>

#include "err.h"

struct import_result {
	int rows, added, updated;
};

/* kind: units, staff, children, placements, roles or absences. */
int import_file(sqlite3 *db, const char *kind, const char *path, struct import_result *res,
		struct err *e);

/* The kinds, NULL-terminated, in the order they depend on each other. */
extern const char *const import_kinds[];

#endif
