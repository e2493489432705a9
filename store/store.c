/*
 * store.c - reprintd's persistent state over LMDB; contract in store.h,
 * record layouts in record.h.
 *
 * One environment, named databases (DBIs):
 *
 *   meta     name (ASCII) → u64        "version", "next_id", "documents",
 *                                       "pairs", "rejected"
 *   docs     id → doc record           (fixed fields + path)
 *   paths    path key → id
 *   text     id → raw bytes
 *   feat     id → feature blob (opaque, match/'s)
 *   ixlog, ixdead, ix1a ... ix3b        the fingerprint index (index.c)
 *   pairs    id → pair record          DUPSORT|DUPFIXED, once under each end
 *   rejects  path key → reject record
 *   nkeys    id / NK_SPAN → a byte per id: its number of index keys
 *   gone     path key → an expired document's file (a reject record
 *                                       whose text is "SIZE MTIME")
 *
 * Integer keys and dups are 8-byte big-endian under LMDB's default memcmp
 * order (not MDB_INTEGERKEY): byte order is numeric order, no alignment
 * assumptions, and the same encoding everywhere. Ids in a key's dup set
 * therefore come out ascending.
 *
 * Path keys: a path shorter than PATHKEY_MAX bytes is its own key; a longer
 * one is its first PATHKEY_PREFIX bytes followed by its XXH3-128 (LMDB keys
 * are limited to 511 bytes). The two forms cannot collide (different
 * lengths); lookups of long paths check the full path in the record.
 *
 * Map growth (after Knot Resolver's cdb_lmdb.c): a write that fails with
 * MDB_MAP_FULL marks the transaction failed with STORE_ERETRY (or
 * STORE_EMAPFULL at map_size_max); LMDB can only remap with no transaction
 * active in the process, so the map is doubled when the last transaction of
 * this handle ends (or at the next begin), and the caller redoes its work.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>
#include <zstd.h>
#include <xxhash.h>

#include "index.h"
#include "record.h"
#include "store.h"

#define DEFAULT_MAP_SIZE (UINT64_C(64) << 20)
#define DEFAULT_MAP_MAX (UINT64_C(64) << 30)
#define PATHKEY_MAX 480
#define PATHKEY_PREFIX (PATHKEY_MAX - 16)
#define BEGIN_TRIES 4

struct store {
	MDB_env *env; /* NULL in the handle returned with STORE_EVERSION */
	MDB_dbi meta, docs, paths, text, feat, pairs, rejects;
	MDB_dbi nkeys; /* see "Key counts" */
	int has_nkeys; /* absent in a store a read-only open found without */
	MDB_dbi gone;  /* expired documents' files (store_gone_put) */
	int has_gone;  /* as has_nkeys */
	struct ix_dbis ixd;
	struct ix *ix; /* the index's memtable (index.h) */
	uint32_t flags;
	uint64_t map_max;
	int found_version;
	unsigned ntxn;    /* live transactions of this handle */
	int writer;       /* a write transaction is live */
	int grow_pending; /* MDB_MAP_FULL seen: grow when ntxn reaches 0 */
	/* Compressing texts, in the one write txn: a context made once (a
	 * new one per text cost more than compressing 5 KB) and its output
	 * buffer. */
	ZSTD_CCtx *zc;
	unsigned char *zbuf;
	size_t zcap;
};

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	int write;
	int err;     /* sticky: a write failed, only abort/commit remain */
	void **bufs; /* decompressed texts, freed when the txn ends */
	size_t nbufs;
	struct ix_txn ixt;
};

/* The one place where LMDB's codes become ours: positive errno values are
 * negated, a few MDB codes get store or errno equivalents, the rest (all
 * within MDB_KEYEXIST..MDB_LAST_ERRCODE, negative) pass through for
 * store_strerror() to hand to mdb_strerror(). */
static int
lmdb_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return STORE_ENOTFOUND;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
		return STORE_EMAPFULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return STORE_ECORRUPT;
	default:
		return rc > 0 ? -rc : rc;
	}
}

const char *
store_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case STORE_EVERSION:
		return "store has another schema version";
	case STORE_ENOTFOUND:
		return "no such document or key in the store";
	case STORE_EMAPFULL:
		return "store map is full (map_size_max reached)";
	case STORE_ECORRUPT:
		return "store record is corrupt";
	case STORE_ERETRY:
		return "store map was grown: abort and redo the transaction";
	}
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0)
		return strerror(-err);
	return strerror(err);
}

int
store_found_version(const struct store *st)
{
	return st != NULL ? st->found_version : 0;
}

/* ---- Helpers ------------------------------------------------------------ */

static MDB_val
val(const void *p, size_t n)
{
	MDB_val v = {.mv_size = n, .mv_data = (void *)(uintptr_t)p};

	return v;
}

static MDB_val
u64_val(unsigned char buf[8], uint64_t x)
{
	rec_put_u64(buf, x);
	return val(buf, 8);
}

static MDB_val
path_key(const char *path, size_t len, unsigned char buf[PATHKEY_MAX])
{
	XXH128_hash_t h;

	if (len < PATHKEY_MAX)
		return val(path, len);
	memcpy(buf, path, PATHKEY_PREFIX);
	h = XXH3_128bits(path, len);
	rec_put_u64(buf + PATHKEY_PREFIX, h.high64);
	rec_put_u64(buf + PATHKEY_PREFIX + 8, h.low64);
	return val(buf, PATHKEY_MAX);
}

static int
path_check(const char *path, size_t *len)
{
	if (path == NULL)
		return -EINVAL;
	*len = strlen(path);
	if (*len == 0)
		return -EINVAL;
	if (*len > UINT32_MAX - 64)
		return -ENAMETOOLONG;
	return 0;
}

static uint64_t
map_size_now(struct store *st)
{
	MDB_envinfo info;

	if (mdb_env_info(st->env, &info) != 0)
		return 0;
	return info.me_mapsize;
}

/* Grow the map: double it, up to map_max. No transaction may be live. */
static int
store_grow(struct store *st)
{
	uint64_t cur = map_size_now(st), next;
	int rc;

	if (cur >= st->map_max)
		return STORE_EMAPFULL;
	next = cur > st->map_max / 2 ? st->map_max : cur * 2;
	rc = mdb_env_set_mapsize(st->env, (size_t)next);
	return lmdb_error(rc);
}

/* A write operation failed with LMDB code rc: the txn is unusable now.
 * Returns the sticky error. */
static int
txn_fail(struct store_txn *t, int rc)
{
	if (rc == MDB_MAP_FULL) {
		if (map_size_now(t->st) < t->st->map_max) {
			t->st->grow_pending = 1;
			t->err = STORE_ERETRY;
		} else {
			t->err = STORE_EMAPFULL;
		}
	} else {
		t->err = lmdb_error(rc);
		if (t->err == 0)
			t->err = -EIO;
	}
	return t->err;
}

/* A write function failed after it began modifying: fail the txn. */
static int
txn_poison(struct store_txn *t, int rc)
{
	if (rc != 0 && t->err == 0)
		t->err = rc;
	return rc;
}

static int
txn_check(const struct store_txn *t, int write)
{
	if (t == NULL || t->txn == NULL)
		return -EINVAL;
	if (t->err != 0)
		return t->err;
	if (write && !t->write)
		return -EINVAL;
	return 0;
}

