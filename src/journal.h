/* journal.h - events for the systemd journal with structured fields: a fixed
 * MESSAGE_ID per kind of event (docs/operations.md lists them) and OUTBOX_ID,
 * RULE, CHANNEL, SUBJECT where they apply. Never names or identity numbers:
 * the fields carry ids, rule and channel names only. */
#ifndef BACKAD_JOURNAL_H
#define BACKAD_JOURNAL_H

/* The kinds of event, as 128-bit ids in hex (sd-id128 style). */
#define JOURNAL_PASS "bdf7f99622794855bf9df71ce074403c"        /* a pass's summary, info */
#define JOURNAL_PASS_FAILED "c57685a8c6e344e6b90ca675a7942939" /* a pass failed, err */
#define JOURNAL_DEAD "622870300262414a882479b8e0b99c70"        /* a message given up, warning */
#define JOURNAL_PLAN_ERROR "7d0ec29bd6b142e09b94043a0e65d235"  /* a subject not planned, err */

/* The fields of one event; 0 and NULL are left out. */
struct journal_fields {
	long long outbox_id;
	const char *rule;
	const char *channel;
	const char *subject;
};

/* Send one event. To the journal (sd_journal_send) when stderr is connected
 * to it ($JOURNAL_STREAM); otherwise as a log line on stderr (log.h). With
 * $BACKAD_JOURNAL_EXPORT=1 the fields are written to stderr in the journal
 * export format instead (KEY=VALUE lines, a blank line after each event),
 * which is how the tests read them back. */
void journal_event(const char *message_id, int priority, const struct journal_fields *f,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
