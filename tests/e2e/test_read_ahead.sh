#!/usr/bin/env bash
# Read-ahead: ingest has its read-ahead thread read the files next in the
# queue (readahead.h). A FIFO is not opened (the run would hang), a
# symlink out of the tree is not followed, an empty file is left to
# ingest; documents and pairs are those of a run without the thread
# (REPRINTD_NO_READ_AHEAD), and the daemon's metrics count the files.
# A file rewritten while the daemon runs is read again: what was read
# ahead of it is not kept past the batch.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
N=300
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$WATCH" "$N" --seed 11 \
    --subdirs 3
mkfifo "$WATCH/pipe.txt"
ln -s /etc/hostname "$WATCH/outside.txt"
: >"$WATCH/empty.txt"

pairs_of() { grep ' pair ' "$1" | cut -d' ' -f2- | sort; }
once() { # once NAME [no-read-ahead]
	mkdir "$TMP/$1"
	REPRINTD_NO_READ_AHEAD=${2:-} timeout 120 "$REPRINTD" --once \
	    --watch "$WATCH" --state "$TMP/$1" 2>"$TMP/$1.log" ||
	    fail "--once ($1) failed: $(tail -n 3 "$TMP/$1.log")"
	grep -q "done: $N documents stored, 3 files rejected" "$TMP/$1.log" ||
	    fail "$1: $(tail -n 1 "$TMP/$1.log")"
}
read_ahead_of() { sed -n 's/.*done: .* \([0-9]*\) read ahead$/\1/p' "$1"; }

once ref 1
npairs=$(pairs_of "$TMP/ref.log" | wc -l)
[ "$npairs" -gt 10 ] || fail "only $npairs pairs in the reference"
[ "$(read_ahead_of "$TMP/ref.log")" = 0 ] || fail "read ahead without it"
ok "without read-ahead: $N documents, 3 rejected, $npairs pairs"

once ahead
k=$(read_ahead_of "$TMP/ahead.log")
# Files ingest reached before the thread did are ingest's (at least the
# first of each batch); the thread, with nothing else to do, reads most.
[ "$k" -ge $((N / 4)) ] || fail "only $k of $N files read ahead"
pairs_of "$TMP/ahead.log" | diff -q - <(pairs_of "$TMP/ref.log") \
    >/dev/null || fail "pairs differ with read-ahead"
ok "with read-ahead: $k files read ahead, the same documents and pairs"

# The daemon reads ahead too, and says so in its metrics (its thread may
# count the last files a moment after ingest has stored them).
start_daemon
wait_for documents "$N"
for _ in $(seq 1 50); do
	m=$(metric reprintd_read_ahead_total)
	[ "$m" -ge $((N / 4)) ] && break
	sleep 0.1
done
[ "$m" -ge $((N / 4)) ] || fail "reprintd_read_ahead_total is $m"
ok "the daemon: $m files read ahead in its metrics"

# A rewrite is stored, whichever batch read ahead the file's old bytes.
set -- "$WATCH"/*/*.txt # (ls | head would die of SIGPIPE under pipefail)
f=${1#"$WATCH/"}
printf 'A rewritten article about the harbour authority and its new ' \
    >"$WATCH/$f.tmp"
printf 'dredging contract, filed again with different words.\n' \
    >>"$WATCH/$f.tmp"
mv "$WATCH/$f.tmp" "$WATCH/$f"
for _ in $(seq 1 100); do
	grep -q "replaced $f (content changed)" "$LOG" && break
	sleep 0.1
done
grep -q "replaced $f (content changed)" "$LOG" ||
	fail "the rewrite of $f was not stored"
stop_daemon
ok "a rewritten file is read again"
