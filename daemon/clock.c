/* clock.c - wall clock with an optional start (REPRINTD_NOW); clock.h. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "daemon.h"

static int clock_ready;
static int64_t clock_off; /* added to the real clock */

static int64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
clock_init(void)
{
	const char *v;
	char *end;
	long long s;

	if (clock_ready)
		return 0;
	clock_ready = 1;
	if ((v = getenv("REPRINTD_NOW")) == NULL || *v == '\0')
		return 0;
	errno = 0;
	s = strtoll(v, &end, 10);
	/* Up to the year 9999, so that microseconds cannot overflow. */
	if (*end != '\0' || errno != 0 || s < 0 || s > 253402300799LL)
		return -EINVAL;
	clock_off = (int64_t)s * 1000000 - real_us();
	return 0;
}

int64_t
clock_offset_us(void)
{
	clock_init();
	return clock_off;
}

int64_t
now_us(void)
{
	if (!clock_ready)
		clock_init();
	return real_us() + clock_off;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
