#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/audit.sh - `ntpguard audit` on a table of configuration files
# (tests/audit/), then the same files read by a real ntpsec ntpd in a
# network namespace and probed with `ntpguard check`: what audit says must
# be what the daemon does.
#
#   A. the table: Debian's stock ntp.conf, the article's "restrict default
#      ignore", 4.2.6-era configs with and without noquery, "disable monitor"
#      with and without "limited", an IPv6-only gap, "restrict default"
#      without -4/-6 on 4.2.4 / 4.2.6 / unknown, includes (nested, missing,
#      unreadable, a loop), malformed lines, ntpsec, chrony; exit code,
#      verdict, per-family answer, the finding that explains it and the exact
#      lines to add.
#   B. the default files (/etc/ntp.conf ...), in a private mount namespace.
#   C. version detection by running build/sysroot's ntpd --version.
#   D. ground truth: ntpsec ntpd (no CAP_SYS_TIME, "disable ntp") reading
#      fixtures, probed over IPv4 and IPv6 by `ntpguard check`: unknown
#      words in restrict lines, every interface/nic form; each row checks
#      that ntpsec came up and kept running.
#   E. JSON whatever the bytes: a file whose name and lines are not UTF-8
#      gives valid JSON, each finding the text form's bytes with U+FFFD for
#      what is not UTF-8.
#
# Needs root (namespaces), python3, unshare, capsh. Prints "N passed, N failed".
set -u

cd "$(dirname "$0")/.." || exit 2
NG_TAG=nga   # namespaces nga<PID>-c and -s, temp dir /tmp/nga<PID>-XXXXXX
# shellcheck source=tests/lib.sh
. tests/lib.sh
NG=$NTPGUARD
SYSROOT=$NG_SYSROOT
FIX=$PWD/tests/audit
PY=$NG_PY
TMP=$NG_TMP

[ -x "$NG" ] || make -s "$NG" || ng_fatal "cannot build $NG"
# The version of the ntpsec that runs here (parts C and D): the package's.
SECVER=$(ng_ntpsec_version) || ng_fatal "no ntpsec package in build/debs (scripts/deps.sh)"

