#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-modes: vtd_remap's three unmap modes measured in one boot, rounds interleaved, for make bench.
#
# Args: quick=1   short runs
#       rounds=N  rounds (default 3); each loads vtd_remap.ko with
#                 own=<edu>,<nvme> unmap=strict, then deferred, then shadow
# In each mode of each round: vtd_dma_bench.ko on edu (one page and 16
# scattered pages, 1 and 2 threads), dma_map_benchmark -t 1 -g 1 on edu,
# and fio 4 KiB random reads at queue depth 1 and 32 on nvme. The boot's
# modes share its speed, so their ratios need no reference loop: that is
# what the cross-boot rows of bench-dma.sh cannot give.
# Lines: "VTD-BENCH-DMA modes-<mode>-r<round> ..." (vtd_dma_bench.ko),
# "VTD-BENCH-MODEMAP <mode> round=<r> map_us= unmap_us=",
# "VTD-BENCH-MODEFIO <mode> round=<r> job=<job> iops=", each after the
# "VTD-BENCH-CMD" line of its command.
# Needs an edu and an nvme device, /usr/bin/dma_map_benchmark and
# /usr/bin/fio (qemu-boot.sh --extra-bin), and intel_iommu=off.

P=bench-modes
. /scenarios/lib/pci.sh
quick=0
rounds=3
for a in "$@"; do
	case "$a" in
	quick=*) quick=${a#quick=} ;;
	rounds=*) rounds=${a#rounds=} ;;
	*=*) ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
if [ "$quick" = 1 ]; then
	secs=1
	fio_secs=2
else
	secs=3
	fio_secs=5
fi

edu=$(pci_first 1234:11e8) || { echo "$P: FAIL: no edu device"; exit 1; }
nvme=$(pci_first 1b36:0010) || { echo "$P: FAIL: no nvme device"; exit 1; }
echo "$P: edu $edu, nvme $nvme, $rounds rounds, $(nproc) CPU(s), cmdline: $(cat /proc/cmdline)"

status=0
# One mode of one round; a failure is counted and the next mode goes on.
measure() {
	local mode=$1 r=$2 cmd out m u i job line
	cmd="insmod /modules/vtd_remap.ko own=$edu,$nvme unmap=$mode"
	echo "VTD-BENCH-CMD load-$mode $cmd"
	if ! $cmd; then
		echo "$P: FAIL: $cmd"
		return 1
	fi
	if [ "$(cat /sys/module/vtd_remap/parameters/unmap)" != "$mode" ]; then
		echo "$P: FAIL: unmap=$mode asked, the module reads $(cat /sys/module/vtd_remap/parameters/unmap)"
		vtd_unload
		return 1
	fi

	# copy2 (no DMA: two 4 KiB copy_page()) is what shadow copies per
	# page; timed in every mode, it also shows the boot's drift.
	cmd="insmod /modules/vtd_dma_bench.ko dev=$edu label=modes-$mode-r$r secs=$secs shapes=page,sg16,copy2 threads=2"
	echo "VTD-BENCH-CMD api $cmd"
	if $cmd; then
		rmmod vtd_dma_bench
	else
		echo "$P: $cmd failed"
		status=1
	fi

	echo dma_map_benchmark > "/sys/bus/pci/devices/$edu/driver_override"
	echo "$edu" > /sys/bus/pci/drivers_probe
	cmd="dma_map_benchmark -t 1 -g 1 -s $secs"
	echo "VTD-BENCH-CMD map $cmd"
	out=$($cmd 2>&1)
	m=$(echo "$out" | sed -n 's/^average map latency(us):\([0-9.]*\).*/\1/p')
	u=$(echo "$out" | sed -n 's/^average unmap latency(us):\([0-9.]*\).*/\1/p')
	if [ -n "$m" ] && [ -n "$u" ]; then
		echo "VTD-BENCH-MODEMAP $mode round=$r map_us=$m unmap_us=$u"
	else
		echo "$out"
		echo "$P: $cmd failed"
		status=1
	fi
	echo "$edu" > /sys/bus/pci/drivers/dma_map_benchmark/unbind
	echo > "/sys/bus/pci/devices/$edu/driver_override"

	i=0
	while [ ! -b /dev/nvme0n1 ] && [ $i -lt 20 ]; do
		sleep 1
		i=$((i + 1))
	done
	for job in "randread-4k-qd1 1" "randread-4k-qd32 32"; do
		# shellcheck disable=SC2086
		set -- $job
		cmd="fio --name=$1 --filename=/dev/nvme0n1 --rw=randread --bs=4k --iodepth=$2 --ioengine=libaio --direct=1 --runtime=$fio_secs --time_based --thread --output-format=terse"
		echo "VTD-BENCH-CMD fio-$1 $cmd"
		out=$($cmd 2>&1)
		line=$(echo "$out" | grep '^3;')
		if [ -n "$line" ]; then
			# Terse v3: field 8 is the read IOPS.
			echo "VTD-BENCH-MODEFIO $mode round=$r job=$1 iops=$(echo "$line" | cut -d';' -f8)"
		else
			echo "$out"
			echo "$P: fio $1 failed"
			status=1
		fi
	done
	vtd_unload || { echo "$P: FAIL: rmmod vtd_remap"; return 1; }
	return 0
}

r=1
while [ $r -le "$rounds" ]; do
	for mode in strict deferred shadow; do
		measure $mode $r || status=1
	done
	r=$((r + 1))
done
echo "$P: done, status $status"
exit $status
