#!/bin/bash
# tests/cli.sh - build/ntpguard's command line: every documented error, bad
# arguments, --help, and "a failed command changes nothing".
#
# Runs in a private network namespace (ngt<pid>-c) with a veth pair and a
# device without native XDP (dummy, or ifb where the kernel has no dummy
# driver), against a private bpffs (NTPGUARD_BPFFS), so a real install's
# /sys/fs/bpf/ntpguard is never touched.
#
#   tests/cli.sh                prints "N passed, N failed", exit 1 on failure
#   NG_KEEP_TMP=1               keep the temp dir
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ng_require_root
ng_require_bin ip nsenter unshare setpriv capsh bpftool "$NG_PY" "$NTPGUARD"

NG=$NTPGUARD
# Someone else's XDP program: xdp-filter's "allow all" object from libxdp1
# (section "xdp"), in this machine's multiarch directory.
FOREIGN_OBJ=/usr/lib/$(gcc -print-multiarch)/bpf/xdpfilt_alw_all.o
[ -r "$FOREIGN_OBJ" ] || ng_die "missing $FOREIGN_OBJ (package libxdp1; scripts/deps.sh)"
ng_setup_bpffs

ng_ns_add c
if ns c ip link add dum0 type dummy 2>/dev/null; then
	NOXDP_KIND=dummy
else
	# loaded on demand, ifb would also create ifb0 and ifb1 in the host's
	# own namespace: load it without them
	[ -d /sys/module/ifb ] || modprobe ifb numifbs=0 2>/dev/null
	ns c ip link add dum0 type ifb || ng_die "cannot create a dummy or ifb device"
	NOXDP_KIND=ifb
fi
ns c ip link set dum0 up
ns c ip link add ve0 type veth peer name ve1
ns c ip link set ve0 up
ns c ip link set ve1 up
ng_log "device without native XDP: dum0 ($NOXDP_KIND)"

ngc() { ns c "$NG" "$@"; }
xdp_id() { ng_xdp_prog_id c "$1"; }
# The observable state: allow-list, attachments, XDP programs on our devices.
state() {
	printf 'allow=%s\nstatus=%s\nxdp=%s/%s/%s\n' \
		"$(ngc allow list --json 2>/dev/null)" \
		"$(ngc status --json 2>/dev/null)" \
		"$(xdp_id dum0)" "$(xdp_id ve0)" "$(xdp_id ve1)"
}

# err NAME RC REGEX CMD... : CMD exits RC, stderr's first line starts
# "ntpguard: " and a "ntpguard: " line matches REGEX (case-sensitive: the
# usage text that follows cannot satisfy it), stdout is empty; for RC 2
# stderr also carries the usage line (except for bad allow-list values:
# errv); the state is unchanged.
err() {
	local name=$1 rc=$2 re=$3 before after
	shift 3
	before=$(state)
	check_rc "$name: exit $rc" "$rc" "$@" || return
	cp "$NG_ERR" "$NG_TMP/err.last"
	cp "$NG_OUT" "$NG_TMP/out.last"
	check_eq "$name: first stderr line is a 'ntpguard: ' message" yes \
		"$(head -n 1 "$NG_TMP/err.last" | grep -q '^ntpguard: ' && echo yes || echo no)"
	check_line "$name: says what is wrong" "$NG_TMP/err.last" "$re"
	if [ "$rc" = 2 ] && [ "${NO_USAGE_HINT:-0}" = 0 ]; then
		check_grep_case "$name: usage line" "$NG_TMP/err.last" '^usage: ntpguard '
	fi
	check_eq "$name: nothing on stdout" "" "$(cat "$NG_TMP/out.last")"
	after=$(state)
	check_eq "$name: state unchanged" "$before" "$after"
}
# errv: err for a bad value (a CIDR): the contract asks for a clear message,
# a non-zero exit and nothing applied, not for a usage text.
errv() { NO_USAGE_HINT=1 err "$@"; }

