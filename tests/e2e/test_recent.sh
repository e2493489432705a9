#!/usr/bin/env bash
# A reprint arriving soon after its original is verified against the
# original's features as ingest built them (the last documents stored are
# kept: reprintd_verify_recent_total counts it); after a restart none are
# kept and the features are rebuilt from the stored text. Both ways give
# the same pair, to the figure.
source "$(dirname "$0")/lib.sh"

wrapped() {
	echo "Posted by the Harbour Gazette news desk at 6.10 this morning."
	story_bridge
	echo "Share this story with your neighbours. Comments are closed."
}

story_bridge | drop "$WATCH/bridge.txt"
start_daemon
wait_for documents 1
wrapped | drop "$WATCH/gazette.txt"
wait_for documents 2
[ "$(metric reprintd_verify_recent_total)" = 1 ] ||
	fail "recent features not used: $(metric reprintd_verify_recent_total)"
ok "the reprint was verified against the original's kept features"

stop_daemon
start_daemon
wait_for documents 2
# The same reprint under another name: its pair with bridge.txt is now
# computed from features rebuilt from the store (it is an exact copy of
# gazette.txt, which its record tells without features).
wrapped | drop "$WATCH/gazette_again.txt"
wait_for documents 3
[ "$(metric reprintd_verify_recent_total)" = 0 ] ||
	fail "features kept across a restart: $(metric reprintd_verify_recent_total)"

ctl pairs --json >"$TMP/pairs.json"
python3 - "$TMP/pairs.json" <<'PY' || fail "pairs: $(cat "$TMP/pairs.json")"
import json, sys
pairs = {(p["a"], p["b"]): p
         for p in (json.loads(l) for l in open(sys.argv[1]) if l.strip())}
kept = pairs[("bridge.txt", "gazette.txt")]
rebuilt = pairs[("bridge.txt", "gazette_again.txt")]
assert kept["relation"] == "near_duplicate", kept
for k in ("relation", "original", "jaccard", "containment", "cont_ab",
          "cont_ba"):
    assert kept[k] == rebuilt[k], (k, kept, rebuilt)
assert pairs[("gazette.txt", "gazette_again.txt")]["relation"] == "exact"
PY
ok "features rebuilt after a restart give the same pair, figure for figure"
