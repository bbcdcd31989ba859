#!/bin/bash
# tests/vm-dispatcher.sh - ntpguard inside libxdp's dispatcher next to
# another XDP program (Debian's xdp-filter, dropping UDP port 5353), loaded
# before and after ntpguard: one dispatcher, both programs see traffic,
# unloading one leaves the other attached and working.
#
# Only on a kernel where the dispatcher works (6.1, 6.12 under
# tests/kernel-matrix.sh) and only inside the matrix's VM (NG_VM=1):
# xdp-filter keeps its maps in /sys/fs/bpf/xdp-filter, which a host's real
# install may use.
#
#   tests/vm-dispatcher.sh     prints "N passed, N failed"
set -u
NG_TAG=ngd
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm-lib.sh
. "$(dirname "$0")/vm-lib.sh"

ng_require_root
[ "${NG_VM:-0}" = 1 ] || ng_die "runs only inside the kernel matrix's VM (tests/kernel-matrix.sh)"
ng_require_bin ip nsenter bpftool xdp-filter xdp-loader "$NG_PY" "$NTPGUARD"
ng_setup_bpffs
vm_topology
ngs() { ns s "$NTPGUARD" "$@"; }
xf() { ns s xdp-filter "$@"; }
xf_cleanup() { ns s xdp-filter unload --all >/dev/null 2>&1; }
trap 'xf_cleanup; ng_cleanup' EXIT

vm_sink s s 123 5353

# xdp-filter's own counters: "XDP_PASS N pkts" and the port's hit counter.
xf_action() { xf status | awk -v a="$1" '$1 == a { print $2 }'; }
xf_hits() { xf status | awk -v p="$1" '$1 == p && $2 ~ /dst/ { print $3 }'; }
# Program names in the dispatcher on eth0, sorted, one line.
in_dispatcher() {
	ns s xdp-loader status eth0 | awk '$1 == "=>" { print $3 }' | sort | tr '\n' ' '
}
has_dispatcher() { ns s xdp-loader status eth0 | grep -q xdp_dispatcher; }

# traffic NAME: 5353 dropped by xdp-filter, mode 7 by ntpguard (when
# WITH_NG=1, else it arrives), mode 3 passes both; each program's own
# counters must show it.
traffic() {
	local name=$1 p0 h0 a17 a23 a5353
	p0=$(xf_action XDP_PASS) h0=$(xf_hits 5353)
	a17=$(vm_arrived s 123 17) a23=$(vm_arrived s 123 23) a5353=$(vm_arrived s 5353 ab)
	[ "$WITH_NG" = 1 ] && { vm_counters eth0; vm_snap; }
	vm_batch a s $S4 "0,4,$S4,5353,$DNS" "0,3,$S4,123,$M7REQ" "0,2,$S4,123,$M3"
	check_eq "$name: port 5353: nothing arrived" "$a5353" "$(vm_arrived s 5353 ab)"
	check_eq "$name: xdp-filter's port 5353 hit counter +4" 4 $(( $(xf_hits 5353) - h0 ))
	check_eq "$name: mode 3 arrived (passed both programs)" 2 $(( $(vm_arrived s 123 23) - a23 ))
	check_ge "$name: xdp-filter passed the mode 3 and marker packets (XDP_PASS +3)" 3 \
		$(( $(xf_action XDP_PASS) - p0 ))
	if [ "$WITH_NG" = 1 ]; then
		vm_counters eth0
		check_eq "$name: mode 7 dropped, none arrived" "$a17" "$(vm_arrived s 123 17)"
		check_eq "$name: ntpguard's mode7_request_dropped +3" 3 "$(vm_moved mode7_request_dropped)"
		check_eq "$name: ntpguard's ntp_passed +2" 2 "$(vm_moved ntp_passed)"
	else
		check_eq "$name: without ntpguard mode 7 arrives" 3 $(( $(vm_arrived s 123 17) - a17 ))
	fi
}

# both_loaded NAME: one dispatcher holding both, status says dispatcher
both_loaded() {
	local name=$1 id
	check_eq "$name: one dispatcher holds ntpguard_xdp and xdpfilt_*" \
		"ntpguard_xdp xdpfilt_alw_all " "$(in_dispatcher)"
	check "$name: ntpguard status --json" ngs status --json
	check_eq "$name: status says dispatcher" dispatcher \
		"$(ng_json "d['interfaces']['eth0']['attach']" <"$NG_OUT")"
	id=$(ng_json "d['interfaces']['eth0']['prog_id']" <"$NG_OUT")
	check_eq "$name: the dispatcher's ntpguard_xdp is status's prog id" "$id" \
		"$(ns s xdp-loader status eth0 | awk '$3 == "ntpguard_xdp" { print $4 }')"
	check_grep "$name: status (text) says dispatcher" <(ngs status) '^eth0 +attached +native +dispatcher'
}

# ntpguard_gone NAME: unloaded, xdp-filter alone in the dispatcher, working
ntpguard_gone() {
	local name=$1
	check "$name: ntpguard unload eth0" ngs unload eth0
	check_eq "$name: xdp-filter alone in the dispatcher" "xdpfilt_alw_all " "$(in_dispatcher)"
	check_not "$name: ntpguard pins removed" test -e "$NG_PIN_DIR"
	WITH_NG=0 traffic "$name: xdp-filter still working"
}

# =============================================================================
ng_log "order 1: xdp-filter, then ntpguard"
check "xdp-filter load eth0" xf load eth0
check "xdp-filter port 5353" xf port --proto udp 5353
check "ntpguard load eth0" ngs load eth0
check_grep "ntpguard load: through libxdp's dispatcher" "$NG_OUT" \
	'^eth0: attached \(native mode, libxdp dispatcher\)'
both_loaded "order 1"
WITH_NG=1 traffic "order 1"
ntpguard_gone "order 1"
check "xdp-filter unload eth0" xf unload eth0
check_not "no dispatcher left" has_dispatcher

# =============================================================================
ng_log "order 2: ntpguard, then xdp-filter"
check "ntpguard load eth0" ngs load eth0
check_grep "ntpguard load: through libxdp's dispatcher" "$NG_OUT" 'libxdp dispatcher'
check "xdp-filter load eth0" xf load eth0
check "xdp-filter port 5353" xf port --proto udp 5353
both_loaded "order 2"
WITH_NG=1 traffic "order 2"
ntpguard_gone "order 2"

# =============================================================================
ng_log "and the other way round: xdp-filter leaves, ntpguard stays"
check "ntpguard load eth0 (third)" ngs load eth0
check "xdp-filter unload eth0" xf unload eth0
check_eq "ntpguard alone in the dispatcher" "ntpguard_xdp " "$(in_dispatcher)"
check_eq "ntpguard still attached" attached \
	"$(ngs status --json | ng_json "d['interfaces']['eth0']['state']")"
a17=$(vm_arrived s 123 17)
vm_counters eth0
vm_snap
vm_batch a s $S4 "0,3,$S4,123,$M7REQ"
vm_counters eth0
check_eq "ntpguard still drops mode 7" "$a17" "$(vm_arrived s 123 17)"
check_eq "ntpguard's mode7_request_dropped +3" 3 "$(vm_moved mode7_request_dropped)"
check "ntpguard unload --all" ngs unload --all
check_not "nothing left: no dispatcher" has_dispatcher
check_eq "nothing left: no XDP program in the kernel" "" \
	"$(bpftool prog show | grep -E 'ntpguard_|xdp_dispatcher|xdpfilt')"

ng_summary
