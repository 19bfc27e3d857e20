/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for building vtd_pgtable.c and vtd_pool.c unmodified:
 * just enough of the kernel API, backed by libc and pthreads. The
 * linux/... and asm/... headers next to this file include it under the
 * include guard of the kernel header they replace.
 *
 * What it checks on top of ASan/UBSan:
 *  - pages come from a counting allocator that can be told to fail
 *    (shim_fail_alloc_nth) and that poisons pages when freeing them;
 *  - a blocking allocation while a spinlock or rwlock is held aborts (the
 *    kernel's "sleeping function called from invalid context");
 *  - lockdep_assert_held() checks that the calling thread owns the lock;
 *  - WARN_ON_ONCE() counts into shim_warnings, which the tests check.
 */
#ifndef VTD_SHIM_H
#define VTD_SHIM_H

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only sparse annotations may be typedefs: mark the kernel's type names. */
#define __bitwise

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef u64 __bitwise phys_addr_t;
typedef unsigned int __bitwise gfp_t;

#define U64_MAX			UINT64_MAX
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define FIELD_PREP(m, v)	(((u64)(v) << __builtin_ctzll(m)) & (m))
#define FIELD_GET(m, r)		(((r) & (m)) >> __builtin_ctzll(m))

#define PAGE_SHIFT		12
#define PAGE_SIZE		BIT(PAGE_SHIFT)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define min(a, b)	({ __auto_type _a = (a); __auto_type _b = (b); _a < _b ? _a : _b; })
#define max(a, b)	({ __auto_type _a = (a); __auto_type _b = (b); _a > _b ? _a : _b; })
#define container_of(p, t, m)	((__typeof__(t) *)((char *)(p) - offsetof(t, m)))

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define cmpxchg64(p, o, n)	__sync_val_compare_and_swap((p), (o), (n))
/* The device-visible order: a release fence is the x86 reality. */
#define dma_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)

/* --- errors and warnings --- */
#define MAX_ERRNO	4095
static inline void *ERR_PTR(long e)
{
	return (void *)e;
}

static inline long PTR_ERR(const void *p)
{
	return (long)p;
}

static inline bool IS_ERR(const void *p)
{
	return (unsigned long)p >= (unsigned long)-MAX_ERRNO;
}

extern int shim_warnings;
int shim_warn(const char *file, int line);
#define WARN_ON_ONCE(c)		((c) ? shim_warn(__FILE__, __LINE__) : 0)
#define WARN_ON(c)		WARN_ON_ONCE(c)
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)

/* --- module glue --- */
#define module_param(n, t, p)
#define MODULE_PARM_DESC(n, d)
#define EXPORT_SYMBOL_GPL(s)	static_assert(1)

/* --- atomics --- */
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } __bitwise atomic_long_t;
#define ATOMIC_INIT(i)		{ (i) }
static inline int atomic_read(atomic_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_SEQ_CST);
}

