/*
 * json.c - feed items in JSON: one object, an array of objects, an object
 * with an "items"/"articles"/"entries" array, or JSON lines. The field
 * mapping is documented in extract.h.
 *
 * jansson parses recursively with its own limit of 2048 levels; we refuse
 * anything deeper than max_depth with a byte scan before it gets there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "extract_int.h"

static const char *const f_title[] = {"title", "headline", "name", NULL};
static const char *const f_url[] = {
    "url", "link", "canonical_url", "external_url", "permalink", NULL};
static const char *const f_source[] = {
    "source", "site", "site_name", "publisher", "feed", NULL};
static const char *const f_author[] = {
    "author", "byline", "creator", "authors", NULL};
static const char *const f_date[] = {"published", "date", "pubDate",
    "published_at", "datePublished", "date_published", "publishedAt",
    "created_at", "time", NULL};
static const char *const f_text[] = {"body", "content", "content_text",
    "content_html", "text", "articleBody", "article", "description", "summary",
    NULL};
static const char *const f_list[] = {"items", "articles", "entries", NULL};

int
ex_json_too_deep(const char *s, size_t len, unsigned max)
{
	size_t i, depth = 0;
	int str = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"' || c == '\n')
				str = 0; /* a raw newline ends a broken line */
			continue;
		}
		if (c == '"')
			str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				return 1;
		} else if ((c == '}' || c == ']') && depth > 0)
			depth--;
	}
	return 0;
}

/* A string from "x", {"name"|"rendered"|"value"|"title": "x"} or [that]. */
static const char *
str_of(json_t *v)
{
	static const char *const keys[] = {
	    "name", "rendered", "value", "title", NULL};
	json_t *x;
	int i;

	if (json_is_array(v))
		v = json_array_get(v, 0);
	if (json_is_object(v)) {
		for (i = 0; keys[i] != NULL; i++)
			if ((x = json_object_get(v, keys[i])) != NULL &&
			    json_is_string(x))
				return json_string_value(x);
		return NULL;
	}
	return json_string_value(v);
}

static const char *
field(json_t *o, const char *const *names, json_t **raw)
{
	const char *s;
	json_t *v;
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if ((v = json_object_get(o, names[i])) == NULL)
			continue;
		if (raw != NULL && json_is_number(v)) {
			*raw = v;
			return NULL;
		}
		if ((s = str_of(v)) != NULL && s[strspn(s, " \t\r\n")] != '\0')
			return s;
	}
	return NULL;
}

static int
item_doc(json_t *o, const struct extract_limits *lim, struct extract_doc *d)
{
	json_t *num = NULL;
	const char *s, *body = NULL;
	size_t blen = 0;
	double t;
	int i;
	json_t *v;

	if (!json_is_object(o))
		return EXTRACT_EMALFORMED;
	if ((s = field(o, f_title, NULL)) != NULL)
		d->title = ex_meta_str(s, strlen(s));
	if ((s = field(o, f_url, NULL)) != NULL)
		d->url = ex_meta_str(s, strlen(s));
	if ((s = field(o, f_source, NULL)) != NULL)
		d->source = ex_meta_str(s, strlen(s));
	if ((s = field(o, f_author, NULL)) != NULL)
		d->author = ex_meta_str(s, strlen(s));
	if ((s = field(o, f_date, &num)) != NULL)
		(void)ex_date(s, &d->published, &d->warning);
	else if (num != NULL) {
		t = json_number_value(num);
		if (t > 1e11)
			t /= 1000; /* milliseconds */
		if (t > 0 && t < 1e11)
			d->published = (int64_t)t;
	}
	for (i = 0; f_text[i] != NULL && body == NULL; i++) {
		v = json_object_get(o, f_text[i]);
		if ((s = str_of(v)) == NULL || s[strspn(s, " \t\r\n")] == '\0')
			continue;
		body = s;
		blen = json_is_string(v) ? json_string_length(v) : strlen(s);
	}
	if (body == NULL)
		return EXTRACT_EEMPTY;
	return ex_body(body, blen, lim, d);
}

struct iter {
	const struct extract_limits *lim;
	extract_item_fn fn;
	void *arg;
	size_t index;
};

/* Offer one item to the callback. Returns the callback's nonzero value,
 * EXTRACT_EITEMS, -ENOMEM, or 0 to go on. */
static int
offer(struct iter *it, json_t *o)
{
	struct extract_doc d;
	int rc, err;

	if (it->index >= it->lim->max_items)
		return EXTRACT_EITEMS;
	memset(&d, 0, sizeof(d));
	d.format = EXTRACT_JSON;
	err = o != NULL ? item_doc(o, it->lim, &d) : EXTRACT_EMALFORMED;
	if (err == -ENOMEM) {
		extract_doc_free(&d);
		return err;
	}
	if (err < 0) {
		extract_doc_free(&d);
		d.format = EXTRACT_JSON;
	}
	rc = it->fn(&d, it->index++, err, it->arg);
	extract_doc_free(&d);
	return rc;
}

/* A top-level value: an item or a list of them. */
static int
offer_value(struct iter *it, json_t *v)
{
	json_t *list = NULL;
	size_t i;
	int rc, k;

	if (json_is_object(v)) {
		for (k = 0; f_list[k] != NULL && list == NULL; k++)
			if (json_is_array(json_object_get(v, f_list[k])))
				list = json_object_get(v, f_list[k]);
		if (list == NULL || field(v, f_text, NULL) != NULL)
			return offer(it, v);
		v = list;
	}
	if (!json_is_array(v))
		return offer(it, NULL);
	for (i = 0; i < json_array_size(v); i++)
		if ((rc = offer(it, json_array_get(v, i))) != 0)
			return rc;
	return 0;
}

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

int
ex_json_each(const char *data, size_t len, int lines,
    const struct extract_limits *lim, extract_item_fn fn, void *arg)
{
	struct iter it = {lim, fn, arg, 0};
	json_error_t err;
	json_t *v;
	size_t pos, nl;
	int rc, first = 1;

	if (ex_json_too_deep(data, len, lim->max_depth))
		return EXTRACT_EDEPTH;
	pos = skip_ws(data, 0, len);
	if (pos + 3 <= len && !memcmp(data + pos, "\xef\xbb\xbf", 3))
		pos = skip_ws(data, pos + 3, len);
	if (pos == len)
		return EXTRACT_EEMPTY;
	while (pos < len) {
		v = json_loadb(
		    data + pos, len - pos, JSON_DISABLE_EOF_CHECK, &err);
		if (v == NULL) {
			/* One broken text is the file's error; in JSON lines
			 * it is one item's, and the next line goes on. */
			if (first && !lines)
				return EXTRACT_EMALFORMED;
			if ((rc = offer(&it, NULL)) != 0)
				return rc;
			nl = pos;
			while (nl < len && data[nl] != '\n')
				nl++;
			pos = skip_ws(data, nl, len);
			first = 0;
			continue;
		}
		if (err.position <= 0) {
			json_decref(v);
			return EXTRACT_EMALFORMED; /* no progress: cannot be */
		}
		pos += (size_t)err.position;
		rc = offer_value(&it, v);
		json_decref(v);
		if (rc != 0)
			return rc;
		pos = skip_ws(data, pos, len);
		first = 0;
		lines = 1;
	}
	return 0;
}
