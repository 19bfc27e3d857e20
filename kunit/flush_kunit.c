// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vtd-remap's unmap modes (vtd_flush.c and the unmap path
 * of vtd_domain.c) on the live unit of the guest they run in (QEMU's
 * intel-iommu, brought up by vtd_remap.ko, which must be loaded first):
 * the deferred queue flushes when full and when its oldest entry reaches
 * the window (never earlier) or when its CPU goes offline, teardown with
 * entries queued gives every page back, no range is handed out again
 * before its flush, a mode change flushes, unmaps on every CPU at once
 * leave nothing behind, and an injected invalidation failure quarantines
 * the range and the table pages in both modes. Without a unit every case
 * is skipped.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include "vtd_unit.h"

/* A window no case waits for: flushes then come only from what is tested. */
#define FT_LONG_WINDOW_MS	60000

/* The window of the window case, and how long it waits for the timer. */
#define FT_SHORT_WINDOW_MS	20
#define FT_WAIT_MS		3000

/* Where a case's ranges go: under 4 GiB, as a 32-bit device would have. */
#define FT_LIMIT		(SZ_4G - 1)

struct ft_ctx {
	struct vtd_unit *unit;
	struct vtd_domain *dom;
	struct page *page;
};

static int ft_init(struct kunit *test)
{
	struct ft_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->unit = list_first_entry_or_null(&vtd_units, struct vtd_unit,
					     node);
	test->priv = ctx;
	return 0;
}

static void ft_exit(struct kunit *test)
{
	struct ft_ctx *ctx = test->priv;

	vtd_flush_inject_failures(0);
	if (ctx->dom)
		vtd_domain_free(ctx->dom);
	if (ctx->page)
		__free_page(ctx->page);
}

/* A DMA domain in @mode with @size entries per queue and @window_ms. */
static struct vtd_domain *ft_domain(struct kunit *test,
				    enum vtd_unmap_mode mode,
				    unsigned int size, unsigned int window_ms)
{
	struct vtd_flush_cfg cfg = { .size = size, .window_ms = window_ms };
	struct ft_ctx *ctx = test->priv;
	struct vtd_domain *dom;

	if (!ctx->unit)
		kunit_skip(test, "no VT-d unit (run with -device intel-iommu)");
	dom = vtd_domain_alloc(ctx->unit, VTD_DOMAIN_DMA);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dom), "vtd_domain_alloc: %ld",
			       PTR_ERR(dom));
	ctx->dom = dom;
	KUNIT_ASSERT_EQ(test, vtd_flush_set_mode(dom, mode, &cfg), 0);
	KUNIT_ASSERT_EQ(test, vtd_flush_mode(dom), mode);
	ctx->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, ctx->page);
	return dom;
}

/* A new range of @size bytes, every page of it mapped to the case's page. */
static u64 ft_map(struct kunit *test, struct vtd_domain *dom, u64 size)
{
	struct ft_ctx *ctx = test->priv;
	u64 iova, off;

	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, size, FT_LIMIT,
						    GFP_KERNEL, &iova), 0);
	for (off = 0; off < size; off += VTD_PAGE_SIZE)
		KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova + off,
						     page_to_phys(ctx->page),
						     VTD_PAGE_SIZE,
						     VTD_PGT_READ | VTD_PGT_WRITE,
						     GFP_KERNEL), 0);
	return iova;
}

/*
 * Whether the range starting at @iova is still allocated in @dom. A range
 * given back sits in a per-CPU range cache and so is still allocated in
 * the tree: flush the caches first, so that only queued (unreleased) and
 * live ranges count.
 */
static bool ft_allocated(struct vtd_domain *dom, u64 iova)
{
	struct vtd_iova_range r;

	vtd_iova_cache_flush(&dom->iova);
	return !vtd_iova_find(&dom->iova, iova >> VTD_PAGE_SHIFT, &r) &&
	       !r.reserved && r.pfn_lo == iova >> VTD_PAGE_SHIFT;
}

