/* ctl_case.c - backactl commands that record case facts: referrals and their
 * decisions, discovery cards, follow-up conversations, consents and explicit
 * Barnkontakt assignments. Each validates every value and writes in one
 * transaction. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "ctl.h"
#include "date.h"
#include "db.h"
#include "i18n.h"
#include "validate.h"

enum arg_type { A_DATE, A_CHILD, A_STAFF, A_UNIT, A_ID, A_CHOICE };

struct arg {
	const char *name;    /* long option without "--" */
	enum arg_type type;
	int required;
	const char *choices; /* A_CHOICE: space-separated */
	const char *value;   /* filled in */
	long long id;        /* A_CHILD/A_STAFF/A_UNIT/A_ID */
};

struct sub {
	const char *cmd, *name, *usage, *help;
	struct arg *args;
	int nargs;
	int positional_id;   /* takes an ID argument */
	long long id;
};

static int check_arg(struct ctl *c, const struct sub *s, struct arg *a)
{
	static const char *const tables[][2] = {
		[A_CHILD] = { "child", "ref" }, [A_STAFF] = { "staff", "code" },
		[A_UNIT] = { "unit", "code" },
	};
	struct err e = { 0 };
	char *end;

	switch (a->type) {
	case A_DATE:
		if (valid_date(a->value, &e) < 0)
			return ctl_usage(s->cmd, "--%s: %s", a->name, e.msg);
		return 0;
	case A_CHOICE:
		if (!valid_choice(a->choices, a->value))
			return ctl_usage(s->cmd, "--%s: '%s' is not one of %s", a->name, a->value,
					 a->choices);
		return 0;
	case A_ID:
		errno = 0;
		a->id = strtoll(a->value, &end, 10);
		if (*end || a->id <= 0 || errno == ERANGE)
			return ctl_usage(s->cmd, "--%s: '%s' is not an id", a->name, a->value);
		return 0;
	default:
		if (db_lookup_id(c->db, tables[a->type][0], tables[a->type][1], a->value, &a->id,
				 &e) < 0)
			return ctl_fail(s->cmd, "--%s: %s", a->name, e.msg);
		return 0;
	}
}

static void sub_help(const struct sub *s)
{
	printf(_("usage: backactl %s %s %s\n\n%s\n"), s->cmd, s->name, s->usage, s->help);
}

/* Parse argv into s->args; returns -1 when done (help printed), or an exit code
 * other than CTL_OK on error, or CTL_OK. The database is opened for lookups. */
static int parse(struct ctl *c, struct sub *s, int argc, char **argv)
{
	struct option opts[12];
	int ch, n = 0, r;
	char *end;

	for (int i = 0; i < s->nargs; i++)
		opts[n++] = (struct option){ s->args[i].name, required_argument, NULL, 'a' + i };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0; /* a new argument vector: reinitialise getopt */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			sub_help(s);
			return -1;
		}
		if (ch < 'a' || ch >= 'a' + s->nargs)
			return ctl_usage(s->cmd, "unknown option");
		if (s->args[ch - 'a'].value)
			return ctl_usage(s->cmd, "--%s is given twice", s->args[ch - 'a'].name);
		s->args[ch - 'a'].value = optarg;
	}
	if (s->positional_id) {
		if (optind >= argc)
			return ctl_usage(s->cmd, "%s %s needs an ID", s->cmd, s->name);
		errno = 0;
		s->id = strtoll(argv[optind], &end, 10);
		if (*end || s->id <= 0 || errno == ERANGE)
			return ctl_usage(s->cmd, "'%s' is not an id", argv[optind]);
		optind++;
	}
	if (optind < argc)
		return ctl_usage(s->cmd, "unexpected argument '%s'", argv[optind]);
	for (int i = 0; i < s->nargs; i++)
		if (s->args[i].required && !s->args[i].value)
			return ctl_usage(s->cmd, "--%s is required", s->args[i].name);
	if (ctl_db(c) < 0)
		return CTL_FAIL;
	for (int i = 0; i < s->nargs; i++)
		if (s->args[i].value && (r = check_arg(c, s, &s->args[i])) != CTL_OK)
			return r;
	return CTL_OK;
}

