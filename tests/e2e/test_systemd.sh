#!/usr/bin/env bash
# systemd hand-over, without systemd running: (a) socket activation by
# systemd-socket-activate (LISTEN_FDS), queried through the passed socket;
# (b) the notify protocol on a NOTIFY_SOCKET we listen on: READY=1 after
# start-up, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM;
# (c) systemd-analyze verify on the units and the sandbox's exposure.
# Parts whose tool is missing are skipped; all missing: exit 77.
source "$(dirname "$0")/lib.sh"

SRC=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ran=0

# ---- (a) socket activation --------------------------------------------------

if command -v systemd-socket-activate >/dev/null 2>&1; then
	story_bridge | drop "$WATCH/bridge.txt"
	# It binds SOCK, waits for the first connection, then starts
	# reprintd with the socket as fd 3 (LISTEN_FDS=1, LISTEN_PID).
	systemd-socket-activate -l "$SOCK" "$REPRINTD" --watch "$WATCH" \
	    --state "$STATE" >>"$LOG" 2>&1 &
	PID=$!
	for i in $(seq 1 50); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	[ -S "$SOCK" ] || fail "systemd-socket-activate did not bind $SOCK"
	wait_for documents 1
	grep -q "using the socket passed by systemd" "$LOG" ||
	    fail "reprintd did not take the passed socket"
	grep -q "socket from systemd" "$LOG" || fail "start-up line"
	ctl matches bridge.txt >/dev/null || fail "query through the socket"
	kill -TERM "$PID"
	wait "$PID" || fail "exit status after SIGTERM"
	PID=
	# systemd owns the socket file: the daemon must leave it alone.
	[ -S "$SOCK" ] || fail "reprintd removed a socket it did not create"
	rm -f "$SOCK"
	ran=1
	ok "socket activation: LISTEN_FDS socket served"
else
	echo "skip: systemd-socket-activate not installed (package systemd)"
fi

# ---- (b) notify protocol ----------------------------------------------------

NOTIFY=$TMP/notify.sock
python3 - "$NOTIFY" "$TMP/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
t0 = time.monotonic()
with open(sys.argv[2], "w", buffering=1) as log:
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        for line in msg.splitlines():
            log.write("%.3f %s\n" % (time.monotonic() - t0, line))
        if "STOPPING=1" in msg:
            break
PY
LISTENER=$!
for i in $(seq 1 50); do
	[ -S "$NOTIFY" ] && break
	sleep 0.1
done
[ -S "$NOTIFY" ] || fail "notify listener did not start"
story_orchard | drop "$WATCH/orchard.txt"
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=2000000 start_daemon
grep -q " READY=1" "$TMP/notify.log" || fail "no READY=1 once serving"
sleep 3.3
n=$(grep -c " WATCHDOG=1" "$TMP/notify.log" || true)
[ "$n" -ge 3 ] || fail "$n WATCHDOG=1 in 3.3 s (want one a second)"
grep -q " STOPPING=1" "$TMP/notify.log" && fail "STOPPING=1 before SIGTERM"
stop_daemon
for i in $(seq 1 30); do
	grep -q " STOPPING=1" "$TMP/notify.log" && break
	sleep 0.1
done
grep -q " STOPPING=1" "$TMP/notify.log" || fail "no STOPPING=1 on SIGTERM"
wait "$LISTENER" || true
# Order: READY first, STOPPING last.
head -n 1 "$TMP/notify.log" | grep -q " READY=1" || fail "READY=1 not first"
tail -n 1 "$TMP/notify.log" | grep -q " STOPPING=1" || fail "STOPPING=1 not last"
ran=1
ok "notify: READY=1, $n WATCHDOG=1, STOPPING=1"

# ---- (c) the units ----------------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the executables to exist: point them at the build.
	mkdir -p "$TMP/units"
	for u in "$SRC"/systemd/*.service "$SRC"/systemd/*.socket \
	    "$SRC"/systemd/*.timer; do
		sed -e "s|/usr/sbin/reprintd|$REPRINTD|g" \
		    -e "s|/usr/bin/reprintctl|$REPRINTCTL|g" "$u" \
		    >"$TMP/units/$(basename "$u")"
	done
	systemd-analyze verify --man=no "$TMP"/units/* >"$TMP/verify.log" 2>&1 ||
	    fail "systemd-analyze verify: $(cat "$TMP/verify.log")"
	[ ! -s "$TMP/verify.log" ] || fail "verify warnings: $(cat "$TMP/verify.log")"
	ok "systemd-analyze verify: all units clean"
	systemd-analyze security --offline=true --threshold=20 \
	    "$SRC/systemd/reprintd.service" >"$TMP/sec.log" 2>&1 ||
	    fail "exposure above 2.0: $(tail -n 3 "$TMP/sec.log")"
	score=$(sed -n 's/.*Overall exposure level for reprintd.service: \([0-9.]*\).*/\1/p' \
	    "$TMP/sec.log")
	[ -n "$score" ] || fail "no exposure in: $(tail -n 3 "$TMP/sec.log")"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score"
	ran=1
	ok "systemd-analyze security: exposure $score (at most 2.0)"
else
	echo "skip: systemd-analyze not installed (package systemd)"
fi

[ "$ran" = 1 ] || exit 77
