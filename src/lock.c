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

/* When process pid started, in clock ticks since boot (/proc/PID/stat,
 * field 22), 0 when unknown (no such process). */
static unsigned long long start_time(long pid)
{
	char path[64], line[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	p = strrchr(line, ')'); /* the command name may hold spaces and parentheses */
	/* after it: state (field 3) ... starttime (field 22) */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d"
				" %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

/* This boot's id, "" if unread. */
static void boot_id(char *buf, size_t n)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)n, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
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

int instance_owner_of(long pid, char *buf, size_t n)
{
	char boot[64], ns[32];
	unsigned long long t = start_time(pid);

	boot_id(boot, sizeof boot);
	pid_namespace(ns, sizeof ns);
	if (!boot[0] || !ns[0] || !t) {
		snprintf(buf, n, "%ld@unknown", pid);
		return -1;
	}
	snprintf(buf, n, "%ld@%s/%s/%llu", pid, boot, ns, t);
	return 0;
}

const char *instance_owner(void)
{
	static char owner[160];
	static long pid;

	if (pid == (long)getpid())
		return owner;
	pid = (long)getpid();
	instance_owner_of(pid, owner, sizeof owner);
	return owner;
}

/* The "@BOOT-ID/PID-NAMESPACE" of an owner name and its length, or NULL
 * when it is not of the form PID@BOOT-ID/PID-NAMESPACE/START. */
static const char *place(const char *owner, size_t *len)
{
	const char *at = owner ? strchr(owner, '@') : NULL, *slash, *last;

	if (!at || !(slash = strchr(at, '/')) || !(last = strrchr(at, '/')) || last == slash)
		return NULL;
	*len = (size_t)(last - at);
	return at;
}

int instance_where(const char *owner)
{
	size_t n, my_n;
	const char *at = place(owner, &n), *mine = place(instance_owner(), &my_n);
	const char *slash;

	if (!at || !mine)
		return INSTANCE_ELSEWHERE;
	if (n == my_n && memcmp(at, mine, n) == 0)
		return INSTANCE_HERE;
	slash = strchr(at, '/');
	if ((size_t)(slash - at) < my_n && memcmp(at, mine, (size_t)(slash - at) + 1) == 0)
		return INSTANCE_OTHER_NAMESPACE;
	return INSTANCE_ELSEWHERE;
}

int instance_gone(const char *owner)
{
	char *end;
	long pid;
	unsigned long long started, now;

	if (instance_where(owner) != INSTANCE_HERE || strcmp(owner, instance_owner()) == 0)
		return 0;
	errno = 0;
	pid = strtol(owner, &end, 10);
	if (*end != '@' || pid <= 0 || errno)
		return 0;
	started = strtoull(strrchr(owner, '/') + 1, &end, 10);
	if (*end || !started)
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	/* Running: the same process, or one that took its pid since. */
	now = start_time(pid);
	return now && now != started;
}
