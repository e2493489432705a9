/*
 * match.c - features of an article and the exact comparison of two.
 *
 * Features are character 8-grams of the "squeezed" text (tokens joined
 * with no separator): they survive OCR noise, merged words and re-wrapped
 * columns far better than word shingles, and a shared passage of any
 * length shows as a run of consecutive shared grams. Gram i starts at
 * code point i of the squeezed text, so positions need no extra array.
 *
 * The comparison measures, for each text, how much of it lies under grams
 * found in the other (coverage) and how much under long runs of them
 * (passages), ignoring boilerplate; then it checks that the figures in
 * the shared context agree, because reports filed from one wire template
 * share most of their wording and differ only in their numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "match.h"
#include "match_int.h"
#include "shingle.h"

/* Shared grams, as a share of the smaller set, below which no relation
 * is possible (partial needs passages over a quarter of the text). */
#define MIN_SHARED_SHARE 0.10

static const char *relation_names[] = {
    "none", "exact", "near_duplicate", "excerpt", "partial"};

const char *
match_relation_name(enum match_relation r)
{
	if ((unsigned)r >= sizeof(relation_names) / sizeof(relation_names[0]))
		return "none";
	return relation_names[r];
}

int
match_relation_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(relation_names) / sizeof(*relation_names);
	     i++)
		if (strcmp(s, relation_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * How a near duplicate differs (match.h). One text is whole in the other
 * when its coverage, leaving out what is not covered at its start and end
 * (inner_coverage()), is at least HOW_WHOLE: on the development corpus 133
 * of 136 wrapped copies, while a rewrite or an OCR copy loses more to its
 * changed words (3 of 144 and 3 of 120 pass for wrapped at 0.995, 34 and
 * 36 at 0.98). From HOW_ORDER_FROM on, the passages' order is looked at
 * (in_order()): below HOW_IN_ORDER of them in order, passages were moved.
 */
#define HOW_WHOLE 0.995
#define HOW_ORDER_FROM 0.98
#define HOW_IN_ORDER 0.95

enum match_how
match_how_guess(double cont_ab, double cont_ba)
{
	double hi = cont_ab > cont_ba ? cont_ab : cont_ba;

	return hi >= HOW_WHOLE ? MATCH_HOW_BOILERPLATE : MATCH_HOW_REWRITE;
}

const char *
match_how_name(
    enum match_relation r, enum match_how how, double cont_ab, double cont_ba)
{
	if (r != MATCH_NEAR_DUPLICATE)
		return match_relation_name(r);
	if (how == MATCH_HOW_UNKNOWN || how > MATCH_HOW_REWRITE)
		how = match_how_guess(cont_ab, cont_ba);
	switch (how) {
	case MATCH_HOW_BOILERPLATE:
		return "boilerplate";
	case MATCH_HOW_REORDER:
		return "reorder";
	default:
		return "rewrite";
	}
}

/*
 * Defaults measured on the labeled development corpus (docs/matching.md):
 * excerpts cover >= 0.91 of their text, OCR copies and rewrites >= 0.83,
 * different stories on one topic at most 0.60; copied passages cover
 * >= 0.32 of a roundup, stock phrases of a same-topic story <= 0.15.
 */
void
match_params_default(struct match_params *p)
{
	p->boilerplate_df = 50;
	p->near_dup_small = 0.80;
	p->near_dup_large = 0.60;
	p->near_dup_passage = 0.30;
	p->excerpt_small = 0.80;
	p->excerpt_passage = 0.50;
	p->partial_passage = 0.25;
	p->partial_passage_large = 0.10;
	p->fact_disagreement = 0.40;
	p->min_chars = 100;
}

/* A document is one block (see pack). */
void
match_doc_free(struct match_doc *d)
{
	free(d);
}

size_t
match_doc_bytes(const struct match_doc *d)
{
	return d->bytes;
}

/* The arrays of a document being built (each sized for the worst case),
 * before pack. */
static void
work_free(struct match_doc *w)
{
	free(w->grams);
	free(w->fp);
	free(w->fp_pos);
	free(w->keys);
	free(w->num_start);
	free(w->num_end);
	free(w->num_canon);
	free(w->num_ctx);
	free(w->num_set);
	free(w->num_ctx_set);
}

/* Copy n elements of size sz from src to *at; the copy's address. */
static void *
put_array(unsigned char **at, const void *src, size_t n, size_t sz)
{
	void *dst = *at;
	if (n > 0)
		memcpy(dst, src, n * sz);
	*at += n * sz;
	return dst;
}

/*
 * The document built in w, as one block of the exact size: the struct,
 * then the arrays, 64-bit ones first; the grams folded from the full
 * hashes on the way (w->grams is unused). A document may be kept a while
 * (daemon/detect.c keeps the last ones stored) among short-lived
 * allocations, where eight blocks sized for the worst case and shrunk
 * left holes all over the heap: the recent documents' 6 MiB took 10.
 * w's arrays stay w's. NULL: no memory.
 */
static struct match_doc *
pack(const struct match_doc *w, const uint64_t *grams)
{
	size_t bytes = sizeof(*w) +
	               8 * (w->nfp + w->nkeys + 3 * w->nnums + w->nnum_set +
	                       w->nnum_ctx_set) +
	               4 * (w->ngrams + w->nfp + 2 * w->nnums);
	struct match_doc *d = malloc(bytes);
	unsigned char *at;

	if (d == NULL)
		return NULL;
	at = (unsigned char *)(d + 1);
	*d = *w;
	d->bytes = bytes;
	d->fp = put_array(&at, w->fp, w->nfp, 8);
	d->keys = put_array(&at, w->keys, w->nkeys, 8);
	d->num_canon = put_array(&at, w->num_canon, w->nnums, 8);
	d->num_ctx = put_array(&at, w->num_ctx, 2 * w->nnums, 8);
	d->num_set = put_array(&at, w->num_set, w->nnum_set, 8);
	d->num_ctx_set = put_array(&at, w->num_ctx_set, w->nnum_ctx_set, 8);
	d->grams = (uint32_t *)at;
	for (size_t i = 0; i < w->ngrams; i++)
		d->grams[i] = match_gram_fold(grams[i]);
	at += 4 * w->ngrams;
	d->fp_pos = put_array(&at, w->fp_pos, w->nfp, 4);
	d->num_start = put_array(&at, w->num_start, w->nnums, 4);
	d->num_end = put_array(&at, w->num_end, w->nnums, 4);
	return d;
}

static size_t
utf8_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/*
 * A token is a figure when digits are most of it ("2.6", "1,000", "3rd"
 * is not). OCR turns some digits into look-alike letters and back, so the
 * canonical form maps those letters to digits and drops separators:
 * "l,O00" and "1,000" agree, "1,000" and "1,001" do not.
 */
static int
is_number(const char *s, size_t n)
{
	size_t digits = 0, other = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (c != '.' && c != ',' && c != '\'')
			other++;
	}
	return digits > 0 && digits > other;
}

static uint64_t
number_canon(const char *s, size_t n)
{
	char buf[64];
	size_t m = 0;
	for (size_t i = 0; i < n && m < sizeof(buf); i++) {
		char c = s[i];
		switch (c) {
		case '.':
		case ',':
		case '\'':
			continue;
		case 'l':
		case 'i':
			c = '1';
			break;
		case 'o':
			c = '0';
			break;
		case 's':
			c = '5';
			break;
		case 'z':
			c = '2';
			break;
		case 'b':
			c = '6';
			break;
		case 'g':
		case 'q':
			c = '9';
			break;
		case 't':
			c = '7';
			break;
		default:
			break;
		}
		buf[m++] = c;
	}
	return XXH3_64bits_withSeed(buf, m, NUM_SEED);
}

static uint64_t *
sorted_copy(const uint64_t *h, size_t n, size_t *nout)
{
	uint64_t *c = malloc((n ? n : 1) * sizeof(*c));
	if (c == NULL)
		return NULL;
	memcpy(c, h, n * sizeof(*c));
	*nout = shingle_sort_unique(c, n);
	return c;
}

/*
 * The index keys of fingerprints fp[0, n): the sampled ones
 * (KEY_SAMPLED), sorted and unique, unless they are too few to find a
 * short text by; then all of them. Sampled before sorting: the sort was
 * 2% of a backfill, and takes half the fingerprints.
 */
static uint64_t *
key_set(const uint64_t *fp, size_t n, size_t *nout)
{
	uint64_t *c = malloc((n ? n : 1) * sizeof(*c));
	size_t k = 0;

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[k] = fp[i]; /* stored always, kept if sampled: no branch */
		k += KEY_SAMPLED(fp[i]);
	}
	if ((k = shingle_sort_unique(c, k)) < KEY_FULL_BELOW) {
		memcpy(c, fp, n * sizeof(*c));
		k = shingle_sort_unique(c, n);
	}
	*nout = k;
	return c;
}

