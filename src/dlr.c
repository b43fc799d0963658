/* dlr.c - the meaning of SMS gateways' delivery reports: Kannel's dlr-url
 * types (its documentation of dlr-mask) and 46elks' whendelivered status. */
#include "dlr.h"

#include <string.h>

enum dlr_says dlr_parse(const char *kannel_type, const char *status)
{
	if (kannel_type) {
		if (strcmp(kannel_type, "1") == 0)
			return DLR_DELIVERED;
		if (strcmp(kannel_type, "2") == 0 || strcmp(kannel_type, "16") == 0)
			return DLR_UNDELIVERABLE;
		if (strcmp(kannel_type, "4") == 0 || strcmp(kannel_type, "8") == 0)
			return DLR_INTERIM;
		return DLR_INVALID;
	}
	if (!status)
		return DLR_INVALID;
	if (strcmp(status, "delivered") == 0)
		return DLR_DELIVERED;
	if (strcmp(status, "failed") == 0)
		return DLR_UNDELIVERABLE;
	if (strcmp(status, "sent") == 0)
		return DLR_INTERIM;
	return DLR_INVALID;
}
