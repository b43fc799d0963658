/* ctl_plan.c - 'backactl plan' (one planning pass) and 'backactl preview'
 * (what would be sent, to whom, when and how, without writing anything). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "ctl.h"
#include "ctl_format.h"
#include "date.h"
#include "i18n.h"
#include "planner.h"
#include "table.h"
#include "templates.h"

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "backactl: %s\n", line);
}

static int load_templates(struct ctl *c, struct templates **tpl)
{
	struct err e = { 0 };
	int r = templates_load(c->cfg->templates, tpl, print_line, NULL, &e);

	if (r == 0)
		templates_set_sms_limit(*tpl, c->cfg->sms_max_segments);
	return r;
}

int cmd_plan(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "now", required_argument, NULL, 't' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct templates *tpl = NULL;
	struct plan_cache full = { 0 };
	struct plan_stats st;
	int all = 0;
	struct err e = { 0 };
	time_t now = time(NULL);
	int ch, rc = CTL_FAIL;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf(_("usage: backactl plan [--full] [--now TIME]\n\n"
			       "Run one planning pass: derive the tasks and messages that should\n"
			       "exist now and reconcile them with the outbox (docs/rules.md).\n"
			       "It plans the subjects whose facts changed or whose time came, or\n"
			       "every subject when no full pass ran today; --full plans every\n"
			       "subject. Nothing is sent; backad delivers what is due. --now sets\n"
			       "the clock (YYYY-MM-DD, YYYY-MM-DDTHH:MM in Swedish time, or ...Z\n"
			       "for UTC).\n"));
			return CTL_OK;
		}
		if (ch == 'f') {
			all = 1;
			continue;
		}
		if (ch != 't' || cal_parse_instant(optarg, &now) < 0)
			return ctl_usage("plan", ch == 't' ? "--now '%s' is not a time"
							   : "unknown option", optarg);
	}
	if (optind < argc)
		return ctl_usage("plan", "unexpected argument '%s'", argv[optind]);
	if (ctl_db(c) < 0 || load_templates(c, &tpl) < 0)
		goto out;
	if (planner_run(c->db, c->cfg, tpl, now, all ? &full : NULL, &st, &e) < 0) {
		ctl_fail("plan", "%s", e.msg);
		goto out;
	}
	printf(_("%s: planned %d, updated %d, unchanged %d, cancelled %d; tasks opened %d, "
	       "closed %d; admin alerts %d\n"), st.full ? _("full pass") : _("changes pass"), st.planned,
	       st.updated, st.kept, st.cancelled, st.tasks_open, st.tasks_closed, st.alerts);
	if (st.errors)
		fprintf(stderr, _("backactl: plan: %d subject(s) could not be planned (admin alerted);"
			" the first: %s\n"), st.errors, st.error);
	rc = CTL_OK;
out:
	templates_free(tpl);
	return rc;
}

struct rows {
	struct plan_msg *m;
	char **text; /* per row: when, to, channel, rule, ref */
	int n, cap;
	int oom;
};

static void collect(void *ctx, const struct plan_msg *m)
{
	struct rows *r = ctx;
	char when[17], **row;

	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		char **t = realloc(r->text, (size_t)cap * 6 * sizeof *t);

		if (!t) {
			r->oom = 1;
			return;
		}
		r->text = t;
		r->cap = cap;
	}
	row = r->text + (size_t)r->n * 6;
	row[0] = strdup(cal_local_str(m->scheduled, when));
	row[1] = strdup(m->recipient_code ? m->recipient_code : "admin");
	row[2] = strdup(channel_name(m->channel));
	row[3] = strdup(m->rule);
	row[4] = strdup(m->child_ref ? m->child_ref : "-");
	row[5] = strdup(m->address);
	r->n++;
}

static int cmp_rows(const void *a, const void *b)
{
	char *const *x = a, *const *y = b;
	int c = strcmp(x[0], y[0]);

	return c ? c : strcmp(x[3], y[3]);
}

int cmd_preview(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const head[] = { N_("WHEN"), N_("TO"), N_("CHANNEL"), N_("RULE"), N_("CASE"),
					    N_("ADDRESS") };
	static const char *const keys[] = { "when", "to", "channel", "rule", "case", "address" };
	struct templates *tpl = NULL;
	struct rows rows = { 0 };
	struct err e = { 0 };
	const char *from_s = NULL;
	int ch, days = 7, rc = CTL_FAIL, from;
	time_t t0, t1;
	char *end;

	cal_init();
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from_s = optarg;
			break;
		case 'd':
			days = (int)strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 366)
				return ctl_usage("preview", "--days '%s' is not 1-366", optarg);
			break;
		case 'h':
			printf(_("usage: backactl preview --from DATE [--days N]\n\n"
			       "List the messages the rules would send from DATE (00:00 Swedish\n"
			       "time) for N days (default 7): when, to whom, by which channel, by\n"
			       "which rule, about which case. Nothing is written. Messages already\n"
			       "sent are listed too; role-change digests are not.\n"));
			return CTL_OK;
		default:
			return ctl_usage("preview", "unknown option");
		}
	}
	if (!from_s)
		return ctl_usage("preview", "--from DATE is required");
	if (date_parse(from_s, &from) < 0)
		return ctl_usage("preview", "--from '%s' is not a date (YYYY-MM-DD)", from_s);
	if (ctl_db(c) < 0 || load_templates(c, &tpl) < 0)
		goto out;
	cal_local_to_utc(from, 0, &t0);
	cal_local_to_utc(from + days, 0, &t1);
	if (planner_preview(c->db, c->cfg, tpl, t0, t1, collect, &rows, &e) < 0) {
		ctl_fail("preview", "%s", e.msg);
		goto out;
	}
	if (rows.oom) {
		ctl_fail("preview", "out of memory");
		goto out;
	}
	qsort(rows.text, (size_t)rows.n, 6 * sizeof *rows.text, cmp_rows);
	if (ctl_table(c->format, 6, head, keys, (const char *const *)rows.text, rows.n, NULL) < 0)
		ctl_fail("preview", "out of memory");
	else
		rc = CTL_OK;
out:
	for (int i = 0; i < rows.n * 6; i++)
		free(rows.text[i]);
	free(rows.text);
	templates_free(tpl);
	return rc;
}
