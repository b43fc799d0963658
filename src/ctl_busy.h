/* ctl_busy.h - on PostgreSQL, telling the admin once that backactl waits for
 * a row lock another connection holds (SQLite's busy handler does it there). */
#ifndef BACKAD_CTL_BUSY_H
#define BACKAD_CTL_BUSY_H

#include "config.h"
#include "dbi.h"
#include "err.h"

struct ctl_busy;

/* Watch db's server process from a thread of its own: once db has waited
 * for a lock (pg_stat_activity's wait_event_type 'Lock') when more than a
 * second has passed, print msg to stderr, once. The watch opens a second
 * connection (cfg, database) only after that second, so a command that ends
 * sooner costs a thread and nothing on the server. 0 or a negative code. */
int ctl_busy_start(const struct config *cfg, const char *database, struct dbi *db,
		   const char *msg, struct ctl_busy **out, struct err *e);
/* Stop the watch and close its connection (NULL is fine). */
void ctl_busy_stop(struct ctl_busy *b);

#endif
