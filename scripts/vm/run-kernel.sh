#!/bin/bash
# run-kernel.sh - run one command on another kernel: boot it under qemu (TCG)
# with this machine's root shared read-only, run the command there, power off.
#
#   scripts/vm/run-kernel.sh [options] KERNEL_DIR -- CMD [ARG...]
#
# KERNEL_DIR is an unpacked Debian linux-image package (boot/vmlinuz-REL and
# lib/modules/REL with modules.dep; scripts/vm/kernels.sh fetch makes them).
# CMD runs as root in the current directory, with a clean environment, on a
# freshly booted machine. Its stdout and stderr are shown as it runs; the
# exit status is CMD's. Errors of the VM itself:
#   124  the timeout killed the VM (the console's tail is printed)
#   125  the VM never ran CMD (boot failure; the console's tail is printed)
#   2    usage
#
# Options:
#   --timeout S     hard limit on the qemu process (default 300)
#   --mem MB        guest memory (default 1024)
#   --cpus N        guest CPUs (default 1: TCG runs each on a host thread)
#   --modules "M.." more modules to load at boot (names, with dependencies)
#   --env NAME=VAL  set in CMD's environment (repeatable)
#   --console FILE  keep the serial console log in FILE
#   --append ARGS   more kernel command line
#
# Inside the guest: a busybox initramfs loads the modules (from KERNEL_DIR:
# virtio, 9p, veth, dummy, ifb, clsact, cls_bpf, and --modules), mounts the
# host's / read-only over virtio-9p, puts tmpfs on /tmp, /run, /var/tmp
# and /root (the only writable places), mounts the current directory
# read-only at its own path again (so a checkout under /tmp stays
# visible), mounts proc, sysfs, devtmpfs and bpffs, and chroots into it. A second, writable 9p share carries the
# command in and its output and status back. No network device exists: the
# guest reaches nothing outside itself.
#
# Reused by the kernel matrix (tests/kernel-matrix.sh) and meant for any test
# that needs a fresh boot or another kernel.
set -uo pipefail

NG_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/vm/lib.sh
. "$NG_ROOT/scripts/vm/lib.sh"
TIMEOUT=300 MEM=1024 CPUS=1 CONSOLE= APPEND=
EXTRA_MODULES=()
ENVS=()
# Modules every run gets (those built in are skipped). virtio_pci and
# 9pnet_virtio bring the shared root; the rest is what ntpguard's tests use.
BASE_MODULES=(virtio_pci 9pnet_virtio 9p veth dummy ifb sch_ingress cls_bpf)

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { printf 'run-kernel: %s\n' "$1" >&2; exit "${2:-125}"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--cpus) CPUS=$2; shift 2 ;;
	--modules) read -ra m <<<"$2"; EXTRA_MODULES+=("${m[@]}"); shift 2 ;;
	--env) [[ "$2" == [A-Za-z_]*=* ]] || usage; ENVS+=("$2"); shift 2 ;;
	--console) CONSOLE=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	-h|--help) usage ;;
	--) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] && [ "$2" = -- ] || usage
KDIR=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1" 2
shift 2
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || usage

for c in qemu-system-x86_64 busybox modprobe xz; do
	command -v "$c" >/dev/null || die "missing $c (scripts/deps.sh)"
done
VMLINUZ=
for v in "$KDIR"/boot/vmlinuz-*; do [ -f "$v" ] && VMLINUZ=$v; done
[ -n "$VMLINUZ" ] || die "$KDIR: no boot/vmlinuz-*" 2
REL=${VMLINUZ##*/vmlinuz-}
[ -s "$KDIR/lib/modules/$REL/modules.dep" ] ||
	die "$KDIR: no lib/modules/$REL/modules.dep (scripts/vm/kernels.sh fetch)" 2

WORK=$(mktemp -d /tmp/ngvm.XXXXXX)
QPID=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$WORK/initramfs/bin" "$WORK/initramfs/modules" "$WORK/share"
chmod 0777 "$WORK/share"

# ---- initramfs: busybox, the modules in load order, /init -------------------
cp "$(command -v busybox)" "$WORK/initramfs/bin/busybox"
vm_modules "$KDIR" "$REL" "$WORK/initramfs/modules" "${BASE_MODULES[@]}" "${EXTRA_MODULES[@]}" ||
	die "cannot gather the modules"

cat >"$WORK/initramfs/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc 2>/dev/null || { mkdir -p /proc; mount -t proc proc /proc; }
mkdir -p /sys /dev /out /newroot
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "ngvm: $*"; echo "ngvm: $*" >/out/init.err 2>/dev/null; poweroff -f; }
while read -r m; do
	insmod "/modules/$m" || echo "ngvm: insmod $m failed"
