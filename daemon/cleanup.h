/*
 * cleanup.h - retention: remove documents older than the configured
 * retention with everything that points at them, then write the report.
 *
 * A run is a chain of short steps on the daemon's loop: each step is one
 * write transaction that removes at most CLEANUP_STEP documents (or
 * rejection records) and is committed before the next step is scheduled
 * with a zero timer, so queries and ingest batches are served between
 * steps and nothing waits for the whole run. Freed pages are reused by
 * LMDB, so a store in steady state (as much arriving as expiring) stops
 * growing.
 *
 * Then the report of the period since the previous run (at least the
 * last 24 hours, at most 31 days) is written into reports_dir
 * (report.h). A run is started by POST /v1/cleanup (reprintctl cleanup,
 * the nightly reprintd-cleanup.timer).
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include <stdint.h>

#include <jansson.h>

#define CLEANUP_STEP 200       /* documents removed per write transaction */
#define CLEANUP_SCAN 20000     /* documents looked at per step, at most */
#define CLEANUP_GONE_SCAN 1000 /* expired files' records (a stat each) */

struct reprintd;
struct cleanup;

/* A cleanup driver on r's loop. Returns 0 or -ENOMEM. Free it with
 * cleanup_free() (which abandons a run in progress: what was committed
 * stays removed, the next run does the rest). */
int cleanup_new(struct reprintd *r, struct cleanup **out);
void cleanup_free(struct cleanup *c);

/*
 * Start a run with cutoff now_us() - retention, unless one is running
 * (then that one is joined). *run gets the run's number (1, 2, ... in
 * this process). Returns 0.
 */
int cleanup_start(struct cleanup *c, uint64_t *run);

/*
 * State as JSON (new reference): {"state": "idle"|"running", "run": N,
 * "last": {run, started, finished, cutoff, expired, rejections_expired,
 * report, error} or null}.
 */
json_t *cleanup_status(const struct cleanup *c);

#endif
