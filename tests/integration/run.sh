#!/bin/sh
# Runs the integration tests: the real daemon against devices emulated with umockdev.
# Usage: tests/integration/run.sh [pytest args...]
# DICTABRIDGED names the daemon binary (default: build/daemon/dictabridged).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
: "${DICTABRIDGED:=$root/build/daemon/dictabridged}"
export DICTABRIDGED
# Debian's interpreter: it has the GObject introspection bindings (gi) umockdev needs.
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
exec umockdev-wrapper "$PYTHON" -m pytest -q -p no:cacheprovider tests/integration "$@"
