/* ctl_list.c - placeholder until implemented. */
#include "ctl.h"
int cmd_children(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_tasks(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_outbox(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
