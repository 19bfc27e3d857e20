// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the IOVA allocator: the real iova.c, #included here
 * unmodified so that its parameters (iova_check, iova_fail_nth) and node
 * layout are in reach, built against the shim in shim/include under ASan
 * and UBSan.
 *
 * Suites (each one a separate run, so one line each in "make test"):
 *   shim      the shim's own alarms go off when they should
 *   contract  the API contract of iova.h, case by case, with exact errnos,
 *             plus the checker and the iova_fail_nth knob
 *   cost      nodes each search visits, counted, on adversarial layouts of
 *             10^3..10^5 ranges: at most 8 * log2(n) + 8 for every shape
 *   cache     the per-CPU caches on emulated CPUs: threads, flushes,
 *             shrinker scans, CPU offline drains; no range out twice
 *   random    differential test against the reference model (iova_model.c)
 *             on random operation sequences; the seed is printed
 *   failnth   every allocation of a scenario made to fail in turn: each
 *             call either completes or returns -ENOMEM and changes nothing
 *   threads   several threads allocating and freeing in one domain: no
 *             frame handed out twice
 *
 * usage: iova_test [-s SEED] [-x SCALE] [-v] SUITE...
 */
#include "../iova.c"
#undef pr_fmt
#include "../iova_rcache.c"
/* The messages this file prints itself carry iova.c's prefix. */
#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": iova: " fmt

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iova_twin.h"
#include "vtd_shim.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SHIM_TEST_ASAN 1
#else
#define SHIM_TEST_ASAN 0
#endif

/* --- harness --------------------------------------------------------- */

static unsigned long test_seed;
static unsigned long test_scale = 1;
static bool test_verbose;
static int case_failures;	/* checks failed in the running case */
static long case_errs_expected;	/* pr_err() the running case provoked */

static __printf(2, 3) void test_fail(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    FAIL line %d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	__atomic_add_fetch(&case_failures, 1, __ATOMIC_RELAXED);
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		test_fail(__LINE__, "%s", #cond);			\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long __a = (a), __b = (b);				\
	if (__a != __b)							\
		test_fail(__LINE__, "%s == %#lx, expected %s == %#lx",	\
			  #a, __a, #b, __b);				\
} while (0)

#define CHECK_RET(expr, want) do {					\
	int __r = (expr), __w = (want);					\
	if (__r != __w)							\
		test_fail(__LINE__, "%s returned %d, expected %d",	\
			  #expr, __r, __w);				\
} while (0)

/* xorshift64*: small, fast, and the same sequence everywhere. */
struct rng {
	unsigned long s;
};

static void rng_init(struct rng *r, unsigned long seed)
{
	r->s = seed * 0x9e3779b97f4a7c15UL + 0x632be59bd9b4e019UL;
	if (!r->s)
		r->s = 1;
}

static unsigned long rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dUL;
}

/* Uniform enough in [0, n); n > 0. */
static unsigned long rng_below(struct rng *r, unsigned long n)
{
	return rng_next(r) % n;
}

/* --- helpers on a real domain --------------------------------------- */

static void dom_init(struct vtd_iova_domain *d, unsigned long granule,
		     unsigned long start, unsigned long last)
{
	int ret = vtd_iova_domain_init(d, granule, start, last);

	if (ret) {
		test_fail(__LINE__, "init([%#lx, %#lx]) returned %d", start,
			  last, ret);
		exit(1);
	}
}

#define ALLOC(d, size, limit, align, want) \
	check_alloc(__LINE__, d, size, limit, align, 0, want)
#define ALLOC_ERR(d, size, limit, align, err) \
	check_alloc(__LINE__, d, size, limit, align, err, 0)

/* An allocation must return @err, and on success exactly @want. */
static unsigned long check_alloc(int line, struct vtd_iova_domain *d,
				 unsigned long size, unsigned long limit,
				 unsigned long align, int err,
				 unsigned long want)
{
	unsigned long pfn = 0x5a5a5a5a;
	int ret = vtd_iova_alloc(d, size, limit, align, GFP_KERNEL, &pfn);

	if (ret != err)
		test_fail(line, "alloc(%#lx, limit %#lx, align %#lx) = %d (%#lx), expected %d",
			  size, limit, align, ret, pfn, err);
	else if (!ret && pfn != want)
		test_fail(line, "alloc(%#lx, limit %#lx, align %#lx) gave %#lx, expected %#lx",
			  size, limit, align, pfn, want);
	else if (ret && pfn != 0x5a5a5a5a)
		test_fail(line, "alloc failed with %d but wrote %#lx", ret,
			  pfn);
	return pfn;
}

#define EXPECT_RANGE(d, pfn, lo, last, rsv) \
	check_range(__LINE__, d, pfn, lo, last, rsv)

static void check_range(int line, struct vtd_iova_domain *d,
			unsigned long pfn, unsigned long lo,
			unsigned long last, bool reserved)
{
	struct vtd_iova_range r;
	int ret = vtd_iova_find(d, pfn, &r);

	if (ret)
		test_fail(line, "find(%#lx) returned %d", pfn, ret);
	else if (r.pfn_lo != lo || r.pfn_last != last ||
		 r.reserved != reserved)
		test_fail(line, "find(%#lx) = [%#lx, %#lx]%s, expected [%#lx, %#lx]%s",
			  pfn, r.pfn_lo, r.pfn_last,
			  r.reserved ? " reserved" : "", lo, last,
			  reserved ? " reserved" : "");
}

#define EXPECT_FREE(d, pfn) check_free_frame(__LINE__, d, pfn)

static void check_free_frame(int line, struct vtd_iova_domain *d,
			     unsigned long pfn)
{
	struct vtd_iova_range r;
	int ret = vtd_iova_find(d, pfn, &r);

	if (ret != -ENOENT)
		test_fail(line, "find(%#lx) returned %d, [%#lx, %#lx]: expected a free frame",
			  pfn, ret, r.pfn_lo, r.pfn_last);
}

#define EXPECT_STATS(d, na, fa, nr, fr) \
	check_stats(__LINE__, d, na, fa, nr, fr)

static void check_stats(int line, struct vtd_iova_domain *d,
			unsigned long nr_alloc, unsigned long alloc_frames,
			unsigned long nr_rsv, unsigned long rsv_frames)
{
	struct vtd_iova_stats st;

	vtd_iova_get_stats(d, &st);
	if (st.nr_allocated != nr_alloc || st.allocated_frames != alloc_frames ||
	    st.nr_reserved != nr_rsv || st.reserved_frames != rsv_frames)
		test_fail(line, "stats %lu (%lu) alloc, %lu (%lu) rsv; want %lu (%lu), %lu (%lu)",
			  st.nr_allocated, st.allocated_frames, st.nr_reserved,
			  st.reserved_frames, nr_alloc, alloc_frames, nr_rsv,
			  rsv_frames);
	if (st.bytes != (nr_alloc + nr_rsv + 1) * vtd_iova_node_bytes())
		test_fail(line, "stats.bytes %zu", st.bytes);
	if (vtd_iova_check(d))
		test_fail(line, "vtd_iova_check() failed");
}

/* The state counters agree (the last search's cost is not state). */
static bool stats_same(const struct vtd_iova_stats *a,
		       const struct vtd_iova_stats *b)
{
	struct vtd_iova_stats x = *a, y = *b;

	x.last_search_visits = 0;
	y.last_search_visits = 0;
	return !memcmp(&x, &y, sizeof(x));
}

#define EXPECT_REFUSED(d, pfn, size, err) \
	check_refused(__LINE__, d, pfn, size, err)

/* A refused free: @err, exactly one warning, nothing changed. */
static void check_refused(int line, struct vtd_iova_domain *d,
			  unsigned long pfn, unsigned long size, int err)
{
	struct vtd_iova_stats before, after;
	struct shim_counts c0, c1;
	int ret;

	vtd_iova_get_stats(d, &before);
	shim_get_counts(&c0);
	ret = vtd_iova_free(d, pfn, size);
	shim_get_counts(&c1);
	vtd_iova_get_stats(d, &after);
	if (ret != err)
		test_fail(line, "free(%#lx, %#lx) returned %d, expected %d",
			  pfn, size, ret, err);
	if (c1.pr_warn - c0.pr_warn != 1)
		test_fail(line, "free(%#lx, %#lx): %ld warnings, expected 1",
			  pfn, size, c1.pr_warn - c0.pr_warn);
	if (c1.pr_err != c0.pr_err)
		test_fail(line, "free(%#lx, %#lx) printed an error", pfn, size);
	if (!stats_same(&before, &after) || vtd_iova_check(d))
		test_fail(line, "refused free(%#lx, %#lx) changed the domain",
			  pfn, size);
}

/* --- shim suite ------------------------------------------------------ */

/*
 * The shim's alarms, each provoked once with the shim made non-fatal: if
 * one of them stayed silent, the other suites could not be trusted.
 */
struct shim_locker {
	spinlock_t *lock;	/* taken by the thread, tested by the test */
	pthread_mutex_t m;	/* protects stage */
	pthread_cond_t cv;
	int stage;
};

static void *shim_locker_thread(void *arg)
{
	struct shim_locker *l = arg;

	spin_lock(l->lock);
	pthread_mutex_lock(&l->m);
	l->stage = 1;
	pthread_cond_broadcast(&l->cv);
	while (l->stage != 2)
		pthread_cond_wait(&l->cv, &l->m);
	pthread_mutex_unlock(&l->m);
	spin_unlock(l->lock);
	return NULL;
}

static long shim_bugs_since(const struct shim_counts *c0)
{
	struct shim_counts c;

	shim_get_counts(&c);
	return c.bugs - c0->bugs;
}

static void test_shim_allocator(void)
{
	struct kmem_cache *cache = kmem_cache_create("shim_test", 24, 0, 0,
						     NULL);
	struct shim_counts c0, c1;
	unsigned char *p, *q;
	void *v;

	CHECK(cache);
	shim_set_fatal(false);

	shim_get_counts(&c0);
	p = kmem_cache_alloc(cache, GFP_KERNEL);
	CHECK(p && p[0] == 0x5a && p[23] == 0x5a);
	q = kmem_cache_zalloc(cache, GFP_KERNEL);
	CHECK(q && q[0] == 0 && q[23] == 0);
	shim_get_counts(&c1);
	CHECK_EQ(c1.allocs - c0.allocs, 2);
	CHECK_EQ(c1.live - c0.live, 2);

	kmem_cache_free(cache, p);
	CHECK_EQ(shim_bugs_since(&c0), 0);
	kmem_cache_free(cache, p);
	CHECK_EQ(shim_bugs_since(&c0), 1);	/* double free */
	kfree(q);
	CHECK_EQ(shim_bugs_since(&c0), 2);	/* kfree of a slab object */
	kmem_cache_destroy(cache);
	CHECK_EQ(shim_bugs_since(&c0), 3);	/* q is still live */
	kmem_cache_free(cache, q);
	CHECK_EQ(shim_bugs_since(&c0), 3);

	v = kvcalloc(4, 8, GFP_KERNEL);
	CHECK(v);
	kmem_cache_free(cache, v);
	CHECK_EQ(shim_bugs_since(&c0), 4);	/* wrong family */
	kvfree(v);
	CHECK(!kvcalloc(ULONG_MAX / 4, 8, GFP_KERNEL));	/* overflow */

	/* A write after free is found when the object leaves quarantine. */
	p = kmalloc(16, GFP_KERNEL);
	kfree(p);
	shim_quarantine_flush();
	CHECK_EQ(shim_bugs_since(&c0), 4);
#if !SHIM_TEST_ASAN
	p = kmalloc(16, GFP_KERNEL);
	kfree(p);
	p[3] = 1;	/* only without ASan, which would stop here */
	shim_quarantine_flush();
	CHECK_EQ(shim_bugs_since(&c0), 5);
#endif
	kmem_cache_destroy(cache);

	/* shim_fail_nth() fails exactly the Nth allocation from now. */
	shim_get_counts(&c0);
	shim_fail_nth(3);
	p = kmalloc(1, GFP_ATOMIC);
	q = kmalloc(1, GFP_ATOMIC);
	v = kmalloc(1, GFP_ATOMIC);
	CHECK(p && q && !v);
	kfree(p);
	kfree(q);
	p = kmalloc(1, GFP_ATOMIC);
	CHECK(p);
	kfree(p);
	shim_get_counts(&c1);
	CHECK_EQ(c1.injected - c0.injected, 1);
	CHECK_EQ(c1.live, c0.live);
	shim_set_fatal(true);
}

static void test_shim_locks(void)
{
	struct shim_locker l = { .stage = 0 };
	struct shim_counts c0;
	unsigned long flags;
	spinlock_t lock;	/* the lock under test */
	pthread_t th;
	void *p;

	spin_lock_init(&lock);
	shim_set_fatal(false);
	shim_get_counts(&c0);

	lockdep_assert_held(&lock);
	CHECK_EQ(shim_bugs_since(&c0), 1);	/* not held at all */

	spin_lock_irqsave(&lock, flags);
	lockdep_assert_held(&lock);
	CHECK_EQ(shim_bugs_since(&c0), 1);
	p = kmalloc(8, GFP_ATOMIC);
	CHECK_EQ(shim_bugs_since(&c0), 1);
	kfree(p);
	p = kmalloc(8, GFP_KERNEL);
	CHECK_EQ(shim_bugs_since(&c0), 2);	/* sleeping under a spinlock */
	kfree(p);
	spin_lock(&lock);
	CHECK_EQ(shim_bugs_since(&c0), 3);	/* recursive */
	spin_unlock_irqrestore(&lock, flags);
	spin_unlock(&lock);
	CHECK_EQ(shim_bugs_since(&c0), 4);	/* not held */

	/* Held, but by another thread. */
	l.lock = &lock;
	pthread_mutex_init(&l.m, NULL);
	pthread_cond_init(&l.cv, NULL);
	pthread_create(&th, NULL, shim_locker_thread, &l);
	pthread_mutex_lock(&l.m);
	while (l.stage != 1)
		pthread_cond_wait(&l.cv, &l.m);
	lockdep_assert_held(&lock);
	CHECK_EQ(shim_bugs_since(&c0), 5);
	l.stage = 2;
	pthread_cond_broadcast(&l.cv);
	pthread_mutex_unlock(&l.m);
	pthread_join(th, NULL);
	shim_set_fatal(true);
}

static void test_shim_messages(void)
{
	struct shim_counts c0, c1;
	int i;

	shim_get_counts(&c0);
	for (i = 0; i < 3; i++)
		CHECK(WARN_ON_ONCE(i > 0) == (i > 0));
	CHECK(!WARN_ON(0));
	pr_warn_ratelimited("one %d\n", 1);
	pr_err("two\n");
	shim_get_counts(&c1);
	CHECK_EQ(c1.warn_on - c0.warn_on, 2);
	CHECK_EQ(c1.pr_warn - c0.pr_warn, 1);
	CHECK_EQ(c1.pr_err - c0.pr_err, 1);
	CHECK(strstr(shim_last_msg(), "iova: two"));
	CHECK(!strchr(shim_last_msg(), '\n'));
	case_errs_expected++;
	/* The warnings above are this test's own: do not fail the case. */
	shim_reset_counts();
	case_errs_expected = 0;
}

/* --- contract suite -------------------------------------------------- */

static void test_init_args(void)
{
	static const struct {
		unsigned long granule, start, last;
		int ret;
	} table[] = {
		{ 0, 0, 10, -EINVAL },
		{ 3, 0, 10, -EINVAL },
		{ 4095, 0, 10, -EINVAL },
		{ 4096, 11, 10, -EINVAL },
		{ 4096, 0, ULONG_MAX, -EINVAL },
		{ 1, ULONG_MAX, ULONG_MAX, -EINVAL },
		{ 1, 5, 5, 0 },
		{ 1, 0, 0, 0 },
		{ 1UL << 63, 0, 1, 0 },
		{ 4096, 0, ULONG_MAX - 1, 0 },
		{ 4096, ULONG_MAX - 1, ULONG_MAX - 1, 0 },
	};
	struct vtd_iova_domain d;
	struct shim_counts c0, c1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table); i++) {
		shim_get_counts(&c0);
		CHECK_RET(vtd_iova_domain_init(&d, table[i].granule,
					       table[i].start, table[i].last),
			  table[i].ret);
		shim_get_counts(&c1);
		if (table[i].ret) {
			CHECK_EQ(c1.live, c0.live);
			continue;
		}
		CHECK_EQ(vtd_iova_shift(&d), ilog2(table[i].granule));
		EXPECT_STATS(&d, 0, 0, 0, 0);
		vtd_iova_domain_destroy(&d);
	}
}

