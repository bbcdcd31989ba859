#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/check.sh - `ntpguard check` against real servers in throwaway network
# namespaces (names start with "ngc<PID>-"; documentation addresses only),
# with tshark on the prober's side as the witness of every byte.
#
#   cli    192.0.2.1    2001:db8::1    runs `ntpguard check` and tshark
#   resp   192.0.2.10   2001:db8::10   tests/ntpresponder, 600 monitor entries
#   ntps   192.0.2.11   2001:db8::11   ntpsec ntpd (build/sysroot), mode 6 open
#                                      to 192.0.2.0/24, no clock discipline
#   chr    192.0.2.12                  chronyd -x (build/sysroot), allow all
#   closed 192.0.2.13                  nothing listens: ICMP port unreachable
#   evil   192.0.2.14                  hostile python server (malformed replies,
#                                      endless M-bit train, wrong source port)
#   (192.0.2.9 does not exist)
# All joined by a bridge in namespace "sw". Daemons run without CAP_SYS_TIME.
#
# Needs root, iproute2, tshark, python3, capsh, script; chronyd/ntpd from
# scripts/deps.sh. Prints "N passed, N failed"; exit 1 if anything failed.
set -u

cd "$(dirname "$0")/.." || exit 2
NG_TAG=ngc   # namespaces ngc<PID>-NAME, temp dir /tmp/ngc<PID>-XXXXXX
# shellcheck source=tests/lib.sh
. tests/lib.sh
NG=$NTPGUARD
RESP=${NTPRESPONDER:-$PWD/build/tests/ntpresponder}
SYSROOT=$NG_SYSROOT
PY=$NG_PY
TMP=$NG_TMP

[ "$(id -u)" = 0 ] || ng_fatal "needs root (network namespaces)"
for b in ip nsenter tshark capsh script "$PY"; do
	command -v "$b" >/dev/null || ng_fatal "missing $b (scripts/deps.sh)"
done
[ -x "$NG" ] || make -s "$NG" || ng_fatal "cannot build $NG"
[ -x "$RESP" ] || make -s build/tests/ntpresponder || ng_fatal "cannot build $RESP"
for f in "$SYSROOT/usr/sbin/chronyd" "$SYSROOT/usr/sbin/ntpd"; do
	[ -x "$f" ] || ng_fatal "missing $f (scripts/deps.sh)"
done
# What READVAR must report: the version of the ntpsec package that runs.
SECVER=$(ng_ntpsec_version) || ng_fatal "no ntpsec package in build/debs (scripts/deps.sh)"

# ---- topology ---------------------------------------------------------------
for n in sw cli resp ntps chr closed evil; do
	ng_ns_add "$n"
done
ns sw ip link add br0 type bridge
ns sw ip link set br0 up
for n in cli resp ntps chr closed evil; do
	ng_veth "$n" eth0 sw "$n"
	ns sw ip link set "$n" master br0
done
addr() { ns "$1" ip addr add "$2" dev eth0 ${3:+nodad}; }
addr cli 192.0.2.1/24;   addr cli 2001:db8::1/64 v6
addr resp 192.0.2.10/24; addr resp 2001:db8::10/64 v6
addr ntps 192.0.2.11/24; addr ntps 2001:db8::11/64 v6
addr chr 192.0.2.12/24
addr closed 192.0.2.13/24
addr evil 192.0.2.14/24
# 192.0.2.9 is a host that is down: a static neighbour entry lets our
# requests leave (and be captured) instead of dying in ARP resolution
ns cli ip neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent

# ---- servers ----------------------------------------------------------------
ng_bg resp ns resp "$RESP" --prefill 600 --duration 600 --log "$TMP/resp.req"
listening() { ns "$1" ss -Hlun "sport = :123" | grep -q "$2"; }
ng_wait_for 10 listening resp 0.0.0.0 || ng_fatal "ntpresponder did not start: $(cat "$TMP/resp.log")"

# ntpsec: "disable ntp" and no servers: it never disciplines the clock, and
# it runs without CAP_SYS_TIME anyway. ntpsec >= 1.1.9 starts the default
# entries with noquery, so mode 6 is opened for the test network only.
mkdir -m 0700 "$TMP/ntpsec"
cat >"$TMP/ntpsec/ntp.conf" <<EOF
disable ntp
restrict default kod nomodify nopeer limited
restrict 192.0.2.0 mask 255.255.255.0 nomodify nopeer
restrict 2001:db8:: mask ffff:ffff:ffff:ffff:: nomodify nopeer
EOF
ng_bg ntpsec ns ntps capsh --drop=cap_sys_time -- -c \
	"exec $SYSROOT/usr/sbin/ntpd -n -c $TMP/ntpsec/ntp.conf -l $TMP/ntpsec/log -p $TMP/ntpsec/pid"
