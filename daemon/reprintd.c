/*
 * reprintd - watch a directory of news articles, flag reprints, answer
 * questions about them over a Unix socket. See reprintd(8).
 *
 * main() is the edge: it turns errors into messages and exit codes.
 * Everything after start-up runs on one libevent loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <event2/event.h>
#include <xxhash.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "detect.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "pending.h"
#include "readahead.h"
#include "sock.h"
#include "store.h"
#include "watch.h"

#define RETRY_SECS 30 /* a paused ingest tries again this often */

/* Command-line settings, applied over the file (also on reload): one
 * slot a key, so a repeated option replaces the earlier one. */
static const char *const override_keys[] = {"watch", "state", "socket"};
#define NOVERRIDE (sizeof(override_keys) / sizeof(override_keys[0]))

struct main_ctx {
	struct reprintd r;
	const char *config_path;
	const char *ov[NOVERRIDE]; /* NULL: not given */
	int lock_fd;               /* STATE/reprintd.lock, flock'ed; -1: none */
	struct api *api;
	int own_socket; /* we created the socket file (not systemd) */
	ino_t sock_ino;
	struct event *sig[4];
	struct event *watchdog;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: reprintd [-v|--verbose] [--once] [-f|--config file] "
	           "[-w|--watch dir]\n"
	           "                [-s|--state dir] [-S|--socket path]\n"
	           "       reprintd -n|--check [-f file] [-w dir] [-s dir] "
	           "[-S path]\n"
	           "       reprintd -h|--help | --version\n");
}

/* Defaults, then the file, then the command line. */
static int
load_config(struct main_ctx *m, struct config *c, char *err, size_t errlen)
{
	char msg[400];
	size_t i;
	int rc;

	config_init(c);
	if (m->config_path != NULL &&
	    (rc = config_load(c, m->config_path, err, errlen)) < 0)
		return rc;
	for (i = 0; i < NOVERRIDE; i++)
		if (m->ov[i] != NULL && (rc = config_set(c, override_keys[i],
		                             m->ov[i], msg, sizeof(msg))) < 0) {
			snprintf(err, errlen, "command line: %s", msg);
			return rc;
		}
	return config_check(c, err, errlen);
}

static void
schedule_drain(struct reprintd *r)
{
	/* A zero timeout, not event_active(): timers become active after
	 * the poll, so the socket is served between two batches. */
	static const struct timeval now = {0, 0};

	if (r->drain_ev != NULL && !r->paused &&
	    !evtimer_pending(r->drain_ev, NULL))
		evtimer_add(r->drain_ev, &now);
}

static void
found_cb(const char *rel, void *arg)
{
	struct reprintd *r = arg;

	if (pending_add(r->q, rel, clock_mono_us()) < 0)
		log_warnx("%s: out of memory; it is picked up by the next "
		          "rescan",
		    rel);
	schedule_drain(r);
}

static int
known_cb(const char *rel, const struct stat *sb, void *arg)
{
	return ingest_known(arg, rel, sb);
}

/* A file's permissions or times changed: read it again if it was
 * rejected as unreadable (not otherwise: a writer may set a mode before
 * it is done writing). */
static void
attrib_cb(const char *rel, void *arg)
{
	if (ingest_unreadable(arg, rel))
		found_cb(rel, arg);
}

/*
 * What an operator can do about the store error that paused ingest. A
 * full disk reaches us as LMDB's "Input/output error" (it turns a short
 * write into EIO), which alone does not say so.
 */
