// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap page pool: zeroed pages for page-table pages, so that a map in
 * atomic context never depends on GFP_ATOMIC luck.
 *
 * 1. Concepts
 *
 *    A pool keeps zeroed 4 KiB pages on a free list. Page tables take pages
 *    with vtd_pool_get() and give them back, zeroed again, with
 *    vtd_pool_put(). A caller about to enter atomic context first reserves
 *    the worst case its operation can need (vtd_pool_reserve(), where it may
 *    sleep); the pages it then gets against that reservation are taken from
 *    the free list and never from the page allocator.
 *
 * 2. Watermarks
 *
 *    Let U = nr_free - nr_reserved, the pages anyone may take.
 *    - U < low: a get queues the background refill, which allocates with
 *      GFP_KERNEL until U reaches 2 * low (at most high).
 *    - U >= high: a page put back, or left over by an unreserve, goes back
 *      to the page allocator instead.
 *    - The shrinker offers U - low pages (0 if U <= low), so that memory
 *      pressure never takes reserved pages nor the cushion for atomic maps.
 *
 * 3. Invariants
 *
 *    a. nr_free == length of the free list, and nr_reserved <= nr_free: a
 *       reserved page is a page on the list, so a get against a live
 *       reservation always finds one.
 *    b. nr_reserved == the sum of resv->nr over live reservations.
 *    c. Every page on the free list is all zeroes; a page put back that is
 *       not is cleared (and warned about once: the caller has a bug).
 *    d. nr_in_use == pages got and not yet put back.
 *
 * 4. Locking
 *
 *    pool->lock (a spinlock, taken with irqsave) protects the free list and
 *    the three counts; it is a leaf lock. Pages are allocated before it is
 *    taken and freed after it is dropped, each after an RCU grace period
 *    (call_rcu()): a lockless page-table reader may still be in a page
 *    that was a table. vtd_pool_destroy() waits for those frees. The counters refills and misses
 *    are atomics read without the lock.
 *
 * 5. Failure policy
 *
 *    A get without a reservation (or past it) from an empty pool counts a
 *    miss and falls back to the page allocator: with the caller's gfp if
 *    it may sleep, else with GFP_ATOMIC (counted in atomic_allocs); only if
 *    that fails too does it return NULL, and the caller fails with -ENOMEM
 *    having changed nothing. A reservation is all or nothing: it allocates
 *    what the pool lacks onto a private list, outside the lock, and adds
 *    and reserves those pages under one lock hold, so that no trim (pool
 *    above high, shrinker above low) can take them in between; -ENOMEM
 *    frees them and leaves the pool as it was. Pages a unit may still read
 *    after a failed invalidation are abandoned: never freed, no longer
 *    counted in use, counted in leaked. The parameters pool_fail_get_nth
 *    and pool_fail_alloc_nth (copied into each pool when it is created,
 *    and settable per pool by the tests) make every Nth get without a
 *    reservation to draw on, or every Nth page-allocator call, fail.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": pool: " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "vtd_pool.h"

static unsigned int pool_fail_get_nth;
module_param(pool_fail_get_nth, uint, 0644);
MODULE_PARM_DESC(pool_fail_get_nth, "Fail every Nth page-table page request of new pools (0: never)");

static unsigned int pool_fail_alloc_nth;
module_param(pool_fail_alloc_nth, uint, 0644);
MODULE_PARM_DESC(pool_fail_alloc_nth, "Fail every Nth page allocation of new pools (0: never)");

/* --- primitives ------------------------------------------------------ */

/* The pages anyone may take (section 2's U). */
static unsigned long pool_unreserved_locked(struct vtd_pool *pool)
{
	lockdep_assert_held(&pool->lock);
	return pool->nr_free - pool->nr_reserved;
}

static bool pool_fail(atomic_t *count, unsigned int nth)
{
	return nth && (unsigned int)atomic_inc_return(count) % nth == 0;
}

/* One zeroed page from the page allocator, or NULL. */
static void *pool_page_alloc(struct vtd_pool *pool, gfp_t gfp)
{
	if (pool_fail(&pool->allocs, READ_ONCE(pool->fail_alloc_nth)))
		return NULL;
	return (void *)__get_free_page(gfp | __GFP_ZERO | __GFP_NOWARN);
}

