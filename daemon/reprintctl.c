/*
 * reprintctl - ask a running reprintd over its Unix socket. See
 * reprintctl(1). A plain blocking client: one HTTP/1.1 request per
 * connection ("Connection: close"), read to EOF.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h" /* REPRINTD_VERSION */
#include "httpc.h"
#include "match.h"
#include "report.h"
#include "text.h"

#define DEFAULT_SOCKET "/run/reprintd/reprintd.sock"
#define RESPONSE_MAX (256u << 20) /* a pairs list of a big store */

static const char *sock_path;
static int opt_json;
static const char *opt_relation;
static const char *opt_since;
static const char *opt_format;
static int raw_out;     /* print the response body as it is (not JSON) */
static char *watch_dir; /* the daemon's, from /v1/status, on demand */

/* The options given, to refuse those the command does not use rather
 * than ignore them: `status --since 3d` is a mistake worth saying. */
enum { O_JSON = 1, O_RELATION = 2, O_SINCE = 4, O_FORMAT = 8 };
static unsigned opts_given;

/* --help prints to stdout (asked for), a usage error to stderr. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: reprintctl [--socket path] [--json] command [args]\n"
	    "       reprintctl --help | --version\n"
	    "commands:\n"
	    "  status                   counts and state of the daemon\n"
	    "  pairs [--relation R] [--since DATE]\n"
	    "                           every flagged pair (R: exact,\n"
	    "                           near_duplicate, excerpt, partial),\n"
	    "                           or those found since DATE\n"
	    "  matches FILE             the pairs of a stored document\n"
	    "  query FILE               matches of any text, not stored\n"
	    "  cluster FILE             the syndication cluster of a document\n"
	    "  explain A B              passages of A found in B\n"
	    "  sources                  documents per source, and how many\n"
	    "                           reprint another source's, from whom\n"
	    "  cleanup                  remove documents older than the\n"
	    "                           retention, write the report\n"
	    "  report [--since DATE] [--format text|json|html]\n"
	    "                           what happened since DATE (24h)\n"
	    "  metrics                  Prometheus metrics (no --json)\n"
	    "The socket defaults to $REPRINTD_SOCKET, else %s.\n",
	    DEFAULT_SOCKET);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The reason phrase of the status line at the start of resp, printable
 * characters only (it comes from whatever listens on the socket). */
static void
status_reason(const char *resp, size_t len, char *out, size_t cap)
{
	const char *p = memchr(resp, ' ', len), *end = resp + len;
	size_t n = 0;

	if (p != NULL && end - p > 5 && p[4] == ' ')
		for (p += 5; p < end && *p != '\r' && *p != '\n'; p++)
			if (n + 1 < cap && isprint((unsigned char)*p))
				out[n++] = *p;
	out[n] = '\0';
}

/*
 * Say why the daemon refused a request: its JSON "error" when it sent
 * one, else the status line. Never the body: libevent answers some errors
 * itself with an HTML page, such as 413 above the body size limit, which
 * it checks before the daemon sees the request and without saying the
 * limit (not in /v1/status either), so for that we name the settings.
 */
static void
http_error(const char *resp, size_t len, int status, json_t *j,
    const char *what, size_t body_len)
{
	json_t *e = json_object_get(j, "error");
	const char *msg = json_is_string(e) ? json_string_value(e) : NULL;
	char reason[64];

	if (status == 413 && what != NULL)
		fprintf(stderr,
		    "reprintctl: %s: too large for the daemon (%zu bytes%s%s; "
		    "its limit is max_body_size, or max_file_size when that "
		    "is unset: see reprintd.conf(5))\n",
		    what, body_len, msg ? ": " : "", msg ? msg : "");
	else if (status == 413)
		/* Only query sends a body: here the headers were too big. */
		fprintf(stderr,
		    "reprintctl: request too large for the daemon (its limit "
		    "is max_headers_size: see reprintd.conf(5))\n");
	else if (msg != NULL)
		fprintf(stderr, "reprintctl: %s\n", msg);
	else {
		status_reason(resp, len, reason, sizeof(reason));
		fprintf(stderr, "reprintctl: request failed: HTTP %d%s%s\n",
		    status, reason[0] ? " " : "", reason);
	}
}

