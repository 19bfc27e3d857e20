#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hotplug: an nvme hot-added behind a PCIe root port after insmod vtd_remap own=all is owned through the shim (context entry before its probe, no fault), disk integrity on it; removed while idle (its record goes), added again, owned again, integrity again.
# shellcheck shell=dash
#
# Needs: scripts/qemu-boot.sh --topology pcie-root-port (the nvme hp-nvme
# behind the root port hp-port, its disk the blockdev hp-disk), and no
# other nvme (--devices none, or edu only). Steps:
#  0. pciehp is unbound from hp-port (see "Why not pciehp" below): from
#     here on the scenario is the slot's hotplug driver;
#  1. the nvme behind the root port is found and bound, and removed (see
#     "Removal" below), so it is absent when the module loads;
#  2. insmod vtd_remap.ko own=all (own=OWN: another value covering the
#     slot, e.g. dmar0);
#  3. the host adds it again (see "Addition"): the shim owns the new
#     device before its driver probes (dma/devices has a record whose
#     driver is nvme), its source ID has a context entry of that domain
#     (dmar*/contexts), its disk comes up, no fault is recorded;
#  4. disk-integrity.sh loaded=yes on it (mib=N, default 32);
#  5. removed while idle: its record leaves dma/devices and its context
#     entry goes; no fault, no warning;
#  6. added again: steps 3 and 4 once more (a new record, a new domain);
#  7. rmmod vtd_remap: the nvme is given back and its driver probes again;
#     pciehp is bound to hp-port again.
# Args: mib=N, own=OWN; via=pciehp: pciehp does the slot's work instead
# (the host's device_del and device_add; the guest only removes the nvme
# in sysfs before a device_del): the real hotplug driver's path, for the
# stock kernel only (on the test kernel its first hot-add makes lockdep
# report, see "Why not pciehp").
#
# Removal: the guest removes the nvme (sysfs remove: its driver is
# unbound, the device deleted, the bus notifier's REMOVED event), then
# turns the slot off (Slot Control: power controller off, power indicator
# off), and QEMU detaches the card of a slot switched off (its Presence
# Detect State goes to 0), as it does when pciehp switches a slot off.
# Addition: the host plugs a new hp-nvme into the unpowered slot (QMP
# device_add); the guest waits for Presence Detect State, switches the
# slot on, and rescans the root port's secondary bus: an empty bus below a
# bridge is rescanned by pci_rescan_bus_bridge_resize(), which scans the
# bus, sizes and assigns the bridge's windows and adds the devices under
# pci_rescan_remove_lock, the steps pciehp_configure_device() takes. The
# bus notifier sees the same events in the same lock context as under
# pciehp (the rescan/remove lock held, pciehp's reset_lock not held across
# pci_bus_add_devices() nor pci_stop_and_remove_bus_device()).
#
# Why not pciehp: on the test kernel (6.1.192, lockdep on) every hot-add
# that pciehp enumerates makes lockdep report a circular dependency
# between the slot's reset_lock and pci_rescan_remove_lock, with or
# without vtd_remap, and lockdep is off for the rest of the boot after
# it. pciehp_ist() holds reset_lock (read) around its event handling;
# pciehp_configure_device() takes pci_rescan_remove_lock under it
# (reset_lock -> rescan lock), then drops reset_lock around
# pci_bus_add_devices() and takes it again with the rescan lock held
# (rescan lock -> reset_lock). pciehp_unconfigure_device() does the same
# around each device it removes. Both orders are taken by the one
# pciehp_ist() thread of a slot, so lockdep sees a cycle that cannot
# deadlock; it comes from upstream commit f5eff5591b8f ("PCI: pciehp: Fix
# AB-BA deadlock between reset_lock and device_lock", v6.4, in 6.1 and
# 5.10 stable). Upstream calls it a false positive with no fix: Lukas
# Wunner, "Re: pciehp lockdep possible circular locking dependency",
# linux-pci, 2023-10-15 (lore 20231015093722.GA11283@wunner.de), and "Re:
# lockdep warning in pciehp", 2024-11-11 (ZzJm6QrQyT48jGuN@wunner.de,
# 6.12-rc6). A removal from the guest before the slot is disabled keeps
# pciehp_unconfigure_device() from dropping and retaking reset_lock, but
# no add through pciehp avoids it, with one root port or several. So the
# scenario takes pciehp off this slot (unbinding it reaches neither lock)
# and does the slot's power and enumeration itself.

