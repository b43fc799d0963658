/* ctl_calendar.c - placeholder until implemented. */
#include "ctl.h"
int cmd_calendar(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
