// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the vtd-remap second-level page tables (vtd_pgtable.c) and
 * their page pool (vtd_pool.c). Every case runs on a 3-level (39-bit) and a
 * 4-level (48-bit) table, with the capabilities QEMU's intel-iommu reports
 * at aw-bits 39 and 48 (2 MiB and 1 GiB pages, ECAP.C=0 so every table
 * write is clflushed). The physical addresses mapped are never touched by
 * the CPU: they only have to be well formed.
 *
 * The random test prints its seed; load with seed=N to replay it.
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vtd_pgtable.h"
#include "vtd_pool.h"

static unsigned long seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "Seed of the random map/unmap test (0: pick one and print it)");

/* Entry bits, written out again from VT-d 9.8 rather than shared. */
#define T_R		BIT_ULL(0)
#define T_W		BIT_ULL(1)
#define T_PS		BIT_ULL(7)
#define T_SNP		BIT_ULL(11)
#define T_ADDR		GENMASK_ULL(51, 12)

/* A physical base far from anything, with room for 2^39 bytes above it. */
#define T_PHYS		0x40000000000ULL

/* SZ_1G is an int: 3 * SZ_1G would overflow. */
#define T_1G		((u64)SZ_1G)

struct pgt_param {
	unsigned int aw_bits;
	unsigned int sagaw;	/* as QEMU reports it at that aw-bits */
	unsigned int levels;
	const char *name;
};

static const struct pgt_param pgt_params[] = {
	{ 39, BIT(1), 3, "3-level-39bit" },
	{ 48, BIT(1) | BIT(2), 4, "4-level-48bit" },
};

static void pgt_param_desc(const struct pgt_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pgt, pgt_params, pgt_param_desc);

/* Per-test state: a pool, a table on it, and what the callbacks saw. */
struct pgt_test {
	struct kunit *test;
	const struct pgt_param *p;
	struct vtd_pool pool;
	struct vtd_pgtable pgt;
	struct vtd_pgtable_cfg cfg;
	struct vtd_pgtable_gather g;
	atomic_t syncs;
	atomic_t maps;
	atomic_t bad_args;
	u64 sync_start;		/* last iotlb_sync range, single-threaded */
	u64 sync_size;
	bool sync_tables;
	int sync_ret;		/* what the fake invalidation returns */
	unsigned long base_in_use;
};

/* Fake invalidation: the range must be page aligned and inside the width. */
static bool pgt_args_ok(struct pgt_test *t, u64 iova, u64 size)
{
	return size && IS_ALIGNED(iova | size, SZ_4K) &&
	       iova + size <= BIT_ULL(t->pgt.aw_bits) && iova + size > iova;
}

static int pgt_fake_sync(void *cookie, u64 iova, u64 size, bool tables)
{
	struct pgt_test *t = cookie;

	if (!pgt_args_ok(t, iova, size))
		atomic_inc(&t->bad_args);
	atomic_inc(&t->syncs);
	t->sync_start = iova;
	t->sync_size = size;
	t->sync_tables = tables;
	return t->sync_ret;
}

static int pgt_fake_map(void *cookie, u64 iova, u64 size)
{
	struct pgt_test *t = cookie;

	if (!pgt_args_ok(t, iova, size))
		atomic_inc(&t->bad_args);
	atomic_inc(&t->maps);
	return 0;
}

static const struct vtd_pgtable_flush_ops pgt_fake_ops = {
	.iotlb_sync = pgt_fake_sync,
	.iotlb_map = pgt_fake_map,
};

static int pgt_test_init(struct kunit *test)
{
	struct vtd_pool_stats st;
	struct pgt_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	t->p = test->param_value;
	KUNIT_ASSERT_EQ(test, vtd_pool_init(&t->pool, 16, 64), 0);
	t->cfg = (struct vtd_pgtable_cfg) {
		.sagaw = t->p->sagaw,
		.page_sizes = VTD_PGT_SZ_2M | VTD_PGT_SZ_1G,
		.aw_bits = t->p->aw_bits,
		.coherent = false,
		.snoop_ctl = false,
		.ops = &pgt_fake_ops,
		.cookie = t,
		.pool = &t->pool,
	};
	if (vtd_pgtable_init(&t->pgt, &t->cfg)) {
		vtd_pool_destroy(&t->pool);
		KUNIT_FAIL(test, "vtd_pgtable_init failed");
		return -ENOMEM;
	}
	vtd_pgtable_gather_init(&t->g);
	vtd_pool_get_stats(&t->pool, &st);
	t->base_in_use = st.in_use;
	test->priv = t;
	return 0;
}

static void pgt_test_exit(struct kunit *test)
{
	struct pgt_test *t = test->priv;

	if (!t)
		return;
	vtd_pgtable_sync(&t->pgt, &t->g);
	vtd_pgtable_destroy(&t->pgt);
	vtd_pool_destroy(&t->pool);
}

static unsigned long pgt_in_use(struct pgt_test *t)
{
	struct vtd_pool_stats st;

	vtd_pool_get_stats(&t->pool, &st);
	return st.in_use;
}

/*
 * Everything consistent, nothing mapped, and an unmap of the whole space
 * takes out the tables partial unmaps left empty (invariant 3d): back to
 * the root only.
 */
static void pgt_expect_baseline(struct kunit *test, struct pgt_test *t)
{
	vtd_pgtable_sync(&t->pgt, &t->g);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap(&t->pgt, 0,
						BIT_ULL(t->pgt.aw_bits),
						GFP_KERNEL, NULL, &t->g), 0);
	vtd_pgtable_sync(&t->pgt, &t->g);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), 1);
	KUNIT_EXPECT_EQ(test, pgt_in_use(t), t->base_in_use);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->bad_args), 0);
}

static int pgt_map(struct pgt_test *t, u64 iova, u64 phys, u64 size, int prot)
{
	return vtd_pgtable_map(&t->pgt, iova, phys, size, prot, GFP_KERNEL,
			       NULL, &t->g);
}

static u64 pgt_unmap(struct pgt_test *t, u64 iova, u64 size)
{
	u64 ret = vtd_pgtable_unmap(&t->pgt, iova, size, GFP_KERNEL, NULL,
				    &t->g);

	vtd_pgtable_sync(&t->pgt, &t->g);
	return ret;
}

static void pgt_expect_xlate(struct kunit *test, struct pgt_test *t, u64 iova,
			     u64 phys)
{
	phys_addr_t got = 0;

	KUNIT_EXPECT_EQ_MSG(test, vtd_pgtable_lookup(&t->pgt, iova, &got), 0,
			    "IOVA %#llx", iova);
	KUNIT_EXPECT_EQ_MSG(test, (u64)got, phys, "IOVA %#llx", iova);
}

