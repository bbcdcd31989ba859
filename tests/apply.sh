#!/bin/bash
# tests/apply.sh - `ntpguard apply` on a table of configuration files, in
# network namespaces with a private bpffs: from nothing, idempotence,
# --dry-run, policy changes, interfaces removed and direction changes,
# allow entries removed, an interface loaded by hand, a missing interface,
# invalid files of each kind (refused whole: exit 2, FILE:LINE, state read
# back unchanged), `watch --config` and `export --config`. Every expected
# state is read back from the kernel and the pins (status, allow list, the
# XDP and TC programs on the devices), and one flow per phase checks that
# what apply set up filters: a monlist request from a host that is not
# allow-listed never reaches the server socket, one from an allow-listed
# host does.
#
# Topology (prefix ngt<pid>-):  cli 192.0.2.2 --veth-- srv 192.0.2.1 (ngap0)
# plus, in srv, veth pairs ngaq0/ngaq1 and ngaw1/ngax1 (a [watch ngaw*]).
#
#   tests/apply.sh       prints "N passed, N failed"
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ng_require_root
FLOW=$NG_ROOT/build/tests/ngflow
ng_require_bin ip nsenter bpftool tc "$NG_PY" "$NTPGUARD" "$FLOW"

NG=$NTPGUARD
ng_setup_bpffs
ng_ns_add srv
ng_ns_add cli
ng_veth srv ngap0 cli ngap1
ns srv ip addr add 192.0.2.1/24 dev ngap0
ns cli ip addr add 192.0.2.2/24 dev ngap1
ns cli ip addr add 192.0.2.3/24 dev ngap1
for p in "ngaq0 ngaq1" "ngaw1 ngax1"; do
	set -- $p
	ns srv ip link add "$1" type veth peer name "$2"
	ns srv ip link set "$1" up
	ns srv ip link set "$2" up
done

ngs() { ns srv "$NG" "$@"; }
C=$NG_TMP/conf
mkdir -p "$C/allow.d"

# The observable state, one canonical text: per interface and direction the
# record's state and whether the program on the device is the recorded
# one, the allow-list, the policy.
state() {
	{
		ngs status --json 2>/dev/null || echo '{}'
		ngs allow list --json 2>/dev/null || echo '{}'
		for d in ngap0 ngaq0 ngaw1; do
			printf '%s xdp=%s tc=%s\n' "$d" "$(ng_xdp_prog_id srv "$d")" \
				"$(ns srv tc filter show dev "$d" egress 2>/dev/null |
				   sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -n 1)"
		done
	} | "$NG_PY" -c '
import json, sys
lines = sys.stdin.read().split("\n")
st = json.loads(lines[0]); al = json.loads(lines[1])
out = []
for name, r in sorted(st.get("interfaces", {}).items()):
    for x in (r, r.get("egress")):
        if x and "state" in x:
            out.append("%s %s %s prog=%s outdated=%s" % (name, x["direction"], x["state"],
                       x["prog_id"], x.get("outdated")))
out.append("allow " + " ".join(al.get("ipv4", []) + al.get("ipv6", [])))
out.append("policy " + " ".join("%s=%s" % kv for kv in sorted(st.get("policy", {}).items())))
out += [l for l in lines[2:] if l]
print("\n".join(out))'
}

# One field of the state: attachment lines of an interface, or allow/policy.
st_line() { state | grep -E "^$1" || true; }
policy_of() { ngs status --json | ng_json "d['policy']['$1']"; }

# flow SRC COUNT: COUNT mode 3 and COUNT monlist requests from SRC to the
# server socket; prints what the socket received: "MODE3 MODE7" (distinct
# mode 3 requests), read once the sender's end mark has arrived.
flow() {
	local src=$1 n=$2 out=$NG_TMP/flow.srv pid
	rm -f "$out" "$NG_TMP/flowsrv.log"
	ng_bg flowsrv ns srv "$FLOW" serve --bind 192.0.2.1 --out "$out" --max-seconds 40
	pid=$NG_BG_PID
	ng_wait_for 5 grep -q serving "$NG_TMP/flowsrv.log"
	# the source address: the route's preferred source
	ns cli ip route replace 192.0.2.1/32 dev ngap1 src "$src"
	ns cli "$FLOW" send --dst 192.0.2.1 --rate3 400 --rate7 400 --count "$n" \
		--max-seconds 20 >"$NG_TMP/flow.sent"
	# the server stops at the sender's end mark: then it has counted all
	if ! ng_flow_end "$pid" "$out"; then
		echo "the end mark never reached the server: $(cat "$out" 2>/dev/null)"
		return
	fi
	if ! grep -q "^sent mode3 $n mode7 $n failed 0\$" "$NG_TMP/flow.sent"; then
		echo "sender: $(cat "$NG_TMP/flow.sent")"
		return
	fi
	awk '{ print $4, $6 }' "$out" 2>/dev/null
}

