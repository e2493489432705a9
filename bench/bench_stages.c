/*
 * bench_stages.c - reprintd-bench-stages: the cost of each ingest stage
 * alone, over the files of a corpus (reprintd-gen) loaded in memory.
 *
 *   read      open/read/close every file: once after dropping the files
 *             from the page cache (posix_fadvise DONTNEED, "cold-ish":
 *             the device cache and the directory entries stay) and once
 *             warm. The warm figure is the I/O floor of the backfill.
 *   normalize shingle_text_init (and _free)
 *   grams     shingle_chars, k = 8 (what match/ indexes)
 *   winnow    shingle_winnow, w = 32 (as match/)
 *   unique    shingle_sort_unique of the grams (MinHash input)
 *   minhash   shingle_minhash of the unique grams
 *   simhash   shingle_simhash of the grams
 *   build     match_doc_build: all of the above plus numbers
 *   put       store_doc_put, 100 documents per write transaction, with
 *             STORE_NOSYNC and with an fsync per commit (the default)
 *   detect    detect_run against the store being filled, then the put
 *             (what the daemon does per file), STORE_NOSYNC
 *
 * The stages of one document run one after the other and each call is
 * timed on its own, so a regression shows in its own row. Rates are in
 * articles and raw input megabytes (10^6 bytes) per second of that stage.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "detect.h"
#include "match.h"
#include "shingle.h"
#include "store.h"

#define GRAM_K 8
#define WINNOW_W 32
#define BATCH 100

struct doc {
	char *path; /* relative to the corpus directory */
	char *text; /* loaded (the first max_docs only) */
	size_t len;
	int64_t mtime;
};

struct corpus {
	char **paths;
	size_t n, cap;
	size_t root_len;
};