/*
 * The figures of the text and their character positions; d->nchars on the
 * way. Most texts are ASCII: a token's characters are then its bytes, and
 * counting them a token at a time was 4% of a backfill.
 */
/*
 * A figure with its neighbour, token j (before it, or after it when
 * after): a figure of another text agrees with it when it has the same
 * value beside the same word ("lows of 6" is not "sunrise at 6:42").
 */
static uint64_t
num_context(uint64_t canon, const struct shingle_text *t, size_t j, int after)
{
	uint64_t h = XXH3_64bits_withSeed(
	    t->norm + t->tok[j].off, t->tok[j].len, after ? 0x9e37 : 0x7f4a);
	h ^= canon * 0x9e3779b97f4a7c15ull;
	return h != 0 ? h : 1;
}

static int
build_numbers(struct match_doc *d, const struct shingle_text *t)
{
	int ascii = t->ascii;
	size_t cap = 1;
	/* Arrays for the tokens with digits (a few), not for every token. */
	for (size_t i = 0; i < t->ntok; i++)
		cap += (t->tok[i].flags & SHINGLE_TOK_DIGIT) != 0;
	d->num_start = malloc(cap * sizeof(uint32_t));
	d->num_end = malloc(cap * sizeof(uint32_t));
	d->num_canon = malloc(cap * sizeof(uint64_t));
	d->num_ctx = malloc(2 * cap * sizeof(uint64_t));
	if (!d->num_start || !d->num_end || !d->num_canon || !d->num_ctx)
		return -ENOMEM;
	uint32_t pos = 0;
	for (size_t i = 0; i < t->ntok; i++) {
		const char *s = t->norm + t->tok[i].off;
		size_t len = t->tok[i].len;
		uint32_t n = (uint32_t)(ascii ? len : utf8_count(s, len));
		if ((t->tok[i].flags & SHINGLE_TOK_DIGIT) &&
		    is_number(s, len)) {
			uint64_t canon = number_canon(s, len);
			d->num_start[d->nnums] = pos;
			d->num_end[d->nnums] = pos + n;
			d->num_canon[d->nnums] = canon;
			d->num_ctx[2 * d->nnums] =
			    i > 0 ? num_context(canon, t, i - 1, 0) : 0;
			d->num_ctx[2 * d->nnums + 1] =
			    i + 1 < t->ntok ? num_context(canon, t, i + 1, 1)
			                    : 0;
			d->nnums++;
		}
		pos += n;
	}
	d->nchars = pos;
	d->num_set = sorted_copy(d->num_canon, d->nnums, &d->nnum_set);
	d->num_ctx_set =
	    sorted_copy(d->num_ctx, 2 * d->nnums, &d->nnum_ctx_set);
	if (d->num_set == NULL || d->num_ctx_set == NULL)
		return -ENOMEM;
	/* 0 (no word there) sorts first: it never says two figures agree. */
	if (d->nnum_ctx_set > 0 && d->num_ctx_set[0] == 0)
		memmove(
		    d->num_ctx_set, d->num_ctx_set + 1, --d->nnum_ctx_set * 8);
	return 0;
}

