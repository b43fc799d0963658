/* dbi.h - one statement interface over the case database's two engines,
 * SQLite and PostgreSQL, shaped like the sqlite3_* calls it replaces.
 *
 * A module is converted mechanically: sqlite3_prepare_v2 -> dbi_prepare,
 * sqlite3_bind_* -> dbi_bind_*, sqlite3_step -> dbi_step (DBI_ROW, DBI_DONE
 * or a negative error code), sqlite3_column_* -> dbi_column_*, reset,
 * finalize, changes, exec. The SQL is written once in SQLite's spelling where
 * both engines agree; for PostgreSQL the layer rewrites, in one place
 * (dbi_sql_rewrite), only what cannot be written portably:
 *   ?N and ? placeholders      -> $N (never inside strings, quoted names, comments)
 *   temp.NAME                  -> pg_temp.NAME
 *   julianday(X)               -> the same number (days, fractional) from EXTRACT(EPOCH)
 *   strftime('FMT', X)         -> to_char(X, 'PGFMT') for %Y %m %d %H %M %S %j %%
 *   date(X), datetime(X)       -> to_char(X, 'YYYY-MM-DD'), 'YYYY-MM-DD HH24:MI:SS'
 * where X may be 'now' (the transaction's time, in UTC as in SQLite) or a
 * text date or time in UTC. Modifiers ('+1 day') are refused when preparing.
 *
 * What a caller must know of PostgreSQL's static types:
 *   - Parameters are sent as text and typed by the server from their use
 *     (a = ?1 with an integer column is an integer). Where a use does not say
 *     (SELECT ?1, ?1 IS NULL, coalesce(?1, ?2)), write CAST(?1 AS INTEGER) or
 *     CAST(?1 AS TEXT): valid in both engines.
 *   - Dates and times stay TEXT columns ('YYYY-MM-DD', 'YYYY-MM-DDTHH:MM:SSZ')
 *     and are compared as text; flags stay INTEGER 0/1, never boolean. A
 *     comparison in a select list (SELECT a = b) is a boolean in PostgreSQL;
 *     dbi_column_int64 reads it as 1 or 0 so such code works unchanged.
 *   - Integer columns are BIGINT in PostgreSQL's schema (its INTEGER has 32
 *     bits). An integer overflow is an error there, not a real as in SQLite.
 *   - Integer division and CAST(real AS INTEGER) differ (PostgreSQL rounds a
 *     cast, SQLite truncates): cast only whole numbers.
 *   - A column of a row read as text is valid until the next step, reset or
 *     finalize of its statement (as in SQLite).
 *
 * Transactions: dbi_begin is BEGIN IMMEDIATE in SQLite (one writer at a
 * time) and BEGIN ISOLATION LEVEL REPEATABLE READ in PostgreSQL: one snapshot
 * for the whole transaction, as a SQLite transaction reads; a write that
 * collides with another transaction's commit fails with ERR_BUSY and the
 * caller retries the whole transaction, as it would after SQLite's busy
 * timeout. Savepoints are plain SQL in both (SAVEPOINT s, ROLLBACK TO s,
 * RELEASE s) through dbi_exec or prepared. On PostgreSQL a prepared RELEASE
 * stepped inside a transaction goes to the server with the next statement,
 * in front of it (a round trip fewer a savepoint): its error, if any, is
 * that statement's. In PostgreSQL an error inside a transaction aborts it
 * until ROLLBACK or ROLLBACK TO a savepoint; code that goes on
 * after an error inside a transaction must use a savepoint (plan_subject does).
 *
 * Result sets on PostgreSQL: inside a transaction a query (SELECT, VALUES)
 * runs as a server-side cursor read 1000 rows at a time, so a walk over a
 * large table keeps bounded memory and other statements can run on the same
 * connection between its rows (nesting). Once a statement's runs have all
 * been small (under 100 rows, read to the end) it is read whole in one round
 * trip; a run that is large after all is still read whole that once, and
 * the statement is a cursor again from then on. Outside a transaction there
 * is no cursor: the whole result is read at the first step (still nestable,
 * but memory grows with the result), so large walks belong in a
 * transaction; so do WITH queries and statements that change rows (also
 * with RETURNING), which are always read whole. A cursor ends with its
 * transaction and with a ROLLBACK TO a savepoint taken before it: a walk
 * that goes on past that gets its rows already fetched, then an error.
 *
 * Errors: every failure fills struct err with what failed (the statement's
 * first words) and the engine's message, never its detail (PostgreSQL's
 * DETAIL repeats key values, which may be personal data). Codes: ERR_BUSY for
 * lock and serialization conflicts (SQLITE_BUSY/LOCKED; SQLSTATE 40001,
 * 40P01, 55P03) the caller may retry, ERR_IO when the PostgreSQL connection
 * is lost (reconnecting is the owner's task), ERR_NOMEM, ERR_INVALID for SQL
 * the layer cannot translate or a bad parameter index, else ERR_DB (also a
 * unique or foreign key violation).
 */
