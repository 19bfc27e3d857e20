#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# isolation: two edu devices in two domains: each one's DMA to an IOVA mapped only in the other's domain faults, and the other's memory is untouched.
#
# Needs two edu devices: qemu-boot.sh --devices edu --devices edu.
# Args: high=auto|yes|no, remap=P1,P2: see scenarios/lib/edu.sh
# For each device X with the other Y: Y maps a buffer and reads it through
# its domain (no fault); X writes to that IOVA (write fault from X, Y's
# buffer unchanged) and reads from it (read fault from X, X does not get
# Y's data). Then both devices do round trips at once.

P=isolation
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
if [ "$n" -lt 2 ]; then
	echo "$P: FAIL: $n edu device(s); needs two (qemu-boot.sh --devices edu --devices edu)"
	exit 1
fi
edu_load || { edu_unload; exit 1; }

status=0
doms=$(for d in $EDU_DIRS; do edu_info "$d" domain; done | sort -u | wc -l)
if [ "$doms" -ne "$n" ]; then
	echo "$P: FAIL: $n edu devices in $doms domain(s)"
	status=1
fi
for d in $EDU_DIRS; do
	edu_run "$d" isolation ${opt:+"$opt"} || status=1
done
# Both domains in use at once.
pids=
for d in $EDU_DIRS; do
	edu_run "$d" roundtrip ${opt:+"$opt"} &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || status=1
done

edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: $n edu devices in $n domains cannot reach each other's mappings (writes and reads fault, memory untouched); both still work"
else
	echo "$P: FAIL"
fi
exit $status
