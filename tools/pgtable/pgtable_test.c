// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of vtd_pgtable.c and vtd_pool.c, built unmodified against
 * tools/pgtable/shim under ASan and UBSan. Every test runs on a 3-level
 * (39-bit) and a 4-level (48-bit) table. Prints PASS/FAIL per test and ends
 * with "N passed, N failed".
 *
 * usage: pgtable_test [seed]   (the random test's seed; printed either way)
 */
#include <unistd.h>

#include "shim/vtd_shim.h"
#include "vtd_pgtable.h"
#include "vtd_pool.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define T_PHYS	0x40000000000ULL
#define RW	(VTD_PGT_READ | VTD_PGT_WRITE)

static int failures;	/* in the current test */

#define CHECK(c) do {							\
	if (!(c)) {							\
		failures++;						\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #c);			\
	} } while (0)
#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b) {							\
		failures++;						\
		fprintf(stderr, "  %s:%d: %s == %#llx, expected %#llx\n",\
			__FILE__, __LINE__, #a, _a, _b);		\
	} } while (0)

struct ctx {
	unsigned int aw, sagaw, levels;
	struct vtd_pool pool;
	struct vtd_pgtable pgt;
	struct vtd_pgtable_cfg cfg;
	struct vtd_pgtable_gather g;
	long syncs, bad;
	u64 sync_start, sync_size;	/* the last invalidation's range */
	int sync_ret;		/* what the fake invalidation returns */
	unsigned long base;
};

static int fake_sync(void *cookie, u64 iova, u64 size, bool tables)
{
	struct ctx *c = cookie;

	if (!size || (iova | size) & (SZ_4K - 1) ||
	    iova + size > (1ULL << c->pgt.aw_bits))
		__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->syncs, 1, __ATOMIC_RELAXED);
	/* Meaningful in single-threaded tests only. */
	c->sync_start = iova;
	c->sync_size = size;
	return c->sync_ret;
}

static long map_flushes;	/* iotlb_map calls, caching-mode tests */

static int fake_map_flush(void *cookie, u64 iova, u64 size)
{
	map_flushes++;
	return 0;
}

static const struct vtd_pgtable_flush_ops fake_ops = { .iotlb_sync = fake_sync };
static const struct vtd_pgtable_flush_ops fake_ops_cm = {
	.iotlb_sync = fake_sync, .iotlb_map = fake_map_flush,
};

static void setup(struct ctx *c, unsigned int levels, bool coherent)
{
	struct vtd_pool_stats st;

	memset(c, 0, sizeof(*c));
	c->levels = levels;
	c->aw = levels == 3 ? 39 : 48;
	c->sagaw = levels == 3 ? 0x2 : 0x6;
	if (vtd_pool_init(&c->pool, 16, 64))
		abort();
	c->cfg = (struct vtd_pgtable_cfg) {
		.sagaw = c->sagaw, .page_sizes = VTD_PGT_SZ_2M | VTD_PGT_SZ_1G,
		.aw_bits = c->aw, .coherent = coherent, .ops = &fake_ops,
		.cookie = c, .pool = &c->pool,
	};
	if (vtd_pgtable_init(&c->pgt, &c->cfg))
		abort();
	vtd_pgtable_gather_init(&c->g);
	vtd_pool_get_stats(&c->pool, &st);
	c->base = st.in_use;
}

/*
 * Nothing mapped any more, and an unmap of the whole space takes out every
 * table left empty by partial unmaps (invariant 3d): back to the root only.
 */
static void expect_baseline(struct ctx *c)
{
	struct vtd_pool_stats st;

	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	CHECK_EQ(vtd_pgtable_unmap(&c->pgt, 0, 1ULL << c->pgt.aw_bits,
				   GFP_KERNEL, NULL, &c->g), 0);
	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), 1);
	vtd_pool_get_stats(&c->pool, &st);
	CHECK_EQ(st.in_use, c->base);
	CHECK_EQ(c->bad, 0);
}

static void teardown(struct ctx *c)
{
	vtd_pgtable_sync(&c->pgt, &c->g);
	vtd_pgtable_destroy(&c->pgt);
	vtd_pool_destroy(&c->pool);
	CHECK_EQ(shim_pages_live, 0);
	CHECK_EQ(shim_warnings, 0);
}

static int map(struct ctx *c, u64 iova, u64 phys, u64 size, int prot)
{
	return vtd_pgtable_map(&c->pgt, iova, phys, size, prot, GFP_KERNEL,
			       NULL, &c->g);
}

static u64 unmap(struct ctx *c, u64 iova, u64 size)
{
	u64 r = vtd_pgtable_unmap(&c->pgt, iova, size, GFP_KERNEL, NULL, &c->g);

	vtd_pgtable_sync(&c->pgt, &c->g);
	return r;
}

static u64 xlate(struct ctx *c, u64 iova)
{
	phys_addr_t p;

	return vtd_pgtable_lookup(&c->pgt, iova, &p) ? ~0ULL : p;
}

/* --- tests ---------------------------------------------------------- */

static void t_empty(struct ctx *c)
{
	phys_addr_t p;

	CHECK_EQ(c->pgt.levels, c->levels);
	CHECK_EQ(vtd_pgtable_context_aw(&c->pgt), c->levels - 2);
	CHECK_EQ(xlate(c, 0), ~0ULL);
	CHECK_EQ(xlate(c, (1ULL << c->aw) - 1), ~0ULL);
	CHECK_EQ(vtd_pgtable_lookup(&c->pgt, 1ULL << c->aw, &p), -ERANGE);
	CHECK_EQ(unmap(c, 0, SZ_1G), 0);
	expect_baseline(c);
}

static void t_sizes(struct ctx *c)
{
	static const u64 sz[] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned int i, level;
	u64 iova, phys, off, pte;

	for (i = 0; i < 3; i++) {
		iova = 3 * SZ_1G + sz[i] * 5;
		phys = T_PHYS + sz[i] * 7;
		off = sz[i] / 2 + 0x123;
		CHECK_EQ(map(c, iova, phys, sz[i], RW), 0);
		CHECK_EQ(xlate(c, iova + off), phys + off);
		CHECK_EQ(xlate(c, iova + sz[i]), ~0ULL);
		CHECK_EQ(vtd_pgtable_leaf(&c->pgt, iova, &pte, &level), 0);
		CHECK_EQ(level, i + 1);
		CHECK_EQ(!!(pte & (1ULL << 7)), i > 0);
		CHECK_EQ(pte & 3, 3);
		CHECK_EQ((pte & GENMASK_ULL(51, 12)), phys);
		CHECK_EQ(pte & ~(GENMASK_ULL(51, 12) | (1ULL << 7) | 3), 0);
		CHECK_EQ(unmap(c, iova, sz[i]), sz[i]);
	}
	expect_baseline(c);
}

/*
 * The top of the physical space: the last 4 KiB page below 2^52 maps; a
 * range running past it is refused, including one whose end wraps past
 * 2^64 (phys + size - 1 would then look small).
 */
