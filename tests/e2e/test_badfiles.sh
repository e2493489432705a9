#!/usr/bin/env bash
# Files that are not articles are rejected, counted and logged, and the
# daemon carries on: empty, binary, too large, a FIFO (which must not block
# the daemon), unreadable, a symlink leading out of the inbox, another
# name (symlink, hard link) of a file of the inbox. Also the
# configuration file: errors name file and line, -n checks it.
source "$(dirname "$0")/lib.sh"

CONF=$TMP/reprintd.conf
cat >"$CONF" <<'CF'
# small files only, to test the limit
max_file_size = 2k   # bytes
batch_ms = 20
nosync = true
CF
"$REPRINTD" --config "$CONF" --watch "$WATCH" --state "$STATE" -n ||
    fail "-n rejected a valid configuration"
printf 'max_file_size = 2k\nbatch_max = lots\n' >"$TMP/bad.conf"
if "$REPRINTD" --config "$TMP/bad.conf" --watch "$WATCH" --state "$STATE" \
    -n 2>"$TMP/err"; then
	fail "-n accepted a bad configuration"
fi
grep -q "bad.conf:2: batch_max" "$TMP/err" || fail "message: $(cat "$TMP/err")"
printf 'socket_mode = 0666\n' >"$TMP/bad.conf"
if "$REPRINTD" --config "$TMP/bad.conf" --watch "$WATCH" --state "$STATE" \
    -n 2>/dev/null; then
	fail "a world-writable socket_mode was accepted"
fi
ok "configuration check"

start_daemon --config "$CONF"

expected=0
: >"$WATCH/empty.txt"; expected=$((expected + 1))
{ printf 'PK\003\004'; head -c 900 /dev/zero; printf 'text'; } \
    >"$WATCH/archive.txt"; expected=$((expected + 1))
{ story_library; story_library; } >"$WATCH/big.txt"; expected=$((expected + 1))
mkfifo "$WATCH/pipe.txt"; expected=$((expected + 1))
# A character device (root only, and only where mknod is allowed): never
# opened for reading.
if mknod "$WATCH/null.txt" c 1 3 2>/dev/null; then
	expected=$((expected + 1))
	device=1
else
	echo "skip: cannot mknod here (not root, or no CAP_MKNOD)"
	device=
fi
story_ferry >"$TMP/secret.txt"
ln -s "$TMP/secret.txt" "$WATCH/secret.txt"
expected=$((expected + 1))
ln -s loop.txt "$WATCH/loop.txt"; expected=$((expected + 1))
# UTF-16 without its byte order mark (with one, it is read).
story_ferry | head -c 600 | iconv -f UTF-8 -t UTF-16LE >"$WATCH/wide.txt"
expected=$((expected + 1))
if [ "$(id -u)" != 0 ]; then
	story_ferry >"$WATCH/locked.txt.part"
	chmod 000 "$WATCH/locked.txt.part"
	mv "$WATCH/locked.txt.part" "$WATCH/locked.txt"
	expected=$((expected + 1))
else
	echo "skip: running as root, which can read a mode 000 file"
fi
# Good files next to them: a plain article, one with a few bytes of
# Latin-1 (repaired, not refused), and a file with a symlink and a hard
# link to it inside the tree: read once, under its own name (the same
# file is no reprint of itself).
story_orchard | drop "$WATCH/good.txt"
{ story_ferry; printf 'Caf\xe9 owners on the quay said trade was down.\n'; } |
    drop "$WATCH/latin1.txt"
mkdir -p "$WATCH/real"
story_bridge | drop "$WATCH/real/bridge.txt"
ln -s real/bridge.txt "$WATCH/alias.txt"; expected=$((expected + 1))
ln "$WATCH/real/bridge.txt" "$WATCH/hardlink.txt"; expected=$((expected + 1))

wait_for documents 3
wait_for rejected "$expected"
grep -q "rejected alias.txt: symlink into the watched tree: real/bridge.txt is read under its own name" "$LOG" ||
    fail "alias: $(grep alias "$LOG")"
grep -q "rejected hardlink.txt: hard link: the same file as real/bridge.txt" "$LOG" ||
    fail "hard link: $(grep hardlink "$LOG")"
[ "$(status_field pairs)" = 0 ] || fail "pairs: $(ctl pairs)"
ok "$expected bad files rejected, 3 good ones stored"

# A hard link made into the inbox (ln: a name appears, no file is written
# under it) of a file from elsewhere is an arrival.
story_library >"$TMP/outside_story.txt"
ln "$TMP/outside_story.txt" "$WATCH/linked_in.txt"
wait_for documents 4
grep -q "stored linked_in.txt" "$LOG" || fail "linked_in: $(tail -n 3 "$LOG")"
# A feed repeating one item, linked in: its items are no hard links of
# each other.
for _ in 1 2; do
	printf '{"title": "Notice", "content": "The ferry to Holm runs an hour late today."}\n'
done >"$TMP/outside_feed.jsonl"
ln "$TMP/outside_feed.jsonl" "$WATCH/linked_feed.jsonl"
wait_for documents 6
! grep -q "rejected linked_feed.jsonl" "$LOG" ||
    fail "feed items: $(grep linked_feed "$LOG")"
ok "a hard link made into the inbox is read"

for f in empty.txt archive.txt big.txt pipe.txt secret.txt; do
	grep -q "rejected $f: " "$LOG" || fail "no log line for $f"