static void
txn_end(struct store_txn *t)
{
	struct store *st = t->st;

	st->ntxn--;
	if (t->write)
		st->writer = 0;
	/* A failed growth stays pending and is reported by the next begin. */
	if (st->ntxn == 0 && st->grow_pending && store_grow(st) == 0)
		st->grow_pending = 0;
	for (size_t i = 0; i < t->nbufs; i++)
		free(t->bufs[i]);
	free(t->bufs);
	free(t);
}

static int
put(struct store_txn *t, MDB_dbi dbi, MDB_val k, MDB_val v, unsigned flags)
{
	int rc = mdb_put(t->txn, dbi, &k, &v, flags);

	return rc == 0 ? 0 : txn_fail(t, rc);
}

/* Delete k (all its dups); absent is not an error. */
static int
del(struct store_txn *t, MDB_dbi dbi, MDB_val k)
{
	int rc = mdb_del(t->txn, dbi, &k, NULL);

	if (rc == 0 || rc == MDB_NOTFOUND)
		return 0;
	return txn_fail(t, rc);
}

static int
meta_get(struct store_txn *t, const char *name, uint64_t dflt, uint64_t *v)
{
	MDB_val k = val(name, strlen(name)), d;
	int rc = mdb_get(t->txn, t->st->meta, &k, &d);

	if (rc == MDB_NOTFOUND) {
		*v = dflt;
		return 0;
	}
	if (rc != 0)
		return lmdb_error(rc);
	return rec_u64_decode(d.mv_data, d.mv_size, v);
}

static int
meta_set(struct store_txn *t, const char *name, uint64_t v)
{
	unsigned char b[8];

	return put(t, t->st->meta, val(name, strlen(name)), u64_val(b, v), 0);
}

/* Counters never go below zero; a mismatch there means corruption. */
static int
meta_add(struct store_txn *t, const char *name, int64_t delta)
{
	uint64_t v;
	int rc = meta_get(t, name, 0, &v);

	if (rc != 0)
		return rc;
	if (delta < 0 && v < (uint64_t)-delta)
		return STORE_ECORRUPT;
	return meta_set(t, name, v + (uint64_t)delta);
}

/* ---- Open / close ------------------------------------------------------- */

/*
 * Key comparison for the tables: the order of LMDB's default (memcmp,
 * then the shorter first), so any program may open the store with or
 * without it, but 8-byte keys (big-endian ids and index blocks: most
 * lookups) cost two loads and a byte swap instead of a call to memcmp.
 * Index lookups descend a B-tree per run level, and LMDB's search with
 * memcmp was the largest item of a backfill's profile.
 */
static int
cmp_be64(const MDB_val *a, const MDB_val *b)
{
	if (a->mv_size == 8 && b->mv_size == 8) {
		uint64_t x, y;
		memcpy(&x, a->mv_data, 8);
		memcpy(&y, b->mv_data, 8);
		x = __builtin_bswap64(x);
		y = __builtin_bswap64(y);
		return (x > y) - (x < y);
	}
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	int c = n ? memcmp(a->mv_data, b->mv_data, n) : 0;
	if (c != 0)
		return c;
	return (a->mv_size > b->mv_size) - (a->mv_size < b->mv_size);
}

/* mdb_dbi_open with our comparison (the data and index tables). */
static int
dbi_open(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *dbi)
{
	int rc = mdb_dbi_open(txn, name, flags, dbi);

	return rc != 0 ? rc : mdb_set_compare(txn, *dbi, cmp_be64);
}

static int
open_dbis(struct store *st)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
	    {"docs", offsetof(struct store, docs), 0},
	    {"paths", offsetof(struct store, paths), 0},
	    {"text", offsetof(struct store, text), 0},
	    {"feat", offsetof(struct store, feat), 0},
	    {"pairs", offsetof(struct store, pairs),
	        MDB_DUPSORT | MDB_DUPFIXED},
	    {"rejects", offsetof(struct store, rejects), 0},
	};
	int rdonly = (st->flags & STORE_RDONLY) != 0;
	unsigned create = rdonly ? 0 : MDB_CREATE;
	struct store_txn t = {.st = st, .write = !rdonly};
	MDB_dbi probe;
	uint64_t version;
	int rc, found;

	rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &t.txn);
	if (rc != 0)
		return lmdb_error(rc);

	rc = mdb_dbi_open(t.txn, "meta", create, &st->meta);
	if (rc == MDB_NOTFOUND) {
		rc = -ENOENT; /* read-only and never initialized */
		goto fail;
	}
	if (rc != 0) {
		rc = lmdb_error(rc);
		goto fail;
	}
	if ((rc = meta_get(&t, "version", 0, &version)) != 0)
		goto fail;
	found = version != 0;
	st->found_version = version > INT_MAX ? INT_MAX : (int)version;
	if (found && version != STORE_SCHEMA_VERSION) {
		rc = STORE_EVERSION;
		goto fail;
	}
	if (!found) {
		if (rdonly) {
			rc = -ENOENT;
			goto fail;
		}
		/* Data without a version stamp is not ours to adopt. */
		rc = mdb_dbi_open(t.txn, "docs", 0, &probe);
		if (rc != MDB_NOTFOUND) {
			rc = rc == 0 ? STORE_ECORRUPT : lmdb_error(rc);
			goto fail;
		}
		if ((rc = meta_set(&t, "version", STORE_SCHEMA_VERSION)) != 0)
			goto fail;
		st->found_version = STORE_SCHEMA_VERSION;
	}

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)st + dbs[i].off);

		rc = dbi_open(t.txn, dbs[i].name, dbs[i].flags | create, dbi);
		if (rc != 0) {
			rc = rc == MDB_NOTFOUND ? STORE_ECORRUPT
			                        : lmdb_error(rc);
			goto fail;
		}
	}
	/* Added to schema 4 without a new version: older stores (and
	 * older binaries writing to a newer one) leave ids unrecorded, which
	 * readers treat as unknown. */
	rc = dbi_open(t.txn, "nkeys", create, &st->nkeys);
	if (rc != 0 && !(rc == MDB_NOTFOUND && rdonly)) {
		rc = lmdb_error(rc);
		goto fail;
	}
	st->has_nkeys = rc == 0;
	/* Added to schema 6 without a new version, as nkeys. */
	rc = dbi_open(t.txn, "gone", create, &st->gone);
	if (rc != 0 && !(rc == MDB_NOTFOUND && rdonly)) {
		rc = lmdb_error(rc);
		goto fail;
	}
	st->has_gone = rc == 0;
	st->ixd.meta = st->meta;
	for (size_t i = 0; i < IX_NDBI; i++) {
		rc = dbi_open(
		    t.txn, ix_dbi_name(i), create, ix_dbi_slot(&st->ixd, i));
		if (rc != 0) {
			rc = rc == MDB_NOTFOUND ? STORE_ECORRUPT
			                        : lmdb_error(rc);
			goto fail;
		}
	}
	rc = mdb_txn_commit(t.txn);
	return lmdb_error(rc);
fail:
	mdb_txn_abort(t.txn);
	return rc;
}

