/* api.c - HTTP handlers; see api.h and docs/API.md. */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "api.h"
#include "cleanup.h"
#include "clock.h"
#include "cluster.h"
#include "daemon.h"
#include "detect.h"
#include "ingest.h"
#include "extract.h"
#include "jsonv.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "pending.h"
#include "report.h"
#include "store.h"
#include "text.h"

#define CLUSTER_MAX 10000        /* members reported */
#define CLUSTER_EDGES_MAX 200000 /* edges kept for choosing the original */

/* A GET /v1/pairs reply is written in slices of about this many bytes,
 * each made when the last one has left the connection's buffer, with at
 * most this many documents and pairs looked at per slice. */
#define STREAM_SLICE_BYTES 65536
#define STREAM_SLICE_WORK 4096

/* Warnings about refused or expired connections: one per this long. */
#define CONN_WARN_EVERY_US (60 * INT64_C(1000000))

struct pairs_stream;

/*
 * One client connection, from accept to close. Its request deadline
 * (http_request_timeout) runs from the first byte of a request until the
 * request is whole; http_timeout, evhttp's, only bounds idleness.
 */
struct conn {
	struct api *a;
	struct evhttp_connection *evcon;
	struct event *deadline;
	struct evbuffer_cb_entry *incb; /* on the input: bytes arrived */
	struct pairs_stream *stream;    /* a reply being streamed */
	int busy; /* from the whole request to the reply's end */
	struct conn *prev, *next;
};

/* Warnings of one kind, at most one per CONN_WARN_EVERY_US. */
struct warn_rate {
	int64_t last_us; /* 0: never */
	uint64_t missed; /* events since the last warning */
};

struct api {
	struct reprintd *r;
	struct evhttp *http;
	struct evconnlistener *lst;
	struct cleanup *cleanup; /* retention runs (POST /v1/cleanup) */
	/* Open connections (reprintd_clients), at most max_connections. */
	struct conn *conns;
	size_t nconn;
	/* Accepted, not yet counted: evhttp makes the connection after our
	 * bufferevent (conn_bev), so they are looked at right after the
	 * accept, in fresh_ev. Each holds a reference on its bufferevent. */
	struct bufferevent **fresh;
	size_t nfresh, freshcap;
	struct event *fresh_ev;
	struct warn_rate refused, expired;
};

/* ---- JSON helpers ------------------------------------------------------- */

/*
 * A document's metadata into o: <prefix>title, <prefix>source,
 * <prefix>url (null when unknown), <prefix>published (store_doc_time()),
 * <prefix>published_from ("metadata", "mtime" or "arrival") and
 * <prefix>id.
 */
static void
jmeta(json_t *o, const char *prefix, const struct store_doc *d)
{
	static const char *const names[] = {
	    "title", "source", "url", "published", "published_from", "id"};
	json_t *v[6];
	char key[48];
	size_t i;

	if (o == NULL)
		return;
	v[0] = jv_path(d->title);
	v[1] = jv_path(d->source);
	v[2] = jv_path(d->url);
	v[3] = jv_time(store_doc_time(d));
	v[4] = json_string(store_doc_time_from(d));
	/* The document's id: its name may change (a feed's items are
	 * named by position), its id does not. A query's text has none. */
	v[5] = d->id != 0 && d->id != UINT64_MAX
	           ? json_integer((json_int_t)d->id)
	           : json_null();
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, names[i]);
		json_object_set_new(o, key, v[i] != NULL ? v[i] : json_null());
	}
}

static void
reply(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	const char *reason;
	char *s;

	s = body != NULL
	        ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10))
	        : NULL;
	if (s == NULL) {
		code = 500;
		s = strdup("{\"error\":\"out of memory\"}");
	}
	json_decref(body);
	switch (code) {
	case 200:
		reason = "OK";
		break;
	case 202:
		reason = "Accepted";
		break;
	case 400:
		reason = "Bad Request";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		break;
	case 413:
		reason = "Payload Too Large";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "Internal Server Error";
		break;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (s != NULL) {
		evbuffer_add(out, s, strlen(s));
		evbuffer_add(out, "\n", 1);
	}
	free(s);
	evhttp_send_reply(req, code, reason, NULL);
}

static void reply_error(struct evhttp_request *req, int code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply(req, code, json_pack("{s:o}", "error", jv_str(msg, strlen(msg))));
}

/* Store errors at the HTTP edge: corrupt/absent store is 503, memory 500. */
static void
reply_store_error(struct evhttp_request *req, int rc)
{
	reply_error(
	    req, rc == -ENOMEM ? 500 : 503, "store: %s", store_strerror(rc));
}

/*
 * The cleaned path of query parameter `key`, malloc'd into *out; on
 * failure the 400 is sent and -1 returned.
 */
static int
req_path(
    struct evhttp_request *req, const char *query, const char *key, char **out)
{
	char *v = NULL, *clean;
	int rc;

	*out = NULL;
	rc = text_query_get(query, key, &v);
	if (rc == -ENOENT) {
		reply_error(req, 400, "missing parameter \"%s\"", key);
		return -1;
	}
	if (rc < 0) {
		reply_error(req, 400, "malformed parameter \"%s\"", key);
		return -1;
	}
	if ((clean = malloc(strlen(v) + 1)) == NULL ||
	    text_reqpath_clean(v, strlen(v), clean) < 0) {
		reply_error(req, 400,
		    "%s: \"%s\" must be a path relative to "
		    "the watched directory",
		    key, v);
		free(clean);
		free(v);
		return -1;
	}
	free(v);
	*out = clean;
	return 0;
}

/* ---- /v1/status --------------------------------------------------------- */

static void
h_status(struct api *a, struct evhttp_request *req, struct store_txn *txn)
{
	struct reprintd *r = a->r;
	struct store_stats ss;
	json_t *o;
	int rc;

	memset(&ss, 0, sizeof(ss));
	rc = store_stats(txn, &ss);
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:s, s:o, s:I}",
	    "version", REPRINTD_VERSION, "documents", (json_int_t)ss.documents,
	    "pending", (json_int_t)pending_count(r->q), "rejected",
	    (json_int_t)ss.rejected, "pairs", (json_int_t)ss.pairs, "watch",
	    jv_path(r->watch_real), "state", jv_path(r->state_real), "ingest",
	    r->paused ? "paused" : "running", "error",
	    rc < 0                ? json_string(store_strerror(rc))
	    : r->error[0] != '\0' ? jv_path(r->error)
	                          : json_null(),
	    "uptime_s", (json_int_t)((now_us() - r->started_us) / 1000000));
	if (o != NULL) {
		json_object_set_new(
		    o, "map_size", json_integer((json_int_t)ss.map_size));
		json_object_set_new(
		    o, "map_used", json_integer((json_int_t)ss.map_used));
		json_object_set_new(o, "index",
		    json_string(
		        store_index_merge_wanted(r->st) ? "merging" : "idle"));
	}
	reply(req, 200, o);
}

/* ---- /v1/pairs ---------------------------------------------------------- */

/* The word for how the pair's documents differ (match_how_name()). */
static const char *
how_of(const struct store_pair *p)
{
	return match_how_name((enum match_relation)p->relation,
	    (enum match_how)p->how, p->cont_ab, p->cont_ba);
}

/* Add the pair's "how" to o (NULL: nothing). */
static void
jhow(json_t *o, const struct store_pair *p)
{
	if (o != NULL)
		json_object_set_new(o, "how", json_string(how_of(p)));
}

static json_t *
pair_json(struct store_txn *txn, const struct store_pair *p, int *err)
{
	struct store_doc da, db;
	json_t *o;
	const char *orig = NULL;
	double c;
	int rc;

	if ((rc = store_doc_get(txn, p->a, &da)) < 0 ||
	    (rc = store_doc_get(txn, p->b, &db)) < 0) {
		/* A pair whose document is gone is a store bug; skip it
		 * rather than fail the whole list. */
		if (rc != STORE_ENOTFOUND)
			*err = rc;
		return NULL;
	}
	if (p->original == p->a)
		orig = da.path;
	else if (p->original == p->b)
		orig = db.path;
	c = p->cont_ab > p->cont_ba ? p->cont_ab : p->cont_ba;
	o = json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "a",
	    jv_path(da.path), "b", jv_path(db.path), "relation",
	    match_relation_name((enum match_relation)p->relation), "original",
	    jv_path(orig), "jaccard", jv_score(p->jaccard), "containment",
	    jv_score(c), "cont_ab", jv_score(p->cont_ab), "cont_ba",
	    jv_score(p->cont_ba));
	jhow(o, p);
	jmeta(o, "a_", &da);
	jmeta(o, "b_", &db);
	return o;
}

/*
 * The `since` parameter of query, if given, into *since (left as it is
 * otherwise): 0, or -1 with a 400 sent.
 */
