/*
 * test_store.c - store/ against a real LMDB in a mkdtemp directory under
 * $REPRINTD_TEST_TMP (or /tmp), removed after each test. A few tests edit
 * the files with raw LMDB (while the store is closed) to plant another
 * schema version or corrupt records.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <lmdb.h>

#include "record.h"
#include "store.h"
#include "testdir.h"

struct fx {
	char dir[4096];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (testdir_make(fx->dir, sizeof(fx->dir), "test_store") < 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	testdir_remove_store(fx->dir);
	free(fx);
	return 0;
}

static void
open_store(struct fx *fx, uint32_t flags, uint64_t map, uint64_t max)
{
	struct store_options o = {.flags = flags | STORE_NOSYNC,
	    .map_size = map,
	    .map_size_max = max};

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	assert_non_null(fx->st);
}

static void
close_store(struct fx *fx)
{
	store_close(fx->st);
	fx->st = NULL;
}

static struct store_txn *
begin(struct fx *fx, int write)
{
	struct store_txn *t;

	assert_int_equal(store_txn_begin(fx->st, write, &t), 0);
	return t;
}

/* Test keys are small numbers; the index compares the high 32 bits of a
 * key, so K() moves them there. */
static uint64_t
K(uint64_t x)
{
	return x << 32 | (x & 0xffffffffu);
}

static uint64_t
put_doc(
    struct store_txn *t, const char *path, const uint64_t *small, size_t nkeys)
{
	uint64_t keys[64];
	struct store_doc d = {
	    .path = path,
	    .size = strlen(path),
	    .mtime = 1000,
	    .first_seen = 2000,
	    .content_hash = {1, 2},
	    .norm_hash = 3,
	    .ntokens = 4,
	};
	uint64_t id = 0;

	assert_true(nkeys <= 64);
	for (size_t i = 0; i < nkeys; i++)
		keys[i] = K(small[i]);
	assert_int_equal(store_doc_put(t, &d, path, strlen(path), "F", 1,
	                     nkeys ? keys : NULL, nkeys, &id),
	    0);
	assert_true(id != 0);
	return id;
}

static uint64_t
df(struct store_txn *t, uint64_t key)
{
	size_t n = SIZE_MAX;

	assert_int_equal(store_key_docs(t, K(key), NULL, 1u << 30, &n), 0);
	return n;
}

/* ---- Documents ---------------------------------------------------------- */

static int
collect_paths(const struct store_doc *d, void *arg)
{
	char *buf = arg;

	strcat(buf, d->path);
	strcat(buf, " ");
	return 0;
}

