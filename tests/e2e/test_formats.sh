#!/usr/bin/env bash
# test_formats.sh - one invented article as plain text, as a saved web page
# (navigation, cookie banner, scripts, JSON-LD, share bar, comments,
# footer), as a JSON feed item, as one line of a JSON lines file and as a
# MIME mail (multipart/alternative, quoted-printable), each dropped into its
# own folder (= source), and the plain text once more as UTF-16: all are
# the same story, each copy with its source
# and publication time, and the original is the earliest publication, not
# the earliest arrival. Then malformed inputs (broken JSON, a MIME bomb,
# HTML nested thousands deep) are rejected with a reason while the daemon
# carries on. Issue 5, "must hold" 1 and 2.
. "$(dirname "$0")/lib.sh"

start_daemon

# ---- The article (invented) ------------------------------------------------
ARTICLE=$TMP/article.txt
cat >"$ARTICLE" <<'EOF'
Glassworks in Venmoor to reopen as a teaching studio

The old Halloway glassworks on the Venmoor canal, shut for eleven years
after its last furnace cracked, will reopen next spring as a teaching
studio, the town council decided on Tuesday by seven votes to two.

The plan, drawn up by a cooperative of four glassblowers who trained at
the works before it closed, keeps the brick furnace hall and its iron
roof trusses and turns the former packing sheds into classrooms. Two
new gas furnaces, fitted with heat recovery, will replace the coal
furnace that once ran day and night for ninety years.

"People still stop at the gate and tell us their grandmother blew
bottles here," said Irena Calloway, who leads the cooperative. "We want
them to be able to walk in and try it themselves."

The council will lease the building to the cooperative for a token rent
of one crown a year for twenty years, on condition that the studio
offers free evening classes to residents twice a week and opens the
furnace hall to school groups during term.

Councillor Mattias Fenwright, who voted against, said the town would
still carry the cost of repairing the canal wall behind the works,
estimated at 380,000 crowns. Supporters answered that the wall needs
repair whatever becomes of the building.

Work on the roof is due to start in October. The cooperative hopes to
fire the first furnace in April and to sell pieces made by students at
a market in the furnace hall before the summer.
EOF

# plain text, no metadata: source = folder "wire", time = arrival
drop "$WATCH/wire/glassworks.txt" <"$ARTICLE"

python3 - "$ARTICLE" "$TMP" <<'EOF'
import html, json, quopri, sys
art = open(sys.argv[1]).read()
out = sys.argv[2]
title, body = art.split("\n\n", 1)
paras = [" ".join(p.split()) for p in body.strip().split("\n\n")]

# A web page with a site's boilerplate around the article.
page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>%(t)s | The Canal Herald</title>
<meta property="og:title" content="%(t)s">
<meta property="og:site_name" content="The Canal Herald">
<link rel="canonical" href="https://canalherald.example/news/glassworks-reopen">
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"NewsArticle","headline":"%(t)s",
 "datePublished":"2026-03-02T08:00:00Z",
 "author":{"@type":"Person","name":"Ola Brenner"},
 "publisher":{"@type":"Organization","name":"The Canal Herald"}}
