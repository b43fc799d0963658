/* backad-web.c - the acknowledgement service: options, the listening socket
 * (systemd socket activation, or --listen for tests and trials), the
 * configuration, keys and database, and systemd readiness. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "ack_token.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "web.h"

struct opts {
	const char *config, *listen;
	time_t now;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: backad-web [-c FILE] [--listen ADDRESS:PORT] [--now TIME]\n"
		   "  -c FILE              configuration (default %s)\n"
		   "      --listen A:P     listen on A:P (port 0: any free one, printed as\n"
		   "                       \"ready PORT\"); without it, the socket systemd passes\n"
		   "      --now TIME       a fixed clock for link expiry (tests)\n",
		CONFIG_DEFAULT_PATH);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "now", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen = optarg; break;
		case 't':
			if (cal_parse_instant(optarg, &o->now) < 0) {
				fprintf(stderr, "backad-web: --now '%s' is not a time\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* A socket listening on "ADDRESS:PORT" (IPv4 or [IPv6]); the port it got
 * in *port. */
static int listen_on(const char *spec, int *port, struct err *e)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	const char *colon = strrchr(spec, ':');
	char host[64];
	int fd, one = 1, v6;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
		return err_set(e, ERR_INVALID, "--listen '%s': ADDRESS:PORT expected", spec);
	snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
	v6 = host[0] == '[';
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		host[strcspn(host, "]")] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return err_set(e, ERR_INVALID, "--listen '%s': not an address", spec);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(e, ERR_INVALID, "--listen '%s': not an address", spec);
		len = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, ERR_IO, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		err_set(e, ERR_IO, "--listen '%s': %s", spec, strerror(errno));
		close(fd);
		return ERR_IO;
	}
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* The listening socket: systemd's, or --listen's. */
static int get_socket(const struct opts *o, struct err *e)
{
	int n = sd_listen_fds(1), port = 0, fd;

	if (n > 1)
		return err_set(e, ERR_INVALID, "systemd passed %d sockets; one expected", n);
	if (n == 1)
		return SD_LISTEN_FDS_START;
	if (!o->listen)
		return err_set(e, ERR_INVALID, "no socket: start through backad-web.socket, or "
					       "give --listen ADDRESS:PORT");
	fd = listen_on(o->listen, &port, e);
	if (fd >= 0) {
		printf("ready %d\n", port);
		fflush(stdout);
	}
	return fd;
}

static int serve(const struct opts *o, const struct config *cfg, struct ack_keys *keys)
{
	struct err e = { 0 };
	struct web *w = NULL;
	struct dbi *db = NULL;
	sigset_t set;
	int fd, sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the service's thread */
	/* One thread serves every request: a lock held by backad or backactl
	 * costs a request at most WEB_BUSY_TIMEOUT_MS (it gets 503 and
	 * Retry-After), not everyone behind it. */
	if (db_open_cfg(cfg, 0, &db, &e) < 0 || web_db_wait(db, &e) < 0) {
		log_err("%s", e.msg);
		db_close(db);
		return 1;
	}
	fd = get_socket(o, &e);
	if (fd < 0 || web_start(fd, cfg, db, keys, o->now, &w, &e) < 0) {
		log_err("%s", e.msg);
		if (fd >= 0)
			close(fd);
		db_close(db);
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=serving acknowledgement links");
	log_info("serving acknowledgement links");
	sigwait(&set, &sig);
	sd_notify(0, "STOPPING=1");
	web_stop(w);
	close(fd);
	db_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct config *cfg = NULL;
	struct ack_keys keys;
	struct err e = { 0 };
	int r;

	cal_init(); /* Stockholm time, also for --now */
	r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	log_init("backad-web", getenv("JOURNAL_STREAM") != NULL);
	if (config_load(config_path(o.config), &cfg, NULL, NULL, &e) < 0) {
		log_err("%s", e.msg);
		return 1;
	}
	if (ack_keys_load(cfg->web_key_file, &keys, &e) < 0) {
		log_err("%s", e.msg);
		config_free(cfg);
		return 1;
	}
	r = serve(&o, cfg, &keys);
	ack_keys_clear(&keys);
	config_free(cfg);
	return r;
}