/* The items of a JSON lines file by path prefix; metadata limits. */
static void
test_doc_prefix(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct store_doc d = {.path = "x"};
	char got[256] = "", big[STORE_META_MAX + 2];
	uint64_t id;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	put_doc(t, "feed.jsonl#1", NULL, 0);
	put_doc(t, "feed.jsonl#0", NULL, 0);
	put_doc(t, "feed.jsonl", NULL, 0);
	put_doc(t, "feed.jsonl#10", NULL, 0);
	put_doc(t, "feed.jsonm#0", NULL, 0);
	put_doc(t, "feed.json#0", NULL, 0);
	assert_int_equal(
	    store_doc_each_prefix(t, "feed.jsonl#", collect_paths, got), 0);
	assert_string_equal(got, "feed.jsonl#0 feed.jsonl#1 feed.jsonl#10 ");
	got[0] = '\0';
	assert_int_equal(
	    store_doc_each_prefix(t, "nothing#", collect_paths, got), 0);
	assert_string_equal(got, "");
	assert_int_equal(
	    store_doc_each_prefix(t, "", collect_paths, got), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	d.title = big;
	assert_int_equal(
	    store_doc_put(t, &d, NULL, 0, NULL, 0, NULL, 0, &id), -E2BIG);
	big[STORE_META_MAX] = '\0';
	assert_int_equal(
	    store_doc_put(t, &d, NULL, 0, NULL, 0, NULL, 0, &id), 0);
	assert_int_equal(store_txn_commit(t), 0);
}

static int
collect_ids(const struct store_doc *d, void *arg)
{
	uint64_t *v = arg;

	v[++v[0]] = d->id;
	return 0;
}

static int
stop_at_two(const struct store_doc *d, void *arg)
{
	(void)arg;
	return d->id == 2 ? 42 : 0;
}

static void
test_doc_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct store_doc in =
	                     {
	                         .path = "news/2024/a.txt",
	                         .size = 5,
	                         .mtime = -7,
	                         .first_seen = INT64_C(1700000000000001),
	                         .content_hash = {UINT64_MAX, 0x1234},
	                         .norm_hash = 99,
	                         .ntokens = 1234,
	                         .title = "Storm hits the coast",
	                         .url = "https://example.org/a",
	                         .source = "example.org",
	                         .author = NULL,
	                         .published = INT64_C(1699990000000000),
	                     },
	                 out;
	const void *p;
	size_t len;
	uint64_t id, id2, id3, got, ids[8] = {0};
	struct store_txn *t;
	char longa[1200], longb[1200];

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(
	    store_doc_put(t, &in, "hello", 5, "\x01\x02\x03", 3, NULL, 0, &id),
	    0);
	assert_true(id == 1);
	/* Same path again: -EEXIST, txn still usable. */
	assert_int_equal(
	    store_doc_put(t, &in, "x", 1, NULL, 0, NULL, 0, &id2), -EEXIST);
	/* Empty text and features. */
	in.path = "empty.txt";
	assert_int_equal(
	    store_doc_put(t, &in, NULL, 0, NULL, 0, NULL, 0, &id2), 0);
	assert_true(id2 == 2);
	/* Paths too long for an LMDB key, sharing a long prefix. */
	memset(longa, 'a', sizeof(longa) - 1);
	longa[sizeof(longa) - 1] = '\0';
	memcpy(longb, longa, sizeof(longb));
	longb[sizeof(longb) - 2] = 'b';
	in.path = longa;
	assert_int_equal(
	    store_doc_put(t, &in, "L", 1, NULL, 0, NULL, 0, &id3), 0);
	in.path = longb;
	assert_int_equal(
	    store_doc_put(t, &in, "L", 1, NULL, 0, NULL, 0, &got), 0);
	assert_true(got == 4);
	assert_int_equal(
	    store_doc_put(t, &in, "L", 1, NULL, 0, NULL, 0, &got), -EEXIST);
	/* Bad arguments. */
	in.path = "";
	assert_int_equal(
	    store_doc_put(t, &in, NULL, 0, NULL, 0, NULL, 0, &got), -EINVAL);
	in.path = "k";
	assert_int_equal(
	    store_doc_put(t, &in, NULL, 0, NULL, 0, NULL, 3, &got), -EINVAL);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 0);
	assert_int_equal(store_doc_get(t, id, &out), 0);
	assert_true(out.id == 1);
	assert_string_equal(out.path, "news/2024/a.txt");
	assert_true(out.size == 5 && out.mtime == -7 &&
	            out.first_seen == INT64_C(1700000000000001) &&
	            out.content_hash[0] == UINT64_MAX &&
	            out.content_hash[1] == 0x1234 && out.norm_hash == 99 &&
	            out.ntokens == 1234);
	assert_string_equal(out.title, "Storm hits the coast");
	assert_string_equal(out.url, "https://example.org/a");
	assert_string_equal(out.source, "example.org");
	assert_null(out.author);
	assert_true(out.published == INT64_C(1699990000000000));
	assert_int_equal(store_doc_text(t, id, &p, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(store_doc_feat(t, id, &p, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "\x01\x02\x03", 3);
	assert_int_equal(store_doc_text(t, id2, &p, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(store_doc_feat(t, id2, &p, &len), 0);
	assert_int_equal(len, 0);

	assert_int_equal(store_doc_by_path(t, "news/2024/a.txt", &got), 0);
	assert_true(got == id);
	assert_int_equal(store_doc_by_path(t, "empty.txt", &got), 0);
	assert_true(got == id2);
	assert_int_equal(store_doc_by_path(t, longa, &got), 0);
	assert_true(got == id3);
	assert_int_equal(store_doc_by_path(t, longb, &got), 0);
	assert_true(got == 4);
	assert_int_equal(store_doc_get(t, 4, &out), 0);
	assert_string_equal(out.path, longb);
	assert_int_equal(store_doc_by_path(t, "nope", &got), STORE_ENOTFOUND);
	assert_int_equal(store_doc_get(t, 99, &out), STORE_ENOTFOUND);
	assert_int_equal(store_doc_get(t, 0, &out), STORE_ENOTFOUND);
	assert_int_equal(store_doc_text(t, 99, &p, &len), STORE_ENOTFOUND);
	assert_int_equal(store_doc_feat(t, 99, &p, &len), STORE_ENOTFOUND);

	assert_int_equal(store_doc_each(t, 0, collect_ids, ids), 0);
	assert_true(ids[0] == 4 && ids[1] == 1 && ids[2] == 2 && ids[3] == 3 &&
	            ids[4] == 4);
	memset(ids, 0, sizeof(ids));
	assert_int_equal(store_doc_each(t, 3, collect_ids, ids), 0);
	assert_true(ids[0] == 2 && ids[1] == 3 && ids[2] == 4);
	memset(ids, 0, sizeof(ids));
	assert_int_equal(store_doc_each(t, 5, collect_ids, ids), 0);
	assert_true(ids[0] == 0);
	assert_int_equal(store_doc_each(t, 0, stop_at_two, NULL), 42);
	store_txn_abort(t);
}

static void
test_id_never_reused(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	uint64_t a, b, c;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	a = put_doc(t, "a", NULL, 0);
	b = put_doc(t, "b", NULL, 0);
	assert_int_equal(store_doc_delete(t, b), 0);
	c = put_doc(t, "b", NULL, 0);
	assert_true(a == 1 && b == 2 && c == 3);
	assert_int_equal(store_doc_delete(t, c), 0);
	assert_int_equal(store_txn_commit(t), 0);

	/* Also across a reopen, with the highest id deleted. */
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_true(put_doc(t, "c", NULL, 0) == 4);
	assert_int_equal(store_txn_commit(t), 0);
}

/* A moved file: the document takes the new name and source, keeps its
 * id, arrival, text and keys; the old name is free; a name in use is
 * refused. A long name (hashed path key) both ways. */
static void
test_doc_move(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct store_doc d;
	uint64_t a, b, id, small[] = {7};
	char longp[600];
	const void *text;
	size_t n = 0;

	memset(longp, 'm', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	a = put_doc(t, "a.txt", small, 1);
	b = put_doc(t, "b.txt", NULL, 0);
	assert_int_equal(store_doc_move(t, a, "b.txt", NULL), -EEXIST);
	assert_int_equal(store_doc_move(t, 99, "c.txt", NULL), STORE_ENOTFOUND);
	assert_int_equal(store_doc_move(t, a, "wire/a.txt", "wire"), 0);
	assert_int_equal(store_txn_commit(t), 0);

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_doc_by_path(t, "a.txt", &id), STORE_ENOTFOUND);
	assert_int_equal(store_doc_by_path(t, "wire/a.txt", &id), 0);
	assert_true(id == a);
	assert_int_equal(store_doc_get(t, a, &d), 0);
	assert_string_equal(d.path, "wire/a.txt");
	assert_string_equal(d.source, "wire");
	assert_true(d.first_seen == 2000 && d.mtime == 1000 && d.ntokens == 4);
	assert_int_equal(store_doc_text(t, a, &text, &n), 0);
	assert_int_equal(n, 5); /* put_doc's text is the first path */
	assert_memory_equal(text, "a.txt", 5);
	assert_int_equal(df(t, 7), 1);
	/* The old name can hold a new document. */
	assert_true(put_doc(t, "a.txt", NULL, 0) > b);
	assert_int_equal(store_doc_move(t, a, longp, NULL), 0);
	assert_int_equal(store_doc_by_path(t, longp, &id), 0);
	assert_true(id == a);
	assert_int_equal(store_doc_move(t, a, "x.txt", NULL), 0);
	assert_int_equal(store_doc_by_path(t, longp, &id), STORE_ENOTFOUND);
	assert_int_equal(store_doc_get(t, a, &d), 0);
	assert_null(d.source);
	/* Its file rewritten, its text not: the file's figures only. */
	const uint64_t h[2] = {11, 12};
	assert_int_equal(store_doc_set_file(t, a, 777, 3000, h, 0), 0);
	assert_int_equal(
	    store_doc_set_file(t, 99, 1, 1, h, 0), STORE_ENOTFOUND);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_int_equal(store_doc_get(t, a, &d), 0);
	assert_string_equal(d.path, "x.txt");
	/* put_doc's mtime 1000 s is before its arrival (2000 us): not its
	 * time, so it follows the file. */
	assert_true(d.size == 777 && d.mtime == 3000 &&
	            d.content_hash[0] == 11 && d.content_hash[1] == 12 &&
	            d.first_seen == 2000 && d.ntokens == 4 && d.norm_hash == 3);
	assert_true(d.checked == 0);
	store_txn_abort(t);
	/* Found unchanged: kept with the record, through a move; a new
	 * file forgets it. */
	t = begin(fx, 1);
	assert_int_equal(store_doc_set_file(t, a, 777, 3000, h, 5000), 0);
	assert_int_equal(
	    store_doc_set_file(t, 99, 777, 3000, h, 5000), STORE_ENOTFOUND);
	assert_int_equal(store_doc_move(t, a, "y.txt", NULL), 0);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 1);
	assert_int_equal(store_doc_get(t, a, &d), 0);
	assert_true(d.checked == 5000 && d.mtime == 3000);
	assert_string_equal(d.path, "y.txt");
	assert_int_equal(store_doc_set_file(t, a, 778, 3001, h, 0), 0);
	assert_int_equal(store_doc_get(t, a, &d), 0);
	assert_true(d.checked == 0 && d.size == 778);
	assert_int_equal(store_doc_move(t, a, "x.txt", NULL), 0);
	assert_int_equal(store_txn_commit(t), 0);
	/* A document dated by its mtime (a day before it arrived) keeps
	 * it, and so its date. */
	struct store_doc old = {.path = "archive.txt",
	    .size = 1,
	    .mtime = 1000000,
	    .first_seen = (1000000 + 86400) * INT64_C(1000000),
	    .ntokens = 4};
	uint64_t oid;
	t = begin(fx, 1);
	assert_int_equal(
	    store_doc_put(t, &old, "x", 1, "F", 1, NULL, 0, &oid), 0);
	assert_int_equal(store_doc_set_file(t, oid, 9, 2000000, h, 0), 0);
	assert_int_equal(store_doc_get(t, oid, &d), 0);
	assert_true(d.size == 9 && d.mtime == 1000000 &&
	            store_doc_time(&d) == INT64_C(1000000) * 1000000);
	assert_int_equal(store_txn_commit(t), 0);
}

/* Key counts: distinct keys, capped, forgotten on delete, across records
 * of 256 ids and a reopen; a store without the table (an older binary's)
 * answers "unknown" and gets the table on a writable open. */
static void
test_doc_nkeys(void **state)
{
	struct fx *fx = *state;
	static uint64_t keys[300];
	const uint64_t dup[] = {5, 5, 6};
	struct store_txn *t;
	char path[32];
	uint64_t id, big;
	uint32_t n;
	MDB_env *env;
	MDB_txn *lt;
	MDB_dbi dbi;

	for (size_t i = 0; i < 300; i++)
		keys[i] = K(i + 1);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	for (int i = 1; i <= 300; i++) {
		snprintf(path, sizeof(path), "d%d", i);
		id = put_doc(t, path, dup, (size_t)(i % 3)); /* 0, 1, 2 keys */
		assert_true(id == (uint64_t)i);
	}
	struct store_doc d = {.path = "big", .size = 3};
	assert_int_equal(
	    store_doc_put(t, &d, "x", 1, "F", 1, keys, 300, &big), 0);
	assert_int_equal(store_doc_nkeys(t, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_doc_nkeys(t, 2, &n), 0);
	assert_int_equal(n, 1); /* 5, 5: one distinct key */
	assert_int_equal(store_doc_nkeys(t, 299, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_doc_nkeys(t, 300, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_doc_nkeys(t, big, &n), 0);
	assert_int_equal(n, STORE_NKEYS_CAP);
	assert_int_equal(store_doc_nkeys(t, big + 1, &n), STORE_ENOTFOUND);
	assert_int_equal(store_doc_nkeys(t, 5000, &n), STORE_ENOTFOUND);
	assert_int_equal(store_doc_delete(t, 299), 0);
	assert_int_equal(store_doc_nkeys(t, 299, &n), STORE_ENOTFOUND);
	assert_int_equal(store_txn_commit(t), 0);

	open_store(fx, STORE_RDONLY, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_doc_nkeys(t, 257, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_doc_nkeys(t, 299, &n), STORE_ENOTFOUND);
	store_txn_abort(t);
	close_store(fx);

	/* As an older binary left it: no table. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 64u << 20), 0);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0660), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &lt), 0);
	assert_int_equal(mdb_dbi_open(lt, "nkeys", 0, &dbi), 0);
	assert_int_equal(mdb_drop(lt, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(lt), 0);
	mdb_env_close(env);

	open_store(fx, STORE_RDONLY, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_doc_nkeys(t, 1, &n), STORE_ENOTFOUND);
	store_txn_abort(t);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_doc_nkeys(t, 1, &n), STORE_ENOTFOUND);
	id = put_doc(t, "new", dup, 3);
	assert_int_equal(store_doc_nkeys(t, id, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_txn_commit(t), 0);
}

/* ---- Index -------------------------------------------------------------- */

static int
cmp_id(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* Ids under small key x, sorted (lookups give them in no order). */
static size_t
docs_of(struct store_txn *t, uint64_t x, uint64_t *ids, size_t max)
{
	size_t n = SIZE_MAX;

	assert_int_equal(store_key_docs(t, K(x), ids, max, &n), 0);
	if (n <= max)
		qsort(ids, n, sizeof(*ids), cmp_id);
	return n;
}

/*
 * A document is found by its normalized text's hash as well as its keys,
 * whatever the common keys' set says: the exact copies of a story whose
 * keys are all common.
 */
static void
test_exact_docs(void **state)
{
	struct fx *fx = *state;
	const uint64_t k[] = {5};
	uint64_t ids[8], i1, i2, i4, other, key5;
	struct store_doc d = {.path = "other",
	    .size = 5,
	    .content_hash = {7, 7},
	    .norm_hash = 99,
	    .ntokens = 4};
	struct store_txn *t;
	size_t n;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	i1 = put_doc(t, "1", k, 1); /* norm_hash 3 */
	i2 = put_doc(t, "2", k, 1);
	(void)put_doc(t, "3", k, 1);
	i4 = put_doc(t, "4", NULL, 0); /* no keys: still found by its text */
	key5 = K(5);
	assert_int_equal(
	    store_doc_put(t, &d, "x", 1, "F", 1, &key5, 1, &other), 0);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 0);
	/* The common keys' set answers for max 1: key 5 is common now. */
	assert_int_equal(store_key_docs(t, K(5), ids, 1, &n), 0);
	assert_true(n == 2);
	assert_int_equal(store_exact_docs(t, 3, ids, 8, &n), 0);
	assert_int_equal(n, 4);
	qsort(ids, n, sizeof(*ids), cmp_id);
	assert_true(ids[0] == i1 && ids[1] == i2 && ids[3] == i4);
	assert_int_equal(store_exact_docs(t, 3, ids, 2, &n), 0);
	assert_int_equal(n, 3); /* more than 2, and 2 of them listed */
	assert_true(ids[0] != ids[1] && ids[0] >= i1 && ids[0] <= i4 &&
	            ids[1] >= i1 && ids[1] <= i4);
	assert_int_equal(store_exact_docs(t, 99, ids, 8, &n), 0);
	assert_true(n == 1 && ids[0] == other);
	assert_int_equal(store_exact_docs(t, 42, ids, 8, &n), 0);
	assert_int_equal(n, 0);
	/* Not counted among the document's keys. */
	uint32_t nk;
	assert_int_equal(store_doc_nkeys(t, i1, &nk), 0);
	assert_int_equal(nk, 1);
	assert_int_equal(store_doc_nkeys(t, i4, &nk), 0);
	assert_int_equal(nk, 0);
	store_txn_abort(t);

	/* Deleting a document drops it from its text's key too. */
	t = begin(fx, 1);
	assert_int_equal(store_doc_delete(t, i2), 0);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_int_equal(store_exact_docs(t, 3, ids, 8, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_true(ids[i] != i2);
	store_txn_abort(t);
}

/* More copies than max: the oldest max of them listed, from the memtable
 * (whose chains run newest first) as from the runs. */
static void
put_many(struct fx *fx, int round, size_t count, uint64_t *first)
{
	struct store_txn *t = begin(fx, 1);
	uint64_t id;

	for (size_t i = 0; i < count; i++) {
		char path[32];

		snprintf(path, sizeof(path), "r%d/%zu", round, i);
		id = put_doc(t, path, NULL, 0);
		if (*first == 0)
			*first = id;
	}
	assert_int_equal(store_txn_commit(t), 0);
}

static void
expect_oldest(struct fx *fx, uint64_t first, size_t want_n)
{
	static uint64_t ids[1000];
	struct store_txn *t = begin(fx, 0);
	size_t n, i;

	memset(ids, 0, sizeof(ids));
	assert_int_equal(store_exact_docs(t, 3, ids, 1000, &n), 0);
	assert_int_equal(n, want_n);
	qsort(ids, 1000, sizeof(*ids), cmp_id);
	for (i = 0; i < 1000; i++)
		if (ids[i] != first + i)
			fail_msg("ids[%zu] = %" PRIu64 ", want %" PRIu64, i,
			    ids[i], first + i);
	store_txn_abort(t);
}

static void
test_exact_docs_many(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};
	uint64_t first = 0;
	unsigned slices = 0;

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	put_many(fx, 0, 1100, &first);
	expect_oldest(fx, first, 1001); /* in the memtable */
	assert_true(store_index_merge_wanted(fx->st));
	assert_int_equal(store_index_merge(fx->st, 0, &slices), 0);
	assert_true(slices > 0);
	put_many(fx, 1, 300, &first);
	expect_oldest(fx, first, 1001); /* in a run, newer in the memtable */
}

static void
test_keys(void **state)
{
	struct fx *fx = *state;
	const uint64_t k1[] = {5, 3, 5, 9, UINT64_MAX}, k2[] = {3, 7},
	               k3[] = {3};
	uint64_t ids[2000], i1, i2, i3, key = 77;
	struct store_txn *t;
	size_t n;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	i1 = put_doc(t, "1", k1, 5);
	i2 = put_doc(t, "2", k2, 2);
	i3 = put_doc(t, "3", k3, 1);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 0);
	assert_true(df(t, 3) == 3);
	assert_true(df(t, 5) == 1); /* duplicate key stored once */
	assert_true(df(t, 9) == 1);
	assert_true(df(t, 7) == 1);
	assert_true(df(t, UINT64_MAX) == 1);
	assert_true(df(t, 42) == 0);
	assert_int_equal(docs_of(t, 3, ids, 10), 3);
	assert_true(ids[0] == i1 && ids[1] == i2 && ids[2] == i3);
	/* Counted up to max + 1: "more than max". */
	assert_int_equal(docs_of(t, 3, ids, 2), 3);
	assert_int_equal(docs_of(t, 3, ids, 1), 2);
	assert_int_equal(store_key_docs(t, K(3), NULL, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(docs_of(t, 5, ids, 10), 1);
	assert_true(ids[0] == i1);
	assert_int_equal(docs_of(t, 42, ids, 10), 0);
	/* Only the high 32 bits count. */
	assert_int_equal(store_key_docs(t, K(5) ^ 0xffff, ids, 10, &n), 0);
	assert_true(n == 1 && ids[0] == i1);
	assert_int_equal(store_key_docs(NULL, K(5), ids, 10, &n), -EINVAL);
	assert_int_equal(store_key_docs(t, K(5), ids, 10, NULL), -EINVAL);
	store_txn_abort(t);

	/* One key in many documents. */
	t = begin(fx, 1);
	for (int i = 0; i < 1500; i++) {
		char path[32];

		snprintf(path, sizeof(path), "many/%d", i);
		put_doc(t, path, &key, 1);
	}
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_true(df(t, 77) == 1500);
	assert_int_equal(docs_of(t, 77, ids, 2000), 1500);
	for (size_t i = 0; i < 1500; i++)
		assert_true(ids[i] == i3 + 1 + i);
	assert_int_equal(docs_of(t, 77, ids, 1000), 1001);
	store_txn_abort(t);

	/* "More than max" is remembered for a key, but not past an aborted
	 * txn that made it so, nor past a deletion. */
	uint64_t k88 = 88, gone;
	t = begin(fx, 1);
	for (int i = 0; i < 3; i++) {
		char path[32];
		snprintf(path, sizeof(path), "k88/%d", i);
		gone = put_doc(t, path, &k88, 1);
	}
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 1);
	put_doc(t, "k88/3", &k88, 1);
	assert_int_equal(docs_of(t, 88, ids, 3), 4);
	assert_int_equal(docs_of(t, 88, ids, 3), 4);
	store_txn_abort(t);
	t = begin(fx, 0);
	assert_int_equal(docs_of(t, 88, ids, 3), 3);
	store_txn_abort(t);
	t = begin(fx, 1);
	put_doc(t, "k88/3", &k88, 1);
	assert_int_equal(docs_of(t, 88, ids, 3), 4);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_int_equal(docs_of(t, 88, ids, 3), 4);
	store_txn_abort(t);
	t = begin(fx, 1);
	assert_int_equal(store_doc_delete(t, gone), 0);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_int_equal(docs_of(t, 88, ids, 3), 3);
	assert_true(ids[0] != gone && ids[1] != gone && ids[2] != gone);
	store_txn_abort(t);
}

/*
 * The index as a log-structured merge tree, against a model: a tiny
 * memtable (1024 postings) makes thousands of documents flush it hundreds
 * of times and fill all three levels; documents are deleted from the
 * memtable and from every level, a write txn is aborted halfway, the store
 * is reopened, and a read-only handle in another process follows the
 * writer. Every key's
 * documents must equal the model's.
 */
#define LSM_DOCS 5000
#define LSM_KEYS 40
#define LSM_POOL 8000

static uint64_t lsm_rand = 88172645463325252ull;

static uint64_t
lsm_next(void)
{
	lsm_rand ^= lsm_rand << 13;
	lsm_rand ^= lsm_rand >> 7;
	lsm_rand ^= lsm_rand << 17;
	return lsm_rand;
}

struct lsm_model {
	uint16_t keys[LSM_DOCS + 1][LSM_KEYS];
	uint64_t ids[LSM_DOCS + 1]; /* 0: never stored or deleted */
	int n;
};

static uint64_t
lsm_key(unsigned i)
{
	return (uint64_t)(i * 7919u + 1) << 32 | (i * 31u);
}

static void
lsm_put(struct store_txn *t, struct lsm_model *m, int doc)
{
	struct store_doc d = {.ntokens = 1};
	uint64_t keys[LSM_KEYS];
	char path[32];

	snprintf(path, sizeof(path), "lsm/%d", doc);
	d.path = path;
	for (int j = 0; j < LSM_KEYS; j++) {
		m->keys[doc][j] = (uint16_t)(lsm_next() % LSM_POOL);
		keys[j] = lsm_key(m->keys[doc][j]);
	}
	assert_int_equal(
	    store_doc_put(t, &d, "x", 1, NULL, 0, keys, LSM_KEYS, &m->ids[doc]),
	    0);
}

/* 0 if every key's documents in st are the model's, else -1. */
static int
lsm_diff(struct store *st, const struct lsm_model *m)
{
	static uint64_t want[LSM_POOL][64], got[LSM_DOCS];
	static size_t nwant[LSM_POOL];
	struct store_txn *t;
	int rc = 0;

	memset(nwant, 0, sizeof(nwant));
	for (int doc = 1; doc <= m->n; doc++) {
		if (m->ids[doc] == 0)
			continue;
		for (int j = 0; j < LSM_KEYS; j++) {
			unsigned k = m->keys[doc][j];
			int seen = 0;
			for (size_t x = 0; x < nwant[k]; x++)
				seen |= want[k][x] == m->ids[doc];
			if (!seen && nwant[k] < 64)
				want[k][nwant[k]++] = m->ids[doc];
		}
	}
	if (store_txn_begin(st, 0, &t) != 0)
		return -1;
	for (unsigned k = 0; k < LSM_POOL && rc == 0; k++) {
		size_t n;
		if (nwant[k] >= 64 ||
		    store_key_docs(t, lsm_key(k), got, LSM_DOCS, &n) != 0 ||
		    n != nwant[k]) {
			rc = -1;
			break;
		}
		qsort(got, n, sizeof(*got), cmp_id);
		qsort(want[k], n, sizeof(*got), cmp_id);
		if (memcmp(got, want[k], n * sizeof(*got)) != 0)
			rc = -1;
	}
	store_txn_abort(t);
	return rc;
}

static void
lsm_check(struct store *st, const struct lsm_model *m)
{
	assert_int_equal(lsm_diff(st, m), 0);
}

/* The same from a read-only handle in another process (LMDB allows one
 * environment per file per process), which must follow the writer's
 * commits. */
static void
lsm_check_reader(const char *dir, const struct lsm_model *m)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_options ro = {.flags = STORE_RDONLY};
		struct store *st;
		int rc = store_open(dir, &ro, &st) == 0 ? lsm_diff(st, m) : -1;
		_exit(rc == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_index_lsm(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};
	static struct lsm_model m;
	struct store_txn *t;
	int doc = 0;

	memset(&m, 0, sizeof(m));
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	while (doc < LSM_DOCS) {
		assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
		for (int i = 0; i < 50 && doc < LSM_DOCS; i++) {
			lsm_put(t, &m, ++doc);
			/* Delete now and then: a recent document (in the
			 * memtable) or an old one (in a run), including
			 * one stored in this very txn. */
			if (lsm_next() % 5 == 0) {
				int v = 1 + (int)(lsm_next() % (unsigned)doc);
				if (lsm_next() % 2)
					v = doc - (int)(lsm_next() % 20);
				if (v >= 1 && m.ids[v] != 0) {
					assert_int_equal(
					    store_doc_delete(t, m.ids[v]), 0);
					m.ids[v] = 0;
				}
			}
		}
		m.n = doc;
		assert_int_equal(store_txn_commit(t), 0);
		/* Merges in slices of a few blocks (hundreds of txns for the
		 * big ones) every other batch, whole otherwise. */
		assert_int_equal(
		    store_index_merge(fx->st, doc % 100 ? 0 : 512, NULL), 0);
		if (doc % 500 == 0) {
			lsm_check(fx->st, &m);
			lsm_check_reader(fx->dir, &m);
		}
		if (doc == 1500) {
			/* An aborted txn that filled the memtable and
			 * deleted. */
			struct lsm_model saved = m;
			assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
			for (int i = 0; i < 100; i++)
				lsm_put(t, &m, doc + 1 + i);
			for (int v = 1; v <= doc; v++)
				if (m.ids[v] != 0) {
					assert_int_equal(
					    store_doc_delete(t, m.ids[v]), 0);
					break;
				}
			store_txn_abort(t);
			m = saved;
			lsm_check(fx->st, &m);
			/* And a reopen: the memtable comes back from the
			 * log. */
			store_close(fx->st);
			assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
			lsm_check(fx->st, &m);
		}
	}
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
}

/*
 * A memtable big enough for all of LSM_DOCS (200k postings, no merge):
 * its tables are over 2 MiB, so they come from the huge-page allocator,
 * and the postings array grows through it (a copy at each step). Every
 * lookup finds what the model says, before and after a reopen (the tables
 * rebuilt from the log) and after a merge.
 */
static void
test_index_big_tables(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1u << 20};
	static struct lsm_model m;
	struct store_txn *t;
	int doc = 0;

	memset(&m, 0, sizeof(m));
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	while (doc < LSM_DOCS - 1) {
		assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
		for (int i = 0; i < 250 && doc < LSM_DOCS - 1; i++)
			lsm_put(t, &m, ++doc);
		m.n = doc;
		assert_int_equal(store_txn_commit(t), 0);
		assert_false(store_index_merge_wanted(fx->st));
	}
	lsm_check(fx->st, &m);
	store_close(fx->st);
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	lsm_check(fx->st, &m);
	o.index_mem = 1024; /* now over the memtable's size: merged */
	store_close(fx->st);
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	lsm_put(t, &m, ++doc);
	m.n = doc;
	assert_int_equal(store_txn_commit(t), 0);
	assert_true(store_index_merge_wanted(fx->st));
	assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
}

/* A batch of puts, committed. */
static void
lsm_batch(struct store *st, struct lsm_model *m, int ndocs)
{
	struct store_txn *t;

	assert_int_equal(store_txn_begin(st, 1, &t), 0);
	for (int i = 0; i < ndocs; i++)
		lsm_put(t, m, ++m->n);
	assert_int_equal(store_txn_commit(t), 0);
}

/* A merge left between its slices: by a write, by a close (as by a kill). */
static void
test_index_merge_slices(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};
	static struct lsm_model m;
	struct store_txn *t;
	unsigned nslices;
	int more;

	memset(&m, 0, sizeof(m));
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	while (m.n < 1500) {
		lsm_batch(fx->st, &m, 50);
		assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
	}
	/* A full memtable, its merge three slices in: lookups here and in
	 * another process see every posting, once. */
	lsm_batch(fx->st, &m, 30);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_index_merge_step(fx->st, 64, &more), 0);
		assert_true(more);
	}
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
	/* A write in between (a put, deletes of documents in the merge's
	 * inputs: the memtable, level 1's run, an older run): the merge
	 * starts again and its result holds them all. */
	assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
	const int gone[] = {m.n - 5, m.n - 40, 7};
	for (size_t i = 0; i < sizeof(gone) / sizeof(*gone); i++) {
		assert_int_equal(store_doc_delete(t, m.ids[gone[i]]), 0);
		m.ids[gone[i]] = 0;
	}
	lsm_put(t, &m, ++m.n);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(store_index_merge_step(fx->st, 64, &more), 0);
	assert_true(more);
	lsm_check(fx->st, &m);
	assert_int_equal(store_index_merge(fx->st, 64, &nslices), 0);
	assert_true(nslices > 3);
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
	/* Closed between slices: the store reopens with the index as before
	 * the merge, and the next merge empties the half-written run. */
	lsm_batch(fx->st, &m, 30);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_index_merge_step(fx->st, 64, &more), 0);
		assert_true(more);
	}
	store_close(fx->st);
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
	assert_int_equal(store_index_merge(fx->st, 0, &nslices), 0);
	assert_true(nslices >= 1);
	lsm_check(fx->st, &m);
	/* Nothing left to do: no txn at all. */
	assert_int_equal(store_index_merge(fx->st, 0, &nslices), 0);
	assert_int_equal(nslices, 0);
	lsm_batch(fx->st, &m, 40);
	assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
	store_close(fx->st);
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	lsm_check(fx->st, &m);
	lsm_check_reader(fx->dir, &m);
}

/* ---- Pairs -------------------------------------------------------------- */

struct pairs {
	size_t n;
	struct store_pair p[16];
};

static int
collect_pair(const struct store_pair *p, void *arg)
{
	struct pairs *v = arg;

	assert_true(v->n < 16);
	v->p[v->n++] = *p;
	return 0;
}

static struct store_pair
mkpair(uint64_t a, uint64_t b, float j)
{
	struct store_pair p = {.a = a,
	    .b = b,
	    .original = a,
	    .relation = 1,
	    .jaccard = j,
	    .cont_ab = 0.5f,
	    .cont_ba = 0.25f,
	    .found_at = 77};

	return p;
}

/*
 * The index keeps, in memory, a presence filter per level built by its
 * own merges; a lookup skips a level whose filter lacks the key. Another
 * process that writes and merges changes the runs under those filters:
 * its keys, which none of ours share, must still be found.
 */
#define PF_CHILD_DOCS 30

static int
pf_child_writes(const char *dir)
{
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};
	struct store *st;
	struct store_txn *t;
	uint64_t keys[LSM_KEYS], id;
	int rc;

	if (store_open(dir, &o, &st) != 0)
		return -1;
	for (int j = 0; j < LSM_KEYS; j++)
		keys[j] = lsm_key(LSM_POOL + (unsigned)j);
	rc = store_txn_begin(st, 1, &t);
	for (int i = 0; i < PF_CHILD_DOCS && rc == 0; i++) {
		struct store_doc d = {.ntokens = 1};
		char path[32];
		snprintf(path, sizeof(path), "child/%d", i);
		d.path = path;
		rc = store_doc_put(t, &d, "x", 1, NULL, 0, keys, LSM_KEYS, &id);
	}
	if (rc == 0)
		rc = store_txn_commit(t);
	/* 1,200 postings: the memtable goes into level 0's run. */
	if (rc == 0)
		rc = store_index_merge(st, 0, NULL);
	store_close(st);
	return rc;
}

static void
test_index_filter_other_writer(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};
	static struct lsm_model m;
	static uint64_t got[LSM_DOCS];
	struct store_txn *t;
	pid_t pid;
	int status;
	size_t n;

	memset(&m, 0, sizeof(m));
	assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
	/* Levels 0 and 1 written by our merges, so with filters. */
	for (int i = 0; i < 40; i++) {
		lsm_batch(fx->st, &m, 25);
		assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
	}
	lsm_check(fx->st, &m);
	assert_int_equal(store_txn_begin(fx->st, 0, &t), 0);
	assert_int_equal(
	    store_key_docs(t, lsm_key(LSM_POOL), got, LSM_DOCS, &n), 0);
	assert_int_equal(n, 0);
	store_txn_abort(t);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(pf_child_writes(fx->dir) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(store_txn_begin(fx->st, 0, &t), 0);
	for (int j = 0; j < LSM_KEYS; j++) {
		assert_int_equal(
		    store_key_docs(
		        t, lsm_key(LSM_POOL + (unsigned)j), got, LSM_DOCS, &n),
		    0);
		assert_int_equal(n, PF_CHILD_DOCS);
	}
	store_txn_abort(t);
	lsm_check(fx->st, &m);
	/* And our next merges build filters that hold the child's keys. */
	lsm_batch(fx->st, &m, 50);
	assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
	assert_int_equal(store_txn_begin(fx->st, 0, &t), 0);
	assert_int_equal(
	    store_key_docs(t, lsm_key(LSM_POOL + 1), got, LSM_DOCS, &n), 0);
	assert_int_equal(n, PF_CHILD_DOCS);
	store_txn_abort(t);
}

static void
test_pairs(void **state)
{
	struct fx *fx = *state;
	struct store_pair p;
	struct store_stats s;
	struct store_txn *t;
	struct pairs v;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	for (int i = 0; i < 4; i++) {
		char path[8];

		snprintf(path, sizeof(path), "%d", i);
		put_doc(t, path, NULL, 0);
	}
	p = mkpair(1, 2, 0.1f);
	assert_int_equal(store_pair_put(t, &p), 0);
	p = mkpair(2, 3, 0.2f);
	assert_int_equal(store_pair_put(t, &p), 0);
	p = mkpair(1, 3, 0.3f);
	assert_int_equal(store_pair_put(t, &p), 0);
	/* Replace (1, 2). */
	p = mkpair(1, 2, 0.9f);
	p.original = 0;
	p.relation = 7;
	p.how = 3;
	assert_int_equal(store_pair_put(t, &p), 0);
	/* Refused. */
	p = mkpair(2, 1, 0.5f);
	assert_int_equal(store_pair_put(t, &p), -EINVAL);
	p = mkpair(2, 2, 0.5f);
	assert_int_equal(store_pair_put(t, &p), -EINVAL);
	p = mkpair(1, 2, 0.5f);
	p.original = 3;
	assert_int_equal(store_pair_put(t, &p), -EINVAL);
	p = mkpair(1, 99, 0.5f);
	assert_int_equal(store_pair_put(t, &p), STORE_ENOTFOUND);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, 1, collect_pair, &v), 0);
	assert_int_equal(v.n, 2);
	assert_true(v.p[0].a == 1 && v.p[0].b == 2 && v.p[0].jaccard == 0.9f &&
	            v.p[0].relation == 7 && v.p[0].how == 3 &&
	            v.p[0].original == 0);
	/* how 0: a pair stored before how was recorded */
	assert_true(v.p[1].how == 0 && v.p[1].relation == 1);
	assert_true(v.p[1].a == 1 && v.p[1].b == 3 && v.p[1].jaccard == 0.3f &&
	            v.p[1].original == 1 && v.p[1].cont_ab == 0.5f &&
	            v.p[1].cont_ba == 0.25f && v.p[1].found_at == 77);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, 2, collect_pair, &v), 0);
	assert_int_equal(v.n, 2);
	assert_true(v.p[0].a == 1 && v.p[0].b == 2 && v.p[0].jaccard == 0.9f);
	assert_true(v.p[1].a == 2 && v.p[1].b == 3);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, 3, collect_pair, &v), 0);
	assert_int_equal(v.n, 2);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, 4, collect_pair, &v), 0);
	assert_int_equal(v.n, 0);

	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pair_each(t, collect_pair, &v), 0);
	assert_int_equal(v.n, 3);
	assert_true(v.p[0].a == 1 && v.p[0].b == 2);
	assert_true(v.p[1].a == 1 && v.p[1].b == 3);
	assert_true(v.p[2].a == 2 && v.p[2].b == 3);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.pairs == 3 && s.documents == 4);
	store_txn_abort(t);
}