static struct corpus walk_c;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
walk_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	char **np;

	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	if (walk_c.n == walk_c.cap) {
		walk_c.cap = walk_c.cap ? walk_c.cap * 2 : 4096;
		np = realloc(walk_c.paths, walk_c.cap * sizeof(*np));
		if (np == NULL)
			return -1;
		walk_c.paths = np;
	}
	if ((walk_c.paths[walk_c.n] = strdup(p + walk_c.root_len + 1)) == NULL)
		return -1;
	walk_c.n++;
	return 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole file into *out (malloc'd, NUL-terminated) if out != NULL. */
static int
read_file(int dirfd, const char *rel, char **out, size_t *len, int64_t *mt)
{
	struct stat sb;
	char *buf, small[65536];
	size_t cap, n = 0;
	ssize_t k;
	int fd;

	if ((fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -errno;
	}
	if (mt != NULL)
		*mt = (int64_t)sb.st_mtime;
	cap = (size_t)sb.st_size + 1;
	buf = out != NULL ? malloc(cap + 1) : NULL;
	if (out != NULL && buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (buf != NULL)
			k = read(fd, buf + n, cap - n);
		else
			k = read(fd, small, sizeof(small));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (buf != NULL && n == cap)
			break; /* grew since fstat: take what fits */
	}
	close(fd);
	if (k < 0) {
		free(buf);
		return -errno;
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*out = buf;
	}
	*len = n;
	return 0;
}

static void
drop_cache(int dirfd, const char *rel)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/* ---- Results ------------------------------------------------------------- */

enum stage {
	S_READ_COLD,
	S_READ_WARM,
	S_NORMALIZE,
	S_GRAMS,
	S_WINNOW,
	S_UNIQUE,
	S_MINHASH,
	S_SIMHASH,
	S_SIGNATURE,
	S_BUILD,
	S_PUT_NOSYNC,
	S_PUT_SYNC,
	S_DETECT,
	S_DETECT_PUT,
	S_NSTAGES
};
static const char *stage_names[] = {"read_cold", "read_warm", "normalize",
    "grams", "winnow", "unique", "minhash", "simhash", "signature", "build",
    "put_nosync", "put_fsync", "detect", "detect_put_nosync"};
static const char *stage_notes[] = {"open/read/close, page cache dropped",
    "open/read/close, page cache warm", "shingle_text_init",
    "shingle_chars k=8", "shingle_winnow w=32", "shingle_sort_unique",
    "shingle_minhash (128 slots)", "shingle_simhash",
    "minhash+simhash alone (no text work)", "match_doc_build (full)",
    "store_doc_put x100/txn, STORE_NOSYNC",
    "store_doc_put x100/txn, fsync per commit",
    "detect_run (candidates+verify)", "detect_run + put, STORE_NOSYNC"};

struct stat_row {
	double secs;
	size_t docs;
	uint64_t bytes;
	int run;
};

static struct stat_row rows[S_NSTAGES];

static void
row_add(enum stage s, double secs, size_t docs, uint64_t bytes)
{
	rows[s].secs += secs;
	rows[s].docs += docs;
	rows[s].bytes += bytes;
	rows[s].run = 1;
}

static double
row_rate(enum stage s)
{
	return rows[s].secs > 0 ? (double)rows[s].docs / rows[s].secs : 0;
}

static double
row_mbs(enum stage s)
{
	return rows[s].secs > 0 ? (double)rows[s].bytes / 1e6 / rows[s].secs
	                        : 0;
}

/* ---- Stages -------------------------------------------------------------- */

static int
stage_text(struct doc *d, size_t n)
{
	struct shingle_text t;
	uint64_t *grams = NULL, *fp = NULL;
	uint32_t *pos = NULL, sig[SHINGLE_MINHASH_N];
	size_t cap = 0, max, ng, nu, i;
	volatile uint64_t sink = 0;
	double t0, t1;

	for (i = 0; i < n; i++) {
		t0 = now_s();
		if (shingle_text_init(&t, d[i].text, d[i].len) < 0)
			return -ENOMEM;
		t1 = now_s();
		row_add(S_NORMALIZE, t1 - t0, 1, d[i].len);
		max = shingle_chars_max(&t, GRAM_K);
		if (max > cap) {
			cap = max * 2;
			free(grams);
			free(fp);
			free(pos);
			grams = malloc(cap * sizeof(*grams));
			fp = malloc(cap * sizeof(*fp));
			pos = malloc(cap * sizeof(*pos));
			if (grams == NULL || fp == NULL || pos == NULL)
				return -ENOMEM;
		}
		t0 = now_s();
		ng = shingle_chars(&t, GRAM_K, grams, NULL);
		t1 = now_s();
		row_add(S_GRAMS, t1 - t0, 1, d[i].len);
		t0 = now_s();
		sink += shingle_winnow(grams, ng, WINNOW_W, fp, pos);
		t1 = now_s();
		row_add(S_WINNOW, t1 - t0, 1, d[i].len);
		/* SimHash takes the grams in text order; sorting is in place,
		 * so SimHash goes first. */
		t0 = now_s();
		sink += shingle_simhash(grams, ng);
		t1 = now_s();
		row_add(S_SIMHASH, t1 - t0, 1, d[i].len);
		row_add(S_SIGNATURE, t1 - t0, 0, 0);
		t0 = now_s();
		nu = shingle_sort_unique(grams, ng);
		t1 = now_s();
		row_add(S_UNIQUE, t1 - t0, 1, d[i].len);
		t0 = now_s();
		shingle_minhash(grams, nu, sig);
		t1 = now_s();
		row_add(S_MINHASH, t1 - t0, 1, d[i].len);
		row_add(S_SIGNATURE, t1 - t0, 1, d[i].len);
		sink += sig[0];
		shingle_text_free(&t);
	}
	free(grams);
	free(fp);
	free(pos);
	return 0;
}

static int
stage_build(struct doc *d, size_t n)
{
	struct match_doc *md;
	double t0, t1;
	size_t i;

	for (i = 0; i < n; i++) {
		t0 = now_s();
		if (match_doc_build(d[i].text, d[i].len, &md) < 0)
			return -ENOMEM;
		match_doc_free(md);
		t1 = now_s();
		row_add(S_BUILD, t1 - t0, 1, d[i].len);
	}
	return 0;
}

/* Features of one batch, built before the timed transaction. */
struct prepared {
	struct match_doc *md;
	void *blob;
	size_t bloblen;
	struct store_doc sd;
	uint64_t id; /* once put */
};

static int
prepare(struct doc *d, struct prepared *p)
{
	XXH128_hash_t h;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = match_doc_build(d->text, d->len, &p->md)) < 0)
		return rc;
	if ((rc = match_doc_encode(p->md, &p->blob, &p->bloblen)) < 0)
		return rc;
	h = XXH3_128bits(d->text, d->len);
	p->sd.path = d->path;
	p->sd.size = d->len;
	p->sd.mtime = d->mtime;
	p->sd.content_hash[0] = h.low64;
	p->sd.content_hash[1] = h.high64;
	p->sd.norm_hash = match_doc_norm_hash(p->md);
	p->sd.ntokens = match_doc_ntokens(p->md);
	return 0;
}

