/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/bug.h>: WARN_ON() and friends. A condition
 * found true is counted every time (vtd_shim.h), so a test sees a second
 * hit of a WARN_ON_ONCE(); the message, with file and line, is printed
 * once per call site for the _ONCE forms, as in the kernel. There is no
 * BUG_ON() beyond tools/include's (an assert): the project never uses it.
 *
 * The guard is the one of tools/include/linux/bug.h, which this replaces;
 * BUILD_BUG_ON_ZERO(), its only content, comes from build_bug.h.
 */
#ifndef _TOOLS_PERF_LINUX_BUG_H
#define _TOOLS_PERF_LINUX_BUG_H

#include <stdbool.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>

void shim_warn(const char *file, int line, const char *cond, bool print);

#define WARN_ON(condition) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		shim_warn(__FILE__, __LINE__, #condition, true);	\
	unlikely(__ret_warn_on);					\
})

#define WARN_ON_ONCE(condition) ({					\
	static bool __warned;						\
	int __ret_warn_once = !!(condition);				\
	if (unlikely(__ret_warn_once))					\
		shim_warn(__FILE__, __LINE__, #condition,		\
			  !__atomic_exchange_n(&__warned, true,		\
					       __ATOMIC_RELAXED));	\
	unlikely(__ret_warn_once);					\
})

#define WARN(condition, fmt...)		WARN_ON(condition)
#define WARN_ONCE(condition, fmt...)	WARN_ON_ONCE(condition)

#endif /* _TOOLS_PERF_LINUX_BUG_H */
