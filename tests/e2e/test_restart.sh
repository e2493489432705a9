#!/usr/bin/env bash
# Restart keeps documents and pairs; an unchanged path is not ingested
# again; a changed one replaces its document; temporary and hidden names
# are ignored; files in subdirectories are ingested.
source "$(dirname "$0")/lib.sh"

stored_count() { grep -c "stored $1 " "$LOG" || true; }

story_bridge | drop "$WATCH/bridge.txt"
story_orchard | drop "$WATCH/orchard.txt"
start_daemon
wait_for documents 2
ok "start-up scan stored the files already there"

story_bridge | drop "$WATCH/copy.txt"
wait_for documents 3
[ "$(status_field pairs)" = 1 ] || fail "exact copy not paired"
ctl pairs --json | grep -q '"a":"bridge.txt","b":"copy.txt","relation":"exact"' ||
    fail "pair: $(ctl pairs --json)"
ok "same content at a new path is a new document, flagged exact"

# Names that must never be ingested.
for name in .hidden.txt notes.tmp draft.txt~ .#lock.txt '#autosave#' \
    edit.swp download.part; do
	story_library >"$WATCH/$name"
done
mkdir -p "$WATCH/.git"
story_library >"$WATCH/.git/object.txt"
# ... and one that must, two levels down in new directories.
mkdir -p "$WATCH/feeds/north"
story_ferry >"$WATCH/feeds/north/ferry.txt"
wait_for documents 4
sleep 0.5
[ "$(status_field documents)" = 4 ] || fail "an ignored name was ingested"
[ "$(status_field rejected)" = 0 ] || fail "an ignored name was rejected"
ctl matches feeds/north/ferry.txt >/dev/null || fail "subdirectory file"
ok "dotfiles and temporary names ignored, subdirectories ingested"

stop_daemon
start_daemon
wait_for documents 4
[ "$(status_field pairs)" = 1 ] || fail "pairs lost on restart"
[ "$(stored_count bridge.txt)" = 1 ] || fail "bridge.txt ingested twice"
[ "$(stored_count feeds/north/ferry.txt)" = 1 ] || fail "ferry ingested twice"
ok "restart keeps documents and pairs, unchanged files not ingested again"

# Rewritten with the same bytes (a new mtime): still not ingested again.
story_bridge >"$WATCH/bridge.txt"
touch "$WATCH/orchard.txt"
sleep 1
[ "$(stored_count bridge.txt)" = 1 ] || fail "same content ingested again"
[ "$(stored_count orchard.txt)" = 1 ] || fail "touched file ingested again"
ok "same content at the same path not ingested again"

# Same path, new content: copy.txt is now a copy of the orchard story.
story_orchard | drop "$WATCH/copy.txt"
for i in $(seq 1 50); do
	grep -q "replaced copy.txt" "$LOG" && break
	sleep 0.1
done
grep -q "replaced copy.txt" "$LOG" || fail "copy.txt not replaced"
wait_for documents 4
ctl pairs --json >"$TMP/pairs.json"
[ "$(wc -l <"$TMP/pairs.json")" = 1 ] || fail "pairs: $(cat "$TMP/pairs.json")"
grep -q '"a":"orchard.txt","b":"copy.txt","relation":"exact"' "$TMP/pairs.json" ||
    fail "pair after replace: $(cat "$TMP/pairs.json")"
ok "changed content replaces the document and its pairs"

stop_daemon
start_daemon
wait_for documents 4
[ "$(status_field pairs)" = 1 ] || fail "pairs after second restart"
[ "$(stored_count copy.txt)" = 2 ] || fail "copy.txt ingested again"
stop_daemon
ok "second restart"

# Files stored as they arrived were written in the second they were
# stored, when size and mtime cannot vouch for them: a start reads them
# again, finds their content unchanged and says so on their records (a
# touched file's record takes its new mtime), so the start after that
# opens none of them (every start read every live file again).
touch "$WATCH/bridge.txt"
sleep 2.1
n0=$(wc -l <"$LOG")
start_daemon
wait_for documents 4
stop_daemon
tail -n +"$((n0 + 1))" "$LOG" | grep -q "directories, [1-9][0-9]* files to check" ||
    fail "the first start checked nothing: $(tail -n +"$((n0 + 1))" "$LOG")"
n0=$(wc -l <"$LOG")
start_daemon
wait_for documents 4
tail -n +"$((n0 + 1))" "$LOG" | grep -q "directories, 0 files to check" ||
    fail "files checked again: $(tail -n +"$((n0 + 1))" "$LOG" | grep 'to check')"
[ "$(stored_count bridge.txt)" = 1 ] || fail "bridge.txt stored again"
stop_daemon
ok "a file found unchanged by its content is not read at the next start"

# One daemon a state directory: a second process (a backfill of another
# inbox, here) is refused while the first runs, and the first's store is
# untouched; after it stops, the state directory is free again.
mkdir -p "$TMP/other"
story_library >"$TMP/other/library.txt"
start_daemon
wait_for documents 4
if "$REPRINTD" --once --watch "$TMP/other" --state "$STATE" \
    >"$TMP/second.log" 2>&1; then
	fail "a second reprintd ran on the same state directory"
