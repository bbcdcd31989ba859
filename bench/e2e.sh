#!/bin/bash
# e2e.sh - end to end: a spoofed mode 7 flood over a veth pair between two
# namespaces this script creates, against each filter on the receiving end.
#
#   bench/e2e.sh [--rounds N] [--count N] [--json FILE] [--mode af_packet|xdp-live|both]
#                [--configs none,empty,...]
#
# Configurations, run in interleaved rounds (the order rotates per round):
#   none        no filter: the IP stack takes every request (no socket on
#               123: counted as UDP NoPorts, answered by rate-limited ICMP)
#   empty       an empty XDP_DROP program (bench/bpf/baseline.bpf.c, via
#               xdp-loader)
#   ntpguard    `ntpguard load --mode native`, default policy
#   xdpf-udp    `xdp-filter load -f udp` + `xdp-filter port 123 -p udp`
#   xdpf-all    `xdp-filter load` (all features, its default) + the same rule
#   nft         netdev ingress chain at priority -500 on the device:
#               udp dport 123 @th,64,8 & 0x87 == 7 counter drop
#   iptables    raw PREROUTING: -p udp --dport 123 -m u32
#               --u32 "4&0x1FFF=0 && 0>>22&0x3C@8>>24&0x87=7" -j DROP
#
# Topology: gen/tx0 <-> rcv/rx0 (192.0.2.2 -> 192.0.2.1). rx0 has GRO on and
# threaded NAPI, so everything the receiving side does for a frame (veth
# receive, XDP, or the stack with netfilter) runs in one kernel thread,
# "napi/rx0-N", pinned to CPU 1; the generator (bench/floodgen, AF_PACKET +
# sendmmsg, qdisc bypassed) is pinned to CPU 0 in the other namespace.
#
# Per trial: frames sent and the generator's CPU time (send side); frames
# that reached rx0 (veth's rx_queue_0_xdp_packets, which counts NAPI
# receives with or without a program) and the NAPI thread's CPU time
# (/proc/PID/schedstat, ns): receive-side CPU ns per packet; what the filter
# under test dropped, from its own counter (veth's xdp_drops for XDP
# programs, UDP NoPorts for none, the rule counters for nft and iptables);
# drops per second over the generator's wall time. When the NAPI thread was
# busy for nearly the whole flood (and veth pushed back: ENOBUFS at the
# generator), the receiver was the bottleneck; otherwise the generator was.
#
# Two ways to send (--mode, default both where the kernel allows):
#   af_packet  floodgen's AF_PACKET + sendmmsg socket: what the issue asks
#              for. veth receives an skb, and before any XDP program can see
#              it veth copies it into a fresh page (its headroom is too small
#              and its head not a page fragment): a per-packet cost no NIC
#              driver has, paid by every XDP configuration alike.
#   xdp-live   floodgen --xdp-live: BPF_PROG_TEST_RUN in live-frames mode
#              redirects each frame out of tx0 (bench/bpf/flood.bpf.c), so
#              rx0 gets XDP frames as a driver hands them over: no skb, no
#              copy, until something passes the frame to the stack. Debian's
#              6.1 and 6.12 kernels allow it; kernels that refuse live frames
#              (EPERM) skip this mode and say so. Frames veth cannot queue
#              are dropped at tx0 (xdp_xmit_errors: the receiver was the
#              bottleneck).
#
# Safety: only the two namespaces made here (tests/lib.sh: prefix
# ngb<pid>-, removed on exit), documentation addresses, a bounded flood
# (--count frames, at most 20 s per trial), a private bpffs.
set -uo pipefail
NG_TAG=ngb
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"

ROUNDS=5
COUNT=1000000
JSON=''
MODE=both
ONLY_CONFIGS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--configs) IFS=, read -ra ONLY_CONFIGS <<<"$2"; shift 2 ;;
	-h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "e2e: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] ||
	ng_die "--rounds wants 1..50"
[[ "$COUNT" =~ ^[0-9]+$ ]] && [ "$COUNT" -ge 1000 ] && [ "$COUNT" -le 20000000 ] ||
	ng_die "--count wants 1000..20000000"

case "$MODE" in af_packet|xdp-live|both) ;; *) ng_die "--mode af_packet|xdp-live|both" ;; esac
ng_require_root
ng_require_bin ethtool nft iptables xdp-loader xdp-filter bpftool taskset nsenter
BUILD=$NG_ROOT/build
FLOODGEN=$BUILD/bench/floodgen
BASELINE=$BUILD/bench/baseline.bpf.o
FLOODOBJ=$BUILD/bench/flood.bpf.o
ng_require_bin "$FLOODGEN" "$NTPGUARD"
[ -r "$BASELINE" ] && [ -r "$FLOODOBJ" ] || ng_die "missing $BASELINE or $FLOODOBJ (make bench)"
NCPU=$(nproc)
GEN_CPU=0
RCV_CPU=$((NCPU > 1 ? 1 : 0))