int
store_open(
    const char *dir, const struct store_options *opts, struct store **out)
{
	struct store_options o = {0};
	struct store *st;
	unsigned envflags = MDB_NOTLS;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t psz = pg > 0 ? (uint64_t)pg : 4096;
	int rc, dead;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (dir == NULL)
		return -EINVAL;
	if (opts != NULL)
		o = *opts;
	if (o.map_size == 0)
		o.map_size = DEFAULT_MAP_SIZE;
	if (o.map_size_max == 0)
		o.map_size_max = DEFAULT_MAP_MAX;
	if (o.map_size > SIZE_MAX / 2 || o.map_size_max > SIZE_MAX / 2)
		return -EINVAL;
	/* Page multiples; the limit is never below the start. */
	o.map_size = (o.map_size + psz - 1) / psz * psz;
	o.map_size_max = o.map_size_max / psz * psz;
	if (o.map_size_max < o.map_size)
		o.map_size_max = o.map_size;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	st->flags = o.flags;
	st->map_max = o.map_size_max;

	if ((rc = mdb_env_create(&st->env)) != 0) {
		free(st);
		return lmdb_error(rc);
	}
	if (mdb_env_get_maxkeysize(st->env) < PATHKEY_MAX) {
		rc = -ENOTSUP;
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(st->env, 24)) != 0)
		goto fail_mdb;
	if (o.flags & STORE_RDONLY)
		envflags |= MDB_RDONLY; /* map the size found on disk */
	else if ((rc = mdb_env_set_mapsize(st->env, (size_t)o.map_size)) != 0)
		goto fail_mdb;
	if (o.flags & STORE_NOSYNC)
		envflags |= MDB_NOSYNC;
	/* Group-writable: readers (reprintctl) need the lock file. */
	if ((rc = mdb_env_open(st->env, dir, envflags, 0660)) != 0)
		goto fail_mdb;
	if ((rc = mdb_reader_check(st->env, &dead)) != 0)
		goto fail_mdb;
	if ((rc = open_dbis(st)) != 0)
		goto fail;
	if ((rc = ix_new(&st->ixd,
	         o.index_mem ? o.index_mem : STORE_INDEX_MEM_DEFAULT,
	         &st->ix)) != 0) {
		rc = -rc;
		goto fail;
	}
	*out = st;
	return 0;
fail_mdb:
	rc = lmdb_error(rc);
fail:
	mdb_env_close(st->env);
	st->env = NULL;
	if (rc == STORE_EVERSION) {
		*out = st; /* for store_found_version(); see store.h */
		return rc;
	}
	free(st);
	return rc;
}

int
store_set_map_max(struct store *st, uint64_t max)
{
	uint64_t psz = (uint64_t)sysconf(_SC_PAGESIZE), cur;

	if (st == NULL || st->env == NULL || st->ntxn != 0 ||
	    max > SIZE_MAX / 2)
		return -EINVAL;
	if (max == 0)
		max = DEFAULT_MAP_MAX;
	max = max / psz * psz;
	cur = map_size_now(st);
	st->map_max = max < cur ? cur : max;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	ix_free(st->ix);
	ZSTD_freeCCtx(st->zc);
	free(st->zbuf);
	free(st);
}

/* ---- Transactions ------------------------------------------------------- */

int
store_txn_begin(struct store *st, int write, struct store_txn **out)
{
	struct store_txn *t;
	int rc, dead;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (st == NULL || st->env == NULL)
		return -EINVAL;
	if (write && (st->flags & STORE_RDONLY))
		return -EROFS;
	if (write && st->writer)
		return -EBUSY; /* would deadlock on LMDB's writer lock */
	if (st->ntxn == 0 && st->grow_pending) {
		if ((rc = store_grow(st)) != 0)
			return rc;
		st->grow_pending = 0;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->st = st;
	t->write = write != 0;
	for (int i = 0;; i++) {
		rc = mdb_txn_begin(
		    st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		if (rc == 0 || i + 1 >= BEGIN_TRIES)
			break;
		if (rc == MDB_MAP_RESIZED && st->ntxn == 0) {
			/* Another process grew the map: adopt its size. */
			if (mdb_env_set_mapsize(st->env, 0) != 0)
				break;
		} else if (rc == MDB_READERS_FULL) {
			if (mdb_reader_check(st->env, &dead) != 0 || dead == 0)
				break;
		} else {
			break;
		}
	}
	if (rc != 0) {
		free(t);
		return lmdb_error(rc);
	}
	st->ntxn++;
	if (t->write)
		st->writer = 1;
	t->ixt.txn = t->txn;
	*out = t;
	return 0;
}

int
store_txn_commit(struct store_txn *t)
{
	int rc;

	if (t == NULL)
		return -EINVAL;
	ix_txn_end(t->st->ix, &t->ixt);
	if (t->err != 0) {
		rc = t->err;
		mdb_txn_abort(t->txn);
	} else {
		rc = mdb_txn_commit(t->txn);
		if (rc == MDB_MAP_FULL)
			rc = txn_fail(t, rc);
		else
			rc = lmdb_error(rc);
	}
	txn_end(t);
	return rc;
}

void
store_txn_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	ix_txn_end(t->st->ix, &t->ixt);
	mdb_txn_abort(t->txn);
	txn_end(t);
}

/* ---- Documents ---------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sort and dedupe v in place; returns the new count. */
static size_t
sort_unique(uint64_t *v, size_t n)
{
	size_t j = 0;

	if (n == 0)
		return 0;
	/* The daemon's keys come sorted and unique (match_doc_keys): a
	 * merge sort of them was half a percent of a backfill. */
	for (j = 1; j < n && v[j - 1] < v[j]; j++)
		;
	if (j == n)
		return n;
	j = 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[j])
			v[++j] = v[i];
	return j + 1;
}

/* Insert k into sorted unique v[0..n) (room for one more) unless there;
 * returns the new count. */
static size_t
add_key(uint64_t *v, size_t n, uint64_t k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && v[lo] == k)
		return n;
	memmove(v + lo + 1, v + lo, (n - lo) * sizeof(*v));
	v[lo] = k;
	return n + 1;
}

/*
 * The index key under which a document is also found by its normalized
 * text (store_exact_docs): the text's hash, mixed so that it does not
 * follow a fingerprint's (the index keeps 32 bits of a key, so it may
 * meet one: callers compare hashes). A story with more copies than
 * boilerplate_df has every fingerprint common, and its copies would be
 * candidates of no lookup; this key finds its exact copies.
 */
static uint64_t
exact_key(uint64_t norm_hash)
{
	return (norm_hash ^ 0x6578616374746578ull) * 0x9e3779b97f4a7c15ull;
}

/*
 * Texts are the bulk of the store (5 KB of a news article against about
 * 4 KB of index), so they are kept compressed with zstd: a tag byte, then
 * the raw bytes (short texts) or a zstd frame. Level 1 compresses news
 * text about 2.5x at several hundred MB/s; reading one back costs a few
 * microseconds and a buffer that lives until the transaction ends.
 */
#define TEXT_RAW 0
#define TEXT_ZSTD 1
#define TEXT_ZSTD_MIN 128   /* shorter texts are not worth a frame */
#define TEXT_MAX (1u << 30) /* a frame claiming more is corrupt */

