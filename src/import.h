/* import.h - importing units, staff, children, placements, roles and absences
 * from CSV files (columns in docs/import.md). A file is one transaction: one
 * bad row rejects it whole with "FILE:LINE: reason" and nothing is written.
 * Rows whose natural key exists are updated, so a re-import is idempotent.
 * On PostgreSQL a file whose writes collide with another writer's commit is
 * read and written again (a few times), as SQLite waits for its lock. */
#ifndef BACKAD_IMPORT_H
#define BACKAD_IMPORT_H

#include "dbi.h"
#include "err.h"

struct import_result {
	int rows, added, updated;
	/* A full import (import_full.h): rows of the kind the file left out. */
	int in_scope;   /* rows of the kind in scope before the import */
	int ended;      /* placements ended, staff deactivated, roles ended */
	int removed;    /* rows that had not started yet, deleted */
	int cascaded;   /* staff: their roles, assignments and named placements ended */
	int reassigned; /* open follow-ups moved to the child's new Barnkontakt */
	int alerts;     /* admin alerts queued for follow-ups nobody holds */
	char scope[64]; /* the unit kinds the file was the whole truth for */
};

/* Options of a full import ('backactl import --full'). */
struct import_opts {
	int full;              /* the file is the whole truth for its kind */
	int force;             /* accept a shrink beyond max_shrink_percent */
	int day;               /* the import date (date.h); missing rows end the day before */
	int max_shrink_percent;
	const char *scope;     /* unit kinds, space- or comma-separated; NULL: those in the file */
	const char *admin_email, *mail_from; /* where an alert goes, and its Message-ID domain */
};

/* kind: units, staff, children, placements, roles or absences. */
int import_file(struct dbi *db, const char *kind, const char *path, struct import_result *res,
		struct err *e);

/* The same with options (o may be NULL: a plain import). A full import
 * applies what the file leaves out in the same transaction. */
int import_file_opts(struct dbi *db, const char *kind, const char *path,
		     const struct import_opts *o, struct import_result *res, struct err *e);

/* The kinds, NULL-terminated, in the order they depend on each other. */
extern const char *const import_kinds[];

#endif
