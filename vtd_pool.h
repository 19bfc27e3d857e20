/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap page pool: public interface.
 *
 * A pool of zeroed 4 KiB pages for page-table pages. It is filled when it is
 * created, refilled in the background below a low watermark, trimmed above
 * a high one and by a shrinker, and lets a caller reserve pages before it
 * enters atomic context so that a map never calls the page allocator there.
 * The theory of operation opens vtd_pool.c.
 */
#ifndef VTD_POOL_H
#define VTD_POOL_H

#include <linux/list.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

/**
 * struct vtd_pool - a pool of zeroed pages
 * @lock:	protects @free, @nr_free, @nr_reserved and @nr_in_use. Taken
 *		with spin_lock_irqsave(): pages are got and put in any context.
 * @free:	the zeroed pages, linked through their struct page's lru.
 * @nr_free:	pages on @free.
 * @nr_reserved: pages on @free promised to live reservations; only
 *		@nr_free - @nr_reserved pages may go to callers without one.
 * @nr_in_use:	pages handed out and not yet put back.
 * @low:	below this many unreserved free pages, refill in the background.
 * @high:	above this many free pages, pages put back go to the allocator.
 * @refills:	background refill runs that added pages.
 * @misses:	requests the pool could not serve from its free pages.
 * @atomic_allocs: misses of non-blocking callers served by a GFP_ATOMIC
 *		allocation.
 * @leaked:	pages given up for good with vtd_pool_abandon().
 * @fail_get_nth: fail every Nth vtd_pool_get() (0: never), for the tests.
 * @fail_alloc_nth: fail every Nth page-allocator call (0: never).
 * @gets:	vtd_pool_get() calls, to count for @fail_get_nth.
 * @allocs:	page-allocator calls, to count for @fail_alloc_nth.
 * @wq:		the workqueue @refill runs on (WQ_MEM_RECLAIM).
 * @refill:	the background refill.
 * @shrinker:	gives unreserved pages above @low back under memory pressure.
 * @shrinker_on: @shrinker is registered.
 *
 * Initialise with vtd_pool_init(), tear down with vtd_pool_destroy() once
 * every page is back. The fields are private to vtd_pool.c; read them
 * through vtd_pool_get_stats().
 */
struct vtd_pool {
	spinlock_t lock;	/* protects the list and the three counts */
	struct list_head free;
	unsigned long nr_free;
	unsigned long nr_reserved;
	unsigned long nr_in_use;
	unsigned long low;
	unsigned long high;
	atomic_long_t refills;
	atomic_long_t misses;
	atomic_long_t atomic_allocs;
	atomic_long_t leaked;
	unsigned int fail_get_nth;
	unsigned int fail_alloc_nth;
	atomic_t gets;
	atomic_t allocs;
	struct workqueue_struct *wq;
	struct work_struct refill;
	struct shrinker shrinker;
	bool shrinker_on;
};

/**
 * struct vtd_pool_resv - pages a caller reserved in a pool
 * @nr:	pages still promised to this caller.
 *
 * Zero-initialise it, fill it with vtd_pool_reserve() where sleeping is
 * allowed, hand it to the operations that use it, and give back what is
 * left with vtd_pool_unreserve().
 */
struct vtd_pool_resv {
	unsigned long nr;
};

/**
 * struct vtd_pool_stats - a snapshot of a pool's counters
 * @in_pool:	zeroed pages on the free list.
 * @reserved:	of those, pages promised to reservations.
 * @in_use:	pages handed out.
 * @refills:	background refill runs that added pages.
 * @misses:	requests not served from the free list.
 * @atomic_allocs: of those, served by a GFP_ATOMIC allocation.
 * @leaked:	pages abandoned (a unit may still read them).
 */
struct vtd_pool_stats {
	unsigned long in_pool;
	unsigned long reserved;
	unsigned long in_use;
	unsigned long refills;
	unsigned long misses;
	unsigned long atomic_allocs;
	unsigned long leaked;
};

/*
 * Default watermarks, in pages. A 4 KiB map into a 4-level table needs at
 * most 3 new table pages (vtd_pgtable.h), so 64 free pages serve about 20
 * worst-case maps back to back in atomic context before the refill has to
 * catch up; 256 pages (1 MiB) is what an idle unit may keep.
 */
#define VTD_POOL_LOW		64
#define VTD_POOL_HIGH		256

int vtd_pool_init(struct vtd_pool *pool, unsigned long low,
		  unsigned long high);
void vtd_pool_destroy(struct vtd_pool *pool);

int vtd_pool_reserve(struct vtd_pool *pool, struct vtd_pool_resv *resv,
		     unsigned long nr, gfp_t gfp);
void vtd_pool_unreserve(struct vtd_pool *pool, struct vtd_pool_resv *resv);

void *vtd_pool_get(struct vtd_pool *pool, struct vtd_pool_resv *resv,
		   gfp_t gfp);
void vtd_pool_put(struct vtd_pool *pool, void *va);
void vtd_pool_put_list(struct vtd_pool *pool, struct list_head *pages);
void vtd_pool_abandon(struct vtd_pool *pool, struct list_head *pages);

void vtd_pool_get_stats(struct vtd_pool *pool, struct vtd_pool_stats *st);
void vtd_pool_flush_refill(struct vtd_pool *pool);
unsigned long vtd_pool_shrink(struct vtd_pool *pool, unsigned long nr);

#endif /* VTD_POOL_H */
