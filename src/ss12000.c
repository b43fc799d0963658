/* ss12000.c - one SS 12000 sync: read every page, then write it all in one transaction. */
#include "ss12000.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "i18n.h"
#include "ss12000_apply.h"
#include "ss12000_http.h"
#include "ss12000_stage.h"

#define STATE_KEY "ss12000.modified_after"
#define OVERLAP 60 /* seconds read twice, against clocks that differ a little */

struct run {
	struct dbi *db;
	const struct config *cfg;
	struct ss_http *http;
	struct ss_stage *stage;
	struct ss_summary *sum;
	struct err *e;
};

/* Every page of one endpoint into the staging tables. */
static int read_all(struct run *x, enum ss_entity ent, const char *since)
{
	char path[1200], last[600] = "";
	char *esc = since ? curl_easy_escape(NULL, since, 0) : NULL;
	const char *token;
	json_t *page = NULL;
	int r;

	if (ent == SS_DELETED)
		snprintf(path, sizeof path, "%s?after=%s&limit=%d", ss_endpoints[ent], esc ? esc : "",
			 x->cfg->ss_page_size);
	else
		snprintf(path, sizeof path, "%s?limit=%d%s%s", ss_endpoints[ent], x->cfg->ss_page_size,
			 esc ? "&meta.modified.after=" : "", esc ? esc : "");
	curl_free(esc);
	for (;;) {
		r = ss_http_get(x->http, path, &page, x->e);
		if (r == 0)
			r = ss_stage_page(x->stage, ent, page, x->e);
		x->sum->pages++;
		token = r == 0 ? json_string_value(json_object_get(page, "pageToken")) : NULL;
		if (r < 0 || !token || !*token)
			break;
		if (strlen(token) >= sizeof last) {
			r = err_set(x->e, ERR_INVALID, "GET %s: the pageToken is longer than %zu bytes",
				    ss_endpoints[ent], sizeof last - 1);
			break;
		}
		if (strcmp(token, last) == 0) {
			r = err_set(x->e, ERR_INVALID, "GET %s: the server gave the same pageToken twice; "
				    "the paging would never end", ss_endpoints[ent]);
			break;
		}
		snprintf(last, sizeof last, "%s", token);
		/* Filters cannot be combined with pageToken: the token carries them. */
		esc = curl_easy_escape(NULL, token, 0);
		snprintf(path, sizeof path, "%s?pageToken=%s", ss_endpoints[ent], esc ? esc : "");
		curl_free(esc);
		json_decref(page);
		page = NULL;
	}
	json_decref(page);
	return r;
}

static int read_state(struct dbi *db, char *since, size_t n, struct err *e)
{
	struct dbi_stmt *q = NULL;
	int r = dbi_prepare(db, "SELECT value FROM state WHERE key = '" STATE_KEY "'", &q, e);

	since[0] = '\0';
	if (r == 0)
		r = dbi_step(q, e);
	if (r == DBI_ROW && dbi_column_text(q, 0))
		snprintf(since, n, "%s", dbi_column_text(q, 0));
	dbi_finalize(q);
	return r < 0 ? r : 0;
}

static int write_state(struct dbi *db, time_t started, struct err *e)
{
	struct dbi_stmt *st = NULL;
	char at[21];
	int r;

	cal_iso_utc(started - OVERLAP, at);
	r = dbi_prepare(db, "INSERT INTO state(key, value) VALUES ('" STATE_KEY "', ?1)"
			" ON CONFLICT (key) DO UPDATE SET value = excluded.value", &st, e);
	if (r == 0)
		r = dbi_bind_text(st, 1, at);
	if (r == 0)
		r = dbi_step(st, e);
	dbi_finalize(st);
	return r == DBI_DONE ? 0 : r;
}

/* Attempts of the writing on PostgreSQL when other writers collide with it. */
#define APPLY_ATTEMPTS 5

/* Everything read: now the one transaction. */
static int apply_once(struct run *x, const struct ss_opts *o, time_t started)
{
	struct ss_apply a = { .db = x->db, .cfg = x->cfg, .day = cal_today(o->now), .sum = x->sum };
	int r = db_begin(x->db, x->e);

	if (r < 0)
		return r;
	r = ss_apply_open(&a, x->e);
	if (r == 0)
		r = ss_apply_facts(&a);
	if (r == 0)
		r = ss_apply_gone(&a, o->full, o->force);
	ss_apply_close(&a);
	if (r == 0)
		r = write_state(x->db, started, x->e);
	if (r == 0)
		r = db_commit(x->db, x->e);
	if (r < 0)
		db_rollback(x->db);
	return r;
}