static unsigned long ft_pool_in_use(struct vtd_unit *unit)
{
	struct vtd_pool_stats ps;

	vtd_pool_get_stats(&unit->pool, &ps);
	return ps.in_use;
}

static unsigned long ft_q_pages(struct vtd_domain *dom)
{
	unsigned long flags, n;

	spin_lock_irqsave(&dom->flush.q_lock, flags);
	n = dom->flush.q_nr_pages;
	spin_unlock_irqrestore(&dom->flush.q_lock, flags);
	return n;
}

/* --- cases ----------------------------------------------------------- */

/* Entries wait until the queue is full; the unmap that fills it flushes. */
static void ft_test_flush_full(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 8,
					   FT_LONG_WINDOW_MS);
	struct vtd_flush_stats st;
	u64 iova[8], invs;
	unsigned int i;

	for (i = 0; i < 8; i++)
		iova[i] = ft_map(test, dom, VTD_PAGE_SIZE);
	/* One CPU's queue: stay on this CPU while filling it. */
	migrate_disable();
	for (i = 0; i < 7; i++)
		KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova[i],
							    VTD_PAGE_SIZE,
							    GFP_KERNEL), 0);
	vtd_flush_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.queued, 7UL);
	KUNIT_EXPECT_EQ(test, st.released, 0ULL);
	for (i = 0; i < 7; i++)
		KUNIT_EXPECT_TRUE_MSG(test, ft_allocated(dom, iova[i]),
				      "range %u at %#llx given back before its flush",
				      i, iova[i]);
	invs = atomic64_read(&dom->unit->stats.inv[VTD_INV_IOTLB_DOMAIN]);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova[7], VTD_PAGE_SIZE,
						    GFP_KERNEL), 0);
	migrate_enable();
	vtd_flush_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.queued, 0UL);
	KUNIT_EXPECT_EQ(test, st.released, 8ULL);
	KUNIT_EXPECT_EQ(test, st.flush_full, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flush_window + st.flush_late + st.flush_sync,
			0ULL);
	KUNIT_EXPECT_GE(test,
			atomic64_read(&dom->unit->stats.inv[VTD_INV_IOTLB_DOMAIN]),
			invs + 1);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova[i]));
}

/* One entry is flushed by the timer one window later, never earlier. */
static void ft_test_flush_window(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 64,
					   FT_SHORT_WINDOW_MS);
	struct vtd_flush_stats st;
	unsigned int waited = 0;
	ktime_t t0;
	u64 iova;

	iova = ft_map(test, dom, 2 * VTD_PAGE_SIZE);
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova,
						    2 * VTD_PAGE_SIZE,
						    GFP_KERNEL), 0);
	vtd_flush_get_stats(dom, &st);
	/* Only meaningful if this thread was not held up past the window. */
	if (ktime_ms_delta(ktime_get(), t0) < FT_SHORT_WINDOW_MS / 2) {
		KUNIT_EXPECT_EQ(test, st.queued, 1UL);
		KUNIT_EXPECT_TRUE(test, ft_allocated(dom, iova));
	}
	do {
		msleep(20);
		waited += 20;
		vtd_flush_get_stats(dom, &st);
	} while (st.released < 1 && waited < FT_WAIT_MS);
	kunit_info(test, "flushed after %lld ms (window %u ms), oldest entry %llu us old at its flush\n",
		   ktime_ms_delta(ktime_get(), t0), FT_SHORT_WINDOW_MS,
		   div_u64(st.max_age_ns, NSEC_PER_USEC));
	KUNIT_EXPECT_EQ(test, st.released, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flush_window, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flush_full + st.flush_late + st.flush_sync,
			0ULL);
	/* An hrtimer never fires early: the entry waited the whole window. */
	KUNIT_EXPECT_GE(test, st.max_age_ns,
			(u64)FT_SHORT_WINDOW_MS * NSEC_PER_MSEC);
	KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova));
}

