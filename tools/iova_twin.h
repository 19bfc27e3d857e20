/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real IOVA domain and its reference model driven in lockstep, for the
 * differential tests and the fuzzer. Every call runs the operation on both
 * and checks, besides the return value and outputs:
 *   - the real domain passes vtd_iova_check() and its stats equal the
 *     model's;
 *   - -ENOMEM comes back iff the shim failed an allocation during the call
 *     (or iova_twin_enomem_ok allows it), and then nothing changed;
 *   - a refused free printed exactly one warning; nothing else printed a
 *     warning or an error, and no WARN_ON fired.
 * A disagreement is printed with the operation and counted in
 * iova_twin_errors; the call then returns false.
 */
#ifndef VTD_IOVA_TWIN_H
#define VTD_IOVA_TWIN_H

#include "iova_model.h"

/**
 * struct iova_twin - a domain and its model
 * @name:	for messages
 * @live:	both sides are initialised
 * @dom:	the real domain
 * @model:	the reference
 */
struct iova_twin {
	const char *name;
	bool live;
	struct vtd_iova_domain dom;
	struct iova_model model;
};

extern unsigned long iova_twin_errors;
/* Accept -ENOMEM without a shim-injected failure (iova_fail_nth is set). */
extern bool iova_twin_enomem_ok;
/* Print every operation and its result. */
extern bool iova_twin_verbose;

bool iova_twin_init(struct iova_twin *t, unsigned long granule,
		    unsigned long start, unsigned long last);
void iova_twin_destroy(struct iova_twin *t);
bool iova_twin_alloc(struct iova_twin *t, unsigned long size,
		     unsigned long limit, unsigned long align, gfp_t gfp,
		     unsigned long *pfn);
bool iova_twin_free(struct iova_twin *t, unsigned long pfn,
		    unsigned long size);
/* Free the @nth live allocation (counted modulo their number), if any. */
bool iova_twin_free_nth(struct iova_twin *t, unsigned long nth);
bool iova_twin_reserve(struct iova_twin *t, unsigned long lo,
		       unsigned long last, gfp_t gfp);
bool iova_twin_clone(struct iova_twin *dst, struct iova_twin *src,
		     gfp_t gfp);
bool iova_twin_find(struct iova_twin *t, unsigned long pfn);
/* find() on every frame of the domain and around it: O(n log n). */
bool iova_twin_compare(struct iova_twin *t);

#endif /* VTD_IOVA_TWIN_H */
