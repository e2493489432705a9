/*
 * store.h - reprintd's persistent state, over LMDB.
 *
 * No LMDB type leaves this module. The store knows documents, their raw
 * text, an opaque feature blob per document (written and read by match/),
 * an inverted index of keys (winnowed fingerprints), the flagged pairs,
 * rejected files and a few counters. It does not know how keys or
 * features are computed.
 *
 * Errors: every function returning int returns 0 or a negative code:
 * a negative errno (-ENOMEM, -EIO, -ENOSPC, ...) or one of STORE_E* below.
 * store_strerror() turns either into a message.
 *
 * Transactions: one write transaction at a time (the daemon is the single
 * writer; LMDB serializes writers anyway), any number of read transactions.
 * A transaction belongs to the thread that began it. Pointers returned by a
 * get function (paths, text, blobs) point into the map and are valid until
 * the transaction ends; copy what must outlive it.
 *
 * Durability: a committed write transaction is durable (fsync) unless the
 * store was opened with STORE_NOSYNC. kill -9 at any moment leaves the
 * store as of the last commit.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

/* 2: documents carry title, URL, source, author and publication time.
 * 3: texts compressed. 4: the index is a log-structured merge tree of
 * 32-bit keys; no band index, no per-document key record. 5: the
 * index's runs are hashed chunks. 6: documents are indexed under half
 * their fingerprints (match_int.h, KEY_SAMPLED), which a store of 5
 * would answer for with the wrong key counts.
 * A store of another version is refused (STORE_EVERSION); there is no
 * migration: move the old state directory aside and let the daemon
 * ingest the watched directory again. */
#define STORE_SCHEMA_VERSION 6

/* Store-specific errors (negative, below any errno). */
#define STORE_EVERSION (-10001)  /* store has another schema version */
#define STORE_ENOTFOUND (-10002) /* no such document / key */
#define STORE_EMAPFULL (-10003)  /* map at its configured maximum */
#define STORE_ECORRUPT (-10004)  /* a record failed to decode */
#define STORE_ERETRY (-10005)    /* map was grown: abort and redo the txn */

/* store_open flags */
#define STORE_RDONLY 0x1u
#define STORE_NOSYNC 0x2u /* no fsync per commit (benchmarks, tests) */

struct store;
struct store_txn;

struct store_options {
	uint32_t flags;
	uint64_t map_size;     /* initial map size, bytes (0: 64 MiB) */
	uint64_t map_size_max; /* growth limit, bytes (0: 64 GiB) */
	/* Index postings kept in memory before they are merged into the
	 * on-disk runs (0: STORE_INDEX_MEM_DEFAULT); 16 bytes each, plus a
	 * fixed table of 2 heads a posting. Smaller: less memory, more
	 * frequent merges. */
	uint32_t index_mem;
};
#define STORE_INDEX_MEM_DEFAULT (1u << 19)

/*
 * Open (creating if needed) the store in directory `dir`, which must exist.
 * A new store is stamped with STORE_SCHEMA_VERSION; an existing one with
 * another version fails with STORE_EVERSION. Stale reader slots of dead
 * processes are cleared on open. opts may be NULL for defaults.
 *
 * On success *out is the handle. On STORE_EVERSION *out is still set, to a
 * closed handle that serves only store_found_version() and store_close()
 * (the caller must close it); on any other error *out is NULL.
 * STORE_RDONLY maps the size found on disk and fails with -ENOENT if the
 * directory holds no initialized store. map_size and map_size_max are
 * rounded to pages; a map_size_max below map_size is raised to it.
 * Files are created mode 0660 (readers need the lock file), less umask.
 */
int store_open(
    const char *dir, const struct store_options *opts, struct store **out);
void store_close(struct store *st);

/*
 * Change the growth limit of an open store (a configuration reload). The
 * limit is rounded down to pages and is never below the map's current
 * size: a live map does not shrink. A write that failed with
 * STORE_EMAPFULL may succeed when redone under a higher limit. Call with
 * no transaction live. Returns 0, or -EINVAL.
 */
int store_set_map_max(struct store *st, uint64_t map_size_max);
const char *store_strerror(int err);
/* Schema version found on disk by the last failed open (for messages);
 * STORE_SCHEMA_VERSION on an open handle, 0 for NULL. */
int store_found_version(const struct store *st);

