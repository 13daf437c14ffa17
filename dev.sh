#!/bin/sh
# Developer entry point (the README's quick start):
#   ./dev.sh run [DAEMON OPTIONS]   install what is missing, build, run dictabridged
#                                   serving this tree's web/ (the demo page: /demo/)
#   ./dev.sh test                   install what is missing, build, run every test,
#                                   then again under AddressSanitizer + UBSan, then the
#                                   fuzzers, valgrind and the package check
#   ./dev.sh soak [N]               the integration and browser suites N times (default 3)
#                                   in a row under CPU load; lists every test that failed
set -eu
cd "$(dirname "$0")"

BUILD_DEPS="meson ninja-build pkg-config gcc libhidapi-dev libwebsockets-dev libcjson-dev libudev-dev
            portaudio19-dev libasound2-dev libpulse-dev libspeexdsp-dev"
TEST_DEPS="umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi python3-pytest python3-pytest-timeout
           python3-websockets iproute2
           systemd udev man-db git dpkg-dev debhelper lintian fakeroot chromium
           libasound2-plugins pulseaudio pulseaudio-utils alsa-utils
           pipewire pipewire-pulse wireplumber dbus-daemon python3-numpy firefox-esr
           clang libclang-rt-14-dev valgrind"
# For the tests of web/ (see npm_ci). Installed only when npm is missing: NodeSource's
# nodejs package carries npm and conflicts with Debian's npm package.
NODE_DEPS="nodejs npm"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages among "$@" that are not installed yet.
need() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing$missing" >&2
	as_root apt-get update -qq
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# Installs the npm packages of package-lock.json (TypeScript for the type check of web/)
# when node_modules is missing or was installed from another lock file.
npm_ci() {
	cmp -s package-lock.json node_modules/.dev-sh-lock.json && return 0
	npm ci --no-audit --no-fund
	cp package-lock.json node_modules/.dev-sh-lock.json
}

build() { # build DIR [MESON OPTIONS]
	dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"
	ninja -C "$dir"
}

case "${1:-}" in
run)
	shift
	need $BUILD_DEPS
	build build
	# The daemon logs the demo page's address, with the port actually in use.
	# The source tree's web/, not the install location compiled into the program: edits
	# show up on reload. A --web-root among the arguments comes later and wins.
	exec ./build/daemon/dictabridged --web-root "$PWD/web" "$@"
	;;
test)
	need $BUILD_DEPS $TEST_DEPS
	command -v npm >/dev/null 2>&1 || need $NODE_DEPS
	npm_ci
	build build
	meson test -C build --print-errorlogs
	# The daemon runs under umockdev's preload, which must come after ASan's runtime.
	build build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
	ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-sanitize --print-errorlogs
	# libFuzzer on the decoders, the message and config parsers and Host/Origin matching
	# (30 s each, saved crash inputs replayed first), then a whole daemon lifecycle under
	# valgrind's memcheck.
	tests/fuzz/run.sh 30
	tests/valgrind/lifecycle.sh
	# The Debian package: build, lintian, contents; as root (CI) also install, check,
	# remove and purge it on this machine.
	if [ "$(id -u)" = 0 ]; then
		DICTABRIDGE_DEB_INSTALL=1 tests/package/check-deb.sh
	else
		tests/package/check-deb.sh
	fi
	echo "dev.sh: every test passed (normal and ASan+UBSan builds, fuzzing, valgrind, package)" >&2
	;;
soak)
	rounds=${2:-3}
	case "$rounds" in ''|*[!0-9]*|0) echo "usage: ./dev.sh soak [ROUNDS >= 1]" >&2; exit 2 ;; esac
	need $BUILD_DEPS $TEST_DEPS stress-ng
	command -v npm >/dev/null 2>&1 || need $NODE_DEPS
	npm_ci
	build build
	out=build/soak
	rm -rf "$out"; mkdir -p "$out"
	# Two CPU hogs at 70 %: the tests then meet the scheduling delays of a busy workstation
	# (a PACS viewer, a browser) rather than an idle machine. Ended with this script.
	stress-ng --cpu "$(nproc)" --cpu-load 70 --quiet >"$out/stress.log" 2>&1 &
	stress=$!
	trap 'kill "$stress" 2>/dev/null' EXIT INT TERM
	i=1
	while [ "$i" -le "$rounds" ]; do
		for suite in integration browser; do
			echo "dev.sh soak: round $i/$rounds, $suite" >&2
			# A failing round is recorded, not fatal: the point is to see every failure.
			"tests/$suite/run.sh" --junitxml="$out/$i-$suite.xml" \
				>"$out/$i-$suite.log" 2>&1 || true
			tail -n 1 "$out/$i-$suite.log" >&2
		done
		i=$((i + 1))
	done
	/usr/bin/python3 tests/soak-report.py "$out"/*.xml
	;;
*)
	echo "usage: ./dev.sh run [dictabridged options] | ./dev.sh test | ./dev.sh soak [N]" >&2
	exit 2
	;;
esac