static void pgt_expect_none(struct kunit *test, struct pgt_test *t, u64 iova)
{
	phys_addr_t got;

	KUNIT_EXPECT_EQ_MSG(test, vtd_pgtable_lookup(&t->pgt, iova, &got),
			    -ENOENT, "IOVA %#llx", iova);
}

static u64 pgt_top(struct pgt_test *t)
{
	return BIT_ULL(t->p->aw_bits);
}

/* --- cases ----------------------------------------------------------- */

static void pgt_test_empty(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	phys_addr_t got;
	u64 pte;
	unsigned int level;

	KUNIT_EXPECT_EQ(test, t->pgt.levels, t->p->levels);
	KUNIT_EXPECT_EQ(test, t->pgt.aw_bits, t->p->aw_bits);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_context_aw(&t->pgt), t->p->levels - 2);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(vtd_pgtable_root_phys(&t->pgt), SZ_4K));
	pgt_expect_none(t->test, t, 0);
	pgt_expect_none(t->test, t, 0x12345);
	pgt_expect_none(t->test, t, T_1G + 7);
	pgt_expect_none(t->test, t, pgt_top(t) - 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_lookup(&t->pgt, pgt_top(t), &got),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, 0, &pte, &level),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 0, SZ_2M), 0);
	pgt_expect_baseline(test, t);
}

static void pgt_test_page_sizes(struct kunit *test)
{
	static const struct { u64 size; unsigned int level; } sz[] = {
		{ SZ_4K, 1 }, { SZ_2M, 2 }, { T_1G, 3 },
	};
	struct pgt_test *t = test->priv;
	u64 iova, phys, pte, off;
	unsigned int i, level;

	for (i = 0; i < ARRAY_SIZE(sz); i++) {
		iova = 3 * T_1G + sz[i].size * 5;
		phys = T_PHYS + sz[i].size * 7;
		off = sz[i].size / 2 + 0x123;	/* odd, mid-page */
		KUNIT_ASSERT_EQ(test, pgt_map(t, iova, phys, sz[i].size,
					      VTD_PGT_READ | VTD_PGT_WRITE), 0);
		pgt_expect_xlate(test, t, iova + off, phys + off);
		pgt_expect_xlate(test, t, iova + 1, phys + 1);
		pgt_expect_xlate(test, t, iova + sz[i].size - 1,
				 phys + sz[i].size - 1);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, iova + off,
						       &pte, &level), 0);
		KUNIT_EXPECT_EQ(test, level, sz[i].level);
		pgt_expect_none(test, t, iova + sz[i].size);
		pgt_expect_none(test, t, iova - 1);
		KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
		KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, sz[i].size), sz[i].size);
		pgt_expect_none(test, t, iova + off);
	}
	/* Mixed: 4 KiB up to a 2 MiB boundary, one 2 MiB page, 4 KiB after. */
	iova = T_1G - SZ_8K;
	phys = T_PHYS + T_1G - SZ_8K;
	KUNIT_ASSERT_EQ(test, pgt_map(t, iova, phys, SZ_2M + SZ_16K,
				      VTD_PGT_READ), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, iova, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, T_1G + 0x5555, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, level, 2);
	pgt_expect_xlate(test, t, T_1G + SZ_2M + 0xfff,
			 T_PHYS + T_1G + SZ_2M + 0xfff);
	/* Misaligned physical address: only 4 KiB pages. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, 5 * T_1G, T_PHYS + SZ_4K, SZ_2M,
				      VTD_PGT_WRITE), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, 5 * T_1G + SZ_1M,
					       &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->maps), 5);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, SZ_2M + SZ_16K), SZ_2M + SZ_16K);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 5 * T_1G, SZ_2M), SZ_2M);
	pgt_expect_baseline(test, t);
}

static void pgt_test_bad_args(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	int rw = VTD_PGT_READ | VTD_PGT_WRITE;

	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, T_PHYS, 0, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1800, T_PHYS, SZ_4K, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, T_PHYS + 8, SZ_4K, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, T_PHYS, 0x1800, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, T_PHYS, SZ_4K, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, BIT_ULL(52), SZ_4K, rw), -EINVAL);
	/* Past the top of the physical space, or wrapping past 2^64. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, BIT_ULL(52) - SZ_4K, SZ_8K, rw),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, U64_MAX & ~0xfffULL, SZ_8K, rw),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, -(u64)SZ_2M, 2 * SZ_2M, rw),
			-EINVAL);
	pgt_expect_none(test, t, 0x1000);
	pgt_expect_none(test, t, 0x2000);
	/* The last page below 2^52 is fine. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, 0x1000, BIT_ULL(52) - SZ_4K, SZ_4K, rw),
			0);
	pgt_expect_xlate(test, t, 0x1000, BIT_ULL(52) - SZ_4K);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 0x1000, SZ_4K), (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, pgt_map(t, pgt_top(t), T_PHYS, SZ_4K, rw), -ERANGE);
	KUNIT_EXPECT_EQ(test, pgt_map(t, U64_MAX & ~0xfffULL, T_PHYS, SZ_8K, rw),
			-ERANGE);
	pgt_expect_baseline(test, t);
}

static void pgt_test_overlap(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	int rw = VTD_PGT_READ | VTD_PGT_WRITE;
	u64 x = 7 * T_1G + 4 * SZ_2M;

	KUNIT_ASSERT_EQ(test, pgt_map(t, x, T_PHYS, SZ_2M, rw), 0);
	KUNIT_EXPECT_EQ(test, pgt_map(t, x + SZ_4K, T_PHYS, SZ_4K, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, pgt_map(t, x, T_PHYS, SZ_2M, rw), -EEXIST);
	/* Ends on the live page: the first 2 MiB must be undone. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, x - SZ_2M, T_PHYS, SZ_4M, rw), -EEXIST);
	pgt_expect_none(test, t, x - SZ_2M);
	/* 4 KiB pages first, then the live superpage: undone too. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, x - SZ_16K, T_PHYS, SZ_32K, rw),
			-EEXIST);
	pgt_expect_none(test, t, x - SZ_16K);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 7 * T_1G, T_PHYS, T_1G, rw), -EEXIST);
	pgt_expect_xlate(test, t, x + 0x42, T_PHYS + 0x42);
	/* A 4 KiB page below a would-be superpage. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, 9 * T_1G + SZ_1M, T_PHYS, SZ_4K, rw), 0);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 9 * T_1G, T_PHYS, SZ_2M, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, pgt_map(t, 9 * T_1G, T_PHYS, T_1G, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 9 * T_1G, T_1G), SZ_4K);
	pgt_expect_baseline(test, t);
}

static void pgt_test_last_page(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	u64 top = pgt_top(t);
	int rw = VTD_PGT_READ | VTD_PGT_WRITE;

	KUNIT_ASSERT_EQ(test, pgt_map(t, top - SZ_4K, T_PHYS, SZ_4K, rw), 0);
	pgt_expect_xlate(test, t, top - 1, T_PHYS + SZ_4K - 1);
	pgt_expect_none(test, t, top - SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, pgt_map(t, top - SZ_4K, T_PHYS, SZ_8K, rw), -ERANGE);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, top - SZ_4K, SZ_4K), SZ_4K);
	/* The last 1 GiB page of the space. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, top - T_1G, T_PHYS, T_1G, rw), 0);
	pgt_expect_xlate(test, t, top - 1, T_PHYS + T_1G - 1);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, top - T_1G, T_1G), T_1G);
	pgt_expect_baseline(test, t);
}

static void pgt_test_partial_unmap(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	u64 x = 2 * T_1G, hole = x + SZ_2M + SZ_8K, pte;
	unsigned int level;

	KUNIT_ASSERT_EQ(test, pgt_map(t, x, T_PHYS, T_1G, VTD_PGT_READ), 0);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, hole, SZ_4K), SZ_4K);
	KUNIT_EXPECT_LE(test, t->sync_start, hole);
	KUNIT_EXPECT_GE(test, t->sync_start + t->sync_size, hole + SZ_4K);
	pgt_expect_none(test, t, hole);
	pgt_expect_none(test, t, hole + 0xfff);
	pgt_expect_xlate(test, t, hole - 1, T_PHYS + SZ_2M + SZ_8K - 1);
	pgt_expect_xlate(test, t, hole + SZ_4K, T_PHYS + SZ_2M + SZ_8K + SZ_4K);
	pgt_expect_xlate(test, t, x, T_PHYS);
	pgt_expect_xlate(test, t, x + T_1G - 1, T_PHYS + T_1G - 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, hole + SZ_4K, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, x + SZ_8M, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, level, 2);
	KUNIT_EXPECT_FALSE(test, pte & T_W);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	/* Straddling two 2 MiB pages of the split 1 GiB page. */
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x + SZ_8M - SZ_4K, SZ_8K), SZ_8K);
	pgt_expect_none(test, t, x + SZ_8M);
	pgt_expect_xlate(test, t, x + SZ_8M + SZ_4K, T_PHYS + SZ_8M + SZ_4K);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x, T_1G), T_1G - 3 * SZ_4K);
	pgt_expect_baseline(test, t);
}

