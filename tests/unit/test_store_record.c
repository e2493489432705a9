/*
 * test_store_record.c - the store's record codec (store/record.h) alone:
 * round trips, every truncation, malformed fields and random bytes must
 * decode to STORE_ECORRUPT, never read out of bounds (run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"
#include "store.h"

/* Decode a heap copy of exactly len bytes so ASan sees any overread. */
static unsigned char *
dup_exact(const unsigned char *p, size_t len)
{
	unsigned char *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static void
test_u64(void **state)
{
	unsigned char b[8];
	uint64_t v;

	(void)state;
	rec_put_u64(b, UINT64_C(0x0102030405060708));
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_int_equal(rec_u64_decode(b, 8, &v), 0);
	assert_true(v == UINT64_C(0x0102030405060708));
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(rec_u64_decode(b, len, &v), STORE_ECORRUPT);
	assert_int_equal(rec_u64_decode(NULL, 8, &v), STORE_ECORRUPT);
	rec_put_u32(b, 0xdeadbeef);
	assert_true(rec_get_u32(b) == 0xdeadbeef);
}

static void
test_doc(void **state)
{
	struct store_doc in =
	                     {
	                         .path = "a/b/c.txt",
	                         .size = 12345,
	                         .mtime = -5,
	                         .first_seen = INT64_C(1700000000123456),
	                         .content_hash = {UINT64_MAX, 1},
	                         .norm_hash = 42,
	                         .ntokens = 777,
	                         .title = "A headline",
	                         .url = NULL,
	                         .source = "wire",
	                         .author = "J. Doe",
	                         .published = INT64_C(1709647620000000),
	                     },
	                 out;
	size_t plen = strlen(in.path), len = rec_doc_len(&in);
	unsigned char *buf = malloc(len), *q;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(
	    len, REC_DOC_FIXED + plen + 1 + 10 + 1 + 1 + 4 + 1 + 6 + 1);
	rec_doc_encode(buf, &in);
	assert_int_equal(rec_doc_decode(buf, len, &out), 0);
	assert_string_equal(out.path, in.path);
	assert_string_equal(out.title, in.title);
	assert_null(out.url); /* absent stays absent */
	assert_string_equal(out.source, in.source);
	assert_string_equal(out.author, in.author);
	assert_true(out.published == in.published);
	assert_true(out.size == in.size && out.mtime == in.mtime &&
	            out.first_seen == in.first_seen &&
	            out.norm_hash == in.norm_hash &&
	            out.ntokens == in.ntokens &&
	            out.content_hash[0] == in.content_hash[0] &&
	            out.content_hash[1] == in.content_hash[1]);

	for (size_t l = 0; l < len; l++) {
		q = dup_exact(buf, l);
		assert_int_equal(rec_doc_decode(q, l, &out), STORE_ECORRUPT);
		free(q);
	}
	/* Trailing garbage, embedded NUL, missing NUL, wrong path_len. */
	q = malloc(len + 1);
	memcpy(q, buf, len);
	q[len] = 'x';
	assert_int_equal(rec_doc_decode(q, len + 1, &out), STORE_ECORRUPT);
	free(q);
	q = dup_exact(buf, len);
	q[REC_DOC_FIXED + 1] = '\0';
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	memcpy(q, buf, len);
	q[len - 1] = 'x';
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	memcpy(q, buf, len);
	rec_put_u32(q + 52, 0xffffffff);
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	/* Lengths that add up but cut the strings in the wrong places. */
	memcpy(q, buf, len);
	rec_put_u32(q + 64, 9);
	rec_put_u32(q + 72, 5);
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	memcpy(q, buf, len);
	rec_put_u32(q + 76, 0xffffffff);
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	/* An empty path is not a document. */
	memcpy(q, buf, len);
	rec_put_u32(q + 52, 0);
	rec_put_u32(q + 64, 10 + plen + 1);
	assert_int_equal(rec_doc_decode(q, len, &out), STORE_ECORRUPT);
	free(q);
	assert_int_equal(rec_doc_decode(NULL, len, &out), STORE_ECORRUPT);
	free(buf);
}

static void
test_pair(void **state)
{
	struct store_pair p =
	                      {
	                          .a = 3,
	                          .b = 9,
	                          .original = 3,
	                          .relation = 2,
	                          .jaccard = 0.75f,
	                          .cont_ab = 1.0f,
	                          .cont_ba = 0.5f,
	                          .found_at = -1,
	                      },
	                  out;
	unsigned char ra[REC_PAIR_LEN], rb[REC_PAIR_LEN], *q;

	(void)state;
	rec_pair_encode(ra, &p, 3);
	rec_pair_encode(rb, &p, 9);
	assert_true(rec_get_u64(ra) == 9 && rec_get_u64(rb) == 3);
	assert_int_equal(rec_pair_decode(ra, sizeof(ra), 3, &out), 0);
	assert_true(out.a == 3 && out.b == 9 && out.original == 3 &&
	            out.relation == 2 && out.jaccard == 0.75f &&
	            out.cont_ab == 1.0f && out.cont_ba == 0.5f &&
	            out.found_at == -1);
	assert_int_equal(rec_pair_decode(rb, sizeof(rb), 9, &out), 0);
	assert_true(out.a == 3 && out.b == 9);

	/* Under the wrong key. */
	assert_int_equal(
	    rec_pair_decode(ra, sizeof(ra), 9, &out), STORE_ECORRUPT);
	assert_int_equal(
	    rec_pair_decode(ra, sizeof(ra), 4, &out), STORE_ECORRUPT);
	for (size_t l = 0; l < sizeof(ra); l++) {
		q = dup_exact(ra, l);
		assert_int_equal(
		    rec_pair_decode(q, l, 3, &out), STORE_ECORRUPT);
		free(q);
	}
	/* a >= b, bad original. */
	q = dup_exact(ra, sizeof(ra));
	rec_put_u64(q + 8, 9);
	assert_int_equal(
	    rec_pair_decode(q, sizeof(ra), 9, &out), STORE_ECORRUPT);
	memcpy(q, ra, sizeof(ra));
	rec_put_u64(q + 24, 5);
	assert_int_equal(
	    rec_pair_decode(q, sizeof(ra), 3, &out), STORE_ECORRUPT);
	memcpy(q, ra, sizeof(ra));
	rec_put_u64(q + 8, 0);
	rec_put_u64(q + 24, 0);
	assert_int_equal(
	    rec_pair_decode(q, sizeof(ra), 0, &out), STORE_ECORRUPT);
	free(q);
}

/* Read a whole block; -1 if it is corrupt, else the postings read. */
static int
block_read(
    const unsigned char *b, size_t len, uint32_t *keys, uint64_t *ids, int max)
{
	struct rec_block blk;
	int n = 0, rc;

	if (rec_block_open(&blk, b, len) != 0)
		return -1;
	while ((rc = rec_block_next(&blk, &keys[n % max], &ids[n % max])) > 0)
		n++;
	return rc < 0 ? -1 : n;
}

static void
test_block(void **state)
{
	const uint32_t k[] = {7, 7, 7, 300, 0xffffffff};
	const uint64_t id[] = {1, 2, 90000, 5, UINT64_MAX};
	unsigned char buf[4 + 5 * 15], *q;
	uint32_t gk[8];
	uint64_t gid[8];
	size_t len = 4;

	(void)state;
	rec_put_u32(buf, k[0]);
	for (int i = 0; i < 5; i++) {
		int same = i > 0 && k[i] == k[i - 1];
		len += rec_block_put(buf + len, i ? k[i] - k[i - 1] : 0,
		    same ? id[i] - id[i - 1] : id[i]);
	}
	assert_int_equal(block_read(buf, len, gk, gid, 8), 5);
	for (int i = 0; i < 5; i++) {
		assert_true(gk[i] == k[i]);
		assert_true(gid[i] == id[i]);
	}
	/* Every truncation is refused or reads a prefix, never past len. */
	for (size_t l = 0; l < len; l++) {
		q = dup_exact(buf, l);
		assert_true(block_read(q, l, gk, gid, 8) < 5);
		free(q);
	}
	/* Empty block, a first entry with a key delta, an id of 0, a key
	 * past 2^32, a varint of 11 bytes. */
	assert_int_equal(block_read(buf, 4, gk, gid, 8), -1);
	unsigned char bad[17] = {0, 0, 0, 1, 1, 5};
	assert_int_equal(block_read(bad, 6, gk, gid, 8), -1);
	memcpy(bad, (unsigned char[]){0, 0, 0, 1, 0, 0}, 6);
	assert_int_equal(block_read(bad, 6, gk, gid, 8), -1);
	memcpy(bad, (unsigned char[]){0xff, 0xff, 0xff, 0xff, 0, 1, 1, 1}, 8);
	assert_int_equal(block_read(bad, 8, gk, gid, 8), -1);
	memset(bad, 0xff, sizeof(bad));
	memcpy(bad, (unsigned char[]){0, 0, 0, 1, 0}, 5);
	assert_int_equal(block_read(bad, 16, gk, gid, 8), -1);
	/* A repeated key's id delta that wraps. */
	memcpy(bad,
	    (unsigned char[]){0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	        0xff, 0xff, 0xff, 0x01, 0, 1},
	    17);
	assert_int_equal(block_read(bad, 15, gk, gid, 8), 1);
	assert_int_equal(block_read(bad, 17, gk, gid, 8), -1);
}

/* rec_block_seek then rec_block_next reads what rec_block_next alone
 * reads from the first posting at or past the key on, in random blocks
 * (keys repeated, deltas of one to five bytes) and at every target. */
static void
test_block_seek(void **state)
{
	unsigned char buf[4 + 32 * 15];
	uint32_t k[32], gk;
	uint64_t id[32], gid, r = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < 200; round++) {
		int n = 1 + (int)(r % 32);
		size_t len = 4;
		for (int i = 0; i < n; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			uint32_t step = (uint32_t)(r >> (32 + (r % 5) * 7));
			k[i] = i == 0
			           ? (uint32_t)(r % 1000)
			           : (r % 3 == 0 ? k[i - 1]
			                         : k[i - 1] + 1 + step % 70000);
			if (k[i] < (i ? k[i - 1] : 0))
				k[i] = k[i - 1]; /* no wrap */
			id[i] = (i > 0 && k[i] == k[i - 1] ? id[i - 1] : 0) +
			        1 + (r >> 40) % 1000000;
		}
		rec_put_u32(buf, k[0]);
		for (int i = 0; i < n; i++) {
			int same = i > 0 && k[i] == k[i - 1];
			len += rec_block_put(buf + len, i ? k[i] - k[i - 1] : 0,
			    same ? id[i] - id[i - 1] : id[i]);
		}
		for (int t = 0; t <= n; t++) {
			/* Targets: each key, one below, one above. */
			for (int d = -1; d <= 1; d++) {
				uint32_t key =
				    t < n ? k[t] + (uint32_t)d : UINT32_MAX;
				if (t < n && d == -1 && k[t] == 0)
					continue;
				struct rec_block b;
				int first = 0;
				while (first < n && k[first] < key)
					first++;
				assert_int_equal(
				    rec_block_open(&b, buf, len), 0);
				assert_int_equal(rec_block_seek(&b, key), 0);
				for (int i = first; i < n; i++) {
					assert_int_equal(
					    rec_block_next(&b, &gk, &gid), 1);
					assert_true(gk == k[i] && gid == id[i]);
				}
				assert_int_equal(
				    rec_block_next(&b, &gk, &gid), 0);
			}
		}
	}
	/* Truncated: refused or stops, never reads past the end. */
	unsigned char bad[] = {0, 0, 0, 1, 0, 1, 0x85};
	struct rec_block b;
	assert_int_equal(rec_block_open(&b, bad, sizeof(bad)), 0);
	assert_int_equal(rec_block_seek(&b, 100), STORE_ECORRUPT);
	unsigned char bad2[] = {0, 0, 0, 1, 0, 1, 5, 0x81};
	assert_int_equal(rec_block_open(&b, bad2, sizeof(bad2)), 0);
	assert_int_equal(rec_block_seek(&b, 100), STORE_ECORRUPT);
	/* A first posting with a key delta is corrupt, as for next. */
	unsigned char bad3[] = {0, 0, 0, 1, 1, 5};
	assert_int_equal(rec_block_open(&b, bad3, sizeof(bad3)), 0);
	assert_int_equal(rec_block_seek(&b, 100), STORE_ECORRUPT);
}

