/*
 * shingle.h - text to fingerprints.
 *
 * Pure functions: no I/O, no global state, no allocation except where a
 * function says so (shingle_text_init). The caller owns every buffer it
 * passes in. All hashes are XXH3-64 with fixed seeds, so fingerprints are
 * stable across runs and machines (they are stored on disk).
 *
 * Pipeline:
 *   UTF-8 bytes --shingle_text_init--> normalized tokens
 *     --shingle_words/shingle_chars--> 64-bit shingle hashes
 *     --shingle_sort_unique--> sorted sets   --shingle_intersect--> overlap
 *     --shingle_winnow--> index fingerprints (with positions)
 *     --shingle_minhash / shingle_simhash--> sketches
 */
#ifndef SHINGLE_H
#define SHINGLE_H

#include <stddef.h>
#include <stdint.h>

/* ---- Normalization ---------------------------------------------------- */

/* Token flags. */
#define SHINGLE_TOK_DIGIT 0x1u /* contains a decimal digit ("1987", "2.6") */
#define SHINGLE_TOK_CJK 0x2u   /* one ideographic/kana/hangul code point */
#define SHINGLE_TOK_UPPER 0x4u /* first letter was uppercase in the source */

/*
 * One token. off/len index shingle_text.norm (normalized bytes);
 * src_off/src_len index the original input, so that a passage can be shown
 * to a person with offsets into the file they gave us.
 */
struct shingle_token {
	uint32_t off, len;
	uint32_t src_off, src_len;
	uint32_t flags;
};

/*
 * Normalized text. `norm` holds the tokens, each NFKC-normalized and case
 * folded, separated by exactly one space and NUL-terminated.
 *
 * Rules: letters, digits and marks make tokens; everything else
 * (punctuation, symbols, whitespace, control characters) separates them,
 * except that '.', ',' and '\'' between two digits stay inside a number
 * token ("2.6", "1,000"), and an apostrophe between two letters is dropped
 * ("don't" -> "dont"). A hyphen followed by a line break inside a word is
 * a soft hyphen of a narrow column and joins the two halves ("syn-\nergy").
 * Each CJK code point (Han, Hiragana, Katakana, Hangul) is its own token.
 * Invalid UTF-8 is replaced by U+FFFD, which separates tokens; nreplaced
 * counts the replacements. Pure ASCII input takes a fast path that gives
 * the same result as the Unicode path.
 */
struct shingle_text {
	char *norm; /* owned, NUL-terminated */
	size_t norm_len;
	struct shingle_token *tok; /* owned, ntok entries */
	size_t ntok;
	size_t nreplaced; /* invalid UTF-8 sequences replaced */
};

/*
 * Normalize `len` bytes of `src` into `t`. Returns 0, or -ENOMEM (t is then
 * left empty and needs no free), or -EFBIG if len > UINT32_MAX / 2.
 * The result must be released with shingle_text_free().
 */
int shingle_text_init(struct shingle_text *t, const char *src, size_t len);
void shingle_text_free(struct shingle_text *t);

/* ---- Shingles ---------------------------------------------------------- */

/*
 * Word k-shingles: the hash of every k consecutive tokens, in text order
 * (not sorted, duplicates kept). A text of 1..k-1 tokens yields one shingle
 * of all its tokens; no tokens yields none. `out` must hold
 * shingle_words_max(t, k) entries; returns the count written.
 * `pos`, if not NULL, receives the index of each shingle's first token.
 */
size_t shingle_words_max(const struct shingle_text *t, unsigned k);
size_t shingle_words(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos);

/*
 * Character k-grams over the "squeezed" text: the tokens concatenated with
 * no separator, counted in code points. Squeezing makes the grams survive
 * merged words ("of the" -> "ofthe"), split words and re-wrapped columns.
 * Text order, duplicates kept. `out` must hold shingle_chars_max(t, k);
 * returns the count written. `pos`, if not NULL, receives for each gram the
 * index of the token in which it starts.
 */
size_t shingle_chars_max(const struct shingle_text *t, unsigned k);
size_t shingle_chars(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos);

/* Hash of one token (the same function word shingles use for k = 1). */
uint64_t shingle_token_hash(const struct shingle_text *t, size_t i);

/* Sort ascending and drop duplicates in place; returns the new count. */
size_t shingle_sort_unique(uint64_t *h, size_t n);

/* |a ∩ b| for two sorted unique arrays. */
size_t shingle_intersect(
    const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/*
 * Winnowing (Schleimer, Wilkerson, Aiken 2003): in every window of w
 * consecutive hashes select the minimum (the rightmost on ties) and record
 * each selected position once. Any passage shared by two texts that spans
 * at least w hashes shares at least one selected hash. `out` and `pos` must
 * hold n entries (pos may be NULL); returns the count written, in text
 * order. If n < w the minimum of all n is selected.
 */
size_t shingle_winnow(
    const uint64_t *h, size_t n, unsigned w, uint64_t *out, uint32_t *pos);

/* ---- Sketches ------------------------------------------------------------ */

#define SHINGLE_MINHASH_N 128

/*
 * One-permutation MinHash with optimal densification (Shrivastava, ICML
 * 2017): one pass over the n hashes, SHINGLE_MINHASH_N bins, empty bins
 * filled from non-empty ones. The fraction of equal slots of two
 * signatures estimates the Jaccard similarity of the two sets. An empty
 * input gives a signature of all 0xffffffff.
 */
void shingle_minhash(
    const uint64_t *h, size_t n, uint32_t sig[SHINGLE_MINHASH_N]);
double shingle_minhash_jaccard(
    const uint32_t a[SHINGLE_MINHASH_N], const uint32_t b[SHINGLE_MINHASH_N]);

/*
 * LSH band keys of a signature: `nbands` bands of `rows` slots each
 * (nbands * rows <= SHINGLE_MINHASH_N), each hashed with its band number so
 * that equal keys mean an equal band. Writes nbands keys to out.
 */
void shingle_minhash_bands(const uint32_t sig[SHINGLE_MINHASH_N],
    unsigned nbands, unsigned rows, uint64_t *out);

/* Charikar's SimHash of a multiset of hashes; Hamming distance of two. */
uint64_t shingle_simhash(const uint64_t *h, size_t n);
unsigned shingle_simhash_distance(uint64_t a, uint64_t b);

#endif