/* Run one statement in its own transaction; binds are set by the caller. An
 * INSERT ends in RETURNING id, read into *id. */
static int exec_one(const char *cmd, struct dbi_stmt *st, long long *id)
{
	struct err e = { 0 };
	int rc = dbi_step(st, &e);

	if (rc == DBI_ROW && id) {
		*id = dbi_column_int64(st, 0);
		rc = dbi_step(st, &e);
	}
	dbi_finalize(st);
	if (rc != DBI_DONE)
		return ctl_fail(cmd, "%s", e.msg);
	return CTL_OK;
}

static struct dbi_stmt *prep(struct ctl *c, const char *cmd, const char *sql)
{
	struct dbi_stmt *st = NULL;
	struct err e = { 0 };

	if (dbi_prepare(c->db, sql, &st, &e) < 0) {
		ctl_fail(cmd, "%s", e.msg);
		return NULL;
	}
	return st;
}

/* One text column of a row by id, or NULL (and a message) when there is none. */
static char *row_text(struct ctl *c, const char *cmd, const char *what, const char *sql,
		      long long id, int *missing)
{
	struct dbi_stmt *st = prep(c, cmd, sql);
	struct err e = { 0 };
	char *v = NULL;
	int rc;

	*missing = 1;
	if (!st)
		return NULL;
	dbi_bind_int64(st, 1, id);
	rc = dbi_step(st, &e);
	if (rc == DBI_ROW) {
		const char *t = dbi_column_text(st, 0);

		*missing = 0;
		v = strdup(t ? t : "");
	} else if (rc == DBI_DONE) {
		ctl_fail(cmd, "no %s with id %lld", what, id);
	} else {
		ctl_fail(cmd, "%s", e.msg);
	}
	dbi_finalize(st);
	return v;
}

static void bind_opt(struct dbi_stmt *st, int idx, const struct arg *a)
{
	if (!a->value)
		dbi_bind_null(st, idx);
	else if (a->type == A_DATE || a->type == A_CHOICE)
		dbi_bind_text(st, idx, a->value);
	else
		dbi_bind_int64(st, idx, a->id);
}

/* CTL_OK when the staff member named by the option is active. */
static int require_active(struct ctl *c, const char *cmd, const struct arg *a)
{
	int missing, r;
	char *active = row_text(c, cmd, "staff", "SELECT active FROM staff WHERE id = ?1", a->id,
				&missing);

	if (!active)
		return CTL_FAIL;
	r = strcmp(active, "1") == 0 ? CTL_OK
				     : ctl_fail(cmd, "--%s: '%s' is not active", a->name, a->value);
	free(active);
	return r;
}

/* CTL_OK when the staff member named by the option is an intake officer or
 * the coordinator of the intake unit today: who may hold its referrals. */
static int require_intake_role(struct ctl *c, const char *cmd, const struct arg *a,
			       long long unit_id)
{
	char today[DATE_LEN];
	struct err e = { 0 };
	struct dbi_stmt *st = prep(c, cmd, "SELECT EXISTS (SELECT 1 FROM unit_role WHERE"
				       " staff_id = ?1 AND unit_id = ?2 AND role IN"
				       " ('intake_officer','coordinator') AND start_date <= ?3"
				       " AND (end_date IS NULL OR end_date >= ?3)),"
				       " (SELECT code FROM unit WHERE id = ?2)");
	int rc, r;

	if (!st)
		return CTL_FAIL;
	dbi_bind_int64(st, 1, a->id);
	dbi_bind_int64(st, 2, unit_id);
	dbi_bind_text(st, 3, date_format(cal_today(time(NULL)), today));
	rc = dbi_step(st, &e);
	if (rc != DBI_ROW)
		r = ctl_fail(cmd, "%s", e.msg);
	else if (dbi_column_int(st, 0))
		r = CTL_OK;
	else
		r = ctl_fail(cmd, "--%s: '%s' is not an intake officer or coordinator of the"
			     " intake unit %s on %s", a->name, a->value,
			     dbi_column_text(st, 1) ? dbi_column_text(st, 1) : "?", today);
	dbi_finalize(st);
	return r;
}

