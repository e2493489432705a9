/*
 * test_shingle.c - unit tests for shingle/: normalization, shingles, sets,
 * winnowing, MinHash and SimHash.
 *
 * Randomized tests use a fixed-seed PRNG so that a failure reproduces.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "shingle.h"

/* ---- Helpers ------------------------------------------------------------- */

static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s;
}

/* splitmix64 */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

static double
rng_unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Enough maths to spare a libm dependency. */
static double
dabs(double x)
{
	return x < 0 ? -x : x;
}

static double
cube_root(double x)
{
	double y = x > 1 ? x : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 100; i++)
		y = (2 * y + x / (y * y)) / 3;
	return y;
}

/* Normalize a NUL-terminated string; fails the test on error. */
static void
norm(struct shingle_text *t, const char *s)
{
	assert_int_equal(shingle_text_init(t, s, strlen(s)), 0);
}

/* The text of token i as a NUL-terminated string in a static buffer. */
static const char *
tok_str(const struct shingle_text *t, size_t i)
{
	static char buf[1024];
	size_t n =
	    t->tok[i].len < sizeof(buf) - 1 ? t->tok[i].len : sizeof(buf) - 1;

	memcpy(buf, t->norm + t->tok[i].off, n);
	buf[n] = '\0';
	return buf;
}

/* Normalize `in` and compare norm with `want`. */
static void
check_norm(const char *in, const char *want)
{
	struct shingle_text t;

	norm(&t, in);
	if (strcmp(t.norm, want) != 0)
		fail_msg("normalize(\"%s\") = \"%s\", want \"%s\"", in, t.norm,
		    want);
	shingle_text_free(&t);
}

/* Is s[0, n) well-formed UTF-8 (no surrogates, overlongs, > U+10FFFF)? */
static int
valid_utf8(const char *s, size_t n)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t r;
	size_t i = 0;

	while (i < n) {
		r = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(n - i), &cp);
		if (r <= 0)
			return 0;
		i += (size_t)r;
	}
	return 1;
}

/* Structural invariants of any normalization result. */
static void
check_invariants(const struct shingle_text *t, size_t srclen)
{
	size_t i, expect = 0, prev_src = 0;

	assert_non_null(t->norm);
	assert_int_equal(strlen(t->norm), t->norm_len);
	assert_true(valid_utf8(t->norm, t->norm_len));
	assert_true(t->nreplaced <= srclen);
	for (i = 0; i < t->ntok; i++) {
		const struct shingle_token *k = &t->tok[i];

		assert_int_equal(k->off, expect);
		assert_true(k->len > 0);
		assert_null(memchr(t->norm + k->off, ' ', k->len));
		expect = k->off + k->len + 1;
		assert_true(k->src_len > 0);
		assert_true((size_t)k->src_off + k->src_len <= srclen);
		assert_true(k->src_off >= prev_src);
		prev_src = k->src_off;
		if (k->flags & SHINGLE_TOK_CJK)
			assert_false(k->flags & SHINGLE_TOK_UPPER);
	}
	assert_int_equal(t->ntok ? expect - 1 : 0, t->norm_len);
}

/* ---- Normalization ------------------------------------------------------- */

static void
test_basic(void **state)
{
	struct shingle_text t;
	const char *s = "Hello, World! 3D printing";

	(void)state;
	norm(&t, s);
	assert_string_equal(t.norm, "hello world 3d printing");
	assert_int_equal(t.ntok, 4);
	assert_int_equal(t.nreplaced, 0);
	assert_int_equal(t.tok[0].src_off, 0);
	assert_int_equal(t.tok[0].src_len, 5);
	assert_int_equal(t.tok[1].src_off, 7);
	assert_int_equal(t.tok[1].src_len, 5);
	assert_int_equal(t.tok[0].flags, SHINGLE_TOK_UPPER);
	assert_int_equal(t.tok[1].flags, SHINGLE_TOK_UPPER);
	/* the first letter decides, not the first character */
	assert_int_equal(t.tok[2].flags, SHINGLE_TOK_UPPER | SHINGLE_TOK_DIGIT);
	assert_int_equal(t.tok[3].flags, 0);
	check_invariants(&t, strlen(s));
	shingle_text_free(&t);
	shingle_text_free(&t); /* free leaves it empty: twice is harmless */
}

static void
test_empty(void **state)
{
	struct shingle_text t;
	static const char *seps[] = {"", " ", "  ,,, -- ''\n\t", "...",
	    "\xe2\x80\x94\xe2\x80\x9c\xe2\x80\x9d", "\xef\xbf\xbd"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		norm(&t, seps[i]);
		assert_int_equal(t.ntok, 0);
		assert_int_equal(t.norm_len, 0);
		assert_string_equal(t.norm, "");
		assert_int_equal(t.nreplaced, 0);
		assert_int_equal(shingle_words_max(&t, 3), 0);
		assert_int_equal(shingle_chars_max(&t, 5), 0);
		shingle_text_free(&t);
	}
	/* NULL is fine for an empty input */
	assert_int_equal(shingle_text_init(&t, NULL, 0), 0);
	assert_int_equal(t.ntok, 0);
	assert_string_equal(t.norm, "");
	shingle_text_free(&t);
}

static void
test_too_big(void **state)
{
	struct shingle_text t;
	char c = 'a';

	(void)state;
	/* must not read the input: the length check comes first */
	assert_int_equal(
	    shingle_text_init(&t, &c, (size_t)UINT32_MAX / 2 + 1), -EFBIG);
	assert_null(t.norm);
	assert_null(t.tok);
	assert_int_equal(t.ntok, 0);
	assert_int_equal(shingle_text_init(&t, NULL, 1), -EINVAL);
}

static void
test_nfkc(void **state)
{
	struct shingle_text t;

	(void)state;
	/* full-width letters and digits */
	check_norm(
	    "\xef\xbc\xa8\xef\xbd\x85\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x8f "
	    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93",
	    "hello 123");
	/* ligatures */
	check_norm("\xef\xac\x81nance \xef\xac\x82oor o\xef\xac\x83"
	           "ce",
	    "finance floor office");
	/* case folding, including the ones tolower() gets wrong */
	check_norm("Stra\xc3\x9f"
	           "e STRASSE \xe1\xba\x9e",
	    "strasse strasse ss");
	check_norm("\xce\xa3\xce\x99\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3 "
	           "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x82",
	    "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83 "
	    "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83");
	/* composed and decomposed accents give the same token */
	check_norm("caf\xc3\xa9 cafe\xcc\x81 CAF\xc3\x89",
	    "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9");
	/* canonical order of marks: dot below + acute in either order */
	check_norm("a\xcc\x81\xcc\xa3 a\xcc\xa3\xcc\x81",
	    "\xe1\xba\xa1\xcc\x81 \xe1\xba\xa1\xcc\x81");
	/* angstrom sign, circled and superscript digits, roman numerals */
	check_norm("\xe2\x84\xab \xe2\x91\xa0 x\xc2\xb2 \xe2\x85\xab",
	    "\xc3\xa5 1 x2 xii");
	/* ™ is a word after NFKC, ½ is two numbers around a fraction slash */
	check_norm("Brand\xe2\x84\xa2 \xc2\xbd", "brandtm 1 2");

	norm(&t, "\xef\xbc\xa1\xef\xbd\x82 \xef\xac\x81x");
	assert_int_equal(t.ntok, 2);
	assert_int_equal(t.tok[0].flags, SHINGLE_TOK_UPPER);
	assert_int_equal(t.tok[0].src_len, 6);
	assert_int_equal(t.tok[1].flags, 0); /* "ﬁ" is lowercase */
	assert_int_equal(t.tok[1].src_off, 7);
	assert_int_equal(t.tok[1].src_len, 4);
	shingle_text_free(&t);
}

