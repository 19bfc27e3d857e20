/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model of the IOVA allocator's contract, for the userspace tests
 * and the fuzzer: one tag per frame of a small domain, every operation a
 * plain scan. It is written from the contract in iova.h and the theory
 * statement of iova.c, not from the tree code, so the two fail differently.
 */
#ifndef VTD_IOVA_MODEL_H
#define VTD_IOVA_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/bits.h>

#include "../iova.h"

/* Largest domain the model represents: its cost is linear in frames. */
#define IOVA_MODEL_MAX_FRAMES	BIT(16)

/* Frame tags: free, reserved, or IOVA_MODEL_ALLOC + offset of the range. */
#define IOVA_MODEL_FREE		0UL
#define IOVA_MODEL_RESERVED	1UL
#define IOVA_MODEL_ALLOC	2UL

/**
 * struct iova_model - a domain as an array of frame tags
 * @start:	first frame of the domain
 * @last:	last frame (inclusive)
 * @tag:	per frame of [start, last]: IOVA_MODEL_FREE, IOVA_MODEL_RESERVED
 *		or IOVA_MODEL_ALLOC + (first frame of its allocation - start),
 *		so two touching allocations stay apart
 */
struct iova_model {
	unsigned long start;
	unsigned long last;
	unsigned long *tag;
};

int iova_model_init(struct iova_model *m, unsigned long granule,
		    unsigned long start, unsigned long last);
void iova_model_destroy(struct iova_model *m);
int iova_model_alloc(struct iova_model *m, unsigned long size,
		     unsigned long limit, unsigned long align,
		     unsigned long *pfn);
int iova_model_free(struct iova_model *m, unsigned long pfn,
		    unsigned long size);
int iova_model_reserve(struct iova_model *m, unsigned long lo,
		       unsigned long last);
int iova_model_clone_reserved(struct iova_model *dst,
			      const struct iova_model *src);
int iova_model_find(const struct iova_model *m, unsigned long pfn,
		    struct vtd_iova_range *r);
void iova_model_stats(const struct iova_model *m, size_t node_bytes,
		      struct vtd_iova_stats *st);
/* The @nth live allocation in frame order (wrapping), or false if none. */
bool iova_model_nth_alloc(const struct iova_model *m, unsigned long nth,
			  struct vtd_iova_range *r);
bool iova_model_equal(const struct iova_model *a, const struct iova_model *b);
int iova_model_copy(struct iova_model *dst, const struct iova_model *src);

#endif /* VTD_IOVA_MODEL_H */
