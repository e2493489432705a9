/*
 * detect.c - candidates from the store's indexes, verified exactly.
 *
 * Every fingerprint of the new document is looked up in the inverted
 * index; a stored document that shares at least MIN_HITS of them, and
 * enough of the smaller document's, becomes a candidate. (A MinHash band
 * index was tried beside it: on the development corpus it found no pair
 * the fingerprints did not, and cost a tenth of the store.) Fingerprints held
 * by more than boilerplate_df documents are not followed (their posting lists
 * are long and they are boilerplate anyway) and are masked during verification.
 * The cost is bounded by the document's own fingerprints and
 * boilerplate_df, never by the size of the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define MIN_HITS 2 /* shared fingerprints that make a candidate */
/*
 * ... and at least this share of the smaller document's fingerprints.
 * Measured on the development corpus: true pairs share >= 0.29 (roundups
 * and their sources), unrelated documents with two or more shared
 * fingerprints share 0.02 (median) to 0.12 (99th percentile).
 */
#define MIN_HIT_SHARE 0.15
#define MAX_CANDIDATES 64 /* verified per document, most hits first */
#define PREFETCH 8        /* lookups ahead */
/* Exact copies looked for by the text's key (exact_hits): ids read, and
 * hits kept (the earliest: the original among them). */
#define EXACT_READ 1024
#define EXACT_KEEP 8

struct cand {
	uint64_t id;
	uint32_t hits; /* shared fingerprints */
};

/*
 * Recently stored documents' features, oldest first in a ring. Of the
 * candidates a 100k-article backfill verified, 59% were among the last
 * 256 documents stored, each rebuilt from its stored text (a read,
 * decompression, normalizing and hashing: ~45 us) where ingest had just
 * built the same features. 256 news articles hold ~6 MiB. Lookups scan
 * from the newest: the list is short, and most hits are near its end.
 */
struct recent_ent {
	uint64_t id;
	struct match_doc *d;
	size_t bytes;
};

struct detect_recent {
	struct recent_ent e[DETECT_RECENT_MAX];
	size_t head, n; /* the oldest entry, and how many */
	size_t bytes;
	uint64_t hits;
};

int
detect_recent_new(struct detect_recent **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : -ENOMEM;
}

static void
recent_drop_oldest(struct detect_recent *c)
{
	struct recent_ent *e = &c->e[c->head];

	match_doc_free(e->d);
	c->bytes -= e->bytes;
	memset(e, 0, sizeof(*e));
	c->head = (c->head + 1) % DETECT_RECENT_MAX;
	c->n--;
}

void
detect_recent_clear(struct detect_recent *c)
{
	if (c == NULL)
		return;
	while (c->n > 0)
		recent_drop_oldest(c);
	c->head = 0;
}

void
detect_recent_free(struct detect_recent *c)
{
	detect_recent_clear(c);
	free(c);
}

void
detect_recent_add(struct detect_recent *c, uint64_t id, struct match_doc *d)
{
	size_t bytes = d != NULL ? match_doc_bytes(d) : 0;

	/* A very long text would push out a good part of the others. */
	if (c == NULL || d == NULL || bytes > DETECT_RECENT_BYTES / 16) {
		match_doc_free(d);
		return;
	}
	while (c->n > 0 && (c->n == DETECT_RECENT_MAX ||
	                       c->bytes + bytes > DETECT_RECENT_BYTES))
		recent_drop_oldest(c);
	struct recent_ent *e = &c->e[(c->head + c->n) % DETECT_RECENT_MAX];
	e->id = id;
	e->d = d;
	e->bytes = bytes;
	c->bytes += bytes;
	c->n++;
}

uint64_t
detect_recent_hits(const struct detect_recent *c)
{
	return c != NULL ? c->hits : 0;
}

/* The kept features of id, if they are of the text stored under it now. */
static const struct match_doc *
recent_find(struct detect_recent *c, uint64_t id, const struct store_doc *sd)
{
	if (c == NULL)
		return NULL;
	for (size_t k = c->n; k-- > 0;) {
		const struct recent_ent *e =
		    &c->e[(c->head + k) % DETECT_RECENT_MAX];
		if (e->id != id)
			continue;
		if (match_doc_norm_hash(e->d) != sd->norm_hash ||
		    match_doc_ntokens(e->d) != sd->ntokens)
			return NULL;
		c->hits++;
		return e->d;
	}
	return NULL;
}

