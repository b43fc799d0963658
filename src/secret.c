/* secret.c - reading a password from systemd's credentials directory.
 * systemd makes the directory and its files readable by the service alone
 * (an ACL for the service user, so the group bits show the ACL mask): the
 * mode check that a plain password file gets does not apply here. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int secret_credential(const char *path, char **out, struct err *e)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *name = strrchr(path, '/');
	char file[4096], buf[512];
	ssize_t n;
	int fd, r;

	*out = NULL;
	name = name ? name + 1 : path;
	if (!dir || !*dir || !*name)
		return 0;
	snprintf(file, sizeof file, "%s/%s", dir, name);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the credential: %s", file,
			       strerror(errno));
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		r = err_set(e, ERR_IO, "%s: %s", file, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0]) {
		r = err_set(e, ERR_INVALID, "%s: the credential is empty", file);
		goto out;
	}
	*out = strdup(buf);
	r = *out ? 1 : err_set(e, ERR_NOMEM, "out of memory");
out:
	memset(buf, 0, sizeof buf);
	return r;
}
