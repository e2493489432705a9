/* metrics.c - Prometheus text exposition; see metrics.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "detect.h"
#include "match.h"
#include "ingest.h"
#include "metrics.h"
#include "pending.h"
#include "store.h"
#include "watch.h"

#define NBUCKETS 17
#define NREASONS 32 /* distinct rejection labels kept; more go to "other" */

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

struct histogram {
	uint64_t bucket[NBUCKETS]; /* not cumulative; summed when shown */
	uint64_t count;
	double sum;
};

static struct {
	struct histogram query, ingest, merge, delay;
	struct {
		char label[40];
		uint64_t n;
	} reason[NREASONS];
	uint64_t overflows;
	int64_t clients;
	uint64_t clients_total;
	int64_t cleanup_at; /* microseconds, 0: none since start */
	uint64_t cleanup_n;
} M;

static void
observe(struct histogram *h, int64_t us)
{
	double s = (double)(us < 0 ? 0 : us) / 1e6;
	size_t i;

	for (i = 0; i < NBUCKETS && s > bounds[i]; i++)
		;
	if (i < NBUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum += s;
}

void
metrics_query_observe(int64_t us)
{
	observe(&M.query, us);
}

void
metrics_ingest_observe(int64_t us)
{
	observe(&M.ingest, us);
}

void
metrics_merge_observe(int64_t us)
{
	observe(&M.merge, us);
}

void
metrics_delay_observe(int64_t us)
{
	observe(&M.delay, us);
}

void
metrics_reason_label(const char *reason, char *buf, size_t len)
{
	size_t n = 0;
	int gap = 0;

	if (len == 0)
		return;
	for (; reason != NULL && *reason != '\0' && *reason != '(' &&
	       *reason != ':' && n + 1 < len;
	     reason++) {
		if (isalnum((unsigned char)*reason)) {
			if (gap && n > 0 && n + 2 < len)
				buf[n++] = '_';
			gap = 0;
			buf[n++] = (char)tolower((unsigned char)*reason);
		} else
			gap = 1;
	}
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, len, "other");
}

void
metrics_rejected(const char *reason)
{
	char label[40];
	size_t i;

	metrics_reason_label(reason, label, sizeof(label));
	for (i = 0; i < NREASONS && M.reason[i].label[0] != '\0'; i++)
		if (strcmp(M.reason[i].label, label) == 0)
			break;
	if (i == NREASONS) {
		/* Full: the last slot collects the rest. */
		i = NREASONS - 1;
		snprintf(M.reason[i].label, sizeof(M.reason[i].label), "other");
	} else if (M.reason[i].label[0] == '\0')
		memcpy(M.reason[i].label, label, sizeof(label));
	M.reason[i].n++;
}

void
metrics_inotify_overflow(void)
{
	M.overflows++;
}

void
metrics_client_open(void)
{
	M.clients++;
	M.clients_total++;
}

void
metrics_client_close(void)
{
	if (M.clients > 0)
		M.clients--;
}

void
metrics_cleanup_done(int64_t at, uint64_t n)
{
	M.cleanup_at = at;
	M.cleanup_n += n;
}

/* ---- Rendering ----------------------------------------------------------- */

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
gauge(FILE *f, const char *name, const char *help, double v)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s %.15g\n", name, v);
}

