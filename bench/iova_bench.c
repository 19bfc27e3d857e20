// SPDX-License-Identifier: GPL-2.0
/*
 * vtd_bench: the allocator half of `make bench`. Runs the same operation
 * sequences into the project's IOVA allocator (iova.c, linked into this
 * module) and into Linux's own (drivers/iommu/iova.c, built into the bench
 * kernel and exported), times them in the guest and prints one line per
 * figure, "VTD-BENCH <test> <allocator> key=value ...", which
 * scripts/bench.sh collects from the console log.
 *
 * Allocators ("impl"):
 *   ours        vtd_iova_alloc()/vtd_iova_free()
 *   ours-fast   vtd_iova_alloc_fast()/vtd_iova_free_fast() (the per-CPU
 *               caches of iova_rcache.c)
 *   linux-fast  alloc_iova_fast()/free_iova_fast() (with Linux's rcaches)
 *   linux       alloc_iova(size_aligned)/__free_iova()
 * Every request asks for alignment to the size rounded up to a power of
 * two, which is what Linux's size_aligned allocations and its DMA layer do.
 *
 * Tests (module parameter tests=, a comma list; default all):
 *   ref    reference loops timed in every boot: Linux alloc_iova/__free_iova
 *          pairs on an empty domain and a fixed integer loop; figures from
 *          different boots are divided by them
 *   loop   alloc+free pairs at 1..32 pages (Linux's cached sizes) and one
 *          uncached size, on an empty domain: batch means of 1000 pairs
 *   churn  allocations timed one by one on a fragmented space: "mix" (a
 *          realistic size mix, free a random live range, allocate),
 *          "linwalk" (1-page holes above Linux's cached node, 2-page
 *          requests) and "3in4" (3-page requests aligned to 4 among 3-page
 *          gaps that start at 1 mod 4)
 *   scale  free+alloc of one page at 1e3..1e6 live ranges
 *   mem    slab bytes per live range, and what the caches hold
 *
 * Timing: the guest's clock is the HPET under TCG (a ktime_get_ns() costs
 * ~190 ns), so loops are timed in batches; where single operations are
 * timed (churn), the median cost of one clock read is measured first and
 * subtracted, and is printed ("clock" line) so the floor is visible.
 *
 * The module does its work in its init function and returns 0; rmmod it
 * afterwards. It never loads together with vtd_remap.ko (both would make a
 * slab cache of the same name; they do not share anything else).
 */
#define pr_fmt(fmt) fmt

#include <linux/iova.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "iova.h"
#include "bench_list.h"
#include "bench_rng.h"

static char *tests = "ref,loop,churn,scale,mem";
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "Comma list of ref, loop, churn, scale, mem");

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "Fewer operations and live ranges (development)");

static ulong max_live = 1000000;
module_param(max_live, ulong, 0444);
MODULE_PARM_DESC(max_live, "Largest live-range count of the scale test");

/* A 48-bit space of 4 KiB frames; frame 0 is never handed out. */
#define BENCH_LAST_PFN	((1UL << 36) - 1)
#define BENCH_UNCACHED	128	/* pages: above Linux's largest cached size */

enum bench_impl { OURS, OURS_FAST, LIN_FAST, LIN, NR_IMPL };

static const char * const impl_name[NR_IMPL] = {
	[OURS] = "ours", [OURS_FAST] = "ours-fast",
	[LIN_FAST] = "linux-fast", [LIN] = "linux",
};

/* One allocator instance; @lin is used by the two Linux impls. */
struct bench_ctx {
	enum bench_impl impl;
	struct vtd_iova_domain ours;
	struct iova_domain lin;
};

/* Live ranges of a test: frame, size and (Linux alloc_iova) the node. */
struct bench_live {
	unsigned long *pfn;
	unsigned long *size;
	struct iova **node;
	unsigned long cap;
	unsigned long n;
};

static u64 bench_clock_ns;	/* median cost of one ktime_get_ns() */

