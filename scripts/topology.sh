# scripts/topology.sh - the NTP reflection topology for ntpguard's demo and
# scenario tests. Source it (bash); it runs nothing by itself.
#
#   attacker  PFX-att  eth0 203.0.113.66/24 ---- r-att 203.0.113.1/24  -+
#   victim    PFX-vic  eth0 198.51.100.7/24 ---- r-vic 198.51.100.1/24 -+  router PFX-rtr
#   reflector PFX-ref  eth0 192.0.2.123/25  ---- r-ref 192.0.2.1/25    -+  (IPv4 forwarding,
#                           192.0.2.124/25                              |   rp_filter off)
#   client    PFX-cli  eth0 192.0.2.130/25  ---- r-cli 192.0.2.129/25  -+
#
#   192.0.2.123  the reflector: tests/ntpresponder, an ntpd-4.2.6-like mode 7
#                responder with 600 clients in its monitor list (monlist on)
#   192.0.2.124  a real NTP server on the same host: ntpsec's ntpd (time and
#                mode 6 / ntpq), orphan mode, never touches the clock
#   192.0.2.130  a legitimate client: chronyd -x, polling 192.0.2.124 4x/s
#
# Every packet between two hosts crosses the router, so ntpguard loads there:
#   reflector side  ntpguard load --egress r-ref   TC egress drops the requests
#                   before they leave for the reflector, XDP ingress would drop
#                   oversized replies coming back from it
#   victim side     ntpguard load r-ref            XDP ingress drops the
#                   reflected replies where they enter the router
#
# Functions (call them directly, never in $(...), so that background pids
# are this shell's children and land in TOPO_PIDS):
#   topo_init PFX DIR         names (PFX-att ...), work dir for logs/configs
#   topo_create               namespaces, veths, addresses, routes, neighbours
#   topo_ns NAME cmd...       run cmd in namespace NAME (nsenter --net, which
#                             keeps our mount namespace: the caller's private
#                             bpffs stays visible; never "ip netns exec")
#   topo_bg NAME LOG cmd...   background cmd in NAME; pid in TOPO_LAST_PID
#   topo_start_reflector      ntpresponder on 192.0.2.123 (log: responder.log)
#   topo_start_ntpsec         ntpsec ntpd on 192.0.2.124, waits until it serves
#   topo_start_chrony         chronyd -x client on 192.0.2.130
#   topo_start_sink           the victim's counter on 198.51.100.7:40123
#   topo_chrony_counts        "TX RX VALID" of the client's exchanges
#   topo_victim_counts        "packets payload_bytes ip_bytes" so far
#   topo_wait_victim_quiet    wait until the victim's count stops moving
#   topo_reflector_seen       monlist requests the reflector has received
#   topo_spoof ARGS...        ngtraffic.py spoof from the attacker, as the victim
#   topo_destroy              stop our pids, delete our namespaces (idempotent)
#
# Only documentation addresses, only namespaces and veths created here (both
# veth ends are created inside the namespaces, never in the root namespace),
# only pids started here. NTP daemons run under capsh without CAP_SYS_TIME.

# shellcheck disable=SC2034 # TOPO_*_PID and others are set for the callers
TOPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOPO_PY=/usr/bin/python3
TOPO_TRAFFIC=$TOPO_ROOT/scripts/ngtraffic.py
TOPO_SYSROOT=${NG_SYSROOT:-$TOPO_ROOT/build/sysroot}
TOPO_RESPONDER=$TOPO_ROOT/build/tests/ntpresponder
# ng_stop_pids, ng_netns_purge (shared with tests/lib.sh)
# shellcheck source=scripts/lifecycle.sh
. "$TOPO_ROOT/scripts/lifecycle.sh"

TOPO_ATT=203.0.113.66
TOPO_VIC=198.51.100.7
TOPO_REF=192.0.2.123   # the reflector (mode 7 responder)
TOPO_NTP=192.0.2.124   # the real NTP server (ntpsec)
TOPO_CLI=192.0.2.130
TOPO_VPORT=40123       # the victim's port the attacker names as source

