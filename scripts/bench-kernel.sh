#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) and locate the vtd-remap bench kernel: Debian's linux-source-6.1
# with scripts/bench-kernel.config merged over x86_64 defconfig.
#
# The build lives outside the checkout, in
#   ${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}/kernel-<key>
# where <key> hashes the config fragment, this script and the source
# package's version, so a changed fragment or a new source package builds a
# new kernel and nothing else does. On success the last line printed is the
# build directory (it holds arch/x86/boot/bzImage and is a valid KDIR).
#
# usage: scripts/bench-kernel.sh [--print-dir]
#   --print-dir  print the directory the kernel would be built in and exit

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag="$here/bench-kernel.config"
cache=${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz

srcver=$(dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null) || {
	echo "bench-kernel: $srcpkg is not installed; run scripts/setup.sh" >&2
	exit 1
}
key=$( (cat "$frag" "$0"; echo "$srcver") | sha256sum | cut -c1-16)
out="$cache/bench-kernel-$key"

if [ "${1:-}" = "--print-dir" ]; then
	echo "$out"
	exit 0
fi

if [ -f "$out/.vtd-built" ]; then
	echo "$out"
	exit 0
fi

src="$cache/src-$srcver/$srcpkg"
if [ ! -f "$src/Makefile" ]; then
	echo "bench-kernel: unpacking $tarball" >&2
	rm -rf "$cache/src-$srcver"
	mkdir -p "$cache/src-$srcver"
	tar -C "$cache/src-$srcver" -xf "$tarball"
fi

mkdir -p "$out"
jobs=$(nproc)
echo "bench-kernel: configuring in $out" >&2
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
		grep -q "^$opt=" "$out/.config" && { echo "bench-kernel: $opt is still set" >&2; bad=1; }
	else
		grep -qx "$want" "$out/.config" || { echo "bench-kernel: wanted $want, got: $(grep "^$opt=\|^# $opt " "$out/.config" || echo nothing)" >&2; bad=1; }
	fi
done < "$frag"
[ $bad -eq 0 ] || exit 1

echo "bench-kernel: building with -j$jobs" >&2
start=$(date +%s)
make -s -C "$src" O="$out" -j"$jobs" bzImage modules_prepare >&2
# Module symbol versions for out-of-tree builds against this tree.
make -s -C "$src" O="$out" -j"$jobs" modules >&2
touch "$out/.vtd-built"
echo "bench-kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$out"
