/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap second-level page tables: public interface.
 *
 * Builds the tables a VT-d unit walks for DMA remapping (VT-d specification
 * 3.7 and 9.8): 3-level for 39-bit and 4-level for 48-bit input addresses,
 * with 4 KiB pages and 2 MiB / 1 GiB superpages. This code never touches
 * registers: the unit code tells it what the unit can do, and is called
 * back to invalidate. The theory of operation opens vtd_pgtable.c.
 */
#ifndef VTD_PGTABLE_H
#define VTD_PGTABLE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "vtd_pool.h"

/* Permissions for vtd_pgtable_map(). */
#define VTD_PGT_READ		BIT(0)	/* DMA reads allowed */
#define VTD_PGT_WRITE		BIT(1)	/* DMA writes allowed */
#define VTD_PGT_SNOOP		BIT(2)	/* force snooping, if the unit can */
#define VTD_PGT_NO_MAP_FLUSH	BIT(3)	/* caller calls iotlb_map itself */
/*
 * A tag (1..VTD_PGT_TAG_MAX) the first leaf of a map keeps for its caller,
 * in entry bits 61:52, which the unit ignores (VT-d 9.8): a range can say
 * what it is without a lookup elsewhere. vtd_pgtable_take_tag() takes it
 * back; an unmap or a superpage split drops it.
 */
#define VTD_PGT_TAG_SHIFT	8
#define VTD_PGT_TAG_MAX		0x3ff
#define VTD_PGT_TAG(t)		((t) << VTD_PGT_TAG_SHIFT)

/* The tag a leaf entry (from vtd_pgtable_leaf()) carries; 0 if none. */
static inline unsigned int vtd_pgtable_pte_tag(u64 pte)
{
	return (pte >> 52) & VTD_PGT_TAG_MAX;
}

/* vtd_pgtable_cfg.page_sizes: what CAP.SLLPS (bits 37:34) allows. */
#define VTD_PGT_SZ_2M		BIT(0)	/* CAP.SLLPS bit 0: 2 MiB pages */
#define VTD_PGT_SZ_1G		BIT(1)	/* CAP.SLLPS bit 1: 1 GiB pages */

/**
 * struct vtd_pgtable_flush_ops - invalidation the unit code does for us
 * @iotlb_sync: the translations of [@iova, @iova + @size) changed from
 *	present to not present (and, if @tables is true, some non-leaf
 *	entries were cleared too): invalidate the IOTLB for the range and,
 *	with @tables, the paging-structure caches, and wait for completion.
 *	Called from vtd_pgtable_sync(), in its caller's context. Returns 0,
 *	or a negative errno if the invalidation may not have completed: the
 *	table pages taken out of the tree are then never freed.
 * @iotlb_map: optional; [@iova, @iova + @size) went from not present to
 *	present. Units with CAP.CM (caching mode) need an invalidation for
 *	that too; set it to NULL otherwise. Called at the end of a
 *	successful vtd_pgtable_map() without VTD_PGT_NO_MAP_FLUSH (a caller
 *	that maps several pieces of one range passes that flag and covers
 *	the whole range once itself), in its caller's context, so it must not
 *	block when maps are made in atomic context. Its result is ignored:
 *	the unit code reports its own invalidation errors.
 */
struct vtd_pgtable_flush_ops {
	int (*iotlb_sync)(void *cookie, u64 iova, u64 size, bool tables);
	int (*iotlb_map)(void *cookie, u64 iova, u64 size);
};

/**
 * struct vtd_pgtable_cfg - what the unit supports and what is asked of it
 * @sagaw:	CAP.SAGAW (CAP bits 12:8): bit 1 for 3-level (39-bit) and
 *		bit 2 for 4-level (48-bit) tables.
 * @page_sizes:	CAP.SLLPS (CAP bits 37:34): VTD_PGT_SZ_2M, VTD_PGT_SZ_1G.
 *		1 GiB pages are used only together with 2 MiB pages (an
 *		unmap splits a 1 GiB page into 2 MiB ones).
 * @aw_bits:	the input address width asked for (at most 48).
 * @coherent:	ECAP.C: the unit's page walk snoops the CPU caches. If
 *		false, every table write is flushed with clflush.
 * @snoop_ctl:	ECAP.SC: leaf entries may set SNP (otherwise it is
 *		reserved and setting it faults).
 * @ops:	invalidation callbacks.
 * @cookie:	passed to every callback.
 * @pool:	where table pages come from; outlives the table.
 */
struct vtd_pgtable_cfg {
	unsigned int sagaw;
	unsigned int page_sizes;
	unsigned int aw_bits;
	bool coherent;
	bool snoop_ctl;
	const struct vtd_pgtable_flush_ops *ops;
	void *cookie;
	struct vtd_pool *pool;
};

/**
 * struct vtd_pgtable - one second-level page table
 * @cfg:	the configuration it was made with.
 * @root:	the top table page (level @levels); never freed before
 *		vtd_pgtable_destroy().
 * @levels:	3 or 4.
 * @aw_bits:	input addresses are below 2^@aw_bits; -ERANGE above.
 * @leaf_levels: bit N set iff a leaf may sit at level N (1 always; 2
 *		with 2 MiB pages; 3 with 1 GiB and 2 MiB pages).
 * @reclaim_lock: shared by lookup, walk and the checker, exclusive for
 *		freeing emptied tables; map and unmap do not take it. Always
 *		taken with IRQs off (see the theory statement, section 5).
 * @nr_tables:	table pages in the tree, root included.
 * @split_failures: unmaps that stopped short because a superpage could
 *		not be split for lack of a page.
 * @sync_failures: invalidations that failed; their table pages leaked.
 * @resv_failures: sleeping unmaps that could not reserve their split
 *		pages and went on without (see vtd_pgtable_unmap()).
 */
