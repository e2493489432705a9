#!/usr/bin/env bash
# Basic end to end: articles dropped into the inbox are stored, an exact
# copy, a reprint wrapped in a header and footer, a lede-only excerpt and a
# two-line brief are flagged, and every endpoint answers over the real
# socket.
source "$(dirname "$0")/lib.sh"

start_daemon
[ "$(status_field documents)" = 0 ] || fail "fresh store is not empty"
[ "$(status_field ingest)" = running ] || fail "ingest not running"
ok "daemon up on an empty inbox"

story_bridge | drop "$WATCH/bridge.txt"
story_orchard | drop "$WATCH/orchard.txt"
story_library | drop "$WATCH/library.txt"
story_ferry | drop "$WATCH/ferry.txt"
wait_for documents 4
[ "$(status_field pairs)" = 0 ] || fail "unrelated stories were paired"
[ "$(status_field rejected)" = 0 ] || fail "a story was rejected"
ok "four unrelated stories stored, no pairs"

# Subdirectories that appear after start-up are watched too.
story_bridge | drop "$WATCH/wire/bridge_copy.txt"
{
	echo "Reprinted with permission from the Kessel Valley Courier."
	echo
	story_orchard
	echo
	echo "Copyright the Kessel Valley Courier. All rights reserved. To"
	echo "subscribe, visit our office on Mill Street or call the front desk."
} | drop "$WATCH/partner/orchard_reprint.txt"
# The lede: the first 40% of the story.
story_library | head -n 12 | drop "$WATCH/digest/library_lede.txt"
# A brief: the headline and two lines (140 bytes), too short for its keys
# to be sampled, where the story holds only half of them in the index.
story_ferry | head -n 3 | drop "$WATCH/digest/ferry_brief.txt"
wait_for documents 8
ok "reprints stored"

ctl pairs --json >"$TMP/pairs.json"
python3 - "$TMP/pairs.json" <<'PY' || fail "pairs: $(cat "$TMP/pairs.json")"
import json, sys
pairs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = {
    ("bridge.txt", "wire/bridge_copy.txt"): ("exact", "exact", "bridge.txt"),
    ("orchard.txt", "partner/orchard_reprint.txt"):
        ("near_duplicate", "boilerplate", "orchard.txt"),
    ("library.txt", "digest/library_lede.txt"):
        ("excerpt", "excerpt", "library.txt"),
    ("ferry.txt", "digest/ferry_brief.txt"):
        ("excerpt", "excerpt", "ferry.txt"),
}
got = {}
for p in pairs:
    for k in ("a", "b", "relation", "how", "original", "jaccard",
              "containment", "cont_ab", "cont_ba"):
        assert k in p, "field %s missing in %r" % (k, p)
    assert 0 <= p["jaccard"] <= 1 and 0 <= p["containment"] <= 1, p
    got[(p["a"], p["b"])] = (p["relation"], p["how"], p["original"])
assert got == want, "got %r" % got
PY
ok "pairs: exact, near_duplicate (boilerplate) and two excerpts with their originals"

ctl pairs | grep -q '^RELATION *HOW *A *B *ORIGINAL *JACCARD *CONTAINMENT' ||
    fail "pairs table has no header"
ctl pairs | grep -q '^excerpt *excerpt *library.txt *digest/library_lede.txt' ||
    fail "pairs table lacks the excerpt"
[ "$(ctl pairs --relation exact --json | wc -l)" = 1 ] ||
    fail "pairs --relation exact"
ok "pairs table and --relation"

# Pairs found since a time (a client that polls for new ones); a
# parameter an endpoint does not take is refused, not ignored.
get() {
	curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" \
	    "http://localhost$1"
}
[ "$(get '/v1/pairs?since=1h')" = 200 ] &&
    [ "$(grep -o '"relation":' "$TMP/body" | wc -l)" = 4 ] ||
    fail "pairs since 1h: $(cat "$TMP/body")"
later=$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)
[ "$(get "/v1/pairs?since=$later")" = 200 ] &&
    grep -q '"pairs": *\[\]' "$TMP/body" || fail "pairs since later: $(cat "$TMP/body")"
[ "$(get '/v1/pairs?since=2026-02-30')" = 400 ] || fail "a date that is none"
[ "$(get '/v1/pairs?limit=10')" = 400 ] &&
    grep -q 'takes the parameters relation since: not \\"limit\\"' "$TMP/body" ||
    fail "limit: $(cat "$TMP/body")"
[ "$(get '/v1/status?verbose=1')" = 400 ] &&
    grep -q 'takes no parameters' "$TMP/body" || fail "status: $(cat "$TMP/body")"
