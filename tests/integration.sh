#!/bin/bash
# tests/integration.sh - ntpguard end to end, in network namespaces, with real
# software: chronyd as the NTP server, scapy-crafted mode 7 requests, nmap's
# ntp-monlist script, ntpdig and ntpq as legitimate clients, tcpdump on the
# server as the witness of what got past XDP (tcpdump sees packets after XDP,
# so an XDP-dropped packet is invisible to it).
#
# Topology (every name prefixed ngt<pid>-, documentation addresses only):
#
#   att  203.0.113.66/24, 2001:db8:3::66/64  --+
#   cli  192.0.2.10/24                         +-- br0 in "sw" --- srv eth0
#   adm  198.51.100.20/24                    --+      192.0.2.123/24, 2001:db8::123/64
#   att eth1 203.0.113.130/26 ------------------------ srv eth1 203.0.113.129/26
#
# Hosts route everything on-link (default dev eth0) with static neighbour
# entries, so no ARP/NDP timing is involved.
#
#   tests/integration.sh          run; prints "N passed, N failed"
#   NG_KEEP_TMP=1                 keep the temp dir (logs, captures)
#   NTPGUARD=/bin/true            negative control: every filter check fails
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ng_require_root
ng_require_bin ip nsenter tcpdump nmap ntpdig capsh bpftool "$NG_PY" \
	"$NTPGUARD" "$NG_SYSROOT/usr/sbin/chronyd" "$NG_SYSROOT/usr/bin/ntpq"
"$NG_PY" -c 'import scapy.layers.ntp' 2>/dev/null ||
	ng_die "/usr/bin/python3 cannot import scapy (run scripts/deps.sh)"

T0=$(date +%s)
NG=$NTPGUARD
SRV4=192.0.2.123
SRV6=2001:db8::123
SRV_E1=203.0.113.129
BURST=20

ng_setup_bpffs

# ---- topology --------------------------------------------------------------
ng_log "topology (prefix $NG_PFX)"
for n in sw att cli adm srv; do ng_ns_add "$n"; done
ns sw ip link add br0 type bridge
ns sw ip link set br0 up
for h in att cli adm srv; do
	ng_veth "$h" eth0 sw "$h"
	ns sw ip link set "$h" master br0
done
ng_veth att eth1 srv eth1

ns att ip addr add 203.0.113.66/24 dev eth0
ns att ip addr add 2001:db8:3::66/64 dev eth0 nodad
ns att ip addr add 203.0.113.130/26 dev eth1
ns cli ip addr add 192.0.2.10/24 dev eth0
ns adm ip addr add 198.51.100.20/24 dev eth0
ns srv ip addr add $SRV4/24 dev eth0
ns srv ip addr add $SRV6/64 dev eth0 nodad
ns srv ip addr add $SRV_E1/26 dev eth1
for h in att cli adm srv; do
	ns "$h" ip route add default dev eth0
	ns "$h" ip -6 route add default dev eth0
done

declare -A MAC
for h in att cli adm srv; do MAC[$h]=$(ng_mac "$h" eth0); done
ng_neigh srv 203.0.113.66 "${MAC[att]}" eth0
ng_neigh srv 192.0.2.10 "${MAC[cli]}" eth0
ng_neigh srv 198.51.100.20 "${MAC[adm]}" eth0
ng_neigh srv 2001:db8:3::66 "${MAC[att]}" eth0
for h in att cli adm; do
	ng_neigh "$h" $SRV4 "${MAC[srv]}" eth0
	ng_neigh "$h" $SRV6 "${MAC[srv]}" eth0
done
ng_neigh att $SRV_E1 "$(ng_mac srv eth1)" eth1
ng_neigh srv 203.0.113.130 "$(ng_mac att eth1)" eth1