static void
pause_hint(const struct reprintd *r, int rc)
{
	struct statvfs fs;

	if (rc == STORE_EMAPFULL) {
		log_warnx("the store is at map_size_max (%llu bytes): "
		          "raise it in the configuration and send SIGHUP",
		    (unsigned long long)r->cfg.map_size_max);
	} else if (rc == STORE_ECORRUPT) {
		log_warnx("the store in %s is damaged: see \"A damaged store\" "
		          "in reprintd(8); ingest tries again every %d s",
		    r->state_real, RETRY_SECS);
	} else if ((rc == -EIO || rc == -ENOSPC || rc == -EDQUOT) &&
	           statvfs(r->state_real, &fs) == 0) {
		unsigned long long avail =
		    (unsigned long long)fs.f_bavail * fs.f_frsize;
		log_warnx("the file system of %s has %llu bytes free%s; ingest "
		          "tries again every %d s",
		    r->state_real, avail,
		    avail < (64ull << 20) ? " (a full disk: free some space)"
		                          : "",
		    RETRY_SECS);
	}
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reprintd *r = arg;
	struct timeval tv = {RETRY_SECS, 0};
	int64_t t0 = clock_mono_us();
	int rc;

	/* Index merges first, a slice a turn: ingest waits for them (they
	 * keep its memory bounded), queries do not. */
	if (store_index_merge_wanted(r->st)) {
		rc = ingest_merge(r, 0);
		metrics_merge_observe(clock_mono_us() - t0);
		if (rc < 0) {
			pause_hint(r, rc);
			evtimer_add(r->retry_ev, &tv);
			return;
		}
		schedule_drain(r);
		return;
	}
	rc = ingest_batch(r);
	metrics_ingest_observe(clock_mono_us() - t0);
	if (rc < 0) {
		pause_hint(r, rc);
		evtimer_add(r->retry_ev, &tv);
		return;
	}
	if (rc == INGEST_DEFERRED) {
		/* Clients hold every descriptor: try again in a second
		 * rather than spin (the listener backs off the same way). */
		struct timeval second = {1, 0};
		evtimer_add(r->retry_ev, &second);
		return;
	}
	/* The start-up walk of a big tree comes in chunks: the next one
	 * once this one is ingested. */
	if (pending_count(r->q) == 0 && watch_scanning(r->w) &&
	    watch_scan_more(r->w) < 0)
		log_warnx("cannot read %s: the start-up scan stops here",
		    r->watch_real);
	if (pending_count(r->q) > 0 || store_index_merge_wanted(r->st))
		schedule_drain(r);
	else if (r->backfill) {
		/* Caught up: from now on files arrive one by one, and a
		 * batch is bounded by batch_ms again. */
		r->backfill = 0;
		log_info("start-up scan ingested: %" PRIu64 " documents "
		         "stored, %" PRIu64 " files rejected",
		    r->ningested, r->nrejected);
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reprintd *r = arg;

	log_info("resuming ingest (%zu files pending)", pending_count(r->q));
	r->paused = 0;
	schedule_drain(r);
}

static void
diff_cb(const char *key, const char *old, const char *new_, void *arg)
{
	int *restart = arg;

	if (strcmp(key, "watch") == 0 || strcmp(key, "state") == 0 ||
	    strcmp(key, "socket") == 0 || strcmp(key, "socket_mode") == 0 ||
	    strcmp(key, "socket_group") == 0 || strcmp(key, "nosync") == 0 ||
	    strcmp(key, "map_size") == 0 ||
	    strcmp(key, "index_memtable") == 0) {
		log_warnx("config: %s changed (%s -> %s); takes effect at "
		          "restart",
		    key, old, new_);
		*restart = 1;
		return;
	}
	log_info("config: %s: %s -> %s", key, old, new_);
}

/* Set counter name to v, its value before in *old. */
static int
counter_set(struct store_txn *txn, const char *name, uint64_t v, uint64_t *old)
{
	int rc;

	if ((rc = store_counter_get(txn, name, old)) < 0)
		return rc;
	return *old == v ? 0 : store_counter_set(txn, name, v);
}

/*
 * What the store was last run with: its matching settings (a hash of
 * them) and watched directory. Pairs found before a change keep the rules
 * they were found by, and a store moved to another tree names the files
 * of the old one: say so (at start, and at a reload that changes them).
 */
static void
note_settings(struct reprintd *r)
{
	const struct match_params *p = &r->cfg.match;
	struct store_txn *txn;
	uint64_t hm, hw, om = 0, ow = 0;
	char buf[320];
	int n, rc = STORE_ERETRY, tries;

	n = snprintf(buf, sizeof(buf),
	    "%u %.6f %.6f %.6f %.6f %.6f %.6f %.6f %.6f %u %" PRIu64,
	    p->boilerplate_df, p->near_dup_small, p->near_dup_large,
	    p->near_dup_passage, p->excerpt_small, p->excerpt_passage,
	    p->partial_passage, p->partial_passage_large, p->fact_disagreement,
	    p->min_chars, r->cfg.original_window);
	hm = XXH3_64bits(buf, (size_t)n) | 1;
	hw = XXH3_64bits(r->watch_real, strlen(r->watch_real)) | 1;
	for (tries = 0; tries < 4 && rc == STORE_ERETRY; tries++) {
		if ((rc = store_txn_begin(r->st, 1, &txn)) < 0)
			break;
		if ((rc = counter_set(txn, "settings/match", hm, &om)) < 0 ||
		    (rc = counter_set(txn, "settings/watch", hw, &ow)) < 0) {
			store_txn_abort(txn);
			continue;
		}
		rc = store_txn_commit(txn);
	}
	if (rc < 0) {
		log_warnx("cannot record the settings in the store: %s",
		    store_strerror(rc));
		return;
	}
	if (om != 0 && om != hm)
		log_warnx("the matching settings differ from those this store "
		          "last ran with: pairs found before keep the rules "
		          "they were found by; documents from now on are "
		          "matched with these");
	if (ow != 0 && ow != hw)
		log_warnx("this store last ran on another watched directory: "
		          "its documents are named as files of that one");
}

struct too_large {
	struct reprintd *r;
	size_t n;
	int err;
};

static int
too_large_cb(const struct store_reject *rj, void *arg)
{
	struct too_large *t = arg;

	if (strncmp(rj->reason, "too large", 9) != 0)
		return 0;
	if (pending_add(t->r->q, rj->path, now_us()) < 0) {
		t->err = -ENOMEM;
		return 1;
	}
	t->n++;
	return 0;
}

/* max_file_size was raised: the files rejected as too large are read
 * again (they are not written again, so nothing else would). */
static void
reread_too_large(struct reprintd *r)
{
	struct too_large t = {r, 0, 0};
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(r->st, 0, &txn)) < 0) {
		log_warnx(
		    "cannot read the rejected files: %s", store_strerror(rc));
		return;
	}
	rc = store_reject_each(txn, too_large_cb, &t);
	store_txn_abort(txn);
	if (rc < 0 || t.err < 0)
		log_warnx("cannot queue all files rejected as too large: %s",
		    rc < 0 ? store_strerror(rc) : strerror(-t.err));
	if (t.n > 0) {
		log_info("max_file_size raised: %zu files rejected as too "
		         "large are read again",
		    t.n);
		schedule_drain(r);
	}
}

