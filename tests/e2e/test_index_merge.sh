#!/usr/bin/env bash
# The daemon with a tiny index memtable (merges every few documents, in
# slices of their own transactions, a slice per turn of the event loop) and
# a 1 MiB map to start with (so that batches and merges hit a full map and
# are redone in a grown one): ingest never pauses, status says when the
# index is merging and goes back to idle, the merge slices are in the
# metrics, a batch ends when the memtable is due a merge, and the pairs are
# those of a run with the default settings.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
N=1500
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$WATCH" "$N" --seed 3 \
    --subdirs 3
pairs_of() { grep ' pair ' "$1" | cut -d' ' -f2- | sort; }

mkdir "$TMP/ref"
"$REPRINTD" --once --watch "$WATCH" --state "$TMP/ref" 2>"$TMP/ref.log" ||
    fail "--once failed: $(tail -n 3 "$TMP/ref.log")"
npairs=$(pairs_of "$TMP/ref.log" | wc -l)
[ "$npairs" -gt 50 ] || fail "only $npairs pairs in the reference"

printf 'index_memtable = 1024\nmap_size = 1048576\n' >"$TMP/tiny.conf"
start_daemon -f "$TMP/tiny.conf"
seen_merging=0
for _ in $(seq 1 600); do
	[ "$(status_field index)" = merging ] && seen_merging=1
	[ "$(status_field documents)" = "$N" ] &&
	    [ "$(status_field index)" = idle ] && break
	sleep 0.05
done
wait_for documents "$N"
[ "$(status_field index)" = idle ] || fail "index still merging"
[ "$(status_field ingest)" = running ] || fail "ingest: $(status_field ingest)"
! grep -q "ingest paused" "$LOG" ||
    fail "ingest paused: $(grep "ingest paused" "$LOG" | head -n 3)"
slices=$(metric reprintd_index_merge_seconds_count)
[ "${slices:-0}" -gt 20 ] || fail "only ${slices:-0} merge slices"
# A batch ends when the memtable is due a merge (a few documents here):
# without that, this backlog would go in batches of up to batch_max = 1000.
batches=$(metric reprintd_ingest_seconds_count)
[ "${batches:-0}" -gt $((N / 20)) ] ||
    fail "only ${batches:-0} batches for $N files"
pairs_of "$LOG" | diff - <(pairs_of "$TMP/ref.log") >"$TMP/pairs.diff" ||
    fail "pairs differ from the default run: $(head "$TMP/pairs.diff")"
stop_daemon
ok "$N files with merges every few documents ($slices slices," \
    "$batches batches, merging seen: $seen_merging), no pause," \
    "$npairs pairs as by default"
