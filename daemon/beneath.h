/*
 * beneath.h - opening a file of the watched tree, and nothing outside it.
 *
 * A path checked and then opened can change in between: a folder of the
 * inbox swapped for a symlink to /etc after the daemon looked makes
 * open("inbox/a/f") read /etc/f with the daemon's rights, and its text
 * is then served over the socket. So every component is resolved beneath
 * the root at the open itself: openat2(2) with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS where the kernel (and the seccomp filter) allow it,
 * else one folder at a time with O_NOFOLLOW.
 */
#ifndef BENEATH_H
#define BENEATH_H

/*
 * Open root/rel with flags (O_NOFOLLOW is added): rel is relative, with
 * no "." or ".." component, and no component of it may be a symlink.
 * Returns a descriptor, or -1 with errno: ELOOP or ENOTDIR where a
 * symlink was met, EINVAL for a bad rel, else open's. root is opened
 * for each call: a descriptor kept on the watched directory would keep
 * its inode alive, and inotify would not say when it is deleted.
 */
int beneath_open(const char *root, const char *rel, int flags);

/* The folder-at-a-time way, from the descriptor of root (for tests). */
int beneath_walk(int rootfd, const char *rel, int flags);

#endif
