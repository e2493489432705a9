#!/usr/bin/env bash
# A compilation (a digest that carries several stories whole) is an
# excerpt pair of each story, but it does not make the stories one
# cluster: two stories are not copies of each other because a digest
# holds both. A page that holds one story whole with its readers'
# comments stays in that story's cluster, and so does a page holding a
# story and its copy, which are one story.
source "$(dirname "$0")/lib.sh"

COMMENTS="Reader comments

Harbor_watcher wrote: I have lived on the north quay for thirty years and
nobody asked the houseboat owners what they thought before the council
voted. The arch will cast a shadow over half the moorings every evening.

Gull_and_anchor wrote: Finally. Walking around the head of the harbor
with a pram in the rain is no fun at all, and the ferry terminal car park
is always full on weekends. Build it and build it quickly.

Old_salt_77 wrote: Thirty eight million for a footbridge while the
southern pier is crumbling into the silt. Ask the dredging contractors
what they charged last time and then double it.

Ferry_commuter wrote: The terminal buses already stop outside the market,
so the bridge will mostly help tourists. I would rather see the money
spent on a second ferry for the winter timetable and on lights along the
coast road, where two cyclists were hit last year.

Marketday wrote: The herring stalls have been losing customers since the
supermarket opened by the ring road. Foot traffic from the terminal
could save the Saturday market, which is the last of its kind on this
stretch of coast. My family has sold smoked fish there since before the
war and we would like to keep doing it.

Pier_engineer wrote: For what it is worth, the silt under the southern
pier was surveyed two years ago and the report is in the council library
for anyone who wants to read it. The piles will need to go down another
eleven meters, which is where the extra cost comes from."

start_daemon
story_bridge | drop "$WATCH/wire/bridge.txt"
story_orchard | drop "$WATCH/farmnews/orchard.txt"
story_library | drop "$WATCH/merrow/library.txt"
wait_for documents 3
{ echo "Harbour Herald: news from around the region"; echo
  story_bridge; echo; echo "Subscribe for more local news."; } |
    drop "$WATCH/herald/bridge.txt"
wait_for documents 4
{ story_bridge; echo; echo "$COMMENTS"; } | drop "$WATCH/quayside/bridge-talk.txt"
wait_for documents 5
{ echo "The Daily Digest: today's stories in full"; echo
  story_bridge; echo; story_orchard; echo; story_library; } |
    drop "$WATCH/digest/today.txt"
wait_for documents 6

ctl pairs --json >"$TMP/p.json"
python3 - "$TMP/p.json" <<'PY' || fail "pairs: $(cat "$TMP/p.json")"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def rel(x, y):
    r = [q["relation"] for q in p if {q["a"], q["b"]} == {x, y}]
    return r[0] if r else None
for s in ("wire/bridge.txt", "farmnews/orchard.txt", "merrow/library.txt"):
    assert rel(s, "digest/today.txt") == "excerpt", s
assert rel("wire/bridge.txt", "quayside/bridge-talk.txt") == "excerpt"
assert rel("herald/bridge.txt", "quayside/bridge-talk.txt") == "excerpt"
assert rel("wire/bridge.txt", "herald/bridge.txt") == "near_duplicate"
PY

members() {
	ctl cluster --json "$1" | python3 -c 'import json, sys
print(" ".join(sorted(json.loads(l)["path"] for l in sys.stdin if l.strip())))'
}
[ "$(members farmnews/orchard.txt)" = "farmnews/orchard.txt" ] ||
    fail "the orchard story's cluster: $(members farmnews/orchard.txt)"
[ "$(members merrow/library.txt)" = "merrow/library.txt" ] ||
    fail "the library story's cluster: $(members merrow/library.txt)"
[ "$(members digest/today.txt)" = "digest/today.txt" ] ||
    fail "the digest's cluster: $(members digest/today.txt)"
want="herald/bridge.txt quayside/bridge-talk.txt wire/bridge.txt"
for m in $want; do
	[ "$(members "$m")" = "$want" ] ||
	    fail "the bridge story's cluster, asked as $m: $(members "$m")"
done
ctl cluster wire/bridge.txt | grep -q '^original: wire/bridge.txt' ||
    fail "the bridge story's original: $(ctl cluster wire/bridge.txt)"
ok "a digest's stories stay apart; a story's copies stay together"

ctl report --format json >"$TMP/r.json"
python3 - "$TMP/r.json" <<'PY' || fail "report: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
cl = [sorted([c["original"]["path"]] + [m["path"] for m in c["members"]])
      for c in r["clusters"]]
assert cl == [["herald/bridge.txt", "quayside/bridge-talk.txt",
               "wire/bridge.txt"]], cl
assert r["counts"]["clusters"] == 1, r["counts"]
assert r["counts"]["flagged"]["excerpt"] == 6, r["counts"]
PY
ok "the report's clusters leave the digest out"
