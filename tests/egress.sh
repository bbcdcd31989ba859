#!/bin/bash
# tests/egress.sh - the outbound direction, in network namespaces:
#
# (A) a host with its own ntpd (the test responder, 600 monitor entries) on
#     its uplink. Spoofed monlist requests reach it (ingress policy
#     mode7_request=pass), and only `load --egress` (TC clsact egress) stops
#     the 100 x 440-octet replies from leaving; mode 4 and small mode 7
#     replies still leave. IPv6 too.
#
#       out  eth0 192.0.2.10/24, 2001:db8::10/64 ---- host eth0 192.0.2.1/24,
#            (attacker, client; the victim            2001:db8::1/64
#             198.51.100.66 is spoofed)               ntpresponder, ntpguard
#
# (B) the TC hook is shared: unload removes exactly ntpguard's filter, and the
#     clsact qdisc only if ntpguard created it and nothing else uses it;
#     other filters (both hooks) and the root qdisc survive. A first load
#     whose egress part is refused leaves the ingress part manageable.
#
# (C) a hypervisor with a "VM" on a bridge: XDP on the VM-facing veth (the
#     VM's transmissions are that device's ingress) drops the VM's oversized
#     mode 7 responses and passes its time sync both ways; with --egress the
#     spoofed requests never reach the VM.
#
#       lan eth0 192.0.2.60/24 ---- up0 [br0 in hv] vnet0 ---- vm eth0 192.0.2.50/24
#       (attacker, NTP server,                                 (responder: a
#        victim 192.0.2.66 spoofed)                             vulnerable ntpd)
#
# Witnesses: tcpdump on the receiving side (what left the host), the
# responder's log (what reached it), ntpguard's counters per direction.
#
#   tests/egress.sh          prints "N passed, N failed", exit 1 on failure
#   NG_KEEP_TMP=1            keep the temp dir (captures, logs)
#   NTPGUARD=/bin/true       negative control: the filter checks fail
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ng_require_root
RESPONDER=${NTPRESPONDER:-$NG_ROOT/build/tests/ntpresponder}
ng_require_bin ip tc nsenter tcpdump capsh ntpdig "$NG_PY" "$NTPGUARD" "$RESPONDER"

T0=$(date +%s)
NG=$NTPGUARD
NREQ=3            # spoofed monlist requests per round
REPLIES=100       # the responder's monlist answer: 100 x 440 octets
FRAME4=482        # 14 + 20 + 8 + 440: what TC counts per IPv4 reply
VICTIM=198.51.100.66

ng_setup_bpffs
for n in host out hv vm lan; do ng_ns_add "$n"; done

# ---- helpers ---------------------------------------------------------------
mac() { ng_mac "$@"; }
neigh() { ng_neigh "$@"; }

cat >"$NG_TMP/ntp.py" <<'EOF'
# ntp.py spoof SRC DST N        : N monlist requests (8 octets) from SRC:40000
# ntp.py m7 DST HEX [WAIT]      : one mode 7 request; prints "<replies> <max len>"
# ntp.py m3 DST                 : one mode 3 query; prints "mode <m> len <n>" or "none"
import socket, struct, sys, time
cmd = sys.argv[1]
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
if cmd == "spoof":
    src, dst, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    payload = bytes.fromhex("1700032a00000000")
    ul = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ul, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pkt = ip + struct.pack("!HHHH", 40000, 123, ul, 0) + payload
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for _ in range(n):
        s.sendto(pkt, (dst, 0))
        time.sleep(0.05)
    sys.exit(0)
dst = sys.argv[2]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
if cmd == "m7":
    s.sendto(bytes.fromhex(sys.argv[3]), (dst, 123))
    s.settimeout(float(sys.argv[4]) if len(sys.argv) > 4 else 1.0)
    n = mx = 0
    try:
        while True:
            d = s.recv(4096)
            n += 1
            mx = max(mx, len(d))
    except socket.timeout:
        pass
    print(n, mx)
