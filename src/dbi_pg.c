/* dbi_pg.c - the dbi layer on a libpq connection: named prepared statements,
 * text parameters and results, and server-side cursors for queries inside a
 * transaction so that walks nest and stay bounded in memory.
 *
 * Round trips are what PostgreSQL costs, so the layer saves them. A query in
 * a transaction is DECLARE then FETCH 1000 at a time until its runs have
 * shown it small (every run under 100 rows, none cut short); from then on it
 * is one PQexecPrepared, read whole. An exhausted cursor is closed later: its
 * CLOSE goes in front of the next dbi_exec (the same round trip), or with
 * others once 32 wait; a finalized statement's DEALLOCATE waits the same
 * way. Cursors the server closed itself (at the end of the transaction, at
 * ROLLBACK TO a savepoint taken before them) are never closed again: the
 * layer forgets its cursors when the transaction ends and asks pg_cursors
 * after a ROLLBACK TO.
 *
 * A prepared RELEASE of a savepoint inside a transaction waits too, for the
 * next round trip: it goes in front of the next dbi_exec or transaction command
 * (the planner's "RELEASE subject" with the next subject's "SAVEPOINT
 * subject": one round trip a subject instead of two), and alone, first,
 * before any other statement, so that nothing runs, and nothing can fail,
 * between the RELEASE and what came before it. Its error, if ever (a
 * savepoint that is not there), is that of the command it went with.
 *
 * A finalized statement stays prepared on the server for the next prepare
 * of the same SQL on the connection (up to PG_CACHE of them, the least
 * recently used deallocated first): the planner and delivery prepare the
 * same few hundred statements each pass and each message, and a prepare is
 * a round trip of its own.
 *
 * A batch transaction (dbi_begin_batch) keeps its BEGIN and its writes that
 * return nothing and sends them in libpq's pipeline mode with the next
 * statement that returns rows, or with the COMMIT: a delivery result and
 * the next message's start are one round trip. The CLOSE and DEALLOCATE
 * commands kept back wait until the batch is over (a statement it queued
 * may be one of them). */
#include "dbi_backend.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pg_conn.h"
#include "strbuf.h"

#define PG_BATCH 1000      /* rows per FETCH */
#define PG_SMALL 100       /* a query that never returned more is read whole */
#define PG_PENDING_MAX 32  /* CLOSE and DEALLOCATE commands kept back */
#define PG_NAME 32
#define PG_CACHE 512       /* finalized statements kept prepared */
#define BOOLOID 16         /* pg_type.oid of boolean */

enum pg_kind { K_QUERY, K_TXN, K_OTHER };
enum pg_state { S_FRESH, S_RUN, S_DONE };

struct pg_stmt;

/* A write of a batch transaction, not yet sent: its prepared statement and
 * a copy of its parameters. */
struct pg_queued {
	char name[PG_NAME];
	char label[80];
	int nparams;
	char **params;
};

/* A statement prepared on the server under name, for sql (PostgreSQL's
 * spelling); in_use while a pg_stmt holds it. */
struct pg_cached {
	char *sql;
	unsigned long hash, used;
	char name[PG_NAME];
	int in_use;
};

struct pg_db {
	struct dbi base;
	PGconn *conn;
	long long changes;
	unsigned long seq;       /* for statement and cursor names */
	struct pg_stmt *cursors; /* statements whose cursor is open, not exhausted */
	struct strbuf closes;    /* "CLOSE c;" of exhausted cursors */
	struct strbuf deallocs;  /* "DEALLOCATE s;" of finalized statements */
	struct strbuf releases;  /* "RELEASE s;" not sent yet (in a transaction) */
	int npending;
	struct pg_cached *cache; /* PG_CACHE slots, sql NULL when free */
	unsigned long tick;      /* for least recently used */
	int batch;               /* in a batch transaction (dbi_begin_batch) */
	int begin_due;           /* its BEGIN not yet sent */
	struct pg_queued *queue; /* its writes not yet sent */
	int nqueue, capqueue;
};

struct pg_stmt {
	struct dbi_stmt base;
	char name[PG_NAME];    /* the prepared statement's */
	char cursor[PG_NAME];  /* the open cursor's, "" when none */
	char label[80];        /* the SQL's first words, for errors */
	char *sql;             /* PostgreSQL's spelling */
	int cached;            /* its slot in the connection's cache, or -1 */
	int nparams;
	char **params;         /* text or NULL, nparams of them */
	enum pg_kind kind;
	enum pg_state state;
	PGresult *res;
	int row, nrows, more;  /* more: the cursor may have rows left */
	int gone;              /* the server closed the cursor before its end */
	long run_rows;         /* rows of this run so far */
	long max_rows;         /* the most rows of a finished run */
	int runs;              /* runs finished */
	struct pg_stmt *next_cursor;
};

