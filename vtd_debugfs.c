// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap debugfs: what the units and domains are doing, in words, for
 * people and for the scenarios. Read only, but for dmar<N>/unblock.
 *
 * 1. Layout (/sys/kernel/debug/vtd_remap/)
 *
 *    units                 one line per unit: where, what, how many domains
 *    dmar<N>/caps          VER, CAP and ECAP raw, then field by field in
 *                          words (VT-d 11.4.1-11.4.3), then what the module
 *                          chose (table depth, invalidation, default domain)
 *    dmar<N>/faults        the recent faults of the unit's ring, oldest
 *                          first, decoded (source bus:dev.fn, reason),
 *                          then the sources a fault storm got blocked
 *    dmar<N>/unblock       write-only: "bus:dev.fn" or a source ID
 *                          ("0x0018") lets a blocked source's DMA through
 *                          again (-ENOENT if it was not blocked)
 *    dmar<N>/counters      "name value" lines: invalidations by kind, queue
 *                          and write-buffer use, faults, the page pool
 *    dmar<N>/contexts      every present context entry, one a line:
 *                          "bus:dev.fn did D translated|pass-through|
 *                          blocked" (devices added after load included)
 *    dmar<N>/domains       every domain: DID, type, devices, reserved
 *                          ranges, mapping counts, IOVA allocator stats
 *    dmar<N>/domain<DID>/mappings  the domain's allocated IOVA ranges and
 *                          the physical pages each one maps to
 *    dmar<N>/domain<DID>/pgtable   the domain's page table, entry by entry,
 *                          runs of contiguous pages folded into one line
 *    dmar<N>/domain<DID>/flush     "name value" lines: unmap mode, window,
 *                          deferred queues (queued, flushes by reason,
 *                          max_age_us) and the quarantine (vtd_flush.c)
 *
 * 2. Lifetime
 *
 *    A unit lives from vtd_debugfs_add_unit() until after
 *    vtd_debugfs_exit(); a domain from vtd_debugfs_add_domain() until after
 *    vtd_debugfs_remove_domain(). Removing a debugfs file waits for the
 *    reads in progress (the debugfs file proxy), and an open file holds a
 *    reference on the module, so a show function never sees a freed unit
 *    or domain. The unit's default domain exists before its unit's
 *    directory does: vtd_debugfs_add_unit() adds it.
 *
 * 3. Locking
 *
 *    vtd_debugfs_lock protects vtd_debugfs_root, vtd_debugfs_units and the
 *    debugfs pointers of units and domains. Lock order: vtd_debugfs_lock,
 *    then unit->mutex, then the spinning locks of the unit, the IOVA
 *    allocator and the page table. Show functions take unit->mutex to walk
 *    the domain and device lists, so no file is removed with unit->mutex
 *    held (removal waits for those readers), and no file is removed with
 *    vtd_debugfs_lock held either: the directory is taken out from under
 *    the lock, then removed.
 *
 * 4. Failure policy
 *
 *    debugfs is a window, never a dependency: creation errors are ignored
 *    (the debugfs calls accept the error pointers they return), a show
 *    function that cannot allocate says so in its output.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": debugfs: " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vtd_debugfs.h"
#include "vtd_group.h"
#include "vtd_unit.h"

/* CAP.CM, VT-d 11.4.2. */
#define DBG_CAP_CM		BIT_ULL(7)

/* Second-level entry bits, VT-d 9.8, for decoding what the walk reports. */
#define DBG_PTE_R		BIT_ULL(0)
#define DBG_PTE_W		BIT_ULL(1)
#define DBG_PTE_SNP		BIT_ULL(11)
#define DBG_PTE_ADDR		GENMASK_ULL(51, 12)

/*
 * The page-table dump stops after this many lines. A line is about 100
 * bytes, so the dump stays under 2 MiB, the largest buffer seq_file then
 * has to allocate (it doubles from one page until the output fits). 16384
 * lines is 16384 runs of pages: far more than a scenario maps at once.
 */
#define DBG_PGT_MAX_LINES	16384

/*
 * Entries the page-table walk reports per chunk, with IRQs off: at a few
 * hundred nanoseconds per entry (a line of output, a clflush-free read),
 * 512 entries, one table page, keep each chunk well under a millisecond.
 */
#define DBG_PGT_CHUNK		512

/* A mapping's physical runs listed per IOVA range; the rest are counted. */
#define DBG_MAP_MAX_SEGS	32

/* One unit known to debugfs, for the top-level "units" file. */
struct dbg_unit {
	struct list_head node;
	struct vtd_unit *unit;
};

static DEFINE_MUTEX(vtd_debugfs_lock);	/* the three below, ->debugfs */
static struct dentry *vtd_debugfs_root;
static LIST_HEAD(vtd_debugfs_units);

/* --- formatting helpers ---------------------------------------------- */

/* "4 KiB", "2 MiB", "1 GiB", or bytes when not a multiple of 1 KiB. */
static void dbg_size(struct seq_file *m, u64 bytes)
{
	if (bytes && !(bytes % SZ_1G))
		seq_printf(m, "%llu GiB", div_u64(bytes, SZ_1G));
	else if (bytes && !(bytes % SZ_1M))
		seq_printf(m, "%llu MiB", div_u64(bytes, SZ_1M));
	else if (bytes && !(bytes % SZ_1K))
		seq_printf(m, "%llu KiB", div_u64(bytes, SZ_1K));
	else
		seq_printf(m, "%llu bytes", bytes);
}

