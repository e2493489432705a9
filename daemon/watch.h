/*
 * watch.h - find the files of the watched tree: a start-up walk and
 * inotify on every directory of it.
 *
 * A file is reported (found callback, path relative to the root) when it is
 * complete: IN_CLOSE_WRITE or IN_MOVED_TO; a non-regular file (FIFO,
 * symlink) when it is created, since it never gets a close-after-write.
 * Directories are watched as they appear and walked at once, since files
 * may land in them before the watch is in place. Names text_name_ignored()
 * refuses are neither reported nor descended into; symlinked directories
 * are not followed.
 *
 * Catching up: an inotify queue overflow (IN_Q_OVERFLOW) walks the whole
 * tree again (in chunks, as at start: watch_scan). If the root itself is
 * deleted or moved away, every watch is dropped and whatever directory is at
 * the root's path is walked; if none is, the path is looked at every second
 * until one is. Each of these is logged. A file found again that is already
 * stored is skipped by ingest.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>
#include <sys/stat.h>

struct event_base;
struct watch;

typedef void (*watch_found_cb)(const char *relpath, void *arg);

/*
 * Prepare to watch the directory `root` (an absolute path). With base NULL
 * there is no inotify (for --once): only watch_scan() works. Returns 0,
 * -errno (inotify_init1, memory).
 */
int watch_open(struct event_base *base, const char *root, watch_found_cb found,
    void *arg, struct watch **out);
void watch_close(struct watch *w);

/*
 * Walk the whole tree, adding watches, and report every file in it,
 * ordered by mtime and then path so that arrival order (and so which
 * document is the original) does not depend on readdir order. Returns 0
 * or -errno if the root cannot be read.
 *
 * A big tree is reported in chunks, so that memory does not grow with it:
 * watch_scan reports the WATCH_SCAN_CHUNK first files; while
 * watch_scanning() says more remain, each watch_scan_more walks the tree
 * again and reports the next chunk (at most about 16 passes: a chunk grows
 * to a sixteenth of the tree; see watch_set_known), each passing over
 * the directories whose files are all in earlier or later chunks (struct
 * dsum in watch.c). The order is that of one sort of the whole tree; a
 * file whose mtime moves behind the chunks already reported, or that is
 * written in place in a directory passed over, is left to its inotify
 * event. watch_scan_more returns
 * 1 if more remain, 0 when the walk is complete, or -errno. A new watch_scan
 * (an inotify overflow, a lost root) starts over. watch_scan_chunked: the same
 * with another first chunk (tests).
 */
#define WATCH_SCAN_CHUNK 65536
int watch_scan(struct watch *w);
/*
 * Directories that could not be read (permission denied) are walked again
 * when their permissions change (IN_ATTRIB on their parent) and on
 * watch_retry (SIGHUP); watch_unreadable counts them now (forgetting
 * those deleted since).
 */
void watch_retry(struct watch *w);
/* Optional: called with a file whose metadata changed (IN_ATTRIB: mode,
 * owner, times); not a sign that it is complete. */
void watch_set_attrib(struct watch *w, watch_found_cb attrib);
size_t watch_unreadable(struct watch *w);

/*
 * Optional: asked during a walk about a regular file that would be
 * reported (relpath, its lstat, found's arg); 1 if it is stored as it is
 * now, so that the walk does not report it nor give it a place in a
 * chunk. A restart over a big tree already stored is then one walk, not
 * one per chunk (66.9 s for a million files before: 16 walks, every file
 * reported).
 */
typedef int (*watch_known_cb)(
    const char *relpath, const struct stat *sb, void *arg);
void watch_set_known(struct watch *w, watch_known_cb known);
int watch_scan_chunked(struct watch *w, size_t chunk);
int watch_scan_more(struct watch *w);
int watch_scanning(const struct watch *w);

/*
 * Where path came from, if inotify saw it (or a folder above it) renamed
 * within the tree: IN_MOVED_FROM and IN_MOVED_TO with one cookie. The
 * old path, malloc'd ("d1/x.txt" for "d2/x.txt" after d1 became d2; an
 * item "f.jsonl#2" follows its file), or NULL. The last WATCH_MOVES
 * moves are remembered; a move before the daemon started, or out of the
 * tree and back, is not one.
 */
#define WATCH_MOVES 1024
char *watch_moved_from(const struct watch *w, const char *path);

/* Number of directories watched. */
unsigned watch_count(const struct watch *w);

#endif
