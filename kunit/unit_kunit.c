// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the vtd-remap units and domains (vtd_unit.c, vtd_domain.c)
 * on the live unit of the guest they run in: QEMU's intel-iommu, brought
 * up by vtd_remap.ko, which must be loaded first. Everything goes through
 * the exported API: domain life cycle and IDs, map/lookup/unmap and their
 * exact errors, the invalidations a map and an unmap cost (read from the
 * unit's counters), maps in atomic context, attach/detach of QEMU's edu
 * device when the guest has one, the read-only page-table walk and the
 * debugfs directories.
 *
 * The cases follow whatever the unit reports: aw-bits 39 or 48 and caching
 * mode on or off are separate guest runs (scripts/qemu-boot.sh --aw-bits,
 * --caching-mode). Without a unit every case is skipped.
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/dcache.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/xarray.h>

#include "vtd_group.h"
#include "vtd_pool.h"
#include "vtd_unit.h"

/* Registers and bits, written out again from VT-d 11.4 rather than shared. */
#define UT_VER_REG		0x00
#define UT_CAP_REG		0x08
#define UT_ECAP_REG		0x10
#define UT_CAP_ND		GENMASK_ULL(2, 0)
#define UT_CAP_CM		BIT_ULL(7)
#define UT_CAP_SAGAW		GENMASK_ULL(12, 8)
#define UT_CAP_MGAW		GENMASK_ULL(21, 16)
#define UT_CAP_SLLPS_2M		BIT_ULL(34)
#define UT_CAP_PSI		BIT_ULL(39)
#define UT_CAP_MAMV		GENMASK_ULL(53, 48)
#define UT_ECAP_PT		BIT_ULL(6)
#define UT_GSTS_TES		BIT(31)
#define UT_GSTS_QIES		BIT(26)

/* Second-level entry bits, VT-d 9.8. */
#define UT_PTE_R		BIT_ULL(0)
#define UT_PTE_W		BIT_ULL(1)

/* The MSI/APIC window every DMA domain keeps out (VT-d 3.14). */
#define UT_MSI_BASE		0xfee00000ULL
#define UT_MSI_LAST		0xfeefffffULL

/* QEMU's edu device (docs/specs/edu.txt). */
#define UT_EDU_VENDOR		0x1234
#define UT_EDU_DEVICE		0x11e8

/* Domains one case may hold; the ID case uses them all. */
#define UT_MAX_DOMAINS		32

/* Tries of a counter check, which other traffic on the unit can disturb. */
#define UT_TRIES		5

/* Per-test state: what the case took, given back by the exit hook. */
struct ut_ctx {
	struct vtd_unit *unit;
	struct vtd_domain *doms[UT_MAX_DOMAINS];
	unsigned int nr_doms;
	struct pci_dev *pdev;		/* the edu device, referenced */
	struct vtd_domain *attached;	/* where the case attached @pdev */
	bool readd;			/* @pdev's entries may be cleared */
	struct page *pages;
	unsigned int order;
};

static int ut_init(struct kunit *test)
{
	struct ut_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->unit = list_first_entry_or_null(&vtd_units, struct vtd_unit,
					     node);
	test->priv = ctx;
	return 0;
}

static void ut_clear_inject(struct vtd_unit *unit);

static void ut_exit(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;

	if (ctx->unit)
		ut_clear_inject(ctx->unit);
	if (ctx->attached)
		vtd_domain_detach(ctx->attached, ctx->pdev);
	if (ctx->readd)
		vtd_unit_add_device(ctx->unit, ctx->pdev);
	while (ctx->nr_doms)
		vtd_domain_free(ctx->doms[--ctx->nr_doms]);
	if (ctx->pages)
		__free_pages(ctx->pages, ctx->order);
	pci_dev_put(ctx->pdev);
}

/* The unit under test; skips the case on a guest without one. */
static struct vtd_unit *ut_unit(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;

	if (!ctx->unit)
		kunit_skip(test, "no VT-d unit (run with -device intel-iommu)");
	return ctx->unit;
}

static bool ut_cm(struct vtd_unit *unit)
{
	return unit->cap & UT_CAP_CM;
}

/* A new DMA domain, freed by the exit hook. */
static struct vtd_domain *ut_domain(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_domain *dom;

	KUNIT_ASSERT_LT(test, ctx->nr_doms, UT_MAX_DOMAINS);
	dom = vtd_domain_alloc(ut_unit(test), VTD_DOMAIN_DMA);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dom), "vtd_domain_alloc: %ld",
			       PTR_ERR(dom));
	ctx->doms[ctx->nr_doms++] = dom;
	return dom;
}

/* Free @dom now instead of at exit. */
static void ut_domain_free(struct kunit *test, struct vtd_domain *dom)
{
	struct ut_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < ctx->nr_doms; i++) {
		if (ctx->doms[i] == dom) {
			ctx->doms[i] = ctx->doms[--ctx->nr_doms];
			vtd_domain_free(dom);
			return;
		}
	}
	KUNIT_FAIL(test, "domain %u is not the test's", dom->did);
}

/* 2^@order zeroed pages, physically contiguous and aligned to their size. */
static phys_addr_t ut_pages(struct kunit *test, unsigned int order)
{
	struct ut_ctx *ctx = test->priv;

	KUNIT_ASSERT_NULL(test, ctx->pages);
	ctx->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order);
	if (!ctx->pages)
		kunit_skip(test, "no %lu contiguous pages", 1UL << order);
	ctx->order = order;
	return page_to_phys(ctx->pages);
}

/* Whether @dom is on @unit's list (compares pointers: @dom may be gone). */
static bool ut_on_list(struct vtd_unit *unit, const struct vtd_domain *dom)
{
	struct vtd_domain *d;
	bool found = false;

	mutex_lock(&unit->mutex);
	list_for_each_entry(d, &unit->domains, node)
		found |= d == dom;
	mutex_unlock(&unit->mutex);
	return found;
}

static u64 ut_inv(struct vtd_unit *unit, enum vtd_inv_kind kind)
{
	return atomic64_read(&unit->stats.inv[kind]);
}

/* IOTLB invalidations of any granularity the unit has done. */
static u64 ut_iotlb_invs(struct vtd_unit *unit)
{
	return ut_inv(unit, VTD_INV_IOTLB_GLOBAL) +
	       ut_inv(unit, VTD_INV_IOTLB_DOMAIN) +
	       ut_inv(unit, VTD_INV_IOTLB_PAGE);
}

/* --- the unit ------------------------------------------------------- */

static void ut_test_unit(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	unsigned int sagaw = FIELD_GET(UT_CAP_SAGAW, unit->cap);
	unsigned int mgaw = FIELD_GET(UT_CAP_MGAW, unit->cap) + 1;
	struct vtd_domain *def = unit->default_domain;

	kunit_info(test, "%s: CAP %#llx ECAP %#llx, %u-bit tables, %u-bit IOVAs, caching mode %s, %s invalidation\n",
		   unit->name, unit->cap, unit->ecap, unit->aw_bits,
		   unit->iova_bits,
		   ut_cm(unit) ? "on" : "off",
		   unit->qi_on ? "queued" : "register-based");
	/* What the unit code read is what the registers say. */
	KUNIT_EXPECT_EQ(test, readl(unit->regs + UT_VER_REG), unit->ver);
	KUNIT_EXPECT_EQ(test, readq(unit->regs + UT_CAP_REG), unit->cap);
	KUNIT_EXPECT_EQ(test, readq(unit->regs + UT_ECAP_REG), unit->ecap);
	KUNIT_EXPECT_EQ(test, unit->nr_domain_ids,
			1UL << (4 + 2 * FIELD_GET(UT_CAP_ND, unit->cap)));
	/*
	 * Tables of 3 levels (39 bits) or 4 (48), as SAGAW allows, deep
	 * enough for MGAW where they can be; IOVAs up to MGAW within them.
	 */
	KUNIT_ASSERT_TRUE(test, unit->aw_bits == 39 || unit->aw_bits == 48);
	KUNIT_EXPECT_TRUE(test, sagaw & BIT(unit->aw_bits == 48 ? 2 : 1));
	if (mgaw > 39 && (sagaw & BIT(2)))
		KUNIT_EXPECT_EQ(test, unit->aw_bits, 48U);
	KUNIT_EXPECT_EQ(test, unit->iova_bits, min(mgaw, unit->aw_bits));
	KUNIT_EXPECT_TRUE(test, unit->translating);
	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_EXPECT_NE(test, def->type, VTD_DOMAIN_DMA);
	if (def->type == VTD_DOMAIN_PASSTHROUGH)
		KUNIT_EXPECT_TRUE(test, unit->ecap & UT_ECAP_PT);
	KUNIT_EXPECT_TRUE(test, ut_on_list(unit, def));
	if (ut_cm(unit))
		KUNIT_EXPECT_NE(test, def->did, 0);
}

