/* readahead.c - the read-ahead thread. Contract in readahead.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beneath.h"
#include "readahead.h"

/* Paths waiting, and files read (ingest keeps 64 ahead). */
#define RA_QUEUE 128
/* Paths queued before the sleeping thread is woken: a wake-up is a
 * system call that has the other CPU woken (3% of a backfill when it was
 * one a file, 1% at one in 8). Woken with 32 waiting, the thread reads
 * the first of them some 32 files before ingest takes it. */
#define RA_WAKE 32

struct ra_item {
	char *rel;
	uint64_t max;
};

struct ra_done {
	char *rel;
	struct ra_file f;
};

struct readahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more; /* an item was pushed, or stop */
	pthread_cond_t idle; /* the queue ran empty */
	struct ra_item q[RA_QUEUE];
	unsigned head, n; /* ring: q[head], n items */
	struct ra_done d[RA_QUEUE];
	unsigned dhead, dn; /* ring of files read: d[dhead], dn of them */
	size_t bytes;       /* in d */
	unsigned gen;       /* ra_flush: a read under way is stale */
	int busy;           /* the thread holds an item outside the queue */
	int waiting;        /* the thread sleeps on more */
	int stop;
	uint64_t count; /* under mu */
	char *root;
};

/*
 * Read fd, a regular file of size bytes, whole into f->buf. A read that
 * returns exactly what is left of size (of size + 1 asked for) has met the
 * end of the file. 0, or -1 when the file is not as fstat said (it grew or
 * shrank since): ingest reads such a file itself.
 */
static int
slurp(int fd, size_t size, struct ra_file *f)
{
	size_t n = 0;
	ssize_t k;

	if ((f->buf = malloc(size + 2)) == NULL)
		return -1;
	for (;;) {
		k = read(fd, f->buf + n, size + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n >= size)
			break;
	}
	if (k < 0 || n != size) {
		free(f->buf);
		f->buf = NULL;
		return -1;
	}
	f->buf[n] = '\0';
	f->len = n;
	return 0;
}

/*
 * Look at rel as ingest_file would; read it into *f when small enough
 * and room is left (room: bytes), else ask the kernel for its pages.
 * Returns 2 when read, 1 when asked, 0 when neither.
 */
static int
fetch(const char *root, const char *rel, uint64_t max, size_t room,
    struct ra_file *f)
{
	char full[PATH_MAX];
	struct stat sb;
	int fd, rc = 0;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", root, rel) >=
	        sizeof(full) ||
	    lstat(full, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    (uint64_t)sb.st_size > max)
		return 0;
	fd = beneath_open(
	    root, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &f->sb) == 0 && S_ISREG(f->sb.st_mode) &&
	    f->sb.st_size > 0 && (uint64_t)f->sb.st_size <= max) {
		size_t size = (size_t)f->sb.st_size;
		if (size <= RA_READ_MAX && size <= room) {
			rc = slurp(fd, size, f) == 0 ? 2 : 0;
			f->read_at = time(NULL);
		} else if (posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED) == 0)
			rc = 1;
	}
	close(fd);
	return rc;
}

static void *
ra_main(void *arg)
{
	struct readahead *ra = arg;
	struct ra_item it;
	struct ra_file f;
	unsigned gen;
	size_t room;
	int got;

	pthread_mutex_lock(&ra->mu);
	for (;;) {
		while (ra->n == 0 && !ra->stop) {
			ra->waiting = 1;
			pthread_cond_wait(&ra->more, &ra->mu);
			ra->waiting = 0;
		}
		if (ra->n == 0)
			break; /* stop, and nothing left */
		it = ra->q[ra->head];
		ra->head = (ra->head + 1) % RA_QUEUE;
		ra->n--;
		ra->busy = 1;
		gen = ra->gen;
		room = ra->dn < RA_QUEUE ? RA_BYTES_MAX - ra->bytes : 0;
		pthread_mutex_unlock(&ra->mu);
		memset(&f, 0, sizeof(f));
		got = fetch(ra->root, it.rel, it.max, room, &f);
		pthread_mutex_lock(&ra->mu);
		ra->count += got > 0;
		if (got == 2 && gen == ra->gen && ra->dn < RA_QUEUE) {
			struct ra_done *d =
			    &ra->d[(ra->dhead + ra->dn++) % RA_QUEUE];
			d->rel = it.rel;
			d->f = f;
			ra->bytes += f.len;
			it.rel = NULL;
			f.buf = NULL;
		}
		free(f.buf); /* flushed while it was read */
		free(it.rel);
		ra->busy = 0;
		if (ra->n == 0)
			pthread_cond_broadcast(&ra->idle);
	}
	pthread_mutex_unlock(&ra->mu);
	return NULL;
}

