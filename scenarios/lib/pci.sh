# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# PCI helpers for the scenarios (sourced by busybox sh in the guest): find
# devices by vendor:device and by topology (the bridge above a device, the
# secondary bus of a bridge, the other functions of a slot, the kind of a
# bridge), never by a fixed address, and wait for a device to appear or go
# (hotplug). Names are sysfs names, "0000:01:00.0"; IDs are "0x1234"-style
# as sysfs prints them, or without the 0x ("1234:11e8").
#
# Shell builtins where a scenario may loop (forks cost about 0.3 s each on
# the sanitizer kernel).

. /scenarios/lib/vtd.sh

PCI_SYS=/sys/bus/pci/devices

# pci_id_norm ID: "1234", "0x1234" or "0X1234" as sysfs prints it, "0x1234".
pci_id_norm() {
	local v=${1#0x}
	v=${v#0X}
	echo "0x$v" | tr 'A-F' 'a-f'
}

# pci_list VENDOR:DEVICE (or VENDOR alone): the names of the matching
# devices, one a line, in bus order.
pci_list() {
	local want_v want_d d v dev
	want_v=$(pci_id_norm "${1%%:*}")
	want_d=
	case "$1" in *:*) want_d=$(pci_id_norm "${1#*:}") ;; esac
	for d in "$PCI_SYS"/*; do
		[ -e "$d/vendor" ] || continue
		read -r v < "$d/vendor" || continue
		[ "$v" = "$want_v" ] || continue
		if [ -n "$want_d" ]; then
			read -r dev < "$d/device" || continue
			[ "$dev" = "$want_d" ] || continue
		fi
		echo "${d##*/}"
	done
}

# pci_count VENDOR:DEVICE: how many such devices.
pci_count() {
	pci_list "$1" | wc -l
}

# pci_first VENDOR:DEVICE: the first such device; status 1 if none.
pci_first() {
	local n
	n=$(pci_list "$1" | head -n 1)
	[ -n "$n" ] || return 1
	echo "$n"
}

# pci_class DEV: the 24-bit class code, e.g. 0x060400 for a bridge.
pci_class() {
	local c
	read -r c < "$PCI_SYS/$1/class" && echo "$c"
}

# pci_is_bridge DEV: true for a PCI-to-PCI bridge (class 0x0604xx; PCIe
# ports and PCIe-to-PCI bridges included).
pci_is_bridge() {
	case "$(pci_class "$1")" in 0x0604*) return 0 ;; esac
	return 1
}

# pci_parent DEV: the bridge DEV sits behind; status 1 (nothing printed)
# for a device on a root bus.
pci_parent() {
	local p
	p=$(readlink -f "$PCI_SYS/$1") || return 1
	p=${p%/*}
	p=${p##*/}
	case "$p" in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7])
		echo "$p"
		;;
	*) return 1 ;;
	esac
}

# pci_secondary_bus BRIDGE: the bus number behind BRIDGE, two hex digits
# ("01"); status 1 if BRIDGE has no bus (not a bridge, or not enumerated).
pci_secondary_bus() {
	local b
	for b in "$PCI_SYS/$1"/pci_bus/*; do
		[ -e "$b" ] || return 1
		b=${b##*/}
		echo "${b##*:}"
		return 0
	done
	return 1
}

# pci_bus_of DEV: DEV's own bus number, two hex digits.
pci_bus_of() {
	local b=${1#*:}
	echo "${b%%:*}"
}

# pci_on_bus BUS: the devices on bus BUS (two hex digits), one a line.
pci_on_bus() {
	local d n
	for d in "$PCI_SYS"/*; do
		n=${d##*/}
		[ "$(pci_bus_of "$n")" = "$1" ] && echo "$n"
	done
}

# pci_behind BRIDGE: the devices directly on BRIDGE's secondary bus.
pci_behind() {
	local b
	b=$(pci_secondary_bus "$1") || return 1
	pci_on_bus "$b"
}

# pci_slot_functions DEV: every function of DEV's slot (DEV included).
pci_slot_functions() {
	local d n slot=${1%.*}
	for d in "$PCI_SYS/$slot".*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		echo "$n"
	done
}

