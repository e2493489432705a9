/*
 * test_extract.c - extract/: formats, metadata, hostile inputs, and one
 * invented article in four formats giving the same words.
 *
 * All texts here were written for these tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract.h"
#include "extract_int.h" /* ex_header_text, ex_to_utf8 */

/* ---- Helpers ---------------------------------------------------------- */

static int
run(const char *name, const char *s, size_t len,
    const struct extract_limits *lim, struct extract_doc *d)
{
	return extract_doc(name, s, len, lim, d);
}

static int
runs(const char *name, const char *s, struct extract_doc *d)
{
	return run(name, s, strlen(s), NULL, d);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing string for generated inputs. */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
sb_repeat(struct sb *b, const char *s, size_t times)
{
	size_t n = strlen(s), i;

	if (b->len + n * times + 1 > b->cap) {
		b->cap = b->len + n * times + 1;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	for (i = 0; i < times; i++)
		memcpy(b->p + b->len + i * n, s, n);
	b->len += n * times;
	b->p[b->len] = '\0';
}

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (strstr((hay), (needle)) == NULL)                           \
			fail_msg("missing \"%s\" in:\n%s", (needle), (hay));   \
	} while (0)
#define assert_lacks(hay, needle)                                              \
	do {                                                                   \
		if (strstr((hay), (needle)) != NULL)                           \
			fail_msg(                                              \
			    "unexpected \"%s\" in:\n%s", (needle), (hay));     \
	} while (0)

/* ---- The invented article --------------------------------------------- */

static const char *const story_title =
    "Harbour town votes to relight its old lighthouse";
static const char *const story[] = {
    "The council of Pellmoor voted 9 to 2 on Tuesday evening to restore "
    "the town's disused lighthouse, dark since 1987, and to fit it with "
    "a low-energy lamp paid for largely by residents.",
    "Campaigners had collected 41,300 euros in eighteen months, about "
    "two thirds of the estimated cost. The remainder will come from the "
    "harbour fund, which the council says has been underspent for three "
    "years in a row.",
    "\"Every fisherman here grew up with that light on the headland,\" "
    "said Maren Oduya, who chairs the Friends of Pellmoor Light. \"It "
    "stopped being a beacon and became a landmark. Now it can be both "
    "again.\"",
    "Two councillors voted against, arguing that the money would be "
    "better spent on dredging the inner basin, where silt has left "
    "smaller boats stranded at low tide on several occasions this "
    "spring.",
    "Work on the tower's cracked lantern room is expected to start in "
    "September. The harbour master, Ivo Trelane, said the restored lamp "
    "would not be an official navigation aid but would be switched on "
    "every night from dusk until midnight.",
};
#define NSTORY (sizeof(story) / sizeof(story[0]))

/* Escape for HTML text / JSON strings. */
static void
sb_html_escaped(struct sb *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sb_add(b, "&quot;");
		else if (*s == '&')
			sb_add(b, "&amp;");
		else if (*s == '\'')
			sb_add(b, "&#39;");
		else
			sb_add(b, "%c", *s);
	}
}

static void
sb_json_escaped(struct sb *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\%c", *s);
		else if (*s == '\n')
			sb_add(b, "\\n");
		else
			sb_add(b, "%c", *s);
	}
}

/* Site chrome shared by the generated page and the hand-written one. */
static const char *const chrome_top =
    "<header class=\"site-header\"><a class=\"logo\" href=\"/\">The Coast "
    "Courier</a>\n"
    "<nav class=\"main-nav\"><ul><li><a href=\"/news\">News</a></li>"
    "<li><a href=\"/sport\">Sport</a></li><li><a href=\"/weather\">Tide "
    "tables</a></li></ul></nav></header>\n"
    "<div id=\"cookie-banner\" class=\"cookie-consent\"><p>We use cookies "
    "to improve your experience. <button>Accept all cookies</button></p>"
    "</div>\n"
    "<div class=\"ad-slot ad-leaderboard\">Advertisement: Sea kayaks half "
    "price this weekend</div>\n";

static const char *const chrome_bottom =
    "<section id=\"comments\" class=\"comments\"><h2>Comments (3)</h2>\n"
    "<article class=\"comment\"><p>Skipper99: Waste of money if you ask "
    "me.</p></article>\n"
    "<article class=\"comment\"><p>LighthouseLover: About time!</p>"
    "</article></section>\n"
    "<aside class=\"related\"><h3>Related stories</h3><ul><li><a href=\"/"
    "a\">Ferry timetable changes from June</a></li></ul></aside>\n"
    "<div class=\"newsletter-signup\"><p>Get the Courier in your inbox "
    "every morning</p><form><input type=\"email\"><button>Subscribe"
    "</button></form></div>\n"
    "<footer class=\"site-footer\"><p>Copyright 2024 The Coast Courier "
    "Ltd. All rights reserved.</p><p><a href=\"/privacy\">Privacy</a> "
    "<a href=\"/terms\">Terms</a></p></footer>\n"
    "<script>window.dataLayer = window.dataLayer || []; "
    "dataLayer.push({'event': 'pageview'});</script>\n";

static char *
story_txt(void)
{
	struct sb b = {0};
	size_t i;

	for (i = 0; i < NSTORY; i++)
		sb_add(&b, "%s%s\n", i ? "\n" : "", story[i]);
	return b.p;
}

static char *
story_html(void)
{
	struct sb b = {0};
	size_t i;

	sb_add(&b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\">\n<title>%s | The Coast Courier</title>\n"
	    "<meta property=\"og:site_name\" content=\"The Coast "
	    "Courier\">\n<link rel=\"canonical\" href=\"https://"
	    "coastcourier.example/2024/05/pellmoor-lighthouse\">\n"
	    "<meta property=\"article:published_time\" content=\""
	    "2024-05-14T19:30:00+01:00\">\n"
	    "<style>body{font-family:serif}</style></head>\n<body>\n%s"
	    "<main><article><h1>%s</h1>\n"
	    "<div class=\"share-bar\"><a>Share on Facebook</a> <a>Share "
	    "by email</a></div>\n",
	    story_title, chrome_top, story_title);
	for (i = 0; i < NSTORY; i++) {
		sb_add(&b, "<p>");
		sb_html_escaped(&b, story[i]);
		sb_add(&b, "</p>\n");
	}
	sb_add(&b, "</article></main>\n%s</body></html>\n", chrome_bottom);
	return b.p;
}

static char *
story_json(void)
{
	struct sb b = {0};
	size_t i;

	sb_add(&b,
	    "{\"title\": \"%s\", \"url\": \"https://wire.example/"
	    "pellmoor\", \"source\": {\"name\": \"Northern Wire\"}, "
	    "\"published\": \"2024-05-14T18:00:00Z\", \"body\": \"",
	    story_title);
	for (i = 0; i < NSTORY; i++) {
		sb_json_escaped(&b, story[i]);
		sb_add(&b, "\\n\\n");
	}
	sb_add(&b, "\"}\n");
	return b.p;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
sb_base64(struct sb *b, const char *s, size_t n)
{
	size_t i, col = 0;
	const unsigned char *u = (const unsigned char *)s;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)u[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		sb_add(b, "%c%c%c%c", b64chars[(v >> 18) & 63],
		    b64chars[(v >> 12) & 63],
		    i + 1 < n ? b64chars[(v >> 6) & 63] : '=',
		    i + 2 < n ? b64chars[v & 63] : '=');
		if ((col += 4) >= 76) {
			sb_add(b, "\r\n");
			col = 0;
		}
	}
	sb_add(b, "\r\n");
}

/* Quoted-printable with soft breaks every ~70 columns. */
static void
sb_qp(struct sb *b, const char *s)
{
	int col = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			sb_add(b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= 70) {
			sb_add(b, "=\r\n");
			col = 0;
		}
		if (c == '=' || c >= 0x80 || c == '"') {
			sb_add(b, "=%02X", c);
			col += 3;
		} else {
			sb_add(b, "%c", c);
			col++;
		}
	}
}

