#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# edu-dma: each edu device DMAs RAM->edu->RAM through a domain of its own, data checked; buffers above 4 GiB when the guest has memory there.
#
# Args: rounds=N   round trips per device (default 3; devices run in
#                  parallel)
#       high=auto|yes|no, remap=P1,P2: see scenarios/lib/edu.sh
#       (in a multi-scenario boot, edu-dma.rounds=N and so on)
# Every round trip crosses a page boundary in both buffers and checks that
# nothing outside the transfer changed and that no fault was recorded.
# With buffers above 4 GiB, edu's 28-bit DMA mask could not reach them
# without translation: the IOVAs it used are below 256 MiB.

P=edu-dma
. /scenarios/lib/edu.sh

rounds=3
for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	case "$a" in
	rounds=*) rounds=${a#rounds=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
edu_resolve_high || exit 1
opt=$EDU_OPT
high=$EDU_HIGH
echo "$P: $(nproc) CPU(s), $(grep MemTotal /proc/meminfo | tr -s ' '), buffers above 4 GiB: $high"

edu_count_pci
n=$EDU_NPCI
if [ "$n" -eq 0 ]; then
	echo "$P: FAIL: no edu device (qemu-boot.sh --devices edu)"
	exit 1
fi
edu_load || { edu_unload; exit 1; }

status=0
# One background job per device: its round trips run in parallel with
# the other device's, through two domains of the same unit.
pids=
for d in $EDU_DIRS; do
	(
		i=1
		while [ $i -le "$rounds" ]; do
			edu_run "$d" roundtrip ${opt:+"$opt"} || exit 1
			if [ "$high" = yes ] &&
				! edu_result_has "$d" 'pages above 4 GiB: yes'; then
				echo "$P: FAIL: $(basename "$d"): buffers not above 4 GiB"
				exit 1
			fi
			i=$((i + 1))
		done
	) &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || status=1
done

edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: $rounds round trip(s) on each of $n edu device(s), data checked both ways, no fault; buffers above 4 GiB: $high"
else
	echo "$P: FAIL"
fi
exit $status
