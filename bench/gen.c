/*
 * gen.c - reprintd-gen: a seeded generator of invented English news
 * articles and reprints of some of them, for the benchmark.
 *
 * No external text. The language is invented once, from a fixed seed, at
 * start-up: tens of thousands of pseudo-words made of syllables (nouns,
 * verbs, adjectives, given names, surnames, places, organisations), each
 * list drawn with Zipf-like frequencies, and a few hundred "topics" that
 * each favour some of those words, organisations and public figures.
 * Sentences come from a small grammar with random choices (noun phrases
 * with determiners, adjectives and prepositional phrases, verb phrases in
 * several tenses, openers, attributions, quotes) joined by the real
 * English function words, a few real news words and a handful of stock
 * phrases ("said in a statement", "according to"). So, as in newswire,
 * unrelated articles share words and short phrases but hardly any long
 * passage, and articles on the same topic share topic words and names:
 * the index then sees the candidates a real corpus gives, not dozens of
 * spurious ones per article from shared sentence templates.
 *
 * Article i is generated from its own PRNG stream, seeded from (seed, i),
 * so any article can be regenerated alone: a reprint of article j
 * regenerates j and transforms it, and "--start K" continues a corpus
 * (files dropped into a running daemon) with reprints of articles
 * already stored. The seed changes the articles, not the language.
 *
 * Layout: DIR/sNNNNN/aNNNNNNNN.txt, `per_dir` files per folder, a folder
 * per "source" (each with its own line wrapping, reporters and reprint
 * banner). The manifest (path, kind, original, bytes; TSV) goes next to
 * DIR, not inside it, so that a daemon watching DIR does not ingest it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- PRNG and buffers ---------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed * 0x2545f4914f6cdd1dULL ^ stream * 0x9e3779b97f4a7c15ULL;
	rng_next(r);
	rng_next(r);
}

#define PICK(r, a) ((a)[rng_below((r), (uint32_t)NELEM(a))])

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_grow(struct buf *b, size_t need)
{
	size_t cap;

	if (b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 8192;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL) {
		fprintf(stderr, "reprintd-gen: out of memory\n");
		exit(1);
	}
	b->cap = cap;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_ch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_fmt(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* ---- The invented language ----------------------------------------------- */

/*
 * Syllables. Onsets and codas repeat in the tables to weight them; the
 * suffixes give each word class an English-looking ending ("-tion",
 * "-ous", "-ville"), short enough not to make long shared runs.
 */
static const char *onsets[] = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m",
    "n", "p", "r", "s", "t", "v", "w", "z", "b", "c", "d", "f", "g", "h", "k",
    "l", "m", "n", "p", "r", "s", "t", "v", "w", "b", "d", "l", "m", "n", "p",
    "r", "s", "t", "br", "cr", "dr", "fr", "gr", "pr", "tr", "bl", "cl", "fl",
    "pl", "sl", "st", "sp", "sh", "ch", "th", "qu", "y"};
static const char *nuclei[] = {"a", "e", "i", "o", "u", "a", "e", "i", "o", "a",
    "e", "i", "o", "a", "e", "ai", "ea", "ee", "oa", "ou", "oo", "ie"};
static const char *codas[] = {"n", "r", "l", "s", "t", "m", "n", "r", "l", "s",
    "t", "nd", "nt", "st", "rt", "ck", "ng", "sh", "th", "x", "ld", "rn", "mp",
    "ft", "rd"};
static const char *suf_noun[] = {"tion", "ment", "ness", "er", "ity", "ance",
    "ist", "age", "ure", "ery", "ism", "ship", "ium", "on", "or", "et"};
static const char *suf_adj[] = {"al", "ous", "ive", "ic", "ful", "less", "able",
    "ish", "ary", "ent", "ian", "ile", "y", "ar"};
static const char *suf_verb[] = {"ate", "ize", "en", "ify", "ish", "er"};
static const char *suf_given[] = {"a", "o", "an", "el", "ia", "in", "us", "ine",
    "ette", "io", "ar", "im", "ah", "ey"};
static const char *suf_sur[] = {"son", "ski", "ez", "ov", "berg", "man", "ley",
    "ton", "ard", "elli", "ini", "ak", "ura", "ek", "ani", "ou"};
static const char *suf_place[] = {"ton", "ville", "burg", "field", "port",
    "ford", "dale", "mouth", "haven", "stead", "wick", "ham", "by", "land",
    "bridge", "mere"};
static const char *suf_org[] = {
    "a", "ex", "on", "ia", "corp", "tek", "ra", "is", "um", "co", "ix", "tra"};

/* A word list in rank order (rank 0 the most frequent) in one arena. */
struct pool {
	uint32_t *off, n;
	double c, span; /* Zipf offset c; log2((n + c) / c) */
};

static struct buf arena;
static struct pool p_noun, p_verb, p_adj, p_given, p_sur, p_place, p_org;

#define W(pool, i) (arena.p + (pool)->off[i])

/*
 * 2^x and log2(y) for x, y >= 0 and >= 1, without libm (the benchmark
 * programs link nothing else). 2^frac by its Taylor series: a relative
 * error of 1e-5 is plenty for drawing word ranks.
 */
static double
exp2_pos(double x)
{
	unsigned k = (unsigned)x;
	double f = (x - k) * 0.6931471805599453;

	/* Horner: 1 + f + f^2/2! + ... + f^7/7! */
	return (1 +
	           f * (1 +
	                   f * (1.0 / 2 +
	                           f * (1.0 / 6 +
	                                   f * (1.0 / 24 +
	                                           f * (1.0 / 120 +
	                                                   f * (1.0 / 720 +
	                                                           f / 5040))))))) *
	       (double)(1ULL << k);
}

static double
log2_ge1(double y)
{
	double v = 0, bit = 1;
	int i;

	while (y >= 2) {
		y /= 2;
		v += 1;
	}
	for (i = 0; i < 40; i++) {
		y *= y;
		bit /= 2;
		if (y >= 2) {
			y /= 2;
			v += bit;
		}
	}
	return v;
}

/*
 * A rank with probability about proportional to 1 / (rank + c): Zipf's
 * law, flattened at the head by c because the most frequent words of a
 * text are the function words, which the grammar adds itself. Drawn as
 * a log-uniform number, so no table.
 */
