#!/usr/bin/env bash
# Catching up (issue 3, point 3): subdirectories made later are watched,
# the watched directory deleted and recreated or moved away and back, and
# an inotify queue overflow: each time the daemon rescans, says so in the
# log, and every file ends up stored.
#
# The overflow part lowers fs.inotify.max_queued_events (root only; it is
# read when the daemon's inotify instance is made, and put back as soon as
# the daemon is up) and is skipped with a message if that cannot be done.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
GEN=$SOURCE_DIR/tests/tools/gen_articles.py
total=0

# gen DIR N SEED: N more articles into DIR (prefixed with the seed so
# that names never repeat).
gen() {
	local tmpd
	tmpd=$(mktemp -d "$TMP/gen.XXXXXX")
	python3 "$GEN" "$tmpd" "$2" --seed "$3" --subdirs 0
	mkdir -p "$1"
	for f in "$tmpd"/*.txt; do
		mv "$f" "$1/s$3-$(basename "$f")"
	done
	rmdir "$tmpd"
	total=$((total + $2))
}

# wait_docs N [SECONDS]: until status says N documents, nothing pending.
wait_docs() {
	local _
	for _ in $(seq 1 $((${2:-20} * 10))); do
		[ "$(status_field documents)" = "$1" ] &&
		    [ "$(status_field pending)" = 0 ] && return 0
		sleep 0.1
	done
	fail "documents $(status_field documents), expected $1"
}

CONF=$TMP/reprintd.conf
printf 'nosync = true\n' >"$CONF"

# ---- Overflow first: it needs a fresh inotify instance ----------------------
QE=/proc/sys/fs/inotify/max_queued_events
old_qe=$(cat "$QE" 2>/dev/null || echo)
# Whatever happens, the system's value is put back.
trap 'rc=$?; [ -z "$old_qe" ] || echo "$old_qe" >"$QE" 2>/dev/null; (exit $rc); cleanup' EXIT
if [ -n "$old_qe" ] && [ -w "$QE" ] && echo 8 2>/dev/null >"$QE"; then
	start_daemon --config "$CONF"
	echo "$old_qe" >"$QE"
	# Stopped, the daemon reads no events: 200 files in the root are
	# ~600 events for a queue of 8.
	kill -STOP "$PID"
	gen "$WATCH" 200 11
	kill -CONT "$PID"
	wait_docs "$total" 60
	grep -q "inotify queue overflowed; rescanning" "$LOG" ||
	    fail "no overflow in the log"
	ok "inotify overflow: logged, rescanned, $total documents"
	stop_daemon
else
	echo "skip (overflow part): cannot lower $QE (not root, or read-only)"
fi

start_daemon --config "$CONF"
wait_docs "$total"

# ---- Subdirectories made after start ---------------------------------------
mkdir -p "$WATCH/late/deeper/still"
gen "$WATCH/late/deeper/still" 3 21
sleep 0.3
gen "$WATCH/late" 2 22
# A tree made elsewhere and moved in at once: files already inside.
gen "$TMP/outside/feed/x" 3 23
mv "$TMP/outside/feed" "$WATCH/moved_in"
wait_docs "$total"
ok "subdirectories made or moved in later are watched ($total documents)"

# ---- The watched directory deleted and recreated -------------------------
# (Files already stored stay stored: deleting a file does not delete its
# document; the retention does.)
rm -rf "$WATCH"
mkdir "$WATCH"
gen "$WATCH" 3 31
gen "$WATCH/sub" 2 32
wait_docs "$total"
grep -q "watched directory $WATCH was deleted; rescanning" "$LOG" ||
    fail "deletion not logged"
ok "watched directory deleted and recreated: rescanned, logged"

# ---- Moved away, a new one made, the old one moved back ------------------
mv "$WATCH" "$TMP/away"
sleep 0.5
grep -q "watched directory $WATCH was moved" "$LOG" || fail "move not logged"
grep -q "$WATCH is gone; waiting for it to come back" "$LOG" ||
    fail "absence not logged"
# Written to the old tree while it is away: not ours until it is back.
gen "$TMP/away/later" 2 41
kill -0 "$PID" || fail "daemon died"
ctl status >/dev/null || fail "status failed while the inbox is gone"
mkdir "$WATCH"
gen "$WATCH" 2 42
wait_docs $((total - 2))
grep -q "watched directory $WATCH is back; rescanned it" "$LOG" ||
    fail "return not logged"
rm -rf "$WATCH"
mv "$TMP/away" "$WATCH"
wait_docs "$total"
ok "moved away: waited for it, rescanned a new one and the old one back"

# Still watching after all that, subdirectories too.
gen "$WATCH/late/deeper" 1 51
wait_docs "$total"
stop_daemon
ok "$total documents; clean shutdown"