static int
query_since(
    struct evhttp_request *req, const char *query, int64_t now, int64_t *since)
{
	char *v = NULL;
	int rc = text_query_get(query, "since", &v);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		reply_error(req, 400, "malformed parameter \"since\"");
		return -1;
	}
	if (report_parse_since(v, now, since) < 0) {
		reply_error(req, 400,
		    "since: \"%s\" is not a date (YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS] with Z or an offset such as "
		    "+01:00 (%%2B01:00 in a URL), "
		    "unix seconds or an age such as 24h or 7d)",
		    v);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

/*
 * GET /v1/pairs is streamed: every pair is one row, and a store can hold
 * millions, so the reply is never built whole. The rows go out in slices
 * (STREAM_SLICE_BYTES, STREAM_SLICE_WORK), the next one made when the
 * last has left the connection's output buffer, each read in a fresh read
 * transaction (a slow client must not hold one: the map grows only when
 * none is open). The pairs come in (a, b) order, as store_pair_each
 * gives them: documents by id, each one's pairs with a larger other end.
 * Those of document at_a after after_b are copied STREAM_PEND at a time
 * (a document can have tens of thousands of pairs, and its walk cannot
 * start in the middle). A pair stored or deleted meanwhile may or may not
 * be listed; none is listed twice.
 */
#define STREAM_PEND 2048

struct pairs_stream {
	struct conn *c;
	struct evhttp_request *req;
	struct event *ev;        /* a slice that made no bytes; an error */
	int relation;            /* -1: all */
	int64_t since;           /* found at or after (unix microseconds) */
	uint64_t at_a;           /* the document whose pairs are being listed */
	uint64_t after_b;        /* its pairs up to this other end are copied */
	struct store_pair *pend; /* copied, STREAM_PEND at most */
	size_t npend, ipend;     /* copied, sent */
	int more;                /* at_a has pairs after pend's */
	size_t rows;             /* sent */
	int failed;              /* the store failed: cut the reply short */
	/* During a slice: */
	struct store_txn *txn;
	struct evbuffer *out;
	size_t work;
	int err;
};

static void stream_drained(struct evhttp_connection *evcon, void *arg);

/* A pair of at_a: copied if it is a's, after after_b and asked for; 1
 * when pend is full. */
static int
stream_pair_cb(const struct store_pair *p, void *arg)
{
	struct pairs_stream *s = arg;

	s->work++;
	if (p->a != s->at_a || p->b <= s->after_b)
		return 0;
	if ((s->relation >= 0 && p->relation != (uint32_t)s->relation) ||
	    p->found_at < s->since)
		return 0;
	s->pend[s->npend++] = *p;
	s->after_b = p->b;
	if (s->npend < STREAM_PEND)
		return 0;
	s->more = 1;
	return 1;
}

/* The next document with pairs to list: 1 once found (or after
 * STREAM_SLICE_WORK documents without: at_a is then the last seen). */
static int
stream_doc_cb(const struct store_doc *d, void *arg)
{
	struct pairs_stream *s = arg;
	int rc;

	s->at_a = d->id;
	s->after_b = 0;
	s->work++;
	if ((rc = store_pairs_of(s->txn, d->id, stream_pair_cb, s)) < 0)
		return rc;
	return s->npend > 0 || s->work >= STREAM_SLICE_WORK;
}

/* One step: a row, or the next pairs copied. 1 at the end of the list,
 * 0 to go on, or a store error. */
static int
stream_step(struct pairs_stream *s)
{
	const struct store_pair *p;
	json_t *o;
	char *row;
	int rc;

	if (s->ipend < s->npend) {
		p = &s->pend[s->ipend++];
		s->work++;
		if ((o = pair_json(s->txn, p, &s->err)) == NULL)
			return s->err;
		row = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
		json_decref(o);
		if (row == NULL)
			return -ENOMEM;
		rc = evbuffer_add_printf(
		    s->out, "%s%s", s->rows > 0 ? "," : "", row);
		free(row);
		if (rc < 0)
			return -ENOMEM;
		s->rows++;
		return 0;
	}
	s->ipend = s->npend = 0;
	if (s->more) {
		s->more = 0;
		rc = store_pairs_of(s->txn, s->at_a, stream_pair_cb, s);
		return rc < 0 ? rc : 0;
	}
	if (s->at_a == UINT64_MAX)
		return 1;
	rc = store_doc_each(s->txn, s->at_a + 1, stream_doc_cb, s);
	if (rc < 0)
		return rc;
	return rc == 0; /* no document left */
}

/* The next slice into s->out: 1 if it ends the list, 0 if more is to
 * come, or a store error. */
static int
stream_fill(struct api *a, struct pairs_stream *s)
{
	int rc;

	if ((rc = store_txn_begin(a->r->st, 0, &s->txn)) < 0)
		return rc;
	s->work = 0;
	s->err = 0;
	do
		rc = stream_step(s);
	while (rc == 0 && evbuffer_get_length(s->out) < STREAM_SLICE_BYTES &&
	       s->work < STREAM_SLICE_WORK);
	store_txn_abort(s->txn);
	s->txn = NULL;
	return rc;
}

static void
stream_free(struct pairs_stream *s)
{
	if (s->c != NULL)
		s->c->stream = NULL;
	event_free(s->ev);
	evbuffer_free(s->out);
	free(s->pend);
	free(s);
}

/* The connection closed under the stream (conn_closed). A request evhttp
 * let go (the client went away) is ours to free; one still on the
 * connection, evhttp frees with it. */
static void
stream_gone(struct pairs_stream *s)
{
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_request_free(s->req);
	stream_free(s);
}

/* Make and send the next slice; end the reply after the last. */
static void
stream_next(struct pairs_stream *s)
{
	struct api *a = s->c->a;
	struct evhttp_request *req = s->req;
	int rc, sent;

	rc = stream_fill(a, s);
	if (rc < 0) {
		/* The status line is gone: a reply cut short (no last
		 * chunk) is how the client learns of it. Closed from the
		 * loop, not from inside evhttp's callback. */
		log_warnx("GET /v1/pairs: store: %s; reply cut short after "
		          "%zu pairs",
		    store_strerror(rc), s->rows);
		s->failed = 1;
		event_active(s->ev, EV_TIMEOUT, 0);
		return;
	}
	if (rc == 1)
		evbuffer_add(s->out, "]}\n", 3);
	sent = evbuffer_get_length(s->out) > 0;
	if (sent)
		evhttp_send_reply_chunk_with_cb(req, s->out, stream_drained, s);
	if (rc == 1) {
		/* Ending the reply may close the connection at once. */
		stream_free(s);
		evhttp_send_reply_end(req);
	} else if (!sent) {
		/* Nothing sent (all filtered out), so no callback comes:
		 * go on in the next round of the loop. */
		event_active(s->ev, EV_TIMEOUT, 0);
	}
}

/* The last slice has left the output buffer. */
static void
stream_drained(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	stream_next(arg);
}

static void
stream_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pairs_stream *s = arg;

	(void)fd;
	(void)what;
	if (s->failed)
		evhttp_connection_free(s->c->evcon); /* frees s */
	else
		stream_next(s);
}

static struct conn *conn_of(struct api *a, struct evhttp_request *req);

static void
h_pairs(struct api *a, struct evhttp_request *req, const char *query)
{
	struct pairs_stream *s;
	struct conn *c = conn_of(a, req);
	char *rel = NULL;
	int relation = -1, rc;
	int64_t since = 0;

	if (query_since(req, query, now_us(), &since) < 0)
		return;

	rc = text_query_get(query, "relation", &rel);
	if (rc == 0 && *rel != '\0') {
		relation = match_relation_parse(rel);
		if (relation <= 0) {
			reply_error(req, 400,
			    "unknown relation \"%s\" (exact, "
			    "near_duplicate, excerpt, partial)",
			    rel);
			free(rel);
			return;
		}
	} else if (rc < 0 && rc != -ENOENT) {
		reply_error(req, 400, "malformed parameter \"relation\"");
		return;
	}
	free(rel);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	/* The connection's close callback frees the stream: without one
	 * (conn_accepted ran out of memory) it cannot be streamed. */
	if (c == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
		reply_error(req, 500, "out of memory");
		return;
	}
	s->c = c;
	s->req = req;
	s->relation = relation;
	s->since = since;
	s->ev = event_new(a->r->base, -1, 0, stream_ev_cb, s);
	s->out = evbuffer_new();
	s->pend = malloc(STREAM_PEND * sizeof(*s->pend));
	if (s->ev == NULL || s->out == NULL || s->pend == NULL ||
	    evbuffer_add(s->out, "{\"pairs\":[", 10) < 0) {
		if (s->ev != NULL)
			event_free(s->ev);
		if (s->out != NULL)
			evbuffer_free(s->out);
		free(s->pend);
		free(s);
		reply_error(req, 500, "out of memory");
		return;
	}
	c->stream = s;
	/* The rows follow when this much has been written (the callback
	 * comes from evhttp's write callback, never from in here). */
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_send_reply_chunk_with_cb(req, s->out, stream_drained, s);
}

/* ---- /v1/matches and /v1/query --------------------------------------------
 */

struct match_row {
	double key;
	json_t *o;
};

struct matches_ctx {
	struct store_txn *txn;
	uint64_t self;
	struct match_row *rows;
	size_t n, cap;
	int err;
};

static int
rows_push(struct matches_ctx *c, double key, json_t *o)
{
	struct match_row *nr;
	size_t cap;

	if (o == NULL)
		return -ENOMEM;
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 16;
		if ((nr = realloc(c->rows, cap * sizeof(*nr))) == NULL) {
			json_decref(o);
			return -ENOMEM;
		}
		c->rows = nr;
		c->cap = cap;
	}
	c->rows[c->n].key = key;
	c->rows[c->n].o = o;
	c->n++;
	return 0;
}

static int
row_cmp(const void *pa, const void *pb)
{
	const struct match_row *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a->o, "path")),
	    json_string_value(json_object_get(b->o, "path")));
}

/* Sort best first and hand the rows over to a JSON array. */
static json_t *
rows_array(struct matches_ctx *c)
{
	json_t *arr = json_array();
	size_t i;

	if (c->n > 1)
		qsort(c->rows, c->n, sizeof(*c->rows), row_cmp);
	for (i = 0; i < c->n; i++)
		json_array_append_new(arr, c->rows[i].o);
	free(c->rows);
	c->rows = NULL;
	c->n = c->cap = 0;
	return arr;
}

static void
rows_free(struct matches_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		json_decref(c->rows[i].o);
	free(c->rows);
}

/* The row of pair p of c->self, pushed to c->rows: 0, or 1 with c->err
 * set. */
static int
matches_row(struct matches_ctx *c, const struct store_pair *p)
{
	struct store_doc od;
	uint64_t other = p->a == c->self ? p->b : p->a;
	double mine, theirs, cmax;
	const char *orig = NULL;
	json_t *o;
	int rc;

	if ((rc = store_doc_get(c->txn, other, &od)) < 0) {
		if (rc == STORE_ENOTFOUND)
			return 0;
		c->err = rc;
		return 1;
	}
	/* cont_ab of a match is the share of the asked-about document
	 * found in the match, whichever end of the pair it is. */
	mine = p->a == c->self ? p->cont_ab : p->cont_ba;
	theirs = p->a == c->self ? p->cont_ba : p->cont_ab;
	cmax = mine > theirs ? mine : theirs;
	if (p->original == other)
		orig = od.path;
	else if (p->original == c->self)
		orig = NULL; /* filled in by the caller: it knows its path */
	o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "path",
	    jv_path(od.path), "relation",
	    match_relation_name((enum match_relation)p->relation), "original",
	    p->original == c->self ? json_true() : jv_path(orig), "jaccard",
	    jv_score(p->jaccard), "containment", jv_score(cmax), "cont_ab",
	    jv_score(mine), "cont_ba", jv_score(theirs));
	jhow(o, p);
	jmeta(o, "", &od);
	rc = rows_push(c, cmax, o);
	if (rc < 0) {
		c->err = rc;
		return 1;
	}
	return 0;
}

