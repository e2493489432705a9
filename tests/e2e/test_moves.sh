#!/usr/bin/env bash
# A file renamed within the watched tree keeps its document (renamed,
# with the source of its new folder): no second document, no exact pair
# with itself, still the original of what copies it. A copy is a new
# document while the file it copies is there. A file whose old name's
# file is gone, with its bytes and mtime, is that file moved, whether
# inotify saw it (a rename while the daemon runs) or not (moved while the
# daemon was stopped, deleted and put back with its mtime). A folder
# moved, and a file of several items.
source "$(dirname "$0")/lib.sh"

moved() { # moved OLD NEW: wait for the log line
	local i
	for i in $(seq 1 100); do
		grep -q "moved $1 to $2 (id " "$LOG" && return 0
		sleep 0.1
	done
	fail "no 'moved $1 to $2': $(tail -5 "$LOG")"
}
source_of() { # the document's own line of its cluster
	ctl cluster --json "$1" | python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    if o["path"] == sys.argv[1]:
        print(o["source"])' "$1"
}

story_bridge | drop "$WATCH/bridge.txt"
start_daemon
wait_for documents 1

mkdir "$WATCH/desk"
mv "$WATCH/bridge.txt" "$WATCH/desk/bridge.txt"
moved bridge.txt desk/bridge.txt
wait_for documents 1
[ "$(status_field pairs)" = 0 ] || fail "a move made a pair: $(ctl pairs)"
[ "$(source_of desk/bridge.txt)" = desk ] || fail "source not the new folder"
if ctl matches bridge.txt >/dev/null 2>&1; then
	fail "the old name still answers"
fi
ok "a file moved into a folder keeps its document, under its new name"

# A copy is a new arrival, paired exact with the moved original.
cp "$WATCH/desk/bridge.txt" "$WATCH/copy.txt"
wait_for documents 2
ctl pairs --json >"$TMP/p.json"
grep -q '"a":"desk/bridge.txt","b":"copy.txt","relation":"exact","original":"desk/bridge.txt"' \
    "$TMP/p.json" || fail "copy: $(cat "$TMP/p.json")"
# A copy with the same mtime, the old file still there: not a move.
cp -p "$WATCH/copy.txt" "$WATCH/copy2.txt"
wait_for documents 3
grep -q "moved copy.txt" "$LOG" && fail "a cp -p taken for a move"
ok "copies are new documents"

# A folder moved: every file in it.
story_orchard | drop "$WATCH/d1/orchard.txt"
wait_for documents 4
mv "$WATCH/d1" "$WATCH/d2"
moved d1/orchard.txt d2/orchard.txt
wait_for documents 4
ok "a moved folder's files keep their documents"

# A file deleted and an identical one arriving with its mtime (a fetch
# that keeps the server's time, a folder put back from a backup): the
# deleted file's document takes the new name, rather than a ghost of
# itself being its original.
cp -p "$WATCH/copy2.txt" "$TMP/keep.txt"
rm "$WATCH/copy2.txt"
cp -p "$TMP/keep.txt" "$WATCH/copy3.txt"
wait_log "moved copy2.txt to copy3.txt (id [0-9]*; its file is gone)" ||
    fail "a deleted file put back under another name: $(tail -n 3 "$LOG")"
wait_for documents 4
# Its copy's file is still there: a copy with the same mtime is a copy.
cp -p "$WATCH/copy3.txt" "$WATCH/copy4.txt"
wait_for documents 5
grep -q "moved copy3.txt" "$LOG" && fail "a copy of a file still there taken for a move"
ok "a deleted file put back with its mtime is a move, a cp -p a copy"

# Moved while the daemon was stopped: the same, found by the start-up
# scan.
stop_daemon
mv "$WATCH/copy.txt" "$WATCH/copy-renamed.txt"
python3 - "$TMP" <<'PY'
import json, sys
items = [{"title": "Ferry timetable changes this winter",
          "text": "The harbour ferry will run every forty minutes instead of every half hour from November, the operator said, citing a shortage of crew and the repair of the second boat. Evening sailings after ten are cancelled until March."},
         {"title": "Library extends opening hours",
          "content": "The central library will open until nine on weekdays from next month after the council found money for two more librarians. Sunday opening remains under review."}]
with open(sys.argv[1] + "/feed.jsonl", "w") as f:
    for o in items:
        f.write(json.dumps(o) + "\n")
PY
start_daemon
wait_log "moved copy.txt to copy-renamed.txt (id [0-9]*; its file is gone)" ||
    fail "a move while stopped: $(tail -n 3 "$LOG")"
wait_for documents 5
ctl pairs --json >"$TMP/p.json"
grep -q '"b":"copy-renamed.txt","relation":"exact","original":"desk/bridge.txt"' \
    "$TMP/p.json" || fail "pair after a move while stopped: $(cat "$TMP/p.json")"
grep -q '"copy.txt"' "$TMP/p.json" && fail "the old name still paired: $(cat "$TMP/p.json")"
ok "a move while stopped is a move"

# A folder made and a file moved into it before the daemon watches it
# (mkdir d; mv f d/): no IN_MOVED_TO, but the folder's first walk finds
# the file, and its IN_MOVED_FROM names where it came from. The daemon
# is stopped meanwhile so that it cannot watch the folder in time.
kill -STOP "$PID"
mkdir "$WATCH/newdir"
mv "$WATCH/desk/bridge.txt" "$WATCH/newdir/bridge.txt"
kill -CONT "$PID"
moved desk/bridge.txt newdir/bridge.txt
wait_for documents 5
ok "a file moved into a folder made a moment before"

# Renamed twice before ingest got to it: the first name's document.
story_ferry | drop "$WATCH/f1.txt"
wait_for documents 6
kill -STOP "$PID"
mv "$WATCH/f1.txt" "$WATCH/f2.txt"
mv "$WATCH/f2.txt" "$WATCH/f3.txt"
kill -CONT "$PID"
moved f1.txt f3.txt
wait_for documents 6
ok "two renames before ingest"

# A name moved away and written again: a copy put at the move's target
# later (same mtime) is a copy, not the move again.
story_library | drop "$WATCH/l1.txt"
wait_for documents 7
mv "$WATCH/l1.txt" "$WATCH/l2.txt"
moved l1.txt l2.txt
story_ferry | drop "$WATCH/l1.txt"
wait_for documents 8
cp -p "$WATCH/l1.txt" "$WATCH/l2.txt"
for i in $(seq 1 50); do
	grep -q "replaced l2.txt" "$LOG" && break
	sleep 0.1
done
wait_for documents 8
[ "$(grep -c "moved l1.txt" "$LOG")" = 1 ] || fail "a copy taken for the move again"
ctl matches l1.txt >/dev/null || fail "l1.txt lost its document"
ok "a copy at a move's target later is a copy"

# The items of a file move with it.
cp "$TMP/feed.jsonl" "$WATCH/feed.jsonl"
wait_for documents 10
mkdir "$WATCH/agg"
mv "$WATCH/feed.jsonl" "$WATCH/agg/feed.jsonl"
moved 'feed.jsonl#0' 'agg/feed.jsonl#0'
moved 'feed.jsonl#1' 'agg/feed.jsonl#1'
wait_for documents 10
[ "$(source_of 'agg/feed.jsonl#1')" = agg ] || fail "item source"
stop_daemon
ok "the items of a moved file keep their documents"