static void pgt_test_baseline(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	int i, rw = VTD_PGT_READ | VTD_PGT_WRITE;
	u64 iova;

	for (i = 0; i < 16; i++) {
		iova = (u64)i * (pgt_top(t) / 16) + (u64)i * SZ_2M + SZ_4K * i;
		KUNIT_ASSERT_EQ(test, pgt_map(t, iova, T_PHYS, SZ_64K, rw), 0);
	}
	KUNIT_EXPECT_GT(test, pgt_in_use(t), t->base_in_use + 16);
	/* Each unmap covers its SL-PTE table's whole span: it may go (3d). */
	for (i = 0; i < 16; i++) {
		iova = (u64)i * (pgt_top(t) / 16) + (u64)i * SZ_2M;
		KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap(&t->pgt, iova, SZ_2M,
							GFP_KERNEL, NULL, &t->g),
				SZ_64K);
	}
	/* Nothing goes back before the invalidation. */
	KUNIT_EXPECT_GE(test, t->g.nr_freed, 16);
	KUNIT_EXPECT_TRUE(test, t->g.tables);
	KUNIT_EXPECT_GT(test, pgt_in_use(t), t->base_in_use + 16);
	vtd_pgtable_sync(&t->pgt, &t->g);
	KUNIT_EXPECT_TRUE(test, t->sync_tables);
	pgt_expect_baseline(test, t);
}

/* The reserved bits of a leaf at @level (VT-d 9.8), SNP included. */
static u64 pgt_leaf_reserved(unsigned int level)
{
	u64 m = GENMASK_ULL(63, 52) | T_SNP | GENMASK_ULL(10, 8) |
		GENMASK_ULL(6, 2);

	if (level == 2)
		m |= GENMASK_ULL(20, 12);
	if (level == 3)
		m |= GENMASK_ULL(29, 12);
	return m;
}

static void pgt_check_leaf(struct kunit *test, struct pgt_test *t, u64 iova,
			   u64 phys, unsigned int want_level, u64 want_rw)
{
	unsigned int level;
	u64 pte;

	KUNIT_ASSERT_EQ(test, vtd_pgtable_leaf(&t->pgt, iova, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, want_level);
	KUNIT_EXPECT_EQ(test, pte & (T_R | T_W), want_rw);
	KUNIT_EXPECT_EQ(test, !!(pte & T_PS), want_level > 1);
	KUNIT_EXPECT_EQ(test, FIELD_GET(T_ADDR, pte) << 12, phys);
	KUNIT_EXPECT_EQ_MSG(test, pte & pgt_leaf_reserved(level), 0,
			    "pte %#llx", pte);
}

static void pgt_test_entry_bits(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	u64 *table, pte;
	unsigned int lvl;

	KUNIT_ASSERT_EQ(test, pgt_map(t, T_1G, T_PHYS, SZ_4K, VTD_PGT_READ), 0);
	KUNIT_ASSERT_EQ(test, pgt_map(t, T_1G + SZ_4K, T_PHYS + SZ_8K, SZ_4K,
				      VTD_PGT_WRITE | VTD_PGT_SNOOP), 0);
	KUNIT_ASSERT_EQ(test, pgt_map(t, T_1G + SZ_2M, T_PHYS + SZ_2M, SZ_2M,
				      VTD_PGT_READ | VTD_PGT_WRITE), 0);
	KUNIT_ASSERT_EQ(test, pgt_map(t, 4 * T_1G, T_PHYS + T_1G, T_1G,
				      VTD_PGT_READ | VTD_PGT_WRITE), 0);
	pgt_check_leaf(test, t, T_1G, T_PHYS, 1, T_R);
	/* No ECAP.SC: SNP is reserved and must stay clear. */
	pgt_check_leaf(test, t, T_1G + SZ_4K, T_PHYS + SZ_8K, 1, T_W);
	pgt_check_leaf(test, t, T_1G + SZ_2M, T_PHYS + SZ_2M, 2, T_R | T_W);
	pgt_check_leaf(test, t, 4 * T_1G, T_PHYS + T_1G, 3, T_R | T_W);

	/* Walk by hand from the root the context entry would point at. */
	table = phys_to_virt(vtd_pgtable_root_phys(&t->pgt));
	for (lvl = t->p->levels; lvl > 1; lvl--) {
		pte = READ_ONCE(table[(T_1G >> (12 + 9 * (lvl - 1))) & 511]);
		KUNIT_EXPECT_EQ_MSG(test, pte & (T_R | T_W), T_R | T_W,
				    "non-leaf at level %u: %#llx", lvl, pte);
		KUNIT_EXPECT_EQ(test, pte & (GENMASK_ULL(63, 52) | T_SNP | T_PS |
					     GENMASK_ULL(10, 8) |
					     GENMASK_ULL(6, 2)), 0);
		table = phys_to_virt(FIELD_GET(T_ADDR, pte) << 12);
	}
	pte = READ_ONCE(table[(T_1G >> 12) & 511]);
	KUNIT_EXPECT_EQ(test, pte, T_PHYS | T_R);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, T_1G, SZ_4M), SZ_4M - SZ_2M + SZ_8K);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 4 * T_1G, T_1G), T_1G);
	pgt_expect_baseline(test, t);
}