/* INSERT the arguments a[0..n-1] as ?1..?n and print "WHAT ID recorded". */
static int insert_args(struct ctl *c, const char *cmd, const char *sql, const struct arg *a,
		       int n, const char *what)
{
	struct dbi_stmt *st = prep(c, cmd, sql);
	long long id;
	int r;

	if (!st)
		return CTL_FAIL;
	for (int i = 0; i < n; i++)
		bind_opt(st, i + 1, &a[i]);
	r = exec_one(cmd, st, &id);
	if (r == CTL_OK)
		printf(_("%s %lld recorded\n"), _(what), id);
	return r;
}

/* ---- referral ---- */

static int intake_unit(struct ctl *c, struct arg *intake)
{
	struct dbi_stmt *st;
	struct err e = { 0 };
	int n = 0, rc;

	if (intake->value)
		return CTL_OK;
	st = prep(c, "referral", "SELECT id FROM unit WHERE kind = 'intake'");
	if (!st)
		return CTL_FAIL;
	while ((rc = dbi_step(st, &e)) == DBI_ROW) {
		intake->id = dbi_column_int64(st, 0);
		n++;
	}
	dbi_finalize(st);
	if (rc != DBI_DONE)
		return ctl_fail("referral", "%s", e.msg);
	if (n == 1)
		return CTL_OK;
	return ctl_fail("referral", n ? "several intake units: choose one with --intake UNIT"
				      : "no unit of kind 'intake' is registered");
}

static int referral_add(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "child", A_CHILD, 1, NULL, NULL, 0 },
		{ "reporter", A_STAFF, 1, NULL, NULL, 0 },
		{ "unit", A_UNIT, 0, NULL, NULL, 0 },
		{ "intake", A_UNIT, 0, NULL, NULL, 0 },
		{ "received", A_DATE, 1, NULL, NULL, 0 },
		{ "officer", A_STAFF, 0, NULL, NULL, 0 },
	};
	struct sub s = { "referral", "add",
			 "--child REF --reporter STAFF [--unit UNIT] [--intake UNIT] --received DATE"
			 " [--officer STAFF]",
			 "Record an orosanmälan received on DATE about child REF, reported by the\n"
			 "staff member STAFF (who gets the receipt and, later, the outcome). The\n"
			 "reporting unit defaults to the reporter's unit; the intake unit to the\n"
			 "only unit of kind 'intake'. --officer assigns the handläggare who gets\n"
			 "its reminders.", a, 6, 0, 0 };
	struct dbi_stmt *st;
	long long id;
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	r = require_active(c, "referral", &a[1]);
	if (r == CTL_OK && a[5].value)
		r = require_active(c, "referral", &a[5]);
	if (r == CTL_OK)
		r = intake_unit(c, &a[3]);
	if (r == CTL_OK && a[5].value)
		r = require_intake_role(c, "referral", &a[5], a[3].id);
	if (r != CTL_OK)
		return r;
	st = prep(c, "referral",
		  "INSERT INTO referral(child_id, reporter_id, reporting_unit_id, intake_unit_id,"
		  " received_date, officer) VALUES (?1, ?2, coalesce(CAST(?3 AS BIGINT), (SELECT unit_id"
		  " FROM staff WHERE id = ?2)), ?4, ?5, (SELECT code FROM staff WHERE id = ?6))"
		  " RETURNING id");
	if (!st)
		return CTL_FAIL;
	bind_opt(st, 1, &a[0]);
	bind_opt(st, 2, &a[1]);
	bind_opt(st, 3, &a[2]);
	dbi_bind_int64(st, 4, a[3].id);
	bind_opt(st, 5, &a[4]);
	bind_opt(st, 6, &a[5]);
	r = exec_one("referral", st, &id);
	if (r == CTL_OK)
		printf(_("referral %lld recorded\n"), id);
	return r;
}

