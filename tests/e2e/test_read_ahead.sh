#!/usr/bin/env bash
# Read-ahead: when reads wait for the disk, ingest has its read-ahead
# thread ask the kernel to load the files next in the queue. REPRINTD_READ_SLOW_US=0 counts every read
# as slow, so that it runs here from the page cache: every regular file
# after the first 16 reads is read ahead, a FIFO is not opened (the run
# would hang), a symlink out of the tree is not followed, documents and
# pairs are those of a run without it, and the daemon's metrics count it.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
N=300
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$WATCH" "$N" --seed 11 \
    --subdirs 3
mkfifo "$WATCH/pipe.txt"
ln -s /etc/hostname "$WATCH/outside.txt"
: >"$WATCH/empty.txt"

pairs_of() { grep ' pair ' "$1" | cut -d' ' -f2- | sort; }
once() { # once NAME [slow-us]
	mkdir "$TMP/$1"
	REPRINTD_READ_SLOW_US=${2:-} timeout 120 "$REPRINTD" --once \
	    --watch "$WATCH" --state "$TMP/$1" 2>"$TMP/$1.log" ||
	    fail "--once ($1) failed: $(tail -n 3 "$TMP/$1.log")"
	grep -q "done: $N documents stored, 3 files rejected" "$TMP/$1.log" ||
	    fail "$1: $(tail -n 1 "$TMP/$1.log")"
}

once ref
npairs=$(pairs_of "$TMP/ref.log" | wc -l)
[ "$npairs" -gt 10 ] || fail "only $npairs pairs in the reference"
ok "reference: $N documents, 3 rejected, $npairs pairs"

once ahead 0
k=$(sed -n 's/.*done: .* \([0-9]*\) read ahead$/\1/p' "$TMP/ahead.log")
# All but the first 17 files (16 slow reads start it; the 17th is taken
# from the queue before it is read ahead): the FIFO, the symlink and the
# empty file are not read ahead.
[ "$k" = "$((N - 17))" ] || fail "read ahead $k files, not $((N - 17))"
pairs_of "$TMP/ahead.log" | diff -q - <(pairs_of "$TMP/ref.log") \
    >/dev/null || fail "pairs differ with read-ahead"
ok "every read slow: $k files read ahead, the same documents and pairs"

# The daemon reads ahead too, and says so in its metrics (its read-ahead
# thread may finish the last files a moment after ingest has).
export REPRINTD_READ_SLOW_US=0
start_daemon
wait_for documents "$N"
for _ in $(seq 1 50); do
	m=$(metric reprintd_read_ahead_total)
	[ "$m" = "$((N - 17))" ] && break
	sleep 0.1
done
[ "$m" = "$((N - 17))" ] || fail "reprintd_read_ahead_total is $m"
stop_daemon
ok "the daemon: $m files read ahead in its metrics"
