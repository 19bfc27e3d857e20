#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# disk-integrity: disks through the DMA-API shim (nvme and virtio-blk by default; kinds= any of nvme, virtio-blk, ahci, xhci, virtio-scsi, megasas, lsi): a random pattern written to all at once, read back (O_DIRECT, caches dropped), 0 mismatches, no fault.
#
# Needs the disks: scripts/qemu-boot.sh --devices nvme,virtio-blk (the
# default kinds), or the kinds named (--disk-size at least mib=). Steps:
#  1. find the PCI devices of the kinds asked for and the disks below them;
#  2. insmod vtd_remap.ko own=<those devices> (or own=all): their drivers
#     are unbound and probed again through the shim; wait for the disks to
#     come back;
#  3. a pattern per disk: random, and every 4 KiB block of it unique, so a
#     misplaced block cannot go unnoticed (see below);
#  4. write all disks at once with O_DIRECT, showing the shim's mappings
#     (debugfs) while the writes run; sync, drop caches;
#  5. read all back at once with O_DIRECT and compare (md5 of every
#     byte): 0 mismatches;
#  6. no fault recorded by any unit, no bad unmap, and the shim's counters
#     show that the data went through it;
#  7. rmmod vtd_remap (the drivers are probed again, now without
#     remapping) and read all disks once more: what the shim wrote is on
#     the disks. Skipped with after=no.
#
# Args: mib=N (MiB per disk, default 256), remap=P1,P2 (more vtd_remap
# parameters), after=yes|no,
#   kinds=K1,K2,...  disk kinds, each needing at least one disk (default
#                    nvme,virtio-blk); kinds=all: every kind that has a disk
#   own=listed|all   insmod own= the disks' PCI devices (default) or all
#   loaded=yes       vtd_remap is already loaded (by the calling scenario)
#                    and must own the disks: no insmod, no rmmod, no step 7
# In a multi-scenario boot, disk-integrity.KEY=V is for this scenario only
# and NAME.KEY=V for the others is ignored.

P=disk-integrity
. /scenarios/lib/pci.sh
KO=/modules/vtd_remap.ko
DBG=/sys/kernel/debug/vtd_remap
mib=256
remap_params=
after=yes
kinds=nvme,virtio-blk
own_mode=listed
loaded=no

for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	remap=*) remap_params=$(echo "${a#remap=}" | tr , ' ') ;;
	after=yes | after=no) after=${a#after=} ;;
	kinds=*) kinds=${a#kinds=} ;;
	own=listed | own=all) own_mode=${a#own=} ;;
	loaded=yes | loaded=no) loaded=${a#loaded=} ;;
	high=*) ;;	# the edu scenarios' argument
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$mib" in '' | *[!0-9]*) echo "$P: mib= wants a number"; exit 2 ;; esac
[ "$loaded" = no ] || after=no

fail() {
	echo "$P: FAIL: $*"
	dmesg | grep -E 'vtd_remap|nvme|virtio|ata|scsi|sd |usb|megaraid|sym|DMA-API' |
		tail -n 25 | sed "s/^/$P: dmesg: /"
	[ "$loaded" = yes ] || ! grep -q '^vtd_remap ' /proc/modules || vtd_unload
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

# pci_of_kind KIND: the PCI devices of a disk kind, one a line.
#   nvme: class 0x010802; ahci: class 0x010601 (q35's ICH9 AHCI);
#   virtio-blk 1af4:1042, virtio-scsi 1af4:1048 (modern only: the shim
#   needs iommu_platform); xhci 1b36:000d (qemu-xhci); megasas 1000:0060
#   and 1000:005b (gen2); lsi 1000:0012 (lsi53c895a).
pci_of_kind() {
	for d in /sys/bus/pci/devices/*; do
		c=$(cat "$d/class")
		id="$(cat "$d/vendor"):$(cat "$d/device")"
		case "$1:$c:$id" in
		nvme:0x010802:* | ahci:0x010601:* | \
		virtio-blk:*:0x1af4:0x1042 | virtio-scsi:*:0x1af4:0x1048 | \
		xhci:*:0x1b36:0x000d | megasas:*:0x1000:0x0060 | \
		megasas:*:0x1000:0x005b | lsi:*:0x1000:0x0012)
			echo "${d##*/}" ;;
		esac
	done
}

# blks_of PCI: the whole-disk block devices below a PCI device (nvme0n1,
# vda, sda, ...), in the order of their sysfs paths (port, target).
blks_of() {
	for b in /sys/block/*; do
		p=$(readlink -f "$b")
		case "$p" in
		*/"$1"/*) echo "$p" ;;
		esac
	done | sort -V | sed 's,.*/,,'
}

