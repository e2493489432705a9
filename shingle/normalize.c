/*
 * normalize.c - UTF-8 bytes to normalized tokens (see shingle.h).
 *
 * Two paths give byte-identical results:
 *
 *  - The Unicode path decodes one source code point at a time, maps it
 *    through utf8proc's compatibility decomposition with case folding
 *    (NFKD_Casefold), classifies each resulting code point and builds
 *    tokens from them. When a token ends, its code points are put in
 *    canonical order and composed (NFKC), then encoded into `norm`.
 *    Working code point by code point is what lets every token keep the
 *    byte range of the source it came from.
 *
 *  - Pure ASCII input (the common case for wire copy) skips all of that:
 *    NFKC + case folding of ASCII is tolower(), and the token rules only
 *    need a one-byte look-ahead, except after a hyphen.
 *
 * Both paths share the ASCII character classes (ascii_tab[]), and the
 * Unicode path implements each joining rule the same way as the ASCII path,
 * so the test suite can check them against each other on random input.
 *
 * Memory: three buffers that grow by doubling (norm, tok, and a code point
 * scratch buffer for the token being built); nothing per character.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "le.h"
#include "shingle.h"

/* Classes of a code point after NFKC + case folding. */
enum cls {
	C_SEP = 0,   /* separates tokens */
	C_ALPHA = 1, /* letters (L*), numbers that are not digits (Nl, No) */
	C_DIGIT = 2, /* decimal digits (Nd); the two OR together */
	C_MARK,      /* combining marks (M*): continue the current token */
	C_CJK,       /* Han, kana, Hangul: a token by itself */
	C_JAMO,      /* Hangul medial/final jamo: continue a CJK token */
	C_NUMPUNCT,  /* '.' ',': kept between two digits */
	C_APOS,      /* '\'' U+2019: kept between digits, dropped in words */
	C_HYPHEN,    /* '-' U+2010: a hyphen + line break joins a word */
	C_HSPACE,    /* ' ' '\t' and other spaces, skipped by the hyphen rule */
	C_NL,        /* LF, CR, NEL, LS: a line break for the hyphen rule */
	C_IGNORE,    /* invisible format characters (soft hyphen, ZWJ) */
};

/*
 * Decompositions are short: the longest NFKD_Casefold mapping in Unicode 15
 * is U+FDFA at 18 code points.
 */
#define DMAX 32

/* NFKD + case folding; composition happens per token in tok_end(). */
#define DECOMP_OPTS (UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE)

/*
 * Classes of the ASCII bytes, as a table built by the preprocessor: the
 * fast path looks every byte up, and a switch costs it a third of its
 * time in mispredicted branches.
 */
#define ACLS(c)                                                                \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') ? C_ALPHA    \
	    : ((c) >= '0' && (c) <= '9')                          ? C_DIGIT    \
	    : ((c) == '.' || (c) == ',')                          ? C_NUMPUNCT \
	    : (c) == '\''                                         ? C_APOS     \
	    : (c) == '-'                                          ? C_HYPHEN   \
	    : ((c) == ' ' || (c) == '\t')                         ? C_HSPACE   \
	    : ((c) == '\n' || (c) == '\r')                        ? C_NL       \
	                                                          : C_SEP)
#define ACLS4(c) ACLS(c), ACLS((c) + 1), ACLS((c) + 2), ACLS((c) + 3)
#define ACLS16(c) ACLS4(c), ACLS4((c) + 4), ACLS4((c) + 8), ACLS4((c) + 12)
#define ACLS64(c)                                                              \
	ACLS16(c), ACLS16((c) + 16), ACLS16((c) + 32), ACLS16((c) + 48)

static const unsigned char ascii_tab[128] = {ACLS64(0), ACLS64(64)};

static inline enum cls
ascii_cls(unsigned c)
{
	return (enum cls)ascii_tab[c & 0x7f];
}

