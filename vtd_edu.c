// SPDX-License-Identifier: GPL-2.0
/*
 * vtd_edu: a test driver for QEMU's edu device (PCI 1234:11e8) that does
 * real DMA through the vtd_remap module's domains, for the guest scenarios
 * (scenarios/edu-dma.sh, edu-fault.sh, isolation.sh, load-unload.sh).
 *
 * 1. What it does. Each edu device it binds gets a DMA domain of its own
 *    on the unit that translates it, and is attached to it: from then on
 *    every DMA the device makes goes through that domain's page table.
 *    Tests allocate pages, map them at IOVAs from the domain's allocator
 *    (under edu's 28-bit DMA mask), run edu's DMA engine and check the
 *    memory and the unit's fault records. Those tests do not use the DMA
 *    API. If the device is owned by vtd_remap's DMA-API shim instead
 *    (vtd_remap.ko own=<edu> loaded first), it is bound in "dma-api"
 *    mode: the shim's domain is used as the device's, and the api-*
 *    tests get every buffer from the DMA API, as a real driver does.
 *
 * 2. The device. edu has a 4 KiB buffer at device address 0x40000 and a
 *    DMA engine driven through BAR0 (source 0x80, destination 0x88,
 *    count 0x90, command 0x98; QEMU-NOTES.md). A transfer completes 100 ms
 *    of virtual time after the start; command bit 0 clears then. edu
 *    ignores DMA errors: a faulted transfer completes like a good one, so
 *    every test checks both the data and the fault record. A transfer
 *    whose device-side range leaves edu's buffer kills QEMU, so the
 *    device side is always the constant window below, never a variable.
 *
 * 3. Tests (debugfs vtd_edu/<pci name>/run; the last result in "result"):
 *    - roundtrip: RAM -> edu -> RAM between two buffers, each two pages
 *      that need not be physically contiguous, the window straddling the
 *      page boundary; data checked both ways, no fault. "high" takes every
 *      page above 4 GiB, which edu's 28-bit mask could never reach without
 *      translation: the proof that the unit translates.
 *    - fault-write, fault-read: a transfer through a mapping (which QEMU
 *      then caches in its IOTLB), the mapping removed, the same transfer
 *      again: it must fault (reason 5 or 6) with edu's source ID at that
 *      IOVA and must not touch memory, which also proves the unmap
 *      invalidated the IOTLB.
 *    - fault-ro: a device write into a read-only mapping faults (reason 5).
 *    - storm: transfers from IOVA 0 in a loop, for the fault-storm
 *      scenario (vtd_remap blocks the device).
 *    - isolation-write, isolation-read: edu X reaches for an IOVA mapped
 *      only in edu Y's domain: X faults, Y's memory stays as it was, and
 *      Y itself can use the IOVA.
 *    - window: with the domain deferred for the test, a stale transfer
 *      to a just-unmapped IOVA lands inside the window and faults after
 *      it (vtd_flush.c; scenarios/deferred-window.sh).
 *    DMA-API tests (dma-api mode; scenarios/dma-api.sh), each a round trip
 *    through two pages of the buffer (the CPU writes, edu reads; the CPU
 *    writes, edu writes back; the CPU reads, no fault), syncs as the API
 *    asks:
 *    - api-page: dma_map_page of 20 and 33 pages: 32 and 33 pages of
 *      IOVA taken; dma_need_sync() false.
 *    - api-sg: map_sg of 16 contiguous pages (one DMA segment, one map
 *      call, under caching mode one invalidation), of 16 scattered pages
 *      (one segment, one map call walking the table once for all the
 *      physical runs, under caching mode one invalidation for the whole
 *      list), of 16 sub-page entries (16 segments).
 *    - api-superpage: map_sg of a 2 MiB contiguous block: one segment, a
 *      2 MiB leaf (first after the load: needs a fresh domain).
 *    - api-coherent: dma_alloc_coherent (aligned to its size), with
 *      DMA_ATTR_NO_KERNEL_MAPPING and FORCE_CONTIGUOUS; dma_get_sgtable.
 *    - api-big: coherent buffers above MAX_ORDER: a vmap of separate
 *      pages, NO_KERNEL_MAPPING through get_sgtable, FORCE_CONTIGUOUS
 *      refused.
 *    - api-pages: dma_alloc_pages, dma_alloc_noncoherent.
 *    - api-noncontig: dma_alloc_noncontiguous + dma_vmap_noncontiguous.
 *    - api-resource: dma_map_resource of edu's BAR0: edu reads its own
 *      DMA registers through the unit.
 *    - api-mmap: dma_mmap_coherent into the process writing "run" (the
 *      debugfs file "mmap", which only that test may map), read back
 *      through the user mapping.
 *    Shadow-mode tests (vtd_remap own=<edu>@shadow; scenarios/dma-api.sh
 *    runs them in a second load):
 *    - shadow-page: map_single of two pages: the IOVA maps a shadow, not
 *      the buffer; dma_need_sync() true; round trip with syncs; a
 *      FROM_DEVICE write reaches the buffer only at unmap; the unmap
 *      issues no invalidation, and a stale write to the old address
 *      afterwards leaves the buffer as it is.
 *    - shadow-subpage: 512 bytes from the middle of a page: edu writes
 *      2 KiB around the shadow within its IOVA page: no fault, and none
 *      of the driver's neighbouring bytes changes; the 512 come back.
 *    - shadow-sg: map_sg of a 4 KiB and an 8 KiB entry (12 KiB in all,
 *      not above shadow_max: each its own shadow), data both ways with
 *      the sg syncs, SKIP_CPU_SYNC honoured; then of a 4 KiB and a 32 KiB
 *      entry (36 KiB, above shadow_max: the whole list zero-copy in one
 *      strict range, nothing copied, unmapped at unmap).
 *    - shadow-trim: trimming unmaps the pool's free chunks with a strict
 *      invalidation: a stale write to an old shadow address then faults.
 *    A word matches every test it names or prefixes ("fault" runs the
 *    three fault tests, "api" the DMA-API ones).
 *
 * 4. Locking. vtd_edu_list_lock protects the list of bound devices; a
 *    test that uses a second device holds it for the whole test, so that
 *    device cannot be unbound underneath. Each device's @lock runs one
 *    test at a time and protects its result and counters. Order:
 *    vtd_edu_list_lock, then the @lock of the device bound first, then
 *    that of the other.
 *
 * 5. Failure policy. A test that finds wrong data or a missing fault
 *    returns -EIO and says what it saw in the result. A transfer that does
 *    not complete in VTD_EDU_DMA_TIMEOUT_MS marks the device wedged: its
 *    mappings are still removed (so a late transfer faults instead of
 *    landing anywhere), its tests refuse to run, and remove waits for the
 *    engine and turns bus mastering off before the device goes back to
 *    pass-through.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vtd_dma.h"
#include "vtd_shadow.h"
#include "vtd_unit.h"

/* The device, QEMU hw/misc/edu.c as documented in QEMU-NOTES.md. */
#define VTD_EDU_VENDOR		0x1234
#define VTD_EDU_DEVICE		0x11e8
#define VTD_EDU_REG_ID		0x00	/* 32: 0xMMmm00ed, version MM.mm */
#define VTD_EDU_REG_DMA_SRC	0x80	/* 64 */
#define VTD_EDU_REG_DMA_DST	0x88	/* 64 */
#define VTD_EDU_REG_DMA_CNT	0x90	/* 64 */
#define VTD_EDU_REG_DMA_CMD	0x98	/* 64 */
#define VTD_EDU_CMD_RUN		BIT_ULL(0)	/* start; clears when done */
#define VTD_EDU_CMD_TO_RAM	BIT_ULL(1)	/* edu -> RAM; else RAM -> edu */
#define VTD_EDU_ID_MAGIC	0xed
/* edu's buffer as the DMA engine addresses it: [0x40000, 0x41000). */
#define VTD_EDU_DEV_BUF		0x40000
#define VTD_EDU_DEV_BUF_SIZE	4096
/* edu masks DMA addresses to its dma_mask property, 28 bits by default. */
#define VTD_EDU_DMA_BITS	28

/*
 * Every transfer moves VTD_EDU_XFER bytes between edu's buffer at
 * VTD_EDU_DEV_BUF and a RAM buffer of two pages at offset VTD_EDU_XFER_OFF,
 * so it crosses the page boundary and needs two page-table entries. Half
 * of edu's buffer keeps the device-side range strictly inside it under
 * any version of QEMU's range check, which has had off-by-one bugs at the
 * upper end.
 */
#define VTD_EDU_BUF_PAGES	2
#define VTD_EDU_BUF_SIZE	(VTD_EDU_BUF_PAGES * PAGE_SIZE)
#define VTD_EDU_XFER		2048
#define VTD_EDU_XFER_OFF	(PAGE_SIZE - VTD_EDU_XFER / 2)
static_assert(VTD_EDU_XFER < VTD_EDU_DEV_BUF_SIZE);
static_assert(VTD_EDU_XFER_OFF + VTD_EDU_XFER <= VTD_EDU_BUF_SIZE);
static_assert(PAGE_SIZE == VTD_PAGE_SIZE);

/*
 * A transfer takes 100 ms of QEMU's virtual clock, which under TCG runs
 * with the host's; 10 s leaves room for a very busy host and still ends a
 * test on a dead device promptly. Polled every 5 ms (about 20 reads per
 * transfer).
 */
#define VTD_EDU_DMA_TIMEOUT_MS	10000
#define VTD_EDU_DMA_POLL_MS	5

/*
 * Pages taken (and kept aside) while looking for one above 4 GiB. With
 * memory above 4 GiB the page allocator serves GFP_KERNEL from ZONE_NORMAL,
 * which on x86-64 lies entirely above 4 GiB, so the first page normally
 * does; the bound only ends the search on a guest without such memory.
 */
#define VTD_EDU_HIGH_TRIES	64

/* VT-d fault reasons (VT-d 7.1.3) a DMA to an unusable IOVA raises. */
#define VTD_EDU_FR_WRITE	5
#define VTD_EDU_FR_READ		6

#define VTD_EDU_RESULT_SIZE	2048

/**
 * struct vtd_edu - one bound edu device
 * @node:	on vtd_edu_list (protected by vtd_edu_list_lock).
 * @index:	bind order; gives the lock order between two devices.
 * @pdev:	the device.
 * @regs:	BAR0.
 * @unit:	the unit translating @pdev.
 * @dom:	@pdev's own DMA domain; with @api, the shim's domain for it.
 * @api:	bound through the DMA-API shim (vtd_remap own=): the api-*
 *		tests use the DMA API, and @dom is not ours to free.
 * @sid:	@pdev's source ID (bus << 8 | devfn).
 * @lock:	one test at a time; protects the fields below.
 * @seed:	the last pattern seed handed out.
 * @wedged:	a transfer did not complete: no more DMA.
 * @nr_runs:	tests run.
 * @nr_failed:	tests that failed.
 * @result:	what the last run found, one line per test.
 * @mmap_owner:	the task of the api-mmap test while it maps the mmap file
 *		(no one else may map it).
 * @mmap_cpu:	the coherent buffer the mmap file maps: CPU address,
 * @mmap_dma:	DMA address
 * @mmap_size:	and size.
 * @debugfs:	vtd_edu/<pci name>/.
 */
struct vtd_edu {
	struct list_head node;
	unsigned int index;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct vtd_unit *unit;
	struct vtd_domain *dom;
	bool api;
	u16 sid;

	struct mutex lock;	/* one test at a time; the fields below */
	u32 seed;
	bool wedged;
	unsigned long nr_runs;
	unsigned long nr_failed;
	char result[VTD_EDU_RESULT_SIZE];
	struct task_struct *mmap_owner;
	void *mmap_cpu;
	dma_addr_t mmap_dma;
	size_t mmap_size;

	struct dentry *debugfs;
};

/**
 * struct vtd_edu_buf - a test buffer: pages, and where a domain maps them
 * @pages:	the pages, not necessarily contiguous.
 * @cpu:	if set, the buffer's CPU address (@pages unused): a DMA-API
 *		buffer's, with @iova its DMA address and @dom NULL.
 * @dom:	the domain holding @iova, or NULL.
 * @iova:	the buffer's IOVA in @dom (VTD_EDU_BUF_SIZE, naturally aligned).
 * @mapped:	@pages are mapped at @iova.
 */
struct vtd_edu_buf {
	struct page *pages[VTD_EDU_BUF_PAGES];
	u8 *cpu;
	struct vtd_domain *dom;
	u64 iova;
	bool mapped;
};

static DEFINE_MUTEX(vtd_edu_list_lock);	/* vtd_edu_list, vtd_edu_next_index */
static LIST_HEAD(vtd_edu_list);
static unsigned int vtd_edu_next_index;
static struct dentry *vtd_edu_debugfs_root;

/* Patterns. */

/* Byte @i of the pattern @seed: an integer hash of (@seed, @i / 4). */
static u8 vtd_edu_pattern_byte(u32 seed, size_t i)
{
	u32 x = seed ^ ((u32)(i / 4) * 0x9e3779b9);

	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x >> (8 * (i % 4));
}

static u8 *vtd_edu_buf_byte(const struct vtd_edu_buf *buf, size_t i)
{
	u8 *page;

	if (buf->cpu)
		return buf->cpu + i;
	page = page_address(buf->pages[i / PAGE_SIZE]);

	return page + i % PAGE_SIZE;
}

static bool vtd_edu_in_window(size_t i)
{
	return i >= VTD_EDU_XFER_OFF && i < VTD_EDU_XFER_OFF + VTD_EDU_XFER;
}

static void vtd_edu_buf_fill(struct vtd_edu_buf *buf, u32 seed)
{
	size_t i;

	for (i = 0; i < VTD_EDU_BUF_SIZE; i++)
		*vtd_edu_buf_byte(buf, i) = vtd_edu_pattern_byte(seed, i);
}

/*
 * Bytes of @buf that differ from what it should hold: pattern @in_seed in
 * the transfer window, @out_seed elsewhere. *@first gets the first one.
 */
static size_t vtd_edu_buf_diff(const struct vtd_edu_buf *buf, u32 in_seed,
			       u32 out_seed, size_t *first)
{
	size_t i, n = 0;

	for (i = 0; i < VTD_EDU_BUF_SIZE; i++) {
		u32 seed = vtd_edu_in_window(i) ? in_seed : out_seed;

		if (*vtd_edu_buf_byte(buf, i) == vtd_edu_pattern_byte(seed, i))
			continue;
		if (!n++)
			*first = i;
	}
	return n;
}

/* Bytes of @buf's transfer window that are pattern @seed, or zero. */
static size_t vtd_edu_window_count(const struct vtd_edu_buf *buf, u32 seed,
				   bool zero)
{
	size_t i, n = 0;

	for (i = VTD_EDU_XFER_OFF; i < VTD_EDU_XFER_OFF + VTD_EDU_XFER; i++) {
		u8 want = zero ? 0 : vtd_edu_pattern_byte(seed, i);

		n += *vtd_edu_buf_byte(buf, i) == want;
	}
	return n;
}

/**
 * struct vtd_edu_ctx - one test being run
 * @edu:	the device under test; its result gets the report.
 * @peer:	a second device, for the isolation tests (else NULL).
 * @test:	the test's name.
 * @high:	take every buffer page from above 4 GiB.
 */
struct vtd_edu_ctx {
	struct vtd_edu *edu;
	struct vtd_edu *peer;
	const char *test;
	bool high;
};

/* Results. */