/* Source ID as bus:dev.fn. */
static void dbg_sid(struct seq_file *m, u16 sid)
{
	seq_printf(m, "%02x:%02x.%u", sid >> 8, PCI_SLOT(sid & 0xff),
		   PCI_FUNC(sid & 0xff));
}

static const char *dbg_domain_type(const struct vtd_domain *dom)
{
	switch (dom->type) {
	case VTD_DOMAIN_DMA:
		return "dma";
	case VTD_DOMAIN_IDENTITY:
		return "identity";
	case VTD_DOMAIN_PASSTHROUGH:
		return "pass-through";
	}
	return "?";
}

static const char * const dbg_level_names[] = {
	[1] = "SL-PTE", [2] = "SL-PDE", [3] = "SL-PDPE", [4] = "SL-PML4E",
};

static const char *dbg_level_name(unsigned int level)
{
	return level < ARRAY_SIZE(dbg_level_names) ? dbg_level_names[level] :
						     "?";
}

/* "RW", "R-", "-W", with "+SNP" when snooping is forced. */
static void dbg_perm(struct seq_file *m, u64 pte)
{
	seq_printf(m, "%c%c%s", pte & DBG_PTE_R ? 'R' : '-',
		   pte & DBG_PTE_W ? 'W' : '-', pte & DBG_PTE_SNP ? "+SNP" : "");
}

/* --- caps: registers decoded (VT-d 11.4.1-11.4.3) -------------------- */

/* A register field: bits [hi:lo], what it means, how to say its value. */
struct dbg_field {
	const char *name;
	u8 hi, lo;
	const char *what;
	void (*words)(struct seq_file *m, u64 val);
};

static void dbg_words_nd(struct seq_file *m, u64 v)
{
	seq_printf(m, "%lu domain IDs", 1UL << (4 + 2 * v));
}

static void dbg_words_sagaw(struct seq_file *m, u64 v)
{
	static const char * const widths[] = {
		"30-bit 2-level", "39-bit 3-level", "48-bit 4-level",
		"57-bit 5-level", "64-bit 6-level",
	};
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		if (v & BIT(i)) {
			seq_printf(m, "%s%s", sep, widths[i]);
			sep = ", ";
		}
	}
	if (!v)
		seq_puts(m, "none");
}

static void dbg_words_mgaw(struct seq_file *m, u64 v)
{
	seq_printf(m, "%llu-bit guest addresses", v + 1);
}

static void dbg_words_offset(struct seq_file *m, u64 v)
{
	seq_printf(m, "at register offset %#llx", v * 16);
}

static void dbg_words_sllps(struct seq_file *m, u64 v)
{
	seq_puts(m, "4 KiB");
	if (v & BIT(0))
		seq_puts(m, ", 2 MiB");
	if (v & BIT(1))
		seq_puts(m, ", 1 GiB");
	if (v & BIT(2))
		seq_puts(m, ", 512 GiB");
	if (v & BIT(3))
		seq_puts(m, ", 1 TiB");
	seq_puts(m, " pages");
}

static void dbg_words_plus_one(struct seq_file *m, u64 v)
{
	seq_printf(m, "%llu", v + 1);
}

static void dbg_words_mamv(struct seq_file *m, u64 v)
{
	seq_printf(m, "up to 2^%llu pages per page-selective request", v);
}

static const struct dbg_field dbg_cap_fields[] = {
	{ "ND", 2, 0, "number of domains", dbg_words_nd },
	{ "AFL", 3, 3, "advanced fault logging" },
	{ "RWBF", 4, 4, "write-buffer flush required" },
	{ "PLMR", 5, 5, "protected low-memory region" },
	{ "PHMR", 6, 6, "protected high-memory region" },
	{ "CM", 7, 7, "caching mode: new mappings need invalidation too" },
	{ "SAGAW", 12, 8, "supported table depths", dbg_words_sagaw },
	{ "MGAW", 21, 16, "maximum guest address width", dbg_words_mgaw },
	{ "ZLR", 22, 22, "zero-length reads" },
	{ "FRO", 33, 24, "fault recording registers", dbg_words_offset },
	{ "SLLPS", 37, 34, "second-level page sizes", dbg_words_sllps },
	{ "PSI", 39, 39, "page-selective IOTLB invalidation" },
	{ "NFR", 47, 40, "fault recording registers", dbg_words_plus_one },
	{ "MAMV", 53, 48, "maximum address mask value", dbg_words_mamv },
	{ "DWD", 54, 54, "write draining" },
	{ "DRD", 55, 55, "read draining" },
	{ "FL1GP", 56, 56, "first-level 1 GiB pages" },
	{ "PI", 59, 59, "posted interrupts" },
	{ "FL5LP", 60, 60, "first-level 5-level paging" },
	{ "ESIRTPS", 62, 62, "SIRTP invalidates the interrupt entry cache" },
	{ "ESRTPS", 63, 63, "SRTP invalidates all caches" },
};