/*
 * The fast API of the per-CPU caches. Switching "ours" itself to it is the
 * one line in bench_alloc()/bench_free() that names OURS.
 */
static int bench_cache_init(struct vtd_iova_domain *d)
{
	int ret = vtd_iova_cache_init(d);

	if (ret)
		vtd_iova_domain_destroy(d);
	return ret;
}

static int ours_fast_alloc(struct vtd_iova_domain *d, unsigned long size,
			   unsigned long limit, unsigned long align,
			   unsigned long *pfn)
{
	/*
	 * Sizes up to 32 pages are rounded and aligned as asked; above, the
	 * fast path aligns to the next power of two, as asked too.
	 */
	return vtd_iova_alloc_fast(d, size, limit, GFP_KERNEL, pfn);
}

static void ours_fast_free(struct vtd_iova_domain *d, unsigned long pfn,
			   unsigned long size)
{
	vtd_iova_free_fast(d, pfn, size);
}

/* --- the allocators behind one interface ------------------------------ */

static int bench_init(struct bench_ctx *c, enum bench_impl impl)
{
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->impl = impl;
	switch (impl) {
	case OURS:
	case OURS_FAST:
		ret = vtd_iova_domain_init(&c->ours, PAGE_SIZE, 1,
					   BENCH_LAST_PFN);
		if (!ret && impl == OURS_FAST)
			ret = bench_cache_init(&c->ours);
		break;
	case LIN_FAST:
		init_iova_domain(&c->lin, PAGE_SIZE, 1);
		ret = iova_domain_init_rcaches(&c->lin);
		if (ret)
			put_iova_domain(&c->lin);
		break;
	case LIN:
		init_iova_domain(&c->lin, PAGE_SIZE, 1);
		break;
	default:
		ret = -EINVAL;
	}
	return ret;
}

static void bench_fini(struct bench_ctx *c)
{
	if (c->impl == OURS || c->impl == OURS_FAST) {
		vtd_iova_cache_destroy(&c->ours);
		vtd_iova_domain_destroy(&c->ours);
	} else {
		put_iova_domain(&c->lin);
	}
}

/* Return: 0 with *pfn (and *node for alloc_iova), or -errno. */
static int bench_alloc(struct bench_ctx *c, unsigned long size,
		       unsigned long limit, unsigned long *pfn,
		       struct iova **node)
{
	unsigned long align = roundup_pow_of_two(size);
	struct iova *iova;

	switch (c->impl) {
	case OURS:
		return vtd_iova_alloc(&c->ours, size, limit, align, GFP_KERNEL,
				      pfn);
	case OURS_FAST:
		return ours_fast_alloc(&c->ours, size, limit, align, pfn);
	case LIN_FAST:
		*pfn = alloc_iova_fast(&c->lin, size, limit, true);
		return *pfn ? 0 : -ENOSPC;
	case LIN:
		iova = alloc_iova(&c->lin, size, limit, true);
		if (!iova)
			return -ENOSPC;
		*pfn = iova->pfn_lo;
		*node = iova;
		return 0;
	default:
		return -EINVAL;
	}
}

static void bench_free(struct bench_ctx *c, unsigned long pfn,
		       unsigned long size, struct iova *node)
{
	switch (c->impl) {
	case OURS:
		vtd_iova_free(&c->ours, pfn, size);
		break;
	case OURS_FAST:
		ours_fast_free(&c->ours, pfn, size);
		break;
	case LIN_FAST:
		free_iova_fast(&c->lin, pfn, size);
		break;
	case LIN:
		__free_iova(&c->lin, node);
		break;
	default:
		break;
	}
}

/* A reserved hole [lo, last] (never handed out). Return: 0 or -errno. */
static int bench_reserve(struct bench_ctx *c, unsigned long lo,
			 unsigned long last)
{
	if (c->impl == OURS || c->impl == OURS_FAST)
		return vtd_iova_reserve(&c->ours, lo, last, GFP_KERNEL);
	return reserve_iova(&c->lin, lo, last) ? 0 : -ENOMEM;
}