static int
cand_cmp_hits(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	if (a->hits != b->hits)
		return a->hits > b->hits ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

struct vec {
	void *v;
	size_t n, cap, size;
};

static int
vec_reserve(struct vec *v, size_t more)
{
	if (v->n + more <= v->cap)
		return 0;
	size_t cap = v->cap ? v->cap : 64;
	while (cap < v->n + more)
		cap *= 2;
	void *p = realloc(v->v, cap * v->size);
	if (p == NULL)
		return -ENOMEM;
	v->v = p;
	v->cap = cap;
	return 0;
}

/*
 * Hits per stored document: an open-addressing table keyed by id (ids are
 * never 0). A document's keys bring up to boilerplate_df ids each, mostly
 * one-off coincidences of stock phrases, so counting them in a table
 * costs a probe each where sorting the list cost a log factor. The table
 * is kept between documents (one per thread) with the list of the slots
 * it used: clearing and reading those costs what the document added,
 * where a fresh table cost an allocation, its growth and a scan of all of
 * it (4% of a backfill).
 */
struct tally {
	struct cand *v;
	uint32_t *used; /* slots taken, in order */
	size_t cap, n;  /* cap: a power of two */
	uint32_t max;   /* the most hits of one id */
};

#define TALLY_KEEP (1u << 16) /* slots kept between documents, at most */

static _Thread_local struct tally scratch;

static int
tally_grow(struct tally *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct cand *v = calloc(cap, sizeof(*v));
	uint32_t *used = malloc(cap / 2 * sizeof(*used));
	if (v == NULL || used == NULL || cap > UINT32_MAX) {
		free(v);
		free(used);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct cand c = t->v[t->used[i]];
		size_t j = (size_t)(c.id * 0x9e3779b97f4a7c15ull) >> 20;
		for (j &= cap - 1; v[j].id != 0; j = (j + 1) & (cap - 1))
			;
		v[j] = c;
		used[i] = (uint32_t)j;
	}
	free(t->v);
	free(t->used);
	t->v = v;
	t->used = used;
	t->cap = cap;
	return 0;
}

/* Empty the table for the next document; a big one is given back. */
static void
tally_clear(struct tally *t)
{
	if (t->cap > TALLY_KEEP) {
		free(t->v);
		free(t->used);
		memset(t, 0, sizeof(*t));
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		t->v[t->used[i]].id = 0, t->v[t->used[i]].hits = 0;
	t->n = 0;
	t->max = 0;
}

/* One hit for each id under one key (but the document itself). */
static int
tally_add(struct tally *t, const uint64_t *ids, size_t n, uint64_t self)
{
	int rc;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == self || ids[i] == 0)
			continue;
		if (2 * (t->n + 1) > t->cap && (rc = tally_grow(t)) < 0)
			return rc;
		size_t j = (size_t)(ids[i] * 0x9e3779b97f4a7c15ull) >> 20;
		for (j &= t->cap - 1; t->v[j].id != 0 && t->v[j].id != ids[i];
		     j = (j + 1) & (t->cap - 1))
			;
		if (t->v[j].id == 0) {
			t->v[j].id = ids[i];
			t->used[t->n++] = (uint32_t)j;
		}
		if (++t->v[j].hits > t->max)
			t->max = t->v[j].hits;
	}
	return 0;
}

/*
 * The documents with enough hits, in *out (malloc'ed; NULL when there
 * are none), in no particular order.
 */
