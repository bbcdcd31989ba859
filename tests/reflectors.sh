#!/bin/bash
# tests/reflectors.sh - the abuse desk's path, in the reflection topology
# (scripts/topology.sh, prefix ngr<pid>-): ntpguard on the router, victim
# side (XDP ingress on the ports facing the servers), two reflectors and one
# legitimate server behind it:
#
#   192.0.2.123  behind r-ref: tests/ntpresponder, 600 clients (monlist on)
#   192.0.2.124  behind r-ref: ntpsec's ntpd (no mode 7 at all)
#   192.0.2.131  behind r-cli: a second ntpresponder, 120 clients
#
# Spoofed monlist requests go to all three. Checked:
#   1  `reflectors` lists exactly the two reflecting addresses, with their
#      interface, packets and bytes equal to the router's drop counters and
#      to what the responders logged as sent, victims, first/last seen within
#      the times the test took, the veth's other end and namespace; ntpsec's
#      address is absent; --since; JSON
#   2  `check --from-reflectors` on the router confirms both as vulnerable
#      with full figures (every monlist reply the responder logged for
#      check's request arrives: ntpguard lets check's own flows through),
#      probes nothing else, and leaves no flow open afterwards (also after
#      SIGINT); with the probe table gone it says the figures are incomplete;
#      unprivileged, that it cannot tell
#   3  `reflectors --notice`: one notice per confirmed server, with the
#      measured amplification and audit's fix lines; a template override;
#      JSON; a server that stopped answering gets none
#   4  monitor mode: replies pass (the victim gets them) and are recorded;
#      reflectors=off records nothing
#   5  Prometheus: ntpguard_reflectors per interface; promtool accepts it
#   6  table overflow (load --max-reflectors 16, 24 forged sources): the
#      records are bounded, every insertion counted, "overflowed" said
#   7  a VM's tap: a process holds a tap (as qemu does) and writes monlist
#      replies into it; the record names the tap and the process holding
#      it, and with a libvirt runtime file for it, the domain
#
# Expectations come from the test's own sent counts and the responders'
# logs, never from timing. Prints "N passed, N failed".
set -u
NG_TAG=ngr
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/topology.sh
. "$NG_ROOT/scripts/topology.sh"

ng_require_root
ng_require_bin ip nsenter capsh bpftool setpriv "$NG_PY" "$NTPGUARD" "$TOPO_RESPONDER" \
	"$NG_SYSROOT/usr/sbin/ntpd" "$NG_SYSROOT/usr/bin/ntpq" "$NG_SYSROOT/usr/bin/promtool"
"$NG_PY" -c 'import scapy.layers.inet' 2>/dev/null ||
	ng_die "/usr/bin/python3 cannot import scapy (run scripts/deps.sh)"

NG=$NTPGUARD
ng_setup_bpffs
# shellcheck disable=SC2154 # ng_rc is assigned inside the trap string
trap 'ng_rc=$?; topo_destroy; (exit $ng_rc); ng_cleanup' EXIT
topo_init "ngr$$" "$NG_TMP/topo"
ng_log "topology (prefix ngr$$-)"
topo_create || ng_die "topology creation failed"

REF_A=$TOPO_REF            # 192.0.2.123 behind r-ref
REF_B=192.0.2.131          # behind r-cli
LEGIT=$TOPO_NTP            # 192.0.2.124, ntpsec
VIC2=198.51.100.8 VIC3=198.51.100.9
FRAME=482                  # a 440-octet monlist reply: 14 + 20 + 8 + 440

ip -n "$TOPO_PFX-cli" addr add $REF_B/25 dev eth0 || ng_die "address $REF_B"
ip -n "$TOPO_PFX-rtr" neigh replace $REF_B lladdr "$(topo_mac 4 1)" dev r-cli nud permanent ||
	ng_die "neighbour $REF_B"

topo_start_reflector 600
LOG_A=$TOPO_DIR/responder.log
LOG_B=$TOPO_DIR/responder-b.log
: >"$LOG_B"
topo_bg cli "$TOPO_DIR/responder-b.out" capsh --drop=cap_sys_time -- -c \
	"exec '$TOPO_RESPONDER' -4 --bind $REF_B --prefill 120 --max-packets 20000 --duration 600 --log '$LOG_B' --quiet"
