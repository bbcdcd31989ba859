#!/bin/bash
# debian-image.sh - a fresh Debian 12 system as a disk image, booted with its
# own systemd by scripts/vm/boot-image.sh (tests/package.sh installs the
# ntpguard package into it).
#
#   scripts/vm/debian-image.sh [KERNEL_DIR]    prints the image's path
#
# mmdebstrap from Debian's mirror (the machine's apt sources), variant apt
# with systemd, udev, iproute2 and what the package and its test need
# (libbpf1, libxdp1, bpftool, xdp-tools, python3 with ansible-core and
# python3-apt for the Ansible role); the modules of KERNEL_DIR (default
# build/kernels/linux-image-amd64, Debian 12's stock kernel, from
# scripts/vm/kernels.sh) for the networking the test uses; an ext4 image
# made with `mke2fs -d` (no loop mount, no root filesystem of this host
# touched), and a busybox initramfs that mounts it and starts its
# /sbin/init. Inside, ngvm-agent.service runs the test's stage scripts from
# a 9p share (scripts/vm/boot-image.sh).
#
# Cached under build/vm/: the image is rebuilt only when this script, the
# package list or the kernel changes. Never written to afterwards: boots
# use a copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=scripts/vm/lib.sh
. scripts/vm/lib.sh
KDIR=${1:-build/kernels/linux-image-amd64}
OUT=build/vm
MIRROR=${NG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PKGS=systemd-sysv,udev,kmod,iproute2,procps,libbpf1,libxdp1,libelf1,zlib1g,bpftool,xdp-tools,python3,python3-apt,ansible-core
# Modules the test loads in the guest (the rest of the tree is not copied).
MODDIRS="kernel/net kernel/fs kernel/lib kernel/crypto kernel/arch kernel/drivers/net
	 kernel/drivers/virtio kernel/drivers/block kernel/drivers/char"

die() { printf 'debian-image: %s\n' "$*" >&2; exit 1; }
log() { printf 'debian-image: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
for c in mmdebstrap mke2fs busybox modprobe depmod xz; do
	command -v "$c" >/dev/null || die "missing $c (scripts/deps.sh)"
done
REL=
for v in "$KDIR"/boot/vmlinuz-*; do [ -f "$v" ] && REL=${v##*/vmlinuz-}; done
[ -n "$REL" ] || die "$KDIR: no kernel (scripts/vm/kernels.sh fetch)"

KEY=$( { cat "$0" scripts/vm/lib.sh; echo "$PKGS $REL $MIRROR"; } | sha256sum | cut -c1-16)
IMG=$OUT/debian12-$KEY.ext4
INITRD=$OUT/debian12-$KEY.initrd
if [ -s "$IMG" ] && [ -s "$INITRD" ]; then
	echo "$ROOT/$IMG"
	exit 0
fi
mkdir -p "$OUT"
rm -f "$OUT"/debian12-*.ext4 "$OUT"/debian12-*.initrd
TREE=$(mktemp -d "$ROOT/$OUT/tree.XXXXXX")
trap 'rm -rf "$TREE"' EXIT
log "mmdebstrap bookworm ($PKGS) from $MIRROR"
mmdebstrap --quiet --variant=apt --mode=root --format=directory --include="$PKGS" \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	bookworm "$TREE" "$MIRROR" >&2 || die "mmdebstrap failed"

# The bootstrap left out manuals, translations and documentation; what is
# installed later (the package under test) is installed whole.
rm -f "$TREE"/etc/dpkg/dpkg.cfg.d/99mmdebstrap

log "kernel modules of $REL"
mkdir -p "$TREE/lib/modules/$REL/kernel/drivers"
for d in $MODDIRS; do
	cp -a "$KDIR/lib/modules/$REL/$d" "$TREE/lib/modules/$REL/$(dirname "$d")/"
done
cp "$KDIR/lib/modules/$REL"/modules.order "$KDIR/lib/modules/$REL"/modules.builtin* \
	"$TREE/lib/modules/$REL/"
depmod -b "$TREE" "$REL" || die "depmod failed"

log "the system: fstab, hostname, no timers, the test agent"
printf '/dev/vda / ext4 defaults 0 1\n' >"$TREE/etc/fstab"
echo ngvm >"$TREE/etc/hostname"
chroot "$TREE" passwd -d root >/dev/null
# Nothing of the image's own may take the dpkg lock or the CPU meanwhile.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$TREE/etc/systemd/system/$u"
done
cat >"$TREE/usr/local/sbin/ngvm-agent" <<'EOF'
#!/bin/sh
# Runs stageN.sh of the 9p share "ngctl" on the Nth boot, its output in
# outN and its exit status in rcN; then reboots if the stage left rebootN,
# else powers off.
mkdir -p /run/ngctl
modprobe 9pnet_virtio && modprobe 9p &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ngctl /run/ngctl || {
	echo "ngvm-agent: no ngctl share"
	exec systemctl poweroff
}
n=$(cat /run/ngctl/boot 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >/run/ngctl/boot
echo "ngvm-agent: boot $n, $(uname -r)"
if [ -x "/run/ngctl/stage$n.sh" ]; then
	cd /run/ngctl && "./stage$n.sh" >"/run/ngctl/out$n" 2>&1 </dev/null
	echo $? >"/run/ngctl/rc$n"
else
	echo "ngvm-agent: no stage$n.sh" >"/run/ngctl/out$n"
	echo 125 >"/run/ngctl/rc$n"
fi
sync
if [ -e "/run/ngctl/reboot$n" ]; then
	exec systemctl reboot
fi
exec systemctl poweroff
EOF
chmod 0755 "$TREE/usr/local/sbin/ngvm-agent"
cat >"$TREE/etc/systemd/system/ngvm-agent.service" <<'EOF'
[Unit]
Description=the test agent of tests/package.sh
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ngvm-agent
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/ngvm-agent.service \
	"$TREE/etc/systemd/system/multi-user.target.wants/ngvm-agent.service"

log "initramfs: busybox, virtio and ext4 modules, mount /dev/vda, /sbin/init"
IR=$TREE.initrd
rm -rf "$IR"
mkdir -p "$IR/bin"
cp "$(command -v busybox)" "$IR/bin/busybox"
vm_modules "$KDIR" "$REL" "$IR/modules" virtio_pci virtio_blk ext4 || die "modules"
cat >"$IR/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/modules/$m"; done </modules/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "ngvm-init: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
EOF
chmod 0755 "$IR/init"
vm_cpio "$IR" "$INITRD.tmp" || die "cpio failed"
rm -rf "$IR"

log "ext4 image"
mke2fs -q -t ext4 -L ngroot -d "$TREE" "$IMG.tmp" 2G >&2 || die "mke2fs failed"
mv "$INITRD.tmp" "$INITRD"
mv "$IMG.tmp" "$IMG"
echo "$ROOT/$IMG"