ntpsec_ready() { grep -q 'Listen normally on .* 192\.0\.2\.11:123' "$TMP/ntpsec/log" &&
		 grep -q 'Listen normally on .* \[2001:db8::11\]:123' "$TMP/ntpsec/log"; }
ng_wait_for 20 ntpsec_ready || ng_fatal "ntpsec ntpd did not listen: $(tail -n 5 "$TMP/ntpsec/log" "$TMP/ntpsec.log")"

mkdir -m 0700 "$TMP/chrony"
cat >"$TMP/chrony/chrony.conf" <<EOF
pidfile $TMP/chrony/chronyd.pid
driftfile $TMP/chrony/drift
bindcmdaddress $TMP/chrony/chronyd.sock
cmdport 0
allow all
local stratum 8
EOF
ng_bg chronyd ns chr capsh --drop=cap_sys_time -- -c \
	"exec $SYSROOT/usr/sbin/chronyd -x -u root -f $TMP/chrony/chrony.conf -d"
ng_wait_for 10 listening chr 0.0.0.0 || ng_fatal "chronyd did not start: $(tail -n 5 "$TMP/chronyd.log")"

# A hostile "server": everything a broken or malicious host might send back.
cat >"$TMP/evil.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.14", 123))
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
w.bind(("192.0.2.14", 124))
while True:
    d, a = s.recvfrom(4096)
    if len(d) < 8:
        continue
    mode = d[0] & 7
    if mode == 7 and d[3] == 42 and d[2] == 3:
        # a perfect one-packet monlist reply, but from port 124: ignored
        w.sendto(bytes([0x97, 0, 3, 42, 0, 1, 0, 72]) + bytes(72), a)
        # 7 x 72 = 504 data octets (> 500), items running past the packet,
        # and 4095 x 4095 claimed in 8 octets (doc vectors V34, V33)
        s.sendto(bytes([0xd7, 0, 3, 42, 0, 7, 0, 72]) + bytes(504), a)
        s.sendto(bytes([0xd7, 1, 3, 42, 0, 6, 0, 72]) + bytes(100), a)
        s.sendto(bytes.fromhex("9700032a0fff0fff"), a)
    elif mode == 7 and d[3] == 20:
        # a train that never ends: M always set, sequence wrapping
        for i in range(300):
            s.sendto(bytes([0xd7, i & 0x7f, d[2], 20, 0, 0, 0, 0]), a)
    elif mode == 6:
        seq = d[2:4]
        # count beyond the packet, offset beyond any buffer
        s.sendto(bytes([0x16, 0xa2]) + seq + bytes(6) + bytes([0x01, 0xf4]) + bytes(8), a)
        s.sendto(bytes([0x16, 0xa2]) + seq + bytes(4) + bytes([0xea, 0x60, 0, 8]) + bytes(8), a)
        txt = b'version="hostile\x07\x1b[2Jserver", x=1'
        txt += bytes(-len(txt) % 4)
        s.sendto(bytes([0x16, 0x82]) + seq + bytes(6) + len(txt).to_bytes(2, "big") + txt, a)
    elif mode == 3:
        # not an answer to anything we asked (wrong origin): "other"
        s.sendto(bytes([0x24]) + bytes(47), a)
EOF
ng_bg evil ns evil "$PY" "$TMP/evil.py"
ng_wait_for 10 listening evil 192.0.2.14 || ng_fatal "hostile server did not start: $(cat "$TMP/evil.log")"

# ---- helpers ----------------------------------------------------------------
# js FILE EXPR : evaluate EXPR with d = the JSON in FILE, h(addr) = that host
js() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("bad-json:", e); sys.exit(0)
def h(a):
    return next(x for x in d["hosts"] if x["address"] == a)
try:
    v = eval(sys.argv[2])
except Exception as e:
    v = "error: %r" % e
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
EOF
}

