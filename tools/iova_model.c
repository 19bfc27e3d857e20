// SPDX-License-Identifier: GPL-2.0
/*
 * Reference model of the IOVA allocator for the userspace tests and the
 * fuzzer: every frame of the domain has a tag, and each operation is the
 * contract of iova.h read literally, by scanning frames. Its memory comes
 * from plain calloc(), outside the shim, so it never counts towards, or is
 * failed by, the shim's allocation-failure injection.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "iova_model.h"

static unsigned long model_frames(const struct iova_model *m)
{
	return m->last - m->start + 1;
}

static unsigned long model_tag(const struct iova_model *m, unsigned long pfn)
{
	return m->tag[pfn - m->start];
}

static bool model_has(const struct iova_model *m, unsigned long pfn)
{
	return pfn >= m->start && pfn <= m->last;
}

static bool is_pow2(unsigned long x)
{
	return x && !(x & (x - 1));
}

/*
 * -EINVAL for what the contract refuses; -E2BIG for a domain the model is
 * too small to represent (the caller must not ask for one).
 */
int iova_model_init(struct iova_model *m, unsigned long granule,
		    unsigned long start, unsigned long last)
{
	memset(m, 0, sizeof(*m));
	if (!is_pow2(granule) || start > last || last == ULONG_MAX)
		return -EINVAL;
	if (last - start >= IOVA_MODEL_MAX_FRAMES)
		return -E2BIG;
	m->start = start;
	m->last = last;
	m->tag = calloc(model_frames(m), sizeof(*m->tag));
	if (!m->tag)
		abort();
	return 0;
}

void iova_model_destroy(struct iova_model *m)
{
	free(m->tag);
	memset(m, 0, sizeof(*m));
}

int iova_model_copy(struct iova_model *dst, const struct iova_model *src)
{
	*dst = *src;
	dst->tag = malloc(model_frames(src) * sizeof(*dst->tag));
	if (!dst->tag)
		abort();
	memcpy(dst->tag, src->tag, model_frames(src) * sizeof(*dst->tag));
	return 0;
}

bool iova_model_equal(const struct iova_model *a, const struct iova_model *b)
{
	return a->start == b->start && a->last == b->last &&
	       !memcmp(a->tag, b->tag, model_frames(a) * sizeof(*a->tag));
}

/*
 * The highest p with p % align == 0, p >= start, p + size - 1 <=
 * min(limit, last) and every frame of [p, p + size - 1] free: walk down
 * from the top, counting the free frames at and above each candidate.
 */
int iova_model_alloc(struct iova_model *m, unsigned long size,
		     unsigned long limit, unsigned long align,
		     unsigned long *pfn)
{
	unsigned long hi, q, run = 0, i;

	if (!size || !is_pow2(align))
		return -EINVAL;
	if (limit < m->start)
		return -ENOSPC;
	hi = limit < m->last ? limit : m->last;
	for (q = hi; ; q--) {
		run = model_tag(m, q) == IOVA_MODEL_FREE ? run + 1 : 0;
		if (run >= size && q % align == 0) {
			for (i = 0; i < size; i++)
				m->tag[q - m->start + i] =
					IOVA_MODEL_ALLOC + (q - m->start);
			*pfn = q;
			return 0;
		}
		if (q == m->start)
			return -ENOSPC;
	}
}

/* Frames of the range holding @pfn: [*lo, *last]. */
static void model_range(const struct iova_model *m, unsigned long pfn,
			unsigned long *lo, unsigned long *last)
{
	unsigned long t = model_tag(m, pfn);

	*lo = pfn;
	*last = pfn;
	if (t == IOVA_MODEL_RESERVED) {
		while (*lo > m->start && model_tag(m, *lo - 1) == t)
			(*lo)--;
	} else {
		*lo = m->start + (t - IOVA_MODEL_ALLOC);
	}
	while (*last < m->last && model_tag(m, *last + 1) == t)
		(*last)++;
}

int iova_model_free(struct iova_model *m, unsigned long pfn,
		    unsigned long size)
{
	unsigned long lo, last, i;

	if (!model_has(m, pfn) || model_tag(m, pfn) == IOVA_MODEL_FREE)
		return -ENOENT;
	model_range(m, pfn, &lo, &last);
	if (lo != pfn)
		return -ENOENT;
	if (model_tag(m, pfn) == IOVA_MODEL_RESERVED)
		return -EPERM;
	if (last - lo + 1 != size)
		return -EINVAL;
	for (i = lo; i <= last; i++)
		m->tag[i - m->start] = IOVA_MODEL_FREE;
	return 0;
}

int iova_model_reserve(struct iova_model *m, unsigned long lo,
		       unsigned long last)
{
	unsigned long i;

	if (last < lo)
		return -EINVAL;
	if (last < m->start || lo > m->last)
		return 0;
	lo = lo > m->start ? lo : m->start;
	last = last < m->last ? last : m->last;
	for (i = lo; i <= last; i++)
		if (model_tag(m, i) >= IOVA_MODEL_ALLOC)
			return -EBUSY;
	for (i = lo; i <= last; i++)
		m->tag[i - m->start] = IOVA_MODEL_RESERVED;
	return 0;
}

int iova_model_clone_reserved(struct iova_model *dst,
			      const struct iova_model *src)
{
	unsigned long i, pfn;

	for (i = 0; i < model_frames(dst); i++)
		if (dst->tag[i] != IOVA_MODEL_FREE)
			return -EBUSY;
	for (i = 0; i < model_frames(dst); i++) {
		pfn = dst->start + i;
		if (model_has(src, pfn) &&
		    model_tag(src, pfn) == IOVA_MODEL_RESERVED)
			dst->tag[i] = IOVA_MODEL_RESERVED;
	}
	return 0;
}

int iova_model_find(const struct iova_model *m, unsigned long pfn,
		    struct vtd_iova_range *r)
{
	if (!model_has(m, pfn) || model_tag(m, pfn) == IOVA_MODEL_FREE)
		return -ENOENT;
	model_range(m, pfn, &r->pfn_lo, &r->pfn_last);
	r->reserved = model_tag(m, pfn) == IOVA_MODEL_RESERVED;
	return 0;
}

void iova_model_stats(const struct iova_model *m, size_t node_bytes,
		      struct vtd_iova_stats *st)
{
	unsigned long i, t, prev = ULONG_MAX, gap = 0;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < model_frames(m); i++) {
		t = m->tag[i];
		if (t == IOVA_MODEL_FREE) {
			gap++;
			if (gap > st->largest_gap)
				st->largest_gap = gap;
		} else {
			gap = 0;
		}
		if (t == IOVA_MODEL_RESERVED) {
			st->reserved_frames++;
			st->nr_reserved += t != prev;
		} else if (t >= IOVA_MODEL_ALLOC) {
			st->allocated_frames++;
			st->nr_allocated += t != prev;
		}
		prev = t;
	}
	st->bytes = (st->nr_allocated + st->nr_reserved + 1) * node_bytes;
}

bool iova_model_nth_alloc(const struct iova_model *m, unsigned long nth,
			  struct vtd_iova_range *r)
{
	struct vtd_iova_stats st;
	unsigned long i, t, prev = ULONG_MAX, k = 0;

	iova_model_stats(m, 0, &st);
	if (!st.nr_allocated)
		return false;
	nth %= st.nr_allocated;
	for (i = 0; i < model_frames(m); i++) {
		t = m->tag[i];
		if (t >= IOVA_MODEL_ALLOC && t != prev && k++ == nth) {
			iova_model_find(m, m->start + i, r);
			return true;
		}
		prev = t;
	}
	return false;
}
