#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# edu-fault: DMA to an unmapped IOVA (both directions, after QEMU cached the translation) and into a read-only mapping faults with edu's source ID; memory untouched.
#
# Args: high=auto|yes|no, remap=P1,P2: see scenarios/lib/edu.sh
# Per device: fault-write (edu->RAM after unmap: reason 5, memory keeps
# what the CPU wrote), fault-read (RAM->edu after unmap: reason 6, edu does
# not get the new data), fault-ro (edu->RAM into a read-only mapping:
# reason 5). Each first does the transfer while the mapping is there, so
# QEMU's IOTLB holds it: the fault also proves the unmap invalidated it.

P=edu-fault
. /scenarios/lib/edu.sh

for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	echo "$P: unknown argument $a"
	exit 2
done
edu_resolve_high || exit 1
opt=$EDU_OPT

edu_count_pci
n=$EDU_NPCI
if [ "$n" -eq 0 ]; then
	echo "$P: FAIL: no edu device (qemu-boot.sh --devices edu)"
	exit 1
fi
edu_load || { edu_unload; exit 1; }

status=0
for d in $EDU_DIRS; do
	edu_run "$d" fault ${opt:+"$opt"} || status=1
done
echo "$P: the unit's fault log:"
dmesg | grep -E 'vtd_remap: .*DMA (read|write) fault' | tail -n 12 | sed "s/^/$P:   /"

edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: write-after-unmap, read-after-unmap and write-to-read-only faulted on each of $n edu device(s), memory untouched"
else
	echo "$P: FAIL"
fi
exit $status