elif cmd == "m3":
    s.sendto(bytes.fromhex("230006e0") + bytes(44), (dst, 123))
    s.settimeout(2)
    try:
        d = s.recv(4096)
        print("mode %d len %d" % (d[0] & 7, len(d)))
    except socket.timeout:
        print("none")
EOF
ntp() { local n=$1; shift; ns "$n" "$NG_PY" "$NG_TMP/ntp.py" "$@"; }

# Captures on the receiving side through lib.sh: running (a start marker
# from the sending host was captured) before anything is sent, complete (an
# end marker sent after the traffic arrived) when stopped, and lossless
# ("?" when tcpdump lost packets: a lossy capture could hide a leak).
cap_count() { ng_cap_count "${1:-udp}"; }

# barrier NS DST LOG : a mode 3 query from NS to the responder at DST, over
# the same link as the spoofed requests sent before it; returns once the
# responder logged it. The responder handles requests one by one and logs
# each after sending its replies, so by then every spoofed request that
# got through was answered.
barrier() {
	local from n0 log=$3
	from=$(ns "$1" ip -j -4 addr show dev eth0 | ng_json "d[0]['addr_info'][0]['local']")
	n0=$(grep -c "^req from $from:[0-9]* mode 3 " "$log")
	ntp "$1" m3 "$2" >/dev/null
	logged() { [ "$(grep -c "^req from $from:[0-9]* mode 3 " "$log")" -gt "$n0" ]; }
	ng_wait_for 10 logged || ng_fail "barrier: the responder never logged the mode 3 query from $from"
}

# jget JSON EXPR : python expression on d, "?" on failure
jget() { ng_json "$2" <<<"$1" 2>/dev/null || echo "?"; }
SNAPN=0
snap() { # snap NS : stats --json of NS into $SNAP
	SNAPN=$((SNAPN + 1))
	SNAP=$NG_TMP/stats$SNAPN.json
	ng_snap "$1" "$SNAP"
}

tc_ng() { # ntpguard's filter on NS IFACE egress: its prog id, or ""
	ns "$1" tc filter show dev "$2" egress 2>/dev/null |
		sed -n 's/.*handle 0x4e47 ntpguard_tc.* id \([0-9]*\) .*/\1/p' | head -n 1
}
has_clsact() { ns "$1" tc qdisc show dev "$2" 2>/dev/null | grep -q 'qdisc clsact'; }
has_root_pfifo() { ns host tc qdisc show dev eth0 2>/dev/null | grep -q 'qdisc pfifo .* root'; }
has_u32() { # NS IFACE HOOK PRIO
	ns "$1" tc filter show dev "$2" "$3" 2>/dev/null | grep -q "pref $4 u32"
}
resp_reqs() { # requests from $2 logged by the responder log $1
	grep -c "^req from $2:.* mode 7 code 42" "$1" 2>/dev/null
}
start_responder() { # start_responder NS NAME ARGS...
	local n=$1 name=$2
	shift 2
	ng_bg "$name" ns "$n" capsh --drop=cap_sys_time -- -c \
		"exec $RESPONDER --prefill 600 --quiet --log $NG_TMP/$name.req $*"
	resp_up() { grep -q '^start ' "$NG_TMP/$name.req"; }
	ng_wait_for 5 resp_up || ng_die "$name did not start: $(cat "$NG_TMP/$name.log")"
}

