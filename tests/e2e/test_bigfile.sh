#!/usr/bin/env bash
# max_file_size over the extractor's default text limit (8 MiB) is what
# it says: a 9 MiB plain text is stored with max_file_size = 16M (it was
# refused as "too large" whatever the setting), one over 16M is not, until
# the limit is raised.
source "$(dirname "$0")/lib.sh"

printf 'max_file_size = 16M\nnosync = true\n' >"$TMP/r.conf"
start_daemon --config "$TMP/r.conf"
# Words from a seeded generator: text, not one line repeated.
words() {
	python3 - "$1" <<'PY'
import random, sys
r = random.Random(7)
syll = ["ka", "lo", "mer", "tin", "sa", "vel", "dor", "ni", "pra", "ust"]
out, n, target = [], 0, int(sys.argv[1])
while n < target:
    line = " ".join("".join(r.choice(syll) for _ in range(r.randint(1, 3)))
                    for _ in range(12)) + ".\n"
    out.append(line)
    n += len(line)
sys.stdout.write("".join(out))
PY
}
words $((9 * 1024 * 1024)) | drop "$WATCH/nine.txt"
words $((17 * 1024 * 1024)) | drop "$WATCH/seventeen.txt"
wait_for documents 1
grep -q "stored nine.txt" "$LOG" || fail "nine.txt: $(grep nine "$LOG")"
wait_log "rejected seventeen.txt: too large" ||
    fail "seventeen.txt: $(grep seventeen "$LOG")"
ok "a 9 MiB text under max_file_size = 16M is stored, 17 MiB is not"

# The limit raised and SIGHUP: the file rejected as too large is read
# again (nothing else would: it is not written again).
grep -q "rejected seventeen.txt: too large (17825[0-9]* bytes; max_file_size is 16777216)" "$LOG" ||
    fail "the reason names the setting: $(grep 'rejected seventeen' "$LOG")"
printf 'max_file_size = 32M\nnosync = true\n' >"$TMP/r.conf"
kill -HUP "$PID"
wait_log "max_file_size raised: 1 files rejected as too large are read again" ||
    fail "no re-read: $(tail -n 3 "$LOG")"
wait_for documents 2
grep -q "stored seventeen.txt" "$LOG" || fail "seventeen.txt not stored"
ok "raising max_file_size reads the files it rejected again"
