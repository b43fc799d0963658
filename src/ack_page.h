/* ack_page.h - the Swedish HTML pages of acknowledgement links: the page
 * of a link (the reference, the date, a button per action), the answer to
 * an action, and the plain pages for refusals. No JavaScript. */
#ifndef BACKAD_ACK_PAGE_H
#define BACKAD_ACK_PAGE_H

#include "ack_store.h"
#include "ack_token.h"

/* The page of a valid link; csrf goes in its forms. NULL when out of
 * memory; the caller frees it. */
char *ack_page_form(const struct ack_claim *c, const struct ack_view *v, const char *csrf);
/* The answer to action: recorded now or before. The caller frees it. */
char *ack_page_done(const struct ack_view *v, char action, int recorded);

/* Fixed pages: a refusal that tells nothing (any bad link, form or path),
 * too many requests, a request too large, a fault on the server's side. */
extern const char ack_page_refused[];
extern const char ack_page_limited[];
extern const char ack_page_too_large[];
extern const char ack_page_fault[];

/* The Swedish text of an action's button ("Jag har tagit emot uppgiften"). */
const char *ack_action_sv(char action);

#endif