static int referral_decide(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "outcome", A_CHOICE, 1, "opened not-opened already-open", NULL, 0 },
		{ "date", A_DATE, 1, NULL, NULL, 0 },
	};
	struct sub s = { "referral", "decide", "ID --outcome opened|not-opened|already-open --date DATE",
			 "Record the decision of the förhandsbedömning for referral ID: an\n"
			 "investigation opened, not opened, or already open. The reporter is told\n"
			 "the outcome only; reminders not yet sent are cancelled.", a, 2, 1, 0 };
	char outcome[16], *received, *decided;
	struct dbi_stmt *st;
	int r = parse(c, &s, argc, argv), missing;

	if (r)
		return r < 0 ? CTL_OK : r;
	received = row_text(c, "referral", "referral",
			    "SELECT received_date FROM referral WHERE id = ?1", s.id, &missing);
	if (!received)
		return CTL_FAIL;
	decided = row_text(c, "referral", "referral",
			   "SELECT coalesce(decision_date, '') FROM referral WHERE id = ?1", s.id,
			   &missing);
	if (decided && decided[0])
		r = ctl_fail("referral", "referral %lld was already decided on %s", s.id, decided);
	else if (strcmp(a[1].value, received) < 0)
		r = ctl_fail("referral", "--date %s is before the referral was received (%s)",
			     a[1].value, received);
	free(received);
	free(decided);
	if (r != CTL_OK)
		return r;
	snprintf(outcome, sizeof outcome, "%s", a[0].value);
	for (char *p = outcome; *p; p++)
		if (*p == '-')
			*p = '_';
	st = prep(c, "referral",
		  "UPDATE referral SET outcome = ?2, decision_date = ?3 WHERE id = ?1");
	if (!st)
		return CTL_FAIL;
	dbi_bind_int64(st, 1, s.id);
	dbi_bind_text(st, 2, outcome);
	dbi_bind_text(st, 3, a[1].value);
	r = exec_one("referral", st, NULL);
	if (r == CTL_OK)
		printf(_("referral %lld decided: %s\n"), s.id, a[0].value);
	return r;
}

static int referral_assign(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "officer", A_STAFF, 1, NULL, NULL, 0 },
	};
	struct sub s = { "referral", "assign", "ID --officer STAFF",
			 "Assign referral ID to the handläggare STAFF: its reminders and overdue\n"
			 "notices go to that person (or their deputy while they are away) instead\n"
			 "of the intake unit's mailbox, its coordinator or every intake officer.",
			 a, 1, 1, 0 };
	struct dbi_stmt *st;
	char *unit;
	long long unit_id;
	int r = parse(c, &s, argc, argv), missing;

	if (r)
		return r < 0 ? CTL_OK : r;
	unit = row_text(c, "referral", "referral",
			    "SELECT intake_unit_id FROM referral WHERE id = ?1", s.id, &missing);
	if (!unit)
		return CTL_FAIL;
	unit_id = strtoll(unit, NULL, 10);
	free(unit);
	r = require_active(c, "referral", &a[0]);
	if (r == CTL_OK)
		r = require_intake_role(c, "referral", &a[0], unit_id);
	if (r != CTL_OK)
		return r;
	st = prep(c, "referral", "UPDATE referral SET officer = (SELECT code FROM staff"
				 " WHERE id = ?2) WHERE id = ?1");
	if (!st)
		return CTL_FAIL;
	dbi_bind_int64(st, 1, s.id);
	bind_opt(st, 2, &a[0]);
	r = exec_one("referral", st, NULL);
	if (r == CTL_OK)
		printf("referral %lld assigned to %s\n", s.id, a[0].value);
	return r;
}

