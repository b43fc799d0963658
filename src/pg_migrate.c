/* pg_migrate.c - a SQLite case database into PostgreSQL, verified row for
 * row. Rows travel in COPY's text format (PQputCopyData), and the same text
 * form is the canonical one that is compared and hashed: the SQLite side
 * writes it, the PostgreSQL side is read back with COPY ... TO STDOUT, in
 * the same key order (text keys in byte order, COLLATE "C"), so a
 * difference anywhere names its table and the first differing key. */
#include "pg_migrate.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "i18n.h"
#include "pg_conn.h"
#include "schema.h"
#include "schema_pg.h"
#include "strbuf.h"

/* Every table, parents before children (foreign keys), with the key that
 * orders it on each side; identity: its id column has a counter to set;
 * changes: it has change_<table>, facts_<table> and id_<table> triggers,
 * off while its rows are copied (the counters are set after each table)
 * (the copied fact_change and state rows already say what they would). */
struct mtable {
	const char *name, *key, *pg_key;
	int identity, changes;
};

#define C_ "COLLATE \"C\""
static const struct mtable tables[] = {
	{ "unit", "id", "id", 1, 1 },
	{ "staff", "id", "id", 1, 1 },
	{ "absence", "id", "id", 1, 1 },
	{ "unit_role", "id", "id", 1, 1 },
	{ "child", "id", "id", 1, 1 },
	{ "placement", "id", "id", 1, 1 },
	{ "barnkontakt", "id", "id", 1, 1 },
	{ "referral", "id", "id", 1, 1 },
	{ "discovery_card", "id", "id", 1, 1 },
	{ "followup", "id", "id", 1, 1 },
	{ "consent", "id", "id", 1, 1 },
	{ "task", "id", "id", 1, 0 },
	{ "outbox", "id", "id", 1, 0 },
	{ "audit", "id", "id", 1, 0 },
	{ "state", "key", "key " C_, 0, 0 },
	{ "barnkontakt_known", "child_id", "child_id", 0, 0 },
	{ "outbox_child", "outbox_id, child_id", "outbox_id, child_id", 0, 0 },
	{ "fact_change", "id", "id", 1, 0 },
	{ "plan_error", "subject_key", "subject_key " C_, 0, 0 },
	{ "plan_wake", "subject_key", "subject_key " C_, 0, 0 },
	{ "ext_ref", "source, kind, ext_id", "source " C_ ", kind " C_ ", ext_id " C_, 0, 0 },
	{ "task_ack", "id", "id", 1, 1 },
};
#undef C_
#define NTABLES (sizeof tables / sizeof tables[0])
#define COPY_CHUNK (256 * 1024)

/* The quoted column list of a SQLite table, in its column order. */
static int columns(sqlite3 *db, const char *table, struct strbuf *cols, struct err *e)
{
	sqlite3_stmt *st = NULL;
	char sql[200];
	int r, n = 0;

	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	r = db_prepare(db, sql, &st, e);
	if (r < 0)
		return r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		sb_printf(cols, "%s\"%s\"", n++ ? ", " : "", (const char *)sqlite3_column_text(st, 1));
	r = r == SQLITE_DONE ? 0 : db_fail(db, r, table, e);
	sqlite3_finalize(st);
	if (r == 0 && n == 0)
		r = err_set(e, ERR_INVALID, "the SQLite database has no table %s", table);
	return r == 0 && cols->oom ? err_set(e, ERR_NOMEM, "out of memory") : r;
}

/* Every table of src must be one this copies, so none is left behind. */
static int all_known(sqlite3 *db, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r = db_prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND "
			   "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", &st, e);

	if (r < 0)
		return r;
	while (r == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		size_t i = 0;

		while (i < NTABLES && strcmp(tables[i].name, name) != 0)
			i++;
		r = i < NTABLES ? 0 : err_set(e, ERR_INVALID, "table %s of the SQLite database is "
					      "not one migrate-to knows how to copy", name);
	}
	if (r == SQLITE_DONE)
		r = 0;
	else if (r > 0)
		r = db_fail(db, r, "sqlite_master", e);
	sqlite3_finalize(st);
	return r;
}

