/* ctl_import.c - placeholder until implemented. */
#include "ctl.h"
int cmd_import(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