static void
reload(struct main_ctx *m)
{
	struct reprintd *r = &m->r;
	struct config c;
	char err[512];
	int restart = 0;

	sock_notify("RELOADING=1");
	if (load_config(m, &c, err, sizeof(err)) < 0) {
		log_warnx("reload failed, keeping the running configuration: "
		          "%s",
		    err);
		config_free(&c);
		sock_notify("READY=1");
		return;
	}
	config_diff(&r->cfg, &c, diff_cb, &restart);
	/* What needs a restart keeps its running value: swap those back. */
	if (restart) {
		char *t;

#define KEEP(f)                                                                \
	do {                                                                   \
		t = c.f;                                                       \
		c.f = r->cfg.f;                                                \
		r->cfg.f = t;                                                  \
	} while (0)
		KEEP(watch);
		KEEP(state);
		KEEP(socket);
		KEEP(socket_group);
#undef KEEP
		c.socket_mode = r->cfg.socket_mode;
		c.nosync = r->cfg.nosync;
		c.map_size = r->cfg.map_size;
		c.index_memtable = r->cfg.index_memtable;
	}
	if (c.map_size_max != r->cfg.map_size_max)
		store_set_map_max(r->st, c.map_size_max);
	uint64_t max_was = r->cfg.max_file_size;
	config_free(&r->cfg);
	r->cfg = c;
	if (m->api != NULL)
		api_configure(m->api);
	log_info("configuration reloaded");
	if (r->cfg.max_file_size > max_was)
		reread_too_large(r);
	note_settings(r);
	if (r->paused) {
		r->paused = 0;
		schedule_drain(r);
	}
	sock_notify("READY=1");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_ctx *m = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s",
		    m->config_path != NULL ? m->config_path
		                           : "(no configuration file)");
		reload(m);
		/* Directories that could not be read: perhaps they can now. */
		if (m->r.w != NULL)
			watch_retry(m->r.w);
		break;
	default:
		/* Batches run to completion inside one callback, so the
		 * one in progress, if any, is committed already. */
		log_info("%s: shutting down", strsignal((int)sig));
		sock_notify("STOPPING=1");
		event_base_loopexit(m->r.base, NULL);
		break;
	}
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sock_notify("WATCHDOG=1");
}

