// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap unmap modes: deferred invalidation through per-CPU flush
 * queues with a bounded window, and the quarantine of ranges and table
 * pages whose invalidation failed (both modes).
 *
 * Theory of operation
 *
 * 1. Concepts. Unmapping a range clears its PTEs, but the unit may still
 *    translate through what its IOTLB and paging-structure caches hold
 *    until they are invalidated (QEMU's unit really does). Strict mode
 *    (vtd_domain.c) invalidates before the unmap returns. Deferred mode
 *    clears the PTEs and queues the IOVA range and the table pages the
 *    unmap emptied; one domain-selective IOTLB invalidation (which also
 *    drops the domain's paging-structure caches, VT-d 6.5.1) later covers
 *    every entry queued before it, and only then are the ranges given back
 *    to the allocator and the pages to the pool. Until then nobody can map
 *    at those IOVAs or reuse those pages, so a stale translation can only
 *    reach memory the caller unmapped: the cost of the mode is that a
 *    device may still reach a buffer for at most the window after its
 *    unmap. Modes: module parameter unmap=strict|deferred|shadow (the
 *    default of devices the shim owns; strict unless told), and per
 *    device through own= (vtd_dma.c). Shadow is strict here: the shim
 *    copies streaming DMA through buffers that stay mapped (vtd_shadow.c)
 *    and unmaps nothing for them; what it does unmap is strict. Domains
 *    the shim does not make (vtd_edu.ko's, the KUnit suites') are strict
 *    unless they call vtd_flush_set_mode().
 *
 * 2. Data structures. A deferred domain has one struct vtd_flush_queue
 *    per possible CPU: an array of @size entries (first frame, frames; 16
 *    bytes each), the list of table pages the queued unmaps emptied, the
 *    time its oldest entry was queued, an hrtimer, and its counters. The
 *    domain's struct vtd_flush_domain (in struct vtd_domain) points at the
 *    queues and holds the quarantine. Freed domains leave their
 *    quarantined pages on vtd_flush_orphans, per unit.
 *
 * 3. Invariants.
 *    a. A range is in a queue iff its PTEs are clear, it is still
 *       allocated in the domain's allocator, and no invalidation started
 *       after its PTEs were cleared has completed successfully. The same
 *       for the queue's table pages: out of the tree, not in the pool.
 *    b. A queue holds entries iff its timer is armed or its callback is
 *       running and has not yet taken the queue's lock; the timer was
 *       armed when the queue went from empty to one entry, to expire one
 *       window later.
 *    c. A range or page is given back only after a domain-selective
 *       invalidation that started after it was queued returned 0. If that
 *       invalidation failed, it is quarantined instead (5).
 *    d. @queues is non-NULL iff the domain is deferred; it is an instance
 *       of the CPU-dead callback iff @cpuhp_on.
 *
 * 4. The window, and what bounds it. Let W be the window and t the time a
 *    range was queued, no earlier than its PTEs were cleared. Its queue's
 *    oldest entry was queued at t0 <= t and the queue's timer expires at
 *    t0 + W <= t + W. The timer is a hard hrtimer (HRTIMER_MODE_REL_HARD):
 *    its callback runs in the timer interrupt, not in a softirq, so
 *    softirq or ksoftirqd delays, timer-wheel batching and the scheduler
 *    play no part. The invalidation completes at most
 *        t + W + L_irq + T_lock + T_inv
 *    after the unmap, where L_irq is the interrupt latency of the CPU the
 *    timer is queued on (its longest section with interrupts off: in this
 *    module, another invalidation's wait, bounded by VTD_WAIT_US in
 *    vtd_unit.c), T_lock is the time the queue's lock may be held by a
 *    flush already in progress (which then covers the entry itself), and
 *    T_inv is the invalidation's own wait (VTD_WAIT_US at worst, after
 *    which it fails and the entry is quarantined, never reused). Idle
 *    CPUs: a pending hrtimer programs the CPU's clock event device, so
 *    NOHZ idle still wakes for it. CPU offline: the dying CPU's hrtimers
 *    migrate to a live CPU (hrtimers_dead_cpu()) keeping their expiry, and
 *    the CPU-dead callback (CPUHP_BP_PREPARE_DYN) flushes the dead CPU's
 *    queues anyway; the bound then also includes the time the CPU takes to
 *    go down (stop_machine() has every CPU's interrupts off meanwhile,
 *    which delays every timer equally). As a backstop an unmap that finds
 *    its queue's oldest entry older than W (in jiffies) flushes first
 *    (flush_late counts it). A full queue is flushed by the unmap that
 *    filled it. The window is measured: max_age_ns in debugfs is the
 *    largest age of an oldest entry at its flush. None of this bounds a
 *    virtual CPU that its host does not run: under TCG on a loaded host
 *    the KUnit stress case has seen a 2 ms window flushed 95 ms late
 *    (guest time runs on while the vCPU thread waits), which is L_irq
 *    as the guest sees it.
 *
 * 5. Quarantine. An invalidation that fails (times out, or the queue
 *    reports an error: vtd_unit.c) may have left translations in the
 *    unit. Whatever it was meant to cover is quarantined, in both modes:
 *    the IOVA ranges stay allocated (never handed out again; they go with
 *    the domain's allocator when the domain is freed) and the table pages
 *    go on the domain's quarantine list, counted and shown in debugfs.
 *    When the domain is freed its pages move to vtd_flush_orphans; they
 *    are returned to the unit's pool only in vtd_flush_unit_exit(), which
 *    runs with the unit's translation off. Failures can be injected with
 *    the parameter inv_fail_next (the next N invalidations of unmaps
 *    report -EIO after doing the real invalidation, so the unit itself
 *    stays clean).
 *
 * 6. Locking. Each queue's @lock (irq-safe) serialises its unmaps (its
 *    own CPU, interrupts off), its timer's callback (any CPU, after
 *    migration), and flushes from other CPUs (give-back, mode change,
 *    teardown, CPU dead). No lock shared between CPUs is taken on the
 *    deferred unmap path until a flush. Lock order: a queue's lock, then
 *    the allocator's lock, the pool's lock, the unit's inv_lock, the
 *    hrtimer base lock, and the domain's q_lock (a leaf). Mode changes and
 *    teardown take vtd_flush_mutex (debugfs readers too) and wait for an
 *    RCU grace period between unpublishing the queues and freeing them;
 *    they must not run concurrently with each other on one domain.
 *
 * 7. Failure policy. A queue that cannot be allocated leaves the domain
 *    strict (-ENOMEM). An invalidation failure quarantines (5). Nothing
 *    here sleeps on the unmap path; the queue is never over-filled (a full
 *    queue is flushed before the unmap returns).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": flush: " fmt

