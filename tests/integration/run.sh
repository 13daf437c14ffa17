#!/bin/sh
# Runs the integration tests: the real daemon against devices emulated with umockdev.
# Usage: tests/integration/run.sh [pytest args...]
exec "$(dirname "$0")/../umockdev-pytest.sh" tests/integration "$@"
