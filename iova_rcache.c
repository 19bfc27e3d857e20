// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap IOVA allocator: per-CPU range caches in front of the tree.
 *
 * 1. Concepts
 *
 *    A cache keeps ranges that were freed through vtd_iova_free_fast() and
 *    hands them out again through vtd_iova_alloc_fast() without touching
 *    the domain's tree or its lock. Only the shapes the DMA shim issues are
 *    cached: 2^c frames aligned to 2^c, c < VTD_IOVA_CACHE_CLASSES (iova.h
 *    gives the classes, the magazine size, the depot bound and the memory
 *    bound with their derivation).
 *
 * 2. Data structures
 *
 *    A magazine is an array of up to VTD_IOVA_MAG_SIZE first frames of one
 *    class. Every possible CPU has, per class, a loaded and a previous
 *    magazine (either may be NULL: magazines are allocated on demand with
 *    GFP_ATOMIC). The depot holds, per class, up to VTD_IOVA_DEPOT_MAX full
 *    magazines shared by all CPUs.
 *
 * 3. Invariants
 *
 *    a. A frame number sits in at most one magazine slot, and it is the
 *       first frame of a range allocated in the tree with the class's size.
 *       So a range is cached iff it is allocated in the tree and sits in a
 *       magazine; vtd_iova_find() sees it as an allocation.
 *    b. Depot magazines are full; CPU magazines hold 0..MAG_SIZE ranges.
 *    c. mags counts every magazine allocated and not yet freed.
 *
 * 4. Locking
 *
 *    Per CPU and class, one spinlock (irqsave) protects the two magazine
 *    pointers, their contents and the hit/miss counters. It is taken by
 *    the owning CPU on the fast path and by anyone who drains that CPU
 *    (flush, CPU offline, destroy), so the CPU a task runs on may change
 *    between picking the cache and locking it without harm. Per class, one
 *    spinlock protects the depot. Order: CPU lock, then depot lock. The
 *    domain's tree lock is never taken under either: ranges leave a
 *    magazine under the lock and go back to the tree after it is dropped.
 *
 * 5. Failure policy
 *
 *    A CPU going offline drains its own magazines from its
 *    CPUHP_AP_ONLINE_DYN teardown, on that CPU, once the scheduler no
 *    longer places tasks there; a range a late task or interrupt caches
 *    there after the drain stays cached (and allocated) until a flush,
 *    the shrinker or vtd_iova_cache_destroy() gives it back.
 *    The idle work gives back depot magazines only; a quiet CPU keeps its
 *    two magazines per class until one of those.
 *
 *    The caches never make an operation fail that the tree alone would let
 *    succeed: a magazine that cannot be allocated means the range goes to
 *    the tree; an allocation the tree refuses with -ENOSPC flushes every
 *    cache and is retried once. A free the tree refuses (iova_check on, or
 *    an uncached size) is reported with the tree's errno.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": iova cache: " fmt

#include <linux/atomic.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "iova.h"

/**
 * struct iova_mag - a magazine: first frames of ranges of one class
 * @nr:		ranges in @pfn.
 * @pfn:	their first frames; [0, @nr) are valid.
 */
struct iova_mag {
	unsigned long nr;
	unsigned long pfn[VTD_IOVA_MAG_SIZE];
};

static_assert(sizeof(struct iova_mag) == VTD_IOVA_MAG_BYTES);

/**
 * struct iova_cpu_class - one CPU's magazines of one class
 * @lock:	protects every field below.
 * @loaded:	magazine used first, or NULL.
 * @prev:	the other magazine, or NULL.
 * @hits:	allocations served here.
 * @misses:	allocations that found nothing here and went further.
 */
struct iova_cpu_class {
	spinlock_t lock;	/* protects loaded, prev, hits, misses */
	struct iova_mag *loaded;
	struct iova_mag *prev;
	unsigned long hits;
	unsigned long misses;
};

