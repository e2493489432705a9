/*
 * index.c - the fingerprint index: a small log-structured merge tree
 * inside LMDB. Contract in index.h.
 *
 * Why not one B-tree of (key, id) pairs (schema 3): every document adds a
 * few hundred keys at random places, so every commit dirtied and wrote one
 * page per key; at 100k documents a batch rewrote most of the index, and
 * each pair cost ~24 bytes of page. Here:
 *
 *   - a new document's keys go to the log DBI as one record appended in id
 *     order (a commit writes a page or two), and into the memtable, a hash
 *     table in memory rebuilt from the log when needed;
 *   - when the memtable holds 7/8 of mt_max postings, the owner's next call of
 *     ix_merge_step merges them, in key order, with level 1's run into a
 *     new run written with MDB_APPEND (full pages, each written once),
 *     and empties the log; a level over its size (mt_max * 10^level
 *     postings) is merged into the next one the same way; the last level
 *     is unbounded. Each level has two DBIs: the active run and the spare
 *     the next merge writes. A merge is written in slices, a write txn
 *     each, and switched in by its last one (see struct merge);
 *   - a run is sorted by (hkey, id), hkey the key mixed (hkey_of), and cut
 *     into buckets of 2^shift hkeys, at most BUCKET_POST postings each
 *     on average; 2^cshift buckets make a chunk (at most CHUNK_TARGET
 *     bytes, counting 3 bytes a posting: 25-30 KB at 100k), one LMDB
 *     value (contiguous overflow pages) under its number, the offsets of
 *     its buckets in front (record.h). A lookup computes the chunk and
 *     the bucket from the key, finds the chunk's address in the
 *     transaction's directory (struct ix_cdir: one mdb_get per chunk and
 *     txn) and reads the bucket's offset and the bucket: a cache miss or
 *     two, where schema 4's B-tree of 32-posting blocks cost a descent
 *     through pages out of the caches (40% of a backfill at 100k
 *     documents).
 *
 * Lookups cost one hash probe plus one bucket read per non-empty level
 * (at most IX_LEVELS), whatever the number of documents. A key that a
 * level does not hold is usually told so by the level's presence filter
 * (struct pfilt), without the read.
 *
 * Ids enter in ascending order and levels are merged only downwards, so
 * each level holds a contiguous range of ids, older below. A deleted
 * document's postings leave the memtable at once; those in a run stay
 * until the run is rewritten, and meanwhile its id sits in the dead set
 * (a DBI, and a sorted array in memory) that lookups filter by.
 *
 * Keys are the high 32 bits of the caller's 64-bit fingerprints: two
 * fingerprints equal there are one key here. At a million documents that
 * adds a false posting to one lookup in thirty; a false hit only costs the
 * caller a verification.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "shingle.h"
#include "record.h"

#define LEVEL_RATIO 10 /* level L (from 0) holds mt_max * 10^(L+1) postings */
#define META_NAME "index"
#define META_LEN (8 + IX_LEVELS * 25)

struct level {
	unsigned active; /* 0 or 1: which DBI holds the run */
	uint64_t npost;  /* postings, dead included; 0: empty */
	uint64_t lo, hi; /* ids held (when npost > 0) */
};

/* A memtable posting; the postings of one key are chained from its slot,
 * newest first. */
struct ment {
	uint32_t key;
	uint32_t next; /* index + 1 of the next posting of the key, 0 ends */
	uint64_t id;   /* 0: deleted */
};

/* A key of the memtable: open addressing on the key's low bits. The count
 * answers "more than max" for a stock-phrase key without walking its
 * chain (each step of which is a cache miss). head == 0: empty slot. */
struct mslot {
	uint32_t key;
	uint32_t count; /* live postings */
	uint32_t head;  /* index + 1 of the newest posting */
};

/*
 * A level's presence filter: a bitmap with one hash function (a Bloom
 * filter of k = 1), a bit set for every key of the run the merge wrote,
 * so a clear bit means the level does not hold the key. At 100k
 * documents half the lookups in level 0 and a third in level 1 found
 * nothing, each after a B-tree descent through pages out of the CPU's
 * caches: the largest cost of a backfill.
 *
 * Filters are derived data, in memory only: built by the merge that
 * writes a run, or by reading the run's keys when a level has none
 * (pf_scan: after a start or a reload), never for the last level (too
 * big to filter in the memory budget: PF_BITS_MAX bits a level); dropped
 * when the run changes under us (a reload: another process wrote, or our
 * txn aborted), and used only while the level is the run it was built
 * for.
 */
#define PF_BITS_MAX (1u << 24) /* 2 MiB */
#define PF_FILL_MAX 0.5        /* fuller than this is kept no more */

struct pfilt {
	uint64_t *bits; /* NULL: no filter */
	unsigned shift; /* the bit: the key hashed, >> shift */
	uint64_t nset;
	struct level lv; /* the run it describes */
};

struct ix {
	struct ix_dbis d;
	uint32_t mt_max; /* memtable postings before a flush */
	uint32_t mask;   /* key slots - 1: at least 2 slots a posting */
	uint64_t gen;    /* generation the memtable and levels reflect */
	int loaded;
	struct level lv[IX_LEVELS];
	struct ment *e;
	size_t n, cap; /* entries used (deleted ones included) */
	struct mslot *slot;
	uint64_t *dead; /* sorted */
	size_t ndead, capdead;
	struct merge *merge; /* under way, between slices; NULL: none */
	/* Keys that a lookup found held by more than common_max documents:
	 * stock phrases and boilerplate, a fifth of a news article's keys,
	 * whose runs a lookup would otherwise read up to max postings of
	 * each time. A key's count only drops by a deletion, which empties
	 * the set, as does a reload (an abort, another process's write). */
	uint32_t *common; /* open addressing on the key, 0 empty */
	size_t ncommon;
	size_t common_max; /* the max the set answers for */
	int common_zero;   /* key 0 is in the set */
	struct pfilt pf[IX_LEVELS];
	struct level pf_tried[IX_LEVELS]; /* runs pf_scan built for, or tried */
};

/*
 * A level's chunks as this transaction found them: chunk c holds buckets
 * c << cshift on, and sits in the run's DBI under c. A chunk's value is
 * looked up once a transaction (LMDB's pointer into the map stays valid
 * until the txn ends: runs change only in a merge's own txns); later
 * lookups index the array.
 */
struct ix_cdir {
	MDB_val *v; /* mv_data NULL: not looked up; mv_size 0: none */
	uint32_t n;
	unsigned shift, cshift;
};

static void pf_drop_all(struct ix *ix);

/*
 * The memtable's tables, the presence filters and the common keys are
 * megabytes read at random, a TLB miss per lookup: a page walk, two
 * dimensional in a virtual machine. Tables of 2 MiB or more are aligned
 * to 2 MiB and asked for transparent huge pages (where THP is "madvise",
 * Debian's default), which took ~4% off a backfill of 20k documents.
 * Freed with free().
 */
#define HUGE_PAGE ((size_t)2 << 20)

static void *
table_alloc(size_t len)
{
	void *p;

	if (len < HUGE_PAGE)
		return malloc(len ? len : 1);
	if (posix_memalign(&p, HUGE_PAGE, len) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len & ~(size_t)4095, MADV_HUGEPAGE); /* a hint */
#endif
	return p;
}

