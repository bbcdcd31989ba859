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
#      fixed 50 pps for 4 s (time-paced).
#   2. many spoofed sources: 2000 distinct sources (documentation ranges
#      only: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and /64s of
#      2001:db8::/32), each sending 2 requests (frames built with scapy),
#      with a per-source budget they do not exhaust (rate 1, burst 1, the
#      rate table sized 1024 so the second round finds most buckets
#      evicted) but a small global cap (G=20/s, GB=10).
#   3. control: the same flood with the global cap lifted: the global cap
#      was what held.
#
# How many requests may pass is not guessed with a tolerance: the sender
# reads CLOCK_MONOTONIC (the data plane's clock) just before and just after
# handing each frame to the kernel, and a reference model of the buckets,
# written here from ng_ratelimit.h's documented semantics, is run twice: with
# every gap between two frames as short as those readings allow, and as
# long. A token bucket passes no fewer packets when gaps grow, so the two
# runs bound what the kernel may do; a stalled sender widens the interval
# only as much as the stall it measured. (The XDP program runs in the
# softirq that the send itself raises, on the sending CPU, inside the
# send; the sender is pinned to one CPU.) Arrivals are counted twice: by a
# UDP socket on port 123 in the receiver namespace and by `stats --json`;
# they must agree, and passed + ratecapped must be what was sent.
#
# Everything is prefixed ngrc<pid>-, uses a private bpffs (NTPGUARD_BPFFS),
# kills only its own pids and is removed on exit. About 16 s.
#
#   tests/ratecap.sh        prints "N passed, N failed, N skipped"
#   NG_KEEP_TMP=1           keep the temp dir (logs, send times)
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
G=20 GB=10 NSRC=2000 ROUNDS=2 FLOOD_PPS=1000 TABLE=1024
BIG=10000000

calc() { "$PY" -c "import sys; print($1)"; }
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

ng_require_root
ng_require_bin ip nsenter taskset "$PY" "$NG"
"$PY" -c 'import scapy.all' 2>/dev/null || ng_fatal "$PY cannot import scapy"
T_START=$(date +%s)
CPU=$(ng_one_cpu)

# ---- the reference model ----------------------------------------------------------
# model.py TIMES R B GR GB TABLE : TIMES has one line per frame sent,
# "key before_ns after_ns". Prints "lo hi": the passes of a run with the
# shortest gaps the readings allow and no key evicted from the table, then
# with the longest gaps and every key that may have been evicted (the
# table may be full: TABLE - 128 keys inserted) coming back full.
cat >"$TMP/model.py" <<'EOF'
import sys
NSEC, RATE_MAX, REFILL_MAX = 10**9, 10**7, 1844674407370
rows = [l.split() for l in open(sys.argv[1])]
rate, burst, grate, gburst, table = map(int, sys.argv[2:7])

def take(b, t, rate, burst):
    cap = burst * NSEC
    idle = min(max(0, t - b[1]), REFILL_MAX)
    b[0] = cap if b[0] > cap else min(cap, b[0] + idle * min(rate, RATE_MAX))
    b[1] = t
    if b[0] >= NSEC:
        b[0] -= NSEC
        return True
    return False

def run(times, evict):
    keys, glob, passed = {}, [gburst * NSEC, times[0]], 0
    for (key, _, _), t in zip(rows, times):
        if key not in keys or (evict and len(keys) >= table - 128):
            keys[key] = [burst * NSEC, t]          # a new key starts full
        if not take(keys[key], t, rate, burst):
            continue
        if take(glob, t, grate, gburst):
            passed += 1
        else:
            keys[key][0] += NSEC                    # the global cap gives it back
    return passed

def times(shortest):
    out, t = [0], 0
    for (_, b0, a0), (_, b1, a1) in zip(rows, rows[1:]):
        gap = max(0, int(b1) - int(a0)) if shortest else int(a1) - int(b0)
        t += gap
        out.append(t)
    return out

print(run(times(True), False), run(times(False), True))
EOF

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
MAC_SND=$(ng_mac snd eth0)
MAC_RCV=$(ng_mac rcv eth0)
ng_neigh snd 192.0.2.123 "$MAC_RCV" eth0
ng_neigh rcv 192.0.2.1 "$MAC_SND" eth0