/* With ECAP.SC, SNP is set on leaves that ask for it, and only there. */
static void pgt_test_snoop(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	struct vtd_pgtable_cfg cfg = t->cfg;
	struct vtd_pgtable *sc;
	unsigned int level;
	u64 pte;

	sc = kunit_kzalloc(test, sizeof(*sc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sc);
	cfg.snoop_ctl = true;
	cfg.page_sizes = 0;	/* no superpages: 2 MiB maps as 4 KiB */
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(sc, &cfg), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map(sc, 0, T_PHYS, SZ_2M,
					      VTD_PGT_READ | VTD_PGT_SNOOP,
					      GFP_KERNEL, NULL, &t->g), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(sc, SZ_1M, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_TRUE(test, pte & T_SNP);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map(sc, SZ_2M, T_PHYS, SZ_4K,
					      VTD_PGT_READ, GFP_KERNEL, NULL,
					      &t->g), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(sc, SZ_2M, &pte, &level), 0);
	KUNIT_EXPECT_FALSE(test, pte & T_SNP);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(sc), 0);
	vtd_pgtable_destroy(sc);
	pgt_expect_baseline(test, t);
}

/* --- the random test against a reference model ----------------------- */

/*
 * The model covers the top 2 GiB + 4 MiB of the space (two whole 1 GiB
 * pages fit), one u32 per 4 KiB page: 0 if unmapped, else the physical
 * frame, counted from T_PHYS, plus one.
 */
#define RND_PAGES	(((2 * T_1G) + SZ_4M) / SZ_4K)
#define RND_OPS		2000
#define RND_1G_PAGES	(T_1G / SZ_4K)

struct pgt_rnd {
	struct rnd_state rs;
	u32 *model;
	u64 base;
};

static u32 rnd_below(struct pgt_rnd *r, u32 n)
{
	return prandom_u32_state(&r->rs) % n;
}

/* A page count: mostly small, sometimes a superpage's worth or more. */
static u32 rnd_pages(struct pgt_rnd *r)
{
	switch (rnd_below(r, 32)) {
	case 0:
	case 1:
		return 512 * (1 + rnd_below(r, 4));
	case 2:
		return RND_1G_PAGES;
	case 3:
	case 4:
		return 1 + rnd_below(r, 2048);
	default:
		return 1 + rnd_below(r, 64);
	}
}

/*
 * A start page in the window; for big counts, half the time with the
 * IOVA aligned to 2 MiB or 1 GiB, so that superpages happen.
 */
static u32 rnd_start(struct pgt_rnd *r, u32 n)
{
	u32 p = rnd_below(r, RND_PAGES - n + 1);
	u64 first = r->base / SZ_4K, abs, mask;

	if (n < 512 || rnd_below(r, 2))
		return p;
	mask = n >= RND_1G_PAGES ? RND_1G_PAGES - 1 : 511;
	abs = (first + p) & ~mask;
	if (abs < first)
		abs += mask + 1;
	return abs - first + n <= RND_PAGES ? abs - first : p;
}

static void rnd_one(struct kunit *test, struct pgt_test *t, struct pgt_rnd *r)
{
	u32 n = rnd_pages(r), p = rnd_start(r, n), i, live = 0, frame;
	u64 iova = r->base + (u64)p * SZ_4K;
	/* The IOVA's own frame number, cut to 2^27: keeps 1 GiB alignment. */
	u32 same = (iova / SZ_4K) & (BIT(27) - 1);
	int ret;

	for (i = 0; i < n; i++)
		live += !!r->model[p + i];
	if (rnd_below(r, 2)) {
		/* Frames mostly with the IOVA's alignment: superpages. */
		frame = rnd_below(r, 4) ? same : rnd_below(r, 1 << 20);
		ret = pgt_map(t, iova, T_PHYS + (u64)frame * SZ_4K,
			      (u64)n * SZ_4K, VTD_PGT_READ | VTD_PGT_WRITE);
		vtd_pgtable_sync(&t->pgt, &t->g);
		KUNIT_EXPECT_EQ_MSG(test, ret, live ? -EEXIST : 0,
				    "map %#llx + %u pages", iova, n);
		if (!ret)
			for (i = 0; i < n; i++)
				r->model[p + i] = frame + i + 1;
	} else {
		t->sync_start = 0;
		t->sync_size = 0;
		KUNIT_EXPECT_EQ_MSG(test, pgt_unmap(t, iova, (u64)n * SZ_4K),
				    (u64)live * SZ_4K, "unmap %#llx + %u pages",
				    iova, n);
		/* Every leaf cleared lies in the range invalidated. */
		for (i = 0; i < n; i++) {
			u64 a = iova + (u64)i * SZ_4K;

			bool out = a < t->sync_start ||
				   a + SZ_4K > t->sync_start + t->sync_size;

			if (r->model[p + i] && out) {
				KUNIT_FAIL(test, "cleared %#llx, invalidated [%#llx, +%#llx)",
					   a, t->sync_start, t->sync_size);
				break;
			}
		}
		for (i = 0; i < n; i++)
			r->model[p + i] = 0;
	}
}