static int build(
    const char *text, size_t len, int sketch, struct match_doc **out);

int
match_doc_build(const char *text, size_t len, struct match_doc **out)
{
	return build(text, len, 1, out);
}

int
match_doc_build_light(const char *text, size_t len, struct match_doc **out)
{
	return build(text, len, 0, out);
}

static int
build(const char *text, size_t len, int sketch, struct match_doc **out)
{
	struct shingle_text t;
	struct match_doc w, *d = &w; /* d: being built, then packed */
	uint64_t *grams = NULL;      /* the full hashes, until folded */
	int rc;

	*out = NULL;
	if ((rc = shingle_text_init(&t, text, len)) < 0)
		return rc;
	memset(&w, 0, sizeof(w));
	rc = -ENOMEM;
	d->norm_hash = XXH3_64bits(t.norm, t.norm_len);
	d->ntokens = (uint32_t)t.ntok;
	size_t max = shingle_chars_max(&t, GRAM_K);
	grams = malloc((max ? max : 1) * sizeof(uint64_t));
	d->fp = malloc((max ? max : 1) * sizeof(uint64_t));
	d->fp_pos = malloc((max ? max : 1) * sizeof(uint32_t));
	if (!grams || !d->fp || !d->fp_pos)
		goto out;
	d->ngrams = shingle_chars(&t, GRAM_K, grams, NULL);
	d->nfp = shingle_winnow(grams, d->ngrams, WINNOW_W, d->fp, d->fp_pos);
	/* A light document is only verified against: no keys either. */
	if (sketch) {
		if ((d->keys = key_set(d->fp, d->nfp, &d->nkeys)) == NULL)
			goto out;
	}
	if ((rc = build_numbers(d, &t)) < 0)
		goto out;
	if (sketch) {
		/* Duplicates do not change a minimum: no need to dedupe. */
		shingle_minhash(grams, d->ngrams, d->minhash);
		/* The fingerprints are a tenth of the grams and sample them
		 * evenly: the same sketch at a tenth of the cost. */
		d->simhash = shingle_simhash(d->fp, d->nfp);
		d->sketched = 1;
	}
	rc = (*out = pack(&w, grams)) != NULL ? 0 : -ENOMEM;
out:
	free(grams);
	work_free(&w);
	shingle_text_free(&t);
	return rc;
}

size_t
match_doc_keys(const struct match_doc *d, const uint64_t **keys)
{
	*keys = d->keys;
	return d->nkeys;
}

uint64_t
match_doc_norm_hash(const struct match_doc *d)
{
	return d->norm_hash;
}

uint32_t
match_doc_ntokens(const struct match_doc *d)
{
	return d->ntokens;
}

uint32_t
match_doc_nchars(const struct match_doc *d)
{
	return d->nchars;
}

/* ---- Sketch -------------------------------------------------------------- */

/* Layout, little endian: magic u32, nchars u32, simhash u64, nkeys u32,
 * minhash SHINGLE_MINHASH_N x u32. */
#define SKETCH_LEN (20 + 4 * SHINGLE_MINHASH_N)

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int
match_doc_encode(const struct match_doc *d, void **blob, size_t *len)
{
	unsigned char *p;
	if (!d->sketched)
		return -EINVAL;
	if ((p = malloc(SKETCH_LEN)) == NULL)
		return -ENOMEM;
	put32(p, SKETCH_MAGIC);
	put32(p + 4, d->nchars);
	put32(p + 8, (uint32_t)d->simhash);
	put32(p + 12, (uint32_t)(d->simhash >> 32));
	put32(p + 16, (uint32_t)d->nkeys);
	for (int i = 0; i < SHINGLE_MINHASH_N; i++)
		put32(p + 20 + 4 * i, d->minhash[i]);
	*blob = p;
	*len = SKETCH_LEN;
	return 0;
}