# =============================================================================
ng_log "--help"
for cmd in "" load unload status allow "allow add" "allow del" "allow list" stats; do
	# shellcheck disable=SC2086
	check_rc "help: ntpguard $cmd --help exits 0" 0 ngc $cmd --help
	check_grep "help: ntpguard $cmd --help prints usage on stdout" "$NG_OUT" \
		"^usage: ntpguard ${cmd%% *}"
	check_eq "help: ntpguard $cmd --help: stderr empty" "" "$(cat "$NG_ERR")"
done
check_rc "help: -h works too" 0 ngc load -h
check_rc "version: --version exits 0" 0 ngc --version
check_grep "version: prints a version" "$NG_OUT" '^ntpguard [^ ]+'

# =============================================================================
ng_log "usage errors (exit 2), nothing loaded"
UNKNOWN_OPT="unknown option, or option without its value: '--frobnicate'"
err "no command" 2 '^ntpguard: no command given$' ngc
err "unknown command" 2 "^ntpguard: unknown command 'frobnicate'$" ngc frobnicate
err "unknown global option" 2 "^ntpguard: unknown option '--frobnicate'$" ngc --frobnicate status
err "load: unknown option" 2 "$UNKNOWN_OPT" ngc load --frobnicate ve0
err "status: unknown option" 2 "$UNKNOWN_OPT" ngc status --frobnicate
err "stats: unknown option" 2 "$UNKNOWN_OPT" ngc stats --frobnicate
err "unload: unknown option" 2 "$UNKNOWN_OPT" ngc unload --frobnicate ve0
err "allow list: unknown option" 2 "$UNKNOWN_OPT" ngc allow list --frobnicate
err "load: no interface" 2 '^ntpguard: load: no interface given$' ngc load
err "load: --mode without value" 2 "option without its value: '--mode'" ngc load --mode
err "load: --mode bogus" 2 "^ntpguard: --mode: 'bogus' is not native or skb$" \
	ngc load --mode bogus ve0
err "unload: no interface" 2 '^ntpguard: unload: no interface given' ngc unload
err "unload: interfaces and --all" 2 'unload: give interfaces or --all, not both' \
	ngc unload --all ve0
err "status: stray argument" 2 "^ntpguard: status: unexpected argument 'foo'$" ngc status foo
err "stats: stray argument" 2 "^ntpguard: stats: unexpected argument 'foo'$" ngc stats foo
err "allow: no subcommand" 2 '^ntpguard: allow: missing subcommand \(add, del or list\)$' ngc allow
err "allow: unknown subcommand" 2 "^ntpguard: allow: unknown subcommand 'frob'$" ngc allow frob
err "allow add: no CIDR" 2 '^ntpguard: allow add: no CIDR given$' ngc allow add
err "allow del: no CIDR" 2 '^ntpguard: allow del: no CIDR given$' ngc allow del
err "allow list: stray argument" 2 "^ntpguard: allow list: unexpected argument 'extra'$" \
	ngc allow list extra
# An option after the interface is honoured (getopt permutes), not taken
# for an interface name.
check_rc "load ve0 --mode skb: exit 0" 0 ngc load ve0 --mode skb
check_grep_case "load ve0 --mode skb: the option is honoured (skb mode)" "$NG_OUT" \
	'^ve0: attached \(skb mode'
check_eq "load ve0 --mode skb: nothing on stderr" "" "$(cat "$NG_ERR")"
check_eq "load ve0 --mode skb: status says skb" skb \
	"$(ngc status --json | ng_json "d['interfaces']['ve0']['mode']")"
check "unload --all after it" ngc unload --all
check_not "... no pins left" test -e "$NG_PIN_DIR"

# =============================================================================
ng_log "runtime errors (exit 1)"
NOT_LOADED='^ntpguard: ntpguard is not loaded \(no pins in .*/ntpguard\); run `ntpguard load IFACE` first$'
err "load: unknown interface" 1 '^ntpguard: no such interface: nosuch0$' ngc load nosuch0
err "load: unknown interface among known ones" 1 '^ntpguard: no such interface: nosuch0$' \
	ngc load ve0 nosuch0
