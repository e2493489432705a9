/* cluster.c - the original of a cluster; see cluster.h. */
#include <stdlib.h>

#include "cluster.h"
#include "match.h"

/* Publication time when known, else arrival. */
static int64_t
when(const struct cluster_member *m)
{
	return m->published != 0 ? m->published : m->first_seen;
}

static int
cluster_id_cmp(const void *x, const void *y)
{
	const struct cluster_id *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

void
cluster_ids_sort(struct cluster_id *ix, size_t n)
{
	if (n > 1)
		qsort(ix, n, sizeof(*ix), cluster_id_cmp);
}

size_t
cluster_ids_find(const struct cluster_id *ix, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ix[lo].id == id ? ix[lo].i : SIZE_MAX;
}

size_t
cluster_pick_original(const struct cluster_member *m, size_t n,
    const struct cluster_edge *e, size_t ne, int64_t window_us)
{
	unsigned *wins = NULL;
	unsigned char *beaten = NULL, *cand = NULL;
	struct cluster_id *ix = NULL;
	size_t i, best, earliest = 0, w, l;

	if (n == 0)
		return 0;
	for (i = 1; i < n; i++)
		if (when(&m[i]) < when(&m[earliest]) ||
		    (when(&m[i]) == when(&m[earliest]) &&
		        m[i].id < m[earliest].id))
			earliest = i;
	wins = calloc(n, sizeof(*wins));
	beaten = calloc(n, 1);
	cand = calloc(n, 1);
	ix = malloc(n * sizeof(*ix));
	if (wins == NULL || beaten == NULL || cand == NULL || ix == NULL) {
		/* No memory for the refinement: the earliest is a fine
		 * answer, and what the rule gives without overlap. */
		best = earliest;
		goto out;
	}
	for (i = 0; i < n; i++) {
		cand[i] = when(&m[i]) - when(&m[earliest]) <= window_us;
		ix[i].id = m[i].id;
		ix[i].i = i;
	}
	cluster_ids_sort(ix, n);
	for (i = 0; i < ne; i++) {
		if (e[i].original == 0)
			continue;
		w = cluster_ids_find(ix, n, e[i].original);
		l = cluster_ids_find(
		    ix, n, e[i].original == e[i].a ? e[i].b : e[i].a);
		if (w == SIZE_MAX || l == SIZE_MAX || !cand[w] || !cand[l])
			continue;
		/* Every pair's own original beats the other: a copy wrapped
		 * in a site's header contains the excerpts its original
		 * does, and is longer, but its pair names the original. */
		beaten[l] = 1;
		if (e[i].relation == MATCH_EXCERPT)
			wins[w]++;
	}
	best = n;
	for (i = 0; i < n; i++) {
		if (!cand[i] || beaten[i])
			continue;
		if (best == n) {
			best = i;
			continue;
		}
		if (wins[i] != wins[best]) {
			if (wins[i] > wins[best])
				best = i;
			continue;
		}
		if (wins[i] > 0 && m[i].ntokens != m[best].ntokens) {
			if (m[i].ntokens > m[best].ntokens)
				best = i;
			continue;
		}
		if (when(&m[i]) < when(&m[best]) ||
		    (when(&m[i]) == when(&m[best]) && m[i].id < m[best].id))
			best = i;
	}
	/* Everyone beaten: a cycle of excerpts, which the relation rules
	 * should not produce. Fall back to the earliest. */
	if (best == n)
		best = earliest;
out:
	free(wins);
	free(beaten);
	free(cand);
	free(ix);
	return best;
}

uint64_t
cluster_outer(uint64_t a, uint64_t b, float cont_ab, float cont_ba)
{
	return cont_ab >= cont_ba ? b : a;
}

static size_t
uf_root(size_t *up, size_t i)
{
	while (up[i] != i) {
		up[i] = up[up[i]];
		i = up[i];
	}
	return i;
}

int
cluster_is_compilation(
    const uint64_t *inner, size_t n, const struct cluster_edge *e, size_t ne)
{
	struct cluster_id *ix;
	size_t *up, i, x, y, groups;

	if (n < 2)
		return 0;
	ix = malloc(n * sizeof(*ix));
	up = malloc(n * sizeof(*up));
	if (ix == NULL || up == NULL) {
		free(ix);
		free(up);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ix[i] = (struct cluster_id){inner[i], i};
		up[i] = i;
	}
	cluster_ids_sort(ix, n);
	groups = n;
	for (i = 0; i < ne; i++) {
		if (e[i].relation == MATCH_PARTIAL ||
		    e[i].relation == MATCH_NONE)
			continue;
		x = cluster_ids_find(ix, n, e[i].a);
		y = cluster_ids_find(ix, n, e[i].b);
		if (x == SIZE_MAX || y == SIZE_MAX)
			continue;
		x = uf_root(up, x);
		y = uf_root(up, y);
		if (x != y) {
			up[x > y ? x : y] = x < y ? x : y;
			groups--;
		}
	}
	free(ix);
	free(up);
	return groups > 1;
}