/* --- live-range arrays -------------------------------------------------- */

static int live_alloc(struct bench_live *l, unsigned long cap)
{
	l->cap = cap;
	l->n = 0;
	l->pfn = kvcalloc(cap, sizeof(*l->pfn), GFP_KERNEL);
	l->size = kvcalloc(cap, sizeof(*l->size), GFP_KERNEL);
	l->node = kvcalloc(cap, sizeof(*l->node), GFP_KERNEL);
	if (!l->pfn || !l->size || !l->node) {
		kvfree(l->pfn);
		kvfree(l->size);
		kvfree(l->node);
		return -ENOMEM;
	}
	return 0;
}

static void live_release(struct bench_live *l)
{
	kvfree(l->pfn);
	kvfree(l->size);
	kvfree(l->node);
}

/* Allocate into slot @i. Return: 0 or -errno. */
static int live_get(struct bench_ctx *c, struct bench_live *l,
		    unsigned long i, unsigned long size)
{
	int ret = bench_alloc(c, size, BENCH_LAST_PFN, &l->pfn[i], &l->node[i]);

	if (!ret)
		l->size[i] = size;
	return ret;
}

static void live_put(struct bench_ctx *c, struct bench_live *l,
		     unsigned long i)
{
	if (!l->size[i])
		return;
	bench_free(c, l->pfn[i], l->size[i], l->node[i]);
	l->size[i] = 0;
}

static void live_put_all(struct bench_ctx *c, struct bench_live *l)
{
	unsigned long i;

	for (i = 0; i < l->n; i++) {
		live_put(c, l, i);
		if (!(i & 1023))
			cond_resched();
	}
	l->n = 0;
}

/* --- statistics ---------------------------------------------------------- */

/* Sorts @v; the value at quantile @q permille. */
static u64 quantile(u64 *v, unsigned long n, unsigned int q)
{
	unsigned long i;

	if (!n)
		return 0;
	i = (n - 1) * q / 1000;
	return v[i];
}

static void sort_u64(u64 *v, unsigned long n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
}

static u64 mean_u64(const u64 *v, unsigned long n)
{
	u64 s = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		s += v[i];
	return n ? div64_u64(s, n) : 0;
}

/* Median cost of one ktime_get_ns(), as seen between two reads. */
static int measure_clock(void)
{
	const unsigned int n = 1001;
	unsigned int i;
	u64 *v;

	v = kcalloc(n, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		u64 t0 = ktime_get_ns();

		v[i] = ktime_get_ns() - t0;
	}
	sort_u64(v, n);
	bench_clock_ns = quantile(v, n, 500);
	kfree(v);
	pr_info("VTD-BENCH clock - ns=%llu\n", bench_clock_ns);
	return 0;
}

/* --- ref: the loops every boot times ------------------------------------ */