#include <linux/cpuhotplug.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vtd_flush.h"
#include "vtd_unit.h"

/**
 * struct vtd_flush_entry - one deferred range
 * @pfn:	first frame.
 * @pages:	frames: the whole range the caller allocated.
 */
struct vtd_flush_entry {
	unsigned long pfn;
	unsigned long pages;
};

/*
 * Default queue size: 256 entries of 16 bytes, one 4 KiB page per CPU and
 * deferred domain. A flush costs one invalidation request plus its wait
 * descriptor, so a full queue spreads that over 256 unmaps; under a
 * continuous stream a queue fills in far less than the window, so most
 * flushes are "full" ones and the window only matters for the tail of a
 * burst. Bounded so that a queue stays a few pages: at most 4096 entries.
 */
#define VTD_FLUSH_QUEUE_DEFAULT		256
#define VTD_FLUSH_QUEUE_MAX		4096
static_assert(VTD_FLUSH_QUEUE_DEFAULT * sizeof(struct vtd_flush_entry) ==
	      4096);

/* The window: 10 ms by default; at most a minute (it is a test knob too). */
#define VTD_FLUSH_WINDOW_DEFAULT_MS	10
#define VTD_FLUSH_WINDOW_MAX_MS		60000

/**
 * enum vtd_flush_reason - why a queue was flushed (counters index)
 * @VTD_FLUSH_FULL:	its array was full.
 * @VTD_FLUSH_WINDOW:	its timer fired.
 * @VTD_FLUSH_LATE:	an unmap found its oldest entry past the window.
 * @VTD_FLUSH_SYNC:	asked for: give-back, mode change, teardown, CPU dead.
 * @VTD_FLUSH_NR:	number of reasons.
 */
enum vtd_flush_reason {
	VTD_FLUSH_FULL,
	VTD_FLUSH_WINDOW,
	VTD_FLUSH_LATE,
	VTD_FLUSH_SYNC,
	VTD_FLUSH_NR,
};

/**
 * struct vtd_flush_queue - one CPU's deferred unmaps of one domain
 * @lock:	protects everything below (section 6).
 * @dom:	the domain.
 * @entries:	@size entries (the domain's cfg.size), @nr of them used.
 * @nr:		entries queued.
 * @pages:	table pages the queued unmaps emptied (struct page lru).
 * @nr_pages:	pages on @pages.
 * @first_ns:	ktime_get_ns() when the oldest entry was queued.
 * @first_jiffies: the same in jiffies, for the unmap path's cheap check.
 * @timer:	fires one window after the oldest entry was queued.
 * @deferred:	entries queued so far.
 * @released:	entries given back after a successful flush.
 * @failed:	flushes whose invalidation failed.
 * @flushes:	flushes, by enum vtd_flush_reason.
 * @max_age_ns:	the largest age of an oldest entry at its flush.
 */