# ---- A. the table ---------------------------------------------------------------
# Each row: file, extra arguments, exit code, verdict, IPv4/IPv6 refused
# (true/false/null), a regex one finding must match (or ""), the exact
# "add" lines (or None: not checked), the removed line numbers (or None).
"$PY" - "$NG" "$FIX" >"$TMP/table.out" 2>&1 <<'EOF'
import json, re, subprocess, sys
ng, fix = sys.argv[1], sys.argv[2]
V426, V424, V428 = ["--ntpd-version", "4.2.6p5"], ["--ntpd-version", "4.2.4p8"], ["--ntpd-version", "4.2.8p15"]
SEC, SEC118 = ["--ntpd-version", "ntpsec-1.2.2"], ["--ntpd-version", "ntpsec-1.1.8"]
TA = "kod notrap nomodify nopeer noquery"
rows = [
  # Debian's stock ntp.conf: safe whatever the version
  ("debian-ntp.conf", [], 0, "safe", (True, True), r"IPv6: mode 6/7 queries .* refused \(noquery", [], []),
  ("debian-ntp.conf", V426, 0, "safe", (True, True), r"still has monlist .*noquery keeps it", [], []),
  # the article's fix: ignore on both defaults
  ("sakura-ignore.conf", [], 0, "safe", (True, True), r"IPv4: .*refused \(ignore on the default", [], []),
  # 4.2.6-era server without and with noquery
  ("ntp426-open.conf", V426, 3, "at-risk", (False, False), r"monitor list is on .*600 client",
   ["restrict -4 default kod nomodify notrap nopeer noquery",
    "restrict -6 default kod nomodify notrap nopeer noquery"], []),
  # without a version: classic ntpd answers, ntpsec >= 1.1.9 (noquery from the
  # start, flags OR-ed) refuses: could not tell, and the lines that settle it
  ("ntp426-open.conf", [], 4, "unknown", (None, None), r"could not tell: the answer differs between the daemons",
   ["restrict -4 default kod nomodify notrap nopeer noquery",
    "restrict -6 default kod nomodify notrap nopeer noquery"], []),
  ("ntp426-noquery.conf", V426, 0, "safe", (True, True), r"IPv4: .*refused", [], []),
  # disable monitor, with and without limited
  ("disable-monitor-limited.conf", V426, 3, "at-risk", (False, False),
   r"line 13: 'disable monitor' is not enough: 'limited' \(line 6\) turns the monitor list back on",
   ["restrict -4 default kod limited nomodify notrap nopeer noquery",
    "restrict -6 default kod limited nomodify notrap nopeer noquery"], []),
  ("disable-monitor.conf", V426, 3, "at-risk", (False, False),
   r"line 12: 'disable monitor': the monitor list is off.*this alone is not a fix", None, []),
  # the IPv6-only gap
  ("ipv6-gap.conf", V428, 3, "at-risk", (True, False), r"IPv6: no 'restrict -6 default' line",
   ["restrict -6 default " + TA], []),
  ("ipv6-gap.conf", [], 4, "unknown", (True, None), r"IPv6: whether mode 6/7 queries are refused depends on the daemon",
   ["restrict -6 default " + TA], []),
  # plain "restrict default": version-dependent for IPv6
  ("plain-default.conf", V426, 0, "safe", (True, True), r"IPv6: .*refused", [], []),
  ("plain-default.conf", V424, 3, "at-risk", (True, False), r"ntpd 4.2.4 and older apply it to IPv4 only",
   ["restrict -6 default " + TA, "restrict ::1"], []),
  ("plain-default.conf", [], 4, "unknown", (True, None), r"could not tell: the answer differs between the daemons",
   ["restrict -6 default " + TA, "restrict ::1"], []),
  # enable mode7
  ("enable-mode7.conf", V428, 3, "at-risk", (False, False), r"line 10: 'enable mode7' turns ntpdc's mode 7 back on",
   ["restrict -4 default " + TA, "restrict -6 default " + TA], [10]),
  # malformed lines: each reported with its line number
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"line 5: .*'limted' is not a restrict flag: for ntpd >= 4.2.8 it ends the line .* what came before: kod notrap nomodify nopeer \(",
   ["restrict -4 default " + TA, "restrict 127.0.0.1", "restrict ::1"], []),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 7: unknown directive 'restric'", None, None),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 8: .*'192.0.2.300' is not a valid address", None, None),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 9: .*'mask' needs an argument", None, None),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 10: unterminated quoted string", None, None),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 11: .*-4 with an IPv6 address", None, None),
  ("malformed.conf", V428, 3, "at-risk", (False, True), r"^line 12: unknown disable flag 'monitr'", None, None),
  # no access control at all: classic ntpd vs ntpsec
  ("empty.conf", V428, 3, "at-risk", (False, False), r"IPv4: no 'restrict default' line",
   ["restrict -4 default " + TA, "restrict -6 default " + TA, "restrict 127.0.0.1", "restrict ::1"], []),
  ("empty.conf", SEC, 0, "safe", (True, True), r"ntpsec >= 1.1.9 starts the default entries with noquery", [], []),
  ("empty.conf", SEC118, 3, "at-risk", (False, False), r"IPv4: no 'restrict default' line",
   ["restrict default kod nomodify nopeer limited noquery", "restrict 127.0.0.1", "restrict ::1"], []),
  ("ipv6-gap.conf", SEC, 0, "safe", (True, True), r"IPv6: .*ntpsec >= 1.1.9 starts the default entries with noquery", [], []),
  ("ntpsec-debian.conf", [], 0, "safe", (True, True), r"line 47: IPv4: .*refused \(noquery", [], []),
  ("ntpsec-unrestrict.conf", [], 3, "at-risk", (False, False),
   r"line 5: 'unrestrict default noquery' removes noquery", ["restrict default kod nomodify nopeer limited noquery"], [5]),
  ("ntpsec-ipv6-gap.conf", [], 3, "at-risk", (True, False),
   r"line 4: 'unrestrict -6 default noquery' removes noquery", None, [4]),
  # includes: nested and missing, a loop, an unreadable one
  ("includes/main.conf", V428, 0, "safe", (True, True), r"includes/conf.d/ipv6.conf line 2: IPv6: .*refused", [], []),
  ("includes/main.conf", V428, 0, "safe", (True, True), r"line 7: includefile .*missing.conf: no such file", [], []),
  ("includes/loop.conf", V428, 0, "safe", (True, True), r"line 4: includefile loop", [], []),
  ("includes/unreadable.conf", V428, 4, "unknown", (None, None), r"line 4: includefile .*dir: cannot read it",
   ["restrict -4 default " + TA, "restrict -6 default " + TA, "restrict 127.0.0.1", "restrict ::1"], []),
  # chrony
  ("chrony-debian.conf", [], 0, "safe", (True, True), r"chronyd answers no NTP mode 6 .* or mode 7", [], []),
  ("chrony-debian.conf", [], 0, "safe", (True, True), r"no 'allow' line: serves time to no one", [], []),
  ("chrony-server.conf", [], 0, "safe", (True, True), r"chronyc monitoring is open to 192.0.2.0/24: not an amplifier", [], []),
  ("chrony-server.conf", [], 0, "safe", (True, True), r"serves time \(NTP mode 3/4\) to: 192.0.2.0/24, 2001:db8::/32", [], []),
  # unreadable main file
  ("no-such-file.conf", [], 4, "unknown", (None, None), r"cannot read .*no-such-file.conf: No such file", [], []),
  ("includes/dir", [], 4, "unknown", (None, None), r"cannot read .*dir: Is a directory", [], []),
  # Issue 17. An unknown word in a restrict line: ntpd >= 4.2.6 and ntpsec
  # read the line only up to it and keep the flags before it (bison reduces
  # the rule before it sees the error); ntpd 4.2.4 drops the whole line.
  # Row 1 of the issue (4.2.6p5 refused both families) and its control:
  ("ntp426-unknown-after.conf", V426, 0, "safe", (True, True),
   r"line 6: .*'ippeerlimit' is not a restrict flag.* for ntpd 4.2.6/4.2.7 it ends the line .*what came before: kod nomodify notrap nopeer noquery \(", [], [], (True, True)),
  ("ntp426-unknown-before.conf", V426, 3, "at-risk", (False, False),
   r"line 6: .*what came before: kod nomodify notrap nopeer \(",
   ["restrict -4 default kod nomodify notrap nopeer noquery",
    "restrict -6 default kod nomodify notrap nopeer noquery"], [], (True, True)),
  ("ntp426-unknown-after.conf", V424, 3, "at-risk", (False, False), r"ntpd < 4.2.6 ignores the whole line", None, []),
  # 4.2.8p11 knows ippeerlimit, but only before the flags (res_ippeerlimit)
  ("ntp426-unknown-after.conf", V428, 0, "safe", (True, True), r"for ntpd >= 4.2.8 it ends the line", [], []),
  ("ntp426-unknown-before.conf", V428, 3, "at-risk", (False, False), r"for ntpd >= 4.2.8 it ends the line", None, []),
  # no version: 4.2.4 would drop the line, later daemons refuse
  ("ntp426-unknown-after.conf", [], 4, "unknown", (None, None), r"could not tell: the answer differs", None, []),
  # a word before any flag: the entry is added with no flags at all
  ("ntp426-unknown-first.conf", V426, 3, "at-risk", (False, False), r"'limitd' is not a restrict flag: .*no flags at all", None, []),
  # Row 2 (ntpsec 1.2.2 refused mode 6) and its control
  ("ntpsec-unknown-after.conf", SEC, 0, "safe", (True, True),
   r"line 5: .*for ntpsec >= 1.1.9 it ends the line .*what came before: kod nomodify noquery \(", [], [], (True, True)),
  ("ntpsec-unknown-before.conf", SEC, 3, "at-risk", (False, False), r"what came before: kod nomodify \(", None, [3]),
  # a quoted word is a string, never a flag; 'end' stops the reading
  ("quoted.conf", V428, 3, "at-risk", (False, True), r"line 4: .*'noquery' is quoted", None, []),
  ("end.conf", V428, 3, "at-risk", (False, False), r"line 7: .*after 'end' \(.*line 6\)", None, []),
  # interface/nic. Row 3 (4.2.6p5: IPv4 refused, IPv6 not bound) and its
  # control (IPv6 listening too, no restrict -6 default line):
  ("ntp426-if-listen-ipv4.conf", V426, 0, "safe", (True, True),
   r"line 7: IPv6: ntpd binds no socket other hosts can reach .*IPv6 addresses are not bound, the IPv6 wildcard socket is not opened", [], [], (True, False)),
  ("ntp426-if-listen-both.conf", V426, 3, "at-risk", (True, False), r"IPv6: no 'restrict -6 default' line", None, [], (True, True)),
  # 4.2.6 before p3 looked the IPv6 wildcard up as IPv4: "listen ipv4" opened
  # it; and 4.2.6p1 reads "restrict -4 default" as the host 0.0.0.0 (Bug 1535)
  ("ntp426-if-listen-ipv4.conf", ["--ntpd-version", "4.2.6p1"], 3, "at-risk", (False, False), r"IPv6: no 'restrict -6 default' line", None, [], (True, True)),
  # 4.2.6 and 4.2.6p1 read "restrict -4 default" as the host 0.0.0.0
  ("ipv6-gap.conf", ["--ntpd-version", "4.2.6p1"], 3, "at-risk", (False, False), r"line 5: .*Bug 1535", None, []),
  # Row 4 (4.2.6p5 bound to loopback only: unreachable) and its control
  ("ntp426-if-loopback.conf", V426, 0, "safe", (True, True),
   r"IPv4: ntpd binds no socket .*an address no rule names is ignored\), the IPv4 wildcard socket is not opened", [], [], (False, False)),
  ("ntp426-if-listen-all.conf", V426, 3, "at-risk", (False, False), r"IPv4: the default entry has neither", None, [], (True, True)),
  # ntpd 4.2.4 has no interface directive: without a version, could not tell
  ("ntp426-if-loopback.conf", [], 4, "unknown", (None, None), r"ntpd 4.2.4 and older have no interface/nic directive", None, [], (None, None)),
]
# Each interface/nic form, stated by hand from ntp_io.c interface_action()
# and create_wildcards() (4.2.6p5, 4.2.8, ntpsec 1.2.2 alike): can other
# hosts reach a listening socket, (IPv4, IPv6)? The files have no noquery,
# so classic ntpd is at risk exactly where a socket is reachable; ntpsec's
# defaults keep noquery (safe), its "reachable" must still be the same.
IFX = {
  "listen-all": (True, True), "ignore-all": (False, False), "drop-all": (False, False),
  "listen-ipv4": (True, False), "ignore-ipv4": (False, False), "drop-ipv4": (False, False),
  "listen-ipv6": (False, True), "ignore-ipv6": (False, False), "drop-ipv6": (False, False),
  "listen-wildcard": (True, True), "ignore-wildcard": (False, False), "drop-wildcard": (False, False),
  "listen-name": (True, True), "ignore-name": (False, False), "drop-name": (False, False),
  "listen-address": (True, False), "ignore-address": (False, False), "drop-address": (False, False),
  "listen-prefix": (True, False), "listen-prefix6": (False, True), "ignore-prefix": (False, False),
  "drop-prefix6": (False, False), "nic-listen-ipv6": (False, True), "listen-lo": (False, False),
  "order-ignore-listen": (True, True), "order-listen-ignore": (False, False),
  "syntax-missing": (True, True), "syntax-number": (True, True), "syntax-extra": (False, False),
}
for name, reach in sorted(IFX.items()):
    open_any = reach[0] or reach[1]
    for v in (V426, V428):
        rows.append(("interface/%s.conf" % name, v, 3 if open_any else 0, "at-risk" if open_any else "safe",
                     (not reach[0], not reach[1]), "", None, None, reach))
    rows.append(("interface/%s.conf" % name, SEC, 0, "safe", (True, True), "", None, None, reach))
