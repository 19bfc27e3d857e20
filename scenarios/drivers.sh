#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# drivers: every real driver present through the DMA-API shim, one at a time (disk-integrity per disk kind, hda-play) and then all at once with own=all (disks verified while the codec plays, no fault).
#
# Needs the devices: scripts/qemu-boot.sh --devices
# ahci,xhci,virtio-scsi,megasas,lsi,hda (any of nvme, virtio-blk, ahci, xhci,
# virtio-scsi, megasas, lsi, hda; at least one). Steps:
#  1. the disk kinds with a disk, and the HDA controller, found on the bus;
#     1b. with lsi: its driver unbound and probed again without the shim
#     (the upstream warning of scripts/known-warnings must show);
#  2. mode=each (or both): for each disk kind, disk-integrity with
#     own=<that kind's controllers> only (insmod, write, read back, rmmod,
#     read again without the shim); then hda-play (its baseline without
#     the shim, then through it); one verdict line per driver, and every
#     one is run even after a failure;
#  3. mode=all (or both): insmod vtd_remap.ko own=all: every owned device
#     probed again through the shim; every controller found in step 1 is
#     owned; hda-play (loaded=yes) plays while disk-integrity (loaded=yes)
#     writes and verifies every disk at once; no fault recorded, no bad
#     unmap; rmmod, and the disks come back.
#
# Slow on the sanitizer kernel: each driver's unbind and probe through the
# shim and back costs one to several minutes under TCG, so mode=both with
# five devices needs a --timeout of 2400 or more. lsi53c895a passes
# disk-integrity through the shim (QEMU's model fetches the SCRIPTS it
# runs from the chip's RAM BAR by DMA through the IOMMU: domains map an
# attached device's own BARs for that). Its driver's unbind warns in
# dma_free_attrs with or without the shim (sym53c8xx frees coherent
# memory with interrupts off): step 1b shows that without vtd_remap, and
# the runner leaves that one warning uncounted (scripts/known-warnings).
#
# Args: mode=each|all|both (default both), mib=N (MiB per disk, default
# 16), secs=N (playback seconds, default 5; in mode all at least as long
# as the disks' I/O, so the default there is 30), skip=K1,K2 (disk kinds
# or hda to leave out), remap=P1,P2 (more vtd_remap parameters). In a
# multi-scenario boot, drivers.KEY=V is for this scenario only.

P="drivers"
. /scenarios/lib/drivers.sh

mode=both
mib=16
secs=
skip=
remap=
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mode=each | mode=all | mode=both) mode=${a#mode=} ;;
	mib=*) mib=${a#mib=} ;;
	secs=*) secs=${a#secs=} ;;
	skip=*) skip=,${a#skip=}, ;;
	remap=*) remap=$a ;;
	high=* | after=*) ;;	# other scenarios' arguments
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

fail() {
	echo "$P: FAIL: $*"
	drv_dmesg_tail 'vtd_remap|DMA-API'
	! drv_loaded || vtd_unload
	exit 1
}

# --- 1. what is there --------------------------------------------------------
kinds=
for k in nvme virtio-blk ahci xhci virtio-scsi megasas lsi; do
	case "$skip" in *,"$k",*) continue ;; esac
	for pci in $(drv_disk_pcis "$k"); do
		# usb-storage scans a second or more after boot.
		drv_wait_blk "$pci" 10 > /dev/null || continue
		case " $kinds " in *" $k "*) ;; *) kinds="$kinds $k" ;; esac
	done
done
kinds=${kinds# }
hda=
case "$skip" in
*,hda,*) ;;
*) hda=$(drv_pci 0x040300 0x8086:0x2668 0x8086:0x293e | head -n 1) ;;
esac
[ -n "$kinds$hda" ] || fail "no device (qemu-boot.sh --devices ahci,xhci,virtio-scsi,megasas,hda, ...)"
echo "$P: disk kinds with a disk: ${kinds:-none}; HDA controller: ${hda:-none}; mode $mode"

results=
failed=0
# result NAME STATUS: record a driver's verdict.
result() {
	if [ "$2" -eq 0 ]; then
		results="$results $1:PASS"
	else
		results="$results $1:FAIL"
		failed=$((failed + 1))
	fi
	echo "$P: RESULT $1: $([ "$2" -eq 0 ] && echo PASS || echo FAIL)"
}

# --- 1b. lsi without the shim --------------------------------------------------
# sym53c8xx frees coherent memory with interrupts off at every unbind, so
# dma_free_attrs() warns with or without an IOMMU (scripts/known-warnings,
# which the runner uses to leave that one warning uncounted). Show it here
# without vtd_remap, and fail if it is not there: a stale entry must go.
drv_free_warnings() {
	dmesg | grep -c 'at kernel/dma/mapping.c:[0-9]* dma_free_attrs'
}
case " $kinds " in
*" lsi "*)
	pci=$(drv_disk_pcis lsi | head -n 1)
	echo "$P: --- lsi: unbind and probe again without the shim ---"
	w0=$(drv_free_warnings)
	echo "$pci" > "/sys/bus/pci/devices/$pci/driver/unbind"
	echo "$pci" > /sys/bus/pci/drivers_probe
	w1=$(drv_free_warnings)
	st=0
	if [ "$w1" -gt "$w0" ]; then
		echo "$P: lsi baseline: sym53c8xx's unbind warned in dma_free_attrs without vtd_remap loaded ($((w1 - w0)) warning(s)): the upstream driver bug of scripts/known-warnings"
	else
		echo "$P: lsi baseline: no dma_free_attrs warning without vtd_remap: the sym53c8xx entry of scripts/known-warnings is stale"
		st=1
	fi
	drv_wait_blk "$pci" 60 > /dev/null ||
		{ echo "$P: lsi $pci: no disk after probing sym53c8xx again"; st=1; }
	result lsi-baseline $st
	;;