/* Per possible CPU: one entry per class. */
struct iova_cpu {
	struct iova_cpu_class cls[VTD_IOVA_CACHE_CLASSES];
};

/**
 * struct iova_depot - full magazines of one class, shared by all CPUs
 * @lock:	protects every field below.
 * @nr:		magazines in @mag.
 * @used:	a magazine was pushed or popped since the idle work last ran.
 * @mag:	the magazines; [0, @nr) are valid, all full.
 */
struct iova_depot {
	spinlock_t lock;	/* protects nr, used, mag */
	unsigned int nr;
	bool used;
	struct iova_mag *mag[VTD_IOVA_DEPOT_MAX];
};

/**
 * struct vtd_iova_cache - the caches of one domain
 * @dom:	the domain.
 * @cpu:	per possible CPU magazines.
 * @depot:	per class depot.
 * @mags:	magazines allocated now.
 * @flushes:	vtd_iova_cache_flush() calls, including before -ENOSPC.
 * @shrunk:	ranges the shrinker gave back.
 * @idle_returned: ranges given back by the idle work.
 * @idle:	gives back one depot magazine per class left unused for
 *		VTD_IOVA_CACHE_IDLE_MS.
 * @shrinker:	gives back cached ranges under memory pressure.
 * @cpuhp:	instance of the CPU-offline drain state.
 */
struct vtd_iova_cache {
	struct vtd_iova_domain *dom;
	struct iova_cpu __percpu *cpu;
	struct iova_depot depot[VTD_IOVA_CACHE_CLASSES];
	atomic_long_t mags;
	atomic_long_t flushes;
	atomic_long_t shrunk;
	atomic_long_t idle_returned;
	struct delayed_work idle;
	struct shrinker shrinker;
	struct hlist_node cpuhp;
};

/* The dynamic CPU hotplug state, set up once by vtd_iova_init(). */
static int iova_cache_hp_state = -1;

/* --- magazines ------------------------------------------------------- */

/* The class of a size, or -1 if ranges of that size are not cached. */
static int iova_cache_class(unsigned long size)
{
	if (!size || size > VTD_IOVA_CACHE_MAX_SIZE)
		return -1;
	return order_base_2(size);
}

static struct iova_mag *iova_mag_alloc(struct vtd_iova_cache *cache)
{
	struct iova_mag *mag = kmalloc(sizeof(*mag), GFP_ATOMIC | __GFP_NOWARN);

	if (mag) {
		mag->nr = 0;
		atomic_long_inc(&cache->mags);
	}
	return mag;
}

/* Free a magazine, NULL or not; its ranges must be gone. */
static void iova_mag_free(struct vtd_iova_cache *cache, struct iova_mag *mag)
{
	if (!mag)
		return;
	kfree(mag);
	atomic_long_dec(&cache->mags);
}

/* Give every range of @mag back to the tree, then free @mag (may be NULL). */
static unsigned long iova_mag_release(struct vtd_iova_cache *cache,
				      struct iova_mag *mag, int cls)
{
	unsigned long i, nr;

	if (!mag)
		return 0;
	nr = mag->nr;
	for (i = 0; i < nr; i++)
		WARN_ON_ONCE(vtd_iova_free(cache->dom, mag->pfn[i], 1UL << cls));
	iova_mag_free(cache, mag);
	return nr;
}

static bool iova_mag_has_room(const struct iova_mag *mag)
{
	return mag && mag->nr < VTD_IOVA_MAG_SIZE;
}

static bool iova_mag_empty(const struct iova_mag *mag)
{
	return !mag || !mag->nr;
}

/* Take from @mag the newest range of 2^@cls frames that ends <= @limit. */
static bool iova_mag_pop(struct iova_mag *mag, int cls, unsigned long limit,
			 unsigned long *pfn)
{
	unsigned long i;

	if (!mag)
		return false;
	for (i = mag->nr; i-- > 0;) {
		if (mag->pfn[i] + (1UL << cls) - 1 > limit)
			continue;
		*pfn = mag->pfn[i];
		mag->pfn[i] = mag->pfn[--mag->nr];
		return true;
	}
	return false;
}

