#!/bin/sh
# Prints the benchmark table (README "Benchmarks"). Builds first; needs the test tools that
# `./dev.sh test` installs. Arguments go to bench.py (--reports N, --idle-seconds S,
# --audio-seconds S, --load-audio-seconds S, --cycles N).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f build/build.ninja ] || meson setup build
ninja -C build >/dev/null
export DICTABRIDGED="$root/build/daemon/dictabridged" PYTHONDONTWRITEBYTECODE=1
exec umockdev-wrapper /usr/bin/python3 bench/bench.py "$@"
