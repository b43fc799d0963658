/* pg_listen.c - LISTEN for the fact triggers' notifications (pg_listen.h). */
#include "pg_listen.h"

#include <libpq-fe.h>
#include <stdio.h>

#include "pg_conn.h"
#include "schema_pg.h"

/* The server's notices on this connection (its FATAL when it ends the
 * session) are not printed: a lost connection is reported as ERR_IO. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pg_listen_open(struct pg_listen *l, const struct config *cfg, const char *conninfo,
		   struct err *e)
{
	PGconn *c = NULL;
	int r;

	l->conn = NULL;
	l->fd = -1;
	r = pg_connect(cfg, conninfo, &c, e);
	if (r < 0)
		return r;
	PQsetNoticeProcessor(c, quiet, NULL);
	r = pg_exec(c, "LISTEN " PG_FACTS_CHANNEL, e);
	if (r == 0 && PQsetnonblocking(c, 1) != 0)
		r = err_set(e, ERR_IO, "LISTEN: cannot make the connection non-blocking");
	if (r < 0) {
		if (PQstatus(c) != CONNECTION_OK)
			r = ERR_IO;
		PQfinish(c);
		return r;
	}
	l->conn = c;
	l->fd = PQsocket(c);
	return 0;
}

int pg_listen_drain(struct pg_listen *l, struct err *e)
{
	PGnotify *n;
	char buf[300];
	int count = 0;

	if (!l->conn)
		return err_set(e, ERR_IO, "LISTEN: no connection");
	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
		return err_set(e, ERR_IO, "LISTEN %s: connection lost: %s", PG_FACTS_CHANNEL,
			       pg_error(l->conn, buf, sizeof buf));
	while ((n = PQnotifies(l->conn))) {
		count++;
		PQfreemem(n);
	}
	return count;
}

void pg_listen_close(struct pg_listen *l)
{
	if (l->conn)
		PQfinish(l->conn);
	l->conn = NULL;
	l->fd = -1;
}