/* Is @pfn in any magazine of class @cls? O(CPUs * magazine), for checks. */
static bool iova_cache_holds(struct vtd_iova_cache *cache, int cls,
			     unsigned long pfn)
{
	struct iova_mag *m[2 + VTD_IOVA_DEPOT_MAX];
	struct iova_cpu_class *pc;
	unsigned long flags, i;
	unsigned int cpu, k, n;
	bool found = false;

	for_each_possible_cpu(cpu) {
		pc = &per_cpu_ptr(cache->cpu, cpu)->cls[cls];
		spin_lock_irqsave(&pc->lock, flags);
		m[0] = pc->loaded;
		m[1] = pc->prev;
		for (k = 0; k < 2 && !found; k++)
			for (i = 0; m[k] && i < m[k]->nr; i++)
				found |= m[k]->pfn[i] == pfn;
		spin_unlock_irqrestore(&pc->lock, flags);
	}
	spin_lock_irqsave(&cache->depot[cls].lock, flags);
	n = cache->depot[cls].nr;
	memcpy(m, cache->depot[cls].mag, n * sizeof(m[0]));
	for (k = 0; k < n && !found; k++)
		for (i = 0; i < m[k]->nr; i++)
			found |= m[k]->pfn[i] == pfn;
	spin_unlock_irqrestore(&cache->depot[cls].lock, flags);
	return found;
}

/* --- depot ----------------------------------------------------------- */

/* Put full @mag into the depot; false if the depot is at its bound. */
static bool iova_depot_push(struct vtd_iova_cache *cache, int cls,
			    struct iova_mag *mag)
{
	struct iova_depot *d = &cache->depot[cls];
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&d->lock, flags);
	if (d->nr < VTD_IOVA_DEPOT_MAX) {
		d->mag[d->nr++] = mag;
		d->used = true;
		ok = true;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	if (ok)
		queue_delayed_work(system_wq, &cache->idle,
				   msecs_to_jiffies(VTD_IOVA_CACHE_IDLE_MS));
	return ok;
}