static void pool_push_locked(struct vtd_pool *pool, void *va)
{
	lockdep_assert_held(&pool->lock);
	list_add(&virt_to_page(va)->lru, &pool->free);
	pool->nr_free++;
}

static void *pool_pop_locked(struct vtd_pool *pool)
{
	struct page *page;

	lockdep_assert_held(&pool->lock);
	page = list_first_entry_or_null(&pool->free, struct page, lru);
	if (!page)
		return NULL;
	list_del(&page->lru);
	pool->nr_free--;
	return page_address(page);
}

static void pool_page_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * Give pages back to the page allocator, each after an RCU grace period:
 * a lockless page-table reader (vtd_pgtable_take_tag()) may still be
 * inside one that was a table, and must find memory the pool owned.
 */
static void pool_free_pages(struct list_head *pages)
{
	struct page *page;

	while ((page = list_first_entry_or_null(pages, struct page, lru))) {
		list_del(&page->lru);
		call_rcu(&page->rcu_head, pool_page_free_rcu);
	}
}

/* Move up to @nr unreserved pages above @keep from the list to @out. */
static unsigned long pool_take_excess_locked(struct vtd_pool *pool,
					     unsigned long keep,
					     unsigned long nr,
					     struct list_head *out)
{
	unsigned long taken = 0;

	lockdep_assert_held(&pool->lock);
	while (taken < nr && pool_unreserved_locked(pool) > keep) {
		list_add(&virt_to_page(pool_pop_locked(pool))->lru, out);
		taken++;
	}
	return taken;
}

/* Give the page allocator every unreserved page above the high watermark. */
static void pool_trim(struct vtd_pool *pool)
{
	unsigned long flags;
	LIST_HEAD(excess);

	spin_lock_irqsave(&pool->lock, flags);
	pool_take_excess_locked(pool, pool->high, ULONG_MAX, &excess);
	spin_unlock_irqrestore(&pool->lock, flags);
	pool_free_pages(&excess);
}

/*
 * Allocate with @gfp until at least @target pages are unreserved. Return 0,
 * or -ENOMEM with whatever was allocated left in the pool. *@added counts
 * the pages this call put in.
 */
static int pool_fill(struct vtd_pool *pool, unsigned long target, gfp_t gfp,
		     unsigned long *added)
{
	unsigned long flags;
	bool full;
	void *va;

	for (;;) {
		spin_lock_irqsave(&pool->lock, flags);
		full = pool_unreserved_locked(pool) >= target;
		spin_unlock_irqrestore(&pool->lock, flags);
		if (full)
			return 0;
		va = pool_page_alloc(pool, gfp);
		if (!va)
			return -ENOMEM;
		spin_lock_irqsave(&pool->lock, flags);
		pool_push_locked(pool, va);
		spin_unlock_irqrestore(&pool->lock, flags);
		(*added)++;
	}
}

static unsigned long pool_refill_target(struct vtd_pool *pool)
{
	return min(2 * pool->low, pool->high);
}

/* --- background work and shrinker ------------------------------------ */

static void pool_refill_work(struct work_struct *work)
{
	struct vtd_pool *pool = container_of(work, struct vtd_pool, refill);
	unsigned long added = 0;

	pool_fill(pool, pool_refill_target(pool), GFP_KERNEL, &added);
	if (added)
		atomic_long_inc(&pool->refills);
}

static unsigned long pool_shrink_count(struct shrinker *s,
				       struct shrink_control *sc)
{
	struct vtd_pool *pool = container_of(s, struct vtd_pool, shrinker);
	unsigned long flags, u;

	spin_lock_irqsave(&pool->lock, flags);
	u = pool_unreserved_locked(pool);
	spin_unlock_irqrestore(&pool->lock, flags);
	return u > pool->low ? u - pool->low : 0;
}