static noinline u64 ref_int_loop(unsigned long n)
{
	u64 x = 88172645463325252ULL;

	while (n--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static int test_ref(void)
{
	struct bench_ctx *c;
	u64 v[21];
	int b, i, ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = bench_init(c, LIN);
	if (ret)
		goto out;
	for (b = 0; b < ARRAY_SIZE(v); b++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < 1000; i++) {
			struct iova *n = alloc_iova(&c->lin, 1, BENCH_LAST_PFN,
						    true);

			if (!n) {
				ret = -ENOSPC;
				break;
			}
			__free_iova(&c->lin, n);
		}
		v[b] = div_u64(ktime_get_ns() - t0, 1000);
		cond_resched();
	}
	bench_fini(c);
	if (ret)
		goto out;
	sort_u64(v, ARRAY_SIZE(v));
	pr_info("VTD-BENCH ref linux-alloc_iova ns=%llu what=alloc_iova+__free_iova_1_page_empty_domain\n",
		quantile(v, ARRAY_SIZE(v), 500));

	for (b = 0; b < ARRAY_SIZE(v); b++) {
		u64 t0 = ktime_get_ns();
		u64 x = ref_int_loop(100000);

		v[b] = div_u64(ktime_get_ns() - t0, 100);
		/* keep the loop's result alive */
		if (x == 42)
			pr_info("vtd_bench: unlikely\n");
		cond_resched();
	}
	sort_u64(v, ARRAY_SIZE(v));
	pr_info("VTD-BENCH ref int-loop ns=%llu what=ns_per_1000_xorshift_rounds\n",
		quantile(v, ARRAY_SIZE(v), 500));
out:
	kfree(c);
	return ret;
}

/* --- loop: alloc+free pairs on an empty domain --------------------------- */

static int loop_one(enum bench_impl impl, unsigned long size,
		    unsigned int nbatch)
{
	struct bench_ctx *c;
	u64 *v;
	unsigned int b, i;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	v = kcalloc(nbatch, sizeof(*v), GFP_KERNEL);
	if (!c || !v) {
		ret = -ENOMEM;
		goto out;
	}
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	/* One untimed batch warms the caches, then nbatch timed ones. */
	for (b = 0; b <= nbatch; b++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < 1000; i++) {
			unsigned long pfn;
			struct iova *n = NULL;

			ret = bench_alloc(c, size, BENCH_LAST_PFN, &pfn, &n);
			if (ret)
				break;
			bench_free(c, pfn, size, n);
		}
		if (ret)
			break;
		if (b)
			v[b - 1] = div_u64(ktime_get_ns() - t0, 1000);
		cond_resched();
	}
	bench_fini(c);
	if (ret)
		goto out;
	sort_u64(v, nbatch);
	pr_info("VTD-BENCH loop %s size=%lu med=%llu p99=%llu min=%llu batches=%u\n",
		impl_name[impl], size, quantile(v, nbatch, 500),
		quantile(v, nbatch, 990), v[0], nbatch);
out:
	if (ret)
		pr_info("VTD-BENCH loop %s size=%lu error=%d\n", impl_name[impl],
			size, ret);
	kfree(v);
	kfree(c);
	return ret;
}

static int test_loop(void)
{
	static const unsigned long sizes[] = { 1, 2, 4, 8, 16, 32,
					       BENCH_UNCACHED };
	unsigned int nbatch = quick ? 10 : 50;
	int impl, s, ret = 0;

	for (s = 0; s < ARRAY_SIZE(sizes); s++)
		for (impl = 0; impl < NR_IMPL; impl++)
			ret |= loop_one(impl, sizes[s], nbatch);
	return ret;
}

/* --- churn: single allocations on a fragmented space --------------------- */

/*
 * The realistic mix, in percent: small network and metadata buffers
 * dominate, block I/O brings 16..256 KiB. Three sizes are not powers of two.
 */
static unsigned long mix_size(void)
{
	unsigned long r = rng_below(100);

	if (r < 50)
		return 1;
	if (r < 65)
		return 2;
	if (r < 70)
		return 3;
	if (r < 80)
		return 4;
	if (r < 85)
		return 6;
	if (r < 90)
		return 8;
	if (r < 93)
		return 12;
	if (r < 97)
		return 16;
	if (r < 99)
		return 32;
	return 64;
}

/* Prints one churn line from @v (single-allocation times, unsorted). */
static void churn_print(const char *pat, enum bench_impl impl, u64 *v,
			unsigned long n, unsigned long live)
{
	u64 mean = mean_u64(v, n);

	sort_u64(v, n);
	pr_info("VTD-BENCH churn %s pattern=%s live=%lu ops=%lu med=%llu p99=%llu max=%llu mean=%llu\n",
		impl_name[impl], pat, live, n, quantile(v, n, 500),
		quantile(v, n, 990), v[n - 1], mean);
}