# ---- chronyd: the NTP server under protection ------------------------------
CHRONY_DIR=$NG_TMP/chrony
mkdir -m 0700 "$CHRONY_DIR"
cat >"$CHRONY_DIR/chrony.conf" <<EOF
# Serve time, never touch the clock (-x), no command socket on the network.
pidfile $CHRONY_DIR/chronyd.pid
driftfile $CHRONY_DIR/drift
bindcmdaddress $CHRONY_DIR/chronyd.sock
cmdport 0
port 123
allow all
local stratum 8
user root
EOF
ng_bg chronyd ns srv capsh --drop=cap_sys_time -- -c \
	"exec $NG_SYSROOT/usr/sbin/chronyd -x -u root -f $CHRONY_DIR/chrony.conf -d"
CHRONYD_PID=$NG_BG_PID
srv_listening() { ns srv ss -Hlun 'sport = :123' | grep -q .; }
ng_wait_for 10 srv_listening ||
	ng_die "chronyd did not start: $(tail -n 5 "$NG_TMP/chronyd.log")"

# ---- traffic helpers ---------------------------------------------------------

# Mode 7 requests crafted by scapy once: 8-octet bare and 48-octet (nmap /
# Metasploit) forms, VN 2/3/4, implementation 2/3, codes 42/20/0.
"$NG_PY" - "$NG_TMP/m7.hex" "$BURST" <<'EOF' || ng_die "scapy payload generation failed"
import sys
from scapy.all import raw, Raw
from scapy.layers.ntp import NTPPrivate
out, n = sys.argv[1], int(sys.argv[2])
with open(out, "w") as f:
    for i in range(n):
        vn = (2, 3, 4)[i % 3]
        impl = (3, 2)[i % 2]
        code = (42, 20, 0)[(i // 2) % 3]
        pkt = NTPPrivate(version=vn, mode=7, implementation=impl, request_code=code)
        if (i // 5) % 2:
            pkt = pkt / Raw(bytes(40))
        b = raw(pkt)
        assert len(b) in (8, 48) and b[0] & 7 == 7 and b[0] & 0xc0 == 0, b.hex()
        f.write(b.hex() + "\n")
EOF

cat >"$NG_TMP/send.py" <<'EOF'
# send.py DST COUNT HEXFILE : send COUNT UDP datagrams to DST:123 from one
# ephemeral port, payloads taken in turn from HEXFILE. Prints
# "<packets> <ethernet frame bytes>" (what XDP counts).
import socket, sys, time
dst, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
payloads = [bytes.fromhex(l) for l in open(path).read().split()]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
l2 = 14 + (40 if fam == socket.AF_INET6 else 20) + 8
s = socket.socket(fam, socket.SOCK_DGRAM)
total = 0
for i in range(count):
    p = payloads[i % len(payloads)]
    s.sendto(p, (dst, 123))
    total += l2 + len(p)
    if i % 10 == 9:
        time.sleep(0.001)
print(count, total)
EOF

# burst HOST DST : scapy-crafted mode 7 burst; sets SENT_PKTS, SENT_BYTES.
burst() {
	local r
	r=$(ns "$1" "$NG_PY" "$NG_TMP/send.py" "$2" "$BURST" "$NG_TMP/m7.hex") ||
		{ SENT_PKTS=0 SENT_BYTES=0; return 1; }
	SENT_PKTS=${r% *} SENT_BYTES=${r#* }
}

M7_FILTER='udp dst port 123 and ((ip and (udp[8] & 7) = 7) or (ip6 and ip6[6] = 17 and (ip6[48] & 7) = 7))'
M6_FILTER='udp dst port 123 and ((ip and (udp[8] & 7) = 6) or (ip6 and ip6[6] = 17 and (ip6[48] & 7) = 6))'
M3_FILTER='udp dst port 123 and ((ip and (udp[8] & 7) = 3) or (ip6 and ip6[6] = 17 and (ip6[48] & 7) = 3))'
# cap_start IFACE HOST DST : capture every UDP packet to port 123 arriving
# on srv IFACE; HOST sends its markers to DST (lib.sh: the capture is known
# to run before anything is sent, and holds everything HOST sent before
# cap_stop's end marker).
cap_start() { ng_cap_start srv "$1" 'udp dst port 123' "$2" "$3"; }
cap_stop() { ng_cap_stop; }
# cap_burst IFACE HOST DST : burst HOST DST, captured on srv IFACE.
cap_burst() {
	cap_start "$1" "$2" "$3"
	burst "$2" "$3"
	cap_stop
}
# cap_count FILTER : packets of the last capture matching FILTER.
cap_count() { ng_cap_count "$1"; }

SNAPN=0
# snap : stats --json of srv into $SNAP (file).
snap() {
	SNAPN=$((SNAPN + 1))
	SNAP=$NG_TMP/stats$SNAPN.json
	ng_snap srv "$SNAP"
}
sval() { ng_stat "$@"; }      # sval FILE IFACE REASON FIELD
sdelta() { ng_delta "$@"; }   # sdelta OLD NEW IFACE REASON FIELD

xdp_on() { # xdp_on IFACE : XDP program id attached to srv IFACE, or ""
	ng_xdp_prog_id srv "$1"
}
status_json() { ns srv "$NG" status --json 2>/dev/null; }

NMAP_TIMEOUT=40
run_nmap() { # run_nmap N : nmap ntp-monlist from att against srv; XML report in $NG_TMP/nmapN.xml
	# In the background + wait, so that INT/TERM is handled at once.
	ng_bg "nmap$1" timeout "$NMAP_TIMEOUT" nsenter --net="/run/netns/$(ng_nsname att)" -- \
		nmap -n -Pn -sU -p 123 --script ntp-monlist --max-retries 0 \
		--host-timeout 30s -oX "$NG_TMP/nmap$1.xml" $SRV4
	wait "$NG_BG_PID"
}

# =============================================================================
ng_log "case 1: baseline, no ntpguard (harness: the attack reaches the server)"
ng_assume "1a ntpdig from cli answered by chronyd (no filter)" \
	ns cli capsh --drop=cap_sys_time -- -c "ntpdig -t 2 $SRV4"
cap_burst eth0 att $SRV4
ng_assume_eq "1b all $BURST scapy mode 7 requests reach srv without ntpguard" \
	"$BURST" "$(cap_count "$M7_FILTER")"

cap_start eth0 att $SRV4
run_nmap 1
cap_stop
NMAP_BASE=$(cap_count "$M7_FILTER")
ng_assume "1c nmap ntp-monlist's mode 7 requests reach srv without ntpguard ($NMAP_BASE)" \
	test "$NMAP_BASE" -ge 1 2>/dev/null
ng_assume_eq "1d nmap sees 123/udp open" open "$(ng_nmap "$NG_TMP/nmap1.xml" "port_state('udp', 123)")"

# =============================================================================
ng_log "case 2: ntpguard loaded on srv eth0"
check "2a ntpguard load eth0" ns srv "$NG" load eth0
cp "$NG_OUT" "$NG_TMP/load.out"
check_grep "2b load reports eth0 attached" "$NG_TMP/load.out" '^eth0: attached'
PROG=$(xdp_on eth0)
check "2c an XDP program is attached to srv eth0" test -n "$PROG"
ST=$(status_json)
check_eq "2d status: loaded" true "$(ng_json "d['loaded']" <<<"$ST" 2>/dev/null)"
check_eq "2e status: eth0 attached, ingress" "attached ingress" \
	"$(ng_json "d['interfaces']['eth0']['state'] + ' ' + d['interfaces']['eth0']['direction']" <<<"$ST" 2>/dev/null)"
check_eq "2f status: prog_id is the one on the interface" "${PROG:-none}" \
	"$(ng_json "d['interfaces']['eth0']['prog_id']" <<<"$ST" 2>/dev/null)"
check_eq "2g status: pin_dir under the private bpffs" "$NG_PIN_DIR" \
	"$(ng_json "d['pin_dir']" <<<"$ST" 2>/dev/null)"

snap; S0=$SNAP
cap_burst eth0 att $SRV4
snap; S1=$SNAP
check_eq "2h none of the $BURST scapy mode 7 requests reach srv" 0 "$(cap_count "$M7_FILTER")"
check_eq "2i mode7_request_dropped counts exactly the burst (packets)" \
	"$SENT_PKTS" "$(sdelta "$S0" "$S1" eth0 mode7_request_dropped packets)"
check_eq "2j mode7_request_dropped counts exactly the burst (bytes)" \
	"$SENT_BYTES" "$(sdelta "$S0" "$S1" eth0 mode7_request_dropped bytes)"
check_eq "2k nothing else counted for the burst (ntp_passed unchanged)" \
	0 "$(sdelta "$S0" "$S1" eth0 ntp_passed packets)"

cap_start eth0 att $SRV4
run_nmap 2
cap_stop
snap; S2=$SNAP
check_eq "2l none of nmap ntp-monlist's mode 7 requests reach srv" 0 "$(cap_count "$M7_FILTER")"
check_eq "2m mode7_request_dropped counts nmap's requests" \
	"$NMAP_BASE" "$(sdelta "$S1" "$S2" eth0 mode7_request_dropped packets)"
check_ge "2n mode7_request_dropped >= $BURST + nmap's in total" \
	$((BURST + NMAP_BASE)) "$(sval "$S2" eth0 mode7_request_dropped packets)"
check_eq "2o nmap still sees 123/udp open (mode 3 probe passes)" open \
	"$(ng_nmap "$NG_TMP/nmap2.xml" "port_state('udp', 123)")"
check_eq "2p nmap's ntp-monlist reports nothing" None "$(ng_nmap "$NG_TMP/nmap2.xml" "script('ntp-monlist')")"

# =============================================================================
ng_log "case 3: ordinary time sync through the filter"
snap; S0=$SNAP
check "3a ntpdig (query only) from cli gets an answer through ntpguard" \
	ns cli capsh --drop=cap_sys_time -- -c "ntpdig -t 2 $SRV4"
check_grep "3b ntpdig output names the server at stratum 8" "$NG_OUT" "$SRV4 s8"
check "3c chronyd -Q (query only) from cli gets an answer" \
	ns cli capsh --drop=cap_sys_time -- -c \
	"timeout 15 $NG_SYSROOT/usr/sbin/chronyd -Q -t 6 -u root -f /dev/null 'server $SRV4 iburst' 'pidfile $NG_TMP/chronyq.pid'"
check_grep "3d chronyd -Q reports an offset" "$NG_ERR" 'System clock wrong by'
snap; S1=$SNAP
check_ge "3e ntp_passed moved" 2 "$(sdelta "$S0" "$S1" eth0 ntp_passed packets)"

# =============================================================================
ng_log "case 4: mode 6 (ntpq) is passed"
snap; S0=$SNAP
cap_start eth0 cli $SRV4
# chrony answers no mode 6; the point is that ntpq's request gets past XDP.
# (That a real server's answer comes back through ntpguard is scenarios.sh
# 4l/4n, with ntpsec.)
ns cli timeout 10 "$NG_SYSROOT/usr/bin/ntpq" -c 'timeout 300' -c rv $SRV4 \
	>"$NG_TMP/ntpq.out" 2>&1
cap_stop
snap; S1=$SNAP
M6=$(cap_count "$M6_FILTER")
check_ge "4a ntpq rv's mode 6 request reaches srv through ntpguard" 1 "$M6"
# The default policy rate-caps mode 6 at a burst of 20 per source: ntpq's
# few requests pass, counted as mode6_request_passed, nothing else.
check_eq "4b mode 6 requests counted as mode6_request_passed" "$M6" \
	"$(sdelta "$S0" "$S1" eth0 mode6_request_passed packets)"
check_eq "4c ... and under no other reason" "$M6" \
	"$("$NG_PY" - "$S0" "$S1" <<'PY' 2>/dev/null || echo "?"
import json, sys
a, b = (json.load(open(f))["interfaces"]["eth0"]["reasons"] for f in sys.argv[1:3])
print(sum(b[r]["packets"] - a[r]["packets"] for r in b))
PY
)"

# =============================================================================
ng_log "case 5: allow-list"
snap; S0=$SNAP
cap_burst eth0 adm $SRV4
snap; S1=$SNAP
check_eq "5a adm's mode 7 dropped before allow add" 0 "$(cap_count "$M7_FILTER")"
check_eq "5b ... counted as mode7_request_dropped" "$SENT_PKTS" \
	"$(sdelta "$S0" "$S1" eth0 mode7_request_dropped packets)"
check "5c allow add 198.51.100.20" ns srv "$NG" allow add 198.51.100.20
check_eq "5c ... says so" "allowed 198.51.100.20/32" "$(cat "$NG_OUT")"
check_eq "5d allow list shows 198.51.100.20/32" '["198.51.100.20/32"]' \
	"$(ns srv "$NG" allow list --json 2>/dev/null | ng_json "d['ipv4']")"
check_eq "5e program id unchanged (no reload)" "${PROG:-none}" "$(xdp_on eth0)"
cap_burst eth0 adm $SRV4
snap; S2=$SNAP
check_eq "5f adm's mode 7 arrives right after allow add" "$BURST" "$(cap_count "$M7_FILTER")"
check_eq "5g ... counted as mode7_request_allowed" "$SENT_PKTS" \
	"$(sdelta "$S1" "$S2" eth0 mode7_request_allowed packets)"
check_eq "5h ... and not as dropped" 0 \
	"$(sdelta "$S1" "$S2" eth0 mode7_request_dropped packets)"
cap_burst eth0 att $SRV4
check_eq "5i att (not listed) still dropped while adm is allowed" 0 "$(cap_count "$M7_FILTER")"
check "5j allow del 198.51.100.20" ns srv "$NG" allow del 198.51.100.20
snap; S3=$SNAP
cap_burst eth0 adm $SRV4
snap; S4=$SNAP
check_eq "5k adm's mode 7 dropped again after allow del" 0 "$(cap_count "$M7_FILTER")"
check_eq "5l ... counted as mode7_request_dropped" "$SENT_PKTS" \
	"$(sdelta "$S3" "$S4" eth0 mode7_request_dropped packets)"

# =============================================================================
ng_log "case 6: IPv6"
snap; S0=$SNAP
cap_start eth0 att $SRV6
burst att $SRV6
SENT6_BYTES=$SENT_BYTES
check "6a ntpdig over IPv6 from att gets an answer" \
	ns att capsh --drop=cap_sys_time -- -c "ntpdig -t 2 $SRV6"
cap_stop
snap; S1=$SNAP
check_eq "6b mode 7 over IPv6 dropped" 0 "$(cap_count "$M7_FILTER")"
check_eq "6c ... counted (packets)" "$SENT_PKTS" \
	"$(sdelta "$S0" "$S1" eth0 mode7_request_dropped packets)"
check_eq "6d ... counted (bytes, IPv6 frames)" "$SENT6_BYTES" \
	"$(sdelta "$S0" "$S1" eth0 mode7_request_dropped bytes)"
check_ge "6e mode 3 over IPv6 reaches srv" 1 "$(cap_count "$M3_FILTER")"
check_ge "6f ... counted as ntp_passed" 1 "$(sdelta "$S0" "$S1" eth0 ntp_passed packets)"

# =============================================================================
ng_log "case 8: two interfaces"
check "8a load eth1" ns srv "$NG" load eth1
check_grep "8b load reports eth1 attached" "$NG_OUT" '^eth1: attached'
check "8c load eth0 again exits 0" ns srv "$NG" load eth0
check_grep "8d ... and says already protected" "$NG_OUT" '^eth0: already protected'
check_eq "8e ... and left the program in place" "${PROG:-none}" "$(xdp_on eth0)"
check "8f allow add 198.51.100.0/24 2001:db8:5::/48" \
	ns srv "$NG" allow add 198.51.100.0/24 2001:db8:5::/48
ALLOW_BEFORE=$(ns srv "$NG" allow list --json 2>/dev/null)
snap; S0=$SNAP
cap_burst eth1 att $SRV_E1
snap; S1=$SNAP
check_eq "8g mode 7 via eth1 dropped" 0 "$(cap_count "$M7_FILTER")"
check_eq "8h ... counted on eth1" "$SENT_PKTS" \
	"$(sdelta "$S0" "$S1" eth1 mode7_request_dropped packets)"
check_eq "8i ... and not on eth0" 0 \
	"$(sdelta "$S0" "$S1" eth0 mode7_request_dropped packets)"

check "8j unload eth0" ns srv "$NG" unload eth0
check_eq "8j ... says which program it detached" "eth0: detached (prog id ${PROG:-none})" "$(cat "$NG_OUT")"
check_eq "8k no XDP program left on eth0" "" "$(xdp_on eth0)"
check "8l eth1 still has its XDP program" test -n "$(xdp_on eth1)"
check "8m pins kept while eth1 is protected" test -d "$NG_PIN_DIR"
ST=$(status_json)
check_eq "8n status: eth1 attached" attached \
	"$(ng_json "d['interfaces']['eth1']['state']" <<<"$ST" 2>/dev/null)"
check_eq "8o status: eth0 no longer attached" no \
	"$(ng_json "'yes' if d['interfaces'].get('eth0', {}).get('state') == 'attached' else 'no'" <<<"$ST" 2>/dev/null)"
check_eq "8p allow-list survives unloading eth0" "$ALLOW_BEFORE" \
	"$(ns srv "$NG" allow list --json 2>/dev/null)"
snap; S2=$SNAP
check_eq "8q eth1 counters survive unloading eth0" \
	"$(sval "$S1" eth1 mode7_request_dropped packets)" \
	"$(sval "$S2" eth1 mode7_request_dropped packets)"
cap_burst eth1 att $SRV_E1
snap; S3=$SNAP
check_eq "8r eth1 keeps dropping mode 7" 0 "$(cap_count "$M7_FILTER")"
check_eq "8s ... and keeps counting" "$SENT_PKTS" \
	"$(sdelta "$S2" "$S3" eth1 mode7_request_dropped packets)"
cap_burst eth0 att $SRV4
check_eq "8t unloaded eth0 passes mode 7 again" "$BURST" "$(cap_count "$M7_FILTER")"

check "8u load eth0 again" ns srv "$NG" load eth0
check_grep "8v ... attached" "$NG_OUT" '^eth0: attached'
check "8w load eth0 once more exits 0" ns srv "$NG" load eth0
check_grep "8x ... already protected" "$NG_OUT" '^eth0: already protected'
PROG=$(xdp_on eth0)
cap_burst eth0 att $SRV4
check_eq "8y reloaded eth0 drops mode 7" 0 "$(cap_count "$M7_FILTER")"

# =============================================================================
ng_log "case 7: unload"
check "7a unload eth0 eth1" ns srv "$NG" unload eth0 eth1
check_eq "7b no XDP program on eth0 (ip link)" "" "$(xdp_on eth0)"
check_eq "7c no XDP program on eth1 (ip link)" "" "$(xdp_on eth1)"
check_eq "7d bpftool net: no XDP in srv" "[]" \
	"$(ns srv bpftool -j net show 2>/dev/null | ng_json "d[0]['xdp']")"
check_not "7e pins dir removed" test -e "$NG_PIN_DIR"
check_eq "7f status --json: not loaded" false \
	"$(ns srv "$NG" status --json 2>/dev/null | ng_json "d['loaded']")"
cap_burst eth0 att $SRV4
check_eq "7g the burst arrives again after unload" "$BURST" "$(cap_count "$M7_FILTER")"
check "7h chronyd still running" kill -0 "$CHRONYD_PID"

ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
