# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Shared by every scenario that unloads vtd-remap (sourced by busybox sh
# in the guest, by the other libraries and by the guest's init): one place
# that knows how the module is taken out.
#
# vtd_remap is in use while a driver is bound to a device it owns, and
# after that while ranges the driver mapped are live (vtd_dma.c theory,
# section 2): rmmod alone fails then. Unloading is: unbind the drivers of
# the owned devices (what a user does with sysfs), then rmmod; the unload
# probes their drivers again, without remapping.

# vtd_owned: the PCI names of the devices the shim owns (its debugfs list).
vtd_owned() {
	[ -r /sys/kernel/debug/vtd_remap/dma/devices ] || return 0
	sed -n 's/^\([0-9a-f]\{4\}:[0-9a-f]\{2\}:[0-9a-f]\{2\}\.[0-7]\) driver .*/\1/p' \
		/sys/kernel/debug/vtd_remap/dma/devices
}

# vtd_release: unbind the driver of every owned device that has one.
vtd_release() {
	for d in $(vtd_owned); do
		[ -e "/sys/bus/pci/devices/$d/driver" ] || continue
		echo "$d" > "/sys/bus/pci/devices/$d/driver/unbind" ||
			echo "vtd_release: unbinding the driver of $d failed" >&2
	done
}

# vtd_unload: release the owned devices, then rmmod vtd_remap if it is
# loaded; rmmod's status (0 if it was not loaded). rmmod's own message goes
# to stderr.
vtd_unload() {
	grep -q '^vtd_remap ' /proc/modules || return 0
	vtd_release
	rmmod vtd_remap
}
