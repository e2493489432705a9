#!/usr/bin/env bash
# The nightly path end to end: articles arrive on day 0, more on day 100
# (REPRINTD_NOW moves the daemon's clock), `reprintctl cleanup` removes the
# day-0 documents (retention 90 days) with their pairs, and the report it
# writes lists the day-100 clusters, counts and rejected files; the HTML
# report renders in headless chromium. Then the store's size in steady
# state: ingest N, expire all, ingest N new: the file must not keep growing.
source "$(dirname "$0")/lib.sh"

DAY=86400
T0=$(date +%s)
CONF=$TMP/reprintd.conf
# original_window 1 s: the first arrival is the original, however long.
printf 'nosync = true\nretention = 90d\noriginal_window = 1\n' >"$CONF"

# ---- Invented articles (not real news) ------------------------------------

story_tram() {
	cat <<'EOF'
Tram line to Vellmar hospital opens three months early

The new tram line linking the central station of Orsberg with Vellmar
hospital carried its first passengers on Sunday, three months ahead of the
schedule the city transport company published when construction began.
The line, 6.2 kilometres long with eleven stops, replaces two bus routes
that were among the most crowded in the city.

The transport company said the early opening was possible because the
utility works under Hollin Street took half the time planned, after the
gas network operator agreed to replace its pipes during the same closure.
Trams will run every seven minutes during the day and every fifteen
minutes in the evening, with the last departure from the hospital at
half past midnight so that night shift staff can ride home.

Nurses at the hospital had campaigned for the line for more than a decade.
"Some of my colleagues spent an hour on two buses each way," said Petra
Anholm, a ward sister who rode the first tram with her daughter. "Now it is
nineteen minutes door to door." Shopkeepers on Hollin Street, whose trade
fell during the works, are offered a year of reduced municipal fees.

The city council will decide in the autumn whether to extend the line to
the university campus on the northern ridge, a project estimated at 54
million that would add four stops and a depot for twelve more trams.
EOF
}

story_observatory() {
	cat <<'EOF'
Amateur astronomers in Lintholm spot new comet from school observatory

Two amateur astronomers working from the rooftop observatory of the
Lintholm grammar school have discovered a faint comet, the international
minor planet registry confirmed on Wednesday. The object, now catalogued
under the names of both observers, was first seen on images taken just
after midnight on a clear night in early March.

Ingrid Saarvik, a retired chemistry teacher, and Jonas Brell, a
seventeen-year-old pupil at the school, had been searching the sky near
the constellation of the Lynx for eight months as part of an after-school
club. The telescope they used was bought with money raised by parents
at a series of bake sales and second-hand book fairs four years ago.

"We were looking for variable stars, not comets," said Brell. "Then one
smudge moved between two pictures, and the next night it had moved
again." Astronomers at the national observatory measured its orbit over
the following week and found that it will pass closest to the Sun in
about fourteen months, when it may become visible with binoculars.

The school plans to open the rooftop observatory to the public on the
first Friday of every month. Saarvik said the club now has thirty members
and a waiting list, and that she hopes the discovery will encourage other
schools to put their old telescopes back to work.
EOF
}

# Wrapped in a partner's header and footer: a near duplicate.
wrapped() {
	echo "Published under the regional news exchange agreement."
	echo
	"$1"
	echo
	echo "Copyright the Lintholm Herald. All rights reserved. Letters to the"
	echo "editor may be sent to the newsroom on Harbour Street."
}

