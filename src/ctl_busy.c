/* ctl_busy.c - backactl's word, on PostgreSQL, that it waits for a row lock.
 *
 * SQLite calls a busy handler while a connection waits for the write lock;
 * libpq blocks in its call and tells nothing. So a thread of the command's
 * own looks, after a second, at what the command's server process waits for
 * (pg_stat_activity, on a second connection of the same user) every 200 ms,
 * and prints the message once when it is a lock. How long the command may
 * wait is the connection's lock_timeout (ctl.c), never forever. Written by
 * hand: libpq has no wait notification, and this is a few dozen lines. */
#include "ctl_busy.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg_conn.h"

struct ctl_busy {
	const struct config *cfg;
	const char *database;
	const char *msg;
	int pid;             /* the watched connection's server process */
	int stop;            /* under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* signalled by ctl_busy_stop */
	pthread_t thread;
};

/* Sleep ms or until stopped; 1 when stopped. */
static int nap(struct ctl_busy *b, long ms)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->mu);
	while (!b->stop && pthread_cond_timedwait(&b->cv, &b->mu, &until) == 0)
		;
	stop = b->stop;
	pthread_mutex_unlock(&b->mu);
	return stop;
}

static void *watch(void *arg)
{
	struct ctl_busy *b = arg;
	struct err e = { 0 };
	PGconn *pg = NULL;
	char pid[16];
	const char *params[1] = { pid };

	if (nap(b, 1000) || pg_connect(b->cfg, b->database, &pg, &e) < 0)
		goto out;
	snprintf(pid, sizeof pid, "%d", b->pid);
	do {
		PGresult *res = PQexecParams(pg, "SELECT 1 FROM pg_stat_activity WHERE pid = $1::int"
					     " AND wait_event_type = 'Lock'", 1, NULL, params,
					     NULL, NULL, 0);
		int waiting = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
		int failed = PQresultStatus(res) != PGRES_TUPLES_OK;

		PQclear(res);
		if (waiting)
			fputs(b->msg, stderr);
		if (waiting || failed)
			break;
	} while (!nap(b, 200));
out:
	PQfinish(pg);
	return NULL;
}

int ctl_busy_start(const struct config *cfg, const char *database, struct dbi *db,
		   const char *msg, struct ctl_busy **out, struct err *e)
{
	struct ctl_busy *b;
	pthread_condattr_t ca;

	*out = NULL;
	if (!dbi_pg(db))
		return 0;
	b = calloc(1, sizeof *b);
	if (!b)
		return err_set(e, ERR_NOMEM, "out of memory");
	b->cfg = cfg;
	b->database = database;
	b->msg = msg;
	b->pid = PQbackendPID(dbi_pg(db));
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&b->thread, NULL, watch, b) != 0) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		free(b);
		return err_set(e, ERR_NOMEM, "cannot start a thread");
	}
	*out = b;
	return 0;
}

void ctl_busy_stop(struct ctl_busy *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