static int
text_put(struct store_txn *t, MDB_val idk, const void *text, size_t len)
{
	struct store *st = t->st;
	size_t cap = 1 + (len >= TEXT_ZSTD_MIN ? ZSTD_compressBound(len) : len);
	MDB_val d = val(NULL, 1 + len);

	if (cap > st->zcap) {
		unsigned char *b = realloc(st->zbuf, cap);
		if (b == NULL)
			return txn_fail(t, ENOMEM);
		st->zbuf = b;
		st->zcap = cap;
	}
	if (st->zc == NULL && len >= TEXT_ZSTD_MIN &&
	    (st->zc = ZSTD_createCCtx()) == NULL)
		return txn_fail(t, ENOMEM);
	st->zbuf[0] = TEXT_RAW;
	if (len >= TEXT_ZSTD_MIN) {
		size_t z = ZSTD_compressCCtx(
		    st->zc, st->zbuf + 1, cap - 1, text, len, 1);
		if (!ZSTD_isError(z) && z < len) {
			st->zbuf[0] = TEXT_ZSTD;
			d.mv_size = 1 + z;
		}
	}
	if (st->zbuf[0] == TEXT_RAW)
		memcpy(st->zbuf + 1, text, len);
	d.mv_data = st->zbuf;
	return put(t, st->text, idk, d, 0);
}

static int
text_inflate(struct store_txn *t, const unsigned char *z, size_t zlen,
    const void **text, size_t *len)
{
	unsigned long long n = ZSTD_getFrameContentSize(z, zlen);
	void **bufs;
	char *out;

	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
	    n > TEXT_MAX)
		return STORE_ECORRUPT;
	if ((out = malloc(n ? n : 1)) == NULL)
		return -ENOMEM;
	size_t got = ZSTD_decompress(out, n, z, zlen);
	if (ZSTD_isError(got) || got != n) {
		free(out);
		return STORE_ECORRUPT;
	}
	if ((bufs = realloc(t->bufs, (t->nbufs + 1) * sizeof(*bufs))) == NULL) {
		free(out);
		return -ENOMEM;
	}
	t->bufs = bufs;
	t->bufs[t->nbufs++] = out;
	*text = out;
	*len = n;
	return 0;
}

/* ---- Key counts -----------------------------------------------------------
 *
 * The number of index keys of each document, one byte each, in records of
 * NK_SPAN consecutive ids keyed by id / NK_SPAN: byte 0 is unknown (never
 * recorded, or deleted), n + 1 is n keys, NK_SPAN - 1 is STORE_NKEYS_CAP
 * or more. Candidate filtering asks it for about a hundred documents per
 * lookup; the documents' feature records answered that at a B-tree
 * descent into a table of a kilobyte a document (10% of a backfill), this
 * table is a byte a document and stays in the CPU's caches.
 */
#define NK_SPAN 256

static MDB_val
nk_key(unsigned char *b, uint64_t id)
{
	return u64_val(b, id / NK_SPAN);
}

/* Record (or with n < 0, forget) the key count of id. */
static int
nk_set(struct store_txn *t, uint64_t id, long n)
{
	unsigned char kb[8], rec[NK_SPAN];
	MDB_val k = nk_key(kb, id), d;
	int rc;

	if (!t->st->has_nkeys)
		return 0;
	rc = mdb_get(t->txn, t->st->nkeys, &k, &d);
	if (rc == MDB_NOTFOUND && n < 0)
		return 0;
	if (rc == 0 && d.mv_size == NK_SPAN)
		memcpy(rec, d.mv_data, NK_SPAN);
	else if (rc == 0 || rc == MDB_NOTFOUND)
		memset(rec, 0, NK_SPAN); /* a foreign record: rewritten */
	else
		return txn_fail(t, rc);
	if (n < 0)
		rec[id % NK_SPAN] = 0;
	else
		rec[id % NK_SPAN] =
		    (unsigned char)(1 + (n < STORE_NKEYS_CAP
		                                ? n
		                                : STORE_NKEYS_CAP));
	return put(t, t->st->nkeys, k, val(rec, NK_SPAN), 0);
}

int
store_doc_nkeys(struct store_txn *t, uint64_t id, uint32_t *nkeys)
{
	unsigned char kb[8];
	MDB_val k, d;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (nkeys == NULL)
		return -EINVAL;
	if (!t->st->has_nkeys)
		return STORE_ENOTFOUND;
	k = nk_key(kb, id);
	if ((rc = mdb_get(t->txn, t->st->nkeys, &k, &d)) != 0)
		return lmdb_error(rc);
	if (d.mv_size != NK_SPAN)
		return STORE_ECORRUPT;
	if (((const unsigned char *)d.mv_data)[id % NK_SPAN] == 0)
		return STORE_ENOTFOUND;
	*nkeys = ((const unsigned char *)d.mv_data)[id % NK_SPAN] - 1u;
	return 0;
}

int
store_doc_put(struct store_txn *t, const struct store_doc *doc,
    const void *text, size_t text_len, const void *feat, size_t feat_len,
    const uint64_t *keys, size_t nkeys, uint64_t *id)
{
	static const unsigned char empty[1];
	unsigned char pkb[PATHKEY_MAX], idb[8];
	struct store_doc rec;
	uint64_t *sorted = NULL, next;
	size_t plen, nk, nix;
	MDB_val pk, idk, d;
	int rc, dirty = 0;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if (doc == NULL || id == NULL || (text == NULL && text_len != 0) ||
	    (feat == NULL && feat_len != 0) || (keys == NULL && nkeys != 0))
		return -EINVAL;
	if ((rc = path_check(doc->path, &plen)) != 0)
		return rc;
	if ((doc->title != NULL && strlen(doc->title) > STORE_META_MAX) ||
	    (doc->url != NULL && strlen(doc->url) > STORE_META_MAX) ||
	    (doc->source != NULL && strlen(doc->source) > STORE_META_MAX) ||
	    (doc->author != NULL && strlen(doc->author) > STORE_META_MAX))
		return -E2BIG;
	if (nkeys > UINT32_MAX)
		return -E2BIG;

	pk = path_key(doc->path, plen, pkb);
	rc = mdb_get(t->txn, t->st->paths, &pk, &d);
	if (rc == 0)
		return -EEXIST;
	if (rc != MDB_NOTFOUND)
		return lmdb_error(rc);
	if ((rc = meta_get(t, "next_id", 1, &next)) != 0)
		return rc;
	if (next == 0)
		return STORE_ECORRUPT;
	if (next == UINT64_MAX)
		return -EOVERFLOW;

	/* One more slot: the exact-text key. */
	if ((sorted = malloc((nkeys + 1) * sizeof(*sorted))) == NULL)
		return -ENOMEM;
	if (nkeys > 0)
		memcpy(sorted, keys, nkeys * sizeof(*sorted));
	nk = sort_unique(sorted, nkeys);
	nix = doc->ntokens > 0 ? add_key(sorted, nk, exact_key(doc->norm_hash))
	                       : nk;

	rec = *doc;
	rec.checked = 0;
	idk = u64_val(idb, next);
	d = val(NULL, rec_doc_len(&rec));
	rc = mdb_put(
	    t->txn, t->st->docs, &idk, &d, MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc == MDB_KEYEXIST) {
		rc = STORE_ECORRUPT; /* next_id behind the data */
		goto out;
	}
	dirty = 1;
	if (rc != 0) {
		rc = txn_fail(t, rc);
		goto out;
	}
	rec_doc_encode(d.mv_data, &rec);

	if ((rc = put(t, t->st->paths, pk, idk, 0)) != 0 ||
	    (rc = text_put(t, idk, text_len ? text : empty, text_len)) != 0 ||
	    (rc = put(t, t->st->feat, idk,
	         val(feat_len ? feat : empty, feat_len), 0)) != 0)
		goto out;
	if ((rc = ix_add(t->st->ix, &t->ixt, next, sorted, nix)) != 0) {
		rc = txn_fail(t, rc);
		goto out;
	}
	if ((rc = nk_set(t, next, (long)(nk < LONG_MAX ? nk : LONG_MAX))) !=
	        0 ||
	    (rc = meta_set(t, "next_id", next + 1)) != 0 ||
	    (rc = meta_add(t, "documents", 1)) != 0)
		goto out;
	*id = next;
out:
	free(sorted);
	return dirty ? txn_poison(t, rc) : rc;
}

