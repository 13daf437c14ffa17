#!/bin/sh
# usage: tests/package/check-deb.sh
#
# Builds the Debian package from a temporary copy of the work tree (dpkg-buildpackage
# writes its results to the parent directory, so the checkout's parent is left alone),
# runs lintian (an error fails), and checks the package's contents and maintainer scripts.
#
# As root with DICTABRIDGE_DEB_INSTALL=1 (./dev.sh test sets it when run as root, as on
# CI) it also installs the package on this machine and checks the installed files, the
# programs, the udev rule and the user unit, then `dpkg -r` (only the conffile and the
# global enablement symlink may stay) and `dpkg -P` (nothing may stay). If another version
# of dictabridge is installed, that part is skipped: it never replaces a real install.
#
# Needs dpkg-dev, debhelper, lintian, the Build-Depends of debian/control and git.
set -u
cd "$(dirname "$0")/../.."
src=$(pwd)
. "$src/tests/checks.sh"
finish() {
	verdict
	exit
}
say() { echo "check-deb: $*" >&2; }

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"

# The work tree as git sees it: tracked files plus new files that are not ignored (so
# uncommitted work is packaged too), without build directories.
copy_tree() {
	git -C "$src" ls-files -z -c -o --exclude-standard |
		(cd "$src" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -xf - -C "$work/src"
}
check "copy the work tree (git ls-files)" copy_tree

version=$(cd "$work/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$work/dictabridge_${version}_${arch}.deb
changes=$work/dictabridge_${version}_${arch}.changes

build() {
	t0=$(date +%s)
	(cd "$work/src" &&
	 DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" \
	 dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 60 "$work/build.log" >&2
	else
		say "dpkg-buildpackage -b: $(($(date +%s) - t0)) s"
	fi
	[ $rc -eq 0 ] && [ -f "$deb" ]
}
check "dpkg-buildpackage -b -us -uc builds $(basename "$deb")" build
[ -f "$deb" ] || finish

# lintian: every tag is shown; an error (E:) fails. Warnings are listed in the README.
run_lintian() {
	lintian --display-info --fail-on error "$changes" >"$work/lintian.log" 2>&1
	rc=$?
	grep -v -e '^running with root privileges' "$work/lintian.log" | sed 's/^/  lintian: /' >&2
	[ $rc -eq 0 ] && ! grep -q '^E:' "$work/lintian.log"
}
check "lintian reports no error" run_lintian

# --- Contents --------------------------------------------------------------------------
expected="./usr/bin/dictabridged
./usr/bin/dictabridge
./usr/lib/udev/rules.d/70-dictabridge.rules
./usr/lib/systemd/user/dictabridge.service
./etc/dictabridge/config.json.example
./usr/share/man/man1/dictabridged.1.gz
./usr/share/man/man1/dictabridge.1.gz
./usr/share/doc/dictabridge/copyright
./usr/share/doc/dictabridge/changelog.Debian.gz
./usr/share/lintian/overrides/dictabridge"
# The web root (the demo page and the host-page library): whatever web/ of the packaged
# tree holds, file for file, so a new file there needs no change here.
web_files=$(cd "$work/src" && [ -d web ] && find web -type f | sort)
for f in $web_files; do
	expected="$expected
./usr/share/dictabridge/$f"
done
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort >"$work/files"
for f in $expected; do
	check "package holds $f" grep -q -x -F -e "$f" "$work/files"
done
others=$(printf '%s\n' "$expected" | sort | comm -23 "$work/files" -)
check "package holds nothing else (found: $(echo $others))" test -z "$others"

mkdir "$work/ctrl"
dpkg-deb -e "$deb" "$work/ctrl"
check "the example configuration is a conffile" \
      grep -q -x -F /etc/dictabridge/config.json.example "$work/ctrl/conffiles"
check "postinst enables the user unit globally (deb-systemd-helper --user enable)" \
      grep -q "deb-systemd-helper --user enable 'dictabridge.service'" "$work/ctrl/postinst"
check "postrm cleans the enablement up on purge" \
      grep -q "deb-systemd-helper --user purge 'dictabridge.service'" "$work/ctrl/postrm"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libhidapi-hidraw0 libwebsockets libcjson1 libudev1; do
	check "Depends names $lib ($depends)" sh -c "printf '%s' '$depends' | grep -q '$lib'"
done

# --- Install, remove, purge (root + DICTABRIDGE_DEB_INSTALL=1 only) ---------------------
if [ "$(id -u)" != 0 ] || [ "${DICTABRIDGE_DEB_INSTALL:-0}" != 1 ]; then
	say "not installing the package (needs root and DICTABRIDGE_DEB_INSTALL=1)"
	finish
fi
before=$(dpkg-query -W -f='${Status} ${Version}' dictabridge 2>/dev/null || true)
case $before in
*" installed $version" | "" | *not-installed*) ;;
*)
	say "dictabridge ($before) is installed on this machine: not replacing it"
	finish
	;;
esac

install_deb() {
	if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$work/dpkg.log" 2>&1
	fi
	rc=$?
	[ $rc -eq 0 ] || cat "$work/dpkg.log" >&2
	dpkg-query -W -f='${Status}' dictabridge 2>/dev/null | grep -q "install ok installed"
}
check "dpkg -i installs the package" install_deb
dpkg-query -W -f='${Status}' dictabridge 2>/dev/null | grep -q "install ok installed" || finish
dpkg -L dictabridge >"$work/listed"

for f in $expected; do
	check "installed: ${f#.}" test -f "${f#.}"
done
same_web_file() { # same_web_file REL: installed with the packaged tree's content
	cmp -s "$work/src/$1" "/usr/share/dictabridge/$1"
}
for f in $web_files; do
	check "installed /usr/share/dictabridge/$f is web/${f#web/} of the tree" same_web_file "$f"
done
check "dictabridged --version runs" sh -c "dictabridged --version | grep -q 'dictabridged ${version%-*}'"
check "dictabridge --version runs" sh -c "dictabridge --version >/dev/null"
valid_example() {
	out=$(dictabridged --config /etc/dictabridge/config.json.example --check-config 2>&1) ||
		{ printf '%s\n' "$out" >&2; return 1; }
}
check "the installed example configuration is valid (dictabridged --check-config)" valid_example
check "the unit is enabled globally (default.target.wants)" \
      test "$(readlink /etc/systemd/user/default.target.wants/dictabridge.service)" = \
           /usr/lib/systemd/user/dictabridge.service
verify_unit() {
	out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	      /usr/lib/systemd/user/dictabridge.service 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" >&2
	[ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q dictabridge
}
check "systemd-analyze verify passes on the installed unit" verify_unit
man_clean() {
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null)
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	[ -z "$out" ]
}
for page in dictabridged dictabridge; do
	check "man $page formats without warnings" man_clean "/usr/share/man/man1/$page.1.gz"
done

# The rule covers exactly the device table (the generator of the package build lists it).
gen=$(ls "$work"/src/obj-*/udev/dictabridge-udev-gen 2>/dev/null | head -n 1)
check "the installed udev rule covers exactly the device table" sh -c \
      "sh tests/unit/check-udev-rules.sh /usr/lib/udev/rules.d/70-dictabridge.rules '${gen:-none}' >&2"
# udevadm test parses every rules file and reports "FILE:LINE message" for a bad line.
# (udevadm verify does not exist in udev 252; any device will do for the parse.)
rule_parses() {
	out=$(udevadm test --action=add /sys/class/net/lo 2>&1)
	printf '%s\n' "$out" | grep -q 'Reading rules file: .*/70-dictabridge.rules$' || {
		echo "  udevadm test did not read 70-dictabridge.rules" >&2
		return 1
	}
	bad=$(printf '%s\n' "$out" | grep '70-dictabridge.rules:')
	[ -z "$bad" ] || printf '%s\n' "$bad" >&2
	[ -z "$bad" ]
}
if command -v udevadm >/dev/null 2>&1 && [ -e /sys/class/net/lo ]; then
	check "udevadm test parses 70-dictabridge.rules without errors" rule_parses
else
	say "udevadm or /sys/class/net/lo missing: rule parse check not run"
fi

# dpkg -r: only the conffile and the global enablement symlink (removed on purge) stay.
remove_ok() {
	dpkg -r dictabridge >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; return 1; }
	left=""
	while IFS= read -r f; do
		[ -d "$f" ] && continue
		[ -e "$f" ] || [ -L "$f" ] || continue
		case $f in /etc/dictabridge/config.json.example) continue ;; esac
		left="$left $f"
	done <"$work/listed"
	[ -z "$left" ] || echo "  left after dpkg -r:$left" >&2
	[ -z "$left" ] && test -f /etc/dictabridge/config.json.example
}
check "dpkg -r removes everything but /etc/dictabridge/config.json.example" remove_ok
check "dpkg -r leaves the package in config-files state" \
      sh -c "dpkg-query -W -f='\${Status}' dictabridge | grep -q 'config-files'"

purge_ok() {
	dpkg -P dictabridge >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; return 1; }
	left=""
	for f in $(cat "$work/listed") /etc/dictabridge \
	         /etc/systemd/user/default.target.wants/dictabridge.service; do
		[ -d "$f" ] && case $f in /etc/dictabridge) ;; *) continue ;; esac
		if [ -e "$f" ] || [ -L "$f" ]; then left="$left $f"; fi
	done
	[ -z "$left" ] || echo "  left after dpkg -P:$left" >&2
	[ -z "$left" ] && ! dpkg-query -W dictabridge >/dev/null 2>&1
}
check "dpkg -P removes everything, /etc/dictabridge and the enablement included" purge_ok

finish