struct vtd_pgtable {
	struct vtd_pgtable_cfg cfg;
	u64 *root;
	unsigned int levels;
	unsigned int aw_bits;
	unsigned int leaf_levels;
	rwlock_t reclaim_lock;	/* excludes table freeing from readers */
	atomic_long_t nr_tables;
	atomic_long_t split_failures;
	atomic_long_t sync_failures;
	atomic_long_t resv_failures;
};

/**
 * struct vtd_pgtable_gather - what a map or unmap leaves to invalidate
 * @freelist:	table pages taken out of the tree (struct page lru); the
 *		unit may still walk them until the invalidation completes.
 * @nr_freed:	pages on @freelist.
 * @start:	lowest IOVA whose translation changed.
 * @last:	highest such IOVA (inclusive); @start > @last: none.
 * @tables:	non-leaf entries were cleared.
 *
 * Initialise with vtd_pgtable_gather_init(); finish with
 * vtd_pgtable_sync(), which invalidates and then frees @freelist.
 */
struct vtd_pgtable_gather {
	struct list_head freelist;
	unsigned long nr_freed;
	u64 start;
	u64 last;
	bool tables;
};

/**
 * vtd_pgtable_gather_init() - make a gather empty
 * @g: the gather
 */
static inline void vtd_pgtable_gather_init(struct vtd_pgtable_gather *g)
{
	INIT_LIST_HEAD(&g->freelist);
	g->nr_freed = 0;
	g->start = U64_MAX;
	g->last = 0;
	g->tables = false;
}

/**
 * struct vtd_pgtable_run - one physically contiguous run of a map_runs
 * @iova: its first IOVA
 * @phys: its first physical address
 * @size: its bytes
 */
struct vtd_pgtable_run {
	u64 iova;
	phys_addr_t phys;
	u64 size;
};

/*
 * Fills up to @max runs of a vtd_pgtable_map_runs(), the next ones in
 * order; returns how many (0: there are no more).
 */
typedef unsigned int (*vtd_pgtable_next_runs)(void *cookie,
					      struct vtd_pgtable_run *runs,
					      unsigned int max);

int vtd_pgtable_init(struct vtd_pgtable *pgt,
		     const struct vtd_pgtable_cfg *cfg);
void vtd_pgtable_destroy(struct vtd_pgtable *pgt);
unsigned long vtd_pgtable_abandon(struct vtd_pgtable *pgt);

int vtd_pgtable_map(struct vtd_pgtable *pgt, u64 iova, phys_addr_t phys,
		    u64 size, int prot, gfp_t gfp, struct vtd_pool_resv *resv,
		    struct vtd_pgtable_gather *gather);
int vtd_pgtable_map_runs(struct vtd_pgtable *pgt, u64 iova, u64 size,
			 vtd_pgtable_next_runs next, void *cookie, int prot,
			 gfp_t gfp, struct vtd_pool_resv *resv, u64 *mapped,
			 struct vtd_pgtable_gather *gather);
u64 vtd_pgtable_unmap(struct vtd_pgtable *pgt, u64 iova, u64 size,
		      gfp_t gfp, struct vtd_pool_resv *resv,
		      struct vtd_pgtable_gather *gather);
int vtd_pgtable_sync(struct vtd_pgtable *pgt,
		     struct vtd_pgtable_gather *gather);
int vtd_pgtable_lookup(struct vtd_pgtable *pgt, u64 iova, phys_addr_t *phys);
int vtd_pgtable_leaf(struct vtd_pgtable *pgt, u64 iova, u64 *pte,
		     unsigned int *level);
unsigned int vtd_pgtable_take_tag(struct vtd_pgtable *pgt, u64 iova);
int vtd_pgtable_check(struct vtd_pgtable *pgt);

unsigned long vtd_pgtable_map_pages(unsigned int levels, u64 size);
unsigned long vtd_pgtable_map_pages_at(const struct vtd_pgtable *pgt,
				       u64 iova, phys_addr_t phys, u64 size);
/*
 * The most table pages one unmap can need: it splits at most the first and
 * the last superpage it only partly covers, and a 1 GiB split can lead to
 * a 2 MiB split below it: 2 * 2.
 */
#define VTD_PGT_UNMAP_PAGES	4

phys_addr_t vtd_pgtable_root_phys(const struct vtd_pgtable *pgt);
unsigned int vtd_pgtable_context_aw(const struct vtd_pgtable *pgt);

/**
 * struct vtd_pgtable_walk_entry - one present entry, as vtd_pgtable_walk()
 *	reports it
 * @iova:	first IOVA the entry covers.
 * @size:	bytes it covers: the size of its level.
 * @pte:	the raw entry (VT-d 9.8).
 * @phys:	the page it maps (@leaf) or the table it points at.
 * @level:	1 (SL-PTE) .. 4 (SL-PML4E).
 * @leaf:	a page (4 KiB, 2 MiB or 1 GiB), not a table pointer.
 */
struct vtd_pgtable_walk_entry {
	u64 iova;
	u64 size;
	u64 pte;
	phys_addr_t phys;
	unsigned int level;
	bool leaf;
};

int vtd_pgtable_walk(struct vtd_pgtable *pgt, u64 from,
		     int (*fn)(void *arg,
			       const struct vtd_pgtable_walk_entry *e),
		     void *arg);

#endif /* VTD_PGTABLE_H */
