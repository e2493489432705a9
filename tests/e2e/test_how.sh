#!/usr/bin/env bash
# How a near duplicate differs from its original: a copy wrapped in a
# site's header and footer (boilerplate), the same paragraphs in another
# order (reorder) and a copy edited word by word (rewrite) are all
# near_duplicate pairs, each with its "how" in pairs, matches, query and
# cluster, in the log's pair lines and the table's HOW column; a restart
# keeps it.
source "$(dirname "$0")/lib.sh"

start_daemon
story_orchard | drop "$WATCH/orchard.txt"
wait_for documents 1

{
	echo "The Kessel Valley Courier | News | Farming | Subscribe"
	echo
	story_orchard
	echo
	echo "Copyright the Kessel Valley Courier. All rights reserved."
} | drop "$WATCH/courier/orchard.txt"
# The second paragraph moved to the end.
story_orchard | awk 'BEGIN { RS = ""; ORS = "\n\n" } { p[NR] = $0 }
    END { print p[1]; for (i = 3; i <= NR; i++) print p[i]; print p[2] }' |
    drop "$WATCH/digest/orchard_moved.txt"
# Words changed all through the text.
story_orchard | sed -e 's/ said / stated /g; s/ growers/ farmers/g' \
    -e 's/ tonnes/ tons/g; s/ fruit / produce /g; s/ frost / cold /g' |
    drop "$WATCH/weekly/orchard_edited.txt"
wait_for documents 4

ctl pairs --json >"$TMP/pairs.json"
python3 - "$TMP/pairs.json" <<'PY' || fail "pairs: $(cat "$TMP/pairs.json")"
import json, sys
pairs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = {p["b"]: (p["relation"], p["how"], p["original"])
       for p in pairs if p["a"] == "orchard.txt"}
want = {
    "courier/orchard.txt": ("near_duplicate", "boilerplate", "orchard.txt"),
    "digest/orchard_moved.txt": ("near_duplicate", "reorder", "orchard.txt"),
    "weekly/orchard_edited.txt": ("near_duplicate", "rewrite", "orchard.txt"),
}
assert got == want, "got %r" % got
PY
ok "pairs: boilerplate, reorder and rewrite near duplicates"

ctl pairs | grep -q '^near_duplicate *reorder *orchard.txt *digest/orchard_moved.txt' ||
    fail "pairs table: $(ctl pairs)"
grep -q 'pair near_duplicate: orchard.txt . weekly/orchard_edited.txt .* how=rewrite$' \
    "$LOG" || fail "log: $(grep pair "$LOG")"
ok "the table's HOW column and the log's how="

ctl matches orchard.txt --json >"$TMP/m.json"
python3 - "$TMP/m.json" <<'PY' || fail "matches: $(cat "$TMP/m.json")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hows = {r["path"]: r["how"] for r in rows}
assert hows == {"courier/orchard.txt": "boilerplate",
                "digest/orchard_moved.txt": "reorder",
                "weekly/orchard_edited.txt": "rewrite"}, hows
PY
ctl cluster orchard.txt --json >"$TMP/c.json"
python3 - "$TMP/c.json" <<'PY' || fail "cluster: $(cat "$TMP/c.json")"
import json, sys
members = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hows = {m["path"]: m.get("how") for m in members}
assert members[0]["path"] == "orchard.txt", members
assert members[0]["relation"] == "original" and "how" not in members[0]
assert hows["digest/orchard_moved.txt"] == "reorder", hows
assert hows["weekly/orchard_edited.txt"] == "rewrite", hows
PY
# A text that is not stored: the same answer.
story_orchard | awk 'BEGIN { RS = ""; ORS = "\n\n" } { p[NR] = $0 }
    END { for (i = NR; i >= 1; i--) print p[i] }' >"$TMP/backwards.txt"
ctl query "$TMP/backwards.txt" --json >"$TMP/q.json"
grep '"path":"orchard.txt","relation":"near_duplicate"' "$TMP/q.json" |
    grep -q '"how":"reorder"' || fail "query: $(cat "$TMP/q.json")"
ok "matches, cluster and query tell how"


stop_daemon
start_daemon
ctl pairs --json >"$TMP/pairs2.json"
cmp -s "$TMP/pairs.json" "$TMP/pairs2.json" ||
    fail "pairs changed across a restart: $(diff "$TMP/pairs.json" "$TMP/pairs2.json")"
ok "how is kept across a restart"

# A chain: a rewrite whose third paragraph is new, and an excerpt of that
# paragraph, which is no copy of the original itself. Each member is
# described by the pair nearest the original, whichever member the
# cluster is asked for (the excerpt, asked for itself, said "none").
docs=$(status_field documents)
story_library | drop "$WATCH/library.txt"
wait_for documents $((docs + 1))
NEW3="The building, a brick grain store made into a library some sixty years
ago, let in rain through every roof and had no lift at all. The makeover,
drawn up by Arkiv Nord from the town, saved the old cast columns and the
oak tables of the reading room, mended in the new workshop; solar panels
and a rain tank now feed the garden with most of its power and water."
story_library | NEW3=$NEW3 python3 -c 'import os, sys
p = sys.stdin.read().split("\n\n")
p[3] = os.environ["NEW3"]
print("\n\n".join(p))' | drop "$WATCH/review/library.txt"
wait_for documents $((docs + 2))
{ echo "$NEW3"; echo; echo "Continue reading on our partner site."; } |
    drop "$WATCH/brief/library.txt"
wait_for documents $((docs + 3))
ctl matches brief/library.txt --json | grep -q '"path":"review/library.txt","relation":"excerpt"' ||
    fail "the excerpt: $(ctl matches brief/library.txt --json)"
! ctl matches brief/library.txt --json | grep -q '"path":"library.txt"' ||
    fail "the excerpt pairs with the original: $(ctl matches brief/library.txt --json)"
for m in library.txt review/library.txt brief/library.txt; do
	ctl cluster "$m" --json | python3 -c 'import json, sys
rows = {}
for l in sys.stdin:
    r = json.loads(l)
    rows[r["path"]] = (r["relation"], r.get("with"))
print(json.dumps(rows, sort_keys=True))' >"$TMP/cl-${m//\//_}"
done
python3 - "$TMP/cl-library.txt" <<'PY' || fail "cluster: $(cat "$TMP/cl-library.txt")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows == {"library.txt": ["original", None],
                "review/library.txt": ["near_duplicate", "library.txt"],
                "brief/library.txt": ["excerpt", "review/library.txt"]}, rows
PY
cmp -s "$TMP/cl-library.txt" "$TMP/cl-review_library.txt" &&
    cmp -s "$TMP/cl-library.txt" "$TMP/cl-brief_library.txt" ||
    fail "the cluster told otherwise from another member: $(cat "$TMP"/cl-*)"
ok "a cluster's members are told by the pair nearest its original, from any member"