PID_B=$TOPO_LAST_PID
topo_start_sink || ng_die "victim sink did not start: $(cat "$TOPO_DIR/sink.out")"
topo_start_ntpsec || ng_die "ntpsec ntpd did not serve: $(tail -n 5 "$TOPO_DIR/ntpsec/ntpd.log")"

rtr() { topo_ns rtr "$@"; }
spoof() { # spoof SRC DST COUNT: monlist requests forged from SRC:40123
	topo_ns att "$TOPO_PY" "$TOPO_TRAFFIC" spoof --src "$1" --sport $TOPO_VPORT --dst "$2" \
		--count "$3" --inter 0.01
}
# reply packets / bytes a responder logged for requests from a source prefix
sent() { # sent LOG FROM_REGEX packets|bytes
	awk -v re="^$2:" -v f="$3" '$1 == "req" && $3 ~ re && $5 == 7 {
		for (i = 1; i < NF; i++) if ($i == "->") { p += $(i + 1); b += $(i + 3) } }
		END { print (f == "packets" ? p : b) + 0 }' "$1"
}
snapn=0
snap() { snapn=$((snapn + 1)); SNAP=$NG_TMP/stats$snapn.json; topo_snap rtr "$SNAP"; }
counter() { topo_stat "$SNAP" "$1" "$2" "${3:-packets}" ingress; }
reached() { # reached IFACE REASON N: the router's counter is at least N
	local f=$NG_TMP/wait.json
	topo_snap rtr "$f"
	[ "$(topo_stat "$f" "$1" "$2" packets ingress)" -ge "$3" ]
}
refl_json() { rtr "$NG" reflectors --json "$@" >"$NG_TMP/refl.json" 2>"$NG_ERR"; }
jq_refl() { ng_json "$1" <"$NG_TMP/refl.json"; }
entry() { # entry ADDR FIELD: a field of ADDR's record in refl.json ("" if none)
	jq_refl "([e['$2'] for e in d['reflectors'] if e['address'] == '$1'] + [''])[0]"
}

# =============================================================================
ng_log "setup: ntpguard on the router, victim side (XDP on r-ref and r-cli)"
check "0a ntpguard load r-ref r-cli" rtr "$NG" load r-ref r-cli
check "0b status: recording reflectors is on by default" \
	sh -c "'$NG' status --json | grep -q '\"reflectors\": \"on\"'"
snap; S0=$SNAP

# =============================================================================
ng_log "1: spoofed monlist towards both reflectors and the legitimate server"
T_BEFORE=$(date +%s.%N)
spoof $TOPO_VIC $REF_A 2 >/dev/null
spoof $VIC2 $REF_A 1 >/dev/null
spoof $VIC3 $REF_A 1 >/dev/null
spoof $TOPO_VIC $REF_B 2 >/dev/null
spoof $TOPO_VIC $LEGIT 2 >/dev/null
A_PKTS=$(sent "$LOG_A" '198\.51\.100\.[0-9]+' packets)
B_PKTS=$(sent "$LOG_B" '198\.51\.100\.[0-9]+' packets)
A_BYTES=$(( $(sent "$LOG_A" '198\.51\.100\.[0-9]+' bytes) + A_PKTS * 42 ))
B_BYTES=$(( $(sent "$LOG_B" '198\.51\.100\.[0-9]+' bytes) + B_PKTS * 42 ))
check_eq "1a reflector A answered the 4 requests with 100 packets each" 400 "$A_PKTS"
check_ge "1b reflector B answered its 2 requests (>= 20 packets each)" 40 "$B_PKTS"
ng_wait_for 10 reached r-ref mode7_response_oversized $((A_PKTS + $(counter r-ref mode7_response_oversized))) ||
	true
ng_wait_for 10 reached r-cli mode7_response_oversized $((B_PKTS + $(counter r-cli mode7_response_oversized))) ||
	true
T_AFTER=$(date +%s.%N)
snap; S1=$SNAP
DA=$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized packets ingress)
DAB=$(topo_delta "$S0" "$S1" r-ref mode7_response_oversized bytes ingress)
DB=$(topo_delta "$S0" "$S1" r-cli mode7_response_oversized packets ingress)
DBB=$(topo_delta "$S0" "$S1" r-cli mode7_response_oversized bytes ingress)
check_eq "1c the router dropped all of A's replies on r-ref" "$A_PKTS" "$DA"
check_eq "1d ... all of B's on r-cli" "$B_PKTS" "$DB"
check_eq "1e the victim received none" "0 0 0" "$(topo_victim_counts)"

