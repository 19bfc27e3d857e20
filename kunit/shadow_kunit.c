// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vtd-remap's shadow pools (vtd_shadow.c) on a DMA domain
 * of the live unit of the guest they run in (QEMU's intel-iommu, brought
 * up by vtd_remap.ko, which must be loaded first): a shadow is the pool's
 * memory, aligned to its class and holding a copy of the buffer; copies
 * follow the direction and DMA_ATTR_SKIP_CPU_SYNC (the "copy" argument)
 * and syncs copy part of a shadow; whole pages (copy_page()) and the
 * partial pages around them come through intact; sub-page shadows share
 * IOVA pages only with other shadows; min_align_mask is kept; the bound
 * makes the pool refuse (a fallback, counted) until a slot comes back; a
 * slot given back on a CPU is that CPU's next take; trimming unmaps every
 * free chunk. Without a unit every case is skipped.
 */

#include <kunit/test.h>
#include <linux/dma-direction.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "vtd_shadow.h"
#include "vtd_unit.h"

#define ST_LIMIT	(SZ_4G - 1)
#define ST_BOUNDARY	(~0UL)

struct st_ctx {
	struct vtd_domain *dom;
	struct vtd_shadow_pool *pool;
	u8 *buf;
};

static int st_init(struct kunit *test)
{
	struct st_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	return 0;
}

static void st_exit(struct kunit *test)
{
	struct st_ctx *ctx = test->priv;

	vtd_shadow_pool_destroy(ctx->pool);
	if (ctx->dom)
		vtd_domain_free(ctx->dom);
	free_pages((unsigned long)ctx->buf, 4);
}

/* A shadow-mode domain with a pool of @max_bytes, and a 64 KiB buffer. */
static struct vtd_shadow_pool *st_pool(struct kunit *test, size_t max_bytes)
{
	struct vtd_unit *unit = list_first_entry_or_null(&vtd_units,
							  struct vtd_unit,
							  node);
	struct st_ctx *ctx = test->priv;
	struct vtd_shadow_pool *pool;

	if (!unit)
		kunit_skip(test, "no VT-d unit (run with -device intel-iommu)");
	ctx->dom = vtd_domain_alloc(unit, VTD_DOMAIN_DMA);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->dom));
	KUNIT_ASSERT_EQ(test, vtd_flush_set_mode(ctx->dom, VTD_UNMAP_SHADOW,
						 NULL), 0);
	pool = vtd_shadow_pool_create(ctx->dom, max_bytes);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	ctx->pool = pool;
	ctx->buf = (u8 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 4);
	KUNIT_ASSERT_NOT_NULL(test, ctx->buf);
	return pool;
}

/* The CPU view of the shadow at @dma, through the domain's page table. */
static u8 *st_shadow_cpu(struct kunit *test, dma_addr_t dma)
{
	struct st_ctx *ctx = test->priv;
	phys_addr_t phys;

	KUNIT_ASSERT_EQ(test, vtd_domain_lookup(ctx->dom, dma & PAGE_MASK,
						&phys), 0);
	return phys_to_virt((phys & PAGE_MASK) + offset_in_page(dma));
}

static int st_map(struct vtd_shadow_pool *pool, void *cpu, size_t size,
		  u64 align_mask, enum dma_data_direction dir, bool copy,
		  dma_addr_t *dma)
{
	return vtd_shadow_map(pool, virt_to_phys(cpu), size, align_mask,
			      ST_LIMIT, ST_BOUNDARY, dir, copy, dma);
}

/* Sizes land in their classes, aligned, copied in, in the pool's pages. */
static void st_test_classes_copy(struct kunit *test)
{
	static const size_t sizes[] = { 1, 100, 512, 513, 2048, 4096, 12000 };
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	dma_addr_t dma[ARRAY_SIZE(sizes)];
	size_t cls, i;
	u8 *sh;

	for (i = 0; i < SZ_64K; i++)
		ctx->buf[i] = i * 7 + 3;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, sizes[i], 0,
					     DMA_TO_DEVICE, true, &dma[i]), 0);
		cls = max_t(size_t, 512, roundup_pow_of_two(sizes[i]));
		KUNIT_EXPECT_EQ_MSG(test, dma[i] & (cls - 1), 0,
				    "%zu bytes at %#llx: not aligned to %zu",
				    sizes[i], (u64)dma[i], cls);
		sh = st_shadow_cpu(test, dma[i]);
		KUNIT_EXPECT_PTR_NE(test, sh, ctx->buf);
		KUNIT_EXPECT_EQ(test, memcmp(sh, ctx->buf, sizes[i]), 0);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, dma[i], sizes[i],
						       DMA_TO_DEVICE, true), 0);
	/* Above shadow_max: refused, for a zero-copy mapping. */
	KUNIT_EXPECT_EQ(test, st_map(pool, ctx->buf, vtd_shadow_max() + 1, 0,
				     DMA_TO_DEVICE, true, &dma[0]), -E2BIG);
}