/* Single words: our per-token NFKC_Casefold agrees with utf8proc_map(). */
static void
test_nfkc_matches_utf8proc(void **state)
{
	static const char *words[] = {
	    "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c",
	    "\xef\xac\x81nance",
	    "Stra\xc3\x9f"
	    "e",
	    "\xc4\xb0stanbul",
	    "\xc7\x84"
	    "emal",
	    "e\xcc\x81t\xc3\xa9",
	    "\xe2\x84\xab"
	    "ngstr\xc3\xb6m",
	    "\xe1\xbe\x88\xe1\xbe\xbc",
	    "\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
	    "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6"
	    "\xe0\xa5\x80",
	    "\xe1\xba\xa0\xcc\x81",
	    "o\xcc\x88\xcc\xa3",
	};
	struct shingle_text t;
	utf8proc_uint8_t *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		norm(&t, words[i]);
		assert_int_equal(
		    utf8proc_map((const utf8proc_uint8_t *)words[i], 0, &want,
		        UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		            UTF8PROC_COMPAT | UTF8PROC_CASEFOLD) >= 0,
		    1);
		assert_int_equal(t.ntok, 1);
		assert_string_equal(t.norm, (const char *)want);
		free(want);
		shingle_text_free(&t);
	}
}

static void
test_punctuation(void **state)
{
	(void)state;
	check_norm("\xe2\x80\x9cQuoted,\xe2\x80\x9d she said\xe2\x80\x94"
	           "twice\xe2\x80\xa6 (really) [sic] {x} <y> #tag @user "
	           "a/b a_b a+b a&b 50% $5 \xe2\x82\xac"
	           "5",
	    "quoted she said twice really sic x y tag user a b a b a b a b "
	    "50 5 5");
	/* no-break and ideographic spaces are spaces */
	check_norm("a\xc2\xa0"
	           "b\xe3\x80\x80"
	           "c\xe2\x80\x89"
	           "d",
	    "a b c d");
	/* control characters separate, NUL included */
	check_norm("a\x01"
	           "b\x7f"
	           "c\x0b"
	           "d\x0c"
	           "e",
	    "a b c d e");
}

static void
test_numbers(void **state)
{
	struct shingle_text t;

	(void)state;
	check_norm("2.6 1,000 3.14. 1,000,000.50 1'000 1\xe2\x80\x99"
	           "000",
	    "2.6 1,000 3.14 1,000,000.50 1'000 1'000");
	/* punctuation not between two digits separates */
	check_norm("end. 5 a,b 5, 6 .5 5. x 1..2 1.,2 v2.0 2.a",
	    "end 5 a b 5 6 5 5 x 1 2 1 2 v2.0 2 a");
	/* full-width digits and comma fold to ASCII and still join */
	check_norm(
	    "\xef\xbc\x91\xef\xbc\x8c\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90",
	    "1,000");

	norm(&t, "It rose 2.6% to 1,000 points");
	assert_int_equal(t.ntok, 6);
	assert_string_equal(tok_str(&t, 2), "2.6");
	assert_int_equal(t.tok[2].flags, SHINGLE_TOK_DIGIT);
	assert_int_equal(t.tok[2].src_len, 3);
	assert_string_equal(tok_str(&t, 4), "1,000");
	assert_int_equal(t.tok[4].src_off, 16);
	assert_int_equal(t.tok[0].flags, SHINGLE_TOK_UPPER);
	assert_int_equal(t.tok[1].flags, 0);
	shingle_text_free(&t);
}

static void
test_apostrophes(void **state)
{
	struct shingle_text t;

	(void)state;
	check_norm("don't Don\xe2\x80\x99t rock'n'roll O'Brien",
	    "dont dont rocknroll obrien");
	/* not between two letters: the apostrophe separates */
	check_norm("'quoted' '90s 1990's dogs' a' b it''s",
	    "quoted 90s 1990 s dogs a b it s");

	norm(&t, "We don't know");
	assert_int_equal(t.ntok, 3);
	assert_string_equal(tok_str(&t, 1), "dont");
	assert_int_equal(t.tok[1].src_off, 3);
	assert_int_equal(t.tok[1].src_len, 5);
	shingle_text_free(&t);
}

static void
test_hyphen_break(void **state)
{
	struct shingle_text t;
	const char *s = "the syn-\nergy of it";

	(void)state;
	check_norm("syn-\nergy syn-\r\nergy syn-\rergy syn- \n\tergy",
	    "synergy synergy synergy synergy");
	/* an ordinary hyphen, or a hyphen not inside a word, separates */
	check_norm("well-known -\nx a -\nb 2-\n3 a-\n2 a-\n\nb a-\n-b a--\nb",
	    "well known x a b 2 3 a 2 a b a b a b");
	/* U+2010 HYPHEN and U+2011 (folds to it) with NEL and LS */
	check_norm("syn\xe2\x80\x90\xc2\x85"
	           "ergy syn\xe2\x80\x91\xe2\x80\xa8"
	           "ergy",
	    "synergy synergy");
	/* soft hyphens and zero-width joiners are invisible */
	check_norm("syn\xc2\xad"
	           "ergy a\xe2\x80\x8d"
	           "b",
	    "synergy ab");

	norm(&t, s);
	assert_int_equal(t.ntok, 4);
	assert_string_equal(tok_str(&t, 1), "synergy");
	assert_int_equal(t.tok[1].src_off, 4);
	assert_int_equal(t.tok[1].src_len, 9);
	assert_memory_equal(s + t.tok[1].src_off, "syn-\nergy", 9);
	shingle_text_free(&t);
}

static void
test_cjk(void **state)
{
	struct shingle_text t;
	const char *zh = "\xe4\xb8\xad\xe5\x8d\x8e\xe4\xba\xba\xe6\xb0\x91\xe5"
	                 "\x85\xb1\xe5\x92\x8c\xe5\x9b\xbd\xe6\x88\x90\xe7\xab"
	                 "\x8b\xe4\xba\x86\xe3\x80\x82";
	size_t i;

	(void)state;
	/* 中华人民共和国成立了。 */
	norm(&t, zh);
	assert_int_equal(t.ntok, 10);
	for (i = 0; i < t.ntok; i++) {
		assert_int_equal(t.tok[i].flags, SHINGLE_TOK_CJK);
		assert_int_equal(t.tok[i].len, 3);
		assert_int_equal(t.tok[i].src_off, 3 * i);
		assert_int_equal(t.tok[i].src_len, 3);
	}
	assert_string_equal(tok_str(&t, 0), "\xe4\xb8\xad");
	check_invariants(&t, strlen(zh));
	shingle_text_free(&t);

	/* Japanese: kanji, hiragana, katakana; the middle dot separates */
	check_norm(
	    "\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae\xe3\x83\x86\xe3\x83\xbb"
	    "\xe3\x83\xbc",
	    "\xe6\x97\xa5 \xe6\x9c\xac \xe3\x81\xae \xe3\x83\x86 "
	    "\xe3\x83\xbc");
	/* half-width katakana with a voiced mark compose to one kana */
	check_norm("\xef\xbd\xb6\xef\xbe\x9e", "\xe3\x82\xac");
	/* Hangul syllables; compatibility jamo compose to a syllable */
	check_norm("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
	           "\xe3\x84\xb1\xe3\x85\x8f",
	    "\xed\x95\x9c \xea\xb5\xad \xec\x96\xb4 \xea\xb0\x80");

	/* mixed: 我爱Linux内核2024年 */
	norm(&t, "\xe6\x88\x91\xe7\x88\xb1Linux\xe5\x86\x85\xe6\xa0\xb8"
	         "2024\xe5\xb9\xb4");
	assert_string_equal(t.norm,
	    "\xe6\x88\x91 \xe7\x88\xb1 linux \xe5\x86\x85 \xe6\xa0\xb8 2024 "
	    "\xe5\xb9\xb4");
	assert_int_equal(t.tok[2].flags, SHINGLE_TOK_UPPER);
	assert_int_equal(t.tok[2].src_off, 6);
	assert_int_equal(t.tok[2].src_len, 5);
	assert_int_equal(t.tok[5].flags, SHINGLE_TOK_DIGIT);
	assert_int_equal(t.tok[6].flags, SHINGLE_TOK_CJK);
	shingle_text_free(&t);
}

