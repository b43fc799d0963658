/* fuzz_config.c - libFuzzer target: backad.conf text into config_load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/backad-fuzz-conf-XXXXXX";
	struct config *c = NULL;
	struct err e;
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return 0;
	f = fdopen(fd, "w");
	fwrite(data, 1, size, f);
	fclose(f);
	if (config_load(path, &c, NULL, NULL, &e) == 0)
		config_free(c);
	unlink(path);
	return 0;
}
