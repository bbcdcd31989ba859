#!/bin/bash
# tests/upgrade.sh - replacing the program by another build without a gap,
# and the layout version of the pins, in network namespaces with a private
# bpffs.
#
# Two builds: build/ntpguard and build/next/ntpguard (the same sources, a
# BPF object with another version string: another program build). While a
# client sends a steady monlist flood and a mode 3 stream (ngflow, 1,000/s
# each) to a server socket behind ngu0, one build's `apply` replaces the
# other's programs (XDP ingress and TC egress): the socket must count zero
# monlist requests and every mode 3 request, and the counters must carry
# over (ntpguard's mode7_request_dropped = monlist requests sent). The same
# harness with a detach and attach instead lets monlist requests through:
# it can fail. Then pins of layout 1 (made from layout 2 by removing
# ng_meta and ng_allow_used and clearing the records' builds: what an
# ntpguard before layout versions left), of a newer layout, and of an
# incompatible shape.
#
# Where libxdp's dispatcher works (Debian's 6.1 and 6.12 in the kernel
# matrix, tests/kernel-matrix.sh) the XDP program is replaced through it;
# elsewhere (this host's kernel refuses freplace) by the kernel's replace.
#
# Topology (prefix ngt<pid>-): cli 192.0.2.2, 198.51.100.7 --- srv 192.0.2.1 (ngu0)
#
#   tests/upgrade.sh     prints "N passed, N failed"
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ng_require_root
V1=$NTPGUARD
V2=$NG_ROOT/build/next/ntpguard
FLOW=$NG_ROOT/build/tests/ngflow
ng_require_bin ip nsenter bpftool tc "$NG_PY" "$V1" "$V2" "$FLOW"
# Under qemu TCG (the kernel matrix) the VM is some ten times slower.
RATE=1000
[ "${NG_VM:-0}" = 1 ] && RATE=300

ng_setup_bpffs
P=$NG_PIN_DIR
ng_ns_add srv
ng_ns_add cli
ng_veth srv ngu0 cli ngu1
ns srv ip addr add 192.0.2.1/24 dev ngu0
ns cli ip addr add 192.0.2.2/24 dev ngu1
ns cli ip addr add 198.51.100.7/24 dev ngu1
ns cli ip route add 192.0.2.1/32 dev ngu1 src 192.0.2.2

v1() { ns srv "$V1" "$@"; }
v2() { ns srv "$V2" "$@"; }
js() { v1 status --json | ng_json "$1"; }

cat >"$NG_TMP/ng.conf" <<'EOF'
[interface ngu0]
direction = both
[policy]
mode6_request = drop
track = on
[allow]
198.51.100.0/24
2001:db8:100::/48
EOF

# stats of ngu0 ingress, REASON packets
dropped7() { v1 stats --json | ng_json "d['interfaces']['ngu0']['reasons']['mode7_request_dropped']['packets']"; }
passed() { v1 stats --json | ng_json "d['interfaces']['ngu0']['reasons']['ntp_passed']['packets']"; }

# grown BY : the mode 3 stream has passed ngu0's program BY more times
# since mark_passed (bounded): the traffic flows.
mark_passed() { P_MARK=$(passed); }
grown() { local v; v=$(passed); [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge $((P_MARK + $1)) ]; }

