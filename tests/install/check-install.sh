#!/bin/sh
# usage: check-install.sh BUILDDIR GEN
#
# Runs `meson install` of BUILDDIR into a temporary DESTDIR and checks what a workstation
# gets: every installed file is there, the systemd user unit passes `systemd-analyze
# verify` and starts the installed daemon, the example configuration is valid for that
# daemon, the manual pages format without warnings and document every option of --help,
# and the udev rule covers exactly the device table (GEN is dictabridge-udev-gen).
#
# The install paths come from the environment, set by tests/install/meson.build:
# DB_PREFIX, DB_BINDIR, DB_SYSCONFDIR, DB_MANDIR, DB_DATADIR (absolute), and
# DB_SOURCE_ROOT, the source tree whose web/ (the demo page and the host-page library)
# must be installed file for file under DB_DATADIR/dictabridge/web.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILDDIR GEN" >&2
	exit 2
fi
builddir=$1
gen=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../checks.sh"

dest=$(mktemp -d) || exit 1
trap 'rm -rf "$dest"' EXIT

install_tree() {
	meson install -C "$builddir" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat "$dest.log" >&2
	rm -f "$dest.log"
	return $rc
}
check "meson install --destdir succeeds" install_tree

root=$dest
bin=$root$DB_BINDIR/dictabridged
cli=$root$DB_BINDIR/dictabridge
rules=$root$DB_PREFIX/lib/udev/rules.d/70-dictabridge.rules
unit=$root$DB_PREFIX/lib/systemd/user/dictabridge.service
example=$root$DB_SYSCONFDIR/dictabridge/config.json.example
man_daemon=$root$DB_MANDIR/man1/dictabridged.1
man_cli=$root$DB_MANDIR/man1/dictabridge.1
web=$root$DB_DATADIR/dictabridge/web
# web/ is JavaScript written alongside the C code: its file list comes from the source
# tree, not from this script, so a new file there needs no change here.
web_files=$(cd "$DB_SOURCE_ROOT" && [ -d web ] && find web -type f | sed 's|^web/||' | sort)

for f in "$rules" "$unit" "$example" "$man_daemon"; do
	check "installed: ${f#"$root"}" test -f "$f"
done
check "installed and executable: ${bin#"$root"}" test -x "$bin"
same_web_file() { # same_web_file REL: installed with the source tree's content
	cmp -s "$DB_SOURCE_ROOT/web/$1" "$web/$1"
}
for f in $web_files; do
	check "installed: ${web#"$root"}/$f (same as web/$f)" same_web_file "$f"
done
# The command-line client and its manual page come together or not at all.
if [ -e "$cli" ] || [ -e "$man_cli" ]; then
	check "installed and executable: ${cli#"$root"}" test -x "$cli"
	check "installed: ${man_cli#"$root"}" test -f "$man_cli"
fi

# Nothing else: a file installed by mistake shows up here.
unexpected() {
	{
		printf '%s\n' "${bin#"$root"}" "${cli#"$root"}" "${rules#"$root"}" \
			"${unit#"$root"}" "${example#"$root"}" "${man_daemon#"$root"}" \
			"${man_cli#"$root"}"
		for f in $web_files; do printf '%s\n' "${web#"$root"}/$f"; done
	} >"$dest.expected"
	find "$root" -type f | sed "s|^$root||" | grep -v -x -F -f "$dest.expected"
	rm -f "$dest.expected"
}
check "no unexpected file installed: $(unexpected | tr '\n' ' ')" test -z "$(unexpected)"

# --- The user unit ---------------------------------------------------------------------
key() { # key NAME: the values of NAME= in the unit, one a line
	sed -n "s/^$1=//p" "$unit"
}
check "unit: ExecStart= is the installed daemon ($DB_BINDIR/dictabridged)" \
      test "$(key ExecStart)" = "$DB_BINDIR/dictabridged"