/* The matches of a document listed by default, and at most (`limit`): a
 * story's first copies are paired with every later copy. */
#define MATCHES_LIMIT 1000
#define MATCHES_LIMIT_MAX 100000

/*
 * The best `limit` pairs of one document, by their larger containment (a
 * min-heap: what a story in a million places costs is its pairs read,
 * not a row each), and how many there were.
 */
struct best_pairs {
	uint64_t self;
	struct store_pair *heap;
	size_t n, limit;
	uint64_t total;
};

static double
pair_key(const struct store_pair *p)
{
	return p->cont_ab > p->cont_ba ? p->cont_ab : p->cont_ba;
}

static void
heap_down(struct store_pair *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && pair_key(&h[l]) < pair_key(&h[m]))
			m = l;
		if (l + 1 < n && pair_key(&h[l + 1]) < pair_key(&h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct store_pair t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int
best_pairs_cb(const struct store_pair *p, void *arg)
{
	struct best_pairs *b = arg;
	size_t i;

	b->total++;
	if (b->n < b->limit) {
		/* Up: the new one where it belongs among its parents. */
		for (i = b->n++;
		     i > 0 && pair_key(p) < pair_key(&b->heap[(i - 1) / 2]);
		     i = (i - 1) / 2)
			b->heap[i] = b->heap[(i - 1) / 2];
		b->heap[i] = *p;
	} else if (b->limit > 0 && pair_key(p) > pair_key(&b->heap[0])) {
		b->heap[0] = *p;
		heap_down(b->heap, b->n, 0);
	}
	return 0;
}

/* The first document named "FILE#...": an item of FILE (copied into
 * arg, a PATH_MAX + 32 buffer). */
static int
first_item_cb(const struct store_doc *d, void *arg)
{
	snprintf(arg, PATH_MAX + 32, "%s", d->path);
	return 1;
}

/*
 * 404 for a path that names no stored document, saying why when the
 * store knows: a file rejected (its reason), a file of several items
 * (their names: an item is asked for as FILE%23N).
 */
static void
reply_not_stored(
    struct evhttp_request *req, struct store_txn *txn, const char *path)
{
	struct store_reject rj;
	char prefix[PATH_MAX + 2], item[PATH_MAX + 32] = "";

	if (store_reject_get(txn, path, &rj) == 0) {
		reply_error(req, 404, "not stored: %s was rejected: %s", path,
		    rj.reason);
		return;
	}
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s#", path) <
	        sizeof(prefix) &&
	    store_doc_each_prefix(txn, prefix, first_item_cb, item) >= 0 &&
	    item[0] != '\0') {
		reply_error(req, 404,
		    "not stored: %s holds several items, stored as %s#N "
		    "(%s, ...; in a URL, # is %%23)",
		    path, path, item);
		return;
	}
	reply_error(req, 404, "not stored: %s", path);
}

static void
h_matches(struct api *a, struct evhttp_request *req, const char *query,
    struct store_txn *txn)
{
	struct matches_ctx c = {0};
	struct best_pairs best = {0};
	struct store_doc self;
	json_t *arr, *m, *o;
	char *path, *lim = NULL, *end;
	unsigned long l;
	size_t i;
	int rc;

	if (req_path(req, query, "path", &path) < 0)
		return;
	best.limit = MATCHES_LIMIT;
	if ((rc = text_query_get(query, "limit", &lim)) == -EINVAL) {
		reply_error(req, 400, "limit: a malformed escape");
		goto out;
	}
	if (rc == 0) {
		errno = 0;
		l = strtoul(lim, &end, 10);
		if (*lim < '0' || *lim > '9' || *end != '\0' || errno != 0 ||
		    l < 1 || l > MATCHES_LIMIT_MAX) {
			reply_error(req, 400,
			    "limit is a number from 1 to %d, not \"%.64s\"",
			    MATCHES_LIMIT_MAX, lim);
			goto out;
		}
		best.limit = l;
	}
	c.txn = txn;
	rc = store_doc_by_path(txn, path, &c.self);
	if (rc == STORE_ENOTFOUND) {
		reply_not_stored(req, txn, path);
		goto out;
	}
	if (rc < 0) {
		reply_store_error(req, rc);
		goto out;
	}
	best.self = c.self;
	if ((best.heap = malloc(best.limit * sizeof(*best.heap))) == NULL) {
		reply_store_error(req, -ENOMEM);
		goto out;
	}
	rc = store_pairs_of(txn, c.self, best_pairs_cb, &best);
	for (i = 0; rc >= 0 && i < best.n && c.err == 0; i++)
		matches_row(&c, &best.heap[i]);
	if (rc < 0 || c.err != 0) {
		rows_free(&c);
		reply_store_error(req, rc < 0 ? rc : c.err);
		goto out;
	}
	arr = rows_array(&c);
	/* "original": true marked the asked-about document itself. */
	json_array_foreach(
	    arr, i, m) if (json_is_true(json_object_get(m, "original")))
	    json_object_set_new(m, "original", jv_path(path));
	o = json_pack("{s:o, s:I, s:o}", "path", jv_path(path), "count",
	    (json_int_t)best.total, "matches", arr);
	if (o != NULL && best.total > best.n)
		json_object_set_new(o, "truncated", json_true());
	if (store_doc_get(txn, c.self, &self) == 0)
		jmeta(o, "", &self);
	reply(req, 200, o);
out:
	free(best.heap);
	free(lim);
	free(path);
}

/*
 * POST /v1/query[?name=FILE]: the body is an article in any format the
 * daemon ingests; `name` (its file name) picks the parser as a file's
 * extension does, else the content decides.
 */
/* One row of a query's answer: stored document id against the query qd
 * (r: the query as a, id as b); via, the exact copy it was found through,
 * or NULL. A document deleted meanwhile is left out. */
static int
query_row(struct api *a, struct store_txn *txn, struct matches_ctx *c,
    const struct store_doc *qd, uint64_t id, const struct match_result *r,
    const char *via)
{
	struct store_doc od;
	uint64_t orig;
	double cmax = r->cont_ab > r->cont_ba ? r->cont_ab : r->cont_ba;
	json_t *o;
	int rc;

	if ((rc = store_doc_get(txn, id, &od)) < 0)
		return rc == STORE_ENOTFOUND ? 0 : rc;
	orig = detect_original(
	    qd, &od, r, (int64_t)a->r->cfg.original_window * 1000000);
	o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "path",
	    jv_path(od.path), "relation", match_relation_name(r->relation),
	    "original", orig == od.id ? jv_path(od.path) : json_null(),
	    "jaccard", jv_score(r->jaccard), "containment", jv_score(cmax),
	    "cont_ab", jv_score(r->cont_ab), "cont_ba", jv_score(r->cont_ba));
	if (o != NULL) {
		json_object_set_new(o, "how",
		    json_string(match_how_name(
		        r->relation, r->how, r->cont_ab, r->cont_ba)));
		if (via != NULL)
			json_object_set_new(o, "via", jv_path(via));
		/* The query's text is no path: `original` null would also
		 * say "partial, none". */
		json_object_set_new(
		    o, "query_is_original", json_boolean(orig == qd->id));
	}
	jmeta(o, "", &od);
	return rows_push(c, cmax, o);
}

struct via_row {
	uint64_t id, via; /* a pair's other end, and the exact copy's id */
	struct match_result r;
};

/* Rows found through exact copies, at most (a story stored tens of
 * thousands of times would make as many rows, built on the loop). */
#define QUERY_VIA_MAX 4096

struct via_walk {
	uint64_t self;
	struct via_row *v;
	size_t n, cap;
	int err, truncated;
};

/* A pair of the exact copy, as the query's own: the copy's side is the
 * query's. */
static int
via_pair(const struct store_pair *p, void *arg)
{
	struct via_walk *w = arg;
	int self_a = p->a == w->self;
	struct via_row *x;

	if (w->n == QUERY_VIA_MAX) {
		w->truncated = 1;
		return 1;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct via_row *nv = realloc(w->v, cap * sizeof(*nv));
		if (nv == NULL) {
			w->err = -ENOMEM;
			return 1;
		}
		w->v = nv;
		w->cap = cap;
	}
	x = &w->v[w->n++];
	memset(x, 0, sizeof(*x));
	x->id = self_a ? p->b : p->a;
	x->via = w->self;
	x->r.relation = (enum match_relation)p->relation;
	x->r.how = (enum match_how)p->how;
	x->r.jaccard = p->jaccard;
	x->r.cont_ab = self_a ? p->cont_ab : p->cont_ba;
	x->r.cont_ba = self_a ? p->cont_ba : p->cont_ab;
	x->r.direction = x->r.cont_ab >= x->r.cont_ba ? 1 : -1;
	return 0;
}

static int
via_cmp(const void *x, const void *y)
{
	const struct via_row *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->via < b->via ? -1 : a->via > b->via;
}

/* The pairs of the query's exact copies, each other end that is no hit
 * once, as rows found via the copy. */
static int
query_via(struct api *a, struct store_txn *txn, struct matches_ctx *c,
    const struct store_doc *qd, const struct detect_hit *hits, size_t nhits,
    int *truncated)
{
	struct via_walk w = {0};
	struct store_doc xd;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < nhits && rc >= 0 && !w.truncated; i++)
		if (hits[i].r.relation == MATCH_EXACT) {
			w.self = hits[i].id;
			rc = store_pairs_of(txn, w.self, via_pair, &w);
			if (rc >= 0)
				rc = w.err;
		}
	*truncated = w.truncated;
	if (w.n > 1)
		qsort(w.v, w.n, sizeof(*w.v), via_cmp);
	for (i = 0; i < w.n && rc >= 0; i++) {
		if (i > 0 && w.v[i].id == w.v[i - 1].id)
			continue;
		for (k = 0; k < nhits && hits[k].id != w.v[i].id; k++)
			;
		if (k < nhits)
			continue;
		if ((rc = store_doc_get(txn, w.v[i].via, &xd)) < 0)
			break;
		rc = query_row(a, txn, c, qd, w.v[i].id, &w.v[i].r, xd.path);
	}
	free(w.v);
	return rc < 0 ? rc : 0;
}

