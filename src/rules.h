/* rules.h - the registry of planning rules. A rule is one entry here, one
 * file (src/rule_NAME.c) and its templates: its subjects' prefix, the rule
 * group whose channel setting it follows, the template kinds it renders,
 * and how it plans all its subjects (a full pass) or one (after a change or
 * when its wake time comes). */
#ifndef BACKAD_RULES_H
#define BACKAD_RULES_H

#include "config.h"
#include "err.h"

struct planner;

struct rule {
	const char *subject;       /* subjects are "SUBJECT:ID", e.g. "referral:12" */
	enum rule_group group;     /* the channel setting it follows */
	const char *const *kinds;  /* the template kinds it renders, NULL-ended */
	/* Plan every subject that matters in the pass's window. */
	int (*plan_all)(struct planner *p, struct err *e);
	/* Plan the subject with this id, when it matters in the window. */
	int (*plan_one)(struct planner *p, long long id, struct err *e);
	/* After the subjects: what a rule collects over them (may be NULL). */
	int (*finish)(struct planner *p, struct err *e);
	/* Drop what finish would have used, after an error (may be NULL). */
	void (*clear)(struct planner *p);
};

/* Every rule, in the order a pass runs them; NULL-ended. */
extern const struct rule *const rules[];

/* The rule whose subjects start with prefix (the part before ':'), the rule
 * that renders a template kind, or NULL. */
const struct rule *rule_by_subject(const char *prefix, size_t n);
const struct rule *rule_by_kind(const char *kind);

/* The rules, one per file. */
extern const struct rule rule_referral;
extern const struct rule rule_handover;
extern const struct rule rule_fklass;
extern const struct rule rule_discovery;
extern const struct rule rule_followup;
extern const struct rule rule_rolechange;

#endif