/* Add "PASS|FAIL <test>: <message>" to the result; returns @ret. */
static __printf(3, 4) int vtd_edu_report(struct vtd_edu_ctx *ctx, int ret,
					 const char *fmt, ...)
{
	struct vtd_edu *edu = ctx->edu;
	size_t len = strlen(edu->result);
	char line[400];
	va_list args;

	lockdep_assert_held(&edu->lock);
	va_start(args, fmt);
	vscnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	scnprintf(edu->result + len, sizeof(edu->result) - len, "%s %s: %s\n",
		  ret ? "FAIL" : "PASS", ctx->test, line);
	if (ret)
		pci_err(edu->pdev, "FAIL %s: %s\n", ctx->test, line);
	else
		pci_info(edu->pdev, "PASS %s: %s\n", ctx->test, line);
	return ret;
}

static u32 vtd_edu_next_seed(struct vtd_edu_ctx *ctx)
{
	return ++ctx->edu->seed;
}

/* Buffers. */

/*
 * A page for a test buffer; with @high one whose physical address is at
 * or above 4 GiB, or NULL if none turns up in VTD_EDU_HIGH_TRIES pages.
 */
static struct page *vtd_edu_page_alloc(bool high)
{
	struct page *page, *tmp, *found = NULL;
	unsigned int i;
	LIST_HEAD(low);

	if (!high)
		return alloc_page(GFP_KERNEL);
	for (i = 0; i < VTD_EDU_HIGH_TRIES && !found; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page)
			break;
		if (page_to_phys(page) >= SZ_4G)
			found = page;
		else
			list_add(&page->lru, &low);
	}
	list_for_each_entry_safe(page, tmp, &low, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	return found;
}

/* Allocate @buf's pages and fill them with the pattern @seed. */
static int vtd_edu_buf_alloc(struct vtd_edu_ctx *ctx, struct vtd_edu_buf *buf,
			     u32 seed)
{
	unsigned int i;

	for (i = 0; i < VTD_EDU_BUF_PAGES; i++) {
		buf->pages[i] = vtd_edu_page_alloc(ctx->high);
		if (buf->pages[i])
			continue;
		if (!ctx->high)
			return vtd_edu_report(ctx, -ENOMEM,
					      "out of memory for a buffer");
		return vtd_edu_report(ctx, -ERANGE,
				      "no free page above 4 GiB (give the guest more than 4 GiB)");
	}
	vtd_edu_buf_fill(buf, seed);
	return 0;
}

/* Remove @buf's mapping from its domain; the IOTLB is clean on return. */
static int vtd_edu_buf_unmap(struct vtd_edu_ctx *ctx, struct vtd_edu_buf *buf)
{
	u64 done;

	if (!buf->mapped)
		return 0;
	buf->mapped = false;
	done = vtd_domain_unmap(buf->dom, buf->iova, VTD_EDU_BUF_SIZE,
				GFP_KERNEL);
	if (done != VTD_EDU_BUF_SIZE)
		return vtd_edu_report(ctx, -EIO,
				      "unmap of %lu bytes at IOVA %#llx in domain %u removed %llu",
				      VTD_EDU_BUF_SIZE, buf->iova,
				      buf->dom->did, done);
	return 0;
}

/*
 * Unmap @buf, give its IOVA back and free its pages. Returns @ret, or the
 * unmap's error if @ret is 0.
 */
static int vtd_edu_buf_put(struct vtd_edu_ctx *ctx, struct vtd_edu_buf *buf,
			   int ret)
{
	unsigned int i;
	int err = 0;

	if (buf->dom) {
		err = vtd_edu_buf_unmap(ctx, buf);
		vtd_domain_free_iova(buf->dom, buf->iova, VTD_EDU_BUF_SIZE);
		buf->dom = NULL;
	}
	for (i = 0; i < VTD_EDU_BUF_PAGES; i++) {
		if (buf->pages[i])
			__free_page(buf->pages[i]);
		buf->pages[i] = NULL;
	}
	return ret ?: err;
}

/* Check that @dom translates both pages of @buf to where they are. */
static int vtd_edu_buf_lookup(struct vtd_edu_ctx *ctx,
			      const struct vtd_edu_buf *buf)
{
	phys_addr_t got, want;
	unsigned int i;
	u64 iova;
	int ret;

	for (i = 0; i < VTD_EDU_BUF_PAGES; i++) {
		/* An odd offset: the page offset must come through too. */
		iova = buf->iova + i * PAGE_SIZE + 8;
		want = page_to_phys(buf->pages[i]) + 8;
		got = 0;
		ret = vtd_domain_lookup(buf->dom, iova, &got);
		if (ret || got != want)
			return vtd_edu_report(ctx, -EIO,
					      "domain %u: lookup of IOVA %#llx gives %pa (%d), mapped to %pa",
					      buf->dom->did, iova, &got, ret,
					      &want);
	}
	return 0;
}

/* Map @buf in @dom at a fresh IOVA under edu's DMA mask. */
static int vtd_edu_buf_map(struct vtd_edu_ctx *ctx, struct vtd_edu_buf *buf,
			   struct vtd_domain *dom, int prot)
{
	unsigned int i;
	u64 iova;
	int ret;

	ret = vtd_domain_alloc_iova(dom, VTD_EDU_BUF_SIZE,
				    DMA_BIT_MASK(VTD_EDU_DMA_BITS), GFP_KERNEL,
				    &iova);
	if (ret)
		return vtd_edu_report(ctx, ret,
				      "no IOVA for %lu bytes under 2^%u in domain %u (%d)",
				      VTD_EDU_BUF_SIZE, VTD_EDU_DMA_BITS,
				      dom->did, ret);
	buf->dom = dom;
	buf->iova = iova;
	if (iova + VTD_EDU_BUF_SIZE - 1 > DMA_BIT_MASK(VTD_EDU_DMA_BITS) ||
	    !IS_ALIGNED(iova, VTD_EDU_BUF_SIZE))
		return vtd_edu_report(ctx, -EIO,
				      "IOVA %#llx for %lu bytes is not aligned under 2^%u",
				      iova, VTD_EDU_BUF_SIZE, VTD_EDU_DMA_BITS);
	for (i = 0; i < VTD_EDU_BUF_PAGES; i++) {
		ret = vtd_domain_map(dom, iova + i * PAGE_SIZE,
				     page_to_phys(buf->pages[i]), PAGE_SIZE,
				     prot, GFP_KERNEL);
		if (!ret)
			continue;
		/* Undo the pages mapped so far. */
		if (i)
			vtd_domain_unmap(dom, iova, i * PAGE_SIZE, GFP_KERNEL);
		return vtd_edu_report(ctx, ret,
				      "map at IOVA %#llx in domain %u failed (%d)",
				      iova + i * PAGE_SIZE, dom->did, ret);
	}
	buf->mapped = true;
	return vtd_edu_buf_lookup(ctx, buf);
}

/* A buffer of pattern @seed mapped in @dom with @prot. */
static int vtd_edu_buf_get(struct vtd_edu_ctx *ctx, struct vtd_edu_buf *buf,
			   u32 seed, struct vtd_domain *dom, int prot)
{
	int ret = vtd_edu_buf_alloc(ctx, buf, seed);

	return ret ?: vtd_edu_buf_map(ctx, buf, dom, prot);
}

static bool vtd_edu_buf_high(const struct vtd_edu_buf *buf)
{
	unsigned int i;

	for (i = 0; i < VTD_EDU_BUF_PAGES; i++)
		if (page_to_phys(buf->pages[i]) < SZ_4G)
			return false;
	return true;
}

/* The RAM-side DMA address of @buf's transfer window. */
static u64 vtd_edu_window(const struct vtd_edu_buf *buf)
{
	return buf->iova + VTD_EDU_XFER_OFF;
}

/* The DMA engine. */

static bool vtd_edu_dma_busy(struct vtd_edu *edu)
{
	return readq(edu->regs + VTD_EDU_REG_DMA_CMD) & VTD_EDU_CMD_RUN;
}

/* Wait up to VTD_EDU_DMA_TIMEOUT_MS for the engine to be idle. */
static bool vtd_edu_dma_wait(struct vtd_edu *edu)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(VTD_EDU_DMA_TIMEOUT_MS);

	while (vtd_edu_dma_busy(edu)) {
		if (time_after(jiffies, timeout))
			return !vtd_edu_dma_busy(edu);
		msleep(VTD_EDU_DMA_POLL_MS);
	}
	return true;
}

/*
 * One transfer by @dev (the device under test or its peer) of
 * VTD_EDU_XFER bytes between its buffer and the RAM-side DMA address
 * @addr: RAM -> edu, or edu -> RAM with @to_ram. Returns when it is done;
 * says nothing about whether it faulted (edu does not know).
 */
static int vtd_edu_dma(struct vtd_edu_ctx *ctx, struct vtd_edu *dev,
		       bool to_ram, u64 addr)
{
	u64 cmd = VTD_EDU_CMD_RUN | (to_ram ? VTD_EDU_CMD_TO_RAM : 0);
	const char *dir = to_ram ? "edu->RAM" : "RAM->edu";

	lockdep_assert_held(&dev->lock);
	if (dev->wedged)
		return vtd_edu_report(ctx, -EIO,
				      "%s: an earlier transfer never completed; no more DMA",
				      pci_name(dev->pdev));
	if (vtd_edu_dma_busy(dev)) {
		dev->wedged = true;
		return vtd_edu_report(ctx, -EBUSY,
				      "%s: DMA engine busy before a transfer",
				      pci_name(dev->pdev));
	}
	writeq(to_ram ? VTD_EDU_DEV_BUF : addr,
	       dev->regs + VTD_EDU_REG_DMA_SRC);
	writeq(to_ram ? addr : VTD_EDU_DEV_BUF,
	       dev->regs + VTD_EDU_REG_DMA_DST);
	writeq(VTD_EDU_XFER, dev->regs + VTD_EDU_REG_DMA_CNT);
	/* writeq() orders the buffer's stores before the start. */
	writeq(cmd, dev->regs + VTD_EDU_REG_DMA_CMD);
	if (!vtd_edu_dma_wait(dev)) {
		dev->wedged = true;
		return vtd_edu_report(ctx, -ETIMEDOUT,
				      "%s: %s transfer at %#llx not done after %u ms",
				      pci_name(dev->pdev), dir, addr,
				      VTD_EDU_DMA_TIMEOUT_MS);
	}
	/* What the device wrote is read only after it said it was done. */
	dma_rmb();
	return 0;
}

/* Faults. */

/*
 * Look for the fault that @dev's transfer at @addr should have raised
 * since fault number @seq: from @dev's source ID, at @addr's page, a read
 * or a write as given, reason 6 or 5.
 */
static int vtd_edu_expect_fault(struct vtd_edu_ctx *ctx, struct vtd_edu *dev,
				u64 seq, u64 addr, bool read,
				struct vtd_fault *f)
{
	u8 want = read ? VTD_EDU_FR_READ : VTD_EDU_FR_WRITE;

	vtd_unit_poll_faults(dev->unit);
	if (!vtd_unit_find_fault(dev->unit, dev->sid, addr, seq, f))
		return vtd_edu_report(ctx, -EIO,
				      "no fault recorded from source %#06x at IOVA %#llx (unit's faults %llu -> %llu)",
				      dev->sid, addr, seq,
				      vtd_unit_fault_seq(dev->unit));
	if (f->reason != want || f->read != read)
		return vtd_edu_report(ctx, -EIO,
				      "fault #%llu at %#llx is a %s, reason %u (%s); expected a %s, reason %u",
				      f->seq, f->addr,
				      f->read ? "read" : "write", f->reason,
				      vtd_fault_reason(f->reason),
				      read ? "read" : "write", want);
	return 0;
}

/* No fault from @dev at either page of @buf since fault number @seq. */
static int vtd_edu_expect_no_fault(struct vtd_edu_ctx *ctx,
				   struct vtd_edu *dev, u64 seq,
				   const struct vtd_edu_buf *buf)
{
	struct vtd_fault f;
	unsigned int i;

	vtd_unit_poll_faults(dev->unit);
	for (i = 0; i < VTD_EDU_BUF_PAGES; i++) {
		if (!vtd_unit_find_fault(dev->unit, dev->sid,
					 buf->iova + i * PAGE_SIZE, seq, &f))
			continue;
		return vtd_edu_report(ctx, -EIO,
				      "unexpected fault #%llu from source %#06x at IOVA %#llx: reason %u (%s)",
				      f.seq, f.sid, f.addr, f.reason,
				      vtd_fault_reason(f.reason));
	}
	return 0;
}

/* A transfer that must work: no fault at @buf's pages afterwards. */
static int vtd_edu_dma_ok(struct vtd_edu_ctx *ctx, struct vtd_edu *dev,
			  bool to_ram, const struct vtd_edu_buf *buf)
{
	u64 seq = vtd_unit_fault_seq(dev->unit);
	int ret = vtd_edu_dma(ctx, dev, to_ram, vtd_edu_window(buf));

	return ret ?: vtd_edu_expect_no_fault(ctx, dev, seq, buf);
}

/* A transfer that must fault at @addr, with the right reason. */
static int vtd_edu_dma_fault(struct vtd_edu_ctx *ctx, bool to_ram, u64 addr,
			     struct vtd_fault *f)
{
	struct vtd_edu *edu = ctx->edu;
	u64 seq = vtd_unit_fault_seq(edu->unit);
	int ret = vtd_edu_dma(ctx, edu, to_ram, addr);

	return ret ?: vtd_edu_expect_fault(ctx, edu, seq, addr, !to_ram, f);
}

/* Fail unless @buf holds pattern @in_seed in its window, @out_seed elsewhere. */
static int vtd_edu_expect_data(struct vtd_edu_ctx *ctx, const char *what,
			       const struct vtd_edu_buf *buf, u32 in_seed,
			       u32 out_seed)
{
	size_t first = 0, bad = vtd_edu_buf_diff(buf, in_seed, out_seed, &first);
	bool in = vtd_edu_in_window(first);

	if (!bad)
		return 0;
	return vtd_edu_report(ctx, -EIO,
			      "%s: %zu of %lu bytes wrong, first at offset %zu (%s the transfer window): %#04x, expected %#04x",
			      what, bad, VTD_EDU_BUF_SIZE, first,
			      in ? "in" : "outside",
			      *vtd_edu_buf_byte(buf, first),
			      vtd_edu_pattern_byte(in ? in_seed : out_seed,
						   first));
}

/* Load the device under test's buffer with pattern @seed. */
static int vtd_edu_load(struct vtd_edu_ctx *ctx, u32 seed)
{
	struct vtd_edu_buf c = {};
	int ret;

	ret = vtd_edu_buf_get(ctx, &c, seed, ctx->edu->dom, VTD_PGT_READ);
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, false, &c);
	return vtd_edu_buf_put(ctx, &c, ret);
}

/*
 * After a read that should have faulted, fetch edu's buffer into a fresh
 * buffer and fail if it holds pattern @secret (what the read would have
 * fetched had it gone through). *@what says what edu holds instead:
 * QEMU reads an address that does not translate as zeros.
 */
static int vtd_edu_expect_no_leak(struct vtd_edu_ctx *ctx, u32 secret,
				  u32 before, const char **what)
{
	struct vtd_edu_buf b = {};
	size_t leaked;
	int ret;

	ret = vtd_edu_buf_get(ctx, &b, vtd_edu_next_seed(ctx), ctx->edu->dom,
			      VTD_PGT_READ | VTD_PGT_WRITE);
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, true, &b);
	if (ret)
		return vtd_edu_buf_put(ctx, &b, ret);
	/* Unrelated bytes agree with a pattern one time in 256. */
	leaked = vtd_edu_window_count(&b, secret, false);
	if (leaked > VTD_EDU_XFER / 16)
		ret = vtd_edu_report(ctx, -EIO,
				     "%zu of %u bytes edu read match the memory it must not reach",
				     leaked, VTD_EDU_XFER);
	else if (vtd_edu_window_count(&b, 0, true) == VTD_EDU_XFER)
		*what = "edu read zeros";
	else if (vtd_edu_window_count(&b, before, false) == VTD_EDU_XFER)
		*what = "edu's buffer unchanged";
	else
		*what = "edu read other data, not the secret";
	return vtd_edu_buf_put(ctx, &b, ret);
}

