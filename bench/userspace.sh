#!/bin/bash
# userspace.sh - what the CLI costs: `ntpguard stats --json` and one
# `ntpguard export --once` on this machine and with per-CPU maps as wide as
# a 64-CPU host, and `ntpguard allow add` of 100,000 prefixes.
#
#   bench/userspace.sh [--json FILE] [--no-vm]
#   bench/userspace.sh --inner [--allow N] [--ifaces N] [--runs N]   (one machine)
#
# A per-CPU map holds one value per *possible* CPU, and every read of an
# entry copies all of them; that is where a wide host's time goes. 64 CPUs
# are simulated, not emulated: Debian 12's own kernel (linux-image-amd64,
# 6.1) boots under qemu (scripts/vm/run-kernel.sh, TCG, 2 vCPUs) once with
# possible_cpus=2 and once with possible_cpus=64 -- 62 hotpluggable CPUs
# that never come online, but for which every per-CPU map allocates and
# copies a value, exactly as on a 64-CPU machine (NG_VM_RUNNER and
# NG_VM_KERNEL override the runner and the kernel directory). The ratio of the two
# boots is the figure; absolute times under TCG are not (emulation is
# 10-50x slower than hardware). Without the VM runner or the kernel
# (scripts/deps.sh fetches it), that part is skipped and says so.
#
# Each machine: a private bpffs, a namespace with --ifaces veth devices
# (default 8, like a small hypervisor) under `ntpguard load --mode skb`,
# counters non-zero on each, then --runs timings (median, min-max) of each
# command: wall time and the CPU time (user + system) of the command.
set -uo pipefail
NG_TAG=ngu
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"

INNER=0 JSON='' VM=1 ALLOW=100000 IFACES=8 RUNS=5 VM_RUNS=15
while [ $# -gt 0 ]; do
	case "$1" in
	--inner) INNER=1; shift ;;
	--json) JSON=$2; shift 2 ;;
	--no-vm) VM=0; shift ;;
	--allow) ALLOW=$2; shift 2 ;;
	--ifaces) IFACES=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	-h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "userspace: unknown argument $1" >&2; exit 2 ;;
	esac
done
ng_require_root

# timed NAME cmd... : run cmd RUNS times; one JSON line per command with
# wall and CPU (user+system of the child) medians.
timed() {
	local name=$1
	shift
	"$NG_PY" - "$name" "$RUNS" "$@" <<'EOF'
import json, os, resource, statistics, subprocess, sys, time
name, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
wall, cpu = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit("userspace: %s failed (%d): %s" % (" ".join(cmd[:3]), p.returncode, p.stderr.decode()[-300:]))
    wall.append((t1 - t0) * 1e3)
    cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3)
agg = lambda v: {"median": statistics.median(v), "min": min(v), "max": max(v)}
print(json.dumps({"name": name, "runs": runs, "wall_ms": agg(wall), "cpu_ms": agg(cpu)}))
EOF
}

