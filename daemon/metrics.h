/*
 * metrics.h - counters and latency histograms of one reprintd process,
 * and their rendering in the Prometheus text exposition format 0.0.4
 * (GET /v1/metrics, docs/API.md).
 *
 * The state is process-wide and unlocked: reprintd runs on one thread
 * (daemon.h), and every function here is called from it. Counters start at
 * zero when the process starts, as Prometheus expects of a _total.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

struct reprintd;
struct store_txn;

/* One API request took `us` microseconds (handler time, reply queued). */
void metrics_query_observe(int64_t us);
/* One ingest batch (one store transaction) took `us` microseconds. */
void metrics_ingest_observe(int64_t us);
/* One slice of an index merge (one store transaction) took `us`. */
void metrics_merge_observe(int64_t us);
/* A file waited `us` from being queued to its batch's commit. */
void metrics_delay_observe(int64_t us);
/* A file was rejected for `reason` (ingest.c's text; the label is its
 * first words: "too large (9 bytes...)" counts as "too_large"). */
void metrics_rejected(const char *reason);
void metrics_inotify_overflow(void);
/* A client connection was opened / closed. */
void metrics_client_open(void);
void metrics_client_close(void);
/* A cleanup run finished at unix microseconds `at`, removing n documents. */
void metrics_cleanup_done(int64_t at, uint64_t n);

/* The label for a rejection reason, into buf (at most len bytes). */
void metrics_reason_label(const char *reason, char *buf, size_t len);

/*
 * Render every metric, reading counts from the store through txn (a read
 * txn; pairs by relation walk all pairs, O(pairs)). *out is malloc'd,
 * NUL-terminated, *len bytes. Returns 0, -ENOMEM or a store error.
 */
int metrics_render(
    const struct reprintd *r, struct store_txn *txn, char **out, size_t *len);

#endif