</script>
<style>.nav{display:flex}.cookie{position:fixed}</style>
</head><body>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve
your experience. <button>Accept all</button> <button>Settings</button></div>
<header class="site-header"><a href="/">The Canal Herald</a>
<nav class="main-nav"><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/business">Business</a></li><li><a href="/culture">Culture</a></li>
<li><a href="/weather">Weather</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
</header>
<main><article>
<h1>%(t)s</h1>
<p class="byline">By Ola Brenner</p>
%(p)s
<div class="share-bar">Share this article: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
</article>
<aside class="related"><h2>Most read</h2><ul><li><a href="/a">Ferry timetable changes this winter</a></li>
<li><a href="/b">Library extends opening hours</a></li></ul></aside>
<section id="comments" class="comments"><h2>Comments</h2><p>Great news for the town!</p></section>
</main>
<footer class="site-footer"><p>&copy; 2026 The Canal Herald. All rights reserved.</p>
<nav><a href="/about">About us</a> <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></nav></footer>
<script src="/static/app.js"></script>
</body></html>
""" % {"t": html.escape(title),
       "p": "\n".join("<p>%s</p>" % html.escape(p) for p in paras)}
open(out + "/page.html", "w").write(page)

# A feed item with its own source and time.
item = {"title": title, "url": "https://metrocourier.example/2026/03/glassworks",
        "source": "Metro Courier", "published": "2026-03-02T09:30:00Z",
        "author": "Desk", "body": "\n\n".join(paras)}
open(out + "/item.json", "w").write(json.dumps(item, indent=1))

# JSON lines: two other stories around the article; no source field.
other1 = {"title": "Ferry timetable changes this winter",
          "published": 1772400000,
          "text": "The harbour ferry will run every forty minutes instead of every half hour from November, the operator said, citing a shortage of crew and the repair of the second boat. Evening sailings after ten are cancelled until March."}
other2 = {"title": "Library extends opening hours",
          "published": 1772410000,
          "content": "The central library will open until nine on weekdays from next month after the council found money for two more librarians. Sunday opening remains under review."}
mine = {"title": title, "link": "https://aggregate.example/i/8841",
        "pubDate": "Mon, 02 Mar 2026 11:00:00 +0000",
        "content": "\n\n".join(paras)}
with open(out + "/feed.jsonl", "w") as f:
    for o in (other1, mine, other2):
        f.write(json.dumps(o) + "\n")

# Wire copy by mail: multipart/alternative, both parts quoted-printable.
plain = (title + "\n\n" + "\n\n".join(paras) + "\n").replace("crowns", "crowns\u2009")
qp_plain = quopri.encodestring(plain.encode("utf-8")).decode("ascii")
htmlpart = "<html><body><h1>%s</h1>%s</body></html>" % (html.escape(title),
    "".join("<p>%s</p>" % html.escape(p) for p in paras))
qp_html = quopri.encodestring(htmlpart.encode("utf-8")).decode("ascii")
mail = """From: Lakeside Press Agency <desk@lakesidepress.example>
To: newsroom@canalherald.example
Subject: %s
Date: Mon, 2 Mar 2026 07:15:00 +0000
Message-ID: <glass-0302@lakesidepress.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="=_b0undary_42"

This is a multi-part message in MIME format.

--=_b0undary_42
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

%s
--=_b0undary_42
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