int
ra_start(const char *root, struct readahead **out)
{
	struct readahead *ra;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if ((ra = calloc(1, sizeof(*ra))) == NULL ||
	    (ra->root = strdup(root)) == NULL) {
		free(ra);
		return -ENOMEM;
	}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->more, NULL);
	pthread_cond_init(&ra->idle, NULL);
	/* Signals are the event loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ra->thread, NULL, ra_main, ra);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&ra->idle);
		pthread_cond_destroy(&ra->more);
		pthread_mutex_destroy(&ra->mu);
		free(ra->root);
		free(ra);
		return -rc;
	}
	*out = ra;
	return 0;
}

void
ra_push(struct readahead *ra, const char *rel, uint64_t max)
{
	char *copy;

	if ((copy = strdup(rel)) == NULL)
		return; /* read without help */
	pthread_mutex_lock(&ra->mu);
	if (ra->n == RA_QUEUE) {
		pthread_mutex_unlock(&ra->mu);
		free(copy);
		return;
	}
	ra->q[(ra->head + ra->n) % RA_QUEUE] = (struct ra_item){copy, max};
	ra->n++;
	if (ra->waiting && ra->n >= RA_WAKE)
		pthread_cond_signal(&ra->more);
	pthread_mutex_unlock(&ra->mu);
}

void
ra_kick(struct readahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	if (ra->waiting && ra->n > 0)
		pthread_cond_signal(&ra->more);
	pthread_mutex_unlock(&ra->mu);
}

/* Drop the oldest file read (under mu). */
static void
done_drop(struct readahead *ra)
{
	struct ra_done *d = &ra->d[ra->dhead];

	ra->bytes -= d->f.len;
	free(d->f.buf);
	free(d->rel);
	ra->dhead = (ra->dhead + 1) % RA_QUEUE;
	ra->dn--;
}

int
ra_take(struct readahead *ra, const char *rel, struct ra_file *out)
{
	unsigned i, k;

	pthread_mutex_lock(&ra->mu);
	for (i = 0; i < ra->dn; i++)
		if (strcmp(ra->d[(ra->dhead + i) % RA_QUEUE].rel, rel) == 0)
			break;
	if (i < ra->dn) {
		while (i-- > 0)
			done_drop(ra); /* pushed before rel, not taken */
		struct ra_done *d = &ra->d[ra->dhead];
		*out = d->f;
		ra->bytes -= d->f.len;
		free(d->rel);
		ra->dhead = (ra->dhead + 1) % RA_QUEUE;
		ra->dn--;
		pthread_mutex_unlock(&ra->mu);
		return 1;
	}
	/* Not read (yet): ingest reads it now, and the thread need not. */
	for (k = 0; k < ra->n; k++)
		if (strcmp(ra->q[(ra->head + k) % RA_QUEUE].rel, rel) == 0)
			break;
	if (k < ra->n)
		for (i = 0; i <= k; i++) {
			free(ra->q[ra->head].rel);
			ra->head = (ra->head + 1) % RA_QUEUE;
			ra->n--;
		}
	pthread_mutex_unlock(&ra->mu);
	return 0;
}

void
ra_flush(struct readahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	while (ra->dn > 0)
		done_drop(ra);
	while (ra->n > 0) {
		free(ra->q[ra->head].rel);
		ra->head = (ra->head + 1) % RA_QUEUE;
		ra->n--;
	}
	ra->gen++;
	if (!ra->busy)
		pthread_cond_broadcast(&ra->idle);
	pthread_mutex_unlock(&ra->mu);
}

uint64_t
ra_count(struct readahead *ra)
{
	uint64_t n;

	pthread_mutex_lock(&ra->mu);
	n = ra->count;
	pthread_mutex_unlock(&ra->mu);
	return n;
}

void
ra_drain(struct readahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	if (ra->waiting && ra->n > 0)
		pthread_cond_signal(&ra->more);
	while (ra->n > 0 || ra->busy)
		pthread_cond_wait(&ra->idle, &ra->mu);
	pthread_mutex_unlock(&ra->mu);
}

void
ra_stop(struct readahead *ra)
{
	if (ra == NULL)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = 1;
	pthread_cond_signal(&ra->more);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->thread, NULL);
	while (ra->dn > 0)
		done_drop(ra);
	pthread_cond_destroy(&ra->idle);
	pthread_cond_destroy(&ra->more);
	pthread_mutex_destroy(&ra->mu);
	free(ra->root);
	free(ra);
}
