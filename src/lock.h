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

/* This process's owner name for claims:
 * "PID@BOOT-ID/PID-NAMESPACE/START" (START: when the process started, in
 * clock ticks since boot, so a pid taken again, or a container's pid 1 in
 * a namespace of the same number, names another owner); "PID@unknown" when
 * any of it cannot be read. */
const char *instance_owner(void);
/* The owner name of process pid of this host (0), or -1 with "PID@unknown"
 * when it cannot be told (no such process). */
int instance_owner_of(long pid, char *buf, size_t n);

/* Where owner runs, seen from this process. */
enum {
	INSTANCE_HERE,            /* this host, boot and PID namespace */
	INSTANCE_OTHER_NAMESPACE, /* this host and boot, another PID namespace */
	INSTANCE_ELSEWHERE,       /* another host or boot, or a name of no known form */
};
int instance_where(const char *owner);

/* 1 when owner names a process of this host, boot and PID namespace that
 * no longer runs, or whose pid another process has taken since (so its
 * claims are left over), else 0: a process elsewhere (its pids are not ours
 * to look up), a running one, this process, or a name not of that form. */
int instance_gone(const char *owner);

#endif
