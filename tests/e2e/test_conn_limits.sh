#!/usr/bin/env bash
# Connections and request bodies are bounded (review finding 5): at most
# max_connections are open, the others are closed at once (one warning a
# minute), and a request must be whole within http_request_timeout, so a
# client trickling an almost complete 8 MiB body is closed rather than
# held forever. An idle keep-alive connection is not subject to it.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

CONF=$TMP/reprintd.conf
cat >"$CONF" <<'CF'
nosync = true
http_timeout = 120
http_request_timeout = 2
max_connections = 16
max_body_size = 8M
CF
start_daemon --config "$CONF"

python3 - "$SOCK" <<'PY' || fail "max_connections"
import select, socket, sys, time
path = sys.argv[1]

def closed(s, wait):
    """The daemon closed s (EOF or reset) within wait seconds?"""
    if not select.select([s], [], [], wait)[0]:
        return False
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True

socks = []
for _ in range(24):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
time.sleep(1)
shut = [s for s in socks if closed(s, 0.2)]
assert len(shut) == 8, "%d of 24 closed, not 8" % len(shut)
# Full: a new client is closed too, before any answer.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
try:
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
except (BrokenPipeError, ConnectionResetError):
    pass  # closed already
assert closed(s, 10), "a client over max_connections was served"
for s in socks:
    s.close()
print("ok: 16 of 24 connections kept, the rest closed at once")
PY
# Room again once they are gone.
for _ in $(seq 1 50); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
ctl status >/dev/null || fail "no room after the clients left"
[ "$(grep -c 'client connections open (max_connections); closing new ones' \
    "$LOG")" = 1 ] || fail "not one warning for 9 refused connections"
ok "max_connections: the others closed at once, one warning"

python3 - "$SOCK" <<'PY' || fail "http_request_timeout"
import socket, sys, threading, time
path = sys.argv[1]
N = 8 << 20
held = []

def trickle(i):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    try:
        s.sendall(b"POST /v1/query HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % N)
        s.sendall(b"x" * (N - 40))
        # A byte every half second: never idle, never whole (20 s).
        for _ in range(39):
            s.sendall(b"x")
            time.sleep(0.5)
        held.append(i)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()

ts = [threading.Thread(target=trickle, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert not held, "trickling clients %s were held to the end" % held

# Idle between two requests on one connection for longer than
# http_request_timeout: idleness is http_timeout's.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(30)
req = b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"
for i in range(2):
    if i:
        time.sleep(3)
    s.sendall(req)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        assert d, "keep-alive connection closed (request %d)" % i
        buf += d
    assert b" 200 " in buf.split(b"\r\n")[0], buf[:100]
    head, body = buf.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n")
             if l.lower().startswith(b"content-length:")][0])
    while len(body) < n:
        body += s.recv(4096)
s.close()
print("ok: trickling bodies closed; an idle keep-alive connection kept")
PY
grep -q 'did not send its whole request within 2 s (http_request_timeout)' \
    "$LOG" || fail "no warning for the trickling clients"
[ "$(metric reprintd_clients)" = 1 ] ||
    fail "reprintd_clients is $(metric reprintd_clients), not 1"
ok "http_request_timeout: trickling clients closed, idle ones kept"
stop_daemon