/* Tests. */

/*
 * roundtrip: RAM -> edu from buffer a (mapped read-only), edu -> RAM into
 * buffer b; b's window must then hold a's pattern and nothing else may
 * change.
 */
static int vtd_edu_test_roundtrip(struct vtd_edu_ctx *ctx)
{
	u32 seed_a = vtd_edu_next_seed(ctx), seed_b = vtd_edu_next_seed(ctx);
	struct vtd_domain *dom = ctx->edu->dom;
	struct vtd_edu_buf a = {}, b = {};
	ktime_t t0 = ktime_get(), t1, t2;
	phys_addr_t pa[2], pb[2];
	int ret;

	ret = vtd_edu_buf_get(ctx, &a, seed_a, dom, VTD_PGT_READ);
	if (!ret)
		ret = vtd_edu_buf_get(ctx, &b, seed_b, dom,
				      VTD_PGT_READ | VTD_PGT_WRITE);
	t1 = ktime_get();
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, false, &a);
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, true, &b);
	t2 = ktime_get();
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "source buffer", &a, seed_a,
					  seed_a);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "destination buffer", &b, seed_a,
					  seed_b);
	if (!ret) {
		pa[0] = page_to_phys(a.pages[0]);
		pa[1] = page_to_phys(a.pages[1]);
		pb[0] = page_to_phys(b.pages[0]);
		pb[1] = page_to_phys(b.pages[1]);
		vtd_edu_report(ctx, 0,
			       "%u bytes RAM->edu->RAM in domain %u: IOVA %#llx (phys %pa %pa) -> IOVA %#llx (phys %pa %pa); pages above 4 GiB: %s; map %lld ms, DMA %lld ms, check %lld ms",
			       VTD_EDU_XFER, dom->did, vtd_edu_window(&a),
			       &pa[0], &pa[1], vtd_edu_window(&b), &pb[0],
			       &pb[1], vtd_edu_buf_high(&a) &&
			       vtd_edu_buf_high(&b) ? "yes" : "no",
			       ktime_ms_delta(t1, t0), ktime_ms_delta(t2, t1),
			       ktime_ms_delta(ktime_get(), t2));
	}
	ret = vtd_edu_buf_put(ctx, &a, ret);
	return vtd_edu_buf_put(ctx, &b, ret);
}

/*
 * fault-write: edu -> RAM into a mapped buffer (QEMU caches the
 * translation), the buffer refilled and unmapped, the same transfer again:
 * a write fault at the old IOVA, and the buffer keeps its new contents.
 */
static int vtd_edu_test_fault_write(struct vtd_edu_ctx *ctx)
{
	u32 seed_c = vtd_edu_next_seed(ctx), seed_a = vtd_edu_next_seed(ctx);
	u32 seed_a2 = vtd_edu_next_seed(ctx);
	struct vtd_domain *dom = ctx->edu->dom;
	struct vtd_edu_buf a = {};
	struct vtd_fault f;
	int ret;

	ret = vtd_edu_load(ctx, seed_c);
	if (!ret)
		ret = vtd_edu_buf_get(ctx, &a, seed_a, dom,
				      VTD_PGT_READ | VTD_PGT_WRITE);
	/* The transfer works while the mapping is there... */
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, true, &a);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "buffer while mapped", &a,
					  seed_c, seed_a);
	if (!ret) {
		vtd_edu_buf_fill(&a, seed_a2);
		ret = vtd_edu_buf_unmap(ctx, &a);
	}
	/* ...and faults once it is gone, though QEMU's IOTLB had it. */
	if (!ret)
		ret = vtd_edu_dma_fault(ctx, true, vtd_edu_window(&a), &f);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "buffer after unmap", &a,
					  seed_a2, seed_a2);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "edu->RAM to unmapped IOVA %#llx in domain %u: fault #%llu from %#06x, reason %u (%s); memory untouched",
			       vtd_edu_window(&a), dom->did, f.seq, f.sid,
			       f.reason, vtd_fault_reason(f.reason));
	return vtd_edu_buf_put(ctx, &a, ret);
}

/*
 * fault-read: RAM -> edu from a mapped buffer (QEMU caches the
 * translation), the buffer refilled with a secret and unmapped, the same
 * transfer again: a read fault, and edu must not have the secret.
 */
static int vtd_edu_test_fault_read(struct vtd_edu_ctx *ctx)
{
	u32 seed_a = vtd_edu_next_seed(ctx), seed_a2 = vtd_edu_next_seed(ctx);
	struct vtd_domain *dom = ctx->edu->dom;
	struct vtd_edu_buf a = {};
	const char *what = "";
	struct vtd_fault f;
	int ret;

	ret = vtd_edu_buf_get(ctx, &a, seed_a, dom, VTD_PGT_READ);
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, false, &a);
	if (!ret) {
		vtd_edu_buf_fill(&a, seed_a2);
		ret = vtd_edu_buf_unmap(ctx, &a);
	}
	if (!ret)
		ret = vtd_edu_dma_fault(ctx, false, vtd_edu_window(&a), &f);
	if (!ret)
		ret = vtd_edu_expect_no_leak(ctx, seed_a2, seed_a, &what);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "RAM->edu from unmapped IOVA %#llx in domain %u: fault #%llu from %#06x, reason %u (%s); %s",
			       vtd_edu_window(&a), dom->did, f.seq, f.sid,
			       f.reason, vtd_fault_reason(f.reason), what);
	return vtd_edu_buf_put(ctx, &a, ret);
}

/* fault-ro: edu -> RAM into a read-only mapping faults, memory untouched. */
static int vtd_edu_test_fault_ro(struct vtd_edu_ctx *ctx)
{
	u32 seed_c = vtd_edu_next_seed(ctx), seed_a = vtd_edu_next_seed(ctx);
	struct vtd_domain *dom = ctx->edu->dom;
	struct vtd_edu_buf a = {};
	struct vtd_fault f;
	int ret;

	ret = vtd_edu_load(ctx, seed_c);
	if (!ret)
		ret = vtd_edu_buf_get(ctx, &a, seed_a, dom, VTD_PGT_READ);
	if (!ret)
		ret = vtd_edu_dma_fault(ctx, true, vtd_edu_window(&a), &f);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "read-only buffer", &a, seed_a,
					  seed_a);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "edu->RAM to read-only IOVA %#llx in domain %u: fault #%llu from %#06x, reason %u (%s); memory untouched",
			       vtd_edu_window(&a), dom->did, f.seq, f.sid,
			       f.reason, vtd_fault_reason(f.reason));
	return vtd_edu_buf_put(ctx, &a, ret);
}

/*
 * window: the deferred unmap's window, on QEMU's real IOTLB. edu -> RAM
 * into a mapped buffer (QEMU caches the translation); edu's domain made
 * deferred (vtd_remap's flush_window_ms), the buffer refilled and given
 * back with vtd_domain_unmap_free(); the same transfer at once must still
 * land (the stale translation, inside the window), and once the queue has
 * been flushed the same transfer must fault and leave memory alone. The
 * buffer's pages stay ours until the domain is strict again (which
 * flushes). A transfer translates when it completes, 100 ms after its
 * start: the window must be far above that (scenarios/deferred-window.sh
 * uses 2000 ms).
 */
static int vtd_edu_window_wait(struct vtd_domain *dom, unsigned int ms,
			       struct vtd_flush_stats *st)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	do {
		msleep(VTD_EDU_DMA_POLL_MS);
		vtd_flush_get_stats(dom, st);
	} while (!st->released && time_before(jiffies, end));
	return st->released ? 0 : -ETIMEDOUT;
}

static int vtd_edu_test_window(struct vtd_edu_ctx *ctx)
{
	u32 seed_c = vtd_edu_next_seed(ctx), seed_a = vtd_edu_next_seed(ctx);
	u32 seed_a2 = vtd_edu_next_seed(ctx), seed_a3 = vtd_edu_next_seed(ctx);
	struct vtd_domain *dom = ctx->edu->dom;
	s64 land_ms = 0, flush_ms = 0, fault_ms = 0;
	struct vtd_edu_buf a = {};
	struct vtd_flush_stats st = {};
	unsigned int window = 0;
	struct vtd_fault f = {};
	u64 seq;
	ktime_t t0;
	int ret;

	ret = vtd_edu_load(ctx, seed_c);
	if (!ret)
		ret = vtd_edu_buf_get(ctx, &a, seed_a, dom,
				      VTD_PGT_READ | VTD_PGT_WRITE);
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, ctx->edu, true, &a);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "buffer while mapped", &a,
					  seed_c, seed_a);
	if (ret)
		return vtd_edu_buf_put(ctx, &a, ret);
	ret = vtd_flush_set_mode(dom, VTD_UNMAP_DEFERRED, NULL);
	if (ret)
		return vtd_edu_buf_put(ctx, &a,
				       vtd_edu_report(ctx, ret,
						      "cannot make domain %u deferred (%d)",
						      dom->did, ret));
	window = dom->flush.cfg.window_ms;
	vtd_edu_buf_fill(&a, seed_a2);
	t0 = ktime_get();
	ret = vtd_domain_unmap_free(dom, a.iova, VTD_EDU_BUF_SIZE, GFP_KERNEL);
	/* The range is the queue's now; the pages stay ours. */
	a.mapped = false;
	a.dom = NULL;
	seq = vtd_unit_fault_seq(ctx->edu->unit);
	if (!ret)
		ret = vtd_edu_dma(ctx, ctx->edu, true, vtd_edu_window(&a));
	land_ms = ktime_ms_delta(ktime_get(), t0);
	if (!ret)
		ret = vtd_edu_expect_no_fault(ctx, ctx->edu, seq, &a);
	if (!ret && land_ms >= window)
		ret = vtd_edu_report(ctx, -EIO,
				     "the transfer took until %lld ms, not inside the %u ms window: inconclusive",
				     land_ms, window);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "buffer unmapped, inside the window",
					  &a, seed_c, seed_a2);
	if (!ret) {
		ret = vtd_edu_window_wait(dom, 3 * window + 1000, &st);
		flush_ms = ktime_ms_delta(ktime_get(), t0);
		if (ret)
			vtd_edu_report(ctx, ret,
				       "queue not flushed %lld ms after the unmap (window %u ms)",
				       flush_ms, window);
	}
	if (!ret) {
		vtd_edu_buf_fill(&a, seed_a3);
		ret = vtd_edu_dma_fault(ctx, true, vtd_edu_window(&a), &f);
		fault_ms = ktime_ms_delta(ktime_get(), t0);
	}
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "buffer after the window", &a,
					  seed_a3, seed_a3);
	/* Strict again: flushes whatever a failure left queued. */
	vtd_flush_set_mode(dom, VTD_UNMAP_STRICT, NULL);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "window %u ms: stale edu->RAM DMA to unmapped IOVA %#llx landed (done at %lld ms); queue flushed (%llu by the window timer, oldest entry %llu ms old), seen at %lld ms; the same DMA then faulted (#%llu, reason %u, done at %lld ms), memory untouched",
			       window, vtd_edu_window(&a), land_ms,
			       st.flush_window, div_u64(st.max_age_ns, NSEC_PER_MSEC),
			       flush_ms, f.seq, f.reason, fault_ms);
	return vtd_edu_buf_put(ctx, &a, ret);
}

/*
 * Set up an isolation test: buffer @ya of pattern @seed_ya mapped
 * read-write in the peer's domain only, shown to work for the peer
 * (RAM -> edu, no fault).
 */
static int vtd_edu_isolation_setup(struct vtd_edu_ctx *ctx,
				   struct vtd_edu_buf *ya, u32 seed_ya)
{
	struct vtd_edu *edu = ctx->edu, *peer = ctx->peer;
	phys_addr_t phys;
	int ret;

	if (peer->dom == edu->dom || peer->unit != edu->unit)
		return vtd_edu_report(ctx, -EIO,
				      "%s is not in a domain of its own on %s",
				      pci_name(peer->pdev), edu->unit->name);
	ret = vtd_edu_buf_get(ctx, ya, seed_ya, peer->dom,
			      VTD_PGT_READ | VTD_PGT_WRITE);
	if (ret)
		return ret;
	if (!vtd_domain_lookup(edu->dom, vtd_edu_window(ya), &phys))
		return vtd_edu_report(ctx, -EBUSY,
				      "IOVA %#llx is mapped in this device's domain %u too",
				      vtd_edu_window(ya), edu->dom->did);
	return vtd_edu_dma_ok(ctx, peer, false, ya);
}

/*
 * isolation-write: edu -> RAM at an IOVA mapped only in the peer's
 * domain: a write fault from the device under test, the peer's memory
 * untouched and no fault from the peer.
 */
static int vtd_edu_test_isolation_write(struct vtd_edu_ctx *ctx)
{
	u32 seed_c = vtd_edu_next_seed(ctx), seed_ya = vtd_edu_next_seed(ctx);
	struct vtd_edu *edu = ctx->edu, *peer = ctx->peer;
	struct vtd_edu_buf ya = {};
	struct vtd_fault f;
	u64 seq = vtd_unit_fault_seq(edu->unit);
	int ret;

	ret = vtd_edu_isolation_setup(ctx, &ya, seed_ya);
	if (!ret)
		ret = vtd_edu_load(ctx, seed_c);
	if (!ret)
		ret = vtd_edu_dma_fault(ctx, true, vtd_edu_window(&ya), &f);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "other domain's buffer", &ya,
					  seed_ya, seed_ya);
	if (!ret)
		ret = vtd_edu_expect_no_fault(ctx, peer, seq, &ya);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "edu->RAM to IOVA %#llx of %s's domain %u: fault #%llu from %#06x (domain %u), reason %u (%s); the other device's memory untouched",
			       vtd_edu_window(&ya), pci_name(peer->pdev),
			       peer->dom->did, f.seq, f.sid, edu->dom->did,
			       f.reason, vtd_fault_reason(f.reason));
	return vtd_edu_buf_put(ctx, &ya, ret);
}

/*
 * isolation-read: RAM -> edu from an IOVA mapped only in the peer's
 * domain: a read fault, and the device under test does not get the
 * peer's data.
 */
static int vtd_edu_test_isolation_read(struct vtd_edu_ctx *ctx)
{
	u32 seed_c = vtd_edu_next_seed(ctx), seed_ya = vtd_edu_next_seed(ctx);
	struct vtd_edu *edu = ctx->edu, *peer = ctx->peer;
	struct vtd_edu_buf ya = {};
	const char *what = "";
	struct vtd_fault f;
	u64 seq = vtd_unit_fault_seq(edu->unit);
	int ret;

	ret = vtd_edu_isolation_setup(ctx, &ya, seed_ya);
	if (!ret)
		ret = vtd_edu_load(ctx, seed_c);
	if (!ret)
		ret = vtd_edu_dma_fault(ctx, false, vtd_edu_window(&ya), &f);
	if (!ret)
		ret = vtd_edu_expect_data(ctx, "other domain's buffer", &ya,
					  seed_ya, seed_ya);
	if (!ret)
		ret = vtd_edu_expect_no_fault(ctx, peer, seq, &ya);
	if (!ret)
		ret = vtd_edu_expect_no_leak(ctx, seed_ya, seed_c, &what);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "RAM->edu from IOVA %#llx of %s's domain %u: fault #%llu from %#06x (domain %u), reason %u (%s); %s",
			       vtd_edu_window(&ya), pci_name(peer->pdev),
			       peer->dom->did, f.seq, f.sid, edu->dom->did,
			       f.reason, vtd_fault_reason(f.reason), what);
	return vtd_edu_buf_put(ctx, &ya, ret);
}