int
match_sketch_decode(const void *blob, size_t len, struct match_sketch *out)
{
	const unsigned char *p = blob;
	if (blob == NULL || len != SKETCH_LEN || get32(p) != SKETCH_MAGIC)
		return -EINVAL;
	out->nchars = get32(p + 4);
	out->simhash = (uint64_t)get32(p + 8) | (uint64_t)get32(p + 12) << 32;
	out->nkeys = get32(p + 16);
	for (int i = 0; i < SHINGLE_MINHASH_N; i++)
		out->minhash[i] = get32(p + 20 + 4 * i);
	return 0;
}

int
match_sketch_nkeys(const void *blob, size_t len, uint32_t *nkeys)
{
	const unsigned char *p = blob;
	if (blob == NULL || len != SKETCH_LEN || get32(p) != SKETCH_MAGIC)
		return -EINVAL;
	*nkeys = get32(p + 16);
	return 0;
}

double
match_sketch_jaccard(const struct match_sketch *a, const struct match_sketch *b)
{
	return shingle_minhash_jaccard(a->minhash, b->minhash);
}

/* ---- Verification -------------------------------------------------------- */

int
match_has_key(const uint64_t *set, size_t n, uint64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && set[lo] == k;
}

/*
 * The common keys behind a bitmap on their top bits: most fingerprints
 * are not common, and the bitmap turns away all but ~3% of them (a few
 * dozen keys in 1024 bits) before the binary search, whose mispredicted
 * branches were most of the mask's cost.
 */
#define COMMON_BITS 1024 /* the top 10 bits of a key pick one */
struct common_filter {
	uint64_t w[COMMON_BITS / 64];
	const uint64_t *keys;
	size_t n;
};

static void
common_filter_init(
    struct common_filter *f, const uint64_t *common, size_t ncommon)
{
	memset(f->w, 0, sizeof(f->w));
	f->keys = common;
	f->n = ncommon;
	for (size_t i = 0; i < ncommon; i++)
		f->w[common[i] >> 60] |= 1ull << (common[i] >> 54 & 63);
}

static inline int
common_has(const struct common_filter *f, uint64_t k)
{
	return (f->w[k >> 60] >> (k >> 54 & 63) & 1) &&
	       match_has_key(f->keys, f->n, k);
}

/*
 * Boilerplate mask over d's characters: the gram under each common
 * fingerprint, and the stretch between two common fingerprints close
 * enough to lie in one shared passage. Winnowing picks at least one
 * fingerprint in every WINNOW_W grams, so a passage is a chain of
 * fingerprints each within WINNOW_W grams of the previous one; only the
 * sampled ones are keys (KEY_SAMPLED) and can be found common, so the
 * chain goes on across the others up to a common one, and ends at one
 * that was looked up and is not common. A lone common fingerprint is a stock
 * phrase, not a passage: its gram is masked with GRAM_K characters either side,
 * where its neighbours, not sampled, may belong to the phrase too.
 */
size_t
match_mask_boilerplate(const struct match_doc *d, const uint64_t *common,
    size_t ncommon, unsigned char *mask)
{
	struct common_filter cf;
	size_t masked = 0;

	memset(mask, 0, d->nchars + 1);
	if (ncommon == 0)
		return 0;
	common_filter_init(&cf, common, ncommon);
	for (size_t i = 0; i < d->nfp;) {
		if (!common_has(&cf, d->fp[i])) {
			i++;
			continue;
		}
		size_t j = i, k = i + 1;
		while (
		    k < d->nfp && d->fp_pos[k] - d->fp_pos[k - 1] <= WINNOW_W) {
			if (common_has(&cf, d->fp[k]))
				j = k; /* the chain reaches k */
			else if (KEY_SAMPLED(d->fp[k]))
				break; /* looked up, not common: it ends */
			k++;
		}
		unsigned ext = j > i ? WINNOW_W : GRAM_K;
		uint32_t from = d->fp_pos[i], to = d->fp_pos[j] + GRAM_K;
		from = from > ext ? from - ext : 0;
		to += ext;
		if (to > d->nchars)
			to = d->nchars;
		/* Stretches may overlap: count the characters new to it. */
		for (uint32_t c = from; c < to; c++) {
			masked += !mask[c];
			mask[c] = 1;
		}
		i = j + 1;
	}
	return masked;
}

/*
 * A set of gram hashes: open addressing, linear probing, built in one
 * pass (no sorting: verification builds two per candidate). It holds
 * the documents' folded hashes (match_gram_fold: 32 bits, which halves
 * the table that every lookup misses into); two grams of a pair agreeing
 * there by chance (one in 2^32 per lookup, against a table of a few
 * thousand) move a coverage by one gram. The bits index the table
 * directly; 0 marks an empty slot.
 */
struct gset {
	uint32_t *slot;
	size_t mask;
	size_t n; /* distinct hashes */
};

static int
gset_init(struct gset *g, size_t expect)
{
	size_t cap = 16;
	/* Load at most 2/3: a document's grams (5,000 in a news article)
	 * then fit 32 KB, where twice that, the two sides' tables together,
	 * missed the first-level cache (10% of a verification). */
	while (cap < expect + expect / 2)
		cap *= 2;
	g->slot = calloc(cap, sizeof(*g->slot));
	g->mask = cap - 1;
	g->n = 0;
	return g->slot ? 0 : -ENOMEM;
}

