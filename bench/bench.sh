#!/usr/bin/env bash
# bench.sh - reprintd's benchmark (issue 4; docs/performance.md).
#
# Generates a corpus with reprintd-gen, then measures on this machine, in
# one run:
#   1. the stages alone and the read-only baseline (reprintd-bench-stages)
#   2. `reprintd --once` backfill, durable (default) and with nosync = true:
#      articles/s, MB/s, peak RSS, store bytes per article
#   3. live ingest: the daemon runs on the durable store, M more files are
#      written into the watched tree, time until /v1/status counts them
#   4. latency of GET /v1/matches and POST /v1/query with 1, 8, 64 clients
# and prints a table and one JSON line (also written to $BENCH_WORK/result.json).
#
# Everything is bounded in time and stops by itself; only Unix sockets.
#
# Settings (environment, or the flags in brackets):
#   BENCH_N [-n]        articles in the corpus (10000; try 100000, 1000000)
#   BENCH_LIVE [-l]     files dropped into the running daemon (N/10, max 5000)
#   BENCH_SIZE [-b]     mean article size, bytes (5000)
#   BENCH_SEED [-s]     generator seed (1)
#   BENCH_WORK [-w]     work directory (a new one under ${TMPDIR:-/tmp});
#                       emptied first, removed at the end unless BENCH_KEEP=1
#   BENCH_STAGE_DOCS    documents for the in-memory stages (20000)
#   BENCH_QUERY_N       requests per query level (matches 5000, query 1000)
#   BENCH_STEP_TIMEOUT  limit for each daemon run, seconds (scaled from N)
#   BENCH_PIN           1 (default): for the latencies, the daemon on the
#                       last CPU and the load client on the others; 0: not
#   REPRINTD, REPRINTD_GEN, REPRINTD_BENCH_STAGES, REPRINTD_BENCH_QUERY:
#                       the binaries (default: ./build/... next to this file)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build}
N=${BENCH_N:-10000}
LIVE=${BENCH_LIVE:-}
SIZE=${BENCH_SIZE:-5000}
SEED=${BENCH_SEED:-1}
WORK=${BENCH_WORK:-}

while getopts "n:l:b:s:w:h" opt; do
	case $opt in
	n) N=$OPTARG ;;
	l) LIVE=$OPTARG ;;
	b) SIZE=$OPTARG ;;
	s) SEED=$OPTARG ;;
	w) WORK=$OPTARG ;;
	h) sed -n '2,29p' "$0"; exit 0 ;;
	*) exit 1 ;;
	esac
done
if [ -z "$LIVE" ]; then
	LIVE=$((N / 10))
	[ "$LIVE" -le 5000 ] || LIVE=5000
	[ "$LIVE" -ge 1 ] || LIVE=1
fi
STAGE_DOCS=${BENCH_STAGE_DOCS:-20000}
QN_MATCHES=${BENCH_QUERY_N:-5000}
QN_QUERY=${BENCH_QUERY_N:-1000}
# A daemon run may take this long (generous: 100 articles/s + 2 min).
STEP=${BENCH_STEP_TIMEOUT:-$((N / 100 + 120))}

REPRINTD=${REPRINTD:-$build/daemon/reprintd}
GEN=${REPRINTD_GEN:-$build/bench/reprintd-gen}
STAGES=${REPRINTD_BENCH_STAGES:-$build/bench/reprintd-bench-stages}
QUERY=${REPRINTD_BENCH_QUERY:-$build/bench/reprintd-bench-query}
for b in "$REPRINTD" "$GEN" "$STAGES" "$QUERY"; do
	[ -x "$b" ] || { echo "bench: $b: not built (cmake" \
	    "-DREPRINTD_BENCH=ON; ninja)" >&2; exit 1; }
done

