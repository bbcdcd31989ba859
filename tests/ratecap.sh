#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/ratecap.sh - ntpguard's mode 7 rate caps on a real interface, in
# network namespaces:
#
#   snd eth0 192.0.2.1/24 2001:db8::1/64  <-- veth -->  rcv eth0 192.0.2.123/24
#                                                       2001:db8::123/64
#                                                       ntpguard on eth0
#
#   1. one source: mode7_request=ratecap rate R=10/s burst B=5 (global caps
#      high). The sender fires mode 7 requests from one UDP socket at a
#      fixed 50 pps for 4 s (time-paced). Arrivals must be within +-10 % of
#      R x T + B, T being the send duration the sender measured. Arrivals
#      are counted twice: by a UDP socket on port 123 in the receiver
#      namespace, and by `stats --json` (mode7_request_passed); they must
#      agree, and passed + ratecapped must be what was sent.
#   2. many spoofed sources: 2000 distinct sources (documentation ranges
#      only: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and /64s of
#      2001:db8::/32), each sending 2 requests (frames built with scapy),
#      with a per-source budget they never exhaust (rate 1, burst 1, the
#      rate table sized 1024 so the second round finds most buckets
#      evicted) but a small global cap (G=20/s, GB=10). Arrivals must stay
#      within +-10 % of G x T + GB (the upper bound is the cap; the lower
#      one shows the cap is not simply dropping everything).
#   3. control: the same flood with the global cap lifted lets at least one
#      packet per source through (>= 2000): the global cap was what held.
#
# Everything is prefixed ngrc<pid>-, uses a private bpffs (NTPGUARD_BPFFS),
# kills only its own pids and is removed on exit. About 16 s.
#
#   tests/ratecap.sh        prints "N passed, N failed"; exit 1 on failure
#   NG_KEEP_TMP=1           keep the temp dir (logs)
set -u
cd "$(dirname "$0")/.." || exit 2

NG_TAG=ngrc   # namespaces ngrc<PID>-snd and -rcv, temp dir /tmp/ngrc<PID>-XXXXXX
# shellcheck source=tests/lib.sh
. tests/lib.sh
NG=$NTPGUARD
PY=$NG_PY
TMP=$NG_TMP

# Test parameters.
R=10 B=5 PPS=50 DUR=4
G=20 GB=10 NSRC=2000 ROUNDS=2 FLOOD_PPS=1000

# check_within NAME VALUE LO HI (numbers, may be fractional)
check_within() {
	if "$PY" -c 'import sys; v, lo, hi = map(float, sys.argv[1:4]); sys.exit(not lo <= v <= hi)' \
		"$2" "$3" "$4"; then
		ng_pass "$1: $2 in [$3, $4]"
		return 0
	fi
	ng_fail "$1" "value $2 not in [$3, $4]"
	return 1
}
calc() { "$PY" -c "import sys; print($1)"; }
# check_within10 NAME VALUE EXPECTED : VALUE within +-10 % of EXPECTED
check_within10() { check_within "$1" "$2" "$(calc "$3 * 0.9")" "$(calc "$3 * 1.1")"; }
# check_tally LABEL SENT PASSED CAPPED RX : the receiving socket and stats
# agree, and every request sent was either passed or ratecapped.
check_tally() {
	check_eq "$1: socket and stats mode7_request_passed agree" "$3" "$5"
	check_eq "$1: passed + ratecapped = sent" "$2" "$(($3 + $4))"
}

ngr() { ns rcv "$NG" "$@"; }
# passed/ratecapped mode 7 requests on rcv eth0, from stats --json
m7() {
	ngr stats --json | ng_json '"%d %d" % (d["interfaces"]["eth0"]["reasons"]["mode7_request_passed"]["packets"], d["interfaces"]["eth0"]["reasons"]["mode7_request_ratecapped"]["packets"])'
}

[ "$(id -u)" = 0 ] || ng_fatal "must run as root"
for b in ip nsenter "$PY" "$NG"; do
	command -v "$b" >/dev/null 2>&1 || [ -x "$b" ] || ng_fatal "missing $b"
done
"$PY" -c 'import scapy.all' 2>/dev/null || ng_fatal "$PY cannot import scapy"
T_START=$(date +%s)

