// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap PCI bus notifier: PCI devices that appear or go while the
 * module is loaded.
 *
 * Theory of operation
 *
 * 1. What it is for. The units give context entries to the devices present
 *    at load (vtd_unit.c), and the shim takes the devices "own" names then
 *    (vtd_dma.c). A device that appears later - hot-added behind a
 *    hotplug-capable port, found again by a rescan after a remove, an
 *    SR-IOV virtual function created by writing sriov_numvfs - would have
 *    no context entry, and every DMA of it would fault. A device that goes
 *    away would leave its entries, and an owned one its record in the
 *    shim, holding a reference to the removed pci_dev. This file listens
 *    to the PCI bus and calls down into both layers: the unit layer
 *    (vtd_unit_add_device(), vtd_unit_remove_device()) and the shim
 *    (vtd_dma_device_added(), vtd_dma_device_removed()). Neither calls it.
 *
 * 2. The events.
 *    - BUS_NOTIFY_ADD_DEVICE comes from device_add() after the device is
 *      on the bus's list and before bus_probe_device(); for PCI, before
 *      pci_bus_add_device() even lets drivers match. So no driver is bound
 *      and none can probe while we run: the shim takes the device if "own"
 *      covers it (attach and ops; nothing to unbind), then every source ID
 *      still without an entry gets the default domain's (pass-through or
 *      identity). When the driver probes, its first DMA already goes
 *      through the entry.
 *    - BUS_NOTIFY_REMOVED_DEVICE comes from device_del() after
 *      bus_remove_device(), which unbinds the driver (PCI's removal has
 *      unbound it earlier still, in pci_stop_dev()); BUS_NOTIFY_DEL_DEVICE
 *      comes before it, when a device_del() not preceded by a stop could
 *      still have its driver bound. So at REMOVED the driver is gone: an
 *      owned device is given back with its group, its ops removed,
 *      detached, its record freed and its reference dropped (or, if what
 *      its driver mapped is still mapped, all that later, once it is
 *      freed: vtd_dma.c section 2); then its default entries are cleared,
 *      except a source ID another device still uses (an alias), one
 *      attached to another domain (a group given back later clears them
 *      then), or a blocked one.
 *    - BUS_NOTIFY_BOUND_DRIVER and BUS_NOTIFY_UNBOUND_DRIVER come after a
 *      driver's probe succeeded and after its remove, under the device's
 *      device_lock: the shim counts the drivers bound to its devices,
 *      which keep the module loaded (vtd_dma.c section 2).
 *    - Which unit: vtd_unit_for_pci(), the DRHD scope match of
 *      vtd_dmar.c, computed from bus numbers at each call, so it holds for
 *      a device that did not exist at load when it is under an
 *      INCLUDE_PCI_ALL unit, on a bus behind a scoped bridge (its
 *      secondary to subordinate range, read at load; QEMU's hotplug root
 *      ports), named by an endpoint scope whose path's bridges were present
 *      at load (the endpoint itself need not be: a rescan), or an SR-IOV
 *      VF (its PF's unit: firmware never lists VFs, and QEMU 7.2's q35
 *      DMAR has no INCLUDE_PCI_ALL unit, only a scope per device present
 *      at boot). Not handled: a scope whose path goes through a bridge
 *      absent at load (a hot-added bridge) stays unresolved, bus numbers
 *      read at load are not read again if a rescan renumbers the buses,
 *      and on QEMU a device added in a root-bus slot empty at boot is in
 *      no scope; such a device falls to the segment's INCLUDE_PCI_ALL
 *      unit, if any, else it gets no entry (and no unit translates it
 *      as far as the table says).
 *
 * 3. Locking. The notifier runs in the thread that adds or removes the
 *    device: pciehp's, a sysfs rescan or remove (both under the PCI
 *    rescan/remove lock), or the writer of sriov_numvfs (under the PF's
 *    device_lock, then the rescan/remove lock), always under the PCI
 *    bus's notifier rwsem; for a driver's bind or unbind, in the thread
 *    that binds or unbinds it, under the device's device_lock too. It
 *    takes vtd_dma_mutex (vtd_dma.c section 6) and the unit's mutex, in
 *    that order, never a device_lock: a device being added has no driver
 *    to unbind, a removed one has none left.
 *    The shim never holds vtd_dma_mutex while it unbinds or probes a
 *    driver (which calls the bus notifiers, so takes that rwsem), so the
 *    notifier never waits for a thread that waits for the rwsem; and a
 *    PF driver that adds or removes VFs while the shim unbinds or probes
 *    it causes notifier calls that simply take the mutex.
 * 4. Load and unload. At load the notifier is registered once the units
 *    are up (vtd_unit_for_pci() walks their list) and before the shim
 *    takes its devices; right after registering, every device of a unit
 *    is given its default entries if it has none (vtd_unit_add_device()
 *    changes nothing for a device that has them), under the rescan/remove
 *    lock, so that a device added between the units' scan and the
 *    registration gets its entries, its DMA faulting (recorded, never
 *    reaching memory) only until then. The shim publishes the parsed
 *    "own" before it takes the present devices, under vtd_dma_mutex, so a
 *    device added while it does is taken by whichever of the two gets the
 *    mutex first, and the other finds the record. At unload the notifier
 *    is unregistered first (which waits for a call in flight): no call can
 *    then take a device after the shim gave its devices back, or touch a
 *    unit being freed. A device added after that has no entry until the
 *    unit is turned off a moment later (its DMA faults meanwhile); one
 *    removed after that is given back by the shim's unload, which holds a
 *    reference to it. Binding drivers by hand while vtd_remap loads or
 *    unloads stays unsupported (vtd_dma.c section 2: a probe between the
 *    shim's unbind and its install would bind without it).
 *
 * 5. Failure policy. A device whose entries cannot be written (no memory,
 *    an invalidation error) is reported; its DMA faults. A device "own"
 *    covers that cannot be taken is reported and gets the default entries
 *    instead. The notifier always lets the event go on: it cannot veto an
 *    addition or a removal.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": hotplug: " fmt

#include <linux/device.h>
#include <linux/notifier.h>
#include <linux/pci.h>

#include "vtd_dma.h"
#include "vtd_hotplug.h"
#include "vtd_unit.h"

static void vtd_hotplug_added(struct pci_dev *pdev)
{
	struct vtd_unit *unit = vtd_unit_for_pci(pdev);
	bool owned;
	int ret;

	if (!unit)
		return;
	owned = vtd_dma_device_added(pdev, unit);
	ret = vtd_unit_add_device(unit, pdev);
	if (ret)
		pci_err(pdev, "hotplug: %s: no context entry (%d): its DMA will fault\n",
			unit->name, ret);
	else
		pci_info(pdev, "hotplug: added after load: %s, %s\n",
			 unit->name, owned ? "owned through the shim" :
					     "default context entries");
}

static void vtd_hotplug_removed(struct pci_dev *pdev)
{
	struct vtd_unit *unit = vtd_unit_for_pci(pdev);

	if (!unit)
		return;
	vtd_dma_device_removed(pdev);
	vtd_unit_remove_device(unit, pdev);
	pci_info(pdev, "hotplug: removed: %s entries cleared\n", unit->name);
}

static int vtd_hotplug_notify(struct notifier_block *nb,
			      unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		vtd_hotplug_added(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		vtd_hotplug_removed(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		vtd_dma_driver_bound(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		vtd_dma_driver_unbound(to_pci_dev(dev));
		break;
	default:
		return NOTIFY_DONE;
	}
	return NOTIFY_OK;
}

static struct notifier_block vtd_hotplug_nb = {
	.notifier_call = vtd_hotplug_notify,
};

int vtd_hotplug_init(void)
{
	struct pci_dev *pdev = NULL;
	struct vtd_unit *unit;
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &vtd_hotplug_nb);
	if (ret)
		return ret;
	/* Section 4: whatever appeared between the units' scan and now. */
	pci_lock_rescan_remove();
	for_each_pci_dev(pdev) {
		unit = vtd_unit_for_pci(pdev);
		if (!unit)
			continue;
		ret = vtd_unit_add_device(unit, pdev);
		if (ret)
			pci_err(pdev, "hotplug: %s: no context entry (%d)\n",
				unit->name, ret);
	}
	pci_unlock_rescan_remove();
	return 0;
}

void vtd_hotplug_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &vtd_hotplug_nb);
}
