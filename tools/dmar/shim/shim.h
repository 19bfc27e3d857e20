/* SPDX-License-Identifier: GPL-2.0 */
/* Knobs of the userspace shim's counting allocator, for the tests. */
#ifndef VTD_DMAR_SHIM_H
#define VTD_DMAR_SHIM_H

#include <stdbool.h>
#include <stddef.h>

extern bool shim_quiet;
extern long shim_live;		/* allocations not yet freed */
extern long shim_total;		/* allocations made since the last reset */
extern long shim_fail_at;	/* fail the Nth allocation (1-based); 0: never */

void shim_reset(void);

#endif /* VTD_DMAR_SHIM_H */