static void ut_test_fault_reasons(struct kunit *test)
{
	unsigned int r;

	KUNIT_EXPECT_STREQ(test, vtd_fault_reason(1), "root entry not present");
	KUNIT_EXPECT_STREQ(test, vtd_fault_reason(2),
			   "context entry not present");
	KUNIT_EXPECT_NOT_NULL(test, strstr(vtd_fault_reason(5), "write"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(vtd_fault_reason(6), "read"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(vtd_fault_reason(0xc), "reserved"));
	KUNIT_EXPECT_STREQ(test, vtd_fault_reason(0), "unknown reason");
	KUNIT_EXPECT_STREQ(test, vtd_fault_reason(0xff), "unknown reason");
	/* Every code has words, and those for 1..0xd are all different. */
	for (r = 0; r < 256; r++) {
		KUNIT_EXPECT_NOT_NULL(test, vtd_fault_reason(r));
		if (r >= 1 && r < 0xd)
			KUNIT_EXPECT_STRNEQ(test, vtd_fault_reason(r),
					    vtd_fault_reason(r + 1));
	}
}

/* --- domains and their IDs ------------------------------------------ */

static void ut_test_domain_alloc_free(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *dom = ut_domain(test);
	struct vtd_iova_range r;
	struct vtd_iova_stats st;

	KUNIT_EXPECT_PTR_EQ(test, dom->unit, unit);
	KUNIT_EXPECT_EQ(test, dom->type, VTD_DOMAIN_DMA);
	KUNIT_EXPECT_LT(test, (unsigned long)dom->did, unit->nr_domain_ids);
	KUNIT_EXPECT_NE(test, dom->did, unit->default_domain->did);
	if (ut_cm(unit))
		KUNIT_EXPECT_NE(test, dom->did, 0);
	KUNIT_EXPECT_EQ(test, dom->nr_devices, 0U);
	KUNIT_EXPECT_TRUE(test, ut_on_list(unit, dom));
	KUNIT_EXPECT_EQ(test, dom->pgt.aw_bits, unit->aw_bits);
	KUNIT_EXPECT_EQ(test, dom->pgt.levels, unit->aw_bits == 48 ? 4U : 3U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&dom->pgt.nr_tables), 1);
	KUNIT_EXPECT_EQ(test, vtd_domain_mapped_bytes(dom), 0);

	/* The IOVA space: nothing allocated, the MSI window a hole. */
	vtd_iova_get_stats(&dom->iova, &st);
	KUNIT_EXPECT_EQ(test, st.nr_allocated, 0UL);
	KUNIT_EXPECT_GE(test, st.nr_reserved, 1UL);
	KUNIT_ASSERT_EQ(test, vtd_iova_find(&dom->iova,
					    UT_MSI_BASE >> VTD_PAGE_SHIFT, &r),
			0);
	KUNIT_EXPECT_TRUE(test, r.reserved);
	KUNIT_EXPECT_LE(test, (u64)r.pfn_lo, UT_MSI_BASE >> VTD_PAGE_SHIFT);
	KUNIT_EXPECT_GE(test, (u64)r.pfn_last, UT_MSI_LAST >> VTD_PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(&dom->iova), 0);

	ut_domain_free(test, dom);
	KUNIT_EXPECT_FALSE(test, ut_on_list(unit, dom));
}

static bool ut_did_taken(struct ut_ctx *ctx, unsigned int upto, u16 did)
{
	unsigned int i;

	for (i = 0; i < upto; i++)
		if (ctx->doms[i]->did == did)
			return true;
	return did == ctx->unit->default_domain->did;
}

static void ut_test_dids_unique(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_unit *unit = ut_unit(test);
	unsigned long id;
	unsigned int i;
	int ret;

	for (i = 0; i < UT_MAX_DOMAINS; i++) {
		struct vtd_domain *dom = ut_domain(test);

		KUNIT_EXPECT_FALSE_MSG(test, ut_did_taken(ctx, i, dom->did),
				       "DID %u handed out twice", dom->did);
		if (ut_cm(unit))
			KUNIT_EXPECT_NE(test, dom->did, 0);
	}
	/* Free half of them and take as many again: still unique. */
	for (i = 0; i < UT_MAX_DOMAINS / 2; i++)
		ut_domain_free(test, ctx->doms[i]);
	for (i = ctx->nr_doms; i < UT_MAX_DOMAINS; i++) {
		struct vtd_domain *dom = ut_domain(test);

		KUNIT_EXPECT_FALSE_MSG(test, ut_did_taken(ctx, i, dom->did),
				       "DID %u handed out twice", dom->did);
	}
	/*
	 * With caching mode, DID 0 belongs to the unit (it tags cached
	 * not-present entries): no ID at or below 0 can be had at all.
	 */
	ret = vtd_iova_alloc(&unit->dids, 1, 0, 1, GFP_KERNEL, &id);
	if (ut_cm(unit))
		KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	else if (!ret)
		KUNIT_EXPECT_EQ(test, vtd_iova_free(&unit->dids, id, 1), 0);
}

/* --- map, lookup, unmap --------------------------------------------- */

static void ut_test_map_lookup_unmap(struct kunit *test)
{
	struct vtd_domain *dom = ut_domain(test);
	phys_addr_t phys = ut_pages(test, 2), got;
	u64 iova, size = 4 * SZ_4K, off, pte;
	struct vtd_domain_stats st;
	struct vtd_iova_range r;
	unsigned int level;

	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, size, DMA_BIT_MASK(32),
						    GFP_KERNEL, &iova), 0);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(iova, size));
	KUNIT_EXPECT_LE(test, iova + size - 1, (u64)DMA_BIT_MASK(32));
	KUNIT_EXPECT_TRUE(test,
			  iova + size <= UT_MSI_BASE || iova > UT_MSI_LAST);
	KUNIT_ASSERT_EQ(test, vtd_iova_find(&dom->iova, iova >> VTD_PAGE_SHIFT,
					    &r), 0);
	KUNIT_EXPECT_FALSE(test, r.reserved);

	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova, &got), -ENOENT);
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova, phys, size,
					     VTD_PGT_READ | VTD_PGT_WRITE,
					     GFP_KERNEL), 0);
	for (off = 0; off < size; off += SZ_4K) {
		KUNIT_ASSERT_EQ(test, vtd_domain_lookup(dom, iova + off + 0x123,
							&got), 0);
		KUNIT_EXPECT_EQ(test, (u64)got, (u64)phys + off + 0x123);
	}
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova + size, &got),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_leaf(&dom->pgt, iova, &pte, &level),
			0);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, pte & (UT_PTE_R | UT_PTE_W), UT_PTE_R | UT_PTE_W);
	KUNIT_EXPECT_EQ(test, vtd_domain_mapped_bytes(dom), size);
	vtd_domain_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.maps, 1);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&dom->pgt), 0);

	/* Read-only: the leaf says so. */
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova + SZ_4K, SZ_4K,
					       GFP_KERNEL), SZ_4K);
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys, SZ_4K,
					     VTD_PGT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_leaf(&dom->pgt, iova + SZ_4K, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, pte & (UT_PTE_R | UT_PTE_W), UT_PTE_R);

	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, size, GFP_KERNEL),
			size);
	for (off = 0; off < size; off += SZ_4K)
		KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova + off, &got),
				-ENOENT);
	KUNIT_EXPECT_EQ(test, vtd_domain_mapped_bytes(dom), 0);
	/* Unmapping nothing unmaps nothing. */
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, size, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&dom->pgt), 0);

	vtd_domain_free_iova(dom, iova, size);
	/* A freed range may wait in a per-CPU range cache: give it back. */
	vtd_iova_cache_flush(&dom->iova);
	KUNIT_EXPECT_EQ(test, vtd_iova_find(&dom->iova, iova >> VTD_PAGE_SHIFT,
					    &r), -ENOENT);
}

static void ut_test_map_errors(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *dom = ut_domain(test);
	phys_addr_t phys = ut_pages(test, 1), got;
	u64 top = BIT_ULL(unit->iova_bits), iova;
	int rw = VTD_PGT_READ | VTD_PGT_WRITE;

	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, 2 * SZ_4K,
						    DMA_BIT_MASK(32),
						    GFP_KERNEL, &iova), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova, phys, SZ_4K, rw,
					     GFP_KERNEL), 0);
	/* Over a live entry: -EEXIST, and the old translation stays. */
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova, phys + SZ_4K, SZ_4K, rw,
					     GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova, phys, SZ_4K, rw,
					     GFP_KERNEL), -EEXIST);
	/* Half over it: all or nothing, the free half stays free. */
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova - SZ_4K, phys,
					     2 * SZ_4K, rw, GFP_KERNEL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova - SZ_4K, &got),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, vtd_domain_lookup(dom, iova, &got), 0);
	KUNIT_EXPECT_EQ(test, (u64)got, (u64)phys);
	KUNIT_EXPECT_EQ(test, vtd_domain_mapped_bytes(dom), SZ_4K);

	/* Beyond the address width: -ERANGE; its last page is fine. */
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, top, phys, SZ_4K, rw,
					     GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, top - SZ_4K, phys, 2 * SZ_4K,
					     rw, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, top - SZ_4K, &got),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, top - SZ_4K, phys, SZ_4K, rw,
					     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, top - 1, &got), 0);
	KUNIT_EXPECT_EQ(test, (u64)got, (u64)phys + SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, top, &got), -ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, top - SZ_4K, SZ_4K,
					       GFP_KERNEL), SZ_4K);

	/* Malformed requests: -EINVAL. */
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova + SZ_4K + 1, phys,
					     SZ_4K, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys + 1,
					     SZ_4K, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys, 100, rw,
					     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys, 0, rw,
					     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys, SZ_4K, 0,
					     GFP_KERNEL), -EINVAL);

	/* The allocator: zero size, a limit below the space. */
	KUNIT_EXPECT_EQ(test, vtd_domain_alloc_iova(dom, 0, DMA_BIT_MASK(32),
						    GFP_KERNEL, &iova),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_alloc_iova(dom, SZ_4K, SZ_4K - 1,
						    GFP_KERNEL, &iova),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&dom->pgt), 0);
}

/*
 * vtd_iova_find_next() (what debugfs lists ranges with) visits every range
 * once, in order, and agrees with the allocator's counters.
 */
