// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace shim runtime: the counting allocator behind kcalloc()/kfree(),
 * printk to stderr, and WARN_ON_ONCE() as an abort. Freed memory is
 * poisoned before it goes back to the C library, and the Nth allocation
 * can be made to fail, so the tests see use-after-free and every -ENOMEM
 * path.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define SHIM_POISON	0x6b
#define SHIM_MAGIC	0x5649444dUL

/*
 * In front of every block: its size, to poison it on free. 16 bytes, so
 * the block behind it keeps malloc's 16-byte alignment.
 */
struct shim_hdr {
	size_t size;
	unsigned long magic;
};

static_assert(sizeof(struct shim_hdr) == 16, "shim_hdr keeps alignment");

bool shim_quiet;
long shim_live;
long shim_total;
long shim_fail_at;

void shim_reset(void)
{
	shim_total = 0;
	shim_fail_at = 0;
}

void *shim_kcalloc(size_t n, size_t size)
{
	struct shim_hdr *h;

	if (size && n > (SIZE_MAX - sizeof(*h)) / size)
		return NULL;
	if (++shim_total == shim_fail_at)
		return NULL;
	h = calloc(1, sizeof(*h) + n * size);
	if (!h)
		return NULL;
	h->size = n * size;
	h->magic = SHIM_MAGIC;
	shim_live++;
	return h + 1;
}

void shim_kfree(const void *p)
{
	struct shim_hdr *h;

	if (!p)
		return;
	h = (struct shim_hdr *)p - 1;
	if (h->magic != SHIM_MAGIC) {
		fprintf(stderr, "shim: kfree of a block not from kcalloc\n");
		abort();
	}
	memset(h, SHIM_POISON, sizeof(*h) + h->size);
	shim_live--;
	free(h);
}

void shim_printk(const char *fmt, ...)
{
	va_list ap;

	if (shim_quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void shim_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "%s:%d: WARN_ON_ONCE(%s): a bug in the code under test\n",
		file, line, cond);
	abort();
}
