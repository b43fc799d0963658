/* backad.c - the daemon: options, the event loop (signals as events), and
 * systemd readiness. Each wake-up runs one pass of the engine. */
#include <errno.h>
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

#include "calendar.h"
#include "engine.h"
#include "log.h"
#include "observe.h"
#include "preflight.h"
#include "watch.h"

#define MAX_SLEEP_S 300 /* re-plan at least this often (the clock moves on) */

struct opts {
	const char *config;
	int once, check, foreground;
	time_t now;  /* simulated clock, or 0 */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: backad [-c FILE] [--foreground] [--once] [--now TIME]\n"
		   "       backad [-c FILE] -n|--check-config\n\n"
		   "  -c, --config FILE   configuration (default $BACKAD_CONFIG or %s)\n"
		   "  -n, --check-config  check configuration, templates and database; exit\n"
		   "      --once          one planning and delivery pass, then exit\n"
		   "      --now TIME      a simulated clock (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])\n"
		   "      --foreground    log to stderr without journal prefixes\n",
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
				fprintf(stderr, "backad: --now '%s' is not a time\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "backad: unexpected argument '%s'\n", argv[optind]);
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

static void log_pass(const struct engine_stats *st)
{
	if (st->in_doubt)
		log_warn("%d message(s) were being sent when backad stopped; resending with the "
			 "same identity", st->in_doubt);
}

/* The pass's summary, errors and metrics are reported by observe.c. */
static int run_once(struct engine *g, time_t now, struct engine_stats *st)
{
	struct err e = { 0 };
	int r;

	memset(st, 0, sizeof *st);
	observe_begin(g);
	r = engine_pass(g, now, st, &e);
	if (r < 0)
		snprintf(st->deliver.last_error, sizeof st->deliver.last_error, "%s", e.msg);
	else
		log_pass(st);
	observe_end(g, now, st, r == 0);
	return r < 0;
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
	const struct opts *o;
	const char *path;
	time_t started;
	int sigfd;
	struct watch watch;
	uint64_t watchdog_usec; /* 0: no watchdog */
	struct timespec last_ping;
};

static time_t clock_now(const struct daemon *d)
{
	/* A simulated clock runs on from --now at real speed. */
	return d->o->now ? d->o->now + (time(NULL) - d->started) : time(NULL);
}

static void watch_start(struct daemon *d)
{
	struct err e = { 0 };

	if (watch_open(&d->watch, d->g->db, d->g->cfg->database, &e) < 0)
		log_warn("%s; changes by other programs are noticed within %d s", e.msg, MAX_SLEEP_S);
}

static void reload(struct daemon *d)
{
	struct engine *fresh = NULL;
	struct err e = { 0 };
	int n = 0;

	sd_notify(0, "RELOADING=1");
	if (engine_load(d->path, &fresh, print_error, &n, &e) < 0) {
		log_err("reload failed, keeping the running configuration: %s", e.msg);
	} else {
		fresh->recovered = 1;
		watch_close(&d->watch);
		engine_free(d->g);
		d->g = fresh;
		watch_start(d);
		log_info("configuration reloaded from %s", d->path);
	}
	sd_notify(0, "READY=1");
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void ping(struct daemon *d)
{
	if (!d->watchdog_usec)
		return;
	sd_notify(0, "WATCHDOG=1");
	clock_gettime(CLOCK_MONOTONIC, &d->last_ping);
}

enum wake { WAKE_TIMER, WAKE_CHANGE, WAKE_RELOAD, WAKE_STOP, WAKE_ERROR };

/* Sleep until the next pass is due, the database changes, or a signal. */
static enum wake wait_event(struct daemon *d, time_t due)
{
	struct timespec settle_start = { 0, 0 };

	for (;;) {
		struct pollfd pfd[2] = { { .fd = d->sigfd, .events = POLLIN },
					 { .fd = d->watch.fd, .events = POLLIN } };
		long timeout = (long)(due - clock_now(d)) * 1000;
		struct signalfd_siginfo si;
		struct err e = { 0 };
		int r;

		if (d->watchdog_usec) {
			long half = (long)(d->watchdog_usec / 2000) - ms_since(&d->last_ping);

			if (half <= 0) {
				ping(d);
				continue;
			}
			if (half < timeout)
				timeout = half;
		}
		if (d->watch.settling) {
			/* A write began: look again soon until it commits or settles. */
			if (ms_since(&settle_start) > WATCH_SETTLE_MS)
				d->watch.settling = 0;
			else if (timeout > WATCH_RECHECK_MS)
				timeout = WATCH_RECHECK_MS;
		}
		if (timeout <= 0 && due <= clock_now(d))
			return WAKE_TIMER;
		if (poll(pfd, d->watch.fd >= 0 ? 2 : 1, timeout > 0 ? (int)timeout : 0) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return WAKE_ERROR;
		}
		if (pfd[0].revents & POLLIN && read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGHUP)
				return WAKE_RELOAD;
			log_info("signal %u: stopping", si.ssi_signo);
			return WAKE_STOP;
		}
		if (d->watch.fd >= 0 && pfd[1].revents & POLLIN) {
			int was = d->watch.settling;

			r = watch_changed(&d->watch, &e);
			if (d->watch.settling && !was)
				clock_gettime(CLOCK_MONOTONIC, &settle_start);
		} else if (d->watch.settling) {
			r = watch_recheck(&d->watch, &e);
		} else {
			continue;
		}
		if (r < 0)
			log_warn("%s", e.msg);
		if (r > 0)
			return WAKE_CHANGE;
	}
}

static int loop(struct daemon *d)
{
	struct engine_stats st;
	char status[400];
	int rc = 0;

	d->sigfd = signal_fd();
	if (d->sigfd < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	d->watch.fd = -1;
	watch_start(d);
	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	sd_notify(0, "READY=1");
	for (;;) {
		time_t now = clock_now(d), next;
		enum wake w;

		ping(d);
		run_once(d->g, now, &st);
		next = engine_next_wake(d->g, &st, now, MAX_SLEEP_S);
		engine_status(d->g, &st, next, status, sizeof status);
		sd_notifyf(0, "STATUS=%s", status);
		w = wait_event(d, next);
		if (w == WAKE_RELOAD)
			reload(d);
		if (w == WAKE_STOP || w == WAKE_ERROR) {
			rc = w == WAKE_ERROR;
			break;
		}
	}
	sd_notify(0, "STOPPING=1");
	watch_close(&d->watch);
	close(d->sigfd);
	return rc;
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
		printf("configuration OK\n");
		rc = 0;
	} else if (o.once) {
		struct engine_stats st;

		rc = run_once(g, o.now ? o.now : time(NULL), &st);
	} else {
		struct daemon d = { .g = g, .o = &o, .path = path, .started = time(NULL) };

		rc = loop(&d);
		g = d.g;
	}
	engine_free(g);
	return rc;
}
