/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/log2.h>: tools/include's version plus
 * order_base_2(), which it lacks.
 */
#ifndef VTD_SHIM_LINUX_LOG2_H
#define VTD_SHIM_LINUX_LOG2_H

#include_next <linux/log2.h>

#ifndef order_base_2
#define order_base_2(n)	((n) > 1 ? ilog2((n) - 1) + 1 : 0)
#endif

#endif /* VTD_SHIM_LINUX_LOG2_H */
