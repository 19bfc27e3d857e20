/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap IOVA allocator: public interface.
 *
 * Hands out ranges of frames inside [start, last] top-down under a caller's
 * limit, with reserved holes that are never handed out, and clones a
 * domain's reserved ranges into a new domain. A frame is one granule; with a
 * granule of 1 the allocator is a generic ID allocator (VT-d domain IDs).
 * The theory of operation opens the allocator's source file.
 *
 * Names carry the vtd_iova_ prefix: the kernel's own IOVA header already owns
 * struct iova, iova_domain and the iova_* helpers, and the benchmark module
 * links against both allocators.
 */
#ifndef VTD_IOVA_H
#define VTD_IOVA_H

#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * struct vtd_iova_domain - one address space of frames
 * @lock:	protects @root, every node in it and the counters below.
 *		Taken with spin_lock_irqsave(): callers may be in any context.
 * @root:	ranges keyed by first frame; never empty (see @anchor).
 * @anchor:	sentinel range [last + 1, last + 1], always the rightmost node,
 *		so the free gap at the top of the space has a node to live in.
 * @start_pfn:	first frame of the space.
 * @last_pfn:	last frame of the space (inclusive), below ULONG_MAX.
 * @granule_lg2: log2 of the bytes per frame (0 in ID mode).
 * @nr_allocated: live allocated ranges.
 * @nr_reserved: reserved ranges (after merging).
 * @allocated_frames: frames in live allocated ranges.
 * @reserved_frames: frames in reserved ranges.
 * @last_search_visits: tree nodes the last vtd_iova_alloc() looked at
 *		(section 4 of iova.c bounds it; the tests check the bound).
 * @cache:	per-CPU range caches in front of the tree, or NULL
 *		(vtd_iova_cache_init(), iova_rcache.c).
 *
 * Embed it anywhere; initialise it with vtd_iova_domain_init() and tear it
 * down with vtd_iova_domain_destroy(). The fields are private to iova.c.
 */
struct vtd_iova_domain {
	spinlock_t lock;	/* protects every field below */
	struct rb_root root;
	struct vtd_iova_node *anchor;
	unsigned long start_pfn;
	unsigned long last_pfn;
	unsigned int granule_lg2;
	unsigned long nr_allocated;
	unsigned long nr_reserved;
	unsigned long allocated_frames;
	unsigned long reserved_frames;
	unsigned long last_search_visits;
	struct vtd_iova_cache *cache;
};

/**
 * struct vtd_iova_range - a range as seen by callers (a copy, never a pointer
 *	into the tree: it stays valid after the domain's lock is dropped, and
 *	describes the range as it was when the lookup ran)
 * @pfn_lo:	first frame.
 * @pfn_last:	last frame (inclusive).
 * @reserved:	true for a reserved hole, false for an allocation.
 */
struct vtd_iova_range {
	unsigned long pfn_lo;
	unsigned long pfn_last;
	bool reserved;
};

/**
 * struct vtd_iova_stats - a snapshot of a domain's counters
 * @nr_allocated:	live allocated ranges.
 * @nr_reserved:	reserved ranges, after merging.
 * @allocated_frames:	frames held by allocations.
 * @reserved_frames:	frames held by reserved ranges.
 * @largest_gap:	size in frames of the largest free gap.
 * @last_search_visits: tree nodes the last allocation's search looked at.
 * @bytes:		memory the domain's tree uses now, in bytes (nodes,
 *			anchor included, at their slab object size).
 */
struct vtd_iova_stats {
	unsigned long nr_allocated;
	unsigned long nr_reserved;
	unsigned long allocated_frames;
	unsigned long reserved_frames;
	unsigned long largest_gap;
	unsigned long last_search_visits;
	size_t bytes;
};

