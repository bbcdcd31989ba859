#!/bin/bash
# tests/observability.sh - `stats --prom`, `export`, `top`, `stats --watch`,
# the alert rules and the systemd units, in network namespaces, with the
# real promtool and prometheus-node-exporter (unpacked into build/sysroot by
# scripts/deps.sh).
#
#   att eth0 203.0.113.66-.68/24, 2001:db8:3::66/64 ---- srv eth0 203.0.113.1/24
#                                                             2001:db8:3::1/64
#   srv also has a veth named q"b\c (label escaping) and runs
#   node_exporter on its own 127.0.0.1.
#
# att sends hand-built frames (AF_PACKET), so every packet and byte count
# is known exactly. Everything created carries the prefix ngo<pid>-, the
# bpffs is private, mounts and pids are ours and removed on exit.
#
#   tests/observability.sh      prints "N passed, N failed"
#   NG_KEEP_TMP=1               keep the temp dir (logs, captured screens)
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
NG_PFX="ngo$$-"

PROMTOOL=$NG_SYSROOT/usr/bin/promtool
NODE_EXPORTER=$NG_SYSROOT/usr/bin/prometheus-node-exporter
ng_require_root
ng_require_bin ip nsenter script timeout "$NG_PY" "$NTPGUARD" "$PROMTOOL" "$NODE_EXPORTER"

T0=$(date +%s)
NG=$NTPGUARD
SRV4=203.0.113.1
SRV6=2001:db8:3::1
QIF='q"b\c'           # interface name with a double quote and a backslash
QIF_LABEL='q\"b\\c'   # ... as a Prometheus label value
BADIF=$'u\xffv'       # interface name that is not UTF-8 (the kernel allows it)
OBS_MNTS=()           # tmpfs mounts of this run
TMUX_SOCK="ngo$$"
HAVE_TMUX=0
command -v tmux >/dev/null 2>&1 && HAVE_TMUX=1

obs_cleanup() {
	local rc=$? m
	for m in "${OBS_MNTS[@]}"; do
		mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
	done
	[ "$HAVE_TMUX" = 1 ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	(exit $rc)
	ng_cleanup
}
trap obs_cleanup EXIT

# ---- helpers (Python) ----------------------------------------------------------

# tx.py IFACE DSTMAC SPEC... : send hand-built Ethernet frames. SPEC is
# "v4|v6,SRC,DST,SPORT,DPORT,HEXPAYLOAD,COUNT[,GAP_MS]"; an IPv4 SRC may be a
# last-octet range A.B.C.X-Y (one frame per address per COUNT). Prints
# "<frames> <octets>", octets as XDP counts them (whole frames).
cat >"$NG_TMP/tx.py" <<'EOF'
import socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
iface, dmac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
smac = s.getsockname()[4]
frames = octets = 0
for spec in sys.argv[3:]:
    fam, src, dst, sp, dp, hexp, cnt, *gap = spec.split(",")
    payload, ulen = bytes.fromhex(hexp), 8 + len(hexp) // 2
    if "-" in src:
        base, rng = src.rsplit(".", 1)
        lo, hi = map(int, rng.split("-"))
        srcs = ["%s.%d" % (base, i) for i in range(lo, hi + 1)]
    else:
        srcs = [src]
    for a in srcs:
        if fam == "v4":
            sa, da = socket.inet_aton(a), socket.inet_aton(dst)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, sa, da)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            pseudo, et = sa + da + struct.pack("!BBH", 0, 17, ulen), 0x0800
        else:
            sa, da = socket.inet_pton(socket.AF_INET6, a), socket.inet_pton(socket.AF_INET6, dst)
            ip = struct.pack("!IHBB16s16s", 0x60000000, ulen, 17, 64, sa, da)
            pseudo, et = sa + da + struct.pack("!I3xB", ulen, 17), 0x86dd
        udp = struct.pack("!HHHH", int(sp), int(dp), ulen, 0) + payload
        udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xffff) + udp[8:]
        frame = dmac + smac + struct.pack("!H", et) + ip + udp
        for i in range(int(cnt)):
            s.send(frame)
            if gap:
                time.sleep(float(gap[0]) / 1000)
        frames += int(cnt)
        octets += int(cnt) * len(frame)
print(frames, octets)
EOF

# prom.py FILE NAME [LABEL=VALUE...] : value of the one sample of NAME whose
# labels include those given ("none" / "many" otherwise).
# prom.py --lint FILE : no timestamps, one HELP and TYPE per family, given
# before its samples; prints what is wrong, exit 1.
cat >"$NG_TMP/prom.py" <<'EOF'
import re, sys
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(\S+))?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
def unesc(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)
def samples(text):
    for l in text.splitlines():
        if not l or l.startswith("#"):
            continue
        m = LINE.match(l)
        if not m:
            yield None, l, None, None
            continue
        yield m.group(1), {k: unesc(v) for k, v in LABEL.findall(m.group(2) or "")}, m.group(3), m.group(4)
if sys.argv[1] == "--lint":
    text, bad, help_, type_ = open(sys.argv[2]).read(), [], {}, {}
    for l in text.splitlines():
        p = l.split(" ", 3)
        if l.startswith("# HELP ") or l.startswith("# TYPE "):
            d = help_ if p[1] == "HELP" else type_
            d[p[2]] = d.get(p[2], 0) + 1
    for n, d in list(help_.items()) + list(type_.items()):
        if d != 1:
            bad.append("%s: %d HELP/TYPE lines" % (n, d))
    for name, labels, value, ts in samples(text):
        if name is None:
            bad.append("unparsable: " + labels)
            continue
        fam = re.sub(r"_(total|bucket|sum|count)$", "", name)
        if name not in type_ and fam not in type_:
            bad.append("no TYPE before " + name)
        if ts is not None:
            bad.append("timestamp on " + name)
    print("\n".join(bad))
    sys.exit(1 if bad else 0)
path, name, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
hits = [v for n, l, v, _ in samples(open(path).read())
        if n == name and all(l.get(k) == w for k, w in want.items())]
if not hits:
    print("none")
elif len(hits) > 1:
    print("many")
else:
    v = float(hits[0])
    print(int(v) if v == int(v) and abs(v) < 2**53 else hits[0])
EOF

# fetch.py URL : GET, body on stdout.
cat >"$NG_TMP/fetch.py" <<'EOF'
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
EOF

# reader.py FILE LASTFAMILY READS DISTINCT PARTIAL MAXSECONDS : read FILE
# over and over until it has read it READS times and seen DISTINCT
# complete versions and PARTIAL partial ones (or MAXSECONDS passed: a
# bound, not the measure); a read is complete when it ends in a newline
# and its last line is a sample of LASTFAMILY (the family written last).
# Prints "reads=N partial=N distinct=N missing=N seconds=S".
cat >"$NG_TMP/reader.py" <<'EOF'
import sys, time
path, last = sys.argv[1], sys.argv[2]
want_reads, want_distinct, want_partial, secs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
reads = partial = missing = 0
seen = set()
t0 = time.monotonic()
end = t0 + secs
while time.monotonic() < end and not (reads >= want_reads and len(seen) >= want_distinct
                                      and partial >= want_partial):
    try:
        with open(path, "rb") as f:
            d = f.read()
    except FileNotFoundError:
        missing += 1
        time.sleep(0.0005)
        continue
    reads += 1
    lines = d.decode(errors="replace").rstrip("\n").split("\n")
    if not d.endswith(b"\n") or not lines[-1].startswith(last + " ") or \
       not d.startswith(b"# HELP ntpguard_loaded "):
        partial += 1
    else:
        seen.add(hash(d))
    time.sleep(0.0005)
