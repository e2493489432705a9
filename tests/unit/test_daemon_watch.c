/*
 * test_daemon_watch.c - the start-up walk of the watched tree (watch.c):
 * every file once, in (mtime, path) order, whether in one chunk or many.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "watch.h"

#define NFILES 300

struct seen {
	char *path[2 * NFILES];
	size_t n;
};

static void
found(const char *rel, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 2 * NFILES);
	s->path[s->n++] = strdup(rel);
}

struct file {
	char path[32];
	time_t mtime;
};

static int
file_cmp(const void *pa, const void *pb)
{
	const struct file *a = pa, *b = pb;

	if (a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return strcmp(a->path, b->path);
}

static void
touch(const char *root, const char *rel, time_t mtime)
{
	char full[512];
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	int fd;

	snprintf(full, sizeof(full), "%s/%s", root, rel);
	assert_true((fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

/* A tree of NFILES files in three folders with shuffled mtimes, many
 * equal (the path breaks the tie), under a new root; f sorted. */
static void
make_tree(char *root, size_t size, struct file *f)
{
	const char *tmp = getenv("REPRINTD_TEST_TMP");
	uint64_t r = 0x2545f4914f6cdd1dull;
	char dir[300];

	snprintf(root, size, "%s/watch.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(root));
	for (int d = 0; d < 3; d++) {
		snprintf(dir, sizeof(dir), "%s/d%d", root, d);
		assert_int_equal(mkdir(dir, 0755), 0);
	}
	for (int i = 0; i < NFILES; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		snprintf(f[i].path, sizeof(f[i].path), "d%d/f%03d.txt",
		    (int)(r % 3), i);
		f[i].mtime = 1700000000 + (time_t)(r >> 20) % 50;
		touch(root, f[i].path, f[i].mtime);
	}
	qsort(f, NFILES, sizeof(*f), file_cmp);
}

static void
remove_tree(const char *root)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The tree walked with chunks of 1, 7 and all. */
static void
test_scan_chunks(void **state)
{
	static struct file f[NFILES];
	static struct seen s;
	char root[256], dir[300];
	const size_t chunks[] = {1, 7, 100000};

	(void)state;
	make_tree(root, sizeof(root), f);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(*chunks); c++) {
		struct watch *w;
		int passes = 1, rc;

		memset(&s, 0, sizeof(s));
		assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
		assert_int_equal(watch_scan_chunked(w, chunks[c]), 0);
		while (watch_scanning(w)) {
			if (c == 1 && passes == 3) {
				/* Written during the walk: reported in a later
				 * chunk if newer than what was reported. */
				touch(root, "d0/late.txt", 1800000000);
			}
			assert_true((rc = watch_scan_more(w)) >= 0);
			passes++;
			assert_true(passes < 40);
		}
		/* (late.txt stays for the walks after the second.) */
		assert_int_equal(s.n, NFILES + (c >= 1));
		for (size_t i = 0; i < NFILES; i++)
			assert_string_equal(s.path[i], f[i].path);
		if (c >= 1)
			assert_string_equal(s.path[NFILES], "d0/late.txt");
		/* Chunks grow to a sixteenth of the tree after the first
		 * pass: about 17 passes, not one per file. */
		if (chunks[c] == 1)
			assert_true(passes >= 17 && passes <= 18);
		if (chunks[c] == 100000)
			assert_int_equal(passes, 1);
		for (size_t i = 0; i < s.n; i++)
			free(s.path[i]);
		watch_close(w);
	}
	/* A root that cannot be read. */
	struct watch *w;
	snprintf(dir, sizeof(dir), "%s/none", root);
	assert_int_equal(watch_open(NULL, dir, found, &s, &w), 0);
	assert_int_equal(watch_scan(w), -ENOENT);
	assert_false(watch_scanning(w));
	watch_close(w);
	remove_tree(root);
}

/* Files "stored" for the known callback: those of d1 and d2, with the
 * mtime the tree gave them (the callback must get the file's lstat). */
static const struct file *known_tree;
static size_t known_asked;
static int known_all; /* every file stored */

