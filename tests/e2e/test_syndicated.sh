#!/usr/bin/env bash
# A story stored more times than boilerplate_df has every fingerprint
# common: its later copies are candidates of no lookup. Exact copies are
# still found, by the key of their normalized text: every copy is paired
# exact, `query` finds it, and the cluster holds them all.
source "$(dirname "$0")/lib.sh"

printf 'boilerplate_df = 3\nnosync = true\n' >"$TMP/r.conf"
start_daemon --config "$TMP/r.conf"
story_library | drop "$WATCH/wire/library.txt"
wait_for documents 1
for i in 1 2 3 4 5 6 7 8; do
	story_library | drop "$WATCH/paper$i/library.txt"
	wait_for documents $((i + 1))
done
for i in 1 2 3 4 5 6 7 8; do
	ctl matches "paper$i/library.txt" --json >"$TMP/m.json"
	grep -q '"path":"wire/library.txt","relation":"exact"' "$TMP/m.json" ||
	    fail "paper$i: $(cat "$TMP/m.json")"
done
ok "eight copies of a story over boilerplate_df = 3 are each paired with the first"

story_library >"$TMP/again.txt"
ctl query "$TMP/again.txt" --json | grep -q '"relation":"exact"' ||
    fail "query: $(ctl query "$TMP/again.txt" --json)"
[ "$(ctl cluster paper8/library.txt --json | wc -l)" = 9 ] ||
    fail "cluster: $(ctl cluster paper8/library.txt)"
ok "query finds the copies, the cluster holds all nine"

# Who reprints whom: each paper once, from the wire; no paper reprints
# another (their copies are paired with each other too).
ctl sources --json >"$TMP/sources.json"
python3 - "$TMP/sources.json" <<'PY' || fail "sources: $(cat "$TMP/sources.json")"
import json, sys
s = {r["source"]: r for r in map(json.loads, open(sys.argv[1]))}
assert s["wire"]["reprinted"] == 1 and s["wire"]["reprints"] == 0, s["wire"]
for i in range(1, 9):
    p = s["paper%d" % i]
    assert p["reprints"] == 1 and p["reprinted"] == 0, p
    assert p["from"] == [{"source": "wire", "reprints": 1}], p
PY
ok "sources: each paper reprints the wire once, none another paper"
