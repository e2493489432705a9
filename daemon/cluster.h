/*
 * cluster.h - choosing the original of a syndication cluster.
 *
 * Pure: the HTTP handler and the report gather the members (documents
 * connected through flagged pairs other than partial, and other than a
 * compilation's excerpts) and the edges between them from the store;
 * this decides which member is the original and which documents are
 * compilations, so that the rules can be tested on their own.
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct cluster_member {
	uint64_t id;
	int64_t first_seen; /* unix microseconds */
	uint32_t ntokens;
	int64_t published; /* store_doc_time(); 0 unknown: first_seen */
};

/* One flagged pair between two members. */
struct cluster_edge {
	uint64_t a, b;
	uint32_t relation; /* enum match_relation */
	uint64_t original; /* a, b or 0: the pair's own original */
};

/*
 * Members by id: ix[k] = {m[i].id, i}, sorted by cluster_ids_sort; a
 * member's index found by bisection (SIZE_MAX: none). A story in
 * thousands of places is one cluster: its edges find their ends so.
 */
struct cluster_id {
	uint64_t id;
	size_t i;
};
void cluster_ids_sort(struct cluster_id *ix, size_t n);
size_t cluster_ids_find(const struct cluster_id *ix, size_t n, uint64_t id);

/*
 * Index in m[] of the cluster's original. "Time" is `published` (the
 * store's store_doc_time()), else the arrival. The earliest, unless other
 * members are within `window_us` of it: among those, the pair-original of
 * an edge beats the edge's other member (so the cluster agrees with its
 * pairs), and the pair-original of an excerpt edge "contains" the
 * excerpt; of the members nobody beats, the one that contains the most
 * others wins, then the one with the most tokens among those that contain
 * any, then the earliest, then the lowest id; if every member is beaten
 * (pairs that disagree in a cycle), the earliest. Returns 0 for n == 0.
 */
size_t cluster_pick_original(const struct cluster_member *m, size_t n,
    const struct cluster_edge *e, size_t ne, int64_t window_us);

/* The side of an excerpt pair that holds the other: b when a is the more
 * contained (cont_ab: the share of a found in b). */
uint64_t cluster_outer(uint64_t a, uint64_t b, float cont_ab, float cont_ba);

/*
 * Whether a document that holds others (the outer side of their excerpt
 * pairs) is a compilation: a digest, a feed saved whole, a page of
 * several stories, rather than one story's copy. inner[0..n) are the
 * documents it holds, e[0..ne) the flagged pairs other than partial
 * among them (pairs with other ends are ignored): a compilation when
 * those pairs do not connect them all. A compilation's excerpt pairs
 * with what it holds join no cluster: two stories are not one because a
 * digest carries both. 0 or 1; -1 without memory.
 */
#define CLUSTER_INNER_MAX 32 /* held documents a caller need look at */
int cluster_is_compilation(
    const uint64_t *inner, size_t n, const struct cluster_edge *e, size_t ne);

#endif
