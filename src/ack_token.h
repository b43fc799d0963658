/* ack_token.h - the signed personal links of acknowledgements: keys (from a
 * mode-600 file or a systemd credential, several for rotation), tokens that
 * bind a subject, a recipient, the actions offered and an expiry time, and
 * the CSRF value of the page's form. HMAC-SHA256 (OpenSSL); checks compare
 * in constant time. */
#ifndef BACKAD_ACK_TOKEN_H
#define BACKAD_ACK_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define ACK_MAX_KEYS 8
#define ACK_KEY_MAX 128      /* bytes of one key */
#define ACK_KEY_MIN 32       /* a shorter key is refused */
#define ACK_TOKEN_LEN 160    /* room for a token and its NUL */
#define ACK_CSRF_LEN 48      /* room for a CSRF value and its NUL */

/* The keys, oldest first: links are signed with the last (newest) one and
 * accepted with any. */
struct ack_keys {
	int n;
	size_t len[ACK_MAX_KEYS];
	unsigned char key[ACK_MAX_KEYS][ACK_KEY_MAX];
};

/* Load the keys of path: one key a line (at least ACK_KEY_MIN characters,
 * used as they are; '#' lines and empty lines are skipped), newest last.
 * When $CREDENTIALS_DIRECTORY holds a file named as path's last component,
 * that is read instead; otherwise path must not be readable by group or
 * others. Errors name the file and line. */
int ack_keys_load(const char *path, struct ack_keys *k, struct err *e);
/* Wipe the keys from memory. */
void ack_keys_clear(struct ack_keys *k);

/* The actions a link may offer, as letters in the token. */
#define ACK_RECEIVED 'r' /* "Jag har tagit emot uppgiften" */
#define ACK_DONE 'd'     /* "Samtalet är genomfört" (a follow-up) */
#define ACK_BOOKED 'b'   /* "Överlämningssamtalet är bokat" (a handover) */

/* What a token says: the subject (kind "referral", "followup", "discovery"
 * or "placement" and its id), the recipient, the actions offered and the
 * instant it expires. Nothing about the child. */
struct ack_claim {
	char kind[12];
	long long ref_id, staff_id;
	char actions[4];
	long long expires; /* seconds since the epoch */
};

/* The token of c, "PAYLOAD.MAC" in base64url, into out (ACK_TOKEN_LEN).
 * Signed with the newest key. 0, or ERR_INVALID for a claim out of range. */
int ack_token_make(const struct ack_keys *k, const struct ack_claim *c, char *out, size_t n);
/* Check token against every key and its expiry at now; fill *c when it
 * holds. 0, or ERR_INVALID for any token that does not (forged, altered,
 * expired, malformed): the caller cannot and need not tell them apart. */
int ack_token_check(const struct ack_keys *k, const char *token, time_t now,
		    struct ack_claim *c);

/* The CSRF value of the form on token's page (an HMAC over the token with
 * the newest key), into out (ACK_CSRF_LEN). */
int ack_csrf_make(const struct ack_keys *k, const char *token, char *out, size_t n);
/* 0 when csrf is the value of token under any key, else ERR_INVALID. */
int ack_csrf_check(const struct ack_keys *k, const char *token, const char *csrf);

/* The authenticator of the delivery-report address of outbox row id
 * (public_url/dlr/ID/MAC): an HMAC with the newest key, into out
 * (ACK_CSRF_LEN). */
int ack_dlr_make(const struct ack_keys *k, long long id, char *out, size_t n);
/* 0 when mac is id's authenticator under any key, else ERR_INVALID. */
int ack_dlr_check(const struct ack_keys *k, long long id, const char *mac);

/* 1 when the claim offers action (a letter above). */
int ack_claim_offers(const struct ack_claim *c, char action);

#endif