[ "$(get '/v1/report?since=0d')" = 200 ] || fail "report since 0d: $(cat "$TMP/body")"
[ "$(ctl pairs --since 1h --json | wc -l)" = 4 ] &&
    [ -z "$(ctl pairs --since "$later" --json)" ] &&
    [ "$(ctl pairs --since 1h --relation exact --json | wc -l)" = 1 ] ||
    fail "reprintctl pairs --since"
ok "pairs since a time; parameters an endpoint does not take are refused"

ctl matches library.txt --json >"$TMP/m.json"
grep -q '"path":"digest/library_lede.txt"' "$TMP/m.json" ||
    fail "matches library.txt: $(cat "$TMP/m.json")"
grep -q '"relation":"excerpt"' "$TMP/m.json" || fail "matches relation"
# A local path is made relative to the watched directory.
ctl matches "$WATCH/digest/library_lede.txt" --json |
    grep -q '"path":"library.txt"' || fail "matches by local path"
story_ferry >"$TMP/outside.txt"
if ctl matches "$TMP/outside.txt" 2>"$TMP/err"; then
	fail "matches of a file outside the inbox succeeded"
fi
grep -q "not under the watched directory" "$TMP/err" ||
    fail "outside message: $(cat "$TMP/err")"
if ctl matches nosuch.txt 2>"$TMP/err"; then
	fail "matches of an unknown document succeeded"
fi
grep -q "not stored" "$TMP/err" || fail "404 message: $(cat "$TMP/err")"
ok "matches"

ctl query "$TMP/outside.txt" --json >"$TMP/q.json"
grep -q '"path":"ferry.txt"' "$TMP/q.json" || fail "query: $(cat "$TMP/q.json")"
grep -q '"relation":"exact"' "$TMP/q.json" || fail "query relation"
sleep 0.3
[ "$(status_field documents)" = 8 ] || fail "query stored a document"
ok "query matches without storing"

ctl cluster library.txt --json >"$TMP/c.json"
python3 - "$TMP/c.json" <<'PY' || fail "cluster: $(cat "$TMP/c.json")"
import json, sys
m = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [x["path"] for x in m] == ["library.txt", "digest/library_lede.txt"], m
assert m[0]["relation"] == "original" and m[1]["relation"] == "excerpt", m
assert m[1]["with"] == "library.txt", m  # the pair its figures are from
PY
ctl cluster digest/library_lede.txt | grep -q '^original: library.txt' ||
    fail "cluster table"
# A file at the top level, without metadata, has no source: null in the
# report as in /v1/sources ("(no source)" where a person reads it).
ctl report --format json >"$TMP/r.json"
ctl sources --json >"$TMP/s.json"
python3 - "$TMP/r.json" "$TMP/s.json" <<'PY' || fail "sources: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
s = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
cl = [c for c in r["clusters"] if c["original"]["path"] == "library.txt"][0]
assert cl["original"]["source"] is None, cl
assert {"reprinter": "digest", "original_source": None, "count": 2} in \
    r["reprints_of"], r["reprints_of"]
assert None in [x["source"] for x in s], s
PY
ctl report | grep -q 'digest  *reprints (no source)  *2' ||
    fail "report text: $(ctl report | grep reprints)"
ok "cluster"

ctl explain digest/library_lede.txt library.txt --json >"$TMP/e.json"
python3 - "$TMP/e.json" <<'PY' || fail "explain: $(cat "$TMP/e.json")"
import json, sys
ps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert ps, "no passages"
for p in ps:
    for k in ("a_off", "a_len", "b_off", "b_len", "text"):
        assert k in p, p
assert any("Merrow" in p["text"] or "library" in p["text"] for p in ps), ps
PY
ok "explain"

if command -v curl >/dev/null; then
	curl -sf --unix-socket "$SOCK" http://localhost/v1/status |
	    grep -q '"documents":8' || fail "curl /v1/status"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	    'http://localhost/v1/matches?path=../etc/passwd')
	[ "$code" = 400 ] || fail "path with .. gave $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	    'http://localhost/v1/matches?path=/etc/passwd')
	[ "$code" = 400 ] || fail "absolute path gave $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	    http://localhost/v2/nothing)
	[ "$code" = 404 ] || fail "unknown endpoint gave $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	    -X POST -d x http://localhost/v1/status)
	[ "$code" = 405 ] || fail "POST /v1/status gave $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	    http://localhost/v1/query)
	[ "$code" = 405 ] || fail "GET /v1/query gave $code"
	ok "curl --unix-socket and HTTP errors"
fi

grep -q 'pair excerpt: digest/library_lede.txt ⊂ library.txt original=library.txt' \
    "$LOG" || fail "no log line for the excerpt pair"
stop_daemon
ok "clean shutdown"
