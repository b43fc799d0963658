/* plan_sets.h - the planning pass's in-memory sets (enum plan_set) as its
 * closing SQL reads them: on SQLite the function plan_has(SET, KEY) asks
 * the set itself; PostgreSQL runs no functions of the application, so
 * there each set is copied into a temporary table in bulk first. */
#ifndef BACKAD_PLAN_SETS_H
#define BACKAD_PLAN_SETS_H

#include <stddef.h>

#include "dbi.h"
#include "err.h"

struct planner;

/* Keys of a multi-row INSERT filling a set's table on PostgreSQL. */
#define PLAN_SETS_BATCH 500

/* The type of an id column in the pass's temporary tables: INTEGER on
 * SQLite (the row id itself), BIGINT on PostgreSQL (whose INTEGER has 32
 * bits). */
const char *plan_sets_id_type(struct dbi *db);

/* Run create (CREATE TEMP TABLE IF NOT EXISTS statements) unless the
 * temporary table named probe exists already: PostgreSQL tells of each
 * table it skips with a notice, which would reach the log at every pass. */
int plan_temp_create(struct dbi *db, const char *probe, const char *create, struct err *e);

/* Ready the sets' SQL side for a pass that keeps sets: point plan_has() at
 * this pass on SQLite (registered on the connection's first pass, kept until
 * it closes), create or empty the temporary tables on PostgreSQL. */
int plan_sets_open(struct planner *p, struct err *e);
/* plan_has() answers for no pass any more (SQLite); the tables stay for the
 * next pass. */
void plan_sets_close(struct planner *p);

/* Make the sets as they are now visible to SQL: nothing to do on SQLite
 * (plan_has() reads them); on PostgreSQL copy each set the SQL reads into
 * its table. Called once, before the closing statements. */
int plan_sets_publish(struct planner *p, struct err *e);

/* The SQL condition "expr is in set" for the pass's engine, into buf:
 * plan_has(SET, expr) on SQLite, EXISTS (SELECT ...) on PostgreSQL. */
void plan_sets_has(const struct planner *p, int set, const char *expr, char *buf, size_t n);

#endif
