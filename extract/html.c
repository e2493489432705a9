/*
 * html.c - web page to article text and metadata, with libxml2's HTML
 * parser.
 *
 * The parser runs with RECOVER (tag soup is the norm), NONET, no error
 * output. It does not read a DOCTYPE's internal subset, so entity
 * declarations ("billion laughs") are inert: only the predefined HTML
 * entities are expanded. It stops building the tree at 256 levels; a page
 * cut off there is refused as too deep rather than half read.
 *
 * All tree walks are iterative (parent/next pointers), so the depth of a
 * page cannot exhaust our stack.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "extract_int.h"

#define HTML_TREE_LIMIT 250 /* below libxml2's own 256 */
#define MAX_CANDIDATES 64

/* Elements never part of the article. */
static const char *const drop_tags[] = {"script", "style", "noscript", "nav",
    "header", "footer", "aside", "form", "iframe", "svg", "button", "template",
    "select", "textarea", "input", "object", "embed", "canvas", "audio",
    "video", "dialog", "menu", "head", "title", "meta", "link", "math", "map",
    NULL};

/* Block elements: 2 = a paragraph (blank line), 1 = a line. */
static const struct {
	const char *tag;
	int level;
} blocks[] = {{"p", 3}, {"div", 3}, {"h1", 3}, {"h2", 3}, {"h3", 3}, {"h4", 3},
    {"h5", 3}, {"h6", 3}, {"section", 3}, {"article", 3}, {"blockquote", 3},
    {"main", 3}, {"ul", 3}, {"ol", 3}, {"dl", 3}, {"table", 3}, {"pre", 3},
    {"hr", 3}, {"figure", 3}, {"address", 3}, {"center", 3}, {"li", 2},
    {"br", 2}, {"tr", 2}, {"dt", 2}, {"dd", 2}, {"figcaption", 2},
    {"caption", 2}, {"td", 1}, {"th", 1}, {NULL, 0}};

/*
 * Words in class/id values that mark site chrome. Matched against each
 * token of the value (split at anything but letters and digits), at its
 * start or end: "navbar", "topnav", "share-bar", "cookieBanner".
 */
static const char *const chrome_words[] = {"nav", "menu", "share", "sharing",
    "social", "cookie", "consent", "banner", "comment", "related", "promo",
    "newsletter", "subscribe", "subscription", "footer", "header", "sidebar",
    "breadcrumb", "advert", "sponsor", "popup", "modal", "masthead", "toolbar",
    "signup", "paywall", "outbrain", "taboola", "disqus", "recommend",
    "trending", "skiplink", "popular", "blurb", "about", "bio", "tagline",
    "donate", NULL};

/* Whole tokens that mark advertising ("ad-slot" -> "ad"). */
static const char *const ad_tokens[] = {"ad", "ads", "adslot", "adunit",
    "adsense", "adsbygoogle", "adcontainer", "adwrapper", "adbox", "dfp", NULL};

/* role= values of chrome. */
static const char *const chrome_roles[] = {"navigation", "banner",
    "contentinfo", "complementary", "search", "menu", "menubar", "dialog",
    "alertdialog", "toolbar", NULL};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (!strcasecmp(s, *list))
			return 1;
	return 0;
}

static const char *
tag(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE ? (const char *)n->name : "";
}

/* An attribute's value when it is a plain text (it always is from the HTML
 * parser), else NULL. */
static const char *
attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next)
		if (!strcasecmp((const char *)a->name, name)) {
			if (a->children == NULL)
				return "";
			if (a->children->type == XML_TEXT_NODE &&
			    a->children->next == NULL)
				return (const char *)a->children->content;
			return NULL;
		}
	return NULL;
}

static int
token_is_chrome(const char *t, size_t n)
{
	char low[64];
	size_t i, wl;
	int k;

	if (n == 0 || n >= sizeof(low))
		return 0;
	for (i = 0; i < n; i++)
		low[i] =
		    (char)((t[i] >= 'A' && t[i] <= 'Z') ? t[i] + 32 : t[i]);
	low[n] = '\0';
	if (in_list(low, ad_tokens) || !strncmp(low, "advert", 6))
		return 1;
	for (k = 0; chrome_words[k] != NULL; k++) {
		wl = strlen(chrome_words[k]);
		if (n < wl)
			continue;
		if (!strncmp(low, chrome_words[k], wl) ||
		    !strcmp(low + n - wl, chrome_words[k]))
			return 1;
		/* plural: "comments", "menus" */
		if (n == wl + 1 && low[n - 1] == 's' &&
		    !strncmp(low, chrome_words[k], wl))
			return 1;
	}
	return 0;
}

