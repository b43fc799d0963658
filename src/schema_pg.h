/* schema_pg.h - the case database schema in PostgreSQL: the dialect of
 * src/schema.c's SQLite migrations, and creating it (backactl init). */
#ifndef BACKAD_SCHEMA_PG_H
#define BACKAD_SCHEMA_PG_H

#include <libpq-fe.h>

#include "err.h"

/* The channel the fact triggers notify, with "kind:id" as the payload. */
#define PG_FACTS_CHANNEL "backad_facts"

/* The schema version the PostgreSQL script creates (== schema_version()). */
int schema_pg_version(void);

/* The schema version of the database (its backad_schema row): 0 when it has
 * no backad schema, else the version, or a negative code. */
int schema_pg_db_version(PGconn *c, struct err *e);

/* Create the schema in an empty database (*created = 1) or migrate an older
 * one to the current version (*created = 2), in one transaction; a database
 * at the current version is left alone (*created = 0), a newer one refused
 * (ERR_VERSION). */
int schema_pg_init(PGconn *c, int *created, struct err *e);

/* Create the current schema in an empty database, inside the caller's
 * transaction (the copy of migrate-to). */
int schema_pg_create(PGconn *c, struct err *e);

/* The SQL that creates schema version SCHEMA_PG_BASE. */
const char *schema_pg_script(void);

#endif