/* The time of one allocation, less the clock's own cost. */
static u64 timed_since(u64 t0)
{
	u64 d = ktime_get_ns() - t0;

	return d > bench_clock_ns ? d - bench_clock_ns : 0;
}

static int churn_mix(enum bench_impl impl, unsigned long live,
		     unsigned long ops)
{
	struct bench_live l;
	struct bench_ctx *c;
	unsigned long i, k;
	u64 *v;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	v = kvcalloc(ops, sizeof(*v), GFP_KERNEL);
	if (!c || !v || live_alloc(&l, live)) {
		kfree(c);
		kvfree(v);
		return -ENOMEM;
	}
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	rng_seed(0x5eed0001);
	for (i = 0; i < live && !ret; i++) {
		ret = live_get(c, &l, i, mix_size());
		l.n = i + 1;
		if (!(i & 1023))
			cond_resched();
	}
	/* Fragment it: free a random third, reallocate with new sizes. */
	for (k = 0; k < live / 3 && !ret; k++) {
		i = rng_below(live);
		live_put(c, &l, i);
		ret = live_get(c, &l, i, mix_size());
	}
	for (k = 0; k < ops && !ret; k++) {
		unsigned long sz = mix_size();
		u64 t0;

		i = rng_below(live);
		live_put(c, &l, i);
		t0 = ktime_get_ns();
		ret = live_get(c, &l, i, sz);
		v[k] = timed_since(t0);
		if (!(k & 255))
			cond_resched();
	}
	if (!ret)
		churn_print("mix", impl, v, ops, live);
	live_put_all(c, &l);
	bench_fini(c);
out:
	if (ret)
		pr_info("VTD-BENCH churn %s pattern=mix error=%d\n",
			impl_name[impl], ret);
	live_release(&l);
	kvfree(v);
	kfree(c);
	return ret;
}

/*
 * Linux's linear walk: a dense block of 1-page ranges on top, below it
 * 1-page ranges alternating with 1-page holes. Each round frees a range in
 * the dense block (Linux's cached node moves above it), then times a
 * 2-page request: no 1-page hole fits it, so Linux walks every one of them
 * down to the free space below; the range is freed again.
 */
static int churn_linwalk(enum bench_impl impl, unsigned long live,
			 unsigned long ops)
{
	unsigned long dense = live / 2, total = dense + live, i, k, half;
	struct bench_live l;
	struct bench_ctx *c;
	u64 *v;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	v = kvcalloc(ops, sizeof(*v), GFP_KERNEL);
	if (!c || !v || live_alloc(&l, total)) {
		kfree(c);
		kvfree(v);
		return -ENOMEM;
	}
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	/* Top-down: slots [0, dense) are the dense block. */
	for (i = 0; i < total && !ret; i++) {
		ret = live_get(c, &l, i, 1);
		l.n = i + 1;
		if (!(i & 1023))
			cond_resched();
	}
	for (i = dense + 1; i < total && !ret; i += 2)
		live_put(c, &l, i);
	half = dense / 2;
	for (k = 0; k < ops && !ret; k++) {
		unsigned long pfn;
		struct iova *n = NULL;
		u64 t0;

		/* Even slots of the dense block, never two neighbours. */
		i = 2 * ((k * 7919) % half);
		live_put(c, &l, i);
		t0 = ktime_get_ns();
		ret = bench_alloc(c, 2, BENCH_LAST_PFN, &pfn, &n);
		v[k] = timed_since(t0);
		if (!ret)
			bench_free(c, pfn, 2, n);
		if (!(k & 63))
			cond_resched();
	}
	if (!ret)
		churn_print("linwalk", impl, v, ops, live);
	live_put_all(c, &l);
	bench_fini(c);
out:
	if (ret)
		pr_info("VTD-BENCH churn %s pattern=linwalk error=%d\n",
			impl_name[impl], ret);
	live_release(&l);
	kvfree(v);
	kfree(c);
	return ret;
}

