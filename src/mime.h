/* mime.h - one e-mail as RFC 5322 text with CRLF line ends: a UTF-8 subject
 * as RFC 2047 encoded-words, a quoted-printable UTF-8 text body wrapped at
 * 72 characters with a "-- " signature separator, a stable Message-ID,
 * Auto-Submitted: auto-generated (RFC 3834) and an optional Reply-To. No
 * value can add a header or a recipient. */
#ifndef BACKAD_MIME_H
#define BACKAD_MIME_H

#include <time.h>

#include "err.h"
#include "strbuf.h"

/* Append the message to out. from, to and reply_to (NULL: no Reply-To):
 * plain addresses (valid_email); body: the rendered text (textwrap.h);
 * message_id: "<...@...>"; one that is not a well-formed, bounded msg-id is
 * replaced by msgid_fix's (msgid.h); date: the Date header's instant (shown
 * in Stockholm time). CR, LF and tabs in the subject become
 * spaces. ERR_INVALID names the bad value. */
int mime_build(const char *from, const char *reply_to, const char *to, const char *subject,
	       const char *body, const char *message_id, time_t date, struct strbuf *out,
	       struct err *e);

/* The pieces, for tests. */
int mime_encode_subject(const char *subject, struct strbuf *out);
int mime_qp(const char *body, struct strbuf *out);

#endif
