/*
 * index.h - the fingerprint index of the store (internal to store/): a
 * 32-bit key → the ids of the documents holding it, kept as a small
 * log-structured merge tree inside LMDB. See index.c for the layout and
 * why. Only store.c calls these.
 *
 * Functions return 0 or an LMDB code (MDB_*, or a positive errno such as
 * ENOMEM): store.c turns them into its own errors. A failure of a write
 * function leaves the transaction unusable (store.c poisons it).
 *
 * The memtable (the newest postings, in memory) belongs to one store
 * handle; it is rebuilt from the log whenever the store's index generation
 * differs from the one it was built at: after another process wrote, or
 * after a write transaction of ours was aborted. Lookups therefore see the
 * latest writes of this handle, committed or not: the daemon never
 * interleaves a read transaction with a live write transaction.
 */
#ifndef STORE_INDEX_H
#define STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#define IX_LEVELS 3

/* DBIs of the index; opened by store.c. */
struct ix_dbis {
	MDB_dbi meta; /* store's meta DBI: the "index" record */
	MDB_dbi log;  /* id → the document's keys, memtable postings */
	MDB_dbi dead; /* id → (empty): deleted, postings still in a run */
	MDB_dbi run[IX_LEVELS][2]; /* each level: active and spare run */
};

/* Names and flags for store.c's open (IX_NDBI DBIs). */
#define IX_NDBI (2 + 2 * IX_LEVELS)
const char *ix_dbi_name(size_t i);
MDB_dbi *ix_dbi_slot(struct ix_dbis *d, size_t i);

struct ix;
struct ix_cdir;

/* Per-transaction state; zero it at begin, ix_txn_end before the LMDB
 * txn ends. */
struct ix_txn {
	MDB_txn *txn;
	struct ix_cdir *cd[IX_LEVELS]; /* each level's chunks, as found */
	int synced;                    /* memtable checked against the store */
	int dirty;                     /* index written in this txn */
};

/* mt_max: memtable postings before a flush (>= 1024). */
int ix_new(const struct ix_dbis *d, uint32_t mt_max, struct ix **out);
void ix_free(struct ix *ix);
void ix_txn_end(struct ix *ix, struct ix_txn *t);

/* Index the sorted, unique keys of new document id (ids ascend): into the
 * log and the memtable. Never merges: see ix_merge_step. */
int ix_add(struct ix *ix, struct ix_txn *t, uint64_t id, const uint64_t *keys,
    size_t n);
/* Forget document id's postings. */
int ix_del(struct ix *ix, struct ix_txn *t, uint64_t id);
/*
 * Documents holding key (its high 32 bits): up to max ids into ids (any
 * order); *df gets how many hold it, counted up to max + 1 (so *df > max
 * says "more than max"; ids are then not all listed).
 */
int ix_lookup(struct ix *ix, struct ix_txn *t, uint64_t key, uint64_t *ids,
    size_t max, size_t *df);
/* ix_lookup() that neither asks nor fills the set of keys found common
 * (which answers for one max: a key looked up with a max of its own), and
 * lists the oldest documents first (the deepest level's, up to the
 * memtable's), up to max of them however many hold the key. */
int ix_lookup_all(struct ix *ix, struct ix_txn *t, uint64_t key, uint64_t *ids,
    size_t max, size_t *df);
/* A lookup of key in t comes soon: start loading what it reads first
 * (near = 0), or what that leads to (near = 1, after a near = 0 call
 * for the key some lookups earlier). */
void ix_prefetch(
    const struct ix *ix, const struct ix_txn *t, uint64_t key, int near);

/*
 * Merges (a full memtable into level 1, a level over its size into the
 * next) run in their own write txns, a slice each, so that the pages a txn
 * holds in memory stay bounded whatever the size of a level. ix_merge_step
 * does one slice in t (a write txn with nothing else in it) writing about
 * budget bytes (0: IX_SLICE_DEFAULT) and sets *more when there may be more
 * to do; call again, in a new txn after committing this one, until *more
 * is 0. When a step fails, or its txn does not commit, call
 * ix_merge_abandon (the next step starts the merge again). A write from
 * anyone between two steps makes the next step start the merge again.
 * ix_merge_wanted: a merge is under way or due (cheap, no txn).
 */
#define IX_SLICE_DEFAULT (8u << 20)
int ix_merge_step(struct ix *ix, struct ix_txn *t, size_t budget, int *more);
void ix_merge_abandon(struct ix *ix);
int ix_merge_wanted(const struct ix *ix);

#endif