static void
h_query(struct api *a, struct evhttp_request *req, const char *query,
    struct store_txn *txn)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct matches_ctx c = {0};
	struct match_doc *md = NULL;
	struct detect_hit *hits = NULL;
	struct detect_req dq;
	struct store_doc qd;
	struct extract_limits lim = {0};
	struct extract_doc ed = {0};
	size_t len = evbuffer_get_length(in), nhits = 0, i;
	const char *body;
	char *name = NULL, *source = NULL;
	json_t *o;
	int rc, truncated = 0;

	if (len > config_body_limit(&a->r->cfg)) {
		reply_error(req, 413, "body larger than %" PRIu64 " bytes",
		    config_body_limit(&a->r->cfg));
		return;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (len == 0) {
		reply_error(req, 400, "empty body: POST the article");
		return;
	}
	lim.max_input = config_body_limit(&a->r->cfg);
	if (lim.max_input > EXTRACT_DEFAULT_MAX_OUTPUT) /* as for a file */
		lim.max_output = lim.max_input;
	if (query == NULL || text_query_get(query, "name", &name) < 0)
		name = NULL;
	rc = extract_doc(name != NULL ? name : "query", body, len, &lim, &ed);
	if (rc == 0)
		source = ingest_doc_source(name != NULL ? name : "query", &ed,
		    a->r->cfg.source_folder);
	free(name);
	if (rc < 0) {
		reply_error(req, 400, "cannot read the article: %s",
		    extract_strerror(rc));
		return;
	}
	if ((rc = match_doc_build(ed.text, ed.text_len, &md)) < 0) {
		reply_error(
		    req, 500, "cannot build features: %s", strerror(-rc));
		extract_doc_free(&ed);
		return;
	}
	/* Its source as an arriving file's: the metadata's, else the
	 * folder in its name, else its URL's host. */
	dq = (struct detect_req){md, 0, source, a->r->recent, &a->r->cfg.match};
	rc = detect_run(txn, &dq, &hits, &nhits, NULL, NULL);
	if (rc < 0) {
		reply_store_error(req, rc);
		goto out;
	}
	/* The query stands for a document arriving now, after everything
	 * stored, with an id above every stored one. */
	memset(&qd, 0, sizeof(qd));
	qd.id = UINT64_MAX;
	qd.first_seen = now_us();
	qd.ntokens = match_doc_ntokens(md);
	qd.norm_hash = match_doc_norm_hash(md);
	/* Its own metadata, as a stored document's: its publication time
	 * decides which is the original. */
	qd.title = ed.title;
	qd.url = ed.url;
	qd.source = source;
	qd.author = ed.author;
	if (ed.published > 0 && ed.published < INT64_C(253402300800))
		qd.published = ed.published * 1000000;
	for (i = 0; i < nhits && rc >= 0; i++)
		rc = query_row(a, txn, &c, &qd, hits[i].id, &hits[i].r, NULL);
	/* An exact copy's pairs are the text's own: a story stored more
	 * times than boilerplate_df is found through its text's key, which
	 * lists its first copies, not every one. */
	if (rc >= 0)
		rc = query_via(a, txn, &c, &qd, hits, nhits, &truncated);
	if (rc < 0) {
		rows_free(&c);
		if (rc == -ENOMEM)
			reply_error(req, 500, "out of memory");
		else
			reply_store_error(req, rc);
		goto out;
	}
	if ((o = json_pack("{s:n, s:o}", "path", "matches", rows_array(&c))) !=
	    NULL) {
		jmeta(o, "", &qd);
		if (truncated)
			json_object_set_new(o, "truncated", json_true());
	}
	reply(req, 200, o);
out:
	extract_doc_free(&ed);
	free(source);
	free(hits);
	match_doc_free(md);
}

/* ---- /v1/cluster -------------------------------------------------------- */

struct cmember {
	uint64_t id;
	uint64_t parent;   /* reached from (0: the start) */
	uint32_t relation; /* of the edge from parent */
	const char *how;   /* its match_how_name() */
	float jaccard, containment;
};

/* The pairs of one document, gathered so that more of the store can be
 * read before they are used. */
struct pairbuf {
	struct store_pair *v;
	size_t n, cap;
};

static int
pairbuf_cb(const struct store_pair *p, void *arg)
{
	struct pairbuf *b = arg;
	void *nv;

	if (p->relation == MATCH_PARTIAL || p->relation == MATCH_NONE)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		if ((nv = realloc(b->v, cap * sizeof(*b->v))) == NULL)
			return -ENOMEM;
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n++] = *p;
	return 0;
}

/* The flagged pairs of id, other than partial, into b (emptied first). */
static int
pairbuf_of(struct store_txn *txn, uint64_t id, struct pairbuf *b)
{
	b->n = 0;
	return store_pairs_of(txn, id, pairbuf_cb, b);
}

struct cluster_ctx {
	struct cmember *m;
	size_t n, cap;
	uint64_t *set; /* open addressing on id, 0 empty; size setcap */
	size_t setcap;
	struct cluster_edge *e;
	struct store_pair *ep; /* the pair behind each edge */
	size_t ne, ecap;
	uint64_t *comp; /* compilations asked about: id << 1 | answer */
	size_t ncomp, compcap;
	int truncated;
};

static size_t
set_slot(const struct cluster_ctx *c, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (c->setcap - 1);

	while (c->set[i] != 0 && c->set[i] != id)
		i = (i + 1) & (c->setcap - 1);
	return i;
}

static int
cluster_add(struct cluster_ctx *c, uint64_t id, uint64_t parent,
    const struct store_pair *p)
{
	size_t s = set_slot(c, id);

	if (c->set[s] == id)
		return 0;
	if (c->n == CLUSTER_MAX) {
		c->truncated = 1;
		return 0;
	}
	c->set[s] = id;
	c->m[c->n].id = id;
	c->m[c->n].parent = parent;
	c->m[c->n].relation = p != NULL ? p->relation : 0;
	c->m[c->n].how = p == NULL ? "none" : how_of(p);
	c->m[c->n].jaccard = p != NULL ? p->jaccard : 0;
	c->m[c->n].containment = p == NULL                 ? 0
	                         : p->cont_ab > p->cont_ba ? p->cont_ab
	                                                   : p->cont_ba;
	c->n++;
	return 0;
}

static int
cluster_edge_add(struct cluster_ctx *c, const struct store_pair *p)
{
	void *nv;
	size_t cap;

	if (c->ne == CLUSTER_EDGES_MAX)
		return 0;
	if (c->ne == c->ecap) {
		cap = c->ecap ? c->ecap * 2 : 64;
		if ((nv = realloc(c->e, cap * sizeof(*c->e))) == NULL)
			return -ENOMEM;
		c->e = nv;
		if ((nv = realloc(c->ep, cap * sizeof(*c->ep))) == NULL)
			return -ENOMEM;
		c->ep = nv;
		c->ecap = cap;
	}
	c->e[c->ne].a = p->a;
	c->e[c->ne].b = p->b;
	c->e[c->ne].relation = p->relation;
	c->e[c->ne].original = p->original;
	c->ep[c->ne] = *p;
	c->ne++;
	return 0;
}

/*
 * Whether id is a compilation (cluster_is_compilation): the documents it
 * holds, and the pairs among them, read from the store; remembered for
 * the rest of the walk. 0, 1 or a negative errno.
 */
