/*
 * readahead.h - read the files ingest takes next, from a thread of its own.
 *
 * Ingest (ingest.c) hands the paths queued next to ra_push. The thread
 * checks each as ingest_file would (lstat: a regular file, not empty, not
 * over the size limit; open without following a link or waiting on a
 * FIFO; fstat) and reads it whole into memory when it is at most
 * RA_READ_MAX bytes and the files read and not yet taken stay under
 * RA_BYTES_MAX; of a larger one it only asks the kernel for the pages
 * (POSIX_FADV_WILLNEED). Ingest takes what was read for it with ra_take
 * and so spends none of the file's system calls (lstat, open, fstat, read,
 * close: 6% of a backfill from the page cache) nor the waits for the disk
 * (from a cold one, 7% more when it only asked the kernel itself). The
 * thread touches nothing but the file system: it never ingests, stores or
 * logs; ingest, detection and the store stay on one thread.
 *
 * A file read ahead is the file as it was when read, as one ingest reads
 * itself is the file as it was then. Ingest drops what it has not taken
 * (ra_flush) at the end of each batch, before it looks at file events
 * again: a change that an event reports after the read (to a file taken
 * or not) then finds the path no longer queued, queues it again
 * (pending.h) and has it read afresh.
 *
 * The queue is bounded: a path pushed while it is full is dropped (that
 * file is read by ingest). All functions are called from one thread.
 */
#ifndef READAHEAD_H
#define READAHEAD_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#define RA_READ_MAX (256u << 10) /* larger files: only the kernel asked */
#define RA_BYTES_MAX (4u << 20)  /* read and not yet taken, at most */

struct readahead;

/* A file read ahead: its fstat, and its bytes (len, then a NUL), which
 * belong to whoever took it. */
struct ra_file {
	struct stat sb;
	char *buf;
	size_t len;
	time_t read_at; /* when it was read (the file system's clock) */
};

/* Start the thread for files under root (copied). 0 or -errno. */
int ra_start(const char *root, struct readahead **out);
/* Queue rel (copied) for reading ahead, if it is at most max bytes. The
 * thread is woken once a few paths wait (a wake-up is a system call):
 * ra_kick wakes it for fewer, when no more are coming. */
void ra_push(struct readahead *ra, const char *rel, uint64_t max);
void ra_kick(struct readahead *ra);
/*
 * The file rel as read ahead: 1 with *out filled (out->buf is the
 * caller's), or 0 when it was not read (not pushed, not read yet, too
 * large, not a regular file, gone): ingest then reads it itself, and the
 * thread no longer will. Paths are taken in the order pushed: what was
 * read for the paths pushed before rel is dropped.
 */
int ra_take(struct readahead *ra, const char *rel, struct ra_file *out);
/* Drop the paths pushed and the files read and not taken (a read under
 * way is dropped when it ends). */
void ra_flush(struct readahead *ra);
/* Files read, or handed to the kernel, since the start. */
uint64_t ra_count(struct readahead *ra);
/* Wait until the thread has handled every path pushed so far. */
void ra_drain(struct readahead *ra);
/* Drain, stop the thread and free (NULL: nothing). */
void ra_stop(struct readahead *ra);

#endif