static uint32_t
zipf(const struct pool *p, struct rng *r)
{
	uint32_t i = (uint32_t)(p->c * exp2_pos(rng_unit(r) * p->span) - p->c);

	return i < p->n ? i : p->n - 1;
}

static const char *
pick(const struct pool *p, struct rng *r)
{
	return W(p, zipf(p, r));
}

/* A word not among the frequent ones: for topics and article keywords. */
static uint32_t
rare(const struct pool *p, struct rng *r)
{
	return p->n / 50 + rng_below(r, p->n - p->n / 50);
}

/*
 * Make n words of one class. Frequent words are short (Zipf's law of
 * abbreviation): the syllable count grows with the rank.
 */
static void
pool_make(struct pool *p, struct rng *r, uint32_t n, double c, const char **suf,
    uint32_t nsuf, unsigned suf_pct, int cap)
{
	uint32_t i;
	unsigned ns, s;
	size_t start;

	p->off = malloc(n * sizeof(*p->off));
	if (p->off == NULL) {
		fprintf(stderr, "reprintd-gen: out of memory\n");
		exit(1);
	}
	p->n = n;
	p->c = c;
	p->span = log2_ge1((n + c) / c);
	for (i = 0; i < n; i++) {
		start = arena.len;
		ns = 1 + (i >= n / 100) + (i >= n / 10 && rng_below(r, 2));
		if (cap && ns < 2)
			ns = 2; /* names: "Bo" is rare, "Belano" common */
		for (s = 0; s < ns; s++) {
			if (s > 0 || rng_below(r, 100) < 85)
				buf_str(&arena, PICK(r, onsets));
			buf_str(&arena, PICK(r, nuclei));
			if (rng_below(r, 100) < (s + 1 == ns ? 55 : 15))
				buf_str(&arena, PICK(r, codas));
		}
		if (rng_below(r, 100) < suf_pct)
			buf_str(&arena, suf[rng_below(r, nsuf)]);
		if (cap)
			arena.p[start] = (char)(arena.p[start] - 'a' + 'A');
		/* Offsets, not pointers: the arena moves while it grows. */
		p->off[i] = (uint32_t)start;
		buf_ch(&arena, '\0');
	}
}

/*
 * Topics: what a beat reporter writes about again and again. An article
 * draws part of its words, its organisations and some of its people from
 * its topic, so articles on one topic share names and terms, not text.
 */
#define NTOPICS 400
#define TOPIC_ORGS 8
#define TOPIC_FIGS 8

static const char *org_kinds[] = {"Ministry", "Council", "Authority",
    "Commission", "Agency", "Institute", "Board", "Union", "Group", "Holdings",
    "Bank", "Party", "Foundation", "Corporation", "Association", "Court",
    "Service", "Federation", "Trust", "Partners", "Industries", "League"};
static const char *titles[] = {"spokesman", "spokeswoman", "director",
    "chief executive", "minister", "deputy mayor", "chairman", "president",
    "senior analyst", "economist", "commissioner", "head of operations",
    "union leader", "prosecutor", "judge", "professor", "researcher",
    "lawmaker", "senator", "governor", "police chief", "treasurer",
    "project manager", "board member", "founder", "secretary"};

struct figure {
	uint32_t given, sur, title;
};

struct topic {
	uint32_t noun[40], verb[12], adj[12];
	uint32_t org[TOPIC_ORGS], org_kind[TOPIC_ORGS];
	struct figure fig[TOPIC_FIGS];
};
static struct topic topics[NTOPICS];
static struct pool p_topic; /* ranks of topics: some are hot */

static void
language_init(void)
{
	struct rng r;
	struct topic *t;
	unsigned i, j;

	/* A fixed seed: the same language whatever -s says. */
	rng_seed(&r, 0x6c616e67ULL, 0);
	pool_make(&p_noun, &r, 16000, 40, suf_noun, NELEM(suf_noun), 30, 0);
	pool_make(&p_verb, &r, 4000, 20, suf_verb, NELEM(suf_verb), 30, 0);
	pool_make(&p_adj, &r, 6000, 30, suf_adj, NELEM(suf_adj), 60, 0);
	pool_make(&p_given, &r, 3000, 40, suf_given, NELEM(suf_given), 50, 1);
	pool_make(&p_sur, &r, 30000, 100, suf_sur, NELEM(suf_sur), 40, 1);
	pool_make(&p_place, &r, 8000, 30, suf_place, NELEM(suf_place), 45, 1);
	pool_make(&p_org, &r, 6000, 50, suf_org, NELEM(suf_org), 30, 1);
	p_topic.n = NTOPICS;
	p_topic.c = 20;
	p_topic.span = log2_ge1((NTOPICS + 20.0) / 20.0);
	for (i = 0; i < NTOPICS; i++) {
		t = &topics[i];
		for (j = 0; j < NELEM(t->noun); j++)
			t->noun[j] = rare(&p_noun, &r);
		for (j = 0; j < NELEM(t->verb); j++)
			t->verb[j] = rare(&p_verb, &r);
		for (j = 0; j < NELEM(t->adj); j++)
			t->adj[j] = rare(&p_adj, &r);
		for (j = 0; j < TOPIC_ORGS; j++) {
			t->org[j] = zipf(&p_org, &r);
			t->org_kind[j] = rng_below(&r, NELEM(org_kinds));
		}
		for (j = 0; j < TOPIC_FIGS; j++) {
			t->fig[j].given = zipf(&p_given, &r);
			t->fig[j].sur = rare(&p_sur, &r);
			t->fig[j].title = rng_below(&r, NELEM(titles));
		}
	}
}

/*
 * Real words. Function words come with the grammar; these few common
 * content words give the text the feel (and the rewrite kind the words)
 * of news, at rates low enough that long runs of them stay rare.
 */
static const char *real_nouns[] = {"government", "year", "people", "plan",
    "report", "company", "city", "week", "month", "police", "official",
    "resident", "market", "country", "group", "time", "decision", "deal",
    "project", "program", "agreement", "statement", "meeting", "court",
    "worker", "price", "vote", "law", "money", "service"};
