#!/bin/bash
# tests/scenarios.sh - the reflection attack end to end, with real NTP
# software, in the topology of scripts/topology.sh (attacker, victim, router,
# reflector + ntpsec server, chrony client; prefix ngs<pid>-).
#
#   1  no ntpguard: one spoofed monlist request -> 100 replies at the victim;
#      amplification (victim bytes / attacker bytes) measured and asserted
#   2  reflector side (router: load --egress r-ref): the reflector never
#      receives the requests, the victim gets nothing, mode7_request_dropped
#   3  victim side only (router: load r-ref, XDP ingress; and the victim's
#      own eth0): the reflector answers, the oversized replies never reach
#      the victim's socket, mode7_response_oversized
#   4  during a bounded spoofed flood, chronyd -x loses no sample from the
#      ntpsec server behind the filter; ntpq -c rv from the allow-listed
#      client is answered, from the attacker it is rate-capped (default) or
#      dropped (mode6_request=drop)
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
ng_log "scenario 1: no ntpguard, one spoofed monlist request"
V0=$(topo_victim_counts) R0=$(topo_reflector_seen)
SENT=$(topo_spoof --count 1)
topo_wait_victim_quiet
V1=$(topo_victim_counts)
check_eq "1a the attacker sent one 8-octet request (36 octets of IP)" "1 8 36" "$SENT"
check_eq "1b the reflector received it" $((R0 + 1)) "$(topo_reflector_seen)"
VP=$(( $(field "$V1" 1) - $(field "$V0" 1) ))
VB=$(( $(field "$V1" 2) - $(field "$V0" 2) ))
VI=$(( $(field "$V1" 3) - $(field "$V0" 3) ))
check_eq "1c the victim received the 100-packet burst" 100 "$VP"
check_eq "1d ... 44000 octets of UDP payload (100 x 440)" 44000 "$VB"
BAF=$((VB / $(field "$SENT" 2))) PAF=$((VI / $(field "$SENT" 3)))
ng_log "amplification: UDP payload $VB/$(field "$SENT" 2) = ${BAF}x, IP level $VI/$(field "$SENT" 3) = ${PAF}x"
check_ge "1e amplification at the UDP payload >= 1000x (measured ${BAF}x)" 1000 "$BAF"
check_ge "1f amplification at the IP level >= 500x (measured ${PAF}x)" 500 "$PAF"

# =============================================================================
ng_log "scenario 5a: nmap ntp-monlist, no ntpguard"
run_nmap() { # run_nmap LOG : in the background + wait, so INT is handled at once
	ng_bg "$1" timeout 40 nsenter --net="$(topo_nspath att)" -- \
		nmap -n -Pn -sU -p 123 --script ntp-monlist --max-retries 0 \
		--host-timeout 30s $TOPO_REF
	wait "$NG_BG_PID"
}
run_nmap nmap1
check_grep "5a nmap lists the monitor list without ntpguard" "$NG_TMP/nmap1.log" \
	'^\| ntp-monlist:'
check_grep "5b ... hundreds of clients (the prefilled monitor list)" "$NG_TMP/nmap1.log" \
	'Private Clients \([1-9][0-9]{2}\)'
check_grep "5c ... and the scanner itself, seen sending mode 7" "$NG_TMP/nmap1.log" \
	"$TOPO_ATT \\(You\\?\\) .*mode 7"

# =============================================================================
ng_log "scenario 2: ntpguard on the reflector side (router, r-ref: TC egress + XDP)"
check "2a ntpguard load --egress r-ref" topo_ns rtr "$NG" load --egress r-ref
check_grep "2b ... XDP on r-ref" "$NG_OUT" '^r-ref: attached'
check_grep "2c ... TC egress on r-ref" "$NG_OUT" '^r-ref egress: attached'
snap; S0=$SNAP
V0=$(topo_victim_counts) R0=$(topo_reflector_seen)
SENT=$(topo_spoof --count 20 --inter 0.01)
topo_wait_victim_quiet
snap; S1=$SNAP
check_eq "2d the attacker sent 20 spoofed requests" 20 "$(field "$SENT" 1)"
check_eq "2e the reflector never received any" "$R0" "$(topo_reflector_seen)"
check_eq "2f the victim received nothing" "$V0" "$(topo_victim_counts)"
check_eq "2g mode7_request_dropped (egress r-ref) counts the 20" 20 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped packets egress)"
check_eq "2h ... 20 x 50-octet frames" 1000 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped bytes egress)"
check_eq "2i no oversized reply came back (nothing to answer)" 0 \
	"$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized packets all)"

ng_log "scenario 5b: nmap ntp-monlist with ntpguard"
run_nmap nmap2
check_grep "5d nmap still sees 123/udp open (its mode 3 probe passes)" \
	"$NG_TMP/nmap2.log" '^123/udp +open'
check_not "5e nmap reports no monlist with ntpguard" \
	grep -q '^| ntp-monlist' "$NG_TMP/nmap2.log"

# =============================================================================
ng_log "scenario 4: time sync and ntpq during a bounded flood (reflector side on)"
check "4a allow-list the client 192.0.2.130 (a management host)" \
	topo_ns rtr "$NG" allow add $TOPO_CLI