err "allow list while not loaded" 1 "$NOT_LOADED" ngc allow list
err "allow add while not loaded" 1 "$NOT_LOADED" ngc allow add 198.51.100.0/24
err "stats while not loaded" 1 "$NOT_LOADED" ngc stats
err "unload while not loaded" 1 "$NOT_LOADED" ngc unload ve0
check_rc "status while not loaded exits 0" 0 ngc status --json
check_eq "status while not loaded: loaded false" false "$(ng_json "d['loaded']" <"$NG_OUT")"

# A refused load must not leave pins behind either.
err "load --mode native on $NOXDP_KIND" 1 '^ntpguard: dum0: the driver has no native XDP support' \
	ngc load --mode native dum0
# keep later checks independent of a failure here: drop leftover pins
# (our private bpffs only)
[ -d "$NG_PIN_DIR" ] && rm -rf "$NG_PIN_DIR"

# Someone else's XDP program, attached without libxdp (legacy, generic mode).
# TC_BPF_MNT: iproute2 pins the object's maps in our private bpffs, not in
# the system's /sys/fs/bpf.
ns c env TC_BPF_MNT="$NG_BPFFS_MNT" ip link set dev ve0 xdpgeneric obj "$FOREIGN_OBJ" sec xdp ||
	ng_die "cannot attach $FOREIGN_OBJ"
FOREIGN=$(xdp_id ve0)
FOREIGN_RE="^ntpguard: ve0: another XDP program \([a-z_]+, id $FOREIGN\) is attached without libxdp's dispatcher"
err "load over a foreign XDP program" 1 "$FOREIGN_RE" ngc load ve0
err "load --mode skb over a foreign XDP program" 1 "$FOREIGN_RE" ngc load --mode skb ve0
err "load --mode native over a foreign XDP program" 1 "$FOREIGN_RE" ngc load --mode native ve0
check_eq "foreign program still attached" "$FOREIGN" "$(xdp_id ve0)"
check_not "no pins created by the refused loads" test -e "$NG_PIN_DIR/ng_ifaces"
ns c ip link set dev ve0 xdpgeneric off

# Unprivileged.
PERM='^ntpguard: permission denied: run as root \(needs CAP_BPF or CAP_SYS_ADMIN'
err "load as nobody (setpriv)" 1 "$PERM" \
	ns c setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$NG" load ve0
err "status as nobody (setpriv)" 1 "$PERM" \
	ns c setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$NG" status
err "load without CAP_BPF/SYS_ADMIN/NET_ADMIN (capsh)" 1 "$PERM" \
	ns c capsh --drop=cap_bpf,cap_sys_admin,cap_net_admin -- -c "exec $NG load ve0"
err "allow add without CAP_BPF/SYS_ADMIN (capsh)" 1 "$PERM" \
	ns c capsh --drop=cap_bpf,cap_sys_admin,cap_net_admin -- -c \
	"exec $NG allow add 198.51.100.0/24"

# Kernel without BTF, simulated by hiding /sys/kernel/btf in a mount namespace.
err "load on a kernel without BTF" 1 '^ntpguard: kernel without BTF \(/sys/kernel/btf/vmlinux is missing\)' \
	ns c unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec $NG load ve0"

# bpffs not mounted: NTPGUARD_BPFFS is a plain tmpfs in a private mount ns.
PLAIN=$NG_TMP/plain
mkdir -p "$PLAIN"
cat >"$NG_TMP/nobpffs.sh" <<EOF
set -u
export NTPGUARD_BPFFS=$PLAIN LIBXDP_BPFFS=$PLAIN
mount -t tmpfs none $PLAIN || exit 99
step() { echo "== \$*"; "\$@"; echo "rc=\$?"; }
step $NG status
step $NG status --json
step $NG load ve0
step $NG status --json
step $NG unload ve0
step $NG status --json
EOF
ns c unshare -m bash "$NG_TMP/nobpffs.sh" >"$NG_TMP/nobpffs.out" 2>&1
awk '/^== /{n++} {print > ("'"$NG_TMP"'/nobpffs." n)}' "$NG_TMP/nobpffs.out"
f=$NG_TMP/nobpffs
check_grep "no bpffs: status exits 1" "$f.1" '^rc=1$'
check_grep "no bpffs: status says bpffs is not mounted" "$f.1" '^ntpguard: .*(bpffs|bpf).*not mounted'
check_grep "no bpffs: status --json exits 1 too" "$f.2" '^rc=1$'
check_grep "no bpffs: load exits 0" "$f.3" '^rc=0$'
check_grep "no bpffs: load says it mounted bpffs" "$f.3" 'mount'
check_grep "no bpffs: load attached ve0" "$f.3" '^ve0: attached'
check_grep "no bpffs: status then shows ve0 attached" "$f.4" '"state": "attached"'
check_grep "no bpffs: pins were in the mounted dir" "$f.4" "\"pin_dir\": \"$PLAIN/ntpguard\""
check_grep "no bpffs: unload exits 0" "$f.5" '^rc=0$'
check_eq "no bpffs: nothing left on ve0" "" "$(xdp_id ve0)"
check "no bpffs: our own bpffs untouched" test ! -e "$NG_PIN_DIR"

