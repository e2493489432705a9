/*
 * test_daemon.c - the daemon's pure parts: UTF-8 and text checks, request
 * paths, ignored names, query strings, the configuration parser, the
 * pending queue, the client's HTTP parser, the cluster original rule and
 * the log's batched lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "beneath.h"
#include "cluster.h"
#include "config.h"
#include "httpc.h"
#include "log.h"
#include "match.h"
#include "pending.h"
#include "report.h"
#include "readahead.h"
#include "text.h"

static void
test_utf8(void **state)
{
	char *r;
	size_t n;

	assert_true(
	    text_utf8_valid("abc \xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 15));
	assert_false(text_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(text_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(text_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(text_utf8_valid("\xe4\xb8", 2));         /* truncated */
	r = text_utf8_repair("a\xe9"
	                     "b",
	    3, &n);
	assert_non_null(r);
	assert_string_equal(r, "a\xef\xbf\xbd"
	                       "b");
	assert_int_equal(n, 5);
	free(r);
}

static void
test_classify(void **state)
{
	char buf[1000];

	assert_int_equal(text_classify("", 0), TEXT_EMPTY);
	assert_int_equal(text_classify(" \n\t\r\n", 5), TEXT_EMPTY);
	assert_int_equal(text_classify("Hello world.\n", 13), TEXT_OK);
	assert_int_equal(text_classify("a\0b", 3), TEXT_BINARY);
	/* A few Latin-1 bytes in text: repaired later, not refused. */
	assert_int_equal(text_classify("Caf\xe9 au lait, cr\xe8me br\xfbl\xe9"
	                               "e, and more words here.",
	                     44),
	    TEXT_OK);
	/* Mostly control bytes and invalid UTF-8: binary. */
	memset(buf, '\x01', sizeof(buf));
	memcpy(buf, "header", 6);
	assert_int_equal(text_classify(buf, sizeof(buf)), TEXT_BINARY);
	memset(buf, '\xff', sizeof(buf));
	assert_int_equal(text_classify(buf, sizeof(buf)), TEXT_BINARY);
}

static void
check_path(const char *in, int want_rc, const char *want)
{
	char out[256];
	int rc = text_reqpath_clean(in, strlen(in), out);

	assert_int_equal(rc, want_rc);
	if (rc == 0)
		assert_string_equal(out, want);
}

static void
test_reqpath(void **state)
{
	char out[16];

	check_path("a.txt", 0, "a.txt");
	check_path("feeds/ap/story.txt", 0, "feeds/ap/story.txt");
	check_path("./a//b/./c/", 0, "a/b/c");
	check_path("..a/b..", 0, "..a/b..");
	check_path("/etc/passwd", -EINVAL, NULL);
	check_path("../x", -EINVAL, NULL);
	check_path("a/../../x", -EINVAL, NULL);
	check_path("a/..", -EINVAL, NULL);
	check_path("", -EINVAL, NULL);
	check_path(".", -EINVAL, NULL);
	check_path("a\nb", -EINVAL, NULL);
	/* An embedded NUL (from %00) is refused, not truncated. */
	assert_int_equal(text_reqpath_clean("a\0/../..", 8, out), -EINVAL);
}

static void
test_ignored(void **state)
{
	const char *ign[] = {".hidden", ".#lock", "#auto#", "x.tmp", "x~",
	    "x.swp", "x.part", ".", "..", ""};
	const char *keep[] = {
	    "story.txt", "a#b", "#x", "tmp", "x.tmpl", "part", "x.partial"};
	size_t i;

	for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		assert_true(text_name_ignored(ign[i]));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_false(text_name_ignored(keep[i]));
	/* Paths: every component counts. */
	assert_true(text_path_watched("wire/2026/story.txt"));
	assert_true(text_path_watched("story.txt"));
	assert_false(text_path_watched(".hidden/story.txt"));
	assert_false(text_path_watched("wire/story.txt.part"));
	assert_false(text_path_watched("wire/.cache/a/story.txt"));
	/* Names a file may not be stored under: an item's, a control
	 * character's. */
	const char *refused[] = {"feed.json#1", "w/feed.jsonl#12",
	    "f.json#dropped-7", "f.json#=00ff", "a\nb.txt", "esc\033.txt",
	    "del\x7f", "d\tir/x.txt"};
	const char *fine[] = {"story.txt", "issue#5.txt", "a#b", "#x",
	    "feed#1/story.txt", "f.json#", "f.json#1a", "caf\xc3\xa9.txt"};
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_non_null(text_name_refused(refused[i]));
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		assert_null(text_name_refused(fine[i]));
}

