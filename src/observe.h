/* observe.h - what an administrator sees of each pass: journal events (a
 * summary, each message given up, each planning error) and the metrics
 * file. The daemon calls observe_begin() before a pass and observe_end()
 * after it; nothing else does. */
#ifndef BACKAD_OBSERVE_H
#define BACKAD_OBSERVE_H

#include <time.h>

#include "engine.h"

/* Note what is dead already, so that only messages given up in this pass
 * are reported, and start the pass's clock. */
void observe_begin(struct engine *g);

/* Report the pass at now (ok: it succeeded): events, then the metrics file
 * when metrics.textfile is set. Problems are logged, never fatal. */
void observe_end(struct engine *g, time_t now, const struct engine_stats *st, int ok);

/* Copy an error text to out (n bytes) with every word that holds '@', a
 * run of 8 or more digits, or 6 or more digits, '-' or '+' and 4 digits (an
 * address, a phone or identity number: YYMMDD-NNNN, YYMMDD+NNNN,
 * YYYYMMDD-NNNN, YYYYMMDDNNNN) replaced by "[…]": what may go to the
 * journal. */
void observe_redact(const char *in, char *out, size_t n);

#endif