CAP_PID=
# cap_start NAME: tshark on the prober's side, UDP port 123 (and the port 9
# markers that prove it is capturing), one line per packet, written live.
cap_start() {
	CAP=$TMP/cap-$1
	ng_bg "cap-$1" ns cli tshark -l -n -i eth0 -f 'udp port 123 or udp dst port 9' \
		-T fields -E separator=, -e frame.time_epoch -e ip.src -e ipv6.src \
		-e ip.dst -e ipv6.dst -e udp.srcport -e udp.dstport -e udp.length
	CAP_PID=$NG_BG_PID
	for _ in $(seq 100); do
		ns cli "$PY" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"m", ("192.0.2.9", 9))'
		grep -q ',9,9$' "$CAP.log" 2>/dev/null && return 0
		sleep 0.1
	done
	ng_fatal "tshark did not start capturing: $(head -n 5 "$CAP.log")"
}
cap_stop() {
	sleep 0.5       # late replies, if any, belong in the capture too
	# then an end marker: once tshark printed it, it printed all before it
	local i
	for i in $(seq 50); do
		ns cli "$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.1", 19999)); s.sendto(b"e", ("192.0.2.9", 9))'
		grep -q ',19999,9,' "$CAP.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ',19999,9,' "$CAP.log" 2>/dev/null || ng_fail "capture $CAP: the end marker never arrived"
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	# keep the packet lines (time,addresses,ports,length), not the markers
	grep -E '^[0-9.]+,' "$CAP.log" | grep -v ',9,9$' | grep -v ',19999,9,' >"$CAP.pk"
}

# capcmp JSON : per host of the JSON, what tshark saw from HOST:123 and to
# HOST:123 equals rx/tx packets and UDP payload bytes; nothing else was
# sent at all. Prints "ok" or the differences.
capcmp() {
	"$PY" - "$1" "$CAP.pk" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rx, tx, errs = {}, {}, []
for line in open(sys.argv[2]):
    t, s4, s6, d4, d6, sp, dp, ulen = line.strip().split(",")
    src, dst, pay = s4 or s6, d4 or d6, int(ulen) - 8
    if sp == "123":
        c = rx.setdefault(src, [0, 0]); c[0] += 1; c[1] += pay
    elif dp == "123":
        c = tx.setdefault(dst, [0, 0]); c[0] += 1; c[1] += pay
    else:
        errs.append("odd packet " + line.strip())
named = {h["address"] for h in d["hosts"]}
for a in tx:
    if a not in named:
        errs.append("sent to %s, which was not a target" % a)
for h in d["hosts"]:
    a = h["address"]
    got = (h["rx_packets"], h["rx_bytes"], h["tx_packets"], h["tx_bytes"])
    cap = tuple(rx.get(a, [0, 0]) + tx.get(a, [0, 0]))
    if got != cap:
        errs.append("%s: check rx/tx %s, tshark %s" % (a, got, cap))
    ps = sum(p["bytes"] for p in h["probes"].values()) + h["other_bytes"]
    if ps != h["rx_bytes"]:
        errs.append("%s: probes sum to %d, host rx_bytes %d" % (a, ps, h["rx_bytes"]))
print("; ".join(errs) if errs else "ok")
EOF
}

# chk NAME ARGS... : run check in cli, JSON to $OUT, exit code in $RC
chk() {
	local name=$1
	shift
	OUT=$TMP/$name.json
	ns cli "$NG" check "$@" >"$OUT" 2>"$TMP/$name.err"
	RC=$?
}

# ---- 1. the responder (ntpd 4.2.6-like) over IPv4 ----------------------------
cap_start resp4
chk resp4 --json -t 1 -r 50 192.0.2.10
cap_stop
check_eq "responder: exit 3 (vulnerable)" 3 "$RC"
check_eq "responder: verdict vulnerable" vulnerable "$(js "$OUT" 'h("192.0.2.10")["verdict"]')"
check_eq "responder: monlist impl 3 = 100 packets, 44000 bytes, 600 items, complete" \
	"100 44000 600 True" \
	"$(js "$OUT" '" ".join(str(h("192.0.2.10")["probes"]["monlist"][k]) for k in ("packets","bytes","items","complete"))')"
check_eq "responder: monlist BAF 44000/48 = 916.67, IP-level 46800/76 = 615.79" \
	"916.67 615.79 46800 76" \
	"$(js "$OUT" '" ".join(str(h("192.0.2.10")["probes"]["monlist"][k]) for k in ("baf","ip_factor","ip_bytes","request_ip_bytes"))')"
check_eq "responder: impl 2 not sent, impl 3 answered with data" \
	"False impl 3 answered with data" \
	"$(js "$OUT" 'str(h("192.0.2.10")["probes"]["monlist_impl2"]["sent"]) + " " + h("192.0.2.10")["probes"]["monlist_impl2"]["skipped_because"]')"
