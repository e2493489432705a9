/* ingest.c - files to documents; see ingest.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "beneath.h"
#include "clock.h"
#include "daemon.h"
#include "detect.h"
#include "extract.h"
#include "ingest.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "pending.h"
#include "readahead.h"
#include "store.h"
#include "text.h"
#include "watch.h"

#define BATCH_RETRIES 8 /* map growths in a row before we give up */
#define META_MAX 1024   /* bytes of one metadata string kept */
/*
 * Read-ahead. The files next in the queue are handed to the read-ahead
 * thread (readahead.h), which reads the small ones into memory (ingest
 * takes them with ra_take) and has the kernel load the others, while
 * ingest works on the files before them. From the page cache that spares
 * ingest its file system calls (7% of a backfill); from a cold disk, the
 * waits for it too (a backfill of 100,000 files took 45 s from a cold
 * cache against 25 s from the page cache when ingest read them itself).
 */
#define RA_AHEAD 64 /* files read ahead of the one processed */

/* Lines to log, and rejections to count, once the batch is committed (a
 * batch redone after the map grew, or kept pending, says nothing). */
struct notes {
	char *buf;
	size_t len, cap;
	char **reasons; /* of the batch's rejections */
	size_t nreasons, capreasons;
	unsigned rejected, stored;
	uint64_t bytes;   /* read from files */
	int64_t mtime_us; /* of the file at hand; INT64_MAX: not known */
};

/* now_us() and mono_ms() are in clock.c. */

