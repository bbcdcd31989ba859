#!/bin/bash
# tests/verifier.sh - what the running kernel's verifier says about ntpguard.
#
#  1. Budget: instructions processed by the verifier and the xlated/JIT size
#     of ntpguard_xdp and ntpguard_tc (build/tests/verifier_stats), against
#     tests/verifier/SERIES.txt for this kernel's series (6.1, 6.12, 6.18...).
#     A figure more than 20 % above the file fails; a kernel series without a
#     file is a skip (counted) that names the command to record it.
#  2. A rejected program says so: with build/tests/reject_preload.so the
#     kernel's verifier rejects ntpguard_xdp (or ntpguard_tc); `ntpguard load`
#     must print one line naming the kernel release, the program, the
#     verifier's error and where the whole log is, and leave nothing behind.
#
#   tests/verifier.sh            run the checks ("N passed, N failed")
#   tests/verifier.sh --print    print the budget file for this kernel
#   tests/verifier.sh --update   write it to tests/verifier/SERIES.txt
#
# The kernel matrix runs this inside each VM; `tests/kernel-matrix.sh
# --update-budget` rewrites the files of the matrix kernels.
set -u
NG_TAG=ngv
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

STATS=$NG_ROOT/build/tests/verifier_stats
PRELOAD=$NG_ROOT/build/tests/reject_preload.so
REL=$(uname -r)
SERIES=$(uname -r | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
BUDGET=$NG_ROOT/tests/verifier/$SERIES.txt
GROWTH_PCT=20

ng_require_root
ng_require_bin ip nsenter "$NTPGUARD" "$STATS" "$PRELOAD"

budget_file() { # the file's text for this kernel, from verifier_stats output $1
	echo "# ntpguard's verifier budget on Linux $SERIES (measured on $REL)."
	echo "# tests/verifier.sh fails when a figure grows by more than $GROWTH_PCT %."
	echo "# Update: tests/kernel-matrix.sh --update-budget (the matrix kernels),"
	echo "#         tests/verifier.sh --update (the running kernel); commit the diff."
	grep -v '^#' "$1"
}

case "${1:-}" in
--print|--update)
	"$STATS" >"$NG_TMP/stats" || { echo "verifier: a program was rejected" >&2; exit 1; }
	if [ "$1" = --print ]; then
		budget_file "$NG_TMP/stats"
	else
		budget_file "$NG_TMP/stats" >"$BUDGET" && echo "wrote $BUDGET"
	fi
	exit
	;;
"") ;;
*) echo "usage: $0 [--print|--update]" >&2; exit 2 ;;
esac

# ---- 1. budget ----------------------------------------------------------------
ng_log "verifier budget on $REL (series $SERIES)"
check "both programs accepted by the $REL verifier" "$STATS"
cp "$NG_OUT" "$NG_TMP/stats"
[ -s "$NG_ERR" ] && sed 's/^/    /' "$NG_ERR" | tail -n 20
check "both programs accepted without the coarse clock (what load does before 5.11)" \
	"$STATS" --precise-clock
[ -s "$NG_ERR" ] && sed 's/^/    /' "$NG_ERR" | tail -n 20
grep -v '^#' "$NG_TMP/stats" | sed 's/^/# measured: /'
if ! [ -f "$BUDGET" ]; then
	skip "budget of $SERIES" "no tests/verifier/$SERIES.txt; record it with tests/verifier.sh --update"