/*
 * storm: VTD_EDU_STORM_XFERS transfers from IOVA page 0, which no domain
 * ever maps (RAM -> edu: no memory is written), for scenarios/
 * fault-storm.sh: past vtd_remap's fault_storm_faults the unit blocks the
 * device. Says how many faults the unit recorded meanwhile; the scenario
 * judges.
 */
#define VTD_EDU_STORM_XFERS	20

static int vtd_edu_test_storm(struct vtd_edu_ctx *ctx)
{
	struct vtd_unit *unit = ctx->edu->unit;
	u64 seq = vtd_unit_fault_seq(unit);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < VTD_EDU_STORM_XFERS && !ret; i++)
		ret = vtd_edu_dma(ctx, ctx->edu, false, 0);
	vtd_unit_poll_faults(unit);
	if (!ret)
		vtd_edu_report(ctx, 0,
			       "%u transfers from unmapped IOVA 0: %llu faults recorded meanwhile",
			       i, vtd_unit_fault_seq(unit) - seq);
	return ret;
}

/* DMA-API tests: edu's DMA through the vtd_remap shim (own=<edu>). */

/* The big buffers: above what one block of MAX_ORDER - 1 can hold. */
#define VTD_EDU_BIG_SIZE	(SZ_4M + SZ_1M)
static_assert(VTD_EDU_BIG_SIZE > (PAGE_SIZE << (MAX_ORDER - 1)));
/* Pages in the scatterlist and noncontiguous tests. */
#define VTD_EDU_SG_PAGES	16
#define VTD_EDU_NC_PAGES	64

/**
 * struct vtd_edu_sync - how a test buffer is synced around a transfer
 * @how:	VTD_EDU_SYNC_NONE (coherent), _SINGLE or _SG.
 * @handle:	for _SINGLE: the mapping's DMA address.
 * @size:	for _SINGLE: its size.
 * @sgt:	for _SG: the mapped table.
 *
 * Streaming mappings and non-coherent allocations need the DMA API's
 * syncs; the shim leaves them to the core (nothing to do on x86), so they
 * must be harmless and DMA-API debug must find them right.
 */
struct vtd_edu_sync {
	enum { VTD_EDU_SYNC_NONE, VTD_EDU_SYNC_SINGLE, VTD_EDU_SYNC_SG } how;
	dma_addr_t handle;
	size_t size;
	struct sg_table *sgt;
};

static void vtd_edu_api_sync(struct vtd_edu *edu,
			     const struct vtd_edu_sync *sy, bool for_cpu)
{
	struct device *dev = &edu->pdev->dev;

	if (sy->how == VTD_EDU_SYNC_SINGLE && for_cpu)
		dma_sync_single_for_cpu(dev, sy->handle, sy->size,
					DMA_BIDIRECTIONAL);
	else if (sy->how == VTD_EDU_SYNC_SINGLE)
		dma_sync_single_for_device(dev, sy->handle, sy->size,
					   DMA_BIDIRECTIONAL);
	else if (sy->how == VTD_EDU_SYNC_SG && for_cpu)
		dma_sync_sgtable_for_cpu(dev, sy->sgt, DMA_BIDIRECTIONAL);
	else if (sy->how == VTD_EDU_SYNC_SG)
		dma_sync_sgtable_for_device(dev, sy->sgt, DMA_BIDIRECTIONAL);
}

/*
 * A round trip through two pages of a buffer the DMA API gave: @buf's CPU
 * view (@buf->cpu, or @buf->pages) at DMA address @buf->iova. The CPU
 * writes pattern a, edu reads the window; the CPU writes pattern b, edu
 * writes the window back: the CPU must read a in the window and b
 * elsewhere, and no fault may be recorded.
 */
static int vtd_edu_api_xfer(struct vtd_edu_ctx *ctx, const char *what,
			    struct vtd_edu_buf *buf,
			    const struct vtd_edu_sync *sy)
{
	u32 a = vtd_edu_next_seed(ctx), b = vtd_edu_next_seed(ctx);
	int ret;

	if (buf->iova + VTD_EDU_BUF_SIZE - 1 > DMA_BIT_MASK(VTD_EDU_DMA_BITS))
		return vtd_edu_report(ctx, -EIO,
				      "%s: DMA address %#llx is above edu's %u-bit mask",
				      what, buf->iova, VTD_EDU_DMA_BITS);
	vtd_edu_buf_fill(buf, a);
	vtd_edu_api_sync(ctx->edu, sy, false);
	ret = vtd_edu_dma_ok(ctx, ctx->edu, false, buf);
	if (ret)
		return ret;
	vtd_edu_api_sync(ctx->edu, sy, true);
	vtd_edu_buf_fill(buf, b);
	vtd_edu_api_sync(ctx->edu, sy, false);
	ret = vtd_edu_dma_ok(ctx, ctx->edu, true, buf);
	if (ret)
		return ret;
	vtd_edu_api_sync(ctx->edu, sy, true);
	return vtd_edu_expect_data(ctx, what, buf, a, b);
}

/* Fail unless the device under test is owned by the shim. */
static int vtd_edu_api_check(struct vtd_edu_ctx *ctx)
{
	if (ctx->edu->api)
		return 0;
	return vtd_edu_report(ctx, -ENODEV,
			      "needs the device owned by the DMA-API shim (insmod vtd_remap.ko own=%s before vtd_edu.ko)",
			      pci_name(ctx->edu->pdev));
}

/* Frames of IOVA the device's domain has allocated now. */
static unsigned long vtd_edu_iova_frames(struct vtd_edu *edu)
{
	struct vtd_iova_stats st;

	vtd_iova_get_stats(&edu->dom->iova, &st);
	return st.allocated_frames;
}

/* Map calls made in a domain so far. */
static u64 vtd_edu_dom_maps(struct vtd_domain *dom)
{
	struct vtd_domain_stats st;

	vtd_domain_get_stats(dom, &st);
	return st.maps;
}

/* IOTLB invalidation requests the device's unit has completed. */
static u64 vtd_edu_iotlb_invs(struct vtd_edu *edu)
{
	struct vtd_unit_counters *c = &edu->unit->stats;

	return atomic64_read(&c->inv[VTD_INV_IOTLB_GLOBAL]) +
	       atomic64_read(&c->inv[VTD_INV_IOTLB_DOMAIN]) +
	       atomic64_read(&c->inv[VTD_INV_IOTLB_PAGE]);
}

/* Page @n of a table's CPU side, or NULL. */
static struct page *vtd_edu_sgt_page(struct sg_table *sgt, unsigned long n)
{
	struct sg_page_iter it;

	for_each_sgtable_page(sgt, &it, n)
		return sg_page_iter_page(&it);
	return NULL;
}

/*
 * api-page: dma_map_page() of 20 and of 33 pages: the IOVA range takes
 * 32 (rounded up below 32 pages) and exactly 33; dma_need_sync() is
 * false; a round trip through the last two pages of each.
 */
static int vtd_edu_test_api_page(struct vtd_edu_ctx *ctx)
{
	static const unsigned int npages[] = { 20, 33 }, want[] = { 32, 33 };
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_SINGLE };
	struct vtd_edu_buf buf = {};
	unsigned long frames[2] = {}, before;
	unsigned long attrs;
	struct page *page;
	unsigned int k;
	dma_addr_t dma;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	page = alloc_pages(GFP_KERNEL, get_order(33 * PAGE_SIZE));
	if (!page)
		return vtd_edu_report(ctx, -ENOMEM, "no 64 contiguous pages");
	for (k = 0; k < ARRAY_SIZE(npages); k++) {
		sy.size = npages[k] * PAGE_SIZE;
		attrs = k ? DMA_ATTR_SKIP_CPU_SYNC : 0;
		/*
		 * A range freed earlier in this domain (another test, or
		 * another member of the device's group) may wait in a flush
		 * queue or a per-CPU cache, still allocated in the tree: give
		 * them back so that this map's range shows in the count.
		 */
		vtd_flush_domain_all(ctx->edu->dom);
		vtd_iova_cache_flush(&ctx->edu->dom->iova);
		before = vtd_edu_iova_frames(ctx->edu);
		dma = dma_map_page_attrs(dev, page, 0, sy.size,
					 DMA_BIDIRECTIONAL, attrs);
		if (dma_mapping_error(dev, dma)) {
			ret = vtd_edu_report(ctx, -EIO,
					     "map_page of %u pages failed",
					     npages[k]);
			break;
		}
		frames[k] = vtd_edu_iova_frames(ctx->edu) - before;
		sy.handle = dma;
		buf.cpu = page_address(page) + (npages[k] - 2) * PAGE_SIZE;
		buf.iova = dma + (npages[k] - 2) * PAGE_SIZE;
		/* Each check says its own failure. */
		if (dma_need_sync(dev, dma))
			ret = vtd_edu_report(ctx, -EIO,
					     "dma_need_sync() is true on a cache-coherent machine");
		if (frames[k] != want[k])
			ret = vtd_edu_report(ctx, -EIO,
					     "map_page of %u pages took %lu pages of IOVA, expected %u",
					     npages[k], frames[k], want[k]);
		if (!ret)
			ret = vtd_edu_api_xfer(ctx, "map_page", &buf, &sy);
		dma_unmap_page_attrs(dev, dma, sy.size, DMA_BIDIRECTIONAL,
				     attrs);
	}
	__free_pages(page, get_order(33 * PAGE_SIZE));
	if (ret)
		return ret;
	return vtd_edu_report(ctx, 0,
			      "map_page of 20 and 33 pages took %lu and %lu pages of IOVA; dma_need_sync() false; data checked both ways through each",
			      frames[0], frames[1]);
}

/*
 * Map VTD_EDU_SG_PAGES whole pages as a list: one DMA segment, one map
 * call (one page-table walk for all its physically contiguous runs), a
 * round trip across pages 7 and 8.
 */
static int vtd_edu_api_sg_pages(struct vtd_edu_ctx *ctx, const char *what,
				struct page **pages)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_buf buf = {};
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_SG };
	unsigned int i, runs = 1, want_invs, level, tag = 0;
	struct scatterlist *s;
	struct sg_table sgt;
	u64 maps, invs, pte;
	int ret;

	for (i = 1; i < VTD_EDU_SG_PAGES; i++)
		runs += page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1;
	if (sg_alloc_table(&sgt, VTD_EDU_SG_PAGES, GFP_KERNEL))
		return vtd_edu_report(ctx, -ENOMEM, "no scatterlist");
	for_each_sgtable_sg(&sgt, s, i)
		sg_set_page(s, pages[i], PAGE_SIZE, 0);
	/*
	 * With deferred unmaps, the earlier tests' ranges wait on a flush
	 * queue whose timer could fire while the list is mapped: flush them
	 * first, so that only the map's own invalidations are counted.
	 */
	vtd_flush_domain_all(ctx->edu->dom);
	maps = vtd_edu_dom_maps(ctx->edu->dom);
	invs = vtd_edu_iotlb_invs(ctx->edu);
	ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		ret = vtd_edu_report(ctx, -EIO, "%s: map_sg failed (%d)",
				     what, ret);
		goto out_free;
	}
	maps = vtd_edu_dom_maps(ctx->edu->dom) - maps;
	invs = vtd_edu_iotlb_invs(ctx->edu) - invs;
	/* Caching mode invalidates once per map_sg, whatever its runs. */
	want_invs = vtd_unit_caching_mode(ctx->edu->unit) ? 1 : 0;
	if (sgt.nents != 1 || maps != 1 || invs != want_invs) {
		ret = vtd_edu_report(ctx, -EIO,
				     "%s: %u pages in %u physical runs gave %u DMA segments, %llu map calls and %llu IOTLB invalidations; expected 1, 1 and %u",
				     what, VTD_EDU_SG_PAGES, runs, sgt.nents,
				     maps, invs, want_invs);
		goto out_unmap;
	}
	/*
	 * The range is a power of two starting at the list's first page: its
	 * first leaf carries its size, so that the unmap finds the range
	 * without the allocator's tree (vtd_dma.c, section 4).
	 */
	if (!vtd_pgtable_leaf(&ctx->edu->dom->pgt, sg_dma_address(sgt.sgl),
			      &pte, &level))
		tag = vtd_pgtable_pte_tag(pte);
	if (tag != ilog2(VTD_EDU_SG_PAGES) + 1) {
		ret = vtd_edu_report(ctx, -EIO,
				     "%s: the range's first leaf carries tag %u; expected %u (its size, for an unmap without a lookup)",
				     what, tag, ilog2(VTD_EDU_SG_PAGES) + 1);
	} else {
		buf.pages[0] = pages[7];
		buf.pages[1] = pages[8];
		buf.iova = sg_dma_address(sgt.sgl) + 7 * PAGE_SIZE;
		sy.sgt = &sgt;
		ret = vtd_edu_api_xfer(ctx, what, &buf, &sy);
	}
out_unmap:
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "%s: %u pages in %u physical runs -> 1 DMA segment, %llu map calls, %llu IOTLB invalidations, size tag %u on the first leaf; data checked across pages 7-8",
				     what, VTD_EDU_SG_PAGES, runs, maps, invs, tag);
out_free:
	sg_free_table(&sgt);
	return ret;
}

/*
 * Sub-page entries (1 KiB at offset 256 of each page) never meet at a
 * page boundary: as many DMA segments as entries, each translating to its
 * own bytes.
 */
static int vtd_edu_api_sg_bits(struct vtd_edu_ctx *ctx, struct page **pages)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct scatterlist *s;
	struct sg_table sgt;
	phys_addr_t phys;
	unsigned int i;
	int ret;

	if (sg_alloc_table(&sgt, VTD_EDU_SG_PAGES, GFP_KERNEL))
		return vtd_edu_report(ctx, -ENOMEM, "no scatterlist");
	for_each_sgtable_sg(&sgt, s, i)
		sg_set_page(s, pages[i], SZ_1K, 256);
	ret = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (ret) {
		ret = vtd_edu_report(ctx, -EIO, "sub-page list: map_sg failed (%d)",
				     ret);
		goto out_free;
	}
	if (sgt.nents != VTD_EDU_SG_PAGES)
		ret = vtd_edu_report(ctx, -EIO,
				     "sub-page list: %u DMA segments for %u entries that cannot merge",
				     sgt.nents, VTD_EDU_SG_PAGES);
	for_each_sgtable_dma_sg(&sgt, s, i) {
		if (ret)
			break;
		if (vtd_domain_lookup(ctx->edu->dom, sg_dma_address(s), &phys) ||
		    phys != page_to_phys(pages[i]) + 256 ||
		    sg_dma_len(s) != SZ_1K)
			ret = vtd_edu_report(ctx, -EIO,
					     "sub-page list: segment %u at %#llx (%u bytes) does not translate to its entry",
					     i, (u64)sg_dma_address(s),
					     sg_dma_len(s));
	}
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "sub-page list: %u entries -> %u DMA segments, each translating to its bytes",
				     VTD_EDU_SG_PAGES, VTD_EDU_SG_PAGES);
out_free:
	sg_free_table(&sgt);
	return ret;
}

/*
 * api-superpage: a physically contiguous 2 MiB list (a buddy block, so
 * 2 MiB aligned) is one DMA segment, 2 MiB aligned, translated by a 2 MiB
 * leaf. The page table puts a superpage only where no table is left from
 * earlier small mappings, so this needs a fresh domain: the first test
 * after vtd_remap.ko is loaded (the top 2 MiB of edu's space then holds
 * nothing).
 */