static int
gset_has32(const struct gset *g, uint32_t v)
{
	for (size_t i = v & g->mask;; i = (i + 1) & g->mask) {
		if (g->slot[i] == v)
			return 1;
		if (g->slot[i] == 0)
			return 0;
	}
}

/* Add v (folded: not 0); 1 if it was not there. */
static int
gset_add(struct gset *g, uint32_t v)
{
	for (size_t i = v & g->mask;; i = (i + 1) & g->mask) {
		if (g->slot[i] == v)
			return 0;
		if (g->slot[i] == 0) {
			g->slot[i] = v;
			g->n++;
			return 1;
		}
	}
}

struct side {
	const struct match_doc *d;
	unsigned char *mask;  /* nchars + 1 */
	unsigned char *cov;   /* nchars + 1: under a shared gram */
	unsigned char *first; /* ngrams: gram i is its hash's first in live */
	struct gset live;     /* unmasked grams */
	size_t live_chars;    /* unmasked characters */
	size_t covered;       /* of them, under a shared gram */
	double coverage, passage;
};

/*
 * Coverage of s by the grams of o (unmasked in both). Returns the number
 * of distinct hashes the two share: the grams of s found in o, each
 * counted at its first occurrence (an intersection of the two sets in the
 * same pass, where a pass of its own cost a third of a comparison).
 */
static size_t
cover(struct side *s, const struct side *o)
{
	const struct match_doc *d = s->d;
	size_t covered = 0, in_passages = 0, run = 0, shared = 0;
	uint32_t end = 0; /* characters below end are already marked */

	memset(s->cov, 0, d->nchars + 1);
	for (size_t i = 0; i <= d->ngrams; i++) {
		int hit = i < d->ngrams && !s->mask[i] &&
		          gset_has32(&o->live, d->grams[i]);
		if (hit) {
			shared += s->first[i];
			uint32_t to = (uint32_t)i + GRAM_K;
			if (to > d->nchars)
				to = d->nchars;
			/* Each character is marked once: count it then. A
			 * hit after a hit marks the one character after. */
			if (to == end + 1) {
				s->cov[end] = 1;
				covered += !s->mask[end];
			} else {
				for (uint32_t c = end > i ? end : (uint32_t)i;
				     c < to; c++) {
					s->cov[c] = 1;
					covered += !s->mask[c];
				}
			}
			if (to > end)
				end = to;
			run++;
			continue;
		}
		if (run >= PASSAGE_RUN)
			in_passages += run + GRAM_K - 1;
		run = 0;
	}
	s->covered = covered;
	s->coverage = s->live_chars ? (double)covered / s->live_chars : 0;
	s->passage = s->live_chars ? (double)in_passages / s->live_chars : 0;
	if (s->passage > 1)
		s->passage = 1;
	return shared;
}

/* Whether a character in [from, to] (within s's text) is under a shared
 * gram. */
static int
covered_in(const struct side *s, int64_t from, int64_t to)
{
	if (from < 0)
		from = 0;
	if (to >= (int64_t)s->d->nchars)
		to = (int64_t)s->d->nchars - 1;
	for (int64_t c = from; c <= to; c++)
		if (s->cov[c])
			return 1;
	return 0;
}

/* Whether o has figure i of d beside the same word, before or after. */
static int
figure_beside(const struct match_doc *d, const struct match_doc *od, size_t i)
{
	return (d->num_ctx[2 * i] != 0 &&
	           match_has_key(
	               od->num_ctx_set, od->nnum_ctx_set, d->num_ctx[2 * i])) ||
	       (d->num_ctx[2 * i + 1] != 0 &&
	           match_has_key(od->num_ctx_set, od->nnum_ctx_set,
	               d->num_ctx[2 * i + 1]));
}

/* Whether figure i of s agrees with o: see check_facts. */
static int
figure_in(const struct side *s, const struct side *o, size_t i)
{
	const struct match_doc *d = s->d;
	uint32_t a = d->num_start[i], b = d->num_end[i];

	/* Beside text of its own on a side (the edge of a site's lines, a
	 * caption): its words say nothing; the value anywhere will do. */
	if (a == 0 || b >= d->nchars || !s->cov[a - 1] || !s->cov[b])
		return match_has_key(
		    o->d->num_set, o->d->nnum_set, d->num_canon[i]);
	return figure_beside(d, o->d, i);
}

/* Whether figure i of d is inside a table's row: figures on each side
 * (a date's "5 2026" is not). */
static int
figure_cell(const struct match_doc *d, size_t i)
{
	return i > 0 && i + 1 < d->nnums &&
	       d->num_end[i - 1] == d->num_start[i] &&
	       d->num_start[i + 1] == d->num_end[i];
}

/* Tables of at least this many cells are judged cell by cell. */
#define TABLE_CELLS 8

/*
 * Figures of s in shared context: a number with shared text within
 * FACT_WINDOW characters on both sides. It agrees when it is itself
 * shared, or when o has it beside the same word, before or after it (a
 * paragraph moved, OCR damage on one side), or anywhere in o when a
 * neighbour of its own is not shared (the edge of a site's lines);
 * otherwise it differs. A table's cell is judged by its neighbours
 * alone, shared text around it or not. Beside the same word, not anywhere: a
 * template's other report has the first one's figures in other places ("lows of
 * 6" and "sunrise at 6:42").
 */