/* Copies back follow the direction and SKIP_CPU_SYNC; syncs copy. */
static void st_test_directions(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	struct vtd_shadow_stats st;
	dma_addr_t dma;
	u8 *sh;

	memset(ctx->buf, 0x11, 1024);
	/* TO_DEVICE: the device's writes never come back. */
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 1024, 0, DMA_TO_DEVICE,
				     true, &dma), 0);
	sh = st_shadow_cpu(test, dma);
	memset(sh, 0x22, 1024);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, dma, 1024, DMA_TO_DEVICE,
					       true), 0);
	KUNIT_EXPECT_EQ(test, ctx->buf[0], 0x11);
	/* FROM_DEVICE: they come back at unmap, not before. */
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 1024, 0, DMA_FROM_DEVICE,
				     true, &dma), 0);
	sh = st_shadow_cpu(test, dma);
	memset(sh, 0x33, 1024);
	KUNIT_EXPECT_EQ(test, ctx->buf[1023], 0x11);
	/* A sync for the CPU of 16 bytes at offset 100. */
	KUNIT_ASSERT_EQ(test, vtd_shadow_sync(pool, dma + 100, 16,
					      DMA_FROM_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, ctx->buf[99], 0x11);
	KUNIT_EXPECT_EQ(test, ctx->buf[100], 0x33);
	KUNIT_EXPECT_EQ(test, ctx->buf[116], 0x11);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, dma, 1024,
					       DMA_FROM_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, ctx->buf[1023], 0x33);
	/*
	 * FROM_DEVICE, the device writing only part of the buffer: the
	 * bytes it did not write come back as the driver left them, never
	 * as an earlier DMA's data still in the slot.
	 */
	memset(ctx->buf, 0x66, 1024);
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 1024, 0, DMA_FROM_DEVICE,
				     true, &dma), 0);
	sh = st_shadow_cpu(test, dma);
	memset(sh, 0x77, 16);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, dma, 1024,
					       DMA_FROM_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, ctx->buf[15], 0x77);
	KUNIT_EXPECT_EQ(test, ctx->buf[16], 0x66);
	KUNIT_EXPECT_EQ(test, ctx->buf[1023], 0x66);
	/* SKIP_CPU_SYNC: nothing copied either way. */
	memset(ctx->buf, 0x44, 1024);
	vtd_shadow_get_stats(pool, &st);
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 1024, 0,
				     DMA_BIDIRECTIONAL, false, &dma), 0);
	sh = st_shadow_cpu(test, dma);
	KUNIT_EXPECT_NE(test, sh[0], 0x44);
	memset(sh, 0x55, 1024);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, dma, 1024,
					       DMA_BIDIRECTIONAL, false), 0);
	KUNIT_EXPECT_EQ(test, ctx->buf[0], 0x44);
	/* Unmapping an address no shadow has: not the pool's. */
	KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, SZ_2G, 16,
					       DMA_BIDIRECTIONAL, true),
			-ENOENT);
}

/*
 * Eight 512-byte shadows of neighbouring driver bytes: every IOVA page
 * they lie in maps the pool's pages, never the driver's.
 */
static void st_test_subpage_packing(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	phys_addr_t buf = virt_to_phys(ctx->buf), phys;
	dma_addr_t dma[8];
	unsigned int i, j;

	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf + 512 * i, 512, 0,
					     DMA_BIDIRECTIONAL, true, &dma[i]),
				0);
		KUNIT_ASSERT_EQ(test, vtd_domain_lookup(ctx->dom,
							dma[i] & PAGE_MASK,
							&phys), 0);
		KUNIT_EXPECT_NE(test, phys & PAGE_MASK, buf & PAGE_MASK);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, dma[i], dma[j]);
	}
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, dma[i], 512,
						       DMA_BIDIRECTIONAL, true),
				0);
}

