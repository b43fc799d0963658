/* textwrap.h - an e-mail body after rendering: long lines wrapped at word
 * boundaries, and the signature separator "-- " (RFC 3676 4.3). */
#ifndef BACKAD_TEXTWRAP_H
#define BACKAD_TEXTWRAP_H

#include "strbuf.h"

#define TEXT_WIDTH 72 /* characters a line, as mail readers expect */

/* Append body to out with every line longer than width characters (UTF-8
 * code points, not bytes) broken at its last space within width; a word
 * longer than the width (an address, a link) stays whole on its own line.
 * A continuation keeps the line's indent, and a list item ("- ", "* ")
 * hangs under its text. A line that is exactly "--" (editors strip the
 * trailing blank) becomes the separator "-- ". Line ends are LF; CR LF in
 * the input becomes LF. ERR_NOMEM or 0. */
int text_wrap(const char *body, int width, struct strbuf *out);

#endif
