#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# unload-busy: rmmod vtd_remap while a process holds an owned nvme disk open, then close it: what happens is recorded, and any corruption, warning or sanitizer report fails the run.
# shellcheck shell=dash
#
# Needs scripts/qemu-boot.sh --devices nvme. Steps:
#  1. insmod vtd_remap.ko own=<the nvme controller>; wait for its disk;
#     write a 4 MiB pattern through the shim;
#  2. the scenario's shell opens the disk (exec 3< /dev/nvme0n1): the
#     namespace, and through it the controller, stay referenced;
#  3. rmmod vtd_remap (through scenarios/lib/vtd.sh): its status and
#     message are printed; whether it refuses (-EBUSY) or completes is
#     the outcome under test;
#  4. the disk is closed; a few seconds for nvme to drop its last
#     references (its doorbell buffers are freed then);
#  5. if the module is gone, the disk must come back without remapping
#     and hold the pattern; if it is still loaded, the device must still
#     work through the shim, and unloading once the disk is closed must
#     succeed.
# Any WARNING, KASAN, DMA-API debug or other sanitizer report in the log
# fails the run (the runner judges the log).
# Outcome with the unload of commit e050f34 (test kernel, --smp 2 --mem
# 1G, 2026-11-30): it FAILS. rmmod completes (status 0 after 9.1 s): the
# DMA-API debug check reports "pending DMA allocations while released
# [count=2]" (nvme's shadow doorbell buffers), the shim warns that ranges
# are still mapped 5000 ms after the unbind, nvme is probed again
# (nvme1); closing the disk then drops nvme's last controller reference
# and nvme_pci_free_ctrl() frees the doorbell buffers through dma-direct:
# a page fault in __free_pages() on the IOVA taken for a physical
# address (BUG, oops). The issue's "unload never corrupts" is not met.

P=unload-busy
. /scenarios/lib/drivers.sh
. /scenarios/lib/vtd.sh

fail() {
	echo "$P: FAIL: $*"
	dmesg | grep -E 'vtd_remap|nvme|DMA-API|WARNING|BUG' | tail -n 30 | sed "s/^/$P: dmesg: /"
	exec 3<&-
	vtd_unload > /dev/null 2>&1
	exit 1
}

nvme=$(drv_pci 0x010802 | head -n 1)
[ -n "$nvme" ] || fail "no nvme controller (--devices nvme)"
echo "$P: insmod vtd_remap.ko own=$nvme"
insmod "$DRV_KO" own="$nvme" || fail "insmod vtd_remap.ko own=$nvme"
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
t0=$(drv_now)
out=$(vtd_unload 2>&1)
st=$?
echo "$P: rmmod: status $st after $(drv_secs "$t0") s${out:+: $out}"
exec 3<&-
echo "$P: /dev/$blk closed"
sleep 5

if drv_loaded; then
	echo "$P: outcome: unload refused while the disk was open; vtd_remap still loaded"
	blk=$(drv_wait_blk "$nvme" 30) || fail "no disk below $nvme after the refused unload"
	[ "$(drv_dma_field "$nvme" driver)" = nvme ] || fail "$nvme is no longer owned by the shim after the refused unload"
	got=$(dd if="/dev/$blk" bs=1M count=4 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "the pattern read back through the shim differs"
	vtd_unload || fail "rmmod vtd_remap with the disk closed"
else
	echo "$P: outcome: unload completed while the disk was open"
fi
blk=$(drv_wait_blk "$nvme" 60) || fail "no disk below $nvme after the unload"
got=$(dd if="/dev/$blk" bs=1M count=4 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the pattern read back without the shim differs"
echo "$P: PASS: no corruption seen; the runner judges the log for sanitizer reports"
exit 0