static void ut_expect_ranges(struct kunit *test, struct vtd_domain *dom)
{
	unsigned long pfn = 0, nr_alloc = 0, nr_resv = 0, frames = 0;
	struct vtd_iova_range r;
	struct vtd_iova_stats st;

	while (!vtd_iova_find_next(&dom->iova, pfn, &r)) {
		KUNIT_ASSERT_GE(test, r.pfn_lo, pfn);
		KUNIT_ASSERT_GE(test, r.pfn_last, r.pfn_lo);
		if (r.reserved) {
			nr_resv++;
		} else {
			nr_alloc++;
			frames += r.pfn_last - r.pfn_lo + 1;
		}
		pfn = r.pfn_last + 1;
	}
	vtd_iova_get_stats(&dom->iova, &st);
	KUNIT_EXPECT_EQ(test, nr_alloc, st.nr_allocated);
	KUNIT_EXPECT_EQ(test, nr_resv, st.nr_reserved);
	KUNIT_EXPECT_EQ(test, frames, st.allocated_frames);
	/* From inside a range: that range. */
	KUNIT_EXPECT_EQ(test, vtd_iova_find_next(&dom->iova,
						 UT_MSI_BASE >> VTD_PAGE_SHIFT,
						 &r), 0);
	KUNIT_EXPECT_TRUE(test, r.reserved);
	KUNIT_EXPECT_LE(test, (u64)r.pfn_lo, UT_MSI_BASE >> VTD_PAGE_SHIFT);
}

/* Ranges handed out avoid the MSI window and stay inside the width. */
static void ut_test_iova_limits(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *dom = ut_domain(test);
	u64 iova, size = SZ_1M;

	/* A limit inside the MSI window: the range lands below it. */
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, size, UT_MSI_LAST,
						    GFP_KERNEL, &iova), 0);
	KUNIT_EXPECT_LE(test, iova + size - 1, UT_MSI_BASE - 1);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(iova, size));
	/* An odd number of pages is only page aligned, and fits too. */
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, 3 * SZ_4K, UT_MSI_LAST,
						    GFP_KERNEL, &iova), 0);
	KUNIT_EXPECT_LE(test, iova + 3 * SZ_4K - 1, UT_MSI_BASE - 1);
	/* No limit: inside the unit's address width, never at frame 0. */
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, size, U64_MAX,
						    GFP_KERNEL, &iova), 0);
	KUNIT_EXPECT_LE(test, iova + size, BIT_ULL(unit->iova_bits));
	KUNIT_EXPECT_GE(test, iova, (u64)SZ_4K);
	/* edu's 28-bit mask. */
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, SZ_4K,
						    DMA_BIT_MASK(28),
						    GFP_KERNEL, &iova), 0);
	KUNIT_EXPECT_LE(test, iova + SZ_4K - 1, (u64)DMA_BIT_MASK(28));
	KUNIT_EXPECT_EQ(test, vtd_iova_check(&dom->iova), 0);
	ut_expect_ranges(test, dom);
}

/* --- invalidation --------------------------------------------------- */

/* IOTLB invalidations one map and one unmap cost (minimum over tries). */
struct ut_invs {
	u64 map;		/* of any granularity, per map */
	u64 unmap;		/* of any granularity, per unmap */
	u64 unmap_page;		/* page-selective ones, per unmap */
};

/*
 * Map and unmap [@iova, @iova + @size) UT_TRIES times, counting the IOTLB
 * invalidations each costs. The smallest count of each try is kept, so
 * that another user of the unit invalidating meanwhile does not count.
 */
static void ut_map_invs(struct kunit *test, struct vtd_domain *dom, u64 iova,
			phys_addr_t phys, u64 size, struct ut_invs *inv)
{
	struct vtd_unit *unit = dom->unit;
	u64 before, page_before;
	unsigned int i;

	*inv = (struct ut_invs) { U64_MAX, U64_MAX, U64_MAX };
	for (i = 0; i < UT_TRIES; i++) {
		before = ut_iotlb_invs(unit);
		KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova, phys, size,
						     VTD_PGT_READ, GFP_KERNEL),
				0);
		inv->map = min(inv->map, ut_iotlb_invs(unit) - before);
		before = ut_iotlb_invs(unit);
		page_before = ut_inv(unit, VTD_INV_IOTLB_PAGE);
		KUNIT_ASSERT_EQ(test, vtd_domain_unmap(dom, iova, size,
						       GFP_KERNEL), size);
		inv->unmap = min(inv->unmap, ut_iotlb_invs(unit) - before);
		inv->unmap_page = min(inv->unmap_page,
				      ut_inv(unit, VTD_INV_IOTLB_PAGE) -
				      page_before);
	}
	kunit_info(test, "%llu KiB at %#llx: %llu IOTLB invalidation(s) per map, %llu per unmap (%llu page-selective)\n",
		   size / SZ_1K, iova, inv->map, inv->unmap, inv->unmap_page);
}

/* A map costs an invalidation iff the unit caches not-present entries. */
static void ut_expect_map_invs(struct kunit *test, struct vtd_unit *unit,
			       const struct ut_invs *inv)
{
	if (ut_cm(unit))
		KUNIT_EXPECT_GE(test, inv->map, 1ULL);
	else
		KUNIT_EXPECT_EQ(test, inv->map, 0ULL);
}

static void ut_test_iotlb_counters(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *dom = ut_domain(test);
	phys_addr_t phys = ut_pages(test, 1);
	struct ut_invs inv;
	u64 iova;

	kunit_info(test, "caching mode %s, PSI %s, MAMV %llu\n",
		   ut_cm(unit) ? "on" : "off",
		   unit->cap & UT_CAP_PSI ? "yes" : "no",
		   FIELD_GET(UT_CAP_MAMV, unit->cap));
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, 2 * SZ_4K,
						    DMA_BIT_MASK(32),
						    GFP_KERNEL, &iova), 0);
	/*
	 * Alone in its tables. Whether the unmap frees them (then the
	 * paging-structure caches of their span may need a wider request)
	 * is the page table's business; strict either way: invalidated
	 * before the unmap returns.
	 */
	ut_map_invs(test, dom, iova, phys, SZ_4K, &inv);
	ut_expect_map_invs(test, unit, &inv);
	KUNIT_EXPECT_GE(test, inv.unmap, 1ULL);

	/* With a neighbour keeping the tables: one page, page-selective. */
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova + SZ_4K, phys + SZ_4K,
					     SZ_4K, VTD_PGT_READ, GFP_KERNEL),
			0);
	ut_map_invs(test, dom, iova, phys, SZ_4K, &inv);
	ut_expect_map_invs(test, unit, &inv);
	KUNIT_EXPECT_GE(test, inv.unmap, 1ULL);
	if (unit->cap & UT_CAP_PSI)
		KUNIT_EXPECT_GE(test, inv.unmap_page, 1ULL);
	/* The neighbour still translates. */
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova + SZ_4K, SZ_4K,
					       GFP_KERNEL), (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.inv_failed), 0);
}

/* A 2 MiB superpage, and its invalidation as one page-selective request. */
static void ut_test_superpage(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *dom = ut_domain(test);
	u64 iova, pte;
	struct ut_invs inv;
	unsigned int level;
	phys_addr_t phys;

	if (!(unit->cap & UT_CAP_SLLPS_2M))
		kunit_skip(test, "the unit has no 2 MiB pages");
	phys = ut_pages(test, get_order(SZ_2M));
	/* 4 MiB: the 2 MiB page and a neighbour in the same SL-PDE table. */
	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, SZ_4M,
						    DMA_BIT_MASK(32),
						    GFP_KERNEL, &iova), 0);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(iova, SZ_4M));
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova, phys, SZ_2M,
					     VTD_PGT_READ | VTD_PGT_WRITE,
					     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_leaf(&dom->pgt, iova + SZ_1M, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, level, 2U);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, SZ_2M, GFP_KERNEL),
			(u64)SZ_2M);

	/* 512 pages: one request of AM=9 when MAMV allows it. */
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova + SZ_2M, phys, SZ_4K,
					     VTD_PGT_READ, GFP_KERNEL), 0);
	ut_map_invs(test, dom, iova, phys, SZ_2M, &inv);
	ut_expect_map_invs(test, unit, &inv);
	KUNIT_EXPECT_GE(test, inv.unmap, 1ULL);
	if ((unit->cap & UT_CAP_PSI) && FIELD_GET(UT_CAP_MAMV, unit->cap) >= 9)
		KUNIT_EXPECT_GE(test, inv.unmap_page, 1ULL);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova + SZ_2M, SZ_4K,
					       GFP_KERNEL), (u64)SZ_4K);

	/* Unmapping half splits it: the other half still translates. */
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, iova, phys, SZ_2M,
					     VTD_PGT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, SZ_1M, GFP_KERNEL),
			(u64)SZ_1M);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_leaf(&dom->pgt, iova + SZ_1M, &pte,
					       &level), 0);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_leaf(&dom->pgt, iova, &pte, &level),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, iova, SZ_2M, GFP_KERNEL),
			(u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_check(&dom->pgt), 0);
}

/* Map and unmap with interrupts off, as a DMA-API caller may. */
static void ut_test_atomic_map(struct kunit *test)
{
	struct vtd_domain *dom = ut_domain(test);
	phys_addr_t phys = ut_pages(test, 0), got = 0;
	unsigned long flags;
	u64 iova, unmapped;
	int map_ret, lookup_ret;

	KUNIT_ASSERT_EQ(test, vtd_domain_alloc_iova(dom, SZ_4K,
						    DMA_BIT_MASK(32),
						    GFP_ATOMIC, &iova), 0);
	local_irq_save(flags);
	map_ret = vtd_domain_map(dom, iova, phys, SZ_4K,
				 VTD_PGT_READ | VTD_PGT_WRITE, GFP_ATOMIC);
	lookup_ret = vtd_domain_lookup(dom, iova, &got);
	unmapped = vtd_domain_unmap(dom, iova, SZ_4K, GFP_ATOMIC);
	local_irq_restore(flags);
	vtd_domain_free_iova(dom, iova, SZ_4K);

	KUNIT_EXPECT_EQ(test, map_ret, 0);
	KUNIT_EXPECT_EQ(test, lookup_ret, 0);
	KUNIT_EXPECT_EQ(test, (u64)got, (u64)phys);
	KUNIT_EXPECT_EQ(test, unmapped, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&dom->unit->stats.inv_failed), 0);
}

