/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap DMA-API shim: struct dma_map_ops installed on the PCI devices
 * the module owns (module parameter "own"), so that their unmodified
 * drivers (nvme, virtio-blk, ...) map their DMA through our IOVA allocator,
 * page tables and invalidation. The theory of operation, the loading order
 * and the locking open vtd_dma.c.
 */
#ifndef VTD_DMA_H
#define VTD_DMA_H

/**
 * vtd_dma_init() - take the devices named by the "own" parameter
 *
 * For each device: a DMA domain of its own, the device attached to it, our
 * dma_map_ops installed; a device whose driver was bound is unbound first
 * and probed again afterwards. Then the debugfs files under
 * /sys/kernel/debug/vtd_remap/dma/.
 *
 * Context: process, module init, after the units are up; sleeps.
 * Return: 0; -EINVAL for a malformed "own"; -ENODEV if a device named by
 * its PCI address is missing or no unit translates it; -ENOMEM; or the
 * error of the domain code. On error nothing is left taken.
 */
int vtd_dma_init(void);

/**
 * vtd_dma_exit() - give every owned device back
 *
 * Unbinds each device's driver, removes our dma_map_ops, detaches and frees
 * its domain and probes the driver again, now without remapping.
 *
 * Context: process, module exit, before the units go down; sleeps.
 */
void vtd_dma_exit(void);

struct pci_dev;
struct vtd_shadow_pool;

/**
 * vtd_dma_shadow_pool() - the shadow pool of an owned device (for tests)
 * @pdev: the device, whose driver is bound through the shim
 *
 * Return: its pool if it is in shadow mode, else NULL.
 */
struct vtd_shadow_pool *vtd_dma_shadow_pool(struct pci_dev *pdev);

struct vtd_unit;

bool vtd_dma_device_added(struct pci_dev *pdev, struct vtd_unit *unit);
void vtd_dma_device_removed(struct pci_dev *pdev);
void vtd_dma_driver_bound(struct pci_dev *pdev);
void vtd_dma_driver_unbound(struct pci_dev *pdev);

#endif /* VTD_DMA_H */
