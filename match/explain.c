/*
 * explain.c - which passages of one text appear in another.
 *
 * The same character 8-grams as match_verify(): a passage is a run of
 * consecutive grams of A found in B, runs separated by a few unmatched
 * characters (a typo, an OCR error) are merged, and runs too short to be
 * more than a stock phrase are dropped. Offsets are mapped back to the
 * original bytes through the tokens, so a passage starts and ends on word
 * boundaries of the files as given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "match_int.h"
#include "shingle.h"

#define EXPLAIN_MIN_RUN 12 /* grams: about three words */
#define EXPLAIN_MERGE_GAP GRAM_K

/* A text with its grams and, for every squeezed character, its token. */
struct etext {
	struct shingle_text t;
	uint64_t *grams;
	size_t ngrams;
	uint32_t *tok_of; /* per squeezed character */
	uint32_t *tok_cp; /* per token: its first squeezed character */
	uint32_t nchars;
};

static void
etext_free(struct etext *e)
{
	shingle_text_free(&e->t);
	free(e->grams);
	free(e->tok_of);
	free(e->tok_cp);
}

static int
etext_init(struct etext *e, const char *s, size_t len)
{
	int rc;
	memset(e, 0, sizeof(*e));
	if ((rc = shingle_text_init(&e->t, s, len)) < 0)
		return rc;
	size_t max = shingle_chars_max(&e->t, GRAM_K);
	e->grams = malloc((max ? max : 1) * sizeof(uint64_t));
	e->tok_of = malloc((e->t.norm_len + 1) * sizeof(uint32_t));
	e->tok_cp = malloc((e->t.ntok + 1) * sizeof(uint32_t));
	if (e->grams == NULL || e->tok_of == NULL || e->tok_cp == NULL)
		return -ENOMEM;
	e->ngrams = shingle_chars(&e->t, GRAM_K, e->grams, NULL);
	for (size_t i = 0; i < e->t.ntok; i++) {
		const char *p = e->t.norm + e->t.tok[i].off;
		e->tok_cp[i] = e->nchars;
		for (uint32_t j = 0; j < e->t.tok[i].len; j++)
			if (((unsigned char)p[j] & 0xc0) != 0x80)
				e->tok_of[e->nchars++] = (uint32_t)i;
	}
	return 0;
}

struct gram_pos {
	uint64_t h;
	uint32_t pos;
};