static void test_empty_domain(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_stats st;

	CHECK(vtd_iova_node_bytes() >= sizeof(struct vtd_iova_node));
	CHECK(vtd_iova_node_bytes() <= VTD_IOVA_NODE_BYTES);
	dom_init(&d, 4096, 0x100, 0x1ff);
	vtd_iova_get_stats(&d, &st);
	CHECK_EQ(st.largest_gap, 0x100);
	CHECK_EQ(st.bytes, vtd_iova_node_bytes());
	EXPECT_FREE(&d, 0x100);
	EXPECT_FREE(&d, 0x1ff);
	EXPECT_FREE(&d, 0x200);		/* the anchor is not a range */
	EXPECT_FREE(&d, 0xff);
	EXPECT_FREE(&d, ULONG_MAX);
	vtd_iova_domain_destroy(&d);

	dom_init(&d, 1, 0, ULONG_MAX - 1);
	vtd_iova_get_stats(&d, &st);
	CHECK_EQ(st.largest_gap, ULONG_MAX);
	EXPECT_FREE(&d, ULONG_MAX);
	EXPECT_FREE(&d, ULONG_MAX - 1);
	vtd_iova_domain_destroy(&d);
}

static void test_alloc_args(void)
{
	struct vtd_iova_domain d;
	struct shim_counts c0, c1;

	dom_init(&d, 4096, 0x100, 0x1ff);
	shim_get_counts(&c0);
	ALLOC_ERR(&d, 0, 0x1ff, 1, -EINVAL);
	ALLOC_ERR(&d, 1, 0x1ff, 0, -EINVAL);
	ALLOC_ERR(&d, 1, 0x1ff, 3, -EINVAL);
	ALLOC_ERR(&d, 1, 0x1ff, 6, -EINVAL);
	ALLOC_ERR(&d, 1, 0x1ff, ULONG_MAX, -EINVAL);
	ALLOC_ERR(&d, 0, 0x1ff, 3, -EINVAL);
	ALLOC_ERR(&d, 1, 0xff, 1, -ENOSPC);	/* limit below start */
	ALLOC_ERR(&d, 1, 0, 1, -ENOSPC);
	ALLOC_ERR(&d, 0x101, ULONG_MAX, 1, -ENOSPC);
	ALLOC_ERR(&d, ULONG_MAX, ULONG_MAX, 1, -ENOSPC);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1UL << 63, -ENOSPC);
	ALLOC_ERR(&d, 1, ULONG_MAX, 0x200, -ENOSPC);
	shim_get_counts(&c1);
	CHECK_EQ(c1.live, c0.live);
	EXPECT_STATS(&d, 0, 0, 0, 0);
	ALLOC(&d, 1, 0x100, 1, 0x100);		/* limit == start */
	ALLOC(&d, 0xff, ULONG_MAX, 1, 0x101);	/* the rest, exactly */
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	EXPECT_STATS(&d, 2, 0x100, 0, 0);
	vtd_iova_domain_destroy(&d);
}

static void test_top_down(void)
{
	struct vtd_iova_domain d;
	unsigned long i;

	dom_init(&d, 4096, 0x100, 0x1ff);
	for (i = 0; i < 0x10; i++)
		ALLOC(&d, 1, ULONG_MAX, 1, 0x1ff - i);
	ALLOC(&d, 4, 0x1ff, 1, 0x1ec);
	ALLOC(&d, 1, 0x180, 1, 0x180);		/* under a limit */
	ALLOC(&d, 2, 0x180, 1, 0x17e);
	ALLOC(&d, 2, 0x181, 1, 0x17c);		/* 0x180 is taken */
	ALLOC(&d, 1, 0x1ef, 1, 0x1eb);		/* just below the run */
	EXPECT_STATS(&d, 21, 0x10 + 4 + 1 + 2 + 2 + 1, 0, 0);
	/* Free one in the middle: the next request lands in the hole. */
	CHECK_RET(vtd_iova_free(&d, 0x1f8, 1), 0);
	ALLOC(&d, 1, ULONG_MAX, 1, 0x1f8);
	CHECK_RET(vtd_iova_free(&d, 0x17e, 2), 0);
	ALLOC(&d, 2, ULONG_MAX, 1, 0x1e9);	/* the highest hole wins */
	ALLOC(&d, 2, 0x1e8, 1, 0x1e7);
	vtd_iova_domain_destroy(&d);
}

static void test_alignment(void)
{
	struct vtd_iova_domain d;

	/* An unaligned start: alignment is of the frame number itself. */
	dom_init(&d, 4096, 3, 1000);
	ALLOC(&d, 1, ULONG_MAX, 8, 1000);
	ALLOC(&d, 5, ULONG_MAX, 8, 992);
	ALLOC(&d, 5, ULONG_MAX, 8, 984);	/* 992..996 taken, 997 free */
	ALLOC(&d, 3, ULONG_MAX, 1, 997);
	ALLOC(&d, 1, ULONG_MAX, 512, 512);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1024, -ENOSPC);
	ALLOC_ERR(&d, 1, 511, 512, -ENOSPC);	/* 0 is below start */
	ALLOC(&d, 1, 7, 4, 4);
	ALLOC_ERR(&d, 1, 7, 4, -ENOSPC);
	ALLOC(&d, 1, 3, 1, 3);
	vtd_iova_domain_destroy(&d);

	/* Naturally aligned power-of-two blocks (the by_blk search). */
	dom_init(&d, 4096, 1029, 4095);
	ALLOC(&d, 1024, ULONG_MAX, 1024, 3072);
	ALLOC(&d, 1024, ULONG_MAX, 1024, 2048);
	ALLOC_ERR(&d, 1024, ULONG_MAX, 1024, -ENOSPC);	/* 1029 > 1024 */
	ALLOC(&d, 512, ULONG_MAX, 512, 1536);
	ALLOC(&d, 256, ULONG_MAX, 256, 1280);
	ALLOC_ERR(&d, 256, ULONG_MAX, 256, -ENOSPC);
	ALLOC(&d, 128, ULONG_MAX, 128, 1152);
	ALLOC(&d, 64, ULONG_MAX, 64, 1088);
	ALLOC_ERR(&d, 64, ULONG_MAX, 64, -ENOSPC);	/* 1029..1087 */
	ALLOC(&d, 32, ULONG_MAX, 32, 1056);
	ALLOC(&d, 27, ULONG_MAX, 1, 1029);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	EXPECT_STATS(&d, 8, 4095 - 1029 + 1, 0, 0);
	/* A hole [1536, 2047]: other shapes under the same alignment. */
	CHECK_RET(vtd_iova_free(&d, 1536, 512), 0);
	ALLOC(&d, 200, ULONG_MAX, 256, 1792);
	ALLOC_ERR(&d, 257, ULONG_MAX, 256, -ENOSPC);
	ALLOC(&d, 256, ULONG_MAX, 256, 1536);
	ALLOC(&d, 56, ULONG_MAX, 1, 1992);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	vtd_iova_domain_destroy(&d);
}

