#!/bin/sh
# The meson tests of the browser modules in web/, run from the source tree:
#   run.sh test        their unit tests (node's test runner)
#   run.sh typecheck   tsc on their JSDoc types (TypeScript from node_modules: npm ci)
set -eu
cd "$(dirname "$0")/../.."
command -v node >/dev/null ||
	{ echo "run.sh: node is missing (./dev.sh test installs it)" >&2; exit 1; }
case "$1" in
test)
	exec node --test tests/web/*.test.mjs
	;;
typecheck)
	[ -x node_modules/.bin/tsc ] ||
		{ echo "run.sh: TypeScript is missing: run npm ci (./dev.sh test does)" >&2; exit 1; }
	exec npx --no-install tsc -p tsconfig.json
	;;
esac
echo "usage: run.sh test | typecheck" >&2
exit 2
