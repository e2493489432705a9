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

# The first copy is paired with all eight others: /v1/matches lists the
# best `limit` (default 1000) and says how many there are.
m() { curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=wire/library.txt$1"; }
m "" | python3 -c 'import json, sys
o = json.load(sys.stdin)
assert o["count"] == 8 and len(o["matches"]) == 8 and "truncated" not in o, o' ||
    fail "matches: $(m "")"
m "&limit=3" | python3 -c 'import json, sys
o = json.load(sys.stdin)
assert o["count"] == 8 and len(o["matches"]) == 3 and o["truncated"], o
assert all(r["relation"] == "exact" for r in o["matches"]), o' ||
    fail "limit=3: $(m "&limit=3")"
for bad in 0 -1 x 100001; do
	m "&limit=$bad" | grep -q '"error":"limit is a number from 1 to 100000' ||
	    fail "limit=$bad: $(m "&limit=$bad")"
done
ok "matches: the best limit of a story's copies, with their count"

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

# Near copies of the story, now held ten times: its keys are all common,
# so no lookup brings it up, yet each copy is paired with the wire's:
# another paper's header and footer around it, a light rewrite, its lede.
{
	printf 'THE HARBOUR COURIER | Culture | Subscribe for 1 crown a week\n\n'
	story_library
	printf '\nShare this article. Comments are closed. (c) The Harbour Courier\n'
} | drop "$WATCH/paper9/library.txt"
story_library | sed -e 's/Hundreds of residents/Hundreds of locals/' \
    -e 's/drizzle/rain/' -e 's/renovation/refurbishment/' |
    drop "$WATCH/paper10/library.txt"
story_library | sed -n '1,11p' | drop "$WATCH/paper11/library.txt"
wait_for documents 13
for want in paper9:near_duplicate paper10:near_duplicate paper11:excerpt; do
	ctl matches "${want%%:*}/library.txt" --json >"$TMP/m.json"
	grep -q "\"path\":\"wire/library.txt\",\"relation\":\"${want#*:}\"" \
	    "$TMP/m.json" || fail "${want%%:*}: $(cat "$TMP/m.json")"
done
story_library | sed -e 's/drizzle/rain/' >"$TMP/edited.txt"
ctl query "$TMP/edited.txt" --json | grep -q '"path":"wire/library.txt"' ||
    fail "query: $(ctl query "$TMP/edited.txt" --json)"
ctl explain paper11/library.txt wire/library.txt >"$TMP/explain.txt"
grep -q "Hundreds of residents queued" "$TMP/explain.txt" &&
    grep -q "^(boilerplate included" "$TMP/explain.txt" ||
    fail "explain: $(cat "$TMP/explain.txt")"
ok "near copies of a story held over boilerplate_df times find its first copy"

# Who ran this text? A query of it lists every stored copy: the exact ones
# its text's key finds (the first eight), and through them the others,
# each with the exact copy it was found through.
ctl query "$TMP/again.txt" --json >"$TMP/q.json"
python3 - "$TMP/q.json" <<'PY' || fail "query: $(cat "$TMP/q.json")"
import json, sys
rows = list(map(json.loads, open(sys.argv[1])))
paths = {r["path"] for r in rows}
want = {"wire/library.txt", "wire/library_again.txt"} | {
    "paper%d/library.txt" % i for i in range(1, 12)}
assert paths == want, sorted(want - paths)
r9 = [r for r in rows if r["path"] == "paper9/library.txt"][0]
assert r9["relation"] == "near_duplicate" and r9["via"], r9
assert [r for r in rows if r["path"] == "paper11/library.txt"][0]["relation"] == "excerpt"
PY
ok "a query of the story lists all its copies"

# A site's footer is common too, and its first pages hold all of it, but
# they are not copies of each other: a brief that is mostly that footer
# is no excerpt of them (its own line is too short to match anything).
status_field pairs >"$TMP/pairs_before"
brief() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys
syll = ["ka", "lo", "mer", "tin", "sa", "vel", "dor", "ni", "pra", "ust",
        "bre", "gio", "fam", "zu", "hel", "quon"]
footer = ("The Valley Gazette is published by Valley Media Group. All rights "
          "reserved. Reproduction of this article in any form without the "
          "written permission of the publisher is prohibited. Letters to the "
          "editor may be edited for length and clarity before publication. "
          "Subscribers can read every edition online from the archive page, "
          "search back issues to nineteen fifty and order printed copies of "
          "any page. Our newsroom can be reached by telephone on weekdays "
          "between nine and five, or by letter at the address below.\n")
r = random.Random(int(sys.argv[1]))
words = int(sys.argv[2])
print(" ".join("".join(r.choice(syll) for _ in range(r.randint(1, 3)))
               for _ in range(words)) + ".\n\n" + footer, end="")
PY
}
for n in 0 1 2 3; do
	brief $n 480 | drop "$WATCH/gazette/brief$n.txt"
done
wait_for documents 17
brief 4 12 | drop "$WATCH/gazette/brief4.txt"
wait_for documents 18
ctl matches gazette/brief4.txt --json >"$TMP/m.json"
[ ! -s "$TMP/m.json" ] || fail "a footer made a copy: $(cat "$TMP/m.json")"
[ "$(status_field pairs)" = "$(cat "$TMP/pairs_before")" ] ||
    fail "the briefs were paired: $(ctl pairs)"
