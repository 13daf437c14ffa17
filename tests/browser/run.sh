#!/bin/sh
# Runs the browser tests: the demo page in headless Chromium (Debian's chromium, driven by
# playwright-core from npm) and Firefox ESR (Debian's firefox-esr, driven by puppeteer-core
# over WebDriver BiDi) against the real daemon and devices emulated with umockdev.
# Usage: tests/browser/run.sh [pytest args...]
# DICTABRIDGE_ARTIFACTS names the folder for the screenshots (default: build/test-artifacts).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
for m in playwright-core puppeteer-core; do
	if [ ! -d "$root/node_modules/$m" ]; then
		echo "tests/browser: node_modules/$m is missing: run 'npm ci'" >&2
		exit 1
	fi
done
exec "$root/tests/umockdev-pytest.sh" tests/browser -s "$@"