/*
 * Begin a transaction; `write` nonzero for a write transaction.
 * commit: 0 or an error (the txn is freed either way). If a write inside
 * the txn failed with STORE_ERETRY the map has been grown: abort and redo.
 *
 * A write function that fails before changing anything (-EINVAL, -EEXIST,
 * STORE_ENOTFOUND, a record that fails to decode) leaves the txn usable.
 * One that fails after it began writing fails the txn: every later call
 * returns that error and commit aborts and returns it. MDB_MAP_FULL
 * becomes STORE_ERETRY while the map is below map_size_max and
 * STORE_EMAPFULL at it; commit itself can return either. The map grows
 * (doubles, capped at map_size_max) when the last live txn of the handle
 * ends, so keep no read txn open across a redo.
 * begin: -EROFS for a write txn on a STORE_RDONLY store, -EBUSY if this
 * handle already has a live write txn (LMDB would deadlock). Write
 * functions on a read txn return -EINVAL.
 */
int store_txn_begin(struct store *st, int write, struct store_txn **out);
int store_txn_commit(struct store_txn *txn);
void store_txn_abort(struct store_txn *txn);

/* ---- Documents ---------------------------------------------------------- */

struct store_doc {
	uint64_t id;      /* assigned by store_doc_put, from 1, never reused */
	const char *path; /* relative to the watched directory */
	uint64_t size;    /* bytes of the file */
	int64_t mtime;    /* file mtime, unix seconds */
	int64_t first_seen;       /* arrival, unix microseconds */
	uint64_t content_hash[2]; /* XXH3-128 of the raw bytes */
	uint64_t norm_hash;       /* XXH3-64 of the normalized text */
	uint32_t ntokens;         /* tokens after normalization */
	/* Metadata (NULL: unknown), each one line of UTF-8 at most
	 * STORE_META_MAX bytes; like path, valid until the txn ends. */
	const char *title;
	const char *url;
	const char *source; /* publisher: metadata, folder or URL host */
	const char *author;
	int64_t published; /* unix microseconds, 0 unknown */
	/* Unix seconds when the file was last found to hold what is stored
	 * (its content's hash), 0 never: size and mtime then vouch for it
	 * if it was written a second or more before. store_doc_put stores
	 * 0. */
	int64_t checked;
};

#define STORE_META_MAX 4096 /* bytes of one metadata string */

/*
 * When a document was published (unix microseconds): its metadata's
 * time; else its file's mtime when that is more than STORE_MTIME_OLD
 * seconds before its arrival (an archive copied in with its dates: a text
 * from 2010 is not today's; a feed's file, written moments before it is
 * read, keeps its arrival, which orders a burst finer than an mtime's
 * second); else its arrival. What "earlier" means when choosing an
 * original.
 */
#define STORE_MTIME_OLD 3600
static inline int
store_doc_mtime_counts(const struct store_doc *d)
{
	return d->mtime > 0 &&
	       d->mtime < d->first_seen / 1000000 - STORE_MTIME_OLD;
}
static inline int64_t
store_doc_time(const struct store_doc *d)
{
	if (d->published != 0)
		return d->published;
	return store_doc_mtime_counts(d) ? d->mtime * 1000000 : d->first_seen;
}
/* Where store_doc_time() took it from: "metadata", "mtime", "arrival". */
static inline const char *
store_doc_time_from(const struct store_doc *d)
{
	if (d->published != 0)
		return "metadata";
	return store_doc_mtime_counts(d) ? "mtime" : "arrival";
}

/*
 * Store a new document: its record, raw text, feature blob and index keys
 * (duplicates allowed; each (key, id) is stored once).
 * doc->id is ignored and the new id is written to *id. The path must not
 * be in use (delete the old document first): -EEXIST otherwise; a
 * metadata string over STORE_META_MAX bytes: -E2BIG.
 */
int store_doc_put(struct store_txn *txn, const struct store_doc *doc,
    const void *text, size_t text_len, const void *feat, size_t feat_len,
    const uint64_t *keys, size_t nkeys, uint64_t *id);

/* Look up a document; STORE_ENOTFOUND if absent. out->path points into
 * the map. */
int store_doc_get(struct store_txn *txn, uint64_t id, struct store_doc *out);
int store_doc_by_path(struct store_txn *txn, const char *path, uint64_t *id);
int store_doc_text(
    struct store_txn *txn, uint64_t id, const void **text, size_t *len);
int store_doc_feat(
    struct store_txn *txn, uint64_t id, const void **feat, size_t *len);
/*
 * The number of distinct index keys id was stored with, from a table of a
 * byte a document (cheaper than its features): STORE_NKEYS_CAP means that
 * many or more. STORE_ENOTFOUND if not known: deleted, or stored by a
 * binary older than the table (then ask the features).
 */
#define STORE_NKEYS_CAP 254
int store_doc_nkeys(struct store_txn *txn, uint64_t id, uint32_t *nkeys);

/* Remove a document and everything that points at it: path, text,
 * features, its index entries and its pairs (both directions).
 * STORE_ENOTFOUND if absent; STORE_ECORRUPT (nothing removed) if one of
 * its records fails to decode. */
