#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/policy-cli.sh - `ntpguard set` and the policy/rate-table part of
# `ntpguard status`:
#   * every bad input to `set` exits 2 with an "ntpguard: " line saying what
#     is wrong, prints nothing on stdout, and leaves `status --json`
#     byte-identical (nothing applied, also when valid keys come with it);
#   * `set` while not loaded exits 1 with a clear message;
#   * a valid multi-key set changes exactly those keys; every key can be set;
#     --defaults goes back; --help lists every key;
#   * the policy survives `unload` of one interface while another stays
#     loaded, and a change applies to both loaded interfaces at once without
#     detaching (program ids unchanged; mode 7 frames sent into each
#     interface are judged by the new policy);
#   * `load --max-sources N` sets the rate table's capacity; a second load
#     with another size fails clearly; bad sizes are rejected.
#
# Everything runs in one private network namespace (ngpc<pid>-c, a veth
# pair ve0/ve1) against a private bpffs (NTPGUARD_BPFFS), so a real
# install's /sys/fs/bpf/ntpguard is never touched. Removed on exit.
#
#   tests/policy-cli.sh        prints "N passed, N failed"; exit 1 on failure
#   NG_KEEP_TMP=1              keep the temp dir
set -u
cd "$(dirname "$0")/.." || exit 2

NG_TAG=ngpc   # namespace ngpc<PID>-c, temp dir /tmp/ngpc<PID>-XXXXXX
# shellcheck source=tests/lib.sh
. tests/lib.sh
NG=$NTPGUARD
PY=$NG_PY
TMP=$NG_TMP

[ "$(id -u)" = 0 ] || ng_fatal "must run as root"
for b in ip nsenter setpriv "$PY" "$NG"; do
	command -v "$b" >/dev/null 2>&1 || [ -x "$b" ] || ng_fatal "missing $b"
done
"$PY" -c 'import scapy.all' 2>/dev/null || ng_fatal "$PY cannot import scapy"

ng_setup_bpffs
ng_ns_add c
ng_veth c ve0 c ve1

ngc() { ns c "$NG" "$@"; }
status_json() { ngc status --json 2>/dev/null; }
# The policy object of `status --json`, as printed (it is the last member).
policy_raw() { status_json | sed -n 's/.*"policy": \({.*}\)}$/\1/p'; }
xdp_id() { ng_xdp_prog_id c "$1"; }

# bad_set NAME TEXT ARGS... : `set ARGS` exits 2, an "ntpguard: " line on
# stderr containing TEXT (a fixed string), nothing on stdout, and
# status --json (policy included) byte-identical before and after.
bad_set() {
	local name="set $1" text=$2 before after pb pa
	shift 2
	before=$(status_json)
	pb=$(policy_raw)
	check_rc "$name: exit 2" 2 ngc set "$@" || return
	cp "$NG_ERR" "$TMP/err.last"
	cp "$NG_OUT" "$TMP/out.last"
	if grep '^ntpguard: ' "$TMP/err.last" | grep -Fq -- "$text"; then
		ng_pass "$name: says what is wrong"
	else
		ng_fail "$name: says what is wrong" "no 'ntpguard: ' line containing: $text" \
			"$(cat "$TMP/err.last")"
	fi
	check_eq "$name: nothing on stdout" "" "$(cat "$TMP/out.last")"
	after=$(status_json)
	pa=$(policy_raw)
	if [ -n "$pb" ] && [ "$before" == "$after" ] && [ "$pb" == "$pa" ]; then
		ng_pass "$name: status --json (policy) byte-identical"
	else
		ng_fail "$name: status --json (policy) byte-identical" "before: $pb" "after:  $pa"
	fi
}

# =============================================================================
echo "# not loaded"
check_rc "set while not loaded: exit 1" 1 ngc set monitor=on
check_grep_case "set while not loaded: clear message" "$NG_ERR" '^ntpguard: .*not loaded.*ntpguard load'
check_eq "set while not loaded: stdout empty" "" "$(cat "$NG_OUT")"
check_rc "set --defaults while not loaded: exit 1" 1 ngc set --defaults
check_grep_case "set --defaults while not loaded: clear message" "$NG_ERR" '^ntpguard: .*not loaded'
check_rc "set bad syntax while not loaded: exit 2 (syntax first)" 2 ngc set bogus=1
check_grep_case "set bad syntax while not loaded: names the key" "$NG_ERR" "^ntpguard: 'bogus': unknown key"
check_eq "status --json while not loaded: loaded false" "false" \
	"$(status_json | ng_json 'd["loaded"]')"
