// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "vtd_iova": tests of the vtd-remap IOVA allocator (iova.c)
 * through its exported API, built as the module vtd_iova_kunit. Load
 * vtd_remap.ko first.
 *
 * How the cases know the right answer:
 *
 *  - A bitmap model of a domain (struct iova_kt_model) predicts every result
 *    exactly. The contract in iova.h fixes the answer of vtd_iova_alloc():
 *    the highest aligned start, at or above the first frame, whose frames
 *    are all free and at or below min(limit, last). The model finds it by
 *    scanning its bitmap downwards, so every allocation, errno, find() and
 *    counter is compared with an independent computation, and
 *    vtd_iova_check() runs after every phase.
 *  - Spaces too large for a bitmap (up to ULONG_MAX - 1) use the closed form
 *    of the same rule for an empty domain (the boundary table).
 *  - Properties that need no model are checked on their own as well: the
 *    alignment and the limit of each answer, no reserved frame handed out,
 *    no frame handed out twice (also across CPUs), the errno of each
 *    refused call.
 *
 * Randomized cases draw from a local xorshift64* generator seeded from the
 * module parameter "seed" (0: pick one when the suite starts). The seed is
 * printed at the start of the suite and of each randomized case;
 * "insmod vtd_iova_kunit.ko seed=N" replays a failure.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "iova.h"

static unsigned long seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "Seed of the randomized cases (0: pick one; the seed used is printed)");

static unsigned int diff_ops = 3000;
module_param(diff_ops, uint, 0444);
MODULE_PARM_DESC(diff_ops, "Operations of the randomized differential case");

static unsigned int stress_ops = 20000;
module_param(stress_ops, uint, 0444);
MODULE_PARM_DESC(stress_ops, "Operations per CPU of the concurrent stress case");

static unsigned int stress_ms = 15000;
module_param(stress_ms, uint, 0444);
MODULE_PARM_DESC(stress_ms, "Time budget of the concurrent stress case, in ms");

/* 4 KiB frames. */
#define KT_4K		4096UL
/* Last frame below 4 GiB: the limit a 32-bit DMA mask gives. */
#define KT_LIMIT_32	0xfffffUL
/* The MSI/APIC window 0xfee00000-0xfeefffff (VT-d 3.14), in frames. */
#define KT_MSI_LO	0xfee00UL
#define KT_MSI_LAST	0xfeeffUL

/* --- random numbers -------------------------------------------------- */

struct iova_kt_rng {
	u64 state;	/* never 0 */
};

/* splitmix64's finaliser: spreads a seed and a salt over all 64 bits. */
static u64 iova_kt_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64* (Vigna): shifts 12, 25, 27, then an odd 64-bit multiplier. */
static u64 iova_kt_rand(struct iova_kt_rng *rng)
{
	u64 x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform enough in [0, n) for tests (n >= 1). */
static unsigned long iova_kt_below(struct iova_kt_rng *rng, unsigned long n)
{
	return iova_kt_rand(rng) % n;
}

static void iova_kt_rng_init(struct iova_kt_rng *rng, u64 salt)
{
	rng->state = iova_kt_mix(seed ^ iova_kt_mix(salt)) ?: 1;
}

/* Seed @rng for one case, from the module's seed and a per-case salt. */
static void iova_kt_seed(struct kunit *test, struct iova_kt_rng *rng, u64 salt)
{
	kunit_info(test, "seed=%lu (replay: insmod vtd_iova_kunit.ko seed=%lu)\n",
		   seed, seed);
	iova_kt_rng_init(rng, salt);
}

/* --- per-test state -------------------------------------------------- */

#define IOVA_KT_DOMAINS	3
#define IOVA_KT_BUFS	16

/**
 * struct iova_kt - what one test case owns; freed by iova_kt_exit()
 * @dom:	domains under test.
 * @dom_live:	@dom[i] is initialised and must be destroyed.
 * @buf:	kvzalloc()ed buffers (models, request logs).
 * @nr_buf:	used entries of @buf.
 */
struct iova_kt {
	struct vtd_iova_domain dom[IOVA_KT_DOMAINS];
	bool dom_live[IOVA_KT_DOMAINS];
	void *buf[IOVA_KT_BUFS];
	unsigned int nr_buf;
};

static int iova_kt_init(struct kunit *test)
{
	struct iova_kt *kt = kunit_kzalloc(test, sizeof(*kt), GFP_KERNEL);

	if (!kt)
		return -ENOMEM;
	test->priv = kt;
	return 0;
}

static void iova_kt_exit(struct kunit *test)
{
	struct iova_kt *kt = test->priv;
	unsigned int i;

	/* Domains may still hold allocations: destroy frees them all. */
	for (i = 0; i < IOVA_KT_DOMAINS; i++) {
		if (!kt->dom_live[i])
			continue;
		vtd_iova_cache_destroy(&kt->dom[i]);
		vtd_iova_domain_destroy(&kt->dom[i]);
	}
	for (i = 0; i < kt->nr_buf; i++)
		kvfree(kt->buf[i]);
}

/* A zeroed buffer of @bytes that lives until the end of the case. */
static void *iova_kt_zalloc(struct kunit *test, size_t bytes)
{
	struct iova_kt *kt = test->priv;
	void *p;

	KUNIT_ASSERT_LT(test, kt->nr_buf, IOVA_KT_BUFS);
	p = kvzalloc(bytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kt->buf[kt->nr_buf++] = p;
	return p;
}

/* Initialise slot @i as a domain [start_pfn, last_pfn]; the case fails if it cannot. */
static struct vtd_iova_domain *iova_kt_domain(struct kunit *test, unsigned int i,
					      unsigned long granule,
					      unsigned long start_pfn,
					      unsigned long last_pfn)
{
	struct iova_kt *kt = test->priv;

	KUNIT_ASSERT_FALSE(test, kt->dom_live[i]);
	KUNIT_ASSERT_EQ_MSG(test, vtd_iova_domain_init(&kt->dom[i], granule,
						       start_pfn, last_pfn), 0,
			    "init(granule %#lx, [%#lx, %#lx])", granule,
			    start_pfn, last_pfn);
	kt->dom_live[i] = true;
	return &kt->dom[i];
}

static void iova_kt_domain_destroy(struct kunit *test, unsigned int i)
{
	struct iova_kt *kt = test->priv;

	vtd_iova_cache_destroy(&kt->dom[i]);
	vtd_iova_domain_destroy(&kt->dom[i]);
	kt->dom_live[i] = false;
}

/* --- the bitmap model ------------------------------------------------ */

/**
 * struct iova_kt_alloc - one live allocation
 * @pfn:	first frame.
 * @size:	frames.
 */
struct iova_kt_alloc {
	unsigned long pfn;
	unsigned long size;
};

/**
 * struct iova_kt_model - what a domain must hold, frame by frame
 * @start_pfn:	first frame of the space.
 * @last_pfn:	last frame of the space.
 * @nbits:	frames in the space; bit i of each map is frame @start_pfn + i.
 * @used:	frame is allocated or reserved.
 * @rsv:	frame is reserved. Touching reserved frames form one range.
 * @head:	frame is the first of a live allocation.
 * @tail:	frame is the last of a live allocation.
 * @live:	the live allocations, unordered.
 * @nr_live:	entries of @live.
 * @max_live:	room in @live.
 * @alloc_frames: frames held by live allocations.
 */
struct iova_kt_model {
	unsigned long start_pfn;
	unsigned long last_pfn;
	unsigned long nbits;
	unsigned long *used;
	unsigned long *rsv;
	unsigned long *head;
	unsigned long *tail;
	struct iova_kt_alloc *live;
	unsigned long nr_live;
	unsigned long max_live;
	unsigned long alloc_frames;
};

enum iova_kt_kind {
	IOVA_KT_FREE,
	IOVA_KT_ALLOCATED,
	IOVA_KT_RESERVED,
};

static void iova_kt_model_init(struct kunit *test, struct iova_kt_model *m,
			       unsigned long start_pfn, unsigned long last_pfn,
			       unsigned long max_live)
{
	size_t words;

	memset(m, 0, sizeof(*m));
	m->start_pfn = start_pfn;
	m->last_pfn = last_pfn;
	m->nbits = last_pfn - start_pfn + 1;
	words = BITS_TO_LONGS(m->nbits);
	m->used = iova_kt_zalloc(test, 4 * words * sizeof(unsigned long));
	m->rsv = m->used + words;
	m->head = m->rsv + words;
	m->tail = m->head + words;
	m->live = iova_kt_zalloc(test, max_live * sizeof(*m->live));
	m->max_live = max_live;
}

/* Highest bit index <= @i of @map that is @set (or clear if !@set); -1 if none. */
static long iova_kt_prev(const unsigned long *map, unsigned long i, bool set)
{
	unsigned long w = i / BITS_PER_LONG;
	unsigned long word = set ? map[w] : ~map[w];

	word &= BITMAP_LAST_WORD_MASK(i % BITS_PER_LONG + 1);
	while (!word) {
		if (!w)
			return -1;
		w--;
		word = set ? map[w] : ~map[w];
	}
	return w * BITS_PER_LONG + __fls(word);
}

/*
 * The contract's answer for an empty space [start_pfn, hi]: the highest
 * aligned start whose range ends at or below @hi.
 */
static int iova_kt_empty_fit(unsigned long start_pfn, unsigned long hi,
			     unsigned long size, unsigned long align,
			     unsigned long *pfn)
{
	unsigned long p;

	if (hi < start_pfn || hi - start_pfn < size - 1)
		return -ENOSPC;
	p = (hi - (size - 1)) & ~(align - 1);
	if (p < start_pfn)
		return -ENOSPC;
	*pfn = p;
	return 0;
}

/*
 * What vtd_iova_alloc() must answer. Candidates are tried from the top; a
 * candidate whose range holds a used frame q rules out every candidate that
 * reaches q, so the search resumes below the used run that holds q.
 */
static int iova_kt_model_fit(const struct iova_kt_model *m, unsigned long size,
			     unsigned long limit, unsigned long align,
			     unsigned long *pfn)
{
	unsigned long hi, p;
	long q;

	if (!size || !is_power_of_2(align))
		return -EINVAL;
	if (limit < m->start_pfn)
		return -ENOSPC;
	hi = min(limit, m->last_pfn);
	for (;;) {
		if (iova_kt_empty_fit(m->start_pfn, hi, size, align, &p))
			return -ENOSPC;
		q = iova_kt_prev(m->used, p + size - 1 - m->start_pfn, true);
		if (q < (long)(p - m->start_pfn)) {
			*pfn = p;
			return 0;
		}
		q = iova_kt_prev(m->used, q, false);
		if (q < 0)
			return -ENOSPC;
		hi = m->start_pfn + q;
	}
}

static void iova_kt_model_take(struct iova_kt_model *m, unsigned long pfn,
			       unsigned long size)
{
	unsigned long i = pfn - m->start_pfn;

	bitmap_set(m->used, i, size);
	__set_bit(i, m->head);
	__set_bit(i + size - 1, m->tail);
	m->live[m->nr_live].pfn = pfn;
	m->live[m->nr_live].size = size;
	m->nr_live++;
	m->alloc_frames += size;
}

static void iova_kt_model_drop(struct iova_kt_model *m, unsigned long idx)
{
	struct iova_kt_alloc a = m->live[idx];
	unsigned long i = a.pfn - m->start_pfn;

	bitmap_clear(m->used, i, a.size);
	__clear_bit(i, m->head);
	__clear_bit(i + a.size - 1, m->tail);
	m->live[idx] = m->live[--m->nr_live];
	m->alloc_frames -= a.size;
}

/* Index in m->live of the allocation starting at @pfn, or -1. */
static long iova_kt_model_live_index(const struct iova_kt_model *m,
				     unsigned long pfn)
{
	unsigned long i;

	for (i = 0; i < m->nr_live; i++)
		if (m->live[i].pfn == pfn)
			return i;
	return -1;
}

/* What vtd_iova_free() must answer; the model is not changed. */
static int iova_kt_model_free_errno(const struct iova_kt_model *m,
				    unsigned long pfn, unsigned long size)
{
	unsigned long i;

	if (pfn < m->start_pfn || pfn > m->last_pfn)
		return -ENOENT;
	i = pfn - m->start_pfn;
	if (test_bit(i, m->head))
		return find_next_bit(m->tail, m->nbits, i) - i + 1 == size ?
		       0 : -EINVAL;
	if (test_bit(i, m->rsv) && (!i || !test_bit(i - 1, m->rsv)))
		return -EPERM;
	return -ENOENT;
}

/* What vtd_iova_reserve() must answer; applied to the model on success. */
static int iova_kt_model_reserve(struct iova_kt_model *m, unsigned long lo,
				 unsigned long last)
{
	unsigned long i, end;

	if (last < lo)
		return -EINVAL;
	if (last < m->start_pfn || lo > m->last_pfn)
		return 0;
	lo = max(lo, m->start_pfn) - m->start_pfn;
	end = min(last, m->last_pfn) - m->start_pfn + 1;
	for (i = find_next_bit(m->used, end, lo); i < end;
	     i = find_next_bit(m->used, end, i + 1))
		if (!test_bit(i, m->rsv))
			return -EBUSY;
	bitmap_set(m->used, lo, end - lo);
	bitmap_set(m->rsv, lo, end - lo);
	return 0;
}

/* What holds frame @pfn (inside the space), and that range's bounds. */
static enum iova_kt_kind iova_kt_model_at(const struct iova_kt_model *m,
					  unsigned long pfn, unsigned long *lo,
					  unsigned long *last)
{
	unsigned long i = pfn - m->start_pfn, end;
	enum iova_kt_kind kind;
	long first;

	if (!test_bit(i, m->used)) {
		first = iova_kt_prev(m->used, i, true) + 1;
		end = find_next_bit(m->used, m->nbits, i);
		kind = IOVA_KT_FREE;
	} else if (test_bit(i, m->rsv)) {
		first = iova_kt_prev(m->rsv, i, false) + 1;
		end = find_next_zero_bit(m->rsv, m->nbits, i);
		kind = IOVA_KT_RESERVED;
	} else {
		first = iova_kt_prev(m->head, i, true);
		end = find_next_bit(m->tail, m->nbits, i) + 1;
		kind = IOVA_KT_ALLOCATED;
	}
	*lo = m->start_pfn + first;
	*last = m->start_pfn + end - 1;
	return kind;
}

/* The counters the domain must report. */
static void iova_kt_model_stats(const struct iova_kt_model *m,
				struct vtd_iova_stats *st)
{
	unsigned long pfn, lo, last;
	enum iova_kt_kind kind;

	memset(st, 0, sizeof(*st));
	st->nr_allocated = m->nr_live;
	st->allocated_frames = m->alloc_frames;
	for (pfn = m->start_pfn;; pfn = last + 1) {
		kind = iova_kt_model_at(m, pfn, &lo, &last);
		if (kind == IOVA_KT_RESERVED) {
			st->nr_reserved++;
			st->reserved_frames += last - lo + 1;
		} else if (kind == IOVA_KT_FREE) {
			st->largest_gap = max(st->largest_gap, last - lo + 1);
		}
		if (last == m->last_pfn)
			break;
	}
	st->bytes = (st->nr_allocated + st->nr_reserved + 1) *
		    vtd_iova_node_bytes();
}

/* --- comparing a domain with what it must hold ------------------------ */

static void iova_kt_expect_stats(struct kunit *test,
				 const struct vtd_iova_stats *got,
				 const struct vtd_iova_stats *want,
				 const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, got->nr_allocated, want->nr_allocated,
			    "%s: nr_allocated", what);
	KUNIT_EXPECT_EQ_MSG(test, got->nr_reserved, want->nr_reserved,
			    "%s: nr_reserved", what);
	KUNIT_EXPECT_EQ_MSG(test, got->allocated_frames, want->allocated_frames,
			    "%s: allocated_frames", what);
	KUNIT_EXPECT_EQ_MSG(test, got->reserved_frames, want->reserved_frames,
			    "%s: reserved_frames", what);
	KUNIT_EXPECT_EQ_MSG(test, got->largest_gap, want->largest_gap,
			    "%s: largest_gap", what);
	KUNIT_EXPECT_EQ_MSG(test, got->bytes, want->bytes, "%s: bytes", what);
}

/* find(@pfn) must give [lo, last] of @kind, or -ENOENT for a free frame. */
static bool iova_kt_probe(struct kunit *test, struct vtd_iova_domain *dom,
			  unsigned long pfn, enum iova_kt_kind kind,
			  unsigned long lo, unsigned long last, const char *what)
{
	bool reserved = kind == IOVA_KT_RESERVED;
	struct vtd_iova_range r = {
		.pfn_lo = ~lo, .pfn_last = ~last, .reserved = !reserved,
	};
	int ret = vtd_iova_find(dom, pfn, &r);

	if (kind == IOVA_KT_FREE) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT,
				    "%s: find(%#lx) in the free span [%#lx, %#lx] gave [%#lx, %#lx]",
				    what, pfn, lo, last, r.pfn_lo, r.pfn_last);
		return ret == -ENOENT;
	}
	if (!ret && r.pfn_lo == lo && r.pfn_last == last &&
	    r.reserved == reserved)
		return true;
	KUNIT_FAIL(test, "%s: find(%#lx) = %d [%#lx, %#lx]%s, want [%#lx, %#lx]%s",
		   what, pfn, ret, r.pfn_lo, r.pfn_last,
		   r.reserved ? " reserved" : "", lo, last,
		   reserved ? " reserved" : "");
	return false;
}