# ---- topology ------------------------------------------------------------------
ng_setup_bpffs
ng_ns_add snd
ng_ns_add rcv
ng_veth snd eth0 rcv eth0
ns snd ip addr add 192.0.2.1/24 dev eth0
ns snd ip addr add 2001:db8::1/64 dev eth0 nodad
ns rcv ip addr add 192.0.2.123/24 dev eth0
ns rcv ip addr add 2001:db8::123/64 dev eth0 nodad
# Spoofed sources must reach the socket: no reverse-path filter, and a way
# back (never used: the receiver only counts).
for k in all default eth0; do
	ns rcv sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
done
ns rcv ip route add default dev eth0
ns rcv ip -6 route add default dev eth0
MAC_SND=$(ns snd ip -j link show dev eth0 | ng_json 'd[0]["address"]')
MAC_RCV=$(ns rcv ip -j link show dev eth0 | ng_json 'd[0]["address"]')
ns snd ip neigh replace 192.0.2.123 lladdr "$MAC_RCV" dev eth0 nud permanent
ns rcv ip neigh replace 192.0.2.1 lladdr "$MAC_SND" dev eth0 nud permanent

check "load ntpguard on rcv eth0 (--max-sources 1024)" ngr load --max-sources 1024 eth0 ||
	ng_fatal "cannot load ntpguard"

# ---- the receiver: a UDP socket on port 123 counting mode 7 requests -------------
cat >"$TMP/recv.py" <<'EOF'
import select, signal, socket, sys
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((addr, 123))
    socks.append(s)
count = other = 0
def report(*_):
    print(count, other, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
signal.signal(signal.SIGUSR1, lambda *_: print(count, other, flush=True))
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 0.5)
    for s in r:
        data = s.recv(2048)
        if data and data[0] & 7 == 7 and not data[0] & 0x80:
            count += 1
        else:
            other += 1
EOF
# log: $TMP/recv.log
ng_bg recv ns rcv "$PY" "$TMP/recv.py"
RECV_PID=$NG_BG_PID
for _ in $(seq 50); do grep -q ready "$TMP/recv.log" && break; sleep 0.1; done
grep -q ready "$TMP/recv.log" || ng_fatal "receiver did not start: $(cat "$TMP/recv.log")"
# received: ask the receiver for its count so far ("mode7 other").
received() {
	local before
	before=$(wc -l <"$TMP/recv.log")
	kill -USR1 "$RECV_PID"
	for _ in $(seq 30); do
		[ "$(wc -l <"$TMP/recv.log")" -gt "$before" ] && break
		sleep 0.1
	done
	tail -n 1 "$TMP/recv.log"
}

# =============================================================================
echo "# 1. one source at $PPS pps for $DUR s, ratecap rate $R burst $B"
check "set ratecap R=$R B=$B, global caps high" ngr set mode7_request=ratecap \
	mode7_request_rate=$R mode7_request_burst=$B \
	mode7_request_global_rate=10000000 mode7_request_global_burst=10000000
read -r p0 c0 <<<"$(m7)"
ns snd "$PY" - "$PPS" "$DUR" >"$TMP/send1.out" 2>&1 <<'EOF'
import socket, sys, time
pps, dur = float(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 0))
req = bytes([0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0])   # VN 2, mode 7, MON_GETLIST_1
n = int(pps * dur)
t0 = time.monotonic()
first = last = None
for i in range(n):
    while True:                      # paced: packet i leaves at t0 + i / pps
        d = t0 + i / pps - time.monotonic()
        if d <= 0:
            break
        time.sleep(d)
    s.sendto(req, ("192.0.2.123", 123))
    last = time.monotonic()
    if first is None:
        first = last
print(n, "%.6f" % (last - first))
EOF
read -r SENT1 T1 <"$TMP/send1.out"
sleep 0.3
read -r RX1 OTHER1 <<<"$(received)"
read -r p1 c1 <<<"$(m7)"
PASSED1=$((p1 - p0))
CAPPED1=$((c1 - c0))
EXP1=$(calc "$R * $T1 + $B")
echo "# sent $SENT1 in T=${T1}s; expected R*T+B = $EXP1; arrived: socket $RX1, stats $PASSED1 (ratecapped $CAPPED1)"
check_eq "sender sent $((PPS * DUR))" "$((PPS * DUR))" "$SENT1"
check_within10 "one source: socket arrivals within 10 % of R*T+B" "$RX1" "$EXP1"
check_tally "one source" "$SENT1" "$PASSED1" "$CAPPED1" "$RX1"
check_eq "one source: nothing else reached the socket" 0 "$OTHER1"

