#!/bin/sh
# A whole daemon lifecycle under valgrind's memcheck (see test_lifecycle.py): fails on any
# memcheck error or definite leak. Builds build/ first; needs valgrind (./dev.sh test
# installs it).
# Usage: tests/valgrind/lifecycle.sh [pytest args...]
# DICTABRIDGE_VALGRIND_SUMMARY=FILE keeps memcheck's full report.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f build/build.ninja ] || meson setup build
ninja -C build >/dev/null
# Memcheck needs the unsanitized binary: ASan and memcheck do not run together.
export DICTABRIDGE_REAL_DAEMON="$root/build/daemon/dictabridged"
export DICTABRIDGED="$root/tests/valgrind/valgrind-daemon.sh"
export DICTABRIDGE_TEST_TIMEOUT=300
# Memcheck makes everything 20-50 times slower: the per-test limit of tests/pytest.ini
# would cut the lifecycle short.
set -- -o timeout=600 "$@"
exec "$root/tests/umockdev-pytest.sh" tests/valgrind -s "$@"
