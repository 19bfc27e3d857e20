#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# disk-integrity: nvme and virtio-blk through the DMA-API shim: a random pattern written to both at once, read back (O_DIRECT, caches dropped), 0 mismatches, no fault.
#
# Needs both disks: scripts/qemu-boot.sh --devices nvme,virtio-blk
# (--disk-size at least mib=). Steps:
#  1. find the nvme and the virtio-blk PCI devices and their disks;
#  2. insmod vtd_remap.ko own=<both>: their drivers are unbound and probed
#     again through the shim; wait for the disks to come back;
#  3. a pattern per disk: random, and every 4 KiB block of it unique, so a
#     misplaced block cannot go unnoticed (see below);
#  4. write both disks at once with O_DIRECT, showing the shim's mappings
#     (debugfs) while the writes run; sync, drop caches;
#  5. read both back at once with O_DIRECT and compare (md5 of every
#     byte): 0 mismatches;
#  6. no fault recorded by any unit, no bad unmap, and the shim's counters
#     show that the data went through it;
#  7. rmmod vtd_remap (the drivers are probed again, now without
#     remapping) and read both disks once more: what the shim wrote is on
#     the disks. Skipped with after=no.
#
# Args: mib=N (MiB per disk, default 256), remap=P1,P2 (more vtd_remap
# parameters), after=yes|no. In a multi-scenario boot, disk-integrity.KEY=V
# is for this scenario only and NAME.KEY=V for the others is ignored.

P=disk-integrity
KO=/modules/vtd_remap.ko
DBG=/sys/kernel/debug/vtd_remap
mib=256
remap_params=
after=yes

for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	remap=*) remap_params=$(echo "${a#remap=}" | tr , ' ') ;;
	after=yes | after=no) after=${a#after=} ;;
	high=*) ;;	# the edu scenarios' argument
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$mib" in '' | *[!0-9]*) echo "$P: mib= wants a number"; exit 2 ;; esac

fail() {
	echo "$P: FAIL: $*"
	dmesg | grep -E 'vtd_remap|nvme|virtio' | tail -n 25 | sed "s/^/$P: dmesg: /"
	grep -q '^vtd_remap ' /proc/modules && rmmod vtd_remap
	exit 1
}

# Seconds since boot, to the hundredth.
now() {
	cut -d' ' -f1 /proc/uptime
}

# secs T0 [T1]: T1 (default now) - T0.
secs() {
	awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'
}

# rate MIB SECS: "N MiB/s".
rate() {
	awk -v m="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f MiB/s", m / s; else print "-" }'
}

# The first PCI device with this class, or vendor and device.
pci_by_class() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

pci_by_id() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			{ echo "${d##*/}"; return 0; }
	done
	return 1
}

# The whole-disk block device below a PCI device, e.g. nvme0n1 or vda.
blk_of() {
	for b in /sys/block/*; do
		case "$(readlink -f "$b")" in
		*/"$1"/*) echo "${b##*/}"; return 0 ;;
		esac
	done
	return 1
}

# wait_blk PCI SECONDS: the disk below PCI once it shows up (and its size
# is known), or status 1.
wait_blk() {
	n=0
	while [ $n -lt $(($2 * 5)) ]; do
		b=$(blk_of "$1") && [ "$(cat "/sys/block/$b/size")" -gt 0 ] &&
			[ -b "/dev/$b" ] && { echo "$b"; return 0; }
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# Faults recorded by every unit so far (debugfs counters, else the log).
faults_total() {
	t=0
	found=0
	for c in "$DBG"/dmar*/counters; do
		[ -f "$c" ] || continue
		found=1
		t=$((t + $(awk '$1 == "faults" { print $2 }' "$c")))
	done
	[ $found -eq 1 ] || t=$(dmesg | grep -c 'vtd_remap: .*DMA .* fault #')
	echo "$t"
}

# A field of the shim's record of PCI in dma/devices: "domain", "bytes"
# (mapped in all), "bad" (bad unmaps), "failed" (failed maps), "driver".
dma_field() {
	awk -v dev="$1" -v f="$2" '
	$1 == dev { on = 1
		if (f == "domain") for (i = 1; i < NF; i++) if ($i == "domain") print $(i + 1)
		if (f == "unit") print $(NF - 2)
		if (f == "driver") print $3
		next }
	/^[0-9a-f]/ { on = 0 }
	on && f == "bytes" && /maps:/ { for (i = 1; i <= NF; i++) if ($i == "bytes") print $(i - 1) }
	on && f == "bad" && /unmaps:/ { print $NF }
	on && f == "failed" && /unmaps:/ { for (i = 1; i <= NF; i++) if ($i == "maps") print $(i + 1) }
	' "$DBG/dma/devices" | tr -d ',;:'
}

# --- 1. the disks ---------------------------------------------------------
nvme=$(pci_by_class 0x010802) || fail "no nvme device (qemu-boot.sh --devices nvme,virtio-blk)"
vblk=$(pci_by_id 0x1af4 0x1042) || fail "no modern virtio-blk device (qemu-boot.sh --devices nvme,virtio-blk)"
for pci in $nvme $vblk; do
	b=$(wait_blk "$pci" 30) || fail "no disk below $pci before loading the module"
	sz=$(cat "/sys/block/$b/size")
	[ $((sz / 2048)) -ge "$mib" ] ||
		fail "$b has $((sz / 2048)) MiB, less than mib=$mib (qemu-boot.sh --disk-size)"
done
echo "$P: nvme at $nvme ($(blk_of "$nvme")), virtio-blk at $vblk ($(blk_of "$vblk")); $mib MiB per disk; $(nproc) CPU(s)"

# --- 2. take them -----------------------------------------------------------
t0=$(now)
echo "$P: insmod vtd_remap.ko own=$nvme,$vblk $remap_params"
# shellcheck disable=SC2086
insmod "$KO" own="$nvme,$vblk" $remap_params || fail "insmod vtd_remap.ko own=$nvme,$vblk"
[ -f "$DBG/dma/devices" ] || fail "no $DBG/dma/devices"
for pci in $nvme $vblk; do
	b=$(wait_blk "$pci" 60) || fail "the disk below $pci did not come back after the shim took it"
	drv=$(dma_field "$pci" driver)
	case "$drv" in '' | -) fail "$pci is not owned by the shim, or has no driver" ;; esac
	echo "$P: $pci ($drv, /dev/$b) maps through the shim: $(dma_field "$pci" unit) domain $(dma_field "$pci" domain)"