static int
known(const char *rel, const struct stat *sb, void *arg)
{
	(void)arg;
	known_asked++;
	assert_true(S_ISREG(sb->st_mode));
	for (size_t i = 0; i < NFILES; i++)
		if (strcmp(known_tree[i].path, rel) == 0) {
			assert_int_equal(sb->st_mtime, known_tree[i].mtime);
			return known_all || strncmp(rel, "d0/", 3) != 0;
		}
	return 0;
}

/* Known files are not reported and take no place in a chunk: with two
 * thirds of the tree stored, a walk in chunks of 7 then of a sixteenth of
 * the tree reports the other third in order, and no pass more. */
static void
test_scan_known(void **state)
{
	static struct file f[NFILES];
	static struct seen s;
	struct watch *w;
	char root[256];
	size_t nd0 = 0, j = 0;
	int passes = 1;

	(void)state;
	make_tree(root, sizeof(root), f);
	known_tree = f;
	for (size_t i = 0; i < NFILES; i++)
		nd0 += strncmp(f[i].path, "d0/", 3) == 0;
	assert_true(nd0 > 50 && nd0 < NFILES / 2);
	assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
	watch_set_known(w, known);
	assert_int_equal(watch_scan_chunked(w, 7), 0);
	while (watch_scanning(w)) {
		assert_true(watch_scan_more(w) >= 0);
		passes++;
	}
	assert_int_equal(s.n, nd0);
	for (size_t i = 0; i < NFILES; i++)
		if (strncmp(f[i].path, "d0/", 3) == 0)
			assert_string_equal(s.path[j++], f[i].path);
	/* 7 files, then chunks of NFILES / 16. */
	assert_int_equal(
	    passes, 1 + (int)((nd0 - 7 + NFILES / 16 - 1) / (NFILES / 16)));
	assert_true(known_asked >= NFILES - nd0);
	for (size_t i = 0; i < s.n; i++)
		free(s.path[i]);
	watch_close(w);

	/* Everything stored: one walk, nothing reported. */
	memset(&s, 0, sizeof(s));
	known_all = 1;
	assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
	watch_set_known(w, known);
	assert_int_equal(watch_scan_chunked(w, 7), 0);
	assert_false(watch_scanning(w));
	assert_int_equal(s.n, 0);
	watch_close(w);
	remove_tree(root);
}

/* Set rel's mtime without a write or a change to its directory. */
static void
set_mtime(const char *root, const char *rel, time_t mtime)
{
	char full[512];
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};

	snprintf(full, sizeof(full), "%s/%s", root, rel);
	assert_int_equal(utimensat(AT_FDCWD, full, ts, 0), 0);
}

/*
 * A later pass does not stat the files of a directory done: unchanged
 * since a pass, and older than the last file reported. Four folders of 20
 * files, each newer than the one before, walked 20 files a pass. After
 * the second pass, a file of the first folder (done) gets a new mtime in
 * place: a pass that looked at it would report it again (the walk had
 * done so until directories were summarized). A file added to the
 * second folder changes that directory: it is listed, and the file
 * reported.
 */
