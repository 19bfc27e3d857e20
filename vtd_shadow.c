// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap shadow buffers: the pools behind the "shadow" unmap mode.
 *
 * Theory of operation
 *
 * 1. Concepts. A device the shim owns in shadow mode (unmap=shadow, or
 *    own=ADDR@shadow) never gets its driver's buffers mapped for streaming
 *    DMA. Its domain instead keeps a pool of shadow buffers, whose pages
 *    are mapped once into the domain's IOVA space (read and write) and
 *    stay mapped while the pool lives. map_page and map_sg take a shadow
 *    slot of the segment's size, copy the driver's data in (every
 *    direction, section 9) and hand out the slot's IOVA; unmap copies the
 *    data back (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL) and returns the slot,
 *    with no invalidation: the device may keep reaching the slot, but the
 *    slot holds only data the device already had. The sync operations
 *    copy in the direction asked. Above shadow_max bytes (a buffer, or a
 *    scatterlist's sum: vtd_shadow_fits()), or when the pool cannot serve,
 *    the shim maps zero-copy, strictly (vtd_dma.c).
 *    The idea is Markuze, Morrison and Tsafrir's (ASPLOS'16, "True IOMMU
 *    protection from DMA attacks: when copy is faster than zero copy").
 *
 * 2. Layout. Slots come in VTD_SHADOW_NR_CLASSES power-of-two size
 *    classes, 512 bytes to 64 KiB. A chunk is VTD_SHADOW_CHUNK_SIZE
 *    (64 KiB) of zeroed, physically contiguous pages, mapped at one
 *    naturally aligned IOVA range of the same size and cut into slots of
 *    one class, each aligned to its size. So every byte of an IOVA page a
 *    slot lies in belongs to a slot of the same class in the same chunk:
 *    a device given a shadow of N bytes can reach those N bytes, and other
 *    slots of its own domain, which hold data of the same device's earlier
 *    or concurrent DMA - never a byte of the driver's memory, which no
 *    zero-copy mapping of a sub-page buffer can promise. A mapping of len
 *    bytes whose device has a min_align_mask (nvme: 4 KiB - 1) keeps its
 *    offset under the mask: it takes a slot of at least mask + 1 bytes
 *    holding offset + len and starts at that offset in it. Chunks are
 *    found by IOVA in the pool's xarray (key: IOVA >> 16), lock-free.
 *
 * 3. Free lists. Per CPU and class, a magazine of up to VTD_SHADOW_MAG
 *    free slots with a per-CPU spinlock that only a trimmer on another CPU
 *    ever contends; per class, a depot (a singly linked free list) under
 *    the class's lock. A take pops this CPU's magazine; an empty magazine
 *    takes up to half a magazine from the depot; an empty depot grows the
 *    pool by one chunk (GFP_ATOMIC, the map paths run in interrupts) and
 *    retries. A growth refused at the bound drains every CPU's magazines
 *    into the depots (the slow path only) and retries once before the
 *    caller falls back. A return pushes to this CPU's magazine; a full one
 *    moves half of itself to the depot first. The common path takes no lock
 *    shared between CPUs. An offline CPU's magazines (at most
 *    VTD_SHADOW_MAG slots per class) stay until a trim or a drain at the
 *    bound moves them to the depots: no CPU-hotplug callback is needed.
 *
 * 4. Invariants.
 *    a. A slot is in exactly one place: handed out (busy), in one
 *       magazine, or in its class's depot. chunk->in_depot counts its
 *       slots in the depot (under the class lock).
 *    b. A chunk in the xarray is mapped at its IOVA with read and write
 *       permission to its own pages, and none of those pages is used for
 *       anything else; it is unmapped (IOTLB invalidated, strictly) before
 *       its pages are freed, and its pages are freed only then.
 *    c. pool->pages <= pool->max_pages at all times (growth reserves its
 *       pages before allocating, and gives them back if it fails).
 *
 * 5. Memory bound. Per pool (per domain): max_pages pages of shadow data,
 *    the module parameter shadow_pool_kib when the pool is made (default
 *    8 MiB: fio's 32 requests of 128 KiB in flight fit with room). On top
 *    of that: per chunk a struct vtd_shadow_chunk and a struct
 *    vtd_shadow_slot per slot (at most 128 slots of 24 bytes: 4 KiB per
 *    64 KiB chunk of 512-byte slots, 1/16), the xarray's nodes, and per
 *    possible CPU VTD_SHADOW_NR_CLASSES magazines of VTD_SHADOW_MAG
 *    pointers (about 1.2 KiB). debugfs shows the pool's bytes and bound
 *    (vtd_remap/dma/devices).
 *
 * 6. Trimming. A shrinker per pool gives back chunks whose every slot is
 *    free: it drains every CPU's magazines into the depots, takes each
 *    wholly free chunk's slots out of its depot under the class lock
 *    (they can no longer be handed out), and then, without locks, erases
 *    it from the xarray, unmaps it with vtd_domain_unmap_free() (the
 *    domain is strict as far as vtd_flush.c is concerned: the invalidation
 *    is done before it returns) and frees its pages; its descriptor goes
 *    after an RCU grace period. Trimming runs off the fast path only: the
 *    shrinker (which gives up if another trim or the teardown holds the
 *    pool's trim mutex) and vtd_shadow_trim() for the tests.
 *
 * 7. Locking. Order: the magazine's lock (interrupts off), then a class's
 *    lock; both irq-safe spinlocks, leaves otherwise (growth allocates and
 *    maps with neither held). The xarray's own lock is irq-safe too
 *    (growth stores into it in any context) and a leaf. The trim mutex serialises trimmers and the
 *    teardown. Lookups by address (unmap, sync) use xa_load() under RCU.
 *
 * 8. Failure policy. Nothing here fails a DMA: vtd_shadow_map() returns
 *    -E2BIG (above shadow_max), -ENOSPC (the pool at its bound), -ENOMEM
 *    (no chunk), -ERANGE (slot outside the device's mask or a segment
 *    boundary, or a page the CPU cannot copy), each counted as a fallback
 *    in debugfs, and the shim maps zero-copy and strict instead. An unmap
 *    or sync of an address in a chunk that is not a live shadow is a
 *    driver bug: counted, warned once, nothing done. A trimmed chunk whose
 *    invalidation fails is quarantined by the domain code and its pages
 *    are leaked for good (counted), never reused. The pool's teardown
 *    (after the driver is unbound) unmaps every chunk, warning about slots
 *    still handed out.
 *
 * 9. Copies. The CPU side of a mapping is the driver's buffer in the
 *    kernel's linear map (x86-64 has no highmem; a physically contiguous
 *    buffer is contiguous there). Data is copied in at map and at a sync
 *    for the device whatever the direction, and out at unmap and at a
 *    sync for the CPU for DMA_FROM_DEVICE and DMA_BIDIRECTIONAL; nothing
 *    is copied at map or unmap with DMA_ATTR_SKIP_CPU_SYNC (the caller
 *    syncs instead). A DMA_FROM_DEVICE shadow is filled too: the device
 *    may write less than it was given, and the bytes it did not write
 *    must come back as the driver left them, not as whatever the slot
 *    held (another buffer's data), which a zero-copy mapping would never
 *    do. That costs one copy per read; swiotlb pays it for the same
 *    reason. Where the buffer and its shadow lie at the same offset in
 *    their pages, whole pages are copied by copy_page() and the rest by
 *    memcpy() (vtd_shadow_copy_bytes(), with why).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": shadow: " fmt

#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/instrumented.h>
#include <linux/log2.h>
#include <linux/memremap.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vtd_shadow.h"
#include "vtd_unit.h"

#define VTD_SHADOW_CHUNK_ORDER	(VTD_SHADOW_CHUNK_SHIFT - PAGE_SHIFT)
#define VTD_SHADOW_CHUNK_PAGES	BIT(VTD_SHADOW_CHUNK_ORDER)
#define VTD_SHADOW_GFP		(GFP_ATOMIC | __GFP_NOWARN)
static_assert(VTD_SHADOW_MAX_SHIFT <= VTD_SHADOW_CHUNK_SHIFT);

/*
 * shadow_max: mappings above it (a buffer, or a scatterlist in all) go
 * zero-copy and strict. Measured for single buffers (make
 * bench's ours-shadow boot, QEMU TCG, 2 vCPUs, other guests running;
 * dma_map_benchmark -t 1 -s 2, bidirectional, map + unmap, raw us; the
 * "VTD-BENCH-NOTE ours-shadow threshold" lines of
 * VTD_GUEST_WRAPPER=/work/guest-slot.sh BENCH_QUICK=1 scripts/bench.sh
 * --only dma --configs ours-deferred,ours-shadow,ours-strict):
 *	pages	copied (shadow_max=65536)	zero-copy strict
 *		memcpy()	copy_page()	(shadow_max=0)
 *	1	 25.0 -  36.0	 5.0 -  5.3	 7.5 - 11.4
 *	2	 47.8 -  78.9	 7.1 -  7.4	 6.3 -  9.1
 *	4	 80.2 - 134.2	11.6 - 12.3	 7.2 - 12.5
 *	8	192.0 - 315.7	28.7 - 31.2	 9.8 - 20.7
 *	16	514.2 - 562.5	66.5 - 74.0	12.7 - 19.2
 * (two boots each; memcpy(): before whole pages went through
 * copy_page(); strict: all four boots; runs vary by up to 2x with the
 * machine's load.)
 * Under TCG memcpy() is "rep movsb", run a byte a step: ~2.2 ns a byte
 * each way; copy_page() moves 8 bytes a step, ~0.28 ns a byte
 * (vtd_shadow_copy_bytes()). So a page-aligned 4 KiB buffer is now
 * cheaper to copy than to invalidate strictly; the break-even lies
 * between one and two pages (4-8 KiB) here, and shadow_max=4096 is the
 * speed choice on this emulated machine. The default, 16 KiB, keeps the
 * protection for 8 and 16 KiB buffers too, at ~1-1.7x strict's cost
 * there. A sub-page buffer, or one whose shadow sits at another page
 * offset, is still copied by memcpy() (~1.1 us each way for 512 bytes
 * here). On hardware (copies at GB/s against an invalidation of
 * microseconds) the break-even is far higher; measure it there with the
 * same boot.
 */
static unsigned int shadow_max = SZ_16K;
module_param(shadow_max, uint, 0644);
MODULE_PARM_DESC(shadow_max, "Shadow unmap mode: largest mapping copied through a shadow buffer, in bytes (at most 65536; above it: zero-copy, strict). Default 16384");

static unsigned int shadow_pool_kib = 8192;
module_param(shadow_pool_kib, uint, 0444);
MODULE_PARM_DESC(shadow_pool_kib, "Shadow unmap mode: memory bound of one domain's shadow pool, in KiB (default 8192)");

/**
 * struct vtd_shadow_slot - one shadow buffer
 * @next:	the next free slot in the depot.
 * @chunk:	its chunk.
 * @orig:	the driver's buffer (physical address) while busy.
 * @len:	bytes mapped while busy.
 * @off:	offset of the data in the slot while busy.
 * @dir:	the mapping's direction while busy.
 * @busy:	handed out.
 */
struct vtd_shadow_slot {
	struct vtd_shadow_slot *next;
	struct vtd_shadow_chunk *chunk;
	phys_addr_t orig;
	u32 len;
	u16 off;
	u8 dir;
	bool busy;
};

/**
 * struct vtd_shadow_chunk - VTD_SHADOW_CHUNK_SIZE of slots of one class
 * @node:	on its class's chunk list.
 * @rcu:	frees the descriptor after lookups are done.
 * @iova:	its IOVA (naturally aligned).
 * @cpu:	its pages in the linear map.
 * @cls:	its class.
 * @nslots:	slots.
 * @in_depot:	slots in the class's depot (class lock).
 * @dying:	being trimmed (class lock).
 * @slots:	the slots.
 */
struct vtd_shadow_chunk {
	struct list_head node;
	struct rcu_head rcu;
	u64 iova;
	void *cpu;
	u8 cls;
	bool dying;
	u16 nslots;
	u16 in_depot;
	struct vtd_shadow_slot slots[];
};

/**
 * struct vtd_shadow_mag - one CPU's free slots of one class
 * @lock:	protects @n and @s; contended only by trimmers.
 * @n:		slots in @s.
 * @s:		the slots.
 */
struct vtd_shadow_mag {
	spinlock_t lock;	/* @n, @s */
	unsigned int n;
	struct vtd_shadow_slot *s[VTD_SHADOW_MAG];
};

/* Fallback reasons: the index of a CPU's fb[]. */
enum {
	VTD_SHADOW_FB_SIZE,
	VTD_SHADOW_FB_BOUND,
	VTD_SHADOW_FB_NOMEM,
	VTD_SHADOW_FB_RANGE,
	VTD_SHADOW_NR_FB,
};

/**
 * struct vtd_shadow_pcpu - a CPU's part of a pool
 * @mag:	magazines, by class.
 * @takes:	shadows handed out on this CPU.
 * @hits:	of which from the magazine.
 * @gives:	shadows given back on this CPU.
 * @copies_in:	copies in.
 * @copies_out:	copies out.
 * @bytes_in:	bytes copied in.
 * @bytes_out:	bytes copied out.
 * @fb:		maps that fell back to zero-copy, by reason.
 */
struct vtd_shadow_pcpu {
	struct vtd_shadow_mag mag[VTD_SHADOW_NR_CLASSES];
	u64 takes;
	u64 hits;
	u64 gives;
	u64 copies_in;
	u64 copies_out;
	u64 bytes_in;
	u64 bytes_out;
	u64 fb[VTD_SHADOW_NR_FB];
};

/**
 * struct vtd_shadow_class - a class's depot and chunks
 * @lock:	protects everything here and the chunks' in_depot, dying.
 * @free:	the depot.
 * @nfree:	slots in it.
 * @chunks:	the class's chunks.
 * @nchunks:	how many.
 */
struct vtd_shadow_class {
	spinlock_t lock;	/* everything here */
	struct vtd_shadow_slot *free;
	unsigned long nfree;
	struct list_head chunks;
	unsigned long nchunks;
};

/**
 * struct vtd_shadow_pool - a domain's shadow buffers
 * @dom:	the domain.
 * @pcpu:	per-CPU magazines and counters.
 * @cls:	per-class depots.
 * @chunks:	chunks by IOVA >> VTD_SHADOW_CHUNK_SHIFT.
 * @pages:	pages of chunks (reserved by growth before allocating).
 * @max_pages:	the bound.
 * @trim_mutex:	serialises trimmers and the teardown.
 * @shrinker:	trims under memory pressure.
 * @grows:	chunks added.
 * @trims:	chunks trimmed.
 * @trim_failed: chunks leaked after a failed invalidation.
 * @fb:		fallbacks: size, bound, nomem, range.
 * @bad:	bad unmaps or syncs.
 * @warned_bound: the bound was reported once.
 */
struct vtd_shadow_pool {
	struct vtd_domain *dom;
	struct vtd_shadow_pcpu __percpu *pcpu;
	struct vtd_shadow_class cls[VTD_SHADOW_NR_CLASSES];
	struct xarray chunks;
	atomic_long_t pages;
	unsigned long max_pages;
	struct mutex trim_mutex;	/* trimmers, teardown */
	struct shrinker shrinker;
	atomic64_t grows;
	atomic64_t trims;
	atomic64_t trim_failed;
	atomic64_t bad;
	bool warned_bound;
};

static size_t vtd_shadow_class_size(unsigned int cls)
{
	return 1UL << (VTD_SHADOW_MIN_SHIFT + cls);
}

static u64 vtd_shadow_slot_iova(const struct vtd_shadow_slot *s)
{
	const struct vtd_shadow_chunk *c = s->chunk;

	return c->iova + (u64)(s - c->slots) * vtd_shadow_class_size(c->cls);
}

static void *vtd_shadow_slot_cpu(const struct vtd_shadow_slot *s)
{
	const struct vtd_shadow_chunk *c = s->chunk;

	return c->cpu + (s - c->slots) * vtd_shadow_class_size(c->cls);
}

/**
 * vtd_shadow_fits() - whether a mapping of @size bytes in all is copied
 * @pool: the pool; a size fallback is counted in it if not
 * @size: the bytes of a buffer, or of a whole scatterlist
 *
 * Context: any.
 * Return: true if @size is not above vtd_shadow_max(); false (counted)
 * if it is: the caller maps zero-copy and strict.
 */
bool vtd_shadow_fits(struct vtd_shadow_pool *pool, size_t size)
{
	if (size <= vtd_shadow_max())
		return true;
	this_cpu_inc(pool->pcpu->fb[VTD_SHADOW_FB_SIZE]);
	return false;
}
EXPORT_SYMBOL_GPL(vtd_shadow_fits);

/**
 * vtd_shadow_max() - the shadow_max parameter, clamped to the largest class
 *
 * Return: the largest mapping copied through a shadow, in bytes.
 */
size_t vtd_shadow_max(void)
{
	return min_t(size_t, READ_ONCE(shadow_max),
		     vtd_shadow_class_size(VTD_SHADOW_NR_CLASSES - 1));
}
EXPORT_SYMBOL_GPL(vtd_shadow_max);

/* --- depot and chunks ------------------------------------------------ */

static void vtd_shadow_depot_push(struct vtd_shadow_class *c,
				  struct vtd_shadow_slot *s)
{
	lockdep_assert_held(&c->lock);
	s->next = c->free;
	c->free = s;
	c->nfree++;
	s->chunk->in_depot++;
}

static struct vtd_shadow_slot *vtd_shadow_depot_pop(struct vtd_shadow_class *c)
{
	struct vtd_shadow_slot *s = c->free;

	lockdep_assert_held(&c->lock);
	if (!s)
		return NULL;
	c->free = s->next;
	c->nfree--;
	s->chunk->in_depot--;
	return s;
}

/*
 * Add one chunk of class @cls under @limit. Called with no lock held, in
 * any context. Return: 0, -ENOSPC (bound), -ENOMEM, -ERANGE.
 */
static int vtd_shadow_grow(struct vtd_shadow_pool *pool, unsigned int cls,
			   u64 limit)
{
	struct vtd_shadow_class *c = &pool->cls[cls];
	unsigned int i, n = VTD_SHADOW_CHUNK_SIZE / vtd_shadow_class_size(cls);
	struct vtd_shadow_chunk *chunk;
	unsigned long flags;
	struct page *page;
	int ret = -ENOMEM;

	if (atomic_long_add_return(VTD_SHADOW_CHUNK_PAGES, &pool->pages) >
	    pool->max_pages) {
		atomic_long_sub(VTD_SHADOW_CHUNK_PAGES, &pool->pages);
		return -ENOSPC;
	}
	chunk = kzalloc(struct_size(chunk, slots, n), VTD_SHADOW_GFP);
	if (!chunk)
		goto out_unreserve;
	/* Zeroed: a fresh chunk must not show the device old kernel data. */
	page = alloc_pages(VTD_SHADOW_GFP | __GFP_ZERO, VTD_SHADOW_CHUNK_ORDER);
	if (!page)
		goto out_free_chunk;
	chunk->cpu = page_address(page);
	chunk->cls = cls;
	chunk->nslots = n;
	for (i = 0; i < n; i++)
		chunk->slots[i].chunk = chunk;
	ret = vtd_domain_alloc_iova(pool->dom, VTD_SHADOW_CHUNK_SIZE, limit,
				    VTD_SHADOW_GFP, &chunk->iova);
	if (ret)
		goto out_free_pages;
	if (WARN_ON_ONCE(!IS_ALIGNED(chunk->iova, VTD_SHADOW_CHUNK_SIZE))) {
		ret = -ERANGE;
		goto out_free_iova;
	}
	ret = vtd_domain_map(pool->dom, chunk->iova, page_to_phys(page),
			     VTD_SHADOW_CHUNK_SIZE, VTD_PGT_READ | VTD_PGT_WRITE,
			     VTD_SHADOW_GFP);
	if (ret)
		goto out_free_iova;
	/* Growth runs in interrupts too: the xarray's lock is irq-safe. */
	xa_lock_irqsave(&pool->chunks, flags);
	ret = xa_err(__xa_store(&pool->chunks,
				chunk->iova >> VTD_SHADOW_CHUNK_SHIFT, chunk,
				VTD_SHADOW_GFP));
	xa_unlock_irqrestore(&pool->chunks, flags);
	if (ret)
		goto out_unmap;
	spin_lock_irqsave(&c->lock, flags);
	list_add(&chunk->node, &c->chunks);
	c->nchunks++;
	for (i = n; i-- > 0;)
		vtd_shadow_depot_push(c, &chunk->slots[i]);
	spin_unlock_irqrestore(&c->lock, flags);
	atomic64_inc(&pool->grows);
	return 0;

out_unmap:
	/* Never handed out: nothing the device can have used. */
	if (vtd_domain_unmap_free(pool->dom, chunk->iova,
				  VTD_SHADOW_CHUNK_SIZE, VTD_SHADOW_GFP)) {
		atomic64_inc(&pool->trim_failed);
		kfree(chunk);
		return -ENOMEM;	/* pages leaked, reservation kept */
	}
	goto out_free_pages;
out_free_iova:
	vtd_domain_free_iova(pool->dom, chunk->iova, VTD_SHADOW_CHUNK_SIZE);
out_free_pages:
	__free_pages(page, VTD_SHADOW_CHUNK_ORDER);
out_free_chunk:
	kfree(chunk);
out_unreserve:
	atomic_long_sub(VTD_SHADOW_CHUNK_PAGES, &pool->pages);
	return ret;
}

/* Unmap (strictly) and free a chunk out of every list. Sleeps not. */
static void vtd_shadow_chunk_free(struct vtd_shadow_pool *pool,
				  struct vtd_shadow_chunk *chunk)
{
	unsigned long flags;

	xa_lock_irqsave(&pool->chunks, flags);
	__xa_erase(&pool->chunks, chunk->iova >> VTD_SHADOW_CHUNK_SHIFT);
	xa_unlock_irqrestore(&pool->chunks, flags);
	if (vtd_domain_unmap_free(pool->dom, chunk->iova,
				  VTD_SHADOW_CHUNK_SIZE, VTD_SHADOW_GFP)) {
		/* Quarantined: the unit may still reach the pages. */
		atomic64_inc(&pool->trim_failed);
	} else {
		free_pages((unsigned long)chunk->cpu, VTD_SHADOW_CHUNK_ORDER);
		atomic_long_sub(VTD_SHADOW_CHUNK_PAGES, &pool->pages);
	}
	kfree_rcu(chunk, rcu);
}

/* Move every CPU's magazines to the depots. */
static void vtd_shadow_drain_mags(struct vtd_shadow_pool *pool)
{
	struct vtd_shadow_mag *mag;
	struct vtd_shadow_class *c;
	unsigned long flags;
	unsigned int cpu, cls;

	for_each_possible_cpu(cpu) {
		for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++) {
			mag = &per_cpu_ptr(pool->pcpu, cpu)->mag[cls];
			c = &pool->cls[cls];
			spin_lock_irqsave(&mag->lock, flags);
			spin_lock(&c->lock);
			while (mag->n)
				vtd_shadow_depot_push(c, mag->s[--mag->n]);
			spin_unlock(&c->lock);
			spin_unlock_irqrestore(&mag->lock, flags);
		}
	}
}

/*
 * Take wholly free chunks of one class out of its depot, up to @max (all
 * chunks if @all, free or not: teardown). Return: how many, on @out.
 */
static unsigned long vtd_shadow_collect(struct vtd_shadow_pool *pool,
					unsigned int cls, unsigned long max,
					bool all, struct list_head *out)
{
	struct vtd_shadow_class *c = &pool->cls[cls];
	struct vtd_shadow_chunk *chunk, *tmp;
	struct vtd_shadow_slot **pp;
	unsigned long flags, n = 0;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry_safe(chunk, tmp, &c->chunks, node) {
		if (n == max)
			break;
		if (!all && chunk->in_depot != chunk->nslots)
			continue;
		chunk->dying = true;
		list_move(&chunk->node, out);
		c->nchunks--;
		n++;
	}
	for (pp = &c->free; *pp;) {
		if ((*pp)->chunk->dying) {
			(*pp)->chunk->in_depot--;
			*pp = (*pp)->next;
			c->nfree--;
		} else {
			pp = &(*pp)->next;
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

/**
 * vtd_shadow_trim() - give back wholly free chunks
 * @pool: the pool
 * @max_chunks: at most this many
 *
 * Drains every CPU's magazines first. Each chunk is unmapped with a strict
 * invalidation before its pages are freed.
 * Context: process or reclaim; takes the trim mutex (gives up if busy).
 * Return: chunks given back.
 */
unsigned long vtd_shadow_trim(struct vtd_shadow_pool *pool,
			      unsigned long max_chunks)
{
	struct vtd_shadow_chunk *chunk, *tmp;
	unsigned long n = 0;
	unsigned int cls;
	LIST_HEAD(dead);

	if (!mutex_trylock(&pool->trim_mutex))
		return 0;
	vtd_shadow_drain_mags(pool);
	for (cls = 0; cls < VTD_SHADOW_NR_CLASSES && n < max_chunks; cls++)
		n += vtd_shadow_collect(pool, cls, max_chunks - n, false,
					&dead);
	list_for_each_entry_safe(chunk, tmp, &dead, node) {
		list_del(&chunk->node);
		vtd_shadow_chunk_free(pool, chunk);
		atomic64_inc(&pool->trims);
	}
	mutex_unlock(&pool->trim_mutex);
	return n;
}
EXPORT_SYMBOL_GPL(vtd_shadow_trim);

/**
 * vtd_shadow_chunks() - chunks a pool holds now (each one IOVA range)
 * @pool: the pool
 *
 * Return: the number of chunks mapped.
 */
unsigned long vtd_shadow_chunks(struct vtd_shadow_pool *pool)
{
	return atomic_long_read(&pool->pages) / VTD_SHADOW_CHUNK_PAGES;
}
EXPORT_SYMBOL_GPL(vtd_shadow_chunks);

static unsigned long vtd_shadow_count(struct shrinker *s,
				      struct shrink_control *sc)
{
	struct vtd_shadow_pool *pool = container_of(s, struct vtd_shadow_pool,
						    shrinker);

	/* An upper bound: chunks with slots in use are not trimmed. */
	return vtd_shadow_chunks(pool) ?: SHRINK_EMPTY;
}

static unsigned long vtd_shadow_scan(struct shrinker *s,
				     struct shrink_control *sc)
{
	struct vtd_shadow_pool *pool = container_of(s, struct vtd_shadow_pool,
						    shrinker);
	unsigned long done = vtd_shadow_trim(pool, sc->nr_to_scan);

	return done ?: SHRINK_STOP;
}

/* --- pools ----------------------------------------------------------- */

/**
 * vtd_shadow_pool_create() - an empty pool for a DMA domain
 * @dom: the domain; stays strict as far as vtd_flush.c is concerned
 * @max_bytes: the pool's memory bound, or 0 for shadow_pool_kib
 *
 * Context: process; sleeps.
 * Return: the pool or an ERR_PTR().
 */
struct vtd_shadow_pool *vtd_shadow_pool_create(struct vtd_domain *dom,
					       size_t max_bytes)
{
	struct vtd_shadow_pool *pool;
	unsigned int cpu, cls;
	int ret;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->dom = dom;
	if (!max_bytes)
		max_bytes = (size_t)READ_ONCE(shadow_pool_kib) * 1024;
	pool->max_pages = max_t(unsigned long, VTD_SHADOW_CHUNK_PAGES,
				max_bytes >> PAGE_SHIFT);
	pool->pcpu = alloc_percpu(struct vtd_shadow_pcpu);
	if (!pool->pcpu) {
		kfree(pool);
		return ERR_PTR(-ENOMEM);
	}
	for_each_possible_cpu(cpu)
		for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++)
			spin_lock_init(&per_cpu_ptr(pool->pcpu, cpu)->mag[cls].lock);
	for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++) {
		spin_lock_init(&pool->cls[cls].lock);
		INIT_LIST_HEAD(&pool->cls[cls].chunks);
	}
	xa_init_flags(&pool->chunks, XA_FLAGS_LOCK_IRQ);
	mutex_init(&pool->trim_mutex);
	pool->shrinker.count_objects = vtd_shadow_count;
	pool->shrinker.scan_objects = vtd_shadow_scan;
	pool->shrinker.seeks = DEFAULT_SEEKS;
	pool->shrinker.batch = 4;
	ret = register_shrinker(&pool->shrinker, "vtd_shadow");
	if (ret) {
		free_percpu(pool->pcpu);
		kfree(pool);
		return ERR_PTR(ret);
	}
	return pool;
}
EXPORT_SYMBOL_GPL(vtd_shadow_pool_create);

/**
 * vtd_shadow_pool_destroy() - unmap every chunk and free the pool
 * @pool: the pool, or NULL
 *
 * The device's driver is gone: slots still handed out are warned about
 * and unmapped anyway.
 * Context: process; sleeps.
 */
void vtd_shadow_pool_destroy(struct vtd_shadow_pool *pool)
{
	struct vtd_shadow_chunk *chunk, *tmp;
	unsigned int cls;
	LIST_HEAD(dead);

	if (!pool)
		return;
	unregister_shrinker(&pool->shrinker);
	mutex_lock(&pool->trim_mutex);
	vtd_shadow_drain_mags(pool);
	for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++)
		vtd_shadow_collect(pool, cls, ULONG_MAX, true, &dead);
	list_for_each_entry_safe(chunk, tmp, &dead, node) {
		WARN_ONCE(chunk->in_depot != 0,
			  "vtd_remap: shadow: chunk %#llx torn down with slots in use\n",
			  chunk->iova);
		list_del(&chunk->node);
		vtd_shadow_chunk_free(pool, chunk);
	}
	mutex_unlock(&pool->trim_mutex);
	/* Lookups under RCU may still see the descriptors until then. */
	rcu_barrier();
	xa_destroy(&pool->chunks);
	free_percpu(pool->pcpu);
	kfree(pool);
}
EXPORT_SYMBOL_GPL(vtd_shadow_pool_destroy);

/* --- the fast path --------------------------------------------------- */

/* A free slot of class @cls, or NULL with the reason in @err. */
static struct vtd_shadow_slot *vtd_shadow_take(struct vtd_shadow_pool *pool,
					       unsigned int cls, u64 limit,
					       int *err)
{
	struct vtd_shadow_class *c = &pool->cls[cls];
	struct vtd_shadow_slot *s = NULL;
	struct vtd_shadow_pcpu *pc;
	struct vtd_shadow_mag *mag;
	bool grown = false, drained = false;
	unsigned long flags;

again:
	local_irq_save(flags);
	pc = this_cpu_ptr(pool->pcpu);
	mag = &pc->mag[cls];
	spin_lock(&mag->lock);
	pc->takes++;
	if (mag->n) {
		s = mag->s[--mag->n];
		pc->hits++;
	} else {
		spin_lock(&c->lock);
		s = vtd_shadow_depot_pop(c);
		while (s && mag->n < VTD_SHADOW_MAG / 2) {
			struct vtd_shadow_slot *t = vtd_shadow_depot_pop(c);

			if (!t)
				break;
			mag->s[mag->n++] = t;
		}
		spin_unlock(&c->lock);
	}
	if (!s)
		pc->takes--;
	spin_unlock(&mag->lock);
	local_irq_restore(flags);
	if (s || grown)
		return s;
	*err = vtd_shadow_grow(pool, cls, limit);
	if (*err == -ENOSPC && !drained) {
		/* At the bound: free slots may sit in other CPUs' magazines. */
		vtd_shadow_drain_mags(pool);
		drained = true;
		goto again;
	}
	if (*err)
		return NULL;
	grown = true;
	goto again;
}

/* Give a slot back to this CPU's magazine. */
static void vtd_shadow_give(struct vtd_shadow_pool *pool,
			    struct vtd_shadow_slot *s)
{
	unsigned int cls = s->chunk->cls, i;
	struct vtd_shadow_class *c = &pool->cls[cls];
	struct vtd_shadow_pcpu *pc;
	struct vtd_shadow_mag *mag;
	unsigned long flags;

	s->busy = false;
	local_irq_save(flags);
	pc = this_cpu_ptr(pool->pcpu);
	mag = &pc->mag[cls];
	spin_lock(&mag->lock);
	pc->gives++;
	if (mag->n == VTD_SHADOW_MAG) {
		spin_lock(&c->lock);
		for (i = 0; i < VTD_SHADOW_MAG / 2; i++)
			vtd_shadow_depot_push(c, mag->s[--mag->n]);
		spin_unlock(&c->lock);
	}
	mag->s[mag->n++] = s;
	spin_unlock(&mag->lock);
	local_irq_restore(flags);
}

/*
 * Copy @len bytes from @src to @dst (section 9). Where both lie at the
 * same offset in their pages (a page-aligned buffer in a slot of 4 KiB
 * or more; any buffer of a device whose min_align_mask is 4 KiB - 1), the
 * whole pages go through copy_page() and only the partial pages at the
 * ends through memcpy(). The reason is the emulated machine: QEMU's TCG
 * "max" CPU advertises ERMS and REP_GOOD (QEMU 7.2: no FSRM; the guest
 * kernel sees an AMD family 0xf), so memcpy() is "rep movsb",
 * which TCG runs one byte per step, while copy_page() is "rep movsq",
 * eight bytes a step (an unrolled register loop without REP_GOOD).
 * Measured in the bench kernel (QEMU 7.2 TCG, 1 vCPU, no other guest;
 * a throwaway module, not kept, timing 21 rounds of 200 copies of each
 * candidate side by side, interrupts off, ktime, median): 4 KiB
 * memcpy() 8.8 us, copy_page() 1.1 us (7.7x); 16 KiB 35.0 us against
 * 4.6 us; 512 bytes by memcpy() 1.15 us (copy_page() cannot serve it).
 * On hardware, copy_page() is the kernel's own choice for copying a page
 * (fast-string "rep movsq" on every REP_GOOD CPU), so no slower than
 * memcpy() for a whole page is expected there (not measured on hardware
 * here). copy_page() is not instrumented:
 * instrument_read() and instrument_write() keep KASAN's checks.
 */
static void vtd_shadow_copy_bytes(void *dst, const void *src, size_t len)
{
	size_t head = (PAGE_SIZE - offset_in_page(dst)) & ~PAGE_MASK;

	if (offset_in_page(dst) != offset_in_page(src) ||
	    len < head + PAGE_SIZE) {
		memcpy(dst, src, len);
		return;
	}
	memcpy(dst, src, head);
	dst += head;
	src += head;
	len -= head;
	instrument_read(src, len & PAGE_MASK);
	instrument_write(dst, len & PAGE_MASK);
	for (; len >= PAGE_SIZE; len -= PAGE_SIZE) {
		copy_page(dst, (void *)src);
		dst += PAGE_SIZE;
		src += PAGE_SIZE;
	}
	memcpy(dst, src, len);
}

static void vtd_shadow_copy(struct vtd_shadow_pool *pool,
			    struct vtd_shadow_slot *s, size_t from,
			    size_t len, bool in)
{
	void *shadow = vtd_shadow_slot_cpu(s) + s->off + from;
	void *orig = phys_to_virt(s->orig + from);

	if (in) {
		vtd_shadow_copy_bytes(shadow, orig, len);
		this_cpu_inc(pool->pcpu->copies_in);
		this_cpu_add(pool->pcpu->bytes_in, len);
	} else {
		vtd_shadow_copy_bytes(orig, shadow, len);
		this_cpu_inc(pool->pcpu->copies_out);
		this_cpu_add(pool->pcpu->bytes_out, len);
	}
}

static bool vtd_shadow_dir_out(enum dma_data_direction dir)
{
	return dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL;
}

/**
 * vtd_shadow_map() - copy a buffer into a shadow and give its address
 * @pool: the device's pool
 * @phys: the driver's buffer
 * @size: its bytes
 * @align_mask: the device's min_align_mask: the address keeps @phys's
 *	bits under it
 * @limit: the highest IOVA the device may be given
 * @boundary: the device's segment boundary mask
 * @dir: the direction
 * @copy: copy in (false for DMA_ATTR_SKIP_CPU_SYNC)
 * @dma: the shadow's DMA address
 *
 * Context: any.
 * Return: 0; or, the fallback counted, -E2BIG, -ENOSPC, -ENOMEM, -ERANGE.
 */
int vtd_shadow_map(struct vtd_shadow_pool *pool, phys_addr_t phys,
		   size_t size, u64 align_mask, u64 limit,
		   unsigned long boundary, enum dma_data_direction dir,
		   bool copy, dma_addr_t *dma)
{
	size_t off = phys & align_mask, need = off + size;
	struct vtd_shadow_slot *s;
	unsigned int cls;
	u64 iova;
	int err = 0;

	if (!size || size > vtd_shadow_max() || need > vtd_shadow_max()) {
		this_cpu_inc(pool->pcpu->fb[VTD_SHADOW_FB_SIZE]);
		return -E2BIG;
	}
	if (off)
		need = max_t(size_t, need, align_mask + 1);
	if (is_pci_p2pdma_page(pfn_to_page(PHYS_PFN(phys))) ||
	    need > vtd_shadow_class_size(VTD_SHADOW_NR_CLASSES - 1)) {
		this_cpu_inc(pool->pcpu->fb[VTD_SHADOW_FB_RANGE]);
		return -ERANGE;
	}
	cls = order_base_2(max_t(size_t, need, 1UL << VTD_SHADOW_MIN_SHIFT)) -
	      VTD_SHADOW_MIN_SHIFT;
	s = vtd_shadow_take(pool, cls, limit, &err);
	if (!s) {
		if (err == -ENOSPC && !READ_ONCE(pool->warned_bound)) {
			WRITE_ONCE(pool->warned_bound, true);
			pr_info("domain %u: shadow pool at its bound (%lu KiB): mapping zero-copy and strict until slots come back\n",
				pool->dom->did, pool->max_pages * PAGE_SIZE / 1024);
		}
		this_cpu_inc(pool->pcpu->fb[err == -ENOSPC ? VTD_SHADOW_FB_BOUND :
				       err == -ERANGE ? VTD_SHADOW_FB_RANGE :
				       VTD_SHADOW_FB_NOMEM]);
		return err;
	}
	iova = vtd_shadow_slot_iova(s) + off;
	if (iova + size - 1 > limit ||
	    (iova & ~(u64)boundary) != ((iova + size - 1) & ~(u64)boundary)) {
		vtd_shadow_give(pool, s);
		this_cpu_inc(pool->pcpu->fb[VTD_SHADOW_FB_RANGE]);
		return -ERANGE;
	}
	s->orig = phys;
	s->len = size;
	s->off = off;
	s->dir = dir;
	s->busy = true;
	/* Every direction: unwritten bytes come back unchanged (9). */
	if (copy)
		vtd_shadow_copy(pool, s, 0, size, true);
	*dma = iova;
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_shadow_map);

/*
 * The busy slot @addr lies in, with @addr's offset from the data's start
 * in @from. Return: the slot, NULL if @addr is in no chunk, or an
 * ERR_PTR(-EINVAL) if it is in one but not in a live shadow's data.
 * Context: under rcu_read_lock().
 */
static struct vtd_shadow_slot *vtd_shadow_find(struct vtd_shadow_pool *pool,
					       dma_addr_t addr, size_t size,
					       size_t *from)
{
	struct vtd_shadow_chunk *chunk;
	struct vtd_shadow_slot *s;
	u64 start;

	chunk = xa_load(&pool->chunks, addr >> VTD_SHADOW_CHUNK_SHIFT);
	if (!chunk)
		return NULL;
	s = &chunk->slots[(addr - chunk->iova) >>
			  (VTD_SHADOW_MIN_SHIFT + chunk->cls)];
	start = vtd_shadow_slot_iova(s) + s->off;
	if (!READ_ONCE(s->busy) || addr < start ||
	    addr + size > start + s->len) {
		atomic64_inc(&pool->bad);
		WARN_ONCE(1, "vtd_remap: shadow: %zu bytes at %#llx are not a live shadow\n",
			  size, (u64)addr);
		return ERR_PTR(-EINVAL);
	}
	*from = addr - start;
	return s;
}

/*
 * The live shadow holding [@addr, @addr + @size), with @addr's offset in
 * its data in @from; ERR_PTR(-ENOENT) if @addr is no shadow's, or
 * vtd_shadow_find()'s error.
 */
static struct vtd_shadow_slot *vtd_shadow_lookup(struct vtd_shadow_pool *pool,
						 dma_addr_t addr, size_t size,
						 size_t *from)
{
	struct vtd_shadow_slot *s;

	rcu_read_lock();
	s = vtd_shadow_find(pool, addr, size, from);
	rcu_read_unlock();
	return s ?: ERR_PTR(-ENOENT);
}

/**
 * vtd_shadow_unmap() - copy a shadow back and return it, no invalidation
 * @pool: the device's pool
 * @addr: the address vtd_shadow_map() gave
 * @size: its size
 * @dir: the direction
 * @copy: copy out (false for DMA_ATTR_SKIP_CPU_SYNC)
 *
 * Context: any.
 * Return: 0; -ENOENT if @addr is no shadow's (the caller's other
 * mappings); -EINVAL if it lies in the pool but is not a live shadow
 * (warned and counted, nothing done).
 */
int vtd_shadow_unmap(struct vtd_shadow_pool *pool, dma_addr_t addr,
		     size_t size, enum dma_data_direction dir, bool copy)
{
	struct vtd_shadow_slot *s;
	size_t from;

	s = vtd_shadow_lookup(pool, addr, size, &from);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (copy && vtd_shadow_dir_out(s->dir))
		vtd_shadow_copy(pool, s, 0, s->len, false);
	vtd_shadow_give(pool, s);
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_shadow_unmap);

/**
 * vtd_shadow_sync() - copy part of a shadow one way
 * @pool: the device's pool
 * @addr: an address in a shadow's data
 * @size: bytes from it
 * @dir: the direction of the sync call
 * @for_cpu: shadow -> driver (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL), else
 *	driver -> shadow (every direction, section 9)
 *
 * Context: any.
 * Return: as vtd_shadow_unmap().
 */
int vtd_shadow_sync(struct vtd_shadow_pool *pool, dma_addr_t addr,
		    size_t size, enum dma_data_direction dir, bool for_cpu)
{
	struct vtd_shadow_slot *s;
	size_t from;

	s = vtd_shadow_lookup(pool, addr, size, &from);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (for_cpu && vtd_shadow_dir_out(dir))
		vtd_shadow_copy(pool, s, from, size, false);
	else if (!for_cpu)
		vtd_shadow_copy(pool, s, from, size, true);
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_shadow_sync);

/* --- statistics ------------------------------------------------------ */

/**
 * vtd_shadow_get_stats() - a pool's counters
 * @pool: the pool
 * @st: filled in
 */
void vtd_shadow_get_stats(struct vtd_shadow_pool *pool,
			  struct vtd_shadow_stats *st)
{
	struct vtd_shadow_pcpu *pc;
	unsigned long flags;
	unsigned int cpu, cls;
	u64 gives = 0;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		pc = per_cpu_ptr(pool->pcpu, cpu);
		st->takes += READ_ONCE(pc->takes);
		st->hits += READ_ONCE(pc->hits);
		gives += READ_ONCE(pc->gives);
		st->copies_in += READ_ONCE(pc->copies_in);
		st->copies_out += READ_ONCE(pc->copies_out);
		st->bytes_in += READ_ONCE(pc->bytes_in);
		st->bytes_out += READ_ONCE(pc->bytes_out);
		st->fb_size += READ_ONCE(pc->fb[VTD_SHADOW_FB_SIZE]);
		st->fb_bound += READ_ONCE(pc->fb[VTD_SHADOW_FB_BOUND]);
		st->fb_nomem += READ_ONCE(pc->fb[VTD_SHADOW_FB_NOMEM]);
		st->fb_range += READ_ONCE(pc->fb[VTD_SHADOW_FB_RANGE]);
	}
	st->in_use = st->takes - gives;
	for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++) {
		spin_lock_irqsave(&pool->cls[cls].lock, flags);
		st->per_class[cls] = pool->cls[cls].nchunks;
		spin_unlock_irqrestore(&pool->cls[cls].lock, flags);
	}
	st->chunks = vtd_shadow_chunks(pool);
	st->bytes = (u64)atomic_long_read(&pool->pages) * PAGE_SIZE;
	st->max_bytes = (u64)pool->max_pages * PAGE_SIZE;
	st->grows = atomic64_read(&pool->grows);
	st->trims = atomic64_read(&pool->trims);
	st->trim_failed = atomic64_read(&pool->trim_failed);
	st->bad = atomic64_read(&pool->bad);
}
EXPORT_SYMBOL_GPL(vtd_shadow_get_stats);

