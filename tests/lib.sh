# tests/lib.sh - helpers for ntpguard's shell tests. Source it; needs bash.
#
#   ng_require_root / ng_require_bin      stop (exit 1, with the reason) if the
#                                         script cannot run here
#   ng_setup_bpffs                        private bpffs; exports NTPGUARD_BPFFS
#                                         and LIBXDP_BPFFS (never /sys/fs/bpf)
#   ng_ns_add NAME / ns NAME cmd...       network namespaces "${NG_PFX}NAME"
#   ng_veth NS1 IF1 NS2 IF2               veth pair created directly inside
#                                         the namespaces (root netns untouched)
#   ng_bg NAME cmd...                     background process, killed at exit
#   ng_stop PID / ng_stop_pids PID...     TERM, KILL after 2 s (scripts/lifecycle.sh)
#   check NAME cmd...                     pass when cmd exits 0
#   check_not NAME cmd...                 pass when cmd exits non-zero
#   check_eq NAME expected actual         pass when equal
#   check_rc NAME RC cmd...               pass when cmd exits RC; its output is
#                                         kept in $NG_OUT / $NG_ERR (files)
#   check_grep NAME FILE REGEX            pass when FILE has a matching line
#                                         (case-insensitive)
#   check_grep_case NAME FILE REGEX       the same, case-sensitive
#   check_ge NAME MIN ACTUAL              pass when ACTUAL >= MIN (integers)
#   check_within NAME VALUE LO HI         pass when LO <= VALUE <= HI (numbers)
#   check_line NAME FILE REGEX            pass when a line of FILE starting
#                                         "ntpguard: " matches REGEX
#                                         (extended, case-sensitive)
#   skip NAME why                         counted and shown, never a pass
#   ng_assume NAME cmd...                 a harness precondition (the test
#   ng_assume_eq NAME expected actual     set-up did what it should): shown,
#                                         counted apart, never as a pass; a
#                                         failure counts as a failure
#   ng_wait_for SECONDS cmd...            poll (0.1 s) until cmd succeeds
#   ng_mac NS IFACE / ng_neigh NS ADDR MAC IFACE
#                                         MAC address; permanent neighbour
#   ng_cap_start NS IFACE FILTER MNS MDST capture (tcpdump) on NS IFACE; MNS
#                                         sends UDP markers to MDST:9 through
#                                         it: returns once a marker is seen
#   ng_cap_stop                           end marker seen, then stop; the
#                                         capture must have lost nothing
#   ng_cap_count [FILTER]                 packets of the last capture (markers
#                                         excluded), "?" when it was lossy
#   ng_snap NS FILE                       stats --json of NS into FILE
#   ng_stat FILE IFACE REASON [FIELD] [DIR]   one counter (DIR ingress|egress|all)
#   ng_delta OLD NEW IFACE REASON [FIELD] [DIR] NEW - OLD of one counter
#   ng_wait_stat SECS NS IFACE REASON WANT [FIELD] [DIR]
#                                         poll stats until the counter reaches
#                                         WANT (then compare it exactly)
#   ng_one_cpu                            one CPU this process may run on
#   ng_ntpsec_version                     upstream version of the ntpsec
#                                         package deps.sh unpacked (1.2.2)
#   ng_nmap XMLFILE EXPR                  evaluate EXPR on nmap's XML report
#                                         (port_state, script, addrs)
#   ng_json EXPR < json                   eval EXPR on the parsed input (d)
#   ng_xdp_prog_id NS IFACE               id of the XDP program on IFACE, or ""
#   ng_flow_end PID OUT                   an ngflow server has seen the end
#                                         mark and written OUT (a barrier)
#   ng_summary                            prints "N passed, N failed, N skipped";
#                                         returns
#                                         non-zero when anything failed
#   ng_fatal MSG                          stop here: MSG on stderr, then the
#                                         summary with this as one more failure
#
# Everything this run creates carries the prefix ngt<pid>- (NG_TAG<pid>- when
# the suite sets NG_TAG before sourcing) and is removed by
# the EXIT/INT/TERM trap: only our namespaces, only pids we started, only our
# bpffs mount and temp dir. Addresses used by the tests are documentation
# ranges only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).

