#!/usr/bin/env bash
# The five seed articles (../shared/corpus/seeds): exactly one pair, 001_*
# an excerpt of 002_*, 002_* the original; compared with expected.tsv.
# Run twice: live through inotify, and with --once on a fresh store.
source "$(dirname "$0")/lib.sh"

SEEDS=${SHARED_DIR:-$SOURCE_DIR/../shared}/corpus/seeds
if [ ! -d "$SEEDS" ]; then
	echo "skip: no seed corpus at $SEEDS"
	exit 77
fi
n=$(ls "$SEEDS"/*.txt | wc -l)
[ "$n" = 5 ] || fail "expected 5 seed articles in $SEEDS, found $n"

check_pairs() {
	ctl pairs --json >"$TMP/pairs.json"
	python3 - "$TMP/pairs.json" "$SEEDS/expected.tsv" <<'PY' ||
import json, sys
got = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])][1:]
want = {(frozenset((a, b)), r) for a, b, r in (x for x in rows if x[0])}
have = {(frozenset((p["a"], p["b"])), p["relation"]) for p in got}
assert have == want, "pairs %r, expected %r" % (sorted(map(str, have)),
                                                sorted(map(str, want)))
for p in got:
    if p["relation"] == "excerpt":
        assert p["original"].startswith("002_"), "original %r" % p
        assert p["containment"] >= 0.5, p
PY
	    fail "seed pairs: $(cat "$TMP/pairs.json")"
}

start_daemon
cp "$SEEDS"/*.txt "$WATCH"/
wait_for documents 5
check_pairs
ctl pairs
grep -q "pair excerpt: 001_[0-9a-f]*\.txt ⊂ 002_[0-9a-f]*\.txt original=002_" \
    "$LOG" || fail "no log line for the seed pair"
stop_daemon
ok "live: exactly the expected pair"

# --once on a fresh store, then a daemon on that store answers the same.
rm -rf "$STATE" && mkdir "$STATE"
"$REPRINTD" --watch "$WATCH" --state "$STATE" --once >>"$LOG" 2>&1 ||
    fail "--once exited non-zero"
start_daemon
wait_for documents 5
check_pairs
stop_daemon
ok "--once: exactly the expected pair"