static void
counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void
histogram(
    FILE *f, const char *name, const char *help, const struct histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	head(f, name, "histogram", help);
	for (i = 0; i < NBUCKETS; i++) {
		cum += h->bucket[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
		    bounds[i], cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	fprintf(f, "%s_sum %.9g\n", name, h->sum);
	fprintf(f, "%s_count %" PRIu64 "\n", name, h->count);
}

static int
count_pair(const struct store_pair *p, void *arg)
{
	uint64_t *by = arg;

	if (p->relation <= MATCH_PARTIAL)
		by[p->relation]++;
	return 0;
}

int
metrics_render(
    const struct reprintd *r, struct store_txn *txn, char **out, size_t *len)
{
	struct store_stats ss;
	uint64_t by[MATCH_PARTIAL + 1] = {0}, expired = 0;
	char path[PATH_MAX];
	struct stat sb;
	FILE *f;
	size_t i;
	int rc, rel;

	*out = NULL;
	*len = 0;
	memset(&ss, 0, sizeof(ss));
	if ((rc = store_stats(txn, &ss)) < 0 ||
	    (rc = store_pair_each(txn, count_pair, by)) < 0 ||
	    (rc = store_counter_get(txn, "expired", &expired)) < 0)
		return rc;
	if ((f = open_memstream(out, len)) == NULL)
		return -ENOMEM;
	head(f, "reprintd_build_info", "gauge",
	    "Version of this reprintd; always 1.");
	fprintf(f, "reprintd_build_info{version=\"%s\"} 1\n", REPRINTD_VERSION);
	gauge(f, "reprintd_up_seconds", "Seconds since the daemon started.",
	    (double)(now_us() - r->started_us) / 1e6);
	gauge(f, "reprintd_documents", "Documents in the store.",
	    (double)ss.documents);
	gauge(f, "reprintd_pending", "Files seen and not yet processed.",
	    (double)pending_count(r->q));
	gauge(f, "reprintd_ingest_paused",
	    "1 while ingest is paused after a store error.", r->paused);
	counter(f, "reprintd_ingested_total",
	    "Documents stored since the daemon started.", r->ningested);
	head(f, "reprintd_rejected_total", "counter",
	    "Files rejected since the daemon started, by reason.");
	for (i = 0; i < NREASONS && M.reason[i].label[0] != '\0'; i++)
		fprintf(f,
		    "reprintd_rejected_total{reason=\"%s\"} %" PRIu64 "\n",
		    M.reason[i].label, M.reason[i].n);
	gauge(f, "reprintd_rejected_files",
	    "Files whose last rejection is on record.", (double)ss.rejected);
	head(f, "reprintd_pairs", "gauge", "Flagged pairs, by relation.");
	for (rel = MATCH_EXACT; rel <= MATCH_PARTIAL; rel++)
		fprintf(f, "reprintd_pairs{relation=\"%s\"} %" PRIu64 "\n",
		    match_relation_name((enum match_relation)rel), by[rel]);
	counter(f, "reprintd_expired_total",
	    "Documents removed by retention cleanups over the store's life.",
	    expired);
	gauge(f, "reprintd_last_cleanup_timestamp_seconds",
	    "When the last cleanup of this process finished (0: none yet).",
	    (double)(M.cleanup_at / 1000000));
	histogram(f, "reprintd_ingest_seconds",
	    "Duration of one ingest batch (one store transaction).", &M.ingest);
	histogram(f, "reprintd_ingest_delay_seconds",
	    "From a file being queued (its event, or the scan that found it) "
	    "to the commit of the batch that processed it.",
	    &M.delay);
	histogram(f, "reprintd_index_merge_seconds",
	    "Duration of one slice (one store transaction) of an index merge.",
	    &M.merge);
	histogram(f, "reprintd_query_seconds",
	    "Time to answer one API request.", &M.query);
	snprintf(path, sizeof(path), "%s/data.mdb", r->state_real);
	gauge(f, "reprintd_store_bytes", "Size of the store file on disk.",
	    stat(path, &sb) == 0 ? (double)sb.st_size : 0);
	gauge(f, "reprintd_store_map_bytes",
	    "Size of the store's memory map (its current limit).",
	    (double)ss.map_size);
	gauge(f, "reprintd_store_map_used_bytes",
	    "Bytes of the map in use (up to the last page written).",
	    (double)ss.map_used);
	gauge(f, "reprintd_store_map_max_bytes",
	    "The most the map grows to (map_size_max); at it ingest pauses.",
	    (double)r->cfg.map_size_max);
	gauge(f, "reprintd_unreadable_directories",
	    "Directories of the tree the daemon cannot read (walked again "
	    "when their permissions change, or on SIGHUP).",
	    r->w != NULL ? (double)watch_unreadable(r->w) : 0);
	counter(f, "reprintd_inotify_overflows_total",
	    "inotify queue overflows (each triggers a rescan).", M.overflows);
	counter(f, "reprintd_read_ahead_total",
	    "Files read ahead (the kernel asked to load them) since the "
	    "daemon started.",
	    ingest_read_ahead_count(r));
	counter(f, "reprintd_verify_recent_total",
	    "Verifications that used a recently stored document's features "
	    "instead of rebuilding them from its text, since the daemon "
	    "started.",
	    detect_recent_hits(r->recent));
	gauge(f, "reprintd_clients", "Open client connections.",
	    (double)M.clients);
	counter(f, "reprintd_connections_total",
	    "Client connections accepted since the daemon started.",
	    M.clients_total);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
