#!/bin/bash
# apply.sh - how long `ntpguard apply` takes with a large allow-list (make
# bench-apply; part of make bench's userspace part; a benchmark, not a
# timed test). In a private network namespace and bpffs:
#
#   1. from nothing: N prefixes (a file of them), one interface
#   2. the same file again: nothing to change
#   3. 10 % of the prefixes replaced by others
#   4. --dry-run of the first file
#   5. every prefix removed
#
#   bench/apply.sh [N]        N prefixes (default 100000): about 80 % IPv4
#                             (/32 and /24), 20 % IPv6 (/64 and /128)
#
# Each step's result is read back (the allow-list's size, apply's last
# line); a wrong one stops the run: a fast apply that did not apply is no
# figure.
set -u
NG_TAG=ngb
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
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

# run LABEL WANT_LAST WANT_COUNT ARGS... : time one apply; its last line must
# match WANT_LAST and the allow-list then hold WANT_COUNT prefixes.
run() {
	local label=$1 last=$2 count=$3 t0 t1 n
	shift 3
	t0=$(date +%s%N)
	ns b "$NTPGUARD" apply "$@" >"$NG_TMP/out" 2>"$NG_TMP/err" ||
		ng_die "$label: apply failed: $(tail -n 3 "$NG_TMP/err")"
	t1=$(date +%s%N)
	printf '%-42s %6.2f s   %s\n' "$label" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" \
		"$(tail -n 1 "$NG_TMP/out")"
	tail -n 1 "$NG_TMP/out" | grep -Eq "$last" ||
		ng_die "$label: apply said '$(tail -n 1 "$NG_TMP/out")', not /$last/"
	n=$(ns b "$NTPGUARD" allow list 2>/dev/null | wc -l)
	[ "$n" -eq "$count" ] || ng_die "$label: the allow-list holds $n prefixes, not $count"
}
echo "# $N prefixes ($(grep -c : "$NG_TMP/a.list") IPv6), kernel $(uname -r), $(nproc) CPUs"
NB=$(wc -l <"$NG_TMP/b.list")
conf "$NG_TMP/a.list"
run "1. from nothing" '^applied 2 changes' "$N" "$NG_TMP/ng.conf"
run "2. again: nothing to change" '^nothing to change' "$N" "$NG_TMP/ng.conf"
conf "$NG_TMP/b.list"
run "3. 10 % replaced" '^applied 2 changes' "$NB" "$NG_TMP/ng.conf"
conf "$NG_TMP/a.list"
run "4. --dry-run back to the first list" '^dry run: 2 changes planned' "$NB" --dry-run "$NG_TMP/ng.conf"
printf '[interface ngb0]\n' >"$NG_TMP/ng.conf"
run "5. every prefix removed" '^applied 1 change ' 0 "$NG_TMP/ng.conf"
ns b "$NTPGUARD" unload --all >/dev/null
