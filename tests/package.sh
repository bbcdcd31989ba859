#!/bin/bash
# tests/package.sh - `make install DESTDIR=... PREFIX=/usr/local` into a
# staging tree (every file, the units' paths, uninstall), then the Debian
# package, for real: built twice
# (dpkg-buildpackage -us -uc -b; the second build one version newer),
# checked with lintian, installed into a fresh Debian 12 image
# (scripts/vm/debian-image.sh: mmdebstrap, cached under build/vm/) booted
# under qemu TCG with its own systemd and Debian 12's stock kernel
# (scripts/vm/boot-image.sh), where:
#
#   boot 1  apt-get install the first .deb: nothing attached by the
#           postinst; a configuration written; systemctl enable --now
#           ntpguard; the NIC and a veth protected (a monlist request never
#           reaches the socket, an allow-listed host's does); reboot
#   boot 2  after the reboot: ntpguard.service ran before
#           network-pre.target, the same policy and allow-list, the veth
#           attached by ntpguard-watch when it appears, monlist dropped;
#           apt-get install the second .deb while a monlist flood and a
#           mode 3 stream flow (300/s each): zero monlist requests reach
#           the socket, zero mode 3 requests are lost, the programs were
#           replaced through libxdp's dispatcher and the TC filter in
#           place, the counters carried over; the Ansible role
#           (dist/ansible, connection local) changes the file and reloads,
#           a second run changes nothing, a bad value never lands; apt-get
#           purge leaves nothing (pins, programs, files, units)
#
# The stages are tests/package/stage1.sh and stage2.sh, run by the image's
# agent from a 9p share (build/pkg/ctl). About 5 minutes once the image is
# cached (its first build: about 2 minutes more).
#
#   tests/package.sh        prints "N passed, N failed, N skipped"
#   NG_KEEP_TMP=1           keep build/pkg/ as it is (it is kept anyway
#                           until the next run)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/build/pkg
KDIR=$ROOT/build/kernels/linux-image-amd64
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
fatal() {
	echo "FATAL: $*" >&2
	failed=$((failed + 1))
	echo "$passed passed, $failed failed, $skipped skipped"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fatal "must run as root"
for c in dpkg-buildpackage dh lintian mmdebstrap mke2fs qemu-system-x86_64 git; do
	command -v "$c" >/dev/null || fatal "missing $c (scripts/deps.sh)"
done
scripts/vm/kernels.sh check >/dev/null || fatal "missing kernels (scripts/deps.sh)"
make -s build/tests/ngflow || fatal "cannot build ngflow"

# ---- make install into a staging tree ----------------------------------------------
D=$PKG/destdir
rm -rf "$PKG"
mkdir -p "$D"
if make -s install DESTDIR="$D" PREFIX=/usr/local >"$PKG/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr/local"
else
	tail -n 5 "$PKG/install.log"
	bad "make install DESTDIR=... PREFIX=/usr/local failed"
fi
want="etc/ntpguard/ntpguard.conf
usr/local/lib/systemd/system/ntpguard-export.service
usr/local/lib/systemd/system/ntpguard-watch.service
usr/local/lib/systemd/system/ntpguard.service
usr/local/sbin/ntpguard
usr/local/share/bash-completion/completions/ntpguard
usr/local/share/man/man5/ntpguard.conf.5
usr/local/share/man/man8/ntpguard.8
usr/local/share/ntpguard/ntpguard-alerts.yml
usr/local/share/ntpguard/ntpguard.conf.example"
got=$(cd "$D" && find . -type f | sed 's|^\./||' | sort)
[ "$got" = "$want" ] && ok "... exactly the files: binary, units, configuration and its example, man pages, completion, alert rules" ||
	bad "make install: the files differ: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | paste -sd' ')"
got=$(sed -n 's/^Exec\(Start\|Reload\)=//p' "$D/usr/local/lib/systemd/system/ntpguard.service" | paste -sd'|')
[ "$got" = "/usr/local/sbin/ntpguard apply /etc/ntpguard/ntpguard.conf|/usr/local/sbin/ntpguard apply /etc/ntpguard/ntpguard.conf" ] &&
	ok "... the units name the installed binary and configuration" || bad "make install: ntpguard.service runs '$got'"
grep -q '@[A-Z]*@' "$D"/usr/local/lib/systemd/system/*.service &&
	bad "make install: a unit kept a @PLACEHOLDER@" || ok "... no placeholder left in the units"
make -s uninstall DESTDIR="$D" PREFIX=/usr/local >>"$PKG/install.log" 2>&1
got=$(cd "$D" && find . -type f | sed 's|^\./||' | sort)
[ "$got" = etc/ntpguard/ntpguard.conf ] && ok "make uninstall: everything but the configuration is gone" ||
	bad "make uninstall left: $(echo "$got" | paste -sd' ')"

# ---- two builds of the package ---------------------------------------------------
# The source: what git tracks, and files not yet added that are not ignored.
mkdir -p "$PKG/ctl"
build() { # build NAME [VERSION]: the .deb into $PKG/NAME
	local name=$1 version=${2:-} src=$PKG/$1/src
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$src" 2>/dev/null
	if [ -n "$version" ]; then
		{
			printf 'ntpguard (%s) unstable; urgency=medium\n\n' "$version"
			printf '  * A second build, for the upgrade test (tests/package.sh).\n\n'
			printf ' -- ntpguard developers <ntpguard@example.org>  %s\n\n' "$(date -R)"
			cat "$src/debian/changelog"
		} >"$src/debian/changelog.new"
		mv "$src/debian/changelog.new" "$src/debian/changelog"
	fi
	(cd "$src" && dpkg-buildpackage -us -uc -b) >"$PKG/$name.build.log" 2>&1
}
V1=$(dpkg-parsechangelog -S Version -l debian/changelog)
V2=$V1+ngtest2
T0=$(date +%s)
if build one && build two "$V2"; then
	ok "dpkg-buildpackage -us -uc -b: $V1 and $V2 ($(( $(date +%s) - T0 )) s)"
else
	tail -n 20 "$PKG"/*.build.log
	fatal "dpkg-buildpackage failed (logs in $PKG)"
fi
cp "$PKG"/one/ntpguard_"$V1"_*.deb "$PKG/ctl/v1.deb"
cp "$PKG"/two/ntpguard_"$V2"_*.deb "$PKG/ctl/v2.deb"
echo "$V1" >"$PKG/ctl/v1.version"
echo "$V2" >"$PKG/ctl/v2.version"

lintian --pedantic --display-experimental "$PKG"/one/ntpguard_"$V1"_*.changes \
	>"$PKG/lintian.txt" 2>&1
sed 's/^/    /' "$PKG/lintian.txt"
if grep -qE '^[EW]: ' "$PKG/lintian.txt"; then
	bad "lintian: errors or warnings (above)"
else
	ok "lintian --pedantic: no error, no warning ($(grep -c '^[IPX]: ' "$PKG/lintian.txt") notes)"
fi

# ---- the image, the stages ----------------------------------------------------------
IMG=$(scripts/vm/debian-image.sh "$KDIR") || fatal "cannot build the Debian image"
cp --sparse=always "$IMG" "$PKG/vm.ext4"
cp "${IMG%.ext4}.initrd" "$PKG/vm.initrd"
cp build/tests/ngflow "$PKG/ctl/"
cp tests/package/common.sh tests/package/stage1.sh tests/package/stage2.sh \
	tests/package/playbook.yml.in "$PKG/ctl/"
mkdir -p "$PKG/ctl/tests" "$PKG/ctl/scripts"
cp tests/lib.sh "$PKG/ctl/tests/"
cp scripts/lifecycle.sh "$PKG/ctl/scripts/"
cp -r dist/ansible "$PKG/ctl/ansible"

T0=$(date +%s)
scripts/vm/boot-image.sh --timeout "${NG_VM_TIMEOUT:-1500}" --console "$PKG/console.log" \
	"$KDIR" "$PKG/vm.ext4" "$PKG/ctl"
VMRC=$?
echo "# the VM ran for $(( $(date +%s) - T0 )) s (exit $VMRC); console: $PKG/console.log"
for n in 1 2; do
	echo "=== boot $n"
	if [ ! -f "$PKG/ctl/out$n" ]; then
		bad "boot $n: the stage did not run"
		continue
	fi
	cat "$PKG/ctl/out$n"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$PKG/ctl/out$n" | tail -n 1)
	rc=$(cat "$PKG/ctl/rc$n" 2>/dev/null || echo 125)
	if [ -z "$line" ]; then
		bad "boot $n: no summary (exit $rc)"
		continue
	fi
	p=${line%% passed*} f=${line#*, } s=0
	f=${f%% failed*}
	[[ "$line" == *skipped ]] && { s=${line##*failed, }; s=${s%% skipped}; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
[ "$VMRC" -eq 0 ] && ok "the VM powered off by itself" || bad "the VM did not power off (exit $VMRC)"
if [ -f "$PKG/ctl/upgrade.counts" ]; then
	read -r s3 s7 r3 r7 <"$PKG/ctl/upgrade.counts"
	echo "# upgrade under traffic: mode 3 sent $s3, received $r3; monlist sent $s7, received $r7"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
