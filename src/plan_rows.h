/* plan_rows.h - the outbox rows of the subject being planned, read once
 * (src/plan_rows.c): what plan_emit.c compares each wanted message with. */
#ifndef BACKAD_PLAN_ROWS_H
#define BACKAD_PLAN_ROWS_H

#include <stddef.h>

#include "err.h"

struct planner;

/* A row as reconciling reads it; the texts are the reader's until its next
 * call (subject and body NULL unless the row is pending or failed). */
struct plan_row {
	int found;
	long long id;
	const char *state, *origin, *channel, *address, *subject, *body, *due, *categories,
		*deadline;
	int digest; /* digest_key is set */
};

/* For a pass that writes (none in a preview). */
int plan_rows_open(struct planner *p, struct err *e);
void plan_rows_close(struct planner *p);
/* A new subject begins (or the last one's savepoint was rolled back). */
void plan_rows_forget(struct planner *p);
/* The subject wrote a row: its rows in memory are no longer the table's. */
void plan_rows_written(struct planner *p);

/* The row of key into *out (found 0 when there is none): from memory when
 * subject (or NULL) is the subject under way and it wrote no row yet (its
 * rows are read on first use), else from the table. 0 or a negative code. */
int plan_rows_get(struct planner *p, const char *subject, const char *key,
		  struct plan_row *out, struct err *e);
/* Whether a row of the subject whose key starts with the n bytes of prefix
 * was told to someone (sent, sending, dead, or history): 1 with *told set,
 * 0 when memory cannot tell, or a negative code. */
int plan_rows_told(struct planner *p, const char *subject, const char *prefix, size_t n,
		   int *told, struct err *e);

#endif
