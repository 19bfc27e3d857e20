#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# load-unload: insmod and rmmod vtd_remap.ko 20 times (or count=N), failing on the first error.

ko=/modules/vtd_remap.ko
count=20

for a in "$@"; do
	case "$a" in
	count=*) count=${a#count=} ;;
	*) echo "load-unload: unknown argument $a"; exit 2 ;;
	esac
done

i=1
while [ "$i" -le "$count" ]; do
	if ! insmod "$ko"; then
		echo "load-unload: FAIL: insmod, round $i"
		exit 1
	fi
	if ! rmmod vtd_remap; then
		echo "load-unload: FAIL: rmmod, round $i"
		exit 1
	fi
	i=$((i + 1))
done
if grep -q '^vtd_remap ' /proc/modules; then
	echo "load-unload: FAIL: vtd_remap still loaded"
	exit 1
fi
echo "load-unload: $count rounds of insmod/rmmod worked"
exit 0