# =============================================================================
ng_log "load and default-mode fallback"
check "load dum0 (default mode)" ngc load dum0
check_grep "load dum0: falls back to skb mode" "$NG_OUT" '^dum0: attached \(skb mode'
check "load ve0" ngc load ve0
check_grep "load ve0: native mode" "$NG_OUT" '^ve0: attached \(native mode'
check_grep "load ve0: names the attach path" "$NG_OUT" 'legacy attach|dispatcher'
check_grep "load ve0: prints the prog id" "$NG_OUT" 'prog id [0-9]+'
VE0_PROG=$(xdp_id ve0)
check_rc "load ve0 again exits 0" 0 ngc load ve0
check_grep "load ve0 again: already protected" "$NG_OUT" '^ve0: already protected'
check_eq "load ve0 again: same program" "$VE0_PROG" "$(xdp_id ve0)"
check "status --json" ngc status --json
cp "$NG_OUT" "$NG_TMP/status.json"
SJ() { ng_json "$1" <"$NG_TMP/status.json"; }
check_eq "status: loaded" true "$(SJ "d['loaded']")"
check_eq "status: pin_dir" "$NG_PIN_DIR" "$(SJ "d['pin_dir']")"
check_eq "status: dum0" "attached skb ingress" \
	"$(SJ "' '.join(d['interfaces']['dum0'][k] for k in ('state','mode','direction'))")"
check_eq "status: ve0" "attached native ingress $VE0_PROG" \
	"$(SJ "' '.join(str(d['interfaces']['ve0'][k]) for k in ('state','mode','direction','prog_id'))")"
check_eq "status: attach path is dispatcher or legacy" ok \
	"$(SJ "'ok' if all(i['attach'] in ('dispatcher','legacy') for i in d['interfaces'].values()) else 'bad'")"
check_eq "status: ifindex is the real one" \
	"$(ns c ip -j link show dev ve0 | ng_json "d[0]['ifindex']")" \
	"$(SJ "d['interfaces']['ve0']['ifindex']")"
check_eq "status: allow counts" '{"ipv4": 0, "ipv6": 0}' "$(SJ "d['allow']")"

# Pins: every pinned object 0600 and the pin directory 0700, owned by root;
# one pin per map of the BPF object (named in its skeleton: ng_*).
MAPS=$(grep -o 'struct bpf_map \*ng_[a-z0-9_]*' "$NG_ROOT/build/ntpguard.skel.h" | sed 's/.*\*//' | sort -u)
PIN_PERMS="d 700 root ntpguard|$(printf 'f 600 root %s|' $MAPS | sed 's/|$//')"
perms() { find "$NG_PIN_DIR" -printf '%y %m %u %f\n' | sort | paste -sd'|'; }
check_eq "pin dir 0700, every pinned map 0600, owned by root" "$PIN_PERMS" "$(perms)"

check "stats --json" ngc stats --json
cp "$NG_OUT" "$NG_TMP/stats.json"
for r in ntp_passed mode7_request_dropped mode7_request_allowed \
	mode7_response_oversized mode7_response_passed fragment_dropped \
	fragment_passed malformed; do
	check_eq "stats: ve0 has reason $r (packets, bytes)" "int int" \
		"$(ng_json "' '.join(type(d['interfaces']['ve0']['reasons']['$r'][k]).__name__ for k in ('packets','bytes'))" <"$NG_TMP/stats.json")"
