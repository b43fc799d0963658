/* backad.c - the daemon: options, the event loop (signals as events), and
 * systemd readiness. Each wake-up runs one pass of the engine. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
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

#define MAX_SLEEP_S 60 /* re-plan at least this often (the clock moves on) */

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

static time_t clock_now(const struct opts *o, time_t started)
{
	/* A simulated clock runs on from --now at real speed. */
	return o->now ? o->now + (time(NULL) - started) : time(NULL);
}

static void log_pass(const struct engine_stats *st)
{
	const struct plan_stats *p = &st->plan;
	const struct deliver_stats *d = &st->deliver;

	if (st->in_doubt)
		log_warn("%d message(s) were being sent when backad stopped; resending with the "
			 "same identity", st->in_doubt);
	if (p->planned || p->cancelled || p->updated || p->alerts || d->sent || d->failed ||
	    d->dead)
		log_info("planned %d, updated %d, cancelled %d, alerts %d; sent %d, failed %d, "
			 "dead %d", p->planned, p->updated, p->cancelled, p->alerts, d->sent,
			 d->failed, d->dead);
}

static int run_once(struct engine *g, time_t now)
{
	struct engine_stats st = { 0 };
	struct err e = { 0 };

	if (engine_pass(g, now, &st, &e) < 0) {
		log_err("%s", e.msg);
		return 1;
	}
	log_pass(&st);
	return 0;
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

static void reload(struct engine **g, const char *path)
{
	struct engine *fresh = NULL;
	struct err e = { 0 };
	int n = 0;

	sd_notify(0, "RELOADING=1");
	if (engine_load(path, &fresh, print_error, &n, &e) < 0)
		log_err("reload failed, keeping the running configuration: %s", e.msg);
	else {
		fresh->recovered = 1;
		engine_free(*g);
		*g = fresh;
		log_info("configuration reloaded from %s", path);
	}
	sd_notify(0, "READY=1");
}

static int loop(struct engine **g, const struct opts *o, const char *path)
{
	time_t started = time(NULL);
	struct pollfd pfd = { .events = POLLIN };
	int rc = 0;

	pfd.fd = signal_fd();
	if (pfd.fd < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	sd_notify(0, "READY=1");
	for (;;) {
		struct signalfd_siginfo si;

		if (run_once(*g, clock_now(o, started)) != 0)
			rc = 1; /* logged; try again next wake-up */
		if (poll(&pfd, 1, MAX_SLEEP_S * 1000) < 0 && errno != EINTR)
			break;
		if (read(pfd.fd, &si, sizeof si) != (ssize_t)sizeof si)
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(g, path);
			continue;
		}
		log_info("signal %u: stopping", si.ssi_signo);
		rc = 0;
		break;
	}
	sd_notify(0, "STOPPING=1");
	close(pfd.fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct engine *g = NULL;
	struct err e = { 0 };
	const char *path;
	int n = 0, rc;

	cal_init();
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
		printf("configuration OK\n");
		rc = 0;
	} else if (o.once) {
		rc = run_once(g, o.now ? o.now : time(NULL));
	} else {
		rc = loop(&g, &o, path);
	}
	engine_free(g);
	return rc;
}
