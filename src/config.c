/* config.c - table-driven loading of backad.conf with libconfig. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "i18n.h"
#include "pg_conn.h"
#include "validate.h"

/* K_HOST: a host name for the SMTP dialogue (smtp.host, smtp.helo). Every
 * string refuses line breaks and other control characters. */
enum ktype { K_STR, K_INT, K_BOOL, K_DAYS, K_TIME, K_MONTHDAY, K_DATES, K_EMAIL, K_CHOICE,
	     K_HOST };

struct key {
	const char *path;
	enum ktype type;
	size_t off;
	int min, max;           /* K_INT and each K_DAYS entry */
	const char *const *choices; /* K_STR: allowed values, or NULL; K_CHOICE: an
				     * int field gets the index of the value */
};

static const char *const delivery_choices[] = { "spool", "network", NULL };
static const char *const sms_choices[] = { "spool", "kannel", "46elks", "generic", NULL };
static const char *const format_choices[] = { "form", "json", NULL };
static const char *const tls_choices[] = { "off", "if-offered", "require", NULL };
static const char *const chan_choices[] = { "preferred", "email", "sms", "both", NULL };
/* How a rule group's reminders and notices go: each on its own, or in the
 * recipient's digest of that send time (index 1). */
static const char *const mode_choices[] = { "immediate", "digest", NULL };
static const char *const ss_auth_choices[] = { "none", "oauth2", "certificate", NULL };

