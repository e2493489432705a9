/*
 * fuzz_normalize.c - the text path: normalizer, shingles, features,
 * verification and explanation on arbitrary bytes. The input is split at
 * its first 0xff byte into two texts that are compared with each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "shingle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a = (const char *)data, *b = "";
	size_t alen = size, blen = 0;
	const uint8_t *cut = memchr(data, 0xff, size);
	if (cut != NULL) {
		alen = (size_t)(cut - data);
		b = (const char *)cut + 1;
		blen = size - alen - 1;
	}

	struct shingle_text t;
	if (shingle_text_init(&t, a, alen) == 0) {
		size_t n = shingle_chars_max(&t, 8);
		if (shingle_words_max(&t, 3) > n)
			n = shingle_words_max(&t, 3);
		uint64_t *h = malloc((n ? n : 1) * sizeof(*h));
		uint32_t *pos = malloc((n ? n : 1) * sizeof(*pos));
		if (h && pos) {
			n = shingle_chars(&t, 8, h, pos);
			for (size_t i = 0; i < n; i++)
				if (pos[i] >= t.ntok)
					abort();
			n = shingle_words(&t, 3, h, NULL);
		}
		for (size_t i = 0; i < t.ntok; i++)
			if ((size_t)t.tok[i].src_off + t.tok[i].src_len >
			        alen ||
			    (size_t)t.tok[i].off + t.tok[i].len > t.norm_len)
				abort();
		free(h);
		free(pos);
		shingle_text_free(&t);
	}

	struct match_doc *da = NULL, *db = NULL;
	struct match_params p;
	struct match_result r;
	match_params_default(&p);
	if (match_doc_build(a, alen, &da) == 0 &&
	    match_doc_build_light(b, blen, &db) == 0) {
		const uint64_t *keys;
		size_t nkeys = match_doc_keys(da, &keys);
		match_verify(da, db, NULL, 0, &p, &r);
		match_verify(db, da, keys, nkeys, &p, &r);
	}
	match_doc_free(da);
	match_doc_free(db);

	struct match_passage *ps;
	size_t n;
	if (match_explain(a, alen, b, blen, NULL, 0, &ps, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if ((size_t)ps[i].a_off + ps[i].a_len > alen ||
			    (size_t)ps[i].b_off + ps[i].b_len > blen)
				abort();
		free(ps);
	}
	return 0;
}