done
echo "$P: drivers probed again through the shim in $(secs "$t0") s"
bn=$(blk_of "$nvme")
bv=$(blk_of "$vblk")

# --- 3. the patterns --------------------------------------------------------
# Each disk's pattern is a stream made again whenever it is needed, never
# stored: a seed of 1 MiB + 1 byte from /dev/urandom (one per disk),
# repeated. Byte p of the stream is byte p mod S of the seed, S odd; two
# sectors at 512-byte multiples p != q hold the same bytes only if S
# divides (p - q) / 512, that is 512 MiB apart. So every sector (and 4 KiB
# block) of the pattern differs from every other, on either disk, and a
# block written or read at the wrong place, or stale, cannot go unnoticed.
# (A whole urandom pattern, stored, would cost minutes on the sanitizer
# kernel; cat is the cheapest way to move bytes in busybox.)
for b in "$bn" "$bv"; do
	dd if=/dev/urandom of="/tmp/seed.$b" bs=1048577 count=1 2>/dev/null ||
		fail "cannot read /dev/urandom"
	[ "$(wc -c < "/tmp/seed.$b")" -eq 1048577 ] || fail "short read from /dev/urandom"
done

# pattern DISK: DISK's pattern, at least mib MiB of it, on stdout.
pattern() {
	seed=/tmp/seed.$1
	set --
	k=0
	while [ $k -le "$mib" ]; do
		set -- "$@" "$seed"
		k=$((k + 1))
	done
	cat "$@"
}

# The md5 of each disk's first mib MiB of pattern, made while the disks
# are written.
for b in "$bn" "$bv"; do
	(pattern "$b" | head -c $((mib * 1048576)) | md5sum | cut -d' ' -f1 > "/tmp/sum.$b") &
done

# --- 4. write both at once ----------------------------------------------------
# write_disk DISK: the pattern onto DISK with O_DIRECT; dd's status and
# messages in /tmp/wr.DISK.{rc,err}.
write_disk() {
	pattern "$1" | dd of="/dev/$1" bs=1M count="$mib" iflag=fullblock \
		oflag=direct conv=fsync 2> "/tmp/wr.$1.err"
	echo $? > "/tmp/wr.$1.rc"
}

f0=$(faults_total)
t0=$(now)
wpids=
for b in "$bn" "$bv"; do
	write_disk "$b" &
	wpids="$wpids $!"
done
sleep 2
running=0
for b in "$bn" "$bv"; do
	[ -e "/tmp/wr.$b.rc" ] || running=$((running + 1))
done
echo "$P: --- while the writes run ($running of 2 still running): the shim's recent mappings ---"
sed "s/^/$P:   /" "$DBG/dma/mappings"
for pci in $nvme $vblk; do
	u=$(dma_field "$pci" unit)
	d=$(dma_field "$pci" domain)
	m=$DBG/$u/domain$d/mappings
	[ -f "$m" ] || continue
	echo "$P: --- $pci: $m (first lines) ---"
	head -n 9 "$m" | sed "s/^/$P:   /"