/**
 * vtd_shadow_show() - a pool in debugfs
 * @m: the file
 * @pool: the pool
 */
void vtd_shadow_show(struct seq_file *m, struct vtd_shadow_pool *pool)
{
	struct vtd_shadow_stats st;
	unsigned int cls;

	vtd_shadow_get_stats(pool, &st);
	seq_printf(m, "  shadow: pool %llu of %llu KiB (bound), %lu chunks of %lu KiB; classes",
		   st.bytes / 1024, st.max_bytes / 1024, st.chunks,
		   VTD_SHADOW_CHUNK_SIZE / 1024);
	for (cls = 0; cls < VTD_SHADOW_NR_CLASSES; cls++)
		seq_printf(m, " %zu:%lu", vtd_shadow_class_size(cls),
			   st.per_class[cls]);
	seq_printf(m, "; in use %ld; shadow_max %zu\n", st.in_use,
		   vtd_shadow_max());
	seq_printf(m, "  shadow: takes %llu hits %llu grows %llu trims %llu (failed %llu); copies in %llu (%llu bytes) out %llu (%llu bytes); fallbacks size %llu bound %llu nomem %llu range %llu; bad %llu\n",
		   st.takes, st.hits, st.grows, st.trims, st.trim_failed,
		   st.copies_in, st.bytes_in, st.copies_out, st.bytes_out,
		   st.fb_size, st.fb_bound, st.fb_nomem, st.fb_range, st.bad);
}
