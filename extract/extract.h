/*
 * extract.h - article text and metadata from the bytes of a file.
 *
 * Pure library: bytes in, text and metadata out. No I/O, no global state of
 * our own, no signals, no exit(), nothing written to stderr (libxml2's
 * error handler is silenced while it parses). The caller owns the input
 * buffer; extract_doc() allocates the strings of the result, which the
 * caller releases with extract_doc_free().
 *
 * Threads: the functions are reentrant. libxml2 initialises itself on first
 * use; a program that calls extract from several threads must call
 * xmlInitParser() (or any extract function) once from one thread first.
 *
 * Formats (see extract_detect):
 *   EXTRACT_TEXT  plain text: UTF-8, UTF-16/32 with a byte order mark, or
 *                 Latin-1/Windows-1252; everything else is refused. Its
 *                 first line is the title when a blank line follows and
 *                 it reads as a headline (see text_headline).
 *   EXTRACT_HTML  a saved web page: the article body without navigation,
 *                 menus, share bars, cookie banners, comments, scripts...;
 *                 metadata from <title>, meta tags and JSON-LD.
 *   EXTRACT_JSON  a feed item, a JSON array of items, or JSON lines (one
 *                 item per line): see "JSON mapping" below.
 *   EXTRACT_EML   an RFC 5322 / MIME message: its text/plain part, else its
 *                 text/html part; Subject, From and Date as metadata.
 *   EXTRACT_XML   an RSS 2.0, RSS 1.0 (RDF) or Atom feed: each item (entry)
 *                 a document, see "Feed mapping" below. Any other XML is
 *                 refused (EXTRACT_ENOTFEED).
 *
 * Output guarantees: doc.text is valid UTF-8 (anything undecodable is
 * replaced by U+FFFD), NUL-terminated, with no NUL inside, at most
 * lim->max_output bytes, never empty or whitespace only (that is
 * EXTRACT_EEMPTY). For HTML, JSON and mail, paragraphs are separated by a
 * blank line ("\n\n"), lines inside a paragraph (<br>, list items) by
 * "\n", other runs of whitespace are one space, and the text is trimmed.
 * Plain text is only decoded: a UTF-8 file without BOM or invalid bytes
 * comes back byte for byte, so offsets into the file stay valid. Metadata
 * strings are valid UTF-8, one line, trimmed, or NULL when unknown.
 *
 * Errors: functions return 0 or a negative value: -ENOMEM, -EINVAL (a NULL
 * argument where one is required), or one of EXTRACT_E* below. Nothing is
 * logged; extract_strerror() gives a sentence for a log line or a
 * rejection reason.
 */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <stddef.h>
#include <stdint.h>

/* Error codes (all negative, away from errno values). */
#define EXTRACT_EMALFORMED (-11001) /* broken JSON, MIME without a body... */
#define EXTRACT_EDEPTH (-11002)     /* nesting deeper than max_depth */
#define EXTRACT_ETOOBIG (-11003)    /* input or output over its limit */
#define EXTRACT_EPARTS (-11004)   /* MIME: too many parts or nested too deep */
#define EXTRACT_EBINARY (-11005)  /* not text (NUL or control bytes) */
#define EXTRACT_ECHARSET (-11006) /* unknown or undecodable character set */
#define EXTRACT_EEMPTY (-11007)   /* parsed, but no article text in it */
#define EXTRACT_EITEMS (-11008)   /* JSON: more items than max_items */
#define EXTRACT_ENOTFEED (-11009) /* XML, but not an RSS or Atom feed */

enum extract_format {
	EXTRACT_TEXT = 0,
	EXTRACT_HTML,
	EXTRACT_JSON,
	EXTRACT_EML,
	EXTRACT_XML,
};

/*
 * Limits against hostile input. A field left 0 takes its default; a NULL
 * limits pointer means all defaults. Checks happen before the expensive
 * work: an input over max_input is refused before it is parsed.
 */
struct extract_limits {
	/* Input bytes accepted at all. Default 32 MiB (EXTRACT_ETOOBIG). */
	size_t max_input;
	/* Bytes of text produced, and of any decoded intermediate (a base64
	 * MIME body, a charset conversion, a JSON string). Default 8 MiB
	 * (EXTRACT_ETOOBIG). */
	size_t max_output;
	/* Nesting of JSON arrays/objects and of HTML elements. Default 200
	 * (EXTRACT_EDEPTH). libxml2 itself stops an HTML tree at 256 levels;
	 * we report such a truncated page as EXTRACT_EDEPTH too, so values
	 * above 255 act as 255 for HTML. */
	unsigned max_depth;
	/* MIME parts in one message, counting containers. Default 64
	 * (EXTRACT_EPARTS). */
	unsigned max_parts;
	/* Nesting of multipart containers. Default 8 (EXTRACT_EPARTS). */
	unsigned max_mime_depth;
	/* Items in one JSON file (extract_each). Default 100000
	 * (EXTRACT_EITEMS). */
	unsigned max_items;
};

