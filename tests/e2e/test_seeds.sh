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

# explain shows the passages 001 shares with 002, none of 002's footer.
start_daemon
wait_for documents 5
a=$(cd "$SEEDS" && ls 001_*.txt)
b=$(cd "$SEEDS" && ls 002_*.txt)
ctl explain "$a" "$b" --json >"$TMP/explain.json" || fail "explain failed"
python3 - "$TMP/explain.json" "$SEEDS/$a" "$SEEDS/$b" <<'PY' ||
import difflib, json, sys
ps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
a = open(sys.argv[2], "rb").read()
b = open(sys.argv[3], "rb").read()
footer = b.find(b"For more articles like this")
assert footer > 0, "no footer in 002"
assert len(ps) >= 3, "only %d passages" % len(ps)
shown = sum(p["a_len"] for p in ps)
assert shown >= 0.6 * len(a), "passages cover %d of %d bytes" % (shown, len(a))
for p in ps:
    assert p["b_off"] + p["b_len"] <= footer, "passage in the footer: %r" % p
    # the two ranges hold the same passage (a typo or a changed word
    # inside a passage is allowed)
    words = lambda s: s.lower().split()
    pa = words(a[p["a_off"]:p["a_off"] + p["a_len"]])
    pb = words(b[p["b_off"]:p["b_off"] + p["b_len"]])
    sim = difflib.SequenceMatcher(None, pa, pb).ratio()
    assert sim >= 0.8, (sim, p)
PY
    fail "explain on the seeds: $(cat "$TMP/explain.json")"
stop_daemon
ok "explain: shared passages of 001 and 002, none of 002's footer"

# --once on a fresh store, then a daemon on that store answers the same.
rm -rf "$STATE" && mkdir "$STATE"
"$REPRINTD" --watch "$WATCH" --state "$STATE" --once >>"$LOG" 2>&1 ||
    fail "--once exited non-zero"
start_daemon
wait_for documents 5
check_pairs
stop_daemon
ok "--once: exactly the expected pair"