/* ---- Delete ------------------------------------------------------------- */

static void
test_delete(void **state)
{
	struct fx *fx = *state;
	const uint64_t ka[] = {10, 11, 12}, kb[] = {11, 12, 13};
	uint64_t a, b, c, ids[8], got;
	struct store_doc d;
	struct store_pair p;
	struct store_stats s;
	struct store_txn *t;
	struct pairs v;
	const void *ptr;
	size_t len;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	a = put_doc(t, "a", ka, 3);
	b = put_doc(t, "b", kb, 3);
	c = put_doc(t, "c", kb, 3);
	p = mkpair(a, b, 0.5f);
	assert_int_equal(store_pair_put(t, &p), 0);
	p = mkpair(b, c, 0.6f);
	assert_int_equal(store_pair_put(t, &p), 0);
	p = mkpair(a, c, 0.7f);
	assert_int_equal(store_pair_put(t, &p), 0);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 1);
	assert_true(df(t, 11) == 3 && df(t, 13) == 2);
	assert_int_equal(store_doc_delete(t, b), 0);
	assert_true(df(t, 10) == 1 && df(t, 11) == 2 && df(t, 12) == 2 &&
	            df(t, 13) == 1);
	assert_int_equal(docs_of(t, 11, ids, 8), 2);
	assert_true(ids[0] == a && ids[1] == c);
	assert_int_equal(store_doc_get(t, b, &d), STORE_ENOTFOUND);
	assert_int_equal(store_doc_by_path(t, "b", &got), STORE_ENOTFOUND);
	assert_int_equal(store_doc_text(t, b, &ptr, &len), STORE_ENOTFOUND);
	assert_int_equal(store_doc_feat(t, b, &ptr, &len), STORE_ENOTFOUND);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, b, collect_pair, &v), 0);
	assert_int_equal(v.n, 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, a, collect_pair, &v), 0);
	assert_true(v.n == 1 && v.p[0].a == a && v.p[0].b == c);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, c, collect_pair, &v), 0);
	assert_true(v.n == 1 && v.p[0].a == a && v.p[0].b == c);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pair_each(t, collect_pair, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 2 && s.pairs == 1);
	assert_int_equal(store_doc_delete(t, b), STORE_ENOTFOUND);
	assert_int_equal(store_doc_delete(t, 999), STORE_ENOTFOUND);
	/* The path is free again. */
	got = put_doc(t, "b", NULL, 0);
	assert_true(got == 4);
	assert_int_equal(store_txn_commit(t), 0);

	/* Delete everything: all counters and postings back to zero. */
	t = begin(fx, 1);
	assert_int_equal(store_doc_delete(t, a), 0);
	assert_int_equal(store_doc_delete(t, c), 0);
	assert_int_equal(store_doc_delete(t, 4), 0);
	for (uint64_t k = 10; k <= 13; k++)
		assert_true(df(t, k) == 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 0 && s.pairs == 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pair_each(t, collect_pair, &v), 0);
	assert_int_equal(v.n, 0);
	assert_int_equal(store_txn_commit(t), 0);
}

