#!/bin/sh
# Runs the browser tests: the demo page in headless Chromium (Debian's chromium, driven by
# playwright-core from npm) against the real daemon and devices emulated with umockdev.
# Usage: tests/browser/run.sh [pytest args...]
# DICTABRIDGE_ARTIFACTS names the folder for the screenshots (default: build/test-artifacts).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -d "$root/node_modules/playwright-core" ]; then
	echo "tests/browser: node_modules/playwright-core is missing: run 'npm ci'" >&2
	exit 1
fi
exec "$root/tests/umockdev-pytest.sh" tests/browser -s "$@"