static void
test_query(void **state)
{
	char *v;

	assert_int_equal(text_query_get("a=1&path=x%2Fy+z.txt", "path", &v), 0);
	assert_string_equal(v, "x/y z.txt");
	free(v);
	assert_int_equal(text_query_get("xpath=1&path=2", "path", &v), 0);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(text_query_get("path", "path", &v), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(text_query_get("a=1", "path", &v), -ENOENT);
	assert_int_equal(text_query_get(NULL, "path", &v), -ENOENT);
	assert_int_equal(text_query_get("path=%2", "path", &v), -EINVAL);
	assert_int_equal(text_query_get("path=%zz", "path", &v), -EINVAL);
	assert_int_equal(text_query_get("path=a%00b", "path", &v), -EINVAL);
	assert_null(v);
	/* Shown: C0 controls, DEL and C1 (an 8-bit CSI) become '?'. */
	char shown[] = "a\nb\033[2J\x7f\xc2\x9b\xc3\xa9";
	text_visible(shown, strlen(shown));
	assert_string_equal(shown, "a?b?[2J???\xc3\xa9");
}

static void
test_config(void **state)
{
	struct config c;
	char err[256], buf[64];
	const char *good = "# comment\n"
	                   "watch = /srv/in # trailing comment\n"
	                   "state=/var/lib/r\n"
	                   "socket = \"/run/r s.sock\"\n"
	                   "socket_mode = 0640\n"
	                   "max_file_size = 2M\n"
	                   "batch_max = 10\n"
	                   "nosync = yes\n"
	                   "   \n";

	config_init(&c);
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.max_file_size, 8u << 20);
	assert_int_equal(c.batch_max, 1000);
	assert_int_equal(c.batch_ms, 50);
	assert_int_equal(c.original_window, 86400);
	assert_int_equal(config_check(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    config_parse(&c, good, strlen(good), "t.conf", err, sizeof(err)),
	    0);
	assert_string_equal(c.watch, "/srv/in");
	assert_string_equal(c.socket, "/run/r s.sock");
	assert_int_equal(c.socket_mode, 0640);
	assert_int_equal(c.max_file_size, 2u << 20);
	assert_int_equal(c.batch_max, 10);
	assert_true(c.nosync);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(config_format(&c, "socket_mode", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0640");

	assert_int_equal(
	    config_parse(&c, "\n\nbogus = 1\n", 12, "t.conf", err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "t.conf:3:"));
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(
	    config_parse(&c, "batch_max 5\n", 12, "t.conf", err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "t.conf:1:"));
	assert_int_equal(
	    config_set(&c, "socket_mode", "0666", err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    config_set(&c, "batch_max", "0", err, sizeof(err)), -EINVAL);
	/* A range is said in the file's own units. */
	assert_int_equal(
	    config_set(&c, "max_file_size", "0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "max_file_size: 0 is out of range [1, 1G]");
	assert_int_equal(
	    config_set(&c, "map_size_max", "1k", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[1M, "));
	assert_int_equal(
	    config_set(&c, "batch_max", "1.5", err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    config_set(&c, "max_file_size", "12x", err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    config_set(&c, "nosync", "maybe", err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    config_set(&c, "boilerplate_df", "25", err, sizeof(err)), 0);
	assert_int_equal(c.match.boilerplate_df, 25);
	assert_int_equal(config_body_limit(&c), 2u << 20);
	config_free(&c);
}

static int ndiff;

static void
diff_cb(const char *key, const char *old, const char *new_, void *arg)
{
	ndiff++;
	assert_string_equal(key, "batch_ms");
	assert_string_equal(old, "50");
	assert_string_equal(new_, "20");
}

static void
test_config_diff(void **state)
{
	struct config a, b;
	char err[128];

	config_init(&a);
	config_init(&b);
	assert_int_equal(config_set(&b, "batch_ms", "20", err, sizeof(err)), 0);
	ndiff = 0;
	config_diff(&a, &b, diff_cb, NULL);
	assert_int_equal(ndiff, 1);
	config_free(&a);
	config_free(&b);
}

static void
test_pending(void **state)
{
	struct pending *q;
	char name[32], *p;
	int64_t since;
	int i;

	assert_int_equal(pending_new(&q), 0);
	assert_null(pending_pop(q, &since));
	assert_int_equal(pending_add(q, "a", 10), 1);
	assert_int_equal(pending_add(q, "b", 11), 1);
	/* Queued already: the first time stays. */
	assert_int_equal(pending_add(q, "a", 12), 0);
	assert_int_equal(pending_count(q), 2);
	p = pending_pop(q, &since);
	assert_string_equal(p, "a");
	assert_int_equal(since, 10);
	free(p);
	/* Popped: may come back, with the time it is given. */
	assert_int_equal(pending_add(q, "a", 13), 1);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(pending_add(q, name, 100 + i), 1);
	}
	assert_int_equal(pending_add(q, "f500", 1), 0);
	assert_int_equal(pending_count(q), 1002);
	p = pending_pop(q, &since);
	assert_string_equal(p, "b");
	assert_int_equal(since, 11);
	free(p);
	p = pending_pop(q, &since);
	assert_string_equal(p, "a");
	assert_int_equal(since, 13);
	free(p);
	p = pending_pop(q, NULL);
	assert_string_equal(p, "f0");
	free(p);
	assert_int_equal(pending_count(q), 999);
	/* Peeking ahead: each queued path once, in order; pops catch up. */
	assert_int_equal(pending_peeked(q), 0);
	assert_string_equal(pending_peek_next(q), "f1");
	assert_string_equal(pending_peek_next(q), "f2");
	assert_int_equal(pending_peeked(q), 2);
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		p = pending_pop(q, &since);
		assert_string_equal(p, name);
		assert_int_equal(since, 100 + i);
		free(p);
		assert_int_equal(pending_peeked(q), i < 2 ? 1 : 0);
	}
	assert_string_equal(pending_peek_next(q), "f4"); /* from the head */
	while (pending_count(q) > 1)
		free(pending_pop(q, NULL));
	assert_int_equal(pending_peeked(q), 0);
	assert_string_equal(pending_peek_next(q), "f999");
	assert_null(pending_peek_next(q)); /* all peeked */
	assert_int_equal(pending_add(q, "z", 0), 1);
	assert_string_equal(pending_peek_next(q), "z");
	assert_int_equal(pending_peeked(q), 2);
	pending_peek_reset(q); /* from the head again */
	assert_int_equal(pending_peeked(q), 0);
	assert_string_equal(pending_peek_next(q), "f999");
	pending_free(q);
}

/* The times a report or /v1/pairs starts from. */
static void
test_since(void **state)
{
	const int64_t now = INT64_C(1780000000) * 1000000;
	int64_t t;

	(void)state;
	assert_int_equal(report_parse_since("7d", now, &t), 0);
	assert_true(t == now - INT64_C(7 * 86400) * 1000000);
	/* Before the epoch: everything, not an overflow. */
	assert_int_equal(report_parse_since("999999999w", now, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(report_parse_since("999999999d", now, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(report_parse_since("0d", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(report_parse_since("2026-03-01", now, &t), 0);
	assert_true(t == INT64_C(1772323200) * 1000000);
	assert_int_equal(
	    report_parse_since("2026-03-01T12:30:00Z", now, &t), 0);
	assert_true(t == INT64_C(1772368200) * 1000000);
	/* An offset east of UTC is earlier in UTC, west later. */
	assert_int_equal(
	    report_parse_since("2026-03-01T12:30:00+01:00", now, &t), 0);
	assert_true(t == INT64_C(1772364600) * 1000000);
	assert_int_equal(
	    report_parse_since("2026-03-01T12:30:00 01:00", now, &t), 0);
	assert_true(t == INT64_C(1772364600) * 1000000); /* '+' unescaped */
	assert_int_equal(
	    report_parse_since("2026-03-01T12:30-0530", now, &t), 0);
	assert_true(t == INT64_C(1772388000) * 1000000);
	assert_int_equal(report_parse_since("1772323200", now, &t), 0);
	assert_true(t == INT64_C(1772323200) * 1000000);
	/* Dates that are none: not rolled over into March. */
	assert_int_equal(report_parse_since("2026-02-30", now, &t), -EINVAL);
	assert_int_equal(report_parse_since("2026-13-01", now, &t), -EINVAL);
	assert_int_equal(
	    report_parse_since("2026-03-01T24:10:00Z", now, &t), -EINVAL);
	assert_int_equal(
	    report_parse_since("2026-03-01T10:00+25:00", now, &t), -EINVAL);
	assert_int_equal(report_parse_since("7y", now, &t), -EINVAL);
	assert_int_equal(report_parse_since("", now, &t), -EINVAL);
}

/* A batch that did not commit puts its files back in front, in order,
 * with their times; a path queued meanwhile keeps its place. */
static void
test_pending_requeue(void **state)
{
	struct pending *q;
	char *back[] = {"b1", "b2", "late", "b3"};
	int64_t since[] = {1, 2, 3, 4}, t;
	const char *want[] = {"b1", "b2", "b3", "x", "late", "y"};
	char *p;

	(void)state;
	assert_int_equal(pending_new(&q), 0);
	assert_int_equal(pending_requeue(q, back, since, 0), 0);
	assert_int_equal(pending_count(q), 0);
	assert_int_equal(pending_add(q, "x", 10), 1);
	assert_int_equal(pending_add(q, "late", 11), 1);
	assert_int_equal(pending_add(q, "y", 12), 1);
	assert_string_equal(pending_peek_next(q), "x");
	assert_int_equal(pending_requeue(q, back, since, 4), 0);
	assert_int_equal(pending_count(q), 6);
	assert_int_equal(pending_peeked(q), 0);
	assert_string_equal(pending_peek_next(q), "b1");
	for (size_t i = 0; i < 6; i++) {
		assert_non_null(p = pending_pop(q, &t));
		assert_string_equal(p, want[i]);
		free(p);
	}
	assert_null(pending_pop(q, &t));
	/* Into an empty queue, then added behind. */
	assert_int_equal(pending_requeue(q, back, since, 2), 0);
	assert_int_equal(pending_add(q, "z", 20), 1);
	assert_non_null(p = pending_pop(q, &t));
	assert_string_equal(p, "b1");
	assert_int_equal(t, 1);
	free(p);
	assert_non_null(p = pending_pop(q, &t));
	assert_string_equal(p, "b2");
	assert_int_equal(t, 2);
	free(p);
	assert_non_null(p = pending_pop(q, &t));
	assert_string_equal(p, "z");
	free(p);
	pending_free(q);
}

/* Write n bytes of c to dir/name. */
static void
put_file(const char *dir, const char *name, size_t n, int c)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	for (size_t i = 0; i < n; i++)
		fputc(c, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * The read-ahead thread reads small regular files whole (their fstat
 * with them), only counts a large one (the kernel is asked to load it),
 * leaves alone what is not a regular file or is over the limit, hands
 * files over in the order pushed, and forgets on ra_flush what was not
 * taken: the next take is a miss, and ingest reads the file afresh.
 */
static void
test_read_ahead(void **state)
{
	char dir[] = "/tmp/reprintd-ra-XXXXXX", path[PATH_MAX];
	struct readahead *ra;
	struct ra_file f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put_file(dir, "a.txt", 5000, 'a');
	put_file(dir, "b.txt", 10, 'b');
	put_file(dir, "big.txt", RA_READ_MAX + 1, 'g');
	put_file(dir, "empty.txt", 0, 'e');
	put_file(dir, "over.txt", 200, 'o');
	snprintf(path, sizeof(path), "%s/link.txt", dir);
	assert_int_equal(symlink("a.txt", path), 0);
	snprintf(path, sizeof(path), "%s/fifo.txt", dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(ra_start(dir, &ra), 0);
	ra_push(ra, "a.txt", 100000);
	ra_push(ra, "link.txt", 100000);
	ra_push(ra, "fifo.txt", 100000);
	ra_push(ra, "empty.txt", 100000);
	ra_push(ra, "over.txt", 100);
	ra_push(ra, "gone.txt", 100000);
	ra_push(ra, "big.txt", RA_READ_MAX + 1);
	ra_push(ra, "b.txt", 100000);
	ra_drain(ra);
	assert_int_equal(ra_count(ra), 3); /* a, big (asked), b */

	assert_int_equal(ra_take(ra, "a.txt", &f), 1);
	assert_int_equal(f.len, 5000);
	assert_int_equal((size_t)f.sb.st_size, 5000);
	assert_true(S_ISREG(f.sb.st_mode));
	assert_int_equal(f.buf[0], 'a');
	assert_int_equal(f.buf[4999], 'a');
	assert_int_equal(f.buf[5000], '\0');
	free(f.buf);
	assert_int_equal(ra_take(ra, "link.txt", &f), 0);
	assert_int_equal(ra_take(ra, "fifo.txt", &f), 0);
	assert_int_equal(ra_take(ra, "big.txt", &f), 0);
	assert_int_equal(ra_take(ra, "b.txt", &f), 1);
	assert_int_equal(f.len, 10);
	assert_string_equal(f.buf, "bbbbbbbbbb");
	free(f.buf);
	assert_int_equal(ra_take(ra, "b.txt", &f), 0); /* taken once */

	/* Taken in order: taking b drops what was read for a before it. */
	ra_push(ra, "a.txt", 100000);
	ra_push(ra, "b.txt", 100000);
	ra_drain(ra);
	assert_int_equal(ra_take(ra, "b.txt", &f), 1);
	free(f.buf);
	assert_int_equal(ra_take(ra, "a.txt", &f), 0);

	/* Flushed: a changed since it was read ahead, and is read again. */
	ra_push(ra, "a.txt", 100000);
	ra_drain(ra);
	put_file(dir, "a.txt", 7, 'z');
	ra_flush(ra);
	assert_int_equal(ra_take(ra, "a.txt", &f), 0);
	ra_push(ra, "a.txt", 100000);
	ra_drain(ra);
	assert_int_equal(ra_take(ra, "a.txt", &f), 1);
	assert_string_equal(f.buf, "zzzzzzz");
	free(f.buf);

	/* Not taken at the stop: freed (ASan would see a leak). */
	ra_push(ra, "b.txt", 100000);
	ra_stop(ra);

	const char *names[] = {"a.txt", "b.txt", "big.txt", "empty.txt",
	    "over.txt", "link.txt", "fifo.txt"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void
test_httpc(void **state)
{
	char r1[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	            "Content-Length: 7\r\n\r\n{\"a\":1}trailing";
	char r2[] =
	    "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n"
	    "\r\n5\r\n{\"err\r\n4;ext=1\r\nor\":\r\n3\r\n1}\n\r\n0\r\n\r\n";
	char r3[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort";
	char r4[] = "HTTP/1.0 200 OK\r\n\r\nuntil eof";
	char r5[] = "SMTP 220 hello\r\n\r\n";
	char r6[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	            "ffffffffffffffffff\r\n";
	char *body, *e;
	size_t len;
	int status;

	assert_int_equal(httpc_parse(r1, strlen(r1), &status, &body, &len), 0);
	assert_int_equal(status, 200);
	assert_int_equal(len, 7);
	assert_memory_equal(body, "{\"a\":1}", 7);
	assert_int_equal(httpc_parse(r2, strlen(r2), &status, &body, &len), 0);
	assert_int_equal(status, 404);
	assert_int_equal(len, 12);
	assert_memory_equal(body, "{\"error\":1}\n", 12);
	assert_int_equal(
	    httpc_parse(r3, strlen(r3), &status, &body, &len), -EPROTO);
	assert_int_equal(httpc_parse(r4, strlen(r4), &status, &body, &len), 0);
	assert_int_equal(len, 9);
	assert_int_equal(
	    httpc_parse(r5, strlen(r5), &status, &body, &len), -EINVAL);
	assert_true(httpc_parse(r6, strlen(r6), &status, &body, &len) < 0);
	e = httpc_escape("a b/ü&=.txt");
	assert_string_equal(e, "a%20b/%C3%BC%26%3D.txt");
	free(e);
}

/* put(dir, rel, text): a file of the test tree. */
static void
put(const char *dir, const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

/* opens(root, rel): whether beneath_open (and the walk) open it, and to
 * what: 1 if read "in", 0 if refused. */
static int
opens(const char *root, const char *rel)
{
	char buf[8] = {0};
	int fd = beneath_open(root, rel, O_RDONLY | O_CLOEXEC), rootfd, fd2;

	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	fd2 = beneath_walk(rootfd, rel, O_RDONLY | O_CLOEXEC);
	close(rootfd);
	assert_int_equal(fd < 0, fd2 < 0); /* both ways agree */
	if (fd2 >= 0)
		close(fd2);
	if (fd < 0)
		return 0;
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	assert_string_equal(buf, "in");
	return 1;
}

/* A folder of the tree swapped for a symlink out of it leads nowhere. */
static void
test_beneath(void **state)
{
	char root[] = "/tmp/reprintd-beneath.XXXXXX", out[PATH_MAX],
	     p[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(out, sizeof(out), "%s/out", root);
	snprintf(p, sizeof(p), "%s/in", root);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/in/a", root);
	assert_int_equal(mkdir(p, 0700), 0);
	put(root, "in/a/f.txt", "in");
	put(root, "out/f.txt", "out");
	snprintf(p, sizeof(p), "%s/in", root);
	assert_true(opens(p, "a/f.txt"));
	/* A folder, then the file itself, as symlinks out. */
	snprintf(p, sizeof(p), "%s/in/b", root);
	assert_int_equal(symlink(out, p), 0);
	snprintf(p, sizeof(p), "%s/in/c.txt", root);
	assert_int_equal(symlink("../out/f.txt", p), 0);
	/* And one that stays inside: refused too, read by its target. */
	snprintf(p, sizeof(p), "%s/in/d", root);
	assert_int_equal(symlink("a", p), 0);
	snprintf(p, sizeof(p), "%s/in", root);
	assert_false(opens(p, "b/f.txt"));
	assert_false(opens(p, "c.txt"));
	assert_false(opens(p, "d/f.txt"));
	assert_false(opens(p, "../out/f.txt"));
	assert_false(opens(p, "a/../../out/f.txt"));
	assert_true(opens(p, "a//f.txt"));
	errno = 0;
	assert_int_equal(beneath_open(p, "/etc/hostname", O_RDONLY), -1);
	assert_int_equal(errno, EINVAL);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

/* Stories a digest holds are one only when their own pairs join them. */
static void
test_cluster_compilation(void **state)
{
	uint64_t inner[] = {4, 7, 9};
	struct cluster_edge e[] = {
	    {4, 7, MATCH_NEAR_DUPLICATE, 4},
	    {7, 9, MATCH_PARTIAL, 0}, /* shares a quote: not one story */
	    {9, 12, MATCH_EXACT, 9},  /* an end outside the digest */
	};
	struct cluster_edge joined = {7, 9, MATCH_EXCERPT, 9};

	(void)state;
	assert_int_equal(cluster_is_compilation(inner, 1, NULL, 0), 0);
	assert_int_equal(cluster_is_compilation(inner, 2, e, 1), 0);
	assert_int_equal(cluster_is_compilation(inner, 2, NULL, 0), 1);
	assert_int_equal(cluster_is_compilation(inner, 3, e, 3), 1);
	e[1] = joined;
	assert_int_equal(cluster_is_compilation(inner, 3, e, 3), 0);
	assert_int_equal(cluster_outer(3, 8, 0.9f, 0.3f), 8);
	assert_int_equal(cluster_outer(3, 8, 0.2f, 0.95f), 3);
}

static void
test_cluster_original(void **state)
{
	const int64_t H = 3600LL * 1000000, W = 24 * H;
	/* 1 arrives first and is an excerpt of 2, which contains it and 3. */
	struct cluster_member m[] = {
	    {1, 0, 300, 0},
	    {2, 1 * H, 1000, 0},
	    {3, 2 * H, 400, 0},
	};
	struct cluster_edge e[] = {
	    {1, 2, MATCH_EXCERPT, 2},
	    {2, 3, MATCH_EXCERPT, 2},
	};
	/* Near duplicates only: the earliest. */
	struct cluster_edge nd[] = {
	    {1, 2, MATCH_NEAR_DUPLICATE, 1},
	    {1, 3, MATCH_EXACT, 1},
	};

	assert_int_equal(cluster_pick_original(m, 3, e, 2, W), 1);
	assert_int_equal(cluster_pick_original(m, 3, nd, 2, W), 0);
	/* 2 arrived outside the window of the earliest: the earliest. */
	assert_int_equal(cluster_pick_original(m, 3, e, 2, H / 2), 0);
	assert_int_equal(cluster_pick_original(m, 1, NULL, 0, W), 0);
	/* A publication time, when known, counts instead of the arrival:
	 * 3 arrived last but was published a day before the others. */
	m[2].published = -W;
	nd[1].original = 3; /* as the pair would name it */
	assert_int_equal(cluster_pick_original(m, 3, nd, 2, W), 2);
	/* ... and within the window the containing text still wins. */
	m[2].published = 0;
	m[1].published = 5 * H;
	assert_int_equal(cluster_pick_original(m, 3, e, 2, W), 1);
	assert_int_equal(cluster_pick_original(NULL, 0, NULL, 0, W), 0);

	/* An original (0), its verbatim copy (1), a copy wrapped in a
	 * site's header and footer (2, the longest) and an excerpt (3) of
	 * all three, arriving a second apart: each of 0, 1 and 2 contains
	 * the excerpt, but the pairs name 0 the original of 1 and of 2. */
	struct cluster_member w[] = {
	    {10, 0, 500, 0},
	    {11, 1000000, 500, 0},
	    {12, 2000000, 560, 0},
	    {13, 3000000, 170, 0},
	};
	struct cluster_edge we[] = {
	    {10, 11, MATCH_EXACT, 10},
	    {10, 12, MATCH_NEAR_DUPLICATE, 10},
	    {11, 12, MATCH_NEAR_DUPLICATE, 11},
	    {13, 10, MATCH_EXCERPT, 10},
	    {13, 11, MATCH_EXCERPT, 11},
	    {13, 12, MATCH_EXCERPT, 12},
	};
	assert_int_equal(cluster_pick_original(w, 4, we, 6, W), 0);
	/* Pairs that disagree in a cycle: the earliest. */
	struct cluster_edge cyc[] = {
	    {10, 11, MATCH_NEAR_DUPLICATE, 11},
	    {11, 12, MATCH_NEAR_DUPLICATE, 12},
	    {12, 10, MATCH_EXCERPT, 10},
	};
	assert_int_equal(cluster_pick_original(w, 3, cyc, 3, W), 0);
}

/*
 * log_lines: every line of a batch, in order, each under a timestamp and
 * otherwise as given; a line longer than a write holds is cut, not split.
 */
static void
test_log_lines(void **state)
{
	(void)state;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *out = malloc(1 << 17);
	assert_non_null(buf);
	assert_non_null(out);
	for (int i = 0; i < 300; i++)
		len += (size_t)sprintf(
		    buf + len, "stored a%05d.txt (id %d)\n", i, i + 1);
	memset(buf + len, 'x', 9000);
	len += 9000;
	buf[len++] = '\n';
	len += (size_t)sprintf(buf + len, "last\n");

	FILE *f = tmpfile();
	assert_non_null(f);
	int saved = dup(2);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fileno(f), 2), 2);
	log_lines(buf, len);
	log_lines("", 0);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);

	rewind(f);
	size_t n = fread(out, 1, (1 << 17) - 1, f);
	fclose(f);
	out[n] = '\0';
	char *line = out, *e;
	int i = 0;
	for (; (e = strchr(line, '\n')) != NULL; line = e + 1, i++) {
		*e = '\0';
		/* 2026-12-05T16:29:37.123Z and a space */
		assert_true(strlen(line) > 25);
		assert_true(line[4] == '-' && line[10] == 'T' &&
		            line[19] == '.' && line[23] == 'Z' &&
		            line[24] == ' ');
		char want[64];
		if (i < 300) {
			sprintf(want, "stored a%05d.txt (id %d)", i, i + 1);
			assert_string_equal(line + 25, want);
		} else if (i == 300) {
			assert_true(strlen(line) < PIPE_BUF);
			assert_true(strlen(line) > PIPE_BUF / 2);
			assert_true(
			    strspn(line + 25, "x") == strlen(line + 25));
		} else {
			assert_string_equal(line + 25, "last");
		}
	}
	assert_int_equal(i, 302);
	assert_true(line == out + n);
	free(buf);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_reqpath),
	    cmocka_unit_test(test_ignored),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_config_diff),
	    cmocka_unit_test(test_pending),
	    cmocka_unit_test(test_pending_requeue),
	    cmocka_unit_test(test_since),
	    cmocka_unit_test(test_read_ahead),
	    cmocka_unit_test(test_httpc),
	    cmocka_unit_test(test_cluster_original),
	    cmocka_unit_test(test_cluster_compilation),
	    cmocka_unit_test(test_beneath),
	    cmocka_unit_test(test_log_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