TOPO_PFX=
TOPO_DIR=
TOPO_NETNS=()
TOPO_PIDS=()
TOPO_LAST_PID=

topo_init() {
	TOPO_PFX=$1
	TOPO_DIR=$2
	mkdir -p "$TOPO_DIR"
}

topo_nspath() { printf '/run/netns/%s-%s' "$TOPO_PFX" "$1"; }

topo_ns() {
	local n=$1
	shift
	nsenter --net="/run/netns/$TOPO_PFX-$n" -- "$@"
}

# topo_bg NAME LOG cmd... : nsenter execs cmd, so $! is the command itself.
topo_bg() {
	local n=$1 log=$2
	shift 2
	nsenter --net="/run/netns/$TOPO_PFX-$n" -- "$@" >"$log" 2>&1 &
	TOPO_LAST_PID=$!
	TOPO_PIDS+=("$TOPO_LAST_PID")
}

# Locally administered MACs, fixed so that neighbours can be static: no ARP
# timing anywhere (a 100-packet burst never waits in an unresolved queue).
topo_mac() { # topo_mac HOSTNUM SIDE(1 host, 2 router)
	printf '02:6e:67:00:%02x:%02x' "$1" "$2"
}

topo_create() {
	local n i h hostaddr rtraddr gw
	local -a hosts=(att vic ref cli)
	local -A haddr=([att]=$TOPO_ATT/24 [vic]=$TOPO_VIC/24 [ref]=$TOPO_REF/25 [cli]=$TOPO_CLI/25)
	local -A raddr=([att]=203.0.113.1/24 [vic]=198.51.100.1/24 [ref]=192.0.2.1/25 [cli]=192.0.2.129/25)

	for n in rtr "${hosts[@]}"; do
		ip netns add "$TOPO_PFX-$n" || return 1
		TOPO_NETNS+=("$TOPO_PFX-$n")
		# IPv4 only: no router solicitations, DAD or MLD chatter.
		topo_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	# The router forwards and must not drop the attacker's forged source.
	topo_ns rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 || return 1

	i=0
	for h in "${hosts[@]}"; do
		i=$((i + 1))
		ip link add name eth0 netns "$TOPO_PFX-$h" address "$(topo_mac $i 1)" type veth \
			peer name "r-$h" netns "$TOPO_PFX-rtr" address "$(topo_mac $i 2)" || return 1
		hostaddr=${haddr[$h]} rtraddr=${raddr[$h]} gw=${raddr[$h]%/*}
		ip -n "$TOPO_PFX-$h" -batch - <<-EOF || return 1
			link set lo up
			addr add $hostaddr dev eth0
			link set eth0 up
			route add default via $gw
			neigh replace $gw lladdr $(topo_mac $i 2) dev eth0 nud permanent
		EOF
		ip -n "$TOPO_PFX-rtr" -batch - <<-EOF || return 1
			link set lo up
			addr add $rtraddr dev r-$h
			link set r-$h up
			neigh replace ${hostaddr%/*} lladdr $(topo_mac $i 1) dev r-$h nud permanent
		EOF
		topo_ns rtr sysctl -qw "net.ipv4.conf.r-$h.rp_filter=0" || return 1
	done
	# The reflector host also carries the real NTP server's address.
	ip -n "$TOPO_PFX-ref" addr add $TOPO_NTP/25 dev eth0 || return 1
	ip -n "$TOPO_PFX-rtr" neigh replace $TOPO_NTP lladdr "$(topo_mac 3 1)" dev r-ref \
		nud permanent || return 1
}

# ---- the hosts' software ------------------------------------------------------

# At most 20000 reply packets over the whole run (a normal demo or test run
# sends about 1000): a safety valve for runs where the filter is missing and
# a spoofed flood would otherwise be amplified 100 times.
topo_start_reflector() { # [DURATION_S]
	: >"$TOPO_DIR/responder.log"
	topo_bg ref "$TOPO_DIR/responder.out" capsh --drop=cap_sys_time -- -c \
		"exec '$TOPO_RESPONDER' -4 --bind $TOPO_REF --prefill 600 --max-packets 20000 --duration ${1:-300} --log '$TOPO_DIR/responder.log' --quiet"
	TOPO_REFLECTOR_PID=$TOPO_LAST_PID
}

# ntpsec ntpd as a real NTP server that never touches the clock:
#  - "disable ntp": no clock discipline at all (no step, no slew), on top of
#    capsh dropping CAP_SYS_TIME (ntpd logs EPERM for its kernel-PLL probe);
#  - "tos orphan 8 orphanwait 0": with no upstream server it becomes an
#    orphan parent at once and serves time as stratum 8, leap 0, so clients
#    accept it (an undisciplined ntpd otherwise answers leap 3, stratum 16);
#  - "unrestrict default noquery limited": ntpsec >= 1.1.9 starts every
#    default restrict entry with noquery and limited (NEWS: "to reduce the
#    opportunities for being used for DDoS-ing"), so mode 6 (ntpq) is
#    silently ignored and clients get rate-limited; this server is behind
#    ntpguard, whose mode 6 policy is under test;
#  - bound to 192.0.2.124 only, next to the responder on 192.0.2.123.
topo_start_ntpsec() {
	local d=$TOPO_DIR/ntpsec
	mkdir -p "$d"
	cat >"$d/ntp.conf" <<-EOF
		driftfile $d/ntp.drift
		statsdir $d/
		unrestrict default noquery limited
		tos orphan 8 orphanwait 0
		disable ntp
		interface ignore wildcard
		interface ignore all
		interface listen $TOPO_NTP
		interface listen 127.0.0.1
	EOF
	topo_bg ref "$d/ntpd.out" capsh --drop=cap_sys_time -- -c \
		"exec '$TOPO_SYSROOT/usr/sbin/ntpd' -n -c '$d/ntp.conf' -l '$d/ntpd.log' -p '$d/ntpd.pid'"
	TOPO_NTPSEC_PID=$TOPO_LAST_PID
	local _
	for _ in $(seq 40); do
		if topo_ns ref timeout 2 "$TOPO_SYSROOT/usr/bin/ntpq" -c 'rv 0 leap,stratum' \
			127.0.0.1 2>/dev/null | grep -q 'leap=00, stratum=8'; then
			return 0
		fi
		kill -0 "$TOPO_NTPSEC_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# chronyd as a query-only client (-x: never controls the clock; capsh drops
# CAP_SYS_TIME too), polling the ntpsec server every 0.25 s.
topo_start_chrony() {
	local d=$TOPO_DIR/chrony
	mkdir -p "$d" && chmod 0700 "$d"
	cat >"$d/chrony.conf" <<-EOF
		server $TOPO_NTP iburst minpoll -2 maxpoll -2
		pidfile $d/chronyd.pid
		bindcmdaddress $d/chronyd.sock
		cmdport 0
		port 0
		logdir $d
		log measurements
	EOF
	topo_bg cli "$d/chronyd.out" capsh --drop=cap_sys_time -- -c \
		"exec '$TOPO_SYSROOT/usr/sbin/chronyd' -x -d -u root -f '$d/chrony.conf'"
	TOPO_CHRONY_PID=$TOPO_LAST_PID
	local _
	for _ in $(seq 50); do
		[ "$(topo_chrony_counts | cut -d' ' -f3)" -ge 4 ] 2>/dev/null && return 0
		kill -0 "$TOPO_CHRONY_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# "TX RX VALID": requests chronyd sent to the server, replies it received,
# replies that passed chrony's checks. Read twice if a poll was in flight.
topo_chrony_counts() {
	local out tx rx valid _
	for _ in 1 2 3; do
		out=$("$TOPO_SYSROOT/usr/bin/chronyc" -h "$TOPO_DIR/chrony/chronyd.sock" \
			ntpdata $TOPO_NTP 2>/dev/null) || { echo "0 0 0"; return 1; }
		tx=$(awk -F': *' '/^Total TX/ {print $2}' <<<"$out")
		rx=$(awk -F': *' '/^Total RX/ {print $2}' <<<"$out")
		valid=$(awk -F': *' '/^Total valid RX/ {print $2}' <<<"$out")
		[ "$tx" = "$rx" ] && break
		sleep 0.05
	done
	echo "${tx:-0} ${rx:-0} ${valid:-0}"
}

topo_start_sink() {
	rm -f "$TOPO_DIR/victim.count"
	topo_bg vic "$TOPO_DIR/sink.out" "$TOPO_PY" "$TOPO_TRAFFIC" sink \
		--bind $TOPO_VIC --port $TOPO_VPORT --out "$TOPO_DIR/victim.count"
	TOPO_SINK_PID=$TOPO_LAST_PID
	local _
	for _ in $(seq 50); do
		[ -s "$TOPO_DIR/victim.count" ] && return 0
		sleep 0.1
	done
	return 1
}

topo_victim_counts() { cat "$TOPO_DIR/victim.count" 2>/dev/null || echo "0 0 0"; }

# Wait until the victim's count has not moved for 0.5 s (at most 5 s).
topo_wait_victim_quiet() {
	local prev cur same=0 _
	prev=$(topo_victim_counts)
	for _ in $(seq 50); do
		sleep 0.1
		cur=$(topo_victim_counts)
		if [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && return 0
		else
			same=0 prev=$cur
		fi
	done
	return 1
}

# Monlist requests from the victim's address the reflector has received.
topo_reflector_seen() {
	grep -c "^req from $TOPO_VIC:[0-9]* mode 7 " "$TOPO_DIR/responder.log" 2>/dev/null || true
}
# Reply packets the reflector has sent for them.
topo_reflector_sent() {
	awk -v v="$TOPO_VIC" '$1 == "req" && index($3, v ":") == 1 && $5 == 7 {
		for (i = 1; i < NF; i++) if ($i == "->") s += $(i + 1) } END { print s + 0 }' \
		"$TOPO_DIR/responder.log" 2>/dev/null
}

# topo_spoof [--count N] [--rate PPS --duration S]: monlist requests from the
# attacker, forged as coming from the victim's port 40123, to the reflector.
# Prints "packets payload_bytes ip_bytes".
topo_spoof() {
	topo_ns att "$TOPO_PY" "$TOPO_TRAFFIC" spoof --src $TOPO_VIC --sport $TOPO_VPORT \
		--dst $TOPO_REF "$@"
}

# ---- ntpguard's counters ---------------------------------------------------------

# topo_snap NS FILE : "ntpguard stats --json" run in namespace NS into FILE
# (an empty JSON object on failure). Uses $NTPGUARD (default build/ntpguard).
topo_snap() {
	topo_ns "$1" "${NTPGUARD:-$TOPO_ROOT/build/ntpguard}" stats --json >"$2" 2>/dev/null ||
		echo '{}' >"$2"
}

# topo_stat FILE IFACE REASON [packets|bytes] [ingress|egress|all] : one
# counter of a snapshot; 0 when the interface or reason is absent.
topo_stat() {
	"$TOPO_PY" - "$@" <<-'PY'
		import json, sys
		f, ifc, reason = sys.argv[1:4]
		field = sys.argv[4] if len(sys.argv) > 4 else "packets"
		where = sys.argv[5] if len(sys.argv) > 5 else "all"
		try:
		    i = json.load(open(f)).get("interfaces", {}).get(ifc, {})
		except ValueError:
		    i = {}
		dirs = []
		if where in ("ingress", "all"):
		    dirs.append(i.get("reasons", {}))
		if where in ("egress", "all"):
		    dirs.append(i.get("egress", {}).get("reasons", {}))
		print(sum(d.get(reason, {}).get(field, 0) for d in dirs))
	PY
}

# topo_delta OLD NEW IFACE REASON [FIELD] [DIR] : NEW - OLD of one counter.
topo_delta() {
	local a b
	a=$(topo_stat "$1" "${@:3}") b=$(topo_stat "$2" "${@:3}")
	echo $((b - a))
}

# ---- teardown ------------------------------------------------------------------

topo_destroy() {
	ng_stop_pids "${TOPO_PIDS[@]}"
	TOPO_PIDS=()
	# Anything still running inside our namespaces was started by us.
	ng_netns_purge "${TOPO_NETNS[@]}"
	TOPO_NETNS=()
}