/* find() on @pfn .. @last (all inside the model's space) against the model. */
static bool iova_kt_probe_window(struct kunit *test, struct vtd_iova_domain *dom,
				 const struct iova_kt_model *m,
				 unsigned long pfn, unsigned long last,
				 const char *what)
{
	unsigned long lo, hi;
	enum iova_kt_kind kind;

	for (;; pfn++) {
		kind = iova_kt_model_at(m, pfn, &lo, &hi);
		if (!iova_kt_probe(test, dom, pfn, kind, lo, hi, what))
			return false;
		if (pfn == last)
			return true;
	}
}

/*
 * The domain must match the model: vtd_iova_check(), the counters, and
 * find() on the first, middle and last frame of every range and free gap
 * (on every frame if @every_frame), and on the frames just outside the
 * space (last + 1 is where the anchor lives).
 */
static bool iova_kt_same(struct kunit *test, struct vtd_iova_domain *dom,
			 const struct iova_kt_model *m, bool every_frame,
			 const char *what)
{
	struct vtd_iova_stats want, got;
	unsigned long pfn, lo, last;
	enum iova_kt_kind kind;
	int ret = vtd_iova_check(dom);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: vtd_iova_check()", what);
	iova_kt_model_stats(m, &want);
	vtd_iova_get_stats(dom, &got);
	/* The cost of the last search is no state the model keeps. */
	got.last_search_visits = want.last_search_visits;
	iova_kt_expect_stats(test, &got, &want, what);
	if (ret || memcmp(&got, &want, sizeof(got)))
		return false;
	if (m->start_pfn &&
	    !iova_kt_probe(test, dom, m->start_pfn - 1, IOVA_KT_FREE,
			   m->start_pfn - 1, m->start_pfn - 1, what))
		return false;
	if (!iova_kt_probe(test, dom, m->last_pfn + 1, IOVA_KT_FREE,
			   m->last_pfn + 1, m->last_pfn + 1, what))
		return false;
	for (pfn = m->start_pfn;; pfn = last + 1) {
		kind = iova_kt_model_at(m, pfn, &lo, &last);
		if (every_frame) {
			if (!iova_kt_probe_window(test, dom, m, pfn, last, what))
				return false;
		} else if (!iova_kt_probe(test, dom, pfn, kind, lo, last, what) ||
			   !iova_kt_probe(test, dom, pfn + (last - pfn) / 2, kind,
					  lo, last, what) ||
			   !iova_kt_probe(test, dom, last, kind, lo, last, what)) {
			return false;
		}
		if (last == m->last_pfn)
			return true;
	}
}

/* --- operations on a domain and its model ---------------------------- */

/*
 * vtd_iova_alloc() on @dom; the errno and the frame must be the model's.
 * A mismatch ends the case: what follows would only repeat it.
 */
static int iova_kt_alloc(struct kunit *test, struct vtd_iova_domain *dom,
			 struct iova_kt_model *m, unsigned long size,
			 unsigned long limit, unsigned long align, gfp_t gfp,
			 unsigned long *pfn_out)
{
	unsigned long want = 0, got = 0;
	int want_ret, ret;

	KUNIT_ASSERT_LT(test, m->nr_live, m->max_live);
	want_ret = iova_kt_model_fit(m, size, limit, align, &want);
	ret = vtd_iova_alloc(dom, size, limit, align, gfp, &got);
	KUNIT_ASSERT_EQ_MSG(test, ret, want_ret,
			    "alloc(size %#lx, limit %#lx, align %#lx) gave %#lx, model %#lx",
			    size, limit, align, got, want);
	if (ret)
		return ret;
	KUNIT_ASSERT_EQ_MSG(test, got, want,
			    "alloc(size %#lx, limit %#lx, align %#lx)",
			    size, limit, align);
	/* Independent of the model: aligned, inside the space and the limit. */
	KUNIT_EXPECT_EQ(test, got & (align - 1), 0);
	KUNIT_EXPECT_GE(test, got, m->start_pfn);
	KUNIT_EXPECT_LE(test, got + size - 1, min(limit, m->last_pfn));
	iova_kt_model_take(m, got, size);
	if (pfn_out)
		*pfn_out = got;
	return 0;
}

/* vtd_iova_free() on @dom; the errno must be the model's. */
static int iova_kt_free(struct kunit *test, struct vtd_iova_domain *dom,
			struct iova_kt_model *m, unsigned long pfn,
			unsigned long size)
{
	int want = iova_kt_model_free_errno(m, pfn, size);
	int ret = vtd_iova_free(dom, pfn, size);
	long idx;

	KUNIT_ASSERT_EQ_MSG(test, ret, want, "free(%#lx, %#lx)", pfn, size);
	if (!ret) {
		idx = iova_kt_model_live_index(m, pfn);
		KUNIT_ASSERT_GE(test, idx, 0);
		iova_kt_model_drop(m, idx);
	}
	return ret;
}

/* Free the model's live allocation number @idx; it must succeed. */
static void iova_kt_free_nth(struct kunit *test, struct vtd_iova_domain *dom,
			     struct iova_kt_model *m, unsigned long idx)
{
	struct iova_kt_alloc a = m->live[idx];

	KUNIT_ASSERT_EQ_MSG(test, vtd_iova_free(dom, a.pfn, a.size), 0,
			    "free(%#lx, %#lx) of a live allocation", a.pfn, a.size);
	iova_kt_model_drop(m, idx);
}

/* vtd_iova_reserve() on @dom; the errno must be the model's. */
static int iova_kt_reserve(struct kunit *test, struct vtd_iova_domain *dom,
			   struct iova_kt_model *m, unsigned long lo,
			   unsigned long last)
{
	int want = iova_kt_model_reserve(m, lo, last);
	int ret = vtd_iova_reserve(dom, lo, last, GFP_KERNEL);

	KUNIT_ASSERT_EQ_MSG(test, ret, want, "reserve [%#lx, %#lx]", lo, last);
	return ret;
}

/**
 * struct iova_kt_req - one allocation request, and its answer
 * @size:	frames.
 * @limit:	highest frame the range may use.
 * @align:	alignment of the first frame.
 * @pfn:	the frame returned.
 */
struct iova_kt_req {
	unsigned long size;
	unsigned long limit;
	unsigned long align;
	unsigned long pfn;
};

/*
 * A random request for @m's space: sizes 1..64, power-of-two alignments
 * 1..64, limits at the top, above it, or anywhere from a little below the
 * space. A third are size == align, the shape the allocator prunes exactly.
 */
static void iova_kt_random_req(struct iova_kt_rng *rng,
			       const struct iova_kt_model *m,
			       struct iova_kt_req *req)
{
	unsigned long below_start = min(m->start_pfn, 4UL);
	u64 r = iova_kt_rand(rng);

	req->align = 1UL << (r % 7);
	switch ((r >> 3) % 3) {
	case 0:
		req->size = req->align;
		break;
	case 1:
		req->size = 1 + (r >> 8) % 64;
		req->align = 1;
		break;
	default:
		req->size = 1 + (r >> 8) % 64;
		break;
	}
	switch ((r >> 16) % 4) {
	case 0:
		req->limit = m->last_pfn;
		break;
	case 1:
		req->limit = ULONG_MAX;
		break;
	default:
		req->limit = m->start_pfn - below_start +
			     (r >> 20) % (m->nbits + below_start);
		break;
	}
}

/* --- cases: arguments and boundaries ---------------------------------- */

static void iova_kt_expect_init_einval(struct kunit *test, unsigned long granule,
				       unsigned long start_pfn,
				       unsigned long last_pfn)
{
	struct iova_kt *kt = test->priv;
	int ret = vtd_iova_domain_init(&kt->dom[2], granule, start_pfn, last_pfn);

	KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL, "init(granule %#lx, [%#lx, %#lx])",
			    granule, start_pfn, last_pfn);
	if (!ret)
		vtd_iova_domain_destroy(&kt->dom[2]);
}

static void iova_kt_expect_init_ok(struct kunit *test, unsigned long granule,
				   unsigned long start_pfn, unsigned long last_pfn)
{
	struct iova_kt *kt = test->priv;
	int ret = vtd_iova_domain_init(&kt->dom[2], granule, start_pfn, last_pfn);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "init(granule %#lx, [%#lx, %#lx])",
			    granule, start_pfn, last_pfn);
	if (ret)
		return;
	KUNIT_EXPECT_EQ(test, vtd_iova_shift(&kt->dom[2]), ilog2(granule));
	KUNIT_EXPECT_EQ(test, vtd_iova_check(&kt->dom[2]), 0);
	vtd_iova_domain_destroy(&kt->dom[2]);
}

/* Refused arguments: exact errno, and nothing changes. */
static void iova_test_bad_args(struct kunit *test)
{
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	unsigned long pfn = 0;

	iova_kt_expect_init_einval(test, 0, 0, 0xffff);
	iova_kt_expect_init_einval(test, 3, 0, 0xffff);
	iova_kt_expect_init_einval(test, KT_4K + 1, 0, 0xffff);
	iova_kt_expect_init_einval(test, KT_4K, 5, 4);
	iova_kt_expect_init_einval(test, KT_4K, 0, ULONG_MAX);
	iova_kt_expect_init_einval(test, 1, ULONG_MAX, ULONG_MAX);
	iova_kt_expect_init_ok(test, 1, 0, 0);
	iova_kt_expect_init_ok(test, 1UL << 63, 7, 7);
	iova_kt_expect_init_ok(test, KT_4K, 0, ULONG_MAX - 1);

	dom = iova_kt_domain(test, 0, KT_4K, 1, 0xfff);
	iova_kt_model_init(test, &m, 1, 0xfff, 16);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 0, ULONG_MAX, 1,
					    GFP_KERNEL, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 0,
					    GFP_KERNEL, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 3,
					    GFP_KERNEL, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 4, ULONG_MAX, 0x30,
					    GFP_KERNEL, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX,
					    ULONG_MAX, GFP_KERNEL, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, 10, 9), -EINVAL);
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, ULONG_MAX, 0),
			-EINVAL);
	iova_kt_same(test, dom, &m, true, "after refused arguments");
}

