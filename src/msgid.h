/* msgid.h - Message-IDs (RFC 5322 3.6.4 msg-id): "<left@right>", left a
 * dot-atom-text made from a stable key, right the domain of mail_from.
 * Always well-formed and bounded, whatever the key and the domain. */
#ifndef BACKAD_MSGID_H
#define BACKAD_MSGID_H

#define MSGID_LEFT_MAX 64 /* a longer key keeps its start and gets a hash */
#define MSGID_RIGHT_MAX 253
#define MSGID_MAX (1 + MSGID_LEFT_MAX + 1 + MSGID_RIGHT_MAX + 1) /* 320 */
#define MSGID_SIZE (MSGID_MAX + 1)

/* Build the Message-ID for key into buf. Characters outside atext become
 * dots (runs of dots one, none at either end); a left part longer than
 * MSGID_LEFT_MAX is cut and ends in 16 hex digits of the SHA-256 of the
 * whole key, so two long keys with one start stay apart. The domain is
 * mail_from's, or "backad.invalid" when it has none fit for a msg-id.
 * The same key and mail_from always give the same id. */
void msgid_make(const char *key, const char *mail_from, char buf[MSGID_SIZE]);

/* 1 when id is a well-formed msg-id of at most MSGID_MAX bytes. */
int msgid_valid(const char *id);

/* id itself when msgid_valid(id), else one built from it with msgid_make:
 * an id stored before this check (cut, or without its '>') still gives
 * the same, well-formed Message-ID at every attempt. */
void msgid_fix(const char *id, const char *mail_from, char buf[MSGID_SIZE]);

#endif
