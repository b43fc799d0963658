/* backad.c - the daemon: options, the event loop, and systemd readiness.
 * One poll() waits on everything: signals (signalfd), other processes'
 * commits (watch.c: inotify on SQLite, LISTEN on PostgreSQL), the delivery
 * pipelines' sessions and transfers, the next planning pass, the next try
 * for the planning lock or for a lost database connection, and the
 * watchdog, which is pinged on time whatever the channels do. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "calendar.h"
#include "engine.h"
#include "i18n.h"
#include "leader.h"
#include "lock.h"
#include "log.h"
#include "observe.h"
#include "pg_conn.h"
#include "preflight.h"
#include "watch.h"

#define MAX_SLEEP_S 300 /* re-plan at least this often (the clock moves on) */
/* PostgreSQL: every daemon looks this often for claims whose lease has
 * ended (a daemon died) or whose owner on this host is gone, and takes them
 * back, so a dead daemon's messages wait at most their lease and this long,
 * whoever plans and whenever. */
#define RECOVER_EVERY_MS 15000

struct opts {
	const char *config;
	int once, check, foreground;
	time_t now;  /* simulated clock, or 0 */
};

static void usage(FILE *f)
{
	fprintf(f, _("usage: backad [-c FILE] [--foreground] [--once] [--now TIME]\n"
		   "       backad [-c FILE] -n|--check-config\n\n"
		   "  -c, --config FILE   configuration (default $BACKAD_CONFIG or %s)\n"
		   "  -n, --check-config  check configuration, templates and database; exit\n"
		   "      --once          one planning and delivery pass, then exit\n"
		   "      --now TIME      a simulated clock (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])\n"
		   "      --foreground    log to stderr without journal prefixes\n"),
		CONFIG_DEFAULT_PATH);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "now", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'n': o->check = 1; break;
		case 'o': o->once = 1; break;
		case 'f': o->foreground = 1; break;
		case 't':
			if (cal_parse_instant(optarg, &o->now) < 0) {
				fprintf(stderr, _("backad: --now '%s' is not a time\n"), optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("backad: unexpected argument '%s'\n"), argv[optind]);
		return 2;
	}
	return 0;
}

static void print_error(void *ctx, const char *line)
{
	int *n = ctx;

	(*n)++;
	fprintf(stderr, "%s\n", line);
}

static void log_recovery(const struct engine_stats *st)
{
	const struct outbox_recovery *r = &st->recovery;

	if (r->in_doubt)
		log_warn(ngettext("%d message had begun sending when its process stopped; "
				  "resending it with the same identity, marked in doubt",
				  "%d messages had begun sending when their process stopped; "
				  "resending them with the same identity, marked in doubt",
				  (unsigned long)r->in_doubt),
			 r->in_doubt);
	if (r->released)
		log_info(ngettext("%d claimed message that had not begun sending is due again",
				  "%d claimed messages that had not begun sending are due again",
				  (unsigned long)r->released),
			 r->released);
	if (r->dead || st->expired)
		log_warn(ngettext("%d message passed its lifetime without a result: dead, alerted",
				  "%d messages passed their lifetime without a result: dead, alerted",
				  (unsigned long)(r->dead + st->expired)),
			 r->dead + st->expired);
}

static void log_delivery(const struct deliver_stats *d)
{
	if (d->sent || d->failed || d->dead)
		log_info("sent %d, failed %d, dead %d", d->sent, d->failed, d->dead);
}

