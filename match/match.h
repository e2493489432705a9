/*
 * match.h - deciding whether two articles are the same story, and how.
 *
 * Pure functions over shingle/: no I/O, no global state. A match_doc holds
 * the features of one article (built from its text, or decoded from the
 * blob the store keeps); match_verify() compares two of them exactly and
 * classifies the relation; match_explain() finds the shared passages.
 *
 * The candidate search (which stored documents to verify) lives in the
 * daemon; it uses match_doc_keys() as keys of the store's inverted index.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>
#include <stdint.h>

enum match_relation {
	MATCH_NONE = 0,
	MATCH_EXACT = 1,          /* same normalized text */
	MATCH_NEAR_DUPLICATE = 2, /* same article, light edits / boilerplate */
	MATCH_EXCERPT = 3,        /* most of one is contained in the other */
	MATCH_PARTIAL = 4,        /* they share substantial passages */
};

/* "exact", "near_duplicate", ...; "none" for MATCH_NONE. */
const char *match_relation_name(enum match_relation r);
/* The relation named s, or -1. */
int match_relation_parse(const char *s);
/* Whether relation r makes two texts copies of one story (exact, near
 * duplicate, excerpt; not partial): what joins a syndication cluster. */
static inline int
match_same_story(uint32_t r)
{
	return r == MATCH_EXACT || r == MATCH_NEAR_DUPLICATE ||
	       r == MATCH_EXCERPT;
}

/*
 * How a near duplicate differs from the other text, once both are
 * stripped of boilerplate the store knows (see match_params):
 */
enum match_how {
	MATCH_HOW_UNKNOWN = 0,     /* not a near duplicate, or not known */
	MATCH_HOW_BOILERPLATE = 1, /* one text whole in the other, in order:
	                              lines around or between its passages
	                              added or cut (a site's header, footer,
	                              markers; a whole sentence too) */
	MATCH_HOW_REORDER = 2,     /* one whole in the other, passages moved */
	MATCH_HOW_REWRITE = 3,     /* edited within its sentences: words
	                              changed, typos, OCR noise, a figure */
};
/*
 * The word for a pair, the relation refined: "exact", "boilerplate",
 * "reorder", "rewrite", "excerpt", "partial" ("none" for MATCH_NONE). A
 * near duplicate of unknown how (a pair stored before it was recorded)
 * is told from its coverages by match_how_guess().
 */
const char *match_how_name(
    enum match_relation r, enum match_how how, double cont_ab, double cont_ba);
/* A near duplicate's how from its coverages alone, without the order of
 * its passages: boilerplate or rewrite. */
enum match_how match_how_guess(double cont_ab, double cont_ba);

/* Tunables; see docs/matching.md for the reasons behind the defaults.
 * "Coverage" is the share of a text's characters (after normalization,
 * outside boilerplate) that lie under character 8-grams found in the other
 * text; "passage coverage" counts only runs of at least 20 consecutive
 * shared grams (27 characters), i.e. copied passages, not stock phrases. */
struct match_params {
	/* A key held by more than this many stored documents is boilerplate:
	 * the text under it does not count as shared. */
	unsigned boilerplate_df;
	double near_dup_small;        /* coverage of the smaller text */
	double near_dup_large;        /* coverage of the larger text */
	double near_dup_passage;      /* passage coverage of the smaller */
	double excerpt_small;         /* coverage of the smaller text */
	double excerpt_passage;       /* passage coverage of the smaller */
	double partial_passage;       /* passage coverage of the smaller */
	double partial_passage_large; /* passage coverage of the larger */
	/* Share of the figures in shared context that differ, above which two
	 * texts are different reports from one template (when two or more
	 * differ: one is an update, a corrected figure). */
	double fact_disagreement;
	unsigned
	    min_chars; /* shorter texts (outside boilerplate) never match */
};
void match_params_default(struct match_params *p);

struct match_doc;

/*
 * Build the features of `len` bytes of UTF-8 text. Returns 0, -ENOMEM or
 * -EFBIG. Free with match_doc_free().
 */
int match_doc_build(const char *text, size_t len, struct match_doc **out);
/*
 * As match_doc_build() but without the sketch (MinHash, SimHash) and the
 * keys: for a stored document that is only verified against.
 * match_doc_encode() then fails with -EINVAL, match_doc_keys() gives none.
 */
int match_doc_build_light(const char *text, size_t len, struct match_doc **out);
void match_doc_free(struct match_doc *d);
/* Bytes of memory d holds (a cache's measure). */
size_t match_doc_bytes(const struct match_doc *d);