static void t_phys_top(struct ctx *c)
{
	u64 top = 1ULL << 52;

	CHECK_EQ(map(c, SZ_1G, top - SZ_4K, SZ_4K, RW), 0);
	CHECK_EQ(xlate(c, SZ_1G + 5), top - SZ_4K + 5);
	CHECK_EQ(unmap(c, SZ_1G, SZ_4K), SZ_4K);
	CHECK_EQ(map(c, SZ_1G, top - SZ_4K, 2 * SZ_4K, RW), -EINVAL);
	CHECK_EQ(map(c, SZ_1G, ~0ULL & ~(SZ_4K - 1), 2 * SZ_4K, RW), -EINVAL);
	CHECK_EQ(map(c, SZ_1G, ~0ULL & ~(SZ_4K - 1), SZ_4K, RW), -EINVAL);
	CHECK_EQ(map(c, SZ_1G, -SZ_2M, 2 * SZ_2M, RW), -EINVAL);
	CHECK_EQ(xlate(c, SZ_1G), ~0ULL);
	CHECK_EQ(xlate(c, SZ_1G + SZ_4K), ~0ULL);
	expect_baseline(c);
}

static void t_overlap_last(struct ctx *c)
{
	u64 x = 7 * SZ_1G + 4 * SZ_2M, top = 1ULL << c->aw;

	CHECK_EQ(map(c, x, T_PHYS, SZ_2M, RW), 0);
	CHECK_EQ(map(c, x + SZ_4K, T_PHYS, SZ_4K, RW), -EEXIST);
	CHECK_EQ(map(c, x - SZ_2M, T_PHYS, 2 * SZ_2M, RW), -EEXIST);
	CHECK_EQ(map(c, x - 4 * SZ_4K, T_PHYS, 8 * SZ_4K, RW), -EEXIST);
	CHECK_EQ(xlate(c, x - SZ_4K), ~0ULL);
	CHECK_EQ(xlate(c, x - SZ_2M), ~0ULL);
	CHECK_EQ(unmap(c, x, SZ_2M), SZ_2M);
	CHECK_EQ(map(c, top - SZ_4K, T_PHYS, SZ_4K, RW), 0);
	CHECK_EQ(xlate(c, top - 1), T_PHYS + SZ_4K - 1);
	CHECK_EQ(map(c, top - SZ_4K, T_PHYS, 2 * SZ_4K, RW), -ERANGE);
	CHECK_EQ(map(c, top, T_PHYS, SZ_4K, RW), -ERANGE);
	CHECK_EQ(unmap(c, top - SZ_4K, SZ_4K), SZ_4K);
	expect_baseline(c);
}

static void t_split(struct ctx *c)
{
	u64 x = 2 * SZ_1G, hole = x + SZ_2M + 2 * SZ_4K;

	CHECK_EQ(map(c, x, T_PHYS, SZ_1G, VTD_PGT_READ), 0);
	CHECK_EQ(unmap(c, hole, SZ_4K), SZ_4K);
	CHECK_EQ(xlate(c, hole + 5), ~0ULL);
	CHECK_EQ(xlate(c, hole - 1), T_PHYS + SZ_2M + 2 * SZ_4K - 1);
	CHECK_EQ(xlate(c, hole + SZ_4K), T_PHYS + SZ_2M + 3 * SZ_4K);
	CHECK_EQ(xlate(c, x + SZ_1G - 1), T_PHYS + SZ_1G - 1);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	CHECK_EQ(unmap(c, x, SZ_1G), SZ_1G - SZ_4K);
	expect_baseline(c);
}

/* The random sequence against a model of 2 GiB + 4 MiB at the top. */
#define RND_PAGES	((2 * SZ_1G + 2 * SZ_2M) / SZ_4K)
static unsigned long long rnd_state;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (u32)(rnd_state >> 33) % n;
}

static void t_random(struct ctx *c)
{
	u32 *model = calloc(RND_PAGES, sizeof(u32)), n, p, i, live, frame;
	u64 base = (1ULL << c->aw) - RND_PAGES * SZ_4K, iova, mask;
	int op, ret;

	for (op = 0; op < 3000 && !failures; op++) {
		n = rnd(16) == 0 ? 512 * (1 + rnd(4)) : rnd(64) == 0 ?
		    SZ_1G / SZ_4K : 1 + rnd(64);
		p = rnd(RND_PAGES - n + 1);
		if (n >= 512 && rnd(2)) {
			mask = n >= SZ_1G / SZ_4K ? SZ_1G / SZ_4K - 1 : 511;
			iova = ((base / SZ_4K + p) & ~mask) + mask + 1;
			if (iova - base / SZ_4K + n <= RND_PAGES)
				p = iova - base / SZ_4K;
		}
		iova = base + (u64)p * SZ_4K;
		for (live = 0, i = 0; i < n; i++)
			live += !!model[p + i];
		if (rnd(2)) {
			frame = rnd(4) ? (iova / SZ_4K) & ((1U << 27) - 1) : rnd(1U << 20);
			ret = map(c, iova, T_PHYS + (u64)frame * SZ_4K, (u64)n * SZ_4K, RW);
			vtd_pgtable_sync(&c->pgt, &c->g);
			CHECK_EQ(ret, live ? -EEXIST : 0);
			for (i = 0; !ret && i < n; i++)
				model[p + i] = frame + i + 1;
		} else {
			c->sync_start = 0;
			c->sync_size = 0;
			CHECK_EQ(unmap(c, iova, (u64)n * SZ_4K), (u64)live * SZ_4K);
			/* Every leaf cleared lies in the range invalidated. */
			for (i = 0; i < n; i++) {
				u64 a = iova + (u64)i * SZ_4K;

				if (model[p + i] &&
				    (a < c->sync_start ||
				     a + SZ_4K > c->sync_start + c->sync_size)) {
					CHECK(!"cleared leaf outside the invalidated range");
					break;
				}
				model[p + i] = 0;
			}
		}
		if (op % 100 == 0)
			CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	}
	if (failures)
		fprintf(stderr, "  stopped at op %d\n", op);
	for (i = 0; i < RND_PAGES; i += 1 + rnd(7)) {
		iova = base + (u64)i * SZ_4K + rnd(4096);
		CHECK_EQ(xlate(c, iova), model[i] ?
			 T_PHYS + (u64)(model[i] - 1) * SZ_4K + (iova & 0xfff) : ~0ULL);
		if (failures > 10)
			break;
	}
	unmap(c, base, RND_PAGES * SZ_4K);
	free(model);
	expect_baseline(c);
}