static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Everything the loop waits on. */
struct daemon {
	struct engine *g;
	struct engine *old;      /* the engine before a reload, finishing its deliveries */
	int reload_again;        /* a reload came while old finished: done after it */
	const struct opts *o;
	const char *path;
	time_t started;
	int sigfd;
	struct watch watch;
	uint64_t watchdog_usec;  /* 0: no watchdog */
	long long last_ping;     /* mono ms */
	int pg;                  /* the case database is PostgreSQL */
	int leader;              /* it plans: it holds the delivery lock (SQLite)
				  * or the planning lock (PostgreSQL, leader.h) */
	int lockfd;              /* the delivery lock (SQLite), or -1 */
	long holder;             /* who held it when we last tried */
	int lead_waiting;        /* "another daemon plans" is logged */
	long long lock_retry;    /* mono ms: the next try for the lock */
	long long recover_at;    /* mono ms: PostgreSQL, the next look for ended leases */
	int offline;             /* the database connection is lost (PostgreSQL) */
	int abandon;             /* stopping while offline: results cannot be written */
	long long offline_since; /* mono ms */
	long long reconnect_at;  /* mono ms: the next try to connect */
	struct backoff backoff;
	int stopping;
	long long stop_at;       /* mono ms: the grace ends */
	int plan_now;
	int waiting;             /* other database work waits for results under way */
	long long hold_since;    /* mono ms: since then, or 0 */
	time_t next_plan;
	long long settle_start;
	long long status_at;     /* mono ms: STATUS= next refreshed */
	long long log_at;        /* mono ms: the delivery summary next logged */
	char last_error[256];
};

static time_t clock_now(const struct daemon *d)
{
	/* A simulated clock runs on from --now at real speed. */
	return d->o->now ? d->o->now + (time(NULL) - d->started) : time(NULL);
}

static void go_offline(struct daemon *d, const char *why);

/* An error from the database: on PostgreSQL, ERR_IO is a lost connection,
 * which takes the daemon offline until it connects again (logged there,
 * once). 1 when the daemon is offline (the caller logs nothing more). */
static int lost(struct daemon *d, int r, const char *why)
{
	if (d->offline)
		return 1;
	if (!d->pg || r != ERR_IO)
		return 0;
	go_offline(d, why);
	return 1;
}

/* 0, or (PostgreSQL) a negative code: then nothing is watched. */
static int watch_start(struct daemon *d)
{
	struct err e = { 0 };
	int r = watch_open(&d->watch, d->g->db, d->g->cfg, &e);

	if (r == 0)
		return 0;
	if (d->pg) {
		watch_close(&d->watch);
		lost(d, ERR_IO, e.msg);
		return r;
	}
	log_warn("%s; changes by other programs are noticed within %d s", e.msg, MAX_SLEEP_S);
	return 0;
}

static void ping(struct daemon *d)
{
	if (!d->watchdog_usec)
		return;
	sd_notify(0, "WATCHDOG=1");
	d->last_ping = mono_ms();
}

/* A long pass (the day's full pass of a large region) plans for longer than
 * the watchdog waits: the planner calls this every so many subjects, and
 * the watchdog hears from the daemon once a second meanwhile. */
static void pass_alive(void *ctx)
{
	struct daemon *d = ctx;

	if (d->watchdog_usec && mono_ms() - d->last_ping >= 1000)
		ping(d);
}

static void set_error(struct daemon *d, const char *msg)
{
	snprintf(d->last_error, sizeof d->last_error, "%s", msg);
}

static void status(struct daemon *d)
{
	char buf[600], extra[300] = "";

	if (d->stopping)
		snprintf(extra, sizeof extra, "stopping: finishing the messages under way");
	else if (d->offline)
		snprintf(extra, sizeof extra,
			 "database unreachable for %lld s, next try in %lld s: %s",
			 (mono_ms() - d->offline_since) / 1000,
			 (d->reconnect_at - mono_ms() + 999) / 1000, d->last_error);
	else if (!d->pg && d->lockfd < 0)
		snprintf(extra, sizeof extra, "waiting: pid %ld delivers from this database",
			 d->holder);
	else if (d->pg && !d->leader)
		snprintf(extra, sizeof extra, "delivering; another daemon plans (leader: no)");
	else if (d->last_error[0])
		snprintf(extra, sizeof extra, "%slast error: %s", d->pg ? "leader: yes; " : "",
			 d->last_error);
	else if (d->pg)
		snprintf(extra, sizeof extra, "leader: yes (plans and delivers)");
	engine_status(d->g, d->pg && !d->leader ? 0 : d->next_plan, extra, buf, sizeof buf);
	sd_notifyf(0, "STATUS=%s", buf);
	d->status_at = mono_ms() + 2000;
}

