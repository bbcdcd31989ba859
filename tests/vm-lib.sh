# tests/vm-lib.sh - what the kernel matrix's in-VM suites share (source after
# tests/lib.sh): a server namespace "s" and a client namespace "a" joined by
# a veth pair, plain-socket UDP (tests/vm_udp.py), arrival logs, counters.
# Under qemu's TCG every process start costs ~0.1 s and Python ~1 s, so
# batches of traffic go out from one process and counters are read once.
#
#   vm_topology                  s:eth0 192.0.2.1 2001:db8::1 <-> a:eth0 .2 ::2
#   vm_sink NS NAME PORT...      background sink in NS (also port 9, the
#                                marker), log $NG_TMP/NAME.rx
#   vm_batch NS SINK DST SPEC... send from NS each SPEC
#                                ("SPORT,COUNT,DST,DPORT,HEX"), then a marker
#                                to DST:9 and wait until sink SINK logged it:
#                                everything sent before it has been judged
#   vm_arrived SINK PORT BYTE0 [FAMILY]   datagrams logged by the sink
#   vm_counters IFACE [egress]   reads every reason's packets of IFACE into
#                                VM_C[reason] (stats --json in namespace s)
#   vm_snap / vm_moved REASON    VM_C saved / REASON's growth since then

S4=192.0.2.1 A4=192.0.2.2 S6=2001:db8::1 A6=2001:db8::2
zeros() { printf '00%.0s' $(seq "$1"); }
M7REQ=1700032a00000000             # monlist, 8 octets
M3=23$(zeros 47)                   # mode 3 client, 48 octets
M4=24$(zeros 47)                   # mode 4 server reply
M7RESP_BIG=9700032a$(zeros 436)    # 440-octet monlist reply (R=1)
M7RESP_SMALL=9700032a00000000      # 8-octet mode 7 error reply
DNS=ab01$(zeros 62)                # 64 octets, for port 53 or 5353

vm_topology() {
	local ms ma
	ng_ns_add s
	ng_ns_add a
	ng_veth s eth0 a eth0
	ns s ip addr add $S4/24 dev eth0
	ns a ip addr add $A4/24 dev eth0
	ns s ip addr add $S6/64 dev eth0 nodad
	ns a ip addr add $A6/64 dev eth0 nodad
	ms=$(ns s ip -j link show dev eth0 | ng_json "d[0]['address']")
	ma=$(ns a ip -j link show dev eth0 | ng_json "d[0]['address']")
	ns s ip neigh replace $A4 lladdr "$ma" dev eth0 nud permanent
	ns s ip neigh replace $A6 lladdr "$ma" dev eth0 nud permanent
	ns a ip neigh replace $S4 lladdr "$ms" dev eth0 nud permanent
	ns a ip neigh replace $S6 lladdr "$ms" dev eth0 nud permanent
}

declare -A VM_MARKS VM_C VM_SNAP
vm_sink() {
	local n=$1 name=$2
	shift 2
	ng_bg "sink-$name" ns "$n" "$NG_PY" "$NG_ROOT/tests/vm_udp.py" sink \
		--log "$NG_TMP/$name.rx" --duration 900 9 "$@"
	ng_wait_for 30 test -e "$NG_TMP/$name.rx.ready" ||
		ng_fatal "sink $name did not start: $(tail -n 3 "$NG_TMP/sink-$name.log")"
	VM_MARKS[$name]=0
}

vm_batch() {
	local n=$1 sink=$2 dst=$3
	shift 3
	VM_MARKS[$sink]=$((VM_MARKS[$sink] + 1))
	ns "$n" "$NG_PY" "$NG_ROOT/tests/vm_udp.py" send "$@" "0,1,$dst,9,ee" ||
		ng_fatal "sending from $n failed: $*"
	ng_wait_for 20 vm_marks_ge "$sink" "${VM_MARKS[$sink]}" ||
		ng_fatal "marker ${VM_MARKS[$sink]} to $dst:9 never reached sink $sink: the path is broken"
}
vm_marks_ge() { [ "$(vm_arrived "$1" 9 ee)" -ge "$2" ]; }

vm_arrived() {
	awk -v p="$2" -v b="$3" -v f="${4:-}" \
		'$1 == p && $4 == b && (f == "" || $2 == f) { n++ } END { print n + 0 }' \
		"$NG_TMP/$1.rx"
}

vm_counters() {
	local path="d['interfaces']['$1']" r v
	[ "${2:-}" = egress ] && path="$path['egress']"
	VM_C=()
	while read -r r v; do
		VM_C[$r]=$v
	done < <(ns s "$NTPGUARD" stats --json | ng_json \
		"'\n'.join('%s %d' % (k, x['packets']) for k, x in $path['reasons'].items())")
}
vm_snap() { local r; VM_SNAP=(); for r in "${!VM_C[@]}"; do VM_SNAP[$r]=${VM_C[$r]}; done; }
vm_moved() { echo $(( ${VM_C[$1]:-0} - ${VM_SNAP[$1]:-0} )); }