#define EXTRACT_DEFAULT_MAX_INPUT ((size_t)32 << 20)
#define EXTRACT_DEFAULT_MAX_OUTPUT ((size_t)8 << 20)
#define EXTRACT_DEFAULT_MAX_DEPTH 200u
#define EXTRACT_DEFAULT_MAX_PARTS 64u
#define EXTRACT_DEFAULT_MAX_MIME_DEPTH 8u
#define EXTRACT_DEFAULT_MAX_ITEMS 100000u

/*
 * One extracted document. All pointers are owned by the structure (malloc'd)
 * and released by extract_doc_free(); a caller may take one by copying the
 * pointer and setting the field to NULL.
 */
struct extract_doc {
	char *text; /* article text, see "Output guarantees"; never NULL
	               after success */
	size_t text_len;
	char *title;       /* headline, or NULL */
	char *url;         /* canonical URL, or NULL */
	char *source;      /* publisher or site name (for mail: the sender's
	                      organisation or domain), or NULL */
	char *author;      /* byline, or NULL */
	int64_t published; /* unix seconds (UTC), 0 unknown */
	enum extract_format format; /* how the input was read */
	/* Something of the input that was not used and that a person
	 * should hear of, one line for the caller's log, or NULL. Today: a
	 * date that is there but does not parse, when no other date was
	 * found (published is 0): 'unparsable date "11/12/2011" ignored'. */
	char *warning;
};

/*
 * Guess the format of a file from its name and its first bytes. Never
 * fails. name may be NULL or a path; only its extension is used, case
 * insensitive: .txt .text -> TEXT; .html .htm .xhtml .shtml -> HTML;
 * .json .jsonl .ndjson -> JSON; .eml -> EML; .xml .rss .atom -> XML.
 * Any other extension (or none) sniffs the content, after an optional
 * byte order mark and leading whitespace:
 *   "<!doctype html", "<html", "<head" or "<body" (any case)  -> HTML
 *   "<?xml", "<rss", "<feed" or "<rdf:RDF": by the root element after
 *   the XML declaration, comments and doctype: html -> HTML, any
 *   other -> XML (where all but a feed is refused)
 *   '{', or '[' followed by '{'                                  -> JSON
 *   a header block ("Name: value" lines up to an empty line) with at
 *   least two of From, To, Subject, Date, MIME-Version, Message-ID,
 *   Received, Return-Path, Content-Type                          -> EML
 *   anything else                                                -> TEXT
 */
enum extract_format extract_detect(
    const char *name, const void *data, size_t len);

/*
 * Extract one document from len bytes at data. name (may be NULL) is used
 * only for extract_detect(); lim may be NULL (defaults). On success returns
 * 0 and fills *out, which the caller frees with extract_doc_free(). On
 * error *out is zeroed (extract_doc_free on it is harmless) and the return
 * is negative:
 *   -EINVAL              data NULL with len > 0, or out NULL
 *   -ENOMEM              out of memory
 *   EXTRACT_ETOOBIG      len > max_input, or the text over max_output
 *   EXTRACT_EBINARY      NUL bytes (outside UTF-16/32 text) or mostly
 *                        control characters
 *   EXTRACT_ECHARSET     text that is neither UTF-8, UTF-16/32 with a BOM,
 *                        nor plausibly Latin-1/Windows-1252; a MIME part in
 *                        a charset iconv does not know
 *   EXTRACT_EMALFORMED   JSON that does not parse or has no object; a
 *                        multipart message without its boundary
 *   EXTRACT_EDEPTH       nesting deeper than max_depth
 *   EXTRACT_EPARTS       more than max_parts MIME parts or more than
 *                        max_mime_depth nested multiparts
 *   EXTRACT_EEMPTY       no article text found
 *   EXTRACT_ENOTFEED     XML whose root is not rss, feed or rdf:RDF
 * A JSON or feed input with several items gives its first item here (its
 * error if the first item is bad); use extract_each() to get all of them.
 */
int extract_doc(const char *name, const void *data, size_t len,
    const struct extract_limits *lim, struct extract_doc *out);

/* Free the strings of a document and zero it. doc may be NULL. */
void extract_doc_free(struct extract_doc *doc);

/*
 * Called once per item by extract_each(). index counts items from 0 in
 * file order, bad items included, so "file.jsonl#<index>" names an item
 * stably. err is 0 and doc filled, or err is negative (as for extract_doc)
 * and doc has only doc->format set: the item was rejected and the next one
 * follows. doc is freed after the callback returns unless the callback
 * takes its pointers (setting them to NULL). A nonzero return stops the
 * iteration and is what extract_each returns.
 */
typedef int (*extract_item_fn)(
    struct extract_doc *doc, size_t index, int err, void *arg);

