/*
 * feed.c - RSS 2.0, RSS 1.0 (RDF) and Atom feeds: each item or entry is
 * a document, read as a JSON feed item is (the mapping is in extract.h,
 * "Feed mapping"). Any other XML is refused (EXTRACT_ENOTFEED).
 *
 * libxml2's streaming reader, one item expanded into a tree at a time, so
 * a feed of thousands of items is never one tree. Options: NONET, RECOVER
 * (feeds are often not well formed: a bare "&", an HTML entity), no
 * NOENT, no DTDLOAD, no HUGE: no external entity or DTD is ever loaded,
 * entity references are not substituted and their text is not read (we
 * collect text nodes ourselves, never through an entity), and libxml2's
 * own limits on depth (256) and on a text node's size hold.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "extract_int.h"

/* Item fields by local name, the first in each list wins. */
static const char *const f_date[] = {"pubDate", "published", "date", "issued",
    "created", "updated", "modified", NULL};
static const char *const f_text[] = {
    "encoded", "content", "description", "summary", NULL};
static const char *const f_author[] = {"creator", "author", NULL};

static const char *
lname(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE ? (const char *)n->name : "";
}

/* The first child element of n named name, or NULL. */
static xmlNode *
child(xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (!strcmp(lname(c), name))
			return c;
	return NULL;
}

static int
has_element_child(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/*
 * The text of n: its text and CDATA children, or, when it holds elements
 * (Atom's type="xhtml", or HTML a feed left unescaped), its children
 * serialized as markup for the HTML extractor. Entity references are not
 * followed. Malloc'd, NUL-terminated; NULL when blank, or on ENOMEM
 * (*rc then).
 */
static char *
node_text(xmlNode *n, size_t max, int *rc)
{
	struct xbuf b = {.max = max};
	xmlBufferPtr xb;
	xmlNode *c;

	*rc = 0;
	if (has_element_child(n)) {
		if ((xb = xmlBufferCreate()) == NULL) {
			*rc = -ENOMEM;
			return NULL;
		}
		for (c = n->children; c != NULL && *rc == 0; c = c->next)
			if (xmlNodeDump(xb, n->doc, c, 0, 0) < 0)
				*rc = -ENOMEM;
		if (*rc == 0)
			*rc = xbuf_put(&b, (const char *)xmlBufferContent(xb),
			    (size_t)xmlBufferLength(xb));
		xmlBufferFree(xb);
	} else {
		for (c = n->children; c != NULL && *rc == 0; c = c->next)
			if ((c->type == XML_TEXT_NODE ||
			        c->type == XML_CDATA_SECTION_NODE) &&
			    c->content != NULL)
				*rc = xbuf_put(&b, (const char *)c->content,
				    strlen((const char *)c->content));
	}
	if (*rc < 0 || b.len == 0 || b.p[strspn(b.p, " \t\r\n")] == '\0') {
		xbuf_free(&b);
		return NULL;
	}
	return xbuf_take(&b, NULL);
}

/* A metadata string from the text of element n (may be NULL). */
static char *
meta_of(xmlNode *n)
{
	char *s, *m;
	int rc;

	if (n == NULL || (s = node_text(n, 64 * 1024, &rc)) == NULL)
		return NULL;
	m = ex_meta_str(s, strlen(s));
	free(s);
	return m;
}

static char *
prop(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = v != NULL ? ex_meta_str((char *)v, strlen((char *)v)) : NULL;

	xmlFree(v);
	return s;
}

/* The item's link: RSS <link>text</link>, Atom <link href> (rel
 * "alternate" or none), else an RSS <guid> that is a permalink. */
static char *
item_link(xmlNode *item)
{
	xmlNode *c;
	char *s, *rel;

	for (c = item->children; c != NULL; c = c->next) {
		if (strcmp(lname(c), "link") != 0)
			continue;
		if ((s = prop(c, "href")) == NULL)
			s = meta_of(c);
		else if ((rel = prop(c, "rel")) != NULL) {
			if (strcmp(rel, "alternate") != 0) {
				free(s);
				s = NULL;
			}
			free(rel);
		}
		if (s != NULL)
			return s;
	}
	if ((c = child(item, "guid")) != NULL &&
	    ((s = prop(c, "isPermaLink")) == NULL || strcmp(s, "false"))) {
		free(s);
		return meta_of(c);
	}
	return NULL;
}

/* The first date of f_date that parses; else a warning about the first
 * one there. */
static void
item_date(xmlNode *item, struct extract_doc *d)
{
	char *s, *bad = NULL;
	int i;

	for (i = 0; f_date[i] != NULL && d->published == 0; i++) {
		if ((s = meta_of(child(item, f_date[i]))) == NULL)
			continue;
		if (extract_parse_date(s, &d->published) < 0 && bad == NULL) {
			bad = s;
			continue;
		}
		free(s);
	}
	if (d->published == 0 && bad != NULL)
		(void)ex_date(bad, &d->published, &d->warning);
	free(bad);
}

/*
 * An Atom text construct's plain text: type="html" holds markup as text
 * (escaped in the feed), type="xhtml" as elements; the tags go, and the
 * entities the markup kept become their characters (a title, not a
 * body: no need for the page's extraction).
 */
static char *
text_construct(xmlNode *n)
{
	static const struct {
		const char *ent, *ch;
	} ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
	    {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}};
	char *s, *type, *o, *m;
	const char *p;
	size_t i;
	int in_tag = 0;

	if (n == NULL || (s = meta_of(n)) == NULL)
		return NULL;
	type = prop(n, "type");
	if (type == NULL ||
	    (strcmp(type, "html") != 0 && strcmp(type, "xhtml") != 0)) {
		free(type);
		return s;
	}
	free(type);
	for (p = s, o = s; *p != '\0'; p++) {
		if (*p == '<')
			in_tag = 1;
		else if (*p == '>' && in_tag)
			in_tag = 0;
		else if (!in_tag) {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
				if (!strncmp(
				        p, ents[i].ent, strlen(ents[i].ent)))
					break;
			if (i < sizeof(ents) / sizeof(ents[0])) {
				*o++ = *ents[i].ch;
				p += strlen(ents[i].ent) - 1;
			} else
				*o++ = *p;
		}
	}
	*o = '\0';
	m = ex_meta_str(s, strlen(s)); /* spaces the tags left */
	free(s);
	return m;
}