static int
cluster_compilation(struct store_txn *txn, struct cluster_ctx *c, uint64_t id)
{
	struct pairbuf own = {0}, theirs = {0};
	struct cluster_edge e[CLUSTER_INNER_MAX * 4];
	uint64_t inner[CLUSTER_INNER_MAX];
	size_t i, j, n = 0, ne = 0;
	int rc;
	void *nv;

	for (i = 0; i < c->ncomp; i++)
		if (c->comp[i] >> 1 == id)
			return (int)(c->comp[i] & 1);
	if ((rc = pairbuf_of(txn, id, &own)) < 0)
		goto out;
	for (i = 0; i < own.n && n < CLUSTER_INNER_MAX; i++) {
		const struct store_pair *p = &own.v[i];
		if (p->relation == MATCH_EXCERPT &&
		    cluster_outer(p->a, p->b, p->cont_ab, p->cont_ba) == id)
			inner[n++] = p->a == id ? p->b : p->a;
	}
	/* The pairs among them, as many as fit: a story's copies are
	 * connected by a few; stories that are not, by none. */
	for (i = 0; n >= 2 && i < n; i++) {
		if ((rc = pairbuf_of(txn, inner[i], &theirs)) < 0)
			goto out;
		for (j = 0; j < theirs.n && ne < sizeof(e) / sizeof(e[0]);
		     j++) {
			const struct store_pair *p = &theirs.v[j];
			uint64_t other = p->a == inner[i] ? p->b : p->a;
			size_t k;
			for (k = i + 1; k < n && inner[k] != other; k++)
				;
			if (k < n)
				e[ne++] = (struct cluster_edge){
				    p->a, p->b, p->relation, p->original};
		}
	}
	if ((rc = cluster_is_compilation(inner, n, e, ne)) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (c->ncomp == c->compcap) {
		size_t cap = c->compcap ? c->compcap * 2 : 16;
		if ((nv = realloc(c->comp, cap * sizeof(*c->comp))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		c->comp = nv;
		c->compcap = cap;
	}
	c->comp[c->ncomp++] = id << 1 | (uint64_t)rc;
out:
	free(own.v);
	free(theirs.v);
	return rc;
}

/*
 * The members reachable from c->m[0] over flagged pairs other than
 * partial, breadth first (the members array is the queue); a
 * compilation's excerpt pairs are not followed.
 */
static int
cluster_walk(struct store_txn *txn, struct cluster_ctx *c)
{
	struct pairbuf b = {0};
	size_t i, k;
	int rc = 0;

	for (i = 0; i < c->n; i++) {
		uint64_t cur = c->m[i].id;
		if ((rc = pairbuf_of(txn, cur, &b)) < 0)
			break;
		for (k = 0; k < b.n; k++) {
			const struct store_pair *p = &b.v[k];
			if (p->relation == MATCH_EXCERPT &&
			    (rc = cluster_compilation(txn, c,
			         cluster_outer(p->a, p->b, p->cont_ab,
			             p->cont_ba))) != 0) {
				if (rc < 0)
					goto out;
				continue;
			}
			/* Each edge is seen from both ends; keep it once. */
			if (p->a == cur && (rc = cluster_edge_add(c, p)) < 0)
				goto out;
			cluster_add(c, p->a == cur ? p->b : p->a, cur, p);
		}
	}
	rc = rc > 0 ? 0 : rc;
out:
	free(b.v);
	return rc;
}

/*
 * The pair that describes each member: via[i] the index of the edge
 * through which member i is nearest the original (its pair with the
 * original when there is one), by a breadth-first walk from the
 * original over the recorded edges; SIZE_MAX for the original and for a
 * member the recorded edges do not reach (a truncated cluster). The same
 * answer from whichever member the cluster was asked for.
 */
static int
cluster_paths(const struct cluster_ctx *c, size_t orig, size_t *via)
{
	struct cluster_id *ix = malloc((c->n + 1) * sizeof(*ix));
	size_t *start = calloc(c->n + 2, sizeof(*start));
	size_t *adj = malloc((2 * c->ne + 1) * sizeof(*adj)); /* edges */
	size_t *queue = malloc((c->n + 1) * sizeof(*queue));
	size_t i, k, qh = 0, qt = 0;
	int rc = -ENOMEM;

	if (ix == NULL || start == NULL || adj == NULL || queue == NULL)
		goto out;
	for (i = 0; i < c->n; i++) {
		ix[i] = (struct cluster_id){c->m[i].id, i};
		via[i] = SIZE_MAX;
	}
	cluster_ids_sort(ix, c->n);
	/* Each member's edges, grouped by a counting sort on the member. */
	for (k = 0; k < c->ne; k++) {
		size_t ea = cluster_ids_find(ix, c->n, c->ep[k].a);
		size_t eb = cluster_ids_find(ix, c->n, c->ep[k].b);
		if (ea != SIZE_MAX && eb != SIZE_MAX)
			start[ea + 2]++, start[eb + 2]++;
	}
	for (i = 0; i < c->n; i++)
		start[i + 2] += start[i + 1];
	for (k = 0; k < c->ne; k++) {
		size_t ea = cluster_ids_find(ix, c->n, c->ep[k].a);
		size_t eb = cluster_ids_find(ix, c->n, c->ep[k].b);
		if (ea != SIZE_MAX && eb != SIZE_MAX)
			adj[start[ea + 1]++] = k, adj[start[eb + 1]++] = k;
	}
	/* start[m] .. start[m + 1]: member m's edges. */
	queue[qt++] = orig;
	while (qh < qt) {
		size_t m = queue[qh++];
		for (k = start[m]; k < start[m + 1]; k++) {
			const struct store_pair *p = &c->ep[adj[k]];
			uint64_t other = p->a == c->m[m].id ? p->b : p->a;
			size_t j = cluster_ids_find(ix, c->n, other);
			if (j == SIZE_MAX || j == orig || via[j] != SIZE_MAX)
				continue;
			via[j] = adj[k];
			queue[qt++] = j;
		}
	}
	rc = 0;
out:
	free(ix);
	free(start);
	free(adj);
	free(queue);
	return rc;
}

static void
h_cluster(struct api *a, struct evhttp_request *req, const char *query,
    struct store_txn *txn)
{
	struct cluster_ctx c = {0};
	struct cluster_member *cm = NULL;
	struct store_doc d, wd;
	const struct store_pair *p;
	const char *wpath;
	char *path = NULL;
	json_t *members = NULL, *o;
	size_t i, orig, *via = NULL;
	uint64_t start, with;
	int rc;

	if (req_path(req, query, "path", &path) < 0)
		return;
	rc = store_doc_by_path(txn, path, &start);
	if (rc == STORE_ENOTFOUND) {
		reply_not_stored(req, txn, path);
		goto out;
	}
	if (rc < 0)
		goto store_err;
	c.cap = CLUSTER_MAX;
	c.setcap = 32768; /* a power of two over 2 * CLUSTER_MAX */
	c.m = calloc(c.cap, sizeof(*c.m));
	c.set = calloc(c.setcap, sizeof(*c.set));
	if (c.m == NULL || c.set == NULL) {
		rc = -ENOMEM;
		goto store_err;
	}
	cluster_add(&c, start, 0, NULL);
	if ((rc = cluster_walk(txn, &c)) < 0)
		goto store_err;
	if ((cm = calloc(c.n, sizeof(*cm))) == NULL) {
		rc = -ENOMEM;
		goto store_err;
	}
	for (i = 0; i < c.n; i++) {
		if ((rc = store_doc_get(txn, c.m[i].id, &d)) < 0)
			goto store_err;
		cm[i].id = d.id;
		cm[i].first_seen = d.first_seen;
		cm[i].published = store_doc_time(&d);
		cm[i].ntokens = d.ntokens;
	}
	orig = cluster_pick_original(
	    cm, c.n, c.e, c.ne, (int64_t)a->r->cfg.original_window * 1000000);
	if ((via = malloc(c.n * sizeof(*via))) == NULL ||
	    (rc = cluster_paths(&c, orig, via)) < 0) {
		rc = -ENOMEM;
		goto store_err;
	}
	members = json_array();
	for (i = 0; i < c.n; i++) {
		if ((rc = store_doc_get(txn, c.m[i].id, &d)) < 0)
			goto store_err;
		if (i == orig) {
			o = json_pack("{s:o, s:s, s:I, s:o}", "path",
			    jv_path(d.path), "relation", "original", "tokens",
			    (json_int_t)d.ntokens, "first_seen",
			    jv_time(d.first_seen));
			jmeta(o, "", &d);
			json_array_insert_new(members, 0, o);
			continue;
		}
		/* Describe a member by its pair with the original when there
		 * is one, else by the pair that brings it nearest (`with`
		 * says which); one the recorded edges miss, by the pair it
		 * was reached through. */
		p = via[i] != SIZE_MAX ? &c.ep[via[i]] : NULL;
		with = p == NULL           ? c.m[i].parent
		       : p->a == c.m[i].id ? p->b
		                           : p->a;
		wpath = NULL;
		if (with != 0 && store_doc_get(txn, with, &wd) == 0)
			wpath = wd.path;
		o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:I, s:o, s:o}",
		    "path", jv_path(d.path), "relation",
		    match_relation_name((enum match_relation)(
		        p != NULL ? p->relation : c.m[i].relation)),
		    "how", p != NULL ? how_of(p) : c.m[i].how, "jaccard",
		    jv_score(p != NULL ? p->jaccard : c.m[i].jaccard),
		    "containment",
		    jv_score(p == NULL                 ? c.m[i].containment
		             : p->cont_ab > p->cont_ba ? p->cont_ab
		                                       : p->cont_ba),
		    "tokens", (json_int_t)d.ntokens, "first_seen",
		    jv_time(d.first_seen), "with", jv_path(wpath));
		jmeta(o, "", &d);
		json_array_append_new(members, o);
	}
	o = json_array_get(members, 0);
	o = json_pack("{s:o, s:O, s:o}", "path", jv_path(path), "original",
	    json_object_get(o, "path"), "members", members);
	members = NULL;
	if (o != NULL && c.truncated)
		json_object_set_new(o, "truncated", json_true());
	reply(req, 200, o);
	goto out;
store_err:
	reply_store_error(req, rc);
out:
	json_decref(members);
	free(cm);
	free(via);
	free(c.m);
	free(c.set);
	free(c.e);
	free(c.ep);
	free(c.comp);
	free(path);
}

/* ---- /v1/explain ----------------------------------------------------------
 */

/*
 * Keys of text a held by more than boilerplate_df documents: the
 * boilerplate list match_explain() leaves out. The store keeps a sketch,
 * not the keys, so they are computed again from the text (explain is a
 * question a person asks, not a hot path). Sorted, since the keys are.
 */
static int
common_keys(struct api *a, struct store_txn *txn, const void *text, size_t len,
    uint64_t **out, size_t *n)
{
	const uint64_t *keys;
	struct match_doc *md = NULL;
	uint64_t *v = NULL;
	size_t nk, i, df;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = match_doc_build(text, len, &md)) < 0)
		return rc;
	nk = match_doc_keys(md, &keys);
	if (nk > 0 && (v = malloc(nk * sizeof(*v))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nk; i++) {
		if ((rc = store_key_docs(txn, keys[i], NULL,
		         a->r->cfg.match.boilerplate_df, &df)) < 0)
			goto out;
		if (df > a->r->cfg.match.boilerplate_df)
			v[(*n)++] = keys[i];
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	free(v);
	match_doc_free(md);
	return rc;
}

/* Bytes of A the passages cover. */
static size_t
passages_len(const struct match_passage *ps, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += ps[i].a_len;
	return len;
}

static void
h_explain(struct api *a, struct evhttp_request *req, const char *query,
    struct store_txn *txn)
{
	char *pa = NULL, *pb = NULL, *t;
	uint64_t ida, idb, *common = NULL;
	const void *ta, *tb;
	size_t la, lb, nc = 0, np = 0, i, tl;
	struct match_passage *ps = NULL;
	struct store_doc da, db;
	json_t *arr, *o;
	int rc, all = 0;

	if (req_path(req, query, "a", &pa) < 0 ||
	    req_path(req, query, "b", &pb) < 0)
		goto out;
	if ((rc = store_doc_by_path(txn, pa, &ida)) == STORE_ENOTFOUND) {
		reply_not_stored(req, txn, pa);
		goto out;
	}
	if (rc < 0)
		goto store_err;
	if ((rc = store_doc_by_path(txn, pb, &idb)) == STORE_ENOTFOUND) {
		reply_not_stored(req, txn, pb);
		goto out;
	}
	if (rc < 0)
		goto store_err;
	if ((rc = store_doc_text(txn, ida, &ta, &la)) < 0 ||
	    (rc = store_doc_text(txn, idb, &tb, &lb)) < 0 ||
	    (rc = common_keys(a, txn, ta, la, &common, &nc)) < 0)
		goto store_err;
	rc = match_explain(ta, la, tb, lb, common, nc, &ps, &np);
	/* Most of what they share is boilerplate: a story stored more than
	 * boilerplate_df times is all common, and its copies were paired
	 * with nothing masked (detect.c, story_hits). Show what they share. */
	if (rc == 0 && nc > 0) {
		struct match_passage *all_ps = NULL;
		size_t all_np = 0;
		rc = match_explain(ta, la, tb, lb, NULL, 0, &all_ps, &all_np);
		if (rc == 0 &&
		    2 * passages_len(ps, np) < passages_len(all_ps, all_np)) {
			free(ps);
			ps = all_ps;
			np = all_np;
			all = 1;
		} else
			free(all_ps);
	}
	if (rc < 0) {
		reply_error(req, 500, "explain: %s", strerror(-rc));
		goto out;
	}
	arr = json_array();
	for (i = 0; i < np; i++) {
		/* Offsets come from match/; check them before slicing. */
		if ((size_t)ps[i].a_off + ps[i].a_len > la)
			continue;
		t = text_utf8_repair(
		    (const char *)ta + ps[i].a_off, ps[i].a_len, &tl);
		o = json_pack("{s:I, s:I, s:I, s:I, s:o}", "a_off",
		    (json_int_t)ps[i].a_off, "a_len", (json_int_t)ps[i].a_len,
		    "b_off", (json_int_t)ps[i].b_off, "b_len",
		    (json_int_t)ps[i].b_len, "text",
		    t != NULL ? json_stringn(t, tl) : json_null());
		free(t);
		json_array_append_new(arr, o);
	}
	o = json_pack("{s:o, s:o, s:o, s:b}", "a", jv_path(pa), "b",
	    jv_path(pb), "passages", arr, "boilerplate_left_out", !all);
	if (store_doc_get(txn, ida, &da) == 0)
		jmeta(o, "a_", &da);
	if (store_doc_get(txn, idb, &db) == 0)
		jmeta(o, "b_", &db);
	reply(req, 200, o);
	goto out;
store_err:
	reply_store_error(req, rc);
out:
	free(ps);
	free(common);
	free(pa);
	free(pb);
}

/* ---- /v1/sources ------------------------------------------------------------
 */

#define SOURCES_FROM_MAX 10 /* "from" entries listed per source */

/*
 * Per source: its documents, how many of them reprint (exact, near
 * duplicate or excerpt) an original of another source, and from whom.
 * A copy counts once, for its cluster's original (the documents joined
 * by such pairs, the original chosen as /v1/cluster and the report
 * choose it: a story in many places makes pairs between its copies too,
 * and each copy reprints the original, not every copy before it). One
 * pass over the documents, one over the pairs; by-id arrays from the
 * lowest stored id (ids are dense, never reused, and retention takes the
 * oldest: the span is about the stored documents, not every id ever
 * given).
 */
struct sources_ctx {
	json_t *index;  /* source name ("" unknown) -> position in names */
	json_t *names;  /* array of names */
	uint32_t *of;   /* source position + 1 by document id, 0 none */
	int64_t *when;  /* by id: store_doc_time() */
	uint32_t *ntok; /* by id: tokens */
	uint64_t base;  /* the lowest id: index 0 of the by-id arrays */
	uint64_t span;  /* length of the by-id arrays */
	uint64_t *docs, *reprints, *reprinted; /* by source */
	uint32_t *uf;           /* by id: union-find parent (an index) */
	struct cluster_edge *e; /* the same-story pairs */
	size_t ne, ecap;
	uint64_t *links; /* copy source << 32 | original source, per copy */
	size_t nlinks, linkcap;
	size_t nsrc;
	int64_t window_us;
	int err;
};

static int
sources_doc_cb(const struct store_doc *d, void *arg)
{
	struct sources_ctx *c = arg;
	const char *name = d->source != NULL ? d->source : "";
	json_t *ix = json_object_get(c->index, name);
	uint64_t *nv;
	uint32_t *nof, *nt;
	int64_t *nw;
	size_t pos, cap;

	if (ix == NULL) {
		pos = json_array_size(c->names);
		if (json_object_set_new(
		        c->index, name, json_integer((json_int_t)pos)) < 0 ||
		    json_array_append_new(c->names, jv_path(d->source)) < 0)
			goto nomem;
		if ((nv = realloc(c->docs, (pos + 1) * sizeof(*nv))) == NULL)
			goto nomem;
		c->docs = nv;
		c->docs[pos] = 0;
	} else
		pos = (size_t)json_integer_value(ix);
	if (c->span == 0)
		c->base = d->id; /* the walk goes in id order */
	if (d->id - c->base >= c->span) {
		cap = (size_t)(d->id - c->base) + 1024;
		if ((nof = realloc(c->of, cap * sizeof(*nof))) == NULL)
			goto nomem;
		memset(nof + c->span, 0, (cap - c->span) * sizeof(*nof));
		c->of = nof;
		if ((nw = realloc(c->when, cap * sizeof(*nw))) == NULL)
			goto nomem;
		c->when = nw;
		if ((nt = realloc(c->ntok, cap * sizeof(*nt))) == NULL)
			goto nomem;
		c->ntok = nt;
		c->span = cap;
	}
	c->of[d->id - c->base] = (uint32_t)pos + 1;
	c->when[d->id - c->base] = store_doc_time(d);
	c->ntok[d->id - c->base] = d->ntokens;
	c->docs[pos]++;
	return 0;
nomem:
	c->err = -ENOMEM;
	return 1;
}

/* The by-id index of a stored document's id, or UINT64_MAX. */
static uint64_t
sources_at(const struct sources_ctx *c, uint64_t id)
{
	uint64_t i = id - c->base;

	return id >= c->base && i < c->span && c->of[i] != 0 ? i : UINT64_MAX;
}

static uint32_t
sources_root(uint32_t *uf, uint32_t i)
{
	while (uf[i] != i) {
		uf[i] = uf[uf[i]];
		i = uf[i];
	}
	return i;
}

static int
sources_pair_cb(const struct store_pair *p, void *arg)
{
	struct sources_ctx *c = arg;
	uint64_t ia, ib;
	uint32_t ra, rb;

	if (!match_same_story(p->relation))
		return 0;
	if ((ia = sources_at(c, p->a)) == UINT64_MAX ||
	    (ib = sources_at(c, p->b)) == UINT64_MAX)
		return 0;
	if (c->ne == c->ecap) {
		size_t cap = c->ecap ? 2 * c->ecap : 256;
		struct cluster_edge *ne = realloc(c->e, cap * sizeof(*ne));
		if (ne == NULL) {
			c->err = -ENOMEM;
			return 1;
		}
		c->e = ne;
		c->ecap = cap;
	}
	c->e[c->ne++] =
	    (struct cluster_edge){p->a, p->b, p->relation, p->original};
	ra = sources_root(c->uf, (uint32_t)ia);
	rb = sources_root(c->uf, (uint32_t)ib);
	if (ra != rb)
		c->uf[ra > rb ? ra : rb] = ra < rb ? ra : rb;
	return 0;
}

/* A copy of source sc of an original of source so. */
static int
sources_link(struct sources_ctx *c, size_t sc, size_t so)
{
	if (c->nlinks == c->linkcap) {
		size_t cap = c->linkcap ? c->linkcap * 2 : 256;
		uint64_t *nv = realloc(c->links, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		c->links = nv;
		c->linkcap = cap;
	}
	c->links[c->nlinks++] = (uint64_t)sc << 32 | so;
	c->reprints[sc]++;
	return 0;
}

/*
 * Each cluster's original (cluster_pick_original, over its members and
 * edges, grouped by a counting sort on their roots), and every member of
 * another source than the original's counted as its copy.
 */
static int
sources_count(struct sources_ctx *c)
{
	size_t n = (size_t)c->span, i, k;
	uint32_t *start = calloc(n + 1, sizeof(*start));
	uint32_t *estart = calloc(n + 1, sizeof(*estart));
	uint32_t *mem = malloc((n + 1) * sizeof(*mem));
	uint32_t *eix = malloc((c->ne + 1) * sizeof(*eix));
	struct cluster_member *cm = NULL;
	struct cluster_edge *ce = NULL;
	size_t cmcap = 0, cecap = 0;
	int rc = -ENOMEM;

	if (start == NULL || estart == NULL || mem == NULL || eix == NULL)
		goto out;
	/* Members and edges by root: counts, then offsets, then slots. */
	for (i = 0; i < n; i++)
		if (c->of[i] != 0)
			start[sources_root(c->uf, (uint32_t)i) + 1]++;
	for (i = 0; i < c->ne; i++)
		estart[sources_root(c->uf, (uint32_t)sources_at(c, c->e[i].a)) +
		       1]++;
	for (i = 0; i < n; i++) {
		start[i + 1] += start[i];
		estart[i + 1] += estart[i];
	}
	for (i = 0; i < n; i++)
		if (c->of[i] != 0)
			mem[start[sources_root(c->uf, (uint32_t)i)]++] =
			    (uint32_t)i;
	for (i = 0; i < c->ne; i++)
		eix[estart[sources_root(c->uf,
		    (uint32_t)sources_at(c, c->e[i].a))]++] = (uint32_t)i;
	/* start[r] is now the end of root r's members, start[r - 1] (or 0)
	 * their beginning; the same for the edges. */
	for (size_t r = 0; r < n; r++) {
		size_t m0 = r ? start[r - 1] : 0, m1 = start[r];
		size_t e0 = r ? estart[r - 1] : 0, e1 = estart[r];
		size_t orig, so;
		int counted = 0;

		if (m1 - m0 < 2)
			continue;
		if (m1 - m0 > cmcap) {
			cmcap = m1 - m0;
			free(cm);
			if ((cm = malloc(cmcap * sizeof(*cm))) == NULL)
				goto out;
		}
		if (e1 - e0 > cecap) {
			cecap = e1 - e0;
			free(ce);
			if ((ce = malloc(cecap * sizeof(*ce))) == NULL)
				goto out;
		}
		for (k = m0; k < m1; k++) {
			uint32_t x = mem[k];
			cm[k - m0] = (struct cluster_member){
			    c->base + x, c->when[x], c->ntok[x], c->when[x]};
		}
		for (k = e0; k < e1; k++)
			ce[k - e0] = c->e[eix[k]];
		orig = mem[m0 + cluster_pick_original(
		                    cm, m1 - m0, ce, e1 - e0, c->window_us)];
		so = c->of[orig] - 1;
		for (k = m0; k < m1; k++) {
			size_t sc = c->of[mem[k]] - 1;
			if (mem[k] == orig || sc == so)
				continue; /* a source repeating itself */
			if (sources_link(c, sc, so) < 0)
				goto out;
			counted = 1;
		}
		c->reprinted[so] += counted;
	}
	rc = 0;
out:
	free(start);
	free(estart);
	free(mem);
	free(eix);
	free(cm);
	free(ce);
	return rc;
}

struct from_row {
	size_t src;
	uint64_t n;
};

static int
from_cmp(const void *x, const void *y)
{
	const struct from_row *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->src < b->src ? -1 : a->src > b->src;
}

static int
link_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void
h_sources(struct api *a, struct evhttp_request *req, struct store_txn *txn)
{
	struct sources_ctx c = {0};
	struct from_row *rows = NULL, *fr = NULL;
	json_t *arr = NULL, *o, *from;
	size_t i, j, k, l, nf;
	int rc;

	c.index = json_object();
	c.names = json_array();
	if (c.index == NULL || c.names == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = store_doc_each(txn, 0, sources_doc_cb, &c)) < 0 ||
	    (rc = c.err) < 0)
		goto fail;
	c.nsrc = json_array_size(c.names);
	c.reprints = calloc(c.nsrc + 1, sizeof(*c.reprints));
	c.reprinted = calloc(c.nsrc + 1, sizeof(*c.reprinted));
	c.uf = malloc((c.span + 1) * sizeof(*c.uf));
	c.window_us = (int64_t)a->r->cfg.original_window * 1000000;
	rows = calloc(c.nsrc + 1, sizeof(*rows));
	fr = calloc(c.nsrc + 1, sizeof(*fr));
	if (c.reprints == NULL || c.reprinted == NULL || c.uf == NULL ||
	    rows == NULL || fr == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < c.span; i++)
		c.uf[i] = (uint32_t)i;
	if (c.span > 0 &&
	    ((rc = store_pair_each(txn, sources_pair_cb, &c)) < 0 ||
	        (rc = c.err) < 0 || (rc = sources_count(&c)) < 0))
		goto fail;
	/* Sorted links: one run per (copy source, original source). */
	if (c.nlinks > 1)
		qsort(c.links, c.nlinks, sizeof(*c.links), link_cmp);
	for (i = 0; i < c.nsrc; i++) {
		rows[i].src = i;
		rows[i].n = c.docs[i];
	}
	if (c.nsrc > 1)
		qsort(rows, c.nsrc, sizeof(*rows), from_cmp);
	arr = json_array();
	for (k = 0; k < c.nsrc; k++) {
		i = rows[k].src;
		/* This source's runs of links, found by bisection. */
		for (l = 0, j = c.nlinks; l < j;) {
			size_t mid = l + (j - l) / 2;
			if ((c.links[mid] >> 32) < i)
				l = mid + 1;
			else
				j = mid;
		}
		for (nf = 0; l < c.nlinks && (c.links[l] >> 32) == i; l = j) {
			for (j = l; j < c.nlinks && c.links[j] == c.links[l];
			     j++)
				;
			fr[nf].src = (size_t)(c.links[l] & 0xffffffffu);
			fr[nf++].n = j - l;
		}
		if (nf > 1)
			qsort(fr, nf, sizeof(*fr), from_cmp);
		from = json_array();
		for (j = 0; j < nf && j < SOURCES_FROM_MAX; j++)
			json_array_append_new(
			    from, json_pack("{s:O, s:I}", "source",
			              json_array_get(c.names, fr[j].src),
			              "reprints", (json_int_t)fr[j].n));
		o = json_pack("{s:O, s:I, s:I, s:I, s:o}", "source",
		    json_array_get(c.names, i), "documents",
		    (json_int_t)c.docs[i], "reprints",
		    (json_int_t)c.reprints[i], "reprinted",
		    (json_int_t)c.reprinted[i], "from", from);
		/* The unknown source is "" in the index: null outside. */
		if (o != NULL &&
		    json_string_length(json_object_get(o, "source")) == 0)
			json_object_set_new(o, "source", json_null());
		json_array_append_new(arr, o);
	}
	reply(req, 200, json_pack("{s:o}", "sources", arr));
	arr = NULL;
	goto out;
fail:
	reply_store_error(req, rc);
out:
	json_decref(arr);
	json_decref(c.index);
	json_decref(c.names);
	free(c.of);
	free(c.docs);
	free(c.reprints);
	free(c.reprinted);
	free(c.links);
	free(c.uf);
	free(c.e);
	free(c.when);
	free(c.ntok);
	free(rows);
	free(fr);
}

/* ---- /v1/metrics, /v1/report, /v1/cleanup ----------------------------------
 */

/* A body that is not JSON (metrics, text and HTML reports); buf is freed. */
static void
reply_raw(struct evhttp_request *req, const char *type, char *buf, size_t len)
{
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", type);
	evbuffer_add(evhttp_request_get_output_buffer(req), buf, len);
	free(buf);
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
h_metrics(struct api *a, struct evhttp_request *req, struct store_txn *txn)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = metrics_render(a->r, txn, &buf, &len)) < 0) {
		reply_store_error(req, rc);
		return;
	}
	reply_raw(req, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

static void
h_report(struct api *a, struct evhttp_request *req, const char *query,
    struct store_txn *txn)
{
	char *v = NULL, *buf;
	int64_t now = now_us(), since = now - 86400LL * 1000000;
	json_t *model;
	size_t len;
	int rc, fmt = REPORT_TEXT;

	if ((rc = text_query_get(query, "format", &v)) == 0) {
		if ((fmt = report_format_parse(v)) < 0) {
			reply_error(req, 400,
			    "unknown format \"%s\" (text, "
			    "json, html)",
			    v);
			free(v);
			return;
		}
		free(v);
		v = NULL;
	} else if (rc != -ENOENT) {
		reply_error(req, 400, "malformed parameter \"format\"");
		return;
	}
	if (query_since(req, query, now, &since) < 0)
		return;
	if (since > now) {
		reply_error(req, 400, "since is in the future");
		return;
	}
	if ((rc = report_build(a->r, txn, since, now, &model)) < 0) {
		reply_store_error(req, rc);
		return;
	}
	rc = report_render(model, (enum report_format)fmt, &buf, &len);
	json_decref(model);
	if (rc < 0) {
		reply_error(req, 500, "out of memory");
		return;
	}
	reply_raw(req, report_format_mime((enum report_format)fmt), buf, len);
}

static void
h_cleanup(struct api *a, struct evhttp_request *req, int post)
{
	uint64_t run;
	json_t *o;

	if (post)
		cleanup_start(a->cleanup, &run);
	o = cleanup_status(a->cleanup);
	reply(req, post ? 202 : 200, o);
}

/* ---- Connections
 * -------------------------------------------------------------- */

/* A warning about conn events at most once a minute: 1 if this one is
 * to be logged, with *missed those that were not since the last. */
static int
warn_due(struct warn_rate *w, uint64_t *missed)
{
	int64_t now = clock_mono_us();

	if (w->last_us != 0 && now - w->last_us < CONN_WARN_EVERY_US) {
		w->missed++;
		return 0;
	}
	w->last_us = now;
	*missed = w->missed;
	w->missed = 0;
	return 1;
}

static void
conn_deadline_arm(struct conn *c)
{
	struct timeval tv = {(time_t)c->a->r->cfg.http_request_timeout, 0};

	if (!c->busy && !evtimer_pending(c->deadline, NULL))
		evtimer_add(c->deadline, &tv);
}

/* Bytes arrived: a request has begun, if none was under way. */
static void
conn_input_cb(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	if (info->n_added > 0)
		conn_deadline_arm(arg);
}

/* The request was not whole in time: the client trickles, or stopped. */
static void
conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t missed;

	(void)fd;
	(void)what;
	if (c->busy)
		return;
	if (warn_due(&c->a->expired, &missed))
		log_warnx(
		    "a client did not send its whole request within "
		    "%u s (http_request_timeout); closing it (and %" PRIu64
		    " more since the last warning)",
		    c->a->r->cfg.http_request_timeout, missed);
	evhttp_connection_free(c->evcon); /* conn_closed frees c */
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	struct api *a = c->a;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);

	if (bev != NULL && c->incb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(bev), c->incb);
	if (c->stream != NULL)
		stream_gone(c->stream);
	event_free(c->deadline);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->nconn--;
	metrics_client_close();
	free(c);
}

