#!/bin/bash
# deps.sh - install what ntpguard's build and tests need on Debian 12 (bookworm).
#
#   scripts/deps.sh          install (idempotent; does nothing when all is present)
#   scripts/deps.sh --force  run apt-get even when everything looks present
#   scripts/deps.sh --check  exit 0 when everything is present, 1 otherwise
#                            (prints what is missing)
#
# Debian packages only. chrony and ntpsec (server daemons used by the
# integration tests) conflict with systemd-timesyncd through "time-daemon",
# so they are NOT installed: their .debs are downloaded into build/debs and
# unpacked into build/sysroot, and only their libraries are installed.
# The tests run them with -x / "disable ntp" under capsh without
# cap_sys_time, so they never touch the clock.
# prometheus (for promtool) and prometheus-node-exporter are unpacked the
# same way: installing them would start their services.
# The kernel matrix (tests/kernel-matrix.sh) boots Debian's kernel images
# under qemu: scripts/vm/kernels.sh downloads and unpacks them into
# build/kernels (never installed on this host).
set -euo pipefail

cd "$(dirname "$0")/.."

SYSROOT=build/sysroot
DEBDIR=build/debs

# Debian packages installed system-wide.
PKGS=(clang llvm make gcc pkg-config libbpf-dev libxdp-dev xdp-tools bpftool
      libelf-dev zlib1g-dev iproute2 libcap2-bin nftables python3-scapy nmap
      tshark tcpdump ntpsec-ntpdig python3-ntp
      # the kernel matrix: qemu, the initramfs's busybox, depmod/modprobe
      qemu-system-x86 busybox-static kmod xz-utils
      # tests: tmux (stats --watch on a real terminal), systemd-analyze (unit
      # files), strace (fault injection: SIGKILL at the Nth bpf() call),
      # valgrind (tests/sanitize.sh)
      tmux systemd strace valgrind
      # man pages and completion (make docs), the Debian package and its
      # test in a fresh Debian image (tests/package.sh)
      pandoc bash-completion dpkg-dev debhelper lintian mmdebstrap e2fsprogs
      # libraries chrony and ntpsec need (their packages are not installed)
      libedit2 libgnutls30 libnettle8 libseccomp2 libbsd0 libssl3)
# Packages only unpacked into build/sysroot.
SYSROOT_PKGS=(chrony ntpsec prometheus prometheus-node-exporter)

# Commands whose presence --check verifies (name:package).
CMDS=(clang:clang llc:llvm llvm-objdump:llvm make:make gcc:gcc
      pkg-config:pkg-config bpftool:bpftool xdp-loader:xdp-tools
      ip:iproute2 capsh:libcap2-bin nft:nftables nmap:nmap tshark:tshark
      tcpdump:tcpdump ntpdig:ntpsec-ntpdig nsenter:util-linux
      unshare:util-linux setpriv:util-linux
      qemu-system-x86_64:qemu-system-x86 busybox:busybox-static
      depmod:kmod modprobe:kmod xz:xz-utils tmux:tmux
      systemd-analyze:systemd strace:strace valgrind:valgrind
      pandoc:pandoc dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian
      mmdebstrap:mmdebstrap mke2fs:e2fsprogs)
# Files inside the sysroot.
SYSROOT_FILES=(usr/sbin/chronyd usr/sbin/ntpd usr/bin/ntpq usr/bin/promtool
               usr/bin/prometheus-node-exporter)

log() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# apt-get with a few retries: the dpkg/apt lock may be held briefly by
# something else. Output goes to a log file, shown only on failure.
APTLOG=$(mktemp /tmp/ntpguard-deps.XXXXXX)
trap 'rm -f "$APTLOG"' EXIT
apt_retry() {
	local i
	for i in 1 2 3 4 5; do
		if DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 \
			-o DPkg::Lock::Timeout=30 "$@" >"$APTLOG" 2>&1; then
			return 0
		fi
		if [ "$i" -lt 5 ]; then
			log "apt-get $1 failed (try $i/5), retrying in 5 s"
			sleep 5
		fi
	done
	tail -n 20 "$APTLOG" >&2
	die "apt-get $* failed 5 times"
}

