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
