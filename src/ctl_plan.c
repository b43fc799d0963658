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
#include "digest.h"
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
		fprintf(stderr, ngettext("backactl: plan: %d subject could not be planned (admin "
					 "alerted): %s\n",
					 "backactl: plan: %d subjects could not be planned (admin "
					 "alerted); the first: %s\n", (unsigned long)st.errors),
			st.errors, st.error);
	rc = CTL_OK;
out:
	templates_free(tpl);
	return rc;
}

/* Per row: when, to, channel, rule, ref, address (shown), then digest
 * ("1" or "0"), deadline, subject, body and the recipient's name (for
 * merging and --text). */
#define SHOWN 6
#define COLS 11

struct rows {
	char **text;
	int n, cap;
	int oom;
};

static void collect(void *ctx, const struct plan_msg *m)
{
	struct rows *r = ctx;
	char when[17], **row;

	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 64;
		char **t = realloc(r->text, (size_t)cap * COLS * sizeof *t);

		if (!t) {
			r->oom = 1;
			return;
		}
		r->text = t;
		r->cap = cap;
	}
	row = r->text + (size_t)r->n * COLS;
	row[0] = strdup(cal_local_str(m->scheduled, when));
	row[1] = strdup(m->recipient_code ? m->recipient_code : "admin");
	row[2] = strdup(channel_name(m->channel));
	row[3] = strdup(m->rule);
	row[4] = strdup(m->child_ref ? m->child_ref : "-");
	row[5] = strdup(m->address);
	row[6] = strdup(m->digest ? "1" : "0");
	row[7] = strdup(m->deadline ? m->deadline : "");
	row[8] = strdup(m->subject ? m->subject : "");
	row[9] = strdup(m->body);
	row[10] = strdup(m->recipient_name ? m->recipient_name : "");
	for (int i = 0; i < COLS; i++)
		r->oom |= !row[i];
	r->n++;
}

/* By time, then (so a digest's items are together) channel, address, and
 * whether a row goes in a digest, then rule. */
static int cmp_rows(const void *a, const void *b)
{
	char *const *x = a, *const *y = b;
	static const int order[] = { 0, 2, 5, 6, 3 };
	int c = 0;

	for (size_t i = 0; c == 0 && i < sizeof order / sizeof order[0]; i++)
		c = strcmp(x[order[i]], y[order[i]]);
	return c;
}

static int same_digest(char *const *x, char *const *y)
{
	return x[6][0] == '1' && y[6][0] == '1' && strcmp(x[0], y[0]) == 0 &&
	       strcmp(x[2], y[2]) == 0 && strcmp(x[5], y[5]) == 0;
}

/* Rows i..j-1, one person's digest of one send time, as the one message
 * that goes out: rule "digest: SUMMARY", the cases listed, subject and
 * body rendered as delivery renders them. */
static int merge(const struct templates *tpl, char **rows, int i, int j, int day)
{
	struct digest_item *it = calloc((size_t)(j - i), sizeof *it);
	char summary[256], *rule, *refs, *subject = NULL, *body = NULL;
	size_t len = 1;
	struct err e = { 0 };
	int r;

	if (!it)
		return ERR_NOMEM;
	for (int k = i; k < j; k++) {
		char **x = rows + (size_t)k * COLS;

		it[k - i] = (struct digest_item){ k, x[3], x[8], x[9], x[7] };
		len += strlen(x[4]) + 2;
	}
	r = digest_render(tpl, rows[(size_t)i * COLS + 2], rows[(size_t)i * COLS + 10], day, it,
			  j - i, &subject, &body, &e);
	digest_summary(it, j - i, summary, sizeof summary);
	free(it);
	rule = malloc(strlen(summary) + 9);
	refs = malloc(len);
	if (r < 0 || !rule || !refs) {
		free(rule);
		free(refs);
		free(subject);
		free(body);
		return r < 0 ? r : ERR_NOMEM;
	}
	sprintf(rule, "digest: %s", summary);
	refs[0] = '\0';
	for (int k = i; k < j; k++) {
		if (refs[0])
			strcat(refs, ", ");
		strcat(refs, rows[(size_t)k * COLS + 4]);
	}
	for (int k = i + 1; k < j; k++)
		for (int c = 0; c < COLS; c++)
			free(rows[(size_t)k * COLS + c]);
	free(rows[(size_t)i * COLS + 3]);
	free(rows[(size_t)i * COLS + 4]);
	free(rows[(size_t)i * COLS + 8]);
	free(rows[(size_t)i * COLS + 9]);
	rows[(size_t)i * COLS + 3] = rule;
	rows[(size_t)i * COLS + 4] = refs;
	rows[(size_t)i * COLS + 8] = subject ? subject : strdup("");
	rows[(size_t)i * COLS + 9] = body;
	return 0;
}

