/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap hardware units and domains: the interface the rest of the
 * module (DMA-API shim, debugfs) and the test modules (edu driver, KUnit)
 * use. A unit is one DRHD's remapping hardware; a domain is an IOVA space,
 * a second-level page table and a domain ID on one unit, with the PCI
 * devices attached to it. The theory of operation opens vtd_unit.c.
 */
#ifndef VTD_UNIT_H
#define VTD_UNIT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "iova.h"
#include "vtd_dmar.h"
#include "vtd_flush.h"
#include "vtd_irq.h"
#include "vtd_pgtable.h"
#include "vtd_pool.h"

struct pci_dev;
struct dentry;

/* The unit's page: VT-d tables and addresses count in 4 KiB frames. */
#define VTD_PAGE_SHIFT		12
#define VTD_PAGE_SIZE		BIT(VTD_PAGE_SHIFT)

/* Recent faults kept per unit; a power of two (the ring index is masked). */
#define VTD_FAULT_RING		64

/**
 * struct vtd_fault - one fault taken from a fault recording register
 * @seq:	1 for the unit's first fault, then counting up.
 * @time_ns:	ktime_get_ns() when it was drained.
 * @sid:	source ID: bus << 8 | devfn of the requester.
 * @reason:	fault reason (VT-d 7.1.3, Table 26); see vtd_fault_reason().
 * @read:	the request was a read (FRCD.T = 1); a write otherwise.
 * @addr:	the faulting IOVA, page aligned (FRCD.FI).
 */
struct vtd_fault {
	u64 seq;
	u64 time_ns;
	u16 sid;
	u8 reason;
	bool read;
	u64 addr;
};

/* Fault sources whose rate a unit tracks at once (storm detection). */
#define VTD_STORM_SOURCES	16

/**
 * struct vtd_fault_source - the recent faults of one source ID
 * @sid:	the source ID.
 * @used:	the slot tracks @sid.
 * @blocked:	the storm threshold was crossed: the source is blocked, or
 *		about to be (until vtd_unit_unblock_source()).
 * @count:	faults since @window_ns.
 * @window_ns:	when the current window began (ktime_get_ns()).
 * @total:	faults counted since the slot took @sid.
 * @had_entry:	when it was blocked, @sid had a present context entry (an
 *		unblock gives it back; otherwise it goes back to none).
 */
struct vtd_fault_source {
	u16 sid;
	bool used;
	bool blocked;
	u32 count;
	u64 window_ns;
	u64 total;
	bool had_entry;
};

bool vtd_fault_storm_account(struct vtd_fault_source *srcs, unsigned int n,
			     u16 sid, u64 now_ns, unsigned int max,
			     u64 window_ns);

/**
 * enum vtd_inv_kind - what an invalidation request asks for (counters index)
 * @VTD_INV_CC_GLOBAL:	context cache, global.
 * @VTD_INV_CC_DEVICE:	context cache, one source ID.
 * @VTD_INV_IOTLB_GLOBAL: IOTLB, global.
 * @VTD_INV_IOTLB_DOMAIN: IOTLB, one domain ID.
 * @VTD_INV_IOTLB_PAGE:	IOTLB, an aligned range of one domain ID.
 * @VTD_INV_NR:		number of kinds.
 */
enum vtd_inv_kind {
	VTD_INV_CC_GLOBAL,
	VTD_INV_CC_DEVICE,
	VTD_INV_IOTLB_GLOBAL,
	VTD_INV_IOTLB_DOMAIN,
	VTD_INV_IOTLB_PAGE,
	VTD_INV_NR,
};

/**
 * struct vtd_unit_counters - what a unit has done, for debugfs and tests
 * @inv:	invalidation requests completed, by kind.
 * @inv_failed:	invalidation requests that timed out or hit a queue error.
 * @qi_submitted: descriptors written to the invalidation queue.
 * @qi_full:	submissions refused because the unit had not consumed
 *		enough of the queue to make room.
 * @sources_blocked: fault storms that got a source blocked.
 * @ctx_clear_failed: context entries taken from a domain whose
 *		invalidation failed (the unit may still use the old entry).
 * @domains_abandoned: domains freed while such an entry may be cached:
 *		their table pages and domain ID were kept, never reused.
 * @wbf:	write-buffer flushes.
 * @faults:	faults drained from the recording registers.
 * @fault_overflows: times FSTS.PFO was found set (faults were lost).
 * @fault_polls: fault polls run.
 */
