/*
 * fuzz_extract_json.c - libFuzzer target for extract/: JSON items and JSON
 * lines (and HTML bodies inside them).
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iextract \
 *       tests/fuzz/fuzz_extract_json.c extract/[a-z]*.c \
 *       $(pkg-config --cflags --libs libxml-2.0 jansson)
 *
 * Small limits keep each run fast; every document must be well formed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(struct extract_doc *d, size_t index, int err, void *arg)
{
	(void)index;
	(void)arg;
	if (err == 0 && (d->text == NULL || strlen(d->text) != d->text_len))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct extract_limits lim = {
	    .max_input = 1u << 20, .max_output = 1u << 20};
	struct extract_doc d;

	if (extract_doc("feed.jsonl", data, size, &lim, &d) == 0 &&
	    (d.text == NULL || strlen(d.text) != d.text_len))
		abort();
	extract_doc_free(&d);
	(void)extract_each("feed.jsonl", data, size, &lim, check, NULL);
	return 0;
}
