#!/bin/bash
# kernels.sh - the Debian kernels ntpguard is tested on, unpacked for qemu.
#
#   scripts/vm/kernels.sh fetch   resolve each meta package to the kernel
#                                 package it depends on today, apt-get
#                                 download it and unpack it (dpkg-deb -x)
#                                 into build/kernels/META; run by deps.sh
#   scripts/vm/kernels.sh check   exit 0 when every kernel is unpacked (prints
#                                 what is missing otherwise)
#   scripts/vm/kernels.sh list    one line per kernel: META DIR RELEASE
#
# Meta packages, not versioned names: Debian bumps the ABI number
# (linux-image-6.1.0-N-amd64) with every security update and removes the
# old package from the mirror, so the names are resolved at fetch time.
# Nothing is installed on the host: the images only ever boot under qemu
# (scripts/vm/run-kernel.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

# META:what it is (README "Kernels"). The 6.12 line is bookworm's
# updates kernel, the one Debian 13 ships.
KERNELS=(linux-image-amd64 linux-image-6.12-amd64)
DIR=build/kernels

log() { printf 'kernels: %s\n' "$*"; }
die() { printf 'kernels: error: %s\n' "$*" >&2; exit 1; }

# The release (uname -r) of an unpacked kernel directory, or nothing.
release_of() {
	local v
	for v in "$1"/boot/vmlinuz-*; do
		[ -f "$v" ] && [ -d "$1/lib/modules/${v##*/vmlinuz-}" ] &&
			{ echo "${v##*/vmlinuz-}"; return 0; }
	done
	return 1
}

# Is kernel META unpacked, with modules.dep?
present() {
	local rel
	rel=$(release_of "$DIR/$1") && [ -s "$DIR/$1/lib/modules/$rel/modules.dep" ]
}

check() {
	local m missing=0
	for m in "${KERNELS[@]}"; do
		if ! present "$m"; then
			echo "missing kernel: $DIR/$m (package $m; scripts/vm/kernels.sh fetch)"
			missing=1
		fi
	done
	return $missing
}

# The linux-image-* package a meta package depends on today.
resolve() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

fetch() {
	local m pkg rel dl deb
	[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get download as _apt)"
	command -v depmod >/dev/null || die "depmod missing (package kmod)"
	mkdir -p "$DIR"
	for m in "${KERNELS[@]}"; do
		pkg=$(resolve "$m")
		[ -n "$pkg" ] || die "$m: no linux-image dependency (apt-get update?)"
		if [ "$(cat "$DIR/$m/PACKAGE" 2>/dev/null)" = "$pkg" ] && present "$m"; then
			log "$m: $pkg already unpacked"
			continue
		fi
		log "$m -> $pkg: downloading"
		dl=$(mktemp -d /tmp/ntpguard-kernel.XXXXXX)
		chmod 0777 "$dl"   # apt-get download writes as _apt
		(cd "$dl" && apt-get -q download "$pkg" >/dev/null) ||
			{ rm -rf "$dl"; die "apt-get download $pkg failed"; }
		rm -rf "$DIR/$m.new"
		mkdir -p "$DIR/$m.new"
		for deb in "$dl"/*.deb; do
			dpkg-deb -x "$deb" "$DIR/$m.new"
		done
		rm -rf "$dl"
		# Only the image and the modules are used: drop firmware,
		# docs and the rest of usr/.
		rm -rf "$DIR/$m.new/usr" "$DIR/$m.new/etc"
		rel=$(release_of "$DIR/$m.new") || die "$pkg: no boot/vmlinuz-* inside"
		depmod -b "$DIR/$m.new" "$rel" || die "depmod for $rel failed"
		echo "$pkg" >"$DIR/$m.new/PACKAGE"
		rm -rf "$DIR/$m"
		mv "$DIR/$m.new" "$DIR/$m"
		log "$m: $rel unpacked into $DIR/$m"
	done
}

case "${1:-}" in
fetch) fetch ;;
check) check ;;
list)
	for m in "${KERNELS[@]}"; do
		rel=$(release_of "$DIR/$m" || true)
		echo "$m $DIR/$m ${rel:--}"
	done
	;;
*) echo "usage: $0 fetch|check|list" >&2; exit 2 ;;
esac