#define OFF(f) offsetof(struct config, f)
static const struct key keys[] = {
	{ "database", K_STR, OFF(database), 0, 0, NULL },
	{ "database_password_file", K_STR, OFF(database_password_file), 0, 0, NULL },
	{ "templates", K_STR, OFF(templates), 0, 0, NULL },
	{ "admin_email", K_EMAIL, OFF(admin_email), 0, 0, NULL },
	{ "delivery", K_STR, OFF(delivery), 0, 0, delivery_choices },
	{ "spool_dir", K_STR, OFF(spool_dir), 0, 0, NULL },
	{ "mail_from", K_EMAIL, OFF(mail_from), 0, 0, NULL },
	{ "reply_to", K_EMAIL, OFF(reply_to), 0, 0, NULL },
	{ "case_url", K_STR, OFF(case_url), 0, 0, NULL },
	{ "smtp.host", K_HOST, OFF(smtp_host), 0, 0, NULL },
	{ "smtp.port", K_INT, OFF(smtp_port), 1, 65535, NULL },
	{ "smtp.starttls", K_CHOICE, OFF(smtp_starttls), 0, 0, tls_choices },
	{ "smtp.ca_file", K_STR, OFF(smtp_ca_file), 0, 0, NULL },
	{ "smtp.user", K_STR, OFF(smtp_user), 0, 0, NULL },
	{ "smtp.password_file", K_STR, OFF(smtp_password_file), 0, 0, NULL },
	{ "smtp.helo", K_HOST, OFF(smtp_helo), 0, 0, NULL },
	{ "smtp.timeout_seconds", K_INT, OFF(smtp_timeout), 1, 3600, NULL },
	{ "smtp.sessions", K_INT, OFF(smtp_sessions), 1, 16, NULL },
	{ "sms.connections", K_INT, OFF(sms_connections), 1, 16, NULL },
	{ "stop_grace_seconds", K_INT, OFF(stop_grace), 1, 600, NULL },
	{ "sms.sender", K_STR, OFF(sms_sender), 0, 0, NULL },
	{ "sms.max_segments", K_INT, OFF(sms_max_segments), 1, 10, NULL },
	{ "sms.provider", K_CHOICE, OFF(sms_provider), 0, 0, sms_choices },
	{ "sms.url", K_STR, OFF(sms_url), 0, 0, NULL },
	{ "sms.user", K_STR, OFF(sms_user), 0, 0, NULL },
	{ "sms.password_file", K_STR, OFF(sms_password_file), 0, 0, NULL },
	{ "sms.ca_file", K_STR, OFF(sms_ca_file), 0, 0, NULL },
	{ "sms.timeout_seconds", K_INT, OFF(sms_timeout), 1, 600, NULL },
	{ "sms.generic.format", K_CHOICE, OFF(sms_json), 0, 0, format_choices },
	{ "sms.generic.to_field", K_STR, OFF(sms_to_field), 0, 0, NULL },
	{ "sms.generic.from_field", K_STR, OFF(sms_from_field), 0, 0, NULL },
	{ "sms.generic.text_field", K_STR, OFF(sms_text_field), 0, 0, NULL },
	{ "sms.generic.reference_field", K_STR, OFF(sms_ref_field), 0, 0, NULL },
	{ "rate.global_per_minute", K_INT, OFF(rate_global), 0, 100000, NULL },
	{ "rate.recipient_per_hour", K_INT, OFF(rate_recipient), 0, 10000, NULL },
	{ "retry.min_seconds", K_INT, OFF(retry_min), 10, 86400, NULL },
	{ "retry.max_seconds", K_INT, OFF(retry_max), 10, 7 * 86400, NULL },
	{ "retry.lifetime_seconds", K_INT, OFF(retry_lifetime), 60, 30 * 86400, NULL },
	{ "send_time", K_TIME, OFF(send_time), 0, 0, NULL },
	{ "workday_shift", K_BOOL, OFF(workday_shift), 0, 1, NULL },
	{ "sms.allowed_from", K_TIME, OFF(sms_from), 0, 0, NULL },
	{ "sms.allowed_until", K_TIME, OFF(sms_until), 0, 0, NULL },
	{ "school_year.start", K_MONTHDAY, OFF(school_start_month), 0, 0, NULL },
	{ "school_year.starts", K_DATES, OFF(school_starts), 0, 0, NULL },
	{ "handover.outgoing_days", K_DAYS, OFF(handover_outgoing), 0, 365, NULL },
	{ "handover.incoming_days", K_DAYS, OFF(handover_incoming), 0, 365, NULL },
	{ "referral.deadline_days", K_INT, OFF(referral_deadline), 1, 60, NULL },
	{ "referral.reminder_days", K_DAYS, OFF(referral_reminders), 0, 60, NULL },
	{ "referral.escalate_day", K_INT, OFF(referral_escalate), 0, 60, NULL },
	{ "referral.overdue_days", K_DAYS, OFF(referral_overdue), 1, 365, NULL },
	{ "discovery.conversation_days", K_INT, OFF(discovery_days), 1, 365, NULL },
	{ "discovery.reminder_days", K_DAYS, OFF(discovery_reminders), 0, 365, NULL },
	{ "followup.before_days", K_DAYS, OFF(followup_before), 0, 365, NULL },
	{ "followup.after_days", K_DAYS, OFF(followup_after), 1, 365, NULL },
	{ "lookback_days", K_INT, OFF(lookback_days), 0, 30, NULL },
	{ "handover.channels", K_CHOICE, OFF(channels[RG_HANDOVER]), 0, 0, chan_choices },
	{ "rolechange.channels", K_CHOICE, OFF(channels[RG_ROLECHANGE]), 0, 0, chan_choices },
	{ "referral.channels", K_CHOICE, OFF(channels[RG_REFERRAL]), 0, 0, chan_choices },
	{ "discovery.channels", K_CHOICE, OFF(channels[RG_DISCOVERY]), 0, 0, chan_choices },
	{ "followup.channels", K_CHOICE, OFF(channels[RG_FOLLOWUP]), 0, 0, chan_choices },
	{ "handover.delivery_mode", K_CHOICE, OFF(digest[RG_HANDOVER]), 0, 0, mode_choices },
	{ "referral.delivery_mode", K_CHOICE, OFF(digest[RG_REFERRAL]), 0, 0, mode_choices },
	{ "discovery.delivery_mode", K_CHOICE, OFF(digest[RG_DISCOVERY]), 0, 0, mode_choices },
	{ "followup.delivery_mode", K_CHOICE, OFF(digest[RG_FOLLOWUP]), 0, 0, mode_choices },
	/* Data in: full imports and the SS 12000 sync (docs/import.md, docs/ss12000.md). */
	{ "import.max_shrink_percent", K_INT, OFF(import_max_shrink), 0, 100, NULL },
	{ "ss12000.url", K_STR, OFF(ss_url), 0, 0, NULL },
	{ "ss12000.auth", K_CHOICE, OFF(ss_auth), 0, 0, ss_auth_choices },
	{ "ss12000.token_url", K_STR, OFF(ss_token_url), 0, 0, NULL },
	{ "ss12000.client_id", K_STR, OFF(ss_client_id), 0, 0, NULL },
	{ "ss12000.secret_file", K_STR, OFF(ss_secret_file), 0, 0, NULL },
	{ "ss12000.scope", K_STR, OFF(ss_scope), 0, 0, NULL },
	{ "ss12000.cert_file", K_STR, OFF(ss_cert_file), 0, 0, NULL },
	{ "ss12000.key_file", K_STR, OFF(ss_key_file), 0, 0, NULL },
	{ "ss12000.ca_file", K_STR, OFF(ss_ca_file), 0, 0, NULL },
	{ "ss12000.municipality", K_STR, OFF(ss_municipality), 0, 0, NULL },
	{ "ss12000.page_size", K_INT, OFF(ss_page_size), 1, 10000, NULL },
	{ "ss12000.timeout_seconds", K_INT, OFF(ss_timeout), 1, 3600, NULL },
	{ "ss12000.max_seconds", K_INT, OFF(ss_max_seconds), 1, 86400, NULL },
	{ "ss12000.store_pnr", K_BOOL, OFF(ss_store_pnr), 0, 1, NULL },
	/* Operations. */
	{ "metrics.textfile", K_STR, OFF(metrics_file), 0, 0, NULL },
	{ "web.public_url", K_STR, OFF(web_public_url), 0, 0, NULL },
	{ "web.key_file", K_STR, OFF(web_key_file), 0, 0, NULL },
	{ "web.trusted_proxy", K_STR, OFF(web_trusted_proxy), 0, 0, NULL },
	{ "web.rate_per_minute", K_INT, OFF(web_rate), 1, 100000, NULL },
	{ "web.link_days", K_INT, OFF(web_link_days), 1, 365, NULL },
	{ "web.reports_per_minute", K_INT, OFF(web_reports_rate), 1, 1000000, NULL },
	{ "web.connections_per_address", K_INT, OFF(web_connections_per_address), 1, 64, NULL },
};
#undef OFF

