/* sms_resend.c - counting the requests of one libcurl transfer. */
#include "sms_resend.h"

#include <string.h>

/* Each request's head goes out as one CURLINFO_HEADER_OUT piece starting
 * with the method; the rest of the debug stream is ignored. */
static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	int *requests = arg;

	(void)c;
	if (type == CURLINFO_HEADER_OUT && size >= 4 &&
	    (memcmp(data, "POST", 4) == 0 || memcmp(data, "GET ", 4) == 0))
		(*requests)++;
	return 0;
}

void sms_resend_watch(CURL *c, int *requests)
{
	*requests = 0;
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, requests);
	/* The debug callback is called only in verbose mode; nothing is
	 * printed, the callback takes it all. */
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
}