/* Take back the claims left over (outbox_recover; on PostgreSQL those of
 * daemons that died, locked rows skipped, so every daemon may look at
 * once), counted into *st (or not kept: NULL). -1 when the connection was
 * lost meanwhile. */
static int recover(struct daemon *d, time_t now, struct engine_stats *st)
{
	struct engine_stats mine = { 0 };
	struct err e = { 0 };
	int r;

	if (!st)
		st = &mine;
	d->recover_at = mono_ms() + RECOVER_EVERY_MS;
	r = engine_recover(d->g, now, st, &e);
	if (r < 0) {
		if (lost(d, r, e.msg))
			return -1;
		log_err("recovery: %s", e.msg);
		set_error(d, e.msg);
	}
	log_recovery(st);
	return 0;
}

/* Take the delivery lock if we can; recover what a gone process left. */
static void try_lock(struct daemon *d, time_t now)
{
	struct err e = { 0 };
	long was = d->holder;
	int r;

	d->lock_retry = mono_ms() + 1000;
	r = instance_lock(d->g->cfg->database, &d->lockfd, &d->holder, &e);
	if (r < 0) {
		log_err("%s", e.msg);
		set_error(d, e.msg);
		return;
	}
	if (r == 0) {
		if (d->holder != was)
			log_warn("pid %ld holds %s.lock: another backad delivers from this database; "
				 "waiting for it to end", d->holder, d->g->cfg->database);
		return;
	}
	d->holder = 0;
	d->leader = 1;
	d->g->delivering = 1;
	recover(d, now, NULL);
	d->plan_now = 1;
}

/* PostgreSQL: take the planning lock if no other daemon holds it. */
static void try_lead(struct daemon *d)
{
	struct err e = { 0 };
	int r;

	d->lock_retry = mono_ms() + LEADER_RETRY_MS;
	r = leader_try(d->g->db, &e);
	if (r < 0) {
		if (!lost(d, r, e.msg) && strcmp(d->last_error, e.msg) != 0) {
			log_err("planning lock: %s", e.msg);
			set_error(d, e.msg);
		}
		return;
	}
	if (r == 0) {
		if (!d->lead_waiting)
			log_info("another backad plans from this database; this one delivers, and "
				 "plans when that one stops (planning lock %lld, tried every %d ms)",
				 (long long)LEADER_LOCK_KEY, LEADER_RETRY_MS);
		d->lead_waiting = 1;
		return;
	}
	d->leader = 1;
	d->lead_waiting = 0;
	log_info("this backad plans from now on: it holds the planning lock (%lld)",
		 (long long)LEADER_LOCK_KEY);
	d->plan_now = 1;
	status(d);
}

static void reload(struct daemon *d)
{
	struct engine *fresh = NULL;
	struct err e = { 0 };
	int n = 0;

	sd_notify(0, "RELOADING=1");
	if (d->old) {
		/* Applied as soon as the previous engine has finished. */
		d->reload_again = 1;
		log_info("reload queued: the previous reload is still finishing its deliveries");
	} else if (d->offline) {
		d->reload_again = 1;
		log_info("reload queued: the case database is unreachable; it is applied when "
			 "the connection is back");
	} else if (engine_load(d->path, &fresh, print_error, &n, &e) < 0) {
		log_err("reload failed, keeping the running configuration: %s", e.msg);
	} else if (strcmp(fresh->cfg->database, d->g->cfg->database) != 0) {
		/* The delivery lock and the claims belong to the database. */
		log_err("reload refused: another database (%s) needs a restart of backad",
			fresh->cfg->database);
		engine_free(fresh);
	} else {
		/* The old engine finishes what it has under way; the new one
		 * claims from now on. */
		fresh->delivering = d->g->delivering;
		fresh->noted = d->g->noted;
		delivery_drain(&d->g->dl);
		watch_close(&d->watch);
		if (d->pg && d->leader) {
			/* The planning lock is the old connection's: the new
			 * engine takes it on its own (at once, unless another
			 * daemon is quicker). */
			leader_release(d->g->db);
			d->leader = 0;
			d->lock_retry = 0;
			log_info("planning lock given back for the reload");
		}
		d->old = d->g;
		d->g = fresh;
		log_info("configuration reloaded from %s", d->path);
		if (d->pg && leader_session(d->g->db, &e) < 0)
			lost(d, ERR_IO, e.msg);
		if (!d->offline)
			watch_start(d);
		d->plan_now = 1;
	}
	sd_notify(0, "READY=1");
}