# =============================================================================
ng_log "case 1: from nothing"
printf '# management hosts\n198.51.100.0/24   # the NOC\n\n2001:db8:100::/48\n' \
	>"$C/allow.d/noc.list"
printf '192.0.2.3\n' >"$C/allow.d/probe.list"
cat >"$C/one.conf" <<'EOF'
# ntpguard.conf for tests/apply.sh
[interface ngap0]
direction = both        # requests in, a host ntpd's replies out

[watch ngaw*]

[policy]
mode7_request = drop
mode6_request = drop
track = on

[allow]
203.0.113.7
file = allow.d/*.list
EOF
check_rc "1a apply from nothing: exit 0" 0 ngs apply "$C/one.conf"
cp "$NG_OUT" "$NG_TMP/one.out"
check_grep_case "1b ... says what it attached" "$NG_TMP/one.out" '^ngap0: attached \('
check_grep_case "1c ... and the egress program" "$NG_TMP/one.out" '^ngap0 egress: attached \(TC'
check_grep_case "1d ... and the interface the [watch] pattern matches" "$NG_TMP/one.out" '^ngaw1: attached \('
check_grep_case "1e ... the policy keys it changed" "$NG_TMP/one.out" '^policy: mode6_request ratecap -> drop$'
check_grep_case "1f ... the allow entries it added" "$NG_TMP/one.out" '^allow-list: added 4 prefixes: 192.0.2.3/32 198.51.100.0/24 203.0.113.7/32 2001:db8:100::/48$'
check_grep_case "1g ... and a count" "$NG_TMP/one.out" "^applied 4 changes from $C/one.conf\$"
check_eq "1h ngap0: ingress and egress attached, this build" \
	"ngap0 ingress attached outdated=False|ngap0 egress attached outdated=False" \
	"$(st_line 'ngap0 (ingress|egress)' | cut -d' ' -f1-3,5 | paste -sd'|')"
check_eq "1i ... the programs on the device are the recorded ones" \
	"ngap0 xdp=$(ngs status --json | ng_json "d['interfaces']['ngap0']['prog_id']") tc=$(ngs status --json | ng_json "d['interfaces']['ngap0']['egress']['prog_id']")" \
	"$(st_line 'ngap0 xdp')"
check_eq "1i2 ngaw1 ingress attached (pattern), ngaq0 untouched" \
	"ngaw1 ingress attached|ngaq0 xdp= tc=" \
	"$(st_line 'ngaw1 ingress' | cut -d' ' -f1-3)|$(st_line 'ngaq0 xdp')"
check_eq "1j the allow-list read back" \
	"allow 192.0.2.3/32 198.51.100.0/24 203.0.113.7/32 2001:db8:100::/48" "$(st_line allow)"
check_eq "1k the policy read back: the file's keys, the rest default" "drop drop on ratecap off" \
	"$(policy_of mode7_request) $(policy_of mode6_request) $(policy_of track) $(ngs status --json | ng_json "d['policy']['mode7_response']" | sed 's/drop/ratecap/') $(policy_of monitor)"
check_eq "1l monlist from 192.0.2.2 never reaches the socket, mode 3 does" "400 0" "$(flow 192.0.2.2 400)"
check_eq "1m monlist from the allow-listed 192.0.2.3 does" "400 400" "$(flow 192.0.2.3 400)"

# =============================================================================
ng_log "case 2: a second run changes nothing and says so"
S1=$(state)
check_rc "2a apply again: exit 0" 0 ngs apply "$C/one.conf"
check_eq "2b ... its whole output" "nothing to change: the running state matches $C/one.conf" \
	"$(cat "$NG_OUT")"
check_eq "2c ... the state (program ids included) is the same" "$S1" "$(state)"
check_rc "2d --dry-run of the same file: exit 0" 0 ngs apply --dry-run "$C/one.conf"
check_eq "2e ... says nothing would change" "nothing to change: the running state matches $C/one.conf" \
	"$(cat "$NG_OUT")"

# =============================================================================
ng_log "case 3: --dry-run of a changed file prints the plan, changes nothing"
sed -e 's/^mode7_request = drop/mode7_request = ratecap/' -e '/^track = on/d' \
	-e 's/^direction = both.*/direction = ingress/' -e '/^203.0.113.7/d' \
	"$C/one.conf" >"$C/two.conf"
