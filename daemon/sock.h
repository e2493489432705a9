/*
 * sock.h - the daemon's listening Unix socket, made carefully (after tmux's
 * server_create_socket), and the systemd hand-over (LISTEN_FDS, NOTIFY).
 */
#ifndef SOCK_H
#define SOCK_H

#include <sys/types.h>

/*
 * Create, bind and listen on a Unix socket at `path`, mode `mode` (never
 * world-writable), group `group` (NULL: ours). If a socket file is there
 * already: a live daemon answering on it is -EADDRINUSE; a stale one (no
 * listener, ECONNREFUSED) is removed and replaced; any other file there is
 * -EEXIST. Other errors: -ENAMETOOLONG, -errno of socket/bind/chmod,
 * -ENOENT for an unknown group. On success *fd is the non-blocking,
 * close-on-exec listening socket and *ino the inode of the socket file
 * (to check it is still ours before unlinking it at exit).
 */
int sock_listen(
    const char *path, unsigned mode, const char *group, int *fd, ino_t *ino);

/* Remove the socket file at exit if it is still the one we made. */
void sock_unlink(const char *path, ino_t ino);

/*
 * A listening socket passed by systemd socket activation (LISTEN_PID is
 * us, LISTEN_FDS >= 1): the first one, fd 3, made non-blocking and
 * close-on-exec. Returns the fd, or -1 without one. The environment
 * variables are removed, so that children do not take them for theirs.
 */
int sock_systemd_fd(void);

/*
 * Send a state line to systemd ("READY=1", "STOPPING=1", "WATCHDOG=1") if
 * NOTIFY_SOCKET is set. Returns 0 (also when not under systemd) or -errno.
 */
int sock_notify(const char *state);

/* WATCHDOG_USEC for this process, or 0. */
unsigned long long sock_watchdog_usec(void);

#endif