#define PG_DB(d) ((struct pg_db *)(d))
#define PG_ST(s) ((struct pg_stmt *)(s))

static int pg_fail(struct pg_db *d, const PGresult *res, const char *label, struct err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[400];
	int code = ERR_DB;

	if (PQstatus(d->conn) == CONNECTION_BAD)
		code = ERR_IO;
	else if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
			   !strcmp(state, "55P03")))
		code = ERR_BUSY;
	else if (!res)
		code = ERR_NOMEM;
	/* The first line only (later ones are DETAIL, which can name values),
	 * and nothing of a row's data (pg_result_text). */
	pg_result_text(res, d->conn, msg, sizeof msg);
	if (code == ERR_IO)
		return err_set(e, code, "statement \"%s\": connection to the database lost: %s",
			       label, msg);
	return err_set(e, code, "statement \"%s\": %s", label, msg);
}

static int pg_in_tx(struct pg_db *d)
{
	return PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
}

/* The first word of sql, upper-cased into buf. */
static void first_word(const char *sql, char *buf, size_t size)
{
	size_t n = 0;

	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '(')
		sql++;
	while (n + 1 < size && ((*sql >= 'a' && *sql <= 'z') || (*sql >= 'A' && *sql <= 'Z')))
		buf[n++] = (char)(*sql++ & ~0x20);
	buf[n] = '\0';
}

static enum pg_kind kind_of(const char *sql)
{
	char w[16];

	first_word(sql, w, sizeof w);
	if (!strcmp(w, "SELECT") || !strcmp(w, "VALUES"))
		return K_QUERY;
	if (!strcmp(w, "BEGIN") || !strcmp(w, "START") || !strcmp(w, "COMMIT") ||
	    !strcmp(w, "END") || !strcmp(w, "ROLLBACK") || !strcmp(w, "ABORT") ||
	    !strcmp(w, "SAVEPOINT") || !strcmp(w, "RELEASE"))
		return K_TXN;
	return K_OTHER;
}

/* Does sql end the whole transaction, so that every cursor goes with it?
 * COMMIT, END, ABORT, ROLLBACK [WORK|TRANSACTION] without TO. */
static int ends_transaction(const char *sql)
{
	char w[16];

	first_word(sql, w, sizeof w);
	if (!strcmp(w, "COMMIT") || !strcmp(w, "END") || !strcmp(w, "ABORT"))
		return 1;
	if (strcmp(w, "ROLLBACK") != 0)
		return 0;
	sql = strcasestr(sql, "ROLLBACK") + 8;
	for (;;) {
		sql += strspn(sql, " \t\n");
		first_word(sql, w, sizeof w);
		if (strcmp(w, "WORK") != 0 && strcmp(w, "TRANSACTION") != 0)
			return strcmp(w, "TO") != 0;
		sql += strlen(w);
	}
}

/* Does sql start a transaction (nothing may run before it in its round trip)? */
static int starts_transaction(const char *sql)
{
	char w[16];

	first_word(sql, w, sizeof w);
	return !strcmp(w, "BEGIN") || !strcmp(w, "START");
}

static void unlink_cursor(struct pg_db *d, struct pg_stmt *st)
{
	struct pg_stmt **pp;

	for (pp = &d->cursors; *pp; pp = &(*pp)->next_cursor) {
		if (*pp == st) {
			*pp = st->next_cursor;
			break;
		}
	}
	st->next_cursor = NULL;
	st->cursor[0] = '\0';
}

/* The server closed st's cursor with rows still to read: its next step
 * says so rather than end the walk early. */
static void cursor_gone(struct pg_db *d, struct pg_stmt *st)
{
	unlink_cursor(d, st);
	st->gone = st->more;
	st->more = 0;
}

/* The transaction ended: the server dropped every cursor. */
static void forget_cursors(struct pg_db *d)
{
	while (d->cursors)
		cursor_gone(d, d->cursors);
	sb_reset(&d->closes);
}

/* After sql ran (a ROLLBACK TO, a COMMIT): keep only the cursors the
 * server still has. */
