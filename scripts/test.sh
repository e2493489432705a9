#!/usr/bin/env bash
# scripts/test.sh - install build dependencies if missing, then build and
# run every test twice: a normal build in build/ and an AddressSanitizer +
# UBSan build in build-asan/. Exits non-zero if any build or test fails.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
. scripts/deps.sh

deps_install test

jobs=$(nproc)
failed=()

cmake_configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
echo "== tests: build/"
(cd build && ctest --output-on-failure) || failed+=(build)

cmake_configure build-asan -DCMAKE_BUILD_TYPE=Debug -DREPRINTD_SANITIZE=ON
cmake --build build-asan -j"$jobs"
echo "== tests: build-asan/ (ASan + UBSan)"
(cd build-asan &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure) || failed+=(build-asan)

if [ "${#failed[@]}" -ne 0 ]; then
	echo "FAILED: tests in ${failed[*]}" >&2
	exit 1
fi
echo "all tests passed in build/ and build-asan/"
