/* watch.c - inotify and PRAGMA data_version (SQLite), LISTEN (PostgreSQL). */
#include "watch.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "db.h"

static int data_version(struct dbi *db, long long *v, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r;

	/* In WAL mode the counter moves when a read transaction starts and
	 * looks at the WAL index; the PRAGMA alone does not start one. */
	r = db_exec(db, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1; COMMIT;", e);
	if (r < 0)
		return r;
	r = dbi_prepare(db, "PRAGMA data_version", &st, e);
	if (r < 0)
		return r;
	r = dbi_step(st, e);
	if (r == DBI_ROW) {
		*v = dbi_column_int64(st, 0);
		r = 0;
	} else if (r == DBI_DONE) {
		r = err_set(e, ERR_DB, "data_version: no result");
	}
	dbi_finalize(st);
	return r;
}

int watch_open(struct watch *w, struct dbi *db, const struct config *cfg, struct err *e)
{
	const char *path = cfg->database;
	char dir[1024], file[1024];
	int r;

	w->fd = -1;
	w->db = db;
	w->settling = 0;
	w->listen.conn = NULL;
	w->listen.fd = -1;
	if (dbi_backend(db) == DBI_PG) {
		r = pg_listen_open(&w->listen, cfg, path, e);
		w->fd = w->listen.fd;
		return r;
	}
	snprintf(dir, sizeof dir, "%s", path);
	snprintf(file, sizeof file, "%s", path);
	snprintf(w->base, sizeof w->base, "%s", basename(file));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return err_set(e, ERR_IO, "inotify: %s", strerror(errno));
	/* The directory: the -wal file comes and goes with checkpoints. */
	if (inotify_add_watch(w->fd, dirname(dir), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		err_set(e, ERR_IO, "%s: cannot watch: %s", path, strerror(errno));
		close(w->fd);
		w->fd = -1;
		return ERR_IO;
	}
	return data_version(db, &w->version, e);
}

int watch_changed(struct watch *w, struct err *e)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ours = 0, r;

	if (dbi_backend(w->db) == DBI_PG) {
		r = pg_listen_drain(&w->listen, e);
		return r < 0 ? r : r > 0;
	}
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->len && strncmp(ev->name, w->base, strlen(w->base)) == 0)
				ours = 1;
			p += sizeof *ev + ev->len;
		}
	}
	if (!ours)
		return 0;
	r = watch_recheck(w, e);
	w->settling = r == 0;
	return r;
}

int watch_recheck(struct watch *w, struct err *e)
{
	long long v;
	int r;

	if (dbi_backend(w->db) == DBI_PG)
		return 0;
	r = data_version(w->db, &v, e);
	if (r < 0)
		return r;
	if (v == w->version)
		return 0;
	w->version = v;
	w->settling = 0;
	return 1;
}

void watch_close(struct watch *w)
{
	if (w->listen.conn)
		pg_listen_close(&w->listen);
	else if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
