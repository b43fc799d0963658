/* fuzz_csv.c - libFuzzer target: CSV files imported into a case database.
 * The first byte picks the kind; the rest is the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/backad-fuzz-csv-XXXXXX";
	struct import_result res;
	struct err e;
	int fd, kind;
	FILE *f;

	if (!db) {
		/* One database for the run: a rejected file changes nothing, an
		 * accepted one only adds rows. */
		char dbpath[64];

		/* A file: the case database is always in WAL mode. */
		snprintf(dbpath, sizeof dbpath, "/tmp/backad-fuzz-%ld.db", (long)getpid());
		unlink(dbpath);
		if (db_open(dbpath, DB_CREATE | DB_MIGRATE, &db, &e) < 0)
			abort();
		db_exec(db, "PRAGMA synchronous = OFF", &e);
		/* Registers to refer to (run from the top of the tree). */
		for (int i = 0; i < 3; i++) {
			char demo[64];

			snprintf(demo, sizeof demo, "etc/demo/%s.csv", import_kinds[i]);
			import_file(db, import_kinds[i], demo, &res, &e);
		}
	}
	if (size < 1)
		return 0;
	kind = data[0] % 6;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	f = fdopen(fd, "w");
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	import_file(db, import_kinds[kind], path, &res, &e);
	unlink(path);
	return 0;
}
