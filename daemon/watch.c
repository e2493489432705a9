/* watch.c - recursive inotify and the ordered tree walk; see watch.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <xxhash.h>

#include "log.h"
#include "metrics.h"
#include "text.h"
#include "watch.h"

#define WATCH_MASK                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |            \
	    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |           \
	    IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define WATCH_DEPTH_MAX 64        /* deeper trees are not news feeds */
#define WATCH_BACK_SECS 1         /* how often a vanished root is looked for */
#define WATCH_SUMS_MAX (3u << 14) /* directories summarized: 3 MiB at most */

/*
 * What a pass of a chunked walk saw of one directory (struct dsum), so
 * that a later pass need not stat its files again. When the directory's
 * own times are unchanged (no entry added, removed or renamed since), a
 * pass passes over its files if they are all older than the last file
 * reported (each was reported by an earlier chunk, or is stored) or all
 * newer than the pass's bound (scan_bound: a later chunk's); it reads
 * the directory only for its subdirectories (d_type tells them apart
 * without a stat), and not at all if it has none. A big tree is walked
 * about 16 times (watch.h): at a million files that was 16 million
 * stats, some 40 s of a 6-minute backfill at the 2.5 us a stat costs on
 * the development machine. Now, when the tree's folders fill in time
 * order (an inbox by date, an archive), a pass stats about a chunk's
 * files; when every folder spans all of time, the walk stays as it was.
 * A file written in place in a directory passed over is left to its
 * inotify event (with --once, to the next start's walk), as one whose
 * mtime moves behind the chunks reported always was.
 */
struct dsum {
	uint64_t h;       /* XXH3 of the relative path, | 1; 0: empty slot */
	int64_t dm, dc;   /* the directory's mtime and ctime, ns */
	int64_t fmin;     /* oldest mtime of its other entries, ns */
	int64_t fmax;     /* newest */
	uint32_t nfiles;  /* those entries */
	uint32_t nsubdir; /* and its subdirectories */
};

#define WATCH_FROM 256 /* halves of a rename waiting for the other */

struct watch {
	struct event_base *base;
	char *root;
	int fd; /* inotify, -1 without */
	struct event *ev;
	struct event *back_ev; /* looks for a root that was deleted/moved */
	watch_found_cb found;
	watch_known_cb known;  /* NULL: every file is reported */
	watch_found_cb attrib; /* a file's IN_ATTRIB; NULL: not reported */
	void *arg;
	/* Directory of each watch descriptor, relative to root ("" for the
	 * root). Indexed by wd: the kernel hands out small, increasing
	 * numbers, so a slot per wd costs 8 bytes and a lookup nothing. */
	char **dirs;
	size_t ndirs;
	unsigned count;
	int warned_limit;
	/* The walk of the whole tree, in chunks (watch_scan_more): */
	int scanning;      /* chunks remain */
	int scan_watches;  /* the next pass is the first: add watches */
	size_t scan_chunk; /* files per chunk */
	struct timespec last_mtime; /* the last file reported, if last_path */
	char *last_path;
	struct dsum *sums; /* open addressing on h; cleared by scan_end */
	size_t nsums, capsums;
	/* This pass reports files up to bound only (ns), if bounded; no
	 * more bounds after one that kept too few (see scan_bound). */
	int64_t bound;
	int bounded, unbounded;
	/* Renames within the tree, seen as IN_MOVED_FROM then IN_MOVED_TO
	 * with one cookie (watch_moved_from): the names moved away, waiting
	 * for their other half, and the moves made of the two, newest at
	 * moves_next - 1; both rings forget the oldest. */
	struct {
		uint32_t cookie;
		char *rel;
	} from[WATCH_FROM];
	unsigned from_next;
	struct {
		char *from, *to;
		int dir; /* a folder: the files under it moved */
	} moves[WATCH_MOVES];
	unsigned moves_next;
	/* Directories that could not be read (EACCES, EPERM), relative to
	 * root: walked again when their permissions change (IN_ATTRIB on
	 * the parent) or on watch_retry. */
	char **denied;
	size_t ndenied, capdenied;
	int retrying; /* watch_retry: known ones are not said again */
};

struct scan_file {
	struct timespec mtime;
	char *path;
};

/* A subtree's files (watch_scan_rel), or one chunk of the tree's: then a
 * max-heap of the cap smallest files after the last reported. */
struct scan_list {
	struct scan_file *v;
	size_t n, cap;
	int more;      /* files were left out of the chunk */
	size_t nfiles; /* files walked, not reported yet */
};

/* A file visited by the walk: 0 if the list took path, 1 if the caller
 * should free it, or -errno. */
typedef int (*scan_visit_fn)(
    struct watch *w, struct scan_list *l, const struct stat *sb, char *path);

