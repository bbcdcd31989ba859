#!/bin/bash
# tests/scenarios.sh - the reflection attack end to end, with real NTP
# software, in the topology of scripts/topology.sh (attacker, victim, router,
# reflector + ntpsec server, chrony client; prefix ngs<pid>-).
#
#   1  no ntpguard: one spoofed monlist request -> 100 replies at the victim;
#      amplification (victim bytes / attacker bytes) measured (harness: the
#      attack works, so its absence below means something)
#   2  reflector side (router: load --egress r-ref): the reflector never
#      receives the requests, the victim gets nothing, mode7_request_dropped
#   3  victim side only (router: load r-ref, XDP ingress; and the victim's
#      own eth0): the reflector answers, the oversized replies never reach
#      the victim's socket, mode7_response_oversized
#   4  during a bounded spoofed flood, chronyd -x loses no sample from the
#      ntpsec server behind the filter (at least 8 exchanges, read while the
#      flood still runs); ntpq -c rv from the allow-listed client is
#      answered, from the attacker it is rate-capped (default: as many pass
#      as the burst plus what refills in the measured send time) or dropped
#      (mode6_request=drop)
#
# No fixed sleeps before a count: settle() sends a barrier query along the
# requests' path and a marker along the replies' path and waits for both,
# so every request was handled and every reply counted before the victim's
# counter is read (the marker is taken off the counts).
#   5  nmap --script ntp-monlist lists the monitor list without ntpguard and
#      nothing with it
#
# Prints "N passed, N failed". NG_KEEP_TMP=1 keeps logs and configs.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/topology.sh
. "$NG_ROOT/scripts/topology.sh"

ng_require_root
ng_require_bin ip nsenter capsh nmap ntpdig "$NG_PY" "$NTPGUARD" "$TOPO_RESPONDER" \
	"$NG_SYSROOT/usr/sbin/chronyd" "$NG_SYSROOT/usr/bin/chronyc" \
	"$NG_SYSROOT/usr/sbin/ntpd" "$NG_SYSROOT/usr/bin/ntpq"
"$NG_PY" -c 'import scapy.layers.inet' 2>/dev/null ||
	ng_die "/usr/bin/python3 cannot import scapy (run scripts/deps.sh)"

T0=$(date +%s)
NG=$NTPGUARD
NTPQ=$NG_SYSROOT/usr/bin/ntpq
ng_setup_bpffs

# Our namespaces and daemons go first, then lib.sh's own cleanup.
# shellcheck disable=SC2154 # ng_rc is assigned inside the trap string
trap 'ng_rc=$?; topo_destroy; (exit $ng_rc); ng_cleanup' EXIT
topo_init "ngs$$" "$NG_TMP/topo"
ng_log "topology (prefix ngs$$-)"
topo_create || ng_die "topology creation failed"

topo_start_reflector 600
topo_start_sink || ng_die "victim sink did not start: $(cat "$TOPO_DIR/sink.out")"
topo_start_ntpsec || ng_die "ntpsec ntpd did not serve: $(tail -n 5 "$TOPO_DIR/ntpsec/ntpd.log")"
topo_start_chrony || ng_die "chronyd did not sync: $(tail -n 5 "$TOPO_DIR/chrony/chronyd.out")"

SNAPN=0
snap() { SNAPN=$((SNAPN + 1)); SNAP=$NG_TMP/stats$SNAPN.json; topo_snap rtr "$SNAP"; }
field() { cut -d' ' -f"$2" <<<"$1"; }
calc_s() { "$NG_PY" -c "import sys; print('%.3f' % (int(sys.argv[1]) / 1e9))" "$1"; }

# settle : 1. a mode 3 query from the attacker's own address to the
# reflector, along the spoofed requests' path: the responder handles one
# request at a time and logs it after sending its replies, so once this one
# is logged every earlier request reached it (and was answered) or was
# dropped on the way; 2. a marker datagram (from port 9: not NTP) from the
# reflector's host to the victim's counter, along the replies' path: once
# it is counted, every reply sent before it is counted too.
MARKS=0
MARK=ngtest-mark                 # 11 octets of payload, 39 of IP
settle() {
	local n0 v0
	n0=$(grep -c "^req from $TOPO_ATT:[0-9]* mode 3 " "$TOPO_DIR/responder.log")
	topo_ns att "$NG_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x23" + bytes(47), (sys.argv[1], 123))' "$TOPO_REF"
	logged() { [ "$(grep -c "^req from $TOPO_ATT:[0-9]* mode 3 " "$TOPO_DIR/responder.log")" -gt "$n0" ]; }
	ng_wait_for 10 logged || ng_fail "settle: the reflector never logged the barrier query"
	v0=$(field "$(topo_victim_counts)" 1)
	topo_ns ref "$NG_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9))
