#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rescan: an owned nvme removed and found again from the guest (sysfs remove, then rescan): its record and context entry go with it, the new device is owned again (a new record) before its driver probes, disk integrity through the shim after.
# shellcheck shell=dash
#
# Needs one nvme: scripts/qemu-boot.sh --devices nvme. Steps:
#  1. insmod vtd_remap.ko own=<the nvme's address>; its disk comes back
#     through the shim;
#  2. echo 1 > /sys/bus/pci/devices/<nvme>/remove: its driver is unbound,
#     the shim's record leaves dma/devices, its context entry goes, no
#     fault;
#  3. echo 1 > /sys/bus/pci/rescan: the nvme is found again and owned
#     again (the kernel log says the notifier took it; its context entry
#     is its new domain's), its disk comes up, no fault;
#  4. disk-integrity.sh loaded=yes (mib=N, default 32);
#  5. rmmod vtd_remap: given back, its driver probes again.
# Args: mib=N; hold=yes: step 2 with the disk held open (fd 3): nvme's
# doorbell buffers stay mapped after its remove, so the shim must keep the
# record, its ops and its context entry (a warning says so) until the
# disk is closed, then give it back within 10 s (not on the sanitizer
# kernel: its DMA-API debug reports nvme's pending buffers at the unbind,
# with or without vtd_remap; run it on the stock or the bench kernel).

P=rescan
. /scenarios/lib/pci.sh
. /scenarios/lib/drivers.sh

mib=32
hold=no
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	hold=yes | hold=no) hold=${a#hold=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

fail() {
	echo "$P: FAIL: $*"
	exec 3<&-
	drv_dmesg_tail 'vtd_remap|nvme|DMA'
	drv_loaded && vtd_unload
	exit 1
}

# ctx_of SID: the line of dmar*/contexts for a source ID ("bb:dd.f").
ctx_of() {
	cat "$DRV_DBG"/dmar*/contexts 2>/dev/null | awk -v s="$1" '$1 == s'
}

# owned TAG: NV is owned through the shim, its entry is its domain's.
owned() {
	local drv dom ctx
	drv=$(drv_dma_field "$NV" driver)
	[ "$drv" = nvme ] || fail "$1: $NV is not owned through the shim (dma/devices driver '${drv:-no record}')"
	dom=$(drv_dma_field "$NV" domain)
	ctx=$(ctx_of "$SID")
	case "$ctx" in
	*" did $dom "*) ;;
	*) fail "$1: the context entry of $SID ('${ctx:-none}') is not its shim domain $dom's" ;;
	esac
	echo "$P: $1: $NV owned, domain $dom; context entry: $ctx"
}

NV=$(drv_disk_pcis nvme | head -n 1)
[ -n "$NV" ] || fail "no nvme (qemu-boot.sh --devices nvme)"
SID=${NV#*:}
drv_wait_blk "$NV" 30 || fail "no disk below $NV"

# --- 1. owned -----------------------------------------------------------------
insmod "$DRV_KO" own="$NV" || fail "insmod vtd_remap.ko own=$NV"
drv_wait_blk "$NV" 60 || fail "no disk below $NV after the shim took it"
owned "load"

# --- 2. removed -----------------------------------------------------------------
f0=$(drv_faults)
if [ "$hold" = yes ]; then
	blk=$(drv_wait_blk "$NV" 10) || fail "no disk below $NV to hold open"
	exec 3< "/dev/$blk" || fail "cannot open /dev/$blk"
	echo "$P: /dev/$blk held open (fd 3) across the removal"
fi
echo 1 > "$PCI_SYS/$NV/remove" || fail "writing remove of $NV"
pci_wait_gone "$NV" 30 || fail "$NV still present 30 s after remove"
if [ "$hold" = yes ]; then
	dmesg | grep -q "$NV: dma: removed with .* still mapped" ||
		fail "no warning that the removed $NV's buffers are still mapped"
	[ "$(drv_dma_field "$NV" domain)" ] ||
		fail "the shim gave back $NV while its driver's buffers were still mapped"
	[ "$(ctx_of "$SID")" ] || fail "$SID lost its context entry while its buffers were still mapped"
	echo "$P: remove, disk open: record, ops and context entry kept while nvme's buffers are mapped"
	exec 3<&-
	t=0
	while [ "$(drv_dma_field "$NV" domain)" ]; do
		[ $t -lt 50 ] || fail "the removed $NV's record still there 10 s after its disk was closed"
		sleep 0.2
		t=$((t + 1))
	done
	dmesg | grep -q "$NV: dma: what its removed member's driver left mapped is freed" ||
		fail "no message that the removed $NV's buffers were freed"
	echo "$P: disk closed: its buffers freed through the shim, given back $((t / 5)).$((t % 5 * 2)) s later"
fi
[ -z "$(drv_dma_field "$NV" driver)" ] ||
	fail "the shim still has a record of the removed $NV:
$(drv_dma_record "$NV")"
[ -z "$(ctx_of "$SID")" ] || fail "$SID still has a context entry: $(ctx_of "$SID")"
[ "$(drv_faults)" -eq "$f0" ] || fail "$(($(drv_faults) - f0)) DMA fault(s) during the removal"
echo "$P: remove: $NV gone, no record, no context entry"

# --- 3. rescan --------------------------------------------------------------------
n0=$(dmesg | grep -c "$NV: hotplug: added after load: .*owned through the shim")
echo 1 > /sys/bus/pci/rescan || fail "writing /sys/bus/pci/rescan"
t=0
while [ ! -e "$PCI_SYS/$NV" ]; do
	[ $t -lt 150 ] || fail "$NV not back 30 s after the rescan"
	sleep 0.2
	t=$((t + 1))
done
drv_wait_blk "$NV" 60 ||
	fail "no disk below $NV 60 s after the rescan ($(($(drv_faults) - f0)) fault(s) since)"
[ "$(drv_faults)" -eq "$f0" ] || fail "$(($(drv_faults) - f0)) DMA fault(s) since the rescan"
n1=$(dmesg | grep -c "$NV: hotplug: added after load: .*owned through the shim")
[ "$n1" -eq $((n0 + 1)) ] || fail "the kernel log does not say the notifier took the rescanned $NV"
owned "rescan"
drv_dma_record "$NV"

# --- 4. integrity -------------------------------------------------------------------
sh /scenarios/disk-integrity.sh loaded=yes kinds=nvme mib="$mib" ||
	fail "disk integrity on the rescanned nvme"
[ "$(drv_faults)" -eq "$f0" ] || fail "$(($(drv_faults) - f0)) DMA fault(s)"

# --- 5. unload ------------------------------------------------------------------------
vtd_unload || fail "rmmod vtd_remap"
drv_wait_blk "$NV" 60 || fail "no disk below $NV after rmmod"
echo "$P: PASS: owned nvme removed and rescanned: no stale record, owned again, ${mib} MiB verified through the shim"
exit 0
