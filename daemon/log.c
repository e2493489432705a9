/* log.c - timestamped lines on stderr. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "text.h"

static int log_verbose;

void
log_init(int verbose)
{
	log_verbose = verbose;
}

static void log_vline(const char *level, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* "2026-12-05T16:29:37.123Z": the time now, in UTC. */
static void
stamp_now(char stamp[32])
{
	struct timespec ts;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, 32, "%.20s.%03uZ", sec,
	    (unsigned)(ts.tv_nsec / 1000000) % 1000);
}

static void
log_vline(const char *level, int err, const char *fmt, va_list ap)
{
	char stamp[32], line[2048];
	int n;

	stamp_now(stamp);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	text_visible(line, strlen(line)); /* a name's control bytes */
	/* Build the whole line first and write it with one call, so that
	 * lines from a daemon and its tests never interleave mid-line. */
	if (err != 0)
		fprintf(stderr, "%s %s%s: %s\n", stamp, level, line,
		    strerror(-err));
	else
		fprintf(stderr, "%s %s%s\n", stamp, level, line);
}

void
log_lines(const char *buf, size_t len)
{
	/* A write of up to PIPE_BUF bytes to a pipe is atomic: whole lines
	 * still never interleave with another writer's. */
	char out[PIPE_BUF], stamp[32];
	const char *p = buf, *end = buf + len, *e;
	size_t n = 0, slen, llen;

	stamp_now(stamp);
	slen = strlen(stamp);
	while (p < end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		llen = (size_t)(e - p);
		if (llen > sizeof(out) - slen - 2)
			llen = sizeof(out) - slen - 2;
		if (n + slen + llen + 2 > sizeof(out)) {
			fwrite(out, 1, n, stderr);
			n = 0;
		}
		memcpy(out + n, stamp, slen);
		out[n + slen] = ' ';
		memcpy(out + n + slen + 1, p, llen);
		text_visible(out + n + slen + 1, llen);
		n += slen + 1 + llen;
		out[n++] = '\n';
		p = e + 1;
	}
	if (n > 0)
		fwrite(out, 1, n, stderr);
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