static void *
table_calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if (n * size < HUGE_PAGE)
		return calloc(n ? n : 1, size ? size : 1);
	if ((p = table_alloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

/* realloc(p, len) for a table of oldlen bytes. */
static void *
table_realloc(void *p, size_t oldlen, size_t len)
{
	void *n;

	if (len < HUGE_PAGE)
		return realloc(p, len);
	if ((n = table_alloc(len)) == NULL)
		return NULL;
	if (p != NULL)
		memcpy(n, p, oldlen < len ? oldlen : len);
	free(p);
	return n;
}

#define COMMON_SLOTS (1u << 19) /* 2 MiB; up to half of it used */

static const char *dbi_names[IX_NDBI] = {
    "ixlog", "ixdead", "ix1a", "ix1b", "ix2a", "ix2b", "ix3a", "ix3b"};

const char *
ix_dbi_name(size_t i)
{
	return i < IX_NDBI ? dbi_names[i] : NULL;
}

MDB_dbi *
ix_dbi_slot(struct ix_dbis *d, size_t i)
{
	if (i == 0)
		return &d->log;
	if (i == 1)
		return &d->dead;
	return &d->run[(i - 2) / 2][(i - 2) % 2];
}

int
ix_new(const struct ix_dbis *d, uint32_t mt_max, struct ix **out)
{
	struct ix *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return ENOMEM;
	ix->d = *d;
	ix->mt_max = mt_max < 1024 ? 1024 : mt_max;
	ix->mask = 1;
	while (ix->mask < 2 * ix->mt_max - 1)
		ix->mask = ix->mask * 2 + 1;
	*out = ix;
	return 0;
}

void
ix_free(struct ix *ix)
{
	if (ix == NULL)
		return;
	free(ix->e);
	free(ix->slot);
	free(ix->dead);
	free(ix->common);
	pf_drop_all(ix);
	ix_merge_abandon(ix);
	free(ix);
}

void
ix_txn_end(struct ix *ix, struct ix_txn *t)
{
	(void)ix;
	for (int i = 0; i < IX_LEVELS; i++) {
		if (t->cd[i] != NULL)
			free(t->cd[i]->v);
		free(t->cd[i]);
		t->cd[i] = NULL;
	}
}

/* ---- Meta record ---------------------------------------------------------
 */

static int
meta_read(struct ix_txn *t, const struct ix_dbis *d, uint64_t *gen,
    struct level lv[IX_LEVELS])
{
	MDB_val k = {strlen(META_NAME), (void *)META_NAME}, v;
	int rc = mdb_get(t->txn, d->meta, &k, &v);

	memset(lv, 0, IX_LEVELS * sizeof(*lv));
	*gen = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != META_LEN)
		return MDB_CORRUPTED;
	const unsigned char *p = v.mv_data;
	*gen = rec_get_u64(p);
	for (int i = 0; i < IX_LEVELS; i++) {
		const unsigned char *q = p + 8 + 25 * i;
		lv[i].active = q[0];
		lv[i].npost = rec_get_u64(q + 1);
		lv[i].lo = rec_get_u64(q + 9);
		lv[i].hi = rec_get_u64(q + 17);
		if (lv[i].active > 1)
			return MDB_CORRUPTED;
	}
	return 0;
}

static int
meta_write(struct ix *ix, struct ix_txn *t)
{
	unsigned char buf[META_LEN];
	MDB_val k = {strlen(META_NAME), (void *)META_NAME};
	MDB_val v = {sizeof(buf), buf};

	rec_put_u64(buf, ix->gen);
	for (int i = 0; i < IX_LEVELS; i++) {
		unsigned char *q = buf + 8 + 25 * i;
		q[0] = (unsigned char)ix->lv[i].active;
		rec_put_u64(q + 1, ix->lv[i].npost);
		rec_put_u64(q + 9, ix->lv[i].lo);
		rec_put_u64(q + 17, ix->lv[i].hi);
	}
	return mdb_put(t->txn, ix->d.meta, &k, &v, 0);
}

/* The index's own key: the caller's key mixed (a bijection). Winnowing
 * keeps the smallest hash of each window, so the caller's keys crowd the
 * low end of the key space; mixed, they spread evenly over the buckets
 * of a run and the bits of a presence filter. */
static inline uint32_t
hkey_of(uint32_t key)
{
	return key * 0x9e3779b1u;
}

/* ---- Memtable ------------------------------------------------------------
 */

static void
mt_clear(struct ix *ix)
{
	ix->n = 0;
	if (ix->slot != NULL)
		memset(ix->slot, 0, (ix->mask + 1) * sizeof(*ix->slot));
}

/* The slot of key: its own, or the empty one where it would go. There is
 * always an empty slot: mt_insert keeps the table at most half full. */
static struct mslot *
mt_slot(const struct ix *ix, uint32_t key)
{
	uint32_t i = key & ix->mask;
	while (ix->slot[i].head != 0 && ix->slot[i].key != key)
		i = (i + 1) & ix->mask;
	return &ix->slot[i];
}

/* Double the slots (a document with more keys than the memtable holds). */
static int
mt_grow(struct ix *ix)
{
	struct mslot *old = ix->slot;
	uint32_t oldmask = ix->mask;

	if (ix->mask >= UINT32_MAX / 2)
		return ENOMEM;
	if ((ix->slot = table_calloc((size_t)ix->mask * 2 + 2, sizeof(*old))) ==
	    NULL) {
		ix->slot = old;
		return ENOMEM;
	}
	ix->mask = ix->mask * 2 + 1;
	for (size_t i = 0; i <= oldmask; i++)
		if (old[i].head != 0)
			*mt_slot(ix, old[i].key) = old[i];
	free(old);
	return 0;
}

static int
mt_insert(struct ix *ix, uint32_t key, uint64_t id)
{
	if (ix->slot == NULL &&
	    (ix->slot = table_calloc(ix->mask + 1, sizeof(*ix->slot))) == NULL)
		return ENOMEM;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 4096;
		if (ix->cap < ix->mt_max && cap > ix->mt_max)
			cap = ix->mt_max;
		struct ment *e = table_realloc(
		    ix->e, ix->cap * sizeof(*e), cap * sizeof(*e));
		if (e == NULL)
			return ENOMEM;
		ix->e = e;
		ix->cap = cap;
	}
	if (ix->n + 1 > (ix->mask + 1) / 2) {
		int rc = mt_grow(ix);
		if (rc != 0)
			return rc;
	}
	struct mslot *sl = mt_slot(ix, key);
	if (sl->head == 0)
		sl->key = key;
	ix->e[ix->n] = (struct ment){key, sl->head, id};
	sl->head = (uint32_t)++ix->n;
	sl->count++;
	return 0;
}

/* ---- Common keys --------------------------------------------------------
 */

static void
common_clear(struct ix *ix)
{
	if (ix->common != NULL && ix->ncommon > 0)
		memset(ix->common, 0, COMMON_SLOTS * sizeof(*ix->common));
	ix->ncommon = 0;
	ix->common_zero = 0;
}

static int
common_has(const struct ix *ix, uint32_t key, size_t max)
{
	if (ix->common_max != max || (ix->ncommon == 0 && !ix->common_zero))
		return 0;
	if (key == 0)
		return ix->common_zero;
	for (uint32_t i = (key * 0x9e3779b1u) >> 13;;
	     i = (i + 1) % COMMON_SLOTS)
		if (ix->common[i] == key || ix->common[i] == 0)
			return ix->common[i] == key;
}

/* Remember key as common for max; a full set takes no more (they are
 * only looked up again). */
static void
common_add(struct ix *ix, uint32_t key, size_t max)
{
	if (ix->common_max != max) {
		common_clear(ix);
		ix->common_max = max;
	}
	if (key == 0) {
		ix->common_zero = 1;
		return;
	}
	if (ix->ncommon >= COMMON_SLOTS / 2 ||
	    (ix->common == NULL && (ix->common = table_calloc(COMMON_SLOTS,
	                                sizeof(*ix->common))) == NULL))
		return;
	uint32_t i = (key * 0x9e3779b1u) >> 13;
	while (ix->common[i] != 0 && ix->common[i] != key)
		i = (i + 1) % COMMON_SLOTS;
	if (ix->common[i] == 0) {
		ix->common[i] = key;
		ix->ncommon++;
	}
}

/* Decode a log record (sorted unique big-endian u32 keys). */
static int
log_keys(const MDB_val *v, const unsigned char **p, size_t *n)
{
	if (v->mv_size % 4 != 0)
		return MDB_CORRUPTED;
	*p = v->mv_data;
	*n = v->mv_size / 4;
	for (size_t i = 1; i < *n; i++)
		if (rec_get_u32(*p + 4 * i) <= rec_get_u32(*p + 4 * (i - 1)))
			return MDB_CORRUPTED;
	return 0;
}