struct vtd_unit_counters {
	atomic64_t inv[VTD_INV_NR];
	atomic64_t inv_failed;
	atomic64_t qi_submitted;
	atomic64_t qi_full;
	atomic64_t sources_blocked;
	atomic64_t ctx_clear_failed;
	atomic64_t domains_abandoned;
	atomic64_t wbf;
	atomic64_t faults;
	atomic64_t fault_overflows;
	atomic64_t fault_polls;
};

/**
 * struct vtd_unit_inject - failures the tests ask the unit code for
 * @inv_fail:	invalidation requests left that fail with -ETIMEDOUT
 *		without reaching the unit (a unit that stopped answering).
 * @qi_stall:	queued submissions left whose tail-register write is
 *		skipped, as if the unit had stopped fetching descriptors.
 * @qi_late:	queued waits left during which the previous wait
 *		descriptor's status write is replayed, as if its completion
 *		arrived late.
 * @qi_bad:	queued submissions left that put a descriptor of an
 *		invalid type ahead of their own (the unit reports IQE).
 * @poll_delay_us: extra delay of every poll of a hardware wait, as a
 *		slow register read would add.
 *
 * Counts are consumed one per event (atomic_dec_if_positive()); zero
 * means no injection. Only the KUnit suite sets them.
 */
struct vtd_unit_inject {
	atomic_t inv_fail;
	atomic_t qi_stall;
	atomic_t qi_late;
	atomic_t qi_bad;
	unsigned int poll_delay_us;
};

/**
 * struct vtd_unit - one DMA remapping hardware unit (one DRHD)
 * @node:	on the module's list of units.
 * @index:	0, 1, ... in DMAR order; the unit is called "dmar<index>".
 * @name:	"dmar<index>".
 * @dmar:	the parsed DMAR table the unit came from (for its RMRRs).
 * @drhd:	the parsed DRHD; lives as long as the module's DMAR table.
 * @regs:	the mapped register window.
 * @ver:	VER_REG.
 * @cap:	CAP_REG.
 * @ecap:	ECAP_REG.
 * @aw_bits:	width the domains' tables cover: 39 (3 levels, SAGAW bit 1)
 *		or 48 (4 levels, SAGAW bit 2), the shallowest covering MGAW.
 * @iova_bits:	width of every domain's IOVA space: @aw_bits, or less if
 *		CAP.MGAW says the unit translates fewer bits.
 * @nr_domain_ids: 2^(4 + 2 * CAP.ND).
 * @pgt_cfg:	template configuration of the unit's page tables.
 * @pool:	page-table pages of every domain on this unit.
 * @mutex:	serialises attach, detach, domain creation and teardown;
 *		protects @domains and @devices. Taken first (see lock order).
 * @domains:	every domain of this unit.
 * @devices:	source ID -> the struct vtd_domain it is attached to (absent:
 *		the default, pass-through or identity, context entry).
 * @default_domain: the identity domain devices use when the unit has no
 *		pass-through, or the pass-through domain (no table) otherwise.
 * @dids:	domain IDs, an IOVA allocator with a granule of 1.
 * @resv:	the holes of every DMA domain on this unit: the module's
 *		template (MSI window), the PCI root-bus memory windows and the
 *		unit's RMRRs; new domains clone it.
 * @ctx_lock:	protects @root and @ctx, and the table writes.
 * @root:	the root table (VT-d 9.1), 256 entries of 16 bytes.
 * @ctx:	the context table of each bus, or NULL (VT-d 9.3).
 * @inv_lock:	serialises invalidation requests (register-based or queued)
 *		and the write-buffer flush; irq-safe, requests are made from
 *		any context.
 * @qi_on:	queued invalidation is enabled; register-based invalidation
 *		is then never used.
 * @qi_queue:	the invalidation queue page (256 descriptors of 16 bytes).
 * @qi_tail:	next free descriptor index.
 * @qi_head:	IQH as last read: the unit has consumed every descriptor
 *		before it; slots from @qi_tail up to it are free.
 * @qi_seq:	sequence number of the last wait descriptor written.
 * @qi_status:	two words: wait descriptors write their sequence number
 *		to [0]; [1] takes the status write of a recovery
 *		descriptor.
 * @translating: translation is enabled (GSTS.TES).
 * @parked:	vtd_unit_park() turned translation and queued invalidation
 *		off for a suspend or a shutdown and vtd_unit_restore() has
 *		not yet turned them back on; invalidation requests then do
 *		nothing (@inv_lock).
 * @park_qi:	queued invalidation was on when the unit was parked.
 * @park_fe:	FEDATA, FEADDR and FEUADDR as they were when parked.
 * @fault_lock:	protects @fault_ring, @fault_seq and fault draining.
 * @fault_ring:	the last VTD_FAULT_RING faults.
 * @fault_seq:	faults drained so far (also the next ring slot).
 * @fault_work:	the fault poll, every fault_poll_ms: the only way faults
 *		are drained without the interrupt, a backstop with it.
 * @fault_irq:	the fault event interrupt; .irq == 0 when faults are only
 *		polled.
 * @fault_irq_on: the interrupt is wired, so reprogramming it may leave
 *		FECTL.IM clear (READ_ONCE/WRITE_ONCE).
 * @fault_irqs:	fault event interrupts taken.
 * @storm:	per-source fault counts, for storm detection (@fault_lock).
 * @storm_work:	blocks the sources @storm marked (needs @mutex).
 * @blocked:	bitmap of 65536 source IDs whose DMA is blocked; changed
 *		under @mutex, read by vtd_unit_set_context().
 * @block_table: an all-zero second-level table: the blocking context
 *		entries point at it (nothing translates).
 * @block_did:	the domain ID of the blocking context entries.
 * @stats:	counters.
 * @inject:	failure injection, for the tests.
 * @debugfs:	the unit's debugfs directory, or NULL.
 */