s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))' "$TOPO_REF" "$TOPO_VIC" "$TOPO_VPORT" "$MARK"
	MARKS=$((MARKS + 1))
	marked() { [ "$(field "$(topo_victim_counts)" 1)" -gt "$v0" ]; }
	ng_wait_for 10 marked || ng_fail "settle: the victim never counted the marker"
}
# vcounts : the victim's "packets payload ip" without the markers so far
vcounts() {
	local c
	c=$(topo_victim_counts)
	echo "$(( $(field "$c" 1) - MARKS )) $(( $(field "$c" 2) - MARKS * ${#MARK} ))" \
		"$(( $(field "$c" 3) - MARKS * (${#MARK} + 28) ))"
}
# CapEff of a pid has CAP_SYS_TIME (bit 25)?
no_sys_time() {
	local eff
	eff=$(awk '/^CapEff/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$eff" ] && [ $(( (16#$eff >> 25) & 1 )) -eq 0 ]
}
ntpq_rv() { # ntpq_rv HOST : one "ntpq -c rv" to the ntpsec server, 1 s timeout
	topo_ns "$1" timeout 8 "$NTPQ" -c 'timeout 1000' -c rv $TOPO_NTP
}
answered_rv() { grep -q 'version="ntpd ntpsec' "$1"; }

# =============================================================================
ng_log "setup: real NTP software that cannot touch the clock"
check "0a ntpsec ntpd serves leap 0, stratum 8 (orphan mode, 'disable ntp')" \
	topo_ns cli "$NTPQ" -c 'rv 0 leap,stratum' $TOPO_NTP
check_grep "0b ... as ntpq from the client reads it" "$NG_OUT" 'leap=00, stratum=8'
check "0c ntpd runs without CAP_SYS_TIME" no_sys_time "$TOPO_NTPSEC_PID"
check "0d chronyd runs without CAP_SYS_TIME (and with -x)" no_sys_time "$TOPO_CHRONY_PID"
check_grep "0e chronyd: control of the system clock disabled" \
	"$TOPO_DIR/chrony/chronyd.out" 'Disabled control of system clock'
check "0f ntpdig (query only) from the client gets ntpsec's time" \
	topo_ns cli ntpdig -t 2 $TOPO_NTP
check_grep "0g ... at stratum 8" "$NG_OUT" "$TOPO_NTP s8"

# =============================================================================
ng_log "scenario 1: no ntpguard, one spoofed monlist request (harness: the attack works)"
V0=$(vcounts) R0=$(topo_reflector_seen)
SENT=$(topo_spoof --count 1)
settle
V1=$(vcounts)
ng_assume_eq "1a the attacker sent one 8-octet request (36 octets of IP)" "1 8 36" "$SENT"
ng_assume_eq "1b the reflector received it" $((R0 + 1)) "$(topo_reflector_seen)"
VP=$(( $(field "$V1" 1) - $(field "$V0" 1) ))
VB=$(( $(field "$V1" 2) - $(field "$V0" 2) ))
VI=$(( $(field "$V1" 3) - $(field "$V0" 3) ))
ng_assume_eq "1c the victim received the 100-packet burst, 44000 octets of UDP payload (100 x 440)" \
	"100 44000" "$VP $VB"
BAF=$((VB / $(field "$SENT" 2))) PAF=$((VI / $(field "$SENT" 3)))
ng_log "amplification: UDP payload $VB/$(field "$SENT" 2) = ${BAF}x, IP level $VI/$(field "$SENT" 3) = ${PAF}x"

# =============================================================================
ng_log "scenario 5a: nmap ntp-monlist, no ntpguard"
run_nmap() { # run_nmap NAME : XML report in $NG_TMP/NAME.xml; in the background + wait, so INT is handled at once
	ng_bg "$1" timeout 40 nsenter --net="$(topo_nspath att)" -- \
		nmap -n -Pn -sU -p 123 --script ntp-monlist --max-retries 0 \
		--host-timeout 30s -oX "$NG_TMP/$1.xml" $TOPO_REF
	wait "$NG_BG_PID"
}
run_nmap nmap1
# (harness: what nmap shows without ntpguard, so its silence later counts)
ng_assume "5a-5c nmap lists the monitor list without ntpguard: hundreds of clients and the scanner itself" \
	test "$(ng_nmap "$NG_TMP/nmap1.xml" "len(addrs('ntp-monlist')) >= 100 and '$TOPO_ATT' in addrs('ntp-monlist')")" = true

# =============================================================================
ng_log "scenario 2: ntpguard on the reflector side (router, r-ref: TC egress + XDP)"
check "2a ntpguard load --egress r-ref" topo_ns rtr "$NG" load --egress r-ref
check_grep "2b ... XDP on r-ref" "$NG_OUT" '^r-ref: attached'
check_grep "2c ... TC egress on r-ref" "$NG_OUT" '^r-ref egress: attached'
snap; S0=$SNAP
V0=$(vcounts) R0=$(topo_reflector_seen)
SENT=$(topo_spoof --count 20 --inter 0.01)
settle
snap; S1=$SNAP
ng_assume_eq "2d the attacker sent 20 spoofed requests" 20 "$(field "$SENT" 1)"
check_eq "2e the reflector never received any" "$R0" "$(topo_reflector_seen)"
check_eq "2f the victim received nothing" "$V0" "$(vcounts)"
check_eq "2g mode7_request_dropped (egress r-ref) counts the 20" 20 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped packets egress)"
check_eq "2h ... 20 x 50-octet frames" 1000 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped bytes egress)"
check_eq "2i no oversized reply came back (nothing to answer)" 0 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized packets all)"