done
grep -q "rejected pipe.txt: not a regular file (FIFO)" "$LOG" || fail "FIFO reason"
grep -q "rejected big.txt: too large" "$LOG" || fail "too large reason"
grep -q "rejected secret.txt: symlink outside" "$LOG" || fail "symlink reason"
grep -q "rejected loop.txt: symlink loop" "$LOG" || fail "loop reason"
grep -q "rejected archive.txt: binary (not text: a NUL byte at offset 4)" \
    "$LOG" || fail "binary reason: $(grep archive "$LOG")"
grep -q "rejected wide.txt: binary (not text: UTF-16 without a byte order mark" \
    "$LOG" || fail "UTF-16 reason: $(grep wide "$LOG")"
grep -q "rejected empty.txt: empty" "$LOG" || fail "empty reason"
[ -z "$device" ] || grep -q "rejected null.txt: not a regular file (character device)" \
    "$LOG" || fail "device reason"
kill -0 "$PID" || fail "daemon died"
ok "each rejection logged with its reason; daemon still running"

# A rejected path that later holds an article is stored and un-rejected.
story_library | head -n 10 | drop "$WATCH/empty.txt"
wait_for documents 7
wait_for rejected $((expected - 1))
ok "a fixed file is stored and its rejection cleared"

# A file still being written is not ingested before it is closed: write
# half an article, keep the file open for a while, then finish it.
docs=$(status_field documents)
exec 7>"$WATCH/slow.txt"
story_bridge | head -n 6 >&7
chmod 640 "$WATCH/slow.txt" # an IN_ATTRIB is no sign it is complete
sleep 1.5
[ "$(status_field documents)" = "$docs" ] ||
    fail "a file still open for writing was ingested"
! grep -q "slow.txt" "$LOG" || fail "slow.txt seen before it was closed"
story_bridge | tail -n +7 >&7
exec 7>&-
wait_for documents $((docs + 1))
[ "$(grep -c "stored slow.txt" "$LOG")" = 1 ] || fail "slow.txt stored twice"
! grep -q "replaced slow.txt" "$LOG" || fail "slow.txt was replaced"
ok "a file being written is ingested once, after it is closed"

# Names a file cannot have: one that ends as a feed item's (it took the
# item's document over, and the two replaced each other at every edit),
# and one with a control character (no request could name it; a newline
# split the log's lines, an escape reached the terminal).
cat <<'JL' | drop "$WATCH/feed.jsonl"
{"title": "Orchard", "content": "A late frost in April killed most of the blossom in the valley's cherry orchards, and growers expect a crop of barely a third of last year's. Pickers hired for June have been told to look for work elsewhere."}
{"title": "Ferry", "content": "The island ferry will run twice an hour from May, the harbor board decided on Thursday, after a summer of queues that stretched up the hill to the church. A second boat is leased from the mainland until the new one is built."}
JL
wait_for documents $((docs + 3))
rejected=$(status_field rejected)
story_library | drop "$WATCH/feed.jsonl#1"
story_library | drop "$WATCH/$(printf 'two\nlines.txt')"
story_library | drop "$WATCH/$(printf 'esc\033[31mred.txt')"
wait_for rejected $((rejected + 3))
[ "$(status_field documents)" = $((docs + 3)) ] || fail "a refused name stored"
grep -q "rejected feed.jsonl#1: the name ends as a feed item's does" "$LOG" ||
    fail "no reason for feed.jsonl#1"
grep -q "rejected two?lines.txt: a control character in the name" "$LOG" ||
    fail "no reason for the newline"
grep -q "rejected esc?\[31mred.txt: a control character" "$LOG" ||
    fail "no reason for the escape"
! grep -q -v '^[0-9]\{4\}-' "$LOG" || fail "a log line without its time: $(grep -v '^[0-9]\{4\}-' "$LOG")"
! grep -q $'\033' "$LOG" || fail "an escape in the log"
curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=feed.jsonl%231" |
    grep -q '"title":"Ferry"' || fail "the feed's item was taken over"
# Nor do the names reach the text report raw (a forged line, an escape).
ctl report >"$TMP/report.txt"
grep -q '^  [0-9-]* [0-9:]*  esc?\[31mred.txt: ' "$TMP/report.txt" ||
    fail "the escape's name in the report: $(grep red "$TMP/report.txt")"
grep -q '  two?lines.txt: ' "$TMP/report.txt" ||
    fail "the newline's name in the report: $(grep lines "$TMP/report.txt")"
! grep -q $'\033' "$TMP/report.txt" || fail "an escape in the report"
ok "a name of a feed item's form or with a control character is refused"

# A 404 says why, when the store knows: a rejected file, a feed's items.
curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=archive.txt" |
    grep -q 'not stored: archive.txt was rejected: binary (not text: a NUL byte' ||
    fail "404 of a rejected file"
curl -s --unix-socket "$SOCK" "http://localhost/v1/matches?path=feed.jsonl" |
    grep -q 'not stored: feed.jsonl holds several items, stored as feed.jsonl#N (feed.jsonl#0, ' ||
    fail "404 of a feed"
{ ctl matches feed.jsonl 2>&1 || true; } | grep -q "holds several items" ||
    fail "reprintctl: $(ctl matches feed.jsonl 2>&1)"
ok "a 404 names the reason a file was rejected, or a feed's items"

# A body over the limit is refused by the socket too.
{ story_library; story_library; } >"$TMP/big.txt"
if ctl query "$TMP/big.txt" 2>"$TMP/err"; then
	fail "query accepted a body over max_file_size"
fi
ok "oversized query refused"

stop_daemon
ok "clean shutdown"
