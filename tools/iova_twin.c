// SPDX-License-Identifier: GPL-2.0
/*
 * A real IOVA domain and its reference model in lockstep (iova_twin.h):
 * the comparison logic shared by the differential test and the fuzzer.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iova_twin.h"
#include "vtd_shim.h"

unsigned long iova_twin_errors;
bool iova_twin_enomem_ok;
bool iova_twin_verbose;

/**
 * struct twin_call - one operation in flight
 * @t:		the twin it runs on
 * @op:		what it is, for messages
 * @counts:	shim counters before the call
 * @before:	the real domain's stats before the call
 * @ok:		no disagreement so far
 */
struct twin_call {
	struct iova_twin *t;
	char op[160];
	struct shim_counts counts;
	struct vtd_iova_stats before;
	bool ok;
};

static __printf(2, 3) void twin_fail(struct twin_call *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "MISMATCH %s: %s: ", c->t->name, c->op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	iova_twin_errors++;
	c->ok = false;
}

static __printf(3, 4) void twin_begin(struct twin_call *c, struct iova_twin *t,
				       const char *fmt, ...)
{
	va_list ap;

	c->t = t;
	c->ok = true;
	va_start(ap, fmt);
	vsnprintf(c->op, sizeof(c->op), fmt, ap);
	va_end(ap);
	shim_get_counts(&c->counts);
	if (t->live)
		vtd_iova_get_stats(&t->dom, &c->before);
}

static bool stats_equal(const struct vtd_iova_stats *a,
			const struct vtd_iova_stats *b)
{
	return a->nr_allocated == b->nr_allocated &&
	       a->nr_reserved == b->nr_reserved &&
	       a->allocated_frames == b->allocated_frames &&
	       a->reserved_frames == b->reserved_frames &&
	       a->largest_gap == b->largest_gap && a->bytes == b->bytes;
}

static void stats_print(const char *what, const struct vtd_iova_stats *s)
{
	fprintf(stderr, "  %s: %lu alloc (%lu frames), %lu reserved (%lu frames), gap %lu, %zu B\n",
		what, s->nr_allocated, s->allocated_frames, s->nr_reserved,
		s->reserved_frames, s->largest_gap, s->bytes);
}

/* The real domain is sound and its counters are the model's. */
static void twin_check_state(struct twin_call *c)
{
	struct iova_twin *t = c->t;
	struct vtd_iova_stats real, model;

	if (!t->live)
		return;
	if (vtd_iova_check(&t->dom))
		twin_fail(c, "vtd_iova_check() failed");
	vtd_iova_get_stats(&t->dom, &real);
	iova_model_stats(&t->model, vtd_iova_node_bytes(), &model);
	if (!stats_equal(&real, &model)) {
		twin_fail(c, "stats differ");
		stats_print("real ", &real);
		stats_print("model", &model);
	}
}

/*
 * Whether the call returned -ENOMEM as it should: iff the shim failed an
 * allocation during it. On -ENOMEM the domain must be as it was.
 */
static bool twin_enomem(struct twin_call *c, int ret)
{
	struct shim_counts now;
	struct vtd_iova_stats after;
	bool injected;

	shim_get_counts(&now);
	injected = now.injected > c->counts.injected;
	if (injected && ret != -ENOMEM)
		twin_fail(c, "an allocation failed, yet it returned %d", ret);
	if (ret != -ENOMEM)
		return false;
	if (!injected && !iova_twin_enomem_ok)
		twin_fail(c, "-ENOMEM without a failed allocation");
	if (c->t->live) {
		vtd_iova_get_stats(&c->t->dom, &after);
		if (!stats_equal(&after, &c->before)) {
			twin_fail(c, "-ENOMEM, but the stats changed");
			stats_print("before", &c->before);
			stats_print("after ", &after);
		}
	}
	return true;
}