struct vtd_flush_queue {
	spinlock_t lock;	/* everything below */
	struct vtd_domain *dom;
	struct vtd_flush_entry *entries;
	unsigned int nr;
	struct list_head pages;
	unsigned long nr_pages;
	u64 first_ns;
	unsigned long first_jiffies;
	struct hrtimer timer;
	u64 deferred;
	u64 released;
	u64 failed;
	u64 flushes[VTD_FLUSH_NR];
	u64 max_age_ns;
};

/**
 * struct vtd_flush_orphan - quarantined pages of a domain that is gone
 * @node:	on vtd_flush_orphans.
 * @unit:	the unit whose pool they came from.
 * @pages:	the pages (struct page lru).
 * @nr:		how many.
 */
struct vtd_flush_orphan {
	struct list_head node;
	struct vtd_unit *unit;
	struct list_head pages;
	unsigned long nr;
};

static char *unmap = "strict";
module_param(unmap, charp, 0444);
MODULE_PARM_DESC(unmap, "Unmap mode of the devices the shim owns: strict (invalidate before unmap returns), deferred (per-CPU queues, flushed within flush_window_ms) or shadow (copy through buffers mapped once, no invalidation; see shadow_max); own=<dev>@<mode> overrides it per device");

static unsigned int flush_window_ms = VTD_FLUSH_WINDOW_DEFAULT_MS;
module_param(flush_window_ms, uint, 0644);
MODULE_PARM_DESC(flush_window_ms, "Deferred unmap: longest wait of an unmapped range for its invalidation, in ms (default 10; for queues made afterwards)");

static unsigned int flush_queue_size = VTD_FLUSH_QUEUE_DEFAULT;
module_param(flush_queue_size, uint, 0444);
MODULE_PARM_DESC(flush_queue_size, "Deferred unmap: ranges per CPU queue before a flush is forced (default 256, at most 4096)");

static unsigned int inv_fail_next;
module_param(inv_fail_next, uint, 0644);
MODULE_PARM_DESC(inv_fail_next, "Make the next N invalidations of unmaps report failure (after doing them), for the tests");

static enum vtd_unmap_mode vtd_flush_default;

/* Mode changes, teardown, debugfs readers of the queues. */
static DEFINE_MUTEX(vtd_flush_mutex);

/* Quarantined pages of freed domains; protected by vtd_flush_orphan_lock. */
static LIST_HEAD(vtd_flush_orphans);
static DEFINE_SPINLOCK(vtd_flush_orphan_lock);

/* The dynamic CPU hotplug state of the CPU-dead callback, or <= 0. */
static int vtd_flush_cpuhp_state = -1;

static const char * const vtd_flush_mode_names[] = {
	[VTD_UNMAP_STRICT] = "strict",
	[VTD_UNMAP_DEFERRED] = "deferred",
	[VTD_UNMAP_SHADOW] = "shadow",
};

/* --- primitives ------------------------------------------------------ */

static struct vtd_flush_domain *vtd_fd(struct vtd_domain *dom)
{
	return &dom->flush;
}

/**
 * vtd_flush_inject() - apply the failure injection to an invalidation
 * @ret: what the invalidation returned
 *
 * Context: any.
 * Return: @ret if it is an error; -EIO if a failure was asked for with
 * inv_fail_next (which counts down); 0 otherwise.
 */
