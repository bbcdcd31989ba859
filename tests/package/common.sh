# tests/package/common.sh - what the stages share, inside the test VM (a
# fresh Debian 12 booted by tests/package.sh; this directory is its 9p
# share, mounted at /run/ngctl). The VM is the test's own: the package is
# installed for real, on the real /sys/fs/bpf.
export NTPGUARD=/usr/sbin/ntpguard
NG_TAG=ngpk
# shellcheck source=tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tests/lib.sh"
CTL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLOW=$CTL/ngflow
NIC=$(cat "$CTL/nic" 2>/dev/null)
ng_require_root
ng_require_bin ip python3 "$FLOW"

T_STAGE=$(date +%s)
phase() { ng_log "--- $* (at $(( $(date +%s) - T_STAGE )) s)"; }
st() { ntpguard status --json | ng_json "$1"; }
# ntp_passed of ngpk0's ingress program; grown BY: by BY more than at mark_passed
passed() { ntpguard stats --json | ng_json "d['interfaces']['ngpk0']['reasons']['ntp_passed']['packets']"; }
mark_passed() { P_MARK=$(passed); }
grown() { local v; v=$(passed); [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge $((P_MARK + $1)) ]; }
# The ntpguard program ids inside libxdp's dispatcher on IFACE (or the
# program itself on a legacy attach).
xdp_progs() { xdp-loader status "$1" 2>/dev/null | awk '$1 == "=>" { print $4 }' | paste -sd' '; }
xdp_any() { ip -d -j link show dev "$1" | ng_json "(d[0].get('xdp') or {}).get('prog', {}).get('id') or (d[0].get('xdp') or {}).get('attached', [{}])[0].get('prog', {}).get('id') or ''"; }

# The client namespace behind ngpk0: cli 192.0.2.2 and 198.51.100.7 on
# ngpk1, the server side 192.0.2.1 on ngpk0 in the root namespace.
make_veth() {
	ng_ns_add cli
	ip link add ngpk0 type veth peer name ngpk1 netns "$(ng_nsname cli)"
	ip addr add 192.0.2.1/24 dev ngpk0
	ip link set ngpk0 up
	ns cli ip addr add 192.0.2.2/24 dev ngpk1
	ns cli ip addr add 198.51.100.7/24 dev ngpk1
	ns cli ip link set ngpk1 up
	ns cli ip route add 192.0.2.1/32 dev ngpk1 src 192.0.2.2
}

# veth_checks N WHEN: the veth created now (WHEN: "now", "again"), attached
# by ntpguard-watch; a monlist flow dropped, an allow-listed host's passing.
# Checks N1, N2, N3.
veth_checks() {
	make_veth
	for _ in $(seq 100); do
		[ "$(st "d['interfaces'].get('ngpk0', {}).get('state')")" = attached ] && break
		sleep 0.2
	done
	check_eq "${1}1 ngpk0, created $2, attached by ntpguard-watch" attached \
		"$(st "d['interfaces'].get('ngpk0', {}).get('state')")"
	flow "drop$1" 192.0.2.2 200
	check_eq "${1}2 monlist from 192.0.2.2 never reaches the socket; mode 3 does" "200 0" \
		"$(cat "$NG_TMP/drop$1.recv")"
	flow "allow$1" 198.51.100.7 100
	check_eq "${1}3 monlist from the allow-listed 198.51.100.7 does" "100 100" \
		"$(cat "$NG_TMP/allow$1.recv")"
}

# flow NAME SRC COUNT: COUNT mode 3 and COUNT monlist requests from SRC to
# the server socket; "recv3 recv7" in $NG_TMP/NAME.recv, read once the
# sender's end mark reached the server
flow() {
	local name=$1 src=$2 n=$3 pid
	ng_bg "srv-$name" "$FLOW" serve --bind 192.0.2.1 --out "$NG_TMP/$name.srv" --max-seconds 120
	pid=$NG_BG_PID
	ng_wait_for 10 grep -q serving "$NG_TMP/srv-$name.log"
	ns cli ip route replace 192.0.2.1/32 dev ngpk1 src "$src"
	ns cli "$FLOW" send --dst 192.0.2.1 --rate3 200 --rate7 200 --count "$n" \
		--max-seconds 60 --out "$NG_TMP/$name.cli"
	ns cli ip route replace 192.0.2.1/32 dev ngpk1 src 192.0.2.2
	ng_flow_end "$pid" "$NG_TMP/$name.srv" ||
		ng_fail "harness: $name: the sender's end mark never reached the server"
	awk '{ print $4, $6 }' "$NG_TMP/$name.srv" >"$NG_TMP/$name.recv"
	ng_log "$name from $src: sent $(cat "$NG_TMP/$name.cli"); the socket got (mode 3 distinct, monlist): $(cat "$NG_TMP/$name.recv")"
}
