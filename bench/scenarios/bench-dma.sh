#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-dma: map/unmap (the kernel's dma_map_benchmark on edu) and fio on nvme under one IOMMU configuration, for make bench.
#
# Args: config=none|linux-strict|linux-lazy|ours-strict|ours-deferred|ours-shadow
#                 the configuration this boot measures; the kernel command
#                 line (scripts/bench.sh passes --iommu-args) must match it
#       quick=1   short runs
#       parts=LIST  a comma list of map (dma_map_benchmark), api
#                 (vtd_dma_bench.ko: map_page and map_sg pairs) and fio;
#                 default all three
#       unmap=MODE  vtd_remap's unmap= value for an ours-* configuration
#                 (default: from the name; ours-strict loads without it)
#       profile=1 also sample the kernel (perf record -e cpu-clock) during
#                 one more dma_map_benchmark -t 1 -g 1 run and print its
#                 hottest symbols (needs /usr/bin/perf in the guest)
# Needs /usr/bin/dma_map_benchmark and /usr/bin/fio in the guest
# (qemu-boot.sh --extra-bin) and an edu and an nvme device.
# Every figure is a "VTD-BENCH-..." line preceded by the "VTD-BENCH-CMD"
# line of the command that produced it.

P=bench-dma
. /scenarios/lib/vtd.sh
config=
quick=0
unmap=
parts=map,api,fio
profile=0
for a in "$@"; do
	case "$a" in
	config=*) config=${a#config=} ;;
	quick=*) quick=${a#quick=} ;;
	unmap=*) unmap=${a#unmap=} ;;
	parts=*) parts=${a#parts=} ;;
	profile=*) profile=${a#profile=} ;;
	*=*) ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$config" in
none | linux-strict | linux-lazy | ours-strict) ;;
ours-*) [ -n "$unmap" ] || unmap=${config#ours-} ;;
*) echo "$P: config= must name a configuration"; exit 2 ;;
esac
if [ "$quick" = 1 ]; then
	secs=2
	fio_secs=3
else
	secs=10
	fio_secs=10
fi