/**
 * struct iova_kt_bound - one row of the boundary table
 * @name:	what the row tests.
 * @granule:	bytes per frame.
 * @start_pfn:	first frame of the space.
 * @last_pfn:	last frame of the space.
 * @size:	frames per request.
 * @limit:	limit of each request.
 * @align:	alignment of each request.
 * @repeat:	identical requests made in a row (at most 4).
 */
struct iova_kt_bound {
	const char *name;
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long last_pfn;
	unsigned long size;
	unsigned long limit;
	unsigned long align;
	unsigned int repeat;
};

#define IOVA_KT_BOUND_MAX_REPEAT	4

static const struct iova_kt_bound iova_kt_bounds[] = {
	/* name, granule, start, last, size, limit, align, repeat */
	{ "limit at the last frame", KT_4K, 1, KT_LIMIT_32, 1, KT_LIMIT_32, 1, 3 },
	{ "limit one below the last frame", KT_4K, 1, KT_LIMIT_32, 1,
	  KT_LIMIT_32 - 1, 1, 3 },
	{ "limit above the space", KT_4K, 1, KT_LIMIT_32, 5, 0x1fffff, 1, 3 },
	{ "limit ULONG_MAX", KT_4K, 1, KT_LIMIT_32, 7, ULONG_MAX, 4, 3 },
	{ "limit at the first frame", KT_4K, 0x100, 0xfff, 1, 0x100, 1, 2 },
	{ "limit at the first frame, size 2", KT_4K, 0x100, 0xfff, 2, 0x100, 1, 1 },
	{ "limit below the space", KT_4K, 0x100, 0xfff, 1, 0xff, 1, 1 },
	{ "limit 0, space from 0", 1, 0, 0xff, 1, 0, 1, 2 },
	{ "limit 0, space from 1", KT_4K, 1, 0xff, 1, 0, 1, 1 },
	{ "single-frame space", KT_4K, 0x42, 0x42, 1, ULONG_MAX, 1, 2 },
	{ "single frame below ULONG_MAX", 1, ULONG_MAX - 1, ULONG_MAX - 1, 1,
	  ULONG_MAX, 1, 2 },
	{ "limit below a space near ULONG_MAX", 1, ULONG_MAX - 8, ULONG_MAX - 1,
	  1, ULONG_MAX - 9, 1, 1 },
	{ "whole space", KT_4K, 1, KT_LIMIT_32, KT_LIMIT_32, KT_LIMIT_32, 1, 2 },
	{ "whole space plus one", KT_4K, 1, KT_LIMIT_32, KT_LIMIT_32 + 1,
	  ULONG_MAX, 1, 1 },
	{ "whole 48-bit space", KT_4K, 0, (1UL << 36) - 1, 1UL << 36, ULONG_MAX,
	  1, 2 },
	{ "whole unsigned long space", 1, 0, ULONG_MAX - 1, ULONG_MAX, ULONG_MAX,
	  1, 2 },
	{ "top of unsigned long, size 1", 1, 0, ULONG_MAX - 1, 1, ULONG_MAX, 1, 3 },
	{ "align above the space", KT_4K, 1, 0xffff, 1, 0xffff, 0x10000, 1 },
	{ "align equal to the space", KT_4K, 0, 0xffff, 1, ULONG_MAX, 0x10000, 2 },
	{ "align 2^40", KT_4K, 1, ULONG_MAX - 1, 1, ULONG_MAX, 1UL << 40, 3 },
	{ "size-aligned block past an odd start", KT_4K, 3, 0x1002, 0x1000,
	  0x1002, 0x1000, 1 },
	{ "unaligned block past an odd start", KT_4K, 3, 0x1002, 0x1000, 0x1002,
	  1, 2 },
	{ "size 2^n - 1 aligned 2^n under an odd limit", KT_4K, 1, KT_LIMIT_32,
	  0x3ff, 0x12345, 0x400, 3 },
	{ "size 2^n + 1 aligned 2^n", KT_4K, 1, KT_LIMIT_32, 0x401, KT_LIMIT_32,
	  0x400, 3 },
	{ "2 MiB granule", 1UL << 21, 0, 0x7ffff, 3, 0x7ffff, 2, 3 },
	{ "1 GiB granule", 1UL << 30, 0, 511, 2, 511, 2, 4 },
};

static void iova_kt_bound_desc(const struct iova_kt_bound *b, char *desc)
{
	strscpy(desc, b->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(iova_kt_bounds, iova_kt_bounds, iova_kt_bound_desc);

/*
 * One row: identical requests, each must be the closed-form answer under
 * the previous one; find() sees each; freeing them all empties the domain;
 * the first request then lands where it did before.
 */
static void iova_test_boundaries(struct kunit *test)
{
	const struct iova_kt_bound *b = test->param_value;
	unsigned long pfn[IOVA_KT_BOUND_MAX_REPEAT], hi, want = 0, frames = 0;
	struct vtd_iova_domain *dom;
	struct vtd_iova_range r;
	struct vtd_iova_stats st;
	unsigned int i, n = 0;
	int ret, want_ret = 0;

	KUNIT_ASSERT_LE(test, b->repeat, IOVA_KT_BOUND_MAX_REPEAT);
	dom = iova_kt_domain(test, 0, b->granule, b->start_pfn, b->last_pfn);
	KUNIT_EXPECT_EQ(test, vtd_iova_shift(dom), ilog2(b->granule));
	hi = b->limit < b->start_pfn ? 0 : min(b->limit, b->last_pfn);
	for (i = 0; i < b->repeat; i++) {
		if (b->limit < b->start_pfn || want_ret)
			want_ret = -ENOSPC;
		else
			want_ret = iova_kt_empty_fit(b->start_pfn, hi, b->size,
						     b->align, &want);
		ret = vtd_iova_alloc(dom, b->size, b->limit, b->align,
				     GFP_KERNEL, &pfn[n]);
		KUNIT_ASSERT_EQ_MSG(test, ret, want_ret, "request %u", i);
		if (ret)
			continue;
		KUNIT_ASSERT_EQ_MSG(test, pfn[n], want, "request %u", i);
		KUNIT_EXPECT_EQ(test, vtd_iova_find(dom, pfn[n] + b->size - 1, &r), 0);
		KUNIT_EXPECT_EQ(test, r.pfn_lo, pfn[n]);
		KUNIT_EXPECT_EQ(test, r.pfn_last, pfn[n] + b->size - 1);
		frames += b->size;
		n++;
		/* Nothing fits at or above this answer any more. */
		if (want == b->start_pfn)
			want_ret = -ENOSPC;
		hi = want - 1;
	}
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
	vtd_iova_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.nr_allocated, n);
	KUNIT_EXPECT_EQ(test, st.allocated_frames, frames);

	for (i = n; i-- > 0;)
		KUNIT_EXPECT_EQ(test, vtd_iova_free(dom, pfn[i], b->size), 0);
	vtd_iova_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.nr_allocated, 0);
	KUNIT_EXPECT_EQ(test, st.largest_gap, b->last_pfn - b->start_pfn + 1);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
	if (!n)
		return;
	/* Free-and-realloc lands at the same place. */
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc(dom, b->size, b->limit, b->align,
					     GFP_KERNEL, &want), 0);
	KUNIT_EXPECT_EQ(test, want, pfn[0]);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
}

/* A limit below the first frame: -ENOSPC, and nothing changes. */
static void iova_test_limit_below_start(struct kunit *test)
{
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	unsigned long pfn = 0;

	dom = iova_kt_domain(test, 0, KT_4K, 0x100, 0xfff);
	iova_kt_model_init(test, &m, 0x100, 0xfff, 16);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 0xff, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 0, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 0x100, 0xff, 0x100,
					    GFP_ATOMIC, &pfn), -ENOSPC);
	iova_kt_same(test, dom, &m, true, "after limits below the space");

	/* At the first frame exactly: that one frame, once. */
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 0x100, 1,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 0x100);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 0x100, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	iova_kt_same(test, dom, &m, true, "after the first frame");

	/* The same at the top of unsigned long. */
	dom = iova_kt_domain(test, 1, 1, ULONG_MAX - 16, ULONG_MAX - 1);
	iova_kt_model_init(test, &m, ULONG_MAX - 16, ULONG_MAX - 1, 16);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX - 17, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 2, ULONG_MAX - 16, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 1,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, ULONG_MAX - 1);
	iova_kt_same(test, dom, &m, true, "near ULONG_MAX");
}

/*
 * Sizes 2^n - 1, 2^n and 2^n + 1, unaligned and size-aligned, each the
 * model's answer; then, newest first, each freed and asked for again must
 * land where it was (nothing was freed after it, so nothing higher fits).
 */
static void iova_test_sizes(struct kunit *test)
{
	const unsigned long start = 3, last = 0x7ffff;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	struct iova_kt_req *req;
	unsigned int n, k, nr = 0, i;
	unsigned long pfn = 0;

	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, 128);
	req = iova_kt_zalloc(test, 128 * sizeof(*req));
	for (n = 0; n <= 14; n++) {
		for (k = 0; k < 6; k++) {
			req[nr].size = (1UL << n) + k % 3 - 1;
			if (!req[nr].size)
				continue;
			req[nr].align = k < 3 ? 1 :
					roundup_pow_of_two(req[nr].size);
			req[nr].limit = n & 1 ? last : 0x5ffff - n;
			KUNIT_ASSERT_EQ_MSG(test,
					    iova_kt_alloc(test, dom, &m, req[nr].size,
							  req[nr].limit, req[nr].align,
							  GFP_KERNEL, &req[nr].pfn),
					    0, "size %#lx", req[nr].size);
			nr++;
		}
	}
	iova_kt_same(test, dom, &m, false, "sizes allocated");

	for (i = nr; i-- > 0;) {
		KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, req[i].pfn,
						   req[i].size), 0);
		iova_kt_alloc(test, dom, &m, req[i].size, req[i].limit,
			      req[i].align, GFP_KERNEL, &pfn);
		KUNIT_EXPECT_EQ_MSG(test, pfn, req[i].pfn,
				    "size %#lx align %#lx: realloc after free",
				    req[i].size, req[i].align);
	}
	iova_kt_same(test, dom, &m, false, "sizes reallocated");

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, req[i].pfn,
						   req[i].size), 0);
	iova_kt_same(test, dom, &m, false, "sizes freed");
}

/*
 * The next aligned start above @pfn must not have fitted: past @hi, or one
 * of its frames taken. Checked with find() only, for sizes up to 4096.
 */
static void iova_kt_expect_highest(struct kunit *test,
				   struct vtd_iova_domain *dom,
				   unsigned long pfn, unsigned long size,
				   unsigned long hi, unsigned long align)
{
	unsigned long q = pfn + align, f;
	struct vtd_iova_range r;

	if (q < pfn || q > hi || hi - q < size - 1 || size > 4096)
		return;
	for (f = q; f <= q + size - 1; f++)
		if (!vtd_iova_find(dom, f, &r))
			return;
	KUNIT_FAIL(test, "align %#lx size %#lx: got %#lx, but %#lx was free",
		   align, size, pfn, q);
}

/*
 * Alignments 2^0 .. 2^19 with sizes 1, 3, align - 1, align, align + 1,
 * against an irregular background: each answer is aligned and is the
 * highest aligned start that fits (model), and the next aligned start up
 * did not fit (find()).
 */
static void iova_test_alignment(struct kunit *test)
{
	unsigned long align, size, limit, pfn = 0;
	struct vtd_iova_domain *dom;
	struct iova_kt_rng rng;
	struct iova_kt_model m;
	struct iova_kt_req req;
	unsigned int k, j;

	iova_kt_seed(test, &rng, 2);
	dom = iova_kt_domain(test, 0, KT_4K, 1, KT_LIMIT_32);
	iova_kt_model_init(test, &m, 1, KT_LIMIT_32, 128);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, KT_MSI_LO,
					      KT_MSI_LAST), 0);
	for (j = 0; j < 64; j++) {
		iova_kt_random_req(&rng, &m, &req);
		req.limit = KT_LIMIT_32 - iova_kt_below(&rng, 0x4000);
		iova_kt_alloc(test, dom, &m, req.size, req.limit, req.align,
			      GFP_KERNEL, NULL);
	}
	iova_kt_same(test, dom, &m, false, "alignment background");

	for (k = 0; k <= 19; k++) {
		align = 1UL << k;
		for (j = 0; j < 5; j++) {
			size = j == 0 ? 1 : j == 1 ? 3 : align + j - 3;
			if (!size)
				continue;
			limit = j & 1 ? KT_LIMIT_32 :
				KT_LIMIT_32 / 2 + iova_kt_below(&rng, KT_LIMIT_32 / 2);
			if (iova_kt_alloc(test, dom, &m, size, limit, align,
					  GFP_KERNEL, &pfn))
				continue;
			KUNIT_EXPECT_EQ(test, pfn % align, 0);
			iova_kt_expect_highest(test, dom, pfn, size,
					       min(limit, m.last_pfn), align);
			KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, pfn, size), 0);
		}
	}
	iova_kt_same(test, dom, &m, false, "alignments done");
}

/*
 * Top-down order: successive allocations descend and each is the highest
 * possible; a freed frame at the top is the next one handed out.
 */