static int
value_is_chrome(const char *v)
{
	const char *s = v, *e;

	if (v == NULL)
		return 0;
	while (*s != '\0') {
		while (*s != '\0' &&
		       !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		           (*s >= '0' && *s <= '9')))
			s++;
		e = s;
		while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		       (*e >= '0' && *e <= '9'))
			e++;
		if (e > s && token_is_chrome(s, (size_t)(e - s)))
			return 1;
		s = e;
	}
	return 0;
}

static int
contains_ci(const char *h, const char *needle)
{
	size_t n = strlen(needle);

	for (; h != NULL && *h != '\0'; h++)
		if (!strncasecmp(h, needle, n))
			return 1;
	return 0;
}

static int
is_hidden(const xmlNode *n)
{
	const char *v;

	if (attr(n, "hidden") != NULL)
		return 1;
	if ((v = attr(n, "aria-hidden")) != NULL && !strcasecmp(v, "true"))
		return 1;
	if ((v = attr(n, "style")) != NULL &&
	    (contains_ci(v, "display:none") || contains_ci(v, "display: none")))
		return 1;
	return 0;
}

/* Never part of the article whatever its attributes say. */
static int
drop_by_tag(const xmlNode *n)
{
	return in_list(tag(n), drop_tags) || is_hidden(n);
}

/* Site chrome by class, id or role. The page's frame never is. */
static int
drop_by_attr(const xmlNode *n)
{
	const char *t = tag(n), *v;

	if (!strcmp(t, "html") || !strcmp(t, "body") || !strcmp(t, "main"))
		return 0;
	if ((v = attr(n, "itemprop")) != NULL && contains_ci(v, "articleBody"))
		return 0;
	if ((v = attr(n, "role")) != NULL && in_list(v, chrome_roles))
		return 1;
	return value_is_chrome(attr(n, "class")) ||
	       value_is_chrome(attr(n, "id"));
}

static int
block_level(const xmlNode *n)
{
	int i;

	for (i = 0; blocks[i].tag != NULL; i++)
		if (!strcmp(tag(n), blocks[i].tag))
			return blocks[i].level;
	return 0;
}

/* ---- Text ------------------------------------------------------------- */

struct emit {
	struct xbuf b;
	int pending; /* 0 none, 1 space, 2 line, 3 paragraph */
	int rc;
};

static void
brk(struct emit *e, int level)
{
	if (level > e->pending)
		e->pending = level;
}

static int
is_ws(const unsigned char *s, size_t i, size_t len, size_t *w)
{
	if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
	    s[i] == '\f' || s[i] == '\v') {
		*w = 1;
		return 1;
	}
	if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0xa0) {
		*w = 2;
		return 1;
	}
	return 0;
}

static void
emit_text(struct emit *e, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, j, w;
	static const char *seps[] = {"", " ", "\n", "\n\n"};

	while (i < len && e->rc == 0) {
		if (is_ws(s, i, len, &w)) {
			brk(e, 1);
			i += w;
			continue;
		}
		for (j = i; j < len && !is_ws(s, j, len, &w); j++)
			;
		if (e->b.len > 0 && e->pending > 0)
			e->rc = xbuf_put(
			    &e->b, seps[e->pending], strlen(seps[e->pending]));
		e->pending = 0;
		if (e->rc == 0)
			e->rc = xbuf_put(&e->b, text + i, j - i);
		i = j;
	}
}

/*
 * The text under root (not root itself). full: drop chrome by class/id/
 * role too, not only by tag.
 */