/* multipart/alternative: the plain text as QP, the HTML as base64. */
static char *
story_eml(void)
{
	struct sb b = {0}, html = {0};
	char *txt = story_txt();
	size_t i;

	sb_add(&b, "Return-Path: <desk@wire.example>\r\n"
	           "From: \"Northern Wire Desk\" <desk@wire.example>\r\n"
	           "To: editors@coastcourier.example\r\n"
	           "Subject: =?utf-8?Q?Harbour_town_votes_to_relight_its?=\r\n"
	           " =?utf-8?B?IG9sZCBsaWdodGhvdXNl?=\r\n"
	           "Date: Tue, 14 May 2024 17:45:00 +0000\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/alternative;\r\n"
	           "\tboundary=\"=_b0und4ry_42\"\r\n\r\n"
	           "This is a multi-part message in MIME format.\r\n\r\n"
	           "--=_b0und4ry_42\r\n"
	           "Content-Type: text/plain; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	sb_qp(&b, txt);
	sb_add(&b, "\r\n--=_b0und4ry_42\r\n"
	           "Content-Type: text/html; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: base64\r\n\r\n");
	sb_add(&html, "<html><body>");
	for (i = 0; i < NSTORY; i++) {
		sb_add(&html, "<p>");
		sb_html_escaped(&html, story[i]);
		sb_add(&html, "</p>");
	}
	sb_add(&html, "</body></html>");
	sb_base64(&b, html.p, html.len);
	sb_add(&b, "--=_b0und4ry_42--\r\n");
	free(html.p);
	free(txt);
	return b.p;
}

/* Lowercased ASCII words (bytes >= 0x80 count as letters). */
static size_t
words(const char *s, char ***out)
{
	char **w = NULL;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; s[i] != '\0';) {
		while (s[i] != '\0' &&
		       !(((unsigned char)s[i] >= 0x80) ||
		           (s[i] >= '0' && s[i] <= '9') ||
		           ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			i++;
		for (j = i; ((unsigned char)s[j] >= 0x80) ||
		            (s[j] >= '0' && s[j] <= '9') ||
		            ((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z');
		     j++)
			;
		if (j == i)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			w = realloc(w, cap * sizeof(*w));
			assert_non_null(w);
		}
		w[n] = strndup(s + i, j - i);
		for (char *p = w[n]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		n++;
		i = j;
	}
	*out = w;
	return n;
}

static void
words_free(char **w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

/* Share of a's words found in order in b (longest common subsequence). */
static double
in_order_share(const char *a, const char *b, size_t *na_out, size_t *nb_out)
{
	char **wa, **wb;
	size_t na = words(a, &wa), nb = words(b, &wb), i, j;
	unsigned *prev = calloc(nb + 1, sizeof(unsigned));
	unsigned *cur = calloc(nb + 1, sizeof(unsigned)), *t;
	double r;

	assert_non_null(prev);
	assert_non_null(cur);
	for (i = 1; i <= na; i++) {
		for (j = 1; j <= nb; j++)
			cur[j] =
			    !strcmp(wa[i - 1], wb[j - 1])
			        ? prev[j - 1] + 1
			        : (prev[j] > cur[j - 1] ? prev[j] : cur[j - 1]);
		t = prev;
		prev = cur;
		cur = t;
	}
	r = na ? (double)prev[nb] / (double)na : 0;
	*na_out = na;
	*nb_out = nb;
	free(prev);
	free(cur);
	words_free(wa, na);
	words_free(wb, nb);
	return r;
}

/* ---- Detection and dates ---------------------------------------------- */

static void
test_detect(void **state)
{
	(void)state;
	assert_int_equal(extract_detect("a/b.TXT", "<html>", 6), EXTRACT_TEXT);
	assert_int_equal(extract_detect("x.htm", "", 0), EXTRACT_HTML);
	assert_int_equal(extract_detect("x.ndjson", "", 0), EXTRACT_JSON);
	assert_int_equal(extract_detect("x.eml", "", 0), EXTRACT_EML);
	assert_int_equal(extract_detect("dir.d/noext",
	                     "\xef\xbb\xbf  \n"
	                     "<!DOCTYPE HTML><p>x",
	                     25),
	    EXTRACT_HTML);
	assert_int_equal(
	    extract_detect(NULL, "<html><body>", 12), EXTRACT_HTML);
	assert_int_equal(extract_detect("feed", " {\"a\":1}", 8), EXTRACT_JSON);
	assert_int_equal(
	    extract_detect("feed", "[ {\"a\":1}]", 10), EXTRACT_JSON);
	assert_int_equal(
	    extract_detect("notes", "[Update] text", 13), EXTRACT_TEXT);
	const char *m = "From: a@b.example\nSubject: hi\n\nbody\n";
	assert_int_equal(extract_detect("msg", m, strlen(m)), EXTRACT_EML);
	/* One header-like line is an article that starts oddly. */
	const char *t = "Subject: the council\nvoted today.\n";
	assert_int_equal(extract_detect("a", t, strlen(t)), EXTRACT_TEXT);
	assert_int_equal(extract_detect(NULL, NULL, 0), EXTRACT_TEXT);
	/* feeds and other XML; XHTML is a page */
	assert_int_equal(extract_detect("a/b.RSS", "", 0), EXTRACT_XML);
	assert_int_equal(extract_detect("b.atom", "", 0), EXTRACT_XML);
	assert_int_equal(extract_detect("b.xml", "", 0), EXTRACT_XML);
	const char *x = "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x -->\n"
	                "<!DOCTYPE feed [<!ENTITY a \"<html>\">]>\n<feed>";
	assert_int_equal(extract_detect("f", x, strlen(x)), EXTRACT_XML);
	assert_int_equal(
	    extract_detect("f", "<rss version=\"2.0\">", 20), EXTRACT_XML);
	x = "<?xml version=\"1.0\"?><html xmlns=\"x\"><body>";
	assert_int_equal(extract_detect("p", x, strlen(x)), EXTRACT_HTML);
	x = "<?xml version=\"1.0\"?><urlset>";
	assert_int_equal(extract_detect("s", x, strlen(x)), EXTRACT_XML);
	assert_int_equal(extract_detect("t", "<?xml", 5), EXTRACT_TEXT);
}

static void
test_dates(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(
	    extract_parse_date("2024-05-14T19:30:00+01:00", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(extract_parse_date("2024-05-14T18:30:00Z", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(extract_parse_date("2024-05-14T18:30:00.250Z", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(
	    extract_parse_date("2024-05-14 13:30:00 -0500", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(extract_parse_date("2024-05-14", &t), 0);
	assert_int_equal(t, 1715644800);
	assert_int_equal(
	    extract_parse_date("Tue, 14 May 2024 18:30:00 +0000", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(extract_parse_date("14 May 2024 11:30 PDT", &t), 0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(extract_parse_date("Tue, 14 May 2024 18:30:00 GMT "
	                                    "(UTC)",
	                     &t),
	    0);
	assert_int_equal(t, 1715711400);
	assert_int_equal(
	    extract_parse_date("Thu, 29 Feb 2024 00:00:00 +0000", &t), 0);
	assert_int_equal(
	    extract_parse_date("Fri, 30 Feb 2024 00:00 +0000", &t), -EINVAL);
	assert_int_equal(extract_parse_date("2024-13-01", &t), -EINVAL);
	assert_int_equal(extract_parse_date("yesterday", &t), -EINVAL);
	assert_int_equal(extract_parse_date("", &t), -EINVAL);
	assert_int_equal(
	    extract_parse_date("2024-05-14T18:30:00+25:00", &t), -EINVAL);
}

/* Dates as feed exporters and old CMSs write them: RFC 2822 without its
 * time, the month's name in either order. A date alone is 00:00 UTC, or
 * in its zone; numeric dates other than ISO 8601 are ambiguous. */
static void
test_dates_named_month(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
	    {"24 Feb 2009", 1235433600},
	    {"Tue, 24 Feb 2009", 1235433600},
	    {"24 Feb 2009 +0100", 1235430000},
	    {"24-Feb-2009", 1235433600},
	    {"4 July 2010", 1278201600},
	    {"4th July 2010", 1278201600},
	    {"July 04, 2010", 1278201600},
	    {"Jul 4, 2010", 1278201600},
	    {"Jul 4 2010", 1278201600},
	    {"Sunday, July 4th, 2010", 1278201600},
	    {"Sept. 30, 2010", 1285804800},
	    {"July 4, 2010 14:07", 1278252420},
	    {"July 4, 2010, 2:07 PM", 1278252420},
	    {"Jul 4, 2010 2:07pm EST", 1278270420},
	    {"July 4, 2010 12:30 am", 1278203400},
	    {"july 4, 2010 10:15:30 +0200", 1278231330},
	};
	static const char *const bad[] = {"11/12/2011", "2011/12/11",
	    "12.11.2011", "July 2010", "July 4, 10", "July 32, 2010",
	    "Febtember 4, 2010", "Jul 4, 2010 13:00 pm", "4 Jul", "Mayday",
	    "24 Feb 2009 and more"};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		t = 0;
		if (extract_parse_date(ok[i].s, &t) != 0 || t != ok[i].t)
			fail_msg("\"%s\": %lld, want %lld", ok[i].s,
			    (long long)t, (long long)ok[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (extract_parse_date(bad[i], &t) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* ---- HTML ------------------------------------------------------------- */

static const char news_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en-GB\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>Tram depot fire: night services suspended | Rivermouth "
    "Gazette</title>\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<meta property=\"og:title\" content=\"Tram depot fire halts night "
    "services\">\n"
    "<meta property=\"og:url\" content=\"https://gazette.example/news/"
    "tram-depot-fire?utm_source=feed\">\n"
    "<meta property=\"og:site_name\" content=\"Rivermouth Gazette\">\n"
    "<link rel=\"canonical\" href=\"https://gazette.example/news/"
    "tram-depot-fire\">\n"
    "<meta name=\"author\" content=\"Tomasz Wren\">\n"
    "<script type=\"application/ld+json\">\n"
    "{\"@context\": \"https://schema.org\", \"@graph\": [\n"
    " {\"@type\": \"WebSite\", \"name\": \"Rivermouth Gazette\"},\n"
    " {\"@type\": \"NewsArticle\", \"headline\": \"Tram depot fire halts "
    "night services across Rivermouth\",\n"
    "  \"datePublished\": \"2024-02-03T06:15:00+01:00\",\n"
    "  \"dateModified\": \"2024-02-03T09:00:00+01:00\",\n"
    "  \"author\": [{\"@type\": \"Person\", \"name\": \"Tomasz Wren\"}],\n"
    "  \"publisher\": {\"@type\": \"Organization\", \"name\": \"Rivermouth "
    "Gazette\"}}\n"
    "]}\n"
    "</script>\n"
    "<script src=\"/static/app.js\"></script>\n"
    "<style>.share-bar{display:flex} p{margin:0 0 1em}</style>\n"
    "</head>\n"
    "<body class=\"nav-closed has-cookie-banner\">\n"
    "<a class=\"skip-link\" href=\"#main\">Skip to content</a>\n"
    "<div class=\"cookie-notice\" role=\"dialog\"><p>This site uses "
    "cookies. By continuing you agree to our cookie policy.</p>"
    "<button>OK</button></div>\n"
    "<header id=\"masthead\"><div class=\"logo\">Rivermouth Gazette</div>"
    "<nav aria-label=\"Main\"><a href=\"/\">Home</a> <a href=\"/local\">"
    "Local</a> <a href=\"/business\">Business</a> <a href=\"/opinion\">"
    "Opinion</a></nav>\n"
    "<div class=\"breadcrumbs\"><a href=\"/\">Home</a> &rsaquo; <a "
    "href=\"/local\">Local</a></div></header>\n"
    "<div class=\"layout\">\n"
    "<main id=\"main\">\n"
    "<article class=\"story\">\n"
    "<h1>Tram depot fire halts night services</h1>\n"
    "<p class=\"byline\">By Tomasz Wren &middot; <time datetime=\"2024-02-"
    "03T06:15:00+01:00\">3 February 2024</time></p>\n"
    "<div class=\"social-share\"><a href=\"#\">Share on X</a><a href=\"#\">"
    "Share on Facebook</a><a href=\"#\">Copy link</a></div>\n"
    "<div class=\"story-body\">\n"
    "<p>A fire broke out shortly after midnight in the maintenance hall "
    "of the Eastgate tram depot, forcing the operator to suspend all "
    "night services on lines 2 and 7.</p>\n"
    "<p>Firefighters from three stations brought the blaze under control "
    "by 3am. Nobody was injured, but two trams parked inside the hall "
    "were badly damaged, a spokeswoman for the fire service said.</p>\n"
    "<div class=\"inline-ad advert\">ADVERTISEMENT Buy a season ticket "
    "now</div>\n"
    "<p>&ldquo;We expect daytime services to run normally from Sunday,"
    "&rdquo; said Ilse Marchetti, operations director at Rivermouth "
    "Transit. Replacement buses will run between the depot and the "
    "central station in the meantime.</p>\n"
    "<aside class=\"pull-quote\"><p>Related: how the depot was built in "
    "1911</p></aside>\n"
    "<p>The cause of the fire is not yet known. Investigators are "
    "expected on site on Monday.</p>\n"
    "</div>\n"
    "<div class=\"newsletter-box\"><p>Sign up for the Morning Briefing "
    "newsletter</p></div>\n"
    "<p class=\"site-blurb\">The Gazette is the independent voice of "
    "Rivermouth since 1921.</p>\n"
    "<div class=\"popular\"><b>Popular now</b><ul><li>Ferry fares "
    "frozen</li></ul></div>\n"
    "<div class=\"about-author\"><p>Tomasz covers transport.</p></div>\n"
    "</article>\n"
    "</main>\n"
    "<aside class=\"sidebar\"><h3>Most read</h3><ol><li>Harbour works "
    "delayed</li><li>New bakery on Quay Street</li></ol></aside>\n"
    "</div>\n"
    "<section id=\"comments\"><h2>12 comments</h2>\n"
    "<div class=\"comment\"><p>Rider42: Not again, this is the second "
    "fire this year.</p></div>\n"
    "<div class=\"comment\"><p>Ferrywoman: Thanks to the firefighters."
    "</p></div></section>\n"
    "<footer><p>&copy; 2024 Rivermouth Gazette. Contact us. Privacy "
    "policy.</p></footer>\n"
    "<script>var _paq = window._paq = []; _paq.push(['trackPageView']);"
    "</script>\n"
    "<noscript><img src=\"/pixel.gif\" alt=\"\"></noscript>\n"
    "</body>\n"
    "</html>\n";

static void
test_html_news_page(void **state)
{
	struct extract_doc d;
	int64_t t;

	(void)state;
	assert_int_equal(runs("page.html", news_page, &d), 0);
	assert_int_equal(d.format, EXTRACT_HTML);
	assert_int_equal(strlen(d.text), d.text_len);
	assert_contains(d.text, "A fire broke out shortly after midnight");
	assert_contains(d.text, "by 3am. Nobody was injured");
	/* &ldquo; &rdquo; decoded to UTF-8 quotes */
	assert_contains(d.text, "\xe2\x80\x9cWe expect daytime services");
	assert_contains(d.text, "Investigators are expected on site on "
	                        "Monday.");
	/* paragraphs survive as blank lines */
	assert_contains(d.text, "lines 2 and 7.\n\nFirefighters");
	const char *junk[] = {"cookie", "Share on", "Copy link",
	    "ADVERTISEMENT", "Sign up", "Most read", "comments", "Rider42",
	    "Ferrywoman", "Privacy", "_paq", "Skip to content", "Business",
	    "depot was built in 1911", "Home", "display:flex",
	    "Rivermouth Gazette", "independent voice", "Popular now",
	    "covers transport", NULL};
	for (int i = 0; junk[i] != NULL; i++)
		assert_lacks(d.text, junk[i]);
	assert_string_equal(
	    d.title, "Tram depot fire halts night services across Rivermouth");
	assert_string_equal(d.url, "https://gazette.example/news/"
	                           "tram-depot-fire");
	assert_string_equal(d.source, "Rivermouth Gazette");
	assert_string_equal(d.author, "Tomasz Wren");
	assert_int_equal(extract_parse_date("2024-02-03T05:15:00Z", &t), 0);
	assert_int_equal(d.published, t);
	extract_doc_free(&d);
	extract_doc_free(&d); /* harmless twice */
}

/* Without JSON-LD: og/meta tags, <title> with its site suffix stripped. */
static void
test_html_meta_fallbacks(void **state)
{
	struct extract_doc d;
	const char *page =
	    "<html><head><title>Ferry strike ends - Bay Post</title>"
	    "<meta property=\"og:site_name\" content=\"Bay Post\">"
	    "<meta name=\"date\" content=\"Mon, 6 May 2024 08:00:00 +0200\">"
	    "</head><body><div class=\"page-with-sidebar\"><div>The ferry "
	    "crews returned to work on Monday after a four-day strike."
	    "</div></div></body></html>";

	(void)state;
	assert_int_equal(runs("p.html", page, &d), 0);
	assert_string_equal(d.title, "Ferry strike ends");
	assert_string_equal(d.source, "Bay Post");
	assert_null(d.url);
	assert_int_equal(d.published, 1714975200);
	/* The only text sat in a "sidebar" wrapper: kept, not lost. */
	assert_contains(d.text, "ferry crews returned");
	extract_doc_free(&d);
}

static void
test_html_entities(void **state)
{
	struct extract_doc d;
	const char *page = "<p>Caf&eacute; &amp; bar &#8212; &#x41;&lt;b&gt;"
	                   " 5&nbsp;km &unknownentity; AT&T</p>";

	(void)state;
	assert_int_equal(runs("e.html", page, &d), 0);
	assert_contains(d.text, "Caf\xc3\xa9 & bar \xe2\x80\x94 A<b> 5 km");
	assert_contains(d.text, "AT&T");
	extract_doc_free(&d);
}

/* UTF-8 bytes are read as UTF-8 whatever the page declares; a page in
 * Latin-1 or Windows-1252, declared or lying, is still read as such. */
static void
test_html_charset(void **state)
{
	static const struct {
		const char *head, *body, *title, *text;
	} c[] = {
	    /* UTF-8, no declaration (the charset was in an HTTP header) */
	    {"",
	        "Bj\xc3\xb6rn Sk\xc3\xa5l opens \xe2\x80\x9cthe "
	        "mill\xe2\x80\x9d",
	        "Bj\xc3\xb6rn Sk\xc3\xa5l opens \xe2\x80\x9cthe "
	        "mill\xe2\x80\x9d",
	        "Bj\xc3\xb6rn Sk\xc3\xa5l opens \xe2\x80\x9cthe "
	        "mill\xe2\x80\x9d"},
	    /* UTF-8 under an old template's iso-8859-1, both ways of saying
	     * it; and with a byte order mark */
	    {"<meta charset=\"iso-8859-1\">",
	        "Cr\xc3\xa8me for \xe2\x82\xac"
	        "3",
	        "Cr\xc3\xa8me for \xe2\x82\xac"
	        "3",
	        "Cr\xc3\xa8me for \xe2\x82\xac"
	        "3"},
	    {"<meta http-equiv=\"Content-Type\" content=\"text/html; "
	     "charset=windows-1252\">",
	        "Na\xc3\xafve Zo\xc3\xab", "Na\xc3\xafve Zo\xc3\xab",
	        "Na\xc3\xafve Zo\xc3\xab"},
	    /* Windows-1252, declared, and declared UTF-8 (a lie) */
	    {"<meta charset=\"windows-1252\">",
	        "Cr\xe8me for \x80"
	        "3",
	        "Cr\xc3\xa8me for \xe2\x82\xac"
	        "3",
	        "Cr\xc3\xa8me for \xe2\x82\xac"
	        "3"},
	    {"<meta charset=\"utf-8\">",
	        "Cr\xe8me br\xfbl\xe9"
	        "e",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e"},
	    /* Latin-1, no declaration */
	    {"",
	        "Cr\xe8me br\xfbl\xe9"
	        "e",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e"},
	};
	struct extract_doc d;
	char page[512];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		snprintf(page, sizeof(page),
		    "%s<html><head>%s<title>%s</title></head><body><p>%s at "
		    "the quay.</p></body></html>",
		    i == 1 ? "\xef\xbb\xbf" : "", c[i].head, c[i].body,
		    c[i].body);
		assert_int_equal(runs("c.html", page, &d), 0);
		assert_string_equal(d.title, c[i].title);
		assert_contains(d.text, c[i].text);
		extract_doc_free(&d);
	}
}

static void
test_html_malformed(void **state)
{
	struct extract_doc d;
	const char *page =
	    "<html><body><div class=story><p>First paragraph without end"
	    "<p>Second <b>bold <i>and italic</b> text</i><table><tr><td>cell"
	    "<p>Third, after a table that never closed <a href=x>link text"
	    "<script>document.write('<p>not text')";

	(void)state;
	assert_int_equal(runs("m.html", page, &d), 0);
	assert_contains(d.text, "First paragraph without end");
	assert_contains(d.text, "Second bold and italic text");
	assert_contains(d.text, "Third, after a table that never closed");
	assert_contains(d.text, "link text");
	assert_lacks(d.text, "not text");
	extract_doc_free(&d);
}

static void
test_html_deep(void **state)
{
	struct sb b = {0};
	struct extract_doc d;
	double t0;
	int rc;

	(void)state;
	sb_add(&b, "<html><body><p>Top text.</p>");
	sb_repeat(&b, "<div>", 100000);
	sb_add(&b, "deep text");
	sb_repeat(&b, "</div>", 100000);
	t0 = now_s();
	rc = run("deep.html", b.p, b.len, NULL, &d);
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(rc, EXTRACT_EDEPTH);
	assert_null(d.text);
	/* unclosed inline tags nest too */
	b.len = 0;
	sb_repeat(&b, "<span><b><i><font>x ", 30000);
	t0 = now_s();
	rc = run("deep2.html", b.p, b.len, NULL, &d);
	assert_true(now_s() - t0 < 2.0);
	assert_true(rc == 0 || rc == EXTRACT_EDEPTH);
	extract_doc_free(&d);
	/* 150 levels is a real (if ugly) page: allowed */
	b.len = 0;
	sb_add(&b, "<html><body>");
	sb_repeat(&b, "<div>", 150);
	sb_add(&b, "nested but fine");
	assert_int_equal(run("ok.html", b.p, b.len, NULL, &d), 0);
	assert_string_equal(d.text, "nested but fine");
	extract_doc_free(&d);
	free(b.p);
}

static void
test_html_huge(void **state)
{
	struct extract_limits lim = {.max_input = 4u << 20};
	struct sb b = {0};
	struct extract_doc d;
	double t0;

	(void)state;
	/* 100 MB-ish in spirit: 16 MB against a 4 MB input limit. */
	sb_add(&b, "<html><body>");
	sb_repeat(&b, "<p>The same filler sentence again and again.</p>\n",
	    16u << 20 >> 6);
	t0 = now_s();
	assert_int_equal(
	    run("big.html", b.p, b.len, &lim, &d), EXTRACT_ETOOBIG);
	assert_true(now_s() - t0 < 0.5);
	/* Within the input limit but over the output limit. */
	lim.max_input = 32u << 20;
	lim.max_output = 1u << 20;
	t0 = now_s();
	assert_int_equal(
	    run("big.html", b.p, b.len, &lim, &d), EXTRACT_ETOOBIG);
	assert_true(now_s() - t0 < 10.0);
	free(b.p);
}

static void
test_html_billion_laughs(void **state)
{
	struct sb b = {0};
	struct extract_doc d;
	int i;

	(void)state;
	sb_add(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE html [\n"
	           "<!ENTITY lol \"lol\">\n");
	for (i = 1; i < 10; i++)
		sb_add(&b,
		    "<!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;"
		    "&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;\">\n",
		    i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1);
	sb_add(&b,
	    "<!ENTITY ext SYSTEM \"file:///etc/passwd\">\n]>\n"
	    "<html><body><p>Before &lol9; after &ext;</p></body></html>");
	assert_int_equal(run("lol.html", b.p, b.len, NULL, &d), 0);
	assert_true(d.text_len < 1000);
	assert_lacks(d.text, "lollol");
	assert_lacks(d.text, "root:");
	assert_contains(d.text, "after");
	extract_doc_free(&d);
	free(b.p);
}

static void
test_html_binary_and_empty(void **state)
{
	struct extract_doc d;
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";

	(void)state;
	assert_int_equal(
	    run("x.html", png, sizeof(png) - 1, NULL, &d), EXTRACT_EBINARY);
	assert_int_equal(runs("x.html",
	                     "<html><head><title>t</title></head>"
	                     "<body><script>x()</script></body>",
	                     &d),
	    EXTRACT_EEMPTY);
	assert_null(d.text);
	assert_null(d.title);
}

/* ---- JSON ------------------------------------------------------------- */

static void
test_json_item(void **state)
{
	struct extract_doc d;
	const char *j =
	    "{\"headline\": \"Bridge reopens after repairs\",\n"
	    " \"link\": \"https://news.example/bridge\",\n"
	    " \"publisher\": {\"name\": \"Valley Times\"},\n"
	    " \"author\": [{\"name\": \"R. Osei\"}],\n"
	    " \"pubDate\": \"Wed, 08 May 2024 10:00:00 +0000\",\n"
	    " \"content\": \"The Kettle Bridge reopened to traffic on "
	    "Wednesday.\\n\\nRepairs took eleven weeks.\"}";

	(void)state;
	assert_int_equal(runs("item.json", j, &d), 0);
	assert_int_equal(d.format, EXTRACT_JSON);
	assert_string_equal(d.text, "The Kettle Bridge reopened to traffic "
	                            "on Wednesday.\n\nRepairs took eleven "
	                            "weeks.");
	assert_string_equal(d.title, "Bridge reopens after repairs");
	assert_string_equal(d.url, "https://news.example/bridge");
	assert_string_equal(d.source, "Valley Times");
	assert_string_equal(d.author, "R. Osei");
	assert_int_equal(d.published, 1715162400);
	extract_doc_free(&d);

	/* WordPress style and a millisecond timestamp */
	j = "{\"title\": {\"rendered\": \"Dam &amp; weir\"}, \"date\": "
	    "1715162400000, \"content\": {\"rendered\": \"<p>Water levels "
	    "fell.</p><p>Gates &amp; sluices were opened.</p>\"}}";
	assert_int_equal(runs("wp.json", j, &d), 0);
	assert_string_equal(
	    d.text, "Water levels fell.\n\nGates & sluices were opened.");
	assert_int_equal(d.published, 1715162400);
	extract_doc_free(&d);
}

/* A date that is there but does not parse is said (doc.warning), unless
 * another date was found; a good one says nothing. */
static void
test_date_warning(void **state)
{
	static const struct {
		const char *name, *in;
		int64_t published;
		const char *warning;
	} c[] = {
	    {"a.json",
	        "{\"pubDate\": \"11/12/2011\", \"body\": \"Tide tables "
	        "printed.\"}",
	        0, "unparsable date \"11/12/2011\" ignored"},
	    {"b.json",
	        "{\"pubDate\": \"24 Feb 2009\", \"body\": \"Tide tables "
	        "printed.\"}",
	        1235433600, NULL},
	    /* the item's HTML body has a date: that one is used */
	    {"c.json",
	        "{\"date\": \"sometime in May\", \"body\": \"<article><time "
	        "pubdate datetime=\\\"2024-05-14\\\">May</time><p>Tide "
	        "tables printed.</p></article>\"}",
	        1715644800, NULL},
	    {"d.eml",
	        "From: a@harbour.example\nSubject: Tides\nDate: the 12th of "
	        "never\n\nTide tables printed.\n",
	        0, "unparsable date \"the 12th of never\" ignored"},
	    {"e.html",
	        "<html><head><meta name=\"date\" content=\"11/12/2011\">"
	        "</head><body><p>Tide tables printed.</p></body></html>",
	        0, "unparsable date \"11/12/2011\" ignored"},
	    {"f.html",
	        "<html><head><meta name=\"date\" content=\"11/12/2011\">"
	        "<meta property=\"article:published_time\" "
	        "content=\"July 4, 2010\"></head><body><p>Tide tables "
	        "printed.</p></body></html>",
	        1278201600, NULL},
	};
	struct extract_doc d;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		assert_int_equal(runs(c[i].name, c[i].in, &d), 0);
		assert_int_equal(d.published, c[i].published);
		if (c[i].warning == NULL)
			assert_null(d.warning);
		else
			assert_string_equal(d.warning, c[i].warning);
		extract_doc_free(&d);
	}
}

struct seen {
	int n;
	int err[8];
	char *title[8];
	char *text[8];
};

static int
collect(struct extract_doc *doc, size_t index, int err, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(index, (size_t)s->n);
	assert_true(s->n < 8);
	s->err[s->n] = err;
	s->title[s->n] = doc->title;
	s->text[s->n] = doc->text;
	doc->title = doc->text = NULL; /* taken */
	s->n++;
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->title[i]);
		free(s->text[i]);
	}
}

static void
test_json_lines(void **state)
{
	struct seen s = {0};
	struct extract_doc d;
	const char *j =
	    "{\"title\": \"One\", \"text\": \"First item body.\"}\n"
	    "\n"
	    "{\"title\": \"Two\", \"text\": \"Second item body.\"}\n"
	    "{\"title\": \"Broken\", \"text\": \"no closing quote}\n"
	    "{\"title\": \"Four\", \"body\": \"<div><p>Fourth <b>item</b> body."
	    "</p></div>\"}\n"
	    "{\"title\": \"Empty\"}\n";

	(void)state;
	assert_int_equal(
	    extract_each("feed.jsonl", j, strlen(j), NULL, collect, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.err[0], 0);
	assert_string_equal(s.title[0], "One");
	assert_string_equal(s.text[0], "First item body.");
	assert_string_equal(s.text[1], "Second item body.");
	assert_int_equal(s.err[2], EXTRACT_EMALFORMED);
	assert_null(s.text[2]);
	assert_int_equal(s.err[3], 0);
	assert_string_equal(s.text[3], "Fourth item body.");
	assert_int_equal(s.err[4], EXTRACT_EEMPTY);
	seen_free(&s);

	/* extract_doc gives the first item */
	assert_int_equal(runs("feed.jsonl", j, &d), 0);
	assert_string_equal(d.title, "One");
	extract_doc_free(&d);

	/* concatenated values in a .json are items too; so is an array
	 * and an object's "items" */
	memset(&s, 0, sizeof(s));
	j = "[{\"title\": \"A\", \"body\": \"a a\"}, {\"title\": \"B\", "
	    "\"body\": \"b b\"}]";
	assert_int_equal(
	    extract_each("x.json", j, strlen(j), NULL, collect, &s), 0);
	assert_int_equal(s.n, 2);
	seen_free(&s);
	memset(&s, 0, sizeof(s));
	j = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": "
	    "[{\"id\": \"1\", \"content_text\": \"c c\"}]}";
	assert_int_equal(
	    extract_each("x.json", j, strlen(j), NULL, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "c c");
	seen_free(&s);

	/* max_items */
	struct extract_limits lim = {.max_items = 1};
	memset(&s, 0, sizeof(s));
	j = "{\"body\": \"x\"}\n{\"body\": \"y\"}\n";
	assert_int_equal(
	    extract_each("x.jsonl", j, strlen(j), &lim, collect, &s),
	    EXTRACT_EITEMS);
	assert_int_equal(s.n, 1);
	seen_free(&s);
}

static void
test_json_bad(void **state)
{
	struct extract_doc d;
	struct sb b = {0};

	(void)state;
	assert_int_equal(runs("x.json", "{\"title\": \"x\", \"body\": ", &d),
	    EXTRACT_EMALFORMED);
	assert_int_equal(
	    runs("x.json", "{\"title\": \"x\" \"body\": \"y\"}", &d),
	    EXTRACT_EMALFORMED);
	assert_int_equal(
	    runs("x.json", "\"just a string\"", &d), EXTRACT_EMALFORMED);
	assert_int_equal(runs("x.json", "[1, 2, 3]", &d), EXTRACT_EMALFORMED);
	assert_int_equal(runs("x.json", "   ", &d), EXTRACT_EEMPTY);
	assert_null(d.text);
	/* deep nesting: refused before jansson recurses */
	sb_repeat(&b, "[", 100000);
	sb_repeat(&b, "]", 100000);
	assert_int_equal(run("x.json", b.p, b.len, NULL, &d), EXTRACT_EDEPTH);
	b.len = 0;
	sb_add(&b, "{\"body\": \"ok\", \"x\": ");
	sb_repeat(&b, "{\"a\":", 300);
	sb_add(&b, "1");
	sb_repeat(&b, "}", 300);
	sb_add(&b, "}");
	assert_int_equal(run("x.json", b.p, b.len, NULL, &d), EXTRACT_EDEPTH);
	/* brackets inside strings do not count */
	b.len = 0;
	sb_add(&b, "{\"body\": \"");
	sb_repeat(&b, "[[[[", 1000);
	sb_add(&b, "\"}");
	assert_int_equal(run("x.json", b.p, b.len, NULL, &d), 0);
	extract_doc_free(&d);
	free(b.p);
}

/* ---- EML -------------------------------------------------------------- */

static void
test_eml_plain(void **state)
{
	struct extract_doc d;
	const char *m =
	    "From: Wire Desk <desk@Agency.Example>\r\n"
	    "To: news@paper.example\r\n"
	    "Subject: Flood warning lifted\r\n"
	    "  for the lower valley\r\n"
	    "Date: Thu, 9 May 2024 07:05:00 +0200\r\n"
	    "Message-ID: <123@agency.example>\r\n"
	    "\r\n"
	    "The flood warning for the lower valley was lifted on Thursday\r\n"
	    "morning as river levels fell below the alert mark.\r\n"
	    "\r\n"
	    "Residents may return to their homes.\r\n";

	(void)state;
	assert_int_equal(runs("m.eml", m, &d), 0);
	assert_int_equal(d.format, EXTRACT_EML);
	assert_string_equal(d.text,
	    "The flood warning for the lower valley was lifted on Thursday\n"
	    "morning as river levels fell below the alert mark.\n\n"
	    "Residents may return to their homes.");
	assert_string_equal(
	    d.title, "Flood warning lifted for the lower valley");
	assert_string_equal(d.author, "Wire Desk");
	assert_string_equal(d.source, "agency.example");
	assert_int_equal(d.published, 1715231100);
	extract_doc_free(&d);
}

static void
test_eml_multipart(void **state)
{
	struct extract_doc d;
	char *m = story_eml();

	(void)state;
	assert_int_equal(extract_detect("noext", m, strlen(m)), EXTRACT_EML);
	assert_int_equal(runs("story.eml", m, &d), 0);
	assert_string_equal(d.title, story_title);
	assert_string_equal(d.author, "Northern Wire Desk");
	assert_string_equal(d.source, "wire.example");
	assert_contains(d.text, "\"Every fisherman here grew up with that "
	                        "light on the headland,\" said Maren Oduya");
	assert_contains(d.text, "41,300 euros");
	extract_doc_free(&d);
	free(m);

	/* HTML only, base64, in multipart/mixed with an attachment first */
	struct sb b = {0};
	const char *html = "<html><body><nav>Menu</nav><p>Caf\xc3\xa9 "
	                   "owners met the mayor.</p></body></html>";
	sb_add(&b, "From: x@y.example\r\nSubject: =?ISO-8859-1?Q?Caf=E9_"
	           "owners?= =?ISO-8859-1?Q?_meet?=\r\nMIME-Version: 1.0\r\n"
	           "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
	           "--outer\r\nContent-Type: text/plain; name=a.txt\r\n"
	           "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
	           "attached notes, not the article\r\n"
	           "--outer\r\nContent-Type: multipart/related; "
	           "boundary=\"inner\"\r\n\r\n--inner\r\n"
	           "Content-Type: text/html; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: base64\r\n\r\n");
	sb_base64(&b, html, strlen(html));
	sb_add(&b, "--inner--\r\n--outer--\r\n");
	assert_int_equal(run("h.eml", b.p, b.len, NULL, &d), 0);
	assert_string_equal(d.text, "Caf\xc3\xa9 owners met the mayor.");
	assert_string_equal(d.title, "Caf\xc3\xa9 owners meet");
	extract_doc_free(&d);
	free(b.p);
}

static void
test_eml_charset(void **state)
{
	struct extract_doc d;
	const char *m = "From: =?iso-8859-1?q?J=F6rg_M=FCller?= <jm@zeitung."
	                "example>\n"
	                "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n"
	                "Organization: Rheinische Zeitung\n"
	                "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
	                "Content-Transfer-Encoding: 8bit\n\n"
	                "Die Stra\xdf"
	                "e am Fl\xfc"
	                "ssufer bleibt gesperrt.\n";

	(void)state;
	assert_int_equal(runs("m.eml", m, &d), 0);
	assert_string_equal(d.text, "Die Stra\xc3\x9f"
	                            "e am Fl\xc3\xbc"
	                            "ssufer bleibt gesperrt.");
	assert_string_equal(d.title, "Gr\xc3\xbc\xc3\x9f"
	                             "e aus K\xc3\xb6ln");
	assert_string_equal(d.author, "J\xc3\xb6rg M\xc3\xbcller");
	assert_string_equal(d.source, "Rheinische Zeitung");
	extract_doc_free(&d);

	m = "From: a@b.example\nSubject: x\nContent-Type: text/plain; "
	    "charset=x-no-such-charset\n\nbody\n";
	assert_int_equal(runs("m.eml", m, &d), EXTRACT_ECHARSET);
}

/* A part declared Latin-1 or Windows-1252 whose bytes are UTF-8 with
 * multi-byte sequences is UTF-8, as a page is (test_html_charset); a part
 * in Latin-1, invalid as UTF-8, is still read as Windows-1252. */
/* An old Mac mailbox's message: lines end with a CR alone. */
static void
test_eml_cr_only(void **state)
{
	static const char m[] =
	    "From: Desk <desk@herald.example>\rSubject: Old Mac mail\r"
	    "Date: Mon, 1 Dec 2003 10:00:00 +0000\r\r"
	    "The harbour board met on Monday.\rIt agreed to build a new "
	    "quay.\r";
	struct extract_doc d;

	(void)state;
	assert_int_equal(run("m.eml", m, sizeof(m) - 1, NULL, &d), 0);
	assert_string_equal(d.title, "Old Mac mail");
	assert_int_equal(d.published, 1070272800);
	assert_non_null(strstr(d.text, "The harbour board met on Monday."));
	assert_null(strstr(d.text, "Subject"));
	extract_doc_free(&d);
}

static void
test_eml_utf8_under_latin1_label(void **state)
{
	static const struct {
		const char *cs, *cte, *body, *text;
	} c[] = {
	    {"iso-8859-1", "8bit",
	        "Die Stra\xc3\x9f"
	        "e am Fl\xc3\xbc"
	        "ssufer \xe2\x80\x93 gesperrt.",
	        "Die Stra\xc3\x9f"
	        "e am Fl\xc3\xbc"
	        "ssufer \xe2\x80\x93 gesperrt."},
	    {"\"Windows-1252\"", "quoted-printable",
	        "Cr=C3=A8me br=C3=BBl=C3=A9e for =E2=82=AC3",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e for \xe2\x82\xac"
	        "3"},
	    /* with a byte order mark */
	    {"latin1", "8bit", "\xef\xbb\xbfNa\xc3\xafve Zo\xc3\xab",
	        "Na\xc3\xafve Zo\xc3\xab"},
	    /* other one-byte labels: the same */
	    {"iso-8859-15", "8bit",
	        "Gr\xc3\xbc\xc3\x9f"
	        "e aus K\xc3\xb6ln",
	        "Gr\xc3\xbc\xc3\x9f"
	        "e aus K\xc3\xb6ln"},
	    {"koi8-r", "8bit",
	        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
	        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"},
	    /* honest KOI8-R: converted ("Moskva") */
	    {"koi8-r", "8bit", "\xed\xcf\xd3\xcb\xd7\xc1",
	        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"},
	    /* honest Latin-1 and Windows-1252: as before */
	    {"iso-8859-1", "8bit",
	        "Cr\xe8me br\xfbl\xe9"
	        "e",
	        "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
	        "e"},
	    /* one UTF-8 look-alike pair among Latin-1: Latin-1 */
	    {"windows-1252", "8bit",
	        "\xc3\xa9t\xe9 \x93"
	        "chaud\x94",
	        "\xc3\x83\xc2\xa9t\xc3\xa9 \xe2\x80\x9c"
	        "chaud\xe2\x80\x9d"},
	};
	struct extract_doc d;
	struct sb b = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		b.len = 0;
		sb_add(&b,
		    "From: a@b.example\nSubject: s\n"
		    "Content-Type: text/plain; charset=%s\n"
		    "Content-Transfer-Encoding: %s\n\n%s\n",
		    c[i].cs, c[i].cte, c[i].body);
		assert_int_equal(run("m.eml", b.p, b.len, NULL, &d), 0);
		assert_string_equal(d.text, c[i].text);
		extract_doc_free(&d);
	}
	/* An HTML part, base64, and an encoded word, both so labelled */
	const char *html = "<html><body><p>Caf\xc3\xa9 owners met the "
	                   "mayor.</p></body></html>";
	b.len = 0;
	sb_add(&b, "From: x@y.example\r\n"
	           "Subject: =?iso-8859-1?q?Caf=C3=A9_owners?=\r\n"
	           "Content-Type: text/html; charset=iso-8859-1\r\n"
	           "Content-Transfer-Encoding: base64\r\n\r\n");
	sb_base64(&b, html, strlen(html));
	assert_int_equal(run("h.eml", b.p, b.len, NULL, &d), 0);
	assert_string_equal(d.text, "Caf\xc3\xa9 owners met the mayor.");
	assert_string_equal(d.title, "Caf\xc3\xa9 owners");
	extract_doc_free(&d);
	free(b.p);
}

static void
test_eml_bombs(void **state)
{
	struct extract_doc d;
	struct sb b = {0};
	int i;
	double t0;

	(void)state;
	/* nested 1000 deep */
	sb_add(
	    &b, "From: a@b.example\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n");
	for (i = 0; i < 1000; i++)
		sb_add(&b,
		    "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n"
		    "--b%d\r\n",
		    i, i);
	sb_add(&b, "Content-Type: text/plain\r\n\r\ntext\r\n");
	t0 = now_s();
	assert_int_equal(run("bomb.eml", b.p, b.len, NULL, &d), EXTRACT_EPARTS);
	assert_true(now_s() - t0 < 1.0);

	/* 100000 parts in one multipart */
	b.len = 0;
	sb_add(&b, "From: a@b.example\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n"
	           "Content-Type: multipart/mixed; boundary=zz\r\n\r\n");
	for (i = 0; i < 100000; i++)
		sb_add(
		    &b, "--zz\r\nContent-Type: text/plain\r\n\r\np%d\r\n", i);
	sb_add(&b, "--zz--\r\n");
	t0 = now_s();
	assert_int_equal(run("bomb.eml", b.p, b.len, NULL, &d), EXTRACT_EPARTS);
	assert_true(now_s() - t0 < 1.0);

	/* decoded text over max_output */
	struct extract_limits lim = {.max_output = 1000};
	b.len = 0;
	sb_add(&b, "From: a@b.example\r\nSubject: big\r\n"
	           "Content-Transfer-Encoding: base64\r\n\r\n");
	sb_repeat(&b, "QUFBQUFBQUFBQUFB\r\n", 500);
	assert_int_equal(run("big.eml", b.p, b.len, &lim, &d), EXTRACT_ETOOBIG);

	/* multipart without a boundary */
	assert_int_equal(runs("x.eml",
	                     "From: a@b.example\nSubject: s\n"
	                     "Content-Type: multipart/mixed\n\nx\n",
	                     &d),
	    EXTRACT_EMALFORMED);
	free(b.p);
}

/*
 * A header value of "=?" after "=?" with no blank and no "?=" after
 * them: each was scanned on to the end of the value, quadratic per
 * header (a 590 KB message took 2-3 s). The work is counted: a few looks
 * per byte, where that scan takes thousands.
 */
static void
test_eml_encoded_words_linear(void **state)
{
	struct sb b = {0};
	size_t scanned = 0;
	char *t;

	(void)state;
	sb_repeat(&b, "=?x?b?A", 9000);
	assert_non_null(t = ex_header_text(b.p, &scanned));
	assert_true(scanned <= 4 * b.len);
	assert_string_equal(t, b.p); /* no words: the text as it is */
	free(t);
	/* "=?" inside the text of a word that does not decode (too long
	 * once in UTF-8): no word either, rather than each tried. */
	b.len = 0;
	sb_add(&b, "=?x?q?");
	sb_repeat(&b, "\xe2\x82\xac\xe2\x82\xac=FF=?x?q?", 4000);
	sb_add(&b, "?=");
	scanned = 0;
	assert_non_null(t = ex_header_text(b.p, &scanned));
	assert_true(scanned <= 4 * b.len);
	assert_string_equal(t, b.p);
	free(t);
	/* Words that decode still do, beside ones that do not. */
	assert_non_null(t = ex_header_text("=?x?b?A =?utf-8?q?Caf=C3=A9?= "
	                                   "=?x?b?A x =?iso-8859-1?q?cr=E8me?=",
	                    &scanned));
	assert_string_equal(t, "=?x?b?A Caf\xc3\xa9 =?x?b?A x cr\xc3\xa8me");
	free(t);
	free(b.p);
}

/* ---- Plain text ------------------------------------------------------- */

static void
test_txt(void **state)
{
	struct extract_doc d;
	/* "Grüße, Zoë" in UTF-16LE and BE with BOM */
	static const char le[] = "\xff\xfeG\0r\0\xfc\0\xdf\0"
	                         "e\0,\0 \0Z\0o\0"
	                         "\xeb\0\n\0";
	static const char be[] = "\xfe\xff\0G\0r\0\xfc\0\xdf\0"
	                         "e\0,\0 \0Z\0o"
	                         "\0\xeb\0\n";
	const char *want = "Gr\xc3\xbc\xc3\x9f"
	                   "e, Zo\xc3\xab\n";

	(void)state;
	assert_int_equal(run("a.txt", le, sizeof(le) - 1, NULL, &d), 0);
	assert_string_equal(d.text, want);
	extract_doc_free(&d);
	assert_int_equal(run("a.txt", be, sizeof(be) - 1, NULL, &d), 0);
	assert_string_equal(d.text, want);
	extract_doc_free(&d);
	/* UTF-8 BOM stripped, text otherwise untouched */
	assert_int_equal(
	    runs("a.txt", "\xef\xbb\xbfLine one\r\n  two\n", &d), 0);
	assert_string_equal(d.text, "Line one\r\n  two\n");
	extract_doc_free(&d);
	/* Latin-1 / Windows-1252 */
	assert_int_equal(runs("a.txt",
	                     "Le caf\xe9 de la gare a ferm\xe9 "
	                     "\x93pour de bon\x94 en d\xe9"
	                     "cembre.",
	                     &d),
	    0);
	assert_string_equal(d.text,
	    "Le caf\xc3\xa9 de la gare a ferm\xc3\xa9 \xe2\x80\x9cpour de "
	    "bon\xe2\x80\x9d en d\xc3\xa9"
	    "cembre.");
	extract_doc_free(&d);
	/* UTF-8 with one stray Latin-1 byte stays UTF-8 */
	assert_int_equal(runs("a.txt",
	                     "na\xc3\xafve caf\xe9 cr\xc3\xa8me "
	                     "br\xc3\xbbl\xc3\xa9"
	                     "e",
	                     &d),
	    0);
	assert_string_equal(d.text, "na\xc3\xafve caf\xef\xbf\xbd cr\xc3\xa8me "
	                            "br\xc3\xbbl\xc3\xa9"
	                            "e");
	extract_doc_free(&d);
	/* KOI8-R Russian: long runs of high bytes, refused */
	assert_int_equal(runs("a.txt",
	                     "\xf7\xd3\xc5 \xd3\xcf\xd7\xc5\xd4\xd9 "
	                     "\xcf\xc4\xce\xcf\xc7\xcf \xc7\xcf\xd2"
	                     "\xcf\xc4\xc1 \xd3\xcf\xc2\xd2\xc1\xcc"
	                     "\xc9\xd3\xd8.",
	                     &d),
	    EXTRACT_ECHARSET);
	assert_null(d.text);
	/* binary, empty */
	assert_int_equal(run("a.txt", "ab\0cd", 5, NULL, &d), EXTRACT_EBINARY);
	assert_int_equal(runs("a.txt", " \n\t\n", &d), EXTRACT_EEMPTY);
	assert_int_equal(run("a.txt", NULL, 0, NULL, &d), EXTRACT_EEMPTY);
	assert_int_equal(run("a.txt", NULL, 5, NULL, &d), -EINVAL);
	assert_int_equal(extract_doc("a.txt", "x", 1, NULL, NULL), -EINVAL);
	struct extract_limits lim = {.max_input = 3};
	assert_int_equal(run("a.txt", "abcd", 4, &lim, &d), EXTRACT_ETOOBIG);
}

/* A plain-text file's headline: a first line standing alone, as a
 * headline reads; nothing for a line that runs on or ends a sentence. */
static void
test_txt_headline(void **state)
{
	static const struct {
		const char *text, *title;
	} c[] = {
	    {"U.K. GDP RISES 2.6 PCT IN 1986\n\nLONDON - It rose.\n",
	        "U.K. GDP RISES 2.6 PCT IN 1986"},
	    {"\n\n  Tram depot fire: what we know?  \r\n \r\nText.",
	        "Tram depot fire: what we know?"},
	    {"Z\xc3\xbcrich trams stop\n\nThe city...",
	        "Z\xc3\xbcrich trams stop"},
	    {"A first sentence that ends.\n\nMore text.", NULL},
	    {"Dateline, March 3:\n\nMore text.", NULL},
	    {"A headline\nthat runs on into the paragraph.\n", NULL},
	    {"Only a headline\n\n \n", NULL},
	    {"Only one line", NULL},
	    {"1987-03-20\n\nFigures.", NULL},
	    /* Old Mac files: a lone CR ends a line. */
	    {"Ferry fares frozen\r\rThe operator said...\r",
	        "Ferry fares frozen"},
	    {"\r\rQuay Street bakery opens\r \r\rIt sells...",
	        "Quay Street bakery opens"},
	    {"A headline\rthat runs on into the paragraph.\r", NULL},
	    {"Only a headline\r\r \r", NULL},
	};
	struct extract_doc d;
	char long_line[300];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		assert_int_equal(runs("a.txt", c[i].text, &d), 0);
		if (c[i].title == NULL)
			assert_null(d.title);
		else
			assert_string_equal(d.title, c[i].title);
		extract_doc_free(&d);
	}
	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line + 250, "\n\nText.", 8);
	assert_int_equal(runs("a.txt", long_line, &d), 0);
	assert_null(d.title); /* over 200 bytes: a paragraph */
	extract_doc_free(&d);
}

/* The plain-text scans go eight bytes at a time: a multibyte character,
 * an invalid byte and control bytes at every offset of a word. */
static void
test_txt_word_offsets(void **state)
{
	struct extract_doc d;
	char in[48], want[64];

	(void)state;
	for (size_t at = 0; at < 24; at++) {
		memset(in, 'a', 32);
		memcpy(in + at, "\xc3\xa9", 2);
		assert_int_equal(run("a.txt", in, 32, NULL, &d), 0);
		assert_int_equal(d.text_len, 32);
		assert_memory_equal(d.text, in, 32);
		extract_doc_free(&d);

		/* two good characters outvote one stray byte */
		memset(in, 'a', 32);
		memcpy(in + 24, "\xc3\xa9\xc3\xa9", 4);
		in[at] = '\xff';
		memcpy(want, in, at);
		memcpy(want + at, "\xef\xbf\xbd", 3);
		memcpy(want + at + 3, in + at + 1, 31 - at);
		assert_int_equal(run("a.txt", in, 32, NULL, &d), 0);
		assert_int_equal(d.text_len, 34);
		assert_memory_equal(d.text, want, 34);
		extract_doc_free(&d);

		/* more than a tenth (plus one) control bytes is binary */
		memset(in, 'a', 40);
		memset(in + at, 1, 5);
		assert_int_equal(run("a.txt", in, 40, NULL, &d), 0);
		extract_doc_free(&d);
		in[at + 5] = 2;
		assert_int_equal(
		    run("a.txt", in, 40, NULL, &d), EXTRACT_EBINARY);
	}
}

/* ---- RSS and Atom ----------------------------------------------------- */

/* Every field of the items of a feed, taken. */
struct feed_seen {
	size_t n;
	int err[8];
	struct extract_doc d[8];
};

static int
feed_collect(struct extract_doc *doc, size_t index, int err, void *arg)
{
	struct feed_seen *s = arg;

	assert_int_equal(index, s->n);
	assert_true(s->n < 8);
	s->err[s->n] = err;
	s->d[s->n] = *doc;
	memset(doc, 0, sizeof(*doc)); /* taken */
	s->n++;
	return 0;
}

static void
feed_seen_free(struct feed_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		extract_doc_free(&s->d[i]);
	memset(s, 0, sizeof(*s));
}

static int
feed_each(const char *name, const char *xml, struct feed_seen *s)
{
	memset(s, 0, sizeof(*s));
	return extract_each(name, xml, strlen(xml), NULL, feed_collect, s);
}

static const char rss_feed[] =
    "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n"
    "<rss version=\"2.0\" "
    "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
    "<channel><title>Lakeside Courier</title>"
    "<link>https://courier.example/</link>\n"
    "<item><title>Caf\xe9 on the pier reopens</title>"
    "<link>https://courier.example/pier-cafe</link>"
    "<pubDate>Tue, 24 Feb 2009 09:30:00 +0000</pubDate>"
    "<dc:creator>Ines Halloran</dc:creator>"
    "<source url=\"https://wire.example/rss\">Lakeside Wire</source>"
    "<description>&lt;p&gt;The caf\xe9 on the north pier opened again "
    "on Monday.&lt;/p&gt;&lt;p&gt;Its owners spent the winter "
    "rebuilding the \x93old\x94 kitchen.&lt;/p&gt;</description></item>\n"
    "<item><title>Ferry fares</title><guid>https://courier.example/"
    "ferry</guid><pubDate>24 Feb 2009</pubDate>"
    "<description>A short summary.</description>"
    "<content:encoded><![CDATA[<div class=\"share-bar\">Share</div>"
    "<p>Ferry fares stay the same until the summer, the operator "
    "said.</p>]]></content:encoded></item>\n"
    "<item><title>No text at all</title></item>\n"
    "<item><title>Plain</title><pubDate>11/12/2011</pubDate>"
    "<description>Harbour dues rise by two per cent.</description>"
    "</item>\n"
    "</channel></rss>\n";

static void
test_feed_rss(void **state)
{
	struct feed_seen s;
	struct extract_doc d;

	(void)state;
	assert_int_equal(feed_each("news/courier.rss", rss_feed, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.err[0], 0);
	assert_int_equal(s.d[0].format, EXTRACT_XML);
	assert_string_equal(s.d[0].title, "Caf\xc3\xa9 on the pier reopens");
	assert_string_equal(s.d[0].url, "https://courier.example/pier-cafe");
	assert_string_equal(s.d[0].author, "Ines Halloran");
	assert_string_equal(s.d[0].source, "Lakeside Wire");
	assert_int_equal(s.d[0].published, 1235467800);
	assert_string_equal(s.d[0].text,
	    "The caf\xc3\xa9 on the north pier opened again on Monday.\n\n"
	    "Its owners spent the winter rebuilding the \xe2\x80\x9cold"
	    "\xe2\x80\x9d kitchen.");
	/* content:encoded over description, through the HTML extractor;
	 * a guid is the link; a date alone is 00:00 UTC */
	assert_int_equal(s.err[1], 0);
	assert_string_equal(s.d[1].text, "Ferry fares stay the same until the "
	                                 "summer, the operator said.");
	assert_string_equal(s.d[1].url, "https://courier.example/ferry");
	assert_int_equal(s.d[1].published, 1235433600);
	assert_null(s.d[1].warning);
	assert_int_equal(s.err[2], EXTRACT_EEMPTY);
	assert_int_equal(s.err[3], 0);
	assert_int_equal(s.d[3].published, 0);
	assert_string_equal(
	    s.d[3].warning, "unparsable date \"11/12/2011\" ignored");
	feed_seen_free(&s);

	/* the same under a name that says nothing: sniffed */
	assert_int_equal(runs("courier-feed", rss_feed, &d), 0);
	assert_int_equal(d.format, EXTRACT_XML);
	assert_string_equal(d.title, "Caf\xc3\xa9 on the pier reopens");
	extract_doc_free(&d);
}

static void
test_feed_atom(void **state)
{
	static const char atom[] =
	    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
	    "<!-- exported by a CMS -->\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
	    "<title>Valley Herald</title>"
	    "<updated>2024-05-14T18:30:00Z</updated>\n"
	    "<entry><title type=\"html\">Weir gates &lt;b&gt;opened&lt;/b&gt;"
	    " &amp;amp; closed</title>"
	    "<link rel=\"self\" href=\"https://herald.example/feed/1\"/>"
	    "<link rel=\"alternate\" href=\"https://herald.example/weir\"/>"
	    "<id>tag:herald.example,2024:1</id>"
	    "<updated>2024-05-15T08:00:00Z</updated>"
	    "<published>2024-05-14T18:30:00Z</published>"
	    "<author><name>Zo\xc3\xab Marr</name></author>"
	    "<summary>Short.</summary>"
	    "<content type=\"html\">&lt;p&gt;Jos\xc3\xa9 Pe\xc3\xb1"
	    "a opened the weir gates at dawn.&lt;/p&gt;</content></entry>\n"
	    "<entry><title type=\"text\">Mill race cleared</title>"
	    "<link href=\"https://herald.example/mill\"/>"
	    "<updated>2024-05-16T07:00:00+02:00</updated>"
	    "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/"
	    "xhtml\"><p>Volunteers cleared the <b>mill race</b>.</p>"
	    "<p>It took two days.</p></div></content></entry>\n"
	    "</feed>\n";
	struct feed_seen s;

	(void)state;
	/* UTF-8 bytes under a Latin-1 declaration are UTF-8 */
	assert_int_equal(feed_each("herald.atom", atom, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.err[0], 0);
	/* a title of type html: its tags go, its entities are read */
	assert_string_equal(s.d[0].title, "Weir gates opened & closed");
	assert_string_equal(s.d[0].url, "https://herald.example/weir");
	assert_string_equal(s.d[0].author, "Zo\xc3\xab Marr");
	assert_int_equal(s.d[0].published, 1715711400); /* not updated */
	assert_string_equal(s.d[0].text, "Jos\xc3\xa9 Pe\xc3\xb1"
	                                 "a opened the weir gates at dawn.");
	assert_int_equal(s.err[1], 0);
	assert_string_equal(s.d[1].url, "https://herald.example/mill");
	assert_int_equal(s.d[1].published, 1715835600);
	assert_string_equal(s.d[1].text,
	    "Volunteers cleared the mill race.\n\nIt took two days.");
	feed_seen_free(&s);
}

static void
test_feed_rdf(void **state)
{
	static const char rdf[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\""
	    " xmlns=\"http://purl.org/rss/1.0/\" "
	    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
	    "<channel rdf:about=\"https://old.example/\"><title>Old</title>"
	    "</channel>"
	    "<item rdf:about=\"https://old.example/1\"><title>Orchard frost"
	    "</title><link>https://old.example/1</link>"
	    "<dc:date>2004-04-02T06:00:00Z</dc:date>"
	    "<description>Frost hit the orchards overnight.</description>"
	    "</item></rdf:RDF>";
	struct feed_seen s;

	(void)state;
	assert_int_equal(feed_each("old.xml", rdf, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.d[0].title, "Orchard frost");
	assert_string_equal(s.d[0].url, "https://old.example/1");
	assert_int_equal(s.d[0].published, 1080885600);
	assert_string_equal(s.d[0].text, "Frost hit the orchards overnight.");
	feed_seen_free(&s);
}

/* Other XML is refused, not stored as text; XHTML is a page; a broken
 * feed keeps the items before the break. */
static void
test_feed_other_xml(void **state)
{
	static const char sitemap[] =
	    "<?xml version=\"1.0\"?>\n<urlset><url><loc>https://a.example/"
	    "</loc></url></urlset>";
	static const char xhtml[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html "
	    "PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/"
	    "TR/xhtml1/DTD/xhtml1-strict.dtd\">\n<html xmlns=\"http://www.w3."
	    "org/1999/xhtml\"><body><p>Quay Street bakery opens.</p></body>"
	    "</html>";
	static const char broken[] =
	    "<rss><channel><item><title>One</title><description>First item."
	    "</description></item><item><title>Two</title><description>Second"
	    " item.</description></item><item><title>Thr";
	struct feed_seen s;
	struct extract_doc d;

	(void)state;
	assert_int_equal(
	    feed_each("sitemap.xml", sitemap, &s), EXTRACT_ENOTFEED);
	assert_int_equal(s.n, 0);
	assert_int_equal(runs("sitemap", sitemap, &d), EXTRACT_ENOTFEED);
	assert_int_equal(d.format, EXTRACT_XML);
	assert_null(d.text);
	assert_string_equal(extract_strerror(EXTRACT_ENOTFEED),
	    "unsupported format: XML but not an RSS or Atom feed");
	assert_int_equal(runs("page", xhtml, &d), 0);
	assert_int_equal(d.format, EXTRACT_HTML);
	assert_string_equal(d.text, "Quay Street bakery opens.");
	extract_doc_free(&d);
	assert_int_equal(runs("a.xml", "<rss><channel></channel></rss>", &d),
	    EXTRACT_EEMPTY);
	assert_int_equal(runs("a.xml", "<rss><item>", &d), EXTRACT_EMALFORMED);
	assert_int_equal(
	    runs("a.xml", "not xml at all", &d), EXTRACT_EMALFORMED);
	assert_int_equal(feed_each("b.rss", broken, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.d[0].text, "First item.");
	assert_string_equal(s.d[1].text, "Second item.");
	assert_int_equal(s.err[2], EXTRACT_EMALFORMED);
	feed_seen_free(&s);
}

/* No file or network is read for an external entity, and entities are
 * not expanded: a billion laughs is refused at once or stays inert. */
static void
test_feed_entities(void **state)
{
	char path[] = "/tmp/test_extract_xxe.XXXXXX";
	const char *secret = "Secretword Quillfeather";
	struct feed_seen s;
	struct sb b = {0};
	double t0;
	int fd, rc;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, secret, strlen(secret)), strlen(secret));
	close(fd);
	sb_add(&b,
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	    "<!ENTITY ext SYSTEM \"file://%s\">\n"
	    "<!ENTITY net SYSTEM \"http://127.0.0.1:9/x\">\n]>\n"
	    "<rss><channel><item><title>T &ext;</title>"
	    "<description>Before &ext; &net; after.</description>"
	    "</item></channel></rss>\n",
	    path);
	assert_int_equal(feed_each("x.rss", b.p, &s), 0);
	unlink(path);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.err[0], 0);
	assert_lacks(s.d[0].text, "Quillfeather");
	assert_lacks(s.d[0].title, "Quillfeather");
	assert_contains(s.d[0].text, "Before");
	assert_contains(s.d[0].text, "after.");
	feed_seen_free(&s);
	free(b.p);

	memset(&b, 0, sizeof(b));
	sb_add(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	           "<!ENTITY a \"lol lol lol lol lol lol lol lol lol lol\">\n");
	for (int i = 1; i < 10; i++) {
		sb_add(&b, "<!ENTITY %c \"", 'a' + i);
		for (int k = 0; k < 10; k++)
			sb_add(&b, "&%c;", 'a' + i - 1);
		sb_add(&b, "\">\n");
	}
	sb_add(&b, "]>\n<rss><channel><item><title>T</title>"
	           "<description>Before &j; after.</description>"
	           "</item></channel></rss>\n");
	t0 = now_s();
	rc = feed_each("x.rss", b.p, &s);
	assert_true(now_s() - t0 < 2.0);
	if (rc == 0) {
		assert_int_equal(s.n, 1);
		if (s.err[0] == 0)
			assert_true(s.d[0].text_len < 100);
	} else {
		assert_int_equal(rc, EXTRACT_EMALFORMED);
	}
	feed_seen_free(&s);
	free(b.p);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(extract_strerror(EXTRACT_EPARTS),
	    "MIME message with too many or too deeply nested parts");
	assert_non_null(extract_strerror(-ENOMEM));
	assert_non_null(extract_strerror(-99999));
	assert_string_equal(extract_format_name(EXTRACT_EML), "eml");
}

/* ---- One story, four formats ------------------------------------------ */

static void
test_same_story(void **state)
{
	char *txt = story_txt(), *inputs[3];
	const char *names[3] = {"story.html", "story.json", "story.eml"};
	struct extract_doc base, d;
	size_t na, nb;
	double share, back;
	int i;

	(void)state;
	inputs[0] = story_html();
	inputs[1] = story_json();
	inputs[2] = story_eml();
	assert_int_equal(runs("story.txt", txt, &base), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(runs(names[i], inputs[i], &d), 0);
		share = in_order_share(base.text, d.text, &na, &nb);
		back = in_order_share(d.text, base.text, &nb, &na);
		if (share < 0.95 || back < 0.95)
			fail_msg("%s: %.3f of the text's %zu words in order, "
			         "%.3f of its %zu words from the text:\n%s",
			    names[i], share, na, back, nb, d.text);
		assert_non_null(d.title);
		assert_non_null(d.source);
		assert_true(d.published > 0);
		extract_doc_free(&d);
		free(inputs[i]);
	}
	extract_doc_free(&base);
	free(txt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_dates_named_month),
	    cmocka_unit_test(test_html_news_page),
	    cmocka_unit_test(test_html_meta_fallbacks),
	    cmocka_unit_test(test_html_entities),
	    cmocka_unit_test(test_html_charset),
	    cmocka_unit_test(test_html_malformed),
	    cmocka_unit_test(test_html_deep),
	    cmocka_unit_test(test_html_huge),
	    cmocka_unit_test(test_html_billion_laughs),
	    cmocka_unit_test(test_html_binary_and_empty),
	    cmocka_unit_test(test_json_item),
	    cmocka_unit_test(test_date_warning),
	    cmocka_unit_test(test_json_lines),
	    cmocka_unit_test(test_json_bad),
	    cmocka_unit_test(test_eml_plain),
	    cmocka_unit_test(test_eml_multipart),
	    cmocka_unit_test(test_eml_charset),
	    cmocka_unit_test(test_eml_cr_only),
	    cmocka_unit_test(test_eml_utf8_under_latin1_label),
	    cmocka_unit_test(test_eml_bombs),
	    cmocka_unit_test(test_eml_encoded_words_linear),
	    cmocka_unit_test(test_txt),
	    cmocka_unit_test(test_txt_headline),
	    cmocka_unit_test(test_txt_word_offsets),
	    cmocka_unit_test(test_feed_rss),
	    cmocka_unit_test(test_feed_atom),
	    cmocka_unit_test(test_feed_rdf),
	    cmocka_unit_test(test_feed_other_xml),
	    cmocka_unit_test(test_feed_entities),
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_same_story),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
