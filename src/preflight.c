/* preflight.c - warnings of `backad -n` about a production configuration. */
#include "i18n.h"
#include "preflight.h"

#include <stdlib.h>
#include <string.h>

static int production(const char *path)
{
	const char *inv = getenv("INVOCATION_ID");

	return strcmp(path, CONFIG_DEFAULT_PATH) == 0 || (inv && *inv);
}

int preflight_warn(const struct config *c, const char *path, FILE *out)
{
	int n = 0;

	if (!production(path))
		return 0;
	if (c->delivery && strcmp(c->delivery, "spool") == 0) {
		fprintf(out, _("%s: warning: delivery = \"spool\": messages are only written to %s "
			"and reach nobody; set delivery = \"network\" to send them\n"), path,
			c->spool_dir ? c->spool_dir : _("the spool"));
		n++;
	}
	return n;
}