/* A full magazine from the depot, or NULL. */
static struct iova_mag *iova_depot_pop(struct vtd_iova_cache *cache, int cls)
{
	struct iova_depot *d = &cache->depot[cls];
	struct iova_mag *mag = NULL;
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	if (d->nr) {
		mag = d->mag[--d->nr];
		d->used = true;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	return mag;
}

/* --- fast path ------------------------------------------------------- */

/*
 * A cached range of class @cls ending at or below @limit from this CPU,
 * refilling from the depot when both magazines are empty.
 */
static bool iova_cache_get(struct vtd_iova_cache *cache, int cls,
			   unsigned long limit, unsigned long *pfn)
{
	struct iova_cpu_class *pc = &raw_cpu_ptr(cache->cpu)->cls[cls];
	struct iova_mag *drop = NULL, *full;
	unsigned long flags;
	bool hit;

	spin_lock_irqsave(&pc->lock, flags);
	hit = iova_mag_pop(pc->loaded, cls, limit, pfn);
	if (!hit && !iova_mag_empty(pc->prev)) {
		swap(pc->loaded, pc->prev);
		hit = iova_mag_pop(pc->loaded, cls, limit, pfn);
	}
	if (!hit && iova_mag_empty(pc->loaded)) {
		full = iova_depot_pop(cache, cls);
		if (full) {
			drop = pc->loaded;
			pc->loaded = full;
			hit = iova_mag_pop(pc->loaded, cls, limit, pfn);
		}
	}
	if (hit)
		pc->hits++;
	else
		pc->misses++;
	spin_unlock_irqrestore(&pc->lock, flags);
	iova_mag_free(cache, drop);	/* empty, or NULL */
	return hit;
}

/*
 * Keep the range at @pfn of class @cls on this CPU. False if it could not
 * be kept (no magazine could be allocated): the caller frees it to the tree.
 */
static bool iova_cache_put(struct vtd_iova_cache *cache, int cls,
			   unsigned long pfn)
{
	struct iova_cpu_class *pc = &raw_cpu_ptr(cache->cpu)->cls[cls];
	struct iova_mag *spill = NULL;
	unsigned long flags;
	bool kept = false;

	spin_lock_irqsave(&pc->lock, flags);
	if (!iova_mag_has_room(pc->loaded) && iova_mag_has_room(pc->prev))
		swap(pc->loaded, pc->prev);
	if (!iova_mag_has_room(pc->loaded)) {
		/* loaded is NULL or full, and so is prev. */
		if (pc->loaded && !pc->prev)
			pc->prev = pc->loaded;
		else if (pc->loaded && !iova_depot_push(cache, cls, pc->loaded))
			spill = pc->loaded;
		pc->loaded = iova_mag_alloc(cache);
	}
	if (pc->loaded) {
		pc->loaded->pfn[pc->loaded->nr++] = pfn;
		kept = true;
	}
	spin_unlock_irqrestore(&pc->lock, flags);
	/* The depot is at its bound: this magazine goes back to the tree. */
	iova_mag_release(cache, spill, cls);
	return kept;
}

/* Drain @cpu's magazines of every class back to the tree. */
static unsigned long iova_cache_drain_cpu(struct vtd_iova_cache *cache,
					  unsigned int cpu)
{
	struct iova_cpu *c = per_cpu_ptr(cache->cpu, cpu);
	struct iova_mag *loaded, *prev;
	unsigned long flags, nr = 0;
	int cls;

	for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++) {
		spin_lock_irqsave(&c->cls[cls].lock, flags);
		loaded = c->cls[cls].loaded;
		prev = c->cls[cls].prev;
		c->cls[cls].loaded = NULL;
		c->cls[cls].prev = NULL;
		spin_unlock_irqrestore(&c->cls[cls].lock, flags);
		nr += iova_mag_release(cache, loaded, cls);
		nr += iova_mag_release(cache, prev, cls);
	}
	return nr;
}

/* Give back up to @max depot magazines of class @cls; count the ranges. */
static unsigned long iova_depot_drain(struct vtd_iova_cache *cache, int cls,
				      unsigned int max)
{
	struct iova_mag *mag;
	unsigned long nr = 0;

	while (max-- && (mag = iova_depot_pop(cache, cls)))
		nr += iova_mag_release(cache, mag, cls);
	return nr;
}

/* --- exported API ---------------------------------------------------- */

/**
 * vtd_iova_alloc_fast() - take a range, from this CPU's cache if it can
 * @dom:	the domain
 * @size:	frames wanted, at least 1; 1..VTD_IOVA_CACHE_MAX_SIZE is
 *		rounded up to a power of two and aligned to it, larger sizes
 *		are taken as they are, aligned to the next power of two
 * @limit_pfn:	highest frame the range may include
 * @gfp:	allocation flags for the tree's node if the cache misses
 * @pfn_out:	first frame of the range, on success
 *
 * Without caches (vtd_iova_cache_init() not called) this is
 * vtd_iova_alloc() with the rounding above. If the tree has no room, every
 * cache of the domain is flushed back to it and the allocation is retried
 * once. Context: any, with a matching @gfp.
 *
 * Return: 0, -EINVAL for a zero size, -ENOSPC, -ENOMEM.
 */
