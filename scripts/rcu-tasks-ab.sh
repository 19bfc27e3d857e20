#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rcu-tasks-ab.sh: the test of scripts/test-kernel-patches/0001-* (the
# deadlock of Linux 6.1's RCU-tasks self test that stopped about one test
# kernel boot in 300 after "Running RCU-tasks wait API self tests").
#
# Builds the test kernel's configuration twice more, bzImage only, with
# scripts/rcu-tasks-ab/delay.patch, which makes init sleep in the race
# window whenever it enters it: "nofix" from Debian's source, "fix" with the
# test kernel's patches too. Boots each N times up to SMP bring-up
# (-smp 3 -m 2G, no devices). Passes when every nofix boot that entered
# the window stopped there (so the test can fail: it reproduces the hang)
# and every fix boot entered the window and went on. For make matrix: the
# two builds take about 25 minutes the first time and are cached, keyed
# like the test kernel, in ${VTD_CACHE:-~/.cache/vtd-remap}/rcu-ab-*.
#
# usage: scripts/rcu-tasks-ab.sh [--boots N]   (default 5)

set -uo pipefail

me=rcu-tasks-ab
top=$(cd "$(dirname "$0")/.." && pwd)
self=$top/scripts/$(basename "$0")
cd "$top" || exit 1
boots=5
if [ "${1:-}" = --boots ] && [ -n "${2:-}" ]; then
	boots=$2
elif [ $# -gt 0 ]; then
	sed -n '3,18p' "$self" | sed 's/^# \{0,1\}//'
	exit 2
fi

cache=${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg") || exit 1
tk=$(scripts/test-kernel.sh | tail -n 1)
[ -f "$tk/.config" ] || { echo "$me: no test kernel" >&2; exit 1; }
delay=scripts/rcu-tasks-ab/delay.patch
fixes=(scripts/test-kernel-patches/*.patch)
window='vtd-ab: RCU Tasks: no kthread yet'
went_on='Bringing up secondary CPUs'
logs=build/logs/rcu-tasks-ab
mkdir -p "$logs"

# build VARIANT PATCHES...: the kernel's directory on stdout.
build() {
	local v=$1 key dir p
	shift
	key=$( (cat "$self" "$tk/.config" "$@"; echo "$srcver") | sha256sum | cut -c1-16)
	dir=$cache/rcu-ab-$v-$key
	if [ ! -f "$dir/obj/.vtd-built" ]; then
		echo "$me: building the $v kernel in $dir (about 12 minutes)" >&2
		rm -rf "$dir"
		mkdir -p "$dir/src" "$dir/obj"
		tar -C "$dir/src" -xf "$tarball" || return 1
		for p in "$@"; do
			patch -s -p1 -d "$dir/src/$srcpkg" < "$p" || return 1
		done
		cp "$tk/.config" "$dir/obj/.config"
		make -s -C "$dir/src/$srcpkg" O="$dir/obj" olddefconfig >&2 &&
			make -s -C "$dir/src/$srcpkg" O="$dir/obj" -j"$(nproc)" bzImage >&2 ||
			return 1
		touch "$dir/obj/.vtd-built"
	fi
	echo "$dir/obj"
}

# boot KERNEL LOG: 0 if the boot went on past the self test, 1 if it
# stopped (nothing for 90 s after the self test's line, or 300 s in all).
boot() {
	local pid t=0 since=-1
	: > "$2"
	${VTD_GUEST_WRAPPER:-} qemu-system-x86_64 -machine q35 -accel tcg \
		-cpu max,la57=off -smp 3 -m 2G -display none -no-reboot \
		-nic none -serial "file:$2" -monitor none -kernel "$1" \
		-append "console=ttyS0,115200 loglevel=8 panic=-1 nokaslr" &
	pid=$!
	while [ $t -lt 300 ]; do
		sleep 1
		t=$((t + 1))
		grep -a -q "$went_on" "$2" && break
		if [ $since -lt 0 ] && grep -a -q 'Running RCU-tasks wait API self tests' "$2"; then
			since=$t
		fi
		[ $since -ge 0 ] && [ $((t - since)) -ge 90 ] && break
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -a -q "$went_on" "$2"
}

nofix=$(build nofix "$delay") || { echo "$me: FAIL: cannot build the nofix kernel" >&2; exit 1; }
fix=$(build fix "${fixes[@]}" "$delay") || { echo "$me: FAIL: cannot build the fix kernel" >&2; exit 1; }

fail=0
for v in nofix fix; do
	k=$nofix/arch/x86/boot/bzImage
	[ $v = fix ] && k=$fix/arch/x86/boot/bzImage
	entered=0 stopped=0 on=0
	for i in $(seq 1 "$boots"); do
		log=$logs/$v-$i.log
		if boot "$k" "$log"; then on=$((on + 1)); else stopped=$((stopped + 1)); fi
		grep -a -q "$window" "$log" && entered=$((entered + 1))
		echo "$me: $v boot $i: $(grep -a -q "$window" "$log" && echo "in the window, " || echo)$(grep -a -q "$went_on" "$log" && echo "went on" || echo "stopped") ($log)"
	done
	echo "$me: $v: $boots boots, $entered entered the window, $stopped stopped, $on went on"
	if [ $v = nofix ] && { [ $entered -eq 0 ] || [ $on -ne $((boots - entered)) ] || [ $stopped -ne $entered ]; }; then
		echo "$me: FAIL: without the fix, the boots in the window should all stop there (the test would not see the hang)"
		fail=1
	fi
	if [ $v = fix ] && { [ $entered -ne "$boots" ] || [ $on -ne "$boots" ]; }; then
		echo "$me: FAIL: with the fix, every boot should enter the window and go on"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "$me: PASS" || exit 1
