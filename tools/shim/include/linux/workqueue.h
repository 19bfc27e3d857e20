/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/workqueue.h>: delayed work is only marked
 * pending; a test runs it with shim_run_delayed_work().
 */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H

#include <linux/kernel.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
};

struct delayed_work {
	struct work_struct work;
	bool pending;
};

struct workqueue_struct;
#define system_wq	((struct workqueue_struct *)NULL)

#define INIT_DELAYED_WORK(dw, fn) do {		\
	(dw)->work.func = (fn);			\
	(dw)->pending = false;			\
} while (0)

static inline struct delayed_work *to_delayed_work(struct work_struct *w)
{
	return container_of(w, struct delayed_work, work);
}

static inline bool queue_delayed_work(struct workqueue_struct *wq,
				      struct delayed_work *dw,
				      unsigned long delay)
{
	return !__atomic_exchange_n(&dw->pending, true, __ATOMIC_SEQ_CST);
}

static inline bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	return __atomic_exchange_n(&dw->pending, false, __ATOMIC_SEQ_CST);
}

/* Run @dw now if it is pending; true if it ran. */
static inline bool shim_run_delayed_work(struct delayed_work *dw)
{
	if (!cancel_delayed_work_sync(dw))
		return false;
	dw->work.func(&dw->work);
	return true;
}

static inline unsigned long msecs_to_jiffies(unsigned int ms)
{
	return ms;
}

#endif /* _LINUX_WORKQUEUE_H */
