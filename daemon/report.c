/* report.c - the period report: model, text, HTML; see report.h. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "daemon.h"
#include "jsonv.h"
#include "match.h"
#include "report.h"
#include "store.h"
#include "text.h"

#define DAY_US (86400LL * 1000000)
#define CLUSTERS_MAX 200    /* clusters in the model */
#define MEMBERS_MAX 500     /* members per cluster in the model */
#define REJECTED_MAX 500    /* rejected files in the model */
#define DAILY_MIN 14        /* days in the volume chart, at least */
#define DAILY_MAX 120       /* ... and at most */
#define TOP_MAX 10          /* most reprinted stories */
#define HTML_MEMBERS_MAX 40 /* members shown per cluster on the page */
#define HTML_CLUSTERS_MAX 50

/* ---- Formats and dates ----------------------------------------------------
 */

int
report_format_parse(const char *s)
{
	if (s == NULL || strcmp(s, "text") == 0)
		return REPORT_TEXT;
	if (strcmp(s, "json") == 0)
		return REPORT_JSON;
	if (strcmp(s, "html") == 0)
		return REPORT_HTML;
	return -1;
}

const char *
report_format_mime(enum report_format f)
{
	switch (f) {
	case REPORT_JSON:
		return "application/json";
	case REPORT_HTML:
		return "text/html; charset=utf-8";
	default:
		return "text/plain; charset=utf-8";
	}
}

const char *
report_format_ext(enum report_format f)
{
	switch (f) {
	case REPORT_JSON:
		return "json";
	case REPORT_HTML:
		return "html";
	default:
		return "txt";
	}
}

int
report_parse_since(const char *s, int64_t now, int64_t *out)
{
	struct tm tm, check;
	const char *e;
	char *end;
	long long v;
	time_t t;
	int off = 0; /* seconds to add to make it UTC */

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && errno == 0 && v >= 0 && end[0] != '\0' &&
	    end[1] == '\0' && end - s <= 9) {
		/* An age: "24h", "7d". */
		switch (*end) {
		case 's':
			break;
		case 'm':
			v *= 60;
			break;
		case 'h':
			v *= 3600;
			break;
		case 'd':
			v *= 86400;
			break;
		case 'w':
			v *= 7 * 86400;
			break;
		default:
			return -EINVAL;
		}
		/* Older than the epoch is as old as anything stored (and
		 * 9 digits of weeks would overflow as microseconds). */
		*out = v > now / 1000000 ? 0 : now - (int64_t)v * 1000000;
		return 0;
	}
	if (end != s && *end == '\0' && errno == 0 && v >= 0 &&
	    v < 253402300800LL) {
		*out = (int64_t)v * 1000000;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -EINVAL;
	if (*e == 'T' || *e == ' ') {
		if ((e = strptime(e + 1, "%H:%M", &tm)) == NULL)
			return -EINVAL;
		if (*e == ':' && (e = strptime(e + 1, "%S", &tm)) == NULL)
			return -EINVAL;
		if (*e == 'Z')
			e++;
		else if ((*e == '+' || *e == '-' || *e == ' ') &&
		         isdigit((unsigned char)e[1]) &&
		         isdigit((unsigned char)e[2])) {
			/* An offset: +HH, +HHMM or +HH:MM east of UTC (a '+'
			 * not escaped in a URL arrives as a space). */
			int sign = *e == '-' ? 1 : -1, mm = 0;
			int hh = (e[1] - '0') * 10 + (e[2] - '0');
			e += 3;
			if (*e == ':')
				e++;
			if (isdigit((unsigned char)e[0]) &&
			    isdigit((unsigned char)e[1])) {
				mm = (e[0] - '0') * 10 + (e[1] - '0');
				e += 2;
			}
			if (hh > 23 || mm > 59)
				return -EINVAL;
			off = sign * (hh * 3600 + mm * 60);
		}
	}
	check = tm;
	if (*e != '\0' || (t = timegm(&tm)) == (time_t)-1)
		return -EINVAL;
	/* timegm rolls 2026-02-30 over to March: such a date is no date. */
	if (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon ||
	    tm.tm_year != check.tm_year || tm.tm_hour != check.tm_hour ||
	    tm.tm_min != check.tm_min)
		return -EINVAL;
	*out = ((int64_t)t + off) * 1000000;
	return 0;
}

