// SPDX-License-Identifier: GPL-2.0
/*
 * vtd_dma_bench: the DMA-API half of `make bench` that the kernel's
 * dma_map_benchmark does not cover. It times dma_map_sg()/dma_unmap_sg()
 * and dma_map_page()/dma_unmap_page() pairs on one PCI device through
 * whatever dma_map_ops the device has (none, Linux's iommu-dma, or the
 * vtd_remap shim), so every configuration of bench-dma.sh runs the same
 * calls. Like vtd_bench.ko it does its work in its init function, prints
 * one "VTD-BENCH-DMA <label> key=value ..." line per figure and stays
 * loaded; rmmod it afterwards.
 *
 * Shapes (parameter shapes=, a comma list):
 *   page    one 4 KiB page, dma_map_page()
 *   sg16    16 entries of 4 KiB on pages two apart (no two adjacent, so
 *           no implementation can merge them in CPU address space)
 *   sg16c   16 entries of 4 KiB on 16 consecutive pages (one 64 KiB
 *           block: an implementation that merges maps it as one)
 *   copy2   no DMA call: two copy_page() of 4 KiB, what a bidirectional
 *           shadow (vtd_shadow.c) copies per map+unmap of one page, so
 *           the copies' share of that mode's figure is measured, not
 *           guessed
 * all bidirectional, as dma_map_benchmark's default. Each shape runs with
 * 1 and then 2 threads (up to threads=, at most one per online CPU), each
 * thread bound to its own CPU mapping its own buffers for secs= seconds.
 *
 * Timing: pairs are timed in batches of BENCH_BATCH (a clock read costs
 * ~0.2 us under TCG, so timing single calls would measure the clock). A
 * figure is the median and the 90th percentile of all threads' batch
 * means, in ns per map+unmap pair: the latency one caller sees, as
 * dma_map_benchmark reports it. segs= is what the last dma_map_sg()
 * returned (fewer than 16 when the implementation merged).
 */
#define pr_fmt(fmt) fmt

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "bench_list.h"

static char *dev = "";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "PCI address of the device to map for (e.g. 0000:00:03.0)");

static char *label = "unlabelled";
module_param(label, charp, 0444);
MODULE_PARM_DESC(label, "Configuration name printed in every figure line");

static char *shapes = "page,sg16,sg16c";
module_param(shapes, charp, 0444);
MODULE_PARM_DESC(shapes, "Comma list of page, sg16, sg16c, copy2");

static uint secs = 5;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "Seconds per shape and thread count (1-60)");

static uint threads = 2;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Largest thread count (1 up to it; capped at the online CPUs)");

#define BENCH_SG_NENTS	16
#define BENCH_BATCH	256
#define BENCH_MAX_BATCHES 16384

enum bench_shape {
	SHAPE_PAGE, SHAPE_SG, SHAPE_SG_CONTIG, SHAPE_COPY2, NR_SHAPES
};

static const char * const shape_name[NR_SHAPES] = {
	[SHAPE_PAGE] = "page", [SHAPE_SG] = "sg16", [SHAPE_SG_CONTIG] = "sg16c",
	[SHAPE_COPY2] = "copy2",
};

/* One thread's buffers and results. */
struct bench_thread {
	struct device *dev;
	enum bench_shape shape;
	u64 deadline_ns;
	struct page *pages;	/* order 5: 32 pages, used as the shape says */
	struct sg_table sgt;
	u32 *means;		/* ns per pair of each batch */
	unsigned int nr_means;
	u64 pairs;
	int segs;
	int err;
	struct completion done;
};

static bool wants(const char *name)
{
	return bench_list_has(shapes, name);
}

/* Point the 16 entries at the block: every other page, or consecutive. */
static void bench_fill_sg(struct bench_thread *bt)
{
	unsigned int step = bt->shape == SHAPE_SG ? 2 : 1;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(bt->sgt.sgl, sg, BENCH_SG_NENTS, i)
		sg_set_page(sg, bt->pages + i * step, PAGE_SIZE, 0);
}