ng_log "scenario 5b: nmap ntp-monlist with ntpguard"
run_nmap nmap2
check_eq "5d nmap still sees 123/udp open (its mode 3 probe passes)" open \
	"$(ng_nmap "$NG_TMP/nmap2.xml" "port_state('udp', 123)")"
check_eq "5e nmap reports no monlist with ntpguard" None \
	"$(ng_nmap "$NG_TMP/nmap2.xml" "script('ntp-monlist')")"

# =============================================================================
ng_log "scenario 4: time sync and ntpq during a bounded flood (reflector side on)"
check "4a allow-list the client 192.0.2.130 (a management host)" \
	topo_ns rtr "$NG" allow add $TOPO_CLI
snap; S0=$SNAP
V0=$(vcounts) R0=$(topo_reflector_seen)
FLOOD_RATE=2000 FLOOD_S=10
ng_bg flood nsenter --net="$(topo_nspath att)" -- "$TOPO_PY" "$TOPO_TRAFFIC" spoof \
	--src $TOPO_VIC --sport $TOPO_VPORT --dst $TOPO_REF --rate $FLOOD_RATE --duration $FLOOD_S
FLOOD_PID=$NG_BG_PID
# Everything below runs while the flood does: wait until it is being
# dropped, query, let chronyd poll 8 times, and check the flood still runs.
flooding() {
	topo_snap rtr "$NG_TMP/flooding.json"
	[ "$(topo_delta "$S0" "$NG_TMP/flooding.json" r-ref mode7_request_dropped packets egress)" -gt 0 ]
}
ng_wait_for 10 flooding
# measurement lines of chronyd's log (it repeats a header banner now and then)
mlines() { grep -c '^[0-9]' "$TOPO_DIR/chrony/measurements.log"; }
C0=$(topo_chrony_counts)
ML0=$(mlines)
ntpq_rv cli >"$NG_TMP/ntpq_cli.out" 2>&1
ntpq_rv att >"$NG_TMP/ntpq_att.out" 2>&1
T_ATT_M6=$(date +%s%N)    # the attacker's last mode 6 request was before this
topo_ns cli ntpdig -t 2 $TOPO_NTP >"$NG_TMP/ntpdig.out" 2>&1
NTPDIG_RC=$?
polled() { [ $(( $(field "$(topo_chrony_counts)" 1) - $(field "$C0" 1) )) -ge 8 ]; }
ng_wait_for 10 polled
C1=$(topo_chrony_counts)
ML=$(( $(mlines) - ML0 ))
ng_assume "4- the queries and chronyd's exchanges ran while the flood did" kill -0 "$FLOOD_PID"
wait "$FLOOD_PID"
settle
snap; S1=$SNAP
FLOOD=$(tail -n 1 "$NG_TMP/flood.log")
ng_log "flood: $FLOOD (packets payload ip) in ${FLOOD_S} s, $((FLOOD_RATE * FLOOD_S)) planned; chrony during it: $C0 -> $C1"
ng_assume "4b the flood sent requests" test "$(field "$FLOOD" 1)" -gt 0
check_eq "4c every flood request dropped (mode7_request_dropped, egress)" \
	"$(field "$FLOOD" 1)" "$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped packets egress)"