snap; S0=$SNAP
C0=$(topo_chrony_counts) V0=$(topo_victim_counts) R0=$(topo_reflector_seen)
ML0=$(wc -l <"$TOPO_DIR/chrony/measurements.log")
FLOOD_RATE=2000 FLOOD_S=4
ng_bg flood nsenter --net="$(topo_nspath att)" -- "$TOPO_PY" "$TOPO_TRAFFIC" spoof \
	--src $TOPO_VIC --sport $TOPO_VPORT --dst $TOPO_REF --rate $FLOOD_RATE --duration $FLOOD_S
FLOOD_PID=$NG_BG_PID
sleep 1
ntpq_rv cli >"$NG_TMP/ntpq_cli.out" 2>&1
ntpq_rv att >"$NG_TMP/ntpq_att.out" 2>&1
topo_ns cli ntpdig -t 2 $TOPO_NTP >"$NG_TMP/ntpdig.out" 2>&1
NTPDIG_RC=$?
wait "$FLOOD_PID"
sleep 0.5
C1=$(topo_chrony_counts)
snap; S1=$SNAP
FLOOD=$(tail -n 1 "$NG_TMP/flood.log")
ng_log "flood: $FLOOD (packets payload ip) in ${FLOOD_S} s; chrony before: $C0, after: $C1"
check_ge "4b the flood sent >= 80% of $((FLOOD_RATE * FLOOD_S)) requests" \
	$((FLOOD_RATE * FLOOD_S * 8 / 10)) "$(field "$FLOOD" 1)"
check_eq "4c every flood request dropped (mode7_request_dropped, egress)" \
	"$(field "$FLOOD" 1)" "$(topo_delta "$S0" "$S1" r-ref mode7_request_dropped packets egress)"
check_eq "4d the reflector received none of the flood" "$R0" "$(topo_reflector_seen)"
check_eq "4e the victim received nothing" "$V0" "$(topo_victim_counts)"
TX=$(( $(field "$C1" 1) - $(field "$C0" 1) ))
RX=$(( $(field "$C1" 2) - $(field "$C0" 2) ))
VALID=$(( $(field "$C1" 3) - $(field "$C0" 3) ))
check_ge "4f chronyd kept polling during the flood (>= 12 requests in ~5 s)" 12 "$TX"
check_eq "4g chronyd got a reply to every request (RX = TX)" "$TX" "$RX"
check_eq "4h ... every reply valid (no lost samples)" "$TX" "$VALID"
# (read a few ms apart from ntpdata at 4 polls/s: one poll of slack)
ML=$(( $(wc -l <"$TOPO_DIR/chrony/measurements.log") - ML0 ))
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

# A burst beyond the budget (default: 5/s per source, burst 20).
snap; S0=$SNAP
M6=$(topo_ns att "$NG_PY" "$TOPO_TRAFFIC" mode6 --dst $TOPO_NTP --count 60 --wait 1)
snap; S1=$SNAP
ANS=${M6##* answered }
CAPPED=$(topo_delta "$S0" "$S1" r-ref mode6_request_ratecapped packets egress)
PASSED=$(topo_delta "$S0" "$S1" r-ref mode6_request_passed packets egress)
ng_log "mode 6 burst from the attacker: $M6; passed $PASSED, ratecapped $CAPPED"
check_ge "4p a 60-request mode 6 burst from the attacker is rate-capped (>= 30)" 30 "$CAPPED"
check_eq "4q ... passed + ratecapped = 60" 60 $((PASSED + CAPPED))
check_eq "4r ... the attacker got answers only for what passed" "$PASSED" "$ANS"
check_ge "4s ... at most the burst of 20 (+ refill) passed" "$PASSED" 25

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
V0=$(topo_victim_counts) R0=$(topo_reflector_seen) P0=$(topo_reflector_sent)
C0=$(topo_chrony_counts)
SENT=$(topo_spoof --count 5 --inter 0.05)
sleep 0.3
topo_wait_victim_quiet
snap; S1=$SNAP
C1=$(topo_chrony_counts)
check_eq "3d the reflector received all 5 requests" $((R0 + 5)) "$(topo_reflector_seen)"
check_eq "3e ... and sent its 500 replies" $((P0 + 500)) "$(topo_reflector_sent)"
check_eq "3f the victim received none of them" "$V0" "$(topo_victim_counts)"
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
V0=$(topo_victim_counts) P0=$(topo_reflector_sent)
SENT=$(topo_spoof --count 2 --inter 0.05)
sleep 0.3
topo_wait_victim_quiet
topo_snap vic "$NG_TMP/vic1.json"
check_eq "3m the reflector sent 200 replies" $((P0 + 200)) "$(topo_reflector_sent)"
check_eq "3n the victim's socket received none" "$V0" "$(topo_victim_counts)"
check_eq "3o mode7_response_oversized on the victim's eth0 counts the 200" 200 \
	"$(topo_delta "$NG_TMP/vic0.json" "$NG_TMP/vic1.json" eth0 mode7_response_oversized packets ingress)"
check "3p unload the victim" topo_ns vic "$NG" unload --all

# =============================================================================
ng_log "after: no filter, the amplification is back (the checks above can fail)"
V0=$(topo_victim_counts)
topo_spoof --count 1 >/dev/null
topo_wait_victim_quiet
check_eq "9a unfiltered again: 100 packets at the victim" 100 \
	$(( $(field "$(topo_victim_counts)" 1) - $(field "$V0" 1) ))
check "9b the reflector is still running" kill -0 "$TOPO_REFLECTOR_PID"
check "9c ntpsec ntpd is still running" kill -0 "$TOPO_NTPSEC_PID"
check "9d chronyd is still running" kill -0 "$TOPO_CHRONY_PID"

ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