static int
emit_tree(xmlNode *root, int full, size_t max, char **out, size_t *olen)
{
	struct emit e = {.b = {.max = max}};
	xmlNode *n = root->children;
	int lvl;

	while (n != NULL && e.rc == 0) {
		int down = 0;

		if (n->type == XML_ELEMENT_NODE) {
			if (drop_by_tag(n) || (full && drop_by_attr(n))) {
				brk(&e, 1);
			} else {
				if ((lvl = block_level(n)) > 0)
					brk(&e, lvl);
				down = 1;
			}
		} else if ((n->type == XML_TEXT_NODE ||
		               n->type == XML_CDATA_SECTION_NODE) &&
		           n->content != NULL) {
			emit_text(&e, (const char *)n->content);
		}
		if (down && n->children != NULL) {
			n = n->children;
			continue;
		}
		for (;;) {
			if (n->type == XML_ELEMENT_NODE &&
			    (lvl = block_level(n)) > 0)
				brk(&e, lvl);
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (n == root || n == NULL) {
				n = NULL;
				break;
			}
		}
	}
	if (e.rc < 0) {
		xbuf_free(&e.b);
		return e.rc;
	}
	if ((*out = xbuf_take(&e.b, olen)) == NULL)
		return -ENOMEM;
	return 0;
}

/* ---- Metadata --------------------------------------------------------- */

enum { M_TITLE, M_URL, M_SOURCE, M_AUTHOR, M_N };

struct meta {
	char *v[M_N];
	int prio[M_N];
	int64_t published;
	int pub_prio;
	char *warning;      /* the first date that did not parse */
	int title_from_tag; /* title came from <title>: may carry " | Site" */
};

static void
meta_set(struct meta *m, int f, const char *v, int prio)
{
	char *s;

	if (v == NULL || (m->v[f] != NULL && m->prio[f] <= prio))
		return;
	if ((s = ex_meta_str(v, strlen(v))) == NULL)
		return;
	free(m->v[f]);
	m->v[f] = s;
	m->prio[f] = prio;
}

static void
meta_date(struct meta *m, const char *v, int prio)
{
	int64_t t;

	if (v == NULL || (m->published != 0 && m->pub_prio <= prio))
		return;
	if (ex_date(v, &t, &m->warning) == 0 && t != 0) {
		m->published = t;
		m->pub_prio = prio;
	}
}

static int
is_article_type(json_t *t)
{
	const char *s;
	size_t i, n;

	if (json_is_array(t)) {
		for (i = 0; i < json_array_size(t); i++)
			if (is_article_type(json_array_get(t, i)))
				return 1;
		return 0;
	}
	if ((s = json_string_value(t)) == NULL)
		return 0;
	n = strlen(s);
	return (n >= 7 && !strcmp(s + n - 7, "Article")) ||
	       !strcmp(s, "BlogPosting") || !strcmp(s, "LiveBlogPosting") ||
	       !strcmp(s, "Report");
}

/* A name from "x", {"name": "x"} or ["x", ...]. */
static const char *
ld_name(json_t *v)
{
	if (json_is_array(v))
		v = json_array_get(v, 0);
	if (json_is_object(v))
		v = json_object_get(v, "name");
	return json_string_value(v);
}

static void
ld_visit(struct meta *m, json_t *v, int depth)
{
	json_t *x;
	size_t i;

	if (depth > 4)
		return;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && i < 64; i++)
			ld_visit(m, json_array_get(v, i), depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (is_article_type(json_object_get(v, "@type"))) {
		meta_set(m, M_TITLE,
		    json_string_value(json_object_get(v, "headline")), 1);
		meta_set(
		    m, M_URL, json_string_value(json_object_get(v, "url")), 3);
		if ((x = json_object_get(v, "mainEntityOfPage")) != NULL)
			meta_set(m, M_URL,
			    json_is_object(x)
			        ? json_string_value(json_object_get(x, "@id"))
			        : json_string_value(x),
			    4);
		meta_set(
		    m, M_SOURCE, ld_name(json_object_get(v, "publisher")), 2);
		meta_set(m, M_AUTHOR, ld_name(json_object_get(v, "author")), 1);
		meta_date(m,
		    json_string_value(json_object_get(v, "datePublished")), 1);
		meta_date(
		    m, json_string_value(json_object_get(v, "dateCreated")), 5);
	}
	if ((x = json_object_get(v, "@graph")) != NULL)
		ld_visit(m, x, depth + 1);
}

