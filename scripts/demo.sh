#!/usr/bin/env bash
# ntpguard demo: a monlist reflection attack (CVE-2013-5211) in network
# namespaces, without ntpguard, with ntpguard on the reflector's side, and
# with ntpguard on the victim's side, while a real NTP client keeps syncing.
# Run as root: `make demo` (installs what it needs on the first run).
#
# Topology (scripts/topology.sh, prefix ngdemo<pid>-):
#
#   attacker  203.0.113.66 --+               +-- reflector 192.0.2.123  ntpd-4.2.6-like responder,
#   victim    198.51.100.7 --+--- router ----+              monlist on, 600 clients listed
#                            |  (ntpguard)   |   + NTP server 192.0.2.124: ntpsec ntpd
#                            +---------------+-- client    192.0.2.130  chronyd -x, 4 polls/s
#
# The attacker sends monlist requests with the victim's address as source.
#  1  without ntpguard: the reflector answers each with 100 packets
#  2  reflector side: ntpguard load --egress r-ref on the router (the port
#     facing the hosted servers): the requests never reach the reflector
#  3  victim side: ntpguard load r-ref (XDP where the replies enter the
#     router): the reflector answers, its replies never reach the victim
# Everything created here is removed on exit, also on Ctrl-C; ntpguard uses
# a private bpffs, never the host's /sys/fs/bpf.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
if ! scripts/deps.sh --check >/dev/null 2>&1; then
	echo "demo: installing dependencies (first run only)"
	scripts/deps.sh
fi
make -s all build/tests/ntpresponder >/dev/null

# shellcheck source=scripts/topology.sh
. scripts/topology.sh

T0=$(date +%s%N)
WORK=$(mktemp -d /tmp/ntpguard-demo.XXXXXX)
BPFFS=$WORK/bpffs
NG=$ROOT/build/ntpguard

cleanup() {
	set +e
	trap - EXIT INT TERM
	# Deleting the namespaces also detaches ntpguard from their interfaces.
	topo_destroy
	mountpoint -q "$BPFFS" && { umount "$BPFFS" 2>/dev/null || umount -l "$BPFFS"; }
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "demo: interrupted, cleaning up" >&2; exit 130' INT
trap 'exit 143' TERM

mkdir "$BPFFS"
mount -t bpf bpf "$BPFFS"
export NTPGUARD_BPFFS=$BPFFS LIBXDP_BPFFS=$BPFFS

echo "demo: building the topology and starting the reflector, ntpsec ntpd and chronyd ..."
topo_init "ngdemo$$" "$WORK/topo"
topo_create || { echo "demo: topology creation failed" >&2; exit 1; }
topo_start_reflector 120
topo_start_sink || { echo "demo: the victim's counter did not start" >&2; exit 1; }
topo_start_ntpsec || { echo "demo: ntpsec ntpd did not start serving" >&2; exit 1; }
topo_start_chrony || { echo "demo: chronyd did not get its first replies" >&2; exit 1; }

field() { cut -d' ' -f"$2" <<<"$1"; }
N=10          # spoofed requests in phases 2 and 3
PHASE_S=3     # each phase lasts at least this long, so chrony polls ~12 times

declare -A REQ REQB REQIP VPK VPAY VIP SYNC SEEN REPL
# phase NAME COUNT : spoof COUNT requests, wait for the victim to go quiet,
# record what was sent, received, answered and chrony's exchanges.
phase() {
	local name=$1 count=$2 t0 c0 c1 v0 v1 s0 r0 sent
	t0=$(date +%s%N)
	c0=$(topo_chrony_counts) v0=$(topo_victim_counts)
	s0=$(topo_reflector_seen) r0=$(topo_reflector_sent)
	sent=$(topo_spoof --count "$count" --inter 0.02)
	sleep 0.3
	topo_wait_victim_quiet || true
	while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((PHASE_S * 1000)) ]; do sleep 0.1; done
	c1=$(topo_chrony_counts) v1=$(topo_victim_counts)
	REQ[$name]=$(field "$sent" 1) REQB[$name]=$(field "$sent" 2) REQIP[$name]=$(field "$sent" 3)
	VPK[$name]=$(( $(field "$v1" 1) - $(field "$v0" 1) ))
	VPAY[$name]=$(( $(field "$v1" 2) - $(field "$v0" 2) ))
	VIP[$name]=$(( $(field "$v1" 3) - $(field "$v0" 3) ))
	SEEN[$name]=$(( $(topo_reflector_seen) - s0 ))
	REPL[$name]=$(( $(topo_reflector_sent) - r0 ))
	# answered/asked: valid replies chronyd got / requests it sent
	SYNC[$name]="$(( $(field "$c1" 3) - $(field "$c0" 3) ))/$(( $(field "$c1" 1) - $(field "$c0" 1) ))"
}

echo "demo: 1/3 without ntpguard ..."
phase 1 1

echo "demo: 2/3 ntpguard on the reflector side ..."
topo_ns rtr "$NG" load --egress r-ref >"$WORK/load2.txt"
topo_snap rtr "$WORK/s2a.json"
phase 2 $N
topo_snap rtr "$WORK/s2b.json"
topo_ns rtr "$NG" unload --all >/dev/null

echo "demo: 3/3 ntpguard on the victim side ..."
topo_ns rtr "$NG" load r-ref >"$WORK/load3.txt"
topo_snap rtr "$WORK/s3a.json"
phase 3 $N
topo_snap rtr "$WORK/s3b.json"
topo_ns rtr "$NG" unload --all >/dev/null

