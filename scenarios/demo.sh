#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo: the main job: load vtd_remap, show the unit, its domains and devices, DMA through it (edu round trip, an nvme disk through the DMA-API shim), a stray DMA caught as a fault; unload.
#
# What scripts/qemu-boot.sh runs with no arguments (stock kernel, edu and
# nvme devices). It prints a report in six parts and exits 0 only if every
# check passed:
#  1. the machine and its PCI devices;
#  2. the remapping unit the module took, and what it can do;
#  3. the domains and the devices in them: edu in a domain of the test
#     driver (vtd_edu.ko), nvme in one of the DMA-API shim (own=), every
#     other device passing through;
#  4. edu's DMA engine copying RAM -> edu -> RAM through its domain;
#  5. a disk check through the shim: a pattern written to the nvme disk by
#     the unmodified nvme driver (O_DIRECT), read back, compared;
#  6. a stray DMA: edu writing to an address that was just unmapped,
#     caught by the unit as a fault, memory untouched;
# then unloads both modules, reads the disk once more without remapping,
# and sums up. Kernel messages below warning level are kept off the
# console while it runs (they stay in dmesg); warnings and errors still
# show, so the host's log scan sees them.
#
# Args: mib=N (MiB for the disk check, default 64); remap=P1,P2 and
# high=auto|yes|no as for the edu scenarios (scenarios/lib/edu.sh).

P=demo
. /scenarios/lib/edu.sh

DBG=/sys/kernel/debug/vtd_remap
mib=64

for a in "$@"; do
	a=$(edu_arg "$a") || continue
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	*) edu_common_arg "$a" || { echo "$P: unknown argument $a"; exit 2; } ;;
	esac
done
case "$mib" in '' | *[!0-9]* | 0) echo "$P: mib= wants a positive number"; exit 2 ;; esac

start=$(cut -d' ' -f1 /proc/uptime)
printk_was=$(cut -f1 /proc/sys/kernel/printk)
echo 5 > /proc/sys/kernel/printk

say() {
	echo "$P: $*"
}

section() {
	echo "$P:"
	echo "$P: == $* =="
}

finish() {
	echo "$printk_was" > /proc/sys/kernel/printk
	exit "$1"
}

fail() {
	say "FAIL: $*"
	dmesg | grep -E 'vtd_remap|vtd_edu|nvme' | tail -n 20 | sed "s/^/$P:   dmesg: /"
	edu_unload > /dev/null 2>&1
	finish 1
}

now() {
	cut -d' ' -f1 /proc/uptime
}

secs() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# indent: stdin's lines, as part of the report.
indent() {
	sed "s/^/$P:     /"
}

# The whole-disk block device below a PCI device.
blk_of() {
	for b in /sys/block/*; do
		case "$(readlink -f "$b")" in
		*/"$1"/*) echo "${b##*/}"; return 0 ;;
		esac
	done
	return 1
}

# wait_blk PCI SECONDS: the disk below PCI once it is there.
wait_blk() {
	n=0
	while [ $n -lt $(($2 * 5)) ]; do
		b=$(blk_of "$1") && [ -b "/dev/$b" ] &&
			[ "$(cat "/sys/block/$b/size")" -gt 0 ] && { echo "$b"; return 0; }
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# The disk check's pattern (as in disk-integrity.sh): a random seed of
# 1 MiB + 1 byte, repeated; every 512-byte sector of it is unique.
pattern() {
	seed=$1
	set --
	k=0
	while [ $k -le "$mib" ]; do
		set -- "$@" "$seed"
		k=$((k + 1))
	done
	cat "$@"
}

# disk_md5 DISK: md5 of its first mib MiB, read with O_DIRECT.
disk_md5() {
	dd if="/dev/$1" bs=1M count="$mib" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

class_name() {
	case "$1" in
	0x010802) echo "NVMe controller" ;;
	0x00ff00) echo "unclassified (QEMU edu)" ;;
	0x060000) echo "host bridge" ;;
	0x060100) echo "ISA bridge" ;;
	0x010601) echo "SATA controller" ;;
	0x0c0500) echo "SMBus" ;;
	0x030000) echo "VGA" ;;
	0x010000) echo "SCSI (virtio)" ;;
	*) echo "class $1" ;;
	esac
}

# --- 1. the machine ---------------------------------------------------------
section "1. The machine"
say "Linux $(uname -r), $(nproc) CPU(s), $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo) of RAM"
if [ -e /sys/firmware/acpi/tables/DMAR ]; then
	say "ACPI DMAR table: $(wc -c < /sys/firmware/acpi/tables/DMAR) bytes (QEMU's -device intel-iommu)"