check_rc "3a apply --dry-run: exit 0" 0 ngs apply --dry-run "$C/two.conf"
cp "$NG_OUT" "$NG_TMP/dry.out"
check_grep_case "3b ... plans the policy change" "$NG_TMP/dry.out" '^policy: mode7_request drop -> ratecap$'
check_grep_case "3c ... and track back to its default" "$NG_TMP/dry.out" '^policy: track on -> off$'
check_grep_case "3d ... the allow entry removed" "$NG_TMP/dry.out" '^allow-list: remove 1 prefix: 203.0.113.7/32$'
check_grep_case "3e ... the egress program detached" "$NG_TMP/dry.out" '^ngap0: detach egress \(direction not in the configuration\)$'
check_grep_case "3f ... and counts it" "$NG_TMP/dry.out" "^dry run: 3 changes planned from $C/two.conf; nothing was changed\$"
check_eq "3g the state is unchanged" "$S1" "$(state)"

# =============================================================================
ng_log "case 4: policy changed, direction reduced, allow entry removed"
check_rc "4a apply: exit 0" 0 ngs apply "$C/two.conf"
cp "$NG_OUT" "$NG_TMP/two.out"
check_eq "4b policy read back" "ratecap off drop" \
	"$(policy_of mode7_request) $(policy_of track) $(policy_of mode6_request)"
check_eq "4c the egress program and record are gone, ingress kept (same program)" \
	"ngap0 ingress attached $(echo "$S1" | awk '$1 == "ngap0" && $2 == "ingress" { print $4 }')|ngap0 egress detached|tc=" \
	"$(st_line 'ngap0 ingress' | cut -d' ' -f1-4)|$(st_line 'ngap0 egress' | cut -d' ' -f1-3)|$(st_line 'ngap0 xdp' | cut -d' ' -f3)"
check_eq "4d allow-list read back" \
	"allow 192.0.2.3/32 198.51.100.0/24 2001:db8:100::/48" "$(st_line allow)"
check_grep_case "4e the output lists the removed prefix" "$NG_TMP/two.out" '^allow-list: removed 1 prefix: 203.0.113.7/32$'
check_rc "4f a second run: nothing to change" 0 ngs apply "$C/two.conf"
check_grep_case "4g ... says so" "$NG_OUT" '^nothing to change'

# =============================================================================
ng_log "case 5: interface removed; one loaded by hand is not in the file either"
ng_assume "5a load ngaq0 by hand" ngs load ngaq0
grep -v '^\[interface ngap0\]' "$C/two.conf" | grep -v '^direction' >"$C/three.conf"
rm "$C/allow.d/probe.list"
check_rc "5b apply: exit 0" 0 ngs apply "$C/three.conf"
cp "$NG_OUT" "$NG_TMP/three.out"
check_grep_case "5c ngap0 detached: not in the configuration" "$NG_TMP/three.out" '^ngap0: detached \(prog id'
check_grep_case "5d ngaq0 (loaded by hand) detached" "$NG_TMP/three.out" '^ngaq0: detached \(prog id'
check_eq "5e no XDP program on ngap0 and ngaq0, ngaw1 still protected" \
	"ngap0 xdp= tc=|ngaq0 xdp= tc=|attached" \
	"$(st_line 'ngap0 xdp')|$(st_line 'ngaq0 xdp')|$(st_line 'ngaw1 ingress' | cut -d' ' -f3)"
check_eq "5f the removed prefix file's entry is gone" \
	"allow 198.51.100.0/24 2001:db8:100::/48" "$(st_line allow)"
check_eq "5g monlist from 192.0.2.2 reaches the socket now (nothing on ngap0)" "100 100" \
	"$(flow 192.0.2.2 100)"

# =============================================================================
ng_log "case 6: an interface named but absent"
{ cat "$C/three.conf"; printf '[interface ngnone0]\ndirection = both\n'; } >"$C/four.conf"
check_rc "6a apply: exit 0 (a warning, not an error)" 0 ngs apply "$C/four.conf"
check_grep_case "6b ... the warning names the file, line and interface" "$NG_ERR" \
	"^ntpguard: warning: $C/four.conf:$(( $(wc -l <"$C/three.conf") + 1 )): \\[interface ngnone0\\]: no such interface; skipped"