static int dispatch(struct ctl *c, const char *cmd, int argc, char **argv,
		    const char *const *names, int (*const *fns)(struct ctl *, int, char **),
		    const char *usage)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf(_("usage: %s\n'backactl %s SUBCOMMAND --help' describes each.\n"), usage, cmd);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], argv[1]) == 0)
			return fns[i](c, argc - 1, argv + 1);
	return ctl_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

int cmd_referral(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = { "add", "decide", "assign", NULL };
	static int (*const fns[])(struct ctl *, int, char **) = { referral_add, referral_decide,
								   referral_assign };

	return dispatch(c, "referral", argc, argv, names, fns,
			"backactl referral add|decide|assign ...");
}

/* ---- discovery ---- */

static int discovery_add(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "child", A_CHILD, 1, NULL, NULL, 0 },
		{ "discoverer", A_STAFF, 0, NULL, NULL, 0 },
		{ "date", A_DATE, 1, NULL, NULL, 0 },
	};
	struct sub s = { "discovery", "add", "--child REF [--discoverer STAFF] --date DATE",
			 "Record an upptäckarkort written on DATE for child REF. The child's\n"
			 "Barnkontakt is told at once and gets a task: a barnsamtal.", a, 3, 0, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return insert_args(c, "discovery", "INSERT INTO discovery_card(child_id, discoverer_id,"
			   " created_date) VALUES (?1, ?2, ?3) RETURNING id", a, 3, N_("discovery card"));
}

/* Set a date column of row ID, refusing a date before another column. */
static int set_date(struct ctl *c, const char *cmd, const char *table, long long id,
		    const char *col, const char *date, const char *not_before_col)
{
	char sql[200], *floor;
	struct dbi_stmt *st;
	int missing, r;

	snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1", not_before_col, table);
	floor = row_text(c, cmd, table, sql, id, &missing);
	if (!floor)
		return CTL_FAIL;
	r = strcmp(date, floor) < 0 ? ctl_fail(cmd, "%s is before %s (%s)", date, not_before_col, floor)
				    : CTL_OK;
	free(floor);
	if (r != CTL_OK)
		return r;
	snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?2 WHERE id = ?1", table, col);
	st = prep(c, cmd, sql);
	if (!st)
		return CTL_FAIL;
	dbi_bind_int64(st, 1, id);
	dbi_bind_text(st, 2, date);
	r = exec_one(cmd, st, NULL);
	if (r == CTL_OK)
		printf("%s %lld: %s = %s\n", table, id, col, date);
	return r;
}

static int discovery_done(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = { { "date", A_DATE, 1, NULL, NULL, 0 } };
	struct sub s = { "discovery", "done", "ID --date DATE",
			 "Record that the barnsamtal for discovery card ID was held on DATE.",
			 a, 1, 1, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return set_date(c, "discovery", "discovery_card", s.id, "conversation_date", a[0].value,
			"created_date");
}

int cmd_discovery(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = { "add", "done", NULL };
	static int (*const fns[])(struct ctl *, int, char **) = { discovery_add, discovery_done };

	return dispatch(c, "discovery", argc, argv, names, fns, "backactl discovery add|done ...");
}

/* ---- follow-up ---- */

static int followup_add(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "child", A_CHILD, 1, NULL, NULL, 0 },
		{ "responsible", A_STAFF, 1, NULL, NULL, 0 },
		{ "due", A_DATE, 1, NULL, NULL, 0 },
	};
	struct sub s = { "followup", "add", "--child REF --responsible STAFF --due DATE",
			 "Plan an uppföljningssamtal for child REF, held by STAFF by DATE.",
			 a, 3, 0, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return insert_args(c, "followup", "INSERT INTO followup(child_id, responsible_id, due_date)"
			   " VALUES (?1, ?2, ?3) RETURNING id", a, 3, N_("followup"));
}

