#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) and locate the vtd-remap test kernel: Debian's linux-source-6.1
# with scripts/test-kernel.config merged over x86_64 defconfig, and the
# patches in scripts/test-kernel-patches/ applied (each says why), in a
# patched copy of the source so that the bench kernel stays Debian's.
#
# The build lives outside the checkout, in
#   ${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}/kernel-<key>
# where <key> hashes the config fragment, the patches, this script and the
# source package's version, so a changed fragment, patch or source package
# builds a new kernel and nothing else does. On success the last line printed is the
# build directory (it holds arch/x86/boot/bzImage and is a valid KDIR).
#
# usage: scripts/test-kernel.sh [--print-dir]
#   --print-dir  print the directory the kernel would be built in and exit

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag="$here/test-kernel.config"
cache=${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz

srcver=$(dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null) || {
	echo "test-kernel: $srcpkg is not installed; run scripts/setup.sh" >&2
	exit 1
}
patches=("$here"/test-kernel-patches/*.patch)
key=$( (cat "$frag" "$0" "${patches[@]}"; echo "$srcver") | sha256sum | cut -c1-16)
out="$cache/kernel-$key"

if [ "${1:-}" = "--print-dir" ]; then
	echo "$out"
	exit 0
fi

if [ -f "$out/.vtd-built" ]; then
	echo "$out"
	exit 0
fi

# The patched source, one per key (the build tree links back to it).
src="$cache/src-$srcver-$key/$srcpkg"
if [ ! -f "$src/.vtd-patched" ]; then
	echo "test-kernel: unpacking $tarball" >&2
	rm -rf "$cache/src-$srcver-$key"
	mkdir -p "$cache/src-$srcver-$key"
	tar -C "$cache/src-$srcver-$key" -xf "$tarball"
	for p in "${patches[@]}"; do
		echo "test-kernel: applying $(basename "$p")" >&2
		patch -s -p1 -d "$src" < "$p" || {
			echo "test-kernel: $p does not apply" >&2
			exit 1
		}
	done
	touch "$src/.vtd-patched"
fi

mkdir -p "$out"
jobs=$(nproc)
echo "test-kernel: configuring in $out" >&2
make -s -C "$src" O="$out" defconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" olddefconfig >&2

# merge_config only warns when Kconfig drops a request: make it an error.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want="$line" ;;
	"# CONFIG_"*" is not set") want="$line" ;;
	*) continue ;;
	esac
	opt=${want#\# }
	opt=${opt%%[= ]*}
	if [[ "$want" == "#"* ]]; then
		grep -q "^$opt=" "$out/.config" && { echo "test-kernel: $opt is still set" >&2; bad=1; }
	else
		grep -qx "$want" "$out/.config" || { echo "test-kernel: wanted $want, got: $(grep "^$opt=\|^# $opt " "$out/.config" || echo nothing)" >&2; bad=1; }
	fi
done < "$frag"
[ $bad -eq 0 ] || exit 1

echo "test-kernel: building with -j$jobs (about 10 minutes on 2 cores)" >&2
start=$(date +%s)
make -s -C "$src" O="$out" -j"$jobs" bzImage modules_prepare >&2
# Module symbol versions for out-of-tree builds against this tree.
make -s -C "$src" O="$out" -j"$jobs" modules >&2
touch "$out/.vtd-built"
echo "test-kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$out"