else
	for prog in ntpguard_xdp ntpguard_tc; do
		for key in processed_insns xlated_bytes jited_bytes; do
			want=$(awk -v p="$prog" -v k="$key" '$1 == p { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$BUDGET")
			got=$(awk -v p="$prog" -v k="$key" '$1 == p { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$NG_TMP/stats")
			name="$prog $key on $SERIES: $got within +$GROWTH_PCT % of the recorded $want"
			if ! [[ "$want" =~ ^[0-9]+$ && "$got" =~ ^[0-9]+$ ]]; then
				ng_fail "$name" "recorded '$want' in $BUDGET, measured '$got'"
			elif [ $((got * 100)) -gt $((want * (100 + GROWTH_PCT))) ]; then
				ng_fail "$name" "grew by $(((got - want) * 100 / want)) %;" \
					"if that is intended: tests/kernel-matrix.sh --update-budget" \
					"(or tests/verifier.sh --update on this kernel), then commit"
			else
				ng_pass "$name"
				[ $((got * 100)) -lt $((want * (100 - GROWTH_PCT))) ] &&
					ng_log "  $prog $key shrank from $want to $got: worth recording"
			fi
		done
	done
fi

# ---- 2. a rejected program says so ---------------------------------------------
ng_log "a program the verifier rejects"
ng_setup_bpffs
ng_ns_add r
ns r ip link add ve0 type veth peer name ve1
ns r ip link set ve0 up
ns r ip link set ve1 up
ngr() { ns r "$NTPGUARD" "$@"; }
xdp_id() { ng_xdp_prog_id r "$1"; }

# check_reject NAME PROG WHERE ARGS... : load with PROG rejected; one line
# on stderr naming release, program, the verifier's error and the log file.
check_reject() {
	local name=$1 prog=$2 where=$3 log
	shift 3
	check_rc "$name: load exits 1" 1 ns r env LD_PRELOAD="$PRELOAD" NG_REJECT_PROG="$prog" \
		"$NTPGUARD" load "$@"
	cp "$NG_ERR" "$NG_TMP/reject.err"
	cp "$NG_OUT" "$NG_TMP/reject.out"
	check_eq "$name: exactly one line on stderr" 1 "$(wc -l <"$NG_TMP/reject.err")"
	check_grep_case "$name: names the kernel release, the program and the verifier's error" \
		"$NG_TMP/reject.err" \
		"^ntpguard: $where: the kernel's verifier \\(Linux $(printf '%s' "$REL" | sed 's/[.+]/\\&/g')\\) rejected $prog: .*(outside of the packet|invalid access to packet|invalid mem access)"
	check_not "$name: no bare errno text" grep -Eq 'attach failed|Invalid argument|Permission denied' \
		"$NG_TMP/reject.err"
	check_grep_case "$name: says how to see the whole log" "$NG_TMP/reject.err" \
		"whole log: /tmp/ntpguard-verifier\\.[A-Za-z0-9]{6}, or 'ntpguard -v load ve0'"
	log=$(grep -Eo '/tmp/ntpguard-verifier\.[A-Za-z0-9]{6}' "$NG_TMP/reject.err" | head -n 1)
	if [ -n "$log" ]; then
		check_grep "$name: the log file holds the verifier's log" "$log" \
			'^[0-9]+: \(.*\) r0 = \*\(u8 \*\)\(r0 \+0\)'
		rm -f "$log"
	fi
}

check_reject "ingress rejected" ntpguard_xdp ve0 ve0
check_eq "ingress rejected: no XDP program left on ve0" "" "$(xdp_id ve0)"
check_not "ingress rejected: no pin directory left" test -e "$NG_PIN_DIR"
check_eq "ingress rejected: status says not loaded" false \
	"$(ngr status --json | ng_json "d['loaded']")"

check_rc "-v shows the verifier's log" 1 ns r env LD_PRELOAD="$PRELOAD" \
	"$NTPGUARD" -v load ve0
cp "$NG_ERR" "$NG_TMP/verbose.err"
rm -f "$(grep -Eo '/tmp/ntpguard-verifier\.[A-Za-z0-9]{6}' "$NG_TMP/verbose.err" | head -n 1)"
check_grep "-v: the log is on stderr" "$NG_TMP/verbose.err" 'BEGIN PROG LOAD LOG'
check_not "-v: no pin directory left" test -e "$NG_PIN_DIR"

# Egress refused, ingress accepted: ingress stays (it can be unloaded).
check_reject "egress rejected" ntpguard_tc "ve0 egress" --egress ve0
check_grep "egress rejected: ingress was attached" "$NG_TMP/reject.out" '^ve0: attached'
check_eq "egress rejected: no TC filter on ve0 egress" "" \
	"$(ns r tc filter show dev ve0 egress 2>/dev/null)"
check "egress rejected: unload --all" ngr unload --all
check_not "egress rejected: nothing left after unload" test -e "$NG_PIN_DIR"

ng_summary
