// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap second-level page tables: the tables a VT-d unit walks to
 * translate a device's DMA address (IOVA) into a physical address.
 *
 * 1. Concepts (VT-d specification, 3.7 "Second-Level Translation" and
 *    9.8 "Second-Level Paging Entries")
 *
 *    A table page holds 512 64-bit entries; each level resolves 9 bits of
 *    the IOVA above the 12-bit page offset. This file numbers levels from
 *    the leaves up, the way the specification's entry names stack:
 *
 *      level 4  SL-PML4E  IOVA bits 47:39  512 GiB per entry, always a table
 *      level 3  SL-PDPE   IOVA bits 38:30  1 GiB page (PS=1) or a table
 *      level 2  SL-PDE    IOVA bits 29:21  2 MiB page (PS=1) or a table
 *      level 1  SL-PTE    IOVA bits 20:12  4 KiB page
 *
 *    A 3-level table (39-bit input, context-entry AW=1, SAGAW bit 1) has
 *    its root at level 3; a 4-level table (48-bit, AW=2, SAGAW bit 2) at
 *    level 4 (9.3 "Context Entry", 10.4.2 "Capability Register"). An entry
 *    is present iff R or W is set. Every present entry carries its
 *    permissions and the unit checks them at every level (3.7.1), so a
 *    non-leaf entry has both R and W and the leaf decides. SNP (bit 11) is
 *    reserved unless ECAP.SC is set. Superpages need CAP.SLLPS bit 0 (2 MiB)
 *    or bit 1 (1 GiB).
 *
 * 2. Data structures
 *
 *    struct vtd_pgtable holds the root table page and a few numbers from
 *    which every level's shift and size are computed. Table pages come
 *    from a struct vtd_pool and are identified by their kernel address;
 *    entries hold physical addresses. Pages taken out of the tree go on a
 *    caller-owned gather (linked through struct page, never through the
 *    page's contents: the unit may walk the page until it is invalidated).
 *
 * 3. Invariants (checked by vtd_pgtable_check())
 *
 *    a. An entry is a leaf iff it is at level 1, or it is at level 2 or 3
 *       with PS set; PS is set only where the unit supports that size.
 *    b. A non-leaf entry is R | W | the address of a table page in the
 *       tree, and nothing else.
 *    c. A leaf's address is aligned to its level's size; its reserved bits
 *       (6:2, 10:8, SNP without ECAP.SC, 63:62, 20:12 of a 2 MiB and 29:12
 *       of a 1 GiB page) are clear. Bits 61:52, which the unit ignores,
 *       hold a leaf's tag (section 4) and are clear in a table entry.
 *    d. An unmap, or the undo of a failed map, takes out of the tree every
 *       table it finds empty whose whole span lies inside its range, and no
 *       other: a table whose span reaches outside the range may be in use
 *       by a neighbour (section 5), so it stays, empty or not, until an
 *       unmap covering its span or vtd_pgtable_destroy(). Empty tables
 *       other than the root can therefore exist; they cost memory, never
 *       correctness.
 *    e. nr_tables counts the table pages in the tree, root included.
 *    f. With ECAP.C=0, every entry the unit may read is in memory, not only
 *       in a CPU cache, before the entry that points at it is published;
 *       and a map returns only once every entry on the walk to its leaves
 *       is in memory, including table entries another CPU published: the
 *       walk clflushes the entry it descends through at every level (one
 *       cache line per table, next to the 512 entries it may write).
 *
 * 4. Operations
 *
 *    map() walks down one level per step and puts each chunk in the
 *    largest page that the alignment of IOVA and physical address, the
 *    bytes left and the unit allow. A missing table is made from the pool
 *    and published with cmpxchg(); whoever loses that race puts its page
 *    back and uses the winner's. A leaf is installed with cmpxchg() from
 *    zero, so a live entry is never overwritten: -EEXIST. Where a
 *    superpage would fit but the slot already holds a table (one left
 *    empty by an earlier partial unmap, 3d), the map descends into it and
 *    uses smaller pages; -EEXIST only ever means a leaf is in the way.
 *    map_runs() is one map of several physically contiguous runs at
 *    rising IOVAs inside one span (a scatterlist's segments): the walk
 *    goes on from one run to the next without climbing back to the root,
 *    so runs that share a leaf table cost one descent and one flush of
 *    its new entries; map() is map_runs() of one run.
 *    unmap() clears whole leaves inside the range; a superpage the range
 *    only partly covers is first replaced by a table of the next size
 *    down with the same translations (the unit sees the old or the new
 *    entry, both translate the same), and the walk continues in it.
 *    A map may leave a tag (VTD_PGT_TAG()) on its first leaf, for its
 *    caller to find the map by; take_tag() clears it with cmpxchg(), so
 *    one caller gets it, and only at the leaf's first byte. A split or
 *    an unmap drops it. The unit ignores those bits: changing them needs
 *    no flush and no invalidation.
 *
 * 5. Locking
 *
 *    No lock orders table writes: callers own disjoint IOVA ranges, and two
 *    operations on disjoint ranges touch disjoint entries except where they
 *    create the same table, which cmpxchg() settles.
 *
 *    Map and unmap take no lock either. The one step that could hurt
 *    another operation is freeing an emptied table, and by 3d a reclaim
 *    frees only a table whose whole span lies inside its own range. Every
 *    table a map or unmap of another range walks or fills has a span that
 *    holds some of that other range, so it is never one of them: a map or
 *    unmap never meets a table being freed, and the tables its range
 *    shares with its neighbours (parents) are never freed by them. Only
 *    the owner of a range can empty the tables wholly inside it, so the
 *    reclaim's emptiness check needs no barrier against other ranges.
 *
 *    take_tag() takes no lock either. For a range its caller owns, the
 *    argument above keeps every table on its walk in the tree. For any
 *    other address it may walk a table being freed; an RCU read side
 *    keeps that memory safe, since the pool hands pages back to the page
 *    allocator only after a grace period (vtd_pool.c), and the answer is
 *    then only a hint.
 *
 *    Readers of ranges they do not own do meet tables being freed: lookup
 *    and walk (debugfs dumps) and the checker. pgt->reclaim_lock, a rwlock,
 *    is held shared by them and exclusive by the reclaim pass, so no reader
 *    is inside a table when it leaves the tree. Readers never wait on each
 *    other, maps and unmaps never wait at all; reclaims wait for readers
 *    and for each other. Unmaps, and so reclaims, may run in interrupt
 *    context, so every side takes the lock with IRQs off (irqsave): a
 *    reader interrupted on its own CPU by a reclaim would deadlock it. Lock
 *    order: reclaim_lock, then pool->lock.
 *
 *    The lock keeps CPUs out of a freed table, not the unit: until the
 *    invalidation of vtd_pgtable_sync() the unit may still walk through a
 *    cleared entry to the table it pointed at (paging-structure caches).
 *    A neighbour that built a new table in its place and mapped there
 *    would fault meanwhile. 3d prevents that too: the caller owns the range
 *    of a freed table until its sync has completed, so nobody maps there
 *    before the unit has forgotten the old table.
 *
 * 6. Failure policy
 *
 *    A map either succeeds whole or changes nothing: on failure it undoes
 *    what it installed and reclaims the tables it made, giving back through
 *    the gather what the unit may have seen. -EINVAL for misaligned or
 *    empty requests, no permission, a physical range reaching past
 *    2^52 (checked without computing an end that could wrap), or a
 *    map_runs() run out of order or outside its span, -ERANGE
 *    outside the address width, -EEXIST over a live entry, -ENOMEM when
 *    the pool has no page for it (in atomic context without a
 *    reservation, or by failure injection).
 *    A caller that may sleep (GFP_KERNEL) has the map or unmap reserve its
 *    worst case first, before any lock, so that inside the walk no
 *    operation ever calls the page allocator.
 *    A sleeping unmap whose reservation fails goes on without one (leaves
 *    need no page), counted in resv_failures, so it fails only where a
 *    split does.
 *    An unmap that cannot split a superpage for lack of a page stops there,
 *    counts it in split_failures (with a rate-limited warning) and returns
 *    the bytes it did unmap; the rest of the range is still mapped and the
 *    caller must not reuse that IOVA. A failed invalidation (iotlb_sync
 *    returning an error) leaks the gathered table pages rather than free
 *    pages the unit may still walk; counted in sync_failures, warned once.
 *    Bad arguments are API misuse: WARN_ON_ONCE and recover. The parameter
 *    pgtable_check runs the O(n) checker after every map and unmap, for
 *    the tests.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": pgtable: " fmt

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <asm/cacheflush.h>

#include "vtd_pgtable.h"

static bool pgtable_check;
module_param(pgtable_check, bool, 0644);
MODULE_PARM_DESC(pgtable_check, "Run the O(n) page-table checker after every map and unmap");

/* Entry format, VT-d 9.8 (the same four bits in every level). */
#define PGT_R			BIT_ULL(0)
#define PGT_W			BIT_ULL(1)
#define PGT_PS			BIT_ULL(7)	/* level 2 and 3 only */
#define PGT_SNP			BIT_ULL(11)	/* leaves, with ECAP.SC */
#define PGT_ADDR		GENMASK_ULL(51, 12)
#define PGT_TAG			GENMASK_ULL(61, 52)	/* ignored: the caller's tag */
#define PGT_LEAF_ATTR		(PGT_R | PGT_W | PGT_SNP)
/* Entries hold address bits 51:12: physical addresses end below 2^52. */
#define PGT_PHYS_LIMIT		BIT_ULL(52)

#define PGT_PAGE_SHIFT		12
#define PGT_LEVEL_BITS		9
#define PGT_ENTRIES		BIT(PGT_LEVEL_BITS)
#define PGT_MIN_AW		30	/* one level-3 entry: 1 GiB */
#define PGT_MAX_AW		48	/* 4 levels */

/* CAP.SAGAW bits (10.4.2). */
#define PGT_SAGAW_3LVL		BIT(1)
#define PGT_SAGAW_4LVL		BIT(2)

static_assert(PGT_ENTRIES * sizeof(u64) == PAGE_SIZE);
static_assert(PGT_PAGE_SHIFT + 4 * PGT_LEVEL_BITS == PGT_MAX_AW);

/* --- level arithmetic ------------------------------------------------ */

static unsigned int pgt_level_shift(unsigned int level)
{
	return PGT_PAGE_SHIFT + (level - 1) * PGT_LEVEL_BITS;
}

/* Bytes one entry at @level maps. */
static u64 pgt_level_size(unsigned int level)
{
	return 1ULL << pgt_level_shift(level);
}

static unsigned int pgt_index(u64 iova, unsigned int level)
{
	return (iova >> pgt_level_shift(level)) & (PGT_ENTRIES - 1);
}

/* End (exclusive) of the span the table at @level holding @iova covers. */
static u64 pgt_table_end(u64 iova, unsigned int level)
{
	unsigned int shift = pgt_level_shift(level) + PGT_LEVEL_BITS;

	return ((iova >> shift) + 1) << shift;
}

static bool pgt_leaf_ok(const struct vtd_pgtable *pgt, unsigned int level)
{
	return pgt->leaf_levels & BIT(level);
}

/* --- entries --------------------------------------------------------- */

static bool pgt_present(u64 pte)
{
	return pte & (PGT_R | PGT_W);
}

static bool pgt_is_leaf(u64 pte, unsigned int level)
{
	return level == 1 || (pte & PGT_PS);
}

static phys_addr_t pgt_pte_phys(u64 pte)
{
	return (phys_addr_t)FIELD_GET(PGT_ADDR, pte) << PGT_PAGE_SHIFT;
}

static u64 *pgt_pte_table(u64 pte)
{
	return phys_to_virt(pgt_pte_phys(pte));
}

static u64 pgt_mk_table(u64 *table)
{
	return PGT_R | PGT_W |
	       FIELD_PREP(PGT_ADDR, virt_to_phys(table) >> PGT_PAGE_SHIFT);
}

/* A leaf at @level; @attr holds only PGT_LEAF_ATTR bits. */
static u64 pgt_mk_leaf(phys_addr_t phys, unsigned int level, u64 attr)
{
	return attr | (level > 1 ? PGT_PS : 0) |
	       FIELD_PREP(PGT_ADDR, phys >> PGT_PAGE_SHIFT);
}

/* --- cache maintenance and gathering --------------------------------- */

/* Push table memory out to RAM for a unit whose walk does not snoop. */
static void pgt_flush(const struct vtd_pgtable *pgt, void *va, size_t len)
{
	if (!pgt->cfg.coherent)
		clflush_cache_range(va, len);
}

/* Flush entries [first, last] of @table, if any were written (first >= 0). */
static void pgt_flush_entries(const struct vtd_pgtable *pgt, u64 *table,
			      int first, int last)
{
	if (first >= 0)
		pgt_flush(pgt, &table[first], (last - first + 1) * sizeof(u64));
}

static void pgt_gather_add(struct vtd_pgtable_gather *g, u64 iova, u64 size)
{
	g->start = min(g->start, iova);
	g->last = max(g->last, iova + size - 1);
}

/* Take a table page out of the tree: it goes free after invalidation. */
static void pgt_gather_table(struct vtd_pgtable *pgt,
			     struct vtd_pgtable_gather *g, u64 *table)
{
	list_add_tail(&virt_to_page(table)->lru, &g->freelist);
	g->nr_freed++;
	g->tables = true;
	atomic_long_dec(&pgt->nr_tables);
}

/* --- map ------------------------------------------------------------- */

/* Runs a map_runs() asks its iterator for at a time (on its stack). */
#define PGT_RUN_BATCH		8

/*
 * One map call's progress: [iova, run_end) is what is left of the current
 * run, at phys; the runs after it are buf[ibuf, nbuf), then what @next
 * gives, all inside [iova, end).
 */
struct pgt_map_state {
	u64 iova;
	u64 end;
	u64 run_end;
	phys_addr_t phys;
	u64 attr;		/* PGT_LEAF_ATTR bits of every leaf */
	u64 tag;		/* PGT_TAG bits of the next leaf, then 0 */
	u64 mapped;		/* bytes of leaves installed */
	struct vtd_pool_resv *resv;
	vtd_pgtable_next_runs next;
	void *cookie;
	struct vtd_pgtable_run *buf;	/* PGT_RUN_BATCH, or NULL: one run */
	unsigned int nbuf;
	unsigned int ibuf;
};

/*
 * The table below *@ptep (at @level > 1), made and published if missing.
 * With ECAP.C=0, *@ptep is flushed whoever published it (invariant 3f):
 * the walk goes on to fill that table, and the unit must reach it from
 * memory before this map returns. Return: the table, or ERR_PTR.
 */
static u64 *pgt_get_table(struct vtd_pgtable *pgt, u64 *ptep,
			  unsigned int level, struct pgt_map_state *s)
{
	u64 pte = READ_ONCE(*ptep);
	u64 *table;

	if (!pte) {
		table = vtd_pool_get(pgt->cfg.pool, s->resv, GFP_NOWAIT);
		if (!table)
			return ERR_PTR(-ENOMEM);
		/* The zeroed page must be in RAM before the unit can reach it. */
		pgt_flush(pgt, table, PAGE_SIZE);
		/*
		 * Order the zeroing (and the clflush) before the entry that
		 * publishes the table; cmpxchg() is fully ordered for CPUs,
		 * dma_wmb() states the order the unit relies on.
		 */
		dma_wmb();
		pte = cmpxchg64(ptep, 0ULL, pgt_mk_table(table));
		if (!pte) {
			atomic_long_inc(&pgt->nr_tables);
			pte = pgt_mk_table(table);
		} else {
			/* Lost the race: use the winner's table, ours is zero. */
			vtd_pool_put(pgt->cfg.pool, table);
		}
	}
	if (pgt_is_leaf(pte, level))
		return ERR_PTR(-EEXIST);
	pgt_flush(pgt, ptep, sizeof(*ptep));
	return pgt_pte_table(pte);
}

/*
 * A run from @next for a map at [s->iova, s->end), checked: 4 KiB aligned,
 * not empty, at or above where the last one ended, inside the span, and
 * its physical range below 2^52 (written so that it cannot wrap).
 */
static int pgt_check_run(const struct pgt_map_state *s,
			 const struct vtd_pgtable_run *r)
{
	if (!r->size || !IS_ALIGNED(r->iova | r->phys | r->size, PAGE_SIZE) ||
	    r->iova < s->iova || r->iova > s->end || r->size > s->end - r->iova ||
	    r->phys >= PGT_PHYS_LIMIT || r->size > PGT_PHYS_LIMIT - r->phys)
		return -EINVAL;
	return 0;
}

/*
 * The current run is done: go on to the next one, or (none left) to the
 * end of the span. Return: 0, or -EINVAL for a bad run.
 */
static int pgt_next_run(struct pgt_map_state *s)
{
	struct vtd_pgtable_run *r;
	int ret;

	if (s->ibuf == s->nbuf) {
		s->ibuf = 0;
		s->nbuf = s->buf ? s->next(s->cookie, s->buf, PGT_RUN_BATCH) : 0;
		if (WARN_ON_ONCE(s->nbuf > PGT_RUN_BATCH))
			return -EINVAL;
		if (!s->nbuf) {
			s->iova = s->end;
			return 0;
		}
	}
	r = &s->buf[s->ibuf++];
	ret = pgt_check_run(s, r);
	if (ret)
		return ret;
	s->iova = r->iova;
	s->phys = r->phys;
	s->run_end = r->iova + r->size;
	return 0;
}

/* Map what of the runs lies in @table, at @level; advances @s. */
static int pgt_map_level(struct vtd_pgtable *pgt, u64 *table,
			 unsigned int level, struct pgt_map_state *s)
{
	u64 limit = min(s->end, pgt_table_end(s->iova, level));
	u64 size = pgt_level_size(level), old;
	int first = -1, last = -1, ret = 0;
	u64 *ptep, *child;

	while (s->iova < limit) {
		ptep = &table[pgt_index(s->iova, level)];
		/* A leaf here if the unit, alignment and length allow it. */
		if (pgt_leaf_ok(pgt, level) && s->run_end - s->iova >= size &&
		    IS_ALIGNED(s->iova | s->phys, size)) {
			old = cmpxchg64(ptep, 0ULL,
					pgt_mk_leaf(s->phys, level, s->attr) |
					s->tag);
			if (!old) {
				s->tag = 0;
				if (first < 0)
					first = ptep - table;
				last = ptep - table;
				s->iova += size;
				s->phys += size;
				s->mapped += size;
				if (s->iova == s->run_end) {
					ret = pgt_next_run(s);
					if (ret)
						break;
				}
				continue;
			}
			if (pgt_is_leaf(old, level)) {
				ret = -EEXIST;
				break;
			}
			/* A table (maybe left empty, 3d): smaller pages in it. */
		}
		/* Otherwise one level down. */
		child = pgt_get_table(pgt, ptep, level, s);
		if (IS_ERR(child))
			ret = PTR_ERR(child);
		else
			ret = pgt_map_level(pgt, child, level - 1, s);
		if (ret)
			break;
	}
	/* The leaves this call wrote; tables were flushed on the way down. */
	pgt_flush_entries(pgt, table, first, last);
	return ret;
}

/* --- unmap ----------------------------------------------------------- */

/*
 * One unmap call's progress: [start, end) is the range asked for, [iova,
 * end) what is left to unmap.
 */
struct pgt_unmap_state {
	u64 start;
	u64 iova;
	u64 end;
	u64 unmapped;
	bool maybe_empty;	/* a table inside [start, end) is empty */
	struct vtd_pool_resv *resv;
	struct vtd_pgtable_gather *g;
};

/*
 * Replace the superpage *@ptep (== @pte, at @level) by a table of pages one
 * level down that translate the same. Return: the table, or ERR_PTR.
 */
static u64 *pgt_split(struct vtd_pgtable *pgt, u64 *ptep, u64 pte,
		      unsigned int level, struct pgt_unmap_state *s)
{
	u64 attr = pte & PGT_LEAF_ATTR, size = pgt_level_size(level - 1);
	phys_addr_t phys = pgt_pte_phys(pte);
	u64 *table;
	int i;

	table = vtd_pool_get(pgt->cfg.pool, s->resv, GFP_NOWAIT);
	if (!table)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < PGT_ENTRIES; i++)
		table[i] = pgt_mk_leaf(phys + i * size, level - 1, attr);
	pgt_flush(pgt, table, PAGE_SIZE);
	/* The new table is complete and in RAM before the swap (as above). */
	dma_wmb();
	if (WARN_ON_ONCE(cmpxchg64(ptep, pte, pgt_mk_table(table)) != pte)) {
		/* Someone else changed a range we own: the caller's bug. */
		memset(table, 0, PAGE_SIZE);
		vtd_pool_put(pgt->cfg.pool, table);
		return ERR_PTR(-EBUSY);
	}
	atomic_long_inc(&pgt->nr_tables);
	pgt_flush(pgt, ptep, sizeof(*ptep));
	return table;
}

/* Clear what of [s->iova, s->end) lies in @table, at @level. */
static int pgt_unmap_level(struct vtd_pgtable *pgt, u64 *table,
			   unsigned int level, struct pgt_unmap_state *s)
{
	u64 size = pgt_level_size(level), start, pte;
	u64 tend = pgt_table_end(s->iova, level), limit = min(s->end, tend);
	bool covered = tend - PGT_ENTRIES * size >= s->start && tend <= s->end;
	int first = -1, last = -1, ret = 0;
	u64 *ptep, *child;

	while (s->iova < limit) {
		ptep = &table[pgt_index(s->iova, level)];
		start = s->iova & ~(size - 1);
		pte = READ_ONCE(*ptep);
		if (!pte) {
			/* Nothing here: on to the next entry. */
			s->iova = min(start + size, limit);
			continue;
		}
		if (pgt_is_leaf(pte, level) && s->iova == start &&
		    limit - start >= size) {
			/* A whole leaf inside the range: clear it. */
			WRITE_ONCE(*ptep, 0);
			if (first < 0)
				first = ptep - table;
			last = ptep - table;
			pgt_gather_add(s->g, start, size);
			s->unmapped += size;
			s->iova = start + size;
			continue;
		}
		/* Part of a superpage, or a table: one level down. */
		if (pgt_is_leaf(pte, level))
			child = pgt_split(pgt, ptep, pte, level, s);
		else
			child = pgt_pte_table(pte);
		if (IS_ERR(child)) {
			ret = PTR_ERR(child);
			break;
		}
		ret = pgt_unmap_level(pgt, child, level - 1, s);
		if (ret)
			break;
	}
	pgt_flush_entries(pgt, table, first, last);
	/* Only a table wholly inside the range may go (3d, section 5). */
	if (covered && level < pgt->levels && !memchr_inv(table, 0, PAGE_SIZE))
		s->maybe_empty = true;
	return ret;
}

/*
 * Take every empty table below @table whose whole span lies in [start,
 * end) out of the tree, bottom up (invariant 3d); tables the range only
 * partly covers are searched, never freed. Under the exclusive
 * reclaim_lock: no reader (lookup, walk) is in a table it frees, and maps
 * and unmaps of other ranges never enter one (section 5). Return: true if
 * @table itself is now empty.
 */
static bool pgt_reclaim_level(struct vtd_pgtable *pgt, u64 *table,
			      unsigned int level, u64 start, u64 end,
			      struct vtd_pgtable_gather *g)
{
	u64 limit = min(end, pgt_table_end(start, level));
	u64 size = pgt_level_size(level), estart, pte;
	u64 iova = start;
	u64 *ptep;

	while (level > 1 && iova < limit) {
		ptep = &table[pgt_index(iova, level)];
		estart = iova & ~(size - 1);
		pte = READ_ONCE(*ptep);
		/* Search below first, then free the child if it is covered. */
		if (pte && !pgt_is_leaf(pte, level) &&
		    pgt_reclaim_level(pgt, pgt_pte_table(pte), level - 1,
				      iova, min(limit, estart + size), g) &&
		    iova == estart && limit - estart >= size) {
			WRITE_ONCE(*ptep, 0);
			pgt_flush(pgt, ptep, sizeof(*ptep));
			pgt_gather_table(pgt, g, pgt_pte_table(pte));
			/* The unit may cache walks anywhere in its span. */
			pgt_gather_add(g, estart, size);
		}
		iova = estart + size;
	}
	return !memchr_inv(table, 0, PAGE_SIZE);
}

static void pgt_reclaim(struct vtd_pgtable *pgt, u64 start, u64 end,
			struct vtd_pgtable_gather *g)
{
	unsigned long flags;

	write_lock_irqsave(&pgt->reclaim_lock, flags);
	pgt_reclaim_level(pgt, pgt->root, pgt->levels, start, end, g);
	write_unlock_irqrestore(&pgt->reclaim_lock, flags);
}

/*
 * Reserve @nr pages in @own when @gfp may sleep, so that the walks never
 * call the page allocator (they may run with IRQs off in the caller). Return: the reservation
 * the walk draws on (@own, or the caller's @resv), or ERR_PTR(-ENOMEM).
 */
static struct vtd_pool_resv *pgt_resv(struct vtd_pgtable *pgt, gfp_t gfp,
				      unsigned long nr,
				      struct vtd_pool_resv *resv,
				      struct vtd_pool_resv *own)
{
	if (!gfpflags_allow_blocking(gfp))
		return resv;
	if (vtd_pool_reserve(pgt->cfg.pool, own, nr, gfp))
		return ERR_PTR(-ENOMEM);
	return own;
}

/* Unmap under the shared lock, then reclaim what emptied. */
static u64 pgt_unmap_range(struct vtd_pgtable *pgt, u64 iova, u64 size,
			   struct vtd_pool_resv *resv,
			   struct vtd_pgtable_gather *g)
{
	struct pgt_unmap_state s = {
		.start = iova, .iova = iova, .end = iova + size, .resv = resv,
		.g = g,
	};
	int ret;

	/* No lock: no other range's reclaim frees a table we walk (5). */
	ret = pgt_unmap_level(pgt, pgt->root, pgt->levels, &s);
	if (ret) {
		/* Only a split can fail; [s.iova, end) is still mapped. */
		atomic_long_inc(&pgt->split_failures);
		pr_warn_ratelimited("unmap [%#llx, %#llx) stopped at %#llx: no page to split a superpage (%d)\n",
				    iova, iova + size, s.iova, ret);
	}
	if (s.maybe_empty)
		pgt_reclaim(pgt, iova, iova + size, g);
	return s.unmapped;
}

/* --- checks ---------------------------------------------------------- */

/* -EINVAL for an empty or misaligned range, -ERANGE outside the width. */
static int pgt_check_range(const struct vtd_pgtable *pgt, u64 iova, u64 size)
{
	if (!size || !IS_ALIGNED(iova | size, PAGE_SIZE))
		return -EINVAL;
	if (iova + size < iova || iova + size > BIT_ULL(pgt->aw_bits))
		return -ERANGE;
	return 0;
}

/* The reserved bits a present entry at @level must keep clear (9.8). */
static u64 pgt_reserved_bits(const struct vtd_pgtable *pgt, u64 pte,
			     unsigned int level)
{
	u64 rsvd = GENMASK_ULL(63, 62) | GENMASK_ULL(10, 8) | GENMASK_ULL(6, 2);

	if (!pgt_is_leaf(pte, level))
		return rsvd | PGT_TAG | PGT_SNP | PGT_PS;
	if (!pgt->cfg.snoop_ctl)
		rsvd |= PGT_SNP;
	if (level > 1)
		rsvd |= GENMASK_ULL(pgt_level_shift(level) - 1, PGT_PAGE_SHIFT);
	else
		rsvd |= PGT_PS;
	return rsvd;
}

/* Invariants 3a-3c for one non-zero entry. */
static bool pgt_entry_ok(const struct vtd_pgtable *pgt, u64 pte,
			 unsigned int level)
{
	if (!pgt_present(pte) || (pte & pgt_reserved_bits(pgt, pte, level)))
		return false;
	if (pgt_is_leaf(pte, level))
		return pgt_leaf_ok(pgt, level);
	return (pte & PGT_LEAF_ATTR) == (PGT_R | PGT_W);
}

/*
 * Check @table (at @level, mapping from @base) and what is below it,
 * counting table pages into *@tables. Empty tables are allowed (3d).
 */
static int pgt_check_level(struct vtd_pgtable *pgt, u64 *table,
			   unsigned int level, u64 base, long *tables)
{
	u64 pte, iova;
	int i, ret;

	(*tables)++;
	for (i = 0; i < PGT_ENTRIES; i++) {
		pte = READ_ONCE(table[i]);
		iova = base + i * pgt_level_size(level);
		if (!pte)
			continue;
		if (!pgt_entry_ok(pgt, pte, level)) {
			pr_err("bad entry %#llx at level %u for IOVA %#llx\n",
			       pte, level, iova);
			return -EINVAL;
		}
		if (pgt_is_leaf(pte, level))
			continue;
		ret = pgt_check_level(pgt, pgt_pte_table(pte), level - 1,
				      iova, tables);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The exclusive lock keeps reclaims out; maps and unmaps may still run, so
 * the count is compared only when the caller says none does (@quiet): a
 * map may have published a table and not counted it yet.
 */
static int pgt_check(struct vtd_pgtable *pgt, bool quiet)
{
	unsigned long flags;
	long tables = 0, counted;
	int ret;

	write_lock_irqsave(&pgt->reclaim_lock, flags);
	ret = pgt_check_level(pgt, pgt->root, pgt->levels, 0, &tables);
	counted = atomic_long_read(&pgt->nr_tables);
	write_unlock_irqrestore(&pgt->reclaim_lock, flags);
	if (!ret && quiet && tables != counted) {
		pr_err("%ld table pages in the tree, %ld counted\n", tables,
		       counted);
		ret = -EINVAL;
	}
	return ret;
}

/**
 * vtd_pgtable_check() - verify every entry and count (invariants 3a-3c, 3e)
 * @pgt: the table; no operation may run on it meanwhile
 *
 * O(number of table pages). Logs the first problem found.
 * Context: any; takes reclaim_lock exclusively.
 * Return: 0, or -EINVAL if an invariant does not hold.
 */
int vtd_pgtable_check(struct vtd_pgtable *pgt)
{
	return pgt_check(pgt, true);
}
EXPORT_SYMBOL_GPL(vtd_pgtable_check);

/* After each operation, with pgtable_check: other operations may be live. */
static void pgt_debug_check(struct vtd_pgtable *pgt)
{
	if (READ_ONCE(pgtable_check))
		WARN_ON_ONCE(pgt_check(pgt, false));
}

/* --- exported API ---------------------------------------------------- */

/*
 * The map of vtd_pgtable_map() and vtd_pgtable_map_runs(): @s holds the
 * first run, and @next (in @s) the others; [iova, iova + size) is the span.
 * @nr_pages: what a sleeping caller reserves.
 */
static int pgt_map(struct vtd_pgtable *pgt, struct pgt_map_state *s,
		   u64 iova, u64 size, int prot, gfp_t gfp,
		   unsigned long nr_pages, struct vtd_pool_resv *resv,
		   struct vtd_pgtable_gather *gather)
{
	struct vtd_pool_resv own = {};
	int ret;

	if (!(prot & (VTD_PGT_READ | VTD_PGT_WRITE)))
		return -EINVAL;
	if (prot & VTD_PGT_READ)
		s->attr |= PGT_R;
	if (prot & VTD_PGT_WRITE)
		s->attr |= PGT_W;
	if ((prot & VTD_PGT_SNOOP) && pgt->cfg.snoop_ctl)
		s->attr |= PGT_SNP;
	s->tag = FIELD_PREP(PGT_TAG, (prot >> VTD_PGT_TAG_SHIFT) &
				     VTD_PGT_TAG_MAX);
	s->resv = pgt_resv(pgt, gfp, nr_pages, resv, &own);
	if (IS_ERR(s->resv))
		return PTR_ERR(s->resv);

	/* No lock: no other range's reclaim frees a table we walk (5). */
	ret = pgt_map_level(pgt, pgt->root, pgt->levels, s);
	vtd_pool_unreserve(pgt->cfg.pool, &own);
	if (!ret) {
		if (pgt->cfg.ops && pgt->cfg.ops->iotlb_map &&
		    !(prot & VTD_PGT_NO_MAP_FLUSH))
			pgt->cfg.ops->iotlb_map(pgt->cfg.cookie, iova, size);
		pgt_debug_check(pgt);
		return 0;
	}
	/*
	 * Undo: clear our leaves, then free the empty tables wholly inside
	 * the span (3d); ones reaching outside it stay.
	 */
	if (s->iova > iova)
		pgt_unmap_range(pgt, iova, s->iova - iova, NULL, gather);
	pgt_reclaim(pgt, iova, iova + size, gather);
	pgt_debug_check(pgt);
	return ret;
}

/**
 * vtd_pgtable_map() - map [iova, iova + size) to [phys, phys + size)
 * @pgt: the table
 * @iova: first IOVA, 4 KiB aligned
 * @phys: first physical address, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: VTD_PGT_READ and/or VTD_PGT_WRITE, optionally VTD_PGT_SNOOP
 *	  (ignored unless the unit has snoop control) and
 *	  VTD_PGT_NO_MAP_FLUSH (no iotlb_map call: the caller makes one)
 * @gfp: if it may sleep (GFP_KERNEL), the map first reserves the worst
 *	 case itself (vtd_pgtable_map_pages_at()), allocating what the pool
 *	 lacks; otherwise (GFP_ATOMIC) it never calls the page allocator
 * @resv: with a @gfp that does not sleep: pages reserved for this map
 *	  (vtd_pgtable_map_pages()), or NULL to use only unreserved pool
 *	  pages; what is not used stays in it
 * @gather: on failure, what the undo took out of the tree; the caller
 *	    must vtd_pgtable_sync() it (it is left untouched on success)
 *
 * All or nothing. Ranges of concurrent calls must be disjoint.
 * Context: any if @gfp does not block; the iotlb_map callback is called
 * in this context.
 * Return: 0, -EINVAL, -ERANGE, -EEXIST or -ENOMEM (see the theory
 * statement, section 6).
 */
int vtd_pgtable_map(struct vtd_pgtable *pgt, u64 iova, phys_addr_t phys,
		    u64 size, int prot, gfp_t gfp, struct vtd_pool_resv *resv,
		    struct vtd_pgtable_gather *gather)
{
	struct pgt_map_state s = {
		.iova = iova, .end = iova + size, .run_end = iova + size,
		.phys = phys,
	};
	int ret;

	ret = pgt_check_range(pgt, iova, size);
	if (ret)
		return ret;
	/* [phys, phys + size) below 2^52, written so that it cannot wrap. */
	if (!IS_ALIGNED(phys, PAGE_SIZE) ||
	    phys >= PGT_PHYS_LIMIT || size > PGT_PHYS_LIMIT - phys)
		return -EINVAL;
	return pgt_map(pgt, &s, iova, size, prot, gfp,
		       gfpflags_allow_blocking(gfp) ?
		       vtd_pgtable_map_pages_at(pgt, iova, phys, size) : 0,
		       resv, gather);
}
EXPORT_SYMBOL_GPL(vtd_pgtable_map);

/**
 * vtd_pgtable_map_runs() - map runs of physical memory inside one span
 * @pgt: the table
 * @iova: the span's first IOVA, 4 KiB aligned
 * @size: its bytes, a multiple of 4 KiB; the caller owns the whole span
 *	  (what lies between the runs stays unmapped)
 * @next: gives the runs in order, a few at a time, 0 after the last: each
 *	  4 KiB aligned, not empty, inside the span, at or after the end of
 *	  the one before (-EINVAL otherwise, undone as any failure)
 * @cookie: for @next
 * @prot: as for vtd_pgtable_map(); a tag goes on the first leaf only
 * @gfp: as for vtd_pgtable_map(); a sleeping caller reserves for the
 *	 worst case of the span (vtd_pgtable_map_pages())
 * @resv: as for vtd_pgtable_map()
 * @mapped: the bytes mapped, the runs' sum (on success)
 * @gather: as for vtd_pgtable_map()
 *
 * One walk: from one run to the next it climbs only as far as the two do
 * not share a table. All or nothing, as vtd_pgtable_map(); an iotlb_map
 * callback covers the span.
 * Context: as for vtd_pgtable_map(); @next is called in it.
 * Return: 0, -EINVAL (a bad run, or no run), -ERANGE, -EEXIST or -ENOMEM.
 */
int vtd_pgtable_map_runs(struct vtd_pgtable *pgt, u64 iova, u64 size,
			 vtd_pgtable_next_runs next, void *cookie, int prot,
			 gfp_t gfp, struct vtd_pool_resv *resv, u64 *mapped,
			 struct vtd_pgtable_gather *gather)
{
	struct vtd_pgtable_run buf[PGT_RUN_BATCH];
	struct pgt_map_state s = {
		.iova = iova, .end = iova + size, .next = next,
		.cookie = cookie, .buf = buf,
	};
	int ret;

	ret = pgt_check_range(pgt, iova, size);
	if (ret)
		return ret;
	/* The first run; none at all is a bad call. */
	ret = pgt_next_run(&s);
	if (!ret && s.iova == s.end)
		ret = -EINVAL;
	if (ret)
		return ret;
	ret = pgt_map(pgt, &s, iova, size, prot, gfp,
		      gfpflags_allow_blocking(gfp) ?
		      vtd_pgtable_map_pages(pgt->levels, size) : 0, resv,
		      gather);
	if (!ret)
		*mapped = s.mapped;
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_map_runs);

/**
 * vtd_pgtable_unmap() - unmap whatever is mapped in [iova, iova + size)
 * @pgt: the table
 * @iova: first IOVA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @gfp: as for vtd_pgtable_map(); a split needs a page
 * @resv: with a @gfp that does not sleep: pages reserved for splits (at
 *	  most VTD_PGT_UNMAP_PAGES), or NULL
 * @gather: collects the range to invalidate and the freed table pages
 *
 * Superpages the range only partly covers are split first; table pages
 * left empty go on @gather. Nothing is free until vtd_pgtable_sync().
 * Ranges of concurrent calls must be disjoint.
 * Context: any if @gfp does not block.
 * Return: the bytes unmapped: @size if all of it was mapped; less if some
 * was not, or if a split failed for lack of a page. In that last case
 * (counted in pgt->split_failures, warned about) the range from the
 * superpage on is left mapped as it was: the caller must not reuse that
 * IOVA, and may retry where it can sleep or with a reservation. A
 * sleeping call whose own reservation fails (counted in
 * pgt->resv_failures, warned about) still clears every leaf its range
 * covers; only its splits depend on the pool's unreserved pages then.
 */
u64 vtd_pgtable_unmap(struct vtd_pgtable *pgt, u64 iova, u64 size,
		      gfp_t gfp, struct vtd_pool_resv *resv,
		      struct vtd_pgtable_gather *gather)
{
	struct vtd_pool_resv own = {};
	u64 unmapped;

	if (WARN_ON_ONCE(pgt_check_range(pgt, iova, size)))
		return 0;
	resv = pgt_resv(pgt, gfp, VTD_PGT_UNMAP_PAGES, resv, &own);
	if (IS_ERR(resv)) {
		/*
		 * Clearing leaves needs no page: go on without a reservation.
		 * A split then draws on unreserved pool pages; if it cannot,
		 * it is a split failure like any other (short count).
		 */
		atomic_long_inc(&pgt->resv_failures);
		pr_warn_ratelimited("unmap [%#llx, %#llx): no pages reserved for splits (%ld); going on without\n",
				    iova, iova + size, PTR_ERR(resv));
		resv = NULL;
	}
	unmapped = pgt_unmap_range(pgt, iova, size, resv, gather);
	vtd_pool_unreserve(pgt->cfg.pool, &own);
	pgt_debug_check(pgt);
	return unmapped;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_unmap);

/**
 * vtd_pgtable_sync() - invalidate what a gather holds, then free its pages
 * @pgt: the table
 * @gather: filled by map failures and unmaps; empty afterwards
 *
 * Calls the iotlb_sync callback if any translation changed. If it fails,
 * the unit may still walk the table pages taken out of the tree: they are
 * leaked (vtd_pool_abandon()) instead of freed, counted in
 * pgt->sync_failures, with a warning the first time.
 * Context: that of the callback (the unit code documents it).
 * Return: 0, or the callback's error.
 */
int vtd_pgtable_sync(struct vtd_pgtable *pgt,
		     struct vtd_pgtable_gather *gather)
{
	int ret = 0;

	if (gather->start <= gather->last && pgt->cfg.ops &&
	    pgt->cfg.ops->iotlb_sync)
		ret = pgt->cfg.ops->iotlb_sync(pgt->cfg.cookie, gather->start,
					       gather->last - gather->start + 1,
					       gather->tables);
	if (ret) {
		atomic_long_inc(&pgt->sync_failures);
		if (gather->nr_freed)
			pr_warn_once("invalidation failed (%d): leaking %lu table pages\n",
				     ret, gather->nr_freed);
		vtd_pool_abandon(pgt->cfg.pool, &gather->freelist);
	} else {
		vtd_pool_put_list(pgt->cfg.pool, &gather->freelist);
	}
	vtd_pgtable_gather_init(gather);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_sync);

/*
 * The leaf translating @iova (below 2^aw_bits): its slot, with its entry
 * in *@pte and its level in *@level; NULL if not mapped. The caller keeps
 * the tables it walks alive (reclaim_lock, or RCU and the pool).
 */
static u64 *pgt_find_leaf(struct vtd_pgtable *pgt, u64 iova,
			  unsigned int *level, u64 *pte)
{
	unsigned int lvl = pgt->levels;
	u64 *table = pgt->root, *ptep, e;

	for (;;) {
		ptep = &table[pgt_index(iova, lvl)];
		e = READ_ONCE(*ptep);
		if (!pgt_present(e))
			return NULL;
		if (pgt_is_leaf(e, lvl)) {
			*pte = e;
			*level = lvl;
			return ptep;
		}
		/* One level down. */
		table = pgt_pte_table(e);
		lvl--;
	}
}

/**
 * vtd_pgtable_leaf() - the leaf entry translating an IOVA
 * @pgt: the table
 * @iova: any byte address
 * @pte: the raw entry (format of VT-d 9.8)
 * @level: the level it sits at (1: 4 KiB, 2: 2 MiB, 3: 1 GiB)
 *
 * Context: any.
 * Return: 0, -ERANGE outside the width, -ENOENT if not mapped.
 */
int vtd_pgtable_leaf(struct vtd_pgtable *pgt, u64 iova, u64 *pte,
		     unsigned int *level)
{
	unsigned long flags;
	u64 *ptep;

	if (iova >> pgt->aw_bits)
		return -ERANGE;
	read_lock_irqsave(&pgt->reclaim_lock, flags);
	ptep = pgt_find_leaf(pgt, iova, level, pte);
	read_unlock_irqrestore(&pgt->reclaim_lock, flags);
	return ptep ? 0 : -ENOENT;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_leaf);

/**
 * vtd_pgtable_lookup() - translate an IOVA
 * @pgt: the table
 * @iova: any byte address
 * @phys: the physical address it translates to
 *
 * Context: any.
 * Return: 0, -ERANGE outside the width, -ENOENT if not mapped.
 */
int vtd_pgtable_lookup(struct vtd_pgtable *pgt, u64 iova, phys_addr_t *phys)
{
	unsigned int level;
	u64 pte;
	int ret;

	ret = vtd_pgtable_leaf(pgt, iova, &pte, &level);
	if (!ret)
		*phys = pgt_pte_phys(pte) +
			(iova & (pgt_level_size(level) - 1));
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_lookup);

/**
 * vtd_pgtable_take_tag() - take back the tag a map left on its first leaf
 * @pgt: the table
 * @iova: the first address of the map that left it (VTD_PGT_TAG()): the
 *	  first byte of the leaf holding the tag
 *
 * Clears the tag with cmpxchg(), so of two calls for one leaf only one
 * gets it. The unit ignores those bits: nothing to flush or invalidate.
 * Lockless: an RCU read side, against the pool, which frees pages to the
 * page allocator only after a grace period (vtd_pool.c). For a range the
 * caller owns the walk is exact (section 5); for any other address it may
 * pass through a table being reclaimed and its answer is only a hint.
 * Context: any.
 * Return: the tag (1..VTD_PGT_TAG_MAX), or 0 if @iova is not mapped or
 * its leaf has none.
 */
unsigned int vtd_pgtable_take_tag(struct vtd_pgtable *pgt, u64 iova)
{
	unsigned int lvl, tag = 0;
	u64 *ptep, e, old;

	if (iova >> pgt->aw_bits)
		return 0;
	rcu_read_lock();
	ptep = pgt_find_leaf(pgt, iova, &lvl, &e);
	/* Only the leaf's first byte names its map's head. */
	while (ptep && !(iova & (pgt_level_size(lvl) - 1)) && (e & PGT_TAG)) {
		old = cmpxchg64(ptep, e, e & ~PGT_TAG);
		if (old == e) {
			tag = FIELD_GET(PGT_TAG, e);
			break;
		}
		e = old;
	}
	rcu_read_unlock();
	return tag;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_take_tag);

/**
 * vtd_pgtable_map_pages_at() - table pages a map of a known range can need
 * @pgt: the table (its levels and page sizes)
 * @iova: first IOVA
 * @phys: first physical address
 * @size: bytes, at least 1
 *
 * Below each entry of level k > 1 that the range meets, the map needs a
 * table where it cannot put a leaf. If level k can hold leaves for this
 * map (the unit has the size, and @iova and @phys agree modulo it), that
 * is only in the entries the range covers partly: at most the first and
 * the last. Otherwise it is every entry the range meets. Leaf levels run
 * from level 1 up without a gap, so under an entry that takes a leaf (or
 * an old table, 3d) no new table is ever needed.
 * Return: the number of pages to reserve; exact for an empty table.
 */
unsigned long vtd_pgtable_map_pages_at(const struct vtd_pgtable *pgt,
				       u64 iova, phys_addr_t phys, u64 size)
{
	u64 last = iova + size - 1, end = iova + size, esize;
	unsigned long n = 0;
	unsigned int k, shift;

	for (k = 2; k <= pgt->levels; k++) {
		shift = pgt_level_shift(k);
		esize = pgt_level_size(k);
		if (!pgt_leaf_ok(pgt, k) || !IS_ALIGNED((u64)phys - iova, esize))
			n += (last >> shift) - (iova >> shift) + 1;
		else if ((iova >> shift) == (last >> shift))
			n += !IS_ALIGNED(iova | end, esize);
		else
			n += !IS_ALIGNED(iova, esize) + !IS_ALIGNED(end, esize);
	}
	return n;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_map_pages_at);

/**
 * vtd_pgtable_map_pages() - table pages a map of @size bytes can need
 * @levels: 3 or 4
 * @size: bytes, a multiple of 4 KiB, at least 4 KiB
 *
 * The worst case over every 4 KiB-aligned IOVA. A range of S bytes (a
 * multiple of 4 KiB) starting r bytes into an aligned span of Z bytes
 * meets floor((r + S - 1) / Z) + 1 spans; r is at most Z - 4 KiB, so at
 * most 1 + ceil((S - 4 KiB) / Z). One new table per span per level below
 * the root:
 *	R(S, L) = sum for k = 1 .. L-1 of 1 + ceil((S - 4 KiB) / (4 KiB * 512^k))
 * That is L - 1 for S = 4 KiB (2 or 3 pages), and for S = 2 MiB, 2 at
 * each level: 4 or 6 pages.
 * Return: the number of pages to reserve.
 */
unsigned long vtd_pgtable_map_pages(unsigned int levels, u64 size)
{
	unsigned long n = 0;
	unsigned int k, shift;

	if (size < PAGE_SIZE)
		size = PAGE_SIZE;
	for (k = 1; k < levels; k++) {
		shift = pgt_level_shift(k) + PGT_LEVEL_BITS;
		n += 1 + ((size - PAGE_SIZE + BIT_ULL(shift) - 1) >> shift);
	}
	return n;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_map_pages);

/**
 * vtd_pgtable_root_phys() - the root table's physical address
 * @pgt: the table
 *
 * Return: what the context entry's SLPTPTR field (9.3) points at.
 */
phys_addr_t vtd_pgtable_root_phys(const struct vtd_pgtable *pgt)
{
	return virt_to_phys(pgt->root);
}
EXPORT_SYMBOL_GPL(vtd_pgtable_root_phys);

/**
 * vtd_pgtable_context_aw() - the context entry's AW field for this table
 * @pgt: the table
 *
 * Return: 1 for a 3-level (39-bit) table, 2 for a 4-level (48-bit) one
 * (VT-d 9.3; the same encoding as CAP.SAGAW's bit numbers).
 */
unsigned int vtd_pgtable_context_aw(const struct vtd_pgtable *pgt)
{
	return pgt->levels - 2;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_context_aw);

/* --- init and exit --------------------------------------------------- */

/*
 * Levels for the asked width: the smallest the unit supports that covers
 * it; if none does, the widest the unit supports, with the width cut to
 * it. 0 if the unit supports neither 3 nor 4 levels.
 */
static unsigned int pgt_pick_levels(unsigned int sagaw, unsigned int *aw_bits)
{
	if (*aw_bits <= 39 && (sagaw & PGT_SAGAW_3LVL))
		return 3;
	if (sagaw & PGT_SAGAW_4LVL)
		return 4;
	if (sagaw & PGT_SAGAW_3LVL) {
		*aw_bits = 39;
		return 3;
	}
	return 0;
}

/* Give back every page below @table (at @level), then @table itself. */
static void pgt_free_level(struct vtd_pgtable *pgt, u64 *table,
			   unsigned int level)
{
	u64 pte;
	int i;

	for (i = 0; i < PGT_ENTRIES && level > 1; i++) {
		pte = table[i];
		if (pte && !pgt_is_leaf(pte, level))
			pgt_free_level(pgt, pgt_pte_table(pte), level - 1);
	}
	memset(table, 0, PAGE_SIZE);
	vtd_pool_put(pgt->cfg.pool, table);
	atomic_long_dec(&pgt->nr_tables);
}

/**
 * vtd_pgtable_init() - make an empty table for a unit
 * @pgt: the table to initialise
 * @cfg: the unit's abilities and the width asked for; copied
 *
 * Picks 3 or 4 levels from @cfg->sagaw and @cfg->aw_bits (the smallest
 * supported that covers the width; else the widest supported, with
 * pgt->aw_bits cut to it).
 * Context: process; may sleep.
 * Return: 0, -EINVAL for a width outside [30, 48], a unit with neither 3
 * nor 4 levels, or no pool; -ENOMEM.
 */
int vtd_pgtable_init(struct vtd_pgtable *pgt,
		     const struct vtd_pgtable_cfg *cfg)
{
	unsigned int aw = cfg->aw_bits;

	if (aw < PGT_MIN_AW || aw > PGT_MAX_AW || !cfg->pool)
		return -EINVAL;
	memset(pgt, 0, sizeof(*pgt));
	pgt->cfg = *cfg;
	pgt->levels = pgt_pick_levels(cfg->sagaw, &aw);
	if (!pgt->levels)
		return -EINVAL;
	pgt->aw_bits = aw;
	pgt->leaf_levels = BIT(1);
	/* 1 GiB pages only with 2 MiB ones: an unmap splits 1 GiB to 2 MiB. */
	if (cfg->page_sizes & VTD_PGT_SZ_2M) {
		pgt->leaf_levels |= BIT(2);
		if (cfg->page_sizes & VTD_PGT_SZ_1G)
			pgt->leaf_levels |= BIT(3);
	}
	rwlock_init(&pgt->reclaim_lock);
	pgt->root = vtd_pool_get(cfg->pool, NULL, GFP_KERNEL);
	if (!pgt->root)
		return -ENOMEM;
	pgt_flush(pgt, pgt->root, PAGE_SIZE);
	atomic_long_set(&pgt->nr_tables, 1);
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_init);

/**
 * vtd_pgtable_destroy() - give every table page back to the pool
 * @pgt: the table; no unit may use it any more (its context entries are
 *	 cleared and invalidated) and no operation may be running on it
 *
 * Context: any.
 */
void vtd_pgtable_destroy(struct vtd_pgtable *pgt)
{
	if (!pgt->root)
		return;
	pgt_free_level(pgt, pgt->root, pgt->levels);
	WARN_ON_ONCE(atomic_long_read(&pgt->nr_tables));
	pgt->root = NULL;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_destroy);

/* Put @table and every table below it on @list, contents untouched. */
static void pgt_abandon_level(struct vtd_pgtable *pgt, u64 *table,
			      unsigned int level, struct list_head *list)
{
	u64 pte;
	int i;

	for (i = 0; i < PGT_ENTRIES && level > 1; i++) {
		pte = READ_ONCE(table[i]);
		if (pte && !pgt_is_leaf(pte, level))
			pgt_abandon_level(pgt, pgt_pte_table(pte), level - 1,
					  list);
	}
	list_add(&virt_to_page(table)->lru, list);
	atomic_long_dec(&pgt->nr_tables);
}

/**
 * vtd_pgtable_abandon() - give up a table a unit may still walk
 * @pgt: the table; no operation may be running on it
 *
 * For a table whose context entries could not be invalidated: the unit
 * may still walk it from its caches, so its pages are neither cleared,
 * freed nor reused; they leave the pool's in-use count for its leaked
 * count (vtd_pool_abandon()). The translations they hold stay as they
 * are. Afterwards @pgt is as after vtd_pgtable_destroy().
 * Context: any.
 * Return: the number of table pages abandoned.
 */
unsigned long vtd_pgtable_abandon(struct vtd_pgtable *pgt)
{
	unsigned long n = atomic_long_read(&pgt->nr_tables);
	LIST_HEAD(list);

	if (!pgt->root)
		return 0;
	pgt_abandon_level(pgt, pgt->root, pgt->levels, &list);
	WARN_ON_ONCE(atomic_long_read(&pgt->nr_tables));
	vtd_pool_abandon(pgt->cfg.pool, &list);
	pgt->root = NULL;
	return n;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_abandon);

/* --- read-only walk, for debugfs ------------------------------------- */

/* Report the present entries of @table (at @level) ending above @from. */
static int pgt_walk_level(struct vtd_pgtable *pgt, u64 *table,
			  unsigned int level, u64 base, u64 from,
			  int (*fn)(void *arg,
				    const struct vtd_pgtable_walk_entry *e),
			  void *arg)
{
	u64 size = pgt_level_size(level);
	struct vtd_pgtable_walk_entry e;
	unsigned int i;
	u64 pte;
	int ret;

	i = from > base ? pgt_index(from, level) : 0;
	for (; i < PGT_ENTRIES; i++) {
		pte = READ_ONCE(table[i]);
		if (!pgt_present(pte))
			continue;
		e = (struct vtd_pgtable_walk_entry) {
			.iova = base + i * size, .size = size, .pte = pte,
			.phys = pgt_pte_phys(pte), .level = level,
			.leaf = pgt_is_leaf(pte, level),
		};
		ret = fn(arg, &e);
		if (ret)
			return ret;
		if (e.leaf)
			continue;
		/* One level down. */
		ret = pgt_walk_level(pgt, pgt_pte_table(pte), level - 1,
				     e.iova, from, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vtd_pgtable_walk() - report the present entries of a table, in IOVA order
 * @pgt: the table
 * @from: skip the entries whose span ends at or below this IOVA (0: all);
 *	  lets a reader resume where an earlier walk stopped
 * @fn: called for each present entry, a table entry before the entries of
 *	the table it points at; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Read only: it holds reclaim_lock shared, so no table is freed under it,
 * but maps and unmaps may run meanwhile and each entry is reported as it
 * was when read. @fn must not sleep, and runs with IRQs off (the lock is
 * taken irqsave, section 5): keep it short, and bound the walk with @from
 * and a non-zero return.
 * Context: any.
 * Return: 0 after the whole table, or what @fn returned to stop the walk.
 */
int vtd_pgtable_walk(struct vtd_pgtable *pgt, u64 from,
		     int (*fn)(void *arg,
			       const struct vtd_pgtable_walk_entry *e),
		     void *arg)
{
	unsigned long flags;
	int ret;

	if (!pgt->root || from >> pgt->aw_bits)
		return 0;
	read_lock_irqsave(&pgt->reclaim_lock, flags);
	ret = pgt_walk_level(pgt, pgt->root, pgt->levels, 0, from, fn, arg);
	read_unlock_irqrestore(&pgt->reclaim_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_pgtable_walk);