check "1f ntpguard reflectors --json" refl_json
check_eq "1g exactly the two reflecting servers are listed" "$REF_A $REF_B" \
	"$(jq_refl "' '.join(sorted(e['address'] for e in d['reflectors']))")"
check_eq "1h ... sorted by bytes: A first" "$REF_A" "$(jq_refl "d['reflectors'][0]['address']")"
check_eq "1i the legitimate server (ntpsec) is absent" "" "$(entry $LEGIT address)"
check_eq "1j A: interface r-ref, ingress" "r-ref ingress" \
	"$(entry $REF_A interface) $(entry $REF_A direction)"
check_eq "1k B: interface r-cli" "r-cli" "$(entry $REF_B interface)"
check_eq "1l A: packets = r-ref's drop counter = what A sent" "$DA" "$(entry $REF_A packets)"
check_eq "1m A: bytes = r-ref's drop counter" "$DAB" "$(entry $REF_A bytes)"
check_eq "1n A: bytes = A's UDP payload + 42 octets of headers per frame" "$A_BYTES" \
	"$(entry $REF_A bytes)"
check_eq "1o B: packets = r-cli's drop counter" "$DB" "$(entry $REF_B packets)"
check_eq "1p B: bytes = r-cli's drop counter = what B sent" "$DBB $B_BYTES" \
	"$(entry $REF_B bytes) $B_BYTES"
check_eq "1q A answered 3 victims (198.51.100.7, .8, .9)" 3 "$(entry $REF_A victims)"
check_eq "1r B answered 1 victim" 1 "$(entry $REF_B victims)"
check "1s A's first and last seen lie within the test's own times" "$NG_PY" -c "
import json, sys
d = json.load(open('$NG_TMP/refl.json'))
e = [e for e in d['reflectors'] if e['address'] == '$REF_A'][0]
lo, hi = $T_BEFORE - 0.05, $T_AFTER + 0.05   # a coarse-clock jiffy and the conversion
ok = lo <= e['first_seen_unix'] <= e['last_seen_unix'] <= hi
print(e['first_seen_unix'], e['last_seen_unix'], lo, hi); sys.exit(0 if ok else 1)"
check_eq "1t behind r-ref: the veth's other end and its namespace" "veth eth0 $TOPO_PFX-ref" \
	"$(jq_refl "[' '.join((e['behind']['kind'], e['behind']['peer'], e['behind']['peer_netns'])) for e in d['reflectors'] if e['address'] == '$REF_A'][0]")"
check "1u text output" rtr "$NG" reflectors
cp "$NG_OUT" "$NG_TMP/reflectors.txt"
check_grep "1v ... A's row: address, interface, packets, bytes, victims" "$NG_OUT" \
	"^$REF_A +r-ref +ingress +$DA +$DAB +3 "
check_grep "1w ... where to find it" "$NG_OUT" "veth peer eth0 in netns $TOPO_PFX-ref"
check_grep "1x ... B's row" "$NG_OUT" "^$REF_B +r-cli +ingress +$DB +$DBB +1 "

# --since: B is sent to again after a pause the test measures itself
T_A_END=$(date +%s.%N)
sleep 2.2
T_B=$(date +%s.%N)
spoof $TOPO_VIC $REF_B 1 >/dev/null
B_PKTS2=$(sent "$LOG_B" '198\.51\.100\.[0-9]+' packets)
ng_wait_for 10 reached r-cli mode7_response_oversized $((B_PKTS2 + $(counter r-cli mode7_response_oversized) - B_PKTS)) ||
	true
T_Q=$(date +%s.%N)
SINCE=$("$NG_PY" -c "print('%.1f' % ($T_Q - $T_B + 1.0))")
if "$NG_PY" -c "import sys; sys.exit(0 if $SINCE < $T_Q - $T_A_END - 0.1 else 1)"; then
	check "1y reflectors --since ${SINCE}s" refl_json --since "$SINCE"
	check_eq "1z ... lists only B, sent to within that time" "$REF_B" \
		"$(jq_refl "' '.join(e['address'] for e in d['reflectors'])")"
	check_eq "1z2 ... and counts A as older" 1 "$(jq_refl "d['not_shown']['older']")"
