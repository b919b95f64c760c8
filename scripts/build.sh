#!/bin/bash
# Builds hako (build/hako) and, for the tests, a copy with AddressSanitizer and UBSan (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=release -Db_ndebug=false >/dev/null
# ninja's output only when something fails
quiet_ninja() { local log; log=$(ninja -C "$1" 2>&1) || { printf '%s\n' "$log" >&2; return 1; }; }
quiet_ninja build
if [ "${1:-}" = --with-asan ]; then
	[ -f build-asan/build.ninja ] ||
		CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dfuzz=true >/dev/null
	quiet_ninja build-asan
fi
