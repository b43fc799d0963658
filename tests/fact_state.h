/* fact_state.h - the facts an import or a sync leaves behind, written as text
 * by natural keys (codes and references, never row ids, which PostgreSQL's
 * identity counters and SQLite's rowids hand out differently after a
 * rollback), so that tests/it_import_pg.sh can compare each test's final
 * database on SQLite and PostgreSQL line for line. Header-only. */
#ifndef BACKAD_FACT_STATE_H
#define BACKAD_FACT_STATE_H

#include "testutil.h"

/* The facts, table by table, in a fixed order. */
static const char *const fact_state_sql[] = {
	"SELECT code, kind, name, municipality, email FROM unit ORDER BY code",
	"SELECT s.code, s.name, s.email, s.mobile, u.code, s.active, s.channel FROM staff s"
	" LEFT JOIN unit u ON u.id = s.unit_id ORDER BY s.code",
	"SELECT ref, birth_date, name, pnr, protected_identity FROM child ORDER BY ref",
	"SELECT c.ref, u.code, p.kind, p.start_date, p.end_date, s.code FROM placement p"
	" JOIN child c ON c.id = p.child_id JOIN unit u ON u.id = p.unit_id"
	" LEFT JOIN staff s ON s.id = p.staff_id ORDER BY c.ref, u.code, p.start_date",
	"SELECT u.code, r.role, s.code, r.start_date, r.end_date FROM unit_role r"
	" JOIN unit u ON u.id = r.unit_id JOIN staff s ON s.id = r.staff_id"
	" ORDER BY u.code, r.role, s.code, r.start_date",
	"SELECT s.code, a.start_date, a.end_date, d.code FROM absence a"
	" JOIN staff s ON s.id = a.staff_id LEFT JOIN staff d ON d.id = a.deputy_id"
	" ORDER BY s.code, a.start_date",
	"SELECT x.source, x.kind, x.ext_id, CASE x.kind"
	" WHEN 'unit' THEN (SELECT code FROM unit WHERE id = x.local_id)"
	" WHEN 'staff' THEN (SELECT code FROM staff WHERE id = x.local_id)"
	" WHEN 'child' THEN (SELECT ref FROM child WHERE id = x.local_id)"
	" WHEN 'placement' THEN (SELECT c.ref || ' ' || u.code || ' ' || p.start_date"
	"  FROM placement p JOIN child c ON c.id = p.child_id JOIN unit u ON u.id = p.unit_id"
	"  WHERE p.id = x.local_id)"
	" ELSE (SELECT u.code || ' ' || s.code || ' ' || r.start_date FROM unit_role r"
	"  JOIN unit u ON u.id = r.unit_id JOIN staff s ON s.id = r.staff_id"
	"  WHERE r.id = x.local_id) END"
	" FROM ext_ref x ORDER BY x.source, x.kind, x.ext_id",
	"SELECT key, rule, channel, address, subject, due_at, state FROM outbox ORDER BY key",
};

/* When BACKAD_TEST_STATE names a directory, write the facts of db to
 * DIR/NAME: one line per row, columns separated by '|', NULL as '-'. */
static inline void fact_state_write(struct dbi *db, const char *name)
{
	const char *dir = getenv("BACKAD_TEST_STATE");
	struct err e = { 0 };
	char path[512];
	FILE *out;
	int r;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	out = fopen(path, "w");
	assert_non_null(out);
	for (size_t t = 0; t < sizeof fact_state_sql / sizeof fact_state_sql[0]; t++) {
		struct dbi_stmt *st = NULL;

		if (dbi_prepare(db, fact_state_sql[t], &st, &e) < 0)
			fail_msg("%s", e.msg);
		fprintf(out, "-- %.40s\n", fact_state_sql[t]);
		while ((r = dbi_step(st, &e)) == DBI_ROW)
			for (int c = 0; c < dbi_column_count(st); c++)
				fprintf(out, "%s%c", dbi_column_is_null(st, c) ? "-" :
					dbi_column_text(st, c), c + 1 < dbi_column_count(st) ? '|' : '\n');
		if (r != DBI_DONE)
			fail_msg("%s", e.msg);
		dbi_finalize(st);
	}
	assert_int_equal(fclose(out), 0);
}

#endif
