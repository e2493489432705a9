#!/usr/bin/env bash
# Retention over a JSON lines feed that keeps growing: items that expired
# while the file stays are not stored again when it is appended to (they
# came back as new arrivals, reprints of nothing, every time the feed
# grew), nor at a restart; the new items are; and when the file goes, the
# records of its expired items go at the next cleanup.
source "$(dirname "$0")/lib.sh"

DAY=86400
T0=$(date +%s)
printf 'nosync = true\nretention = 90d\n' >"$TMP/r.conf"

# Day 0: two items; day 50: a third.
export REPRINTD_NOW=$T0
{ json_item story_library library; json_item story_orchard orchard; } |
    drop "$WATCH/feed.jsonl"
start_daemon --config "$TMP/r.conf"
wait_for documents 2
stop_daemon
export REPRINTD_NOW=$((T0 + 50 * DAY))
start_daemon --config "$TMP/r.conf"
cp "$WATCH/feed.jsonl" "$TMP/feed"
json_item story_ferry ferry >>"$TMP/feed"
drop "$WATCH/feed.jsonl" <"$TMP/feed"
wait_for documents 3
stop_daemon

# Day 100: the first two expire, the third stays.
export REPRINTD_NOW=$((T0 + 100 * DAY))
start_daemon --config "$TMP/r.conf"
ctl cleanup --json >"$TMP/c1.json" || fail "cleanup"
wait_for documents 1
ctl matches feed.jsonl#2 >/dev/null || fail "the day-50 item went too"
stored=$(grep -c "Z stored " "$LOG")

# The feed grows by one item: that one only is stored.
json_item story_bridge bridge >>"$TMP/feed"
drop "$WATCH/feed.jsonl" <"$TMP/feed"
wait_for documents 2
wait_log "feed.jsonl: 2 items expired earlier, not stored again" ||
    fail "no note of the expired items: $(tail -n 5 "$LOG")"
[ "$(grep -c "Z stored " "$LOG")" = $((stored + 1)) ] ||
    fail "stored again: $(grep "stored " "$LOG" | tail -n 3)"
grep -q "stored feed.jsonl#3" "$LOG" || fail "new item: $(tail -n 5 "$LOG")"
ok "a feed appended to after its first items expired stores only its new item"

# A restart reads nothing new; a newest-first rewrite of the feed (every
# item moves) stores nothing either.
stop_daemon
start_daemon --config "$TMP/r.conf"
wait_for documents 2
tac "$TMP/feed" | drop "$WATCH/feed.jsonl"
sleep 1
[ "$(status_field documents)" = 2 ] ||
    fail "documents: $(status_field documents)"
[ "$(grep -c "Z stored " "$LOG")" = $((stored + 1)) ] ||
    fail "stored again: $(grep "stored " "$LOG" | tail -n 3)"
ok "nor at a restart, nor when the feed is rewritten newest first"

# Who reprints whom, over the ids left (the lowest ones expired): a
# paper's copy of the day-50 item.
story_ferry | drop "$WATCH/paper/ferry.txt"
wait_for documents 3
ctl sources --json >"$TMP/sources.json"
python3 - "$TMP/sources.json" <<'PY' || fail "sources: $(cat "$TMP/sources.json")"
import json, sys
s = {r["source"]: r for r in map(json.loads, open(sys.argv[1]))}
assert s["paper"]["reprints"] == 1 and s["paper"]["documents"] == 1, s
assert s[None]["reprinted"] == 1 and s[None]["documents"] == 2, s
assert s["paper"]["from"] == [{"source": None, "reprints": 1}], s
PY
ok "sources counts over the documents left after expiry"

# The file goes (its stored documents stay: an inbox is emptied, what
# came is remembered): at the next cleanup the records of its expired
# items go.
rm "$WATCH/feed.jsonl"
ctl cleanup --json >"$TMP/c2.json" || fail "cleanup 2"
python3 - "$TMP/c2.json" <<'PY' || fail "cleanup 2: $(cat "$TMP/c2.json")"
import json, sys
assert json.load(open(sys.argv[1]))["expired_files_forgotten"] == 2
PY
ok "the expired items' records go with their file"

# A feed of one item is stored under the file's own name; expired, it
# is remembered as an item all the same: when the feed grows, only the
# new item is stored.
json_item story_library library | drop "$WATCH/single.jsonl"
wait_log "stored single.jsonl (id" || fail "single not stored"
stop_daemon
export REPRINTD_NOW=$((T0 + 200 * DAY))
start_daemon --config "$TMP/r.conf"
ctl cleanup >/dev/null || fail "cleanup 3"
wait_for documents 0
{ json_item story_library library; json_item story_bridge bridge; } |
    drop "$WATCH/single.jsonl"
wait_for documents 1
wait_log "single.jsonl: 1 items expired earlier, not stored again" ||
    fail "single: $(grep single "$LOG")"
grep -q "stored single.jsonl#1" "$LOG" || fail "single #1 not stored"
! grep -q "stored single.jsonl#0" "$LOG" || fail "single #0 stored again"
ok "a one-item feed's expired item is not stored again when it grows"
