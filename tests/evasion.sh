#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/evasion.sh - end-to-end evasion suite (README "Verdicts"): every
# shape of tests/evasion-frames.py that carries a monlist request to port 123
# (fragments whole, tiny, overlapping, duplicated and atomic; IPv6 extension
# chains of any length; UDP length 0 and lengths that disagree with IP; zero
# checksums; jumbo payload lengths; VLAN stacks) is sent over a veth pair to
# the project's ntpd-4.2.6-like responder, which logs every datagram its
# socket receives.
#
#   1. without ntpguard: each class reaches the socket as a mode 7 request
#      when Linux delivers it ("yes"), and nothing reaches it when the kernel
#      drops the frames itself ("no": the classes where ntpguard relies on
#      the kernel) - so the suite can fail, and it shows what the kernel does;
#   2. with ntpguard (default policy): no mode 7 request reaches the socket,
#      and the counters move by exactly the reasons the README gives;
#   3. with `ntpguard set pass_unjudgeable=on`: the unjudgeable classes are
#      counted unjudgeable_passed and reach the socket where the kernel
#      delivers them (the key does what it says).
#
#   NTPGUARD=path/to/ntpguard tests/evasion.sh    another binary (e.g. an
#                                                  older build: phase 2 fails)
#
# Topology: namespaces att (192.0.2.66, 2001:db8::66) and srv (192.0.2.123,
# 2001:db8::123, and 198.51.100.12N on VLAN devices N tags deep: 802.1ad 10,
# then 802.1Q 20, 30, 40) joined by one veth pair; ntpguard on srv's eth0.
set -uo pipefail
NG_TAG=nge
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

RESP=$NG_ROOT/build/tests/ntpresponder
FRAMES=$NG_ROOT/tests/evasion-frames.py
ng_require_root
ng_require_bin ip nsenter capsh "$NG_PY" "$NTPGUARD" "$RESP"
"$NG_PY" -c 'import scapy.all' 2>/dev/null ||
	ng_die "/usr/bin/python3 cannot import scapy (run scripts/deps.sh)"
NG=$NTPGUARD
ng_setup_bpffs

# ---- topology --------------------------------------------------------------
ng_ns_add att
ng_ns_add srv
ng_veth att eth0 srv eth0
ns att ip addr add 192.0.2.66/24 dev eth0
ns att ip addr add 2001:db8::66/64 dev eth0 nodad
ns srv ip addr add 192.0.2.123/24 dev eth0
ns srv ip addr add 2001:db8::123/64 dev eth0 nodad
# Stacked VLAN devices, where the kernel has 802.1Q (CONFIG_VLAN_8021Q; a
# module on Debian). Without it the kernel delivers no tagged frame at all:
# the VLAN classes' arrival checks are skipped (and counted), ntpguard's
# verdicts on them are still checked.
VLAN=1
parent=eth0
for depth in 1 2 3 4; do
	if [ "$depth" = 1 ]; then proto=802.1ad; else proto=802.1Q; fi
	if ! ns srv ip link add link "$parent" name "v$depth" type vlan proto "$proto" \
		id $((depth * 10)) 2>"$NG_ERR"; then
		VLAN=0
		ng_log "no VLAN devices on this kernel ($(head -n 1 "$NG_ERR"))"
		break
	fi
	ns srv ip link set "v$depth" up
	ns srv ip addr add "198.51.100.$((120 + depth))/32" dev "v$depth"
	parent=v$depth
done
SRV_MAC=$(ns srv ip -j link show dev eth0 | ng_json "d[0]['address']")
[ -n "$SRV_MAC" ] || ng_die "no MAC for srv eth0"