# blk_nth PCI K: the Kth (from 1) disk below PCI, if it is usable (size
# known, device node there).
blk_nth() {
	b=$(blks_of "$1" | sed -n "${2}p")
	[ -n "$b" ] && [ "$(cat "/sys/block/$b/size")" -gt 0 ] && [ -b "/dev/$b" ] &&
		echo "$b"
}

# wait_blks PCI N SECONDS: status 0 once PCI has N usable disks below it.
wait_blks() {
	w=0
	while [ $w -lt $(($3 * 5)) ]; do
		k=$2
		while [ "$k" -ge 1 ] && blk_nth "$1" "$k" > /dev/null; do
			k=$((k - 1))
		done
		[ "$k" -eq 0 ] && return 0
		sleep 0.2
		w=$((w + 1))
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
# Disk i (from 1) is the K(i)th disk below PCI(i), of kind KIND(i): kept in
# D_PCI_i, D_K_i, D_KIND_i; D_BLK_i is its current block device name
# (names may change when the drivers probe again). PCIS: the PCI devices.
case "$kinds" in
all) klist="nvme virtio-blk ahci xhci virtio-scsi megasas lsi"; need=0; wait_first=15 ;;
*) klist=$(echo "$kinds" | tr , ' '); need=1; wait_first=30 ;;
esac
nd=0
PCIS=
for kind in $klist; do
	case "$kind" in
	nvme | virtio-blk | ahci | xhci | virtio-scsi | megasas | lsi) ;;
	*) echo "$P: unknown disk kind '$kind'"; exit 2 ;;
	esac
	pcis=$(pci_of_kind "$kind")
	if [ -z "$pcis" ]; then
		[ $need -eq 0 ] && continue
		case "$kinds" in
		nvme,virtio-blk) fail "no $kind device (qemu-boot.sh --devices nvme,virtio-blk)" ;;
		esac
		fail "no $kind device (qemu-boot.sh --devices $kind)"
	fi
	for pci in $pcis; do
		# Drivers probe asynchronously at boot (usb-storage waits a
		# second before scanning): give them time to show a disk.
		wait_blks "$pci" 1 "$wait_first" ||
			{ [ $need -eq 0 ] && continue
			  fail "no disk below $kind $pci (qemu-boot.sh --devices $kind)"; }
		n=$(blks_of "$pci" | wc -l)
		k=1
		while [ $k -le "$n" ]; do
			b=$(blk_nth "$pci" $k) || fail "disk $k below $pci is not usable"
			sz=$(cat "/sys/block/$b/size")
			[ $((sz / 2048)) -ge "$mib" ] ||
				fail "$b has $((sz / 2048)) MiB, less than mib=$mib (qemu-boot.sh --disk-size)"
			nd=$((nd + 1))
			eval "D_PCI_$nd=$pci D_K_$nd=$k D_KIND_$nd=$kind D_BLK_$nd=$b"
			k=$((k + 1))
		done
		PCIS="$PCIS $pci"
	done
done
[ $nd -gt 0 ] || fail "no disk of the kinds $kinds"
PCIS=${PCIS# }

# disk_field I NAME: D_NAME_I.
disk_field() {
	eval "echo \$D_$2_$1"
}

# refresh_blks: D_BLK_i again, after the drivers probed again.
refresh_blks() {
	i=1
	while [ $i -le $nd ]; do
		b=$(blk_nth "$(disk_field $i PCI)" "$(disk_field $i K)") || return 1
		eval "D_BLK_$i=$b"
		i=$((i + 1))
	done
}

# wait_all SECONDS: every PCI device has its disks back (else status 1
# and LATE is the one missing them); D_BLK_i updated.
wait_all() {
	for pci in $PCIS; do
		n=0
		i=1
		while [ $i -le $nd ]; do
			[ "$(disk_field $i PCI)" = "$pci" ] && n=$((n + 1))
			i=$((i + 1))
		done
		LATE=$pci
		wait_blks "$pci" $n "$1" || return 1
	done
	refresh_blks
}

i=1
desc=
while [ $i -le $nd ]; do
	desc="$desc, $(disk_field $i KIND) at $(disk_field $i PCI) ($(disk_field $i BLK))"
	i=$((i + 1))
done
echo "$P: ${desc#, }; $mib MiB per disk; $(nproc) CPU(s)"

# --- 2. take them -----------------------------------------------------------
t0=$(now)
# The disks' controllers with their groups (a group is owned whole).
# shellcheck disable=SC2086 # one word per device
own_list=$(pci_group_of $PCIS | tr '\n' , | sed 's/,$//')
[ "$own_mode" = listed ] || own_list=all
if [ "$loaded" = yes ]; then
	grep -q '^vtd_remap ' /proc/modules || fail "loaded=yes, but vtd_remap is not loaded"
	echo "$P: vtd_remap already loaded (by the calling scenario)"
else
	echo "$P: insmod vtd_remap.ko own=$own_list $remap_params"
	# shellcheck disable=SC2086
	insmod "$KO" own="$own_list" $remap_params || fail "insmod vtd_remap.ko own=$own_list"
fi
[ -f "$DBG/dma/devices" ] || fail "no $DBG/dma/devices"
wait_all 60 || fail "the disks below $LATE did not come back after the shim took it"
for pci in $PCIS; do
	drv=$(dma_field "$pci" driver)
	case "$drv" in '' | -) fail "$pci is not owned by the shim, or has no driver" ;; esac
	echo "$P: $pci ($drv, /dev/$(blks_of "$pci" | tr '\n' ' ' | sed 's/ $//; s, , /dev/,g')) maps through the shim: $(dma_field "$pci" unit) domain $(dma_field "$pci" domain)"
