#!/usr/bin/python3
"""vm_udp.py - plain-socket UDP traffic for the kernel matrix's tests.

No scapy (its import takes seconds under qemu's TCG). Every loop is bounded.

  sink --log FILE [--duration S] PORT...
      Binds UDP PORT on 0.0.0.0 and :: for each PORT and appends one line
      per datagram received to FILE: "PORT FAMILY LENGTH BYTE0" (BYTE0 in
      hex, "-" for an empty datagram), flushed at once. Writes "ready" to
      FILE.ready once every socket is bound. Ends on SIGTERM or after
      DURATION s (default 600).

  send SPORT,COUNT,DST,DPORT,HEX...
      For each spec in order: COUNT (at most 1000) datagrams with payload
      HEX from source port SPORT (0: any) to DST:DPORT, IPv4 or IPv6 by DST.
      One process for many batches: starting Python is the slow part under
      TCG.
"""
import argparse
import select
import signal
import socket
import sys
import time


def sink(a):
    socks = {}
    for port in a.ports:
        for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            socks[s.fileno()] = (s, port, 4 if fam == socket.AF_INET else 6)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + min(a.duration, 3600)
    with open(a.log, "a", buffering=1) as log:
        with open(a.log + ".ready", "w") as r:
            r.write("ready\n")
        while not stop and time.monotonic() < end:
            try:
                ready, _, _ = select.select(list(socks), [], [], 0.1)
            except InterruptedError:
                continue
            for fd in ready:
                s, port, fam = socks[fd]
                d = s.recv(65535)
                log.write("%d %d %d %s\n" % (port, fam, len(d), "%02x" % d[0] if d else "-"))


def send(a):
    for spec in a.specs:
        sport, count, dst, dport, hexdata = spec.split(",")
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            if int(sport):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
            payload = bytes.fromhex(hexdata)
            for _ in range(min(int(count), 1000)):
                s.sendto(payload, (dst, int(dport)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sk = sub.add_parser("sink")
    sk.add_argument("--log", required=True)
    sk.add_argument("--duration", type=float, default=600.0)
    sk.add_argument("ports", type=int, nargs="+")
    sd = sub.add_parser("send")
    sd.add_argument("specs", nargs="+")
    a = p.parse_args()
    {"sink": sink, "send": send}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