static void sync_cursors(struct pg_db *d, const char *sql)
{
	struct pg_stmt *st, *next;
	PGresult *res;
	int i, found;

	if (!d->cursors || (pg_in_tx(d) && !strcasestr(sql, "ROLLBACK") &&
			    !strcasestr(sql, "COMMIT") && !strcasestr(sql, "END")))
		return;
	if (PQtransactionStatus(d->conn) != PQTRANS_INTRANS) {
		if (PQtransactionStatus(d->conn) == PQTRANS_IDLE)
			forget_cursors(d);
		return;
	}
	res = PQexec(d->conn, "SELECT name FROM pg_cursors");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return;
	}
	for (st = d->cursors; st; st = next) {
		next = st->next_cursor;
		for (found = 0, i = 0; i < PQntuples(res) && !found; i++)
			found = strcmp(PQgetvalue(res, i, 0), st->cursor) == 0;
		if (!found)
			cursor_gone(d, st);
	}
	PQclear(res);
}

/* dbi_changes after a command that inserted, updated or deleted rows. */
static void note_changes(struct pg_db *d, PGresult *res)
{
	const char *tag = PQcmdStatus(res);

	if (!strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6))
		d->changes = atoll(PQcmdTuples(res));
}

/* The CLOSE and DEALLOCATE commands kept back, run now (in front of sql,
 * in the same round trip, when sql is given and may have company). */
static int run_pending(struct pg_db *d, const char *sql, const char *label, struct err *e)
{
	struct strbuf all = STRBUF_INIT;
	PGTransactionStatusType ts = PQtransactionStatus(d->conn);
	int r = 0, with = 0;
	PGresult *res;

	if (ts != PQTRANS_INTRANS) {
		sb_reset(&d->closes); /* gone with the transaction, or at its rollback */
		sb_reset(&d->releases);
	}
	if (ts != PQTRANS_INERROR && !(sql && starts_transaction(sql))) {
		sb_puts(&all, sb_str(&d->closes));
		sb_puts(&all, sb_str(&d->releases));
		sb_puts(&all, sb_str(&d->deallocs));
		with = 1;
	} else if (sql && starts_transaction(sql) && d->npending >= PG_PENDING_MAX) {
		r = run_pending(d, NULL, label, e);
		if (r < 0)
			return r;
	}
	if (sql)
		sb_puts(&all, sql);
	if (all.oom) {
		sb_free(&all);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (all.len > 0) {
		res = PQexec(d->conn, sb_str(&all));
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK)
			r = pg_fail(d, res, label, e);
		else if (sql)
			note_changes(d, res);
		PQclear(res);
	}
	if (with) {
		sb_reset(&d->closes);
		sb_reset(&d->releases);
		sb_reset(&d->deallocs);
		d->npending = 0;
	}
	sb_free(&all);
	return r;
}

/* The RELEASE commands kept back, sent before a statement that cannot
 * carry them (with the CLOSE and DEALLOCATE commands waiting). */
static int flush_releases(struct pg_db *d, const char *label, struct err *e)
{
	return d->releases.len ? run_pending(d, NULL, label, e) : 0;
}

/* Is sql "RELEASE [SAVEPOINT] name", which may wait for the next round trip? */
static int is_release(const char *sql)
{
	char w[16];

	first_word(sql, w, sizeof w);
	return !strcmp(w, "RELEASE") && !strchr(sql, ';');
}

static unsigned long sql_hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void deallocate(struct pg_db *d, const char *name)
{
	sb_printf(&d->deallocs, "DEALLOCATE %s;", name);
	if (++d->npending >= PG_PENDING_MAX && !d->batch)
		run_pending(d, NULL, "DEALLOCATE", NULL);
}

/* An idle statement prepared for sql: its slot (in use now) with its name
 * copied to name, or -1. */
static int cache_take(struct pg_db *d, const char *sql, char *name)
{
	unsigned long h = sql_hash(sql);

	for (int i = 0; d->cache && i < PG_CACHE; i++) {
		struct pg_cached *c = &d->cache[i];

		if (c->sql && !c->in_use && c->hash == h && strcmp(c->sql, sql) == 0) {
			c->in_use = 1;
			c->used = ++d->tick;
			memcpy(name, c->name, PG_NAME);
			return i;
		}
	}
	return -1;
}

/* Keep a statement just prepared: a free slot, else the least recently
 * used idle one (deallocated). Its slot, or -1 when every slot is in use or
 * memory is short (the statement is then deallocated at finalize). */
