/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap unmap modes: strict or deferred invalidation of what a domain
 * unmaps (and shadow, where the DMA-API shim copies through buffers that
 * stay mapped, vtd_shadow.c), and the quarantine of what a failed
 * invalidation may still let a device reach. Public interface; the
 * theory of operation (the window guarantee and what bounds it, locking,
 * failure policy) opens vtd_flush.c.
 */
#ifndef VTD_FLUSH_H
#define VTD_FLUSH_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct seq_file;
struct vtd_domain;
struct vtd_unit;
struct vtd_pgtable_gather;
struct vtd_flush_queue;

/**
 * enum vtd_unmap_mode - when an unmap's IOTLB invalidation happens
 * @VTD_UNMAP_STRICT:	before the unmap returns (the default).
 * @VTD_UNMAP_DEFERRED:	batched per CPU, at the latest a window after the
 *			unmap; the range and the table pages are released
 *			only after it.
 * @VTD_UNMAP_SHADOW:	the DMA-API shim copies streaming DMA through
 *			shadow buffers mapped once (vtd_shadow.c), whose
 *			unmap needs no invalidation; whatever the domain
 *			itself unmaps (fallback mappings, trimmed shadow
 *			chunks, coherent buffers) is strict.
 */
enum vtd_unmap_mode {
	VTD_UNMAP_STRICT,
	VTD_UNMAP_DEFERRED,
	VTD_UNMAP_SHADOW,
};

/**
 * struct vtd_flush_cfg - the shape of a domain's deferred queues
 * @size:	entries (unmapped ranges) per CPU before a flush is forced.
 * @window_ms:	the longest an entry waits for its invalidation.
 */
struct vtd_flush_cfg {
	unsigned int size;
	unsigned int window_ms;
};

/* Quarantined ranges a domain remembers for debugfs (the count is exact). */
#define VTD_FLUSH_QUARANTINE_RECENT	8

/**
 * struct vtd_flush_range - a quarantined IOVA range, for debugfs
 * @iova:	first address.
 * @size:	bytes.
 * @err:	the error of the invalidation that failed.
 */
struct vtd_flush_range {
	u64 iova;
	u64 size;
	int err;
};

/**
 * struct vtd_flush_domain - a domain's unmap mode, queues and quarantine
 * @queues:	the per-CPU queues when the domain is deferred, NULL when it
 *		is strict. Published with smp_store_release() after they are
 *		set up, cleared before they are torn down (with an RCU grace
 *		period between: unmaps read it with interrupts off).
 * @cfg:	the queues' shape (valid while @queues is set).
 * @shadow:	the domain is in shadow mode (its own unmaps are strict).
 * @cpuhp_on:	the domain is an instance of the CPU-dead callback.
 * @cpuhp:	its node there.
 * @q_lock:	protects the q_* fields; irq-safe, a leaf.
 * @q_pages:	quarantined table pages (struct page lru).
 * @q_nr_pages:	pages on @q_pages.
 * @q_nr_ranges: quarantined IOVA ranges: still allocated in the domain's
 *		allocator, never handed out again.
 * @q_bytes:	their bytes.
 * @q_failures:	invalidations of this domain's unmaps that failed.
 * @q_recent:	the last VTD_FLUSH_QUARANTINE_RECENT quarantined ranges.
 */
struct vtd_flush_domain {
	struct vtd_flush_queue __percpu *queues;
	struct vtd_flush_cfg cfg;
	bool shadow;
	bool cpuhp_on;
	struct hlist_node cpuhp;

	spinlock_t q_lock;	/* the q_* fields */
	struct list_head q_pages;
	unsigned long q_nr_pages;
	unsigned long q_nr_ranges;
	u64 q_bytes;
	unsigned long q_failures;
	struct vtd_flush_range q_recent[VTD_FLUSH_QUARANTINE_RECENT];
};

/* Module life cycle (vtd_main.c): before the units, after them. */
int vtd_flush_init(void);
void vtd_flush_exit(void);

enum vtd_unmap_mode vtd_flush_default_mode(void);
int vtd_flush_parse_mode(const char *s, enum vtd_unmap_mode *mode);
const char *vtd_flush_mode_name(enum vtd_unmap_mode mode);

/* A domain's state (vtd_domain.c). */
void vtd_flush_domain_init(struct vtd_domain *dom);
void vtd_flush_domain_exit(struct vtd_domain *dom);
int vtd_flush_set_mode(struct vtd_domain *dom, enum vtd_unmap_mode mode,
		       const struct vtd_flush_cfg *cfg);
enum vtd_unmap_mode vtd_flush_mode(struct vtd_domain *dom);
bool vtd_flush_defer(struct vtd_domain *dom, u64 iova, u64 size,
		     struct vtd_pgtable_gather *gather);
void vtd_flush_domain_all(struct vtd_domain *dom);
void vtd_flush_quarantine(struct vtd_domain *dom, u64 iova, u64 size,
			  struct list_head *pages, unsigned long nr_pages,
			  int err);
int vtd_flush_inject(int ret);
void vtd_flush_inject_failures(unsigned int n);

/**
 * struct vtd_flush_stats - a domain's deferred queues, summed over CPUs
 * @queued:	ranges in the queues now.
 * @queued_pages: table pages in the queues now.
 * @deferred:	unmaps queued so far.
 * @released:	ranges given back after a successful flush.
 * @flush_full:	flushes because a queue was full.
 * @flush_window: flushes by a queue's timer (its oldest entry's window).
 * @flush_late:	flushes by an unmap that found its queue's oldest entry
 *		past the window (the timer was late).
 * @flush_sync:	flushes asked for (give-back, mode change, teardown, CPU
 *		going offline).
 * @flush_failed: flushes whose invalidation failed (entries quarantined).
 * @max_age_ns:	the oldest entry's age at its flush, at most.
 */
struct vtd_flush_stats {
	unsigned long queued;
	unsigned long queued_pages;
	u64 deferred;
	u64 released;
	u64 flush_full;
	u64 flush_window;
	u64 flush_late;
	u64 flush_sync;
	u64 flush_failed;
	u64 max_age_ns;
};

void vtd_flush_get_stats(struct vtd_domain *dom, struct vtd_flush_stats *st);
unsigned long vtd_flush_quarantined_ranges(struct vtd_domain *dom);
unsigned long vtd_flush_unit_orphans(struct vtd_unit *unit);
void vtd_flush_unit_exit(struct vtd_unit *unit);
void vtd_flush_show(struct seq_file *m, struct vtd_domain *dom);

#endif /* VTD_FLUSH_H */
