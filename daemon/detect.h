/*
 * detect.h - find which stored documents a document reprints or duplicates.
 *
 * Stage one looks candidates up in the store's inverted index of winnowed
 * fingerprints (never a scan of all documents); stage two verifies each
 * candidate exactly with match_verify(). Keys held by more than
 * params->boilerplate_df documents are treated as boilerplate.
 *
 * Runs inside the caller's transaction (read or write) and does not write.
 */
#ifndef DETECT_H
#define DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "store.h"

struct detect_hit {
	uint64_t id;           /* the stored document */
	struct match_result r; /* a = the new document, b = the stored one */
};

/*
 * The features of the documents stored last, which verification uses
 * instead of rebuilding them from the stored text: a reprint tends to
 * arrive soon after its original. Bounded by DETECT_RECENT_MAX documents
 * and DETECT_RECENT_BYTES. An entry is used only while the store's record
 * of its id has the same normalized text (hash and length); still, forget
 * all after a write transaction is aborted, whose ids come again.
 */
#define DETECT_RECENT_MAX 256
#define DETECT_RECENT_BYTES (6u << 20)
struct detect_recent;
int detect_recent_new(struct detect_recent **out); /* 0 or -ENOMEM */
void detect_recent_free(struct detect_recent *c);
/* Keep d, the features of stored document id (ids ascending); the cache
 * owns d from here (it may free it at once). c may be NULL. */
void detect_recent_add(
    struct detect_recent *c, uint64_t id, struct match_doc *d);
void detect_recent_clear(struct detect_recent *c);
/* Verifications that used a kept document, since c was made. */
uint64_t detect_recent_hits(const struct detect_recent *c);

/* What detect_run() matches. */
struct detect_req {
	const struct match_doc *d;
	uint64_t self; /* d's own id when stored already (skipped), else 0 */
	const char *source; /* d's publisher or site; NULL: not known */
	struct detect_recent *recent; /* may be NULL */
	const struct match_params *p;
};

/* A stored pair that d showed to be its site's own lines (see
 * detect_run): a < b. */
struct detect_stale {
	uint64_t a, b;
};

/*
 * Match q->d against the store. On success *hits is a malloc'd array
 * (caller frees) of the documents with a relation, best first, and *n
 * its length. Returns 0 or a negative error (store_strerror()).
 *
 * A site's own lines (a newsletter's footer, an "about us" paragraph the
 * page does not mark) are boilerplate once more than boilerplate_df
 * documents hold them; before that, text that d shares with two or more
 * documents of its own source, none a copy of d or of another, is taken
 * as the site's, and not counted as shared with those d pairs `partial`
 * with (a copy stays a copy). The partial pairs between those documents
 * that it made are listed in *stale (malloc'd, caller frees) when stale
 * is not NULL: the caller removes them.
 */
int detect_run(struct store_txn *txn, const struct detect_req *q,
    struct detect_hit **hits, size_t *n, struct detect_stale **stale,
    size_t *nstale);

/*
 * The original of a flagged pair (returns a->id, b->id, or 0 for none):
 * the earlier one, except that when the two are within `window_us` of
 * each other, one contains the other (excerpt) and they are of one
 * source (or either's is unknown), the containing one is the original;
 * for exact and near duplicates within the window, the
 * earlier one (then the lower id). "Earlier" compares store_doc_time():
 * the publication time when known, else the arrival. Partial pairs have
 * no original (0).
 * `r` compares a with b as match_verify() does.
 */
uint64_t detect_original(const struct store_doc *a, const struct store_doc *b,
    const struct match_result *r, int64_t window_us);

#endif
