/* dlr.h - what an SMS gateway's delivery report says: Kannel's report type
 * (the %d of dlr-url) or the status field of a 46elks-style report. */
#ifndef BACKAD_DLR_H
#define BACKAD_DLR_H

enum dlr_says {
	DLR_DELIVERED,     /* the handset has it */
	DLR_UNDELIVERABLE, /* it will never get there */
	DLR_INTERIM,       /* on its way (queued, at the SMS centre): nothing to record */
	DLR_INVALID,       /* not a report */
};

/* Kannel's type when given (1 delivered; 2 not delivered; 16 rejected by
 * the SMS centre; 4 queued and 8 accepted by the SMS centre are interim),
 * else the 46elks status ("delivered", "failed"; "sent" is interim). */
enum dlr_says dlr_parse(const char *kannel_type, const char *status);

#endif