static const struct dbg_field dbg_ecap_fields[] = {
	{ "C", 0, 0, "coherent page walks (0: table writes are clflushed)" },
	{ "QI", 1, 1, "queued invalidation" },
	{ "DT", 2, 2, "device-TLBs (ATS)" },
	{ "IR", 3, 3, "interrupt remapping" },
	{ "EIM", 4, 4, "extended interrupt mode (x2APIC)" },
	{ "PT", 6, 6, "pass-through" },
	{ "SC", 7, 7, "snoop control" },
	{ "IRO", 17, 8, "IOTLB registers", dbg_words_offset },
	{ "MHMV", 23, 20, "maximum interrupt handle mask value" },
	{ "MTS", 25, 25, "memory type support" },
	{ "NEST", 26, 26, "nested translation" },
	{ "PRS", 29, 29, "page requests" },
	{ "ERS", 30, 30, "execute requests" },
	{ "SRS", 31, 31, "supervisor requests" },
	{ "NWFS", 33, 33, "no-write flag" },
	{ "EAFS", 34, 34, "extended accessed flag" },
	{ "PSS", 39, 35, "PASID bits", dbg_words_plus_one },
	{ "PASID", 40, 40, "process address space IDs" },
	{ "DIT", 41, 41, "device-TLB invalidation throttling" },
	{ "PDS", 42, 42, "page-request drain" },
	{ "SMTS", 43, 43, "scalable-mode translation" },
	{ "VCS", 44, 44, "virtual command" },
	{ "SLADS", 45, 45, "second-level accessed/dirty" },
	{ "SLTS", 46, 46, "second-level translation (scalable mode)" },
	{ "FLTS", 47, 47, "first-level translation (scalable mode)" },
	{ "SMPWC", 48, 48, "scalable-mode page-walk coherency" },
};

static void dbg_fields(struct seq_file *m, const char *reg, u64 val,
		       const struct dbg_field *f, unsigned int nr)
{
	char bits[8];
	unsigned int i;
	u64 v;

	seq_printf(m, "%s %#018llx\n", reg, val);
	for (i = 0; i < nr; i++, f++) {
		v = (val >> f->lo) & GENMASK_ULL(f->hi - f->lo, 0);
		if (f->hi == f->lo) {
			snprintf(bits, sizeof(bits), "[%u]", f->lo);
			seq_printf(m, "  %-7s %-7s %-5s %s\n", f->name, bits,
				   v ? "yes" : "no", f->what);
			continue;
		}
		snprintf(bits, sizeof(bits), "[%u:%u]", f->hi, f->lo);
		seq_printf(m, "  %-7s %-7s %#-5llx %s: ", f->name, bits, v,
			   f->what);
		if (f->words)
			f->words(m, v);
		else
			seq_printf(m, "%llu", v);
		seq_putc(m, '\n');
	}
}

/* How faults reach the module: the fault event interrupt, or polling. */
static void dbg_fault_mode(struct seq_file *m, struct vtd_unit *unit)
{
	const struct vtd_irq *vi = &unit->fault_irq;

	if (!vi->irq) {
		seq_puts(m, "  faults          polled\n");
		return;
	}
	seq_printf(m, "  faults          interrupt %u (FEADDR %#x FEUADDR %#x FEDATA %#x), %lld taken; polled as a backstop\n",
		   vi->irq, READ_ONCE(vi->addr), READ_ONCE(vi->upper),
		   READ_ONCE(vi->msi_data),
		   (s64)atomic64_read(&unit->fault_irqs));
}

static int caps_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_domain *def = unit->default_domain;

	seq_printf(m, "%s at %#llx, segment %u\n", unit->name,
		   unit->drhd->base, unit->drhd->segment);
	seq_printf(m, "VER  %#010x  version %u.%u\n", unit->ver,
		   (unit->ver >> 4) & 0xf, unit->ver & 0xf);
	dbg_fields(m, "CAP ", unit->cap, dbg_cap_fields,
		   ARRAY_SIZE(dbg_cap_fields));
	dbg_fields(m, "ECAP", unit->ecap, dbg_ecap_fields,
		   ARRAY_SIZE(dbg_ecap_fields));
	seq_puts(m, "in use:\n");
	seq_printf(m, "  tables          %u-level (%u bits), IOVAs below 2^%u\n",
		   unit->aw_bits == 48 ? 4 : 3, unit->aw_bits,
		   unit->iova_bits);
	seq_printf(m, "  domain IDs      %lu\n", unit->nr_domain_ids);
	seq_printf(m, "  invalidation    %s\n",
		   unit->qi_on ? "queued" : "register-based");
	seq_printf(m, "  translation     %s\n", unit->translating ? "on" : "off");
	dbg_fault_mode(m, unit);
	if (def)
		seq_printf(m, "  default domain  %u (%s)\n", def->did,
			   dbg_domain_type(def));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(caps);

/* --- faults ---------------------------------------------------------- */

static void dbg_fault(struct seq_file *m, const struct vtd_fault *f)
{
	u32 usec;
	u64 sec = div_u64_rem(f->time_ns, NSEC_PER_SEC, &usec);

	seq_printf(m, "#%llu [%5llu.%06u] ", f->seq, sec, usec / 1000);
	dbg_sid(m, f->sid);
	seq_printf(m, " %s at IOVA %#llx: reason %#x, %s\n",
		   f->read ? "read" : "write", f->addr, f->reason,
		   vtd_fault_reason(f->reason));
}

/* The sources a fault storm got blocked, one per line. */
static void dbg_blocked(struct seq_file *m, struct vtd_unit *unit)
{
	u16 sids[16];
	unsigned int i, n = vtd_unit_blocked_sources(unit, sids,
						     ARRAY_SIZE(sids));

	seq_printf(m, "%u source(s) blocked by fault storms (%u faults within %u ms)%s\n",
		   n, READ_ONCE(vtd_fault_storm_faults),
		   READ_ONCE(vtd_fault_storm_ms), n ? ":" : "");
	for (i = 0; i < min_t(unsigned int, n, ARRAY_SIZE(sids)); i++) {
		seq_puts(m, "blocked ");
		dbg_sid(m, sids[i]);
		seq_printf(m, " (source ID %#06x)\n", sids[i]);
	}
}

