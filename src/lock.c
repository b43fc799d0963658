/* lock.c - the delivery lock and the owner name of claims. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int instance_lock(const char *db_path, int *fd, long *holder, struct err *e)
{
	char path[4096], buf[32];
	ssize_t n;
	int f;

	*fd = -1;
	*holder = 0;
	snprintf(path, sizeof path, "%s.lock", db_path);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (f < 0)
		return err_set(e, ERR_IO, "%s: cannot open the lock file: %s", path, strerror(errno));
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

const char *instance_owner(void)
{
	static char owner[96];
	static long pid;
	char boot[64] = "";
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
	snprintf(owner, sizeof owner, "%ld@%s", pid, boot[0] ? boot : "unknown");
	return owner;
}