static void iova_test_top_down(struct kunit *test)
{
	const unsigned long start = 16, last = start + 4095;
	unsigned long pfn = 0, prev, mid, size, victim;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	struct iova_kt_rng rng;
	struct iova_kt_req req;
	unsigned int i;

	iova_kt_seed(test, &rng, 3);
	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, 4096);

	/* Size 1 under the last frame: last, last - 1, ... */
	for (i = 0, prev = last + 1; i < 64; i++, prev = pfn) {
		KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 1, last, 1,
						    GFP_KERNEL, &pfn), 0);
		KUNIT_EXPECT_EQ(test, pfn, prev - 1);
	}
	iova_kt_same(test, dom, &m, true, "size 1 from the top");

	/* Mixed sizes under a limit in the middle: each ends below the last. */
	mid = start + 1024 + iova_kt_below(&rng, 1024);
	for (i = 0, prev = mid + 1; i < 32; i++, prev = pfn) {
		size = 1 + iova_kt_below(&rng, 8);
		KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, size, mid, 1,
						    GFP_ATOMIC, &pfn), 0);
		KUNIT_EXPECT_EQ(test, pfn + size - 1, prev - 1);
	}
	iova_kt_same(test, dom, &m, true, "under a limit");

	/* Mixed shapes and limits: each the highest fit. */
	for (i = 0; i < 64; i++) {
		iova_kt_random_req(&rng, &m, &req);
		iova_kt_alloc(test, dom, &m, req.size, req.limit, req.align,
			      GFP_KERNEL, NULL);
	}
	iova_kt_same(test, dom, &m, true, "mixed shapes");

	/* A hole at the top is the highest free frame. */
	victim = last - 10;
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, victim, 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 1,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, victim);
	iova_kt_same(test, dom, &m, true, "refilled");
}

/* --- cases: lookup, frees, reservations ------------------------------- */

/*
 * find() on every frame: adjacent allocations, holes touching them, the
 * first and last frames, outside the space; the result is a copy.
 */
static void iova_test_find(struct kunit *test)
{
	const unsigned long start = 8, last = start + 511;
	unsigned long a = 0, c = 0, d = 0;
	struct vtd_iova_range r, r2;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;

	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, 64);
	iova_kt_same(test, dom, &m, true, "empty");
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 4, last, 1,
					    GFP_KERNEL, &a), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 1, last, 1,
					    GFP_KERNEL, NULL), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 2, last, 1,
					    GFP_KERNEL, &c), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, c - 4, c - 1), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, start, start), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 3, 100, 1,
					    GFP_KERNEL, &d), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, d + 3, d + 3), 0);
	iova_kt_same(test, dom, &m, true, "ranges in place");
	KUNIT_EXPECT_EQ(test, vtd_iova_find(dom, 0, &r), -ENOENT);
	KUNIT_EXPECT_EQ(test, vtd_iova_find(dom, ULONG_MAX, &r), -ENOENT);

	/* A copy: it still describes the allocation after the range changed. */
	KUNIT_ASSERT_EQ(test, vtd_iova_find(dom, a + 2, &r), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, a, 4), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, a, a + 3), 0);
	KUNIT_EXPECT_EQ(test, r.pfn_lo, a);
	KUNIT_EXPECT_EQ(test, r.pfn_last, a + 3);
	KUNIT_EXPECT_FALSE(test, r.reserved);
	KUNIT_EXPECT_EQ(test, vtd_iova_find(dom, a + 2, &r2), 0);
	KUNIT_EXPECT_TRUE(test, r2.reserved);
	iova_kt_same(test, dom, &m, true, "allocation replaced by a hole");
}

/* A refused free returns @err and changes neither the counters nor the tree. */
static void iova_kt_expect_refused(struct kunit *test,
				   struct vtd_iova_domain *dom,
				   unsigned long pfn, unsigned long size,
				   int err, const char *why)
{
	struct vtd_iova_stats before, after;

	vtd_iova_get_stats(dom, &before);
	KUNIT_EXPECT_EQ_MSG(test, vtd_iova_free(dom, pfn, size), err,
			    "free(%#lx, %#lx): %s", pfn, size, why);
	vtd_iova_get_stats(dom, &after);
	iova_kt_expect_stats(test, &after, &before, why);
	KUNIT_EXPECT_EQ_MSG(test, vtd_iova_check(dom), 0, "%s", why);
}

static void iova_test_bad_free(struct kunit *test)
{
	const unsigned long start = 1, last = 0xfff;
	unsigned long a = 0, b = 0, c = 0;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;

	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, 16);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 4, last, 1,
					    GFP_KERNEL, &a), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 1, last, 1,
					    GFP_KERNEL, &b), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 8, last, 8,
					    GFP_KERNEL, &c), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, 0x100, 0x10f), 0);

	iova_kt_expect_refused(test, dom, 0x50, 1, -ENOENT, "free frame");
	iova_kt_expect_refused(test, dom, 0, 1, -ENOENT, "below the space");
	iova_kt_expect_refused(test, dom, last + 1, 1, -ENOENT,
			       "the frame past the space");
	iova_kt_expect_refused(test, dom, ULONG_MAX, 1, -ENOENT, "ULONG_MAX");
	iova_kt_expect_refused(test, dom, a + 1, 3, -ENOENT,
			       "inside an allocation");
	iova_kt_expect_refused(test, dom, a, 3, -EINVAL, "size too small");
	iova_kt_expect_refused(test, dom, a, 5, -EINVAL, "size too large");
	iova_kt_expect_refused(test, dom, a, 0, -EINVAL, "size 0");
	iova_kt_expect_refused(test, dom, c, ULONG_MAX, -EINVAL, "size ULONG_MAX");
	iova_kt_expect_refused(test, dom, 0x100, 16, -EPERM, "a hole");
	iova_kt_expect_refused(test, dom, 0x100, 1, -EPERM, "a hole, wrong size");
	iova_kt_expect_refused(test, dom, 0x101, 15, -ENOENT, "inside a hole");
	iova_kt_same(test, dom, &m, true, "after refused frees");

	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, b, 1), 0);
	iova_kt_expect_refused(test, dom, b, 1, -ENOENT, "double free");
	iova_kt_same(test, dom, &m, true, "after a double free");
}

/**
 * struct iova_kt_span - a range of frames [lo, last]
 * @lo:		first frame.
 * @last:	last frame.
 */
struct iova_kt_span {
	unsigned long lo;
	unsigned long last;
};

/* Holes in the order they are made, each checked against the model. */
static const struct iova_kt_span iova_kt_merge_steps[] = {
	{ 0x100, 0x1ff },	/* new */
	{ 0x180, 0x27f },	/* overlaps its top */
	{ 0x280, 0x2ff },	/* touches it from above */
	{ 0x0f0, 0x0ff },	/* touches it from below */
	{ 0x120, 0x130 },	/* inside it */
	{ 0x0f0, 0x2ff },	/* exactly it */
	{ 0x400, 0x4ff },	/* three apart */
	{ 0x600, 0x6ff },
	{ 0x800, 0x8ff },
	{ 0x450, 0x850 },	/* spans the three */
	{ 0x300, 0x3ff },	/* bridges the two left */
	{ 0xa00, 0xa00 },	/* single frames, then the one between */
	{ 0xa02, 0xa02 },
	{ 0xa01, 0xa01 },
	{ 0x000, 0x000 },	/* the first frame */
	{ 0xfff0, 0x1000f },	/* clipped at the top */
	{ 0x10000, 0x1ffff },	/* wholly outside: no change */
	{ 0x9ff, 0xa03 },	/* covers a merged hole and both neighbours */
};

static void iova_test_reserve_merge(struct kunit *test)
{
	const struct iova_kt_span *s;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	unsigned long pfn = 0;
	unsigned int i;

	dom = iova_kt_domain(test, 0, KT_4K, 0, 0xffff);
	iova_kt_model_init(test, &m, 0, 0xffff, 16);
	for (i = 0; i < ARRAY_SIZE(iova_kt_merge_steps); i++) {
		s = &iova_kt_merge_steps[i];
		KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, s->lo, s->last), 0);
		if (!iova_kt_same(test, dom, &m, false, "merge step"))
			KUNIT_FAIL(test, "after step %u: [%#lx, %#lx]", i,
				   s->lo, s->last);
		/* Every frame of the step and its neighbours, inside the space. */
		if (s->lo <= m.last_pfn)
			iova_kt_probe_window(test, dom, &m, s->lo ? s->lo - 1 : 0,
					     min(s->last + 1, m.last_pfn),
					     "around the step");
	}
	/* Allocations under limits ending inside holes go below them. */
	iova_kt_alloc(test, dom, &m, 1, 0x500, 1, GFP_KERNEL, &pfn);
	iova_kt_alloc(test, dom, &m, 16, 0x900, 16, GFP_KERNEL, &pfn);
	iova_kt_alloc(test, dom, &m, 1, 0xa02, 1, GFP_KERNEL, &pfn);
	iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 1, GFP_KERNEL, &pfn);
	iova_kt_same(test, dom, &m, false, "allocations around holes");
}

/* A reservation over an allocated frame: -EBUSY, and nothing changes. */
static void iova_kt_expect_busy(struct kunit *test, struct vtd_iova_domain *dom,
				struct iova_kt_model *m, unsigned long lo,
				unsigned long last)
{
	struct vtd_iova_stats before, after;

	vtd_iova_get_stats(dom, &before);
	KUNIT_EXPECT_EQ_MSG(test, iova_kt_reserve(test, dom, m, lo, last), -EBUSY,
			    "reserve [%#lx, %#lx]", lo, last);
	vtd_iova_get_stats(dom, &after);
	iova_kt_expect_stats(test, &after, &before, "refused reserve");
	iova_kt_same(test, dom, m, false, "refused reserve");
}

static void iova_test_reserve_busy(struct kunit *test)
{
	const unsigned long start = 1, last = 0x1fff;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	unsigned long a = 0, b = 0;

	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, 16);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 16, 0x1000, 16,
					    GFP_KERNEL, &a), 0);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 0xe00, 1,
					    GFP_KERNEL, &b), 0);
	iova_kt_expect_busy(test, dom, &m, a, a + 15);
	iova_kt_expect_busy(test, dom, &m, a, a);
	iova_kt_expect_busy(test, dom, &m, a + 15, a + 15);
	iova_kt_expect_busy(test, dom, &m, a - 10, a);
	iova_kt_expect_busy(test, dom, &m, a + 15, a + 25);
	iova_kt_expect_busy(test, dom, &m, b, a + 15);
	iova_kt_expect_busy(test, dom, &m, 0, ULONG_MAX);

	/* Touching an allocation is fine, and does not merge with it. */
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, a - 8, a - 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, a + 16, a + 19), 0);
	iova_kt_same(test, dom, &m, true, "holes touching an allocation");
	/* A reservation that would merge with a hole and cover the allocation. */
	iova_kt_expect_busy(test, dom, &m, a - 8, a + 15);
	iova_kt_expect_busy(test, dom, &m, a - 4, a + 19);

	/* Once freed, its frames can be reserved, merging both holes. */
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, a, 16), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, a, a + 15), 0);
	iova_kt_same(test, dom, &m, true, "hole over a freed allocation");
}

/* --- cases: exhaustion ------------------------------------------------ */

/* Holes a DMA domain meets below 4 GiB (firmware RMRRs, the MSI window). */
static const struct iova_kt_span iova_kt_holes[] = {
	{ KT_MSI_LO, KT_MSI_LAST },	/* MSI/APIC window */
	{ 0xe0000, 0xeffff },		/* legacy BIOS area: below the space */
	{ 0xfdff0, 0xfe00f },		/* straddles the first frame */
	{ 0xfe400, 0xfe5ff },		/* RMRR-like */
	{ 0xfe500, 0xfe6ff },		/* overlaps it */
	{ 0xfef00, 0xfef0f },		/* touches the MSI window */
	{ 0xfe800, 0xfe800 },		/* one frame */
	{ 0xffff0, 0x10000f },		/* straddles the 32-bit limit */
	{ 0x180000, 0x1800ff },		/* above 4 GiB */
};

/*
 * The range [pfn, pfn + size - 1] must be under the 32-bit limit, hold no
 * reserved frame (@win_rsv, built from the hole list) and no frame already
 * handed out (@given); it is then marked in @given.
 */
static void iova_kt_expect_clear(struct kunit *test, const unsigned long *win_rsv,
				 unsigned long *given, unsigned long start,
				 unsigned long pfn, unsigned long size)
{
	unsigned long i = pfn - start, end = i + size;

	KUNIT_ASSERT_LE(test, pfn + size - 1, KT_LIMIT_32);
	KUNIT_EXPECT_GE_MSG(test, find_next_bit(win_rsv, end, i), end,
			    "[%#lx, %#lx] holds a reserved frame", pfn,
			    pfn + size - 1);
	KUNIT_EXPECT_GE_MSG(test, find_next_bit(given, end, i), end,
			    "[%#lx, %#lx] handed out twice", pfn, pfn + size - 1);
	bitmap_set(given, i, size);
}

/* Every frame of [lo, last] belongs to some range: nothing is left. */
static void iova_kt_expect_full(struct kunit *test, struct vtd_iova_domain *dom,
				unsigned long lo, unsigned long last)
{
	struct vtd_iova_range r;
	unsigned long pfn;

	for (pfn = lo; pfn <= last; pfn = r.pfn_last + 1) {
		if (vtd_iova_find(dom, pfn, &r)) {
			KUNIT_FAIL(test, "frame %#lx is free after exhaustion", pfn);
			return;
		}
		if (r.pfn_last >= last)
			return;
	}
}

/*
 * Holes are never handed out: the space below 4 GiB (8 Ki frames here),
 * with the MSI window and RMRR-like holes, exhausted under a 32-bit limit
 * first with mixed sizes, then with size 1.
 */