int vtd_flush_inject(int ret)
{
	unsigned int n = READ_ONCE(inv_fail_next), old;

	if (ret)
		return ret;
	while (n) {
		old = cmpxchg(&inv_fail_next, n, n - 1);
		if (old == n)
			return -EIO;
		n = old;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_flush_inject);

/**
 * vtd_flush_inject_failures() - make the next @n unmap invalidations fail
 * @n: how many (0 stops the injection)
 *
 * Context: any.
 */
void vtd_flush_inject_failures(unsigned int n)
{
	WRITE_ONCE(inv_fail_next, n);
}
EXPORT_SYMBOL_GPL(vtd_flush_inject_failures);

/* Record a range that stays allocated for good (q_lock taken inside). */
static void vtd_fd_quarantine_range(struct vtd_flush_domain *fd, u64 iova,
				    u64 size, int err)
{
	unsigned long flags;

	spin_lock_irqsave(&fd->q_lock, flags);
	fd->q_recent[fd->q_nr_ranges % VTD_FLUSH_QUARANTINE_RECENT] =
		(struct vtd_flush_range){ iova, size, err };
	fd->q_nr_ranges++;
	fd->q_bytes += size;
	spin_unlock_irqrestore(&fd->q_lock, flags);
}

/**
 * vtd_flush_quarantine() - keep what a failed invalidation covered
 * @dom: the domain
 * @iova: first address of a range that stays allocated for good; ignored
 *	  with @size 0 (the caller keeps its range, or has recorded it)
 * @size: its bytes
 * @pages: table pages the unit may still walk (struct page lru), or NULL;
 *	   empty afterwards
 * @nr_pages: how many
 * @err: the invalidation's error
 *
 * Counts one failed invalidation.
 * Context: any; takes the domain's q_lock.
 */
void vtd_flush_quarantine(struct vtd_domain *dom, u64 iova, u64 size,
			  struct list_head *pages, unsigned long nr_pages,
			  int err)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	unsigned long flags;

	if (size)
		vtd_fd_quarantine_range(fd, iova, size, err);
	spin_lock_irqsave(&fd->q_lock, flags);
	if (pages)
		list_splice_tail_init(pages, &fd->q_pages);
	fd->q_nr_pages += nr_pages;
	fd->q_failures++;
	spin_unlock_irqrestore(&fd->q_lock, flags);
	pr_warn_ratelimited("domain %u: an unmap's invalidation failed (%d): range(s) and %lu table page(s) quarantined\n",
			    dom->did, err, nr_pages);
}
EXPORT_SYMBOL_GPL(vtd_flush_quarantine);

/* --- the queues ------------------------------------------------------ */

/*
 * One domain-selective invalidation covering every entry of @fq, then
 * give the entries back, or quarantine them if it failed (3c).
 */
static void vtd_fq_flush_locked(struct vtd_flush_queue *fq,
				enum vtd_flush_reason why)
{
	struct vtd_domain *dom = fq->dom;
	unsigned int i;
	u64 age;
	int ret;

	lockdep_assert_held(&fq->lock);
	if (!fq->nr && list_empty(&fq->pages))
		return;
	ret = vtd_flush_inject(vtd_unit_flush_iotlb_domain(dom->unit,
							   dom->did));
	age = ktime_get_ns() - fq->first_ns;
	fq->max_age_ns = max(fq->max_age_ns, age);
	fq->flushes[why]++;
	if (ret) {
		fq->failed++;
		for (i = 0; i < fq->nr; i++)
			vtd_fd_quarantine_range(&dom->flush,
						(u64)fq->entries[i].pfn << VTD_PAGE_SHIFT,
						(u64)fq->entries[i].pages << VTD_PAGE_SHIFT,
						ret);
		vtd_flush_quarantine(dom, 0, 0, &fq->pages, fq->nr_pages, ret);
	} else {
		for (i = 0; i < fq->nr; i++)
			vtd_domain_free_iova(dom,
					     (u64)fq->entries[i].pfn << VTD_PAGE_SHIFT,
					     (u64)fq->entries[i].pages << VTD_PAGE_SHIFT);
		fq->released += fq->nr;
		vtd_pool_put_list(&dom->unit->pool, &fq->pages);
	}
	fq->nr = 0;
	fq->nr_pages = 0;
	/* Nothing left to wait for; a callback already running finds it empty. */
	hrtimer_try_to_cancel(&fq->timer);
}

static enum hrtimer_restart vtd_fq_timer_fn(struct hrtimer *timer)
{
	struct vtd_flush_queue *fq = container_of(timer, struct vtd_flush_queue,
						  timer);
	unsigned long flags;

	spin_lock_irqsave(&fq->lock, flags);
	vtd_fq_flush_locked(fq, VTD_FLUSH_WINDOW);
	spin_unlock_irqrestore(&fq->lock, flags);
	return HRTIMER_NORESTART;
}

static void vtd_fq_flush(struct vtd_flush_queue *fq, enum vtd_flush_reason why)
{
	unsigned long flags;

	spin_lock_irqsave(&fq->lock, flags);
	vtd_fq_flush_locked(fq, why);
	spin_unlock_irqrestore(&fq->lock, flags);
}