NG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NTPGUARD=${NTPGUARD:-$NG_ROOT/build/ntpguard}
NG_SYSROOT=${NG_SYSROOT:-$NG_ROOT/build/sysroot}
NG_PY=/usr/bin/python3 # Debian's python3: scapy and python3-ntp live there
# shellcheck source=scripts/lifecycle.sh
. "$NG_ROOT/scripts/lifecycle.sh"
NG_PFX="${NG_TAG:-ngt}$$-"

NG_PASS=0
NG_FAIL=0
NG_SKIP=0
NG_HARNESS=0
NG_FAILED_NAMES=()
NG_NETNS=()  # full names of namespaces we created
NG_PIDS=()   # pids we started
NG_BPFFS_MNT=
NG_TMP=$(mktemp -d "/tmp/${NG_PFX}XXXXXX")
NG_OUT=$NG_TMP/out
NG_ERR=$NG_TMP/err
: >"$NG_OUT"
: >"$NG_ERR"

if [ -t 1 ]; then
	NG_C_OK=$'\e[32m' NG_C_BAD=$'\e[31m' NG_C_SKIP=$'\e[33m' NG_C_OFF=$'\e[0m'
else
	NG_C_OK='' NG_C_BAD='' NG_C_SKIP='' NG_C_OFF=''
fi

ng_log() { printf '# %s\n' "$*"; }
ng_die() { printf 'FATAL: %s\n' "$*" >&2; exit 1; }

# ---- assertions ---------------------------------------------------------

ng_pass() { NG_PASS=$((NG_PASS + 1)); printf '%sok%s   %s\n' "$NG_C_OK" "$NG_C_OFF" "$1"; }
ng_fail() {
	NG_FAIL=$((NG_FAIL + 1))
	NG_FAILED_NAMES+=("$1")
	printf '%sFAIL%s %s\n' "$NG_C_BAD" "$NG_C_OFF" "$1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/       | /'
	done
}

skip() {
	NG_SKIP=$((NG_SKIP + 1))
	printf '%sskip%s %s (%s)\n' "$NG_C_SKIP" "$NG_C_OFF" "$1" "${2:-}"
}

# Harness preconditions: what the test itself set up (a sender sent what it
# planned, a baseline without ntpguard shows the attack, a negative control
# fails). They do not test ntpguard, so they are not passes; a broken harness
# still fails the suite.
ng_harness_ok() {
	NG_HARNESS=$((NG_HARNESS + 1))
	printf '# harness ok: %s\n' "$1"
}
ng_assume() {
	local name=$1
	shift
	"$@" >"$NG_OUT" 2>"$NG_ERR"
	NG_RC=$?
	if [ $NG_RC -eq 0 ]; then
		ng_harness_ok "$name"
		return 0
	fi
	ng_fail "harness: $name" "command: $*" "exit $NG_RC" \
		"$(ng_tail "$NG_OUT")" "$(ng_tail "$NG_ERR")"
	return 1
}
ng_assume_eq() {
	if [ "$2" == "$3" ]; then
		ng_harness_ok "$1"
		return 0
	fi
	ng_fail "harness: $1" "expected: $2" "actual:   $3"
	return 1
}

# Tail of a file for failure messages.
ng_tail() { [ -s "$1" ] && tail -n "${2:-8}" "$1"; }

# ng_run_rc NAME WANT cmd... : run cmd (its output kept in $NG_OUT and
# $NG_ERR, its exit code in NG_RC); pass when the exit code is in WANT
# ("0", "1|2", or "!0": any failure). Returns 0 on pass, 1 on failure.
ng_run_rc() {
	local name=$1 want=$2
	shift 2
	"$@" >"$NG_OUT" 2>"$NG_ERR"
	NG_RC=$?
	if [ "$want" = '!0' ]; then
		[ $NG_RC -ne 0 ] && { ng_pass "$name"; return 0; }
		want=failure
	elif [[ "|$want|" == *"|$NG_RC|"* ]]; then
		ng_pass "$name"
		return 0
	fi
	ng_fail "$name" "command: $*" "exit $NG_RC, expected $want" \
		"$(ng_tail "$NG_OUT")" "$(ng_tail "$NG_ERR")"
	return 1
}