static int
put_one(struct store_txn *txn, struct prepared *p, const char *text, size_t len)
{
	const uint64_t *keys;
	size_t nkeys;

	nkeys = match_doc_keys(p->md, &keys);
	p->sd.first_seen = (int64_t)(now_s() * 1e6);
	return store_doc_put(
	    txn, &p->sd, text, len, p->blob, p->bloblen, keys, nkeys, &p->id);
}

/*
 * Fill a new store in `dir` with docs[0..n), BATCH per transaction, for at
 * most `limit` seconds of store time. with_detect: run detect_run before
 * each put, timed apart, with the recent documents' features as the
 * daemon keeps them (those of a batch join at its commit here).
 */
static int
stage_store(const char *dir, struct doc *d, size_t n, int nosync,
    int with_detect, double limit)
{
	struct store_options so = {0};
	struct store *st = NULL;
	struct store_txn *txn;
	struct prepared p[BATCH];
	struct match_params mp;
	struct detect_hit *hits;
	struct detect_recent *recent = NULL;
	size_t i, j, m = 0, cnt, nhits;
	uint64_t bytes;
	double t0, t1, td, spent = 0, detect_s;
	enum stage s;
	int rc, tries;

	match_params_default(&mp);
	so.flags = nosync ? STORE_NOSYNC : 0;
	if ((rc = store_open(dir, &so, &st)) < 0) {
		fprintf(stderr, "reprintd-bench-stages: store %s: %s\n", dir,
		    store_strerror(rc));
		if (st != NULL)
			store_close(st);
		return rc;
	}
	if (with_detect && (rc = detect_recent_new(&recent)) < 0)
		goto out;
	s = with_detect ? S_DETECT_PUT : nosync ? S_PUT_NOSYNC : S_PUT_SYNC;
	for (i = 0; i < n && spent < limit; i += cnt) {
		cnt = m = n - i < BATCH ? n - i : BATCH;
		memset(p, 0, sizeof(p));
		bytes = 0;
		for (j = 0; j < m; j++) {
			if ((rc = prepare(&d[i + j], &p[j])) < 0)
				goto out;
			bytes += d[i + j].len;
		}
		tries = 0;
	again:
		detect_s = 0;
		t0 = now_s();
		if ((rc = store_txn_begin(st, 1, &txn)) < 0)
			goto out;
		for (j = 0; j < m; j++) {
			if (with_detect) {
				td = now_s();
				struct detect_req dq = {
				    p[j].md, 0, NULL, recent, &mp};
				rc = detect_run(
				    txn, &dq, &hits, &nhits, NULL, NULL);
				detect_s += now_s() - td;
				if (rc < 0)
					break;
				free(hits);
			}
			if ((rc = put_one(
			         txn, &p[j], d[i + j].text, d[i + j].len)) < 0)
				break;
		}
		if (rc < 0)
			store_txn_abort(txn);
		else
			rc = store_txn_commit(txn);
		if (rc == STORE_ERETRY && ++tries < 8)
			goto again; /* the map was grown; counts in the time */
		if (rc ==
		    0) /* the index's merges count too, as in the daemon */
			rc = store_index_merge(st, 0, NULL);
		t1 = now_s();
		if (rc < 0) {
			fprintf(stderr, "reprintd-bench-stages: put: %s\n",
			    store_strerror(rc));
			goto out;
		}
		spent += t1 - t0;
		row_add(s, t1 - t0, m, bytes);
		if (with_detect)
			row_add(S_DETECT, detect_s, m, bytes);
		for (j = 0; j < m; j++) {
			detect_recent_add(recent, p[j].id, p[j].md);
			free(p[j].blob);
		}
		m = 0;
	}
	rc = 0;
out:
	for (j = 0; j < m; j++) {
		match_doc_free(p[j].md);
		free(p[j].blob);
	}
	detect_recent_free(recent);
	store_close(st);
	return rc;
}

