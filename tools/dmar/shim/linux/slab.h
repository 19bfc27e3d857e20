/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/slab.h>: the counting allocator of shim.c,
 * which poisons freed memory and can be told to fail.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>

#define GFP_KERNEL	0u

void *shim_kcalloc(size_t n, size_t size);
void shim_kfree(const void *p);

#define kcalloc(n, size, gfp)	shim_kcalloc(n, size)
#define kzalloc(size, gfp)	shim_kcalloc(1, size)
#define kfree(p)		shim_kfree(p)

#endif /* _LINUX_SLAB_H */