done
[ "$loaded" = yes ] || echo "$P: drivers probed again through the shim in $(secs "$t0") s"

# --- 3. the patterns --------------------------------------------------------
# Each disk's pattern is a stream made again whenever it is needed, never
# stored: a seed of 1 MiB + 1 byte from /dev/urandom (one per disk),
# repeated. Byte p of the stream is byte p mod S of the seed, S odd; two
# sectors at 512-byte multiples p != q hold the same bytes only if S
# divides (p - q) / 512, that is 512 MiB apart. So every sector (and 4 KiB
# block) of the pattern differs from every other, on any disk, and a
# block written or read at the wrong place, or stale, cannot go unnoticed.
# (A whole urandom pattern, stored, would cost minutes on the sanitizer
# kernel; cat is the cheapest way to move bytes in busybox.) Files are
# named by disk number, which survives the drivers' new probes.
i=1
while [ $i -le $nd ]; do
	dd if=/dev/urandom of="/tmp/seed.$i" bs=1048577 count=1 2>/dev/null ||
		fail "cannot read /dev/urandom"
	[ "$(wc -c < "/tmp/seed.$i")" -eq 1048577 ] || fail "short read from /dev/urandom"
	i=$((i + 1))
done

# pattern I: disk I's pattern, at least mib MiB of it, on stdout.
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
i=1
while [ $i -le $nd ]; do
	(pattern $i | head -c $((mib * 1048576)) | md5sum | cut -d' ' -f1 > "/tmp/sum.$i") &
	i=$((i + 1))
done

# --- 4. write all at once -------------------------------------------------------
# write_disk I: the pattern onto disk I with O_DIRECT; dd's status and
# messages in /tmp/wr.I.{rc,err}.
write_disk() {
	pattern "$1" | dd of="/dev/$(disk_field "$1" BLK)" bs=1M count="$mib" iflag=fullblock \
		oflag=direct conv=fsync 2> "/tmp/wr.$1.err"
	echo $? > "/tmp/wr.$1.rc"
}

f0=$(faults_total)
t0=$(now)
wpids=
i=1
while [ $i -le $nd ]; do
	write_disk $i &
	wpids="$wpids $!"
	i=$((i + 1))
done
sleep 2
running=0
i=1
while [ $i -le $nd ]; do
	[ -e "/tmp/wr.$i.rc" ] || running=$((running + 1))
	i=$((i + 1))
