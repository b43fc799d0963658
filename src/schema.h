/* schema.h - the case database schema, as numbered migrations. */
#ifndef BACKAD_SCHEMA_H
#define BACKAD_SCHEMA_H

/* The schema version this program writes and expects. */
int schema_version(void);
/* SQL that takes a database from to_version-1 to to_version; NULL if none. */
const char *schema_migration(int to_version);

#endif
