/* sms_resend.h - seeing libcurl's silent resend: when a reused keep-alive
 * connection turns out dead after the request went out, libcurl sends the
 * request again on a new connection without telling (7.88 has no switch
 * against it). The gateway may then have the message twice. */
#ifndef BACKAD_SMS_RESEND_H
#define BACKAD_SMS_RESEND_H

#include <curl/curl.h>

/* Count in *requests (set to 0 here) every request c sends during its next
 * transfer, through libcurl's debug callback. More than one means the
 * request was sent again. *requests must outlive the transfer. */
void sms_resend_watch(CURL *c, int *requests);

#endif
