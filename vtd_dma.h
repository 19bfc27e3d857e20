/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap DMA-API shim: struct dma_map_ops installed on the PCI devices
 * the module owns, so their unmodified drivers map through our domains.
 */
#ifndef VTD_DMA_H
#define VTD_DMA_H

int vtd_dma_init(void);
void vtd_dma_exit(void);

#endif /* VTD_DMA_H */