static void
check_facts(const struct side *s, const struct side *o, unsigned *agree,
    unsigned *differ)
{
	const struct match_doc *d = s->d;
	size_t cells = 0, i;

	for (i = 1; i + 1 < d->nnums && cells < TABLE_CELLS; i++)
		cells += (size_t)figure_cell(d, i);
	*agree = *differ = 0;
	for (i = 0; i < d->nnums; i++) {
		uint32_t a = d->num_start[i], b = d->num_end[i];
		uint32_t c;
		for (c = a; c < b && s->cov[c]; c++)
			;
		if (c == b) {
			(*agree)++;
			continue;
		}
		/* A table's cell has figures for neighbours, its row's words
		 * too far to be shared text around it: it agrees only beside
		 * the same neighbour (a league table's next round shares its
		 * template and team names, and differs in every cell). */
		if (cells == TABLE_CELLS && figure_cell(d, i)) {
			if (figure_beside(d, o->d, i))
				(*agree)++;
			else
				(*differ)++;
			continue;
		}
		/* Out of context unless shared text lies within FACT_WINDOW
		 * characters on each side (a figure's own count). */
		if (!covered_in(s, (int64_t)a - FACT_WINDOW, a) ||
		    !covered_in(s, b - 1, (int64_t)b - 1 + FACT_WINDOW))
			continue;
		if (figure_in(s, o, i))
			(*agree)++;
		else
			(*differ)++;
	}
}

static void
side_free(struct side *s)
{
	free(s->mask);
	free(s->cov);
	free(s->first);
	free(s->live.slot);
}

static int
side_init(struct side *s, const struct match_doc *d, const uint64_t *common,
    size_t ncommon)
{
	memset(s, 0, sizeof(*s));
	s->d = d;
	s->mask = malloc(d->nchars + 1);
	s->cov = malloc(d->nchars + 1);
	s->first = malloc(d->ngrams ? d->ngrams : 1);
	if (s->mask == NULL || s->cov == NULL || s->first == NULL)
		return -ENOMEM;
	/* Fixed by the mask: counted once, not by every comparison. */
	s->live_chars =
	    d->nchars - match_mask_boilerplate(d, common, ncommon, s->mask);
	if (gset_init(&s->live, d->ngrams) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < d->ngrams; i++)
		s->first[i] = !s->mask[i] && gset_add(&s->live, d->grams[i]);
	return 0;
}

static enum match_relation
classify(const struct side *small, const struct side *large, unsigned agree,
    unsigned differ, const struct match_params *p)
{
	if (small->live_chars < p->min_chars)
		return MATCH_NONE;
	/* One figure changed is an update (a toll, a correction); a
	 * template's other report changes several. */
	if (differ >= 2 &&
	    (double)differ / (agree + differ) >= p->fact_disagreement)
		return MATCH_NONE;
	if (small->coverage >= p->near_dup_small &&
	    large->coverage >= p->near_dup_large &&
	    small->passage >= p->near_dup_passage)
		return MATCH_NEAR_DUPLICATE;
	if (small->coverage >= p->excerpt_small &&
	    small->passage >= p->excerpt_passage)
		return MATCH_EXCERPT;
	if (small->passage >= p->partial_passage &&
	    large->passage >= p->partial_passage_large)
		return MATCH_PARTIAL;
	return MATCH_NONE;
}

int
match_verify_exact(const struct match_doc *a, uint64_t b_norm_hash,
    uint32_t b_ntokens, struct match_result *r)
{
	memset(r, 0, sizeof(*r));
	if (a->norm_hash != b_norm_hash || a->ntokens != b_ntokens ||
	    a->ntokens == 0)
		return 0;
	r->relation = MATCH_EXACT;
	r->jaccard = r->cont_ab = r->cont_ba = r->passage = r->in_order = 1;
	return 1;
}

/*
 * The share of small's text found in large in the same order. Small's
 * fingerprints (the winnowed grams: the same ones in any text sharing the
 * passage, a sixteenth of the grams), sampled evenly up to ORDER_SAMPLES,
 * are kept when each occurs once among the fingerprints of both texts (a
 * repeated one has no one place) and taken in large's order; the longest
 * run of them rising in small's order, over all of them, is the share. A
 * reordered copy moves whole paragraphs: the share falls by what moved
 * (the development corpus, in a prototype over all grams: reorders 0.98
 * at most, 0.69 the median; every other near duplicate 0.97 or more, 1
 * for most; over the fingerprints 90 of 96 reorders fall below
 * HOW_IN_ORDER). Fewer than
 * ORDER_MIN_SAMPLES kept: 1, too few to tell.
 */
#define ORDER_SAMPLES 256
#define ORDER_MIN_SAMPLES 8

struct order_slot {
	uint64_t fp;
	uint32_t spos;        /* the sample's position in small */
	uint8_t used, ns, nl; /* occurrences in small and large, up to 2 */
};

static size_t
order_find(const struct order_slot *t, uint64_t fp)
{
	size_t i = (size_t)fp & (2 * ORDER_SAMPLES - 1);

	while (t[i].used && t[i].fp != fp)
		i = (i + 1) & (2 * ORDER_SAMPLES - 1);
	return i;
}