static void notes_add(struct notes *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notes_add(struct notes *n, const char *fmt, ...)
{
	va_list ap;
	char line[PATH_MAX * 2 + 256], *nb;
	int len;
	size_t cap;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	if (n->len + (size_t)len + 1 > n->cap) {
		cap = (n->cap ? n->cap * 2 : 1024) + (size_t)len + 1;
		if ((nb = realloc(n->buf, cap)) == NULL)
			return; /* a lost log line is not worth failing for */
		n->buf = nb;
		n->cap = cap;
	}
	/* One line, whatever a name holds (log.c shows the rest). */
	for (int i = 0; i < len; i++)
		if (line[i] == '\n')
			line[i] = '?';
	memcpy(n->buf + n->len, line, (size_t)len);
	n->len += (size_t)len;
	n->buf[n->len++] = '\n';
}

static void
notes_flush(struct notes *n)
{
	size_t i;

	if (n->len > 0)
		log_lines(n->buf, n->len);
	n->len = 0;
	for (i = 0; i < n->nreasons; i++)
		metrics_rejected(n->reasons[i]);
}

/* Forget what the batch noted (after the flush, or to redo it). */
static void
notes_clear(struct notes *n)
{
	size_t i;

	for (i = 0; i < n->nreasons; i++)
		free(n->reasons[i]);
	n->nreasons = 0;
	n->len = n->rejected = n->stored = 0;
	n->bytes = 0;
}

/* A rejection to count once committed; without memory it is not. */
static void
notes_reason(struct notes *n, const char *reason)
{
	char **v;

	if (n->nreasons == n->capreasons) {
		size_t cap = n->capreasons ? 2 * n->capreasons : 16;
		if ((v = realloc(n->reasons, cap * sizeof(*v))) == NULL)
			return;
		n->reasons = v;
		n->capreasons = cap;
	}
	if ((n->reasons[n->nreasons] = strdup(reason)) != NULL)
		n->nreasons++;
}

static int reject(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
reject(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, const char *fmt, ...)
{
	char reason[256];
	struct store_reject old;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Rejected before for the same reason and not written since (found
	 * again by a start-up scan or a rescan; when its mtime is not known,
	 * by the reason alone): not a new rejection, nor a new line in the
	 * log and the day's report; the record keeps its time. Times on
	 * record may be on a moved clock (clock.h). */
	/* A record that cannot be read fails the batch; a damaged one is
	 * written over. */
	if ((rc = store_reject_get(txn, rel, &old)) < 0 &&
	    rc != STORE_ENOTFOUND && rc != STORE_ECORRUPT)
		return rc;
	if (rc == 0 && strcmp(old.reason, reason) == 0 &&
	    (n->mtime_us == INT64_MAX ||
	        n->mtime_us < old.at - clock_offset_us())) {
		log_debug("%s still rejected: %s", rel, reason);
		return 0;
	}
	if ((rc = store_reject_put(txn, rel, reason, now_us())) < 0)
		return rc;
	notes_reason(n, reason);
	notes_add(n, "rejected %s: %s", rel, reason);
	n->rejected++;
	(void)r;
	return 0;
}

/* Keep the next RA_AHEAD queued files read ahead. */
static void
read_ahead(struct reprintd *r)
{
	const char *rel = ""; /* NULL: the queue has no more */

	if (r->ra == NULL)
		return;
	while (pending_peeked(r->q) < RA_AHEAD &&
	       (rel = pending_peek_next(r->q)) != NULL)
		ra_push(r->ra, rel, r->cfg.max_file_size);
	/* No more coming for now: the thread takes what waits. */
	if (rel == NULL)
		ra_kick(r->ra);
}

/*
 * A batch is over: what was read ahead and not taken goes. The event loop
 * runs next; an event about a file read ahead finds it still queued and
 * queues nothing, so the bytes that file is stored with must be read after
 * the event: in the next batch, afresh. (Within a batch no event is
 * looked at, and one that comes after a file was taken queues it again.)
 */
static void
read_ahead_end(struct reprintd *r)
{
	if (r->ra == NULL)
		return;
	ra_flush(r->ra);
	pending_peek_reset(r->q);
}

uint64_t
ingest_read_ahead_count(const struct reprintd *r)
{
	return r->ra != NULL ? ra_count(r->ra) : 0;
}

/*
 * Read the whole file, at most `max` bytes: *len > max means too large.
 * hint is its size by fstat: a read that returns exactly that much of the
 * hint + 1 asked for has met the end of the file (a regular file's short
 * read), which spares the read that would return 0. A file that grew
 * since is read on, and one that grows later is a new version (a write
 * brings it back).
 */
static int
read_all(int fd, uint64_t max, uint64_t hint, char **out, size_t *len)
{
	size_t cap = (size_t)(hint < max ? hint : max) + 1, n = 0;
	char *buf, *nb;
	ssize_t k;

	if ((buf = malloc(cap + 1)) == NULL)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (n > max)
				break;
			cap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			k = -errno;
			free(buf);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == hint && hint < cap)
			break;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static const char *
ftype_name(mode_t m)
{
	if (S_ISFIFO(m))
		return "FIFO";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "character device";
	if (S_ISBLK(m))
		return "block device";
	if (S_ISDIR(m))
		return "directory";
	return "special file";
}

static const char *
relation_sym(enum match_relation rel)
{
	switch (rel) {
	case MATCH_EXACT:
		return "=";
	case MATCH_NEAR_DUPLICATE:
		return "\xe2\x89\x88"; /* ≈ */
	case MATCH_EXCERPT:
		return "\xe2\x8a\x82"; /* ⊂ */
	default:
		return "\xe2\x88\xa9"; /* ∩ */
	}
}

/*
 * A file renamed within the watched tree (inotify's IN_MOVED_FROM and
 * IN_MOVED_TO, watch_moved_from) arrives as a new file. When the document
 * of its old name (renamed again since, of the name before) has its
 * content, size and mtime (which a rename keeps), that document takes the
 * new name instead of a second one being stored: the copy would be paired
 * exact with it and, arriving later, never be the original. A rename not
 * seen (the daemon stopped, an overflow) is found by its exact copy whose
 * file is gone (moved_unseen). Returns 1 if doc was such a move, 0 if
 * not, or a store error.
 */
static int moved_unseen(struct reprintd *r, struct store_txn *txn,
    struct notes *n, const struct store_doc *doc, uint64_t id);

static int
moved_here(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const struct store_doc *doc, const struct detect_hit *hits, size_t nhits)
{
	struct store_doc old;
	uint64_t id;
	char *from, *before;
	size_t i;
	int rc = 0, step;

	/* A moved document is its own exact copy: the renames (up to
	 * WATCH_MOVES) are looked at only when detection found one. */
	for (i = 0; i < nhits && hits[i].r.relation != MATCH_EXACT; i++)
		;
	if (i == nhits)
		return 0;
	from = r->w != NULL ? watch_moved_from(r->w, doc->path) : NULL;
	for (step = 0; from != NULL && step < 8; step++) {
		rc = store_doc_by_path(txn, from, &id);
		if (rc == STORE_ENOTFOUND) {
			/* Renamed twice before ingest got to it. */
			before = watch_moved_from(r->w, from);
			free(from);
			from = before;
			rc = 0;
			continue;
		}
		if (rc < 0 || (rc = store_doc_get(txn, id, &old)) < 0)
			break;
		if (old.size != doc->size || old.mtime != doc->mtime ||
		    old.content_hash[0] != doc->content_hash[0] ||
		    old.content_hash[1] != doc->content_hash[1])
			break;
		/* The name is free: a document there was dropped first. */
		if ((rc = store_doc_move(txn, id, doc->path, doc->source)) < 0)
			break;
		notes_add(
		    n, "moved %s to %s (id %" PRIu64 ")", from, doc->path, id);
		rc = 1;
		break;
	}
	free(from);
	/* Not seen renamed (moved while the daemon was stopped, or out of
	 * the tree and back in): an exact copy with the same bytes and mtime
	 * whose own file is gone is this file. */
	for (i = 0; rc == 0 && i < nhits; i++)
		if (hits[i].r.relation == MATCH_EXACT)
			rc = moved_unseen(r, txn, n, doc, hits[i].id);
	return rc;
}

/* An item's name: FILE#N and the like (its file is FILE). */
static int
is_item(const char *path)
{
	const char *hash = strrchr(path, '#');

	return hash != NULL && text_item_suffix(hash);
}

/*
 * moved_here's second way: 1 if stored document id, of doc's bytes,
 * mtime and size, has no file any more and so takes doc's name; 0 if
 * not; or a store error. Files only: an item has no file of its own.
 */
static int
moved_unseen(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const struct store_doc *doc, uint64_t id)
{
	struct store_doc old;
	struct stat sb;
	char full[PATH_MAX];
	int rc = 0;

	if (is_item(doc->path) || (rc = store_doc_get(txn, id, &old)) < 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	if (is_item(old.path) || old.size != doc->size ||
	    old.mtime != doc->mtime ||
	    old.content_hash[0] != doc->content_hash[0] ||
	    old.content_hash[1] != doc->content_hash[1])
		return 0;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", r->watch_real,
	        old.path) >= sizeof(full) ||
	    lstat(full, &sb) == 0 || errno != ENOENT)
		return 0;
	notes_add(n, "moved %s to %s (id %" PRIu64 "; its file is gone)",
	    old.path, doc->path, id);
	if ((rc = store_doc_move(txn, id, doc->path, doc->source)) < 0)
		return rc;
	return 1;
}

/*
 * 1 if stored document id's file (an item's: its file) is the file sb
 * describes under another name, with its path in *opath (into the map);
 * 0 if not (or another item of doc's own file: a feed repeating an item
 * is no other name of itself); or a store error.
 */
static int
same_inode(struct reprintd *r, struct store_txn *txn,
    const struct store_doc *doc, const struct stat *sb, uint64_t id,
    const char **opath)
{
	char full[PATH_MAX];
	struct store_doc other;
	struct stat osb;
	const char *hash;
	int rc, len;

	if ((rc = store_doc_get(txn, id, &other)) < 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	hash = strrchr(other.path, '#');
	len = hash != NULL && text_item_suffix(hash) ? (int)(hash - other.path)
	                                             : (int)strlen(other.path);
	if (strncmp(other.path, doc->path, (size_t)len) == 0 &&
	    (doc->path[len] == '\0' || text_item_suffix(doc->path + len)))
		return 0;
	if ((size_t)snprintf(full, sizeof(full), "%s/%.*s", r->watch_real, len,
	        other.path) >= sizeof(full) ||
	    stat(full, &osb) < 0 || osb.st_dev != sb->st_dev ||
	    osb.st_ino != sb->st_ino)
		return 0;
	*opath = other.path;
	return 1;
}

/* Exact copies looked at for another name of a file: a story stored more
 * times than detection pairs (its earliest copies) has its others under
 * its text's key. */
#define SAME_FILE_MAX 1024

/*
 * A file with more than one name (a hard link) whose other name is
 * stored: the same file is no reprint of itself. Its exact copies are
 * looked at (the hits, then the text's key), and one whose file is this
 * one (device and inode) makes this name a rejection. Returns 2 if doc
 * was such a name (rejected), 0 if not, or a store error.
 */
static int
same_file(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const struct store_doc *doc, const struct stat *sb,
    const struct detect_hit *hits, size_t nhits)
{
	const char *opath = NULL;
	uint64_t *ids = NULL;
	size_t i, nids = 0, exact = 0;
	int rc = 0;

	if (sb == NULL || sb->st_nlink < 2)
		return 0;
	for (i = 0; i < nhits && rc == 0; i++)
		if (hits[i].r.relation == MATCH_EXACT) {
			exact++;
			rc = same_inode(r, txn, doc, sb, hits[i].id, &opath);
		}
	if (rc == 0 && exact > 0) {
		if ((ids = malloc((SAME_FILE_MAX + 1) * sizeof(*ids))) == NULL)
			return -ENOMEM;
		rc = store_exact_docs(
		    txn, doc->norm_hash, ids, SAME_FILE_MAX, &nids);
		if (nids > SAME_FILE_MAX)
			nids = SAME_FILE_MAX;
		for (i = 0; i < nids && rc == 0; i++)
			rc = same_inode(r, txn, doc, sb, ids[i], &opath);
		free(ids);
	}
	if (rc <= 0)
		return rc;
	rc = reject(
	    r, txn, n, doc->path, "hard link: the same file as %s", opath);
	return rc < 0 ? rc : 2;
}

/*
 * Remove the partial pairs that detection found were made by a site's
 * own lines (detect.h): doc, of the same source, shares the lines too.
 */
static int
unpair_site_lines(struct store_txn *txn, struct notes *n,
    const struct store_doc *doc, const struct detect_stale *stale,
    size_t nstale)
{
	struct store_doc x, y;
	char *xpath;
	int rc;

	for (size_t i = 0; i < nstale; i++) {
		rc = store_pair_del(txn, stale[i].a, stale[i].b);
		if (rc == STORE_ENOTFOUND)
			continue;
		if (rc < 0 || (rc = store_doc_get(txn, stale[i].a, &x)) < 0)
			return rc;
		/* x.path points into the map, which the next get may move. */
		if ((xpath = strdup(x.path)) == NULL)
			return -ENOMEM;
		if ((rc = store_doc_get(txn, stale[i].b, &y)) < 0) {
			free(xpath);
			return rc;
		}
		notes_add(n,
		    "unpaired partial: %s %s %s (the site's own lines, "
		    "found in %s too)",
		    xpath, relation_sym(MATCH_PARTIAL), y.path, doc->path);
		free(xpath);
	}
	return 0;
}

/*
 * Store the document and its pairs. `doc` has everything but the id; sb
 * is its file's (NULL: not known). Returns 0, 1 if it was a document
 * moved (stored already), 2 if another name of a stored file (rejected),
 * or an error.
 */
static int
store_new(struct reprintd *r, struct store_txn *txn, struct notes *n,
    struct store_doc *doc, const struct stat *sb, const char *buf, size_t len,
    struct match_doc *md)
{
	struct detect_hit *hits = NULL;
	struct detect_stale *stale = NULL;
	struct store_doc other;
	struct store_pair p;
	struct match_result mr;
	const uint64_t *keys;
	size_t nhits = 0, nstale = 0, nkeys, i;
	void *blob = NULL;
	size_t bloblen;
	uint64_t id, orig;
	int64_t window = (int64_t)r->cfg.original_window * 1000000;
	char *opath = NULL;
	const char *how;
	int rc;

	struct detect_req q = {md, 0, doc->source, r->recent, &r->cfg.match};

	if ((rc = detect_run(txn, &q, &hits, &nhits, &stale, &nstale)) < 0)
		return rc;
	if ((rc = moved_here(r, txn, n, doc, hits, nhits)) != 0 ||
	    (rc = same_file(r, txn, n, doc, sb, hits, nhits)) != 0)
		goto out;
	if ((rc = match_doc_encode(md, &blob, &bloblen)) < 0)
		goto out;
	nkeys = match_doc_keys(md, &keys);
	rc = store_doc_put(txn, doc, buf, len, blob, bloblen, keys, nkeys, &id);
	if (rc < 0)
		goto out;
	doc->id = id;
	n->stored++;
	notes_add(n, "stored %s (id %" PRIu64 ", %u tokens)", doc->path, id,
	    doc->ntokens);
	for (i = 0; i < nhits; i++) {
		if ((rc = store_doc_get(txn, hits[i].id, &other)) < 0)
			goto out;
		/*
		 * The hit compares the new document (a) with a stored one
		 * (b). The stored one has the lower id, so it is the pair's a:
		 * turn the result around.
		 */
		mr = hits[i].r;
		mr.cont_ab = hits[i].r.cont_ba;
		mr.cont_ba = hits[i].r.cont_ab;
		mr.direction = -hits[i].r.direction;
		orig = detect_original(&other, doc, &mr, window);
		memset(&p, 0, sizeof(p));
		p.a = other.id;
		p.b = id;
		p.original = orig;
		p.relation = (uint32_t)mr.relation;
		p.how = (uint32_t)mr.how;
		p.jaccard = (float)mr.jaccard;
		p.cont_ab = (float)mr.cont_ab;
		p.cont_ba = (float)mr.cont_ba;
		p.found_at = now_us();
		/* other.path points into the map, valid until the next write
		 * (a page of this txn may move): the line first, then the
		 * pair (a failed put fails the batch, its lines unsaid). */
		opath = (char *)other.path;
		how =
		    match_how_name(mr.relation, mr.how, mr.cont_ab, mr.cont_ba);
		if (mr.relation == MATCH_EXCERPT && mr.cont_ba > mr.cont_ab)
			notes_add(n,
			    "pair %s: %s %s %s original=%s "
			    "jaccard=%.2f containment=%.2f how=%s",
			    match_relation_name(mr.relation), doc->path,
			    relation_sym(mr.relation), opath,
			    orig == 0    ? "none"
			    : orig == id ? doc->path
			                 : opath,
			    mr.jaccard, mr.cont_ba, how);
		else
			notes_add(n,
			    "pair %s: %s %s %s original=%s "
			    "jaccard=%.2f containment=%.2f how=%s",
			    match_relation_name(mr.relation), opath,
			    relation_sym(mr.relation), doc->path,
			    orig == 0    ? "none"
			    : orig == id ? doc->path
			                 : opath,
			    mr.jaccard,
			    mr.cont_ab > mr.cont_ba ? mr.cont_ab : mr.cont_ba,
			    how);
		if ((rc = store_pair_put(txn, &p)) < 0)
			goto out;
	}
	if ((rc = unpair_site_lines(txn, n, doc, stale, nstale)) < 0)
		goto out;
	rc = 0;
out:
	free(blob);
	free(hits);
	free(stale);
	return rc;
}

/* ---- Items of a file -------------------------------------------------------
 */

struct item {
	struct extract_doc doc; /* taken from extract_each */
	size_t index;
	int err;
};

struct items {
	struct item *v;
	size_t n, cap;
	int err; /* -ENOMEM while collecting */
};

static int
item_take(struct extract_doc *doc, size_t index, int err, void *arg)
{
	struct items *it = arg;
	struct item *nv;
	size_t cap;

	if (it->n == it->cap) {
		cap = it->cap ? it->cap * 2 : 4;
		if ((nv = realloc(it->v, cap * sizeof(*nv))) == NULL) {
			it->err = -ENOMEM;
			return 1;
		}
		it->v = nv;
		it->cap = cap;
	}
	/* Take the strings: extract_each frees what we leave. */
	it->v[it->n].doc = *doc;
	memset(doc, 0, sizeof(*doc));
	it->v[it->n].index = index;
	it->v[it->n].err = err;
	it->n++;
	return 0;
}

static void
items_free(struct items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		extract_doc_free(&it->v[i].doc);
	free(it->v);
}

/* A rejection reason: the old wording for plain text, else extract's
 * sentence and the format ("malformed input (json)"). */
static const char *
reason(enum extract_format f, int err)
{
	static char buf[160];

	if (err == EXTRACT_EEMPTY && f == EXTRACT_TEXT)
		return "empty";
	if (err == EXTRACT_EBINARY)
		return "binary (not text)";
	snprintf(buf, sizeof(buf), "%s (%s)", extract_strerror(err),
	    extract_format_name(f));
	return buf;
}

/*
 * Why bytes are not text, for a person: a NUL byte (where), or NULs in
 * every other byte (UTF-16 without its byte order mark, which is read).
 */
static const char *
binary_reason(const char *buf, size_t len)
{
	static char out[128];
	const char *nul = memchr(buf, 0, len);
	size_t i, odd = 0, even = 0, n = len < 4096 ? len : 4096;

	if (nul == NULL)
		return "binary (not text)";
	for (i = 0; i + 1 < n; i += 2) {
		even += buf[i] == 0;
		odd += buf[i + 1] == 0;
	}
	if (n >= 16 && ((odd > n / 2 * 9 / 10 && even < n / 20) ||
	                   (even > n / 2 * 9 / 10 && odd < n / 20)))
		return "binary (not text: UTF-16 without a byte order mark? "
		       "add one, or convert the file to UTF-8)";
	snprintf(out, sizeof(out),
	    "binary (not text: a NUL byte at offset %zu)", (size_t)(nul - buf));
	return out;
}

struct item_ids {
	size_t rlen;
	uint64_t *v;
	size_t n, cap;
	int first; /* stop at the first one */
};

static int
item_ids_cb(const struct store_doc *d, void *arg)
{
	struct item_ids *c = arg;
	uint64_t *nv;
	size_t cap;

	if (!text_item_suffix(d->path + c->rlen))
		return 0;
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 8;
		if ((nv = realloc(c->v, cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = d->id;
	return c->first ? 1 : 0;
}

/* Ids of the stored items rel#N; *ids malloc'd. */
static int
item_ids(struct store_txn *txn, const char *rel, int first, uint64_t **ids,
    size_t *n)
{
	char prefix[PATH_MAX + 2];
	struct item_ids c = {0};
	int rc;

	*ids = NULL;
	*n = 0;
	c.rlen = strlen(rel);
	c.first = first;
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s#", rel) >=
	    sizeof(prefix))
		return 0;
	rc = store_doc_each_prefix(txn, prefix, item_ids_cb, &c);
	if (rc < 0) {
		free(c.v);
		return rc;
	}
	*ids = c.v;
	*n = c.n;
	return 0;
}

static int
first_item(struct store_txn *txn, const char *rel, uint64_t *id)
{
	uint64_t *ids;
	size_t n;
	int rc;

	if ((rc = item_ids(txn, rel, 1, &ids, &n)) < 0)
		return rc;
	*id = n > 0 ? ids[0] : 0;
	free(ids);
	return 0;
}

/* Delete the document at rel and every rel#N. Returns how many went,
 * or a negative store error. */
static int
drop_old(struct store_txn *txn, const char *rel)
{
	uint64_t *ids, id;
	size_t n, i;
	int rc, gone = 0;

	rc = store_doc_by_path(txn, rel, &id);
	if (rc < 0 && rc != STORE_ENOTFOUND)
		return rc;
	if (rc == 0) {
		if ((rc = store_doc_delete(txn, id)) < 0)
			return rc;
		gone++;
	}
	if ((rc = item_ids(txn, rel, 0, &ids, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = store_doc_delete(txn, ids[i])) < 0 &&
		    rc != STORE_ENOTFOUND) {
			free(ids);
			return rc;
		}
		gone++;
	}
	free(ids);
	return gone;
}

struct item_rejects {
	const char *rel;
	size_t rlen;
	char **v;
	size_t n, cap;
	int err;
};

static int
item_rejects_cb(const struct store_reject *rj, void *arg)
{
	struct item_rejects *c = arg;
	char **nv;
	size_t cap;

	if (strncmp(rj->path, c->rel, c->rlen) != 0 ||
	    !text_item_suffix(rj->path + c->rlen))
		return 0;
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 8;
		if ((nv = realloc(c->v, cap * sizeof(*nv))) == NULL)
			goto nomem;
		c->v = nv;
		c->cap = cap;
	}
	if ((c->v[c->n] = strdup(rj->path)) == NULL)
		goto nomem;
	c->n++;
	return 0;
nomem:
	c->err = -ENOMEM;
	return 1;
}

/*
 * Forget the rejections of items rel#N: the file changed, and its bad
 * items are rejected again as they are met. A scan of the rejections,
 * done only for JSON files (the only ones with items); there are few.
 */
static int
drop_item_rejects(struct store_txn *txn, const char *rel)
{
	struct item_rejects c = {0};
	size_t i;
	int rc;

	c.rel = rel;
	c.rlen = strlen(rel);
	rc = store_reject_each(txn, item_rejects_cb, &c);
	if (rc >= 0 && c.err < 0)
		rc = 0; /* no memory: stale lines stay, nothing worse */
	for (i = 0; i < c.n; i++) {
		if (rc >= 0)
			rc = store_reject_del(txn, c.v[i]);
		free(c.v[i]);
	}
	free(c.v);
	return rc < 0 ? rc : 0;
}

/* Copy at most META_MAX bytes of a metadata string, cut at a UTF-8
 * character boundary; NULL stays NULL. */
static char *
meta_dup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL || *s == '\0')
		return NULL;
	n = strlen(s);
	if (n > META_MAX) {
		n = META_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* The host of an http(s) URL ("www." dropped), malloc'd, or NULL. */
static char *
url_host(const char *url)
{
	const char *p, *e;
	char *h;
	size_t i, n;

	if (url == NULL || (p = strstr(url, "://")) == NULL)
		return NULL;
	p += 3;
	if ((e = strpbrk(p, "@/?#")) != NULL && *e == '@')
		p = e + 1; /* user info */
	for (e = p; *e != '\0' && strchr("/?#:", *e) == NULL; e++)
		;
	if (strncmp(p, "www.", 4) == 0 && e - p > 4)
		p += 4;
	if ((n = (size_t)(e - p)) == 0 || n > 253)
		return NULL;
	if ((h = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		h[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
	h[n] = '\0';
	return h;
}

char *
ingest_doc_source(const char *rel, const struct extract_doc *d, unsigned folder)
{
	const char *name = rel, *slash;
	char *s;

	if (d->source != NULL && *d->source != '\0')
		return meta_dup(d->source);
	/* The folder-th folder of the path (an archive's year/month/paper
	 * tree names the paper third); a path with fewer, none. */
	while ((slash = strchr(name, '/')) != NULL && --folder > 0)
		name = slash + 1;
	if (slash != NULL) {
		if (slash == name)
			return NULL; /* "a//b": no name */
		if ((s = strndup(name, (size_t)(slash - name))) != NULL &&
		    strlen(s) > META_MAX)
			s[META_MAX] = '\0'; /* a path is bytes: cut anywhere */
		return s;
	}
	if (strchr(rel, '/') != NULL)
		return NULL; /* in a folder, but not that deep */
	return url_host(d->url);
}

/* Build the features of one extracted document and store it at path. */
static int
store_item(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *path, const struct stat *sb, size_t len, XXH128_hash_t h,
    const struct extract_doc *x)
{
	struct match_doc *md = NULL;
	struct store_doc doc;
	char *title = NULL, *url = NULL, *source = NULL, *author = NULL;
	int rc;

	if ((rc = match_doc_build(x->text, x->text_len, &md)) < 0) {
		/* Out of memory on one file: leave it, say so. */
		log_warnerr(rc, "%s: cannot build features", path);
		return 0;
	}
	if (match_doc_ntokens(md) == 0) {
		rc = reject(r, txn, n, path, "empty (no words)");
		goto out;
	}
	memset(&doc, 0, sizeof(doc));
	doc.path = path;
	doc.size = (uint64_t)len;
	doc.mtime = (int64_t)sb->st_mtime;
	doc.first_seen = now_us();
	doc.content_hash[0] = h.low64;
	doc.content_hash[1] = h.high64;
	doc.norm_hash = match_doc_norm_hash(md);
	doc.ntokens = match_doc_ntokens(md);
	/* A lost metadata string (no memory) is not worth failing for. */
	doc.title = title = meta_dup(x->title);
	doc.url = url = meta_dup(x->url);
	doc.source = source = ingest_doc_source(path, x, r->cfg.source_folder);
	doc.author = author = meta_dup(x->author);
	/* Seconds to microseconds; a date before 1970 or absurdly late
	 * counts as unknown. */
	if (x->published > 0 && x->published < INT64_C(253402300800))
		doc.published = x->published * 1000000;
	if ((rc = store_new(r, txn, n, &doc, sb, x->text, x->text_len, md)) < 0)
		goto out;
	if (x->warning != NULL) /* an unparsable date: dated by the file */
		notes_add(n, "%s: %s", path, x->warning);
	/* Its features serve the verification of what comes next. */
	if (rc == 0) {
		detect_recent_add(r->recent, doc.id, md);
		md = NULL;
	}
	rc = rc == 2 ? 0 : store_reject_del(txn, path);
out:
	free(title);
	free(url);
	free(source);
	free(author);
	match_doc_free(md);
	return rc;
}

/*
 * The stored documents of a JSON file (at rel, and rel#N) while it is
 * stored again: what an item needs to be matched with one (its text's
 * hash and its metadata), and what becomes of each.
 */
struct old_item {
	uint64_t id;
	uint64_t text_hash; /* XXH3 of its stored text */
	size_t text_len;
	char *path;                 /* its name now */
	char *was;                  /* its name before it was set aside */
	char *title, *url, *author; /* copies: the map is written to */
	int64_t published;
	const struct item *kept_as; /* the new item it is, or NULL */
	int aside;                  /* dropped from the file: kept aside */
};

struct olds {
	struct old_item *v;
	size_t n;
	/* v sorted by path and by text hash (lookups of thousands of items:
	 * a feed's every item moves when one is added at its top). */
	struct old_item **by_path, **by_hash;
};

static void
old_free(struct old_item *x)
{
	free(x->path);
	free(x->was);
	free(x->title);
	free(x->url);
	free(x->author);
}

static void
olds_free(struct olds *o)
{
	for (size_t i = 0; i < o->n; i++)
		old_free(&o->v[i]);
	free(o->v);
	free(o->by_path);
	free(o->by_hash);
	memset(o, 0, sizeof(*o));
}

/* Document id into *x (freed here on failure). */
static int
old_load(struct store_txn *txn, uint64_t id, struct old_item *x)
{
	struct store_doc d;
	const void *text;
	int rc;

	memset(x, 0, sizeof(*x));
	x->id = id;
	if ((rc = store_doc_get(txn, id, &d)) < 0 ||
	    (rc = store_doc_text(txn, id, &text, &x->text_len)) < 0)
		return rc;
	x->text_hash = XXH3_64bits(text, x->text_len);
	x->published = d.published;
	if ((x->path = strdup(d.path)) == NULL ||
	    (d.title != NULL && (x->title = strdup(d.title)) == NULL) ||
	    (d.url != NULL && (x->url = strdup(d.url)) == NULL) ||
	    (d.author != NULL && (x->author = strdup(d.author)) == NULL)) {
		old_free(x);
		return -ENOMEM;
	}
	return 0;
}

static int
old_path_cmp(const void *a, const void *b)
{
	return strcmp((*(struct old_item *const *)a)->path,
	    (*(struct old_item *const *)b)->path);
}

static int
old_hash_cmp(const void *a, const void *b)
{
	const struct old_item *x = *(struct old_item *const *)a,
	                      *y = *(struct old_item *const *)b;

	if (x->text_hash != y->text_hash)
		return x->text_hash < y->text_hash ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
olds_load(struct store_txn *txn, const char *rel, struct olds *o)
{
	uint64_t whole = 0, *ids;
	size_t n, i;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = store_doc_by_path(txn, rel, &whole);
	if (rc < 0 && rc != STORE_ENOTFOUND)
		return rc;
	if ((rc = item_ids(txn, rel, 0, &ids, &n)) < 0)
		return rc;
	if ((o->v = calloc(n + 1, sizeof(*o->v))) == NULL) {
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i <= n && rc >= 0; i++) {
		uint64_t id = i < n ? ids[i] : whole;
		if (id != 0 && (rc = old_load(txn, id, &o->v[o->n])) >= 0)
			o->n++;
	}
	free(ids);
	if (rc >= 0 &&
	    ((o->by_path = malloc((o->n + 1) * sizeof(void *))) == NULL ||
	        (o->by_hash = malloc((o->n + 1) * sizeof(void *))) == NULL))
		rc = -ENOMEM;
	if (rc < 0) {
		olds_free(o);
		return rc;
	}
	for (i = 0; i < o->n; i++)
		o->by_path[i] = o->by_hash[i] = &o->v[i];
	qsort(o->by_path, o->n, sizeof(void *), old_path_cmp);
	qsort(o->by_hash, o->n, sizeof(void *), old_hash_cmp);
	return 0;
}

/* A new item as its document would hold it: text hash, metadata. */
struct item_key {
	uint64_t text_hash;
	char *title, *url, *author; /* meta_dup'ed: as the store keeps them */
	int64_t published;
};

static void
item_key_init(struct item_key *k, const struct item *it)
{
	k->text_hash = XXH3_64bits(it->doc.text, it->doc.text_len);
	k->title = meta_dup(it->doc.title);
	k->url = meta_dup(it->doc.url);
	k->author = meta_dup(it->doc.author);
	k->published =
	    it->doc.published > 0 && it->doc.published < INT64_C(253402300800)
	        ? it->doc.published * 1000000
	        : 0;
}

static void
item_key_free(struct item_key *k)
{
	free(k->title);
	free(k->url);
	free(k->author);
}

static int
str_same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Whether old x holds item it (keyed k): hashes, metadata, then bytes. */
static int
old_is(struct store_txn *txn, const struct old_item *x, const struct item *it,
    const struct item_key *k)
{
	const void *text;
	size_t len;

	return x->kept_as == NULL && x->text_hash == k->text_hash &&
	       x->text_len == it->doc.text_len &&
	       x->published == k->published && str_same(x->title, k->title) &&
	       str_same(x->url, k->url) && str_same(x->author, k->author) &&
	       store_doc_text(txn, x->id, &text, &len) == 0 &&
	       len == it->doc.text_len && memcmp(text, it->doc.text, len) == 0;
}

/*
 * The old document that new item it is, unchanged (text and metadata) and
 * not taken yet: the one at its own name ipath if it is, else the first
 * that is. NULL if none.
 */
static struct old_item *
old_match(struct store_txn *txn, struct olds *o, const struct item *it,
    const char *ipath)
{
	struct item_key k;
	struct old_item *found = NULL;
	size_t i;

	size_t lo = 0, hi = o->n;

	item_key_init(&k, it);
	/* At its own name: the by-path index. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(o->by_path[mid]->path, ipath);
		if (c == 0) {
			if (old_is(txn, o->by_path[mid], it, &k))
				found = o->by_path[mid];
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Else the first of its text hash that is it. */
	for (lo = 0, hi = o->n; found == NULL && lo < hi;) {
		size_t mid = (lo + hi) / 2;
		if (o->by_hash[mid]->text_hash < k.text_hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; found == NULL && i < o->n &&
	             o->by_hash[i]->text_hash == k.text_hash;
	     i++)
		if (old_is(txn, o->by_hash[i], it, &k))
			found = o->by_hash[i];
	item_key_free(&k);
	return found;
}

int
ingest_gone_item_path(char *buf, size_t size, const char *file,
    uint64_t text_hash, int64_t published, const char *title, const char *url,
    const char *author)
{
	/* Each string seeds the next: "a","" and "","a" differ. A missing
	 * string is "", as str_same has it. */
	uint64_t sum = text_hash ^ (uint64_t)published;

	sum = XXH3_64bits_withSeed(
	    title ? title : "", title ? strlen(title) : 0, sum);
	sum = XXH3_64bits_withSeed(url ? url : "", url ? strlen(url) : 0, sum);
	sum = XXH3_64bits_withSeed(
	    author ? author : "", author ? strlen(author) : 0, sum);
	int w =
	    snprintf(buf, size, "%s" INGEST_GONE_ITEM "%016" PRIx64, file, sum);
	return w >= 0 && (size_t)w < size ? 0 : -ENAMETOOLONG;
}

/* 1 if new item it (keyed k) of file rel expired earlier (its gone
 * record), 0 if not, or a store error. */
static int
item_expired(struct store_txn *txn, const char *rel, const struct item_key *k)
{
	char gp[PATH_MAX + 32];
	struct store_gone g;
	int rc;

	if (ingest_gone_item_path(gp, sizeof(gp), rel, k->text_hash,
	        k->published, k->title, k->url, k->author) < 0)
		return 0;
	rc = store_gone_get(txn, gp, &g);
	if (rc == STORE_ENOTFOUND || rc == STORE_ECORRUPT)
		return 0;
	return rc < 0 ? rc : 1;
}

/* The name of item it of a file of n items: rel, or rel#N. */
static int
item_path(
    char *buf, size_t size, const char *rel, size_t n, const struct item *it)
{
	int w = n == 1 ? snprintf(buf, size, "%s", rel)
	               : snprintf(buf, size, "%s#%zu", rel, it->index);

	return w >= 0 && (size_t)w < size ? 0 : -ENAMETOOLONG;
}

/* Give old x the name path, keeping its source: 0, -EEXIST (the name is
 * taken), or another error. */
static int
old_rename(struct store_txn *txn, struct old_item *x, const char *path)
{
	struct store_doc d;
	char *source = NULL, *copy;
	int rc;

	if ((copy = strdup(path)) == NULL)
		return -ENOMEM;
	if ((rc = store_doc_get(txn, x->id, &d)) < 0)
		goto out;
	/* d's strings point into the map, which the move rewrites. */
	if (d.source != NULL && (source = strdup(d.source)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = store_doc_move(txn, x->id, path, source)) == 0) {
		free(x->path);
		x->path = copy;
		copy = NULL;
	}
out:
	free(source);
	free(copy);
	return rc;
}

/* Not kept after all: deleted, its item stored anew. */
static int
old_drop(struct store_txn *txn, struct old_item *x, size_t *dropped)
{
	int rc = store_doc_delete(txn, x->id);

	x->kept_as = NULL;
	(*dropped)++;
	return rc == STORE_ENOTFOUND ? 0 : rc;
}

/*
 * The kept documents take their items' names: each whose name changes
 * steps aside to a name of its own ("rel#~ID", or "rel#~ID.K" if a file
 * holds that), then takes its item's, now free (two passes: a feed with
 * an item added at its top moves every item by one). A document that
 * cannot step aside or take its name (a file of the tree holds it) is
 * not kept: *dropped counts them (deleted here, their items are stored
 * anew).
 */
static int
olds_rename(struct store_txn *txn, struct olds *o, const char *rel,
    size_t nitems, size_t *dropped)
{
	char want[PATH_MAX + 32], tmp[PATH_MAX + 48];
	size_t i;
	int rc;

	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < o->n; i++) {
			struct old_item *x = &o->v[i];

			if (x->kept_as == NULL)
				continue;
			(void)item_path(
			    want, sizeof(want), rel, nitems, x->kept_as);
			if (strcmp(x->path, want) == 0)
				continue;
			rc = -EEXIST;
			if (pass == 1)
				rc = old_rename(txn, x, want);
			for (int k = 0; pass == 0 && k < 8 && rc == -EEXIST;
			     k++) {
				if (k == 0)
					snprintf(tmp, sizeof(tmp),
					    "%s#~%" PRIu64, rel, x->id);
				else
					snprintf(tmp, sizeof(tmp),
					    "%s#~%" PRIu64 ".%d", rel, x->id,
					    k);
				rc = old_rename(txn, x, tmp);
			}
			if (rc == -EEXIST)
				rc = old_drop(txn, x, dropped);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/*
 * An item dropped from its file (a feed that keeps its last N items) is
 * no deletion: its document stays, named rel#dropped-ID, like a deleted
 * file's, out of the file's items (a later version of the file does not
 * look at it: an item that returns is stored again, an exact copy of
 * it, where looking at every item ever dropped would cost each version
 * of a long-lived feed more). An old item no
 * new one keeps is dropped unless a new item that none keeps is the same
 * item edited: the same URL (or without URLs the same title), or the
 * same text (its metadata corrected); its document then goes (a changed
 * file's content replaces its document).
 * The file's own document (a single item before) is replaced.
 */
#define ITEM_ASIDE "#dropped-"

/* An item's identity across edits: its URL, else its title (hashed, each
 * with a seed of its own), or 0 for neither. */
static uint64_t
item_identity(const char *url, const char *title)
{
	const char *v = url != NULL ? url : title;

	return v == NULL ? 0
	                 : XXH3_64bits_withSeed(v, strlen(v), url ? 'u' : 't');
}

/* Its text's, apart from the URLs' and titles'. */
static uint64_t
text_identity(uint64_t text_hash)
{
	return XXH3_64bits_withSeed(&text_hash, sizeof(text_hash), 'h');
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether identity id (0: none) is among the sorted ids. */
static int
identity_in(uint64_t id, const uint64_t *ids, size_t n)
{
	return id != 0 && n > 0 && bsearch(&id, ids, n, sizeof(*ids), u64_cmp);
}

static int
olds_set_aside(struct store_txn *txn, struct olds *o, const char *rel,
    const struct items *items, const unsigned char *taken, size_t *aside)
{
	char name[PATH_MAX + 48];
	uint64_t *ids;
	size_t i, k, nids = 0, rlen = strlen(rel);
	int rc = 0;

	/* The new items no old one keeps, by identity: edits. */
	if ((ids = calloc(2 * items->n + 1, sizeof(*ids))) == NULL)
		return -ENOMEM;
	for (k = 0; k < items->n; k++) {
		const struct item *it = &items->v[k];
		struct item_key key;

		if (it->err != 0 || taken[k])
			continue;
		item_key_init(&key, it);
		if ((ids[nids] = item_identity(key.url, key.title)) != 0)
			nids++;
		ids[nids++] = text_identity(key.text_hash);
		item_key_free(&key);
	}
	if (nids > 1)
		qsort(ids, nids, sizeof(*ids), u64_cmp);
	for (i = 0; i < o->n && rc >= 0; i++) {
		struct old_item *x = &o->v[i];

		if (x->kept_as != NULL || strncmp(x->path, rel, rlen) != 0 ||
		    !text_item_suffix(x->path + rlen))
			continue;
		if (identity_in(item_identity(x->url, x->title), ids, nids) ||
		    identity_in(text_identity(x->text_hash), ids, nids))
			continue; /* edited: it goes */
		snprintf(
		    name, sizeof(name), "%s" ITEM_ASIDE "%" PRIu64, rel, x->id);
		if ((x->was = strdup(x->path)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = old_rename(txn, x, name)) == -EEXIST) {
			rc = 0; /* a file of that name: it goes */
			continue;
		}
		if (rc < 0)
			break;
		(*aside)++;
		x->aside = 1;
	}
	free(ids);
	return rc;
}

/* taken[k]: item k is kept by an old document. */
static void
mark_taken(
    const struct olds *o, const struct items *items, unsigned char *taken)
{
	memset(taken, 0, items->n);
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].kept_as != NULL)
			taken[o->v[i].kept_as - items->v] = 1;
}

/*
 * Store a JSON file's items after it changed. An item whose text and
 * metadata a stored document of the file already holds keeps it, under
 * the item's name now (a feed appended to, or with a line removed, keeps
 * its earlier items: their ids, arrivals and pairs); the documents no
 * item keeps go; then the new items are stored and matched (against what
 * stays). Bad items are rejected.
 */
static int
store_items(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, const struct stat *sb, size_t len, XXH128_hash_t h,
    const struct items *items)
{
	char ipath[PATH_MAX + 32];
	const uint64_t hash[2] = {h.low64, h.high64};
	struct olds o;
	size_t i, kept = 0, gone = 0, dropped = 0, expired = 0, aside = 0;
	unsigned char *taken = NULL;
	int rc;

	if ((rc = olds_load(txn, rel, &o)) < 0)
		return rc;
	for (i = 0; i < items->n; i++) {
		const struct item *it = &items->v[i];
		struct old_item *x;

		if ((rc = item_path(ipath, sizeof(ipath), rel, items->n, it)) <
		    0) {
			rc = reject(r, txn, n, rel, "path too long");
			goto out;
		}
		if (it->err == 0 && (x = old_match(txn, &o, it, ipath)) != NULL)
			x->kept_as = it;
	}
	/* What no item keeps goes first (new items are matched against
	 * what stays), unless it was dropped from the file: kept aside. */
	/* Which items an old document keeps (a flag each: a feed of
	 * thousands of items is looked at item by item below). */
	rc = -ENOMEM;
	if ((taken = calloc(items->n + 1, 1)) == NULL)
		goto out;
	mark_taken(&o, items, taken);
	if ((rc = olds_set_aside(txn, &o, rel, items, taken, &aside)) < 0)
		goto out;
	for (i = 0; i < o.n; i++) {
		if (o.v[i].kept_as != NULL || o.v[i].aside)
			continue;
		rc = store_doc_delete(txn, o.v[i].id);
		if (rc < 0 && rc != STORE_ENOTFOUND)
			goto out;
		gone++;
	}
	if ((rc = olds_rename(txn, &o, rel, items->n, &dropped)) < 0)
		goto out;
	gone += dropped;
	if (dropped > 0) /* their items are stored anew */
		mark_taken(&o, items, taken);
	for (i = 0; i < o.n; i++) {
		if (o.v[i].kept_as == NULL)
			continue;
		kept++;
		if ((rc = store_doc_set_file(txn, o.v[i].id, (uint64_t)len,
		         (int64_t)sb->st_mtime, hash, 0)) < 0)
			goto out;
	}
	/* Said before the lines of the new items' documents. */
	if (gone > 0)
		notes_add(n,
		    "replaced %s (content changed; %zu of its items kept)", rel,
		    kept);
	for (i = 0; aside > 0 && i < o.n; i++)
		if (o.v[i].aside)
			notes_add(n,
			    "%s: no longer in the file, its document is kept "
			    "as %s (id %" PRIu64 ")",
			    o.v[i].was, o.v[i].path, o.v[i].id);
	for (i = 0; i < items->n; i++) {
		const struct item *it = &items->v[i];

		if (taken[i])
			continue;
		(void)item_path(ipath, sizeof(ipath), rel, items->n, it);
		if (it->err == 0) {
			struct item_key key;
			item_key_init(&key, it);
			rc = item_expired(txn, rel, &key);
			item_key_free(&key);
			if (rc < 0)
				goto out;
			if (rc > 0) {
				expired++;
				continue;
			}
		}
		if (it->err != 0)
			rc = reject(r, txn, n, ipath, "%s",
			    reason(it->doc.format, it->err));
		else
			rc = store_item(r, txn, n, ipath, sb, len, h, &it->doc);
		if (rc < 0)
			goto out;
	}
	if (expired > 0)
		notes_add(n, "%s: %zu items expired earlier, not stored again",
		    rel, expired);
	rc = store_reject_del(txn, rel);
	if (rc >= 0)
		rc = (int)(kept < INT_MAX ? kept : INT_MAX);
out:
	free(taken);
	olds_free(&o);
	return rc;
}

/* The stored version of rel: the document at rel, or the first item
 * rel#N of a file with several (each keeps the whole file's size and
 * hash); *id 0 when there is none. */
static int
stored_version(
    struct store_txn *txn, const char *rel, uint64_t *id, struct store_doc *doc)
{
	int rc = store_doc_by_path(txn, rel, id);

	if (rc == STORE_ENOTFOUND) {
		*id = 0;
		if ((rc = first_item(txn, rel, id)) < 0)
			return rc;
	} else if (rc < 0) {
		return rc;
	}
	return *id != 0 ? store_doc_get(txn, *id, doc) : 0;
}

/*
 * Stored as the file is now, by size and mtime: skipped without reading.
 * mtime has a granularity of one second on the record, so this is trusted
 * only when the file was last written a second or more before we stored
 * it, or before a walk found its content unchanged (`checked`: a file
 * stored as it arrived was written in the same second, and without it
 * every restart read every such file again); otherwise a same-size
 * rewrite within that second would be missed, and the content hashes
 * are compared instead.
 */
static int
unchanged(const struct store_doc *old, const struct stat *sb)
{
	return old->size == (uint64_t)sb->st_size &&
	       old->mtime == (int64_t)sb->st_mtime &&
	       (old->mtime < old->first_seen / 1000000 - 1 ||
	           (old->checked != 0 && old->mtime < old->checked - 1));
}

/*
 * The file (sb) of stored document id holds what is stored, by its
 * content's hash (its bytes read at read_at, by the file system's
 * clock): bring the record's size and mtime to the file's (a touch, a
 * rewrite of the same bytes), and say when it was found so, if its
 * mtime was a second or more before the read (a rewrite of the same size
 * later in the mtime's second would not change the mtime: the bytes read
 * would not vouch for it).
 */
static int
same_content(struct store_txn *txn, uint64_t id, const struct store_doc *old,
    const struct stat *sb, time_t read_at)
{
	int64_t mtime = (int64_t)sb->st_mtime;
	int vouch = mtime < (int64_t)read_at - 1;

	if (old->size == (uint64_t)sb->st_size && old->mtime == mtime &&
	    (unchanged(old, sb) || !vouch))
		return 0; /* vouched for already, or not (yet) */
	/* (An mtime that is the publication's stays on the record, which
	 * then does not vouch: the file is read at each start.) */
	return store_doc_set_file(txn, id, (uint64_t)sb->st_size, mtime,
	    old->content_hash, vouch ? (int64_t)read_at : 0);
}

/* 1 if rel's document expired with the file as sb says it is now (a
 * gone record), 0 if not, or a store error. */
static int
expired_unchanged(struct store_txn *txn, const char *rel, const struct stat *sb)
{
	struct store_gone g;
	int rc = store_gone_get(txn, rel, &g);

	if (rc == STORE_ENOTFOUND || rc == STORE_ECORRUPT)
		return 0;
	if (rc < 0)
		return rc;
	return g.size == (uint64_t)sb->st_size &&
	       g.mtime == (int64_t)sb->st_mtime;
}

int
ingest_unreadable(struct reprintd *r, const char *rel)
{
	struct store_txn *txn;
	struct store_reject rj;
	int yes;

	if (store_txn_begin(r->st, 0, &txn) < 0)
		return 0;
	yes = store_reject_get(txn, rel, &rj) == 0 &&
	      strncmp(rj.reason, "unreadable", 10) == 0;
	store_txn_abort(txn);
	return yes;
}

int
ingest_known(struct reprintd *r, const char *rel, const struct stat *sb)
{
	struct store_txn *txn;
	struct store_doc old;
	uint64_t id = 0;
	int known;

	if (store_txn_begin(r->st, 0, &txn) < 0)
		return 0; /* ingest will say why */
	known = stored_version(txn, rel, &id, &old) == 0 && id != 0 &&
	        unchanged(&old, sb);
	/* Its document expired, the file not written since: not new. */
	if (!known && id == 0)
		known = expired_unchanged(txn, rel, sb) > 0;
	store_txn_abort(txn);
	return known;
}

/*
 * Whether rel, as sb describes it, is what the store already knows: its
 * document's file unchanged, or the file of an expired document not
 * written since (an event that is no write: a chmod, a rename back).
 * 1: nothing to do; 0: read it (old_id/old: its stored version, if
 * any); a negative store error. Both ways of reading a file ask.
 */
static int
known_unchanged(struct store_txn *txn, const char *rel, const struct stat *sb,
    uint64_t *old_id, struct store_doc *old)
{
	int rc;

	if ((rc = stored_version(txn, rel, old_id, old)) < 0)
		return rc;
	if (*old_id != 0 && unchanged(old, sb)) {
		log_debug("%s unchanged", rel);
		return 1;
	}
	if (*old_id == 0 && (rc = expired_unchanged(txn, rel, sb)) > 0)
		log_debug("%s expired, unchanged", rel);
	return rc;
}

/*
 * Open and read rel as it is now, into *buf (malloc'd, *len bytes), with
 * its stat in *sb and its stored version in *old_id, *old. Returns 1 with
 * the bytes, 0 when done with it (gone, unchanged, rejected: no bytes), or
 * a negative store error (or INGEST_DEFERRED) as ingest_file.
 */
static int
read_file(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, struct stat *sb, char **buf, size_t *len, uint64_t *old_id,
    struct store_doc *old)
{
	char full[PATH_MAX], resolved[PATH_MAX];
	const char *open_path = rel;
	size_t rlen;
	int fd = -1, rc;

	*buf = NULL;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", r->watch_real, rel) >=
	    sizeof(full))
		return reject(r, txn, n, rel, "path too long");
	if (lstat(full, sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			/* Gone before we got to it (a temporary file, a
			 * quick rename): nothing to do. */
			log_debug("%s vanished before ingest", rel);
			return store_reject_del(txn, rel);
		}
		/* Its folder not searchable now: read again when the file's
		 * mode changes (its folder's change is a walk's). */
		if (errno == EACCES || errno == EPERM)
			return reject(
			    r, txn, n, rel, "unreadable: %s", strerror(errno));
		return reject(
		    r, txn, n, rel, "cannot stat: %s", strerror(errno));
	}
	n->mtime_us =
	    (int64_t)sb->st_mtim.tv_sec * 1000000 + sb->st_mtim.tv_nsec / 1000;
	if (S_ISDIR(sb->st_mode))
		return 0;
	if (S_ISLNK(sb->st_mode)) {
		/* Follow a link only to a regular file inside the tree: the
		 * daemon may run with more rights than whoever drops files,
		 * and must not be a way to read /etc/shadow over its socket. */
		rlen = strlen(r->watch_real);
		if (realpath(full, resolved) == NULL)
			return reject(r, txn, n, rel, "%s: %s",
			    errno == ELOOP ? "symlink loop"
			                   : "dangling symlink",
			    strerror(errno));
		if (strncmp(resolved, r->watch_real, rlen) != 0 ||
		    resolved[rlen] != '/')
			return reject(r, txn, n, rel,
			    "symlink outside the watched directory");
		if (stat(resolved, sb) < 0)
			return reject(
			    r, txn, n, rel, "cannot stat: %s", strerror(errno));
		/* What the tree holds under a name of its own is read
		 * under that name: not twice, nor as its own reprint. */
		if (text_path_watched(resolved + rlen + 1))
			return reject(r, txn, n, rel,
			    "symlink into the watched tree: %s%s is read "
			    "under its own name",
			    S_ISDIR(sb->st_mode) ? "directory " : "",
			    resolved + rlen + 1);
		open_path = resolved + rlen + 1;
	}
	if (!S_ISREG(sb->st_mode))
		return reject(r, txn, n, rel, "not a regular file (%s)",
		    ftype_name(sb->st_mode));
	/* O_NONBLOCK: if a FIFO replaced the file since lstat, open must not
	 * wait for a writer. Beneath the tree: nor may a symlink put in
	 * since, in its place or a folder's, lead out (beneath.h). */
	fd = beneath_open(
	    r->watch_real, open_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES || errno == EPERM)
			return reject(
			    r, txn, n, rel, "unreadable: %s", strerror(errno));
		if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
			return reject(r, txn, n, rel,
			    "symlink (replaced "
			    "while reading)");
		/* Out of descriptors is the daemon's state, not the file's:
		 * the file stays pending. */
		if (errno == EMFILE || errno == ENFILE)
			return INGEST_DEFERRED;
		return reject(
		    r, txn, n, rel, "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
		rc = reject(r, txn, n, rel, "not a regular file");
		goto out;
	}
	if ((uint64_t)sb->st_size > r->cfg.max_file_size) {
		rc = reject(r, txn, n, rel,
		    "too large (%" PRIu64 " bytes; "
		    "max_file_size is %" PRIu64 ")",
		    (uint64_t)sb->st_size, r->cfg.max_file_size);
		goto out;
	}
	if ((rc = known_unchanged(txn, rel, sb, old_id, old)) != 0) {
		rc = rc > 0 ? 0 : rc;
		goto out;
	}
	rc =
	    read_all(fd, r->cfg.max_file_size, (uint64_t)sb->st_size, buf, len);
	if (rc < 0) {
		rc = reject(r, txn, n, rel, "unreadable: %s", strerror(-rc));
		goto out;
	}
	n->bytes += *len;
	if (*len > r->cfg.max_file_size) {
		rc = reject(r, txn, n, rel,
		    "too large (grew past %" PRIu64 " bytes)",
		    r->cfg.max_file_size);
		goto out;
	}
	rc = 1;
out:
	if (rc != 1) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

/*
 * Process one file. Returns 0 when done with it (stored, skipped or
 * rejected) or a negative store error that ends the transaction.
 */
static int
ingest_file(
    struct reprintd *r, struct store_txn *txn, struct notes *n, const char *rel)
{
	struct stat sb;
	char ipath[PATH_MAX + 32];
	struct store_doc old;
	struct extract_limits lim;
	struct items items = {0};
	struct ra_file pre;
	uint64_t old_id = 0;
	XXH128_hash_t h;
	time_t read_at;
	const char *why;
	char *buf = NULL;
	size_t len = 0, i;
	int rc;

	/*
	 * A file read ahead is taken as it was read, the path not looked at
	 * again: a change since (a rename, a rewrite, a replacement) has its
	 * inotify event, which after the batch (ra_flush) finds the path no
	 * longer queued and queues it again, so the store ends with what the
	 * file became (with --once, at the next start's walk). So it goes
	 * for a file that changes after ingest read it itself, up to the
	 * batch's commit (INGEST_BACKFILL_MS); reading ahead lengthens that
	 * window by the RA_AHEAD files read ahead. An lstat to narrow it cost
	 * 1.2% of a backfill.
	 */
	n->mtime_us = INT64_MAX; /* until it is looked at */
	if ((why = text_name_refused(rel)) != NULL) {
		/* Read ahead or not, it is not read. Gone already (a
		 * temporary file): nothing to say, and no record to drop,
		 * which under such a name may be a feed item's. */
		if (r->ra != NULL && ra_take(r->ra, rel, &pre))
			free(pre.buf);
		if (snprintf(ipath, sizeof(ipath), "%s/%s", r->watch_real,
		        rel) < (int)sizeof(ipath) &&
		    lstat(ipath, &sb) < 0 &&
		    (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return reject(r, txn, n, rel, "%s", why);
	}
	if (r->ra != NULL && ra_take(r->ra, rel, &pre)) {
		/* Read ahead, with the checks read_file makes. */
		sb = pre.sb;
		n->mtime_us = (int64_t)sb.st_mtim.tv_sec * 1000000 +
		              sb.st_mtim.tv_nsec / 1000;
		buf = pre.buf;
		len = pre.len;
		read_at = pre.read_at;
		n->bytes += len;
		if ((rc = known_unchanged(txn, rel, &sb, &old_id, &old)) != 0) {
			rc = rc > 0 ? 0 : rc;
			goto out;
		}
	} else if ((rc = read_file(
	                r, txn, n, rel, &sb, &buf, &len, &old_id, &old)) != 1) {
		return rc;
	} else {
		read_at = time(NULL); /* just read: a second at most late */
	}
	h = XXH3_128bits(buf, len);
	if (old_id != 0 && old.content_hash[0] == h.low64 &&
	    old.content_hash[1] == h.high64) {
		log_debug("%s unchanged (same content)", rel);
		rc = same_content(txn, old_id, &old, &sb, read_at);
		goto out;
	}
	memset(&lim, 0, sizeof(lim));
	lim.max_input = (size_t)r->cfg.max_file_size;
	/* The text may be as large as the file: with max_file_size over
	 * the extractor's default text limit (8 MiB), a plain text between
	 * the two would be refused whatever the setting allows. */
	if (lim.max_input > EXTRACT_DEFAULT_MAX_OUTPUT)
		lim.max_output = lim.max_input;
	rc = extract_each(rel, buf, len, &lim, item_take, &items);
	if (rc < 0 && rc != EXTRACT_EITEMS) {
		/* The whole file is bad; a stored older version stays. */
		rc = reject(r, txn, n, rel, "%s",
		    rc == EXTRACT_EBINARY
		        ? binary_reason(buf, len)
		        : reason(extract_detect(rel, buf, len), rc));
		goto out;
	}
	if (rc == EXTRACT_EITEMS)
		notes_add(n, "%s: more than %u items, the rest ignored", rel,
		    EXTRACT_DEFAULT_MAX_ITEMS);
	if (items.err != 0) {
		/* Out of memory on one file: leave it, say so. */
		log_warnerr(items.err, "%s: cannot extract", rel);
		rc = 0;
		goto out;
	}
	/* Same path, new content: the old documents and their pairs go,
	 * the new ones are matched afresh. */
	if (items.n == 0) {
		rc = reject(r, txn, n, rel, "%s",
		    reason(extract_detect(rel, buf, len), EXTRACT_EEMPTY));
		goto out;
	}
	/* Written since its document expired: an arrival like any. */
	if ((rc = store_gone_del(txn, rel)) < 0)
		goto out;
	if (extract_format_items(items.v[0].doc.format)) {
		if ((rc = drop_item_rejects(txn, rel)) < 0 ||
		    (rc = store_items(r, txn, n, rel, &sb, len, h, &items)) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	if ((rc = drop_old(txn, rel)) < 0)
		goto out;
	if (rc > 0)
		notes_add(n, "replaced %s (content changed)", rel);
	for (i = 0; i < items.n; i++) {
		struct item *it = &items.v[i];

		if (items.n == 1)
			snprintf(ipath, sizeof(ipath), "%s", rel);
		else if ((size_t)snprintf(ipath, sizeof(ipath), "%s#%zu", rel,
		             it->index) >= sizeof(ipath)) {
			rc = reject(r, txn, n, rel, "path too long");
			goto out;
		}
		if (it->err != 0) {
			if ((rc = reject(r, txn, n, ipath, "%s",
			         reason(it->doc.format, it->err))) < 0)
				goto out;
			continue;
		}
		if ((rc = store_item(r, txn, n, ipath, &sb, len, h, &it->doc)) <
		    0)
			goto out;
	}
	if (items.n > 1)
		rc = store_reject_del(txn, rel);
out:
	items_free(&items);
	free(buf);
	return rc;
}

int
ingest_merge(struct reprintd *r, int whole)
{
	int64_t start = mono_ms();
	unsigned nslices = 0;
	int more = 0, rc;

	if (whole)
		rc = store_index_merge(r->st, 0, &nslices);
	else
		rc = store_index_merge_step(r->st, 0, &more);
	if (rc == STORE_ERETRY && !whole)
		return 1; /* the map has grown: the next step starts again */
	if (rc < 0) {
		/* The documents are stored; what failed is the index's upkeep,
		 * which a full map stops as it would the next batch. */
		r->paused = 1;
		snprintf(r->error, sizeof(r->error), "store: index merge: %s",
		    store_strerror(rc));
		log_warnx("ingest paused: store: index merge: %s",
		    store_strerror(rc));
		return rc;
	}
	if (nslices > 0)
		log_debug("index merged: %u txns in %" PRId64 " ms", nslices,
		    mono_ms() - start);
	return more;
}

int
ingest_batch(struct reprintd *r)
{
	struct store_txn *txn = NULL;
	struct notes n = {0};
	char **paths = NULL, *p;
	int64_t *since = NULL; /* when each path was queued */
	unsigned char *deferred = NULL;
	size_t np = 0, i, ndeferred = 0;
	int64_t start = mono_ms(), limit_ms = r->cfg.batch_ms, now;
	int rc, tries = 0;

	if (r->paused || pending_count(r->q) == 0)
		return 0;
	if (r->backfill && limit_ms < INGEST_BACKFILL_MS)
		limit_ms = INGEST_BACKFILL_MS;
	if ((paths = calloc(r->cfg.batch_max, sizeof(*paths))) == NULL ||
	    (since = calloc(r->cfg.batch_max, sizeof(*since))) == NULL ||
	    (deferred = calloc(r->cfg.batch_max, 1)) == NULL) {
		free(paths);
		free(since);
		return -ENOMEM;
	}
again:
	notes_clear(&n);
	memset(deferred, 0, r->cfg.batch_max);
	if ((rc = store_txn_begin(r->st, 1, &txn)) < 0)
		goto fail;
	/* Files already taken for this batch (a retry) first. */
	for (i = 0; i < np; i++) {
		if ((rc = ingest_file(r, txn, &n, paths[i])) < 0)
			goto fail;
		deferred[i] = rc == INGEST_DEFERRED;
	}
	/* A batch also ends when the index's memtable is due a merge (its
	 * tables are sized for mt_max postings, and a long batch past 7/8 of
	 * them would double them, see store_index_merge_wanted), and after
	 * INGEST_BATCH_BYTES of files (LMDB holds the transaction's pages in
	 * memory until the commit). */
	while (np < r->cfg.batch_max &&
	       (np == 0 || (mono_ms() - start < limit_ms &&
	                       n.bytes < INGEST_BATCH_BYTES &&
	                       !store_index_merge_wanted(r->st)))) {
		if ((p = pending_pop(r->q, &since[np])) == NULL) {
			/* Not empty: no memory for the name. A batch that
			 * cannot take its files must not end as done (--once
			 * would loop): the store's failure path keeps them. */
			if (pending_count(r->q) > 0) {
				rc = -ENOMEM;
				goto fail;
			}
			break;
		}
		paths[np++] = p;
		read_ahead(r);
		if ((rc = ingest_file(r, txn, &n, p)) < 0)
			goto fail;
		deferred[np - 1] = rc == INGEST_DEFERRED;
	}
	rc = store_txn_commit(txn);
	txn = NULL;
	if (rc < 0)
		goto fail;
	/* Deferred files come first in the next batch, in their order. */
	for (i = 0, now = clock_mono_us(); i < np; i++)
		if (deferred[i]) {
			paths[ndeferred] = paths[i];
			since[ndeferred++] = since[i];
		} else {
			metrics_delay_observe(now - since[i]);
			free(paths[i]);
		}
	np = ndeferred;
	if (ndeferred > 0) {
		if (pending_requeue(r->q, paths, since, ndeferred) < 0)
			log_warnx("out of memory: deferred files lost from the "
			          "queue until the next walk");
		log_warnx("out of file descriptors: %zu files stay pending",
		    ndeferred);
		rc = INGEST_DEFERRED;
	}
	notes_flush(&n);
	r->nrejected += n.rejected;
	r->ningested += n.stored;
	if (r->error[0] != '\0' && !r->paused)
		r->error[0] = '\0';
	goto out;
fail:
	if (txn != NULL)
		store_txn_abort(txn);
	txn = NULL;
	/* The batch's ids come again, for other documents. */
	detect_recent_clear(r->recent);
	if (rc == STORE_ERETRY && ++tries < BATCH_RETRIES) {
		log_debug("store map grown; redoing a batch of %zu", np);
		goto again;
	}
	/* Keep the files: they are processed first when ingest resumes,
	 * in their order (which decides the originals). */
	if (pending_requeue(r->q, paths, since, np) < 0)
		log_warnx("out of memory: files lost from the queue until the "
		          "next walk");
	r->paused = 1;
	snprintf(r->error, sizeof(r->error), "store: %s", store_strerror(rc));
	log_warnx("ingest paused: store: %s (%zu files kept pending)",
	    store_strerror(rc), pending_count(r->q));
out:
	read_ahead_end(r);
	for (i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
	free(since);
	free(deferred);
	notes_clear(&n);
	free(n.reasons);
	free(n.buf);
	return rc;
}
