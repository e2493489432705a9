/*
 * jsonv.h - JSON values as the API and the report write them.
 *
 * Each returns a new reference (NULL only when out of memory).
 */
#ifndef JSONV_H
#define JSONV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bytes that should be UTF-8 but may not be (file names are bytes):
 * invalid sequences become U+FFFD instead of failing. NULL s: null. */
json_t *jv_str(const char *s, size_t len);
/* A NUL-terminated path or string the same way; NULL: null. */
json_t *jv_path(const char *s);
/* A similarity score rounded to four decimals: all it means, and a float
 * printed as stored would show 0.23000000417232513. */
json_t *jv_score(double x);
/* Unix microseconds as "YYYY-MM-DDTHH:MM:SSZ". */
json_t *jv_time(int64_t us);

#endif
