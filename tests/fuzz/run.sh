#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz/ into build-fuzz/, replays the saved
# regression inputs, then fuzzes every target for SECONDS (default 30) from the seed
# corpora. Prints one line per target and exits non-zero on any crash, leak, timeout
# or broken invariant.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Environment: CC (default clang; needs the libFuzzer runtime, Debian: libclang-rt-14-dev),
# FUZZ_TARGETS (default "devices message config origin utf8 audio_frame").
set -eu

seconds=${1:-30}
case $seconds in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build-fuzz
cc=${CC:-clang}
targets=${FUZZ_TARGETS:-devices message config origin utf8 audio_frame}

# The daemon is built with these warnings as errors too (meson.build), so a harness that
# only builds with a laxer set would hide the same mistakes the project refuses.
warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
# Without no-recover, UBSan prints and carries on, and libFuzzer would not save the input.
san="address,undefined -fno-sanitize-recover=all"
cflags="-std=c17 -D_GNU_SOURCE -g -O1 $warn -I$root"

# Every harness gets every project module: they are small, and a harness that needs one
# more module later then needs no change here.
sources="devices/decode.c devices/names.c devices/pedal.c devices/powermic.c
devices/speechmike.c devices/table.c protocol/audio_frame.c protocol/keymap.c
protocol/client.c protocol/message.c protocol/origin.c protocol/utf8.c daemon/config.c"

max_len_of() {
	case $1 in
	devices) echo 256 ;;     # a row, a model, LED bytes and a few reports
	message) echo 70000 ;;   # just over PM_MAX_MESSAGE_BYTES, to reach the size check
	config) echo 65536 ;;    # far below the 1 MiB limit, but keeps executions fast
	origin) echo 4096 ;;     # a Host, an Origin and a handful of 320-byte patterns
	utf8) echo 1024 ;;       # a log line
	audio_frame) echo 9700 ;; # just over the largest frame (PM_AUDIO_MAX_FRAME_BYTES)
	*) echo 4096 ;;
	esac
}

mkdir -p "$out/obj" "$out/bin"
echo "building into $out"
objs=
for src in $sources; do
	obj=$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	# fuzzer-no-link: coverage instrumentation for project code, libFuzzer's main only
	# in the harness binaries.
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer-no-link,$san -c "$root/$src" -o "$obj"
	objs="$objs $obj"
done
for t in $targets; do
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer,$san "$here/fuzz_$t.c" $objs -lcjson -lm \
		-o "$out/bin/fuzz_$t"
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
summary=
start=$(date +%s)
for t in $targets; do
	bin=$out/bin/fuzz_$t
	log=$out/logs/$t.log
	corpus=$out/corpus/$t
	findings=$out/findings/$t
	max_len=$(max_len_of "$t")
	rm -rf "$corpus" "$findings"
	mkdir -p "$corpus" "$findings" "$out/logs"
	: >"$log"

	# Old findings first: a regression must fail fast, before any time is spent fuzzing.
	set --
	if [ -d "$here/regressions/$t" ]; then
		for f in "$here/regressions/$t"/*; do
			[ -f "$f" ] || continue
			case ${f##*/} in README*) continue ;; esac
			set -- "$@" "$f"
		done
	fi
	replayed="replayed $# saved inputs"
	if [ $# -gt 0 ] && ! "$bin" -rss_limit_mb=2048 -max_len="$max_len" "$@" >>"$log" 2>&1; then
		# Still fuzzed below: a known bug must not hide the next one.
		replayed="$replayed: REGRESSION FAILED, see $log"
		status=1
	fi

	if [ -d "$here/seeds/$t" ]; then
		cp "$here/seeds/$t"/* "$corpus"/ 2>/dev/null || true
	fi
	case $t in
	message)
		# The examples of the protocol document, client and server messages alike.
		n=0
		grep '^{"type":' "$root/protocol/PROTOCOL.md" | while IFS= read -r line; do
			n=$((n + 1))
			printf '%s' "$line" >"$corpus/protocol-md-$n"
		done
		;;
	config)
		cp "$root/doc/config.example.json" "$corpus/config.example.json"
		;;
	esac

	rc=0
	"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$findings/" \
		"$corpus" >>"$log" 2>&1 || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 |
		sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
	found=$(find "$findings" -type f | sort | tr '\n' ' ')
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		status=1
		result="FINDING (exit $rc): ${found:-see $log}"
	else
		result="findings 0"
	fi
	summary="$summary
$t: ${execs:-?} executions, ${cov:-cov ?}, $result ($replayed)"
done

echo "fuzzing took $(($(date +%s) - start)) s; logs in $out/logs$summary"
exit $status
