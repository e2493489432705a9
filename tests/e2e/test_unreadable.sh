#!/usr/bin/env bash
# A directory of the tree the daemon cannot read is counted
# (reprintd_unreadable_directories) and walked again when its permissions
# change: its files are ingested then, without a restart (they were
# skipped for good). A SIGHUP while it is still unreadable keeps it so,
# without saying it again.
# A file rejected as unreadable is read once its permissions change.
# Permissions mean nothing to root: as root the daemon runs as nobody
# (setpriv); as another user, as that user.
source "$(dirname "$0")/lib.sh"

run_as=()
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { echo "skip: no setpriv"; exit 0; }
	run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 755 "$TMP"
	chown -R nobody:nogroup "$WATCH" "$STATE"
	# The socket's directory: the daemon's to write.
	mkdir -m 755 "$TMP/run"
	chown nobody:nogroup "$TMP/run"
	SOCK=$TMP/run/reprintd.sock
	# The log is written by the shell (root), the binaries must be
	# reachable by nobody.
	"${run_as[@]}" test -x "$REPRINTD" ||
	    { echo "skip: $REPRINTD not reachable by nobody"; exit 0; }
fi
# Owned by someone else, mode 700: not readable by the daemon. As
# root, root owns it; as a user, the user makes it and takes the mode
# away (the daemon runs as the same user then: chmod 000).
mkdir -p "$WATCH/feed"
story_orchard >"$WATCH/feed/orchard.txt"
if [ "$(id -u)" = 0 ]; then
	chown root:root "$WATCH/feed" && chmod 700 "$WATCH/feed"
else
	chmod 000 "$WATCH/feed"
fi
# Listed but not searchable (r without x), and one to be deleted.
mkdir -p "$WATCH/listed" "$WATCH/doomed"
story_library >"$WATCH/listed/library.txt"
story_library >"$WATCH/doomed/library.txt"
if [ "$(id -u)" = 0 ]; then
	chown root:root "$WATCH/listed" "$WATCH/doomed"
	chmod 744 "$WATCH/listed"
	chmod 700 "$WATCH/doomed"
else
	chmod 644 "$WATCH/listed"
	chmod 000 "$WATCH/doomed"
fi
# Readable at the start, its mode taken away later (as root only: a
# user cannot write into a directory its own daemon cannot search).
mkdir -m 755 "$WATCH/desk"
story_bridge | drop "$WATCH/bridge.txt"
story_ferry >"$WATCH/locked.txt"
chmod 000 "$WATCH/locked.txt"
[ "$(id -u)" != 0 ] || chown root:root "$WATCH/locked.txt"

"${run_as[@]}" "$REPRINTD" --watch "$WATCH" --state "$STATE" \
    --socket "$SOCK" >>"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
	ctl status >/dev/null 2>&1 && break
	sleep 0.1
done
wait_for documents 1
grep -q "cannot read directory $WATCH/feed" "$LOG" ||
    fail "no warning: $(cat "$LOG")"
grep -q "cannot read directory $WATCH/listed" "$LOG" ||
    fail "no warning for listed: $(grep 'cannot read' "$LOG")"
[ "$(metric reprintd_unreadable_directories)" = 3 ] ||
    fail "metric: $(ctl metrics | grep unreadable)"
# (As a user, its owner must give the mode back to delete it: the
# daemon may read it meanwhile.)
[ "$(id -u)" = 0 ] || chmod -R u+rwX "$WATCH/doomed"
rm -rf "$WATCH/doomed"
chmod 711 "$WATCH/listed" 2>/dev/null || chmod 311 "$WATCH/listed"
sleep 0.5
[ "$(metric reprintd_unreadable_directories)" = 2 ] ||
    fail "metric after rm: $(ctl metrics | grep unreadable)"
[ "$(grep -c "cannot read directory $WATCH/listed" "$LOG")" = 1 ] ||
    fail "said again at a chmod that does not help: $(grep listed "$LOG")"
docs0=$(status_field documents)
ok "unreadable directories (no read, no search) are said once and counted"

kill -HUP "$PID"
sleep 0.5
[ "$(metric reprintd_unreadable_directories)" = 2 ] ||
    fail "after SIGHUP: $(ctl metrics | grep unreadable)"
# Tried again, and not said again.
[ "$(grep -c "cannot read directory $WATCH/feed" "$LOG")" = 1 ] ||
    fail "SIGHUP said it again: $(grep 'cannot read' "$LOG")"

chmod 755 "$WATCH/feed" "$WATCH/listed"
wait_for documents $((docs0 + 2))
grep -q "stored feed/orchard.txt" "$LOG" || fail "not stored: $(tail "$LOG")"
grep -q "stored listed/library.txt" "$LOG" || fail "listed not stored"
[ "$(metric reprintd_unreadable_directories)" = 0 ] ||
    fail "metric after: $(ctl metrics | grep unreadable)"
# Deleted while unreadable and made again, readable: not counted.
mkdir "$TMP/again"
if [ "$(id -u)" = 0 ]; then chmod 700 "$TMP/again"; else chmod 000 "$TMP/again"; fi
mv "$TMP/again" "$WATCH/again"
sleep 0.3
[ "$(metric reprintd_unreadable_directories)" = 1 ] ||
    fail "again: $(ctl metrics | grep unreadable)"
[ "$(id -u)" = 0 ] || chmod 700 "$WATCH/again"
rm -rf "$WATCH/again"
mkdir -m 777 "$WATCH/again"
sleep 0.3
[ "$(metric reprintd_unreadable_directories)" = 0 ] ||
    fail "made again readable: $(ctl metrics | grep unreadable)"
ok "its files are read once its permissions change, SIGHUP or not"

grep -q "rejected locked.txt: unreadable" "$LOG" ||
    fail "locked.txt: $(grep locked "$LOG")"
chmod 644 "$WATCH/locked.txt"
wait_for documents $((docs0 + 3))
grep -q "stored locked.txt" "$LOG" || fail "locked.txt not stored after chmod"
ok "a file rejected as unreadable is read once its mode allows"

[ "$(id -u)" = 0 ] || exit 0
docs1=$(status_field documents)
chmod 700 "$WATCH/desk"
sleep 0.3
[ "$(metric reprintd_unreadable_directories)" = 1 ] ||
    fail "desk: $(ctl metrics | grep unreadable)"
grep -q "cannot read directory $WATCH/desk" "$LOG" ||
    fail "desk: no warning: $(grep 'cannot read' "$LOG")"
story_orchard | sed 's/orchard/grove/g' >"$WATCH/desk/grove.txt"
wait_log "rejected desk/grove.txt: unreadable" ||
    fail "grove: $(grep grove "$LOG")"
chmod 755 "$WATCH/desk"
wait_for documents $((docs1 + 1))
grep -q "stored desk/grove.txt" "$LOG" || fail "grove not stored: $(tail "$LOG")"
[ "$(metric reprintd_unreadable_directories)" = 0 ] ||
    fail "desk after: $(ctl metrics | grep unreadable)"
ok "a directory whose mode is taken away: a file arriving meanwhile is read when it comes back"
