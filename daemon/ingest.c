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

#include "daemon.h"
#include "detect.h"
#include "ingest.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "pending.h"
#include "store.h"
#include "text.h"

#define BATCH_RETRIES 8 /* map growths in a row before we give up */

/* Lines to log once the batch is committed. */
struct notes {
	char *buf;
	size_t len, cap;
	unsigned rejected, stored;
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
	memcpy(n->buf + n->len, line, (size_t)len);
	n->len += (size_t)len;
	n->buf[n->len++] = '\n';
}

static void
notes_flush(struct notes *n)
{
	char *p = n->buf, *e;

	while (p != NULL && p < n->buf + n->len) {
		e = memchr(p, '\n', (size_t)(n->buf + n->len - p));
		*e = '\0';
		log_info("%s", p);
		p = e + 1;
	}
	n->len = 0;
}

static int
reject(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
reject(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if ((rc = store_reject_put(txn, rel, reason, now_us())) < 0)
		return rc;
	metrics_rejected(reason);
	notes_add(n, "rejected %s: %s", rel, reason);
	n->rejected++;
	(void)r;
	return 0;
}

/* Read the whole file, at most `max` bytes: *len > max means too large. */
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
 * Store the document and its pairs. `doc` has everything but the id.
 */
static int
store_new(struct reprintd *r, struct store_txn *txn, struct notes *n,
    struct store_doc *doc, const char *buf, size_t len, struct match_doc *md)
{
	struct detect_hit *hits = NULL;
	struct store_doc other;
	struct store_pair p;
	struct match_result mr;
	const uint64_t *keys, *bands;
	size_t nhits = 0, nkeys, nbands, i;
	void *blob = NULL;
	size_t bloblen;
	uint64_t id, orig;
	int64_t window = (int64_t)r->cfg.original_window * 1000000;
	char *opath = NULL;
	int rc;

	if ((rc = detect_run(txn, md, 0, &r->cfg.match, &hits, &nhits)) < 0)
		return rc;
	if ((rc = match_doc_encode(md, &blob, &bloblen)) < 0)
		goto out;
	nkeys = match_doc_keys(md, &keys);
	nbands = match_doc_bands(md, &bands);
	rc = store_doc_put(txn, doc, buf, len, blob, bloblen, keys, nkeys,
	    bands, nbands, &id);
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
		p.jaccard = (float)mr.jaccard;
		p.cont_ab = (float)mr.cont_ab;
		p.cont_ba = (float)mr.cont_ba;
		p.found_at = now_us();
		if ((rc = store_pair_put(txn, &p)) < 0)
			goto out;
		/* other.path points into the map: format the line now. */
		opath = (char *)other.path;
		if (mr.relation == MATCH_EXCERPT && mr.cont_ba > mr.cont_ab)
			notes_add(n, "pair %s: %s %s %s original=%s "
			    "jaccard=%.2f containment=%.2f",
			    match_relation_name(mr.relation), doc->path,
			    relation_sym(mr.relation), opath,
			    orig == 0 ? "none" : orig == id ? doc->path : opath,
			    mr.jaccard, mr.cont_ba);
		else
			notes_add(n, "pair %s: %s %s %s original=%s "
			    "jaccard=%.2f containment=%.2f",
			    match_relation_name(mr.relation), opath,
			    relation_sym(mr.relation), doc->path,
			    orig == 0 ? "none" : orig == id ? doc->path : opath,
			    mr.jaccard,
			    mr.cont_ab > mr.cont_ba ? mr.cont_ab : mr.cont_ba);
	}
	rc = 0;
out:
	free(blob);
	free(hits);
	return rc;
}

/*
 * Process one file. Returns 0 when done with it (stored, skipped or
 * rejected) or a negative store error that ends the transaction.
 */