ng_setup_bpffs
ng_ns_add gen
ng_ns_add rcv
RX=nb$$
ng_veth gen tx0 rcv "$RX"
ns gen ip addr add 192.0.2.2/24 dev tx0
ns rcv ip addr add 192.0.2.1/24 dev "$RX"
# veth hands a frame to the peer's NAPI (rather than the backlog) only when
# the receiver has GRO and the sender does not do TSO.
ns gen ethtool -K tx0 tso off >/dev/null || ng_die "ethtool -K tx0 tso off"
ns rcv ethtool -K "$RX" gro on >/dev/null || ng_die "ethtool -K $RX gro on"

# sysfs of the receiving namespace: `ip netns exec` mounts it (in a mount
# namespace of its own, so our bpffs is unaffected).
rcv_sysfs() { ip netns exec "$(ng_nsname rcv)" sh -c "$1"; }
RX_MAC=$(rcv_sysfs "cat /sys/class/net/$RX/address")

# The NAPI thread(s) of rx0: kernel threads named napi/<dev>-<id> (cut to
# 15 characters). The threads are global, so rx0 carries a name unique to
# this run: $RX.
napi_pids() {
	local p comm
	for p in /proc/[0-9]*; do
		{ read -r comm <"$p/comm"; } 2>/dev/null || continue
		case "$comm" in
		"napi/$RX"|"napi/$RX-"*) echo "${p#/proc/}" ;;
		esac
	done
}
napi_ns() {
	local p s=0 v
	for p in "$@"; do
		{ read -r v _ <"/proc/$p/schedstat"; } 2>/dev/null && s=$((s + v))
	done
	echo "$s"
}
ethtool_stat() { ns rcv ethtool -S "$RX" | awk -v k="$1:" '$1 == k { print $2 }'; }
tx_stat() { ns gen ethtool -S tx0 | awk -v k="$1:" '$1 == k { print $2 }'; }
udp_noports() { ns rcv awk '/^Udp:/ { n++ } /^Udp:/ && n == 2 { print $3 }' /proc/net/snmp; }

# xdp-tools' commands (xdp-filter, xdp-loader 1.3.1) ignore LIBXDP_BPFFS for
# their own pins: they take /sys/fs/bpf, or else the first bpffs in the
# mount table, which may be another test's private one. Run them in a mount
# namespace of their own where our private bpffs is bound on /sys/fs/bpf.
xdpt() {
	unshare --mount --propagation private sh -c \
		'mount --bind "$1" /sys/fs/bpf && shift && exec nsenter --net="$0" -- "$@"' \
		"/run/netns/$(ng_nsname rcv)" "$NG_BPFFS_MNT" "$@"
}

# ---- configurations: setup, count (what it dropped so far), teardown ------

CONFIGS=(none empty ntpguard xdpf-udp xdpf-all nft iptables)
if [ ${#ONLY_CONFIGS[@]} -gt 0 ]; then
	for c in "${ONLY_CONFIGS[@]}"; do
		[[ " ${CONFIGS[*]} " == *" $c "* ]] || ng_die "unknown configuration $c"
	done
	CONFIGS=("${ONLY_CONFIGS[@]}")
fi

setup() {
	case "$1" in
	none) ;;
	empty) xdpt xdp-loader load -m native -n xdp_drop_empty "$RX" "$BASELINE" ;;
	ntpguard) ns rcv "$NTPGUARD" load --mode native "$RX" >/dev/null ;;
	xdpf-udp) xdpt xdp-filter load -m native -f udp "$RX" &&
		xdpt xdp-filter port 123 -p udp ;;
	xdpf-all) xdpt xdp-filter load -m native "$RX" &&
		xdpt xdp-filter port 123 -p udp ;;
	nft) ns rcv nft -f - <<-EOF
		table netdev ngbench {
			chain ingress {
				type filter hook ingress device "$RX" priority -500;
				udp dport 123 @th,64,8 & 0x87 == 0x07 counter drop
			}
		}
		EOF
		;;
	iptables) ns rcv iptables -t raw -A PREROUTING -i "$RX" -p udp --dport 123 -m u32 \
		--u32 "4&0x1FFF=0 && 0>>22&0x3C@8>>24&0x87=7" -j DROP ;;
	esac
}