int vtd_iova_alloc_fast(struct vtd_iova_domain *dom, unsigned long size,
			unsigned long limit_pfn, gfp_t gfp,
			unsigned long *pfn_out)
{
	struct vtd_iova_cache *cache = dom->cache;
	int cls = iova_cache_class(size);
	unsigned long align;
	int ret;

	if (!size)
		return -EINVAL;
	if (cls >= 0) {
		size = 1UL << cls;
		if (cache && iova_cache_get(cache, cls, limit_pfn, pfn_out))
			return 0;
	}
	align = size > ULONG_MAX / 2 + 1 ? 1 : roundup_pow_of_two(size);
	ret = vtd_iova_alloc(dom, size, limit_pfn, align, gfp, pfn_out);
	if (ret == -ENOSPC && cache) {
		vtd_iova_cache_flush(dom);
		ret = vtd_iova_alloc(dom, size, limit_pfn, align, gfp, pfn_out);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_alloc_fast);

/**
 * vtd_iova_free_fast() - give back a range from vtd_iova_alloc_fast()
 * @dom:	the domain
 * @pfn:	first frame of the range
 * @size:	the size passed to vtd_iova_alloc_fast() for it
 *
 * A cacheable range goes into this CPU's cache and stays allocated in the
 * tree until a cache gives it back. With the iova_check parameter on, the
 * range is checked first: it must be an allocation of the rounded size in
 * the tree and sit in no cache (a double free). Context: any.
 *
 * Return: 0, or the errno of vtd_iova_free() for a range that does not
 * match an allocation (checked for uncached sizes, and for every size
 * with iova_check on; the range is then left alone).
 */
int vtd_iova_free_fast(struct vtd_iova_domain *dom, unsigned long pfn,
		       unsigned long size)
{
	struct vtd_iova_cache *cache = dom->cache;
	int cls = iova_cache_class(size);
	struct vtd_iova_range r;

	if (cls < 0 || !cache)
		return vtd_iova_free(dom, pfn, cls < 0 ? size : 1UL << cls);
	if (vtd_iova_checking() &&
	    (vtd_iova_find(dom, pfn, &r) || r.reserved || r.pfn_lo != pfn ||
	     r.pfn_last - r.pfn_lo + 1 != 1UL << cls ||
	     iova_cache_holds(cache, cls, pfn))) {
		WARN_ONCE(1, "cached free of %#lx (size %#lx) matches no allocation\n",
			  pfn, size);
		return -EINVAL;
	}
	if (iova_cache_put(cache, cls, pfn))
		return 0;
	return vtd_iova_free(dom, pfn, 1UL << cls);
}
EXPORT_SYMBOL_GPL(vtd_iova_free_fast);

/**
 * vtd_iova_cache_flush() - give every cached range of a domain back
 * @dom:	the domain (with or without caches)
 *
 * Ranges a CPU caches while the flush runs may stay cached.
 * Context: any.
 */
void vtd_iova_cache_flush(struct vtd_iova_domain *dom)
{
	struct vtd_iova_cache *cache = dom->cache;
	unsigned int cpu;
	int cls;

	if (!cache)
		return;
	atomic_long_inc(&cache->flushes);
	for_each_possible_cpu(cpu)
		iova_cache_drain_cpu(cache, cpu);
	for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++)
		iova_depot_drain(cache, cls, VTD_IOVA_DEPOT_MAX);
}
EXPORT_SYMBOL_GPL(vtd_iova_cache_flush);

/**
 * vtd_iova_cache_shrink() - give cached ranges back under memory pressure
 * @dom:	the domain
 * @nr:		ranges wanted back
 *
 * Empties depot magazines, largest class first, then, if that was not
 * enough, every CPU's magazines. The domain's shrinker calls it.
 * Context: any.
 *
 * Return: the ranges given back to the tree.
 */
unsigned long vtd_iova_cache_shrink(struct vtd_iova_domain *dom,
				    unsigned long nr)
{
	struct vtd_iova_cache *cache = dom->cache;
	unsigned long done = 0;
	unsigned int cpu;
	int cls;

	if (!cache)
		return 0;
	for (cls = VTD_IOVA_CACHE_CLASSES - 1; cls >= 0 && done < nr; cls--)
		while (done < nr) {
			unsigned long got = iova_depot_drain(cache, cls, 1);

			if (!got)
				break;
			done += got;
		}
	for_each_possible_cpu(cpu) {
		if (done >= nr)
			break;
		done += iova_cache_drain_cpu(cache, cpu);
	}
	atomic_long_add(done, &cache->shrunk);
	return done;
}
EXPORT_SYMBOL_GPL(vtd_iova_cache_shrink);