static void iova_test_holes(struct kunit *test)
{
	const unsigned long start = 0xfe000, last = 0x1fffff;
	const unsigned long nwin = KT_LIMIT_32 - start + 1;
	unsigned long *win_rsv, *given, pfn = 0, size, align, count, prev;
	const struct iova_kt_span *h;
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	struct iova_kt_rng rng;
	unsigned int i;
	int ret;

	iova_kt_seed(test, &rng, 4);
	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, nwin);
	win_rsv = iova_kt_zalloc(test, BITS_TO_LONGS(nwin) * sizeof(long));
	given = iova_kt_zalloc(test, BITS_TO_LONGS(nwin) * sizeof(long));
	for (i = 0; i < ARRAY_SIZE(iova_kt_holes); i++) {
		h = &iova_kt_holes[i];
		KUNIT_EXPECT_EQ(test, iova_kt_reserve(test, dom, &m, h->lo,
						      h->last), 0);
		if (h->last >= start && h->lo <= KT_LIMIT_32)
			bitmap_set(win_rsv, max(h->lo, start) - start,
				   min(h->last, KT_LIMIT_32) - max(h->lo, start) + 1);
	}
	iova_kt_same(test, dom, &m, false, "holes reserved");

	/* Mixed sizes until not even one frame fits. */
	for (i = 0;; i++) {
		size = 1 + iova_kt_below(&rng, 32);
		align = iova_kt_below(&rng, 2) ? 1 : roundup_pow_of_two(size);
		ret = iova_kt_alloc(test, dom, &m, size, KT_LIMIT_32, align,
				    GFP_KERNEL, &pfn);
		if (ret == -ENOSPC) {
			size = 1;
			ret = iova_kt_alloc(test, dom, &m, 1, KT_LIMIT_32, 1,
					    GFP_KERNEL, &pfn);
		}
		if (ret)
			break;
		iova_kt_expect_clear(test, win_rsv, given, start, pfn, size);
		if (!(i % 256))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	iova_kt_expect_full(test, dom, start, KT_LIMIT_32);
	iova_kt_same(test, dom, &m, false, "mixed sizes exhausted");

	/* Free everything in random order, then size 1 only: one per free frame. */
	while (m.nr_live)
		iova_kt_free_nth(test, dom, &m, iova_kt_below(&rng, m.nr_live));
	iova_kt_same(test, dom, &m, false, "all freed");
	bitmap_zero(given, nwin);
	for (count = 0, prev = KT_LIMIT_32 + 1;; count++, prev = pfn) {
		if (iova_kt_alloc(test, dom, &m, 1, KT_LIMIT_32, 1, GFP_KERNEL, &pfn))
			break;
		KUNIT_EXPECT_LT(test, pfn, prev);
		iova_kt_expect_clear(test, win_rsv, given, start, pfn, 1);
		if (!(count % 256))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, count, nwin - bitmap_weight(win_rsv, nwin));
	iova_kt_expect_full(test, dom, start, KT_LIMIT_32);
	iova_kt_same(test, dom, &m, false, "size 1 exhausted");
	/* The live allocations are left for vtd_iova_domain_destroy(). */
}

/*
 * ID mode: granule 1, IDs [0, 255], 0 reserved. Exactly 255 distinct IDs,
 * then -ENOSPC; a freed ID is the next one handed out.
 */
static void iova_test_ids(struct kunit *test)
{
	DECLARE_BITMAP(seen, 256);
	struct vtd_iova_domain *dom;
	struct iova_kt_model m;
	unsigned long id = 0, n;
	int ret;

	dom = iova_kt_domain(test, 0, 1, 0, 255);
	KUNIT_EXPECT_EQ(test, vtd_iova_shift(dom), 0);
	iova_kt_model_init(test, &m, 0, 255, 256);
	KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, dom, &m, 0, 0), 0);
	bitmap_zero(seen, 256);
	for (n = 0;; n++) {
		ret = iova_kt_alloc(test, dom, &m, 1, 255, 1,
				    n & 1 ? GFP_ATOMIC : GFP_KERNEL, &id);
		if (ret)
			break;
		KUNIT_EXPECT_NE(test, id, 0);
		KUNIT_EXPECT_LE(test, id, 255);
		KUNIT_EXPECT_FALSE_MSG(test, __test_and_set_bit(id, seen),
				       "ID %lu handed out twice", id);
	}
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	KUNIT_EXPECT_EQ(test, n, 255);
	iova_kt_same(test, dom, &m, true, "IDs exhausted");

	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 100, 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 255, 1,
					    GFP_KERNEL, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 100);

	/* Two free IDs: the higher comes first. */
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 7, 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 200, 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 255, 1,
					    GFP_KERNEL, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 200);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 255, 1,
					    GFP_KERNEL, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 7);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 255, 1,
					    GFP_KERNEL, &id), -ENOSPC);

	/* A free ID above the limit is out of reach. */
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 250, 1), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 249, 1,
					    GFP_KERNEL, &id), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, 250, 1,
					    GFP_KERNEL, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 250);
	iova_kt_same(test, dom, &m, true, "IDs recycled");
}

/*
 * A page-granule domain exhausted by size-aligned 8-frame blocks, then by
 * single frames; frees make room again exactly where they were.
 */
static void iova_test_exhaust_recover(struct kunit *test)
{
	const unsigned long start = 1, last = 0x3ff;
	unsigned long blocks = 0, n, pfn = 0, b;
	struct vtd_iova_domain *dom;
	struct vtd_iova_stats st;
	struct iova_kt_model m;

	dom = iova_kt_domain(test, 0, KT_4K, start, last);
	iova_kt_model_init(test, &m, start, last, last + 1);
	for (b = 0; b + 7 <= last; b += 8)
		blocks += b >= start;
	for (n = 0; !iova_kt_alloc(test, dom, &m, 8, last, 8, GFP_KERNEL, &pfn); n++)
		KUNIT_EXPECT_EQ(test, pfn % 8, 0);
	KUNIT_EXPECT_EQ(test, n, blocks);
	for (n = 0; !iova_kt_alloc(test, dom, &m, 1, ULONG_MAX, 1, GFP_KERNEL, &pfn); n++)
		;
	KUNIT_EXPECT_EQ(test, n, last - start + 1 - 8 * blocks);
	vtd_iova_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.largest_gap, 0);
	iova_kt_same(test, dom, &m, true, "exhausted");

	/* One block back: the next block request takes it. */
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 0x100, 8), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 8, last, 8,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 0x100);
	/* Two neighbouring blocks back: one 16-frame aligned block fits. */
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 0x200, 8), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dom, &m, 0x208, 8), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 16, last, 16,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 0x200);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, 1, last, 1,
					    GFP_KERNEL, &pfn), -ENOSPC);
	iova_kt_same(test, dom, &m, true, "recovered");

	while (m.nr_live)
		iova_kt_free_nth(test, dom, &m, m.nr_live - 1);
	vtd_iova_get_stats(dom, &st);
	KUNIT_EXPECT_EQ(test, st.largest_gap, last - start + 1);
	KUNIT_EXPECT_EQ(test, iova_kt_alloc(test, dom, &m, last - start + 1, last,
					    1, GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, start);
	iova_kt_same(test, dom, &m, true, "whole space again");
}

/* --- cases: cloning --------------------------------------------------- */

/*
 * One step of the same random sequence on @a (checked against @m) and @b:
 * an allocation or a free, and a find() on a random frame; both domains
 * must answer alike.
 */
static void iova_kt_twin_step(struct kunit *test, struct vtd_iova_domain *a,
			      struct vtd_iova_domain *b, struct iova_kt_model *m,
			      struct iova_kt_rng *rng)
{
	struct vtd_iova_range ra = {}, rb = {};
	unsigned long pfn_a = 0, pfn_b = 0, idx;
	struct iova_kt_req req;
	int ret_a, ret_b;

	if (m->nr_live && !iova_kt_below(rng, 3)) {
		idx = iova_kt_below(rng, m->nr_live);
		KUNIT_ASSERT_EQ(test, vtd_iova_free(b, m->live[idx].pfn,
						    m->live[idx].size), 0);
		iova_kt_free_nth(test, a, m, idx);
	} else {
		iova_kt_random_req(rng, m, &req);
		ret_b = vtd_iova_alloc(b, req.size, req.limit, req.align,
				       GFP_KERNEL, &pfn_b);
		ret_a = iova_kt_alloc(test, a, m, req.size, req.limit, req.align,
				      GFP_KERNEL, &pfn_a);
		KUNIT_ASSERT_EQ(test, ret_b, ret_a);
		if (!ret_a)
			KUNIT_ASSERT_EQ(test, pfn_b, pfn_a);
	}
	idx = m->start_pfn + iova_kt_below(rng, m->nbits);
	ret_a = vtd_iova_find(a, idx, &ra);
	ret_b = vtd_iova_find(b, idx, &rb);
	KUNIT_EXPECT_EQ(test, ret_b, ret_a);
	if (!ret_a && !ret_b)
		KUNIT_EXPECT_TRUE_MSG(test, ra.pfn_lo == rb.pfn_lo &&
				      ra.pfn_last == rb.pfn_last &&
				      ra.reserved == rb.reserved,
				      "find(%#lx) differs", idx);
}

#define IOVA_KT_CLONE_HOLES	200

/* The smaller space a template is also cloned into, and holes across its ends. */
#define IOVA_KT_SMALL_START	0x80000UL
#define IOVA_KT_SMALL_LAST	0xbffffUL
static const struct iova_kt_span iova_kt_small_edges[] = {
	{ IOVA_KT_SMALL_START - 0x10, IOVA_KT_SMALL_START + 0xf },
	{ IOVA_KT_SMALL_LAST - 0xf, IOVA_KT_SMALL_LAST + 0x10 },
};

/*
 * A template with many holes and its clone answer the same request
 * sequence identically; a clone into a smaller space equals that space
 * with the same holes reserved directly (clipped).
 */
static void iova_test_clone_equivalence(struct kunit *test)
{
	struct vtd_iova_domain *src, *dst, *small;
	struct iova_kt_model m, m2;
	struct iova_kt_span *holes;
	struct iova_kt_rng rng;
	unsigned int i;

	iova_kt_seed(test, &rng, 5);
	src = iova_kt_domain(test, 0, KT_4K, 1, KT_LIMIT_32);
	iova_kt_model_init(test, &m, 1, KT_LIMIT_32, 1024);
	holes = iova_kt_zalloc(test, IOVA_KT_CLONE_HOLES * sizeof(*holes));
	holes[0].lo = KT_MSI_LO;
	holes[0].last = KT_MSI_LAST;
	holes[1] = iova_kt_small_edges[0];
	holes[2] = iova_kt_small_edges[1];
	for (i = 3; i < IOVA_KT_CLONE_HOLES; i++) {
		holes[i].lo = iova_kt_below(&rng, KT_LIMIT_32 + 64);
		holes[i].last = holes[i].lo + iova_kt_below(&rng, 64);
	}
	for (i = 0; i < IOVA_KT_CLONE_HOLES; i++)
		KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, src, &m, holes[i].lo,
						      holes[i].last), 0);

	dst = iova_kt_domain(test, 1, KT_4K, 1, KT_LIMIT_32);
	KUNIT_ASSERT_EQ(test, vtd_iova_clone_reserved(dst, src, GFP_KERNEL), 0);
	iova_kt_same(test, src, &m, false, "template");
	iova_kt_same(test, dst, &m, false, "clone");
	for (i = 0; i < 400; i++)
		iova_kt_twin_step(test, src, dst, &m, &rng);
	iova_kt_same(test, src, &m, false, "template after the sequence");
	iova_kt_same(test, dst, &m, false, "clone after the sequence");

	/* Clipped to a smaller space, from a template with live allocations. */
	small = iova_kt_domain(test, 2, KT_4K, IOVA_KT_SMALL_START,
			       IOVA_KT_SMALL_LAST);
	iova_kt_model_init(test, &m2, IOVA_KT_SMALL_START, IOVA_KT_SMALL_LAST,
			   1024);
	for (i = 0; i < IOVA_KT_CLONE_HOLES; i++)
		KUNIT_ASSERT_EQ(test, iova_kt_model_reserve(&m2, holes[i].lo,
							    holes[i].last), 0);
	KUNIT_ASSERT_EQ(test, vtd_iova_clone_reserved(small, src, GFP_ATOMIC), 0);
	iova_kt_same(test, small, &m2, false, "clipped clone");
	for (i = 0; i < 200; i++) {
		struct iova_kt_req req;

		iova_kt_random_req(&rng, &m2, &req);
		iova_kt_alloc(test, small, &m2, req.size, req.limit, req.align,
			      GFP_KERNEL, NULL);
	}
	iova_kt_same(test, small, &m2, false, "clipped clone after allocations");
}

static const struct iova_kt_span iova_kt_clone_holes[] = {
	{ 0x10, 0x1f }, { 0x700, 0x7ff }, { 0xff0, 0xfff },
};

/* Reserve iova_kt_clone_holes in @m only. */
static void iova_kt_model_clone_holes(struct kunit *test, struct iova_kt_model *m)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iova_kt_clone_holes); i++)
		KUNIT_ASSERT_EQ(test, iova_kt_model_reserve(m, iova_kt_clone_holes[i].lo,
							    iova_kt_clone_holes[i].last), 0);
}

/*
 * Clone copies holes only, and only into a domain holding no ranges:
 * otherwise -EBUSY and the destination is unchanged.
 */
