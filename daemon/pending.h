/*
 * pending.h - the set of files seen and not yet processed.
 *
 * A FIFO without duplicates: an editor may close a file three times in a
 * second and a rescan may find a file that an event already queued; it is
 * processed once. Paths are relative to the watched directory.
 */
#ifndef PENDING_H
#define PENDING_H

#include <stddef.h>
#include <stdint.h>

struct pending;

int pending_new(struct pending **out);
void pending_free(struct pending *q);

/*
 * Queue path unless it is queued already, with since, when it was first
 * seen (an opaque time the caller gets back: a path queued again after a
 * failed batch keeps its first). Returns 1 if added, 0 if it was there
 * (its time unchanged), -ENOMEM.
 */
int pending_add(struct pending *q, const char *path, int64_t since);

/*
 * Put paths[0..n) back at the front of the queue, in that order, each
 * with its since: files taken for a batch that did not commit, which
 * must be stored before the files queued after them (the order of
 * arrival decides which copy is the original). A path queued meanwhile
 * stays where it is. Returns 0 or -ENOMEM (the paths after the failing
 * one are queued). The look ahead starts again from the front.
 */
int pending_requeue(
    struct pending *q, char *const *paths, const int64_t *since, size_t n);

/* Take the oldest path (malloc'd, caller frees) and, if since is not
 * NULL, its time; NULL if empty, or without memory for the copy (the
 * path then stays queued: pending_count() tells which). */
char *pending_pop(struct pending *q, int64_t *since);

size_t pending_count(const struct pending *q);

/*
 * A look ahead along the queue, for reading files before their turn:
 * pending_peek_next returns the first queued path it has not returned
 * yet (valid until popped or the queue freed), NULL when it has returned
 * them all; pending_peeked counts the queued paths it has returned.
 */
const char *pending_peek_next(struct pending *q);
size_t pending_peeked(const struct pending *q);
/* Look ahead from the oldest path again (pending_peeked is then 0). */
void pending_peek_reset(struct pending *q);

#endif