ok "a site's common footer makes no copies of its pages"

# A site whose first page was saved twice (an exact pair of its own) and
# whose pages are mostly its header and footer: once that chrome is
# common, the story lookup finds the first pages, paired with each other,
# but they are one source's copy of itself: not verified, and no later
# page is paired with them.
chrome() {
	python3 - "$1" <<'PY'
import random, sys
syll = ["ka", "lo", "mer", "tin", "sa", "vel", "dor", "ni", "pra", "ust",
        "bre", "gio", "fam", "zu", "hel", "quon"]
r = random.Random(int(sys.argv[1]))
print(" ".join("".join(r.choice(syll) for _ in range(r.randint(1, 3)))
               for _ in range(120)) + ".")
PY
}
page() { # page SEED: header, a story of its own, footer
	{ chrome 7001; echo; chrome "$1"; echo; chrome 7002; }
}
pairs0=$(status_field pairs)
docs0=$(status_field documents)
page 8001 | drop "$WATCH/chronicle/p1.txt"
page 8001 | drop "$WATCH/chronicle/p1-saved.txt"
wait_for documents $((docs0 + 2))
for i in 2 3 4 5 6; do
	page $((8000 + i)) | drop "$WATCH/chronicle/p$i.txt"
	wait_for documents $((docs0 + i + 1))
done
for i in 4 5 6; do
	ctl matches "chronicle/p$i.txt" --json >"$TMP/m.json"
	! grep -q '"path":"chronicle/p1' "$TMP/m.json" ||
	    fail "p$i paired with the first page: $(cat "$TMP/m.json")"
done
ok "a site's own copy of a page makes no story of its chrome"

# Who reprints whom follows clusters in /v1/sources as in the report: a
# digest that reprints a paper's excerpt of a story, with more text of
# its own, is only partial with the story, but its pair with the excerpt
# joins it to the story's cluster (whose original, published together,
# is the text that contains the others: the digest). Following pairs
# back, sources said otherwise than the report.
docs0=$(status_field documents)
story_ferry | drop "$WATCH/ferrywire/ferry.txt"
wait_for documents $((docs0 + 1))
story_ferry | sed -n '1,7p' | drop "$WATCH/ferrypaper/ferry-lede.txt"
wait_for documents $((docs0 + 2))
{ story_ferry | sed -n '1,7p'; echo; story_orchard | sed -n '3,$p'; } |
    drop "$WATCH/ferrydigest/digest.txt"
wait_for documents $((docs0 + 3))
ctl sources --json >"$TMP/sources.json"
ctl report --format json >"$TMP/report.json"
python3 - "$TMP/sources.json" "$TMP/report.json" <<'PY' || fail "sources: $(cat "$TMP/sources.json")"
import json, sys
s = {r["source"]: r for r in map(json.loads, open(sys.argv[1]))}
r = json.load(open(sys.argv[2]))
ferry = ("ferrywire", "ferrypaper", "ferrydigest")
rep = sorted((x["reprinter"], x["original_source"], x["count"])
             for x in r["reprints_of"] if x["reprinter"] in ferry)
src = sorted((k, f["source"], f["reprints"]) for k in ferry
             for f in s[k]["from"])
assert rep == src and len(src) == 2, (rep, src)
PY
ok "sources credits a cluster's copies to its original, as the report does"

# A hard link of the ninth copy of a story: detection pairs a copy with
# the earliest eight, yet the file is known as the same one.
rej0=$(status_field rejected)
mkdir -p "$WATCH/paper12"
ln "$WATCH/paper8/library.txt" "$WATCH/paper12/library.txt"
wait_for rejected $((rej0 + 1))
grep -q "rejected paper12/library.txt: hard link: the same file as paper8/library.txt" "$LOG" ||
    fail "hard link: $(grep paper12 "$LOG")"
ok "a hard link of a story's ninth copy is no copy of its own"

# An archive's tree names its papers deeper down (year/month/paper):
# source_folder says which folder is the source; a file not that deep
# has none.
stop_daemon
printf 'source_folder = 3\n' >"$TMP/deep.conf"
start_daemon --config "$TMP/deep.conf"
docs=$(status_field documents)
story_orchard | drop "$WATCH/2009/03/valleypost/orchard.txt"
story_orchard | drop "$WATCH/2009/03/notes.txt"
wait_for documents $((docs + 2))
# Each lists the other: the paper's copy with its source, the note
# without.
ctl matches --json 2009/03/notes.txt >"$TMP/deep.json"
grep -q '"path":"2009/03/valleypost/orchard.txt".*"source":"valleypost"' \
    "$TMP/deep.json" || fail "source_folder 3: $(cat "$TMP/deep.json")"
ctl matches --json 2009/03/valleypost/orchard.txt >"$TMP/deep2.json"
grep -q '"path":"2009/03/notes.txt".*"source":null' "$TMP/deep2.json" ||
    fail "a file above the source folder: $(cat "$TMP/deep2.json")"
ok "source_folder names the source by a deeper folder"
