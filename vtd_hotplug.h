/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap PCI bus notifier: devices that appear after load (hotplug, a
 * rescan, SR-IOV virtual functions) get their context entries, and the
 * DMA-API shim when "own" covers them, before their drivers probe; devices
 * that go are torn down once their drivers are unbound. The theory opens
 * vtd_hotplug.c.
 */
#ifndef VTD_HOTPLUG_H
#define VTD_HOTPLUG_H

/**
 * vtd_hotplug_init() - register the PCI bus notifier
 *
 * Then gives every device of a unit that has no context entry yet (one
 * added between the units' scan and the registration) its default entries.
 *
 * Context: process, module init, after the units are up and before the
 * shim takes its devices; sleeps.
 * Return: 0 or the error of bus_register_notifier().
 */
int vtd_hotplug_init(void);

/**
 * vtd_hotplug_exit() - unregister the PCI bus notifier
 *
 * Returns once no notifier call is running any more.
 *
 * Context: process, module exit (or a failed init), before the shim gives
 * its devices back and the units go down; sleeps.
 */
void vtd_hotplug_exit(void);

#endif /* VTD_HOTPLUG_H */
