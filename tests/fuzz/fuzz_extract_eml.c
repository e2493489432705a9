/*
 * fuzz_extract_eml.c - libFuzzer target for extract/: MIME: headers, encoded
 * words, multipart nesting, base64/QP, charsets.
 */
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("message.eml", data, size);
	return 0;
}