/* Add one entry to this CPU's queue; flush first if it is late, after if full. */
static void vtd_fq_add_locked(struct vtd_flush_queue *fq,
			      const struct vtd_flush_cfg *cfg,
			      unsigned long pfn, unsigned long pages,
			      struct vtd_pgtable_gather *gather)
{
	lockdep_assert_held(&fq->lock);
	if (fq->nr &&
	    time_after_eq(jiffies, fq->first_jiffies +
			  msecs_to_jiffies(cfg->window_ms)))
		vtd_fq_flush_locked(fq, VTD_FLUSH_LATE);
	fq->entries[fq->nr++] = (struct vtd_flush_entry){ pfn, pages };
	list_splice_tail_init(&gather->freelist, &fq->pages);
	fq->nr_pages += gather->nr_freed;
	fq->deferred++;
	if (fq->nr == 1) {
		fq->first_ns = ktime_get_ns();
		fq->first_jiffies = jiffies;
		hrtimer_start(&fq->timer, ms_to_ktime(cfg->window_ms),
			      HRTIMER_MODE_REL_HARD);
	}
	if (fq->nr == cfg->size)
		vtd_fq_flush_locked(fq, VTD_FLUSH_FULL);
}

/**
 * vtd_flush_defer() - queue an unmapped range for a deferred invalidation
 * @dom: the domain
 * @iova: the range the caller allocated (its PTEs are clear now)
 * @size: its bytes
 * @gather: what the unmap gathered; its table pages move to the queue
 *
 * Context: any; interrupts are disabled inside.
 * Return: true if queued (the range and pages now belong to the queue),
 * false if the domain is strict (nothing was taken).
 */
bool vtd_flush_defer(struct vtd_domain *dom, u64 iova, u64 size,
		     struct vtd_pgtable_gather *gather)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	struct vtd_flush_queue __percpu *queues;
	struct vtd_flush_queue *fq;
	unsigned long flags;
	bool queued = false;

	/* Interrupts off: an RCU read side against vtd_flush_set_mode(). */
	local_irq_save(flags);
	/* Pairs with its smp_store_release(): the queues are set up. */
	queues = smp_load_acquire(&fd->queues);
	if (queues) {
		fq = this_cpu_ptr(queues);
		spin_lock(&fq->lock);
		vtd_fq_add_locked(fq, &fd->cfg, iova >> VTD_PAGE_SHIFT,
				  DIV_ROUND_UP_ULL(size, VTD_PAGE_SIZE),
				  gather);
		spin_unlock(&fq->lock);
		queued = true;
	}
	local_irq_restore(flags);
	return queued;
}
EXPORT_SYMBOL_GPL(vtd_flush_defer);

/* Flush every CPU's queue of @queues. */
static void vtd_fq_flush_all(struct vtd_flush_queue __percpu *queues)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		vtd_fq_flush(per_cpu_ptr(queues, cpu), VTD_FLUSH_SYNC);
}

/**
 * vtd_flush_domain_all() - flush every queue of a domain now
 * @dom: the domain (strict: nothing to do)
 *
 * When it returns, every range unmapped before the call is given back or
 * quarantined. For give-back and teardown.
 * Context: process; takes vtd_flush_mutex.
 */
void vtd_flush_domain_all(struct vtd_domain *dom)
{
	mutex_lock(&vtd_flush_mutex);
	if (dom->flush.queues)
		vtd_fq_flush_all(dom->flush.queues);
	mutex_unlock(&vtd_flush_mutex);
}
EXPORT_SYMBOL_GPL(vtd_flush_domain_all);

static void vtd_fq_free(struct vtd_flush_queue __percpu *queues)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		kfree(per_cpu_ptr(queues, cpu)->entries);
	free_percpu(queues);
}

static struct vtd_flush_queue __percpu *
vtd_fq_alloc(struct vtd_domain *dom, unsigned int size)
{
	struct vtd_flush_queue __percpu *queues;
	unsigned int cpu;

	queues = alloc_percpu(struct vtd_flush_queue);
	if (!queues)
		return NULL;
	for_each_possible_cpu(cpu) {
		struct vtd_flush_queue *fq = per_cpu_ptr(queues, cpu);

		spin_lock_init(&fq->lock);
		fq->dom = dom;
		INIT_LIST_HEAD(&fq->pages);
		hrtimer_init(&fq->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		fq->timer.function = vtd_fq_timer_fn;
		fq->entries = kcalloc_node(size, sizeof(*fq->entries),
					   GFP_KERNEL, cpu_to_node(cpu));
		if (!fq->entries) {
			vtd_fq_free(queues);
			return NULL;
		}
	}
	return queues;
}

/* Unpublish, wait out the unmaps that saw the queues, flush and free. */
static void vtd_flush_to_strict_locked(struct vtd_domain *dom)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	struct vtd_flush_queue __percpu *queues = fd->queues;
	unsigned int cpu;

	lockdep_assert_held(&vtd_flush_mutex);
	if (!queues)
		return;
	WRITE_ONCE(fd->queues, NULL);
	synchronize_rcu();
	if (fd->cpuhp_on)
		cpuhp_state_remove_instance_nocalls(vtd_flush_cpuhp_state,
						    &fd->cpuhp);
	fd->cpuhp_on = false;
	vtd_fq_flush_all(queues);
	for_each_possible_cpu(cpu)
		hrtimer_cancel(&per_cpu_ptr(queues, cpu)->timer);
	vtd_fq_free(queues);
}