check_eq "responder: code 20 = 60 packets 29280 bytes; PEER_LIST 72; PEER_LIST_SUM 152" \
	"60 29280 72 152" \
	"$(js "$OUT" '"%d %d %d %d" % (h("192.0.2.10")["probes"]["mon_getlist"]["packets"], h("192.0.2.10")["probes"]["mon_getlist"]["bytes"], h("192.0.2.10")["probes"]["peer_list"]["bytes"], h("192.0.2.10")["probes"]["peer_list_sum"]["bytes"])')"
check_eq "responder: mode 6 not answered, no version, serves time" "none None True" \
	"$(js "$OUT" '"%s %s %s" % (h("192.0.2.10")["probes"]["readvar"]["reply"], h("192.0.2.10")["ntpd_version"], h("192.0.2.10")["serves_time"])')"
check_eq "responder: byte and packet counts equal tshark's, nothing sent elsewhere" ok "$(capcmp "$OUT")"
check_eq "responder's own log: one 48-octet monlist request answered with 100 packets, 44000 bytes" 1 \
	"$(grep -c 'req from 192\.0\.2\.1:[0-9]* mode 7 code 42 impl 3 len 48 -> 100 packets 44000 bytes' "$TMP/resp.req")"

# ---- 2. the responder over IPv6: 48 header bytes per packet ------------------
cap_start resp6
chk resp6 --json -t 1 -r 50 2001:db8::10
cap_stop
check_eq "responder IPv6: exit 3, vulnerable" "3 vulnerable" "$RC $(js "$OUT" 'h("2001:db8::10")["verdict"]')"
check_eq "responder IPv6: monlist IP bytes 44000 + 100 x 48 = 48800, factor 48800/96 = 508.33" \
	"48800 508.33" "$(js "$OUT" '"%d %.2f" % (h("2001:db8::10")["probes"]["monlist"]["ip_bytes"], h("2001:db8::10")["probes"]["monlist"]["ip_factor"])')"
check_eq "responder IPv6: counts equal tshark's" ok "$(capcmp "$OUT")"

# ---- 3. ntpsec: mode 6 only ----------------------------------------------------
cap_start ntps
chk ntps --json -t 1 -r 50 192.0.2.11 2001:db8::11
cap_stop
check_eq "ntpsec: exit 0 (not vulnerable)" 0 "$RC"
check_eq "ntpsec: verdict mode6-only on IPv4 and IPv6" "mode6-only mode6-only" \
	"$(js "$OUT" 'h("192.0.2.11")["verdict"] + " " + h("2001:db8::11")["verdict"]')"
check_eq "ntpsec: version from READVAR (package ntpsec $SECVER)" "ntpd ntpsec-$SECVER" \
	"$(js "$OUT" 'h("192.0.2.11")["ntpd_version"]')"
check_eq "ntpsec: no mode 7 probe answered" "none none none none none" \
	"$(js "$OUT" '" ".join(h("192.0.2.11")["probes"][k]["reply"] for k in ("monlist","monlist_impl2","mon_getlist","peer_list","peer_list_sum"))')"
check_eq "ntpsec: READVAR answered with data, complete, BAF > 1" "data True True" \
	"$(js "$OUT" '"%s %s %s" % (h("192.0.2.11")["probes"]["readvar"]["reply"], h("192.0.2.11")["probes"]["readvar"]["complete"], h("192.0.2.11")["probes"]["readvar"]["baf"] > 1)')"
check_eq "ntpsec: counts equal tshark's" ok "$(capcmp "$OUT")"
ns cli "$NG" check -t 1 -r 50 192.0.2.11 >"$TMP/ntps.txt" 2>&1
if grep -q '^192\.0\.2\.11: mode 6 only' "$TMP/ntps.txt" &&
   grep -qF "ntpd version: ntpd ntpsec-$SECVER" "$TMP/ntps.txt"; then
	ng_pass "ntpsec: human output says 'mode 6 only' and the version"
else
	ng_fail "ntpsec: human output: $(cat "$TMP/ntps.txt")"
fi

# ---- 4. chrony: nothing -----------------------------------------------------------
cap_start chr
chk chr --json -t 1 -r 50 192.0.2.12
cap_stop
check_eq "chrony: exit 0, not-answering, but serves time" "0 not-answering True" \
	"$RC $(js "$OUT" 'h("192.0.2.12")["verdict"] + " " + str(h("192.0.2.12")["serves_time"])')"
