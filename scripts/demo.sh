#!/usr/bin/env bash
# ntpguard demo: a monlist reflection attack in network namespaces, without
# and with ntpguard. Run as root: `make demo` (installs what it needs).
#
#   attacker 203.0.113.66 ──┐                      ┌── reflector 192.0.2.123
#   victim   198.51.100.7 ──┤── router (rtr) ──────┤   (ntpd-4.2.6-like mode 7
#                           │                      │    responder, 600 clients)
#                           └──────────────────────└── client 192.0.2.10
#
# The attacker sends monlist requests with the victim's address as source;
# the reflector answers the victim with 100 packets per request. ntpguard is
# then loaded on the reflector's interface and the same requests go nowhere,
# while the client's ordinary time queries (mode 3) keep being answered.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
make -s all build/tests/ntpresponder >/dev/null

P="ngdemo$$"
WORK=$(mktemp -d /tmp/ntpguard-demo.XXXXXX)
PIDS=()
NSES=()
export NTPGUARD_BPFFS="$WORK/bpffs"   # private pins: never touches a real install

cleanup() {
	set +e
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	[ -d "$NTPGUARD_BPFFS/ntpguard" ] && nsenter --net="/run/netns/$P-srv" \
		"$ROOT/build/ntpguard" unload --all >/dev/null 2>&1
	for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	mountpoint -q "$NTPGUARD_BPFFS" && umount "$NTPGUARD_BPFFS"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { local n=$1; shift; nsenter --net="/run/netns/$P-$n" -- "$@"; }
# Start a background process in a namespace and remember its pid (not a
# subshell's: nsenter execs the command, so the pid is the command's own).
bg() { local n=$1; shift; nsenter --net="/run/netns/$P-$n" -- "$@" & PIDS+=($!); }

# ---- topology --------------------------------------------------------
for n in rtr att vic srv cli; do ip netns add "$P-$n"; NSES+=("$P-$n"); done
link() { # link HOST HOSTADDR RTRADDR
	ip link add "h-$1" netns "$P-$1" type veth peer name "r-$1" netns "$P-rtr"
	ns "$1" ip addr add "$2" dev "h-$1"
	ns "$1" ip link set "h-$1" up
	ns "$1" ip link set lo up
	ns rtr ip addr add "$3" dev "r-$1"
	ns rtr ip link set "r-$1" up
}
link att 203.0.113.66/24 203.0.113.1/24
link vic 198.51.100.7/24 198.51.100.1/24
link srv 192.0.2.123/25 192.0.2.1/25
link cli 192.0.2.130/25 192.0.2.129/25
ns att ip route add default via 203.0.113.1
ns vic ip route add default via 198.51.100.1
ns srv ip route add default via 192.0.2.1
ns cli ip route add default via 192.0.2.129
ns rtr sysctl -qw net.ipv4.ip_forward=1
# The attacker's spoofed source must not be filtered before the reflector.
ns rtr sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.r-att.rp_filter=0

# ---- the vulnerable reflector and the victim's counter ------------------
bg srv capsh --drop=cap_sys_time -- -c \
	"exec $ROOT/build/tests/ntpresponder --prefill 600 --duration 120 --quiet"
cat > "$WORK/victim.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.7", 40123))
s.settimeout(0.2)
pk = by = 0
out = sys.argv[1]
end = time.time() + 120
while time.time() < end:
    try:
        d = s.recv(2048)
        pk += 1; by += len(d) + 28          # + IPv4 and UDP headers
    except socket.timeout:
        pass
    with open(out + ".tmp", "w") as f:
        f.write(f"{pk} {by}\n")
    __import__("os").replace(out + ".tmp", out)
EOF
bg vic /usr/bin/python3 "$WORK/victim.py" "$WORK/victim.count"

spoof() { # spoof COUNT: monlist requests, 8-octet attack-tool form, from "the victim"
	ns att /usr/bin/python3 - "$1" <<'EOF' 2>/dev/null
import sys
from scapy.all import IP, UDP, Raw, send
pkt = IP(src="198.51.100.7", dst="192.0.2.123") / UDP(sport=40123, dport=123) / \
      Raw(bytes.fromhex("1700032a00000000"))
send(pkt, count=int(sys.argv[1]), inter=0.05, verbose=0)
print(len(pkt))
EOF
}
victim_count() { cat "$WORK/victim.count" 2>/dev/null || echo "0 0"; }
timesync() { # one mode 3 query from the client, query-only (never sets the clock)
	if ns cli timeout 5 ntpdig -t 2 192.0.2.123 >/dev/null 2>&1; then echo yes; else echo NO; fi
}

sleep 1
read -r p0 b0 < <(victim_count)
req_len=$(spoof 1)
sleep 2
read -r p1 b1 < <(victim_count)
sync_before=$(timesync)

ns srv "$ROOT/build/ntpguard" load h-srv | grep '^h-srv: ' > "$WORK/load.txt"
N=20
spoof "$N" >/dev/null
sleep 2
read -r p2 b2 < <(victim_count)
sync_after=$(timesync)

pk_without=$((p1 - p0)); by_without=$((b1 - b0))
pk_with=$((p2 - p1)); by_with=$((b2 - b1))
amp() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }'; }

echo
echo "ntpguard demo: NTP monlist reflection (CVE-2013-5211) in network namespaces"
echo "  attacker 203.0.113.66 spoofs victim 198.51.100.7 -> reflector 192.0.2.123:123"
echo "  reflector: ntpd-4.2.6-like mode 7 responder with 600 clients in its monitor list"
echo
printf "  %-18s %9s %11s %12s %13s %14s\n" "" "requests" "req. bytes" "victim pkts" "victim bytes" "amplification"
printf "  %-18s %9d %11d %12d %13d %14s\n" "without ntpguard" 1 "$req_len" \
	"$pk_without" "$by_without" "$(amp "$by_without" "$req_len")"
printf "  %-18s %9d %11d %12d %13d %14s\n" "with ntpguard" "$N" $((N * req_len)) \
	"$pk_with" "$by_with" "$(amp "$by_with" $((N * req_len)))"
echo "  (bytes at the IP level: IPv4 + UDP headers included)"
echo
echo "  ordinary time sync (ntpdig mode 3 query from 192.0.2.130):"
echo "    without ntpguard: answered=$sync_before   with ntpguard: answered=$sync_after"
echo
echo "  ntpguard on the reflector's interface: $(sed 's/^h-srv: //' "$WORK/load.txt")"
echo
ns srv "$ROOT/build/ntpguard" stats | sed 's/^/  /'
echo
if [ "$pk_without" -gt 0 ] && [ "$pk_with" -eq 0 ] && [ "$sync_after" = yes ]; then
	echo "  result: amplification gone, time sync kept."
else
	echo "  result: UNEXPECTED (see the numbers above)"; exit 1
fi