int
store_doc_get(struct store_txn *t, uint64_t id, struct store_doc *out)
{
	unsigned char idb[8];
	MDB_val k, d;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	k = u64_val(idb, id);
	if ((rc = mdb_get(t->txn, t->st->docs, &k, &d)) != 0)
		return lmdb_error(rc);
	if ((rc = rec_doc_decode(d.mv_data, d.mv_size, out)) != 0)
		return rc;
	out->id = id;
	return 0;
}

/* Document id's record decoded from a copy (*copy, freed by the caller:
 * the record's pages are rewritten by doc_save), its key in *k. */
static int
doc_load(struct store_txn *t, uint64_t id, unsigned char idb[8], MDB_val *k,
    void **copy, struct store_doc *doc)
{
	MDB_val d;
	int rc;

	*copy = NULL;
	*k = u64_val(idb, id);
	if ((rc = mdb_get(t->txn, t->st->docs, k, &d)) != 0)
		return lmdb_error(rc);
	if ((*copy = malloc(d.mv_size ? d.mv_size : 1)) == NULL)
		return -ENOMEM;
	memcpy(*copy, d.mv_data, d.mv_size);
	return rec_doc_decode(*copy, d.mv_size, doc);
}

/* Write doc as the record at k. */
static int
doc_save(struct store_txn *t, MDB_val *k, const struct store_doc *doc)
{
	MDB_val d = val(NULL, rec_doc_len(doc));
	int rc;

	if ((rc = mdb_put(t->txn, t->st->docs, k, &d, MDB_RESERVE)) != 0)
		return txn_fail(t, rc);
	rec_doc_encode(d.mv_data, doc);
	return 0;
}

int
store_doc_move(
    struct store_txn *t, uint64_t id, const char *path, const char *source)
{
	unsigned char idb[8], pkb[PATHKEY_MAX], okb[PATHKEY_MAX];
	struct store_doc doc;
	size_t plen, olen;
	void *copy = NULL;
	MDB_val k, d, pk, ok;
	int rc;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if ((rc = path_check(path, &plen)) != 0)
		return rc;
	if (source != NULL && strlen(source) > STORE_META_MAX)
		return -E2BIG;
	if ((rc = doc_load(t, id, idb, &k, &copy, &doc)) != 0)
		goto out;
	pk = path_key(path, plen, pkb);
	rc = mdb_get(t->txn, t->st->paths, &pk, &d);
	if (rc != MDB_NOTFOUND) {
		rc = rc == 0 ? -EEXIST : lmdb_error(rc);
		goto out;
	}
	olen = strlen(doc.path);
	ok = path_key(doc.path, olen, okb);
	doc.path = path;
	doc.source = source;
	if ((rc = del(t, t->st->paths, ok)) != 0 ||
	    (rc = put(t, t->st->paths, pk, k, 0)) != 0)
		goto out;
	rc = doc_save(t, &k, &doc);
out:
	free(copy);
	return rc;
}

int
store_doc_set_file(struct store_txn *t, uint64_t id, uint64_t size,
    int64_t mtime, const uint64_t content_hash[2], int64_t checked)
{
	unsigned char idb[8];
	struct store_doc doc;
	void *copy = NULL;
	MDB_val k;
	int rc;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if ((rc = doc_load(t, id, idb, &k, &copy, &doc)) == 0) {
		doc.size = size;
		/* A time taken from the mtime stays (store_doc_time); any
		 * other is not moved by a newer mtime. */
		if (!store_doc_mtime_counts(&doc))
			doc.mtime = mtime;
		doc.content_hash[0] = content_hash[0];
		doc.content_hash[1] = content_hash[1];
		doc.checked = checked;
		rc = doc_save(t, &k, &doc);
	}
	free(copy);
	return rc;
}

/* The record of path in dbi (paths, rejects) into *d: 0, or an error
 * (STORE_ENOTFOUND). A long path's key is a hash: the caller confirms
 * the path from the record. */
static int
path_get(struct store_txn *t, MDB_dbi dbi, const char *path, MDB_val *d)
{
	unsigned char pkb[PATHKEY_MAX];
	size_t plen;
	MDB_val k;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if ((rc = path_check(path, &plen)) != 0)
		return rc;
	k = path_key(path, plen, pkb);
	rc = mdb_get(t->txn, dbi, &k, d);
	return rc != 0 ? lmdb_error(rc) : 0;
}

int
store_doc_by_path(struct store_txn *t, const char *path, uint64_t *id)
{
	struct store_doc doc;
	MDB_val d;
	uint64_t v;
	int rc;

	if (id == NULL)
		return -EINVAL;
	if ((rc = path_get(t, t->st->paths, path, &d)) != 0)
		return rc;
	if ((rc = rec_u64_decode(d.mv_data, d.mv_size, &v)) != 0)
		return rc;
	if (v == 0)
		return STORE_ECORRUPT;
	/* A long path's key is a hash: confirm the path. */
	if (strlen(path) >= PATHKEY_MAX) {
		if ((rc = store_doc_get(t, v, &doc)) != 0)
			return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
		if (strcmp(doc.path, path) != 0)
			return STORE_ENOTFOUND;
	}
	*id = v;
	return 0;
}

static int
get_blob(
    struct store_txn *t, MDB_dbi dbi, uint64_t id, const void **p, size_t *len)
{
	unsigned char idb[8];
	MDB_val k, d;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (p == NULL || len == NULL)
		return -EINVAL;
	k = u64_val(idb, id);
	if ((rc = mdb_get(t->txn, dbi, &k, &d)) != 0)
		return lmdb_error(rc);
	*p = d.mv_data;
	*len = d.mv_size;
	return 0;
}

int
store_doc_text(struct store_txn *t, uint64_t id, const void **text, size_t *len)
{
	const unsigned char *p;
	size_t n;
	int rc;

	if (t == NULL)
		return -EINVAL;
	if ((rc = get_blob(t, t->st->text, id, (const void **)&p, &n)) != 0)
		return rc;
	if (n == 0 || (p[0] != TEXT_RAW && p[0] != TEXT_ZSTD))
		return STORE_ECORRUPT;
	if (p[0] == TEXT_RAW) {
		*text = p + 1;
		*len = n - 1;
		return 0;
	}
	return text_inflate(t, p + 1, n - 1, text, len);
}

int
store_doc_feat(struct store_txn *t, uint64_t id, const void **feat, size_t *len)
{
	if (t == NULL)
		return -EINVAL;
	return get_blob(t, t->st->feat, id, feat, len);
}

/* Ids of the other ends of id's pairs (malloc'ed; *n == 0: NULL). */
static int
pair_others(struct store_txn *t, uint64_t id, uint64_t **out, size_t *n)
{
	unsigned char idb[8];
	struct store_pair p;
	MDB_cursor *c;
	MDB_val k, d;
	size_t count;
	uint64_t *v = NULL;
	size_t i = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mdb_cursor_open(t->txn, t->st->pairs, &c)) != 0)
		return lmdb_error(rc);
	k = u64_val(idb, id);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
	if (rc == MDB_NOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = mdb_cursor_count(c, &count)) != 0) {
		rc = lmdb_error(rc);
		goto out;
	}
	if (count > SIZE_MAX / sizeof(*v) ||
	    (v = malloc((size_t)count * sizeof(*v))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (i == count) {
			rc = STORE_ECORRUPT;
			break;
		}
		if ((rc = rec_pair_decode(d.mv_data, d.mv_size, id, &p)) != 0)
			break;
		v[i++] = p.a == id ? p.b : p.a;
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT_DUP);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = lmdb_error(rc);
			break;
		}
	}
