/* lock.h - one delivering process per case database. A process that
 * delivers holds an exclusive flock(2) on DATABASE.lock, which the kernel
 * drops when the process ends however it ends; the file says who holds it.
 * Claims in the outbox carry the holder's owner name ("pid@boot-id"), so a
 * process that holds the lock knows every other owner's claims are left
 * over from a process that is gone. SQLite only: on PostgreSQL several
 * daemons deliver together and one plans (leader.h). */
#ifndef BACKAD_LOCK_H
#define BACKAD_LOCK_H

#include <sys/types.h>

#include "err.h"

/* Try to take the lock of database path: 1 taken (*fd holds it), 0 held by
 * another process (*holder its pid, or 0 if unknown), or a negative code. */
int instance_lock(const char *db_path, int *fd, long *holder, struct err *e);
/* Give it back. */
void instance_unlock(int fd);

/* This process's owner name for claims: "PID@BOOT-ID/PID-NAMESPACE"
 * ("PID@unknown" when either cannot be read). */
const char *instance_owner(void);

/* 1 when owner names a process of this host's current boot that no longer
 * runs (so its claims are left over), else 0: another host's, another
 * boot's or another PID namespace's process (a container: its pids are not
 * ours to look up), a running one, this process, or a name not of that form.
 * A pid taken again by a new process reads as running: its claims then wait
 * for their lease, the safe way to be wrong. */
int instance_gone(const char *owner);

#endif
