/* ctl_list.c - 'backactl children', 'tasks' and 'outbox': aligned tables for
 * people to read. Children are listed by reference only: never names or
 * personal identity numbers. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "barnkontakt.h"
#include "calendar.h"
#include "ctl.h"
#include "ctl_format.h"
#include "date.h"
#include "db.h"
#include "i18n.h"
#include "outbox.h"
#include "table.h"

/* Rows collected as strings, printed as one table. */
struct grid {
	int ncols, n, cap;
	char **cells;
	int oom;
};

static void grid_add(struct grid *g, const char *const *row)
{
	if (g->n == g->cap) {
		int cap = g->cap ? g->cap * 2 : 64;
		char **c = realloc(g->cells, (size_t)cap * (size_t)g->ncols * sizeof *c);

		if (!c) {
			g->oom = 1;
			return;
		}
		g->cells = c;
		g->cap = cap;
	}
	for (int i = 0; i < g->ncols; i++)
		g->cells[g->n * g->ncols + i] = row[i] ? strdup(row[i]) : NULL;
	g->n++;
}

static void grid_free(struct grid *g)
{
	for (int i = 0; i < g->n * g->ncols; i++)
		free(g->cells[i]);
	free(g->cells);
}

static int opt_choice(const char *cmd, const char *v, const char *const *choices)
{
	for (int i = 0; choices[i]; i++)
		if (strcmp(v, choices[i]) == 0)
			return 0;
	return ctl_usage(cmd, "'%s' is not a valid value", v);
}

/* Run sql (binding its np parameters, up to two optional texts) and print
 * its columns. */
static int query_table(struct ctl *c, const char *cmd, const char *sql, int np, const char *p1,
		       const char *p2, int ncols, const char *const *head, const char *const *keys,
		       const int *right,
		       void (*fix)(struct ctl *, const char **row, char *scratch))
{
	struct grid g = { .ncols = ncols };
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };
	int rc;

	if (dbi_prepare(c->db, sql, &st, &e) < 0)
		return ctl_fail(cmd, "%s", e.msg);
	if (np >= 1)
		dbi_bind_text(st, 1, p1 && *p1 ? p1 : NULL);
	if (np >= 2)
		dbi_bind_text(st, 2, p2 && *p2 ? p2 : NULL);
	while ((rc = dbi_step(st, &e)) == DBI_ROW) {
		const char *row[12];
		char scratch[256];

		/* Columns past ncols are extra inputs for fix(). */
		for (int i = 0; i < dbi_column_count(st) && i < 12; i++)
			row[i] = dbi_column_text(st, i);
		if (fix)
			fix(c, row, scratch);
		grid_add(&g, row);
	}
	dbi_finalize(st);
	if (rc != DBI_DONE || g.oom) {
		grid_free(&g);
		return ctl_fail(cmd, "%s", g.oom ? "out of memory" : e.msg);
	}
	rc = ctl_table(c->format, ncols, head, keys, (const char *const *)g.cells, g.n, right);
	grid_free(&g);
	return rc < 0 ? ctl_fail(cmd, "out of memory") : CTL_OK;
}

/* children: the Barnkontakt column comes from barnkontakt.c. */
static struct bk_ctx *list_bk;
static struct dbi_stmt *list_staff; /* a staff member's code by id */
static int list_day;

static void fix_child(struct ctl *c, const char **row, char *scratch)
{
	struct bk b;
	struct err e;

	(void)c;
	row[6] = "-";
	if (bk_at(list_bk, strtoll(row[7], NULL, 10), list_day, &b, &e) == 0 &&
	    b.source != BK_NONE) {
		snprintf(scratch, 256, _("(vacant: %s)"), bk_role_sv(&b));
		if (b.staff_id) {
			dbi_reset(list_staff);
			dbi_bind_int64(list_staff, 1, b.staff_id);
			if (dbi_step(list_staff, &e) == DBI_ROW)
				snprintf(scratch, 256, "%s (%s)", dbi_column_text(list_staff, 0),
					 bk_role_sv(&b));
			dbi_reset(list_staff);
		}
		row[6] = scratch;
	}
}