static int faults_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_fault *ring;
	unsigned long flags;
	u64 seq, s, first;

	ring = kmalloc(sizeof(unit->fault_ring), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	/* Take what the hardware holds now, then copy the ring. */
	vtd_unit_poll_faults(unit);
	spin_lock_irqsave(&unit->fault_lock, flags);
	seq = unit->fault_seq;
	memcpy(ring, unit->fault_ring, sizeof(unit->fault_ring));
	spin_unlock_irqrestore(&unit->fault_lock, flags);

	first = seq > VTD_FAULT_RING ? seq - VTD_FAULT_RING + 1 : 1;
	seq_printf(m, "%llu fault(s) so far, %llu overflow(s); ", seq,
		   (u64)atomic64_read(&unit->stats.fault_overflows));
	if (seq)
		seq_printf(m, "the last %llu, oldest first:\n", seq - first + 1);
	else
		seq_puts(m, "none recorded\n");
	for (s = first; s && s <= seq; s++)
		dbg_fault(m, &ring[(s - 1) % VTD_FAULT_RING]);
	kfree(ring);
	dbg_blocked(m, unit);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(faults);

/* "bus:dev.fn" (hex, as lspci prints it) or a source ID ("0x18", "24"). */
static int dbg_parse_sid(const char *buf, u16 *sid)
{
	unsigned int bus, dev, fn;
	char end;

	if (sscanf(buf, "%x:%x.%x%c", &bus, &dev, &fn, &end) >= 3) {
		if (bus > 0xff || dev > 0x1f || fn > 7)
			return -EINVAL;
		*sid = PCI_DEVID(bus, PCI_DEVFN(dev, fn));
		return 0;
	}
	return kstrtou16(buf, 0, sid);
}

static ssize_t unblock_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct vtd_unit *unit = file->private_data;
	char buf[32];
	u16 sid;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = dbg_parse_sid(strim(buf), &sid);
	if (!ret)
		ret = vtd_unit_unblock_source(unit, sid);
	return ret ? ret : len;
}

static const struct file_operations unblock_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = unblock_write,
	.llseek = noop_llseek,
};

/* --- counters -------------------------------------------------------- */

static const char * const dbg_inv_names[VTD_INV_NR] = {
	[VTD_INV_CC_GLOBAL] = "inv_context_global",
	[VTD_INV_CC_DEVICE] = "inv_context_device",
	[VTD_INV_IOTLB_GLOBAL] = "inv_iotlb_global",
	[VTD_INV_IOTLB_DOMAIN] = "inv_iotlb_domain",
	[VTD_INV_IOTLB_PAGE] = "inv_iotlb_page",
};

static void dbg_counter(struct seq_file *m, const char *name, u64 val)
{
	seq_printf(m, "%-22s %llu\n", name, val);
}

static int counters_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_unit_counters *c = &unit->stats;
	unsigned int i, nr_domains = 0, nr_devices = 0;
	struct vtd_pool_stats ps;
	struct vtd_domain *dom;

	for (i = 0; i < VTD_INV_NR; i++)
		dbg_counter(m, dbg_inv_names[i], atomic64_read(&c->inv[i]));
	dbg_counter(m, "inv_failed", atomic64_read(&c->inv_failed));
	dbg_counter(m, "qi_descriptors", atomic64_read(&c->qi_submitted));
	dbg_counter(m, "qi_full", atomic64_read(&c->qi_full));
	dbg_counter(m, "sources_blocked", atomic64_read(&c->sources_blocked));
	dbg_counter(m, "ctx_clear_failed", atomic64_read(&c->ctx_clear_failed));
	dbg_counter(m, "domains_abandoned",
		    atomic64_read(&c->domains_abandoned));
	dbg_counter(m, "write_buffer_flushes", atomic64_read(&c->wbf));
	dbg_counter(m, "faults", atomic64_read(&c->faults));
	dbg_counter(m, "fault_overflows", atomic64_read(&c->fault_overflows));
	dbg_counter(m, "fault_polls", atomic64_read(&c->fault_polls));
	dbg_counter(m, "fault_interrupts", atomic64_read(&unit->fault_irqs));

	vtd_pool_get_stats(&unit->pool, &ps);
	dbg_counter(m, "pool_free_pages", ps.in_pool);
	dbg_counter(m, "pool_reserved_pages", ps.reserved);
	dbg_counter(m, "pool_pages_in_use", ps.in_use);
	dbg_counter(m, "pool_refills", ps.refills);
	dbg_counter(m, "pool_misses", ps.misses);
	dbg_counter(m, "quarantine_orphan_pages", vtd_flush_unit_orphans(unit));

	mutex_lock(&unit->mutex);
	list_for_each_entry(dom, &unit->domains, node) {
		nr_domains++;
		if (dom != unit->default_domain)
			nr_devices += dom->nr_devices;
	}
	mutex_unlock(&unit->mutex);
	dbg_counter(m, "domains", nr_domains);
	dbg_counter(m, "devices_attached", nr_devices);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/* --- domains --------------------------------------------------------- */

/* The next allocated (@alloc) or reserved range at or above @pfn. */
static bool dbg_next_range(struct vtd_domain *dom, unsigned long pfn,
			   bool alloc, struct vtd_iova_range *r)
{
	while (!vtd_iova_find_next(&dom->iova, pfn, r)) {
		if (r->reserved != alloc)
			return true;
		pfn = r->pfn_last + 1;
	}
	return false;
}