# =============================================================================
ng_log "(B0) a first load whose egress part is refused"
ns host ip link add name cf0 type veth peer name cf1
ns host ip link set cf0 up
ns host ip link set cf1 up
ns host tc qdisc add dev cf0 clsact
# Another filter (u32, not bpf) holds ntpguard's priority on egress.
ns host tc filter add dev cf0 egress prio 0x4e47 u32 match u32 0xdeadbeef 0xffffffff at 0
check_rc "load --egress cf0: refused (exit 1)" 1 ns host "$NG" load --egress cf0
check_grep "... the error names the egress part" "$NG_ERR" 'cf0 egress'
check "... the ingress part is attached" test -n "$(ng_xdp_prog_id host cf0)"
check "... and its pins are kept (it can be managed)" test -e "$NG_PIN_DIR/ng_ifaces"
check_eq "... status shows cf0 ingress attached" attached \
	"$(jget "$(ns host "$NG" status --json)" "d['interfaces']['cf0']['state']")"
check "unload cf0" ns host "$NG" unload cf0
check_eq "... XDP gone from cf0" "" "$(ng_xdp_prog_id host cf0)"
check_not "... pins removed" test -e "$NG_PIN_DIR"
check "... the other filter at ntpguard's priority is untouched" has_u32 host cf0 egress 20039
check "... and its clsact qdisc too" has_clsact host cf0
ns host ip link del cf0

# =============================================================================
ng_log "(A) host with its own ntpd: topology"
ng_veth out eth0 host eth0
ns out ip addr add 192.0.2.10/24 dev eth0
ns out ip addr add 2001:db8::10/64 dev eth0 nodad
ns host ip addr add 192.0.2.1/24 dev eth0
ns host ip addr add 2001:db8::1/64 dev eth0 nodad
ns host ip route add default dev eth0
ns out ip route add default dev eth0
M_OUT=$(mac out eth0) M_HOST=$(mac host eth0)
neigh host 192.0.2.10 "$M_OUT" eth0
neigh host $VICTIM "$M_OUT" eth0
neigh host 2001:db8::10 "$M_OUT" eth0
neigh out 192.0.2.1 "$M_HOST" eth0
neigh out 2001:db8::1 "$M_HOST" eth0
start_responder host ntpd
HLOG=$NG_TMP/ntpd.req
VICTIM_F="udp and src port 123 and dst host $VICTIM"

# spoof_round : NREQ spoofed monlist requests at the host, capture what
# reaches the victim; sets GOT (replies seen), GOT_BIG (> 200 octets of UDP
# payload) and REQS (requests the responder logged in this round)
spoof_round() {
	local r0
	r0=$(resp_reqs "$HLOG" $VICTIM)
	ng_cap_start out eth0 "$VICTIM_F" host $VICTIM
	ntp out spoof $VICTIM 192.0.2.1 $NREQ
	barrier out 192.0.2.1 "$HLOG"
	ng_cap_stop
	GOT=$(cap_count)
	GOT_BIG=$(cap_count "$VICTIM_F and udp[4:2] > 208")
	REQS=$(( $(resp_reqs "$HLOG" $VICTIM) - r0 ))
}

ng_log "(A1) baseline: no ntpguard (harness: the host reflects)"
ng_assume "mode 3 query answered (ntpdig)" \
	ns out capsh --drop=cap_sys_time -- -c "ntpdig -t 2 192.0.2.1"
spoof_round
ng_assume_eq "A1 all $NREQ spoofed requests reach the responder" $NREQ "$REQS"
ng_assume_eq "A1 the victim gets $((NREQ * REPLIES)) oversized replies" $((NREQ * REPLIES)) "$GOT_BIG"
R6=$(ntp out m7 2001:db8::1 1700032a00000000)
ng_assume_eq "A1 IPv6 monlist answered: 100 replies of 440 octets" "100 440" "$R6"

ng_log "(A2) ingress only, mode7_request=pass: XDP cannot see the replies"
check "load eth0 (ingress only)" ns host "$NG" load eth0
check "set mode7_request=pass" ns host "$NG" set mode7_request=pass
snap host; S0=$SNAP
spoof_round
snap host; S1=$SNAP
check_eq "A2 the requests pass XDP and reach the responder" $NREQ "$REQS"
check_eq "A2 ... counted as mode7_request_passed (ingress)" $NREQ \
	"$(ng_delta "$S0" "$S1" eth0 mode7_request_passed packets ingress)"