static void t_exhaustion(struct ctx *c)
{
	struct vtd_pool_resv resv = { 0 };
	u64 iova = 3 * SZ_1G + SZ_2M - SZ_4K;
	LIST_HEAD(held);
	void *va;

	shim_fail_alloc_nth = 1;
	CHECK_EQ(vtd_pool_reserve(&c->pool, &resv,
				  vtd_pgtable_map_pages(c->levels, 2 * SZ_4K),
				  GFP_KERNEL), 0);
	while ((va = vtd_pool_get(&c->pool, NULL, GFP_ATOMIC)))
		list_add(&virt_to_page(va)->lru, &held);
	CHECK_EQ(vtd_pgtable_map(&c->pgt, iova, T_PHYS, 2 * SZ_4K, RW,
				 GFP_ATOMIC, NULL, &c->g), -ENOMEM);
	CHECK_EQ(map(c, iova, T_PHYS, 2 * SZ_4K, RW), -ENOMEM);
	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(xlate(c, iova), ~0ULL);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	shim_atomic_depth++;	/* as if in atomic context */
	CHECK_EQ(vtd_pgtable_map(&c->pgt, iova, T_PHYS, 2 * SZ_4K, RW,
				 GFP_ATOMIC, &resv, &c->g), 0);
	shim_atomic_depth--;
	CHECK_EQ(xlate(c, iova + SZ_4K + 1), T_PHYS + SZ_4K + 1);
	vtd_pool_unreserve(&c->pool, &resv);
	vtd_pool_put_list(&c->pool, &held);
	shim_fail_alloc_nth = 0;
	CHECK_EQ(unmap(c, iova, 2 * SZ_4K), 2 * SZ_4K);
	vtd_pool_flush_refill(&c->pool);
	expect_baseline(c);
}

/*
 * A sleeping unmap whose own reservation fails still clears every leaf
 * (that needs no page) and says so; only a split it then cannot make
 * leaves a short count, counted in split_failures.
 */
static void t_unmap_no_resv(struct ctx *c)
{
	u64 iova = 5 * SZ_1G;
	LIST_HEAD(held);
	void *va;

	CHECK_EQ(map(c, iova, T_PHYS, 4 * SZ_4K, RW), 0);
	CHECK_EQ(map(c, 2 * SZ_1G, T_PHYS, SZ_2M, RW), 0);
	shim_fail_alloc_nth = 1;
	while ((va = vtd_pool_get(&c->pool, NULL, GFP_ATOMIC)))
		list_add(&virt_to_page(va)->lru, &held);
	CHECK_EQ(unmap(c, iova, 4 * SZ_4K), 4 * SZ_4K);
	CHECK_EQ(xlate(c, iova), ~0ULL);
	CHECK_EQ(atomic_long_read(&c->pgt.resv_failures), 1);
	CHECK_EQ(atomic_long_read(&c->pgt.split_failures), 0);
	/* A split now has no page: nothing of the 2 MiB page goes. */
	CHECK_EQ(unmap(c, 2 * SZ_1G, SZ_4K), 0);
	CHECK_EQ(atomic_long_read(&c->pgt.split_failures), 1);
	CHECK_EQ(xlate(c, 2 * SZ_1G + 1), T_PHYS + 1);
	vtd_pool_put_list(&c->pool, &held);
	shim_fail_alloc_nth = 0;
	CHECK_EQ(unmap(c, 2 * SZ_1G, SZ_2M), SZ_2M);
	vtd_pool_flush_refill(&c->pool);
	expect_baseline(c);
}

static void t_inject(struct ctx *c)
{
	u64 iova = 6 * SZ_1G - 2 * SZ_4K, size = SZ_2M + 4 * SZ_4K, off;
	struct vtd_pool_resv resv;
	int nth, ret, failed = 0;

	for (nth = 1; nth <= 8; nth++) {
		atomic_set(&c->pool.gets, 0);
		c->pool.fail_get_nth = nth;
		/* Injection spares gets with a reservation: none here. */
		ret = vtd_pgtable_map(&c->pgt, iova, T_PHYS, size, RW,
				      GFP_ATOMIC, NULL, &c->g);
		c->pool.fail_get_nth = 0;
		CHECK(ret == 0 || ret == -ENOMEM);
		if (ret) {
			failed++;
			for (off = 0; off < size; off += SZ_4K)
				CHECK_EQ(xlate(c, iova + off), ~0ULL);
			expect_baseline(c);
		} else {
			CHECK_EQ(unmap(c, iova, size), size);
		}
	}
	CHECK(failed >= (int)c->levels - 1);
	/* With a reservation the same injection fails nothing. */
	resv.nr = 0;
	nth = vtd_pgtable_map_pages_at(&c->pgt, iova, T_PHYS, size);
	CHECK_EQ(vtd_pool_reserve(&c->pool, &resv, nth, GFP_KERNEL), 0);
	atomic_set(&c->pool.gets, 0);
	c->pool.fail_get_nth = 1;
	CHECK_EQ(vtd_pgtable_map(&c->pgt, iova, T_PHYS, size, RW, GFP_ATOMIC,
				 &resv, &c->g), 0);
	c->pool.fail_get_nth = 0;
	vtd_pool_unreserve(&c->pool, &resv);
	/* A split that cannot get a page: short count, counted (finding 7). */
	CHECK_EQ(map(c, SZ_1G, T_PHYS, SZ_1G, RW), 0);
	c->pool.fail_get_nth = 1;
	CHECK_EQ(vtd_pgtable_unmap(&c->pgt, SZ_1G + SZ_4K, SZ_4K, GFP_ATOMIC,
				   NULL, &c->g), 0);
	c->pool.fail_get_nth = 0;
	CHECK_EQ(atomic_long_read(&c->pgt.split_failures), 1);
	CHECK_EQ(xlate(c, SZ_1G + SZ_4K), T_PHYS + SZ_4K);
	CHECK_EQ(unmap(c, SZ_1G, SZ_1G), SZ_1G);
	CHECK_EQ(unmap(c, iova, size), size);
	expect_baseline(c);
}

/*
 * ECAP.C=0: everything the unit may read is in memory when the map
 * returns: every new table page whole (its zeroes too) and the line of
 * every entry on the walk, from the root to the leaf.
 */
static void t_clflush(struct ctx *c)
{
	u64 iova = 7 * SZ_1G + SZ_2M + 3 * SZ_4K, *table = c->pgt.root, *ptep;
	long before = shim_clflush_calls;
	unsigned int level, off;

	shim_flush_reset();
	shim_flush_tracking = true;
	CHECK_EQ(map(c, iova, T_PHYS, SZ_4K, RW), 0);
	shim_flush_tracking = false;
	CHECK(shim_clflush_calls > before);
	for (level = c->levels; level >= 1; level--) {
		ptep = &table[(iova >> (12 + 9 * (level - 1))) & 511];
		if (!shim_line_flushed(ptep))
			CHECK(!"a written entry's line not flushed");
		if (level == 1)
			break;
		table = phys_to_virt(*ptep & GENMASK_ULL(51, 12));
		/* A table new to this map: all of it. */
		for (off = 0; off < SZ_4K; off += 64)
			if (!shim_line_flushed((char *)table + off)) {
				CHECK(!"a new table page not flushed whole");
				break;
			}
	}
	CHECK_EQ(unmap(c, iova, SZ_4K), SZ_4K);
	expect_baseline(c);
}

