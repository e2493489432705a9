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
	assert_int_equal(rec_doc_decode(buf, len, &out), 0);
	assert_true(out.checked == 0); /* a record without it */
	/* The time a file was found unchanged: 8 bytes after the strings,
	 * only when known; 1 to 7 bytes there are no record. */
	in.checked = INT64_C(1800000000);
	assert_int_equal(rec_doc_len(&in), len + 8);
	free(buf);
	assert_non_null(buf = malloc(len + 8));
	rec_doc_encode(buf, &in);
	assert_int_equal(rec_doc_decode(buf, len + 8, &out), 0);
	assert_true(out.checked == in.checked);
	assert_string_equal(out.author, in.author);
	for (size_t l = len + 1; l < len + 8; l++)
		assert_int_equal(rec_doc_decode(buf, l, &out), STORE_ECORRUPT);
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

/*
 * A chunk written by hand: the (hkey, ids) entries of buckets fb to
 * fb + nb - 1 under shift, in order; returns its length. The writer in
 * index.c does the same with the same three functions.
 */
struct ent {
	uint32_t hk;
	int n;
	uint64_t id[4];
};

static size_t
chunk_build(unsigned char *out, unsigned shift, uint32_t fb, uint32_t nb,
    const struct ent *e, int ne)
{
	unsigned char data[4096], ids[64];
	size_t dlen = 0;
	int j = 0;

	rec_chunk_head(out, shift, fb, nb);
	for (uint32_t b = fb; b < fb + nb; b++) {
		rec_put_u32(
		    out + REC_CHUNK_HEAD + 4 * (b - fb), (uint32_t)dlen);
		for (int first = 1; j < ne && e[j].hk >> shift == b;
		     j++, first = 0) {
			size_t il = 0;
			for (int i = 0; i < e[j].n; i++)
				il += rec_varint_put(ids + il,
				    e[j].id[i] - (i ? e[j].id[i - 1] : 0));
			uint32_t dk =
			    e[j].hk - (first ? b << shift : e[j - 1].hk);
			dlen += rec_entry_head(
			    data + dlen, dk, (uint32_t)e[j].n, il);
			memcpy(data + dlen, ids, il);
			dlen += il;
		}
	}
	rec_put_u32(out + REC_CHUNK_HEAD + 4 * nb, (uint32_t)dlen);
	size_t head = REC_CHUNK_HEAD + 4 * ((size_t)nb + 1);
	memcpy(out + head, data, dlen);
	return head + dlen;
}

/* Every posting of a chunk, bucket by bucket, into got (hkey << 32 | the
 * id's low half); -1 if it is corrupt. */
static int
chunk_read(const unsigned char *p, size_t len, uint64_t *got, int max)
{
	struct rec_chunk c;
	struct rec_bucket b;
	struct rec_ids x;
	uint32_t hk;
	uint64_t id;
	int n = 0, rc;

	if (rec_chunk_open(&c, p, len) != 0 || rec_chunk_check(&c) != 0)
		return -1;
	for (uint32_t i = 0; i < c.nb; i++) {
		if (rec_chunk_bucket(&c, c.fb + i, &b) != 0)
			return -1;
		while ((rc = rec_bucket_next(&b, &hk, &x)) > 0) {
			if (hk >> c.shift != c.fb + i)
				return -1;
			while ((rc = rec_ids_next(&x, &id)) > 0)
				got[n++ % max] =
				    (uint64_t)hk << 32 | (uint32_t)id;
			if (rc < 0)
				return -1;
		}
		if (rc < 0)
			return -1;
	}
	return n;
}

