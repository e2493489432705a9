/*
 * fuzz_extract.h - the body shared by the extract/ fuzz targets: run one
 * input through extract_doc() and extract_each() under a file name that
 * selects the parser. Small limits keep each run fast; every document
 * that comes out must be well formed.
 */
#ifndef FUZZ_EXTRACT_H
#define FUZZ_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

static int
fuzz_extract_check(struct extract_doc *d, size_t index, int err, void *arg)
{
	(void)index;
	(void)arg;
	if (err == 0 && (d->text == NULL || strlen(d->text) != d->text_len))
		abort();
	return 0;
}

static void
fuzz_extract(const char *name, const uint8_t *data, size_t size)
{
	struct extract_limits lim = {
	    .max_input = 1u << 20, .max_output = 1u << 20};
	struct extract_doc d;

	if (extract_doc(name, data, size, &lim, &d) == 0 &&
	    (d.text == NULL || strlen(d.text) != d.text_len))
		abort();
	extract_doc_free(&d);
	(void)extract_each(name, data, size, &lim, fuzz_extract_check, NULL);
}

#endif