static unsigned long pow2_ceil(unsigned long x)
{
	return x <= 1 ? 1 : 1UL << (ilog2(x - 1) + 1);
}

/* Sizes 2^n - 1, 2^n, 2^n + 1, aligned and not; free and realloc. */
static void test_sizes(void)
{
	const unsigned long start = 0x10000, last = 0x1ffff;
	struct vtd_iova_domain d;
	unsigned long n, k, a, size, align, top, want, pfn;

	dom_init(&d, 4096, start, last);
	ALLOC(&d, 1, ULONG_MAX, 1, last);	/* so the top is unaligned */
	top = last - 1;
	for (n = 0; n <= 14; n++) {
		for (k = 0; k < 3; k++) {
			size = (1UL << n) + k - 1;
			if (!size)
				continue;
			for (a = 0; a < 3; a++) {
				align = a ? pow2_ceil(size) >> (2 - a) : 1;
				if (!align)
					continue;
				want = (top - size + 1) & ~(align - 1);
				pfn = ALLOC(&d, size, ULONG_MAX, align, want);
				CHECK_RET(vtd_iova_free(&d, pfn, size), 0);
				ALLOC(&d, size, ULONG_MAX, align, want);
				EXPECT_RANGE(&d, want, want, want + size - 1,
					     false);
				EXPECT_RANGE(&d, want + size - 1, want,
					     want + size - 1, false);
				if (want + size <= top)
					EXPECT_FREE(&d, want + size);
				if (want > start)
					EXPECT_FREE(&d, want - 1);
				CHECK_RET(vtd_iova_free(&d, want, size), 0);
			}
		}
	}
	EXPECT_STATS(&d, 1, 1, 0, 0);
	vtd_iova_domain_destroy(&d);
}

/* The edges of the number space, where pfn + size and last + 1 live. */
static void test_boundaries(void)
{
	static const struct {
		unsigned long start, last;
	} table[] = {
		{ 0, 0 },
		{ 1, 1 },
		{ 0, 15 },
		{ 0xfffff, 0x100000 },
		{ 0xffffffffUL - 7, 0xffffffffUL + 8 },
		{ ULONG_MAX - 1, ULONG_MAX - 1 },
		{ ULONG_MAX - 16, ULONG_MAX - 1 },
		{ (1UL << 63) - 5, (1UL << 63) + 4 },
		{ 0, ULONG_MAX - 1 },
	};
	struct vtd_iova_domain d;
	unsigned long s, l, frames, align;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table); i++) {
		s = table[i].start;
		l = table[i].last;
		frames = l - s + 1;	/* 0 means 2^64 - 1: see below */
		dom_init(&d, 1, s, l);
		ALLOC(&d, 1, ULONG_MAX, 1, l);
		EXPECT_RANGE(&d, l, l, l, false);
		EXPECT_FREE(&d, l + 1);
		if (s)
			ALLOC_ERR(&d, 1, s - 1, 1, -ENOSPC);
		CHECK_RET(vtd_iova_free(&d, l, 1), 0);
		/* The whole space at once, then nothing more. */
		ALLOC(&d, frames, ULONG_MAX, 1, s);
		ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
		CHECK_RET(vtd_iova_free(&d, s, frames), 0);
		if (frames != ULONG_MAX)
			ALLOC_ERR(&d, frames + 1, ULONG_MAX, 1, -ENOSPC);
		ALLOC_ERR(&d, ULONG_MAX, ULONG_MAX, 1, frames == ULONG_MAX ?
			  0 : -ENOSPC);
		if (frames == ULONG_MAX)
			CHECK_RET(vtd_iova_free(&d, 0, ULONG_MAX), 0);
		/* The highest alignment the space holds, and one above. */
		align = 1UL << 63;
		while (align > 1 && (align > l || (l & ~(align - 1)) < s))
			align >>= 1;
		ALLOC(&d, 1, ULONG_MAX, align, l & ~(align - 1));
		if (align < (1UL << 63) && (l & ~(align * 2 - 1)) < s)
			ALLOC_ERR(&d, 1, ULONG_MAX, align * 2, -ENOSPC);
		CHECK_RET(vtd_iova_free(&d, l & ~(align - 1), 1), 0);
		/* Reserve the top frame: last + 1 must not merge with it. */
		CHECK_RET(vtd_iova_reserve(&d, l, ULONG_MAX, GFP_KERNEL), 0);
		EXPECT_RANGE(&d, l, l, l, true);
		EXPECT_FREE(&d, l + 1);
		CHECK_RET(vtd_iova_reserve(&d, 0, ULONG_MAX, GFP_KERNEL), 0);
		EXPECT_RANGE(&d, s, s, l, true);
		EXPECT_STATS(&d, 0, 0, 1, frames);
		vtd_iova_domain_destroy(&d);
	}

	/* Alignment 2^63 in the full space: only 0 and 2^63 qualify. */
	dom_init(&d, 1, 0, ULONG_MAX - 1);
	ALLOC(&d, 1, ULONG_MAX, 1UL << 63, 1UL << 63);
	ALLOC(&d, 1UL << 63, ULONG_MAX, 1UL << 63, 0);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1UL << 63, -ENOSPC);
	ALLOC(&d, (1UL << 63) - 2, ULONG_MAX, 1, (1UL << 63) + 1);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	EXPECT_STATS(&d, 3, ULONG_MAX, 0, 0);
	vtd_iova_domain_destroy(&d);
}

