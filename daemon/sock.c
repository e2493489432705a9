/* sock.c - listening socket and systemd protocol by hand; see sock.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

static int
sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path is ~108 bytes; a longer path would be silently cut. */
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Is a daemon answering at path? 1 yes, 0 stale (or nothing), -errno. */
static int
sock_alive(const struct sockaddr_un *sa)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (rc == 0)
		rc = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else
		rc = -errno;
	close(fd);
	return rc;
}

int
sock_listen(
    const char *path, unsigned mode, const char *group, int *out, ino_t *ino)
{
	struct sockaddr_un sa;
	struct stat sb;
	struct group *gr = NULL;
	mode_t old;
	int fd = -1, rc;

	if ((rc = sock_addr(path, &sa)) < 0)
		return rc;
	mode &= 0770; /* never world-accessible, never executable */
	if (group != NULL && (gr = getgrnam(group)) == NULL)
		return -ENOENT;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			return -EEXIST;
		if ((rc = sock_alive(&sa)) < 0)
			return rc;
		if (rc == 1)
			return -EADDRINUSE;
		/* Left by a daemon that died: nobody listens on it. */
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* bind() creates the file with the umask applied: set it so that
	 * the socket is never, even for a moment, more open than `mode`. */
	old = umask((mode_t)(~mode & 0777));
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		rc = -errno;
		goto err;
	}
	if (chmod(path, (mode_t)mode) < 0 ||
	    (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) < 0) ||
	    listen(fd, 128) < 0 || lstat(path, &sb) < 0) {
		rc = -errno;
		unlink(path);
		goto err;
	}
	*out = fd;
	*ino = sb.st_ino;
	return 0;
err:
	close(fd);
	return rc;
}

void
sock_unlink(const char *path, ino_t ino)
{
	struct stat sb;

	/* Another daemon may have replaced a socket it found stale (if we
	 * hung); do not remove its socket. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) && sb.st_ino == ino)
		unlink(path);
}

int
sock_systemd_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long p, n;
	int fl;

	if (pid == NULL || fds == NULL)
		return -1;
	p = strtol(pid, &end, 10);
	if (*end != '\0' || p != (long)getpid())
		return -1;
	n = strtol(fds, &end, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (*end != '\0' || n < 1)
		return -1;
	/* SD_LISTEN_FDS_START is 3. */
	if ((fl = fcntl(3, F_GETFL)) < 0)
		return -1;
	fcntl(3, F_SETFL, fl | O_NONBLOCK);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

int
sock_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t plen;
	int fd, rc = 0;

	if (path == NULL || *path == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	        (struct sockaddr *)&sa, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

unsigned long long
sock_watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (us == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	v = strtoull(us, &end, 10);
	return *end == '\0' ? v : 0;
}