static char *join(const char *a, const char *b);
static void moves_clear(struct watch *w);
static void denied_clear(struct watch *w);
static void denied_drop_under(struct watch *w, const char *rel);
static void watch_read_cb(evutil_socket_t fd, short what, void *arg);
static void watch_back_cb(evutil_socket_t fd, short what, void *arg);

int
watch_open(struct event_base *base, const char *root, watch_found_cb found,
    void *arg, struct watch **out)
{
	struct watch *w;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->fd = -1;
	w->base = base;
	w->found = found;
	w->arg = arg;
	if ((w->root = strdup(root)) == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	if (base != NULL) {
		if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
			rc = -errno;
			goto err;
		}
		w->ev = event_new(
		    base, w->fd, EV_READ | EV_PERSIST, watch_read_cb, w);
		if (w->ev == NULL || event_add(w->ev, NULL) < 0 ||
		    (w->back_ev = evtimer_new(base, watch_back_cb, w)) ==
		        NULL) {
			rc = -ENOMEM;
			goto err;
		}
	}
	*out = w;
	return 0;
err:
	watch_close(w);
	return rc;
}

void
watch_close(struct watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->back_ev != NULL)
		event_free(w->back_ev);
	if (w->fd >= 0)
		close(w->fd);
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i]);
	free(w->dirs);
	free(w->root);
	free(w->last_path);
	free(w->sums);
	moves_clear(w);
	denied_clear(w);
	free(w->denied);
	free(w);
}

/* Forget the renames: after an overflow or a lost root, events are
 * missing, and a stale rename could name a copy a move. */
static void
moves_clear(struct watch *w)
{
	size_t i;

	for (i = 0; i < WATCH_FROM; i++) {
		free(w->from[i].rel);
		w->from[i].rel = NULL;
	}
	for (i = 0; i < WATCH_MOVES; i++) {
		free(w->moves[i].from);
		free(w->moves[i].to);
		w->moves[i].from = w->moves[i].to = NULL;
	}
}

/* IN_MOVED_FROM: rel (malloc'd, taken) left, to arrive elsewhere with
 * this cookie, or not (moved out of the tree). */
static void
move_from(struct watch *w, uint32_t cookie, char *rel)
{
	unsigned i = w->from_next++ % WATCH_FROM;

	free(w->from[i].rel);
	w->from[i].cookie = cookie;
	w->from[i].rel = rel;
}

static void
move_add(struct watch *w, char *from, const char *to, int dir)
{
	unsigned j = w->moves_next++ % WATCH_MOVES;

	free(w->moves[j].from);
	free(w->moves[j].to);
	w->moves[j].from = from;
	w->moves[j].dir = dir;
	if ((w->moves[j].to = strdup(to)) == NULL) {
		free(w->moves[j].from);
		w->moves[j].from = NULL;
	}
}

/* A file written at rel (closed after writing, or moved in): what was
 * moved there before is no longer what is there. */
static void
move_forget(struct watch *w, const char *rel)
{
	size_t i;

	for (i = 0; i < WATCH_MOVES; i++)
		if (w->moves[i].to != NULL && !w->moves[i].dir &&
		    strcmp(w->moves[i].to, rel) == 0) {
			free(w->moves[i].from);
			free(w->moves[i].to);
			w->moves[i].from = w->moves[i].to = NULL;
		}
}

/* IN_MOVED_TO: if rel's cookie left a name in the tree, a move. */
static void
move_to(struct watch *w, uint32_t cookie, const char *rel, int dir)
{
	unsigned i;

	for (i = 0; i < WATCH_FROM; i++)
		if (w->from[i].rel != NULL && w->from[i].cookie == cookie)
			break;
	if (i == WATCH_FROM)
		return;
	move_add(w, w->from[i].rel, rel, dir);
	w->from[i].rel = NULL;
}

/*
 * A file found by the first walk of a folder just created: a rename into
 * it that came before its watch sends no IN_MOVED_TO (mkdir d; mv f d/).
 * A name moved away (IN_MOVED_FROM, its other half unseen) with the same
 * last component, and nothing at it now, is taken for its origin; ingest
 * still asks for the same content, size and mtime.
 */
static void
move_to_new_dir(struct watch *w, const char *rel)
{
	const char *base = strrchr(rel, '/'), *b;
	char *full;
	struct stat sb;
	unsigned i;
	int gone;

	base = base != NULL ? base + 1 : rel;
	for (i = 0; i < WATCH_FROM; i++) {
		if (w->from[i].rel == NULL)
			continue;
		b = strrchr(w->from[i].rel, '/');
		b = b != NULL ? b + 1 : w->from[i].rel;
		if (strcmp(b, base) != 0 ||
		    (full = join(w->root, w->from[i].rel)) == NULL)
			continue;
		gone = lstat(full, &sb) < 0 && errno == ENOENT;
		free(full);
		if (!gone)
			continue;
		move_add(w, w->from[i].rel, rel, 0);
		w->from[i].rel = NULL;
		return;
	}
}