# ---- the server socket -------------------------------------------------------
LOG=$NG_TMP/responder.log
ng_bg resp ns srv capsh --drop=cap_sys_time -- -c "exec $RESP --log $LOG --quiet"
started() { grep -q '^start' "$LOG" 2>/dev/null || grep -q 'start' "$LOG" 2>/dev/null; }
ng_wait_for 10 started || ng_die "responder did not start: $(tail -n 5 "$NG_TMP/resp.log")"
listening() { ns srv ss -Hlun 'sport = :123' | grep -c . | grep -qx 2; }
ng_wait_for 10 listening || ng_die "responder is not listening on IPv4 and IPv6 port 123"

# ---- the sender: one scapy process, one class per line ---------------------------
mapfile -t CLASSES < <("$NG_PY" "$FRAMES" list)
[ "${#CLASSES[@]}" -ge 20 ] || ng_die "evasion-frames.py list gave ${#CLASSES[@]} classes"
index_of() { # NAME -> its index in CLASSES
	local i
	for i in "${!CLASSES[@]}"; do
		[ "${CLASSES[$i]%% *}" = "$1" ] && { echo "$i"; return 0; }
	done
	return 1
}

start_sender() { # BASE_PORT
	coproc SENDER { ns att "$NG_PY" "$FRAMES" serve eth0 "$SRV_MAC" "$1"; }
	NG_PIDS+=("$SENDER_PID")
}
stop_sender() {
	exec {SENDER[1]}>&-
	wait "$SENDER_PID" 2>/dev/null
}
send_class() { # NAME: returns once the frames are out
	local reply
	echo "$1" >&"${SENDER[1]}"
	read -r -t 30 reply <&"${SENDER[0]}" || return 1
	[ "$reply" = "sent $1" ]
}

# Lines the responder logged for a source port.
arrivals() { grep -E "from [^ ]*:$1 mode " "$LOG" 2>/dev/null; }
arrived_mode() { arrivals "$1" | grep -q " mode $2 "; }

# Stats: "reason packets" per line for srv's eth0 (ingress).
stats() {
	ns srv "$NG" stats --json | ng_json '" ".join("%s=%d" % (r, v["packets"]) for r, v in sorted(d["interfaces"]["eth0"]["reasons"].items()))'
}
# The reasons that moved between two snapshots, one per packet, sorted.
moved() {
	"$NG_PY" - "$1" "$2" <<'EOF'
import sys
a = dict(kv.split("=") for kv in sys.argv[1].split())
b = dict(kv.split("=") for kv in sys.argv[2].split())
out = []
for r in sorted(set(a) | set(b)):
    out += [r] * (int(b.get(r, 0)) - int(a.get(r, 0)))
print(",".join(out))
EOF
}
sorted_csv() { tr ',' '\n' <<<"$1" | sort | paste -sd, -; }

# ---- phase 1: without ntpguard -------------------------------------------------
ng_log "phase 1: no ntpguard: what does the kernel deliver?"
BASE1=41000
start_sender $BASE1
for line in "${CLASSES[@]}"; do
	name=${line%% *}
	send_class "$name" || ng_fatal "sender failed on $name"
done
stop_sender
# The last class is in once its frames could be: wait for the control of
# each family, then settle for the kernel's reassembly (immediate).
ng_wait_for 5 arrived_mode $BASE1 7
sleep 0.5
for i in "${!CLASSES[@]}"; do
	read -r name delivers _ desc <<<"${CLASSES[$i]}"
	port=$((BASE1 + i))
	if [ "$VLAN" = 0 ] && [[ $name == vlan_* ]]; then
		skip "without ntpguard, the kernel delivers $name" "kernel without 802.1Q"
		continue
	fi
	case $delivers in
	yes)
		if arrived_mode $port 7; then
			ng_pass "without ntpguard, the kernel delivers $name ($desc)"
		else
			ng_fail "without ntpguard, the kernel delivers $name ($desc)" \
				"no mode 7 request from port $port in the responder's log"
		fi ;;
	no)
		if arrivals $port >/dev/null; then
			ng_fail "the kernel drops $name itself ($desc)" "$(arrivals $port)"
		else
			ng_pass "the kernel drops $name itself ($desc)"
		fi ;;
	mode3)
		if arrived_mode $port 3 && ! arrived_mode $port 7; then
			ng_pass "the kernel delivers $name as mode 3, never mode 7 ($desc)"
		else
			ng_fail "the kernel delivers $name as mode 3, never mode 7 ($desc)" \
				"$(arrivals $port || echo 'nothing arrived')"
		fi ;;
	esac