static void begin_stop(struct daemon *d, unsigned signo)
{
	log_info("signal %u: stopping", signo);
	d->stopping = 1;
	d->stop_at = mono_ms() + (long long)d->g->cfg->stop_grace * 1000;
	delivery_drain(&d->g->dl);
	if (d->old)
		delivery_drain(&d->old->dl);
	sd_notify(0, "STOPPING=1");
}

/* Record what the transports reported; log a failure to, once. */
static void flush(struct daemon *d, struct engine *g, time_t now, int force)
{
	struct err e = { 0 };
	int r;

	if (!g->db)
		return; /* offline: kept until the connection is back */
	r = force ? delivery_sync(&g->dl, now, &e) : delivery_flush(&g->dl, now, &e);
	if (r < 0 && !lost(d, r, e.msg)) {
		log_err("recording delivery results: %s", e.msg);
		set_error(d, e.msg);
	}
}

static void plan(struct daemon *d, time_t now)
{
	struct engine_stats st = { 0 };
	struct err e = { 0 };
	time_t midnight;

	int r;

	d->plan_now = 0;
	if (d->g->delivering && recover(d, now, &st) < 0)
		return;
	if ((r = engine_plan(d->g, now, &st, &e)) < 0) {
		/* A lost connection ends the pass (rolled back by the server);
		 * the next leader plans it again. */
		if (lost(d, r, e.msg))
			return;
		log_err("%s", e.msg);
		set_error(d, e.msg);
		d->next_plan = now + 5; /* the database is busy or failing: again soon */
		snprintf(st.deliver.last_error, sizeof st.deliver.last_error, "%s", e.msg);
	} else {
		d->next_plan = now + MAX_SLEEP_S;
		if (st.plan.next_at && st.plan.next_at > now && st.plan.next_at < d->next_plan)
			d->next_plan = st.plan.next_at;
		/* A new day is planned at its start: every count and every
		 * disclosure then holds for the day messages go out on. */
		if (cal_local_to_utc(cal_today(now) + 1, 0, &midnight) == 0 &&
		    midnight > now && midnight < d->next_plan)
			d->next_plan = midnight;
	}
	/* The pass's summary, planning errors, messages given up since the
	 * last pass, and the metrics file; then a new period begins. */
	observe_end(d->g, now, &st, d->next_plan != now + 5);
	observe_begin(d->g);
	status(d);
}

/* The delivery summary and the heartbeat, now and then. */
static void housekeeping(struct daemon *d, time_t now, int force)
{
	struct deliver_stats ds;
	struct err e = { 0 };
	struct engine *gs[2] = { d->g, d->old };
	int r;

	for (int i = 0; i < 2; i++) {
		if (!gs[i] || !gs[i]->dl.news)
			continue;
		delivery_take_stats(&gs[i]->dl, &ds);
		d->g->total.sent += ds.sent;
		d->g->total.failed += ds.failed;
		d->g->total.dead += ds.dead;
		if (ds.last_error[0]) {
			set_error(d, ds.last_error);
			memcpy(d->g->total.last_error, ds.last_error, sizeof ds.last_error);
		}
		if (ds.unrecorded) {
			log_err(ngettext("%d delivery result could not be recorded: its message is "
					 "dead, in doubt, and the administrator alerted (%s)",
					 "%d delivery results could not be recorded: their messages "
					 "are dead, in doubt, and the administrator alerted (last: %s)",
					 (unsigned long)ds.unrecorded),
				ds.unrecorded, ds.unrecorded_error);
			set_error(d, ds.unrecorded_error);
		}
		if (ds.email_error[0])
			memcpy(d->g->total.email_error, ds.email_error, sizeof ds.email_error);
		if (ds.sms_error[0])
			memcpy(d->g->total.sms_error, ds.sms_error, sizeof ds.sms_error);
		if (mono_ms() >= d->status_at)
			status(d);
	}
	if (force || mono_ms() >= d->log_at ||
	    (!delivery_busy(&d->g->dl) && (d->g->total.sent || d->g->total.failed ||
					   d->g->total.dead))) {
		log_delivery(&d->g->total);
		d->g->total.sent = d->g->total.failed = d->g->total.dead = 0;
		d->log_at = mono_ms() + 60000;
	}
	/* The heartbeat is the planning daemon's (on SQLite the delivering
	 * one; a second one only waits). */
	if (d->leader && !d->offline && (r = engine_note(d->g, now, &d->g->total, 0, &e)) < 0 &&
	    !lost(d, r, e.msg))
		log_warn("heartbeat: %s", e.msg);
	if (mono_ms() >= d->status_at + 8000)
		status(d);
}

