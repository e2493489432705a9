#!/usr/bin/env bash
# GET /v1/pairs is streamed (review finding 4): one small feed of 5,000
# identical items makes ~40,000 pairs, a 16 MB reply. Built whole it took
# ~150 MB of the daemon's memory per request, and more for each client that
# asked and did not read. Now: 8 clients ask and do not read, one reads
# the whole list, and the daemon's peak memory (VmHWM, which also counts
# the store's pages it maps) grows by less than 64 MiB. The list is whole,
# in (a, b) order, each pair once, and reprintctl and curl read it.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }

# Under ASan, freed memory waits in a quarantine (256 MB) before reuse:
# every row's JSON would count. A small one here (as test_crash.sh, an
# ASan run is told by ASAN_OPTIONS).
if [ -n "${ASAN_OPTIONS:-}" ]; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=1"
fi

CONF=$TMP/reprintd.conf
cat >"$CONF" <<'CF'
nosync = true
http_timeout = 30
CF
python3 - "$WATCH/same.jsonl" <<'PY'
import json, sys
text = ("The council approved the new budget on Tuesday after a long "
        "debate about road repairs and school funding in the district.")
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        f.write(json.dumps({"title": "t%d" % i, "text": text}) + "\n")
PY
start_daemon --config "$CONF"
for _ in $(seq 1 100); do
	[ "$(status_field documents)" = 5000 ] && break
	sleep 0.2
done
wait_for documents 5000
npairs=$(status_field pairs)
[ "$npairs" -gt 30000 ] || fail "only $npairs pairs"
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$PID/status"; }
h0=$(hwm)

python3 - "$SOCK" "$npairs" <<'PY' || fail "the streamed list"
import json, socket, sys, time
path, npairs = sys.argv[1], int(sys.argv[2])

def ask(version):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(60)
    s.sendall(b"GET /v1/pairs HTTP/%s\r\nHost: x\r\n\r\n" % version)
    return s

# Clients that ask and do not read: each holds what is queued for it.
idle = [ask(b"1.1") for _ in range(8)]
time.sleep(2)
# HTTP/1.0: the body ends when the daemon closes.
s = ask(b"1.0")
buf = b""
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    buf += d
s.close()
head, body = buf.split(b"\r\n\r\n", 1)
assert b" 200 " in head.split(b"\r\n")[0], head
pairs = json.loads(body)["pairs"]
ids = [(p["a_id"], p["b_id"]) for p in pairs]
assert len(pairs) == npairs, (len(pairs), npairs)
assert ids == sorted(set(ids)), "not in (a, b) order, or repeated"
assert all(a < b for a, b in ids)
for c in idle:
    c.close()
print("ok: %d pairs, %d bytes, while 8 clients did not read" %
      (len(pairs), len(body)))
PY
h1=$(hwm)
[ $((h1 - h0)) -lt 65536 ] ||
    fail "VmHWM grew from $h0 kB to $h1 kB for one list and 8 slow readers"
ok "pairs streamed: VmHWM ${h0} -> ${h1} kB for a list of $npairs pairs"

# The clients of before: chunked replies for reprintctl and curl.
[ "$(ctl pairs --json | wc -l)" = "$npairs" ] || fail "reprintctl pairs"
[ "$(ctl pairs --relation exact --json | wc -l)" = "$npairs" ] ||
    fail "reprintctl pairs --relation exact"
[ -z "$(ctl pairs --relation excerpt --json)" ] ||
    fail "reprintctl pairs --relation excerpt"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" \
    'http://localhost/v1/pairs?relation=near_duplicate')
[ "$code" = 200 ] && [ "$(cat "$TMP/body")" = '{"pairs":[]}' ] ||
    fail "pairs of no row: $code $(cat "$TMP/body")"
curl -sf --unix-socket "$SOCK" http://localhost/v1/pairs |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["pairs"]))' \
    >"$TMP/n" || fail "curl /v1/pairs"
[ "$(cat "$TMP/n")" = "$npairs" ] || fail "curl: $(cat "$TMP/n") pairs"
code=$(curl -s -I -o "$TMP/head" -w '%{http_code}' --unix-socket "$SOCK" \
    http://localhost/v1/pairs)
[ "$code" = 200 ] || fail "HEAD /v1/pairs: $code"
ok "reprintctl and curl read the streamed list; HEAD"

# Clients that hang up in the middle of the list.
python3 - "$SOCK" <<'PY' || fail "hang-ups"
import socket, sys
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"GET /v1/pairs HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(1000 * (i + 1))
    s.close()
PY
[ "$(status_field pairs)" = "$npairs" ] || fail "daemon after hang-ups"
[ "$(metric reprintd_clients)" = 1 ] ||
    fail "reprintd_clients $(metric reprintd_clients) after the hang-ups"
stop_daemon
ok "clients hanging up mid-list; clean shutdown"