static void rnd_verify(struct kunit *test, struct pgt_test *t,
		       struct pgt_rnd *r, int samples)
{
	phys_addr_t got;
	u64 iova;
	u32 p;
	int i, ret;

	for (i = 0; i < samples; i++) {
		p = rnd_below(r, RND_PAGES);
		iova = r->base + (u64)p * SZ_4K + rnd_below(r, SZ_4K);
		ret = vtd_pgtable_lookup(&t->pgt, iova, &got);
		if (!r->model[p]) {
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT, "IOVA %#llx", iova);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "IOVA %#llx", iova);
		KUNIT_EXPECT_EQ_MSG(test, (u64)got,
				    T_PHYS + (u64)(r->model[p] - 1) * SZ_4K +
				    (iova & 0xfff), "IOVA %#llx", iova);
	}
}

/*
 * Linux 6.1 runs a module's KUnit suites from the MODULE_STATE_COMING
 * notifier, before load_module() parses the module's parameters, so @seed
 * still reads 0 while the tests run. The raw argument string is already in
 * THIS_MODULE->args then: take seed= from there too.
 */
static u64 pgt_seed(void)
{
	const char *args = NULL, *a;
	unsigned long long v;

	if (seed)
		return seed;
#ifdef MODULE
	args = THIS_MODULE->args;
#endif
	for (a = args; a && (a = strstr(a, "seed=")); a++)
		if ((a == args || a[-1] == ' ') && sscanf(a, "seed=%llu", &v) == 1)
			return v;
	return get_random_u32();
}

static void pgt_test_random(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	struct pgt_rnd *r;
	u64 s = pgt_seed();
	int op;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->model = vzalloc(RND_PAGES * sizeof(u32));
	KUNIT_ASSERT_NOT_NULL(test, r->model);
	kunit_info(test, "seed=%llu (reload with seed=%llu to replay)\n", s, s);
	prandom_seed_state(&r->rs, s);
	/* 4 MiB below a 1 GiB boundary, up to the top of the space. */
	r->base = pgt_top(t) - 2 * T_1G - SZ_4M;
	for (op = 0; op < RND_OPS; op++) {
		rnd_one(test, t, r);
		if (op % 64 == 0) {
			rnd_verify(test, t, r, 256);
			KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
		}
		if (test->status == KUNIT_FAILURE) {
			kunit_info(test, "stopped at op %d of seed %llu\n", op, s);
			break;
		}
	}
	rnd_verify(test, t, r, 4096);
	pgt_unmap(t, r->base, (u64)RND_PAGES * SZ_4K);
	vfree(r->model);
	pgt_expect_baseline(test, t);
}

/* --- pool exhaustion and failure injection --------------------------- */

/*
 * Take every unreserved page out of the pool, onto @held. Not until a get
 * fails: an atomic miss falls back to the page allocator.
 */
static unsigned long pgt_drain(struct pgt_test *t, struct list_head *held)
{
	struct vtd_pool_stats st;
	unsigned long n = 0;
	void *va;

	for (;;) {
		vtd_pool_get_stats(&t->pool, &st);
		if (st.in_pool <= st.reserved)
			break;
		va = vtd_pool_get(&t->pool, NULL, GFP_ATOMIC);
		if (!va)
			break;
		list_add(&virt_to_page(va)->lru, held);
		n++;
	}
	return n;
}

static void pgt_test_exhaustion(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	struct vtd_pool_resv resv = {};
	struct vtd_pool_stats st0, st;
	u64 iova = 3 * T_1G + SZ_2M - SZ_4K, size = SZ_8K;
	unsigned long need, tables;
	LIST_HEAD(held);

	/* The page allocator fails from now on: only the pool is left. */
	WRITE_ONCE(t->pool.fail_alloc_nth, 1);
	need = vtd_pgtable_map_pages(t->p->levels, size);
	KUNIT_EXPECT_GE(test, need,
			vtd_pgtable_map_pages_at(&t->pgt, iova, T_PHYS, size));
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map_pages(t->p->levels, SZ_4K),
			t->p->levels - 1);
	KUNIT_ASSERT_EQ(test, vtd_pool_reserve(&t->pool, &resv, need,
					       GFP_KERNEL), 0);
	vtd_pool_get_stats(&t->pool, &st0);
	KUNIT_EXPECT_GT(test, pgt_drain(t, &held), 0);
	tables = atomic_long_read(&t->pgt.nr_tables);

	/* No reservation, atomic, empty pool: -ENOMEM and nothing changed. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map(&t->pgt, iova, T_PHYS, size,
					      VTD_PGT_READ, GFP_ATOMIC, NULL,
					      &t->g), -ENOMEM);
	vtd_pgtable_sync(&t->pgt, &t->g);
	pgt_expect_none(test, t, iova);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), tables);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	/* A blocking map cannot get pages either. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, iova, T_PHYS, size, VTD_PGT_READ),
			-ENOMEM);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_GT(test, st.misses, st0.misses);

	/* With the reservation, the same atomic map succeeds. */
	local_irq_disable();
	KUNIT_EXPECT_EQ(test, vtd_pgtable_map(&t->pgt, iova, T_PHYS, size,
					      VTD_PGT_READ, GFP_ATOMIC, &resv,
					      &t->g), 0);
	local_irq_enable();
	pgt_expect_xlate(test, t, iova + SZ_4K + 3, T_PHYS + SZ_4K + 3);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	vtd_pool_unreserve(&t->pool, &resv);

	vtd_pool_put_list(&t->pool, &held);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, size), size);
	WRITE_ONCE(t->pool.fail_alloc_nth, 0);
	vtd_pool_flush_refill(&t->pool);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_EQ(test, st.reserved, 0);
	pgt_expect_baseline(test, t);
}