D2_DROP=$(topo_delta "$WORK/s2a.json" "$WORK/s2b.json" r-ref mode7_request_dropped packets all)
D2_DROPB=$(topo_delta "$WORK/s2a.json" "$WORK/s2b.json" r-ref mode7_request_dropped bytes all)
D2_NTP=$(topo_delta "$WORK/s2a.json" "$WORK/s2b.json" r-ref ntp_passed packets all)
D3_OVER=$(topo_delta "$WORK/s3a.json" "$WORK/s3b.json" r-ref mode7_response_oversized packets all)
D3_OVERB=$(topo_delta "$WORK/s3a.json" "$WORK/s3b.json" r-ref mode7_response_oversized bytes all)
D3_NTP=$(topo_delta "$WORK/s3a.json" "$WORK/s3b.json" r-ref ntp_passed packets all)
XDP_MODE=$(sed -n 's/^r-ref: attached (\([a-z]*\) mode.*/\1/p' "$WORK/load3.txt")
# libxdp's dispatcher where the kernel allows freplace, else a legacy attach
XDP_PATH=$(grep -q 'libxdp dispatcher)' "$WORK/load3.txt" && echo "libxdp dispatcher" ||
	echo "legacy attach, libxdp dispatcher unavailable")

amp() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.0fx", a / b; else print "-" }'; }
row() {
	printf '  %-26s %5d %9d %9d %10d %10s %8s   %s\n' "$2" "${REQ[$1]}" "${REQIP[$1]}" \
		"${VPK[$1]}" "${VIP[$1]}" "$(amp "${VPAY[$1]}" "${REQB[$1]}")" \
		"$(amp "${VIP[$1]}" "${REQIP[$1]}")" "${SYNC[$1]}"
}
took=$(( ($(date +%s%N) - T0) / 1000000 ))

cat <<EOF

ntpguard demo: NTP monlist reflection (CVE-2013-5211), 5 network namespaces

  attacker  203.0.113.66   sends monlist requests forged as coming from the victim
  victim    198.51.100.7   counts what arrives on its port 40123
  reflector 192.0.2.123    ntpd-4.2.6-like mode 7 responder, 600 clients in its monitor list
            192.0.2.124    ntpsec 1.2.2 ntpd on the same host: a real NTP server
  client    192.0.2.130    chronyd -x asking 192.0.2.124 for the time 4 times a second
  router    forwards between them; ntpguard is loaded here

                              attacker sent       victim received       amplification    time sync
                              reqs  bytes(IP)     pkts   bytes(IP)   UDP payload  IP     answered
EOF
row 1 "1 without ntpguard"
row 2 "2 ntpguard, reflector side"
row 3 "3 ntpguard, victim side"
cat <<EOF

  1 without ntpguard: each 8-octet request (36 octets of IP) made the reflector send
    ${REPL[1]} replies of 440 octets; the victim got ${VPK[1]} packets, ${VPAY[1]} octets of UDP payload.

  what ntpguard dropped, and why (its counters on the router; bytes are Ethernet frames):
  2 reflector side: ntpguard load --egress r-ref   (the router port facing the hosted servers)
      mode7_request_dropped     $(printf '%5d' "$D2_DROP") pkts $(printf '%7d' "$D2_DROPB") B   TC egress: mode 7 request to port 123
                                                        from a source not on the allow-list
      the reflector received ${SEEN[2]} of the $N requests and sent ${REPL[2]} replies.
  3 victim side: ntpguard load r-ref   (XDP, $XDP_MODE mode, where the replies enter the router;
                                        $XDP_PATH)
      mode7_response_oversized  $(printf '%5d' "$D3_OVER") pkts $(printf '%7d' "$D3_OVERB") B   XDP: mode 7 reply from port 123 with a
                                                        440-octet payload, over the 200 limit
      the reflector received ${SEEN[3]} of the $N requests and sent ${REPL[3]} replies; the victim got ${VPK[3]}.
  passed untouched: ntp_passed, $D2_NTP packets in 2 (chrony's queries and ntpsec's replies),
      $D3_NTP in 3 (only the replies: without --egress, ntpguard sees the router's ingress only).

  time sync, valid replies / queries of chronyd: ${SYNC[1]} without ntpguard, ${SYNC[2]} and ${SYNC[3]} with it.

EOF
ok=1
[ "${VPK[1]}" -ge 100 ] || ok=0
[ "${VPK[2]}" -eq 0 ] && [ "${SEEN[2]}" -eq 0 ] && [ "$D2_DROP" -eq "$N" ] || ok=0
[ "${VPK[3]}" -eq 0 ] && [ "$D3_OVER" -eq "${REPL[3]}" ] && [ "${REPL[3]}" -gt 0 ] || ok=0
for p in 1 2 3; do
	[ "${SYNC[$p]%/*}" = "${SYNC[$p]#*/}" ] && [ "${SYNC[$p]%/*}" -gt 0 ] || ok=0
done
if [ $ok = 1 ]; then
	echo "  result: ${VPK[1]} packets ($(amp "${VPAY[1]}" "${REQB[1]}") at the UDP payload) per request without ntpguard,"
	echo "          nothing at the victim with it, on either side; every time query answered. (${took} ms)"
else
	echo "  result: UNEXPECTED, see the numbers above (${took} ms)"
	exit 1
fi