char *
watch_moved_from(const struct watch *w, const char *path)
{
	unsigned k, j;
	size_t n;
	char *out;

	/* Newest first: a name moved twice answers its last move. */
	for (k = 1; k <= WATCH_MOVES && k <= w->moves_next; k++) {
		j = (w->moves_next - k) % WATCH_MOVES;
		if (w->moves[j].to == NULL)
			continue;
		n = strlen(w->moves[j].to);
		/* The file itself, an item of it, or a file of a folder. */
		if (strncmp(path, w->moves[j].to, n) != 0 ||
		    (path[n] != '\0' && !text_item_suffix(path + n) &&
		        !(w->moves[j].dir && path[n] == '/')))
			continue;
		if ((out = malloc(strlen(w->moves[j].from) + strlen(path) - n +
		                  1)) != NULL)
			sprintf(out, "%s%s", w->moves[j].from, path + n);
		return out;
	}
	return NULL;
}

unsigned
watch_count(const struct watch *w)
{
	return w->count;
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if (la == 0)
		return strdup(b);
	if ((s = malloc(la + lb + 2)) == NULL)
		return NULL;
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

/* Watch directory rel (relative to root). Errors are logged, not
 * returned: a directory we cannot watch is still walked. */
static void
watch_add(struct watch *w, const char *rel)
{
	char *full, *copy, **nd;
	int wd;
	size_t n;

	if (w->fd < 0)
		return;
	if ((full = join(w->root, rel)) == NULL)
		return;
	wd = inotify_add_watch(w->fd, full, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC && !w->warned_limit) {
			/* Once: at this point every new directory fails. */
			log_warnx(
			    "cannot watch %s: inotify watch limit "
			    "reached (raise fs.inotify.max_user_watches); "
			    "new files there are found only by a rescan",
			    full);
			w->warned_limit = 1;
		} else if (errno != ENOSPC && errno != ENOENT &&
		           errno != EACCES)
			/* EACCES: the walk says it cannot read it. */
			log_warnerr(-errno, "cannot watch %s", full);
		free(full);
		return;
	}
	free(full);
	if ((size_t)wd >= w->ndirs) {
		n = (size_t)wd + 64;
		if ((nd = realloc(w->dirs, n * sizeof(*nd))) == NULL)
			return;
		memset(nd + w->ndirs, 0, (n - w->ndirs) * sizeof(*nd));
		w->dirs = nd;
		w->ndirs = n;
	}
	if ((copy = strdup(rel)) == NULL)
		return;
	/* The same directory added again (a rescan, a move inside the tree)
	 * gets its old wd back: update its path. */
	if (w->dirs[wd] == NULL)
		w->count++;
	free(w->dirs[wd]);
	w->dirs[wd] = copy;
}

static void
watch_forget(struct watch *w, int wd)
{
	if (wd >= 0 && (size_t)wd < w->ndirs && w->dirs[wd] != NULL) {
		free(w->dirs[wd]);
		w->dirs[wd] = NULL;
		w->count--;
	}
}

/* A directory left the tree (moved away): drop its watches and those of
 * everything under it, so that their events do not name stale paths. */
static void
watch_drop_subtree(struct watch *w, const char *rel)
{
	size_t i, n = strlen(rel);

	for (i = 0; i < w->ndirs; i++) {
		const char *d = w->dirs[i];

		if (d == NULL || strncmp(d, rel, n) != 0 ||
		    (d[n] != '\0' && d[n] != '/'))
			continue;
		inotify_rm_watch(w->fd, (int)i);
		watch_forget(w, (int)i);
	}
	denied_drop_under(w, rel);
}

static int
scan_push(struct scan_list *l, const struct timespec *mt, char *path)
{
	struct scan_file *nv;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n].mtime = *mt;
	l->v[l->n].path = path;
	l->n++;
	return 0;
}

static int
key_cmp(const struct timespec *am, const char *ap, const struct timespec *bm,
    const char *bp)
{
	if (am->tv_sec != bm->tv_sec)
		return am->tv_sec < bm->tv_sec ? -1 : 1;
	if (am->tv_nsec != bm->tv_nsec)
		return am->tv_nsec < bm->tv_nsec ? -1 : 1;
	return strcmp(ap, bp);
}

static int
scan_cmp(const void *pa, const void *pb)
{
	const struct scan_file *a = pa, *b = pb;

	return key_cmp(&a->mtime, a->path, &b->mtime, b->path);
}

/* A regular file stored as it is now: the walk leaves it out. */
static int
is_known(struct watch *w, const struct stat *sb, const char *path)
{
	return w->known != NULL && S_ISREG(sb->st_mode) &&
	       w->known(path, sb, w->arg) == 1;
}

