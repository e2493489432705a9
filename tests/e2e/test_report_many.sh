#!/usr/bin/env bash
# A report over more clusters than it lists (200, the biggest first) says
# so: the text "the biggest 200 of N", the HTML page counts the rest from
# the total, and the JSON model's counts keep the total.
source "$(dirname "$0")/lib.sh"

printf 'nosync = true\n' >"$TMP/r.conf"
# 205 invented stories of seeded syllables, each with an exact copy.
python3 - "$WATCH" <<'PY'
import os, random, sys
syll = ["ka", "lo", "mer", "tin", "sa", "vel", "dor", "ni", "pra", "ust",
        "bre", "gio", "fam", "zu", "hel", "quon"]
for n in range(205):
    r = random.Random(n)
    text = "\n\n".join(" ".join("".join(r.choice(syll)
                                        for _ in range(r.randint(1, 3)))
                                for _ in range(40)) + "."
                       for _ in range(4)) + "\n"
    for d in ("wire", "paper"):
        os.makedirs(os.path.join(sys.argv[1], d), exist_ok=True)
        with open(os.path.join(sys.argv[1], d, "s%03d.txt" % n), "w") as f:
            f.write(text)
PY
start_daemon --config "$TMP/r.conf"
wait_for documents 410
[ "$(status_field pairs)" = 205 ] || fail "pairs: $(status_field pairs)"

ctl report >"$TMP/r.txt"
grep -q "^clusters  205$" "$TMP/r.txt" || fail "count: $(head "$TMP/r.txt")"
grep -q "^  the biggest 200 of 205$" "$TMP/r.txt" ||
    fail "text report: $(sed -n '1,20p' "$TMP/r.txt")"
ctl report --format json >"$TMP/r.json"
python3 - "$TMP/r.json" <<'PY' || fail "json report"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["counts"]["clusters"] == 205, m["counts"]
assert len(m["clusters"]) == 200, len(m["clusters"])
PY
ctl report --format html >"$TMP/r.html"
grep -q "and 155 more clusters (the JSON report lists the biggest 200)" \
    "$TMP/r.html" || fail "html report does not count the rest"
ok "a report over 205 clusters says it lists 200"