static void
test_invalid_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *norm;
		size_t nrep;
	} cases[] = {
	    {"ab\xc3", 3, "ab", 1}, /* truncated at end */
	    {"a\xe2\x82"
	     "b",
	        4, "a b", 1}, /* truncated 3-byte */
	    {"a\xf0\x9f\x98"
	     "b",
	        5, "a b", 1}, /* truncated 4-byte */
	    {"a\x80\xbf"
	     "b",
	        4, "a b", 2}, /* lone continuations */
	    {"a\xc0\xaf"
	     "b",
	        4, "a b", 2}, /* overlong '/' */
	    {"a\xc1\xbf"
	     "b",
	        4, "a b", 2}, /* overlong */
	    {"a\xe0\x80\xaf"
	     "b",
	        5, "a b", 3}, /* overlong 3-byte */
	    {"a\xf0\x80\x80\xaf"
	     "b",
	        6, "a b", 4}, /* overlong 4-byte */
	    {"a\xed\xa0\x80"
	     "b",
	        5, "a b", 3}, /* surrogate D800 */
	    {"a\xed\xbf\xbf"
	     "b",
	        5, "a b", 3}, /* surrogate DFFF */
	    {"a\xf4\x90\x80\x80"
	     "b",
	        6, "a b", 4}, /* > U+10FFFF */
	    {"a\xf8\x88\x80\x80\x80"
	     "b",
	        7, "a b", 5}, /* 5-byte form */
	    {"a\xfe\xff"
	     "b",
	        4, "a b", 2},
	    {"a\0b", 3, "a b", 0},      /* NUL separates */
	    {"\xef\xbf\xbd", 3, "", 0}, /* a real U+FFFD */
	    {"caf\xc3\xa9\xc3", 6, "caf\xc3\xa9", 1},
	    {"\xc3\xa9\xe9t\xe9", 5, "\xc3\xa9 t", 2}, /* Latin-1 */
	};
	struct shingle_text t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    shingle_text_init(&t, cases[i].in, cases[i].len), 0);
		if (strcmp(t.norm, cases[i].norm) != 0 ||
		    t.nreplaced != cases[i].nrep)
			fail_msg(
			    "case %zu: \"%s\" %zu replaced, want \"%s\" %zu", i,
			    t.norm, t.nreplaced, cases[i].norm, cases[i].nrep);
		check_invariants(&t, cases[i].len);
		shingle_text_free(&t);
	}
	/* offsets stay in source bytes after a replacement */
	assert_int_equal(shingle_text_init(&t,
	                     "\xff\xfe"
	                     "abc",
	                     5),
	    0);
	assert_int_equal(t.ntok, 1);
	assert_int_equal(t.tok[0].src_off, 2);
	assert_int_equal(t.tok[0].src_len, 3);
	shingle_text_free(&t);
}

/*
 * Every token's source range, normalized alone, gives that token back: the
 * offsets point at the right bytes, and the joining rules only look inside
 * the token. (Not true of the rare code points that NFKC splits into two
 * tokens, like ½; the texts below have none.)
 */
static void
check_src_roundtrip(const char *s, size_t len)
{
	struct shingle_text t, u;
	size_t i;

	assert_int_equal(shingle_text_init(&t, s, len), 0);
	check_invariants(&t, len);
	for (i = 0; i < t.ntok; i++) {
		assert_int_equal(shingle_text_init(&u, s + t.tok[i].src_off,
		                     t.tok[i].src_len),
		    0);
		assert_int_equal(u.ntok, 1);
		assert_int_equal(u.tok[0].len, t.tok[i].len);
		assert_memory_equal(u.norm, t.norm + t.tok[i].off, u.norm_len);
		assert_int_equal(u.tok[0].flags, t.tok[i].flags);
		assert_int_equal(u.tok[0].src_off, 0);
		assert_int_equal(u.tok[0].src_len, t.tok[i].src_len);
		shingle_text_free(&u);
	}
	shingle_text_free(&t);
}

static void
test_src_offsets(void **state)
{
	static const char *texts[] = {
	    "Der \xef\xbc\xa6\xef\xbd\x89\xef\xbd\x8e\xef\xbd\x81\xef\xbd"
	    "\x8c-\nspieler sagte: \xe2\x80\x9e"
	    "Don\xe2\x80\x99t!\xe2\x80"
	    "\x9c 1,000.5 \xe4\xb8\xad\xe6\x96\x87 \xef\xbd\xb6\xef\xbe\x9e "
	    "Stra\xc3\x9f"
	    "e e\xcc\x81t\xc3\xa9 \xef\xac\x81n \xff"
	    "x",
	    "ASCII only, with 2.6% and don't and syn-\r\n  ergy.",
	    "\xc3\x89LAN \xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0, "
	    "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1 \xed\x95\x9c\xea\xb5"
	    "\xad\xec\x96\xb4",
	};
	char buf[200];
	static const char alpha[] = "aZ09 .,'-\n\r\t!";
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_src_roundtrip(texts[i], strlen(texts[i]));
	rng_seed(1);
	for (i = 0; i < 2000; i++) {
		n = rng_below(sizeof(buf));
		for (j = 0; j < n; j++)
			buf[j] = alpha[rng_below(sizeof(alpha) - 1)];
		check_src_roundtrip(buf, n);
	}
}

/*
 * The ASCII fast path and the Unicode path agree. A non-ASCII space at the
 * end sends an ASCII string down the Unicode path without changing what it
 * means. The first alphabet is weighted towards the characters with rules;
 * the second makes long words, which the fast path copies eight bytes at a
 * time (every length and position, up to the end of the text).
 */
static void
test_ascii_fast_path(void **state)
{
	static const char *alphas[] = {
	    "aAbBzZ0199 ..,,''--\n\r\t  !\"#()/:;?_~\x01",
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "ayzAYZ09@[`{/: .,'-\n",
	};
	char buf[400];
	struct shingle_text a, u;
	size_t i, j, n;

	(void)state;
	rng_seed(2);
	for (i = 0; i < 40000; i++) {
		const char *alpha = alphas[i & 1];
		size_t na = strlen(alpha);
		n = rng_below(i & 1 ? 390 : 120);
		for (j = 0; j < n; j++) {
			if (rng_below(50) == 0)
				buf[j] = (char)rng_below(128); /* any ASCII */
			else
				buf[j] = alpha[rng_below(na)];
		}
		assert_int_equal(shingle_text_init(&a, buf, n), 0);
		memcpy(buf + n, "\xe3\x80\x80", 3); /* U+3000 */
		assert_int_equal(shingle_text_init(&u, buf, n + 3), 0);
		assert_true(a.ascii && !u.ascii);
		check_invariants(&a, n);
		if (a.norm_len != u.norm_len || strcmp(a.norm, u.norm) != 0)
			fail_msg(
			    "ASCII \"%s\" != Unicode \"%s\"", a.norm, u.norm);
		assert_int_equal(a.ntok, u.ntok);
		assert_memory_equal(a.tok, u.tok, a.ntok * sizeof(*a.tok));
		assert_int_equal(u.nreplaced, 0);
		shingle_text_free(&a);
		shingle_text_free(&u);
	}
}