dropped() {
	case "$1" in
	none) udp_noports ;;
	nft) ns rcv nft list chain netdev ngbench ingress |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' ;;
	iptables) ns rcv iptables -t raw -L PREROUTING -v -x -n | awk '$3 == "DROP" { print $1 }' ;;
	*) ethtool_stat rx_queue_0_xdp_drops ;;
	esac
}

teardown() {
	case "$1" in
	none) ;;
	empty) xdpt xdp-loader unload "$RX" --all ;;
	ntpguard) ns rcv "$NTPGUARD" unload "$RX" >/dev/null ;;
	xdpf-udp|xdpf-all) xdpt xdp-filter unload "$RX" ;;
	nft) ns rcv nft delete table netdev ngbench ;;
	iptables) ns rcv iptables -t raw -F PREROUTING ;;
	esac
}

# xdp-filter's rule must be laid out as bench/bench.c assumes (the
# per-packet bench writes the same map by hand): key htons(123), value
# flags dst|udp (0x0a) on every CPU.
check_xdp_filter_layout() {
	local got
	setup xdpf-udp || ng_die "xdp-filter load failed"
	got=$(bpftool -j map lookup pinned "$NG_BPFFS_MNT/xdp-filter/filter_ports" \
		key 0x00 0x7b 0x00 0x00 | "$NG_PY" -c '
import json, sys
def num(v):  # plain number with BTF, else a list of hex octets (little-endian)
    return v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little")
v = json.load(sys.stdin)["values"]
print(",".join(str(num(x["value"]) & 63) for x in v))')
	teardown xdpf-udp
	[ -n "$got" ] && [ "$(echo "$got" | tr ',' '\n' | sort -u)" = 10 ] ||
		ng_die "xdp-filter's filter_ports[123] is '$got', not 10 (dst|udp) on every CPU"
	echo "# xdp-filter port 123 -p udp: filter_ports[htons(123)] = 0x0a (dst|udp) on every CPU, as bench.c writes it"
}

TRIALS=$NG_TMP/trials.jsonl
: >"$TRIALS"

trial() {
	local cfg=$1 round=$2 mode=$3 pids d0 d1 r0 r1 x0 x1 e0 e1 gen live=()
	[ "$mode" = xdp-live ] && live=(--xdp-live "$FLOODOBJ")
	setup "$cfg" || ng_die "setup of $cfg failed"
	rcv_sysfs "echo 1 > /sys/class/net/$RX/threaded" || ng_die "threaded NAPI on $RX"
	pids=$(napi_pids)
	[ -n "$pids" ] || ng_die "no NAPI thread for $RX ($cfg)"
	for p in $pids; do taskset -p -c "$RCV_CPU" "$p" >/dev/null; done
	d0=$(dropped "$cfg"); x0=$(ethtool_stat rx_queue_0_xdp_packets); r0=$(napi_ns $pids)
	e0=$(tx_stat tx_queue_0_xdp_xmit_errors)
	gen=$(ns gen taskset -c "$GEN_CPU" "$FLOODGEN" -i tx0 --dst-mac "$RX_MAC" \
		-c "$COUNT" -t 20 "${live[@]}") || ng_die "floodgen failed ($cfg, $mode)"
	# let the receiver drain its ring before reading
	sleep 0.2
	r1=$(napi_ns $pids); x1=$(ethtool_stat rx_queue_0_xdp_packets); d1=$(dropped "$cfg")
	e1=$(tx_stat tx_queue_0_xdp_xmit_errors)
	teardown "$cfg" || ng_die "teardown of $cfg failed"
	echo "{\"mode\": \"$mode\", \"config\": \"$cfg\", \"round\": $round, \"gen\": $gen, \"received\": $((x1 - x0)), \"dropped\": $((d1 - d0)), \"ring_drops\": $((e1 - e0)), \"napi_ns\": $((r1 - r0))}" >>"$TRIALS"
}

check_xdp_filter_layout
MODES=()
[ "$MODE" != xdp-live ] && MODES+=(af_packet)
LIVE_NOTE=
if [ "$MODE" != af_packet ]; then
	# does this kernel run live frames? (one frame, dropped by nobody)
	if err=$(ns gen "$FLOODGEN" -i tx0 --dst-mac "$RX_MAC" -c 1 -t 5 \
		--xdp-live "$FLOODOBJ" 2>&1 >/dev/null); then
		MODES+=(xdp-live)
	else
		LIVE_NOTE="xdp-live skipped: this kernel refuses BPF_PROG_TEST_RUN live frames ($err)"
	fi
fi
[ ${#MODES[@]} -gt 0 ] || ng_die "nothing to run ($LIVE_NOTE)"
echo "# $ROUNDS rounds x ${#CONFIGS[@]} configurations x $COUNT frames x modes ${MODES[*]}; generator on CPU $GEN_CPU, NAPI on CPU $RCV_CPU"
for ((r = 0; r < ROUNDS; r++)); do
	n=${#CONFIGS[@]}
	for mode in "${MODES[@]}"; do
		for ((k = 0; k < n; k++)); do
			cfg=${CONFIGS[$(((k + r) % n))]}
			trial "$cfg" "$r" "$mode"
		done
	done
	echo "# round $((r + 1))/$ROUNDS done" >&2
done

"$NG_PY" - "$TRIALS" "${JSON:-}" "$COUNT" "$(iptables -V)" "$(nft -v)" "$LIVE_NOTE" <<'EOF'
import json, statistics, sys
alltrials = [json.loads(l) for l in open(sys.argv[1])]
out, count, live_note = sys.argv[2], int(sys.argv[3]), sys.argv[6]
order = ["none", "empty", "ntpguard", "xdpf-udp", "xdpf-all", "nft", "iptables"]
def agg(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}
def f(s, fmt="%.0f"):
    return (fmt + " [" + fmt + "-" + fmt + "]") % (s["median"], s["min"], s["max"])
result = {"count": count, "iptables": sys.argv[4], "nft": sys.argv[5], "live_note": live_note,
          "modes": {}, "trials": alltrials}
print("%s; %s" % (sys.argv[4], sys.argv[5]))
for mode in ["af_packet", "xdp-live"]:
  trials = [t for t in alltrials if t["mode"] == mode]
  if not trials:
    continue
  res = {}
  for c in order:
    ts = [t for t in trials if t["config"] == c]
    if not ts:
        continue
    row = {
        "sent": agg([t["gen"]["sent"] for t in ts]),
        "received": agg([t["received"] for t in ts]),
        "dropped": agg([t["dropped"] for t in ts]),
        "drops_per_s": agg([t["dropped"] / (t["gen"]["wall_ns"] / 1e9) for t in ts]),
        "sent_per_s": agg([t["gen"]["sent"] / (t["gen"]["wall_ns"] / 1e9) for t in ts]),
        "gen_cpu_ns_per_pkt": agg([t["gen"]["cpu_ns"] / t["gen"]["sent"] for t in ts]),
        "rcv_cpu_ns_per_pkt": agg([t["napi_ns"] / max(t["received"], 1) for t in ts]),
        "rcv_busy": agg([t["napi_ns"] / t["gen"]["wall_ns"] for t in ts]),
        "backpressure": agg([t["gen"]["enobufs"] + t["ring_drops"] for t in ts]),
    }
    res[c] = row
  base = res.get("empty")
  for c, row in res.items():
    if base:
        row["rcv_cpu_x_empty"] = row["rcv_cpu_ns_per_pkt"]["median"] / base["rcv_cpu_ns_per_pkt"]["median"]
  result["modes"][mode] = res
  print("\n== end to end, %s: spoofed mode 7 flood, %d frames per trial, %d rounds ==" % (
      mode, count, len(trials) // max(len(res), 1)))
  print("%-9s | %-20s | %-18s | %-18s | %-7s | %-17s | %-10s | %s" % ("config", "dropped/s (k)", "rcv CPU ns/pkt", "gen CPU ns/pkt", "x empty", "rcv busy", "push-back", "dropped/received"))
  for c, row in res.items():
    k = {y: v / 1000 for y, v in row["drops_per_s"].items()}
    print("%-9s | %-20s | %-18s | %-18s | %-7s | %-17s | %-10s | %.0f/%.0f" % (
        c, f(k), f(row["rcv_cpu_ns_per_pkt"]), f(row["gen_cpu_ns_per_pkt"]),
        "%.2f" % row.get("rcv_cpu_x_empty", 0), f(row["rcv_busy"], "%.2f"),
        "%.0f" % row["backpressure"]["median"], row["dropped"]["median"], row["received"]["median"]))
print("\nrcv CPU: the receiving NAPI thread's CPU time per frame that reached rx0; x empty: over"
      " the empty XDP_DROP program's. rcv busy: that thread's CPU time / the flood's wall time"
      " (near 1: the receiver was the bottleneck; well below: the generator was). push-back:"
      " ENOBUFS at the AF_PACKET socket or frames veth could not queue (xdp-live).")
if live_note:
    print(live_note)
if out:
    json.dump(result, open(out, "w"), indent=1)
EOF