/* --- attach and detach ---------------------------------------------- */

static void ut_test_attach(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_domain *a, *b, *cur;
	struct pci_dev *pdev;
	u64 cc_before;

	pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (qemu-boot.sh --devices edu)");
	ctx->pdev = pdev;
	KUNIT_ASSERT_PTR_EQ(test, vtd_unit_for_pci(pdev), unit);
	a = ut_domain(test);
	b = ut_domain(test);

	cur = vtd_domain_of(pdev);
	if (cur) {
		/* Someone (vtd_edu, the DMA shim) holds it: still -EBUSY. */
		KUNIT_EXPECT_EQ(test, vtd_domain_attach(a, pdev), -EBUSY);
		kunit_skip(test, "%s is in domain %u already", pci_name(pdev),
			   cur->did);
	}

	cc_before = ut_inv(unit, VTD_INV_CC_DEVICE);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach(a, pdev), 0);
	ctx->attached = a;
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_of(pdev), a);
	KUNIT_EXPECT_EQ(test, a->nr_devices, 1U);
	/* The new context entry was made visible to the unit. */
	KUNIT_EXPECT_GT(test, ut_inv(unit, VTD_INV_CC_DEVICE), cc_before);

	/* Attached elsewhere: -EBUSY; here already: -EEXIST. */
	KUNIT_EXPECT_EQ(test, vtd_domain_attach(b, pdev), -EBUSY);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach(a, pdev), -EEXIST);
	KUNIT_EXPECT_EQ(test, b->nr_devices, 0U);
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_of(pdev), a);

	vtd_domain_detach(a, pdev);
	ctx->attached = NULL;
	KUNIT_EXPECT_NULL(test, vtd_domain_of(pdev));
	KUNIT_EXPECT_EQ(test, a->nr_devices, 0U);

	/* Free again: the other domain may have it now. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach(b, pdev), 0);
	ctx->attached = b;
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_of(pdev), b);
	vtd_domain_detach(b, pdev);
	ctx->attached = NULL;
	KUNIT_EXPECT_NULL(test, vtd_domain_of(pdev));
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.inv_failed), 0);
}

/*
 * The bus notifier's unit calls (vtd_hotplug.c): a device that goes loses
 * its default entry, one that comes gets it back, twice changes nothing,
 * and neither touches a device attached to a domain.
 */
static void ut_test_device_added_removed(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_unit *unit = ut_unit(test);
	int tt, want_tt;
	struct pci_dev *pdev;
	struct vtd_domain *a;
	u64 cc_before;
	u16 sid, did;

	pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (qemu-boot.sh --devices edu)");
	ctx->pdev = pdev;
	if (vtd_domain_of(pdev))
		kunit_skip(test, "%s is in a domain already", pci_name(pdev));
	sid = pci_dev_id(pdev);
	want_tt = unit->default_domain->type == VTD_DOMAIN_PASSTHROUGH ? 2 : 0;

	/* Found at load: the default domain's entry. */
	KUNIT_ASSERT_TRUE(test, vtd_unit_read_context(unit, sid, &did, &tt));
	KUNIT_EXPECT_EQ(test, did, unit->default_domain->did);
	KUNIT_EXPECT_EQ(test, tt, want_tt);

	/* Removed: no entry. */
	ctx->readd = true;
	vtd_unit_remove_device(unit, pdev);
	KUNIT_EXPECT_FALSE(test, vtd_unit_read_context(unit, sid, &did, &tt));

	/* Added again: the default entry, made visible to the unit. */
	cc_before = ut_inv(unit, VTD_INV_CC_DEVICE);
	KUNIT_ASSERT_EQ(test, vtd_unit_add_device(unit, pdev), 0);
	KUNIT_ASSERT_TRUE(test, vtd_unit_read_context(unit, sid, &did, &tt));
	KUNIT_EXPECT_EQ(test, did, unit->default_domain->did);
	KUNIT_EXPECT_EQ(test, tt, want_tt);
	KUNIT_EXPECT_GT(test, ut_inv(unit, VTD_INV_CC_DEVICE), cc_before);

	/* Twice: nothing written, nothing invalidated. */
	cc_before = ut_inv(unit, VTD_INV_CC_DEVICE);
	KUNIT_EXPECT_EQ(test, vtd_unit_add_device(unit, pdev), 0);
	KUNIT_EXPECT_EQ(test, ut_inv(unit, VTD_INV_CC_DEVICE), cc_before);

	/* Attached: its domain's entry stays through both. */
	a = ut_domain(test);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach(a, pdev), 0);
	ctx->attached = a;
	vtd_unit_remove_device(unit, pdev);
	KUNIT_ASSERT_TRUE(test, vtd_unit_read_context(unit, sid, &did, &tt));
	KUNIT_EXPECT_EQ(test, did, a->did);
	KUNIT_EXPECT_EQ(test, vtd_unit_add_device(unit, pdev), 0);
	KUNIT_ASSERT_TRUE(test, vtd_unit_read_context(unit, sid, &did, &tt));
	KUNIT_EXPECT_EQ(test, did, a->did);
	KUNIT_EXPECT_EQ(test, tt, 0);
	vtd_domain_detach(a, pdev);
	ctx->attached = NULL;
	KUNIT_ASSERT_TRUE(test, vtd_unit_read_context(unit, sid, &did, &tt));
	KUNIT_EXPECT_EQ(test, did, unit->default_domain->did);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.inv_failed), 0);
}

/* --- the read-only walk --------------------------------------------- */

struct ut_walk {
	unsigned int levels;
	unsigned int tables;
	unsigned int leaves;
	u64 leaf_bytes;
	u64 first_leaf;
	u64 last_iova;		/* entries come in IOVA order */
	u64 span_end[6];	/* end of the last table entry at each level */
	bool bad_order;
	bool orphan;		/* an entry outside its parent's span */
};

static int ut_walk_fn(void *arg, const struct vtd_pgtable_walk_entry *e)
{
	struct ut_walk *w = arg;

	if (e->iova < w->last_iova)
		w->bad_order = true;
	w->last_iova = e->iova;
	if (e->iova + e->size > w->span_end[e->level + 1])
		w->orphan = true;
	if (e->leaf) {
		if (!w->leaves++)
			w->first_leaf = e->iova;
		w->leaf_bytes += e->size;
	} else {
		w->tables++;
		w->span_end[e->level] = e->iova + e->size;
	}
	return 0;
}

static void ut_walk(struct vtd_domain *dom, u64 from, struct ut_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->levels = dom->pgt.levels;
	w->span_end[w->levels + 1] = BIT_ULL(dom->pgt.aw_bits);
	vtd_pgtable_walk(&dom->pgt, from, ut_walk_fn, w);
}

static int ut_walk_stop(void *arg, const struct vtd_pgtable_walk_entry *e)
{
	unsigned int *n = arg;

	return ++*n == 2 ? -EINTR : 0;
}

static void ut_test_walk(struct kunit *test)
{
	struct vtd_domain *dom = ut_domain(test);
	phys_addr_t phys = ut_pages(test, 2);
	u64 a = SZ_1G, b = SZ_1G + SZ_2M;
	struct ut_walk w;
	unsigned int n = 0;

	ut_walk(dom, 0, &w);
	KUNIT_EXPECT_EQ(test, w.tables + w.leaves, 0U);

	/* One page at a, three at b: two SL-PTE tables under one SL-PDE table. */
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, a, phys, SZ_4K, VTD_PGT_READ,
					     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, b, phys + SZ_4K, 3 * SZ_4K,
					     VTD_PGT_READ | VTD_PGT_WRITE,
					     GFP_KERNEL), 0);
	ut_walk(dom, 0, &w);
	KUNIT_EXPECT_EQ(test, w.leaves, 4U);
	KUNIT_EXPECT_EQ(test, w.leaf_bytes, 4ULL * SZ_4K);
	KUNIT_EXPECT_EQ(test, w.first_leaf, a);
	/* Every table page but the root is pointed at by one entry. */
	KUNIT_EXPECT_EQ(test, (long)w.tables + 1,
			atomic_long_read(&dom->pgt.nr_tables));
	KUNIT_EXPECT_FALSE(test, w.bad_order);
	KUNIT_EXPECT_FALSE(test, w.orphan);

	/* From b on: a's page is skipped, b's three are not. */
	ut_walk(dom, b, &w);
	KUNIT_EXPECT_EQ(test, w.leaves, 3U);
	KUNIT_EXPECT_EQ(test, w.first_leaf, b);
	/* From the top of the space: nothing. */
	ut_walk(dom, BIT_ULL(dom->pgt.aw_bits), &w);
	KUNIT_EXPECT_EQ(test, w.tables + w.leaves, 0U);
	/* A callback's non-zero return stops the walk and is returned. */
	KUNIT_EXPECT_EQ(test, vtd_pgtable_walk(&dom->pgt, 0, ut_walk_stop, &n),
			-EINTR);
	KUNIT_EXPECT_EQ(test, n, 2U);

	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, a, SZ_4K, GFP_KERNEL),
			(u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, vtd_domain_unmap(dom, b, 3 * SZ_4K, GFP_KERNEL),
			3ULL * SZ_4K);
	/* Empty tables may stay; no page does. */
	ut_walk(dom, 0, &w);
	KUNIT_EXPECT_EQ(test, w.leaves, 0U);
	KUNIT_EXPECT_EQ(test, (long)w.tables + 1,
			atomic_long_read(&dom->pgt.nr_tables));
}