/* Random bytes, and every code point: no crash, invariants hold. */
static void
test_robustness(void **state)
{
	static const char *frag[] = {"a", "Z", "9", " ", ".", "'", "-", "\n",
	    "\xc3\xa9", "\xcc\x81", "\xe4\xb8\xad", "\xef\xbd\xb6",
	    "\xef\xbe\x9e", "\xe2\x80\x99", "\xc2\xad", "\xf0\x9f\x98\x80",
	    "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8", "\xef\xb7\xba",
	    "\x80", "\xc3", "\xe4\xb8", "\xf0\x9f", "\xed\xa0\x80", "\xff"};
	static char buf[4 * 4096 + 16];
	struct shingle_text t;
	size_t i, j, n, f;
	int32_t cp = 0;

	(void)state;
	rng_seed(3);
	for (i = 0; i < 20000; i++) {
		n = 0;
		for (j = rng_below(60); j > 0; j--) {
			if (rng_below(4) == 0) {
				buf[n++] = (char)rng();
				continue;
			}
			f = rng_below(sizeof(frag) / sizeof(frag[0]));
			memcpy(buf + n, frag[f], strlen(frag[f]));
			n += strlen(frag[f]);
		}
		assert_int_equal(shingle_text_init(&t, buf, n), 0);
		check_invariants(&t, n);
		shingle_text_free(&t);
	}
	/* all of Unicode, 4096 code points at a time */
	while (cp <= 0x10ffff) {
		n = 0;
		for (j = 0; j < 4096 && cp <= 0x10ffff; j++, cp++) {
			if (cp >= 0xd800 && cp <= 0xdfff)
				continue;
			n += (size_t)utf8proc_encode_char(
			    cp, (utf8proc_uint8_t *)buf + n);
		}
		assert_int_equal(shingle_text_init(&t, buf, n), 0);
		check_invariants(&t, n);
		assert_int_equal(t.nreplaced, 0);
		shingle_text_free(&t);
	}
}

/* ---- Shingles ------------------------------------------------------------ */

static void
test_words(void **state)
{
	struct shingle_text a, b, c;
	uint64_t ha[8], hb[8], hc[8];
	uint32_t pos[8];
	size_t i, n;

	(void)state;
	norm(&a, "The quick brown fox jumps");
	norm(&b, "the, QUICK  brown fox\n\njumps!");
	assert_int_equal(shingle_words_max(&a, 3), 3);
	n = shingle_words(&a, 3, ha, pos);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(pos[i], i);
	assert_int_equal(shingle_words(&b, 3, hb, NULL), 3);
	assert_memory_equal(ha, hb, sizeof(ha[0]) * 3);
	assert_true(ha[0] != ha[1] && ha[1] != ha[2]);
	/* k = 1 is the token hash */
	assert_int_equal(shingle_words(&a, 1, ha, NULL), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(ha[i], shingle_token_hash(&a, i));
	/* a shingle is the hash of its tokens, whatever text they are in */
	norm(&c, "quick brown fox");
	assert_int_equal(shingle_words(&a, 3, ha, NULL), 3);
	assert_int_equal(shingle_words(&c, 3, hc, NULL), 1);
	assert_int_equal(ha[1], hc[0]);
	/* fewer tokens than k: one shingle of all of them */
	assert_int_equal(shingle_words_max(&c, 5), 1);
	assert_int_equal(shingle_words(&c, 5, hb, pos), 1);
	assert_int_equal(pos[0], 0);
	assert_int_equal(hb[0], hc[0]);
	/* k = 0 yields nothing */
	assert_int_equal(shingle_words_max(&a, 0), 0);
	assert_int_equal(shingle_words(&a, 0, ha, NULL), 0);
	shingle_text_free(&a);
	shingle_text_free(&b);
	shingle_text_free(&c);
	/* word order matters */
	norm(&a, "fox brown quick");
	assert_int_equal(shingle_words(&a, 3, ha, NULL), 1);
	assert_true(ha[0] != hc[0]);
	shingle_text_free(&a);
}

static void
test_chars(void **state)
{
	struct shingle_text a, b;
	uint64_t ha[64], hb[64];
	uint32_t pa[64];
	size_t n;

	(void)state;
	/* "abc de": squeezed "abcde", k = 2: ab bc cd | de */
	norm(&a, "abc de");
	assert_int_equal(shingle_chars_max(&a, 2), 4);
	assert_int_equal(shingle_chars(&a, 2, ha, pa), 4);
	assert_int_equal(pa[0], 0);
	assert_int_equal(pa[1], 0);
	assert_int_equal(pa[2], 0); /* "cd" starts in "abc" */
	assert_int_equal(pa[3], 1);
	shingle_text_free(&a);

	/* merged, split and re-spaced words give the same grams */
	norm(&a, "of the cat sat");
	norm(&b, "ofthe c-a-t S A T");
	n = shingle_chars(&a, 4, ha, NULL);
	assert_int_equal(n, 8);
	assert_int_equal(shingle_chars(&b, 4, hb, NULL), n);
	assert_memory_equal(ha, hb, n * sizeof(ha[0]));
	shingle_text_free(&a);
	shingle_text_free(&b);

	/* counted in code points: 中文字 has 3, "été x" has 4 */
	norm(&a, "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97");
	assert_int_equal(a.ntok, 3);
	assert_int_equal(shingle_chars_max(&a, 2), 2);
	assert_int_equal(shingle_chars(&a, 2, ha, pa), 2);
	assert_int_equal(pa[1], 1);
	shingle_text_free(&a);
	norm(&a, "\xc3\xa9t\xc3\xa9 x");
	assert_int_equal(shingle_chars_max(&a, 2), 3);
	assert_int_equal(shingle_chars(&a, 2, ha, NULL), 3);
	norm(&b, "\xc3\xa9t \xc3\xa9x");
	assert_int_equal(shingle_chars(&b, 2, hb, NULL), 3);
	assert_memory_equal(ha, hb, 3 * sizeof(ha[0]));
	shingle_text_free(&a);
	shingle_text_free(&b);

	/* shorter than k: one gram of everything; empty: none */
	norm(&a, "a b");
	norm(&b, "ab");
	assert_int_equal(shingle_chars(&a, 5, ha, pa), 1);
	assert_int_equal(pa[0], 0);
	assert_int_equal(shingle_chars(&b, 5, hb, NULL), 1);
	assert_int_equal(ha[0], hb[0]);
	assert_int_equal(shingle_chars(&a, 0, ha, NULL), 0);
	shingle_text_free(&a);
	shingle_text_free(&b);

	/* char grams and word shingles are different hash families */
	norm(&a, "abc");
	shingle_chars(&a, 3, ha, NULL);
	shingle_words(&a, 1, hb, NULL);
	assert_true(ha[0] != hb[0]);
	shingle_text_free(&a);
}

/*
 * Long grams (multi-byte, across many tokens, through buffer refills and
 * past the buffered path's limit) hash the same with or without spaces.
 */
static void
test_chars_long(void **state)
{
	static const unsigned ks[] = {1, 5, 64, 300, 512, 513, 700};
	static char sp[16384], sq[16384];
	static uint64_t ha[8192], hb[8192];
	static uint32_t pa[8192];
	struct shingle_text a, b;
	size_t i, np = 0, nq = 0, n, ncp = 3000;

	(void)state;
	rng_seed(4);
	for (i = 0; i < ncp; i++) {
		if (rng_below(2)) {
			memcpy(sp + np, "\xc3\xa9", 2);
			memcpy(sq + nq, "\xc3\xa9", 2);
			np += 2;
			nq += 2;
		} else if (rng_below(10) == 0) {
			memcpy(sp + np, "\xe4\xb8\xad", 3); /* a CJK token */
			memcpy(sq + nq, "\xe4\xb8\xad", 3);
			np += 3;
			nq += 3;
		} else {
			sp[np++] = sq[nq++] = (char)('a' + rng_below(26));
		}
		if (rng_below(4) == 0)
			sp[np++] = ' ';
	}
	assert_int_equal(shingle_text_init(&a, sp, np), 0);
	assert_int_equal(shingle_text_init(&b, sq, nq), 0);
	assert_true(b.ntok < a.ntok);
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		n = shingle_chars_max(&a, ks[i]);
		assert_int_equal(n, ncp - ks[i] + 1);
		assert_int_equal(shingle_chars_max(&b, ks[i]), n);
		assert_int_equal(shingle_chars(&a, ks[i], ha, pa), n);
		assert_int_equal(shingle_chars(&b, ks[i], hb, NULL), n);
		assert_memory_equal(ha, hb, n * sizeof(ha[0]));
		/* positions: the token where each gram starts, in order */
		assert_int_equal(pa[0], 0);
		assert_true(pa[n - 1] < a.ntok);
		for (size_t j = 1; j < n; j++)
			assert_true(
			    pa[j] == pa[j - 1] || pa[j] == pa[j - 1] + 1);
	}
	shingle_text_free(&a);
	shingle_text_free(&b);
}

