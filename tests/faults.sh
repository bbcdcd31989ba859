#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/faults.sh - ntpguard under faults, in network namespaces (prefix
# ngf<pid>-, private bpffs, documentation addresses only, bounded in count
# and time):
#
#   att  eth0 (spoofs 203.0.113.0/24) --+
#   cli0 eth0 192.0.2.10/24 ------------+-- br0 (sw) --- srv eth0 192.0.2.123/24  always protected
#   cli1 eth0 198.51.100.10/24 ---------------------- srv eth1 198.51.100.1/24   loaded/unloaded
#
#   A. churn: CYCLES (200) cycles of load eth1 / set / allow add / set /
#      allow del / unload eth1, while a spoofed mode 7 flood hits eth0 and
#      two legitimate mode 3 streams (one through each interface) run. The
#      server's socket is the oracle: no mode 7 request ever reaches it (no
#      moment of a policy change lets one through), and it receives every
#      legitimate request sent. After every cycle exactly one ntpguard
#      program uses the pinned maps; after `unload --all` no program, map,
#      link or pin this run created is left (compared by id with bpftool,
#      the system-wide counts printed before and after).
#   B. SIGKILL in the middle of `load` (first load and later loads), of a
#      large `allow add` and of `set`: strace kills the CLI at the entry of
#      its Nth bpf() call, for every N where the call changes something;
#      the next commands must find a consistent state and say what it is.
#   C. two commands at once: two `allow add` loops, two `set` loops on
#      different keys, `set` during a first `load`: no lost update.
#   D. full maps: the IPv6 allow-list at its capacity (NG_ALLOW_MAX): a clear
#      error and nothing changed, listed hosts still allowed, others still
#      dropped; the rate table at its capacity: new sources still policed.
#
#   tests/faults.sh            prints "N passed, N failed, N skipped"
#   NG_FAULT_CYCLES=N          cycles of part A (default 200)
#   NG_FAULT_PARTS=ABCD        the parts to run (default all)
#   NG_KEEP_TMP=1              keep the temp dir
set -u
cd "$(dirname "$0")/.." || exit 2

NG_TAG=ngf
# shellcheck source=tests/lib.sh
. tests/lib.sh
NG=$NTPGUARD
PY=$NG_PY
CYCLES=${NG_FAULT_CYCLES:-200}
PARTS=${NG_FAULT_PARTS:-ABCD}
part() { [[ "$PARTS" == *"$1"* ]]; }
CYCLE_BOUND_S=600      # part A stops (and fails) if the cycles take longer

ng_require_root
ng_require_bin ip nsenter strace bpftool tc "$PY" "$NG"
T0=$(date +%s)

# ---- bpf objects: ours, by id ------------------------------------------------------
# bpfobj.py CMD ... : bpftool's JSON, reduced.
#   ids prog|map|link          every id of that kind on the system
#   using MAPID...             ids of programs that use any of these maps
#   linked PROGID...           ids of links to any of these programs
cat >"$NG_TMP/bpfobj.py" <<'EOF'
import json, subprocess, sys
def show(kind):
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True).stdout
    return json.loads(out or "[]")
cmd, args = sys.argv[1], set(int(a) for a in sys.argv[2:] if a.isdigit())
if cmd == "ids":
    print(" ".join(str(o["id"]) for o in show(sys.argv[2])))
elif cmd == "using":
    print(" ".join(str(p["id"]) for p in show("prog") if args & set(p.get("map_ids", []))))
elif cmd == "linked":
    print(" ".join(str(l["id"]) for l in show("link") if l.get("prog_id") in args))
