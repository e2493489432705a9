#!/usr/bin/env bash
# A JSON lines feed that grows keeps the documents of its earlier items:
# their ids, arrivals and pairs (an appended line once stored every item
# again, and the copy of an item became its original). An edited item
# (the same URL, or title) is replaced; one dropped from the file (a feed
# that keeps its last N items) keeps its document, named
# FILE#dropped-ID (one that returns is stored again, its exact copy); a
# file down to one item names its document by the file again, still the
# same document.
source "$(dirname "$0")/lib.sh"

# stored_id PATH: the id of the last "stored PATH (id N" line, or none.
stored_id() {
	grep -o "stored $1 (id [0-9]*" "$LOG" | tail -n 1 | awk '{print $4}'
}

start_daemon
json_item story_bridge bridge >"$TMP/feed"
drop "$WATCH/feed.jsonl" <"$TMP/feed"
wait_for documents 1
story_bridge | drop "$WATCH/copy.txt"
wait_for documents 2
bridge=$(stored_id feed.jsonl)
[ -n "$bridge" ] || fail "feed.jsonl not stored"

json_item story_orchard orchard >>"$TMP/feed"
drop "$WATCH/feed.jsonl" <"$TMP/feed"
wait_for documents 3
[ -z "$(stored_id 'feed.jsonl#0')" ] || fail "item 0 stored again"
[ -n "$(stored_id 'feed.jsonl#1')" ] || fail "item 1 not stored"
ctl pairs --json | grep -q '"a":"feed.jsonl#0","b":"copy.txt","relation":"exact","original":"feed.jsonl#0"' ||
    fail "pair after the append: $(ctl pairs --json)"
ok "an appended item: the first keeps its document (renamed #0) and its pair"

orchard=$(stored_id 'feed.jsonl#1')
json_item story_library library >>"$TMP/feed"
drop "$WATCH/feed.jsonl" <"$TMP/feed"
wait_for documents 4
[ "$(grep -c 'stored feed.jsonl' "$LOG")" = 3 ] ||
    fail "items stored again: $(grep 'stored feed' "$LOG")"
ok "a third item: only it is stored"

# Item 1 edited (its title the same, its text another): it alone is
# replaced.
{
	sed -n 1p "$TMP/feed"
	json_item story_ferry orchard
	sed -n 3p "$TMP/feed"
} >"$TMP/feed2"
drop "$WATCH/feed.jsonl" <"$TMP/feed2"
for _ in $(seq 1 50); do
	[ "$(stored_id 'feed.jsonl#1')" != "$orchard" ] && break
	sleep 0.1
done
wait_for documents 4
[ "$(stored_id 'feed.jsonl#1')" != "$orchard" ] || fail "item 1 not replaced"
grep -q "replaced feed.jsonl (content changed; 2 of its items kept)" "$LOG" ||
    fail "replaced line: $(grep replaced "$LOG")"