struct vtd_unit {
	struct list_head node;
	unsigned int index;
	char name[16];
	const struct vtd_dmar_table *dmar;
	const struct vtd_dmar_drhd *drhd;
	void __iomem *regs;
	u32 ver;
	u64 cap;
	u64 ecap;
	unsigned int aw_bits;
	unsigned int iova_bits;
	unsigned long nr_domain_ids;
	struct vtd_pgtable_cfg pgt_cfg;
	struct vtd_pool pool;

	struct mutex mutex;	/* attach/detach; @domains, @devices */
	struct list_head domains;
	struct xarray devices;
	struct vtd_domain *default_domain;
	struct vtd_iova_domain dids;
	struct vtd_iova_domain resv;

	spinlock_t ctx_lock;	/* @root, @ctx and writes to them */
	u64 *root;
	u64 *ctx[256];

	spinlock_t inv_lock;	/* invalidation requests, WBF */
	bool qi_on;
	u64 *qi_queue;
	unsigned int qi_tail;
	unsigned int qi_head;
	u32 qi_seq;
	u32 *qi_status;
	bool translating;
	bool parked;
	bool park_qi;
	u32 park_fe[3];

	spinlock_t fault_lock;	/* @fault_ring, @fault_seq, FRCD draining */
	struct vtd_fault fault_ring[VTD_FAULT_RING];
	u64 fault_seq;
	struct delayed_work fault_work;
	struct vtd_irq fault_irq;
	bool fault_irq_on;
	atomic64_t fault_irqs;
	struct vtd_fault_source storm[VTD_STORM_SOURCES];
	struct work_struct storm_work;
	unsigned long *blocked;
	u64 *block_table;
	u16 block_did;

	struct vtd_unit_counters stats;
	struct vtd_unit_inject inject;
	struct dentry *debugfs;
};