/* --- debugfs -------------------------------------------------------- */

/* Whether @name exists in @dir. */
static bool ut_debugfs_has(struct dentry *dir, const char *name)
{
	struct dentry *d = debugfs_lookup(name, dir);

	if (IS_ERR_OR_NULL(d))
		return false;
	dput(d);
	return true;
}

static void ut_test_debugfs(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	static const char * const files[] = {
		"caps", "faults", "counters", "domains",
	};
	struct vtd_domain *dom;
	struct dentry *root;
	char name[24];
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		kunit_skip(test, "no debugfs");
	root = debugfs_lookup("vtd_remap", NULL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	KUNIT_EXPECT_TRUE(test, ut_debugfs_has(root, "units"));
	KUNIT_EXPECT_TRUE(test, ut_debugfs_has(root, unit->name));
	dput(root);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(unit->debugfs));
	for (i = 0; i < ARRAY_SIZE(files); i++)
		KUNIT_EXPECT_TRUE_MSG(test, ut_debugfs_has(unit->debugfs,
							   files[i]),
				      "%s/%s", unit->name, files[i]);
	snprintf(name, sizeof(name), "domain%u", unit->default_domain->did);
	KUNIT_EXPECT_TRUE_MSG(test, ut_debugfs_has(unit->debugfs, name),
			      "default domain: %s", name);

	/* A domain's directory comes and goes with it. */
	dom = ut_domain(test);
	snprintf(name, sizeof(name), "domain%u", dom->did);
	KUNIT_ASSERT_TRUE_MSG(test, ut_debugfs_has(unit->debugfs, name), "%s",
			      name);
	KUNIT_EXPECT_TRUE(test, ut_debugfs_has(dom->debugfs, "mappings"));
	KUNIT_EXPECT_TRUE(test, ut_debugfs_has(dom->debugfs, "pgtable"));
	ut_domain_free(test, dom);
	KUNIT_EXPECT_FALSE_MSG(test, ut_debugfs_has(unit->debugfs, name),
			       "%s left behind", name);
}

/* --- failure paths, by injection ------------------------------------ */

/* Set vtd_wait_us for one case; the exit hook puts the old bound back. */
static unsigned int ut_saved_wait_us;
static unsigned int ut_saved_storm_faults;

static void ut_set_wait_us(struct kunit *test, unsigned int us)
{
	if (!ut_saved_wait_us)
		ut_saved_wait_us = vtd_wait_us;
	WRITE_ONCE(vtd_wait_us, us);
}

static void ut_clear_inject(struct vtd_unit *unit)
{
	atomic_set(&unit->inject.inv_fail, 0);
	atomic_set(&unit->inject.qi_stall, 0);
	atomic_set(&unit->inject.qi_late, 0);
	atomic_set(&unit->inject.qi_bad, 0);
	WRITE_ONCE(unit->inject.poll_delay_us, 0);
	if (ut_saved_wait_us)
		WRITE_ONCE(vtd_wait_us, ut_saved_wait_us);
	ut_saved_wait_us = 0;
	if (ut_saved_storm_faults)
		WRITE_ONCE(vtd_fault_storm_faults, ut_saved_storm_faults);
	ut_saved_storm_faults = 0;
}

/*
 * A wait on a bit that never changes gives up after the bound in real
 * time, even when every poll is slow (1 ms here, as a slow register read
 * would make it): the bound is time, not a count of polls.
 */
static void ut_test_wait_bound(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	const unsigned int bound_us = 20000;
	s64 took_us;
	ktime_t t0;
	int ret;

	ut_set_wait_us(test, bound_us);
	WRITE_ONCE(unit->inject.poll_delay_us, 1000);
	t0 = ktime_get();
	/* VER bits 31:8 are reserved, read as 0: bit 31 never sets. */
	ret = vtd_unit_wait32(unit, UT_VER_REG, BIT(31), BIT(31),
			      "a reserved bit (test)");
	took_us = ktime_us_delta(ktime_get(), t0);
	ut_clear_inject(unit);
	KUNIT_EXPECT_EQ(test, ret, -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, took_us, (s64)bound_us);
	/* One slow poll past the bound, plus scheduling noise under TCG. */
	KUNIT_EXPECT_LE_MSG(test, took_us, (s64)bound_us + 1000 + 50000,
			    "a %u us bound took %lld us", bound_us, took_us);
}

/* An IOTLB flush of the whole domain @did, through the queue or not. */
static int ut_flush(struct vtd_unit *unit)
{
	return vtd_unit_flush_iotlb_domain(unit, 1);
}

/*
 * A wait that timed out must not be satisfied by the completion of an
 * earlier wait arriving late: the queue is stalled (its tail never
 * written) so our own wait never completes, and meanwhile the previous
 * wait descriptor's status write is replayed.
 */
static void ut_test_qi_late_completion(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	u64 failed = atomic64_read(&unit->stats.inv_failed);

	if (!unit->qi_on)
		kunit_skip(test, "register-based invalidation");
	ut_set_wait_us(test, 10000);
	KUNIT_ASSERT_EQ(test, ut_flush(unit), 0);
	atomic_set(&unit->inject.qi_stall, 1);
	atomic_set(&unit->inject.qi_late, 1);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.inv_failed),
			failed + 1);
	ut_clear_inject(unit);
	/* The stalled descriptors run with the next submission. */
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
}

/*
 * While the unit fetches nothing, no descriptor it has not consumed is
 * overwritten: at most VTD_QI_ENTRIES - 1 are written, the submissions
 * that find no room fail, and the queue works once the unit runs again.
 */
static void ut_test_qi_full(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	const unsigned int tries = 200, entries = PAGE_SIZE / 16;
	unsigned int i, failed = 0;
	u64 written;

	if (!unit->qi_on)
		kunit_skip(test, "register-based invalidation");
	ut_set_wait_us(test, 1000);
	KUNIT_ASSERT_EQ(test, ut_flush(unit), 0);
	written = atomic64_read(&unit->stats.qi_submitted);
	atomic_set(&unit->inject.qi_stall, tries);
	for (i = 0; i < tries; i++)
		failed += ut_flush(unit) != 0;
	written = atomic64_read(&unit->stats.qi_submitted) - written;
	ut_clear_inject(unit);
	KUNIT_EXPECT_EQ(test, failed, tries);
	KUNIT_EXPECT_LE_MSG(test, written, (u64)entries - 1,
			    "%llu descriptors written into a stalled queue of %u",
			    written, entries);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	KUNIT_EXPECT_EQ(test, vtd_unit_flush_iotlb_range(unit, 1, SZ_1M,
							 SZ_4K, false), 0);
}

/*
 * An invalid descriptor makes the unit report an invalidation queue
 * error (IQE): the submission behind it fails with -EIO, and the queue
 * works again right after (QEMU 7.2 resumes only on a new tail write,
 * and rejects a wait descriptor with neither SW nor IF).
 */
static void ut_test_qi_error_recovery(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	u64 failed = atomic64_read(&unit->stats.inv_failed);

	if (!unit->qi_on)
		kunit_skip(test, "register-based invalidation");
	ut_set_wait_us(test, 20000);
	KUNIT_ASSERT_EQ(test, ut_flush(unit), 0);
	atomic_set(&unit->inject.qi_bad, 1);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&unit->inject.qi_bad), 0);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.inv_failed),
			failed + 1);
	/* FSTS.IQE (bit 4) is clear again. */
	KUNIT_EXPECT_EQ(test, readl(unit->regs + 0x34) & BIT(4), 0U);
	ut_clear_inject(unit);
}

/*
 * Detach whose context-entry clear fails: the unit may still walk the
 * domain's tables through a cached context entry, so freeing the domain
 * must keep every table page (abandoned, counted as leaked), never give
 * them back to the pool.
 */
static void ut_test_detach_clear_fails(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_unit *unit = ut_unit(test);
	struct vtd_pool_stats st0, st;
	struct vtd_domain *dom;
	struct pci_dev *pdev;
	phys_addr_t phys;
	long tables;

	pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (qemu-boot.sh --devices edu)");
	ctx->pdev = pdev;
	if (vtd_domain_of(pdev))
		kunit_skip(test, "%s is attached already", pci_name(pdev));
	dom = ut_domain(test);
	phys = ut_pages(test, 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_map(dom, SZ_1G, phys, SZ_4K,
					     VTD_PGT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach(dom, pdev), 0);
	ctx->attached = dom;
	/* Unmapped, but its (now empty) tables stay in the tree. */
	KUNIT_ASSERT_EQ(test, vtd_domain_unmap(dom, SZ_1G, SZ_4K, GFP_KERNEL),
			(u64)SZ_4K);
	tables = atomic_long_read(&dom->pgt.nr_tables);
	KUNIT_ASSERT_GE(test, tables, 2L);

	atomic_set(&unit->inject.inv_fail, 1);
	vtd_domain_detach(dom, pdev);
	ctx->attached = NULL;
	ut_clear_inject(unit);
	KUNIT_EXPECT_NULL(test, vtd_domain_of(pdev));
	vtd_pool_get_stats(&unit->pool, &st0);
	ut_domain_free(test, dom);
	vtd_pool_get_stats(&unit->pool, &st);
	KUNIT_EXPECT_EQ(test, st.leaked - st0.leaked, (unsigned long)tables);
	KUNIT_EXPECT_EQ(test, st0.in_use - st.in_use, (unsigned long)tables);
	/* The device still works with another domain. */
	dom = ut_domain(test);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach(dom, pdev), 0);
	ctx->attached = dom;
}

