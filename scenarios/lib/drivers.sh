# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Shared by the real-driver scenarios (hda-play, drivers, fail-inject),
# sourced by busybox sh in the guest: find PCI devices, the shim's debugfs
# records and fault counters, the ALSA playback device of an HDA
# controller. The caller sets P to its name first.

. /scenarios/lib/vtd.sh

# shellcheck disable=SC2034 # used by the scenarios
DRV_KO=/modules/vtd_remap.ko
DRV_DBG=/sys/kernel/debug/vtd_remap

# Seconds since boot, to the hundredth.
drv_now() {
	cut -d' ' -f1 /proc/uptime
}

# drv_secs T0 [T1]: T1 (default now) - T0.
drv_secs() {
	awk -v a="$1" -v b="${2:-$(drv_now)}" 'BEGIN { printf "%.1f", b - a }'
}

# drv_pci CLASS|VENDOR:DEVICE ...: the PCI devices matching any of the
# arguments (class like 0x040300, ids like 0x8086:0x2668), one a line.
drv_pci() {
	local d c id w
	for d in /sys/bus/pci/devices/*; do
		read -r c < "$d/class"
		id="$(cat "$d/vendor"):$(cat "$d/device")"
		for w in "$@"; do
			[ "$w" = "$c" ] || [ "$w" = "$id" ] || continue
			echo "${d##*/}"
			break
		done
	done
}

# drv_loaded: status 0 if vtd_remap is loaded.
drv_loaded() {
	grep -q '^vtd_remap ' /proc/modules
}

# Faults recorded by every unit so far (debugfs counters, else the log).
drv_faults() {
	local t=0 found=0 c
	for c in "$DRV_DBG"/dmar*/counters; do
		[ -f "$c" ] || continue
		found=1
		t=$((t + $(awk '$1 == "faults" { print $2 }' "$c")))
	done
	[ $found -eq 1 ] || t=$(dmesg | grep -c 'vtd_remap: .*DMA .* fault #')
	echo "$t"
}

# drv_dma_field PCI FIELD: a field of the shim's record of PCI in
# dma/devices: driver, unit, domain, bytes (mapped in all), coherent
# (coherent allocations), failed (failed maps), bad (bad unmaps).
drv_dma_field() {
	[ -f "$DRV_DBG/dma/devices" ] || return 1
	awk -v dev="$1" -v f="$2" '
	$1 == dev { on = 1
		if (f == "domain") for (i = 1; i < NF; i++) if ($i == "domain") print $(i + 1)
		if (f == "unit") print $(NF - 2)
		if (f == "driver") print $3
		next }
	/^[0-9a-f]/ { on = 0 }
	on && f == "bytes" && /maps:/ { for (i = 1; i <= NF; i++) if ($i == "bytes") print $(i - 1) }
	on && f == "coherent" && / maps:/ { for (i = 1; i <= NF; i++) if ($i == "coherent") print $(i + 1) }
	on && f == "bad" && /unmaps:/ { print $NF }
	on && f == "failed" && /unmaps:/ { for (i = 1; i <= NF; i++) if ($i == "maps") print $(i + 1) }
	' "$DRV_DBG/dma/devices" | tr -d ',;:'
}

# drv_dma_record PCI: the shim's record of PCI in dma/devices, indented.
drv_dma_record() {
	awk -v dev="$1" '$1 == dev { on = 1; print; next } /^[0-9a-f]/ { on = 0 } on' \
		"$DRV_DBG/dma/devices" 2>/dev/null | sed "s/^/$P:   /"
}

# drv_pcm_of PCI: the first playback PCM device node below PCI
# (/dev/snd/pcmC0D0p), once it exists.
drv_pcm_of() {
	local s
	for s in /sys/class/sound/pcmC*D*p; do
		[ -e "$s" ] || continue
		case "$(readlink -f "$s")" in
		*/"$1"/*) [ -c "/dev/snd/${s##*/}" ] && { echo "/dev/snd/${s##*/}"; return 0; } ;;
		esac
	done
	return 1
}

# drv_wait_pcm PCI SECONDS: drv_pcm_of, waiting for the codec's probe.
drv_wait_pcm() {
	local n=0
	while [ $n -lt $(($2 * 5)) ]; do
		drv_pcm_of "$1" && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# drv_dmesg_tail PATTERN: the log's last lines matching PATTERN, prefixed.
drv_dmesg_tail() {
	dmesg | grep -E "$1" | tail -n 20 | sed "s/^/$P: dmesg: /"
}

# drv_disk_pcis KIND: the PCI devices of a disk kind (the kinds of
# qemu-boot.sh --devices), one a line: nvme (class 0x010802), virtio-blk
# (1af4:1042), ahci (class 0x010601), xhci (1b36:000d), virtio-scsi
# (1af4:1048), megasas (1000:0060, 1000:005b), lsi (1000:0012).
drv_disk_pcis() {
	case "$1" in
	nvme) drv_pci 0x010802 ;;
	virtio-blk) drv_pci 0x1af4:0x1042 ;;
	ahci) drv_pci 0x010601 ;;
	xhci) drv_pci 0x1b36:0x000d ;;
	virtio-scsi) drv_pci 0x1af4:0x1048 ;;
	megasas) drv_pci 0x1000:0x0060 0x1000:0x005b ;;
	lsi) drv_pci 0x1000:0x0012 ;;
	*) return 1 ;;
	esac
}

# drv_blk_of PCI: the first usable whole disk below PCI (nvme0n1, vda, sda).
drv_blk_of() {
	local b p
	for b in /sys/block/*; do
		p=$(readlink -f "$b")
		case "$p" in
		*/"$1"/*) echo "$p" ;;
		esac
	done | sort -V | sed -n '1s,.*/,,p' | {
		read -r b && [ "$(cat "/sys/block/$b/size")" -gt 0 ] &&
			[ -b "/dev/$b" ] && echo "$b"
	}
}

# drv_wait_blk PCI SECONDS: drv_blk_of, waiting for the driver's probe.
drv_wait_blk() {
	local n=0
	while [ $n -lt $(($2 * 5)) ]; do
		drv_blk_of "$1" && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}