rows.append(("interface/syntax-missing.conf", V426, 3, "at-risk", (False, False),
             r"line 4: interface needs an action .*ntpd ignores the line", None, None, (True, True)))
rows.append(("interface/syntax-number.conf", V426, 3, "at-risk", (False, False),
             r"line 4: '123' is neither all, ipv4, ipv6, wildcard nor an interface", None, None, (True, True)))
rows.append(("interface/syntax-extra.conf", V426, 0, "safe", (True, True),
             r"line 4: 'extra' after the rule is a syntax error; ntpd keeps the rule", None, None, (False, False)))
npass = nfail = 0
def res(good, name, why=""):
    global npass, nfail
    if good:
        npass += 1; print("ok   " + name)
    else:
        nfail += 1; print("FAIL " + name + ": " + why)
for row in rows:
    f, extra, rc, verdict, ref, rx, add, rm = row[:8]
    reach = row[8] if len(row) > 8 else None
    name = "audit %s%s" % (" ".join(extra) + " " if extra else "", f)
    p = subprocess.run([ng, "audit", "--json"] + extra + [f], cwd=fix, capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
        r = d["files"][0]
    except Exception as e:
        res(False, name, "bad JSON (%s): %r %r" % (e, p.stdout[:200], p.stderr[:200])); continue
    why = []
    if p.returncode != rc: why.append("exit %d, want %d" % (p.returncode, rc))
    if r["verdict"] != verdict or d["verdict"] != verdict: why.append("verdict %s" % r["verdict"])
    got = (r["queries_refused"]["ipv4"], r["queries_refused"]["ipv6"])
    if got != ref: why.append("refused %s, want %s" % (got, ref))
    msgs = [("line %d: " % x["line"] if x["line"] else "") + x["message"] for x in r["findings"]]
    msgs += [x["file"] + " line %d: " % x["line"] + x["message"] for x in r["findings"] if x["line"]]
    if rx and not any(re.search(rx, m) for m in msgs): why.append("no finding /%s/ in %s" % (rx, msgs))
    if reach is not None:
        got = (r["reachable"]["ipv4"], r["reachable"]["ipv6"])
        if got != reach: why.append("reachable %s, want %s" % (got, reach))
    if add is not None and r["fix"]["add"] != add: why.append("add %s, want %s" % (r["fix"]["add"], add))
    if rm is not None and [x["line"] for x in r["fix"]["remove"]] != rm: why.append("remove %s" % r["fix"]["remove"])
    if f in ("no-such-file.conf", "includes/dir") and not p.stderr.startswith("ntpguard: cannot read"):
        why.append("no 'ntpguard: cannot read' on stderr: %r" % p.stderr)
    res(not why, name + " -> exit %d %s" % (rc, verdict) + (" reachable %s" % (reach,) if reach else "") +
        (" /%s/" % rx if rx else ""), "; ".join(why))

# The human form of the same answers
p = subprocess.run([ng, "audit", "--ntpd-version", "4.2.6p5", "disable-monitor-limited.conf"], cwd=fix, capture_output=True, text=True)
res(p.returncode == 3 and "verdict: AT RISK" in p.stdout and
    "fix: add at the end of disable-monitor-limited.conf, then restart ntpd:\n    restrict -4 default kod limited nomodify notrap nopeer noquery\n" in p.stdout,
    "human output: verdict and the lines to add", p.stdout)
# several files: the worst verdict wins (at risk over could not tell over safe)
p = subprocess.run([ng, "audit", "--ntpd-version", "4.2.8p15", "debian-ntp.conf", "includes/unreadable.conf"], cwd=fix, capture_output=True, text=True)
res(p.returncode == 4, "two files, safe + could not tell -> exit 4", "exit %d" % p.returncode)
p = subprocess.run([ng, "audit", "--ntpd-version", "4.2.8p15", "debian-ntp.conf", "includes/unreadable.conf", "ipv6-gap.conf"], cwd=fix, capture_output=True, text=True)
res(p.returncode == 3, "three files with one at risk -> exit 3", "exit %d" % p.returncode)
# bad arguments
for args in (["--type", "bsd"], ["--ntpd-version", "banana"], ["--ntpd", "/x", "--ntpd-version", "4.2.6"], ["--bogus"],
             ["--type", "ntpd", "--ntpd-version", "ntpsec-1.2.2", "empty.conf"]):
    p = subprocess.run([ng, "audit"] + args, cwd=fix, capture_output=True, text=True)
    res(p.returncode == 2 and p.stderr.startswith("ntpguard: "), "audit %s -> exit 2" % " ".join(args),
        "exit %d: %s" % (p.returncode, p.stderr))
p = subprocess.run([ng, "audit", "--help"], capture_output=True, text=True)
res(p.returncode == 0 and "4 could not tell" in p.stdout, "audit --help: exit 0, documents the exit codes", p.stdout[-300:])
print("TABLE %d %d" % (npass, nfail))
EOF
grep -v '^TABLE ' "$TMP/table.out"
read -r _ tp tf < <(grep '^TABLE ' "$TMP/table.out" || echo "TABLE 0 1")
NG_PASS=$((NG_PASS + tp))
NG_FAIL=$((NG_FAIL + tf))
[ "$tf" -eq 0 ] || NG_FAILED_NAMES+=("the table: $tf (FAIL lines above)")

# ---- B. the default files, in a private mount namespace -----------------------
# tmpfs over /etc there (only there): nothing real is read or touched.
defaults() {  # defaults SETUP : run `audit` (no FILE) with SETUP done in /etc
	# shellcheck disable=SC2016 # $1.. are the inner bash's arguments
	unshare -m --propagation private bash -c '
		cp /etc/ld.so.cache "$1/" 2>/dev/null
		mount -t tmpfs ngaudit /etc || exit 99
		cp "$1/ld.so.cache" /etc/ 2>/dev/null
		eval "$2"
		exec "$3" audit --ntpd-version 4.2.8p15 --json' _ "$TMP" "$1" "$NG"
}
out=$(defaults ":" 2>"$TMP/def.err"); rc=$?
if [ "$rc" = 4 ] && grep -q '^ntpguard: no NTP configuration found' "$TMP/def.err"; then
	ng_pass "no FILE and no config in /etc: exit 4, 'no NTP configuration found'"
else
	ng_fail "no config in /etc: exit $rc, $(cat "$TMP/def.err") $out"
fi
out=$(defaults "cp $FIX/ipv6-gap.conf /etc/ntp.conf; mkdir /etc/chrony; cp $FIX/chrony-debian.conf /etc/chrony/chrony.conf" 2>&1); rc=$?
got=$(printf '%s' "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%s=%s" % (f["path"], f["verdict"]) for f in d["files"]))' 2>&1)
if [ "$rc" = 3 ] && [ "$got" = "/etc/ntp.conf=at-risk /etc/chrony/chrony.conf=safe" ]; then
	ng_pass "no FILE: reads /etc/ntp.conf and /etc/chrony/chrony.conf (exit 3: $got)"
