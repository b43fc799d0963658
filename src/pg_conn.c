/* pg_conn.c - backend selection and PostgreSQL connections (libpq).
 * The password is looked for where systemd and libpq keep secrets, never in
 * backad.conf: database_password_file (mode 600, owned by the service user
 * or root), then the credential backad-db-password, then libpq's own
 * PGPASSFILE or ~/.pgpass. Messages name the server and the database only. */
#include "pg_conn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "secret.h"

enum db_backend db_backend_of(const char *database)
{
	const char *p = database;

	if (!p)
		return DB_BACKEND_SQLITE;
	if (strncmp(p, "postgresql://", 13) == 0 || strncmp(p, "postgres://", 11) == 0)
		return DB_BACKEND_POSTGRESQL;
	/* key=value: a keyword of letters and '_', optional blanks, then '='. */
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isalpha((unsigned char)*p))
		return DB_BACKEND_SQLITE;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=' ? DB_BACKEND_POSTGRESQL : DB_BACKEND_SQLITE;
}

static const char *opt(PQconninfoOption *o, const char *key)
{
	for (; o && o->keyword; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

void pg_describe(const char *conninfo, char *buf, size_t size)
{
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL);
	const char *host, *port, *db, *user;

	if (!o) {
		snprintf(buf, size, "%s", _("a PostgreSQL database (the connection string does not parse)"));
		return;
	}
	host = opt(o, "host");
	if (!host)
		host = opt(o, "hostaddr");
	port = opt(o, "port");
	user = opt(o, "user");
	db = opt(o, "dbname");
	/* [user@]host[:port], the way psql's users write it. */
	snprintf(buf, size, _("PostgreSQL database %s on %s%s%s%s%s"), db ? db : user ? user : "?",
		 user ? user : "", user ? "@" : "", host ? host : _("the local socket"),
		 port ? ":" : "", port ? port : "");
	PQconninfoFree(o);
}

int pg_conninfo_check(const char *conninfo, struct err *e)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(conninfo, &msg);
	int r = 0;

	if (!o) {
		/* libpq's reason quotes the string, which may hold a password:
		 * never shown. */
		r = msg ? err_set(e, ERR_INVALID, "the PostgreSQL connection string does not parse; "
				  "check its syntax (libpq's reason is not shown: it may quote a "
				  "password)")
			: err_set(e, ERR_NOMEM, "out of memory");
		PQfreemem(msg);
		return r;
	}
	if (opt(o, "password"))
		r = err_set(e, ERR_INVALID, "the PostgreSQL connection string holds a password: put "
			    "it in database_password_file (mode 600), the credential %s or "
			    "~/.pgpass instead", PG_CREDENTIAL);
	PQconninfoFree(o);
	return r;
}

const char *pg_error(PGconn *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s", c ? PQerrorMessage(c) : "out of memory");
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

const char *pg_result_text(const PGresult *res, PGconn *c, char *buf, size_t size)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t len;

	if (!msg)
		return pg_error(c, buf, size);
	if (state && (strncmp(state, "00", 2) == 0 || strncmp(state, "01", 2) == 0 ||
		      strncmp(state, "P0", 2) == 0)) {
		snprintf(buf, size, _("raised by database code (SQLSTATE %s)"), state);
		return buf;
	}
	len = strcspn(msg, "\n");
	if (state && strncmp(state, "22", 2) == 0) {
		const char *colon = strstr(msg, ": ");

		if (colon && (size_t)(colon - msg) < len)
			len = (size_t)(colon - msg);
	}
	snprintf(buf, size, "%.*s", (int)len, msg);
	return buf;
}

/* What to look at when a connection fails, by what libpq said. */
static const char *hint(PGconn *c)
{
	const char *m = PQerrorMessage(c);

	if (PQconnectionNeedsPassword(c) || strstr(m, "password"))
		return _("check the user name and its password (database_password_file, the "
			 "credential backad-db-password or ~/.pgpass)");
	if (strstr(m, "does not exist"))
		return _("check the database and user names");
	return _("check that PostgreSQL runs there and accepts connections (host, port, "
		 "listen_addresses, pg_hba.conf, a firewall)");
}

/* What the server says outside of a call's result. libpq printed it on
 * stderr bare ("FATAL:  terminating connection due to administrator
 * command"), beside the daemon's own lines and without its prefix. A
 * connection's end is reported by the call that finds it (logged once, at
 * the edge), so here only at debug level; a warning is logged as one. */
static void server_says(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	char text[300];

	pg_result_text(res, arg, text, sizeof text);
	if (sev && strcmp(sev, "WARNING") == 0)
		log_warn("PostgreSQL: %s", text);
	else
		log_debug("PostgreSQL %s: %s", sev ? sev : "notice", text);
}

int pg_connect(const struct config *cfg, const char *conninfo, PGconn **out, struct err *e)
{
	const char *kw[16], *val[16];
	char *password = NULL, what[400], msg[400];
	PGconn *c = NULL;
	int n = 0, r;

	*out = NULL;
	r = pg_conninfo_check(conninfo, e);
	if (r < 0)
		return r;
	if (cfg && cfg->database_password_file) {
		r = secret_file_read(cfg->database_password_file, geteuid(), &password, e);
		if (r < 0)
			return r;
	} else {
		r = secret_credential(PG_CREDENTIAL, &password, e);
		if (r < 0)
			return r;
	}
	/* Defaults the connection string may override, the string itself, then
	 * what backad relies on (text in UTF-8, instants in UTC). */
	kw[n] = "connect_timeout", val[n++] = PG_CONNECT_TIMEOUT;
	kw[n] = "application_name", val[n++] = "backad";
	/* A server host that vanishes without a reset is noticed within some
	 * 25 s (keepalives, unacknowledged data), not after the kernel's hours:
	 * no call waits longer than the daemon's watchdog allows. */
	kw[n] = "keepalives", val[n++] = "1";
	kw[n] = "keepalives_idle", val[n++] = "10";
	kw[n] = "keepalives_interval", val[n++] = "5";
	kw[n] = "keepalives_count", val[n++] = "3";
	kw[n] = "tcp_user_timeout", val[n++] = "25000";
	kw[n] = "dbname", val[n++] = conninfo;
	kw[n] = "client_encoding", val[n++] = "UTF8";
	/* Instants in UTC; the server's notices (a temporary table that
	 * already exists) are not the daemon's to print. */
	kw[n] = "options", val[n++] = "-c TimeZone=UTC -c client_min_messages=warning";
	if (password)
		kw[n] = "password", val[n++] = password;
	kw[n] = NULL, val[n] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	pg_describe(conninfo, what, sizeof what);
	if (!c)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		r = err_set(e, ERR_IO, "%s: cannot connect: %s; %s", what,
			    pg_error(c, msg, sizeof msg), hint(c));
		PQfinish(c);
		return r;
	}
	PQsetNoticeReceiver(c, server_says, c);
	*out = c;
	return 0;
}

int pg_exec(PGconn *c, const char *sql, struct err *e)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);
	char msg[400];
	int r = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		r = err_set(e, ERR_DB, "PostgreSQL: %s", pg_result_text(res, c, msg, sizeof msg));
	PQclear(res);
	return r;
}