static int followup_move(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = { { "due", A_DATE, 1, NULL, NULL, 0 } };
	struct sub s = { "followup", "move", "ID --due DATE",
			 "Move follow-up ID to a new due date; its reminders are planned anew.",
			 a, 1, 1, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return set_date(c, "followup", "followup", s.id, "due_date", a[0].value, "'0000-00-00'");
}

static int followup_done(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = { { "date", A_DATE, 1, NULL, NULL, 0 } };
	struct sub s = { "followup", "done", "ID --date DATE",
			 "Record that follow-up ID was held on DATE.", a, 1, 1, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return set_date(c, "followup", "followup", s.id, "done_date", a[0].value, "'0000-00-00'");
}

int cmd_followup(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = { "add", "move", "done", NULL };
	static int (*const fns[])(struct ctl *, int, char **) = { followup_add, followup_move,
								  followup_done };

	return dispatch(c, "followup", argc, argv, names, fns, "backactl followup add|move|done ...");
}

/* ---- consent ---- */

static int consent_add(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "child", A_CHILD, 1, NULL, NULL, 0 },
		{ "scope", A_CHOICE, 1, "handover barnteam", NULL, 0 },
		{ "given-by", A_CHOICE, 1, "guardian child both", NULL, 0 },
		{ "date", A_DATE, 1, NULL, NULL, 0 },
	};
	struct sub s = { "consent", "add",
			 "--child REF --scope handover|barnteam --given-by guardian|child|both --date DATE",
			 "Record a documented consent (samtycke). 'handover' lets the incoming\n"
			 "Barnkontakt learn the child's name and birth date.", a, 4, 0, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return insert_args(c, "consent", "INSERT INTO consent(child_id, scope, given_by, given_date)"
			   " VALUES (?1, ?2, ?3, ?4) RETURNING id", a, 4, N_("consent"));
}

static int consent_withdraw(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = { { "date", A_DATE, 1, NULL, NULL, 0 } };
	struct sub s = { "consent", "withdraw", "ID --date DATE",
			 "Record that consent ID was withdrawn on DATE.", a, 1, 1, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	return set_date(c, "consent", "consent", s.id, "withdrawn_date", a[0].value, "given_date");
}

int cmd_consent(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = { "add", "withdraw", NULL };
	static int (*const fns[])(struct ctl *, int, char **) = { consent_add, consent_withdraw };

	return dispatch(c, "consent", argc, argv, names, fns, "backactl consent add|withdraw ...");
}

/* ---- barnkontakt ---- */

static int barnkontakt_set(struct ctl *c, int argc, char **argv)
{
	struct arg a[] = {
		{ "child", A_CHILD, 1, NULL, NULL, 0 },
		{ "staff", A_STAFF, 1, NULL, NULL, 0 },
		{ "from", A_DATE, 1, NULL, NULL, 0 },
		{ "to", A_DATE, 0, NULL, NULL, 0 },
	};
	struct sub s = { "barnkontakt", "set", "--child REF --staff STAFF --from DATE [--to DATE]",
			 "Make STAFF the Barnkontakt of child REF from DATE (to DATE), overriding\n"
			 "the one that follows from the child's placements.", a, 4, 0, 0 };
	int r = parse(c, &s, argc, argv);

	if (r)
		return r < 0 ? CTL_OK : r;
	if (a[3].value && strcmp(a[3].value, a[2].value) < 0)
		return ctl_usage("barnkontakt", "--to %s is before --from %s", a[3].value, a[2].value);
	r = require_active(c, "barnkontakt", &a[1]);
	if (r != CTL_OK)
		return r;
	return insert_args(c, "barnkontakt", "INSERT INTO barnkontakt(child_id, staff_id,"
			   " start_date, end_date) VALUES (?1, ?2, ?3, ?4) RETURNING id", a, 4,
			   N_("barnkontakt assignment"));
}

int cmd_barnkontakt(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = { "set", NULL };
	static int (*const fns[])(struct ctl *, int, char **) = { barnkontakt_set };

	return dispatch(c, "barnkontakt", argc, argv, names, fns, "backactl barnkontakt set ...");
}
