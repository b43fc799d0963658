/* utf8.c - bounded UTF-8 copies that never cut a character. Written here
 * because the C library has no such call; it is a few lines. */
#include "utf8.h"

#include <string.h>

int utf8_copy(char *dst, size_t n, const char *src)
{
	size_t len, cut;

	if (!src)
		src = "";
	len = strlen(src);
	if (len < n) {
		memcpy(dst, src, len + 1);
		return 0;
	}
	cut = n - 1;
	/* Step back over continuation bytes to the start of the character that
	 * would be cut, and end before it. */
	while (cut > 0 && ((unsigned char)src[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(dst, src, cut);
	dst[cut] = '\0';
	return 1;
}