check "unit: ExecReload= sends SIGHUP" test "$(key ExecReload)" = '/bin/kill -HUP $MAINPID'
check "unit: wanted by default.target" test "$(key WantedBy)" = default.target
check "unit: Restart=on-failure" test "$(key Restart)" = on-failure
check "unit: NoNewPrivileges=yes" test "$(key NoNewPrivileges)" = yes
check "unit: SystemCallFilter=@system-service" test "$(key SystemCallFilter | head -n 1)" = @system-service
# These drop capabilities from the bounding set, which an unprivileged user manager cannot
# do: the service would fail with 218/CAPABILITIES. PrivateDevices= would hide hidraw.
for k in CapabilityBoundingSet ProtectKernelModules ProtectKernelLogs ProtectClock \
         PrivateDevices PrivateUsers DevicePolicy; do
	check "unit: no $k= (breaks a user service or hides hidraw)" test -z "$(key "$k")"
done

# systemd-analyze verify checks that ExecStart= exists and is executable, so it runs on a
# copy whose ExecStart= points into DESTDIR. Unknown keys or sections are only warnings
# there, so any message about the unit is a failure too.
verify_unit() {
	vdir=$(mktemp -d) || return 1
	sed "s|^ExecStart=$DB_BINDIR/|ExecStart=$root$DB_BINDIR/|" "$unit" >"$vdir/dictabridge.service"
	out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$vdir/dictabridge.service" 2>&1)
	rc=$?
	rm -rf "$vdir"
	[ -n "$out" ] && printf '%s\n' "$out" >&2
	[ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q dictabridge
}
if command -v systemd-analyze >/dev/null 2>&1; then
	check "systemd-analyze verify passes on the installed unit" verify_unit
else
	check "systemd-analyze is installed (the systemd package)" false
fi

# --- The programs and the configuration example --------------------------------------
check "installed dictabridged --version runs" sh -c "'$bin' --version | grep -q 'dictabridged '"
# The daemon's compiled-in web root is where web/ was installed.
check "dictabridged --help names the installed web root ($DB_DATADIR/dictabridge/web)" \
      sh -c "'$bin' --help | grep -q -F '(default $DB_DATADIR/dictabridge/web)'"
valid_example() {
	out=$("$bin" --config "$example" --check-config 2>&1)
	rc=$?
	[ $rc -eq 0 ] || printf '%s\n' "$out" >&2
	[ $rc -eq 0 ]
}
check "the example configuration is valid (dictabridged --check-config)" valid_example

# --- The manual pages ------------------------------------------------------------------
man_clean() { # man_clean PAGE: formats with no groff/man warning
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null)
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	[ -z "$out" ]
}
documents_options() { # documents_OPTIONS PAGE PROGRAM: every --option of --help is in PAGE
	text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -E UTF-8 -l "$1" 2>/dev/null | sed 's/\xe2\x80\x90/-/g')
	opts=$("$2" --help | grep -o -e '--[a-z][a-z-]*' | sort -u)
	[ -n "$opts" ] || return 1
	ok=0
	for o in $opts; do
		printf '%s\n' "$text" | grep -q -e "$o" || { echo "  ${1##*/}: $o is not documented" >&2; ok=1; }
	done
	return $ok
}
if command -v man >/dev/null 2>&1; then
	for page in "$man_daemon" "$man_cli"; do
		[ -f "$page" ] || continue
		check "${page##*/} formats without warnings" man_clean "$page"
	done
	check "dictabridged.1 documents every option of dictabridged --help" \
	      documents_options "$man_daemon" "$bin"
	if [ -x "$cli" ]; then
		check "dictabridge.1 documents every option of dictabridge --help" \
		      documents_options "$man_cli" "$cli"
	fi
else
	check "man is installed (the man-db package)" false
fi

# --- The udev rule ---------------------------------------------------------------------
check "the installed udev rule covers exactly the device table" \
      sh "$here/../unit/check-udev-rules.sh" "$rules" "$gen"

verdict