done
check_eq "stats: modes" "skb native" \
	"$(ng_json "d['interfaces']['dum0']['mode'] + ' ' + d['interfaces']['ve0']['mode']" <"$NG_TMP/stats.json")"

# =============================================================================
ng_log "allow-list: validation; a failed command applies nothing"
check "allow add 198.51.100.0/24" ngc allow add 198.51.100.0/24
check_eq "allow add: says what it added" "allowed 198.51.100.0/24" "$(cat "$NG_OUT")"
check "allow add 2001:db8:1::/48 (IPv6)" ngc allow add 2001:db8:1::/48
check "allow add 203.0.113.7 (bare address)" ngc allow add 203.0.113.7
check_eq "allow add 203.0.113.7: added as a /32" "allowed 203.0.113.7/32" "$(cat "$NG_OUT")"
check "allow add 2001:db8::7 (bare address)" ngc allow add 2001:db8::7
check_eq "allow add 2001:db8::7: added as a /128" "allowed 2001:db8::7/128" "$(cat "$NG_OUT")"
check "allow list (text)" ngc allow list
check_eq "allow list (text): one sorted prefix per line" \
	"198.51.100.0/24 203.0.113.7/32 2001:db8::7/128 2001:db8:1::/48" "$(tr '\n' ' ' <"$NG_OUT" | sed 's/ $//')"
check "allow list --json" ngc allow list --json
check_eq "allow list --json content" \
	'{"ipv4": ["198.51.100.0/24", "203.0.113.7/32"], "ipv6": ["2001:db8:1::/48", "2001:db8::7/128"]}' \
	"$(ng_json "{'ipv4': sorted(d['ipv4']), 'ipv6': sorted(d['ipv6'])}" <"$NG_OUT")"
check_eq "status: allow counts follow" '{"ipv4": 2, "ipv6": 2}' \
	"$(ngc status --json | ng_json "d['allow']")"

NOT_ADDR="is not an IPv4 or IPv6 address or prefix$"
errv "allow add 300.1.1.1" 2 "^ntpguard: '300\.1\.1\.1' $NOT_ADDR" ngc allow add 300.1.1.1
errv "allow add 198.51.100.1/24 (host bits)" 2 \
	"^ntpguard: '198\.51\.100\.1/24' has host bits set \(did you mean 198\.51\.100\.0/24\?\)$" \
	ngc allow add 198.51.100.1/24
errv "allow add 198.51.100.0/33" 2 "^ntpguard: '198\.51\.100\.0/33': prefix length must be 0\.\.32$" \
	ngc allow add 198.51.100.0/33
errv "allow add ::1/129" 2 "^ntpguard: '::1/129': prefix length must be 0\.\.128$" ngc allow add ::1/129
errv "allow add 2001:db8::1/64 (host bits)" 2 \
	"^ntpguard: '2001:db8::1/64' has host bits set \(did you mean 2001:db8::/64\?\)$" \
	ngc allow add 2001:db8::1/64
errv "allow add bogus" 2 "^ntpguard: 'bogus' $NOT_ADDR" ngc allow add bogus
errv "allow add ''" 2 "^ntpguard: '' $NOT_ADDR" ngc allow add ''
errv "allow add 198.51.100.0/" 2 "^ntpguard: '198\.51\.100\.0/': prefix length must be 0\.\.32$" \
	ngc allow add 198.51.100.0/
errv "allow add /24" 2 "^ntpguard: '/24' $NOT_ADDR" ngc allow add /24
errv "allow add 198.51.100.0/24x" 2 "^ntpguard: '198\.51\.100\.0/24x': prefix length must be 0\.\.32$" \
	ngc allow add 198.51.100.0/24x
errv "allow add 1.2.3" 2 "^ntpguard: '1\.2\.3' $NOT_ADDR" ngc allow add 1.2.3
errv "allow add valid + bogus adds nothing" 2 "^ntpguard: 'bogus' $NOT_ADDR" \
	ngc allow add 192.0.2.0/24 bogus