/* A new connection: counted, or closed at once over max_connections. */
static void
conn_accepted(struct api *a, struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct conn *c = NULL;
	uint64_t missed;

	if (a->nconn >= a->r->cfg.max_connections) {
		if (warn_due(&a->refused, &missed))
			log_warnx(
			    "%zu client connections open "
			    "(max_connections); closing new ones (%" PRIu64
			    " more since the last warning)",
			    a->nconn, missed);
		evhttp_connection_free(evcon);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->deadline = evtimer_new(a->r->base, conn_deadline_cb, c)) ==
	        NULL ||
	    (c->incb = evbuffer_add_cb(
	         bufferevent_get_input(bev), conn_input_cb, c)) == NULL) {
		log_warnx("out of memory for a client connection; closing it");
		if (c != NULL && c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		evhttp_connection_free(evcon);
		return;
	}
	c->a = a;
	c->evcon = evcon;
	c->next = a->conns;
	if (a->conns != NULL)
		a->conns->prev = c;
	a->conns = c;
	a->nconn++;
	metrics_client_open();
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		conn_deadline_arm(c);
}

/*
 * evhttp's bufferevent for a connection it is accepting (evhttp_set_bevcb):
 * libevent 2.1 has no hook with the connection itself, nor a cap on
 * connections, so the bufferevent is kept (a reference) and looked at in
 * fresh_cb, which runs right after this accept, before anything is read.
 * By then evhttp has made the connection and passes it to the
 * bufferevent's callbacks as their argument; if it is gone already, the
 * callbacks are cleared.
 */