/*
 * Freeing a deferred domain with entries (and emptied table pages)
 * queued gives every page back to the pool; kmemleak checks the rest.
 */
static void ft_test_teardown_queued(struct kunit *test)
{
	struct ft_ctx *ctx = test->priv;
	unsigned long before;
	struct vtd_flush_stats st;
	struct vtd_domain *dom;
	unsigned int i;
	u64 iova;

	if (!ctx->unit)
		kunit_skip(test, "no VT-d unit (run with -device intel-iommu)");
	before = ft_pool_in_use(ctx->unit);
	dom = ft_domain(test, VTD_UNMAP_DEFERRED, 64, FT_LONG_WINDOW_MS);
	/* 2 MiB, aligned: unmapping it empties its last-level table. */
	iova = ft_map(test, dom, SZ_2M);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova, SZ_2M,
						    GFP_KERNEL), 0);
	for (i = 0; i < 4; i++) {
		iova = ft_map(test, dom, VTD_PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova,
							    VTD_PAGE_SIZE,
							    GFP_KERNEL), 0);
	}
	vtd_flush_get_stats(dom, &st);
	KUNIT_EXPECT_GE(test, st.queued, 5UL);
	KUNIT_EXPECT_GE(test, st.queued_pages, 1UL);
	vtd_domain_free(dom);
	ctx->dom = NULL;
	KUNIT_EXPECT_EQ(test, ft_pool_in_use(ctx->unit), before);
}

/* A range waiting for its flush is never handed out; after it, it is free. */
static void ft_test_no_reuse_before_flush(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 64,
					   FT_LONG_WINDOW_MS);
	u64 iova, other[32];
	unsigned int i;

	iova = ft_map(test, dom, VTD_PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova, VTD_PAGE_SIZE,
						    GFP_KERNEL), 0);
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		KUNIT_ASSERT_EQ(test,
				vtd_domain_alloc_iova(dom, VTD_PAGE_SIZE,
						      FT_LIMIT, GFP_KERNEL,
						      &other[i]), 0);
		KUNIT_EXPECT_NE_MSG(test, other[i], iova,
				    "IOVA %#llx handed out again before its invalidation",
				    iova);
	}
	for (i = 0; i < ARRAY_SIZE(other); i++)
		vtd_domain_free_iova(dom, other[i], VTD_PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, ft_allocated(dom, iova));
	vtd_flush_domain_all(dom);
	KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova));
}

/* Back to strict: what was queued is flushed and released at once. */
static void ft_test_mode_change_flushes(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 64,
					   FT_LONG_WINDOW_MS);
	u64 iova = ft_map(test, dom, VTD_PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova, VTD_PAGE_SIZE,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, ft_allocated(dom, iova));
	KUNIT_ASSERT_EQ(test, vtd_flush_set_mode(dom, VTD_UNMAP_STRICT, NULL),
			0);
	KUNIT_EXPECT_EQ(test, vtd_flush_mode(dom), VTD_UNMAP_STRICT);
	KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova));
	/* Strict now: an unmap gives its range back before it returns. */
	iova = ft_map(test, dom, VTD_PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova, VTD_PAGE_SIZE,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova));
}

/*
 * Strict: an unmap whose invalidation fails frees nothing. Its range
 * stays allocated (never handed out again), its emptied table page is
 * quarantined, not back in the pool.
 */
