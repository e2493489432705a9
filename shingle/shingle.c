/*
 * shingle.c - shingles, sets, winnowing and sketches (see shingle.h).
 *
 * Every hash here is stored on disk, so every seed below is part of the
 * on-disk format: changing one means reindexing. They are arbitrary
 * constants (ASCII tags, so they are easy to recognize in a debugger).
 */
#include <stdint.h>
#include <string.h>

/*
 * Inlined XXH3: most inputs here are a few bytes long, where the call
 * costs as much as the hash. Same function, same values as the library.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "le.h"
#include "shingle.h"

#define SEED_WORD 0x7270772d776f7264ull    /* "rpw-word": word shingles */
#define SEED_CHAR 0x7270772d63686172ull    /* "rpw-char": char k-grams */
#define SEED_MINHASH 0x7270772d6d696e68ull /* "rpw-minh": MinHash mixing */
#define SEED_DENSIFY 0x7270772d64656e73ull /* "rpw-dens": densification */
#define SEED_BAND 0x7270772d62616e64ull    /* "rpw-band": LSH band keys */

/* ---- Shingles ---------------------------------------------------------- */

uint64_t
shingle_token_hash(const struct shingle_text *t, size_t i)
{
	return XXH3_64bits_withSeed(
	    t->norm + t->tok[i].off, t->tok[i].len, SEED_WORD);
}

size_t
shingle_words_max(const struct shingle_text *t, unsigned k)
{
	if (k == 0 || t->ntok == 0)
		return 0;
	if (t->ntok < k)
		return 1;
	return t->ntok - k + 1;
}

size_t
shingle_words(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos)
{
	const struct shingle_token *tok = t->tok;
	size_t i, n = shingle_words_max(t, k);

	if (n == 0)
		return 0;
	if (t->ntok < k) {
		out[0] = XXH3_64bits_withSeed(t->norm, t->norm_len, SEED_WORD);
		if (pos != NULL)
			pos[0] = 0;
		return 1;
	}
	/* Tokens are joined by one space in norm: k tokens are one slice. */
	for (i = 0; i < n; i++) {
		const struct shingle_token *a = &tok[i], *b = &tok[i + k - 1];

		out[i] = XXH3_64bits_withSeed(
		    t->norm + a->off, b->off + b->len - a->off, SEED_WORD);
		if (pos != NULL)
			pos[i] = (uint32_t)i;
	}
	return n;
}

/* Sum of the eight bytes of x. */
static inline size_t
sum_bytes(uint64_t x)
{
	const uint64_t m = 0x00ff00ff00ff00ffull;

	x = (x & m) + (x >> 8 & m);
	return (size_t)((x * 0x0001000100010001ull) >> 48);
}

/*
 * UTF-8 trail bytes (10xxxxxx) in s[0, n), eight bytes at a time: one
 * byte-wide counter per byte of the word, summed every 255 words before
 * it can overflow (a popcount instruction is not in baseline x86-64).
 */
static size_t
count_trails(const char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080ull;
	size_t i = 0, trail = 0;
	uint64_t w, acc;
	unsigned m;

	while (i + 8 <= n) {
		acc = 0;
		for (m = 0; m < 255 && i + 8 <= n; m++, i += 8) {
			w = load_le64(s + i);
			/* bit 7 set and bit 6 (moved up to bit 7) clear */
			acc += (w & ~(w << 1) & hi) >> 7;
		}
		trail += sum_bytes(acc);
	}
	for (; i < n; i++)
		trail += ((unsigned char)s[i] & 0xc0) == 0x80;
	return trail;
}

/* Code points in the squeezed text: norm minus spaces and UTF-8 trails. */
static size_t
squeezed_len(const struct shingle_text *t)
{
	if (t->ntok == 0)
		return 0;
	return t->norm_len - (t->ntok - 1) -
	       (t->ascii ? 0 : count_trails(t->norm, t->norm_len));
}

size_t
shingle_chars_max(const struct shingle_text *t, unsigned k)
{
	size_t n;

	if (k == 0 || (n = squeezed_len(t)) == 0)
		return 0;
	return n < k ? 1 : n - k + 1;
}

