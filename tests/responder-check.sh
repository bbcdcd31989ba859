#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# responder-check.sh - check the ntpresponder test double on its own, in two
# throwaway network namespaces (names start with "ngr-" and carry our PID, so
# concurrent runs do not collide). Needs root, iproute2, python3; nmap for
# check (e). Prints "N passed, N failed"; exit status 1 if anything failed.
#
#   client ngr-a-PID 192.0.2.1/24  <-- veth -->  192.0.2.123/24 ngr-b-PID server
#
# Checks (doc: shared/docs/ntp-protocol.md sections 1.4, 5.1, 8):
#   (a) bare 8-octet monlist (V3) -> 100 replies of 440 octets, seq 0..99,
#       M on all but the last, from port 123
#   (b) impl 2 monlist (V4)       -> 40 replies of 488 octets
#   (d) VN 5 (V28)                -> no reply; impl 5 -> one 8-octet
#       INFO_ERR_IMPL reply (97 00 05 2a 10 00 00 00)
#   (e) nmap --script ntp-monlist lists the monitor list
#   (g) mode 3 client query (V20) -> 48-octet mode 4 reply with origin =
#       our transmit timestamp and a current receive/transmit time
set -u

cd "$(dirname "$0")/.." || exit 2
BIN=${NTPRESPONDER:-build/tests/ntpresponder}
NSA=ngr-a-$$
NSB=ngr-b-$$
VA=ngr$$a
VB=ngr$$b
TMP=$(mktemp -d /tmp/ngr-check.XXXXXX)
RESP_PID=
pass=0
fail=0

cleanup() {
	if [ -n "$RESP_PID" ]; then
		kill "$RESP_PID" 2>/dev/null
		wait "$RESP_PID" 2>/dev/null
	fi
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "responder-check: needs root (network namespaces)" >&2
	exit 2
fi
if [ ! -x "$BIN" ]; then
	make -s "$BIN" || exit 2
fi
PY=$(command -v python3) || { echo "responder-check: needs python3" >&2; exit 2; }

# ---- topology ------------------------------------------------------------
ip netns add "$NSA" && ip netns add "$NSB" || exit 2
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || exit 2
ip -n "$NSA" addr add 192.0.2.1/24 dev "$VA"
ip -n "$NSB" addr add 192.0.2.123/24 dev "$VB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up

# ---- responder -----------------------------------------------------------
ip netns exec "$NSB" "$BIN" -4 --prefill 600 --duration 120 --log "$TMP/log" \
	2>"$TMP/stderr" &
RESP_PID=$!
for _ in $(seq 50); do
	grep -q '^start ' "$TMP/log" 2>/dev/null && break
	sleep 0.1
done
if ! grep -q '^start ' "$TMP/log" 2>/dev/null; then
	bad "responder did not start: $(cat "$TMP/stderr")"
	echo "$pass passed, $fail failed"
	exit 1
fi

# ---- client helper -------------------------------------------------------
# m7 HEX [WAIT]: send one datagram to 192.0.2.123:123, print one line per
# reply: "<len> <sport> <hex of the first 8 octets>", stop after WAIT s of
# silence.
cat >"$TMP/client.py" <<'EOF'
import socket, sys, struct, time
mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("192.0.2.1", 0))
if mode == "m7":
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    s.sendto(bytes.fromhex(sys.argv[2]), ("192.0.2.123", 123))
    s.settimeout(wait)
    while True:
        try:
            d, a = s.recvfrom(4096)
        except socket.timeout:
            break
        print(len(d), a[1], d[:8].hex())
elif mode == "m3":
    # V20 shape: NTPv4 client, transmit timestamp = now
    now = time.time()
    sec = int(now) + 2208988800
    frac = int((now % 1) * 2**32)
    xmt = struct.pack("!II", sec, frac)
    s.sendto(bytes.fromhex("230006e0") + bytes(36) + xmt, ("192.0.2.123", 123))
    s.settimeout(2)
    d, a = s.recvfrom(4096)
    t4 = time.time()
    rx = struct.unpack("!II", d[32:40]); tx = struct.unpack("!II", d[40:48])
    def ts(v): return v[0] - 2208988800 + v[1] / 2**32
    print("len %d sport %d mode %d vn %d li %d stratum %d poll %d prec %d "
          "origin_ok %d rx_skew %.3f tx_skew %.3f" % (
          len(d), a[1], d[0] & 7, (d[0] >> 3) & 7, d[0] >> 6, d[1], d[2],
          struct.unpack("b", d[3:4])[0], d[24:32] == xmt,
          abs(ts(rx) - now), abs(ts(tx) - t4)))