/* On PostgreSQL a write that collides with another transaction's commit
 * (every fact write moves the facts version) fails: the staged rows are
 * still there, so the writing starts again with the summary as read. */
static int apply(struct run *x, const struct ss_opts *o, time_t started)
{
	struct ss_summary read = *x->sum;
	int r;

	for (int attempt = 1;; attempt++) {
		*x->sum = read;
		r = apply_once(x, o, started);
		if (r != ERR_BUSY || dbi_backend(x->db) != DBI_PG || attempt == APPLY_ATTEMPTS)
			return r;
	}
}

int ss12000_sync(struct dbi *db, const struct config *cfg, const struct ss_opts *o,
		 struct ss_summary *sum, struct err *e)
{
	struct run x = { .db = db, .cfg = cfg, .sum = sum, .e = e };
	time_t started = time(NULL);
	char since[64];
	int r;

	memset(sum, 0, sizeof *sum);
	sum->full = o->full;
	r = o->full ? (since[0] = '\0', 0) : read_state(db, since, sizeof since, e);
	snprintf(sum->since, sizeof sum->since, "%s", since);
	if (r == 0)
		r = ss_http_open(cfg, started + cfg->ss_max_seconds, &x.http, e);
	if (r == 0)
		r = ss_stage_open(db, cfg->ss_store_pnr, &x.stage, e);
	/* Duties before persons: a person's name is kept only for staff. */
	static const enum ss_entity order[] = { SS_ORGS, SS_DUTIES, SS_PERSONS, SS_PLACEMENTS };
	for (size_t i = 0; r == 0 && i < sizeof order / sizeof order[0]; i++)
		r = read_all(&x, order[i], since[0] ? since : NULL);
	if (r == 0 && since[0])
		r = read_all(&x, SS_DELETED, since);
	if (x.stage) {
		sum->read_orgs = ss_stage_count(x.stage, SS_ORGS);
		sum->read_persons = ss_stage_count(x.stage, SS_PERSONS);
		sum->read_placements = ss_stage_count(x.stage, SS_PLACEMENTS);
		sum->read_duties = ss_stage_count(x.stage, SS_DUTIES);
		sum->read_deleted = ss_stage_count(x.stage, SS_DELETED);
	}
	if (x.http)
		ss_http_counts(x.http, &sum->requests, &sum->retries);
	ss_http_close(x.http);
	if (r == 0)
		r = apply(&x, o, started);
	ss_stage_close(x.stage);
	db_exec(db, "DROP TABLE IF EXISTS temp.ss_org; DROP TABLE IF EXISTS temp.ss_person;"
		    "DROP TABLE IF EXISTS temp.ss_enrol; DROP TABLE IF EXISTS temp.ss_place;"
		    "DROP TABLE IF EXISTS temp.ss_duty; DROP TABLE IF EXISTS temp.ss_deleted;"
		    "DROP TABLE IF EXISTS temp.ss_place_seen; DROP TABLE IF EXISTS temp.ss_gone;"
		    "DROP TABLE IF EXISTS temp.ss_principal", NULL);
	return r;
}

void ss12000_summary_line(const struct ss_summary *s, char *buf, size_t n)
{
	char principals[520], more[40] = "";

	if (s->principals_changed > s->principal_listed)
		snprintf(more, sizeof more, _(" and %d more units"),
			 s->principals_changed - s->principal_listed);
	if (s->principals_changed)
		snprintf(principals, sizeof principals,
			 ngettext("%d principal changed at %s%s", "%d principals changed at %s%s",
				  (unsigned long)s->principals_changed),
			 s->principals_changed, s->principal_units, more);
	else
		snprintf(principals, sizeof principals, "%s", _("no principal changed"));
	snprintf(buf, n,
		 _("%d placements new, %d ended, %d changed, %d removed; %s; "
		   "%d children new, %d changed; %d staff new, %d changed, %d left; "
		   "%d units new, %d changed; %d skipped (not förskola/förskoleklass/grundskola); "
		   "%d follow-ups moved, %d admin alerts"),
		 s->placements_new, s->placements_ended, s->placements_updated, s->placements_removed,
		 principals, s->children_new, s->children_updated, s->staff_new, s->staff_updated,
		 s->staff_left, s->units_new, s->units_updated, s->skipped, s->follow_moved, s->alerts);
}