static void pgt_test_fail_inject(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	u64 iova = 6 * T_1G - SZ_8K, size = SZ_2M + SZ_16K, off;
	int nth, ret, failed = 0;

	/*
	 * Each map needs several tables: fail the 1st, 2nd, ... get. Only
	 * gets without a reservation fail: map atomically without one.
	 */
	for (nth = 1; nth <= 8; nth++) {
		atomic_set(&t->pool.gets, 0);
		WRITE_ONCE(t->pool.fail_get_nth, nth);
		ret = vtd_pgtable_map(&t->pgt, iova, T_PHYS, size, VTD_PGT_READ,
				      GFP_ATOMIC, NULL, &t->g);
		WRITE_ONCE(t->pool.fail_get_nth, 0);
		KUNIT_EXPECT_TRUE(test, ret == 0 || ret == -ENOMEM);
		if (ret) {
			failed++;
			for (off = 0; off < size; off += SZ_4K)
				pgt_expect_none(test, t, iova + off);
			pgt_expect_baseline(test, t);
		} else {
			pgt_expect_xlate(test, t, iova + size - 1,
					 T_PHYS + size - 1);
			KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, size), size);
		}
	}
	KUNIT_EXPECT_GE(test, failed, t->p->levels - 1);

	/* A split that cannot get its page unmaps nothing. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, T_1G, T_PHYS, T_1G, VTD_PGT_READ), 0);
	atomic_set(&t->pool.gets, 0);
	WRITE_ONCE(t->pool.fail_get_nth, 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap(&t->pgt, T_1G + SZ_4K, SZ_4K,
						GFP_ATOMIC, NULL, &t->g), 0);
	WRITE_ONCE(t->pool.fail_get_nth, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.split_failures), 1);
	pgt_expect_xlate(test, t, T_1G + SZ_4K, T_PHYS + SZ_4K);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, T_1G, T_1G), T_1G);
	pgt_expect_baseline(test, t);
}

/*
 * A sleeping unmap whose own reservation fails (empty pool, page allocator
 * failing) still clears the leaves it covers and counts the failure; only
 * a split it cannot make leaves a short count.
 */
static void pgt_test_unmap_no_resv(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	u64 iova = 5 * T_1G;
	LIST_HEAD(held);

	KUNIT_ASSERT_EQ(test, pgt_map(t, iova, T_PHYS, 4 * SZ_4K,
				      VTD_PGT_READ), 0);
	KUNIT_ASSERT_EQ(test, pgt_map(t, 2 * T_1G, T_PHYS, SZ_2M,
				      VTD_PGT_READ), 0);
	WRITE_ONCE(t->pool.fail_alloc_nth, 1);
	pgt_drain(t, &held);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, 4 * SZ_4K), 4ULL * SZ_4K);
	pgt_expect_none(test, t, iova);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.resv_failures), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.split_failures), 0);
	/* The split has no page: the 2 MiB page stays whole. */
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 2 * T_1G, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.split_failures), 1);
	pgt_expect_xlate(test, t, 2 * T_1G + 1, T_PHYS + 1);
	vtd_pool_put_list(&t->pool, &held);
	WRITE_ONCE(t->pool.fail_alloc_nth, 0);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, 2 * T_1G, SZ_2M), (u64)SZ_2M);
	vtd_pool_flush_refill(&t->pool);
	pgt_expect_baseline(test, t);
}

/* --- pool behaviour --------------------------------------------------- */

static void pgt_test_pool(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	struct vtd_pool_stats st;
	struct vtd_pool_resv resv = {};
	LIST_HEAD(held);
	unsigned long n;

	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_GE(test, st.in_pool, 16);	/* filled at start */
	/* Below the low watermark the refill brings it back. */
	n = pgt_drain(t, &held);
	KUNIT_EXPECT_GT(test, n, 0);
	vtd_pool_flush_refill(&t->pool);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_GE(test, st.in_pool, 16);
	KUNIT_EXPECT_GE(test, st.refills, 1);
	vtd_pool_put_list(&t->pool, &held);
	/* Above the high watermark, puts go back to the allocator. */
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_LE(test, st.in_pool, 64);
	/* A big reservation is kept whole, and trimmed when given back. */
	KUNIT_ASSERT_EQ(test, vtd_pool_reserve(&t->pool, &resv, 200,
					       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, resv.nr, 200);
	KUNIT_EXPECT_EQ(test, vtd_pool_shrink(&t->pool, 1000), 0);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_EQ(test, st.reserved, 200);
	KUNIT_EXPECT_EQ(test, st.in_pool, 200);
	vtd_pool_unreserve(&t->pool, &resv);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_pool, 64);
	/* The shrinker keeps the low watermark. */
	vtd_pool_shrink(&t->pool, 1000);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_EQ(test, st.in_pool, 16);
	pgt_expect_baseline(test, t);
}

/* --- tables shared with neighbours, counts, failed invalidation ------ */

/* A partial unmap keeps tables that reach outside its range. */
static void pgt_test_neighbour(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	int rw = VTD_PGT_READ | VTD_PGT_WRITE;
	u64 x = 5 * T_1G + 7 * SZ_2M, y = 6 * T_1G, pte;
	unsigned int level;
	long tables;

	KUNIT_ASSERT_EQ(test, pgt_map(t, x, T_PHYS, SZ_4K, rw), 0);
	KUNIT_ASSERT_EQ(test, pgt_map(t, x + SZ_4K, T_PHYS + SZ_4K, SZ_4K, rw),
			0);
	tables = atomic_long_read(&t->pgt.nr_tables);
	/* One page next to a live one: the shared table stays. */
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), tables);
	pgt_expect_xlate(test, t, x + SZ_4K + 5, T_PHYS + SZ_4K + 5);
	/* Map after unmap in the shared table. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, x, T_PHYS + SZ_32K, SZ_4K, rw), 0);
	pgt_expect_xlate(test, t, x, T_PHYS + SZ_32K);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), tables);
	/* Emptied but reaching outside the range: still there. */
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x, SZ_8K), SZ_8K);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), tables);
	/* A superpage slot holding that table: smaller pages, no -EEXIST. */
	KUNIT_EXPECT_EQ(test, pgt_map(t, x, T_PHYS, SZ_2M, rw), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, x, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_EQ(test, pgt_map(t, x, T_PHYS, SZ_4K, rw), -EEXIST);
	/* An unmap covering its whole span frees it. */
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, x, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.nr_tables), tables - 1);
	/* The same for a 1 GiB slot. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, y + SZ_2M, T_PHYS, SZ_4K, rw), 0);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, y + SZ_2M, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, pgt_map(t, y, T_PHYS, T_1G, rw), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&t->pgt, y, &pte, &level), 0);
	KUNIT_EXPECT_EQ(test, level, 2);
	pgt_expect_xlate(test, t, y + SZ_2M + 7, T_PHYS + SZ_2M + 7);
	pgt_expect_xlate(test, t, y + T_1G - 1, T_PHYS + T_1G - 1);
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, y, T_1G), T_1G);
	pgt_expect_baseline(test, t);
}

/* vtd_pgtable_map_pages_at() is exact on an empty table. */
static void pgt_test_counts(struct kunit *test)
{
	static const struct { u64 iova, phys, size; unsigned long want3; } cs[] = {
		{ 3 * T_1G + SZ_16K, T_PHYS, SZ_4K, 2 },
		{ 3 * T_1G + SZ_2M, T_PHYS + SZ_2M, SZ_2M, 1 },
		{ 3 * T_1G + SZ_2M, T_PHYS + SZ_4K, SZ_2M, 2 },
		{ 3 * T_1G + SZ_2M - SZ_4K, T_PHYS + 3 * T_1G + SZ_2M - SZ_4K,
		  SZ_2M + SZ_8K, 3 },
		{ 3 * T_1G, T_PHYS, T_1G, 0 },
		{ 3 * T_1G, T_PHYS + SZ_2M, T_1G, 1 },
		{ 3 * T_1G - SZ_2M, T_PHYS + 3 * T_1G - SZ_2M, T_1G + SZ_4M, 2 },
		{ 3 * T_1G + SZ_4K, T_PHYS + SZ_4K, 2 * T_1G, 4 },
	};
	struct pgt_test *t = test->priv;
	unsigned long want, got;
	unsigned int i;
	long before;

	for (i = 0; i < ARRAY_SIZE(cs); i++) {
		want = cs[i].want3 + (t->p->levels == 4);
		got = vtd_pgtable_map_pages_at(&t->pgt, cs[i].iova, cs[i].phys,
					       cs[i].size);
		KUNIT_EXPECT_EQ_MSG(test, got, want, "case %u", i);
		before = atomic_long_read(&t->pgt.nr_tables);
		KUNIT_EXPECT_EQ(test, pgt_map(t, cs[i].iova, cs[i].phys,
					      cs[i].size, VTD_PGT_READ), 0);
		KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&t->pgt.nr_tables) -
				    before, want, "case %u", i);
		KUNIT_EXPECT_EQ(test, pgt_unmap(t, cs[i].iova, cs[i].size),
				cs[i].size);
		pgt_expect_baseline(test, t);
	}
}

