/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/bug.h>. WARN_ON_ONCE() marks a bug in the code
 * under test, never bad input: here it aborts, so that the tests and the
 * fuzzer stop on it.
 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <stdbool.h>

void shim_warn(const char *file, int line, const char *cond);

#define WARN_ON_ONCE(cond) ({						\
	bool __c = !!(cond);						\
	if (__c)							\
		shim_warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})
#define WARN_ON(cond)	WARN_ON_ONCE(cond)

#endif /* _LINUX_BUG_H */
