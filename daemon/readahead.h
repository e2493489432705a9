/*
 * readahead.h - have the kernel load the files ingest reads next, from a
 * thread of its own.
 *
 * When reads wait for the disk, ingest (ingest.c) hands the paths of the
 * files queued next to ra_push. The thread checks each as ingest_file
 * would (lstat: a regular file, not empty, not over the size limit; open
 * without following a link or waiting on a FIFO; fstat) and asks for its
 * pages (POSIX_FADV_WILLNEED), so that the disk reads overlap the work on
 * the files before it. Asking costs a page allocation and an I/O request
 * per file (in a virtual machine, an exit to the host): 7% of a backfill
 * from a cold disk when ingest did it itself. The thread touches nothing
 * but the file system: it never ingests, stores or logs.
 *
 * The queue is bounded: a path pushed while it is full is dropped (that
 * file is read without help). All functions are called from one thread.
 */
#ifndef READAHEAD_H
#define READAHEAD_H

#include <stdint.h>

struct readahead;

/* Start the thread for files under root (copied). 0 or -errno. */
int ra_start(const char *root, struct readahead **out);
/* Queue rel (copied) for reading ahead, if it is at most max bytes. The
 * thread is woken once a few paths wait (a wake-up is a system call):
 * ra_kick wakes it for fewer, when no more are coming. */
void ra_push(struct readahead *ra, const char *rel, uint64_t max);
void ra_kick(struct readahead *ra);
/* Files handed to the kernel since the start. */
uint64_t ra_count(struct readahead *ra);
/* Wait until the thread has handled every path pushed so far. */
void ra_drain(struct readahead *ra);
/* Drain, stop the thread and free (NULL: nothing). */
void ra_stop(struct readahead *ra);

#endif