static char *
real_dir(const char *what, const char *path)
{
	char buf[PATH_MAX];
	struct stat sb;

	if (realpath(path, buf) == NULL) {
		fprintf(stderr, "reprintd: %s directory %s: %s\n", what, path,
		    strerror(errno));
		return NULL;
	}
	if (stat(buf, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(
		    stderr, "reprintd: %s %s is not a directory\n", what, path);
		return NULL;
	}
	return strdup(buf);
}

/*
 * One daemon a state directory: two processes would each keep their own
 * index memtable and watch their own inbox, storing into one file. An
 * flock on state/reprintd.lock, held until exit (the kernel drops it with the
 * process, kill -9 included), refuses the second; the file holds the
 * holder's pid for the message. Returns the descriptor, or -1.
 */
static int
lock_state(const char *state)
{
	char path[PATH_MAX], pid[32];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/reprintd.lock", state) >=
	    sizeof(path)) {
		fprintf(stderr, "reprintd: %s: path too long\n", state);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0) {
		fprintf(stderr, "reprintd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		n = err == EWOULDBLOCK ? pread(fd, pid, sizeof(pid) - 1, 0) : 0;
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			fprintf(stderr,
			    "reprintd: state directory %s is in use by "
			    "another reprintd%s%s%s\n",
			    state, pid[0] ? " (pid " : "", pid,
			    pid[0] ? ")" : "");
		else
			fprintf(stderr, "reprintd: lock %s: %s\n", path,
			    strerror(err));
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warnx(
		    "%s: cannot write the pid: %s", path, strerror(errno));
	return fd;
}

/*
 * A warning of -n about directory path (what it is for), if any: 1. The
 * watch directory must be readable, the others writable.
 */
static int
warn_dir(const char *what, const char *path, int writable)
{
	struct stat sb;
	int mode = writable ? W_OK | X_OK : R_OK | X_OK;

	if (stat(path, &sb) < 0)
		fprintf(stderr, "reprintd: warning: %s %s: %s\n", what, path,
		    strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		fprintf(stderr, "reprintd: warning: %s %s is not a directory\n",
		    what, path);
	else if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) < 0)
		fprintf(stderr, "reprintd: warning: %s %s: %s\n", what, path,
		    strerror(errno));
	else
		return 0;
	return 1;
}

/* A warning of -n about a relative path, if it is one: 1. */
static int
warn_relative(const char *what, const char *path)
{
	if (path[0] == '/')
		return 0;
	fprintf(stderr,
	    "reprintd: warning: %s %s is relative: it is taken from the "
	    "current directory, which is \"/\" under systemd\n",
	    what, path);
	return 1;
}

/*
 * What -n looks at beyond the syntax: whether a start, by this user, now,
 * would find what the configuration names (the directories, the socket's
 * group and directory). Warnings, not errors: a file checked before it is
 * installed names directories systemd creates at the first start
 * (StateDirectory), and under socket activation `socket` is not used.
 * Returns the number of warnings printed.
 */
static int
check_runtime(const struct config *c)
{
	char dir[PATH_MAX], *slash;
	int n = 0;

	n += warn_relative("watch directory", c->watch);
	n += warn_dir("watch directory", c->watch, 0);
	n += warn_relative("state directory", c->state);
	n += warn_dir("state directory", c->state, 1);
	if (c->socket_group != NULL && getgrnam(c->socket_group) == NULL) {
		fprintf(stderr,
		    "reprintd: warning: socket_group %s: no such group\n",
		    c->socket_group);
		n++;
	}
	if (c->socket != NULL) {
		n += warn_relative("socket", c->socket);
		snprintf(dir, sizeof(dir), "%s", c->socket);
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			slash[slash == dir] = '\0'; /* "/x": "/" */
		n += warn_dir("directory of the socket", dir, 1);
	}
	return n;
}

static int
open_store(struct reprintd *r)
{
	struct store_options so = {0};
	int rc;

	so.flags = r->cfg.nosync ? STORE_NOSYNC : 0;
	so.map_size = r->cfg.map_size;
	so.map_size_max = r->cfg.map_size_max;
	so.index_mem = r->cfg.index_memtable;
	rc = store_open(r->state_real, &so, &r->st);
	if (rc == STORE_EVERSION) {
		fprintf(stderr,
		    "reprintd: the store in %s has schema version "
		    "%d, this reprintd reads version %d; move it away or use "
		    "a matching reprintd\n",
		    r->state_real, store_found_version(r->st),
		    STORE_SCHEMA_VERSION);
		store_close(r->st);
		r->st = NULL;
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "reprintd: cannot open the store in %s: %s\n",
		    r->state_real, store_strerror(rc));
		r->st = NULL;
		return -1;
	}
	return 0;
}

