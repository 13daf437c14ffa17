#!/bin/sh
# Stands in for the daemon binary (DICTABRIDGED) in the lifecycle scenario: the same
# arguments, run under memcheck. DICTABRIDGE_REAL_DAEMON is the binary itself;
# DICTABRIDGE_VALGRIND_LOG is where memcheck writes its report.
here=$(cd "$(dirname "$0")" && pwd)
# --fair-sched=yes: memcheck runs one thread at a time, and its default lock lets a busy
# thread keep it; under CPU load the capture worker opening a PCM held it for 30 s at a
# time and the daemon's loop did not run at all (no message sent, no pong read), which no
# real scheduler does. A fair lock keeps the loop running beside the worker.
exec valgrind --tool=memcheck --fair-sched=yes --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=97 --num-callers=40 \
	--track-origins=yes --suppressions="$here/third-party.supp" \
	--log-file="${DICTABRIDGE_VALGRIND_LOG:?}" \
	"${DICTABRIDGE_REAL_DAEMON:?}" "$@"