static const char *real_adjs[] = {"new", "former", "local", "national", "major",
    "public", "large", "small", "senior", "recent", "key", "final", "federal",
    "regional", "joint"};
struct verb {
	const char *base, *past;
};
static const struct verb real_verbs[] = {{"announce", "announced"},
    {"approve", "approved"}, {"reject", "rejected"}, {"delay", "delayed"},
    {"review", "reviewed"}, {"expand", "expanded"}, {"cut", "cut"},
    {"raise", "raised"}, {"launch", "launched"}, {"suspend", "suspended"},
    {"criticise", "criticised"}, {"support", "supported"},
    {"propose", "proposed"}, {"confirm", "confirmed"}, {"deny", "denied"},
    {"investigate", "investigated"}, {"close", "closed"},
    {"replace", "replaced"}, {"fund", "funded"}, {"block", "blocked"},
    {"extend", "extended"}, {"reduce", "reduced"}, {"sign", "signed"},
    {"warn", "warned"}, {"oppose", "opposed"}, {"build", "built"},
    {"sell", "sold"}, {"buy", "bought"}, {"win", "won"}, {"lose", "lost"},
    {"begin", "began"}, {"tell", "told"}};
static const char *papers[] = {"Herald", "Tribune", "Gazette", "Courier",
    "Chronicle", "Post", "Times", "Observer", "Sentinel", "Ledger", "Examiner",
    "Dispatch", "Journal", "Record", "Standard", "Enquirer"};
static const char *months[] = {"January", "February", "March", "April", "May",
    "June", "July", "August", "September", "October", "November", "December"};
