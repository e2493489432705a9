#!/usr/bin/env bash
# A full store (issue 3, point 4): with a small map_size / map_size_max the
# map first grows (the batch is redone), then ingestion pauses at the
# limit with a clear line in the log and "paused" + the error in status,
# queries keep working, and raising map_size_max with SIGHUP resumes it
# with nothing lost.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
N=800
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$TMP/articles" "$N" \
    --seed 7 --subdirs 0

CONF=$TMP/reprintd.conf
cat >"$CONF" <<'CF'
nosync = true
map_size = 1M
map_size_max = 2M
CF
"$REPRINTD" --config "$CONF" --watch "$WATCH" --state "$STATE" -n ||
    fail "map_size keys refused"
printf 'map_size_max = lots\n' >"$TMP/bad.conf"
! "$REPRINTD" --config "$TMP/bad.conf" --watch "$WATCH" --state "$STATE" \
    -n 2>/dev/null || fail "a bad map_size_max was accepted"

start_daemon --config "$CONF"
[ "$(status_field map_size)" = $((1 << 20)) ] ||
    fail "map_size $(status_field map_size), expected 1 MiB"
printf 'bin\0ary' >"$TMP/articles/000-photo.txt"
mv "$TMP/articles"/*.txt "$WATCH"/
for _ in $(seq 1 200); do
	[ "$(status_field ingest)" = paused ] && break
	sleep 0.1
done
[ "$(status_field ingest)" = paused ] || fail "ingest did not pause"
err=$(status_field error)
case $err in
*"map is full"*) ;;
*) fail "status error: $err" ;;
esac
docs=$(status_field documents)
[ "$docs" -gt 0 ] && [ "$docs" -lt "$N" ] ||
    fail "$docs documents stored at the limit"
[ "$(status_field map_size)" = $((2 << 20)) ] ||
    fail "map did not grow to map_size_max: $(status_field map_size)"
grep -q "ingest paused: store: store map is full" "$LOG" ||
    fail "no pause line in the log"
grep -q "raise it in the configuration and send SIGHUP" "$LOG" ||
    fail "no hint in the log"
ok "map grew to 2 MiB, then ingest paused at $docs of $N documents: $err"

# Queries still work while paused.
ctl pairs >/dev/null || fail "pairs failed while paused"
# Not `ls | head`: with pipefail, ls killed by SIGPIPE fails the script.
files=("$WATCH"/*)
first=${files[1]##*/} # [0] is the bad file
ctl matches "$WATCH/$first" >/dev/null 2>&1 || ctl matches "$first" >/dev/null ||
    fail "matches failed while paused"
ctl query "$WATCH/$first" >/dev/null || fail "query failed while paused"
kill -0 "$PID" || fail "daemon died"
ok "status, pairs, matches and query answer while paused"

# Space returns: a higher limit and SIGHUP.
sed -i 's/^map_size_max = .*/map_size_max = 256M/' "$CONF"
kill -HUP "$PID"
for _ in $(seq 1 300); do
	[ "$(status_field documents)" = "$N" ] && break
	sleep 0.1
done
[ "$(status_field documents)" = "$N" ] ||
    fail "$(status_field documents) of $N documents after SIGHUP"
[ "$(status_field ingest)" = running ] || fail "still paused"
[ "$(status_field error)" = null ] || fail "error left: $(status_field error)"
[ "$(status_field rejected)" = 1 ] || fail "rejected: $(status_field rejected)"
# The batch that did not fit was put back in front: the files are stored
# in the order they arrived (mv moves them in name order), which decides
# the originals.
grep -o 'stored [^ ]* (id [0-9]*' "$LOG" | awk '{ print $2 }' >"$TMP/order"
sort -c "$TMP/order" ||
    fail "stored out of arrival order after the pause: $(sort -c "$TMP/order" 2>&1)"
ok "SIGHUP with map_size_max = 256M: resumed, all $N documents stored in order"
stop_daemon

# A batch redone after the map grew counts its rejections once: a fresh
# store in a 1 MiB map backfills the same tree, the bad file (the oldest)
# in its first batch, which outgrows the map.
touch -d '@100' "$WATCH/000-photo.txt" # before the generated ones
STATE=$TMP/state2
mkdir "$STATE"
printf 'nosync = true\nmap_size = 1M\n' >"$TMP/grow.conf"
start_daemon --config "$TMP/grow.conf" -v
wait_for documents "$N"
grep -q "store map grown; redoing a batch" "$LOG" || fail "no batch redone"
[ "$(metric 'reprintd_rejected_total{reason="binary"}')" = 1 ] ||
    fail "counted $(metric 'reprintd_rejected_total{reason="binary"}') times"
stop_daemon
ok "a redone batch counts its rejection once"