/*
 * The char grams, the simple way: squeeze the tokens into one string,
 * hash every k code points of it with XXH3 and the "rpw-char" seed (part
 * of the on-disk format), and find each gram's token by its byte offset.
 */
static size_t
ref_chars(const struct shingle_text *t, unsigned k, uint64_t *out,
    uint32_t *pos, char *sq, size_t *cps)
{
	size_t i, j, m = 0, ncp = 0, n = 0;

	if (k == 0 || t->ntok == 0)
		return 0;
	for (i = 0; i < t->ntok; i++) {
		for (j = 0; j < t->tok[i].len; j++) {
			char c = t->norm[t->tok[i].off + j];

			if (((unsigned char)c & 0xc0) != 0x80) {
				cps[ncp] = m; /* code point ncp starts here */
				pos[ncp++] = (uint32_t)i;
			}
			sq[m++] = c;
		}
	}
	cps[ncp] = m;
	if (ncp < k) {
		out[0] = XXH3_64bits_withSeed(sq, m, 0x7270772d63686172ull);
		pos[0] = 0;
		return 1;
	}
	for (n = 0; n + k <= ncp; n++)
		out[n] = XXH3_64bits_withSeed(
		    sq + cps[n], cps[n + k] - cps[n], 0x7270772d63686172ull);
	return n;
}

/* Random text: words of ASCII letters and digits, maybe some non-ASCII. */
static size_t
gen_mixed(char *buf, size_t nbytes, int ascii)
{
	static const char *const pieces[] = {" ", " ", " ", "  ", "\n", ", ",
	    ". ", "-", "'", "3.5", "-\n", "\xc3\xa9", "\xe2\x80\x99",
	    "\xe4\xb8\xad", "\xef\xbc\xa1", "\xc2\xbd", "\xf0\x9f\x98\x80"};
	size_t n = 0, np = ascii ? 11 : sizeof(pieces) / sizeof(pieces[0]);
	const char *p;

	while (n + 8 < nbytes) {
		if (rng_below(4) == 0) {
			p = pieces[rng_below(np)];
			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		} else {
			buf[n++] = rng_below(8) == 0
			               ? (char)('0' + rng_below(10))
			               : (char)('A' + rng_below(58));
		}
	}
	return n;
}

/*
 * shingle_chars (its ASCII path with the written-out XXH3, and the
 * general path) against ref_chars on random texts of all sizes, across
 * the 4 KiB windows of the squeezed text.
 */
static void
test_chars_reference(void **state)
{
	static const unsigned ks[] = {
	    1, 2, 3, 4, 5, 7, 8, 9, 16, 100, 512, 513};
	static char src[20000], sq[20000];
	static uint64_t h[20000], want[20000];
	static uint32_t pos[20000], wpos[20000];
	static size_t cps[20001];
	struct shingle_text t;
	size_t trial, len, n, wn, i;
	unsigned k;

	(void)state;
	rng_seed(13);
	for (trial = 0; trial < 400; trial++) {
		len = trial < 300 ? trial : rng_below(sizeof(src));
		len = gen_mixed(src, len, trial % 3 != 0);
		assert_int_equal(shingle_text_init(&t, src, len), 0);
		for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
			k = ks[i];
			if (k > 16 && len > 6000)
				continue; /* O(len k): long enough at 6000 */
			wn = ref_chars(&t, k, want, wpos, sq, cps);
			assert_int_equal(shingle_chars_max(&t, k), wn);
			n = shingle_chars(&t, k, h, pos);
			assert_int_equal(n, wn);
			if (memcmp(h, want, n * sizeof(h[0])) != 0)
				fail_msg(
				    "chars differ: trial %zu, k %u", trial, k);
			assert_memory_equal(pos, wpos, n * sizeof(pos[0]));
			assert_int_equal(shingle_chars(&t, k, h, NULL), wn);
			assert_memory_equal(h, want, n * sizeof(h[0]));
		}
		shingle_text_free(&t);
	}
}

/* ---- Sets ---------------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t
naive_unique(uint64_t *h, size_t n)
{
	size_t i, m = 0;

	qsort(h, n, sizeof(*h), cmp_u64);
	for (i = 0; i < n; i++)
		if (m == 0 || h[i] != h[m - 1])
			h[m++] = h[i];
	return m;
}

static void
test_sort_unique(void **state)
{
	static uint64_t a[5000], b[5000];
	size_t i, n, m, mod, shape;

	(void)state;
	rng_seed(5);
	for (i = 0; i < 400; i++) {
		n = rng_below(5000);
		mod = rng_below(3) == 0 ? 1 + rng_below(100) : 0;
		shape = rng_below(5);
		for (size_t j = 0; j < n; j++) {
			switch (shape) {
			case 0: /* sorted */
				a[j] = j / 2;
				break;
			case 1: /* reversed */
				a[j] = n - j;
				break;
			case 2: /* organ pipe */
				a[j] = j < n / 2 ? j : n - j;
				break;
			default:
				a[j] = mod ? rng() % mod : rng();
				break;
			}
		}
		memcpy(b, a, n * sizeof(a[0]));
		m = shingle_sort_unique(a, n);
		assert_int_equal(m, naive_unique(b, n));
		assert_memory_equal(a, b, m * sizeof(a[0]));
	}
	assert_int_equal(shingle_sort_unique(a, 0), 0);
	a[0] = 7;
	assert_int_equal(shingle_sort_unique(a, 1), 1);
	a[0] = UINT64_MAX;
	a[1] = 0;
	a[2] = UINT64_MAX;
	assert_int_equal(shingle_sort_unique(a, 3), 2);
	assert_true(a[0] == 0 && a[1] == UINT64_MAX);
}