/*
 * One request; what names its body in messages (NULL: none). On success
 * returns 0 with the parsed JSON body in *out; on an HTTP error prints the
 * server's message and returns -1.
 */
static int
request_as(const char *what, const char *method, const char *target,
    const char *body, size_t body_len, json_t **out)
{
	struct sockaddr_un sa;
	char head[PATH_MAX * 4 + 256], *buf = NULL, *nb, *rbody;
	size_t len = 0, cap = 0, rlen;
	ssize_t r;
	json_error_t jerr;
	json_t *j;
	int fd, n, status, rc;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "reprintctl: socket path too long: %s\n",
		    sock_path);
		return -1;
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
		    "reprintctl: cannot reach reprintd at %s: %s\n"
		    "(is reprintd running? use --socket or REPRINTD_SOCKET)\n",
		    sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = snprintf(head, sizeof(head),
	    "%s %s HTTP/1.1\r\n"
	    "Host: localhost\r\nUser-Agent: reprintctl\r\n"
	    "Accept: application/json\r\nConnection: close\r\n",
	    method, target);
	if (body != NULL)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %zu\r\n",
		    body_len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if ((size_t)n >= sizeof(head)) {
		fprintf(stderr, "reprintctl: request too long\n");
		close(fd);
		return -1;
	}
	if ((rc = write_all(fd, head, (size_t)n)) < 0 ||
	    (body != NULL && (rc = write_all(fd, body, body_len)) < 0)) {
		/* The daemon may refuse a large body early (413) and close;
		 * its answer is still worth reading. */
		if (rc != -EPIPE && rc != -ECONNRESET) {
			fprintf(
			    stderr, "reprintctl: write: %s\n", strerror(-rc));
			close(fd);
			return -1;
		}
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= RESPONSE_MAX) {
				fprintf(stderr,
				    "reprintctl: response larger "
				    "than %u bytes\n",
				    RESPONSE_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "reprintctl: out of memory\n");
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET && len > 0)
			break;
		if (r < 0) {
			fprintf(
			    stderr, "reprintctl: read: %s\n", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	if (buf == NULL || httpc_parse(buf, len, &status, &rbody, &rlen) < 0) {
		fprintf(stderr, "reprintctl: malformed response from %s\n",
		    sock_path);
		goto fail;
	}
	if (raw_out && status < 400) {
		fwrite(rbody, 1, rlen, stdout);
		free(buf);
		return fflush(stdout) == 0 ? 0 : -1;
	}
	j = json_loadb(rbody, rlen, 0, &jerr);
	if (status >= 400) {
		http_error(buf, len, status, j, what, body_len);
		json_decref(j);
		goto fail;
	}
	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr,
		    "reprintctl: response is not a JSON object: "
		    "%s\n",
		    jerr.text);
		json_decref(j);
		goto fail;
	}
	free(buf);
	*out = j;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

static int
request(const char *method, const char *target, const char *body,
    size_t body_len, json_t **out)
{
	return request_as(NULL, method, target, body, body_len, out);
}

/* ---- Output ----------------------------------------------------------------
 */

/* Display width of a UTF-8 string, one column per code point. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct table {
	size_t ncol, nrow, cap;
	char **cell; /* nrow x ncol, row 0 the header */
};

static void
table_add(struct table *t, char **row)
{
	size_t i;

	if (t->nrow == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cell = realloc(t->cell, t->cap * t->ncol * sizeof(char *));
		if (t->cell == NULL) {
			fprintf(stderr, "reprintctl: out of memory\n");
			exit(1);
		}
	}
	for (i = 0; i < t->ncol; i++) {
		char *s = strdup(row[i] ? row[i] : "-");
		if (s == NULL) {
			fprintf(stderr, "reprintctl: out of memory\n");
			exit(1);
		}
		text_visible(s, strlen(s)); /* a name's escapes */
		t->cell[t->nrow * t->ncol + i] = s;
	}
	t->nrow++;
}