else
	skip "1y --since" "the machine stalled: ${SINCE}s would include A's last packet"
fi
check_rc "1z3 --since with a bad duration: exit 2" 2 rtr "$NG" reflectors --since 5x
check_grep "1z4 ... says which" "$NG_ERR" "^ntpguard: --since: '5x' is not a duration"

# =============================================================================
ng_log "2: check --from-reflectors on the router itself"
snap; S2=$SNAP
LA0=$(grep -c "^req from 192\.0\.2\.1:" "$LOG_A")
check_rc "2a check --from-reflectors --json: exit 3 (vulnerable)" 3 \
	rtr "$NG" check --from-reflectors --json --timeout 1
cp "$NG_OUT" "$NG_TMP/check.json"
cj() { ng_json "$1" <"$NG_TMP/check.json"; }
check_eq "2b it probed exactly the two reflectors" "$REF_A $REF_B" \
	"$(cj "' '.join(sorted(h['address'] for h in d['hosts']))")"
check_eq "2c both vulnerable" "vulnerable vulnerable" \
	"$(cj "' '.join(h['verdict'] for h in d['hosts'])")"
# the responder's own log of check's monlist request is the oracle
MON_A=$(awk '$1 == "req" && $3 ~ /^192\.0\.2\.1:/ && $7 == 42 && $9 == 3 {
	for (i = 1; i < NF; i++) if ($i == "->") print $(i + 1) " " $(i + 3) }' "$LOG_A" | tail -n 1)
MON_B=$(awk '$1 == "req" && $3 ~ /^192\.0\.2\.129:/ && $7 == 42 && $9 == 3 {
	for (i = 1; i < NF; i++) if ($i == "->") print $(i + 1) " " $(i + 3) }' "$LOG_B" | tail -n 1)
hostf() { cj "[h['probes']['monlist']['$2'] for h in d['hosts'] if h['address'] == '$1'][0]"; }
check_eq "2d A: check got every monlist reply A sent it (full figures)" "$MON_A" \
	"$(hostf $REF_A packets) $(hostf $REF_A bytes)"
check_eq "2e B: the same" "$MON_B" "$(hostf $REF_B packets) $(hostf $REF_B bytes)"
check_eq "2f ... 100 packets from A, as without ntpguard" 100 "$(hostf $REF_A packets)"
check_eq "2g check says the local ntpguard let its 2 flows through" "exempted 2 true" \
	"$(cj "d['local_ntpguard']['state']") $(cj "d['local_ntpguard']['flows']") $(cj "d['local_ntpguard']['complete']")"
snap; S3=$SNAP
check_ge "2h the router counted check's replies as passed, not dropped" 100 \
	"$(topo_delta "$S2" "$S3" r-ref mode7_response_passed packets ingress)"
check_eq "2i ... and dropped none of them" 0 \
	"$(topo_delta "$S2" "$S3" r-ref mode7_response_oversized packets ingress)"