int cmd_children(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unit", required_argument, NULL, 'u' },
		{ "date", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const head[] = { N_("REF"), N_("BORN"), N_("PROTECTED"), N_("UNIT"),
					    N_("TYPE"), N_("SINCE"), N_("BARNKONTAKT") };
	static const char *const keys[] = { "ref", "birth_date", "protected_identity", "unit",
					    "placement", "since", "barnkontakt" };
	const char *unit = NULL, *date = NULL;
	char today[DATE_LEN];
	struct err e = { 0 };
	int ch, r;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': unit = optarg; break;
		case 'd': date = optarg; break;
		case 'h':
			printf(_("usage: backactl children [--unit CODE] [--date DATE]\n\n"
			       "List children by reference with birth date, protected identity,\n"
			       "the placement on DATE (default today) and their Barnkontakt.\n"
			       "Names and personal identity numbers are never shown.\n"));
			return CTL_OK;
		default:
			return ctl_usage("children", "unknown option");
		}
	}
	if (optind < argc)
		return ctl_usage("children", "unexpected argument '%s'", argv[optind]);
	if (date && date_parse(date, &list_day) < 0)
		return ctl_usage("children", "--date '%s' is not a date (YYYY-MM-DD)", date);
	if (!date) {
		list_day = cal_today(time(NULL));
		date = date_format(list_day, today);
	}
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	if (unit && db_lookup_id(c->db, "unit", "code", unit, &(long long){ 0 }, &e) < 0)
		return ctl_fail("children", "--unit: %s", e.msg);
	if (dbi_prepare(c->db, "SELECT code FROM staff WHERE id = ?1", &list_staff, &e) < 0)
		return ctl_fail("children", "%s", e.msg);
	if (bk_open(c->db, &list_bk, &e) < 0) {
		dbi_finalize(list_staff);
		return ctl_fail("children", "%s", e.msg);
	}
	r = query_table(c, "children",
			"SELECT c.ref, c.birth_date, CASE c.protected_identity WHEN 1 THEN 'ja'"
			" ELSE '' END, u.name, p.kind, p.start_date, NULL, c.id"
			" FROM child c LEFT JOIN placement p ON p.id = (SELECT p2.id FROM placement p2"
			"  WHERE p2.child_id = c.id AND p2.start_date <= ?1 AND (p2.end_date IS NULL"
			"  OR p2.end_date >= ?1) ORDER BY CASE p2.kind WHEN 'school' THEN 4"
			"  WHEN 'preschool' THEN 3 WHEN 'bvc' THEN 2 ELSE 1 END DESC,"
			"  p2.start_date DESC LIMIT 1)"
			" LEFT JOIN unit u ON u.id = p.unit_id"
			" WHERE CAST(?2 AS TEXT) IS NULL OR u.code = ?2 ORDER BY c.ref",
			2, date, unit, 7, head, keys, NULL, fix_child);
	bk_close(list_bk);
	dbi_finalize(list_staff);
	return r;
}

int cmd_tasks(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "rule", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { "open", "done", "cancelled", "all", NULL };
	static const char *const head[] = { N_("ID"), N_("RULE"), N_("CHILD"), N_("ASSIGNEE"),
					    N_("UNIT"), N_("DUE"), N_("STATE") };
	static const char *const keys[] = { "id", "rule", "child", "assignee", "unit", "due_date",
					    "state" };
	static const int right[] = { 1, 0, 0, 0, 0, 0, 0 };
	const char *state = "open", *rule = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (opt_choice("tasks", optarg, states))
				return CTL_USAGE;
			state = optarg;
			break;
		case 'r': rule = optarg; break;
		case 'h':
			printf(_("usage: backactl tasks [--state open|done|cancelled|all] [--rule RULE]\n\n"
			       "List the tasks backad follows (referral, discovery, followup):\n"
			       "open ones by default, earliest due first.\n"));
			return CTL_OK;
		default:
			return ctl_usage("tasks", "unknown option");
		}
	}
	if (optind < argc)
		return ctl_usage("tasks", "unexpected argument '%s'", argv[optind]);
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	return query_table(c, "tasks",
			   "SELECT t.id, t.rule, c.ref, s.code, u.name, t.due_date, t.state"
			   " FROM task t LEFT JOIN child c ON c.id = t.child_id"
			   " LEFT JOIN staff s ON s.id = t.assignee_id LEFT JOIN unit u ON u.id = t.unit_id"
			   " WHERE (?1 = 'all' OR t.state = ?1) AND (CAST(?2 AS TEXT) IS NULL OR t.rule = ?2)"
			   " ORDER BY t.due_date, t.id",
			   2, strcmp(state, "all") == 0 ? "all" : state, rule, 7, head, keys, right,
			   NULL);
}