/*
 * The verdict: same return value, a sound domain equal to the model if the
 * call may have changed it (@changed), exactly @warns pr_warn() and
 * nothing worse.
 */
static bool twin_end(struct twin_call *c, int ret, int mret, long warns,
		     bool changed)
{
	struct shim_counts now;

	if (ret != mret)
		twin_fail(c, "returned %d, model %d", ret, mret);
	if (changed)
		twin_check_state(c);
	shim_get_counts(&now);
	if (now.pr_warn - c->counts.pr_warn != warns)
		twin_fail(c, "%ld warnings, expected %ld",
			  now.pr_warn - c->counts.pr_warn, warns);
	if (now.pr_err != c->counts.pr_err)
		twin_fail(c, "printed an error: %s", shim_last_msg());
	if (now.warn_on != c->counts.warn_on)
		twin_fail(c, "WARN_ON fired");
	if (iova_twin_verbose)
		fprintf(stderr, "%s: %s = %d\n", c->t->name, c->op, ret);
	return c->ok;
}

bool iova_twin_init(struct iova_twin *t, unsigned long granule,
		    unsigned long start, unsigned long last)
{
	struct twin_call c;
	int ret, mret;

	iova_twin_destroy(t);
	twin_begin(&c, t, "init(granule %#lx, [%#lx, %#lx])", granule, start,
		   last);
	ret = vtd_iova_domain_init(&t->dom, granule, start, last);
	if (twin_enomem(&c, ret))
		return twin_end(&c, 0, 0, 0, true);
	mret = iova_model_init(&t->model, granule, start, last);
	if (mret == -E2BIG) {
		twin_fail(&c, "domain too large for the model");
		mret = ret;
	}
	t->live = !ret && !mret;
	if (!ret && !t->live)
		vtd_iova_domain_destroy(&t->dom);
	if (mret == 0 && !t->live)
		iova_model_destroy(&t->model);
	if (!ret && vtd_iova_shift(&t->dom) != __builtin_ctzl(granule))
		twin_fail(&c, "shift %u", vtd_iova_shift(&t->dom));
	return twin_end(&c, ret, mret, 0, true);
}

void iova_twin_destroy(struct iova_twin *t)
{
	if (!t->live)
		return;
	vtd_iova_domain_destroy(&t->dom);
	iova_model_destroy(&t->model);
	t->live = false;
}

bool iova_twin_alloc(struct iova_twin *t, unsigned long size,
		     unsigned long limit, unsigned long align, gfp_t gfp,
		     unsigned long *pfn_out)
{
	unsigned long pfn = 0xdeadbeef, mpfn = 0xdeadbeef;
	struct twin_call c;
	int ret, mret;

	if (!t->live)
		return true;
	twin_begin(&c, t, "alloc(size %#lx, limit %#lx, align %#lx)", size,
		   limit, align);
	ret = vtd_iova_alloc(&t->dom, size, limit, align, gfp, &pfn);
	if (twin_enomem(&c, ret))
		return twin_end(&c, 0, 0, 0, true);
	mret = iova_model_alloc(&t->model, size, limit, align, &mpfn);
	if (!ret && !mret && pfn != mpfn)
		twin_fail(&c, "got %#lx, model %#lx", pfn, mpfn);
	if (ret && pfn != 0xdeadbeef)
		twin_fail(&c, "failed with %d but wrote *pfn_out", ret);
	if (pfn_out)
		*pfn_out = mret ? 0 : mpfn;
	return twin_end(&c, ret, mret, 0, true);
}

bool iova_twin_free(struct iova_twin *t, unsigned long pfn,
		    unsigned long size)
{
	struct twin_call c;
	int ret, mret;

	if (!t->live)
		return true;
	twin_begin(&c, t, "free(%#lx, size %#lx)", pfn, size);
	ret = vtd_iova_free(&t->dom, pfn, size);
	mret = iova_model_free(&t->model, pfn, size);
	if (ret && ret == mret && !strstr(shim_last_msg(), "refused free"))
		twin_fail(&c, "the warning does not say what was refused: %s",
			  shim_last_msg());
	return twin_end(&c, ret, mret, mret ? 1 : 0, true);
}

