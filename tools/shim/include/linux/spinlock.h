/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/spinlock.h>: a spinlock is an error-checking
 * pthread mutex that records which thread holds it, so that
 * lockdep_assert_held() checks the caller really holds the lock, recursion
 * and foreign unlocks are caught, and the allocator can tell that a
 * GFP_KERNEL allocation happens in atomic context. spin_lock_irqsave()
 * also marks the thread's "interrupts" off until the matching restore.
 *
 * The guard is the one of tools/include/linux/spinlock.h, which this
 * replaces on the include path.
 */
#ifndef __LINUX_SPINLOCK_H_
#define __LINUX_SPINLOCK_H_

#include <pthread.h>
#include <stdbool.h>
#include <linux/lockdep.h>

/**
 * struct shim_spinlock - a kernel spinlock in userspace
 * @mutex:	the lock itself (PTHREAD_MUTEX_ERRORCHECK)
 * @owner:	shim thread id of the holder, 0 if free; read and written
 *		with __atomic builtins, written only by the holder
 */
struct shim_spinlock {
	pthread_mutex_t mutex;
	int owner;
};

#define spinlock_t	struct shim_spinlock

#define SHIM_SPIN_LOCK_UNLOCKED	\
	{ .mutex = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP, .owner = 0 }
#define __SPIN_LOCK_UNLOCKED(lockname)	SHIM_SPIN_LOCK_UNLOCKED
#define DEFINE_SPINLOCK(lockname)	spinlock_t lockname = SHIM_SPIN_LOCK_UNLOCKED

void shim_spin_lock_init(spinlock_t *lock);
void shim_spin_lock(spinlock_t *lock);
void shim_spin_unlock(spinlock_t *lock);
bool shim_spin_held(spinlock_t *lock);
unsigned long shim_irq_save(void);
void shim_irq_restore(unsigned long flags);

#define spin_lock_init(lock)		shim_spin_lock_init(lock)
#define spin_lock(lock)			shim_spin_lock(lock)
#define spin_unlock(lock)		shim_spin_unlock(lock)
#define spin_lock_bh(lock)		shim_spin_lock(lock)
#define spin_unlock_bh(lock)		shim_spin_unlock(lock)
#define spin_lock_irq(lock)		shim_spin_lock(lock)
#define spin_unlock_irq(lock)		shim_spin_unlock(lock)

#define spin_lock_irqsave(lock, flags)			\
	do {						\
		(flags) = shim_irq_save();		\
		shim_spin_lock(lock);			\
	} while (0)

#define spin_unlock_irqrestore(lock, flags)		\
	do {						\
		shim_spin_unlock(lock);			\
		shim_irq_restore(flags);		\
	} while (0)

#endif /* __LINUX_SPINLOCK_H_ */
