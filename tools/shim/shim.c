// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap userspace shim: what the headers in include/linux/ stand on.
 *
 * 1. Counting allocator. Every object carries a header (struct shim_hdr)
 *    and sits on a list of live objects until freed. A free checks the
 *    header: a second free of the same object, a free into the wrong cache
 *    or through the wrong function, or a pointer the shim never handed out
 *    is a bug report. A freed object is filled with POISON_FREE, hidden
 *    from ASan (when built with it) and kept in a quarantine ring; when it
 *    leaves the ring its poison is checked, which catches writes after free
 *    without ASan too. shim_fail_nth() makes one chosen allocation fail.
 *
 * 2. Locks. Each thread gets a small id; a spinlock records its holder's,
 *    so lockdep_assert_held() asks the real question, and each thread
 *    counts the spinlocks it holds and whether its "interrupts" are off:
 *    a GFP_KERNEL allocation in that state is a bug report.
 *
 * 3. Messages. printk and WARN_ON are counted (struct shim_counts) and
 *    printed unless quiet; the last printk message is kept for the tests.
 *
 * At exit, a live object is a leak: it is listed and the exit status
 * becomes 1.
 *
 * Everything here is thread-safe: the allocator's list, the quarantine and
 * the counters are under shim_lock, or atomic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sanitizer/asan_interface.h>

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/shrinker.h>

#include "vtd_shim.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SHIM_HAVE_ASAN 1
#include <sanitizer/common_interface_defs.h>
#else
#define SHIM_HAVE_ASAN 0
#endif

#define SHIM_POISON_INUSE	0x5a	/* the kernel's POISON_INUSE */
#define SHIM_POISON_FREE	0x6b	/* the kernel's POISON_FREE */
#define SHIM_MAGIC_LIVE		0x4c4956454f424aUL	/* "LIVEOBJ" */
#define SHIM_MAGIC_FREE		0x465245454f424aUL	/* "FREEOBJ" */
/*
 * Freed objects kept back before they are really freed: enough to span
 * one test case's churn of tree nodes (a few thousand), small enough that
 * the check on the way out stays cheap.
 */
#define SHIM_QUARANTINE		4096

enum shim_kind {
	SHIM_KIND_CACHE,	/* kmem_cache_alloc() */
	SHIM_KIND_KMALLOC,	/* kmalloc() and friends */
	SHIM_KIND_KVMALLOC,	/* kvmalloc() and friends */
};

static const char *const shim_kind_name[] = {
	[SHIM_KIND_CACHE] = "kmem_cache",
	[SHIM_KIND_KMALLOC] = "kmalloc",
	[SHIM_KIND_KVMALLOC] = "kvmalloc",
};

/**
 * struct shim_hdr - what the shim keeps in front of every object
 * @magic:	SHIM_MAGIC_LIVE or SHIM_MAGIC_FREE
 * @size:	bytes the caller asked for
 * @cache:	the cache, for SHIM_KIND_CACHE
 * @kind:	which family of functions allocated it
 * @seq:	allocation number since the program began, for reports
 * @prev:	previous live object
 * @next:	next live object
 * @pad:	keeps the object 16-byte aligned, as malloc() would
 */
struct shim_hdr {
	unsigned long magic;
	size_t size;
	struct kmem_cache *cache;
	enum shim_kind kind;
	unsigned long seq;
	struct shim_hdr *prev;
	struct shim_hdr *next;
	unsigned long pad;
};

static_assert(sizeof(struct shim_hdr) % 16 == 0);

/**
 * struct kmem_cache - a slab cache: only a name, a size and a count
 * @name:	as given to kmem_cache_create()
 * @size:	object size
 * @align:	object alignment (only checked: the shim aligns to 16)
 * @ctor:	constructor run on every new object
 * @live:	objects of this cache not yet freed
 */
struct kmem_cache {
	const char *name;
	unsigned int size;
	unsigned int align;
	void (*ctor)(void *obj);
	long live;
};

/* Protects the live list, the quarantine, the counters and the message. */
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

static struct shim_hdr shim_live_list = {
	.prev = &shim_live_list, .next = &shim_live_list,
};