bool iova_twin_free_nth(struct iova_twin *t, unsigned long nth)
{
	struct vtd_iova_range r;

	if (!t->live || !iova_model_nth_alloc(&t->model, nth, &r))
		return true;
	return iova_twin_free(t, r.pfn_lo, r.pfn_last - r.pfn_lo + 1);
}

bool iova_twin_reserve(struct iova_twin *t, unsigned long lo,
		       unsigned long last, gfp_t gfp)
{
	struct twin_call c;
	int ret, mret;

	if (!t->live)
		return true;
	twin_begin(&c, t, "reserve([%#lx, %#lx])", lo, last);
	ret = vtd_iova_reserve(&t->dom, lo, last, gfp);
	if (twin_enomem(&c, ret))
		return twin_end(&c, 0, 0, 0, true);
	mret = iova_model_reserve(&t->model, lo, last);
	return twin_end(&c, ret, mret, 0, true);
}

bool iova_twin_clone(struct iova_twin *dst, struct iova_twin *src,
		     gfp_t gfp)
{
	struct vtd_iova_stats src_before, src_after;
	struct twin_call c;
	int ret, mret;

	if (!dst->live || !src->live)
		return true;
	twin_begin(&c, dst, "clone_reserved(from %s [%#lx, %#lx])", src->name,
		   src->model.start, src->model.last);
	vtd_iova_get_stats(&src->dom, &src_before);
	ret = vtd_iova_clone_reserved(&dst->dom, &src->dom, gfp);
	vtd_iova_get_stats(&src->dom, &src_after);
	if (!stats_equal(&src_before, &src_after))
		twin_fail(&c, "the source changed");
	if (twin_enomem(&c, ret))
		return twin_end(&c, 0, 0, 0, true);
	mret = iova_model_clone_reserved(&dst->model, &src->model);
	return twin_end(&c, ret, mret, 0, true);
}

static bool range_equal(const struct vtd_iova_range *a,
			const struct vtd_iova_range *b)
{
	return a->pfn_lo == b->pfn_lo && a->pfn_last == b->pfn_last &&
	       a->reserved == b->reserved;
}

bool iova_twin_find(struct iova_twin *t, unsigned long pfn)
{
	struct vtd_iova_range r = { 1, 0, true }, mr = { 1, 0, true };
	struct twin_call c;
	int ret, mret;

	if (!t->live)
		return true;
	twin_begin(&c, t, "find(%#lx)", pfn);
	ret = vtd_iova_find(&t->dom, pfn, &r);
	mret = iova_model_find(&t->model, pfn, &mr);
	if (!ret && !mret && !range_equal(&r, &mr))
		twin_fail(&c, "[%#lx, %#lx]%s, model [%#lx, %#lx]%s", r.pfn_lo,
			  r.pfn_last, r.reserved ? " reserved" : "",
			  mr.pfn_lo, mr.pfn_last,
			  mr.reserved ? " reserved" : "");
	return twin_end(&c, ret, mret, 0, false);
}

bool iova_twin_compare(struct iova_twin *t)
{
	unsigned long pfn, start = t->model.start, last = t->model.last;
	unsigned long probes[] = { 0, 1, start - 1, last + 1, last + 2,
				   ULONG_MAX - 1, ULONG_MAX };
	unsigned int i;
	bool ok = true;

	if (!t->live)
		return true;
	for (pfn = start; ; pfn++) {
		ok &= iova_twin_find(t, pfn);
		if (pfn == last)
			break;
	}
	for (i = 0; i < ARRAY_SIZE(probes); i++)
		ok &= iova_twin_find(t, probes[i]);
	return ok;
}
