/*
 * text.h - small pure functions on bytes: UTF-8, "is this text?",
 * request paths, ignored file names and URL query strings.
 *
 * No I/O, no global state: these see untrusted input (file contents,
 * request lines) and are unit-tested and fuzzed on their own.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s[0..len), 1..4, or 0 if the bytes
 * there do not start a valid sequence (overlong forms, surrogates and code
 * points above U+10FFFF are invalid). len must be > 0.
 */
size_t text_utf8_seq(const unsigned char *s, size_t len);

/* Nonzero if all len bytes are valid UTF-8. */
int text_utf8_valid(const char *s, size_t len);

/*
 * A copy of s with every invalid byte replaced by U+FFFD, NUL-terminated,
 * malloc'd (caller frees); *outlen (may be NULL) gets its length.
 * NULL on allocation failure. Used to put file names and passages, which
 * are bytes, into JSON, which is Unicode.
 */
char *text_utf8_repair(const char *s, size_t len, size_t *outlen);

/* What text_classify() found. */
enum text_kind {
	TEXT_OK = 0,
	TEXT_EMPTY,  /* no bytes, or only whitespace */
	TEXT_BINARY, /* NUL bytes, or too many invalid/control bytes */
};

/*
 * Decide whether len bytes are an article we should read. A NUL byte makes
 * it binary (no text format has them, and every binary format does);
 * otherwise it is binary when more than 30% of it is invalid UTF-8 or
 * control characters other than tab, CR, LF and FF. Some invalid UTF-8 in
 * mostly-text files (a Latin-1 quote in a UTF-8 page) is fine: the
 * normalizer replaces it.
 */
enum text_kind text_classify(const char *s, size_t len);
const char *text_kind_name(enum text_kind k);

/*
 * Clean a path given in a request into a relative path inside the watched
 * directory: empty and "." components and repeated slashes are dropped
 * ("a//./b/" -> "a/b"). Refused with -EINVAL: empty result, absolute paths,
 * ".." components, NUL or control bytes. out must hold len + 1 bytes
 * (the result is never longer than the input). Returns 0 or -EINVAL.
 */
int text_reqpath_clean(const char *in, size_t len, char *out);

/*
 * Nonzero if a directory entry called `name` must never be ingested or
 * descended into: dotfiles and dot-directories, and the temporary names
 * editors and downloaders use while writing (*.tmp, *~, .#*, #*#, *.swp,
 * *.part). A file is picked up when it gets its final name.
 */
int text_name_ignored(const char *name);

/* Whether the walk reads relative path rel under its own name: none of
 * its components is a name text_name_ignored() leaves out (a symlink to
 * such a file is read under the link's name). */
int text_path_watched(const char *rel);

/* Whether s is "#" and one or more digits to its end: the suffix that
 * names item N of a file with several ("feed.jsonl#2"). */
int text_item_suffix(const char *s);

/*
 * Why the file named rel (relative to the watched directory) cannot be
 * stored under its name, or NULL: a name that ends as a feed item's does
 * ("feed.json#1", "#dropped-…", "#=…": the names of a file's items, its
 * dropped items and its expired items' records), and so does one with a
 * control character (a newline, a terminal's escape), which no request
 * could name and which would garble logs and tables.
 */
const char *text_name_refused(const char *rel);

/*
 * Find `key` in a URL query string ("a=1&b=x%2Fy") and percent-decode its
 * value ('+' is a space) into a malloc'd NUL-terminated string (*out).
 * Returns 0, -ENOENT if the key is absent, -EINVAL on a malformed escape or
 * a decoded NUL byte, -ENOMEM. query may be NULL (no parameters).
 */
int text_query_get(const char *query, const char *key, char **out);

/*
 * Make s (n bytes, UTF-8) safe for a terminal and a line-based reader:
 * each C0 control byte, DEL and C1 control (U+0080..U+009F, an 8-bit
 * escape) becomes '?' (the C1 one's two bytes "??"), in place. A file
 * name with a newline or an escape sequence must not forge a line of a
 * report nor reach the terminal of whoever reads it.
 */
void text_visible(char *s, size_t n);

#endif