static void
test_scan_skips_done_dirs(void **state)
{
	static struct seen s;
	struct watch *w;
	char root[256], dir[300], rel[64];
	const char *tmp = getenv("REPRINTD_TEST_TMP");
	int passes = 1;

	(void)state;
	snprintf(root, sizeof(root), "%s/watch.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(root));
	for (int d = 0; d < 4; d++) {
		snprintf(dir, sizeof(dir), "%s/%c", root, 'a' + d);
		assert_int_equal(mkdir(dir, 0755), 0);
		for (int i = 0; i < 20; i++) {
			snprintf(rel, sizeof(rel), "%c/f%02d.txt", 'a' + d, i);
			touch(root, rel, 1700000000 + 1000 * d + i);
		}
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
	assert_int_equal(watch_scan_chunked(w, 20), 0);
	while (watch_scanning(w)) {
		if (passes == 2) {
			set_mtime(root, "a/f05.txt", 1700009000);
			touch(root, "b/new.txt", 1700008000);
		}
		assert_true(watch_scan_more(w) >= 0);
		assert_true(++passes < 10);
	}
	assert_int_equal(s.n, 81);
	for (int d = 0; d < 4; d++)
		for (int i = 0; i < 20; i++) {
			snprintf(rel, sizeof(rel), "%c/f%02d.txt", 'a' + d, i);
			assert_string_equal(s.path[20 * d + i], rel);
		}
	assert_string_equal(s.path[80], "b/new.txt");
	for (size_t i = 0; i < s.n; i++)
		free(s.path[i]);
	watch_close(w);
	remove_tree(root);
}

/* Six folders a..f of ten files, each folder newer than the one before;
 * their paths in expect, in order. */
static void
make_dated_tree(char *root, size_t size, char expect[60][16])
{
	const char *tmp = getenv("REPRINTD_TEST_TMP");
	char dir[300];

	snprintf(root, size, "%s/watch.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(root));
	for (int d = 0; d < 6; d++) {
		snprintf(dir, sizeof(dir), "%s/%c", root, 'a' + d);
		assert_int_equal(mkdir(dir, 0755), 0);
		for (int i = 0; i < 10; i++) {
			snprintf(
			    expect[10 * d + i], 16, "%c/f%02d.txt", 'a' + d, i);
			touch(root, expect[10 * d + i],
			    1700000000 + 1000 * d + i);
		}
	}
}

/*
 * A pass after the first passes over the folders whose files are all
 * newer than a chunk's worth of others (scan_bound). Walked ten files a
 * pass: after the first pass, f/f00's mtime goes back to between b's and
 * c's, in place (its folder unchanged). A pass that looked at f would
 * report it before c's files (the walk did so before bounds); bounded
 * passes reach f only after c's were reported, when f00 is behind them:
 * it is left to the event of its write, as any file whose mtime moves
 * behind the chunks reported (the trace of the skip, not a wanted
 * outcome). Then the files a bound counted on go before the pass (b's
 * deleted): the pass finds none up to the bound and is walked again
 * whole.
 */
static void
test_scan_bounded_passes(void **state)
{
	static struct seen s;
	static char expect[60][16];
	struct watch *w;
	char root[256], full[512];
	int passes = 1;

	(void)state;
	make_dated_tree(root, sizeof(root), expect);
	memset(&s, 0, sizeof(s));
	assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
	assert_int_equal(watch_scan_chunked(w, 10), 0);
	set_mtime(root, "f/f00.txt", 1700001500);
	while (watch_scanning(w)) {
		assert_true(watch_scan_more(w) >= 0);
		assert_true(++passes < 20);
	}
	assert_int_equal(passes, 6);
	assert_int_equal(s.n, 59);
	for (size_t i = 0; i < 59; i++)
		assert_string_equal(s.path[i], expect[i + (i >= 50)]);
	for (size_t i = 0; i < s.n; i++)
		free(s.path[i]);
	watch_close(w);
	remove_tree(root);

	make_dated_tree(root, sizeof(root), expect);
	memset(&s, 0, sizeof(s));
	assert_int_equal(watch_open(NULL, root, found, &s, &w), 0);
	assert_int_equal(watch_scan_chunked(w, 10), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(full, sizeof(full), "%s/%s", root, expect[10 + i]);
		assert_int_equal(unlink(full), 0);
	}
	while (watch_scanning(w)) {
		assert_true(watch_scan_more(w) >= 0);
		assert_true(++passes < 40);
	}
	assert_int_equal(s.n, 50);
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(s.path[i], expect[i]);
	for (size_t i = 10; i < 50; i++)
		assert_string_equal(s.path[i], expect[i + 10]);
	for (size_t i = 0; i < s.n; i++)
		free(s.path[i]);
	watch_close(w);
	remove_tree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_chunks),
	    cmocka_unit_test(test_scan_known),
	    cmocka_unit_test(test_scan_skips_done_dirs),
	    cmocka_unit_test(test_scan_bounded_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