/* Where id is, or would go, in the sorted dead set. */
static size_t
dead_find(const struct ix *ix, uint64_t id)
{
	size_t lo = 0, hi = ix->ndead;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->dead[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
dead_insert(struct ix *ix, uint64_t id)
{
	size_t lo = dead_find(ix, id);

	if (lo < ix->ndead && ix->dead[lo] == id)
		return 0;
	if (ix->ndead == ix->capdead) {
		size_t cap = ix->capdead ? ix->capdead * 2 : 64;
		uint64_t *d = realloc(ix->dead, cap * sizeof(*d));
		if (d == NULL)
			return ENOMEM;
		ix->dead = d;
		ix->capdead = cap;
	}
	memmove(ix->dead + lo + 1, ix->dead + lo,
	    (ix->ndead - lo) * sizeof(*ix->dead));
	ix->dead[lo] = id;
	ix->ndead++;
	return 0;
}

static int
is_dead(const struct ix *ix, uint64_t id)
{
	size_t lo = dead_find(ix, id);

	return lo < ix->ndead && ix->dead[lo] == id;
}

/* ---- Presence filters ----------------------------------------------------
 */

static void
pf_free(struct pfilt *f)
{
	free(f->bits);
	memset(f, 0, sizeof(*f));
}

static void
pf_drop_all(struct ix *ix)
{
	for (int l = 0; l < IX_LEVELS; l++)
		pf_free(&ix->pf[l]);
}

/* A filter for a run of up to npost postings: twice as many bits, a
 * power of two, at most PF_BITS_MAX. */
static int
pf_init(struct pfilt *f, uint64_t npost)
{
	unsigned b = 10;

	memset(f, 0, sizeof(*f));
	while (
	    ((uint64_t)1 << b) < PF_BITS_MAX && ((uint64_t)1 << b) < 2 * npost)
		b++;
	if ((f->bits = table_calloc(((size_t)1 << b) / 64, sizeof(uint64_t))) ==
	    NULL)
		return ENOMEM;
	f->shift = 32 - b;
	return 0;
}

/* hkeys are spread evenly (hkey_of): their top bits make the bit. */
static inline uint32_t
pf_bit(const struct pfilt *f, uint32_t hkey)
{
	return hkey >> f->shift;
}

static inline void
pf_set(struct pfilt *f, uint32_t key)
{
	uint32_t i = pf_bit(f, key);
	uint64_t m = (uint64_t)1 << (i & 63);

	if (!(f->bits[i >> 6] & m)) {
		f->bits[i >> 6] |= m;
		f->nset++;
	}
}

static int
level_same(const struct level *a, const struct level *b)
{
	return a->active == b->active && a->npost == b->npost &&
	       a->lo == b->lo && a->hi == b->hi;
}

/* Fuller than PF_FILL_MAX, a filter lets most keys through: the
 * lookup is cheaper without the test. */
static int
pf_full(const struct pfilt *f)
{
	return f->nset > PF_FILL_MAX * (double)((uint64_t)1 << (32 - f->shift));
}

/* 0 if level l surely lacks key, 1 if it may hold it. */
static inline int
pf_may(const struct ix *ix, int l, uint32_t key)
{
	const struct pfilt *f = &ix->pf[l];
	uint32_t i;

	if (f->bits == NULL || !level_same(&f->lv, &ix->lv[l]))
		return 1;
	i = pf_bit(f, key);
	return (f->bits[i >> 6] >> (i & 63)) & 1;
}

/* Rebuild the memtable and the dead set from the log and dead DBIs. */
static int
reload(struct ix *ix, struct ix_txn *t, uint64_t gen)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	ix->loaded = 0;
	mt_clear(ix);
	common_clear(ix);
	pf_drop_all(ix);
	memset(ix->pf_tried, 0, sizeof(ix->pf_tried));
	ix->ndead = 0;
	if ((rc = mdb_cursor_open(t->txn, ix->d.log, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const unsigned char *p;
		size_t n;
		uint64_t id;
		if (k.mv_size != 8 || (id = rec_get_u64(k.mv_data)) == 0 ||
		    (rc = log_keys(&v, &p, &n)) != 0) {
			rc = rc ? rc : MDB_CORRUPTED;
			break;
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = mt_insert(ix, hkey_of(rec_get_u32(p + 4 * i)), id);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, ix->d.dead, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		if ((rc = dead_insert(ix, rec_get_u64(k.mv_data))) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	ix->gen = gen;
	ix->loaded = 1;
	return 0;
}

/* Make the memtable reflect this txn's view, once per txn. */
static int
sync_txn(struct ix *ix, struct ix_txn *t)
{
	struct level lv[IX_LEVELS];
	uint64_t gen;
	int rc;

	if (t->synced)
		return 0;
	if ((rc = meta_read(t, &ix->d, &gen, lv)) != 0)
		return rc;
	memcpy(ix->lv, lv, sizeof(lv));
	if (!ix->loaded || gen != ix->gen)
		if ((rc = reload(ix, t, gen)) != 0)
			return rc;
	t->synced = 1;
	return 0;
}

/* First write of the txn: a new generation, so that an abort (the store
 * on disk keeps the old one) makes the next txn rebuild the memtable. */
static int
touch(struct ix *ix, struct ix_txn *t)
{
	int rc;

	if ((rc = sync_txn(ix, t)) != 0)
		return rc;
	if (t->dirty)
		return 0;
	ix->gen++;
	if ((rc = meta_write(ix, t)) != 0)
		return rc;
	t->dirty = 1;
	return 0;
}

/* ---- Runs ----------------------------------------------------------------
 */

static MDB_dbi
run_dbi(const struct ix *ix, int level, unsigned which)
{
	return ix->d.run[level][which];
}

/* Reads a run in (hkey, id) order: chunk by chunk, bucket by bucket. Between
 * the transactions of a merge the cursor is closed and the position kept
 * as the chunk's LMDB key and offsets into it, which rit_resume turns
 * back into pointers. */
struct rit {
	MDB_cursor *c;
	const unsigned char *base; /* the chunk's value */
	struct rec_chunk ch;
	uint32_t bucket; /* the current one */
	struct rec_bucket b;
	struct rec_ids ids;
	struct rec_ids ent; /* the whole entry of the current key */
	int eof;
	uint32_t key; /* current posting */
	uint64_t id;
	unsigned char ck[4]; /* the current chunk's key */
	size_t o[6]; /* b.p, b.end, ids.p, ids.end, ent.p, ent.end, closed */
};

/* Position on the chunk at op (MDB_FIRST, MDB_NEXT, MDB_SET_KEY at ck)
 * and open it at its first bucket (MDB_SET_KEY: leave the position to
 * the caller); eof at the end of the run. */
static int
rit_chunk(struct rit *r, MDB_cursor_op op)
{
	MDB_val k = {sizeof(r->ck), r->ck}, v;
	int rc = mdb_cursor_get(r->c, &k, &v, op);

	if (rc == MDB_NOTFOUND && op != MDB_SET_KEY) {
		r->eof = 1;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (k.mv_size != sizeof(r->ck) ||
	    rec_chunk_open(&r->ch, v.mv_data, v.mv_size) != 0 ||
	    rec_chunk_check(&r->ch) != 0)
		return MDB_CORRUPTED;
	memcpy(r->ck, k.mv_data, sizeof(r->ck));
	r->base = v.mv_data;
	if (op == MDB_SET_KEY)
		return 0;
	r->bucket = r->ch.fb;
	memset(&r->ids, 0, sizeof(r->ids));
	return rec_chunk_bucket(&r->ch, r->bucket, &r->b) ? MDB_CORRUPTED : 0;
}

static int
rit_next(struct rit *r)
{
	int rc;

	for (;;) {
		if ((rc = rec_ids_next(&r->ids, &r->id)) > 0)
			return 0;
		if (rc == 0 &&
		    (rc = rec_bucket_next(&r->b, &r->key, &r->ids)) > 0) {
			r->ent = r->ids;
			continue;
		}
		if (rc < 0)
			return MDB_CORRUPTED;
		if (r->bucket - r->ch.fb + 1 < r->ch.nb) {
			if (rec_chunk_bucket(&r->ch, ++r->bucket, &r->b) != 0)
				return MDB_CORRUPTED;
			continue;
		}
		if ((rc = rit_chunk(r, MDB_NEXT)) != 0 || r->eof)
			return rc;
	}
}

static int
rit_open(struct rit *r, MDB_txn *txn, MDB_dbi dbi)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = mdb_cursor_open(txn, dbi, &r->c)) != 0)
		return rc;
	if ((rc = rit_chunk(r, MDB_FIRST)) != 0 || r->eof)
		return rc;
	return rit_next(r);
}

/* Reopen in a later transaction of a merge, at the posting it was on. */
static int
rit_resume(struct rit *r, MDB_txn *txn, MDB_dbi dbi)
{
	int rc;

	if (r->eof || r->c != NULL)
		return 0;
	if ((rc = mdb_cursor_open(txn, dbi, &r->c)) != 0)
		return rc;
	if ((rc = rit_chunk(r, MDB_SET_KEY)) != 0)
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	r->b.p = r->base + r->o[0];
	r->b.end = r->base + r->o[1];
	r->ids.p = r->base + r->o[2];
	r->ids.end = r->base + r->o[3];
	r->ent.p = r->base + r->o[4];
	r->ent.end = r->base + r->o[5];
	return 0;
}

/* Whether r is on the first posting of its key's entry. */
static int
rit_entry_start(const struct rit *r)
{
	return !r->eof && r->ids.left + 1 == r->ent.left;
}

/* Past the rest of the current key's entry (then rit_next). */
static void
rit_skip_entry(struct rit *r)
{
	r->ids.left = 0;
	r->ids.p = r->ids.end;
}

static void
rit_close(struct rit *r)
{
	if (r->c == NULL)
		return;
	if (!r->eof) {
		r->o[0] = (size_t)(r->b.p - r->base);
		r->o[1] = (size_t)(r->b.end - r->base);
		r->o[2] = (size_t)(r->ids.p - r->base);
		r->o[3] = (size_t)(r->ids.end - r->base);
		r->o[4] = (size_t)(r->ent.p - r->base);
		r->o[5] = (size_t)(r->ent.end - r->base);
	}
	mdb_cursor_close(r->c);
	r->c = NULL;
}

/*
 * Writes a run in (hkey, id) order. A key's ids are gathered (encoded)
 * until the next key, then written as an entry of its bucket; a chunk is
 * put (MDB_APPEND) when a key falls in the next one. Chunks with no
 * posting are not written.
 */
#define CHUNK_TARGET (64u << 10)
#define BUCKET_POST 16 /* postings a bucket holds, at most on average */

struct rw {
	MDB_cursor *c;
	unsigned shift;      /* bucket: hkey >> shift */
	unsigned cshift;     /* chunk: bucket >> cshift */
	int open;            /* a chunk is under way */
	uint32_t fb, bucket; /* its first bucket, the current one */
	uint32_t last;       /* the last hkey written to it */
	unsigned char *data; /* its buckets so far */
	size_t dlen, dcap;
	uint32_t *off; /* where its buckets start in data */
	size_t offcap;
	int have_key; /* the key being gathered */
	uint32_t key;
	uint32_t nids;
	uint64_t prev_id;
	unsigned char *ids; /* its ids, encoded */
	size_t ilen, icap;
	uint64_t npost, lo, hi;
	uint64_t bytes;   /* encoded so far */
	struct pfilt *pf; /* the run's filter to fill, or NULL */
};

/* Buckets of 2^shift hkeys for a run of about npost postings, 2^cshift
 * buckets a chunk. */
static void
rw_shape(struct rw *w, uint64_t npost)
{
	unsigned lg = 0, c = 0;

	while (lg < 31 && ((uint64_t)BUCKET_POST << lg) < npost)
		lg++;
	w->shift = 32 - (lg ? lg : 1);
	while (c < 32 - w->shift &&
	       ((size_t)2 << c) * (BUCKET_POST * 3 + 4) <= CHUNK_TARGET)
		c++;
	w->cshift = c;
}

static void
rw_free(struct rw *w)
{
	free(w->data);
	free(w->off);
	free(w->ids);
	w->data = w->ids = NULL;
	w->off = NULL;
	w->dcap = w->icap = w->offcap = 0;
}

/* Room for need elements: the capacity doubled from 1024 as needed. */
static size_t
cap_for(size_t cap, size_t need)
{
	size_t c = cap ? cap : 1024;

	while (c < need)
		c *= 2;
	return c;
}

static int
grow_bytes(unsigned char **p, size_t *cap, size_t need)
{
	size_t c = cap_for(*cap, need);
	unsigned char *n;

	if (need <= *cap)
		return 0;
	if ((n = realloc(*p, c)) == NULL)
		return ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

static int
grow_u32(uint32_t **p, size_t *cap, size_t need)
{
	size_t c = cap_for(*cap, need);
	uint32_t *n;

	if (need <= *cap)
		return 0;
	if ((n = realloc(*p, c * sizeof(*n))) == NULL)
		return ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

/* Put the chunk under way: its buckets up to w->bucket written, the rest
 * empty. */
static int
rw_put_chunk(struct rw *w)
{
	uint32_t nb = (uint32_t)1 << w->cshift;
	unsigned char kb[4];
	MDB_val k = {4, kb}, v;
	int rc;

	if (!w->open)
		return 0;
	if ((rc = grow_u32(&w->off, &w->offcap, (size_t)nb + 1)) != 0)
		return rc;
	for (uint32_t i = w->bucket - w->fb + 1; i <= nb; i++)
		w->off[i] = (uint32_t)w->dlen;
	v.mv_size = REC_CHUNK_HEAD + 4 * ((size_t)nb + 1) + w->dlen;
	v.mv_data = NULL;
	rec_put_u32(kb, w->fb >> w->cshift);
	if ((rc = mdb_cursor_put(w->c, &k, &v, MDB_APPEND | MDB_RESERVE)) != 0)
		return rc;
	unsigned char *p = v.mv_data;
	rec_chunk_head(p, w->shift, w->fb, nb);
	p += REC_CHUNK_HEAD;
	for (uint32_t i = 0; i <= nb; i++, p += 4)
		rec_put_u32(p, w->off[i]);
	memcpy(p, w->data, w->dlen);
	w->open = 0;
	w->dlen = 0;
	return 0;
}

/* Write the gathered key as an entry of its bucket. */
static int
rw_put_key(struct rw *w)
{
	uint32_t b = w->key >> w->shift, dk;
	int rc;

	if (!w->have_key)
		return 0;
	w->have_key = 0;
	if (w->open && b >> w->cshift != w->fb >> w->cshift &&
	    (rc = rw_put_chunk(w)) != 0)
		return rc;
	if (!w->open) {
		if ((rc = grow_u32(&w->off, &w->offcap, 1)) != 0)
			return rc;
		w->open = 1;
		w->fb = w->bucket = b >> w->cshift << w->cshift;
		w->off[0] = 0;
	}
	for (; w->bucket < b; w->bucket++) { /* buckets ended (or empty) */
		size_t i = w->bucket - w->fb + 1;
		if ((rc = grow_u32(&w->off, &w->offcap, i + 2)) != 0)
			return rc;
		w->off[i] = (uint32_t)w->dlen;
	}
	size_t at = w->off[w->bucket - w->fb];
	dk = w->key - (at == w->dlen ? b << w->shift : w->last);
	if ((rc = grow_bytes(&w->data, &w->dcap,
	         w->dlen + 3 * REC_VARINT_MAX + w->ilen)) != 0)
		return rc;
	size_t len = rec_entry_head(w->data + w->dlen, dk, w->nids, w->ilen);
	memcpy(w->data + w->dlen + len, w->ids, w->ilen);
	w->dlen += len + w->ilen;
	/* Counted as encoded: a slice of a merge may end inside a chunk,
	 * whose bytes wait here for the next slice. */
	w->bytes += len + w->ilen;
	w->last = w->key;
	return 0;
}

static int
rw_add(struct rw *w, uint32_t key, uint64_t id)
{
	int rc;

	if (w->have_key && key == w->key && id == w->prev_id)
		return 0; /* the same posting twice: keep one */
	if (!w->have_key || key != w->key) {
		if ((rc = rw_put_key(w)) != 0)
			return rc;
		w->have_key = 1;
		w->key = key;
		w->nids = 0;
		w->prev_id = 0;
		w->ilen = 0;
		if (w->pf != NULL)
			pf_set(w->pf, key);
	}
	if ((rc = grow_bytes(&w->ids, &w->icap, w->ilen + REC_VARINT_MAX)) != 0)
		return rc;
	w->ilen += rec_varint_put(w->ids + w->ilen, id - w->prev_id);
	w->prev_id = id;
	w->nids++;
	w->npost++;
	if (w->lo == 0 || id < w->lo)
		w->lo = id;
	if (id > w->hi)
		w->hi = id;
	return 0;
}

/*
 * Key's whole entry from an input run, its ids (encoded from 0, as in
 * rw_add) copied as they are: no other posting of key is or will be in
 * w. Its ids lie in [lo, hi] (its level's), all kept.
 */
static int
rw_add_entry(struct rw *w, uint32_t key, const struct rec_ids *ent, uint64_t lo,
    uint64_t hi)
{
	size_t len = (size_t)(ent->end - ent->p);
	int rc;

	if ((rc = rw_put_key(w)) != 0 ||
	    (rc = grow_bytes(&w->ids, &w->icap, len)) != 0)
		return rc;
	w->have_key = 1;
	w->key = key;
	w->nids = ent->left;
	w->prev_id = 0; /* unused: the next posting has another key */
	memcpy(w->ids, ent->p, len);
	w->ilen = len;
	w->npost += ent->left;
	if (w->pf != NULL)
		pf_set(w->pf, key);
	if (w->lo == 0 || lo < w->lo)
		w->lo = lo;
	if (hi > w->hi)
		w->hi = hi;
	return 0;
}

/* The last key and chunk. */
static int
rw_finish(struct rw *w)
{
	int rc = rw_put_key(w);

	return rc != 0 ? rc : rw_put_chunk(w);
}

/* A bitmap of the dead ids in [lo, hi], for filtering a merge. */
struct deadmap {
	uint64_t lo, hi;
	unsigned char *bits;
};

static int
deadmap_build(const struct ix *ix, uint64_t lo, uint64_t hi, struct deadmap *m)
{
	m->lo = lo;
	m->hi = hi;
	m->bits = NULL;
	if (ix->ndead == 0 || hi < lo)
		return 0;
	if ((m->bits = calloc((hi - lo) / 8 + 1, 1)) == NULL)
		return ENOMEM;
	for (size_t i = 0; i < ix->ndead; i++) {
		uint64_t id = ix->dead[i];
		if (id >= lo && id <= hi)
			m->bits[(id - lo) / 8] |=
			    (unsigned char)(1u << ((id - lo) % 8));
	}
	return 0;
}

static int
deadmap_has(const struct deadmap *m, uint64_t id)
{
	if (m->bits == NULL || id < m->lo || id > m->hi)
		return 0;
	return (m->bits[(id - m->lo) / 8] >> ((id - m->lo) % 8)) & 1;
}

/* Forget the dead ids in [lo, hi]: a rewrite dropped their postings. */
static int
dead_purge(struct ix *ix, struct ix_txn *t, uint64_t lo, uint64_t hi)
{
	unsigned char kb[8];
	size_t m = 0;
	int rc;

	for (size_t i = 0; i < ix->ndead; i++) {
		uint64_t id = ix->dead[i];
		if (id < lo || id > hi) {
			ix->dead[m++] = id;
			continue;
		}
		MDB_val k = {8, kb};
		rec_put_u64(kb, id);
		rc = mdb_del(t->txn, ix->d.dead, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	ix->ndead = m;
	return 0;
}

/*
 * Reads the memtable in (key, id) order without walking its chains: every
 * live posting as key << 32 | its entry's index, sorted once (8 bytes a
 * posting). Entries are appended in id order, so within a key the indexes
 * ascend with the ids. The ids are then read from the entries in that
 * order, loads independent of one another that prefetching overlaps;
 * walking the chains was a dependent miss per posting (4% of a backfill).
 * The memtable must not change meanwhile: a write between two slices of
 * a merge abandons it.
 */
struct mit {
	uint64_t *order; /* key << 32 | entry index, sorted */
	size_t n, at;    /* postings; the current one */
	int eof;
	uint32_t key;
	uint64_t id;
};

#define MIT_AHEAD 16 /* entries prefetched ahead */

static void
mit_load(const struct ix *ix, struct mit *r)
{
	if (r->at >= r->n) {
		r->eof = 1;
		return;
	}
	if (r->at + MIT_AHEAD < r->n)
		__builtin_prefetch(
		    &ix->e[(uint32_t)r->order[r->at + MIT_AHEAD]]);
	r->key = (uint32_t)(r->order[r->at] >> 32);
	r->id = ix->e[(uint32_t)r->order[r->at]].id;
}

static int
mit_next(const struct ix *ix, struct mit *r)
{
	r->at++;
	mit_load(ix, r);
	return 0;
}

/*
 * Sort a[0, n) by the top 32 bits, stably: four passes of a
 * least-significant-digit radix sort through a buffer. The memtable's
 * ~450k postings are appended in id order, so stable on the key is
 * (key, id) order. shingle's in-place bucket sort moved each value to
 * a random place, a cache miss at that size (26 ns a posting, 2% of a
 * backfill); each pass here reads one array and writes 256 streams.
 * The buffer is freed before the merge writes anything, so the merge's
 * peak memory (its slices' dirty pages) is not raised. Without memory
 * for it, the in-place sort does.
 */
static void
sort_by_key(uint64_t *a, size_t n)
{
	size_t cnt[4][256], off;
	uint64_t *tmp, *from = a, *to;

	if (n < 2)
		return;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL) {
		shingle_sort_unique(a, n); /* distinct values: same order */
		return;
	}
	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < 4; p++)
			cnt[p][a[i] >> (32 + 8 * p) & 0xff]++;
	to = tmp;
	for (unsigned p = 0; p < 4; p++) {
		unsigned sh = 32 + 8 * p;
		if (cnt[p][from[0] >> sh & 0xff] == n)
			continue; /* one digit for all: nothing moves */
		off = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = cnt[p][d];
			cnt[p][d] = off;
			off += c;
		}
		for (size_t i = 0; i < n; i++)
			to[cnt[p][from[i] >> sh & 0xff]++] = from[i];
		uint64_t *t = from;
		from = to;
		to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
	free(tmp);
}

static int
mit_open(const struct ix *ix, struct mit *r)
{
	memset(r, 0, sizeof(*r));
	if ((r->order = malloc((ix->n ? ix->n : 1) * sizeof(*r->order))) ==
	    NULL)
		return ENOMEM;
	for (size_t i = 0; i < ix->n; i++)
		if (ix->e[i].id != 0) /* 0: deleted */
			r->order[r->n++] = (uint64_t)ix->e[i].key << 32 | i;
	sort_by_key(r->order, r->n);
	for (size_t i = 0; i < MIT_AHEAD && i < r->n; i++)
		__builtin_prefetch(&ix->e[(uint32_t)r->order[i]]);
	mit_load(ix, r);
	return 0;
}

static void
mit_free(struct mit *r)
{
	free(r->order);
}

static uint64_t
level_cap(const struct ix *ix, int level)
{
	uint64_t cap = ix->mt_max;
	for (int i = 0; i <= level; i++)
		cap *= LEVEL_RATIO;
	return cap;
}

/*
 * A merge of two sorted streams into level dst's spare run: the memtable
 * (src < 0) or level src's
 * run, and dst's active run. It is written in slices, a transaction each
 * (ix_merge_step), so that the pages LMDB holds in memory until commit are
 * bounded by the slice, not by the size of the level. The inputs stay
 * untouched until the last slice, which drops them, makes the spare active
 * and writes the meta record at once: a reader or a crash between slices
 * sees the old runs, complete, and a half-written spare nothing refers to
 * (the next merge empties it first). If another process wrote between two
 * slices the merge is abandoned and started again later.
 */
struct merge {
	int src, dst;
	struct mit mem;  /* src < 0: the memtable */
	uint64_t upto;   /* src < 0: the newest id in it */
	struct rit a, b; /* src's run (src >= 0), dst's active run */
	struct rw w;     /* dst's spare run */
	struct pfilt pf; /* its presence filter, if any */
	struct deadmap dm;
	uint64_t lo, hi; /* ids of the inputs */
	uint64_t gen;    /* the generation our last slice wrote */
};

static void
merge_free(struct ix *ix)
{
	struct merge *m = ix->merge;

	if (m == NULL)
		return;
	mit_free(&m->mem);
	rw_free(&m->w);
	pf_free(&m->pf);
	free(m->dm.bits);
	free(m);
	ix->merge = NULL;
}

/* Cursors of a write txn die with it: close them at every slice's end. */
static void
merge_close(struct merge *m)
{
	rit_close(&m->a);
	rit_close(&m->b);
	if (m->w.c != NULL)
		mdb_cursor_close(m->w.c);
	m->w.c = NULL;
}

static int
merge_start(struct ix *ix, struct ix_txn *t, int src, int dst)
{
	struct level *out = &ix->lv[dst];
	struct merge *m;
	int rc;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	ix->merge = m;
	m->src = src;
	m->dst = dst;
	m->a.eof = m->b.eof = 1;
	m->lo = UINT64_MAX;
	if (src >= 0) {
		m->lo = ix->lv[src].lo;
		m->hi = ix->lv[src].hi;
	} else {
		/* Ids ascend along the entries: the first and last live. */
		for (size_t i = 0; i < ix->n && m->lo == UINT64_MAX; i++)
			if (ix->e[i].id != 0)
				m->lo = ix->e[i].id;
		for (size_t i = ix->n; i > 0 && m->hi == 0; i--)
			m->hi = ix->e[i - 1].id;
		if ((rc = mit_open(ix, &m->mem)) != 0)
			return rc;
		m->upto = m->hi;
	}
	if (out->npost > 0) {
		if (out->lo < m->lo)
			m->lo = out->lo;
		if (out->hi > m->hi)
			m->hi = out->hi;
	}
	uint64_t in = out->npost + (src >= 0 ? ix->lv[src].npost : ix->n);
	rw_shape(&m->w, in);
	if (dst + 1 < IX_LEVELS) {
		if ((rc = pf_init(&m->pf, in)) != 0)
			return rc;
		m->w.pf = &m->pf;
	}
	if ((rc = mdb_drop(t->txn, run_dbi(ix, dst, !out->active), 0)) != 0 ||
	    (rc = deadmap_build(ix, m->lo, m->hi, &m->dm)) != 0)
		return rc;
	if (src >= 0 && (rc = rit_open(&m->a, t->txn,
	                     run_dbi(ix, src, ix->lv[src].active))) != 0)
		return rc;
	if (out->npost > 0 &&
	    (rc = rit_open(&m->b, t->txn, run_dbi(ix, dst, out->active))) != 0)
		return rc;
	return 0;
}

/* Move postings to the spare until `budget` bytes were written in this
 * txn or both inputs are done (*done, the last block written). */
static int
merge_run(struct ix *ix, struct ix_txn *t, size_t budget, int *done)
{
	struct merge *m = ix->merge;
	int src = m->src, dst = m->dst;
	uint64_t start = m->w.bytes;
	int rc;

	*done = 0;
	if ((rc = mdb_cursor_open(
	         t->txn, run_dbi(ix, dst, !ix->lv[dst].active), &m->w.c)) != 0)
		return rc;
	if (src >= 0 && (rc = rit_resume(&m->a, t->txn,
	                     run_dbi(ix, src, ix->lv[src].active))) != 0)
		return rc;
	if ((rc = rit_resume(
	         &m->b, t->txn, run_dbi(ix, dst, ix->lv[dst].active))) != 0)
		return rc;
	while (m->w.bytes - start < budget) {
		int have_a = src >= 0 ? !m->a.eof : !m->mem.eof;
		uint32_t ak = 0;
		uint64_t aid = 0;
		if (!have_a && m->b.eof) {
			*done = 1;
			return rw_finish(&m->w);
		}
		if (have_a) {
			ak = src >= 0 ? m->a.key : m->mem.key;
			aid = src >= 0 ? m->a.id : m->mem.id;
		}
		int take_a = have_a && (m->b.eof || ak < m->b.key ||
		                           (ak == m->b.key && aid < m->b.id));
		uint32_t key = take_a ? ak : m->b.key;
		uint64_t id = take_a ? aid : m->b.id;
		struct rit *r = take_a ? (src >= 0 ? &m->a : NULL) : &m->b;
		/* A key only one input holds, nothing dead: its entry as it
		 * is (most of a level's keys get no posting from a flush). */
		if (r != NULL && m->dm.bits == NULL && rit_entry_start(r) &&
		    (take_a ? m->b.eof || m->b.key != key
		            : !have_a || ak != key) &&
		    !(m->w.have_key && m->w.key == key)) {
			const struct level *lv = &ix->lv[take_a ? src : dst];
			if ((rc = rw_add_entry(
			         &m->w, key, &r->ent, lv->lo, lv->hi)) != 0)
				return rc;
			rit_skip_entry(r);
			if ((rc = rit_next(r)) != 0)
				return rc;
			continue;
		}
		if (!deadmap_has(&m->dm, id) &&
		    (rc = rw_add(&m->w, key, id)) != 0)
			return rc;
		if (!take_a)
			rc = rit_next(&m->b);
		else if (src >= 0)
			rc = rit_next(&m->a);
		else
			rc = mit_next(ix, &m->mem);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Empty the log of the ids up to upto (the memtable's, now in a run). */
static int
log_trim(struct ix *ix, struct ix_txn *t, uint64_t upto)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, ix->d.log, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8 && rec_get_u64(k.mv_data) <= upto) {
		/* The usual case: nothing newer, the whole log goes. */
		mdb_cursor_close(c);
		if ((rc = mdb_drop(t->txn, ix->d.log, 0)) == 0)
			mt_clear(ix);
		return rc;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || rec_get_u64(k.mv_data) > upto)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	ix->loaded = 0; /* rebuilt from what the log keeps */
	return 0;
}

/* The last slice: the spare replaces the inputs. */
static int
merge_finish(struct ix *ix, struct ix_txn *t)
{
	struct merge *m = ix->merge;
	struct level *out = &ix->lv[m->dst];
	int rc;

	if (out->npost > 0 &&
	    (rc = mdb_drop(t->txn, run_dbi(ix, m->dst, out->active), 0)) != 0)
		return rc;
	if (m->src >= 0) {
		if ((rc = mdb_drop(t->txn,
		         run_dbi(ix, m->src, ix->lv[m->src].active), 0)) != 0)
			return rc;
		memset(&ix->lv[m->src], 0, sizeof(ix->lv[m->src]));
	} else if ((rc = log_trim(ix, t, m->upto)) != 0) {
		return rc;
	}
	out->active = !out->active;
	out->npost = m->w.npost;
	out->lo = m->w.npost ? m->w.lo : 0;
	out->hi = m->w.npost ? m->w.hi : 0;
	if (m->hi >= m->lo && (rc = dead_purge(ix, t, m->lo, m->hi)) != 0)
		return rc;
	if ((rc = meta_write(ix, t)) != 0)
		return rc;
	/* The new run's filter replaces the old one's; the source level is
	 * empty now. A filter that filled up would let most keys through:
	 * the seek is cheaper without the test. */
	if (m->src >= 0)
		pf_free(&ix->pf[m->src]);
	pf_free(&ix->pf[m->dst]);
	if (m->pf.bits != NULL && !pf_full(&m->pf)) {
		ix->pf[m->dst] = m->pf;
		ix->pf[m->dst].lv = *out;
		memset(&m->pf, 0, sizeof(m->pf));
	}
	m->w.pf = NULL;
	return 0;
}

/* The merge the index needs next, if any: the memtable once full, then
 * each level over its size into the next. */
static int
merge_wanted(const struct ix *ix, int *src, int *dst)
{
	/* At 7/8 full: writes go on until the owner merges (a batch of the
	 * daemon's: a few percent of the default), and the tables, sized
	 * for mt_max, would double (+20 MB) to take the overshoot. */
	if (ix->n >= ix->mt_max - ix->mt_max / 8) {
		*src = -1;
		*dst = 0;
		return 1;
	}
	for (int l = 0; l + 1 < IX_LEVELS; l++)
		if (ix->lv[l].npost > level_cap(ix, l)) {
			*src = l;
			*dst = l + 1;
			return 1;
		}
	return 0;
}

/* ---- Contract ------------------------------------------------------------
 */

int
ix_add(struct ix *ix, struct ix_txn *t, uint64_t id, const uint64_t *keys,
    size_t n)
{
	unsigned char kb[8], *rec;
	size_t m = 0;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = touch(ix, t)) != 0)
		return rc;
	if ((rec = malloc(4 * n)) == NULL)
		return ENOMEM;
	/* Keys are sorted by 64 bits: their high halves are sorted too. */
	for (size_t i = 0; i < n; i++) {
		uint32_t k = (uint32_t)(keys[i] >> 32);
		if (m > 0 && rec_get_u32(rec + 4 * (m - 1)) >= k)
			continue;
		rec_put_u32(rec + 4 * m++, k);
	}
	MDB_val k = {8, kb}, v = {4 * m, rec};
	rec_put_u64(kb, id);
	rc = mdb_put(t->txn, ix->d.log, &k, &v, MDB_APPEND);
	for (size_t i = 0; i < m && rc == 0; i++)
		rc = mt_insert(ix, hkey_of(rec_get_u32(rec + 4 * i)), id);
	free(rec);
	return rc;
}

int
ix_merge_wanted(const struct ix *ix)
{
	int src, dst;

	return ix->merge != NULL || merge_wanted(ix, &src, &dst);
}

void
ix_merge_abandon(struct ix *ix)
{
	if (ix->merge != NULL)
		merge_close(ix->merge);
	merge_free(ix);
}

int
ix_merge_step(struct ix *ix, struct ix_txn *t, size_t budget, int *more)
{
	struct level lv[IX_LEVELS];
	uint64_t gen;
	int src = -1, dst = 0, done, rc;

	*more = 0;
	if (budget == 0)
		budget = IX_SLICE_DEFAULT;
	/* Another writer since our last slice: what we read may be gone. */
	if (ix->merge != NULL && ((rc = meta_read(t, &ix->d, &gen, lv)) != 0 ||
	                             gen != ix->merge->gen))
		ix_merge_abandon(ix);
	if ((rc = sync_txn(ix, t)) != 0)
		return rc;
	if (ix->merge == NULL && !merge_wanted(ix, &src, &dst))
		return 0;
	/* Cursors cached for lookups may point into runs about to go. */
	ix_txn_end(ix, t);
	if ((rc = touch(ix, t)) != 0)
		return rc;
	if (ix->merge == NULL && (rc = merge_start(ix, t, src, dst)) != 0)
		goto fail;
	if ((rc = merge_run(ix, t, budget, &done)) != 0)
		goto fail;
	merge_close(ix->merge);
	if (done) {
		if ((rc = merge_finish(ix, t)) != 0)
			goto fail;
		merge_free(ix);
	} else {
		ix->merge->gen = ix->gen;
	}
	*more = 1;
	return 0;
fail:
	ix_merge_abandon(ix);
	return rc;
}

int
ix_del(struct ix *ix, struct ix_txn *t, uint64_t id)
{
	unsigned char kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	if ((rc = touch(ix, t)) != 0)
		return rc;
	common_clear(ix); /* keys may no longer be held by more than max */
	rec_put_u64(kb, id);
	rc = mdb_get(t->txn, ix->d.log, &k, &v);
	if (rc == 0) {
		const unsigned char *p;
		size_t n;
		if ((rc = log_keys(&v, &p, &n)) != 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			uint32_t key = hkey_of(rec_get_u32(p + 4 * i));
			struct mslot *sl = mt_slot(ix, key);
			for (uint32_t j = sl->head; j; j = ix->e[j - 1].next)
				if (ix->e[j - 1].id == id) {
					ix->e[j - 1].id = 0;
					sl->count--;
				}
		}
		return mdb_del(t->txn, ix->d.log, &k, NULL);
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	/* Not in the memtable: in a run, if anywhere. */
	for (int l = 0; l < IX_LEVELS; l++) {
		if (ix->lv[l].npost == 0 || id < ix->lv[l].lo ||
		    id > ix->lv[l].hi)
			continue;
		MDB_val e = {0, ""};
		if ((rc = mdb_put(t->txn, ix->d.dead, &k, &e, 0)) != 0)
			return rc;
		return dead_insert(ix, id);
	}
	return 0;
}

/*
 * A filter for level l made by reading its run, when it has none: after a
 * start, or a reload, the runs are there but their filters are not (a
 * merge builds them). Once per run; the first lookup of the
 * level in a txn asks. At 100k documents some 50 MB of chunks, a
 * fraction of a second.
 */
static int
pf_scan(struct ix *ix, struct ix_txn *t, int l)
{
	const struct level *lv = &ix->lv[l];
	struct pfilt f;
	struct rit r;
	int rc;

	/* A run smaller than the memtable is in the caches anyway. */
	if (l + 1 >= IX_LEVELS || lv->npost < ix->mt_max ||
	    (ix->pf[l].bits != NULL && level_same(&ix->pf[l].lv, lv)) ||
	    level_same(&ix->pf_tried[l], lv))
		return 0;
	ix->pf_tried[l] = *lv;
	if ((rc = pf_init(&f, lv->npost)) != 0)
		return rc;
	rc = rit_open(&r, t->txn, run_dbi(ix, l, lv->active));
	while (rc == 0 && !r.eof && !pf_full(&f)) {
		pf_set(&f, r.key);
		rc = rit_next(&r);
	}
	rit_close(&r);
	if (rc == 0 && !pf_full(&f)) {
		pf_free(&ix->pf[l]);
		f.lv = *lv;
		ix->pf[l] = f;
		return 0;
	}
	pf_free(&f); /* too full: none */
	return rc;
}

/* t's chunk directory of level l, made from the run's first chunk. */
static int
cdir_get(struct ix *ix, struct ix_txn *t, int l, struct ix_cdir **out)
{
	struct ix_cdir *cd;
	struct rec_chunk ch;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((*out = t->cd[l]) != NULL)
		return 0;
	if ((rc = pf_scan(ix, t, l)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(
	         t->txn, run_dbi(ix, l, ix->lv[l].active), &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	mdb_cursor_close(c);
	if (rc != 0)
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	if (k.mv_size != 4 || rec_chunk_open(&ch, v.mv_data, v.mv_size) != 0 ||
	    (ch.nb & (ch.nb - 1)) != 0)
		return MDB_CORRUPTED;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return ENOMEM;
	cd->shift = ch.shift;
	cd->cshift = (unsigned)__builtin_ctz(ch.nb);
	cd->n = (uint32_t)(((uint64_t)1 << (32 - cd->shift)) >> cd->cshift);
	/* The writer makes chunks of about a thousand buckets of 16
	 * postings: a million chunks (16 MiB of directory, mostly never
	 * touched) would be 2^34 postings, a damaged header. */
	if (cd->n > (1u << 20)) {
		free(cd);
		return MDB_CORRUPTED;
	}
	if ((cd->v = calloc(cd->n ? cd->n : 1, sizeof(*cd->v))) == NULL) {
		free(cd);
		return ENOMEM;
	}
	*out = t->cd[l] = cd;
	return 0;
}

/* Chunk c of level l (absent: ch->nb == 0). */
static int
chunk_get(struct ix *ix, struct ix_txn *t, int l, struct ix_cdir *cd,
    uint32_t c, struct rec_chunk *ch)
{
	MDB_val *v = &cd->v[c];

	if (v->mv_data == NULL) {
		unsigned char kb[4];
		MDB_val k = {4, kb};
		rec_put_u32(kb, c);
		int rc =
		    mdb_get(t->txn, run_dbi(ix, l, ix->lv[l].active), &k, v);
		if (rc == MDB_NOTFOUND) {
			v->mv_data = cd; /* none: any pointer but NULL */
			v->mv_size = 0;
		} else if (rc != 0) {
			v->mv_data = NULL;
			return rc;
		}
	}
	ch->nb = 0;
	if (v->mv_size == 0)
		return 0;
	/* Chunks of one run share their shape; each holds its own range. */
	if (rec_chunk_open(ch, v->mv_data, v->mv_size) != 0 ||
	    ch->shift != cd->shift || ch->nb != (uint32_t)1 << cd->cshift ||
	    ch->fb != c << cd->cshift)
		return MDB_CORRUPTED;
	return 0;
}

/* Postings of hkey in one run, after those already found (*n): its
 * chunk from the transaction's directory, then the bucket's offset and
 * entries, most often a cache line or two each. */
static int
run_lookup(struct ix *ix, struct ix_txn *t, int level, uint32_t key,
    uint64_t *ids, size_t max, int list, size_t *n)
{
	struct ix_cdir *cd;
	struct rec_chunk ch;
	struct rec_bucket b;
	struct rec_ids x;
	uint32_t hk, bucket;
	uint64_t id;
	int rc;

	if ((rc = cdir_get(ix, t, level, &cd)) != 0)
		return rc;
	bucket = key >> cd->shift;
	if ((rc = chunk_get(ix, t, level, cd, bucket >> cd->cshift, &ch)) != 0)
		return rc;
	if (ch.nb == 0)
		return 0;
	if (rec_chunk_bucket(&ch, bucket, &b) != 0)
		return MDB_CORRUPTED;
	while ((rc = rec_bucket_next(&b, &hk, &x)) > 0) {
		if (hk < key)
			continue;
		if (hk > key)
			return 0;
		if (!list && ix->ndead == 0 &&
		    (ids == NULL || *n + x.left > max)) {
			*n += x.left; /* counted, not listed */
			return 0;
		}
		while ((rc = rec_ids_next(&x, &id)) > 0) {
			if (ix->ndead > 0 && is_dead(ix, id))
				continue;
			if (ids != NULL && *n < max)
				ids[*n] = id;
			if (++*n > max)
				return 0;
		}
		return rc < 0 ? MDB_CORRUPTED : 0;
	}
	return rc < 0 ? MDB_CORRUPTED : 0;
}

void
ix_prefetch(
    const struct ix *ix, const struct ix_txn *t, uint64_t key64, int near)
{
	uint32_t key = hkey_of((uint32_t)(key64 >> 32));

	if (!near) {
		if (ix->slot != NULL)
			__builtin_prefetch(&ix->slot[key & ix->mask]);
		if (ix->common != NULL)
			__builtin_prefetch(
			    &ix->common[(key * 0x9e3779b1u) >> 13]);
	} else if (ix->slot != NULL) {
		uint32_t i = key & ix->mask; /* its slot, if not moved on */
		if (ix->slot[i].key == key && ix->slot[i].head != 0)
			__builtin_prefetch(&ix->e[ix->slot[i].head - 1]);
	}
	/* Each level's filter word and bucket offset, then the bucket (in
	 * the chunks this txn has seen). Reading the filter here would wait
	 * for it: a far call only loads it. */
	for (int l = 0; l < IX_LEVELS; l++) {
		const struct ix_cdir *cd = t->cd[l];
		const struct pfilt *f = &ix->pf[l];
		if (!near && f->bits != NULL)
			__builtin_prefetch(&f->bits[pf_bit(f, key) >> 6]);
		if (cd == NULL || (near && !pf_may(ix, l, key)))
			continue;
		uint32_t b = key >> cd->shift;
		const MDB_val *v = &cd->v[b >> cd->cshift];
		if (v->mv_size <= REC_CHUNK_HEAD)
			continue;
		const unsigned char *o = (const unsigned char *)v->mv_data +
		                         REC_CHUNK_HEAD +
		                         4 * (b & ((1u << cd->cshift) - 1));
		if (!near) {
			__builtin_prefetch(o);
			continue;
		}
		/* A prefetch never faults: a damaged offset (the lookup
		 * checks it) only loads a wrong line. */
		const unsigned char *d = (const unsigned char *)v->mv_data +
		                         REC_CHUNK_HEAD +
		                         4 * (((size_t)1 << cd->cshift) + 1);
		size_t at = rec_get_u32(o);
		if (at < v->mv_size)
			__builtin_prefetch(d + at);
	}
}

/* ix_lookup() without the common keys' set. */
static int
lookup(struct ix *ix, struct ix_txn *t, uint32_t key, uint64_t *ids, size_t max,
    size_t *df)
{
	size_t n = 0;
	int rc;

	if (ix->slot != NULL) {
		const struct mslot *sl = mt_slot(ix, key);
		if (sl->count > max) {
			n = max + 1; /* ids are not listed then */
			goto done;
		}
		for (uint32_t k = sl->head; k; k = ix->e[k - 1].next)
			if (ix->e[k - 1].id != 0 && ids != NULL)
				ids[n++] = ix->e[k - 1].id;
			else if (ix->e[k - 1].id != 0)
				n++;
	}
	for (int l = 0; l < IX_LEVELS && n <= max; l++)
		if (ix->lv[l].npost > 0 && pf_may(ix, l, key) &&
		    (rc = run_lookup(ix, t, l, key, ids, max, 0, &n)) != 0)
			return rc;
done:
	*df = n;
	return 0;
}

/* The oldest documents first (the deepest level's, then up to the
 * memtable's), up to max of them listed, whatever the count. */
static int
lookup_oldest(struct ix *ix, struct ix_txn *t, uint32_t key, uint64_t *ids,
    size_t max, size_t *df)
{
	size_t n = 0;
	int rc;

	for (int l = IX_LEVELS - 1; l >= 0 && n <= max; l--)
		if (ix->lv[l].npost > 0 && pf_may(ix, l, key) &&
		    (rc = run_lookup(ix, t, l, key, ids, max, 1, &n)) != 0)
			return rc;
	if (ix->slot != NULL && n <= max) {
		/* The chain runs newest first: its oldest are its tail. */
		const struct mslot *sl = mt_slot(ix, key);
		size_t live = 0, room = max - n, skip;
		uint32_t k;

		for (k = sl->head; k; k = ix->e[k - 1].next)
			live += ix->e[k - 1].id != 0;
		skip = live > room ? live - room : 0;
		for (k = sl->head; k; k = ix->e[k - 1].next) {
			if (ix->e[k - 1].id == 0)
				continue;
			if (skip > 0) {
				skip--;
				continue;
			}
			if (ids != NULL)
				ids[n] = ix->e[k - 1].id;
			n++;
		}
		if (live > room)
			n = max + 1; /* more than max: the oldest max listed */
	}
	*df = n;
	return 0;
}

int
ix_lookup(struct ix *ix, struct ix_txn *t, uint64_t key64, uint64_t *ids,
    size_t max, size_t *df)
{
	uint32_t key = hkey_of((uint32_t)(key64 >> 32));
	int rc;

	*df = 0;
	if ((rc = sync_txn(ix, t)) != 0)
		return rc;
	if (common_has(ix, key, max)) {
		*df = max + 1; /* ids are not listed then */
		return 0;
	}
	if ((rc = lookup(ix, t, key, ids, max, df)) != 0)
		return rc;
	if (*df > max)
		common_add(ix, key, max);
	return 0;
}

int
ix_lookup_all(struct ix *ix, struct ix_txn *t, uint64_t key64, uint64_t *ids,
    size_t max, size_t *df)
{
	int rc;

	*df = 0;
	if ((rc = sync_txn(ix, t)) != 0)
		return rc;
	return lookup_oldest(
	    ix, t, hkey_of((uint32_t)(key64 >> 32)), ids, max, df);
}