static void test_find(void)
{
	struct vtd_iova_domain d;

	dom_init(&d, 4096, 0x1000, 0x1fff);
	ALLOC(&d, 0x10, ULONG_MAX, 1, 0x1ff0);
	ALLOC(&d, 0x10, ULONG_MAX, 1, 0x1fe0);	/* touching, not merged */
	CHECK_RET(vtd_iova_reserve(&d, 0x1800, 0x18ff, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0x1ff0, 0x1ff0, 0x1fff, false);
	EXPECT_RANGE(&d, 0x1ff7, 0x1ff0, 0x1fff, false);
	EXPECT_RANGE(&d, 0x1fff, 0x1ff0, 0x1fff, false);
	EXPECT_RANGE(&d, 0x1fef, 0x1fe0, 0x1fef, false);
	EXPECT_RANGE(&d, 0x1fe0, 0x1fe0, 0x1fef, false);
	EXPECT_RANGE(&d, 0x1800, 0x1800, 0x18ff, true);
	EXPECT_RANGE(&d, 0x1880, 0x1800, 0x18ff, true);
	EXPECT_FREE(&d, 0x1fdf);
	EXPECT_FREE(&d, 0x17ff);
	EXPECT_FREE(&d, 0x1900);
	EXPECT_FREE(&d, 0x1000);
	EXPECT_FREE(&d, 0xfff);
	EXPECT_FREE(&d, 0x2000);
	EXPECT_FREE(&d, 0);
	EXPECT_FREE(&d, ULONG_MAX);
	vtd_iova_domain_destroy(&d);
}

static void test_free_refused(void)
{
	struct vtd_iova_domain d;

	dom_init(&d, 4096, 0x1000, 0x1fff);
	ALLOC(&d, 8, ULONG_MAX, 1, 0x1ff8);
	CHECK_RET(vtd_iova_reserve(&d, 0x1800, 0x180f, GFP_KERNEL), 0);
	EXPECT_REFUSED(&d, 0x1ff8, 7, -EINVAL);
	EXPECT_REFUSED(&d, 0x1ff8, 9, -EINVAL);
	EXPECT_REFUSED(&d, 0x1ff8, 0, -EINVAL);
	EXPECT_REFUSED(&d, 0x1ff8, ULONG_MAX, -EINVAL);
	CHECK(strstr(shim_last_msg(), "refused free of 0x1ff8"));
	EXPECT_REFUSED(&d, 0x1ff9, 7, -ENOENT);	/* inside, not at start */
	EXPECT_REFUSED(&d, 0x1fff, 1, -ENOENT);
	EXPECT_REFUSED(&d, 0x1ff7, 1, -ENOENT);	/* free frame */
	EXPECT_REFUSED(&d, 0x1800, 0x10, -EPERM);	/* reserved */
	EXPECT_REFUSED(&d, 0x1800, 1, -EPERM);
	EXPECT_REFUSED(&d, 0x1801, 0xf, -ENOENT);
	EXPECT_REFUSED(&d, 0x2000, 1, -ENOENT);	/* the anchor */
	EXPECT_REFUSED(&d, 0xfff, 1, -ENOENT);
	EXPECT_REFUSED(&d, ULONG_MAX, 1, -ENOENT);
	EXPECT_REFUSED(&d, 0, 1, -ENOENT);
	EXPECT_STATS(&d, 1, 8, 1, 0x10);
	CHECK_RET(vtd_iova_free(&d, 0x1ff8, 8), 0);
	EXPECT_REFUSED(&d, 0x1ff8, 8, -ENOENT);	/* double free */
	EXPECT_STATS(&d, 0, 0, 1, 0x10);
	vtd_iova_domain_destroy(&d);
}

static void test_reserve_args(void)
{
	struct vtd_iova_domain d;
	struct shim_counts c0, c1;

	dom_init(&d, 4096, 0x100, 0x1ff);
	shim_get_counts(&c0);
	CHECK_RET(vtd_iova_reserve(&d, 0x150, 0x14f, GFP_KERNEL), -EINVAL);
	CHECK_RET(vtd_iova_reserve(&d, ULONG_MAX, 0, GFP_KERNEL), -EINVAL);
	CHECK_RET(vtd_iova_reserve(&d, 0, 0xff, GFP_KERNEL), 0);	/* below */
	CHECK_RET(vtd_iova_reserve(&d, 0x200, ULONG_MAX, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 0xff, 0xff, GFP_KERNEL), 0);
	shim_get_counts(&c1);
	CHECK_EQ(c1.live, c0.live);
	EXPECT_STATS(&d, 0, 0, 0, 0);
	/* Clipped at both ends. */
	CHECK_RET(vtd_iova_reserve(&d, 0, 0x100, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0x100, 0x100, 0x100, true);
	CHECK_RET(vtd_iova_reserve(&d, 0x1f0, ULONG_MAX, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0x1ff, 0x1f0, 0x1ff, true);
	EXPECT_FREE(&d, 0x200);
	EXPECT_STATS(&d, 0, 0, 2, 0x11);
	ALLOC(&d, 1, ULONG_MAX, 1, 0x1ef);
	ALLOC(&d, 0xee, ULONG_MAX, 1, 0x101);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	vtd_iova_domain_destroy(&d);

	/* The whole space reserved: nothing to hand out. */
	dom_init(&d, 1, 0, ULONG_MAX - 1);
	CHECK_RET(vtd_iova_reserve(&d, 0, ULONG_MAX, GFP_ATOMIC), 0);
	EXPECT_RANGE(&d, 0, 0, ULONG_MAX - 1, true);
	EXPECT_STATS(&d, 0, 0, 1, ULONG_MAX);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	vtd_iova_domain_destroy(&d);
}

static void test_reserve_busy(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_stats before, after;

	dom_init(&d, 4096, 0x100, 0x1ff);
	ALLOC(&d, 0x10, 0x18f, 1, 0x180);
	CHECK_RET(vtd_iova_reserve(&d, 0x170, 0x17f, GFP_KERNEL), 0);
	vtd_iova_get_stats(&d, &before);
	CHECK_RET(vtd_iova_reserve(&d, 0x180, 0x180, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0x18f, 0x18f, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0x185, 0x186, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0x100, 0x1ff, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0x160, 0x180, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0x18f, ULONG_MAX, GFP_KERNEL), -EBUSY);
	CHECK_RET(vtd_iova_reserve(&d, 0, ULONG_MAX, GFP_KERNEL), -EBUSY);
	vtd_iova_get_stats(&d, &after);
	CHECK(stats_same(&before, &after));
	EXPECT_FREE(&d, 0x160);
	EXPECT_FREE(&d, 0x190);
	/* Touching an allocation is fine, and does not merge with it. */
	CHECK_RET(vtd_iova_reserve(&d, 0x190, 0x19f, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0x190, 0x190, 0x19f, true);
	EXPECT_RANGE(&d, 0x18f, 0x180, 0x18f, false);
	EXPECT_RANGE(&d, 0x17f, 0x170, 0x17f, true);
	EXPECT_STATS(&d, 1, 0x10, 2, 0x20);
	/* Once freed, the frames can be reserved, bridging the holes. */
	CHECK_RET(vtd_iova_free(&d, 0x180, 0x10), 0);
	CHECK_RET(vtd_iova_reserve(&d, 0x180, 0x18f, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0x185, 0x170, 0x19f, true);
	EXPECT_STATS(&d, 0, 0, 1, 0x30);
	vtd_iova_domain_destroy(&d);
}

static void test_reserve_merge(void)
{
	struct vtd_iova_domain d;

	dom_init(&d, 4096, 0, 0xfff);
	CHECK_RET(vtd_iova_reserve(&d, 10, 19, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 20, 29, GFP_KERNEL), 0);	/* above */
	EXPECT_RANGE(&d, 10, 10, 29, true);
	EXPECT_STATS(&d, 0, 0, 1, 20);
	CHECK_RET(vtd_iova_reserve(&d, 5, 9, GFP_KERNEL), 0);	/* below */
	EXPECT_RANGE(&d, 29, 5, 29, true);
	CHECK_RET(vtd_iova_reserve(&d, 25, 40, GFP_KERNEL), 0);	/* overlap */
	CHECK_RET(vtd_iova_reserve(&d, 12, 13, GFP_KERNEL), 0);	/* inside */
	CHECK_RET(vtd_iova_reserve(&d, 5, 40, GFP_KERNEL), 0);	/* equal */
	EXPECT_RANGE(&d, 17, 5, 40, true);
	EXPECT_STATS(&d, 0, 0, 1, 36);
	/* Separate holes, then one reservation bridging all of them. */
	CHECK_RET(vtd_iova_reserve(&d, 50, 59, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 70, 79, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 90, 99, GFP_KERNEL), 0);
	EXPECT_STATS(&d, 0, 0, 4, 66);
	EXPECT_FREE(&d, 41);
	EXPECT_FREE(&d, 60);
	CHECK_RET(vtd_iova_reserve(&d, 42, 89, GFP_KERNEL), 0);
	EXPECT_STATS(&d, 0, 0, 2, 94);
	EXPECT_RANGE(&d, 42, 42, 99, true);
	CHECK_RET(vtd_iova_reserve(&d, 41, 41, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 41, 5, 99, true);
	EXPECT_STATS(&d, 0, 0, 1, 95);
	/* The first and last frames of the space. */
	CHECK_RET(vtd_iova_reserve(&d, 0, 0, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 0xfff, 0xfff, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&d, 1, 4, GFP_KERNEL), 0);
	EXPECT_RANGE(&d, 0, 0, 99, true);
	EXPECT_RANGE(&d, 0xfff, 0xfff, 0xfff, true);
	EXPECT_STATS(&d, 0, 0, 2, 101);
	ALLOC(&d, 1, ULONG_MAX, 1, 0xffe);
	ALLOC(&d, 0xffe - 100, ULONG_MAX, 1, 100);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	vtd_iova_domain_destroy(&d);
}

/* Fill a holey space with single frames: none may be in a hole. */
static void test_reserved_never_handed_out(void)
{
	static const unsigned long holes[][2] = {
		{ 0x0, 0x0 }, { 0x10, 0x1f }, { 0x40, 0x40 }, { 0x42, 0x42 },
		{ 0x80, 0xbf }, { 0x3ff, 0x3ff },
	};
	unsigned long pfn, rsv = 0, n = 0, i;
	struct vtd_iova_domain d;
	struct vtd_iova_range r;

	dom_init(&d, 1, 0, 0x3ff);
	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		CHECK_RET(vtd_iova_reserve(&d, holes[i][0], holes[i][1],
					   GFP_KERNEL), 0);
		rsv += holes[i][1] - holes[i][0] + 1;
	}
	while (!vtd_iova_alloc(&d, 1, ULONG_MAX, 1, GFP_KERNEL, &pfn)) {
		for (i = 0; i < ARRAY_SIZE(holes); i++)
			CHECK(pfn < holes[i][0] || pfn > holes[i][1]);
		n++;
	}
	CHECK_EQ(n, 0x400 - rsv);
	EXPECT_STATS(&d, n, n, ARRAY_SIZE(holes), rsv);
	for (pfn = 0; pfn < 0x400; pfn++) {
		CHECK_RET(vtd_iova_find(&d, pfn, &r), 0);
		if (r.reserved)
			CHECK_RET(vtd_iova_free(&d, pfn, 1),
				  r.pfn_lo == pfn ? -EPERM : -ENOENT);
		else
			CHECK_RET(vtd_iova_free(&d, pfn, 1), 0);
	}
	EXPECT_STATS(&d, 0, 0, ARRAY_SIZE(holes), rsv);
	vtd_iova_domain_destroy(&d);
}

static void test_clone(void)
{
	struct vtd_iova_domain src, dst, big;
	struct shim_counts c0, c1;
	unsigned long pfn;

	dom_init(&src, 4096, 0x100, 0xfff);
	CHECK_RET(vtd_iova_reserve(&src, 0x100, 0x10f, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&src, 0x800, 0x80f, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_reserve(&src, 0xfe0, 0xfff, GFP_KERNEL), 0);
	ALLOC(&src, 0x10, ULONG_MAX, 1, 0xfd0);	/* not copied */

	/* A smaller space: the holes are clipped, or left out. */
	dom_init(&dst, 4096, 0x108, 0xfef);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &src, GFP_KERNEL), 0);
	EXPECT_RANGE(&dst, 0x108, 0x108, 0x10f, true);
	EXPECT_RANGE(&dst, 0x805, 0x800, 0x80f, true);
	EXPECT_RANGE(&dst, 0xfef, 0xfe0, 0xfef, true);
	EXPECT_FREE(&dst, 0xfd0);
	EXPECT_STATS(&dst, 0, 0, 3, 8 + 0x10 + 0x10);
	ALLOC(&dst, 1, ULONG_MAX, 1, 0xfdf);
	/* Not empty any more, twice over. */
	CHECK_RET(vtd_iova_clone_reserved(&dst, &src, GFP_KERNEL), -EBUSY);
	EXPECT_STATS(&dst, 1, 1, 3, 8 + 0x10 + 0x10);
	vtd_iova_domain_destroy(&dst);

	dom_init(&dst, 4096, 0x100, 0xfff);
	ALLOC(&dst, 1, ULONG_MAX, 1, 0xfff);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &src, GFP_KERNEL), -EBUSY);
	EXPECT_STATS(&dst, 1, 1, 0, 0);
	CHECK_RET(vtd_iova_free(&dst, 0xfff, 1), 0);
	CHECK_RET(vtd_iova_reserve(&dst, 0x500, 0x500, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &src, GFP_KERNEL), -EBUSY);
	EXPECT_STATS(&dst, 0, 0, 1, 1);
	vtd_iova_domain_destroy(&dst);

	/* Disjoint spaces: nothing to copy, and that is fine. */
	dom_init(&dst, 4096, 0x2000, 0x2fff);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &src, GFP_KERNEL), 0);
	EXPECT_STATS(&dst, 0, 0, 0, 0);
	vtd_iova_domain_destroy(&dst);

	/* A larger space holds them whole; the copy is independent. */
	dom_init(&big, 4096, 0, 0xffff);
	shim_get_counts(&c0);
	CHECK_RET(vtd_iova_clone_reserved(&big, &src, GFP_ATOMIC), 0);
	shim_get_counts(&c1);
	CHECK_EQ(c1.live - c0.live, 3);
	EXPECT_STATS(&big, 0, 0, 3, 0x10 + 0x10 + 0x20);
	EXPECT_RANGE(&big, 0x100, 0x100, 0x10f, true);
	EXPECT_RANGE(&big, 0xfff, 0xfe0, 0xfff, true);
	EXPECT_FREE(&big, 0x1000);
	CHECK_RET(vtd_iova_reserve(&src, 0x810, 0x81f, GFP_KERNEL), 0);
	EXPECT_RANGE(&big, 0x800, 0x800, 0x80f, true);
	ALLOC(&big, 0x10000 - 0x1000, ULONG_MAX, 1, 0x1000);
	ALLOC(&big, 0x10, 0xfff, 1, 0xfd0);
	/* The source's later hole is not in the copy. */
	CHECK_RET(vtd_iova_alloc(&big, 0x7c0, ULONG_MAX, 1, GFP_KERNEL,
				 &pfn), 0);
	CHECK_EQ(pfn, 0x810);
	vtd_iova_domain_destroy(&big);

	/* An empty template, and a domain cloned from itself. */
	dom_init(&dst, 4096, 0, 0xff);
	dom_init(&big, 4096, 0, 0xff);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &big, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_clone_reserved(&dst, &dst, GFP_KERNEL), 0);
	EXPECT_STATS(&dst, 0, 0, 0, 0);
	CHECK_RET(vtd_iova_clone_reserved(&src, &src, GFP_KERNEL), -EBUSY);
	vtd_iova_domain_destroy(&dst);
	vtd_iova_domain_destroy(&big);
	vtd_iova_domain_destroy(&src);
}

/* Granule 1: the allocator as the VT-d domain-ID allocator. */
static void test_id_mode(void)
{
	struct vtd_iova_domain d;
	unsigned long id;

	dom_init(&d, 1, 1, 0xffff);	/* ID 0 is reserved by the spec */
	CHECK_EQ(vtd_iova_shift(&d), 0);
	for (id = 0xffff; id > 0xff00; id--)
		ALLOC(&d, 1, ULONG_MAX, 1, id);
	CHECK_RET(vtd_iova_free(&d, 0xff80, 1), 0);
	ALLOC(&d, 1, ULONG_MAX, 1, 0xff80);
	ALLOC(&d, 1, 0xff, 1, 0xff);	/* a unit with 8-bit IDs */
	EXPECT_STATS(&d, 0xff + 1, 0xff + 1, 0, 0);
	vtd_iova_domain_destroy(&d);
}

