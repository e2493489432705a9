/* cleanup.c - retention in bounded steps, then the report; cleanup.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <xxhash.h>

#include "beneath.h"
#include "cleanup.h"
#include "daemon.h"
#include "extract.h"
#include "ingest.h"
#include "jsonv.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "store.h"
#include "text.h"

#define STEP_RETRIES 8 /* map growths in a row before a step gives up */
#define DAY_US (86400LL * 1000000)

/*
 * A run: expired documents go (their files, if still in the tree as they
 * were stored, are remembered: store_gone_put), then old rejection
 * records, then the records of expired files no longer there or written
 * since, then the report.
 */
enum phase { PH_IDLE, PH_DOCS, PH_REJECTS, PH_GONE, PH_REPORT };

struct cleanup {
	struct reprintd *r;
	struct event *ev;
	enum phase phase;
	uint64_t run; /* current or last run */
	int64_t started, cutoff;
	uint64_t next_id; /* resume the document scan here */
	char *gone_next; /* resume the expired files' scan here (NULL: start) */
	uint64_t expired, rejects, rejects_gone, gone;
	json_t *last; /* result of the last finished run */
};

/* Collected by one step's scan. */
struct victims {
	int64_t cutoff;
	uint64_t ids[CLEANUP_STEP];
	char *paths[CLEANUP_STEP]; /* a document's file, a record's path */
	uint64_t size[CLEANUP_STEP];
	int64_t mtime[CLEANUP_STEP];
	uint64_t hash[CLEANUP_STEP][2]; /* the file's content hash */
	char *items[CLEANUP_STEP];      /* an item's gone record, or NULL */
	struct store_txn *txn;          /* the step's (PH_DOCS) */
	const char *watch; /* the watched directory (PH_REJECTS, PH_GONE) */
	size_t forgot;     /* victims whose file is gone (PH_REJECTS) */
	char *last;        /* the last record looked at (PH_GONE) */
	size_t n, scanned;
	uint64_t last_id; /* last document looked at */
	int more;         /* stopped before the end */
};

static void
schedule(struct cleanup *c)
{
	static const struct timeval now = {0, 0};

	evtimer_add(c->ev, &now);
}

/*
 * The gone record of item d of a JSON file (ingest_gone_item_path), in
 * v->items[v->n]: the file may stay and grow (a feed appended to), and
 * its next version would store the item again.
 */
static int
item_record(struct victims *v, const struct store_doc *d)
{
	char gp[PATH_MAX + 32];
	const void *text;
	size_t len;
	int rc = store_doc_text(v->txn, d->id, &text, &len);

	if (rc < 0)
		return rc == STORE_ECORRUPT ? 0 : rc;
	if (ingest_gone_item_path(gp, sizeof(gp), v->paths[v->n],
	        XXH3_64bits(text, len), d->published, d->title, d->url,
	        d->author) < 0)
		return 0;
	return (v->items[v->n] = strdup(gp)) != NULL ? 0 : -ENOMEM;
}

static int
doc_cb(const struct store_doc *d, void *arg)
{
	struct victims *v = arg;

	v->last_id = d->id;
	if (d->first_seen < v->cutoff) {
		/* Its file: the path without an item's "#N". */
		const char *hash = strrchr(d->path, '#');
		size_t len = hash != NULL && text_item_suffix(hash)
		                 ? (size_t)(hash - d->path)
		                 : strlen(d->path);

		if ((v->paths[v->n] = strndup(d->path, len)) == NULL)
			return -ENOMEM;
		/* An item: of a file of several, or the one of a JSON or feed
		 * file (which may grow into several). */
		if (len < strlen(d->path) ||
		    extract_format_items(extract_detect(d->path, NULL, 0))) {
			int rc = item_record(v, d);
			if (rc < 0) {
				free(v->paths[v->n]);
				v->paths[v->n] = NULL;
				return rc;
			}
		}
		v->size[v->n] = d->size;
		v->mtime[v->n] = d->mtime;
		v->hash[v->n][0] = d->content_hash[0];
		v->hash[v->n][1] = d->content_hash[1];
		v->ids[v->n++] = d->id;
	}
	if (v->n == CLEANUP_STEP || ++v->scanned == CLEANUP_SCAN) {
		v->more = 1;
		return 1;
	}
	return 0;
}

/* Whether the name of a rejected file (of its file, for a feed's item
 * "FILE#N") is gone from the tree: an editor's probe, a file written
 * empty and removed at once. Its record only made noise. */