/* The connection to the case database is lost (PostgreSQL): log it once,
 * drop the connections (the planning lock goes with the main one), and try
 * again after BACKOFF_FIRST_MS, doubling up to BACKOFF_MAX_MS. Delivery
 * keeps what its transports report until it can be written. */
static void go_offline(struct daemon *d, const char *why)
{
	char where[300];

	pg_describe(d->g->cfg->database, where, sizeof where);
	log_err("lost the connection to the case database (%s): %s; trying again in %d s, "
		"then at growing intervals up to %d s", where, why, BACKOFF_FIRST_MS / 1000,
		BACKOFF_MAX_MS / 1000);
	set_error(d, why);
	if (d->leader)
		log_warn("the planning lock went with the connection: another backad may plan now");
	d->leader = 0;
	d->lead_waiting = 0;
	d->offline = 1;
	d->offline_since = mono_ms();
	watch_close(&d->watch);
	engine_disconnect(d->g);
	if (d->old)
		engine_disconnect(d->old);
	backoff_reset(&d->backoff);
	d->reconnect_at = mono_ms() + backoff_next(&d->backoff);
	d->g->dl.retry_at = d->reconnect_at;
	if (d->old)
		d->old->dl.retry_at = d->reconnect_at;
	status(d);
}

/* One try to connect again; quiet when it fails (the loss is logged). */
static void reconnect(struct daemon *d)
{
	struct engine *gs[2] = { d->g, d->old };
	struct err e = { 0 };
	int r = 0;

	ping(d); /* a try may wait up to PG_CONNECT_TIMEOUT s for the server */
	for (int i = 0; i < 2 && r == 0; i++)
		if (gs[i])
			r = engine_connect(gs[i], &e);
	if (r == 0)
		r = leader_session(d->g->db, &e);
	if (r == 0 && (r = watch_open(&d->watch, d->g->db, d->g->cfg, &e)) < 0)
		watch_close(&d->watch);
	ping(d);
	if (r < 0) {
		for (int i = 0; i < 2; i++)
			if (gs[i])
				engine_disconnect(gs[i]);
		d->reconnect_at = mono_ms() + backoff_next(&d->backoff);
		d->g->dl.retry_at = d->reconnect_at;
		if (d->old)
			d->old->dl.retry_at = d->reconnect_at;
		set_error(d, e.msg);
		status(d);
		return;
	}
	log_info("connected to the case database again after %lld s",
		 (mono_ms() - d->offline_since) / 1000);
	d->offline = 0;
	d->last_error[0] = '\0';
	backoff_reset(&d->backoff);
	d->g->dl.retry_at = 0;
	if (d->old)
		d->old->dl.retry_at = 0;
	d->lock_retry = 0;  /* the planning lock: at once */
	d->plan_now = 1;    /* what was committed meanwhile */
	delivery_poke(&d->g->dl);
	if (d->reload_again && !d->old && !d->stopping) {
		d->reload_again = 0;
		reload(d);
	}
	status(d);
}

#define MAX_FDS 128

/* Is database work other than recording due: the lock, a planning pass,
 * recovery, a claim? */