/* Every file of a subtree. */
static int
visit_all(
    struct watch *w, struct scan_list *l, const struct stat *sb, char *path)
{
	if (is_known(w, sb, path))
		return 1;
	l->nfiles++;
	return scan_push(l, &sb->st_mtim, path);
}

static void
heap_sift_down(struct scan_list *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;
		if (c < l->n && scan_cmp(&l->v[c], &l->v[m]) > 0)
			m = c;
		if (c + 1 < l->n && scan_cmp(&l->v[c + 1], &l->v[m]) > 0)
			m = c + 1;
		if (m == i)
			return;
		struct scan_file t = l->v[i];
		l->v[i] = l->v[m];
		l->v[m] = t;
		i = m;
	}
}

/* One chunk: the l->cap smallest files after the last reported, kept in
 * a max-heap (v[0] the largest kept). */
static int
visit_chunk(
    struct watch *w, struct scan_list *l, const struct stat *sb, char *path)
{
	const struct timespec *mt = &sb->st_mtim;

	if (w->last_path != NULL &&
	    key_cmp(mt, path, &w->last_mtime, w->last_path) <= 0)
		return 1; /* reported by an earlier chunk */
	l->nfiles++;
	/* Asking the store costs a lookup: ask about a file only if it would
	 * enter the chunk, and about one that would not only until one is
	 * not known (l->more). A big new tree then costs a lookup per heap
	 * entry, not one per file and pass. */
	if (l->n == l->cap &&
	    key_cmp(mt, path, &l->v[0].mtime, l->v[0].path) >= 0) {
		if (!l->more && !is_known(w, sb, path))
			l->more = 1;
		return 1;
	}
	if (is_known(w, sb, path))
		return 1;
	if (l->n < l->cap) {
		size_t i = l->n++;
		l->v[i] = (struct scan_file){*mt, path};
		while (i > 0 && scan_cmp(&l->v[i], &l->v[(i - 1) / 2]) > 0) {
			struct scan_file t = l->v[i];
			l->v[i] = l->v[(i - 1) / 2];
			l->v[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
		return 0;
	}
	l->more = 1; /* the largest kept is left out */
	free(l->v[0].path);
	l->v[0] = (struct scan_file){*mt, path};
	heap_sift_down(l, 0);
	return 0;
}

static int64_t
ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static uint64_t
dsum_hash(const char *rel)
{
	return XXH3_64bits(rel, strlen(rel)) | 1;
}

/* The slot of h: its summary, or the empty slot it would take. */
static struct dsum *
dsum_slot(struct watch *w, uint64_t h)
{
	size_t mask = w->capsums - 1, i = (size_t)(h >> 7) & mask;

	while (w->sums[i].h != 0 && w->sums[i].h != h)
		i = (i + 1) & mask;
	return &w->sums[i];
}

static const struct dsum *
dsum_get(struct watch *w, uint64_t h)
{
	struct dsum *d;

	if (w->capsums == 0)
		return NULL;
	d = dsum_slot(w, h);
	return d->h == h ? d : NULL;
}

/* Record a summary; past WATCH_SUMS_MAX directories (or out of memory)
 * new ones are not kept, and those directories are listed every pass. */
static void
dsum_put(struct watch *w, const struct dsum *v)
{
	struct dsum *d, *old = w->sums, *nv;
	size_t oldcap = w->capsums, cap, i;

	if (oldcap > 0 && (d = dsum_slot(w, v->h))->h == v->h) {
		*d = *v;
		return;
	}
	if (4 * (w->nsums + 1) > 3 * oldcap) { /* at most 3/4 full */
		cap = oldcap ? 2 * oldcap : 256;
		if (w->nsums >= WATCH_SUMS_MAX ||
		    (nv = calloc(cap, sizeof(*nv))) == NULL)
			return;
		w->sums = nv;
		w->capsums = cap;
		for (i = 0; i < oldcap; i++)
			if (old[i].h != 0)
				*dsum_slot(w, old[i].h) = old[i];
		free(old);
	}
	*dsum_slot(w, v->h) = *v;
	w->nsums++;
}

/*
 * Start sum, directory rel's summary as of dsb, and say whether this pass
 * can pass over its files: 0 list them; 1 skip them (the directory is
 * unchanged since a pass that summarized it, and its files are all older
 * than the last reported, or all newer than this pass's bound); 2 skip
 * the directory altogether (no subdirectory either).
 */
static int
dsum_skip(
    struct watch *w, const char *rel, const struct stat *dsb, struct dsum *sum)
{
	const struct dsum *was;

	sum->h = dsum_hash(rel);
	sum->dm = ts_ns(&dsb->st_mtim);
	sum->dc = ts_ns(&dsb->st_ctim);
	sum->fmin = INT64_MAX;
	sum->fmax = INT64_MIN;
	if ((was = dsum_get(w, sum->h)) == NULL || was->dm != sum->dm ||
	    was->dc != sum->dc)
		return 0;
	if ((w->last_path == NULL || was->fmax >= ts_ns(&w->last_mtime)) &&
	    (!w->bounded || was->fmin <= w->bound))
		return 0;
	*sum = *was;
	return was->nsubdir == 0 ? 2 : 1;
}

static void
dsum_file(struct dsum *sum, const struct stat *sb)
{
	int64_t t = ts_ns(&sb->st_mtim);

	sum->nfiles++;
	if (t < sum->fmin)
		sum->fmin = t;
	if (t > sum->fmax)
		sum->fmax = t;
}

/* Index of rel in w->denied, or w->ndenied. */
static size_t
denied_find(const struct watch *w, const char *rel)
{
	size_t i;

	for (i = 0; i < w->ndenied && strcmp(w->denied[i], rel) != 0; i++)
		;
	return i;
}

/*
 * Remember that directory rel could not be read (err), to walk it again
 * when its permissions change. Said once: not at every pass of a chunked
 * walk, nor at every retry.
 */
static void
denied_add(struct watch *w, const char *rel, int err)
{
	char **nv, *copy, *full;
	size_t cap;

	if (denied_find(w, rel) < w->ndenied)
		return;
	if (!w->retrying && (full = join(w->root, rel)) != NULL) {
		log_warnerr(err,
		    "cannot read directory %s (its files are read once it "
		    "can be: on a change of its permissions, or on SIGHUP)",
		    full);
		free(full);
	}
	if (w->ndenied == w->capdenied) {
		cap = w->capdenied ? w->capdenied * 2 : 8;
		if ((nv = realloc(w->denied, cap * sizeof(*nv))) == NULL)
			return;
		w->denied = nv;
		w->capdenied = cap;
	}
	if ((copy = strdup(rel)) != NULL)
		w->denied[w->ndenied++] = copy;
}

/* Forget entry i of w->denied. */
static void
denied_del(struct watch *w, size_t i)
{
	free(w->denied[i]);
	w->denied[i] = w->denied[--w->ndenied];
}

/* Forget the directories at or under rel (moved away, deleted). */
static void
denied_drop_under(struct watch *w, const char *rel)
{
	size_t i = 0, n = strlen(rel);

	while (i < w->ndenied) {
		const char *d = w->denied[i];

		if (strncmp(d, rel, n) == 0 && (d[n] == '\0' || d[n] == '/'))
			denied_del(w, i);
		else
			i++;
	}
}

static void
denied_clear(struct watch *w)
{
	while (w->ndenied > 0)
		denied_del(w, w->ndenied - 1);
}

/*
 * Walk directory rel: watch it first (so that nothing created during the
 * walk is missed; a file seen twice is queued once), then list it. dsb is
 * its lstat by the parent's listing (NULL: the root's, taken here). A
 * chunk's pass (visit_chunk) skips the files of a directory done (struct
 * dsum) and summarizes the others.
 */
static int
scan_dir(struct watch *w, const char *rel, const struct stat *dsb, int depth,
    int watches, scan_visit_fn visit, struct scan_list *l)
{
	struct dirent *de;
	struct stat sb, own;
	struct dsum sum = {0};
	int summarize = visit == visit_chunk, skip_files = 0;
	DIR *d;
	char *full, *child;
	int fd, rc = 0;
	size_t di;

	if (depth > WATCH_DEPTH_MAX) {
		log_warnx("%s: deeper than %d directories, not descending", rel,
		    WATCH_DEPTH_MAX);
		return 0;
	}
	if (summarize && dsb != NULL) {
		skip_files = dsum_skip(w, rel, dsb, &sum);
		if (skip_files == 2)
			return 0; /* nothing else in it: not even opened */
	}
	if (watches)
		watch_add(w, rel);
	if ((full = join(w->root, rel)) == NULL)
		return -ENOMEM;
	fd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		if (rc == -EACCES || rc == -EPERM)
			denied_add(w, rel, rc);
		else if (rc != -ENOENT)
			log_warnerr(rc, "cannot read directory %s", full);
		free(full);
		return depth == 0 ? rc : 0;
	}
	free(full);
	/* Readable now: no longer among those that were not. */
	if (w->ndenied > 0 && (di = denied_find(w, rel)) < w->ndenied)
		denied_del(w, di);
	if (summarize && dsb == NULL) {
		if (fstat(fd, &own) == 0)
			skip_files = dsum_skip(w, rel, &own, &sum) != 0;
		else
			summarize = 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (text_name_ignored(de->d_name))
			continue;
		if (skip_files && de->d_type != DT_DIR &&
		    de->d_type != DT_UNKNOWN)
			continue; /* reported, stored, or for a later pass */
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) <
		    0) {
			int e = errno;

			/* Listed but not searchable (r without x): as a
			 * directory that cannot be read. One entry we may
			 * not stat in a searchable one is passed over. */
			if ((e != EACCES && e != EPERM) ||
			    faccessat(dirfd(d), ".", X_OK, AT_EACCESS) == 0)
				continue; /* gone already */
			denied_add(w, rel, -e);
			break;
		}
		if ((child = join(rel, de->d_name)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (S_ISDIR(sb.st_mode)) {
			sum.nsubdir++;
			rc = scan_dir(
			    w, child, &sb, depth + 1, watches, visit, l);
			free(child);
			if (rc < 0)
				break;
			continue;
		}
		dsum_file(&sum, &sb);
		/* Regular files and everything else: the ingest step
		 * rejects what is not a readable regular file, and counts
		 * it, so that a FIFO in the inbox is visible in status. */
		if ((rc = visit(w, l, &sb, child)) != 0) {
			free(child);
			if (rc < 0)
				break;
			rc = 0;
		}
	}
	closedir(d);
	/* A directory listed whole (not read to its end: no summary). */
	if (rc == 0 && summarize && !skip_files)
		dsum_put(w, &sum);
	return rc;
}

/* Free the paths of l from index from on, which leaves from of them. */
static void
list_free(struct scan_list *l, size_t from)
{
	for (size_t i = from; i < l->n; i++)
		free(l->v[i].path);
	l->n = from < l->n ? from : l->n;
}

/* Walk the subtree rel and report its files in (mtime, path) order;
 * created: rel was just made, files renamed into it had no event. */
static int
watch_scan_rel(struct watch *w, const char *rel, int created)
{
	struct scan_list l = {0};
	size_t i;
	int rc;

	rc = scan_dir(w, rel, NULL, 0, 1, visit_all, &l);
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.v, l.n, sizeof(*l.v), scan_cmp);
		for (i = 0; i < l.n; i++) {
			if (created)
				move_to_new_dir(w, l.v[i].path);
			w->found(l.v[i].path, w->arg);
		}
	}
	list_free(&l, 0);
	free(l.v);
	return rc;
}

