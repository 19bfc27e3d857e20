/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap userspace shim: the knobs and counters the tests see.
 *
 * The headers under linux/ stand in for the kernel's when kernel sources
 * (iova.c) are compiled into a userspace test. Behind them, shim.c keeps:
 *   - a counting allocator for kmem_cache_*, kmalloc and kvmalloc: every
 *     object is tracked until freed, freed memory is poisoned and kept in
 *     quarantine for a while, a double free or a write after free is a bug,
 *     and the Nth allocation can be told to fail;
 *   - spinlocks that know their owner, so lockdep_assert_held() is real and
 *     a sleeping allocation under a spinlock is caught;
 *   - counters of printk messages by level and of WARN_ON*() that fired.
 *
 * A "bug" (double free, lock misuse, ...) prints "shim: BUG: ..." and
 * aborts, unless shim_set_fatal(false), in which case it is only counted.
 */
#ifndef VTD_SHIM_H
#define VTD_SHIM_H

#include <stdbool.h>
#include <stddef.h>

/**
 * struct shim_counts - what happened since the last shim_reset_counts()
 * @allocs:	allocations attempted (kmem_cache_create and _alloc, kmalloc,
 *		kvmalloc and their variants)
 * @injected:	of those, failed on purpose by shim_fail_nth()
 * @live:	objects allocated and not yet freed, since the program began
 * @pr_err:	pr_err() and pr_crit()/pr_alert()/pr_emerg() messages
 * @pr_warn:	pr_warn() messages, rate-limited variants included
 * @pr_info:	pr_notice(), pr_info() and pr_debug() messages
 * @warn_on:	WARN_ON*() conditions found true (every time, even _ONCE)
 * @bugs:	shim bug reports (only counted when not fatal)
 */
struct shim_counts {
	long allocs;
	long injected;
	long live;
	long pr_err;
	long pr_warn;
	long pr_info;
	long warn_on;
	long bugs;
};

void shim_get_counts(struct shim_counts *c);
/* Zero every counter except @live. */
void shim_reset_counts(void);

/* Fail the @n-th allocation from now (1: the next one); 0: none. */
void shim_fail_nth(long n);

/* Print nothing for printk and WARN (they are still counted). */
void shim_set_quiet(bool quiet);
/* Abort on a shim bug report (the default) or only count it. */
void shim_set_fatal(bool fatal);

/* The text of the last printk message, after its prefix, without "\n". */
const char *shim_last_msg(void);

/* Print every live object and return how many there are. */
long shim_leak_report(void);
/* Drain the quarantine, checking that freed memory stayed poisoned. */
void shim_quarantine_flush(void);

#endif /* VTD_SHIM_H */