# check NAME cmd... : returns cmd's exit code.
check() { ng_run_rc "$1" 0 "${@:2}"; return $NG_RC; }

check_not() { ng_run_rc "$1" '!0' "${@:2}"; }

check_eq() {
	if [ "$2" == "$3" ]; then
		ng_pass "$1"
		return 0
	fi
	ng_fail "$1" "expected: $2" "actual:   $3"
	return 1
}

# check_rc NAME RC cmd... ; RC may be a list like "1|2".
check_rc() { ng_run_rc "$@"; }

# check_grep NAME FILE REGEX  (extended regex, case-insensitive)
# check_grep_case NAME FILE REGEX  (extended regex, case-sensitive)
check_grep() { ng_grep_check -Eqi "$@"; }
check_grep_case() { ng_grep_check -Eq "$@"; }
ng_grep_check() {
	if grep "$1" -- "$4" "$3"; then
		ng_pass "$2"
		return 0
	fi
	ng_fail "$2" "no line matching /$4/ in:" "$(ng_tail "$3" 12)"
	return 1
}

# check_ge NAME MIN ACTUAL (integers)
check_ge() {
	if [[ "$3" =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		ng_pass "$1"
		return 0
	fi
	ng_fail "$1" "expected >= $2" "actual:   $3"
	return 1
}

# check_within NAME VALUE LO HI (numbers, may be fractional)
check_within() {
	if "$NG_PY" -c 'import sys; v, lo, hi = map(float, sys.argv[1:4]); sys.exit(not lo <= v <= hi)' \
		"$2" "$3" "$4" 2>/dev/null; then
		ng_pass "$1: $2 in [$3, $4]"
		return 0
	fi
	ng_fail "$1" "value $2 not in [$3, $4]"
	return 1
}

# check_line NAME FILE REGEX : a line of FILE that starts with "ntpguard: "
# matches REGEX (case-sensitive), so that usage text or other noise on the
# same stream cannot satisfy it.
check_line() {
	if grep -E '^ntpguard: ' -- "$2" | grep -Eq -- "$3"; then
		ng_pass "$1"
		return 0
	fi
	ng_fail "$1" "no 'ntpguard: ' line matching /$3/ in:" "$(ng_tail "$2" 12)"
	return 1
}

ng_summary() {
	echo
	[ "$NG_HARNESS" -gt 0 ] && echo "harness preconditions met: $NG_HARNESS (not counted as passes)"
	if [ "$NG_FAIL" -gt 0 ]; then
		echo "failed checks:"
		printf '  %s\n' "${NG_FAILED_NAMES[@]}"
	fi
	echo "$NG_PASS passed, $NG_FAIL failed, $NG_SKIP skipped"
	[ "$NG_FAIL" -eq 0 ]
}

# ng_fatal MSG : the test cannot go on. MSG on stderr, then the summary with
# this counted as one more failure; exit 1.
ng_fatal() {
	printf 'FATAL: %s\n' "$*" >&2
	NG_FAIL=$((NG_FAIL + 1))
	NG_FAILED_NAMES+=("FATAL: $*")
	ng_summary
	exit 1
}

# ---- requirements -------------------------------------------------------

# Abort with a clear message (counted as a failure) when a test cannot run.
ng_require_root() {
	[ "$(id -u)" -eq 0 ] || ng_die "must run as root"
}

ng_require_bin() {
	local b
	for b in "$@"; do
		if [ "${b#/}" != "$b" ]; then
			[ -x "$b" ] || ng_die "missing $b (run scripts/deps.sh)"
		else
			command -v "$b" >/dev/null 2>&1 ||
				ng_die "missing command $b (run scripts/deps.sh)"
		fi
	done
}

# ---- polling --------------------------------------------------------------

# ng_wait_for SECONDS cmd... : poll every 0.1 s until cmd succeeds.
ng_wait_for() {
	local deadline=$(( $(date +%s%N) / 1000000 + ${1%.*} * 1000 )) now
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		now=$(( $(date +%s%N) / 1000000 ))
		[ "$now" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# ---- bpffs ----------------------------------------------------------------

ng_setup_bpffs() {
	NG_BPFFS_MNT=$NG_TMP/bpffs
	mkdir -p "$NG_BPFFS_MNT"
	mount -t bpf bpf "$NG_BPFFS_MNT" || ng_die "cannot mount bpffs at $NG_BPFFS_MNT"
	export NTPGUARD_BPFFS=$NG_BPFFS_MNT
	export LIBXDP_BPFFS=$NG_BPFFS_MNT
	export NG_PIN_DIR=$NG_BPFFS_MNT/ntpguard
}

# ---- namespaces -------------------------------------------------------------

ng_nsname() { printf '%s%s' "$NG_PFX" "$1"; }

ng_ns_add() {
	local full
	full=$(ng_nsname "$1")
	ip netns add "$full" || ng_die "ip netns add $full failed"
	NG_NETNS+=("$full")
	ns "$1" ip link set lo up
}

# ns NAME cmd... : run cmd in our namespace NAME. nsenter (not "ip netns
# exec") keeps the current mount namespace, so our bpffs stays visible.
ns() {
	local n=$1
	shift
	nsenter --net="/run/netns/$(ng_nsname "$n")" -- "$@"
}

# ng_veth NS1 IF1 NS2 IF2 : veth pair, both ends created in the namespaces.
ng_veth() {
	ip link add name "$2" netns "$(ng_nsname "$1")" type veth \
		peer name "$4" netns "$(ng_nsname "$3")" ||
		ng_die "veth $1:$2 <-> $3:$4 failed"
	ns "$1" ip link set "$2" up
	ns "$3" ip link set "$4" up
}

# ng_bg NAME cmd... : start cmd in the background, remember its pid in
# NG_BG_PID and NG_PIDS; stdout+stderr go to $NG_TMP/NAME.log.
ng_bg() {
	local name=$1
	shift
	# "ns" is a function: expand it, so that $! is the process itself
	# (nsenter execs the command) and not a subshell around it.
	if [ "$1" = ns ]; then
		local n=$2
		shift 2
		set -- nsenter --net="/run/netns/$(ng_nsname "$n")" -- "$@"
	fi
	"$@" >"$NG_TMP/$name.log" 2>&1 &
	NG_BG_PID=$!
	NG_PIDS+=("$NG_BG_PID")
}

ng_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ng_stop_pids "${NG_PIDS[@]}"
	# Anything still running inside namespaces that exist only for this
	# run was started by this run.
	ng_netns_purge "${NG_NETNS[@]}"
	if [ -n "$NG_BPFFS_MNT" ] && mountpoint -q "$NG_BPFFS_MNT"; then
		umount "$NG_BPFFS_MNT" 2>/dev/null || umount -l "$NG_BPFFS_MNT"
	fi
	if [ "${NG_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $NG_TMP"
	else
		rm -rf "$NG_TMP"
	fi
	exit $rc
}
trap ng_cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

# ---- small utilities ------------------------------------------------------

# ng_json EXPR < json : prints eval(EXPR) with d bound to the parsed input;
# exit 1 (and prints nothing) if the input is not JSON or EXPR fails.
ng_json() {
	"$NG_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
    v = eval(sys.argv[1], {"d": d})
except Exception as e:
    print("ng_json: %s" % e, file=sys.stderr)
    sys.exit(1)
print(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1"
}

# ---- links, neighbours, CPUs ------------------------------------------------------

ng_mac() { ns "$1" ip -j link show dev "$2" | ng_json "d[0]['address']"; }
ng_neigh() { ns "$1" ip neigh replace "$2" lladdr "$3" dev "$4" nud permanent; }

# One CPU this process may run on. Pinning every sender of a test to it puts
# all of their XDP runs (veth: in the softirq of the sending CPU) on one CPU,
# so per-CPU state (the LRU's per-CPU free lists) does not depend on how
# many CPUs the machine has.
ng_one_cpu() { "$NG_PY" -c 'import os; print(min(os.sched_getaffinity(0)))'; }

# ---- captures -------------------------------------------------------------------
#
# tcpdump is trusted for an absence only once it is known to capture: a
# marker (UDP to port 9, from a source port of its own) is sent through the
# captured interface until it shows up in the file, and at the end another
# marker is sent after the traffic and awaited, so everything the sender
# put on the wire before it has been captured. tcpdump must report that the
# kernel dropped nothing.

NG_CAPN=0
# ng_cap_start NS IFACE FILTER MARK_NS MARK_DST
ng_cap_start() {
	local n=$1 ifc=$2 filt=$3 i
	NG_CAPN=$((NG_CAPN + 1))
	NG_CAP_FILE=$NG_TMP/cap$NG_CAPN.pcap
	NG_CAP_LOG=$NG_TMP/cap$NG_CAPN.log
	NG_CAP_MNS=$4 NG_CAP_MDST=$5
	ng_bg "cap$NG_CAPN" ns "$n" tcpdump -i "$ifc" -n -U --immediate-mode -s 256 -B 16384 \
		-Z root -w "$NG_CAP_FILE" "($filt) or (udp dst port 9)"
	NG_CAP_PID=$NG_BG_PID
	for i in $(seq 100); do
		ng_cap_marker "$((20000 + i))"
		if ng_cap_seen "$((20000 + i))"; then
			return 0
		fi
		sleep 0.1
	done
	ng_fatal "capture on $n $ifc never saw its marker: $(head -n 5 "$NG_CAP_LOG")"
}
# ng_cap_marker SPORT : one marker datagram to MARK_DST:9 from MARK_NS
ng_cap_marker() {
	ns "$NG_CAP_MNS" "$NG_PY" -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sys.argv[2])))
s.sendto(b"ntpguard-test-marker", (sys.argv[1], 9))' "$NG_CAP_MDST" "$1" 2>/dev/null
}
ng_cap_seen() {
	tcpdump -r "$NG_CAP_FILE" -n "udp dst port 9 and udp src port $1" 2>/dev/null | grep -q .
}
ng_cap_stop() {
	local i
	for i in $(seq 50); do
		ng_cap_marker 29999
		ng_cap_seen 29999 && break
		sleep 0.1
	done
	ng_stop "$NG_CAP_PID"
	ng_cap_seen 29999 || ng_fail "capture $NG_CAPN: the end marker never arrived"
}
ng_cap_count() {
	local lost
	lost=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel/\1/p' "$NG_CAP_LOG")
	if [ "${lost:-x}" != 0 ]; then
		echo "?(capture lost ${lost:-unknown} packets)"
		return
	fi
	tcpdump -r "$NG_CAP_FILE" -n "(${1:-udp}) and not udp dst port 9" 2>/dev/null | wc -l
}

# ---- counter snapshots ------------------------------------------------------------

# ng_snap NS FILE : `stats --json` in NS into FILE; "{}" when it fails.
ng_snap() { ns "$1" "$NTPGUARD" stats --json >"$2" 2>"$2.err" || echo '{}' >"$2"; }

# ng_stat FILE IFACE REASON [packets|bytes|would_drop_packets] [ingress|egress|all]
# one counter of a snapshot, "?" when it is not there.
ng_stat() {
	"$NG_PY" - "$@" <<'PY' 2>/dev/null || echo "?"
import json, sys
f, ifc, reason = sys.argv[1:4]
field = sys.argv[4] if len(sys.argv) > 4 else "packets"
where = sys.argv[5] if len(sys.argv) > 5 else "ingress"
i = json.load(open(f))["interfaces"][ifc]
recs = {"ingress": lambda: [i], "egress": lambda: [i["egress"]],
        "all": lambda: [i] + ([i["egress"]] if "egress" in i else [])}[where]()
print(sum(r["reasons"][reason][field] for r in recs))
PY
}

# ng_delta OLD NEW IFACE REASON [FIELD] [DIR] : NEW - OLD, "?" if unreadable
ng_delta() {
	local a b
	a=$(ng_stat "$1" "${@:3}") b=$(ng_stat "$2" "${@:3}")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]]; then
		echo $((b - a))
	else
		echo "?($a->$b)"
	fi
}