/*
 * Memory: every live range (allocated or reserved, after merging) costs one
 * node of VTD_IOVA_NODE_BYTES from a dedicated slab cache, plus the anchor.
 * The bound for a domain is therefore
 *	sizeof(struct vtd_iova_domain) +
 *	VTD_IOVA_NODE_BYTES * (nr_allocated + nr_reserved + 1)
 * and, since ranges are disjoint and reserved ranges never touch, at most
 * VTD_IOVA_NODE_BYTES * (last - start + 2) for the whole space. The object
 * size actually used is reported by vtd_iova_node_bytes() and printed when
 * the module loads; /sys/kernel/slab/vtd_iova_node/slab_size adds what the
 * slab allocator's debugging options, if on, put around each object.
 */
#define VTD_IOVA_NODE_BYTES	192

/*
 * Alignment orders whose fits every node summarises for its subtree (one
 * u32 each, section 2 of iova.c): 32 orders make the search exact, so
 * O(log n), for any alignment up to 2^32 frames (16 TiB at 4 KiB) and any
 * size below U32_MAX frames, and cost 128 of the node's 192 bytes (64
 * before this summary: sub_gap alone pruned exactly only align == 1 and
 * align == size == 2^k). Larger alignments still get the right answer and
 * visit at most (last + 1) / 2^32 extra gaps (section 4).
 */
#define VTD_IOVA_FIT_ORDERS	32

int vtd_iova_domain_init(struct vtd_iova_domain *dom, unsigned long granule,
			 unsigned long start_pfn, unsigned long last_pfn);
void vtd_iova_domain_destroy(struct vtd_iova_domain *dom);

int vtd_iova_alloc(struct vtd_iova_domain *dom, unsigned long size,
		   unsigned long limit_pfn, unsigned long align, gfp_t gfp,
		   unsigned long *pfn_out);
int vtd_iova_free(struct vtd_iova_domain *dom, unsigned long pfn,
		  unsigned long size);
int vtd_iova_reserve(struct vtd_iova_domain *dom, unsigned long pfn_lo,
		     unsigned long pfn_last, gfp_t gfp);
int vtd_iova_clone_reserved(struct vtd_iova_domain *dst,
			    struct vtd_iova_domain *src, gfp_t gfp);
int vtd_iova_find(struct vtd_iova_domain *dom, unsigned long pfn,
		  struct vtd_iova_range *out);
void vtd_iova_get_stats(struct vtd_iova_domain *dom,
			struct vtd_iova_stats *st);
int vtd_iova_check(struct vtd_iova_domain *dom);
size_t vtd_iova_node_bytes(void);

/**
 * vtd_iova_shift() - log2 of a domain's bytes per frame
 * @dom: the domain
 *
 * Return: the shift from an address to its frame number.
 */
static inline unsigned int vtd_iova_shift(const struct vtd_iova_domain *dom)
{
	return dom->granule_lg2;
}

int vtd_iova_init(void);
void vtd_iova_exit(void);
bool vtd_iova_checking(void);

int vtd_iova_find_next(struct vtd_iova_domain *dom, unsigned long pfn,
		       struct vtd_iova_range *out);