/* Append the row's text form (COPY text format: tab between fields, \N
 * for NULL, backslash escapes as COPY TO writes them) and a newline. */
static void row_text(sqlite3_stmt *st, int ncol, struct strbuf *sb)
{
	for (int i = 0; i < ncol; i++) {
		const unsigned char *s;
		int n, from = 0;

		if (i)
			sb_putc(sb, '\t');
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			sb_add(sb, "\\N", 2);
			continue;
		case SQLITE_INTEGER:
			sb_printf(sb, "%lld", (long long)sqlite3_column_int64(st, i));
			continue;
		default:
			break;
		}
		s = sqlite3_column_text(st, i);
		n = sqlite3_column_bytes(st, i);
		for (int j = 0; j < n; j++) {
			const char *esc = NULL;

			switch (s[j]) {
			case '\\': esc = "\\\\"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\v': esc = "\\v"; break;
			default: continue;
			}
			sb_add(sb, (const char *)s + from, (size_t)(j - from));
			sb_add(sb, esc, 2);
			from = j + 1;
		}
		sb_add(sb, (const char *)s + from, (size_t)(n - from));
	}
	sb_putc(sb, '\n');
}

/* Where a COPY failed, from PostgreSQL's context ("COPY child, line 5,
 * column birth_date: \"...\""): the line (0 if none) and the column, never
 * the quoted row or value after them, which hold a child's name and
 * personal identity number. */
