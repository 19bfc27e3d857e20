#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sriov: SR-IOV VFs of QEMU's nvme created after insmod vtd_remap own=all get context entries of their own shim domains (dmar*/contexts), are brought online (nvme-virt) and do DMA through them: the nvme driver brings each VF's controller up, data written through a VF reads back through the PF, no fault; sriov_numvfs=0 takes their records and entries away.
# shellcheck shell=dash
#
# Needs: scripts/qemu-boot.sh --topology nvme-sriov --devices none (an nvme
# PF offering 2 VFs; its namespace in a subsystem). Steps:
#  1. insmod vtd_remap.ko own=all: the PF is taken through the shim;
#  2. nvme-virt DEV release: the PF keeps none of the flexible queue and
#     interrupt resources (takes effect at its controller's reset);
#  3. sriov_drivers_autoprobe=0, sriov_numvfs=2: each VF appears, the bus
#     notifier takes it (own=all), its source ID gets its domain's
#     context entry;
#  4. nvme-virt DEV online VFN 2 1: each VF's secondary controller gets 2
#     queues and 1 interrupt and goes online; the nvme driver is bound to
#     each VF (driver_override), which enables the VF's controller and
#     reads its identify data by DMA through the VF's context entry;
#     the VF's controller state must become "live", with bytes mapped
#     through the shim and no fault recorded;
#  5. if a VF shows the namespace: 4 MiB of random data written through
#     it (O_DIRECT) read back through the PF (O_DIRECT), equal;
#  6. sriov_numvfs=0: the VFs go, with their records and context entries;
#     rmmod vtd_remap.

P=sriov
. /scenarios/lib/pci.sh
. /scenarios/lib/drivers.sh

for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	echo "$P: unknown argument $a"
	exit 2
done

fail() {
	echo "$P: FAIL: $*"
	drv_dmesg_tail 'vtd_remap|nvme|DMA|iov'
	drv_loaded && vtd_unload
	exit 1
}

ctx_of() {
	cat "$DRV_DBG"/dmar*/contexts 2>/dev/null | awk -v s="$1" '$1 == s'
}

# ctrl_of PCI: the nvme controller (nvme0) of a PCI function.
ctrl_of() {
	local c
	for c in "$PCI_SYS/$1"/nvme/nvme*; do
		[ -e "$c" ] && { echo "${c##*/}"; return 0; }
	done
	return 1
}

# wait_live PCI SECS: its controller's state is "live".
wait_live() {
	local t=0 c s
	while [ $t -lt $(($2 * 5)) ]; do
		if c=$(ctrl_of "$1") && read -r s < "/sys/class/nvme/$c/state" &&
		   [ "$s" = live ]; then
			return 0
		fi
		sleep 0.2
		t=$((t + 1))
	done
	return 1
}

PF=
for n in $(drv_disk_pcis nvme); do
	[ -e "$PCI_SYS/$n/sriov_totalvfs" ] && PF=$n
done
[ -n "$PF" ] || fail "no nvme with SR-IOV (qemu-boot.sh --topology nvme-sriov)"
drv_wait_blk "$PF" 30 || fail "no disk below the PF $PF"

# --- 1. load --------------------------------------------------------------------
insmod "$DRV_KO" own=all || fail "insmod vtd_remap.ko own=all"
drv_wait_blk "$PF" 60 || fail "no disk below $PF after the shim took it"
[ "$(drv_dma_field "$PF" driver)" = nvme ] || fail "the PF $PF is not owned through the shim"
PFBLK=$(drv_blk_of "$PF")
echo "$P: PF $PF (/dev/$PFBLK) owned through the shim"

# --- 2. the PF gives up its flexible resources -------------------------------------
C=$(ctrl_of "$PF") || fail "no nvme controller of $PF"
nvme-virt "/dev/$C" list | sed "s/^/$P: /"
nvme-virt "/dev/$C" release || fail "nvme-virt /dev/$C release"
wait_live "$PF" 60 || fail "$C not live again after its reset"