static int other_work_due(struct daemon *d, time_t now)
{
	if (d->offline || d->stopping)
		return 0;
	if (!d->leader && mono_ms() >= d->lock_retry)
		return 1;
	if (d->leader && (d->plan_now || now >= d->next_plan))
		return 1;
	if (d->pg && d->g->delivering && mono_ms() >= d->recover_at)
		return 1;
	return d->g->delivering && delivery_due(&d->g->dl, now);
}

/* Other database work waits for the results of the data under way, at most
 * DELIVER_HOLD_MS: a message a server accepts while the daemon is busy
 * elsewhere waits that long to be recorded, and a crash meanwhile sends it
 * again. Meanwhile no further data begins (delivery_hold). 1: wait. */
static int wait_for_results(struct daemon *d, time_t now)
{
	struct delivery *dl = &d->g->dl;

	if (!other_work_due(d, now))
		return 0;
	delivery_hold(dl, 1);
	if (!d->hold_since)
		d->hold_since = mono_ms();
	return !delivery_quiet(dl) && mono_ms() - d->hold_since < DELIVER_HOLD_MS;
}

/* The work due before waiting: the lock, a planning pass, claims, records. */
static void work(struct daemon *d, time_t now)
{
	struct err e = { 0 };
	int r;

	if (d->offline && !d->stopping && mono_ms() >= d->reconnect_at)
		reconnect(d);
	d->waiting = wait_for_results(d, now);
	if (d->waiting) {
		flush(d, d->g, now, 0);
		return;
	}
	if (!d->offline && !d->leader && !d->stopping && mono_ms() >= d->lock_retry) {
		if (d->pg)
			try_lead(d);
		else
			try_lock(d, now);
	}
	if (!d->offline && !d->stopping && d->leader && (d->plan_now || now >= d->next_plan))
		plan(d, now);
	if (d->pg && !d->offline && !d->stopping && d->g->delivering && mono_ms() >= d->recover_at)
		recover(d, now, NULL);
	if (!d->offline && !d->stopping && d->g->delivering &&
	    (r = delivery_pump(&d->g->dl, now, &e)) < 0 && !lost(d, r, e.msg)) {
		log_err("%s", e.msg);
		set_error(d, e.msg);
	}
	flush(d, d->g, now, 0);
	if (d->old) {
		flush(d, d->old, now, 0);
		if (!delivery_busy(&d->old->dl)) {
			housekeeping(d, now, 0);
			engine_free(d->old);
			d->old = NULL;
			if (d->reload_again && !d->stopping) {
				d->reload_again = 0;
				reload(d);
			}
		}
	}
	housekeeping(d, now, 0);
	/* What began meanwhile goes now. */
	delivery_hold(&d->g->dl, 0);
	d->hold_since = 0;
}

/* What to wait for (into pfd: the signals, the watch, then the current
 * engine's transports from *ng_off, the old one's from *no_off) and until
 * when (mono ms). Returns how many descriptors. */
static int wait_set(struct daemon *d, time_t now, struct pollfd *pfd, int *ng_off, int *no_off,
		    long long *deadline)
{
	time_t wake = d->leader && !d->offline && !d->stopping ? d->next_plan : now + 60, dwake;
	long long until = mono_ms() + 60000;
	int n = 0;

	pfd[n++] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
	if (d->watch.fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = d->watch.fd, .events = POLLIN };
	dwake = wake;
	*ng_off = n;
	n += delivery_fds(&d->g->dl, pfd + n, MAX_FDS - n, &until, &dwake);
	*no_off = n;
	if (d->old)
		n += delivery_fds(&d->old->dl, pfd + n, MAX_FDS - n, &until, &dwake);
	if (d->waiting) {
		/* Until a result comes (the transports' descriptors) or the
		 * wait is over; what is due waits for either. */
		if (d->hold_since + DELIVER_HOLD_MS < until)
			until = d->hold_since + DELIVER_HOLD_MS;
		*deadline = until;
		return n;
	}
	/* Something due to claim: only for the lock's holder, not when
	 * stopping (then the transports' deadlines and the grace decide). */
	if (d->g->delivering && !d->offline && !d->stopping && dwake < wake)
		wake = dwake;
	if (wake <= now)
		until = 0;
	else if (mono_ms() + (long long)(wake - now) * 1000 < until)
		until = mono_ms() + (long long)(wake - now) * 1000;
	if (!d->leader && !d->offline && !d->stopping && d->lock_retry < until)
		until = d->lock_retry;
	if (d->pg && d->g->delivering && !d->offline && !d->stopping && d->recover_at < until)
		until = d->recover_at;
	if (d->offline && !d->stopping && d->reconnect_at < until)
		until = d->reconnect_at;
	if (d->stopping && d->stop_at < until)
		until = d->stop_at;
	if (d->watchdog_usec && d->last_ping + (long long)(d->watchdog_usec / 2000) < until)
		until = d->last_ping + (long long)(d->watchdog_usec / 2000);
	if (d->watch.settling) {
		/* A write began: look again soon until it commits or settles. */
		if (mono_ms() - d->settle_start > WATCH_SETTLE_MS)
			d->watch.settling = 0;
		else if (until > mono_ms() + WATCH_RECHECK_MS)
			until = mono_ms() + WATCH_RECHECK_MS;
	}
	*deadline = until;
	return n;
}

