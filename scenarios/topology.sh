#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# topology: the runner's --topology machines as the guest sees them (found by vendor:device and position), nvme hot-removed and added back over QMP; without vtd_remap.
# shellcheck shell=dash
#
# Checks each topology named in vtd.topology= (qemu-boot.sh sets it from
# its --topology options; at least one is needed):
#   pcie-root-port   an nvme (1b36:0010) directly behind a PCIe root port;
#                    then, host requests: device_del hp-nvme, the nvme
#                    leaves sysfs; device_add it again, it comes back behind
#                    the same port and the nvme driver binds it
#                    (hotplug=no skips the hotplug part)
#   pcie-pci-bridge  two edu devices (1234:11e8) behind one PCIe-to-PCI
#                    bridge: their DMA requester ID is the bridge's
#                    secondary bus, 00.0
#   multifunction    two edu functions in one slot of the root bus
#   nvme-sriov       an nvme offering SR-IOV: sriov_numvfs=2 makes two VFs
#                    appear (same vendor:device, physfn link), 0 removes them
# The module is not loaded: this proves the machines, not vtd_remap.

P=topology
. /scenarios/lib/pci.sh
. /scenarios/lib/host.sh

hotplug=yes
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	hotplug=yes | hotplug=no) hotplug=${a#hotplug=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

NVME=1b36:0010
EDU=1234:11e8
status=0

fail() {
	echo "$P: FAIL: $*"
	status=1
}

topos=$(sed -n 's/.*vtd\.topology=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
if [ -z "$topos" ]; then
	echo "$P: FAIL: no topology (qemu-boot.sh --topology NAME)"
	exit 1
fi

echo "$P: PCI devices:"
for d in "$PCI_SYS"/*; do
	echo "$P:   $(pci_describe "${d##*/}")"
done

# root_port_nvme: the nvme whose parent is a PCIe root port.
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

check_root_port() {
	local found n port n2 port2 t=0
	found=$(root_port_nvme) || { fail "pcie-root-port: no nvme behind a root port"; return; }
	n=${found% *}
	port=${found#* }
	echo "$P: pcie-root-port: nvme $n behind root port $port (bus $(pci_secondary_bus "$port"))"
	[ "$hotplug" = yes ] || return
	# The nvme driver must be bound before the removal (hot-removing a
	# device its driver is still probing is not what this checks).
	while ! pci_driver "$n" > /dev/null; do
		[ $t -lt 50 ] || { fail "pcie-root-port: nvme $n has no driver"; return; }
		sleep 0.2
		t=$((t + 1))
	done
	host_device_del hp-nvme
	if ! pci_wait_gone "$n" 30; then
		fail "pcie-root-port: $n still present 30 s after device_del"
		return
	fi
	echo "$P: pcie-root-port: device_del: $n gone from sysfs"
	host_device_add nvme,id=hp-nvme,bus=hp-port,drive=hp-disk,serial=vtdhp
	t=0
	while ! found=$(root_port_nvme); do
		[ $t -lt 150 ] || { fail "pcie-root-port: no nvme back 30 s after device_add"; return; }
		sleep 0.2
		t=$((t + 1))
	done
	n2=${found% *}
	port2=${found#* }
	[ "$port2" = "$port" ] || fail "pcie-root-port: nvme came back behind $port2, not $port"
	t=0
	while ! pci_driver "$n2" > /dev/null; do
		[ $t -lt 150 ] || { fail "pcie-root-port: nvme $n2 not bound 30 s after device_add"; return; }
		sleep 0.2
		t=$((t + 1))
	done
	echo "$P: pcie-root-port: device_add: $(pci_describe "$n2")"
}

check_pci_bridge() {
	local e p br='' nb=0 bus
	for e in $(pci_list $EDU); do
		p=$(pci_parent "$e") || continue
		[ "$(pci_pcie_type "$p")" = pcie-to-pci ] || continue
		if [ -n "$br" ] && [ "$br" != "$p" ]; then
			fail "pcie-pci-bridge: edus behind two bridges ($br, $p)"
			return
		fi
		br=$p
		nb=$((nb + 1))
		echo "$P: pcie-pci-bridge: edu $e (own ID $(pci_rid "$e")) behind $br"
	done
	if [ $nb -ne 2 ]; then
		fail "pcie-pci-bridge: $nb edu(s) behind a PCIe-to-PCI bridge, want 2"
		return
	fi
	bus=$(pci_secondary_bus "$br")
	echo "$P: pcie-pci-bridge: both DMA as requester ID $(pci_rid "0000:$bus:00.0") (bus $bus, 00.0)"
}

check_multifunction() {
	local e f found=
	for e in $(pci_list $EDU); do
		pci_parent "$e" > /dev/null && continue
		[ "$(pci_fn "$e")" = 0 ] || continue
		f=$(pci_slot_functions "$e" | wc -l)
		[ "$f" -ge 2 ] || continue
		found=$e
		echo "$P: multifunction: slot ${e%.*}: $(pci_slot_functions "$e" | tr '\n' ' ')"
	done
	[ -n "$found" ] || fail "multifunction: no root-bus slot with two edu functions"
}

check_sriov() {
	local n pf='' total vf v nvf
	for n in $(pci_list $NVME); do
		[ -e "$PCI_SYS/$n/sriov_totalvfs" ] || continue
		pf=$n
	done
	[ -n "$pf" ] || { fail "nvme-sriov: no nvme with SR-IOV"; return; }
	read -r total < "$PCI_SYS/$pf/sriov_totalvfs"
	echo "$P: nvme-sriov: PF $pf offers $total VF(s)"
	[ "$total" -ge 2 ] || { fail "nvme-sriov: $total VF(s), want 2"; return; }
	# Not probed here: a VF of QEMU's nvme needs queue and interrupt
	# resources from the PF (NVMe virtualization management) first.
	echo 0 > "$PCI_SYS/$pf/sriov_drivers_autoprobe"
	if ! echo 2 > "$PCI_SYS/$pf/sriov_numvfs"; then
		fail "nvme-sriov: writing 2 to sriov_numvfs failed"
		return
	fi
	nvf=0
	for vf in "$PCI_SYS/$pf"/virtfn*; do
		[ -e "$vf" ] || continue
		v=$(readlink -f "$vf")
		v=${v##*/}
		if [ "$(readlink -f "$PCI_SYS/$v/physfn")" != "$(readlink -f "$PCI_SYS/$pf")" ]; then
			fail "nvme-sriov: VF $v has no physfn link to $pf"
		fi
		echo "$P: nvme-sriov: VF $(pci_describe "$v") requester ID $(pci_rid "$v")"
		nvf=$((nvf + 1))
	done
	[ $nvf -eq 2 ] || fail "nvme-sriov: $nvf VF(s) after sriov_numvfs=2"
	echo 0 > "$PCI_SYS/$pf/sriov_numvfs" || fail "nvme-sriov: sriov_numvfs=0 failed"
	for vf in "$PCI_SYS/$pf"/virtfn*; do
		[ -e "$vf" ] && fail "nvme-sriov: $vf still there after sriov_numvfs=0"
	done
	echo "$P: nvme-sriov: 2 VFs created and removed"
}

for t in $topos; do
	case "$t" in
	pcie-root-port) check_root_port ;;
	pcie-pci-bridge) check_pci_bridge ;;
	multifunction) check_multifunction ;;
	nvme-sriov) check_sriov ;;
	*) fail "unknown topology $t" ;;
	esac
done

if [ $status -eq 0 ]; then
	echo "$P: PASS: $topos"
else
	echo "$P: FAIL"
fi
exit $status
