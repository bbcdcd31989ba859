# scripts/vm/lib.sh - what the VM scripts share. Sourced (bash); defines
# functions only.
#
#   vm_modules KDIR REL DIR MODULE...   the modules and every module they
#                                       depend on, uncompressed, into DIR,
#                                       their names in load order in
#                                       DIR/order (KDIR: an unpacked Debian
#                                       linux-image package, REL its release)
#   vm_cpio DIR OUT                     DIR as a newc initramfs archive

vm_modules() {
	local kdir=$1 rel=$2 dir=$3 mod deps kind path name
	shift 3
	mkdir -p "$dir"
	: >"$dir/order"
	for mod in "$@"; do
		deps=$(modprobe -d "$kdir" -S "$rel" --show-depends "$mod" 2>&1) || {
			echo "$rel: module $mod: $deps" >&2
			return 1
		}
		while read -r kind path _; do
			[ "$kind" = insmod ] || continue   # "builtin NAME"
			name=${path##*/}
			name=${name%.xz}
			name=${name%.zst}
			grep -qxF "$name" "$dir/order" && continue
			case "$path" in
			*.xz) xz -dc "$path" >"$dir/$name" ;;
			*.zst) zstd -qdc "$path" >"$dir/$name" ;;
			*) cp "$path" "$dir/$name" ;;
			esac || { echo "cannot unpack $path" >&2; return 1; }
			echo "$name" >>"$dir/order"
		done <<<"$deps"
	done
}

vm_cpio() {
	(cd "$1" && find . | busybox cpio -o -H newc 2>/dev/null) >"$2"
}