out:
	mdb_cursor_close(c);
	if (rc != 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = i;
	return 0;
}

/* Remove the entry for `other` from self's pair dups; *existed tells. */
static int
pair_unlink(struct store_txn *t, MDB_cursor *c, uint64_t self, uint64_t other,
    int *existed)
{
	unsigned char sb[8], ob[8];
	MDB_val k = u64_val(sb, self), d = u64_val(ob, other);
	int rc;

	*existed = 0;
	/* First dup >= the 8-byte prefix `other`: ours if the prefix
	 * matches. */
	rc = mdb_cursor_get(c, &k, &d, MDB_GET_BOTH_RANGE);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_error(rc);
	if (d.mv_size < 8 || memcmp(d.mv_data, ob, 8) != 0)
		return 0;
	if ((rc = mdb_cursor_del(c, 0)) != 0)
		return txn_fail(t, rc);
	*existed = 1;
	return 0;
}

int
store_doc_delete(struct store_txn *t, uint64_t id)
{
	unsigned char idb[8], pkb[PATHKEY_MAX];
	struct store_doc doc;
	uint64_t *others = NULL, pid;
	size_t plen, nothers = 0;
	char *path = NULL;
	MDB_cursor *c;
	MDB_val k, d, pk;
	int rc, existed, dirty = 0;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	k = u64_val(idb, id);

	/* Copy what we need first: map pointers die at the first write. */
	if ((rc = store_doc_get(t, id, &doc)) != 0)
		return rc;
	if ((path = strdup(doc.path)) == NULL)
		return -ENOMEM;
	plen = strlen(path);
	if ((rc = pair_others(t, id, &others, &nothers)) != 0)
		goto out;
	dirty = 1;

	if ((rc = ix_del(t->st->ix, &t->ixt, id)) != 0) {
		rc = txn_fail(t, rc);
		goto out;
	}

	if (nothers > 0) {
		if ((rc = mdb_cursor_open(t->txn, t->st->pairs, &c)) != 0) {
			rc = txn_fail(t, rc);
			goto out;
		}
		for (size_t i = 0; i < nothers && rc == 0; i++)
			rc = pair_unlink(t, c, others[i], id, &existed);
		mdb_cursor_close(c);
		if (rc != 0)
			goto out;
		if ((rc = del(t, t->st->pairs, k)) != 0 ||
		    (rc = meta_add(t, "pairs", -(int64_t)nothers)) != 0)
			goto out;
	}

	pk = path_key(path, plen, pkb);
	rc = mdb_get(t->txn, t->st->paths, &pk, &d);
	if (rc == 0 && rec_u64_decode(d.mv_data, d.mv_size, &pid) == 0 &&
	    pid == id)
		rc = del(t, t->st->paths, pk);
	else if (rc == MDB_NOTFOUND || rc == 0)
		rc = 0; /* not ours (or gone): leave it */
	else
		rc = lmdb_error(rc);
	if (rc != 0)
		goto out;

	if ((rc = del(t, t->st->text, k)) != 0 ||
	    (rc = del(t, t->st->feat, k)) != 0 ||
	    (rc = nk_set(t, id, -1)) != 0 ||
	    (rc = del(t, t->st->docs, k)) != 0 ||
	    (rc = meta_add(t, "documents", -1)) != 0)
		goto out;
out:
	free(path);
	free(others);
	return dirty ? txn_poison(t, rc) : rc;
}

/*
 * Walk the records of dbi: position with `first` (MDB_FIRST, or
 * MDB_SET_RANGE / MDB_SET_KEY at *k), then step with `next`, handing each
 * record to visit until the records end (0) or visit returns nonzero
 * (returned). The one cursor loop of the read-only iterations below.
 */
typedef int (*walk_fn)(const MDB_val *k, const MDB_val *d, void *ctx);

