#!/bin/sh
# Stands in for the daemon binary (DICTABRIDGED) in the lifecycle scenario: the same
# arguments, run under memcheck. DICTABRIDGE_REAL_DAEMON is the binary itself;
# DICTABRIDGE_VALGRIND_LOG is where memcheck writes its report.
here=$(cd "$(dirname "$0")" && pwd)
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=97 --num-callers=40 \
	--track-origins=yes --suppressions="$here/third-party.supp" \
	--log-file="${DICTABRIDGE_VALGRIND_LOG:?}" \
	"${DICTABRIDGE_REAL_DAEMON:?}" "$@"