check_eq "A2 all $((NREQ * REPLIES)) oversized replies still leave" $((NREQ * REPLIES)) "$GOT_BIG"

ng_log "(A3) load --egress"
check "load --egress eth0" ns host "$NG" load --egress eth0
cp "$NG_OUT" "$NG_TMP/load-egress.out"
check_grep "A3 ingress: already protected" "$NG_TMP/load-egress.out" '^eth0: already protected'
check_grep "A3 egress: attached on TC clsact egress" "$NG_TMP/load-egress.out" '^eth0 egress: attached \(TC clsact egress\)'
EG_ID=$(tc_ng host eth0)
check "A3 ntpguard's filter on eth0 egress (handle 0x4e47, pref 20039)" test -n "$EG_ID"
ST=$(ns host "$NG" status --json)
check_eq "A3 status: egress record attached, mode tc, direction egress, same prog id" \
	"attached tc egress ${EG_ID:-none}" \
	"$(jget "$ST" "' '.join(str(d['interfaces']['eth0']['egress'][k]) for k in ('state', 'mode', 'direction', 'prog_id'))")"
check_eq "A3 status: ingress record still attached, direction ingress" "attached ingress" \
	"$(jget "$ST" "d['interfaces']['eth0']['state'] + ' ' + d['interfaces']['eth0']['direction']")"

snap host; S0=$SNAP
spoof_round
snap host; S1=$SNAP
check_eq "A4 the spoofed requests still reach the responder" $NREQ "$REQS"
check_eq "A4 no reply at all reaches the victim" 0 "$GOT"
check_eq "A4 mode7_response_oversized (egress) counts every reply" $((NREQ * REPLIES)) \
	"$(ng_delta "$S0" "$S1" eth0 mode7_response_oversized packets egress)"
check_eq "A4 ... bytes: $FRAME4 per frame" $((NREQ * REPLIES * FRAME4)) \
	"$(ng_delta "$S0" "$S1" eth0 mode7_response_oversized bytes egress)"
check_eq "A4 the ingress record counts no response (it cannot see them)" 0 \
	"$(ng_delta "$S0" "$S1" eth0 mode7_response_oversized packets ingress)"
check_eq "A4 stats: the egress record says direction egress" egress \
	"$(ng_json "d['interfaces']['eth0']['egress']['direction']" <"$S1" 2>/dev/null)"

check "A5 mode 3 query still answered through egress (ntpdig)" \
	ns out capsh --drop=cap_sys_time -- -c "ntpdig -t 2 192.0.2.1"
snap host; S0=$SNAP
check_eq "A5 mode 4 reply (python client)" "mode 4 len 48" "$(ntp out m3 192.0.2.1)"
# impl 5: the responder answers one 8-octet INFO_ERR_IMPL mode 7 reply
check_eq "A5 a small (8-octet) mode 7 reply still leaves" "1 8" \
	"$(ntp out m7 192.0.2.1 1700052a00000000)"
snap host; S1=$SNAP
check_eq "A5 ... the mode 4 reply counted as ntp_passed on egress" 1 \
	"$(ng_delta "$S0" "$S1" eth0 ntp_passed packets egress)"
check_eq "A5 ... and mode7_response_passed on egress" 1 \
	"$(ng_delta "$S0" "$S1" eth0 mode7_response_passed packets egress)"
check_eq "A6 IPv6 monlist: no reply leaves" "0 0" "$(ntp out m7 2001:db8::1 1700032a00000000)"
check "A6 IPv6 mode 3 still answered" test "$(ntp out m3 2001:db8::1)" = "mode 4 len 48"