check_eq "chrony: the only reply is one 48-byte mode 4 packet" "1 48 1 48" \
	"$(js "$OUT" '"%d %d %d %d" % (h("192.0.2.12")["rx_packets"], h("192.0.2.12")["rx_bytes"], h("192.0.2.12")["probes"]["time"]["packets"], h("192.0.2.12")["probes"]["time"]["bytes"])')"
check_eq "chrony: counts equal tshark's" ok "$(capcmp "$OUT")"

# ---- 5. closed port: ICMP port unreachable ----------------------------------------
cap_start closed
chk closed --json -t 1 -r 50 192.0.2.13
cap_stop
check_eq "closed port: exit 0, not-answering, port unreachable, 0 bytes" \
	"0 not-answering port unreachable 0" \
	"$RC $(js "$OUT" '"%s %s %d" % (h("192.0.2.13")["verdict"], h("192.0.2.13")["unreachable"], h("192.0.2.13")["rx_bytes"])')"
check_eq "closed port: counts equal tshark's (the remaining probes are not sent)" ok "$(capcmp "$OUT")"

# ---- 6. a /29 with all of them, at 10 requests/s -------------------------------------
cap_start range
T0=$(date +%s.%N)
chk range --json -t 1 -r 10 192.0.2.8/29
T1=$(date +%s.%N)
cap_stop
check_eq "range: exit 3" 3 "$RC"
check_eq "range: 192.0.2.9-14, one verdict each; vulnerable only for the responder" \
	'[["192.0.2.9", "not-answering"], ["192.0.2.10", "vulnerable"], ["192.0.2.11", "mode6-only"], ["192.0.2.12", "not-answering"], ["192.0.2.13", "not-answering"], ["192.0.2.14", "mode7-no-data"]]' \
	"$(js "$OUT" '[[x["address"], x["verdict"]] for x in d["hosts"]]')"
check_eq "range: summary 1 vulnerable of 6" "6 1" "$(js "$OUT" '"%d %d" % (d["summary"]["hosts"], d["summary"]["vulnerable"])')"
check_eq "range: counts equal tshark's for every host; nothing sent outside the /29" ok "$(capcmp "$OUT")"
r=$("$PY" - "$CAP.pk" "$T0" "$T1" <<'EOF'
import sys
ts = sorted(float(l.split(",")[0]) for l in open(sys.argv[1]) if l.split(",")[6].strip() == "123")
gaps = [b - a for a, b in zip(ts, ts[1:])]
n, dur = len(ts), float(sys.argv[3]) - float(sys.argv[2])
# strictly spaced at 10/s: check reads its clock, sends, and sends the next
# no earlier than 0.1 s after that reading; the capture stamps each request
# a moment after the reading (5 ms allowed for that moment)
ok = n >= 30 and min(gaps) >= 0.095
print("ok" if ok else "n=%d min_gap=%.3f" % (n, min(gaps) if gaps else -1))
print("# range: %d requests in %.2f s (documented bound: requests/rate + timeout = %.1f s)" %
      (n, dur, n / 10 + 1), file=sys.stderr)
EOF
)
check_eq "range: requests at most 10/s (gaps >= 0.1 s)" ok "$r"

# ---- 7. the hostile server ---------------------------------------------------------------
E='h("192.0.2.14")["probes"]'
check_eq "hostile: monlist from port 124 ignored; 3 malformed replies counted, not believed" \
	"error 3 3 0" "$(js "$OUT" '"%s %d %d %d" % ('"$E"'["monlist"]["reply"], '"$E"'["monlist"]["packets"], '"$E"'["monlist"]["malformed"], '"$E"'["monlist"]["items"])')"
check_eq "hostile: impl 2 then tried (impl 3 gave no data)" "true" "$(js "$OUT" "$E"'["monlist_impl2"]["sent"]')"
check_eq "hostile: endless M-bit train: 300 packets, 172 duplicates, never complete" "300 172 False" \
	"$(js "$OUT" '"%d %d %s" % ('"$E"'["mon_getlist"]["packets"], '"$E"'["mon_getlist"]["duplicates"], '"$E"'["mon_getlist"]["complete"])')"
check_eq "hostile: mode 6 out-of-bounds fragments rejected, control characters not passed on" \
	"2 hostile??[2Jserver" "$(js "$OUT" '"%d %s" % ('"$E"'["readvar"]["malformed"], h("192.0.2.14")["ntpd_version"])')"