/**
 * vtd_flush_set_mode() - make a domain strict or deferred
 * @dom: a DMA domain
 * @mode: the new mode (VTD_UNMAP_SHADOW: strict here, only remembered)
 * @cfg: the queues' shape for VTD_UNMAP_DEFERRED, or NULL for the module
 *	 parameters
 *
 * Switching to strict flushes whatever is queued first. Unmaps may run
 * concurrently; another mode change or teardown of @dom may not.
 * Context: process; sleeps.
 * Return: 0, -EINVAL for a bad @cfg, -ENOMEM (the domain stays strict).
 */
int vtd_flush_set_mode(struct vtd_domain *dom, enum vtd_unmap_mode mode,
		       const struct vtd_flush_cfg *cfg)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	struct vtd_flush_queue __percpu *queues;
	struct vtd_flush_cfg c = {
		.size = READ_ONCE(flush_queue_size),
		.window_ms = READ_ONCE(flush_window_ms),
	};
	int ret = 0;

	if (cfg)
		c = *cfg;
	if (mode == VTD_UNMAP_DEFERRED &&
	    (!c.size || c.size > VTD_FLUSH_QUEUE_MAX || !c.window_ms ||
	     c.window_ms > VTD_FLUSH_WINDOW_MAX_MS))
		return -EINVAL;
	mutex_lock(&vtd_flush_mutex);
	vtd_flush_to_strict_locked(dom);
	/* Shadow mode is strict here: the shim's copies need no queue. */
	WRITE_ONCE(fd->shadow, mode == VTD_UNMAP_SHADOW);
	if (mode != VTD_UNMAP_DEFERRED)
		goto out_unlock;
	queues = vtd_fq_alloc(dom, c.size);
	if (!queues) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	fd->cfg = c;
	if (vtd_flush_cpuhp_state > 0 &&
	    !cpuhp_state_add_instance_nocalls(vtd_flush_cpuhp_state,
					      &fd->cpuhp))
		fd->cpuhp_on = true;
	/* The queues and @cfg are set up before an unmap can see them. */
	smp_store_release(&fd->queues, queues);
out_unlock:
	mutex_unlock(&vtd_flush_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_flush_set_mode);

/**
 * vtd_flush_mode() - a domain's unmap mode
 * @dom: the domain
 *
 * Return: VTD_UNMAP_DEFERRED if it has queues, VTD_UNMAP_SHADOW if it was
 * set so, VTD_UNMAP_STRICT otherwise.
 */
enum vtd_unmap_mode vtd_flush_mode(struct vtd_domain *dom)
{
	if (READ_ONCE(dom->flush.queues))
		return VTD_UNMAP_DEFERRED;
	return READ_ONCE(dom->flush.shadow) ? VTD_UNMAP_SHADOW :
					      VTD_UNMAP_STRICT;
}
EXPORT_SYMBOL_GPL(vtd_flush_mode);

/* CPU hotplug: the dead CPU's queues are flushed on a live one. */
static int vtd_flush_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct vtd_flush_domain *fd = hlist_entry(node, struct vtd_flush_domain,
						  cpuhp);
	struct vtd_flush_queue __percpu *queues = READ_ONCE(fd->queues);

	if (queues)
		vtd_fq_flush(per_cpu_ptr(queues, cpu), VTD_FLUSH_SYNC);
	return 0;
}

/* --- a domain's state ------------------------------------------------ */

/**
 * vtd_flush_domain_init() - a new domain: strict, nothing quarantined
 * @dom: the domain, zeroed
 */
void vtd_flush_domain_init(struct vtd_domain *dom)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);

	spin_lock_init(&fd->q_lock);
	INIT_LIST_HEAD(&fd->q_pages);
	INIT_HLIST_NODE(&fd->cpuhp);
}

/**
 * vtd_flush_domain_exit() - flush and free the queues, orphan the quarantine
 * @dom: the domain, about to be freed (its allocator and table still there)
 *
 * Quarantined ranges go with the domain's allocator; quarantined pages
 * are kept until vtd_flush_unit_exit() (or leaked for good with
 * vtd_pool_abandon() if even that cannot be recorded).
 * Context: process; sleeps.
 */
