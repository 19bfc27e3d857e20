#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hda-play: snd-hda-intel through the DMA-API shim: the controller and its codec probe again through it and an ALSA mmap playback (pcm-mmap-play) advances with no xrun and no fault.
#
# Needs an intel-hda controller with a codec: scripts/qemu-boot.sh
# --devices hda (hda-output, audiodev none). Steps:
#  1. find the HDA controller (class 0x0403) and its playback PCM;
#  2. baseline=yes (default): play secs= seconds without the module, to
#     show that the program and the device work without the shim;
#  3. insmod vtd_remap.ko own=<the controller> (loaded=yes: the caller
#     loaded it, with own=all say): snd-hda-intel is unbound and probed
#     again through the shim (CORB/RIRB and position buffer are coherent
#     allocations); wait for the PCM to come back;
#  4. pcm-mmap-play: HW_PARAMS with MMAP_INTERLEAVED access (the driver
#     allocates its buffer through the shim), mmap of the data area
#     (the DMA buffer mapped to user space by the DMA API's mmap path),
#     START, refill period by period; the hardware pointer must advance
#     (the device reads the BDL and the buffer through the shim and
#     writes its position buffer) and no xrun may happen; a failure names
#     the step (hw_params, mmap, ...) and what in the shim it needs;
#  5. no fault recorded, the shim's record of the device shows its maps;
#  6. rmmod (not with loaded=yes): the card comes back without the shim.
#
# Args: secs=N (playback seconds, default 5), baseline=yes|no,
# loaded=yes|no, remap=P1,P2 (more vtd_remap parameters), xruns=ok
# (recover from xruns and count them, for a playback beside heavy I/O
# under TCG, where the refilling process can be starved: an xrun is the
# CPU late, not the device; the hardware pointer must still advance). In
# a multi-scenario boot, hda-play.KEY=V is for this scenario only.

P="hda-play"
. /scenarios/lib/drivers.sh

secs=5
baseline=yes
loaded=no
remap_params=
xrun_opt=
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	secs=*) secs=${a#secs=} ;;
	baseline=yes | baseline=no) baseline=${a#baseline=} ;;
	loaded=yes | loaded=no) loaded=${a#loaded=} ;;
	remap=*) remap_params=$(echo "${a#remap=}" | tr , ' ') ;;
	xruns=ok) xrun_opt=-x ;;
	mib=* | after=* | high=* | kinds=* | own=*) ;;	# other scenarios' arguments
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$secs" in '' | *[!0-9]*) echo "$P: secs= wants a number"; exit 2 ;; esac
[ "$loaded" = no ] || baseline=no

fail() {
	echo "$P: FAIL: $*"
	drv_dmesg_tail 'vtd_remap|snd|hda|HDA|DMA-API'
	[ "$loaded" = yes ] || ! drv_loaded || vtd_unload
	exit 1
}

# play TAG PCM: run pcm-mmap-play; its output prefixed; status 0 if it
# passed. The last line is kept in /tmp/play.TAG.
play() {
	# shellcheck disable=SC2086 # no option or one
	pcm-mmap-play -D "$2" -t "$secs" $xrun_opt > "/tmp/play.$1" 2>&1
	st=$?
	sed "s/^/$P: [$1] /" "/tmp/play.$1"
	return $st
}

# --- 1. the controller -----------------------------------------------------
hda=$(drv_pci 0x040300 0x8086:0x2668 0x8086:0x293e | head -n 1)
[ -n "$hda" ] || fail "no HDA controller (qemu-boot.sh --devices hda)"
command -v pcm-mmap-play > /dev/null || fail "no pcm-mmap-play in the initramfs"
pcm=$(drv_wait_pcm "$hda" 30) || fail "no playback PCM below $hda (no codec probed?)"
echo "$P: HDA controller at $hda, playback PCM $pcm; $secs s per playback"

# --- 2. without the shim --------------------------------------------------------
if [ "$baseline" = yes ]; then
	drv_loaded && fail "vtd_remap is loaded already (baseline=no, or loaded=yes)"
	play direct "$pcm" || fail "pcm-mmap-play fails without the shim: the program or the device is broken, not the shim"
	echo "$P: without the shim: playback through the mmapped buffer works"
fi

# --- 3. through the shim --------------------------------------------------------
t0=$(drv_now)
if [ "$loaded" = yes ]; then
	drv_loaded || fail "loaded=yes, but vtd_remap is not loaded"
