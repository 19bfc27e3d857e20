/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/slab.h>: slab caches, kmalloc and kvmalloc on
 * top of the shim's counting allocator (shim.c, knobs in vtd_shim.h).
 *
 * Objects from kmem_cache_alloc() and kmalloc() are filled with
 * POISON_INUSE (0x5a), so a field the caller forgot to set is not zero by
 * luck; freed objects are filled with POISON_FREE (0x6b). A GFP_KERNEL
 * allocation while a spinlock is held or "interrupts" are off is a bug
 * report, as CONFIG_DEBUG_ATOMIC_SLEEP would make it.
 *
 * The guard is the one of tools/include/linux/slab.h, which this replaces.
 */
#ifndef _TOOLS_SLAB_H
#define _TOOLS_SLAB_H

#include <stddef.h>
#include <linux/types.h>

typedef unsigned int __bitwise slab_flags_t;

/* tools/include's gfp_t is an enum without modifiers: warnings are moot. */
#define __GFP_NOWARN	0

#define SLAB_HWCACHE_ALIGN	((slab_flags_t)0x00002000U)
#define SLAB_PANIC		((slab_flags_t)0x00040000U)
#define SLAB_RECLAIM_ACCOUNT	((slab_flags_t)0x00020000U)

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *obj);
unsigned int kmem_cache_size(struct kmem_cache *s);

void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void kfree(const void *obj);

void *kvmalloc(size_t size, gfp_t gfp);
void *kvzalloc(size_t size, gfp_t gfp);
void *kvcalloc(size_t n, size_t size, gfp_t gfp);
void *kvmalloc_array(size_t n, size_t size, gfp_t gfp);
void kvfree(const void *obj);

#endif /* _TOOLS_SLAB_H */
