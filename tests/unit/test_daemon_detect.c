/*
 * test_daemon_detect.c - detection (daemon/detect.c) against a real store
 * in a mkdtemp directory under $REPRINTD_TEST_TMP (or /tmp): the recent
 * documents' features give the same answers as features rebuilt from the
 * stored text, are used only for the text stored under their id, and stay
 * within their bounds. Texts are made here from a seeded word list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect.h"
#include "match.h"
#include "store.h"
#include "testdir.h"

struct fx {
	char dir[4096];
	struct store *st;
	struct detect_recent *recent;
	struct match_params mp;
};

static int
setup(void **state)
{
	struct store_options o = {.flags = STORE_NOSYNC};
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testdir_make(fx->dir, sizeof(fx->dir), "test_detect") < 0 ||
	    store_open(fx->dir, &o, &fx->st) < 0 ||
	    detect_recent_new(&fx->recent) < 0)
		return -1;
	match_params_default(&fx->mp);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	detect_recent_free(fx->recent);
	store_close(fx->st);
	testdir_remove_store(fx->dir);
	free(fx);
	return 0;
}

/* A story of n made-up words (two to four syllables of a seeded
 * generator), with a figure every 23 words: two seeds give different
 * stories. */
static char *
story(unsigned seed, size_t n)
{
	static const char *syl[] = {"ka", "lo", "mer", "tin", "sa", "ru", "ven",
	    "do", "pi", "gal", "shu", "ne", "tor", "bi", "fel", "ard", "qua",
	    "mo", "zen", "lix", "po", "dre", "han", "ul"};
	size_t ns = sizeof(syl) / sizeof(*syl), len = 0;
	char *s = malloc(n * 24 + 1);
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i > 0)
			s[len++] = ' ';
		for (uint64_t k = 2 + x % 3, y = x >> 8; k > 0; k--, y /= ns)
			len += (size_t)sprintf(s + len, "%s", syl[y % ns]);
		if (i % 23 == 22)
			len += (size_t)sprintf(
			    s + len, " %u.", (unsigned)(x >> 40) % 997);
	}
	s[len] = '\0';
	return s;
}

/* A text of n numbered words, which share nothing with a story. */
static char *
filler(unsigned seed, size_t n)
{
	char *s = malloc(n * 12 + 1);
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 7;
	size_t len = 0;

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len += (size_t)sprintf(
		    s + len, "%sv%u", i ? " " : "", (unsigned)(x % 1000000));
	}
	return s;
}

/* Store text under path; its id. The features go to the recent ones
 * when keep is set, and are freed otherwise. */
static uint64_t
put(struct fx *fx, struct store_txn *t, const char *path, const char *text,
    int keep)
{
	struct match_doc *md;
	struct store_doc d = {.path = path, .size = strlen(text), .mtime = 1};
	const uint64_t *keys;
	void *blob;
	size_t bloblen, nkeys;
	uint64_t id;

	assert_int_equal(match_doc_build(text, strlen(text), &md), 0);
	assert_int_equal(match_doc_encode(md, &blob, &bloblen), 0);
	nkeys = match_doc_keys(md, &keys);
	d.norm_hash = match_doc_norm_hash(md);
	d.ntokens = match_doc_ntokens(md);
	assert_int_equal(store_doc_put(t, &d, text, strlen(text), blob, bloblen,
	                     keys, nkeys, &id),
	    0);
	free(blob);
	if (keep)
		detect_recent_add(fx->recent, id, md);
	else
		match_doc_free(md);
	return id;
}

/* detect_run of text with recent (may be NULL): its hits, sorted by id. */
static size_t
run(struct fx *fx, struct detect_recent *recent, const char *text,
    struct detect_hit **hits)
{
	struct store_txn *t;
	struct match_doc *md;
	size_t n;

	assert_int_equal(match_doc_build(text, strlen(text), &md), 0);
	assert_int_equal(store_txn_begin(fx->st, 0, &t), 0);
	struct detect_req q = {md, 0, NULL, recent, &fx->mp};
	assert_int_equal(detect_run(t, &q, hits, &n, NULL, NULL), 0);
	store_txn_abort(t);
	match_doc_free(md);
	return n;
}

/* The same hits (ids, relations and figures, to the bit) with the recent
 * features as without; how many verifications used them. */
