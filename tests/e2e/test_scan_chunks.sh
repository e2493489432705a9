#!/usr/bin/env bash
# The start-up walk of a big tree comes in chunks, the tree walked again
# for each, so that memory does not grow with the tree (REPRINTD_SCAN_CHUNK
# makes 300 files a big tree here). Every file must be ingested once, in
# (mtime, path) order across folders, by --once and by the daemon, with
# the pairs of a walk in one chunk.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
N=300
python3 "$SOURCE_DIR/tests/tools/gen_articles.py" "$WATCH" "$N" --seed 7 \
    --subdirs 4
python3 - "$WATCH" >"$TMP/want" <<'PY'
import os, sys
root = sys.argv[1]
fs = []
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        fs.append((os.stat(p).st_mtime_ns, os.path.relpath(p, root)))
print("\n".join(p for _, p in sorted(fs)))
PY
[ "$(wc -l <"$TMP/want")" = "$N" ] || fail "generator wrote $(wc -l <"$TMP/want") files"

# order_of LOG: the paths stored, in order; pairs_of LOG: the pairs logged.
order_of() { sed -n 's/.* stored \(.*\) (id [0-9]*, .*/\1/p' "$1"; }
pairs_of() { grep ' pair ' "$1" | cut -d' ' -f2- | sort; }

once() { # once NAME [chunk]
	mkdir "$TMP/$1"
	REPRINTD_SCAN_CHUNK=${2:-} "$REPRINTD" --once --watch "$WATCH" \
	    --state "$TMP/$1" 2>"$TMP/$1.log" ||
	    fail "--once ($1) failed: $(tail -n 3 "$TMP/$1.log")"
	grep -q "done: $N documents stored, 0 files rejected" "$TMP/$1.log" ||
	    fail "$1: $(tail -n 1 "$TMP/$1.log")"
}

once ref
order_of "$TMP/ref.log" | diff -q - "$TMP/want" >/dev/null ||
    fail "one chunk: not in (mtime, path) order"
npairs=$(pairs_of "$TMP/ref.log" | wc -l)
[ "$npairs" -gt 10 ] || fail "only $npairs pairs in the reference"
ok "one chunk: $N files in (mtime, path) order, $npairs pairs"

once chunked 16
grep -q "files to process first" "$TMP/chunked.log" ||
    fail "the walk did not come in chunks"
order_of "$TMP/chunked.log" | diff - "$TMP/want" >"$TMP/order.diff" ||
    fail "--once in chunks of 16: order differs: $(head "$TMP/order.diff")"
pairs_of "$TMP/chunked.log" | diff -q - <(pairs_of "$TMP/ref.log") \
    >/dev/null || fail "--once in chunks: pairs differ from the reference"
ok "--once in chunks of 16: the same order and pairs"

export REPRINTD_SCAN_CHUNK=16
start_daemon
wait_for documents "$N"
grep -q "files to check first" "$LOG" || fail "the daemon's walk was one chunk"
order_of "$LOG" | diff - "$TMP/want" >"$TMP/order.diff" ||
    fail "daemon in chunks: order differs: $(head "$TMP/order.diff")"
pairs_of "$LOG" | diff -q - <(pairs_of "$TMP/ref.log") >/dev/null ||
    fail "daemon in chunks: pairs differ from the reference"
wait_log "start-up scan ingested: $N documents stored, 0 files rejected" ||
    fail "no end of the start-up scan: $(grep 'start-up' "$LOG")"
stop_daemon
ok "daemon in chunks of 16: every file once, same order and pairs"

# A restart over the stored tree: one walk, which reports only the file
# rewritten meanwhile; the others are stored as they are (size and mtime)
# and are neither reported nor opened, however small the chunks.
changed=$(head -n 1 "$TMP/want")
echo "A line added while the daemon was down." >>"$WATCH/$changed"
touch -d "2001-02-03 04:05:06" "$WATCH/$changed"
n0=$(wc -l <"$LOG")
start_daemon
wait_for documents "$N"
tail -n +"$((n0 + 1))" "$LOG" >"$TMP/restart.log"
grep -q "(5 directories, 1 files to check)" "$TMP/restart.log" ||
    fail "restart: $(grep "files to check" "$TMP/restart.log")"
[ "$(order_of "$TMP/restart.log")" = "$changed" ] ||
    fail "restart stored: $(order_of "$TMP/restart.log" | head -n 3)"
stop_daemon
ok "restart over the stored tree: one walk, only the changed file read"

# Folders that fill in time order (a dated archive), where a pass passes
# over the folders done and those for later chunks (watch.c, struct
# dsum): the same files, copied with their mtimes into 10 folders of 30,
# come in the same order in chunks of 16 as in one.
mkdir "$TMP/dated"
python3 - "$WATCH" "$TMP/dated" "$TMP/want" <<'PY'
import os, shutil, sys
src, dst, want = sys.argv[1:4]
for i, rel in enumerate(l.strip() for l in open(want)):
    d = os.path.join(dst, "d%02d" % (i // 30))
    os.makedirs(d, exist_ok=True)
    shutil.copy2(os.path.join(src, rel), os.path.join(d, os.path.basename(rel)))
PY
python3 - "$TMP/dated" >"$TMP/dated.want" <<'PY'
import os, sys
root = sys.argv[1]
fs = [(os.stat(os.path.join(d, n)).st_mtime_ns,
       os.path.relpath(os.path.join(d, n), root))
      for d, _, names in os.walk(root) for n in names]
print("\n".join(p for _, p in sorted(fs)))
PY
[ "$(wc -l <"$TMP/dated.want")" = "$N" ] || fail "dated tree: $(wc -l <"$TMP/dated.want") files"
mkdir "$TMP/dated-state"
REPRINTD_SCAN_CHUNK=16 "$REPRINTD" --once --watch "$TMP/dated" \
    --state "$TMP/dated-state" 2>"$TMP/dated.log" ||
    fail "--once (dated) failed: $(tail -n 3 "$TMP/dated.log")"
order_of "$TMP/dated.log" | diff - "$TMP/dated.want" >"$TMP/order.diff" ||
    fail "dated folders in chunks of 16: order differs: $(head "$TMP/order.diff")"
ok "dated folders in chunks of 16: every file once, in (mtime, path) order"