P=hotplug
. /scenarios/lib/pci.sh
. /scenarios/lib/host.sh
. /scenarios/lib/drivers.sh

mib=32
own=all
via=guest
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	mib=*) mib=${a#mib=} ;;
	own=*) own=${a#own=} ;;
	via=pciehp | via=guest) via=${a#via=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

NVME=1b36:0010

PORT=
HP_SVC=

fail() {
	echo "$P: FAIL: $*"
	drv_dmesg_tail 'vtd_remap|nvme|pcieport|pciehp|DMA'
	drv_loaded && vtd_unload
	exit 1
}

# root_port_nvme: "NVME PORT" for the nvme whose parent is a root port.
root_port_nvme() {
	local n p
	for n in $(pci_list $NVME); do
		p=$(pci_parent "$n") || continue
		[ "$(pci_pcie_type "$p")" = root-port ] || continue
		echo "$n $p"
		return 0
	done
	return 1
}

# wait_nvme SECS: the nvme behind the root port is back; sets NV.
wait_nvme() {
	local t=0 found
	while ! found=$(root_port_nvme); do
		[ $t -lt $(($1 * 5)) ] || return 1
		sleep 0.2
		t=$((t + 1))
	done
	NV=${found% *}
}

# ctx_of SID: the line of dmar*/contexts for a source ID ("bb:dd.f").
ctx_of() {
	cat "$DRV_DBG"/dmar*/contexts 2>/dev/null | awk -v s="$1" '$1 == s'
}

# sid_of DEV: "bb:dd.f" of a sysfs name "0000:bb:dd.f".
sid_of() {
	echo "${1#*:}"
}

# --- the slot, without pciehp ------------------------------------------------
# Slot Control and Slot Status of PORT's PCI Express capability (PCIe
# r6.0, 7.5.3.10-11): power controller control (1 = off), power indicator
# (01 on, 11 off), presence detect state.
SLTCTL_PCC=$((0x400))
SLTCTL_PIC=$((0x300))
SLTCTL_PIC_ON=$((0x100))
SLTCTL_PIC_OFF=$((0x300))
SLTSTA_PDS=$((0x40))
# the event bits (write 1 to clear): attention button, power fault, MRL,
# presence detect changed, command completed, data link layer changed
SLTSTA_EVENTS=$((0x11f))

# cfg_word OFF: PORT's 16-bit config register at OFF, decimal.
cfg_word() {
	local lo hi
	lo=$(pci_config_byte "$PORT" "$1")
	hi=$(pci_config_byte "$PORT" $(($1 + 1)))
	[ -n "$lo" ] && [ -n "$hi" ] || return 1
	echo $((lo | hi << 8))
}

# cfg_write_word OFF VALUE: write PORT's 16-bit register at OFF (even) in
# one 2-byte write (one command to the slot).
cfg_write_word() {
	local lo hi
	lo=$(printf '%03o' $(($2 & 255)))
	hi=$(printf '%03o' $(($2 >> 8 & 255)))
	# shellcheck disable=SC2059 # the format is the two bytes
	printf "\\$lo\\$hi" |
		dd of="$PCI_SYS/$PORT/config" bs=2 seek=$(($1 / 2)) count=1 \
			conv=notrunc 2> /dev/null
}

# slot_present: QEMU reports a card in the slot (Presence Detect State).
slot_present() {
	local v
	v=$(cfg_word "$SLTSTA") || return 1
	[ $((v & SLTSTA_PDS)) -ne 0 ]
}

# wait_presence 1|0 SECS: Presence Detect State becomes 1 (or 0).
wait_presence() {
	local t=0 now
	while :; do
		now=0
		slot_present && now=1
		[ "$now" = "$1" ] && return 0
		[ $t -lt $(($2 * 5)) ] || return 1
		sleep 0.2
		t=$((t + 1))
	done
}

# slot_power on|off: switch the slot's power and power indicator.
slot_power() {
	local v
	v=$(cfg_word "$SLTCTL") || fail "cannot read Slot Control of $PORT"
	v=$((v & ~(SLTCTL_PCC | SLTCTL_PIC)))
	case "$1" in
	on) v=$((v | SLTCTL_PIC_ON)) ;;
	off) v=$((v | SLTCTL_PCC | SLTCTL_PIC_OFF)) ;;
	esac
	cfg_write_word "$SLTCTL" "$v" || fail "writing Slot Control of $PORT"
}