/* The range invalidated covers the leaves cleared, split superpages too. */
static void t_gather_range(struct ctx *c)
{
	u64 a = 9 * SZ_1G + 5 * SZ_4K;

	CHECK_EQ(map(c, a, T_PHYS, 3 * SZ_4K, RW), 0);
	c->sync_size = 0;
	CHECK_EQ(unmap(c, a, 3 * SZ_4K), 3 * SZ_4K);
	CHECK(c->sync_start <= a && c->sync_start + c->sync_size >= a + 3 * SZ_4K);
	/* The last 4 KiB of a 2 MiB page: after the split, that page. */
	CHECK_EQ(map(c, 10 * SZ_1G, T_PHYS, SZ_2M, RW), 0);
	c->sync_size = 0;
	CHECK_EQ(unmap(c, 10 * SZ_1G + SZ_2M - SZ_4K, SZ_4K), SZ_4K);
	CHECK(c->sync_start <= 10 * SZ_1G + SZ_2M - SZ_4K &&
	      c->sync_start + c->sync_size >= 10 * SZ_1G + SZ_2M);
	CHECK_EQ(unmap(c, 10 * SZ_1G, SZ_2M), SZ_2M - SZ_4K);
	expect_baseline(c);
}

static void t_coherent(struct ctx *c)
{
	struct ctx *k = calloc(1, sizeof(*k));
	long before;

	setup(k, c->levels, true);
	before = shim_clflush_calls;
	CHECK_EQ(map(k, SZ_1G, T_PHYS, SZ_4K, RW), 0);
	CHECK_EQ(unmap(k, SZ_1G, SZ_4K), SZ_4K);
	CHECK_EQ(shim_clflush_calls, before);	/* ECAP.C=1: none */
	expect_baseline(k);
	vtd_pgtable_destroy(&k->pgt);
	vtd_pool_destroy(&k->pool);
	free(k);
	expect_baseline(c);
}

/* Threads own interleaved pages of one region and share every table. */
struct thr { struct ctx *c; int id, nr; long errors; };

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	struct vtd_pgtable_gather g;
	struct vtd_pool_resv resv;
	u64 base = 8 * SZ_1G - 16 * SZ_4K, iova;
	int it, k, ret;

	vtd_pgtable_gather_init(&g);
	for (it = 0; it < 300; it++) {
		for (k = 0; k < 48; k++) {
			iova = base + ((u64)k * t->nr + t->id) * SZ_4K;
			resv.nr = 0;
			if (vtd_pool_reserve(&t->c->pool, &resv, t->c->levels - 1,
					     GFP_KERNEL))
				t->errors++;
			ret = vtd_pgtable_map(&t->c->pgt, iova, iova + T_PHYS,
					      SZ_4K, RW, k & 1 ? GFP_KERNEL :
					      GFP_ATOMIC, &resv, &g);
			vtd_pool_unreserve(&t->c->pool, &resv);
			t->errors += !!ret;
		}
		for (k = 0; k < 48; k++) {
			iova = base + ((u64)k * t->nr + t->id) * SZ_4K;
			t->errors += xlate(t->c, iova + 9) != iova + T_PHYS + 9;
			t->errors += vtd_pgtable_unmap(&t->c->pgt, iova, SZ_4K,
						       GFP_KERNEL, NULL, &g) != SZ_4K;
			vtd_pgtable_sync(&t->c->pgt, &g);
		}
	}
	return NULL;
}

/*
 * Reclaim against neighbours. Every thread keeps mapping a page in a span
 * of its own and unmapping the whole span, so that its tables come and go:
 * the reclaimer a 2 MiB span (its SL-PTE table goes) and a 1 GiB span (its
 * SL-PDE table goes), the others 2 MiB spans under the same SL-PDE table
 * as the reclaimer's and under the same parent as its 1 GiB span. Their
 * common parents are empty now and then, and must stay: a reclaim that
 * freed a table whose span reaches outside its range could free one a
 * neighbour is filling, and the neighbour would lose its translation.
 */
#define NB_BASE		(16 * SZ_1G)

static void *nb_reclaimer(void *arg)
{
	static const u64 at[2] = { NB_BASE, NB_BASE + SZ_1G };
	static const u64 span[2] = { SZ_2M, SZ_1G };
	struct thr *t = arg;
	struct vtd_pgtable_gather g;
	int it, k, ret;

	vtd_pgtable_gather_init(&g);
	for (it = 0; it < 6000; it++) {
		k = it % 2;
		ret = vtd_pgtable_map(&t->c->pgt, at[k] + (u64)(it % 7) * SZ_4K,
				      T_PHYS, SZ_4K, RW, GFP_KERNEL, NULL, &g);
		t->errors += !!ret;
		t->errors += vtd_pgtable_unmap(&t->c->pgt, at[k], span[k],
					       GFP_KERNEL, NULL, &g) != SZ_4K;
		vtd_pgtable_sync(&t->c->pgt, &g);
	}
	return NULL;
}

static void *nb_neighbour(void *arg)
{
	struct thr *t = arg;
	struct vtd_pgtable_gather g;
	u64 a[2], phys;
	int it, k;

	vtd_pgtable_gather_init(&g);
	/* Under the reclaimer's SL-PDE table; past its 1 GiB span. */
	a[0] = NB_BASE + (u64)t->id * SZ_2M;
	a[1] = NB_BASE + 2 * SZ_1G + (u64)t->id * SZ_2M;
	for (it = 0; it < 3000; it++) {
		for (k = 0; k < 2; k++) {
			phys = T_PHYS + (u64)(it * 2 + k) * SZ_4K;
			t->errors += vtd_pgtable_map(&t->c->pgt, a[k] + SZ_4K,
						     phys, SZ_4K, RW,
						     GFP_KERNEL, NULL, &g) != 0;
		}
		for (k = 0; k < 2; k++) {
			phys = T_PHYS + (u64)(it * 2 + k) * SZ_4K;
			t->errors += xlate(t->c, a[k] + SZ_4K + 7) != phys + 7;
			t->errors += vtd_pgtable_unmap(&t->c->pgt, a[k], SZ_2M,
						       GFP_KERNEL, NULL, &g) !=
				     SZ_4K;
			vtd_pgtable_sync(&t->c->pgt, &g);
		}
	}
	return NULL;
}

static void t_reclaim_neighbours(struct ctx *c)
{
	struct thr t[3];
	pthread_t th[3];
	int i;

	for (i = 0; i < 3; i++) {
		t[i] = (struct thr){ .c = c, .id = i, .nr = 3 };
		pthread_create(&th[i], NULL, i ? nb_neighbour : nb_reclaimer,
			       &t[i]);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(t[i].errors, 0);
	}
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	expect_baseline(c);
}

/*
 * Map, taking a tag back and unmap of a range take no lock a reclaim or a
 * reader holds: with reclaim_lock held exclusive here, another thread's
 * map, vtd_pgtable_take_tag() and unmap of its own range (no table to
 * free) still complete.
 */
static int nl_done;