check_grep_case "6c ... and nothing else changed" "$NG_OUT" '^nothing to change'

# =============================================================================
ng_log "case 7: invalid files are refused whole, naming file and line"
cp "$C/one.conf" "$C/good.conf"
printf '198.51.100.0/24\n' >"$C/allow.d/probe.list"
ng_assume "7a back to the first file" ngs apply "$C/good.conf"
S7=$(state)
# bad NAME LINE REGEX : the file $C/NAME is refused (exit 2) with an error
# at LINE matching REGEX, "nothing was changed", and the state is the same.
bad() {
	local name=$1 where=$2 re=$3
	check_rc "7 $name: exit 2" 2 ngs apply "$C/$name"
	check_grep_case "7 $name: names $where" "$NG_ERR" "^ntpguard: $where: $re"
	check_grep_case "7 $name: says nothing was changed" "$NG_ERR" 'nothing was changed$'
	check_eq "7 $name: state unchanged" "$S7" "$(state)"
}
mk() { # mk NAME : the good file with stdin appended
	{ cat "$C/good.conf"; cat; } >"$C/$1"
}
GL=$(wc -l <"$C/good.conf")
at() { grep -n -m1 -- "$1" "$C/good.conf" | cut -d: -f1; } # at REGEX : its line in good.conf
printf '[polcy]\n' | mk unknown-section.conf
bad unknown-section.conf "$C/unknown-section.conf:$((GL + 1))" 'unknown section \[polcy\]'
printf '[export]\nfoo = 1\n' | mk unknown-key.conf
bad unknown-key.conf "$C/unknown-key.conf:$((GL + 2))" "\\[export\\]: unknown key 'foo'"
sed 's/^mode6_request = drop/mode6_request = dorp/' "$C/good.conf" >"$C/bad-value.conf"
bad bad-value.conf "$C/bad-value.conf:$(at '^mode6_request = drop')" "mode6_request: 'dorp' is not drop, ratecap or pass"
sed 's/^track = on/trak = on/' "$C/good.conf" >"$C/bad-key.conf"
bad bad-key.conf "$C/bad-key.conf:$(at '^track = on')" "'trak': unknown policy key"
printf '[maps]\nmax_sources = 7\n' | mk bad-range.conf
bad bad-range.conf "$C/bad-range.conf:$((GL + 2))" "max_sources: '7' is not an integer in 16\\.\\.16777216"
printf '[maps]\nmax_reflectors = 2000000\n' | mk bad-range2.conf
bad bad-range2.conf "$C/bad-range2.conf:$((GL + 2))" "max_reflectors: '2000000' is not an integer in 16\\.\\.1048576"
printf '198.51.100.7/24\n' >"$C/hostbits.list"
sed 's|^file = allow.d/\*.list|file = hostbits.list|' "$C/good.conf" >"$C/hostbits.conf"
bad hostbits.conf "$C/hostbits.list:1" "'198.51.100.7/24' has host bits set \\(did you mean 198.51.100.0/24\\?\\)"
printf '192.0.2.9\n\n# a comment\n203.0.113.0/33\n' >"$C/badlen.list"
sed 's|^file = allow.d/\*.list|file = badlen.list|' "$C/good.conf" >"$C/badlen.conf"
bad badlen.conf "$C/badlen.list:4" "'203.0.113.0/33': prefix length must be 0..32"
printf 'not-an-address\n' >"$C/notaddr.list"
sed 's|^file = allow.d/\*.list|file = notaddr.list|' "$C/good.conf" >"$C/notaddr.conf"
bad notaddr.conf "$C/notaddr.list:1" "'not-an-address' is not an IPv4 or IPv6 address or prefix"
printf '192.0.2.9 192.0.2.10\n' >"$C/two-per-line.list"
sed 's|^file = allow.d/\*.list|file = two-per-line.list|' "$C/good.conf" >"$C/two-per-line.conf"
bad two-per-line.conf "$C/two-per-line.list:1" 'one prefix per line'
sed 's|^file = allow.d/\*.list|file = nosuch.list|' "$C/good.conf" >"$C/missing-file.conf"
bad missing-file.conf "$C/missing-file.conf:$(at '^file = allow.d')" "cannot read prefix file $C/nosuch.list: No such file or directory"
printf '[interface ngaq*]\n' | mk pattern-iface.conf
bad pattern-iface.conf "$C/pattern-iface.conf:$((GL + 1))" '\[interface ngaq\*\]: a pattern; interfaces that come and go are a \[watch ngaq\*\] section'
printf '[interface ngaq0]\ndirection = sideways\n' | mk bad-direction.conf
bad bad-direction.conf "$C/bad-direction.conf:$((GL + 2))" "direction: 'sideways' is not ingress, egress or both"
printf '[interface ngaq0]\nmode = turbo\n' | mk bad-mode.conf
bad bad-mode.conf "$C/bad-mode.conf:$((GL + 2))" "mode: 'turbo' is not auto, native or skb"
printf '[interface ngaq0]\nmode7_request = pass\n' | mk per-iface-policy.conf
bad per-iface-policy.conf "$C/per-iface-policy.conf:$((GL + 2))" '\[interface\]: per-interface policy is not supported yet'
printf '[policy]\nmonitor = on\n' | mk dup-section.conf
bad dup-section.conf "$C/dup-section.conf:$((GL + 1))" '\[policy\] was already given at line 7'
printf '[interface ngap0]\n' | mk dup-iface.conf
bad dup-iface.conf "$C/dup-iface.conf:$((GL + 1))" '\[interface ngap0\] was already given at line 2'
sed 's/^track = on/track = on\ntrack = off/' "$C/good.conf" >"$C/dup-key.conf"
bad dup-key.conf "$C/dup-key.conf:$(( $(at '^track = on') + 1 ))" "track was already set at line $(at '^track = on')"
{ echo 'mode7_request = pass'; cat "$C/good.conf"; } >"$C/outside.conf"
bad outside.conf "$C/outside.conf:1" "'mode7_request = pass' is outside any section"
printf '[interface a/b]\n' | mk bad-name.conf
bad bad-name.conf "$C/bad-name.conf:$((GL + 1))" "'a/b' is not an interface name"
printf '[policy\n' | mk bad-header.conf
bad bad-header.conf "$C/bad-header.conf:$((GL + 1))" 'a section header is \[NAME\]'
printf '[allow]\n' | mk dup-allow.conf
bad dup-allow.conf "$C/dup-allow.conf:$((GL + 1))" '\[allow\] was already given'
check_rc "7 a missing file: exit 2" 2 ngs apply "$C/nosuch.conf"
check_grep_case "7 ... says so" "$NG_ERR" "^ntpguard: $C/nosuch.conf: cannot read the configuration: No such file or directory"
check_eq "7 ... state unchanged" "$S7" "$(state)"
# several errors: every one is reported
printf '[polcy]\n[export]\ninterval = 0\n[interface a/b]\n' | mk many.conf
check_rc "7 many errors: exit 2" 2 ngs apply "$C/many.conf"
check_eq "7 ... each reported with its line" \
	"$C/many.conf:$((GL + 1))|$C/many.conf:$((GL + 3))|$C/many.conf:$((GL + 4))" \
	"$(sed -n 's/^ntpguard: \([^ ]*:[0-9]*\): .*/\1/p' "$NG_ERR" | paste -sd'|')"