static void iova_test_clone_rules(struct kunit *test)
{
	struct vtd_iova_domain *src, *dst, *dst2;
	struct iova_kt_model ms, md, md2;
	struct vtd_iova_stats st;
	unsigned long pfn = 0;
	unsigned int i;

	src = iova_kt_domain(test, 0, KT_4K, 1, 0xfff);
	iova_kt_model_init(test, &ms, 1, 0xfff, 16);
	for (i = 0; i < ARRAY_SIZE(iova_kt_clone_holes); i++)
		KUNIT_ASSERT_EQ(test, iova_kt_reserve(test, src, &ms,
						      iova_kt_clone_holes[i].lo,
						      iova_kt_clone_holes[i].last), 0);
	for (i = 0; i < 5; i++)
		iova_kt_alloc(test, src, &ms, 1 + i, ULONG_MAX, 1, GFP_KERNEL, NULL);

	/* Holes only: the template's allocations stay behind. */
	dst = iova_kt_domain(test, 1, KT_4K, 1, 0xfff);
	iova_kt_model_init(test, &md, 1, 0xfff, 16);
	iova_kt_model_clone_holes(test, &md);
	KUNIT_EXPECT_EQ(test, vtd_iova_clone_reserved(dst, src, GFP_KERNEL), 0);
	iova_kt_same(test, dst, &md, true, "clone of a template with allocations");

	/* Not empty any more. */
	KUNIT_EXPECT_EQ(test, vtd_iova_clone_reserved(dst, src, GFP_KERNEL), -EBUSY);
	iova_kt_same(test, dst, &md, true, "refused clone into a clone");

	/* Holding one allocation only, then empty again. */
	dst2 = iova_kt_domain(test, 2, KT_4K, 1, 0xfff);
	iova_kt_model_init(test, &md2, 1, 0xfff, 16);
	KUNIT_ASSERT_EQ(test, iova_kt_alloc(test, dst2, &md2, 4, ULONG_MAX, 1,
					    GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_clone_reserved(dst2, src, GFP_KERNEL), -EBUSY);
	iova_kt_same(test, dst2, &md2, true, "refused clone into an allocation");
	KUNIT_EXPECT_EQ(test, iova_kt_free(test, dst2, &md2, pfn, 4), 0);
	iova_kt_model_clone_holes(test, &md2);
	KUNIT_EXPECT_EQ(test, vtd_iova_clone_reserved(dst2, src, GFP_KERNEL), 0);
	iova_kt_same(test, dst2, &md2, true, "clone after the allocation left");

	/* An empty template gives an empty clone. */
	iova_kt_domain_destroy(test, 0);
	iova_kt_domain_destroy(test, 1);
	src = iova_kt_domain(test, 0, KT_4K, 1, 0xfff);
	dst = iova_kt_domain(test, 1, KT_4K, 1, 0xfff);
	KUNIT_EXPECT_EQ(test, vtd_iova_clone_reserved(dst, src, GFP_KERNEL), 0);
	vtd_iova_get_stats(dst, &st);
	KUNIT_EXPECT_EQ(test, st.nr_reserved + st.nr_allocated, 0);
	KUNIT_EXPECT_EQ(test, st.largest_gap, 0xfff);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dst), 0);
}

/* --- cases: memory ---------------------------------------------------- */

/*
 * 1000 live ranges: the bytes the stats report, per range, against the
 * node size; holes count once per merged range.
 */
static void iova_test_memory(struct kunit *test)
{
	const unsigned long nr = 1000;
	struct vtd_iova_stats before, after;
	struct vtd_iova_domain *dom;
	struct iova_kt_alloc *a;
	size_t node = vtd_iova_node_bytes();
	unsigned long i;

	KUNIT_EXPECT_GT(test, node, 0);
	KUNIT_EXPECT_LE(test, node, VTD_IOVA_NODE_BYTES);
	dom = iova_kt_domain(test, 0, KT_4K, 1, KT_LIMIT_32);
	a = iova_kt_zalloc(test, nr * sizeof(*a));
	vtd_iova_get_stats(dom, &before);
	KUNIT_EXPECT_EQ(test, before.bytes, node);
	for (i = 0; i < nr; i++) {
		a[i].size = 1 + i % 4;
		KUNIT_ASSERT_EQ(test, vtd_iova_alloc(dom, a[i].size, KT_LIMIT_32,
						     1, GFP_KERNEL, &a[i].pfn), 0);
	}
	vtd_iova_get_stats(dom, &after);
	kunit_info(test, "%lu live ranges: %zu bytes, %zu per range (node object %zu, iova.h bound %d)\n",
		   nr, after.bytes, (after.bytes - before.bytes) / nr, node,
		   VTD_IOVA_NODE_BYTES);
	KUNIT_EXPECT_EQ(test, after.nr_allocated, nr);
	KUNIT_EXPECT_EQ(test, after.bytes - before.bytes, nr * node);
	KUNIT_EXPECT_EQ(test, after.bytes, (after.nr_allocated +
					    after.nr_reserved + 1) * node);

	/* Ten separate holes, and ten touching ones that merge into one. */
	for (i = 1; i <= 10; i++) {
		KUNIT_EXPECT_EQ(test, vtd_iova_reserve(dom, i * 0x100, i * 0x100 + 0xf,
						       GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, vtd_iova_reserve(dom, 0x10000 + 4 * i,
						       0x10000 + 4 * i + 3,
						       GFP_KERNEL), 0);
	}
	vtd_iova_get_stats(dom, &after);
	KUNIT_EXPECT_EQ(test, after.nr_reserved, 11);
	KUNIT_EXPECT_EQ(test, after.bytes, (nr + 11 + 1) * node);

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ(test, vtd_iova_free(dom, a[i].pfn, a[i].size), 0);
	vtd_iova_get_stats(dom, &after);
	KUNIT_EXPECT_EQ(test, after.bytes, (11 + 1) * node);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
}

/* --- case: search cost, counted ---------------------------------------- */

/**
 * struct iova_kt_cost - an adversarial layout for the search (iova.c
 *	section 4): @nr blockers of @blk frames at every multiple of
 *	@period, so every gap is at least @size frames long and none holds
 *	@size frames aligned to @align
 * @what:	name printed with the counts.
 * @period:	distance between blockers, a power of two.
 * @blk:	frames per blocker.
 * @size:	frames requested.
 * @align:	alignment requested.
 */
struct iova_kt_cost {
	const char *what;
	unsigned long period, blk, size, align;
};

static const struct iova_kt_cost iova_kt_costs[] = {
	{ "3 aligned to 4 in 3-frame gaps", 4, 1, 3, 4 },
	{ "2^3-1 aligned to 8 in 7-frame gaps", 8, 1, 7, 8 },
	{ "2^3+1 aligned to 16 in 15-frame gaps", 16, 1, 9, 16 },
	{ "2^4-1 aligned to 4 in 15-frame gaps", 32, 17, 15, 4 },
	{ "2^4+1 aligned to 2 in 17-frame gaps", 32, 15, 17, 2 },
	{ "1 aligned to 1024 in 1023-frame gaps", 1024, 1, 1, 1024 },
};

/* The promise: a search visits at most 8 * log2(n) + 8 nodes. */
static unsigned long iova_kt_cost_bound(unsigned long nodes)
{
	return 8 * (nodes <= 1 ? 0 : ilog2(nodes - 1) + 1) + 8;
}

static unsigned long iova_kt_visits(struct vtd_iova_domain *dom)
{
	struct vtd_iova_stats st;

	vtd_iova_get_stats(dom, &st);
	return st.last_search_visits;
}

static void iova_kt_cost_one(struct kunit *test, const struct iova_kt_cost *c,
			     unsigned long nr)
{
	unsigned long i, pfn, v, want, bound = iova_kt_cost_bound(nr + 1);
	struct vtd_iova_domain *dom;

	dom = iova_kt_domain(test, 0, KT_4K, 0, nr * c->period - 1);
	for (i = 0; i < nr; i++) {
		KUNIT_ASSERT_EQ(test, vtd_iova_alloc(dom, c->blk, ULONG_MAX,
						     c->period, GFP_KERNEL,
						     &pfn), 0);
		KUNIT_ASSERT_EQ(test, pfn, (nr - 1 - i) * c->period);
	}
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc(dom, c->size, ULONG_MAX, c->align,
					     GFP_KERNEL, &pfn), -ENOSPC);
	v = iova_kt_visits(dom);
	KUNIT_EXPECT_LE_MSG(test, v, bound, "%s, n=%lu: -ENOSPC", c->what, nr);
	/*
	 * The console only: a 6.1 KUnit test's log holds 512 bytes, and one
	 * that overflows loses its result line in the debugfs results the
	 * host parses.
	 */
	pr_info("%s: %s, n=%lu: -ENOSPC after %lu visits (bound %lu)\n",
		test->name, c->what, nr, v, bound);

	/* Only the lowest gap fits once its blocker is gone. */
	KUNIT_EXPECT_EQ(test, vtd_iova_free(dom, 0, c->blk), 0);
	want = (c->period - c->size) & ~(c->align - 1);
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc(dom, c->size, ULONG_MAX, c->align,
					     GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, want);
	v = iova_kt_visits(dom);
	KUNIT_EXPECT_LE_MSG(test, v, bound, "%s, n=%lu: lowest", c->what, nr);
	pr_info("%s: %s, n=%lu: lowest gap after %lu visits (bound %lu)\n",
		test->name, c->what, nr, v, bound);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
	iova_kt_domain_destroy(test, 0);
}

/*
 * Every (size, alignment) shape costs O(log n) nodes: counted through
 * vtd_iova_stats.last_search_visits on layouts where the walk the
 * augmentation replaced looked at every gap, at 10^3..10^5 ranges.
 */
static void iova_test_search_cost(struct kunit *test)
{
	unsigned long nr;
	size_t i;

	/*
	 * 10^5 ranges take a minute to set up in a sanitizer guest: the first
	 * layout (the 3-in-4 pattern) goes there, the others stop at 10^4;
	 * the userspace cost suite runs every layout at 10^5.
	 */
	for (i = 0; i < ARRAY_SIZE(iova_kt_costs); i++)
		for (nr = 1000; nr <= (i ? 10000 : 100000); nr *= 10)
			iova_kt_cost_one(test, &iova_kt_costs[i], nr);
}

/* --- case: randomized differential test -------------------------------- */

/**
 * struct iova_kt_tally - what the random sequence did
 * @alloc:	allocations made.
 * @nospc:	allocations refused with -ENOSPC.
 * @free:	allocations freed.
 * @refused:	frees the model expected to be refused.
 * @reserve:	reservations made.
 * @busy:	reservations refused (-EBUSY, -EINVAL).
 */
struct iova_kt_tally {
	unsigned long alloc;
	unsigned long nospc;
	unsigned long free;
	unsigned long refused;
	unsigned long reserve;
	unsigned long busy;
};

static void iova_kt_random_alloc(struct kunit *test, struct vtd_iova_domain *dom,
				 struct iova_kt_model *m, struct iova_kt_rng *rng,
				 struct iova_kt_tally *t)
{
	gfp_t gfp = iova_kt_below(rng, 2) ? GFP_ATOMIC : GFP_KERNEL;
	struct iova_kt_req req;

	iova_kt_random_req(rng, m, &req);
	if (iova_kt_alloc(test, dom, m, req.size, req.limit, req.align, gfp, NULL))
		t->nospc++;
	else
		t->alloc++;
}

/* A free that is usually wrong: a random frame, a wrong size, a hole. */
static void iova_kt_random_bad_free(struct kunit *test,
				    struct vtd_iova_domain *dom,
				    struct iova_kt_model *m,
				    struct iova_kt_rng *rng,
				    struct iova_kt_tally *t)
{
	unsigned long pfn, size, i;
	struct iova_kt_alloc a;

	switch (iova_kt_below(rng, 4)) {
	case 0:		/* a random frame, maybe just outside the space */
		pfn = m->start_pfn - 2 + iova_kt_below(rng, m->nbits + 4);
		size = 1 + iova_kt_below(rng, 4);
		break;
	case 1:		/* a live allocation, the wrong size */
	case 2:		/* inside a live allocation */
		if (!m->nr_live)
			return;
		a = m->live[iova_kt_below(rng, m->nr_live)];
		pfn = a.pfn;
		size = a.size == 1 ? 2 : a.size - 1;
		if (a.size > 1 && iova_kt_below(rng, 2))
			pfn += 1 + iova_kt_below(rng, a.size - 1);
		break;
	default:	/* a reserved frame */
		i = find_next_bit(m->rsv, m->nbits, iova_kt_below(rng, m->nbits));
		if (i >= m->nbits)
			return;
		pfn = m->start_pfn + i;
		size = 1 + iova_kt_below(rng, 16);
		break;
	}
	if (iova_kt_free(test, dom, m, pfn, size))
		t->refused++;
	else
		t->free++;
}

static void iova_kt_random_reserve(struct kunit *test,
				   struct vtd_iova_domain *dom,
				   struct iova_kt_model *m,
				   struct iova_kt_rng *rng,
				   struct iova_kt_tally *t)
{
	unsigned long lo = m->start_pfn - 8 + iova_kt_below(rng, m->nbits + 16);
	unsigned long last = lo + iova_kt_below(rng, 16);

	if (lo && !iova_kt_below(rng, 16))
		last = lo - 1;	/* inverted: -EINVAL */
	if (iova_kt_reserve(test, dom, m, lo, last))
		t->busy++;
	else
		t->reserve++;
}

/*
 * Random allocations, frees, bad frees and reservations on a 4096-frame
 * domain, every result compared with the model; the whole domain is
 * compared frame by frame every 100 operations.
 */
