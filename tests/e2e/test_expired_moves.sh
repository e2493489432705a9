#!/usr/bin/env bash
# Files whose documents expired, moved out of the tree and back together
# (an archive reorganised): they are not new arrivals, whichever way
# ingest reads them. Files queued behind another are read by the
# read-ahead thread, whose path asked only about stored documents, not
# expired ones: they came back with new ids. The daemon is stopped
# (SIGSTOP) while they move, so that they queue behind the big file at
# once; three rounds, since how far the thread gets is timing.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
DAY=86400
N=40
T0=$(date +%s)
printf 'nosync = true\nretention = 90d\n' >"$TMP/r.conf"
export REPRINTD_NOW=$T0
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$WATCH/a" "$N" --seed 5 \
    --subdirs 0
touch -d '2 hours ago' "$WATCH"/a/*
start_daemon --config "$TMP/r.conf"
wait_for documents "$N"
stop_daemon

export REPRINTD_NOW=$((T0 + 100 * DAY))
start_daemon --config "$TMP/r.conf"
ctl cleanup >/dev/null || fail "cleanup"
wait_for documents 0
stop_daemon

export REPRINTD_NOW=$((T0 + 100 * DAY + 3600))
start_daemon --config "$TMP/r.conf"
sleep 0.5
[ "$(status_field documents)" = 0 ] || fail "a restart stored expired files"
mkdir "$WATCH/.away"
for round in 1 2 3; do
	# A big new file first: the moved files queue behind it.
	python3 -c "
import random
r = random.Random($round)
print(' '.join('big%d' % r.randrange(10**6) for _ in range(200000)))" \
	    >"$TMP/big.txt"
	# Stopped while the files move, so that they are queued at once.
	kill -STOP "$PID"
	mv "$WATCH"/a/* "$WATCH/.away/"
	mv "$TMP/big.txt" "$WATCH/big$round.txt"
	mv "$WATCH"/.away/* "$WATCH/a/"
	kill -CONT "$PID"
	wait_for documents "$round"
	sleep 1
	[ "$(status_field documents)" = "$round" ] ||
	    fail "round $round: expired files stored again: $(grep 'stored a/' "$LOG" | head -n 3)"
done
ok "expired files moved out and back are not stored again"