static int
tally_keep(
    const struct tally *t, uint32_t min_hits, struct cand **out, size_t *m)
{
	size_t k = 0;

	*out = NULL;
	*m = 0;
	for (size_t i = 0; i < t->n; i++)
		k += t->v[t->used[i]].hits >= min_hits;
	if (k == 0)
		return 0;
	if ((*out = malloc(k * sizeof(**out))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[t->used[i]].hits >= min_hits)
			(*out)[(*m)++] = t->v[t->used[i]];
	return 0;
}

/*
 * Keep the candidates that share enough of the smaller document's
 * fingerprints. Most candidates share two or three stock phrases with a
 * long document and fail; the store's key counts (a byte a document) say
 * so without their features. A candidate deleted since (a stale posting)
 * is dropped here or by its verification.
 */
static int
filter_share(struct store_txn *txn, struct cand *c, size_t *n, size_t nkeys)
{
	size_t m = 0;
	for (size_t i = 0; i < *n; i++) {
		const void *blob;
		size_t len, small = nkeys;
		uint32_t theirs;
		int rc;
		if (c[i].hits >= MIN_HIT_SHARE * small) {
			c[m++] = c[i];
			continue;
		}
		rc = store_doc_nkeys(txn, c[i].id, &theirs);
		if (rc == 0 && theirs == STORE_NKEYS_CAP &&
		    c[i].hits < MIN_HIT_SHARE * STORE_NKEYS_CAP)
			continue; /* it has more keys than that: fails */
		if (rc == 0 && theirs < STORE_NKEYS_CAP) {
			if (theirs < small)
				small = theirs;
			if (c[i].hits >= MIN_HIT_SHARE * small)
				c[m++] = c[i];
			continue;
		}
		if (rc < 0 && rc != STORE_ENOTFOUND)
			return rc;
		/* Not counted there (older store) or many keys: ask the
		 * features. */
		rc = store_doc_feat(txn, c[i].id, &blob, &len);
		if (rc == STORE_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		if (match_sketch_nkeys(blob, len, &theirs) == 0 &&
		    theirs < small)
			small = theirs;
		if (c[i].hits >= MIN_HIT_SHARE * small)
			c[m++] = c[i];
	}
	*n = m;
	return 0;
}

/*
 * Look each key up: one held by more than limit documents is boilerplate
 * (appended to common, its postings not read); the documents under the
 * others become candidates with one hit per shared key.
 */
static int
common_keys(struct store_txn *txn, const uint64_t *keys, size_t nkeys,
    unsigned limit, struct vec *common, struct tally *cands, uint64_t self,
    uint64_t *ids)
{
	int rc;
	for (size_t i = 0; i < nkeys; i++) {
		size_t df;
		/* Each lookup is a chain of cache misses (the memtable's
		 * and the common keys' tables, each level's bucket offset,
		 * then the memtable chain and the buckets): overlap them
		 * with the lookups ahead, in two steps. */
		if (i + PREFETCH < nkeys)
			store_key_prefetch(txn, keys[i + PREFETCH], 0);
		if (i + PREFETCH / 2 < nkeys)
			store_key_prefetch(txn, keys[i + PREFETCH / 2], 1);
		if ((rc = store_key_docs(txn, keys[i], ids, limit, &df)) < 0)
			return rc;
		if (df > limit) {
			if ((rc = vec_reserve(common, 1)) < 0)
				return rc;
			((uint64_t *)common->v)[common->n++] = keys[i];
			continue;
		}
		if ((rc = tally_add(cands, ids, df, self)) < 0)
			return rc;
	}
	return 0;
}

/*
 * The features of stored document id (whose record is sd): the recent
 * ones, or rebuilt from its stored text into *built (the caller frees).
 */
static int
features_of(struct store_txn *txn, uint64_t id, const struct store_doc *sd,
    struct detect_recent *recent, const struct match_doc **o,
    struct match_doc **built)
{
	const void *text;
	size_t len;
	int rc;

	*built = NULL;
	if ((*o = recent_find(recent, id, sd)) != NULL)
		return 0;
	if ((rc = store_doc_text(txn, id, &text, &len)) < 0)
		return rc;
	if ((rc = match_doc_build_light(text, len, built)) < 0)
		return rc;
	*o = *built;
	return 0;
}

/*
 * Verify one candidate: take its features from the recent ones or
 * rebuild them from the stored text, and compare, unless its record says
 * it is the same text (an exact copy needs neither its text nor its
 * features). Boilerplate is what the new document's lookups found common:
 * chrome that only the candidate carries is not shared, so it can only
 * lower the candidate's coverage, never make a pair. The new document's
 * side of the comparison is built on the first candidate that needs it,
 * in *v, and serves the others.
 */
static int
verify_one(struct store_txn *txn, const struct match_doc *d, uint64_t id,
    struct detect_recent *recent, const struct vec *common,
    const struct match_params *p, struct match_verifier **v,
    struct match_result *r)
{
	struct store_doc sd;
	const struct match_doc *o;
	struct match_doc *built;
	int rc;

	if ((rc = store_doc_get(txn, id, &sd)) < 0)
		return rc;
	if (match_verify_exact(d, sd.norm_hash, sd.ntokens, r))
		return 0;
	if ((rc = features_of(txn, id, &sd, recent, &o, &built)) < 0)
		return rc;
	if (*v == NULL)
		rc = match_verifier_new(d, common->v, common->n, v);
	if (rc == 0)
		rc = match_verifier_run(*v, o, p, r);
	match_doc_free(built);
	return rc;
}

/*
 * Exact copies of d found by its text's key (store_exact_docs), the
 * earliest EXACT_KEEP of them not already among out[0..*n), appended to
 * *out (room made here). For a story stored more than boilerplate_df
 * times: its keys are all common, its copies candidates of no lookup.
 */
static int
exact_hits(struct store_txn *txn, const struct match_doc *d, uint64_t self,
    struct detect_hit **out, size_t *n)
{
	uint64_t *ids;
	size_t nids, kept = 0, i, j;
	struct detect_hit *nv;
	int rc;

	if ((ids = malloc((EXACT_READ + 1) * sizeof(*ids))) == NULL)
		return -ENOMEM;
	rc = store_exact_docs(
	    txn, match_doc_norm_hash(d), ids, EXACT_READ, &nids);
	if (rc < 0 || nids == 0)
		goto out;
	if (nids > EXACT_READ) /* more: the oldest EXACT_READ are listed */
		nids = EXACT_READ;
	qsort(ids, nids, sizeof(*ids), u64_cmp);
	rc = -ENOMEM;
	if ((nv = realloc(*out, (*n + EXACT_KEEP) * sizeof(*nv))) == NULL)
		goto out;
	*out = nv;
	rc = 0;
	for (i = 0; i < nids && kept < EXACT_KEEP; i++) {
		struct store_doc sd;
		struct match_result r;

		if (ids[i] == self || (i > 0 && ids[i] == ids[i - 1]))
			continue;
		for (j = 0; j < *n && (*out)[j].id != ids[i]; j++)
			;
		if (j < *n)
			continue;
		if ((rc = store_doc_get(txn, ids[i], &sd)) == STORE_ENOTFOUND)
			continue; /* deleted: a stale posting */
		if (rc < 0)
			goto out;
		if (!match_verify_exact(d, sd.norm_hash, sd.ntokens, &r))
			continue;
		(*out)[*n].id = ids[i];
		(*out)[*n].r = r;
		(*n)++;
		kept++;
	}
	rc = 0;
out:
	free(ids);
	return rc;
}

/*
 * A story stored more than boilerplate_df times has its text's keys
 * common: its later copies find it by no lookup, and the mask would hide
 * its text from verification. Exact copies are found by the text's key
 * (exact_hits); for the others (a rewrite, an excerpt, a copy in another
 * site's header and footer), when a good share of the document's keys is
 * common and no copy was found, some of those keys are looked up anyway,
 * for their oldest holders: a story's first copies hold all of its keys.
 * A site's chrome is common too, and its oldest holders hold all of it;
 * what tells a story from chrome is that the story's holders are copies
 * of each other from other sources, which the store's pairs say (they
 * were paired while the story's keys were still rare), where the first
 * pages of a site are different stories, or one page saved twice by the
 * site itself. Such a holder is verified with nothing masked, and only a
 * copy (exact, near duplicate, excerpt) is kept: the text it shares is
 * the story's.
 */
#define STORY_COMMON 0.5 /* share of the keys common that calls for it */
#define STORY_KEYS 16    /* common keys looked up, evenly spread */
#define STORY_HOLDERS 64 /* oldest holders listed per key */
#define STORY_KEEP 8     /* holders verified, most hits first */
#define STORY_CHECK 16   /* holders whose pairs are read, at most */

struct holder_walk {
	struct store_txn *txn;
	uint64_t self;
	const char *source;  /* self's (NULL: unknown) */
	const uint64_t *ids; /* the other holders, sorted */
	size_t n;
};

/* Two documents of one source (an unknown source is nobody's): a page
 * saved twice, or updated, is one site's copy of itself, which its
 * chrome is part of. */
static int
one_source(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
holder_pair(const struct store_pair *p, void *arg)
{
	const struct holder_walk *w = arg;
	uint64_t other = p->a == w->self ? p->b : p->a;
	struct store_doc od;

	if (!match_same_story(p->relation) ||
	    bsearch(&other, w->ids, w->n, sizeof(*w->ids), u64_cmp) == NULL)
		return 0;
	if (store_doc_get(w->txn, other, &od) < 0)
		return 0;
	return !one_source(w->source, od.source);
}

/* 1 if id is stored as a copy of (or copied by) one of the sorted ids of
 * another source, 0 if not, or an error. */
static int
copy_among(struct store_txn *txn, uint64_t id, const uint64_t *ids, size_t n)
{
	struct holder_walk w = {txn, id, NULL, ids, n};
	struct store_doc d;
	int rc = store_doc_get(txn, id, &d);

	if (rc < 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	w.source = d.source;
	rc = store_pairs_of(txn, id, holder_pair, &w);
	return rc < 0 ? rc : rc != 0;
}

static int
hit_known(const struct detect_hit *h, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].id == id)
			return 1;
	return 0;
}

/* Copies of d's story among the oldest holders of its common keys, sorted
 * ascending in common, appended to *out (room made here). */
static int
story_hits(struct store_txn *txn, const struct match_doc *d, uint64_t self,
    struct detect_recent *recent, const struct vec *common,
    const struct match_params *p, struct detect_hit **out, size_t *n)
{
	struct tally *t = &scratch;
	const struct vec none = {NULL, 0, 0, sizeof(uint64_t)};
	struct match_verifier *v = NULL;
	struct cand *c = NULL;
	struct detect_hit *nv;
	uint64_t ids[STORY_HOLDERS + 1], *sorted = NULL;
	size_t nk = common->n < STORY_KEYS ? common->n : STORY_KEYS;
	size_t m = 0, i, kept = 0, checked = 0, df;
	/* A holder of half the keys looked up: chrome or the story. */
	uint32_t need = nk / 2 > MIN_HITS ? (uint32_t)nk / 2 : MIN_HITS;
	int rc = 0;

	/* Stock phrases' holders are strangers to each other: stop once
	 * none can reach the count. */
	for (i = 0; i < nk && rc == 0 && t->max + (nk - i) >= need; i++) {
		uint64_t key =
		    ((const uint64_t *)common->v)[i * common->n / nk];
		rc = store_key_oldest(txn, key, ids, STORY_HOLDERS, &df);
		if (rc == 0)
			rc = tally_add(t, ids,
			    df < STORY_HOLDERS ? df : STORY_HOLDERS, self);
	}
	if (rc == 0)
		rc = tally_keep(t, need, &c, &m);
	tally_clear(t);
	if (rc < 0 || m == 0)
		goto out;
	rc = -ENOMEM;
	if ((sorted = malloc(m * sizeof(*sorted))) == NULL ||
	    (nv = realloc(*out, (*n + STORY_KEEP) * sizeof(*nv))) == NULL)
		goto out;
	*out = nv;
	for (i = 0; i < m; i++)
		sorted[i] = c[i].id;
	qsort(sorted, m, sizeof(*sorted), u64_cmp);
	qsort(c, m, sizeof(*c), cand_cmp_hits);
	rc = 0;
	for (i = 0; i < m && kept < STORY_KEEP && checked < STORY_CHECK; i++) {
		struct match_result r;

		if (hit_known(*out, *n, c[i].id))
			continue;
		checked++;
		if ((rc = copy_among(txn, c[i].id, sorted, m)) < 0)
			goto out;
		if (rc == 0)
			continue;
		rc = verify_one(txn, d, c[i].id, recent, &none, p, &v, &r);
		if (rc == STORE_ENOTFOUND) {
			rc = 0;
			continue; /* deleted: a stale posting */
		}
		if (rc < 0)
			goto out;
		/* With nothing masked, only a copy of the story counts: a
		 * passage in common may be anyone's stock text. */
		if (!match_same_story(r.relation))
			continue;
		(*out)[*n].id = c[i].id;
		(*out)[*n].r = r;
		(*n)++;
		kept++;
	}
out:
	match_verifier_free(v);
	free(sorted);
	free(c);
	return rc;
}

/*
 * A site's own lines inside its articles (a newsletter's footer, an
 * "about us" paragraph, a subscription call the page does not mark) are
 * boilerplate once more than boilerplate_df documents hold them. Before
 * that, two short pages of the site share them as a quarter of their
 * text or more, and every page of a new site paired `partial` (or worse,
 * `excerpt`) with every other. Three documents of one source, none a
 * copy of another, tell it: text that d shares with two of them is the
 * site's, not a story's. So, among the hits of d's own source (not exact
 * copies), a key of d held by two of them that are not copies of d nor
 * (by the store's pairs) of each other is the site's: the partial hits
 * are verified again with it masked, and so are the partial pairs between
 * them (which the same lines made, while only two pages knew them), for
 * the caller to remove. Copies of one story saved by the site (a page
 * updated, saved twice) share their text as copies, which is not masked:
 * a copy of d holds what d holds because it is d's story, so it is no
 * witness (a story that repeats a paragraph of d's would otherwise lose
 * its partial pair when d is saved again). And a copy (near duplicate,
 * excerpt) stays one: what made it a copy is most of its text, and text
 * that two of the site's stories share is still part of each.
 */
#define SITE_MAX 64         /* documents of d's source weighed, at most */
#define SITE_PAIRS_MAX 4096 /* pairs read of each */

struct site_doc {
	uint64_t id;
	size_t hit;     /* its index among the hits */
	uint64_t story; /* bit j: stored as a copy of member j */
};

struct site {
	struct site_doc m[SITE_MAX]; /* sorted by id */
	size_t n, self;              /* self: the member whose pairs are read */
	size_t nread;                /* of self's pairs, read so far */
	uint64_t copies; /* bit j: member j is a copy of d (its hit says) */
	/* Partial pairs among members, the first SITE_MAX by id: the
	 * others stay (a site with more such pairs among one document's
	 * hits is rare; the next document tells those). */
	struct detect_stale part[SITE_MAX];
	size_t npart;
};

static int
site_doc_cmp(const void *x, const void *y)
{
	const struct site_doc *a = x, *b = y;
	return a->id < b->id ? -1 : a->id > b->id;
}

static size_t
site_find(const struct site *s, uint64_t id)
{
	struct site_doc k = {id, 0, 0};
	const struct site_doc *f =
	    bsearch(&k, s->m, s->n, sizeof(*s->m), site_doc_cmp);
	return f != NULL ? (size_t)(f - s->m) : SITE_MAX;
}

static int
site_pair(const struct store_pair *p, void *arg)
{
	struct site *s = arg;
	uint64_t me = s->m[s->self].id, other = p->a == me ? p->b : p->a;
	size_t j = site_find(s, other);

	/* A document in thousands of places: enough of its pairs. */
	if (++s->nread > SITE_PAIRS_MAX)
		return 1;
	if (j == SITE_MAX)
		return 0;
	if (match_same_story(p->relation))
		s->m[s->self].story |= 1ull << j;
	else if (p->relation == MATCH_PARTIAL && me < other &&
	         s->npart < SITE_MAX)
		s->part[s->npart++] = (struct detect_stale){me, other};
	return 0;
}

/* 1 if two of the members in h are not copies of each other. */
static int
site_strangers(const struct site *s, uint64_t h)
{
	for (size_t j = 0; j < s->n; j++)
		if ((h >> j & 1) && (h & ~s->m[j].story & ~(1ull << j)) != 0)
			return 1;
	return 0;
}

/* The keys of d that the site's lines are: in *lines, sorted. */
static int
site_keys(struct store_txn *txn, const struct match_doc *d,
    const struct site *s, unsigned limit, uint64_t *ids, struct vec *lines)
{
	const uint64_t *keys;
	size_t nkeys = match_doc_keys(d, &keys), df, i, k;
	int rc;

	for (i = 0; i < nkeys; i++) {
		uint64_t h = 0;
		if ((rc = store_key_docs(txn, keys[i], ids, limit, &df)) < 0)
			return rc;
		if (df > limit)
			continue; /* common already */
		for (k = 0; k < df; k++) {
			size_t j = site_find(s, ids[k]);
			if (j != SITE_MAX)
				h |= 1ull << j;
		}
		/* d's own story counts once: a copy of d holds what d
		 * holds because it is the same story. */
		h &= ~s->copies;
		if (__builtin_popcountll(h) < 2 || !site_strangers(s, h))
			continue;
		if ((rc = vec_reserve(lines, 1)) < 0)
			return rc;
		((uint64_t *)lines->v)[lines->n++] = keys[i];
	}
	return 0;
}

/* a and b (sorted) merged into *out, sorted. */
static int
merge_keys(const struct vec *a, const struct vec *b, struct vec *out)
{
	const uint64_t *x = a->v, *y = b->v;
	size_t i = 0, j = 0;
	uint64_t *o;
	int rc;

	if ((rc = vec_reserve(out, a->n + b->n)) < 0)
		return rc;
	o = out->v;
	while (i < a->n || j < b->n)
		o[out->n++] =
		    j == b->n || (i < a->n && x[i] < y[j]) ? x[i++] : y[j++];
	return 0;
}

/* The stored partial pair (x, y) is one the site's lines made: 1 when,
 * with them masked, the two are no pair; 0 when they still are. */
static int
site_pair_stale(struct store_txn *txn, const struct detect_stale *pr,
    struct detect_recent *recent, const struct vec *masked,
    const struct match_params *p)
{
	struct store_doc sx, sy;
	const struct match_doc *dx, *dy;
	struct match_doc *bx = NULL, *by = NULL;
	struct match_verifier *v = NULL;
	struct match_result r;
	int rc;

	if ((rc = store_doc_get(txn, pr->a, &sx)) < 0 ||
	    (rc = features_of(txn, pr->a, &sx, recent, &dx, &bx)) < 0 ||
	    (rc = store_doc_get(txn, pr->b, &sy)) < 0 ||
	    (rc = features_of(txn, pr->b, &sy, recent, &dy, &by)) < 0 ||
	    (rc = match_verifier_new(dx, masked->v, masked->n, &v)) < 0 ||
	    (rc = match_verifier_run(v, dy, p, &r)) < 0)
		goto out;
	rc = r.relation == MATCH_NONE;
out:
	match_verifier_free(v);
	match_doc_free(bx);
	match_doc_free(by);
	return rc;
}

static int
site_lines(struct store_txn *txn, const struct detect_req *q,
    const struct vec *common, unsigned limit, uint64_t *ids,
    struct detect_hit *out, size_t *n, struct detect_stale **stale,
    size_t *nstale)
{
	struct site *s;
	struct vec lines = {NULL, 0, 0, sizeof(uint64_t)};
	struct vec masked = {NULL, 0, 0, sizeof(uint64_t)};
	struct match_verifier *v = NULL;
	size_t i, m;
	int rc = 0;

	if (q->source == NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	for (i = 0; i < *n && s->n < SITE_MAX; i++) {
		struct store_doc sd;
		if (out[i].r.relation == MATCH_EXACT)
			continue;
		if ((rc = store_doc_get(txn, out[i].id, &sd)) < 0)
			goto out;
		if (one_source(q->source, sd.source))
			s->m[s->n++] = (struct site_doc){out[i].id, i, 0};
	}
	if (s->n < 2)
		goto out;
	qsort(s->m, s->n, sizeof(*s->m), site_doc_cmp);
	for (i = 0; i < s->n; i++)
		if (match_same_story(out[s->m[i].hit].r.relation))
			s->copies |= 1ull << i;
	for (s->self = 0; s->self < s->n; s->self++) {
		s->nread = 0;
		if ((rc = store_pairs_of(txn, s->m[s->self].id, site_pair, s)) <
		    0)
			goto out;
	}
	if ((rc = site_keys(txn, q->d, s, limit, ids, &lines)) < 0 ||
	    lines.n == 0)
		goto out;
	if ((rc = merge_keys(common, &lines, &masked)) < 0)
		goto out;
	for (i = 0; i < s->n; i++) {
		struct detect_hit *h = &out[s->m[i].hit];
		/* A copy stays a copy: what made it one is most of its text,
		 * and a story the site shares with another of its stories
		 * (a paragraph repeated) is still this story's. */
		if (h->r.relation != MATCH_PARTIAL)
			continue;
		rc = verify_one(
		    txn, q->d, h->id, q->recent, &masked, q->p, &v, &h->r);
		if (rc == STORE_ENOTFOUND)
			h->r.relation = MATCH_NONE;
		else if (rc < 0)
			goto out;
	}
	for (i = 0, m = 0; i < *n; i++)
		if (out[i].r.relation != MATCH_NONE)
			out[m++] = out[i];
	*n = m;
	rc = 0;
	if (stale == NULL || s->npart == 0)
		goto out;
	if ((*stale = malloc(s->npart * sizeof(**stale))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->npart; i++) {
		rc =
		    site_pair_stale(txn, &s->part[i], q->recent, &masked, q->p);
		if (rc == STORE_ENOTFOUND)
			continue; /* deleted meanwhile: no pair either */
		if (rc < 0)
			goto out;
		if (rc == 1)
			(*stale)[(*nstale)++] = s->part[i];
	}
	rc = 0;
out:
	match_verifier_free(v);
	free(lines.v);
	free(masked.v);
	free(s);
	return rc;
}

int
detect_run(struct store_txn *txn, const struct detect_req *q,
    struct detect_hit **hits, size_t *nhits, struct detect_stale **stale,
    size_t *nstale)
{
	const struct match_doc *d = q->d;
	const struct match_params *p = q->p;
	struct detect_recent *recent = q->recent;
	uint64_t self = q->self;
	struct tally *tally = &scratch;
	struct cand *cands = NULL;
	struct vec common = {NULL, 0, 0, sizeof(uint64_t)};
	struct detect_hit *out = NULL;
	struct match_verifier *verifier = NULL;
	const uint64_t *keys;
	size_t nkeys, n = 0, m = 0, exact = 0, copies, i;
	uint64_t *ids;
	int rc = -ENOMEM;

	*hits = NULL;
	*nhits = 0;
	if (stale != NULL) {
		*stale = NULL;
		*nstale = 0;
	}
	unsigned limit = p->boilerplate_df ? p->boilerplate_df : 1;
	if ((ids = malloc((limit + 1) * sizeof(*ids))) == NULL)
		return -ENOMEM;
	nkeys = match_doc_keys(d, &keys);
	rc = common_keys(txn, keys, nkeys, limit, &common, tally, self, ids);
	/* A short text's keys are all its fingerprints, but a longer text
	 * it was cut from is indexed under about half of them: one shared
	 * key makes a candidate (the share filter and verification judge). */
	if (rc == 0)
		rc = tally_keep(
		    tally, nkeys < MATCH_SHORT_KEYS ? 1 : MIN_HITS, &cands, &m);
	tally_clear(tally);
	if (rc < 0)
		goto out;
	if ((rc = filter_share(txn, cands, &m, nkeys)) < 0)
		goto out;
	/* Most hits first (ties by id: a total order), sorted once the
	 * share filter has let through the few it does (0.4 an article at
	 * 100k of ~100 with two hits or more). */
	if (m > 1)
		qsort(cands, m, sizeof(*cands), cand_cmp_hits);
	if (m > MAX_CANDIDATES)
		m = MAX_CANDIDATES;
	if (common.n > 0)
		qsort(common.v, common.n, sizeof(uint64_t), u64_cmp);
	rc = -ENOMEM;
	if ((out = calloc(m ? m : 1, sizeof(*out))) == NULL)
		goto out;
	for (i = 0; i < m; i++) {
		struct cand *c = &cands[i];
		struct match_result r;
		rc = verify_one(
		    txn, d, c->id, recent, &common, p, &verifier, &r);
		if (rc == STORE_ENOTFOUND)
			continue; /* deleted: a stale posting */
		if (rc < 0)
			goto out;
		if (r.relation == MATCH_NONE)
			continue;
		out[n].id = c->id;
		out[n].r = r;
		n++;
		exact += r.relation == MATCH_EXACT;
	}
	/* Common keys and no exact copy: the copies of a story stored more
	 * than `limit` times would have their keys common. (A site's chrome
	 * makes most documents look up their text's key: one lookup.) */
	if (common.n > 0 && exact == 0 &&
	    (rc = exact_hits(txn, d, self, &out, &n)) < 0)
		goto out;
	if ((rc = site_lines(
	         txn, q, &common, limit, ids, out, &n, stale, nstale)) < 0)
		goto out;
	for (copies = 0, i = 0; i < n; i++)
		copies += match_same_story(out[i].r.relation);
	if (copies == 0 && common.n >= MIN_HITS &&
	    common.n >= STORY_COMMON * nkeys &&
	    (rc = story_hits(txn, d, self, recent, &common, p, &out, &n)) < 0)
		goto out;
	*hits = out;
	*nhits = n;
	out = NULL;
	rc = 0;
out:
	if (rc < 0 && stale != NULL) {
		free(*stale);
		*stale = NULL;
		*nstale = 0;
	}
	match_verifier_free(verifier);
	free(out);
	free(ids);
	free(cands);
	free(common.v);
	return rc;
}

uint64_t
detect_original(const struct store_doc *a, const struct store_doc *b,
    const struct match_result *r, int64_t window_us)
{
	if (r->relation == MATCH_PARTIAL || r->relation == MATCH_NONE)
		return 0;
	/* Publication time when the metadata gave one, else arrival. */
	int64_t ta = store_doc_time(a), tb = store_doc_time(b);
	int64_t gap = ta - tb;
	if (gap < 0)
		gap = -gap;
	/* Published close together: the text that contains the other wins,
	 * whichever came first (a summary is often filed before the story),
	 * when one publisher may have filed both (one source, or one not
	 * known). Another site's later page that holds a story whole, with
	 * its readers' comments or a sidebar around it, is its reprint. */
	if (gap <= window_us && r->relation == MATCH_EXCERPT &&
	    (a->source == NULL || b->source == NULL ||
	        strcmp(a->source, b->source) == 0))
		return r->direction > 0 ? b->id : a->id;
	if (ta != tb)
		return ta < tb ? a->id : b->id;
	return a->id < b->id ? a->id : b->id;
}