# ---- one machine ----------------------------------------------------------
inner() {
	local i mac
	ng_require_bin "$NTPGUARD" "$FLOODGEN"
	ng_setup_bpffs
	ng_ns_add h
	for ((i = 0; i < IFACES; i++)); do
		ns h ip link add "u$i" type veth peer name "p$i" || ng_die "veth u$i"
		ns h ip link set "u$i" up
		ns h ip link set "p$i" up
	done
	# shellcheck disable=SC2046
	ns h "$NTPGUARD" load --mode skb $(for ((i = 0; i < IFACES; i++)); do echo "u$i"; done) \
		>/dev/null || ng_die "ntpguard load failed"
	# some traffic on every interface, so the counters are not all zero
	for ((i = 0; i < IFACES; i++)); do
		mac=$(ip netns exec "$(ng_nsname h)" cat "/sys/class/net/u$i/address")
		ns h "$FLOODGEN" -i "p$i" --dst-mac "$mac" -c 100 -t 5 >/dev/null ||
			ng_die "floodgen on p$i"
	done
	echo "{\"machine\": \"$(uname -r)\", \"possible_cpus\": \"$(cat /sys/devices/system/cpu/possible)\", \"ifaces\": $IFACES}"
	# kernel-accounted memory of every pinned map (per-CPU maps grow with
	# the possible CPUs)
	for m in "$NG_PIN_DIR"/*; do
		bpftool -j map show pinned "$m"
	done | "$NG_PY" -c '
import json, sys
maps = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps({"name": "maps", "memlock": {m["name"]: m.get("bytes_memlock", 0) for m in maps},
                  "total": sum(m.get("bytes_memlock", 0) for m in maps)}))'
	timed stats_json "$NTPGUARD" stats --json
	mkdir -p "$NG_TMP/prom"
	timed export_once "$NTPGUARD" export --once --dir "$NG_TMP/prom"
	timed status "$NTPGUARD" status
	if [ "$ALLOW" -gt 0 ]; then
		"$NG_PY" - "$ALLOW" >"$NG_TMP/cidrs" <<'EOF'
import random, sys
n = int(sys.argv[1]); r = random.Random(16); seen = set()
while len(seen) < n:
    if len(seen) % 2 == 0:
        l = r.randint(16, 32); a = r.getrandbits(32) >> (32 - l) << (32 - l)
        c = "%d.%d.%d.%d/%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, l)
    else:
        l = r.choice([128] + list(range(32, 65))); a = (0x2 << 125 | r.getrandbits(125)) >> (128 - l) << (128 - l)
        h = "%032x" % a
        c = ":".join(h[i:i + 4] for i in range(0, 32, 4)) + "/%d" % l
    seen.add(c)
print("\n".join(sorted(seen)))
EOF
		# one command with all prefixes: raise the argument-size limit
		# (a quarter of the stack limit) instead of splitting it
		ulimit -s 262144
		RUNS=1 timed "allow_add_$ALLOW" sh -c 'exec "$0" allow add $(cat "$1")' \
			"$NTPGUARD" "$NG_TMP/cidrs"
		RUNS=1 timed "allow_list_$ALLOW" "$NTPGUARD" allow list
		timed "stats_json_allow_$ALLOW" "$NTPGUARD" stats --json
	fi
}

if [ "$INNER" = 1 ]; then
	FLOODGEN=$NG_ROOT/build/bench/floodgen
	inner
	exit $?
fi

# ---- outer: this machine, then the 6.1 kernel with 2 and 64 possible CPUs --
OUT=$NG_TMP/userspace.jsonl
echo "# this machine: $(uname -r), possible CPUs $(cat /sys/devices/system/cpu/possible)"
"$0" --inner --allow "$ALLOW" --ifaces "$IFACES" --runs "$RUNS" >"$OUT.host" ||
	ng_die "userspace bench on this machine failed"

RUNNER=${NG_VM_RUNNER:-$NG_ROOT/scripts/vm/run-kernel.sh}
KDIR=${NG_VM_KERNEL:-$NG_ROOT/build/kernels/linux-image-amd64}
VMNOTE=
if [ "$VM" = 0 ]; then
	VMNOTE="skipped (--no-vm)"
elif [ ! -x "$RUNNER" ]; then
	VMNOTE="skipped: no scripts/vm/run-kernel.sh in this tree"
elif ! ls "$KDIR"/boot/vmlinuz-* >/dev/null 2>&1; then
	VMNOTE="skipped: no Debian 12 kernel in $KDIR (scripts/vm/kernels.sh fetch)"
else
	for w in 2 64; do
		echo "# Debian 12 kernel under qemu (TCG), possible_cpus=$w"
		"$RUNNER" --timeout 600 --mem 2048 --append "possible_cpus=$w" "$KDIR" -- \
			"$NG_ROOT/bench/userspace.sh" --inner --allow 0 --ifaces "$IFACES" \
			--runs "$VM_RUNS" >"$OUT.vm$w" || VMNOTE="the VM run with possible_cpus=$w failed"
	done
fi

"$NG_PY" - "$OUT" "${JSON:-}" "$VMNOTE" <<'EOF'
import json, os, sys
base, out, note = sys.argv[1], sys.argv[2], sys.argv[3]
def load(p):
    if not os.path.exists(p):
        return None
    lines = [json.loads(l) for l in open(p) if l.startswith("{")]
    if not lines:
        return None
    mem = [l for l in lines[1:] if l["name"] == "maps"]
    return {"machine": lines[0], "maps": mem[0] if mem else None,
            "cmds": {l["name"]: l for l in lines[1:] if l["name"] != "maps"}}
host, v2, v64 = load(base + ".host"), load(base + ".vm2"), load(base + ".vm64")
print("\n== userspace: %s, possible CPUs %s, %d interfaces loaded ==" % (
    host["machine"]["machine"], host["machine"]["possible_cpus"], host["machine"]["ifaces"]))
print("%-28s | %-28s | %s" % ("command", "wall ms [min-max]", "CPU ms [min-max]"))
f = lambda s: "%.1f [%.1f-%.1f]" % (s["median"], s["min"], s["max"])
for n, c in host["cmds"].items():
    print("%-28s | %-28s | %s" % (n, f(c["wall_ms"]), f(c["cpu_ms"])))
if host["maps"]:
    print("pinned maps: %.1f MB (%s)" % (host["maps"]["total"] / 1e6, ", ".join(
        "%s %.1f MB" % (k, v / 1e6) for k, v in sorted(host["maps"]["memlock"].items()) if v >= 100000)))
res = {"host": host}
if v2 and v64 and not note:
    print("\n64-CPU host, simulated: Debian 12 kernel %s under qemu TCG, possible_cpus=2 vs 64" % v2["machine"]["machine"])
    print("%-28s | %-22s | %-22s | %s" % ("command", "2 CPUs: CPU ms", "64 CPUs: CPU ms", "64 / 2"))
    for n in v2["cmds"]:
        a, b = v2["cmds"][n]["cpu_ms"], v64["cmds"][n]["cpu_ms"]
        print("%-28s | %-22s | %-22s | %.2f" % (n, f(a), f(b), b["median"] / a["median"]))
    for w, v in ((2, v2), (64, v64)):
        if v["maps"]:
            print("pinned maps with %d possible CPUs: %.1f MB (%s)" % (w, v["maps"]["total"] / 1e6, ", ".join(
                "%s %.1f MB" % (k, x / 1e6) for k, x in sorted(v["maps"]["memlock"].items()) if x >= 100000)))
    res.update({"vm_2cpus": v2, "vm_64cpus": v64})
else:
    print("\n64-CPU simulation: " + (note or "incomplete"))
    res["vm_note"] = note
if out:
    json.dump(res, open(out, "w"), indent=1)
EOF
