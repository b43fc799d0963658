/* smstext.h - how an SMS text is encoded and how many parts it needs:
 * GSM 03.38 7-bit (160 characters, 153 per part when split; the extension
 * characters ^ { } \ [ ~ ] | and the euro sign count twice) or UCS-2 (70, 67 per
 * part, in UTF-16 code units) as soon as one character is outside GSM-7. */
#ifndef BACKAD_SMSTEXT_H
#define BACKAD_SMSTEXT_H

struct sms_info {
	int ucs2;     /* 1: UCS-2, 0: GSM-7 */
	int units;    /* septets (GSM-7) or UTF-16 code units (UCS-2) */
	int segments; /* parts needed; 0 for an empty text */
};

/* Measure a UTF-8 text; 0, or ERR_INVALID for malformed UTF-8. */
int sms_measure(const char *utf8, struct sms_info *out);

#endif