void vtd_flush_domain_exit(struct vtd_domain *dom)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	struct vtd_flush_orphan *o;
	unsigned long flags;

	mutex_lock(&vtd_flush_mutex);
	vtd_flush_to_strict_locked(dom);
	mutex_unlock(&vtd_flush_mutex);
	if (list_empty(&fd->q_pages))
		return;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o) {
		vtd_pool_abandon(&dom->unit->pool, &fd->q_pages);
		return;
	}
	o->unit = dom->unit;
	INIT_LIST_HEAD(&o->pages);
	list_splice_init(&fd->q_pages, &o->pages);
	o->nr = fd->q_nr_pages;
	spin_lock_irqsave(&vtd_flush_orphan_lock, flags);
	list_add_tail(&o->node, &vtd_flush_orphans);
	spin_unlock_irqrestore(&vtd_flush_orphan_lock, flags);
}

/**
 * vtd_flush_unit_exit() - return a unit's orphaned quarantined pages
 * @unit: the unit, translation off, every domain freed, pool still there
 */
void vtd_flush_unit_exit(struct vtd_unit *unit)
{
	struct vtd_flush_orphan *o, *tmp;
	unsigned long flags;
	LIST_HEAD(mine);

	spin_lock_irqsave(&vtd_flush_orphan_lock, flags);
	list_for_each_entry_safe(o, tmp, &vtd_flush_orphans, node)
		if (o->unit == unit)
			list_move_tail(&o->node, &mine);
	spin_unlock_irqrestore(&vtd_flush_orphan_lock, flags);
	list_for_each_entry_safe(o, tmp, &mine, node) {
		WARN_ON_ONCE(unit->translating);
		vtd_pool_put_list(&unit->pool, &o->pages);
		kfree(o);
	}
}

/**
 * vtd_flush_unit_orphans() - quarantined pages of a unit's freed domains
 * @unit: the unit
 *
 * Return: how many pages wait for vtd_flush_unit_exit().
 */
unsigned long vtd_flush_unit_orphans(struct vtd_unit *unit)
{
	struct vtd_flush_orphan *o;
	unsigned long flags, n = 0;

	spin_lock_irqsave(&vtd_flush_orphan_lock, flags);
	list_for_each_entry(o, &vtd_flush_orphans, node)
		if (o->unit == unit)
			n += o->nr;
	spin_unlock_irqrestore(&vtd_flush_orphan_lock, flags);
	return n;
}

/**
 * vtd_flush_quarantined_ranges() - a domain's quarantined IOVA ranges
 * @dom: the domain
 *
 * Return: how many; they stay allocated in the domain's allocator.
 */
unsigned long vtd_flush_quarantined_ranges(struct vtd_domain *dom)
{
	return READ_ONCE(dom->flush.q_nr_ranges);
}
EXPORT_SYMBOL_GPL(vtd_flush_quarantined_ranges);

/**
 * vtd_flush_get_stats() - a domain's queue counters, summed over CPUs
 * @dom: the domain
 * @st: filled in (zeroes for a strict domain)
 *
 * Context: process; takes vtd_flush_mutex and each queue's lock.
 */
void vtd_flush_get_stats(struct vtd_domain *dom, struct vtd_flush_stats *st)
{
	struct vtd_flush_queue __percpu *queues;
	unsigned long flags;
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	mutex_lock(&vtd_flush_mutex);
	queues = dom->flush.queues;
	for_each_possible_cpu(cpu) {
		struct vtd_flush_queue *fq;

		if (!queues)
			break;
		fq = per_cpu_ptr(queues, cpu);
		spin_lock_irqsave(&fq->lock, flags);
		st->queued += fq->nr;
		st->queued_pages += fq->nr_pages;
		st->deferred += fq->deferred;
		st->released += fq->released;
		st->flush_full += fq->flushes[VTD_FLUSH_FULL];
		st->flush_window += fq->flushes[VTD_FLUSH_WINDOW];
		st->flush_late += fq->flushes[VTD_FLUSH_LATE];
		st->flush_sync += fq->flushes[VTD_FLUSH_SYNC];
		st->flush_failed += fq->failed;
		st->max_age_ns = max(st->max_age_ns, fq->max_age_ns);
		spin_unlock_irqrestore(&fq->lock, flags);
	}
	mutex_unlock(&vtd_flush_mutex);
}
EXPORT_SYMBOL_GPL(vtd_flush_get_stats);

/**
 * vtd_flush_show() - a domain's mode, queues and quarantine, for debugfs
 * @m: the seq_file
 * @dom: the domain
 *
 * Context: process.
 */
