#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# deferred-window: with deferred unmap, a stale edu DMA to a just-unmapped IOVA still lands inside the window (QEMU's IOTLB) and faults after it, memory untouched.
#
# Args: window=MS (vtd_remap's flush_window_ms, default 2000),
#       high=auto|yes|no, remap=P1,P2: see scenarios/lib/edu.sh
#       (in a multi-scenario boot, deferred-window.window=MS and so on)
# Per device, vtd_edu's "window" test: edu->RAM through a mapping (QEMU
# caches the translation), the domain made deferred, the buffer given
# back, the same transfer at once: it must land (the IOTLB still has it,
# no fault); then, once the queue's timer has flushed it, the same
# transfer must fault and leave memory alone.
# Why 2000 ms and not the default 10: an edu transfer is translated when
# it completes, 100 ms of virtual time after it starts, so with a 10 ms
# window the flush always comes first and nothing could land. 2000 ms
# puts the translation 20 windows' worth of margin inside it on a slow
# TCG host, and the fault afterwards shows the flush came.

P=deferred-window
. /scenarios/lib/edu.sh

window=2000
for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	case "$a" in
	window=*) window=${a#window=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$window" in '' | *[!0-9]*) echo "$P: window= wants milliseconds"; exit 2 ;; esac
edu_resolve_high || exit 1
opt=$EDU_OPT
EDU_REMAP_PARAMS="$EDU_REMAP_PARAMS flush_window_ms=$window"

edu_count_pci
n=$EDU_NPCI
if [ "$n" -eq 0 ]; then
	echo "$P: FAIL: no edu device (qemu-boot.sh --devices edu)"
	exit 1
fi
edu_load || { edu_unload; exit 1; }

status=0
for d in $EDU_DIRS; do
	edu_run "$d" window ${opt:+"$opt"} || status=1
done
echo "$P: the unit's fault log:"
dmesg | grep -E 'vtd_remap: .*DMA (read|write) fault' | tail -n 4 | sed "s/^/$P:   /"

edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: on each of $n edu device(s) a stale DMA landed inside the $window ms window and faulted after it"
else
	echo "$P: FAIL"
fi
exit $status