fi
grep -q "state directory .* is in use by another reprintd (pid $PID)" \
    "$TMP/second.log" || fail "second process: $(cat "$TMP/second.log")"
[ "$(status_field documents)" = 4 ] || fail "store changed by the second"
stop_daemon
"$REPRINTD" --once --watch "$TMP/other" --state "$TMP/state" \
    >"$TMP/third.log" 2>&1 || fail "state not free after stop: $(cat "$TMP/third.log")"
ok "a second process on the same state directory is refused"

# -n checks the syntax (exit 1) and warns about what a start would not
# find (exit 0: a file checked before it is installed names directories
# systemd creates); options given more than once: the last wins (ten of
# them once overflowed a table).
"$REPRINTD" -n --watch "$WATCH" --state "$STATE" --socket "$SOCK" \
    >"$TMP/n.log" 2>&1 || fail "-n refused a working configuration"
grep -q warning "$TMP/n.log" && fail "-n warned: $(cat "$TMP/n.log")"
for bad in "--watch $TMP/none" "--state $TMP/none" "--socket $TMP/none/s.sock" \
    "--state $WATCH/bridge.txt"; do
	# shellcheck disable=SC2086 # the option and its value
	"$REPRINTD" -n --watch "$WATCH" --state "$STATE" $bad >"$TMP/n.log" 2>&1 ||
	    fail "-n $bad: exit $?"
	grep -q "^reprintd: warning: .*$TMP/none\|^reprintd: warning: .*bridge.txt is not a directory" \
	    "$TMP/n.log" || fail "-n $bad: $(cat "$TMP/n.log")"
done
printf 'batch_max = lots\n' >"$TMP/bad.conf"
if "$REPRINTD" -n --config "$TMP/bad.conf" >"$TMP/n.log" 2>&1; then
	fail "-n accepted a bad value"
fi
grep -q "bad.conf:1" "$TMP/n.log" || fail "-n bad value: $(cat "$TMP/n.log")"
# A relative path works from here but not from systemd's "/".
(cd "$WATCH/.." && "$REPRINTD" -n --watch "$(basename "$WATCH")" \
    --state "$STATE" --socket "$SOCK") >"$TMP/n.log" 2>&1 ||
    fail "-n with a relative watch directory: exit $?"
grep -q "^reprintd: warning: watch directory $(basename "$WATCH") is relative" \
    "$TMP/n.log" || fail "-n relative: $(cat "$TMP/n.log")"
args=()
for i in $(seq 1 10); do args+=(--watch "$TMP/none$i" --state "$TMP/none$i"); done
"$REPRINTD" -n "${args[@]}" --watch "$WATCH" --state "$STATE" >"$TMP/n.log" 2>&1 ||
    fail "repeated options"
grep -q warning "$TMP/n.log" && fail "repeated options: the last should win: $(cat "$TMP/n.log")"
"$REPRINTD" --help | grep -q "^usage: reprintd" || fail "--help not on stdout"
ok "-n: errors in the file, warnings about the directories; repeated options"

# A setting that takes effect at restart keeps its running value after a
# SIGHUP: a second SIGHUP still says it is not in effect.
printf 'index_memtable = 4096\n' >"$TMP/r.conf"
start_daemon --config "$TMP/r.conf"
printf 'index_memtable = 8192\n' >"$TMP/r.conf"
for n in 1 2; do
	kill -HUP "$PID"
	for i in $(seq 1 50); do
		[ "$(grep -c "index_memtable changed (4096 -> 8192)" "$LOG")" -ge "$n" ] &&
		    break
		sleep 0.1
	done
	[ "$(grep -c "index_memtable changed (4096 -> 8192)" "$LOG")" = "$n" ] ||
	    fail "SIGHUP $n: $(grep index_memtable "$LOG")"
done
stop_daemon
ok "restart-only settings keep their running value across reloads"

# The store remembers what it last ran with: other matching settings, or
# another watched directory, are said at start (and not again after).
settings_warned() { grep -c "matching settings differ" "$LOG" || true; }
[ "$(settings_warned)" = 0 ] || fail "settings warned: $(grep differ "$LOG")"
printf 'near_dup_small = 0.85\n' >"$TMP/m.conf"
start_daemon --config "$TMP/m.conf"
stop_daemon
[ "$(settings_warned)" = 1 ] || fail "changed settings not said"
start_daemon --config "$TMP/m.conf"
stop_daemon
[ "$(settings_warned)" = 1 ] || fail "unchanged settings said again"
mkdir -p "$TMP/other"
"$REPRINTD" --watch "$TMP/other" --state "$STATE" --socket "$SOCK" \
    --config "$TMP/m.conf" --once >>"$LOG" 2>&1 || fail "--once on other"
grep -q "this store last ran on another watched directory" "$LOG" ||
    fail "another watched directory not said"
ok "a change of matching settings or of watched directory is said at start"