static void
table_print(struct table *t)
{
	size_t *w = calloc(t->ncol, sizeof(*w)), r, c, k;
	const char *s;

	if (w == NULL)
		return;
	for (r = 0; r < t->nrow; r++)
		for (c = 0; c < t->ncol; c++)
			if (width(t->cell[r * t->ncol + c]) > w[c])
				w[c] = width(t->cell[r * t->ncol + c]);
	for (r = 0; r < t->nrow; r++) {
		for (c = 0; c < t->ncol; c++) {
			s = t->cell[r * t->ncol + c];
			fputs(s, stdout);
			if (c + 1 < t->ncol)
				for (k = width(s); k < w[c] + 2; k++)
					putchar(' ');
			free(t->cell[r * t->ncol + c]);
		}
		putchar('\n');
	}
	free(t->cell);
	free(w);
}

/* Columns of a table of JSON objects, at most. */
#define COLS_MAX 12

/* A JSON value as a table cell (one of COLS_MAX rotating buffers: use it
 * before the COLS_MAX-th next call). */
static const char *
cell(json_t *o, const char *key)
{
	static char buf[COLS_MAX][64];
	static int i;
	json_t *v = json_object_get(o, key);

	i = (i + 1) % COLS_MAX;
	if (json_is_string(v)) /* "" (no source, say) shows as "-" too */
		return *json_string_value(v) != '\0' ? json_string_value(v)
		                                     : "-";
	if (json_is_real(v)) {
		snprintf(buf[i], sizeof(buf[i]), "%.2f", json_real_value(v));
		return buf[i];
	}
	if (json_is_integer(v)) {
		snprintf(buf[i], sizeof(buf[i]), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf[i];
	}
	return "-";
}

/* --json: one compact object per line. */
static void
print_lines(json_t *arr)
{
	size_t i;
	json_t *v;
	char *s;

	json_array_foreach(arr, i, v)
	{
		if ((s = json_dumps(
		         v, JSON_COMPACT | JSON_REAL_PRECISION(10))) == NULL)
			continue;
		puts(s);
		free(s);
	}
}

static void
print_object(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));

	if (s != NULL)
		puts(s);
	free(s);
}

/* One column of a table of JSON objects: its header and its key. */
struct column {
	const char *head, *key;
};

/* A table with a row per object of arr (at most COLS_MAX columns). */
static void
print_objects(json_t *arr, const struct column *cols, size_t ncol)
{
	struct table t = {ncol, 0, 0, NULL};
	const char *row[COLS_MAX];
	json_t *o;
	size_t i, c;

	if (ncol > COLS_MAX)
		ncol = t.ncol = COLS_MAX;
	for (c = 0; c < ncol; c++)
		row[c] = cols[c].head;
	table_add(&t, (char **)row);
	json_array_foreach(arr, i, o)
	{
		for (c = 0; c < ncol; c++)
			row[c] = cell(o, cols[c].key);
		table_add(&t, (char **)row);
	}
	table_print(&t);
}

static void
print_matches(json_t *arr)
{
	static const struct column cols[] = {{"PATH", "path"},
	    {"RELATION", "relation"}, {"HOW", "how"}, {"ORIGINAL", "original"},
	    {"JACCARD", "jaccard"}, {"CONTAINMENT", "containment"},
	    {"SOURCE", "source"}, {"PUBLISHED", "published"}};

	if (json_array_size(arr) == 0)
		printf("no matches\n");
	else
		print_objects(arr, cols, sizeof(cols) / sizeof(cols[0]));
}

/* A query's matches: the text sent is the original of some ("(this
 * text)"), and some are found through one of its exact copies (VIA). */
static void
print_query(json_t *j)
{
	static const struct column cols[] = {{"PATH", "path"},
	    {"RELATION", "relation"}, {"HOW", "how"}, {"ORIGINAL", "original"},
	    {"JACCARD", "jaccard"}, {"CONTAINMENT", "containment"},
	    {"VIA", "via"}, {"SOURCE", "source"}, {"PUBLISHED", "published"}};
	json_t *arr = json_object_get(j, "matches"), *o;
	size_t i;

	if (json_array_size(arr) == 0) {
		printf("no matches\n");
		return;
	}
	json_array_foreach(arr, i, o)
	{
		if (json_is_true(json_object_get(o, "query_is_original")))
			json_object_set_new(
			    o, "original", json_string("(this text)"));
	}
	print_objects(arr, cols, sizeof(cols) / sizeof(cols[0]));
	if (json_is_true(json_object_get(j, "truncated")))
		printf("(truncated: more pairs through its exact copies)\n");
}