static double
in_order(const struct side *small, const struct side *large)
{
	struct order_slot t[2 * ORDER_SAMPLES];
	uint16_t seq[ORDER_SAMPLES]; /* slots, in large's order */
	uint32_t tails[ORDER_SAMPLES];
	const struct match_doc *s = small->d, *l = large->d;
	size_t step = s->nfp / ORDER_SAMPLES + 1, nseq = 0, n = 0, len = 0;
	size_t i, k;

	memset(t, 0, sizeof(t));
	for (i = 0; i < s->nfp; i += step)
		if (!small->mask[s->fp_pos[i]]) {
			k = order_find(t, s->fp[i]);
			t[k].used = 1;
			t[k].fp = s->fp[i];
			t[k].spos = s->fp_pos[i];
		}
	for (i = 0; i < s->nfp; i++) {
		k = order_find(t, s->fp[i]);
		if (t[k].used && !small->mask[s->fp_pos[i]] && t[k].ns < 2)
			t[k].ns++;
	}
	for (i = 0; i < l->nfp; i++) {
		k = order_find(t, l->fp[i]);
		if (!t[k].used || large->mask[l->fp_pos[i]])
			continue;
		if (t[k].nl == 0)
			seq[nseq++] = (uint16_t)k;
		if (t[k].nl < 2)
			t[k].nl++;
	}
	/* Patience: tails[j] is the least last position of a rising run of
	 * j + 1 samples. */
	for (i = 0; i < nseq; i++) {
		const struct order_slot *o = &t[seq[i]];
		size_t lo = 0, hi = len;

		if (o->ns != 1 || o->nl != 1)
			continue;
		n++;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (tails[mid] < o->spos)
				lo = mid + 1;
			else
				hi = mid;
		}
		tails[lo] = o->spos;
		len += lo == len;
	}
	return n < ORDER_MIN_SAMPLES ? 1 : (double)len / n;
}

#define HOW_WORD_GAP 24 /* characters */
#define HOW_SENTENCE 24 /* covered characters either side of a word gap */

/*
 * The edges of s: what is not covered at its start, [0, *first), and at
 * its end, [*last, n): a headline dropped or replaced, a site's header or
 * footer. Covered islands shorter than HOW_SENTENCE in them belong to the
 * edge: a new headline's words that the text has elsewhere ("Reservoir at
 * 30-year low" over a story about the reservoir). *lead and *trail: the
 * live characters of each edge not covered; *islands: those covered.
 */
static void
edges(const struct side *s, size_t *first, size_t *last, size_t *lead,
    size_t *trail, size_t *islands)
{
	size_t n = s->d->nchars, i, run = 0, gap = 0, seen = 0;

	*first = n;
	for (i = 0; i < n; i++) {
		if (s->mask[i])
			continue;
		if (!s->cov[i]) {
			gap++;
			run = 0;
			continue;
		}
		seen++;
		if (run++ == 0)
			*first = i;
		if (run == HOW_SENTENCE)
			break;
	}
	if (i == n) { /* no covered run long enough: all edge */
		*first = *last = n;
		*lead = gap;
		*trail = 0;
		*islands = seen;
		return;
	}
	/* gap and seen counted what came before the run. */
	*lead = gap;
	*islands = seen - run;
	*last = 0;
	gap = run = seen = 0;
	for (i = n; i > *first; i--) {
		if (s->mask[i - 1])
			continue;
		if (!s->cov[i - 1]) {
			gap++;
			run = 0;
			continue;
		}
		seen++;
		if (run++ == 0)
			*last = i;
		if (run == HOW_SENTENCE)
			break;
	}
	*trail = gap;
	*islands += seen - run;
}

/*
 * The coverage of s without its edges: a headline dropped, a site's
 * header or footer around an article. A wrapped copy whose original lost
 * its headline has neither text whole otherwise. From the side's counts,
 * the edges taken out (not a scan of the whole text: every near
 * duplicate asks).
 */
static double
inner_coverage(const struct side *s)
{
	size_t first, last, lead, trail, islands, live;

	edges(s, &first, &last, &lead, &trail, &islands);
	live = s->live_chars - lead - trail - islands;
	return live ? (double)(s->covered - islands) / (double)live : 0;
}

/*
 * A word changed at the very start or end of the text (its first or last
 * words, which no gram covers on either side, so no gap between covered
 * runs shows it): an edge shorter than a word gap on both sides, where an
 * added header or a dropped headline leaves one on one side only, and a
 * new headline one longer (its islands in it).
 */
static int
edge_word_edit(const struct side *a, const struct side *b)
{
	size_t fa, la, leada, traila, fb, lb, leadb, trailb, isl;
	size_t na = a->d->nchars, nb = b->d->nchars;

	edges(a, &fa, &la, &leada, &traila, &isl);
	edges(b, &fb, &lb, &leadb, &trailb, &isl);
	return (leada > 0 && leadb > 0 && fa < HOW_WORD_GAP &&
	           fb < HOW_WORD_GAP) ||
	       (traila > 0 && trailb > 0 && na - la < HOW_WORD_GAP &&
	           nb - lb < HOW_WORD_GAP);
}

