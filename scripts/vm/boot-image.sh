#!/bin/bash
# boot-image.sh - boot a disk image of scripts/vm/debian-image.sh with its
# own systemd, under qemu TCG, and let it run its stages: on its Nth boot
# the image's ngvm-agent.service runs CTLDIR/stageN.sh (output in
# CTLDIR/outN, exit status in CTLDIR/rcN) and reboots if the stage created
# CTLDIR/rebootN, else powers off. Reboots are real ones: the guest kernel
# restarts, the same qemu process boots the same disk again.
#
#   scripts/vm/boot-image.sh [--timeout S] [--console FILE] KERNEL_DIR IMAGE CTLDIR
#
# IMAGE is booted as it is (give it a copy). The guest has one virtio-net
# NIC on a qemu user network with restrict=on: an interface that exists at
# boot, connected to nothing. Exit 0 when the guest powered off, 124 on
# the timeout (default 900 s), 125 if qemu failed; the console's tail is
# printed on failure.
set -uo pipefail

TIMEOUT=900 CONSOLE=
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--console) CONSOLE=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 3 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
KDIR=$1 IMG=$2 CTL=$3
VMLINUZ=
for v in "$KDIR"/boot/vmlinuz-*; do [ -f "$v" ] && VMLINUZ=$v; done
INITRD=${IMG%.ext4}.initrd
[ -n "$VMLINUZ" ] && [ -s "$INITRD" ] && [ -s "$IMG" ] && [ -d "$CTL" ] ||
	{ echo "boot-image: missing kernel, image, initrd or control directory" >&2; exit 2; }
CONSOLE=${CONSOLE:-$CTL/console.log}
chmod 0777 "$CTL"

timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-machine q35,accel=tcg -cpu max -m 1536 -smp 1 -nographic \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "console=ttyS0 root=/dev/vda rw panic=-1 loglevel=4 random.trust_cpu=on systemd.show_status=auto" \
	-drive "file=$IMG,if=virtio,format=raw" \
	-nic user,model=virtio-net-pci,restrict=on \
	-virtfs "local,path=$CTL,mount_tag=ngctl,security_model=none,id=ngctl" \
	</dev/null >"$CONSOLE" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "boot-image: timed out after ${TIMEOUT}s" >&2
	echo "boot-image: --- last lines of the console ($CONSOLE) ---" >&2
	tail -n 30 "$CONSOLE" | sed 's/^/    /' >&2
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && exit 124
	exit 125
fi
exit 0