/*
 * The shape that can make ours walk: @gaps reserved single frames at
 * 0 mod 4 with 3-frame gaps at 1..3 mod 4 between them; 3-frame requests
 * aligned to 4 under a limit at the top of that region fit in none of the
 * gaps and must land below it.
 */
static int churn_3in4(enum bench_impl impl, unsigned long gaps,
		      unsigned long ops)
{
	/*
	 * Above 4 GiB: Linux keeps a separate cached node for ranges below
	 * its 32-bit boundary, and a region straddling it would time that.
	 */
	unsigned long base = 1UL << 24, top = base + 4 * gaps - 1, i, k;
	struct bench_ctx *c;
	u64 *v;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	v = kvcalloc(ops, sizeof(*v), GFP_KERNEL);
	if (!c || !v) {
		ret = -ENOMEM;
		goto out;
	}
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	for (i = 0; i < gaps && !ret; i++)
		ret = bench_reserve(c, base + 4 * i, base + 4 * i);
	for (k = 0; k < ops && !ret; k++) {
		unsigned long pfn;
		struct iova *n = NULL;
		u64 t0 = ktime_get_ns();

		ret = bench_alloc(c, 3, top, &pfn, &n);
		v[k] = timed_since(t0);
		if (!ret && pfn >= base) {
			pr_info("vtd_bench: 3in4: %s placed 3 frames at %#lx inside the region\n",
				impl_name[impl], pfn);
			ret = -EFAULT;
		}
		if (!ret)
			bench_free(c, pfn, 3, n);
		if (!(k & 63))
			cond_resched();
	}
	if (!ret)
		churn_print("3in4", impl, v, ops, gaps);
	bench_fini(c);
out:
	if (ret)
		pr_info("VTD-BENCH churn %s pattern=3in4 error=%d\n",
			impl_name[impl], ret);
	kvfree(v);
	kfree(c);
	return ret;
}

static int test_churn(void)
{
	unsigned long live = quick ? 20000 : 100000;
	int impl, ret = 0;

	for (impl = 0; impl < NR_IMPL; impl++) {
		ret |= churn_mix(impl, live, quick ? 2000 : 10000);
		ret |= churn_linwalk(impl, live, quick ? 200 : 1000);
		ret |= churn_3in4(impl, quick ? 4096 : 16384,
				  quick ? 200 : 1000);
	}
	return ret;
}

/* --- scale: free+alloc of one page against the live count ---------------- */

static int scale_one(enum bench_impl impl, unsigned long live)
{
	unsigned long total = 2 * live, i, k, nb = 0;
	u64 v[64], budget = (quick ? 1 : 3) * NSEC_PER_SEC, start;
	struct bench_live l;
	struct bench_ctx *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c || live_alloc(&l, total)) {
		kfree(c);
		return -ENOMEM;
	}
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	/* 2N one-page ranges top-down, every other one freed: N live, N holes. */
	for (i = 0; i < total && !ret; i++) {
		ret = live_get(c, &l, i, 1);
		l.n = i + 1;
		if (!(i & 1023))
			cond_resched();
	}
	for (i = 1; i < total && !ret; i += 2)
		live_put(c, &l, i);
	rng_seed(0x5eed0002);
	start = ktime_get_ns();
	while (!ret && nb < ARRAY_SIZE(v) &&
	       (nb < 3 || ktime_get_ns() - start < budget)) {
		u64 t0 = ktime_get_ns();

		for (k = 0; k < 100 && !ret; k++) {
			i = 2 * rng_below(live);
			live_put(c, &l, i);
			ret = live_get(c, &l, i, 1);
		}
		v[nb++] = div_u64(ktime_get_ns() - t0, 100);
		cond_resched();
	}
	if (!ret) {
		sort_u64(v, nb);
		pr_info("VTD-BENCH scale %s live=%lu med=%llu p90=%llu batches=%lu\n",
			impl_name[impl], live, quantile(v, nb, 500),
			quantile(v, nb, 900), nb);
	}
	live_put_all(c, &l);
	bench_fini(c);