static void ft_test_quarantine_strict(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_STRICT, 0, 0);
	unsigned long in_use;
	u64 iova, other;
	unsigned int i;
	int ret;

	iova = ft_map(test, dom, SZ_2M);
	in_use = ft_pool_in_use(dom->unit);
	vtd_flush_inject_failures(1);
	ret = vtd_domain_unmap_free(dom, iova, SZ_2M, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, ret, -EIO);
	KUNIT_EXPECT_TRUE_MSG(test, ft_allocated(dom, iova),
			      "range [%#llx, +2 MiB) given back after a failed invalidation",
			      iova);
	KUNIT_EXPECT_EQ(test, vtd_flush_quarantined_ranges(dom), 1UL);
	KUNIT_EXPECT_GE(test, ft_q_pages(dom), 1UL);
	KUNIT_EXPECT_EQ(test, ft_pool_in_use(dom->unit), in_use);
	for (i = 0; i < 16; i++) {
		KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, SZ_2M,
							    FT_LIMIT,
							    GFP_KERNEL,
							    &other), 0);
		KUNIT_EXPECT_NE(test, other, iova);
		vtd_domain_free_iova(dom, other, SZ_2M);
	}

	/* vtd_domain_unmap(): the caller keeps the range; pages quarantined. */
	iova = ft_map(test, dom, SZ_2M);
	vtd_flush_inject_failures(1);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, SZ_2M, GFP_KERNEL),
			(u64)SZ_2M);
	KUNIT_EXPECT_GE(test, ft_q_pages(dom), 2UL);
	vtd_domain_free_iova(dom, iova, SZ_2M);
}

/* Deferred: a flush whose invalidation fails quarantines all it held. */
static void ft_test_quarantine_deferred(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 4,
					   FT_LONG_WINDOW_MS);
	struct vtd_flush_stats st;
	u64 iova[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		iova[i] = ft_map(test, dom, VTD_PAGE_SIZE);
	vtd_flush_inject_failures(1);
	migrate_disable();
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, vtd_domain_unmap_free(dom, iova[i],
							    VTD_PAGE_SIZE,
							    GFP_KERNEL), 0);
	migrate_enable();
	vtd_flush_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.flush_full, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flush_failed, 1ULL);
	KUNIT_EXPECT_EQ(test, st.released, 0ULL);
	KUNIT_EXPECT_EQ(test, vtd_flush_quarantined_ranges(dom), 4UL);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE(test, ft_allocated(dom, iova[i]));
}

/* One CPU's share of the stress case. */
struct ft_stress {
	struct work_struct work;
	struct vtd_domain *dom;
	phys_addr_t phys;
	unsigned int done;
	int err;
};

#define FT_STRESS_ROUNDS	500

static void ft_stress_fn(struct work_struct *work)
{
	struct ft_stress *w = container_of(work, struct ft_stress, work);
	unsigned int i;
	u64 iova;

	for (i = 0; i < FT_STRESS_ROUNDS && !w->err; i++) {
		w->err = vtd_domain_alloc_iova(w->dom, VTD_PAGE_SIZE, FT_LIMIT,
					       GFP_ATOMIC, &iova);
		if (!w->err)
			w->err = vtd_domain_map(w->dom, iova, w->phys,
						VTD_PAGE_SIZE,
						VTD_PGT_READ | VTD_PGT_WRITE,
						GFP_ATOMIC);
		if (!w->err)
			w->err = vtd_domain_unmap_free(w->dom, iova,
						       VTD_PAGE_SIZE,
						       GFP_ATOMIC);
		w->done++;
	}
}

/*
 * Every online CPU maps and unmaps at once through small queues with a
 * short window, so full flushes, timer flushes (from other CPUs' timers
 * too) and unmaps overlap; afterwards every range and page is back.
 */