static void
scan_end(struct watch *w)
{
	w->scanning = 0;
	free(w->last_path);
	w->last_path = NULL;
	free(w->sums);
	w->sums = NULL;
	w->nsums = w->capsums = 0;
	w->bounded = w->unbounded = 0;
}

int
watch_scan_chunked(struct watch *w, size_t chunk)
{
	int rc;

	scan_end(w);
	denied_clear(w); /* the walk finds them again */
	w->scanning = 1;
	w->scan_watches = 1;
	w->scan_chunk = chunk ? chunk : 1;
	return (rc = watch_scan_more(w)) < 0 ? rc : 0;
}

void
watch_retry(struct watch *w)
{
	char **v = w->denied;
	size_t n = w->ndenied, i;

	/* Each is walked again, and comes back if it still cannot be
	 * read. */
	w->denied = NULL;
	w->ndenied = w->capdenied = 0;
	w->retrying = 1;
	for (i = 0; i < n; i++) {
		watch_scan_rel(w, v[i], 0);
		free(v[i]);
	}
	w->retrying = 0;
	free(v);
}

size_t
watch_unreadable(struct watch *w)
{
	size_t i = 0;
	char *full;
	struct stat sb;

	/* Deleted since (no event says so: IN_DELETE for every file of a
	 * tree aged out by tmpfiles would overflow the queue): forgotten. */
	while (i < w->ndenied) {
		if ((full = join(w->root, w->denied[i])) != NULL &&
		    lstat(full, &sb) < 0 && errno == ENOENT)
			denied_del(w, i);
		else
			i++;
		free(full);
	}
	return w->ndenied;
}