/*
 * Every document in a file: for JSON each item (a top-level array, an
 * object's "items"/"articles"/"entries" array, or each line of JSON lines);
 * for a feed each item or entry; for the other formats the callback is
 * called once, with index 0.
 *
 * Feeds: a feed that breaks off (not well formed past what libxml2's
 * recovery mends) gives the items before the break, then one item
 * EXTRACT_EMALFORMED for the rest; broken before its first item, or with
 * a root that is not a feed's, it is an error of the whole call
 * (EXTRACT_EMALFORMED, EXTRACT_ENOTFEED); a feed without items is
 * EXTRACT_EEMPTY.
 *
 * JSON lines: when the file is one JSON value per line (or the first value
 * is followed by another on a later line, or the name ends in .jsonl or
 * .ndjson), each non-blank line is an item and a broken line is reported to
 * the callback as EXTRACT_EMALFORMED while the following lines are still
 * read. A single JSON text that does not parse is an error of the whole
 * call.
 *
 * Returns 0 when every item was offered to the callback (whatever the
 * per-item errors), the callback's nonzero return, or a negative error of
 * the whole input: those of extract_doc() that concern the file as a whole
 * (-EINVAL, -ENOMEM, EXTRACT_ETOOBIG for the input, EXTRACT_EBINARY,
 * EXTRACT_EMALFORMED, EXTRACT_EDEPTH, EXTRACT_EEMPTY for a file with no
 * JSON value at all or a feed with no item, EXTRACT_ENOTFEED), and
 * EXTRACT_EITEMS after max_items items were offered. For the formats of
 * one document a failure is returned and the callback is not called.
 */
int extract_each(const char *name, const void *data, size_t len,
    const struct extract_limits *lim, extract_item_fn fn, void *arg);

/* A static sentence for any return value above, or strerror() for errno
 * values. Never NULL. */
const char *extract_strerror(int err);

/* "text", "html", "json", "eml", "xml". */
const char *extract_format_name(enum extract_format f);

/* Nonzero for the formats whose files hold items, "FILE#N" each (JSON,
 * XML feeds), even when a file holds one. */
int extract_format_items(enum extract_format f);

/*
 * Dates: parse an ISO 8601 / RFC 3339 date ("2024-03-05",
 * "2024-03-05T14:07:00Z", "2024-03-05T14:07:00.123+01:00",
 * "2024-03-05 14:07:00 +0100"), an RFC 2822 date ("Tue, 5 Mar 2024
 * 14:07:00 +0100", obsolete zones GMT/UT/EST...PDT and a trailing comment
 * allowed) with or without its time ("24 Feb 2009"), or a date with the
 * month's English name or abbreviation in either order ("4 July 2010",
 * "July 4, 2010", "Jul 4th 2010 2:07 PM EST", "Sunday, July 4, 2010
 * 14:07") into unix seconds. A time without zone is taken as UTC; a date
 * without time is 00:00 in its zone, UTC if none is given. Numeric dates
 * in other orders ("11/12/2011": November or December?) are refused.
 * Returns 0 and sets *out, or -EINVAL. Exposed for the daemon and tests.
 */
int extract_parse_date(const char *s, int64_t *out);

/*
 * JSON mapping (first field present with a usable value wins; names are
 * matched exactly, as feed producers write them):
 *   title     <- title, headline, name
 *   url       <- url, link, canonical_url, external_url, permalink
 *   source    <- source, site, site_name, publisher, feed
 *   author    <- author, byline, creator, authors
 *   published <- published, date, pubDate, published_at, datePublished,
 *                date_published, publishedAt, created_at, time
 *   text      <- body, content, content_text, content_html, text,
 *                articleBody, article, description, summary
 * A value may be a string; for source/author/title/text also an object
 * with "name", "rendered", "value" or "title" (WordPress writes
 * {"rendered": ...}), or an array whose first element is one of those.
 * Dates may be strings (extract_parse_date) or numbers (unix seconds, or
 * milliseconds when above 10^11). A text value containing HTML tags or
 * entities goes through the HTML extractor (article selection and
 * boilerplate removal included); its metadata fills only fields the item
 * left empty.
 *
 * Feed mapping (RSS 2.0, RSS 1.0, Atom; elements of the item by local
 * name, whatever their namespace; the first present wins):
 *   title     <- title
 *   url       <- link (RSS: its text; Atom: href of a link without rel or
 *                with rel="alternate"), else a guid that is a permalink
 *   source    <- source (RSS: its text; Atom: its title)
 *   author    <- dc:creator, author (Atom: its name)
 *   published <- pubDate, published, dc:date, issued, created, updated,
 *                modified: the first that parses (extract_parse_date)
 *   text      <- content:encoded, content, description, summary; as for
 *                JSON, a text with HTML tags or entities (an escaped
 *                description, Atom type="html", or type="xhtml" markup)
 *                goes through the HTML extractor.
 * Channel-level elements are not used. Encoding: the XML declaration,
 * except that bytes valid as UTF-8 with multi-byte sequences are UTF-8.
 */

#endif