/* ---- Rejects ------------------------------------------------------------ */

struct rejects {
	size_t n;
	char path[8][1200];
	char reason[8][32];
	int64_t at[8];
};

static int
collect_reject(const struct store_reject *r, void *arg)
{
	struct rejects *v = arg;

	assert_true(v->n < 8);
	snprintf(v->path[v->n], sizeof(v->path[0]), "%s", r->path);
	snprintf(v->reason[v->n], sizeof(v->reason[0]), "%s", r->reason);
	v->at[v->n++] = r->at;
	return 0;
}

static int
collect_gone(const struct store_gone *g, void *arg)
{
	char *buf = arg;

	strcat(buf, g->path);
	strcat(buf, " ");
	return 0;
}

/* Expired documents' files: by path, with size and mtime; walked from a
 * path's key; not counted as rejections. */
static void
test_gone(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct store_gone g;
	struct store_stats st;
	char all[2048] = "", from_b[2048] = "", longp[600];

	memset(longp, 'g', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_gone_put(t, "a.txt", 10, 1000, 5), 0);
	assert_int_equal(store_gone_put(t, "b.txt", 20, 2000, 6), 0);
	assert_int_equal(store_gone_put(t, "b.txt", 21, 2001, 7), 0);
	assert_int_equal(store_gone_put(t, longp, 30, 3000, 8), 0);
	assert_int_equal(store_gone_put(t, "", 1, 1, 1), -EINVAL);
	assert_int_equal(store_txn_commit(t), 0);

	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_gone_get(t, "b.txt", &g), 0);
	assert_string_equal(g.path, "b.txt");
	assert_true(g.size == 21 && g.mtime == 2001 && g.at == 7);
	assert_int_equal(store_gone_get(t, longp, &g), 0);
	assert_true(g.size == 30 && g.mtime == 3000);
	assert_int_equal(store_gone_get(t, "c.txt", &g), STORE_ENOTFOUND);
	assert_int_equal(store_stats(t, &st), 0);
	assert_true(st.rejected == 0);
	assert_int_equal(store_gone_each(t, NULL, collect_gone, all), 0);
	assert_non_null(strstr(all, "a.txt "));
	assert_non_null(strstr(all, "b.txt "));
	assert_int_equal(store_gone_each(t, "b.txt", collect_gone, from_b), 0);
	assert_true(strncmp(from_b, "b.txt ", 6) == 0);
	store_txn_abort(t);

	t = begin(fx, 1);
	assert_int_equal(store_gone_del(t, "b.txt"), 0);
	assert_int_equal(store_gone_del(t, "b.txt"), 0); /* absent: 0 */
	assert_int_equal(store_gone_get(t, "b.txt", &g), STORE_ENOTFOUND);
	assert_int_equal(store_txn_commit(t), 0);
}

