/* lock.c - the delivery lock and the owner name of claims. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The lock file of the database: named after its real path, so every
 * name that reaches the same file (a symbolic link, a relative path) finds
 * the same lock. */
static void lock_path(const char *db_path, char *path, size_t n)
{
	char *real = realpath(db_path, NULL);

	snprintf(path, n, "%s.lock", real ? real : db_path);
	free(real);
}

/* 1 when fd is still the file at path (not one removed or replaced since
 * it was opened: a lock on that would lock nothing). */
static int still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int instance_lock(const char *db_path, int *fd, long *holder, struct err *e)
{
	char path[4096], buf[32];
	ssize_t n;
	int f = -1;

	*fd = -1;
	*holder = 0;
	lock_path(db_path, path, sizeof path);
	for (int tries = 0; tries < 5; tries++) {
		f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (f < 0)
			return err_set(e, ERR_IO, "%s: cannot open the lock file: %s", path,
				       strerror(errno));
		if (flock(f, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			if (err == EWOULDBLOCK) {
				n = pread(f, buf, sizeof buf - 1, 0);
				if (n > 0) {
					buf[n] = '\0';
					*holder = strtol(buf, NULL, 10);
				}
				close(f);
				return 0;
			}
			close(f);
			return err_set(e, ERR_IO, "%s: cannot lock: %s", path, strerror(err));
		}
		if (still_there(f, path))
			break;
		close(f); /* removed while we locked it: take the new one */
		f = -1;
	}
	if (f < 0)
		return err_set(e, ERR_IO, "%s: the lock file keeps being replaced", path);
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(f, 0) < 0 || pwrite(f, buf, (size_t)n, 0) != n) {
		/* The pid is only for messages; the lock is what counts. */
	}
	*fd = f;
	return 1;
}

void instance_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int instance_gone(const char *owner)
{
	const char *me = instance_owner(), *at = owner ? strchr(owner, '@') : NULL;
	const char *my_at = strchr(me, '@');
	char *end;
	long pid;

	/* Same boot and PID namespace, or nothing can be said of the pid. */
	if (!at || !my_at || strcmp(at, my_at) != 0 || strcmp(at + 1, "unknown") == 0 ||
	    strcmp(owner, me) == 0)
		return 0;
	errno = 0;
	pid = strtol(owner, &end, 10);
	if (end != at || pid <= 0 || errno)
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* This process's PID namespace ("4026531836"), "" when unread: pids are
 * only comparable inside one (a container on the same host and boot has
 * pids of its own). */
static void pid_namespace(char *buf, size_t n)
{
	char link[64];
	ssize_t k = readlink("/proc/self/ns/pid", link, sizeof link - 1);
	const char *open_br;

	buf[0] = '\0';
	if (k <= 0)
		return;
	link[k] = '\0';
	open_br = strchr(link, '[');
	if (open_br)
		snprintf(buf, n, "%.*s", (int)strcspn(open_br + 1, "]"), open_br + 1);
}

const char *instance_owner(void)
{
	static char owner[128];
	static long pid;
	char boot[64] = "", ns[32];
	FILE *f;

	if (pid == (long)getpid())
		return owner;
	pid = (long)getpid();
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot, sizeof boot, f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	pid_namespace(ns, sizeof ns);
	if (boot[0] && ns[0])
		snprintf(owner, sizeof owner, "%ld@%s/%s", pid, boot, ns);
	else
		snprintf(owner, sizeof owner, "%ld@unknown", pid);
	return owner;
}
