/* pg_listen.h - hearing the fact triggers' NOTIFY on PostgreSQL: a
 * connection of the daemon's own LISTENs on PG_FACTS_CHANNEL; its socket is
 * one more descriptor in the daemon's poll() set, never a blocking wait.
 * The notifications only wake a pass: what changed is read from
 * fact_change, so how many came (or whether some were merged) does not
 * matter, and one that arrives during a pass stays readable on the socket
 * and wakes the next. */
#ifndef BACKAD_PG_LISTEN_H
#define BACKAD_PG_LISTEN_H

#include "config.h"
#include "err.h"

struct pg_conn; /* libpq-fe.h's PGconn */

struct pg_listen {
	struct pg_conn *conn;
	int fd;              /* for poll(), -1 when closed */
};

/* Connect to conninfo (pg_connect: cfg's password file, may be NULL) and
 * LISTEN. 0, or a negative code (ERR_IO: the server cannot be reached). */
int pg_listen_open(struct pg_listen *l, const struct config *cfg, const char *conninfo,
		   struct err *e);
/* Read what the socket holds without waiting: how many notifications came
 * (0: none yet), or ERR_IO when the connection is lost. */
int pg_listen_drain(struct pg_listen *l, struct err *e);
void pg_listen_close(struct pg_listen *l);

#endif
