/*
 * bench_query.c - reprintd-bench-query: a closed-loop load client for
 * reprintd's HTTP API over its Unix socket.
 *
 * C client threads, one keep-alive connection each, send requests back to
 * back (the next when the answer to the last is read) until `nreq`
 * requests in all have been sent or `secs` seconds have passed, and
 * record the latency of each (write of the request to the last byte of
 * the answer). Prints one line and one JSON line with p50/p99/p999 in
 * microseconds.
 *
 *   matches  GET /v1/matches?path=P, P drawn from the paths in a list file
 *   query    POST /v1/query, bodies read from the files in a list file
 *   status   GET /v1/status once; prints "documents pending merging" (for
 *            scripts that wait for an ingest to finish)
 *
 * Only AF_UNIX: nothing leaves the machine.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024

enum mode { M_MATCHES, M_QUERY, M_STATUS };

struct item {
	char *s; /* path (matches) or body (query) */
	size_t len;
};

struct shared {
	const char *sock;
	enum mode mode;
	struct item *items;
	size_t nitems;
	size_t nreq;
	double deadline; /* monotonic seconds */
	pthread_mutex_t mu;
	size_t issued;
};

struct client {
	struct shared *sh;
	unsigned id;
	double *lat; /* microseconds */
	size_t nlat, cap;
	size_t errors, non200;
	char *rbuf;
	size_t rcap;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Read one HTTP response (headers, then Content-Length bytes of body).
 * Returns the status code, or -1 on a broken connection. *body points into
 * c->rbuf. *close_after set if the server said Connection: close.
 */
static int
read_response(
    struct client *c, int fd, const char **body, size_t *blen, int *close_after)
{
	size_t n = 0, hlen = 0, clen = 0, need;
	char *e, *h, *nb;
	ssize_t k;
	int status;