void
watch_set_attrib(struct watch *w, watch_found_cb attrib)
{
	w->attrib = attrib;
}

void
watch_set_known(struct watch *w, watch_known_cb known)
{
	w->known = known;
}

int
watch_scan(struct watch *w)
{
	return watch_scan_chunked(w, WATCH_SCAN_CHUNK);
}

int
watch_scanning(const struct watch *w)
{
	return w->scanning;
}

struct bound_dir {
	int64_t fmax;
	uint64_t nfiles;
};

static int
bound_cmp(const void *pa, const void *pb)
{
	const struct bound_dir *a = pa, *b = pb;

	return a->fmax < b->fmax ? -1 : a->fmax > b->fmax;
}

/*
 * The next pass's bound: the directories summarized whose files are all
 * newer than the last reported, oldest first by their newest file, until
 * they hold a chunk. That many files are no newer than the bound, so the
 * next chunk needs none newer, and the pass passes over the directories
 * whose files all are (at a million files in folders filled in time
 * order, a pass then stats about a chunk, not all that is left). Files
 * can go meanwhile: the pass then reports only those up to the bound
 * (watch_scan_more). Known files count too, and may leave a pass short:
 * after one that kept under a quarter of a chunk, there are no more
 * bounds in this walk.
 */
static void
scan_bound(struct watch *w)
{
	int64_t last = ts_ns(&w->last_mtime);
	struct bound_dir *v;
	size_t i, n = 0;
	uint64_t files = 0;

	w->bounded = 0;
	if (w->unbounded || w->nsums == 0 ||
	    (v = malloc(w->nsums * sizeof(*v))) == NULL)
		return;
	for (i = 0; i < w->capsums; i++)
		if (w->sums[i].h != 0 && w->sums[i].nfiles > 0 &&
		    w->sums[i].fmin > last)
			v[n++] = (struct bound_dir){
			    w->sums[i].fmax, w->sums[i].nfiles};
	qsort(v, n, sizeof(*v), bound_cmp);
	for (i = 0; i < n && files < w->scan_chunk; i++)
		files += v[i].nfiles;
	if (files >= w->scan_chunk && i < n) {
		w->bound = v[i - 1].fmax;
		w->bounded = 1;
	}
	free(v);
}