done
# shellcheck disable=SC2086
wait $wpids
tw=$(secs "$t0")
wait	# the pattern checksums
for b in "$bn" "$bv"; do
	if [ "$(cat "/tmp/wr.$b.rc")" != 0 ] ||
	   ! grep -q "^$mib+0 records out" "/tmp/wr.$b.err"; then
		fail "writing /dev/$b: $(cat "/tmp/wr.$b.err")"
	fi
	[ "$(wc -c < "/tmp/sum.$b")" -eq 33 ] ||
		fail "no checksum of the pattern written to /dev/$b"
done
sync
echo 3 > /proc/sys/vm/drop_caches
echo "$P: wrote $((2 * mib)) MiB of pattern to both disks at once (O_DIRECT) in $tw s, $(rate $((2 * mib)) "$tw"); caches dropped"

# --- 5. read both back at once and compare --------------------------------------
# readback DISK TAG: DISK's md5 (O_DIRECT) into /tmp/rsum.DISK.TAG, in the
# background.
readback() {
	(
		dd if="/dev/$1" bs=1M count="$mib" iflag=direct 2> "/tmp/rd.$1.$2.err" |
			md5sum | cut -d' ' -f1 > "/tmp/rsum.$1.$2"
	) &
}

# check_readback DISK TAG: 0 if DISK read back as its pattern; otherwise
# count the 4 KiB blocks that differ (slow: only on failure).
check_readback() {
	cmp -s "/tmp/sum.$1" "/tmp/rsum.$1.$2" && return 0
	echo "$P: /dev/$1 ($2): md5 $(cat "/tmp/rsum.$1.$2"), written $(cat "/tmp/sum.$1"); $(cat "/tmp/rd.$1.$2.err")"
	bad=$(pattern "$1" | cmp -l - "/dev/$1" 2>/dev/null |
		awk '{ b = int(($1 - 1) / 4096); if (b != last) { n++; last = b } } END { print n + 0 }')
	echo "$P: /dev/$1 ($2): $bad of $((mib * 256)) 4 KiB blocks differ"
	return 1
}

t0=$(now)
readback "$bn" shim
readback "$bv" shim
wait
tr=$(secs "$t0")
ok=1
check_readback "$bn" shim || ok=0
check_readback "$bv" shim || ok=0
[ $ok -eq 1 ] || fail "data read back through the shim differs from what was written"
echo "$P: read back $((2 * mib)) MiB from both disks at once (O_DIRECT) in $tr s, $(rate $((2 * mib)) "$tr"): 0 mismatches (md5 of every byte equal)"

# --- 6. faults and counters -------------------------------------------------
f1=$(faults_total)
[ "$f1" -eq "$f0" ] || fail "$((f1 - f0)) DMA fault(s) during the I/O"
for pci in $nvme $vblk; do
	bytes=$(dma_field "$pci" bytes)
	bad=$(dma_field "$pci" bad)
	failed=$(dma_field "$pci" failed)
	[ "${bad:-1}" -eq 0 ] || fail "$pci: $bad unmap(s) of addresses the shim never mapped"
	# Written and read: at least twice the pattern went through the shim.
	[ "${bytes:-0}" -ge $((2 * mib * 1048576)) ] ||
		fail "$pci: only ${bytes:-0} bytes were mapped through the shim"
	echo "$P: $pci: $bytes bytes mapped through the shim, $failed failed map(s) (retried by the driver), 0 bad unmaps"
done
echo "$P: no DMA fault recorded (faults: $f1 before and after)"
echo "$P: --- $DBG/dma/devices ---"
sed "s/^/$P:   /" "$DBG/dma/devices"

# --- 7. give the disks back and read them once more -------------------------
t0=$(now)
rmmod vtd_remap || fail "rmmod vtd_remap"
for pci in $nvme $vblk; do
	b=$(wait_blk "$pci" 60) || fail "the disk below $pci did not come back after rmmod"
done
echo "$P: rmmod: the drivers were probed again without remapping in $(secs "$t0") s"
if [ "$after" = yes ]; then
	bn=$(blk_of "$nvme")
	bv=$(blk_of "$vblk")
	# The names may change on re-probe; the patterns follow the PCI device.
	[ -e "/tmp/sum.$bn" ] || fail "$nvme came back as $bn, not the disk written"
	[ -e "/tmp/sum.$bv" ] || fail "$vblk came back as $bv, not the disk written"
	t0=$(now)
	readback "$bn" direct
	readback "$bv" direct
	wait
	ok=1
	check_readback "$bn" direct || ok=0
	check_readback "$bv" direct || ok=0
	[ $ok -eq 1 ] || fail "the disks do not hold what was written through the shim"
	echo "$P: read both disks again without the shim in $(secs "$t0") s: 0 mismatches"
fi
rm -f /tmp/seed.* /tmp/sum.* /tmp/rsum.* /tmp/wr.* /tmp/rd.*
echo "$P: PASS: $((2 * mib)) MiB written through the shim and verified$([ "$after" = yes ] && echo " twice (through it and without it)")"
exit 0