else
	fail "no ACPI DMAR table: no remapping hardware (qemu-boot.sh gives -device intel-iommu)"
fi
edu=
nvme=
say "PCI devices:"
for d in /sys/bus/pci/devices/*; do
	pci=${d##*/}
	v=$(cat "$d/vendor")
	i=$(cat "$d/device")
	c=$(cat "$d/class")
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	printf '%s:   %s  %s:%s  %-24s driver %s\n' "$P" "$pci" "${v#0x}" "${i#0x}" "$(class_name "$c")" "$drv"
	[ "$v:$i" = 0x1234:0x11e8 ] && [ -z "$edu" ] && edu=$pci
	[ "$c" = 0x010802 ] && [ -z "$nvme" ] && nvme=$pci
done
[ -n "$edu" ] || fail "no edu device (qemu-boot.sh --devices edu,nvme)"
disk=
if [ -n "$nvme" ]; then
	disk=$(wait_blk "$nvme" 30) || fail "no disk below the nvme controller $nvme"
	say "nvme disk: /dev/$disk, $(($(cat "/sys/block/$disk/size") / 2048)) MiB, driven by the kernel's own nvme driver"
	[ $(($(cat "/sys/block/$disk/size") / 2048)) -ge "$mib" ] || fail "/dev/$disk is smaller than mib=$mib"
else
	say "no nvme device: the disk check is skipped (qemu-boot.sh --devices edu,nvme)"
fi

# --- load -------------------------------------------------------------------
t0=$(now)
[ -z "$nvme" ] || EDU_REMAP_PARAMS="own=$nvme${EDU_REMAP_PARAMS:+ $EDU_REMAP_PARAMS}"
echo "$P:"
say "insmod vtd_remap.ko $EDU_REMAP_PARAMS; insmod vtd_edu.ko"
EDU_QUIET=1 edu_load || fail "loading the modules"
edu_resolve_high || fail "high=yes"
edudir=
for d in $EDU_DIRS; do
	[ "$(edu_info "$d" device)" = "$edu" ] && edudir=$d
done
[ -n "$edudir" ] || fail "vtd_edu did not bind $edu"
if [ -n "$nvme" ]; then
	disk=$(wait_blk "$nvme" 60) || fail "the nvme disk did not come back after the shim took the controller"
fi
say "loaded in $(secs "$t0") s"

# --- 2. the unit --------------------------------------------------------------
section "2. The remapping unit"
[ -f "$DBG/units" ] || fail "no $DBG/units"
sed "s/^/$P:   /" "$DBG/units"
units=$(sed 's/ CAP .* ECAP [^,]*,/,/' "$DBG/units")
for caps in "$DBG"/dmar*/caps; do
	[ -f "$caps" ] || continue
	say "$(sed -n 1p "$caps") -- what it has (${caps#"$DBG"/}, fields that are set):"
	awk '/^(CAP|ECAP) / { reg = $1; next }
	     /^in use:/ { exit }
	     reg && $3 != "no" && $3 != "0" && $3 != "0x0" { $1 = reg "." $1; print }' "$caps" |
		sed 's/^/  /' | indent
	say "how the module uses it:"
	sed -n '/^in use:/,$p' "$caps" | sed 1d | indent
done

# --- 3. domains and devices -----------------------------------------------------
section "3. Domains and devices"
for dom in "$DBG"/dmar*/domains; do
	[ -f "$dom" ] || continue
	say "${dom#"$DBG"/}:"
	grep -E '^domain |^    [0-9a-f]{4}:|devices: every' "$dom" | indent
done
say "edu $edu: vtd_edu.ko's domain $(edu_info "$edudir" domain), source ID $(edu_info "$edudir" source_id), DMA mask $(edu_info "$edudir" dma_mask_bits) bits"
if [ -n "$nvme" ]; then
	say "nvme $nvme: the DMA-API shim's domain; the nvme driver was probed again through it:"
	awk -v d="$nvme" '$1 == d { on = 1; print; next } /^[0-9a-f]/ { on = 0 } on' "$DBG/dma/devices" | indent
fi
say "every other device: the unit's default domain (pass-through), as if the module were not there"

# --- 4. edu round trip ------------------------------------------------------------
section "4. DMA through the IOMMU: edu copies RAM -> edu -> RAM"
# shellcheck disable=SC2086
edu_run "$edudir" roundtrip $EDU_OPT || fail "edu round trip"
if [ "$EDU_OPT" = high ]; then
	say "(the buffers are above 4 GiB, which edu's 28-bit mask cannot reach: only translation gets them there)"
