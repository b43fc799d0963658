/* ss12000.h - 'backactl sync ss12000': organisations, persons, placements,
 * enrolments and principals' duties from an SS 12000 API onto units, staff,
 * children, placements and unit roles (docs/ss12000.md). Incremental from
 * where the last run stopped (meta.modified.after, deletedEntities), or
 * full; every page is read before anything is written, and the writing is
 * one transaction, so a failure half-way changes nothing. */
#ifndef BACKAD_SS12000_H
#define BACKAD_SS12000_H

#include <time.h>

#include "dbi.h"
#include "config.h"
#include "err.h"

struct ss_summary {
	int read_orgs, read_persons, read_placements, read_duties, read_deleted;
	int requests, retries, pages;
	int units_new, units_updated;
	int staff_new, staff_updated, staff_left;
	int children_new, children_updated;
	int placements_new, placements_updated, placements_ended, placements_removed;
	int skipped; /* placements, enrolments and duties at units that are not followed */
	int principals_changed;
	int principal_listed;      /* how many of them principal_units names */
	char principal_units[400]; /* "Västervångskolan, Förskolan Ängen" */
	int follow_moved, alerts;  /* follow-ups of people who left: moved, alerted */
	int full;                  /* 1 when this was a full resync */
	char since[32];            /* meta.modified.after used, or "" */
};

struct ss_opts {
	int full;   /* read everything; rows of earlier syncs missing now have ended */
	int force;  /* a full resync may end more than import.max_shrink_percent */
	time_t now; /* the clock (tests set it); the sync date is its Swedish day */
};

/* Run one sync against cfg->ss_url into db. On error nothing is written and
 * e names the request, the entity or the HTTP status and the server's answer. */
int ss12000_sync(struct dbi *db, const struct config *cfg, const struct ss_opts *o,
		 struct ss_summary *sum, struct err *e);

/* The summary in one line: "12 placements new, 3 ended, 1 principal changed
 * at Västervångskolan". */
void ss12000_summary_line(const struct ss_summary *s, char *buf, size_t n);

#endif