static int
walk(struct store_txn *t, MDB_dbi dbi, MDB_val k, MDB_cursor_op first,
    MDB_cursor_op next, walk_fn visit, void *ctx)
{
	MDB_cursor *c;
	MDB_val d;
	MDB_cursor_op op = first;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, dbi, &c)) != 0)
		return lmdb_error(rc);
	for (;; op = next) {
		rc = mdb_cursor_get(c, &k, &d, op);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = lmdb_error(rc);
			break;
		}
		if ((rc = visit(&k, &d, ctx)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc;
}

struct doc_walk {
	struct store_txn *t;
	store_doc_cb cb;
	void *arg;
	const char *prefix;
	size_t plen, klen;
	int end; /* the prefix's range is over */
};

static int
visit_doc(const MDB_val *k, const MDB_val *d, void *ctx)
{
	struct doc_walk *w = ctx;
	struct store_doc doc;
	int rc;

	if (k->mv_size != 8)
		return STORE_ECORRUPT;
	if ((rc = rec_doc_decode(d->mv_data, d->mv_size, &doc)) != 0)
		return rc;
	doc.id = rec_get_u64(k->mv_data);
	return w->cb(&doc, w->arg);
}

int
store_doc_each(struct store_txn *t, uint64_t from, store_doc_cb cb, void *arg)
{
	unsigned char fb[8];
	struct doc_walk w = {.t = t, .cb = cb, .arg = arg};
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	return walk(t, t->st->docs, u64_val(fb, from),
	    from != 0 ? MDB_SET_RANGE : MDB_FIRST, MDB_NEXT, visit_doc, &w);
}

static int
visit_path(const MDB_val *k, const MDB_val *d, void *ctx)
{
	struct doc_walk *w = ctx;
	struct store_doc doc;
	uint64_t id;
	int rc;

	if (k->mv_size < w->klen ||
	    memcmp(k->mv_data, w->prefix, w->klen) != 0) {
		w->end = 1;
		return 1;
	}
	if ((rc = rec_u64_decode(d->mv_data, d->mv_size, &id)) != 0)
		return rc;
	if ((rc = store_doc_get(w->t, id, &doc)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if (strncmp(doc.path, w->prefix, w->plen) != 0)
		return 0;
	return w->cb(&doc, w->arg);
}

/*
 * Path keys keep the first PATHKEY_PREFIX bytes of a path, so the keys of
 * the paths starting with a shorter prefix are one range of the paths DBI.
 * A longer prefix can only be checked against the records.
 */
int
store_doc_each_prefix(
    struct store_txn *t, const char *prefix, store_doc_cb cb, void *arg)
{
	struct doc_walk w = {.t = t, .cb = cb, .arg = arg, .prefix = prefix};
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (cb == NULL || (rc = path_check(prefix, &w.plen)) != 0)
		return cb == NULL ? -EINVAL : rc;
	w.klen = w.plen < PATHKEY_PREFIX ? w.plen : PATHKEY_PREFIX;
	rc = walk(t, t->st->paths, val(prefix, w.klen), MDB_SET_RANGE, MDB_NEXT,
	    visit_path, &w);
	return w.end ? 0 : rc;
}

/* ---- Index -------------------------------------------------------------- */

void
store_key_prefetch(struct store_txn *t, uint64_t key, int near)
{
	if (t != NULL)
		ix_prefetch(t->st->ix, &t->ixt, key, near);
}

int
store_key_docs(
    struct store_txn *t, uint64_t key, uint64_t *ids, size_t max, size_t *df)
{
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (df == NULL)
		return -EINVAL;
	if ((rc = ix_lookup(t->st->ix, &t->ixt, key, ids, max, df)) != 0)
		return lmdb_error(rc);
	return 0;
}

int
store_key_oldest(
    struct store_txn *t, uint64_t key, uint64_t *ids, size_t max, size_t *n)
{
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (n == NULL)
		return -EINVAL;
	rc = ix_lookup_all(t->st->ix, &t->ixt, key, ids, max, n);
	return rc != 0 ? lmdb_error(rc) : 0;
}

int
store_exact_docs(struct store_txn *t, uint64_t norm_hash, uint64_t *ids,
    size_t max, size_t *n)
{
	return store_key_oldest(t, exact_key(norm_hash), ids, max, n);
}

int
store_index_merge_step(struct store *st, size_t slice, int *more)
{
	struct store_txn *t;
	int rc;

	*more = 0;
	if ((rc = store_txn_begin(st, 1, &t)) < 0)
		return rc;
	if ((rc = ix_merge_step(st->ix, &t->ixt, slice, more)) != 0) {
		rc = txn_fail(t, rc);
		store_txn_abort(t);
		ix_merge_abandon(st->ix);
		return rc;
	}
	if ((rc = store_txn_commit(t)) < 0)
		ix_merge_abandon(st->ix);
	return rc;
}

int
store_index_merge_wanted(struct store *st)
{
	return st != NULL && st->ix != NULL && ix_merge_wanted(st->ix);
}

int
store_index_merge(struct store *st, size_t slice, unsigned *nslices)
{
	int more = 1, rc = 0, tries = 0;

	if (nslices != NULL)
		*nslices = 0;
	if (!ix_merge_wanted(st->ix))
		return 0;
	while (more) {
		rc = store_index_merge_step(st, slice, &more);
		/* The map grew (when the txn ended): start again in it. */
		if (rc == STORE_ERETRY && ++tries < 8) {
			more = 1;
			continue;
		}
		if (rc < 0)
			return rc;
		if (nslices != NULL) /* committed, the last one too */
			++*nslices;
	}
	return 0;
}

/* ---- Pairs -------------------------------------------------------------- */

static int
doc_exists(struct store_txn *t, uint64_t id)
{
	unsigned char idb[8];
	MDB_val k = u64_val(idb, id), d;

	return lmdb_error(mdb_get(t->txn, t->st->docs, &k, &d));
}

int
store_pair_put(struct store_txn *t, const struct store_pair *p)
{
	unsigned char kb[8], rec[REC_PAIR_LEN];
	const uint64_t ends[2] = {p ? p->a : 0, p ? p->b : 0};
	MDB_cursor *c;
	MDB_val k, d;
	int rc, existed, isnew = 0;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if (p == NULL || p->a == 0 || p->a >= p->b ||
	    (p->original != 0 && p->original != p->a && p->original != p->b))
		return -EINVAL;
	if ((rc = doc_exists(t, p->a)) != 0 || (rc = doc_exists(t, p->b)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, t->st->pairs, &c)) != 0)
		return txn_fail(t, rc);
	for (int i = 0; i < 2; i++) {
		uint64_t self = ends[i], other = ends[1 - i];

		if ((rc = pair_unlink(t, c, self, other, &existed)) != 0)
			break;
		if (i == 0)
			isnew = !existed;
		rec_pair_encode(rec, p, self);
		k = u64_val(kb, self);
		d = val(rec, sizeof(rec));
		if ((rc = mdb_cursor_put(c, &k, &d, MDB_NODUPDATA)) != 0) {
			rc = txn_fail(t, rc);
			break;
		}
	}
	mdb_cursor_close(c);
	if (rc == 0 && isnew)
		rc = meta_add(t, "pairs", 1);
	return txn_poison(t, rc);
}

int
store_pair_del(struct store_txn *t, uint64_t a, uint64_t b)
{
	MDB_cursor *c;
	int rc, existed = 0, one;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, t->st->pairs, &c)) != 0)
		return txn_fail(t, rc);
	rc = pair_unlink(t, c, a, b, &existed);
	if (rc == 0)
		rc = pair_unlink(t, c, b, a, &one);
	mdb_cursor_close(c);
	if (rc == 0 && !existed)
		return STORE_ENOTFOUND;
	if (rc == 0)
		rc = meta_add(t, "pairs", -1);
	return txn_poison(t, rc);
}

struct pair_walk {
	store_pair_cb cb;
	void *arg;
	uint64_t self; /* 0: every pair once, taken at its smaller end */
};

static int
visit_pair(const MDB_val *k, const MDB_val *d, void *ctx)
{
	struct pair_walk *w = ctx;
	struct store_pair p;
	uint64_t self = w->self;
	int rc;

	if (self == 0) {
		if (k->mv_size != 8)
			return STORE_ECORRUPT;
		self = rec_get_u64(k->mv_data);
	}
	if ((rc = rec_pair_decode(d->mv_data, d->mv_size, self, &p)) != 0)
		return rc;
	if (w->self == 0 && self != p.a)
		return 0;
	return w->cb(&p, w->arg);
}

int
store_pairs_of(struct store_txn *t, uint64_t id, store_pair_cb cb, void *arg)
{
	unsigned char idb[8];
	struct pair_walk w = {cb, arg, id};
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	return walk(t, t->st->pairs, u64_val(idb, id), MDB_SET_KEY,
	    MDB_NEXT_DUP, visit_pair, &w);
}

/* Keys ascending, dups ascending by the other end: the entries stored
 * under the smaller end come out ordered by (a, b). */
int
store_pair_each(struct store_txn *t, store_pair_cb cb, void *arg)
{
	struct pair_walk w = {cb, arg, 0};
	MDB_val none = {0, NULL};
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	return walk(t, t->st->pairs, none, MDB_FIRST, MDB_NEXT, visit_pair, &w);
}

/* ---- Records by path: rejected files, expired documents' files --------- */

/*
 * A record (path, text, time) under path's key in dbi; counter, if not
 * NULL, is the meta count of dbi's records.
 */
static int
pathrec_put(struct store_txn *t, MDB_dbi dbi, const char *counter,
    const char *path, const char *text, int64_t at)
{
	unsigned char pkb[PATHKEY_MAX];
	size_t plen, rlen;
	MDB_val k, d;
	int rc, isnew;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if ((rc = path_check(path, &plen)) != 0)
		return rc;
	if (text == NULL)
		return -EINVAL;
	if ((rlen = strlen(text)) > UINT32_MAX - 64)
		return -E2BIG;
	k = path_key(path, plen, pkb);
	rc = mdb_get(t->txn, dbi, &k, &d);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_error(rc);
	isnew = rc == MDB_NOTFOUND;
	d = val(NULL, rec_reject_len(plen, rlen));
	if ((rc = mdb_put(t->txn, dbi, &k, &d, MDB_RESERVE)) != 0)
		return txn_fail(t, rc);
	rec_reject_encode(d.mv_data, path, plen, text, rlen, at);
	return isnew && counter != NULL ? txn_poison(t, meta_add(t, counter, 1))
	                                : 0;
}