# PCI address of the first device with vendor:device $1:$2, or of class $3.
pci_find() {
	for d in /sys/bus/pci/devices/*; do
		if [ -n "$1" ] && [ "$(cat "$d/vendor")" = "$1" ] &&
			[ "$(cat "$d/device")" = "$2" ]; then
			basename "$d"
			return 0
		fi
		if [ -n "$3" ] && [ "$(cat "$d/class")" = "$3" ]; then
			basename "$d"
			return 0
		fi
	done
	return 1
}

echo "$P: config $config, $(nproc) CPU(s), $(uname -r), cmdline: $(cat /proc/cmdline)"
edu=$(pci_find 0x1234 0x11e8 "") || { echo "$P: FAIL: no edu device"; exit 1; }
nvme=$(pci_find "" "" 0x010802) || { echo "$P: FAIL: no nvme device"; exit 1; }
echo "$P: edu $edu, nvme $nvme"

# Linux's driver on QEMU's unit with caching mode forces strict mode.
case "$config" in
linux-*)
if dmesg | grep -q 'batching disallowed'; then
	echo "VTD-BENCH-NOTE $config linux forced strict invalidation (caching mode): $(dmesg | grep -m1 'batching disallowed')"
fi
dmesg | grep -m3 -i 'DMAR: IOMMU enabled\|iommu: Default domain type\|DMA domain TLB invalidation policy' |
	sed 's/^/VTD-BENCH-NOTE '"$config"' linux: /'
	;;
esac

# The reference loop of this boot (figures are divided by it across boots).
echo "VTD-BENCH-CMD ref insmod /modules/vtd_bench.ko tests=ref"
insmod /modules/vtd_bench.ko tests=ref || { echo "$P: FAIL: insmod vtd_bench.ko"; exit 1; }
rmmod vtd_bench

case "$config" in
ours-*)
	args="own=$edu,$nvme"
	[ -z "$unmap" ] || args="$args unmap=$unmap"
	echo "VTD-BENCH-CMD load insmod /modules/vtd_remap.ko $args"
	# shellcheck disable=SC2086
	if ! insmod /modules/vtd_remap.ko $args; then
		echo "$P: FAIL: insmod vtd_remap.ko $args"
		exit 1
	fi
	# The kernel ignores an unknown parameter (with a warning): the
	# parameter's sysfs file says whether the module has it.
	if [ -n "$unmap" ]; then
		if [ ! -e /sys/module/vtd_remap/parameters/unmap ]; then
			echo "VTD-BENCH-UNAVAILABLE $config vtd_remap has no unmap= parameter"
			vtd_unload
			exit 0
		fi
		got=$(cat /sys/module/vtd_remap/parameters/unmap)
		echo "$P: unmap parameter reads '$got'"
		case "$got" in
		*"$unmap"*) ;;
		*) echo "$P: FAIL: unmap=$unmap asked, the module reads '$got'"; exit 1 ;;
		esac
	fi
	;;
esac

status=0
# --- map/unmap: dma_map_benchmark on edu ----------------------------------
case ",$parts," in
*,map,*)
echo dma_map_benchmark > "/sys/bus/pci/devices/$edu/driver_override"
echo "$edu" > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink "/sys/bus/pci/devices/$edu/driver")" 2>/dev/null)
echo "$P: edu driver now: ${drv:-none}"
if [ "$drv" != dma_map_benchmark ] || [ ! -e /sys/kernel/debug/dma_map_benchmark ]; then
	echo "$P: FAIL: dma_map_benchmark did not bind to $edu"
	exit 1
fi
for t in 1 2; do
	for g in 1 16; do
		cmd="dma_map_benchmark -t $t -g $g -s $secs"
		echo "VTD-BENCH-CMD map-t$t-g$g $cmd"
		out=$($cmd 2>&1)
		echo "$out"
		m=$(echo "$out" | sed -n 's/^average map latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\).*/\1 \2/p')
		u=$(echo "$out" | sed -n 's/^average unmap latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\).*/\1 \2/p')
		if [ -z "$m" ] || [ -z "$u" ]; then
			echo "$P: map benchmark t=$t g=$g failed"
			status=1
			continue
		fi
		set -- $m $u
		echo "VTD-BENCH-MAP $config threads=$t granule=$g map_us=$1 map_sd=$2 unmap_us=$3 unmap_sd=$4"
	done
done
# Where the time of map+unmap goes: sampled (cpu-clock, all CPUs) during
# one more single-thread run; the hottest symbols, children not folded in.
if [ "$profile" = 1 ] && command -v perf >/dev/null; then
	cmd="dma_map_benchmark -t 1 -g 1 -s $secs"
	echo "VTD-BENCH-CMD profile perf record -g -e cpu-clock -F 4000 -a -o /tmp/perf.data -- $cmd"
	if perf record -q -g -e cpu-clock -F 4000 -a -o /tmp/perf.data -- $cmd >/dev/null 2>&1; then
		perf report -i /tmp/perf.data --stdio --children --sort sym -g none \
			--percent-limit 0.3 2>/dev/null | grep '%' |
			sed 's/^ */VTD-BENCH-PROFILE '"$config"' /'
	else
		echo "$P: perf record failed"
	fi
	rm -f /tmp/perf.data
fi
# Shadow mode's threshold: the same map+unmap copied through a shadow
# (shadow_max=65536) and zero-copy strict (shadow_max=0), granule 1-16.
sm=/sys/module/vtd_remap/parameters/shadow_max
if [ "$config" = ours-shadow ] && [ -w "$sm" ]; then
	sm_was=$(cat "$sm")
	for g in 1 2 4 8 16; do
		for v in 65536 0; do
			echo "$v" > "$sm"
			cmd="dma_map_benchmark -t 1 -g $g -s $secs"
			out=$($cmd 2>&1)
			m=$(echo "$out" | sed -n 's/^average map latency(us):\([0-9.]*\).*/\1/p')
			u=$(echo "$out" | sed -n 's/^average unmap latency(us):\([0-9.]*\).*/\1/p')
			echo "VTD-BENCH-NOTE $config threshold: shadow_max=$v $cmd: map $m us + unmap $u us (raw)"
		done
	done
	echo "$sm_was" > "$sm"
fi
if [ -e /sys/kernel/debug/vtd_remap/dma/devices ]; then
	echo "$P: the shim's devices after the map benchmark:"
	cat /sys/kernel/debug/vtd_remap/dma/devices
	awk -v d="$edu" '/^[^ ]/ { on = ($1 == d) } on' \
		/sys/kernel/debug/vtd_remap/dma/devices |
		sed 's/^ */VTD-BENCH-SHIM '"$config"' /'
fi
echo "$edu" > /sys/bus/pci/drivers/dma_map_benchmark/unbind
echo > "/sys/bus/pci/devices/$edu/driver_override"
	;;
esac

# --- map_page and map_sg pairs: vtd_dma_bench.ko on edu --------------------
case ",$parts," in
*,api,*)
if [ "$quick" = 1 ]; then api_secs=1; else api_secs=5; fi
cmd="insmod /modules/vtd_dma_bench.ko dev=$edu label=$config secs=$api_secs threads=2"
echo "VTD-BENCH-CMD api $cmd"
# shellcheck disable=SC2086
if $cmd; then
	# Its figure lines reach the console log as the kernel prints them.
	dmesg | grep -q "VTD-BENCH-DMA-DONE $config status=ok" ||
		{ echo "$P: vtd_dma_bench.ko reported errors"; status=1; }
	rmmod vtd_dma_bench
else
	echo "$P: insmod vtd_dma_bench.ko failed"
	status=1
fi
	;;
esac

# --- fio on nvme ------------------------------------------------------------
case ",$parts," in
*,fio,*)
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 20 ]; do
	sleep 1
	i=$((i + 1))
done
if [ ! -b /dev/nvme0n1 ]; then
	echo "$P: FAIL: no /dev/nvme0n1"
	exit 1
fi
for job in "randread-4k-qd1 randread 4k 1" "randread-4k-qd32 randread 4k 32" \
	"read-128k-qd8 read 128k 8"; do
	set -- $job
	cmd="fio --name=$1 --filename=/dev/nvme0n1 --rw=$2 --bs=$3 --iodepth=$4 --ioengine=libaio --direct=1 --runtime=$fio_secs --time_based --thread --output-format=terse"
	echo "VTD-BENCH-CMD fio-$1 $cmd"
	out=$($cmd 2>&1)
	line=$(echo "$out" | grep '^3;')
	if [ -z "$line" ]; then
		echo "$out"
		echo "$P: fio $1 failed"
		status=1
		continue
	fi
	echo "VTD-BENCH-FIO $config $1 $line"
done
	;;
esac

# Drivers bound through the shim keep it loaded: vtd_unload unbinds them.
vtd_unload || { echo "$P: FAIL: rmmod vtd_remap"; status=1; }
echo "$P: done, status $status"
exit $status
