#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# responder-check.sh - check the ntpresponder test double on its own, in two
# throwaway network namespaces (tests/lib.sh: names ngr<PID>-a and -b,
# removed on exit). Needs root, iproute2, python3, nmap. Prints
# "N passed, N failed, N skipped"; exit status 1 if anything failed.
#
#   client ngr<PID>-a 192.0.2.1/24  <-- veth -->  192.0.2.123/24 ngr<PID>-b server
#
# Checks (doc: shared/docs/ntp-protocol.md sections 1.4, 5.1, 8):
#   (a) bare 8-octet monlist (V3) -> 100 replies of 440 octets, seq 0..99,
#       M on all but the last, from port 123; 600 distinct client addresses
#   (b) impl 2 monlist (V4)       -> 40 replies of 488 octets
#   (d) VN 5 (V28)                -> no reply; impl 5 -> one 8-octet
#       INFO_ERR_IMPL reply (97 00 05 2a 10 00 00 00)
#   (e) nmap --script ntp-monlist lists the monitor list: its XML report
#       says 123/udp open and names every address our own client read
#   (g) mode 3 client query (V20) -> 48-octet mode 4 reply with origin =
#       our transmit timestamp, receive and transmit times between our
#       send and receive (the same clock, so no tolerance beyond rounding)
set -u

cd "$(dirname "$0")/.." || exit 2
NG_TAG=ngr
# shellcheck source=tests/lib.sh
. tests/lib.sh
BIN=${NTPRESPONDER:-build/tests/ntpresponder}

ng_require_root
[ -x "$BIN" ] || make -s "$BIN" || ng_fatal "cannot build $BIN"
ng_require_bin ip nsenter nmap "$NG_PY" "$BIN"

# ---- topology ------------------------------------------------------------
ng_ns_add a
ng_ns_add b
ng_veth a eth0 b eth0
ns a ip addr add 192.0.2.1/24 dev eth0
ns b ip addr add 192.0.2.123/24 dev eth0
ng_neigh a 192.0.2.123 "$(ng_mac b eth0)" eth0
ng_neigh b 192.0.2.1 "$(ng_mac a eth0)" eth0

# ---- responder -----------------------------------------------------------
LOG=$NG_TMP/resp.req
ng_bg resp ns b "$BIN" -4 --prefill 600 --duration 120 --log "$LOG"
started() { grep -q '^start ' "$LOG" 2>/dev/null; }
ng_wait_for 10 started || ng_fatal "responder did not start: $(cat "$NG_TMP/resp.log")"

# ---- client helper -------------------------------------------------------
# m7 HEX [WAIT]: send one datagram to 192.0.2.123:123, print one line per
# reply: "<len> <sport> <hex of the first 8 octets>", stop after WAIT s of
# silence. m7addrs HEX: the same request; prints the client addresses of
# the MON_GETLIST_1 items of the replies (72-octet items, address at 16).
cat >"$NG_TMP/client.py" <<'EOF'
import socket, sys, struct, time
mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("192.0.2.1", 0))
if mode in ("m7", "m7addrs"):
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    s.sendto(bytes.fromhex(sys.argv[2]), ("192.0.2.123", 123))
    s.settimeout(wait)
    while True:
        try:
            d, a = s.recvfrom(4096)
        except socket.timeout:
            break
        if mode == "m7":
            print(len(d), a[1], d[:8].hex())
            continue
        nit, isz = ((d[4] & 15) << 8) | d[5], ((d[6] & 15) << 8) | d[7]
        for i in range(nit):
            item = d[8 + i * isz: 8 + (i + 1) * isz]
            print(socket.inet_ntoa(item[16:20]))
elif mode == "m3":
    # V20 shape: NTPv4 client, transmit timestamp = now
    now = time.time()
    sec = int(now) + 2208988800
    frac = int((now % 1) * 2**32)
    xmt = struct.pack("!II", sec, frac)
    s.sendto(bytes.fromhex("230006e0") + bytes(36) + xmt, ("192.0.2.123", 123))
    s.settimeout(5)
    d, a = s.recvfrom(4096)
    t4 = time.time()
    rx = struct.unpack("!II", d[32:40]); tx = struct.unpack("!II", d[40:48])
    def ts(v): return v[0] - 2208988800 + v[1] / 2**32
    # 1 us: rounding of the NTP fraction and of time.time()'s float
    eps = 1e-6
    inside = now - eps <= ts(rx) <= ts(tx) <= t4 + eps
    print("len %d sport %d mode %d vn %d li %d stratum %d poll %d prec %d "
          "origin_ok %d times_inside %d" % (
          len(d), a[1], d[0] & 7, (d[0] >> 3) & 7, d[0] >> 6, d[1], d[2],
          struct.unpack("b", d[3:4])[0], d[24:32] == xmt, inside))
    print("# sent %.6f, server received %.6f, sent %.6f, back %.6f" % (now, ts(rx), ts(tx), t4))
EOF
m7() { ns a "$NG_PY" "$NG_TMP/client.py" m7 "$@"; }

