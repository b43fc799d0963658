/* schema.h - the case database schema, as numbered migrations. */
#ifndef BACKAD_SCHEMA_H
#define BACKAD_SCHEMA_H

/* The schema version this program writes and expects. */
int schema_version(void);
/* SQL that takes a database from to_version-1 to to_version; NULL if none. */
const char *schema_migration(int to_version);

/* PostgreSQL databases are created at this version (src/schema_pg.c) and
 * migrated from it by schema_migration_pg: the same list of versions, each
 * in PostgreSQL's dialect (NULL at and below the base). */
#define SCHEMA_PG_BASE 8
const char *schema_migration_pg(int to_version);

#endif
