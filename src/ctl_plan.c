/* ctl_plan.c - placeholder until implemented. */
#include "ctl.h"
int cmd_plan(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_preview(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
