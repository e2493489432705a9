/*
 * httpc.h - the client side of reprintctl's HTTP: build a request, parse a
 * response. Pure functions over buffers (the response is untrusted input
 * from whatever listens on the socket), unit-tested and fuzzable.
 */
#ifndef HTTPC_H
#define HTTPC_H

#include <stddef.h>

/*
 * Parse a complete HTTP/1.x response of len bytes (read until the server
 * closed: we send "Connection: close"). On success *status is the status
 * code and *body and *body_len the body, inside buf: a chunked body is decoded
 * in place (decoding never makes it longer). Returns 0, or -EINVAL for a
 * malformed response, -EPROTO for a truncated one (fewer bytes than
 * Content-Length or than a chunk size says).
 */
int httpc_parse(
    char *buf, size_t len, int *status, char **body, size_t *body_len);

/*
 * Percent-encode s for a query string value: everything but unreserved
 * characters (RFC 3986) and '/'. Returns a malloc'd string or NULL.
 */
char *httpc_escape(const char *s);

#endif
