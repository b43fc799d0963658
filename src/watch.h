/* watch.h - noticing that another process committed to the case database,
 * without polling. SQLite: inotify on the database's directory wakes the
 * loop, and PRAGMA data_version (which changes only for other connections'
 * commits) tells a real change from backad's own writes. PostgreSQL: the
 * fact triggers' NOTIFY, heard on a connection of its own (pg_listen.h). */
#ifndef BACKAD_WATCH_H
#define BACKAD_WATCH_H

#include "config.h"
#include "dbi.h"
#include "err.h"
#include "pg_listen.h"

struct watch {
	int fd;              /* inotify or LISTEN descriptor for poll(), or -1 */
	struct dbi *db;
	struct pg_listen listen; /* PostgreSQL: the LISTEN connection */
	long long version;   /* SQLite: the last PRAGMA data_version seen */
	char base[256];      /* the database's file name */
	int settling;        /* an event came, the commit may not have */
};

/* Watch db, cfg's database. On PostgreSQL ERR_IO when the server cannot
 * be reached. */
int watch_open(struct watch *w, struct dbi *db, const struct config *cfg, struct err *e);
/* Drain pending events; 1 when another connection has committed since the
 * last call, 0 when not, or a negative code (ERR_IO: PostgreSQL's LISTEN
 * connection is lost). SQLite: an event comes with the first
 * write of a transaction, before its commit: when one came without a
 * change, w->settling is set and the caller looks again shortly
 * (watch_recheck) until WATCH_SETTLE_MS have passed. */
int watch_changed(struct watch *w, struct err *e);
/* Look at data_version again without an event (SQLite; 0 on PostgreSQL,
 * where a notification comes only with a commit). */
int watch_recheck(struct watch *w, struct err *e);

#define WATCH_RECHECK_MS 25
#define WATCH_SETTLE_MS 2000
void watch_close(struct watch *w);

#endif