/* The caller's counters: added to, set (any 64-bit value), kept apart
 * from the store's own. */
static void
test_counters(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct store_stats st;
	uint64_t v = 1;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_counter_get(t, "documents", &v), 0);
	assert_true(v == 0); /* not the store's own "documents" */
	assert_int_equal(store_counter_add(t, "documents", 5), 0);
	assert_int_equal(store_counter_add(t, "documents", 2), 0);
	assert_int_equal(store_counter_set(t, "hash", UINT64_MAX - 1), 0);
	assert_int_equal(store_counter_add(t, "", 1), -EINVAL);
	assert_int_equal(store_counter_add(t, "x", UINT64_MAX), -EINVAL);
	assert_int_equal(store_txn_commit(t), 0);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_counter_get(t, "documents", &v), 0);
	assert_true(v == 7);
	assert_int_equal(store_counter_get(t, "hash", &v), 0);
	assert_true(v == UINT64_MAX - 1);
	assert_int_equal(store_counter_set(t, "hash", 1), -EINVAL); /* read */
	assert_int_equal(store_stats(t, &st), 0);
	assert_true(st.documents == 0);
	store_txn_abort(t);
}

static void
test_rejects(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t;
	struct store_stats s;
	struct rejects *v = calloc(1, sizeof(*v));
	char longp[1100];

	assert_non_null(v);
	memset(longp, 'z', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_reject_put(t, "b.bin", "binary", 10), 0);
	assert_int_equal(store_reject_put(t, "a.txt", "too large", 20), 0);
	assert_int_equal(store_reject_put(t, "a.txt", "empty", 30), 0);
	{
		struct store_reject got;
		assert_int_equal(store_reject_get(t, "a.txt", &got), 0);
		assert_string_equal(got.reason, "empty");
		assert_true(got.at == 30);
		assert_int_equal(
		    store_reject_get(t, "nope", &got), STORE_ENOTFOUND);
	}
	assert_int_equal(store_reject_put(t, longp, "", 40), 0);
	assert_int_equal(store_reject_put(t, "c", NULL, 1), -EINVAL);
	assert_int_equal(store_reject_put(t, "", "x", 1), -EINVAL);
	assert_int_equal(store_txn_commit(t), 0);

	t = begin(fx, 0);
	assert_int_equal(store_reject_each(t, collect_reject, v), 0);
	assert_int_equal(v->n, 3);
	assert_string_equal(v->path[0], "a.txt");
	assert_string_equal(v->reason[0], "empty");
	assert_true(v->at[0] == 30);
	assert_string_equal(v->path[1], "b.bin");
	assert_string_equal(v->path[2], longp);
	assert_string_equal(v->reason[2], "");
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.rejected == 3);
	store_txn_abort(t);

	t = begin(fx, 1);
	assert_int_equal(store_reject_del(t, "a.txt"), 0);
	assert_int_equal(store_reject_del(t, "a.txt"), 0); /* absent: 0 */
	assert_int_equal(store_reject_del(t, longp), 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.rejected == 1);
	memset(v, 0, sizeof(*v));
	assert_int_equal(store_reject_each(t, collect_reject, v), 0);
	assert_int_equal(v->n, 1);
	assert_string_equal(v->path[0], "b.bin");
	assert_int_equal(store_txn_commit(t), 0);
	free(v);
}