static int vtd_edu_test_api_superpage(struct vtd_edu_ctx *ctx)
{
	const unsigned int n = SZ_2M / PAGE_SIZE;
	struct device *dev = &ctx->edu->pdev->dev;
	unsigned int i, level = 0;
	struct scatterlist *s;
	struct sg_table sgt;
	struct page *block;
	u64 pte = 0;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, get_order(SZ_2M));
	if (!block)
		return vtd_edu_report(ctx, -ENOMEM, "no 2 MiB block");
	if (sg_alloc_table(&sgt, n, GFP_KERNEL)) {
		ret = vtd_edu_report(ctx, -ENOMEM, "no scatterlist");
		goto out_block;
	}
	for_each_sgtable_sg(&sgt, s, i)
		sg_set_page(s, block + i, PAGE_SIZE, 0);
	ret = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (ret) {
		ret = vtd_edu_report(ctx, -EIO, "2 MiB list: map_sg failed (%d)",
				     ret);
		goto out_table;
	}
	if (sgt.nents != 1 || !IS_ALIGNED(sg_dma_address(sgt.sgl), SZ_2M) ||
	    vtd_pgtable_leaf(&ctx->edu->dom->pgt, sg_dma_address(sgt.sgl),
			     &pte, &level) || level != 2 ||
	    vtd_pgtable_pte_tag(pte) != ilog2(n) + 1)
		ret = vtd_edu_report(ctx, -EIO,
				     "2 MiB contiguous list: %u DMA segments at %#llx, leaf level %u, size tag %u; expected 1 segment, 2 MiB aligned, a level-2 (2 MiB) leaf tagged %u",
				     sgt.nents, (u64)sg_dma_address(sgt.sgl),
				     level, level ? vtd_pgtable_pte_tag(pte) : 0,
				     ilog2(n) + 1);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "2 MiB contiguous list: 1 DMA segment, 2 MiB aligned, mapped by a 2 MiB superpage carrying its size tag");
out_table:
	sg_free_table(&sgt);
out_block:
	__free_pages(block, get_order(SZ_2M));
	return ret;
}

/*
 * api-sg: map_sg of a physically contiguous list and of scattered pages
 * (one map call each), and of sub-page entries (no merging).
 */
static int vtd_edu_test_api_sg(struct vtd_edu_ctx *ctx)
{
	struct page *block, *pages[VTD_EDU_SG_PAGES], *all[2 * VTD_EDU_SG_PAGES];
	unsigned int i;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	block = alloc_pages(GFP_KERNEL, get_order(VTD_EDU_SG_PAGES * PAGE_SIZE));
	if (!block)
		return vtd_edu_report(ctx, -ENOMEM, "no contiguous block");
	for (i = 0; i < VTD_EDU_SG_PAGES; i++)
		pages[i] = block + i;
	ret = vtd_edu_api_sg_pages(ctx, "contiguous list", pages);
	__free_pages(block, get_order(VTD_EDU_SG_PAGES * PAGE_SIZE));
	if (ret)
		return ret;

	/* Every other page of separately allocated ones: rarely adjacent. */
	memset(all, 0, sizeof(all));
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		all[i] = alloc_page(GFP_KERNEL);
		if (!all[i]) {
			ret = vtd_edu_report(ctx, -ENOMEM, "out of pages");
			goto out;
		}
	}
	for (i = 0; i < VTD_EDU_SG_PAGES; i++)
		pages[i] = all[2 * i];
	ret = vtd_edu_api_sg_pages(ctx, "scattered list", pages);
	if (!ret)
		ret = vtd_edu_api_sg_bits(ctx, pages);
out:
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i])
			__free_page(all[i]);
	return ret;
}

/*
 * A round trip through the buffer's pages @first and @first + 1, found
 * through a dma_get_sgtable() of it (so that a buffer without a kernel
 * mapping can be checked too); with @cpu, every page the table gives
 * must be the one the CPU address maps.
 */
static int vtd_edu_api_sgtable_xfer(struct vtd_edu_ctx *ctx, const char *what,
				    void *cpu, dma_addr_t dma, size_t size,
				    unsigned long attrs, unsigned long first)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_NONE };
	struct vtd_edu_buf buf = {};
	struct sg_table sgt;
	struct sg_page_iter it;
	unsigned long n = 0;
	struct page *want;
	int ret;

	ret = dma_get_sgtable_attrs(dev, &sgt, cpu, dma, size, attrs);
	if (ret)
		return vtd_edu_report(ctx, -EIO, "%s: get_sgtable failed (%d)",
				      what, ret);
	for_each_sgtable_page(&sgt, &it, 0) {
		if (cpu && !(attrs & DMA_ATTR_NO_KERNEL_MAPPING)) {
			want = is_vmalloc_addr(cpu) ?
			       vmalloc_to_page(cpu + n * PAGE_SIZE) :
			       virt_to_page(cpu + n * PAGE_SIZE);
			if (sg_page_iter_page(&it) != want) {
				ret = vtd_edu_report(ctx, -EIO,
						     "%s: get_sgtable page %lu is not the buffer's",
						     what, n);
				break;
			}
		}
		n++;
	}
	if (!ret && n != PAGE_ALIGN(size) >> PAGE_SHIFT)
		ret = vtd_edu_report(ctx, -EIO,
				     "%s: get_sgtable gave %lu pages for %zu bytes",
				     what, n, size);
	if (!ret) {
		buf.pages[0] = vtd_edu_sgt_page(&sgt, first);
		buf.pages[1] = vtd_edu_sgt_page(&sgt, first + 1);
		buf.iova = dma + first * PAGE_SIZE;
		ret = vtd_edu_api_xfer(ctx, what, &buf, &sy);
	}
	sg_free_table(&sgt);
	return ret;
}

/*
 * api-coherent: a two-page coherent buffer through its CPU address
 * (aligned to its size, contiguous) and through get_sgtable; eight pages
 * with DMA_ATTR_NO_KERNEL_MAPPING through get_sgtable; two pages with
 * DMA_ATTR_FORCE_CONTIGUOUS.
 */
static int vtd_edu_test_api_coherent(struct vtd_edu_ctx *ctx)
{
	static const unsigned long attrs[] = {
		0, DMA_ATTR_NO_KERNEL_MAPPING, DMA_ATTR_FORCE_CONTIGUOUS,
	};
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_NONE };
	struct vtd_edu_buf buf = {};
	unsigned int k;
	dma_addr_t dma;
	size_t size;
	void *cpu;
	int ret = vtd_edu_api_check(ctx);

	for (k = 0; k < ARRAY_SIZE(attrs) && !ret; k++) {
		size = (attrs[k] & DMA_ATTR_NO_KERNEL_MAPPING ? 8 : 2) * PAGE_SIZE;
		cpu = dma_alloc_attrs(dev, size, &dma, GFP_KERNEL, attrs[k]);
		if (!cpu) {
			ret = vtd_edu_report(ctx, -EIO,
					     "alloc of %zu bytes (attrs %#lx) failed",
					     size, attrs[k]);
			break;
		}
		if (!IS_ALIGNED(dma, size))
			ret = vtd_edu_report(ctx, -EIO,
					     "coherent DMA address %#llx not aligned to its size %zu",
					     (u64)dma, size);
		if (!ret && !(attrs[k] & DMA_ATTR_NO_KERNEL_MAPPING)) {
			buf.cpu = cpu;
			buf.iova = dma;
			ret = vtd_edu_api_xfer(ctx, "coherent", &buf, &sy);
		}
		if (!ret)
			ret = vtd_edu_api_sgtable_xfer(ctx, "coherent via get_sgtable",
						       cpu, dma, size, attrs[k],
						       size / PAGE_SIZE - 2);
		dma_free_attrs(dev, size, cpu, dma, attrs[k]);
	}
	if (ret)
		return ret;
	return vtd_edu_report(ctx, 0,
			      "2 pages (plain, FORCE_CONTIGUOUS) through the CPU address and get_sgtable, 8 pages NO_KERNEL_MAPPING through get_sgtable: data checked both ways");
}

/*
 * api-big: coherent buffers of VTD_EDU_BIG_SIZE, above MAX_ORDER: built
 * from separate pages, vmapped (windows at the start, across 2 and 4 MiB
 * and at the end through the vmap; every page checked through
 * get_sgtable), and with DMA_ATTR_NO_KERNEL_MAPPING (through
 * get_sgtable); DMA_ATTR_FORCE_CONTIGUOUS that large fails cleanly.
 */
static int vtd_edu_test_api_big(struct vtd_edu_ctx *ctx)
{
	const unsigned long last = VTD_EDU_BIG_SIZE / PAGE_SIZE - 2;
	const unsigned long at[] = { 0, SZ_2M / PAGE_SIZE - 1,
				     SZ_4M / PAGE_SIZE - 1, last };
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_NONE };
	struct vtd_edu_buf buf = {};
	unsigned int k;
	dma_addr_t dma;
	void *cpu;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	cpu = dma_alloc_coherent(dev, VTD_EDU_BIG_SIZE, &dma, GFP_KERNEL);
	if (!cpu)
		return vtd_edu_report(ctx, -EIO, "coherent alloc of %u bytes failed",
				      VTD_EDU_BIG_SIZE);
	if (!is_vmalloc_addr(cpu))
		ret = vtd_edu_report(ctx, -EIO,
				     "a %u-byte coherent buffer is not a vmap of separate pages",
				     VTD_EDU_BIG_SIZE);
	for (k = 0; k < ARRAY_SIZE(at) && !ret; k++) {
		buf.cpu = cpu + at[k] * PAGE_SIZE;
		buf.iova = dma + at[k] * PAGE_SIZE;
		ret = vtd_edu_api_xfer(ctx, "big coherent", &buf, &sy);
	}
	if (!ret)
		ret = vtd_edu_api_sgtable_xfer(ctx, "big coherent via get_sgtable",
					       cpu, dma, VTD_EDU_BIG_SIZE, 0,
					       SZ_4M / PAGE_SIZE - 1);
	dma_free_coherent(dev, VTD_EDU_BIG_SIZE, cpu, dma);
	if (ret)
		return ret;

	cpu = dma_alloc_attrs(dev, VTD_EDU_BIG_SIZE, &dma, GFP_KERNEL,
			      DMA_ATTR_NO_KERNEL_MAPPING);
	if (!cpu)
		return vtd_edu_report(ctx, -EIO,
				      "NO_KERNEL_MAPPING alloc of %u bytes failed",
				      VTD_EDU_BIG_SIZE);
	ret = vtd_edu_api_sgtable_xfer(ctx, "big NO_KERNEL_MAPPING via get_sgtable",
				       cpu, dma, VTD_EDU_BIG_SIZE,
				       DMA_ATTR_NO_KERNEL_MAPPING, last);
	dma_free_attrs(dev, VTD_EDU_BIG_SIZE, cpu, dma,
		       DMA_ATTR_NO_KERNEL_MAPPING);
	if (ret)
		return ret;

	cpu = dma_alloc_attrs(dev, VTD_EDU_BIG_SIZE, &dma,
			      GFP_KERNEL | __GFP_NOWARN,
			      DMA_ATTR_FORCE_CONTIGUOUS);
	if (cpu) {
		dma_free_attrs(dev, VTD_EDU_BIG_SIZE, cpu, dma,
			       DMA_ATTR_FORCE_CONTIGUOUS);
		return vtd_edu_report(ctx, -EIO,
				      "FORCE_CONTIGUOUS of %u bytes succeeded: not contiguous?",
				      VTD_EDU_BIG_SIZE);
	}
	return vtd_edu_report(ctx, 0,
			      "%u bytes coherent: vmap of separate pages, data checked at 4 windows and every page through get_sgtable; NO_KERNEL_MAPPING through get_sgtable; FORCE_CONTIGUOUS refused",
			      VTD_EDU_BIG_SIZE);
}

/* api-pages: dma_alloc_pages() and dma_alloc_noncoherent(), with syncs. */
static int vtd_edu_test_api_pages(struct vtd_edu_ctx *ctx)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = {
		.how = VTD_EDU_SYNC_SINGLE, .size = VTD_EDU_BUF_SIZE,
	};
	struct vtd_edu_buf buf = {};
	struct page *page;
	dma_addr_t dma;
	void *cpu;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	page = dma_alloc_pages(dev, VTD_EDU_BUF_SIZE, &dma, DMA_BIDIRECTIONAL,
			       GFP_KERNEL);
	if (!page)
		return vtd_edu_report(ctx, -EIO, "dma_alloc_pages failed");
	/*
	 * DMA-API debug records these like dma_map_page() and wants the
	 * handle checked; it must be valid anyway.
	 */
	if (dma_mapping_error(dev, dma))
		ret = vtd_edu_report(ctx, -EIO, "dma_alloc_pages gave an error handle");
	buf.cpu = page_address(page);
	buf.iova = dma;
	sy.handle = dma;
	if (!ret)
		ret = vtd_edu_api_xfer(ctx, "alloc_pages", &buf, &sy);
	dma_free_pages(dev, VTD_EDU_BUF_SIZE, page, dma, DMA_BIDIRECTIONAL);
	if (ret)
		return ret;

	cpu = dma_alloc_noncoherent(dev, VTD_EDU_BUF_SIZE, &dma,
				    DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (!cpu)
		return vtd_edu_report(ctx, -EIO, "dma_alloc_noncoherent failed");
	buf.cpu = cpu;
	buf.iova = dma;
	sy.handle = dma;
	if (dma_mapping_error(dev, dma))
		ret = vtd_edu_report(ctx, -EIO,
				     "dma_alloc_noncoherent gave an error handle");
	else
		ret = vtd_edu_api_xfer(ctx, "alloc_noncoherent", &buf, &sy);
	dma_free_noncoherent(dev, VTD_EDU_BUF_SIZE, cpu, dma,
			     DMA_BIDIRECTIONAL);
	return ret ?: vtd_edu_report(ctx, 0,
				     "dma_alloc_pages and dma_alloc_noncoherent: data checked both ways");
}

/*
 * api-noncontig: dma_alloc_noncontiguous() of VTD_EDU_NC_PAGES pages (in
 * blocks, then single pages): one DMA segment, read and written by the
 * CPU through dma_vmap_noncontiguous() across its middle.
 */
static int vtd_edu_test_api_noncontig(struct vtd_edu_ctx *ctx)
{
	static const unsigned long attrs[] = { 0, DMA_ATTR_ALLOC_SINGLE_PAGES };
	const size_t size = VTD_EDU_NC_PAGES * PAGE_SIZE;
	const size_t mid = (VTD_EDU_NC_PAGES / 2 - 1) * PAGE_SIZE;
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_SG };
	struct vtd_edu_buf buf = {};
	struct sg_table *sgt;
	unsigned int k;
	void *vaddr;
	int ret = vtd_edu_api_check(ctx);

	for (k = 0; k < ARRAY_SIZE(attrs) && !ret; k++) {
		sgt = dma_alloc_noncontiguous(dev, size, DMA_BIDIRECTIONAL,
					      GFP_KERNEL, attrs[k]);
		if (!sgt)
			return vtd_edu_report(ctx, -EIO,
					      "dma_alloc_noncontiguous of %zu bytes (attrs %#lx) failed",
					      size, attrs[k]);
		if (sgt->nents != 1 || sg_dma_len(sgt->sgl) < size) {
			ret = vtd_edu_report(ctx, -EIO,
					     "noncontiguous: %u DMA segments, the first %u bytes; expected one of %zu",
					     sgt->nents, sg_dma_len(sgt->sgl),
					     size);
			goto out_free;
		}
		vaddr = dma_vmap_noncontiguous(dev, size, sgt);
		if (!vaddr) {
			ret = vtd_edu_report(ctx, -ENOMEM, "no vmap");
			goto out_free;
		}
		buf.cpu = vaddr + mid;
		buf.iova = sg_dma_address(sgt->sgl) + mid;
		sy.sgt = sgt;
		ret = vtd_edu_api_xfer(ctx, "noncontiguous", &buf, &sy);
		dma_vunmap_noncontiguous(dev, vaddr);
out_free:
		dma_free_noncontiguous(dev, size, sgt, DMA_BIDIRECTIONAL);
	}
	return ret ?: vtd_edu_report(ctx, 0,
				     "%u pages, in blocks and in single pages: one DMA segment each, data checked both ways through the vmap",
				     VTD_EDU_NC_PAGES);
}