/* min_align_mask: the address keeps the buffer's offset under the mask. */
static void st_test_align_mask(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	dma_addr_t dma;

	ctx->buf[0x234] = 0x5a;
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf + 0x234, 100, 0xfff,
				     DMA_TO_DEVICE, true, &dma), 0);
	KUNIT_EXPECT_EQ(test, dma & 0xfff, 0x234);
	KUNIT_EXPECT_EQ(test, *st_shadow_cpu(test, dma), 0x5a);
	KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, dma, 100, DMA_TO_DEVICE,
					       true), 0);
}

/* Bytes of ctx->buf (64 KiB) not as st_fill() left them, outside [o, o + len). */
static size_t st_bad_outside(struct st_ctx *ctx, size_t o, size_t len)
{
	size_t i, bad = 0;

	for (i = 0; i < SZ_64K; i++)
		if ((i < o || i >= o + len) && ctx->buf[i] != (u8)(i * 7 + 3))
			bad++;
	return bad;
}

/*
 * Copies of whole pages (copy_page() where buffer and shadow share their
 * page offset, memcpy() for the partial pages at the ends and for
 * everything else): every byte goes in at map, comes back at unmap and
 * at a sync across pages, and no byte around the buffer changes.
 */
static void st_test_page_copies(struct kunit *test)
{
	static const struct {
		size_t off, len;
		u64 mask;
	} c[] = {
		{ 0, 4096, 0 },			/* one page */
		{ 0x234, 3 * 4096, 0xfff },	/* head, two pages, tail */
		{ 4096, 2 * 4096 + 100, 0 },	/* two pages, tail */
		{ 0x234, 2 * 4096, 0 },		/* offsets differ */
	};
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	size_t i, j, bad, n;
	dma_addr_t dma;
	u8 *sh;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		u8 *b = ctx->buf + c[i].off;

		/* Up to two pages from byte 100, short of the end. */
		n = min_t(size_t, c[i].len - 200, 8192);

		for (j = 0; j < SZ_64K; j++)
			ctx->buf[j] = j * 7 + 3;
		KUNIT_ASSERT_EQ(test, st_map(pool, b, c[i].len, c[i].mask,
					     DMA_BIDIRECTIONAL, true, &dma),
				0);
		sh = st_shadow_cpu(test, dma);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(sh, b, c[i].len), 0,
				    "case %zu: copy in", i);
		for (j = 0; j < c[i].len; j++)
			sh[j] = j * 13 + 1;
		KUNIT_ASSERT_EQ(test, vtd_shadow_sync(pool, dma + 100, n,
						      DMA_BIDIRECTIONAL, true),
				0);
		for (bad = 0, j = 0; j < c[i].len; j++)
			if (b[j] != (u8)(j >= 100 && j < 100 + n ?
					 j * 13 + 1 : (c[i].off + j) * 7 + 3))
				bad++;
		KUNIT_EXPECT_EQ_MSG(test, bad, 0, "case %zu: sync", i);
		KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, dma, c[i].len,
						       DMA_BIDIRECTIONAL,
						       true), 0);
		for (bad = 0, j = 0; j < c[i].len; j++)
			if (b[j] != (u8)(j * 13 + 1))
				bad++;
		KUNIT_EXPECT_EQ_MSG(test, bad, 0, "case %zu: copy back", i);
		KUNIT_EXPECT_EQ_MSG(test, st_bad_outside(ctx, c[i].off,
							 c[i].len), 0,
				    "case %zu: bytes around", i);
	}
}

/* A one-chunk pool: 128 shadows of 512, then refusals until one is back. */
static void st_test_bound(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, VTD_SHADOW_CHUNK_SIZE);
	struct st_ctx *ctx = test->priv;
	unsigned int n = VTD_SHADOW_CHUNK_SIZE / 512, i;
	struct vtd_shadow_stats st;
	dma_addr_t *dma, extra;

	dma = kunit_kcalloc(test, n, sizeof(*dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 512, 0,
					     DMA_TO_DEVICE, true, &dma[i]), 0);
	KUNIT_EXPECT_EQ(test, st_map(pool, ctx->buf, 512, 0, DMA_TO_DEVICE,
				     true, &extra), -ENOSPC);
	/* Another class needs another chunk: the bound refuses it too. */
	KUNIT_EXPECT_EQ(test, st_map(pool, ctx->buf, 4096, 0, DMA_TO_DEVICE,
				     true, &extra), -ENOSPC);
	vtd_shadow_get_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.fb_bound, 2);
	KUNIT_EXPECT_EQ(test, st.chunks, 1);
	KUNIT_EXPECT_EQ(test, st.bytes, VTD_SHADOW_CHUNK_SIZE);
	KUNIT_EXPECT_EQ(test, st.in_use, n);
	KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, dma[7], 512,
					       DMA_TO_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, st_map(pool, ctx->buf, 512, 0, DMA_TO_DEVICE,
				     true, &dma[7]), 0);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, dma[i], 512,
						       DMA_TO_DEVICE, true), 0);
}

