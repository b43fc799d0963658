/* metrics.h - the Prometheus textfile for node_exporter's textfile collector. */
#ifndef BACKAD_METRICS_H
#define BACKAD_METRICS_H

#include <time.h>

#include "dbi.h"
#include "err.h"

/* What a pass tells the metrics besides the outbox. */
struct metrics_pass {
	time_t now;            /* the pass's clock (oldest pending age is from it) */
	double duration;       /* seconds the pass took */
	int ok;                /* the pass succeeded */
	time_t last_success;   /* wall clock of the last successful pass, 0: none yet */
};

/* Write path atomically (a temporary file in the same directory, renamed
 * over it): messages by state, channel and rule; the oldest due message's
 * age; the pass's duration and result; the last successful pass. Mode 0644:
 * the exporter runs as another user, and the file holds counts only. */
int metrics_write(struct dbi *db, const char *path, const struct metrics_pass *p, struct err *e);

#endif
