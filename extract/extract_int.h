/*
 * extract_int.h - what the extract/ files share; not installed, not a
 * contract. All functions follow extract.h's error conventions.
 */
#ifndef EXTRACT_INT_H
#define EXTRACT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"

/* A growing output buffer with a hard maximum. */
struct xbuf {
	char *p;
	size_t len, cap, max;
};

int xbuf_put(struct xbuf *b, const char *s, size_t n);
int xbuf_putc(struct xbuf *b, char c);
/* The buffer's bytes, NUL-terminated; the buffer is reset. NULL on ENOMEM
 * (the buffer is freed then). */
char *xbuf_take(struct xbuf *b, size_t *len);
void xbuf_free(struct xbuf *b);

/* Limits with every 0 replaced by its default. */
void ex_limits(const struct extract_limits *in, struct extract_limits *out);

/* Length of the valid UTF-8 sequence at s, or 0. len > 0. */
size_t ex_utf8_seq(const unsigned char *s, size_t len);
int ex_utf8_valid(const char *s, size_t len);
/* Nonzero when s is valid UTF-8 (NUL bytes aside) with at least one
 * multi-byte sequence: UTF-8 whatever a declaration says, since text in
 * a legacy 8-bit charset practically never reads so. */
int ex_utf8_multibyte(const char *s, size_t len);

/*
 * Convert len bytes in `charset` to UTF-8 (malloc'd, NUL-terminated,
 * invalid input replaced by U+FFFD). charset NULL or unknown to us but
 * harmless ("us-ascii", "utf-8") -> UTF-8 if it is valid, else
 * Windows-1252. Latin-1 labels are read as Windows-1252 (as browsers do),
 * unless the bytes are UTF-8 with a multi-byte sequence
 * (ex_utf8_multibyte): then they are UTF-8, as in a page.
 * EXTRACT_ECHARSET when iconv does not know the name; EXTRACT_ETOOBIG when
 * the result would exceed max.
 */
int ex_to_utf8(const char *charset, const char *in, size_t len, size_t max,
    char **out, size_t *outlen);

/*
 * Tidy text for output: invalid UTF-8 -> U+FFFD, CR LF and CR -> LF,
 * control characters and no-break spaces -> space, runs of spaces -> one,
 * no spaces at line ends, at most one blank line, trimmed. Result
 * malloc'd; EXTRACT_ETOOBIG over max; EXTRACT_EEMPTY if nothing is left.
 */
int ex_tidy(const char *in, size_t len, size_t max, char **out, size_t *outlen);

/*
 * A mail header's value for people (eml.c): raw 8-bit bytes read as UTF-8
 * or Windows-1252, RFC 2047 encoded words decoded, one tidy line;
 * malloc'd, NULL if empty or on ENOMEM. Adds to *scanned the bytes it
 * read looking for the parts of encoded words: a measure of its work
 * that does not depend on the machine, for the tests.
 */
char *ex_header_text(const char *v, size_t *scanned);

/* A metadata string: tidied to one line, NULL if empty or on ENOMEM. */
char *ex_meta_str(const char *s, size_t len);

/* Nonzero when the bytes are not text (NUL bytes, many control bytes). */
int ex_is_binary(const unsigned char *s, size_t len);

/*
 * HTML to text and metadata. encoding NULL: bytes that are valid UTF-8
 * with multi-byte sequences are read as UTF-8 whatever the page declares
 * (an old template's iso-8859-1 over a site moved to UTF-8, or no
 * declaration at all); otherwise libxml2 detects it (BOM, <meta charset>,
 * else UTF-8 falling back to Latin-1 on invalid bytes). "UTF-8" for text
 * that is already converted. Fills out->text and any metadata field that
 * is still NULL/0.
 */
int ex_html(const char *data, size_t len, const char *encoding,
    const struct extract_limits *lim, struct extract_doc *out);

/* Nonzero if a string looks like HTML (a tag or an entity). */
int ex_looks_html(const char *s, size_t len);

/* JSON: every item; lim resolved. lines: the name says JSON lines. */
int ex_json_each(const char *data, size_t len, int lines,
    const struct extract_limits *lim, extract_item_fn fn, void *arg);

/* RSS/Atom: every item; lim resolved. */
int ex_feed_each(const char *data, size_t len, const struct extract_limits *lim,
    extract_item_fn fn, void *arg);

/*
 * An item's body into d->text: through the HTML extractor when it looks
 * like HTML (whose metadata fills only fields still empty), else tidied.
 * d->format is kept.
 */
int ex_body(const char *body, size_t len, const struct extract_limits *lim,
    struct extract_doc *d);

/* Nonzero if the JSON text nests deeper than max (a cheap byte scan). */
int ex_json_too_deep(const char *s, size_t len, unsigned max);

/* A message. */
int ex_eml(const char *data, size_t len, const struct extract_limits *lim,
    struct extract_doc *out);

/* Plain text. */
int ex_text(const char *data, size_t len, const struct extract_limits *lim,
    struct extract_doc *out);

/*
 * Parse the date v into *published; when it does not parse, set
 * *warning (if still NULL) to say so, with v quoted, tidied and cut.
 * Returns extract_parse_date's result.
 */
int ex_date(const char *v, int64_t *published, char **warning);

/* Replace *dst by a copy of src when *dst is NULL (metadata merging). */
void ex_fill(char **dst, const char *src);

#endif