# pci_group_of DEV...: DEV and every device vtd_remap groups with it by the
# multi-function rule (vtd_group.c: functions of one device with no ACS
# share a group; bridges are not members), one a line, each once: what
# own= must name to take DEV. QEMU's multi-function devices (q35's ICH9
# at 00:1f: SATA, SMBus, LPC) have no ACS capability. The rules for
# shared requester IDs and ACS paths are not applied here: the scenarios
# that use this own devices on a root bus.
pci_group_of() {
	local d f
	for d in "$@"; do
		if [ "$(pci_slot_functions "$d" | wc -l)" -gt 1 ]; then
			for f in $(pci_slot_functions "$d"); do
				case "$(pci_class "$f")" in 0x06*) continue ;; esac
				echo "$f"
			done
		else
			echo "$d"
		fi
	done | awk '!seen[$0]++'
}

# pci_fn DEV: the function number (0-7).
pci_fn() {
	echo "${1##*.}"
}

# pci_rid DEV: the requester ID, bus << 8 | device << 3 | function, as
# four hex digits ("0118" for 01:03.0).
pci_rid() {
	local bdf=${1#*:} bus dev fn
	bus=${bdf%%:*}
	dev=${bdf#*:}
	dev=${dev%.*}
	fn=${bdf##*.}
	printf '%04x\n' $(((0x$bus << 8) | (0x$dev << 3) | fn))
}

# pci_config_byte DEV OFFSET: one byte of config space, decimal.
pci_config_byte() {
	od -An -tu1 -j "$2" -N1 "$PCI_SYS/$1/config" 2>/dev/null | tr -d ' '
}

# pci_cap DEV ID: the config offset of the first capability with this ID
# (decimal, 0x10 is PCI Express); status 1 if DEV has none.
pci_cap() {
	local p id n=0
	p=$(pci_config_byte "$1" 52) || return 1
	while [ -n "$p" ] && [ "$p" -ne 0 ] && [ $n -lt 48 ]; do
		id=$(pci_config_byte "$1" "$p")
		if [ "$id" = "$(($2))" ]; then
			echo "$p"
			return 0
		fi
		p=$(pci_config_byte "$1" $((p + 1)))
		n=$((n + 1))
	done
	return 1
}

# pci_pcie_type DEV: the PCI Express device/port type: endpoint,
# legacy-endpoint, root-port, upstream-port, downstream-port,
# pcie-to-pci (a PCIe-to-PCI bridge), pci-to-pcie, rc-endpoint,
# rc-event-collector; "pci" without a PCI Express capability.
pci_pcie_type() {
	local c v
	c=$(pci_cap "$1" 0x10) || { echo pci; return 0; }
	v=$(pci_config_byte "$1" $((c + 2)))
	case $(((v >> 4) & 15)) in
	0) echo endpoint ;;
	1) echo legacy-endpoint ;;
	4) echo root-port ;;
	5) echo upstream-port ;;
	6) echo downstream-port ;;
	7) echo pcie-to-pci ;;
	8) echo pci-to-pcie ;;
	9) echo rc-endpoint ;;
	10) echo rc-event-collector ;;
	*) echo "unknown-$(((v >> 4) & 15))" ;;
	esac
}

# pci_driver DEV: the bound driver's name; status 1 if none.
pci_driver() {
	local l
	l=$(readlink "$PCI_SYS/$1/driver") || return 1
	echo "${l##*/}"
}

# pci_wait_count VENDOR:DEVICE N SECS: wait until exactly N such devices
# are on the bus (a hotplug or removal took effect); status 1 if SECS
# pass first. Rescans nothing: the kernel's hotplug driver does that.
pci_wait_count() {
	local t=0
	while [ "$(pci_count "$1")" -ne "$2" ]; do
		[ $t -ge $(($3 * 5)) ] && return 1
		sleep 0.2
		t=$((t + 1))
	done
	return 0
}

# pci_wait_gone DEV SECS: wait until DEV's sysfs entry is gone.
pci_wait_gone() {
	local t=0
	while [ -e "$PCI_SYS/$1" ]; do
		[ $t -ge $(($2 * 5)) ] && return 1
		sleep 0.2
		t=$((t + 1))
	done
	return 0
}

# pci_describe DEV: "DEV vendor:device class type [behind BRIDGE] [driver D]".
pci_describe() {
	local v d p drv
	read -r v < "$PCI_SYS/$1/vendor"
	read -r d < "$PCI_SYS/$1/device"
	p=$(pci_parent "$1") || p=
	drv=$(pci_driver "$1") || drv=
	echo "$1 ${v#0x}:${d#0x} $(pci_class "$1") $(pci_pcie_type "$1")${p:+ behind $p}${drv:+ driver $drv}"
}
