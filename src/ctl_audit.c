/* ctl_audit.c - 'backactl audit': from the audit table (one row per
 * disclosure, written when a message was accepted), who was told what about
 * a child and when (--child REF), or what one person was told (--staff
 * CODE): what a data-subject request (GDPR art. 15) asks for. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "ctl.h"
#include "ctl_format.h"
#include "db.h"
#include "i18n.h"
#include "table.h"

/* A disclosure is about a child when the audit row names it, or when its
 * message concerned several children (a digest) and this one among them. */
static const char sql_child[] =
	"SELECT a.at, coalesce(s.code, a.address), a.channel, a.rule, a.categories, a.outbox_id,"
	" c.ref FROM audit a LEFT JOIN staff s ON s.id = a.recipient_id"
	" JOIN child c ON c.id = ?1"
	" WHERE a.child_id = ?1 OR a.outbox_id IN"
	"  (SELECT outbox_id FROM outbox_child WHERE child_id = ?1)"
	" ORDER BY a.at, a.id";
static const char sql_staff[] =
	"SELECT a.at, s.code, a.channel, a.rule, a.categories, a.outbox_id, c.ref"
	" FROM audit a JOIN staff s ON s.id = a.recipient_id"
	" LEFT JOIN child c ON c.id = a.child_id WHERE a.recipient_id = ?1 ORDER BY a.at, a.id";
/* The children of a message that names no one child (a digest), joined by
 * spaces in C: SQLite's group_concat and PostgreSQL's string_agg differ. */
static const char sql_digest[] =
	"SELECT c.ref FROM outbox_child oc JOIN child c ON c.id = oc.child_id"
	" WHERE oc.outbox_id = ?1 ORDER BY oc.child_id";

struct rows {
	int n, cap;
	char **cell; /* 7 per row */
};

/* The references of the message's children, "B1 B2", malloc'd; NULL for
 * none or on error (then e says why). */
static char *digest_refs(struct dbi_stmt *dg, long long outbox_id, struct err *e)
{
	char *list = NULL;
	size_t len = 0;
	int rc;

	dbi_reset(dg);
	dbi_bind_int64(dg, 1, outbox_id);
	while ((rc = dbi_step(dg, e)) == DBI_ROW) {
		const char *ref = dbi_column_text(dg, 0);
		size_t n = strlen(ref ? ref : "");
		char *l = realloc(list, len + n + 2);

		if (!l) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		list = l;
		if (len)
			list[len++] = ' ';
		memcpy(list + len, ref ? ref : "", n + 1);
		len += n;
	}
	dbi_reset(dg);
	if (rc != DBI_DONE) {
		free(list);
		return NULL;
	}
	return list;
}

/* One row; dg (staff mode) fills the child column of a digest's row. */
static int add_row(struct rows *r, struct dbi_stmt *st, struct dbi_stmt *dg, struct err *e)
{
	char when[17];
	time_t t;

	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		char **c = realloc(r->cell, (size_t)cap * 7 * sizeof *c);

		if (!c)
			return -1;
		r->cell = c;
		r->cap = cap;
	}
	for (int i = 0; i < 7; i++) {
		const char *s = dbi_column_text(st, i);

		if (i == 0 && s && cal_parse_instant(s, &t) == 0)
			s = cal_local_str(t, when);
		r->cell[r->n * 7 + i] = s ? strdup(s) : NULL;
	}
	r->n++;
	if (dg && dbi_column_is_null(st, 6) && !dbi_column_is_null(st, 5)) {
		r->cell[r->n * 7 - 1] = digest_refs(dg, dbi_column_int64(st, 5), e);
		if (e->code)
			return -1;
	}
	return 0;
}

static int list(struct ctl *c, int by_child, long long id)
{
	static const char *const head[] = { N_("WHEN"), N_("RECIPIENT"), N_("CHANNEL"), N_("RULE"),
					    N_("DATA"), N_("MSG"), N_("CHILD") };
	static const char *const keys[] = { "at", "recipient", "channel", "rule", "categories",
					    "outbox_id", "child" };
	/* The child's reference is the key: never cut, others shrink first. */
	static const int right[] = { TABLE_LEFT,  TABLE_LEFT,  TABLE_LEFT, TABLE_LEFT,
				     TABLE_LEFT,  TABLE_RIGHT, TABLE_KEY };
	struct rows rows = { 0 };
	struct dbi_stmt *st = NULL, *dg = NULL;
	struct err e = { 0 };
	int rc, r = CTL_FAIL;

	if ((!by_child && dbi_prepare(c->db, sql_digest, &dg, &e) < 0) ||
	    dbi_prepare(c->db, by_child ? sql_child : sql_staff, &st, &e) < 0) {
		ctl_fail("audit", "%s", e.msg);
		goto out;
	}
	dbi_bind_int64(st, 1, id);
	while ((rc = dbi_step(st, &e)) == DBI_ROW)
		if (add_row(&rows, st, dg, &e) < 0) {
			ctl_fail("audit", "%s", e.code ? e.msg : "out of memory");
			goto out;
		}
	if (rc != DBI_DONE) {
		ctl_fail("audit", "%s", e.msg);
		goto out;
	}
	if (ctl_table(c->format, 7, head, keys, (const char *const *)rows.cell, rows.n, right) < 0)
		ctl_fail("audit", "out of memory");
	else
		r = CTL_OK;
out:
	dbi_finalize(st);
	dbi_finalize(dg);
	for (int i = 0; i < rows.n * 7; i++)
		free(rows.cell[i]);
	free(rows.cell);
	return r;
}

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "child", required_argument, NULL, 'c' },
		{ "staff", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *child = NULL, *staff = NULL;
	struct err e = { 0 };
	long long id;
	int ch;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': child = optarg; break;
		case 's': staff = optarg; break;
		case 'h':
			printf(_("usage: backactl audit --child REF | --staff CODE\n\n"
			       "Every disclosure backad made, from the audit log: for a child,\n"
			       "who was told what about them and when; for a staff member, what\n"
			       "they were told about which children. One row per message that\n"
			       "reached someone: when (Swedish time), recipient (staff code, or the\n"
			       "address of someone outside the registers), channel, rule, the\n"
			       "categories of information it carried, and the message id.\n"));
			return CTL_OK;
		default:
			return ctl_usage("audit", "unknown option");
		}
	}
	if (optind < argc)
		return ctl_usage("audit", "unexpected argument '%s'", argv[optind]);
	if (!child == !staff)
		return ctl_usage("audit", "expected one of --child REF or --staff CODE");
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	if (db_lookup_id(c->db, child ? "child" : "staff", child ? "ref" : "code",
			 child ? child : staff, &id, &e) < 0)
		return ctl_fail("audit", "%s", e.msg);
	return list(c, child != NULL, id);
}
