/*
 * config.h - reprintd.conf: `key = value` lines, `#` comments.
 *
 * Every key is listed once in a table in config.c with its type; the
 * parser, the command line (--watch ...), the defaults and the SIGHUP diff
 * all go through that table. Parsing is pure (config_parse() works on a
 * buffer) so that it can be fuzzed.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "match.h"

struct config {
	char *watch;               /* directory of incoming articles */
	char *state;               /* directory of the store */
	char *socket;              /* path of the Unix socket */
	unsigned socket_mode;      /* default 0660; never world-writable */
	char *socket_group;        /* NULL: the daemon's group */
	uint64_t max_file_size;    /* bytes; larger files are rejected */
	uint64_t max_body_size;    /* bytes of a POST body (0: max_file_size) */
	uint64_t max_headers_size; /* bytes of request headers */
	unsigned http_timeout;     /* seconds a client may stay idle */
	unsigned http_request_timeout; /* seconds to send a whole request */
	unsigned max_connections;      /* open client connections */
	struct match_params match;
	uint64_t original_window; /* seconds */
	unsigned source_folder;   /* which folder of a path is its source */
	unsigned batch_max;       /* files per store transaction */
	unsigned batch_ms;        /* milliseconds per store transaction */
	int nosync;               /* no fsync per commit */
	uint64_t map_size;        /* initial store map, bytes (at start) */
	uint64_t map_size_max;    /* the map grows up to this, bytes */
	unsigned index_memtable;  /* index postings held in memory */
	uint64_t retention;       /* seconds a document is kept; 0: forever */
	char *reports_dir;        /* NULL: STATE/reports */
};

/* Fill c with the defaults. Must be paired with config_free(). */
void config_init(struct config *c);
void config_free(struct config *c);

/*
 * Set one key from its textual value. Returns 0, -ENOENT for an unknown
 * key, -EINVAL for a bad value (err gets a message), -ENOMEM.
 */
int config_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen);

/*
 * Parse `len` bytes of configuration text; `name` is used in messages
 * ("NAME:LINE: ..."). Keys not in the text keep their value in c. Returns
 * 0, or -EINVAL with the first error in err, or -ENOMEM.
 */
int config_parse(struct config *c, const char *buf, size_t len,
    const char *name, char *err, size_t errlen);

/* Read and parse a file; -errno if it cannot be read (message in err). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* Checks across keys after everything is set (watch/state/socket given,
 * sane limits). 0 or -EINVAL with a message. */
int config_check(const struct config *c, char *err, size_t errlen);

/* Call cb for every key whose value differs between a and b. */
typedef void (*config_diff_cb)(
    const char *key, const char *old, const char *new_, void *arg);
void config_diff(const struct config *a, const struct config *b,
    config_diff_cb cb, void *arg);

/* The value of key in c, as it would be written in the file. */
int config_format(
    const struct config *c, const char *key, char *buf, size_t len);

/* The POST body limit in effect. */
uint64_t config_body_limit(const struct config *c);

#endif