json_get() { # FILE PYTHON-EXPR (with j the document)
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

# ---- Day 0 -------------------------------------------------------------------

export REPRINTD_NOW=$T0
story_tram | drop "$WATCH/wire/tram.txt"
story_bridge | drop "$WATCH/wire/bridge.txt"
start_daemon --config "$CONF"
wait_for documents 2
story_tram | drop "$WATCH/herald/tram.txt"
story_tram | head -n 12 | drop "$WATCH/gazette/tram_lede.txt"
printf 'PK\003\004\000\000binary' >"$WATCH/gazette/photo.txt"
wait_for documents 4
wait_for rejected 1
[ "$(status_field pairs)" = 3 ] || fail "day 0 pairs: $(ctl pairs)"
ok "day 0: 4 documents, 3 pairs, 1 rejected"
stop_daemon

# The inbox ages its files out too (tmpfiles.d), else the next start-up
# scan would take them for new arrivals.
rm -rf "$WATCH/wire" "$WATCH/herald" "$WATCH/gazette"

# ---- Day 100 ---------------------------------------------------------------

export REPRINTD_NOW=$((T0 + 100 * DAY))
# The service's umask (0077): the reports are still the group's to read.
mask=$(umask)
umask 077
start_daemon --config "$CONF"
umask "$mask"
wait_for documents 4
story_observatory | drop "$WATCH/wire/observatory.txt"
story_ferry | drop "$WATCH/wire/ferry.txt"
wait_for documents 6
sleep 1.1 # so that the reprints arrive visibly later
wrapped story_observatory | drop "$WATCH/herald/observatory.txt"
story_observatory | head -n 12 | drop "$WATCH/gazette/observatory_lede.txt"
printf '\n\n   \n' >"$WATCH/gazette/blank.txt"
wait_for documents 8
[ "$(status_field rejected)" = 2 ] || fail "day 100 rejected"
# An editor's probe of the folder (vim writes "4913" and removes it): a
# rejection of a name that is gone, which the cleanup forgets.
: >"$WATCH/gazette/4913"
wait_for rejected 3
rm "$WATCH/gazette/4913"
ok "day 100: 4 more documents, a blank file rejected"

ctl cleanup --json >"$TMP/cleanup.json" || fail "cleanup failed"
[ "$(json_get "$TMP/cleanup.json" 'j["expired"]')" = 4 ] ||
    fail "cleanup: $(cat "$TMP/cleanup.json")"
[ "$(json_get "$TMP/cleanup.json" 'j["rejections_expired"]')" = 1 ] ||
    fail "cleanup rejections: $(cat "$TMP/cleanup.json")"
[ "$(json_get "$TMP/cleanup.json" 'j["rejections_forgotten"]')" = 1 ] ||
    fail "cleanup: the probe's rejection: $(cat "$TMP/cleanup.json")"
# Its times as every time of the API: ISO 8601, UTC.
json_get "$TMP/cleanup.json" 'j["cutoff"] + " " + j["started"]' |
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [0-9]{4}-' ||
    fail "cleanup times: $(cat "$TMP/cleanup.json")"
[ "$(status_field documents)" = 4 ] || fail "documents after cleanup"
[ "$(status_field pairs)" = 3 ] || fail "pairs after cleanup: $(ctl pairs)"
[ "$(status_field rejected)" = 1 ] || fail "rejected after cleanup"
if ctl matches wire/tram.txt 2>"$TMP/err"; then
	fail "an expired document is still stored"
fi
grep -q "not stored: wire/tram.txt" "$TMP/err" || fail "404: $(cat "$TMP/err")"
ctl pairs --json | grep -q tram && fail "a pair of an expired document"
ctl matches wire/observatory.txt >/dev/null || fail "a new document expired"
ok "cleanup removed the day-0 documents, their pairs and rejections"

REPORT=$(json_get "$TMP/cleanup.json" 'j["report"]')
case $REPORT in
"$STATE"/reports/report-*.html) ;;
*) fail "report path $REPORT" ;;
esac
[ -s "$REPORT" ] && [ -s "${REPORT%.html}.json" ] && [ -s "${REPORT%.html}.txt" ] ||
    fail "report files missing: $(ls "$STATE/reports")"
[ "$(stat -c %a "$REPORT" "$STATE/reports" | tr '\n' ' ')" = "640 750 " ] ||
    fail "report modes under umask 077: $(stat -c '%a %n' "$REPORT" "$STATE/reports")"
python3 - "${REPORT%.html}.json" <<'PY' || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert c["ingested"] == 4, c
assert c["expired"] == 4, c
assert c["rejected"] == 1, c
assert c["clusters"] == 1, c
assert c["flagged"]["near_duplicate"] == 1 and c["flagged"]["excerpt"] == 2, c
assert len(r["clusters"]) == 1, r["clusters"]
cl = r["clusters"][0]
assert cl["original"]["path"] == "wire/observatory.txt", cl
assert cl["original"]["title"].startswith("Amateur astronomers"), cl
got = {m["path"]: m["relation"] for m in cl["members"]}
assert got == {"herald/observatory.txt": "near_duplicate",
               "gazette/observatory_lede.txt": "excerpt"}, got
for m in cl["members"]:
    assert m["delay_s"] >= 1 and 0 < m["similarity"] <= 1, m
assert r["top_stories"][0]["path"] == "wire/observatory.txt", r["top_stories"]
assert r["top_stories"][0]["reprints"] == 2
whom = {(x["reprinter"], x["original_source"]): x["count"] for x in r["reprints_of"]}
assert whom == {("herald", "wire"): 1, ("gazette", "wire"): 1}, whom
assert [x["path"] for x in r["rejected"]] == ["gazette/blank.txt"], r["rejected"]
assert r["rejected"][0]["reason"].startswith("empty"), r["rejected"]
assert sum(d["ingested"] for d in r["daily"]) == 4, r["daily"]
PY
grep -q "wire/observatory.txt" "${REPORT%.html}.txt" || fail "text report"
ok "the nightly report lists the cluster, counts and rejected files"