/*
 * Per-CPU range caches (iova_rcache.c)
 * ====================================
 *
 * A domain may put caches in front of its tree: vtd_iova_alloc_fast() and
 * vtd_iova_free_fast() keep recently freed ranges of the shapes the DMA
 * shim issues, sizes 1..VTD_IOVA_CACHE_MAX_SIZE frames rounded up to a
 * power of two and aligned to it, and hand them out again without the
 * domain's lock. A cached range stays ALLOCATED in the tree: the tree is
 * the source of truth, so vtd_iova_find() reports a cached range as an
 * allocation (reserved == false) of its rounded size, vtd_iova_reserve()
 * over it fails with -EBUSY and clone copies only holes, as before. A
 * range freed with vtd_iova_free_fast() must be passed the same size it
 * was allocated with through vtd_iova_alloc_fast() (the rounding is done
 * again on free); freeing it with vtd_iova_free() directly is a bug.
 *
 * Size classes: class c holds ranges of 2^c frames, c = 0..5, so one class
 * per power of two up to 32 frames (128 KiB at 4 KiB), the sizes for which
 * rounding up wastes less than the request (Linux rounds the same ones).
 * Larger sizes go to the tree unrounded, aligned to the next power of two.
 *
 * Magazine: VTD_IOVA_MAG_SIZE frame numbers plus a count, 256 bytes, one
 * kmalloc-256 object with nothing wasted. 31 ranges per magazine means a
 * CPU goes to the shared depot (one lock) at most once per 31 operations
 * of a class, and to the tree only when the depot is empty or full.
 *
 * Each CPU has two magazines per class (loaded and previous, so that a
 * run of frees and allocations alternating at a full or empty boundary
 * does not bounce to the depot); the depot holds at most
 * VTD_IOVA_DEPOT_MAX full magazines per class: the hard bound. A full
 * magazine that finds the depot full goes back to the tree at once.
 *
 * Memory bound per domain, with P possible CPUs (magazines only):
 *	VTD_IOVA_CACHE_CLASSES * (2 * P + VTD_IOVA_DEPOT_MAX) * 256 bytes
 *	= 6 * (2P + 8) * 256: 24 KiB for P = 4, 108 KiB for P = 32;
 * plus the tree node each cached range keeps (VTD_IOVA_NODE_BYTES), and
 * address space held: at most (2P + 8) * 31 ranges per class, that is
 * (2P + 8) * 31 * 63 frames over all classes (7.6 MiB of IOVA space per
 * magazine slot at 4 KiB, 122 MiB for P = 4). The depot gives back one magazine per
 * class every VTD_IOVA_CACHE_IDLE_MS that it was not used, a shrinker
 * gives back on memory pressure, a CPU going offline drains its own
 * magazines, and an allocation that finds no room flushes every cache
 * once and retries before it returns -ENOSPC.
 */
#define VTD_IOVA_CACHE_CLASSES	6
#define VTD_IOVA_CACHE_MAX_SIZE	(1UL << (VTD_IOVA_CACHE_CLASSES - 1))
#define VTD_IOVA_MAG_SIZE	31
#define VTD_IOVA_MAG_BYTES	256
#define VTD_IOVA_DEPOT_MAX	8
#define VTD_IOVA_CACHE_IDLE_MS	1000

/**
 * struct vtd_iova_cache_stats - a snapshot of a domain's caches
 * @hits:		allocations served from a cache.
 * @misses:		cacheable allocations that went to the tree.
 * @flushes:		flushes of every cache (vtd_iova_cache_flush(), and
 *			the one before -ENOSPC).
 * @shrunk:		ranges given back to the tree by the shrinker.
 * @idle_returned:	ranges given back because the depot sat idle.
 * @depot_mags:		full magazines in the depot now (all classes).
 * @cached_ranges:	ranges sitting in any cache now.
 * @cache_bytes:	bytes of magazines allocated now.
 */
struct vtd_iova_cache_stats {
	unsigned long hits;
	unsigned long misses;
	unsigned long flushes;
	unsigned long shrunk;
	unsigned long idle_returned;
	unsigned long depot_mags;
	unsigned long cached_ranges;
	size_t cache_bytes;
};

int vtd_iova_cache_init(struct vtd_iova_domain *dom);
void vtd_iova_cache_destroy(struct vtd_iova_domain *dom);
int vtd_iova_alloc_fast(struct vtd_iova_domain *dom, unsigned long size,
			unsigned long limit_pfn, gfp_t gfp,
			unsigned long *pfn_out);
int vtd_iova_free_fast(struct vtd_iova_domain *dom, unsigned long pfn,
		       unsigned long size);
void vtd_iova_cache_flush(struct vtd_iova_domain *dom);
unsigned long vtd_iova_cache_shrink(struct vtd_iova_domain *dom,
				    unsigned long nr);
void vtd_iova_cache_get_stats(struct vtd_iova_domain *dom,
			      struct vtd_iova_cache_stats *st);
int vtd_iova_cache_module_init(void);
void vtd_iova_cache_module_exit(void);

#endif /* VTD_IOVA_H */
