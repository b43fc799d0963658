/* log.c - one line per event on stderr, optionally with <N> prefixes. */
#include "i18n.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prog = "backad";
static int log_prefix;
static int log_level = LOG_INFO;

void log_init(const char *prog, int journal_prefix)
{
	log_prog = prog;
	log_prefix = journal_prefix;
}

void log_set_level(int level)
{
	log_level = level;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > log_level)
		return;
	if (log_prefix)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
}
