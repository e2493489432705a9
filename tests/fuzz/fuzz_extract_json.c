/*
 * fuzz_extract_json.c - libFuzzer target for extract/: JSON items and JSON
 * lines (and HTML bodies inside them).
 */
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("feed.jsonl", data, size);
	return 0;
}