/* Merge each person's digest items of one send time into the digest. */
static int merge_digests(const struct templates *tpl, struct rows *r)
{
	int out = 0;

	for (int i = 0; i < r->n;) {
		int j = i + 1, day = 0, rc;
		char **x = r->text + (size_t)i * COLS;

		while (j < r->n && same_digest(x, r->text + (size_t)j * COLS))
			j++;
		if (j - i > 1) {
			char d[DATE_LEN];

			snprintf(d, sizeof d, "%.10s", x[0]); /* "YYYY-MM-DD HH:MM" */
			date_parse(d, &day);
			rc = merge(tpl, r->text, i, j, day);
			if (rc < 0)
				return rc;
		}
		if (out != i)
			memmove(r->text + (size_t)out * COLS, x, COLS * sizeof *x);
		out++;
		i = j;
	}
	r->n = out;
	return 0;
}

/* A digest's cases in a table cell: the first and how many more
 * ("B-2020-0004 +2"); NULL for a single case (or out of memory). */
static char *short_cases(const char *refs)
{
	const char *comma = strstr(refs, ", ");
	int more = 0;
	char *s;

	if (!comma)
		return NULL;
	for (const char *p = comma; p; p = strstr(p + 2, ", "))
		more++;
	if (asprintf(&s, "%.*s +%d", (int)(comma - refs), refs, more) < 0)
		return NULL;
	return s;
}

static void print_text(const struct rows *r)
{
	for (int i = 0; i < r->n; i++) {
		char **x = r->text + (size_t)i * COLS;

		printf("== %s  %s  %s  %s  %s\n", x[0], x[1], x[2], x[5], x[3]);
		if (x[8][0])
			printf("Ämne: %s\n\n", x[8]);
		printf("%s%s\n", x[9], x[9][0] && x[9][strlen(x[9]) - 1] == '\n' ? "" : "\n");
	}
}

int cmd_preview(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "days", required_argument, NULL, 'd' },
		{ "text", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const head[] = { N_("WHEN"), N_("TO"), N_("CHANNEL"), N_("RULE"), N_("CASE"),
					    N_("ADDRESS") };
	static const char *const keys[] = { "when", "to", "channel", "rule", "case", "address" };
	/* When, who and which case are never cut: they are what the reader
	 * looks for (a digest's cases as the first and how many more). */
	static const int align[] = { TABLE_KEY, TABLE_KEY, TABLE_LEFT, TABLE_LEFT, TABLE_KEY,
				     TABLE_LEFT };
	struct templates *tpl = NULL;
	struct rows rows = { 0 };
	struct err e = { 0 };
	const char *from_s = NULL;
	int ch, days = 7, rc = CTL_FAIL, from, text = 0, ncols;
	const char **shown;
	char **cases = NULL;
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
		case 't':
			text = 1;
			break;
		case 'h':
			printf(_("usage: backactl preview --from DATE [--days N] [--text]\n\n"
			       "List the messages the rules would send from DATE (00:00 Swedish\n"
			       "time) for N days (default 7): when, to whom, by which channel, by\n"
			       "which rule, about which case. A person's items of one send time\n"
			       "that go in a digest are one row, as the one message that goes out.\n"
			       "--text prints each message's text instead. Nothing is written.\n"
			       "Messages already sent are listed too; role-change digests are not.\n"));
			return CTL_OK;
		default:
			return ctl_usage("preview", "unknown option");
		}
	}
	if (!from_s)
		return ctl_usage("preview", "--from DATE is required");
	if (text && c->format != CTL_FMT_TEXT)
		return ctl_usage("preview", "--text prints text only: it cannot go with --format json|csv");
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
	qsort(rows.text, (size_t)rows.n, COLS * sizeof *rows.text, cmp_rows);
	if (merge_digests(tpl, &rows) < 0) {
		ctl_fail("preview", "a digest could not be written");
		goto out;
	}
	if (text) {
		print_text(&rows);
		rc = CTL_OK;
		goto out;
	}
	/* JSON and CSV have the first SHOWN columns of each row; the table for
	 * people all but the address (the person is named), so that the rule
	 * fits whole beside the time, the person and the case. */
	ncols = c->format == CTL_FMT_TEXT ? SHOWN - 1 : SHOWN;
	shown = malloc((size_t)(rows.n ? rows.n : 1) * (size_t)ncols * sizeof *shown);
	cases = calloc((size_t)(rows.n ? rows.n : 1), sizeof *cases);
	for (int i = 0; shown && cases && i < rows.n; i++) {
		memcpy(shown + (size_t)i * (size_t)ncols, rows.text + (size_t)i * COLS,
		       (size_t)ncols * sizeof *shown);
		if (c->format == CTL_FMT_TEXT && (cases[i] = short_cases(rows.text[(size_t)i * COLS + 4])))
			shown[(size_t)i * (size_t)ncols + 4] = cases[i];
	}
	if (!shown || !cases || ctl_table(c->format, ncols, head, keys, shown, rows.n, align) < 0)
		ctl_fail("preview", "out of memory");
	else
		rc = CTL_OK;
	for (int i = 0; cases && i < rows.n; i++)
		free(cases[i]);
	free(cases);
	free(shown);
out:
	for (int i = 0; i < rows.n * COLS; i++)
		free(rows.text[i]);
	free(rows.text);
	templates_free(tpl);
	return rc;
}