# =============================================================================
ng_log "(B) unload removes exactly what load added"
check "B1 unload eth0" ns host "$NG" unload eth0
check_grep "B1 ... says the clsact qdisc it created is removed" "$NG_OUT" 'egress: detached.*clsact qdisc removed'
check_eq "B1 no ntpguard filter on eth0 egress" "" "$(tc_ng host eth0)"
check_not "B1 clsact (created by ntpguard) removed" has_clsact host eth0
check_eq "B1 no XDP on eth0" "" "$(ng_xdp_prog_id host eth0)"
spoof_round
check_eq "B1 replies leave again after unload" $((NREQ * REPLIES)) "$GOT_BIG"

# Somebody else's TC setup: a root qdisc, clsact, a filter on each hook
# (egress: in front of ntpguard's, matching nothing, so traffic goes on).
ng_assume "someone else's root qdisc (pfifo)" ns host tc qdisc replace dev eth0 root pfifo limit 500
ns host tc qdisc add dev eth0 clsact
ns host tc filter add dev eth0 egress prio 100 u32 match u32 0xdeadbeef 0xffffffff at 0
ns host tc filter add dev eth0 ingress prio 100 u32 match u32 0xdeadbeef 0xffffffff at 0
check "B2 load --egress with a foreign clsact and filters" ns host "$NG" load --egress eth0
check "B2 ntpguard's filter added" test -n "$(tc_ng host eth0)"
spoof_round
check_eq "B2 ntpguard drops behind the foreign filter: no reply leaves" 0 "$GOT"
check "B2 unload eth0" ns host "$NG" unload eth0
cp "$NG_OUT" "$NG_TMP/unload-b2.out"
check_not "B2 ... does not claim to remove the clsact" grep -q 'clsact qdisc removed' "$NG_TMP/unload-b2.out"
check_eq "B2 ntpguard's filter gone" "" "$(tc_ng host eth0)"
check "B2 the foreign egress filter survives" has_u32 host eth0 egress 100
check "B2 the foreign ingress filter survives" has_u32 host eth0 ingress 100
check "B2 the clsact qdisc survives (not ntpguard's)" has_clsact host eth0
check "B2 the root pfifo qdisc survives" has_root_pfifo
ns host tc qdisc del dev eth0 clsact
ns host tc qdisc del dev eth0 root

# ntpguard creates clsact, then somebody adds a filter to it.
check "B3 load --egress (creates clsact)" ns host "$NG" load --egress eth0
check "B3 clsact present" has_clsact host eth0
ns host tc filter add dev eth0 egress prio 30000 u32 match u32 0xdeadbeef 0xffffffff at 0
check "B3 unload eth0" ns host "$NG" unload eth0
check_eq "B3 ntpguard's filter gone" "" "$(tc_ng host eth0)"
check "B3 the filter added later survives" has_u32 host eth0 egress 30000
check "B3 so the clsact stays (still in use)" has_clsact host eth0
check_not "B3 pins removed (nothing attached)" test -e "$NG_PIN_DIR"
ns host tc qdisc del dev eth0 clsact

