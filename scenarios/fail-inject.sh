#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fail-inject: allocation failures injected (failslab, fail_page_alloc, vtd_remap's iova_fail_nth) while disks run I/O through the shim: I/O may fail, never return wrong data; afterwards the disks verify clean.
#
# Needs disks: scripts/qemu-boot.sh --devices nvme,virtio-blk (or any disk
# kinds; kinds= picks them, default every kind present). Steps:
#  1. find the disks, insmod vtd_remap.ko own=<their PCI devices>; wait
#     for the disks to come back through the shim;
#  2. generation 1 written to every disk and verified, no injection, all
#     strict (blkcheck: every 4 KiB block carries its disk, generation and
#     place, and generated contents);
#  3. the storm, one round per injection (inject=), all disks at once:
#       iova  vtd_remap's iova_fail_nth=N: every Nth IOVA range-node
#             allocation of the module fails, in any context (interrupts
#             included): maps return DMA_MAPPING_ERROR. N must exceed the
#             maps one request needs, or a retried request fails every
#             time (virtio-blk maps each segment: up to ~128 per request);
#       slab  failslab, task-filter: only the blkcheck processes' atomic
#             slab allocations fail (the map path allocates GFP_ATOMIC),
#             probability pct=; booted with slub_debug=A;-,radix_tree_node
#             (make matrix does), every slab cache but radix_tree_node is
#             marked and failslab's cache filter is on: DMA-API debug
#             tracks mapped cachelines in a radix tree from the same
#             process, and a failure there switches its checking off for
#             the rest of the boot (the x86-64 kernel has no stack filter
#             to aim failslab at the module alone);
#       page  fail_page_alloc, task-filter, order 0 up, sleeping ones too:
#             the blkcheck processes' page allocations fail;
#       all   the three at once;
#     each round writes the next generation over every disk and reads it
#     back, with the injection on: a chunk whose write failed may hold an
#     older generation (or a mix), a read may fail; any other content (a
#     block of another place, disk or generation, or damaged) FAILS;
#  4. injection off: every disk verified (0 mismatches), then a clean
#     generation written and verified strictly: the disks work again;
#  5. the injection reached the shim (failed maps counted, failslab and
#     fail_page_alloc failures counted), no DMA fault, no bad unmap;
#  6. rmmod; every disk read back once more without the shim, strictly.
# kmemleak (checked by the guest's init after the scenario) must find
# nothing; the runner fails the run on any sanitizer or DMA-API report.
#
# Args: mib=N (MiB per disk, default 16), kinds=K1,K2 (default: all),
# inject=LIST (default iova,slab,page,all), nth=N (iova_fail_nth, default
# 151), pct=N (failslab/fail_page_alloc probability in %, default 10),
# chunk=KIB (I/O size, default 256), remap=P1,P2 (more vtd_remap
# parameters, e.g. remap=pool_fail_get_nth=13 for the pool's injection).
# In a multi-scenario boot, fail-inject.KEY=V is for this scenario only.

P="fail-inject"
. /scenarios/lib/drivers.sh
. /scenarios/lib/pci.sh

mib=16
kinds=all
inject=iova,slab,page,all
nth=151
pct=10
chunk=256
remap_params=
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	kinds=*) kinds=${a#kinds=} ;;
	inject=*) inject=${a#inject=} ;;
	nth=*) nth=${a#nth=} ;;
	pct=*) pct=${a#pct=} ;;
	chunk=*) chunk=${a#chunk=} ;;
	remap=*) remap_params=$(echo "${a#remap=}" | tr , ' ') ;;
	after=* | high=* | own=* | secs=*) ;;	# other scenarios' arguments
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
for v in "$mib" "$nth" "$pct" "$chunk"; do
	case "$v" in '' | *[!0-9]*) echo "$P: mib=, nth=, pct=, chunk= want numbers"; exit 2 ;; esac
done

FS=/sys/kernel/debug/failslab
FP=/sys/kernel/debug/fail_page_alloc
NTH=/sys/module/vtd_remap/parameters/iova_fail_nth

injection_off() {
	[ -w "$NTH" ] && echo 0 > "$NTH"
	for f in $FS $FP; do
		[ -d "$f" ] || continue
		echo 0 > "$f/probability"
		echo 0 > "$f/times"
	done
}

fail() {
	echo "$P: FAIL: $*"
	injection_off
	drv_dmesg_tail 'vtd_remap|nvme|virtio|ata|scsi|sd |usb|megaraid|sym|DMA-API|FAULT_INJECTION'
	! drv_loaded || vtd_unload
	exit 1
}