static struct shim_hdr *shim_quarantine[SHIM_QUARANTINE];
static unsigned long shim_quarantine_head;	/* next slot to fill */
static unsigned long shim_seq;
static long shim_fail_at;	/* value of counts.allocs to fail at; 0: none */
static struct shim_counts counts;	/* under shim_lock */
static bool shim_quiet;
static bool shim_nonfatal;
static char shim_msg[512];	/* under shim_lock */

static int shim_next_tid;
static __thread int shim_tid;		/* this thread's id, 0 until needed */
static __thread int shim_locks_held;	/* spinlocks this thread holds */
static __thread unsigned long shim_irqs_off;	/* 1 inside irqsave */

/* --- reports --------------------------------------------------------- */

static void shim_count(long *counter)
{
	pthread_mutex_lock(&shim_lock);
	(*counter)++;
	pthread_mutex_unlock(&shim_lock);
}

static __printf(1, 2) void shim_bug(const char *fmt, ...)
{
	bool fatal = !__atomic_load_n(&shim_nonfatal, __ATOMIC_RELAXED);
	va_list ap;

	shim_count(&counts.bugs);
	/* Expected reports (the shim's self-test) stay quiet if asked. */
	if (!fatal && __atomic_load_n(&shim_quiet, __ATOMIC_RELAXED))
		return;
	fprintf(stderr, "shim: BUG: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!fatal)
		return;
#if SHIM_HAVE_ASAN
	__sanitizer_print_stack_trace();
#endif
	abort();
}

void shim_printk(int level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[SHIM_LOGLEVEL_ERR] = "err", [SHIM_LOGLEVEL_WARNING] = "warn",
		[SHIM_LOGLEVEL_INFO] = "info",
	};
	char buf[sizeof(shim_msg)];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';

	pthread_mutex_lock(&shim_lock);
	if (level <= SHIM_LOGLEVEL_ERR)
		counts.pr_err++;
	else if (level == SHIM_LOGLEVEL_WARNING)
		counts.pr_warn++;
	else
		counts.pr_info++;
	memcpy(shim_msg, buf, sizeof(buf));
	pthread_mutex_unlock(&shim_lock);
	if (!__atomic_load_n(&shim_quiet, __ATOMIC_RELAXED))
		fprintf(stderr, "[%s] %s\n", prefix[level], buf);
}

void shim_warn(const char *file, int line, const char *cond, bool print)
{
	shim_count(&counts.warn_on);
	if (print && !__atomic_load_n(&shim_quiet, __ATOMIC_RELAXED))
		fprintf(stderr, "WARNING: %s:%d: WARN_ON(%s)\n", file, line,
			cond);
}

/* --- knobs ----------------------------------------------------------- */

void shim_get_counts(struct shim_counts *c)
{
	pthread_mutex_lock(&shim_lock);
	*c = counts;
	pthread_mutex_unlock(&shim_lock);
}

void shim_reset_counts(void)
{
	pthread_mutex_lock(&shim_lock);
	counts = (struct shim_counts){ .live = counts.live };
	shim_fail_at = 0;
	pthread_mutex_unlock(&shim_lock);
}

void shim_fail_nth(long n)
{
	pthread_mutex_lock(&shim_lock);
	shim_fail_at = n > 0 ? counts.allocs + n : 0;
	pthread_mutex_unlock(&shim_lock);
}

void shim_set_quiet(bool quiet)
{
	__atomic_store_n(&shim_quiet, quiet, __ATOMIC_RELAXED);
}

void shim_set_fatal(bool fatal)
{
	__atomic_store_n(&shim_nonfatal, !fatal, __ATOMIC_RELAXED);
}

const char *shim_last_msg(void)
{
	return shim_msg;
}

/* --- locks ----------------------------------------------------------- */

static int shim_self(void)
{
	if (!shim_tid)
		shim_tid = __atomic_add_fetch(&shim_next_tid, 1,
					      __ATOMIC_RELAXED);
	return shim_tid;
}

void shim_spin_lock_init(spinlock_t *lock)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&lock->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
}