/* A signal, or a commit by another process. 1 when a reload swapped the
 * engines (the one that was polled is d->old now). */
static int outside_events(struct daemon *d, struct pollfd *pfd)
{
	struct signalfd_siginfo si;
	struct err e = { 0 };
	struct engine *was_current = d->g;
	int r = 0;

	if (pfd[0].revents & POLLIN && read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP && !d->stopping)
			reload(d);
		else if (si.ssi_signo != SIGHUP && !d->stopping)
			begin_stop(d, si.ssi_signo);
	}
	if (d->g != was_current)
		return 1;
	if (d->watch.fd >= 0 && pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
		int was = d->watch.settling;

		r = watch_changed(&d->watch, &e);
		if (d->watch.settling && !was)
			d->settle_start = mono_ms();
	} else if (d->watch.settling) {
		r = watch_recheck(&d->watch, &e);
	}
	if (r < 0 && !lost(d, r, e.msg))
		log_warn("%s", e.msg);
	if (r > 0) {
		d->plan_now = 1;
		delivery_poke(&d->g->dl);
	}
	return 0;
}

/* The stop grace is over: end what is still under way; each message is
 * recorded as sent, failed or in doubt. */
static void end_grace(struct daemon *d, time_t now)
{
	log_warn("the stop grace (%d s) is over: ending the sessions still under way",
		 d->g->cfg->stop_grace);
	if (d->offline) {
		/* Nothing can be recorded: the claims' leases end and the
		 * messages are recovered (in doubt where their data began). */
		log_warn("the case database is unreachable: the results under way are not "
			 "recorded; their messages are taken back when their leases end");
		d->abandon = 1;
	}
	delivery_stop(&d->g->dl);
	flush(d, d->g, now, 1);
	if (d->old) {
		delivery_stop(&d->old->dl);
		flush(d, d->old, now, 1);
	}
	d->stop_at = mono_ms() + 60000;
}