	for (;;) {
		if (n + 1 >= c->rcap) {
			c->rcap = c->rcap ? c->rcap * 2 : 65536;
			if ((nb = realloc(c->rbuf, c->rcap)) == NULL)
				return -1;
			c->rbuf = nb;
		}
		k = recv(fd, c->rbuf + n, c->rcap - n - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		n += (size_t)k;
		c->rbuf[n] = '\0';
		if (hlen == 0) {
			if ((e = strstr(c->rbuf, "\r\n\r\n")) == NULL)
				continue;
			hlen = (size_t)(e - c->rbuf) + 4;
			*e = '\0';
			for (h = c->rbuf; (h = strchr(h, '\n')) != NULL;) {
				h++;
				if (strncasecmp(h, "Content-Length:", 15) == 0)
					clen = strtoul(h + 15, NULL, 10);
				else if (strncasecmp(
				             h, "Connection: close", 17) == 0)
					*close_after = 1;
			}
			*e = '\r';
		}
		need = hlen + clen;
		if (n >= need)
			break;
		while (need + 1 > c->rcap) {
			c->rcap *= 2;
			if ((nb = realloc(c->rbuf, c->rcap)) == NULL)
				return -1;
			c->rbuf = nb;
		}
	}
	if (sscanf(c->rbuf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*body = c->rbuf + hlen;
	*blen = clen;
	return status;
}

static size_t
url_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0' && n + 4 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~/", ch) != NULL) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return n;
}

static int
request(struct client *c, int fd, size_t k, const char **body, size_t *blen,
    int *close_after)
{
	struct shared *sh = c->sh;
	char head[8192], esc[4096];
	struct item *it = &sh->items[k % (sh->nitems ? sh->nitems : 1)];
	int n;

	if (sh->mode == M_STATUS) {
		n = snprintf(head, sizeof(head),
		    "GET /v1/status HTTP/1.1\r\n"
		    "Host: localhost\r\n\r\n");
	} else if (sh->mode == M_MATCHES) {
		url_escape(esc, sizeof(esc), it->s);
		n = snprintf(head, sizeof(head),
		    "GET /v1/matches?path=%s "
		    "HTTP/1.1\r\nHost: localhost\r\n\r\n",
		    esc);
	} else {
		n = snprintf(head, sizeof(head),
		    "POST /v1/query HTTP/1.1\r\n"
		    "Host: localhost\r\nContent-Type: text/plain\r\n"
		    "Content-Length: %zu\r\n\r\n",
		    it->len);
	}
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    write_all(fd, head, (size_t)n) < 0)
		return -1;
	if (sh->mode == M_QUERY && write_all(fd, it->s, it->len) < 0)
		return -1;
	return read_response(c, fd, body, blen, close_after);
}

static void *
client_run(void *arg)
{
	struct client *c = arg;
	struct shared *sh = c->sh;
	const char *body;
	size_t blen, k;
	double t0, t1, *nl;
	int fd = -1, status, close_after;
	uint64_t x = 0x9e3779b97f4a7c15ULL * (c->id + 1);

	for (;;) {
		pthread_mutex_lock(&sh->mu);
		k = sh->issued < sh->nreq ? sh->issued++ : (size_t)-1;
		pthread_mutex_unlock(&sh->mu);
		if (k == (size_t)-1 || now_s() > sh->deadline)
			break;
		if (fd < 0 && (fd = dial(sh->sock)) < 0) {
			c->errors++;
			usleep(1000);
			continue;
		}
		/* A random item: clients do not walk the list in step. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		close_after = 0;
		t0 = now_s();
		status = request(
		    c, fd, (size_t)(x >> 1), &body, &blen, &close_after);
		t1 = now_s();
		if (status < 0) {
			c->errors++;
			close(fd);
			fd = -1;
			continue;
		}
		if (status != 200)
			c->non200++;
		if (c->nlat == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 4096;
			if ((nl = realloc(c->lat, c->cap * sizeof(*nl))) ==
			    NULL)
				break;
			c->lat = nl;
		}
		c->lat[c->nlat++] = (t1 - t0) * 1e6;
		if (close_after) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, k;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nb;
		}
		if ((k = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += k;
	}
	fclose(f);
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* One item per line of `list`; for query, each line names a file (under
 * `root` when relative) whose content is the body. */
static int
load_items(struct shared *sh, const char *list, const char *root, size_t max)
{
	FILE *f = fopen(list, "r");
	char line[4096], full[8192];
	struct item *ni;
	size_t cap = 0, l;

	if (f == NULL)
		return -1;
	while (sh->nitems < max && fgets(line, sizeof(line), f) != NULL) {
		l = strcspn(line, "\t\r\n");
		line[l] = '\0';
		if (l == 0 || strcmp(line, "path") == 0)
			continue; /* empty, or a manifest's header */
		if (sh->nitems == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((ni = realloc(sh->items, cap * sizeof(*ni))) ==
			    NULL)
				break;
			sh->items = ni;
		}
		if (sh->mode == M_QUERY) {
			if (line[0] != '/' && root != NULL)
				snprintf(
				    full, sizeof(full), "%s/%s", root, line);
			else
				snprintf(full, sizeof(full), "%s", line);
			sh->items[sh->nitems].s =
			    slurp(full, &sh->items[sh->nitems].len);
			if (sh->items[sh->nitems].s == NULL) {
				fprintf(stderr,
				    "reprintd-bench-query: %s: "
				    "%s\n",
				    full, strerror(errno));
				fclose(f);
				return -1;
			}
		} else {
			sh->items[sh->nitems].s = strdup(line);
			sh->items[sh->nitems].len = l;
		}
		sh->nitems++;
	}
	fclose(f);
	return sh->nitems > 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: reprintd-bench-query -S socket [-c clients] "
	    "[-n requests] [-t secs]\n"
	    "           [-l list] [-r root] [-L label] "
	    "matches|query|status\n"
	    "  -l  paths (matches) or files whose text to POST (query), one "
	    "a line;\n      a manifest (TSV, path first) will do\n"
	    "  -r  directory the list's relative files are under (query)\n"
	    "  -c  concurrent clients, one connection each (1)\n"
	    "  -n  requests in all (2000)   -t  time limit, seconds (20)\n");
}

int
main(int argc, char *argv[])
{
	struct shared sh;
	struct client *cl;
	pthread_t *th;
	const char *list = NULL, *root = NULL, *label = "", *mode;
	double secs = 20, t0, t1, *all;
	size_t i, n, errors = 0, non200 = 0, maxitems = 5000;
	unsigned nclients = 1, j;
	char *end;
	int ch;

	memset(&sh, 0, sizeof(sh));
	sh.nreq = 2000;
	while ((ch = getopt(argc, argv, "S:c:n:t:l:r:L:m:h")) != -1) {
		switch (ch) {
		case 'S':
			sh.sock = optarg;
			break;
		case 'c':
			nclients = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || nclients < 1 ||
			    nclients > MAX_CLIENTS)
				goto bad;
			break;
		case 'n':
			sh.nreq = strtoul(optarg, &end, 10);
			if (*end != '\0')
				goto bad;
			break;
		case 'm':
			maxitems = strtoul(optarg, &end, 10);
			if (*end != '\0' || maxitems == 0)
				goto bad;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end != '\0' || !(secs > 0))
				goto bad;
			break;
		case 'l':
			list = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'L':
			label = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind + 1 != argc || sh.sock == NULL) {
		usage();
		return 1;
	}
	mode = argv[optind];
	if (strcmp(mode, "matches") == 0)
		sh.mode = M_MATCHES;
	else if (strcmp(mode, "query") == 0)
		sh.mode = M_QUERY;
	else if (strcmp(mode, "status") == 0)
		sh.mode = M_STATUS;
	else {
		usage();
		return 1;
	}
	if (sh.mode == M_STATUS) {
		struct client c = {0};
		const char *body, *p;
		size_t blen;
		int fd, st, ca = 0;

		c.sh = &sh;
		if ((fd = dial(sh.sock)) < 0) {
			fprintf(stderr, "reprintd-bench-query: %s: %s\n",
			    sh.sock, strerror(errno));
			return 1;
		}
		st = request(&c, fd, 0, &body, &blen, &ca);
		close(fd);
		if (st != 200 || (p = strstr(body, "\"documents\":")) == NULL) {
			fprintf(
			    stderr, "reprintd-bench-query: status failed\n");
			return 1;
		}
		printf("%llu", strtoull(p + 12, NULL, 10));
		if ((p = strstr(body, "\"pending\":")) != NULL)
			printf(" %llu", strtoull(p + 10, NULL, 10));
		printf(" %d\n", strstr(body, "\"index\":\"merging\"") != NULL);
		free(c.rbuf);
		return 0;
	}
	if (list == NULL || load_items(&sh, list, root, maxitems) < 0) {
		fprintf(stderr, "reprintd-bench-query: no items (-l list)\n");
		return 1;
	}
	pthread_mutex_init(&sh.mu, NULL);
	cl = calloc(nclients, sizeof(*cl));
	th = calloc(nclients, sizeof(*th));
	if (cl == NULL || th == NULL)
		return 1;
	t0 = now_s();
	sh.deadline = t0 + secs;
	for (j = 0; j < nclients; j++) {
		cl[j].sh = &sh;
		cl[j].id = j;
		if (pthread_create(&th[j], NULL, client_run, &cl[j]) != 0) {
			fprintf(stderr,
			    "reprintd-bench-query: cannot start "
			    "client %u\n",
			    j);
			return 1;
		}
	}
	for (j = 0; j < nclients; j++)
		pthread_join(th[j], NULL);
	t1 = now_s();
	for (n = 0, j = 0; j < nclients; j++)
		n += cl[j].nlat;
	if ((all = malloc((n ? n : 1) * sizeof(*all))) == NULL)
		return 1;
	for (n = 0, j = 0; j < nclients; j++) {
		memcpy(all + n, cl[j].lat, cl[j].nlat * sizeof(*all));
		n += cl[j].nlat;
		errors += cl[j].errors;
		non200 += cl[j].non200;
	}
	qsort(all, n, sizeof(*all), dbl_cmp);
	printf("%-8s %-10s clients %3u: %7zu requests in %6.2f s, %8.0f/s, "
	       "p50 %8.0f us, p99 %8.0f us, p999 %8.0f us, max %8.0f us, "
	       "errors %zu, non-200 %zu\n",
	    mode, label, nclients, n, t1 - t0, (double)n / (t1 - t0),
	    pct(all, n, 0.50), pct(all, n, 0.99), pct(all, n, 0.999),
	    n ? all[n - 1] : 0.0, errors, non200);
	printf("{\"bench\":\"query\",\"endpoint\":\"%s\",\"label\":\"%s\","
	       "\"clients\":%u,\"requests\":%zu,\"secs\":%.3f,\"rps\":%.0f,"
	       "\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,"
	       "\"max_us\":%.0f,\"errors\":%zu,\"non200\":%zu}\n",
	    mode, label, nclients, n, t1 - t0, (double)n / (t1 - t0),
	    pct(all, n, 0.50), pct(all, n, 0.99), pct(all, n, 0.999),
	    n ? all[n - 1] : 0.0, errors, non200);
	for (j = 0; j < nclients; j++) {
		free(cl[j].lat);
		free(cl[j].rbuf);
	}
	for (i = 0; i < sh.nitems; i++)
		free(sh.items[i].s);
	free(sh.items);
	free(all);
	free(cl);
	free(th);
	return errors > 0 && n == 0 ? 1 : 0;
bad:
	fprintf(stderr, "reprintd-bench-query: -%c: bad value \"%s\"\n", ch,
	    optarg);
	return 1;
}