print("reads=%d partial=%d distinct=%d missing=%d seconds=%.1f" % (reads, partial, len(seen), missing,
                                                                  time.monotonic() - t0))
EOF

pq() { "$NG_PY" "$NG_TMP/prom.py" "$@" 2>/dev/null || echo "?"; }
not() { ! "$@"; }
# field of "reads=N partial=N ..." output
kv() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# ---- topology ---------------------------------------------------------------------
ng_setup_bpffs
ng_log "topology (prefix $NG_PFX)"
ng_ns_add att
ng_ns_add srv
ng_veth att eth0 srv eth0
ns att ip addr add 203.0.113.66/24 dev eth0
ns att ip addr add 203.0.113.67/24 dev eth0
ns att ip addr add 203.0.113.68/24 dev eth0
ns att ip addr add 2001:db8:3::66/64 dev eth0 nodad
ns srv ip addr add $SRV4/24 dev eth0
ns srv ip addr add $SRV6/64 dev eth0 nodad
ns srv ip link add "$QIF" type veth peer name ngoq0
ns srv ip link set "$QIF" up
ns srv ip link set ngoq0 up
ns srv ip link add "$BADIF" type veth peer name ngoq1
ns srv ip link set "$BADIF" up
ns srv ip link set ngoq1 up
mac() { ns "$1" ip -j link show dev "$2" | ng_json "d[0]['address']"; }
SRV_MAC=$(mac srv eth0)
ns srv ip neigh replace 203.0.113.66 lladdr "$(mac att eth0)" dev eth0 nud permanent

