#!/bin/bash
# tests/vm-cli.sh - ntpguard's commands over a veth pair, traffic judged by
# the counters AND by arrival at a socket: load, set, allow, --egress,
# unload. Written for the kernel matrix (tests/kernel-matrix.sh runs it in
# each VM) but safe anywhere: namespaces and a private bpffs only.
#
#   tests/vm-cli.sh        prints "N passed, N failed"
set -u
NG_TAG=ngc
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm-lib.sh
. "$(dirname "$0")/vm-lib.sh"

ng_require_root
ng_require_bin ip tc nsenter bpftool "$NG_PY" "$NTPGUARD"
ng_setup_bpffs
vm_topology
ngs() { ns s "$NTPGUARD" "$@"; }

vm_sink s s 123 53 40000
vm_sink a a 40001
# Traffic to the server (judged by XDP on s:eth0), then its counters.
to_s() { vm_batch a s $S4 "$@"; vm_counters eth0; }
# Traffic from the server (judged by TC egress on s:eth0).
from_s() { vm_batch s a $A4 "$@"; vm_counters eth0 egress; }

# =============================================================================
ng_log "load"
check "load eth0" ngs load eth0
check_grep "load: attached natively, names the path" "$NG_OUT" \
	'^eth0: attached \(native mode, (libxdp dispatcher|legacy attach)'
check "status --json" ngs status --json
cp "$NG_OUT" "$NG_TMP/status.json"
ng_log "attach path on $(uname -r): $(ng_json "d['interfaces']['eth0']['attach']" <"$NG_TMP/status.json")"
check_eq "status: eth0 attached ingress" "attached ingress" \
	"$(ng_json "d['interfaces']['eth0']['state'] + ' ' + d['interfaces']['eth0']['direction']" <"$NG_TMP/status.json")"

# =============================================================================
ng_log "default policy: what is dropped, what passes"
vm_counters eth0
vm_snap
to_s "0,5,$S4,123,$M3" "0,5,$S4,123,$M7REQ" "0,4,$S6,123,$M7REQ" "0,2,$S6,123,$M3" \
	"0,3,$S4,53,$DNS" "123,3,$S4,40000,$M7RESP_BIG" "123,2,$S4,40000,$M7RESP_SMALL"
check_eq "mode 3 (IPv4): 5 reached the socket on port 123" 5 "$(vm_arrived s 123 23 4)"
check_eq "mode 3 (IPv6): 2 reached the socket" 2 "$(vm_arrived s 123 23 6)"
check_eq "mode 3: ntp_passed +7 (DNS is not NTP: not counted)" 7 "$(vm_moved ntp_passed)"
check_eq "mode 7 request (IPv4): none reached the socket" 0 "$(vm_arrived s 123 17 4)"
check_eq "mode 7 request (IPv6): none reached the socket" 0 "$(vm_arrived s 123 17 6)"
check_eq "mode 7 requests: mode7_request_dropped +9 (5 IPv4, 4 IPv6)" 9 \
	"$(vm_moved mode7_request_dropped)"
check_eq "DNS (port 53): 3 reached the socket" 3 "$(vm_arrived s 53 ab)"
check_eq "mode 7 responses: only the 2 small ones reached the socket" 2 \
	"$(vm_arrived s 40000 97)"
check_eq "oversized mode 7 response: mode7_response_oversized +3" 3 \
	"$(vm_moved mode7_response_oversized)"
check_eq "small mode 7 response: mode7_response_passed +2" 2 "$(vm_moved mode7_response_passed)"

# =============================================================================
ng_log "set: the live policy"
check "set mode7_request=pass" ngs set mode7_request=pass
check_eq "set: status shows mode7_request pass" pass \
	"$(ngs status --json | ng_json "d['policy']['mode7_request']")"
vm_snap
to_s "0,3,$S4,123,$M7REQ"
check_eq "policy pass: 3 mode 7 requests reached the socket" 3 "$(vm_arrived s 123 17)"
check_eq "policy pass: mode7_request_passed +3" 3 "$(vm_moved mode7_request_passed)"
check "set --defaults" ngs set --defaults
check_eq "set --defaults: mode7_request drop again" drop \
	"$(ngs status --json | ng_json "d['policy']['mode7_request']")"
vm_snap
to_s "0,2,$S4,123,$M7REQ"
check_eq "defaults: no more mode 7 requests arrived" 3 "$(vm_arrived s 123 17)"
check_eq "defaults: mode7_request_dropped +2" 2 "$(vm_moved mode7_request_dropped)"

# =============================================================================
ng_log "allow: an allow-listed source"
check "allow add $A4" ngs allow add $A4
vm_snap
to_s "0,2,$S4,123,$M7REQ" "0,1,$S6,123,$M7REQ"
check_eq "allow-listed IPv4 source: its 2 mode 7 requests arrived" 5 "$(vm_arrived s 123 17)"
check_eq "allow-listed: mode7_request_allowed +2" 2 "$(vm_moved mode7_request_allowed)"
check_eq "IPv6 source not on the list: dropped" 0 "$(vm_arrived s 123 17 6)"
check "allow del $A4" ngs allow del $A4
to_s "0,2,$S4,123,$M7REQ"
check_eq "after allow del: nothing more arrived" 5 "$(vm_arrived s 123 17)"
check_eq "after allow del: mode7_request_dropped +3 (1 IPv6, 2 IPv4)" 3 \
	"$(vm_moved mode7_request_dropped)"

# =============================================================================
ng_log "--egress: replies leaving the server"
check "load --egress eth0" ngs load --egress eth0
check_grep "load --egress: egress attached on TC" "$NG_OUT" \
	'^eth0 egress: attached \(TC clsact egress\)'
check_grep_case "load --egress: a clsact qdisc holds the filter" \
	<(ns s tc qdisc show dev eth0) 'clsact'
vm_counters eth0 egress
vm_snap
from_s "123,3,$A4,40001,$M7RESP_BIG" "123,2,$A4,40001,$M4"
check_eq "egress: oversized mode 7 responses never reached the client" 0 \
	"$(vm_arrived a 40001 97)"
check_eq "egress: mode7_response_oversized +3 on egress" 3 "$(vm_moved mode7_response_oversized)"
check_eq "egress: mode 4 replies reached the client" 2 "$(vm_arrived a 40001 24)"
check_eq "egress: ntp_passed +2 on egress" 2 "$(vm_moved ntp_passed)"

# =============================================================================
ng_log "unload leaves nothing"
check "unload --all" ngs unload --all
check_eq "unload: no XDP program on eth0" "" "$(ng_xdp_prog_id s eth0)"
check_eq "unload: no TC filter on eth0 egress" "" "$(ns s tc filter show dev eth0 egress)"
check_not "unload: the clsact qdisc ntpguard created is gone" \
	grep -q clsact <(ns s tc qdisc show dev eth0)
check_not "unload: pins removed" test -e "$NG_PIN_DIR"
check_eq "unload: status says not loaded" false "$(ngs status --json | ng_json "d['loaded']")"
if [ "${NG_VM:-0}" = 1 ]; then
	# A fresh VM runs no other BPF program: none of ours may survive.
	check_eq "unload: no ntpguard or dispatcher program left in the kernel" "" \
		"$(bpftool prog show | grep -E 'ntpguard_|xdp_dispatcher')"
fi
vm_batch a s $S4 "0,2,$S4,123,$M7REQ"
check_eq "after unload: mode 7 requests reach the socket again" 7 "$(vm_arrived s 123 17)"

ng_summary
