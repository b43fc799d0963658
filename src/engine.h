/* engine.h - the daemon's main job as one object: configuration, templates,
 * the case database and the delivery channels, and one pass over them
 * (recover, plan, deliver). Shared by backad and its tests. */
#ifndef BACKAD_ENGINE_H
#define BACKAD_ENGINE_H

#include <sqlite3.h>
#include <time.h>

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
	sqlite3 *db;
	struct spool spool;
	struct smtp_channel smtp;
	struct sms_channel sms_gw;
	struct channel email, sms;
	int recovered;       /* outbox_recover ran once */
	struct plan_cache plan_cache; /* lets a pass with nothing new skip planning */
	time_t noted;        /* when the heartbeat was last written */
};

struct engine_stats {
	struct plan_stats plan;
	struct deliver_stats deliver;
	int in_doubt;        /* messages found in 'sending' after a crash */
};

/* Load path, the templates it names and the case database. Every problem is
 * reported through errors() as "file:line: message" (config, templates) or a
 * plain line (database); returns 0 or the first error's code. */
int engine_load(const char *path, struct engine **out,
		void (*errors)(void *ctx, const char *line), void *ctx, struct err *e);
void engine_free(struct engine *g);

/* Recover (the first time), plan at now, deliver what is due, and note the
 * channels' last errors in the state table, with the daemon's heartbeat
 * (at most once a minute when nothing else is new: a write costs an fsync). */
int engine_pass(struct engine *g, time_t now, struct engine_stats *st, struct err *e);

/* When the next pass is due after a pass at now: the earliest of the next
 * planned occurrence, the next due message (an SMS not before its allowed
 * hours) and now + max_sleep. */
time_t engine_next_wake(struct engine *g, const struct engine_stats *st, time_t now,
			int max_sleep);

/* A one-line state for systemd's STATUS=. */
void engine_status(struct engine *g, const struct engine_stats *st, time_t next, char *buf,
		   size_t n);

#endif