# --- 3. VFs ---------------------------------------------------------------------------
f0=$(drv_faults)
echo 0 > "$PCI_SYS/$PF/sriov_drivers_autoprobe"
echo 2 > "$PCI_SYS/$PF/sriov_numvfs" || fail "writing 2 to sriov_numvfs"
VFS=
for l in "$PCI_SYS/$PF"/virtfn*; do
	[ -e "$l" ] || continue
	v=$(readlink -f "$l")
	VFS="$VFS ${v##*/}"
done
# shellcheck disable=SC2086 # one word a VF
set -- $VFS
[ $# -eq 2 ] || fail "$# VF(s) after sriov_numvfs=2"
for v in $VFS; do
	dom=$(drv_dma_field "$v" domain)
	[ -n "$dom" ] || fail "VF $v is not owned through the shim"
	ctx=$(ctx_of "${v#*:}")
	case "$ctx" in
	*" did $dom "*) ;;
	*) fail "VF $v: context entry '${ctx:-none}' is not its shim domain $dom's" ;;
	esac
	echo "$P: VF $(pci_describe "$v"): owned, context entry: $ctx"
done

# --- 4. online, probed, DMA through the VF entries ------------------------------------------
k=1
for v in $VFS; do
	nvme-virt "/dev/$C" online "$k" 2 1 || fail "nvme-virt online $k"
	k=$((k + 1))
done
nvme-virt "/dev/$C" list | sed "s/^/$P: /"
for v in $VFS; do
	echo nvme > "$PCI_SYS/$v/driver_override"
	echo "$v" > /sys/bus/pci/drivers/nvme/bind || fail "binding nvme to $v"
done
for v in $VFS; do
	wait_live "$v" 60 || fail "VF $v: controller not live ($(($(drv_faults) - f0)) fault(s))"
	b=$(drv_dma_field "$v" bytes)
	[ "${b:-0}" -gt 0 ] || fail "VF $v: nothing mapped through the shim"
	echo "$P: VF $v: controller $(ctrl_of "$v") live; $b bytes mapped through its domain"
	drv_dma_record "$v"
done
[ "$(drv_faults)" -eq "$f0" ] || fail "$(($(drv_faults) - f0)) DMA fault(s) since the VFs appeared"

# --- 5. data through a VF, read through the PF ---------------------------------------------
v=${VFS# }
v=${v%% *}
if drv_wait_blk "$v" 20; then
	VB=$(drv_blk_of "$v")
	dd if=/dev/urandom of=/tmp/sriov.pat bs=1M count=4 2>/dev/null
	dd if=/tmp/sriov.pat of="/dev/$VB" bs=1M count=4 oflag=direct conv=fsync 2>/dev/null ||
		fail "writing /dev/$VB (VF $v)"
	dd if="/dev/$PFBLK" of=/tmp/sriov.back bs=1M count=4 iflag=direct 2>/dev/null ||
		fail "reading /dev/$PFBLK (PF)"
	cmp -s /tmp/sriov.pat /tmp/sriov.back || fail "4 MiB written through VF $v differ when read through the PF"
	echo "$P: 4 MiB written through VF $v (/dev/$VB) read back through the PF (/dev/$PFBLK): equal"
	rm -f /tmp/sriov.pat /tmp/sriov.back
else
	echo "$P: VF $v shows no namespace: its DMA is the controller bring-up only"
fi
[ "$(drv_faults)" -eq "$f0" ] || fail "$(($(drv_faults) - f0)) DMA fault(s)"

# --- 6. VFs removed, unload ---------------------------------------------------------------
echo 0 > "$PCI_SYS/$PF/sriov_numvfs" || fail "writing 0 to sriov_numvfs"
for v in $VFS; do
	[ ! -e "$PCI_SYS/$v" ] || fail "VF $v still there"
	[ -z "$(drv_dma_field "$v" driver)" ] || fail "the shim still has a record of the removed VF $v"
	[ -z "$(ctx_of "${v#*:}")" ] || fail "VF $v: context entry left: $(ctx_of "${v#*:}")"
done
echo "$P: sriov_numvfs=0: VFs gone with their records and context entries"
vtd_unload || fail "rmmod vtd_remap"
drv_wait_blk "$PF" 60 || fail "no disk below $PF after rmmod"
echo "$P: PASS: 2 VFs created after load, owned, online, DMA through their own context entries, removed cleanly"
exit 0