/*
 * Sizes from 0 to past the bucket and radix thresholds, with hashes
 * spread uniformly, crowded into a few top-bit buckets (which then get
 * sorted on their own), differing only in their top or their low bits,
 * and with many duplicates: all against qsort + unique.
 */
static void
test_sort_unique_reference(void **state)
{
	static uint64_t a[450000], b[450000];
	static const size_t big[] = {
	    1023, 1024, 1025, 2048, 4059, 4097, 16384, 70000};
	size_t trial, n, m, i;
	uint64_t v;

	(void)state;
	rng_seed(14);
	for (trial = 0; trial < 900; trial++) {
		n = trial < 600 ? trial % 100
		                : big[rng_below(sizeof(big) / sizeof(big[0]))];
		/* Buckets of ~220, each radix-sorted on its own: the size of
		 * the index's memtable. */
		if (trial >= 600 && trial % 50 == 0)
			n = 450000;
		for (i = 0; i < n; i++) {
			v = rng();
			switch (trial % 6) {
			case 1: /* one top-bit bucket */
				v >>= 20;
				break;
			case 2: /* a few buckets, full of duplicates */
				v &= 0xc000000000000fffull;
				break;
			case 3: /* only the top bits differ */
				v &= 0xffe0000000000000ull;
				break;
			case 4: /* repeats of earlier values */
				if (i > 0 && rng_below(2))
					v = a[rng_below(i)];
				break;
			case 5: /* extremes */
				v = rng_below(2) ? UINT64_MAX - rng_below(3)
				                 : rng_below(3);
				break;
			}
			a[i] = v;
		}
		memcpy(b, a, n * sizeof(a[0]));
		m = shingle_sort_unique(a, n);
		assert_int_equal(m, naive_unique(b, n));
		assert_memory_equal(a, b, m * sizeof(a[0]));
	}
}

static void
test_intersect(void **state)
{
	static uint64_t a[3000], b[3000];
	size_t i, j, k, na, nb, want;

	(void)state;
	rng_seed(6);
	for (i = 0; i < 200; i++) {
		na = rng_below(3000);
		nb = rng_below(3000);
		for (j = 0; j < na; j++)
			a[j] = rng() % 5000;
		for (j = 0; j < nb; j++)
			b[j] = rng() % 5000;
		na = shingle_sort_unique(a, na);
		nb = shingle_sort_unique(b, nb);
		want = 0;
		for (j = 0; j < na; j++)
			for (k = 0; k < nb && b[k] <= a[j]; k++)
				want += a[j] == b[k];
		assert_int_equal(shingle_intersect(a, na, b, nb), want);
		assert_int_equal(shingle_intersect(b, nb, a, na), want);
	}
	assert_int_equal(shingle_intersect(a, 0, b, 0), 0);
}

/* ---- Winnowing ----------------------------------------------------------- */

/* Every window of w has a selected position holding the window minimum. */
static void
check_winnow(const uint64_t *h, size_t n, unsigned w, const uint64_t *out,
    const uint32_t *pos, size_t cnt)
{
	size_t i, j, s;
	uint64_t min;

	assert_true(cnt >= 1 && cnt <= n);
	for (i = 0; i < cnt; i++) {
		assert_true(pos[i] < n);
		assert_int_equal(out[i], h[pos[i]]);
		if (i > 0)
			assert_true(pos[i] > pos[i - 1]);
	}
	for (i = 0; i + w <= n || i == 0; i++) {
		size_t end = i + w < n ? i + w : n;

		min = UINT64_MAX;
		for (j = i; j < end; j++)
			if (h[j] < min)
				min = h[j];
		for (s = 0; s < cnt; s++)
			if (pos[s] >= i && pos[s] < end && out[s] == min)
				break;
		assert_true(s < cnt);
		if (end == n)
			break;
	}
}

/*
 * Robust winnowing as the paper states it, one comparison at a time: the
 * selection shingle_winnow must make exactly (stored keys depend on it).
 */
static size_t
ref_winnow(const uint64_t *h, size_t n, unsigned w, uint32_t *pos)
{
	size_t r, m = 0, cnt = 0, a;

	if (n == 0)
		return 0;
	for (a = 1; a < (n < w ? n : w); a++)
		if (h[a] <= h[m])
			m = a;
	pos[cnt++] = (uint32_t)m;
	for (r = w; r < n; r++) {
		if (m < r - w + 1) {
			for (m = a = r - w + 1; a <= r; a++)
				if (h[a] <= h[m])
					m = a;
		} else if (h[r] < h[m]) {
			m = r;
		} else {
			continue;
		}
		pos[cnt++] = (uint32_t)m;
	}
	return cnt;
}

static void
test_winnow(void **state)
{
	static uint64_t a[3000], b[3000], oa[3000], ob[3000];
	static uint32_t pa[3000], pb[3000];
	size_t i, j, na, nb, ca, cb, len, sa, sb, hit;
	unsigned w;

	(void)state;
	rng_seed(7);
	for (i = 0; i < 500; i++) {
		w = 1 + (unsigned)rng_below(64);
		na = 1 + rng_below(1500);
		nb = 1 + rng_below(1500);
		/* small alphabets make ties, which robust winnowing handles */
		for (j = 0; j < na; j++)
			a[j] = i % 3 == 0 ? rng() % 8 : rng();
		for (j = 0; j < nb; j++)
			b[j] = i % 3 == 0 ? rng() % 8 : rng();
		/* plant a shared passage of at least w hashes */
		len = w + rng_below(40);
		if (len <= na && len <= nb) {
			sa = rng_below(na - len + 1);
			sb = rng_below(nb - len + 1);
			memcpy(b + sb, a + sa, len * sizeof(a[0]));
		}
		ca = shingle_winnow(a, na, w, oa, pa);
		cb = shingle_winnow(b, nb, w, ob, pb);
		check_winnow(a, na, w, oa, pa, ca);
		check_winnow(b, nb, w, ob, pb, cb);
		assert_int_equal(ref_winnow(a, na, w, pb), ca);
		assert_memory_equal(pb, pa, ca * sizeof(pa[0]));
		/* pos may be NULL */
		assert_int_equal(shingle_winnow(a, na, w, ob, NULL), ca);
		assert_memory_equal(ob, oa, ca * sizeof(oa[0]));
		if (len <= na && len <= nb) {
			ca = shingle_winnow(a, na, w, oa, NULL);
			cb = shingle_winnow(b, nb, w, ob, NULL);
			ca = shingle_sort_unique(oa, ca);
			cb = shingle_sort_unique(ob, cb);
			hit = shingle_intersect(oa, ca, ob, cb);
			assert_true(hit >= 1);
		}
	}
	/* density on random hashes is about 2 / (w + 1) */
	for (j = 0; j < 3000; j++)
		a[j] = rng();
	ca = shingle_winnow(a, 3000, 15, oa, pa);
	assert_true(
	    ca > 3000 * 2 / 16 * 8 / 10 && ca < 3000 * 2 / 16 * 12 / 10);
	/* n < w: the rightmost minimum of all n */
	a[0] = 5;
	a[1] = 3;
	a[2] = 9;
	a[3] = 3;
	assert_int_equal(shingle_winnow(a, 4, 10, oa, pa), 1);
	assert_int_equal(oa[0], 3);
	assert_int_equal(pa[0], 3);
	assert_int_equal(shingle_winnow(a, 0, 10, oa, pa), 0);
	/* robust: a run of equal hashes gives one per window, not per hash */
	for (j = 0; j < 100; j++)
		a[j] = 42;
	ca = shingle_winnow(a, 100, 4, oa, pa);
	assert_int_equal(ca, 25);
	check_winnow(a, 100, 4, oa, pa, ca);
	/* w = 1 selects everything */
	for (j = 0; j < 50; j++)
		a[j] = rng();
	assert_int_equal(shingle_winnow(a, 50, 1, oa, pa), 50);
}