void shim_spin_lock(spinlock_t *lock)
{
	int err = pthread_mutex_lock(&lock->mutex);

	if (err) {
		shim_bug("spin_lock(%p): %s", (void *)lock,
			 err == EDEADLK ? "recursive locking" : strerror(err));
		return;
	}
	__atomic_store_n(&lock->owner, shim_self(), __ATOMIC_RELAXED);
	shim_locks_held++;
}

void shim_spin_unlock(spinlock_t *lock)
{
	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) != shim_self()) {
		shim_bug("spin_unlock(%p): not held by this thread",
			 (void *)lock);
		return;
	}
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	shim_locks_held--;
	pthread_mutex_unlock(&lock->mutex);
}

bool shim_spin_held(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == shim_self();
}

void shim_lockdep_assert(struct shim_spinlock *lock, bool held,
			 const char *what, const char *file, int line)
{
	if (shim_spin_held(lock) != held)
		shim_bug("%s:%d: lockdep_assert_%sheld(%s) failed", file, line,
			 held ? "" : "not_", what);
}

unsigned long shim_irq_save(void)
{
	unsigned long flags = shim_irqs_off;

	shim_irqs_off = 1;
	return flags;
}

void shim_irq_restore(unsigned long flags)
{
	shim_irqs_off = flags;
}

/* --- allocator ------------------------------------------------------- */

static void *shim_body(struct shim_hdr *h)
{
	return h + 1;
}

/* The header of @obj, if it looks like one of ours (live or freed). */
static struct shim_hdr *shim_hdr_of(const void *obj, const char *fn)
{
	struct shim_hdr *h = (struct shim_hdr *)obj - 1;

	if ((uintptr_t)obj % 16 ||
	    (h->magic != SHIM_MAGIC_LIVE && h->magic != SHIM_MAGIC_FREE)) {
		shim_bug("%s(%p): not an object the shim handed out", fn, obj);
		return NULL;
	}
	return h;
}

/* Check that a quarantined object stayed poisoned, then really free it. */
static void shim_release(struct shim_hdr *h)
{
	unsigned char *p = shim_body(h);
	size_t i;

	ASAN_UNPOISON_MEMORY_REGION(p, h->size);
	for (i = 0; i < h->size; i++) {
		if (p[i] != SHIM_POISON_FREE) {
			shim_bug("%s object #%lu (%zu bytes) written after free at offset %zu",
				 h->cache ? h->cache->name : shim_kind_name[h->kind],
				 h->seq, h->size, i);
			break;
		}
	}
	free(h);
}

void shim_quarantine_flush(void)
{
	unsigned long i;
	struct shim_hdr *h;

	for (i = 0; i < SHIM_QUARANTINE; i++) {
		pthread_mutex_lock(&shim_lock);
		h = shim_quarantine[i];
		shim_quarantine[i] = NULL;
		pthread_mutex_unlock(&shim_lock);
		if (h)
			shim_release(h);
	}
}

/* Whether the caller may sleep; a GFP_KERNEL allocation needs it. */
static void shim_might_sleep(gfp_t gfp, const char *fn)
{
	if (gfp == GFP_KERNEL && (shim_locks_held || shim_irqs_off))
		shim_bug("%s(GFP_KERNEL) in atomic context (%d spinlocks held%s)",
			 fn, shim_locks_held,
			 shim_irqs_off ? ", interrupts off" : "");
}

static void *shim_alloc(size_t size, enum shim_kind kind,
			struct kmem_cache *cache, gfp_t gfp, bool zero)
{
	struct shim_hdr *h;
	bool fail;

	shim_might_sleep(gfp, shim_kind_name[kind]);
	pthread_mutex_lock(&shim_lock);
	counts.allocs++;
	fail = counts.allocs == shim_fail_at;
	if (fail)
		counts.injected++;
	pthread_mutex_unlock(&shim_lock);
	if (fail || size > (size_t)1 << 40)
		return NULL;

	/* 16-byte aligned, as the kernel's slab gives at least 8. */
	if (posix_memalign((void **)&h, 16, sizeof(*h) + size))
		return NULL;
	h->magic = SHIM_MAGIC_LIVE;
	h->size = size;
	h->cache = cache;
	h->kind = kind;
	h->pad = 0;
	memset(shim_body(h), zero ? 0 : SHIM_POISON_INUSE, size);

