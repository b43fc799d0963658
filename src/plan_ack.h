/* plan_ack.h - the personal acknowledgement link of a task message
 * (docs/ack.md): which messages carry one, with which actions, and the
 * template field ack_url. */
#ifndef BACKAD_PLAN_ACK_H
#define BACKAD_PLAN_ACK_H

#include "err.h"

struct planner;
struct plan_req;

/* Load the signing keys for the pass when web.public_url is set. A key file
 * that cannot be read is logged and the pass plans without links (the
 * reminders matter more than the link). */
void plan_ack_open(struct planner *p);
void plan_ack_close(struct planner *p);

/* Set the field ack_url of req->vars for the message to staff_id: the link,
 * or "" when links are off or the message offers no action. */
void plan_ack_url(struct planner *p, const struct plan_req *req, long long staff_id);

/* The actions (ack_token.h letters) a message of rule about subject offers,
 * or NULL for none. */
const char *plan_ack_actions(const char *rule, const char *subject);

#endif