static unsigned long pool_shrink_scan(struct shrinker *s,
				      struct shrink_control *sc)
{
	struct vtd_pool *pool = container_of(s, struct vtd_pool, shrinker);
	unsigned long freed = vtd_pool_shrink(pool, sc->nr_to_scan);

	return freed ? freed : SHRINK_STOP;
}

/* --- exported API ---------------------------------------------------- */

/**
 * vtd_pool_shrink() - give unreserved pages above the low watermark back
 * @pool: the pool
 * @nr: at most this many pages
 *
 * What the shrinker does under memory pressure; the tests call it directly.
 * Context: any; takes pool->lock.
 * Return: the number of pages freed.
 */
unsigned long vtd_pool_shrink(struct vtd_pool *pool, unsigned long nr)
{
	unsigned long flags, freed;
	LIST_HEAD(excess);

	spin_lock_irqsave(&pool->lock, flags);
	freed = pool_take_excess_locked(pool, pool->low, nr, &excess);
	spin_unlock_irqrestore(&pool->lock, flags);
	pool_free_pages(&excess);
	return freed;
}
EXPORT_SYMBOL_GPL(vtd_pool_shrink);

/**
 * vtd_pool_reserve() - promise pages to a caller before atomic context
 * @pool: the pool
 * @resv: the caller's reservation; @nr is added to it
 * @nr: pages to reserve
 * @gfp: how to allocate the pages the pool lacks (GFP_KERNEL normally)
 *
 * After success, @nr calls of vtd_pool_get() with @resv succeed without
 * the page allocator, whatever the context. Release what is left with
 * vtd_pool_unreserve().
 * Context: may sleep if @gfp allows it.
 * Return: 0, or -ENOMEM with @resv unchanged.
 */
int vtd_pool_reserve(struct vtd_pool *pool, struct vtd_pool_resv *resv,
		     unsigned long nr, gfp_t gfp)
{
	unsigned long flags, have = 0, missing, n = 0;
	LIST_HEAD(mine);
	void *va;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	for (;;) {
		/*
		 * Add the pages allocated so far and reserve in one lock
		 * hold: until then they are on @mine, where no trim sees them.
		 */
		spin_lock_irqsave(&pool->lock, flags);
		missing = nr - min(nr, pool_unreserved_locked(pool) + have);
		if (!missing) {
			list_splice_init(&mine, &pool->free);
			pool->nr_free += have;
			pool->nr_reserved += nr;
			resv->nr += nr;
		}
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!missing)
			return 0;
		/* Gets may have taken unreserved pages meanwhile: top up. */
		for (n = 0; n < missing; n++) {
			va = pool_page_alloc(pool, gfp);
			if (!va) {
				pool_free_pages(&mine);
				return -ENOMEM;
			}
			list_add(&virt_to_page(va)->lru, &mine);
			have++;
		}
	}
}
EXPORT_SYMBOL_GPL(vtd_pool_reserve);

/**
 * vtd_pool_unreserve() - give back what is left of a reservation
 * @pool: the pool
 * @resv: the reservation; zero afterwards
 *
 * Context: any; takes pool->lock.
 */
void vtd_pool_unreserve(struct vtd_pool *pool, struct vtd_pool_resv *resv)
{
	unsigned long flags;

	if (!resv->nr)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	if (WARN_ON_ONCE(resv->nr > pool->nr_reserved))
		resv->nr = pool->nr_reserved;
	pool->nr_reserved -= resv->nr;
	resv->nr = 0;
	spin_unlock_irqrestore(&pool->lock, flags);
	pool_trim(pool);
}
EXPORT_SYMBOL_GPL(vtd_pool_unreserve);

/**
 * vtd_pool_get() - take a zeroed page
 * @pool: the pool
 * @resv: a reservation to draw on first, or NULL
 * @gfp: if it allows sleeping, a miss falls back to the page allocator
 *
 * A page reserved in @resv is always there. Otherwise an unreserved page
 * is taken; if there is none (a miss), the page allocator is asked, with
 * @gfp if it may sleep and with GFP_ATOMIC if not.
 * Context: any; may sleep only if @gfp allows it and the pool missed.
 * Return: the page's kernel address, or NULL.
 */