done

# ---- phase 2: ntpguard, default policy ------------------------------------------
ng_log "phase 2: ntpguard loaded on srv eth0, default policy"
check "ntpguard load eth0" ns srv "$NG" load eth0 || ng_fatal "cannot load ntpguard"
BASE2=42000
start_sender $BASE2
for i in "${!CLASSES[@]}"; do
	read -r name delivers reasons desc <<<"${CLASSES[$i]}"
	before=$(stats) || ng_fatal "ntpguard stats failed"
	want=$(sorted_csv "$reasons")
	send_class "$name" || ng_fatal "sender failed on $name"
	counted() { [ "$(sorted_csv "$(moved "$before" "$(stats)")")" = "$want" ]; }
	ng_wait_for 3 counted
	check_eq "ntpguard counts $name as $want" "$want" \
		"$(sorted_csv "$(moved "$before" "$(stats)")")"
done
stop_sender
sleep 0.5
for i in "${!CLASSES[@]}"; do
	name=${CLASSES[$i]%% *}
	port=$((BASE2 + i))
	if arrived_mode $port 7; then
		ng_fail "with ntpguard no mode 7 request of $name reaches the socket" "$(arrivals $port)"
	else
		ng_pass "with ntpguard no mode 7 request of $name reaches the socket"
	fi
done
# The run was live: ordinary time requests still got through meanwhile.
check "a mode 3 request still reaches the server" ns att "$NG_PY" -c '
import socket, sys
s = socket.socket(); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.66", 43999)); s.sendto(bytes.fromhex("230006e0") + bytes(44), ("192.0.2.123", 123))'
ng_wait_for 5 arrived_mode 43999 3
check "mode 3 from port 43999 in the responder log" arrived_mode 43999 3

# ---- phase 3: pass_unjudgeable=on -------------------------------------------------
ng_log "phase 3: ntpguard set pass_unjudgeable=on"
check "set pass_unjudgeable=on" ns srv "$NG" set pass_unjudgeable=on
check_eq "status shows pass_unjudgeable on" on \
	"$(ns srv "$NG" status --json | ng_json 'd["policy"]["pass_unjudgeable"]')"
BASE3=44000
start_sender $BASE3
n_unj=0
for i in "${!CLASSES[@]}"; do
	read -r name delivers reasons desc <<<"${CLASSES[$i]}"
	[[ ,$reasons, == *,unjudgeable_dropped,* ]] || continue
	n_unj=$((n_unj + 1))
	before=$(stats)
	want=$(sorted_csv "${reasons//unjudgeable_dropped/unjudgeable_passed}")
	send_class "$name" || ng_fatal "sender failed on $name"
	counted() { [ "$(sorted_csv "$(moved "$before" "$(stats)")")" = "$want" ]; }
	ng_wait_for 3 counted
	check_eq "pass_unjudgeable=on: $name counted as $want" "$want" \
		"$(sorted_csv "$(moved "$before" "$(stats)")")"
	if [ "$VLAN" = 0 ] && [[ $name == vlan_* ]]; then
		skip "pass_unjudgeable=on: $name reaches the socket again" "kernel without 802.1Q"
	elif [ "$delivers" = yes ]; then
		port=$((BASE3 + i))
		ng_wait_for 3 arrived_mode $port 7
		check "pass_unjudgeable=on: $name reaches the socket again" arrived_mode $port 7
	fi
done
stop_sender
check_ge "unjudgeable classes exercised" 3 "$n_unj"
check "set pass_unjudgeable=off" ns srv "$NG" set pass_unjudgeable=off
check "unload" ns srv "$NG" unload eth0

ng_summary