/* One pass: the chunk's files in l, sorted, none past the bound. */
static int
scan_pass(struct watch *w, struct scan_list *l)
{
	size_t keep;
	int rc;

	rc = scan_dir(w, "", NULL, 0, w->scan_watches, visit_chunk, l);
	if (rc != 0)
		return rc;
	w->scan_watches = 0;
	qsort(l->v, l->n, sizeof(*l->v), scan_cmp);
	if (!w->bounded)
		return 0;
	for (keep = 0; keep < l->n; keep++)
		if (ts_ns(&l->v[keep].mtime) > w->bound)
			break;
	list_free(l, keep);
	l->more = 1; /* the directories passed over */
	if (keep < w->scan_chunk / 4)
		w->unbounded = 1;
	if (keep > 0)
		return 0;
	/* Files up to the bound went since: the pass again, all of it. */
	w->bounded = 0;
	l->more = 0;
	l->nfiles = 0;
	return scan_pass(w, l);
}

int
watch_scan_more(struct watch *w)
{
	struct scan_list l = {0};
	char *last = NULL;
	size_t i;
	int rc;

	if (!w->scanning)
		return 0;
	l.cap = w->scan_chunk;
	if ((l.v = malloc(l.cap * sizeof(*l.v))) == NULL)
		return -ENOMEM;
	rc = scan_pass(w, &l);
	if (rc == 0) {
		/* A big tree: about 16 passes, each holding 1/16. */
		if (l.nfiles / 16 > w->scan_chunk)
			w->scan_chunk = l.nfiles / 16;
		if (l.more && l.n > 0 &&
		    (last = strdup(l.v[l.n - 1].path)) == NULL)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		for (i = 0; i < l.n; i++)
			w->found(l.v[i].path, w->arg);
		if (l.more && l.n > 0) {
			free(w->last_path);
			w->last_path = last;
			w->last_mtime = l.v[l.n - 1].mtime;
			scan_bound(w);
		} else {
			scan_end(w);
		}
	} else {
		scan_end(w);
	}
	list_free(&l, 0);
	free(l.v);
	return rc < 0 ? rc : w->scanning;
}

/*
 * The root was deleted or moved away. Every watch goes (those of a tree
 * moved elsewhere would name paths that are no longer ours); whatever is
 * at the root's path now is walked, and if nothing is, it is looked for
 * every WATCH_BACK_SECS until it is back.
 */
static void
watch_root_lost(struct watch *w)
{
	static const struct timeval tv = {WATCH_BACK_SECS, 0};
	size_t i;

	for (i = 0; i < w->ndirs; i++)
		if (w->dirs[i] != NULL) {
			inotify_rm_watch(w->fd, (int)i);
			watch_forget(w, (int)i);
		}
	moves_clear(w);
	if (watch_scan(w) < 0) {
		log_warnx("%s is gone; waiting for it to come back", w->root);
		evtimer_add(w->back_ev, &tv);
	}
}

static void
watch_back_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval tv = {WATCH_BACK_SECS, 0};
	struct watch *w = arg;
	struct stat sb;

	if (stat(w->root, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    watch_scan(w) == 0) {
		log_warnx(
		    "watched directory %s is back; rescanned it", w->root);
		return;
	}
	evtimer_add(w->back_ev, &tv);
}

/* The path of the name an event is about, malloc'd; NULL if it has
 * none, its watch is gone or the name is ignored. */