/* ---- File arguments -------------------------------------------------------
 */

static int
fetch_watch(void)
{
	json_t *j, *w;

	if (watch_dir != NULL)
		return 0;
	if (request("GET", "/v1/status", NULL, 0, &j) < 0)
		return -1;
	w = json_object_get(j, "watch");
	if (!json_is_string(w)) {
		fprintf(stderr, "reprintctl: the daemon did not say which "
		                "directory it watches\n");
		json_decref(j);
		return -1;
	}
	watch_dir = strdup(json_string_value(w));
	json_decref(j);
	return watch_dir != NULL ? 0 : -1;
}

/* The rest of the resolved path p inside directory dir, or NULL. */
static const char *
inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		n--; /* the root */
	if (strncmp(p, dir, n) != 0 || p[n] != '/' || p[n + 1] == '\0')
		return NULL;
	return p + n + 1;
}

/*
 * The name under the watched directory of file, which exists here (sb,
 * its lstat): 1 with it in *rel, 0 if file is not inside, -1 on error.
 * The directory part is resolved (the watched directory may itself be
 * reached through a symlink: /tmp and /private/tmp); a symlink to a file
 * of the tree names its target, which the daemon reads under its own
 * name (the link is rejected), unless the target is one the daemon
 * leaves out (a dotfile): then the link names itself, as the daemon
 * stores it under the link's name.
 */
static int
local_name(const char *file, const struct stat *sb, char **rel)
{
	char dir[PATH_MAX], rd[PATH_MAX], rp[PATH_MAX];
	const char *base = strrchr(file, '/'), *r;
	size_t n;

	if (fetch_watch() < 0)
		return -1;
	if (base == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = file;
	} else {
		n = base == file ? 1 : (size_t)(base - file); /* "/x": "/" */
		if (n >= sizeof(dir))
			return 0;
		memcpy(dir, file, n);
		dir[n] = '\0';
		base++;
	}
	/* A directory is no document, but "..", "." and "dir/" must still
	 * name what they do here: resolve it whole. */
	if (S_ISDIR(sb->st_mode) || *base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		if (realpath(file, rp) == NULL)
			return 0;
	} else if (realpath(dir, rd) == NULL ||
	           (size_t)snprintf(rp, sizeof(rp), "%s/%s",
	               strcmp(rd, "/") == 0 ? "" : rd, base) >= sizeof(rp))
		return 0;
	if ((r = inside(rp, watch_dir)) == NULL)
		return 0;
	if (S_ISLNK(sb->st_mode) && realpath(file, rd) != NULL &&
	    (base = inside(rd, watch_dir)) != NULL && text_path_watched(base))
		r = base;
	return (*rel = strdup(r)) != NULL ? 1 : -1;
}

/* The "#2" of "dir/feed.jsonl#2" (an item of a file with several), or
 * NULL. */
static const char *
item_suffix(const char *file)
{
	const char *hash = strrchr(file, '#');

	if (hash == NULL || hash == file || !text_item_suffix(hash))
		return NULL;
	return hash;
}

/*
 * The document name to send for FILE, malloc'd into *rel. Returns 0; 1 if
 * FILE is a file here, outside the watched directory, and cannot be a
 * stored name either (*rel unset); -1 on error.
 *
 * A FILE that exists here (a symlink as itself) and is inside the
 * watched directory once its directory part is resolved is named
 * relative to that directory. Anything else is a stored name as given,
 * even when a file of that name exists here outside the watched
 * directory (the daemon's names are relative, so "story.txt" in another
 * directory is still a name), unless it cannot be one: an absolute path
 * or one with ".." that exists here is outside, said as such rather than
 * sent to be refused. An item, "dir/feed.jsonl#2", is its file's name
 * and the "#2" unless a file of that whole name exists here.
 */
