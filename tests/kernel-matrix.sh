#!/bin/bash
# tests/kernel-matrix.sh - ntpguard on the kernels hosting providers run:
# boots Debian 12's stock 6.1 and Debian's 6.12 (bookworm updates) under qemu
# (scripts/vm/run-kernel.sh; images from scripts/vm/kernels.sh, fetched by
# scripts/deps.sh) and runs inside each freshly booted VM:
#
#   build/tests/bpf_unit     the BPF unit fixtures (tests/fixtures.py)
#   build/tests/bpf_policy   rate caps, monitor mode, live policy
#   tests/verifier.sh        program accepted; verifier budget against
#                            tests/verifier/SERIES.txt; rejected-load message
#   tests/vm-cli.sh          load/set/allow/--egress/unload over a veth pair,
#                            counters and arrival at a socket
#   tests/vm-dispatcher.sh   libxdp's dispatcher with xdp-filter, both orders
#   tests/evasion.sh         every evasion class end to end (with 8021q, so
#                            the VLAN stacks run too; the host kernel has none)
#   tests/upgrade.sh         another build replaces the program under traffic
#                            through libxdp's dispatcher; layout versions
#
# Any failure, a kernel that rejects the program, a VM that does not boot or
# times out, fails the matrix.
#
#   tests/kernel-matrix.sh                  every kernel; "N passed, N failed"
#   tests/kernel-matrix.sh --kernel META    one (linux-image-amd64, ...)
#   tests/kernel-matrix.sh --update-budget  rewrite tests/verifier/SERIES.txt
#                                           of each matrix kernel
#   tests/kernel-matrix.sh --in-vm          (run by the matrix inside the VM)
# Logs of the last run: build/kernel-matrix/META.log (and .console).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VM_TIMEOUT=${NG_VM_TIMEOUT:-900}

passed=0 failed=0 skipped=0
# tally NAME LOG RC: add the last "N passed, N failed[, N skipped]" line of
# LOG; a missing line or a failed exit with "0 failed" counts as one failure.
tally() {
	local line p f s=0
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		echo "--- $1: no summary line (exit $3): counted as 1 failure"
		p=0 f=1
	else
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
		[[ "$line" == *skipped ]] && { s=${line##*failed, }; s=${s%% skipped}; }
		[ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	TALLY="$p passed, $f failed, $s skipped"
}

# ---- inside the VM ---------------------------------------------------------
in_vm() {
	local log
	log=$(mktemp /tmp/ngvm-suite.XXXXXX)
	suite() { # suite NAME CMD...
		local name=$1
		shift
		echo "=== $name"
		"$@" >"$log" 2>&1
		local rc=$?
		cat "$log"
		tally "$name" "$log" "$rc"
	}
	echo "# kernel $(uname -r), booted $(cut -d' ' -f1 /proc/uptime) s ago"
	suite "BPF unit tests" build/tests/bpf_unit build/tests/fixtures.txt
	suite "BPF policy tests" build/tests/bpf_policy
	suite "verifier: acceptance, budget, rejected-load message" tests/verifier.sh
	suite "CLI over a veth pair" tests/vm-cli.sh
	suite "libxdp dispatcher with xdp-filter" tests/vm-dispatcher.sh
	suite "evasion classes end to end" tests/evasion.sh
	suite "upgrade through the dispatcher under traffic; layout versions" tests/upgrade.sh
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

case "${1:-}" in
--in-vm) in_vm; exit ;;
esac

# ---- on the host -----------------------------------------------------------
[ "$(id -u)" = 0 ] || { echo "kernel-matrix: run as root" >&2; exit 1; }
mode=run only=
while [ $# -gt 0 ]; do
	case "$1" in
	--update-budget) mode=budget; shift ;;
	--kernel) only=$2; shift 2 ;;
	*) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

if ! out=$(scripts/vm/kernels.sh check); then
	printf '%s\n' "$out"
	echo "kernel-matrix: kernels missing (scripts/deps.sh fetches them)"
	echo "0 passed, 1 failed"
	exit 1
fi
make -s all test-bins || { echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 tests/fixtures.py >build/tests/fixtures.txt ||
	{ echo "kernel-matrix: fixture generation failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p build/kernel-matrix

summary=()
while read -r meta kdir rel; do
	[ -n "$only" ] && [ "$only" != "$meta" ] && continue
	series=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	if [ "$mode" = budget ]; then
		echo "=== $meta ($rel): verifier budget"
		if scripts/vm/run-kernel.sh --timeout 300 "$kdir" -- tests/verifier.sh --print \
			>"build/kernel-matrix/$series.txt"; then
			mv "build/kernel-matrix/$series.txt" "tests/verifier/$series.txt"
			cat "tests/verifier/$series.txt"
		else
			cat "build/kernel-matrix/$series.txt"
			echo "kernel-matrix: $rel: could not measure" >&2
			exit 1
		fi
		continue
	fi
	echo "=== kernel $rel ($meta), qemu TCG"
	t0=$(date +%s)
	log=build/kernel-matrix/$meta.log
	scripts/vm/run-kernel.sh --timeout "$VM_TIMEOUT" --modules 8021q --console "build/kernel-matrix/$meta.console" \
		"$kdir" -- tests/kernel-matrix.sh --in-vm 2>&1 | tee "$log"
	tally "$rel" "$log" "${PIPESTATUS[0]}"
	path=$(sed -n 's/^# attach path on [^:]*: //p' "$log" | head -n 1)
	summary+=("$rel: $TALLY, XDP attach ${path:-?}, $(( $(date +%s) - t0 )) s")
done < <(scripts/vm/kernels.sh list)

[ "$mode" = budget ] && { echo "commit tests/verifier/*.txt"; exit 0; }
echo
echo "kernel matrix:"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
