# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
check_fixtures.py FIXTURES - the reference classifier against the
hand-stated fixtures of tests/fixtures.py (those with the default policy
and an empty allow-list): the two oracles must agree before the reference
is trusted with 100,000 frames. Prints one line per disagreement and
"fixtures N disagreements M"; exit 1 if M > 0.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

n = bad = 0
for line in open(sys.argv[1]):
    if not line.strip() or line.startswith("#"):
        continue
    name, verdict, reason, allow, policy, frame = line.rstrip("\n").split("\t")
    if allow != "-" or policy != "-":
        continue
    got = reference.verdict(bytes.fromhex(frame)) or "none"
    want_verdict = "DROP" if got in reference.DROPS else "PASS"
    n += 1
    if got != reason or want_verdict != verdict:
        bad += 1
        print("disagree %s: fixture %s/%s, reference %s/%s" % (name, verdict, reason,
                                                            want_verdict, got))
print("fixtures %d disagreements %d" % (n, bad))
sys.exit(1 if bad or not n else 0)
