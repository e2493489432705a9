/* log.c - timestamped lines on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_verbose;

void
log_init(int verbose)
{
	log_verbose = verbose;
}

static void log_vline(const char *level, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vline(const char *level, int err, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32], line[2048];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* Build the whole line first and write it with one call, so that
	 * lines from a daemon and its tests never interleave mid-line. */
	if (err != 0)
		fprintf(stderr, "%s.%03ldZ %s%s: %s\n", stamp,
		    (long)(ts.tv_nsec / 1000000), level, line, strerror(-err));
	else
		fprintf(stderr, "%s.%03ldZ %s%s\n", stamp,
		    (long)(ts.tv_nsec / 1000000), level, line);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("", 0, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", 0, fmt, ap);
	va_end(ap);
}

void
log_warnerr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", err, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	log_vline("debug: ", 0, fmt, ap);
	va_end(ap);
}