#define NKEYS (sizeof keys / sizeof keys[0])

struct loader {
	struct config *c;
	const char *file;
	struct report rep;
};

static void report(struct loader *l, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct loader *l, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, _(fmt), ap);
	va_end(ap);
	report_line(&l->rep, "%s:%d: %s", l->file, line, msg);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void days_set(struct config_days *d, int n, const int *v)
{
	d->n = n;
	memcpy(d->v, v, (size_t)n * sizeof *v);
}

int config_defaults(struct config *c, struct err *e)
{
	memset(c, 0, sizeof *c);
	c->database = xstrdup("/var/lib/backad/case.db");
	c->templates = xstrdup("/usr/share/backad/templates/sv");
	c->admin_email = xstrdup("root@localhost.localdomain");
	c->delivery = xstrdup("spool");
	c->spool_dir = xstrdup("/var/spool/backad");
	c->mail_from = xstrdup("backad@localhost.localdomain");
	c->sms_sender = xstrdup("Backabarnet");
	if (!c->database || !c->templates || !c->admin_email || !c->delivery ||
	    !c->spool_dir || !c->mail_from || !c->sms_sender)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->smtp_host = xstrdup("localhost");
	c->smtp_helo = xstrdup("backad");
	c->sms_to_field = xstrdup("to");
	c->sms_from_field = xstrdup("from");
	c->sms_text_field = xstrdup("message");
	c->sms_ref_field = xstrdup("reference");
	c->sms_timeout = 20;
	if (!c->smtp_host || !c->smtp_helo || !c->sms_to_field || !c->sms_from_field ||
	    !c->sms_text_field || !c->sms_ref_field)
		return err_set(e, ERR_NOMEM, "out of memory");
	c->smtp_port = 25;
	c->smtp_starttls = 2;
	c->smtp_timeout = 60;
	c->smtp_sessions = 2;
	c->sms_connections = 4;
	c->stop_grace = 15;
	c->sms_max_segments = 3;
	c->retry_min = 300;
	c->retry_max = 4000;
	c->retry_lifetime = 5 * 86400;
	c->send_time = 8 * 60;
	c->workday_shift = 1;
	c->sms_from = 7 * 60 + 30;
	c->sms_until = 19 * 60;
	c->school_start_month = 8;
	c->school_start_day = 20;
	days_set(&c->handover_outgoing, 1, (int[]){ 30 });
	days_set(&c->handover_incoming, 2, (int[]){ 14, 0 });
	c->referral_deadline = 14;
	days_set(&c->referral_reminders, 2, (int[]){ 10, 13 });
	c->referral_escalate = 13;
	days_set(&c->referral_overdue, 2, (int[]){ 1, 7 });
	c->discovery_days = 14;
	days_set(&c->discovery_reminders, 1, (int[]){ 10 });
	days_set(&c->followup_before, 2, (int[]){ 7, 1 });
	days_set(&c->followup_after, 2, (int[]){ 1, 7 });
	c->lookback_days = 3;
	c->digest[RG_HANDOVER] = c->digest[RG_REFERRAL] = 1;
	c->digest[RG_DISCOVERY] = c->digest[RG_FOLLOWUP] = 1;
	c->import_max_shrink = 10;
	c->ss_page_size = 1000;
	c->web_key_file = xstrdup("/etc/backad/ack.keys");
	c->web_rate = 30;
	c->web_link_days = 60;
	c->web_connections_per_address = 8;
	c->web_reports_rate = 600;
	c->ss_timeout = 60;
	c->ss_max_seconds = 900;
	return 0;
}

