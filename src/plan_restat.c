/* plan_restat.c - fresh statistics, on PostgreSQL, for the tables a
 * planning pass fills (outbox, outbox_child, task), so that its lookups by
 * key keep using their indexes while the pass writes.
 *
 * PostgreSQL plans a prepared statement once for good after its fifth run
 * (a generic plan), from the table's statistics and size at that moment.
 * The first pass over a database finds outbox and task empty: a lookup by
 * key planned then is a sequential scan (on an empty table it costs
 * nothing), and nothing plans it again inside the pass's transaction, where
 * every such lookup reads every row the pass has written so far: a pass
 * quadratic in the rows it writes. ANALYZE inside the transaction counts
 * the transaction's own rows, and new statistics make the server plan each
 * statement on those tables again (the foreign key checks too). It is taken
 * each time the rows written reach the threshold, which then doubles: a
 * few times in a pass that fills empty tables, never in one that adds a
 * little to tables the size the statistics know. */
#include "plan.h"

#include "db.h"

/* Rows written before the first ANALYZE: below this a scan is cheap. */
#define RESTAT_MIN 500

int plan_restat_open(struct planner *p, struct err *e)
{
	struct dbi_stmt *q = NULL;
	long long known = 0;
	int r;

	p->restat_at = 0;
	if (p->preview || dbi_backend(p->db) != DBI_PG)
		return 0;
	/* The rows the statistics know of (reltuples is -1 when never counted). */
	r = dbi_prepare(p->db, "SELECT CAST(coalesce(sum(greatest(reltuples, 0)), 0) AS BIGINT)"
			       " FROM pg_class WHERE oid IN (to_regclass('outbox'), to_regclass('task'))",
			&q, e);
	if (r == 0 && (r = dbi_step(q, e)) == DBI_ROW) {
		known = dbi_column_int64(q, 0);
		r = 0;
	} else if (r == DBI_DONE) {
		r = 0;
	}
	dbi_finalize(q);
	p->restat_at = known > RESTAT_MIN ? known : RESTAT_MIN;
	return r;
}

int plan_restat(struct planner *p, struct err *e)
{
	long written;
	int r;

	if (!p->restat_at || p->in_subject)
		return 0;
	written = (long)p->st->planned + p->st->tasks_open;
	if (written < p->restat_at)
		return 0;
	r = db_exec(p->db, "ANALYZE outbox, outbox_child, task", e);
	p->restat_at = 2 * written;
	return r;
}