static void iova_test_random_model(struct kunit *test)
{
	struct iova_kt_tally t = {};
	struct vtd_iova_domain *dom;
	unsigned long start, i, r;
	struct iova_kt_model m;
	struct iova_kt_rng rng;

	iova_kt_seed(test, &rng, 6);
	start = 8 + iova_kt_below(&rng, 64);
	dom = iova_kt_domain(test, 0, KT_4K, start, start + 4095);
	iova_kt_model_init(test, &m, start, start + 4095, 4096);
	for (i = 0; i < 16; i++)
		iova_kt_random_reserve(test, dom, &m, &rng, &t);
	iova_kt_same(test, dom, &m, true, "random holes");

	for (i = 0; i < diff_ops; i++) {
		r = iova_kt_below(&rng, 100);
		if (r < 2) {
			iova_kt_random_reserve(test, dom, &m, &rng, &t);
		} else if (r < 6) {
			iova_kt_random_bad_free(test, dom, &m, &rng, &t);
		} else if (r < 46 && m.nr_live) {
			iova_kt_free_nth(test, dom, &m,
					 iova_kt_below(&rng, m.nr_live));
			t.free++;
		} else {
			iova_kt_random_alloc(test, dom, &m, &rng, &t);
		}
		if (i % 100 == 99)
			KUNIT_ASSERT_TRUE_MSG(test, iova_kt_same(test, dom, &m, true,
								 "random"),
					      "after operation %lu", i);
	}
	iova_kt_same(test, dom, &m, true, "random, at the end");
	kunit_info(test, "%u ops: %lu allocs, %lu -ENOSPC, %lu frees, %lu refused frees, %lu reserves, %lu refused reserves, %lu live\n",
		   diff_ops, t.alloc, t.nospc, t.free, t.refused, t.reserve,
		   t.busy, m.nr_live);
}

/* --- case: concurrent stress ------------------------------------------ */

#define IOVA_KT_STRESS_LIVE	32
#define IOVA_KT_STRESS_MAX_SIZE	16

/**
 * struct iova_kt_stress - shared by the stress threads
 * @dom:	the shared domain, [1, KT_LIMIT_32] with the MSI window reserved.
 * @fast:	go through vtd_iova_alloc_fast()/vtd_iova_free_fast() and the
 *		domain's per-CPU caches.
 * @given:	frames handed out and not yet freed, one bit per frame.
 * @deadline:	jiffies after which the threads stop early.
 * @go:		released once every thread exists.
 * @done:	completed once by each thread as it exits.
 * @twice:	frames handed out while already out (overlaps).
 * @lost:	frames found not out when their range was freed.
 * @bad:	results that break the contract (limit, alignment, window,
 *		unexpected errno).
 * @nr_ops:	operations done by all threads.
 * @nr_alloc:	successful allocations.
 * @nr_atomic:	GFP_ATOMIC operations done with interrupts off.
 * @nr_nospc:	allocations refused with -ENOSPC.
 * @nr_nomem:	GFP_ATOMIC allocations refused with -ENOMEM.
 */
struct iova_kt_stress {
	struct vtd_iova_domain *dom;
	bool fast;
	unsigned long *given;
	unsigned long deadline;
	struct completion go;
	struct completion done;
	atomic_t twice;
	atomic_t lost;
	atomic_t bad;
	atomic_long_t nr_ops;
	atomic_long_t nr_alloc;
	atomic_long_t nr_atomic;
	atomic_long_t nr_nospc;
	atomic_long_t nr_nomem;
};

/**
 * struct iova_kt_worker - one stress thread
 * @st:		the shared state.
 * @rng:	its own generator.
 * @nr_live:	entries of @live.
 * @live:	its live allocations.
 */
struct iova_kt_worker {
	struct iova_kt_stress *st;
	struct iova_kt_rng rng;
	unsigned int nr_live;
	struct iova_kt_alloc live[IOVA_KT_STRESS_LIVE];
};

/* Does the answer keep the contract? */
static bool iova_kt_stress_ok(unsigned long pfn, unsigned long size,
			      unsigned long limit, unsigned long align)
{
	unsigned long last = pfn + size - 1;

	return !(pfn & (align - 1)) && pfn >= 1 &&
	       last <= min(limit, KT_LIMIT_32) &&
	       (last < KT_MSI_LO || pfn > KT_MSI_LAST);
}

static void iova_kt_worker_alloc(struct iova_kt_worker *w)
{
	struct iova_kt_stress *st = w->st;
	u64 r = iova_kt_rand(&w->rng);
	unsigned long size = 1 + r % IOVA_KT_STRESS_MAX_SIZE;
	unsigned long align, limit, pfn = 0, flags, i;
	bool irqs_off = r & BIT(30);
	int ret;

	switch ((r >> 8) % 3) {
	case 0:
		align = 1;
		break;
	case 1:
		align = roundup_pow_of_two(size);
		break;
	default:
		align = 1UL << ((r >> 10) % 5);
		break;
	}
	switch ((r >> 13) % 4) {
	case 0:
		limit = KT_LIMIT_32;
		break;
	case 1:		/* just above the MSI window: the gap below it */
		limit = KT_MSI_LAST + (r >> 16) % 32;
		break;
	case 2:
		limit = ULONG_MAX;
		break;
	default:
		limit = 1 + (r >> 32) % KT_LIMIT_32;
		break;
	}
	if (irqs_off) {
		local_irq_save(flags);
		ret = vtd_iova_alloc(st->dom, size, limit, align, GFP_ATOMIC, &pfn);
		local_irq_restore(flags);
		atomic_long_inc(&st->nr_atomic);
	} else {
		ret = vtd_iova_alloc(st->dom, size, limit, align, GFP_KERNEL, &pfn);
	}
	if (ret == -ENOSPC) {
		atomic_long_inc(&st->nr_nospc);
		return;
	}
	if (ret == -ENOMEM && irqs_off) {
		atomic_long_inc(&st->nr_nomem);
		return;
	}
	if (ret || !iova_kt_stress_ok(pfn, size, limit, align)) {
		atomic_inc(&st->bad);
		return;
	}
	for (i = 0; i < size; i++)
		if (test_and_set_bit(pfn + i, st->given))
			atomic_inc(&st->twice);
	w->live[w->nr_live].pfn = pfn;
	w->live[w->nr_live].size = size;
	w->nr_live++;
	atomic_long_inc(&st->nr_alloc);
}

/* The frames vtd_iova_alloc_fast() takes for a request of @size. */
static unsigned long iova_kt_fast_size(unsigned long size)
{
	return size <= VTD_IOVA_CACHE_MAX_SIZE ? roundup_pow_of_two(size) : size;
}

/* Through the caches: sizes 1..40 frames, a third of them uncached. */
static void iova_kt_worker_alloc_fast(struct iova_kt_worker *w)
{
	struct iova_kt_stress *st = w->st;
	u64 r = iova_kt_rand(&w->rng);
	unsigned long size = 1 + r % 40, rsize = iova_kt_fast_size(size);
	unsigned long limit, pfn = 0, flags, i;
	bool irqs_off = r & BIT(30);
	int ret;

	limit = (r >> 13) % 4 ? KT_LIMIT_32 : 1 + (r >> 32) % KT_LIMIT_32;
	if (irqs_off) {
		local_irq_save(flags);
		ret = vtd_iova_alloc_fast(st->dom, size, limit, GFP_ATOMIC, &pfn);
		local_irq_restore(flags);
		atomic_long_inc(&st->nr_atomic);
	} else {
		ret = vtd_iova_alloc_fast(st->dom, size, limit, GFP_KERNEL, &pfn);
	}
	if (ret == -ENOSPC) {
		atomic_long_inc(&st->nr_nospc);
		return;
	}
	if (ret == -ENOMEM && irqs_off) {
		atomic_long_inc(&st->nr_nomem);
		return;
	}
	if (ret || !iova_kt_stress_ok(pfn, rsize, limit,
				      roundup_pow_of_two(rsize))) {
		atomic_inc(&st->bad);
		return;
	}
	for (i = 0; i < rsize; i++)
		if (test_and_set_bit(pfn + i, st->given))
			atomic_inc(&st->twice);
	w->live[w->nr_live].pfn = pfn;
	w->live[w->nr_live].size = size;
	w->nr_live++;
	atomic_long_inc(&st->nr_alloc);
}

static int iova_kt_stress_free(struct iova_kt_stress *st, unsigned long pfn,
			       unsigned long size)
{
	if (st->fast)
		return vtd_iova_free_fast(st->dom, pfn, size);
	return vtd_iova_free(st->dom, pfn, size);
}

static void iova_kt_worker_free(struct iova_kt_worker *w, unsigned int idx,
				bool irqs_off)
{
	struct iova_kt_stress *st = w->st;
	struct iova_kt_alloc a = w->live[idx];
	unsigned long i, flags;
	int ret;

	unsigned long frames = st->fast ? iova_kt_fast_size(a.size) : a.size;

	w->live[idx] = w->live[--w->nr_live];
	/* Before the free: once it is done, another CPU may get these frames. */
	for (i = 0; i < frames; i++)
		if (!test_and_clear_bit(a.pfn + i, st->given))
			atomic_inc(&st->lost);
	if (irqs_off) {
		local_irq_save(flags);
		ret = iova_kt_stress_free(st, a.pfn, a.size);
		local_irq_restore(flags);
	} else {
		ret = iova_kt_stress_free(st, a.pfn, a.size);
	}
	if (ret)
		atomic_inc(&st->bad);
}

static int iova_kt_worker_fn(void *data)
{
	struct iova_kt_worker *w = data;
	struct iova_kt_stress *st = w->st;
	unsigned int i;
	u64 r;

	wait_for_completion(&st->go);
	for (i = 0; i < stress_ops && time_before(jiffies, st->deadline); i++) {
		r = iova_kt_rand(&w->rng);
		if (w->nr_live == IOVA_KT_STRESS_LIVE || (w->nr_live && (r & 1)))
			iova_kt_worker_free(w, (r >> 1) % w->nr_live, r & BIT(20));
		else if (st->fast)
			iova_kt_worker_alloc_fast(w);
		else
			iova_kt_worker_alloc(w);
		if (!(i % 128))
			cond_resched();
	}
	while (w->nr_live)
		iova_kt_worker_free(w, w->nr_live - 1, false);
	atomic_long_add(i, &st->nr_ops);
	/* Completes and exits in kernel text: safe against module unload. */
	kthread_complete_and_exit(&st->done, 0);
}

/*
 * One thread per online CPU on a shared domain: random allocations and
 * frees, some with interrupts off and GFP_ATOMIC; no frame is ever handed
 * out twice, and at the end the domain is empty and sound.
 */
static void iova_kt_stress_run(struct kunit *test, bool fast)
{
	struct iova_kt_worker *workers;
	struct vtd_iova_stats stats;
	struct iova_kt_stress *st;
	struct task_struct *task;
	unsigned int cpu, nr = 0;
	unsigned long t0;
	int err = 0;

	st = iova_kt_zalloc(test, sizeof(*st));
	st->given = iova_kt_zalloc(test, BITS_TO_LONGS(KT_LIMIT_32 + 1) *
				   sizeof(long));
	workers = iova_kt_zalloc(test, nr_cpu_ids * sizeof(*workers));
	st->dom = iova_kt_domain(test, 0, KT_4K, 1, KT_LIMIT_32);
	KUNIT_ASSERT_EQ(test, vtd_iova_reserve(st->dom, KT_MSI_LO, KT_MSI_LAST,
					       GFP_KERNEL), 0);
	st->fast = fast;
	if (fast)
		KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(st->dom), 0);
	init_completion(&st->go);
	init_completion(&st->done);
	kunit_info(test, "seed=%lu, %u ops per CPU, %u ms at most\n", seed,
		   stress_ops, stress_ms);

	for_each_online_cpu(cpu) {
		workers[cpu].st = st;
		iova_kt_rng_init(&workers[cpu].rng, 100 + cpu);
		task = kthread_create_on_cpu(iova_kt_worker_fn, &workers[cpu],
					     cpu, "vtd_iova_kt/%u");
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			break;
		}
		wake_up_process(task);
		nr++;
	}
	t0 = jiffies;
	st->deadline = t0 + msecs_to_jiffies(stress_ms);
	complete_all(&st->go);
	for (cpu = 0; cpu < nr; cpu++)
		wait_for_completion(&st->done);
	KUNIT_ASSERT_EQ(test, err, 0);

	kunit_info(test, "%u threads: %ld ops in %u ms, %ld allocs (%ld with irqs off), %ld -ENOSPC, %ld -ENOMEM\n",
		   nr, atomic_long_read(&st->nr_ops),
		   jiffies_to_msecs(jiffies - t0),
		   atomic_long_read(&st->nr_alloc),
		   atomic_long_read(&st->nr_atomic),
		   atomic_long_read(&st->nr_nospc),
		   atomic_long_read(&st->nr_nomem));
	KUNIT_EXPECT_EQ(test, atomic_read(&st->twice), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->lost), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->bad), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&st->nr_alloc), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(st->given, KT_LIMIT_32 + 1));
	if (fast) {
		struct vtd_iova_cache_stats cs;

		/* Whatever is still allocated sits in a cache, and no more. */
		vtd_iova_cache_get_stats(st->dom, &cs);
		vtd_iova_get_stats(st->dom, &stats);
		kunit_info(test, "caches: %lu hits, %lu misses, %lu flushes, %lu cached, %lu depot magazines, %zu bytes\n",
			   cs.hits, cs.misses, cs.flushes, cs.cached_ranges,
			   cs.depot_mags, cs.cache_bytes);
		KUNIT_EXPECT_EQ(test, stats.nr_allocated, cs.cached_ranges);
		KUNIT_EXPECT_GT(test, cs.hits, 0);
		vtd_iova_cache_destroy(st->dom);
	}
	vtd_iova_get_stats(st->dom, &stats);
	KUNIT_EXPECT_EQ(test, stats.nr_allocated, 0);
	KUNIT_EXPECT_EQ(test, stats.allocated_frames, 0);
	KUNIT_EXPECT_EQ(test, stats.nr_reserved, 1);
	KUNIT_EXPECT_EQ(test, stats.reserved_frames, KT_MSI_LAST - KT_MSI_LO + 1);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(st->dom), 0);
}

static void iova_test_stress(struct kunit *test)
{
	iova_kt_stress_run(test, false);
}

/*
 * The same through the per-CPU caches on every online CPU (on one CPU it
 * still checks the caches against the bitmap): no range is handed out
 * twice, none is lost, and everything left cached goes back on destroy.
 */
static void iova_test_cache_stress(struct kunit *test)
{
	iova_kt_stress_run(test, true);
}

