#!/usr/bin/env bash
# Out of file descriptors (clients hold them all): a file that arrives
# then stays pending and is stored once descriptors are free again. It
# was rejected as "empty", for good: the value that said "wait" also
# said "read" inside ingest.
source "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null || { echo "skip: no prlimit"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
start_daemon
prlimit --pid "$PID" --nofile=48:48 || { echo "skip: prlimit refused"; exit 77; }
# Hold more connections than the daemon has descriptors left, each with
# half a request, until $TMP/release appears.
python3 - "$SOCK" "$TMP/release" <<'PY' &
import os, socket, sys, time
held = []
for _ in range(80):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.send(b"GET /v1/status HTTP/1.1\r\n")
    held.append(s)
for _ in range(200):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
PY
HOLDER=$!
sleep 1
story_bridge | drop "$WATCH/bridge.txt"
wait_log "out of file descriptors: [0-9]* files stay pending" ||
    fail "no deferral: $(tail -n 5 "$LOG")"
grep -q "rejected bridge.txt" "$LOG" && fail "rejected: $(grep rejected "$LOG")"
touch "$TMP/release"
wait "$HOLDER"
wait_for documents 1
ctl matches bridge.txt >/dev/null || fail "bridge.txt not stored"
ok "a file that arrives when descriptors run out waits, then is stored"
