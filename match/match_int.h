/*
 * match_int.h - match/ internals shared by match.c and explain.c.
 * Not part of the module's contract.
 */
#ifndef MATCH_INT_H
#define MATCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "shingle.h"

#define GRAM_K 8       /* code points per character gram */
#define WINNOW_W 32    /* grams per winnowing window */
#define PASSAGE_RUN 20 /* consecutive shared grams that make a passage */
#define FACT_WINDOW 24 /* shared text this close on both sides: in context */
/*
 * Index keys are the fingerprints whose hash is even: half of them, the
 * same half in every text (a gram's hash decides), so two texts sharing a
 * passage share half its fingerprints as keys. Every key costs a lookup
 * at ingest and a posting written ~8 times by the index's merges: half
 * the keys took 30% off a backfill at 100k documents, and the development
 * corpus kept its recall, with one false pair more (docs/performance.md,
 * seventh measurement). A text with fewer than KEY_FULL_BELOW sampled keys
 * (under ~250 characters) keeps all its fingerprints as keys: about twice
 * as many, under MATCH_SHORT_KEYS (match.h), which detection treats as a
 * short text.
 */
#define KEY_SAMPLED(fp) (((fp)&1) == 0)
#define KEY_FULL_BELOW (MATCH_SHORT_KEYS / 2)
#define NUM_SEED 0x6e756d62657273ULL /* "numbers" */
#define SKETCH_MAGIC 0x524d5331u     /* "RMS1" */

struct match_doc {
	uint64_t norm_hash;
	uint32_t ntokens;
	uint32_t nchars; /* code points of the squeezed text */
	/* Gram hashes in text order (gram i starts at char i), folded to 32
	 * bits (match_gram_fold) once the sketch and fingerprints, which
	 * need all 64, are made: verification looks them up in tables of 32
	 * bits, and a document kept for it (daemon/detect.c) weighs half. */
	uint32_t *grams;
	size_t ngrams;
	uint64_t *fp;     /* winnowed fingerprints, text order */
	uint32_t *fp_pos; /* their gram index */
	size_t nfp;
	uint64_t *keys; /* fingerprints sorted, unique */
	size_t nkeys;
	uint32_t *num_start, *num_end; /* char span of each number token */
	uint64_t *num_canon;           /* its canonical hash */
	/* Each number with the word before it and with the word after it
	 * (num_context(): 0 at either end of the text): 2 per number. */
	uint64_t *num_ctx;
	size_t nnums;
	uint64_t *num_set; /* canonical hashes sorted, unique */
	size_t nnum_set;
	uint64_t *num_ctx_set; /* the num_ctx sorted, unique, without 0 */
	size_t nnum_ctx_set;
	uint32_t minhash[SHINGLE_MINHASH_N];
	uint64_t simhash;
	int sketched; /* minhash and simhash computed */
	size_t bytes; /* of the block holding d and its arrays */
};

/* A gram hash folded to the 32 bits verification compares: both halves
 * (XXH3 output: every bit is as good as any); never 0, which marks an
 * empty slot of a gram set. */
static inline uint32_t
match_gram_fold(uint64_t h)
{
	uint32_t v = (uint32_t)(h ^ h >> 32);
	return v | !v;
}

/* Whether sorted set[0..n) holds k. */
int match_has_key(const uint64_t *set, size_t n, uint64_t k);
/* Mark in mask[0..d->nchars] the characters under boilerplate: common
 * (sorted) fingerprints and the stretches between close ones. Returns how
 * many characters it marked. */
size_t match_mask_boilerplate(const struct match_doc *d, const uint64_t *common,
    size_t ncommon, unsigned char *mask);

/*
 * match_explain() that adds to *probes the grams of the other text it
 * looked at (index search steps and grams read in place): a measure of
 * its work that does not depend on the machine, for the tests.
 */
int match_explain_probes(const char *a, size_t alen, const char *b, size_t blen,
    const uint64_t *common, size_t ncommon, struct match_passage **out,
    size_t *n, size_t *probes);

#endif