static struct bufferevent *
conn_bev(struct event_base *base, void *arg)
{
	struct api *a = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	struct bufferevent **nf;
	size_t cap;

	if (bev == NULL)
		return NULL;
	if (a->nfresh == a->freshcap) {
		cap = a->freshcap ? a->freshcap * 2 : 16;
		if ((nf = realloc(a->fresh, cap * sizeof(*nf))) == NULL) {
			bufferevent_free(bev);
			return NULL; /* evhttp makes one: uncounted */
		}
		a->fresh = nf;
		a->freshcap = cap;
	}
	bufferevent_incref(bev);
	a->fresh[a->nfresh++] = bev;
	event_active(a->fresh_ev, EV_TIMEOUT, 0);
	return bev;
}

static void
fresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	void *evcon;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < a->nfresh; i++) {
		evcon = NULL;
		bufferevent_getcb(a->fresh[i], NULL, NULL, NULL, &evcon);
		if (evcon != NULL)
			conn_accepted(a, evcon);
		bufferevent_decref(a->fresh[i]);
	}
	a->nfresh = 0;
}

static struct conn *
conn_of(struct api *a, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	for (c = a->conns; c != NULL && c->evcon != evcon; c = c->next)
		;
	return c;
}

/* The reply has been sent: the next request's deadline starts with its
 * first byte, perhaps already here. */