# pciehp_unbind: take pciehp off PORT's hotplug service (HP_SVC).
pciehp_unbind() {
	local d
	for d in /sys/bus/pci_express/drivers/pciehp/"$PORT":pcie*; do
		[ -e "$d" ] || continue
		HP_SVC=${d##*/}
	done
	[ -n "$HP_SVC" ] || fail "pciehp is not bound to $PORT"
	echo "$HP_SVC" > /sys/bus/pci_express/drivers/pciehp/unbind ||
		fail "unbinding pciehp from $HP_SVC"
	[ ! -e "/sys/bus/pci_express/drivers/pciehp/$HP_SVC" ] ||
		fail "pciehp still bound to $HP_SVC"
	echo "$P: pciehp unbound from $HP_SVC: the scenario drives the slot"
}

# pciehp_rebind: give the slot back to pciehp (the nvme present, powered).
# The events the scenario's steps left in Slot Status are cleared first,
# as pciehp would have consumed them: QEMU's device_add sets Attention
# Button Pressed and Presence Detect Changed, and pciehp's own clearing at
# probe is undone by QEMU (it writes 1s to bits that are not set, which
# QEMU takes for a guest clearing everything at init and reverts), so
# pciehp would act on a stale button press and presence change: switch
# the slot off and surprise-remove the nvme. Only the bits that are set
# are written here.
pciehp_rebind() {
	local v t=0
	v=$(cfg_word "$SLTSTA") || fail "cannot read Slot Status of $PORT"
	v=$((v & SLTSTA_EVENTS))
	[ "$v" -eq 0 ] || cfg_write_word "$SLTSTA" "$v" ||
		fail "clearing the events of Slot Status of $PORT"
	v=$(cfg_word "$SLTSTA") || fail "cannot read Slot Status of $PORT"
	[ $((v & SLTSTA_EVENTS)) -eq 0 ] ||
		fail "Slot Status of $PORT still has events $(printf '%#x' $((v & SLTSTA_EVENTS)))"
	echo "$HP_SVC" > /sys/bus/pci_express/drivers/pciehp/bind ||
		fail "binding pciehp to $HP_SVC again"
	[ -e "/sys/bus/pci_express/drivers/pciehp/$HP_SVC" ] ||
		fail "pciehp not bound to $HP_SVC after bind"
	# pciehp acts on an event within milliseconds; give it 2 s to take
	# the nvme away if it were to.
	sleep 2
	[ "$(pci_driver "$NV")" = nvme ] ||
		fail "the nvme $NV is gone or unbound after pciehp was bound again"
	echo "$P: pciehp bound to $HP_SVC again; $NV still present and bound"
}

# unplug DEV: remove DEV in the guest, switch the slot off: QEMU detaches
# the card.
unplug() {
	echo 1 > "$PCI_SYS/$1/remove" || fail "writing remove of $1"
	pci_wait_gone "$1" 30 || fail "$1 still present 30 s after remove"
	if [ "$via" = pciehp ]; then
		# pciehp switches the emptied slot off (after the attention
		# button's 5 s): QEMU unplugs the card.
		host_device_del hp-nvme
		wait_presence 0 30 ||
			fail "a card is still in the slot of $PORT 30 s after device_del"
		return
	fi
	slot_power off
	wait_presence 0 10 ||
		fail "a card is still in the slot of $PORT 10 s after switching it off"
}

# plug: the host plugs a new hp-nvme into the switched-off slot; the guest
# switches the slot on when the card is present and enumerates the bus.
plug() {
	local bus
	slot_present && fail "the slot of $PORT is not empty before device_add"
	host_device_add nvme,id=hp-nvme,bus=hp-port,drive=hp-disk,serial=vtdhp
	# pciehp sees the presence change, powers the slot and enumerates.
	[ "$via" = guest ] || return 0
	wait_presence 1 30 || fail "no card in the slot of $PORT 30 s after device_add"
	slot_power on
	for bus in "$PCI_SYS/$PORT"/pci_bus/*/rescan; do
		[ -e "$bus" ] || fail "no secondary bus below $PORT"
		echo 1 > "$bus" || fail "rescanning the secondary bus of $PORT"
	done
}

# added TAG: the nvme came back after device_add; check it is owned and
# its disk integrity holds.
added() {
	local f0 dom drv ctx t=0
	f0=$1
	wait_nvme 30 || fail "$2: no nvme behind the root port 30 s after the rescan"
	echo "$P: $2: $(pci_describe "$NV")"
	drv_wait_blk "$NV" 60 ||
		fail "$2: no disk below $NV 60 s after the rescan ($(($(drv_faults) - f0)) fault(s) since; driver: $(pci_driver "$NV" || echo none))"
	[ "$(drv_faults)" -eq "$f0" ] ||
		fail "$2: $(($(drv_faults) - f0)) DMA fault(s) since device_add"
	drv=$(drv_dma_field "$NV" driver)
	[ "$drv" = nvme ] || fail "$2: $NV is not owned through the shim (dma/devices driver '${drv:-no record}')"
	dom=$(drv_dma_field "$NV" domain)
	ctx=$(ctx_of "$(sid_of "$NV")")
	echo "$P: $2: context entry: ${ctx:-none}"
	case "$ctx" in
	*" did $dom "*) ;;
	*) fail "$2: the context entry of $NV is not its shim domain $dom's" ;;
	esac
	drv_dma_record "$NV"
	sh /scenarios/disk-integrity.sh loaded=yes kinds=nvme mib="$mib" ||
		fail "$2: disk integrity on the hot-added nvme"
	t=$(drv_faults)
	[ "$t" -eq "$f0" ] || fail "$2: $((t - f0)) DMA fault(s)"
}

# removed TAG: removal while idle: the record and the entry go.
removed() {
	local f0 n sid
	f0=$(drv_faults)
	n=$NV
	sid=$(sid_of "$n")
	unplug "$n"
	echo "$P: $1: $n removed (sysfs remove, then the slot switched off: QEMU detached the card)"
	[ -z "$(drv_dma_field "$n" driver)" ] ||
		fail "$1: the shim still has a record of the removed $n"
	[ -z "$(ctx_of "$sid")" ] ||
		fail "$1: $sid still has a context entry: $(ctx_of "$sid")"
	[ "$(drv_faults)" -eq "$f0" ] || fail "$1: $(($(drv_faults) - f0)) DMA fault(s) during the removal"
	echo "$P: $1: no record, no context entry left for $sid"
}

# --- 0, 1. the nvme, removed before the load ------------------------------
found=$(root_port_nvme) || fail "no nvme behind a root port (qemu-boot.sh --topology pcie-root-port)"
NV=${found% *}
PORT=${found#* }
[ "$(pci_count $NVME)" -eq 1 ] || fail "$(pci_count $NVME) nvme devices; want only the one behind the root port (--devices none)"
echo "$P: nvme $NV behind root port $PORT"
c=$(pci_cap "$PORT" 0x10) || fail "$PORT has no PCI Express capability"
SLTCTL=$((c + 0x18))
SLTSTA=$((c + 0x1a))
t=0
while ! pci_driver "$NV" > /dev/null; do
	[ $t -lt 150 ] || fail "nvme $NV has no driver"
	sleep 0.2
	t=$((t + 1))
done
[ "$via" = pciehp ] || pciehp_unbind
unplug "$NV"
echo "$P: removed before the load: $NV gone, the slot off and empty"

# --- 2. the module ---------------------------------------------------------
insmod "$DRV_KO" own="$own" || fail "insmod vtd_remap.ko own=$own"
echo "$P: insmod vtd_remap.ko own=$own"
[ -f "$DRV_DBG/dma/devices" ] || fail "no $DRV_DBG/dma/devices"

# --- 3, 4. added after the load --------------------------------------------
f0=$(drv_faults)
plug
added "$f0" "first add"
removed "removal while idle"

# --- 6. added again ----------------------------------------------------------
f0=$(drv_faults)
plug
added "$f0" "second add"

# --- 7. unload ----------------------------------------------------------------
vtd_unload || fail "rmmod vtd_remap"
drv_wait_blk "$NV" 60 || fail "no disk below $NV after rmmod"
echo "$P: rmmod: $NV given back, its driver probed again"
[ "$via" = pciehp ] || pciehp_rebind
echo "$P: PASS: nvme hot-added after the load owned through the shim twice, ${mib} MiB verified each time, removed while idle without a stale record"
exit 0