static inline void atomic_set(atomic_t *a, int i)
{
	__atomic_store_n(&a->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_inc_return(atomic_t *a)
{
	return __atomic_add_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_inc(atomic_t *a)
{
	atomic_inc_return(a);
}

static inline long atomic_long_read(atomic_long_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_set(atomic_long_t *a, long i)
{
	__atomic_store_n(&a->counter, i, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_inc(atomic_long_t *a)
{
	__atomic_add_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_dec(atomic_long_t *a)
{
	__atomic_sub_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_add(long i, atomic_long_t *a)
{
	__atomic_add_fetch(&a->counter, i, __ATOMIC_SEQ_CST);
}

/* --- locks: a thread-local depth stands for "atomic context" --- */
extern __thread int shim_atomic_depth;
struct shim_spinlock {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
};

struct shim_rwlock {
	pthread_rwlock_t rw;
};

typedef struct shim_spinlock __bitwise spinlock_t;
typedef struct shim_rwlock __bitwise rwlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = false;
}

static inline unsigned long shim_spin_lock(spinlock_t *l)
{
	pthread_mutex_lock(&l->m);
	l->owner = pthread_self();
	l->held = true;
	shim_atomic_depth++;
	return 0;
}

static inline void shim_spin_unlock(spinlock_t *l, unsigned long flags)
{
	shim_atomic_depth--;
	l->held = false;
	pthread_mutex_unlock(&l->m);
}

static inline void shim_assert_held(spinlock_t *l, const char *file, int line)
{
	if (!l->held || !pthread_equal(l->owner, pthread_self())) {
		fprintf(stderr, "lock not held at %s:%d\n", file, line);
		abort();
	}
}

#define spin_lock_irqsave(l, f)		((f) = shim_spin_lock(l))
#define spin_unlock_irqrestore(l, f)	shim_spin_unlock(l, f)
#define lockdep_assert_held(l)		shim_assert_held(l, __FILE__, __LINE__)

static inline void rwlock_init(rwlock_t *l)
{
	pthread_rwlock_init(&l->rw, NULL);
}

static inline void read_lock(rwlock_t *l)
{
	pthread_rwlock_rdlock(&l->rw);
	shim_atomic_depth++;
}

static inline void read_unlock(rwlock_t *l)
{
	shim_atomic_depth--;
	pthread_rwlock_unlock(&l->rw);
}

#define read_lock_irqsave(l, f)		((f) = 0, read_lock(l))
#define read_unlock_irqrestore(l, f)	((void)(f), read_unlock(l))

static inline unsigned long shim_write_lock(rwlock_t *l)
{
	pthread_rwlock_wrlock(&l->rw);
	shim_atomic_depth++;
	return 0;
}

static inline void shim_write_unlock(rwlock_t *l, unsigned long flags)
{
	read_unlock(l);
}

#define write_lock_irqsave(l, f)	((f) = shim_write_lock(l))
#define write_unlock_irqrestore(l, f)	shim_write_unlock(l, f)

/* --- lists --- */
struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

/* LIST_HEAD() starts all NULL; every operation on a head makes it valid. */
#define LIST_HEAD(n)		struct list_head n = { NULL, NULL }

static inline struct list_head *shim_head(struct list_head *h)
{
	if (!h->next)
		INIT_LIST_HEAD(h);
	return h;
}

static inline void shim_list_link(struct list_head *n, struct list_head *p,
				  struct list_head *x)
{
	x->prev = n;
	n->next = x;
	n->prev = p;
	p->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	shim_head(h);
	shim_list_link(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	shim_head(h);
	shim_list_link(n, h->prev, h);
}

static inline void list_del(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = (void *)0x100;	/* poison, as the kernel does */
	e->prev = (void *)0x122;
}

static inline void list_move(struct list_head *e, struct list_head *h)
{
	list_del(e);
	list_add(e, h);
}

static inline bool list_empty(struct list_head *h)
{
	return shim_head(h)->next == h;
}

static inline void list_splice(struct list_head *l, struct list_head *h)
{
	if (list_empty(l))
		return;
	shim_head(h);
	l->next->prev = h;
	l->prev->next = h->next;
	h->next->prev = l->prev;
	h->next = l->next;
}

static inline void list_splice_init(struct list_head *l, struct list_head *h)
{
	list_splice(l, h);
	INIT_LIST_HEAD(l);
}

static inline void *shim_list_first(struct list_head *h, size_t off)
{
	return list_empty(h) ? NULL : (char *)h->next - off;
}

#define list_first_entry_or_null(h, t, m)	shim_list_first(h, offsetof(t, m))

/* --- RCU: one thread frees, so a grace period is over at once --- */
struct rcu_head {
	void (*func)(struct rcu_head *head);
};

#define rcu_read_lock()		do { } while (0)
#define rcu_read_unlock()	do { } while (0)
#define rcu_barrier()		do { } while (0)
static inline void call_rcu(struct rcu_head *head,
			    void (*func)(struct rcu_head *head))
{
	func(head);
}

/* --- pages: a counting allocator --- */
struct page {
	struct list_head lru;
	struct rcu_head rcu_head;
	void *va;
};

#define __GFP_DIRECT_RECLAIM	0x1u
#define __GFP_ZERO		0x100u
#define __GFP_NOWARN		0x200u
#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM | 0x10u)
#define GFP_ATOMIC		0x20u
#define GFP_NOWAIT		0x40u
static inline bool gfpflags_allow_blocking(gfp_t g)
{
	return g & __GFP_DIRECT_RECLAIM;
}

void shim_might_sleep(bool cond, const char *file, int line);
#define might_sleep_if(c)	shim_might_sleep(c, __FILE__, __LINE__)

extern unsigned int shim_fail_alloc_nth;	/* 0: never */
extern void (*shim_alloc_hook)(void);	/* called by every allocation */
extern long shim_pages_live;
extern long shim_clflush_calls;
/* Which cache lines clflush_cache_range() covered, while tracking. */
extern bool shim_flush_tracking;
void shim_flush_reset(void);
bool shim_line_flushed(const void *va);
unsigned long __get_free_page(gfp_t gfp);
void free_page(unsigned long addr);
struct page *virt_to_page(const void *va);
#define __free_page(p)		free_page((unsigned long)(p)->va)
static inline void *page_address(struct page *p)
{
	return p->va;
}

static inline u64 virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}

static inline void *phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)pa;
}

void clflush_cache_range(void *va, unsigned int size);
void *memchr_inv(const void *p, int c, size_t n);

/* --- workqueues: work runs when flushed, never behind the caller --- */
struct work_struct {
	void (*func)(struct work_struct *w);
	int pending;
};

struct workqueue_struct {
	int unused;
};

#define WQ_MEM_RECLAIM		0x1
#define WQ_UNBOUND		0x2
void INIT_WORK(struct work_struct *w, void (*func)(struct work_struct *w));
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max, ...);
void destroy_workqueue(struct workqueue_struct *wq);
bool queue_work(struct workqueue_struct *wq, struct work_struct *w);
bool flush_work(struct work_struct *w);
bool cancel_work_sync(struct work_struct *w);

/* --- shrinkers --- */
struct shrink_control {
	unsigned long nr_to_scan;
};

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *s, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *s, struct shrink_control *sc);
	int seeks;
};

#define DEFAULT_SEEKS		2
#define SHRINK_STOP		(~0UL)
int register_shrinker(struct shrinker *s, const char *fmt, ...);
void unregister_shrinker(struct shrinker *s);

#endif /* VTD_SHIM_H */