M7REQ=1700032a00000000                        # VN 2, mode 7, impl 3, code 42: 8 octets
M7RSP=9700032a00060048$(printf '00%.0s' $(seq 432)) # R=1, 6 x 72-octet items: 440 octets
M6REQ=160100010000000000000000                # VN 2, mode 6, READSTAT: 12 octets
M3REQ=23$(printf '00%.0s' $(seq 47))           # VN 4, mode 3: 48 octets
# tx SPEC... : send from att eth0 to srv's MAC; sets TX_PKTS TX_BYTES
tx() {
	local r
	r=$(ns att "$NG_PY" "$NG_TMP/tx.py" eth0 "$SRV_MAC" "$@") || { TX_PKTS=0 TX_BYTES=0; return 1; }
	TX_PKTS=${r% *} TX_BYTES=${r#* }
}
prom_snap() { # prom_snap FILE : stats --prom of srv into FILE
	ns srv "$NG" stats --prom >"$1" 2>"$1.err" || : >"$1"
}
m7() { # m7 FILE ACTION : mode7_request_dropped packets on eth0 ingress
	pq "$1" ntpguard_packets_total interface=eth0 direction=ingress \
		reason=mode7_request_dropped action="$2"
}

# =============================================================================
ng_log "case 1: options and help"
for c in "export" "top" "stats"; do
	check_rc "1a $c --help exits 0" 0 "$NG" $c --help
done
"$NG" stats --help >"$NG_TMP/stats-help" 2>&1
check_grep "1b stats --help documents --prom" "$NG_TMP/stats-help" '^ +-p, --prom'
check_grep "1c stats --help documents --watch [SECONDS]" "$NG_TMP/stats-help" '--watch \[SECONDS\]'
"$NG" export --help >"$NG_TMP/export-help" 2>&1
check_grep "1d export --help: default directory is Debian's" "$NG_TMP/export-help" \
	'default /var/lib/prometheus/node-exporter'
"$NG" --help >"$NG_TMP/main-help" 2>&1
check_grep "1e ntpguard --help lists top" "$NG_TMP/main-help" '^  top '
check_grep "1f ntpguard --help lists export" "$NG_TMP/main-help" '^  export '
bad_args=(
	"export --interval 0" "export --interval abc" "export --interval 1e9"
	"export --interval -1" "export --dir" "export extra" "export --bogus"
	"top -n 0" "top -n 1x" "top -n" "top extra" "top --bogus"
	"stats --prom --json" "stats --prom --watch" "stats --watch 0"
	"stats --watch abc" "stats --watch=-1" "stats --watch 1 extra"
)
for a in "${bad_args[@]}"; do
	# shellcheck disable=SC2086
	if check_rc "1g '$a' exits 2" 2 "$NG" $a; then
		check_eq "1h '$a': first stderr line is one ntpguard: line" yes \
			"$(head -n 1 "$NG_ERR" | grep -q '^ntpguard: ' && echo yes || echo no)"
	fi
done

# =============================================================================
ng_log "case 2: not loaded"
check_rc "2a stats --prom when not loaded exits 0" 0 ns srv "$NG" stats --prom
cp "$NG_OUT" "$NG_TMP/notloaded.prom"
check_eq "2b ... ntpguard_loaded 0" 0 "$(pq "$NG_TMP/notloaded.prom" ntpguard_loaded)"
check "2c ... passes promtool check metrics" "$PROMTOOL" check metrics <"$NG_TMP/notloaded.prom"
check_rc "2d top when not loaded exits 1" 1 ns srv "$NG" top
check_eq "2e ... with exactly one ntpguard: line" "1 1" \
	"$(wc -l <"$NG_ERR") $(grep -c '^ntpguard: .*not loaded' "$NG_ERR")"
check_rc "2f stats --watch when not loaded exits 1" 1 ns srv timeout 5 "$NG" stats --watch 1
mkdir "$NG_TMP/tf0"
check "2g export --once when not loaded writes a file" ns srv "$NG" export --once --dir "$NG_TMP/tf0"
check_eq "2h ... saying ntpguard_loaded 0" 0 "$(pq "$NG_TMP/tf0/ntpguard.prom" ntpguard_loaded)"

# =============================================================================
ng_log "case 3: load, policy and what top says about tracking"
check "3a load --egress --max-sources 64 eth0" ns srv "$NG" load --egress --max-sources 64 eth0
check "3b load --mode skb on the interface named $QIF" ns srv "$NG" load --mode skb "$QIF"
check "3b2 load --mode skb on an interface whose name is not UTF-8" ns srv "$NG" load --mode skb "$BADIF"
check "3c allow add 198.51.100.20 2001:db8:5::/48" \
	ns srv "$NG" allow add 198.51.100.20 2001:db8:5::/48
check "3d top with the default policy" ns srv "$NG" top
cp "$NG_OUT" "$NG_TMP/top-default.txt"
check_grep "3e ... says tracking is off, only rate-capped mode6_request recorded" \
	"$NG_TMP/top-default.txt" 'tracking is off: only rate-capped classes \(mode6_request\)'
check_grep "3f ... and says how to track the rest" "$NG_TMP/top-default.txt" 'ntpguard set track=on'
check "3g set mode6_request=drop (nothing rate-capped, tracking off)" \
	ns srv "$NG" set mode6_request=drop
check "3h top" ns srv "$NG" top
cp "$NG_OUT" "$NG_TMP/top-off.txt"
check_grep "3i ... says per-key counters are off and how to enable them" "$NG_TMP/top-off.txt" \
	'^note: per-key counters are off: .*enable with: ntpguard set track=on'
check_grep "3j ... recorded classes: none" "$NG_TMP/top-off.txt" 'recorded classes: none'
check_eq "3k top --json: note set, tracked_classes empty" "True []" \
	"$(ns srv "$NG" top --json | ng_json "str(d['note'] is not None and 'track=on' in d['note']) + ' ' + str(d['tracked_classes'])")"
check "3l set mode6_request=ratecap track=on" ns srv "$NG" set mode6_request=ratecap track=on
check_eq "3m top --json: every class tracked, no note" "None 3" \
	"$(ns srv "$NG" top --json | ng_json "str(d['note']) + ' ' + str(len(d['tracked_classes']))")"

# =============================================================================
ng_log "case 4: traffic through the filter"
prom_snap "$NG_TMP/p0.prom"
TX_T0=$(date +%s%N)
tx "v4,203.0.113.66,$SRV4,40001,123,$M7REQ,30"
A_P=$TX_PKTS A_B=$TX_BYTES
tx "v6,2001:db8:3::66,$SRV6,40001,123,$M7REQ,12" "v6,2001:db8:3::99,$SRV6,40002,123,$M7REQ,3"
B_P=$TX_PKTS B_B=$TX_BYTES
tx "v4,203.0.113.67,$SRV4,40003,123,$M7REQ,5"
C_P=$TX_PKTS C_B=$TX_BYTES
M6_T0=$(date +%s%N)
tx "v4,203.0.113.68,$SRV4,40004,123,$M6REQ,40"
M6_T1=$(date +%s%N)
M6_P=$TX_PKTS
# the default mode 6 cap: burst 20, 5/s; what may refill while sending
M6_REFILL=$(( (M6_T1 - M6_T0) * 5 / 1000000000 + 1 ))
tx "v4,203.0.113.66,198.51.100.77,123,50000,$M7RSP,10"
V4_P=$TX_PKTS V4_B=$TX_BYTES
tx "v6,2001:db8:3::66,2001:db8:77::5,123,50000,$M7RSP,4"
V6_P=$TX_PKTS V6_B=$TX_BYTES
tx "v4,203.0.113.66,$SRV4,40005,123,$M3REQ,3"
M3_P=$TX_PKTS M3_B=$TX_BYTES
# egress: srv's own mode 3 queries leave through eth0
ns srv "$NG_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2): s.sendto(b'\x23' + bytes(47), ('203.0.113.66', 123))"
ng_assume_eq "4a the sender sent the planned frames" "30 1500 15 1050 5 250 40 10 4820 4 2008 3 270" \
	"$A_P $A_B $B_P $B_B $C_P $C_B $M6_P $V4_P $V4_B $V6_P $V6_B $M3_P $M3_B"
# Every frame has been judged once each counter reached what was sent (the
# checks below then compare exactly, so an extra count still fails).
M7_P=$((A_P + B_P + C_P)) M7_B=$((A_B + B_B + C_B))
all_counted() {
	ng_snap srv "$NG_TMP/p1.json"
	[ "$(ng_stat "$NG_TMP/p1.json" eth0 mode7_request_dropped)" = "$M7_P" ] &&
	[ "$(ng_stat "$NG_TMP/p1.json" eth0 mode7_response_oversized)" = "$((V4_P + V6_P))" ] &&
	[ "$(ng_stat "$NG_TMP/p1.json" eth0 ntp_passed)" = "$M3_P" ] &&
	[ "$(ng_stat "$NG_TMP/p1.json" eth0 ntp_passed packets egress)" = 2 ] &&
	[ $(( $(ng_stat "$NG_TMP/p1.json" eth0 mode6_request_passed) +
	      $(ng_stat "$NG_TMP/p1.json" eth0 mode6_request_ratecapped) )) = "$M6_P" ]
}
ng_wait_for 10 all_counted
P1=$NG_TMP/p1.prom
prom_snap "$P1"
check "4b stats --prom passes promtool check metrics (no lint findings)" \
	"$PROMTOOL" check metrics <"$P1"
check "4c ... no timestamps, one HELP/TYPE per family, TYPE before samples" \
	"$NG_PY" "$NG_TMP/prom.py" --lint "$P1"
check_eq "4d packets_total{eth0,ingress,mode7_request_dropped,drop} = requests sent" \
	"$M7_P" "$(m7 "$P1" drop)"
check_eq "4e bytes_total{...} = their frame octets" "$M7_B" \
	"$(pq "$P1" ntpguard_bytes_total interface=eth0 direction=ingress reason=mode7_request_dropped action=drop)"
check_eq "4f would_drop series present and 0 (monitor off)" 0 "$(m7 "$P1" would_drop)"
check_eq "4g no would_drop series for a pass reason" none \
	"$(pq "$P1" ntpguard_packets_total interface=eth0 direction=ingress reason=ntp_passed action=would_drop)"
check_eq "4h oversized responses: packets" "$((V4_P + V6_P))" \
	"$(pq "$P1" ntpguard_packets_total interface=eth0 direction=ingress reason=mode7_response_oversized action=drop)"
check_eq "4i oversized responses: bytes" "$((V4_B + V6_B))" \
	"$(pq "$P1" ntpguard_bytes_total interface=eth0 direction=ingress reason=mode7_response_oversized action=drop)"
check_eq "4j ntp_passed (mode 3) packets and bytes" "$M3_P $M3_B" \
	"$(pq "$P1" ntpguard_packets_total interface=eth0 direction=ingress reason=ntp_passed action=pass) $(pq "$P1" ntpguard_bytes_total interface=eth0 direction=ingress reason=ntp_passed action=pass)"
M6_PASS=$(pq "$P1" ntpguard_packets_total interface=eth0 direction=ingress reason=mode6_request_passed action=pass)
M6_CAP=$(pq "$P1" ntpguard_packets_total interface=eth0 direction=ingress reason=mode6_request_ratecapped action=drop)
check_eq "4k mode 6: passed + ratecapped = sent" "$M6_P" "$((M6_PASS + M6_CAP))"
check_within "4l mode 6: the burst (20) passed, plus what 5/s refills in the measured $(( (M6_T1 - M6_T0) / 1000000 )) ms" \
	"$M6_PASS" 20 $((20 + M6_REFILL))
check_eq "4n egress: srv's 2 mode 3 queries as ntp_passed on direction=egress" "2 180" \
	"$(pq "$P1" ntpguard_packets_total interface=eth0 direction=egress reason=ntp_passed action=pass) $(pq "$P1" ntpguard_bytes_total interface=eth0 direction=egress reason=ntp_passed action=pass)"
ST=$(ns srv "$NG" status --json)
MODE=$(ng_json "d['interfaces']['eth0']['mode']" <<<"$ST")
DISP=$(ng_json "'true' if d['interfaces']['eth0']['attach'] == 'dispatcher' else 'false'" <<<"$ST")
check_eq "4o attached{eth0,ingress,mode,dispatcher} = 1, labels as in status" 1 \
	"$(pq "$P1" ntpguard_attached interface=eth0 direction=ingress mode="$MODE" dispatcher="$DISP")"
check_eq "4p attached{eth0,egress,mode=tc,dispatcher=false} = 1" 1 \
	"$(pq "$P1" ntpguard_attached interface=eth0 direction=egress mode=tc dispatcher=false)"
check_eq "4q attached for $QIF (skb mode) = 1" 1 \
	"$(pq "$P1" ntpguard_attached interface="$QIF" direction=ingress mode=skb)"
check_grep "4r the interface name is escaped in labels" "$P1" \
	'^ntpguard_attached\{interface="q\\"b\\\\c",'
check "4r2 a name that is not UTF-8 is labelled with U+FFFD in its place" \
	grep -qaF "$(printf 'ntpguard_attached{interface="u\357\277\275v",direction="ingress",mode="skb"')" "$P1"
check "4r3 ... and no byte of the export is outside UTF-8" "$NG_PY" -c \
	'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$P1"
check_eq "4s allow_entries ipv4 ipv6" "1 1" \
	"$(pq "$P1" ntpguard_allow_entries family=ipv4) $(pq "$P1" ntpguard_allow_entries family=ipv6)"
check_eq "4t rate_table_capacity = --max-sources" 64 "$(pq "$P1" ntpguard_rate_table_capacity)"
TOPJ=$(ns srv "$NG" top --json)
check_eq "4u rate_table_entries = top's tracked keys" \
	"$(ng_json "d['tracked_keys']" <<<"$TOPJ")" "$(pq "$P1" ntpguard_rate_table_entries)"
check_eq "4v keys_inserted_total = top's keys inserted" \
	"$(ng_json "d['keys_inserted']" <<<"$TOPJ")" "$(pq "$P1" ntpguard_rate_table_keys_inserted_total)"
check_eq "4w monitor_mode 0, tracking_enabled 1" "0 1" \
	"$(pq "$P1" ntpguard_monitor_mode) $(pq "$P1" ntpguard_tracking_enabled)"
VERSION=$("$NG" --version | awk '{print $2}')
check_eq "4x build_info{version} = ntpguard --version" 1 \
	"$(pq "$P1" ntpguard_build_info version="$VERSION")"
check_eq "4y no exporter metrics in stats --prom" 0 "$(grep -c '^ntpguard_export_' "$P1")"
check_eq "4z no per-address labels" 0 "$(grep -Ec '203\.0\.113|198\.51\.100|2001:db8' "$P1")"
check_eq "4A every series of the counters per attachment (4 x 2 x 25: 17 reasons + 8 would-drop)" 200 \
	"$(grep -Ec '^ntpguard_(packets|bytes)_total\{' "$P1")"

# =============================================================================
ng_log "case 5: top"
check "5a top" ns srv "$NG" top
cp "$NG_OUT" "$NG_TMP/top.txt"
check_grep "5b first line: tracked keys N of 64, not overflowed" "$NG_TMP/top.txt" \
	'^tracked keys: [0-9]+ of 64; table overflowed: no \([0-9]+ keys inserted\)$'
q() { ng_json "$1" <<<"$TOPJ"; }
check_eq "5c top source: 203.0.113.66, mode7_request, 30 dropped, 1500 bytes" \
	"203.0.113.66 mode7_request $A_P $A_B" \
	"$(q "' '.join(str(d['sources'][0][k]) for k in ('address','class','dropped_packets','dropped_bytes'))")"
check_eq "5d sources sorted by dropped packets" true \
	"$(q "[s['dropped_packets'] for s in d['sources']] == sorted([s['dropped_packets'] for s in d['sources']], reverse=True)")"
check_eq "5e IPv6 sources aggregated per /64: 2001:db8:3::/64 with 15 dropped" "2001:db8:3::/64 $B_P $B_B 64" \
	"$(q "' '.join(str(s[k]) for s in d['sources'] if s['address'] == '2001:db8:3::/64' for k in ('address','dropped_packets','dropped_bytes','prefix_len'))")"
check_eq "5f 203.0.113.67: 5 dropped" "$C_P" \
	"$(q "[s['dropped_packets'] for s in d['sources'] if s['address'] == '203.0.113.67'][0]")"
check_eq "5g 203.0.113.68 (mode 6): dropped = ratecapped, passed = passed" "mode6_request $M6_CAP $M6_PASS" \
	"$(q "' '.join(str(s[k]) for s in d['sources'] if s['address'] == '203.0.113.68' for k in ('class','dropped_packets','passed_packets'))")"
check_eq "5h victims: 198.51.100.77 (10) then 2001:db8:77::/64 (4), with bytes" \
	"198.51.100.77 mode7_response $V4_P $V4_B 2001:db8:77::/64 mode7_response $V6_P $V6_B" \
	"$(q "' '.join(str(s[k]) for s in d['destinations'] for k in ('address','class','dropped_packets','dropped_bytes'))")"
check_eq "5i last seen no longer ago than the traffic was sent ($(( ($(date +%s%N) - TX_T0) / 1000000000 + 1 )) s)" true \
	"$(q "all(0 <= s['last_seen_seconds_ago'] <= $(( ($(date +%s%N) - TX_T0) / 1000000000 + 1 )) for s in d['sources'] + d['destinations'])")"
check_eq "5j not overflowed, keys inserted = tracked keys" "False True" \
	"$(q "str(d['overflowed']) + ' ' + str(d['keys_inserted'] == d['tracked_keys'])")"
check_grep "5k text: the top source row" "$NG_TMP/top.txt" \
	"^  203\\.0\\.113\\.66 +mode7_request +$A_P +$A_B +0 +[0-9.]+s ago$"
check_grep "5l text: the victims section lists 198.51.100.77" "$NG_TMP/top.txt" \
	"^  198\\.51\\.100\\.77 +mode7_response +$V4_P +$V4_B "
check_eq "5m top -n 1 --json: one key per list" "1 1" \
	"$(ns srv "$NG" top -n 1 --json | ng_json "'%d %d' % (len(d['sources']), len(d['destinations']))")"
check_eq "5n top -n 1: one row per list in text" 2 \
	"$(ns srv "$NG" top -n 1 | grep -Ec '^  [0-9a-f.:/]+ +mode')"

# =============================================================================
ng_log "case 6: export and a real node_exporter"
TF=$NG_TMP/textfile
mkdir "$TF"
PORT=$(ns srv "$NG_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EXP_START=$(date +%s.%N)
ng_bg export ns srv "$NG" export --dir "$TF" --interval 0.5
EXP_PID=$NG_BG_PID
ng_bg node_exporter ns srv "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$PORT" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TF" --web.disable-exporter-metrics
NE_PID=$NG_BG_PID
scrape() { ns srv "$NG_PY" "$NG_TMP/fetch.py" "http://127.0.0.1:$PORT/metrics" >"$1" 2>/dev/null; }
ng_wait_for 10 test -s "$TF/ntpguard.prom"
check "6a export wrote $TF/ntpguard.prom" test -s "$TF/ntpguard.prom"
check_eq "6b ... mode 0644" 644 "$(stat -c %a "$TF/ntpguard.prom" 2>/dev/null)"
check "6c ... passes promtool check metrics" "$PROMTOOL" check metrics <"$TF/ntpguard.prom"
check "6d ... and the format checks" "$NG_PY" "$NG_TMP/prom.py" --lint "$TF/ntpguard.prom"
TS=$(pq "$TF/ntpguard.prom" ntpguard_export_last_success_timestamp_seconds)
check_within "6e last_success timestamp: between the export's start and now (wall clock)" \
	"$TS" "$EXP_START" "$(date +%s.%N)"
ng_wait_for 10 scrape "$NG_TMP/m1.txt"
check "6f node_exporter serves /metrics on 127.0.0.1:$PORT" scrape "$NG_TMP/m1.txt"
M1=$NG_TMP/m1.txt
check_eq "6g node_textfile_scrape_error 0" 0 "$(pq "$M1" node_textfile_scrape_error)"
check_eq "6h node_textfile_mtime_seconds for ntpguard.prom" "$TF/ntpguard.prom" \
	"$(grep -o 'node_textfile_mtime_seconds{file="[^"]*"' "$M1" | sed 's/.*file="//;s/"$//')"
check_eq "6i /metrics: mode7_request_dropped (drop) = requests sent" "$M7_P" "$(m7 "$M1" drop)"
check_eq "6j /metrics: oversized responses dropped (bytes)" "$((V4_B + V6_B))" \
	"$(pq "$M1" ntpguard_bytes_total interface=eth0 direction=ingress reason=mode7_response_oversized action=drop)"
check_eq "6k /metrics: egress ntp_passed" 2 \
	"$(pq "$M1" ntpguard_packets_total interface=eth0 direction=egress reason=ntp_passed action=pass)"
check_eq "6l /metrics: attached, escaped interface name round-trips" 1 \
	"$(pq "$M1" ntpguard_attached interface="$QIF")"
check_eq "6m /metrics: build_info, loaded, failures 0" "1 1 0" \
	"$(pq "$M1" ntpguard_build_info version="$VERSION") $(pq "$M1" ntpguard_loaded) $(pq "$M1" ntpguard_export_failures_total)"
tx "v4,203.0.113.66,$SRV4,40001,123,$M7REQ,7"
M7_P=$((M7_P + TX_PKTS))
moved() { scrape "$NG_TMP/m2.txt" && [ "$(m7 "$NG_TMP/m2.txt" drop)" = "$M7_P" ]; }
ng_wait_for 10 moved
check_eq "6n /metrics follows new traffic (7 more requests)" "$M7_P" "$(m7 "$NG_TMP/m2.txt" drop)"
check "6o node_exporter is still running" kill -0 "$NE_PID"
kill -TERM "$EXP_PID"
wait "$EXP_PID"
check_eq "6p export exits 0 on SIGTERM" 0 "$?"
check_grep "6q ... and says so" "$NG_TMP/export.log" 'stopped by SIGTERM'
check "6r the last file stays, complete" "$PROMTOOL" check metrics <"$TF/ntpguard.prom"
check_eq "6s no temporary file left in the directory" "ntpguard.prom" "$(ls -A "$TF")"
ng_bg export2 ns srv "$NG" export --dir "$TF" --interval 5
# its first line comes once SIGINT is held for the loop: before, the
# default action would end it (a slow start under valgrind lost it here)
ng_wait_for 60 grep -q '^ntpguard export: writing' "$NG_TMP/export2.log"
kill -INT "$NG_BG_PID"
wait "$NG_BG_PID"
check_eq "6t export exits 0 on SIGINT" 0 "$?"
ng_stop "$NE_PID"

# =============================================================================
ng_log "case 7: atomic replacement"
AT=$NG_TMP/atomic
mkdir "$AT"
ng_bg export3 ns srv "$NG" export --dir "$AT" --interval 0.1
EXP_PID=$NG_BG_PID
ng_wait_for 5 test -s "$AT/ntpguard.prom"
R=$("$NG_PY" "$NG_TMP/reader.py" "$AT/ntpguard.prom" ntpguard_export_last_success_timestamp_seconds 300 10 0 60)
ng_log "reader against export: $R"
check_ge "7a the reader read the file 300 times" 300 "$(kv reads "$R")"
check_ge "7b ... while export replaced it (10 versions seen)" 10 "$(kv distinct "$R")"
check_eq "7c ... and never saw a partial or missing file" "0 0" "$(kv partial "$R") $(kv missing "$R")"
ng_stop "$EXP_PID"
check_eq "7d no temporary files left" "ntpguard.prom" "$(ls -A "$AT")"
# Control: the same reader against a writer that is not atomic (shell
# redirection truncates, then ntpguard writes) must see partial files.
CT=$NG_TMP/control
mkdir "$CT"
prom_snap "$CT/ntpguard.prom"
(
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		ns srv "$NG" stats --prom >"$CT/ntpguard.prom" 2>/dev/null
		sleep 0.02
	done
) &
CTL_PID=$!
NG_PIDS+=("$CTL_PID")
R=$("$NG_PY" "$NG_TMP/reader.py" "$CT/ntpguard.prom" ntpguard_rate_table_keys_inserted_total 0 0 1 30)
ng_stop "$CTL_PID"
ng_log "reader against a non-atomic writer (control): $R"
ng_assume "7e control: the reader detects partial files of a non-atomic writer" \
	test "$(kv partial "$R")" -ge 1

# =============================================================================
ng_log "case 8: write failures"
check_rc "8a export --once to a missing directory exits 1" 1 \
	ns srv "$NG" export --once --dir "$NG_TMP/missing"
check_eq "8b ... with one ntpguard: line naming the cause" "1 1" \
	"$(wc -l <"$NG_ERR") $(grep -c '^ntpguard: export: .*No such file or directory' "$NG_ERR")"

FULL=$NG_TMP/full
mkdir "$FULL"
mount -t tmpfs -o size=8k,mode=0755 ngo-full "$FULL" && OBS_MNTS+=("$FULL")
echo "# old" >"$FULL/ntpguard.prom"
check_rc "8c export --once to a full filesystem exits 1" 1 ns srv "$NG" export --once --dir "$FULL"
check_grep "8d ... No space left on device" "$NG_ERR" '^ntpguard: export: .*No space left on device'
check_eq "8e ... the previous file is untouched, no temporary file left" "ntpguard.prom # old" \
	"$(ls -A "$FULL") $(cat "$FULL/ntpguard.prom")"

RO=$NG_TMP/ro
mkdir "$RO"
mount -t tmpfs -o size=1m,mode=0755 ngo-ro "$RO" && OBS_MNTS+=("$RO")
echo "# old" >"$RO/ntpguard.prom"
mount -o remount,ro "$RO"
check_rc "8f export --once to a read-only filesystem exits 1" 1 ns srv "$NG" export --once --dir "$RO"
check_grep "8g ... Read-only file system" "$NG_ERR" '^ntpguard: export: .*Read-only file system'
check_eq "8h ... the previous file is untouched" "# old" "$(cat "$RO/ntpguard.prom")"

# Symlinks planted in the directory are never followed. getrandom() is
# replaced (LD_PRELOAD) by a counter, so the temporary names export tries
# are known: .ntpguard.prom.000000000000, ...001, ...
cat >"$NG_TMP/seqrandom.c" <<'EOF'
#include <string.h>
#include <sys/types.h>
static unsigned long long n;
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	memset(buf, 0, len);
	memcpy(buf, &n, len < sizeof(n) ? len : sizeof(n));
	n++;
	return (ssize_t)len;
}
EOF
gcc -shared -fPIC -O2 -o "$NG_TMP/seqrandom.so" "$NG_TMP/seqrandom.c" || ng_die "cannot build the getrandom shim"
SL=$NG_TMP/symlinks
mkdir "$SL" "$NG_TMP/victims"
for v in final t0 t1; do echo "victim $v" >"$NG_TMP/victims/$v"; done
ln -s "$NG_TMP/victims/final" "$SL/ntpguard.prom"
ln -s "$NG_TMP/victims/t0" "$SL/.ntpguard.prom.000000000000"
ln -s "$NG_TMP/victims/t1" "$SL/.ntpguard.prom.000000000001"
check "8s export --once with symlinks planted at the final and the first two temporary names" \
	ns srv env LD_PRELOAD="$NG_TMP/seqrandom.so" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$NG" export --once --dir "$SL"
check_eq "8s ... no symlink target written" "victim final|victim t0|victim t1" \
	"$(cat "$NG_TMP/victims/final" "$NG_TMP/victims/t0" "$NG_TMP/victims/t1" | paste -sd'|')"
check_eq "8s ... ntpguard.prom is now a regular file (the planted link replaced), mode 0644" "regular file 644" \
	"$(stat -c '%F %a' "$SL/ntpguard.prom")"
check "8s ... and holds the metrics" "$PROMTOOL" check metrics <"$SL/ntpguard.prom"
check_eq "8s ... the planted temporary-name links untouched, nothing else left" \
	".ntpguard.prom.000000000000 -> $NG_TMP/victims/t0|.ntpguard.prom.000000000001 -> $NG_TMP/victims/t1|ntpguard.prom" \
	"$(cd "$SL" && for f in $(ls -A | sort); do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f"; fi; done | paste -sd'|')"
# Every name export would try taken by a link: it gives up, follows none.
SL2=$NG_TMP/symlinks2
mkdir "$SL2"
for i in $(seq 0 99); do ln -s "$NG_TMP/victims/t0" "$SL2/.ntpguard.prom.$(printf '%012x' "$i")"; done
check_rc "8t export --once when every temporary name is a planted link: exit 1" 1 \
	ns srv env LD_PRELOAD="$NG_TMP/seqrandom.so" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$NG" export --once --dir "$SL2"
check_grep_case "8t ... says why" "$NG_ERR" '^ntpguard: export: cannot create a temporary file in .*: File exists$'
check_eq "8t ... followed none of them" "victim t0" "$(cat "$NG_TMP/victims/t0")"
check_eq "8t ... and wrote nothing there (100 links, nothing else)" "100/100" "$(find "$SL2" -type l | wc -l)/$(ls -A "$SL2" | wc -l)"

# failed_attempts PID N SYSCALLS PATTERN : watch PID's failing SYSCALLS
# (strace) until N of them name PATTERN: the loop has really retried N
# times, however slow this machine is right now (bounded: 30 s).
failed_attempts() {
	local spid out=$NG_TMP/strace.$1 n=$2 pat=$4
	ng_bg "strace$1" strace -qq -f -e trace="$3" -e status=failed -o "$out" -p "$1"
	spid=$NG_BG_PID
	enough() { [ "$(grep -c -- "$pat" "$out" 2>/dev/null)" -ge "$n" ]; }
	ng_wait_for 30 enough
	ng_stop "$spid"
	enough
}
# The loop keeps going: directory missing, then the disk full, then fixed.
LATE=$NG_TMP/late
ng_bg export4 ns srv "$NG" export --dir "$LATE" --interval 0.2
EXP_PID=$NG_BG_PID
ng_assume "8i- the export loop retried 3 times in the missing directory (strace)" \
	failed_attempts "$EXP_PID" 3 openat "/late\".*ENOENT"
check "8i the export loop survives a missing directory" kill -0 "$EXP_PID"
mkdir "$LATE"
ng_wait_for 10 test -s "$LATE/ntpguard.prom"
check "8k the file appears once the directory exists" test -s "$LATE/ntpguard.prom"
check_eq "8j ... and the loop logged the failure once, not at every retry" 1 \
	"$(grep -c '^ntpguard: export: .*No such file or directory' "$NG_TMP/export4.log")"
check_grep "8l ... and the loop says it writes again" "$NG_TMP/export4.log" 'written again \([0-9]+ failed attempts'
check_ge "8m ntpguard_export_failures_total counts the failed attempts" 3 \
	"$(pq "$LATE/ntpguard.prom" ntpguard_export_failures_total)"
check_eq "8m ... the same number the log says" \
	"$(sed -n 's/.*written again (\([0-9]*\) failed attempts.*/\1/p' "$NG_TMP/export4.log" | head -n 1)" \
	"$(pq "$LATE/ntpguard.prom" ntpguard_export_failures_total)"
ng_stop "$EXP_PID"
ng_bg export5 ns srv "$NG" export --dir "$FULL" --interval 0.2
EXP_PID=$NG_BG_PID
ng_assume "8n- the export loop retried 3 times on the full disk (strace)" \
	failed_attempts "$EXP_PID" 3 write "ENOSPC"
check "8n the export loop survives a full disk" kill -0 "$EXP_PID"
check_eq "8o ... keeping the previous file, no temporary file" "ntpguard.prom # old" \
	"$(ls -A "$FULL") $(cat "$FULL/ntpguard.prom")"
mount -o remount,size=1m "$FULL"
full_fixed() { grep -q '^ntpguard_loaded 1$' "$FULL/ntpguard.prom"; }
ng_wait_for 5 full_fixed
check "8p after space is freed the loop writes the file" full_fixed
ng_stop "$EXP_PID"
check_eq "8q the filter is still attached after all this" attached \
	"$(ns srv "$NG" status --json | ng_json "d['interfaces']['eth0']['state']")"
prom_snap "$NG_TMP/p2.prom"
tx "v4,203.0.113.66,$SRV4,40001,123,$M7REQ,5"
ng_wait_stat 10 srv eth0 mode7_request_dropped $(( $(m7 "$NG_TMP/p2.prom" drop) + 5 ))
prom_snap "$NG_TMP/p3.prom"
check_eq "8r ... and still drops and counts" 5 \
	"$(( $(m7 "$NG_TMP/p3.prom" drop) - $(m7 "$NG_TMP/p2.prom" drop) ))"

# =============================================================================
ng_log "case 9: stats --watch"
# At most 20 mode 7 requests/s from att (50 ms sleep after each), for at
# most 60 s, in the background; stopped at the end of this case.
ng_bg trickle ns att "$NG_PY" "$NG_TMP/tx.py" eth0 "$SRV_MAC" "v4,203.0.113.66,$SRV4,40009,123,$M7REQ,1200,50"
TRICKLE_PID=$NG_BG_PID
trickling() {
	ng_snap srv "$NG_TMP/tr.json"
	[ "$(ng_stat "$NG_TMP/tr.json" eth0 mode7_request_dropped)" -gt "$(m7 "$NG_TMP/p3.prom" drop)" ]
}
ng_wait_for 10 trickling
# Each watcher runs until it has shown what is checked (bounded), not for
# a fixed time: a slow machine refreshes later, not less correctly.
WPLAIN=$NG_TMP/watch-plain.txt
ng_bg watchplain ns srv "$NG" stats --watch 1
WATCH_PID=$NG_BG_PID
M7LINE='^[0-9T:-]+ eth0 ingress mode7_request_dropped drop [0-9.]+ pkt/s [0-9]+ B/s$'
TOTLINE='^[0-9T:-]+ \S+ (ingress|egress) total drop '
plain_done() {
	[ "$(grep -Ec "$M7LINE" "$NG_TMP/watchplain.log")" -ge 2 ] &&
	[ "$(grep -Ec "$TOTLINE" "$NG_TMP/watchplain.log")" -ge 6 ]
}
ng_wait_for 30 plain_done
kill -INT "$WATCH_PID"
wait "$WATCH_PID"
check_eq "9a stats --watch (not a terminal) exits 0 on SIGINT" 0 "$?"
cp "$NG_TMP/watchplain.log" "$WPLAIN"
check_grep "9b ... starts with a header line" "$WPLAIN" '^# ntpguard stats --watch: every 1 s'
check_ge "9c ... plain lines with the mode 7 drop rate" 2 "$(grep -Ec "$M7LINE" "$WPLAIN")"
check_ge "9d ... a total line per attachment and refresh" 6 "$(grep -Ec "$TOTLINE" "$WPLAIN")"
check_eq "9e ... no terminal escape sequences" 0 "$(grep -c $'\e' "$WPLAIN")"
# The sender sleeps 50 ms after every frame: over a refresh of dt >= 1 s at
# most dt/0.05 + 1 frames, so no rate above 21/s; and it is sending.
RATES=$(grep -E ' eth0 ingress mode7_request_dropped drop ' "$WPLAIN" | awk '{print $6}' | paste -sd' ')
check_eq "9f ... every mode 7 drop rate in (0, 21] pkt/s (the sender's pacing): $RATES" yes \
	"$(awk -v r="$RATES" 'BEGIN { n = split(r, a, " "); ok = n > 0; for (i = 1; i <= n; i++) if (!(a[i] > 0 && a[i] <= 21)) ok = 0; print ok ? "yes" : "no" }')"

# On a terminal (script(1) gives it a pty): redrawn in place, Ctrl-C = SIGINT.
PIDF=$NG_TMP/watch.pid
ng_bg watchtty script -qfec "sh -c 'echo \$\$ > $PIDF; exec nsenter --net=/run/netns/$(ng_nsname srv) -- $NG stats --watch 1'" /dev/null
SCRIPT_PID=$NG_BG_PID
RAW=$NG_TMP/watchtty.log
redrawn() { [ "$(grep -o $'\e\\[H' "$RAW" | wc -l)" -ge 3 ]; }
ng_wait_for 30 redrawn
kill -INT "$(cat "$PIDF" 2>/dev/null)" 2>/dev/null
wait "$SCRIPT_PID"
check_eq "9g stats --watch on a terminal exits 0 on SIGINT" 0 "$?"
check_ge "9h ... redraws in place (cursor home), once per refresh" 3 "$(grep -o $'\e\\[H' "$RAW" | wc -l)"
check_eq "9i ... hides the cursor and gives it back on exit" "1 1" \
	"$(grep -c $'\e\\[?25l' "$RAW") $(grep -c $'\e\\[?25h' "$RAW")"
check_grep "9j ... shows the rate table" "$RAW" 'mode7_request_dropped +drop +[0-9]+\.[0-9] '

if [ "$HAVE_TMUX" = 1 ]; then
	# The exit status comes from bash, not from tmux: tmux 3.3a sometimes
	# never learns a pane's status when the terminal closes before it reaps
	# the process (#{pane_dead} 1, #{pane_dead_status} empty for good: 17 of
	# 30 tries of a handler that exits 0 on SIGINT). bash waits for the
	# command and, as the command did not die of the SIGINT, goes on to write
	# its status; killed by the signal, it writes nothing.
	WSTATUS=$NG_TMP/watch-tmux.status
	tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s watch -x 100 -y 45 \
		"bash -c 'nsenter --net=/run/netns/$(ng_nsname srv) -- $NG stats --watch 1; echo \$? > $WSTATUS'" \; \
		set-option -t watch remain-on-exit on
	SCREEN=$NG_TMP/watch-screen.txt
	M7ROW='^  mode7_request_dropped +drop +[1-9][0-9]*\.[0-9] +[0-9.]+ [k]?B/s'
	screen_done() {
		tmux -L "$TMUX_SOCK" capture-pane -p -t watch >"$SCREEN" &&
		grep -Eq "$M7ROW" "$SCREEN" && grep -Eq '^eth0 egress \(tc mode' "$SCREEN"
	}
	ng_wait_for 30 screen_done
	check_eq "9k tmux: one header on the screen (refreshed in place)" 1 \
		"$(grep -c '^ntpguard stats --watch: every 1 s' "$SCREEN")"
	check_grep "9l tmux: eth0 ingress with a non-zero mode 7 drop rate" "$SCREEN" "$M7ROW"
	check_grep "9m tmux: the egress attachment and the escaped-name interface are listed" \
		"$SCREEN" '^eth0 egress \(tc mode'
	tmux -L "$TMUX_SOCK" send-keys -t watch C-c
	exited() { [ -s "$WSTATUS" ]; }
	ng_wait_for 10 exited
	check_eq "9n tmux: Ctrl-C ends it with exit 0" 0 "$(cat "$WSTATUS" 2>/dev/null)"
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	ng_log "stats --watch screen (tmux, 100x45):"
	sed -e 's/[[:space:]]*$//' -e '/^$/N;/^\n$/D' "$SCREEN" | sed 's/^/#   /'
else
	ng_fail "9k-9n tmux screen checks: tmux is missing (scripts/deps.sh installs it)"
fi
ng_stop "$TRICKLE_PID"

# =============================================================================
ng_log "case 10: monitor mode and overflow of the per-key table"
prom_snap "$NG_TMP/p4.prom"
check "10a set monitor=on" ns srv "$NG" set monitor=on
tx "v4,203.0.113.66,$SRV4,40001,123,$M7REQ,4"
ng_wait_stat 10 srv eth0 mode7_request_dropped $(( $(m7 "$NG_TMP/p4.prom" would_drop) + 4 )) would_drop_packets
prom_snap "$NG_TMP/p5.prom"
check_eq "10b would_drop series counts monitor mode's would-drops" 4 \
	"$(( $(m7 "$NG_TMP/p5.prom" would_drop) - $(m7 "$NG_TMP/p4.prom" would_drop) ))"
check_eq "10c ... and the drop series does not move" 0 \
	"$(( $(m7 "$NG_TMP/p5.prom" drop) - $(m7 "$NG_TMP/p4.prom" drop) ))"
check_eq "10d ntpguard_monitor_mode 1" 1 "$(pq "$NG_TMP/p5.prom" ntpguard_monitor_mode)"
check_grep "10e top says dropped means would-drop" <(ns srv "$NG" top) 'MONITOR MODE: dropped = would have been dropped'
check "10f set monitor=off" ns srv "$NG" set monitor=off
# 100 spoofed sources against a 64-key table.
tx "v4,203.0.113.100-199,$SRV4,40001,123,$M7REQ,1"
check "10g top after 100 spoofed sources" ns srv "$NG" top
cp "$NG_OUT" "$NG_TMP/top-overflow.txt"
check_grep "10h ... table overflowed: yes" "$NG_TMP/top-overflow.txt" \
	'^tracked keys: [0-9]+ of 64; table overflowed: yes \([0-9]+ keys inserted\)$'
TOPJ=$(ns srv "$NG" top --json)
check_eq "10i top --json: overflowed, at most 64 keys, > 100 inserted" "True True True" \
	"$(ng_json "'%s %s %s' % (d['overflowed'], d['tracked_keys'] <= 64, d['keys_inserted'] > 100)" <<<"$TOPJ")"
prom_snap "$NG_TMP/p6.prom"
check_eq "10j prom: keys_inserted_total > capacity >= entries" yes \
	"$(awk -v i="$(pq "$NG_TMP/p6.prom" ntpguard_rate_table_keys_inserted_total)" \
		-v c="$(pq "$NG_TMP/p6.prom" ntpguard_rate_table_capacity)" \
		-v e="$(pq "$NG_TMP/p6.prom" ntpguard_rate_table_entries)" \
		'BEGIN { print (i > c && c >= e && e > 0) ? "yes" : "no" }')"

# An interface that vanishes behind ntpguard's back: attached 0, counters kept.
ns srv ip link del "$QIF"
prom_snap "$NG_TMP/p7.prom"
check_eq "10k a vanished interface exports ntpguard_attached 0" 0 \
	"$(pq "$NG_TMP/p7.prom" ntpguard_attached interface="$QIF")"
check_eq "10l ... and keeps its counter series (2 x 25)" 50 \
	"$(grep -c "^ntpguard_[a-z]*_total{interface=\"q" "$NG_TMP/p7.prom")"

# =============================================================================
ng_log "case 11: alert rules and systemd units"
RULES=$NG_ROOT/scripts/ntpguard-alerts.yml
RTEST=$NG_ROOT/scripts/ntpguard-alerts.test.yml
check "11a promtool check rules" "$PROMTOOL" check rules "$RULES"
check_grep "11b ... 8 rules" "$NG_OUT" 'SUCCESS: 8 rules found'
check "11c promtool test rules on the sample series" "$PROMTOOL" test rules "$RTEST"
# Controls: the rule test and the metrics lint can fail.
mkdir "$NG_TMP/rules"
cp "$RULES" "$NG_TMP/rules/"
sed 's/"10 mode 7\/mode 6 requests/"11 mode 7\/mode 6 requests/' "$RTEST" >"$NG_TMP/rules/bad.test.yml"
ng_assume "11d control: a wrong expectation fails promtool test rules" not \
	"$PROMTOOL" test rules "$NG_TMP/rules/bad.test.yml"
printf '# HELP ntpguard_drops Drops.\n# TYPE ntpguard_drops counter\nntpguard_drops 1\n' >"$NG_TMP/bad.prom"
ng_assume "11e control: a counter without _total fails promtool check metrics" not \
	"$PROMTOOL" check metrics <"$NG_TMP/bad.prom"
# The units as `make install` writes them, for this build.
mkdir "$NG_TMP/units" "$NG_TMP/unitdir"
for u in ntpguard ntpguard-watch ntpguard-export; do
	sed -e "s|@SBINDIR@/ntpguard|$NG|g" -e "s|@CONFIG@|$NG_TMP/units/ntpguard.conf|g" \
		"$NG_ROOT/dist/systemd/$u.service.in" >"$NG_TMP/units/$u.service"
done
cat >"$NG_TMP/units/ntpguard.conf" <<EOF
[interface eth0]
direction = both
[interface $QIF]
mode = skb
[interface ngsvc0]
[policy]
mode6_request = ratecap
track = on
[allow]
198.51.100.20
2001:db8:5::/48
[export]
dir = $NG_TMP/unitdir
EOF
UNITS=("$NG_TMP/units/ntpguard.service" "$NG_TMP/units/ntpguard-watch.service"
       "$NG_TMP/units/ntpguard-export.service")
if command -v systemd-analyze >/dev/null 2>&1; then
	check "11f systemd-analyze verify: the three units" \
		systemd-analyze verify --man=no "${UNITS[@]}"
	check_eq "11g ... without any warning" "" "$(cat "$NG_OUT" "$NG_ERR")"
	cp "$NG_TMP/units/ntpguard-export.service" "$NG_TMP/bogus.service"
	echo "Bogus=1" >>"$NG_TMP/bogus.service"
	systemd-analyze verify --man=no "$NG_TMP/bogus.service" >"$NG_TMP/verify.out" 2>&1
	ng_assume "11h control: verify reports an unknown key" grep -q "Unknown key 'Bogus'" "$NG_TMP/verify.out"
else
	ng_fail "11f-11h systemd-analyze verify: systemd-analyze is missing (scripts/deps.sh installs it)"
fi
# The units' commands, run as systemd would ('-': failure ignored).
unit_cmd() { # unit_cmd UNIT KEY : the command line
	sed -n "s/^$2=-\{0,1\}//p" "$NG_TMP/units/$1"
}
ns srv ip link add ngsvc0 type veth peer name ngsvc1
ns srv ip link set ngsvc0 up
ns srv ip link set ngsvc1 up
# shellcheck disable=SC2046
check "11i ntpguard.service: ExecStart applies the file" ns srv $(unit_cmd ntpguard.service ExecStart)
check_grep_case "11j ... attaching the interface it names" "$NG_OUT" '^ngsvc0: attached \('
check_eq "11k ... and keeping the others it names as they were" "attached attached skb" \
	"$(ns srv "$NG" status --json | ng_json "' '.join([d['interfaces']['ngsvc0']['state'], d['interfaces']['eth0']['egress']['state'], d['interfaces']['$QIF']['mode']])")"
sed -i '/^\[interface ngsvc0\]/d' "$NG_TMP/units/ntpguard.conf"
# shellcheck disable=SC2046
check "11l ExecReload applies the edited file" ns srv $(unit_cmd ntpguard.service ExecReload)
check_grep_case "11m ... detaching the interface no longer named" "$NG_OUT" '^ngsvc0: detached'
# shellcheck disable=SC2046
check "11n ExecStop detaches every interface" ns srv $(unit_cmd ntpguard.service ExecStop)
check_eq "11o ... and keeps the maps: loaded, nothing attached, allow-list kept" "True  2" \
	"$(ns srv "$NG" status --json | ng_json "'%s %s %d' % (d['loaded'], ' '.join(k for k, v in d['interfaces'].items() if v.get('state') == 'attached'), d['allow']['ipv4'] + d['allow']['ipv6'])")"
# shellcheck disable=SC2046
check "11p ExecStart again" ns srv $(unit_cmd ntpguard.service ExecStart)
check_eq "11q ... eth0 attached again" attached \
	"$(ns srv "$NG" status --json | ng_json "d['interfaces']['eth0']['state']")"
# shellcheck disable=SC2046
check "11r ntpguard-export.service: its ExecStart (with --once) writes the file of [export]" \
	ns srv $(unit_cmd ntpguard-export.service ExecStart) --once
check "11s ... a valid one" "$PROMTOOL" check metrics <"$NG_TMP/unitdir/ntpguard.prom"
printf '[watch ngsvw*]\n' >>"$NG_TMP/units/ntpguard.conf"
# shellcheck disable=SC2046
ng_bg unitwatch ns srv $(unit_cmd ntpguard-watch.service ExecStart)
WPID=$NG_BG_PID
ng_wait_for 10 grep -q 'watching interfaces of' "$NG_TMP/unitwatch.log"
ns srv ip link add ngsvw0 type veth peer name ngsvw1
# "present" if the first scan, which follows that line, already sees it
ng_wait_for 10 grep -Eq '(new|present) ngsvw0 .*attached' "$NG_TMP/unitwatch.log"
check_grep_case "11t ntpguard-watch.service: its ExecStart attaches a new interface of the file" \
	"$NG_TMP/unitwatch.log" '(new|present) ngsvw0 \(ifindex [0-9]+\): ngsvw0: attached'
ng_stop "$WPID"

ng_log "top output (after case 5 traffic):"
sed 's/^/#   /' "$NG_TMP/top.txt"
ng_log "took $(( $(date +%s) - T0 )) s"
ng_summary