static void fix_outbox(struct ctl *c, const char **row, char *scratch)
{
	time_t t;

	if (row[4] && cal_parse_instant(row[4], &t) == 0)
		row[4] = cal_local_str(t, scratch);
	/* row[8]: in doubt; the mark in the table's language, a bare state
	 * for JSON and CSV. */
	if (row[5] && row[8] && strcmp(row[8], "1") == 0) {
		snprintf(scratch + 128, 128, "%s %s", row[5],
			 c->format == CTL_FMT_TEXT ? _("(in doubt)") : "(in doubt)");
		row[5] = scratch + 128;
	}
}

int cmd_outbox(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { "pending", "sending", "sent", "failed", "dead",
					      "cancelled", "delivered", "undeliverable", "all",
					      NULL };
	static const char *const head[] = { N_("ID"), N_("RULE"), N_("CHANNEL"), N_("TO"),
					    N_("WHEN"), N_("STATE"), N_("TRIES"), N_("ERROR") };
	static const char *const keys[] = { "id", "rule", "channel", "address", "due", "state",
					    "attempts", "last_error" };
	static const int right[] = { 1, 0, 0, 0, 0, 0, 1, 0 };
	const char *state = "all";
	int ch;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (opt_choice("outbox", optarg, states))
				return CTL_USAGE;
			state = optarg;
			break;
		case 'h':
			printf(_("usage: backactl outbox [--state pending|sending|sent|failed|dead|"
			       "cancelled|delivered|undeliverable|all]\n\n"
			       "List messages in the outbox: rule, channel, address, when due\n"
			       "(Swedish time), state, attempts and the last error. A state\n"
			       "marked (in doubt) is in doubt: the message may have arrived, or\n"
			       "arrived twice. A sent SMS whose gateway reported on it shows\n"
			       "delivered or undeliverable (--state sent includes them).\n"));
			return CTL_OK;
		default:
			return ctl_usage("outbox", "unknown option");
		}
	}
	if (optind < argc)
		return ctl_usage("outbox", "unexpected argument '%s'", argv[optind]);
	if (ctl_db_read(c) < 0)
		return CTL_FAIL;
	return query_table(c, "outbox",
			   "SELECT id, rule, channel, address, due_at,"
			   " coalesce(delivery, state), attempts, coalesce(last_error, ''), in_doubt"
			   " FROM outbox WHERE (?1 = 'all' OR state = ?1 OR delivery = ?1)"
			   " ORDER BY due_at, id",
			   1, state, NULL, 8, head, keys, right, fix_outbox);
}

int cmd_retry(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err e = { 0 };
	long long id;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf(_("usage: backactl retry ID\n\n"
			       "Put a dead message (given up after its retries, see 'backactl\n"
			       "outbox --state dead') back in the queue, with the same identity.\n"));
			return CTL_OK;
		}
		return ctl_usage("retry", "unknown option");
	}
	if (argc - optind != 1)
		return ctl_usage("retry", "expected one message ID");
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0)
		return ctl_usage("retry", "'%s' is not an id", argv[optind]);
	if (ctl_db(c) < 0)
		return CTL_FAIL;
	if (outbox_retry(c->db, id, &e) < 0)
		return ctl_fail("retry", "%s", e.msg);
	printf(_("message %lld queued again\n"), id);
	return CTL_OK;
}
