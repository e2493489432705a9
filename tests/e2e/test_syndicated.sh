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

# A source's copy of its own story is no syndication, in the report too.
story_library | drop "$WATCH/wire/library_again.txt"
wait_for documents 10
ctl report --format json >"$TMP/report.json"
python3 - "$TMP/report.json" <<'PY' || fail "report: reprints_of"
import json, sys
r = json.load(open(sys.argv[1]))
whom = [(x["reprinter"], x["original_source"], x["count"]) for x in r["reprints_of"]]
assert all(a != b for a, b, _ in whom), whom
assert sorted(whom) == sorted(("paper%d" % i, "wire", 1) for i in range(1, 9)), whom
PY
ok "report: who reprints whom leaves a source's own copies out"