	pthread_mutex_lock(&shim_lock);
	h->seq = ++shim_seq;
	h->next = &shim_live_list;
	h->prev = shim_live_list.prev;
	h->prev->next = h;
	shim_live_list.prev = h;
	counts.live++;
	if (cache)
		cache->live++;
	pthread_mutex_unlock(&shim_lock);
	return shim_body(h);
}

static void shim_free(const void *obj, const char *fn,
		      bool (*kind_ok)(enum shim_kind), struct kmem_cache *cache)
{
	struct shim_hdr *h, *old;

	if (!obj)
		return;
	h = shim_hdr_of(obj, fn);
	if (!h)
		return;
	pthread_mutex_lock(&shim_lock);
	if (h->magic == SHIM_MAGIC_FREE) {
		pthread_mutex_unlock(&shim_lock);
		shim_bug("%s(%p): double free of object #%lu", fn, obj, h->seq);
		return;
	}
	if (!kind_ok(h->kind) || h->cache != cache) {
		pthread_mutex_unlock(&shim_lock);
		shim_bug("%s(%p): object #%lu came from %s%s%s", fn, obj,
			 h->seq, shim_kind_name[h->kind],
			 h->cache ? " cache " : "",
			 h->cache ? h->cache->name : "");
		return;
	}
	h->magic = SHIM_MAGIC_FREE;
	h->prev->next = h->next;
	h->next->prev = h->prev;
	counts.live--;
	if (cache)
		cache->live--;
	memset(shim_body(h), SHIM_POISON_FREE, h->size);
	ASAN_POISON_MEMORY_REGION(shim_body(h), h->size);
	old = shim_quarantine[shim_quarantine_head];
	shim_quarantine[shim_quarantine_head] = h;
	shim_quarantine_head = (shim_quarantine_head + 1) % SHIM_QUARANTINE;
	pthread_mutex_unlock(&shim_lock);
	if (old)
		shim_release(old);
}

long shim_leak_report(void)
{
	struct shim_hdr *h;
	long n = 0;

	pthread_mutex_lock(&shim_lock);
	for (h = shim_live_list.next; h != &shim_live_list; h = h->next) {
		fprintf(stderr, "shim: leak: %s%s%s object #%lu, %zu bytes\n",
			shim_kind_name[h->kind], h->cache ? " " : "",
			h->cache ? h->cache->name : "", h->seq, h->size);
		n++;
	}
	pthread_mutex_unlock(&shim_lock);
	return n;
}

/*
 * At exit, whoever linked the shim: anything still allocated is a leak,
 * and the quarantine's last objects must still be poisoned.
 */
static void __attribute__((destructor)) shim_exit_check(void)
{
	shim_quarantine_flush();
	if (shim_leak_report()) {
		fprintf(stderr, "shim: leaks at exit\n");
		_exit(1);
	}
}

static bool shim_kind_cache(enum shim_kind kind)
{
	return kind == SHIM_KIND_CACHE;
}

static bool shim_kind_kmalloc(enum shim_kind kind)
{
	return kind == SHIM_KIND_KMALLOC;
}

/* kvfree() takes kmalloc() memory too, as in the kernel. */
static bool shim_kind_kv(enum shim_kind kind)
{
	return kind == SHIM_KIND_KMALLOC || kind == SHIM_KIND_KVMALLOC;
}

/* --- slab API -------------------------------------------------------- */

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *s;

	shim_might_sleep(GFP_KERNEL, __func__);
	if (!size || (align & (align - 1)) || align > 16) {
		shim_bug("%s(%s): size %u, align %u", __func__, name, size,
			 align);
		return NULL;
	}
	pthread_mutex_lock(&shim_lock);
	counts.allocs++;
	if (counts.allocs == shim_fail_at) {
		counts.injected++;
		pthread_mutex_unlock(&shim_lock);
		return NULL;
	}
	pthread_mutex_unlock(&shim_lock);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = name;
	s->size = size;
	s->align = align;
	s->ctor = ctor;
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	if (s->live)
		shim_bug("%s(%s): %ld objects remaining", __func__, s->name,
			 s->live);
	else
		free(s);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *obj = shim_alloc(s->size, SHIM_KIND_CACHE, s, gfp, false);

	if (obj && s->ctor)
		s->ctor(obj);
	return obj;
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return shim_alloc(s->size, SHIM_KIND_CACHE, s, gfp, true);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	if (!obj)
		shim_bug("%s(%s, NULL)", __func__, s->name);
	shim_free(obj, __func__, shim_kind_cache, s);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->size;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, SHIM_KIND_KMALLOC, NULL, gfp, false);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, SHIM_KIND_KMALLOC, NULL, gfp, true);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return shim_alloc(n * size, SHIM_KIND_KMALLOC, NULL, gfp, true);
}