/* REPRINTD_NO_READ_AHEAD (tests), when set and not empty: no read-ahead
 * thread, ingest reads every file itself. */
static int
read_ahead_wanted(void)
{
	const char *v = getenv("REPRINTD_NO_READ_AHEAD");

	return v == NULL || *v == '\0';
}

/* The start-up walk of the watched tree. REPRINTD_SCAN_CHUNK (tests)
 * sets the size of its first chunk, so that a small tree comes in many. */
static int
start_scan(struct reprintd *r)
{
	const char *v = getenv("REPRINTD_SCAN_CHUNK");

	if (v != NULL && *v != '\0')
		return watch_scan_chunked(r->w, strtoul(v, NULL, 10));
	return watch_scan(r->w);
}

/* A line every ONCE_PROGRESS_S of a backfill, so that a long one says
 * how far it is (the first call starts the clock). */
#define ONCE_PROGRESS_S 10

static void
once_progress(struct reprintd *r)
{
	static int64_t start, last;
	static unsigned long long done0;
	int64_t now = clock_mono_us();
	unsigned long long done = r->ningested + r->nrejected;

	if (start == 0) {
		start = last = now;
		done0 = done;
		return;
	}
	if (now - last < ONCE_PROGRESS_S * INT64_C(1000000))
		return;
	last = now;
	log_info("progress: %llu documents stored, %llu files rejected, "
	         "%zu queued%s; %.0f files/s",
	    (unsigned long long)r->ningested, (unsigned long long)r->nrejected,
	    pending_count(r->q),
	    watch_scanning(r->w) ? " (the walk goes on)" : "",
	    (double)(done - done0) * 1e6 / (double)(now - start + 1));
}