static void *nl_worker(void *arg)
{
	struct ctx *c = arg;
	struct vtd_pgtable_gather g;

	vtd_pgtable_gather_init(&g);
	if (vtd_pgtable_map(&c->pgt, 20 * SZ_1G + SZ_4K, T_PHYS, SZ_4K,
			    RW | VTD_PGT_TAG(3), GFP_ATOMIC, NULL, &g) == 0 &&
	    vtd_pgtable_take_tag(&c->pgt, 20 * SZ_1G + SZ_4K) == 3 &&
	    vtd_pgtable_unmap(&c->pgt, 20 * SZ_1G + SZ_4K, SZ_4K, GFP_ATOMIC,
			      NULL, &g) == SZ_4K)
		__atomic_store_n(&nl_done, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&nl_done, -1, __ATOMIC_RELEASE);
	return NULL;
}

static void t_no_lock(struct ctx *c)
{
	unsigned long flags;
	pthread_t th;
	int i;

	/* The tables exist already: no page allocation under the lock. */
	CHECK_EQ(map(c, 20 * SZ_1G, T_PHYS, SZ_4K, RW), 0);
	nl_done = 0;
	write_lock_irqsave(&c->pgt.reclaim_lock, flags);
	shim_atomic_depth--;	/* the worker is not in our atomic section */
	pthread_create(&th, NULL, nl_worker, c);
	for (i = 0; i < 2000 && !__atomic_load_n(&nl_done, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CHECK_EQ(__atomic_load_n(&nl_done, __ATOMIC_ACQUIRE), 1);
	shim_atomic_depth++;
	write_unlock_irqrestore(&c->pgt.reclaim_lock, flags);
	pthread_join(th, NULL);
	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(unmap(c, 20 * SZ_1G, SZ_4K), SZ_4K);
	expect_baseline(c);
}

/*
 * Tags: only the first leaf of a map keeps one, in bits 61:52 (ignored by
 * the unit), which the checker allows in leaves and nowhere else; only the
 * leaf's first byte takes it back, once; an unmap drops it.
 */
static void t_tags(struct ctx *c)
{
	u64 x = 9 * SZ_1G, y = 10 * SZ_1G, pte, *table;
	unsigned int level, lvl;

	CHECK_EQ(map(c, x, T_PHYS, 3 * SZ_4K, RW | VTD_PGT_TAG(VTD_PGT_TAG_MAX)), 0);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, x, &pte, &level), 0);
	CHECK_EQ(pte >> 52, VTD_PGT_TAG_MAX);
	CHECK_EQ(xlate(c, x + 5), T_PHYS + 5);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, x + SZ_4K, &pte, &level), 0);
	CHECK_EQ(pte >> 52, 0);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x + SZ_4K), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x + 8), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x), VTD_PGT_TAG_MAX);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x), 0);
	CHECK_EQ(xlate(c, x), T_PHYS);		/* the translation stays */
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, 1ULL << c->aw), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x + 3 * SZ_4K), 0);

	/* A superpage head: its first byte only. */
	CHECK_EQ(map(c, y, T_PHYS, SZ_2M, RW | VTD_PGT_TAG(5)), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, y + SZ_4K), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, y), 5);

	/* Unmapped and mapped again without a tag: none. */
	CHECK_EQ(map(c, x + 3 * SZ_4K, T_PHYS, SZ_4K, RW | VTD_PGT_TAG(2)), 0);
	CHECK_EQ(unmap(c, x + 3 * SZ_4K, SZ_4K), SZ_4K);
	CHECK_EQ(map(c, x + 3 * SZ_4K, T_PHYS, SZ_4K, RW), 0);
	CHECK_EQ(vtd_pgtable_take_tag(&c->pgt, x + 3 * SZ_4K), 0);

	/* A tag bit in a table entry breaks invariant 3c. */
	table = c->pgt.root;
	for (lvl = c->pgt.levels; lvl > 2; lvl--)
		table = (u64 *)(uintptr_t)(table[(x >> (12 + 9 * (lvl - 1))) & 511] &
					   GENMASK_ULL(51, 12));
	pte = table[(x >> 21) & 511];
	table[(x >> 21) & 511] = pte | BIT_ULL(52);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), -EINVAL);
	table[(x >> 21) & 511] = pte;
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);

	CHECK_EQ(unmap(c, x, 4 * SZ_4K), 4 * SZ_4K);
	CHECK_EQ(unmap(c, y, SZ_2M), SZ_2M);
	expect_baseline(c);
}

/* A list of runs for vtd_pgtable_map_runs(), handed out in order. */
struct runs {
	const struct vtd_pgtable_run *r;
	unsigned int n, next, calls;
};

/* Hands out at most three at a time, to cross the batch boundary. */
static unsigned int next_runs(void *cookie, struct vtd_pgtable_run *runs,
			      unsigned int max)
{
	struct runs *rs = cookie;
	unsigned int n = 0;

	rs->calls++;
	while (n < max && n < 3 && rs->next < rs->n)
		runs[n++] = rs->r[rs->next++];
	return n;
}

static int map_runs(struct ctx *c, u64 iova, u64 size,
		    const struct vtd_pgtable_run *r, unsigned int n, int prot,
		    u64 *mapped)
{
	struct runs rs = { .r = r, .n = n };

	return vtd_pgtable_map_runs(&c->pgt, iova, size, next_runs, &rs, prot,
				    GFP_KERNEL, NULL, mapped, &c->g);
}

/*
 * map_runs: scattered pages in one leaf table cost one descent (the
 * entries above them are flushed once, not once per run), each page
 * translates to its own run, the tag is on the first leaf only, a gap
 * stays unmapped, a superpage inside a run is used, and runs far apart
 * climb as far as they must.
 */