check_eq "hostile: the unsolicited packet is accounted as 'other'" "1 48" \
	"$(js "$OUT" '"%d %d" % (h("192.0.2.14")["other_packets"], h("192.0.2.14")["other_bytes"])')"

# ---- 8. a host name: localhost inside the responder's namespace ----------------------
ns resp "$NG" check --json -4 -t 0.5 -r 50 localhost >"$TMP/lh.json" 2>&1
check_eq "host name: localhost -4 resolves to 127.0.0.1, vulnerable" \
	'[["127.0.0.1", "localhost", "vulnerable"]]' \
	"$(js "$TMP/lh.json" '[[x["address"], x["target"], x["verdict"]] for x in d["hosts"]]')"

# ---- 9. no privileges needed ----------------------------------------------------------------
ns cli setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$NG" check --json -t 0.5 -r 50 192.0.2.10 >"$TMP/nobody.json" 2>"$TMP/nobody.err"
check_eq "as user nobody, no capabilities: exit 3, monlist 44000 bytes" "3 44000" \
	"$? $(js "$TMP/nobody.json" 'h("192.0.2.10")["probes"]["monlist"]["bytes"]')"

# ---- 10. bad arguments: exit 2, nothing sent ---------------------------------------------
cap_start usage
bad_args() {  # bad_args WANT_RC ARGS...
	local want=$1 rc
	shift
	ns cli "$NG" check -r 50 "$@" >"$TMP/u.out" 2>"$TMP/u.err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(grep -c '^ntpguard: ' "$TMP/u.err")" -ge 1 ]; then
		ng_pass "check $*: exit $want, '$(head -n 1 "$TMP/u.err")'"
	else
		ng_fail "check $*: exit $rc (want $want): $(cat "$TMP/u.err")"
	fi
}
bad_args 2 198.51.96.0/21
bad_args 2 192.0.2.0/22 192.0.2.10
bad_args 2 2001:db8::/117
bad_args 2 --max-hosts 3 192.0.2.8/29
bad_args 2 192.0.2.10/24
bad_args 2 --rate 0 192.0.2.10
bad_args 2 --timeout 61 192.0.2.10
bad_args 2 -4 -6 192.0.2.10
bad_args 2 -6 192.0.2.0/30
bad_args 2 192.0.2.300
bad_args 2 192.0.2
bad_args 2 2001:db8::g
bad_args 2
bad_args 1 no-such-host.invalid
cap_stop
check_eq "bad arguments: not a single packet sent" 0 "$(grep -c . "$CAP.pk")"
ns cli "$NG" check --help >"$TMP/help" 2>&1
check_eq "check --help: exit 0, documents exit code 3" "0 1" "$? $(grep -c '3 at least one host vulnerable' "$TMP/help")"
ns cli "$NG" check --max-hosts 2048 --json -t 0.2 -r 10000 --no-progress 192.0.2.8/29 >/dev/null 2>&1
check_eq "--max-hosts raises the limit (the /29 still exits 3)" 3 "$?"

# ---- 11. progress: on a terminal only, never with --json or piped ----------------------
ns cli script -qfec "$NG check -t 0.3 -r 100 192.0.2.12/30" /dev/null >"$TMP/tty.txt" 2>&1
ns cli script -qfec "$NG check --json -t 0.3 -r 100 192.0.2.12/30" /dev/null >"$TMP/ttyjson.txt" 2>&1
ns cli "$NG" check -t 0.3 -r 100 192.0.2.12/30 >"$TMP/pipe.txt" 2>&1
if grep -q 'hosts done, 0 vulnerable' "$TMP/tty.txt" &&
   ! grep -q 'hosts done' "$TMP/ttyjson.txt" && ! grep -q 'hosts done' "$TMP/pipe.txt" &&
   ! grep -q $'\r' "$TMP/pipe.txt"; then
	ng_pass "progress on a terminal; none with --json or when piped"
else
	ng_fail "progress: tty='$(tr '\r' '|' <"$TMP/tty.txt" | head -c 300)' json/pipe: $(grep -c 'hosts done' "$TMP/ttyjson.txt" "$TMP/pipe.txt")"
fi
if "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/ttyjson.txt" 2>/dev/null; then
	ng_pass "--json on a terminal is still exactly one JSON document"
else
	ng_fail "--json on a terminal is not clean JSON: $(head -c 300 "$TMP/ttyjson.txt")"
fi

ng_summary