/*
 * The sketch of a document (MinHash signature and SimHash), which the
 * store keeps as the document's signature: enough to estimate similarity
 * without the text. encode fills a malloc'd blob (caller frees); decode
 * returns -EINVAL on a malformed blob and never reads past len.
 */
struct match_sketch {
	uint32_t minhash[128];
	uint64_t simhash;
	uint32_t nchars;
	uint32_t nkeys; /* index keys of the document */
};
int match_doc_encode(const struct match_doc *d, void **blob, size_t *len);
int match_sketch_decode(const void *blob, size_t len, struct match_sketch *out);
/* Only the nkeys field of a blob (the candidate filter's one need). */
int match_sketch_nkeys(const void *blob, size_t len, uint32_t *nkeys);
/* Estimated Jaccard similarity of the two documents' gram sets. */
double match_sketch_jaccard(
    const struct match_sketch *a, const struct match_sketch *b);

/* Keys for the inverted index (unique, sorted); the array belongs to d.
 * They are a sample of the text's fingerprints, the same in every text, so
 * two texts sharing a passage share about half its fingerprints as keys.
 * A short text keeps all its fingerprints as keys (it then has fewer than
 * MATCH_SHORT_KEYS), of which a longer text it was cut from holds only
 * about half. */
#define MATCH_SHORT_KEYS 16
size_t match_doc_keys(const struct match_doc *d, const uint64_t **keys);
uint64_t match_doc_norm_hash(const struct match_doc *d);
uint32_t match_doc_ntokens(const struct match_doc *d);
/* Length of the squeezed text in code points (a size for "longer"). */
uint32_t match_doc_nchars(const struct match_doc *d);

struct match_result {
	enum match_relation relation;
	double jaccard; /* of the filtered feature sets */
	double cont_ab; /* coverage of a by b: share of a's text found in b */
	double cont_ba; /* coverage of b by a */
	double passage; /* passage coverage of the smaller text */
	unsigned facts_agree, facts_differ; /* figures in shared context */
	/* For excerpt/partial: 1 if a is contained in b (b the larger),
	 * -1 if b in a, 0 if symmetric. */
	int direction;
	enum match_how how; /* for a near duplicate */
	double in_order;    /* its shared passages' share in the same order
	                       (1 unless one text is whole in the other) */
};

/*
 * Compare a and b. `common` lists (sorted ascending) the keys that the
 * store holds for more than p->boilerplate_df documents; text under them
 * is ignored. Returns 0 and fills r (r->relation MATCH_NONE when they are
 * different stories), or -ENOMEM.
 */
int match_verify(const struct match_doc *a, const struct match_doc *b,
    const uint64_t *common, size_t ncommon, const struct match_params *p,
    struct match_result *r);

/*
 * match_verify()'s answer when b's normalized text is a's, known from b's
 * stored norm hash and token count without b's features: returns 1 with r
 * filled (MATCH_EXACT), else 0 (b is to be verified).
 */
int match_verify_exact(const struct match_doc *a, uint64_t b_norm_hash,
    uint32_t b_ntokens, struct match_result *r);

/*
 * match_verify() of one document against several (a new document against
 * its candidates): a's side of the comparison (its boilerplate mask and
 * gram set) is built once. The verifier keeps pointers to a and common,
 * which must outlive it. new returns 0 or -ENOMEM; run is match_verify(a,
 * b, common, ncommon, p, r).
 */
struct match_verifier;
int match_verifier_new(const struct match_doc *a, const uint64_t *common,
    size_t ncommon, struct match_verifier **out);
int match_verifier_run(struct match_verifier *v, const struct match_doc *b,
    const struct match_params *p, struct match_result *r);
void match_verifier_free(struct match_verifier *v);

/* ---- Explanation ----------------------------------------------------------
 */

/* One passage of A found in B: byte ranges in the two original texts. */
struct match_passage {
	uint32_t a_off, a_len;
	uint32_t b_off, b_len;
};

/*
 * Passages of text a that appear in text b (maximal runs of shared word
 * shingles, merged when close), in order of a. Boilerplate is left out
 * when `common` (as for match_verify) is given. *out is malloc'd (caller
 * frees). Returns 0, -ENOMEM or -EFBIG.
 */
int match_explain(const char *a, size_t alen, const char *b, size_t blen,
    const uint64_t *common, size_t ncommon, struct match_passage **out,
    size_t *n);

#endif
