#!/bin/sh
# Runs pytest on DIR under umockdev-wrapper, so that the daemons the tests start see the
# emulated devices. Usage: tests/umockdev-pytest.sh DIR [pytest args...]
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
exec umockdev-wrapper "$PYTHON" -m pytest -q -p no:cacheprovider "$dir" "$@"
