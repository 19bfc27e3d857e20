#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo: load vtd_remap.ko next to the emulated VT-d unit, show what it did and the PCI devices, unload it.
#
# The main job of scripts/qemu-boot.sh. Exits 0 only if both the load and
# the unload worked.

ko=/modules/vtd_remap.ko

echo "demo: kernel $(uname -r), $(nproc) CPU(s), $(grep MemTotal /proc/meminfo)"

if [ -e /sys/firmware/acpi/tables/DMAR ]; then
	echo "demo: ACPI DMAR table present, $(wc -c < /sys/firmware/acpi/tables/DMAR) bytes"
else
	echo "demo: no ACPI DMAR table (no -device intel-iommu?)"
fi
dmesg | grep -iE 'DMAR|IOMMU' | head -n 20

echo "demo: PCI devices (slot vendor:device class driver)"
for d in /sys/bus/pci/devices/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	printf '  %s %s:%s %s %s\n' "${d##*/}" "$(sed 's/^0x//' "$d/vendor")" \
		"$(sed 's/^0x//' "$d/device")" "$(cat "$d/class")" "$drv"
done
ls /sys/block 2>/dev/null | grep -vE "^(loop|ram|sr)" | sed "s/^/demo: block device /"

echo "demo: insmod $ko"
if ! insmod "$ko"; then
	echo "demo: FAIL: insmod $ko"
	dmesg | tail -n 20
	exit 1
fi
if ! grep '^vtd_remap ' /proc/modules; then
	echo "demo: FAIL: vtd_remap is not in /proc/modules after insmod"
	exit 1
fi
echo "demo: module messages:"
dmesg | grep vtd_remap

echo "demo: rmmod vtd_remap"
if ! rmmod vtd_remap; then
	echo "demo: FAIL: rmmod vtd_remap"
	exit 1
fi
if grep -q '^vtd_remap ' /proc/modules; then
	echo "demo: FAIL: vtd_remap still in /proc/modules after rmmod"
	exit 1
fi
dmesg | grep vtd_remap | tail -n 1
echo "demo: load and unload worked"
exit 0
