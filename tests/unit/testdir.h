/*
 * testdir.h - a unit test's scratch directory for a store: made under
 * $REPRINTD_TEST_TMP (or /tmp), removed with the store's files.
 */
#ifndef TESTDIR_H
#define TESTDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Make base/name.XXXXXX into buf; 0, or -1 with errno set. */
static inline int
testdir_make(char *buf, size_t size, const char *name)
{
	const char *base = getenv("REPRINTD_TEST_TMP");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/%s.XXXXXX", base, name) >= size)
		return -1;
	return mkdtemp(buf) != NULL ? 0 : -1;
}

/* Remove a store's two files, then the directory (empty by then). */
static inline void
testdir_remove_store(const char *dir)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

#endif