/**
 * vtd_iova_cache_get_stats() - a snapshot of a domain's cache counters
 * @dom:	the domain; all zero without caches
 * @st:		filled in
 */
void vtd_iova_cache_get_stats(struct vtd_iova_domain *dom,
			      struct vtd_iova_cache_stats *st)
{
	struct vtd_iova_cache *cache = dom->cache;
	struct iova_cpu_class *pc;
	unsigned long flags;
	unsigned int cpu;
	int cls;

	memset(st, 0, sizeof(*st));
	if (!cache)
		return;
	for_each_possible_cpu(cpu) {
		for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++) {
			pc = &per_cpu_ptr(cache->cpu, cpu)->cls[cls];
			spin_lock_irqsave(&pc->lock, flags);
			st->hits += pc->hits;
			st->misses += pc->misses;
			st->cached_ranges += (pc->loaded ? pc->loaded->nr : 0) +
					     (pc->prev ? pc->prev->nr : 0);
			spin_unlock_irqrestore(&pc->lock, flags);
		}
	}
	for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++) {
		spin_lock_irqsave(&cache->depot[cls].lock, flags);
		st->depot_mags += cache->depot[cls].nr;
		st->cached_ranges += cache->depot[cls].nr * VTD_IOVA_MAG_SIZE;
		spin_unlock_irqrestore(&cache->depot[cls].lock, flags);
	}
	st->flushes = atomic_long_read(&cache->flushes);
	st->shrunk = atomic_long_read(&cache->shrunk);
	st->idle_returned = atomic_long_read(&cache->idle_returned);
	st->cache_bytes = atomic_long_read(&cache->mags) * sizeof(struct iova_mag);
}
EXPORT_SYMBOL_GPL(vtd_iova_cache_get_stats);

/* --- giving back: idle, memory pressure, CPU offline ------------------- */

static void iova_cache_idle_work(struct work_struct *work)
{
	struct vtd_iova_cache *cache = container_of(to_delayed_work(work),
						    struct vtd_iova_cache, idle);
	unsigned long flags, nr = 0;
	bool again = false, idle;
	int cls;

	for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++) {
		struct iova_depot *d = &cache->depot[cls];

		spin_lock_irqsave(&d->lock, flags);
		idle = !d->used;
		d->used = false;
		spin_unlock_irqrestore(&d->lock, flags);
		if (idle)
			nr += iova_depot_drain(cache, cls, 1);
		spin_lock_irqsave(&d->lock, flags);
		again |= d->nr != 0;
		spin_unlock_irqrestore(&d->lock, flags);
	}
	atomic_long_add(nr, &cache->idle_returned);
	if (again)
		queue_delayed_work(system_wq, &cache->idle,
				   msecs_to_jiffies(VTD_IOVA_CACHE_IDLE_MS));
}

static unsigned long iova_cache_count(struct shrinker *s,
				      struct shrink_control *sc)
{
	struct vtd_iova_cache *cache = container_of(s, struct vtd_iova_cache,
						    shrinker);
	struct vtd_iova_cache_stats st;

	vtd_iova_cache_get_stats(cache->dom, &st);
	return st.cached_ranges ?: SHRINK_EMPTY;
}

static unsigned long iova_cache_scan(struct shrinker *s,
				     struct shrink_control *sc)
{
	struct vtd_iova_cache *cache = container_of(s, struct vtd_iova_cache,
						    shrinker);
	unsigned long done = vtd_iova_cache_shrink(cache->dom, sc->nr_to_scan);

	return done ?: SHRINK_STOP;
}

/* CPU hotplug teardown, on @cpu as it goes offline: drain it. */
static int iova_cache_cpu_down(unsigned int cpu, struct hlist_node *node)
{
	struct vtd_iova_cache *cache = hlist_entry_safe(node,
							struct vtd_iova_cache,
							cpuhp);

	iova_cache_drain_cpu(cache, cpu);
	return 0;
}

