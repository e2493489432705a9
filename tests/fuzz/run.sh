#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and
# run each for SECONDS (default 60), starting from tests/fuzz/corpus/NAME.
# New inputs go to a scratch directory; a crash leaves crash-* files in
# build-fuzz/ and fails the run: copy the file into tests/fuzz/corpus/NAME
# to keep it as a regression test once fixed.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(normalize request store_record extract_html extract_json extract_feed extract_eml)

CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DREPRINTD_FUZZ=ON -DREPRINTD_SANITIZE=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target \
	$(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

status=0
for t in "${targets[@]}"; do
	scratch=$(mktemp -d)
	cp tests/fuzz/corpus/"$t"/* "$scratch"/ 2>/dev/null || true
	echo "== fuzz $t for ${seconds}s"
	if ! (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 \
		./tests/fuzz/fuzz_"$t" -max_total_time="$seconds" \
		-max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$scratch" 2>&1 |
		grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' ); then
		:
	fi
	if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* \
		>/dev/null 2>&1; then
		echo "fuzz $t: FAILED (see build-fuzz/crash-*)" >&2
		status=1
	fi
	rm -rf "$scratch"
done
exit $status