static inline size_t
cp_len(unsigned char b)
{
	return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/* Hash norm[a, b) with the separating spaces left out. */
static uint64_t
hash_squeezed(const char *norm, size_t a, size_t b)
{
	char buf[256];
	XXH3_state_t st;
	const char *sp;
	size_t n = 0;

	if (b - a <= sizeof(buf)) {
		for (; a < b; a++)
			if (norm[a] != ' ')
				buf[n++] = norm[a];
		return XXH3_64bits_withSeed(buf, n, SEED_CHAR);
	}
	/*
	 * Same hash as the one-shot function, without a buffer limit. A
	 * state on the stack must be zeroed before a reset with a seed:
	 * xxHash 0.8.1 skips deriving the secret when the garbage in
	 * st.seed happens to equal the seed (XXH3_INITSTATE in xxhash.h).
	 */
	memset(&st, 0, sizeof(st));
	XXH3_64bits_reset_withSeed(&st, SEED_CHAR);
	while (a < b) {
		sp = memchr(norm + a, ' ', b - a);
		n = sp != NULL ? (size_t)(sp - norm) : b;
		XXH3_64bits_update(&st, norm + a, n - a);
		a = n + 1;
	}
	return XXH3_64bits_digest(&st);
}

/*
 * For any k. Two cursors walk norm one code point at a time: head at the first
 * code point of the gram, tail just past its last. `spaces` counts the token
 * boundaries between them; when it is zero the gram is one slice of norm
 * and is hashed in place, which is the common case for k below the mean
 * token length.
 */
static size_t
chars_general(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos)
{
	const char *s = t->norm;
	size_t len = t->norm_len, head = 0, tail = 0, n = 0, spaces = 0;
	uint32_t hidx = 0;
	unsigned i;

	if (shingle_chars_max(t, k) == 0)
		return 0;
	for (i = 0; i < k && tail < len; i++) {
		if (s[tail] == ' ') {
			tail++;
			spaces++;
		}
		tail += cp_len((unsigned char)s[tail]);
	}
	for (;;) {
		out[n] = spaces == 0 ? XXH3_64bits_withSeed(
		                           s + head, tail - head, SEED_CHAR)
		                     : hash_squeezed(s, head, tail);
		if (pos != NULL)
			pos[n] = hidx;
		n++;
		if (tail >= len)
			break;
		head += cp_len((unsigned char)s[head]);
		if (s[head] == ' ') {
			head++;
			hidx++;
			spaces--;
		}
		if (s[tail] == ' ') {
			tail++;
			spaces++;
		}
		tail += cp_len((unsigned char)s[tail]);
	}
	return n;
}

/*
 * The squeezed text, a window at a time, in a buffer on the stack: this
 * makes every gram one contiguous slice, so hashing it needs no copy.
 */
#define SQBUF 4096
#define SQBUF_SLACK 8 /* after buf: see sq_refill */

struct squeezed {
	const struct shingle_text *t;
	size_t ti, tp; /* next byte to copy: token ti, byte tp of it */
	size_t fill;   /* bytes in buf */
	char buf[SQBUF + SQBUF_SLACK];
};

/*
 * Drop buf[0, from), then append squeezed bytes (the tokens of norm,
 * without the spaces between them) until buf is full. A token is copied
 * eight bytes at a time, the last copy running past its end (into the
 * next token's place, or the SQBUF_SLACK bytes after buf) where norm has
 * the bytes: a news token is ~6 bytes, and a byte at a time was five
 * instructions a byte of text.
 */
static void
sq_refill(struct squeezed *q, size_t from)
{
	const struct shingle_text *t = q->t;
	/* In locals: the byte stores to buf could alias q's fields. */
	size_t fill = q->fill - from, ti = q->ti, tp = q->tp;

	memmove(q->buf, q->buf + from, fill);
	while (ti < t->ntok && fill < SQBUF) {
		const struct shingle_token *k = &t->tok[ti];
		size_t at = k->off + tp, m = k->len - tp, c = 0;
		char *to = q->buf + fill;

		if (m > SQBUF - fill)
			m = SQBUF - fill;
		for (; c < m && at + c + 8 <= t->norm_len; c += 8)
			memcpy(to + c, t->norm + at + c, 8);
		for (; c < m; c++) /* the last bytes of norm */
			to[c] = t->norm[at + c];
		fill += m;
		if ((tp += m) == k->len) {
			ti++;
			tp = 0;
		}
	}
	q->fill = fill;
	q->ti = ti;
	q->tp = tp;
}

/*
 * XXH3_64bits_withSeed(p, 8, SEED_CHAR) written out: XXH3's 4..8 byte
 * case (xxhash_spec.md, stable since XXH3 0.8.0) for a length of 8. The
 * library's call and its dispatch on the length cost more than the
 * hash itself. The test suite checks it against the library.
 */
#define XXH3_SECRET_8 0x1cad21f72c81017cull  /* XXH3_kSecret[8, 16) */
#define XXH3_SECRET_16 0xdb979083e96dd4deull /* XXH3_kSecret[16, 24) */

static inline uint64_t
gram8_hash(const char *p)
{
	const uint64_t seed =
	    SEED_CHAR ^ (uint64_t)__builtin_bswap32((uint32_t)SEED_CHAR) << 32;
	/* input64 = LE32(p) << 32 | LE32(p + 4) */
	uint64_t x = load_le64(p);

	x = (x << 32 | x >> 32) ^ ((XXH3_SECRET_8 ^ XXH3_SECRET_16) - seed);
	/* XXH3_rrmxmx(x, 8) */
	x ^= (x << 49 | x >> 15) ^ (x << 24 | x >> 40);
	x *= 0x9fb21c651e98df25ull;
	x ^= (x >> 35) + 8;
	x *= 0x9fb21c651e98df25ull;
	return x ^ (x >> 28);
}

/*
 * Pure ASCII norm, the common case: a code point is a byte, so the gram
 * at squeezed offset j is buf[j, j + k) and needs no decoding. The
 * squeezed text goes through buf a window at a time, keeping the k - 1
 * bytes the next gram needs. hleft is as in shingle_chars().
 */
static size_t
chars_ascii(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos)
{
	struct squeezed q; /* not = {...}: that would zero its buffer */
	size_t j, n = 0, hleft = t->tok[0].len;
	uint32_t hidx = 0;

	q.t = t;
	q.ti = q.tp = q.fill = 0;
	for (sq_refill(&q, 0);; sq_refill(&q, j)) {
		/* A copy: stores to out could be to q.fill for all C knows. */
		const size_t fill = q.fill;

		j = 0;
		if (k == 8 && pos == NULL) /* match/'s grams: no test a gram */
			for (; j + 8 <= fill; j++, n++)
				out[n] = gram8_hash(q.buf + j);
		for (; j + k <= fill; j++, n++) {
			out[n] = k == 8 ? gram8_hash(q.buf + j)
			                : XXH3_64bits_withSeed(
			                      q.buf + j, k, SEED_CHAR);
			if (pos == NULL)
				continue;
			pos[n] = hidx;
			if (--hleft == 0 && ++hidx < t->ntok)
				hleft = t->tok[hidx].len;
		}
		if (q.ti == t->ntok)
			break;
	}
	if (n == 0) { /* shorter than k: one gram of all of it */
		out[n++] = XXH3_64bits_withSeed(q.buf, q.fill, SEED_CHAR);
		if (pos != NULL)
			pos[0] = 0;
	}
	return n;
}

/*
 * head and tail index the buffer: the gram is buf[head, tail). hleft is
 * what is left of the token head is in, so that head knows its token.
 * A gram is at most 4k bytes, and the buffer is refilled when fewer than 4
 * bytes (one code point) remain after tail; with 4k <= SQBUF / 2 a refill
 * always makes room.
 */
size_t
shingle_chars(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos)
{
	struct squeezed q;
	size_t head = 0, tail = 0, n = 0, hleft;
	uint32_t hidx = 0;
	unsigned i;

	if (k == 0 || t->ntok == 0)
		return 0;
	if ((size_t)k > SQBUF / 8)
		return chars_general(t, k, out, pos);
	/* An ASCII source's norm is ASCII: no need to look. */
	if (t->ascii || count_trails(t->norm, t->norm_len) == 0)
		return chars_ascii(t, k, out, pos);
	q.t = t;
	q.ti = q.tp = q.fill = 0;
	sq_refill(&q, 0);
	hleft = t->tok[0].len;
	for (i = 0; i < k && tail < q.fill; i++) {
		if (q.fill - tail < 4 && q.ti < t->ntok)
			sq_refill(&q, 0);
		tail += cp_len((unsigned char)q.buf[tail]);
	}
	for (;;) {
		out[n] =
		    XXH3_64bits_withSeed(q.buf + head, tail - head, SEED_CHAR);
		if (pos != NULL)
			pos[n] = hidx;
		n++;
		if (tail >= q.fill && q.ti >= t->ntok)
			break;
		i = (unsigned)cp_len((unsigned char)q.buf[head]);
		head += i;
		hleft -= i;
		if (hleft == 0 && ++hidx < t->ntok)
			hleft = t->tok[hidx].len;
		if (q.fill - tail < 4 && q.ti < t->ntok) {
			sq_refill(&q, head);
			tail -= head;
			head = 0;
		}
		tail += cp_len((unsigned char)q.buf[tail]);
	}
	return n;
}

/* ---- Sets ---------------------------------------------------------------- */

static void
sift_down(uint64_t *a, size_t i, size_t n)
{
	uint64_t v = a[i];
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[c] <= v)
			break;
		a[i] = a[c];
		i = c;
	}
	a[i] = v;
}