errv "allow add bogus + valid adds nothing" 2 "^ntpguard: 'bogus' $NOT_ADDR" \
	ngc allow add bogus 192.0.2.0/24
errv "allow add X X (twice in one command)" 2 "^ntpguard: '192\.0\.2\.0/24' is given twice$" \
	ngc allow add 192.0.2.0/24 192.0.2.0/24
errv "allow add a b a (twice, IPv6 spellings)" 2 "^ntpguard: '2001:DB8:2::1/128' is given twice$" \
	ngc allow add 2001:db8:2::1 192.0.2.0/24 2001:DB8:2::1/128
# The first argument that is wrong is named: of two repeats the earlier
# second occurrence (the check sorts the arguments), a repeat before a bad
# address, a bad address before a repeat.
errv "allow add a b c b a: the first repeat" 2 "^ntpguard: '192\.0\.2\.2' is given twice$" \
	ngc allow add 192.0.2.9 192.0.2.2 192.0.2.5 192.0.2.2 192.0.2.9
errv "allow add a a bogus: the repeat first" 2 "^ntpguard: '192\.0\.2\.9' is given twice$" \
	ngc allow add 192.0.2.9 192.0.2.9 bogus
errv "allow add a bogus a: the bad address first" 2 "^ntpguard: 'bogus' $NOT_ADDR" \
	ngc allow add 192.0.2.9 bogus 192.0.2.9
# Refused against the map's content: the entry named, and "nothing was changed".
err "allow add existing entry" 1 '^ntpguard: 198\.51\.100\.0/24 is already on the allow-list$' \
	ngc allow add 198.51.100.0/24
check_line "allow add existing entry: says nothing was changed" "$NG_TMP/err.last" \
	'^ntpguard: nothing was changed$'
err "allow add new + existing adds nothing" 1 '^ntpguard: 198\.51\.100\.0/24 is already on the allow-list$' \
	ngc allow add 192.0.2.0/24 198.51.100.0/24
check_line "allow add new + existing: says nothing was changed" "$NG_TMP/err.last" \
	'^ntpguard: nothing was changed$'
err "allow add existing, other spelling (/32)" 1 '^ntpguard: 203\.0\.113\.7/32 is already on the allow-list$' \
	ngc allow add 203.0.113.7/32
err "allow add existing IPv6, other spelling" 1 '^ntpguard: 2001:db8::7/128 is already on the allow-list$' \
	ngc allow add 2001:DB8:0::7/128
err "allow del absent entry" 1 '^ntpguard: 192\.0\.2\.0/24 is not on the allow-list$' \
	ngc allow del 192.0.2.0/24
err "allow del present + absent deletes nothing" 1 '^ntpguard: 192\.0\.2\.0/24 is not on the allow-list$' \
	ngc allow del 198.51.100.0/24 192.0.2.0/24
check_line "allow del present + absent: says nothing was changed" "$NG_TMP/err.last" \
	'^ntpguard: nothing was changed$'
errv "allow del X X (twice in one command)" 2 "^ntpguard: '198\.51\.100\.0/24' is given twice$" \
	ngc allow del 198.51.100.0/24 198.51.100.0/24
errv "allow del host bits" 2 "^ntpguard: '198\.51\.100\.1/24' has host bits set" \
	ngc allow del 198.51.100.1/24
err "allow del a shorter prefix of an entry" 1 '^ntpguard: 198\.51\.100\.0/23 is not on the allow-list$' \
	ngc allow del 198.51.100.0/23

check "allow del 198.51.100.0/24 203.0.113.7 2001:db8::7" \
	ngc allow del 198.51.100.0/24 203.0.113.7 2001:db8::7
check_eq "allow del: says what it removed" \
	"removed 198.51.100.0/24 removed 203.0.113.7/32 removed 2001:db8::7/128" "$(tr '\n' ' ' <"$NG_OUT" | sed 's/ $//')"
check_eq "allow list after del" '{"ipv4": [], "ipv6": ["2001:db8:1::/48"]}' \
	"$(ngc allow list --json | ng_json "{'ipv4': sorted(d['ipv4']), 'ipv6': sorted(d['ipv6'])}")"