/*
 * api-resource: dma_map_resource() of edu's own BAR0 (MMIO; the core
 * refuses RAM), and a transfer RAM->edu whose source is that mapping at
 * the DMA registers: edu reads its own registers through the unit, so
 * its buffer then holds the transfer's source address (register 0x80) and
 * its destination (0x88). Copied back into a coherent buffer and checked.
 */
static int vtd_edu_test_api_resource(struct vtd_edu_ctx *ctx)
{
	struct vtd_edu *edu = ctx->edu;
	struct device *dev = &edu->pdev->dev;
	phys_addr_t bar = pci_resource_start(edu->pdev, 0);
	struct vtd_edu_buf buf = {};
	dma_addr_t res, dma;
	u64 *got, src;
	void *cpu;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	res = dma_map_resource(dev, bar, PAGE_SIZE, DMA_TO_DEVICE, 0);
	if (dma_mapping_error(dev, res))
		return vtd_edu_report(ctx, -EIO, "map_resource of BAR0 %pa failed",
				      &bar);
	cpu = dma_alloc_coherent(dev, VTD_EDU_BUF_SIZE, &dma, GFP_KERNEL);
	if (!cpu) {
		ret = vtd_edu_report(ctx, -ENOMEM, "no coherent buffer");
		goto out_unmap;
	}
	src = res + VTD_EDU_REG_DMA_SRC;
	ret = vtd_edu_dma(ctx, edu, false, src);
	buf.cpu = cpu;
	buf.iova = dma;
	if (!ret)
		ret = vtd_edu_dma_ok(ctx, edu, true, &buf);
	got = cpu + VTD_EDU_XFER_OFF;
	if (!ret && (got[0] != src || got[1] != VTD_EDU_DEV_BUF))
		ret = vtd_edu_report(ctx, -EIO,
				     "edu read %#llx %#llx from its DMA registers through map_resource %#llx; expected %#llx %#x",
				     got[0], got[1], (u64)res, src,
				     VTD_EDU_DEV_BUF);
	dma_free_coherent(dev, VTD_EDU_BUF_SIZE, cpu, dma);
out_unmap:
	dma_unmap_resource(dev, res, PAGE_SIZE, DMA_TO_DEVICE, 0);
	return ret ?: vtd_edu_report(ctx, 0,
				     "edu read its own DMA registers (source %#llx, destination %#x) through map_resource of BAR0",
				     src, VTD_EDU_DEV_BUF);
}

/* The mmap file: only the test that set the buffer may map it. */
static int vtd_edu_mmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vtd_edu *edu = file->private_data;

	if (READ_ONCE(edu->mmap_owner) != current)
		return -EPERM;
	return dma_mmap_coherent(&edu->pdev->dev, vma, edu->mmap_cpu,
				 edu->mmap_dma, edu->mmap_size);
}

static const struct file_operations vtd_edu_mmap_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.mmap = vtd_edu_mmap_mmap,
	.llseek = no_llseek,
};

/*
 * Map two pages of a coherent buffer, from page @pgoff, into the calling
 * process (the one writing to "run") through the mmap file, and copy them
 * out through that user mapping into @out.
 */
static int vtd_edu_api_user_read(struct vtd_edu_ctx *ctx, void *cpu,
				 dma_addr_t dma, size_t size,
				 unsigned long pgoff, u8 *out)
{
	struct vtd_edu *edu = ctx->edu;
	unsigned long uaddr;
	struct file *file;
	char *path;
	int ret = 0;

	path = kasprintf(GFP_KERNEL, "/sys/kernel/debug/%s/%s/mmap",
			 KBUILD_MODNAME, pci_name(edu->pdev));
	if (!path)
		return vtd_edu_report(ctx, -ENOMEM, "out of memory");
	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file)) {
		ret = vtd_edu_report(ctx, PTR_ERR(file), "open %s: %ld",
				     path, PTR_ERR(file));
		goto out_path;
	}
	edu->mmap_cpu = cpu;
	edu->mmap_dma = dma;
	edu->mmap_size = size;
	WRITE_ONCE(edu->mmap_owner, current);
	uaddr = vm_mmap(file, 0, VTD_EDU_BUF_SIZE, PROT_READ, MAP_SHARED,
			pgoff << PAGE_SHIFT);
	WRITE_ONCE(edu->mmap_owner, NULL);
	if (IS_ERR_VALUE(uaddr)) {
		ret = vtd_edu_report(ctx, (int)uaddr,
				     "mmap of %s at page %lu: %ld", path, pgoff,
				     (long)uaddr);
	} else {
		if (copy_from_user(out, (const void __user *)uaddr,
				   VTD_EDU_BUF_SIZE))
			ret = vtd_edu_report(ctx, -EFAULT,
					     "reading the user mapping faulted");
		vm_munmap(uaddr, VTD_EDU_BUF_SIZE);
	}
	filp_close(file, NULL);
out_path:
	kfree(path);
	return ret;
}

/*
 * api-mmap: edu writes into a coherent buffer (two pages; and the big one,
 * built from pages, at its page 1023), the CPU reads it back through a
 * user mapping made by dma_mmap_coherent() in the process running the
 * test: the window holds what edu wrote, the rest what the CPU did.
 */
static int vtd_edu_test_api_mmap(struct vtd_edu_ctx *ctx)
{
	static const size_t sizes[] = { VTD_EDU_BUF_SIZE, VTD_EDU_BIG_SIZE };
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_NONE };
	struct vtd_edu_buf buf = {}, user = {};
	unsigned long pgoff;
	size_t first = 0;
	u32 a, b;
	unsigned int k;
	dma_addr_t dma;
	void *cpu;
	u8 *copy;
	int ret = vtd_edu_api_check(ctx);

	if (ret)
		return ret;
	copy = kmalloc(VTD_EDU_BUF_SIZE, GFP_KERNEL);
	if (!copy)
		return vtd_edu_report(ctx, -ENOMEM, "out of memory");
	for (k = 0; k < ARRAY_SIZE(sizes) && !ret; k++) {
		pgoff = k ? SZ_4M / PAGE_SIZE - 1 : 0;
		cpu = dma_alloc_coherent(dev, sizes[k], &dma, GFP_KERNEL);
		if (!cpu) {
			ret = vtd_edu_report(ctx, -EIO, "coherent alloc of %zu bytes failed",
					     sizes[k]);
			break;
		}
		buf.cpu = cpu + pgoff * PAGE_SIZE;
		buf.iova = dma + pgoff * PAGE_SIZE;
		/* Leaves a (edu's) in the window and b elsewhere. */
		a = ctx->edu->seed + 1;
		b = ctx->edu->seed + 2;
		ret = vtd_edu_api_xfer(ctx, "mmap'd coherent", &buf, &sy);
		if (!ret)
			ret = vtd_edu_api_user_read(ctx, cpu, dma, sizes[k],
						    pgoff, copy);
		user.cpu = copy;
		if (!ret && vtd_edu_buf_diff(&user, a, b, &first))
			ret = vtd_edu_report(ctx, -EIO,
					     "%zu-byte buffer through the user mapping at page %lu: byte %zu is %#04x, expected %#04x",
					     sizes[k], pgoff, first, copy[first],
					     vtd_edu_pattern_byte(vtd_edu_in_window(first) ? a : b,
								  first));
		dma_free_coherent(dev, sizes[k], cpu, dma);
	}
	kfree(copy);
	return ret ?: vtd_edu_report(ctx, 0,
				     "coherent buffers of %zu and %u bytes: what edu wrote read back through dma_mmap_coherent user mappings",
				     VTD_EDU_BUF_SIZE, VTD_EDU_BIG_SIZE);
}

/**
 * struct vtd_edu_test - a test the run file accepts
 * @name:	its name.
 * @fn:		runs it.
 * @needs_peer:	it needs a second edu device (@ctx->peer).
 */
struct vtd_edu_test {
	const char *name;
	int (*fn)(struct vtd_edu_ctx *ctx);
	bool needs_peer;
};

/* Shadow-mode tests: the shim copies through vtd_shadow.c's pools. */

/* The device's shadow pool, or NULL (with a FAIL) if not in shadow mode. */
static struct vtd_shadow_pool *vtd_edu_shadow_check(struct vtd_edu_ctx *ctx)
{
	struct vtd_shadow_pool *pool;

	if (vtd_edu_api_check(ctx))
		return NULL;
	pool = vtd_dma_shadow_pool(ctx->edu->pdev);
	if (!pool || vtd_flush_mode(ctx->edu->dom) != VTD_UNMAP_SHADOW)
		vtd_edu_report(ctx, -ENODEV,
			       "needs the device in shadow mode (vtd_remap own=%s@shadow)",
			       pci_name(ctx->edu->pdev));
	return pool;
}

/* Fill @len bytes at @p with pattern @seed (byte i is pattern byte @base + i). */
static void vtd_edu_mem_fill(u8 *p, size_t len, u32 seed, size_t base)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = vtd_edu_pattern_byte(seed, base + i);
}

/* Bytes of @p that are not pattern @seed from @base; the first in @first. */
static size_t vtd_edu_mem_diff(const u8 *p, size_t len, u32 seed, size_t base,
			       size_t *first)
{
	size_t i, bad = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == vtd_edu_pattern_byte(seed, base + i))
			continue;
		if (!bad++)
			*first = i;
	}
	return bad;
}

/* The IOVA page of @dma must map a shadow page, not the driver's @phys. */
static int vtd_edu_shadow_not_driver(struct vtd_edu_ctx *ctx, dma_addr_t dma,
				     phys_addr_t phys)
{
	phys_addr_t got;

	if (vtd_domain_lookup(ctx->edu->dom, dma & PAGE_MASK, &got))
		return vtd_edu_report(ctx, -EIO,
				      "the shadow at %#llx is not mapped",
				      (u64)dma);
	if ((got & PAGE_MASK) == (phys & PAGE_MASK))
		return vtd_edu_report(ctx, -EIO,
				      "IOVA %#llx maps the driver's own page %#llx: zero-copy, not a shadow",
				      (u64)dma, (u64)phys);
	return 0;
}

/*
 * shadow-page: two pages mapped with dma_map_single(): a shadow; a round
 * trip with syncs; a FROM_DEVICE write that reaches the buffer only at
 * unmap; no invalidation at unmap; a stale write afterwards changes
 * nothing in the buffer.
 */
static int vtd_edu_test_shadow_page(struct vtd_edu_ctx *ctx)
{
	struct vtd_shadow_pool *pool = vtd_edu_shadow_check(ctx);
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_edu_sync sy = { .how = VTD_EDU_SYNC_SINGLE,
				   .size = VTD_EDU_BUF_SIZE };
	u32 a, c, d;
	struct vtd_edu_buf buf = {};
	u64 invs, seq, copies;
	struct vtd_shadow_stats st;
	size_t first = 0, bad;
	dma_addr_t dma;
	void *cpu;
	int ret;

	if (!pool)
		return -ENODEV;
	cpu = (void *)__get_free_pages(GFP_KERNEL, get_order(VTD_EDU_BUF_SIZE));
	if (!cpu)
		return vtd_edu_report(ctx, -ENOMEM, "no two pages");
	buf.cpu = cpu;

	/* Round trip with the syncs, bidirectional. */
	dma = dma_map_single(dev, cpu, VTD_EDU_BUF_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		ret = vtd_edu_report(ctx, -EIO, "map_single failed");
		goto out;
	}
	buf.iova = dma;
	sy.handle = dma;
	ret = vtd_edu_shadow_not_driver(ctx, dma, virt_to_phys(cpu));
	if (!ret && !dma_need_sync(dev, dma))
		ret = vtd_edu_report(ctx, -EIO,
				     "dma_need_sync() is false for a shadow");
	if (!ret)
		ret = vtd_edu_api_xfer(ctx, "shadow map_single", &buf, &sy);
	dma_unmap_single(dev, dma, VTD_EDU_BUF_SIZE, DMA_BIDIRECTIONAL);
	if (ret)
		goto out;
	/* edu's buffer now holds the window of the last pattern the CPU wrote. */

	/* FROM_DEVICE: the device writes the shadow; the buffer at unmap. */
	a = vtd_edu_next_seed(ctx);
	c = vtd_edu_next_seed(ctx);
	vtd_edu_buf_fill(&buf, a);
	dma = dma_map_single(dev, cpu, VTD_EDU_BUF_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		ret = vtd_edu_report(ctx, -EIO, "map_single to device failed");
		goto out;
	}
	buf.iova = dma;
	ret = vtd_edu_dma_ok(ctx, ctx->edu, false, &buf);	/* edu <- a */
	dma_unmap_single(dev, dma, VTD_EDU_BUF_SIZE, DMA_TO_DEVICE);
	if (ret)
		goto out;
	vtd_edu_buf_fill(&buf, c);
	dma = dma_map_single(dev, cpu, VTD_EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		ret = vtd_edu_report(ctx, -EIO, "map_single from device failed");
		goto out;
	}
	buf.iova = dma;
	ret = vtd_edu_dma_ok(ctx, ctx->edu, true, &buf);	/* a -> shadow */
	if (!ret) {
		bad = vtd_edu_mem_diff(cpu, VTD_EDU_BUF_SIZE, c, 0, &first);
		if (bad)
			ret = vtd_edu_report(ctx, -EIO,
					     "edu's write reached the driver's buffer before unmap: %zu bytes changed, first at %zu",
					     bad, first);
	}
	invs = vtd_edu_iotlb_invs(ctx->edu);
	vtd_shadow_get_stats(pool, &st);
	copies = st.copies_out;
	dma_unmap_single(dev, dma, VTD_EDU_BUF_SIZE, DMA_FROM_DEVICE);
	invs = vtd_edu_iotlb_invs(ctx->edu) - invs;
	vtd_shadow_get_stats(pool, &st);
	if (ret)
		goto out;
	if (invs)
		ret = vtd_edu_report(ctx, -EIO,
				     "the unmap of a shadow issued %llu IOTLB invalidation(s)",
				     invs);
	else if (st.copies_out != copies + 1)
		ret = vtd_edu_report(ctx, -EIO,
				     "the unmap copied back %llu times, expected once",
				     st.copies_out - copies);
	else if (vtd_edu_window_count(&buf, a, false) != VTD_EDU_XFER)
		ret = vtd_edu_report(ctx, -EIO,
				     "after unmap only %zu of the %u bytes edu wrote are in the buffer",
				     vtd_edu_window_count(&buf, a, false),
				     VTD_EDU_XFER);
	if (ret)
		goto out;

	/* A stale write to the old address: the buffer must not change. */
	d = vtd_edu_next_seed(ctx);
	vtd_edu_buf_fill(&buf, d);
	seq = vtd_unit_fault_seq(ctx->edu->unit);
	ret = vtd_edu_dma(ctx, ctx->edu, true, vtd_edu_window(&buf));
	if (ret)
		goto out;
	vtd_unit_poll_faults(ctx->edu->unit);
	bad = vtd_edu_mem_diff(cpu, VTD_EDU_BUF_SIZE, d, 0, &first);
	if (bad) {
		ret = vtd_edu_report(ctx, -EIO,
				     "a DMA to the unmapped address changed %zu bytes of the driver's buffer, first at %zu",
				     bad, first);
		goto out;
	}
	ret = vtd_edu_report(ctx, 0,
			     "8 KiB at %#llx: a shadow (dma_need_sync true), data both ways with syncs; FROM_DEVICE data reached the buffer only at unmap, 0 invalidations for the unmap; a stale write after it (%llu faults meanwhile: it %s) left the buffer unchanged",
			     (u64)dma, vtd_unit_fault_seq(ctx->edu->unit) - seq,
			     vtd_unit_fault_seq(ctx->edu->unit) == seq ?
			     "landed in a shadow" : "faulted");
out:
	free_pages((unsigned long)cpu, get_order(VTD_EDU_BUF_SIZE));
	return ret;
}