# --- 1. the disks, through the shim -----------------------------------------
case "$kinds" in
all) klist="nvme virtio-blk ahci xhci virtio-scsi megasas lsi"; need=0; wait_first=10 ;;
*) klist=$(echo "$kinds" | tr , ' '); need=1; wait_first=30 ;;
esac
PCIS=
for kind in $klist; do
	pcis=$(drv_disk_pcis "$kind") || { echo "$P: unknown disk kind '$kind'"; exit 2; }
	[ -n "$pcis" ] || [ $need -eq 0 ] || fail "no $kind device (qemu-boot.sh --devices $kind)"
	for pci in $pcis; do
		if ! drv_wait_blk "$pci" "$wait_first" > /dev/null; then
			[ $need -eq 0 ] || fail "no disk below $kind $pci"
			continue
		fi
		PCIS="$PCIS $pci"
	done
done
PCIS=${PCIS# }
[ -n "$PCIS" ] || fail "no disk (qemu-boot.sh --devices nvme,virtio-blk, ...)"
command -v blkcheck > /dev/null || fail "no blkcheck in the initramfs"
[ -d $FS ] && [ -d $FP ] ||
	echo "$P: note: no $FS or $FP (kernel without fault injection): those rounds are skipped"

# The disks' controllers with their groups (a group is owned whole).
# shellcheck disable=SC2086 # one word per device
own=$(pci_group_of $PCIS | tr '\n' , | sed 's/,$//')
echo "$P: insmod vtd_remap.ko own=$own $remap_params"
# shellcheck disable=SC2086
insmod "$DRV_KO" own="$own" $remap_params || fail "insmod vtd_remap.ko own=$own"
ndisk=0
for pci in $PCIS; do
	b=$(drv_wait_blk "$pci" 60) || fail "the disk below $pci did not come back through the shim"
	case "$(drv_dma_field "$pci" driver)" in '' | -) fail "$pci is not owned by the shim" ;; esac
	sz=$(cat "/sys/block/$b/size")
	[ $((sz / 2048)) -ge "$mib" ] || fail "$b has $((sz / 2048)) MiB, less than mib=$mib"
	ndisk=$((ndisk + 1))
	echo "$P: disk $ndisk: $pci ($(drv_dma_field "$pci" driver), /dev/$b) through the shim"
done
f0=$(drv_faults)

# run_all MODE GEN [OPTS]: blkcheck MODE on every disk at once (disk
# number = tag), output prefixed; status 1 if any blkcheck failed.
run_all() {
	mode=$1
	gen=$2
	shift 2
	i=0
	pids=
	for pci in $PCIS; do
		i=$((i + 1))
		b=$(drv_blk_of "$pci") || { echo "$P: no disk below $pci now"; return 1; }
		blkcheck "$mode" "/dev/$b" $i "$gen" "$mib" -c "$chunk" -s "/tmp/fi.state.$i" "$@" \
			> "/tmp/fi.out.$i" 2>&1 &
		pids="$pids $!"
	done
	st=0
	for p in $pids; do
		wait "$p" || st=1
	done
	i=0
	for pci in $PCIS; do
		i=$((i + 1))
		sed "s/^/$P:   /" "/tmp/fi.out.$i"
	done
	return $st
}

# --- 2. a clean generation ------------------------------------------------
rm -f /tmp/fi.state.* /tmp/fi.out.*
t0=$(drv_now)
run_all write 1 -S || fail "writing generation 1 without injection"
sync
echo 3 > /proc/sys/vm/drop_caches
run_all verify 1 -S || fail "generation 1 does not verify without injection"
echo "$P: generation 1 written and verified on $ndisk disk(s) in $(drv_secs "$t0") s, no injection"

# --- 3. the storm ------------------------------------------------------------
# inject_on KIND: turn one kind of injection on.
inject_on() {
	case "$1" in
	iova)
		echo "$nth" > "$NTH" ;;
	slab)
		cache_filter=N
		[ "$(cat /sys/kernel/slab/radix_tree_node/failslab 2> /dev/null)" = 0 ] &&
			[ "$(cat /sys/kernel/slab/vtd_iova_node/failslab 2> /dev/null)" = 1 ] &&
			cache_filter=Y
		echo $cache_filter > $FS/cache-filter
		echo "$pct" > $FS/probability
		echo 1 > $FS/interval
		echo 1000000 > $FS/times
		echo Y > $FS/task-filter
		echo Y > $FS/ignore-gfp-wait
		echo 0 > $FS/verbose ;;
	page)
		echo "$pct" > $FP/probability
		echo 1 > $FP/interval
		echo 1000000 > $FP/times
		echo Y > $FP/task-filter
		echo N > $FP/ignore-gfp-wait
		echo 0 > $FP/min-order
		echo 0 > $FP/verbose ;;
	esac
}