out:
	if (ret)
		pr_info("VTD-BENCH scale %s live=%lu error=%d\n",
			impl_name[impl], live, ret);
	live_release(&l);
	kfree(c);
	return ret;
}

static int test_scale(void)
{
	unsigned long live;
	int impl, ret = 0;

	for (live = 1000; live <= (quick ? 100000 : max_live); live *= 10)
		for (impl = 0; impl < NR_IMPL; impl++)
			ret |= scale_one(impl, live);
	return ret;
}

/* --- mem: what a live range and the caches cost --------------------------- */

/* Slab bytes in use now (unreclaimable: both allocators' node caches). */
static long slab_bytes(void)
{
	return global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) *
	       PAGE_SIZE;
}

static int mem_one(enum bench_impl impl, unsigned long live)
{
	long before, built, inited, burst;
	struct bench_live l;
	struct bench_ctx *c;
	unsigned long i;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c || live_alloc(&l, live)) {
		kfree(c);
		return -ENOMEM;
	}
	before = slab_bytes();
	ret = bench_init(c, impl);
	if (ret)
		goto out;
	inited = slab_bytes();
	rng_seed(0x5eed0003);
	for (i = 0; i < live && !ret; i++) {
		ret = live_get(c, &l, i, mix_size());
		l.n = i + 1;
		if (!(i & 1023))
			cond_resched();
	}
	built = slab_bytes();
	live_put_all(c, &l);
	/* A burst: many ranges of every cached size, all freed again. */
	for (i = 0; i < live && !ret; i++) {
		ret = live_get(c, &l, i, 1UL << (i % 6));
		l.n = i + 1;
	}
	live_put_all(c, &l);
	burst = slab_bytes();
	if (!ret)
		pr_info("VTD-BENCH mem %s live=%lu bytes_per_range=%ld domain_init_bytes=%ld held_after_burst_bytes=%ld\n",
			impl_name[impl], live, (built - inited) / (long)live,
			inited - before, burst - inited);
	bench_fini(c);
out:
	if (ret)
		pr_info("VTD-BENCH mem %s error=%d\n", impl_name[impl], ret);
	live_release(&l);
	kfree(c);
	return ret;
}

static int test_mem(void)
{
	int impl, ret = 0;

	pr_info("VTD-BENCH mem-node ours node_bytes=%zu\n",
		vtd_iova_node_bytes());
	pr_info("VTD-BENCH mem-node linux node_bytes=%zu\n",
		sizeof(struct iova));
	for (impl = 0; impl < NR_IMPL; impl++)
		ret |= mem_one(impl, 100000);
	return ret;
}

/* --- module -------------------------------------------------------------- */

static bool wants(const char *name)
{
	return bench_list_has(tests, name);
}

static int __init vtd_bench_init(void)
{
	int ret;

	ret = vtd_iova_init();
	if (ret)
		return ret;
	ret = iova_cache_get();
	if (ret) {
		vtd_iova_exit();
		return ret;
	}
	pr_info("VTD-BENCH start - quick=%d fast=1 tests=%s\n", quick, tests);
	ret = measure_clock();
	if (wants("ref"))
		ret |= test_ref();
	if (wants("loop"))
		ret |= test_loop();
	if (wants("churn"))
		ret |= test_churn();
	if (wants("scale"))
		ret |= test_scale();
	if (wants("mem"))
		ret |= test_mem();
	pr_info("VTD-BENCH done - status=%s\n", ret ? "errors" : "ok");
	/* The figures are printed; errors are in them. Stay loaded. */
	return 0;
}

static void __exit vtd_bench_exit(void)
{
	iova_cache_put();
	vtd_iova_exit();
}

module_init(vtd_bench_init);
module_exit(vtd_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtd-remap bench: the project's IOVA allocator against Linux's");