/* --once: scan, ingest everything, exit. */
static int
run_once(struct main_ctx *m)
{
	struct reprintd *r = &m->r;

	r->backfill = 1;
	if (start_scan(r) < 0)
		return 1;
	log_info("%zu files to process%s", pending_count(r->q),
	    watch_scanning(r->w) ? " first (a big tree comes in chunks)" : "");
	once_progress(r); /* the clock starts */
	for (;;) {
		while (pending_count(r->q) > 0) {
			if (ingest_batch(r) < 0 || ingest_merge(r, 1) < 0)
				return 1;
			once_progress(r);
		}
		if (!watch_scanning(r->w))
			break;
		if (watch_scan_more(r->w) < 0)
			return 1;
	}
	if (r->ra != NULL)
		ra_drain(r->ra); /* its count is then final */
	log_info("done: %llu documents stored, %llu files rejected, %llu "
	         "read ahead",
	    (unsigned long long)r->ningested, (unsigned long long)r->nrejected,
	    (unsigned long long)ingest_read_ahead_count(r));
	return 0;
}

static int
open_socket(struct main_ctx *m)
{
	struct reprintd *r = &m->r;
	int fd, rc;

	if ((fd = sock_systemd_fd()) >= 0) {
		log_info("using the socket passed by systemd");
	} else {
		if (r->cfg.socket == NULL) {
			fprintf(stderr, "reprintd: no socket (--socket or "
			                "\"socket =\")\n");
			return -1;
		}
		rc = sock_listen(r->cfg.socket, r->cfg.socket_mode,
		    r->cfg.socket_group, &fd, &m->sock_ino);
		if (rc == -EADDRINUSE) {
			fprintf(stderr,
			    "reprintd: another reprintd is running "
			    "on %s\n",
			    r->cfg.socket);
			return -1;
		}
		if (rc == -ENOENT && r->cfg.socket_group != NULL) {
			fprintf(stderr,
			    "reprintd: socket_group %s: no such "
			    "group\n",
			    r->cfg.socket_group);
			return -1;
		}
		if (rc == -EEXIST) {
			fprintf(stderr,
			    "reprintd: %s exists and is not a "
			    "socket; not replacing it\n",
			    r->cfg.socket);
			return -1;
		}
		if (rc < 0) {
			fprintf(stderr, "reprintd: socket %s: %s\n",
			    r->cfg.socket, strerror(-rc));
			return -1;
		}
		m->own_socket = 1;
	}
	if ((rc = api_open(r, fd, &m->api)) < 0) {
		fprintf(stderr, "reprintd: cannot serve the socket: %s\n",
		    strerror(-rc));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"watch", required_argument, NULL, 'w'},
	    {"state", required_argument, NULL, 's'},
	    {"socket", required_argument, NULL, 'S'},
	    {"config", required_argument, NULL, 'f'},
	    {"once", no_argument, NULL, 'o'},
	    {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	struct main_ctx m;
	struct reprintd *r = &m.r;
	char err[512];
	int ch, once = 0, check = 0, verbose = 0, ret = 1, rc;
	unsigned long long wd;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.lock_fd = -1;
	while ((ch = getopt_long(argc, argv, "w:s:S:f:nvh", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'w':
		case 's':
		case 'S':
			m.ov[ch == 'w' ? 0 : ch == 's' ? 1 : 2] = optarg;
			break;
		case 'f':
			m.config_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("reprintd %s\n", REPRINTD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr,
		    "reprintd: unexpected argument \"%s\" (the "
		    "inbox is --watch DIR)\n",
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init(verbose);
	if (clock_init() < 0) {
		fprintf(stderr,
		    "reprintd: REPRINTD_NOW=%s is not unix "
		    "seconds\n",
		    getenv("REPRINTD_NOW"));
		return 1;
	}
	if (load_config(&m, &r->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "reprintd: %s\n", err);
		config_free(&r->cfg);
		return 1;
	}
	if (check) {
		rc = check_runtime(&r->cfg);
		fprintf(stderr, "reprintd: configuration OK%s\n",
		    rc ? " (with the warnings above)" : "");
		config_free(&r->cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	r->started_us = now_us();
	if ((r->watch_real = real_dir("watch", r->cfg.watch)) == NULL ||
	    (r->state_real = real_dir("state", r->cfg.state)) == NULL ||
	    (m.lock_fd = lock_state(r->state_real)) < 0)
		goto out;
	if (open_store(r) < 0)
		goto out;
	note_settings(r);
	if (read_ahead_wanted() && (rc = ra_start(r->watch_real, &r->ra)) < 0)
		log_warnerr(rc, "no read-ahead thread");
	if ((rc = detect_recent_new(&r->recent)) < 0)
		log_warnerr(rc, "no recent documents' features");
	if ((r->base = event_base_new()) == NULL || pending_new(&r->q) < 0 ||
	    (r->drain_ev = evtimer_new(r->base, drain_cb, r)) == NULL ||
	    (r->retry_ev = evtimer_new(r->base, retry_cb, r)) == NULL) {
		fprintf(stderr, "reprintd: out of memory\n");
		goto out;
	}
	if (watch_open(
	        once ? NULL : r->base, r->watch_real, found_cb, r, &r->w) < 0) {
		fprintf(stderr, "reprintd: inotify: %s\n", strerror(errno));
		goto out;
	}
	watch_set_known(r->w, known_cb);
	watch_set_attrib(r->w, attrib_cb);
	if (once) {
		ret = run_once(&m);
		goto out;
	}
	if (open_socket(&m) < 0)
		goto out;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		m.sig[i] = evsignal_new(r->base, sigs[i], signal_cb, &m);
		if (m.sig[i] == NULL || evsignal_add(m.sig[i], NULL) < 0) {
			fprintf(stderr, "reprintd: cannot handle signals\n");
			goto out;
		}
	}
	if ((wd = sock_watchdog_usec()) > 0) {
		struct timeval tv = {
		    (time_t)(wd / 2000000), (suseconds_t)(wd / 2 % 1000000)};

		m.watchdog =
		    event_new(r->base, -1, EV_PERSIST, watchdog_cb, NULL);
		if (m.watchdog != NULL)
			evtimer_add(m.watchdog, &tv);
	}
	/* Watches first, inside the scan, so that nothing landing during
	 * the scan is missed; files seen twice are queued once. */
	r->backfill = 1;
	if (start_scan(r) < 0) {
		fprintf(stderr, "reprintd: cannot read %s\n", r->watch_real);
		goto out;
	}
	if (pending_count(r->q) == 0)
		r->backfill = 0; /* nothing to catch up on */
	log_info("reprintd %s: watching %s (%u directories, %zu files to "
	         "check%s), store %s, socket %s",
	    REPRINTD_VERSION, r->watch_real, watch_count(r->w),
	    pending_count(r->q), watch_scanning(r->w) ? " first" : "",
	    r->state_real, m.own_socket ? r->cfg.socket : "from systemd");
	sock_notify("READY=1");
	if (event_base_dispatch(r->base) < 0) {
		log_warnx("event loop failed");
		goto out;
	}
	ret = 0;
out:
	if (m.api != NULL)
		api_close(m.api);
	if (m.own_socket)
		sock_unlink(r->cfg.socket, m.sock_ino);
	for (i = 0; i < sizeof(m.sig) / sizeof(m.sig[0]); i++)
		if (m.sig[i] != NULL)
			event_free(m.sig[i]);
	if (m.watchdog != NULL)
		event_free(m.watchdog);
	watch_close(r->w);
	if (r->drain_ev != NULL)
		event_free(r->drain_ev);
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	ra_stop(r->ra);
	detect_recent_free(r->recent);
	pending_free(r->q);
	if (r->st != NULL)
		store_close(r->st);
	if (r->base != NULL)
		event_base_free(r->base);
	free(r->watch_real);
	free(r->state_real);
	if (m.lock_fd >= 0)
		close(m.lock_fd); /* after the store: it is the store's lock */
	config_free(&r->cfg);
	if (ret == 0 && !once)
		log_info("stopped");
	return ret;
}
