#!/usr/bin/env bash
# A full disk under the state directory: ingest pauses and the log says
# how much room is left (LMDB reports a short write as "Input/output
# error", which alone does not say the disk is full); once there is room
# again, ingest resumes by itself within RETRY_SECS, stores every file,
# in the order they arrived. Needs root to mount a small tmpfs: skipped
# otherwise.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
SMALL=$TMP/small
mkdir -p "$SMALL"
if [ "$(id -u)" != 0 ] ||
    ! mount -t tmpfs -o size=2M tmpfs "$SMALL" 2>/dev/null; then
	echo "skip: cannot mount a tmpfs (needs root)"
	exit 77
fi
# Unmounted after the daemon is stopped, with the test's own status.
unmount_cleanup() {
	local rc=$?
	set +e
	[ -z "$PID" ] || kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
	umount "$SMALL" 2>/dev/null || umount -l "$SMALL" 2>/dev/null
	(exit "$rc")
	cleanup
}
trap unmount_cleanup EXIT

N=800
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$TMP/articles" "$N" \
    --seed 11 --subdirs 0
STATE=$SMALL/state
mkdir -p "$STATE"
# A map larger than the disk: the disk fills first.
printf 'nosync = true\nmap_size = 64M\n' >"$TMP/r.conf"
start_daemon --config "$TMP/r.conf"
mv "$TMP/articles"/*.txt "$WATCH"/
for _ in $(seq 1 300); do
	[ "$(status_field ingest)" = paused ] && break
	sleep 0.1
done
[ "$(status_field ingest)" = paused ] || fail "ingest did not pause"
docs=$(status_field documents)
[ "$docs" -lt "$N" ] || fail "all $N stored on a 2 MiB disk"
wait_log "bytes free (a full disk: free some space); ingest tries again every 30 s" ||
    fail "no hint of the full disk: $(grep -i 'paused\|free' "$LOG")"
ctl pairs >/dev/null || fail "pairs failed while paused"
ok "a full disk pauses ingest at $docs of $N documents, and says so"

# Room again: ingest resumes by itself (RETRY_SECS = 30).
mount -o remount,size=256M "$SMALL" || fail "remount"
for _ in $(seq 1 450); do
	[ "$(status_field documents)" = "$N" ] && break
	sleep 0.1
done
[ "$(status_field documents)" = "$N" ] ||
    fail "$(status_field documents) of $N documents after room was made"
[ "$(status_field ingest)" = running ] || fail "still paused"
grep -o 'stored [^ ]* (id [0-9]*' "$LOG" | awk '{ print $2 }' >"$TMP/order"
sort -c "$TMP/order" || fail "stored out of order: $(sort -c "$TMP/order" 2>&1)"
stop_daemon
ok "with room again, ingest resumed and stored all $N documents in order"