static int
gram_pos_cmp(const void *x, const void *y)
{
	const struct gram_pos *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* First position of gram h in B, or -1. */
static long
find_gram(const struct gram_pos *idx, size_t n, uint64_t h, size_t *probes)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		++*probes;
		if (idx[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && idx[lo].h == h ? (long)idx[lo].pos : -1;
}

/*
 * The position of gram h in B nearest to `want` (the lower one of two as
 * near), or -1. The occurrences of h are a run of idx sorted by position:
 * binary searches for the run and for `want` within it, so a gram that
 * repeats all through B (a text of one word over and over) costs log n,
 * not one look per occurrence.
 */
static long
find_gram_near(
    const struct gram_pos *idx, size_t n, uint64_t h, long want, size_t *probes)
{
	size_t lo = 0, hi = n, first;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		++*probes;
		if (idx[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || idx[lo].h != h)
		return -1;
	/* The first occurrence at or after want, or the run's end. */
	first = lo;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		++*probes;
		if (idx[mid].h == h && (long)idx[mid].pos < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || idx[lo].h != h)
		return (long)idx[lo - 1].pos;
	if (lo == first)
		return (long)idx[lo].pos;
	long after = (long)idx[lo].pos, before = (long)idx[lo - 1].pos;
	return want - before <= after - want ? before : after;
}

/*
 * The position of gram h in B nearest to `want` if it is within `gap` of
 * it (the lower one of two as near), else -1: what find_gram_near() says
 * about a gram that is to continue a passage, read off B's grams in place.
 */
static long
gram_near_in(
    const struct etext *e, uint64_t h, long want, long gap, size_t *probes)
{
	long n = (long)e->ngrams;
	for (long d = 0; d <= gap; d++) {
		++*probes;
		if (want - d >= 0 && want - d < n && e->grams[want - d] == h)
			return want - d;
		if (d > 0 && want + d >= 0 && want + d < n &&
		    e->grams[want + d] == h)
			return want + d;
	}
	return -1;
}

static int
push(struct match_passage **out, size_t *n, size_t *cap,
    const struct match_passage *p)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct match_passage *q = realloc(*out, ncap * sizeof(*q));
		if (q == NULL)
			return -ENOMEM;
		*out = q;
		*cap = ncap;
	}
	(*out)[(*n)++] = *p;
	return 0;
}

/*
 * Byte range in the source of the whole tokens within squeezed characters
 * [from, to): a gram that happens to match across a word boundary does
 * not drag the neighbouring word in. Returns 0 if no whole token fits.
 */
static int
source_range(const struct etext *e, uint32_t from, uint32_t to, uint32_t *off,
    uint32_t *len, uint32_t *cfrom)
{
	uint32_t first = e->tok_of[from], last = e->tok_of[to - 1];
	if (e->tok_cp[first] != from)
		first++;
	if (last + 1 < e->t.ntok ? e->tok_cp[last + 1] != to : e->nchars != to)
		last--;
	if (first > last || last == UINT32_MAX)
		return 0;
	*off = e->t.tok[first].src_off;
	*len = e->t.tok[last].src_off + e->t.tok[last].src_len - *off;
	*cfrom = e->tok_cp[first];
	return 1;
}

/*
 * A's boilerplate mask needs A's fingerprints: rebuild them through
 * match_doc_build() rather than repeat the winnowing here.
 */
static int
mask_of(const char *a, size_t alen, const uint64_t *common, size_t ncommon,
    uint32_t nchars, unsigned char **mask)
{
	struct match_doc *d;
	int rc;
	*mask = calloc(nchars + 1, 1);
	if (*mask == NULL)
		return -ENOMEM;
	if (ncommon == 0)
		return 0;
	if ((rc = match_doc_build(a, alen, &d)) < 0)
		return rc;
	if (d->nchars == nchars)
		match_mask_boilerplate(d, common, ncommon, *mask);
	match_doc_free(d);
	return 0;
}

int
match_explain(const char *a, size_t alen, const char *b, size_t blen,
    const uint64_t *common, size_t ncommon, struct match_passage **out,
    size_t *n)
{
	size_t probes = 0;
	return match_explain_probes(
	    a, alen, b, blen, common, ncommon, out, n, &probes);
}

/*
 * The work is counted in *probes: one for each step of a search of B's
 * index and each gram of B read in place. Every gram of A costs a
 * bounded number of them: at most a binary search (log of B's grams) to
 * start a passage, the few grams within EXPLAIN_MERGE_GAP of where it
 * goes on in B to follow one, and two binary searches per passage found.
 */
int
match_explain_probes(const char *a, size_t alen, const char *b, size_t blen,
    const uint64_t *common, size_t ncommon, struct match_passage **out,
    size_t *n, size_t *probes)
{
	struct etext ea, eb;
	struct gram_pos *idx = NULL;
	unsigned char *mask = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&eb, 0, sizeof(eb));
	if ((rc = etext_init(&ea, a, alen)) < 0 ||
	    (rc = etext_init(&eb, b, blen)) < 0)
		goto out;
	if ((rc = mask_of(a, alen, common, ncommon, ea.nchars, &mask)) < 0)
		goto out;
	rc = -ENOMEM;
	if ((idx = malloc((eb.ngrams ? eb.ngrams : 1) * sizeof(*idx))) == NULL)
		goto out;
	for (size_t i = 0; i < eb.ngrams; i++) {
		idx[i].h = eb.grams[i];
		idx[i].pos = (uint32_t)i;
	}
	qsort(idx, eb.ngrams, sizeof(*idx), gram_pos_cmp);

	/* Runs of consecutive shared grams of A, merged across small gaps. */
	size_t i = 0;
	while (ea.nchars >= GRAM_K && i < ea.ngrams) {
		long bpos;
		if (mask[i] || (bpos = find_gram(
		                    idx, eb.ngrams, ea.grams[i], probes)) < 0) {
			i++;
			continue;
		}
		size_t start = i, end = i, hits = 0, gap = 0;
		long bstart = bpos, bend = bpos;
		/* Follow the run through B: where a gram occurs more than
		 * once, take the occurrence that continues the passage. A
		 * gram found elsewhere in B does not continue it, so only
		 * B's grams around `want` are looked at (the first, at
		 * bpos, is where `want` starts). */
		for (; i < ea.ngrams; i++) {
			long want = bend + (long)(i - end);
			long p = mask[i] ? -1
			                 : gram_near_in(&eb, ea.grams[i], want,
			                       EXPLAIN_MERGE_GAP, probes);
			if (p < 0) {
				if (++gap > EXPLAIN_MERGE_GAP)
					break;
				continue;
			}
			gap = 0;
			if (hits++ == 0)
				bstart = p;
			end = i;
			bend = p;
		}
		if (hits < EXPLAIN_MIN_RUN)
			continue;
		struct match_passage ps;
		uint32_t bto = (uint32_t)bend + GRAM_K;
		uint32_t afrom, bfrom;
		if (!source_range(&ea, (uint32_t)start, (uint32_t)end + GRAM_K,
		        &ps.a_off, &ps.a_len, &afrom))
			continue;
		/* B's passage starts where A's first whole word is found. */
		if (afrom < ea.ngrams &&
		    (bpos = find_gram_near(idx, eb.ngrams, ea.grams[afrom],
		         bend - (long)(end - afrom), probes)) >= 0 &&
		    bpos <= bend)
			bstart = bpos;
		if (!source_range(&eb, (uint32_t)bstart,
		        bto < eb.nchars ? bto : eb.nchars, &ps.b_off, &ps.b_len,
		        &bfrom))
			continue;
		if ((rc = push(out, n, &cap, &ps)) < 0)
			goto out;
		rc = -ENOMEM;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	free(idx);
	free(mask);
	etext_free(&ea);
	etext_free(&eb);
	return rc;
}