# during NAME CMD... : run CMD while the flood and the stream flow (a second
# of them seen passing ngu0 before CMD, and again after it); leaves
# "sent3 sent7 failed" in $NG_TMP/NAME.sent and "recv3 distinct3 recv7" in
# $NG_TMP/NAME.recv, read once the sender's end mark reached the server;
# CMD's output in $NG_TMP/NAME.out.
during() {
	local name=$1 spid cpid
	shift
	rm -f "$NG_TMP/$name.srv" "$NG_TMP/$name.cli" "$NG_TMP/srv-$name.log"
	ng_bg "srv-$name" ns srv "$FLOW" serve --bind 192.0.2.1 --out "$NG_TMP/$name.srv" \
		--max-seconds 90
	spid=$NG_BG_PID
	ng_wait_for 5 grep -q serving "$NG_TMP/srv-$name.log"
	mark_passed
	ng_bg "cli-$name" ns cli "$FLOW" send --dst 192.0.2.1 --rate3 $RATE --rate7 $RATE \
		--max-seconds 60 --out "$NG_TMP/$name.cli"
	cpid=$NG_BG_PID
	ng_wait_for 20 grown $RATE || ng_fail "harness: $name: no traffic before the command"
	"$@" >"$NG_TMP/$name.out" 2>&1
	echo "exit $?" >>"$NG_TMP/$name.out"
	mark_passed
	ng_wait_for 20 grown $RATE || ng_fail "harness: $name: no traffic after the command"
	ng_stop "$cpid"
	ng_flow_end "$spid" "$NG_TMP/$name.srv" ||
		ng_fail "harness: $name: the sender's end mark never reached the server"
	awk '{ print $3, $5, $7 }' "$NG_TMP/$name.cli" >"$NG_TMP/$name.sent" 2>/dev/null
	awk '{ print $2, $4, $6 }' "$NG_TMP/$name.srv" >"$NG_TMP/$name.recv" 2>/dev/null
	ng_log "$name: sent (mode 3, monlist, failed sends): $(cat "$NG_TMP/$name.sent"); socket got (mode 3, distinct, monlist): $(cat "$NG_TMP/$name.recv")"
}
sent3() { cut -d' ' -f1 "$NG_TMP/$1.sent"; }
sent7() { cut -d' ' -f2 "$NG_TMP/$1.sent"; }
recv3() { cut -d' ' -f2 "$NG_TMP/$1.recv"; }
recv7() { cut -d' ' -f3 "$NG_TMP/$1.recv"; }

# =============================================================================
ng_log "case 1: another build replaces the programs atomically while traffic flows"
check "1a apply with the first build" v1 apply "$NG_TMP/ng.conf"
XPATH=$(js "d['interfaces']['ngu0']['attach']")
ng_log "XDP attach path: $XPATH"
if [ "$XPATH" = dispatcher ]; then
	HOW='libxdp dispatcher: added, older one removed'
else
	HOW="kernel XDP replace"
fi
# The XDP program(s) on ngu0 that are not a dispatcher: ntpguard's.
xdp_ours() {
	if [ "$XPATH" = dispatcher ]; then
		ns srv xdp-loader status ngu0 | awk '$1 == "=>" { print $4 }' | paste -sd' '
	else
		ng_xdp_prog_id srv ngu0
	fi
}
ID_IN=$(js "d['interfaces']['ngu0']['prog_id']")
ID_EG=$(js "d['interfaces']['ngu0']['egress']['prog_id']")
BUILD1=$(js "d['interfaces']['ngu0']['build']")
POL1=$(js "d['policy']")
ALLOW1=$(v1 allow list --json)
check_eq "1b the second build sees an older program on both hooks" "True True" \
	"$(v2 status --json | ng_json "'%s %s' % (d['interfaces']['ngu0']['outdated'], d['interfaces']['ngu0']['egress']['outdated'])")"
check_rc "1c its --dry-run plans the replacement" 0 v2 apply --dry-run "$NG_TMP/ng.conf"
check_grep_case "1d ... on both directions, atomic" "$NG_OUT" '^ngu0: replace the older program build on ingress and egress \(atomic\)$'
D0=$(dropped7)
P0=$(passed)
during up v2 apply "$NG_TMP/ng.conf"
check_grep_case "1e apply: the ingress program replaced ($HOW)" "$NG_TMP/up.out" \
	"^ngu0: program replaced by this build \\($HOW\\), prog id $ID_IN -> [0-9]+\$"
check_grep_case "1f ... the egress filter in place" "$NG_TMP/up.out" \
	"^ngu0 egress: program replaced by this build \\(TC filter replaced in place\\), prog id $ID_EG -> [0-9]+\$"
check_grep_case "1g ... exit 0" "$NG_TMP/up.out" '^exit 0$'
ng_assume "1h traffic flowed: over 2 s of the stream were sent ($(sent3 up))" \
	test "$(sent3 up)" -ge $((2 * RATE * 9 / 10))
ng_assume_eq "1i no send failed" 0 "$(cut -d' ' -f3 "$NG_TMP/up.sent")"
check_eq "1j zero monlist requests reached the server socket" 0 "$(recv7 up)"
check_eq "1k zero mode 3 requests lost (distinct at the socket = sent)" "$(sent3 up)" "$(recv3 up)"
check_eq "1l counters carried over: mode7_request_dropped grew by exactly the monlist requests sent" \
	"$(sent7 up)" "$(( $(dropped7) - D0 ))"
if [ "$XPATH" = dispatcher ]; then
	# between the two dispatcher replaces both programs run: a frame the
	# older one passes is counted again by the newer one
	check_ge "1m ... and ntp_passed by at least the mode 3 requests sent and the end mark" "$(( $(sent3 up) + 1 ))" \
		"$(( $(passed) - P0 ))"