# ...said before its new document's line (reprintd(8)).
[ "$(grep -n "replaced feed.jsonl (content" "$LOG" | head -n 1 | cut -d: -f1)" -lt \
    "$(grep -n "stored feed.jsonl#1 (id" "$LOG" | tail -n 1 | cut -d: -f1)" ] ||
    fail "replaced logged after: $(grep 'feed.jsonl' "$LOG" | tail -n 3)"
ctl matches feed.jsonl#1 --json >/dev/null || fail "item 1 missing"
ok "a changed item is replaced, the others kept"

# Down to the first item: the file's own name, the same document; the two
# items dropped keep theirs, aside.
library=$(stored_id 'feed.jsonl#2')
sed -n 1p "$TMP/feed" | drop "$WATCH/feed.jsonl"
wait_log "feed.jsonl#2: no longer in the file, its document is kept as feed.jsonl#dropped-$library (id $library)" ||
    fail "no aside line: $(tail -n 3 "$LOG")"
wait_for documents 4
ctl matches "feed.jsonl#dropped-$library" >/dev/null ||
    fail "the library item is not kept aside: $(ctl pairs)"
ctl pairs --json | grep -q '"a":"feed.jsonl","b":"copy.txt","relation":"exact","original":"feed.jsonl"' ||
    fail "pair after the cut: $(ctl pairs --json)"
[ "$(grep -c "stored feed.jsonl (id" "$LOG")" = 1 ] ||
    fail "the one item stored again: $(grep 'stored feed' "$LOG")"
# The API gives the id, which a client keeps where names move.
curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=feed.jsonl" |
    python3 -c 'import json, sys
m = json.load(sys.stdin)
assert m["id"] == int(sys.argv[1]), m
assert all(isinstance(r["id"], int) for r in m["matches"]), m' "$bridge" ||
    fail "ids in matches"
ok "down to one item: named feed.jsonl again, id $bridge kept"

before=$(grep -c "stored \|replaced " "$LOG")
stop_daemon
start_daemon
wait_for documents 4
sleep 0.5
[ "$(grep -c "stored \|replaced " "$LOG")" = "$before" ] ||
    fail "a restart stored the feed again: $(tail -n 5 "$LOG")"
ok "restart: the kept item is known unchanged"

# Three items again: the library item that returns is stored again, an
# exact copy of its document aside, which stays its original.
{
	json_item story_bridge bridge
	json_item story_orchard orchard
	json_item story_library library
} >"$TMP/feed3"
drop "$WATCH/feed.jsonl" <"$TMP/feed3"
wait_for documents 6
ctl matches 'feed.jsonl#2' --json | grep -q "\"path\":\"feed.jsonl#dropped-$library\",\"relation\":\"exact\",\"original\":\"feed.jsonl#dropped-$library\"" ||
    fail "library: $(ctl matches 'feed.jsonl#2' --json)"
ok "a dropped item that returns is stored again, paired with its document"

# Then the middle one removed: the last keeps its document under its new
# name, the middle one aside, and nothing is stored or matched.
stored=$(grep -c "stored " "$LOG")
pairs=$(grep -c "pair " "$LOG")
{ sed -n 1p "$TMP/feed3"; sed -n 3p "$TMP/feed3"; } | drop "$WATCH/feed.jsonl"
wait_log "feed.jsonl#1: no longer in the file, its document is kept as feed.jsonl#dropped-" ||
    fail "no aside line: $(tail -n 3 "$LOG")"
sleep 0.3
[ "$(status_field documents)" = 6 ] || fail "documents: $(status_field documents)"
[ "$(grep -c "stored " "$LOG")" = "$stored" ] ||
    fail "items stored again: $(grep stored "$LOG" | tail -n 2)"
[ "$(grep -c "pair " "$LOG")" = "$pairs" ] ||
    fail "pairs logged: $(grep pair "$LOG" | tail -n 2)"
ctl matches 'feed.jsonl#1' --json >/dev/null || fail "#1 missing"
ok "a line removed: the later item keeps its document under its new name"

# An item's metadata corrected, its text the same: stored again.
{ sed -n 1p "$TMP/feed3" | sed 's/"title": "bridge"/"title": "bridge (corrected)"/'
  sed -n 3p "$TMP/feed3"; } | drop "$WATCH/feed.jsonl"
for _ in $(seq 1 50); do
	[ "$(grep -c "stored feed.jsonl#0" "$LOG")" = 1 ] && break
	sleep 0.1
done
[ "$(grep -c "stored feed.jsonl#0" "$LOG")" = 1 ] ||
    fail "corrected item not stored: $(grep 'stored feed' "$LOG")"
ok "an item with corrected metadata is stored again"

# A one-item file broken, then its item back in another layout: kept, and
# the rejection of the broken version forgotten.
json_item story_ferry ferry | drop "$WATCH/single.json"
wait_for documents 7
printf '{"title": "ferry", "content": \n' | drop "$WATCH/single.json"
wait_for rejected 1
json_item story_ferry ferry | python3 -c 'import json, sys
print(json.dumps(json.loads(sys.stdin.read()), indent=2))' |
    drop "$WATCH/single.json"
wait_for rejected 0
[ "$(grep -c "stored single.json" "$LOG")" = 1 ] || fail "single.json stored again"
ok "a rejection is forgotten when the file's item comes back unchanged"

# Two items that swap places: both kept, each under its new name, through
# a name of its own, even when a file holds that name.
{ json_item story_orchard orchard; json_item story_library library; } >"$TMP/swap"
drop "$WATCH/swap.jsonl" <"$TMP/swap"
wait_for documents 9
first=$(stored_id 'swap.jsonl#0')
echo "A file whose name is the one a swap would borrow." >"$WATCH/swap.jsonl#~$first"
wait_for documents 10
stored=$(grep -c "stored " "$LOG")
{ sed -n 2p "$TMP/swap"; sed -n 1p "$TMP/swap"; } | drop "$WATCH/swap.jsonl"
sleep 1
[ "$(status_field ingest)" = running ] || fail "ingest: $(status_field error)"
[ "$(grep -c "stored " "$LOG")" = "$stored" ] ||
    fail "swapped items stored again: $(grep stored "$LOG" | tail -n 2)"
ctl matches 'swap.jsonl#1' --json >/dev/null || fail "swap #1"
ok "two items that swap keep their documents"

# Many identical items, one appended: only it is stored.
for i in $(seq 1 60); do json_item story_ferry ferry; done >"$TMP/same"
drop "$WATCH/same.jsonl" <"$TMP/same"
wait_for documents 70
json_item story_bridge bridge >>"$TMP/same"
drop "$WATCH/same.jsonl" <"$TMP/same"
wait_for documents 71
[ "$(grep -c "stored same.jsonl" "$LOG")" = 61 ] ||
    fail "identical items stored again: $(grep -c 'stored same' "$LOG")"
ok "identical items: each keeps a document of its own"
