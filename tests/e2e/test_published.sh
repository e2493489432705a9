#!/usr/bin/env bash
# When a file carries no publication date, its mtime stands for it if it
# is older than its arrival by more than an hour (an archive copied in
# with its dates): a 2010 text is the original of a web page that
# reprinted it in 2015, and says published_from "mtime". A file written
# just before it is read keeps its arrival.
source "$(dirname "$0")/lib.sh"

start_daemon
# The archive's text, dated 2010 (drop's rename keeps the mtime).
mkdir -p "$WATCH/archive"
story_orchard >"$WATCH/archive/.orchard.part"
touch -d '2010-01-01 00:00:00 UTC' "$WATCH/archive/.orchard.part"
mv "$WATCH/archive/.orchard.part" "$WATCH/archive/orchard-2010.txt"
wait_for documents 1
# page TITLE DATE BODY-FILE: a web page published then (no site name: its
# folder is its source), its paragraphs the file's.
page() {
	cat <<HTML
<!DOCTYPE html><html><head><title>$1</title>
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"NewsArticle",
 "datePublished":"$2"}
</script></head><body><article>
HTML
	awk 'BEGIN { RS = "" } { print "<p>" $0 "</p>" }' "$3"
	echo "</article></body></html>"
}
# orchard_page TITLE DATE: the orchard story as a web page published then.
orchard_page() {
	story_orchard >"$TMP/orchard-body.txt"
	page "$1" "$2" "$TMP/orchard-body.txt"
}
# A web page reprinting it, dated 2015 by its metadata, arriving later.
orchard_page "Late frost" 2015-03-01T00:00:00Z | drop "$WATCH/web/orchard.html"
story_ferry | drop "$WATCH/ferry.txt"
wait_for documents 3

ctl pairs --json >"$TMP/p.json"
python3 - "$TMP/p.json" <<'PY' || fail "pairs: $(cat "$TMP/p.json")"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(p) == 1, p
p = p[0]
assert {p["a"], p["b"]} == {"archive/orchard-2010.txt", "web/orchard.html"}
assert p["original"] == "archive/orchard-2010.txt", p
assert p["a_published"] == "2010-01-01T00:00:00Z", p
assert p["a_published_from"] == "mtime", p
assert p["b_published"] == "2015-03-01T00:00:00Z", p
assert p["b_published_from"] == "metadata", p
PY
curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=ferry.txt" |
    grep -q '"published_from":"arrival"' || fail "a new file's time"
ok "an old file's mtime is its publication time; a new file's is its arrival"

# A query is dated by its own metadata: an article published in 2005
# says so, and is the original of the 2010 text it matches.
orchard_page "Late frost (first edition)" 2005-06-01T00:00:00Z \
    >"$TMP/first.html"
curl -s --unix-socket "$SOCK" --data-binary @"$TMP/first.html" \
    "http://localhost/v1/query?name=first.html" >"$TMP/q.json"
python3 - "$TMP/q.json" <<'PY' || fail "query: $(cat "$TMP/q.json")"
import json, sys
q = json.load(open(sys.argv[1]))
assert q["path"] is None and q["title"] == "Late frost (first edition)", q
assert q["published"] == "2005-06-01T00:00:00Z", q
assert q["published_from"] == "metadata", q
m = {r["path"]: r for r in q["matches"]}
assert m["archive/orchard-2010.txt"]["original"] is None, m
assert m["archive/orchard-2010.txt"]["query_is_original"] is True, m
assert m["web/orchard.html"]["query_is_original"] is True, m
PY
ctl query "$TMP/first.html" | grep -q '^archive/orchard-2010.txt .* (this text) ' ||
    fail "reprintctl query: $(ctl query "$TMP/first.html")"
ok "a query carries its own metadata, and its date decides the original"

# The report's delay of a reprint is its publication's after the
# original's (five years here), not the seconds between their arrivals.
ctl report --format json >"$TMP/r.json"
python3 - "$TMP/r.json" <<'PY' || fail "report: $(cat "$TMP/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
cl = [c for c in r["clusters"]
      if c["original"]["path"] == "archive/orchard-2010.txt"][0]
m = cl["members"][0]
assert m["path"] == "web/orchard.html" and m["with"] == "archive/orchard-2010.txt", m
assert m["delay_s"] == 1885 * 86400, m
PY
ctl report | grep "web/orchard.html" | grep -q "+1885d 0h" ||
    fail "text report: $(ctl report | grep orchard)"
ok "the report's delay is the publication's"

# Another site's later page that holds the wire story whole, with its
# readers' comments around it (in no element a class word marks): an
# excerpt pair by the numbers, and the wire's story is its original, not
# the page. The wire's own first take, filed before its story, has the
# story for its original (one publisher filed both).
story_library >"$TMP/library.txt"
page "Library" 2026-05-04T09:00:00Z "$TMP/library.txt" | drop "$WATCH/wire/library.html"
wait_for documents 4
{
	cat "$TMP/library.txt"
	echo
	for i in 1 2 3 4 5 6 7 8 9; do
		echo "Reader $i wrote: I remember queuing for the reopening of the"
		echo "old reading room as a child in comment number $i, and my own"
		echo "grandmother worked there for years before it closed for good."
		echo
	done
} >"$TMP/comments.txt"
page "Library (with comments)" 2026-05-04T10:15:00Z "$TMP/comments.txt" |
    drop "$WATCH/islandtimes/library.html"
head -n 7 "$TMP/library.txt" >"$TMP/first.txt"
page "Library (first take)" 2026-05-04T08:50:00Z "$TMP/first.txt" |
    drop "$WATCH/wire/library-first.html"
wait_for documents 6
ctl pairs --json >"$TMP/p2.json"
python3 - "$TMP/p2.json" <<'PY' || fail "originals: $(cat "$TMP/p2.json")"
import json, sys
p = {frozenset((r["a"], r["b"])): r for r in map(json.loads, open(sys.argv[1]))}
r = p[frozenset(("wire/library.html", "islandtimes/library.html"))]
assert r["relation"] == "excerpt", r
assert r["original"] == "wire/library.html", r
r = p[frozenset(("wire/library.html", "wire/library-first.html"))]
assert r["relation"] == "excerpt" and r["original"] == "wire/library.html", r
PY
ok "an excerpt's containing text is its original only from the same source"