/* A failed invalidation leaks the table pages instead of freeing them. */
static void pgt_test_sync_fail(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	struct vtd_pool_stats st0, st;
	unsigned long n = 0, i;
	struct page *page;
	void *va[8];

	/* 4 KiB pages (misaligned physical address): one SL-PTE table. */
	KUNIT_ASSERT_EQ(test, pgt_map(t, 9 * T_1G, T_PHYS + SZ_4K, SZ_2M,
				      VTD_PGT_READ), 0);
	vtd_pool_get_stats(&t->pool, &st0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_unmap(&t->pgt, 9 * T_1G, SZ_2M,
						GFP_KERNEL, NULL, &t->g),
			SZ_2M);
	KUNIT_ASSERT_GE(test, t->g.nr_freed, 1);
	KUNIT_ASSERT_LE(test, t->g.nr_freed, ARRAY_SIZE(va));
	/* Note the pages, to free them once the test is done with them. */
	list_for_each_entry(page, &t->g.freelist, lru)
		va[n++] = page_address(page);
	t->sync_ret = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, vtd_pgtable_sync(&t->pgt, &t->g), -ETIMEDOUT);
	t->sync_ret = 0;
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->pgt.sync_failures), 1);
	vtd_pool_get_stats(&t->pool, &st);
	KUNIT_EXPECT_EQ(test, st.leaked, n);
	KUNIT_EXPECT_EQ(test, st.in_use, st0.in_use - n);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->g.freelist));
	for (i = 0; i < n; i++) {
		/* Untouched: never freed nor reused. */
		KUNIT_EXPECT_NULL(test, memchr_inv(va[i], 0, PAGE_SIZE));
		free_page((unsigned long)va[i]);
	}
	pgt_expect_baseline(test, t);
}

/* --- concurrency ------------------------------------------------------ */

#define CONC_ITERS	150
#define CONC_PAGES	48

struct pgt_conc {
	struct pgt_test *t;
	unsigned int id;
	unsigned int nr;
	atomic_t *errors;
	struct completion done;
};

/*
 * Thread @id of @nr owns the pages id, id + nr, id + 2nr, ... of a region
 * that crosses a 2 MiB and a 1 GiB boundary: the threads share every
 * table, so they race to make and to reclaim the same ones.
 */
static int pgt_conc_fn(void *arg)
{
	struct pgt_conc *c = arg;
	struct pgt_test *t = c->t;
	u64 base = 8 * T_1G - 16 * SZ_4K, iova;
	struct vtd_pgtable_gather g;
	struct vtd_pool_resv resv;
	phys_addr_t got;
	int it, k, ret;

	vtd_pgtable_gather_init(&g);
	for (it = 0; it < CONC_ITERS; it++) {
		for (k = 0; k < CONC_PAGES; k++) {
			iova = base + ((u64)k * c->nr + c->id) * SZ_4K;
			if (k & 1) {
				ret = vtd_pgtable_map(&t->pgt, iova, iova + T_PHYS,
						      SZ_4K, VTD_PGT_READ,
						      GFP_KERNEL, NULL, &g);
			} else {
				/* Atomic context, drawing on a reservation. */
				resv.nr = 0;
				ret = vtd_pool_reserve(&t->pool, &resv,
						       t->p->levels - 1,
						       GFP_KERNEL);
				if (!ret) {
					preempt_disable();
					ret = vtd_pgtable_map(&t->pgt, iova,
							      iova + T_PHYS,
							      SZ_4K, VTD_PGT_READ,
							      GFP_ATOMIC, &resv, &g);
					preempt_enable();
					vtd_pool_unreserve(&t->pool, &resv);
				}
			}
			if (ret)
				atomic_inc(c->errors);
		}
		for (k = 0; k < CONC_PAGES; k++) {
			iova = base + ((u64)k * c->nr + c->id) * SZ_4K;
			if (vtd_pgtable_lookup(&t->pgt, iova + 5, &got) ||
			    got != iova + T_PHYS + 5)
				atomic_inc(c->errors);
			if (vtd_pgtable_unmap(&t->pgt, iova, SZ_4K, GFP_KERNEL,
					      NULL, &g) != SZ_4K)
				atomic_inc(c->errors);
			vtd_pgtable_sync(&t->pgt, &g);
		}
		cond_resched();
	}
	complete(&c->done);
	return 0;
}