# Prints one line per missing item; returns 1 if anything is missing.
check() {
	local missing=0 c name pkg f
	for c in "${CMDS[@]}"; do
		name=${c%%:*} pkg=${c#*:}
		if ! command -v "$name" >/dev/null 2>&1 &&
		   ! [ -x "/usr/sbin/$name" ] && ! [ -x "/sbin/$name" ]; then
			echo "missing command: $name (package $pkg)"
			missing=1
		fi
	done
	# Libraries and Python modules, checked by package status.
	for pkg in libbpf-dev libxdp-dev libelf-dev zlib1g-dev python3-scapy \
	           python3-ntp libedit2 libgnutls30 libnettle8 libseccomp2 \
	           libbsd0 libssl3 bash-completion; do
		if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != \
		     "install ok installed" ]; then
			echo "missing package: $pkg"
			missing=1
		fi
	done
	if ! [ -x /usr/bin/python3 ] ||
	   ! /usr/bin/python3 -c 'import scapy.all, ntp.packet' >/dev/null 2>&1; then
		echo "missing: /usr/bin/python3 with scapy and ntp modules"
		missing=1
	fi
	for f in "${SYSROOT_FILES[@]}"; do
		if ! [ -x "$SYSROOT/$f" ]; then
			echo "missing file: $SYSROOT/$f"
			missing=1
		fi
	done
	scripts/vm/kernels.sh check || missing=1
	return $missing
}

# Smoke-test the unpacked daemons: libraries resolve, ntpq's Python works.
verify_sysroot() {
	local bin out
	for bin in "$SYSROOT/usr/sbin/chronyd" "$SYSROOT/usr/sbin/ntpd"; do
		out=$(ldd "$bin" 2>&1 | grep 'not found' || true)
		[ -z "$out" ] || die "$bin: missing libraries: $out"
	done
	"$SYSROOT/usr/sbin/chronyd" -v >/dev/null 2>&1 ||
		die "$SYSROOT/usr/sbin/chronyd -v does not run"
	"$SYSROOT/usr/sbin/ntpd" --version >/dev/null 2>&1 ||
		die "$SYSROOT/usr/sbin/ntpd --version does not run"
	"$SYSROOT/usr/bin/ntpq" --version >/dev/null 2>&1 ||
		die "$SYSROOT/usr/bin/ntpq --version does not run (python3-ntp?)"
	"$SYSROOT/usr/bin/promtool" --version >/dev/null 2>&1 ||
		die "$SYSROOT/usr/bin/promtool --version does not run"
	"$SYSROOT/usr/bin/prometheus-node-exporter" --version >/dev/null 2>&1 ||
		die "$SYSROOT/usr/bin/prometheus-node-exporter --version does not run"
}

case "${1:-}" in
--check)
	if out=$(check); then
		echo "deps: everything present"
		exit 0
	fi
	printf '%s\n' "$out"
	exit 1
	;;
--force) FORCE=1 ;;
"") FORCE=0 ;;
-h|--help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--check|--force]" >&2
	exit 2
	;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get install)"

if [ "$FORCE" = 0 ] && check >/dev/null 2>&1; then
	verify_sysroot
	log "everything already present (use --force to re-run apt-get)"
	exit 0
fi

log "apt-get update"
apt_retry update

# tshark asks whether non-root users may capture; answer "no" up front.
log "preseeding wireshark-common/install-setuid=false"
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
	debconf-set-selections

log "apt-get install ${#PKGS[@]} packages"
apt_retry install -y --no-install-recommends "${PKGS[@]}"

log "apt-get download ${SYSROOT_PKGS[*]} into $DEBDIR"
mkdir -p "$DEBDIR"
# apt-get download writes into the current directory; "_apt" must be able
# to write there, so download into a world-writable temp dir, then move.
dl=$(mktemp -d /tmp/ntpguard-debs.XXXXXX)
chmod 0777 "$dl"
(cd "$dl" && apt_retry download "${SYSROOT_PKGS[@]}")
for p in "${SYSROOT_PKGS[@]}"; do rm -f "$DEBDIR/${p}"_*.deb; done
mv "$dl"/*.deb "$DEBDIR"/
rmdir "$dl"

log "unpacking into $SYSROOT"
mkdir -p "$SYSROOT"
for p in "${SYSROOT_PKGS[@]}"; do
	for deb in "$DEBDIR/${p}"_*.deb; do
		dpkg-deb -x "$deb" "$SYSROOT"
	done
done

log "kernel images for the kernel matrix"
scripts/vm/kernels.sh fetch || die "fetching the kernel images failed"

log "verifying"
verify_sysroot
if ! out=$(check); then
	printf '%s\n' "$out" >&2
	die "still missing after install"
fi
log "done"