%s
--=_b0undary_42--
""" % (title, qp_plain, qp_html)
open(out + "/wire.eml", "w").write(mail.replace("\n", "\r\n"))
EOF

drop "$WATCH/canalherald/glassworks.html" <"$TMP/page.html"
drop "$WATCH/feeds/glassworks.json" <"$TMP/item.json"
drop "$WATCH/aggregator/feed.jsonl" <"$TMP/feed.jsonl"
drop "$WATCH/mail/glassworks.eml" <"$TMP/wire.eml"
# the plain text again, as UTF-16 with a byte order mark
python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1]).read().encode("utf-16"))' \
    "$ARTICLE" | drop "$WATCH/utf16/glassworks.txt"
wait_for documents 8
ok "txt, html, json, 3 JSON lines, eml and UTF-16 txt stored as 8 documents"

# ---- Same story, with sources and times -------------------------------------
ctl matches --json "$WATCH/wire/glassworks.txt" >"$TMP/matches.json"
ctl cluster --json "$WATCH/wire/glassworks.txt" >"$TMP/cluster.json"
ctl matches --json "$WATCH/aggregator/feed.jsonl#1" >"$TMP/item1.json"
python3 - "$TMP" <<'EOF' || fail "matches/cluster of the formats"
import json, sys
d = sys.argv[1]
rows = lambda f: [json.loads(l) for l in open(d + "/" + f) if l.strip()]
m = {r["path"]: r for r in rows("matches.json")}
want = {"canalherald/glassworks.html": ("The Canal Herald", "2026-03-02T08:00:00Z"),
        "feeds/glassworks.json": ("Metro Courier", "2026-03-02T09:30:00Z"),
        "aggregator/feed.jsonl#1": ("aggregator", "2026-03-02T11:00:00Z"),
        "mail/glassworks.eml": (None, "2026-03-02T07:15:00Z")}
for p, (src, pub) in want.items():
    assert p in m, ("missing match", p, sorted(m))
    r = m[p]
    assert r["relation"] in ("exact", "near_duplicate"), (p, r["relation"])
    if src is not None:
        assert r["source"] == src, (p, r["source"])
    else:  # mail: the sender's organisation or domain
        assert r["source"] and "lakeside" in r["source"].lower(), (p, r["source"])
    assert r["published"] == pub and r["published_from"] == "metadata", (p, r)
    assert r["title"].startswith("Glassworks in Venmoor"), (p, r["title"])
u = m.pop("utf16/glassworks.txt", None)
assert u and u["relation"] == "exact" and u["source"] == "utf16", u
for p in m:
    assert p in want, ("unexpected match", p)
c = rows("cluster.json")
paths = {x["path"] for x in c}
assert paths == set(want) | {"wire/glassworks.txt", "utf16/glassworks.txt"}, paths
for x in c:
    assert "source" in x and "published" in x, x
txt = [x for x in c if x["path"] == "wire/glassworks.txt"][0]
assert txt["source"] == "wire" and txt["published_from"] == "arrival", txt
# plain text: its first line, standing alone, is its headline
assert txt["title"] == "Glassworks in Venmoor to reopen as a teaching studio", txt
# the mail was published first, whatever arrived first
assert c[0]["path"] == "mail/glassworks.eml" and c[0]["relation"] == "original", c[0]
assert {r["path"] for r in rows("item1.json")} >= {"wire/glassworks.txt"}
EOF
ok "all five copies are the same story; source and time per copy; original = earliest publication"

# A plain text at the top of the tree: no folder, no metadata, no source.
n=$(status_field documents)
drop "$WATCH/loose.txt" <<'EOF'
Ferry timetable changes for the winter months on the northern lakes

The lake ferry between Osterby and Kallmora will run four times a day
instead of six from the first of November, the operator said, because
fewer passengers travel in the dark months and two crew members retire.
EOF
wait_for documents $((n + 1))
ctl sources --json >"$TMP/sources.json"
python3 - "$TMP/sources.json" <<'EOF' || fail "sources"
import json, sys
s = {r["source"]: r for r in map(json.loads, open(sys.argv[1]))}
assert "" not in s and s[None]["documents"] == 1, s.get(None, s.get(""))
assert s["aggregator"]["documents"] == 3, s["aggregator"]
assert s["wire"]["documents"] == 1 and s["wire"]["reprints"] == 1, s["wire"]
assert s["utf16"]["documents"] == 1, s["utf16"]
mail = [k for k in s if k and "lakeside" in k.lower()][0]
assert s[mail]["reprinted"] >= 1 and s[mail]["reprints"] == 0, s[mail]
assert any(f["source"] == mail for f in s["wire"]["from"]), s["wire"]
EOF
ctl sources | grep -q "^SOURCE" || fail "sources table"
ok "sources: documents per source, reprints and from whom"

ctl explain "$WATCH/mail/glassworks.eml" "$WATCH/canalherald/glassworks.html" \
    >"$TMP/explain.txt" || fail "explain"
grep -q "Irena Calloway" "$TMP/explain.txt" || fail "explain shows article text"
! grep -qi "cookie\|subscribe\|all rights reserved" "$TMP/explain.txt" ||
	fail "boilerplate in the passages"
ok "explain shows the extracted article text"

# query takes any format too: the web page (from outside the watched
# directory, so it is sent, not looked up) finds the stored plain text,
# by its name and by content alone (stdin); binary is refused.
cp "$TMP/page.html" "$TMP/query-page.html"
ctl query --json "$TMP/query-page.html" >"$TMP/q1.json" || fail "query html"
ctl query --json - <"$TMP/page.html" >"$TMP/q2.json" || fail "query stdin"
for q in "$TMP/q1.json" "$TMP/q2.json"; do
	grep -q '"path":"wire/glassworks.txt","relation":"\(exact\|near_duplicate\)"' \
	    "$q" || fail "query of the web page: $(cat "$q")"
done
printf '\000\001binary' >"$TMP/bin.dat"
! ctl query "$TMP/bin.dat" 2>"$TMP/q3.err" || fail "binary query accepted"
grep -q "binary" "$TMP/q3.err" || fail "binary query: $(cat "$TMP/q3.err")"
ok "query: a web page, by name and by content, finds the stored text"

# ---- Malformed and hostile inputs ---------------------------------------------
printf '{"title": "Half a feed item", "body": "the text stops he' \
    | drop "$WATCH/feeds/broken.json"
python3 - "$TMP" <<'EOF'
import sys
d = sys.argv[1]
# MIME bomb: multiparts nested far past any sane depth.
n = 40
parts = ["From: a@b.example\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"]
for i in range(1, n):
    parts.append("--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i - 1, i))
parts.append("--b%d\r\nContent-Type: text/plain\r\n\r\nboom\r\n" % (n - 1))
for i in range(n - 1, -1, -1):
    parts.append("--b%d--\r\n" % i)
open(d + "/bomb.eml", "w").write("".join(parts))
open(d + "/deep.html", "w").write("<html><body>" + "<div>" * 5000 +
    "deep text" + "</div>" * 5000 + "</body></html>")
EOF
drop "$WATCH/mail/bomb.eml" <"$TMP/bomb.eml"
drop "$WATCH/canalherald/deep.html" <"$TMP/deep.html"
wait_for rejected 3
kill -0 "$PID" || fail "daemon died on malformed input"
grep -q "rejected feeds/broken.json: malformed input (json)" "$LOG" ||
	fail "broken JSON reason"
grep -q "rejected mail/bomb.eml: MIME message with too many or too deeply nested parts" "$LOG" ||
	fail "MIME bomb reason"
grep -q "rejected canalherald/deep.html: nested too deeply (html)" "$LOG" ||
	fail "deep HTML reason"
[ "$(status_field documents)" = 9 ] || fail "documents changed"
ok "broken JSON, MIME bomb and deep HTML rejected with a reason; daemon running"

# ---- A changed JSON lines file: changed items replaced, a broken one rejected --
head -n 2 "$TMP/feed.jsonl" >"$TMP/feed2.jsonl"
printf '{"title": "broken line"\n' >>"$TMP/feed2.jsonl"
drop "$WATCH/aggregator/feed.jsonl" <"$TMP/feed2.jsonl"
for _ in $(seq 1 100); do
	grep -q "rejected aggregator/feed.jsonl#2" "$LOG" && break
	sleep 0.1
done
wait_for documents 9
grep -q "rejected aggregator/feed.jsonl#2: malformed input (json)" "$LOG" ||
	fail "bad item reason"
ctl matches "$WATCH/aggregator/feed.jsonl#1" >/dev/null ||
	fail "item 1 not stored again"
# The item whose line broke keeps its document, aside.
grep -q "aggregator/feed.jsonl#[0-9]*: no longer in the file, its document is kept as aggregator/feed.jsonl#dropped-[0-9]* (id " \
    "$LOG" || fail "aside: $(grep aggregator/feed "$LOG" | tail -n 3)"
ok "changed JSON lines file: a broken line rejected alone, its item kept aside"

# ---- Unchanged files are not read again after a restart --------------------
stop_daemon
before=$(grep -c "stored \|replaced " "$LOG")
start_daemon
wait_for documents 9
sleep 0.5
[ "$(grep -c "stored \|replaced " "$LOG")" = "$before" ] ||
	fail "a restart stored unchanged files again"
ok "restart: unchanged HTML, JSON lines (items) and mail are skipped"

# Down to one item: the file is one document again, under its own name,
# the rejection of the broken line is forgotten, and the first item keeps
# its document aside.
wait_for rejected 4
sed -n 2p "$TMP/feed.jsonl" | drop "$WATCH/aggregator/feed.jsonl"
wait_for rejected 3
wait_for documents 9
ctl matches "$WATCH/aggregator/feed.jsonl" >/dev/null ||
	fail "single item not stored under the file's name"
ok "one item left: stored as the file, old item rejections forgotten"

stop_daemon
ok "formats"