/*
 * Attaching a device maps its own memory BARs at their bus addresses, to
 * themselves: a device that reaches into its own BAR by DMA (QEMU's
 * lsi53c895a fetching its SCRIPTS) gets there instead of faulting.
 */
static void ut_test_attach_own_bars(struct kunit *test)
{
	struct ut_ctx *ctx = test->priv;
	struct vtd_domain *dom;
	struct pci_dev *pdev;
	unsigned int bar, seen = 0;
	phys_addr_t phys;

	pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (qemu-boot.sh --devices edu)");
	ctx->pdev = pdev;
	if (vtd_domain_of(pdev))
		kunit_skip(test, "%s is attached already", pci_name(pdev));
	dom = ut_domain(test);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach(dom, pdev), 0);
	ctx->attached = dom;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		u64 iova = pci_bus_address(pdev, bar);
		u64 len = pci_resource_len(pdev, bar);

		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) || !len)
			continue;
		seen++;
		KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova, &phys), 0);
		KUNIT_EXPECT_EQ(test, (u64)phys, (u64)pci_resource_start(pdev, bar));
		KUNIT_EXPECT_EQ(test, vtd_domain_lookup(dom, iova + len - 1,
							&phys), 0);
		KUNIT_EXPECT_EQ(test, (u64)phys,
				(u64)pci_resource_start(pdev, bar) + len - 1);
	}
	KUNIT_EXPECT_GT(test, seen, 0U);
}

/* --- fault storms ---------------------------------------------------- */

/* The accounting alone, on a fake table of sources: no unit needed. */
static void ut_test_storm_account(struct kunit *test)
{
	struct vtd_fault_source srcs[4] = {};
	const u64 ms = NSEC_PER_MSEC, win = 100 * ms;
	unsigned int i, hits = 0;

	/* 5 within the window: the 5th and only the 5th reports. */
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE(test, vtd_fault_storm_account(srcs, 4, 0x18,
								 1000 * ms + i * ms,
								 5, win));
	KUNIT_EXPECT_TRUE(test, vtd_fault_storm_account(srcs, 4, 0x18,
							1050 * ms, 5, win));
	for (i = 0; i < 10; i++)
		hits += vtd_fault_storm_account(srcs, 4, 0x18, 1051 * ms + i,
						5, win);
	KUNIT_EXPECT_EQ(test, hits, 0U);
	/* Spread out (one window each): never a storm, however many. */
	for (i = 0; i < 50; i++)
		hits += vtd_fault_storm_account(srcs, 4, 0x20,
						i * (win + ms) + 1, 5, win);
	KUNIT_EXPECT_EQ(test, hits, 0U);
	/* 4 in one window and 4 in the next: no storm either. */
	for (i = 0; i < 8; i++)
		hits += vtd_fault_storm_account(srcs, 4, 0x28,
						(i / 4) * 2 * win + i, 5, win);
	KUNIT_EXPECT_EQ(test, hits, 0U);
	/* max 0: never. */
	for (i = 0; i < 20; i++)
		hits += vtd_fault_storm_account(srcs, 4, 0x30, i, 0, win);
	KUNIT_EXPECT_EQ(test, hits, 0U);
	/* Slots: the blocked source keeps its slot however many others come. */
	for (i = 0; i < 40; i++)
		vtd_fault_storm_account(srcs, 4, 0x100 + i, 5000 * ms + i, 5,
					win);
	for (i = 0; i < 4; i++)
		if (srcs[i].sid == 0x18)
			break;
	KUNIT_ASSERT_LT(test, i, 4U);
	KUNIT_EXPECT_TRUE(test, srcs[i].blocked);
	KUNIT_EXPECT_EQ(test, srcs[i].total, 15ULL);
	/* With every slot blocked, new sources are not tracked (no storm). */
	for (i = 0; i < 4; i++)
		srcs[i] = (struct vtd_fault_source) {
			.sid = i, .used = true, .blocked = true,
		};
	for (i = 0; i < 10; i++)
		hits += vtd_fault_storm_account(srcs, 4, 0x200, i, 5, win);
	KUNIT_EXPECT_EQ(test, hits, 0U);
}

/* The context entry of @sid as the unit's table holds it now. */
static void ut_ctx_entry(struct vtd_unit *unit, u16 sid, u64 *lo, u64 *hi)
{
	u64 *table = READ_ONCE(unit->ctx[sid >> 8]);

	*lo = table ? READ_ONCE(table[(sid & 0xff) * 2]) : 0;
	*hi = table ? READ_ONCE(table[(sid & 0xff) * 2 + 1]) : 0;
}

/*
 * Faults fed to the live unit as if drained: the threshold-th within the
 * window blocks the source (present entry, FPD, the blocking domain ID,
 * once), unblocking gives its entry back; a source without an entry
 * before goes back to none.
 */
static void ut_test_storm_block(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct ut_ctx *ctx = test->priv;
	u64 lo0, hi0, lo, hi, blocked0;
	struct vtd_fault f = {};
	struct pci_dev *pdev;
	unsigned int i;
	u16 sid;

	pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (qemu-boot.sh --devices edu)");
	ctx->pdev = pdev;
	sid = pci_dev_id(pdev);
	KUNIT_ASSERT_FALSE(test, vtd_unit_source_blocked(unit, sid));
	ut_saved_storm_faults = vtd_fault_storm_faults;
	WRITE_ONCE(vtd_fault_storm_faults, 5);
	ut_ctx_entry(unit, sid, &lo0, &hi0);
	KUNIT_ASSERT_TRUE(test, lo0 & BIT_ULL(0));
	blocked0 = atomic64_read(&unit->stats.sources_blocked);

	f.sid = sid;
	for (i = 0; i < 4; i++) {
		f.time_ns = ktime_get_ns();
		vtd_unit_account_fault(unit, &f);
	}
	vtd_unit_storm_flush(unit);
	KUNIT_EXPECT_FALSE(test, vtd_unit_source_blocked(unit, sid));
	f.time_ns = ktime_get_ns();
	vtd_unit_account_fault(unit, &f);
	vtd_unit_storm_flush(unit);
	KUNIT_EXPECT_TRUE(test, vtd_unit_source_blocked(unit, sid));
	ut_ctx_entry(unit, sid, &lo, &hi);
	/* Present, FPD (bit 1), translated by the blocking domain ID. */
	KUNIT_EXPECT_EQ(test, lo & 3, 3ULL);
	KUNIT_EXPECT_EQ(test, (u16)FIELD_GET(GENMASK_ULL(23, 8), hi),
			unit->block_did);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.sources_blocked),
			blocked0 + 1);
	/* More faults: no second block. */
	for (i = 0; i < 10; i++) {
		f.time_ns = ktime_get_ns();
		vtd_unit_account_fault(unit, &f);
	}
	vtd_unit_storm_flush(unit);
	KUNIT_EXPECT_EQ(test, atomic64_read(&unit->stats.sources_blocked),
			blocked0 + 1);

	KUNIT_EXPECT_EQ(test, vtd_unit_unblock_source(unit, sid), 0);
	KUNIT_EXPECT_FALSE(test, vtd_unit_source_blocked(unit, sid));
	ut_ctx_entry(unit, sid, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo, lo0);
	KUNIT_EXPECT_EQ(test, hi, hi0);
	KUNIT_EXPECT_EQ(test, vtd_unit_unblock_source(unit, sid), -ENOENT);

	/* A source ID no device uses: blocked, then back to no entry. */
	sid = PCI_DEVID(0xfe, PCI_DEVFN(0x1f, 7));
	ut_ctx_entry(unit, sid, &lo0, &hi0);
	KUNIT_ASSERT_EQ(test, lo0, 0ULL);
	f.sid = sid;
	for (i = 0; i < 5; i++) {
		f.time_ns = ktime_get_ns();
		vtd_unit_account_fault(unit, &f);
	}
	vtd_unit_storm_flush(unit);
	KUNIT_EXPECT_TRUE(test, vtd_unit_source_blocked(unit, sid));
	KUNIT_EXPECT_EQ(test, vtd_unit_unblock_source(unit, sid), 0);
	ut_ctx_entry(unit, sid, &lo, &hi);
	KUNIT_EXPECT_EQ(test, lo & BIT_ULL(0), 0ULL);
	WRITE_ONCE(vtd_fault_storm_faults, ut_saved_storm_faults);
	ut_saved_storm_faults = 0;
}

/*
 * Context-entry widths (VT-d 9.3): a translating entry names its table's
 * depth; a pass-through entry the largest AGAW the unit supports (SAGAW),
 * whatever depth the unit's tables use.
 */