static int
file_arg(const char *file, char **rel)
{
	const char *hash;
	char *item, *name, *clean;
	struct stat sb;
	int exists, rc;
	size_t n;

	*rel = NULL;
	if ((exists = lstat(file, &sb) == 0)) {
		if ((rc = local_name(file, &sb, rel)) != 0)
			return rc < 0 ? -1 : 0;
	} else if ((hash = item_suffix(file)) != NULL) {
		if ((item = strdup(file)) == NULL)
			return -1;
		item[hash - file] = '\0';
		rc = 0;
		if ((exists = lstat(item, &sb) == 0))
			rc = local_name(item, &sb, &name);
		free(item);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			n = strlen(name) + strlen(hash) + 1;
			if ((*rel = malloc(n)) != NULL)
				snprintf(*rel, n, "%s%s", name, hash);
			free(name);
			return *rel != NULL ? 0 : -1;
		}
	}
	if ((clean = malloc(strlen(file) + 1)) == NULL)
		return -1;
	rc = text_reqpath_clean(file, strlen(file), clean);
	free(clean);
	if (rc < 0 && exists)
		return 1;
	return (*rel = strdup(file)) != NULL ? 0 : -1;
}

static char *
rel_arg(const char *file)
{
	char *rel;
	int rc = file_arg(file, &rel);

	if (rc == 1)
		fprintf(stderr,
		    "reprintctl: %s is not under the watched "
		    "directory %s\n",
		    file, watch_dir);
	return rc == 0 ? rel : NULL;
}

static char *
target(const char *endpoint, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	char *e1 = v1 ? httpc_escape(v1) : NULL,
	     *e2 = v2 ? httpc_escape(v2) : NULL, *t;
	size_t n = strlen(endpoint) + (e1 ? strlen(k1) + strlen(e1) : 0) +
	           (e2 ? strlen(k2) + strlen(e2) : 0) + 8;

	if ((t = malloc(n)) == NULL) {
		fprintf(stderr, "reprintctl: out of memory\n");
		exit(1);
	}
	if (e1 != NULL && e2 != NULL)
		snprintf(t, n, "%s?%s=%s&%s=%s", endpoint, k1, e1, k2, e2);
	else if (e1 != NULL || e2 != NULL)
		snprintf(
		    t, n, "%s?%s=%s", endpoint, e1 ? k1 : k2, e1 ? e1 : e2);
	else
		snprintf(t, n, "%s", endpoint);
	free(e1);
	free(e2);
	return t;
}

/* ---- Commands ---------------------------------------------------------------
 */

static int
cmd_status(void)
{
	json_t *j, *v;
	const char *k;
	char *s;

	if (request("GET", "/v1/status", NULL, 0, &j) < 0)
		return 1;
	if (opt_json)
		print_object(j);
	else
		json_object_foreach(j, k, v)
		{
			if (json_is_string(v))
				printf("%-10s  %s\n", k, json_string_value(v));
			else if (json_is_null(v))
				printf("%-10s  -\n", k);
			else if ((s = json_dumps(v, JSON_ENCODE_ANY)) != NULL) {
				printf("%-10s  %s\n", k, s);
				free(s);
			}
		}
	json_decref(j);
	return 0;
}

static int
cmd_pairs(void)
{
	static const struct column cols[] = {{"RELATION", "relation"},
	    {"HOW", "how"}, {"A", "a"}, {"B", "b"}, {"ORIGINAL", "original"},
	    {"JACCARD", "jaccard"}, {"CONTAINMENT", "containment"}};
	char *tg = target("/v1/pairs", "relation", opt_relation,
	    opt_since != NULL ? "since" : NULL, opt_since);
	json_t *j, *arr;

	if (request("GET", tg, NULL, 0, &j) < 0) {
		free(tg);
		return 1;
	}
	free(tg);
	arr = json_object_get(j, "pairs");
	if (opt_json)
		print_lines(arr);
	else if (json_array_size(arr) == 0)
		printf("no pairs\n");
	else
		print_objects(arr, cols, sizeof(cols) / sizeof(cols[0]));
	json_decref(j);
	return 0;
}