# The data plane skips a family's trie while ng_allow_used says it is empty.
used() { bpftool -j map lookup pinned "$NG_PIN_DIR/ng_allow_used" key "$1" 0 0 0 |
	ng_json "int.from_bytes(bytes(int(x, 16) for x in d['value']), 'little')"; }
check_eq "ng_allow_used: IPv4 lowered once its trie is empty" 0 "$(used 0)"
check_eq "ng_allow_used: IPv6 still raised" 1 "$(used 1)"

# =============================================================================
ng_log "unload"
ns c env TC_BPF_MNT="$NG_BPFFS_MNT" ip link set dev ve1 xdpgeneric obj "$FOREIGN_OBJ" sec xdp ||
	ng_die "cannot attach $FOREIGN_OBJ"
FOREIGN=$(xdp_id ve1)
err "unload an interface ntpguard did not attach" 1 '^ntpguard: ve1: not attached by ntpguard$' ngc unload ve1
err "unload an unknown interface" 1 '^ntpguard: nosuch0: not attached by ntpguard$' ngc unload nosuch0
check_eq "foreign program on ve1 untouched" "$FOREIGN" "$(xdp_id ve1)"
DUM_PROG=$(xdp_id dum0)
check "unload dum0" ngc unload dum0
check_eq "unload dum0: says which program it detached" "dum0: detached (prog id $DUM_PROG)" "$(cat "$NG_OUT")"
check_eq "dum0 has no XDP program" "" "$(xdp_id dum0)"
check "pins kept while ve0 is attached" test -d "$NG_PIN_DIR"
check_eq "status: dum0 kept as detached" detached \
	"$(ngc status --json | ng_json "d['interfaces'].get('dum0', {}).get('state')")"
check "unload dum0 again: forgets it" ngc unload dum0
check_grep "unload dum0 again: says so" "$NG_OUT" 'dum0: forgotten'
check_eq "status: dum0 forgotten" null \
	"$(ngc status --json | ng_json "d['interfaces'].get('dum0')")"
VE0_PROG=$(xdp_id ve0)
check "unload --all --keep-maps" ngc unload --all --keep-maps
check_eq "unload --all --keep-maps: detached ve0, kept the pins (said nothing about them)" \
	"ve0: detached (prog id $VE0_PROG)" "$(cat "$NG_OUT")"
check_eq "ve0 has no XDP program" "" "$(xdp_id ve0)"
check_eq "--all left the foreign program on ve1" "$FOREIGN" "$(xdp_id ve1)"
check "--keep-maps kept the pins" test -d "$NG_PIN_DIR"
check "load ve0 again" ngc load ve0
check_grep_case "load ve0 again: attached (on the kept maps)" "$NG_OUT" '^ve0: attached \(native mode'
check_eq "allow-list survived unload --keep-maps" '{"ipv4": [], "ipv6": ["2001:db8:1::/48"]}' \
	"$(ngc allow list --json | ng_json "{'ipv4': sorted(d['ipv4']), 'ipv6': sorted(d['ipv6'])}")"
VE0_PROG=$(xdp_id ve0)
check "unload --all" ngc unload --all
check_eq "unload --all: no error output" "" "$(cat "$NG_ERR")"
check_eq "unload --all: says what it did" \
	"ve0: detached (prog id $VE0_PROG)|removed pins in $NG_PIN_DIR (nothing attached any more)" \
	"$(paste -sd'|' "$NG_OUT")"
check_eq "unload --all: ve0 has no XDP program" "" "$(xdp_id ve0)"
check_eq "unload --all: foreign program on ve1 still there" "$FOREIGN" "$(xdp_id ve1)"
check_not "unload --all: pins dir removed" test -e "$NG_PIN_DIR"
check_eq "status: not loaded" false "$(ngc status --json | ng_json "d['loaded']")"
ns c ip link set dev ve1 xdpgeneric off

# The same modes when ntpguard runs with umask 000 (nothing made wider).
check "load ve0 with umask 000" ns c sh -c "umask 000; exec $NG load ve0"
check_eq "umask 000: pin dir 0700, pinned maps 0600" "$PIN_PERMS" "$(perms)"
check "unload --all (umask 000)" ngc unload --all

ng_summary