/* C_ALPHA or C_DIGIT: the classes that make tokens in ASCII. */
static inline int
is_alnum_cls(unsigned k)
{
	return k - C_ALPHA < 2;
}

static int
is_cjk(int32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || /* Hangul initial jamo */
	       (c >= 0x2e80 && c <= 0x2fdf) || /* CJK and Kangxi radicals */
	       (c >= 0x3005 && c <= 0x3007) || /* 々 〆 〇 */
	       (c >= 0x3021 && c <= 0x3029) || /* Hangzhou numerals */
	       (c >= 0x3038 && c <= 0x303b) ||
	       (c >= 0x3040 && c <= 0x30ff) ||   /* Hiragana, Katakana */
	       (c >= 0x3130 && c <= 0x318f) ||   /* Hangul compat. jamo */
	       (c >= 0x31f0 && c <= 0x31ff) ||   /* Katakana ext. */
	       (c >= 0x3400 && c <= 0x4dbf) ||   /* Han ext. A */
	       (c >= 0x4e00 && c <= 0x9fff) ||   /* Han */
	       (c >= 0xa960 && c <= 0xa97f) ||   /* Hangul initial jamo ext. */
	       (c >= 0xac00 && c <= 0xd7a3) ||   /* Hangul syllables */
	       (c >= 0xf900 && c <= 0xfaff) ||   /* Han compatibility */
	       (c >= 0xff66 && c <= 0xff9d) ||   /* half-width Katakana */
	       (c >= 0x1b000 && c <= 0x1b16f) || /* Kana supplement, ext. */
	       (c >= 0x20000 && c <= 0x3ffff);   /* Han ext. B.. */
}

static enum cls
uni_cls(int32_t c)
{
	if (c < 0x80)
		return ascii_cls((unsigned)c);
	switch (c) {
	case 0x2019: /* right single quotation mark, the usual apostrophe */
		return C_APOS;
	case 0x2010: /* hyphen (U+2011 folds to it) */
		return C_HYPHEN;
	case 0x0085: /* NEL */
	case 0x2028: /* line separator */
		return C_NL;
	case 0x00ad: /* soft hyphen */
	case 0x200c: /* zero width non-joiner */
	case 0x200d: /* zero width joiner */
	case 0x2060: /* word joiner */
	case 0xfeff: /* zero width no-break space, BOM */
		return C_IGNORE;
	}
	/* Hangul vowel and final jamo compose with what precedes them. */
	if ((c >= 0x1160 && c <= 0x11ff) || (c >= 0xd7b0 && c <= 0xd7ff))
		return C_JAMO;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		if (is_cjk(c))
			return C_CJK;
		return C_ALPHA;
	case UTF8PROC_CATEGORY_ND:
		return C_DIGIT;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return C_MARK;
	case UTF8PROC_CATEGORY_ZS:
		return C_HSPACE;
	case UTF8PROC_CATEGORY_ZL:
		return C_NL;
	default:
		return C_SEP;
	}
}