/**
 * enum vtd_domain_type - what a domain's context entries do
 * @VTD_DOMAIN_DMA:	translate through the domain's page table.
 * @VTD_DOMAIN_IDENTITY: translate through a page table that maps all RAM
 *			(and RMRRs) 1:1; for units without pass-through.
 * @VTD_DOMAIN_PASSTHROUGH: context entries with TT=2 (ECAP.PT): no table.
 */
enum vtd_domain_type {
	VTD_DOMAIN_DMA,
	VTD_DOMAIN_IDENTITY,
	VTD_DOMAIN_PASSTHROUGH,
};

/**
 * struct vtd_domain_stats - a domain's counters (one CPU's, or summed)
 * @mapped:	bytes mapped minus bytes unmapped (one CPU's may be negative:
 *		a range may be unmapped on another CPU than it was mapped on).
 * @maps:	successful map calls.
 * @unmaps:	unmap calls.
 */
struct vtd_domain_stats {
	s64 mapped;
	u64 maps;
	u64 unmaps;
};

/**
 * struct vtd_domain - an address space on one unit
 * @unit:	the unit.
 * @node:	on @unit->domains.
 * @type:	see enum vtd_domain_type.
 * @did:	domain ID, unique on @unit.
 * @iova:	the IOVA space: frames 1 .. 2^(aw_bits - 12) - 1 minus the
 *		reserved ranges (MSI window, PCI windows, RMRRs).
 * @pgt:	the second-level table (not for pass-through).
 * @nr_devices:	attached devices (protected by @unit->mutex).
 * @devices:	struct vtd_domain_dev list (protected by @unit->mutex).
 * @stats:	mapped bytes and map/unmap calls, per CPU so that maps and
 *		unmaps on different CPUs share no counter; read them with
 *		vtd_domain_get_stats().
 * @stale:	a context entry taken from this domain could not be
 *		invalidated, so the unit may still walk its table with its
 *		domain ID: freeing it keeps both (protected by @unit->mutex).
 * @flush:	unmap mode, deferred queues and quarantine (vtd_flush.c).
 * @debugfs:	the domain's debugfs directory, or NULL.
 */
struct vtd_domain {
	struct vtd_unit *unit;
	struct list_head node;
	enum vtd_domain_type type;
	u16 did;
	struct vtd_iova_domain iova;
	struct vtd_pgtable pgt;
	unsigned int nr_devices;
	struct list_head devices;
	struct vtd_domain_stats __percpu *stats;
	bool stale;
	struct vtd_flush_domain flush;
	struct dentry *debugfs;
};

/**
 * struct vtd_domain_dev - a PCI device attached to a domain
 * @node:	on the domain's device list.
 * @pdev:	the device (a reference is held).
 * @nr_sids:	source IDs the device uses (its DMA aliases).
 * @sids:	those source IDs (kmalloc()ed, vtd_pci_sids()).
 */
struct vtd_domain_dev {
	struct list_head node;
	struct pci_dev *pdev;
	unsigned int nr_sids;
	u16 *sids;
};

/**
 * vtd_unit_caching_mode() - whether the unit reports CAP.CM
 * @unit: the unit
 *
 * Return: true if not-present entries may be cached, so that a map needs
 * an invalidation too (VT-d 6.1).
 */
static inline bool vtd_unit_caching_mode(const struct vtd_unit *unit)
{
	return unit->cap & BIT_ULL(7);
}

/* The module's units; stable while the module is loaded (set up at init). */
extern struct list_head vtd_units;

/* Unit life cycle (vtd_unit.c), called from the module's init and exit. */
int vtd_units_init(struct vtd_dmar_table *dmar,
		   struct vtd_iova_domain *template);
void vtd_units_exit(void);

struct vtd_unit *vtd_unit_for_pci(struct pci_dev *pdev);
int vtd_pci_segment(int domain);
bool vtd_pci_is_bridge(struct pci_dev *pdev);
int vtd_pci_sids(struct pci_dev *pdev, u16 **sids);
u64 vtd_unit_context_aw(u64 cap, unsigned int aw_bits, bool passthrough);
int vtd_unit_add_device(struct vtd_unit *unit, struct pci_dev *pdev);
void vtd_unit_remove_device(struct vtd_unit *unit, struct pci_dev *pdev);
bool vtd_unit_read_context(struct vtd_unit *unit, u16 sid, u16 *did, int *tt);
const char *vtd_fault_reason(u8 reason);
unsigned int vtd_unit_poll_faults(struct vtd_unit *unit);
bool vtd_unit_find_fault(struct vtd_unit *unit, u16 sid, u64 addr,
			 u64 after_seq, struct vtd_fault *out);