esac

# --- 2. one at a time ----------------------------------------------------------
if [ "$mode" != all ]; then
	for k in $kinds; do
		echo "$P: --- $k alone through the shim ---"
		# shellcheck disable=SC2086
		sh /scenarios/disk-integrity.sh kinds="$k" mib="$mib" $remap
		result "$k" $?
		! drv_loaded || vtd_unload
	done
	if [ -n "$hda" ]; then
		echo "$P: --- hda alone through the shim ---"
		# shellcheck disable=SC2086
		sh /scenarios/hda-play.sh secs="${secs:-5}" $remap
		result hda $?
		! drv_loaded || vtd_unload
	fi
fi

# --- 3. all at once ---------------------------------------------------------------
if [ "$mode" != each ]; then
	echo "$P: --- own=all: ${kinds:-no disks}${hda:+ and hda} at once ---"
	t0=$(drv_now)
	rp=$(echo "${remap#remap=}" | tr , ' ')
	# shellcheck disable=SC2086
	insmod "$DRV_KO" own=all $rp || fail "insmod vtd_remap.ko own=all"
	f0=$(drv_faults)
	for k in $kinds; do
		for pci in $(drv_disk_pcis "$k"); do
			drv_wait_blk "$pci" 60 > /dev/null ||
				fail "$k $pci: no disk after own=all"
			case "$(drv_dma_field "$pci" driver)" in
			'' | -) fail "own=all did not take $k $pci (or its driver did not bind)" ;;
			esac
		done
	done
	if [ -n "$hda" ]; then
		case "$(drv_dma_field "$hda" driver)" in
		'' | -) fail "own=all did not take the HDA controller $hda" ;;
		esac
	fi
	echo "$P: own=all: $(grep -c '^[0-9a-f]' "$DRV_DBG/dma/devices") device(s) owned, drivers back in $(drv_secs "$t0") s"
	ppid=
	if [ -n "$hda" ]; then
		# Beside every disk's I/O the refilling process may be late:
		# xruns are counted, the hardware pointer must advance.
		sh /scenarios/hda-play.sh loaded=yes xruns=ok secs="${secs:-30}" > /tmp/drivers.play 2>&1 &
		ppid=$!
	fi
	st=0
	if [ -n "$kinds" ]; then
		sh /scenarios/disk-integrity.sh loaded=yes kinds="$(echo "$kinds" | tr ' ' ,)" mib="$mib"
		st=$?
	fi
	pst=0
	if [ -n "$ppid" ]; then
		wait "$ppid"
		pst=$?
		cat /tmp/drivers.play
		rm -f /tmp/drivers.play
	fi
	f1=$(drv_faults)
	if [ "$f1" -ne "$f0" ]; then
		echo "$P: $((f1 - f0)) DMA fault(s) with own=all"
		st=1
	fi
	# shellcheck disable=SC2013 # PCI names, one a line
	for pci in $(awk '/^[0-9a-f]/ { print $1 }' "$DRV_DBG/dma/devices"); do
		bad=$(drv_dma_field "$pci" bad)
		[ "${bad:-0}" -eq 0 ] || { echo "$P: $pci: $bad bad unmap(s)"; st=1; }
	done
	[ $pst -eq 0 ] || st=1
	vtd_unload || { echo "$P: rmmod vtd_remap failed"; st=1; }
	for k in $kinds; do
		for pci in $(drv_disk_pcis "$k"); do
			drv_wait_blk "$pci" 60 > /dev/null ||
				{ echo "$P: $k $pci: no disk after rmmod"; st=1; }
		done
	done
	result own=all $st
fi

# sym53c8xx keeps pointers to its kmalloc()ed tables (LUN maps, tag
# arrays) only in its host control block, which lives in its DMA-coherent
# pool: kmemleak does not scan such pages, so after the last probe they look
# unreferenced. Unbinding frees them (and warns, see step 1b) before /init's
# kmemleak scan; a leak of the shim's own would still show.
case " $kinds " in
*" lsi "*)
	for pci in $(drv_disk_pcis lsi); do
		[ -e "/sys/bus/pci/devices/$pci/driver" ] &&
			echo "$pci" > "/sys/bus/pci/devices/$pci/driver/unbind"
	done
	echo "$P: lsi: sym53c8xx unbound before the kmemleak scan"
	;;
esac

echo "$P: results:$results"
[ $failed -eq 0 ] || { echo "$P: FAIL: $failed of the runs failed"; exit 1; }
echo "$P: PASS"
exit 0