# ng_wait_stat SECS NS IFACE REASON WANT [FIELD] [DIR] : poll `stats --json`
# until the counter is at least WANT (packets land asynchronously); the
# caller then compares it exactly, so an overshoot still fails.
ng_wait_stat() {
	local secs=$1 n=$2 want=$5 f=$NG_TMP/wait-stat.json
	local args=("$3" "$4" "${@:6}")
	reached() {
		local v
		ng_snap "$n" "$f"
		v=$(ng_stat "$f" "${args[@]}")
		[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$want" ]
	}
	ng_wait_for "$secs" reached
}

# ng_ntpsec_version : the upstream version of the ntpsec package whose
# ntpd runs from the sysroot (scripts/deps.sh keeps the .deb in build/debs):
# "1.2.2" for Debian 12's 1.2.2+dfsg1-1+deb12u1. Empty if there is none.
ng_ntpsec_version() {
	local deb v
	deb=$(ls "$NG_ROOT"/build/debs/ntpsec_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || return 1
	v=$(dpkg-deb -f "$deb" Version) || return 1
	v=${v#*:}      # epoch
	v=${v%%-*}     # Debian revision
	echo "${v%%+*}" # repack suffix
}

# ng_nmap XMLFILE EXPR : EXPR evaluated on an nmap -oX report, with
#   port_state(proto, port)  "open", "closed", ... or "none"
#   script(id)               that script's output text, or None
#   addrs(id)                the set of IPv4/IPv6 addresses in it
# The XML is nmap's machine-readable interface; the screen layout and the
# scripts' wording change between versions.
ng_nmap() {
	"$NG_PY" - "$1" "$2" <<'PY' 2>/dev/null || echo "?"
import ipaddress, re, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def port_state(proto, port):
    for p in root.iter("port"):
        if p.get("protocol") == proto and p.get("portid") == str(port):
            return p.find("state").get("state")
    return "none"
def script(sid):
    for s in root.iter("script"):
        if s.get("id") == sid:
            return s.get("output")
    return None
def addrs(sid):
    out, found = script(sid) or "", set()
    for tok in re.findall(r"[0-9A-Fa-f:.]{3,}", out):
        try:
            found.add(str(ipaddress.ip_address(tok)))
        except ValueError:
            pass
    return found
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())
PY
}

# XDP program id on IFACE inside namespace NS ("" if none).
ng_xdp_prog_id() {
	ns "$1" ip -d -j link show dev "$2" 2>/dev/null | "$NG_PY" -c '
import json, sys
l = json.load(sys.stdin)[0]
x = l.get("xdp") or {}
pid = x.get("prog", {}).get("id") or (x.get("attached") or [{}])[0].get("prog", {}).get("id")
print(pid or "")
'
}

# ---- ngflow (build/tests/ngflow) ----------------------------------------------

# ng_flow_end PID OUT : wait (at most 15 s) until the ngflow server PID has
# seen its sender's end mark and written its counts to OUT; then every
# datagram sent before the mark has reached its socket or was dropped on
# the way. Returns 1 if the mark never came (the server is stopped; OUT then
# says "end 0"): the counts cannot be trusted for an exact comparison.
ng_flow_end() {
	if ng_wait_for 15 grep -q ' end 1$' "$2"; then
		wait "$1" 2>/dev/null
		return 0
	fi
	ng_stop "$1"
	return 1
}
