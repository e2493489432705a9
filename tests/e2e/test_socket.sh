#!/usr/bin/env bash
# The socket: mode 0660, a second daemon on it refuses to start, a stale
# socket file is replaced, anything else at the path is left alone, a path
# too long for sun_path is refused; SIGHUP reloads the configuration.
source "$(dirname "$0")/lib.sh"

CONF=$TMP/reprintd.conf
printf 'batch_max = 100\nnosync = true\n' >"$CONF"
start_daemon --config "$CONF"
mode=$(stat -c %a "$SOCK")
[ "$mode" = 660 ] || fail "socket mode $mode, expected 660"
ok "socket mode 0660"

mkdir "$TMP/state2"
if timeout 10 "$REPRINTD" --watch "$WATCH" --state "$TMP/state2" \
    --socket "$SOCK" 2>"$TMP/err"; then
	fail "a second daemon started on the same socket"
fi
grep -q "another reprintd is running on $SOCK" "$TMP/err" ||
    fail "message: $(cat "$TMP/err")"
ctl status >/dev/null || fail "first daemon stopped answering"
ok "second daemon refused with a clear message"

# SIGHUP: the change is applied and logged.
printf 'batch_max = 50\nnosync = true\n' >"$CONF"
kill -HUP "$PID"
for i in $(seq 1 50); do
	grep -q "config: batch_max: 100 -> 50" "$LOG" && break
	sleep 0.1
done
grep -q "config: batch_max: 100 -> 50" "$LOG" || fail "reload not logged"
ctl status >/dev/null || fail "daemon gone after SIGHUP"
printf 'batch_max = many\n' >"$CONF"
kill -HUP "$PID"
sleep 0.3
grep -q "reload failed" "$LOG" || fail "bad reload not logged"
ctl status >/dev/null || fail "daemon gone after a bad reload"
ok "SIGHUP reloads; a bad file keeps the running configuration"
printf 'batch_max = 50\nnosync = true\n' >"$CONF"

# A daemon killed with -9 leaves its socket file behind: stale.
kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
PID=
[ -S "$SOCK" ] || fail "expected a stale socket file"
start_daemon --config "$CONF"
ok "stale socket replaced"
stop_daemon

# A file that is not a socket is never removed.
echo "not a socket" >"$SOCK"
if timeout 10 "$REPRINTD" --watch "$WATCH" --state "$STATE" \
    --socket "$SOCK" 2>"$TMP/err"; then
	fail "started over a regular file"
fi
grep -q "not a socket" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ "$(cat "$SOCK")" = "not a socket" ] || fail "regular file was touched"
rm -f "$SOCK"
ok "a regular file at the socket path is left alone"

long=$TMP/$(printf 'x%.0s' $(seq 1 120)).sock
if timeout 10 "$REPRINTD" --watch "$WATCH" --state "$STATE" \
    --socket "$long" 2>"$TMP/err"; then
	fail "started on a socket path longer than sun_path"
fi
grep -qi "too long" "$TMP/err" || fail "message: $(cat "$TMP/err")"
ok "socket path too long refused"

if "$REPRINTCTL" --socket "$TMP/nobody.sock" status 2>"$TMP/err"; then
	fail "reprintctl succeeded without a daemon"
fi
grep -q "cannot reach reprintd" "$TMP/err" || fail "message: $(cat "$TMP/err")"
ok "reprintctl without a daemon says so"