if [ -z "$WORK" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/reprintd-bench.XXXXXX")
else
	rm -rf "$WORK"
	mkdir -p "$WORK"
fi
WORK=$(cd "$WORK" && pwd)
CORPUS=$WORK/corpus
MANIFEST=$WORK/corpus.manifest.tsv
SOCK=$WORK/s.sock
if [ ${#SOCK} -ge 100 ]; then
	SOCK=$(mktemp -u /tmp/reprintd-bench.XXXXXX.sock)
fi
PID=
POLLER=
KILLER=

cleanup() {
	local rc=$?
	[ -z "$POLLER" ] || kill "$POLLER" 2>/dev/null || true
	[ -z "$KILLER" ] || kill "$KILLER" 2>/dev/null || true
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		sleep 1
		kill -KILL "$PID" 2>/dev/null || true
	fi
	rm -f "$SOCK"
	if [ -z "${BENCH_KEEP:-}" ]; then
		rm -rf "$CORPUS" "$WORK"/state-* "$WORK"/corpus.stores.*
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
# secs_since t0 [t1]: seconds between two now()s, with a leading zero
# (bc's ".5" is not JSON).
secs_since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
# fdiv a b [digits]
fdiv() { awk -v a="$1" -v b="$2" -v d="${3:-0}" \
    'BEGIN { if (b > 0) printf "%.*f", d, a / b; else printf "0" }'; }
# JSON field of a one-line JSON object: jget json key.sub
jget() { python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k, {}) if isinstance(v, dict) else {}
print(v if v != {} else 0)' "$1" "$2"; }

# rss_poll pid out: record the peak VmHWM and RssAnon (kB) of pid.
rss_poll() {
	local pid=$1 out=$2 hwm=0 anon=0 h a
	while kill -0 "$pid" 2>/dev/null; do
		h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" \
		    2>/dev/null || true)
		a=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" \
		    2>/dev/null || true)
		[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
		[ -z "$a" ] || [ "$a" -le "$anon" ] || anon=$a
		echo "$hwm $anon" >"$out"
		sleep 0.1
	done
}

machine_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine_nproc=$(nproc)
say "work directory $WORK; $N articles, $LIVE live, ~$SIZE bytes;" \
    "$machine_nproc x $machine_cpu"

# ---- 0. Corpus -------------------------------------------------------------
t0=$(now)
"$GEN" -q -n "$N" -s "$SEED" -b "$SIZE" -m "$MANIFEST" "$CORPUS"
t1=$(now)
corpus_bytes=$(awk -F'\t' 'NR > 1 { s += $4 } END { print s + 0 }' \
    "$MANIFEST")
say "generated $N files, $corpus_bytes bytes in $(secs_since "$t0" "$t1") s"

# ---- 1. Stages and the read-only baseline ----------------------------------
say "stages (first $STAGE_DOCS documents in memory; each store pass <= 20 s)"
"$STAGES" -n "$STAGE_DOCS" -T 20 -t "$WORK" "$CORPUS" >"$WORK/stages.txt"
cat "$WORK/stages.txt" >&2
stages_json=$(tail -n 1 "$WORK/stages.txt")
read_warm=$(jget "$stages_json" read_warm.articles_per_s)
read_warm_mbs=$(jget "$stages_json" read_warm.mb_per_s)
read_cold=$(jget "$stages_json" read_cold.articles_per_s)

# ---- 2. Backfill -------------------------------------------------------------
# backfill name config-extra: sets bf_secs bf_docs bf_hwm bf_anon bf_store
backfill() {
	local name=$1 extra=$2 state=$WORK/state-$1 conf=$WORK/$1.conf rc=0
	mkdir -p "$state"
	printf 'watch = %s\nstate = %s\n%s\n' "$CORPUS" "$state" "$extra" \
	    >"$conf"
	# Evict the corpus from the page cache as for read_cold? No: the
	# baseline we compare with is the warm read, and the stage pass
	# above has just read every file.
	t0=$(now)
	# Not under timeout(1): the RSS poller must see reprintd itself.
	"$REPRINTD" --once -f "$conf" >"$WORK/$name.log" 2>&1 &
	PID=$!
	rss_poll "$PID" "$WORK/$name.rss" &
	POLLER=$!
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$STEP" &
		s=$!
		wait "$s"
		kill -TERM "$PID" 2>/dev/null
	) &
	KILLER=$!
	wait "$PID" || rc=$?
	t1=$(now)
	PID=
	kill "$KILLER" 2>/dev/null || true
	wait "$KILLER" 2>/dev/null || true
	KILLER=
	wait "$POLLER" 2>/dev/null || true
	POLLER=
	if [ "$rc" -ne 0 ]; then
		say "backfill $name failed (exit $rc; 143 = timeout ${STEP}s)"
		tail -n 5 "$WORK/$name.log" >&2
		exit 1
	fi
	bf_secs=$(secs_since "$t0" "$t1")
	bf_docs=$(sed -n 's/.*done: \([0-9]*\) documents stored.*/\1/p' \
	    "$WORK/$name.log" | tail -n 1)
	read -r bf_hwm bf_anon <"$WORK/$name.rss"
	bf_store=$(du -sB1 "$state" | cut -f1)
	# Pages in use (the file grows in steps of the map size).
	read -r _ bf_used _ < <("$STAGES" -U "$state")
}

say "backfill, durable (fsync per batch: the default)"
backfill durable ""
d_secs=$bf_secs d_docs=$bf_docs d_hwm=$bf_hwm d_anon=$bf_anon
d_store=$bf_store d_used=$bf_used
d_rate=$(fdiv "$d_docs" "$d_secs")
d_mbs=$(fdiv "$corpus_bytes" "$(echo "$d_secs * 1000000" | bc)" 2)
d_bpa=$(fdiv "$d_used" "$d_docs")
say "  $d_docs docs in $d_secs s: $d_rate articles/s, $d_mbs MB/s," \
    "peak RSS $d_hwm kB (anon $d_anon kB), store $d_used bytes in use" \
    "($d_bpa/article), $d_store on disk"

say "backfill, nosync = true"
backfill nosync "nosync = true"
n_secs=$bf_secs n_docs=$bf_docs n_hwm=$bf_hwm n_anon=$bf_anon
n_rate=$(fdiv "$n_docs" "$n_secs")
n_mbs=$(fdiv "$corpus_bytes" "$(echo "$n_secs * 1000000" | bc)" 2)
say "  $n_docs docs in $n_secs s: $n_rate articles/s, $n_mbs MB/s," \
    "peak RSS $n_hwm kB (anon $n_anon kB)"
rm -rf "$WORK/state-nosync"

# ---- 3. Live ingest ------------------------------------------------------------
status() { "$QUERY" -S "$SOCK" status 2>/dev/null || echo "- - -"; }
# wait_docs want secs [idle]: until documents >= want and pending = 0 (and,
# with idle, the index is not merging)
wait_docs() {
	local want=$1 limit=$2 idle=${3:-} start docs pending merging
	start=$(now)
	while :; do
		read -r docs pending merging < <(status)
		if [ "$docs" != "-" ] && [ "$docs" -ge "$want" ] &&
		    [ "$pending" = 0 ] &&
		    { [ -z "$idle" ] || [ "$merging" = 0 ]; }; then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || { say "reprintd died"; return 1; }
		if [ "$(echo "$(now) - $start > $limit" | bc)" = 1 ]; then
			say "timeout: $docs documents, $pending pending"
			return 1
		fi
		sleep 0.02
	done
}

say "live: daemon on the durable store, then $LIVE files written"
"$REPRINTD" -f "$WORK/durable.conf" --socket "$SOCK" \
    >"$WORK/live.log" 2>&1 &
PID=$!
# No RSS poller here: its forks (two awk a tenth of a second) delayed the
# requests in flight by a millisecond each, about 1% of them at 8
# clients, which is the p99; the peak is the kernel's VmHWM, read at the
# end.
# Start-up rescans the tree (every file unchanged).
t0=$(now)
wait_docs "$d_docs" "$STEP"
rescan_secs=$(secs_since "$t0")
t0=$(now)
"$GEN" -q -k "$N" -n "$LIVE" -s "$SEED" -b "$SIZE" -m "$MANIFEST" "$CORPUS"
t_written=$(now)
wait_docs "$((d_docs + LIVE))" "$STEP"
t1=$(now)
live_secs=$(secs_since "$t0" "$t1")
live_rate=$(fdiv "$LIVE" "$live_secs")
live_bytes=$(awk -F'\t' -v n="$N" 'NR > n + 1 { s += $4 } END { print s + 0 }' \
    "$MANIFEST")
live_mbs=$(fdiv "$live_bytes" "$(echo "$live_secs * 1000000" | bc)" 2)
# The longest wait between two documents stored, from the daemon's log
# (millisecond stamps): an index merge holds ingest meanwhile.
live_pause_ms=$(python3 -c 'import sys
from datetime import datetime as D
t = [D.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
     for l in open(sys.argv[1]) if l.split()[1:2] == ["stored"]]
print(round(1000 * max([b - a for a, b in zip(t, t[1:])] or [0])))' \
    "$WORK/live.log")
say "  rescan of $d_docs unchanged files: $rescan_secs s; $LIVE new files" \
    "written in $(secs_since "$t0" "$t_written") s, all stored after" \
    "$live_secs s: $live_rate articles/s; longest pause $live_pause_ms ms"

# ---- 4. Query latency ----------------------------------------------------------
# Matches of random stored paths (reprints and originals); query bodies
# from random files of the corpus (so most have matches). The index's
# merges after the live files finish first. With two CPUs or more the
# daemon gets the last one and the load client the others (BENCH_PIN=0:
# not): on a 2-CPU machine, 8 or 64 client threads on the daemon's CPU
# measured the scheduler (p99 4-8 ms at 1M) more than the daemon (1 ms).
wait_docs "$((d_docs + LIVE))" "$STEP" idle
cut -f1 "$MANIFEST" | sed 1d >"$WORK/paths.txt"
shuf -n 2000 --random-source=<(yes) "$WORK/paths.txt" >"$WORK/bodies.txt"
ncpu=$(nproc)
QPIN=()
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$ncpu" -ge 2 ] &&
    command -v taskset >/dev/null; then
	taskset -a -p -c "$((ncpu - 1))" "$PID" >/dev/null
	QPIN=(taskset -c "0-$((ncpu - 2))")
	say "queries: daemon pinned to CPU $((ncpu - 1)), clients on" \
	    "CPU 0-$((ncpu - 2))"
fi
# Dirty pages of the steps above written out first, and one unrecorded
# pass over the paths, so that the figures are the daemon's steady state
# rather than the kernel's writeback or a first touch of cold pages.
sync
"${QPIN[@]}" "$QUERY" -S "$SOCK" -c 8 -n "$QN_MATCHES" -t 20 \
    -m "$((N + LIVE))" -l "$WORK/paths.txt" -L warmup matches >/dev/null
query_json=
for mode in matches query; do
	for c in 1 8 64; do
		if [ "$mode" = matches ]; then n=$QN_MATCHES; else n=$QN_QUERY; fi
		if [ "$mode" = matches ]; then
			list=$WORK/paths.txt
		else
			list=$WORK/bodies.txt
		fi
		out=$("${QPIN[@]}" "$QUERY" -S "$SOCK" -c "$c" -n "$n" -t 20 \
		    -m "$((N + LIVE))" -l "$list" -r "$CORPUS" -L "${N}" "$mode")
		echo "$out" | head -n 1 >&2
		j=$(echo "$out" | tail -n 1)
		query_json=${query_json:+$query_json,}$j
		eval "q_${mode}_${c}_p50=$(jget "$j" p50_us)"
		eval "q_${mode}_${c}_p99=$(jget "$j" p99_us)"
		eval "q_${mode}_${c}_p999=$(jget "$j" p999_us)"
		eval "q_${mode}_${c}_rps=$(jget "$j" rps)"
	done
done
l_hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$PID/status")
l_anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$PID/status")
kill -TERM "$PID"
wait "$PID" || true
PID=
total_docs=$((d_docs + LIVE))
read -r _ used_now _ < <("$STAGES" -U "$WORK/state-durable")
bpa_now=$(fdiv "$used_now" "$total_docs")

# ---- Report --------------------------------------------------------------------
ratio=$(fdiv "$read_warm" "$d_rate" 1)
st() { jget "$stages_json" "$1.articles_per_s"; }
{
	echo
	echo "reprintd benchmark: $N articles (~$SIZE bytes, seed $SEED)," \
	    "$(date -u +%Y-%m-%dT%H:%MZ), $machine_nproc x $machine_cpu"
	printf '%-44s %14s %10s\n' "figure" "articles/s" "MB/s"
	printf '%-44s %14s %10s\n' "read-only baseline, warm (cold)" \
	    "$read_warm ($read_cold)" "$read_warm_mbs"
	printf '%-44s %14s %10s\n' "backfill --once, durable (fsync)" \
	    "$d_rate" "$d_mbs"
	printf '%-44s %14s %10s\n' "backfill --once, nosync = true" \
	    "$n_rate" "$n_mbs"
	printf '%-44s %14s %10s\n' "live ingest, $LIVE files dropped, durable" \
	    "$live_rate" "$live_mbs"
	printf '%-44s %14s\n' "  longest pause between two stored, ms" \
	    "$live_pause_ms"
	printf '%-44s %14s\n' "  stage normalize" "$(st normalize)"
	printf '%-44s %14s\n' "  stage char 8-grams" "$(st grams)"
	printf '%-44s %14s\n' "  stage winnow" "$(st winnow)"
	printf '%-44s %14s\n' "  stage sort-unique grams" "$(st unique)"
	printf '%-44s %14s\n' "  stage MinHash+SimHash (signature)" \
	    "$(st signature)"
	printf '%-44s %14s\n' "  stage match_doc_build (all features)" \
	    "$(st build)"
	printf '%-44s %14s\n' "  stage store puts x100/txn, nosync" \
	    "$(st put_nosync)"
	printf '%-44s %14s\n' "  stage store puts x100/txn, fsync" \
	    "$(st put_fsync)"
	printf '%-44s %14s\n' "  stage detect_run (candidates+verify)" \
	    "$(st detect)"
	echo "backfill / read-only baseline: ${ratio}x slower"
	echo "peak RSS: backfill durable $d_hwm kB (anon $d_anon kB)," \
	    "nosync $n_hwm kB (anon $n_anon kB), live+queries $l_hwm kB" \
	    "(anon now $l_anon kB)"
	echo "store: $d_used bytes in use after backfill ($d_bpa" \
	    "bytes/article; $d_store on disk), $bpa_now bytes/article" \
	    "after live"
	printf '%-8s %8s %10s %10s %10s %10s\n' endpoint clients p50_us \
	    p99_us p999_us req/s
	for mode in matches query; do
		for c in 1 8 64; do
			eval "printf '%-8s %8s %10s %10s %10s %10s\n' $mode $c \
			    \$q_${mode}_${c}_p50 \$q_${mode}_${c}_p99 \
			    \$q_${mode}_${c}_p999 \$q_${mode}_${c}_rps"
		done
	done
} | tee "$WORK/result.txt"

json="{\"bench\":\"reprintd\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
json+=",\"nproc\":$machine_nproc,\"cpu\":\"$machine_cpu\""
json+=",\"articles\":$N,\"live\":$LIVE,\"mean_bytes\":$SIZE,\"seed\":$SEED"
json+=",\"corpus_bytes\":$corpus_bytes"
json+=",\"read_warm_articles_per_s\":$read_warm"
json+=",\"read_cold_articles_per_s\":$read_cold"
json+=",\"backfill_durable\":{\"docs\":$d_docs,\"secs\":$d_secs"
json+=",\"articles_per_s\":$d_rate,\"mb_per_s\":$d_mbs"
json+=",\"peak_rss_kb\":$d_hwm,\"peak_anon_kb\":$d_anon}"
json+=",\"backfill_nosync\":{\"docs\":$n_docs,\"secs\":$n_secs"
json+=",\"articles_per_s\":$n_rate,\"mb_per_s\":$n_mbs"
json+=",\"peak_rss_kb\":$n_hwm,\"peak_anon_kb\":$n_anon}"
json+=",\"backfill_vs_read\":$ratio"
json+=",\"live\":{\"files\":$LIVE,\"secs\":$live_secs"
json+=",\"articles_per_s\":$live_rate,\"mb_per_s\":$live_mbs"
json+=",\"rescan_secs\":$rescan_secs"
json+=",\"longest_pause_ms\":$live_pause_ms"
json+=",\"peak_rss_kb\":$l_hwm,\"anon_kb\":$l_anon}"
json+=",\"store_bytes_used\":$d_used,\"store_bytes_disk\":$d_store"
json+=",\"store_bytes_per_article\":$d_bpa"
json+=",\"stages\":$stages_json,\"query\":[$query_json]}"
echo "$json" | tee "$WORK/result.json"
