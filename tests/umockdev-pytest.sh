#!/bin/sh
# Runs pytest on DIR (or on the test files named) under umockdev-wrapper, so that the
# daemons the tests start see the emulated devices.
# Usage: tests/umockdev-pytest.sh DIR [pytest args...]
# DICTABRIDGED names the daemon binary (default: build/daemon/dictabridged).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=$1
shift
: "${DICTABRIDGED:=$root/build/daemon/dictabridged}"
export DICTABRIDGED
# Debian's interpreter: it has the GObject introspection bindings (gi) umockdev needs.
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
# Test files or node ids among the arguments replace DIR: given both, pytest collected the
# named tests twice, and the daemons of the second round ran long after the first.
for arg in "$@"; do
	case $arg in
	-*) ;;
	*) if [ -e "${arg%%::*}" ]; then dir=; fi ;;
	esac
done
exec umockdev-wrapper "$PYTHON" -m pytest -q -p no:cacheprovider ${dir:+"$dir"} "$@"