done </modules/order
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ngout /out ||
	fail "cannot mount the output share"
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /newroot ||
	fail "cannot mount the host root"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts devpts $R/dev/pts
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t tmpfs tmpfs $R/dev/shm
mount -t bpf bpf $R/sys/fs/bpf
mount -t tmpfs tmpfs $R/sys/fs/cgroup 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
for d in /tmp /run /var/tmp /root; do
	mount -t tmpfs -o mode=1777 tmpfs $R$d || fail "cannot mount tmpfs on $d"
done
chmod 0700 $R/root
# The command's directory, shared on its own: it may lie under one of the
# tmpfs mounts above (a checkout in /tmp, say), which would hide it.
CWD=$(cat /cwd)
mkdir -p "$R$CWD" 2>/dev/null
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose ngcwd "$R$CWD" ||
	fail "cannot mount the command's directory $CWD"
mkdir -p $R/run/ngvm
mount --bind /out $R/run/ngvm
hostname ngvm
echo "ngvm: $(uname -r) up, running the command"
chroot $R /bin/sh /run/ngvm/cmd.sh >/out/output 2>&1 </dev/null
echo $? >/out/rc
sync
echo "ngvm: done, rc $(cat /out/rc)"
poweroff -f
EOF
chmod 0755 "$WORK/initramfs/init"
printf '%s
' "$PWD" >"$WORK/initramfs/cwd"
vm_cpio "$WORK/initramfs" "$WORK/initramfs.cpio" || die "cpio failed"

# ---- the command -------------------------------------------------------------
{
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/root LANG=C.UTF-8 TERM=dumb NG_VM=1'
	for e in "${ENVS[@]}"; do printf 'export %q=%q\n' "${e%%=*}" "${e#*=}"; done
	printf 'cd %q || exit 125\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$WORK/share/cmd.sh"
: >"$WORK/share/output"

# ---- boot --------------------------------------------------------------------
CONSOLE_LOG=${CONSOLE:-$WORK/console.log}
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-machine q35,accel=tcg -cpu max -m "$MEM" -smp "$CPUS" \
	-nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$WORK/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 loglevel=4 random.trust_cpu=on $APPEND" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot \
	-virtfs "local,path=$WORK/share,mount_tag=ngout,security_model=none,id=ngout" \
	-virtfs "local,path=$PWD,mount_tag=ngcwd,security_model=none,readonly=on,multidevs=remap,id=ngcwd" \
	</dev/null >"$CONSOLE_LOG" 2>&1 &
QPID=$!
# Show the command's output while it runs.
tail -n +1 -F --pid="$QPID" "$WORK/share/output" 2>/dev/null &
TPID=$!
wait "$QPID"
QRC=$?
QPID=
wait "$TPID" 2>/dev/null

console_tail() {
	echo "run-kernel: --- last lines of the $REL console${CONSOLE:+ ($CONSOLE)} ---" >&2
	tail -n 30 "$CONSOLE_LOG" | sed 's/^/    /' >&2
}
if [ "$QRC" -eq 124 ] || [ "$QRC" -eq 137 ]; then
	echo "run-kernel: $REL: timed out after ${TIMEOUT}s" >&2
	console_tail
	exit 124
fi
rc=$(cat "$WORK/share/rc" 2>/dev/null)
if ! [[ "$rc" =~ ^[0-9]+$ ]]; then
	echo "run-kernel: $REL: the command did not run (qemu exit $QRC)" >&2
	[ -s "$WORK/share/init.err" ] && sed 's/^/    /' "$WORK/share/init.err" >&2
	console_tail
	exit 125
fi
exit "$rc"
