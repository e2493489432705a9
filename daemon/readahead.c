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

#include "readahead.h"

#define RA_QUEUE 64 /* paths waiting; ingest keeps 32 ahead */
/* Paths queued before the sleeping thread is woken: a wake-up is a
 * system call (3% of a backfill when it was one a file). */
#define RA_WAKE 8

struct ra_item {
	char *rel;
	uint64_t max;
};

struct readahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more; /* an item was pushed, or stop */
	pthread_cond_t idle; /* the queue ran empty */
	struct ra_item q[RA_QUEUE];
	unsigned head, n; /* ring: q[head], n items */
	int busy;         /* the thread holds an item outside the queue */
	int waiting;      /* the thread sleeps on more */
	int stop;
	uint64_t count; /* under mu */
	char *root;
};

/* Ask the kernel to load rel if it is a regular file ingest would read;
 * 1 when asked. */
static int
advise(const char *root, const char *rel, uint64_t max)
{
	char full[PATH_MAX];
	struct stat sb;
	int fd, asked = 0;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", root, rel) >=
	        sizeof(full) ||
	    lstat(full, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    (uint64_t)sb.st_size > max)
		return 0;
	fd = open(
	    full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED) == 0)
		asked = 1;
	close(fd);
	return asked;
}

static void *
ra_main(void *arg)
{
	struct readahead *ra = arg;
	struct ra_item it;
	int asked;

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
		pthread_mutex_unlock(&ra->mu);
		asked = advise(ra->root, it.rel, it.max);
		free(it.rel);
		pthread_mutex_lock(&ra->mu);
		ra->count += (uint64_t)asked;
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
	pthread_cond_destroy(&ra->idle);
	pthread_cond_destroy(&ra->more);
	pthread_mutex_destroy(&ra->mu);
	free(ra->root);
	free(ra);
}