/* ---- Main ---------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: reprintd-bench-stages [-n max-docs] "
	    "[-T store-seconds] [-t tmpdir] [-R] corpus-dir\n"
	    "  -n  documents loaded for the in-memory stages (20000)\n"
	    "  -T  time limit of each store pass, seconds (30)\n"
	    "  -t  directory for the stores (a new one under it; "
	    "default: next to the corpus)\n"
	    "  -R  read baseline only\n"
	    "  -U  print the documents and bytes in use of the store in "
	    "corpus-dir, and exit\n");
}

/* -U: "documents map_used map_size" of a store (read-only). */
static int
store_usage(const char *dir)
{
	struct store_options so = {.flags = STORE_RDONLY};
	struct store *st = NULL;
	struct store_txn *txn;
	struct store_stats ss;
	int rc;

	if ((rc = store_open(dir, &so, &st)) < 0)
		goto fail;
	if ((rc = store_txn_begin(st, 0, &txn)) < 0)
		goto fail;
	rc = store_stats(txn, &ss);
	store_txn_abort(txn);
	if (rc < 0)
		goto fail;
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", ss.documents,
	    ss.map_used, ss.map_size);
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "reprintd-bench-stages: store %s: %s\n", dir,
	    store_strerror(rc));
	if (st != NULL)
		store_close(st);
	return 1;
}

static int
rm_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(p);
}

