/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/lockdep.h>: lockdep_assert_held() and friends,
 * checked for real against the owner the shim's spinlock records. A
 * failed assertion is a shim bug report (see vtd_shim.h).
 *
 * tools/include has no lockdep.h; the guard is the kernel header's.
 */
#ifndef __LINUX_LOCKDEP_H
#define __LINUX_LOCKDEP_H

#include <stdbool.h>

struct shim_spinlock;

void shim_lockdep_assert(struct shim_spinlock *lock, bool held,
			 const char *what, const char *file, int line);

#define lockdep_assert_held(lock)	\
	shim_lockdep_assert(lock, true, #lock, __FILE__, __LINE__)
#define lockdep_assert_not_held(lock)	\
	shim_lockdep_assert(lock, false, #lock, __FILE__, __LINE__)

#endif /* __LINUX_LOCKDEP_H */