static int
item_doc(xmlNode *item, const struct extract_limits *lim, struct extract_doc *d)
{
	xmlNode *n;
	char *body = NULL;
	int i, rc = 0;

	d->title = text_construct(child(item, "title"));
	d->url = item_link(item);
	if ((n = child(item, "source")) != NULL)
		d->source = child(n, "title") != NULL
		                ? meta_of(child(n, "title"))
		                : meta_of(n);
	for (i = 0; f_author[i] != NULL && d->author == NULL; i++)
		if ((n = child(item, f_author[i])) != NULL)
			d->author = child(n, "name") != NULL
			                ? meta_of(child(n, "name"))
			                : meta_of(n);
	item_date(item, d);
	for (i = 0; f_text[i] != NULL && body == NULL && rc == 0; i++)
		if ((n = child(item, f_text[i])) != NULL)
			body = node_text(n, lim->max_output, &rc);
	if (rc < 0)
		return rc;
	if (body == NULL)
		return EXTRACT_EEMPTY;
	rc = ex_body(body, strlen(body), lim, d);
	free(body);
	return rc;
}

/* Offer one item; a NULL item is the rest of a feed that broke off. */
static int
offer(xmlNode *item, const struct extract_limits *lim, size_t *index,
    extract_item_fn fn, void *arg)
{
	struct extract_doc d;
	int err, rc;

	if (*index >= lim->max_items)
		return EXTRACT_EITEMS;
	memset(&d, 0, sizeof(d));
	d.format = EXTRACT_XML;
	err = item != NULL ? item_doc(item, lim, &d) : EXTRACT_EMALFORMED;
	if (err < 0) {
		extract_doc_free(&d);
		d.format = EXTRACT_XML;
		if (err == -ENOMEM)
			return err;
	}
	rc = fn(&d, (*index)++, err, arg);
	extract_doc_free(&d);
	return rc;
}

static int
is_item(const char *name, int depth)
{
	/* rss/channel/item, rdf:RDF/item, feed/entry */
	return depth <= 2 && (!strcmp(name, "item") || !strcmp(name, "entry"));
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_reader(void *arg, const char *msg, xmlParserSeverities severity,
    xmlTextReaderLocatorPtr locator)
{
	(void)arg;
	(void)msg;
	(void)severity;
	(void)locator;
}

static int
read_items(xmlTextReaderPtr r, const struct extract_limits *lim,
    extract_item_fn fn, void *arg)
{
	const char *name;
	xmlNode *item;
	size_t index = 0;
	int ret, rc, root = 0, broken = 0;

	ret = xmlTextReaderRead(r);
	while (ret == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT) {
			ret = xmlTextReaderRead(r);
			continue;
		}
		name = (const char *)xmlTextReaderConstLocalName(r);
		if (name == NULL)
			return -ENOMEM;
		if (!root) {
			if (strcmp(name, "rss") && strcmp(name, "feed") &&
			    strcmp(name, "RDF"))
				return EXTRACT_ENOTFEED;
			root = 1;
		} else if (is_item(name, xmlTextReaderDepth(r))) {
			if ((item = xmlTextReaderExpand(r)) == NULL) {
				broken = 1; /* inside the item */
				break;
			}
			if ((rc = offer(item, lim, &index, fn, arg)) != 0)
				return rc;
			ret = xmlTextReaderNext(r);
			continue;
		}
		ret = xmlTextReaderRead(r);
	}
	if (!root)
		return EXTRACT_EMALFORMED;
	if (ret < 0 || broken) {
		/* The items read so far stay; the rest is said to be lost. */
		if (index == 0)
			return EXTRACT_EMALFORMED;
		return offer(NULL, lim, &index, fn, arg);
	}
	return index == 0 ? EXTRACT_EEMPTY : 0;
}

int
ex_feed_each(const char *data, size_t len, const struct extract_limits *lim,
    extract_item_fn fn, void *arg)
{
	xmlTextReaderPtr r;
	xmlGenericErrorFunc ofn;
	void *octx;
	int utf8, rc,
	    opts = XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
	           XML_PARSE_NOWARNING | XML_PARSE_COMPACT;

	if (len > INT_MAX)
		return EXTRACT_ETOOBIG;
	/* The handler is per thread in libxml2: save, silence, restore. */
	ofn = xmlGenericError;
	octx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, quiet);
	/* UTF-8 bytes are UTF-8 whatever the declaration says, as for a
	 * page (ex_html). */
	if ((utf8 = ex_utf8_multibyte(data, len)))
		opts |= XML_PARSE_IGNORE_ENC;
	r = xmlReaderForMemory(
	    data, (int)len, NULL, utf8 ? "UTF-8" : NULL, opts);
	if (r == NULL) {
		rc = -ENOMEM;
	} else {
		xmlTextReaderSetErrorHandler(r, quiet_reader, NULL);
		rc = read_items(r, lim, fn, arg);
		xmlFreeTextReader(r);
	}
	xmlSetGenericErrorFunc(octx, ofn);
	return rc;
}