else
	check_eq "1m ... and ntp_passed by the mode 3 requests sent and the end mark" \
		"$(( $(sent3 up) + 1 ))" "$(( $(passed) - P0 ))"
fi
check_eq "1n the records name the new programs, of this build" \
	"False False $(v2 status --json | ng_json "d['build']")" \
	"$(v2 status --json | ng_json "'%s %s %s' % (d['interfaces']['ngu0']['outdated'], d['interfaces']['ngu0']['egress']['outdated'], d['interfaces']['ngu0']['build'])")"
check_eq "1o ... and the XDP program on the device is the recorded one (the older one gone)" \
	"$(v2 status --json | ng_json "d['interfaces']['ngu0']['prog_id']")" "$(xdp_ours)"
check_eq "1p policy unchanged" "$POL1" "$(js "d['policy']")"
check_eq "1q allow-list unchanged" "$ALLOW1" "$(v1 allow list --json)"
check_rc "1r the second build's apply again: nothing to change" 0 v2 apply "$NG_TMP/ng.conf"
check_grep_case "1s ... says so" "$NG_OUT" '^nothing to change'
check_rc "1t load with the first build replaces it back (exit 0)" 0 v1 load --egress ngu0
check_grep_case "1u ... atomically" "$NG_OUT" "^ngu0: program replaced by this build \\($HOW\\)"
check_eq "1v ... its build is recorded" "$BUILD1" "$(js "d['interfaces']['ngu0']['build']")"

# =============================================================================
ng_log "case 2: control: detach and attach in the same harness lets monlist through"
ng_assume "2a the first build applied" v1 apply "$NG_TMP/ng.conf"
during gap ns srv sh -c "'$V2' unload --keep-maps ngu0 && '$V2' load --egress ngu0"
check_grep_case "2b the detach and attach ran (exit 0)" "$NG_TMP/gap.out" '^exit 0$'
ng_assume "2c monlist requests reached the server socket during the gap ($(recv7 gap))" \
	test "$(recv7 gap)" -ge 1
during after true
check_eq "2d ... and none after it: the new program filters" 0 "$(recv7 after)"

# =============================================================================
ng_log "case 3: pins of layout 1 (an ntpguard before layout versions)"
ng_assume "3a the first build applied" v1 apply "$NG_TMP/ng.conf"
# What layout 1 was: no ng_meta, no ng_allow_used, records without builds.
rm "$P/ng_meta" "$P/ng_allow_used"
bpftool -j map dump pinned "$P/ng_ifaces" | "$NG_PY" -c '
import json, subprocess, sys
for e in json.load(sys.stdin):
    v = [int(x, 16) for x in e["value"]]
    if v[40] == 0 or v[48:56] == [0] * 8:   # free slot (state), or no build
        continue
    v[48:56] = [0] * 8
    subprocess.run(["bpftool", "map", "update", "pinned", sys.argv[1], "key"] +
                   e["key"] + ["value"] + ["0x%02x" % b for b in v], check=True)
' "$P/ng_ifaces"
check_eq "3b status reads layout 1 as it is" "1 True True" \
	"$(v1 status --json | ng_json "'%s %s %s' % (d['layout'], d['interfaces']['ngu0']['outdated'], d['interfaces']['ngu0']['egress']['outdated'])")"
check_rc "3c apply --dry-run plans the migration and the replacement" 0 v1 apply --dry-run "$NG_TMP/ng.conf"
cp "$NG_OUT" "$NG_TMP/mig.dry"
check_grep_case "3d ... the layout" "$NG_TMP/mig.dry" '^layout: migrate the pins from layout 1 to 2$'
check_grep_case "3e ... the programs" "$NG_TMP/mig.dry" '^ngu0: replace the older program build on ingress and egress \(atomic\)$'
check_eq "3f ... and changed nothing" "no" "$([ -e "$P/ng_meta" ] && echo yes || echo no)"
D0=$(dropped7)
during mig v1 apply "$NG_TMP/ng.conf"
check_grep_case "3g apply migrates, saying what it did" "$NG_TMP/mig.out" \
	'^pins in .*: migrated from layout 1 to 2 \(ng_allow_used created from the allow-lists, ng_meta created\)'
check_grep_case "3h ... and replaces the programs" "$NG_TMP/mig.out" "^ngu0: program replaced by this build \\($HOW\\)"
check_eq "3i zero monlist requests reached the socket, zero mode 3 lost" "0 $(sent3 mig)" \
	"$(recv7 mig) $(recv3 mig)"