static void
conn_done(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);

	(void)req;
	c->busy = 0;
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		conn_deadline_arm(c);
}

/* ---- Routing ----------------------------------------------------------------
 */

/* The parameters each endpoint takes: a parameter it does not take (a
 * typo, a "limit" it does not have) is refused, not ignored. */
static const struct {
	const char *path;
	const char *params; /* space separated */
} route_params[] = {
    {"/v1/status", ""},
    {"/v1/pairs", "relation since"},
    {"/v1/matches", "path limit"},
    {"/v1/cluster", "path"},
    {"/v1/explain", "a b"},
    {"/v1/sources", ""},
    {"/v1/metrics", ""},
    {"/v1/report", "format since"},
    {"/v1/query", "name"},
    {"/v1/cleanup", ""},
};

/* 0, or 400 with the first parameter of query that path does not take. */
static int
check_params(struct evhttp_request *req, const char *path, const char *query)
{
	const char *params = NULL, *k, *e;
	size_t i, n;

	for (i = 0; i < sizeof(route_params) / sizeof(route_params[0]); i++)
		if (strcmp(route_params[i].path, path) == 0)
			params = route_params[i].params;
	if (params == NULL || query == NULL)
		return 0;
	for (k = query; *k != '\0'; k = *e != '\0' ? e + 1 : e) {
		e = k + strcspn(k, "&");
		n = strcspn(k, "=&");
		if (n == 0)
			continue; /* "a=1&&b=2" */
		for (const char *p = params; *p != '\0';) {
			size_t m = strcspn(p, " ");
			if (m == n && strncmp(p, k, n) == 0)
				goto next;
			p += m + (p[m] == ' ');
		}
		reply_error(req, 400, "%s takes %s%s: not \"%.*s\"", path,
		    *params != '\0' ? "the parameters " : "no parameters",
		    params, (int)(n < 64 ? n : 64), k);
		return -1;
	next:;
	}
	return 0;
}

/* Two Content-Length headers that differ (RFC 9112: a 400; libevent
 * takes the first, a proxy in front might take the other). */
static int
lengths_conflict(struct evhttp_request *req)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const struct evkeyval *kv;
	const char *first = NULL;

	for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		if (evutil_ascii_strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		if (first == NULL)
			first = kv->value;
		else if (strcmp(first, kv->value) != 0)
			return 1;
	}
	return 0;
}

static void
api_request(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct store_txn *txn = NULL;
	struct conn *c;
	int64_t t0 = clock_mono_us();
	int post = 0, rc;

	if ((c = conn_of(a, req)) != NULL) {
		if (c->stream != NULL)
			return; /* evhttp's error path on a streamed reply */
		c->busy = 1;
		evtimer_del(c->deadline);
		evhttp_request_set_on_complete_cb(req, conn_done, c);
	}
	if (path == NULL) {
		reply_error(req, 400, "malformed request target");
		goto out;
	}
	if (lengths_conflict(req)) {
		reply_error(
		    req, 400, "Content-Length given twice, differently");
		goto out;
	}
	if (check_params(req, path, query) < 0)
		goto out;
	if (strcmp(path, "/v1/query") == 0)
		post = 1;
	else if (strcmp(path, "/v1/cleanup") == 0) {
		/* POST starts a run, GET shows how the last one went. */
		if (cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_GET ||
		    cmd == EVHTTP_REQ_HEAD)
			h_cleanup(a, req, cmd == EVHTTP_REQ_POST);
		else {
			evhttp_add_header(
			    evhttp_request_get_output_headers(req), "Allow",
			    "GET, HEAD, POST");
			reply_error(req, 405, "%s takes GET or POST", path);
		}
		goto out;
	} else if (strcmp(path, "/v1/status") != 0 &&
	           strcmp(path, "/v1/metrics") != 0 &&
	           strcmp(path, "/v1/report") != 0 &&
	           strcmp(path, "/v1/pairs") != 0 &&
	           strcmp(path, "/v1/matches") != 0 &&
	           strcmp(path, "/v1/cluster") != 0 &&
	           strcmp(path, "/v1/sources") != 0 &&
	           strcmp(path, "/v1/explain") != 0) {
		reply_error(req, 404, "no such endpoint: %s", path);
		goto out;
	}
	if (post ? cmd != EVHTTP_REQ_POST
	         : cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", post ? "POST" : "GET, HEAD");
		reply_error(
		    req, 405, "%s takes %s", path, post ? "POST" : "GET");
		goto out;
	}
	if ((rc = store_txn_begin(a->r->st, 0, &txn)) < 0) {
		reply_store_error(req, rc);
		goto out;
	}
	if (strcmp(path, "/v1/status") == 0)
		h_status(a, req, txn);
	else if (strcmp(path, "/v1/pairs") == 0)
		h_pairs(a, req, query);
	else if (strcmp(path, "/v1/matches") == 0)
		h_matches(a, req, query, txn);
	else if (strcmp(path, "/v1/cluster") == 0)
		h_cluster(a, req, query, txn);
	else if (strcmp(path, "/v1/explain") == 0)
		h_explain(a, req, query, txn);
	else if (strcmp(path, "/v1/sources") == 0)
		h_sources(a, req, txn);
	else if (strcmp(path, "/v1/metrics") == 0)
		h_metrics(a, req, txn);
	else if (strcmp(path, "/v1/report") == 0)
		h_report(a, req, query, txn);
	else
		h_query(a, req, query, txn);
	store_txn_abort(txn);
out:
	metrics_query_observe(clock_mono_us() - t0);
}

/* ---- Listener
 * ------------------------------------------------------------------ */

static void
api_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lst = arg;

	evconnlistener_enable(lst);
}

/*
 * accept() failed. Out of file descriptors: the socket stays readable, so
 * stop accepting for a second rather than spin (tmux does the same).
 * arg is not our api: evhttp_bind_listener() made the listener's argument
 * its own, so the timer is a one-shot on the listener's base (freed with
 * the base if the loop ends first).
 */
static void
api_accept_error(struct evconnlistener *lst, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {1, 0};

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		log_warnx(
		    "accept: %s; pausing the socket for 1 s", strerror(err));
		evconnlistener_disable(lst);
		if (event_base_once(evconnlistener_get_base(lst), -1,
		        EV_TIMEOUT, api_backoff_cb, lst, &tv) < 0)
			evconnlistener_enable(lst); /* spin, but serve */
		return;
	}
	if (err != EAGAIN && err != EINTR && err != ECONNABORTED)
		log_warnx("accept: %s", strerror(err));
}

void
api_configure(struct api *a)
{
	const struct config *c = &a->r->cfg;

	/* evhttp answers 413 itself above the limit, before the handler. */
	evhttp_set_max_body_size(a->http, (ev_ssize_t)config_body_limit(c));
	evhttp_set_max_headers_size(a->http, (ev_ssize_t)c->max_headers_size);
	evhttp_set_timeout(a->http, (int)c->http_timeout);
}

int
api_open(struct reprintd *r, int fd, struct api **out)
{
	struct api *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	a->r = r;
	if ((a->http = evhttp_new(r->base)) == NULL ||
	    cleanup_new(r, &a->cleanup) < 0)
		goto nomem;
	evhttp_set_allowed_methods(
	    a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(a->http, "application/json");
	evhttp_set_gencb(a->http, api_request, a);
	evhttp_set_bevcb(a->http, conn_bev, a);
	if ((a->fresh_ev = event_new(r->base, -1, 0, fresh_cb, a)) == NULL)
		goto nomem;
	api_configure(a);
	a->lst = evconnlistener_new(r->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (a->lst == NULL)
		goto nomem;
	fd = -1;
	evconnlistener_set_error_cb(a->lst, api_accept_error);
	if (evhttp_bind_listener(a->http, a->lst) == NULL)
		goto nomem;
	*out = a;
	return 0;
nomem:
	if (fd >= 0)
		close(fd);
	if (a->lst != NULL && a->http != NULL) {
		/* not bound: free the listener ourselves */
		evconnlistener_free(a->lst);
	}
	if (a->http != NULL)
		evhttp_free(a->http);
	if (a->fresh_ev != NULL)
		event_free(a->fresh_ev);
	cleanup_free(a->cleanup);
	free(a);
	return -ENOMEM;
}

void
api_close(struct api *a)
{
	if (a == NULL)
		return;
	/* Frees the bound listener too, which closes the socket, and the
	 * connections (conn_closed frees each conn). */
	evhttp_free(a->http);
	/* evhttp tells only of connections it thinks connected; the
	 * requests of the others are gone with them. */
	while (a->conns != NULL) {
		struct conn *c = a->conns;

		a->conns = c->next;
		if (c->stream != NULL)
			stream_free(c->stream);
		event_free(c->deadline);
		metrics_client_close();
		free(c);
	}
	fresh_cb(-1, 0, a); /* accepted in this round of the loop */
	free(a->fresh);
	event_free(a->fresh_ev);
	cleanup_free(a->cleanup);
	free(a);
}
