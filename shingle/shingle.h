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
#define SHINGLE_TOK_UPPER 0x4u /* first letter upper/titlecase in source */

/*
 * One token. off/len index shingle_text.norm (normalized bytes);
 * src_off/src_len index the original input, so that a passage can be shown
 * to a person with offsets into the file they gave us. src_off/src_len
 * cover the token's first to last source code point, including anything
 * dropped inside it ("don't", "syn-\nergy"). Source ranges only overlap
 * when NFKC splits one code point into several tokens ("½" -> "1" "2").
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
 *
 * In detail (the rules apply to the code points after NFKC + case folding,
 * so full-width "Ａ" is a letter and "①" a digit):
 *  - letters are L*, plus Nl and No (numbers that are not digits); digits
 *    are Nd; marks are M*. SHINGLE_TOK_DIGIT means an Nd.
 *  - apostrophe is U+0027 or U+2019; kept between digits as U+0027
 *    ("1’000" -> "1'000").
 *  - hyphen is '-' or U+2010/U+2011; the line break is one of LF, CR, CR LF,
 *    NEL, LS, with spaces or tabs allowed on either side; the character
 *    after it must be a letter ("2-\n3" stays two tokens).
 *  - soft hyphen, ZWJ, ZWNJ, word joiner and BOM are ignored, not
 *    separators.
 *  - a CJK token is one code point plus any marks that follow it
 *    (half-width "ｶﾞ" -> "ガ"); Hangul jamo compose into one syllable.
 *  - each ill-formed sequence is replaced by one U+FFFD per maximal
 *    subpart (Unicode 3.9): a truncated sequence counts once, each stray
 *    byte once. Overlongs, surrogates and values above U+10FFFF are
 *    ill-formed.
 */
struct shingle_text {
	char *norm; /* owned, NUL-terminated */
	size_t norm_len;
	struct shingle_token *tok; /* owned, ntok entries */
	size_t ntok;
	size_t nreplaced; /* invalid UTF-8 sequences replaced */
	int ascii;        /* the source was ASCII, and so is norm */
};

/*
 * Normalize `len` bytes of `src` into `t`. Returns 0, or -ENOMEM (t is then
 * left empty and needs no free), or -EFBIG if len > UINT32_MAX / 2 or
 * if the normalized text would exceed UINT32_MAX bytes (decompositions
 * can expand it), or -EINVAL if src is NULL and len > 0. Any byte
 * sequence is accepted. The result must be released with
 * shingle_text_free(), which leaves t empty (freeing twice is harmless).
 */
int shingle_text_init(struct shingle_text *t, const char *src, size_t len);
void shingle_text_free(struct shingle_text *t);

/* ---- Shingles ---------------------------------------------------------- */

/*
 * Word k-shingles: the hash of every k consecutive tokens, in text order
 * (not sorted, duplicates kept). A text of 1..k-1 tokens yields one shingle
 * of all its tokens; no tokens, or k = 0, yields none. `out` must hold
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
 * Text order, duplicates kept. As for words, a text of 1..k-1 code points
 * yields one gram of all of it, and k = 0 none. Each gram is the XXH3 of
 * its UTF-8 bytes. Uses 4 KiB of stack. `out` must hold
 * shingle_chars_max(t, k); returns the count written. `pos`, if not NULL,
 * receives for each gram the index of the token in which it starts.
 */
size_t shingle_chars_max(const struct shingle_text *t, unsigned k);
size_t shingle_chars(
    const struct shingle_text *t, unsigned k, uint64_t *out, uint32_t *pos);

/* Hash of one token (the same function word shingles use for k = 1). */
uint64_t shingle_token_hash(const struct shingle_text *t, size_t i);

/*
 * Sort ascending and drop duplicates in place; returns the new count.
 * O(n) for uniform hashes (buckets on the top bits), O(n log n) worst case.
 */
size_t shingle_sort_unique(uint64_t *h, size_t n);

/* |a ∩ b| for two sorted unique arrays. */
size_t shingle_intersect(
    const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/*
 * Winnowing (Schleimer, Wilkerson, Aiken 2003): in every window of w
 * consecutive hashes select the minimum and record each selected position
 * once. Ties are broken the "robust" way (section 4.1): a window keeps the
 * previous window's choice while it is still inside and minimal, else
 * takes the rightmost minimum; a run of equal hashes so gives one
 * fingerprint per w positions rather than one per position. Any passage
 * shared by two texts that spans at least w hashes shares at least one
 * selected hash. `out` and `pos` must hold n entries (pos may be NULL);
 * returns the count written, in text order. If n <= w the (rightmost)
 * minimum of all n is selected. w = 0 is taken as 1.
 */
size_t shingle_winnow(
    const uint64_t *h, size_t n, unsigned w, uint64_t *out, uint32_t *pos);

/* ---- Sketches ------------------------------------------------------------ */

#define SHINGLE_MINHASH_N 128

/*
 * One-permutation MinHash with optimal densification (Shrivastava, ICML
 * 2017): one pass over the n hashes, SHINGLE_MINHASH_N bins, empty bins
 * filled from non-empty ones. The fraction of equal slots of two
 * signatures estimates the Jaccard similarity of the two sets (unbiased,
 * standard error about sqrt(J (1 - J) / 128)). Duplicates and order in
 * `h` do not matter. An empty input gives a signature of all 0xffffffff,
 * so two empty texts estimate 1.0: callers should not compare those.
 */
void shingle_minhash(
    const uint64_t *h, size_t n, uint32_t sig[SHINGLE_MINHASH_N]);
double shingle_minhash_jaccard(
    const uint32_t a[SHINGLE_MINHASH_N], const uint32_t b[SHINGLE_MINHASH_N]);

/*
 * LSH band keys of a signature: `nbands` bands of `rows` slots each
 * (nbands * rows <= SHINGLE_MINHASH_N), each hashed with its band number so
 * that equal keys mean an equal band. Writes nbands keys to out. Keys do
 * not depend on host byte order. If rows is 0 nothing is written; if the
 * bands do not fit, only the first SHINGLE_MINHASH_N / rows are.
 */
void shingle_minhash_bands(const uint32_t sig[SHINGLE_MINHASH_N],
    unsigned nbands, unsigned rows, uint64_t *out);

/*
 * Charikar's SimHash of a multiset of hashes (bit i is the majority of bit
 * i, 0 on a tie; 0 for n = 0); Hamming distance of two.
 */
uint64_t shingle_simhash(const uint64_t *h, size_t n);
unsigned shingle_simhash_distance(uint64_t a, uint64_t b);

#endif