check "load ntpguard on rcv eth0 (--max-sources $TABLE)" ngr load --max-sources $TABLE eth0 ||
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
recv_ready() { grep -q ready "$TMP/recv.log"; }
ng_wait_for 5 recv_ready || ng_fatal "receiver did not start: $(cat "$TMP/recv.log")"
# received WANT : ask the receiver for its count so far ("mode7 other")
# until it reports at least WANT mode 7 requests (bounded: datagrams the
# XDP program passed may still be on their way to the socket).
received() {
	local before want=$1 i line=
	for i in $(seq 50); do
		before=$(wc -l <"$TMP/recv.log")
		kill -USR1 "$RECV_PID"
		for _ in $(seq 30); do
			[ "$(wc -l <"$TMP/recv.log")" -gt "$before" ] && break
			sleep 0.1
		done
		line=$(tail -n 1 "$TMP/recv.log")
		[ "${line%% *}" -ge "$want" ] 2>/dev/null && break
		sleep 0.1
	done
	echo "$line"
}

# =============================================================================
echo "# 1. one source at $PPS pps for $DUR s, ratecap rate $R burst $B"
check "set ratecap R=$R B=$B, global caps high" ngr set mode7_request=ratecap \
	mode7_request_rate=$R mode7_request_burst=$B \
	mode7_request_global_rate=$BIG mode7_request_global_burst=$BIG
read -r p0 c0 <<<"$(m7)"
ns snd taskset -c "$CPU" "$PY" - "$PPS" "$DUR" "$TMP/times1" >"$TMP/send1.out" 2>&1 <<'EOF'
import socket, sys, time
pps, dur, log = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 0))
req = bytes([0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0])   # VN 2, mode 7, MON_GETLIST_1
n = int(pps * dur)
rows = []
t0 = time.monotonic()
for i in range(n):
    while True:                      # paced: packet i leaves at t0 + i / pps
        d = t0 + i / pps - time.monotonic()
        if d <= 0:
            break
        time.sleep(d)
    before = time.monotonic_ns()
    s.sendto(req, ("192.0.2.123", 123))
    rows.append((before, time.monotonic_ns()))
with open(log, "w") as f:
    f.writelines("192.0.2.1 %d %d\n" % r for r in rows)
print(n, "%.6f" % ((rows[-1][1] - rows[0][0]) / 1e9))
EOF
read -r SENT1 T1 <"$TMP/send1.out"
read -r LO1 HI1 <<<"$("$PY" "$TMP/model.py" "$TMP/times1" $R $B $BIG $BIG $TABLE)"
read -r p1 c1 <<<"$(m7)"
PASSED1=$((p1 - p0))
CAPPED1=$((c1 - c0))
read -r RX1 OTHER1 <<<"$(received "$PASSED1")"
echo "# sent $SENT1 in ${T1} s; the model allows $LO1..$HI1 (R*T+B = $(calc "$R * $T1 + $B")); arrived: socket $RX1, stats $PASSED1 (ratecapped $CAPPED1)"
ng_assume_eq "sender sent $((PPS * DUR))" "$((PPS * DUR))" "$SENT1"
check_within "one source: passed as the bucket model allows for the measured send times" \
	"$PASSED1" "$LO1" "$HI1"
check_tally "one source" "$SENT1" "$PASSED1" "$CAPPED1" "$RX1"
check_eq "one source: nothing else reached the socket" 0 "$OTHER1"

# =============================================================================
echo "# 2. $NSRC spoofed sources x $ROUNDS at $FLOOD_PPS pps, global cap G=$G GB=$GB"
check "set per-source rate 1 burst 1, global rate $G burst $GB" ngr set \
	mode7_request_rate=1 mode7_request_burst=1 \
	mode7_request_global_rate=$G mode7_request_global_burst=$GB