/* ---- Stats, reopen, read-only ------------------------------------------- */

static void
test_stats_reopen(void **state)
{
	struct fx *fx = *state;
	const uint64_t keys[] = {1, 2, 3};
	struct store_pair p = mkpair(1, 2, 0.5f);
	struct store_txn *t;
	struct store_stats s;
	struct store_doc d;
	struct pairs v;
	const void *ptr;
	uint64_t got;
	size_t len;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 0 && s.pairs == 0 && s.rejected == 0);
	assert_true(s.map_size == UINT64_C(64) << 20);
	assert_true(s.map_used > 0 && s.map_used <= s.map_size);
	store_txn_abort(t);

	t = begin(fx, 1);
	put_doc(t, "x", keys, 3);
	put_doc(t, "y", keys + 1, 2);
	assert_int_equal(store_pair_put(t, &p), 0);
	assert_int_equal(store_reject_put(t, "z", "why", 5), 0);
	assert_int_equal(store_txn_commit(t), 0);
	/* An aborted txn leaves nothing behind. */
	t = begin(fx, 1);
	put_doc(t, "w", keys, 3);
	store_txn_abort(t);
	close_store(fx);

	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 2 && s.pairs == 1 && s.rejected == 1);
	assert_int_equal(store_doc_get(t, 1, &d), 0);
	assert_string_equal(d.path, "x");
	assert_int_equal(store_doc_text(t, 2, &ptr, &len), 0);
	assert_true(len == 1 && memcmp(ptr, "y", 1) == 0);
	assert_int_equal(store_doc_by_path(t, "w", &got), STORE_ENOTFOUND);
	assert_true(df(t, 2) == 2 && df(t, 1) == 1);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_pairs_of(t, 2, collect_pair, &v), 0);
	assert_int_equal(v.n, 1);
	store_txn_abort(t);
	close_store(fx);

	/* Read-only: reads work, writes are refused. */
	open_store(fx, STORE_RDONLY, 0, 0);
	assert_int_equal(store_txn_begin(fx->st, 1, &t), -EROFS);
	assert_null(t);
	t = begin(fx, 0);
	assert_int_equal(store_doc_by_path(t, "x", &got), 0);
	assert_true(got == 1);
	assert_int_equal(store_reject_put(t, "q", "r", 1), -EINVAL);
	store_txn_abort(t);
}

static void
test_rdonly_empty(void **state)
{
	struct fx *fx = *state;
	struct store_options o = {.flags = STORE_RDONLY};
	struct store *st = (struct store *)1;

	assert_int_equal(store_open(fx->dir, &o, &st), -ENOENT);
	assert_null(st);
	assert_int_equal(store_open("/nonexistent/dir", NULL, &st), -ENOENT);
	assert_null(st);
}

/* ---- Raw LMDB surgery (store closed) ------------------------------------ */

