#!/usr/bin/env bash
# Retention over an inbox that keeps its files (an archive): a document
# that expired is not taken for a new arrival by the next start-up scan
# while its file is as it was (it came back as a reprint of its own
# copies); a file written again is new; and once the file is gone, its
# record goes at the next cleanup.
source "$(dirname "$0")/lib.sh"

DAY=86400
# restart_quiet DOCS WHAT: a start stores nothing (documents DOCS).
restart_quiet() {
	local before
	before=$(grep -c "stored " "$LOG")
	start_daemon --config "$TMP/r.conf"
	wait_for documents "$1"
	sleep 0.5
	[ "$(grep -c "stored " "$LOG")" = "$before" ] ||
	    fail "$2: $(grep stored "$LOG" | tail -n 3)"
}
T0=$(date +%s)
printf 'nosync = true\nretention = 90d\n' >"$TMP/r.conf"

export REPRINTD_NOW=$T0
story_bridge | drop "$WATCH/wire/bridge.txt"
story_bridge | drop "$WATCH/herald/bridge.txt"
story_orchard | drop "$WATCH/wire/orchard.txt"
# An archived feed (dated two days back, so its items are dated by it).
{ json_item story_library library; json_item story_orchard orchard; } \
    >"$WATCH/.feed.part"
touch -d '2 days ago' "$WATCH/.feed.part"
mv "$WATCH/.feed.part" "$WATCH/feed.jsonl"
start_daemon --config "$TMP/r.conf"
wait_for documents 5
# Cut to its first item: kept, and with it the date of its old mtime (the
# other item keeps its document, aside).
json_item story_library library | drop "$WATCH/feed.jsonl"
wait_log "feed.jsonl#[0-9]*: no longer in the file, its document is kept" ||
    fail "aside"
wait_for documents 5
stop_daemon

# Day 100: the five expire; a new story arrives.
export REPRINTD_NOW=$((T0 + 100 * DAY))
start_daemon --config "$TMP/r.conf"
wait_for documents 5
story_ferry | drop "$WATCH/wire/ferry.txt"
wait_for documents 6
ctl cleanup >/dev/null || fail "cleanup"
for _ in $(seq 1 50); do
	[ "$(status_field documents)" = 1 ] && break
	sleep 0.1
done
[ "$(status_field documents)" = 1 ] || fail "not expired: $(status_field documents)"
stop_daemon

# A restart: the expired files are still there, unchanged: not new.
export REPRINTD_NOW=$((T0 + 100 * DAY + 3600))
restart_quiet 1 "expired files ingested again"
before=$(grep -c "stored " "$LOG")
[ "$(status_field pairs)" = 0 ] || fail "pairs: $(ctl pairs)"
# Nor when an event comes that is no write: renamed away and back, its
# mode changed.
mv "$WATCH/wire/bridge.txt" "$WATCH/wire/.bridge.part"
mv "$WATCH/wire/.bridge.part" "$WATCH/wire/bridge.txt"
chmod 600 "$WATCH/herald/bridge.txt"
sleep 0.5
[ "$(grep -c "stored " "$LOG")" = "$before" ] ||
    fail "an event brought an expired file back: $(grep stored "$LOG" | tail -n 2)"
ok "expired documents' files are not new arrivals at the next start, nor at an event"

# Written again: an arrival like any.
story_orchard >>"$WATCH/wire/orchard.txt"
wait_for documents 2
grep -q "stored wire/orchard.txt" "$LOG" || fail "rewritten file not stored"
ok "a file written again after its document expired is stored"

# A file gone from the tree: its record goes at the next cleanup.
rm "$WATCH/herald/bridge.txt"
ctl cleanup --json >"$TMP/c2.json" || fail "cleanup 2"
grep -q '"expired_files_forgotten":1' "$TMP/c2.json" ||
    fail "cleanup 2: $(cat "$TMP/c2.json")"
wait_log "forgot 0 rejected and 1 expired files no longer in the tree" ||
    fail "records of gone files: $(grep 'cleanup 2' "$LOG")"
# ...and the one still there is still known.
stop_daemon
restart_quiet 2 "taken for new"
story_bridge | drop "$WATCH/herald/bridge.txt"
wait_for documents 3
ok "the record of a file gone from the tree is forgotten, the others kept"