static void t_runs(struct ctx *c)
{
	u64 x = 11 * SZ_1G, y = 12 * SZ_1G, z = 13 * SZ_1G, mapped = 0, pte;
	struct vtd_pgtable_run r[16], big[3];
	long flushes_one, flushes_runs;
	unsigned int i, level;

	/* The tables above x exist: only the descent's flushes are counted. */
	CHECK_EQ(map(c, x + SZ_2M - SZ_4K, T_PHYS, SZ_4K, RW), 0);
	flushes_one = shim_clflush_calls;
	CHECK_EQ(map(c, x + SZ_2M - 2 * SZ_4K, T_PHYS, SZ_4K, RW), 0);
	flushes_one = shim_clflush_calls - flushes_one;
	for (i = 0; i < 16; i++)
		r[i] = (struct vtd_pgtable_run){ x + i * SZ_4K,
						 T_PHYS + 2 * i * SZ_4K, SZ_4K };
	flushes_runs = shim_clflush_calls;
	CHECK_EQ(map_runs(c, x, 16 * SZ_4K, r, 16, RW | VTD_PGT_TAG(5),
			  &mapped), 0);
	flushes_runs = shim_clflush_calls - flushes_runs;
	CHECK_EQ(mapped, 16 * SZ_4K);
	/* One walk: as many flushes as one single-page map, not 16 times. */
	CHECK_EQ(flushes_runs, flushes_one);
	for (i = 0; i < 16; i++)
		CHECK_EQ(xlate(c, x + i * SZ_4K + 7), T_PHYS + 2 * i * SZ_4K + 7);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, x, &pte, &level), 0);
	CHECK_EQ(vtd_pgtable_pte_tag(pte), 5);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, x + SZ_4K, &pte, &level), 0);
	CHECK_EQ(vtd_pgtable_pte_tag(pte), 0);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	CHECK_EQ(unmap(c, x, 16 * SZ_4K), 16 * SZ_4K);
	CHECK_EQ(unmap(c, x + SZ_2M - 2 * SZ_4K, 2 * SZ_4K), 2 * SZ_4K);

	/* A page, a gap, a 2 MiB run (a superpage), a page 1 GiB further. */
	big[0] = (struct vtd_pgtable_run){ y, T_PHYS + SZ_4K, SZ_4K };
	big[1] = (struct vtd_pgtable_run){ y + SZ_2M, T_PHYS + SZ_2M, SZ_2M };
	big[2] = (struct vtd_pgtable_run){ y + SZ_1G + SZ_4K, T_PHYS, SZ_4K };
	CHECK_EQ(map_runs(c, y, SZ_1G + 2 * SZ_4K, big, 3, RW, &mapped), 0);
	CHECK_EQ(mapped, SZ_2M + 2 * SZ_4K);
	CHECK_EQ(xlate(c, y), T_PHYS + SZ_4K);
	CHECK_EQ(xlate(c, y + SZ_4K), ~0ULL);
	CHECK_EQ(xlate(c, y + SZ_2M + 5 * SZ_4K), T_PHYS + SZ_2M + 5 * SZ_4K);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, y + SZ_2M, &pte, &level), 0);
	CHECK_EQ(level, 2);
	CHECK_EQ(xlate(c, y + SZ_1G + SZ_4K), T_PHYS);
	CHECK_EQ(xlate(c, y + SZ_1G), ~0ULL);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	CHECK_EQ(unmap(c, y, SZ_1G + 2 * SZ_4K), SZ_2M + 2 * SZ_4K);

	/* A live leaf in the third run: -EEXIST, and nothing of ours left. */
	CHECK_EQ(map(c, z + 2 * SZ_4K, T_PHYS, SZ_4K, RW), 0);
	for (i = 0; i < 4; i++)
		r[i] = (struct vtd_pgtable_run){ z + i * SZ_4K,
						 T_PHYS + 2 * i * SZ_4K, SZ_4K };
	CHECK_EQ(map_runs(c, z, 4 * SZ_4K, r, 4, RW, &mapped), -EEXIST);
	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(xlate(c, z), ~0ULL);
	CHECK_EQ(xlate(c, z + SZ_4K), ~0ULL);
	CHECK_EQ(xlate(c, z + 2 * SZ_4K), T_PHYS);
	CHECK_EQ(unmap(c, z + 2 * SZ_4K, SZ_4K), SZ_4K);

	/* Bad runs: backwards, past the span, empty, no run at all. */
	r[0] = (struct vtd_pgtable_run){ z + SZ_4K, T_PHYS, SZ_4K };
	r[1] = (struct vtd_pgtable_run){ z, T_PHYS, SZ_4K };
	CHECK_EQ(map_runs(c, z, 4 * SZ_4K, r, 2, RW, &mapped), -EINVAL);
	r[1] = (struct vtd_pgtable_run){ z + 3 * SZ_4K, T_PHYS, 2 * SZ_4K };
	CHECK_EQ(map_runs(c, z, 4 * SZ_4K, r, 2, RW, &mapped), -EINVAL);
	r[1] = (struct vtd_pgtable_run){ z + 3 * SZ_4K, T_PHYS, 0 };
	CHECK_EQ(map_runs(c, z, 4 * SZ_4K, r, 2, RW, &mapped), -EINVAL);
	CHECK_EQ(map_runs(c, z, 4 * SZ_4K, r, 0, RW, &mapped), -EINVAL);
	vtd_pgtable_sync(&c->pgt, &c->g);
	CHECK_EQ(xlate(c, z + SZ_4K), ~0ULL);
	expect_baseline(c);
}

/* Of threads taking one tag back at once, exactly one gets it. */
static u64 tt_iova;
static int tt_got[4];

static void *tt_worker(void *arg)
{
	struct ctx *c = arg;
	int i;

	for (i = 0; i < 4; i++)
		if (!tt_got[i] &&
		    __atomic_compare_exchange_n(&tt_got[i], &(int){0}, -1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	tt_got[i] = vtd_pgtable_take_tag(&c->pgt, tt_iova);
	return NULL;
}

static void t_tag_race(struct ctx *c)
{
	pthread_t th[4];
	int round, i, won;

	tt_iova = 11 * SZ_1G;
	for (round = 0; round < 200; round++) {
		CHECK_EQ(map(c, tt_iova, T_PHYS, SZ_4K, RW | VTD_PGT_TAG(7)), 0);
		memset(tt_got, 0, sizeof(tt_got));
		for (i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, tt_worker, c);
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		for (i = 0, won = 0; i < 4; i++) {
			CHECK(tt_got[i] == 0 || tt_got[i] == 7);
			won += tt_got[i] == 7;
		}
		CHECK_EQ(won, 1);
		CHECK_EQ(unmap(c, tt_iova, SZ_4K), SZ_4K);
	}
	expect_baseline(c);
}

static void t_concurrent(struct ctx *c)
{
	struct thr t[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		t[i] = (struct thr){ .c = c, .id = i, .nr = 4 };
		pthread_create(&th[i], NULL, thr_fn, &t[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(t[i].errors, 0);
	}
	expect_baseline(c);
}

static void t_cost(struct ctx *c)
{
	static const u64 page[] = { SZ_4K, SZ_2M, SZ_1G };
	u64 size = 2 * SZ_1G;
	long before, tables;
	int i;

	for (i = 0; i < 3; i++) {
		before = atomic_long_read(&c->pgt.nr_tables);
		CHECK_EQ(map(c, 4 * SZ_1G, T_PHYS + (page[i] < SZ_1G ? page[i] : 0),
			     size, RW), 0);
		tables = atomic_long_read(&c->pgt.nr_tables) - before;
		printf("  %d-level, %llu KiB pages: %ld table pages for %llu MiB = %.4f per MiB\n",
		       c->levels, (unsigned long long)(page[i] >> 10), tables,
		       (unsigned long long)(size >> 20),
		       (double)tables / (size >> 20));
		CHECK_EQ(unmap(c, 4 * SZ_1G, size), size);
		expect_baseline(c);	/* each row from an empty table */
	}
}

/* Partial unmaps keep the tables a neighbour may use (findings 3 and 4). */
static void t_neighbour(struct ctx *c)
{
	u64 x = 5 * SZ_1G + 7 * SZ_2M, y = 6 * SZ_1G, pte;
	unsigned int level;
	long tables;

	/* Two pages in one SL-PTE table; unmapping one keeps the table. */
	CHECK_EQ(map(c, x, T_PHYS, SZ_4K, RW), 0);
	CHECK_EQ(map(c, x + SZ_4K, T_PHYS + SZ_4K, SZ_4K, RW), 0);
	tables = atomic_long_read(&c->pgt.nr_tables);
	CHECK_EQ(unmap(c, x, SZ_4K), SZ_4K);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), tables);
	CHECK_EQ(xlate(c, x + SZ_4K + 5), T_PHYS + SZ_4K + 5);
	/* Map again next to the live page: same table, no new one. */
	CHECK_EQ(map(c, x, T_PHYS + 8 * SZ_4K, SZ_4K, RW), 0);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), tables);
	CHECK_EQ(xlate(c, x), T_PHYS + 8 * SZ_4K);
	/* Unmapping the last page: the table reaches outside, it stays. */
	CHECK_EQ(unmap(c, x, 2 * SZ_4K), 2 * SZ_4K);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), tables);
	CHECK_EQ(vtd_pgtable_check(&c->pgt), 0);
	/* A 2 MiB map over that empty table: 4 KiB pages, not -EEXIST. */
	CHECK_EQ(map(c, x & ~(SZ_2M - 1), T_PHYS, SZ_2M, RW), 0);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, x, &pte, &level), 0);
	CHECK_EQ(level, 1);
	CHECK_EQ(xlate(c, x + 3), T_PHYS + (x & (SZ_2M - 1)) + 3);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), tables);
	/* Unmapping all of its span frees the table. */
	CHECK_EQ(unmap(c, x & ~(SZ_2M - 1), SZ_2M), SZ_2M);
	CHECK_EQ(atomic_long_read(&c->pgt.nr_tables), tables - 1);
	/* A 1 GiB map over a left-over table: 2 MiB and 4 KiB pages. */
	CHECK_EQ(map(c, y + SZ_2M, T_PHYS, SZ_4K, RW), 0);
	CHECK_EQ(unmap(c, y + SZ_2M, SZ_4K), SZ_4K);
	CHECK_EQ(map(c, y, T_PHYS, SZ_1G, RW), 0);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, y, &pte, &level), 0);
	CHECK_EQ(level, 2);
	CHECK_EQ(vtd_pgtable_leaf(&c->pgt, y + SZ_2M, &pte, &level), 0);
	CHECK_EQ(level, 1);
	CHECK_EQ(xlate(c, y + SZ_1G - 1), T_PHYS + SZ_1G - 1);
	/* A real leaf in the way is still -EEXIST. */
	CHECK_EQ(map(c, y + SZ_2M, T_PHYS, SZ_2M, RW), -EEXIST);
	CHECK_EQ(unmap(c, y, SZ_1G), SZ_1G);
	expect_baseline(c);
}