static void ft_test_stress_all_cpus(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 16, 2);
	struct ft_ctx *ctx = test->priv;
	struct vtd_flush_stats st;
	struct vtd_iova_stats is;
	struct ft_stress *w;
	unsigned int cpu;

	w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(&w[cpu].work, ft_stress_fn);
		w[cpu].dom = dom;
		w[cpu].phys = page_to_phys(ctx->page);
		schedule_work_on(cpu, &w[cpu].work);
	}
	for_each_online_cpu(cpu) {
		flush_work(&w[cpu].work);
		KUNIT_EXPECT_EQ_MSG(test, w[cpu].err, 0, "CPU %u", cpu);
		KUNIT_EXPECT_EQ_MSG(test, w[cpu].done, FT_STRESS_ROUNDS,
				    "CPU %u", cpu);
	}
	cpus_read_unlock();
	vtd_flush_domain_all(dom);
	vtd_flush_get_stats(dom, &st);
	kunit_info(test, "%llu deferred unmaps on %u CPU(s): %llu full, %llu window, %llu late, %llu sync flushes; oldest entry at most %llu us old\n",
		   st.deferred, num_online_cpus(), st.flush_full,
		   st.flush_window, st.flush_late, st.flush_sync,
		   div_u64(st.max_age_ns, NSEC_PER_USEC));
	KUNIT_EXPECT_EQ(test, st.queued, 0UL);
	KUNIT_EXPECT_EQ(test, st.released, st.deferred);
	vtd_iova_cache_flush(&dom->iova);
	vtd_iova_get_stats(&dom->iova, &is);
	KUNIT_EXPECT_EQ(test, is.nr_allocated, 0UL);
}

struct ft_unmap {
	struct vtd_domain *dom;
	u64 iova;
};

/* Unmap and give back one page, on the CPU work_on_cpu() runs it on. */
static long ft_unmap_fn(void *arg)
{
	struct ft_unmap *u = arg;

	return vtd_domain_unmap_free(u->dom, u->iova, VTD_PAGE_SIZE,
				     GFP_KERNEL);
}

/*
 * A CPU going offline has its queues flushed by the CPU-dead callback,
 * long before their timers (60 s here) would have fired.
 */
static void ft_test_cpu_offline_flushes(struct kunit *test)
{
	struct vtd_domain *dom = ft_domain(test, VTD_UNMAP_DEFERRED, 64,
					   FT_LONG_WINDOW_MS);
	struct ft_unmap u = { .dom = dom };
	struct vtd_flush_stats st;
	unsigned int cpu;
	u64 iova;
	int ret;

	/* CPU 0 often cannot go offline: any other. */
	cpu = cpumask_any_but(cpu_online_mask, 0);
	if (cpu >= nr_cpu_ids)
		kunit_skip(test, "needs a second CPU");
	iova = ft_map(test, dom, VTD_PAGE_SIZE);
	u.iova = iova;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, ft_unmap_fn, &u), 0L);
	vtd_flush_get_stats(dom, &st);
	KUNIT_ASSERT_EQ(test, st.queued, 1UL);
	ret = remove_cpu(cpu);
	if (ret)
		kunit_skip(test, "cannot take CPU %u offline (%d)", cpu, ret);
	vtd_flush_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.queued, 0UL);
	KUNIT_EXPECT_EQ(test, st.released, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flush_sync, 1ULL);
	KUNIT_EXPECT_FALSE(test, ft_allocated(dom, iova));
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
}

static struct kunit_case ft_cases[] = {
	KUNIT_CASE(ft_test_flush_full),
	KUNIT_CASE(ft_test_flush_window),
	KUNIT_CASE(ft_test_teardown_queued),
	KUNIT_CASE(ft_test_no_reuse_before_flush),
	KUNIT_CASE(ft_test_mode_change_flushes),
	KUNIT_CASE(ft_test_quarantine_strict),
	KUNIT_CASE(ft_test_quarantine_deferred),
	KUNIT_CASE(ft_test_stress_all_cpus),
	KUNIT_CASE(ft_test_cpu_offline_flushes),
	{}
};

static struct kunit_suite ft_suite = {
	.name = "vtd_flush",
	.init = ft_init,
	.exit = ft_exit,
	.test_cases = ft_cases,
};

kunit_test_suite(ft_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of vtd-remap's deferred unmap and quarantine");