/* Exhaust, drain, and end up where we started. */
static void test_exhaust_recover(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_stats st0, st;
	unsigned long pfn, i;

	dom_init(&d, 4096, 0x1000, 0x1fff);
	CHECK_RET(vtd_iova_reserve(&d, 0x1400, 0x14ff, GFP_KERNEL), 0);
	vtd_iova_get_stats(&d, &st0);
	for (i = 0; !vtd_iova_alloc(&d, 3, ULONG_MAX, 1, GFP_KERNEL, &pfn);
	     i++)
		;
	CHECK_EQ(i, 0xb00 / 3 + 0x400 / 3);
	ALLOC_ERR(&d, 3, ULONG_MAX, 1, -ENOSPC);
	ALLOC(&d, 1, ULONG_MAX, 1, 0x1501);
	ALLOC(&d, 1, ULONG_MAX, 1, 0x1500);
	ALLOC(&d, 1, ULONG_MAX, 1, 0x1000);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	CHECK_RET(vtd_iova_free(&d, 0x1500, 1), 0);
	CHECK_RET(vtd_iova_free(&d, 0x1501, 1), 0);
	CHECK_RET(vtd_iova_free(&d, 0x1000, 1), 0);
	for (pfn = 0x1ffd; pfn >= 0x1502; pfn -= 3)
		CHECK_RET(vtd_iova_free(&d, pfn, 3), 0);
	for (pfn = 0x13fd; pfn >= 0x1001; pfn -= 3)
		CHECK_RET(vtd_iova_free(&d, pfn, 3), 0);
	vtd_iova_get_stats(&d, &st);
	CHECK(stats_same(&st, &st0));
	ALLOC(&d, 0xb00, ULONG_MAX, 1, 0x1500);
	vtd_iova_domain_destroy(&d);
}

/* Destroy with ranges still in the tree: all memory comes back. */
static void test_destroy_with_ranges(void)
{
	struct vtd_iova_domain d;
	struct shim_counts c0, c1;
	unsigned long i, pfn;

	shim_get_counts(&c0);
	dom_init(&d, 4096, 0, 0xfff);
	for (i = 0; i < 100; i++)
		CHECK_RET(vtd_iova_alloc(&d, 1 + i % 7, ULONG_MAX,
					 1UL << (i % 4), GFP_KERNEL, &pfn), 0);
	CHECK_RET(vtd_iova_reserve(&d, 0, 9, GFP_KERNEL), 0);
	vtd_iova_domain_destroy(&d);
	shim_get_counts(&c1);
	CHECK_EQ(c1.live, c0.live);
}

/* Every reply of the memory accounting. */
static void test_memory(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_stats st;
	struct shim_counts c0, c1;
	unsigned long i, pfn;

	shim_get_counts(&c0);
	dom_init(&d, 4096, 0, 0xffff);
	for (i = 0; i < 64; i++)
		CHECK_RET(vtd_iova_alloc(&d, 2, ULONG_MAX, 4, GFP_KERNEL,
					 &pfn), 0);
	CHECK_RET(vtd_iova_reserve(&d, 0, 0xff, GFP_KERNEL), 0);
	vtd_iova_get_stats(&d, &st);
	shim_get_counts(&c1);
	CHECK_EQ(c1.live - c0.live, 64 + 1 + 1);	/* ranges and anchor */
	CHECK_EQ(st.bytes, 66 * vtd_iova_node_bytes());
	CHECK_EQ(st.largest_gap, 0xff00 - 0x100);	/* below the 64 */
	vtd_iova_domain_destroy(&d);
}

/* The knob: every Nth node allocation fails, with nothing changed. */
static void test_fail_nth_knob(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_stats before, after;
	unsigned long pfn, expect = 0xfff;
	int i, ret, fails = 0;

	dom_init(&d, 4096, 0, 0xfff);	/* node allocation #1 */
	atomic_set(&iova_alloc_count, 0);
	iova_fail_nth = 3;
	for (i = 1; i <= 12; i++) {
		vtd_iova_get_stats(&d, &before);
		ret = vtd_iova_alloc(&d, 1, ULONG_MAX, 1, GFP_KERNEL, &pfn);
		vtd_iova_get_stats(&d, &after);
		if (i % 3 == 0) {
			CHECK_RET(ret, -ENOMEM);
			CHECK(stats_same(&before, &after));
			fails++;
		} else {
			CHECK_RET(ret, 0);
			CHECK_EQ(pfn, expect--);
		}
	}
	CHECK_EQ(fails, 4);
	iova_fail_nth = 1;
	CHECK_RET(vtd_iova_reserve(&d, 0, 0, GFP_KERNEL), -ENOMEM);
	CHECK_RET(vtd_iova_reserve(&d, 0x5000, 0x5000, GFP_KERNEL), 0);
	iova_fail_nth = 0;
	EXPECT_STATS(&d, 8, 8, 0, 0);
	vtd_iova_domain_destroy(&d);
}

/*
 * Break one field of a sound tree: the checker must say so, with one
 * error; once the field is restored, it must be content again.
 */
static void break_ulong(int line, struct vtd_iova_domain *d,
			unsigned long *field, unsigned long value)
{
	unsigned long save = *field;

	*field = value;
	if (vtd_iova_check(d) != -EUCLEAN)
		test_fail(line, "the checker missed a field set to %#lx", value);
	*field = save;
	if (vtd_iova_check(d))
		test_fail(line, "the checker still complains");
	case_errs_expected++;
}

static void break_u32(int line, struct vtd_iova_domain *d, u32 *field,
		      u32 value)
{
	u32 save = *field;

	*field = value;
	if (vtd_iova_check(d) != -EUCLEAN)
		test_fail(line, "the checker missed a field set to %u", value);
	*field = save;
	if (vtd_iova_check(d))
		test_fail(line, "the checker still complains");
	case_errs_expected++;
}

/* Turn @n from an allocation into a hole or back, counters included. */
static void flip_reserved(struct vtd_iova_domain *d, struct vtd_iova_node *n)
{
	unsigned long frames = n->pfn_last - n->pfn_lo + 1;

	if (n->reserved) {
		d->nr_reserved--;
		d->reserved_frames -= frames;
		d->nr_allocated++;
		d->allocated_frames += frames;
	} else {
		d->nr_allocated--;
		d->allocated_frames -= frames;
		d->nr_reserved++;
		d->reserved_frames += frames;
	}
	n->reserved = !n->reserved;
}

/* The checker must see each broken invariant; iova_check must too. */
static void test_checker_detects(void)
{
	struct vtd_iova_domain d;
	struct vtd_iova_node *a, *b, *r, *root;
	struct shim_counts c0, c1;
	unsigned long pfn, flags;

	dom_init(&d, 4096, 0, 0xfff);
	ALLOC(&d, 0x10, ULONG_MAX, 1, 0xff0);
	ALLOC(&d, 0x10, ULONG_MAX, 1, 0xfe0);
	CHECK_RET(vtd_iova_reserve(&d, 0xfd0, 0xfdf, GFP_KERNEL), 0);
	CHECK_RET(vtd_iova_check(&d), 0);
	spin_lock_irqsave(&d.lock, flags);
	a = iova_lookup_start_locked(&d, 0xff0);
	b = iova_lookup_start_locked(&d, 0xfe0);
	r = iova_lookup_start_locked(&d, 0xfd0);
	root = iova_node(d.root.rb_node);
	spin_unlock_irqrestore(&d.lock, flags);
	CHECK(a && b && r && r->reserved);
	if (!a || !b || !r)
		return;
	shim_get_counts(&c0);

	break_ulong(__LINE__, &d, &a->own_gap, a->own_gap + 1);
	break_u32(__LINE__, &d, &a->sub_fit[2], a->sub_fit[2] + 1);
	break_ulong(__LINE__, &d, &d.anchor->own_gap, 5);
	break_ulong(__LINE__, &d, &root->sub_gap, 0x1000);
	break_u32(__LINE__, &d, &root->sub_fit[0], 0);
	break_u32(__LINE__, &d, &root->sub_fit[VTD_IOVA_FIT_ORDERS - 1], 7);
	break_ulong(__LINE__, &d, &d.nr_allocated, 3);
	break_ulong(__LINE__, &d, &d.reserved_frames, 0);
	break_ulong(__LINE__, &d, &a->pfn_last, 0xfef);	/* inverted */
	break_ulong(__LINE__, &d, &b->pfn_last, 0xff0);	/* overlaps a */
	break_ulong(__LINE__, &d, &d.anchor->pfn_lo, 0x1001);
	break_ulong(__LINE__, &d, &d.last_pfn, 0xffe);
	/* Two touching holes. */
	flip_reserved(&d, b);
	CHECK_RET(vtd_iova_check(&d), -EUCLEAN);
	case_errs_expected++;
	CHECK(strstr(shim_last_msg(), "touches"));
	flip_reserved(&d, b);
	CHECK_RET(vtd_iova_check(&d), 0);
	shim_get_counts(&c1);
	CHECK_EQ(c1.pr_err - c0.pr_err, case_errs_expected);
	CHECK_EQ(c1.warn_on, c0.warn_on);

	/* With iova_check on, a change to a broken tree trips WARN_ON. */
	a->own_gap++;
	CHECK_RET(vtd_iova_alloc(&d, 1, 0xf, 1, GFP_KERNEL, &pfn), 0);
	case_errs_expected++;
	a->own_gap--;
	CHECK_RET(vtd_iova_check(&d), 0);
	shim_get_counts(&c1);
	CHECK_EQ(c1.warn_on - c0.warn_on, 1);
	EXPECT_RANGE(&d, 0xf, 0xf, 0xf, false);
	vtd_iova_domain_destroy(&d);
	/* This case fired WARN_ON on purpose: forget it. */
	shim_reset_counts();
	case_errs_expected = 0;
}

/* --- cost suite ------------------------------------------------------ */

/*
 * An adversarial layout: @nr blockers of @blk frames at every multiple of
 * @period in [0, nr * period), so every gap is [k * period + blk,
 * (k + 1) * period - 1]; the request (@size, @align) must fit none of them
 * though each is at least @size long. Section 4 of iova.c promises the
 * search looks at O(log n) nodes; the walk it replaced looked at them all.
 */
struct cost_layout {
	const char *what;
	unsigned long period, blk, size, align;
};

static const struct cost_layout cost_layouts[] = {
	{ "3 frames aligned to 4 in 3-frame gaps", 4, 1, 3, 4 },
	{ "2^3 - 1 aligned to 8 in 7-frame gaps", 8, 1, 7, 8 },
	{ "2^3 + 1 aligned to 16 in 15-frame gaps", 16, 1, 9, 16 },
	{ "2^4 - 1 aligned to 4 in 15-frame gaps", 32, 17, 15, 4 },
	{ "2^4 + 1 aligned to 2 in 17-frame gaps", 32, 15, 17, 2 },
	{ "1 frame aligned to 1024 in 1023-frame gaps", 1024, 1, 1, 1024 },
	{ "5 frames aligned to 2^20 in gaps of 2^20 - 3", 1UL << 20, 3, 5,
	  1UL << 20 },
};

/* ilog2 of @n rounded up; the bound's log2(n). */
static unsigned long cost_log2(unsigned long n)
{
	return n <= 1 ? 0 : ilog2(n - 1) + 1;
}

/* The promise the cost cases check: visits <= 8 * log2(n) + 8. */
static unsigned long cost_bound(unsigned long nodes)
{
	return 8 * cost_log2(nodes) + 8;
}

static unsigned long cost_visits(struct vtd_iova_domain *d)
{
	struct vtd_iova_stats st;

	vtd_iova_get_stats(d, &st);
	return st.last_search_visits;
}

