#!/bin/bash
# tests/bench-apply.sh - how long `ntpguard apply` takes with a large
# allow-list (make bench-apply; not part of make test: a benchmark, not a
# timed test). In a private network namespace and bpffs:
#
#   1. from nothing: N prefixes (a file of them), one interface
#   2. the same file again: nothing to change
#   3. 10 % of the prefixes replaced by others
#   4. --dry-run of the first file
#   5. every prefix removed
#
#   tests/bench-apply.sh [N]        N prefixes (default 100000): 80 % IPv4
#                                   (/32 and /24), 20 % IPv6 (/48 and /128)
set -u
NG_TAG=ngb
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
ng_require_root
ng_require_bin ip nsenter "$NG_PY" "$NTPGUARD"
N=${1:-100000}
ng_setup_bpffs
ng_ns_add b
ng_veth b ngb0 b ngb1

# N prefixes from a seed: IPv4 from 10.0.0.0/8 and 100.64.0.0/10 (fine for
# the allow-list: no packet is sent), IPv6 under 2001:db8::/32.
gen() { # gen SEED
	"$NG_PY" - "$N" "$1" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
seen = set()
while len(seen) < n:
    if r.random() < 0.8:
        a = r.getrandbits(24) | (10 << 24)
        if r.random() < 0.5:
            p = "%d.%d.%d.%d/32" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
        else:
            p = "%d.%d.%d.0/24" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255)
    else:
        g = r.getrandbits(32)
        if r.random() < 0.5:
            p = "2001:db8:%x:%x::/64" % (g >> 16, g & 0xffff)
        else:
            p = "2001:db8:%x:%x::%x/128" % (g >> 16, g & 0xffff, r.getrandbits(16))
    seen.add(p)
print("\n".join(sorted(seen)))
PY
}
gen 1 >"$NG_TMP/a.list"
gen 2 >"$NG_TMP/c.list"
{ head -n $((N * 9 / 10)) "$NG_TMP/a.list"; head -n $((N / 10)) "$NG_TMP/c.list"; } |
	sort -u >"$NG_TMP/b.list"
conf() { printf '[interface ngb0]\n[allow]\nfile = %s\n' "$1" >"$NG_TMP/ng.conf"; }

run() { # run LABEL ARGS... : time one apply, print its last line
	local t0 t1
	t0=$(date +%s%N)
	ns b "$NTPGUARD" apply "$@" >"$NG_TMP/out" 2>"$NG_TMP/err" || { cat "$NG_TMP/err"; exit 1; }
	t1=$(date +%s%N)
	printf '%-42s %6.2f s   %s\n' "$LABEL" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" \
		"$(tail -n 1 "$NG_TMP/out")"
}
echo "# $N prefixes ($(grep -c : "$NG_TMP/a.list") IPv6), kernel $(uname -r), $(nproc) CPUs"
conf "$NG_TMP/a.list"
LABEL="1. from nothing" run "$NG_TMP/ng.conf"
LABEL="2. again: nothing to change" run "$NG_TMP/ng.conf"
conf "$NG_TMP/b.list"
LABEL="3. 10 % replaced" run "$NG_TMP/ng.conf"
conf "$NG_TMP/a.list"
LABEL="4. --dry-run back to the first list" run --dry-run "$NG_TMP/ng.conf"
printf '[interface ngb0]\n' >"$NG_TMP/ng.conf"
LABEL="5. every prefix removed" run "$NG_TMP/ng.conf"
ns b "$NTPGUARD" unload --all >/dev/null
