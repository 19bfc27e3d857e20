#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dma-api: every DMA-API operation a driver can reach, through the shim (own=edu), with data written by edu and read by the CPU through each kind of buffer.
#
# Args: rounds=N   times each device runs the whole set (default 1)
#       remap=P1,P2: more vtd_remap.ko parameters (scenarios/lib/edu.sh);
#       own= is set here to every edu device on the bus
#       (in a multi-scenario boot, dma-api.rounds=N and so on)
# vtd_remap.ko is loaded with own=<every edu device>, then vtd_edu.ko,
# which finds its devices owned by the shim and binds them in "dma-api"
# mode. Each device then runs the api-* tests (see vtd_edu.c): map_sg of
# a 2 MiB block (a superpage; first, on the fresh domain), map_page
# (exact IOVA sizes, dma_need_sync false), map_sg (contiguous and
# scattered: one map call each; sub-page), coherent (plain, NO_KERNEL_MAPPING,
# FORCE_CONTIGUOUS, get_sgtable), coherent above MAX_ORDER, alloc_pages
# and alloc_noncoherent, alloc_noncontiguous with a vmap, and
# dma_mmap_coherent read back through a user mapping, and map_resource of
# edu's BAR (edu reads its own registers). Afterwards the
# shim must have nothing mapped for the devices, no bad unmap, no failed
# map but the one api-big provokes, and the kernel log no DMA-API debug
# report.
# Then the same devices again in shadow mode (own=<edu>@shadow, whatever
# unmap= says): the shadow-* tests (see vtd_edu.c): a shadow is not the
# buffer, its unmap issues no invalidation and a stale DMA afterwards
# leaves the buffer alone; 512 bytes from the middle of a page expose no
# neighbouring byte; data both ways with the single and sg syncs and
# SKIP_CPU_SYNC; trimming unmaps strictly (a stale DMA then faults).

P=dma-api
. /scenarios/lib/edu.sh

SHIM_DBG=/sys/kernel/debug/vtd_remap/dma/devices
TESTS="api-superpage api-page api-sg api-coherent api-big api-pages api-noncontig api-mmap api-resource"
SHADOW_TESTS="shadow-page shadow-subpage shadow-sg shadow-trim"

rounds=1
for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	case "$a" in
	rounds=*) rounds=${a#rounds=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

# The edu devices' PCI addresses, comma separated.
own=
for d in /sys/bus/pci/devices/*; do
	read -r v < "$d/vendor" || continue
	[ "$v" = 0x1234 ] || continue
	read -r v < "$d/device" || continue
	[ "$v" = 0x11e8 ] || continue
	own="$own${own:+,}${d##*/}"
done
if [ -z "$own" ]; then
	echo "$P: FAIL: no edu device (qemu-boot.sh --devices edu)"
	exit 1
fi
echo "$P: $(nproc) CPU(s), $(grep MemTotal /proc/meminfo | tr -s ' '); own=$own"
EDU_BASE_PARAMS=$EDU_REMAP_PARAMS
EDU_REMAP_PARAMS="$EDU_REMAP_PARAMS own=$own"
dmesg_before=$(dmesg | grep -c 'DMA-API')
edu_load || { edu_unload; exit 1; }

status=0
for d in $EDU_DIRS; do
	if [ "$(edu_info "$d" mode)" != dma-api ]; then
		echo "$P: FAIL: ${d##*/} not bound in dma-api mode (mode $(edu_info "$d" mode))"
		status=1
	fi
done

# Devices one after the other: the tests count the domain's maps and
# frames, which only their own device changes.
for d in $EDU_DIRS; do
	i=1
	while [ $i -le "$rounds" ] && [ $status -eq 0 ]; do
		# On a failure the other tests still run: each says its own.
		# api-superpage needs a fresh domain: round 1 only.
		tests=$TESTS
		[ $i -eq 1 ] || tests=${TESTS#api-superpage }
		for t in $tests; do
			edu_run "$d" "$t" || status=1
		done
		i=$((i + 1))
	done
done

# The shim's account: nothing left mapped, nothing refused.
if [ -r "$SHIM_DBG" ]; then
	sed "s/^/$P: shim: /" "$SHIM_DBG"
	if grep -q 'live: [1-9]' "$SHIM_DBG"; then
		echo "$P: FAIL: the shim still has ranges mapped after the tests"
		status=1
	fi
	# api-big's FORCE_CONTIGUOUS above MAX_ORDER fails once a round.
	if grep -q 'bad unmaps [1-9]' "$SHIM_DBG" ||
		grep 'failed maps' "$SHIM_DBG" | grep -qv "failed maps $rounds,"; then
		echo "$P: FAIL: the shim counted bad unmaps, or failed maps other than api-big's $rounds refused FORCE_CONTIGUOUS"
		status=1
	fi
else
	echo "$P: FAIL: no $SHIM_DBG"
	status=1
fi

edu_unload || status=1

# Shadow mode: the same devices, each own=ADDR@shadow.
EDU_REMAP_PARAMS="$EDU_BASE_PARAMS own=$(echo "$own" | sed 's/,/@shadow,/g')@shadow"
if [ $status -eq 0 ]; then
	if edu_load; then
		for d in $EDU_DIRS; do
			for t in $SHADOW_TESTS; do
				edu_run "$d" "$t" || status=1
			done
		done
		sed "s/^/$P: shadow: /" "$SHIM_DBG"
		if ! grep -q 'unmap: shadow' "$SHIM_DBG" ||
			grep -q 'live: [1-9]' "$SHIM_DBG" ||
			grep -q 'bad unmaps [1-9]' "$SHIM_DBG" ||
			grep -q 'failed maps [1-9]' "$SHIM_DBG" ||
			grep -q 'in use [1-9-]' "$SHIM_DBG" ||
			grep -q 'bad [1-9]' "$SHIM_DBG"; then
			echo "$P: FAIL: shadow mode: not shadow, or ranges or shadows left, bad unmaps or failed maps"
			status=1
		fi
	else
		status=1
	fi
	edu_unload || status=1
fi
dmesg_after=$(dmesg | grep -c 'DMA-API')
if [ "$dmesg_after" -ne "$dmesg_before" ]; then
	echo "$P: FAIL: DMA-API debug reported:"
	dmesg | grep 'DMA-API' | tail -n 5 | sed "s/^/$P:   /"
	status=1
fi
if [ $status -eq 0 ]; then
	echo "$P: PASS: $TESTS, then in shadow mode $SHADOW_TESTS, on $(echo "$own" | tr , ' ' | wc -w) edu device(s) through the shim, $rounds round(s); nothing left mapped, no DMA-API debug report"
else
	echo "$P: FAIL"
fi
exit $status