void config_free(struct config *c)
{
	config_clear(c);
	free(c);
}

void config_clear(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->database);
	free(c->database_password_file);
	free(c->templates);
	free(c->admin_email);
	free(c->spool_dir);
	free(c->delivery);
	free(c->mail_from);
	free(c->reply_to);
	free(c->case_url);
	free(c->sms_sender);
	free(c->smtp_host);
	free(c->smtp_ca_file);
	free(c->smtp_user);
	free(c->smtp_password_file);
	free(c->smtp_helo);
	free(c->sms_url);
	free(c->sms_user);
	free(c->sms_password_file);
	free(c->sms_ca_file);
	free(c->sms_to_field);
	free(c->sms_from_field);
	free(c->sms_text_field);
	free(c->sms_ref_field);
	free(c->ss_url);
	free(c->ss_token_url);
	free(c->ss_client_id);
	free(c->ss_secret_file);
	free(c->ss_scope);
	free(c->ss_cert_file);
	free(c->ss_key_file);
	free(c->ss_ca_file);
	free(c->ss_municipality);
	free(c->metrics_file);
	free(c->web_public_url);
	free(c->web_key_file);
	free(c->web_trusted_proxy);
	memset(c, 0, sizeof *c);
}

const char *config_path(const char *arg)
{
	const char *env = getenv("BACKAD_CONFIG");

	if (arg)
		return arg;
	if (env && *env)
		return env;
	return CONFIG_DEFAULT_PATH;
}