/* vtd_pgtable_map_pages_at() is exact on an empty table (finding 8). */
static void t_counts(struct ctx *c)
{
	static const struct { u64 iova, phys, size; unsigned long want3; } cs[] = {
		{ 3 * SZ_1G + 5 * SZ_4K, T_PHYS, SZ_4K, 2 },
		{ 3 * SZ_1G + SZ_2M, T_PHYS + SZ_2M, SZ_2M, 1 },
		{ 3 * SZ_1G + SZ_2M, T_PHYS + SZ_4K, SZ_2M, 2 },
		{ 3 * SZ_1G + SZ_2M - SZ_4K, T_PHYS + 3 * SZ_1G + SZ_2M - SZ_4K,
		  SZ_2M + 2 * SZ_4K, 3 },
		{ 3 * SZ_1G, T_PHYS, SZ_1G, 0 },
		{ 3 * SZ_1G, T_PHYS + SZ_2M, SZ_1G, 1 },
		{ 3 * SZ_1G - SZ_2M, T_PHYS + 3 * SZ_1G - SZ_2M,
		  SZ_1G + 2 * SZ_2M, 2 },
		{ 3 * SZ_1G - SZ_2M, T_PHYS, SZ_1G + 2 * SZ_2M, 3 },
		{ 3 * SZ_1G + SZ_4K, T_PHYS + SZ_4K, 2 * SZ_1G, 4 },
	};
	struct vtd_pgtable *no2m = calloc(1, sizeof(*no2m));
	struct vtd_pgtable_cfg cfg = c->cfg;
	unsigned long want, got;
	unsigned int i, level;
	int failed = failures;
	long before;
	u64 pte;

	for (i = 0; i < ARRAY_SIZE(cs); i++) {
		/* The 4-level root needs one more table below it. */
		want = cs[i].want3 + (c->levels == 4);
		got = vtd_pgtable_map_pages_at(&c->pgt, cs[i].iova, cs[i].phys,
					       cs[i].size);
		CHECK_EQ(got, want);
		before = atomic_long_read(&c->pgt.nr_tables);
		CHECK_EQ(map(c, cs[i].iova, cs[i].phys, cs[i].size, RW), 0);
		CHECK_EQ(atomic_long_read(&c->pgt.nr_tables) - before, want);
		CHECK_EQ(unmap(c, cs[i].iova, cs[i].size), cs[i].size);
		expect_baseline(c);
		if (failures != failed)
			fprintf(stderr, "  case %u\n", i);
		failed = failures;
	}
	CHECK(vtd_pgtable_map_pages(c->levels, SZ_2M) >=
	      vtd_pgtable_map_pages_at(&c->pgt, SZ_2M - SZ_4K, T_PHYS, SZ_2M));
	/* 1 GiB pages without 2 MiB ones are not used (finding 11). */
	cfg.page_sizes = VTD_PGT_SZ_1G;
	CHECK_EQ(vtd_pgtable_init(no2m, &cfg), 0);
	CHECK_EQ(vtd_pgtable_map(no2m, SZ_1G, T_PHYS, SZ_1G, RW, GFP_KERNEL,
				 NULL, &c->g), 0);
	CHECK_EQ(vtd_pgtable_leaf(no2m, SZ_1G, &pte, &level), 0);
	CHECK_EQ(level, 1);
	CHECK_EQ(vtd_pgtable_unmap(no2m, SZ_1G, SZ_1G, GFP_KERNEL, NULL,
				   &c->g), SZ_1G);
	vtd_pgtable_sync(no2m, &c->g);
	vtd_pgtable_destroy(no2m);
	free(no2m);
	expect_baseline(c);
}

