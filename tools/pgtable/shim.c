// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace side of tools/pgtable/shim: a counting page allocator that
 * poisons what it frees and can be told to fail, page lookup by address,
 * clflush counting, and workqueues that run when flushed.
 */
#include "shim/vtd_shim.h"

int shim_warnings;
__thread int shim_atomic_depth;
unsigned int shim_fail_alloc_nth;
void (*shim_alloc_hook)(void);
long shim_pages_live;
long shim_clflush_calls;

/* Every live page by address: an open hash of struct page pointers. */
#define SHIM_BUCKETS	4096
struct shim_node { struct page page; struct shim_node *next; };
static struct shim_node *shim_hash[SHIM_BUCKETS];
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long shim_allocs;

static unsigned int shim_bucket(const void *va)
{
	return ((uintptr_t)va >> PAGE_SHIFT) % SHIM_BUCKETS;
}

int shim_warn(const char *file, int line)
{
	__atomic_add_fetch(&shim_warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "WARNING at %s:%d\n", file, line);
	return 1;
}

void shim_might_sleep(bool cond, const char *file, int line)
{
	if (cond && shim_atomic_depth) {
		fprintf(stderr, "sleeping call in atomic context at %s:%d\n",
			file, line);
		abort();
	}
}

unsigned long __get_free_page(gfp_t gfp)
{
	struct shim_node *n;
	void *va;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (shim_alloc_hook)
		shim_alloc_hook();
	pthread_mutex_lock(&shim_lock);
	if (shim_fail_alloc_nth && ++shim_allocs % shim_fail_alloc_nth == 0) {
		pthread_mutex_unlock(&shim_lock);
		return 0;
	}
	pthread_mutex_unlock(&shim_lock);
	va = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	n = calloc(1, sizeof(*n));
	if (!va || !n) {
		fprintf(stderr, "shim: out of memory\n");
		abort();
	}
	/* Garbage unless asked to zero, as the kernel gives. */
	memset(va, (gfp & __GFP_ZERO) ? 0 : 0xa5, PAGE_SIZE);
	n->page.va = va;
	pthread_mutex_lock(&shim_lock);
	n->next = shim_hash[shim_bucket(va)];
	shim_hash[shim_bucket(va)] = n;
	shim_pages_live++;
	pthread_mutex_unlock(&shim_lock);
	return (unsigned long)va;
}

static struct shim_node **shim_find(const void *va)
{
	struct shim_node **p = &shim_hash[shim_bucket(va)];

	while (*p && (*p)->page.va != va)
		p = &(*p)->next;
	return p;
}

void free_page(unsigned long addr)
{
	struct shim_node **p, *n;

	pthread_mutex_lock(&shim_lock);
	p = shim_find((void *)addr);
	n = *p;
	if (!n) {
		fprintf(stderr, "shim: %s(%#lx): not a live page\n", __func__, addr);
		abort();
	}
	*p = n->next;
	shim_pages_live--;
	pthread_mutex_unlock(&shim_lock);
	memset((void *)addr, 0x6b, PAGE_SIZE);	/* poison, then ASan takes over */
	free((void *)addr);
	free(n);
}

struct page *virt_to_page(const void *va)
{
	struct shim_node *n;

	pthread_mutex_lock(&shim_lock);
	n = *shim_find((const void *)((uintptr_t)va & ~(PAGE_SIZE - 1)));
	pthread_mutex_unlock(&shim_lock);
	if (!n) {
		fprintf(stderr, "shim: %s(%p): not a live page\n", __func__, va);
		abort();
	}
	return &n->page;
}

/*
 * Flushed cache lines, while shim_flush_tracking: an open-addressed set of
 * line addresses (64-byte lines), emptied by shim_flush_reset().
 */
#define SHIM_LINES	(1U << 18)
static uintptr_t shim_lines[SHIM_LINES];
static unsigned int shim_nr_lines;
bool shim_flush_tracking;

static uintptr_t *shim_line_slot(uintptr_t line)
{
	unsigned int i = (unsigned int)(line * 0x9e3779b97f4a7c15ULL >> 46);

	while (shim_lines[i % SHIM_LINES] && shim_lines[i % SHIM_LINES] != line)
		i++;
	return &shim_lines[i % SHIM_LINES];
}

void shim_flush_reset(void)
{
	pthread_mutex_lock(&shim_lock);
	memset(shim_lines, 0, sizeof(shim_lines));
	shim_nr_lines = 0;
	pthread_mutex_unlock(&shim_lock);
}

bool shim_line_flushed(const void *va)
{
	bool ret;

	pthread_mutex_lock(&shim_lock);
	ret = *shim_line_slot((uintptr_t)va / 64 + 1) != 0;
	pthread_mutex_unlock(&shim_lock);
	return ret;
}

void clflush_cache_range(void *va, unsigned int size)
{
	uintptr_t line;

	/* Must stay inside one live page (tables never straddle pages). */
	if (((uintptr_t)va & (PAGE_SIZE - 1)) + size > PAGE_SIZE || !size) {
		fprintf(stderr, "shim: clflush %p + %u crosses a page\n", va, size);
		abort();
	}
	virt_to_page(va);
	__atomic_add_fetch(&shim_clflush_calls, 1, __ATOMIC_RELAXED);
	if (!shim_flush_tracking)
		return;
	pthread_mutex_lock(&shim_lock);
	for (line = (uintptr_t)va / 64; line <= ((uintptr_t)va + size - 1) / 64;
	     line++) {
		uintptr_t *slot = shim_line_slot(line + 1);

		if (!*slot && shim_nr_lines < SHIM_LINES / 2) {
			*slot = line + 1;
			shim_nr_lines++;
		}
	}
	pthread_mutex_unlock(&shim_lock);
}

void *memchr_inv(const void *p, int c, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != (unsigned char)c)
			return (void *)&s[i];
	return NULL;
}

void INIT_WORK(struct work_struct *w, void (*func)(struct work_struct *w))
{
	w->func = func;
	w->pending = 0;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max, ...)
{
	return calloc(1, sizeof(struct workqueue_struct));
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	free(wq);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *w)
{
	return !__atomic_exchange_n(&w->pending, 1, __ATOMIC_SEQ_CST);
}

bool flush_work(struct work_struct *w)
{
	if (!__atomic_exchange_n(&w->pending, 0, __ATOMIC_SEQ_CST))
		return false;
	w->func(w);
	return true;
}

bool cancel_work_sync(struct work_struct *w)
{
	return __atomic_exchange_n(&w->pending, 0, __ATOMIC_SEQ_CST);
}

int register_shrinker(struct shrinker *s, const char *fmt, ...)
{
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
}