/* --- setup and teardown ---------------------------------------------- */

/**
 * vtd_iova_cache_init() - put per-CPU caches in front of a domain's tree
 * @dom:	an initialised domain without caches
 *
 * Context: process context, may sleep.
 * Return: 0, -EBUSY if @dom already has caches, -ENOMEM.
 */
int vtd_iova_cache_init(struct vtd_iova_domain *dom)
{
	struct vtd_iova_cache *cache;
	unsigned int cpu;
	int cls, ret;

	if (dom->cache)
		return -EBUSY;
	cache = kzalloc(sizeof(*cache), GFP_KERNEL);
	if (!cache)
		return -ENOMEM;
	cache->dom = dom;
	cache->cpu = alloc_percpu(struct iova_cpu);
	if (!cache->cpu) {
		ret = -ENOMEM;
		goto out_free_cache;
	}
	for_each_possible_cpu(cpu)
		for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++)
			spin_lock_init(&per_cpu_ptr(cache->cpu, cpu)->cls[cls].lock);
	for (cls = 0; cls < VTD_IOVA_CACHE_CLASSES; cls++)
		spin_lock_init(&cache->depot[cls].lock);
	INIT_DELAYED_WORK(&cache->idle, iova_cache_idle_work);

	cache->shrinker.count_objects = iova_cache_count;
	cache->shrinker.scan_objects = iova_cache_scan;
	cache->shrinker.seeks = DEFAULT_SEEKS;
	ret = register_shrinker(&cache->shrinker, "vtd_iova_cache");
	if (ret)
		goto out_free_percpu;
	ret = cpuhp_state_add_instance_nocalls(iova_cache_hp_state,
					       &cache->cpuhp);
	if (ret)
		goto out_unregister_shrinker;
	/* Published last: the fast path may use the caches from now on. */
	smp_store_release(&dom->cache, cache);
	return 0;

out_unregister_shrinker:
	unregister_shrinker(&cache->shrinker);
out_free_percpu:
	free_percpu(cache->cpu);
out_free_cache:
	kfree(cache);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_cache_init);

/**
 * vtd_iova_cache_destroy() - give every cached range back, free the caches
 * @dom:	the domain; nobody may allocate or free in it during the call
 *
 * Must come before vtd_iova_domain_destroy(). A domain without caches is
 * left alone. Context: process context, may sleep.
 */
void vtd_iova_cache_destroy(struct vtd_iova_domain *dom)
{
	struct vtd_iova_cache *cache = dom->cache;

	if (!cache)
		return;
	cpuhp_state_remove_instance_nocalls(iova_cache_hp_state, &cache->cpuhp);
	unregister_shrinker(&cache->shrinker);
	cancel_delayed_work_sync(&cache->idle);
	vtd_iova_cache_flush(dom);
	WARN_ON_ONCE(atomic_long_read(&cache->mags));
	dom->cache = NULL;
	free_percpu(cache->cpu);
	kfree(cache);
}
EXPORT_SYMBOL_GPL(vtd_iova_cache_destroy);

/**
 * vtd_iova_cache_module_init() - set up the CPU-offline drain state
 *
 * Called once by vtd_iova_init().
 * Return: 0 or a negative errno.
 */
int vtd_iova_cache_module_init(void)
{
	int ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN,
					  "vtd_remap/iova_cache:online", NULL,
					  iova_cache_cpu_down);

	if (ret < 0)
		return ret;
	iova_cache_hp_state = ret;
	return 0;
}

/**
 * vtd_iova_cache_module_exit() - remove the CPU-offline drain state
 *
 * Called once by vtd_iova_exit(), after every domain's caches are gone.
 */
void vtd_iova_cache_module_exit(void)
{
	if (iova_cache_hp_state >= 0)
		cpuhp_remove_multi_state(iova_cache_hp_state);
	iova_cache_hp_state = -1;
}
