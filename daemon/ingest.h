/*
 * ingest.h - turn queued files into stored documents and flagged pairs.
 *
 * One batch is one store write transaction: up to cfg.batch_max files or
 * cfg.batch_ms milliseconds, whichever comes first, or until the index's
 * memtable is due a merge (its tables are sized for index_memtable
 * postings), or once it has read INGEST_BATCH_BYTES of files (LMDB keeps
 * the pages a transaction writes in memory until it commits, ~8 KB for a
 * 5 KB article: 2 MiB of files hold the daemon's memory 3.4 MiB over
 * batches of 100 at 100k documents). While r->backfill is set (--once, and the
 * start-up scan until the queue first runs empty) the time bound is
 * INGEST_BACKFILL_MS instead, if larger: a backlog is then committed in batches
 * of hundreds of files (one fsync per batch, not one per 50 ms) and the socket
 * waits at most that long between batches. Detection runs inside that
 * transaction, so a file sees every file before it in the batch. Log lines
 * (pairs, rejections) are written after the commit, so that a retried
 * transaction does not log twice.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>
#include <stdint.h>

struct reprintd;
struct stat;

#define INGEST_BACKFILL_MS 1000
#define INGEST_BATCH_BYTES (2u << 20)
/* Files read ahead (read by the read-ahead thread, or handed to the kernel
 * to load) since the start (r->ra; see ingest.c and readahead.h). */
uint64_t ingest_read_ahead_count(const struct reprintd *r);

/*
 * Process one batch from r->q. Returns 0 (even when files were rejected),
 * INGEST_DEFERRED when some files could not be opened for want of file
 * descriptors (clients hold them all): those are pending again and the
 * caller should retry a little later rather than at once; or a negative
 * store error after which the batch's files are queued again and ingest
 * is paused (r->paused, r->error).
 */
#define INGEST_DEFERRED 2 /* not 1, which says "read" inside ingest */
int ingest_batch(struct reprintd *r);

/*
 * The index merges that batches made due (store_index_merge): all of them
 * (`whole`, for --once) or one slice, a write txn of its own, so that the
 * daemon serves its socket between slices (a merge rewrites up to the
 * whole index: tens of seconds at a million documents). Call between
 * batches, while store_index_merge_wanted(). Returns 1 when there is more
 * to do, 0 when done, or a negative store error after which ingest is
 * paused (r->paused, r->error) as after a failed batch.
 */
int ingest_merge(struct reprintd *r, int whole);

/*
 * 1 if rel (lstat sb, a regular file) is stored as it is now, by the test
 * ingest uses to skip a file unread (size and mtime), or its document
 * expired (retention) with the file as it is now: the start-up walk
 * leaves it out (watch_set_known). 0 otherwise, or on any error (ingest
 * then looks at the file and says what is wrong).
 */
int ingest_known(struct reprintd *r, const char *rel, const struct stat *sb);
/*
 * The source of a document extracted from the file rel (relative to the
 * watched directory): its metadata's, else the first folder of rel, else
 * its URL's host. malloc'd, or NULL when none (or out of memory).
 */
struct extract_doc;
char *ingest_doc_source(
    const char *rel, const struct extract_doc *d, unsigned folder);
/* 1 if rel's rejection on record is that it could not be read. */
int ingest_unreadable(struct reprintd *r, const char *rel);

/*
 * The gone record (store_gone_put) of an item of a JSON file that expired
 * while the file stays: "FILE#=" and 16 hex digits of a hash of the item's
 * text and metadata as stored (text_hash: XXH3 of the text). A later
 * version of the file (a feed appended to) does not store that item
 * again. Writes the name to buf; -ENAMETOOLONG if it does not fit.
 */
#define INGEST_GONE_ITEM "#="
int ingest_gone_item_path(char *buf, size_t size, const char *file,
    uint64_t text_hash, int64_t published, const char *title, const char *url,
    const char *author);

#endif