void kfree(const void *obj)
{
	shim_free(obj, __func__, shim_kind_kmalloc, NULL);
}

void *kvmalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, SHIM_KIND_KVMALLOC, NULL, gfp, false);
}

void *kvzalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, SHIM_KIND_KVMALLOC, NULL, gfp, true);
}

void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return shim_alloc(n * size, SHIM_KIND_KVMALLOC, NULL, gfp, false);
}

void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return shim_alloc(n * size, SHIM_KIND_KVMALLOC, NULL, gfp, true);
}

void kvfree(const void *obj)
{
	shim_free(obj, __func__, shim_kind_kv, NULL);
}

/* --- per-CPU data, CPU hotplug, shrinkers (for iova_rcache.c) -------- */

__thread unsigned int shim_cpu;

#define SHIM_CPUHP_INSTANCES	64

static int (*shim_cpuhp_teardown)(unsigned int cpu, struct hlist_node *node);
static struct hlist_node *shim_cpuhp_inst[SHIM_CPUHP_INSTANCES];

int cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
			    int (*startup)(unsigned int cpu,
					   struct hlist_node *node),
			    int (*teardown)(unsigned int cpu,
					    struct hlist_node *node))
{
	pthread_mutex_lock(&shim_lock);
	shim_cpuhp_teardown = teardown;
	pthread_mutex_unlock(&shim_lock);
	return 100;	/* a dynamic state number */
}

void cpuhp_remove_multi_state(enum cpuhp_state state)
{
	int i;

	pthread_mutex_lock(&shim_lock);
	for (i = 0; i < SHIM_CPUHP_INSTANCES; i++)
		if (shim_cpuhp_inst[i])
			shim_bug("cpuhp state removed with instance %d left", i);
	shim_cpuhp_teardown = NULL;
	pthread_mutex_unlock(&shim_lock);
}

int cpuhp_state_add_instance_nocalls(enum cpuhp_state state,
				     struct hlist_node *node)
{
	int i, ret = -ENOSPC;

	pthread_mutex_lock(&shim_lock);
	for (i = 0; i < SHIM_CPUHP_INSTANCES && ret; i++) {
		if (!shim_cpuhp_inst[i]) {
			shim_cpuhp_inst[i] = node;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&shim_lock);
	return ret;
}

int cpuhp_state_remove_instance_nocalls(enum cpuhp_state state,
					struct hlist_node *node)
{
	int i;

	pthread_mutex_lock(&shim_lock);
	for (i = 0; i < SHIM_CPUHP_INSTANCES; i++)
		if (shim_cpuhp_inst[i] == node)
			shim_cpuhp_inst[i] = NULL;
	pthread_mutex_unlock(&shim_lock);
	return 0;
}

int shim_cpu_offline(unsigned int cpu)
{
	struct hlist_node *inst[SHIM_CPUHP_INSTANCES];
	int i, n = 0;

	pthread_mutex_lock(&shim_lock);
	memcpy(inst, shim_cpuhp_inst, sizeof(inst));
	pthread_mutex_unlock(&shim_lock);
	for (i = 0; i < SHIM_CPUHP_INSTANCES; i++) {
		if (inst[i] && shim_cpuhp_teardown) {
			shim_cpuhp_teardown(cpu, inst[i]);
			n++;
		}
	}
	return n;
}

int register_shrinker(struct shrinker *s, const char *fmt, ...)
{
	s->registered = true;
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
	if (!s->registered)
		shim_bug("%s() of a shrinker never registered", __func__);
	s->registered = false;
}