static const char *weekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday"};
static const char *small_numbers[] = {"two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "dozens of", "hundreds of"};

/* Light rewrites: a word and what an editor puts in its place. */
static const char *synonyms[][2] = {{"said", "stated"},
    {"announced", "unveiled"}, {"about", "around"}, {"expected", "likely"},
    {"residents", "locals"}, {"officials", "authorities"}, {"rose", "climbed"},
    {"fell", "dropped"}, {"plan", "scheme"}, {"major", "big"},
    {"began", "started"}, {"would", "will"}, {"months", "months'"},
    {"new", "fresh"}, {"report", "study"}, {"within", "in"},
    {"after", "following"}, {"since", "from"}, {"told", "informed"},
    {"criticised", "attacked"}};

/* ---- Articles ------------------------------------------------------------ */

#define MAXPEOPLE 6

struct person {
	const char *first, *last, *title;
	int org, known; /* known: mentioned in full already */
};

struct cast {
	const struct topic *topic;
	struct person people[MAXPEOPLE];
	int npeople;
	const char *org[3], *org_kind[3];
	const char *place, *places[3];
	uint32_t keyword[4]; /* nouns this story keeps coming back to */
	int year;
};

/* The writer: text so far, the article's stream, its cast, spacing. */
struct gen {
	struct buf *b;
	struct rng r;
	struct cast c;
	int sp; /* a space goes before the next word */
};

/* The hot path: one check for room, then a byte loop (words are short). */
static void
word(struct gen *g, const char *w)
{
	struct buf *b = g->b;
	char *d;

	buf_grow(b, 64);
	d = b->p + b->len;
	if (g->sp)
		*d++ = ' ';
	while (*w != '\0' && d < b->p + b->len + 63)
		*d++ = *w++;
	*d = '\0';
	b->len = (size_t)(d - b->p);
	if (*w != '\0')
		buf_str(b, w); /* a long one: the rest */
	g->sp = 1;
}

static void
punct(struct gen *g, const char *s)
{
	buf_str(g->b, s);
	g->sp = 1;
}

/* The -s / -ed forms by the regular rules (the invented words are regular). */
static void
word_s(struct gen *g, const char *w)
{
	size_t n = strlen(w);
	char last = w[n - 1], prev = n > 1 ? w[n - 2] : 'a';

	word(g, w);
	if (last == 'y' && strchr("aeiou", prev) == NULL) {
		g->b->len--;
		buf_str(g->b, "ies");
	} else if (last == 's' || last == 'x' || last == 'h' || last == 'z') {
		buf_str(g->b, "es");
	} else {
		buf_ch(g->b, 's');
	}
}

static void
word_ed(struct gen *g, const char *w)
{
	size_t n = strlen(w);
	char last = w[n - 1], prev = n > 1 ? w[n - 2] : 'a';

	word(g, w);
	if (last == 'e') {
		buf_ch(g->b, 'd');
	} else if (last == 'y' && strchr("aeiou", prev) == NULL) {
		g->b->len--;
		buf_str(g->b, "ied");
	} else {
		buf_str(g->b, "ed");
	}
}

static uint32_t
pct(struct gen *g)
{
	return rng_below(&g->r, 100);
}

static const char *
noun_of(struct gen *g)
{
	uint32_t x = pct(g);

	if (x < 12)
		return W(&p_noun, g->c.keyword[rng_below(&g->r, 4)]);
	if (x < 30)
		return W(&p_noun, PICK(&g->r, g->c.topic->noun));
	if (x < 38)
		return PICK(&g->r, real_nouns);
	return pick(&p_noun, &g->r);
}

static const char *
adj_of(struct gen *g)
{
	uint32_t x = pct(g);

	if (x < 20)
		return W(&p_adj, PICK(&g->r, g->c.topic->adj));
	if (x < 32)
		return PICK(&g->r, real_adjs);
	return pick(&p_adj, &g->r);
}

enum vform { V_BASE, V_S, V_PAST };

static void
verb(struct gen *g, enum vform f)
{
	const struct verb *v;
	const char *w;
	uint32_t x = pct(g);

	if (x < 18) {
		v = &PICK(&g->r, real_verbs);
		if (f == V_PAST)
			word(g, v->past);
		else if (f == V_S)
			word_s(g, v->base);
		else
			word(g, v->base);
		return;
	}
	w = x < 38 ? W(&p_verb, PICK(&g->r, g->c.topic->verb))
	           : pick(&p_verb, &g->r);
	if (f == V_PAST)
		word_ed(g, w);
	else if (f == V_S)
		word_s(g, w);
	else
		word(g, w);
}

static void
number(struct gen *g)
{
	uint32_t v, x = pct(g);

	if (x < 30) {
		word(g, PICK(&g->r, small_numbers));
		return;
	}
	v = x < 60   ? 2 + rng_below(&g->r, 98)
	    : x < 85 ? 100 + rng_below(&g->r, 9900)
	             : 10000 + rng_below(&g->r, 5000000);
	if (g->sp)
		buf_ch(g->b, ' ');
	if (v >= 1000000)
		buf_fmt(g->b, "%u,%03u,%03u", v / 1000000, v / 1000 % 1000,
		    v % 1000);
	else if (v >= 1000)
		buf_fmt(g->b, "%u,%03u", v / 1000, v % 1000);
	else
		buf_fmt(g->b, "%u", v);
	g->sp = 1;
}

static void
percent(struct gen *g)
{
	if (g->sp)
		buf_ch(g->b, ' ');
	buf_fmt(
	    g->b, "%u.%u percent", rng_below(&g->r, 40), rng_below(&g->r, 10));
	g->sp = 1;
}

static void
money(struct gen *g)
{
	if (g->sp)
		buf_ch(g->b, ' ');
	if (rng_below(&g->r, 3))
		buf_fmt(g->b, "$%u.%u million", 1 + rng_below(&g->r, 900),
		    rng_below(&g->r, 10));
	else
		buf_fmt(g->b, "$%u.%u billion", 1 + rng_below(&g->r, 90),
		    rng_below(&g->r, 10));
	g->sp = 1;
}

static void
year(struct gen *g)
{
	if (g->sp)
		buf_ch(g->b, ' ');
	buf_fmt(g->b, "%d", g->c.year - (int)rng_below(&g->r, 12));
	g->sp = 1;
}

static void
place(struct gen *g)
{
	uint32_t x = pct(g);

	word(g, x < 50   ? g->c.place
	        : x < 75 ? g->c.places[rng_below(&g->r, 3)]
	                 : pick(&p_place, &g->r));
}

static void
org(struct gen *g, int k)
{
	word(g, "the");
	word(g, g->c.org[k]);
	word(g, g->c.org_kind[k]);
}

static void np(struct gen *g, int depth, int *plural);

/* A person: in full with who they are the first time, then the surname. */
static void
person(struct gen *g, int k, int appos)
{
	struct person *p = &g->c.people[k];

	if (p->known) {
		word(g, p->last);
		return;
	}
	p->known = 1;
	word(g, p->first);
	word(g, p->last);
	if (!appos)
		return;
	punct(g, ",");
	word(g, rng_below(&g->r, 3) ? "the" : "a");
	word(g, p->title);
	if (p->org >= 0) {
		word(g, rng_below(&g->r, 2) ? "of" : "at");
		org(g, p->org);
	} else {
		word(g, "from");
		place(g);
	}
	punct(g, ",");
}

static void
adverbial(struct gen *g, int depth)
{
	static const char *spans[] = {"week", "month", "year"};
	static const char *units[] = {"days", "weeks", "months"};
	int pl;

	switch (rng_below(&g->r, 13)) {
	case 0:
		word(g, "on");
		word(g, PICK(&g->r, weekdays));
		break;
	case 1:
		word(g, "in");
		word(g, PICK(&g->r, months));
		break;
	case 2:
		if (rng_below(&g->r, 2)) {
			word(g, "last");
		} else {
			word(g, "earlier");
			word(g, "this");
		}
		word(g, PICK(&g->r, spans));
		break;
	case 3:
		word(g, "by");
		percent(g);
		break;
	case 4:
		word(g, "to");
		if (rng_below(&g->r, 2))
			money(g);
		else
			number(g);
		break;
	case 5:
		word(g, "in");
		place(g);
		break;
	case 6:
		word(g, "since");
		year(g);
		break;
	case 7:
		word(g, "within");
		word(g, small_numbers[1 + rng_below(&g->r, 8)]);
		word(g, PICK(&g->r, units));
		break;
	case 8:
		if (depth < 2) {
			word(g, "after");
			np(g, depth + 1, &pl);
			break;
		}
		/* fall through */
	case 9:
		/* A stock phrase: at the rate of real news, not of 1 in 12. */
		if (rng_below(&g->r, 8) == 0) {
			word(g, "for");
			word(g, "the");
			word(g, "first");
			word(g, "time");
		} else {
			word(g, "in");
			year(g);
		}
		break;
	default:
		if (depth < 2) {
			static const char *preps[] = {"in", "for", "over",
			    "against", "near", "with", "under", "despite"};

			word(g, PICK(&g->r, preps));
			np(g, depth + 1, &pl);
		} else {
			word(g, "in");
			year(g);
		}
		break;
	}
}

/* A noun phrase; *plural says how the verb agrees. */
static void
np(struct gen *g, int depth, int *plural)
{
	static const char *dets[] = {"its", "their", "his", "her", "this",
	    "that", "every", "another", "each"};
	static const char *qdets[] = {
	    "some", "many", "several", "most", "few", "more", "all", "both"};
	static const char *preps[] = {"of", "of", "of", "of", "in", "for", "on",
	    "with", "from", "at", "about", "between"};
	const char *adj[2], *n, *n2 = NULL;
	uint32_t x = pct(g), nadj, i;

	*plural = 0;
	if (depth == 0 && x < 10) {
		person(g, (int)rng_below(&g->r, (uint32_t)g->c.npeople), 1);
		return;
	}
	if (x < 18) {
		org(g, (int)rng_below(&g->r, 3));
		return;
	}
	if (x < 21) {
		place(g);
		return;
	}
	x = pct(g);
	nadj = x < 55 ? 0 : x < 90 ? 1 : 2;
	for (i = 0; i < nadj; i++)
		adj[i] = adj_of(g);
	n = noun_of(g);
	if (rng_below(&g->r, 8) == 0)
		n2 = noun_of(g); /* compound: "n n2" */
	x = pct(g);
	if (x < 45) {
		word(g, "the");
		*plural = rng_below(&g->r, 4) == 0;
	} else if (x < 62) {
		/* "a" or "an" by the sound of the next word */
		word(g, strchr("aeiou", nadj ? adj[0][0] : n[0]) ? "an" : "a");
	} else if (x < 75) {
		*plural = 1;
	} else if (x < 83) {
		word(g, PICK(&g->r, dets));
	} else if (x < 91) {
		word(g, PICK(&g->r, qdets));
		*plural = 1;
	} else {
		number(g);
		*plural = 1;
	}
	for (i = 0; i < nadj; i++)
		word(g, adj[i]);
	if (n2 != NULL)
		word(g, n);
	if (*plural)
		word_s(g, n2 ? n2 : n);
	else
		word(g, n2 ? n2 : n);
	if (depth < 2 && rng_below(&g->r, 4) == 0) {
		int pl;

		word(g, PICK(&g->r, preps));
		np(g, depth + 1, &pl);
	}
}

static void clause(struct gen *g, int depth);

/* A verb phrase agreeing with its subject. */
static void
vp(struct gen *g, int depth, int plural)
{
	static const char *modals[] = {
	    "will", "would", "could", "may", "might", "should", "would"};
	static const char *says[] = {
	    "said", "warned", "argued", "added", "insisted", "suggested"};
	uint32_t x = pct(g);
	int pl;

	if (x < 40) {
		verb(g, V_PAST);
		np(g, depth + 1, &pl);
	} else if (x < 52) {
		word(g, plural ? "have" : "has");
		verb(g, V_PAST);
		np(g, depth + 1, &pl);
	} else if (x < 62) {
		word(g, PICK(&g->r, modals));
		if (rng_below(&g->r, 4) == 0)
			word(g, "not");
		verb(g, V_BASE);
		np(g, depth + 1, &pl);
	} else if (x < 70) {
		word(g, plural ? "were" : "was");
		if (rng_below(&g->r, 3) == 0)
			word(g, rng_below(&g->r, 2) ? "more" : "not");
		word(g, adj_of(g));
	} else if (x < 77) {
		word(g, plural ? "were" : "was");
		verb(g, V_PAST);
		if (depth < 2 && rng_below(&g->r, 2)) {
			word(g, "by");
			np(g, depth + 1, &pl);
		}
	} else if (x < 84) {
		verb(g, V_PAST);
		word(g, "to");
		verb(g, V_BASE);
		np(g, depth + 1, &pl);
	} else if (x < 90) {
		word(g, rng_below(&g->r, 2) ? "rose" : "fell");
		if (rng_below(&g->r, 2)) {
			word(g, "by");
			percent(g);
		}
		word(g, "to");
		if (rng_below(&g->r, 2))
			money(g);
		else
			number(g);
	} else if (x < 94) {
		word(g, plural ? "were" : "was");
		word(g, "expected");
		word(g, "to");
		verb(g, V_BASE);
		np(g, depth + 1, &pl);
	} else if (depth < 1) {
		word(g, PICK(&g->r, says));
		word(g, "that");
		clause(g, depth + 1);
		return;
	} else {
		verb(g, V_PAST);
		np(g, depth + 1, &pl);
	}
	if (rng_below(&g->r, 3) == 0)
		adverbial(g, depth + 1);
}

static void
clause(struct gen *g, int depth)
{
	int pl;

	np(g, depth, &pl);
	if (depth < 1 && rng_below(&g->r, 12) == 0) {
		punct(g, ",");
		word(g, "which");
		vp(g, 2, pl);
		punct(g, ",");
	}
	vp(g, depth, pl);
}

/* Who says it: a person of the cast or an organisation. */
static void
speaker(struct gen *g)
{
	if (rng_below(&g->r, 4))
		person(g, (int)rng_below(&g->r, (uint32_t)g->c.npeople), 1);
	else
		org(g, (int)rng_below(&g->r, 3));
	/* An appositive's closing comma before "said" reads badly. */
	if (g->b->p[g->b->len - 1] == ',')
		g->b->len--;
}

static void
said(struct gen *g)
{
	/* Mostly plain "said", as in print; the stock phrases now and then. */
	static const char *ways[] = {"told", "said in a statement", "wrote",
	    "added", "said on", "said at"};
	const char *w = rng_below(&g->r, 3) ? "said" : PICK(&g->r, ways);

	word(g, w);
	if (strcmp(w, "told") == 0 && rng_below(&g->r, 2)) {
		word(g, "reporters");
	} else if (strcmp(w, "told") == 0) {
		word(g, "the");
		word(g, PICK(&g->r, papers));
	} else if (strcmp(w, "said on") == 0) {
		word(g, PICK(&g->r, weekdays));
	} else if (strcmp(w, "said at") == 0) {
		word(g, "a");
		word(g, rng_below(&g->r, 2) ? "news conference" : "hearing");
	}
}

static void
capitalize(struct buf *b, size_t at)
{
	if (at < b->len && b->p[at] == '"')
		at++;
	if (at < b->len && b->p[at] >= 'a' && b->p[at] <= 'z')
		b->p[at] = (char)(b->p[at] - 'a' + 'A');
}

static void
sentence(struct gen *g)
{
	static const char *openers[] = {"However,", "Meanwhile,",
	    "In addition,", "Last year,", "Separately,", "At the same time,",
	    "Since then,", "For now,", "By contrast,", "As a result,", "Still,",
	    "Instead,"};
	static const char *conjs[] = {
	    "and", "but", "while", "as", "after", "because", "although", "and"};
	size_t start = g->b->len + (g->sp ? 1 : 0);
	uint32_t x = pct(g);

	if (x < 14) {
		if (rng_below(&g->r, 2)) {
			word(g, PICK(&g->r, openers));
		} else {
			/* "In March," "On Friday," "In Belford," */
			static const char *when[] = {"In", "On", "By"};
			uint32_t k = rng_below(&g->r, 3);

			word(g, when[k]);
			if (k == 0)
				word(g, rng_below(&g->r, 2)
				            ? PICK(&g->r, months)
				            : g->c.place);
			else if (k == 1)
				word(g, PICK(&g->r, weekdays));
			else
				word(g, PICK(&g->r, months));
			punct(g, ",");
		}
		clause(g, 0);
	} else if (x < 50) {
		clause(g, 0);
	} else if (x < 62) {
		clause(g, 0);
		punct(g, ",");
		word(g, PICK(&g->r, conjs));
		clause(g, 1);
	} else if (x < 76) {
		clause(g, 0);
		punct(g, ",");
		if (rng_below(&g->r, 3)) {
			speaker(g);
			said(g);
		} else {
			word(g, "said");
			speaker(g);
		}
	} else if (x < 88) {
		if (g->sp)
			buf_ch(g->b, ' ');
		buf_ch(g->b, '"');
		g->sp = 0;
		clause(g, 0);
		if (rng_below(&g->r, 2)) {
			size_t at = g->b->len + 2; /* past ". " */

			punct(g, ".");
			clause(g, 1);
			capitalize(g->b, at);
		}
		punct(g, ",\"");
		if (rng_below(&g->r, 2)) {
			speaker(g);
			word(g, "said");
		} else {
			word(g, "said");
			speaker(g);
		}
	} else if (x < 93) {
		word(g, "According");
		word(g, "to");
		if (rng_below(&g->r, 2))
			org(g, (int)rng_below(&g->r, 3));
		else
			person(g, (int)rng_below(&g->r, (uint32_t)g->c.npeople),
			    0);
		punct(g, ",");
		clause(g, 1);
	} else {
		speaker(g);
		word(g, rng_below(&g->r, 6) ? "said" : "told reporters");
		if (rng_below(&g->r, 2))
			word(g, "that");
		clause(g, 1);
	}
	punct(g, ".");
	capitalize(g->b, start);
}

static void
cast_init(struct cast *c, struct rng *r)
{
	const struct topic *t;
	const struct figure *f;
	int i;

	c->topic = t = &topics[zipf(&p_topic, r)];
	for (i = 0; i < 3; i++) {
		if (rng_below(r, 100) < 60) {
			uint32_t k = rng_below(r, TOPIC_ORGS);

			c->org[i] = W(&p_org, t->org[k]);
			c->org_kind[i] = org_kinds[t->org_kind[k]];
		} else {
			c->org[i] = pick(&p_org, r);
			c->org_kind[i] = PICK(r, org_kinds);
		}
	}
	c->npeople = 2 + (int)rng_below(r, MAXPEOPLE - 1);
	for (i = 0; i < c->npeople; i++) {
		struct person *p = &c->people[i];

		if (rng_below(r, 100) < 30) {
			f = &t->fig[rng_below(r, TOPIC_FIGS)];
			p->first = W(&p_given, f->given);
			p->last = W(&p_sur, f->sur);
			p->title = titles[f->title];
		} else {
			p->first = pick(&p_given, r);
			p->last = pick(&p_sur, r);
			p->title = PICK(r, titles);
		}
		p->org = rng_below(r, 4) ? (int)rng_below(r, 3) : -1;
		p->known = 0;
	}
	c->place = pick(&p_place, r);
	for (i = 0; i < 3; i++)
		c->places[i] = pick(&p_place, r);
	for (i = 0; i < 4; i++)
		c->keyword[i] = i < 2 ? t->noun[rng_below(r, NELEM(t->noun))]
		                      : rare(&p_noun, r);
	c->year = 2015 + (int)rng_below(r, 11);
}

/* Word-wrap b->p[from..] in place into lines of at most `width`. */
static void
wrap(struct buf *b, size_t from, unsigned width)
{
	size_t i, line = from, sp = (size_t)-1;

	for (i = from; i < b->len; i++) {
		if (b->p[i] == '\n') {
			line = i + 1;
			sp = (size_t)-1;
			continue;
		}
		if (b->p[i] == ' ')
			sp = i;
		if (i - line >= width && sp != (size_t)-1 && sp > line) {
			b->p[sp] = '\n';
			line = sp + 1;
			sp = (size_t)-1;
		}
	}
}

#define NREPORTERS 8

struct style {
	unsigned wrap; /* 0: one line per paragraph */
	const char *paper;
	const char *town;
	const char *reporter[NREPORTERS][2];
};

static void
style_of(struct style *s, uint64_t seed, size_t folder)
{
	struct rng r;
	int i;

	rng_seed(&r, seed ^ 0x736f75726365ULL, folder);
	s->wrap = rng_below(&r, 3) == 0 ? 0 : 60 + rng_below(&r, 20);
	s->paper = PICK(&r, papers);
	s->town = pick(&p_place, &r);
	for (i = 0; i < NREPORTERS; i++) {
		s->reporter[i][0] = pick(&p_given, &r);
		s->reporter[i][1] = pick(&p_sur, &r);
	}
}

/*
 * Original article `idx` (its own stream), about `target` bytes, by the
 * source of folder `folder`.
 */
static void
article(struct buf *b, uint64_t seed, size_t idx, size_t target,
    const struct style *st)
{
	struct gen g;
	size_t start = b->len, want;
	unsigned nsent, i, k;

	g.b = b;
	g.sp = 0;
	rng_seed(&g.r, seed, idx);
	cast_init(&g.c, &g.r);
	want = (size_t)((double)target * (0.6 + 0.8 * rng_unit(&g.r)));
	/* Headline: "Subject verbs object [in Place]", sentence case. */
	if (rng_below(&g.r, 2)) {
		word(&g, g.c.org[0]);
		word(&g, g.c.org_kind[0]);
	} else {
		if (rng_below(&g.r, 2))
			word(&g, adj_of(&g));
		word_s(&g, noun_of(&g));
	}
	verb(&g, V_S);
	if (rng_below(&g.r, 2))
		word(&g, adj_of(&g));
	word(&g, noun_of(&g));
	if (rng_below(&g.r, 2)) {
		word(&g, "in");
		word(&g, g.c.place);
	}
	capitalize(b, start);
	k = rng_below(&g.r, NREPORTERS);
	buf_fmt(b, "\n\nBy %s %s\n\n%s, %s %u (%s %s) - ", st->reporter[k][0],
	    st->reporter[k][1], g.c.place, PICK(&g.r, months),
	    1 + rng_below(&g.r, 28), st->town, st->paper);
	g.sp = 0;
	/* The lede: one or two sentences on who did what. */
	nsent = 1 + rng_below(&g.r, 2);
	for (i = 0; i < nsent; i++)
		sentence(&g);
	while (b->len - start < want) {
		buf_str(b, "\n\n");
		g.sp = 0;
		nsent = 1 + rng_below(&g.r, 4);
		for (i = 0; i < nsent; i++)
			sentence(&g);
	}
	if (st->wrap)
		wrap(b, start, st->wrap);
}

/* ---- Reprints ------------------------------------------------------------ */

enum kind {
	K_ORIGINAL,
	K_EXACT,
	K_WRAPPED,
	K_EXCERPT,
	K_REWRITE,
	K_OCR,
	K_NKINDS
};
static const char *kind_names[] = {
    "original", "exact", "wrapped", "excerpt", "rewrite", "ocr"};

/* Reprints of one source carry the same banner and footer (boilerplate). */
static void
reprint_wrapped(struct buf *b, const char *orig, size_t len,
    const struct style *st, struct rng *r)
{
	buf_fmt(b,
	    "THE %s %s -- Reprinted with permission\n"
	    "Edition of %s %u. Subscribers can read every story online.\n\n",
	    st->town, st->paper, PICK(r, weekdays), 1 + rng_below(r, 28));
	buf_add(b, orig, len);
	buf_fmt(b,
	    "\n\n---\nCopyright the %s %s. All rights reserved. This "
	    "material may not be published, broadcast, rewritten or "
	    "redistributed without permission. Letters to the editor: "
	    "write to the %s %s, %s.\n",
	    st->town, st->paper, st->town, st->paper, st->town);
}

/* The headline and the first one to three paragraphs. */
static void
reprint_excerpt(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	unsigned want = 3 + rng_below(r, 3), seen = 0; /* incl. head, byline */
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (orig[i] == '\n' && orig[i + 1] == '\n' && ++seen == want)
			break;
	buf_add(b, orig, i);
	buf_str(b, "\n\n(Story continues on page ");
	buf_fmt(b, "%u)\n", 2 + rng_below(r, 20));
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Swap some words for synonyms, drop a paragraph, retitle. */
static void
reprint_rewrite(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	size_t i = 0, j, k, npara = 0, drop;

	for (j = 0; j + 1 < len; j++)
		npara += orig[j] == '\n' && orig[j + 1] == '\n';
	drop = npara > 4 ? 3 + rng_below(r, (uint32_t)(npara - 3)) : 0;
	/* New headline: skip the old one. */
	while (i < len && orig[i] != '\n')
		i++;
	buf_fmt(b, "UPDATE %u: ", 1 + rng_below(r, 3));
	buf_add(b, orig, i);
	npara = 0;
	while (i < len) {
		if (i + 1 < len && orig[i] == '\n' && orig[i + 1] == '\n') {
			npara++;
			if (drop != 0 && npara == drop) {
				/* skip to the next paragraph break */
				for (k = i + 2;
				     k + 1 < len &&
				     !(orig[k] == '\n' && orig[k + 1] == '\n');
				     k++)
					;
				i = k;
				continue;
			}
		}
		if (!is_alpha(orig[i]) || (i > 0 && is_alpha(orig[i - 1]))) {
			buf_ch(b, orig[i++]);
			continue;
		}
		for (j = i; j < len && is_alpha(orig[j]); j++)
			;
		for (k = 0; k < NELEM(synonyms); k++)
			if (strlen(synonyms[k][0]) == j - i &&
			    memcmp(synonyms[k][0], orig + i, j - i) == 0)
				break;
		if (k < NELEM(synonyms) && rng_below(r, 2))
			buf_str(b, synonyms[k][1]);
		else
			buf_add(b, orig + i, j - i);
		i = j;
	}
}

/* Scanned print: look-alike characters, lost and extra spaces, hyphens. */
static void
reprint_ocr(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	double p = 0.005 + 0.02 * rng_unit(r);
	size_t i, col = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = orig[i];
		if (c == '\n' && i + 1 < len && orig[i + 1] != '\n' &&
		    (i == 0 || orig[i - 1] != '\n'))
			c = ' '; /* unwrap: the scan has its own columns */
		if (rng_unit(r) >= p) {
			if (c == ' ' && col > 55 + rng_below(r, 10)) {
				c = '\n';
			} else if (is_alpha(c) && col > 66 && i + 1 < len &&
			           is_alpha(orig[i + 1])) {
				buf_str(b, "-\n");
				col = 0;
			}
			buf_ch(b, c);
			col = c == '\n' ? 0 : col + 1;
			continue;
		}
		switch (rng_below(r, 6)) {
		case 0:
			buf_ch(b, c == 'l'   ? '1'
			          : c == 'o' ? '0'
			          : c == 'O' ? '0'
			          : c == 'e' ? 'c'
			          : c == 'i' ? 'l'
			                     : c);
			break;
		case 1:
			if (c == 'm')
				buf_str(b, "rn");
			else
				buf_ch(b, c == 'S' ? '5' : c == 'B' ? '8' : c);
			break;
		case 2: /* dropped */
			break;
		case 3:
			buf_ch(b, c);
			buf_ch(b, ' ');
			break;
		case 4:
			if (c != ' ')
				buf_ch(b, c);
			break;
		default:
			buf_ch(b, c == ',' ? '.' : c == '.' ? ',' : c);
			break;
		}
		col++;
	}
}

/* ---- Driver -------------------------------------------------------------- */

struct opts {
	uint64_t seed;
	size_t n, start, per_dir, size;
	double reprints;
	const char *dir, *manifest;
	int quiet;
};

/* Whether article i is a reprint, and of which earlier article. */
static enum kind
kind_of(const struct opts *o, size_t i, size_t *orig)
{
	struct rng r;
	size_t back;
	enum kind k;

	rng_seed(&r, o->seed ^ 0x6b696e64ULL, i);
	if (i == 0 || rng_unit(&r) >= o->reprints)
		return K_ORIGINAL;
	/* Mostly recent stories, some from far back. */
	back = rng_below(&r, 4) ? 1 + rng_below(&r, 200)
	                        : 1 + rng_below(&r, 20000);
	*orig = back > i ? i - 1 : i - back;
	k = (enum kind)(1 + rng_below(&r, K_NKINDS - 1));
	/* A reprint of a reprint reprints the original. */
	while (*orig > 0) {
		size_t o2;

		if (kind_of(o, *orig, &o2) == K_ORIGINAL)
			break;
		*orig = o2;
	}
	return k;
}

static void
rel_path(char *out, size_t cap, const struct opts *o, size_t i)
{
	snprintf(out, cap, "s%05zu/a%08zu.txt", i / o->per_dir, i);
}

static int
write_file(const char *path, const char *p, size_t n)
{
	int fd;
	ssize_t k;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0)
		return -errno;
	while (n > 0) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			k = -errno;
			close(fd);
			return (int)k;
		}
		p += k;
		n -= (size_t)k;
	}
	return close(fd) < 0 ? -errno : 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: reprintd-gen [-q] [-n count] [-s seed] "
	    "[-b bytes] [-r reprint-share]\n"
	    "                    [-d per-dir] [-k start] [-m manifest] dir\n"
	    "  -n  articles to write (10000)\n"
	    "  -s  seed (1)\n"
	    "  -b  mean article size in bytes (5000)\n"
	    "  -r  share of reprints (0.25)\n"
	    "  -d  files per source folder (100)\n"
	    "  -k  index of the first article (0): continue a corpus\n"
	    "  -m  manifest file (dir.manifest.tsv; '-' for none)\n");
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts o = {1, 10000, 0, 100, 5000, 0.25, NULL, NULL, 0};
	struct buf orig = {0}, out = {0}, mpath = {0};
	struct style st, ost;
	struct timespec t0, t1;
	char rel[64], full[4096];
	FILE *mf = NULL;
	size_t i, src = 0, folder = (size_t)-1, counts[K_NKINDS] = {0};
	uint64_t bytes = 0;
	double x, secs;
	enum kind k;
	struct rng r;
	int ch, rc;

	while ((ch = getopt(argc, argv, "n:s:b:r:d:k:m:qh")) != -1) {
		switch (ch) {
		case 'n':
		case 'k':
		case 'd':
		case 'b':
			if (parse_num(optarg, ch == 'd' || ch == 'b' ? 1 : 0,
			        ch == 'b' ? 1 << 24 : 1e10, &x) < 0)
				goto bad;
			if (ch == 'n')
				o.n = (size_t)x;
			else if (ch == 'k')
				o.start = (size_t)x;
			else if (ch == 'd')
				o.per_dir = (size_t)x;
			else
				o.size = (size_t)x;
			break;
		case 's':
			if (parse_num(optarg, 0, 1.8e19, &x) < 0)
				goto bad;
			o.seed = (uint64_t)x;
			break;
		case 'r':
			if (parse_num(optarg, 0, 1, &o.reprints) < 0)
				goto bad;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 1;
	}
	o.dir = argv[optind];
	if (mkdir(o.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(
		    stderr, "reprintd-gen: %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	if (o.manifest == NULL) {
		buf_str(&mpath, o.dir);
		while (mpath.len > 1 && mpath.p[mpath.len - 1] == '/')
			mpath.p[--mpath.len] = '\0';
		buf_str(&mpath, ".manifest.tsv");
		o.manifest = mpath.p;
	}
	if (strcmp(o.manifest, "-") != 0) {
		if ((mf = fopen(o.manifest, o.start > 0 ? "a" : "w")) == NULL) {
			fprintf(stderr, "reprintd-gen: %s: %s\n", o.manifest,
			    strerror(errno));
			return 1;
		}
		if (o.start == 0)
			fprintf(mf, "path\tkind\toriginal\tbytes\n");
	}
	language_init();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = o.start; i < o.start + o.n; i++) {
		if (i / o.per_dir != folder) {
			folder = i / o.per_dir;
			snprintf(
			    full, sizeof(full), "%s/s%05zu", o.dir, folder);
			if (mkdir(full, 0755) < 0 && errno != EEXIST) {
				fprintf(stderr, "reprintd-gen: %s: %s\n", full,
				    strerror(errno));
				return 1;
			}
			style_of(&st, o.seed, folder);
		}
		k = kind_of(&o, i, &src);
		out.len = 0;
		if (k == K_ORIGINAL) {
			article(&out, o.seed, i, o.size, &st);
		} else {
			style_of(&ost, o.seed, src / o.per_dir);
			orig.len = 0;
			article(&orig, o.seed, src, o.size, &ost);
			rng_seed(&r, o.seed ^ 0x72657072ULL, i);
			switch (k) {
			case K_EXACT:
				buf_add(&out, orig.p, orig.len);
				break;
			case K_WRAPPED:
				reprint_wrapped(
				    &out, orig.p, orig.len, &st, &r);
				break;
			case K_EXCERPT:
				reprint_excerpt(&out, orig.p, orig.len, &r);
				break;
			case K_REWRITE:
				reprint_rewrite(&out, orig.p, orig.len, &r);
				break;
			default:
				reprint_ocr(&out, orig.p, orig.len, &r);
				break;
			}
		}
		buf_ch(&out, '\n');
		rel_path(rel, sizeof(rel), &o, i);
		snprintf(full, sizeof(full), "%s/%s", o.dir, rel);
		if ((rc = write_file(full, out.p, out.len)) < 0) {
			fprintf(stderr, "reprintd-gen: %s: %s\n", full,
			    strerror(-rc));
			return 1;
		}
		bytes += out.len;
		counts[k]++;
		if (mf != NULL) {
			fprintf(mf, "%s\t%s\t", rel, kind_names[k]);
			if (k != K_ORIGINAL) {
				rel_path(full, sizeof(full), &o, src);
				fputs(full, mf);
			}
			fprintf(mf, "\t%zu\n", out.len);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mf != NULL && fclose(mf) != 0) {
		fprintf(stderr, "reprintd-gen: %s: %s\n", o.manifest,
		    strerror(errno));
		return 1;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!o.quiet) {
		fprintf(stderr,
		    "reprintd-gen: %zu files, %.1f MB (mean %.0f "
		    "bytes) in %.2f s into %s;",
		    o.n, (double)bytes / 1e6,
		    o.n ? (double)bytes / (double)o.n : 0.0, secs, o.dir);
		for (i = 0; i < K_NKINDS; i++)
			fprintf(stderr, " %s %zu", kind_names[i], counts[i]);
		fprintf(stderr, "\n");
	}
	free(orig.p);
	free(out.p);
	free(mpath.p);
	return 0;
bad:
	fprintf(stderr, "reprintd-gen: -%c: bad value \"%s\"\n", ch, optarg);
	return 1;
}
