/*
 * cluster.h - choosing the original of a syndication cluster.
 *
 * Pure: the HTTP handler gathers the members (documents connected through
 * flagged pairs other than partial) and the edges between them from the
 * store; this decides which member is the original, so that the rule can
 * be tested on its own.
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

#endif