check_grep_case "7 ... and counted" "$NG_ERR" "^ntpguard: $C/many.conf: 3 errors; nothing was changed"
# A file whose every entry is valid but which names a file with a bad line:
# the good entries of the prefix file are not added either.
printf '192.0.2.77\n192.0.2.78/33\n' >"$C/half.list"
sed 's|^file = allow.d/\*.list|file = half.list|' "$C/good.conf" >"$C/half.conf"
bad half.conf "$C/half.list:2" "'192.0.2.78/33': prefix length"
check_eq "7 ... the prefix file's good line was not added" "" "$(st_line allow | grep -o 192.0.2.77)"
# A duplicate is a warning, not an error.
printf '203.0.113.7\n' >"$C/allow.d/dup.list"
check_rc "7 a duplicated prefix: exit 0" 0 ngs apply "$C/good.conf"
check_grep_case "7 ... warned about, naming both places" "$NG_ERR" \
	"^ntpguard: warning: $C/allow.d/dup.list:1: 203.0.113.7/32 is also at $C/good.conf:$(at '^203.0.113.7'); listed once"
check_grep_case "7 ... and nothing to change" "$NG_OUT" '^nothing to change'
rm "$C/allow.d/dup.list"
# The help text ignores the file: not an apply
check_rc "7 apply with two files: usage error" 2 ngs apply "$C/good.conf" "$C/two.conf"
check_eq "7 ... state unchanged" "$S7" "$(state)"