static void ut_test_context_aw(struct kunit *test)
{
	u64 sagaw39 = FIELD_PREP(UT_CAP_SAGAW, 0x2);
	u64 sagaw48 = FIELD_PREP(UT_CAP_SAGAW, 0x6);
	u64 sagaw57 = FIELD_PREP(UT_CAP_SAGAW, 0xe);
	struct vtd_unit *unit;
	struct pci_dev *pdev = NULL;
	u64 lo, hi;

	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw39, 39, false), 1ULL);
	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw48, 39, false), 1ULL);
	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw48, 48, false), 2ULL);
	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw39, 39, true), 1ULL);
	/* MGAW 39 on a unit with 4-level tables: 3-level tables, AW 48. */
	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw48, 39, true), 2ULL);
	KUNIT_EXPECT_EQ(test, vtd_unit_context_aw(sagaw57, 48, true), 3ULL);

	/* The live unit's pass-through entries. */
	unit = ut_unit(test);
	if (unit->default_domain->type != VTD_DOMAIN_PASSTHROUGH)
		kunit_skip(test, "the unit's default domain is not pass-through");
	for_each_pci_dev(pdev) {
		if (vtd_unit_for_pci(pdev) != unit || vtd_domain_of(pdev))
			continue;
		ut_ctx_entry(unit, pci_dev_id(pdev), &lo, &hi);
		if (!(lo & BIT_ULL(0)) || test_bit(pci_dev_id(pdev), unit->blocked))
			continue;
		KUNIT_EXPECT_EQ_MSG(test, hi & GENMASK_ULL(2, 0),
				    (u64)fls(FIELD_GET(UT_CAP_SAGAW, unit->cap)) - 1,
				    "%s", pci_name(pdev));
	}
}

/* A made-up PCI hierarchy, for the alias walk: nothing touches hardware. */
struct ut_fake_bus {
	struct pci_bus bus;
	struct pci_sysdata sd;
};

static struct pci_bus *ut_fake_bus(struct kunit *test, struct pci_dev *self,
				   unsigned int nr, int domain)
{
	struct ut_fake_bus *fb = kunit_kzalloc(test, sizeof(*fb), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fb);
	fb->sd.domain = domain;
	fb->bus.sysdata = &fb->sd;
	fb->bus.number = nr;
	INIT_LIST_HEAD(&fb->bus.devices);
	if (self) {
		fb->bus.self = self;
		fb->bus.parent = self->bus;
		self->subordinate = &fb->bus;
	}
	return &fb->bus;
}

/* @type: a PCI Express device/port type, or -1 for conventional PCI. */
static struct pci_dev *ut_fake_dev(struct kunit *test, struct pci_bus *bus,
				   unsigned int slot, unsigned int fn, int type)
{
	struct pci_dev *pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pdev);
	pdev->bus = bus;
	pdev->devfn = PCI_DEVFN(slot, fn);
	if (type >= 0) {
		pdev->pcie_cap = 0x40;
		pdev->pcie_flags_reg = FIELD_PREP(PCI_EXP_FLAGS_TYPE, type);
	}
	list_add_tail(&pdev->bus_list, &bus->devices);
	return pdev;
}

/* @pdev's source IDs equal @want (any order, each once). */
static void ut_expect_sids(struct kunit *test, struct pci_dev *pdev,
			   const u16 *want, int nr)
{
	u16 *sids = NULL;
	int i, j, n;

	n = vtd_pci_sids(pdev, &sids);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_EXPECT_EQ_MSG(test, n, nr, "%02x:%02x.%u: %d source IDs",
			    pdev->bus->number, PCI_SLOT(pdev->devfn),
			    PCI_FUNC(pdev->devfn), n);
	for (i = 0; i < nr; i++) {
		for (j = 0; j < n && sids[j] != want[i]; j++)
			;
		KUNIT_EXPECT_LT_MSG(test, j, n, "%02x:%02x.%u: no source ID %#06x",
				    pdev->bus->number, PCI_SLOT(pdev->devfn),
				    PCI_FUNC(pdev->devfn), want[i]);
	}
	kfree(sids);
}

/*
 * DMA aliases as the PCI core computes them: behind a PCIe-to-PCI
 * bridge (secondary bus, 00.0); behind a conventional bridge flagged
 * PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS the same; behind a PCI-to-PCIe bridge
 * that bridge itself; PCIe ports add nothing; a bridge flagged as its
 * translation root ends the walk; quirk aliases (dma_alias_mask) all,
 * however many.
 */
static const u16 ut_quirk_sids[] = {
	0x0038, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
};

static void ut_test_aliases(struct kunit *test)
{
	struct pci_bus *root = ut_fake_bus(test, NULL, 0, 0), *b;
	struct pci_dev *br, *rp, *ep;
	unsigned int i;

	/* 00:03.0 PCIe-to-PCI bridge -> bus 1: 01:01.0. */
	br = ut_fake_dev(test, root, 3, 0, PCI_EXP_TYPE_PCI_BRIDGE);
	b = ut_fake_bus(test, br, 1, 0);
	ep = ut_fake_dev(test, b, 1, 0, -1);
	ut_expect_sids(test, ep, (u16 []){ 0x0108, 0x0100 }, 2);

	/* 00:04.0 conventional bridge with the PCIe bridge alias -> bus 2. */
	br = ut_fake_dev(test, root, 4, 0, -1);
	br->dev_flags |= PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS;
	b = ut_fake_bus(test, br, 2, 0);
	ep = ut_fake_dev(test, b, 5, 0, -1);
	ut_expect_sids(test, ep, (u16 []){ 0x0228, 0x0200 }, 2);

	/* 00:05.0 PCI-to-PCIe bridge -> bus 3: the bridge's own ID. */
	br = ut_fake_dev(test, root, 5, 0, PCI_EXP_TYPE_PCIE_BRIDGE);
	b = ut_fake_bus(test, br, 3, 0);
	ep = ut_fake_dev(test, b, 0, 0, PCI_EXP_TYPE_ENDPOINT);
	ut_expect_sids(test, ep, (u16 []){ 0x0300, 0x0028 }, 2);

	/* 00:06.0 root port -> 04:00.0 PCIe-to-PCI bridge -> 05:03.0. */
	rp = ut_fake_dev(test, root, 6, 0, PCI_EXP_TYPE_ROOT_PORT);
	b = ut_fake_bus(test, rp, 4, 0);
	br = ut_fake_dev(test, b, 0, 0, PCI_EXP_TYPE_PCI_BRIDGE);
	b = ut_fake_bus(test, br, 5, 0);
	ep = ut_fake_dev(test, b, 3, 0, -1);
	ut_expect_sids(test, ep, (u16 []){ 0x0518, 0x0500 }, 2);
	ut_expect_sids(test, rp, (u16 []){ 0x0030 }, 1);

	/* 00:08.0 PCIe-to-PCI bridge that is its translation root. */
	br = ut_fake_dev(test, root, 8, 0, PCI_EXP_TYPE_PCI_BRIDGE);
	br->dev_flags |= PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT;
	b = ut_fake_bus(test, br, 6, 0);
	ep = ut_fake_dev(test, b, 0, 1, -1);
	ut_expect_sids(test, ep, (u16 []){ 0x0601 }, 1);

	/* 00:07.0 with eight quirk aliases 00:08.0-00:08.7: nine IDs. */
	ep = ut_fake_dev(test, root, 7, 0, PCI_EXP_TYPE_RC_END);
	ep->dma_alias_mask = kunit_kzalloc(test, BITS_TO_LONGS(256) *
					   sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ep->dma_alias_mask);
	for (i = 0; i < 8; i++)
		set_bit(PCI_DEVFN(8, i), ep->dma_alias_mask);
	ut_expect_sids(test, ep, ut_quirk_sids, ARRAY_SIZE(ut_quirk_sids));
}

/*
 * A PCI domain beyond 16 bits (devices behind Intel VMD) has no segment a
 * DRHD can name: no unit translates such a device, whatever its bus and
 * devfn would match once truncated.
 */
static void ut_test_vmd_domain(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct pci_bus *bus;
	struct pci_dev *pdev;

	bus = ut_fake_bus(test, NULL, 0, 0x10000);
	pdev = ut_fake_dev(test, bus, 3, 0, PCI_EXP_TYPE_RC_END);
	KUNIT_EXPECT_PTR_EQ(test, vtd_unit_for_pci(pdev),
			    (struct vtd_unit *)NULL);
	/* The same address in segment 0 is the unit's (QEMU: one unit). */
	bus = ut_fake_bus(test, NULL, 0, 0);
	pdev = ut_fake_dev(test, bus, 3, 0, PCI_EXP_TYPE_RC_END);
	KUNIT_EXPECT_PTR_EQ(test, vtd_unit_for_pci(pdev), unit);
	KUNIT_EXPECT_EQ(test, vtd_pci_segment(0x10000), -ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_pci_segment(-1), -ERANGE);
	KUNIT_EXPECT_EQ(test, vtd_pci_segment(0xffff), 0xffff);
}

/*
 * Groups of a made-up topology (no device has an ACS capability):
 * the devices behind one PCIe-to-PCI bridge are one group with it;
 * single-function endpoints on the root bus are alone; the functions of
 * a multi-function conventional device are one group; a device behind a
 * root port without ACS is grouped with the port; behind two such ports,
 * two groups.
 */
