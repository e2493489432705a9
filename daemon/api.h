/*
 * api.h - the HTTP/JSON interface on the Unix socket (docs/API.md).
 *
 * evhttp on the daemon's loop, on a listening socket the caller made
 * (sock_listen() or systemd). Each request reads the store in its own read
 * transaction; nothing is written.
 */
#ifndef API_H
#define API_H

struct reprintd;
struct api;

/* Serve on listening socket fd (the api owns it from now on, and closes
 * it on api_close, also on failure). Returns 0 or -errno. */
int api_open(struct reprintd *r, int fd, struct api **out);
/* Apply size limits and timeouts from r->cfg (again after a reload). */
void api_configure(struct api *a);
void api_close(struct api *a);

#endif