int store_doc_delete(struct store_txn *txn, uint64_t id);

/*
 * Give document id the name path (its file was moved within the watched
 * tree) and the source source (NULL: none; it may follow from the
 * folder). Everything else stays: its id, arrival, text, keys and pairs.
 * STORE_ENOTFOUND if absent, -EEXIST if path names another document,
 * -E2BIG for a source over STORE_META_MAX bytes.
 */
int store_doc_move(
    struct store_txn *txn, uint64_t id, const char *path, const char *source);
/*
 * The file of document id was rewritten, its own content unchanged (an
 * item of a JSON lines file that grew), or found as stored: its size,
 * mtime and content hash become the file's, except an mtime its time
 * comes from (store_doc_time), which stays, and `checked` becomes
 * checked (unix seconds; 0: the file was not seen whole as stored).
 * STORE_ENOTFOUND if absent.
 */
int store_doc_set_file(struct store_txn *txn, uint64_t id, uint64_t size,
    int64_t mtime, const uint64_t content_hash[2], int64_t checked);

/* Iterate documents in id order starting at `from` (0: first). The
 * callback returns 0 to go on, nonzero to stop (that value is returned).
 * Callbacks of every *_each / *_of function must not write to the store
 * through the same txn. */
typedef int (*store_doc_cb)(const struct store_doc *doc, void *arg);
int store_doc_each(
    struct store_txn *txn, uint64_t from, store_doc_cb cb, void *arg);

/* Documents whose path starts with `prefix` (not empty), in path order
 * (the items "file.jsonl#0", "file.jsonl#1"... of one file). Cost: the
 * matching paths, not the store. Callback as for store_doc_each. */
int store_doc_each_prefix(
    struct store_txn *txn, const char *prefix, store_doc_cb cb, void *arg);

/* ---- Index -------------------------------------------------------------- */

/*
 * Documents holding `key`: up to max ids into ids (in no particular
 * order), and in *df how many documents hold it, counted up to max + 1:
 * *df > max means "more than max" (ids are then not all listed: a
 * stock phrase's postings are not worth reading). ids may be NULL to
 * count only. A key no document holds is not an error
 * (*df = 0).
 *
 * The index compares keys by their high 32 bits, so a lookup may also
 * return documents holding another key equal there (about one posting in
 * thirty lookups at a million documents): callers verify candidates.
 * Cost: one hash probe and at most three chunk seeks, plus the postings
 * read, whatever the size of the store; a key once found held by more than
 * max documents is remembered by the handle (until a deletion) and
 * answered without either. Lookups see this handle's latest
 * writes, committed or not; a handle must not interleave a read
 * transaction with its own live write transaction.
 */
int store_key_docs(
    struct store_txn *txn, uint64_t key, uint64_t *ids, size_t max, size_t *df);
/*
 * The oldest documents holding `key`: up to max ids, the oldest first
 * (listed however many hold it, where store_key_docs lists none of a
 * common key), and in *n how many, counted up to max + 1. Stale and
 * colliding ids as for store_key_docs. Cost: the postings read, up to
 * max past a level's deleted ones; nothing is remembered.
 */
int store_key_oldest(
    struct store_txn *txn, uint64_t key, uint64_t *ids, size_t max, size_t *n);
/*
 * Documents stored with the normalized text hashed to norm_hash (exact
 * copies), as store_key_oldest lists a key's; other documents may
 * come with them (the index compares 32 bits of a key: callers compare
 * the hashes). store_doc_put() files every document under such a key besides
 * its own, which no boilerplate limit hides: a story with more copies
 * than boilerplate_df has all its keys common, and this finds its copies.
 * Documents stored before the key existed (before 0.1.0's pairs had a
 * how) are not found by it.
 */
int store_exact_docs(struct store_txn *txn, uint64_t norm_hash, uint64_t *ids,
    size_t max, size_t *n);
/* A hint: store_key_docs(key) comes soon, so the memory it reads can be
 * loaded meanwhile: call with near = 0 some eight lookups ahead (what a
 * lookup reads first), then with near = 1 some four ahead (what that
 * leads to). */
void store_key_prefetch(struct store_txn *txn, uint64_t key, int near);

/*
 * Merge the index's memtable into its on-disk runs when it is full, and
 * levels over their size into the next: the work a write leaves behind
 * (store_doc_put never merges). Call with no transaction of this handle
 * live, after committing writes (the daemon does after every batch); a
 * handle that never calls it keeps every new posting in memory.
 *
 * Each merge is written in slices of about `slice` bytes (0: 8 MiB), one
 * write txn each, so memory stays bounded by the slice whatever the size
 * of the store; readers and a crash between slices see the index as it
 * was before the merge. *nslices (may be NULL) gets the txns committed.
 * Returns 0 or a store error (the index is then as before the merge, and
 * a later call starts it again).
 *
 * store_index_merge_step does one slice in its own txn and sets *more
 * while there may be more to do (store_index_merge loops over it);
 * store_index_merge_wanted says whether a merge is due or under way
 * (cheap: no txn).
 */