else
	say "(edu's DMA addresses are IOVAs from its domain, under its 28-bit mask; the buffers are wherever the kernel put them)"
fi

# --- 5. disk check through the shim --------------------------------------------------
if [ -n "$nvme" ]; then
	section "5. A disk through the DMA-API shim: /dev/$disk ($nvme), $mib MiB"
	dd if=/dev/urandom of=/tmp/demo.seed bs=1048577 count=1 2>/dev/null || fail "no /dev/urandom"
	(pattern /tmp/demo.seed | head -c $((mib * 1048576)) | md5sum | cut -d' ' -f1 > /tmp/demo.sum) &
	bytes0=$(awk -v d="$nvme" '$1 == d { on = 1 } on && /maps:/ { for (i = 1; i <= NF; i++) if ($i == "bytes") { print $(i - 1); exit } }' "$DBG/dma/devices")
	t0=$(now)
	pattern /tmp/demo.seed | dd of="/dev/$disk" bs=1M count="$mib" iflag=fullblock \
		oflag=direct conv=fsync 2> /tmp/demo.wr || fail "writing /dev/$disk: $(cat /tmp/demo.wr)"
	tw=$(secs "$t0")
	wait
	sync
	echo 3 > /proc/sys/vm/drop_caches
	t0=$(now)
	got=$(disk_md5 "$disk")
	tr=$(secs "$t0")
	want=$(cat /tmp/demo.sum)
	say "wrote $mib MiB of random pattern with O_DIRECT in $tw s, dropped the caches, read it back in $tr s"
	[ "$got" = "$want" ] || fail "/dev/$disk read back md5 $got, written $want"
	say "read back == written (md5 $got): 0 mismatches"
	bytes1=$(awk -v d="$nvme" '$1 == d { on = 1 } on && /maps:/ { for (i = 1; i <= NF; i++) if ($i == "bytes") { print $(i - 1); exit } }' "$DBG/dma/devices")
	say "the nvme driver mapped $((bytes1 - bytes0)) bytes through the shim for it; what its domain maps now (its queues):"
	did=$(awk -v d="$nvme" '$1 == d { for (i = 1; i < NF; i++) if ($i == "domain") print $(i + 1); exit }' "$DBG/dma/devices")
	unit=$(awk -v d="$nvme" '$1 == d { print $(NF - 2); exit }' "$DBG/dma/devices")
	head -n 7 "$DBG/$unit/domain$did/mappings" | indent
fi

# --- 6. a stray DMA -------------------------------------------------------------------
section "6. A stray DMA, caught: edu writes to an IOVA that was just unmapped"
f0=0
for c in "$DBG"/dmar*/counters; do
	f0=$((f0 + $(awk '$1 == "faults" { print $2 }' "$c")))
done
# shellcheck disable=SC2086
edu_run "$edudir" fault-write $EDU_OPT || fail "the stray DMA was not caught"
f1=0
for c in "$DBG"/dmar*/counters; do
	f1=$((f1 + $(awk '$1 == "faults" { print $2 }' "$c")))
done
[ "$f1" -gt "$f0" ] || fail "no fault counted by the unit"
say "the unit's fault record (debugfs ${DBG#/sys/kernel/debug/}/dmar*/faults):"
for f in "$DBG"/dmar*/faults; do
	tail -n 1 "$f" | indent
done

# --- unload ----------------------------------------------------------------------
section "Unload"
t0=$(now)
edu_unload || fail "unloading the modules"
say "rmmod vtd_edu vtd_remap: translation off, every device back on its own, in $(secs "$t0") s"
if [ -n "$nvme" ]; then
	disk=$(wait_blk "$nvme" 60) || fail "the nvme disk did not come back after rmmod"
	got=$(disk_md5 "$disk")
	[ "$got" = "$want" ] || fail "without remapping /dev/$disk reads md5 $got, written $want"
	say "/dev/$disk without remapping (nvme probed again): still the pattern written through the shim"
fi
rm -f /tmp/demo.*

# --- summary -----------------------------------------------------------------------------
section "Summary"
echo "$units" | sed "s/^/$P: unit  /"
say "PASS  edu round trip through its domain"
[ -z "$nvme" ] || say "PASS  nvme through the DMA-API shim: $mib MiB written and read back, 0 mismatches, verified again without remapping"
say "PASS  stray DMA caught as a fault, memory untouched"
say "PASS  load and unload clean; $(secs "$start") s in all"
finish 0