/* --- cases: per-CPU range caches ------------------------------------- */

static struct vtd_iova_cache_stats iova_kt_cstats(struct vtd_iova_domain *dom)
{
	struct vtd_iova_cache_stats cs;

	vtd_iova_cache_get_stats(dom, &cs);
	return cs;
}

static unsigned long iova_kt_nr_allocated(struct vtd_iova_domain *dom)
{
	struct vtd_iova_stats st;

	vtd_iova_get_stats(dom, &st);
	return st.nr_allocated;
}

/*
 * Rounding, hits, what find() says of a cached range, uncached sizes, and
 * destroying the caches while they hold ranges (kmemleak must stay quiet).
 */
static void iova_test_cache_basic(struct kunit *test)
{
	struct vtd_iova_domain *dom = iova_kt_domain(test, 0, KT_4K, 1,
						     KT_LIMIT_32);
	unsigned long pfn, again, big, i;
	struct vtd_iova_range r;

	KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(dom), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_cache_init(dom), -EBUSY);
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc_fast(dom, 0, KT_LIMIT_32,
						  GFP_KERNEL, &pfn), -EINVAL);

	/* 3 frames: 4, aligned to 4, at the top; back from the cache. */
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 3, KT_LIMIT_32,
						  GFP_KERNEL, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, KT_LIMIT_32 + 1 - 4);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, pfn, 3), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cached_ranges, 1);
	/* Cached, still allocated in the tree: find() says so. */
	KUNIT_ASSERT_EQ(test, vtd_iova_find(dom, pfn + 1, &r), 0);
	KUNIT_EXPECT_EQ(test, r.pfn_lo, pfn);
	KUNIT_EXPECT_EQ(test, r.pfn_last, pfn + 3);
	KUNIT_EXPECT_FALSE(test, r.reserved);
	KUNIT_EXPECT_EQ(test, vtd_iova_reserve(dom, pfn, pfn, GFP_KERNEL), -EBUSY);
	/* Under a limit below it, the cached range is not handed out. */
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 4, pfn - 1, GFP_KERNEL,
						  &again), 0);
	KUNIT_EXPECT_EQ(test, again, pfn - 4);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).misses, 2);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, again, 4), 0);
	/* Last in, first out: the range freed last comes back first. */
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 4, KT_LIMIT_32,
						  GFP_KERNEL, &again), 0);
	KUNIT_EXPECT_EQ(test, again, pfn - 4);
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 4, KT_LIMIT_32,
						  GFP_KERNEL, &again), 0);
	KUNIT_EXPECT_EQ(test, again, pfn);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).hits, 2);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, again, 4), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, pfn - 4, 4), 0);

	/* 33 frames: not cached, not rounded, aligned to 64. */
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 33, KT_LIMIT_32,
						  GFP_KERNEL, &big), 0);
	KUNIT_EXPECT_EQ(test, big & 63, 0);
	KUNIT_ASSERT_EQ(test, vtd_iova_find(dom, big, &r), 0);
	KUNIT_EXPECT_EQ(test, r.pfn_last - r.pfn_lo + 1, 33);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, big, 33), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_find(dom, big, &r), -ENOENT);

	/* Teardown with ranges cached in every class. */
	for (i = 1; i <= VTD_IOVA_CACHE_MAX_SIZE; i++) {
		KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, i, KT_LIMIT_32,
							  GFP_KERNEL, &pfn), 0);
		KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, pfn, i), 0);
	}
	KUNIT_EXPECT_GT(test, iova_kt_cstats(dom).cache_bytes, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom),
			iova_kt_cstats(dom).cached_ranges);
	vtd_iova_cache_destroy(dom);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), 0);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cache_bytes, 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
}

/* Put @nr one-frame ranges into the caches of whatever CPU runs this. */
static void iova_kt_cache_fill(struct kunit *test, struct vtd_iova_domain *dom,
			       unsigned long nr)
{
	unsigned long *pfn = iova_kt_zalloc(test, nr * sizeof(*pfn));
	unsigned long i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 1, ULONG_MAX,
							  GFP_KERNEL, &pfn[i]), 0);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, pfn[i], 1), 0);
}

/*
 * The shrinker's scan gives back the depot first, then the CPUs' caches,
 * and says how many ranges went back.
 */
static void iova_test_cache_shrink(struct kunit *test)
{
	struct vtd_iova_domain *dom = iova_kt_domain(test, 0, KT_4K, 1,
						     KT_LIMIT_32);
	struct vtd_iova_cache_stats cs;
	unsigned long before, got;

	KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(dom), 0);
	/* Enough for two CPUs' worth of magazines and some depot. */
	iova_kt_cache_fill(test, dom, 8 * VTD_IOVA_MAG_SIZE);
	cs = iova_kt_cstats(dom);
	before = cs.cached_ranges;
	KUNIT_EXPECT_EQ(test, before, 8 * VTD_IOVA_MAG_SIZE);
	KUNIT_ASSERT_GT(test, cs.depot_mags, 0);
	/* One range asked: one whole depot magazine comes back. */
	got = vtd_iova_cache_shrink(dom, 1);
	KUNIT_EXPECT_EQ(test, got, VTD_IOVA_MAG_SIZE);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).depot_mags, cs.depot_mags - 1);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), before - got);
	/* Everything asked: everything comes back, magazines freed. */
	got += vtd_iova_cache_shrink(dom, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, got, before);
	cs = iova_kt_cstats(dom);
	KUNIT_EXPECT_EQ(test, cs.cached_ranges, 0);
	KUNIT_EXPECT_EQ(test, cs.shrunk, before);
	KUNIT_EXPECT_EQ(test, cs.cache_bytes, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
}

/*
 * Exhaustion: only cached ranges are free, and a request of another size
 * must still succeed, by the one flush-all-and-retry before -ENOSPC.
 */
static void iova_test_cache_flush_retry(struct kunit *test)
{
	struct vtd_iova_domain *dom = iova_kt_domain(test, 0, KT_4K, 0, 255);
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(dom), 0);
	iova_kt_cache_fill(test, dom, 256);	/* the whole space, cached */
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), 256);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cached_ranges, 256);
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc(dom, 1, ULONG_MAX, 1, GFP_KERNEL,
					     &pfn), -ENOSPC);
	KUNIT_ASSERT_EQ(test, vtd_iova_alloc_fast(dom, 2, ULONG_MAX, GFP_KERNEL,
						  &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 254);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).flushes, 1);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cached_ranges, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), 1);
	KUNIT_EXPECT_EQ(test, vtd_iova_free_fast(dom, pfn, 2), 0);
	/* Truly full: -ENOSPC after the one flush. */
	KUNIT_EXPECT_EQ(test, vtd_iova_alloc_fast(dom, 512, ULONG_MAX,
						  GFP_KERNEL, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).flushes, 2);
}

/**
 * struct iova_kt_on_cpu - fill one CPU's caches from a thread bound to it
 * @dom:	the domain.
 * @nr:		one-frame ranges to allocate and free there.
 * @pfn:	room for @nr frame numbers.
 * @err:	first error seen.
 * @done:	completed when the thread is finished.
 */
struct iova_kt_on_cpu {
	struct vtd_iova_domain *dom;
	unsigned long nr;
	unsigned long *pfn;
	int err;
	struct completion done;
};

static int iova_kt_on_cpu_fn(void *data)
{
	struct iova_kt_on_cpu *oc = data;
	unsigned long i;
	int ret;

	for (i = 0; i < oc->nr && !oc->err; i++)
		oc->err = vtd_iova_alloc_fast(oc->dom, 1, ULONG_MAX, GFP_KERNEL,
					      &oc->pfn[i]);
	for (; i-- > 0;) {
		ret = vtd_iova_free_fast(oc->dom, oc->pfn[i], 1);
		oc->err = oc->err ?: ret;
	}
	kthread_complete_and_exit(&oc->done, 0);
}

/* A CPU going offline gives its cached ranges back to the tree. */
static void iova_test_cache_cpu_offline(struct kunit *test)
{
	struct vtd_iova_domain *dom;
	struct iova_kt_on_cpu *oc;
	struct task_struct *task;
	unsigned int cpu;
	int ret;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs to take one offline");
	cpu = cpumask_last(cpu_online_mask);
	dom = iova_kt_domain(test, 0, KT_4K, 1, KT_LIMIT_32);
	KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(dom), 0);
	oc = iova_kt_zalloc(test, sizeof(*oc));
	oc->dom = dom;
	oc->nr = VTD_IOVA_MAG_SIZE + 5;		/* two magazines */
	oc->pfn = iova_kt_zalloc(test, oc->nr * sizeof(*oc->pfn));
	init_completion(&oc->done);
	task = kthread_create_on_cpu(iova_kt_on_cpu_fn, oc, cpu, "vtd_iova_kt/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wake_up_process(task);
	wait_for_completion(&oc->done);
	KUNIT_ASSERT_EQ(test, oc->err, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cached_ranges, oc->nr);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), oc->nr);

	ret = remove_cpu(cpu);
	if (ret)
		kunit_skip(test, "remove_cpu(%u) refused: %d", cpu, ret);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cached_ranges, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).cache_bytes, 0);
	KUNIT_EXPECT_EQ(test, iova_kt_nr_allocated(dom), 0);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, vtd_iova_check(dom), 0);
}

/* Depot magazines nobody touches go back, one per idle period. */
static void iova_test_cache_idle(struct kunit *test)
{
	struct vtd_iova_domain *dom = iova_kt_domain(test, 0, KT_4K, 1,
						     KT_LIMIT_32);
	unsigned long deadline;

	KUNIT_ASSERT_EQ(test, vtd_iova_cache_init(dom), 0);
	iova_kt_cache_fill(test, dom, 4 * VTD_IOVA_MAG_SIZE);
	KUNIT_ASSERT_GT(test, iova_kt_cstats(dom).depot_mags, 0);
	/* One period to see it idle, then one magazine per period. */
	deadline = jiffies + msecs_to_jiffies((VTD_IOVA_DEPOT_MAX + 2) *
					      VTD_IOVA_CACHE_IDLE_MS);
	while (iova_kt_cstats(dom).depot_mags && time_before(jiffies, deadline))
		msleep(50);
	KUNIT_EXPECT_EQ(test, iova_kt_cstats(dom).depot_mags, 0);
	KUNIT_EXPECT_GE(test, iova_kt_cstats(dom).idle_returned,
			VTD_IOVA_MAG_SIZE);
}

/* --- the suite -------------------------------------------------------- */

/*
 * KUnit in 6.1 runs a module's suites from the MODULE_STATE_COMING
 * notifier, and load_module() parses the module's parameters only after
 * that (prepare_coming_module() comes before parse_args()): without help,
 * "insmod vtd_iova_kunit.ko seed=N" would run with seed 0. The argument
 * string is already stored, so apply it here with each parameter's own
 * setter; the parse that follows sets the same values again.
 */
static void iova_kt_apply_args(void)
{
#ifdef MODULE
	const struct kernel_param *kp;
	char *args, *next, *param, *val;
	unsigned int i;

	if (!THIS_MODULE->args || !*THIS_MODULE->args)
		return;
	args = kstrdup(THIS_MODULE->args, GFP_KERNEL);
	if (!args)
		return;
	next = skip_spaces(args);
	while (*next) {
		next = next_arg(next, &param, &val);
		for (i = 0; i < THIS_MODULE->num_kp; i++) {
			kp = &THIS_MODULE->kp[i];
			if (val && !strcmp(kp->name, param) && kp->ops->set(val, kp))
				pr_warn("vtd_iova_kunit: bad value for %s: %s\n",
					param, val);
		}
	}
	kfree(args);
#endif
}

static int iova_kt_suite_init(struct kunit_suite *suite)
{
	iova_kt_apply_args();
	if (!seed)
		seed = get_random_u64() ?: 1;
	pr_info("%s: seed=%lu (replay: insmod vtd_iova_kunit.ko seed=%lu)\n",
		suite->name, seed, seed);
	return 0;
}

static struct kunit_case iova_test_cases[] = {
	KUNIT_CASE(iova_test_bad_args),
	KUNIT_CASE_PARAM(iova_test_boundaries, iova_kt_bounds_gen_params),
	KUNIT_CASE(iova_test_limit_below_start),
	KUNIT_CASE(iova_test_sizes),
	KUNIT_CASE(iova_test_alignment),
	KUNIT_CASE(iova_test_top_down),
	KUNIT_CASE(iova_test_find),
	KUNIT_CASE(iova_test_bad_free),
	KUNIT_CASE(iova_test_reserve_merge),
	KUNIT_CASE(iova_test_reserve_busy),
	KUNIT_CASE(iova_test_holes),
	KUNIT_CASE(iova_test_ids),
	KUNIT_CASE(iova_test_exhaust_recover),
	KUNIT_CASE(iova_test_clone_equivalence),
	KUNIT_CASE(iova_test_clone_rules),
	KUNIT_CASE(iova_test_memory),
	KUNIT_CASE(iova_test_search_cost),
	KUNIT_CASE(iova_test_random_model),
	KUNIT_CASE(iova_test_stress),
	KUNIT_CASE(iova_test_cache_stress),
	KUNIT_CASE(iova_test_cache_basic),
	KUNIT_CASE(iova_test_cache_shrink),
	KUNIT_CASE(iova_test_cache_flush_retry),
	KUNIT_CASE(iova_test_cache_cpu_offline),
	KUNIT_CASE(iova_test_cache_idle),
	{}
};

static struct kunit_suite iova_test_suite = {
	.name = "vtd_iova",
	.suite_init = iova_kt_suite_init,
	.init = iova_kt_init,
	.exit = iova_kt_exit,
	.test_cases = iova_test_cases,
};

kunit_test_suite(iova_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the vtd-remap IOVA allocator");
