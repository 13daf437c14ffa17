#!/bin/sh
# Runs the browser tests: the demo page in headless Chromium (Debian's chromium, driven by
# playwright-core from npm) against the real daemon and devices emulated with umockdev.
# Usage: tests/browser/run.sh [pytest args...]
# DICTABRIDGED names the daemon binary (default: build/daemon/dictabridged);
# DICTABRIDGE_ARTIFACTS the folder for the screenshots (default: build/test-artifacts).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
: "${DICTABRIDGED:=$root/build/daemon/dictabridged}"
export DICTABRIDGED
if [ ! -d node_modules/playwright-core ]; then
	echo "tests/browser: node_modules/playwright-core is missing: run 'npm ci'" >&2
	exit 1
fi
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
exec umockdev-wrapper "$PYTHON" -m pytest -q -s -p no:cacheprovider tests/browser "$@"