static long copy_where(const char *ctx, char *col, size_t n)
{
	const char *p = ctx, *c;
	long line;

	col[0] = '\0';
	while (p && strncmp(p, "COPY ", 5) != 0) { /* a trigger's lines come first */
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	p = p ? strstr(p, ", line ") : NULL;
	if (!p)
		return 0;
	line = strtol(p + 7, NULL, 10);
	c = strstr(p, ", column ");
	if (c) {
		c += 9;
		snprintf(col, n, "%.*s", (int)strcspn(c, ":\n"), c);
	}
	return line;
}

/* The message of a failed PostgreSQL result, without a row's data
 * (pg_result_text); with where a COPY failed:
 * the row's key in src (the rows go in key order, so line N is the Nth)
 * and the column. Nothing of PostgreSQL's CONTEXT or DETAIL, which quote
 * whole rows. */
static int pg_fail_at(PGresult *res, PGconn *c, sqlite3 *src, const struct mtable *t,
		      const char *table, struct err *e)
{
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	char msg[300], col[80], key[80] = "", where[200] = "";
	long at;

	pg_result_text(res, c, msg, sizeof msg);
	at = copy_where(ctx, col, sizeof col);
	if (at > 0 && src && t) {
		char sql[200];
		sqlite3_stmt *st = NULL;

		snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\" ORDER BY %s LIMIT 1 OFFSET %ld",
			 t->key, t->name, t->key, at - 1);
		if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (at > 0 && key[0])
		snprintf(where, sizeof where, _(" %s %s (COPY line %ld)"), t->key, key, at);
	else if (at > 0)
		snprintf(where, sizeof where, _(" (COPY line %ld)"), at);
	if (at > 0 && col[0]) {
		size_t k = strlen(where);

		snprintf(where + k, sizeof where - k, _(", column %s"), col);
	}
	return err_set(e, ERR_DB, "%s%s: PostgreSQL: %s", table, where, msg);
}

static int pg_fail(PGresult *res, PGconn *c, const char *table, struct err *e)
{
	return pg_fail_at(res, c, NULL, NULL, table, e);
}

/* The result of a COPY of t's rows from src, and every other result
 * until none is left. */
static int copy_end(PGconn *c, sqlite3 *src, const struct mtable *t, struct err *e)
{
	PGresult *res;
	int r = 0;

	while ((res = PQgetResult(c)) != NULL) {
		if (r == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			r = pg_fail_at(res, c, src, t, t->name, e);
		PQclear(res);
	}
	return r;
}

static int copy_table(sqlite3 *src, PGconn *dst, const struct mtable *t, const char *cols,
		      struct err *e)
{
	struct strbuf sql = STRBUF_INIT, buf = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	PGresult *res = NULL;
	int r, rc, ncol;

	sb_printf(&sql, "SELECT %s FROM \"%s\" ORDER BY %s", cols, t->name, t->key);
	r = db_prepare(src, sb_str(&sql), &st, e);
	if (r < 0)
		goto out;
	ncol = sqlite3_column_count(st);
	sb_reset(&sql);
	sb_printf(&sql, "COPY \"%s\" (%s) FROM STDIN", t->name, cols);
	res = PQexec(dst, sb_str(&sql));
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = pg_fail(res, dst, t->name, e);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !buf.oom) {
		row_text(st, ncol, &buf);
		if (buf.len >= COPY_CHUNK && !buf.oom) {
			if (PQputCopyData(dst, buf.s, (int)buf.len) != 1) {
				r = pg_fail(NULL, dst, t->name, e);
				goto abort;
			}
			sb_reset(&buf);
		}
	}
	if (buf.oom) {
		r = err_set(e, ERR_NOMEM, "out of memory");
		goto abort;
	}
	if (rc != SQLITE_DONE) {
		r = db_fail(src, rc, t->name, e);
		goto abort;
	}
	if ((buf.len && PQputCopyData(dst, buf.s, (int)buf.len) != 1) ||
	    PQputCopyEnd(dst, NULL) != 1) {
		r = pg_fail(NULL, dst, t->name, e);
		copy_end(dst, src, t, NULL);
		goto out;
	}
	r = copy_end(dst, src, t, e);
	goto out;
abort:
	/* The server ends the COPY with an error: nothing of it stays. */
	PQputCopyEnd(dst, "the copy was stopped");
	copy_end(dst, src, t, NULL);
out:
	PQclear(res);
	sqlite3_finalize(st);
	sb_free(&sql);
	sb_free(&buf);
	return r;
}

/* The key of a row in text form: its first field. */
static void first_field(const char *row, size_t n, char *out, size_t size)
{
	size_t k = 0;

	while (k < n && row[k] != '\t' && row[k] != '\n')
		k++;
	snprintf(out, size, "%.*s", (int)k, row);
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int verify_table(sqlite3 *src, PGconn *dst, const struct mtable *t, const char *cols,
			struct pg_table_result *res_out, struct err *e)
{
	struct strbuf sql = STRBUF_INIT, row = STRBUF_INIT;
	EVP_MD_CTX *hs = EVP_MD_CTX_new(), *hp = EVP_MD_CTX_new();
	unsigned char ds[EVP_MAX_MD_SIZE], dp[EVP_MAX_MD_SIZE];
	long long ns = 0, np = 0;
	char key[80] = "", pkey[80] = "", sdig[65], pdig[65];
	sqlite3_stmt *st = NULL;
	PGresult *res = NULL;
	int r, rc = SQLITE_ROW, ncol, differ = 0, pg_done = 0;
	unsigned dn = 0;

	if (!hs || !hp || !EVP_DigestInit_ex(hs, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(hp, EVP_sha256(), NULL)) {
		r = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	sb_printf(&sql, "SELECT %s FROM \"%s\" ORDER BY %s", cols, t->name, t->key);
	r = db_prepare(src, sb_str(&sql), &st, e);
	if (r < 0)
		goto out;
	ncol = sqlite3_column_count(st);
	sb_reset(&sql);
	sb_printf(&sql, "COPY (SELECT %s FROM \"%s\" ORDER BY %s) TO STDOUT", cols, t->name,
		  t->pg_key);
	res = PQexec(dst, sb_str(&sql));
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		r = pg_fail(res, dst, t->name, e);
		goto out;
	}
	for (;;) {
		char *line = NULL;
		int n = -1;

		if (!pg_done) {
			n = PQgetCopyData(dst, &line, 0);
			pg_done = n < 0;
		}
		sb_reset(&row);
		if (rc == SQLITE_ROW) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				row_text(st, ncol, &row);
				ns++;
				EVP_DigestUpdate(hs, row.s, row.len);
			}
		}
		if (rc != SQLITE_ROW && pg_done)
			break;
		if (n > 0) {
			np++;
			EVP_DigestUpdate(hp, line, (size_t)n);
		}
		if (!differ && (rc != SQLITE_ROW || n <= 0 || row.len != (size_t)n ||
				memcmp(row.s, line, (size_t)n) != 0)) {
			differ = 1;
			if (rc == SQLITE_ROW)
				first_field(row.s, row.len, key, sizeof key);
			if (n > 0)
				first_field(line, (size_t)n, pkey, sizeof pkey);
		}
		PQfreemem(line);
	}
	r = copy_end(dst, src, t, e);
	if (r < 0)
		goto out;
	if (rc != SQLITE_DONE) {
		r = db_fail(src, rc, t->name, e);
		goto out;
	}
	if (row.oom) {
		r = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestFinal_ex(hs, ds, &dn);
	hex(ds, dn, sdig);
	EVP_DigestFinal_ex(hp, dp, &dn);
	hex(dp, dn, pdig);
	if (differ || ns != np || strcmp(sdig, pdig) != 0) {
		r = err_set(e, ERR_INVALID, "table %s differs: first at key %s (SQLite %lld rows, "
			    "SHA-256 %.16s; PostgreSQL %lld rows, SHA-256 %.16s)", t->name,
			    key[0] ? key : pkey[0] ? pkey : "?", ns, sdig, np, pdig);
		goto out;
	}
	res_out->table = t->name;
	res_out->rows = ns;
	memcpy(res_out->sha256, sdig, sizeof sdig);
out:
	EVP_MD_CTX_free(hs);
	EVP_MD_CTX_free(hp);
	PQclear(res);
	sqlite3_finalize(st);
	sb_free(&sql);
	sb_free(&row);
	return r;
}

/* Verify every table; the transactions on both sides are the caller's. */
static int verify_all(sqlite3 *src, PGconn *dst, pg_table_cb *done, void *ctx, struct err *e)
{
	int r = 0;

	for (size_t i = 0; i < NTABLES && r == 0; i++) {
		struct strbuf cols = STRBUF_INIT;
		struct pg_table_result tr = { 0 };

		r = columns(src, tables[i].name, &cols, e);
		if (r == 0)
			r = verify_table(src, dst, &tables[i], sb_str(&cols), &tr, e);
		if (r == 0 && done)
			done(ctx, &tr);
		sb_free(&cols);
	}
	return r;
}

/* The target holds nothing but the counters of a fresh init. */
static int target_empty(PGconn *dst, struct err *e)
{
	int r = 0;

	for (size_t i = 0; i < NTABLES && r == 0; i++) {
		char sql[200];
		PGresult *res;

		if (strcmp(tables[i].name, "state") == 0)
			snprintf(sql, sizeof sql, "SELECT 1 FROM state WHERE key NOT IN "
				 "('facts.version', 'holders.version') LIMIT 1");
		else
			snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" LIMIT 1", tables[i].name);
		res = PQexec(dst, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			r = pg_fail(res, dst, tables[i].name, e);
		else if (PQntuples(res) > 0)
			r = err_set(e, ERR_INVALID, "the target database already holds rows in table "
				    "%s: migrate-to copies into an empty database only",
				    tables[i].name);
		PQclear(res);
	}
	return r;
}

static int sqlite_tx(sqlite3 *src, const char *sql, struct err *e)
{
	int rc = sqlite3_exec(src, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(src, rc, "the SQLite database", e);
}

int pg_migrate_copy(sqlite3 *src, PGconn *dst, pg_table_cb *done, void *ctx, struct err *e)
{
	int r, v, src_tx = 0;

	r = all_known(src, e);
	if (r < 0)
		return r;
	r = pg_exec(dst, "BEGIN; SELECT pg_advisory_xact_lock(hashtext('backad_schema'))", e);
	if (r < 0)
		return r;
	v = schema_pg_db_version(dst, e);
	if (v < 0) {
		r = v;
		goto out;
	}
	if (v == 0) {
		r = schema_pg_create(dst, e);
		if (r < 0)
			goto out;
	} else if (v != schema_version()) {
		r = err_set(e, ERR_VERSION, "the target database is at schema version %d, this "
			    "program writes %d", v, schema_version());
		goto out;
	}
	r = target_empty(dst, e);
	if (r < 0)
		goto out;
	r = pg_exec(dst, "DELETE FROM state", e);
	if (r < 0)
		goto out;
	r = sqlite_tx(src, "BEGIN", e);
	if (r < 0)
		goto out;
	src_tx = 1;
	for (size_t i = 0; i < NTABLES && r == 0; i++) {
		const struct mtable *t = &tables[i];
		struct strbuf cols = STRBUF_INIT, sql = STRBUF_INIT;

		r = columns(src, t->name, &cols, e);
		if (r == 0 && t->changes) {
			sb_printf(&sql, "ALTER TABLE \"%s\" DISABLE TRIGGER change_%s; ALTER TABLE \"%s\" "
				  "DISABLE TRIGGER facts_%s; ALTER TABLE \"%s\" DISABLE TRIGGER id_%s",
				  t->name, t->name, t->name, t->name, t->name, t->name);
			r = pg_exec(dst, sb_str(&sql), e);
		}
		if (r == 0)
			r = copy_table(src, dst, t, sb_str(&cols), e);
		if (r == 0 && t->changes) {
			sb_reset(&sql);
			sb_printf(&sql, "ALTER TABLE \"%s\" ENABLE TRIGGER change_%s; ALTER TABLE \"%s\" "
				  "ENABLE TRIGGER facts_%s; ALTER TABLE \"%s\" ENABLE TRIGGER id_%s",
				  t->name, t->name, t->name, t->name, t->name, t->name);
			r = pg_exec(dst, sb_str(&sql), e);
		}
		if (r == 0 && t->identity) {
			sb_reset(&sql);
			sb_printf(&sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
				  "coalesce(max(id), 0) + 1, false) FROM \"%s\"", t->name, t->name);
			r = pg_exec(dst, sb_str(&sql), e);
		}
		if (r == 0 && (cols.oom || sql.oom))
			r = err_set(e, ERR_NOMEM, "out of memory");
		sb_free(&cols);
		sb_free(&sql);
	}
	if (r == 0)
		r = verify_all(src, dst, done, ctx, e);
	if (r == 0)
		r = pg_exec(dst, "COMMIT", e);
out:
	if (src_tx)
		sqlite_tx(src, "ROLLBACK", NULL);
	if (r < 0)
		PQclear(PQexec(dst, "ROLLBACK"));
	return r;
}

int pg_migrate_verify(sqlite3 *src, PGconn *dst, pg_table_cb *done, void *ctx, struct err *e)
{
	int r, v;

	r = all_known(src, e);
	if (r < 0)
		return r;
	r = pg_exec(dst, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e);
	if (r < 0)
		return r;
	v = schema_pg_db_version(dst, e);
	if (v >= 0 && v != schema_version())
		v = err_set(e, ERR_VERSION, "the target database is at schema version %d, this "
			    "program writes %d", v, schema_version());
	r = v < 0 ? v : sqlite_tx(src, "BEGIN", e);
	if (r == 0) {
		r = verify_all(src, dst, done, ctx, e);
		sqlite_tx(src, "ROLLBACK", NULL);
	}
	PQclear(PQexec(dst, r < 0 ? "ROLLBACK" : "COMMIT"));
	return r;
}