/* A slot given back is this CPU's next take of its class (a magazine hit). */
static void st_test_percpu_magazine(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	struct vtd_shadow_stats st0, st1;
	dma_addr_t a, b;
	int r1, r2, r3;

	/* Grow the class first: a grown slot is no magazine hit. */
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 2048, 0, DMA_TO_DEVICE,
				     true, &a), 0);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, a, 2048, DMA_TO_DEVICE,
					       true), 0);
	get_cpu();
	vtd_shadow_get_stats(pool, &st0);
	r1 = st_map(pool, ctx->buf, 2048, 0, DMA_TO_DEVICE, true, &a);
	r2 = r1 ? r1 : vtd_shadow_unmap(pool, a, 2048, DMA_TO_DEVICE, true);
	r3 = r2 ? r2 : st_map(pool, ctx->buf, 2048, 0, DMA_TO_DEVICE, true,
			      &b);
	vtd_shadow_get_stats(pool, &st1);
	put_cpu();
	KUNIT_ASSERT_EQ(test, r3, 0);
	KUNIT_EXPECT_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, st1.hits - st0.hits, 2);
	KUNIT_EXPECT_EQ(test, st1.grows, st0.grows);
	KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, b, 2048, DMA_TO_DEVICE,
					       true), 0);
}

/* Trimming unmaps every wholly free chunk, and only those. */
static void st_test_trim(struct kunit *test)
{
	struct vtd_shadow_pool *pool = st_pool(test, 0);
	struct st_ctx *ctx = test->priv;
	struct vtd_shadow_stats st;
	dma_addr_t busy, gone;
	phys_addr_t phys;

	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 512, 0, DMA_TO_DEVICE,
				     true, &busy), 0);
	KUNIT_ASSERT_EQ(test, st_map(pool, ctx->buf, 8192, 0, DMA_TO_DEVICE,
				     true, &gone), 0);
	KUNIT_ASSERT_EQ(test, vtd_shadow_unmap(pool, gone, 8192,
					       DMA_TO_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, vtd_shadow_chunks(pool), 2);
	KUNIT_EXPECT_EQ(test, vtd_shadow_trim(pool, ULONG_MAX), 1);
	KUNIT_EXPECT_EQ(test, vtd_shadow_chunks(pool), 1);
	KUNIT_EXPECT_NE(test, vtd_domain_lookup(ctx->dom, gone, &phys), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(ctx->dom, busy & PAGE_MASK,
						&phys), 0);
	KUNIT_EXPECT_EQ(test, vtd_shadow_unmap(pool, busy, 512,
					       DMA_TO_DEVICE, true), 0);
	KUNIT_EXPECT_EQ(test, vtd_shadow_trim(pool, ULONG_MAX), 1);
	vtd_shadow_get_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.chunks, 0);
	KUNIT_EXPECT_EQ(test, st.trims, 2);
	KUNIT_EXPECT_EQ(test, st.in_use, 0);
}

static struct kunit_case st_cases[] = {
	KUNIT_CASE(st_test_classes_copy),
	KUNIT_CASE(st_test_directions),
	KUNIT_CASE(st_test_subpage_packing),
	KUNIT_CASE(st_test_align_mask),
	KUNIT_CASE(st_test_page_copies),
	KUNIT_CASE(st_test_bound),
	KUNIT_CASE(st_test_percpu_magazine),
	KUNIT_CASE(st_test_trim),
	{}
};

static struct kunit_suite st_suite = {
	.name = "vtd_shadow",
	.init = st_init,
	.exit = st_exit,
	.test_cases = st_cases,
};

kunit_test_suite(st_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of vtd-remap's shadow buffer pools");
