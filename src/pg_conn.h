/* pg_conn.h - which backend a `database` value selects, and opening a
 * PostgreSQL connection with the password from a protected file, a systemd
 * credential or libpq's own password file (never the configuration). */
#ifndef BACKAD_PG_CONN_H
#define BACKAD_PG_CONN_H

#include <libpq-fe.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"

enum db_backend { DB_BACKEND_SQLITE, DB_BACKEND_POSTGRESQL };

/* The systemd credential (LoadCredential=backad-db-password:FILE) read
 * when no database_password_file is configured. */
#define PG_CREDENTIAL "backad-db-password"
/* Seconds libpq waits for a server before giving up. */
#define PG_CONNECT_TIMEOUT "10"

/* postgresql:// and postgres:// URIs and libpq key=value strings (a word,
 * '=', ...) select PostgreSQL; anything else is a SQLite path. */
enum db_backend db_backend_of(const char *database);

/* "database D on host H port P" for messages: never the password. */
void pg_describe(const char *conninfo, char *buf, size_t size);

/* 0 when conninfo parses and names no password (the password belongs in a
 * protected file, not in the configuration or on a command line); else
 * ERR_INVALID with the reason. */
int pg_conninfo_check(const char *conninfo, struct err *e);

/* Connect to conninfo: the password from cfg->database_password_file (cfg
 * may be NULL), else the credential PG_CREDENTIAL, else libpq's PGPASSFILE
 * or ~/.pgpass; application_name backad, UTF-8, TimeZone UTC and a connect
 * timeout. *out is closed by the caller with PQfinish. Errors name the
 * server and database and say what to check. */
int pg_connect(const struct config *cfg, const char *conninfo, PGconn **out, struct err *e);

/* Run SQL without results (several statements allowed). */
int pg_exec(PGconn *c, const char *sql, struct err *e);
/* The first line of the connection's last error. */
const char *pg_error(PGconn *c, char *buf, size_t size);

/* What a failed result (or a notice) may say in a log or an error message,
 * into buf: the primary message's first line, but never data a row holds.
 * A value quoted by a data exception (class 22: invalid input syntax for
 * type date: "...", an invalid byte sequence) is cut off; the text of a
 * RAISE or a warning written by database code (classes 00, 01 and P0: a
 * trigger another system added may quote a child's name) is replaced by
 * its SQLSTATE. Without a result (or its message), c's last error. */
const char *pg_result_text(const PGresult *res, PGconn *c, char *buf, size_t size);

#endif
