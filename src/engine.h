/* engine.h - the daemon's main job as one object: configuration, templates,
 * the case database, and the delivery pipelines, one per channel (a table
 * in engine.c: a channel is its transport's file and one line there).
 * Planning is a pass; delivery is driven by the caller's poll() loop
 * (delivery_* in deliver.h on g->dl). Shared by backad and its tests. */
#ifndef BACKAD_ENGINE_H
#define BACKAD_ENGINE_H

#include <time.h>

#include "dbi.h"
#include "channel.h"
#include "config.h"
#include "deliver.h"
#include "err.h"
#include "planner.h"
#include "sms.h"
#include "smtp.h"
#include "spool.h"

struct templates;

struct engine {
	struct config *cfg;
	struct templates *tpl;
	struct dbi *db;
	struct spool spool;
	struct smtp_channel smtp;
	struct sms_channel sms_gw;
	struct channel spool_email, spool_sms;
	struct transport tr[DELIVER_MAX_CHANNELS];
	struct delivery dl;
	int delivering;      /* it may claim: it holds the delivery lock (SQLite);
			      * always on PostgreSQL, whose claims decide */
	int plan_elsewhere;  /* PostgreSQL: another daemon holds the planning
			      * lock (leader.h): engine_pass only delivers */
	struct plan_cache plan_cache; /* lets a pass with nothing new skip planning */
	time_t noted;        /* when the heartbeat was last written */
	char noted_email[256], noted_sms[256]; /* the channels' errors as last written */
	struct deliver_stats total; /* delivery since the last log line */
};

struct engine_stats {
	struct plan_stats plan;
	struct deliver_stats deliver;
	struct outbox_recovery recovery; /* claims taken back from a process that is gone */
	int expired;         /* messages dead because their lifetime passed */
};

/* Load path, the templates it names and the case database. Every problem is
 * reported through errors() as "file:line: message" (config, templates) or a
 * plain line (database); returns 0 or the first error's code. */
int engine_load(const char *path, struct engine **out,
		void (*errors)(void *ctx, const char *line), void *ctx, struct err *e);
void engine_free(struct engine *g);

/* The case database's connection is lost (PostgreSQL): finalize what is
 * kept prepared on it and close it; g->db is NULL until engine_connect.
 * Delivery keeps what its transports report until it can be written. */
void engine_disconnect(struct engine *g);
/* Open the case database again (after engine_disconnect; 0 when open). */
int engine_connect(struct engine *g, struct err *e);

/* Take back claims whose owner is gone or whose lease ended (the caller
 * holds the delivery lock), and end failed messages past their lifetime. */
int engine_recover(struct engine *g, time_t now, struct engine_stats *st, struct err *e);

/* One planning pass at now (skipped cheaply when nothing changed). */
int engine_plan(struct engine *g, time_t now, struct engine_stats *st, struct err *e);

/* Recover, plan and (when g->delivering) deliver everything due at now,
 * waiting for the transports in a poll() loop of its own. For --once and
 * benchmarks; the daemon drives delivery from its own loop. */
int engine_pass(struct engine *g, time_t now, struct engine_stats *st, struct err *e);

/* Write the heartbeat and the channels' last errors to the state table when
 * a minute has passed or an error is new (a write costs an fsync). */
int engine_note(struct engine *g, time_t now, const struct deliver_stats *st, int force,
		struct err *e);

/* A one-line state for systemd's STATUS=; next: the next pass, 0 when none is
 * planned here (before the first, or in a daemon that does not plan). */
void engine_status(struct engine *g, time_t next, const char *extra, char *buf, size_t n);

#endif
