#!/usr/bin/env python3
"""reprintd_abuse.py - bad clients on reprintd's socket, and a good one.

usage: reprintd_abuse.py SOCKET [--conns N] [--hold S] [--slow K]
                         [--body-mb M] [--bound S]

While N idle connections are held open for S seconds and K clients send
a request one byte a second, a normal client asks GET /v1/status every
0.2 s; the worst time it waited is printed and must stay under --bound.
Then: a body of M MiB (expects 413), malformed requests (expects a 4xx
or a closed connection, never a hang), oversized headers, and clients
that close the connection in the middle of a response. Prints one line
per check; exits 1 on the first failure. Only the standard library.
"""
import argparse
import socket
import sys
import threading
import time

FAILED = []


def fail(msg):
    FAILED.append(msg)
    print("FAIL: " + msg, flush=True)


def conn(path, timeout=10.0):
    # A blocking connect: on a full backlog it waits for room (a
    # non-blocking one fails at once with EAGAIN on a Unix socket).
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(timeout)
    return s


def status_line(s):
    """Read until the status line is complete; '' if closed first."""
    buf = b""
    while b"\r\n" not in buf:
        try:
            d = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return ""
        if not d:
            return ""
        buf += d
    return buf.split(b"\r\n", 1)[0].decode("latin-1")


def get_status(path, timeout):
    t = time.monotonic()
    s = conn(path, timeout)
    try:
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        line = status_line(s)
    finally:
        s.close()
    return line, time.monotonic() - t


def normal_client(path, stop, worst, errors):
    while not stop.is_set():
        try:
            line, dt = get_status(path, 30)
            worst[0] = max(worst[0], dt)
            if " 200 " not in line:
                errors.append(line or "closed")
        except OSError as e:
            errors.append(str(e))
        time.sleep(0.2)


def slow_client(path, stop, done):
    req = b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    try:
        s = conn(path, 5)
        for b in req:
            if stop.is_set():
                break
            s.sendall(bytes([b]))
            time.sleep(1)
        s.close()
    except OSError:
        pass  # closed by the daemon: fine
    done.append(1)


def hold_many(path, n, hold, opened):
    socks = []
    t = time.monotonic()
    while len(socks) < n and time.monotonic() - t < hold:
        # Non-blocking: when the backlog is full (the daemon is out of
        # descriptors), try again a little later, until `hold` is up.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            socks.append(s)
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
        except OSError:
            s.close()
            break
    opened[0] = len(socks)
    time.sleep(max(0, hold - (time.monotonic() - t)))
    for s in socks:
        s.close()


def expect_4xx_or_close(path, data, what):
    try:
        s = conn(path, 15)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        line = status_line(s)
        s.close()
    except OSError as e:
        fail("%s: %s" % (what, e))
        return
    code = line.split(" ")[1] if line.count(" ") >= 1 else ""
    if line and not code.startswith("4"):
        fail("%s: answered %r" % (what, line))
    else:
        print("ok: %s -> %s" % (what, line or "connection closed"),
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=6)
    ap.add_argument("--slow", type=int, default=3)
    ap.add_argument("--body-mb", type=int, default=10)
    ap.add_argument("--bound", type=float, default=10)
    ap.add_argument("--min-open", type=int, default=0,
                    help="connections that must open (default: all)")
    ap.add_argument("--conns-only", action="store_true",
                    help="only the connections, slow and normal clients")
    a = ap.parse_args()
    path = a.socket

    # ---- Many idle connections and slow clients, a normal one meanwhile.
    stop = threading.Event()
    worst, errors, opened, slow_done = [0.0], [], [0], []
    threads = [threading.Thread(target=hold_many,
                                args=(path, a.conns, a.hold, opened))]
    threads += [threading.Thread(target=slow_client,
                                 args=(path, stop, slow_done))
                for _ in range(a.slow)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    nc = threading.Thread(target=normal_client,
                          args=(path, stop, worst, errors))
    nc.start()
    threads[0].join()
    time.sleep(1)
    stop.set()
    nc.join()
    for t in threads[1:]:
        t.join()
    print("ok: %d idle connections held %.0f s, %d slow clients; normal "
          "client's worst wait %.2f s" % (opened[0], a.hold, a.slow,
                                          worst[0]), flush=True)
    if opened[0] < (a.min_open or a.conns):
        fail("only %d of %d connections opened" % (opened[0], a.conns))
    if errors:
        fail("normal client: %d errors, first %s" % (len(errors), errors[0]))
    if worst[0] > a.bound:
        fail("normal client waited %.2f s (bound %.0f s)" % (worst[0],
                                                               a.bound))
    if a.conns_only:
        sys.exit(1 if FAILED else 0)

    # ---- A body over the limit.
    s = conn(path, 30)
    n = a.body_mb << 20
    head = ("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
            "Content-Type: text/plain\r\n\r\n" % n).encode()
    line = ""
    try:
        s.sendall(head)
        chunk = b"word " * 13107
        sent = 0
        while sent < n:
            sent += s.send(chunk[:min(len(chunk), n - sent)])
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    line = status_line(s)
    s.close()
    if " 413 " in line:
        print("ok: %d MiB body -> %s" % (a.body_mb, line), flush=True)
    else:
        fail("%d MiB body: %r" % (a.body_mb, line))

    # ---- Malformed requests.
    expect_4xx_or_close(path, b"GARBAGE\r\n\r\n", "garbage request line")
    expect_4xx_or_close(path, b"GET /v1/status HTTP/9.9\r\n\r\n",
                        "unknown HTTP version")
    expect_4xx_or_close(path, b"\x00\xff\xfe binary\r\n\r\n", "binary bytes")
    expect_4xx_or_close(path, b"POST /v1/query HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: -5\r\n\r\n", "negative length")
    expect_4xx_or_close(path, b"POST /v1/query HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 5\r\nContent-Length: 50\r\n\r\n"
                        b"hello", "two Content-Length headers")
    expect_4xx_or_close(path, b"GET /v1/status HTTP/1.1\r\nHost: x\r\n" +
                        b"X-A: b\r\n" * 20000 + b"\r\n", "20,000 headers")
    expect_4xx_or_close(path, b"GET /v1/status HTTP/1.1\r\nX: " +
                        b"a" * 100000 + b"\r\n\r\n", "100 kB header")
    expect_4xx_or_close(path, b"GET /" + b"a" * 100000 +
                        b" HTTP/1.1\r\n\r\n", "100 kB URI")
    for q in (b"../../etc/passwd", b"%2e%2e/%2e%2e/etc/passwd",
              b"/etc/passwd", b"a/../../x"):
        expect_4xx_or_close(path, b"GET /v1/matches?path=" + q +
                            b" HTTP/1.1\r\nHost: x\r\n\r\n",
                            "path " + q.decode())

    # ---- Clients that go away in the middle of a response.
    for _ in range(50):
        s = conn(path, 5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.sendall(b"GET /v1/pairs HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(10)
        s.close()
    print("ok: 50 clients closed mid-response", flush=True)

    line, dt = get_status(path, 10)
    if " 200 " not in line:
        fail("status after all that: %r" % line)
    else:
        print("ok: status still answers (%.3f s)" % dt, flush=True)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