static int
reject_name_gone(const char *watch, const char *path)
{
	char full[PATH_MAX];
	const char *hash = strrchr(path, '#');
	size_t len = hash != NULL && text_item_suffix(hash)
	                 ? (size_t)(hash - path)
	                 : strlen(path);
	struct stat sb;

	if ((size_t)snprintf(full, sizeof(full), "%s/%.*s", watch, (int)len,
	        path) >= sizeof(full))
		return 0;
	return lstat(full, &sb) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* A rejection older than the retention goes, and so does one whose file
 * is no longer there. */
static int
reject_cb(const struct store_reject *rj, void *arg)
{
	struct victims *v = arg;
	int gone = 0;

	if (rj->at >= v->cutoff &&
	    !(gone = reject_name_gone(v->watch, rj->path)))
		return 0;
	if ((v->paths[v->n] = strdup(rj->path)) == NULL)
		return -ENOMEM;
	v->forgot += gone;
	if (++v->n == CLEANUP_STEP) {
		v->more = 1;
		return 1;
	}
	return 0;
}

/*
 * Whether a file is still in the tree as recorded: its size and mtime;
 * when the mtime differs and hash is given (a kept JSON item whose date
 * is its mtime keeps that one), its bytes' hash. The file's mtime in
 * *mtime.
 */
static int
file_as_stored(const char *watch, const char *path, uint64_t size,
    const uint64_t hash[2], int64_t *mtime)
{
	char full[PATH_MAX], *buf;
	struct stat sb;
	XXH128_hash_t h;
	ssize_t got = 0, r;
	int fd, same;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", watch, path) >=
	        sizeof(full) ||
	    stat(full, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != size)
		return 0;
	if ((int64_t)sb.st_mtime == *mtime)
		return 1;
	if (hash == NULL)
		return 0;
	*mtime = (int64_t)sb.st_mtime;
	/* Beneath the tree, and no FIFO put there since to wait on. */
	if ((fd = beneath_open(watch, path,
	         O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return 0;
	if ((buf = malloc(size ? size : 1)) == NULL) {
		close(fd);
		return 0;
	}
	while ((uint64_t)got < size &&
	       (r = read(fd, buf + got, size - (uint64_t)got)) > 0)
		got += r;
	close(fd);
	h = XXH3_128bits(buf, (size_t)got);
	same =
	    (uint64_t)got == size && h.low64 == hash[0] && h.high64 == hash[1];
	free(buf);
	return same;
}

/* Whether path is in the tree as a regular file (an expired item's file:
 * the record stays while it does, whatever is written to it). */
static int
file_there(const char *watch, const char *path, size_t len)
{
	char full[PATH_MAX];
	struct stat sb;

	return (size_t)snprintf(full, sizeof(full), "%s/%.*s", watch, (int)len,
	           path) < sizeof(full) &&
	       stat(full, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The length of the file's name in an expired item's record ("FILE#="
 * and 16 hex digits), or 0 for a file's own record. */
static size_t
item_record_file(const char *path)
{
	const char *m = strrchr(path, '#');

	if (m == NULL || m[1] != '=' || strlen(m + 2) != 16 ||
	    strspn(m + 2, "0123456789abcdef") != 16)
		return 0;
	return (size_t)(m - path);
}

/* An expired file's record whose file is gone or written since goes; an
 * expired item's, when its file is gone. */
static int
gone_cb(const struct store_gone *g, void *arg)
{
	struct victims *v = arg;
	int64_t mtime = g->mtime;
	size_t flen = item_record_file(g->path);
	int stays;

	free(v->last);
	if ((v->last = strdup(g->path)) == NULL)
		return -ENOMEM;
	if (flen > 0)
		stays = file_there(v->watch, g->path, flen);
	else
		stays =
		    file_as_stored(v->watch, g->path, g->size, NULL, &mtime);
	if (!stays && (v->paths[v->n++] = strdup(g->path)) == NULL)
		return -ENOMEM;
	/* A stat each, in a write txn on the event loop: fewer a step. */
	if (v->n == CLEANUP_STEP || ++v->scanned == CLEANUP_GONE_SCAN) {
		v->more = 1;
		return 1;
	}
	return 0;
}

static void
victims_clear(struct victims *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->paths[i]);
		free(v->items[i]);
	}
	memset(v->paths, 0, sizeof(v->paths));
	memset(v->items, 0, sizeof(v->items));
	free(v->last);
	v->last = NULL;
	v->n = v->scanned = v->forgot = 0;
	v->more = 0;
}

/* One write transaction of the current phase. Returns 0 and sets *done
 * when the phase has nothing more to do, or a store error. */
static int
step_once(struct cleanup *c, struct victims *v, int *done)
{
	struct store_txn *txn = NULL;
	char name[40], day[16];
	time_t t = (time_t)(now_us() / 1000000);
	struct tm tm;
	size_t i;
	int rc;

	victims_clear(v);
	v->cutoff = c->cutoff;
	if ((rc = store_txn_begin(c->r->st, 1, &txn)) < 0)
		return rc;
	if (c->phase == PH_DOCS) {
		v->txn = txn;
		rc = store_doc_each(txn, c->next_id, doc_cb, v);
		for (i = 0; rc >= 0 && i < v->n; i++) {
			if ((rc = store_doc_delete(txn, v->ids[i])) ==
			    STORE_ENOTFOUND)
				rc = 0;
			/* Still in the tree: not new at the next scan. */
			if (rc == 0 &&
			    file_as_stored(c->r->watch_real, v->paths[i],
			        v->size[i], v->hash[i], &v->mtime[i]))
				rc = store_gone_put(txn, v->paths[i],
				    v->size[i], v->mtime[i], now_us());
			/* An item of a file that stays: not new in its
			 * next version either. */
			if (rc == 0 && v->items[i] != NULL &&
			    file_there(c->r->watch_real, v->paths[i],
			        strlen(v->paths[i])))
				rc = store_gone_put(
				    txn, v->items[i], 0, 0, now_us());
		}
		if (rc >= 0 && v->n > 0) {
			gmtime_r(&t, &tm);
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
			snprintf(name, sizeof(name), "expired/%s", day);
			if ((rc = store_counter_add(txn, name, v->n)) == 0)
				rc = store_counter_add(txn, "expired", v->n);
		}
	} else if (c->phase == PH_REJECTS) {
		v->watch = c->r->watch_real;
		rc = store_reject_each(txn, reject_cb, v);
		for (i = 0; rc >= 0 && i < v->n; i++)
			rc = store_reject_del(txn, v->paths[i]);
	} else {
		v->watch = c->r->watch_real;
		rc = store_gone_each(txn, c->gone_next, gone_cb, v);
		for (i = 0; rc >= 0 && i < v->n; i++)
			rc = store_gone_del(txn, v->paths[i]);
	}
	if (rc < 0) {
		store_txn_abort(txn);
		return rc;
	}
	if ((rc = store_txn_commit(txn)) < 0)
		return rc;
	if (c->phase == PH_DOCS) {
		c->expired += v->n;
		c->next_id = v->last_id + 1;
	} else if (c->phase == PH_REJECTS) {
		c->rejects += v->n - v->forgot;
		c->rejects_gone += v->forgot;
	} else {
		c->gone += v->n;
		/* Resume at the last record looked at (kept, or gone: then
		 * the walk starts at the one after it). */
		free(c->gone_next);
		c->gone_next = v->last;
		v->last = NULL;
	}
	*done = !v->more;
	return 0;
}

static void
finish(struct cleanup *c, const char *report, const char *error)
{
	json_t *o;

	o = json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:s?, s:s?}",
	    "run", (json_int_t)c->run, "started", jv_time(c->started),
	    "finished", jv_time(now_us()), "cutoff", jv_time(c->cutoff),
	    "expired", (json_int_t)c->expired, "rejections_expired",
	    (json_int_t)c->rejects, "rejections_forgotten",
	    (json_int_t)c->rejects_gone, "expired_files_forgotten",
	    (json_int_t)c->gone, "report", report, "error", error);
	json_decref(c->last);
	c->last = o;
	c->phase = PH_IDLE;
	metrics_cleanup_done(now_us(), c->expired);
	if (error != NULL)
		log_warnx("cleanup %" PRIu64 ": %s (%" PRIu64 " documents "
		          "removed)",
		    c->run, error, c->expired);
	else
		log_info("cleanup %" PRIu64 ": removed %" PRIu64 " documents "
		         "and %" PRIu64 " rejection records older than the "
		         "retention, forgot %" PRIu64 " rejected and %" PRIu64
		         " expired files no longer in the tree; report %s",
		    c->run, c->expired, c->rejects, c->rejects_gone, c->gone,
		    report != NULL ? report : "-");
}

/* The report of the period since the previous run; records this run. */
static void
write_report(struct cleanup *c)
{
	struct reprintd *r = c->r;
	struct store_txn *txn = NULL;
	json_t *model = NULL;
	char dir[PATH_MAX], path[PATH_MAX], err[PATH_MAX + 64];
	int64_t now = now_us(), since = now - DAY_US;
	uint64_t last = 0;
	int rc;

	if (r->cfg.reports_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", r->cfg.reports_dir);
	else
		snprintf(dir, sizeof(dir), "%s/reports", r->state_real);
	/* Read the previous run's time, remember this one. */
	if ((rc = store_txn_begin(r->st, 1, &txn)) < 0)
		goto store_err;
	if ((rc = store_counter_get(txn, "cleanup_last", &last)) < 0 ||
	    ((uint64_t)(now / 1000000) > last &&
	        (rc = store_counter_add(txn, "cleanup_last",
	             (uint64_t)(now / 1000000) - last)) < 0)) {
		store_txn_abort(txn);
		goto store_err;
	}
	if ((rc = store_txn_commit(txn)) < 0)
		goto store_err;
	if (last != 0 && (int64_t)last * 1000000 < since &&
	    (int64_t)last * 1000000 > now - 31 * DAY_US)
		since = (int64_t)last * 1000000;
	if ((rc = store_txn_begin(r->st, 0, &txn)) < 0)
		goto store_err;
	rc = report_build(r, txn, since, now, &model);
	store_txn_abort(txn);
	if (rc < 0)
		goto store_err;
	rc = report_write(model, dir, path, sizeof(path));
	json_decref(model);
	if (rc < 0) {
		snprintf(err, sizeof(err),
		    "cannot write the report into %s: "
		    "%s",
		    dir, strerror(-rc));
		finish(c, NULL, err);
		return;
	}
	finish(c, path, NULL);
	return;
store_err:
	snprintf(err, sizeof(err), "report: store: %s", store_strerror(rc));
	finish(c, NULL, err);
}

static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cleanup *c = arg;
	struct victims *v;
	char err[256];
	int rc, done = 0, tries = 0;

	(void)fd;
	(void)what;
	if (c->phase == PH_REPORT) {
		write_report(c);
		return;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		finish(c, NULL, "out of memory");
		return;
	}
	do
		rc = step_once(c, v, &done);
	while (rc == STORE_ERETRY && ++tries < STEP_RETRIES);
	victims_clear(v);
	free(v);
	if (rc < 0) {
		snprintf(err, sizeof(err), "store: %s", store_strerror(rc));
		finish(c, NULL, err);
		return;
	}
	if (done) {
		if (c->phase == PH_DOCS)
			c->phase = PH_REJECTS;
		else if (c->phase == PH_REJECTS)
			c->phase = PH_GONE;
		else
			c->phase = PH_REPORT;
	}
	schedule(c);
}

int
cleanup_new(struct reprintd *r, struct cleanup **out)
{
	struct cleanup *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->r = r;
	if ((c->ev = evtimer_new(r->base, step_cb, c)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void
cleanup_free(struct cleanup *c)
{
	if (c == NULL)
		return;
	if (c->phase != PH_IDLE)
		log_warnx("cleanup %" PRIu64 " stopped before its end (%" PRIu64
		          " documents removed, each with all that pointed at "
		          "it); the next run goes on from there",
		    c->run, c->expired);
	event_free(c->ev);
	json_decref(c->last);
	free(c->gone_next);
	free(c);
}

int
cleanup_start(struct cleanup *c, uint64_t *run)
{
	if (c->phase == PH_IDLE) {
		c->run++;
		c->started = now_us();
		/* retention 0 keeps everything: only the report is written */
		c->cutoff =
		    c->r->cfg.retention == 0
		        ? INT64_MIN
		        : c->started - (int64_t)c->r->cfg.retention * 1000000;
		c->next_id = 0;
		free(c->gone_next);
		c->gone_next = NULL;
		c->expired = c->rejects = c->rejects_gone = c->gone = 0;
		c->phase = PH_DOCS;
		log_info("cleanup %" PRIu64 ": started (retention %" PRIu64
		         " s)",
		    c->run, c->r->cfg.retention);
		schedule(c);
	}
	*run = c->run;
	return 0;
}

json_t *
cleanup_status(const struct cleanup *c)
{
	return json_pack("{s:s, s:I, s:O?}", "state",
	    c->phase == PH_IDLE ? "idle" : "running", "run", (json_int_t)c->run,
	    "last", c->last);
}