int
main(int argc, char *argv[])
{
	size_t max_docs = 20000, i, nd;
	double limit = 30, t0, t1, x;
	const char *dir, *tmpbase = NULL;
	char tmpl[4096], sub[4200], *end;
	struct doc *docs = NULL;
	uint64_t bytes = 0;
	size_t len;
	int ch, dirfd, rc, read_only = 0, usage_only = 0;
	enum stage s;

	while ((ch = getopt(argc, argv, "n:T:t:RUh")) != -1) {
		switch (ch) {
		case 'n':
		case 'T':
			x = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(x >= 0)) {
				fprintf(stderr,
				    "reprintd-bench-stages: -%c: "
				    "bad value\n",
				    ch);
				return 1;
			}
			if (ch == 'n')
				max_docs = (size_t)x;
			else
				limit = x;
			break;
		case 't':
			tmpbase = optarg;
			break;
		case 'R':
			read_only = 1;
			break;
		case 'U':
			usage_only = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 1;
	}
	dir = argv[optind];
	if (usage_only)
		return store_usage(dir);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		((char *)dir)[strlen(dir) - 1] = '\0';
	walk_c.root_len = strlen(dir);
	if (nftw(dir, walk_cb, 64, FTW_PHYS) != 0) {
		fprintf(stderr, "reprintd-bench-stages: cannot walk %s\n", dir);
		return 1;
	}
	if (walk_c.n == 0) {
		fprintf(stderr, "reprintd-bench-stages: no files in %s\n", dir);
		return 1;
	}
	qsort(walk_c.paths, walk_c.n, sizeof(char *), path_cmp);
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(dir);
		return 1;
	}
	/* Read baseline, over every file. */
	for (i = 0; i < walk_c.n; i++)
		drop_cache(dirfd, walk_c.paths[i]);
	for (s = S_READ_COLD; s <= S_READ_WARM; s++) {
		bytes = 0;
		t0 = now_s();
		for (i = 0; i < walk_c.n; i++) {
			if ((rc = read_file(dirfd, walk_c.paths[i], NULL, &len,
			         NULL)) < 0) {
				fprintf(stderr,
				    "reprintd-bench-stages: %s: "
				    "%s\n",
				    walk_c.paths[i], strerror(-rc));
				return 1;
			}
			bytes += len;
		}
		t1 = now_s();
		row_add(s, t1 - t0, walk_c.n, bytes);
	}
	nd = read_only ? 0 : walk_c.n < max_docs ? walk_c.n : max_docs;
	if (nd > 0 && (docs = calloc(nd, sizeof(*docs))) == NULL)
		return 1;
	for (i = 0; i < nd; i++) {
		docs[i].path = walk_c.paths[i];
		if ((rc = read_file(dirfd, docs[i].path, &docs[i].text,
		         &docs[i].len, &docs[i].mtime)) < 0) {
			fprintf(stderr, "reprintd-bench-stages: %s: %s\n",
			    docs[i].path, strerror(-rc));
			return 1;
		}
	}
	close(dirfd);
	if (nd > 0) {
		if (stage_text(docs, nd) < 0 || stage_build(docs, nd) < 0) {
			fprintf(
			    stderr, "reprintd-bench-stages: out of memory\n");
			return 1;
		}
		if (tmpbase != NULL)
			snprintf(
			    tmpl, sizeof(tmpl), "%s/stores.XXXXXX", tmpbase);
		else
			snprintf(tmpl, sizeof(tmpl), "%s.stores.XXXXXX", dir);
		if (mkdtemp(tmpl) == NULL) {
			perror(tmpl);
			return 1;
		}
		for (i = 0; i < 3; i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", tmpl, i);
			if (mkdir(sub, 0700) < 0) {
				perror(sub);
				return 1;
			}
			rc = stage_store(sub, docs, nd, i != 1, i == 2, limit);
			if (rc < 0)
				return 1;
		}
		nftw(tmpl, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	/* Table, then one JSON line. */
	printf("%-18s %8s %9s %11s %8s %9s  %s\n", "stage", "docs", "secs",
	    "articles/s", "MB/s", "us/art", "what");
	for (s = 0; s < S_NSTAGES; s++) {
		if (!rows[s].run)
			continue;
		printf("%-18s %8zu %9.3f %11.0f %8.1f %9.1f  %s\n",
		    stage_names[s], rows[s].docs, rows[s].secs, row_rate(s),
		    row_mbs(s),
		    rows[s].docs ? rows[s].secs * 1e6 / (double)rows[s].docs
		                 : 0,
		    stage_notes[s]);
	}
	printf(
	    "{\"bench\":\"stages\",\"files\":%zu,\"docs\":%zu", walk_c.n, nd);
	for (s = 0; s < S_NSTAGES; s++)
		if (rows[s].run)
			printf(",\"%s\":{\"docs\":%zu,\"secs\":%.4f,"
			       "\"articles_per_s\":%.0f,\"mb_per_s\":%.2f}",
			    stage_names[s], rows[s].docs, rows[s].secs,
			    row_rate(s), row_mbs(s));
	printf("}\n");
	for (i = 0; i < nd; i++)
		free(docs[i].text);
	free(docs);
	for (i = 0; i < walk_c.n; i++)
		free(walk_c.paths[i]);
	free(walk_c.paths);
	return 0;
}