static int
pathrec_get(struct store_txn *t, MDB_dbi dbi, const char *path,
    struct store_reject *out)
{
	MDB_val d;
	int rc;

	if (out == NULL)
		return -EINVAL;
	if ((rc = path_get(t, dbi, path, &d)) != 0 ||
	    (rc = rec_reject_decode(d.mv_data, d.mv_size, out)) != 0)
		return rc;
	/* A long path's key is a hash: confirm the path. */
	return strcmp(out->path, path) == 0 ? 0 : STORE_ENOTFOUND;
}

static int
pathrec_del(
    struct store_txn *t, MDB_dbi dbi, const char *counter, const char *path)
{
	unsigned char pkb[PATHKEY_MAX];
	size_t plen;
	MDB_val k;
	int rc;

	if ((rc = txn_check(t, 1)) != 0)
		return rc;
	if ((rc = path_check(path, &plen)) != 0)
		return rc;
	k = path_key(path, plen, pkb);
	rc = mdb_del(t->txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return txn_fail(t, rc);
	return counter != NULL ? txn_poison(t, meta_add(t, counter, -1)) : 0;
}

struct pathrec_walk {
	int (*cb)(const struct store_reject *r, void *arg);
	void *arg;
};

static int
visit_pathrec(const MDB_val *k, const MDB_val *d, void *ctx)
{
	struct pathrec_walk *w = ctx;
	struct store_reject r;
	int rc;

	(void)k;
	/* A damaged record is passed over: a walk (a cleanup, a report)
	 * must not stop at it; lookups of it say STORE_ECORRUPT. */
	if ((rc = rec_reject_decode(d->mv_data, d->mv_size, &r)) != 0)
		return 0;
	return w->cb(&r, w->arg);
}

/* The records of dbi in key order, from the key of path from (NULL: the
 * first). */
static int
pathrec_each(struct store_txn *t, MDB_dbi dbi, const char *from,
    int (*cb)(const struct store_reject *r, void *arg), void *arg)
{
	struct pathrec_walk w = {cb, arg};
	unsigned char pkb[PATHKEY_MAX];
	MDB_val k = {0, NULL};
	size_t plen;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	if (from != NULL) {
		if ((rc = path_check(from, &plen)) != 0)
			return rc;
		k = path_key(from, plen, pkb);
	}
	return walk(t, dbi, k, from != NULL ? MDB_SET_RANGE : MDB_FIRST,
	    MDB_NEXT, visit_pathrec, &w);
}

int
store_reject_put(
    struct store_txn *t, const char *path, const char *reason, int64_t at)
{
	return pathrec_put(t, t->st->rejects, "rejected", path, reason, at);
}

int
store_reject_get(
    struct store_txn *t, const char *path, struct store_reject *out)
{
	return pathrec_get(t, t->st->rejects, path, out);
}

int
store_reject_del(struct store_txn *t, const char *path)
{
	return pathrec_del(t, t->st->rejects, "rejected", path);
}

int
store_reject_each(struct store_txn *t, store_reject_cb cb, void *arg)
{
	return pathrec_each(t, t->st->rejects, NULL, cb, arg);
}

/* An expired document's file: its size and mtime as the record's text. */
int
store_gone_put(struct store_txn *t, const char *path, uint64_t size,
    int64_t mtime, int64_t at)
{
	char text[48];

	if (!t->st->has_gone)
		return -EROFS;
	snprintf(text, sizeof(text), "%" PRIu64 " %" PRId64, size, mtime);
	return pathrec_put(t, t->st->gone, NULL, path, text, at);
}

static int
gone_decode(const struct store_reject *r, struct store_gone *out)
{
	unsigned long long size;
	long long mtime;
	int end = 0;

	if (sscanf(r->reason, "%llu %lld%n", &size, &mtime, &end) != 2 ||
	    r->reason[end] != '\0')
		return STORE_ECORRUPT;
	out->path = r->path;
	out->size = size;
	out->mtime = mtime;
	out->at = r->at;
	return 0;
}

int
store_gone_get(struct store_txn *t, const char *path, struct store_gone *out)
{
	struct store_reject r;
	int rc;

	if (!t->st->has_gone)
		return STORE_ENOTFOUND;
	if ((rc = pathrec_get(t, t->st->gone, path, &r)) != 0)
		return rc;
	return gone_decode(&r, out);
}

int
store_gone_del(struct store_txn *t, const char *path)
{
	return t->st->has_gone ? pathrec_del(t, t->st->gone, NULL, path) : 0;
}

struct gone_walk {
	store_gone_cb cb;
	void *arg;
};

static int
visit_gone(const struct store_reject *r, void *arg)
{
	struct gone_walk *w = arg;
	struct store_gone g;

	/* A damaged one is walked as a file no file is (size UINT64_MAX),
	 * which a caller pruning records removes. */
	if (gone_decode(r, &g) != 0) {
		g.path = r->path;
		g.size = UINT64_MAX;
		g.mtime = INT64_MIN;
		g.at = r->at;
	}
	return w->cb(&g, w->arg);
}

int
store_gone_each(
    struct store_txn *t, const char *from, store_gone_cb cb, void *arg)
{
	struct gone_walk w = {cb, arg};

	if (!t->st->has_gone)
		return 0;
	return pathrec_each(t, t->st->gone, from, visit_gone, &w);
}

/* ---- Counters ----------------------------------------------------------- */

/* "u:" + name: apart from the store's own meta keys ("documents", ...). */
static int
counter_key(const char *name, char buf[72])
{
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n > 64)
		return -EINVAL;
	memcpy(buf, "u:", 2);
	memcpy(buf + 2, name, n + 1);
	return 0;
}

/* txn_check(t, write), then name's key into key. */
static int
counter_at(struct store_txn *t, int write, const char *name, char key[72])
{
	int rc;

	if ((rc = txn_check(t, write)) != 0)
		return rc;
	return counter_key(name, key);
}

int
store_counter_add(struct store_txn *t, const char *name, uint64_t delta)
{
	char key[72];
	int rc;

	if ((rc = counter_at(t, 1, name, key)) != 0)
		return rc;
	if (delta > INT64_MAX)
		return -EINVAL;
	return txn_poison(t, meta_add(t, key, (int64_t)delta));
}

int
store_counter_set(struct store_txn *t, const char *name, uint64_t v)
{
	char key[72];
	int rc;

	if ((rc = counter_at(t, 1, name, key)) != 0)
		return rc;
	return txn_poison(t, meta_set(t, key, v));
}

int
store_counter_get(struct store_txn *t, const char *name, uint64_t *v)
{
	char key[72];
	int rc;

	if (v == NULL)
		return -EINVAL;
	if ((rc = counter_at(t, 0, name, key)) != 0)
		return rc;
	return meta_get(t, key, 0, v);
}

/* ---- Statistics --------------------------------------------------------- */

int
store_stats(struct store_txn *t, struct store_stats *out)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	if ((rc = txn_check(t, 0)) != 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	if ((rc = meta_get(t, "documents", 0, &out->documents)) != 0 ||
	    (rc = meta_get(t, "pairs", 0, &out->pairs)) != 0 ||
	    (rc = meta_get(t, "rejected", 0, &out->rejected)) != 0)
		return rc;
	if ((rc = mdb_env_info(t->st->env, &info)) != 0 ||
	    (rc = mdb_env_stat(t->st->env, &st)) != 0)
		return lmdb_error(rc);
	out->map_size = info.me_mapsize;
	out->map_used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}
