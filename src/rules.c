/* rules.c - the registry: which rules there are, in which order. */
#include "rules.h"

#include <string.h>

const struct rule *const rules[] = {
	&rule_referral, &rule_handover, &rule_fklass, &rule_discovery, &rule_followup,
	&rule_rolechange, NULL,
};

const struct rule *rule_by_subject(const char *prefix, size_t n)
{
	for (int i = 0; rules[i]; i++)
		if (strlen(rules[i]->subject) == n && strncmp(rules[i]->subject, prefix, n) == 0)
			return rules[i];
	return NULL;
}

const struct rule *rule_by_kind(const char *kind)
{
	for (int i = 0; rules[i]; i++)
		for (int k = 0; rules[i]->kinds[k]; k++)
			if (strcmp(rules[i]->kinds[k], kind) == 0)
				return rules[i];
	return NULL;
}