else
	echo "$P: insmod vtd_remap.ko own=$hda $remap_params"
	# shellcheck disable=SC2086
	insmod "$DRV_KO" own="$hda" $remap_params || fail "insmod vtd_remap.ko own=$hda"
fi
drv=$(drv_dma_field "$hda" driver)
case "$drv" in '' | -) fail "$hda is not owned by the shim, or has no driver bound" ;; esac
pcm=$(drv_wait_pcm "$hda" 30) ||
	fail "snd-hda-intel did not bring its playback PCM back through the shim"
[ "$loaded" = yes ] ||
	echo "$P: $drv probed again through the shim in $(drv_secs "$t0") s: $(drv_dma_field "$hda" unit) domain $(drv_dma_field "$hda" domain), PCM $pcm"
f0=$(drv_faults)

# --- 4. play through it --------------------------------------------------------
if ! play shim "$pcm"; then
	last=$(tail -n 1 /tmp/play.shim)
	drv_dma_record "$hda"
	case "$last" in
	*"FAIL at hw_params"*"Invalid argument"*)
		# Is it the access, or the buffer? HW_PARAMS without mmap.
		pcm-mmap-play -D "$pcm" -R > /tmp/play.rw 2>&1
		sed "s/^/$P: [shim, no mmap] /" /tmp/play.rw
		rw=$(tail -n 1 /tmp/play.rw)
		case "$rw" in
		*PASS*) buf="the buffer itself is allocated (HW_PARAMS with RW access works)" ;;
		*"Cannot allocate memory"*) buf="and without mmap HW_PARAMS fails too, -ENOMEM: the buffer is SNDRV_DMA_TYPE_DEV_SG, which ALSA allocates with dma_alloc_noncontiguous(); with neither .alloc_noncontiguous nor .alloc_pages in the shim's ops the DMA core returns NULL (kernel/dma/mapping.c: alloc_single_sgt -> __dma_alloc_pages) and ALSA has no fallback once get_dma_ops() is set (sound/core/memalloc.c: snd_dma_noncontig_alloc)" ;;
		*) buf="and HW_PARAMS without mmap: $rw" ;;
		esac
		fail "ALSA refuses MMAP access through the shim: dma_can_mmap() is false because the shim's dma_map_ops has no .mmap, so sound/core/pcm_native.c: hw_support_mmap() drops SNDRV_PCM_INFO_MMAP and HW_PARAMS with MMAP_INTERLEAVED is -EINVAL; $buf" ;;
	*"FAIL at hw_params"*"Cannot allocate memory"*)
		fail "HW_PARAMS could not allocate the PCM buffer through the shim: snd-hda-intel's buffer is SNDRV_DMA_TYPE_DEV_SG, which ALSA allocates with dma_alloc_noncontiguous(); with neither .alloc_noncontiguous nor .alloc_pages in the shim's ops the DMA core returns NULL (kernel/dma/mapping.c: alloc_single_sgt -> __dma_alloc_pages) and ALSA has no fallback once get_dma_ops() is set (sound/core/memalloc.c: snd_dma_noncontig_alloc): $last" ;;
	*"FAIL at mmap"*)
		fail "the mmap of the PCM's DMA buffer failed through the shim (dma_mmap_noncontiguous / dma_mmap_coherent: the shim's .mmap, .alloc_noncontiguous): $last" ;;
	*)
		fail "playback through the shim: $last" ;;
	esac
fi

# --- 5. faults and the shim's record --------------------------------------------
f1=$(drv_faults)
[ "$f1" -eq "$f0" ] || fail "$((f1 - f0)) DMA fault(s) during the playback"
bad=$(drv_dma_field "$hda" bad)
[ "${bad:-1}" -eq 0 ] || fail "$hda: $bad unmap(s) of addresses the shim never mapped"
coh=$(drv_dma_field "$hda" coherent)
[ "${coh:-0}" -gt 0 ] || fail "$hda: no coherent allocation went through the shim"
echo "$P: --- the shim's record of $hda ---"
drv_dma_record "$hda"
echo "$P: no DMA fault during the playback (faults: $f1)"

# --- 6. give it back ------------------------------------------------------------
if [ "$loaded" = no ]; then
	vtd_unload || fail "rmmod vtd_remap"
	drv_wait_pcm "$hda" 30 > /dev/null || fail "the PCM did not come back after rmmod"
	echo "$P: rmmod: snd-hda-intel probed again without remapping"
fi
rm -f /tmp/play.*
echo "$P: PASS: mmap playback through the shim, hw_ptr advancing, ${xrun_opt:+xruns counted, }no fault"
exit 0
