/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/kernel.h>: tools/include's version (min(),
 * max(), container_of(), ...) plus what the kernel's also brings in and
 * tools/include lacks: errno values, string functions, printk and WARN_ON.
 *
 * This wraps rather than replaces tools/include/linux/kernel.h, so its
 * guard is its own.
 */
#ifndef VTD_SHIM_LINUX_KERNEL_H
#define VTD_SHIM_LINUX_KERNEL_H

#include <linux/build_bug.h>	/* before <assert.h>: see below */
#include_next <linux/kernel.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/printk.h>
#include <linux/string.h>

/*
 * tools/include's kernel.h pulls in <assert.h>, whose static_assert()
 * insists on a message; put back the kernel's, where it is optional, with
 * the helper build_bug.h defined when it came first.
 */
#undef static_assert
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)

/* <linux/minmax.h>'s swap(), which tools/include lacks. */
#ifndef swap
#define swap(a, b) do {					\
	typeof(a) __swap_tmp = (a);			\
	(a) = (b);					\
	(b) = __swap_tmp;				\
} while (0)
#endif

/* <linux/limits.h>, which tools/include lacks. */
#ifndef U32_MAX
#define U32_MAX		((u32)~0U)
#endif

#endif /* VTD_SHIM_LINUX_KERNEL_H */
