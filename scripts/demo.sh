#!/usr/bin/env bash
# scripts/demo.sh - quick start: install build dependencies if missing,
# build reprintd into build/, and run it in the foreground on a fresh copy
# of the sample articles in demo/articles. Ctrl-C stops it.
#
# Extra arguments go to reprintd (e.g. scripts/demo.sh -v).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/deps.sh
. scripts/deps.sh

deps_install build
cmake_configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

# Start from scratch every time so the demo shows the same pairs.
rm -rf demo/inbox demo/state demo/reprintd.sock
mkdir -p demo/inbox demo/state
cp -R demo/articles/. demo/inbox/
# The start-up scan takes files in mtime order, so make the stories at the
# top level older than the wire/ and partner-site/ copies: they arrive
# first and are reported as the originals (see demo/README.md).
find demo/inbox -mindepth 1 -maxdepth 1 -type f -exec touch -d '2 hours ago' {} +
find demo/inbox -mindepth 2 -type f -exec touch -d '1 hour ago' {} +

cat <<MSG

reprintd is starting on demo/inbox (state in demo/state).
The expected pairs are listed in demo/README.md.
From another terminal, in $root:

  ./build/daemon/reprintctl --socket demo/reprintd.sock pairs
  ./build/daemon/reprintctl --socket demo/reprintd.sock status
  curl --unix-socket demo/reprintd.sock http://localhost/v1/pairs

Drop more .txt files into demo/inbox/ to see them checked as they arrive.
Press Ctrl-C here to stop the daemon.

MSG

exec ./build/daemon/reprintd --watch demo/inbox --state demo/state \
	--socket demo/reprintd.sock "$@"