static int
cmd_matches(const char *file)
{
	char *rel = rel_arg(file), *tg;
	json_t *j;

	if (rel == NULL)
		return 1;
	tg = target("/v1/matches", "path", rel, NULL, NULL);
	free(rel);
	if (request("GET", tg, NULL, 0, &j) < 0) {
		free(tg);
		return 1;
	}
	free(tg);
	if (opt_json)
		print_lines(json_object_get(j, "matches"));
	else
		print_matches(json_object_get(j, "matches"));
	if (json_is_true(json_object_get(j, "truncated")))
		fprintf(stderr,
		    "reprintctl: the best %zu of %lld matches (by "
		    "containment)\n",
		    json_array_size(json_object_get(j, "matches")),
		    (long long)json_integer_value(json_object_get(j, "count")));
	json_decref(j);
	return 0;
}

/* "/v1/query?name=" and the base name of path, percent-encoded. */
static int
url_encode_name(const char *path, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *base = strrchr(path, '/');
	size_t n = (size_t)snprintf(out, cap, "/v1/query?name=");

	for (base = base ? base + 1 : path; *base != '\0'; base++) {
		unsigned char c = (unsigned char)*base;
		if (n + 4 > cap)
			return -1;
		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			out[n++] = (char)c;
		else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

static int
cmd_query(const char *file)
{
	char target[PATH_MAX + 32], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	json_t *j;
	int fd;

	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "reprintctl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > RESPONSE_MAX ||
			    (nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "reprintctl: %s: too large\n",
				    file);
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "reprintctl: %s: %s\n", file,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	fd = -1;
	/* The file's name picks the parser (.html, .json, .eml) as it
	 * would in the watched directory. */
	if (strcmp(file, "-") == 0)
		snprintf(target, sizeof(target), "/v1/query");
	else if (url_encode_name(file, target, sizeof(target)) < 0) {
		fprintf(stderr, "reprintctl: %s: name too long\n", file);
		goto fail;
	}
	if (request_as(strcmp(file, "-") == 0 ? "standard input" : file, "POST",
	        target, buf ? buf : "", len, &j) < 0)
		goto fail;
	free(buf);
	if (opt_json)
		print_lines(json_object_get(j, "matches"));
	else
		print_query(j);
	json_decref(j);
	return 0;
fail:
	if (fd > STDIN_FILENO)
		close(fd);
	free(buf);
	return 1;
}

static int
cmd_cluster(const char *file)
{
	static const struct column cols[] = {{"PATH", "path"},
	    {"RELATION", "relation"}, {"HOW", "how"}, {"JACCARD", "jaccard"},
	    {"CONTAINMENT", "containment"}, {"WITH", "with"},
	    {"FIRST_SEEN", "first_seen"}, {"SOURCE", "source"},
	    {"PUBLISHED", "published"}};
	char *rel = rel_arg(file), *tg;
	json_t *j, *arr;

	if (rel == NULL)
		return 1;
	tg = target("/v1/cluster", "path", rel, NULL, NULL);
	free(rel);
	if (request("GET", tg, NULL, 0, &j) < 0) {
		free(tg);
		return 1;
	}
	free(tg);
	arr = json_object_get(j, "members");
	if (opt_json)
		print_lines(arr);
	else {
		printf("original: %s\n", cell(j, "original"));
		print_objects(arr, cols, sizeof(cols) / sizeof(cols[0]));
		if (json_is_true(json_object_get(j, "truncated")))
			printf("(truncated)\n");
	}
	json_decref(j);
	return 0;
}

static int
cmd_sources(void)
{
	struct table t = {5, 0, 0, NULL};
	char *hdr[] = {
	    "SOURCE", "DOCUMENTS", "REPRINTS", "REPRINTED", "FROM (COPIES)"};
	const char *row[5];
	char from[512];
	json_t *j, *arr, *o, *f;
	size_t i, k, n;

	if (request("GET", "/v1/sources", NULL, 0, &j) < 0)
		return 1;
	arr = json_object_get(j, "sources");
	if (opt_json)
		print_lines(arr);
	else if (json_array_size(arr) == 0)
		printf("no documents\n");
	else {
		table_add(&t, hdr);
		json_array_foreach(arr, i, o)
		{
			from[0] = '\0';
			n = 0;
			json_array_foreach(json_object_get(o, "from"), k, f)
			{
				if (n < sizeof(from))
					n += (size_t)snprintf(from + n,
					    sizeof(from) - n, "%s%s (%s)",
					    n ? ", " : "", cell(f, "source"),
					    cell(f, "reprints"));
			}
			row[0] = cell(o, "source");
			row[1] = cell(o, "documents");
			row[2] = cell(o, "reprints");
			row[3] = cell(o, "reprinted");
			row[4] = n ? from : "-";
			table_add(&t, (char **)row);
		}
		table_print(&t);
	}
	json_decref(j);
	return 0;
}

static int
cmd_explain(const char *fa, const char *fb)
{
	char *ra = rel_arg(fa), *rb = ra ? rel_arg(fb) : NULL, *tg;
	json_t *j, *arr, *p;
	size_t i;

	if (ra == NULL || rb == NULL) {
		free(ra);
		return 1;
	}
	tg = target("/v1/explain", "a", ra, "b", rb);
	if (request("GET", tg, NULL, 0, &j) < 0) {
		free(tg);
		free(ra);
		free(rb);
		return 1;
	}
	free(tg);
	arr = json_object_get(j, "passages");
	if (opt_json)
		print_lines(arr);
	else if (json_array_size(arr) == 0)
		printf("no shared passages\n");
	else
		json_array_foreach(arr, i, p)
		{
			printf("%s [%s+%s]  %s [%s+%s]\n", ra, cell(p, "a_off"),
			    cell(p, "a_len"), rb, cell(p, "b_off"),
			    cell(p, "b_len"));
			printf("    %s\n\n", cell(p, "text"));
		}
	if (!opt_json &&
	    json_is_false(json_object_get(j, "boilerplate_left_out")))
		printf("(boilerplate included: most of what the two share is "
		       "held by more than boilerplate_df documents)\n");
	free(ra);
	free(rb);
	json_decref(j);
	return 0;
}

static int
cmd_cleanup(void)
{
	json_t *j, *last;
	json_int_t run;
	int i;

	if (request("POST", "/v1/cleanup", "", 0, &j) < 0)
		return 1;
	run = json_integer_value(json_object_get(j, "run"));
	/* The daemon works in steps between other requests; wait for the
	 * run we started (or joined) to finish, an hour at most. */
	for (i = 0; i < 18000; i++) {
		last = json_object_get(j, "last");
		if (strcmp(cell(j, "state"), "idle") == 0 &&
		    json_integer_value(json_object_get(last, "run")) >= run)
			break;
		json_decref(j);
		usleep(200000);
		if (request("GET", "/v1/cleanup", NULL, 0, &j) < 0)
			return 1;
	}
	last = json_object_get(j, "last");
	if (!json_is_object(last)) {
		fprintf(stderr, "reprintctl: cleanup did not finish in an "
		                "hour\n");
		json_decref(j);
		return 1;
	}
	if (opt_json)
		print_object(last);
	else
		printf("removed %s documents and %s rejection records older "
		       "than the retention; forgot %s rejected and %s expired "
		       "files no longer in the tree\nreport: %s\n",
		    cell(last, "expired"), cell(last, "rejections_expired"),
		    cell(last, "rejections_forgotten"),
		    cell(last, "expired_files_forgotten"),
		    cell(last, "report"));
	if (json_is_string(json_object_get(last, "error"))) {
		fprintf(
		    stderr, "reprintctl: cleanup: %s\n", cell(last, "error"));
		json_decref(j);
		return 1;
	}
	json_decref(j);
	return 0;
}

static int
cmd_report(void)
{
	const char *fmt = opt_format ? opt_format : opt_json ? "json" : "text";
	char *tg = target(
	    "/v1/report", "format", fmt, opt_since ? "since" : NULL, opt_since);
	json_t *j;
	int rc;

	raw_out = 1;
	rc = request("GET", tg, NULL, 0, &j);
	free(tg);
	return rc < 0 ? 1 : 0;
}

static int
cmd_metrics(void)
{
	json_t *j;

	raw_out = 1;
	return request("GET", "/v1/metrics", NULL, 0, &j) < 0 ? 1 : 0;
}

/*
 * Refuse the options the command does not use (allowed: O_* bits) and
 * values the daemon would refuse: a usage error, not a failed request.
 */
static int
check_opts(const char *cmd, unsigned allowed)
{
	static const char *names[] = {
	    "--json", "--relation", "--since", "--format"};
	unsigned i;
	int r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (opts_given & ~allowed & (1u << i)) {
			fprintf(stderr, "reprintctl: %s does not apply to %s\n",
			    names[i], cmd);
			return -1;
		}
	if (opt_relation != NULL &&
	    match_relation_parse(opt_relation) <= MATCH_NONE) {
		fprintf(stderr, "reprintctl: unknown relation \"%s\" (",
		    opt_relation);
		for (r = MATCH_EXACT; r <= MATCH_PARTIAL; r++)
			fprintf(stderr, "%s%s", r > MATCH_EXACT ? ", " : "",
			    match_relation_name((enum match_relation)r));
		fprintf(stderr, ")\n");
		return -1;
	}
	if (opt_format != NULL && report_format_parse(opt_format) < 0) {
		fprintf(stderr,
		    "reprintctl: unknown format \"%s\" (text, json, html)\n",
		    opt_format);
		return -1;
	}
	/* --json asks report for its JSON format: not with another one. */
	if (opt_json && opt_format != NULL && strcmp(opt_format, "json") != 0) {
		fprintf(stderr,
		    "reprintctl: --json conflicts with --format %s\n",
		    opt_format);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"relation", required_argument, NULL, 'r'},
	    {"since", required_argument, NULL, 'S'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd;
	int ch, nargs, rc;

	signal(SIGPIPE, SIG_IGN);
	if ((sock_path = getenv("REPRINTD_SOCKET")) == NULL ||
	    *sock_path == '\0')
		sock_path = DEFAULT_SOCKET;
	/* Options may follow the command too ("status --json"). */
	while ((ch = getopt_long(argc, argv, "s:jr:S:F:h", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 's':
			sock_path = optarg;
			break;
		case 'j':
			opt_json = 1;
			opts_given |= O_JSON;
			break;
		case 'r':
			opt_relation = optarg;
			opts_given |= O_RELATION;
			break;
		case 'S':
			opt_since = optarg;
			opts_given |= O_SINCE;
			break;
		case 'F':
			opt_format = optarg;
			opts_given |= O_FORMAT;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("reprintctl %s\n", REPRINTD_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
#define NEED(n, opts)                                                          \
	do {                                                                   \
		if (nargs != (n)) {                                            \
			fprintf(stderr,                                        \
			    "reprintctl: %s takes %d argument%s\n", cmd, (n),  \
			    (n) == 1 ? "" : "s");                              \
			usage(stderr);                                         \
			return 2;                                              \
		}                                                              \
		if (check_opts(cmd, (opts)) < 0) {                             \
			usage(stderr);                                         \
			return 2;                                              \
		}                                                              \
	} while (0)
	if (strcmp(cmd, "status") == 0) {
		NEED(0, O_JSON);
		rc = cmd_status();
	} else if (strcmp(cmd, "pairs") == 0) {
		NEED(0, O_JSON | O_RELATION | O_SINCE);
		rc = cmd_pairs();
	} else if (strcmp(cmd, "matches") == 0) {
		NEED(1, O_JSON);
		rc = cmd_matches(argv[optind + 1]);
	} else if (strcmp(cmd, "query") == 0) {
		NEED(1, O_JSON);
		rc = cmd_query(argv[optind + 1]);
	} else if (strcmp(cmd, "cluster") == 0) {
		NEED(1, O_JSON);
		rc = cmd_cluster(argv[optind + 1]);
	} else if (strcmp(cmd, "explain") == 0) {
		NEED(2, O_JSON);
		rc = cmd_explain(argv[optind + 1], argv[optind + 2]);
	} else if (strcmp(cmd, "cleanup") == 0) {
		NEED(0, O_JSON);
		rc = cmd_cleanup();
	} else if (strcmp(cmd, "report") == 0) {
		NEED(0, O_JSON | O_SINCE | O_FORMAT);
		rc = cmd_report();
	} else if (strcmp(cmd, "metrics") == 0) {
		NEED(0, 0);
		rc = cmd_metrics();
	} else if (strcmp(cmd, "sources") == 0) {
		NEED(0, O_JSON);
		rc = cmd_sources();
	} else {
		fprintf(stderr, "reprintctl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
#undef NEED
	free(watch_dir);
	return rc;
}