else
	ng_fail "default files: exit $rc, $got"
fi

# ---- C. the version, from the binary -------------------------------------------
ver=$("$NG" audit --json --ntpd "$SYSROOT/usr/sbin/ntpd" "$FIX/empty.conf" |
	"$PY" -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["ntpd_version"], f["type"], f["verdict"])')
if [ "$ver" = "ntpd ntpsec-$SECVER ntpsec safe" ]; then
	ng_pass "--ntpd build/sysroot/usr/sbin/ntpd: version from 'ntpd --version' ($ver)"
else
	ng_fail "--ntpd: got '$ver'"
fi
"$NG" audit --ntpd /bin/true "$FIX/empty.conf" >"$TMP/true.out" 2>"$TMP/true.err"
rc=$?
if [ "$rc" = 4 ] && grep -q 'gave no version' "$TMP/true.err" && grep -q 'version unknown' "$TMP/true.out"; then
	ng_pass "--ntpd /bin/true ('true (GNU coreutils) 9.1' is no ntpd version): unknown, said so (exit 4)"
else
	ng_fail "--ntpd /bin/true: exit $rc, $(cat "$TMP/true.err")"
fi

# ---- D. ground truth: ntpsec reads the fixture, check probes it -----------------
# audit's verdict on what ntpsec reads must be what ntpsec does with it: "safe"
# means check sees no mode 6 answer on either family, "at risk" means it does.
# Per host the probe reports the verdict, "+time" when only mode 3 was
# answered (the socket is reachable, noquery refused the rest), "/port
# unreachable" when nothing is bound there; a timeout without time means the
# packets reached a socket that drops them. A row counts only when ntpsec got
# as far as its I/O loop ("Listening on routing socket") and still runs after
# the probe: a daemon that never started is a failure, not "not answering".
if [ "$(id -u)" != 0 ] || [ ! -x "$SYSROOT/usr/sbin/ntpd" ] || ! command -v capsh >/dev/null; then
	ng_fail "ground truth: needs root, capsh and $SYSROOT/usr/sbin/ntpd (scripts/deps.sh)"
