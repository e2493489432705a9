/* beneath.c - opening a file of the watched tree; see beneath.h. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "beneath.h"

/* Whether name (n bytes) may be a component: not empty, ".", "..". */
static int
component_ok(const char *name, size_t n)
{
	return n > 0 && n <= NAME_MAX && !(n == 1 && name[0] == '.') &&
	       !(n == 2 && name[0] == '.' && name[1] == '.');
}

int
beneath_walk(int rootfd, const char *rel, int flags)
{
	char name[NAME_MAX + 1];
	const char *p = rel, *slash;
	int dir = rootfd, next, fd, e;

	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		if (n == 0) { /* "a//b", as openat2 reads it */
			p = slash + 1;
			continue;
		}
		if (!component_ok(p, n)) {
			errno = EINVAL;
			fd = -1;
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		/* A symlink opened O_PATH | O_NOFOLLOW is no directory. */
		next = openat(
		    dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir != rootfd)
			close(dir);
		if (next < 0)
			return -1;
		dir = next;
		p = slash + 1;
	}
	if (!component_ok(p, strlen(p))) {
		errno = EINVAL;
		fd = -1;
		goto out;
	}
	fd = openat(dir, p, flags | O_NOFOLLOW);
out:
	e = errno;
	if (dir != rootfd)
		close(dir);
	errno = e;
	return fd;
}

int
beneath_open(const char *root, const char *rel, int flags)
{
	int rootfd, fd, e;

	if (*rel == '/') {
		errno = EINVAL;
		return -1;
	}
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
#ifdef SYS_openat2
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_NOFOLLOW),
	    .resolve =
	        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	/* Older kernels, or a seccomp filter that does not know it. */
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = beneath_walk(rootfd, rel, flags);
#else
	fd = beneath_walk(rootfd, rel, flags);
#endif
	e = errno;
	close(rootfd);
	errno = e;
	return fd;
}
