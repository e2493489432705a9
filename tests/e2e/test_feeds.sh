#!/usr/bin/env bash
# test_feeds.sh - RSS and Atom feeds are read item by item, like JSON feed
# items: FILE#N, each with its title, link, date and text (an escaped HTML
# description through the HTML extractor), not one document of raw
# markup. A date alone ("24 Feb 2009") or with the month first ("July 04,
# 2010") is the item's publication time, so a later reprint with an
# earlier file mtime than the feed file is not named the original; a date
# that does not parse is logged. Other XML is rejected with its reason. A
# feed rewritten with a new item keeps the documents of the items it
# still holds.
. "$(dirname "$0")/lib.sh"

start_daemon

rss_item() { # TITLE DATE STORY
	python3 - "$1" "$2" "$3" <<'PY'
import html, sys
title, date, story = sys.argv[1:]
paras = ["<p>%s</p>" % html.escape(" ".join(p.split()))
         for p in story.split("\n\n")[1:]]
print("<item><title>%s</title><link>https://courier.example/%d</link>"
      "<pubDate>%s</pubDate><description>%s</description></item>"
      % (html.escape(title), len(title), date,
         html.escape("<div class=\"share-bar\">Share this</div>" + "".join(paras))))
PY
}

{
	echo '<?xml version="1.0" encoding="utf-8"?>'
	echo '<rss version="2.0"><channel><title>Courier</title>'
	rss_item "Harbor footbridge approved" "24 Feb 2009" "$(story_bridge)"
	rss_item "Frost cuts apple harvest" "11/12/2011" "$(story_orchard)"
	echo '</channel></rss>'
} >"$TMP/feed.rss"
touch -d 2024-01-01T08:00:00Z "$TMP/feed.rss"
python3 - "$TMP" "$(story_ferry)" <<'PY'
import html, sys
d, story = sys.argv[1:]
body = "".join("<p>%s</p>" % html.escape(" ".join(p.split()))
               for p in story.split("\n\n")[1:])
open(d + "/news.atom", "w").write(
    '<?xml version="1.0" encoding="iso-8859-1"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>Herald</title>'
    '<entry><title>Island ferry suspended</title>'
    '<link href="https://herald.example/ferry"/>'
    '<published>July 04, 2010</published>'
    '<author><name>Ragnhild S\u00f8rb\u00f8</name></author>'
    '<content type="html">%s</content></entry></feed>\n' % html.escape(body))
open(d + "/sitemap.xml", "w").write(
    '<?xml version="1.0"?>\n<urlset><url><loc>https://herald.example/'
    '</loc></url></urlset>\n')
PY
touch -d 2024-01-01T08:00:00Z "$TMP/news.atom"
# drop_dated SRC DEST: drop a copy that keeps SRC's mtime.
drop_dated() {
	mkdir -p "$(dirname "$2")"
	cp -p "$1" "$2.part"
	mv "$2.part" "$2"
}
drop_dated "$TMP/feed.rss" "$WATCH/courier/feed.rss"
drop_dated "$TMP/news.atom" "$WATCH/herald/news.atom"
drop "$WATCH/misc/sitemap.xml" <"$TMP/sitemap.xml"
# Reprints, dated by their files: before the feed files, after the items.
story_bridge >"$TMP/bridge.txt"
story_ferry >"$TMP/ferry.txt"
touch -d 2009-03-01T12:00:00Z "$TMP/bridge.txt"
touch -d 2010-08-01T12:00:00Z "$TMP/ferry.txt"
drop_dated "$TMP/bridge.txt" "$WATCH/reprints/bridge.txt"
drop_dated "$TMP/ferry.txt" "$WATCH/reprints/ferry.txt"
wait_for documents 5
wait_for rejected 1
ok "an RSS feed of 2 items, an Atom entry and 2 texts stored as 5 documents"

grep -q "rejected misc/sitemap.xml: unsupported format: XML but not an RSS or Atom feed (xml)" \
    "$LOG" || fail "other XML: $(grep sitemap "$LOG")"
ok "other XML rejected with its reason"

ctl cluster --json "$WATCH/reprints/bridge.txt" >"$TMP/c1.json"
ctl cluster --json "$WATCH/reprints/ferry.txt" >"$TMP/c2.json"
python3 - "$TMP" <<'PY' || fail "feed items"
import json, sys
d = sys.argv[1]
rows = lambda f: [json.loads(l) for l in open(d + "/" + f) if l.strip()]
c1, c2 = rows("c1.json"), rows("c2.json")
o = c1[0]
assert o["path"] == "courier/feed.rss#0" and o["relation"] == "original", c1
assert o["published"] == "2009-02-24T00:00:00Z", o
assert o["published_from"] == "metadata", o
assert o["title"] == "Harbor footbridge approved", o
assert [x["path"] for x in c1] == ["courier/feed.rss#0", "reprints/bridge.txt"], c1
r = c1[1]
assert r["relation"] in ("exact", "near_duplicate"), r
o = c2[0]
assert o["path"] == "herald/news.atom" and o["relation"] == "original", c2
assert o["published"] == "2010-07-04T00:00:00Z", o
assert o["published_from"] == "metadata", o
assert o["title"] == "Island ferry suspended", o
assert c2[1]["relation"] in ("exact", "near_duplicate"), c2
PY
ok "items: title, date ('24 Feb 2009', 'July 04, 2010') and text; the feed item is the original"

ctl explain "$WATCH/courier/feed.rss#0" "$WATCH/reprints/bridge.txt" \
    >"$TMP/explain.txt" || fail "explain"
grep -q "Mirela Vostok" "$TMP/explain.txt" || fail "explain: item text"
! grep -q "<p>\|&lt;\|Share this" "$TMP/explain.txt" ||
	fail "markup or chrome in the item's text"
ok "an item's text is the description's, without markup"

wait_log 'courier/feed.rss#1: unparsable date "11/12/2011" ignored' ||
	fail "no log line for the unparsable date: $(grep 'feed.rss#1' "$LOG")"
ok "an unparsable item date is logged"

# The feed again, with a new item first: the two items it still holds
# keep their documents.
before=$(grep -c "stored courier/feed.rss" "$LOG")
{
	echo '<?xml version="1.0" encoding="utf-8"?>'
	echo '<rss version="2.0"><channel><title>Courier</title>'
	rss_item "Library reopens" "Sat, 6 Mar 2010 10:00:00 +0000" "$(story_library)"
	rss_item "Harbor footbridge approved" "24 Feb 2009" "$(story_bridge)"
	rss_item "Frost cuts apple harvest" "11/12/2011" "$(story_orchard)"
	echo '</channel></rss>'
} | drop "$WATCH/courier/feed.rss"
wait_for documents 6
[ "$(grep -c "stored courier/feed.rss" "$LOG")" = $((before + 1)) ] ||
	fail "items stored again: $(grep "courier/feed.rss" "$LOG")"
ok "a feed with a new item: only the new item is stored"

stop_daemon
ok "feeds"
