#!/bin/bash
# run.sh - the whole performance comparison in one run (`make bench`):
#
#   1. per packet: bench/bench (BPF_PROG_TEST_RUN) -- ntpguard against an
#      empty XDP_DROP program, a minimal mode 7 dropper and xdp-filter's own
#      objects, interleaved rounds; then the scale rows (allow-lists of 10,
#      10,000 and 100,000 prefixes, rate tables of 1,000 and 1,000,000
#      sources) with map memory
#   2. end to end: bench/e2e.sh -- a spoofed flood over a veth pair against
#      no filter, the empty program, ntpguard, xdp-filter, nftables, iptables
#   3. userspace: bench/userspace.sh -- stats/export on this machine and with
#      64 possible CPUs (Debian 12's kernel under qemu), allow add of
#      100,000 prefixes; bench/apply.sh -- `ntpguard apply` of a
#      configuration with 100,000 prefixes, from nothing and again
#
# Results: build/bench/results.md (machine, kernel, every table and ratio)
# and one JSON file per part next to it.
#
#   bench/run.sh [--quick] [--only packet|e2e|userspace] [--compare REV]
#
#   --quick        fewer rounds and frames: a smoke run (~1 minute)
#   --only PART    run one part
#   --compare REV  also measure ntpguard's BPF object as built from git
#                  revision REV (e.g. main), in the same rounds: the
#                  before/after column
#
# Needs root. Installs what is missing (scripts/deps.sh, as make test does,
# plus ethtool and iptables, which only the bench uses) and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/build/bench
QUICK=0 ONLY='' COMPARE=''
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; shift ;;
	--only) ONLY=$2; shift 2 ;;
	--compare) COMPARE=$2; shift 2 ;;
	-h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$ONLY" in ""|packet|e2e|userspace) ;; *) echo "bench: --only packet|e2e|userspace" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "bench: must run as root" >&2; exit 1; }
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# Like tests/run-all.sh: install what the build needs, then build.
if ! scripts/deps.sh --check >/dev/null 2>&1; then
	scripts/deps.sh || { echo "bench: installing dependencies failed" >&2; exit 1; }
fi
make -s all build/ntpguard.bpf.o build/bench/bench build/bench/floodgen \
	build/bench/baseline.bpf.o build/bench/flood.bpf.o ||
	{ echo "bench: build failed" >&2; exit 1; }

missing=()
command -v ethtool >/dev/null || [ -x /usr/sbin/ethtool ] || missing+=(ethtool)
command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ] && want e2e; then
	echo "bench: installing ${missing[*]} (Debian)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=60 \
		"${missing[@]}" >/dev/null
fi

if [ "$QUICK" = 1 ]; then
	PACKET_ARGS=(--rounds 3 --repeat 300000) E2E_ARGS=(--rounds 1 --count 200000)
	US_ARGS=(--no-vm --allow 10000) APPLY_N=10000
else
	PACKET_ARGS=() E2E_ARGS=() US_ARGS=() APPLY_N=100000
fi

mkdir -p "$OUT"
CMP_ARGS=()
if [ -n "$COMPARE" ]; then
	sha=$(git rev-parse --short "$COMPARE^{commit}")
	src=$OUT/rev-$sha
	if [ ! -s "$src/build/ntpguard.bpf.o" ]; then
		rm -rf "$src"
		mkdir -p "$src"
		git archive "$sha" | tar -x -C "$src"
		make -s -C "$src" build/ntpguard.bpf.o
	fi
	CMP_ARGS=(--compare "$src/build/ntpguard.bpf.o")
	echo "bench: compare column: ntpguard's BPF object at $sha"
fi

machine() {
	echo "- host: $(uname -n), $(nproc) CPUs online ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -r) ($(uname -m)); possible CPUs $(cat /sys/devices/system/cpu/possible)"
	echo "- ntpguard: $(git describe --always --dirty 2>/dev/null)"
	echo "- toolchain: $(clang --version | head -1); libbpf $(dpkg-query -W -f='${Version}' libbpf1 2>/dev/null); xdp-tools $(dpkg-query -W -f='${Version}' xdp-tools 2>/dev/null)"
	echo "- load while running: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; a shared VM: ratios within one run only)"
}

RES=$OUT/results.md
{
	echo "# ntpguard bench results"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	machine
} >"$RES.tmp"

section() {
	local title=$1 file=$2
	shift 2
	echo
	echo "### $title"
	echo
	echo '```'
	"$@" | tee "$file"
	echo '```'
}

start=$(date +%s)
if want packet; then
	echo "bench: per packet and scale (BPF_PROG_TEST_RUN)" >&2
	section "Per packet and scale (BPF_PROG_TEST_RUN)" "$OUT/packet.txt" \
		build/bench/bench --baseline build/bench/baseline.bpf.o --json "$OUT/packet.json" \
		"${PACKET_ARGS[@]}" "${CMP_ARGS[@]}" >>"$RES.tmp"
fi
if want e2e; then
	echo "bench: end to end (veth, spoofed flood)" >&2
	section "End to end (veth pair, spoofed mode 7 flood)" "$OUT/e2e.txt" \
		bench/e2e.sh --json "$OUT/e2e.json" "${E2E_ARGS[@]}" >>"$RES.tmp"
fi
if want userspace; then
	echo "bench: userspace (CLI, 64 possible CPUs)" >&2
	section "Userspace" "$OUT/userspace.txt" \
		bench/userspace.sh --json "$OUT/userspace.json" "${US_ARGS[@]}" >>"$RES.tmp"
	section "apply with $APPLY_N prefixes" "$OUT/apply.txt" bench/apply.sh "$APPLY_N" >>"$RES.tmp"
fi
echo >>"$RES.tmp"
echo "Total bench time: $(( $(date +%s) - start )) s" >>"$RES.tmp"
mv "$RES.tmp" "$RES"
cat "$RES"
echo
echo "bench: results in $RES" >&2