EOF
bpfobj() { "$PY" "$NG_TMP/bpfobj.py" "$@"; }
count() { wc -w <<<"$1"; }
# ids of the maps pinned in our pin directory
pinned_map_ids() {
	local f
	for f in "$NG_PIN_DIR"/*; do
		[ -e "$f" ] && bpftool -j map show pinned "$f" 2>/dev/null | ng_json "d['id']"
	done | sort -n | paste -sd' '
}

# ---- topology ------------------------------------------------------------------
ng_setup_bpffs
for n in sw att cli0 cli1 srv; do ng_ns_add "$n"; done
ns sw ip link add br0 type bridge
ns sw ip link set br0 up
for h in att cli0 srv; do
	ng_veth "$h" eth0 sw "$h"
	ns sw ip link set "$h" master br0
done
ng_veth cli1 eth0 srv eth1
ns srv ip addr add 192.0.2.123/24 dev eth0
ns srv ip addr add 198.51.100.1/24 dev eth1
ns cli0 ip addr add 192.0.2.10/24 dev eth0
ns cli1 ip addr add 198.51.100.10/24 dev eth0
for k in all default eth0 eth1; do ns srv sysctl -qw "net.ipv4.conf.$k.rp_filter=0"; done
ns srv ip route add default dev eth0
MAC_SRV0=$(ng_mac srv eth0) MAC_SRV1=$(ng_mac srv eth1)
ng_neigh cli0 192.0.2.123 "$MAC_SRV0" eth0
ng_neigh cli1 198.51.100.1 "$MAC_SRV1" eth0
ng_neigh srv 192.0.2.10 "$(ng_mac cli0 eth0)" eth0
ng_neigh srv 198.51.100.10 "$(ng_mac cli1 eth0)" eth1
ngs() { ns srv "$NG" "$@"; }
xdp_id() { ng_xdp_prog_id srv "$1"; }

# ---- traffic -----------------------------------------------------------------------
# The server: counts what reaches UDP port 123, by kind and source.
cat >"$NG_TMP/server.py" <<'EOF'
import select, signal, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)   # SO_RCVBUFFORCE: never drop
s.bind(("0.0.0.0", 123))
c = {"m3:192.0.2.10": 0, "m3:198.51.100.10": 0, "m7": 0, "other": 0}
def report(*_):
    print(c["m3:192.0.2.10"], c["m3:198.51.100.10"], c["m7"], c["other"], flush=True)
signal.signal(signal.SIGUSR1, report)
signal.signal(signal.SIGTERM, lambda *_: (report(), sys.exit(0)))
print("ready", flush=True)
while True:
    try:
        r, _, _ = select.select([s], [], [], 0.5)
    except InterruptedError:
        continue
    if r:
        d, a = s.recvfrom(2048)
        mode = d[0] & 7 if d else -1
        key = "m3:" + a[0] if mode == 3 else "m7" if mode == 7 else "other"
        c[key] = c.get(key, 0) + 1
EOF
# A steady legitimate stream: mode 3 queries at PPS until STOPFILE exists
# (at most MAX s); prints how many it sent.
cat >"$NG_TMP/legit.py" <<'EOF'
import os, socket, sys, time
src, dst, pps, stop, mx = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
q = bytes([0x23]) + bytes(47)
n, t0 = 0, time.monotonic()
while not os.path.exists(stop) and time.monotonic() - t0 < mx:
    s.sendto(q, (dst, 123))
    n += 1
    time.sleep(1 / pps)
print(n, flush=True)
EOF
# The spoofed flood: mode 7 requests from 203.0.113.2-254, raw frames at
# PPS until STOPFILE exists (at most MAX s); or, with FIRST LAST, one
# request from each of 203.0.113.FIRST-LAST. Prints how many it sent.
cat >"$NG_TMP/flood.py" <<'EOF'
import os, socket, struct, sys, time
dmac, pps, stop, mx = bytes.fromhex(sys.argv[1].replace(":", "")), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
first, last = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else (2, 254)
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
smac = s.getsockname()[4]
frames = []
for h in range(first, last + 1):
    pay = bytes.fromhex("1700032a00000000")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 36, 0, 0, 64, 17, 0,
                     socket.inet_aton("203.0.113.%d" % h), socket.inet_aton("192.0.2.123"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frames.append(dmac + smac + b"\x08\x00" + ip + struct.pack("!HHHH", 40000 + h, 123, 16, 0) + pay)
n, t0 = 0, time.monotonic()
while not os.path.exists(stop) and time.monotonic() - t0 < mx and (len(sys.argv) <= 6 or n < len(frames)):
    s.send(frames[n % len(frames)])
    n += 1
    if n % 10 == 0:
        time.sleep(10 / pps)
print(n, flush=True)
EOF
SRV_LOG=$NG_TMP/server.log
server_counts() { # "cli0 cli1 mode7 other", once the server printed a new line
	local before
	before=$(wc -l <"$SRV_LOG")
	kill -USR1 "$SERVER_PID"
	for _ in $(seq 50); do
		[ "$(wc -l <"$SRV_LOG")" -gt "$before" ] && break
		sleep 0.1
	done
	tail -n 1 "$SRV_LOG"
}

# =============================================================================
if part A; then
ng_log "A. $CYCLES cycles of load/set/allow/unload under a flood and two legitimate streams"
PROGS_BEFORE=$(bpfobj ids prog) MAPS_BEFORE=$(bpfobj ids map) LINKS_BEFORE=$(bpfobj ids link)
check "load eth0 (protected all along)" ngs load eth0 || ng_fatal "cannot load ntpguard"
ETH0_PROG=$(xdp_id eth0)
OUR_MAPS=$(pinned_map_ids)
# the BPF object's pinned maps, from its source
NMAPS=$(grep -c 'LIBBPF_PIN_BY_NAME' bpf/ntpguard.bpf.c)
ng_assume "our pinned maps found ($NMAPS)" test "$(count "$OUR_MAPS")" = "$NMAPS"
OUR_PROGS="$ETH0_PROG"

ng_bg server ns srv "$PY" "$NG_TMP/server.py"
SERVER_PID=$NG_BG_PID
srv_ready() { grep -q ready "$SRV_LOG"; }
ng_wait_for 10 srv_ready || ng_fatal "server did not start: $(cat "$SRV_LOG")"
STOP=$NG_TMP/stop
ng_bg legit0 ns cli0 "$PY" "$NG_TMP/legit.py" 192.0.2.10 192.0.2.123 100 "$STOP" $CYCLE_BOUND_S
L0_PID=$NG_BG_PID
ng_bg legit1 ns cli1 "$PY" "$NG_TMP/legit.py" 198.51.100.10 198.51.100.1 100 "$STOP" $CYCLE_BOUND_S
L1_PID=$NG_BG_PID
ng_bg flood ns att "$PY" "$NG_TMP/flood.py" "$MAC_SRV0" 500 "$STOP" $CYCLE_BOUND_S
FLOOD_PID=$NG_BG_PID
flowing() {
	local c
	c=$(server_counts)
	ng_snap srv "$NG_TMP/flow.json"
	[ "$(cut -d' ' -f1 <<<"$c")" -gt 0 ] && [ "$(cut -d' ' -f2 <<<"$c")" -gt 0 ] &&
		[ "$(ng_stat "$NG_TMP/flow.json" eth0 mode7_request_dropped)" -gt 0 ]
}
ng_assume "the flood and both legitimate streams are flowing" ng_wait_for 10 flowing

declare -A FAILS=()
fail_op() { FAILS[$1]=$(( ${FAILS[$1]:-0} + 1 )); [ "${FAILS[$1]}" -le 3 ] && echo "# cycle $i: $1: $2"; }
op() { # op NAME CMD... : run an ntpguard command of the cycle, count failures
	local name=$1
	shift
	if ! ngs "$@" >"$NG_TMP/op.out" 2>"$NG_TMP/op.err"; then
		fail_op "$name" "$(head -n 2 "$NG_TMP/op.err" | paste -sd' ')"
		return 1
	fi
}
done_cycles=0
for i in $(seq 1 "$CYCLES"); do
	[ $(( $(date +%s) - T0 )) -ge $CYCLE_BOUND_S ] && break
	if op load load eth1; then
		p=$(sed -n 's/^eth1: attached .*prog id \([0-9]*\)$/\1/p' "$NG_TMP/op.out")
		[ -n "$p" ] && OUR_PROGS="$OUR_PROGS $p"
		[ -n "$p" ] && [ "$(xdp_id eth1)" = "$p" ] || fail_op "load: prog id" "said '$p', eth1 has '$(xdp_id eth1)'"
	fi
	case $((i % 3)) in
	0) op set set mode6_request=drop track=on mode7_request_rate=$((i % 10 + 1)) ;;
	1) op set set mode6_request=ratecap mode7_response_max_bytes=$((200 + i % 50)) monitor=off ;;
	2) op set set --defaults ;;
	esac
	op "allow add" allow add "2001:db8:f:$i::/64" "198.51.100.$((200 + i % 50))/32"
	op set set track=$([ $((i % 2)) = 0 ] && echo on || echo off) mode7_request=drop
	op "allow del" allow del "2001:db8:f:$i::/64" "198.51.100.$((200 + i % 50))/32"
	op unload unload eth1
	[ -z "$(xdp_id eth1)" ] || fail_op "unload: eth1" "still has program $(xdp_id eth1)"
	using=$(bpfobj using $OUR_MAPS)
	[ "$using" = "$ETH0_PROG" ] || fail_op "programs using our maps" "'$using', expected only eth0's $ETH0_PROG"
	done_cycles=$i
done
touch "$STOP"
wait "$L0_PID" "$L1_PID" "$FLOOD_PID"
SENT0=$(tail -n 1 "$NG_TMP/legit0.log") SENT1=$(tail -n 1 "$NG_TMP/legit1.log")
FLOOD=$(tail -n 1 "$NG_TMP/flood.log")
# every legitimate request that can still arrive has arrived (bounded)
arrived() { read -r A0 A1 M7 OTHER <<<"$(server_counts)"; [ "$A0" -ge "$SENT0" ] && [ "$A1" -ge "$SENT1" ]; }
ng_wait_for 10 arrived
read -r A0 A1 M7 OTHER <<<"$(server_counts)"
ng_stop "$SERVER_PID"
ng_wait_stat 10 srv eth0 mode7_request_dropped "$FLOOD"
ng_snap srv "$NG_TMP/a-end.json"
ng_log "part A: $done_cycles cycles in $(( $(date +%s) - T0 )) s; flood $FLOOD requests; legitimate: cli0 $A0 of $SENT0, cli1 $A1 of $SENT1; mode 7 at the server: $M7"
check_eq "A: $CYCLES cycles done (within ${CYCLE_BOUND_S} s)" "$CYCLES" "$done_cycles"
for k in load "load: prog id" set "allow add" "allow del" unload "unload: eth1" "programs using our maps"; do
	check_eq "A: every cycle's '$k' succeeded" 0 "${FAILS[$k]:-0}"
done
check_eq "A: no mode 7 request reached the server (flood of $FLOOD)" 0 "$M7"
check_eq "A: the legitimate stream through eth0 (protected all along) lost nothing" "$SENT0" "$A0"
check_eq "A: the legitimate stream through eth1 (loaded and unloaded $CYCLES times) lost nothing" "$SENT1" "$A1"
check_eq "A: nothing else reached the server" 0 "$OTHER"
check_eq "A: every flood request counted as mode7_request_dropped on eth0" "$FLOOD" \
	"$(ng_stat "$NG_TMP/a-end.json" eth0 mode7_request_dropped)"
check_eq "A: eth0 kept its program through the cycles" "$ETH0_PROG" "$(xdp_id eth0)"
check_eq "A: the policy is back to its defaults where the cycles left it" "drop" \
	"$(ngs status --json | ng_json "d['policy']['mode7_request']")"
check "A: unload --all" ngs unload --all
check_not "A: ... pins removed" test -e "$NG_PIN_DIR"
gone() {
	local p m
	p=$(bpfobj ids prog) m=$(bpfobj ids map)
	for x in $OUR_PROGS; do grep -qw "$x" <<<"$p" && return 1; done
	for x in $OUR_MAPS; do grep -qw "$x" <<<"$m" && return 1; done
	return 0
}
ng_wait_for 10 gone   # the kernel frees programs and maps after an RCU grace period
LEFT_PROGS=$(for x in $OUR_PROGS; do grep -qw "$x" <<<"$(bpfobj ids prog)" && echo "$x"; done | paste -sd' ')
LEFT_MAPS=$(for x in $OUR_MAPS; do grep -qw "$x" <<<"$(bpfobj ids map)" && echo "$x"; done | paste -sd' ')
check_eq "A: none of the $(count "$OUR_PROGS") programs this run loaded is left" "" "$LEFT_PROGS"
check_eq "A: none of our $NMAPS maps is left" "" "$LEFT_MAPS"
check_eq "A: no link to any of our programs" "" "$(bpfobj linked $OUR_PROGS)"
check_eq "A: no program uses our maps" "" "$(bpfobj using $OUR_MAPS)"
check_eq "A: nothing pinned in our bpffs but libxdp's empty directory" "xdp" \
	"$(cd "$NG_BPFFS_MNT" && find . -mindepth 1 ! -name '*.debug' -printf '%P\n' | sort | paste -sd' ')"
ng_log "system-wide (other tests may run too): programs $(count "$PROGS_BEFORE") -> $(count "$(bpfobj ids prog)")," \
	"maps $(count "$MAPS_BEFORE") -> $(count "$(bpfobj ids map)"), links $(count "$LINKS_BEFORE") -> $(count "$(bpfobj ids link)")"
fi

# =============================================================================
if part B; then
ng_log "B. SIGKILL in the middle of load, allow add and set"
# killed_at K CMD... : run CMD (ntpguard ARGS in srv) under strace, which
# kills it with SIGKILL on entering its Kth bpf() call (calls 1..K-1 done).
killed_at() {
	local k=$1
	shift
	ns srv strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:signal=KILL:when="$k" \
		"$NG" "$@" >"$NG_TMP/killed.out" 2>&1
}
# kill_points CMD... : the indexes of CMD's bpf() calls that change state
# (everything but lookups, info queries and key walks), each once; of
# libbpf's feature probes at the start (throwaway programs and maps, no
# state) only the first.
kill_points() {
	ns srv strace -f -qq -o "$NG_TMP/calls" -e trace=bpf "$NG" "$@" >/dev/null 2>&1
	grep -n 'bpf(' "$NG_TMP/calls" |
		grep -Ev 'BPF_MAP_LOOKUP_ELEM|BPF_OBJ_GET_INFO_BY_FD|BPF_MAP_GET_NEXT_KEY|_GET_FD_BY_ID|BPF_BTF_GET_NEXT_ID|BPF_PROG_GET_NEXT_ID' |
		awk -F: 'NR == 1 { print $1; next }
			 /BPF_BTF_LOAD|BPF_OBJ_GET|BPF_OBJ_PIN|BPF_MAP_UPDATE_ELEM|BPF_MAP_DELETE_ELEM/ { real = 1 }
			 real { print $1 }' | paste -sd' '
}
# sample N POINTS... : at most N of the points: the first 5, the last 15
# (where a load attaches and records), evenly spaced ones in between.
sample() {
	local n=$1
	shift
	"$PY" -c '
import sys
n, p = int(sys.argv[1]), sys.argv[2:]
if len(p) > n:
    mid = p[5:-15]
    k = n - 20
    p = p[:5] + [mid[i * len(mid) // k] for i in range(k)] + p[-15:]
print(" ".join(p))' "$n" "$@"
}
# consistent NAME NEXT : after a killed load of eth1, the next command
# (NEXT: "load" or "unload") finds a consistent state and says what it
# found: a program the killed load attached but did not record is recorded
# by the next load (and said so) or detached by the next unload; then the
# state ntpguard reports is the kernel's, no program is orphaned, and
# unload --all leaves nothing.
consistent() {
	local name=$1 next=$2 st orphan="" want maps using
	st=$(ngs status --json 2>"$NG_TMP/next.err") ||
		{ echo "$name: status failed: $(head -n 2 "$NG_TMP/next.err" | paste -sd' ')"; return 1; }
	if [ -n "$(xdp_id eth1)" ] && [ "$(ng_json "str(d['interfaces'].get('eth1', {}).get('prog_id'))" <<<"$st")" != "$(xdp_id eth1)" ]; then
		orphan=$(xdp_id eth1)
		echo "$name" >>"$NG_TMP/orphans"
	fi
	if [ "$next" = load ]; then
		if ! ngs load eth1 >"$NG_TMP/next.out" 2>&1; then
			echo "$name: the next load failed: $(head -n 3 "$NG_TMP/next.out" | paste -sd' ')"
			return 1
		fi
		if [ -n "$orphan" ] && ! grep -q "^eth1: found ntpguard's program (prog id $orphan) attached without its record" "$NG_TMP/next.out"; then
			echo "$name: the killed load left prog $orphan unrecorded; the next load said: $(paste -sd' ' "$NG_TMP/next.out")"
			return 1
		fi
		st=$(ngs status --json)
		if [ "$(ng_json "'%s %s' % (d['interfaces']['eth1']['state'], d['interfaces']['eth1']['prog_id'])" <<<"$st" 2>/dev/null)" != "attached $(xdp_id eth1)" ]; then
			echo "$name: after the next load status says $(ng_json "d['interfaces'].get('eth1')" <<<"$st"), the kernel has prog $(xdp_id eth1)"
			return 1
		fi
	elif [ -n "$orphan" ]; then
		if ! ngs unload eth1 >"$NG_TMP/next.out" 2>&1; then
			echo "$name: the killed load left prog $orphan; the next unload eth1 failed: $(paste -sd' ' "$NG_TMP/next.out")"
			return 1
		fi
		if ! grep -q "^eth1: found ntpguard's program (prog id $orphan)" "$NG_TMP/next.out" ||
		   [ -n "$(xdp_id eth1)" ]; then
			echo "$name: unload eth1 over the unrecorded prog $orphan said: $(paste -sd' ' "$NG_TMP/next.out"); eth1 has '$(xdp_id eth1)'"
			return 1
		fi
	fi
	maps=$(pinned_map_ids)
	if [ -n "$maps" ]; then
		st=$(ngs status --json)
		want=$(ng_json "sum(1 for i in d['interfaces'].values() for r in [i, i.get('egress', {})] if r.get('state') == 'attached')" <<<"$st")
		using=$(bpfobj using $maps)
		if [ "$(count "$using")" != "$want" ]; then
			echo "$name: $(count "$using") programs use the pinned maps (${using}), $want attached records"
			return 1
		fi
	fi
	if ! ngs unload --all >/dev/null 2>"$NG_TMP/next.err" && [ -e "$NG_PIN_DIR" ]; then
		echo "$name: unload --all failed: $(head -n 2 "$NG_TMP/next.err" | paste -sd' ')"
		return 1
	fi
	if [ -n "$(xdp_id eth1)" ] || [ -n "$(xdp_id eth0)" ] || [ -e "$NG_PIN_DIR" ]; then
		echo "$name: after unload --all: eth0/eth1 have '$(xdp_id eth0)/$(xdp_id eth1)', pins $(ls "$NG_PIN_DIR" 2>/dev/null | wc -l)"
		return 1
	fi
	if [ -n "$maps" ] && [ -n "$(bpfobj using $maps)" ]; then
		echo "$name: programs $(bpfobj using $maps) still use the maps after unload --all"
		return 1
	fi
}
# (a killed load of eth1 that never got to pin anything leaves nothing to
# find: then "not loaded" is the consistent answer of unload)

# B1: the first load (it creates and pins the maps)
PTS=$(sample 40 $(kill_points load eth1))
ngs unload --all >/dev/null 2>&1
bad=0 n=0
for k in $PTS; do
	n=$((n + 1))
	killed_at "$k" load eth1
	next=load; [ $((n % 2)) = 0 ] && next=unload
	if ! r=$(consistent "first load killed at bpf call $k, then $next" $next); then
		bad=$((bad + 1)); [ $bad -le 5 ] && echo "# $r"
		ngs unload --all >/dev/null 2>&1; ns srv ip link set dev eth1 xdp off 2>/dev/null
		rm -rf "$NG_PIN_DIR"
	fi
done
ng_assume "B1: some kills landed between attaching and recording (a program left unrecorded): $(grep -c 'first load' "$NG_TMP/orphans" 2>/dev/null)" \
	grep -q 'first load' "$NG_TMP/orphans"
ng_log "B1: first load killed at $n of its state-changing bpf calls (of $(grep -c 'bpf(' "$NG_TMP/calls") calls): $PTS"
check_eq "B1: after a first load killed at each of $n points, the next commands find a consistent state" 0 "$bad"

# B2: a later load (maps pinned by eth0's)
ngs load eth0 >/dev/null
PTS=$(sample 30 $(kill_points load eth1))
ngs unload eth1 >/dev/null 2>&1
bad=0 n=0
for k in $PTS; do
	n=$((n + 1))
	killed_at "$k" load eth1
	next=load; [ $((n % 2)) = 0 ] && next=unload
	if ! r=$(consistent "load killed at bpf call $k, then $next" $next); then
		bad=$((bad + 1)); [ $bad -le 5 ] && echo "# $r"
		ngs unload --all >/dev/null 2>&1; ns srv ip link set dev eth1 xdp off 2>/dev/null
	fi
	ngs load eth0 >/dev/null 2>&1
done
ng_assume "B2: some kills landed between attaching and recording: $(grep -c '^load killed' "$NG_TMP/orphans" 2>/dev/null)" \
	grep -q '^load killed' "$NG_TMP/orphans"
ng_log "B2: load killed at $n of its state-changing bpf calls: $PTS"
check_eq "B2: after a load killed at each of $n points, the next commands find a consistent state" 0 "$bad"

used() { bpftool -j map lookup pinned "$NG_PIN_DIR/ng_allow_used" key "$1" 0 0 0 |
	ng_json "int.from_bytes(bytes(int(x, 16) for x in d['value']), 'little')"; }
# B3: a large allow add (120 prefixes): all or nothing, except that a kill
# leaves what was added so far; the next command must say so clearly.
ngs load eth1 >/dev/null
BIGLIST=()
for i in $(seq 1 25); do BIGLIST+=("2001:db8:a:$i::/64" "198.51.100.$((i + 100))/32"); done
PTS=$(sample 30 $(kill_points allow add "${BIGLIST[@]}"))
ngs allow del "${BIGLIST[@]}" >/dev/null
bad=0 n=0 PARTIAL=0
for k in $PTS; do
	n=$((n + 1))
	killed_at "$k" allow add "${BIGLIST[@]}"
	got=$(ngs allow list --json) || { bad=$((bad + 1)); echo "# allow add killed at $k: allow list failed"; continue; }
	# what is listed is a prefix of the command's list (applied in order)
	r=$("$PY" - "$got" "${BIGLIST[@]}" <<'EOF'
import ipaddress, json, sys
d = json.loads(sys.argv[1])
want = [str(ipaddress.ip_network(c)) for c in sys.argv[2:]]
have = set(d["ipv4"] + d["ipv6"])
k = sum(1 for c in want if c in have)
print("ok %d" % k if set(want[:k]) == have else "not a prefix of the command's list: %s" % sorted(have))
EOF
)
	if [ "${r%% *}" != ok ]; then
		bad=$((bad + 1)); echo "# allow add killed at $k: $r"; continue
	fi
	added=${r#ok }
	[ "$added" -gt 0 ] && [ "$added" -lt ${#BIGLIST[@]} ] && PARTIAL=$((PARTIAL + 1))
	# the data plane's "used" flags are never 0 while a family has entries
	used4=$(used 0) used6=$(used 1)
	if [ "$added" -gt 1 ] && { [ "$used4" != 1 ] || [ "$used6" != 1 ]; }; then
		bad=$((bad + 1)); echo "# allow add killed at $k: $added entries but used flags $used4/$used6"; continue
	fi
	# the next add of the same list says which entry is already there,
	# and changes nothing; then the list can be emptied again
	if [ "$added" -gt 0 ]; then
		ngs allow add "${BIGLIST[@]}" >/dev/null 2>"$NG_TMP/again.err" && { bad=$((bad + 1)); echo "# allow add killed at $k: the same add succeeded over $added entries"; continue; }
		grep -q "^ntpguard: 2001:db8:a:1::/64 is already on the allow-list$" "$NG_TMP/again.err" ||
			{ bad=$((bad + 1)); echo "# allow add killed at $k: next add said: $(head -n 1 "$NG_TMP/again.err")"; continue; }
		[ "$(ngs allow list --json)" = "$got" ] || { bad=$((bad + 1)); echo "# allow add killed at $k: the refused add changed the list"; continue; }
		mapfile -t present < <(ng_json "'\n'.join(d['ipv4'] + d['ipv6'])" <<<"$got")
		ngs allow del "${present[@]}" >/dev/null || { bad=$((bad + 1)); echo "# allow add killed at $k: cannot delete what it left"; continue; }
	fi
	[ "$(ngs allow list --json)" = '{"ipv4": [], "ipv6": []}' ] || { bad=$((bad + 1)); echo "# allow add killed at $k: list not empty after cleanup"; }
done
ng_log "B3: allow add of ${#BIGLIST[@]} prefixes killed at $n of its state-changing bpf calls"
ng_assume "B3: the kills landed in the middle (some left a part of the list)" test "$PARTIAL" -gt 0
check_eq "B3: after a killed allow add the list holds what was added so far, and the next add says so" 0 "$bad"

# B4: set, killed at each of its writes: the live policy is the old one or
# the new one, never a mix.
ngs set --defaults >/dev/null
OLD=$(ngs status --json | ng_json "d['policy']")
NEWARGS=(mode7_request_rate=9 mode6_request=drop track=on mode7_response_max_bytes=321)
ngs set "${NEWARGS[@]}" >/dev/null
NEW=$(ngs status --json | ng_json "d['policy']")
ngs set --defaults >/dev/null
PTS=$(kill_points set "${NEWARGS[@]}")
ngs set --defaults >/dev/null
bad=0 n=0
for k in $PTS; do
	n=$((n + 1))
	killed_at "$k" set "${NEWARGS[@]}"
	cur=$(ngs status --json | ng_json "d['policy']")
	if [ "$cur" != "$OLD" ] && [ "$cur" != "$NEW" ]; then
		bad=$((bad + 1)); echo "# set killed at $k: policy is neither the old nor the new one: $cur"
	fi
	ngs set "${NEWARGS[@]}" >/dev/null || { bad=$((bad + 1)); echo "# set killed at $k: the next set failed"; }
	[ "$(ngs status --json | ng_json "d['policy']")" = "$NEW" ] || { bad=$((bad + 1)); echo "# set killed at $k: the next set did not apply"; }
	ngs set --defaults >/dev/null
done
ng_log "B4: set killed at each of its $n state-changing bpf calls"
check_eq "B4: after a killed set the policy is the old or the new one, and the next set applies" 0 "$bad"
check "B: unload --all" ngs unload --all
fi

# =============================================================================
if part C; then
ng_log "C. two commands at once"
check "C: load eth0" ngs load eth0
A4=() A6=()
for i in $(seq 1 100); do A4+=("198.51.100.$i/32"); A6+=("2001:db8:c:$i::/64"); done
( for c in "${A4[@]}"; do ngs allow add "$c" >/dev/null 2>>"$NG_TMP/c1.err" || echo "$c" >>"$NG_TMP/c1.fail"; done ) &
C1=$!
( for c in "${A6[@]}"; do ngs allow add "$c" >/dev/null 2>>"$NG_TMP/c2.err" || echo "$c" >>"$NG_TMP/c2.fail"; done ) &
C2=$!
NG_PIDS+=("$C1" "$C2")
wait "$C1" "$C2"
check_eq "C: two allow add loops at once: no command failed" 0 "$(cat "$NG_TMP"/c[12].fail 2>/dev/null | wc -l)"
check_eq "C: ... and all 200 entries are there (no lost update)" "100 100" \
	"$(ngs allow list --json | ng_json "'%d %d' % (len(d['ipv4']), len(d['ipv6']))")"
( for i in $(seq 1 50); do ngs set mode7_request_rate=$i >/dev/null || echo "$i" >>"$NG_TMP/s1.fail"; done ) &
C1=$!
( for i in $(seq 1 50); do ngs set mode6_request_burst=$((i + 100)) >/dev/null || echo "$i" >>"$NG_TMP/s2.fail"; done ) &
C2=$!
NG_PIDS+=("$C1" "$C2")
wait "$C1" "$C2"
check_eq "C: two set loops on different keys at once: no command failed" 0 "$(cat "$NG_TMP"/s[12].fail 2>/dev/null | wc -l)"
check_eq "C: ... both last values are live (no lost update)" "50 150" \
	"$(ngs status --json | ng_json "'%d %d' % (d['policy']['mode7_request_rate'], d['policy']['mode6_request_burst'])")"
ngs unload --all >/dev/null
# set while a first load creates the maps: either set says "not loaded"
# (it came first) or what it set is live after both finished.
lost=0 applied=0 refused=0 overlapped=0
for i in $(seq 1 20); do
	ngs load eth0 eth1 >/dev/null 2>&1 &
	LP=$!
	# as soon as the first load has created its pins (it still runs)
	for _ in $(seq 2000); do [ -e "$NG_PIN_DIR/ng_ifaces" ] && break; sleep 0.001; done
	kill -0 "$LP" 2>/dev/null && overlapped=$((overlapped + 1))
	ngs set mode7_request_rate=$((i + 20)) >"$NG_TMP/cs.out" 2>"$NG_TMP/cs.err"
	rc=$?
	wait "$LP"
	if [ $rc = 0 ]; then
		applied=$((applied + 1))
		[ "$(ngs status --json | ng_json "d['policy']['mode7_request_rate']")" = $((i + 20)) ] || lost=$((lost + 1))
	elif grep -q '^ntpguard: ntpguard is not loaded' "$NG_TMP/cs.err"; then
		refused=$((refused + 1))
	else
		lost=$((lost + 1)); echo "# set during load: $(head -n 1 "$NG_TMP/cs.err")"
	fi
	ngs unload --all >/dev/null
done
ng_log "C: set during a first load: applied $applied times, refused as 'not loaded' $refused times; the load still ran when set started $overlapped times"
ng_assume "C: set started while the load ran, at least once" test "$overlapped" -gt 0
check_eq "C: set during a first load: applied and still live, or refused clearly; never lost" 0 "$lost"
fi

# =============================================================================
if part D; then
ng_log "D. full maps"
check "D: load eth0" ngs load eth0
# Fill the IPv6 allow-list to its capacity directly through bpf(2) (what
# 262,144 `allow add` arguments would do, in seconds): /64s of 2001:db8::/32.
CAP=$(grep -o 'NG_ALLOW_MAX *[0-9]*' headers/ntpguard.h | awk '{print $2}')
NR_BPF=$(printf '#include <sys/syscall.h>\nSYS_bpf\n' | gcc -E -P - | tail -n 1)
"$PY" - "$NG_PIN_DIR/ng_allow_v6" "$CAP" "$NR_BPF" >"$NG_TMP/fill.out" 2>&1 <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
OBJ_GET, UPDATE = 7, 2
path, n, SYS_bpf = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
p = ctypes.create_string_buffer(path)
attr = ctypes.create_string_buffer(128)
struct.pack_into("Q", attr, 0, ctypes.addressof(p))
fd = libc.syscall(SYS_bpf, OBJ_GET, attr, 128)
if fd < 0:
    sys.exit("obj_get: %s" % os.strerror(ctypes.get_errno()))
key, val = ctypes.create_string_buffer(20), ctypes.create_string_buffer(4)
added = 0
for i in range(n):
    struct.pack_into("I", key, 0, 64)
    key[4:20] = bytes([0x20, 0x01, 0x0d, 0xb8, 0xf0 | (i >> 24) & 0x0f, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff]) + bytes(8)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("IIQQQ", attr, 0, fd, 0, ctypes.addressof(key), ctypes.addressof(val), 0)
    if libc.syscall(SYS_bpf, UPDATE, attr, 128) != 0:
        print("stopped at %d: %s" % (i, os.strerror(ctypes.get_errno())))
        break
    added += 1
print(added)
EOF
bpftool map update pinned "$NG_PIN_DIR/ng_allow_used" key 1 0 0 0 value 1 0 0 0
ng_assume_eq "D: the IPv6 allow-list filled to its capacity ($CAP)" "$CAP" "$(tail -n 1 "$NG_TMP/fill.out")"
err_full=$(ngs allow add 2001:db8:e::/48 2>&1 >/dev/null); rc=$?
check_eq "D: allow add to a full allow-list: exit 1" 1 "$rc"
check_eq "D: ... a clear error, and nothing changed" \
	"ntpguard: allow-list is full ($CAP entries per family)|ntpguard: nothing was changed" \
	"$(paste -sd'|' <<<"$err_full")"
check_eq "D: ... the list still holds $CAP IPv6 prefixes, without the refused one" "$CAP False" \
	"$(ngs allow list --json | ng_json "'%d %s' % (len(d['ipv6']), '2001:db8:e::/48' in d['ipv6'])")"
check_eq "D: status counts them" "$CAP" "$(ngs status --json | ng_json "d['allow']['ipv6']")"
ok4=$(ngs allow add 192.0.2.77 2>&1)
check_eq "D: the other family's list is not full (its own capacity)" "allowed 192.0.2.77/32" "$ok4"
ngs allow del 192.0.2.77 >/dev/null
check "D: allow del one entry of the full list" ngs allow del 2001:db8:f000:7::/64
check "D: ... then the add fits" ngs allow add 2001:db8:e::/48
# The data plane with a full list: a listed host may still send mode 7,
# an unlisted one is still dropped (frames judged through BPF_PROG_TEST_RUN
# of the attached program, so the verdict is the kernel's).
ns srv ip -6 addr add 2001:db8::123/64 dev eth0 nodad
ns cli0 ip -6 addr add 2001:db8:e::10/48 dev eth0 nodad
ns cli0 ip -6 addr add 2001:db8:f000:5::10/64 dev eth0 nodad
ns cli0 ip -6 addr add 2001:db8:d::10/48 dev eth0 nodad
ns cli0 ip -6 route add 2001:db8::123/128 dev eth0
ng_neigh cli0 2001:db8::123 "$MAC_SRV0" eth0
m7from() { # m7from SRC : one mode 7 request from cli0's SRC to the server
	ns cli0 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex("1700032a00000000"), ("2001:db8::123", 123))' "$1"
}
ng_bg server6 ns srv "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::", 123))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(2048)
    print("m7 from", a[0], flush=True)'
S6=$NG_TMP/server6.log
s6_ready() { grep -q ready "$S6"; }
ng_wait_for 10 s6_ready
ng_snap srv "$NG_TMP/d0.json"
m7from 2001:db8:e::10          # listed (the /48 added last)
m7from 2001:db8:f000:5::10     # listed (filled in directly)
m7from 2001:db8:d::10          # not listed
got2() { [ "$(grep -c '^m7 from' "$S6")" -ge 2 ]; }
ng_wait_for 10 got2
ng_wait_stat 10 srv eth0 mode7_request_dropped $(( $(ng_stat "$NG_TMP/d0.json" eth0 mode7_request_dropped) + 1 ))
ng_snap srv "$NG_TMP/d1.json"
check_eq "D: full list: both listed hosts' mode 7 requests reach the server, the unlisted one's does not" \
	"m7 from 2001:db8:e::10|m7 from 2001:db8:f000:5::10" "$(grep '^m7 from' "$S6" | sort | paste -sd'|')"
check_eq "D: ... counted as mode7_request_allowed (2) and mode7_request_dropped (1)" "2 1" \
	"$(ng_delta "$NG_TMP/d0.json" "$NG_TMP/d1.json" eth0 mode7_request_allowed) $(ng_delta "$NG_TMP/d0.json" "$NG_TMP/d1.json" eth0 mode7_request_dropped)"
check "D: unload --all (a full allow-list removed with the pins)" ngs unload --all
check_not "D: ... pins removed" test -e "$NG_PIN_DIR"

# The rate table full: 16 keys, 100 spoofed sources rate-capped; every new
# source still gets a bucket (the LRU evicts the least recently used: the
# README's "Rate caps" section), the table never holds more than 16.
check "D: load --max-sources 16 eth0" ngs load --max-sources 16 eth0
check "D: mode 7 rate-capped (1/s, burst 1, global high)" ngs set mode7_request=ratecap \
	mode7_request_rate=1 mode7_request_burst=1 mode7_request_global_rate=10000000 \
	mode7_request_global_burst=10000000
ng_snap srv "$NG_TMP/r0.json"
ns att timeout 60 "$PY" "$NG_TMP/flood.py" "$MAC_SRV0" 1000 "$NG_TMP/no-stop" 60 100 199 >/dev/null
ng_wait_stat 10 srv eth0 mode7_request_passed $(( $(ng_stat "$NG_TMP/r0.json" eth0 mode7_request_passed) + 100 ))
ng_snap srv "$NG_TMP/r1.json"
ST=$(ngs status --json)
check_eq "D: full rate table: each of 100 new sources got a bucket (its first request passes)" 100 \
	"$(ng_delta "$NG_TMP/r0.json" "$NG_TMP/r1.json" eth0 mode7_request_passed)"
check_eq "D: ... the table holds at most its 16 keys" yes \
	"$(ng_json "'yes' if 0 < d['rate_table']['entries'] <= 16 and d['rate_table']['capacity'] == 16 else d['rate_table']" <<<"$ST")"
check_grep_case "D: ... and top says it overflowed" <(ngs top) '^tracked keys: [0-9]+ of 16; table overflowed: yes'
check_grep_case "D: the README documents the full rate table's behaviour (LRU eviction)" README.md \
	'When the table is full the least recently used'
check_grep_case "D: the README documents the full allow-list's behaviour" README.md \
	'does not\s*$|fit says "allow-list is full" and applies nothing'
check "D: unload --all" ngs unload --all
fi

ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