/* The sub-page test's buffer: 512 bytes at this offset of a page. */
#define VTD_EDU_SUB_OFF		1536
#define VTD_EDU_SUB_LEN		512

/*
 * shadow-subpage: 512 bytes from the middle of a page are mapped; edu
 * writes VTD_EDU_XFER bytes around the shadow, within its IOVA page. No
 * fault (the rest of the page is other shadows), none of the page's other
 * bytes changes, and the 512 get what edu wrote at their place.
 */
static int vtd_edu_test_shadow_subpage(struct vtd_edu_ctx *ctx)
{
	struct vtd_shadow_pool *pool = vtd_edu_shadow_check(ctx);
	struct device *dev = &ctx->edu->pdev->dev;
	u32 n = vtd_edu_next_seed(ctx), x = vtd_edu_next_seed(ctx);
	size_t first = 0, bad, at;
	u64 seq, start;
	dma_addr_t dma;
	u8 *page;
	int ret;

	if (!pool)
		return -ENODEV;
	page = (u8 *)__get_free_page(GFP_KERNEL);
	if (!page)
		return vtd_edu_report(ctx, -ENOMEM, "no page");
	/* edu's buffer gets pattern x (its window) first. */
	ret = vtd_edu_load(ctx, x);
	if (ret)
		goto out;
	vtd_edu_mem_fill(page, PAGE_SIZE, n, 0);
	dma = dma_map_single(dev, page + VTD_EDU_SUB_OFF, VTD_EDU_SUB_LEN,
			     DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		ret = vtd_edu_report(ctx, -EIO, "map_single of 512 bytes failed");
		goto out;
	}
	ret = vtd_edu_shadow_not_driver(ctx, dma, virt_to_phys(page));
	/* The half of the IOVA page holding the shadow. */
	start = (dma & PAGE_MASK) + (offset_in_page(dma) & ~(u64)(VTD_EDU_XFER - 1));
	at = dma - start;
	seq = vtd_unit_fault_seq(ctx->edu->unit);
	if (!ret)
		ret = vtd_edu_dma(ctx, ctx->edu, true, start);
	vtd_unit_poll_faults(ctx->edu->unit);
	if (!ret && vtd_unit_fault_seq(ctx->edu->unit) != seq)
		ret = vtd_edu_report(ctx, -EIO,
				     "edu's write around the shadow at %#llx faulted: the rest of its IOVA page is not shadows",
				     (u64)dma);
	if (!ret) {
		bad = vtd_edu_mem_diff(page, PAGE_SIZE, n, 0, &first);
		if (bad)
			ret = vtd_edu_report(ctx, -EIO,
					     "edu's write around the shadow changed %zu bytes of the driver's page before unmap, first at %zu",
					     bad, first);
	}
	dma_unmap_single(dev, dma, VTD_EDU_SUB_LEN, DMA_BIDIRECTIONAL);
	if (ret)
		goto out;
	bad = vtd_edu_mem_diff(page, VTD_EDU_SUB_OFF, n, 0, &first);
	bad += vtd_edu_mem_diff(page + VTD_EDU_SUB_OFF + VTD_EDU_SUB_LEN,
				PAGE_SIZE - VTD_EDU_SUB_OFF - VTD_EDU_SUB_LEN, n,
				VTD_EDU_SUB_OFF + VTD_EDU_SUB_LEN, &first);
	if (bad) {
		ret = vtd_edu_report(ctx, -EIO,
				     "after unmap %zu of the page's bytes around the 512 changed",
				     bad);
		goto out;
	}
	/* edu's byte k is pattern x's byte VTD_EDU_XFER_OFF + k. */
	bad = vtd_edu_mem_diff(page + VTD_EDU_SUB_OFF, VTD_EDU_SUB_LEN, x,
			       VTD_EDU_XFER_OFF + at, &first);
	if (bad) {
		ret = vtd_edu_report(ctx, -EIO,
				     "after unmap %zu of the 512 bytes are not what edu wrote, first at %zu",
				     bad, first);
		goto out;
	}
	ret = vtd_edu_report(ctx, 0,
			     "512 bytes at page offset %u -> shadow %#llx; edu wrote %u bytes from %#llx (the shadow's IOVA page): no fault, the driver's other %lu bytes unchanged, the 512 came back",
			     VTD_EDU_SUB_OFF, (u64)dma, VTD_EDU_XFER, start,
			     PAGE_SIZE - VTD_EDU_SUB_LEN);
out:
	free_page((unsigned long)page);
	return ret;
}

/*
 * Entries of the shadow-sg lists: SMALL + MID is not above shadow_max (the
 * list is shadowed), SMALL + BIG is (the list goes zero-copy).
 */
#define VTD_EDU_SSG_SMALL	PAGE_SIZE
#define VTD_EDU_SSG_MID		(2 * PAGE_SIZE)
#define VTD_EDU_SSG_BIG		(8 * PAGE_SIZE)

/*
 * One round trip through each entry of a mapped shadow-mode list, with
 * the sg syncs: the CPU writes pattern p, syncs for the device, edu reads
 * the entry's first VTD_EDU_XFER bytes; the CPU writes q, syncs, edu
 * writes back; after the sync for the CPU the entry holds p there and q
 * elsewhere.
 */
static int vtd_edu_shadow_sg_xfer(struct vtd_edu_ctx *ctx,
				  struct sg_table *sgt, u8 **cpu)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct scatterlist *s;
	size_t first = 0, bad;
	u32 p, q;
	int i, ret;

	for_each_sgtable_dma_sg(sgt, s, i) {
		p = vtd_edu_next_seed(ctx);
		q = vtd_edu_next_seed(ctx);
		vtd_edu_mem_fill(cpu[i], sg_dma_len(s), p, 0);
		dma_sync_sgtable_for_device(dev, sgt, DMA_BIDIRECTIONAL);
		ret = vtd_edu_dma(ctx, ctx->edu, false, sg_dma_address(s));
		if (ret)
			return ret;
		vtd_edu_mem_fill(cpu[i], sg_dma_len(s), q, 0);
		dma_sync_sgtable_for_device(dev, sgt, DMA_BIDIRECTIONAL);
		ret = vtd_edu_dma(ctx, ctx->edu, true, sg_dma_address(s));
		if (ret)
			return ret;
		dma_sync_sgtable_for_cpu(dev, sgt, DMA_BIDIRECTIONAL);
		bad = vtd_edu_mem_diff(cpu[i], VTD_EDU_XFER, p, 0, &first);
		bad += vtd_edu_mem_diff(cpu[i] + VTD_EDU_XFER,
					sg_dma_len(s) - VTD_EDU_XFER, q,
					VTD_EDU_XFER, &first);
		if (bad)
			return vtd_edu_report(ctx, -EIO,
					      "list entry %d (%u bytes at %#llx): %zu bytes wrong after the round trip",
					      i, sg_dma_len(s),
					      (u64)sg_dma_address(s), bad);
	}
	return 0;
}

/*
 * The second shadow-sg list, above shadow_max as a whole: no shadow and no
 * copy, one size fallback, the buffers themselves mapped (one range, so
 * the two entries may merge), and nothing of it left after the unmap.
 */
static int vtd_edu_shadow_sg_big(struct vtd_edu_ctx *ctx,
				 struct vtd_shadow_pool *pool, u8 *small,
				 u8 *big)
{
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_shadow_stats st0, st1;
	phys_addr_t phys[2] = { 0, 0 };
	struct sg_table sgt;
	dma_addr_t first;
	int ret;

	if (sg_alloc_table(&sgt, 2, GFP_KERNEL))
		return vtd_edu_report(ctx, -ENOMEM, "out of memory");
	sg_set_buf(sgt.sgl, small, VTD_EDU_SSG_SMALL);
	sg_set_buf(sg_next(sgt.sgl), big, VTD_EDU_SSG_BIG);
	vtd_shadow_get_stats(pool, &st0);
	ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		ret = vtd_edu_report(ctx, -EIO, "36 KiB list: map_sg failed: %d",
				     ret);
		goto out;
	}
	vtd_shadow_get_stats(pool, &st1);
	first = sg_dma_address(sgt.sgl);
	/* Laid out in one range: the big entry follows the small one. */
	if (vtd_domain_lookup(ctx->edu->dom, first, &phys[0]) ||
	    vtd_domain_lookup(ctx->edu->dom, first + VTD_EDU_SSG_SMALL,
			      &phys[1]) ||
	    phys[0] != virt_to_phys(small) || phys[1] != virt_to_phys(big) ||
	    st1.fb_size != st0.fb_size + 1 || st1.copies_in != st0.copies_in)
		ret = vtd_edu_report(ctx, -EIO,
				     "36 KiB list (above shadow_max %zu): %#llx and %#llx + 4 KiB map %#llx and %#llx, %llu size fallbacks, %llu copies; expected the buffers %#llx and %#llx, 1 fallback, no copy",
				     vtd_shadow_max(), (u64)first, (u64)first,
				     (u64)phys[0], (u64)phys[1],
				     st1.fb_size - st0.fb_size,
				     st1.copies_in - st0.copies_in,
				     (u64)virt_to_phys(small),
				     (u64)virt_to_phys(big));
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (!ret && !vtd_domain_lookup(ctx->edu->dom, first, &phys[0]))
		ret = vtd_edu_report(ctx, -EIO,
				     "36 KiB list: %#llx still mapped after its unmap",
				     (u64)first);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "list of 4 KiB + 32 KiB (above shadow_max %zu as a whole): zero-copy in one range (%u DMA segment(s)), nothing copied, unmapped at unmap",
				     vtd_shadow_max(), sgt.nents);
out:
	sg_free_table(&sgt);
	return ret;
}

/*
 * shadow-sg: a list of a 4 KiB and an 8 KiB entry (not above shadow_max
 * in all: each entry its own shadow); round trips with the sg syncs, with
 * DMA_ATTR_SKIP_CPU_SYNC (map and unmap copy nothing: the syncs do). Then
 * a list of a 4 KiB and a 32 KiB entry, above shadow_max in all.
 */
static int vtd_edu_test_shadow_sg(struct vtd_edu_ctx *ctx)
{
	struct vtd_shadow_pool *pool = vtd_edu_shadow_check(ctx);
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_shadow_stats st0, st1;
	struct sg_table sgt;
	struct scatterlist *s;
	u8 *cpu[2], *big;
	phys_addr_t phys;
	int i, ret;

	if (!pool)
		return -ENODEV;
	if (vtd_shadow_max() < VTD_EDU_SSG_SMALL + VTD_EDU_SSG_MID ||
	    vtd_shadow_max() >= VTD_EDU_SSG_SMALL + VTD_EDU_SSG_BIG)
		return vtd_edu_report(ctx, -EINVAL,
				      "needs 12 KiB <= shadow_max < 36 KiB (it is %zu)",
				      vtd_shadow_max());
	cpu[0] = (u8 *)__get_free_page(GFP_KERNEL);
	cpu[1] = (u8 *)__get_free_pages(GFP_KERNEL, get_order(VTD_EDU_SSG_MID));
	big = (u8 *)__get_free_pages(GFP_KERNEL, get_order(VTD_EDU_SSG_BIG));
	ret = -ENOMEM;
	if (!cpu[0] || !cpu[1] || !big || sg_alloc_table(&sgt, 2, GFP_KERNEL)) {
		ret = vtd_edu_report(ctx, -ENOMEM, "out of memory");
		goto out_free;
	}
	sg_set_buf(sgt.sgl, cpu[0], VTD_EDU_SSG_SMALL);
	sg_set_buf(sg_next(sgt.sgl), cpu[1], VTD_EDU_SSG_MID);
	vtd_shadow_get_stats(pool, &st0);
	ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (ret) {
		ret = vtd_edu_report(ctx, -EIO, "map_sg failed: %d", ret);
		goto out_table;
	}
	vtd_shadow_get_stats(pool, &st1);
	if (sgt.nents != 2)
		ret = vtd_edu_report(ctx, -EIO, "%u DMA segments, expected 2",
				     sgt.nents);
	else if (st1.fb_size != st0.fb_size || st1.copies_in != st0.copies_in)
		ret = vtd_edu_report(ctx, -EIO,
				     "map_sg: %llu size fallbacks and %llu copies, expected none (12 KiB in all; SKIP_CPU_SYNC)",
				     st1.fb_size - st0.fb_size,
				     st1.copies_in - st0.copies_in);
	i = 0;
	for_each_sgtable_dma_sg(&sgt, s, i) {
		if (ret || vtd_domain_lookup(ctx->edu->dom,
					     sg_dma_address(s) & PAGE_MASK,
					     &phys))
			break;
		if ((phys & PAGE_MASK) == virt_to_phys(cpu[i]))
			ret = vtd_edu_report(ctx, -EIO,
					     "entry %d at %#llx maps the buffer itself %#llx: expected a shadow",
					     i, (u64)sg_dma_address(s),
					     (u64)phys);
	}
	if (!ret)
		ret = vtd_edu_shadow_sg_xfer(ctx, &sgt, cpu);
	vtd_shadow_get_stats(pool, &st0);
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	vtd_shadow_get_stats(pool, &st1);
	if (!ret && st1.copies_out != st0.copies_out)
		ret = vtd_edu_report(ctx, -EIO,
				     "unmap with SKIP_CPU_SYNC copied %llu times",
				     st1.copies_out - st0.copies_out);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "list of 4 KiB + 8 KiB (not above shadow_max %zu in all): 2 shadows, round trips with sg syncs; SKIP_CPU_SYNC: no copy at map or unmap",
				     vtd_shadow_max());
	if (!ret)
		ret = vtd_edu_shadow_sg_big(ctx, pool, cpu[0], big);
out_table:
	sg_free_table(&sgt);
out_free:
	free_pages((unsigned long)big, get_order(VTD_EDU_SSG_BIG));
	free_pages((unsigned long)cpu[1], get_order(VTD_EDU_SSG_MID));
	free_page((unsigned long)cpu[0]);
	return ret;
}

/*
 * shadow-trim: a shadow is mapped and unmapped; trimming the pool gives
 * its chunks back with a strict invalidation, after which a stale write
 * to the old shadow address faults.
 */