static void
test_chunk(void **state)
{
	/* Buckets of 2^28 hkeys: 2 (two keys), 3 (empty), 4 (its last hkey,
	 * the largest id). */
	const struct ent e[] = {
	    {(2u << 28) + 5, 1, {1}},
	    {(2u << 28) + 9, 3, {3, 7, 90000}},
	    {(4u << 28) | 0x0fffffff, 2, {8, UINT64_MAX}},
	};
	unsigned char buf[256], *q;
	uint64_t got[8];
	size_t len = chunk_build(buf, 28, 2, 3, e, 3);

	(void)state;
	assert_int_equal(chunk_read(buf, len, got, 8), 6);
	assert_true(got[0] == ((uint64_t)e[0].hk << 32 | 1));
	assert_true(got[3] == ((uint64_t)e[1].hk << 32 | 90000));
	assert_true(got[5] == ((uint64_t)e[2].hk << 32 | 0xffffffffu));
	/* A bucket outside the chunk is empty; lookups stop at the key. */
	struct rec_chunk c;
	struct rec_bucket b;
	struct rec_ids x;
	uint32_t hk;
	uint64_t id;
	assert_int_equal(rec_chunk_open(&c, buf, len), 0);
	assert_int_equal(rec_chunk_bucket(&c, 5, &b), 0);
	assert_int_equal(rec_bucket_next(&b, &hk, &x), 0);
	assert_int_equal(rec_chunk_bucket(&c, 3, &b), 0);
	assert_int_equal(rec_bucket_next(&b, &hk, &x), 0);
	assert_int_equal(rec_chunk_bucket(&c, 2, &b), 0);
	assert_int_equal(rec_bucket_next(&b, &hk, &x), 1);
	assert_int_equal(rec_bucket_next(&b, &hk, &x), 1);
	assert_true(hk == e[1].hk && x.left == 3);
	assert_int_equal(rec_ids_next(&x, &id), 1);
	assert_true(id == 3);
	assert_int_equal(rec_bucket_next(&b, &hk, &x), 0);
	/* Every truncation is refused, never read past. */
	for (size_t l = 0; l < len; l++) {
		q = dup_exact(buf, l);
		assert_int_equal(chunk_read(q, l, got, 8), -1);
		free(q);
	}
	/* Damaged headers: a shift past 31, no bucket, buckets past 2^32,
	 * a first offset not 0, a last one not the data's length, offsets
	 * going back. */
	const size_t at[] = {0, 11, 8, 15, 12 + 4 * 3 + 3, 12 + 4 * 2 + 3};
	const unsigned char val[] = {32, 0, 0xff, 1, 0, 0xff};
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
		q = dup_exact(buf, len);
		if (i == 2)
			memset(q + 4, 0xff, 4); /* fb past the last bucket */
		q[at[i]] = val[i];
		assert_int_equal(chunk_read(q, len, got, 8), -1);
		free(q);
	}
	/* Damaged entries: a first key past its bucket, a repeated key, a
	 * list of one id flagged as many, an id list longer than its
	 * bucket, an id of 0, an id delta that wraps. */
	const struct ent bad[][2] = {
	    {{(2u << 28) + 5, 1, {0}}, {0, 0, {0}}},
	    {{(2u << 28) + 5, 1, {1}}, {(2u << 28) + 5, 1, {2}}},
	    {{(2u << 28) + 5, 2, {1, 2}}, {0, 0, {0}}},
	    {{(2u << 28) + 5, 2, {5, 3}}, {0, 0, {0}}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int ne = bad[i][1].n ? 2 : 1;
		len = chunk_build(buf, 28, 2, 1, bad[i], ne);
		if (i == 0) /* id 0 */
			assert_int_equal(chunk_read(buf, len, got, 8), -1);
		if (i == 1) /* dk 0 after the first entry */
			assert_int_equal(chunk_read(buf, len, got, 8), -1);
		if (i == 2) {
			/* Flag the entry as one id: its list is then two. */
			buf[REC_CHUNK_HEAD + 8] &= 0xfe;
			assert_int_equal(chunk_read(buf, len, got, 8), -1);
		}
		if (i == 3) /* 5, then a delta of 2^64 - 2: wraps */
			assert_int_equal(chunk_read(buf, len, got, 8), -1);
	}
	/* A first entry whose distance leads out of its bucket, and one
	 * that leads to the bucket's last hkey. */
	for (int k = 0; k < 2; k++) {
		rec_chunk_head(buf, 28, 2, 1);
		uint64_t dk = ((uint64_t)1 << 28) - (uint64_t)k;
		size_t dl = rec_varint_put(buf + 20, dk << 1);
		dl += rec_varint_put(buf + 20 + dl, 1);
		rec_put_u32(buf + REC_CHUNK_HEAD, 0);
		rec_put_u32(buf + REC_CHUNK_HEAD + 4, (uint32_t)dl);
		assert_int_equal(chunk_read(buf, 20 + dl, got, 8), k ? 1 : -1);
	}
}

/* Random chunks read back exactly, at every shift and bucket count. */
static void
test_chunk_random(void **state)
{
	static unsigned char buf[8192];
	struct ent e[64];
	uint64_t r = 0x9e3779b97f4a7c15ull, got[256];

	(void)state;
	for (int round = 0; round < 500; round++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		unsigned shift = (unsigned)(r % 32);
		uint32_t maxb = UINT32_MAX >> shift;
		uint32_t fb = (uint32_t)((r >> 8) % ((uint64_t)maxb + 1));
		uint32_t nb = 1 + (uint32_t)((r >> 40) % 8);
		if (nb - 1 > maxb - fb)
			nb = maxb - fb + 1;
		int ne = 0, want = 0;
		uint64_t span = (uint64_t)nb << shift;
		uint64_t lo = (uint64_t)fb << shift;
		for (int i = 0; i < 1 + (int)(r % 40); i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			uint64_t hk = lo + r % span;
			int dup = 0;
			for (int j = 0; j < ne; j++)
				dup |= e[j].hk == hk;
			if (dup)
				continue;
			e[ne].hk = (uint32_t)hk;
			e[ne].n = 1 + (int)(r >> 60) % 4;
			for (int k = 0; k < e[ne].n; k++)
				e[ne].id[k] = (k ? e[ne].id[k - 1] : 0) + 1 +
				              (r >> (k * 9)) % 100000;
			want += e[ne].n;
			ne++;
		}
		/* sort by hkey */
		for (int i = 1; i < ne; i++)
			for (int j = i; j > 0 && e[j - 1].hk > e[j].hk; j--) {
				struct ent t = e[j];
				e[j] = e[j - 1];
				e[j - 1] = t;
			}
		size_t len = chunk_build(buf, shift, fb, nb, e, ne);
		assert_int_equal(chunk_read(buf, len, got, 256), want);
		for (int i = 0, k = 0; i < ne; i++)
			for (int j = 0; j < e[i].n; j++, k++)
				assert_true(
				    got[k] == ((uint64_t)e[i].hk << 32 |
				                  (uint32_t)e[i].id[j]));
	}
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
		(void)chunk_read(b, len, (uint64_t[4]){0}, 4);
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
	    cmocka_unit_test(test_chunk),
	    cmocka_unit_test(test_chunk_random),
	    cmocka_unit_test(test_reject),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
