#!/bin/sh
# The meson tests of the browser modules in web/, run from the source tree:
#   run.sh test        their unit tests (node's test runner)
#   run.sh typecheck   tsc on their JSDoc types (TypeScript from node_modules: npm ci)
#   run.sh types       the checked-in web/types/*.d.ts are what tsc generates from the
#                      JSDoc now (regenerate them with: npm run types)
#   run.sh package     npm pack web/ (the package dictabridge-web), install the tarball into
#                      a scratch project and compile tests/web/package/app.ts against it
#                      with strict
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v node >/dev/null ||
	{ echo "run.sh: node is missing (./dev.sh test installs it)" >&2; exit 1; }
need_tsc() {
	[ -x node_modules/.bin/tsc ] ||
		{ echo "run.sh: TypeScript is missing: run npm ci (./dev.sh test does)" >&2; exit 1; }
}
scratch() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
}
case "${1:-}" in
test)
	exec node --test tests/web/*.test.mjs
	;;
typecheck)
	need_tsc
	exec node_modules/.bin/tsc -p tsconfig.json
	;;
types)
	need_tsc
	scratch
	node_modules/.bin/tsc -p tsconfig.types.json --outDir "$tmp"
	if ! diff -ru web/types "$tmp"; then
		echo "run.sh: web/types/ differs from what the JSDoc generates: run npm run types" >&2
		exit 1
	fi
	echo "web/types/ matches the JSDoc"
	exit 0
	;;
package)
	need_tsc
	scratch
	(cd web && npm pack --silent --pack-destination "$tmp" >/dev/null)
	tarball=$(ls "$tmp"/dictabridge-web-*.tgz)
	listing=$(tar -tzf "$tarball" | sort | tr '\n' ' ')
	want="package/dictabridge.js package/package.json package/radpair-relay.js package/types/dictabridge.d.ts package/types/radpair-relay.d.ts "
	[ "$listing" = "$want" ] ||
		{ echo "run.sh: the package holds: $listing; expected: $want" >&2; exit 1; }
	mkdir "$tmp/app"
	cp tests/web/package/app.ts tests/web/package/tsconfig.json "$tmp/app/"
	printf '{"name": "scratch", "private": true, "type": "module"}\n' >"$tmp/app/package.json"
	(cd "$tmp/app" && npm install --silent --offline --no-audit --no-fund "$tarball")
	"$root/node_modules/.bin/tsc" -p "$tmp/app/tsconfig.json"
	echo "$(basename "$tarball"): installed and compiled against with strict"
	exit 0
	;;
esac
echo "usage: run.sh test | typecheck | types | package" >&2
exit 2
