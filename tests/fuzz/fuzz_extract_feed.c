/*
 * fuzz_extract_feed.c - libFuzzer target for extract/: RSS and Atom feeds
 * (libxml2's XML reader, and the HTML bodies inside items).
 */
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("feed.rss", data, size);
	return 0;
}