check_eq "set while not loaded: created no pin directory" "" "$(ls -d "$NG_BPFFS_MNT/ntpguard" 2>/dev/null)"

check_rc "set --help: exit 0" 0 ngc set --help
cp "$NG_OUT" "$TMP/help"
check_grep_case "set --help: usage on stdout" "$TMP/help" '^usage: ntpguard set KEY=VALUE'
check_eq "set --help: stderr empty" "" "$(cat "$NG_ERR")"
check_rc "set -h: exit 0" 0 ngc set -h

echo "# load --max-sources"
for v in 15 0 -1 abc "" 16777217 99999999999999999999 1e3 " 100"; do
	check_rc "load --max-sources '$v': exit 2" 2 ngc load --max-sources "$v" ve0
	check_grep_case "load --max-sources '$v': message" "$NG_ERR" '^ntpguard: --max-sources'
done
check_eq "bad --max-sources attached nothing" "/" "$(xdp_id ve0)/$(xdp_id ve1)" ||
	ngc unload --all >/dev/null 2>&1   # keep the rest meaningful
check_rc "load --max-sources 1000 ve0 ve1" 0 ngc load --max-sources 1000 ve0 ve1
S=$(status_json)
check_eq "status --json: rate_table capacity 1000" 1000 "$(ng_json 'd["rate_table"]["capacity"]' <<<"$S")"
check_eq "status --json: rate_table entries 0" 0 "$(ng_json 'd["rate_table"]["entries"]' <<<"$S")"
check_rc "status (text)" 0 ngc status
cp "$NG_OUT" "$TMP/status.txt"
check_grep_case "status text: rate-cap table line" "$TMP/status.txt" '^rate-cap table: 0 of 1000 sources tracked'
check_grep_case "status text: policy header" "$TMP/status.txt" '^policy:$'
check_grep_case "status text: a policy line" "$TMP/status.txt" '^ +mode7_request +drop$'
check_rc "second load, other --max-sources: exit 1" 1 ngc load --max-sources 2000 ve0
check_grep_case "second load, other --max-sources: clear message" "$NG_ERR" \
	'^ntpguard: .*already holds up to 1000 sources.*unload every interface'
check_eq "capacity still 1000" 1000 "$(status_json | ng_json 'd["rate_table"]["capacity"]')"
check_rc "load again, same --max-sources: exit 0" 0 ngc load --max-sources 1000 ve0
check_rc "load again without --max-sources: exit 0" 0 ngc load ve1

# Every key with its default, from status, must be in --help and back.
DEF=$(policy_raw)
KEYS=$(ng_json '" ".join(d["policy"].keys())' <<<"$S")
check_eq "status --json: policy has 20 keys" 20 "$(wc -w <<<"$KEYS")"
missing=
for k in $KEYS; do
	grep -Eq "^  $k +" "$TMP/help" || missing="$missing $k"
	grep -Eq "^  $k +" "$TMP/status.txt" || missing="$missing status:$k"
done
check_eq "set --help and status text list every policy key" "" "$missing"
check_eq "defaults: mode7_request drop, max 200, mode6 ratecap, monitor off, reflectors on" \
	"drop 200 ratecap off on" \
	"$(ng_json '" ".join(str(d["policy"][k]) for k in ("mode7_request", "mode7_response_max_bytes", "mode6_request", "monitor", "reflectors"))' <<<"$S")"

