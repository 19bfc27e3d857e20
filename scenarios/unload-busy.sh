#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# unload-busy: rmmod vtd_remap while a process holds an owned nvme disk open: refused, the disk keeps working through the shim; released, the unload completes and the disk comes back intact. Any corruption, warning or sanitizer report fails the run.
# shellcheck shell=dash
#
# Needs scripts/qemu-boot.sh --devices nvme. Arguments: unbind=yes adds
# step 4 (see there; not on the sanitizer kernel); remap=P1,P2 more
# vtd_remap parameters for the insmod. Steps:
#  1. insmod vtd_remap.ko own=<the nvme controller>; wait for its disk;
#     write a 4 MiB pattern through the shim;
#  2. the scenario's shell opens the disk (exec 3< /dev/nvme0n1): the
#     namespace, and through it the controller, stay referenced;
#  3. rmmod vtd_remap: it must fail (nvme is bound through the shim, so
#     the module is in use: vtd_dma.c section 2); debugfs must say which
#     group keeps it loaded; the pattern must read back through the shim
#     with the disk still open;
#  4. unbind=yes only: unbind nvme with the disk still open. nvme's
#     remove leaves its doorbell buffers mapped until the controller's
#     last reference goes: the shim must warn that they are still mapped
#     and keep the module in use (rmmod must fail again); once the disk is
#     closed they are freed through the shim and the module must stop
#     being in use within 10 s. (The sanitizer kernel's DMA-API debug
#     reports nvme's buffers pending at its unbind, with or without
#     vtd_remap: run this step on the stock or the bench kernel.)
#  5. the disk closed: vtd_unload (unbind the owned devices' drivers,
#     rmmod) must succeed; nvme is probed again without remapping and the
#     disk must hold the pattern.
# Before this design (commit e050f34) rmmod completed after a 5 s wait
# with a warning, nvme was probed again without the shim, and closing the
# disk made nvme free its doorbell buffers through dma-direct at an IOVA
# taken for a physical address: a page fault in __free_pages() (oops).

P=unload-busy
. /scenarios/lib/drivers.sh
. /scenarios/lib/vtd.sh

unbind=no
remap_params=
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	unbind=yes | unbind=no) unbind=${a#unbind=} ;;
	remap=*) remap_params=$(echo "${a#remap=}" | tr , ' ') ;;
	*) echo "$P: FAIL: unknown argument $a (unbind=yes|no, remap=P1,P2)"; exit 1 ;;
	esac
done

fail() {
	echo "$P: FAIL: $*"
	dmesg | grep -E 'vtd_remap|nvme|DMA-API|WARNING|BUG' | tail -n 30 | sed "s/^/$P: dmesg: /"
	exec 3<&-
	sleep 1
	vtd_unload > /dev/null 2>&1
	exit 1
}

# in_use: whether the shim's debugfs says a group keeps the module loaded.
in_use() {
	grep -q 'in use: keeps vtd_remap loaded' "$DRV_DBG/dma/devices" 2> /dev/null
}

# readback DEV: md5 of the first 4 MiB of /dev/DEV, read with O_DIRECT.
readback() {
	dd if="/dev/$1" bs=1M count=4 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1
}

nvme=$(drv_pci 0x010802 | head -n 1)
[ -n "$nvme" ] || fail "no nvme controller (--devices nvme)"
echo "$P: insmod vtd_remap.ko own=$nvme $remap_params"
# Word splitting of the parameters is intended.
# shellcheck disable=SC2086
insmod "$DRV_KO" own="$nvme" $remap_params || fail "insmod vtd_remap.ko own=$nvme $remap_params"
blk=$(drv_wait_blk "$nvme" 60) || fail "no disk below $nvme after the shim took it"
[ "$(drv_dma_field "$nvme" driver)" = nvme ] || fail "$nvme is not owned by the shim"

# A 4 MiB pattern, unique per 4 KiB block.
i=0
: > /tmp/pattern
while [ $i -lt 1024 ]; do
	printf 'vtd-remap unload-busy block %08d ' $i | dd of=/tmp/pattern bs=4096 seek=$i conv=sync,notrunc 2> /dev/null
	i=$((i + 1))
done
want=$(md5sum < /tmp/pattern | cut -d' ' -f1)
dd if=/tmp/pattern of="/dev/$blk" bs=1M oflag=direct 2> /dev/null || fail "writing the pattern to /dev/$blk"
sync

echo "$P: holding /dev/$blk open (fd 3), then rmmod vtd_remap"
exec 3< "/dev/$blk" || fail "cannot open /dev/$blk"
if out=$(rmmod vtd_remap 2>&1); then
	fail "rmmod vtd_remap completed with nvme bound through the shim and its disk open"
fi
echo "$P: rmmod refused: ${out:-no message}"
in_use || fail "debugfs does not say that a group keeps vtd_remap loaded"
drv_dma_record "$nvme" | grep 'in use'
[ "$(drv_dma_field "$nvme" driver)" = nvme ] || fail "$nvme is no longer owned by the shim after the refused rmmod"
[ "$(readback "$blk")" = "$want" ] || fail "the pattern read back through the shim, disk open, differs"
echo "$P: the disk still works through the shim after the refusal (4 MiB read back)"

if [ "$unbind" = yes ]; then
	echo "$P: unbinding nvme with /dev/$blk still open"
	echo "$nvme" > "/sys/bus/pci/devices/$nvme/driver/unbind" || fail "unbinding nvme from $nvme"
	dmesg | grep -q "$nvme: dma: its driver is unbound with .* still mapped" ||
		fail "no warning that nvme's ranges outlived its unbind"
	in_use || fail "the module is not in use while nvme's buffers are still mapped"
	if out=$(rmmod vtd_remap 2>&1); then
		fail "rmmod vtd_remap completed while nvme's buffers were still mapped"
	fi
	echo "$P: rmmod refused with the driver unbound and its buffers live: ${out:-no message}"
	exec 3<&-
	echo "$P: /dev/$blk closed"
	n=0
	while in_use; do
		[ $n -lt 50 ] || fail "still in use 10 s after the disk was closed"
		sleep 0.2
		n=$((n + 1))
	done
	echo "$P: not in use $((n / 5)).$((n % 5 * 2)) s after the disk was closed"
	dmesg | grep -q "$nvme: dma: what its driver left mapped is freed" ||
		fail "no message that nvme's buffers were freed"
else
	exec 3<&-
	echo "$P: /dev/$blk closed"
fi

t0=$(drv_now)
out=$(vtd_unload 2>&1) || fail "vtd_unload (release, rmmod) with the disk closed: $out"
echo "$P: released and unloaded in $(drv_secs "$t0") s"
blk=$(drv_wait_blk "$nvme" 60) || fail "no disk below $nvme after the unload"
[ "$(readback "$blk")" = "$want" ] || fail "the pattern read back without the shim differs"
echo "$P: PASS: rmmod refused while in use; unloaded once released; 4 MiB intact; the runner judges the log for sanitizer reports"
exit 0