check_eq "4d the reflector received none of the flood" "$R0" "$(topo_reflector_seen)"
check_eq "4e the victim received nothing" "$V0" "$(vcounts)"
TX=$(( $(field "$C1" 1) - $(field "$C0" 1) ))
RX=$(( $(field "$C1" 2) - $(field "$C0" 2) ))
VALID=$(( $(field "$C1" 3) - $(field "$C0" 3) ))
check_ge "4f chronyd polled during the flood (at least 8 requests)" 8 "$TX"
check_eq "4g chronyd got a reply to every request (RX = TX)" "$TX" "$RX"
check_eq "4h ... every reply valid (no lost samples)" "$TX" "$VALID"
# (read a few ms apart from ntpdata at 4 polls/s: one poll of slack)
check "4i ... measurements.log grew by one line per valid reply ($ML vs $VALID, +-1)" \
	test $((ML - VALID)) -ge -1 -a $((ML - VALID)) -le 1
check_ge "4j chrony's exchanges passed ntpguard (ntp_passed, both directions)" $((2 * TX)) \
	"$(topo_delta "$S0" "$S1" r-ref ntp_passed packets all)"
check_eq "4k ntpdig from the client answered during the flood" 0 "$NTPDIG_RC"
check "4l ntpq -c rv from the allow-listed client answered" answered_rv "$NG_TMP/ntpq_cli.out"
check_ge "4m ... counted as mode6_request_allowed" 1 \
	"$(topo_delta "$S0" "$S1" r-ref mode6_request_allowed packets egress)"
check "4n ntpq -c rv from the attacker answered within the default rate cap" \
	answered_rv "$NG_TMP/ntpq_att.out"
check_ge "4o ... counted as mode6_request_passed" 1 \
	"$(topo_delta "$S0" "$S1" r-ref mode6_request_passed packets egress)"

# A burst beyond the budget (default: 5/s per source, burst 20). The
# attacker's bucket is full again 20/5 = 4 s after its last mode 6 request:
# wait for that, so exactly the burst passes, plus what refills at 5/s
# between the first and the last request (measured by the sender).
WAIT_NS=$(( T_ATT_M6 + 4100000000 - $(date +%s%N) ))
[ "$WAIT_NS" -gt 0 ] && sleep "$(calc_s "$WAIT_NS")"
snap; S0=$SNAP
M6=$(topo_ns att "$NG_PY" - "$TOPO_NTP" <<'EOF'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.connect((sys.argv[1], 123))
t0 = time.monotonic_ns()
for seq in range(1, 61):      # READVAR, as "ntpq -c rv" sends it
    s.send(struct.pack("!BBHHHHH", 0x16, 0x02, seq, 0, 0, 0, 0))
t1 = time.monotonic_ns()
answered = set()
s.settimeout(0.05)
end = time.monotonic() + 1.0
while time.monotonic() < end:
    try:
        d = s.recv(65535)
    except (socket.timeout, ConnectionRefusedError):
        continue
    if len(d) >= 12 and d[0] & 7 == 6 and d[1] & 0x80:
        answered.add(struct.unpack("!H", d[2:4])[0])
print("sent 60 answered %d in %d ns" % (len(answered), t1 - t0))
EOF
)
snap; S1=$SNAP
ANS=$(sed 's/.* answered \([0-9]*\) .*/\1/' <<<"$M6")
SPAN=$(sed 's/.* in \([0-9]*\) ns/\1/' <<<"$M6")
REFILL=$(( (SPAN * 5 + 999999999) / 1000000000 ))
CAPPED=$(topo_delta "$S0" "$S1" r-ref mode6_request_ratecapped packets egress)
PASSED=$(topo_delta "$S0" "$S1" r-ref mode6_request_passed packets egress)
ng_log "mode 6 burst from the attacker: $M6; passed $PASSED, ratecapped $CAPPED"
check_within "4p a 60-request mode 6 burst passes the burst of 20 plus what 5/s refills in its $((SPAN / 1000)) us" \
	"$PASSED" 20 $((20 + REFILL))