static char *
event_rel(const struct watch *w, const struct inotify_event *ev)
{
	if (ev->wd < 0 || (size_t)ev->wd >= w->ndirs ||
	    w->dirs[ev->wd] == NULL || ev->len == 0 ||
	    text_name_ignored(ev->name))
		return NULL;
	return join(w->dirs[ev->wd], ev->name);
}

/* Whether directory rel can be listed and searched now. */
static int
dir_readable(const struct watch *w, const char *rel)
{
	char *full = join(w->root, rel);
	int ok = full != NULL &&
	         faccessat(AT_FDCWD, full, R_OK | X_OK, AT_EACCESS) == 0;

	free(full);
	return ok;
}

static void
watch_event(struct watch *w, const struct inotify_event *ev)
{
	const char *dir;
	char *rel, *full;
	struct stat sb;

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warnx("inotify queue overflowed; rescanning %s", w->root);
		metrics_inotify_overflow();
		moves_clear(w);
		watch_scan(w);
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= w->ndirs ||
	    (dir = w->dirs[ev->wd]) == NULL)
		return; /* a watch we dropped already */
	if (ev->mask & IN_IGNORED) {
		watch_forget(w, ev->wd);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* Subdirectories: their parent reports the move or the
		 * deletion. The root itself: start over on whatever is at
		 * its path now. */
		if (dir[0] == '\0') {
			log_warnx("watched directory %s was %s; rescanning",
			    w->root,
			    (ev->mask & IN_DELETE_SELF) ? "deleted" : "moved");
			watch_root_lost(w);
		}
		return;
	}
	if ((rel = event_rel(w, ev)) == NULL)
		return;
	/* IN_MOVED_FROM: taken by watch_read_cb before the others. */
	if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
		if (!(ev->mask & IN_ISDIR))
			move_forget(w, rel);
		if (ev->mask & IN_MOVED_TO)
			move_to(w, ev->cookie, rel, (ev->mask & IN_ISDIR) != 0);
	}
	if ((ev->mask & (IN_ATTRIB | IN_ISDIR)) == (IN_ATTRIB | IN_ISDIR)) {
		size_t i = denied_find(w, rel);
		int readable = dir_readable(w, rel);

		/* A directory we could not read: perhaps it can be now
		 * (walked then; said again only if that fails otherwise).
		 * One we could that no longer can be: a file arriving in
		 * it meanwhile is rejected as unreadable, and read at the
		 * walk once the directory's mode allows. */
		if (i < w->ndenied && readable) {
			denied_del(w, i);
			log_debug("directory %s: permissions changed", rel);
			watch_scan_rel(w, rel, 0);
		} else if (i == w->ndenied && !readable) {
			denied_add(w, rel, -EACCES);
		}
	} else if (ev->mask & IN_ATTRIB) {
		/* A file's permissions or times changed: one rejected as
		 * unreadable may be readable now. Ingest skips it unread if
		 * stored with this size and mtime (a chmod -R costs a stat
		 * each). */
		if (!(ev->mask & IN_ISDIR)) {
			/* Its times set (cp -p) or its mode changed: it is
			 * not simply the file a rename put there. */
			move_forget(w, rel);
			if (w->attrib != NULL)
				w->attrib(rel, w->arg);
		}
	} else if (ev->mask & IN_ISDIR) {
		if (ev->mask & IN_MOVED_FROM)
			watch_drop_subtree(w, rel);
		else if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			log_debug("new directory %s", rel);
			watch_scan_rel(w, rel, (ev->mask & IN_CREATE) != 0);
		}
	} else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
		w->found(rel, w->arg);
	} else if (ev->mask & IN_CREATE) {
		/* A regular file is reported when it is closed; anything
		 * else (FIFO, symlink, device) never will be, nor will a
		 * hard link (ln: a new name for a file written before, never
		 * opened under it), told by its other name. (One whose other
		 * name is gone already, ln and rm at once, looks like a new
		 * file: found at the next walk.) */
		if ((full = join(w->root, rel)) != NULL) {
			if (lstat(full, &sb) == 0 &&
			    (!S_ISREG(sb.st_mode) || sb.st_nlink > 1))
				w->found(rel, w->arg);
			free(full);
		}
	}
	free(rel);
}

static void
watch_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	/* Aligned for struct inotify_event, as inotify(7) asks. */
	char buf[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p, *rel;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				log_warnerr(-errno, "inotify read");
			return;
		}
		/* The names moved away first: a folder made and a file moved
		 * into it before its watch (mkdir d; mv f d/) shows as the
		 * folder's IN_CREATE, walked at once, then the file's
		 * IN_MOVED_FROM. */
		for (p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			if ((ev->mask & IN_MOVED_FROM) &&
			    (rel = event_rel(w, ev)) != NULL)
				move_from(w, ev->cookie, rel);
		}
		for (p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			watch_event(w, ev);
		}
	}
}
