#!/usr/bin/env bash
# A backlog goes into the store in batches (one transaction each) of up to
# batch_max files, cut short after 2 MiB of files: the store holds a
# transaction's pages in memory until it commits. With no time bound to
# speak of (batch_ms = 60 s), twelve files of ~700 KB make three batches or
# more; forty small ones (well under 2 MiB) make one.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
python3 - "$WATCH" <<'PY'
import random, sys
rng = random.Random(5)
words = ["harbour", "ferry", "council", "budget", "river", "school",
         "market", "bridge", "orchard", "library", "station", "museum"]
for i in range(12):
    text = " ".join(rng.choice(words) + str(rng.randrange(10**6))
                    for _ in range(60000))
    open("%s/big%02d.txt" % (sys.argv[1], i), "w").write(text + "\n")
PY
printf 'batch_ms = 60000\n' >"$TMP/slow.conf"
start_daemon -f "$TMP/slow.conf"
wait_for documents 12
batches=$(metric reprintd_ingest_seconds_count)
[ "${batches:-0}" -ge 3 ] || fail "8 MB of files in ${batches:-0} batches"
stop_daemon

rm -rf "$STATE" "$WATCH"
mkdir -p "$STATE" "$WATCH"
for i in $(seq 1 40); do
	printf 'Small note %d about the harbour ferry timetable.\n' "$i" \
	    >"$WATCH/small$i.txt"
done
start_daemon -f "$TMP/slow.conf"
wait_for documents 40
small=$(metric reprintd_ingest_seconds_count)
[ "${small:-0}" -eq 1 ] || fail "40 small files in ${small:-0} batches"
stop_daemon
ok "12 files of 700 KB in $batches batches, 40 small ones in $small"