read -r p0 c0 <<<"$(m7)"
RX0=$(received 0 | cut -d' ' -f1)
cat >"$TMP/flood.py" <<'EOF'
import socket, sys, time
from scapy.all import Ether, IP, IPv6, UDP, Raw
mac_s, mac_r = sys.argv[1:3]
nsrc, rounds, pps, log = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
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
rows = []
t0 = time.monotonic()
for r in range(rounds):
    for k, f in enumerate(frames):
        while True:
            d = t0 + n / pps - time.monotonic()
            if d <= 0:
                break
            time.sleep(d)
        before = time.monotonic_ns()
        s.send(f)
        rows.append((srcs[k], before, time.monotonic_ns()))
        n += 1
with open(log, "w") as f:
    f.writelines("%s %d %d\n" % r for r in rows)
print(n, "%.6f" % ((rows[-1][2] - rows[0][1]) / 1e9))
EOF
flood() { # flood OUTFILE TIMES
	ns snd taskset -c "$CPU" "$PY" "$TMP/flood.py" "$MAC_SND" "$MAC_RCV" "$NSRC" "$ROUNDS" \
		"$FLOOD_PPS" "$2" >"$1" 2>"$1.err"
}
flood "$TMP/send2.out" "$TMP/times2"
read -r SENT2 T2 <"$TMP/send2.out"
[ -n "${T2:-}" ] || ng_fatal "flood sender failed: $(tail -n 5 "$TMP/send2.out.err")"
read -r LO2 HI2 <<<"$("$PY" "$TMP/model.py" "$TMP/times2" 1 1 $G $GB $TABLE)"
read -r p1 c1 <<<"$(m7)"
PASSED2=$((p1 - p0))
CAPPED2=$((c1 - c0))
read -r RX2 OTHER2 <<<"$(received $((RX0 + PASSED2)))"
RX2=$((RX2 - RX0))
echo "# sent $SENT2 from $NSRC sources in ${T2} s; the model allows $LO2..$HI2 (G*T+GB = $(calc "$G * $T2 + $GB")); arrived: socket $RX2, stats $PASSED2 (ratecapped $CAPPED2)"
ng_assume_eq "flood: sender sent $((NSRC * ROUNDS))" "$((NSRC * ROUNDS))" "$SENT2"
check_within "flood: passed as the global cap allows for the measured send times" \
	"$PASSED2" "$LO2" "$HI2"
check_tally "flood" "$SENT2" "$PASSED2" "$CAPPED2" "$RX2"
# Every insert ran on one CPU (the senders are pinned to it): the LRU table
# is full and holds at least TABLE - 128 keys (kernel/bpf/bpf_lru_list.c:
# one CPU's local free list takes LOCAL_FREE_TARGET = 128 nodes at a time).
ENTRIES=$(ngr status --json | ng_json 'd["rate_table"]["entries"]')
check_within "flood: rate table full but bounded (entries)" "$ENTRIES" $((TABLE - 128)) $TABLE
check_eq "flood: nothing else reached the socket" 0 "$OTHER2"

# Negative control: the same flood with the global cap lifted. Each
# source's first packet, and the second of every source whose bucket
# refilled (2 s later at 1/s) or was evicted, clear the per-source stage:
# the global cap above was what held.
echo "# 3. control: the same flood with the global cap lifted"
check "set global rate/burst 10^7" ngr set \
	mode7_request_global_rate=$BIG mode7_request_global_burst=$BIG
read -r p0 c0 <<<"$(m7)"
flood "$TMP/send3.out" "$TMP/times3"
read -r SENT3 T3 <"$TMP/send3.out"
read -r LO3 HI3 <<<"$("$PY" "$TMP/model.py" "$TMP/times3" 1 1 $BIG $BIG $TABLE)"
read -r p1 c1 <<<"$(m7)"
PASSED3=$((p1 - p0))
echo "# sent $SENT3 in ${T3} s without a global cap: $PASSED3 passed the per-source caps (model: $LO3..$HI3)"
check_within "control: without the global cap the per-source caps pass what the model allows" \
	"$PASSED3" "$LO3" "$HI3"
check "control: ... at least every source's first packet" test "$PASSED3" -ge "$NSRC"

check "unload" ngr unload --all
ng_log "took $(( $(date +%s) - T_START )) s"

ng_summary