static const struct key *key_find(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* 1 if some key lives below the group path. */
static int group_known(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
			return 1;
	return 0;
}

static int parse_hhmm(const char *s, int *minutes)
{
	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' ||
	    s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' ||
	    s[4] > '9')
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

static int load_int(struct loader *l, const config_setting_t *s, const struct key *k,
		    int *out)
{
	int line = config_setting_source_line(s);
	int v;

	if (config_setting_type(s) != CONFIG_TYPE_INT) {
		report(l, line, "%s must be a whole number", k->path);
		return -1;
	}
	v = config_setting_get_int(s);
	if (v < k->min || v > k->max) {
		report(l, line, "%s = %d is out of range (%d..%d)", k->path, v, k->min,
		       k->max);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *get_string(struct loader *l, const config_setting_t *s,
			      const struct key *k)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		report(l, config_setting_source_line(s), "%s must be a string in quotes",
		       k->path);
		return NULL;
	}
	return config_setting_get_string(s);
}

static void load_str(struct loader *l, const config_setting_t *s, const struct key *k)
{
	char **field = (char **)((char *)l->c + k->off);
	const char *v = get_string(l, s, k);
	struct err ve;
	int ok = 0;

	if (!v)
		return;
	if (!*v) {
		report(l, config_setting_source_line(s), "%s must not be empty", k->path);
		return;
	}
	/* A line break here could put a command on the SMTP wire. */
	if (valid_line(v, &ve) < 0 || (k->type == K_HOST && valid_host(v, &ve) < 0)) {
		report(l, config_setting_source_line(s), "%s: %s", k->path, ve.msg);
		return;
	}
	if (k->type == K_EMAIL && valid_email(v, &ve) < 0) {
		report(l, config_setting_source_line(s), "%s: %s", k->path, ve.msg);
		return;
	}
	if (k->choices) {
		for (const char *const *ch = k->choices; *ch; ch++)
			ok |= strcmp(*ch, v) == 0;
		if (!ok) {
			report(l, config_setting_source_line(s),
			       "%s = \"%s\" is not one of the allowed values", k->path, v);
			return;
		}
	}
	free(*field);
	*field = strdup(v);
}

static void load_days(struct loader *l, const config_setting_t *s, const struct key *k)
{
	struct config_days *d = (struct config_days *)((char *)l->c + k->off);
	struct config_days tmp = { 0 };
	int type = config_setting_type(s);

	if (type == CONFIG_TYPE_INT) {
		if (load_int(l, s, k, &tmp.v[0]) == 0) {
			tmp.n = 1;
			*d = tmp;
		}
		return;
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		report(l, config_setting_source_line(s),
		       "%s must be a number or a list of numbers like [10, 13]", k->path);
		return;
	}
	if (config_setting_length(s) > CONFIG_MAX_LIST) {
		report(l, config_setting_source_line(s), "%s has more than %d entries",
		       k->path, CONFIG_MAX_LIST);
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++)
		if (load_int(l, config_setting_get_elem(s, (unsigned)i), k, &tmp.v[tmp.n++]))
			return;
	*d = tmp;
}

static void load_dates(struct loader *l, const config_setting_t *s, const struct key *k)
{
	struct config *c = l->c;
	int type = config_setting_type(s), n, days;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		report(l, config_setting_source_line(s),
		       "%s must be a list of dates like [\"2026-08-18\"]", k->path);
		return;
	}
	n = config_setting_length(s);
	if (n > CONFIG_MAX_YEARS) {
		report(l, config_setting_source_line(s), "%s has more than %d dates",
		       k->path, CONFIG_MAX_YEARS);
		return;
	}
	c->n_school_starts = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(s, (unsigned)i);
		const char *v = get_string(l, el, k);
		int y, m, d;

		if (!v)
			return;
		if (date_parse(v, &days) < 0) {
			report(l, config_setting_source_line(el),
			       "%s: '%s' is not a date (YYYY-MM-DD)", k->path, v);
			return;
		}
		date_to_ymd(days, &y, &m, &d);
		for (int j = 0; j < c->n_school_starts; j++) {
			int y2, m2, d2;

			date_to_ymd(c->school_starts[j], &y2, &m2, &d2);
			if (y2 == y) {
				report(l, config_setting_source_line(el),
				       "%s: two start dates for %d", k->path, y);
				return;
			}
		}
		c->school_starts[c->n_school_starts++] = days;
	}
}

static void load_key(struct loader *l, const config_setting_t *s, const struct key *k)
{
	int *ip = (int *)((char *)l->c + k->off);
	int line = config_setting_source_line(s);
	const char *v;

	switch (k->type) {
	case K_STR:
	case K_EMAIL:
	case K_HOST:
		load_str(l, s, k);
		break;
	case K_INT:
		load_int(l, s, k, ip);
		break;
	case K_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			report(l, line, "%s must be true or false", k->path);
		else
			*ip = config_setting_get_bool(s);
		break;
	case K_TIME:
		v = get_string(l, s, k);
		if (v && parse_hhmm(v, ip) < 0)
			report(l, line, "%s = \"%s\" is not a time of day (HH:MM)", k->path, v);
		break;
	case K_MONTHDAY:
		v = get_string(l, s, k);
		if (v && (strlen(v) != 5 || v[2] != '-' ||
			  sscanf(v, "%2d-%2d", &ip[0], &ip[1]) != 2 ||
			  !date_valid(2001, ip[0], ip[1])))
			report(l, line, "%s = \"%s\" is not a month and day (MM-DD)", k->path, v);
		break;
	case K_DAYS:
		load_days(l, s, k);
		break;
	case K_CHOICE:
		v = get_string(l, s, k);
		if (!v)
			break;
		*ip = -1;
		for (int i = 0; k->choices[i]; i++)
			if (strcmp(k->choices[i], v) == 0)
				*ip = i;
		if (*ip < 0)
			report(l, line, "%s = \"%s\" is not one of the allowed values", k->path, v);
		break;
	case K_DATES:
		load_dates(l, s, k);
		break;
	}
}

static void walk(struct loader *l, const config_setting_t *group, const char *prefix)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		char path[128];
		const struct key *k;

		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", name);
		k = key_find(path);
		if (k) {
			load_key(l, s, k);
		} else if (config_setting_is_group(s) && group_known(path)) {
			walk(l, s, path);
		} else {
			report(l, config_setting_source_line(s), "unknown setting '%s'", path);
		}
	}
}

