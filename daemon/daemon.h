/*
 * daemon.h - the state of one reprintd process, shared by its parts.
 *
 * Everything runs on one libevent loop (`base`), so nothing here is
 * locked: a callback runs to completion before the next one starts. A batch
 * of files is processed inside one callback and one store transaction; the
 * HTTP handlers read the store in their own read transactions between
 * batches.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdint.h>

#include "config.h"

struct event_base;
struct event;
struct store;
struct pending;
struct watch;

#define REPRINTD_VERSION "0.1.0"

struct reprintd {
	struct event_base *base;
	struct config cfg;
	char *watch_real; /* realpath of cfg.watch, no trailing slash */
	char *state_real; /* realpath of cfg.state */
	struct store *st;
	struct pending *q;
	struct watch *w;
	struct event *drain_ev; /* processes one batch when active */
	struct event *retry_ev; /* resumes a paused ingest */
	int paused;             /* ingest stopped after a store error */
	int backfill;           /* --once or the start-up scan: see ingest.h */
	struct readahead *ra;   /* NULL: no read-ahead (readahead.h) */
	struct detect_recent *recent; /* NULL: none (detect.h) */
	char error[256];              /* why, for /v1/status */
	int64_t started_us;
	uint64_t nrejected; /* files rejected since start */
	uint64_t ningested; /* documents stored since start */
};

/* Wall clock in unix microseconds (REPRINTD_NOW moves it: clock.h) /
 * monotonic milliseconds. */
int64_t now_us(void);
int64_t mono_ms(void);

#endif