static void ut_test_groups(struct kunit *test)
{
	struct pci_bus *root = ut_fake_bus(test, NULL, 0, 0), *b;
	struct pci_dev *d[11];
	unsigned int g[11], i;

	d[0] = ut_fake_dev(test, root, 2, 0, -1);		/* alone */
	d[1] = ut_fake_dev(test, root, 3, 0, PCI_EXP_TYPE_PCI_BRIDGE);
	b = ut_fake_bus(test, d[1], 1, 0);
	d[2] = ut_fake_dev(test, b, 1, 0, -1);
	d[3] = ut_fake_dev(test, b, 2, 0, -1);
	d[4] = ut_fake_dev(test, root, 4, 0, PCI_EXP_TYPE_RC_END);	/* alone */
	d[5] = ut_fake_dev(test, root, 5, 0, -1);		/* 00:05.x */
	d[6] = ut_fake_dev(test, root, 5, 1, -1);
	d[5]->multifunction = 1;
	d[6]->multifunction = 1;
	d[7] = ut_fake_dev(test, root, 6, 0, PCI_EXP_TYPE_ROOT_PORT);
	b = ut_fake_bus(test, d[7], 2, 0);
	d[8] = ut_fake_dev(test, b, 0, 0, PCI_EXP_TYPE_ENDPOINT);
	d[9] = ut_fake_dev(test, root, 7, 0, PCI_EXP_TYPE_ROOT_PORT);
	b = ut_fake_bus(test, d[9], 3, 0);
	d[10] = ut_fake_dev(test, b, 0, 0, PCI_EXP_TYPE_ENDPOINT);
	for (i = 0; i < ARRAY_SIZE(d); i++)
		d[i]->hdr_type = PCI_HEADER_TYPE_NORMAL;

	KUNIT_ASSERT_EQ(test, vtd_group_partition(d, ARRAY_SIZE(d), g), 0);
	KUNIT_EXPECT_EQ(test, g[0], 0U);
	KUNIT_EXPECT_EQ(test, g[1], 1U);
	KUNIT_EXPECT_EQ(test, g[2], 1U);
	KUNIT_EXPECT_EQ(test, g[3], 1U);
	KUNIT_EXPECT_EQ(test, g[4], 4U);
	KUNIT_EXPECT_EQ(test, g[5], 5U);
	KUNIT_EXPECT_EQ(test, g[6], 5U);
	KUNIT_EXPECT_EQ(test, g[7], 7U);
	KUNIT_EXPECT_EQ(test, g[8], 7U);
	KUNIT_EXPECT_EQ(test, g[9], 9U);
	KUNIT_EXPECT_EQ(test, g[10], 9U);
}

/* Two edu devices behind one PCIe-to-PCI bridge, referenced; or skip. */
static void ut_bridged_edus(struct kunit *test, struct pci_dev **pair)
{
	struct pci_dev *pdev = NULL, *br;
	unsigned int n = 0;

	while ((pdev = pci_get_device(UT_EDU_VENDOR, UT_EDU_DEVICE, pdev))) {
		br = pci_upstream_bridge(pdev);
		if (!br || !pci_is_pcie(br) ||
		    pci_pcie_type(br) != PCI_EXP_TYPE_PCI_BRIDGE)
			continue;
		if (n && pci_upstream_bridge(pair[0]) != br)
			continue;
		pair[n++] = pci_dev_get(pdev);
		if (n == 2) {
			pci_dev_put(pdev);
			return;
		}
	}
	if (n)
		pci_dev_put(pair[0]);
	kunit_skip(test, "no two edus behind a PCIe-to-PCI bridge (--topology pcie-pci-bridge)");
}

/*
 * Devices sharing a requester ID (the bridge's secondary bus, 00.0):
 * attaching one alone is refused, since its sibling would translate
 * through the domain too; both at once share the alias's one context
 * entry, which stays on the domain until the last of them is detached.
 */
static void ut_test_attach_shared_alias(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	struct pci_dev *pair[2];
	struct vtd_domain *dom;
	u16 alias;
	u64 lo, hi;

	ut_bridged_edus(test, pair);
	alias = PCI_DEVID(pair[0]->bus->number, 0);
	if (vtd_domain_of(pair[0]) || vtd_domain_of(pair[1])) {
		pci_dev_put(pair[0]);
		pci_dev_put(pair[1]);
		kunit_skip(test, "the edus behind the bridge are in a domain already");
	}
	dom = ut_domain(test);

	KUNIT_EXPECT_EQ(test, vtd_domain_attach(dom, pair[0]), -EBUSY);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach(dom, pair[1]), -EBUSY);
	KUNIT_EXPECT_NULL(test, vtd_domain_of(pair[0]));
	KUNIT_EXPECT_EQ(test, dom->nr_devices, 0U);
	ut_ctx_entry(unit, alias, &lo, &hi);
	KUNIT_EXPECT_NE(test, (u64)FIELD_GET(GENMASK_ULL(23, 8), hi),
			(u64)dom->did);

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_devs(dom, pair, 2), 0);
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_of(pair[0]), dom);
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_of(pair[1]), dom);
	KUNIT_EXPECT_EQ(test, dom->nr_devices, 2U);
	ut_ctx_entry(unit, alias, &lo, &hi);
	KUNIT_EXPECT_EQ(test, (u64)FIELD_GET(GENMASK_ULL(23, 8), hi),
			(u64)dom->did);

	vtd_domain_detach(dom, pair[0]);
	ut_ctx_entry(unit, alias, &lo, &hi);
	KUNIT_EXPECT_EQ(test, (u64)FIELD_GET(GENMASK_ULL(23, 8), hi),
			(u64)dom->did);
	vtd_domain_detach(dom, pair[1]);
	ut_ctx_entry(unit, alias, &lo, &hi);
	KUNIT_EXPECT_NE(test, (u64)FIELD_GET(GENMASK_ULL(23, 8), hi),
			(u64)dom->did);
	KUNIT_EXPECT_EQ(test, dom->nr_devices, 0U);
	pci_dev_put(pair[0]);
	pci_dev_put(pair[1]);
}

/*
 * Suspend and shutdown (vtd_unit.c, theory section 7): vtd_unit_park()
 * leaves translation (GSTS.TES) and queued invalidation (GSTS.QIES) off in
 * the hardware, as the shutdown hook must for the next kernel; requests
 * made while parked do nothing and succeed; vtd_unit_restore(), what the
 * resume hook calls, turns both back on, and the queue works from empty
 * again (more submissions than it has slots). The restore here starts
 * from what park left, not from a reset unit: the suspend scenario
 * covers that. Skipped while a device is attached to a domain of the
 * unit: its DMA would run untranslated while the unit is parked.
 */
static void ut_test_park_restore(struct kunit *test)
{
	struct vtd_unit *unit = ut_unit(test);
	const unsigned int rounds = PAGE_SIZE / 16 + 8;
	bool qi = unit->qi_on;
	unsigned int i, failed = 0;
	u32 gsts;

	if (!xa_empty(&unit->devices))
		kunit_skip(test, "a device is attached to a domain of %s",
			   unit->name);
	KUNIT_ASSERT_TRUE(test, unit->translating);
	KUNIT_ASSERT_NE(test, vtd_unit_gsts(unit) & UT_GSTS_TES, 0U);

	vtd_unit_park(unit);
	gsts = vtd_unit_gsts(unit);
	KUNIT_EXPECT_EQ_MSG(test, gsts & UT_GSTS_TES, 0U, "GSTS %#x", gsts);
	KUNIT_EXPECT_EQ_MSG(test, gsts & UT_GSTS_QIES, 0U, "GSTS %#x", gsts);
	KUNIT_EXPECT_FALSE(test, unit->translating);
	KUNIT_EXPECT_FALSE(test, unit->qi_on);
	KUNIT_EXPECT_EQ(test, ut_flush(unit), 0);
	vtd_unit_park(unit);
	KUNIT_EXPECT_EQ(test, vtd_unit_gsts(unit), gsts);

	KUNIT_ASSERT_EQ(test, vtd_unit_restore(unit), 0);
	gsts = vtd_unit_gsts(unit);
	KUNIT_EXPECT_NE_MSG(test, gsts & UT_GSTS_TES, 0U, "GSTS %#x", gsts);
	KUNIT_EXPECT_EQ_MSG(test, !!(gsts & UT_GSTS_QIES), qi, "GSTS %#x",
			    gsts);
	KUNIT_EXPECT_TRUE(test, unit->translating);
	KUNIT_EXPECT_EQ(test, unit->qi_on, qi);
	for (i = 0; i < rounds; i++)
		failed += ut_flush(unit) != 0;
	KUNIT_EXPECT_EQ(test, failed, 0U);
	/* Not parked: nothing to do. */
	KUNIT_EXPECT_EQ(test, vtd_unit_restore(unit), 0);
	KUNIT_EXPECT_EQ(test, vtd_unit_gsts(unit), gsts);
}

static struct kunit_case ut_cases[] = {
	KUNIT_CASE(ut_test_unit),
	KUNIT_CASE(ut_test_fault_reasons),
	KUNIT_CASE(ut_test_domain_alloc_free),
	KUNIT_CASE(ut_test_dids_unique),
	KUNIT_CASE(ut_test_map_lookup_unmap),
	KUNIT_CASE(ut_test_map_errors),
	KUNIT_CASE(ut_test_iova_limits),
	KUNIT_CASE(ut_test_iotlb_counters),
	KUNIT_CASE(ut_test_superpage),
	KUNIT_CASE(ut_test_atomic_map),
	KUNIT_CASE(ut_test_attach),
	KUNIT_CASE(ut_test_attach_own_bars),
	KUNIT_CASE(ut_test_device_added_removed),
	KUNIT_CASE(ut_test_walk),
	KUNIT_CASE(ut_test_debugfs),
	KUNIT_CASE(ut_test_storm_account),
	KUNIT_CASE(ut_test_storm_block),
	KUNIT_CASE(ut_test_wait_bound),
	KUNIT_CASE(ut_test_detach_clear_fails),
	KUNIT_CASE(ut_test_qi_late_completion),
	KUNIT_CASE(ut_test_qi_full),
	KUNIT_CASE(ut_test_qi_error_recovery),
	KUNIT_CASE(ut_test_context_aw),
	KUNIT_CASE(ut_test_aliases),
	KUNIT_CASE(ut_test_vmd_domain),
	KUNIT_CASE(ut_test_groups),
	KUNIT_CASE(ut_test_attach_shared_alias),
	KUNIT_CASE(ut_test_park_restore),
	{}
};

static struct kunit_suite ut_suite = {
	.name = "vtd_unit",
	.init = ut_init,
	.exit = ut_exit,
	.test_cases = ut_cases,
};

kunit_test_suite(ut_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the vtd-remap units and domains on the live unit");
