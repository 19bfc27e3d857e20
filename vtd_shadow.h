/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap shadow buffers: per-domain pools of buffers mapped once into
 * a DMA domain's IOVA space, through which the DMA-API shim copies the
 * streaming DMA of devices in the "shadow" unmap mode, so that an unmap
 * needs no IOTLB invalidation and the device never reaches the driver's
 * own memory. Public interface; the theory of operation (invariants,
 * locking, memory bound, failure policy) opens vtd_shadow.c.
 */
#ifndef VTD_SHADOW_H
#define VTD_SHADOW_H

#include <linux/bits.h>
#include <linux/dma-direction.h>
#include <linux/types.h>

struct seq_file;
struct vtd_domain;
struct vtd_shadow_pool;

/* Size classes: 512 bytes << 0 .. 7, up to 64 KiB. */
#define VTD_SHADOW_MIN_SHIFT	9
#define VTD_SHADOW_NR_CLASSES	8
#define VTD_SHADOW_MAX_SHIFT	(VTD_SHADOW_MIN_SHIFT + VTD_SHADOW_NR_CLASSES - 1)
/* A chunk: the unit of growth and trimming, one naturally aligned range. */
#define VTD_SHADOW_CHUNK_SHIFT	16
#define VTD_SHADOW_CHUNK_SIZE	BIT(VTD_SHADOW_CHUNK_SHIFT)
/* Slots per CPU and class kept away from the depot. */
#define VTD_SHADOW_MAG		16

/**
 * struct vtd_shadow_stats - a pool's counters (summed over CPUs)
 * @chunks:	chunks mapped now (each VTD_SHADOW_CHUNK_SIZE).
 * @bytes:	their bytes; at most @max_bytes.
 * @max_bytes:	the pool's memory bound (shadow_pool_kib when it was made).
 * @in_use:	slots handed out and not given back.
 * @takes:	shadows handed out so far.
 * @hits:	of which straight from this CPU's magazine.
 * @grows:	chunks added.
 * @trims:	chunks unmapped (strictly) and freed by trimming.
 * @trim_failed: chunks whose unmap's invalidation failed (pages leaked).
 * @fb_size:	fallbacks to a zero-copy strict mapping: above shadow_max.
 * @fb_bound:	fallbacks: the pool at its bound.
 * @fb_nomem:	fallbacks: no memory for a chunk (GFP_ATOMIC failed).
 * @fb_range:	fallbacks: the slot out of the device's mask or segment
 *		boundary, or a page the CPU cannot copy (peer-to-peer).
 * @copies_in:	copies driver -> shadow (map, sync_for_device).
 * @copies_out:	copies shadow -> driver (unmap, sync_for_cpu).
 * @bytes_in:	bytes copied in.
 * @bytes_out:	bytes copied out.
 * @bad:	unmaps or syncs of shadow addresses not handed out.
 * @per_class:	chunks now, per class.
 */
struct vtd_shadow_stats {
	unsigned long chunks;
	u64 bytes;
	u64 max_bytes;
	long in_use;
	u64 takes;
	u64 hits;
	u64 grows;
	u64 trims;
	u64 trim_failed;
	u64 fb_size;
	u64 fb_bound;
	u64 fb_nomem;
	u64 fb_range;
	u64 copies_in;
	u64 copies_out;
	u64 bytes_in;
	u64 bytes_out;
	u64 bad;
	unsigned long per_class[VTD_SHADOW_NR_CLASSES];
};

struct vtd_shadow_pool *vtd_shadow_pool_create(struct vtd_domain *dom,
					       size_t max_bytes);
void vtd_shadow_pool_destroy(struct vtd_shadow_pool *pool);

int vtd_shadow_map(struct vtd_shadow_pool *pool, phys_addr_t phys,
		   size_t size, u64 align_mask, u64 limit,
		   unsigned long boundary, enum dma_data_direction dir,
		   bool copy, dma_addr_t *dma);
int vtd_shadow_unmap(struct vtd_shadow_pool *pool, dma_addr_t addr,
		     size_t size, enum dma_data_direction dir, bool copy);
int vtd_shadow_sync(struct vtd_shadow_pool *pool, dma_addr_t addr,
		    size_t size, enum dma_data_direction dir, bool for_cpu);
unsigned long vtd_shadow_trim(struct vtd_shadow_pool *pool,
			      unsigned long max_chunks);
unsigned long vtd_shadow_chunks(struct vtd_shadow_pool *pool);
void vtd_shadow_get_stats(struct vtd_shadow_pool *pool,
			  struct vtd_shadow_stats *st);
void vtd_shadow_show(struct seq_file *m, struct vtd_shadow_pool *pool);
size_t vtd_shadow_max(void);
bool vtd_shadow_fits(struct vtd_shadow_pool *pool, size_t size);

#endif /* VTD_SHADOW_H */
