/* sendcheck.c - checks at send time on outbox rows and SMTP settings. */
#include "sendcheck.h"

#include <string.h>

#include "validate.h"

int sendcheck_msg(const struct outbox_msg *m, struct err *e)
{
	int sms = strcmp(m->channel, "sms") == 0;
	struct err ve;

	if (valid_line(m->address, &ve) < 0)
		return err_set(e, ERR_PERMFAIL, "outbox %lld: the %s %s; not sent", m->id,
			       sms ? "SMS number" : "e-mail address", ve.msg);
	if (sms ? valid_e164(m->address, NULL) < 0 : valid_email(m->address, NULL) < 0)
		return err_set(e, ERR_PERMFAIL, "outbox %lld: the %s is not %s; not sent", m->id,
			       sms ? "SMS number" : "e-mail address",
			       sms ? "a mobile number in E.164 form" : "a plain e-mail address");
	if (!m->message_id[0] || valid_line(m->message_id, &ve) < 0)
		return err_set(e, ERR_PERMFAIL, "outbox %lld: the Message-ID is empty or %s; not sent",
			       m->id, m->message_id[0] ? ve.msg : "missing");
	return 0;
}

static int setting(const char *name, const char *v, int host, struct err *e)
{
	struct err ve;

	if (!v)
		return 0;
	if (host ? valid_host(v, &ve) < 0 : valid_line(v, &ve) < 0)
		return err_set(e, ERR_TEMPFAIL, "%s %s; fix the configuration and reload", name,
			       strpbrk(v, "\r\n") ? "contains a line break" : "is not usable in SMTP");
	return 0;
}

int sendcheck_smtp(const struct config *cfg, struct err *e)
{
	int r;

	if (valid_line(cfg->mail_from, NULL) < 0 || valid_email(cfg->mail_from, NULL) < 0)
		return err_set(e, ERR_TEMPFAIL, "mail_from is not a plain e-mail address; "
			       "fix the configuration and reload");
	if ((r = setting("smtp.host", cfg->smtp_host, 1, e)) < 0 ||
	    (r = setting("smtp.helo", cfg->smtp_helo, 1, e)) < 0 ||
	    (r = setting("smtp.user", cfg->smtp_user, 0, e)) < 0)
		return r;
	return 0;
}