static void cost_one(const struct cost_layout *c, unsigned long nr)
{
	struct vtd_iova_domain d;
	unsigned long i, pfn, v, want, bound = cost_bound(nr + 1);
	int ret;

	dom_init(&d, 4096, 0, nr * c->period - 1);
	iova_check = false;	/* O(n) per change: once at the end instead */
	for (i = 0; i < nr; i++) {
		ret = vtd_iova_alloc(&d, c->blk, ULONG_MAX, c->period,
				     GFP_KERNEL, &pfn);
		if (ret || pfn != (nr - 1 - i) * c->period) {
			test_fail(__LINE__, "%s: setup alloc %lu: %d", c->what,
				  i, ret);
			goto out;
		}
	}
	CHECK_RET(vtd_iova_check(&d), 0);

	/* No gap fits: the search must say so without walking them. */
	ALLOC_ERR(&d, c->size, ULONG_MAX, c->align, -ENOSPC);
	v = cost_visits(&d);
	if (v > bound)
		test_fail(__LINE__, "%s, n=%lu: -ENOSPC after %lu visits > %lu",
			  c->what, nr, v, bound);
	if (test_verbose)
		printf("    %-48s n=%-6lu enospc %3lu visits (bound %lu)\n",
		       c->what, nr, v, bound);

	/* Only the lowest gap fits, once its blocker is gone. */
	CHECK_RET(vtd_iova_free(&d, 0, c->blk), 0);
	want = (c->period - c->size) & ~(c->align - 1);
	ALLOC(&d, c->size, ULONG_MAX, c->align, want);
	v = cost_visits(&d);
	if (v > bound)
		test_fail(__LINE__, "%s, n=%lu: found after %lu visits > %lu",
			  c->what, nr, v, bound);
	if (test_verbose)
		printf("    %-48s n=%-6lu lowest %3lu visits (bound %lu)\n",
		       c->what, nr, v, bound);

	/* Under a limit in the middle: the first fit below it, same cost. */
	CHECK_RET(vtd_iova_free(&d, want, c->size), 0);
	CHECK_RET(vtd_iova_free(&d, (nr / 2) * c->period, c->blk), 0);
	ALLOC(&d, c->size, (nr / 2 + 1) * c->period - 1, c->align,
	      (nr / 2) * c->period + want);
	v = cost_visits(&d);
	if (v > bound)
		test_fail(__LINE__, "%s, n=%lu: middle after %lu visits > %lu",
			  c->what, nr, v, bound);
	CHECK_RET(vtd_iova_check(&d), 0);
out:
	iova_check = true;
	vtd_iova_domain_destroy(&d);
}

/* Every layout at 10^3, 10^4 and 10^5 ranges (times -x SCALE at most). */
static void test_search_visits(void)
{
	unsigned long nr;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cost_layouts); i++)
		for (nr = 1000; nr <= 100000; nr *= 10)
			cost_one(&cost_layouts[i], nr);
}

/*
 * The shapes the module issues, on a random churned domain of 10^4
 * ranges: every search stays under the bound too.
 */
static void test_search_visits_churn(void)
{
	struct vtd_iova_domain d;
	unsigned long i, pfn, size, v, worst = 0, nr = 10000;
	unsigned long *live;
	struct rng r;

	rng_init(&r, test_seed);
	live = calloc(nr, sizeof(*live));
	CHECK(live);
	if (!live)
		return;
	dom_init(&d, 4096, 1, (1UL << 36) - 1);
	iova_check = false;
	for (i = 0; i < 20 * nr; i++) {
		unsigned long k = rng_below(&r, nr);

		if (live[k]) {
			size = (k % 37) + 1;
			CHECK_RET(vtd_iova_free(&d, live[k], size), 0);
			live[k] = 0;
			continue;
		}
		size = (k % 37) + 1;
		CHECK_RET(vtd_iova_alloc(&d, size, (1UL << 32) - 1,
					 1UL << rng_below(&r, 12), GFP_KERNEL,
					 &pfn), 0);
		live[k] = pfn;
		v = cost_visits(&d);
		worst = max(worst, v);
	}
	if (worst > cost_bound(nr + 1))
		test_fail(__LINE__, "churn: %lu visits > %lu", worst,
			  cost_bound(nr + 1));
	if (test_verbose)
		printf("    churn n=%lu: worst %lu visits (bound %lu)\n", nr,
		       worst, cost_bound(nr + 1));
	CHECK_RET(vtd_iova_check(&d), 0);
	iova_check = true;
	vtd_iova_domain_destroy(&d);
	free(live);
}

/* --- cache suite ----------------------------------------------------- */

/*
 * The per-CPU caches (iova_rcache.c) on the shim's SHIM_NR_CPUS CPUs: each
 * thread says which CPU it runs on and moves now and then, as a preempted
 * task would; one owner tag per frame catches a range handed out twice.
 */
#define CACHE_FRAMES	(1UL << 16)
#define CACHE_LIVE	24

struct cache_shared {
	struct vtd_iova_domain dom;
	unsigned char owner[CACHE_FRAMES];	/* 0 free, else thread + 1 */
	unsigned long ops;
	long errors;
};

struct cache_arg {
	struct cache_shared *sh;
	long id;
	unsigned long seed;
};

static unsigned long cache_frames(unsigned long size)
{
	return size <= VTD_IOVA_CACHE_MAX_SIZE ? pow2_ceil(size) : size;
}

static void cache_err(struct cache_shared *sh, const char *what,
		      unsigned long pfn)
{
	fprintf(stderr, "    cache: %s at %#lx\n", what, pfn);
	__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
}

/* Tag [pfn, pfn + n) as @tag's, or free (tag 0): each frame must agree. */
static void cache_tag(struct cache_shared *sh, unsigned long pfn,
		      unsigned long n, unsigned char tag)
{
	unsigned char want = tag ? 0 : 1, old;
	unsigned long i;

	for (i = 0; i < n; i++) {
		old = __atomic_exchange_n(&sh->owner[pfn + i], tag,
					  __ATOMIC_SEQ_CST);
		if (tag ? old != 0 : old == 0)
			cache_err(sh, want ? "frame freed twice" :
				  "frame handed out twice", pfn + i);
	}
}

static void *cache_worker(void *p)
{
	struct cache_arg *a = p;
	struct cache_shared *sh = a->sh;
	unsigned long pfn[CACHE_LIVE], size[CACHE_LIVE], i, k, limit;
	unsigned int nr = 0;
	struct shrink_control sc;
	struct rng r;
	int ret;

	rng_init(&r, a->seed);
	shim_set_cpu(a->id);
	for (i = 0; i < sh->ops; i++) {
		unsigned long x = rng_next(&r);

		if (x % 64 == 0)
			shim_set_cpu(rng_below(&r, SHIM_NR_CPUS));
		if (x % 997 == 0)
			vtd_iova_cache_flush(&sh->dom);
		if (x % 1009 == 0) {
			sc.nr_to_scan = rng_below(&r, 100);
			sh->dom.cache->shrinker.scan_objects(&sh->dom.cache->shrinker,
							     &sc);
		}
		if (x % 1013 == 0)
			shim_cpu_offline(rng_below(&r, SHIM_NR_CPUS));
		if (x % 1019 == 0)
			shim_run_delayed_work(&sh->dom.cache->idle);
		if (nr == CACHE_LIVE || (nr && (x & 1))) {
			k = (x >> 1) % nr;
			cache_tag(sh, pfn[k], cache_frames(size[k]), 0);
			ret = vtd_iova_free_fast(&sh->dom, pfn[k], size[k]);
			if (ret)
				cache_err(sh, "free_fast refused", pfn[k]);
			pfn[k] = pfn[--nr];
			size[k] = size[nr];
			continue;
		}
		size[nr] = 1 + rng_below(&r, 40);
		limit = x & (1UL << 20) ? CACHE_FRAMES - 1 :
			rng_below(&r, CACHE_FRAMES);
		ret = vtd_iova_alloc_fast(&sh->dom, size[nr], limit,
					  x & 4 ? GFP_ATOMIC : GFP_KERNEL,
					  &pfn[nr]);
		if (ret == -ENOSPC)
			continue;
		if (ret || pfn[nr] + cache_frames(size[nr]) - 1 > limit ||
		    pfn[nr] & (pow2_ceil(cache_frames(size[nr])) - 1)) {
			cache_err(sh, "bad allocation", pfn[nr]);
			continue;
		}
		cache_tag(sh, pfn[nr], cache_frames(size[nr]), a->id + 1);
		nr++;
	}
	while (nr--) {
		cache_tag(sh, pfn[nr], cache_frames(size[nr]), 0);
		if (vtd_iova_free_fast(&sh->dom, pfn[nr], size[nr]))
			cache_err(sh, "free_fast refused", pfn[nr]);
	}
	return NULL;
}

/*
 * SHIM_NR_CPUS threads through the caches, with flushes, shrinker scans,
 * CPU offline drains and idle returns mixed in: no frame is handed out
 * twice, what stays allocated is exactly what the caches hold, and
 * destroying the caches gives it all back.
 */