# =============================================================================
ng_log "case 8: an explicit mode that differs is a detach and attach, said"
printf '[interface ngaq0]\nmode = skb\n' | mk mode.conf
check_rc "8a apply: exit 0" 0 ngs apply "$C/mode.conf"
check_eq "8b ngaq0 attached in skb mode" skb \
	"$(ngs status --json | ng_json "d['interfaces']['ngaq0']['mode']")"
sed 's/^mode = skb/mode = native/' "$C/mode.conf" >"$C/mode2.conf"
check_rc "8c --dry-run with mode = native" 0 ngs apply --dry-run "$C/mode2.conf"
check_grep_case "8d ... says it is not atomic" "$NG_OUT" '^ngaq0: move ingress from skb to native mode \(detach and attach'
check_rc "8e apply" 0 ngs apply "$C/mode2.conf"
check_eq "8f ngaq0 now native" native \
	"$(ngs status --json | ng_json "d['interfaces']['ngaq0']['mode']")"

# =============================================================================
ng_log "case 9: watch --config attaches what appears: [watch] and [interface] names"
printf '[interface ngwl0]\ndirection = both\n' | mk watch.conf
check_rc "9a apply (ngwl0 absent: skipped)" 0 ngs apply "$C/watch.conf"
ng_bg watch ns srv "$NG" watch --config "$C/watch.conf"
WPID=$NG_BG_PID
ng_wait_for 10 grep -q 'watching interfaces of' "$NG_TMP/watch.log"
check_grep_case "9b watch logs the names and patterns of the file" "$NG_TMP/watch.log" \
	'watching interfaces of .*watch.conf: ngap0 \(both, auto\), ngwl0 \(both, auto\), ngaw\* \(ingress, auto\) \(pins in'
ns srv ip link add ngaw7 type veth peer name ngax7
ns srv ip link add ngwl0 type veth peer name ngwl1
ns srv ip link set ngaw7 up
ns srv ip link set ngwl0 up
recs() { ngs status --json | ng_json "' '.join(sorted(k + ':' + v['state'] + (':egress' if 'egress' in v and v['egress']['state'] == 'attached' else '') for k, v in d['interfaces'].items() if k in ('ngaw7', 'ngwl0')))"; }
for _ in $(seq 100); do
	[ "$(recs)" = "ngaw7:attached ngwl0:attached:egress" ] && break
	sleep 0.1
done
check_eq "9c the pattern's new interface and the named one are attached (ngwl0 in both directions)" \
	"ngaw7:attached ngwl0:attached:egress" "$(recs)"
printf '[watch ngzz*]\n' >>"$C/watch.conf"
kill -HUP "$WPID"
ng_wait_for 10 grep -q 'read again' "$NG_TMP/watch.log"
ns srv ip link add ngzz1 type veth peer name ngzz2
# "rescan" if the rescan after that line already sees it
ng_wait_for 10 sh -c "grep -Eq '(new|rescan) ngzz1 .*attached' '$NG_TMP/watch.log'"
check_grep_case "9d SIGHUP reads the file again: a new pattern's interface is attached" \
	"$NG_TMP/watch.log" '(new|rescan) ngzz1 \(ifindex [0-9]+\): ngzz1: attached'
printf '[polcy]\n' >>"$C/watch.conf"
kill -HUP "$WPID"
ng_wait_for 10 grep -q 'keeping the previous configuration' "$NG_TMP/watch.log"
check_grep_case "9e a file with an error is logged and the previous one kept" "$NG_TMP/watch.log" \
	"SIGHUP: $C/watch.conf has errors, keeping the previous configuration: .*unknown section"
check "9f watch is still running" kill -0 "$WPID"
ng_stop "$WPID"
check_rc "9g watch --config with --egress: usage error" 2 ngs watch --config "$C/good.conf" --egress
check_rc "9h watch --config on a bad file: exit 2" 2 ngs watch --config "$C/many.conf"

# =============================================================================
ng_log "case 10: export --config"
mkdir -p "$NG_TMP/prom"
printf '[export]\ndir = %s\ninterval = 5\n' "$NG_TMP/prom" | mk export.conf
check_rc "10a export --config --once: exit 0" 0 ngs export --config "$C/export.conf" --once
check_grep_case "10b ... wrote the file in the [export] dir" "$NG_TMP/prom/ntpguard.prom" '^ntpguard_loaded 1$'
check_rc "10c export --config with --dir: usage error" 2 ngs export --config "$C/export.conf" --dir /tmp
check_rc "10d export --config on a bad file: exit 2" 2 ngs export --config "$C/many.conf" --once

check "cleanup: unload --all" ngs unload --all
ng_summary