# The same through the API, for any period and format.
ctl report --since 2d --format json >"$TMP/r.json"
[ "$(json_get "$TMP/r.json" 'j["counts"]["ingested"]')" = 4 ] || fail "report --since 2d"
ctl report --since "$(date -u -d "@$((T0 - DAY))" +%F)" --format json >"$TMP/r0.json"
[ "$(json_get "$TMP/r0.json" 'j["counts"]["expired"]')" = 4 ] || fail "report since day -1"
ctl report | grep -q "^Syndication clusters" || fail "text report by default"
ctl report --format html | grep -q "<svg" || fail "html report"
if ctl report --since yesterday 2>"$TMP/err"; then fail "bad since accepted"; fi
grep -q "not a date" "$TMP/err" || fail "bad since message: $(cat "$TMP/err")"
if ctl report --format pdf 2>/dev/null; then fail "bad format accepted"; fi
ok "GET /v1/report: since, formats and errors"

# The HTML page needs nothing but itself.
grep -Eq '<(script|link)|src=|url\(' "$REPORT" && fail "report loads something"
if command -v chromium >/dev/null 2>&1; then
	PNG=${SCREENSHOT:-$TMP/report.png}
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$(mktemp -d "$TMP/chromium.XXXXXX")" \
	    --screenshot="$PNG" --window-size=1200,1600 "file://$REPORT" \
	    >"$TMP/chromium.log" 2>&1 || fail "chromium: $(tail -5 "$TMP/chromium.log")"
	[ -f "$PNG" ] || fail "no screenshot"
	size=$(stat -c %s "$PNG")
	# A blank 1200x1600 page compresses to a few kilobytes.
	[ "$size" -gt 30000 ] || fail "screenshot is nearly empty ($size bytes)"
	ok "headless chromium rendered the report ($PNG, $size bytes)"
else
	echo "skip: chromium not installed; the report was not rendered"
fi
stop_daemon

# ---- Steady state: the store stops growing ---------------------------------

# N articles of invented words, no two alike.
make_round() {
	python3 - "$WATCH/round$1" "$1" <<'PY'
import os, random, sys
out, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
syl = ["ka", "lo", "ven", "dri", "mar", "tes", "hol", "pi", "sun", "bre",
       "al", "gor", "ne", "vil", "da", "rus", "emb", "tor", "quil", "sa"]
words = ["".join(rnd.choice(syl) for _ in range(rnd.randint(1, 4)))
         for _ in range(3000)]
os.makedirs(out, exist_ok=True)
for i in range(150):
    lines = []
    for _ in range(30):
        lines.append(" ".join(rnd.choice(words) for _ in range(12)))
    tmp = os.path.join(out, ".%d.tmp" % i)
    with open(tmp, "w") as f:
        f.write("Story %d of round %d\n\n" % (i, seed) + "\n".join(lines) + "\n")
    os.rename(tmp, os.path.join(out, "a%03d.txt" % i))
PY
}

store_size() { stat -c %s "$STATE/data.mdb"; }

sizes=()
for round in 1 2 3 4; do
	export REPRINTD_NOW=$((T0 + (100 + 100 * round) * DAY))
	# Files older than the retention leave the inbox (tmpfiles.d ages
	# it): what stays would be ingested again by the start-up scan.
	rm -rf "${WATCH:?}"/*
	start_daemon --config "$CONF"
	ctl cleanup >/dev/null || fail "cleanup in round $round"
	[ "$(status_field documents)" = 0 ] || fail "round $round: not all expired"
	make_round "$round"
	wait_for documents 150
	stop_daemon
	sizes+=("$(store_size)")
done
echo "store size after each round: ${sizes[*]}"
# LMDB reuses freed pages a few transactions later, so the file settles
# after a round or two: from then on a round adds less than a tenth of
# the first round's size (a store that kept everything would add a whole
# round each time).
[ "${sizes[3]}" -le $((sizes[2] + sizes[0] / 10)) ] ||
    fail "store grew in steady state: ${sizes[*]}"
ok "steady state: ingest, expire, ingest again keeps the store size"

# The new keys are checked like the others, with file and line.
printf 'watch = %s\nretention = 90 days\n' "$WATCH" >"$TMP/bad.conf"
if "$REPRINTD" -f "$TMP/bad.conf" --state "$STATE" -n 2>"$TMP/err"; then
	fail "-n accepted a bad retention"
fi
grep -q "bad.conf:2: retention" "$TMP/err" || fail "message: $(cat "$TMP/err")"
printf 'retention = 36h\nreports_dir = /tmp\n' >"$TMP/ok.conf"
"$REPRINTD" -f "$TMP/ok.conf" -w "$WATCH" -s "$STATE" -n 2>/dev/null ||
    fail "-n refused retention = 36h"
ok "reprintd -n checks retention and reports_dir"
