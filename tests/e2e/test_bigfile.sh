#!/usr/bin/env bash
# max_file_size over the extractor's default text limit (8 MiB) is what
# it says: a 9 MiB plain text is stored with max_file_size = 16M (it was
# refused as "too large" whatever the setting), one over 16M is not.
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