done
echo "$P: --- while the writes run ($running of $nd still running): the shim's recent mappings ---"
cat "$DBG/dma/mappings" > /tmp/mappings
sed "s/^/$P:   /" /tmp/mappings
# The rings are read without a lock while the writers run (vtd_dma.c,
# section 6): each CPU's header promises as many lines as follow it, each
# a whole map or "(being written)".
bad=$(awk '
	function close_cpu() { if (want >= 0 && got != want) print "cpu block with " got " lines, header says " want; want = -1 }
	BEGIN { want = -1 }
	/^ cpu [0-9]+: the last [0-9]+ of [0-9]+ maps/ { close_cpu(); want = $5; got = 0; next }
	/^  dma 0x[0-9a-f]+ -> phys 0x[0-9a-f]+ +[0-9]+ bytes +[0-9]+ seg .* table: / { if (want >= 0) got++; maps++; next }
	/^  \(being written\)$/ { got++; next }
	/^[^ ]/ { close_cpu(); next }
	{ print "unexpected line: " $0 }
	END { close_cpu(); print "MAPS " maps + 0 }' /tmp/mappings)
echo "$bad" | grep -v '^MAPS' | grep -q . &&
	fail "the shim's mappings file, read during the writes, is malformed: $(echo "$bad" | grep -v '^MAPS' | head -n 3)"
echo "$P: the shim's mappings file is well formed ($(echo "$bad" | sed -n 's/^MAPS //p') recent maps shown)"
for pci in $PCIS; do
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
i=1
while [ $i -le $nd ]; do
	b=$(disk_field $i BLK)
	if [ "$(cat "/tmp/wr.$i.rc")" != 0 ] ||
	   ! grep -q "^$mib+0 records out" "/tmp/wr.$i.err"; then
		fail "writing /dev/$b: $(cat "/tmp/wr.$i.err")"
	fi
	[ "$(wc -c < "/tmp/sum.$i")" -eq 33 ] ||
		fail "no checksum of the pattern written to /dev/$b"
	i=$((i + 1))
done
sync
echo 3 > /proc/sys/vm/drop_caches
echo "$P: wrote $((nd * mib)) MiB of pattern to $nd disk(s) at once (O_DIRECT) in $tw s, $(rate $((nd * mib)) "$tw"); caches dropped"

# --- 5. read all back at once and compare ----------------------------------------
# readback I TAG: disk I's md5 (O_DIRECT) into /tmp/rsum.I.TAG, in the
# background.
readback() {
	(
		dd if="/dev/$(disk_field "$1" BLK)" bs=1M count="$mib" iflag=direct 2> "/tmp/rd.$1.$2.err" |
			md5sum | cut -d' ' -f1 > "/tmp/rsum.$1.$2"
	) &
}

# check_readback I TAG: 0 if disk I read back as its pattern; otherwise
# count the 4 KiB blocks that differ (slow: only on failure).
check_readback() {
	b=$(disk_field "$1" BLK)
	cmp -s "/tmp/sum.$1" "/tmp/rsum.$1.$2" && return 0
	echo "$P: /dev/$b ($2): md5 $(cat "/tmp/rsum.$1.$2"), written $(cat "/tmp/sum.$1"); $(cat "/tmp/rd.$1.$2.err")"
	bad=$(pattern "$1" | head -c $((mib * 1048576)) | cmp -l - "/dev/$b" 2>/dev/null |
		awk '{ b = int(($1 - 1) / 4096); if (b != last) { n++; last = b } } END { print n + 0 }')
	echo "$P: /dev/$b ($2): $bad of $((mib * 256)) 4 KiB blocks differ"
	return 1
}

# read_all TAG: read every disk back at once; status 1 on a mismatch.
read_all() {
	i=1
	while [ $i -le $nd ]; do
		readback $i "$1"
		i=$((i + 1))
	done
	wait
	ok=1
	i=1
	while [ $i -le $nd ]; do
		check_readback $i "$1" || ok=0
		i=$((i + 1))
	done
	[ $ok -eq 1 ]
}

t0=$(now)
read_all shim || fail "data read back through the shim differs from what was written"
tr=$(secs "$t0")
echo "$P: read back $((nd * mib)) MiB from $nd disk(s) at once (O_DIRECT) in $tr s, $(rate $((nd * mib)) "$tr"): 0 mismatches (md5 of every byte equal)"

# --- 6. faults and counters -------------------------------------------------
f1=$(faults_total)
[ "$f1" -eq "$f0" ] || fail "$((f1 - f0)) DMA fault(s) during the I/O"
for pci in $PCIS; do
	n=0
	i=1
	while [ $i -le $nd ]; do
		[ "$(disk_field $i PCI)" = "$pci" ] && n=$((n + 1))
		i=$((i + 1))
	done
	bytes=$(dma_field "$pci" bytes)
	bad=$(dma_field "$pci" bad)
	failed=$(dma_field "$pci" failed)
	[ "${bad:-1}" -eq 0 ] || fail "$pci: $bad unmap(s) of addresses the shim never mapped"
	# Written and read: at least twice the pattern went through the shim.
	[ "${bytes:-0}" -ge $((2 * n * mib * 1048576)) ] ||
		fail "$pci: only ${bytes:-0} bytes were mapped through the shim"
	echo "$P: $pci: $bytes bytes mapped through the shim, $failed failed map(s) (retried by the driver), 0 bad unmaps"
done
echo "$P: no DMA fault recorded (faults: $f1 before and after)"
echo "$P: --- $DBG/dma/devices ---"
sed "s/^/$P:   /" "$DBG/dma/devices"

# --- 7. give the disks back and read them once more -------------------------
if [ "$loaded" = no ]; then
	t0=$(now)
	vtd_unload || fail "rmmod vtd_remap"
	wait_all 60 || fail "the disks below $LATE did not come back after rmmod"
	echo "$P: rmmod: the drivers were probed again without remapping in $(secs "$t0") s"
fi
if [ "$after" = yes ]; then
	t0=$(now)
	read_all direct || fail "the disks do not hold what was written through the shim"
	echo "$P: read all disks again without the shim in $(secs "$t0") s: 0 mismatches"
fi
rm -f /tmp/seed.* /tmp/sum.* /tmp/rsum.* /tmp/wr.* /tmp/rd.*
echo "$P: PASS: $((nd * mib)) MiB on $nd disk(s) written through the shim and verified$([ "$after" = yes ] && echo " twice (through it and without it)")"
exit 0