EOF
m7() { ip netns exec "$NSA" "$PY" "$TMP/client.py" m7 "$@"; }

# verify a reply train: expect N packets of LEN octets, seq 0..N-1,
# M on all but the last, source port 123, impl/code echoed
check_train() {   # name file n len impl code
	"$PY" - "$@" <<'EOF'
import sys
name, f, n, ln, impl, code = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
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
}

# ---- (a) bare 8-octet monlist, impl 3 ------------------------------------
m7 1700032a00000000 >"$TMP/a"
if r=$(check_train a "$TMP/a" 100 440 3 42); then
	ok "(a) 8-octet monlist impl 3 -> 100 x 440 octets, seq 0..99, M until last"
else
	bad "(a) 8-octet monlist impl 3: $r"
fi
if grep -q 'code 42 impl 3 len 8 -> 100 packets 44000 bytes' "$TMP/log"; then
	ok "(a) responder log: 100 packets 44000 bytes"
else
	bad "(a) responder log line missing: $(tail -n 2 "$TMP/log")"
fi

# ---- (b) impl 2 ------------------------------------------------------------
m7 1700022a00000000 >"$TMP/b"
if r=$(check_train b "$TMP/b" 40 488 2 42); then
	ok "(b) monlist impl 2 -> 40 x 488 octets (15 x 32-octet items)"
else
	bad "(b) monlist impl 2: $r"
fi

# ---- (d) bad VN: silence; impl 5: INFO_ERR_IMPL --------------------------
m7 2f00032a00000000 1.5 >"$TMP/d1"
if [ ! -s "$TMP/d1" ] && grep -q 'len 8 -> 0 packets 0 bytes (vn 5, dropped: VN not 1..4)' "$TMP/log"; then
	ok "(d) VN 5 request -> no reply (responder logged the drop)"
else
	bad "(d) VN 5 request: got $(wc -l <"$TMP/d1") replies"
fi
m7 1700052a00000000 >"$TMP/d2"
if [ "$(cat "$TMP/d2")" = "8 123 9700052a10000000" ]; then
	ok "(d) impl 5 -> 8-octet INFO_ERR_IMPL (97 00 05 2a 10 00 00 00)"
else
	bad "(d) impl 5: got '$(cat "$TMP/d2")'"
fi

# ---- (e) nmap ntp-monlist -------------------------------------------------
if command -v nmap >/dev/null; then
	ip netns exec "$NSA" nmap -n -Pn -sU -p 123 --script ntp-monlist 192.0.2.123 \
		>"$TMP/nmap" 2>&1
	# 600 entries: 599 synthetic clients (nmap counts documentation
	# prefixes as private) plus ourselves, last seen sending mode 7
	if grep -q '^| ntp-monlist:' "$TMP/nmap" &&
	   grep -q 'Private Clients (599)' "$TMP/nmap" &&
	   grep -q '198\.51\.100\.1 ' "$TMP/nmap" &&
	   grep -q '192\.0\.2\.1 (You?) seen [0-9]* times\. last tx was unicast v2 mode 7' "$TMP/nmap"; then
		ok "(e) nmap ntp-monlist parses the list: $(grep -o 'Private Clients ([0-9]*)' "$TMP/nmap") + $(grep -o '192.0.2.1 (You?).*' "$TMP/nmap")"
	else
		bad "(e) nmap ntp-monlist output unexpected:"
		sed 's/^/    /' "$TMP/nmap" | head -n 30
	fi
else
	bad "(e) nmap not installed (apt-get install -y nmap)"
fi

# ---- (g) mode 3 -> mode 4 ---------------------------------------------------
out=$(ip netns exec "$NSA" "$PY" "$TMP/client.py" m3 2>&1)
if [[ "$out" =~ ^len\ 48\ sport\ 123\ mode\ 4\ vn\ 4\ li\ 0\ stratum\ 2\ poll\ 6\ prec\ -20\ origin_ok\ 1\ rx_skew\ ([0-9.]+)\ tx_skew\ ([0-9.]+)$ ]] &&
   "$PY" -c "import sys; sys.exit(0 if max(${BASH_REMATCH[1]}, ${BASH_REMATCH[2]}) < 2 else 1)"; then
	ok "(g) mode 3 query -> 48-octet mode 4 reply ($out)"
else
	bad "(g) mode 3 query: $out"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
