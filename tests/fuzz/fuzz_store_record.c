/*
 * fuzz_store_record.c - decoding of the store's records from bytes as
 * found on disk: a damaged store must give STORE_ECORRUPT, never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "record.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_doc doc;
	struct store_pair pair;
	struct store_reject rej;
	struct match_sketch sk;
	struct rec_chunk ch;
	struct rec_bucket b;
	struct rec_ids x;
	uint32_t hk;
	uint64_t u, id;

	rec_u64_decode(data, size, &u);
	if (rec_doc_decode(data, size, &doc) == 0 &&
	    (const uint8_t *)doc.path + strlen(doc.path) >= data + size)
		abort();
	rec_pair_decode(data, size, 1, &pair);
	/* Every bucket of a chunk, every entry, every id; then a lookup of
	 * the hkey the last four bytes spell. */
	if (rec_chunk_open(&ch, data, size) == 0 && rec_chunk_check(&ch) == 0) {
		for (uint32_t i = 0; i < ch.nb && i < 4096; i++) {
			if (rec_chunk_bucket(&ch, ch.fb + i, &b) != 0)
				break;
			while (rec_bucket_next(&b, &hk, &x) > 0) {
				if (b.p > data + size || x.end > data + size)
					abort();
				while (rec_ids_next(&x, &id) > 0)
					if (x.p > x.end)
						abort();
			}
		}
	}
	if (size >= 8 && rec_chunk_open(&ch, data, size - 4) == 0) {
		uint32_t want = rec_get_u32(data + size - 4);
		if (rec_chunk_bucket(&ch, want >> ch.shift, &b) == 0)
			while (rec_bucket_next(&b, &hk, &x) > 0 && hk <= want)
				if (b.p > data + size - 4)
					abort();
	}
	rec_reject_decode(data, size, &rej);
	match_sketch_decode(data, size, &sk);
	return 0;
}