injected_slab=0
cache_filter=
injected_page=0
gen=1
for round in $(echo "$inject" | tr , ' '); do
	case "$round" in
	iova) kinds_on=iova ;;
	slab | page)
		if [ ! -d $FS ] || [ ! -d $FP ]; then
			continue
		fi
		kinds_on=$round ;;
	all)
		kinds_on=iova
		[ -d $FS ] && [ -d $FP ] && kinds_on="iova slab page" ;;
	*) fail "unknown injection '$round' (iova, slab, page, all)" ;;
	esac
	gen=$((gen + 1))
	e0=0
	for pci in $PCIS; do
		e0=$((e0 + $(drv_dma_field "$pci" failed)))
	done
	for k in $kinds_on; do
		inject_on "$k"
	done
	t0=$(drv_now)
	echo "$P: --- round $round: generation $gen with $kinds_on failing${cache_filter:+ (failslab cache filter $cache_filter)} ---"
	# The task filter aims failslab and fail_page_alloc at blkcheck.
	aim=
	[ ! -e /proc/self/make-it-fail ] || aim=-f
	run_all write "$gen" $aim || fail "round $round: blkcheck write failed to run"
	echo 3 > /proc/sys/vm/drop_caches
	run_all verify "$gen" $aim || fail "round $round: wrong data read back under injection"
	# What the injection did, before turning it off.
	for k in $kinds_on; do
		case "$k" in
		slab) injected_slab=$((injected_slab + 1000000 - $(cat $FS/times))) ;;
		page) injected_page=$((injected_page + 1000000 - $(cat $FP/times))) ;;
		esac
	done
	injection_off
	e1=0
	for pci in $PCIS; do
		e1=$((e1 + $(drv_dma_field "$pci" failed)))
	done
	echo "$P: round $round done in $(drv_secs "$t0") s: $((e1 - e0)) failed map(s) in the shim; failslab $injected_slab, fail_page_alloc $injected_page failure(s) injected so far"
done

# --- 4. after the storm ----------------------------------------------------------
injection_off
echo 3 > /proc/sys/vm/drop_caches
run_all verify "$gen" || fail "after the storm: wrong data on the disks"
gen=$((gen + 1))
run_all write "$gen" -S || fail "after the storm: a clean write failed"
echo 3 > /proc/sys/vm/drop_caches
run_all verify "$gen" -S || fail "after the storm: the clean generation $gen does not verify"
echo "$P: after the storm: every disk verified, generation $gen written and verified cleanly"

# --- 5. the shim's view ------------------------------------------------------------
f1=$(drv_faults)
[ "$f1" -eq "$f0" ] || fail "$((f1 - f0)) DMA fault(s) during the storm"
failed=0
for pci in $PCIS; do
	bad=$(drv_dma_field "$pci" bad)
	[ "${bad:-1}" -eq 0 ] || fail "$pci: $bad unmap(s) of addresses the shim never mapped"
	failed=$((failed + $(drv_dma_field "$pci" failed)))
	drv_dma_record "$pci"
done
case ",$inject," in
*,iova,* | *,all,*)
	[ "$failed" -gt 0 ] || fail "no map failed in the shim: the iova injection did not reach it" ;;
esac
echo "$P: $failed failed map(s) in the shim, failslab $injected_slab, fail_page_alloc $injected_page failure(s) injected; no DMA fault, no bad unmap"

# --- 6. without the shim -------------------------------------------------------------
vtd_unload || fail "rmmod vtd_remap"
for pci in $PCIS; do
	drv_wait_blk "$pci" 60 > /dev/null || fail "the disk below $pci did not come back after rmmod"
done
run_all verify "$gen" -S || fail "without the shim: the disks do not hold generation $gen"
rm -f /tmp/fi.state.* /tmp/fi.out.*
echo "$P: PASS: $ndisk disk(s), rounds $inject: no wrong data under injection, clean afterwards, through the shim and without it"
exit 0
