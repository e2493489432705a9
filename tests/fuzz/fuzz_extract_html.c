/*
 * fuzz_extract_html.c - libFuzzer target for extract/: HTML parser, article
 * selection, metadata and JSON-LD.
 */
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("page.html", data, size);
	return 0;
}