int store_index_merge_wanted(struct store *st);
int store_index_merge(struct store *st, size_t slice, unsigned *nslices);
int store_index_merge_step(struct store *st, size_t slice, int *more);

/* ---- Pairs -------------------------------------------------------------- */

/* One flagged pair. `relation` is match/'s enum, opaque here. a < b. */
struct store_pair {
	uint64_t a, b;
	uint64_t original; /* a, b, or 0 when neither is the original */
	uint32_t relation;
	uint32_t how; /* a near duplicate's enum match_how; 0: not known */
	float jaccard;
	float cont_ab;    /* share of a contained in b */
	float cont_ba;    /* share of b contained in a */
	int64_t found_at; /* unix microseconds */
};

/* Insert or replace the pair (a, b); stored so that both ends find it.
 * -EINVAL unless 0 < a < b and original is 0, a or b; STORE_ENOTFOUND
 * unless both documents exist. */
int store_pair_put(struct store_txn *txn, const struct store_pair *p);
/* Remove the pair (a, b) (either order): 0, or STORE_ENOTFOUND when
 * there is none. */
int store_pair_del(struct store_txn *txn, uint64_t a, uint64_t b);
typedef int (*store_pair_cb)(const struct store_pair *p, void *arg);
/* Pairs of one document. */
int store_pairs_of(
    struct store_txn *txn, uint64_t id, store_pair_cb cb, void *arg);
/* Every pair once, ordered by (a, b). */
int store_pair_each(struct store_txn *txn, store_pair_cb cb, void *arg);

/* ---- Rejected files -------------------------------------------------------
 */

struct store_reject {
	const char *path;
	const char *reason;
	int64_t at; /* unix microseconds */
};
int store_reject_put(
    struct store_txn *txn, const char *path, const char *reason, int64_t at);
/* The rejection on record for path (its strings point into the map), or
 * STORE_ENOTFOUND. */
int store_reject_get(
    struct store_txn *txn, const char *path, struct store_reject *out);
/* Forget a rejection (the file was later accepted or removed). Absent: 0. */
int store_reject_del(struct store_txn *txn, const char *path);
typedef int (*store_reject_cb)(const struct store_reject *r, void *arg);
int store_reject_each(struct store_txn *txn, store_reject_cb cb, void *arg);

/* ---- Files of expired documents -------------------------------------------
 *
 * A document that retention removed while its file stayed in the watched
 * tree (an archive): the file's size and mtime then, so that a later scan
 * does not take it for a new arrival. A file written since is new again.
 */
struct store_gone {
	const char *path; /* points into the map */
	uint64_t size;
	int64_t mtime; /* unix seconds */
	int64_t at;    /* when it expired, unix microseconds */
};
int store_gone_put(struct store_txn *txn, const char *path, uint64_t size,
    int64_t mtime, int64_t at);
/* STORE_ENOTFOUND if none (also in a read-only store made before the
 * table). */
int store_gone_get(
    struct store_txn *txn, const char *path, struct store_gone *out);
int store_gone_del(struct store_txn *txn, const char *path);
typedef int (*store_gone_cb)(const struct store_gone *g, void *arg);
/* In key order from the key of path from (NULL: the first); a long path's
 * key is a hash, so this order is not the paths'. A damaged record comes
 * with size UINT64_MAX. */
int store_gone_each(
    struct store_txn *txn, const char *from, store_gone_cb cb, void *arg);

/* ---- Counters -------------------------------------------------------------
 *
 * Named 64-bit counters kept for the caller (the daemon counts expired
 * documents per day with them). A name is 1..64 bytes, kept apart from
 * the store's own counters. An absent counter reads as 0.
 */

/* Add delta to counter `name` (write txn). -EINVAL for a bad name. */
int store_counter_add(struct store_txn *txn, const char *name, uint64_t delta);
/* Set counter `name` to v (write txn): a value kept, such as a hash. */
int store_counter_set(struct store_txn *txn, const char *name, uint64_t v);
/* Read counter `name` into *v (0 if never written). */
int store_counter_get(struct store_txn *txn, const char *name, uint64_t *v);

/* ---- Statistics -----------------------------------------------------------
 */

struct store_stats {
	uint64_t documents;
	uint64_t pairs;
	uint64_t rejected;
	uint64_t map_size; /* bytes mapped */
	uint64_t map_used; /* bytes in use (pages * page size) */
};
int store_stats(struct store_txn *txn, struct store_stats *out);

#endif
