/* ctl_case.c - placeholder until implemented. */
#include "ctl.h"
int cmd_referral(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_discovery(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_followup(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_consent(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
int cmd_barnkontakt(struct ctl *c, int argc, char **argv)
{
	(void)c; (void)argc;
	return ctl_fail(argv[0], "not implemented yet");
}
