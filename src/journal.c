/* journal.c - structured events: sd_journal_sendv() under systemd, a plain
 * log line elsewhere. */
#include "i18n.h"
#include "journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

enum { J_NONE, J_JOURNAL, J_EXPORT };

/* Where events go: the journal only when stderr is the stream systemd set
 * up ($JOURNAL_STREAM is "device:inode" of it; a child's redirected stderr
 * does not match). */
static int sink(void)
{
	const char *js = getenv("JOURNAL_STREAM"), *ex = getenv("BACKAD_JOURNAL_EXPORT");
	unsigned long long dev, ino;
	struct stat st;

	if (ex && strcmp(ex, "1") == 0)
		return J_EXPORT;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return J_NONE;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino ?
		       J_JOURNAL : J_NONE;
}

void journal_event(const char *message_id, int priority, const struct journal_fields *f,
		   const char *fmt, ...)
{
	char text[600], fields[7][700];
	struct iovec iov[7];
	int n = 0, where = sink();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, _(fmt), ap);
	va_end(ap);
	if (where == J_NONE) {
		log_msg(priority, "%s", text);
		return;
	}
	snprintf(fields[n++], sizeof fields[0], "MESSAGE=%s", text);
	snprintf(fields[n++], sizeof fields[0], "MESSAGE_ID=%s", message_id);
	snprintf(fields[n++], sizeof fields[0], "PRIORITY=%d", priority);
	if (f && f->outbox_id)
		snprintf(fields[n++], sizeof fields[0], "OUTBOX_ID=%lld", f->outbox_id);
	if (f && f->rule)
		snprintf(fields[n++], sizeof fields[0], "RULE=%s", f->rule);
	if (f && f->channel)
		snprintf(fields[n++], sizeof fields[0], "CHANNEL=%s", f->channel);
	if (f && f->subject)
		snprintf(fields[n++], sizeof fields[0], "SUBJECT=%s", f->subject);
	if (where == J_EXPORT) {
		for (int i = 0; i < n; i++)
			fprintf(stderr, "%s\n", fields[i]);
		fputc('\n', stderr);
		return;
	}
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = fields[i];
		iov[i].iov_len = strlen(fields[i]);
	}
	sd_journal_sendv(iov, n);
}