static void
heap_sort(uint64_t *a, size_t n)
{
	size_t i;
	uint64_t v;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		v = a[0];
		a[0] = a[i];
		a[i] = v;
		sift_down(a, 0, i);
	}
}

/*
 * Introsort: quicksort with a median of three, insertion sort for short
 * runs, and heapsort once the recursion gets deeper than 2 log n, so that
 * crafted input (the hashes are seeded but public) cannot make it
 * quadratic. qsort() would be simpler but is about three times slower on
 * the few thousand hashes of an article.
 */
static void
intro_sort(uint64_t *a, size_t n, unsigned depth)
{
	uint64_t p, v;
	size_t i, j, m;

	while (n > 16) {
		if (depth-- == 0) {
			heap_sort(a, n);
			return;
		}
		m = n / 2;
		if (a[m] < a[0]) {
			v = a[m];
			a[m] = a[0];
			a[0] = v;
		}
		if (a[n - 1] < a[m]) {
			v = a[m];
			a[m] = a[n - 1];
			a[n - 1] = v;
			if (a[m] < a[0]) {
				v = a[m];
				a[m] = a[0];
				a[0] = v;
			}
		}
		p = a[m];
		/* Hoare: a[0] <= p <= a[n-1] act as sentinels. */
		i = 0;
		j = n - 1;
		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			v = a[i];
			a[i] = a[j];
			a[j] = v;
			i++;
			j--;
		}
		/* [0, j] <= p <= [j+1, n); recurse on the smaller side. */
		if (j + 1 < n - j - 1) {
			intro_sort(a, j + 1, depth);
			a += j + 1;
			n -= j + 1;
		} else {
			intro_sort(a + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	for (i = 1; i < n; i++) {
		v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * One in-place radix pass (American flag sort) on the byte at `shift`,
 * then each bucket on its own. The hashes are uniform, so the first pass
 * on the top byte leaves buckets of n / 256, and comparison sorting those
 * costs a fraction of sorting the whole: the branches of a comparison
 * sort on random keys mispredict half of the time. At most eight levels
 * deep whatever the input, each O(n).
 */
#define RADIX_MIN 1024

/* Introsort's depth limit: twice the depth of a balanced recursion. */
static unsigned
sort_depth(size_t n)
{
	unsigned depth = 0;

	for (; n > 1; n >>= 1)
		depth += 2;
	return depth;
}

static void
radix_sort(uint64_t *a, size_t n, unsigned shift)
{
	size_t next[256], end[256], i, b, d, sum = 0;
	uint64_t v, w;

	memset(end, 0, sizeof(end));
	for (i = 0; i < n; i++)
		end[(a[i] >> shift) & 0xff]++;
	for (b = 0; b < 256; b++) {
		next[b] = sum;
		sum += end[b];
		end[b] = sum;
	}
	for (b = 0; b < 256; b++) {
		while (next[b] < end[b]) {
			v = a[next[b]];
			/* carry v to its bucket, bringing back what was there
			 */
			while ((d = (v >> shift) & 0xff) != b) {
				w = a[next[d]];
				a[next[d]++] = v;
				v = w;
			}
			a[next[b]++] = v;
		}
	}
	for (b = 0, i = 0; b < 256; i = end[b], b++) {
		d = end[b] - i;
		if (d >= RADIX_MIN && shift > 0)
			radix_sort(a + i, d, shift - 8);
		else if (d > 1 && shift > 0)
			intro_sort(a + i, d, sort_depth(d));
	}
}

/* Insertion sort: cheap when every element is near its place. */
static void
insertion_sort(uint64_t *a, size_t n)
{
	size_t i, j;
	uint64_t v;

	for (i = 1; i < n; i++) {
		v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * Buckets on the top bits, about one per BUCKET_LOAD hashes (at most
 * 2^BUCKET_BITS_MAX, 16 KiB of counters on the stack), filled in place
 * as radix_sort() does. Uniform hashes leave a few per bucket, and one
 * insertion sort over the whole array then finishes at a small constant
 * cost per hash, with few mispredicted branches. Buckets that are too
 * full for that (skewed input, or more than 2^BUCKET_BITS_MAX *
 * BUCKET_LOAD hashes: the index's memtable, ~450k) are sorted on their own
 * first, so that the final pass stays O(n SMALL_BUCKET): from
 * RADIX_BUCKET hashes on by a radix pass on the next byte, which left
 * the memtable's 450k at 26 ns a hash where introsorting its buckets of
 * ~220 took 49.
 */
#define BUCKET_BITS_MAX 11
#define BUCKET_LOAD 2
#define SMALL_BUCKET 16
#define RADIX_BUCKET 32

static void
bucket_sort(uint64_t *a, size_t n)
{
	uint32_t next[1u << BUCKET_BITS_MAX], end[1u << BUCKET_BITS_MAX];
	unsigned bits = 1, shift;
	size_t nb, b, d, i;
	uint32_t sum = 0;
	uint64_t v, w;

	while (bits < BUCKET_BITS_MAX && ((size_t)BUCKET_LOAD << bits) < n)
		bits++;
	shift = 64 - bits;
	nb = (size_t)1 << bits;
	memset(end, 0, nb * sizeof(end[0]));
	for (i = 0; i < n; i++)
		end[a[i] >> shift]++;
	for (b = 0; b < nb; b++) {
		next[b] = sum;
		sum += end[b];
		end[b] = sum;
	}
	for (b = 0; b < nb; b++) {
		while (next[b] < end[b]) {
			v = a[next[b]];
			while ((d = v >> shift) != b) {
				w = a[next[d]];
				a[next[d]++] = v;
				v = w;
			}
			a[next[b]++] = v;
		}
	}
	for (b = 0, i = 0; b < nb; i = end[b], b++) {
		d = end[b] - i;
		if (d >= RADIX_BUCKET) /* on the byte below the bucket bits */
			radix_sort(a + i, d, (shift - 1) & ~7u);
		else if (d > SMALL_BUCKET)
			intro_sort(a + i, d, sort_depth(d));
	}
	insertion_sort(a, n);
}

size_t
shingle_sort_unique(uint64_t *h, size_t n)
{
	size_t i, m;

	if (n < 2)
		return n;
	if (n > UINT32_MAX)
		radix_sort(h, n, 56);
	else if (n > SMALL_BUCKET)
		bucket_sort(h, n);
	else
		insertion_sort(h, n);
	for (i = 1, m = 1; i < n; i++)
		if (h[i] != h[m - 1])
			h[m++] = h[i];
	return m;
}

size_t
shingle_intersect(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j]) {
			i++;
		} else if (a[i] > b[j]) {
			j++;
		} else {
			n++;
			i++;
			j++;
		}
	}
	return n;
}

/* ---- Winnowing ----------------------------------------------------------- */

/* (v, m) becomes (x, i) when x <= v: a conditional move, no branch. */
#define TAKE_LE(v, m, x, i)                                                    \
	do {                                                                   \
		int le_ = (x) <= (v);                                          \
		(m) = le_ ? (i) : (m);                                         \
		(v) = le_ ? (x) : (v);                                         \
	} while (0)

/*
 * Position of the rightmost minimum of h[a, b), a < b. A window is
 * rescanned each time its minimum slides out (2 windows in w + 1), and a
 * scan that kept one running minimum waited on every comparison before the
 * next (and mispredicted each new minimum): four lanes of every fourth
 * hash, each its own rightmost minimum, merged at the end (the smaller
 * value, the later position on a tie), take a third off winnowing.
 */
static size_t
rightmost_min(const uint64_t *h, size_t a, size_t b)
{
	size_t m0 = a, m1 = a + 1, m2 = a + 2, m3 = a + 3, i;
	uint64_t v0 = h[a], v1, v2, v3;

	if (b - a < 8) {
		for (i = a + 1; i < b; i++)
			TAKE_LE(v0, m0, h[i], i);
		return m0;
	}
	v1 = h[a + 1];
	v2 = h[a + 2];
	v3 = h[a + 3];
	for (i = a + 4; i + 4 <= b; i += 4) {
		TAKE_LE(v0, m0, h[i], i);
		TAKE_LE(v1, m1, h[i + 1], i + 1);
		TAKE_LE(v2, m2, h[i + 2], i + 2);
		TAKE_LE(v3, m3, h[i + 3], i + 3);
	}
	for (; i < b; i++)
		TAKE_LE(v0, m0, h[i], i);
	/* Merge: lane 1 or 3 wins a tie only from a later position. */
	if (v1 < v0 || (v1 == v0 && m1 > m0))
		v0 = v1, m0 = m1;
	if (v3 < v2 || (v3 == v2 && m3 > m2))
		v2 = v3, m2 = m3;
	if (v2 < v0 || (v2 == v0 && m2 > m0))
		v0 = v2, m0 = m2;
	return m0;
}

/*
 * Robust winnowing (section 4.1 of the paper): a window keeps the minimum
 * selected by the window before it while that one is still inside and
 * still minimal (ties do not move it); only when it slides out is the
 * window rescanned for its rightmost minimum. On low-entropy runs (the
 * same hash repeated) this selects one fingerprint per w positions
 * instead of one per position. O(n) expected for random hashes, O(n w)
 * worst case (rescans).
 */
size_t
shingle_winnow(
    const uint64_t *h, size_t n, unsigned w, uint64_t *out, uint32_t *pos)
{
	size_t r, m, cnt = 0;

	if (n == 0)
		return 0;
	if (w == 0)
		w = 1;
	if (n <= w) {
		m = rightmost_min(h, 0, n);
		out[0] = h[m];
		if (pos != NULL)
			pos[0] = (uint32_t)m;
		return 1;
	}
	m = rightmost_min(h, 0, w);
	out[cnt] = h[m];
	if (pos != NULL)
		pos[cnt] = (uint32_t)m;
	cnt++;
	/* Selected positions only move right, so each is recorded once. */
	for (r = w; r < n; r++) {
		if (m < r - w + 1)
			m = rightmost_min(h, r - w + 1, r + 1);
		else if (h[r] < h[m])
			m = r;
		else
			continue;
		out[cnt] = h[m];
		if (pos != NULL)
			pos[cnt] = (uint32_t)m;
		cnt++;
	}
	return cnt;
}

/* ---- Sketches ------------------------------------------------------------ */

/*
 * splitmix64's finalizer: a bijection on 64 bits with full avalanche. The
 * input hashes are already XXH3 output; this decorrelates the MinHash bin
 * and value from the bits that other consumers (winnowing, SimHash) use.
 */
static inline uint64_t
mix64(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ull;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z;
}

/* Map the high 32 bits of x onto [0, n) (Lemire's multiply-shift). */
static inline unsigned
range32(uint64_t x, unsigned n)
{
	return (unsigned)(((x >> 32) * n) >> 32);
}

/*
 * One permutation hashing: a mixed hash picks a bin from its high bits
 * and keeps the minimum of its low 32 bits. Optimal densification then
 * gives each empty bin i the value of the first non-empty bin on its own
 * pseudo-random probe sequence j(i, 1), j(i, 2), ... Two sets agree on a
 * slot with probability J whatever mix of empty and full bins they have,
 * and the variance is close to that of k independent permutations.
 */
void
shingle_minhash(const uint64_t *h, size_t n, uint32_t sig[SHINGLE_MINHASH_N])
{
	uint32_t val[SHINGLE_MINHASH_N];
	unsigned char full[SHINGLE_MINHASH_N];
	unsigned i, j, a;
	size_t e;

	for (i = 0; i < SHINGLE_MINHASH_N; i++) {
		sig[i] = UINT32_MAX;
		val[i] = UINT32_MAX;
		full[i] = 0;
	}
	if (n == 0)
		return;
	for (e = 0; e < n; e++) {
		uint64_t m = mix64(h[e] ^ SEED_MINHASH);
		uint32_t v = (uint32_t)m;

		i = range32(m, SHINGLE_MINHASH_N);
		full[i] = 1;
		/* A store either way, no branch: a bin's minimum changes
		 * rarely but at random (30% of the loop, mispredicted). */
		uint32_t o = val[i];
		val[i] = v < o ? v : o;
	}
	for (i = 0; i < SHINGLE_MINHASH_N; i++) {
		if (full[i]) {
			sig[i] = val[i];
			continue;
		}
		j = i;
		for (a = 1; a <= 4096; a++) {
			j = range32(
			    mix64(SEED_DENSIFY ^ ((uint64_t)i << 32 | a)),
			    SHINGLE_MINHASH_N);
			if (full[j])
				break;
		}
		/*
		 * 4096 misses in a row with even one full bin has a chance
		 * of (127/128)^4096 < 1e-13; step on deterministically.
		 */
		while (!full[j])
			j = (j + 1) % SHINGLE_MINHASH_N;
		sig[i] = val[j];
	}
}

double
shingle_minhash_jaccard(
    const uint32_t a[SHINGLE_MINHASH_N], const uint32_t b[SHINGLE_MINHASH_N])
{
	unsigned i, eq = 0;

	for (i = 0; i < SHINGLE_MINHASH_N; i++)
		eq += a[i] == b[i];
	return (double)eq / SHINGLE_MINHASH_N;
}

void
shingle_minhash_bands(const uint32_t sig[SHINGLE_MINHASH_N], unsigned nbands,
    unsigned rows, uint64_t *out)
{
	unsigned char buf[4 * SHINGLE_MINHASH_N];
	unsigned b, r;

	if (rows == 0 || rows > SHINGLE_MINHASH_N)
		return;
	if (nbands > SHINGLE_MINHASH_N / rows)
		nbands = SHINGLE_MINHASH_N / rows;
	for (b = 0; b < nbands; b++) {
		/* Little-endian bytes, so keys are the same on every host. */
		for (r = 0; r < rows; r++) {
			uint32_t v = sig[b * rows + r];

			buf[4 * r] = (unsigned char)v;
			buf[4 * r + 1] = (unsigned char)(v >> 8);
			buf[4 * r + 2] = (unsigned char)(v >> 16);
			buf[4 * r + 3] = (unsigned char)(v >> 24);
		}
		out[b] =
		    XXH3_64bits_withSeed(buf, 4 * (size_t)rows, SEED_BAND + b);
	}
}

/* Carry-save adder: a + b + c = 2 hi + lo, in each of the 64 bit columns. */
static inline void
csa(uint64_t *hi, uint64_t *lo, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t u = a ^ b;

	*hi = (a & b) | (u & c);
	*lo = u ^ c;
}

/*
 * Column counters in bit-sliced form: bit b of ones, twos, fours and
 * eights are the low four bits of the count of column b, bit b of c16[l]
 * is bit 4 + l of it. Eight levels hold up to 16 * 255 + 15 hashes.
 */
struct colcount {
	uint64_t ones, twos, fours, eights, c16[8];
};

#define COLCOUNT_MAX (16 * 255)

/*
 * Add 16 hashes (Harley-Seal): a tree of carry-save adders sums them
 * into the four low counters, and the carries out of eights (sixteens)
 * ripple up c16. About seven operations per hash, with no branches.
 */
static inline void
colcount_add16(struct colcount *c, const uint64_t *h)
{
	uint64_t twa, twb, foa, fob, eia, eib, carry, t;
	unsigned l;

	csa(&twa, &c->ones, c->ones, h[0], h[1]);
	csa(&twb, &c->ones, c->ones, h[2], h[3]);
	csa(&foa, &c->twos, c->twos, twa, twb);
	csa(&twa, &c->ones, c->ones, h[4], h[5]);
	csa(&twb, &c->ones, c->ones, h[6], h[7]);
	csa(&fob, &c->twos, c->twos, twa, twb);
	csa(&eia, &c->fours, c->fours, foa, fob);
	csa(&twa, &c->ones, c->ones, h[8], h[9]);
	csa(&twb, &c->ones, c->ones, h[10], h[11]);
	csa(&foa, &c->twos, c->twos, twa, twb);
	csa(&twa, &c->ones, c->ones, h[12], h[13]);
	csa(&twb, &c->ones, c->ones, h[14], h[15]);
	csa(&fob, &c->twos, c->twos, twa, twb);
	csa(&eib, &c->fours, c->fours, foa, fob);
	csa(&carry, &c->eights, c->eights, eia, eib);
	for (l = 0; l < 8; l++) {
		t = c->c16[l] & carry;
		c->c16[l] ^= carry;
		carry = t;
	}
}

/*
 * ones[b] += how many of h[0, n) have bit b set, n <= COLCOUNT_MAX. The
 * last partial block is padded with zeros, which count for nothing.
 */
static void
count_columns(const uint64_t *h, size_t n, uint64_t ones[64])
{
	struct colcount c;
	uint64_t blk[16], v;
	size_t i;
	unsigned b, l;

	memset(&c, 0, sizeof(c));
	for (i = 0; i + 16 <= n; i += 16)
		colcount_add16(&c, h + i);
	if (i < n) {
		memset(blk, 0, sizeof(blk));
		memcpy(blk, h + i, (n - i) * sizeof(*h));
		colcount_add16(&c, blk);
	}
	for (b = 0; b < 64; b++) {
		v = (c.ones >> b & 1) | (c.twos >> b & 1) << 1 |
		    (c.fours >> b & 1) << 2 | (c.eights >> b & 1) << 3;
		for (l = 0; l < 8; l++)
			v |= (c.c16[l] >> b & 1) << (4 + l);
		ones[b] += v;
	}
}

/*
 * Charikar: bit i of the result is the majority of bit i over the input
 * (ties give 0), the same as summing +1/-1 per bit. The ones of each bit
 * column are counted with bitwise adders on all 64 columns at once
 * rather than one column at a time.
 */
uint64_t
shingle_simhash(const uint64_t *h, size_t n)
{
	uint64_t ones[64] = {0}, out = 0;
	size_t e, m;
	unsigned b;

	for (e = 0; e < n; e += m) {
		m = n - e < COLCOUNT_MAX ? n - e : COLCOUNT_MAX;
		count_columns(h + e, m, ones);
	}
	for (b = 0; b < 64; b++)
		if (ones[b] > n - ones[b])
			out |= 1ull << b;
	return out;
}

unsigned
shingle_simhash_distance(uint64_t a, uint64_t b)
{
	return (unsigned)__builtin_popcountll(a ^ b);
}