probes_left() { bpftool -j map dump pinned "$NG_PIN_DIR/ng_probes" |
	"$NG_PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
used_bits() { bpftool -j map dump pinned "$NG_PIN_DIR/ng_allow_used" | "$NG_PY" -c '
import json, sys
print(" ".join(str(int.from_bytes(bytes(int(x, 16) for x in e["value"]), "little"))
               for e in json.load(sys.stdin)))'; }
check_eq "2j no probe flow is left open" 0 "$(probes_left)"
check_eq "2k the data plane's probe bits are down again" "0 0" "$(used_bits)"
check_rc "2l text report" 3 rtr "$NG" check --from-reflectors --timeout 1
cp "$NG_OUT" "$NG_TMP/check.txt"
check_grep "2m ... says the flows were let through" "$NG_OUT" \
	"^local ntpguard: let this check's 2 flows through"

# SIGINT in the middle of a run: the flows go at once
nsenter --net="/run/netns/$TOPO_PFX-rtr" -- "$NG" check --timeout 20 --rate 0.2 $REF_A $REF_B \
	>"$NG_TMP/int.out" 2>&1 &
CHK=$!
NG_PIDS+=("$CHK")
flows_open() { [ "$(probes_left)" -ge 1 ]; }
if ng_wait_for 10 flows_open; then
	check_eq "2n during the run a probe bit is up" 1 "$(used_bits | cut -d' ' -f1 | awk '{print int($1/2)%2}')"
	kill -INT $CHK
	wait $CHK
	check_eq "2o after SIGINT: no flow left" 0 "$(probes_left)"
	check_eq "2p ... and the bits are down" "0 0" "$(used_bits)"
else
	ng_fail "2n check opened no probe flow within 10 s" "$(cat "$NG_TMP/int.out")"
fi

# without root: the pins cannot be read, and check says so
check_rc "2q unprivileged check: exit 3" 3 rtr setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$NG" check --timeout 1 $REF_A
check_grep "2r ... notes that it cannot tell what the local ntpguard drops" "$NG_OUT" \
	"^note: ntpguard's state on this host is not readable"
check_eq "2s ... and indeed lost A's monlist replies (0 of 100 arrived)" 0 \
	"$(awk '/^  monlist \(code 42, impl 3\)/ {print $7}' "$NG_OUT")"

# =============================================================================
ng_log "3: reflectors --notice"
refl_json || ng_fatal "reflectors --json failed"
check "3a reflectors --notice" rtr "$NG" reflectors --notice --timeout 1
cp "$NG_OUT" "$NG_TMP/notice.txt"
check_eq "3b two notices" 2 "$(grep -c '^Subject: ' "$NG_TMP/notice.txt")"
check_grep "3c A's subject" "$NG_TMP/notice.txt" \
	"^Subject: NTP reflection attack \\(CVE-2013-5211\\) from your server $REF_A\$"
check_grep "3d the measured amplification (100 packets, 44000 bytes)" "$NG_TMP/notice.txt" \
	"returned 100 packets, 44000 bytes"
check_grep "3e ... 916.7 times the request" "$NG_TMP/notice.txt" "\\(916\\.7 times the request\\)"
check_grep "3f what was dropped, from the record" "$NG_TMP/notice.txt" \
	"replies: +$(entry $REF_A packets) packets, $(entry $REF_A bytes) bytes"
check_grep "3g audit's fix line for ntpd" "$NG_TMP/notice.txt" \
	"^ +restrict -4 default kod notrap nomodify nopeer noquery\$"
check_grep "3h ... and for IPv6" "$NG_TMP/notice.txt" \
	"^ +restrict -6 default kod notrap nomodify nopeer noquery\$"
check_grep "3i the CVE" "$NG_TMP/notice.txt" "CVE-2013-5211"
check_grep "3j ntpsec and chrony" "$NG_TMP/notice.txt" "ntpsec and chrony do not answer monlist"
cat >"$NG_TMP/tmpl.txt" <<-'EOF'
	# a provider's own text
	Subject: [abuse] {{address}}
	{{address}} {{packets}} {{check_packets}}
	{{^version}}version unknown{{/version}}
EOF
check "3k --template FILE" rtr "$NG" reflectors --notice --template "$NG_TMP/tmpl.txt" --timeout 1
check_grep "3l ... is used" "$NG_OUT" "^Subject: \\[abuse\\] $REF_A\$"
check_grep "3m ... values filled in" "$NG_OUT" "^$REF_A $(entry $REF_A packets) 100\$"
check_grep "3n ... inverted section" "$NG_OUT" "^version unknown\$"
check_rc "3o --template missing: exit 1" 1 rtr "$NG" reflectors --notice --template /nonexistent
check_grep "3p ... says so" "$NG_ERR" "^ntpguard: cannot read the notice template /nonexistent"
check "3q --notice --json" rtr "$NG" reflectors --notice --json --timeout 1
check_eq "3r ... two notices with subjects" "2 $REF_A" \
	"$(ng_json "str(len(d['notices'])) + ' ' + d['notices'][0]['address']" <"$NG_OUT")"
kill "$PID_B"
wait "$PID_B" 2>/dev/null
check "3s B stopped answering: reflectors --notice" rtr "$NG" reflectors --notice --timeout 1
check_eq "3t ... one notice, for A" "1" "$(grep -c '^Subject: ' "$NG_OUT")"
check_grep "3u ... B: no notice, not confirmed" "$NG_ERR" \
	"^ntpguard: $REF_B: no notice: not confirmed \\(check: not-answering\\)"

# =============================================================================
ng_log "2 (cont.): the probe table gone: check says the figures are incomplete"
bpftool map show pinned "$NG_PIN_DIR/ng_probes" >/dev/null 2>&1 && rm -f "$NG_PIN_DIR/ng_probes"
check_rc "2t check without the probe table: exit 3" 3 rtr "$NG" check --timeout 1 $REF_A
check_grep "2u ... FIGURES INCOMPLETE, with what ntpguard dropped" "$NG_OUT" \
	"^WARNING: FIGURES INCOMPLETE: the local ntpguard dropped [1-9][0-9]* mode 6/7 packets"
check_eq "2v ... which were indeed lost (0 monlist replies arrived)" 0 \
	"$(awk '/^  monlist \(code 42, impl 3\)/ {print $7}' "$NG_OUT")"

# =============================================================================
ng_log "4: monitor mode and reflectors=off"
check "4a set monitor=on" rtr "$NG" set monitor=on
refl_json || ng_fatal "reflectors --json failed"
P0=$(entry $REF_A packets)
V0=$(topo_victim_counts | cut -d' ' -f1)
A0=$(sent "$LOG_A" '198\.51\.100\.[0-9]+' packets)
spoof $TOPO_VIC $REF_A 1 >/dev/null
A1=$(sent "$LOG_A" '198\.51\.100\.[0-9]+' packets)
ng_wait_for 10 sh -c "[ \$(cut -d' ' -f1 '$TOPO_DIR/victim.count') -ge $((V0 + A1 - A0)) ]" || true
check_eq "4b monitor: the victim received A's replies" $((A1 - A0)) \
	$(( $(topo_victim_counts | cut -d' ' -f1) - V0 ))
check "4c reflectors --json" refl_json
check_eq "4d ... recorded them as would-drops" $((P0 + A1 - A0)) "$(entry $REF_A packets)"
check_eq "4e ... and says monitor mode" true "$(jq_refl "d['monitor']")"
check "4f set monitor=off reflectors=off" rtr "$NG" set monitor=off reflectors=off
spoof $TOPO_VIC $REF_A 1 >/dev/null
A2=$(sent "$LOG_A" '198\.51\.100\.[0-9]+' packets)
snap
ng_wait_for 10 reached r-ref mode7_response_oversized $(( $(counter r-ref mode7_response_oversized) + A2 - A1 )) ||
	true
check "4g reflectors --json" refl_json
check_eq "4h reflectors=off: nothing more recorded" $((P0 + A1 - A0)) "$(entry $REF_A packets)"
check_eq "4i ... and the listing says so" false "$(jq_refl "d['recording']")"
check "4j set reflectors=on" rtr "$NG" set reflectors=on

# =============================================================================
ng_log "5: Prometheus"
check "5a stats --prom" rtr "$NG" stats --prom
cp "$NG_OUT" "$NG_TMP/prom.txt"
check_grep "5b ntpguard_reflectors on r-ref: A (within the 60 s window)" "$NG_TMP/prom.txt" \
	'^ntpguard_reflectors\{interface="r-ref",direction="ingress"\} 1$'
check_grep "5c ... on r-cli: B" "$NG_TMP/prom.txt" \
	'^ntpguard_reflectors\{interface="r-cli",direction="ingress"\} 1$'
check_grep "5d no address label anywhere" "$NG_TMP/prom.txt" '^ntpguard_reflector_table_entries 2$'
check_not "5e ... (no 192.0.2. in any series)" grep -q '192\.0\.2\.' "$NG_TMP/prom.txt"
check "5f promtool check metrics" sh -c "'$NG_SYSROOT/usr/bin/promtool' check metrics <'$NG_TMP/prom.txt'"
check "5g the alert rules and their test" sh -c "cd '$NG_ROOT/scripts' &&
	'$NG_SYSROOT/usr/bin/promtool' test rules ntpguard-alerts.test.yml"

# =============================================================================
ng_log "6: table overflow"
check "6a unload --all" rtr "$NG" unload --all
check "6b load --max-reflectors 16 r-ref" rtr "$NG" load --max-reflectors 16 r-ref
SRCS=$(seq -s, -f '192.0.2.%g' 2 25)
OUT=$(topo_ns ref "$TOPO_PY" "$TOPO_TRAFFIC" replies --srcs "$SRCS" --dst $TOPO_VIC)
check_eq "6c 24 forged oversized replies from 24 sources sent" "24" "${OUT%% *}"
ng_wait_for 10 reached r-ref mode7_response_oversized 24 || true
check "6d reflectors --json" refl_json
check_eq "6e every insertion counted" 24 "$(jq_refl "d['table']['inserted']")"
check_eq "6f ... overflowed" true "$(jq_refl "d['table']['overflowed']")"
check "6g ... at most 16 records kept" "$NG_PY" -c \
	"import json,sys; n=len(json.load(open('$NG_TMP/refl.json'))['reflectors']); print(n); sys.exit(0 if 0 < n <= 16 else 1)"
check "6h text" rtr "$NG" reflectors
check_grep "6i ... says the table overflowed" "$NG_OUT" "table overflowed: yes \\(24 records inserted\\)"
check_rc "6j load --max-reflectors 32 while loaded: refused" 1 rtr "$NG" load --max-reflectors 32 r-cli
check_grep "6k ... says why" "$NG_ERR" "^ntpguard: the reflector table already holds up to 16 records"

# =============================================================================
ng_log "7: a VM's tap"
TAP=ngrtap$$
TAP=${TAP:0:15}
cat >"$NG_TMP/tapvm.py" <<-'PY'
	# A stand-in for qemu: holds a tap and, when told, "sends" N monlist
	# replies from the guest (writes them into the tap: the host receives them).
	import fcntl, os, struct, sys, time
	name, n, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	fd = os.open("/dev/net/tun", os.O_RDWR)
	fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x0002 | 0x1000))
	def frame():
	    ntp = bytes([0x97, 0, 3, 42, 0, 6, 0, 72]) + bytes(432)
	    udp = struct.pack("!HHHH", 123, 40123, 8 + len(ntp), 0) + ntp
	    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
	                     bytes([192, 0, 2, 200]), bytes([198, 51, 100, 7])) + udp
	    return bytes.fromhex("026e67000202" "026e67000201" "0800") + ip
	open(go + ".ready", "w").close()
	while not os.path.exists(go):
	    time.sleep(0.05)
	for _ in range(n):
	    os.write(fd, frame())
	open(go + ".done", "w").close()
	time.sleep(300)