/*
 * Decode one code point at s[0..n), n >= 1. Returns its length; *cp is
 * U+FFFD and *bad is set for an ill-formed sequence, which is then the
 * maximal subpart of a well-formed one (at least one byte), as Unicode
 * chapter 3 "U+FFFD Substitution of Maximal Subparts" recommends: a
 * truncated sequence is one replacement, a stray byte is one replacement.
 * Overlongs, surrogates and code points above U+10FFFF are ill-formed.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, int32_t *cp, int *bad)
{
	unsigned b0 = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	int32_t c;

	*bad = 0;
	if (b0 < 0x80) {
		*cp = (int32_t)b0;
		return 1;
	}
	if (b0 >= 0xc2 && b0 <= 0xdf) {
		need = 1;
		c = b0 & 0x1f;
	} else if (b0 >= 0xe0 && b0 <= 0xef) {
		need = 2;
		c = b0 & 0x0f;
		if (b0 == 0xe0)
			lo = 0xa0; /* overlong */
		else if (b0 == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (b0 >= 0xf0 && b0 <= 0xf4) {
		need = 3;
		c = b0 & 0x07;
		if (b0 == 0xf0)
			lo = 0x90; /* overlong */
		else if (b0 == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		goto bad; /* continuation byte, C0, C1, F5..FF */
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = 0xfffd;
			*bad = 1;
			return i;
		}
		c = (c << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return need + 1;
bad:
	*cp = 0xfffd;
	*bad = 1;
	return 1;
}

/* One normalized code point, with the source code point it came from. */
struct ucp {
	int32_t c;         /* normalized (NFKD_Casefold) code point */
	int32_t src;       /* source code point, U+FFFD if ill-formed */
	uint32_t off, len; /* source byte range of src */
	enum cls cls;
};

/*
 * Iterator over the normalized code points of the source. Small enough to
 * copy for look-ahead, which only happens after punctuation.
 */
struct cpit {
	const unsigned char *s;
	size_t len, pos; /* pos: next source byte to decode */
	int32_t d[DMAX]; /* decomposition of the current source code point */
	int nd, id;
	int32_t src;
	uint32_t off, slen;
	size_t nbad;
};

static int
cpit_next(struct cpit *it, struct ucp *u)
{
	while (it->id >= it->nd) {
		int32_t cp;
		int bad, bc = 0;
		size_t n;
		utf8proc_ssize_t nd;

		if (it->pos >= it->len)
			return 0;
		n = utf8_decode(it->s + it->pos, it->len - it->pos, &cp, &bad);
		it->off = (uint32_t)it->pos;
		it->slen = (uint32_t)n;
		it->pos += n;
		it->src = cp;
		it->id = 0;
		it->nd = 1;
		if (bad) {
			it->nbad++;
			it->d[0] = 0xfffd;
		} else if (cp < 0x80) {
			it->d[0] = ((uint32_t)(cp - 'A') < 26) ? cp + 32 : cp;
		} else if (cp >= 0xac00 && cp <= 0xd7a3) {
			/*
			 * A Hangul syllable is its own NFKC form; keeping it
			 * whole keeps it one CJK token.
			 */
			it->d[0] = cp;
		} else {
			nd = utf8proc_decompose_char(
			    cp, it->d, DMAX, DECOMP_OPTS, &bc);
			if (nd < 0 || nd > DMAX) {
				it->d[0] = cp; /* cannot happen in Unicode 15 */
				nd = 1;
			}
			it->nd = (int)nd;
		}
	}
	u->c = it->d[it->id++];
	u->src = it->src;
	u->off = it->off;
	u->len = it->slen;
	u->cls = uni_cls(u->c);
	return 1;
}

/* The next code point that is not C_IGNORE, or C_SEP at the end. */
static enum cls
cpit_peek(const struct cpit *it)
{
	struct cpit p = *it;
	struct ucp u;

	do {
		if (!cpit_next(&p, &u))
			return C_SEP;
	} while (u.cls == C_IGNORE);
	return u.cls;
}

/*
 * After a hyphen inside a word: if what follows is [ \t]* line-break
 * [ \t]* letter, advance *it to just before the letter and return 1.
 * A line break is LF, CR, CR LF, NEL or LS; exactly one.
 */
static int
cpit_hyphen_break(struct cpit *it)
{
	struct cpit a = *it, prev;
	struct ucp u;
	int nl = 0;

	for (;;) {
		prev = a;
		if (!cpit_next(&a, &u))
			return 0;
		if (u.cls == C_HSPACE || u.cls == C_IGNORE)
			continue;
		if (u.cls == C_NL && !nl) {
			nl = 1;
			if (u.c == '\r') {
				prev = a;
				if (!cpit_next(&a, &u))
					return 0;
				if (u.c != '\n')
					a = prev;
			}
			continue;
		}
		if (nl && u.cls == C_ALPHA) {
			*it = prev;
			return 1;
		}
		return 0;
	}
}

/* Output under construction. */
struct out {
	char *norm;
	size_t nlen, ncap;
	struct shingle_token *tok;
	size_t ntok, tcap;
	int32_t *cp; /* code points of the open token */
	size_t ncp, cpcap;
	/* the open token */
	int open, cjk, seen_alpha;
	enum cls last;
	uint32_t src_off, src_end, flags;
	int32_t maxcp;
	size_t tstart; /* ASCII path: where the open token starts in norm */
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Inline: the ASCII path adds a token every six bytes or so. */
static inline int
tok_add(struct out *o, uint32_t off, uint32_t len)
{
	struct shingle_token *k;

	if (__builtin_expect(o->ntok == o->tcap, 0) &&
	    grow((void **)&o->tok, &o->tcap, o->ntok + 1, sizeof(*o->tok)) != 0)
		return -ENOMEM;
	k = &o->tok[o->ntok++];
	k->off = off;
	k->len = len;
	k->src_off = o->src_off;
	k->src_len = o->src_end - o->src_off;
	k->flags = o->flags;
	return 0;
}

/* Canonical ordering of combining marks (Unicode 3.11), in place. */
static void
canon_order(int32_t *cp, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		size_t j = i;
		int cc = utf8proc_get_property(cp[j])->combining_class;

		if (cc == 0)
			continue;
		while (j > 0 &&
		       utf8proc_get_property(cp[j - 1])->combining_class > cc) {
			int32_t t = cp[j];

			cp[j] = cp[j - 1];
			cp[j - 1] = t;
			j--;
		}
	}
}

/* Close the open token: compose, encode into norm, record it. */
static int
tok_end(struct out *o)
{
	utf8proc_ssize_t n;
	size_t i, start;

	if (!o->open)
		return 0;
	o->open = 0;
	n = (utf8proc_ssize_t)o->ncp;
	/* Nothing below U+0300 combines or reorders. */
	if (o->maxcp >= 0x300) {
		canon_order(o->cp, o->ncp);
		n = utf8proc_normalize_utf32(
		    o->cp, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
		if (n < 0)
			n = (utf8proc_ssize_t)o->ncp; /* not reached */
	}
	if (grow((void **)&o->norm, &o->ncap, o->nlen + 4 * (size_t)n + 2, 1) !=
	    0)
		return -ENOMEM;
	if (o->ntok > 0)
		o->norm[o->nlen++] = ' ';
	start = o->nlen;
	for (i = 0; i < (size_t)n; i++)
		o->nlen += (size_t)utf8proc_encode_char(
		    o->cp[i], (utf8proc_uint8_t *)o->norm + o->nlen);
	/* Decompositions can make norm longer than the source. */
	if (o->nlen > UINT32_MAX)
		return -EFBIG;
	return tok_add(o, (uint32_t)start, (uint32_t)(o->nlen - start));
}

static int
tok_put(struct out *o, const struct ucp *u)
{
	if (!o->open) {
		o->open = 1;
		o->cjk = u->cls == C_CJK;
		o->seen_alpha = 0;
		o->flags = o->cjk ? SHINGLE_TOK_CJK : 0;
		o->src_off = u->off;
		o->ncp = 0;
		o->maxcp = 0;
	}
	if (o->ncp == o->cpcap &&
	    grow((void **)&o->cp, &o->cpcap, o->ncp + 1, sizeof(*o->cp)) != 0)
		return -ENOMEM;
	o->cp[o->ncp++] = u->c;
	if (u->c > o->maxcp)
		o->maxcp = u->c;
	o->src_end = u->off + u->len;
	if (u->cls == C_DIGIT)
		o->flags |= SHINGLE_TOK_DIGIT;
	if (!o->seen_alpha && u->cls == C_ALPHA) {
		utf8proc_category_t cat = utf8proc_category(u->c);

		if (cat >= UTF8PROC_CATEGORY_LU &&
		    cat <= UTF8PROC_CATEGORY_LO) {
			o->seen_alpha = 1;
			cat = utf8proc_category(u->src);
			if (cat == UTF8PROC_CATEGORY_LU ||
			    cat == UTF8PROC_CATEGORY_LT)
				o->flags |= SHINGLE_TOK_UPPER;
		}
	}
	o->last = u->cls;
	return 0;
}

/*
 * After a letter or digit: append the run of ASCII letters and digits that
 * follows straight from the source, skipping the decomposition. Most text
 * is such runs, even text that is not all ASCII (curly quotes, dashes).
 */
static int
tok_put_ascii_run(struct out *o, struct cpit *it)
{
	const unsigned char *s = it->s;
	size_t p = it->pos;
	unsigned k;

	if (it->id < it->nd)
		return 0; /* in the middle of a decomposition */
	while (
	    p < it->len && s[p] < 0x80 && is_alnum_cls(k = ascii_tab[s[p]])) {
		if (o->ncp == o->cpcap && grow((void **)&o->cp, &o->cpcap,
		                              o->ncp + 1, sizeof(*o->cp)) != 0)
			return -ENOMEM;
		o->cp[o->ncp++] = s[p] | 0x20;
		if (k == C_DIGIT)
			o->flags |= SHINGLE_TOK_DIGIT;
		if (!o->seen_alpha && k == C_ALPHA) {
			o->seen_alpha = 1;
			if (s[p] < 'a')
				o->flags |= SHINGLE_TOK_UPPER;
		}
		o->last = (enum cls)k;
		p++;
	}
	if (p != it->pos) {
		o->src_end = (uint32_t)p;
		it->pos = p;
	}
	return 0;
}

static int
is_wordish(enum cls c)
{
	return c == C_ALPHA || c == C_MARK;
}

static int
norm_unicode(struct out *o, const unsigned char *s, size_t len, size_t *nbad)
{
	struct cpit it;
	struct ucp u;
	int rc = 0;

	memset(&it, 0, sizeof(it));
	it.s = s;
	it.len = len;
	while (rc == 0 && cpit_next(&it, &u)) {
		switch (u.cls) {
		case C_ALPHA:
		case C_DIGIT:
			if (o->open && o->cjk)
				rc = tok_end(o);
			if (rc == 0)
				rc = tok_put(o, &u);
			if (rc == 0)
				rc = tok_put_ascii_run(o, &it);
			break;
		case C_MARK:
			rc = tok_put(o, &u);
			break;
		case C_JAMO:
			if (!(o->open && o->cjk)) {
				rc = tok_end(o);
				u.cls = C_CJK;
			}
			if (rc == 0)
				rc = tok_put(o, &u);
			break;
		case C_CJK:
			if ((rc = tok_end(o)) == 0)
				rc = tok_put(o, &u);
			break;
		case C_NUMPUNCT:
		case C_APOS:
			if (o->open && o->last == C_DIGIT &&
			    cpit_peek(&it) == C_DIGIT) {
				/* "1’000" is "1'000" */
				if (u.cls == C_APOS)
					u.c = '\'';
				rc = tok_put(o, &u);
				o->last = C_NUMPUNCT;
			} else if (u.cls == C_APOS && o->open && !o->cjk &&
			           is_wordish(o->last) &&
			           cpit_peek(&it) == C_ALPHA) {
				/* dropped: "don't" is "dont" */
			} else {
				rc = tok_end(o);
			}
			break;
		case C_HYPHEN:
			if (!(o->open && !o->cjk && is_wordish(o->last) &&
			        cpit_hyphen_break(&it)))
				rc = tok_end(o);
			break;
		case C_IGNORE:
			break;
		default:
			rc = tok_end(o);
			break;
		}
	}
	if (rc == 0)
		rc = tok_end(o);
	*nbad = it.nbad;
	return rc;
}

#define ONES 0x0101010101010101ull
#define HIGHS (ONES * 0x80)

/*
 * The letters (*alpha) and digits (*digit) of eight ASCII bytes, as 0x80
 * in their bytes: a byte x lies in [lo, hi] when x + (0x80 - lo) has its
 * high bit set and x + (0x7f - hi) has not (no byte carries into the
 * next: x < 0x80). Letters are tested folded to lower case.
 */
static inline void
swar_classes(uint64_t w, uint64_t *alpha, uint64_t *digit)
{
	uint64_t l = w | ONES * 0x20;

	*alpha = (l + ONES * (0x80 - 'a')) & ~(l + ONES * (0x7f - 'z')) & HIGHS;
	*digit = (w + ONES * (0x80 - '0')) & ~(w + ONES * (0x7f - '9')) & HIGHS;
}

/*
 * Copy the letters and digits from s[i] (one of them) to d[*n], folded to
 * lower case, and return where they end. The first letter of a token
 * (*seen 0) says whether it was upper case (*fl); *cl collects C_ALPHA and
 * C_DIGIT. Eight bytes at a time while eight remain on both sides (a word
 * of news copy is about six letters: a byte at a time, the loop's exit
 * was mispredicted once a word and its body ran a dozen instructions a
 * byte); the last bytes of the text one at a time.
 */
static size_t
ascii_run(const unsigned char *s, size_t i, size_t len, char *d, size_t *n,
    unsigned *seen, unsigned *fl, unsigned *cl)
{
	uint64_t w, alpha, digit, stop, keep;
	unsigned k;

	/* norm has len + 1 bytes and *n <= i: eight fit at *n. */
	while (i + 8 <= len) {
		w = load_le64(s + i);
		swar_classes(w, &alpha, &digit);
		stop = ~(alpha | digit) & HIGHS;
		k = stop ? (unsigned)__builtin_ctzll(stop) / 8 : 8;
		keep = k == 8 ? ~0ull : (1ull << (8 * k)) - 1;
		alpha &= keep;
		digit &= keep;
		if (!*seen && alpha) {
			*seen = 1;
			if (s[i + (unsigned)__builtin_ctzll(alpha) / 8] < 'a')
				*fl |= SHINGLE_TOK_UPPER;
		}
		*cl |= (alpha ? C_ALPHA : 0) | (digit ? C_DIGIT : 0);
		store_le64(d + *n, w | alpha >> 2); /* a letter's 0x20 */
		*n += k;
		i += k;
		if (k < 8)
			return i;
	}
	for (; i < len && is_alnum_cls(k = ascii_tab[s[i]]); i++) {
		if (!*seen && k == C_ALPHA) {
			*seen = 1;
			if (s[i] < 'a')
				*fl |= SHINGLE_TOK_UPPER;
		}
		d[(*n)++] = (char)(s[i] | 0x20);
		*cl |= k;
	}
	return i;
}

/*
 * The ASCII fast path: same rules as norm_unicode(), one pass, writing
 * straight into norm, which cannot outgrow the input: every token byte
 * comes from one source byte and every separating space replaces at least
 * one. NFKC + case folding of [A-Za-z0-9] is c | 0x20.
 */
static int
norm_ascii(struct out *o, const unsigned char *s, size_t len)
{
	size_t i = 0, j, n = 0;
	/* fl: token flags so far; cl: C_ALPHA | C_DIGIT of its bytes */
	unsigned k, last = C_SEP, seen = 0, fl = 0, cl = 0;
	int open = 0;
	char *d;

	if (grow((void **)&o->norm, &o->ncap, len + 1, 1) != 0)
		return -ENOMEM;
	d = o->norm;
	while (i < len) {
		k = ascii_tab[s[i]];
		if (is_alnum_cls(k)) {
			if (!open) {
				open = 1;
				seen = 0;
				fl = 0;
				cl = 0;
				o->src_off = (uint32_t)i;
				if (o->ntok > 0)
					d[n++] = ' ';
				o->tstart = n;
			}
			i = ascii_run(s, i, len, d, &n, &seen, &fl, &cl);
			last = ascii_tab[s[i - 1]];
			o->src_end = (uint32_t)i;
			continue;
		}
		if (open) {
			if ((k == C_NUMPUNCT || k == C_APOS) &&
			    last == C_DIGIT && i + 1 < len &&
			    ascii_tab[s[i + 1]] == C_DIGIT) {
				d[n++] = (char)s[i++];
				last = C_NUMPUNCT;
				continue;
			}
			if (k == C_APOS && last == C_ALPHA && i + 1 < len &&
			    ascii_tab[s[i + 1]] == C_ALPHA) {
				i++;
				continue;
			}
			if (k == C_HYPHEN && last == C_ALPHA) {
				j = i + 1;
				while (j < len && (s[j] == ' ' || s[j] == '\t'))
					j++;
				if (j < len && s[j] == '\r') {
					j++;
					if (j < len && s[j] == '\n')
						j++;
				} else if (j < len && s[j] == '\n') {
					j++;
				} else {
					j = len; /* no line break */
				}
				while (j < len && (s[j] == ' ' || s[j] == '\t'))
					j++;
				if (j < len && ascii_tab[s[j]] == C_ALPHA) {
					i = j;
					continue;
				}
			}
			open = 0;
			o->flags = fl | (cl & C_DIGIT ? SHINGLE_TOK_DIGIT : 0);
			if (tok_add(o, (uint32_t)o->tstart,
			        (uint32_t)(n - o->tstart)) != 0)
				return -ENOMEM;
		}
		i++;
	}
	if (open) {
		o->flags = fl | (cl & C_DIGIT ? SHINGLE_TOK_DIGIT : 0);
		if (tok_add(
		        o, (uint32_t)o->tstart, (uint32_t)(n - o->tstart)) != 0)
			return -ENOMEM;
	}
	o->nlen = n;
	return 0;
}

static int
is_ascii(const unsigned char *s, size_t len)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= s[i];
	return (acc & 0x8080808080808080ull) == 0;
}

int
shingle_text_init(struct shingle_text *t, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o;
	size_t nbad = 0;
	int rc, ascii;

	memset(t, 0, sizeof(*t));
	if (len > UINT32_MAX / 2)
		return -EFBIG;
	if (src == NULL && len > 0)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	/* A rough guess of one token per six bytes saves most regrowth. */
	if (grow((void **)&o.tok, &o.tcap, len / 6 + 1, sizeof(*o.tok)) != 0) {
		rc = -ENOMEM;
		goto err;
	}
	if ((ascii = is_ascii(s, len))) {
		rc = norm_ascii(&o, s, len);
	} else {
		rc = grow((void **)&o.norm, &o.ncap, len + len / 8 + 16, 1);
		if (rc == 0)
			rc = norm_unicode(&o, s, len, &nbad);
	}
	if (rc == 0)
		rc = grow((void **)&o.norm, &o.ncap, o.nlen + 1, 1);
	if (rc != 0)
		goto err;
	o.norm[o.nlen] = '\0';
	free(o.cp);
	t->norm = o.norm;
	t->norm_len = o.nlen;
	t->tok = o.tok;
	t->ntok = o.ntok;
	t->nreplaced = nbad;
	t->ascii = ascii;
	return 0;
err:
	free(o.norm);
	free(o.tok);
	free(o.cp);
	return rc;
}

void
shingle_text_free(struct shingle_text *t)
{
	if (t == NULL)
		return;
	free(t->norm);
	free(t->tok);
	memset(t, 0, sizeof(*t));
}
