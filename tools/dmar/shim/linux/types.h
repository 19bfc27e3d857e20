/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/types.h>: the kernel's fixed-width names over
 * the C library's. The include guard is the kernel header's, so that the
 * real header is never pulled in beside this one.
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <asm/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Macros rather than typedefs: the kernel's names, no new types. */
#define u8	__u8
#define u16	__u16
#define u32	__u32
#define u64	__u64
#define s8	__s8
#define s16	__s16
#define s32	__s32
#define s64	__s64
#define gfp_t	unsigned int

#endif /* _LINUX_TYPES_H */