check_eq "3j counters carried over" "$(sent7 mig)" "$(( $(dropped7) - D0 ))"
check_eq "3k ng_meta: layout 2, migrated from 1" "2 1" \
	"$(bpftool -j map lookup pinned "$P/ng_meta" key 0 0 0 0 | ng_json "'%s %s' % (d['formatted']['value']['layout'], d['formatted']['value']['from_layout'])")"
check_eq "3l ng_allow_used was set from the tries: both families in use" "1 1" \
	"$(bpftool -j map dump pinned "$P/ng_allow_used" | ng_json "' '.join(str(e['formatted']['value']) for e in d)")"
ns cli ip route replace 192.0.2.1/32 dev ngu1 src 198.51.100.7
during allowed true
ns cli ip route replace 192.0.2.1/32 dev ngu1 src 192.0.2.2
check_eq "3m the allow-list still works: monlist from 198.51.100.7 reaches the socket" \
	"$(sent7 allowed)" "$(recv7 allowed)"
check_rc "3n apply again: nothing to change" 0 v1 apply "$NG_TMP/ng.conf"
check_grep_case "3o ... says so" "$NG_OUT" '^nothing to change'

# =============================================================================
ng_log "case 4: pins of a newer layout are left alone, whatever the command"
# ng_meta {magic "NGM1", layout 99, version "9.9"}, the rest zero
META=$("$NG_PY" -c '
import struct
v = struct.pack("<IIQ32sI28x", 0x4e474d31, 99, 0, b"9.9", 0)
print(" ".join("0x%02x" % b for b in v))')
# shellcheck disable=SC2086
bpftool map update pinned "$P/ng_meta" key 0 0 0 0 value $META
snap() { ls "$P"; bpftool map dump pinned "$P/ng_allow_v4"; bpftool map dump pinned "$P/ng_policy"; xdp_ours; }
S4=$(snap)
for cmd in "status" "stats" "allow list" "allow add 192.0.2.99" "set monitor=on" \
	   "load ngu0" "unload ngu0" "apply $NG_TMP/ng.conf"; do
	# shellcheck disable=SC2086
	check_rc "4 $cmd: exit 1" 1 v1 $cmd
	check_line "4 $cmd: says the layout, who wrote it, what to do" "$NG_ERR" \
		"have layout 99, written by ntpguard 9.9; this ntpguard \\(.*\\) knows layouts up to 2 and leaves them alone"
done
check_eq "4 nothing was changed (pins, allow-list, policy, program)" "$S4" "$(snap)"
check_rc "4 export --once refuses too (exit 1)" 1 v1 export --once --dir "$NG_TMP"
META=$("$NG_PY" -c '
import struct
v = struct.pack("<IIQ32sI28x", 0x4e474d31, 2, 0, b"test", 0)
print(" ".join("0x%02x" % b for b in v))')
# shellcheck disable=SC2086
bpftool map update pinned "$P/ng_meta" key 0 0 0 0 value $META
check "4 back to layout 2: status works" v1 status

# =============================================================================
ng_log "case 5: pins of another shape are refused, not misread"
X=$NG_TMP/other
mkdir -p "$X"
mount -t bpf bpf "$X" || ng_die "cannot mount a second bpffs"
mkdir "$X/ntpguard"
bpftool map create "$X/ntpguard/ng_ifaces" type array key 4 value 64 entries 512 name ng_ifaces
S5=$(ls "$X/ntpguard")
for cmd in "status" "apply $NG_TMP/ng.conf" "load ngu0"; do
	# shellcheck disable=SC2086
	check_rc "5 $cmd: exit 1" 1 env NTPGUARD_BPFFS="$X" LIBXDP_BPFFS="$X" \
		nsenter --net="/run/netns/$(ng_nsname srv)" "$V1" $cmd
	check_line "5 $cmd: names the map and what differs" "$NG_ERR" \
		'pinned map ng_ifaces has 64-octet values, this ntpguard expects 72: the pins were written by an incompatible ntpguard'
done
check_eq "5 nothing was created next to it" "$S5" "$(ls "$X/ntpguard")"
check_eq "5 ... and ngu0 kept the program of the first bpffs" \
	"$(js "d['interfaces']['ngu0']['prog_id']")" "$(xdp_ours)"
umount "$X"

check "cleanup: unload --all" v1 unload --all
ng_summary