/*
 * Short stretches of s not covered inside covered text (masked characters
 * aside): a word the other text has otherwise. A typo or a changed word
 * leaves one of about its length on both sides, within a sentence the
 * grams around it cover; a line added or cut leaves a long one on one
 * side only, and a line cut whose words recur elsewhere (a headline)
 * leaves short ones between short covered islands.
 */
static size_t
inner_word_gaps(const struct side *s)
{
	size_t n = s->d->nchars, gaps = 0, gap = 0, before = 0, after = 0;
	size_t i;

	/* Covered runs and gaps in turn: a gap counts once the covered run
	 * after it is long enough. */
	for (i = 0; i <= n; i++) {
		int cov = i < n && s->cov[i];

		if (i < n && s->mask[i])
			continue;
		if (cov) {
			if (++after == HOW_SENTENCE && gap > 0 &&
			    gap < HOW_WORD_GAP && before >= HOW_SENTENCE)
				gaps++;
			continue;
		}
		if (after > 0) { /* a covered run ends */
			before = after;
			gap = after = 0;
		}
		gap++;
	}
	return gaps;
}

/* A near duplicate's how (match.h): in r. */
static void
near_dup_how(
    const struct side *small, const struct side *large, struct match_result *r)
{
	double s = inner_coverage(small), l = inner_coverage(large);
	double whole = s > l ? s : l;

	r->how = match_how_guess(whole, whole);
	/* Edited within its sentences: a figure changed (figures read alike
	 * to the grams), a word changed or mistyped on both sides (neither
	 * wholly covered inside: the gaps are looked for only then). */
	if (r->how == MATCH_HOW_BOILERPLATE &&
	    (r->facts_differ > 0 || edge_word_edit(small, large) ||
	        (s < 1 && l < 1 && inner_word_gaps(small) > 0 &&
	            inner_word_gaps(large) > 0)))
		r->how = MATCH_HOW_REWRITE;
	/* Moved paragraphs lose the grams over their ends: up to a few in a
	 * hundred characters. */
	if (whole < HOW_ORDER_FROM)
		return;
	r->in_order = in_order(small, large);
	if (r->in_order < HOW_IN_ORDER)
		r->how = MATCH_HOW_REORDER;
}

/* Compare the two sides (built with the same common keys) into r. */
static int
compare(struct side *sa, struct side *sb, const struct match_params *p,
    struct match_result *r)
{
	size_t na = sa->live.n, nb = sb->live.n;
	size_t inter = cover(sa, sb), uni = na + nb - inter;

	r->in_order = 1;
	r->jaccard = uni ? (double)inter / uni : 0;
	/* Every relation needs passages covering a good part of the smaller
	 * text, hence many shared grams: most candidates stop here. */
	if (inter < MIN_SHARED_SHARE * (na < nb ? na : nb) || inter == 0)
		return 0;
	cover(sb, sa);
	int a_small = sa->live_chars <= sb->live_chars;
	struct side *small = a_small ? sa : sb;
	struct side *large = a_small ? sb : sa;
	check_facts(small, large, &r->facts_agree, &r->facts_differ);
	r->cont_ab = sa->coverage;
	r->cont_ba = sb->coverage;
	r->passage = small->passage;
	r->relation =
	    classify(small, large, r->facts_agree, r->facts_differ, p);
	if (r->relation == MATCH_EXCERPT || r->relation == MATCH_PARTIAL)
		r->direction = a_small ? 1 : -1;
	if (r->relation == MATCH_NEAR_DUPLICATE)
		near_dup_how(small, large, r);
	return 0;
}

struct match_verifier {
	struct side a;
	const uint64_t *common;
	size_t ncommon;
};

/* One comparison: a verifier of a alone, on the stack. */
int
match_verify(const struct match_doc *a, const struct match_doc *b,
    const uint64_t *common, size_t ncommon, const struct match_params *p,
    struct match_result *r)
{
	struct match_verifier v = {.common = common, .ncommon = ncommon};
	int rc;

	if (match_verify_exact(a, b->norm_hash, b->ntokens, r))
		return 0; /* without building a's side */
	if ((rc = side_init(&v.a, a, common, ncommon)) == 0)
		rc = match_verifier_run(&v, b, p, r);
	side_free(&v.a);
	return rc;
}

int
match_verifier_new(const struct match_doc *a, const uint64_t *common,
    size_t ncommon, struct match_verifier **out)
{
	struct match_verifier *v = calloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	if (v == NULL)
		return -ENOMEM;
	if ((rc = side_init(&v->a, a, common, ncommon)) < 0) {
		match_verifier_free(v);
		return rc;
	}
	v->common = common;
	v->ncommon = ncommon;
	*out = v;
	return 0;
}

int
match_verifier_run(struct match_verifier *v, const struct match_doc *b,
    const struct match_params *p, struct match_result *r)
{
	struct side sb;
	int rc;

	memset(&sb, 0, sizeof(sb));
	if (match_verify_exact(v->a.d, b->norm_hash, b->ntokens, r))
		return 0;
	/* compare() writes only the per-comparison fields of a's side
	 * (coverage, cov): its mask and gram set serve every b. */
	if ((rc = side_init(&sb, b, v->common, v->ncommon)) == 0)
		rc = compare(&v->a, &sb, p, r);
	side_free(&sb);
	return rc;
}

void
match_verifier_free(struct match_verifier *v)
{
	if (v == NULL)
		return;
	side_free(&v->a);
	free(v);
}