u64 vtd_unit_fault_seq(struct vtd_unit *unit);

int vtd_unit_flush_iotlb_range(struct vtd_unit *unit, u16 did, u64 iova,
			       u64 size, bool tables);
int vtd_unit_flush_iotlb_domain(struct vtd_unit *unit, u16 did);

/* Domains (vtd_domain.c). */
struct vtd_domain *vtd_domain_alloc(struct vtd_unit *unit,
				    enum vtd_domain_type type);
void vtd_domain_free(struct vtd_domain *dom);
int vtd_domain_attach(struct vtd_domain *dom, struct pci_dev *pdev);
int vtd_domain_attach_devs(struct vtd_domain *dom, struct pci_dev **pdevs,
			   unsigned int n);
void vtd_domain_detach(struct vtd_domain *dom, struct pci_dev *pdev);
struct vtd_domain *vtd_domain_of(struct pci_dev *pdev);
int vtd_domain_did_of(struct pci_dev *pdev);
int vtd_domain_map(struct vtd_domain *dom, u64 iova, phys_addr_t phys,
		   u64 size, int prot, gfp_t gfp);
int vtd_domain_map_runs(struct vtd_domain *dom, u64 iova, u64 size,
			vtd_pgtable_next_runs next, void *cookie, int prot,
			gfp_t gfp);
void vtd_domain_map_flush(struct vtd_domain *dom, u64 iova, u64 size);
u64 vtd_domain_unmap(struct vtd_domain *dom, u64 iova, u64 size, gfp_t gfp);
int vtd_domain_unmap_free(struct vtd_domain *dom, u64 iova, u64 size,
			  gfp_t gfp);
int vtd_domain_lookup(struct vtd_domain *dom, u64 iova, phys_addr_t *phys);
unsigned int vtd_domain_take_tag(struct vtd_domain *dom, u64 iova);
void vtd_domain_get_stats(struct vtd_domain *dom, struct vtd_domain_stats *st);
u64 vtd_domain_mapped_bytes(struct vtd_domain *dom);
int vtd_domain_alloc_iova(struct vtd_domain *dom, u64 size, u64 dma_limit,
			  gfp_t gfp, u64 *iova);
void vtd_domain_free_iova(struct vtd_domain *dom, u64 iova, u64 size);

bool vtd_unit_source_blocked(struct vtd_unit *unit, u16 sid);
int vtd_unit_unblock_source(struct vtd_unit *unit, u16 sid);
unsigned int vtd_unit_blocked_sources(struct vtd_unit *unit, u16 *sids,
				      unsigned int max);

/* Exposed for the KUnit suite. */
extern unsigned int vtd_wait_us;
extern unsigned int vtd_fault_storm_faults;
extern unsigned int vtd_fault_storm_ms;
void vtd_unit_account_fault(struct vtd_unit *unit, const struct vtd_fault *f);
void vtd_unit_storm_flush(struct vtd_unit *unit);
int vtd_unit_wait32(struct vtd_unit *unit, unsigned int off, u32 mask,
		    u32 want, const char *what);

/* Internal to vtd_unit.c and vtd_domain.c. */
int vtd_unit_set_context(struct vtd_unit *unit, u16 sid,
			 struct vtd_domain *dom);
void vtd_unit_flush_write_buffer(struct vtd_unit *unit);
void vtd_unit_park(struct vtd_unit *unit);
int vtd_unit_restore(struct vtd_unit *unit);
u32 vtd_unit_gsts(struct vtd_unit *unit);
int vtd_domains_unit_init(struct vtd_unit *unit,
			  struct vtd_iova_domain *template,
			  enum vtd_domain_type default_type);
void vtd_domains_unit_exit(struct vtd_unit *unit);

#endif /* VTD_UNIT_H */