/* One map+unmap pair (or copy2's two copies) of the thread's shape. */
static int bench_pair(struct bench_thread *bt)
{
	dma_addr_t addr;
	int n;

	if (bt->shape == SHAPE_COPY2) {
		/* In and out, as a bidirectional shadow copies. */
		copy_page(page_address(bt->pages + 1), page_address(bt->pages));
		copy_page(page_address(bt->pages), page_address(bt->pages + 1));
		return 0;
	}
	if (bt->shape == SHAPE_PAGE) {
		addr = dma_map_page(bt->dev, bt->pages, 0, PAGE_SIZE,
				    DMA_BIDIRECTIONAL);
		if (dma_mapping_error(bt->dev, addr))
			return -ENOMEM;
		dma_unmap_page(bt->dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
		return 0;
	}
	n = dma_map_sg(bt->dev, bt->sgt.sgl, BENCH_SG_NENTS, DMA_BIDIRECTIONAL);
	if (!n)
		return -ENOMEM;
	bt->segs = n;
	dma_unmap_sg(bt->dev, bt->sgt.sgl, BENCH_SG_NENTS, DMA_BIDIRECTIONAL);
	return 0;
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *bt = arg;
	u64 t0, t1;
	unsigned int i;

	while (bt->nr_means < BENCH_MAX_BATCHES) {
		t0 = ktime_get_ns();
		if (t0 >= bt->deadline_ns)
			break;
		for (i = 0; i < BENCH_BATCH && !bt->err; i++)
			bt->err = bench_pair(bt);
		if (bt->err)
			break;
		t1 = ktime_get_ns();
		bt->means[bt->nr_means++] = div_u64(t1 - t0, BENCH_BATCH);
		bt->pairs += BENCH_BATCH;
		cond_resched();
	}
	complete(&bt->done);
	return 0;
}

static void bench_thread_free(struct bench_thread *bt)
{
	sg_free_table(&bt->sgt);
	if (bt->pages)
		__free_pages(bt->pages, 5);
	vfree(bt->means);
}

static int bench_thread_init(struct bench_thread *bt, struct device *d,
			     enum bench_shape shape)
{
	memset(bt, 0, sizeof(*bt));
	bt->dev = d;
	bt->shape = shape;
	init_completion(&bt->done);
	bt->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, 5);
	bt->means = vmalloc(array_size(BENCH_MAX_BATCHES, sizeof(u32)));
	if (!bt->pages || !bt->means ||
	    sg_alloc_table(&bt->sgt, BENCH_SG_NENTS, GFP_KERNEL)) {
		bench_thread_free(bt);
		return -ENOMEM;
	}
	bench_fill_sg(bt);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* @n threads of @shape on the first @n online CPUs; prints one figure. */
static int bench_run(struct device *d, enum bench_shape shape, unsigned int n)
{
	struct bench_thread *bt;
	struct task_struct *task;
	unsigned int i, cpu, nr = 0, started = 0;
	u64 pairs = 0, deadline;
	u32 *all = NULL;
	int segs = 0, err = 0;

	bt = kcalloc(n, sizeof(*bt), GFP_KERNEL);
	if (!bt)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = bench_thread_init(&bt[i], d, shape);
		if (err)
			goto out;
		started = i + 1;
	}
	/* Every thread gets the same end; it starts within a wake-up of it. */
	deadline = ktime_get_ns() + (u64)secs * NSEC_PER_SEC;
	i = 0;
	for_each_online_cpu(cpu) {
		if (i == n)
			break;
		bt[i].deadline_ns = deadline;
		task = kthread_create(bench_thread_fn, &bt[i], "vtd_dma_bench/%u",
				      cpu);
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			break;
		}
		kthread_bind(task, cpu);
		wake_up_process(task);
		i++;
	}
	/* Nobody will complete the threads not created. */
	if (i < n && !err)
		err = -ENODEV;
	for (; i < n; i++)
		complete(&bt[i].done);
	for (i = 0; i < n; i++) {
		wait_for_completion(&bt[i].done);
		nr += bt[i].nr_means;
		pairs += bt[i].pairs;
		segs = max(segs, bt[i].segs);
		if (bt[i].err && !err)
			err = bt[i].err;
	}
	if (err) {
		pr_info("VTD-BENCH-DMA %s shape=%s threads=%u error=%d\n", label,
			shape_name[shape], n, err);
		goto out;
	}
	all = vmalloc(array_size(max(nr, 1U), sizeof(u32)));
	if (!all || !nr) {
		err = -ENOMEM;
		goto out;
	}
	nr = 0;
	for (i = 0; i < n; i++) {
		memcpy(all + nr, bt[i].means, bt[i].nr_means * sizeof(u32));
		nr += bt[i].nr_means;
	}
	sort(all, nr, sizeof(u32), cmp_u32, NULL);
	pr_info("VTD-BENCH-DMA %s shape=%s threads=%u pairs=%llu batches=%u median_ns=%u p90_ns=%u segs=%d\n",
		label, shape_name[shape], n, pairs, nr, all[nr / 2],
		all[nr * 9 / 10], shape == SHAPE_SG || shape == SHAPE_SG_CONTIG ?
		segs : 1);
out:
	vfree(all);
	for (i = 0; i < started; i++)
		bench_thread_free(&bt[i]);
	kfree(bt);
	return err;
}

static int __init vtd_dma_bench_init(void)
{
	struct device *d;
	unsigned int n, nmax;
	int s, ret = 0;

	if (!secs || secs > 60)
		return -EINVAL;
	d = bus_find_device_by_name(&pci_bus_type, NULL, dev);
	if (!d) {
		pr_err("vtd_dma_bench: no PCI device \"%s\"\n", dev);
		return -ENODEV;
	}
	nmax = clamp(threads, 1U, num_online_cpus());
	pr_info("VTD-BENCH-DMA-START %s dev=%s mask=%#llx ops=%ps secs=%u threads=%u\n",
		label, dev, dma_get_mask(d), get_dma_ops(d), secs, nmax);
	for (s = 0; s < NR_SHAPES; s++) {
		if (!wants(shape_name[s]))
			continue;
		for (n = 1; n <= nmax; n++)
			ret |= bench_run(d, s, n);
	}
	pr_info("VTD-BENCH-DMA-DONE %s status=%s\n", label, ret ? "errors" : "ok");
	put_device(d);
	return 0;
}

static void __exit vtd_dma_bench_exit(void)
{
}

module_init(vtd_dma_bench_init);
module_exit(vtd_dma_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtd-remap bench: map_page and map_sg pairs through a device's DMA ops");