/*
 * Reclaim against neighbours (as tools/pgtable does): thread 0 maps a page
 * in a 2 MiB span and then a 1 GiB span of its own and unmaps the whole
 * span, so their tables come and go; the others do the same with 2 MiB
 * spans under the same SL-PDE table and past the 1 GiB span. Their common
 * parents are empty now and then and must stay: a reclaim freeing a table
 * that reaches outside its range would lose a neighbour's translation.
 */
#define NB_BASE		(16 * T_1G)
#define NB_ITERS	1500

static int pgt_nb_fn(void *arg)
{
	struct pgt_conc *c = arg;
	struct pgt_test *t = c->t;
	struct vtd_pgtable_gather g;
	u64 at[2], size[2], phys;
	phys_addr_t got;
	int it, k;

	at[0] = NB_BASE + (u64)c->id * SZ_2M;
	at[1] = c->id ? NB_BASE + 2 * T_1G + (u64)c->id * SZ_2M :
		NB_BASE + T_1G;
	size[0] = SZ_2M;
	size[1] = c->id ? SZ_2M : T_1G;
	vtd_pgtable_gather_init(&g);
	for (it = 0; it < NB_ITERS; it++) {
		k = it % 2;
		phys = T_PHYS + (u64)it * SZ_4K;
		if (vtd_pgtable_map(&t->pgt, at[k] + (it % 7) * SZ_4K, phys,
				    SZ_4K, VTD_PGT_READ, GFP_KERNEL, NULL, &g))
			atomic_inc(c->errors);
		if (vtd_pgtable_lookup(&t->pgt, at[k] + (it % 7) * SZ_4K + 3,
				       &got) || got != phys + 3)
			atomic_inc(c->errors);
		if (vtd_pgtable_unmap(&t->pgt, at[k], size[k], GFP_KERNEL, NULL,
				      &g) != SZ_4K)
			atomic_inc(c->errors);
		vtd_pgtable_sync(&t->pgt, &g);
		if (!(it % 64))
			cond_resched();
	}
	complete(&c->done);
	return 0;
}

static void pgt_test_reclaim_neighbours(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	unsigned int nr = max(num_online_cpus(), 2U) + 1, i;
	atomic_t errors = ATOMIC_INIT(0);
	struct task_struct *task;
	struct pgt_conc *c;

	c = kunit_kcalloc(test, nr, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < nr; i++) {
		c[i] = (struct pgt_conc) {
			.t = t, .id = i, .nr = nr, .errors = &errors,
		};
		init_completion(&c[i].done);
		task = kthread_run(pgt_nb_fn, &c[i], "vtd_pgt_nb_%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	}
	for (i = 0; i < nr; i++)
		wait_for_completion(&c[i].done);
	KUNIT_EXPECT_EQ(test, atomic_read(&errors), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&t->pgt), 0);
	pgt_expect_baseline(test, t);
}

static void pgt_test_concurrent(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	unsigned int nr = max(num_online_cpus(), 2U), i, cpu = 0;
	atomic_t errors = ATOMIC_INIT(0);
	struct task_struct *task;
	struct pgt_conc *c;

	c = kunit_kcalloc(test, nr, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < nr; i++) {
		c[i] = (struct pgt_conc) {
			.t = t, .id = i, .nr = nr, .errors = &errors,
		};
		init_completion(&c[i].done);
		task = kthread_create(pgt_conc_fn, &c[i], "vtd_pgt_%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		kthread_bind(task, cpu);
		wake_up_process(task);
	}
	for (i = 0; i < nr; i++)
		wait_for_completion(&c[i].done);
	kunit_info(test, "%u threads x %d rounds of %d pages\n", nr,
		   CONC_ITERS, CONC_PAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&errors), 0);
	pgt_expect_baseline(test, t);
}

/* --- memory cost ------------------------------------------------------ */

/* Table pages per mapped MiB, in thousandths, for @mib MiB in @page pages. */
static unsigned long pgt_cost(struct kunit *test, struct pgt_test *t,
			      u64 page, unsigned long mib)
{
	u64 iova = SZ_4G, size = (u64)mib * SZ_1M, phys = T_PHYS;
	long before = atomic_long_read(&t->pgt.nr_tables), tables;

	/* A physical address aligned only to @page allows nothing bigger. */
	if (page < T_1G)
		phys += page;
	KUNIT_EXPECT_EQ(test, pgt_map(t, iova, phys, size, VTD_PGT_READ), 0);
	tables = atomic_long_read(&t->pgt.nr_tables) - before;
	KUNIT_EXPECT_EQ(test, pgt_unmap(t, iova, size), size);
	kunit_info(test, "%llu KiB pages: %ld table pages for %lu MiB = %lu.%03lu pages per MiB\n",
		   page / SZ_1K, tables, mib, tables / mib,
		   tables * 1000 / mib % 1000);
	return tables * 1000 / mib;
}

static void pgt_test_cost(struct kunit *test)
{
	struct pgt_test *t = test->priv;
	unsigned long per;

	/* 4 KiB: one 512-entry SL-PTE table per 2 MiB, plus the levels above. */
	per = pgt_cost(test, t, SZ_4K, 256);
	KUNIT_EXPECT_GE(test, per, 500);
	KUNIT_EXPECT_LE(test, per, 500 + 2 * 1000 / 256);
	/* 2 MiB: one SL-PDE table per 1 GiB, plus above. */
	per = pgt_cost(test, t, SZ_2M, 1024);
	KUNIT_EXPECT_LE(test, per, 3);
	/* 1 GiB pages need no table below the SL-PDPE level. */
	per = pgt_cost(test, t, T_1G, 2048);
	KUNIT_EXPECT_LE(test, per, 1);
	pgt_expect_baseline(test, t);
}

static struct kunit_case pgt_cases[] = {
	KUNIT_CASE_PARAM(pgt_test_empty, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_page_sizes, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_bad_args, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_overlap, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_last_page, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_partial_unmap, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_baseline, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_entry_bits, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_snoop, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_random, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_exhaustion, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_fail_inject, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_unmap_no_resv, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_pool, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_concurrent, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_reclaim_neighbours, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_cost, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_neighbour, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_counts, pgt_gen_params),
	KUNIT_CASE_PARAM(pgt_test_sync_fail, pgt_gen_params),
	{}
};

static struct kunit_suite pgt_suite = {
	.name = "vtd_pgtable",
	.init = pgt_test_init,
	.exit = pgt_test_exit,
	.test_cases = pgt_cases,
};

kunit_test_suites(&pgt_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the vtd-remap page tables and page pool");