static void
ld_json(struct meta *m, const char *s, const struct extract_limits *lim)
{
	json_error_t err;
	json_t *v;
	size_t len = strlen(s);

	if (ex_json_too_deep(s, len, lim->max_depth))
		return;
	if ((v = json_loadb(s, len, JSON_DECODE_ANY, &err)) == NULL)
		return;
	ld_visit(m, v, 0);
	json_decref(v);
}

/* The text of an element's children, for <title> and <script>. */
static const char *
child_text(const xmlNode *n)
{
	const xmlNode *c = n->children;

	if (c != NULL &&
	    (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
	    c->next == NULL)
		return (const char *)c->content;
	return NULL;
}

static void
meta_tag(struct meta *m, const xmlNode *n)
{
	static const char *dates[] = {"date", "pubdate", "publishdate",
	    "publish-date", "publish_date", "dc.date", "dc.date.issued",
	    "dcterms.created", "dcterms.date", "sailthru.date",
	    "parsely-pub-date", "article.published", "original-publish-date",
	    "og:published_time", NULL};
	const char *key = attr(n, "property"), *c = attr(n, "content");

	if (c == NULL)
		return;
	if (key == NULL)
		key = attr(n, "name");
	if (key == NULL && (key = attr(n, "itemprop")) != NULL) {
		if (!strcmp(key, "datePublished"))
			meta_date(m, c, 3);
		else if (!strcmp(key, "headline"))
			meta_set(m, M_TITLE, c, 3);
		return;
	}
	if (key == NULL)
		return;
	if (!strcasecmp(key, "og:title"))
		meta_set(m, M_TITLE, c, 2);
	else if (!strcasecmp(key, "twitter:title"))
		meta_set(m, M_TITLE, c, 3);
	else if (!strcasecmp(key, "og:url"))
		meta_set(m, M_URL, c, 2);
	else if (!strcasecmp(key, "og:site_name"))
		meta_set(m, M_SOURCE, c, 1);
	else if (!strcasecmp(key, "application-name"))
		meta_set(m, M_SOURCE, c, 4);
	else if (!strcasecmp(key, "author") ||
	         !strcasecmp(key, "parsely-author") ||
	         !strcasecmp(key, "sailthru.author") ||
	         !strcasecmp(key, "dc.creator"))
		meta_set(m, M_AUTHOR, c, 2);
	else if (!strcasecmp(key, "article:author") &&
	         strncmp(c, "http", 4) != 0)
		meta_set(m, M_AUTHOR, c, 3);
	else if (!strcasecmp(key, "article:published_time"))
		meta_date(m, c, 2);
	else if (in_list(key, dates))
		meta_date(m, c, 4);
}

static int
is_ancestor(const xmlNode *a, const xmlNode *n)
{
	for (; n != NULL; n = n->parent)
		if (n == a)
			return 1;
	return 0;
}

/* ---- Page ------------------------------------------------------------- */

struct page {
	xmlNode *body, *main;
	xmlNode *articles[MAX_CANDIDATES], *bodies[MAX_CANDIDATES];
	xmlNode *times[MAX_CANDIDATES];
	size_t narticles, nbodies, ntimes;
	int maxdepth;
};

/*
 * One walk over the whole tree: metadata, candidates for the article,
 * depth. Candidates inside elements dropped by tag (an <aside> of related
 * stories) do not count.
 */
static void
survey(xmlNode *root, struct page *pg, struct meta *m,
    const struct extract_limits *lim)
{
	xmlNode *n = root, *dropped = NULL, *in_body = NULL;
	xmlNode *in_article = NULL;
	const char *t, *v;
	int depth = 1;

	while (n != NULL) {
		if (depth > pg->maxdepth)
			pg->maxdepth = depth;
		if (n->type == XML_ELEMENT_NODE) {
			t = tag(n);
			if (dropped == NULL && strcmp(t, "head") &&
			    strcmp(t, "title") && drop_by_tag(n))
				dropped = n;
			if (!strcmp(t, "title") && dropped == NULL &&
			    (v = child_text(n)) != NULL) {
				meta_set(m, M_TITLE, v, 6);
				m->title_from_tag = 1;
			} else if (!strcmp(t, "meta")) {
				meta_tag(m, n);
			} else if (!strcmp(t, "link") &&
			           (v = attr(n, "rel")) != NULL &&
			           !strcasecmp(v, "canonical")) {
				meta_set(m, M_URL, attr(n, "href"), 1);
			} else if (!strcmp(t, "script") &&
			           (v = attr(n, "type")) != NULL &&
			           !strcasecmp(v, "application/ld+json") &&
			           (v = child_text(n)) != NULL) {
				ld_json(m, v, lim);
			} else if (!strcmp(t, "body") && pg->body == NULL) {
				pg->body = n;
			}
			if (dropped == NULL) {
				/* Outermost candidates only: their subtrees
				 * are disjoint, so measuring all of them is
				 * one pass over the page. */
				if ((v = attr(n, "itemprop")) != NULL &&
				    contains_ci(v, "articleBody")) {
					if (in_body == NULL &&
					    pg->nbodies < MAX_CANDIDATES)
						pg->bodies[pg->nbodies++] = n;
					if (in_body == NULL)
						in_body = n;
				} else if (!strcmp(t, "article")) {
					if (in_article == NULL &&
					    pg->narticles < MAX_CANDIDATES)
						pg->articles[pg->narticles++] =
						    n;
					if (in_article == NULL)
						in_article = n;
				} else if (pg->main == NULL &&
				           (!strcmp(t, "main") ||
				               ((v = attr(n, "role")) != NULL &&
				                   !strcasecmp(v, "main")))) {
					pg->main = n;
				}
				if (!strcmp(t, "time") &&
				    attr(n, "datetime") != NULL) {
					v = attr(n, "itemprop");
					if ((v != NULL &&
					        !strcmp(v, "datePublished")) ||
					    attr(n, "pubdate") != NULL)
						meta_date(
						    m, attr(n, "datetime"), 3);
					else if (pg->ntimes < MAX_CANDIDATES)
						pg->times[pg->ntimes++] = n;
				}
			}
		}
		if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			depth++;
			continue;
		}
		for (;;) {
			if (n == dropped)
				dropped = NULL;
			if (n == in_body)
				in_body = NULL;
			if (n == in_article)
				in_article = NULL;
			if (n == root) {
				n = NULL;
				break;
			}
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			depth--;
		}
	}
}