void vtd_flush_show(struct seq_file *m, struct vtd_domain *dom)
{
	struct vtd_flush_domain *fd = vtd_fd(dom);
	struct vtd_flush_range r[VTD_FLUSH_QUARANTINE_RECENT];
	unsigned long flags, ranges, pages, failures, i, n;
	struct vtd_flush_stats st;
	u64 bytes;

	vtd_flush_get_stats(dom, &st);
	seq_printf(m, "mode %s\n", vtd_flush_mode_name(vtd_flush_mode(dom)));
	if (vtd_flush_mode(dom) == VTD_UNMAP_DEFERRED)
		seq_printf(m, "window_ms %u\nqueue_size %u\n", fd->cfg.window_ms,
			   fd->cfg.size);
	seq_printf(m, "queued %lu\nqueued_pages %lu\ndeferred %llu\nreleased %llu\n",
		   st.queued, st.queued_pages, st.deferred, st.released);
	seq_printf(m, "flush_full %llu\nflush_window %llu\nflush_late %llu\nflush_sync %llu\nflush_failed %llu\nmax_age_us %llu\n",
		   st.flush_full, st.flush_window, st.flush_late, st.flush_sync,
		   st.flush_failed, div_u64(st.max_age_ns, NSEC_PER_USEC));
	spin_lock_irqsave(&fd->q_lock, flags);
	ranges = fd->q_nr_ranges;
	pages = fd->q_nr_pages;
	bytes = fd->q_bytes;
	failures = fd->q_failures;
	memcpy(r, fd->q_recent, sizeof(r));
	spin_unlock_irqrestore(&fd->q_lock, flags);
	seq_printf(m, "inv_failures %lu\nquarantined_ranges %lu\nquarantined_bytes %llu\nquarantined_pages %lu\n",
		   failures, ranges, bytes, pages);
	n = min_t(unsigned long, ranges, VTD_FLUSH_QUARANTINE_RECENT);
	for (i = ranges - n; i < ranges; i++) {
		struct vtd_flush_range *q = &r[i % VTD_FLUSH_QUARANTINE_RECENT];

		seq_printf(m, "quarantined [%#llx-%#llx] (%d)\n", q->iova,
			   q->iova + q->size - 1, q->err);
	}
}

/* --- modes and module life cycle ------------------------------------- */

/**
 * vtd_flush_mode_name() - "strict", "deferred" or "shadow"
 * @mode: the mode
 *
 * Return: its name.
 */
const char *vtd_flush_mode_name(enum vtd_unmap_mode mode)
{
	return mode < ARRAY_SIZE(vtd_flush_mode_names) ?
	       vtd_flush_mode_names[mode] : "?";
}

/**
 * vtd_flush_parse_mode() - read "strict", "deferred" or "shadow"
 * @s: the string
 * @mode: the mode it names
 *
 * Return: 0 or -EINVAL.
 */
int vtd_flush_parse_mode(const char *s, enum vtd_unmap_mode *mode)
{
	int i = sysfs_match_string(vtd_flush_mode_names, s);

	if (i < 0)
		return -EINVAL;
	*mode = i;
	return 0;
}

/**
 * vtd_flush_default_mode() - the unmap= parameter
 *
 * Return: the mode of devices the shim owns unless own= says otherwise.
 */
enum vtd_unmap_mode vtd_flush_default_mode(void)
{
	return vtd_flush_default;
}

/**
 * vtd_flush_init() - read the parameters, register the CPU-dead callback
 *
 * Context: module init, before the units come up.
 * Return: 0, -EINVAL for a bad parameter, or the hotplug code's error.
 */
int vtd_flush_init(void)
{
	int ret;

	if (vtd_flush_parse_mode(unmap, &vtd_flush_default)) {
		pr_err("unmap=%s: want strict, deferred or shadow\n", unmap);
		return -EINVAL;
	}
	if (!flush_queue_size || flush_queue_size > VTD_FLUSH_QUEUE_MAX ||
	    !flush_window_ms || flush_window_ms > VTD_FLUSH_WINDOW_MAX_MS) {
		pr_err("flush_queue_size=%u (1..%u), flush_window_ms=%u (1..%u)\n",
		       flush_queue_size, VTD_FLUSH_QUEUE_MAX, flush_window_ms,
		       VTD_FLUSH_WINDOW_MAX_MS);
		return -EINVAL;
	}
	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "vtd_remap:flush",
				      NULL, vtd_flush_cpu_dead);
	if (ret < 0)
		return ret;
	vtd_flush_cpuhp_state = ret;
	return 0;
}

/**
 * vtd_flush_exit() - unregister the CPU-dead callback
 *
 * Context: module exit, after the units (and so every domain) are gone.
 */
void vtd_flush_exit(void)
{
	if (vtd_flush_cpuhp_state > 0)
		cpuhp_remove_multi_state(vtd_flush_cpuhp_state);
	vtd_flush_cpuhp_state = -1;
	WARN_ON_ONCE(!list_empty(&vtd_flush_orphans));
}
