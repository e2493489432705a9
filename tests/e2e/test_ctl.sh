#!/usr/bin/env bash
# reprintctl itself: which document a FILE argument names (a local file of
# a stored name outside the inbox, a symlink in the inbox, the inbox
# reached through a symlink), usage errors (exit 2, before any request),
# --help and --version on stdout, a query body above the daemon's limit
# and an error answered with HTML instead of JSON.
source "$(dirname "$0")/lib.sh"

CONF=$TMP/reprintd.conf
printf 'nosync = true\nmax_body_size = 4k\n' >"$CONF"
story_bridge | drop "$WATCH/bridge.txt"
story_bridge | drop "$WATCH/wire/bridge_copy.txt"
story_library | drop "$WATCH/library.txt"
# A link inside the inbox to a file of it is no document of its own (its
# target is read under its own name): reprintctl names the target.
ln -s library.txt "$WATCH/link.txt"
start_daemon --config "$CONF"
wait_for documents 3

# rc_of CMD...: the exit status of CMD, with its output in $TMP/out and
# $TMP/err.
rc_of() {
	local rc=0
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	echo "$rc"
}

# A file here of the same name as a stored document, outside the inbox:
# the argument is the stored name.
mkdir "$TMP/elsewhere"
story_orchard >"$TMP/elsewhere/bridge.txt"
(cd "$TMP/elsewhere" && ctl matches bridge.txt --json) >"$TMP/m.json" ||
    fail "matches of a stored name that is also a local file"
grep -q '"path":"wire/bridge_copy.txt"' "$TMP/m.json" ||
    fail "matches bridge.txt: $(cat "$TMP/m.json")"
(cd "$TMP/elsewhere" && ctl explain bridge.txt wire/bridge_copy.txt) |
    grep -q 'Port Aldren' || fail "explain of a stored name and a local file"
# An absolute path outside cannot be a stored name: said so, locally.
[ "$(rc_of ctl matches "$TMP/elsewhere/bridge.txt")" = 1 ] ||
    fail "matches of an absolute path outside the inbox"
grep -q "not under the watched directory" "$TMP/err" ||
    fail "outside message: $(cat "$TMP/err")"
ok "a local file outside the inbox does not hide the stored name"

# The link names its target: from inside the inbox and by a full path.
wait_log "rejected link.txt: symlink into the watched tree: library.txt is read under its own name" ||
    fail "link.txt: $(grep link "$LOG")"
story_library | drop "$WATCH/wire/library_copy.txt"
wait_for documents 4
(cd "$WATCH" && ctl matches link.txt --json) >"$TMP/m.json" ||
    fail "matches link.txt: $(cat "$TMP/err" 2>/dev/null)"
grep -q '"path":"wire/library_copy.txt"' "$TMP/m.json" ||
    fail "matches link.txt answered for another document: $(cat "$TMP/m.json")"
ctl matches "$WATCH/link.txt" --json | grep -q '"path":"wire/library_copy.txt"' ||
    fail "matches \$WATCH/link.txt"
# A link to a file the daemon leaves out (a dotfile) is read as itself.
mkdir "$WATCH/.drafts"
story_orchard >"$WATCH/.drafts/orchard.txt"
ln -s .drafts/orchard.txt "$WATCH/orchard-link.txt"
wait_for documents 5
(cd "$WATCH" && ctl matches orchard-link.txt --json) >/dev/null ||
    fail "matches orchard-link.txt"
ok "a symlink in the inbox names its target, unless the daemon reads it as itself"

# The inbox through a symlink, and a directory of it through one: the
# directory part is resolved.
ln -s "$WATCH" "$TMP/via"
ctl matches "$TMP/via/wire/bridge_copy.txt" --json |
    grep -q '"path":"bridge.txt"' || fail "matches through a linked inbox"
ln -s "$WATCH/wire" "$TMP/wire-link"
ctl matches "$TMP/wire-link/bridge_copy.txt" --json |
    grep -q '"path":"bridge.txt"' || fail "matches through a linked folder"
(cd "$TMP/via/wire" && ctl matches bridge_copy.txt --json) |
    grep -q '"path":"bridge.txt"' || fail "matches from inside a linked inbox"
ok "the watched directory reached through symlinks"

# Usage errors: exit 2, nothing on stdout, the valid values named.
check_usage() {
	local want=$1
	shift
	[ "$(rc_of ctl "$@")" = 2 ] || fail "'$*' did not exit 2"
	[ ! -s "$TMP/out" ] || fail "'$*' wrote to stdout"
	grep -qF -- "$want" "$TMP/err" || fail "'$*': $(cat "$TMP/err")"
}
check_usage \
    'unknown relation "bogus" (exact, near_duplicate, excerpt, partial)' \
    pairs --relation bogus
check_usage 'unknown format "pdf" (text, json, html)' report --format pdf
check_usage "--relation does not apply to status" \
    status --relation exact --since 3d
check_usage "--since does not apply to matches" matches x.txt --since 3d
check_usage "--format does not apply to matches" \
    matches bridge.txt --format json
check_usage "--json does not apply to metrics" metrics --json
check_usage "--json conflicts with --format html" report --json --format html
check_usage "usage: reprintctl" --no-such-option status
ok "bad values and inapplicable options are usage errors"

for h in --help -h; do
	[ "$(rc_of "$REPRINTCTL" "$h")" = 0 ] || fail "$h did not exit 0"
	grep -q "^usage: reprintctl" "$TMP/out" || fail "$h: no usage on stdout"
	[ ! -s "$TMP/err" ] || fail "$h wrote to stderr: $(cat "$TMP/err")"
done
[ "$(rc_of "$REPRINTCTL" --version)" = 0 ] || fail "--version did not exit 0"
[ "$(cat "$TMP/out")" = "reprintctl $(status_field version)" ] ||
    fail "--version: $(cat "$TMP/out")"
ok "--help and --version on stdout"

# Above max_body_size libevent answers 413 itself, with an HTML page.
for _ in 1 2 3 4; do story_bridge; done >"$TMP/big.txt"
size=$(stat -c %s "$TMP/big.txt")
[ "$(rc_of ctl query "$TMP/big.txt")" = 1 ] || fail "query of a big file"
grep -q "big.txt: too large for the daemon ($size bytes" "$TMP/err" ||
    fail "413 message: $(cat "$TMP/err")"
grep -q "max_body_size" "$TMP/err" || fail "413: no setting named"
grep -qi "<html" "$TMP/err" && fail "413: HTML on stderr"
ok "a query above the body limit says so"

# Anything else answered without JSON: the status line, not the page.
python3 - "$TMP/fake.sock" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.recv(65536)
page = b"<html><body><h1>Bad Gateway</h1></body></html>\n"
c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
          b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
          % (len(page), page))
c.close()
PY
fake=$!
for _ in $(seq 1 100); do [ -S "$TMP/fake.sock" ] && break; sleep 0.1; done
rc=$(rc_of "$REPRINTCTL" --socket "$TMP/fake.sock" status)
wait "$fake" || fail "fake server"
[ "$rc" = 1 ] || fail "an HTML error exited $rc"
grep -q "HTTP 502 Bad Gateway" "$TMP/err" || fail "502: $(cat "$TMP/err")"
grep -qi "<html" "$TMP/err" && fail "502: HTML on stderr"
ok "a non-JSON error shows its status line"

stop_daemon