static void
raw_put(const char *dir, const char *db, unsigned dbflags, const void *k,
    size_t klen, const void *d, size_t dlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {klen, (void *)(uintptr_t)k},
	        data = {dlen, (void *)(uintptr_t)d};

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, dbflags | MDB_CREATE, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &data, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
test_version_mismatch(void **state)
{
	struct fx *fx = *state;
	unsigned char v[8];
	struct store *st = NULL;
	struct store_options o = {.flags = STORE_NOSYNC};
	struct store_txn *t;

	open_store(fx, 0, 0, 0);
	assert_int_equal(store_found_version(fx->st), STORE_SCHEMA_VERSION);
	close_store(fx);

	rec_put_u64(v, STORE_SCHEMA_VERSION + 1);
	raw_put(fx->dir, "meta", 0, "version", 7, v, 8);
	assert_int_equal(store_open(fx->dir, &o, &st), STORE_EVERSION);
	assert_non_null(st);
	assert_int_equal(store_found_version(st), STORE_SCHEMA_VERSION + 1);
	assert_int_equal(store_txn_begin(st, 0, &t), -EINVAL);
	store_close(st);
	st = NULL;
	o.flags |= STORE_RDONLY;
	assert_int_equal(store_open(fx->dir, &o, &st), STORE_EVERSION);
	store_close(st);
	st = NULL;
	assert_non_null(strstr(store_strerror(STORE_EVERSION), "version"));

	/* A version record of the wrong size is corruption. */
	raw_put(fx->dir, "meta", 0, "version", 7, v, 4);
	o.flags = STORE_NOSYNC;
	assert_int_equal(store_open(fx->dir, &o, &st), STORE_ECORRUPT);
	assert_null(st);
	assert_int_equal(store_found_version(NULL), 0);
}

static void
test_corrupt_records(void **state)
{
	struct fx *fx = *state;
	const uint64_t keys[] = {1, 2};
	unsigned char k[8], d[64];
	struct store_txn *t;
	struct store_doc doc;
	struct store_stats s;
	struct pairs v;
	struct rejects *rj = calloc(1, sizeof(*rj));
	uint64_t ids[4], got;
	size_t n;

	assert_non_null(rj);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	put_doc(t, "good", keys, 2);
	put_doc(t, "victim", keys, 2);
	put_doc(t, "keys", keys, 2);
	assert_int_equal(store_txn_commit(t), 0);
	close_store(fx);

	/* Doc 2: truncated record. Paths "bad": value of 3 bytes. Pairs of
	 * id 9: a 10-byte dup. Counter "pairs": 2 bytes. */
	memset(d, 0xab, sizeof(d));
	raw_put(fx->dir, "docs", 0, (rec_put_u64(k, 2), k), 8, d, 30);
	raw_put(fx->dir, "paths", 0, "bad", 3, d, 3);
	raw_put(fx->dir, "pairs", MDB_DUPSORT | MDB_DUPFIXED,
	    (rec_put_u64(k, 9), k), 8, d, 10);
	raw_put(fx->dir, "rejects", 0, "r", 1, d, 20);

	open_store(fx, 0, 0, 0);
	t = begin(fx, 1);
	assert_int_equal(store_doc_get(t, 1, &doc), 0);
	assert_int_equal(store_doc_get(t, 2, &doc), STORE_ECORRUPT);
	assert_int_equal(store_doc_each(t, 0, collect_ids, (uint64_t[8]){0}),
	    STORE_ECORRUPT);
	assert_int_equal(store_doc_by_path(t, "bad", &got), STORE_ECORRUPT);
	assert_int_equal(store_doc_delete(t, 2), STORE_ECORRUPT);
	memset(&v, 0, sizeof(v));
	assert_int_equal(
	    store_pairs_of(t, 9, collect_pair, &v), STORE_ECORRUPT);
	assert_int_equal(store_pair_each(t, collect_pair, &v), STORE_ECORRUPT);
	/* A damaged rejection is passed over by a walk (a cleanup, a
	 * report must not stop at it), and said by a lookup. */
	assert_int_equal(store_reject_each(t, collect_reject, rj), 0);
	struct store_reject bad;
	assert_int_equal(store_reject_get(t, "r", &bad), STORE_ECORRUPT);
	free(rj);
	/* Refusals before any write leave the txn usable. */
	put_doc(t, "after", NULL, 0);
	assert_int_equal(store_doc_delete(t, 1), 0);
	assert_int_equal(store_txn_commit(t), 0);
	close_store(fx);

	raw_put(fx->dir, "meta", 0, "pairs", 5, d, 2);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), STORE_ECORRUPT);
	store_txn_abort(t);
	close_store(fx);

	/* An index log record that is not a list of 4-byte keys, then one
	 * whose keys are not ascending: lookups fail, nothing crashes. */
	raw_put(fx->dir, "ixlog", 0, (rec_put_u64(k, 77), k), 8, d, 7);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_key_docs(t, K(1), ids, 4, &n), STORE_ECORRUPT);
	store_txn_abort(t);
	close_store(fx);
	raw_put(fx->dir, "ixlog", 0, (rec_put_u64(k, 77), k), 8, d, 8);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_key_docs(t, K(1), ids, 4, &n), STORE_ECORRUPT);
	store_txn_abort(t);
}

/* Rewrite every chunk of every run with damage(value, len) (in place). */
static int
damage_runs(const char *dir, void (*damage)(unsigned char *, size_t))
{
	static const char *runs[] = {
	    "ix1a", "ix1b", "ix2a", "ix2b", "ix3a", "ix3b"};
	MDB_env *env;
	MDB_txn *txn;
	int n = 0;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (size_t i = 0; i < sizeof(runs) / sizeof(*runs); i++) {
		MDB_dbi dbi;
		MDB_cursor *c;
		MDB_val k, v;
		if (mdb_dbi_open(txn, runs[i], 0, &dbi) != 0)
			continue;
		assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
		for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			unsigned char *copy = malloc(v.mv_size);
			assert_non_null(copy);
			memcpy(copy, v.mv_data, v.mv_size);
			damage(copy, v.mv_size);
			MDB_val nv = {v.mv_size, copy};
			assert_int_equal(
			    mdb_cursor_put(c, &k, &nv, MDB_CURRENT), 0);
			free(copy);
			n++;
		}
		mdb_cursor_close(c);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	return n;
}

static void
bad_shift(unsigned char *p, size_t len)
{
	(void)len;
	p[0] = 32;
}

/* Every bucket's end offset past the data. */
static void
bad_offsets(unsigned char *p, size_t len)
{
	uint32_t nb = rec_get_u32(p + 8);
	for (uint32_t i = 1; i < nb; i++)
		rec_put_u32(p + 12 + 4 * i, (uint32_t)len);
}

/* Each entry's first byte flagged "many ids": what follows is not. */
static void
bad_entries(unsigned char *p, size_t len)
{
	uint32_t nb = rec_get_u32(p + 8);
	size_t data = 12 + 4 * ((size_t)nb + 1);
	for (uint32_t i = 0; i < nb; i++) {
		size_t at = data + rec_get_u32(p + 12 + 4 * i);
		if (at < len)
			p[at] |= 1;
	}
}

/* A damaged run (its chunks' headers, bucket offsets, entries): a lookup
 * that reads it fails with STORE_ECORRUPT, nothing crashes, and the
 * documents themselves still read. */
static void
test_corrupt_runs(void **state)
{
	struct fx *fx = *state;
	void (*damage[])(unsigned char *, size_t) = {
	    bad_shift, bad_offsets, bad_entries};
	struct store_options o = {.flags = STORE_NOSYNC, .index_mem = 1024};

	for (size_t d = 0; d < sizeof(damage) / sizeof(*damage); d++) {
		uint64_t keys[40], ids[8], id = 0;
		size_t n, corrupt = 0;
		struct store_txn *t;
		char p[4200];

		snprintf(p, sizeof(p), "%s/data.mdb", fx->dir);
		unlink(p); /* a new store for each damage */
		assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
		assert_int_equal(store_txn_begin(fx->st, 1, &t), 0);
		for (int doc = 0; doc < 100; doc++) {
			struct store_doc sd = {.ntokens = 1};
			char path[32];
			snprintf(path, sizeof(path), "r/%d", doc);
			sd.path = path;
			for (int j = 0; j < 40; j++)
				keys[j] =
				    K((uint64_t)doc * 40 + (uint64_t)j + 1);
			assert_int_equal(store_doc_put(t, &sd, "x", 1, NULL, 0,
			                     keys, 40, &id),
			    0);
		}
		assert_int_equal(store_txn_commit(t), 0);
		assert_int_equal(store_index_merge(fx->st, 0, NULL), 0);
		store_close(fx->st);
		fx->st = NULL;
		assert_true(damage_runs(fx->dir, damage[d]) > 0);
		assert_int_equal(store_open(fx->dir, &o, &fx->st), 0);
		assert_int_equal(store_txn_begin(fx->st, 0, &t), 0);
		for (uint64_t k = 1; k <= 4000; k++) {
			int rc = store_key_docs(t, K(k), ids, 8, &n);
			assert_true(rc == 0 || rc == STORE_ECORRUPT);
			corrupt += rc == STORE_ECORRUPT;
		}
		assert_true(corrupt > 0);
		struct store_doc got;
		assert_int_equal(store_doc_get(t, id, &got), 0);
		store_txn_abort(t);
		store_close(fx->st);
		fx->st = NULL;
	}
}

/* Texts are stored compressed: long and short ones come back byte for
 * byte, within and across transactions; a damaged frame is corrupt. */
