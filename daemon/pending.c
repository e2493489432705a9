/* pending.c - deduplicated FIFO of paths: a list plus a chained hash. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pending.h"

struct pent {
	struct pent *next;  /* FIFO order */
	struct pent *chain; /* hash bucket */
	uint64_t hash;
	int64_t since;
	char path[];
};

struct pending {
	struct pent *head, *tail;
	struct pent **bucket;
	size_t nbucket; /* power of two */
	size_t count;
	struct pent *peek; /* the last path peeked, NULL: none queued */
	size_t npeek;      /* paths from head to peek */
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: short keys, no seed
	                                     * needed since the set is ours */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

int
pending_new(struct pending **out)
{
	struct pending *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	q->nbucket = 64;
	if ((q->bucket = calloc(q->nbucket, sizeof(*q->bucket))) == NULL) {
		free(q);
		return -ENOMEM;
	}
	*out = q;
	return 0;
}

void
pending_free(struct pending *q)
{
	struct pent *e, *next;

	if (q == NULL)
		return;
	for (e = q->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(q->bucket);
	free(q);
}

static void
pending_grow(struct pending *q)
{
	struct pent **nb, *e;
	size_t n = q->nbucket * 2, i;

	/* Failing to grow only makes chains longer; carry on. */
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (e = q->head; e != NULL; e = e->next) {
		i = e->hash & (n - 1);
		e->chain = nb[i];
		nb[i] = e;
	}
	free(q->bucket);
	q->bucket = nb;
	q->nbucket = n;
}

/* A new entry for path, in its bucket but in no place of the FIFO yet;
 * NULL if it is queued already (*err 0) or memory ran out (*err
 * -ENOMEM). */
static struct pent *
pending_enter(struct pending *q, const char *path, int64_t since, int *err)
{
	uint64_t h = hash_str(path);
	struct pent *e;
	size_t len = strlen(path), i;

	*err = 0;
	for (e = q->bucket[h & (q->nbucket - 1)]; e != NULL; e = e->chain)
		if (e->hash == h && strcmp(e->path, path) == 0)
			return NULL;
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(e->path, path, len + 1);
	e->hash = h;
	e->since = since;
	e->next = NULL;
	i = h & (q->nbucket - 1);
	e->chain = q->bucket[i];
	q->bucket[i] = e;
	q->count++;
	return e;
}

int
pending_add(struct pending *q, const char *path, int64_t since)
{
	int err;
	struct pent *e = pending_enter(q, path, since, &err);

	if (e == NULL)
		return err;
	if (q->tail != NULL)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	if (q->count > q->nbucket)
		pending_grow(q);
	return 1;
}

int
pending_requeue(
    struct pending *q, char *const *paths, const int64_t *since, size_t n)
{
	struct pent *e;
	int err = 0;

	pending_peek_reset(q);
	/* Last first, each in front of the one after it. */
	while (n-- > 0) {
		if ((e = pending_enter(q, paths[n], since[n], &err)) == NULL) {
			if (err < 0)
				return err;
			continue;
		}
		e->next = q->head;
		q->head = e;
		if (q->tail == NULL)
			q->tail = e;
		if (q->count > q->nbucket)
			pending_grow(q);
	}
	return 0;
}

char *
pending_pop(struct pending *q, int64_t *since)
{
	struct pent *e = q->head, **pp;
	char *s;

	if (e == NULL)
		return NULL;
	if ((s = strdup(e->path)) == NULL)
		return NULL;
	if (since != NULL)
		*since = e->since;
	for (pp = &q->bucket[e->hash & (q->nbucket - 1)]; *pp != e;
	     pp = &(*pp)->chain)
		;
	*pp = e->chain;
	q->head = e->next;
	if (q->head == NULL)
		q->tail = NULL;
	if (q->npeek > 0 && --q->npeek == 0)
		q->peek = NULL;
	q->count--;
	free(e);
	return s;
}

size_t
pending_count(const struct pending *q)
{
	return q->count;
}

const char *
pending_peek_next(struct pending *q)
{
	struct pent *e = q->peek != NULL ? q->peek->next : q->head;

	if (e == NULL)
		return NULL;
	q->peek = e;
	q->npeek++;
	return e->path;
}

size_t
pending_peeked(const struct pending *q)
{
	return q->npeek;
}

void
pending_peek_reset(struct pending *q)
{
	q->peek = NULL;
	q->npeek = 0;
}