static int sms_sender_valid(const char *s)
{
	size_t n = strlen(s);

	if (s[0] == '+')
		return valid_e164(s, NULL) == 0;
	if (n < 1 || n > 11)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* A base for links: http(s)://, no query or fragment, no trailing '/',
 * nothing a mail reader would cut a link at. */
static int public_url_valid(const char *u)
{
	size_t n = strlen(u);

	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	if (n < 10 || n > 200 || u[n - 1] == '/' || strpbrk(u, "?#\"<> \t\r\n'"))
		return 0;
	return 1;
}

static void check_whole(struct loader *l, const config_t *cf)
{
	const struct config *c = l->c;
	const config_setting_t *s = config_lookup(cf, "sms.allowed_until");
	struct err pe = { 0 };

	if (c->sms_from >= c->sms_until)
		report(l, s ? config_setting_source_line(s) : 0,
		       "sms.allowed_until must be later than sms.allowed_from");
	s = config_lookup(cf, "retry.max_seconds");
	if (c->retry_min > c->retry_max)
		report(l, s ? config_setting_source_line(s) : 0,
		       "retry.max_seconds must not be below retry.min_seconds");
	s = config_lookup(cf, "sms.sender");
	if (!sms_sender_valid(c->sms_sender))
		report(l, s ? config_setting_source_line(s) : 0,
		       "sms.sender \"%s\" must be 1-11 letters and digits or an E.164 number",
		       c->sms_sender);
	s = config_lookup(cf, "sms.provider");
	if (c->sms_provider != SMS_SPOOL && !c->sms_url)
		report(l, s ? config_setting_source_line(s) : 0,
		       "sms.provider needs sms.url (the gateway's address)");
	s = config_lookup(cf, "case_url");
	if (c->case_url && (strncmp(c->case_url, "https://", 8) != 0 || !c->case_url[8] ||
			    !strstr(c->case_url, "{ref}")))
		report(l, s ? config_setting_source_line(s) : 0,
		       "case_url \"%s\" must be an https:// address with {ref} where the case "
		       "reference goes", c->case_url);
	s = config_lookup(cf, "referral.escalate_day");
	if (c->referral_escalate > c->referral_deadline)
		report(l, s ? config_setting_source_line(s) : 0,
		       "referral.escalate_day (%d) is after the deadline (%d days)",
		       c->referral_escalate, c->referral_deadline);
	s = config_lookup(cf, "database");
	if (db_backend_of(c->database) == DB_BACKEND_POSTGRESQL &&
	    pg_conninfo_check(c->database, &pe) < 0)
		report(l, s ? config_setting_source_line(s) : 0, "database: %s", pe.msg);
	s = config_lookup(cf, "web.public_url");
	if (c->web_public_url && !public_url_valid(c->web_public_url))
		report(l, s ? config_setting_source_line(s) : 0,
		       "web.public_url \"%s\" must be an https:// (or http://) address with no "
		       "query and no / at the end", c->web_public_url);
}

/* Why path cannot be read (libconfig keeps no errno): open it again. */
static int open_errno(const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return errno;
	fclose(f);
	return EIO;
}

int config_load(const char *path, struct config **out,
		void (*errors)(void *ctx, const char *line), void *ctx, struct err *e)
{
	struct loader l = { .file = path, .rep = { errors, ctx, e, 0 } };
	config_t cf;
	int r;

	*out = NULL;
	l.c = calloc(1, sizeof *l.c);
	if (!l.c)
		return err_set(e, ERR_NOMEM, "out of memory");
	r = config_defaults(l.c, e);
	if (r < 0)
		goto fail;
	l.c->path = strdup(path);
	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			r = err_set(e, ERR_IO, "%s: cannot read the configuration file: %s", path,
				    strerror(open_errno(path)));
		else
			r = err_set(e, ERR_INVALID, "%s:%d: %s",
				    config_error_file(&cf) ? config_error_file(&cf) : path,
				    config_error_line(&cf), config_error_text(&cf));
		if (errors)
			errors(ctx, e ? e->msg : "configuration error");
		config_destroy(&cf);
		goto fail;
	}
	walk(&l, config_root_setting(&cf), "");
	check_whole(&l, &cf);
	config_destroy(&cf);
	if (l.rep.n) {
		r = ERR_INVALID;
		goto fail;
	}
	*out = l.c;
	return 0;
fail:
	config_free(l.c);
	return r;
}