static void dbg_range(struct seq_file *m, const struct vtd_iova_range *r)
{
	u64 lo = (u64)r->pfn_lo << VTD_PAGE_SHIFT;
	u64 end = (u64)(r->pfn_last + 1) << VTD_PAGE_SHIFT;

	seq_printf(m, "[%#llx-%#llx] ", lo, end - 1);
	dbg_size(m, end - lo);
}

static void dbg_domain_devices(struct seq_file *m, struct vtd_domain *dom)
{
	struct vtd_domain_dev *dd;
	unsigned int i;

	if (dom == dom->unit->default_domain) {
		seq_puts(m, "  devices: every device of the unit not attached elsewhere\n");
		return;
	}
	seq_printf(m, "  devices: %u\n", dom->nr_devices);
	list_for_each_entry(dd, &dom->devices, node) {
		seq_printf(m, "    %s, source ID(s)", pci_name(dd->pdev));
		for (i = 0; i < dd->nr_sids; i++) {
			seq_putc(m, ' ');
			dbg_sid(m, dd->sids[i]);
		}
		seq_putc(m, '\n');
	}
}

static void dbg_domain_iova(struct seq_file *m, struct vtd_domain *dom)
{
	struct vtd_iova_stats st;
	struct vtd_iova_range r;
	unsigned long pfn = 0;

	vtd_iova_get_stats(&dom->iova, &st);
	seq_printf(m, "  IOVA: %lu range(s) of %lu page(s) allocated, largest free gap %lu page(s), %zu bytes of tree\n",
		   st.nr_allocated, st.allocated_frames, st.largest_gap,
		   st.bytes);
	seq_printf(m, "  reserved: %lu range(s) of %lu page(s)\n",
		   st.nr_reserved, st.reserved_frames);
	while (dbg_next_range(dom, pfn, false, &r)) {
		cond_resched();
		seq_puts(m, "    ");
		dbg_range(m, &r);
		seq_putc(m, '\n');
		pfn = r.pfn_last + 1;
	}
}

static void dbg_domain(struct seq_file *m, struct vtd_domain *dom)
{
	seq_printf(m, "domain %u: %s%s\n", dom->did, dbg_domain_type(dom),
		   dom == dom->unit->default_domain ? ", the unit's default" :
						      "");
	dbg_domain_devices(m, dom);
	if (dom->type != VTD_DOMAIN_PASSTHROUGH) {
		struct vtd_domain_stats st;

		vtd_domain_get_stats(dom, &st);
		seq_puts(m, "  mapped: ");
		dbg_size(m, st.mapped > 0 ? st.mapped : 0);
		seq_printf(m, " now, %llu map(s), %llu unmap(s), %ld table page(s), %u-level\n",
			   st.maps, st.unmaps,
			   atomic_long_read(&dom->pgt.nr_tables),
			   dom->pgt.levels);
		seq_printf(m, "  unmap: %s, %lu range(s) quarantined\n",
			   vtd_flush_mode_name(vtd_flush_mode(dom)),
			   vtd_flush_quarantined_ranges(dom));
	} else {
		seq_puts(m, "  no page table, no IOVAs: context entries pass DMA through (TT=2)\n");
		return;
	}
	dbg_domain_iova(m, dom);
}