static uint64_t
same_with_recent(struct fx *fx, const char *text, size_t want)
{
	struct detect_hit *a, *b;
	uint64_t before = detect_recent_hits(fx->recent);
	size_t na = run(fx, NULL, text, &a);
	size_t nb = run(fx, fx->recent, text, &b);

	assert_int_equal(na, want);
	assert_int_equal(nb, na);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].id, b[i].id);
		assert_int_equal(a[i].r.relation, b[i].r.relation);
		assert_memory_equal(&a[i].r, &b[i].r, sizeof(a[i].r));
	}
	free(a);
	free(b);
	return detect_recent_hits(fx->recent) - before;
}

static void
test_recent_same_answers(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	char *orig = story(1, 600), *other = story(2, 600);
	char *dup = malloc(strlen(orig) + 200), *part = strdup(orig);
	struct detect_hit *h;

	/* A reprint in another site's wrapping, and the first third. */
	sprintf(dup,
	    "Posted by the Evening Ledger staff. %s Share this "
	    "story with friends.",
	    orig);
	part[strlen(orig) / 3] = '\0';
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	uint64_t a = put(fx, t, "a.txt", orig, 1);
	uint64_t b = put(fx, t, "b.txt", other, 1);
	assert_int_equal(store_txn_commit(t), 0);

	assert_int_equal(same_with_recent(fx, dup, 1), 1);
	assert_int_equal(run(fx, NULL, dup, &h), 1);
	assert_int_equal(h[0].id, a);
	assert_int_equal(h[0].r.relation, MATCH_NEAR_DUPLICATE);
	free(h);
	assert_int_equal(same_with_recent(fx, part, 1), 1);
	assert_int_equal(run(fx, NULL, part, &h), 1);
	assert_int_equal(h[0].r.relation, MATCH_EXCERPT);
	free(h);
	/* An exact copy is answered from the record, without features. */
	assert_int_equal(same_with_recent(fx, other, 1), 0);

	/* Forgotten: the features are rebuilt, with the same answers. */
	detect_recent_clear(fx->recent);
	assert_int_equal(same_with_recent(fx, dup, 1), 0);
	(void)b;
	free(orig);
	free(other);
	free(dup);
	free(part);
}

/* Kept features whose id now holds another text (an aborted batch's id
 * given again) are not used. */
static void
test_recent_other_text(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct match_doc *md;
	char *orig = story(3, 600), *other = story(4, 600);
	char *dup = malloc(strlen(orig) + 100);

	sprintf(dup, "From the wire: %s", orig);
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	uint64_t a = put(fx, t, "a.txt", orig, 0);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(match_doc_build(other, strlen(other), &md), 0);
	detect_recent_add(fx->recent, a, md);
	assert_int_equal(same_with_recent(fx, dup, 1), 0);
	free(orig);
	free(other);
	free(dup);
}

/* At most DETECT_RECENT_MAX documents, the oldest leaving first; a text
 * too long for its share of DETECT_RECENT_BYTES is not kept. */
static void
test_recent_bounds(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	char *orig = story(5, 600), *big = story(6, 25000);
	char *dup = malloc(strlen(orig) + 100);
	char *bigdup = malloc(strlen(big) + 100);
	char path[32];

	sprintf(dup, "Reprinted: %s", orig);
	sprintf(bigdup, "Reprinted: %s", big);
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	put(fx, t, "a.txt", orig, 1);
	for (int i = 0; i < DETECT_RECENT_MAX; i++) {
		char *s = filler(100 + (unsigned)i, 40);
		snprintf(path, sizeof(path), "f%d.txt", i);
		put(fx, t, path, s, 1);
		free(s);
	}
	assert_int_equal(store_txn_commit(t), 0);
	/* a.txt was the oldest of DETECT_RECENT_MAX + 1: gone. */
	assert_int_equal(same_with_recent(fx, dup, 1), 0);
	/* The newest, but too big to keep. */
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	put(fx, t, "big.txt", big, 1);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(same_with_recent(fx, bigdup, 1), 0);
	/* The newest are kept. */
	char *s = filler(100 + DETECT_RECENT_MAX - 1, 40);
	char *sdup = malloc(strlen(s) + 100);
	sprintf(sdup, "%s Reprinted with permission of the Evening Ledger.", s);
	assert_int_equal(same_with_recent(fx, sdup, 1), 1);
	/* A NULL cache takes and frees what it is given. */
	struct match_doc *md;
	assert_int_equal(match_doc_build(s, strlen(s), &md), 0);
	assert_true(match_doc_bytes(md) > strlen(s));
	detect_recent_add(NULL, 1, md);
	free(s);
	free(sdup);
	free(orig);
	free(big);
	free(dup);
	free(bigdup);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_recent_same_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_recent_other_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_recent_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