/* ---- Sketches ------------------------------------------------------------ */

static const char *words[] = {"the", "government", "said", "on", "monday",
    "that", "it", "would", "increase", "spending", "for", "schools",
    "hospitals", "and", "roads", "after", "a", "year", "of", "record", "growth",
    "in", "tax", "revenue", "minister", "told", "reporters", "opposition",
    "leader", "criticized", "plan", "as", "too", "little", "late", "while",
    "economists", "warned", "inflation", "could", "rise", "again", "next",
    "spring", "city", "council", "voted", "approve", "new", "budget", "police",
    "arrested", "two", "men", "suspected", "robbery", "bank", "downtown",
    "early", "tuesday", "morning", "fire", "crews", "battled", "blaze", "hours",
    "before", "bringing", "under", "control", "storm", "knocked", "out",
    "power", "thousands", "homes", "across", "region", "officials", "expect",
    "restore", "service", "by", "weekend", "team", "won", "championship",
    "game", "with", "late", "goal", "fans", "celebrated", "streets", "company",
    "reported", "quarterly", "profit", "above", "analyst", "expectations",
    "shares", "rose", "percent", "trading", "stock", "exchange", "court",
    "ruled", "against", "appeal", "judge", "ordered", "retrial", "witnesses",
    "testified", "hospital", "nurses", "strike", "over", "pay", "conditions",
    "union", "members", "rejected", "offer"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* A random text of n words into buf; returns its length. */
static size_t
gen_text(char *buf, const size_t *idx, size_t n)
{
	size_t i, len = 0, wl;

	for (i = 0; i < n; i++) {
		wl = strlen(words[idx[i]]);
		memcpy(buf + len, words[idx[i]], wl);
		len += wl;
		buf[len++] = ' ';
	}
	return len;
}

/* Word 3-shingles of a text, unsorted, and their sorted unique set. */
static size_t
text_shingles(
    const char *buf, size_t len, uint64_t *h, uint64_t *set, size_t *nset)
{
	struct shingle_text t;
	size_t n;

	assert_int_equal(shingle_text_init(&t, buf, len), 0);
	n = shingle_words(&t, 3, h, NULL);
	memcpy(set, h, n * sizeof(*h));
	*nset = shingle_sort_unique(set, n);
	shingle_text_free(&t);
	return n;
}

/*
 * Estimates against exact Jaccard over pairs whose true similarity spreads
 * over [0, 1]: text B is text A with a fraction r of its words replaced,
 * r chosen so that word 3-shingle Jaccard is about uniform.
 */
static void
test_minhash_accuracy(void **state)
{
	enum { NPAIRS = 200, MAXW = 600 };
	static char ta[MAXW * 16], tb[MAXW * 16];
	static uint64_t ha[MAXW], hb[MAXW], sa[MAXW], sb[MAXW];
	size_t ia[MAXW], ib[MAXW], p, i, nw, na, nb, nsa, nsb, inter;
	uint32_t siga[SHINGLE_MINHASH_N], sigb[SHINGLE_MINHASH_N];
	double target, r, j, est, err = 0, maxerr = 0;
	int bucket[5] = {0};

	(void)state;
	rng_seed(8);
	for (p = 0; p < NPAIRS; p++) {
		target = (double)p / (NPAIRS - 1);
		r = 1 - cube_root(2 * target / (1 + target));
		nw = 50 + rng_below(MAXW - 50);
		for (i = 0; i < nw; i++) {
			ia[i] = rng_below(NWORDS);
			ib[i] = rng_unit() < r ? rng_below(NWORDS) : ia[i];
		}
		na = text_shingles(ta, gen_text(ta, ia, nw), ha, sa, &nsa);
		nb = text_shingles(tb, gen_text(tb, ib, nw), hb, sb, &nsb);
		inter = shingle_intersect(sa, nsa, sb, nsb);
		j = (double)inter / (double)(nsa + nsb - inter);
		shingle_minhash(ha, na, siga);
		shingle_minhash(hb, nb, sigb);
		est = shingle_minhash_jaccard(siga, sigb);
		err += dabs(est - j);
		if (dabs(est - j) > maxerr)
			maxerr = dabs(est - j);
		bucket[j >= 1 ? 4 : (int)(j * 5)]++;
	}
	err /= NPAIRS;
	print_message("MinHash (%d slots) over %d pairs: MAE %.4f, max %.4f; "
	              "true J per fifth: %d %d %d %d %d\n",
	    SHINGLE_MINHASH_N, NPAIRS, err, maxerr, bucket[0], bucket[1],
	    bucket[2], bucket[3], bucket[4]);
	for (i = 0; i < 5; i++)
		assert_true(bucket[i] >= NPAIRS / 10);
	assert_true(err <= 0.03);
}

/*
 * Signatures are stored: a new version must compute the same ones as the
 * last (figures from a run of the first one). 3000 hashes fill every bin;
 * 40 leave most empty, filled by densification.
 */
static void
test_minhash_golden(void **state)
{
	static uint64_t h[3000];
	uint32_t sig[SHINGLE_MINHASH_N];
	uint64_t x = 0x9e3779b97f4a7c15ull, acc;
	size_t i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		h[i] = x;
	}
	shingle_minhash(h, 3000, sig);
	for (acc = 0, i = 0; i < SHINGLE_MINHASH_N; i++)
		acc = acc * 31 + sig[i];
	assert_int_equal(sig[0], 165340570u);
	assert_int_equal(sig[127], 169640155u);
	assert_true(acc == 18081141275533091478ull);
	shingle_minhash(h, 40, sig);
	for (acc = 0, i = 0; i < SHINGLE_MINHASH_N; i++)
		acc = acc * 31 + sig[i];
	assert_int_equal(sig[0], 3608956139u);
	assert_true(acc == 16293782966046078226ull);
}

static void
test_minhash_props(void **state)
{
	static uint64_t h[1000], g[2000], d[1000];
	uint32_t a[SHINGLE_MINHASH_N], b[SHINGLE_MINHASH_N];
	uint64_t ka[16], kb[32];
	size_t i;

	(void)state;
	/* empty input: all ones */
	shingle_minhash(h, 0, a);
	for (i = 0; i < SHINGLE_MINHASH_N; i++)
		assert_int_equal(a[i], UINT32_MAX);
	/* order and duplicates do not matter */
	rng_seed(9);
	for (i = 0; i < 1000; i++)
		h[i] = rng();
	for (i = 0; i < 2000; i++)
		g[i] = h[(i * 7919) % 1000];
	shingle_minhash(h, 1000, a);
	shingle_minhash(g, 2000, b);
	assert_memory_equal(a, b, sizeof(a));
	assert_true(shingle_minhash_jaccard(a, b) == 1.0);
	/* disjoint sets */
	for (i = 0; i < 1000; i++)
		d[i] = rng();
	shingle_minhash(d, 1000, b);
	assert_true(shingle_minhash_jaccard(a, b) < 0.05);
	/* one element fills every slot by densification */
	shingle_minhash(h, 1, a);
	shingle_minhash(h, 1, b);
	for (i = 1; i < SHINGLE_MINHASH_N; i++)
		assert_int_equal(a[i], a[0]);
	assert_true(shingle_minhash_jaccard(a, b) == 1.0);
	/* few elements: densified slots still estimate J ({h0..h3} vs
	 * {h0..h3, d0..d3}: J = 0.5) */
	memcpy(g, h, 4 * sizeof(h[0]));
	memcpy(g + 4, d, 4 * sizeof(d[0]));
	shingle_minhash(h, 4, a);
	shingle_minhash(g, 8, b);
	assert_true(shingle_minhash_jaccard(a, b) > 0.15 &&
	            shingle_minhash_jaccard(a, b) < 0.85);

	/* bands: equal bands give equal keys, and only those */
	shingle_minhash(h, 1000, a);
	memcpy(b, a, sizeof(a));
	b[2 * 8 + 3] ^= 1; /* band 2 of 16 x 8 */
	shingle_minhash_bands(a, 16, 8, ka);
	shingle_minhash_bands(b, 16, 8, kb);
	for (i = 0; i < 16; i++) {
		if (i == 2)
			assert_true(ka[i] != kb[i]);
		else
			assert_int_equal(ka[i], kb[i]);
	}
	/* the band number is in the key: equal slots, different bands */
	for (i = 0; i < SHINGLE_MINHASH_N; i++)
		a[i] = 1234;
	shingle_minhash_bands(a, 16, 8, ka);
	for (i = 1; i < 16; i++)
		assert_true(ka[i] != ka[0]);
	/* keys depend on the slot values, not on host byte order */
	shingle_minhash_bands(a, 1, 1, ka);
	shingle_minhash_bands(a, 32, 4, kb);
	assert_true(ka[0] != kb[0]);
}

