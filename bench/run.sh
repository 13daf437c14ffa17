#!/bin/sh
# Prints the benchmark table (README "Benchmarks"). Builds first; needs the test tools that
# `./dev.sh test` installs. Arguments go to bench.py (--reports N, --idle-seconds S,
# --audio-seconds S, --load-audio-seconds S, --cycles N, --hello N), except
# --before REV: builds that revision's daemon in a scratch directory (git archive, meson)
# and measures its audio stream and connect → hello in the same run, next to this build's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f build/build.ninja ] || meson setup build
ninja -C build >/dev/null

before=
for arg in "$@"; do
	shift
	if [ "$before" = next ]; then
		before=$arg
		continue
	fi
	if [ "$arg" = --before ]; then
		before=next
		continue
	fi
	set -- "$@" "$arg"
done
if [ "$before" = next ]; then
	echo "usage: $0 [--before REV] [bench.py options]" >&2
	exit 2
fi
if [ -n "$before" ]; then
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	mkdir "$scratch/src"
	git -C "$root" archive "$before" | tar -x -C "$scratch/src"
	meson setup "$scratch/build" "$scratch/src" >/dev/null
	ninja -C "$scratch/build" daemon/dictabridged >/dev/null
	set -- "$@" --before-daemon "$scratch/build/daemon/dictabridged" \
		--before-label "$(git -C "$root" rev-parse --short "$before")"
fi

export DICTABRIDGED="$root/build/daemon/dictabridged" PYTHONDONTWRITEBYTECODE=1
umockdev-wrapper /usr/bin/python3 bench/bench.py "$@"