static int domains_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_domain *dom;

	mutex_lock(&unit->mutex);
	list_for_each_entry(dom, &unit->domains, node)
		dbg_domain(m, dom);
	mutex_unlock(&unit->mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(domains);

static int contexts_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	unsigned int sid;
	u16 did;
	int tt;

	for (sid = 0; sid <= 0xffff; sid++) {
		if (!(sid & 0xff) && !READ_ONCE(unit->ctx[sid >> 8])) {
			sid += 0xff;
			continue;
		}
		if (!vtd_unit_read_context(unit, sid, &did, &tt))
			continue;
		dbg_sid(m, sid);
		seq_printf(m, " did %u %s\n", did, tt < 0 ? "blocked" :
			   tt == 2 ? "pass-through" : "translated");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(contexts);

/* --- a domain's mappings --------------------------------------------- */

/*
 * A seq_file iterator over the domain's allocated ranges: record 0 is the
 * header, record k the k-th allocated range. The range last found and
 * where its search began are kept, so reading on (or re-reading the record
 * that did not fit) costs one O(log n) lookup; any other seek starts over.
 */
struct dbg_map_iter {
	struct vtd_domain *dom;
	bool valid;			/* @pos, @pfn and @r describe a record */
	loff_t pos;
	unsigned long pfn;		/* where the search for @r began */
	struct vtd_iova_range r;
};

static void *dbg_map_seek(struct dbg_map_iter *it, loff_t pos)
{
	struct vtd_iova_range r;
	unsigned long pfn = 0;
	loff_t p;

	if (pos == 0)
		return SEQ_START_TOKEN;
	if (it->valid && pos == it->pos) {
		pfn = it->pfn;
	} else if (it->valid && pos == it->pos + 1) {
		pfn = it->r.pfn_last + 1;
	} else {
		/* From the start: skip pos - 1 ranges. */
		for (p = 1; p < pos; p++) {
			if (!dbg_next_range(it->dom, pfn, true, &r))
				return NULL;
			pfn = r.pfn_last + 1;
		}
	}
	it->valid = dbg_next_range(it->dom, pfn, true, &it->r);
	it->pos = pos;
	it->pfn = pfn;
	return it->valid ? &it->r : NULL;
}

static void *mappings_start(struct seq_file *m, loff_t *pos)
{
	struct dbg_map_iter *it = m->private;

	if (it->dom->type == VTD_DOMAIN_PASSTHROUGH && *pos)
		return NULL;
	return dbg_map_seek(it, *pos);
}

static void *mappings_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct dbg_map_iter *it = m->private;

	++*pos;
	if (it->dom->type == VTD_DOMAIN_PASSTHROUGH)
		return NULL;
	return dbg_map_seek(it, *pos);
}

static void mappings_stop(struct seq_file *m, void *v)
{
}

/* A run of pages of one range: mapped contiguously alike, or not mapped. */
struct dbg_seg {
	u64 iova;
	u64 size;
	phys_addr_t phys;
	u64 attr;		/* R, W, SNP; 0: not mapped */
	unsigned int level;
};

static void dbg_seg_show(struct seq_file *m, const struct dbg_seg *s)
{
	seq_printf(m, "    %#llx ", s->iova);
	dbg_size(m, s->size);
	if (!s->attr) {
		seq_puts(m, " not mapped\n");
		return;
	}
	seq_printf(m, " -> %#llx ", (u64)s->phys);
	dbg_perm(m, s->attr);
	seq_printf(m, " in %s\n", dbg_level_name(s->level));
}

/* Where [lo, end) of the domain points, run by run. */
static void dbg_range_segs(struct seq_file *m, struct vtd_domain *dom,
			   u64 lo, u64 end)
{
	unsigned int shown = 0, more = 0, level, steps = 0;
	struct dbg_seg cur = {}, s;
	u64 iova, pte, lsize, off;

	for (iova = lo; iova < end; iova += s.size) {
		if (!(++steps % DBG_PGT_CHUNK))
			cond_resched();
		s = (struct dbg_seg) { .iova = iova, .size = VTD_PAGE_SIZE };
		if (!vtd_pgtable_leaf(&dom->pgt, iova, &pte, &level)) {
			lsize = BIT_ULL(VTD_PAGE_SHIFT + 9 * (level - 1));
			off = iova & (lsize - 1);
			s.size = min(lsize - off, end - iova);
			s.phys = (pte & DBG_PTE_ADDR) + off;
			s.attr = pte & (DBG_PTE_R | DBG_PTE_W | DBG_PTE_SNP);
			s.level = level;
		}
		/* Extend the current run if this continues it. */
		if (cur.size && cur.attr == s.attr && cur.level == s.level &&
		    (!s.attr || cur.phys + cur.size == s.phys)) {
			cur.size += s.size;
			continue;
		}
		if (cur.size && shown++ < DBG_MAP_MAX_SEGS)
			dbg_seg_show(m, &cur);
		else if (cur.size)
			more++;
		cur = s;
	}
	if (cur.size && shown++ < DBG_MAP_MAX_SEGS)
		dbg_seg_show(m, &cur);
	else if (cur.size)
		more++;
	if (more)
		seq_printf(m, "    ... and %u more run(s)\n", more);
}

static int mappings_show(struct seq_file *m, void *v)
{
	struct dbg_map_iter *it = m->private;
	struct vtd_domain *dom = it->dom;
	struct vtd_iova_range *r = v;
	struct vtd_iova_stats st;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "%s domain %u (%s)", dom->unit->name, dom->did,
			   dbg_domain_type(dom));
		if (dom->type == VTD_DOMAIN_PASSTHROUGH) {
			seq_puts(m, ": pass-through, nothing is mapped\n");
			return 0;
		}
		vtd_iova_get_stats(&dom->iova, &st);
		seq_printf(m, ": %lu allocated IOVA range(s), %lu page(s); ",
			   st.nr_allocated, st.allocated_frames);
		dbg_size(m, vtd_domain_mapped_bytes(dom));
		seq_puts(m, " mapped\n");
		if (dom->type == VTD_DOMAIN_IDENTITY)
			seq_puts(m, "identity domain: RAM and RMRRs are mapped 1:1 without IOVA ranges (see pgtable)\n");
		return 0;
	}
	dbg_range(m, r);
	seq_putc(m, '\n');
	dbg_range_segs(m, dom, (u64)r->pfn_lo << VTD_PAGE_SHIFT,
		       (u64)(r->pfn_last + 1) << VTD_PAGE_SHIFT);
	return 0;
}

static const struct seq_operations mappings_sops = {
	.start = mappings_start,
	.next = mappings_next,
	.stop = mappings_stop,
	.show = mappings_show,
};

