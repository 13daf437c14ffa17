#!/bin/sh
# usage: check-udev-rules.sh RULES GEN
#
# Checks the generated udev rule file RULES against the device table as GEN --list
# reports it: every unit has exactly one rule line, no rule line names anything else, and
# every rule line grants uaccess and starts the user service.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RULES GEN" >&2
	exit 2
fi
rules=$1
gen=$2
. "$(dirname "$0")/../checks.sh"

pairs=
listed() {
	pairs=$("$gen" --list) && [ -n "$pairs" ]
}
check "'$gen --list' succeeds and lists units" listed

# The rule lines of one unit, or of every unit without an argument.
rule_lines() {
	grep -e 'idVendor' -e 'idProduct' "$rules" | grep -F -e "${1:-}" || true
}

for pair in $pairs; do
	vid=${pair%%:*}
	pid=${pair#*:}
	n=$(rule_lines "ATTRS{idVendor}==\"$vid\", ATTRS{idProduct}==\"$pid\"" | wc -l)
	check "$pair has exactly one rule line (found $n)" test "$n" -eq 1
done

in_table() {
	printf '%s\n' "$pairs" | grep -q -x -F -e "$1"
}

has() {
	case $1 in *"$2"*) return 0 ;; *) return 1 ;; esac
}

# Read from a file, not a pipe, so the counters survive the loop.
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
rule_lines >"$tmp"
while IFS= read -r line; do
	pair=$(printf '%s\n' "$line" |
	       sed -n 's/.*ATTRS{idVendor}=="\([0-9a-f]*\)", ATTRS{idProduct}=="\([0-9a-f]*\)".*/\1:\2/p')
	check "rule line names a unit of the table: $line" in_table "${pair:-none}"
	check "rule line has TAG+=\"uaccess\": $line" has "$line" 'TAG+="uaccess"'
	check "rule line wants the user service: $line" has "$line" \
	      'ENV{SYSTEMD_USER_WANTS}+="dictabridge.service"'
done <"$tmp"

verdict