/* The candidate with the most text. */
static xmlNode *
best_of(xmlNode **c, size_t n, size_t max)
{
	xmlNode *best = NULL;
	size_t i, len, bestlen = 0;
	char *s;

	for (i = 0; i < n; i++) {
		if (emit_tree(c[i], 1, max, &s, &len) < 0)
			continue;
		free(s);
		if (best == NULL || len > bestlen) {
			best = c[i];
			bestlen = len;
		}
	}
	return bestlen > 0 ? best : NULL;
}

/* Strip " | Site" or " - Site" from a <title> when Site is the source. */
static void
strip_site(char *title, const char *site)
{
	static const char *const seps[] = {
	    "|", "-", ":", "\xe2\x80\x93", "\xe2\x80\x94", "\xc2\xb7", NULL};
	size_t tl = strlen(title), sl = strlen(site), n;
	char *p;
	int k;

	if (sl == 0 || tl <= sl + 2)
		return;
	p = title + tl - sl;
	if (strcasecmp(p, site) != 0)
		return;
	while (p > title && p[-1] == ' ')
		p--;
	for (k = 0; seps[k] != NULL; k++) {
		n = strlen(seps[k]);
		if ((size_t)(p - title) >= n && !memcmp(p - n, seps[k], n)) {
			p -= n;
			break;
		}
	}
	if (seps[k] == NULL)
		return;
	while (p > title && p[-1] == ' ')
		p--;
	if (p > title)
		*p = '\0';
}