static int mappings_open(struct inode *inode, struct file *file)
{
	struct dbg_map_iter *it;

	it = __seq_open_private(file, &mappings_sops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->dom = inode->i_private;
	return 0;
}

static const struct file_operations mappings_fops = {
	.owner = THIS_MODULE,
	.open = mappings_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* --- a domain's page table ------------------------------------------- */

/*
 * The dump's state. The walk runs with IRQs off (vtd_pgtable_walk()), so
 * it is cut into chunks of DBG_PGT_CHUNK entries: a chunk stops before an
 * entry, and the next one starts from that entry's IOVA. The walk then
 * reports again the table entries on the way down to it; @table_end says
 * which were printed already.
 */
struct dbg_pgt_dump {
	struct seq_file *m;
	unsigned int levels;
	unsigned int lines;
	unsigned int budget;			/* entries left in this chunk */
	u64 from;				/* where the next chunk starts */
	/* Per level: the end of the last table entry printed (0: none). */
	u64 table_end[5];
	bool have_run;
	struct vtd_pgtable_walk_entry run;	/* first leaf of the run */
	u64 run_pages;				/* leaves in the run */
};

static void dbg_indent(struct dbg_pgt_dump *d, unsigned int level)
{
	seq_printf(d->m, "%*s", 2 * (d->levels - level), "");
}

static void dbg_pgt_flush_run(struct dbg_pgt_dump *d)
{
	struct vtd_pgtable_walk_entry *e = &d->run;
	u64 bytes = e->size * d->run_pages;

	if (!d->have_run)
		return;
	d->have_run = false;
	d->lines++;
	dbg_indent(d, e->level);
	seq_printf(d->m, "L%u %-8s [%#llx-%#llx] -> [%#llx-%#llx] %llu x ",
		   e->level, dbg_level_name(e->level), e->iova,
		   e->iova + bytes - 1, (u64)e->phys, (u64)e->phys + bytes - 1,
		   d->run_pages);
	dbg_size(d->m, e->size);
	seq_putc(d->m, ' ');
	dbg_perm(d->m, e->pte);
	seq_printf(d->m, " (pte %#llx)\n", e->pte);
}

/* Whether leaf @e continues the pending run: same kind, both contiguous. */
static bool dbg_pgt_extends(const struct dbg_pgt_dump *d,
			    const struct vtd_pgtable_walk_entry *e)
{
	const struct vtd_pgtable_walk_entry *r = &d->run;
	u64 bytes = r->size * d->run_pages;

	return d->have_run && e->level == r->level &&
	       e->iova == r->iova + bytes && e->phys == r->phys + bytes &&
	       (e->pte & ~DBG_PTE_ADDR) == (r->pte & ~DBG_PTE_ADDR);
}

static int dbg_pgt_entry(void *arg, const struct vtd_pgtable_walk_entry *e)
{
	struct dbg_pgt_dump *d = arg;

	/* seq_file retries with a bigger buffer: no use going on. */
	if (seq_has_overflowed(d->m))
		return -EOVERFLOW;
	if (!d->budget--) {
		d->from = e->iova;
		return -EAGAIN;
	}
	if (!e->leaf && e->level < ARRAY_SIZE(d->table_end) &&
	    e->iova < d->table_end[e->level])
		return 0;	/* printed by an earlier chunk */
	if (e->leaf && dbg_pgt_extends(d, e)) {
		d->run_pages++;
		return 0;
	}
	dbg_pgt_flush_run(d);
	if (d->lines >= DBG_PGT_MAX_LINES)
		return -E2BIG;
	if (e->leaf) {
		d->run = *e;
		d->run_pages = 1;
		d->have_run = true;
		return 0;
	}
	if (e->level < ARRAY_SIZE(d->table_end))
		d->table_end[e->level] = e->iova + e->size;
	d->lines++;
	dbg_indent(d, e->level);
	seq_printf(d->m, "L%u %-8s [%#llx-%#llx] -> table %#llx (pte %#llx)\n",
		   e->level, dbg_level_name(e->level), e->iova,
		   e->iova + e->size - 1, (u64)e->phys, e->pte);
	return 0;
}

static int pgtable_show(struct seq_file *m, void *unused)
{
	struct vtd_domain *dom = m->private;
	struct vtd_pgtable *pgt = &dom->pgt;
	struct dbg_pgt_dump d = { .m = m, .levels = pgt->levels };
	int ret;

	seq_printf(m, "%s domain %u (%s)", dom->unit->name, dom->did,
		   dbg_domain_type(dom));
	if (dom->type == VTD_DOMAIN_PASSTHROUGH || !pgt->root) {
		seq_puts(m, ": no page table\n");
		return 0;
	}
	seq_printf(m, ": %u-level table, %u-bit IOVAs, root %#llx, %ld table page(s)\n",
		   pgt->levels, pgt->aw_bits, (u64)vtd_pgtable_root_phys(pgt),
		   atomic_long_read(&pgt->nr_tables));
	do {
		d.budget = DBG_PGT_CHUNK;
		ret = vtd_pgtable_walk(pgt, d.from, dbg_pgt_entry, &d);
		cond_resched();
	} while (ret == -EAGAIN);
	dbg_pgt_flush_run(&d);
	if (ret == -E2BIG)
		seq_printf(m, "... stopped after %u lines\n", d.lines);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgtable);

static int flush_show(struct seq_file *m, void *unused)
{
	vtd_flush_show(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(flush);

/* --- units ----------------------------------------------------------- */

static int units_show(struct seq_file *m, void *unused)
{
	unsigned int nr_domains, nr_devices;
	struct vtd_domain *dom;
	struct vtd_unit *unit;
	struct dbg_unit *du;

	mutex_lock(&vtd_debugfs_lock);
	list_for_each_entry(du, &vtd_debugfs_units, node) {
		unit = du->unit;
		nr_domains = 0;
		nr_devices = 0;
		mutex_lock(&unit->mutex);
		list_for_each_entry(dom, &unit->domains, node) {
			nr_domains++;
			if (dom != unit->default_domain)
				nr_devices += dom->nr_devices;
		}
		mutex_unlock(&unit->mutex);
		seq_printf(m, "%s at %#llx: VER %u.%u CAP %#llx ECAP %#llx, %u-bit %u-level, %s invalidation%s, translation %s, %u domain(s), %u device(s) attached\n",
			   unit->name, unit->drhd->base, (unit->ver >> 4) & 0xf,
			   unit->ver & 0xf, unit->cap, unit->ecap,
			   unit->aw_bits, unit->aw_bits == 48 ? 4 : 3,
			   unit->qi_on ? "queued" : "register-based",
			   unit->cap & DBG_CAP_CM ? ", caching mode" :
							      "",
			   unit->translating ? "on" : "off", nr_domains,
			   nr_devices);
	}
	mutex_unlock(&vtd_debugfs_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(units);

/* --- registration ---------------------------------------------------- */

static void dbg_add_domain_locked(struct vtd_domain *dom)
{
	struct dentry *dir;
	char name[24];

	lockdep_assert_held(&vtd_debugfs_lock);
	if (!vtd_debugfs_root || !dom->unit->debugfs || dom->debugfs)
		return;
	snprintf(name, sizeof(name), "domain%u", dom->did);
	dir = debugfs_create_dir(name, dom->unit->debugfs);
	debugfs_create_file("mappings", 0444, dir, dom, &mappings_fops);
	debugfs_create_file("pgtable", 0444, dir, dom, &pgtable_fops);
	debugfs_create_file("flush", 0444, dir, dom, &flush_fops);
	dom->debugfs = dir;
}

/**
 * vtd_debugfs_add_domain() - give a domain its directory, domain<DID>/
 * @dom: a domain on its unit's list
 *
 * Does nothing before the unit's directory exists (vtd_debugfs_add_unit()
 * then adds the unit's default domain) or after vtd_debugfs_exit().
 * Context: process, without @dom->unit->mutex.
 */
void vtd_debugfs_add_domain(struct vtd_domain *dom)
{
	mutex_lock(&vtd_debugfs_lock);
	dbg_add_domain_locked(dom);
	mutex_unlock(&vtd_debugfs_lock);
}

/**
 * vtd_debugfs_remove_domain() - remove a domain's directory
 * @dom: the domain, about to be freed
 *
 * Returns once no reader is in the domain's files any more.
 * Context: process, without @dom->unit->mutex (readers take it).
 */
void vtd_debugfs_remove_domain(struct vtd_domain *dom)
{
	struct dentry *dir = NULL;

	mutex_lock(&vtd_debugfs_lock);
	/* After vtd_debugfs_exit() the directory went with the root. */
	if (vtd_debugfs_root)
		dir = dom->debugfs;
	dom->debugfs = NULL;
	mutex_unlock(&vtd_debugfs_lock);
	debugfs_remove_recursive(dir);
}

/**
 * vtd_debugfs_add_unit() - give a unit its directory, dmar<N>/
 * @unit: a unit that is up, with its default domain
 *
 * Context: process.
 */
void vtd_debugfs_add_unit(struct vtd_unit *unit)
{
	struct dbg_unit *du = kzalloc(sizeof(*du), GFP_KERNEL);
	struct dentry *dir;

	mutex_lock(&vtd_debugfs_lock);
	if (!vtd_debugfs_root || unit->debugfs || !du) {
		mutex_unlock(&vtd_debugfs_lock);
		kfree(du);
		return;
	}
	du->unit = unit;
	list_add_tail(&du->node, &vtd_debugfs_units);
	dir = debugfs_create_dir(unit->name, vtd_debugfs_root);
	debugfs_create_file("caps", 0444, dir, unit, &caps_fops);
	debugfs_create_file("faults", 0444, dir, unit, &faults_fops);
	debugfs_create_file("unblock", 0200, dir, unit, &unblock_fops);
	debugfs_create_file("counters", 0444, dir, unit, &counters_fops);
	debugfs_create_file("domains", 0444, dir, unit, &domains_fops);
	debugfs_create_file("contexts", 0444, dir, unit, &contexts_fops);
	unit->debugfs = dir;
	if (unit->default_domain)
		dbg_add_domain_locked(unit->default_domain);
	mutex_unlock(&vtd_debugfs_lock);
}

/* groups: every device group (vtd_group.c). */
static int groups_show(struct seq_file *m, void *unused)
{
	return vtd_groups_show(m);
}
DEFINE_SHOW_ATTRIBUTE(groups);

/**
 * vtd_debugfs_init() - make /sys/kernel/debug/vtd_remap/ and its units file
 *
 * Context: process, at module init, before any unit comes up.
 */
void vtd_debugfs_init(void)
{
	struct dentry *root = debugfs_create_dir(KBUILD_MODNAME, NULL);

	if (IS_ERR(root)) {
		pr_info("not available (%ld)\n", PTR_ERR(root));
		return;
	}
	debugfs_create_file("units", 0444, root, NULL, &units_fops);
	debugfs_create_file("groups", 0444, root, NULL, &groups_fops);
	mutex_lock(&vtd_debugfs_lock);
	vtd_debugfs_root = root;
	mutex_unlock(&vtd_debugfs_lock);
}

/**
 * vtd_debugfs_exit() - remove everything
 *
 * Returns once no reader is in any of the files. Units and domains may be
 * freed afterwards; vtd_debugfs_remove_domain() is then a no-op.
 * Context: process, at module exit.
 */
void vtd_debugfs_exit(void)
{
	struct dbg_unit *du, *tmp;
	struct dentry *root;
	LIST_HEAD(units);

	mutex_lock(&vtd_debugfs_lock);
	root = vtd_debugfs_root;
	vtd_debugfs_root = NULL;
	mutex_unlock(&vtd_debugfs_lock);
	/* Outside the lock: the units file's readers take it. */
	debugfs_remove_recursive(root);

	/* The units may be gone already: only our nodes are freed. */
	mutex_lock(&vtd_debugfs_lock);
	list_splice_init(&vtd_debugfs_units, &units);
	mutex_unlock(&vtd_debugfs_lock);
	list_for_each_entry_safe(du, tmp, &units, node)
		kfree(du);
}