static int vtd_edu_test_shadow_trim(struct vtd_edu_ctx *ctx)
{
	struct vtd_shadow_pool *pool = vtd_edu_shadow_check(ctx);
	struct device *dev = &ctx->edu->pdev->dev;
	struct vtd_shadow_stats st;
	unsigned long trimmed;
	struct vtd_fault f;
	u64 invs, seq;
	dma_addr_t dma;
	void *cpu;
	int ret;

	if (!pool)
		return -ENODEV;
	cpu = (void *)__get_free_pages(GFP_KERNEL, get_order(VTD_EDU_BUF_SIZE));
	if (!cpu)
		return vtd_edu_report(ctx, -ENOMEM, "no two pages");
	dma = dma_map_single(dev, cpu, VTD_EDU_BUF_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, dma)) {
		ret = vtd_edu_report(ctx, -EIO, "map_single failed");
		goto out;
	}
	dma_unmap_single(dev, dma, VTD_EDU_BUF_SIZE, DMA_BIDIRECTIONAL);
	invs = vtd_edu_iotlb_invs(ctx->edu);
	trimmed = vtd_shadow_trim(pool, ULONG_MAX);
	invs = vtd_edu_iotlb_invs(ctx->edu) - invs;
	vtd_shadow_get_stats(pool, &st);
	if (!trimmed || st.chunks || st.in_use) {
		ret = vtd_edu_report(ctx, -EIO,
				     "trim gave back %lu chunks; %lu left, %ld slots in use (expected none)",
				     trimmed, st.chunks, st.in_use);
		goto out;
	}
	if (invs < trimmed) {
		ret = vtd_edu_report(ctx, -EIO,
				     "trim of %lu chunks issued %llu invalidations",
				     trimmed, invs);
		goto out;
	}
	seq = vtd_unit_fault_seq(ctx->edu->unit);
	ret = vtd_edu_dma(ctx, ctx->edu, true, dma + VTD_EDU_XFER_OFF);
	if (!ret)
		ret = vtd_edu_expect_fault(ctx, ctx->edu, seq,
					   (dma + VTD_EDU_XFER_OFF) & PAGE_MASK,
					   false, &f);
	if (!ret)
		ret = vtd_edu_report(ctx, 0,
				     "trim gave back %lu chunk(s) with %llu invalidation(s); a write to the old shadow %#llx then faulted (reason %u)",
				     trimmed, invs, (u64)dma, f.reason);
out:
	free_pages((unsigned long)cpu, get_order(VTD_EDU_BUF_SIZE));
	return ret;
}

static const struct vtd_edu_test vtd_edu_tests[] = {
	{ "roundtrip", vtd_edu_test_roundtrip, false },
	{ "fault-write", vtd_edu_test_fault_write, false },
	{ "fault-read", vtd_edu_test_fault_read, false },
	{ "fault-ro", vtd_edu_test_fault_ro, false },
	{ "window", vtd_edu_test_window, false },
	{ "isolation-write", vtd_edu_test_isolation_write, true },
	{ "isolation-read", vtd_edu_test_isolation_read, true },
	{ "storm", vtd_edu_test_storm, false },
	{ "api-superpage", vtd_edu_test_api_superpage, false },
	{ "api-page", vtd_edu_test_api_page, false },
	{ "api-sg", vtd_edu_test_api_sg, false },
	{ "api-coherent", vtd_edu_test_api_coherent, false },
	{ "api-big", vtd_edu_test_api_big, false },
	{ "api-pages", vtd_edu_test_api_pages, false },
	{ "api-noncontig", vtd_edu_test_api_noncontig, false },
	{ "api-mmap", vtd_edu_test_api_mmap, false },
	{ "api-resource", vtd_edu_test_api_resource, false },
	{ "shadow-page", vtd_edu_test_shadow_page, false },
	{ "shadow-subpage", vtd_edu_test_shadow_subpage, false },
	{ "shadow-sg", vtd_edu_test_shadow_sg, false },
	{ "shadow-trim", vtd_edu_test_shadow_trim, false },
};

/* @word names @t, or is the part of its name before a '-'. */
static bool vtd_edu_test_matches(const struct vtd_edu_test *t,
				 const char *word)
{
	size_t len = strlen(word);

	return len && !strncmp(t->name, word, len) &&
	       (t->name[len] == '\0' || t->name[len] == '-');
}

/* The first other bound device, or NULL. */
static struct vtd_edu *vtd_edu_find_peer(struct vtd_edu *edu)
{
	struct vtd_edu *other;

	lockdep_assert_held(&vtd_edu_list_lock);
	list_for_each_entry(other, &vtd_edu_list, node)
		if (other != edu)
			return other;
	return NULL;
}

/* Run every test @word matches; @ctx->edu's lock (and the peer's) held. */
static int vtd_edu_run_locked(struct vtd_edu_ctx *ctx, const char *word)
{
	struct vtd_edu *edu = ctx->edu;
	unsigned int i;
	int ret = 0, err;

	lockdep_assert_held(&edu->lock);
	edu->result[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(vtd_edu_tests); i++) {
		const struct vtd_edu_test *t = &vtd_edu_tests[i];

		if (!vtd_edu_test_matches(t, word))
			continue;
		if (t->needs_peer && !ctx->peer) {
			ctx->test = t->name;
			err = vtd_edu_report(ctx, -ENODEV,
					     "needs a second edu device (qemu-boot.sh --devices edu --devices edu)");
		} else {
			ctx->test = t->name;
			err = t->fn(ctx);
		}
		edu->nr_runs++;
		if (err)
			edu->nr_failed++;
		ret = ret ?: err;
	}
	return ret;
}

/*
 * Run "<test> [high]". Tests with a peer hold the list lock throughout,
 * then both devices' locks in bind order.
 */
static int vtd_edu_run(struct vtd_edu *edu, char *cmd)
{
	struct vtd_edu_ctx ctx = { .edu = edu };
	struct vtd_edu *first, *second;
	bool needs_peer = false, known = false;
	char *word, *opt;
	unsigned int i;
	int ret;

	word = strsep(&cmd, " \t");
	while ((opt = strsep(&cmd, " \t"))) {
		if (!strcmp(opt, "high"))
			ctx.high = true;
		else if (*opt)
			return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(vtd_edu_tests); i++) {
		if (!vtd_edu_test_matches(&vtd_edu_tests[i], word))
			continue;
		known = true;
		needs_peer |= vtd_edu_tests[i].needs_peer;
	}
	if (!known)
		return -EINVAL;

	if (!needs_peer) {
		if (mutex_lock_interruptible(&edu->lock))
			return -EINTR;
		ret = vtd_edu_run_locked(&ctx, word);
		mutex_unlock(&edu->lock);
		return ret;
	}

	if (mutex_lock_interruptible(&vtd_edu_list_lock))
		return -EINTR;
	ctx.peer = vtd_edu_find_peer(edu);
	first = edu;
	second = ctx.peer;
	if (second && second->index < first->index)
		swap(first, second);
	mutex_lock(&first->lock);
	if (second)
		mutex_lock_nested(&second->lock, SINGLE_DEPTH_NESTING);
	ret = vtd_edu_run_locked(&ctx, word);
	if (second)
		mutex_unlock(&second->lock);
	mutex_unlock(&first->lock);
	mutex_unlock(&vtd_edu_list_lock);
	return ret;
}

/* debugfs: vtd_edu/<pci name>/{run,result,info}. */

static ssize_t vtd_edu_run_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct vtd_edu *edu = file->private_data;
	char cmd[64];
	int ret;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	ret = vtd_edu_run(edu, strim(cmd));
	return ret ? ret : len;
}

static const struct file_operations vtd_edu_run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vtd_edu_run_write,
	.llseek = no_llseek,
};

static int vtd_edu_result_show(struct seq_file *m, void *unused)
{
	struct vtd_edu *edu = m->private;

	mutex_lock(&edu->lock);
	seq_puts(m, edu->result);
	mutex_unlock(&edu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_edu_result);

static int vtd_edu_info_show(struct seq_file *m, void *unused)
{
	struct vtd_edu *edu = m->private;
	u32 id = readl(edu->regs + VTD_EDU_REG_ID);
	int i;

	mutex_lock(&edu->lock);
	seq_printf(m, "device %s\n", pci_name(edu->pdev));
	seq_printf(m, "edu_version %u.%u\n", id >> 24, (id >> 16) & 0xff);
	seq_printf(m, "source_id %#06x\n", edu->sid);
	seq_printf(m, "unit %s\n", edu->unit->name);
	seq_printf(m, "domain %u\n", edu->dom->did);
	seq_printf(m, "mode %s\n", edu->api ? "dma-api" : "domain");
	seq_printf(m, "dma_mask_bits %u\n", VTD_EDU_DMA_BITS);
	seq_printf(m, "transfer_bytes %u\n", VTD_EDU_XFER);
	seq_printf(m, "runs %lu\n", edu->nr_runs);
	seq_printf(m, "failed %lu\n", edu->nr_failed);
	seq_printf(m, "wedged %d\n", edu->wedged);
	seq_puts(m, "tests");
	for (i = 0; i < ARRAY_SIZE(vtd_edu_tests); i++)
		seq_printf(m, " %s", vtd_edu_tests[i].name);
	seq_putc(m, '\n');
	mutex_unlock(&edu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_edu_info);

static void vtd_edu_debugfs_add(struct vtd_edu *edu)
{
	edu->debugfs = debugfs_create_dir(pci_name(edu->pdev),
					  vtd_edu_debugfs_root);
	debugfs_create_file("run", 0200, edu->debugfs, edu, &vtd_edu_run_fops);
	debugfs_create_file("result", 0400, edu->debugfs, edu,
			    &vtd_edu_result_fops);
	debugfs_create_file("info", 0400, edu->debugfs, edu,
			    &vtd_edu_info_fops);
	/* Unsafe (no proxy, which has no mmap): only api-mmap maps it. */
	if (edu->api)
		debugfs_create_file_unsafe("mmap", 0400, edu->debugfs, edu,
					   &vtd_edu_mmap_fops);
}

/* The PCI driver. */

/* Attach @edu's device to a new domain of its own. */
static int vtd_edu_domain_init(struct vtd_edu *edu)
{
	struct pci_dev *pdev = edu->pdev;
	int ret;

	edu->unit = vtd_unit_for_pci(pdev);
	if (!edu->unit) {
		pci_err(pdev, "no VT-d unit of vtd_remap translates this device\n");
		return -ENODEV;
	}
	/* Without translation an IOVA would reach that physical address. */
	if (!READ_ONCE(edu->unit->translating)) {
		pci_err(pdev, "%s: translation is off\n", edu->unit->name);
		return -ENODEV;
	}
	edu->dom = vtd_domain_alloc(edu->unit, VTD_DOMAIN_DMA);
	if (IS_ERR(edu->dom)) {
		ret = PTR_ERR(edu->dom);
		pci_err(pdev, "%s: no domain (%d)\n", edu->unit->name, ret);
		return ret;
	}
	ret = vtd_domain_attach(edu->dom, pdev);
	if (ret) {
		pci_err(pdev, "%s: attach to domain %u failed (%d)\n",
			edu->unit->name, edu->dom->did, ret);
		vtd_domain_free(edu->dom);
		return ret;
	}
	return 0;
}

/*
 * If the shim owns the device (vtd_remap own=), its DMA already goes
 * through a domain of the shim's: use that one, through the DMA API.
 * Return: 1 if so, 0 if not, -errno.
 */
static int vtd_edu_api_init(struct vtd_edu *edu)
{
	struct pci_dev *pdev = edu->pdev;
	struct vtd_domain *dom = vtd_domain_of(pdev);

	if (!dom)
		return 0;
	edu->unit = vtd_unit_for_pci(pdev);
	if (!edu->unit || !get_dma_ops(&pdev->dev)) {
		pci_err(pdev, "in domain %u but not owned by the DMA-API shim\n",
			dom->did);
		return -EBUSY;
	}
	edu->dom = dom;
	edu->api = true;
	/* edu's engine has no segment limit; noncontiguous buffers are one. */
	return dma_set_max_seg_size(&pdev->dev, UINT_MAX) ?: 1;
}

static int vtd_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vtd_edu *edu;
	u32 ident;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	edu->sid = pci_dev_id(pdev);
	mutex_init(&edu->lock);
	edu->seed = get_random_u32();

	/*
	 * Enabled once and left enabled on remove: enabling routes edu's
	 * INTx pin through ACPI, which takes over a second (and disabling
	 * two) on the sanitizer kernel, and load-unload rebinds the device
	 * fifty times. The driver uses no interrupt.
	 */
	if (!pci_is_enabled(pdev)) {
		ret = pci_enable_device_mem(pdev);
		if (ret)
			return ret;
	}
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		return ret;
	edu->regs = pci_iomap(pdev, 0, 0);
	if (!edu->regs) {
		ret = -ENOMEM;
		goto out_release;
	}
	ident = readl(edu->regs + VTD_EDU_REG_ID);
	if ((ident & 0xff) != VTD_EDU_ID_MAGIC) {
		pci_err(pdev, "identification register reads %#x: not edu\n",
			ident);
		ret = -ENODEV;
		goto out_unmap;
	}
	/* Documents the device; the tests map through the domain directly. */
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(VTD_EDU_DMA_BITS));
	if (ret)
		goto out_unmap;
	if (vtd_edu_dma_busy(edu) && !vtd_edu_dma_wait(edu)) {
		pci_err(pdev, "DMA engine busy at probe\n");
		ret = -EBUSY;
		goto out_unmap;
	}
	ret = vtd_edu_api_init(edu);
	if (ret < 0)
		goto out_unmap;
	if (!ret)
		ret = vtd_edu_domain_init(edu);
	if (ret < 0)
		goto out_unmap;
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);

	mutex_lock(&vtd_edu_list_lock);
	edu->index = vtd_edu_next_index++;
	list_add_tail(&edu->node, &vtd_edu_list);
	mutex_unlock(&vtd_edu_list_lock);
	vtd_edu_debugfs_add(edu);
	pci_info(pdev, "edu %u.%u, source ID %#06x, %s domain %u; tests in debugfs vtd_edu/%s/run\n",
		 ident >> 24, (ident >> 16) & 0xff, edu->sid, edu->unit->name,
		 edu->dom->did, pci_name(pdev));
	return 0;

out_unmap:
	pci_iounmap(pdev, edu->regs);
out_release:
	pci_release_region(pdev, 0);
	return ret;
}

static void vtd_edu_remove(struct pci_dev *pdev)
{
	struct vtd_edu *edu = pci_get_drvdata(pdev);

	/* Waits for this device's run and result handlers to return. */
	debugfs_remove_recursive(edu->debugfs);
	/* Waits for a test of another device that uses this one. */
	mutex_lock(&vtd_edu_list_lock);
	list_del(&edu->node);
	mutex_unlock(&vtd_edu_list_lock);

	/* No transfer may be in flight when the device goes pass-through. */
	if (!vtd_edu_dma_wait(edu))
		pci_err(pdev, "DMA engine still busy; turning bus mastering off\n");
	pci_clear_master(pdev);
	if (!edu->api) {
		vtd_domain_detach(edu->dom, pdev);
		vtd_domain_free(edu->dom);
	}
	pci_iounmap(pdev, edu->regs);
	pci_release_region(pdev, 0);
	mutex_destroy(&edu->lock);
}

static const struct pci_device_id vtd_edu_ids[] = {
	{ PCI_DEVICE(VTD_EDU_VENDOR, VTD_EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vtd_edu_ids);

static struct pci_driver vtd_edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = vtd_edu_ids,
	.probe = vtd_edu_probe,
	.remove = vtd_edu_remove,
};

static int __init vtd_edu_init(void)
{
	int ret;

	vtd_edu_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = pci_register_driver(&vtd_edu_driver);
	if (ret)
		debugfs_remove_recursive(vtd_edu_debugfs_root);
	return ret;
}

static void __exit vtd_edu_exit(void)
{
	pci_unregister_driver(&vtd_edu_driver);
	debugfs_remove_recursive(vtd_edu_debugfs_root);
}

module_init(vtd_edu_init);
module_exit(vtd_edu_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test driver for QEMU's edu device: DMA through vtd_remap domains");
