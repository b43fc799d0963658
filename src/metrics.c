/* metrics.c - the node_exporter textfile (Prometheus text format 0.0.4),
 * written after each pass. */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calendar.h"
#include "db.h"
#include "outbox.h"

static int write_counts(struct dbi *db, FILE *f, struct err *e)
{
	struct dbi_stmt *st = NULL;
	int r;

	r = dbi_prepare(db, "SELECT state, channel, rule, count(*) FROM outbox"
			" GROUP BY state, channel, rule ORDER BY state, channel, rule", &st, e);
	if (r < 0)
		return r;
	fprintf(f, "# HELP backad_messages Messages in the outbox by state, channel and rule.\n"
		   "# TYPE backad_messages gauge\n");
	while ((r = dbi_step(st, e)) == DBI_ROW)
		fprintf(f, "backad_messages{state=\"%s\",channel=\"%s\",rule=\"%s\"} %lld\n",
			dbi_column_text(st, 0), dbi_column_text(st, 1), dbi_column_text(st, 2),
			dbi_column_int64(st, 3));
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* Seconds the oldest due, undelivered message has waited; 0 when none. */
static int oldest_pending(struct dbi *db, time_t now, long long *age, struct err *e)
{
	struct dbi_stmt *st = NULL;
	char iso[21];
	time_t t;
	int r;

	*age = 0;
	r = dbi_prepare(db, "SELECT min(due_at) FROM outbox WHERE state IN ('pending','failed')"
			" AND due_at <= ?1", &st, e);
	if (r < 0)
		return r;
	r = dbi_bind_text(st, 1, cal_iso_utc(now, iso));
	r = r < 0 ? err_set(e, r, "out of memory") : dbi_step(st, e);
	if (r == DBI_ROW && dbi_column_text(st, 0) &&
	    cal_parse_instant(dbi_column_text(st, 0), &t) == 0 && t < now)
		*age = (long long)(now - t);
	dbi_finalize(st);
	return r < 0 ? r : 0;
}

/* SMS whose gateway reported on them, by what it said. */
static int write_delivery(struct dbi *db, FILE *f, struct err *e)
{
	long long ok, bad;
	int r = outbox_delivery_counts(db, &ok, &bad, e);

	if (r < 0)
		return r;
	fprintf(f, "# HELP backad_sms_delivery_reports Sent SMS with a delivery report, by what it"
		   " said.\n# TYPE backad_sms_delivery_reports gauge\n"
		   "backad_sms_delivery_reports{result=\"delivered\"} %lld\n"
		   "backad_sms_delivery_reports{result=\"undeliverable\"} %lld\n", ok, bad);
	return 0;
}

static int write_all(struct dbi *db, FILE *f, const struct metrics_pass *p, struct err *e)
{
	long long age;
	int r = write_counts(db, f, e);

	if (r == 0)
		r = write_delivery(db, f, e);

	if (r == 0)
		r = oldest_pending(db, p->now, &age, e);
	if (r < 0)
		return r;
	fprintf(f, "# HELP backad_oldest_pending_age_seconds How long the oldest due message has"
		   " waited.\n# TYPE backad_oldest_pending_age_seconds gauge\n"
		   "backad_oldest_pending_age_seconds %lld\n", age);
	fprintf(f, "# HELP backad_pass_duration_seconds How long the last pass took.\n"
		   "# TYPE backad_pass_duration_seconds gauge\n"
		   "backad_pass_duration_seconds %.3f\n", p->duration);
	fprintf(f, "# HELP backad_pass_success Whether the last pass succeeded.\n"
		   "# TYPE backad_pass_success gauge\nbackad_pass_success %d\n", p->ok ? 1 : 0);
	if (p->last_success)
		fprintf(f, "# HELP backad_last_success_timestamp_seconds When the last pass"
			   " succeeded.\n# TYPE backad_last_success_timestamp_seconds gauge\n"
			   "backad_last_success_timestamp_seconds %lld\n", (long long)p->last_success);
	return 0;
}

int metrics_write(struct dbi *db, const char *path, const struct metrics_pass *p, struct err *e)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, made = 0, r;

	/* node_exporter reads only *.prom: the temporary name is not one. */
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	fd = mkstemp(tmp);
	made = fd >= 0;
	if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		r = err_set(e, ERR_IO, "%s: cannot write the metrics: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	r = write_all(db, f, p, e);
	if (r < 0)
		goto fail;
	if (fflush(f) != 0 || ferror(f)) {
		r = err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		r = err_set(e, ERR_IO, "%s: cannot rename the metrics into place: %s", path,
			    strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	free(tmp);
	return r;
}
