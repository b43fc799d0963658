/* config.h - backad.conf (libconfig syntax): a table of known keys with types,
 * ranges and defaults. Loading reports every problem as "file:line: message";
 * unknown keys are errors. A struct config is immutable once loaded, so a
 * reload builds a new one and swaps it. */
#ifndef BACKAD_CONFIG_H
#define BACKAD_CONFIG_H

#include <stddef.h>

#include "err.h"

#define CONFIG_MAX_LIST 8     /* entries in an offset list */
#define CONFIG_MAX_YEARS 32   /* configured school-year start dates */

#define CONFIG_DEFAULT_PATH "/etc/backad/backad.conf"

/* A list of day offsets, e.g. reminders 10 and 13 days after receipt. */
struct config_days {
	int n;
	int v[CONFIG_MAX_LIST];
};

/* How a rule reaches a person: their preference (with fallback), e-mail first,
 * SMS first, or both where they have the addresses. */
enum chan_mode { CHMODE_PREFERRED, CHMODE_EMAIL, CHMODE_SMS, CHMODE_BOTH };

enum sms_provider { SMS_SPOOL, SMS_KANNEL, SMS_46ELKS, SMS_GENERIC };

/* The rule groups that have their own channel setting. */
enum rule_group { RG_HANDOVER, RG_ROLECHANGE, RG_REFERRAL, RG_DISCOVERY, RG_FOLLOWUP, RG_COUNT };

struct config {
	char *path;          /* the file this came from */
	char *database;      /* case database: a SQLite path or a PostgreSQL connection string */
	char *database_password_file; /* PostgreSQL password (mode 600), or NULL */
	char *templates;     /* directory with rule templates (templates/sv) */
	char *admin_email;   /* alerts: nobody holds a role, dead messages */
	char *spool_dir;     /* file spool channel directory */
	char *delivery;      /* "spool": files in spool_dir; "network": SMTP and SMS gateway */
	char *mail_from;     /* From: of every e-mail */
	char *reply_to;      /* Reply-To: of every e-mail (the local team), or NULL */
	char *case_url;      /* the case system's page for {ref} (https), or NULL */
	char *sms_sender;    /* SMS sender id: <= 11 alphanumerics or E.164 */
	int sms_max_segments;/* a longer SMS text is an error */

	/* SMTP (delivery = "network"). */
	char *smtp_host;
	int smtp_port;
	int smtp_starttls;        /* 0 off, 1 if offered, 2 require */
	char *smtp_ca_file;       /* trusted CAs; NULL = the system's */
	char *smtp_user;          /* AUTH; NULL = none */
	char *smtp_password_file; /* must not be group- or world-readable */
	char *smtp_helo;
	int smtp_timeout;         /* seconds: a session without progress this long is ended */
	int smtp_sessions;        /* SMTP sessions at once */

	/* SMS gateway (delivery = "network"). */
	int sms_provider;         /* enum sms_provider */
	char *sms_url;
	char *sms_user;
	char *sms_password_file;
	char *sms_ca_file;
	int sms_timeout;          /* seconds per request */
	int sms_connections;      /* requests at once */
	int sms_json;             /* generic: JSON body instead of a form */
	char *sms_to_field, *sms_from_field, *sms_text_field, *sms_ref_field;

	/* SIGTERM: messages under way get this long to finish (keep it below
	 * systemd's TimeoutStopSec). */
	int stop_grace;

	/* Rate limits; 0 = none. */
	int rate_global;     /* messages a minute, all recipients */
	int rate_recipient;  /* messages an hour to one address */

	/* Retries: exponential backoff between min and max, given up after lifetime. */
	int retry_min, retry_max; /* seconds */
	int retry_lifetime;       /* seconds */

	/* Time of day (minutes after local midnight) when messages go out. */
	int send_time;
	/* 1: reminders on a non-working day move to the previous working day. */
	int workday_shift;
	/* SMS quiet hours: allowed between these minutes on working days. */
	int sms_from, sms_until;

	/* School year: default start month-day and explicit dates per year. */
	int school_start_month, school_start_day;
	int n_school_starts;
	int school_starts[CONFIG_MAX_YEARS]; /* day numbers (date.h) */

	/* Rules: offsets in days. */
	struct config_days handover_outgoing;  /* days before the change */
	struct config_days handover_incoming;  /* days before (0 = the day) */
	struct config_days referral_reminders; /* days after receipt */
	int referral_deadline;                 /* 14 */
	int referral_escalate;                 /* days after receipt */
	struct config_days referral_overdue;   /* days after the deadline */
	int discovery_days;                    /* child conversation within */
	struct config_days discovery_reminders;/* days after the card */
	struct config_days followup_before;    /* days before the due date */
	struct config_days followup_after;     /* days after (overdue) */
	int lookback_days; /* a missed occurrence this old is still sent */
	int channels[RG_COUNT]; /* enum chan_mode per rule group */
	/* 1: the group's reminders and notices (src/digest.c lists the kinds)
	 * go in the recipient's digest of their send time; 0: each on its own.
	 * Events (a new referral, a receipt, an outcome, an escalation) always
	 * go at once. */
	int digest[RG_COUNT];

	/* Data in: full imports and the SS 12000 sync. */
	int import_max_shrink;    /* a full import may end at most this % of its rows */
	char *ss_url;             /* SS 12000 API base, e.g. https://host/ss12000/v2 */
	int ss_auth;              /* enum ss_auth */
	char *ss_token_url;       /* OAuth2 client credentials token endpoint */
	char *ss_client_id;
	char *ss_secret_file;     /* the client secret; must not be group- or world-readable */
	char *ss_scope;           /* OAuth2 scope, or NULL */
	char *ss_cert_file, *ss_key_file; /* client certificate (PEM) */
	char *ss_ca_file;         /* trusted CAs; NULL = the system's */
	char *ss_municipality;    /* unit.municipality of synced units; NULL = the huvudman's name */
	int ss_page_size;         /* limit per page */
	int ss_timeout;           /* seconds per request */
	int ss_max_seconds;       /* a whole sync, retries included, at most this long */
	int ss_store_pnr;         /* 1: keep personal identity numbers of children */
	/* Operations. */
	char *metrics_file; /* Prometheus textfile written after each pass; NULL = off */
	/* Acknowledgement links and the web service (backad-web, docs/ack.md). */
	char *web_public_url;    /* links are this + "/a/" + token; NULL = no links */
	char *web_key_file;      /* the signing keys, newest last (mode 600) */
	char *web_trusted_proxy; /* X-Forwarded-For is believed from this address only */
	int web_rate;            /* requests a minute from one client address */
	int web_link_days;       /* a link works this many days after its message's date */
	int web_connections_per_address; /* open connections from one peer address */
	int web_reports_rate;    /* delivery reports a minute from one client address */
};

enum ss_auth { SS_AUTH_NONE, SS_AUTH_OAUTH2, SS_AUTH_CERT };

/* Defaults for every key (what an empty file gives). Strings are owned. */
int config_defaults(struct config *c, struct err *e);

/* Load path into *out (which the caller frees with config_free). On error,
 * every problem is written to the errors callback (may be NULL) as one line
 * "file:line: message", and the return value is ERR_INVALID with e holding
 * the first. */
int config_load(const char *path, struct config **out,
		void (*errors)(void *ctx, const char *line), void *ctx,
		struct err *e);

void config_free(struct config *c);
/* Free what a struct config owns (one filled by config_defaults). */
void config_clear(struct config *c);

/* The path to use: explicit argument, else $BACKAD_CONFIG, else default. */
const char *config_path(const char *arg);

#endif