#ifndef BACKAD_DBI_H
#define BACKAD_DBI_H

#include "err.h"

struct sqlite3;  /* sqlite3.h's sqlite3 */
struct pg_conn;  /* libpq-fe.h's PGconn */

struct dbi;
struct dbi_stmt;

enum dbi_backend { DBI_SQLITE = 1, DBI_PG = 2 };

/* Step results: a row is ready, or the statement has finished. */
enum { DBI_ROW = 100, DBI_DONE = 101 };

/* Wrap a connection the caller opened (db_open for SQLite; PQconnectdb for
 * PostgreSQL, which must be CONNECTION_OK). The caller keeps owning the
 * handle and closes it after dbi_free. 0 or ERR_NOMEM. */
int dbi_from_sqlite(struct sqlite3 *db, struct dbi **out, struct err *e);
int dbi_from_pg(struct pg_conn *conn, struct dbi **out, struct err *e);
/* Free the layer's state; every statement must be finalized before. */
void dbi_free(struct dbi *db);
/* Hand the engine's handle to the layer: dbi_free then closes it too
 * (sqlite3_close, PQfinish). db_open's connections are owned. */
void dbi_own(struct dbi *db);

/* The engine's handle under db, or NULL when db is on the other engine: for
 * what only one engine has (SQLite's pragmas, functions and busy handler;
 * PostgreSQL's LISTEN, COPY and connection state). */
struct sqlite3 *dbi_sqlite(struct dbi *db);
struct pg_conn *dbi_pg(struct dbi *db);

enum dbi_backend dbi_backend(const struct dbi *db);

/* Prepare one statement (sql in SQLite's spelling; rewritten for
 * PostgreSQL and prepared there under a name of its own). *st is NULL on
 * error and finalized by the caller otherwise. */
int dbi_prepare(struct dbi *db, const char *sql, struct dbi_stmt **st, struct err *e);

/* Bind parameter idx (1-based, ?1 is 1) of a statement just prepared or
 * reset (as in SQLite, not between its steps). Text is copied; s NULL binds
 * NULL. Bindings survive dbi_reset. 0, or ERR_INVALID for an index out of
 * range or a statement not reset, ERR_NOMEM. */
int dbi_bind_int64(struct dbi_stmt *st, int idx, long long v);
int dbi_bind_text(struct dbi_stmt *st, int idx, const char *s);
int dbi_bind_null(struct dbi_stmt *st, int idx);

/* Run or advance: DBI_ROW, DBI_DONE or a negative error code. After DBI_DONE
 * or an error the statement must be reset before it runs again. */
int dbi_step(struct dbi_stmt *st, struct err *e);

/* Columns of the current row (0-based). NULL reads as 0, 0.0 and NULL. */
long long dbi_column_int64(struct dbi_stmt *st, int col);
int dbi_column_int(struct dbi_stmt *st, int col);
double dbi_column_double(struct dbi_stmt *st, int col);
const char *dbi_column_text(struct dbi_stmt *st, int col);
int dbi_column_is_null(struct dbi_stmt *st, int col);
int dbi_column_count(struct dbi_stmt *st);

/* Make the statement ready to run again, keeping its bindings. */
void dbi_reset(struct dbi_stmt *st);
/* Free it (NULL is fine); on PostgreSQL also DEALLOCATE its server side. */
void dbi_finalize(struct dbi_stmt *st);

/* Rows inserted, updated or deleted by the last such statement finished. */
long long dbi_changes(struct dbi *db);

/* Run one or more statements without parameters or results. */
int dbi_exec(struct dbi *db, const char *sql, struct err *e);

int dbi_begin(struct dbi *db, struct err *e); /* see "Transactions" above */
/* A transaction whose writes travel together, for one that must be short
 * (a delivery result, recorded while the server has the message): on
 * PostgreSQL its BEGIN and the statements that change rows and return none
 * (INSERT, UPDATE, DELETE without RETURNING) are kept and sent in one round
 * trip with the next statement that returns rows (read whole, never a
 * cursor) or with the COMMIT. They run in order as ever; a failure of one
 * is returned by that statement or by dbi_commit (then dbi_rollback as
 * usual), and dbi_changes is not known before. SQLite: dbi_begin. */
int dbi_begin_batch(struct dbi *db, struct err *e);
int dbi_commit(struct dbi *db, struct err *e);
void dbi_rollback(struct dbi *db);            /* safe when no transaction is open */
int dbi_in_transaction(struct dbi *db);

/* The PostgreSQL spelling of sql, malloc'd into *out (freed by the caller);
 * *nparams is the highest parameter number. 0, ERR_INVALID (e says where)
 * or ERR_NOMEM. Used by the PostgreSQL backend; public for its tests. */
int dbi_sql_rewrite(const char *sql, char **out, int *nparams, struct err *e);

#endif