else
	ng_ns_add c
	ng_ns_add s
	ng_veth c eth0 s eth0
	ns c ip addr add 192.0.2.1/24 dev eth0
	ns c ip addr add 2001:db8::1/64 dev eth0 nodad
	ns s ip addr add 192.0.2.11/24 dev eth0
	ns s ip addr add 2001:db8::11/64 dev eth0 nodad
	sec_ready() { grep -q 'Listening on routing socket' "$TMP/sec/log"; }
	probe() {
		ns c "$NG" check --json -t 1 -r 50 192.0.2.11 2001:db8::11 | "$PY" -c '
import json, sys
out = []
for h in json.load(sys.stdin)["hosts"]:
    v = h["verdict"]
    if v == "not-answering" and h.get("serves_time"):
        v += "+time"
    if h.get("unreachable"):
        v += "/" + h["unreachable"]
    out.append(v)
print(" ".join(out))'
	}
	truth() {  # truth FIXTURE WANT_AUDIT WANT_CHECK [open]
		local fixt=$1 want_a=$2 want_c=$3 open=${4:-} a c pid ready=no alive=no
		rm -rf "$TMP/sec"
		mkdir -m 0700 "$TMP/sec"
		{
			printf 'disable ntp\n'  # never discipline the clock
			# open: take ntpsec's own noquery off the defaults, so that
			# the fixture's interface/nic lines alone decide
			[ -n "$open" ] &&
				printf 'unrestrict default noquery limited\nrestrict 127.0.0.1\nrestrict ::1\n'
			printf 'includefile %s\n' "$FIX/$fixt"
		} >"$TMP/sec/ntp.conf"
		# audit exactly what ntpsec reads
		a=$("$NG" audit --json --ntpd-version "ntpsec-$SECVER" "$TMP/sec/ntp.conf" |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
		ng_bg sec ns s capsh --drop=cap_sys_time -- -c \
			"exec $SYSROOT/usr/sbin/ntpd -n -c $TMP/sec/ntp.conf -l $TMP/sec/log -p $TMP/sec/pid"
		pid=$NG_BG_PID
		ng_wait_for 10 sec_ready && ready=yes
		c=$(probe)
		kill -0 "$pid" 2>/dev/null && alive=yes
		ng_stop "$pid"
		if [ "$ready" = yes ] && [ "$alive" = yes ] && [ "$a" = "$want_a" ] && [ "$c" = "$want_c" ]; then
			ng_pass "ground truth $fixt${open:+ (opened)}: audit says $a, ntpsec $SECVER answers: $c"
		else
			ng_fail "ground truth $fixt${open:+ (opened)}: ready $ready, running $alive, audit '$a' (want $want_a), check '$c' (want $want_c)" \
				"$(grep -E 'Listen|CONFIG|EXIT' "$TMP/sec/log" 2>/dev/null | tail -n 8)"
		fi
	}
	T='not-answering+time'      # reachable, noquery refused mode 6
	D='not-answering'           # a socket that drops (wildcard or "drop")
	U='not-answering/port unreachable'  # nothing bound
	A='mode6-only'              # answered
	truth ntpsec-debian.conf safe "$T $T"
	truth ntpsec-unrestrict.conf at-risk "$A $A"
	truth empty.conf safe "$T $T"
	truth ipv6-gap.conf safe "$T $T"
	# at risk for ntpd 4.2.6, but ntpsec ORs the flags into its noquery
	truth ntp426-open.conf safe "$T $T"
	truth ntpsec-ipv6-gap.conf at-risk "$T $A"
	# issue 17, row 2 and its control: an unknown word after / before noquery
	truth ntpsec-unknown-after.conf safe "$T $T"
	truth ntpsec-unknown-before.conf at-risk "$A $A"
	# rows 3 and 4 (ntpsec does what the 4.2.6p5 source says) and controls
	truth ntp426-if-listen-ipv4.conf safe "$T $U" open
	truth ntp426-if-listen-both.conf at-risk "$T $A" open
	truth ntp426-if-loopback.conf safe "$U $U" open
	truth ntp426-if-listen-all.conf at-risk "$A $A" open
	# every interface/nic form, with ntpsec's noquery taken off the defaults:
	# what is reachable answers mode 6 (stated by hand, as in the table)
	truth interface/listen-all.conf at-risk "$A $A" open
	truth interface/ignore-all.conf safe "$D $D" open
	truth interface/drop-all.conf safe "$D $D" open
	truth interface/listen-ipv4.conf at-risk "$A $D" open
	truth interface/ignore-ipv4.conf safe "$U $D" open
	truth interface/drop-ipv4.conf safe "$D $D" open
	truth interface/listen-ipv6.conf at-risk "$D $A" open
	truth interface/ignore-ipv6.conf safe "$D $U" open
	truth interface/drop-ipv6.conf safe "$D $D" open
	truth interface/listen-wildcard.conf at-risk "$A $A" open
	truth interface/ignore-wildcard.conf safe "$U $U" open
	truth interface/drop-wildcard.conf safe "$D $D" open
	truth interface/listen-name.conf at-risk "$A $A" open
	truth interface/ignore-name.conf safe "$D $D" open
	truth interface/drop-name.conf safe "$D $D" open
	truth interface/listen-address.conf at-risk "$A $D" open
	truth interface/ignore-address.conf safe "$D $D" open
	truth interface/drop-address.conf safe "$D $D" open
	truth interface/listen-prefix.conf at-risk "$A $D" open
	truth interface/listen-prefix6.conf at-risk "$D $A" open
	truth interface/ignore-prefix.conf safe "$D $D" open
	truth interface/drop-prefix6.conf safe "$D $D" open
	truth interface/nic-listen-ipv6.conf at-risk "$D $A" open
	truth interface/listen-lo.conf safe "$D $D" open
	truth interface/order-ignore-listen.conf at-risk "$A $A" open
	truth interface/order-listen-ignore.conf safe "$D $D" open
	truth interface/syntax-missing.conf at-risk "$A $A" open
	truth interface/syntax-number.conf at-risk "$A $A" open
	truth interface/syntax-extra.conf safe "$D $D" open
fi

# ---- E. JSON whatever the bytes -------------------------------------------------
# Not UTF-8 in the file name and in words that findings quote (Latin-1, a cut
# sequence, a surrogate, an overlong form, a stray continuation byte), next
# to valid UTF-8 and control characters. The JSON must load (Python's
# decoder is strict), and each finding must be its text form's bytes decoded
# with U+FFFD for what is not UTF-8 (Python's errors="replace": one U+FFFD
# per maximal ill-formed subpart, as Unicode recommends).
r=$("$PY" - "$NG" "$TMP" <<'EOF'
import json, os, subprocess, sys
ng, tmp = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
path = os.path.join(tmp, b"caf\xe9-\xff.conf")
open(path, "wb").write(
    b"restrict default kod nomodify notrap nopeer\n"
    b"restrict -6 default kod nomodify notrap nopeer noquery\n"
    b"restrict caf\xe9.example.org\n"
    b"restrict h\xc3\xb4te-\xe2\x82\xac.example\n"
    b"restrict -4 default noquery \xe2\x82x \xed\xa0\x80\n"
    b"b\xc0\xafgus \x80word\n"
    b"interface listen \xff\xfe0\n"
    b"restrict tab\x01\x7fname\n")
t = subprocess.run([ng, b"audit", b"--ntpd-version", b"4.2.8p15", path], capture_output=True)
j = subprocess.run([ng, b"audit", b"--json", b"--ntpd-version", b"4.2.8p15", path], capture_output=True)
try:
    d = json.loads(j.stdout)             # bytes: must be UTF-8, strictly
    f = d["files"][0]
except Exception as e:
    print("JSON does not load: %s" % e)
    sys.exit()
# text findings: "  TAG     [line N: ]message"; the JSON keeps "line N: " apart
want = [l[10:].decode("utf-8", "replace") for l in t.stdout.split(b"\n")
        if l[:2] == b"  " and l[2:9].strip() in (b"RISK", b"ERROR", b"warning", b"info")]
got = [("line %d: " % x["line"] if x["line"] else "") + x["message"] for x in f["findings"]]
bad = [x for x in (
    f["path"] != path.decode("utf-8", "replace") and "path %r" % f["path"],
    got != want and "findings %r, text form %r" % (got, want),
    not any("h\u00f4te-\u20ac.example" in m for m in got) and "valid UTF-8 not kept",
    not any("'b\ufffd\ufffdgus'" in m for m in got) and "overlong form not replaced",
    not any("caf\ufffd.example.org" in m for m in got) and "Latin-1 not replaced",
    not any("\ufffdx \ufffd\ufffd\ufffd'" in m for m in got) and "cut sequence, surrogate",
    not any("tab\u0001\u007fname" in m for m in got) and "control characters",
    len(got) < 5 and "only %d findings" % len(got)) if x]
print("ok: %d findings, %d with U+FFFD" % (len(got), sum("\ufffd" in m for m in got)) if not bad
      else "; ".join(bad))
EOF
)
case $r in
ok:*) ng_pass "JSON from a file whose name and lines are not UTF-8 loads; every finding is the text form with U+FFFD (${r#ok: })" ;;
*) ng_fail "JSON from bytes that are not UTF-8: $r" ;;
esac

ng_summary