void *vtd_pool_get(struct vtd_pool *pool, struct vtd_pool_resv *resv,
		   gfp_t gfp)
{
	unsigned long flags;
	void *va = NULL;
	bool low;

	/* Injected failures only where a real miss could fail the get. */
	if (!(resv && resv->nr) &&
	    pool_fail(&pool->gets, READ_ONCE(pool->fail_get_nth)))
		return NULL;
	spin_lock_irqsave(&pool->lock, flags);
	if (resv && resv->nr && !WARN_ON_ONCE(!pool->nr_reserved)) {
		resv->nr--;
		pool->nr_reserved--;
		va = pool_pop_locked(pool);
	} else if (pool_unreserved_locked(pool)) {
		va = pool_pop_locked(pool);
	}
	if (va)
		pool->nr_in_use++;
	low = pool_unreserved_locked(pool) < pool->low;
	spin_unlock_irqrestore(&pool->lock, flags);

	if (low)
		queue_work(pool->wq, &pool->refill);
	if (va)
		return va;
	atomic_long_inc(&pool->misses);
	if (!gfpflags_allow_blocking(gfp)) {
		/* Better than failing an atomic map outright. */
		gfp = GFP_ATOMIC;
		atomic_long_inc(&pool->atomic_allocs);
	}
	va = pool_page_alloc(pool, gfp);
	if (va) {
		spin_lock_irqsave(&pool->lock, flags);
		pool->nr_in_use++;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	return va;
}
EXPORT_SYMBOL_GPL(vtd_pool_get);

/* Check invariant 3c on a page coming back; clear it if the caller erred. */
static void pool_check_zero(void *va)
{
	if (WARN_ON_ONCE(memchr_inv(va, 0, PAGE_SIZE)))
		memset(va, 0, PAGE_SIZE);
}

/**
 * vtd_pool_put() - give back a page got from the pool
 * @pool: the pool
 * @va: the page, all zeroes again
 *
 * Context: any; takes pool->lock.
 */
void vtd_pool_put(struct vtd_pool *pool, void *va)
{
	unsigned long flags;
	bool keep;

	pool_check_zero(va);
	spin_lock_irqsave(&pool->lock, flags);
	pool->nr_in_use--;
	keep = pool_unreserved_locked(pool) < pool->high;
	if (keep)
		pool_push_locked(pool, va);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (!keep)
		free_page((unsigned long)va);
}
EXPORT_SYMBOL_GPL(vtd_pool_put);

/**
 * vtd_pool_put_list() - give back a list of pages got from the pool
 * @pool: the pool
 * @pages: struct pages linked through lru, all zeroes; empty afterwards
 *
 * Context: any; takes pool->lock.
 */
void vtd_pool_put_list(struct vtd_pool *pool, struct list_head *pages)
{
	unsigned long flags, n = 0;
	struct page *page;
	LIST_HEAD(checked);

	while ((page = list_first_entry_or_null(pages, struct page, lru))) {
		pool_check_zero(page_address(page));
		list_move(&page->lru, &checked);
		n++;
	}
	if (!n)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	list_splice(&checked, &pool->free);
	pool->nr_free += n;
	pool->nr_in_use -= n;
	spin_unlock_irqrestore(&pool->lock, flags);
	pool_trim(pool);
}
EXPORT_SYMBOL_GPL(vtd_pool_put_list);

/**
 * vtd_pool_abandon() - give up pages got from the pool, for good
 * @pool: the pool
 * @pages: struct pages linked through lru; empty afterwards
 *
 * For pages a device may still read (an invalidation failed): they are
 * never freed nor reused, no longer counted in use, counted in leaked.
 * Context: any; takes pool->lock.
 */
void vtd_pool_abandon(struct vtd_pool *pool, struct list_head *pages)
{
	unsigned long flags, n = 0;
	struct page *page;

	while ((page = list_first_entry_or_null(pages, struct page, lru))) {
		list_del(&page->lru);
		n++;
	}
	if (!n)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	pool->nr_in_use -= n;
	spin_unlock_irqrestore(&pool->lock, flags);
	atomic_long_add(n, &pool->leaked);
}
EXPORT_SYMBOL_GPL(vtd_pool_abandon);

/**
 * vtd_pool_get_stats() - snapshot a pool's counters
 * @pool: the pool
 * @st: filled in
 *
 * Context: any; takes pool->lock.
 */
void vtd_pool_get_stats(struct vtd_pool *pool, struct vtd_pool_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	st->in_pool = pool->nr_free;
	st->reserved = pool->nr_reserved;
	st->in_use = pool->nr_in_use;
	spin_unlock_irqrestore(&pool->lock, flags);
	st->refills = atomic_long_read(&pool->refills);
	st->misses = atomic_long_read(&pool->misses);
	st->atomic_allocs = atomic_long_read(&pool->atomic_allocs);
	st->leaked = atomic_long_read(&pool->leaked);
}
EXPORT_SYMBOL_GPL(vtd_pool_get_stats);

/**
 * vtd_pool_flush_refill() - wait for a queued background refill
 * @pool: the pool
 *
 * Context: process; sleeps.
 */
void vtd_pool_flush_refill(struct vtd_pool *pool)
{
	flush_work(&pool->refill);
}
EXPORT_SYMBOL_GPL(vtd_pool_flush_refill);

/* --- init and exit --------------------------------------------------- */

/**
 * vtd_pool_init() - create a pool and fill it
 * @pool: the pool to initialise
 * @low: the low watermark in pages (VTD_POOL_LOW), at least 1
 * @high: the high watermark in pages (VTD_POOL_HIGH), at least @low
 *
 * Context: process; sleeps.
 * Return: 0, -EINVAL for bad watermarks, or -ENOMEM.
 */
int vtd_pool_init(struct vtd_pool *pool, unsigned long low,
		  unsigned long high)
{
	unsigned long added = 0;
	int ret;

	if (!low || high < low)
		return -EINVAL;
	memset(pool, 0, sizeof(*pool));
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->free);
	pool->low = low;
	pool->high = high;
	pool->fail_get_nth = READ_ONCE(pool_fail_get_nth);
	pool->fail_alloc_nth = READ_ONCE(pool_fail_alloc_nth);
	INIT_WORK(&pool->refill, pool_refill_work);
	pool->wq = alloc_workqueue("vtd_pool", WQ_MEM_RECLAIM | WQ_UNBOUND, 1);
	if (!pool->wq)
		return -ENOMEM;
	ret = pool_fill(pool, pool_refill_target(pool), GFP_KERNEL, &added);
	if (ret)
		goto out_destroy;
	pool->shrinker.count_objects = pool_shrink_count;
	pool->shrinker.scan_objects = pool_shrink_scan;
	pool->shrinker.seeks = DEFAULT_SEEKS;
	ret = register_shrinker(&pool->shrinker, "vtd-pool");
	if (ret)
		goto out_destroy;
	pool->shrinker_on = true;
	return 0;

out_destroy:
	vtd_pool_destroy(pool);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_pool_init);

/**
 * vtd_pool_destroy() - free a pool and every page on it
 * @pool: the pool; every page got from it must be back, every
 *	  reservation given back
 *
 * Copes with a pool that vtd_pool_init() only partly set up.
 * Context: process; sleeps.
 */
void vtd_pool_destroy(struct vtd_pool *pool)
{
	unsigned long flags;
	LIST_HEAD(all);

	if (pool->shrinker_on)
		unregister_shrinker(&pool->shrinker);
	pool->shrinker_on = false;
	if (pool->wq) {
		cancel_work_sync(&pool->refill);
		destroy_workqueue(pool->wq);
		pool->wq = NULL;
	}
	spin_lock_irqsave(&pool->lock, flags);
	WARN_ON_ONCE(pool->nr_in_use || pool->nr_reserved);
	list_splice_init(&pool->free, &all);
	pool->nr_free = 0;
	spin_unlock_irqrestore(&pool->lock, flags);
	pool_free_pages(&all);
	/* The callbacks are this module's code: none may outlive it. */
	rcu_barrier();
}
EXPORT_SYMBOL_GPL(vtd_pool_destroy);