static void
test_simhash(void **state)
{
	enum { NW = 400 };
	static char ta[NW * 16], tb[NW * 16];
	static uint64_t ha[NW * 16], hb[NW * 16];
	size_t ia[NW], ib[NW], i, trial, na, nb;
	struct shingle_text a, b;
	uint64_t sa, sb;
	unsigned d, dmax = 0;
	double small = 0, far = 0;

	(void)state;
	assert_int_equal(shingle_simhash_distance(0, 0), 0);
	assert_int_equal(shingle_simhash_distance(0, UINT64_MAX), 64);
	assert_int_equal(shingle_simhash_distance(5, 4), 1);
	assert_int_equal(shingle_simhash(ha, 0), 0);
	/* against the textbook version, over the 255-hash counter flushes */
	rng_seed(11);
	for (trial = 0; trial < 20; trial++) {
		int64_t v[64] = {0};
		uint64_t want = 0;

		na = 1 + rng_below(NW * 16 - 1);
		for (i = 0; i < na; i++) {
			ha[i] = rng(); /* ties give 0 in both */
			for (d = 0; d < 64; d++)
				v[d] += (ha[i] >> d) & 1 ? 1 : -1;
		}
		for (d = 0; d < 64; d++)
			if (v[d] > 0)
				want |= 1ull << d;
		assert_int_equal(shingle_simhash(ha, na), want);
	}
	rng_seed(10);
	for (trial = 0; trial < 50; trial++) {
		for (i = 0; i < NW; i++)
			ia[i] = ib[i] = rng_below(NWORDS);
		/* small edit: two words replaced */
		ib[rng_below(NW)] = rng_below(NWORDS);
		ib[rng_below(NW)] = rng_below(NWORDS);
		assert_int_equal(
		    shingle_text_init(&a, ta, gen_text(ta, ia, NW)), 0);
		assert_int_equal(
		    shingle_text_init(&b, tb, gen_text(tb, ib, NW)), 0);
		na = shingle_words(&a, 3, ha, NULL);
		nb = shingle_words(&b, 3, hb, NULL);
		sa = shingle_simhash(ha, na);
		assert_int_equal(shingle_simhash(ha, na), sa);
		sb = shingle_simhash(hb, nb);
		d = shingle_simhash_distance(sa, sb);
		small += d;
		if (d > dmax)
			dmax = d;
		shingle_text_free(&b);
		/* unrelated text */
		for (i = 0; i < NW; i++)
			ib[i] = rng_below(NWORDS);
		assert_int_equal(
		    shingle_text_init(&b, tb, gen_text(tb, ib, NW)), 0);
		nb = shingle_words(&b, 3, hb, NULL);
		far += shingle_simhash_distance(sa, shingle_simhash(hb, nb));
		shingle_text_free(&a);
		shingle_text_free(&b);
	}
	small /= 50;
	far /= 50;
	print_message("SimHash: identical 0, 2-word edit mean %.1f (max %u), "
	              "unrelated mean %.1f bits\n",
	    small, dmax, far);
	assert_true(small <= 6);
	assert_true(dmax <= 12);
	assert_true(far >= 28 && far <= 36);
}

/* The textbook SimHash, bit by bit: the reference for the fast one. */
static uint64_t
ref_simhash(const uint64_t *h, size_t n)
{
	int64_t v[64] = {0};
	uint64_t out = 0;
	size_t i;
	unsigned d;

	for (i = 0; i < n; i++)
		for (d = 0; d < 64; d++)
			v[d] += (h[i] >> d) & 1 ? 1 : -1;
	for (d = 0; d < 64; d++)
		if (v[d] > 0)
			out |= 1ull << d;
	return out;
}

/*
 * Random hash arrays of every small size and of sizes around the blocks
 * and flushes of the column counters, with bits biased towards 0 or 1 so
 * that columns are often near a tie, exactly tied, or all one value.
 */
static void
test_simhash_reference(void **state)
{
	static const size_t big[] = {255, 256, 4079, 4080, 4081, 4095, 4096,
	    8159, 8160, 8161, 12240, 12241, 20000};
	static uint64_t h[20000];
	size_t n, i, trial;

	(void)state;
	rng_seed(12);
	for (trial = 0; trial < 2100; trial++) {
		n = trial < 2000 ? trial % 70
		                 : big[rng_below(sizeof(big) / sizeof(big[0]))];
		for (i = 0; i < n; i++) {
			switch (trial % 5) {
			case 0: /* 1 in 4 */
				h[i] = rng() & rng();
				break;
			case 1: /* 3 in 4 */
				h[i] = rng() | rng();
				break;
			case 2: /* repeated values: exact ties */
				h[i] = i % 2 ? ~h[i - 1] : rng();
				break;
			case 3: /* all ones in some columns */
				h[i] = rng() | 0xff00ff00ff00ff00ull;
				break;
			default:
				h[i] = rng();
				break;
			}
		}
		if (ref_simhash(h, n) != shingle_simhash(h, n))
			fail_msg("simhash differs from reference, n = %zu", n);
	}
	for (i = 0; i < 20000; i++)
		h[i] = UINT64_MAX;
	assert_true(shingle_simhash(h, 20000) == UINT64_MAX);
	assert_true(shingle_simhash(h, 1) == UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_nfkc),
	    cmocka_unit_test(test_nfkc_matches_utf8proc),
	    cmocka_unit_test(test_punctuation),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_apostrophes),
	    cmocka_unit_test(test_hyphen_break),
	    cmocka_unit_test(test_cjk),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_src_offsets),
	    cmocka_unit_test(test_ascii_fast_path),
	    cmocka_unit_test(test_robustness),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_chars),
	    cmocka_unit_test(test_chars_long),
	    cmocka_unit_test(test_chars_reference),
	    cmocka_unit_test(test_sort_unique),
	    cmocka_unit_test(test_sort_unique_reference),
	    cmocka_unit_test(test_intersect),
	    cmocka_unit_test(test_winnow),
	    cmocka_unit_test(test_minhash_golden),
	    cmocka_unit_test(test_minhash_accuracy),
	    cmocka_unit_test(test_minhash_props),
	    cmocka_unit_test(test_simhash),
	    cmocka_unit_test(test_simhash_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