PY
rm -f "$NG_TMP/go"*
topo_bg rtr "$NG_TMP/tapvm.out" "$TOPO_PY" "$NG_TMP/tapvm.py" "$TAP" 5 "$NG_TMP/go"
TAPPID=$TOPO_LAST_PID
ng_wait_for 10 test -e "$NG_TMP/go.ready" || ng_fatal "the tap holder did not start: $(cat "$NG_TMP/tapvm.out")"
rtr ip link set "$TAP" up
check "7a ntpguard load on the tap" rtr "$NG" load "$TAP"
touch "$NG_TMP/go"
ng_wait_for 10 test -e "$NG_TMP/go.done" || true
ng_wait_for 10 reached "$TAP" mode7_response_oversized 5 || true
check "7b reflectors --json" refl_json
check_eq "7c the guest's address on the tap, its 5 replies" "$TAP 5" \
	"$(entry 192.0.2.200 interface) $(entry 192.0.2.200 packets)"
check_eq "7d behind it: a tap held by the stand-in's process" "tap pid $TAPPID python3" \
	"$(jq_refl "[e['behind']['kind'] + ' ' + ' '.join(e['behind']['tap_holder'].split()[:3]) for e in d['reflectors'] if e['address'] == '192.0.2.200'][0]")"
mkdir -p "$NG_TMP/libvirt/qemu"
cat >"$NG_TMP/libvirt/qemu/cust42.xml" <<-EOF
	<domstatus state='running' reason='booted' pid='$TAPPID'>
	  <domain type='kvm' id='7'>
	    <name>cust42</name>
	    <devices>
	      <interface type='bridge'>
	        <source bridge='br0'/>
	        <target dev='$TAP'/>
	      </interface>
	    </devices>
	  </domain>
	</domstatus>
EOF
check "7e with libvirt's runtime state for it" rtr env NTPGUARD_LIBVIRT_RUN="$NG_TMP/libvirt" \
	"$NG" reflectors
check_grep "7f ... the row names the libvirt domain" "$NG_OUT" \
	"^192\\.0\\.2\\.200 +$TAP +ingress +5 .*libvirt domain cust42\$"

ng_summary
