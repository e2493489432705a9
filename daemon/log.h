/*
 * log.h - one line per event on stderr, with a timestamp.
 *
 * reprintd runs in the foreground under a supervisor (systemd, a shell),
 * which owns rotation and persistence; so we only write lines to stderr.
 * log_debug() lines appear with log_init(verbose > 0).
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

void log_init(int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As log_warnx, with ": strerror(-err)" appended (err is a negative errno). */
void log_warnerr(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The lines of buf (each ending in '\n'), logged as log_info("%s") would
 * log each, under one timestamp and with a write per PIPE_BUF bytes rather
 * than one per line (a batch's notes: a line per stored file). A line
 * longer than a write holds is cut.
 */
void log_lines(const char *buf, size_t len);

#endif