static void
test_text_compression(void **state)
{
	struct fx *fx = *state;
	struct store_doc d = {.path = "long", .first_seen = 1};
	struct store_stats s;
	char *text = malloc(200000);
	const void *p, *q;
	size_t n, m;
	uint64_t id1, id2;

	assert_non_null(text);
	for (size_t i = 0; i < 200000; i++) /* compressible, not trivial */
		text[i] = "the harbour strike ended on thursday "[i % 37] +
		          (i % 1009 == 0);
	open_store(fx, 0, 0, 0);
	struct store_txn *t = begin(fx, 1);
	assert_int_equal(
	    store_doc_put(t, &d, text, 200000, "F", 1, NULL, 0, &id1), 0);
	d.path = "short";
	assert_int_equal(
	    store_doc_put(t, &d, "tiny", 4, "F", 1, NULL, 0, &id2), 0);
	/* Read back inside the writing transaction, twice. */
	assert_int_equal(store_doc_text(t, id1, &p, &n), 0);
	assert_int_equal(store_doc_text(t, id1, &q, &m), 0);
	assert_int_equal(n, 200000);
	assert_memory_equal(p, text, n);
	assert_memory_equal(q, text, m);
	assert_int_equal(store_txn_commit(t), 0);
	t = begin(fx, 0);
	assert_int_equal(store_doc_text(t, id1, &p, &n), 0);
	assert_int_equal(n, 200000);
	assert_memory_equal(p, text, n);
	assert_int_equal(store_doc_text(t, id2, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "tiny", 4);
	/* The map holds far less than the text. */
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.map_used < 200000);
	store_txn_abort(t);
	close_store(fx);

	/* A damaged frame and an unknown tag are corrupt, not a crash. */
	unsigned char k[8], bad[64];
	memset(bad, 0x5a, sizeof(bad));
	bad[0] = 1; /* zstd tag, garbage frame */
	raw_put(fx->dir, "text", 0, (rec_put_u64(k, id1), k), 8, bad, 64);
	bad[0] = 7;
	raw_put(fx->dir, "text", 0, (rec_put_u64(k, id2), k), 8, bad, 64);
	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(store_doc_text(t, id1, &p, &n), STORE_ECORRUPT);
	assert_int_equal(store_doc_text(t, id2, &p, &n), STORE_ECORRUPT);
	store_txn_abort(t);
	free(text);
}

/* ---- Transactions and map growth ---------------------------------------- */

static void
test_txn_misuse(void **state)
{
	struct fx *fx = *state;
	struct store_txn *t, *t2, *r;
	struct store_doc d = {.path = "p"};
	uint64_t id;

	open_store(fx, 0, 0, 0);
	t = begin(fx, 0);
	assert_int_equal(
	    store_doc_put(t, &d, NULL, 0, NULL, 0, NULL, 0, &id), -EINVAL);
	assert_int_equal(store_doc_delete(t, 1), -EINVAL);
	store_txn_abort(t);
	t = begin(fx, 1);
	assert_int_equal(store_txn_begin(fx->st, 1, &t2), -EBUSY);
	r = begin(fx, 0); /* a reader alongside the writer is fine */
	store_txn_abort(r);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(store_txn_begin(NULL, 0, &t), -EINVAL);
	assert_int_equal(store_txn_commit(NULL), -EINVAL);
	store_txn_abort(NULL);
	store_close(NULL);
}

static void
test_strerror(void **state)
{
	const int codes[] = {0, STORE_EVERSION, STORE_ENOTFOUND, STORE_EMAPFULL,
	    STORE_ECORRUPT, STORE_ERETRY, -ENOENT, -ENOSPC, MDB_PANIC,
	    MDB_BAD_TXN, -99999};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *m = store_strerror(codes[i]);

		assert_non_null(m);
		assert_true(strlen(m) > 0);
		for (size_t j = 0; j < i && i < 6; j++) /* store's own */
			assert_string_not_equal(m, store_strerror(codes[j]));
	}
	assert_string_equal(store_strerror(MDB_PANIC), mdb_strerror(MDB_PANIC));
	assert_string_equal(store_strerror(-ENOENT), strerror(ENOENT));
}

#define GROW_TEXT 3000

/* Put docs [from, to) in one txn; returns 0 or the failing code. */
static int
put_range(struct store *st, int from, int to, const char *text)
{
	struct store_txn *t;
	int rc;

	assert_int_equal(store_txn_begin(st, 1, &t), 0);
	for (int i = from; i < to; i++) {
		uint64_t keys[64], id;
		struct store_doc d = {.ntokens = (uint32_t)i};
		char path[32];

		snprintf(path, sizeof(path), "g/%06d", i);
		d.path = path;
		for (int j = 0; j < 64; j++)
			keys[j] = K((uint64_t)i * 1000 + (uint64_t)j % 50);
		rc = store_doc_put(
		    t, &d, text, GROW_TEXT, path, strlen(path), keys, 64, &id);
		if (rc != 0) {
			/* Failed txn: every later call says the same. */
			assert_int_equal(store_doc_put(t, &d, text, 1, NULL, 0,
			                     NULL, 0, &id),
			    rc);
			assert_int_equal(store_txn_commit(t), rc);
			return rc;
		}
	}
	return store_txn_commit(t);
}

static void
test_map_growth(void **state)
{
	struct fx *fx = *state;
	char *text = malloc(GROW_TEXT);
	struct store_txn *t;
	struct store_stats s;
	int total = 0, retries = 0, rc;
	uint64_t before, id;

	assert_non_null(text);
	memset(text, 'x', GROW_TEXT);
	open_store(fx, 0, 256 << 10, 64 << 20);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	store_txn_abort(t);
	before = s.map_size;
	assert_true(before == 256 << 10);

	while (total < 3000) {
		rc = put_range(fx->st, total, total + 50, text);
		if (rc == STORE_ERETRY) {
			retries++;
			continue; /* redo the same batch */
		}
		assert_int_equal(rc, 0);
		total += 50;
	}
	assert_true(retries > 0);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 3000);
	assert_true(s.map_size > before && s.map_size <= 64 << 20);
	print_message("map grew %" PRIu64 " -> %" PRIu64 " KiB in %d retries, "
	              "%" PRIu64 " KiB used\n",
	    before >> 10, s.map_size >> 10, retries, s.map_used >> 10);
	for (int i = 0; i < 3000; i += 7) {
		char path[32];
		const void *p;
		size_t len;

		snprintf(path, sizeof(path), "g/%06d", i);
		assert_int_equal(store_doc_by_path(t, path, &id), 0);
		assert_true(id == (uint64_t)i + 1);
		assert_int_equal(store_doc_text(t, id, &p, &len), 0);
		assert_int_equal(len, GROW_TEXT);
		assert_true(df(t, (uint64_t)i * 1000 + 3) == 1);
	}
	store_txn_abort(t);
	close_store(fx);

	/* The grown size survives a reopen at a smaller start size. */
	open_store(fx, 0, 256 << 10, 64 << 20);
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 3000 && s.map_size >= s.map_used);
	store_txn_abort(t);
	free(text);
}

static void
test_map_full(void **state)
{
	struct fx *fx = *state;
	char *text = malloc(GROW_TEXT);
	struct store_txn *t;
	struct store_stats s;
	int total = 0, rc;

	assert_non_null(text);
	memset(text, 'y', GROW_TEXT);
	open_store(fx, 0, 256 << 10, 256 << 10);
	for (;;) {
		rc = put_range(fx->st, total, total + 5, text);
		if (rc != 0)
			break;
		total += 5;
		assert_true(total < 10000);
	}
	assert_int_equal(rc, STORE_EMAPFULL);
	assert_true(total > 0);
	print_message("map full after %d documents\n", total);
	/* Still usable: earlier commits intact, small writes may fit. */
	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == (uint64_t)total);
	assert_true(s.map_size == 256 << 10);
	store_txn_abort(t);
	assert_int_equal(
	    put_range(fx->st, total, total + 5, text), STORE_EMAPFULL);
	free(text);
}

/* Another process grows the map under an open handle: the next begin
 * sees MDB_MAP_RESIZED, adopts the new size and goes on. */
static void
test_map_resized_elsewhere(void **state)
{
	struct fx *fx = *state;
	char *text = malloc(GROW_TEXT);
	struct store_txn *t;
	struct store_stats s;
	int status;
	pid_t pid;

	assert_non_null(text);
	memset(text, 'z', GROW_TEXT);
	open_store(fx, 0, 256 << 10, 64 << 20);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: its own handle (never the parent's env). */
		struct store_options o = {.flags = STORE_NOSYNC,
		    .map_size = 256 << 10,
		    .map_size_max = 64 << 20};
		struct store *st;
		int total = 0, rc;

		if (store_open(fx->dir, &o, &st) != 0)
			_exit(2);
		while (total < 500) {
			rc = put_range(st, total, total + 50, text);
			if (rc == STORE_ERETRY)
				continue;
			if (rc != 0)
				_exit(3);
			total += 50;
		}
		store_close(st);
		_exit(0);
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	t = begin(fx, 0);
	assert_int_equal(store_stats(t, &s), 0);
	assert_true(s.documents == 500);
	assert_true(s.map_size > 256 << 10);
	assert_true(df(t, 499 * 1000 + 3) == 1);
	store_txn_abort(t);
	assert_int_equal(put_range(fx->st, 500, 510, text), 0);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_doc_roundtrip),
	    T(test_doc_prefix),
	    T(test_id_never_reused),
	    T(test_doc_move),
	    T(test_doc_nkeys),
	    T(test_exact_docs),
	    T(test_exact_docs_many),
	    T(test_keys),
	    T(test_index_lsm),
	    T(test_index_big_tables),
	    T(test_index_merge_slices),
	    T(test_index_filter_other_writer),
	    T(test_pairs),
	    T(test_delete),
	    T(test_gone),
	    T(test_counters),
	    T(test_rejects),
	    T(test_stats_reopen),
	    T(test_rdonly_empty),
	    T(test_version_mismatch),
	    T(test_corrupt_records),
	    T(test_corrupt_runs),
	    T(test_text_compression),
	    T(test_txn_misuse),
	    T(test_strerror),
	    T(test_map_growth),
	    T(test_map_full),
	    T(test_map_resized_elsewhere),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