static int loop(struct daemon *d)
{
	int rc = 0;

	d->sigfd = signal_fd();
	if (d->sigfd < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	d->lockfd = -1;
	d->watch.fd = -1;
	d->pg = dbi_backend(d->g->db) == DBI_PG;
	if (d->pg) {
		/* Every daemon delivers: the outbox's claims decide which
		 * sends what. Only the planning lock's holder plans. */
		struct err e = { 0 };

		d->g->delivering = 1;
		if (leader_session(d->g->db, &e) < 0)
			lost(d, ERR_IO, e.msg);
	}
	if (!d->offline)
		watch_start(d);
	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	planner_on_progress(pass_alive, d);
	sd_notify(0, "READY=1");
	ping(d);
	d->plan_now = 1;
	d->log_at = mono_ms() + 60000;
	observe_begin(d->g);
	for (;;) {
		struct pollfd pfd[MAX_FDS];
		time_t now = clock_now(d);
		long long deadline, left;
		int n, ng, no;

		work(d, now);
		if (d->stopping && ((!delivery_busy(&d->g->dl) && !d->old) || d->abandon))
			break;
		n = wait_set(d, now, pfd, &ng, &no, &deadline);
		left = deadline - mono_ms();
		left = left < 0 ? 0 : left > 600000 ? 600000 : left;
		if (poll(pfd, (nfds_t)n, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (d->watchdog_usec &&
		    mono_ms() - d->last_ping >= (long long)(d->watchdog_usec / 2000))
			ping(d);
		/* The channels. After a reload just now, the engine that was
		 * polled (as the current one) is d->old. */
		if (outside_events(d, pfd)) {
			delivery_run(&d->old->dl, pfd + ng);
		} else {
			delivery_run(&d->g->dl, pfd + ng);
			if (d->old)
				delivery_run(&d->old->dl, pfd + no);
		}
		now = clock_now(d);
		flush(d, d->g, now, 0);
		if (d->old)
			flush(d, d->old, now, 0);
		if (d->stopping && mono_ms() >= d->stop_at)
			end_grace(d, now);
	}
	if (!d->offline)
		housekeeping(d, clock_now(d), 1);
	watch_close(&d->watch);
	close(d->sigfd);
	if (d->old) {
		engine_free(d->old);
		d->old = NULL;
	}
	if (d->pg && d->leader)
		leader_release(d->g->db); /* another daemon plans at once */
	instance_unlock(d->lockfd);
	return rc;
}

/* --once: plan, and deliver what is due unless a daemon delivers. */
static int run_once(struct engine *g, time_t now)
{
	struct engine_stats st = { 0 };
	struct err e = { 0 };
	long holder = 0;
	int fd = -1, r, leader = 0;

	if (dbi_backend(g->db) == DBI_PG) {
		/* Delivers with the running daemons (the claims decide); plans
		 * only if none of them plans now. */
		r = leader_try(g->db, &e);
		if (r < 0) {
			log_err("%s", e.msg);
			return 1;
		}
		leader = r;
		g->delivering = 1;
		g->plan_elsewhere = !leader;
		if (!leader)
			log_warn("another backad plans from this database: delivered only, "
				 "nothing planned");
	} else {
		r = instance_lock(g->cfg->database, &fd, &holder, &e);
		if (r < 0) {
			log_err("%s", e.msg);
			return 1;
		}
		g->delivering = r == 1;
		if (!g->delivering)
			log_warn("pid %ld holds %s.lock: a running backad delivers from this "
				 "database; planned only, nothing delivered", holder,
				 g->cfg->database);
	}
	observe_begin(g);
	r = engine_pass(g, now, &st, &e);
	log_recovery(&st);
	if (r < 0) {
		log_err("%s", e.msg);
		snprintf(st.deliver.last_error, sizeof st.deliver.last_error, "%s", e.msg);
	}
	observe_end(g, now, &st, r == 0);
	/* What is still under way (nothing, unless an error stopped the pass)
	 * ends and is recorded before the lock goes. */
	delivery_stop(&g->dl);
	delivery_sync(&g->dl, now, &e);
	if (leader)
		leader_release(g->db);
	instance_unlock(fd);
	return r < 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct engine *g = NULL;
	struct err e = { 0 };
	const char *path;
	int n = 0, rc;

	/* A planning pass allocates and frees much; keep freed memory rather
	 * than trimming the heap after every pass (measured: 3x faster). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	cal_init();
	i18n_init();
	/* Writes to a gone peer (an SMTP child, a socket) fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	log_init("backad", !o.foreground && !o.check && getenv("JOURNAL_STREAM"));
	path = config_path(o.config);
	if (engine_load(path, &g, print_error, &n, &e) < 0) {
		if (!n)
			fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	if (o.check) {
		preflight_warn(g->cfg, path, stderr);
		printf(_("configuration OK\n"));
		rc = 0;
	} else if (o.once) {
		rc = run_once(g, o.now ? o.now : time(NULL));
	} else {
		struct daemon d = { .g = g, .o = &o, .path = path, .started = time(NULL) };

		rc = loop(&d);
		g = d.g;
	}
	engine_free(g);
	return rc;
}
