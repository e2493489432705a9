# shellcheck shell=bash
# scripts/deps.sh - install reprintd's build dependencies on Debian if any
# is missing. Sourced by scripts/demo.sh and scripts/test.sh; defines
# deps_install and does nothing by itself.

# What building reprintd needs (the demo); cmocka because the build
# configures the unit tests too.
REPRINTD_DEPS=(build-essential cmake ninja-build pkg-config libevent-dev
	liblmdb-dev libxxhash-dev libutf8proc-dev libjansson-dev libxml2-dev
	libzstd-dev libcmocka-dev)
# What the tests need besides: systemd (systemd-socket-activate,
# systemd-analyze) and chromium (renders the HTML report) for the
# end-to-end tests, curl and python3 for the test scripts and the
# evaluation, clang and its runtime for the fuzz targets, lmdb-utils
# (mdb_dump) for the kill -9 test's comparison of stores.
REPRINTD_TEST_DEPS=(curl python3 systemd chromium clang libclang-rt-14-dev
	lmdb-utils)

# deps_install build|test: the build's packages, and the tests' too.
deps_install() {
	local want=("${REPRINTD_DEPS[@]}")
	[ "${1:-}" != test ] || want+=("${REPRINTD_TEST_DEPS[@]}")
	if ! command -v dpkg >/dev/null 2>&1; then
		echo "deps: not a Debian system; install these by hand:" >&2
		echo "deps:   ${want[*]}" >&2
		return 0
	fi

	local missing=() pkg
	for pkg in "${want[@]}"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "deps: all build dependencies are installed"
		return 0
	fi

	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "deps: missing ${missing[*]}; run as root or install sudo" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	echo "deps: installing ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
}

# cmake_configure BUILD_DIR [cmake args...]: configure with Ninja, unless
# the directory was already configured (possibly with another generator).
cmake_configure() {
	local dir=$1
	shift
	if [ -f "$dir/CMakeCache.txt" ]; then
		cmake -S . -B "$dir" "$@"
	else
		cmake -S . -B "$dir" -G Ninja "$@"
	fi
}
