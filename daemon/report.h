/*
 * report.h - what happened in a period: counts, syndication clusters, the
 * most reprinted stories, who reprints whom, rejected files; as text,
 * JSON or one self-contained HTML page (GET /v1/report, the nightly
 * cleanup, reprintctl report).
 *
 * report_build() reads the store into a JSON model (the "json" format is
 * that model); the text and HTML renderers only read the model, so the
 * three formats always agree.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct reprintd;
struct store_txn;

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_HTML };

/* "text", "json", "html" -> the format, or -1. */
int report_format_parse(const char *s);
/* MIME type and file name extension of a format. */
const char *report_format_mime(enum report_format f);
const char *report_format_ext(enum report_format f);

/*
 * Parse the start of a period: "2026-03-01" (00:00 UTC),
 * "2026-03-01T12:00:00Z" (also without seconds or "Z"; always UTC), unix
 * seconds ("1772323200"), or an age ("24h", "7d", "90m", "2w") before
 * now_us. Returns 0 with *out in unix microseconds, or -EINVAL.
 */
int report_parse_since(const char *s, int64_t now_us, int64_t *out);

/*
 * Build the model of [since_us, until_us) from the store (a read txn):
 * every document and pair is read once, O(documents + pairs). On success
 * returns 0 and a new reference in *out; -ENOMEM or a store error.
 *
 *   counts:   ingested, rejected, expired, flagged {relation: n}, clusters
 *   daily:    [{date, ingested, rejected}] (at least the last 14 days)
 *   clusters: [{original {path, source, title, first_seen}, reprints,
 *              members [{path, source, relation, similarity, jaccard,
 *              first_seen, delay_s}]}], biggest first
 *   top_stories, sources, reprints_of (who reprints whom), rejected
 */
int report_build(const struct reprintd *r, struct store_txn *txn,
    int64_t since_us, int64_t until_us, json_t **out);

/* Render the model. *out is malloc'd and NUL-terminated, *len bytes.
 * Returns 0 or -ENOMEM. */
int report_render(json_t *model, enum report_format f, char **out, size_t *len);

/*
 * Write the model as report-YYYY-MM-DD.{html,json,txt} (the date of
 * until) into dir (created, mode 0750, if missing): each through a
 * temporary file and rename, so that a reader never sees half a report.
 * path (len bytes) gets the HTML file's path. Returns 0 or -errno.
 */
int report_write(json_t *model, const char *dir, char *path, size_t len);

#endif
