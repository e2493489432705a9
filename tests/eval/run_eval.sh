#!/usr/bin/env bash
# Evaluate reprintd on a labeled corpus with the real daemon.
#
#   tests/eval/run_eval.sh CORPUS_DIR [--wrap-html] [score.py options...]
#
# --wrap-html drops every document as NAME.html instead: a web page with a
# news site's boilerplate around it (wrap_html.py). The scores must hold
# (issue 5): the article extraction has to find the text in the page.
#
# CORPUS_DIR holds docs/*.txt (or *.txt directly) and pairs.tsv, and may
# hold truth_original.tsv. Originals (documents that are no variant in
# truth_original.tsv) are dropped first and variants after, as in a real
# inbox; the daemon backfills them with --once in that order (by mtime),
# then serves the result and `reprintctl pairs --json` is scored by
# score.py. Environment: REPRINTD, REPRINTCTL (default: build/daemon/...),
# EVAL_CONFIG (below).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
corpus=${1:?usage: run_eval.sh CORPUS_DIR [--wrap-html] [score options]}
shift
wrap=0
args=()
for a in "$@"; do
	if [ "$a" = --wrap-html ]; then wrap=1; else args+=("$a"); fi
done
set -- "${args[@]+"${args[@]}"}"
reprintd=${REPRINTD:-$top/build/daemon/reprintd}
# EVAL_CONFIG: a reprintd.conf for both runs (e.g. a tiny index_memtable,
# so that the index merges its runs many times during the backfill).
cfg=()
[ -n "${EVAL_CONFIG:-}" ] && cfg=(--config "$EVAL_CONFIG")
reprintctl=${REPRINTCTL:-$top/build/daemon/reprintctl}
docs=$corpus/docs
[ -d "$docs" ] || docs=$corpus

work=$(mktemp -d "${TMPDIR:-/tmp}/reprintd-eval.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/inbox" "$work/state"

# Originals get an older mtime than variants; names break ties.
variants=$work/variants
if [ -f "$corpus/truth_original.tsv" ]; then
	cut -f1 "$corpus/truth_original.tsv" | sort -u >"$variants"
else
	: >"$variants"
fi
ext=txt
if [ "$wrap" = 1 ]; then
	ext=html
	python3 "$here/wrap_html.py" "$docs" "$work/inbox"
fi
n=0
for f in "$docs"/*.txt; do
	name=$(basename "$f" .txt)
	[ "$wrap" = 1 ] || cp "$f" "$work/inbox/"
	if grep -qx "$name" "$variants"; then
		touch -d '2026-01-02 00:00:00' "$work/inbox/$name.$ext"
	else
		touch -d '2026-01-01 00:00:00' "$work/inbox/$name.$ext"
	fi
	n=$((n + 1))
done
echo "eval: $n documents from $corpus (as .$ext)"

start=$(date +%s%N)
"$reprintd" --watch "$work/inbox" --state "$work/state" \
	--socket "$work/sock" ${cfg[@]+"${cfg[@]}"} --once 2>"$work/log"
end=$(date +%s%N)
echo "eval: backfill took $(((end - start) / 1000000)) ms"

"$reprintd" --watch "$work/inbox" --state "$work/state" \
	--socket "$work/sock" ${cfg[@]+"${cfg[@]}"} 2>>"$work/log" &
pid=$!
for _ in $(seq 100); do
	[ -S "$work/sock" ] && "$reprintctl" --socket "$work/sock" status \
		>/dev/null 2>&1 && break
	sleep 0.1
done
"$reprintctl" --socket "$work/sock" pairs --json >"$work/pairs.jsonl"
"$reprintctl" --socket "$work/sock" status --json
[ -z "${EVAL_KEEP_PAIRS:-}" ] || cp "$work/pairs.jsonl" "$EVAL_KEEP_PAIRS"
python3 "$here/score.py" "$corpus" "$work/pairs.jsonl" "$@"