static int
ingest_file(struct reprintd *r, struct store_txn *txn, struct notes *n,
    const char *rel)
{
	char full[PATH_MAX], resolved[PATH_MAX];
	const char *open_path = full;
	struct stat sb;
	struct store_doc old, doc;
	struct match_doc *md = NULL;
	uint64_t old_id = 0;
	XXH128_hash_t h;
	char *buf = NULL;
	size_t len = 0, rlen;
	enum text_kind kind;
	int fd = -1, rc;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", r->watch_real,
	    rel) >= sizeof(full))
		return reject(r, txn, n, rel, "path too long");
	if (lstat(full, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			/* Gone before we got to it (a temporary file, a
			 * quick rename): nothing to do. */
			log_debug("%s vanished before ingest", rel);
			return store_reject_del(txn, rel);
		}
		return reject(r, txn, n, rel, "cannot stat: %s",
		    strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return 0;
	if (S_ISLNK(sb.st_mode)) {
		/* Follow a link only to a regular file inside the tree: the
		 * daemon may run with more rights than whoever drops files,
		 * and must not be a way to read /etc/shadow over its socket. */
		rlen = strlen(r->watch_real);
		if (realpath(full, resolved) == NULL)
			return reject(r, txn, n, rel,
			    "dangling symlink: %s", strerror(errno));
		if (strncmp(resolved, r->watch_real, rlen) != 0 ||
		    resolved[rlen] != '/')
			return reject(r, txn, n, rel,
			    "symlink outside the watched directory");
		if (stat(resolved, &sb) < 0)
			return reject(r, txn, n, rel, "cannot stat: %s",
			    strerror(errno));
		open_path = resolved;
	}
	if (!S_ISREG(sb.st_mode))
		return reject(r, txn, n, rel, "not a regular file (%s)",
		    ftype_name(sb.st_mode));
	/* O_NONBLOCK: if a FIFO replaced the file since lstat, open must not
	 * wait for a writer. O_NOFOLLOW: nor may a new symlink lead out. */
	fd = open(open_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES || errno == EPERM)
			return reject(r, txn, n, rel, "unreadable: %s",
			    strerror(errno));
		if (errno == ELOOP)
			return reject(r, txn, n, rel, "symlink (replaced "
			    "while reading)");
		return reject(r, txn, n, rel, "cannot open: %s",
		    strerror(errno));
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = reject(r, txn, n, rel, "not a regular file");
		goto out;
	}
	if ((uint64_t)sb.st_size > r->cfg.max_file_size) {
		rc = reject(r, txn, n, rel, "too large (%" PRIu64 " bytes, "
		    "limit %" PRIu64 ")", (uint64_t)sb.st_size,
		    r->cfg.max_file_size);
		goto out;
	}
	rc = store_doc_by_path(txn, rel, &old_id);
	if (rc == STORE_ENOTFOUND)
		old_id = 0;
	else if (rc < 0)
		goto out;
	else if ((rc = store_doc_get(txn, old_id, &old)) < 0)
		goto out;
	/*
	 * Unchanged by size and mtime: skip without reading. mtime has a
	 * granularity of one second on the record, so this is trusted only
	 * when the file was last written a second or more before we stored
	 * it; otherwise a same-size rewrite within that second would be
	 * missed, and we compare content hashes instead.
	 */
	if (old_id != 0 && old.size == (uint64_t)sb.st_size &&
	    old.mtime == (int64_t)sb.st_mtime &&
	    old.mtime < old.first_seen / 1000000 - 1) {
		log_debug("%s unchanged", rel);
		rc = 0;
		goto out;
	}
	rc = read_all(fd, r->cfg.max_file_size, (uint64_t)sb.st_size, &buf,
	    &len);
	if (rc < 0) {
		rc = reject(r, txn, n, rel, "unreadable: %s", strerror(-rc));
		goto out;
	}
	if (len > r->cfg.max_file_size) {
		rc = reject(r, txn, n, rel, "too large (grew past %" PRIu64
		    " bytes)", r->cfg.max_file_size);
		goto out;
	}
	if ((kind = text_classify(buf, len)) != TEXT_OK) {
		rc = reject(r, txn, n, rel, "%s", kind == TEXT_EMPTY ?
		    "empty" : "binary (not text)");
		goto out;
	}
	h = XXH3_128bits(buf, len);
	if (old_id != 0 && old.content_hash[0] == h.low64 &&
	    old.content_hash[1] == h.high64) {
		log_debug("%s unchanged (same content)", rel);
		rc = 0;
		goto out;
	}
	if ((rc = match_doc_build(buf, len, &md)) < 0) {
		/* Out of memory on one file: leave it, say so. */
		log_warnerr(rc, "%s: cannot build features", rel);
		rc = 0;
		goto out;
	}
	if (match_doc_ntokens(md) == 0) {
		rc = reject(r, txn, n, rel, "empty (no words)");
		goto out;
	}
	if (old_id != 0) {
		/* Same path, new content: the old document and its pairs go,
		 * the new one is matched afresh. */
		if ((rc = store_doc_delete(txn, old_id)) < 0)
			goto out;
		notes_add(n, "replaced %s (content changed)", rel);
	}
	memset(&doc, 0, sizeof(doc));
	doc.path = rel;
	doc.size = (uint64_t)len;
	doc.mtime = (int64_t)sb.st_mtime;
	doc.first_seen = now_us();
	doc.content_hash[0] = h.low64;
	doc.content_hash[1] = h.high64;
	doc.norm_hash = match_doc_norm_hash(md);
	doc.ntokens = match_doc_ntokens(md);
	if ((rc = store_new(r, txn, n, &doc, buf, len, md)) < 0)
		goto out;
	rc = store_reject_del(txn, rel);
out:
	match_doc_free(md);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
ingest_batch(struct reprintd *r)
{
	struct store_txn *txn = NULL;
	struct notes n = { 0 };
	char **paths = NULL, *p;
	size_t np = 0, i;
	int64_t start = mono_ms(), limit_ms = r->cfg.batch_ms;
	int rc, tries = 0;

	if (r->paused || pending_count(r->q) == 0)
		return 0;
	if (r->backfill && limit_ms < INGEST_BACKFILL_MS)
		limit_ms = INGEST_BACKFILL_MS;
	if ((paths = calloc(r->cfg.batch_max, sizeof(*paths))) == NULL)
		return -ENOMEM;
again:
	n.len = n.rejected = n.stored = 0;
	if ((rc = store_txn_begin(r->st, 1, &txn)) < 0)
		goto fail;
	/* Files already taken for this batch (a retry) first. */
	for (i = 0; i < np; i++)
		if ((rc = ingest_file(r, txn, &n, paths[i])) < 0)
			goto fail;
	while (np < r->cfg.batch_max &&
	    (np == 0 || mono_ms() - start < limit_ms)) {
		if ((p = pending_pop(r->q)) == NULL)
			break;
		paths[np++] = p;
		if ((rc = ingest_file(r, txn, &n, p)) < 0)
			goto fail;
	}
	rc = store_txn_commit(txn);
	txn = NULL;
	if (rc < 0)
		goto fail;
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
	if (rc == STORE_ERETRY && ++tries < BATCH_RETRIES) {
		log_debug("store map grown; redoing a batch of %zu", np);
		goto again;
	}
	/* Keep the files: they are processed when ingest resumes. */
	for (i = 0; i < np; i++)
		pending_add(r->q, paths[i]);
	r->paused = 1;
	snprintf(r->error, sizeof(r->error), "store: %s", store_strerror(rc));
	log_warnx("ingest paused: store: %s (%zu files kept pending)",
	    store_strerror(rc), pending_count(r->q));
out:
	for (i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
	free(n.buf);
	return rc;
}
