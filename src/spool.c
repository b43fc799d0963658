/* spool.c - messages as files: write, fsync, rename. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mime.h"
#include "sendcheck.h"
#include "strbuf.h"

/* Directories and files are for the service user and group backad (who
 * read the spool); the umask (the unit's UMask=0007) takes the rest. */
static int mkdir_p(const char *path, struct err *e)
{
	if (mkdir(path, 0770) == 0 || errno == EEXIST)
		return 0;
	return err_set(e, ERR_TEMPFAIL, "%s: cannot create: %s", path, strerror(errno));
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write text to dir/sub/name through dir/tmp. */
static int put_file(const char *dir, const char *sub, const char *name, const char *text,
		    struct err *e)
{
	char tmpdir[512], subdir[512], tmp[1024], final[1024];
	int fd, r;

	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", dir);
	snprintf(subdir, sizeof subdir, "%s/%s", dir, sub);
	if ((r = mkdir_p(dir, e)) < 0 || (r = mkdir_p(tmpdir, e)) < 0 ||
	    (r = mkdir_p(subdir, e)) < 0)
		return r;
	snprintf(tmp, sizeof tmp, "%s/%ld.%s", tmpdir, (long)getpid(), name);
	snprintf(final, sizeof final, "%s/%s", subdir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	if (fd < 0)
		return err_set(e, ERR_TEMPFAIL, "%s: %s", tmp, strerror(errno));
	if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		r = err_set(e, ERR_TEMPFAIL, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return r;
	}
	if (close(fd) < 0 || rename(tmp, final) < 0) {
		r = err_set(e, ERR_TEMPFAIL, "%s: %s", final, strerror(errno));
		unlink(tmp);
		return r;
	}
	fd = open(subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* A file name from the message id: letters, digits, '.', '-' and '_' only. */
static void safe_name(const char *id, char *buf, size_t n)
{
	size_t k = 0;

	for (; *id && k + 1 < n; id++) {
		char c = *id;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')
			buf[k++] = c;
		else if (c == '@')
			buf[k++] = '_';
	}
	buf[k] = '\0';
}

int spool_send(const struct spool *sp, const struct outbox_msg *m, char *provider_id,
	       size_t n, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char name[300], id[200];
	int r;

	/* A row with a line break in its address is refused, never written. */
	if ((r = sendcheck_msg(m, e)) < 0)
		return r;
	if (strcmp(m->channel, "sms") == 0) {
		snprintf(name, sizeof name, "%lld.txt", m->id);
		sb_printf(&sb, "To: %s\nFrom: %s\nReference: %s\n\n%s", m->address,
			  sp->cfg->sms_sender, m->message_id, m->body);
		r = sb.oom ? err_set(e, ERR_TEMPFAIL, "out of memory") : 0;
	} else {
		safe_name(m->message_id, id, sizeof id);
		snprintf(name, sizeof name, "%lld-%s.eml", m->id, id);
		r = mime_build(sp->cfg->mail_from, sp->cfg->reply_to, m->address,
			       m->subject ? m->subject : "",
			       m->body, m->message_id, sp->clock ? sp->clock() : time(NULL), &sb, e);
		/* A message that cannot be built never will be. */
		if (r == ERR_INVALID)
			r = ERR_PERMFAIL;
	}
	if (r == 0)
		r = put_file(sp->dir, strcmp(m->channel, "sms") == 0 ? "sms" : "email", name,
			     sb_str(&sb), e);
	sb_free(&sb);
	if (r == 0)
		snprintf(provider_id, n, "%s", name);
	return r;
}

static void spool_batch(void *ctx, const struct outbox_msg *msgs, int n,
			struct send_result *res, channel_done_fn *done, void *arg)
{
	for (int i = 0; i < n; i++) {
		struct err e = { 0 };

		memset(&res[i], 0, sizeof res[i]);
		res[i].retry_after = -1;
		res[i].code = spool_send(ctx, &msgs[i], res[i].detail, sizeof res[i].detail, &e);
		if (res[i].code < 0)
			snprintf(res[i].detail, sizeof res[i].detail, "%s", e.msg);
		done(arg, i);
	}
}

void spool_channel(struct spool *sp, int sms, struct channel *ch)
{
	ch->name = sms ? "spool-sms" : "spool-email";
	ch->send = spool_batch;
	ch->ctx = sp;
}