# =============================================================================
echo "# bad input to set: exit 2, nothing changed"
bad_set "no args" "no KEY=VALUE given"
bad_set "--defaults with args" "--defaults takes no KEY=VALUE" --defaults monitor=on
bad_set "args then --defaults" "'--defaults': expected KEY=VALUE" monitor=on --defaults
bad_set "unknown option" "unknown option, or option without its value: '--bogus'" --bogus
bad_set "unknown key" "'bogus': unknown key" bogus=1
bad_set "unknown key (near miss)" "'mode7_requests': unknown key" mode7_requests=drop
bad_set "unknown key (case)" "'Monitor': unknown key" Monitor=on
bad_set "unknown key (suffix)" "'mode7_request_rate_x': unknown key" mode7_request_rate_x=1
bad_set "missing = (bool key)" "'monitor': expected KEY=VALUE" monitor
bad_set "missing = (action key)" "'mode7_request': expected KEY=VALUE" mode7_request
bad_set "missing key" "'=drop': expected KEY=VALUE" =drop
bad_set "empty argument" "'': expected KEY=VALUE" ""
bad_set "empty value (action)" "mode7_request: '' is not drop, ratecap or pass" mode7_request=
bad_set "empty value (bool)" "monitor: '' is not on or off" monitor=
bad_set "empty value (number)" "mode7_request_rate: '' is not an integer" mode7_request_rate=
bad_set "bad action" "mode7_request: 'block' is not drop, ratecap or pass" mode7_request=block
bad_set "bad action (case)" "mode6_request: 'DROP' is not" mode6_request=DROP
bad_set "bad action (number)" "mode7_response: '1' is not" mode7_response=1
bad_set "bad action (trailing space)" "mode7_request: 'drop ' is not" "mode7_request=drop "
bad_set "bad bool" "monitor: 'yes' is not on or off" monitor=yes
bad_set "bad bool (1)" "track: '1' is not on or off" track=1
for kv in mode7_request_rate=0 mode7_request_burst=0 mode7_request_global_rate=0 \
	mode7_request_global_burst=0 mode6_request_rate=0 mode7_response_burst=0 \
	mode7_request_rate=10000001 mode6_request_global_burst=10000001 \
	mode7_response_max_bytes=65536; do
	bad_set "out of range: $kv" "${kv%%=*}: '${kv#*=}' is not an integer in" "$kv"
done
for v in abc 1.5 1e3 0x10 5s " 5" "	5" "5 " "+5" "-1" "-0" "--1" \
	4294967296 4294967297 18446744073709551616 99999999999999999999999; do
	bad_set "bad number '$v'" "mode7_request_rate: '$v' is not an integer in 1..10000000" \
		"mode7_request_rate=$v"
done
bad_set "negative max bytes" "mode7_response_max_bytes: '-1' is not an integer in 0..65535" \
	mode7_response_max_bytes=-1
bad_set "huge max bytes" "mode7_response_max_bytes: '4294967496' is not an integer" \
	mode7_response_max_bytes=4294967496
bad_set "valid keys then an unknown one" "'bogus': unknown key" \
	mode7_request=pass monitor=on bogus=1
bad_set "unknown key then valid ones" "'bogus': unknown key" \
	bogus=1 mode7_request=pass monitor=on
bad_set "valid keys, one value out of range" "mode7_request_rate: '0'" \
	mode7_request=ratecap mode7_request_rate=0 mode7_request_burst=9
bad_set "valid keys, one bad action" "mode6_request: 'x'" \
	monitor=on mode6_request=x track=on
check_eq "after every bad set: still the defaults" "$DEF" "$(policy_raw)"

# =============================================================================
echo "# valid sets"
check_rc "multi-key set: exit 0" 0 ngc set monitor=on track=on mode7_request=ratecap \
	mode7_request_rate=7 mode7_request_burst=9 mode7_request_global_rate=70 \
	mode7_request_global_burst=90 mode7_response_max_bytes=300 mode7_response=pass \
	mode6_request=drop
