/* secret.c - reading a password: from systemd's credentials directory, or
 * from a password file of the service user's, mode 600. systemd makes the
 * credentials directory and its files readable by the service alone (an
 * ACL for the service user, so the group bits show the ACL mask): the mode
 * check that a plain password file gets does not apply there. One reader
 * for the SMTP, SMS and database passwords. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Cut buf (n bytes read into size bytes) at its first line's end: -1 when
 * the buffer was filled without one (a longer password would have been
 * cut, silently). */
static int first_line(char *buf, size_t n, size_t size)
{
	size_t k = strcspn(buf, "\r\n");

	if (k == n && n + 1 >= size)
		return -1;
	buf[k] = '\0';
	return 0;
}

/* The secret on the first line of fd's file (path names it in messages),
 * into *out; a credential's or a password file's. */
static int read_secret(int fd, const char *path, int credential, char **out, struct err *e)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int r;

	if (n < 0)
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	if (first_line(buf, (size_t)n, sizeof buf) < 0)
		r = err_set(e, ERR_INVALID, "%s: the first line is longer than %d bytes", path,
			    (int)sizeof buf - 2);
	else if (!buf[0] && credential)
		r = err_set(e, ERR_INVALID, "%s: the credential is empty", path);
	else if (!buf[0])
		r = err_set(e, ERR_INVALID, "%s: the password file is empty", path);
	else {
		*out = strdup(buf);
		r = *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
	}
	memset(buf, 0, sizeof buf);
	return r;
}

int secret_credential(const char *path, char **out, struct err *e)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *name = strrchr(path, '/');
	char file[4096];
	struct stat st;
	int fd, r;

	*out = NULL;
	name = name ? name + 1 : path;
	if (!dir || !*dir || !*name)
		return 0;
	snprintf(file, sizeof file, "%s/%s", dir, name);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the credential: %s", file,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_INVALID, "%s: the credential is not a regular file", file);
	}
	r = read_secret(fd, file, 1, out, e);
	close(fd);
	return r < 0 ? r : 1;
}

int secret_file_read(const char *path, uid_t uid, char **out, struct err *e)
{
	struct stat st;
	int fd, r;

	*out = NULL;
	/* Not blocking: a FIFO put in its place would hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: cannot open the password file: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = err_set(e, ERR_INVALID, "%s: the password file is not a regular file", path);
		goto out;
	}
	if (st.st_uid != uid && st.st_uid != 0) {
		r = err_set(e, ERR_INVALID, "%s: the password file belongs to user %u, not to the "
			    "service user (%u) or root; fix with: chown %u %s", path,
			    (unsigned)st.st_uid, (unsigned)uid, (unsigned)uid, path);
		goto out;
	}
	if (st.st_mode & 077) {
		r = err_set(e, ERR_INVALID, "%s: the password file is readable by group or others "
			    "(mode %03o); fix with: chmod 600 %s", path,
			    (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	r = read_secret(fd, path, 0, out, e);
out:
	close(fd);
	return r;
}

int secret_read(const char *path, char **out, struct err *e)
{
	int r = secret_credential(path, out, e);

	if (r != 0)
		return r < 0 ? r : 0;
	return secret_file_read(path, geteuid(), out, e);
}