# =============================================================================
echo "# 2. $NSRC spoofed sources x $ROUNDS at $FLOOD_PPS pps, global cap G=$G GB=$GB"
check "set per-source rate 1 burst 1, global rate $G burst $GB" ngr set \
	mode7_request_rate=1 mode7_request_burst=1 \
	mode7_request_global_rate=$G mode7_request_global_burst=$GB
read -r p0 c0 <<<"$(m7)"
RX0=$(received | cut -d' ' -f1)
cat >"$TMP/flood.py" <<'EOF'
import socket, sys, time
from scapy.all import Ether, IP, IPv6, UDP, Raw
mac_s, mac_r = sys.argv[1:3]
nsrc, rounds, pps = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
req = Raw(b"\x17\x00\x03\x2a" + b"\x00" * 4)
srcs = []
for net in ("192.0.2.", "198.51.100.", "203.0.113."):
    srcs += [net + str(h) for h in range(1, 255) if net + str(h) not in ("192.0.2.1", "192.0.2.123")]
i = 0
while len(srcs) < nsrc:                      # one /64 each in 2001:db8:1000::/36
    srcs.append("2001:db8:%x:%x::1" % (0x1000 + i // 0x10000, i % 0x10000))
    i += 1
srcs = srcs[:nsrc]
assert len(set(srcs)) == nsrc
frames = []
for k, a in enumerate(srcs):
    l3 = IPv6(src=a, dst="2001:db8::123") if ":" in a else IP(src=a, dst="192.0.2.123")
    frames.append(bytes(Ether(src=mac_s, dst=mac_r) / l3 / UDP(sport=20000 + k, dport=123) / req))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
n = 0
t0 = time.monotonic()
first = last = None
for r in range(rounds):
    for f in frames:
        while True:
            d = t0 + n / pps - time.monotonic()
            if d <= 0:
                break
            time.sleep(d)
        s.send(f)
        n += 1
        last = time.monotonic()
        if first is None:
            first = last
print(n, "%.6f" % (last - first))
EOF
flood() { # flood OUTFILE
	ns snd "$PY" "$TMP/flood.py" "$MAC_SND" "$MAC_RCV" "$NSRC" "$ROUNDS" "$FLOOD_PPS" \
		>"$1" 2>"$1.err"
}
flood "$TMP/send2.out"
read -r SENT2 T2 <"$TMP/send2.out"
[ -n "${T2:-}" ] || ng_fatal "flood sender failed: $(tail -n 5 "$TMP/send2.out.err")"
sleep 0.3
read -r RX2 OTHER2 <<<"$(received)"
RX2=$((RX2 - RX0))
read -r p1 c1 <<<"$(m7)"
PASSED2=$((p1 - p0))
CAPPED2=$((c1 - c0))
EXP2=$(calc "$G * $T2 + $GB")
echo "# sent $SENT2 from $NSRC sources in T=${T2}s; cap G*T+GB = $EXP2; arrived: socket $RX2, stats $PASSED2 (ratecapped $CAPPED2)"
check_eq "flood: sender sent $((NSRC * ROUNDS))" "$((NSRC * ROUNDS))" "$SENT2"
check_within10 "flood: arrivals within 10 % of G*T+GB (the global cap holds)" "$PASSED2" "$EXP2"
check_tally "flood" "$SENT2" "$PASSED2" "$CAPPED2" "$RX2"
ENTRIES=$(ngr status --json | ng_json 'd["rate_table"]["entries"]')
check_within "flood: rate table full but bounded (entries)" "$ENTRIES" 512 1024
check_eq "flood: nothing else reached the socket" 0 "$OTHER2"

# Negative control: the same flood with the global cap lifted. Each
# source's first packet, and the second of every source whose bucket the
# LRU evicted, clear the per-source stage: the global cap above was what
# held.
echo "# 3. control: the same flood with the global cap lifted"
check "set global rate/burst 10^7" ngr set \
	mode7_request_global_rate=10000000 mode7_request_global_burst=10000000
read -r p0 c0 <<<"$(m7)"
flood "$TMP/send3.out"
read -r SENT3 T3 <"$TMP/send3.out"
read -r p1 c1 <<<"$(m7)"
PASSED3=$((p1 - p0))
echo "# sent $SENT3 in T=${T3}s without a global cap: $PASSED3 passed the per-source caps"
check_within "control: without the global cap at least every source's first packet passes" \
	"$PASSED3" "$NSRC" "$SENT3"

check "unload" ngr unload --all
T_TOTAL=$(( $(date +%s) - T_START ))
check_within "whole test under 30 s" "$T_TOTAL" 0 30

ng_summary