static void
test_reject(void **state)
{
	struct store_reject r;
	size_t len = rec_reject_len(5, 3), len0 = rec_reject_len(1, 0);
	unsigned char *buf = malloc(len), *q;

	(void)state;
	rec_reject_encode(buf, "a.txt", 5, "big", 3, 99);
	assert_int_equal(rec_reject_decode(buf, len, &r), 0);
	assert_string_equal(r.path, "a.txt");
	assert_string_equal(r.reason, "big");
	assert_true(r.at == 99);
	for (size_t l = 0; l < len; l++) {
		q = dup_exact(buf, l);
		assert_int_equal(rec_reject_decode(q, l, &r), STORE_ECORRUPT);
		free(q);
	}
	q = dup_exact(buf, len);
	q[REC_REJECT_FIXED + 5] = 'x'; /* path NUL gone */
	assert_int_equal(rec_reject_decode(q, len, &r), STORE_ECORRUPT);
	memcpy(q, buf, len);
	q[len - 2] = '\0'; /* NUL inside the reason */
	assert_int_equal(rec_reject_decode(q, len, &r), STORE_ECORRUPT);
	memcpy(q, buf, len);
	rec_put_u32(q + 8, 0); /* empty path */
	assert_int_equal(rec_reject_decode(q, len, &r), STORE_ECORRUPT);
	free(q);
	free(buf);

	buf = malloc(len0);
	rec_reject_encode(buf, "p", 1, "", 0, 0);
	assert_int_equal(rec_reject_decode(buf, len0, &r), 0);
	assert_string_equal(r.reason, "");
	free(buf);
}

/* Random bytes: decoders may accept or refuse, never misbehave. */
static void
test_random(void **state)
{
	struct store_doc d;
	struct store_pair p;
	struct store_reject r;
	uint64_t v;
	uint32_t seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(i % 97);
		unsigned char *b = malloc(len ? len : 1);

		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly small bytes, so lengths sometimes agree. */
			b[j] =
			    (unsigned char)((seed >> 16) % (i % 3 ? 4 : 256));
		}
		(void)rec_u64_decode(b, len, &v);
		(void)rec_doc_decode(b, len, &d);
		(void)rec_pair_decode(b, len, 1, &p);
		(void)block_read(b, len, (uint32_t[4]){0}, (uint64_t[4]){0}, 4);
		(void)rec_reject_decode(b, len, &r);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_u64),
	    cmocka_unit_test(test_doc),
	    cmocka_unit_test(test_pair),
	    cmocka_unit_test(test_block),
	    cmocka_unit_test(test_block_seek),
	    cmocka_unit_test(test_reject),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