check_grep_case "multi-key set: says what it set" "$NG_OUT" '^set mode7_request_rate=7$'
check_grep_case "multi-key set: notes monitor mode" "$NG_OUT" 'monitor=on: nothing is dropped'
WANT=$(ng_json '
dict(d["policy"], monitor="on", track="on", mode7_request="ratecap",
     mode7_request_rate=7, mode7_request_burst=9, mode7_request_global_rate=70,
     mode7_request_global_burst=90, mode7_response_max_bytes=300,
     mode7_response="pass", mode6_request="drop")' <<<"$S")
check_eq "multi-key set: exactly those keys changed" "$WANT" \
	"$(status_json | ng_json 'd["policy"]')"
check_rc "status (text) in monitor mode" 0 ngc status
check_grep_case "status text: says MONITOR MODE" "$NG_OUT" '^policy \(MONITOR MODE'
check_rc "set --defaults: exit 0" 0 ngc set --defaults
check_eq "set --defaults: back to the defaults (byte-identical)" "$DEF" "$(policy_raw)"

# Every key, one at a time, to a value other than its default.
for k in $KEYS; do
	cur=$(ng_json "d['policy']['$k']" <<<"$S")
	case $cur in
	on) v=off ;; off) v=on ;;
	drop) v=ratecap ;; ratecap) v=pass ;; pass) v=drop ;;
	*) v=$((cur + 1)) ;;
	esac
	if ngc set "$k=$v" >"$NG_OUT" 2>"$NG_ERR"; then
		got=$(status_json | ng_json "d['policy']['$k']")
		other=$(status_json | ng_json "{x: y for x, y in d['policy'].items() if x != '$k'}")
		defo=$(ng_json "{x: y for x, y in d['policy'].items() if x != '$k'}" <<<"$S")
		if [ "$got" == "$v" ] && [ "$other" == "$defo" ]; then
			ng_pass "set $k=$v changes $k only"
		else
			ng_fail "set $k=$v changes $k only" "got $k=$got" "others: $other"
		fi
	else
		ng_fail "set $k=$v changes $k only" "exit $?: $(cat "$NG_ERR")"
	fi
	ngc set --defaults >/dev/null 2>&1