static void
day_name(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static int64_t
day_floor(int64_t us)
{
	int64_t d = us / DAY_US;

	if (us < 0 && us % DAY_US != 0)
		d--;
	return d * DAY_US;
}

/* The source of a document: who published it. */
static json_t *
jsource(const struct store_doc *d)
{
	const char *slash = strchr(d->path, '/');

	/* The document's source (metadata, folder or URL host, chosen at
	 * ingest); stores without it fall back to the first folder. */
	if (d->source != NULL && d->source[0] != '\0')
		return jv_str(d->source, strlen(d->source));
	if (slash == NULL)
		return json_null(); /* none known, as /v1/sources says */
	return jv_str(d->path, (size_t)(slash - d->path));
}

static double
round4(double x)
{
	return round(x * 10000) / 10000;
}

/* The first line of a text that has words, at most ~100 characters: a
 * headline, for people. */
static json_t *
jtitle(struct store_txn *txn, uint64_t id)
{
	const void *tv;
	const char *t, *e, *end;
	size_t len, n;

	if (store_doc_text(txn, id, &tv, &len) < 0)
		return json_null();
	t = tv;
	end = t + len;
	while (t < end) {
		while (t < end &&
		       (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n'))
			t++;
		e = memchr(t, '\n', (size_t)(end - t));
		if (e == NULL)
			e = end;
		n = (size_t)(e - t);
		while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\r'))
			n--;
		/* Markup or a header line is not a headline. */
		if (n > 0 && t[0] != '<' && t[0] != '{' &&
		    memchr(t, ':', n < 24 ? n : 24) == NULL) {
			if (n > 100) {
				n = 100;
				/* not in the middle of a UTF-8 sequence */
				while (n > 0 &&
				       ((unsigned char)t[n] & 0xc0) == 0x80)
					n--;
			}
			return jv_str(t, n);
		}
		t = e;
	}
	return json_null();
}

/* ---- Id map (open addressing, id -> index) --------------------------------
 */

struct idmap {
	uint64_t *key; /* 0: empty */
	size_t *val;
	size_t cap, n;
};

static size_t
idmap_slot(const struct idmap *m, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (m->cap - 1);

	while (m->key[i] != 0 && m->key[i] != id)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
idmap_grow(struct idmap *m)
{
	struct idmap nm = {0};
	size_t i, s;

	nm.cap = m->cap ? m->cap * 2 : 1024;
	if ((nm.key = calloc(nm.cap, sizeof(*nm.key))) == NULL ||
	    (nm.val = calloc(nm.cap, sizeof(*nm.val))) == NULL) {
		free(nm.key);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->key[i] != 0) {
			s = idmap_slot(&nm, m->key[i]);
			nm.key[s] = m->key[i];
			nm.val[s] = m->val[i];
		}
	nm.n = m->n;
	free(m->key);
	free(m->val);
	*m = nm;
	return 0;
}

/* Index of id, adding it as `next` if absent; (size_t)-1 on ENOMEM. */
static size_t
idmap_get(struct idmap *m, uint64_t id, size_t next, int *added)
{
	size_t s;

	*added = 0;
	if ((m->n + 1) * 2 > m->cap && idmap_grow(m) < 0)
		return (size_t)-1;
	s = idmap_slot(m, id);
	if (m->key[s] == id)
		return m->val[s];
	m->key[s] = id;
	m->val[s] = next;
	m->n++;
	*added = 1;
	return next;
}

static size_t
idmap_find(const struct idmap *m, uint64_t id)
{
	size_t s;

	if (m->cap == 0)
		return (size_t)-1;
	s = idmap_slot(m, id);
	return m->key[s] == id ? m->val[s] : (size_t)-1;
}

/* ---- Gathering --------------------------------------------------------------
 */

struct node {
	uint64_t id;
	size_t parent; /* union-find */
	size_t comp;   /* component index, after grouping */
	int64_t first_seen;
	int64_t published; /* 0: unknown */
	uint32_t ntokens;
};

struct gather {
	struct store_txn *txn;
	int64_t since, until, day0;
	size_t ndays;
	uint64_t *day_ing, *day_rej;
	uint64_t ingested, rejected;
	uint64_t flagged[MATCH_PARTIAL + 1];
	struct idmap map;
	struct node *nodes;
	size_t nn, ncap;
	struct store_pair *edges;
	size_t ne, ecap;
	json_t *rejects;
	int err;
};

static int
g_doc(const struct store_doc *d, void *arg)
{
	struct gather *g = arg;
	int64_t day;

	if (d->first_seen >= g->since && d->first_seen < g->until)
		g->ingested++;
	day = (day_floor(d->first_seen) - g->day0) / DAY_US;
	if (d->first_seen >= g->day0 && day >= 0 && (size_t)day < g->ndays)
		g->day_ing[day]++;
	return 0;
}

static size_t
node_of(struct gather *g, uint64_t id)
{
	size_t i;
	int added;
	void *nv;

	if (g->nn == g->ncap) {
		g->ncap = g->ncap ? g->ncap * 2 : 256;
		if ((nv = realloc(g->nodes, g->ncap * sizeof(*g->nodes))) ==
		    NULL)
			return (size_t)-1;
		g->nodes = nv;
	}
	i = idmap_get(&g->map, id, g->nn, &added);
	if (i != (size_t)-1 && added) {
		memset(&g->nodes[i], 0, sizeof(g->nodes[i]));
		g->nodes[i].id = id;
		g->nodes[i].parent = i;
		g->nn++;
	}
	return i;
}

static size_t
uf_find(struct node *n, size_t i)
{
	while (n[i].parent != i) {
		n[i].parent = n[n[i].parent].parent;
		i = n[i].parent;
	}
	return i;
}

static int
g_pair(const struct store_pair *p, void *arg)
{
	struct gather *g = arg;
	size_t a, b;
	void *nv;

	if (p->found_at >= g->since && p->found_at < g->until &&
	    p->relation <= MATCH_PARTIAL)
		g->flagged[p->relation]++;
	if (p->relation == MATCH_PARTIAL || p->relation == MATCH_NONE)
		return 0;
	if ((a = node_of(g, p->a)) == (size_t)-1 ||
	    (b = node_of(g, p->b)) == (size_t)-1)
		goto nomem;
	if (g->ne == g->ecap) {
		g->ecap = g->ecap ? g->ecap * 2 : 256;
		if ((nv = realloc(g->edges, g->ecap * sizeof(*g->edges))) ==
		    NULL)
			goto nomem;
		g->edges = nv;
	}
	g->edges[g->ne++] = *p;
	return 0;
nomem:
	g->err = -ENOMEM;
	return 1;
}

static int
bsearch_u64(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x;
}

/* An excerpt pair's outer side, and the inner one, for sorting. */
struct held {
	uint64_t outer, inner;
};

static int
held_cmp(const void *x, const void *y)
{
	const struct held *a = x, *b = y;

	if (a->outer != b->outer)
		return a->outer < b->outer ? -1 : 1;
	return a->inner < b->inner ? -1 : a->inner > b->inner;
}

/* The edge (a, b) in g->edges, which the pair scan left ordered by
 * (a, b); NULL if there is none. */
static const struct store_pair *
edge_find(const struct gather *g, uint64_t a, uint64_t b)
{
	size_t lo = 0, hi = g->ne;

	if (a > b) {
		uint64_t t = a;
		a = b;
		b = t;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct store_pair *p = &g->edges[mid];
		if (p->a < a || (p->a == a && p->b < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ne && g->edges[lo].a == a && g->edges[lo].b == b
	           ? &g->edges[lo]
	           : NULL;
}

/*
 * Join the clusters: every edge but a compilation's excerpts
 * (cluster_is_compilation), which are dropped from g->edges.
 */
static int
join_clusters(struct gather *g)
{
	struct held *h = NULL;
	struct cluster_edge e[CLUSTER_INNER_MAX * 4];
	uint64_t inner[CLUSTER_INNER_MAX];
	uint64_t *comp = NULL; /* the compilations' ids, ascending */
	size_t nh = 0, ncomp = 0, i, j, k, n, ne, a, b;
	int rc = -ENOMEM;

	if ((h = malloc((g->ne + 1) * sizeof(*h))) == NULL ||
	    (comp = malloc((g->ne + 1) * sizeof(*comp))) == NULL)
		goto out;
	for (i = 0; i < g->ne; i++) {
		const struct store_pair *p = &g->edges[i];
		uint64_t o;
		if (p->relation != MATCH_EXCERPT)
			continue;
		o = cluster_outer(p->a, p->b, p->cont_ab, p->cont_ba);
		h[nh++] = (struct held){o, o == p->a ? p->b : p->a};
	}
	if (nh > 1)
		qsort(h, nh, sizeof(*h), held_cmp);
	for (i = 0; i < nh; i = j) {
		for (j = i; j < nh && h[j].outer == h[i].outer; j++)
			;
		n = j - i < CLUSTER_INNER_MAX ? j - i : CLUSTER_INNER_MAX;
		if (n < 2)
			continue;
		for (k = 0, ne = 0; k < n; k++) {
			inner[k] = h[i + k].inner;
			for (a = 0; a < k && ne < sizeof(e) / sizeof(e[0]);
			     a++) {
				const struct store_pair *p =
				    edge_find(g, inner[a], inner[k]);
				if (p != NULL)
					e[ne++] = (struct cluster_edge){p->a,
					    p->b, p->relation, p->original};
			}
		}
		if ((rc = cluster_is_compilation(inner, n, e, ne)) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (rc == 1)
			comp[ncomp++] = h[i].outer; /* ascending, as h is */
	}
	/* Drop the compilations' excerpts; join along the rest. */
	for (i = 0, k = 0; i < g->ne; i++) {
		const struct store_pair *p = &g->edges[i];
		if (p->relation == MATCH_EXCERPT && ncomp > 0 &&
		    bsearch_u64(comp, ncomp,
		        cluster_outer(p->a, p->b, p->cont_ab, p->cont_ba)))
			continue;
		g->edges[k++] = *p;
		a = uf_find(g->nodes, idmap_find(&g->map, p->a));
		b = uf_find(g->nodes, idmap_find(&g->map, p->b));
		if (a != b)
			g->nodes[a > b ? a : b].parent = a < b ? a : b;
	}
	g->ne = k;
	rc = 0;
out:
	free(h);
	free(comp);
	return rc;
}

static int
g_reject(const struct store_reject *rj, void *arg)
{
	struct gather *g = arg;
	int64_t day;

	day = (day_floor(rj->at) - g->day0) / DAY_US;
	if (rj->at >= g->day0 && day >= 0 && (size_t)day < g->ndays)
		g->day_rej[day]++;
	if (rj->at < g->since || rj->at >= g->until)
		return 0;
	g->rejected++;
	if (json_array_size(g->rejects) < REJECTED_MAX)
		json_array_append_new(g->rejects,
		    json_pack("{s:o, s:o, s:o}", "path", jv_path(rj->path),
		        "reason", jv_path(rj->reason), "at", jv_time(rj->at)));
	return 0;
}

/* ---- Clusters
 * ---------------------------------------------------------------- */

struct comp {
	size_t *members; /* node indices */
	size_t nm;
	size_t *edges; /* edge indices */
	size_t ne;
	int in_period;
	size_t orig; /* node index of the original */
	int64_t orig_seen;
	int64_t orig_time; /* the original's store_doc_time() */
};

static int
comp_cmp(const void *pa, const void *pb)
{
	const struct comp *a = pa, *b = pb;

	if (a->in_period != b->in_period)
		return a->in_period ? -1 : 1;
	if (a->nm != b->nm)
		return a->nm > b->nm ? -1 : 1;
	if (a->orig_seen != b->orig_seen)
		return a->orig_seen < b->orig_seen ? -1 : 1;
	return 0;
}

struct member_row {
	size_t node;
	int64_t first_seen;
};

static int
member_cmp(const void *pa, const void *pb)
{
	const struct member_row *a = pa, *b = pb;

	if (a->first_seen != b->first_seen)
		return a->first_seen < b->first_seen ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

/* The pair that describes member x: its pair with the original, else its
 * most similar pair within the cluster. */
static const struct store_pair *
describe(
    const struct gather *g, const struct comp *c, uint64_t x, uint64_t orig)
{
	const struct store_pair *best = NULL, *p;
	double s, bs = -1;
	size_t i;

	for (i = 0; i < c->ne; i++) {
		p = &g->edges[c->edges[i]];
		if (p->a != x && p->b != x)
			continue;
		if (p->a == orig || p->b == orig)
			return p;
		s = p->cont_ab > p->cont_ba ? p->cont_ab : p->cont_ba;
		if (s > bs) {
			bs = s;
			best = p;
		}
	}
	return best;
}

/* A JSON string's value, "" for anything else (null: no source). */
static const char *
str_or_empty(const json_t *v)
{
	const char *s = json_string_value(v);
	return s != NULL ? s : "";
}

/* A source for a person to read: its name, or "(no source)". */
static const char *
src_name(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL && *s != '\0' ? s : "(no source)";
}

/* JSON for a source name from a key: null for "" (none known). */
static json_t *
src_json(const char *s, size_t n)
{
	return n > 0 ? json_stringn(s, n) : json_null();
}

/* Count (reprinter source, original source) pairs: a JSON object
 * "reprinter\x1foriginal" -> n, turned into a list later. */
static void
count_whom(json_t *whom, json_t *src_r, json_t *src_o)
{
	char key[600];
	json_t *v;

	/* A source unknown (null) is "" here: no source is named so. */
	snprintf(key, sizeof(key), "%s\x1f%s", str_or_empty(src_r),
	    str_or_empty(src_o));
	v = json_object_get(whom, key);
	json_object_set_new(
	    whom, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static int
whom_cmp(const void *pa, const void *pb)
{
	json_t *const *a = pa, *const *b = pb;
	json_int_t x = json_integer_value(json_object_get(*a, "count"));
	json_int_t y = json_integer_value(json_object_get(*b, "count"));

	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(str_or_empty(json_object_get(*a, "reprinter")),
	    str_or_empty(json_object_get(*b, "reprinter")));
}

static int
src_cmp(const void *pa, const void *pb)
{
	json_t *const *a = pa, *const *b = pb;
	json_int_t x = json_integer_value(json_object_get(*a, "reprints"));
	json_int_t y = json_integer_value(json_object_get(*b, "reprints"));

	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(str_or_empty(json_object_get(*a, "source")),
	    str_or_empty(json_object_get(*b, "source")));
}

/* Sort the values of object o with cmp into a new array. */
static json_t *
sorted_values(json_t *o, int (*cmp)(const void *, const void *))
{
	size_t n = json_object_size(o), i = 0;
	json_t **rows = calloc(n ? n : 1, sizeof(*rows)), *arr, *v;
	const char *k;

	if (rows == NULL)
		return NULL;
	json_object_foreach(o, k, v) rows[i++] = v;
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append(arr, rows[i]);
	free(rows);
	return arr;
}

/*
 * whom maps "reprinter\x1foriginal source" to a count: set
 * "reprints_of" [{reprinter, original_source, count}] and "sources"
 * [{source, reprints}] in the model, biggest first.
 */
static void
whom_lists(json_t *whom, json_t *model)
{
	json_t *rows = json_object(), *src = json_object(), *v, *s;
	const char *k, *sep;
	size_t n;

	json_object_foreach(whom, k, v)
	{
		sep = strchr(k, '\x1f');
		n = (size_t)(sep - k);
		json_object_set_new(rows, k,
		    json_pack("{s:o, s:o, s:O}", "reprinter", src_json(k, n),
		        "original_source", src_json(sep + 1, strlen(sep + 1)),
		        "count", v));
		if ((s = json_object_getn(src, k, n)) == NULL) {
			s = json_pack("{s:o, s:i}", "source", src_json(k, n),
			    "reprints", 0);
			json_object_setn_new(src, k, n, s);
		}
		json_object_set_new(s, "reprints",
		    json_integer(
		        json_integer_value(json_object_get(s, "reprints")) +
		        json_integer_value(v)));
	}
	json_object_set_new(
	    model, "reprints_of", sorted_values(rows, whom_cmp));
	json_object_set_new(model, "sources", sorted_values(src, src_cmp));
	json_decref(rows);
	json_decref(src);
}

static int
build_clusters(const struct reprintd *r, struct gather *g, json_t *model)
{
	struct comp *cs = NULL;
	size_t *cidx = NULL, ncomp = 0, i, j, k, *mbuf = NULL, *ebuf = NULL;
	struct cluster_member *cm = NULL;
	struct cluster_edge *ce = NULL;
	struct member_row *rows = NULL;
	struct store_doc d, wd;
	const char *wpath;
	uint64_t wid;
	json_t *clusters = json_array(), *top = json_array();
	json_t *whom = json_object(), *cl, *members, *o, *osrc;
	const struct store_pair *p;
	uint64_t oid;
	size_t nout = 0, in_period = 0;
	int rc = -ENOMEM;

	for (i = 0; i < g->nn; i++) {
		if ((rc = store_doc_get(g->txn, g->nodes[i].id, &d)) < 0)
			goto out;
		g->nodes[i].first_seen = d.first_seen;
		g->nodes[i].published = store_doc_time(&d);
		g->nodes[i].ntokens = d.ntokens;
	}
	if ((rc = join_clusters(g)) < 0)
		goto out;
	rc = -ENOMEM;
	/* Group nodes and edges by component (counting sort). */
	if ((cidx = malloc((g->nn + 1) * sizeof(*cidx))) == NULL)
		goto out;
	for (i = 0; i < g->nn; i++)
		cidx[i] = (size_t)-1;
	for (i = 0; i < g->nn; i++) {
		j = uf_find(g->nodes, i);
		if (cidx[j] == (size_t)-1)
			cidx[j] = ncomp++;
		g->nodes[i].comp = cidx[j];
	}
	if ((cs = calloc(ncomp + 1, sizeof(*cs))) == NULL ||
	    (mbuf = malloc((g->nn + 1) * sizeof(*mbuf))) == NULL ||
	    (ebuf = malloc((g->ne + 1) * sizeof(*ebuf))) == NULL)
		goto out;
	for (i = 0; i < g->nn; i++)
		cs[g->nodes[i].comp].nm++;
	for (i = 0; i < g->ne; i++)
		cs[g->nodes[idmap_find(&g->map, g->edges[i].a)].comp].ne++;
	for (i = 0, j = 0, k = 0; i < ncomp; i++) {
		cs[i].members = mbuf + j;
		cs[i].edges = ebuf + k;
		j += cs[i].nm;
		k += cs[i].ne;
		cs[i].nm = cs[i].ne = 0;
	}
	for (i = 0; i < g->nn; i++) {
		struct comp *c = &cs[g->nodes[i].comp];

		c->members[c->nm++] = i;
		if (g->nodes[i].first_seen >= g->since &&
		    g->nodes[i].first_seen < g->until)
			c->in_period = 1;
	}
	for (i = 0; i < g->ne; i++) {
		struct comp *c =
		    &cs[g->nodes[idmap_find(&g->map, g->edges[i].a)].comp];

		c->edges[c->ne++] = i;
	}
	/* The original of each cluster of the period. */
	for (i = 0; i < ncomp; i++) {
		struct comp *c = &cs[i];
		void *nv;

		if (c->nm < 2) /* a compilation alone: no cluster */
			c->in_period = 0;
		if (!c->in_period)
			continue;
		in_period++;
		if ((nv = realloc(cm, c->nm * sizeof(*cm))) == NULL)
			goto out;
		cm = nv;
		if ((nv = realloc(ce, (c->ne + 1) * sizeof(*ce))) == NULL)
			goto out;
		ce = nv;
		for (j = 0; j < c->nm; j++) {
			cm[j].id = g->nodes[c->members[j]].id;
			cm[j].first_seen = g->nodes[c->members[j]].first_seen;
			cm[j].ntokens = g->nodes[c->members[j]].ntokens;
			cm[j].published = g->nodes[c->members[j]].published;
		}
		for (j = 0; j < c->ne; j++) {
			p = &g->edges[c->edges[j]];
			ce[j].a = p->a;
			ce[j].b = p->b;
			ce[j].relation = p->relation;
			ce[j].original = p->original;
		}
		c->orig = c->members[cluster_pick_original(cm, c->nm, ce, c->ne,
		    (int64_t)r->cfg.original_window * 1000000)];
		c->orig_seen = g->nodes[c->orig].first_seen;
		c->orig_time = g->nodes[c->orig].published;
	}
	if (ncomp > 1)
		qsort(cs, ncomp, sizeof(*cs), comp_cmp);
	for (i = 0; i < ncomp && cs[i].in_period; i++) {
		struct comp *c = &cs[i];
		void *nv;

		oid = g->nodes[c->orig].id;
		if ((rc = store_doc_get(g->txn, oid, &d)) < 0)
			goto out;
		rc = -ENOMEM;
		osrc = jsource(&d);
		o = json_pack("{s:o, s:O, s:o, s:o, s:I}", "path",
		    jv_path(d.path), "source", osrc, "title",
		    d.title != NULL ? jv_path(d.title) : jtitle(g->txn, oid),
		    "first_seen", jv_time(d.first_seen), "tokens",
		    (json_int_t)d.ntokens);
		if ((nv = realloc(rows, c->nm * sizeof(*rows))) == NULL) {
			json_decref(osrc);
			json_decref(o);
			goto out;
		}
		rows = nv;
		for (j = 0; j < c->nm; j++) {
			rows[j].node = c->members[j];
			rows[j].first_seen = g->nodes[c->members[j]].first_seen;
		}
		qsort(rows, c->nm, sizeof(*rows), member_cmp);
		members = json_array();
		for (j = 0; j < c->nm; j++) {
			struct node *nd = &g->nodes[rows[j].node];
			json_t *src;
			double sim;

			if (nd->id == oid)
				continue;
			if ((rc = store_doc_get(g->txn, nd->id, &d)) < 0) {
				json_decref(members);
				json_decref(osrc);
				json_decref(o);
				goto out;
			}
			src = jsource(&d);
			/* A source repeating itself is not syndication (as
			 * in /v1/sources). */
			if (src != NULL && osrc != NULL &&
			    !json_equal(src, osrc))
				count_whom(whom, src, osrc);
			if (json_array_size(members) >= MEMBERS_MAX) {
				json_decref(src);
				continue;
			}
			p = describe(g, c, nd->id, oid);
			sim = p == NULL                 ? 0
			      : p->cont_ab > p->cont_ba ? p->cont_ab
			                                : p->cont_ba;
			/* The pair's other end: the original, or not. */
			wid = p == NULL ? 0 : p->a == nd->id ? p->b : p->a;
			wpath = NULL;
			if (wid != 0 && store_doc_get(g->txn, wid, &wd) == 0)
				wpath = wd.path;
			json_array_append_new(members,
			    json_pack(
			        "{s:o, s:o, s:s, s:s, s:f, s:f, s:o, s:o, "
			        "s:I, s:I, s:b}",
			        "path", jv_path(d.path), "source", src,
			        "relation",
			        match_relation_name(
			            p != NULL ? (enum match_relation)p->relation
			                      : MATCH_NONE),
			        "how",
			        p != NULL
			            ? match_how_name(
			                  (enum match_relation)p->relation,
			                  (enum match_how)p->how, p->cont_ab,
			                  p->cont_ba)
			            : "none",
			        "similarity", round4(sim), "jaccard",
			        round4(p != NULL ? p->jaccard : 0), "with",
			        jv_path(wpath), "first_seen",
			        jv_time(d.first_seen), "delay_s",
			        (json_int_t)((nd->published - c->orig_time) /
			                     1000000),
			        "tokens", (json_int_t)d.ntokens, "in_period",
			        d.first_seen >= g->since &&
			            d.first_seen < g->until));
		}
		rc = -ENOMEM;
		if (json_array_size(top) < TOP_MAX)
			json_array_append_new(top,
			    json_pack("{s:O, s:O, s:O, "
			              "s:I}",
			        "path", json_object_get(o, "path"), "title",
			        json_object_get(o, "title"), "source", osrc,
			        "reprints", (json_int_t)(c->nm - 1)));
		json_decref(osrc);
		if (nout++ < CLUSTERS_MAX) {
			cl = json_pack("{s:o, s:I, s:o}", "original", o,
			    "reprints", (json_int_t)(c->nm - 1), "members",
			    members);
			if (cl != NULL && c->nm - 1 > MEMBERS_MAX)
				json_object_set_new(
				    cl, "truncated", json_true());
			json_array_append_new(clusters, cl);
		} else {
			json_decref(o);
			json_decref(members);
		}
	}
	json_object_set_new(model, "clusters", clusters);
	json_object_set_new(model, "top_stories", top);
	clusters = top = NULL;
	json_object_set_new(json_object_get(model, "counts"), "clusters",
	    json_integer((json_int_t)in_period));
	whom_lists(whom, model);
	rc = 0;
out:
	json_decref(clusters);
	json_decref(top);
	json_decref(whom);
	free(rows);
	free(cm);
	free(ce);
	free(cs);
	free(mbuf);
	free(ebuf);
	free(cidx);
	return rc;
}

int
report_build(const struct reprintd *r, struct store_txn *txn, int64_t since,
    int64_t until, json_t **out)
{
	struct gather g;
	json_t *model = NULL, *daily, *flagged, *counts;
	uint64_t expired = 0, v;
	char day[16], name[40];
	int64_t t;
	size_t i;
	int rc, rel;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	g.txn = txn;
	g.since = since;
	g.until = until;
	/* The chart covers the period, at least DAILY_MIN days, at most
	 * DAILY_MAX, ending with the day of `until`. */
	g.day0 = day_floor(since);
	if (g.day0 > day_floor(until - 1) - (DAILY_MIN - 1) * DAY_US)
		g.day0 = day_floor(until - 1) - (DAILY_MIN - 1) * DAY_US;
	if (g.day0 < day_floor(until - 1) - (DAILY_MAX - 1) * DAY_US)
		g.day0 = day_floor(until - 1) - (DAILY_MAX - 1) * DAY_US;
	g.ndays = (size_t)((day_floor(until - 1) - g.day0) / DAY_US + 1);
	rc = -ENOMEM;
	if ((g.day_ing = calloc(g.ndays, sizeof(uint64_t))) == NULL ||
	    (g.day_rej = calloc(g.ndays, sizeof(uint64_t))) == NULL ||
	    (g.rejects = json_array()) == NULL)
		goto out;
	if ((rc = store_doc_each(txn, 0, g_doc, &g)) < 0 ||
	    (rc = store_pair_each(txn, g_pair, &g)) < 0 ||
	    (rc = store_reject_each(txn, g_reject, &g)) < 0)
		goto out;
	if ((rc = g.err) < 0)
		goto out;
	/* Expired: per-day counters written by the cleanup. */
	for (t = day_floor(since); t < until && t < since + 400 * DAY_US;
	     t += DAY_US) {
		day_name(t, day, sizeof(day));
		snprintf(name, sizeof(name), "expired/%s", day);
		if ((rc = store_counter_get(txn, name, &v)) < 0)
			goto out;
		expired += v;
	}
	rc = -ENOMEM;
	flagged = json_object();
	for (rel = MATCH_EXACT; rel <= MATCH_PARTIAL; rel++)
		json_object_set_new(flagged,
		    match_relation_name((enum match_relation)rel),
		    json_integer((json_int_t)g.flagged[rel]));
	counts = json_pack("{s:I, s:I, s:I, s:o}", "ingested",
	    (json_int_t)g.ingested, "rejected", (json_int_t)g.rejected,
	    "expired", (json_int_t)expired, "flagged", flagged);
	daily = json_array();
	for (i = 0; i < g.ndays; i++) {
		day_name(g.day0 + (int64_t)i * DAY_US, day, sizeof(day));
		json_array_append_new(
		    daily, json_pack("{s:s, s:I, s:I}", "date", day, "ingested",
		               (json_int_t)g.day_ing[i], "rejected",
		               (json_int_t)g.day_rej[i]));
	}
	model = json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o}", "version",
	    REPRINTD_VERSION, "generated", jv_time(now_us()), "since",
	    jv_time(since), "until", jv_time(until), "retention_days",
	    (json_int_t)(r->cfg.retention / 86400), "counts", counts, "daily",
	    daily, "rejected", g.rejects);
	g.rejects = NULL;
	if (model == NULL)
		goto out;
	if ((rc = build_clusters(r, &g, model)) < 0)
		goto out;
	*out = model;
	model = NULL;
	rc = 0;
out:
	json_decref(model);
	json_decref(g.rejects);
	free(g.day_ing);
	free(g.day_rej);
	free(g.map.key);
	free(g.map.val);
	free(g.nodes);
	free(g.edges);
	return rc;
}

/* ---- Small helpers for rendering -------------------------------------------
 */

static const char *
sget(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static json_int_t
iget(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double
fget(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* "2026-03-01T12:00:00Z" -> "2026-03-01 12:00" */
static const char *
short_time(const char *iso, char buf[24])
{
	snprintf(buf, 24, "%.10s %.5s", iso, strlen(iso) > 11 ? iso + 11 : "");
	return buf;
}

static int64_t
iso_secs(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

/* "+2h 05m", "+3d 4h", "+40s" */
static const char *
delay_str(json_int_t s, char buf[32])
{
	/* Negative: published before its original (a summary filed ahead
	 * of the story it is cut from). */
	char sign = s < 0 ? '-' : '+';

	if (s < 0)
		s = -s;
	if (s < 60)
		snprintf(buf, 32, "%c%llds", sign, (long long)s);
	else if (s < 3600)
		snprintf(buf, 32, "%c%lldm", sign, (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, 32, "%c%lldh %02lldm", sign,
		    (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, 32, "%c%lldd %lldh", sign, (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	return buf;
}

/* ---- Text
 * -------------------------------------------------------------------- */

static void
render_text(json_t *m, FILE *f)
{
	json_t *c = json_object_get(m, "counts"), *fl, *v, *cl, *mem, *o;
	const char *k;
	char t1[24], t2[24], d[32];
	size_t i, j;

	fprintf(f, "reprintd report, %s to %s (UTC)\n\n",
	    short_time(sget(m, "since"), t1), short_time(sget(m, "until"), t2));
	fprintf(f,
	    "ingested  %lld\nrejected  %lld\nexpired   %lld\n"
	    "clusters  %lld\nflagged  ",
	    (long long)iget(c, "ingested"), (long long)iget(c, "rejected"),
	    (long long)iget(c, "expired"), (long long)iget(c, "clusters"));
	fl = json_object_get(c, "flagged");
	json_object_foreach(fl, k, v)
	    fprintf(f, " %s %lld", k, (long long)json_integer_value(v));
	fprintf(f, "\n");

	fprintf(f, "\nSyndication clusters\n");
	if (json_array_size(json_object_get(m, "clusters")) == 0)
		fprintf(f, "  none\n");
	else if ((size_t)iget(c, "clusters") >
	         json_array_size(json_object_get(m, "clusters")))
		fprintf(f, "  the biggest %zu of %lld\n",
		    json_array_size(json_object_get(m, "clusters")),
		    (long long)iget(c, "clusters"));
	json_array_foreach(json_object_get(m, "clusters"), i, cl)
	{
		o = json_object_get(cl, "original");
		fprintf(f, "\n  %s  (%lld reprint%s)\n", sget(o, "path"),
		    (long long)iget(cl, "reprints"),
		    iget(cl, "reprints") == 1 ? "" : "s");
		if (json_is_string(json_object_get(o, "title")))
			fprintf(f, "  \"%s\"\n", sget(o, "title"));
		fprintf(f, "    %-16s  %-40s  %-14s  %-11s  %5s  %s\n",
		    "ARRIVED", "PATH", "RELATION", "HOW", "SIM", "DELAY");
		fprintf(f, "    %-16s  %-40s  %-14s  %-11s  %5s  %s\n",
		    short_time(sget(o, "first_seen"), t1), sget(o, "path"),
		    "original", "", "", "");
		json_array_foreach(json_object_get(cl, "members"), j, mem)
		{
			fprintf(f, "    %-16s  %-40s  %-14s  %-11s  %5.2f  %s",
			    short_time(sget(mem, "first_seen"), t1),
			    sget(mem, "path"), sget(mem, "relation"),
			    sget(mem, "how"), fget(mem, "similarity"),
			    delay_str(iget(mem, "delay_s"), d));
			/* Described by its pair with another member. */
			if (*sget(mem, "with") != '\0' &&
			    strcmp(sget(mem, "with"), sget(o, "path")) != 0)
				fprintf(f, "  (with %s)", sget(mem, "with"));
			fprintf(f, "\n");
		}
	}

	fprintf(f, "\nMost reprinted stories\n");
	if (json_array_size(json_object_get(m, "top_stories")) == 0)
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(m, "top_stories"), i, v)
	    fprintf(f, "  %2zu. %3lld  %s\n", i + 1,
	        (long long)iget(v, "reprints"), sget(v, "path"));

	fprintf(f, "\nWho reprints whom\n");
	if (json_array_size(json_object_get(m, "reprints_of")) == 0)
		fprintf(f, "  nobody\n");
	json_array_foreach(json_object_get(m, "reprints_of"), i, v)
	{
		fprintf(f, "  %-24s reprints %-24s %lld\n",
		    src_name(v, "reprinter"), src_name(v, "original_source"),
		    (long long)iget(v, "count"));
	}

	fprintf(f, "\nRejected files\n");
	if (json_array_size(json_object_get(m, "rejected")) == 0)
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(m, "rejected"), i, v)
	    fprintf(f, "  %s  %s: %s\n", short_time(sget(v, "at"), t1),
	        sget(v, "path"), sget(v, "reason"));
}

/* ---- HTML
 * -------------------------------------------------------------------- */

/* A table cell with n and a bar as long as n is of max. */
static void
html_bar_cell(FILE *f, long long n, long long max)
{
	fprintf(f,
	    "<td><span class=\"bar\" style=\"width:%.0fpx\"></span>%lld"
	    "</td>",
	    8 + 112.0 * (double)n / (double)(max ? max : 1), n);
}

static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
			break;
		}
}

static const char *
rel_color(const char *rel)
{
	if (strcmp(rel, "original") == 0)
		return "#1f2a44";
	if (strcmp(rel, "exact") == 0)
		return "#b42318";
	if (strcmp(rel, "near_duplicate") == 0)
		return "#d9730d";
	if (strcmp(rel, "excerpt") == 0)
		return "#2e7d5b";
	if (strcmp(rel, "partial") == 0)
		return "#7a5af8";
	return "#888";
}

static const char *
rel_label(const char *rel)
{
	return strcmp(rel, "near_duplicate") == 0 ? "near duplicate" : rel;
}

static const char css[] =
    ":root{--ink:#1f2a44;--muted:#667085;--line:#e4e7ec;--bg:#f6f4ef;"
    "--card:#fff;--accent:#2f5d8a}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:15px/1.5 Georgia,'Times New Roman',serif}"
    ".wrap{max-width:1080px;margin:0 auto;padding:32px 28px 48px}"
    "header{border-bottom:3px double var(--ink);padding-bottom:14px;"
    "margin-bottom:22px}"
    "h1{font-size:34px;margin:0;letter-spacing:.5px}"
    "h1 small{font-size:15px;color:var(--muted);font-weight:normal;"
    "letter-spacing:0;margin-left:10px}"
    ".period{font-family:system-ui,sans-serif;color:var(--muted);"
    "font-size:14px;margin-top:6px}"
    "h2{font-size:21px;margin:34px 0 12px;padding-bottom:4px;"
    "border-bottom:1px solid var(--line)}"
    ".sans,table,.card,.chips{font-family:system-ui,-apple-system,"
    "'Segoe UI',sans-serif}"
    ".cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px}"
    ".card{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:12px 16px}"
    ".card .n{font-size:30px;font-weight:650;line-height:1.2}"
    ".card .l{font-size:12px;text-transform:uppercase;letter-spacing:"
    ".06em;color:var(--muted)}"
    ".chips{margin-top:10px;font-size:13px;color:var(--muted)}"
    ".chip{display:inline-block;border-radius:999px;padding:1px 9px;"
    "margin-right:6px;color:#fff;font-size:12px}"
    ".panel{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:16px 18px;margin-bottom:16px}"
    ".story h3{margin:0 0 2px;font-size:19px}"
    ".story .meta{font-family:system-ui,sans-serif;font-size:13px;"
    "color:var(--muted);margin-bottom:8px}"
    "table{border-collapse:collapse;width:100%;font-size:13.5px}"
    "th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;"
    "text-transform:uppercase;letter-spacing:.05em;border-bottom:1px "
    "solid var(--line);padding:6px 8px}"
    "td{border-bottom:1px solid #f0f1f3;padding:5px 8px;"
    "vertical-align:top}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "td.path{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:12.5px;word-break:break-all}"
    ".bar{display:inline-block;height:9px;border-radius:3px;"
    "background:var(--accent);vertical-align:middle;margin-right:6px}"
    "svg text{font-family:system-ui,sans-serif}"
    ".empty{color:var(--muted);font-style:italic}"
    "footer{margin-top:36px;color:var(--muted);font-size:12px;"
    "font-family:system-ui,sans-serif;text-align:center}";

static void
html_card(FILE *f, json_int_t n, const char *label)
{
	fprintf(f,
	    "<div class=\"card\"><div class=\"n\">%lld</div>"
	    "<div class=\"l\">%s</div></div>",
	    (long long)n, label);
}

/* Daily volume: stacked bars, ingested (blue) and rejected (red). */
static void
html_daily(FILE *f, json_t *daily)
{
	const int W = 1000, H = 170, L = 40, B = 26, T = 14;
	size_t n = json_array_size(daily), i;
	json_int_t max = 1, a, b;
	double bw, x, h1, h2, scale;
	json_t *d;
	int step;

	json_array_foreach(daily, i,
	    d) if (iget(d, "ingested") + iget(d, "rejected") > max) max =
	    iget(d, "ingested") + iget(d, "rejected");
	if (n == 0)
		return;
	max += max % 2; /* so that the middle grid line is a whole number */
	bw = (double)(W - L - 10) / (double)n;
	scale = (double)(H - B - T) / (double)max;
	step = n > 30 ? 7 : n > 14 ? 2 : 1;
	fprintf(f,
	    "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
	    "aria-label=\"documents per day\">",
	    W, H);
	/* grid: 0, max/2, max */
	for (i = 0; i <= 2; i++) {
		double y = H - B - (double)i / 2 * (double)max * scale;

		fprintf(f,
		    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#e4e7ec\"/><text x=\"%d\" y=\"%.1f\" "
		    "font-size=\"11\" fill=\"#667085\" text-anchor=\"end\">"
		    "%lld</text>",
		    L, W - 10, y, y, L - 6, y + 4,
		    (long long)(max * (json_int_t)i / 2));
	}
	json_array_foreach(daily, i, d)
	{
		a = iget(d, "ingested");
		b = iget(d, "rejected");
		x = L + (double)i * bw;
		h1 = (double)a * scale;
		h2 = (double)b * scale;
		fprintf(f, "<g><title>%s: %lld ingested, %lld rejected</title>",
		    sget(d, "date"), (long long)a, (long long)b);
		if (a > 0)
			fprintf(f,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" rx=\"2\" fill=\"#2f5d8a\"/>",
			    x + bw * 0.15, H - B - h1, bw * 0.7, h1);
		if (b > 0)
			fprintf(f,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" rx=\"2\" fill=\"#d05a4e\"/>",
			    x + bw * 0.15, H - B - h1 - h2, bw * 0.7, h2);
		if (a > 0 && bw > 24)
			fprintf(f,
			    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
			    "text-anchor=\"middle\" fill=\"#1f2a44\">%lld"
			    "</text>",
			    x + bw / 2, H - B - h1 - h2 - 4, (long long)a);
		fprintf(f, "</g>");
		if ((n - 1 - i) % (size_t)step == 0)
			fprintf(f,
			    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			    "text-anchor=\"middle\" fill=\"#667085\">%.5s"
			    "</text>",
			    x + bw / 2, H - 8, sget(d, "date") + 5);
	}
	fprintf(f,
	    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
	    "stroke=\"#98a2b3\"/></svg>",
	    L, W - 10, H - B, H - B);
	fprintf(f,
	    "<div class=\"chips\"><span class=\"chip\" style=\"background:"
	    "#2f5d8a\">ingested</span><span class=\"chip\" style=\"background:"
	    "#d05a4e\">rejected</span></div>");
}

/* A cluster's arrivals on a time axis; the original is the big dot. */
static void
html_timeline(FILE *f, json_t *cl)
{
	const int W = 1000, L = 30, R = 150;
	json_t *o = json_object_get(cl, "original"),
	       *mem = json_object_get(cl, "members"), *x;
	int64_t t0 = iso_secs(sget(o, "first_seen")), t1 = t0, t;
	size_t n = json_array_size(mem), i, shown;
	double px, span;
	int lane, H, y;
	char tb[24], db[32];

	shown = n < HTML_MEMBERS_MAX ? n : HTML_MEMBERS_MAX;
	for (i = 0; i < shown; i++) {
		t = iso_secs(sget(json_array_get(mem, i), "first_seen"));
		if (t > t1)
			t1 = t;
	}
	/* A little room after the last arrival; at least a minute. */
	span = (double)(t1 - t0) * 1.08;
	if (span < 60)
		span = 60;
	H = 96;
	y = 50;
	fprintf(f,
	    "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
	    "aria-label=\"arrivals\">",
	    W, H);
	fprintf(f,
	    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
	    "stroke=\"#98a2b3\" stroke-width=\"2\"/>",
	    L, W - R, y, y);
	for (i = 1; i < 4; i++) {
		px = L + (double)i / 4 * (W - L - R);
		fprintf(f,
		    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
		    "y2=\"%d\" stroke=\"#98a2b3\"/><text x=\"%.1f\" y=\"%d\" "
		    "font-size=\"10\" fill=\"#98a2b3\" text-anchor=\"middle\">"
		    "%s</text>",
		    px, px, y - 3, y + 3, px, y + 16,
		    delay_str((json_int_t)(span * (double)i / 4), db));
	}
	/* axis ends */
	fprintf(f,
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#667085\">"
	    "%s</text>",
	    L, H - 4, short_time(sget(o, "first_seen"), tb));
	fprintf(f,
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#667085\" "
	    "text-anchor=\"end\">%s</text>",
	    W - R, H - 4, delay_str((json_int_t)span, db));
	for (i = 0; i < shown; i++) {
		x = json_array_get(mem, i);
		t = iso_secs(sget(x, "first_seen"));
		px = L + (double)(t - t0) / span * (W - L - R);
		/* Reprints stand on stems above the axis, in three lanes so
		 * that close arrivals do not hide each other. */
		lane = (int)(i % 3);
		fprintf(f, "<g><title>");
		esc(f, sget(x, "path"));
		fprintf(f,
		    " (%s, %s)</title><line x1=\"%.1f\" x2=\"%.1f\" "
		    "y1=\"%d\" y2=\"%d\" stroke=\"#d0d5dd\"/><circle "
		    "cx=\"%.1f\" "
		    "cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#fff\" "
		    "stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"%d\" "
		    "font-size=\"11\" fill=\"%s\">",
		    rel_label(sget(x, "relation")),
		    delay_str(iget(x, "delay_s"), db), px, px, y,
		    y - 12 - lane * 12, px, y - 12 - lane * 12,
		    rel_color(sget(x, "relation")), px + 8, y - 8 - lane * 12,
		    rel_color(sget(x, "relation")));
		esc(f, src_name(x, "source"));
		fprintf(f, "</text></g>");
	}
	fprintf(f, "<g><title>original: ");
	esc(f, sget(o, "path"));
	fprintf(f,
	    "</title><circle cx=\"%d\" cy=\"%d\" r=\"9\" fill=\"#1f2a44\" "
	    "stroke=\"#fff\" stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" "
	    "font-size=\"11\" font-weight=\"600\" fill=\"#1f2a44\">",
	    L, y, L, y + 24);
	esc(f, src_name(o, "source"));
	fprintf(f, "</text></g></svg>");
}

static void
html_cluster(FILE *f, json_t *cl)
{
	json_t *o = json_object_get(cl, "original"), *mem, *x;
	const char *title = sget(o, "title");
	char tb[24], db[32];
	size_t i;

	fprintf(f, "<div class=\"panel story\"><h3>");
	esc(f, *title != '\0' ? title : sget(o, "path"));
	fprintf(f, "</h3><div class=\"meta\">original <b>");
	esc(f, sget(o, "path"));
	fprintf(f, "</b> &middot; %s UTC &middot; %lld reprint%s</div>",
	    short_time(sget(o, "first_seen"), tb),
	    (long long)iget(cl, "reprints"),
	    iget(cl, "reprints") == 1 ? "" : "s");
	html_timeline(f, cl);
	fprintf(f, "<table><tr><th>arrived (UTC)</th><th>after</th>"
	           "<th>path</th><th>source</th><th>relation</th>"
	           "<th style=\"text-align:right\">similarity</th></tr>");
	fprintf(f, "<tr><td>%s</td><td></td><td class=\"path\">",
	    short_time(sget(o, "first_seen"), tb));
	esc(f, sget(o, "path"));
	fprintf(f, "</td><td>");
	esc(f, src_name(o, "source"));
	fprintf(f,
	    "</td><td><span class=\"chip\" style=\"background:%s\">"
	    "original</span></td><td></td></tr>",
	    rel_color("original"));
	mem = json_object_get(cl, "members");
	json_array_foreach(mem, i, x)
	{
		if (i >= HTML_MEMBERS_MAX) {
			fprintf(f,
			    "<tr><td colspan=\"6\" class=\"empty\">and "
			    "%zu more</td></tr>",
			    json_array_size(mem) - i);
			break;
		}
		fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"path\">",
		    short_time(sget(x, "first_seen"), tb),
		    delay_str(iget(x, "delay_s"), db));
		esc(f, sget(x, "path"));
		fprintf(f, "</td><td>");
		esc(f, src_name(x, "source"));
		fprintf(f,
		    "</td><td><span class=\"chip\" style=\"background:"
		    "%s\">%s%s%s</span></td><td class=\"num\">%.0f%%</td>"
		    "</tr>",
		    rel_color(sget(x, "relation")),
		    rel_label(sget(x, "relation")),
		    strcmp(sget(x, "how"), sget(x, "relation")) ? ": " : "",
		    strcmp(sget(x, "how"), sget(x, "relation")) ? sget(x, "how")
		                                                : "",
		    fget(x, "similarity") * 100);
	}
	fprintf(f, "</table></div>");
}

static void
render_html(json_t *m, FILE *f)
{
	json_t *c = json_object_get(m, "counts"), *fl, *v, *arr;
	json_int_t flagged = 0, max;
	const char *k;
	char t1[24], t2[24];
	size_t i;

	fl = json_object_get(c, "flagged");
	json_object_foreach(fl, k, v) flagged += json_integer_value(v);
	fprintf(f,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width,initial-scale=1\">"
	    "<title>reprintd report %.10s</title><style>%s</style></head>"
	    "<body><div class=\"wrap\"><header><h1>Reprint report"
	    "<small>reprintd %s</small></h1><div class=\"period\">%s "
	    "&ndash; %s UTC &middot; generated %s UTC</div></header>",
	    sget(m, "until"), css, sget(m, "version"),
	    short_time(sget(m, "since"), t1), short_time(sget(m, "until"), t2),
	    short_time(sget(m, "generated"), t2));
	fprintf(f, "<div class=\"cards\">");
	html_card(f, iget(c, "ingested"), "articles ingested");
	html_card(f, iget(c, "clusters"), "syndicated stories");
	html_card(f, flagged, "pairs flagged");
	html_card(f, iget(c, "rejected"), "files rejected");
	html_card(f, iget(c, "expired"), "expired");
	fprintf(f, "</div><div class=\"chips\">flagged by relation: ");
	json_object_foreach(fl, k, v) fprintf(f,
	    "<span class=\"chip\" style=\"background:%s\">%s "
	    "%lld</span>",
	    rel_color(k), rel_label(k), (long long)json_integer_value(v));
	fprintf(f, "</div>");

	fprintf(f, "<h2>Daily volume</h2><div class=\"panel\">");
	html_daily(f, json_object_get(m, "daily"));
	fprintf(f, "</div>");

	arr = json_object_get(m, "top_stories");
	fprintf(f, "<h2>Most reprinted stories</h2><div class=\"panel\">");
	if (json_array_size(arr) == 0)
		fprintf(f, "<p class=\"empty sans\">No story was reprinted in "
		           "this period.</p>");
	else {
		max = iget(json_array_get(arr, 0), "reprints");
		fprintf(f, "<table><tr><th>#</th><th>story</th><th>original"
		           "</th><th>reprints</th></tr>");
		json_array_foreach(arr, i, v)
		{
			fprintf(f, "<tr><td class=\"num\">%zu</td><td>", i + 1);
			esc(f, *sget(v, "title") ? sget(v, "title")
			                         : "(untitled)");
			fprintf(f, "</td><td class=\"path\">");
			esc(f, sget(v, "path"));
			fprintf(f, "</td>");
			html_bar_cell(f, iget(v, "reprints"), max);
			fprintf(f, "</tr>");
		}
		fprintf(f, "</table>");
	}
	fprintf(f, "</div>");

	arr = json_object_get(m, "clusters");
	fprintf(f, "<h2>Syndication clusters</h2>");
	if (json_array_size(arr) == 0)
		fprintf(f, "<div class=\"panel\"><p class=\"empty sans\">No "
		           "clusters in this period.</p></div>");
	json_array_foreach(arr, i, v)
	{
		if (i >= HTML_CLUSTERS_MAX) {
			fprintf(f,
			    "<p class=\"empty sans\">and %lld more "
			    "clusters (the JSON report lists the biggest "
			    "%zu)</p>",
			    (long long)iget(
			        json_object_get(m, "counts"), "clusters") -
			        (long long)i,
			    json_array_size(arr));
			break;
		}
		html_cluster(f, v);
	}

	arr = json_object_get(m, "reprints_of");
	fprintf(f, "<h2>Who reprints whom</h2><div class=\"panel\">");
	if (json_array_size(arr) == 0)
		fprintf(f, "<p class=\"empty sans\">Nobody reprinted anyone."
		           "</p>");
	else {
		max = iget(json_array_get(arr, 0), "count");
		fprintf(f, "<table><tr><th>source</th><th>reprints from</th>"
		           "<th>articles</th></tr>");
		json_array_foreach(arr, i, v)
		{
			fprintf(f, "<tr><td><b>");
			esc(f, src_name(v, "reprinter"));
			fprintf(f, "</b></td><td>");
			esc(f, src_name(v, "original_source"));
			fprintf(f, "</td>");
			html_bar_cell(f, iget(v, "count"), max);
			fprintf(f, "</tr>");
		}
		fprintf(f, "</table>");
	}
	fprintf(f, "</div>");

	arr = json_object_get(m, "rejected");
	fprintf(f, "<h2>Rejected files</h2><div class=\"panel\">");
	if (json_array_size(arr) == 0)
		fprintf(f, "<p class=\"empty sans\">No file was rejected.</p>");
	else {
		fprintf(f, "<table><tr><th>when (UTC)</th><th>path</th>"
		           "<th>reason</th></tr>");
		json_array_foreach(arr, i, v)
		{
			fprintf(f, "<tr><td>%s</td><td class=\"path\">",
			    short_time(sget(v, "at"), t1));
			esc(f, sget(v, "path"));
			fprintf(f, "</td><td>");
			esc(f, sget(v, "reason"));
			fprintf(f, "</td></tr>");
		}
		fprintf(f, "</table>");
	}
	fprintf(f,
	    "</div><footer>reprintd keeps articles for %lld days. "
	    "Similarity is the share of the shorter article found in the "
	    "other.</footer></div></body></html>\n",
	    (long long)iget(m, "retention_days"));
}

/* Every string of v made text_visible(), for the text form. */
static void
scrub(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			if (!json_is_string(x))
				scrub(x);
			else if ((s = strdup(json_string_value(x))) != NULL) {
				text_visible(s, strlen(s));
				json_object_set_new(v, k, json_string(s));
				free(s);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			if (!json_is_string(x))
				scrub(x);
			else if ((s = strdup(json_string_value(x))) != NULL) {
				text_visible(s, strlen(s));
				json_array_set_new(v, i, json_string(s));
				free(s);
			}
		}
	}
}

int
report_render(json_t *m, enum report_format fmt, char **out, size_t *len)
{
	FILE *f;
	char *s;

	*out = NULL;
	*len = 0;
	if (fmt == REPORT_JSON) {
		s = json_dumps(m, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
		if (s == NULL)
			return -ENOMEM;
		*len = strlen(s);
		*out = s;
		return 0;
	}
	if ((f = open_memstream(out, len)) == NULL)
		return -ENOMEM;
	if (fmt == REPORT_HTML)
		render_html(m, f);
	else if ((m = json_deep_copy(m)) != NULL) {
		scrub(m); /* names and titles are anybody's bytes */
		render_text(m, f);
		json_decref(m);
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- Files
 * --------------------------------------------------------------------- */

static int
write_file(const char *path, const char *buf, size_t len)
{
	char tmp[PATH_MAX];
	ssize_t w;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	/* The group's to read, whatever the umask (the service's is 0077,
	 * for the store). */
	if (fchmod(fd, 0640) < 0)
		rc = -errno;
	while (rc == 0 && len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		buf += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
report_write(json_t *m, const char *dir, char *path, size_t plen)
{
	static const enum report_format fmts[] = {
	    REPORT_JSON, REPORT_TEXT, REPORT_HTML};
	char p[PATH_MAX], day[11];
	char *buf;
	size_t len, i;
	struct stat st;
	int rc;

	if (mkdir(dir, 0750) == 0)
		(void)chmod(dir, 0750); /* the group's, whatever the umask */
	else if (errno != EEXIST)
		return -errno;
	else if (stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700)
		(void)chmod(dir, 0750); /* made so by an older version */
	snprintf(day, sizeof(day), "%.10s", sget(m, "until"));
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s/report-%s.%s", dir, day,
		        report_format_ext(fmts[i])) >= sizeof(p))
			return -ENAMETOOLONG;
		if ((rc = report_render(m, fmts[i], &buf, &len)) < 0)
			return rc;
		rc = write_file(p, buf, len);
		free(buf);
		if (rc < 0)
			return rc;
	}
	snprintf(path, plen, "%s", p);
	return 0;
}