# =============================================================================
ng_log "(C) a VM behind a bridge: topology"
ns hv ip link add br0 type bridge
ns hv ip link set br0 up
ng_veth vm eth0 hv vnet0
ng_veth lan eth0 hv up0
ns hv ip link set vnet0 master br0
ns hv ip link set up0 master br0
ns vm ip addr add 192.0.2.50/24 dev eth0
ns lan ip addr add 192.0.2.60/24 dev eth0
M_VM=$(mac vm eth0) M_LAN=$(mac lan eth0)
neigh vm 192.0.2.60 "$M_LAN" eth0
neigh vm 192.0.2.66 "$M_LAN" eth0
neigh lan 192.0.2.50 "$M_VM" eth0
start_responder vm vmntpd --bind 192.0.2.50
start_responder lan lanntpd --bind 192.0.2.60
VLOG=$NG_TMP/vmntpd.req
VM_F="udp and src port 123 and dst host 192.0.2.66"
# vm_round : NREQ spoofed requests (victim 192.0.2.66) at the VM
vm_round() {
	local r0
	r0=$(resp_reqs "$VLOG" 192.0.2.66)
	ng_cap_start lan eth0 "$VM_F" vm 192.0.2.66
	ntp lan spoof 192.0.2.66 192.0.2.50 $NREQ
	barrier lan 192.0.2.50 "$VLOG"
	ng_cap_stop
	GOT=$(cap_count)
	GOT_BIG=$(cap_count "$VM_F and udp[4:2] > 208")
	REQS=$(( $(resp_reqs "$VLOG" 192.0.2.66) - r0 ))
}
VV
ng_log "(C1) baseline (harness: the VM reflects)"
vm_round
ng_assume_eq "C1 the VM gets the spoofed requests" $NREQ "$REQS"
ng_assume_eq "C1 the victim gets $((NREQ * REPLIES)) oversized replies from the VM" \
	$((NREQ * REPLIES)) "$GOT_BIG"

ng_log "(C2) ntpguard on the VM-facing veth (native XDP)"
check "load --mode native vnet0" ns hv "$NG" load --mode native vnet0
check_eq "C2 status: vnet0 attached, native mode" "attached native" \
	"$(jget "$(ns hv "$NG" status --json)" "d['interfaces']['vnet0']['state'] + ' ' + d['interfaces']['vnet0']['mode']")"
snap hv; S0=$SNAP
vm_round
snap hv; S1=$SNAP
check_eq "C2 the requests still reach the VM (they leave vnet0, XDP sees its ingress)" \
	$NREQ "$REQS"
check_eq "C2 no reply from the VM reaches the victim" 0 "$GOT"
check_eq "C2 mode7_response_oversized on vnet0 (ingress) counts them all" \
	$((NREQ * REPLIES)) "$(ng_delta "$S0" "$S1" vnet0 mode7_response_oversized packets ingress)"
snap hv; S0=$SNAP
check "C3 lan's time query to the VM answered (ntpdig)" \
	ns lan capsh --drop=cap_sys_time -- -c "ntpdig -t 2 192.0.2.50"
check "C3 the VM's own time sync (ntpdig to lan's server) answered" \
	ns vm capsh --drop=cap_sys_time -- -c "ntpdig -t 2 192.0.2.60"
snap hv; S1=$SNAP
check_ge "C3 vnet0 counted the VM's mode 4 reply and its mode 3 query as ntp_passed" 2 \
	"$(ng_delta "$S0" "$S1" vnet0 ntp_passed packets ingress)"

ng_log "(C4) --egress on the VM-facing veth: requests never reach the VM"
check "load --egress vnet0" ns hv "$NG" load --egress vnet0
snap hv; S0=$SNAP
vm_round
snap hv; S1=$SNAP
check_eq "C4 no spoofed request reaches the VM" 0 "$REQS"
check_eq "C4 ... dropped on vnet0 egress as mode7_request_dropped" $NREQ \
	"$(ng_delta "$S0" "$S1" vnet0 mode7_request_dropped packets egress)"
check_eq "C4 nothing reaches the victim" 0 "$GOT"
check "C4 time sync to the VM still works" \
	ns lan capsh --drop=cap_sys_time -- -c "ntpdig -t 2 192.0.2.50"
check "unload --all (hv)" ns hv "$NG" unload --all
check_eq "C5 no XDP on vnet0" "" "$(ng_xdp_prog_id hv vnet0)"
check_eq "C5 no ntpguard filter on vnet0" "" "$(tc_ng hv vnet0)"
check_not "C5 no clsact left on vnet0" has_clsact hv vnet0
check_not "C5 pins removed" test -e "$NG_PIN_DIR"
vm_round
check_eq "C5 after unload the VM reflects again (the test can tell)" $((NREQ * REPLIES)) "$GOT_BIG"

ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