done
# Boundary values: accepted, said, and read back from the live policy (the
# number as stored, 010 being decimal 10); every other key unchanged.
for kv in mode7_request_rate=1 mode7_request_rate=10000000 mode6_request_global_burst=10000000 \
	mode7_response_max_bytes=0 mode7_response_max_bytes=65535 mode7_request_rate=010 \
	mode7_request_global_rate=1 mode7_response_burst=1 mode6_request_burst=10000000; do
	k=${kv%%=*} v=${kv#*=}
	want=$((10#$v))
	ngc set --defaults >/dev/null 2>&1
	check_rc "boundary value accepted: $kv" 0 ngc set "$kv"
	check_eq "boundary value $kv: set says so" "set $kv" "$(cat "$NG_OUT")"
	P=$(status_json)
	check_eq "boundary value $kv: read back as $want" "$want" "$(ng_json "d['policy']['$k']" <<<"$P")"
	check_eq "boundary value $kv: every other key at its default" \
		"$(ng_json "{x: y for x, y in d['policy'].items() if x != '$k'}" <<<"$S")" \
		"$(ng_json "{x: y for x, y in d['policy'].items() if x != '$k'}" <<<"$P")"
done
ngc set --defaults >/dev/null 2>&1
check_rc "the last of a repeated key wins" 0 ngc set monitor=on monitor=off
check_eq "repeated key: monitor off" off "$(status_json | ng_json 'd["policy"]["monitor"]')"
ngc set --defaults >/dev/null 2>&1

check_rc "set without CAP_BPF/CAP_SYS_ADMIN: exit 1" 1 \
	ns c setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$NG" set monitor=on
check_grep_case "set without privileges: clear message" "$NG_ERR" '^ntpguard: permission denied'
check_eq "set without privileges: nothing changed" "$DEF" "$(policy_raw)"

# =============================================================================
echo "# live on every interface, without detaching"
MAC0=$(ns c ip -j link show dev ve0 | ng_json 'd[0]["address"]')
MAC1=$(ns c ip -j link show dev ve1 | ng_json 'd[0]["address"]')
# send_m7: one mode 7 request out of ve1 (arrives at ve0's XDP) and one out
# of ve0 (arrives at ve1's).
send_m7() {
	ns c "$PY" - "$MAC0" "$MAC1" <<'EOF'
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
m0, m1 = sys.argv[1:3]
req = IP(src="203.0.113.66", dst="192.0.2.123") / UDP(sport=40000, dport=123) / \
    Raw(b"\x17\x00\x03\x2a" + b"\x00" * 4)
sendp(Ether(src=m1, dst=m0) / req, iface="ve1", verbose=0)
sendp(Ether(src=m0, dst=m1) / req, iface="ve0", verbose=0)
EOF
}
# m7_counts: "ve0 passed/dropped/would ve1 passed/dropped/would"
m7_counts() {
	ngc stats --json | ng_json '
" ".join("%s %d/%d/%d" % (i, r["mode7_request_passed"]["packets"],
    r["mode7_request_dropped"]["packets"], r["mode7_request_dropped"]["would_drop_packets"])
    for i, r in ((i, d["interfaces"][i]["reasons"]) for i in ("ve0", "ve1")))'
}
# The frames are judged in the softirq of the sending CPU, usually before
# sendp() returns: wait (bounded) until the counters show the expected
# values, then compare them exactly (an extra count still fails).
counts_are() { [ "$(m7_counts)" = "$1" ]; }
ID0=$(xdp_id ve0) ID1=$(xdp_id ve1)
SID=$(status_json | ng_json '[d["interfaces"][i]["prog_id"] for i in ("ve0", "ve1")]')
check_eq "status prog ids match the kernel's" "[$ID0, $ID1]" "$SID"
c0=$(m7_counts)
check_eq "counters start at zero" "ve0 0/0/0 ve1 0/0/0" "$c0"
send_m7
ng_wait_for 5 counts_are "ve0 0/1/0 ve1 0/1/0"
check_eq "default policy: dropped on both interfaces" "ve0 0/1/0 ve1 0/1/0" "$(m7_counts)"
check_rc "set mode7_request=pass" 0 ngc set mode7_request=pass
send_m7
ng_wait_for 5 counts_are "ve0 1/1/0 ve1 1/1/0"
check_eq "after set pass: passed on both interfaces" "ve0 1/1/0 ve1 1/1/0" "$(m7_counts)"
check_rc "set mode7_request=drop monitor=on" 0 ngc set mode7_request=drop monitor=on
send_m7
ng_wait_for 5 counts_are "ve0 1/1/1 ve1 1/1/1"
check_eq "after set monitor=on: would-drop on both interfaces" "ve0 1/1/1 ve1 1/1/1" "$(m7_counts)"
check_eq "prog ids unchanged by set (kernel)" "$ID0/$ID1" "$(xdp_id ve0)/$(xdp_id ve1)"
check_eq "prog ids unchanged by set (status)" "$SID" \
	"$(status_json | ng_json '[d["interfaces"][i]["prog_id"] for i in ("ve0", "ve1")]')"

echo "# the policy survives unload/load while an interface stays loaded"
ngc set --defaults >/dev/null 2>&1
check_rc "set mode7_request=ratecap mode7_request_burst=3" 0 \
	ngc set mode7_request=ratecap mode7_request_burst=3
P1=$(policy_raw)
check_rc "unload ve0 (ve1 stays)" 0 ngc unload ve0
check_eq "ve0 detached in the kernel" "" "$(xdp_id ve0)"
check_eq "policy unchanged after unloading ve0" "$P1" "$(policy_raw)"
check_rc "set while only ve1 is loaded" 0 ngc set mode7_request_rate=4
P2=$(policy_raw)
check_rc "load ve0 again" 0 ngc load ve0
check_eq "policy unchanged after loading ve0 again" "$P2" "$(policy_raw)"
check_eq "ve1 kept its program" "$ID1" "$(xdp_id ve1)"
check_eq "capacity kept" 1000 "$(status_json | ng_json 'd["rate_table"]["capacity"]')"
check_rc "unload --all --keep-maps" 0 ngc unload --all --keep-maps
check_rc "load ve0 on kept maps" 0 ngc load ve0
check_eq "policy kept with --keep-maps" "$P2" "$(policy_raw)"
check_rc "unload --all" 0 ngc unload --all
check_rc "set after the last unload: exit 1 (not loaded)" 1 ngc set monitor=on
check_grep_case "set after the last unload: clear message" "$NG_ERR" '^ntpguard: .*not loaded'
check_rc "load --max-sources 16 after a full unload" 0 ngc load --max-sources 16 ve0
check_eq "fresh maps: defaults again" "$DEF" "$(policy_raw)"
check_eq "fresh maps: capacity 16" 16 "$(status_json | ng_json 'd["rate_table"]["capacity"]')"
check_rc "unload --all (end)" 0 ngc unload --all

ng_summary