static int cache_put(struct pg_db *d, const char *sql, const char *name)
{
	int best = -1;
	char *copy;

	if (!d->cache && !(d->cache = calloc(PG_CACHE, sizeof *d->cache)))
		return -1;
	for (int i = 0; i < PG_CACHE; i++) {
		struct pg_cached *c = &d->cache[i];

		if (!c->sql) {
			best = i;
			break;
		}
		if (!c->in_use && (best < 0 || c->used < d->cache[best].used))
			best = i;
	}
	if (best < 0 || !(copy = strdup(sql)))
		return -1;
	if (d->cache[best].sql) {
		deallocate(d, d->cache[best].name);
		free(d->cache[best].sql);
	}
	d->cache[best] = (struct pg_cached){ .sql = copy, .hash = sql_hash(sql),
					     .used = ++d->tick, .in_use = 1 };
	memcpy(d->cache[best].name, name, PG_NAME);
	return best;
}

static int pg_prepare(struct dbi *db, const char *sql, struct dbi_stmt **out, struct err *e)
{
	struct pg_db *d = PG_DB(db);
	struct pg_stmt *st = calloc(1, sizeof *st);
	PGresult *res;
	int r;

	if (!st)
		return err_set(e, ERR_NOMEM, "out of memory");
	st->base.db = db;
	dbi_stmt_name(sql, st->label, sizeof st->label);
	r = dbi_sql_rewrite(sql, &st->sql, &st->nparams, e);
	if (r < 0) {
		err_prefix(e, "statement \"%s\"", st->label);
		goto fail;
	}
	st->kind = kind_of(st->sql);
	if (st->nparams && !(st->params = calloc(st->nparams, sizeof *st->params))) {
		r = err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	st->cached = cache_take(d, st->sql, st->name);
	if (st->cached >= 0) {
		*out = &st->base;
		return 0;
	}
	r = flush_releases(d, st->label, e);
	if (r < 0)
		goto fail;
	snprintf(st->name, sizeof st->name, "dbi_s%lu", ++d->seq);
	res = PQprepare(d->conn, st->name, st->sql, st->nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = pg_fail(d, res, st->label, e);
	PQclear(res);
	if (r < 0)
		goto fail;
	st->cached = cache_put(d, st->sql, st->name);
	*out = &st->base;
	return 0;
fail:
	free(st->params);
	free(st->sql);
	free(st);
	return r;
}

static int pg_bind(struct dbi_stmt *s, int idx, const char *text)
{
	struct pg_stmt *st = PG_ST(s);
	char *copy = NULL;

	/* As in SQLite: not between steps, so code tried on one engine binds
	 * the same way on the other. */
	if (idx < 1 || idx > st->nparams || st->state != S_FRESH)
		return ERR_INVALID;
	if (text && !(copy = strdup(text)))
		return ERR_NOMEM;
	free(st->params[idx - 1]);
	st->params[idx - 1] = copy;
	return 0;
}

static int pg_bind_int64(struct dbi_stmt *s, int idx, long long v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%lld", v);
	return pg_bind(s, idx, buf);
}

static int pg_bind_text(struct dbi_stmt *s, int idx, const char *text)
{
	return pg_bind(s, idx, text);
}

static int pg_bind_null(struct dbi_stmt *s, int idx)
{
	return pg_bind(s, idx, NULL);
}

/* Close the statement's cursor: at once when it still has rows (rare: a
 * walk stopped early), else kept back for the next round trip. */
static void close_cursor(struct pg_stmt *st)
{
	struct pg_db *d = PG_DB(st->base.db);
	char sql[PG_NAME + 8];

	if (!st->cursor[0])
		return;
	snprintf(sql, sizeof sql, "CLOSE %s;", st->cursor);
	unlink_cursor(d, st);
	if (!pg_in_tx(d))
		return;
	if (st->more) {
		flush_releases(d, st->label, NULL);
		PQclear(PQexec(d->conn, sql));
		st->more = 0;
		return;
	}
	sb_puts(&d->closes, sql);
	if (++d->npending >= PG_PENDING_MAX && !d->batch)
		run_pending(d, NULL, "CLOSE", NULL);
}

static int fetch(struct pg_stmt *st, struct err *e)
{
	struct pg_db *d = PG_DB(st->base.db);
	char sql[PG_NAME + 16];
	int r = flush_releases(d, st->label, e);

	PQclear(st->res);
	st->res = NULL;
	if (r < 0) {
		st->more = 0;
		return r;
	}
	snprintf(sql, sizeof sql, "FETCH %d FROM %s", PG_BATCH, st->cursor);
	st->res = PQexec(d->conn, sql);
	st->row = 0;
	st->nrows = 0;
	if (PQresultStatus(st->res) != PGRES_TUPLES_OK) {
		st->more = 0;
		return pg_fail(d, st->res, st->label, e);
	}
	st->nrows = PQntuples(st->res);
	st->run_rows += st->nrows;
	st->more = st->nrows == PG_BATCH;
	if (!st->more) {
		/* Exhausted: the rows are here, the cursor can go. */
		sb_printf(&d->closes, "CLOSE %s;", st->cursor);
		unlink_cursor(d, st);
		if (++d->npending >= PG_PENDING_MAX && !d->batch)
			run_pending(d, NULL, "CLOSE", NULL);
	}
	return 0;
}

static int start_cursor(struct pg_stmt *st, struct err *e)
{
	struct pg_db *d = PG_DB(st->base.db);
	struct strbuf decl = STRBUF_INIT;
	int r = flush_releases(d, st->label, e);

	if (r < 0)
		return r;
	snprintf(st->cursor, sizeof st->cursor, "dbi_c%lu", ++d->seq);
	sb_printf(&decl, "DECLARE %s NO SCROLL CURSOR FOR %s", st->cursor, st->sql);
	if (decl.oom) {
		st->cursor[0] = '\0';
		sb_free(&decl);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	st->res = PQexecParams(d->conn, sb_str(&decl), st->nparams, NULL,
			       (const char *const *)st->params, NULL, NULL, 0);
	sb_free(&decl);
	if (PQresultStatus(st->res) != PGRES_COMMAND_OK) {
		st->cursor[0] = '\0';
		return pg_fail(d, st->res, st->label, e);
	}
	st->next_cursor = d->cursors;
	d->cursors = st;
	r = fetch(st, e);
	return r;
}

static int start_whole(struct pg_stmt *st, struct err *e)
{
	struct pg_db *d = PG_DB(st->base.db);
	int r;

	st->row = st->nrows = 0;
	if (st->kind == K_TXN && !st->nparams) {
		/* No rows and no parameters: with the commands waiting, in one
		 * round trip; a RELEASE waits itself. */
		if (is_release(st->sql) && pg_in_tx(d))
			return sb_printf(&d->releases, "%s;", st->sql) < 0
				       ? err_set(e, ERR_NOMEM, "out of memory") : 0;
		if (ends_transaction(st->sql))
			forget_cursors(d);
		r = run_pending(d, st->sql, st->label, e);
		if (r == 0)
			sync_cursors(d, st->sql);
		return r;
	}
	if (st->kind == K_TXN) {
		if (ends_transaction(st->sql))
			forget_cursors(d);
		r = run_pending(d, NULL, st->label, e);
	} else {
		r = flush_releases(d, st->label, e);
	}
	if (r < 0)
		return r;
	st->res = PQexecPrepared(d->conn, st->name, st->nparams,
				 (const char *const *)st->params, NULL, NULL, 0);
	if (PQresultStatus(st->res) != PGRES_COMMAND_OK &&
	    PQresultStatus(st->res) != PGRES_TUPLES_OK)
		return pg_fail(d, st->res, st->label, e);
	note_changes(d, st->res);
	st->nrows = PQntuples(st->res);
	st->run_rows = st->nrows;
	st->row = 0;
	if (st->kind == K_TXN)
		sync_cursors(d, st->sql);
	return 0;
}

/* ---- batch transactions ---- */

static void queue_clear(struct pg_db *d)
{
	for (int i = 0; i < d->nqueue; i++) {
		for (int k = 0; k < d->queue[i].nparams; k++)
			free(d->queue[i].params[k]);
		free(d->queue[i].params);
	}
	d->nqueue = 0;
}

/* The batch is over (committed, rolled back, or failed: then it is an
 * ordinary transaction in error until its rollback). */
static void batch_end(struct pg_db *d)
{
	queue_clear(d);
	d->batch = 0;
	d->begin_due = 0;
}

/* May st wait in the batch's queue: a write that returns no rows? */
static int queueable(const struct pg_stmt *st)
{
	char w[16];

	if (st->kind != K_OTHER || strcasestr(st->sql, "RETURNING"))
		return 0;
	first_word(st->sql, w, sizeof w);
	return !strcmp(w, "INSERT") || !strcmp(w, "UPDATE") || !strcmp(w, "DELETE");
}

static int queue_add(struct pg_db *d, const struct pg_stmt *st, struct err *e)
{
	struct pg_queued *q;

	if (d->nqueue == d->capqueue) {
		int cap = d->capqueue ? d->capqueue * 2 : 16;

		q = realloc(d->queue, (size_t)cap * sizeof *q);
		if (!q)
			return err_set(e, ERR_NOMEM, "out of memory");
		d->queue = q;
		d->capqueue = cap;
	}
	q = &d->queue[d->nqueue];
	memset(q, 0, sizeof *q);
	memcpy(q->name, st->name, PG_NAME);
	memcpy(q->label, st->label, sizeof q->label);
	if (st->nparams && !(q->params = calloc((size_t)st->nparams, sizeof *q->params)))
		return err_set(e, ERR_NOMEM, "out of memory");
	q->nparams = st->nparams;
	for (int k = 0; k < st->nparams; k++) {
		if (st->params[k] && !(q->params[k] = strdup(st->params[k]))) {
			for (int j = 0; j < k; j++)
				free(q->params[j]);
			free(q->params);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	d->nqueue++;
	return 0;
}

/* Read the results of n commands sent in pipeline mode, and the sync. The
 * first failure goes into e (label of its command); the result of command
 * keep (-1: none) is returned in *kept, the last write's counts noted. */
static int pipe_read(struct pg_db *d, int n, const char *const *labels, int keep,
		     PGresult **kept, struct err *e)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		PGresult *res = PQgetResult(d->conn);
		ExecStatusType st;

		if (!res) {
			if (r == 0)
				r = pg_fail(d, NULL, labels[i], e);
			return r; /* the connection failed: nothing more comes */
		}
		st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			if (r == 0)
				r = st == PGRES_PIPELINE_ABORTED
					? err_set(e, ERR_DB, "statement \"%s\": not run after a failure",
						  labels[i])
					: pg_fail(d, res, labels[i], e);
			PQclear(res);
		} else if (i == keep) {
			*kept = res;
		} else {
			note_changes(d, res);
			PQclear(res);
		}
		/* Each command's results end with a NULL. */
		while ((res = PQgetResult(d->conn)) != NULL)
			PQclear(res);
	}
	for (;;) {
		PGresult *res = PQgetResult(d->conn);

		if (!res)
			break;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	return r;
}

/* Send what the batch kept (its BEGIN, its writes), then st (a statement
 * with rows; its result into st->res) or the transaction command tail
 * (COMMIT), in one round trip. */
static int pipe_flush(struct pg_db *d, struct pg_stmt *st, const char *tail, struct err *e)
{
	const char **labels = calloc((size_t)d->nqueue + 3, sizeof *labels);
	PGresult *kept = NULL;
	int n = 0, ok = 1, keep = -1, r;

	if (!labels)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!PQenterPipelineMode(d->conn)) {
		free(labels);
		return pg_fail(d, NULL, st ? st->label : "BEGIN", e);
	}
	if (d->begin_due) {
		labels[n++] = "BEGIN";
		ok = PQsendQueryParams(d->conn, dbi_pg_ops.begin_sql, 0, NULL, NULL, NULL, NULL, 0);
	}
	for (int i = 0; ok && i < d->nqueue; i++) {
		labels[n++] = d->queue[i].label;
		ok = PQsendQueryPrepared(d->conn, d->queue[i].name, d->queue[i].nparams,
					 (const char *const *)d->queue[i].params, NULL, NULL, 0);
	}
	if (ok && st) {
		keep = n;
		labels[n++] = st->label;
		ok = PQsendQueryPrepared(d->conn, st->name, st->nparams,
					 (const char *const *)st->params, NULL, NULL, 0);
	}
	if (ok && tail) {
		labels[n++] = tail;
		ok = PQsendQueryParams(d->conn, tail, 0, NULL, NULL, NULL, NULL, 0);
	}
	if (ok)
		ok = PQpipelineSync(d->conn);
	r = ok ? pipe_read(d, n, labels, keep, &kept, e) : pg_fail(d, NULL, labels[n - 1], e);
	PQexitPipelineMode(d->conn);
	free(labels);
	queue_clear(d);
	d->begin_due = 0;
	if (r < 0) {
		PQclear(kept);
		batch_end(d);
		return r;
	}
	if (st) {
		st->res = kept;
		note_changes(d, kept);
	}
	return 0;
}

static int pg_begin_batch(struct dbi *db, struct err *e)
{
	struct pg_db *d = PG_DB(db);

	if (d->batch || PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		return err_set(e, ERR_INVALID, "a batch transaction inside a transaction");
	d->batch = 1;
	d->begin_due = 1;
	return 0;
}

/* A statement of a batch transaction: a write waits in the queue; anything
 * else goes with the queue, read whole. */
static int batch_step(struct pg_stmt *st, struct err *e)
{
	struct pg_db *d = PG_DB(st->base.db);
	int r;

	if (queueable(st)) {
		st->nrows = st->run_rows = 0;
		return queue_add(d, st, e);
	}
	r = pipe_flush(d, st, NULL, e);
	if (r < 0)
		return r;
	st->nrows = PQntuples(st->res);
	st->run_rows = st->nrows;
	st->row = 0;
	return 0;
}

/* dbi_exec in a batch transaction: its end, or a command run after what
 * the batch kept. 1 when sql was handled here. */
static int batch_exec(struct pg_db *d, const char *sql, struct err *e, int *handled)
{
	char w[16];
	int r;

	*handled = 0;
	if (!d->batch)
		return 0;
	first_word(sql, w, sizeof w);
	if (ends_transaction(sql) && strcmp(w, "ROLLBACK") && strcmp(w, "ABORT")) {
		*handled = 1;
		/* Nothing sent and nothing kept: nothing to commit. */
		r = d->begin_due && !d->nqueue ? 0 : pipe_flush(d, NULL, "COMMIT", e);
		batch_end(d);
		return r;
	}
	if (ends_transaction(sql) && d->begin_due) {
		*handled = 1; /* nothing reached the server */
		batch_end(d);
		return 0;
	}
	if (ends_transaction(sql)) {
		batch_end(d);
		return 0; /* the ROLLBACK itself runs as ever */
	}
	r = pipe_flush(d, NULL, NULL, e);
	if (r < 0)
		*handled = 1;
	return r;
}

static void pg_reset(struct dbi_stmt *s)
{
	struct pg_stmt *st = PG_ST(s);

	if (st->state != S_FRESH) {
		/* How large was this run? Known when all its rows came. */
		if (st->more || st->gone)
			st->max_rows = st->max_rows > PG_SMALL ? st->max_rows : PG_SMALL;
		else if (st->run_rows > st->max_rows)
			st->max_rows = st->run_rows;
		st->runs++;
	}
	close_cursor(st);
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = st->more = st->gone = 0;
	st->state = S_FRESH;
}

/* A query inside a transaction is a cursor, so that memory stays bounded,
 * until its runs have shown it small: a point query then takes one round
 * trip and its prepared plan. A run cut short counts as large. */
static int use_cursor(const struct pg_stmt *st)
{
	if (st->kind != K_QUERY || !pg_in_tx(PG_DB(st->base.db)))
		return 0;
	return st->runs == 0 || st->max_rows >= PG_SMALL;
}

static int pg_step(struct dbi_stmt *s, struct err *e)
{
	struct pg_stmt *st = PG_ST(s);
	int r;

	if (st->state == S_DONE)
		pg_reset(s);
	if (st->state == S_FRESH) {
		st->state = S_RUN;
		st->run_rows = 0;
		if (PG_DB(s->db)->batch)
			r = batch_step(st, e);
		else if (use_cursor(st))
			r = start_cursor(st, e);
		else
			r = start_whole(st, e);
		if (r < 0)
			goto fail;
		if (st->nrows > 0)
			return DBI_ROW;
		goto done;
	}
	if (++st->row < st->nrows)
		return DBI_ROW;
	if (st->gone) {
		r = err_set(e, ERR_DB, "statement \"%s\": its rows ended with the transaction or "
			    "savepoint it was read in", st->label);
		goto fail;
	}
	if (st->cursor[0] && st->more) {
		r = fetch(st, e);
		if (r < 0)
			goto fail;
		if (st->nrows > 0)
			return DBI_ROW;
	}
done:
	st->state = S_DONE;
	return DBI_DONE;
fail:
	st->state = S_DONE;
	st->nrows = 0;
	return r;
}

static const char *value(struct pg_stmt *st, int col)
{
	if (!st->res || st->row >= st->nrows || col < 0 || col >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

static long long pg_column_int64(struct dbi_stmt *s, int col)
{
	const char *v = value(PG_ST(s), col);
	char *end;
	long long n;

	if (!v)
		return 0;
	if (PQftype(PG_ST(s)->res, col) == BOOLOID)
		return v[0] == 't';
	n = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return n; /* out of range saturates, as in SQLite */
	/* A numeric or float: truncated toward zero, as SQLite does. */
	return (long long)strtod(v, NULL);
}

static double pg_column_double(struct dbi_stmt *s, int col)
{
	const char *v = value(PG_ST(s), col);

	if (!v)
		return 0.0;
	if (PQftype(PG_ST(s)->res, col) == BOOLOID)
		return v[0] == 't';
	return strtod(v, NULL);
}

static const char *pg_column_text(struct dbi_stmt *s, int col)
{
	return value(PG_ST(s), col);
}

static int pg_column_is_null(struct dbi_stmt *s, int col)
{
	return value(PG_ST(s), col) == NULL;
}

static int pg_column_count(struct dbi_stmt *s)
{
	struct pg_stmt *st = PG_ST(s);
	PGresult *res;
	int n;

	if (st->res)
		return PQnfields(st->res);
	if (flush_releases(PG_DB(s->db), st->label, NULL) < 0)
		return 0;
	res = PQdescribePrepared(PG_DB(s->db)->conn, st->name);
	n = PQresultStatus(res) == PGRES_COMMAND_OK ? PQnfields(res) : 0;
	PQclear(res);
	return n;
}

static void pg_finalize(struct dbi_stmt *s)
{
	struct pg_stmt *st = PG_ST(s);
	struct pg_db *d = PG_DB(s->db);
	int i;

	pg_reset(s);
	if (st->cached >= 0)
		d->cache[st->cached].in_use = 0; /* kept for the next prepare of its SQL */
	else
		deallocate(d, st->name);
	for (i = 0; i < st->nparams; i++)
		free(st->params[i]);
	free(st->params);
	free(st->sql);
	free(st);
}

static long long pg_changes(struct dbi *db)
{
	return PG_DB(db)->changes;
}

static int pg_exec_text(struct dbi *db, const char *sql, struct err *e)
{
	struct pg_db *d = PG_DB(db);
	char label[80];
	char *pgsql = NULL;
	int n, r, handled = 0;

	dbi_stmt_name(sql, label, sizeof label);
	r = dbi_sql_rewrite(sql, &pgsql, &n, e);
	if (r == 0 && n > 0)
		r = err_set(e, ERR_INVALID, "parameters need dbi_prepare");
	if (r < 0) {
		err_prefix(e, "statement \"%s\"", label);
		goto out;
	}
	r = batch_exec(d, pgsql, e, &handled);
	if (r < 0 || handled)
		goto out;
	if (ends_transaction(pgsql))
		forget_cursors(d);
	r = run_pending(d, pgsql, label, e);
	sync_cursors(d, pgsql);
out:
	free(pgsql);
	return r;
}

static int pg_in_transaction(struct dbi *db)
{
	return PG_DB(db)->batch || PQtransactionStatus(PG_DB(db)->conn) != PQTRANS_IDLE;
}

static void pg_free(struct dbi *db)
{
	struct pg_db *d = PG_DB(db);

	if (PQstatus(d->conn) == CONNECTION_OK)
		run_pending(d, NULL, "DEALLOCATE", NULL);
	sb_free(&d->closes);
	sb_free(&d->releases);
	sb_free(&d->deallocs);
	queue_clear(d);
	free(d->queue);
	for (int i = 0; d->cache && i < PG_CACHE; i++)
		free(d->cache[i].sql);
	free(d->cache);
	if (db->owned)
		PQfinish(d->conn);
	free(d);
}

static void *pg_handle(struct dbi *db)
{
	return PG_DB(db)->conn;
}

const struct dbi_ops dbi_pg_ops = {
	.backend = DBI_PG,
	.prepare = pg_prepare,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.column_is_null = pg_column_is_null,
	.column_count = pg_column_count,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.changes = pg_changes,
	.exec = pg_exec_text,
	.begin_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	.begin_batch = pg_begin_batch,
	.in_transaction = pg_in_transaction,
	.free = pg_free,
	.handle = pg_handle,
};

int dbi_from_pg(PGconn *conn, struct dbi **out, struct err *e)
{
	struct pg_db *d = calloc(1, sizeof *d);

	*out = NULL;
	if (!d)
		return err_set(e, ERR_NOMEM, "out of memory");
	d->base.ops = &dbi_pg_ops;
	d->conn = conn;
	*out = &d->base;
	return 0;
}