int
ex_looks_html(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++) {
		if (s[i] == '<' &&
		    (((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z') ||
		        s[i + 1] == '/' || s[i + 1] == '!') &&
		    memchr(s + i, '>', len - i) != NULL)
			return 1;
		if (s[i] == '&' &&
		    (s[i + 1] == '#' || ((s[i + 1] | 0x20) >= 'a' &&
		                            (s[i + 1] | 0x20) <= 'z'))) {
			size_t j = i + 1;
			while (
			    j < len && j < i + 10 && s[j] != ';' && s[j] != ' ')
				j++;
			if (j < len && s[j] == ';')
				return 1;
		}
	}
	return 0;
}

/* libxml2 reports some errors (encoding conversion) through its generic
 * handler even with HTML_PARSE_NOERROR; hostile input must not fill the
 * daemon's log. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
ex_html(const char *data, size_t len, const char *encoding,
    const struct extract_limits *lim, struct extract_doc *out)
{
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc = NULL;
	xmlNode *root, *best = NULL;
	struct page pg;
	struct meta m;
	char *text = NULL, *t2 = NULL;
	size_t tlen = 0, i;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	           HTML_PARSE_NOWARNING | XML_PARSE_NONET | HTML_PARSE_COMPACT;
	xmlGenericErrorFunc ofn;
	void *octx;
	int rc, limit;

	memset(&pg, 0, sizeof(pg));
	memset(&m, 0, sizeof(m));
	if (len > lim->max_input)
		return EXTRACT_ETOOBIG;
	if (len > INT_MAX)
		return EXTRACT_ETOOBIG;
	/* libxml2 believes the page's <meta charset>, and without one reads
	 * Latin-1: both wrong for UTF-8 bytes. (A page that says UTF-8 and
	 * is not is read right: libxml2 falls back on invalid bytes.) */
	if (encoding == NULL && ex_utf8_multibyte(data, len))
		encoding = "UTF-8";
	if (encoding != NULL)
		opts |= HTML_PARSE_IGNORE_ENC;
	if ((ctxt = htmlNewParserCtxt()) == NULL)
		return -ENOMEM;
	/* The handler is per thread in libxml2: save, silence, restore. */
	ofn = xmlGenericError;
	octx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, quiet);
	doc = htmlCtxtReadMemory(ctxt, data, (int)len, NULL, encoding, opts);
	htmlFreeParserCtxt(ctxt);
	xmlSetGenericErrorFunc(octx, ofn);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		rc = EXTRACT_EEMPTY;
		goto out;
	}
	survey(root, &pg, &m, lim);
	limit = lim->max_depth < HTML_TREE_LIMIT ? (int)lim->max_depth
	                                         : HTML_TREE_LIMIT;
	if (pg.maxdepth > limit) {
		rc = EXTRACT_EDEPTH;
		goto out;
	}
	if (pg.nbodies > 0)
		best = best_of(pg.bodies, pg.nbodies, lim->max_output);
	if (best == NULL && pg.narticles > 0)
		best = best_of(pg.articles, pg.narticles, lim->max_output);
	if (best == NULL && pg.main != NULL)
		best = pg.main;
	if (best == NULL)
		best = pg.body != NULL ? pg.body : root;
	if ((rc = emit_tree(best, 1, lim->max_output, &text, &tlen)) < 0)
		goto out;
	if (tlen == 0) {
		/* Everything looked like chrome: a wrapper called
		 * "page-with-sidebar". Trust the tags alone. */
		free(text);
		text = NULL;
		if ((rc = emit_tree(best, 0, lim->max_output, &text, &tlen)) <
		    0)
			goto out;
	}
	if ((rc = ex_tidy(text, tlen, lim->max_output, &t2, &tlen)) < 0)
		goto out;
	/* The first <time datetime> inside the article. */
	for (i = 0; i < pg.ntimes; i++)
		if (is_ancestor(best, pg.times[i])) {
			meta_date(&m, attr(pg.times[i], "datetime"), 6);
			break;
		}
	if (m.title_from_tag && m.prio[M_TITLE] == 6 && m.v[M_SOURCE] != NULL)
		strip_site(m.v[M_TITLE], m.v[M_SOURCE]);
	if (out->text == NULL) {
		out->text = t2;
		out->text_len = tlen;
		t2 = NULL;
	}
	ex_fill(&out->title, m.v[M_TITLE]);
	ex_fill(&out->url, m.v[M_URL]);
	ex_fill(&out->source, m.v[M_SOURCE]);
	ex_fill(&out->author, m.v[M_AUTHOR]);
	if (out->published == 0)
		out->published = m.published;
	if (out->published != 0) {
		/* A date here settles the caller's unparsable one (a JSON
		 * item's field, a mail's Date:). */
		free(out->warning);
		out->warning = NULL;
	} else if (out->warning == NULL) {
		out->warning = m.warning;
		m.warning = NULL;
	}
	rc = 0;
out:
	for (i = 0; i < M_N; i++)
		free(m.v[i]);
	free(m.warning);
	free(text);
	free(t2);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}
