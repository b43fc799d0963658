/* leader.c - the planning lock on PostgreSQL: a session advisory lock
 * (leader.h). */
#include "leader.h"

#include <stdio.h>

#define STR_(x) #x
#define STR(x) STR_(x)

int leader_session(struct dbi *db, struct err *e)
{
	char sql[256];

	if (dbi_backend(db) != DBI_PG)
		return 0;
	snprintf(sql, sizeof sql,
		 "SET tcp_keepalives_idle = %d; SET tcp_keepalives_interval = %d;"
		 " SET tcp_keepalives_count = %d; SET tcp_user_timeout = %d",
		 LEADER_KEEPALIVE_IDLE_S, LEADER_KEEPALIVE_INTERVAL_S, LEADER_KEEPALIVE_COUNT,
		 LEADER_DEAD_HOST_S * 1000);
	return dbi_exec(db, sql, e);
}

/* The boolean that sql (one row, one column) returns: 1, 0 or a code. */
static int one_bool(struct dbi *db, const char *sql, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r;

	r = dbi_prepare(db, sql, &st, e);
	if (r == 0) {
		r = dbi_step(st, e);
		if (r == DBI_ROW)
			r = dbi_column_int64(st, 0) ? 1 : 0;
		else if (r == DBI_DONE)
			r = err_set(e, ERR_DB, "%s: no result", sql);
	}
	dbi_finalize(st);
	return r;
}

int leader_try(struct dbi *db, struct err *e)
{
	if (dbi_backend(db) != DBI_PG)
		return err_set(e, ERR_INVALID, "the planning lock is PostgreSQL's");
	return one_bool(db, "SELECT pg_try_advisory_lock(" STR(LEADER_LOCK_KEY) ")", e);
}

void leader_release(struct dbi *db)
{
	struct err e = { 0 };

	if (db && dbi_backend(db) == DBI_PG)
		(void)one_bool(db, "SELECT pg_advisory_unlock(" STR(LEADER_LOCK_KEY) ")", &e);
}
