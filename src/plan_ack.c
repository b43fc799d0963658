/* plan_ack.c - the personal acknowledgement link a task message carries: a
 * signed token for the recipient, the subject and the actions the message's
 * rule offers, valid web.link_days after the message's date. */
#include "plan_ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack_token.h"
#include "log.h"
#include "plan.h"

/* Which messages offer which actions: a task's messages "received", a
 * follow-up's also "done", a handover's also "booked". Receipts and
 * feedback to a reporter and the förskoleklass notice (no placement) offer
 * none. */
static const struct {
	const char *rule, *subject, *actions;
} offers[] = {
	{ "referral_task", "referral", "r" },
	{ "referral_reminder", "referral", "r" },
	{ "referral_escalation", "referral", "r" },
	{ "referral_overdue", "referral", "r" },
	{ "discovery_new", "discovery", "r" },
	{ "discovery_reminder", "discovery", "r" },
	{ "followup_reminder", "followup", "rd" },
	{ "followup_overdue", "followup", "rd" },
	{ "handover_outgoing", "placement", "rb" },
	{ "handover_incoming", "placement", "rb" },
};

const char *plan_ack_actions(const char *rule, const char *subject)
{
	size_t n = strcspn(subject, ":");

	for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++)
		if (strcmp(offers[i].rule, rule) == 0 && strlen(offers[i].subject) == n &&
		    strncmp(offers[i].subject, subject, n) == 0)
			return offers[i].actions;
	return NULL;
}

void plan_ack_open(struct planner *p)
{
	struct err e = { 0 };

	p->ack = NULL;
	if (!p->cfg->web_public_url)
		return;
	p->ack = malloc(sizeof *p->ack);
	if (!p->ack) {
		log_warn("acknowledgement links: out of memory; messages go without links");
		return;
	}
	if (ack_keys_load(p->cfg->web_key_file, p->ack, &e) < 0) {
		log_warn("acknowledgement links: %s; messages go without links", e.msg);
		free(p->ack);
		p->ack = NULL;
	}
}

void plan_ack_close(struct planner *p)
{
	if (!p->ack)
		return;
	ack_keys_clear(p->ack);
	free(p->ack);
	p->ack = NULL;
}

void plan_ack_url(struct planner *p, const struct plan_req *req, long long staff_id)
{
	const char *actions = plan_ack_actions(req->rule, req->subject);
	struct ack_claim c = { .staff_id = staff_id };
	char token[ACK_TOKEN_LEN], url[512];
	const char *colon = strchr(req->subject, ':');

	tvars_set(req->vars, "ack_url", "");
	if (!p->ack || !actions || !colon || staff_id <= 0)
		return;
	snprintf(c.kind, sizeof c.kind, "%.*s", (int)(colon - req->subject), req->subject);
	c.ref_id = strtoll(colon + 1, NULL, 10);
	snprintf(c.actions, sizeof c.actions, "%s", actions);
	/* The end of the last day the link works (UTC midnight after it):
	 * fixed by the message's date, so a re-plan gives the same text. */
	c.expires = ((long long)req->day + p->cfg->web_link_days + 1) * 86400;
	if (ack_token_make(p->ack, &c, token, sizeof token) < 0)
		return;
	snprintf(url, sizeof url, "%s/a/%s", p->cfg->web_public_url, token);
	tvars_set(req->vars, "ack_url", url);
}