/* A failed invalidation leaks the table pages instead of freeing them. */
static void t_sync_fail(struct ctx *c)
{
	u64 x = 9 * SZ_1G, *va[8];
	struct vtd_pool_stats st0, st;
	unsigned int i, n = 0;
	struct page *pg;

	CHECK_EQ(map(c, x, T_PHYS + SZ_4K, SZ_2M, RW), 0);	/* 4 KiB pages */
	vtd_pool_get_stats(&c->pool, &st0);
	CHECK_EQ(vtd_pgtable_unmap(&c->pgt, x, SZ_2M, GFP_KERNEL, NULL, &c->g),
		 SZ_2M);
	CHECK(c->g.nr_freed >= 1 && c->g.nr_freed <= ARRAY_SIZE(va));
	for (pg = (struct page *)c->g.freelist.next;
	     &pg->lru != &c->g.freelist && n < ARRAY_SIZE(va);
	     pg = (struct page *)pg->lru.next)
		va[n++] = page_address(pg);
	c->sync_ret = -ETIMEDOUT;
	CHECK_EQ(vtd_pgtable_sync(&c->pgt, &c->g), -ETIMEDOUT);
	c->sync_ret = 0;
	CHECK_EQ(atomic_long_read(&c->pgt.sync_failures), 1);
	vtd_pool_get_stats(&c->pool, &st);
	CHECK_EQ(st.leaked, n);
	CHECK_EQ(st.in_use, st0.in_use - n);
	CHECK(list_empty(&c->g.freelist));
	/* Still allocated, untouched (ASan would catch a use after free). */
	for (i = 0; i < n; i++) {
		CHECK(!memchr_inv(va[i], 0, PAGE_SIZE));
		free_page((unsigned long)va[i]);	/* the test's cleanup */
	}
	expect_baseline(c);
}

/* A reservation above high survives trims run while it allocates. */
static struct vtd_pool *hook_pool;
static long hook_calls;

static void shrink_hook(void)
{
	hook_calls++;
	if (hook_calls < 10000)		/* the old code never got out */
		vtd_pool_shrink(hook_pool, ~0UL);
}

static void t_resv_trim(struct ctx *c)
{
	struct vtd_pool_resv resv = { 0 };
	struct vtd_pool_stats st;
	unsigned long before;
	void *va;

	vtd_pool_get_stats(&c->pool, &st);
	before = st.in_pool - st.reserved;
	hook_pool = &c->pool;
	hook_calls = 0;
	shim_alloc_hook = shrink_hook;
	CHECK_EQ(vtd_pool_reserve(&c->pool, &resv, 200, GFP_KERNEL), 0);
	shim_alloc_hook = NULL;
	CHECK(hook_calls <= 200);
	CHECK_EQ(resv.nr, 200);
	vtd_pool_get_stats(&c->pool, &st);
	CHECK_EQ(st.reserved, 200);
	CHECK(st.in_pool >= 200);
	CHECK(hook_calls >= 200 - before);
	vtd_pool_shrink(&c->pool, ~0UL);
	vtd_pool_get_stats(&c->pool, &st);
	CHECK_EQ(st.reserved, 200);
	vtd_pool_unreserve(&c->pool, &resv);
	/* An atomic miss falls back to GFP_ATOMIC (finding 6). */
	vtd_pool_get_stats(&c->pool, &st);
	before = st.atomic_allocs;
	while (vtd_pool_get_stats(&c->pool, &st), st.in_pool > st.reserved) {
		va = vtd_pool_get(&c->pool, NULL, GFP_ATOMIC);
		vtd_pool_put(&c->pool, va);	/* goes back: keep going */
		if (!va)
			break;
		va = vtd_pool_get(&c->pool, NULL, GFP_ATOMIC);
		list_add(&virt_to_page(va)->lru, &c->g.freelist);
	}
	va = vtd_pool_get(&c->pool, NULL, GFP_ATOMIC);
	CHECK(va);
	vtd_pool_get_stats(&c->pool, &st);
	CHECK_EQ(st.atomic_allocs, before + 1);
	if (va)
		vtd_pool_put(&c->pool, va);
	vtd_pool_put_list(&c->pool, &c->g.freelist);
	vtd_pool_flush_refill(&c->pool);
	expect_baseline(c);
}

/*
 * Caching mode: a map calls iotlb_map once, for its whole range; one made
 * with VTD_PGT_NO_MAP_FLUSH (a map_sg run) does not call it at all.
 */
static void t_map_flush(struct ctx *c)
{
	c->pgt.cfg.ops = &fake_ops_cm;
	map_flushes = 0;
	CHECK_EQ(map(c, 0x200000, 0x10000000, SZ_2M + SZ_4K, VTD_PGT_READ), 0);
	CHECK_EQ(map_flushes, 1);
	CHECK_EQ(map(c, 0x800000, 0x20000000, SZ_4K,
		     VTD_PGT_READ | VTD_PGT_NO_MAP_FLUSH), 0);
	CHECK_EQ(map(c, 0x801000, 0x30000000, SZ_4K,
		     VTD_PGT_WRITE | VTD_PGT_NO_MAP_FLUSH), 0);
	CHECK_EQ(map_flushes, 1);
	CHECK_EQ(xlate(c, 0x801000), 0x30000000);
	/* The flag is no permission: a map with only it is refused. */
	CHECK_EQ(map(c, 0x900000, 0x30000000, SZ_4K, VTD_PGT_NO_MAP_FLUSH),
		 -EINVAL);
	CHECK_EQ(unmap(c, 0x200000, SZ_2M + SZ_4K), SZ_2M + SZ_4K);
	CHECK_EQ(unmap(c, 0x800000, 2 * SZ_4K), 2 * SZ_4K);
	c->pgt.cfg.ops = &fake_ops;
	expect_baseline(c);
}

static const struct { const char *name; void (*fn)(struct ctx *c); } tests[] = {
	{ "empty", t_empty }, { "page sizes and entry bits", t_sizes },
	{ "overlap and last page", t_overlap_last },
	{ "top of the physical space", t_phys_top }, { "superpage split", t_split },
	{ "random vs model", t_random }, { "pool exhaustion", t_exhaustion },
	{ "failure injection", t_inject },
	{ "sleeping unmap without its reservation", t_unmap_no_resv },
	{ "clflush when not coherent", t_clflush },
	{ "no clflush when coherent", t_coherent },
	{ "concurrent disjoint map/unmap", t_concurrent },
	{ "reclaim next to live neighbours", t_reclaim_neighbours },
	{ "map, tag and unmap take no reclaim lock", t_no_lock },
	{ "tags on first leaves", t_tags },
	{ "runs in one walk", t_runs },
	{ "one of racing tag takers gets it", t_tag_race },
	{ "invalidated range covers cleared leaves", t_gather_range },
	{ "table pages per MiB", t_cost },
	{ "partial unmap keeps shared tables", t_neighbour },
	{ "exact table counts", t_counts },
	{ "failed invalidation leaks", t_sync_fail },
	{ "reservation above high vs trims", t_resv_trim },
	{ "caching mode: one map flush per map, none on request", t_map_flush },
};

int main(int argc, char **argv)
{
	unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
				  (unsigned long long)time(NULL);
	int passed = 0, failed = 0, levels;
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned int i;

	printf("seed %llu (pass it as the argument to replay)\n", seed);
	for (levels = 3; levels <= 4; levels++) {
		for (i = 0; i < ARRAY_SIZE(tests); i++) {
			rnd_state = seed;
			failures = 0;
			shim_warnings = 0;
			setup(c, levels, false);
			tests[i].fn(c);
			teardown(c);
			printf("%s  %s, %d-level\n", failures ? "FAIL" : "PASS",
			       tests[i].name, levels);
			if (failures)
				failed++;
			else
				passed++;
		}
	}
	free(c);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