# check_train NAME FILE N LEN IMPL CODE : N packets of LEN octets, seq
# 0..N-1, M on all but the last, source port 123, impl/code echoed
check_train() {
	local r
	if r=$("$NG_PY" - "${@:2}" <<'EOF'
import sys
f, n, ln, impl, code = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = [l.split() for l in open(f) if l.strip()]
errs = []
if len(rows) != n:
    errs.append("%d packets, want %d" % (len(rows), n))
for i, (l, sport, h) in enumerate(rows):
    b = bytes.fromhex(h)
    more = i < len(rows) - 1
    if int(l) != ln: errs.append("pkt %d len %s" % (i, l))
    if sport != "123": errs.append("pkt %d from port %s" % (i, sport))
    if b[0] != (0x80 | (0x40 if more else 0) | (2 << 3) | 7): errs.append("pkt %d byte0 %02x" % (i, b[0]))
    if b[1] & 0x7f != i: errs.append("pkt %d seq %d" % (i, b[1] & 0x7f))
    if b[2] != impl or b[3] != code: errs.append("pkt %d impl/code %d/%d" % (i, b[2], b[3]))
    isz = ((b[6] & 15) << 8) | b[7]; nit = ((b[4] & 15) << 8) | b[5]
    if b[4] >> 4 or 8 + nit * isz != int(l): errs.append("pkt %d err/nitems/itemsize %d/%d/%d" % (i, b[4] >> 4, nit, isz))
    if len(errs) > 5: break
print("; ".join(errs[:6]) if errs else "ok")
sys.exit(1 if errs else 0)
EOF
	); then
		ng_pass "$1"
	else
		ng_fail "$1" "$r"
	fi
}

# ---- (a) bare 8-octet monlist, impl 3 ------------------------------------
m7 1700032a00000000 >"$NG_TMP/a"
check_train "(a) 8-octet monlist impl 3 -> 100 x 440 octets, seq 0..99, M until last" \
	"$NG_TMP/a" 100 440 3 42
check_grep_case "(a) responder log: 100 packets 44000 bytes" "$LOG" \
	'code 42 impl 3 len 8 -> 100 packets 44000 bytes'
ns a "$NG_PY" "$NG_TMP/client.py" m7addrs 1700032a00000000 | sort -u >"$NG_TMP/monlist.addrs"
check_eq "(a) the monitor list: 600 distinct client addresses (599 prefilled + us)" 600 \
	"$(wc -l <"$NG_TMP/monlist.addrs")"
check_grep_case "(a) ... we are on it" "$NG_TMP/monlist.addrs" '^192\.0\.2\.1$'

# ---- (b) impl 2 ------------------------------------------------------------
m7 1700022a00000000 >"$NG_TMP/b"
check_train "(b) monlist impl 2 -> 40 x 488 octets (15 x 32-octet items)" "$NG_TMP/b" 40 488 2 42

# ---- (d) bad VN: silence; impl 5: INFO_ERR_IMPL --------------------------
m7 2f00032a00000000 1.5 >"$NG_TMP/d1"
check_eq "(d) VN 5 request -> no reply" 0 "$(grep -c . "$NG_TMP/d1")"
check_grep_case "(d) ... the responder logged the drop" "$LOG" \
	'len 8 -> 0 packets 0 bytes \(vn 5, dropped: VN not 1\.\.4\)'
check_eq "(d) impl 5 -> 8-octet INFO_ERR_IMPL (97 00 05 2a 10 00 00 00)" \
	"8 123 9700052a10000000" "$(m7 1700052a00000000)"

# ---- (e) nmap ntp-monlist -------------------------------------------------
# nmap's XML report, not its screen layout: the port's state and the
# addresses the script's output names (whatever the version's format).
ns a nmap -n -Pn -sU -p 123 --script ntp-monlist -oX "$NG_TMP/nmap.xml" 192.0.2.123 \
	>"$NG_TMP/nmap.out" 2>&1
check_eq "(e) nmap: 123/udp open" open "$(ng_nmap "$NG_TMP/nmap.xml" "port_state('udp', 123)")"
ng_nmap "$NG_TMP/nmap.xml" "'\n'.join(sorted(addrs('ntp-monlist')))" >"$NG_TMP/nmap.addrs"
check_eq "(e) nmap ntp-monlist names every address of the monitor list" "" \
	"$(comm -23 "$NG_TMP/monlist.addrs" <(sort -u "$NG_TMP/nmap.addrs") | head -n 5 | paste -sd' ')"
ng_log "nmap ntp-monlist named $(wc -l <"$NG_TMP/nmap.addrs") addresses"

# ---- (g) mode 3 -> mode 4 ---------------------------------------------------
out=$(ns a "$NG_PY" "$NG_TMP/client.py" m3 2>&1)
check_eq "(g) mode 3 query -> 48-octet mode 4 reply, our origin, times inside the exchange" \
	"len 48 sport 123 mode 4 vn 4 li 0 stratum 2 poll 6 prec -20 origin_ok 1 times_inside 1" \
	"$(head -n 1 <<<"$out")"
ng_log "${out#*$'\n'# }"

ng_summary