check_eq "4q ... the rest is ratecapped (passed + ratecapped = 60)" 60 $((PASSED + CAPPED))
check_eq "4r ... the attacker got answers only for what passed" "$PASSED" "$ANS"

check "4t set mode6_request=drop" topo_ns rtr "$NG" set mode6_request=drop
snap; S0=$SNAP
ntpq_rv att >"$NG_TMP/ntpq_att2.out" 2>&1
ntpq_rv cli >"$NG_TMP/ntpq_cli2.out" 2>&1
snap; S1=$SNAP
check_not "4u ntpq -c rv from the attacker gets no answer under drop" \
	answered_rv "$NG_TMP/ntpq_att2.out"
check_grep "4v ... ntpq reports the timeout" "$NG_TMP/ntpq_att2.out" 'timed out'
check_ge "4w ... counted as mode6_request_dropped" 1 \
	"$(topo_delta "$S0" "$S1" r-ref mode6_request_dropped packets egress)"
check "4x the allow-listed client is still answered under drop" \
	answered_rv "$NG_TMP/ntpq_cli2.out"
check "4y set --defaults" topo_ns rtr "$NG" set --defaults

# =============================================================================
ng_log "scenario 3: ntpguard only on the victim side"
check "3a unload the reflector-side filter" topo_ns rtr "$NG" unload --all
check "3b ntpguard load r-ref (XDP ingress: where the replies enter the router)" \
	topo_ns rtr "$NG" load r-ref
cp "$NG_OUT" "$NG_TMP/load3.out"
check_not "3c ... no TC egress this time" grep -q 'egress' "$NG_TMP/load3.out"
snap; S0=$SNAP
V0=$(vcounts) R0=$(topo_reflector_seen) P0=$(topo_reflector_sent)
C0=$(topo_chrony_counts)
SENT=$(topo_spoof --count 5 --inter 0.05)
settle
snap; S1=$SNAP
C1=$(topo_chrony_counts)
check_eq "3d the reflector received all 5 requests" $((R0 + 5)) "$(topo_reflector_seen)"
check_eq "3e ... and sent its 500 replies" $((P0 + 500)) "$(topo_reflector_sent)"
check_eq "3f the victim received none of them" "$V0" "$(vcounts)"
check_eq "3g mode7_response_oversized (XDP ingress r-ref) counts the 500" 500 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized packets ingress)"
check_eq "3h ... 500 x 482-octet frames" 241000 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized bytes ingress)"
check_eq "3i the requests themselves were not touched" 0 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped packets all)"
check_eq "3j chronyd: every request answered meanwhile" \
	$(( $(field "$C1" 1) - $(field "$C0" 1) )) $(( $(field "$C1" 3) - $(field "$C0" 3) ))

ng_log "scenario 3, variant: on the victim's own interface"
check "3k unload the router" topo_ns rtr "$NG" unload --all
check "3l ntpguard load eth0 in the victim's namespace" topo_ns vic "$NG" load eth0
topo_snap vic "$NG_TMP/vic0.json"
V0=$(vcounts) P0=$(topo_reflector_sent)
SENT=$(topo_spoof --count 2 --inter 0.05)
settle
topo_snap vic "$NG_TMP/vic1.json"
check_eq "3m the reflector sent 200 replies" $((P0 + 200)) "$(topo_reflector_sent)"
check_eq "3n the victim's socket received none" "$V0" "$(vcounts)"
check_eq "3o mode7_response_oversized on the victim's eth0 counts the 200" 200 \
	"$(topo_delta "$NG_TMP/vic0.json" "$NG_TMP/vic1.json" eth0 mode7_response_oversized packets ingress)"
check "3p unload the victim" topo_ns vic "$NG" unload --all

# =============================================================================
ng_log "after: no filter, the amplification is back (harness: the checks above can fail)"
V0=$(vcounts)
topo_spoof --count 1 >/dev/null
settle
ng_assume_eq "9a unfiltered again: 100 packets at the victim" 100 \
	$(( $(field "$(vcounts)" 1) - $(field "$V0" 1) ))
check "9b the reflector is still running" kill -0 "$TOPO_REFLECTOR_PID"
check "9c ntpsec ntpd is still running" kill -0 "$TOPO_NTPSEC_PID"
check "9d chronyd is still running" kill -0 "$TOPO_CHRONY_PID"

ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
