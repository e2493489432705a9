#!/usr/bin/env bash
# GET /v1/metrics: the Prometheus text format (0.0.4) with the documented
# families, values that follow the store, and histograms that count the
# requests just made.
source "$(dirname "$0")/lib.sh"

story_bridge | drop "$WATCH/bridge.txt"
story_bridge | drop "$WATCH/wire/bridge.txt"
printf 'bin\0ary' >"$WATCH/photo.txt"
start_daemon
wait_for documents 2
ctl status >/dev/null
ctl pairs >/dev/null

ctl metrics >"$TMP/m.txt" || fail "reprintctl metrics"
python3 - "$TMP/m.txt" <<'PY' || fail "metrics: $(cat "$TMP/m.txt")"
import re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n")
types, samples = {}, {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
for line in text.splitlines():
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ")
        assert name not in types, "two TYPE lines for " + name
        types[name] = typ
        continue
    m = line_re.match(line)
    assert m, "malformed line: %r" % line
    float(m.group(3))
    samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
for name, typ in {"reprintd_documents": "gauge", "reprintd_pending": "gauge",
                  "reprintd_rejected_total": "counter",
                  "reprintd_pairs": "gauge",
                  "reprintd_ingest_seconds": "histogram",
                  "reprintd_ingest_delay_seconds": "histogram",
                  "reprintd_query_seconds": "histogram",
                  "reprintd_store_bytes": "gauge",
                  "reprintd_store_map_bytes": "gauge",
                  "reprintd_store_map_used_bytes": "gauge",
                  "reprintd_store_map_max_bytes": "gauge",
                  "reprintd_inotify_overflows_total": "counter",
                  "reprintd_read_ahead_total": "counter",
                  "reprintd_verify_recent_total": "counter",
                  "reprintd_clients": "gauge",
                  "reprintd_build_info": "gauge"}.items():
    assert types.get(name) == typ, (name, types.get(name))
# Every sample belongs to a family declared before it.
for key in samples:
    base = re.sub(r'(_bucket|_sum|_count)$', '', key.split("{")[0])
    assert base in types or key.split("{")[0] in types, key
assert samples["reprintd_documents"] == 2
assert samples['reprintd_pairs{relation="exact"}'] == 1
assert samples['reprintd_pairs{relation="partial"}'] == 0
assert samples['reprintd_rejected_total{reason="binary"}'] == 1
assert samples["reprintd_store_bytes"] > 0
# The read-ahead thread reads the files ingest has not reached first: of
# three files, each at most once a batch (what a batch did not take is
# read again for the next), so a few at most.
assert 0 <= samples["reprintd_read_ahead_total"] <= 6, samples["reprintd_read_ahead_total"]
# The exact copy is told by its record: no features used.
assert samples["reprintd_verify_recent_total"] == 0, samples["reprintd_verify_recent_total"]
assert 0 < samples["reprintd_store_map_used_bytes"] <= samples["reprintd_store_map_bytes"]
# map_size_max, by default 64 GiB: what the map may double up to.
assert samples["reprintd_store_map_max_bytes"] == 64 << 30, samples["reprintd_store_map_max_bytes"]
assert samples["reprintd_clients"] >= 1  # this request's connection
assert samples['reprintd_build_info{version="0.1.0"}'] == 1
# The status and pairs requests were timed (and the polls of wait_for).
q = samples["reprintd_query_seconds_count"]
assert q >= 2, q
assert samples['reprintd_query_seconds_bucket{le="+Inf"}'] == q
assert samples["reprintd_ingest_seconds_count"] >= 1
# Each of the three files waited from its queueing (the start-up scan) to
# its batch's commit: no longer than the daemon has been up.
d = samples["reprintd_ingest_delay_seconds_count"]
assert d == 3, d
assert samples['reprintd_ingest_delay_seconds_bucket{le="+Inf"}'] == d
up = samples["reprintd_up_seconds"]
assert 0 < samples["reprintd_ingest_delay_seconds_sum"] <= 3 * up, \
    (samples["reprintd_ingest_delay_seconds_sum"], up)
# Buckets are cumulative.
b = [v for k, v in samples.items() if k.startswith("reprintd_query_seconds_bucket")]
assert b == sorted(b), b
PY
ok "metrics in the Prometheus text format, with the store's counts"

curl_ok=$(command -v curl || true)
if [ -n "$curl_ok" ]; then
	curl -s -i --unix-socket "$SOCK" http://localhost/v1/metrics >"$TMP/h.txt"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/h.txt" ||
	    fail "content type: $(head -5 "$TMP/h.txt")"
	ok "Content-Type text/plain; version=0.0.4"
fi
stop_daemon

# A restart scans the bad file again: still on record, not a new
# rejection (no count, no second log line, its first time kept).
start_daemon
wait_for documents 2
sleep 0.5
[ "$(grep -c "rejected photo.txt" "$LOG")" = 1 ] ||
    fail "rejected again: $(grep rejected "$LOG")"
[ -z "$(metric 'reprintd_rejected_total{reason="binary"}')" ] ||
    fail "counted again: $(metric 'reprintd_rejected_total{reason="binary"}')"
[ "$(metric reprintd_rejected_files)" = 1 ] || fail "rejected_files"
ok "a restart does not reject a bad file again"

# Written again, still bad: a new rejection.
printf 'other\0binary' >"$WATCH/photo.txt"
for i in $(seq 1 50); do
	[ "$(grep -c "rejected photo.txt" "$LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "rejected photo.txt" "$LOG")" = 2 ] ||
    fail "rewritten bad file: $(grep rejected "$LOG")"
[ "$(metric 'reprintd_rejected_total{reason="binary"}')" = 1 ] ||
    fail "rewritten bad file not counted"
stop_daemon
ok "a bad file written again is rejected again"
