#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# load-unload: 50 cycles (count=N) of insmod vtd_remap and vtd_edu, an edu round trip DMA on every edu device, rmmod both; stops at the first error.
#
# Args: count=N  cycles (default 50)
#       dma=0    no vtd_edu and no DMA (for a guest without edu devices)
#       high=auto|yes|no, remap=P1,P2: see scenarios/lib/edu.sh
#       (in a multi-scenario boot, load-unload.count=N and so on)
# Each cycle brings the unit up (translation on), gives each edu device a
# fresh domain, checks a round trip through it, and takes everything down
# again: leaks show in kmemleak, stale state in the next cycle.

P=load-unload
. /scenarios/lib/edu.sh

count=50
dma=1
for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	case "$a" in
	count=*) count=${a#count=} ;;
	dma=0 | dma=1) dma=${a#dma=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
edu_resolve_high || exit 1
opt=$EDU_OPT

edu_count_pci
n=$EDU_NPCI
if [ "$dma" = 1 ] && [ "$n" -eq 0 ]; then
	echo "$P: FAIL: no edu device for the DMA (qemu-boot.sh --devices edu, or dma=0)"
	exit 1
fi

EDU_QUIET=1
t0=$(date +%s)
i=1
while [ "$i" -le "$count" ]; do
	if [ "$dma" = 1 ]; then
		edu_load || { echo "$P: FAIL: cycle $i"; edu_unload; exit 1; }
		for d in $EDU_DIRS; do
			edu_run "$d" roundtrip ${opt:+"$opt"} || {
				echo "$P: FAIL: cycle $i"; edu_unload; exit 1; }
		done
	else
		# shellcheck disable=SC2086
		if ! insmod "$VTD_KO" $EDU_REMAP_PARAMS; then
			echo "$P: FAIL: insmod, cycle $i"
			exit 1
		fi
	fi
	edu_unload || { echo "$P: FAIL: cycle $i"; exit 1; }
	[ $((i % 10)) -ne 0 ] || echo "$P: $i cycles done ($(($(date +%s) - t0)) s)"
	i=$((i + 1))
done
if edu_loaded vtd_remap || edu_loaded vtd_edu; then
	echo "$P: FAIL: a module is still loaded"
	exit 1
fi
what="insmod/rmmod"
[ "$dma" = 0 ] || what="insmod/round trip on $n edu device(s)/rmmod"
echo "$P: PASS: $count cycles of $what in $(($(date +%s) - t0)) s"
exit 0
