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
	struct rec_block blk;
	uint32_t key;
	uint64_t u, id;

	rec_u64_decode(data, size, &u);
	if (rec_doc_decode(data, size, &doc) == 0 &&
	    (const uint8_t *)doc.path + strlen(doc.path) >= data + size)
		abort();
	rec_pair_decode(data, size, 1, &pair);
	if (rec_block_open(&blk, data, size) == 0)
		while (rec_block_next(&blk, &key, &id) > 0)
			if (blk.p > data + size)
				abort();
	/* Seek to the key the last four bytes spell, then read on. */
	if (size >= 8 && rec_block_open(&blk, data, size - 4) == 0 &&
	    rec_block_seek(&blk, rec_get_u32(data + size - 4)) == 0)
		while (rec_block_next(&blk, &key, &id) > 0)
			if (blk.p > data + size - 4)
				abort();
	rec_reject_decode(data, size, &rej);
	match_sketch_decode(data, size, &sk);
	return 0;
}