static void test_cache_threads(void)
{
	pthread_t th[SHIM_NR_CPUS];
	struct cache_arg args[SHIM_NR_CPUS];
	struct vtd_iova_cache_stats cs;
	struct cache_shared *sh;
	struct vtd_iova_stats st;
	unsigned long i;

	sh = calloc(1, sizeof(*sh));
	if (!sh) {
		test_fail(__LINE__, "out of memory");
		return;
	}
	sh->ops = 20000 * test_scale;
	dom_init(&sh->dom, 4096, 1, CACHE_FRAMES - 1);
	CHECK_RET(vtd_iova_cache_init(&sh->dom), 0);
	CHECK_RET(vtd_iova_cache_init(&sh->dom), -EBUSY);
	printf("    cache: %d threads x %lu operations, seed %lu\n",
	       SHIM_NR_CPUS, sh->ops, test_seed);
	fflush(stdout);
	for (i = 0; i < SHIM_NR_CPUS; i++) {
		args[i] = (struct cache_arg){ sh, (long)i, test_seed + i };
		pthread_create(&th[i], NULL, cache_worker, &args[i]);
	}
	for (i = 0; i < SHIM_NR_CPUS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(sh->errors, 0);
	vtd_iova_cache_get_stats(&sh->dom, &cs);
	vtd_iova_get_stats(&sh->dom, &st);
	printf("    cache: %lu hits, %lu misses, %lu flushes, %lu shrunk, %lu idle, %lu cached\n",
	       cs.hits, cs.misses, cs.flushes, cs.shrunk, cs.idle_returned,
	       cs.cached_ranges);
	CHECK(cs.hits > 0);
	CHECK_EQ(st.nr_allocated, cs.cached_ranges);
	vtd_iova_cache_destroy(&sh->dom);
	vtd_iova_get_stats(&sh->dom, &st);
	CHECK_EQ(st.nr_allocated, 0);
	CHECK_RET(vtd_iova_check(&sh->dom), 0);
	vtd_iova_domain_destroy(&sh->dom);
	free(sh);
}

/* Exhaustion with only cached ranges free; a double free caught. */
static void test_cache_flush_retry(void)
{
	struct vtd_iova_cache_stats cs;
	struct vtd_iova_domain d;
	unsigned long pfn[64], p, i;

	dom_init(&d, 4096, 0, 63);
	CHECK_RET(vtd_iova_cache_init(&d), 0);
	for (i = 0; i < 64; i++)
		CHECK_RET(vtd_iova_alloc_fast(&d, 1, ULONG_MAX, GFP_KERNEL,
					      &pfn[i]), 0);
	for (i = 0; i < 64; i++)
		CHECK_RET(vtd_iova_free_fast(&d, pfn[i], 1), 0);
	ALLOC_ERR(&d, 1, ULONG_MAX, 1, -ENOSPC);
	CHECK_RET(vtd_iova_alloc_fast(&d, 3, ULONG_MAX, GFP_KERNEL, &p), 0);
	CHECK_EQ(p, 60);
	vtd_iova_cache_get_stats(&d, &cs);
	CHECK_EQ(cs.flushes, 1);
	CHECK_EQ(cs.cached_ranges, 0);
	CHECK_RET(vtd_iova_free_fast(&d, p, 3), 0);
	/* iova_check is on: a second free of a cached range is refused. */
	CHECK_RET(vtd_iova_free_fast(&d, p, 3), -EINVAL);
	shim_reset_counts();	/* that WARN was asked for */
	vtd_iova_cache_destroy(&d);
	vtd_iova_domain_destroy(&d);
}

/* --- random suite ---------------------------------------------------- */

/* A domain start: the edges of the number space get their share. */
static unsigned long pick_start(struct rng *r, unsigned long frames)
{
	switch (rng_below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return rng_below(r, 100);
	case 2:
		return ULONG_MAX - frames - rng_below(r, 3);
	case 3:
		return 0x100000000UL - frames / 2;
	case 4:
		return rng_next(r) >> rng_below(r, 64);
	default:
		return rng_below(r, 1UL << 20);
	}
}

static unsigned long pick_size(struct rng *r)
{
	unsigned long n;

	switch (rng_below(r, 4)) {
	case 0:
		return 1;
	case 1:	/* 2^n - 1, 2^n, 2^n + 1 */
		n = (1UL << rng_below(r, 7)) + rng_below(r, 3) - 1;
		return n ? n : 1;
	default:
		return 1 + rng_below(r, 64);
	}
}

static unsigned long pick_align(struct rng *r, unsigned long size)
{
	switch (rng_below(r, 7)) {
	case 0:
	case 1:
		return 1;
	case 3:
	case 4:
		return pow2_ceil(size);	/* the exact search when == size */
	case 2:
		return 1UL << rng_below(r, 8);
	default:	/* up to 2^63: the orders past VTD_IOVA_FIT_ORDERS */
		return 1UL << rng_below(r, BITS_PER_LONG);
	}
}

/* A frame near the domain, sometimes outside it. */
static unsigned long pick_pfn(struct rng *r, const struct iova_twin *t)
{
	unsigned long frames = t->model.last - t->model.start + 1;

	switch (rng_below(r, 16)) {
	case 0:
		return t->model.start - 1 - rng_below(r, 4);
	case 1:
		return t->model.last + 1 + rng_below(r, 4);
	case 2:
		return rng_next(r);
	default:
		return t->model.start + rng_below(r, frames);
	}
}

static unsigned long pick_limit(struct rng *r, const struct iova_twin *t)
{
	switch (rng_below(r, 5)) {
	case 0:
		return ULONG_MAX;
	case 1:
		return t->model.last;
	default:
		return pick_pfn(r, t);
	}
}

/* One random operation on @a (and sometimes @b). */
static void random_step(struct rng *r, struct iova_twin *a,
			struct iova_twin *b)
{
	unsigned long p = rng_below(r, 100), size, lo, span;
	struct vtd_iova_range live;
	gfp_t gfp = rng_below(r, 4) ? GFP_KERNEL : GFP_ATOMIC;

	if (p < 45) {
		size = pick_size(r);
		iova_twin_alloc(a, size, pick_limit(r, a), pick_align(r, size),
				gfp, NULL);
	} else if (p < 75) {
		iova_twin_free_nth(a, rng_next(r));
	} else if (p < 80) {
		/* A free that does not match: wrong size, or wrong start. */
		if (rng_below(r, 2) &&
		    iova_model_nth_alloc(&a->model, rng_next(r), &live)) {
			size = live.pfn_last - live.pfn_lo + 1;
			if (rng_below(r, 2))
				iova_twin_free(a, live.pfn_lo,
					       size + 1 - 2 * rng_below(r, 2));
			else
				iova_twin_free(a, live.pfn_lo + 1, size - 1);
		} else {
			iova_twin_free(a, pick_pfn(r, a), pick_size(r));
		}
	} else if (p < 86) {
		lo = pick_pfn(r, a);
		iova_twin_reserve(a, lo, lo + rng_below(r, 17) -
				  (rng_below(r, 50) ? 0 : 20), gfp);
	} else if (p < 95) {
		iova_twin_find(a, pick_pfn(r, a));
	} else if (p < 97) {
		/* A second domain overlapping the first, from its holes. */
		lo = a->model.start + rng_below(r, 64) - 32;
		if (lo > a->model.start + 32)
			lo = a->model.start;
		span = rng_below(r, 2 * 4096);
		iova_twin_init(b, 4096, lo, lo > ULONG_MAX - 1 - span ?
			       ULONG_MAX - 1 : lo + span);
		iova_twin_clone(b, a, gfp);
		iova_twin_compare(b);
		size = pick_size(r);
		iova_twin_alloc(b, size, ULONG_MAX, pick_align(r, size), gfp,
				NULL);
		iova_twin_clone(b, a, gfp);
	} else {
		iova_twin_clone(a, b, gfp);
	}
}

static void test_random(void)
{
	struct iova_twin a = { .name = "A" }, b = { .name = "B" };
	unsigned long round, i, frames, start, ops = 20000;
	struct rng r;

	printf("    random: seed %lu (run with -s %lu to repeat)\n", test_seed,
	       test_seed);
	fflush(stdout);
	rng_init(&r, test_seed);
	for (round = 0; round < 6 * test_scale && !iova_twin_errors; round++) {
		frames = 1000 + rng_below(&r, 3000);
		start = pick_start(&r, frames);
		iova_twin_init(&a, rng_below(&r, 2) ? 4096 : 1, start,
			       start + frames - 1);
		for (i = 0; i < rng_below(&r, 8); i++) {
			start = pick_pfn(&r, &a);
			iova_twin_reserve(&a, start, start + rng_below(&r, 40),
					  GFP_KERNEL);
		}
		for (i = 0; i < ops && !iova_twin_errors; i++) {
			random_step(&r, &a, &b);
			if (i % 1024 == 1023)
				iova_twin_compare(&a);
		}
		iova_twin_compare(&a);
		if (iova_twin_errors)
			test_fail(__LINE__, "round %lu, op %lu (seed %lu)",
				  round, i, test_seed);
		iova_twin_destroy(&a);
		iova_twin_destroy(&b);
	}
}

/* --- failnth suite --------------------------------------------------- */

/*
 * A fixed scenario touching every allocating path: init, reserve (new,
 * merging, clipped), alloc of each search shape, free, clone into an empty
 * and a busy domain. Each step is checked against the model by the twin,
 * -ENOMEM included; after each step, every frame is compared.
 */
static void failnth_scenario(void)
{
	struct iova_twin a = { .name = "A" }, b = { .name = "B" };
	struct rng r;
	unsigned long i, size;

	rng_init(&r, 42);
	iova_twin_init(&a, 4096, 0x100, 0x2ff);
	iova_twin_reserve(&a, 0x1f0, 0x1ff, GFP_KERNEL);
	iova_twin_reserve(&a, 0x200, 0x20f, GFP_KERNEL);
	iova_twin_reserve(&a, 0x2f0, ULONG_MAX, GFP_ATOMIC);
	iova_twin_reserve(&a, 0x150, 0x15f, GFP_KERNEL);
	for (i = 0; i < 24; i++) {
		size = 1 + rng_below(&r, 16);
		iova_twin_alloc(&a, size, i % 3 ? ULONG_MAX : 0x1ef,
				i % 2 ? pow2_ceil(size) : 1, GFP_ATOMIC, NULL);
		if (i % 4 == 3)
			iova_twin_free_nth(&a, rng_next(&r));
		iova_twin_compare(&a);
	}
	iova_twin_reserve(&a, 0x140, 0x160, GFP_KERNEL);	/* may be busy */
	iova_twin_init(&b, 4096, 0x180, 0x3ff);
	iova_twin_clone(&b, &a, GFP_KERNEL);
	iova_twin_compare(&b);
	iova_twin_alloc(&b, 4, ULONG_MAX, 4, GFP_KERNEL, NULL);
	iova_twin_clone(&b, &a, GFP_KERNEL);
	iova_twin_init(&b, 1, 0, 0xfff);
	iova_twin_clone(&b, &a, GFP_KERNEL);
	iova_twin_compare(&b);
	for (i = 0; i < 8; i++)
		iova_twin_free_nth(&a, i);
	iova_twin_compare(&a);
	iova_twin_destroy(&a);
	iova_twin_destroy(&b);
}

static void test_failnth(void)
{
	struct shim_counts c0, c1;
	long n, clean_allocs, nr_injected = 0;

	shim_get_counts(&c0);
	failnth_scenario();
	shim_get_counts(&c1);
	clean_allocs = c1.allocs - c0.allocs;
	CHECK(clean_allocs > 30);
	CHECK_EQ(c1.injected, 0);
	for (n = 1; n <= clean_allocs + 1 && !iova_twin_errors; n++) {
		shim_get_counts(&c0);
		shim_fail_nth(n);
		failnth_scenario();
		shim_get_counts(&c1);
		if (n <= clean_allocs)
			CHECK_EQ(c1.injected - c0.injected, 1);
		nr_injected += c1.injected - c0.injected;
		if (iova_twin_errors)
			test_fail(__LINE__, "with allocation %ld failing", n);
	}
	shim_fail_nth(0);
	printf("    failnth: %ld allocations, each failed in turn (%ld failures injected)\n",
	       clean_allocs, nr_injected);

	/* The same with iova.c's own knob, every Nth node allocation. */
	iova_twin_enomem_ok = true;
	for (n = 1; n <= 8 && !iova_twin_errors; n++) {
		atomic_set(&iova_alloc_count, 0);
		iova_fail_nth = n;
		failnth_scenario();
		if (iova_twin_errors)
			test_fail(__LINE__, "with iova_fail_nth=%ld", n);
	}
	iova_fail_nth = 0;
	iova_twin_enomem_ok = false;
}

/* --- threads suite --------------------------------------------------- */

#define THR_FRAMES	BIT(14)
#define THR_START	0x100000UL
#define THR_SLOTS	64
#define THR_RESERVED	(-1L)

/**
 * struct thr_shared - what the threads share
 * @dom:	the domain under test
 * @owner:	per frame, the thread holding it (id + 1), THR_RESERVED, or 0;
 *		claimed with compare-and-swap after a successful alloc and
 *		released before the free, so a double hand-out shows as a
 *		failed claim
 * @errors:	failed claims and unexpected results
 * @ops:	operations per thread
 */
struct thr_shared {
	struct vtd_iova_domain dom;
	long owner[THR_FRAMES];
	long errors;
	unsigned long ops;
};

struct thr_arg {
	struct thr_shared *sh;
	long id;
	unsigned long seed;
};

static __printf(2, 3) void thr_error(struct thr_shared *sh, const char *fmt,
				     ...)
{
	va_list ap;

	if (__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED) > 10)
		return;
	fprintf(stderr, "    threads: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long *thr_frame(struct thr_shared *sh, unsigned long pfn)
{
	return &sh->owner[pfn - THR_START];
}

static void thr_claim(struct thr_shared *sh, unsigned long pfn,
		      unsigned long size, long me)
{
	unsigned long i;
	long old;

	for (i = 0; i < size; i++) {
		old = 0;
		if (!__atomic_compare_exchange_n(thr_frame(sh, pfn + i), &old,
						 me, false, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			thr_error(sh, "frame %#lx handed out twice (holder %ld)",
				  pfn + i, old);
	}
}

static void thr_release(struct thr_shared *sh, unsigned long pfn,
			unsigned long size, long me)
{
	unsigned long i;

	for (i = 0; i < size; i++)
		if (__atomic_exchange_n(thr_frame(sh, pfn + i), 0,
					__ATOMIC_SEQ_CST) != me)
			thr_error(sh, "frame %#lx changed hands while held",
				  pfn + i);
}

/* Reserve a few frames; afterwards nobody may hold them. */
static void thr_reserve(struct thr_shared *sh, struct rng *r)
{
	unsigned long lo = THR_START + rng_below(r, THR_FRAMES - 4), i;
	long old;
	int ret = vtd_iova_reserve(&sh->dom, lo, lo + 1, GFP_KERNEL);

	if (ret == -EBUSY)
		return;
	if (ret) {
		thr_error(sh, "reserve(%#lx) returned %d", lo, ret);
		return;
	}
	for (i = lo; i <= lo + 1; i++) {
		old = __atomic_exchange_n(thr_frame(sh, i), THR_RESERVED,
					  __ATOMIC_SEQ_CST);
		if (old && old != THR_RESERVED)
			thr_error(sh, "reserved frame %#lx is held by %ld", i,
				  old);
	}
}

/*
 * Clone the holes into a private domain while others keep working: every
 * range in the copy is a hole, and no thread holds any of its frames.
 */
static void thr_clone(struct thr_shared *sh)
{
	struct vtd_iova_domain mine;
	struct vtd_iova_range rr;
	unsigned long pfn;

	if (vtd_iova_domain_init(&mine, 4096, THR_START,
				 THR_START + THR_FRAMES - 1))
		return;
	long holder;

	if (vtd_iova_clone_reserved(&mine, &sh->dom, GFP_KERNEL))
		thr_error(sh, "clone failed");
	if (vtd_iova_check(&mine))
		thr_error(sh, "clone is not sound");
	for (pfn = THR_START; pfn < THR_START + THR_FRAMES; pfn++) {
		if (vtd_iova_find(&mine, pfn, &rr))
			continue;
		holder = __atomic_load_n(thr_frame(sh, pfn), __ATOMIC_SEQ_CST);
		if (!rr.reserved || (holder && holder != THR_RESERVED))
			thr_error(sh, "clone has %#lx, held by %ld", pfn,
				  holder);
	}
	vtd_iova_domain_destroy(&mine);
}

static void *thr_worker(void *p)
{
	struct thr_arg *arg = p;
	struct thr_shared *sh = arg->sh;
	unsigned long pfn[THR_SLOTS] = {}, size[THR_SLOTS] = {};
	unsigned long i, k, want, align, limit;
	long me = arg->id + 1;
	struct rng r;
	int ret;

	rng_init(&r, arg->seed);
	for (i = 0; i < sh->ops; i++) {
		k = rng_below(&r, THR_SLOTS);
		if (size[k]) {
			thr_release(sh, pfn[k], size[k], me);
			ret = vtd_iova_free(&sh->dom, pfn[k], size[k]);
			if (ret)
				thr_error(sh, "free(%#lx) returned %d", pfn[k],
					  ret);
			size[k] = 0;
			continue;
		}
		if (arg->id == 0 && rng_below(&r, 64) == 0) {
			thr_reserve(sh, &r);
			continue;
		}
		if (arg->id == 1 && rng_below(&r, 512) == 0) {
			thr_clone(sh);
			continue;
		}
		want = pick_size(&r);
		align = pick_align(&r, want);
		limit = THR_START + rng_below(&r, THR_FRAMES + THR_FRAMES / 4);
		ret = vtd_iova_alloc(&sh->dom, want, limit, align,
				     rng_below(&r, 2) ? GFP_ATOMIC : GFP_KERNEL,
				     &pfn[k]);
		if (ret == -ENOSPC)
			continue;
		if (ret) {
			thr_error(sh, "alloc returned %d", ret);
			continue;
		}
		if (pfn[k] % align || pfn[k] + want - 1 > limit ||
		    pfn[k] < THR_START ||
		    pfn[k] + want > THR_START + THR_FRAMES) {
			thr_error(sh, "alloc gave %#lx, size %#lx: out of bounds",
				  pfn[k], want);
			continue;
		}
		size[k] = want;
		thr_claim(sh, pfn[k], want, me);
	}
	for (k = 0; k < THR_SLOTS; k++) {
		if (!size[k])
			continue;
		thr_release(sh, pfn[k], size[k], me);
		if (vtd_iova_free(&sh->dom, pfn[k], size[k]))
			thr_error(sh, "final free(%#lx) failed", pfn[k]);
	}
	return NULL;
}

static void test_threads(void)
{
	enum { NR_THREADS = 4 };
	struct thr_arg args[NR_THREADS];
	pthread_t th[NR_THREADS];
	struct thr_shared *sh;
	struct vtd_iova_stats st;
	unsigned long i, holes = 0;

	sh = calloc(1, sizeof(*sh));
	if (!sh) {
		test_fail(__LINE__, "out of memory");
		return;
	}
	sh->ops = 30000 * test_scale;
	dom_init(&sh->dom, 4096, THR_START, THR_START + THR_FRAMES - 1);
	printf("    threads: %d threads x %lu operations, seed %lu\n",
	       NR_THREADS, sh->ops, test_seed);
	fflush(stdout);
	for (i = 0; i < NR_THREADS; i++) {
		args[i] = (struct thr_arg){ sh, (long)i, test_seed + i };
		pthread_create(&th[i], NULL, thr_worker, &args[i]);
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(sh->errors, 0);
	CHECK_RET(vtd_iova_check(&sh->dom), 0);
	vtd_iova_get_stats(&sh->dom, &st);
	CHECK_EQ(st.nr_allocated, 0);
	for (i = 0; i < THR_FRAMES; i++) {
		CHECK(sh->owner[i] == 0 || sh->owner[i] == THR_RESERVED);
		holes += sh->owner[i] == THR_RESERVED;
	}
	CHECK_EQ(st.reserved_frames, holes);
	vtd_iova_domain_destroy(&sh->dom);
	free(sh);
}

/* --- main ------------------------------------------------------------ */

struct test_case {
	const char *name;
	void (*run)(void);
};

struct test_suite {
	const char *name;
	const struct test_case *cases;
};

#define TEST_CASE(fn)	{ #fn, fn }

static const struct test_case shim_cases[] = {
	TEST_CASE(test_shim_allocator),
	TEST_CASE(test_shim_locks),
	TEST_CASE(test_shim_messages),
	{ }
};

static const struct test_case contract_cases[] = {
	TEST_CASE(test_init_args),
	TEST_CASE(test_empty_domain),
	TEST_CASE(test_alloc_args),
	TEST_CASE(test_top_down),
	TEST_CASE(test_alignment),
	TEST_CASE(test_sizes),
	TEST_CASE(test_boundaries),
	TEST_CASE(test_find),
	TEST_CASE(test_free_refused),
	TEST_CASE(test_reserve_args),
	TEST_CASE(test_reserve_busy),
	TEST_CASE(test_reserve_merge),
	TEST_CASE(test_reserved_never_handed_out),
	TEST_CASE(test_clone),
	TEST_CASE(test_id_mode),
	TEST_CASE(test_exhaust_recover),
	TEST_CASE(test_destroy_with_ranges),
	TEST_CASE(test_memory),
	TEST_CASE(test_fail_nth_knob),
	TEST_CASE(test_checker_detects),
	{ }
};

static const struct test_case cost_cases[] = {
	TEST_CASE(test_search_visits),
	TEST_CASE(test_search_visits_churn),
	{ }
};

static const struct test_case cache_cases[] = {
	TEST_CASE(test_cache_threads),
	TEST_CASE(test_cache_flush_retry),
	{ }
};

static const struct test_case random_cases[] = {
	TEST_CASE(test_random),
	{ }
};

static const struct test_case failnth_cases[] = {
	TEST_CASE(test_failnth),
	{ }
};

static const struct test_case threads_cases[] = {
	TEST_CASE(test_threads),
	{ }
};

static const struct test_suite suites[] = {
	{ "shim", shim_cases },
	{ "contract", contract_cases },
	{ "cost", cost_cases },
	{ "cache", cache_cases },
	{ "random", random_cases },
	{ "failnth", failnth_cases },
	{ "threads", threads_cases },
};

/*
 * Run one case with a fresh node cache, iova_check on, and the shim's
 * counters zeroed; afterwards, nothing may be left allocated, no WARN_ON
 * may have fired and no error may have been printed that the case did not
 * ask for.
 */
static bool run_case(const struct test_case *tc)
{
	struct shim_counts c;
	bool ok;

	shim_reset_counts();
	case_failures = 0;
	case_errs_expected = 0;
	iova_twin_errors = 0;
	iova_check = true;
	iova_fail_nth = 0;
	atomic_set(&iova_alloc_count, 0);
	if (vtd_iova_init()) {
		printf("  FAIL %s: vtd_iova_init() failed\n", tc->name);
		return false;
	}
	tc->run();
	shim_get_counts(&c);
	if (c.warn_on)
		test_fail(0, "%ld WARN_ON fired", c.warn_on);
	if (c.pr_err != case_errs_expected)
		test_fail(0, "%ld errors printed, %ld expected (last: %s)",
			  c.pr_err, case_errs_expected, shim_last_msg());
	if (iova_twin_errors)
		test_fail(0, "%lu disagreements with the model",
			  iova_twin_errors);
	if (c.live) {
		test_fail(0, "%ld objects leaked", c.live);
		shim_leak_report();
	} else {
		vtd_iova_exit();
	}
	shim_quarantine_flush();
	ok = !case_failures;
	printf("  %s %s\n", ok ? "ok  " : "FAIL", tc->name);
	fflush(stdout);
	return ok;
}

static int run_suite(const struct test_suite *s)
{
	const struct test_case *tc;
	int n = 0, failed = 0;

	printf("%s:\n", s->name);
	for (tc = s->cases; tc->name; tc++) {
		n++;
		failed += !run_case(tc);
	}
	printf("%s: %d cases, %d failed\n", s->name, n, failed);
	return failed;
}

static void print_usage(void)
{
	unsigned int i;

	fprintf(stderr, "usage: iova_test [-s SEED] [-x SCALE] [-v] SUITE...\nsuites:");
	for (i = 0; i < ARRAY_SIZE(suites); i++)
		fprintf(stderr, " %s", suites[i].name);
	fprintf(stderr, " all\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, failed = 0, ran = 0;
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	while ((opt = getopt(argc, argv, "s:x:v")) != -1) {
		switch (opt) {
		case 's':
			test_seed = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			test_scale = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			test_verbose = true;
			break;
		default:
			print_usage();
		}
	}
	if (optind == argc)
		print_usage();
	shim_set_quiet(!test_verbose);
	for (; optind < argc; optind++) {
		for (i = 0; i < ARRAY_SIZE(suites); i++) {
			if (strcmp(argv[optind], "all") &&
			    strcmp(argv[optind], suites[i].name))
				continue;
			failed += run_suite(&suites[i]);
			ran++;
		}
	}
	if (!ran)
		print_usage();
	shim_quarantine_flush();
	if (shim_leak_report())
		failed++;
	return failed ? 1 : 0;
}
