// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap DMA-API shim: a struct dma_map_ops installed on the PCI devices
 * the module is told to own, so that their unmodified drivers (nvme,
 * virtio-blk, ...) get their DMA addresses from our IOVA allocator, mapped
 * by our page tables, with the IOTLB invalidated on every unmap.
 *
 * Theory of operation
 *
 * 1. Concepts. The module parameter "own" names devices: PCI addresses
 *    ("0000:00:04.0" or "00:04.0"), a unit ("dmar0": every endpoint in its
 *    scope) or "all" (every endpoint of every unit). The unit of
 *    ownership is the device's group (vtd_group.c: devices that share a
 *    requester ID or reach each other without ACS): own= must cover every
 *    member of a group, by address or by a unit or "all", or the group is
 *    not taken. Each owned group gets one DMA domain (vtd_domain.c) which
 *    all its members are attached to at once, and each member gets
 *    vtd_dma_ops. From then on every dma_map_*() / dma_alloc_*() of its
 *    driver lands here: we take an IOVA range under the device's mask, map
 *    it to the buffer's pages and hand the IOVA (plus the buffer's offset
 *    in its page) to the driver as the DMA address. dma_unmap_*() unmaps
 *    and gives the range back in the device's unmap mode (vtd_flush.c):
 *    strict, the IOTLB is invalidated before it returns; deferred, the
 *    range waits on a per-CPU queue for an invalidation within the window.
 *    A word of "own" may end in "@strict", "@deferred" or "@shadow" (the
 *    default is the unmap= parameter). In shadow mode (vtd_shadow.c) the
 *    device's streaming maps up to shadow_max bytes (a buffer, or a whole
 *    scatterlist) are not mapped at all: the data is copied into shadow
 *    buffers of the domain's pool, mapped once for the pool's life, and
 *    back at unmap, which then needs no invalidation; larger ones (or
 *    when the pool cannot serve) are mapped zero-copy as in strict mode.
 *    Bridges are never owned by "all" or a unit name: they do not
 *    originate DMA through the DMA API.
 *
 * 2. Loading order. The ops must be on the device before its driver binds
 *    (a driver's first DMA call is in its probe), and must not change under
 *    a bound driver (its remove frees with the ops it allocated with). So:
 *    - Driver not bound yet (vtd_remap loaded before "modprobe nvme"):
 *      the ops are installed at once; the driver binds later through them.
 *    - Driver already bound (nvme built into the test kernel probes at
 *      boot; the stock guest's init modprobes nvme and virtio_blk before
 *      the scenario): device_release_driver(), attach and install, then
 *      device_attach() probes the driver again, now through the shim. The
 *      disk disappears and comes back (nvme scans its namespaces
 *      asynchronously: wait for the block device).
 *    - In use: the ops are this module's code, so while a driver is bound
 *      through them the module is in use, and so it stays after the
 *      driver is unbound while ranges it mapped are live (nvme frees its
 *      doorbell buffers when its controller's last reference goes, which
 *      a process holding the disk open delays past the remove). Each
 *      owned group holds one module reference while either is true
 *      (vtd_dma_group_use(): the bus notifier's bound and unbound calls,
 *      then a poll every VTD_DMA_BUSY_POLL_MS until the ranges are
 *      freed). So rmmod fails ("in use") until the owned devices' drivers
 *      are unbound and what they mapped is freed; it never goes on under
 *      a driver. The unload refused, everything keeps working through
 *      the shim.
 *    - Unload (nothing in use, or a driver bound while the module was
 *      already going, which gets no reference): unbind a driver still
 *      bound, wait until every range is freed, remove the ops, detach
 *      (the device is back on pass-through), free the domain and probe
 *      every member's driver again, the ones unbound by hand before
 *      rmmod too: the device works without us.
 *    - Added after load (hotplug, a rescan, an SR-IOV VF): the PCI bus
 *      notifier (vtd_hotplug.c) calls vtd_dma_device_added() before any
 *      driver can probe; if "own" (parsed at load and kept until unload)
 *      covers the device - its address, or it is an endpoint of a unit
 *      named or of "all" - it is taken as above with its group (if own=
 *      covers every member and none is in a domain already, as at
 *      load), with no driver to unbind. A record still at its address (a
 *      device whose removal was not seen) is given back first.
 *    - Removed: vtd_dma_device_removed() from the notifier, once the
 *      driver is unbound: as at unload, without a driver to probe again.
 *      If ranges its driver mapped are still live (a disk held open
 *      across a hot unplug: nvme frees later) and no member of its group
 *      has a driver, the group keeps its ops, domain and module reference
 *      and is given back by the poll once they are freed (@gone); a device
 *      added at its address before then finds a stale record, given back
 *      at once after VTD_DMA_IDLE_WAIT_MS with a warning.
 *    A load rebinds drivers of devices in use: unmount and close them
 *    first. Loading drivers concurrently with vtd_remap's load or
 *    unload is not supported (a probe between our unbind and our install
 *    would bind without us). scenarios/unload-busy.sh shows the refusals.
 *
 * 3. Data structures. A struct vtd_dma_dev per owned device, in the
 *    xarray vtd_dma_devs keyed by segment << 16 | bus << 8 | devfn (dense
 *    small keys; xa_load() is lock-free, which the map path needs). It
 *    holds the device (a reference), its unit and domain, and per CPU its
 *    counters and a ring of the last VTD_DMA_RECENT maps made there, for
 *    debugfs. The members of one owned group share a struct
 *    vtd_dma_group: the group as computed when taken, the one domain,
 *    counted by the records pointing at it (under vtd_dma_mutex; the last
 *    record freed frees the domain), and the drivers bound to its members
 *    with the module reference they hold (section 2). The domain's IOVA
 *    allocator is the record of live mappings: an unmap finds the range an
 *    address belongs to there, so no per-mapping memory is spent here,
 *    except a small record per coherent buffer built from separate pages
 *    (section 9).
 *
 * 4. Address layout. A range below VTD_DMA_ROUND_PAGES (32) pages is
 *    rounded up to a power of two, which the allocator aligns naturally:
 *    few size classes, as a per-CPU range cache wants. Above that a
 *    streaming mapping (map_page, map_resource) takes exactly its pages,
 *    at no particular alignment. Allocations (coherent, pages,
 *    noncontiguous) always take a power of two aligned to its size: the
 *    DMA API promises a coherent buffer does not cross a boundary of its
 *    own size's order. Both shapes (align 1; align == size == 2^k) are
 *    the allocator's O(log n) ones. map_sg lays the whole list out in one
 *    range: each segment at the next page, plus its offset in its page; a
 *    segment that would cross a segment boundary (dma_get_seg_boundary(),
 *    a power of two minus one) starts at the boundary instead. The range
 *    is the exact size when it is no larger than the boundary's window
 *    and lands inside one window; otherwise a power of two aligned to its
 *    size, so that positions relative to it are boundary positions too.
 *    The whole list is mapped by one vtd_domain_map_runs(), one walk of
 *    the table, whose runs are the segments that follow each other in
 *    the range and in physical memory (superpages where aligned), so a
 *    physically contiguous list costs one map of its size; adjacent
 *    segments that meet at a page boundary are merged into one DMA
 *    segment while the merge respects the maximum segment size
 *    (dma_get_max_seg_size()) and the boundary. Lists longer than the
 *    largest mapping, or with no room for one range under the mask, are
 *    mapped one range per segment instead, never merged. A range of a
 *    power-of-two size that vtd_dma_map_core() maps (map_page,
 *    map_resource, a contiguous coherent block, map_sg's per-segment
 *    fallback), and map_sg's one range when its first segment is on the
 *    range's first page, keeps log2(pages) + 1 in the tag of its first
 *    leaf (VTD_PGT_TAG()). Its unmap takes the tag back
 *    (vtd_domain_take_tag(), lockless, and only one taker gets it), which
 *    proves the address is such a range's first page and gives its size:
 *    no lookup in the allocator's tree, no shared lock. Any other range's
 *    unmap finds its address's range with vtd_iova_find(), which checks
 *    the address and gives the range's extent (a map_sg range may have
 *    been rounded up) and whose first page must still be mapped (a range
 *    waiting in a per-CPU cache or a flush queue is still allocated in
 *    the tree, so the page table tells a second unmap); an untagged range
 *    is also where a second unmap of a tagged one ends up, and is refused
 *    there once the first has cleared its pages. Two unmaps of one range
 *    at the same moment are a driver bug neither path catches. Either
 *    way the shim unmaps the range and frees it
 *    through vtd_domain_free_iova(): sizes the per-CPU range caches serve
 *    (powers of two up to 32 pages) go to this CPU's cache without a
 *    second search of the tree; other sizes are freed in the tree.
 *    Shadow mode: a shadow's address is its slot's, inside a 64 KiB chunk
 *    range of the pool (keeping the buffer's offset under the device's
 *    min_align_mask); map_sg of a list of up to shadow_max bytes in all
 *    gives each segment its own shadow (or, where the pool cannot serve,
 *    its own zero-copy range, as the per-segment fallback does) and
 *    merges nothing. A longer list is mapped zero-copy as in strict mode,
 *    in one range (copying it would cost its every byte; the one range
 *    costs one invalidation at unmap). An unmap asks the pool first
 *    (vtd_shadow_unmap(): an xarray lookup by chunk); an address in no
 *    chunk is a zero-copy range and released as above (segments inside
 *    a list's range just released are skipped). vtd_dma_release() never
 *    sees a chunk's address, so it never unmaps a chunk. Shadows are counted in the
 *    device's maps but not recorded in the recent-maps rings (the pool's
 *    debugfs lines show them).
 *
 * 5. Invariants.
 *    - dev->dma_ops is &vtd_dma_ops or &vtd_dma_shadow_ops (the latter iff
 *      the record has a shadow pool) iff the device has a record in
 *      vtd_dma_devs iff it is attached to the record's domain. The record
 *      is published before the ops and unpublished after them.
 *    - Either every member of a group has a record, all with one domain,
 *      or none has: groups are taken and given back whole, and their
 *      domain is freed once, after every member is detached.
 *    - Every address handed out lies in a live allocated range of the
 *      device's domain, and that range is mapped to the buffer's pages
 *      with the direction's permissions, or (shadow mode) lies in a busy
 *      slot of a chunk of the device's pool, mapped read-write to the
 *      pool's own pages; a range is unmapped (IOTLB invalidated) before it
 *      is freed; a shadow chunk before its pages are freed
 *      (vtd_shadow.c). A shadow-mode device can reach no page of its
 *      driver's streaming buffers and lists of up to shadow_max bytes,
 *      live or not.
 *    - DMA_MAPPING_ERROR (or a negative count for map_sg) is the only
 *      failure a caller ever sees; nothing is left mapped after one.
 *
 * 6. Locking. vtd_dma_mutex serialises taking and giving back devices,
 *    the parsed "own" (vtd_dma_own) and the debugfs readers; it is
 *    taken first, then the unit's mutex (attach, detach). It is never
 *    held across a call into the driver core that unbinds or probes a
 *    driver (vtd_dma_release_unlocked(), vtd_dma_reprobe()): those call
 *    the PCI bus notifiers under the bus's notifier rwsem, and our
 *    notifier (vtd_hotplug.c) takes vtd_dma_mutex under that rwsem, in
 *    the thread that adds or removes a device (which may hold the PCI
 *    rescan/remove lock and, for an SR-IOV VF, the PF's device_lock) or
 *    binds or unbinds a driver (under the device's device_lock). So
 *    device_lock is never taken under vtd_dma_mutex either (debugfs
 *    reads the driver's name the notifier recorded, not dev->driver), a
 *    module reference is taken and dropped under vtd_dma_mutex, and a
 *    PF driver that adds or removes its VFs in its probe or remove
 *    does so while we do not hold it. While it is dropped: the records
 *    of a group being taken are published before its drivers are
 *    unbound but marked @leaving until its ops are installed, and after
 *    its drivers are probed again a member is reached only by a fresh
 *    lookup (it may have been removed and given back meanwhile; the
 *    take's own reference keeps the group and its devices); a record
 *    being given back is marked @leaving too. The notifier leaves a
 *    @leaving record to the thread that marked it (a device removed
 *    meanwhile then keeps a default context entry for its old requester
 *    ID; one added at its address is not taken). vtd_dma_devs is walked with xa_for_each(),
 *    which copes with records erased while the mutex was dropped. The
 *    DMA ops take no sleeping lock: xa_load() under RCU, then the
 *    allocator's, the page table's, the pool's and the unit's
 *    invalidation spinlocks (all irq-safe). This CPU's ring of recent
 *    maps takes no lock: a map claims a slot with this_cpu_inc_return()
 *    (which an interrupt on the CPU cannot split) and writes it between
 *    two updates of the slot's sequence; a debugfs reader copies a slot
 *    and keeps it only if the sequence was even and unchanged around the
 *    copy (it skips a slot still changing after a few tries). The
 *    record's counters are per CPU, so a map or an unmap writes only
 *    this CPU's counters (and a map this CPU's ring). The bufs xarray's
 *    own lock is taken only by allocations and frees of buffers built
 *    from separate pages, which sleep anyway (vmap, vunmap); other frees
 *    only look it up, under RCU. A record is freed only after its driver
 *    is unbound and its ops removed, so no op can be running on it.
 *
 * 7. Context. map_page, map_sg and map_resource may be called in any
 *    context, interrupts included (nvme and virtio unmap in their
 *    completion interrupts, network drivers map in softirq): they allocate
 *    with GFP_ATOMIC and map with a non-blocking gfp, so page-table pages
 *    come from the unit's preallocated pool. A shadow pool grows the same
 *    way, up to its bound (vtd_shadow.c), and falls back to a zero-copy
 *    mapping when it cannot; the syncs copy in any context. Coherent allocation and
 *    alloc_pages follow the caller's gfp; buffers built from separate
 *    pages (coherent, noncontiguous) need a caller that may sleep (vmap,
 *    the pages array). The largest streaming mapping (max_mapping_size)
 *    is the one whose worst-case table pages fit in half of the pool's
 *    low watermark.
 *
 * 8. Failure policy. A failed map or allocation leaves nothing behind and
 *    returns the DMA API's error (or NULL). An unmap of an address we never handed out is a
 *    driver bug: WARN_ON_ONCE, counted, and nothing is freed (a coherent
 *    buffer we cannot vouch for is leaked rather than freed). A device
 *    that cannot be owned fails the load if it was named by address, and
 *    is skipped with a message if it was only in a unit's scope. A group
 *    own= covers only in part is such a device: named by address, the
 *    load fails; otherwise it is skipped; either way with a message
 *    naming the group and its members. A device that cannot be owned at
 *    all (no unit, a PCI domain beyond 16 bits, a bridge named by
 *    address) likewise.
 *
 * 9. Allocations. dma_alloc_coherent() takes one zeroed contiguous block
 *    when its order is below MAX_ORDER and one comes without reclaim
 *    (with reclaim for DMA_ATTR_FORCE_CONTIGUOUS or a caller that cannot
 *    sleep); otherwise (larger than MAX_ORDER allows, or fragmented
 *    memory) it takes separate pages, in the largest blocks that come
 *    cheaply, maps them contiguously in IOVA space and vmaps them for the
 *    CPU, unless DMA_ATTR_NO_KERNEL_MAPPING (then the value returned is a
 *    cookie: the first page's linear address). Such a buffer has a record
 *    (its pages) in vtd_dma_dev.bufs, keyed by the DMA address's page,
 *    which free, mmap and get_sgtable look up; a buffer with no record is
 *    one block at its linear address. DMA_ATTR_FORCE_CONTIGUOUS above
 *    MAX_ORDER fails: the CMA allocator is not exported to modules.
 *    dma_alloc_pages() (and dma_alloc_noncoherent(), which the core
 *    builds on it) is one block mapped for its direction.
 *    dma_alloc_noncontiguous() is separate pages mapped contiguously, in a
 *    struct dma_sgt_handle whose pages array the core vmaps and mmaps.
 *
 * 10. The operations, and why the others are left to the core. Present:
 *    alloc/free, alloc_pages/free_pages, alloc_noncontiguous/
 *    free_noncontiguous, mmap, get_sgtable, map_page/unmap_page,
 *    map_sg/unmap_sg, map_resource/unmap_resource, dma_supported,
 *    get_required_mask, max_mapping_size, opt_mapping_size (the largest
 *    size a range cache serves). Absent on purpose from vtd_dma_ops: the
 *    four sync callbacks - x86 DMA is cache coherent (PCI requests snoop
 *    the CPU caches; VT-d only translates, it holds no data) and strict
 *    and deferred modes never bounce, so there is nothing to sync, and
 *    with the callbacks NULL the core does nothing but its DMA-API-debug
 *    checks and dma_need_sync() is false (page_pool and others skip
 *    syncing); so DMA_ATTR_SKIP_CPU_SYNC is honoured trivially. Shadow
 *    mode bounces, so shadow-mode devices get vtd_dma_shadow_ops, chosen
 *    when the device is taken: the same operations with shadowing
 *    map_page/map_sg/unmaps and the four syncs, which copy a shadow's
 *    data (for_cpu: shadow to buffer for FROM_DEVICE and BIDIRECTIONAL;
 *    for_device: buffer to shadow, every direction) and
 *    do nothing for zero-copy addresses; dma_need_sync() is true for
 *    those devices only. DMA_ATTR_SKIP_CPU_SYNC there means no copy at
 *    map or unmap: the caller's syncs copy. Coherent and page
 *    allocations and map_resource stay zero-copy and strict. cache_sync: no 6.1
 *    code calls it. get_merge_boundary: a list that falls back to one
 *    range per segment is not merged, so the block layer must not count
 *    on merging. flags: no DMA_F_PCI_P2PDMA_SUPPORTED (map_sg refuses
 *    peer-to-peer pages). DMA_ATTR_WEAK_ORDERING, _WRITE_COMBINE,
 *    _PRIVILEGED and _NO_WARN change nothing here: the unit has no such
 *    attributes on a coherent x86 machine. The core calls the
 *    DMA-API-debug hooks (debug_dma_*) around every operation; the shim
 *    calls none.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": dma: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "vtd_dma.h"
#include "vtd_group.h"
#include "vtd_shadow.h"
#include "vtd_unit.h"

/* The CPU's pages are the unit's pages: one IOVA page per CPU page. */
static_assert(PAGE_SIZE == VTD_PAGE_SIZE);

/*
 * CAP.ZLR (VT-d 11.4.2): 0 means the unit faults zero-length reads to
 * write-only pages, which some devices issue to flush posted writes. On
 * such a unit a DMA_FROM_DEVICE buffer is mapped readable too.
 */
#define VTD_CAP_ZLR		BIT_ULL(22)

/*
 * Smallest DMA mask accepted: 24 bits, the ISA DMA limit and the smallest
 * mask the kernel's own DMA code serves. Frames from 1 up are free in every
 * domain except the holes (vtd_domain.c), so 16 MiB always leaves room.
 */
#define VTD_DMA_MIN_MASK	DMA_BIT_MASK(24)

/*
 * The mask a device needs to reach all memory efficiently: 32 bits. Any
 * page, wherever it is, gets an IOVA under the device's mask, and the space
 * below 4 GiB (minus the MSI window and the PCI windows) holds far more
 * than a device keeps mapped at once.
 */
#define VTD_DMA_REQUIRED_MASK	DMA_BIT_MASK(32)

/*
 * Table pages the largest single mapping may need in the worst case: half
 * of the pool's low watermark, so that two such maps back to back in
 * atomic context still find pages while the refill catches up. With 4-level
 * tables that allows 32 MiB (vtd_pgtable_map_pages(4, 32 MiB) = 17 + 2 + 2).
 */
#define VTD_DMA_MAP_TABLE_PAGES	(VTD_POOL_LOW / 2)

/* Maps kept per device for debugfs; a power of two (the index is masked). */
#define VTD_DMA_RECENT		16
static_assert((VTD_DMA_RECENT & (VTD_DMA_RECENT - 1)) == 0);

/*
 * How long a give-back waits, after unbinding a driver (an unload racing a
 * probe) or after a removal, for the ranges it still had: nvme frees its
 * doorbell buffers when its controller's last reference goes, which is at
 * once unless something holds it open.
 */
#define VTD_DMA_IDLE_WAIT_MS	5000

/*
 * How often a group whose drivers are all unbound while ranges they mapped
 * are still live is looked at again, to stop holding vtd_remap in use.
 */
#define VTD_DMA_BUSY_POLL_MS	100

/* Devices named by address in "own": more is a typo, not a machine. */
#define VTD_DMA_MAX_LISTED	32

/* Allocation flags of the map paths, which may run in interrupts. */
#define VTD_DMA_GFP_ATOMIC	(GFP_ATOMIC | __GFP_NOWARN)

/*
 * Ranges below this many pages are rounded up to a power of two (section
 * 4): few size classes, which per-CPU range caches can serve, for at most
 * 15 pages of IOVA space wasted each. It is also opt_mapping_size.
 */
#define VTD_DMA_ROUND_PAGES	32

static char *own;
module_param(own, charp, 0444);
MODULE_PARM_DESC(own, "Devices whose DMA goes through the DMA-API shim: a comma list of PCI addresses ([SSSS:]BB:DD.F), unit names (dmarN: every endpoint in its scope) or \"all\", each optionally followed by @strict, @deferred or @shadow (its unmap mode; default: unmap=)");

/* For the tests: take the fallback path of section 4 every time. */
static bool dma_sg_per_segment;
module_param(dma_sg_per_segment, bool, 0644);
MODULE_PARM_DESC(dma_sg_per_segment, "Map every scatterlist one range per segment, as when one range does not fit (for the tests)");

/**
 * enum vtd_dma_kind - how a mapping was made (counters, debugfs)
 * @VTD_DMA_PAGE:	map_page / unmap_page.
 * @VTD_DMA_SG:		map_sg laid out in one range.
 * @VTD_DMA_SG_EACH:	map_sg with one range per segment.
 * @VTD_DMA_COHERENT:	alloc / free.
 * @VTD_DMA_RESOURCE:	map_resource / unmap_resource.
 * @VTD_DMA_PAGES:	alloc_pages / free_pages (dma_alloc_noncoherent too).
 * @VTD_DMA_NONCONTIG:	alloc_noncontiguous / free_noncontiguous.
 * @VTD_DMA_NR_KINDS:	number of kinds.
 */
enum vtd_dma_kind {
	VTD_DMA_PAGE,
	VTD_DMA_SG,
	VTD_DMA_SG_EACH,
	VTD_DMA_COHERENT,
	VTD_DMA_RESOURCE,
	VTD_DMA_PAGES,
	VTD_DMA_NONCONTIG,
	VTD_DMA_NR_KINDS,
};

static const char * const vtd_dma_kind_name[VTD_DMA_NR_KINDS] = {
	[VTD_DMA_PAGE] = "page",
	[VTD_DMA_SG] = "sg",
	[VTD_DMA_SG_EACH] = "sg-each",
	[VTD_DMA_COHERENT] = "coherent",
	[VTD_DMA_RESOURCE] = "resource",
	[VTD_DMA_PAGES] = "pages",
	[VTD_DMA_NONCONTIG] = "noncontig",
};

/**
 * struct vtd_dma_event - one recent map, for debugfs
 * @alloc:	first IOVA of the range it took.
 * @dma:	the (first) DMA address handed to the driver.
 * @phys:	the (first) CPU physical address it translates to.
 * @size:	bytes the driver asked for (all segments of a list).
 * @nents:	CPU segments (1 except for map_sg).
 * @kind:	enum vtd_dma_kind.
 * @dir:	enum dma_data_direction.
 *
 * Whether it is still mapped is read from the page table when shown.
 */
struct vtd_dma_event {
	u64 alloc;
	u64 dma;
	u64 phys;
	u64 size;
	u32 nents;
	u8 kind;
	u8 dir;
};

/**
 * struct vtd_dma_slot - one slot of a ring of recent maps
 * @seq:	2n + 1 while map n (counting from 0 on this CPU) is written
 *		into the slot, 2n + 2 once it is there; 0 before any.
 * @ev:		the map.
 */
struct vtd_dma_slot {
	unsigned int seq;
	struct vtd_dma_event ev;
};

/**
 * struct vtd_dma_ring - the last maps of a device made on one CPU
 * @next:	maps claimed; map n goes to slot n modulo VTD_DMA_RECENT.
 *		Only this CPU's maps change it (this_cpu_inc_return()).
 * @slot:	the last VTD_DMA_RECENT of them (section 6: no lock).
 */
struct vtd_dma_ring {
	unsigned int next;
	struct vtd_dma_slot slot[VTD_DMA_RECENT];
};

/**
 * struct vtd_dma_stats - what the shim did for one device on one CPU
 * @maps:	successful maps, by kind.
 * @unmaps:	unmaps, by kind.
 * @bytes:	bytes mapped so far, all kinds.
 * @sg_in:	CPU segments of successful map_sg calls.
 * @sg_out:	DMA segments they returned (fewer when merged).
 * @errors:	maps that failed.
 * @bad_unmaps:	unmaps of addresses the shim never handed out.
 */
struct vtd_dma_stats {
	u64 maps[VTD_DMA_NR_KINDS];
	u64 unmaps[VTD_DMA_NR_KINDS];
	u64 bytes;
	u64 sg_in;
	u64 sg_out;
	u64 errors;
	u64 bad_unmaps;
};

/**
 * struct vtd_dma_group - an owned group (section 1)
 * @grp:	the group, as computed when it was taken (members referenced).
 * @dom:	the one DMA domain all its members are attached to.
 * @nr_recs:	member records pointing here; the last one freed frees
 *		@dom and @grp.
 * @nr_bound:	members with a driver bound through the shim.
 * @in_use:	the group holds a reference to this module (section 2):
 *		while @nr_bound, and after it drops to 0 until nothing its
 *		drivers mapped is left.
 * @gone:	a member was removed while ranges its driver mapped were
 *		live: the group is given back once they are freed.
 */
struct vtd_dma_group {
	struct vtd_group *grp;
	struct vtd_domain *dom;
	unsigned int nr_recs;
	unsigned int nr_bound;
	bool in_use;
	bool gone;
};

/**
 * struct vtd_dma_dev - an owned device
 * @pdev:	the device (a reference is held).
 * @unit:	the unit translating it.
 * @dom:	its group's DMA domain (@owned->dom), which every member of
 *		the group is attached to and no other device.
 * @owned:	its owned group, shared by the members' records.
 * @rebound:	a driver was bound when the device was taken (and was probed
 *		again through the shim).
 * @unbound:	its driver was unbound by the give-back under way.
 * @removed:	removed from the bus while its group was busy (@owned->gone):
 *		its entries are cleared when the group is given back.
 * @driver:	the name of the driver bound through the shim, or NULL; set
 *		and cleared by the bus notifier's bound and unbound calls
 *		(the driver cannot go while it is bound).
 * @shadow:	its shadow pool if it is in shadow mode, else NULL.
 * @leaving:	being taken or given back: the mutex may be dropped meanwhile
 *		(to unbind or probe drivers), and the bus notifier leaves the
 *		record alone.
 * @stats:	counters, per CPU (the map path shares no cache line).
 * @bufs:	coherent buffers built from separate pages, by the first
 *		page of their DMA address (section 9).
 * @recent:	the last VTD_DMA_RECENT maps made on each CPU.
 */
struct vtd_dma_dev {
	struct pci_dev *pdev;
	struct vtd_unit *unit;
	struct vtd_domain *dom;
	struct vtd_dma_group *owned;
	bool rebound;
	bool unbound;
	bool removed;
	const char *driver;
	struct vtd_shadow_pool *shadow;
	bool leaving;
	struct vtd_dma_stats __percpu *stats;
	struct xarray bufs;
	struct vtd_dma_ring __percpu *recent;
};

/**
 * struct vtd_dma_want - the "own" parameter, parsed
 * @all:	every endpoint of every unit.
 * @units:	bit N: every endpoint of unit dmarN.
 * @nr:		addresses in @addr.
 * @addr:	segment << 16 | bus << 8 | devfn of each device named.
 * @mode:	the unmap mode of each device named (word@mode, or unmap=).
 * @scope_mode:	the unmap mode of the devices of @all and @units.
 */
struct vtd_dma_want {
	bool all;
	unsigned long units;
	unsigned int nr;
	u32 addr[VTD_DMA_MAX_LISTED];
	enum vtd_unmap_mode mode[VTD_DMA_MAX_LISTED];
	enum vtd_unmap_mode scope_mode;
};

/* Owned devices, keyed by vtd_dma_key(); see sections 3 and 6. */
static DEFINE_XARRAY(vtd_dma_devs);

/* Taking and giving back devices; debugfs readers. Taken first. */
static DEFINE_MUTEX(vtd_dma_mutex);

/* "own", parsed, kept from load to unload for devices added later. */
static struct vtd_dma_want *vtd_dma_own;

/* Largest single mapping, in bytes (section 7). */
static size_t vtd_dma_max_map;

/* /sys/kernel/debug/vtd_remap/dma, and vtd_remap/ if we had to make it. */
static struct dentry *vtd_dma_dir;
static struct dentry *vtd_dma_root_made;

/* --- primitives ------------------------------------------------------ */

static unsigned long vtd_dma_key(struct pci_dev *pdev)
{
	return (unsigned long)pci_domain_nr(pdev->bus) << 16 | pci_dev_id(pdev);
}

/* The record behind a device whose ops are ours. */
static struct vtd_dma_dev *vtd_dma_dev_of(struct device *dev)
{
	struct vtd_dma_dev *dd;

	if (WARN_ON_ONCE(!dev_is_pci(dev)))
		return NULL;
	dd = xa_load(&vtd_dma_devs, vtd_dma_key(to_pci_dev(dev)));
	WARN_ON_ONCE(!dd);
	return dd;
}

/* Highest IOVA a mapping for @dd may use under @mask. */
static u64 vtd_dma_limit(struct vtd_dma_dev *dd, u64 mask)
{
	struct device *dev = &dd->pdev->dev;
	u64 limit = min_t(u64, mask, DMA_BIT_MASK(dd->unit->aw_bits));

	if (dev->bus_dma_limit)
		limit = min_t(u64, limit, dev->bus_dma_limit);
	return limit;
}

/* Page-table permissions for a direction; 0 for DMA_NONE or garbage. */
static int vtd_dma_prot(struct vtd_dma_dev *dd, enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return VTD_PGT_READ | VTD_PGT_WRITE;
	case DMA_TO_DEVICE:
		return VTD_PGT_READ;
	case DMA_FROM_DEVICE:
		if (dd->unit->cap & VTD_CAP_ZLR)
			return VTD_PGT_WRITE;
		return VTD_PGT_READ | VTD_PGT_WRITE;
	default:
		return 0;
	}
}

/* Whether [@start, @start + @len) may be one DMA segment under these limits. */
static bool vtd_dma_seg_ok(u64 start, u64 len, unsigned long boundary,
			   unsigned int max_seg)
{
	u64 last = start + len - 1;

	return len <= max_seg && (start & ~(u64)boundary) == (last & ~(u64)boundary);
}

/* --- recent maps, for debugfs ---------------------------------------- */

/*
 * Record a map in this CPU's ring. An interrupt's map on this CPU claims
 * the next slot, not ours: a slot is only rewritten VTD_DMA_RECENT maps
 * later, never by a map nested in the one writing it.
 */
static void vtd_dma_recent_add(struct vtd_dma_dev *dd,
			       const struct vtd_dma_event *ev)
{
	struct vtd_dma_ring *r = get_cpu_ptr(dd->recent);
	unsigned int n = this_cpu_inc_return(dd->recent->next) - 1;
	struct vtd_dma_slot *sl = &r->slot[n & (VTD_DMA_RECENT - 1)];

	WRITE_ONCE(sl->seq, 2 * n + 1);
	smp_wmb();	/* odd before the event; pairs with the reader's */
	sl->ev = *ev;
	smp_wmb();	/* the event before even */
	WRITE_ONCE(sl->seq, 2 * n + 2);
	put_cpu_ptr(dd->recent);
}

/*
 * Copy slot @i of @r into @ev; false if it holds no map or kept changing
 * (its writer on the ring's CPU is never waited for).
 */
static bool vtd_dma_recent_read(struct vtd_dma_ring *r, unsigned int i,
				struct vtd_dma_event *ev)
{
	struct vtd_dma_slot *sl = &r->slot[i & (VTD_DMA_RECENT - 1)];
	unsigned int seq, tries;

	for (tries = 0; tries < 4; tries++) {
		seq = READ_ONCE(sl->seq);
		smp_rmb();	/* pairs with the writer's */
		*ev = sl->ev;
		smp_rmb();	/* the copy before the second look at seq */
		if (!(seq & 1) && seq && READ_ONCE(sl->seq) == seq)
			return true;
	}
	return false;
}

static void vtd_dma_count_map(struct vtd_dma_dev *dd, enum vtd_dma_kind kind,
			      u64 bytes)
{
	this_cpu_inc(dd->stats->maps[kind]);
	this_cpu_add(dd->stats->bytes, bytes);
}

/* Bytes @dd's driver mapped so far, all kinds, summed over the CPUs. */
static u64 vtd_dma_bytes(struct vtd_dma_dev *dd)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(dd->stats, cpu)->bytes);
	return n;
}

static void vtd_dma_map_failed(struct vtd_dma_dev *dd, const char *what,
			       u64 size, int err)
{
	this_cpu_inc(dd->stats->errors);
	/* -ENOMEM in atomic context is expected under load; callers retry. */
	if (err != -ENOMEM)
		dev_warn_ratelimited(&dd->pdev->dev,
				     "dma: %s of %llu bytes failed: %d\n",
				     what, size, err);
}

/* --- ranges ---------------------------------------------------------- */

/*
 * Pages of IOVA a mapping of @pages pages takes (section 4): a power of
 * two below VTD_DMA_ROUND_PAGES, or whenever the caller needs the range
 * aligned to its size (@aligned); the exact count otherwise. The
 * allocator serves both shapes (align 1, or align == size == 2^k) in
 * O(log n).
 */
static u64 vtd_dma_range_pages(u64 pages, bool aligned)
{
	if (aligned || pages < VTD_DMA_ROUND_PAGES)
		return roundup_pow_of_two(pages);
	return pages;
}

/*
 * Take a range of @pages pages (from vtd_dma_range_pages()) under @limit.
 * All range allocation goes through here and vtd_dma_range_free(), so the
 * allocator behind them can change in one place.
 * Return: 0 with the range's first address in @iova, -ENOSPC or -ENOMEM.
 */
static int vtd_dma_range_alloc(struct vtd_dma_dev *dd, u64 pages, u64 limit,
			       gfp_t gfp, u64 *iova)
{
	if (!pages || pages > (limit >> PAGE_SHIFT) + 1)
		return -ENOSPC;
	return vtd_domain_alloc_iova(dd->dom, pages << PAGE_SHIFT, limit, gfp,
				     iova);
}

/*
 * Give back a range from vtd_dma_range_alloc() with the size it was taken
 * with; nothing may be mapped in it any more. Sizes the per-CPU caches
 * serve go to this CPU's cache (vtd_domain_free_iova()).
 */
static void vtd_dma_range_free(struct vtd_dma_dev *dd, u64 iova, u64 pages)
{
	vtd_domain_free_iova(dd->dom, iova, pages << PAGE_SHIFT);
}

/*
 * Unmap and give back a whole range, in the domain's unmap mode: released
 * after its invalidation, or quarantined if that fails (vtd_flush.c).
 */
static void vtd_dma_unmap_range(struct vtd_dma_dev *dd, u64 iova, u64 pages)
{
	vtd_domain_unmap_free(dd->dom, iova, pages << PAGE_SHIFT,
			      VTD_DMA_GFP_ATOMIC);
}

/*
 * Give back the range holding @addr, which must be its first page if
 * @at_start. @len bytes from @addr were mapped, says the caller.
 * A range vtd_dma_map_core() or map_sg's one-range path made may carry
 * its size in the tag of its first leaf (section 4): taking the tag back
 * claims the range, without a lookup in the allocator's tree and without
 * a lock. Any other range is looked up in the tree, which checks the
 * address before anything is unmapped (a wrong address must not unmap a
 * range another CPU is mapping) and gives the range's extent, which the
 * caller's size need not tell.
 * Return: 0 with the range in @out (if not NULL), or -ENOENT if @addr is
 * not in a range we handed out (a driver bug: warned, nothing freed).
 */
static int vtd_dma_release(struct vtd_dma_dev *dd, u64 addr, u64 len,
			   bool at_start, struct vtd_iova_range *out)
{
	unsigned long pfn = addr >> PAGE_SHIFT;
	struct vtd_iova_range r = {};
	unsigned int tag;
	phys_addr_t phys;
	u64 start, size;

	/* Only this file tags: log2 of a range of at most 2^52 pages, + 1. */
	tag = vtd_domain_take_tag(dd->dom, addr & PAGE_MASK);
	if (tag && tag <= 64 - PAGE_SHIFT) {
		r.pfn_lo = pfn;
		r.pfn_last = pfn + BIT_ULL(tag - 1) - 1;
	} else if (vtd_iova_find(&dd->dom->iova, pfn, &r) || r.reserved ||
		   (at_start && r.pfn_lo != pfn) ||
		   vtd_domain_lookup(dd->dom, (u64)r.pfn_lo << PAGE_SHIFT,
				     &phys)) {
		/*
		 * A range in a per-CPU cache or a flush queue is still
		 * allocated in the tree, so the tree alone cannot tell a
		 * second unmap: the first page of every range the shim hands
		 * out is mapped until its unmap.
		 */
		this_cpu_inc(dd->stats->bad_unmaps);
		dev_WARN_ONCE(&dd->pdev->dev, 1,
			      "dma: unmap of %#llx, which the shim did not map\n",
			      addr);
		return -ENOENT;
	}
	start = (u64)r.pfn_lo << PAGE_SHIFT;
	size = (u64)(r.pfn_last - r.pfn_lo + 1) << PAGE_SHIFT;
	dev_WARN_ONCE(&dd->pdev->dev, addr + len > start + size,
		      "dma: unmap of %llu bytes at %#llx, past its range [%#llx, %#llx)\n",
		      len, addr, start, start + size);
	vtd_dma_unmap_range(dd, start, size >> PAGE_SHIFT);
	if (out)
		*out = r;
	return 0;
}

/*
 * Map [@phys, @phys + @size) at a new range under @mask; @aligned asks for
 * a range aligned to its (power-of-two) size.
 * Return: 0 with the DMA address (the range plus @phys's offset in its
 * page) in @dma and the range in @alloc; -ENOSPC, -ENOMEM, -EINVAL.
 */
static int vtd_dma_map_core(struct vtd_dma_dev *dd, phys_addr_t phys,
			    u64 size, int prot, u64 mask, gfp_t gfp,
			    bool aligned, u64 *alloc, dma_addr_t *dma)
{
	u64 off = offset_in_page(phys);
	u64 span = PAGE_ALIGN(off + size);
	u64 iova, pages;
	int ret;

	if (!size || !prot)
		return -EINVAL;
	pages = vtd_dma_range_pages(span >> PAGE_SHIFT, aligned);
	ret = vtd_dma_range_alloc(dd, pages, vtd_dma_limit(dd, mask), gfp,
				  &iova);
	if (ret)
		return ret;
	/* Its size, for vtd_dma_release(): log2(pages) + 1 fits in a tag. */
	if (is_power_of_2(pages))
		prot |= VTD_PGT_TAG(ilog2(pages) + 1);
	ret = vtd_domain_map(dd->dom, iova, phys - off, span, prot, gfp);
	if (ret) {
		/* All or nothing: the range holds no mapping. */
		vtd_dma_range_free(dd, iova, pages);
		return ret;
	}
	*alloc = iova;
	*dma = iova + off;
	return 0;
}

/* map_page and map_resource: one buffer, one range. */
static dma_addr_t vtd_dma_map_one(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  enum vtd_dma_kind kind)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	struct vtd_dma_event ev = {
		.phys = phys, .size = size, .nents = 1, .kind = kind,
		.dir = dir,
	};
	int ret;

	if (!dd)
		return DMA_MAPPING_ERROR;
	ret = vtd_dma_map_core(dd, phys, size, vtd_dma_prot(dd, dir),
			       dma_get_mask(dev), VTD_DMA_GFP_ATOMIC, false,
			       &ev.alloc, &ev.dma);
	if (ret) {
		vtd_dma_map_failed(dd, vtd_dma_kind_name[kind], size, ret);
		return DMA_MAPPING_ERROR;
	}
	vtd_dma_count_map(dd, kind, size);
	vtd_dma_recent_add(dd, &ev);
	return ev.dma;
}

static void vtd_dma_unmap_one(struct device *dev, dma_addr_t addr,
			      size_t size, enum vtd_dma_kind kind)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (!dd)
		return;
	if (!vtd_dma_release(dd, addr, size, true, NULL))
		this_cpu_inc(dd->stats->unmaps[kind]);
}

/* --- scatter-gather -------------------------------------------------- */

/*
 * sg_next(), inline: a map_sg walks its list a few times (layout, map,
 * DMA segments, unmap), and under TCG the call per entry showed in perf.
 */
static inline struct scatterlist *vtd_sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	return unlikely(sg_is_chain(sg)) ? sg_chain_ptr(sg) : sg;
}

/*
 * Where a segment starting @off bytes into its first page goes, given the
 * next free page at @pos (relative to the range): @pos, or the boundary the
 * segment would cross there if starting on it lets the segment fit.
 */
static u64 vtd_dma_sg_place(u64 pos, u64 off, u64 len, unsigned long boundary)
{
	u64 start = pos + off;
	u64 next = (start | boundary) + 1;	/* the boundary above start */

	if (vtd_dma_seg_ok(start, len, boundary, UINT_MAX))
		return pos;
	/* A sub-page boundary or a segment longer than it: nothing helps. */
	if (boundary < PAGE_SIZE - 1 || off + len > (u64)boundary + 1)
		return pos;
	return next;
}

/*
 * Lay the list out in one range (section 4): each segment's position
 * relative to the range goes in its dma_address, its length in dma_length.
 * Return: the range's size in bytes, or 0 for a zero-length segment.
 */
static u64 vtd_dma_sg_layout(struct device *dev, struct scatterlist *sgl,
			     int nents)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct scatterlist *s;
	u64 pos = 0, off;
	int i;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (!s->length)
			return 0;
		off = offset_in_page(sg_phys(s));
		pos = vtd_dma_sg_place(pos, off, s->length, boundary);
		sg_dma_address(s) = pos + off;
		sg_dma_len(s) = s->length;
		pos += PAGE_ALIGN(off + s->length);
	}
	return pos;
}

/*
 * Turn the relative layout into DMA segments at @base, merging neighbours
 * that meet at a page boundary. Output segment k is written to entry k,
 * which was read before (k <= the entry being read); the entries after the
 * last output get length 0, where unmap stops.
 * Return: the number of DMA segments.
 */
static int vtd_dma_sg_finish(struct device *dev, struct scatterlist *sgl,
			     int nents, u64 base)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	unsigned int max_seg = dma_get_max_seg_size(dev);
	struct scatterlist *s, *out = sgl;
	u64 cur = 0, cur_len = 0;
	int i, count = 0;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		u64 addr = base + sg_dma_address(s);
		u64 len = sg_dma_len(s);

		if (count && cur + cur_len == addr &&
		    vtd_dma_seg_ok(cur, cur_len + len, boundary, max_seg)) {
			cur_len += len;
			continue;
		}
		if (count) {
			sg_dma_address(out) = cur;
			sg_dma_len(out) = cur_len;
			out = vtd_sg_next(out);
		}
		cur = addr;
		cur_len = len;
		count++;
	}
	sg_dma_address(out) = cur;
	sg_dma_len(out) = cur_len;
	for (i = count, s = vtd_sg_next(out); s && i < nents;
	     i++, s = vtd_sg_next(s)) {
		sg_dma_address(s) = DMA_MAPPING_ERROR;
		sg_dma_len(s) = 0;
	}
	return count;
}

/*
 * Give back the ranges of a mapped list: each DMA segment's first page
 * names its range; segments inside the range just given back are skipped
 * (they share it), and the list ends at the first zero length.
 */
static void vtd_dma_sg_release(struct vtd_dma_dev *dd,
			       struct scatterlist *sgl, int nents)
{
	struct vtd_iova_range done = { .pfn_lo = 1, .pfn_last = 0 };
	struct scatterlist *s;
	unsigned long pfn;
	int i;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (!sg_dma_len(s))
			break;
		pfn = sg_dma_address(s) >> PAGE_SHIFT;
		if (pfn >= done.pfn_lo && pfn <= done.pfn_last)
			continue;
		if (vtd_dma_release(dd, sg_dma_address(s), sg_dma_len(s),
				    false, &done))
			break;
	}
}

/*
 * A range for a laid-out list of @total bytes (section 4): the exact size
 * when the range cannot hold a segment boundary, else (or if the exact
 * range lands across one) a power of two aligned to its size, so that the
 * layout's positions relative to the range are the boundary's too.
 */
static int vtd_dma_sg_range(struct vtd_dma_dev *dd, u64 total, u64 *base,
			    u64 *pages)
{
	struct device *dev = &dd->pdev->dev;
	u64 boundary = dma_get_seg_boundary(dev);
	u64 limit = vtd_dma_limit(dd, dma_get_mask(dev));
	u64 want = total >> PAGE_SHIFT;
	int ret;

	*pages = vtd_dma_range_pages(want, total - 1 > boundary);
	ret = vtd_dma_range_alloc(dd, *pages, limit, VTD_DMA_GFP_ATOMIC, base);
	if (ret || vtd_dma_seg_ok(*base, total, boundary, UINT_MAX) ||
	    is_power_of_2(*pages))
		return ret;
	vtd_dma_range_free(dd, *base, *pages);
	*pages = roundup_pow_of_two(want);
	return vtd_dma_range_alloc(dd, *pages, limit, VTD_DMA_GFP_ATOMIC, base);
}

/* Where vtd_dma_sg_next_runs() is in a laid-out list. */
struct vtd_dma_sg_runs {
	struct scatterlist *s;	/* the first entry not yet in a run */
	int left;		/* entries from @s on */
	u64 base;		/* the range the list is laid out in */
};

/*
 * The next runs of a laid-out list, up to @max: entries that follow each
 * other both in the range and in physical memory make one run
 * (vtd_pgtable_next_runs). Each entry is read once, but for the one that
 * finds the batch full.
 */
static unsigned int vtd_dma_sg_next_runs(void *cookie,
					 struct vtd_pgtable_run *runs,
					 unsigned int max)
{
	struct vtd_dma_sg_runs *it = cookie;
	struct scatterlist *sg = it->s;
	struct vtd_pgtable_run *r = NULL;
	u64 iova, phys, len, off;
	unsigned int n = 0;
	int left = it->left;

	for (; left; left--, sg = vtd_sg_next(sg)) {
		off = offset_in_page(sg_dma_address(sg));
		iova = it->base + sg_dma_address(sg) - off;
		phys = sg_phys(sg) - off;
		len = PAGE_ALIGN(off + sg->length);
		if (r && iova == r->iova + r->size &&
		    phys == r->phys + r->size) {
			r->size += len;
			continue;
		}
		if (n == max)
			break;
		r = &runs[n++];
		*r = (struct vtd_pgtable_run){ iova, phys, len };
	}
	it->s = sg;
	it->left = left;
	return n;
}

/*
 * Map the laid-out list, @total bytes at @base: one vtd_domain_map_runs(),
 * whose runs are the segments that follow each other both in the range and
 * in physical memory (superpages where a run allows), so the table is
 * walked once for the whole list and a physically contiguous list costs
 * one map of its size; under caching mode the list is invalidated once
 * (vtd_domain_map_flush()). @tag (VTD_PGT_TAG() or 0) goes on the first
 * leaf. Return: 0 or -errno, nothing left mapped.
 */
static int vtd_dma_sg_map_runs(struct vtd_dma_dev *dd,
			       struct scatterlist *sgl, int nents, u64 base,
			       u64 total, int prot, int tag)
{
	struct vtd_dma_sg_runs it = { .s = sgl, .left = nents, .base = base };
	int ret;

	ret = vtd_domain_map_runs(dd->dom, base, total, vtd_dma_sg_next_runs,
				  &it, prot | tag | VTD_PGT_NO_MAP_FLUSH,
				  VTD_DMA_GFP_ATOMIC);
	if (!ret)
		vtd_domain_map_flush(dd->dom, base, total);
	return ret;
}

/* map_sg, one range for the whole list. Return: DMA segments or -errno. */
static int vtd_dma_sg_one_range(struct vtd_dma_dev *dd,
				struct scatterlist *sgl, int nents, int prot,
				struct vtd_dma_event *ev)
{
	struct device *dev = &dd->pdev->dev;
	u64 total, base, pages;
	int ret, tag = 0;

	total = vtd_dma_sg_layout(dev, sgl, nents);
	if (!total)
		return -EINVAL;
	if (total > vtd_dma_max_map)
		return -ENOSPC;
	ret = vtd_dma_sg_range(dd, total, &base, &pages);
	if (ret)
		return ret;
	/*
	 * Its size, for vtd_dma_release(), if the first DMA segment (which
	 * vtd_dma_sg_release() gives back first) is on the range's first page.
	 */
	if (is_power_of_2(pages) && sg_dma_address(sgl) < PAGE_SIZE)
		tag = VTD_PGT_TAG(ilog2(pages) + 1);
	ret = vtd_dma_sg_map_runs(dd, sgl, nents, base, total, prot, tag);
	if (ret) {
		/* All or nothing: the range holds no mapping. */
		vtd_dma_range_free(dd, base, pages);
		return ret;
	}
	ev->alloc = base;
	ev->dma = base + sg_dma_address(sgl);
	return vtd_dma_sg_finish(dev, sgl, nents, base);
}

/* map_sg, one range per segment. Return: DMA segments or -errno. */
static int vtd_dma_sg_each(struct vtd_dma_dev *dd, struct scatterlist *sgl,
			   int nents, int prot, struct vtd_dma_event *ev)
{
	u64 mask = dma_get_mask(&dd->pdev->dev), alloc;
	struct scatterlist *s;
	dma_addr_t dma;
	int i, ret;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		ret = vtd_dma_map_core(dd, sg_phys(s), s->length, prot, mask,
				       VTD_DMA_GFP_ATOMIC, false, &alloc, &dma);
		if (ret) {
			sg_dma_len(s) = 0;
			vtd_dma_sg_release(dd, sgl, i);
			return ret;
		}
		if (!i) {
			ev->alloc = alloc;
			ev->dma = dma;
		}
		sg_dma_address(s) = dma;
		sg_dma_len(s) = s->length;
	}
	return nents;
}

/* --- the DMA API operations ------------------------------------------ */

static dma_addr_t vtd_dma_map_page(struct device *dev, struct page *page,
				   unsigned long offset, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	return vtd_dma_map_one(dev, page_to_phys(page) + offset, size, dir,
			       VTD_DMA_PAGE);
}

static void vtd_dma_unmap_page(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	vtd_dma_unmap_one(dev, addr, size, VTD_DMA_PAGE);
}

static dma_addr_t vtd_dma_map_resource(struct device *dev, phys_addr_t phys,
				       size_t size,
				       enum dma_data_direction dir,
				       unsigned long attrs)
{
	return vtd_dma_map_one(dev, phys, size, dir, VTD_DMA_RESOURCE);
}

static void vtd_dma_unmap_resource(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	vtd_dma_unmap_one(dev, addr, size, VTD_DMA_RESOURCE);
}

/*
 * Check a list for map_sg: -EINVAL without a direction's permission or
 * entries, -EREMOTEIO for a peer-to-peer page, -EINVAL for an empty entry
 * if @no_empty. Return: 0 with the permissions in @prot and the bytes in
 * @bytes.
 */
static int vtd_dma_sg_check(struct vtd_dma_dev *dd, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    bool no_empty, int *prot, u64 *bytes)
{
	struct scatterlist *s;
	int i;

	*prot = vtd_dma_prot(dd, dir);
	if (!*prot || nents <= 0)
		return -EINVAL;
	*bytes = 0;
	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (is_pci_p2pdma_page(sg_page(s)))
			return -EREMOTEIO;	/* no peer-to-peer through us */
		if (no_empty && !s->length)
			return -EINVAL;
		*bytes += s->length;
	}
	return 0;
}

/* map_sg of a checked list, zero-copy: one range, else one per segment. */
static int vtd_dma_map_sg_checked(struct vtd_dma_dev *dd,
				  struct scatterlist *sgl, int nents,
				  enum dma_data_direction dir, int prot,
				  u64 bytes)
{
	struct vtd_dma_event ev = {
		.phys = sg_phys(sgl), .size = bytes, .nents = nents,
		.kind = VTD_DMA_SG, .dir = dir,
	};
	int ret;

	ret = READ_ONCE(dma_sg_per_segment) ? -ENOSPC :
		vtd_dma_sg_one_range(dd, sgl, nents, prot, &ev);
	if (ret == -ENOSPC) {
		ev.kind = VTD_DMA_SG_EACH;
		ret = vtd_dma_sg_each(dd, sgl, nents, prot, &ev);
	}
	if (ret < 0) {
		vtd_dma_map_failed(dd, "map_sg", ev.size, ret);
		/* The DMA API knows -EINVAL, -ENOMEM, -EIO and -EREMOTEIO. */
		return ret == -EINVAL ? -EINVAL : -ENOMEM;
	}
	vtd_dma_count_map(dd, ev.kind, ev.size);
	this_cpu_add(dd->stats->sg_in, nents);
	this_cpu_add(dd->stats->sg_out, ret);
	vtd_dma_recent_add(dd, &ev);
	return ret;
}

static int vtd_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	int prot, ret;
	u64 bytes;

	if (!dd)
		return -EINVAL;
	ret = vtd_dma_sg_check(dd, sgl, nents, dir, false, &prot, &bytes);
	if (ret)
		return ret;
	return vtd_dma_map_sg_checked(dd, sgl, nents, dir, prot, bytes);
}

static void vtd_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (!dd)
		return;
	vtd_dma_sg_release(dd, sgl, nents);
	this_cpu_inc(dd->stats->unmaps[VTD_DMA_SG]);
}

/* --- shadow mode (vtd_shadow.c) -------------------------------------- */

/*
 * Copy [@phys, @phys + @size) through a shadow of @dd's pool (section 4).
 * Return: 0 with the shadow's address in @dma, or -errno (the pool
 * counted why): the caller maps zero-copy and strict instead.
 */
static int vtd_dma_shadow_one(struct vtd_dma_dev *dd, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs, dma_addr_t *dma)
{
	struct device *dev = &dd->pdev->dev;

	if (!vtd_dma_prot(dd, dir))
		return -EINVAL;
	return vtd_shadow_map(dd->shadow, phys, size,
			      dma_get_min_align_mask(dev),
			      vtd_dma_limit(dd, dma_get_mask(dev)),
			      dma_get_seg_boundary(dev), dir,
			      !(attrs & DMA_ATTR_SKIP_CPU_SYNC), dma);
}

/*
 * Undo one mapping of a shadow-mode device: a shadow goes back to its
 * pool without an invalidation, anything else is a zero-copy range.
 * Return: 0, or -errno (a bad unmap, counted).
 */
static int vtd_dma_shadow_release(struct vtd_dma_dev *dd, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	int ret = vtd_shadow_unmap(dd->shadow, addr, size, dir,
				   !(attrs & DMA_ATTR_SKIP_CPU_SYNC));

	if (ret == -ENOENT)
		return vtd_dma_release(dd, addr, size, true, NULL);
	if (ret)
		this_cpu_inc(dd->stats->bad_unmaps);
	return ret;
}

static dma_addr_t vtd_dma_shadow_map_page(struct device *dev,
					  struct page *page,
					  unsigned long offset, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	phys_addr_t phys = page_to_phys(page) + offset;
	dma_addr_t dma;

	if (!dd)
		return DMA_MAPPING_ERROR;
	if (!vtd_dma_shadow_one(dd, phys, size, dir, attrs, &dma)) {
		vtd_dma_count_map(dd, VTD_DMA_PAGE, size);
		return dma;
	}
	return vtd_dma_map_one(dev, phys, size, dir, VTD_DMA_PAGE);
}

static void vtd_dma_shadow_unmap_page(struct device *dev, dma_addr_t addr,
				      size_t size,
				      enum dma_data_direction dir,
				      unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (dd && !vtd_dma_shadow_release(dd, addr, size, dir, attrs))
		this_cpu_inc(dd->stats->unmaps[VTD_DMA_PAGE]);
}

/*
 * Release the segments of a shadow-mode list up to the first empty one:
 * shadows back to the pool, zero-copy ranges as vtd_dma_sg_release() does
 * (the segments of a list mapped in one range are skipped after its first).
 */
static void vtd_dma_shadow_sg_release(struct vtd_dma_dev *dd,
				      struct scatterlist *sgl, int nents,
				      enum dma_data_direction dir,
				      unsigned long attrs)
{
	struct vtd_iova_range done = { .pfn_lo = 1, .pfn_last = 0 };
	struct scatterlist *s;
	unsigned long pfn;
	int i, ret;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (!sg_dma_len(s))
			break;
		pfn = sg_dma_address(s) >> PAGE_SHIFT;
		if (pfn >= done.pfn_lo && pfn <= done.pfn_last)
			continue;
		ret = vtd_shadow_unmap(dd->shadow, sg_dma_address(s),
				       sg_dma_len(s), dir,
				       !(attrs & DMA_ATTR_SKIP_CPU_SYNC));
		if (ret == -ENOENT)
			vtd_dma_release(dd, sg_dma_address(s), sg_dma_len(s),
					false, &done);
		else if (ret)
			this_cpu_inc(dd->stats->bad_unmaps);
	}
}

/*
 * map_sg of a shadow-mode device: a list of up to shadow_max bytes in all
 * gets a shadow per segment (or, where the pool cannot serve, that
 * segment's own zero-copy range; no merging); a longer list goes
 * zero-copy and strict, in one range, as vtd_dma_map_sg() maps it
 * (section 4). Return: DMA segments or -errno, nothing left mapped.
 */
static int vtd_dma_shadow_map_sg(struct device *dev, struct scatterlist *sgl,
				 int nents, enum dma_data_direction dir,
				 unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	u64 mask = dma_get_mask(dev), alloc, bytes;
	int i, prot, ret;
	struct scatterlist *s;
	dma_addr_t dma;

	if (!dd)
		return -EINVAL;
	ret = vtd_dma_sg_check(dd, sgl, nents, dir, true, &prot, &bytes);
	if (ret)
		return ret;
	if (!vtd_shadow_fits(dd->shadow, bytes))
		return vtd_dma_map_sg_checked(dd, sgl, nents, dir, prot, bytes);
	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (vtd_dma_shadow_one(dd, sg_phys(s), s->length, dir, attrs,
				       &dma))
			ret = vtd_dma_map_core(dd, sg_phys(s), s->length, prot,
					       mask, VTD_DMA_GFP_ATOMIC, false,
					       &alloc, &dma);
		if (ret) {
			sg_dma_len(s) = 0;
			vtd_dma_shadow_sg_release(dd, sgl, i, dir,
						  attrs | DMA_ATTR_SKIP_CPU_SYNC);
			vtd_dma_map_failed(dd, "map_sg", s->length, ret);
			return -ENOMEM;
		}
		sg_dma_address(s) = dma;
		sg_dma_len(s) = s->length;
	}
	vtd_dma_count_map(dd, VTD_DMA_SG, bytes);
	this_cpu_add(dd->stats->sg_in, nents);
	this_cpu_add(dd->stats->sg_out, nents);
	return nents;
}

static void vtd_dma_shadow_unmap_sg(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (!dd)
		return;
	vtd_dma_shadow_sg_release(dd, sgl, nents, dir, attrs);
	this_cpu_inc(dd->stats->unmaps[VTD_DMA_SG]);
}

/* Syncs copy a shadow's data one way; zero-copy mappings need nothing. */
static void vtd_dma_shadow_sync(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				bool for_cpu)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (dd)
		vtd_shadow_sync(dd->shadow, addr, size, dir, for_cpu);
}

static void vtd_dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir)
{
	vtd_dma_shadow_sync(dev, addr, size, dir, true);
}

static void vtd_dma_sync_single_for_device(struct device *dev,
					   dma_addr_t addr, size_t size,
					   enum dma_data_direction dir)
{
	vtd_dma_shadow_sync(dev, addr, size, dir, false);
}

static void vtd_dma_sync_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    bool for_cpu)
{
	struct scatterlist *s;
	int i;

	for (i = 0, s = sgl; i < nents; i++, s = vtd_sg_next(s)) {
		if (!sg_dma_len(s))
			break;
		vtd_dma_shadow_sync(dev, sg_dma_address(s), sg_dma_len(s), dir,
				    for_cpu);
	}
}

static void vtd_dma_sync_sg_for_cpu(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir)
{
	vtd_dma_sync_sg(dev, sgl, nents, dir, true);
}

static void vtd_dma_sync_sg_for_device(struct device *dev,
				       struct scatterlist *sgl, int nents,
				       enum dma_data_direction dir)
{
	vtd_dma_sync_sg(dev, sgl, nents, dir, false);
}

struct vtd_shadow_pool *vtd_dma_shadow_pool(struct pci_dev *pdev)
{
	struct vtd_dma_dev *dd = xa_load(&vtd_dma_devs, vtd_dma_key(pdev));

	return dd ? dd->shadow : NULL;
}
EXPORT_SYMBOL_GPL(vtd_dma_shadow_pool);

/* --- allocations: coherent, pages, noncontiguous --------------------- */

/*
 * Section 9: the pages of a coherent buffer built from separate pages,
 * found by its DMA address in vtd_dma_dev.bufs.
 */
struct vtd_dma_pages {
	struct page **pages;
	unsigned long count;
	void *vaddr;
};

/* Free @count pages from vtd_dma_pages_alloc() and the array. */
static void vtd_dma_pages_free(struct page **pages, unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count && pages[i]; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

/*
 * @count zeroed pages of @dev's node, as an array of order-0 pages: the
 * largest blocks that come without reclaim (at most MAX_ORDER - 1, so
 * runs of them map as superpages where aligned), split; single pages
 * only if @single (DMA_ATTR_ALLOC_SINGLE_PAGES). Sleeps.
 */
static struct page **vtd_dma_pages_alloc(struct device *dev,
					 unsigned long count, gfp_t gfp,
					 bool single)
{
	struct page **pages = kvcalloc(count, sizeof(*pages), GFP_KERNEL);
	unsigned long i = 0, j;
	struct page *page;
	unsigned int order;

	if (!pages)
		return NULL;
	gfp = (gfp & ~__GFP_COMP) | __GFP_ZERO | __GFP_NOWARN;
	while (i < count) {
		order = single ? 0 : min_t(unsigned int, ilog2(count - i),
					   MAX_ORDER - 1);
		for (;;) {
			page = alloc_pages_node(dev_to_node(dev),
						order ? gfp | __GFP_NORETRY : gfp,
						order);
			if (page || !order)
				break;
			order--;
		}
		if (!page) {
			vtd_dma_pages_free(pages, i);
			return NULL;
		}
		if (order)
			split_page(page, order);
		for (j = 0; j < (1UL << order); j++)
			pages[i++] = page + j;
	}
	return pages;
}

/*
 * Map @count pages at @iova, one vtd_domain_map() per physically
 * contiguous run, invalidated once under caching mode.
 * Return: 0 or -errno (some runs left mapped).
 */
static int vtd_dma_map_pages(struct vtd_dma_dev *dd, u64 iova,
			     struct page **pages, unsigned long count,
			     int prot, gfp_t gfp)
{
	unsigned long i, run;
	int ret;

	for (i = 0; i < count; i += run) {
		for (run = 1; i + run < count &&
		     page_to_pfn(pages[i + run]) == page_to_pfn(pages[i]) + run;
		     run++)
			;
		ret = vtd_domain_map(dd->dom, iova + ((u64)i << PAGE_SHIFT),
				     page_to_phys(pages[i]),
				     (u64)run << PAGE_SHIFT,
				     prot | VTD_PGT_NO_MAP_FLUSH, gfp);
		if (ret)
			return ret;
	}
	vtd_domain_map_flush(dd->dom, iova, (u64)count << PAGE_SHIFT);
	return 0;
}

/*
 * Separate pages for @size bytes, mapped contiguously with @prot at a new
 * range aligned to its size under @mask (process context).
 * Return: the pages, with the range in @iova; NULL on failure.
 */
static struct page **vtd_dma_alloc_paged(struct vtd_dma_dev *dd, size_t size,
					 gfp_t gfp, bool single, int prot,
					 u64 mask, u64 *iova)
{
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	u64 pages = vtd_dma_range_pages(count, true);
	struct page **array;
	int ret;

	array = vtd_dma_pages_alloc(&dd->pdev->dev, count, gfp, single);
	if (!array)
		return NULL;
	ret = vtd_dma_range_alloc(dd, pages, vtd_dma_limit(dd, mask),
				  GFP_KERNEL, iova);
	if (!ret) {
		ret = vtd_dma_map_pages(dd, *iova, array, count, prot,
					GFP_KERNEL);
		if (ret)
			vtd_dma_unmap_range(dd, *iova, pages);
	}
	if (ret) {
		vtd_dma_pages_free(array, count);
		return NULL;	/* the caller counts the failure */
	}
	return array;
}

/*
 * One physically contiguous block for @size bytes (zeroed), mapped with
 * @prot at a new range aligned to its size under @mask.
 * Return: the block's first page, with the DMA address in @ev; or NULL.
 */
static struct page *vtd_dma_alloc_contig(struct vtd_dma_dev *dd, size_t size,
					 gfp_t gfp, int prot, u64 mask,
					 struct vtd_dma_event *ev)
{
	gfp_t map_gfp = gfpflags_allow_blocking(gfp) ? GFP_KERNEL :
						       VTD_DMA_GFP_ATOMIC;
	struct page *page;
	int ret;

	page = alloc_pages_node(dev_to_node(&dd->pdev->dev),
				gfp | __GFP_ZERO, get_order(size));
	if (!page)
		return NULL;
	ev->phys = page_to_phys(page);
	ret = vtd_dma_map_core(dd, ev->phys, PAGE_ALIGN(size), prot, mask,
			       map_gfp, true, &ev->alloc, &ev->dma);
	if (ret) {
		__free_pages(page, get_order(size));
		return NULL;	/* the caller counts the failure */
	}
	return page;
}

/*
 * Coherent memory (section 9): one contiguous block where one comes
 * cheaply, else (sleeping callers without DMA_ATTR_FORCE_CONTIGUOUS)
 * separate pages mapped contiguously in IOVA space and, unless
 * DMA_ATTR_NO_KERNEL_MAPPING, vmapped for the CPU.
 */
static void *vtd_dma_alloc(struct device *dev, size_t size,
			   dma_addr_t *handle, gfp_t gfp, unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	bool paged_ok = gfpflags_allow_blocking(gfp) &&
			!(attrs & DMA_ATTR_FORCE_CONTIGUOUS);
	struct vtd_dma_event ev = {
		.size = size, .nents = 1, .kind = VTD_DMA_COHERENT,
		.dir = DMA_BIDIRECTIONAL,
	};
	const int prot = VTD_PGT_READ | VTD_PGT_WRITE;
	struct vtd_dma_pages *rec;
	struct page *page = NULL;
	void *cpu;

	if (!dd || !size)
		return NULL;
	if (get_order(size) < MAX_ORDER)
		page = vtd_dma_alloc_contig(dd, size, paged_ok ?
					    gfp | __GFP_NORETRY | __GFP_NOWARN :
					    gfp, prot, dev->coherent_dma_mask,
					    &ev);
	if (page) {
		cpu = page_address(page);
		goto out;
	}
	if (!paged_ok)
		goto fail;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		goto fail;
	rec->count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	rec->pages = vtd_dma_alloc_paged(dd, size, gfp, false, prot,
					 dev->coherent_dma_mask, &ev.alloc);
	if (!rec->pages)
		goto fail_rec;
	ev.dma = ev.alloc;
	ev.phys = page_to_phys(rec->pages[0]);
	if (!(attrs & DMA_ATTR_NO_KERNEL_MAPPING)) {
		rec->vaddr = vmap(rec->pages, rec->count, VM_MAP, PAGE_KERNEL);
		if (!rec->vaddr)
			goto fail_pages;
	}
	if (xa_insert(&dd->bufs, ev.dma >> PAGE_SHIFT, rec, GFP_KERNEL))
		goto fail_vmap;
	/* Without a kernel mapping the cookie is the first page's address. */
	cpu = rec->vaddr ?: page_address(rec->pages[0]);
out:
	vtd_dma_count_map(dd, VTD_DMA_COHERENT, size);
	vtd_dma_recent_add(dd, &ev);
	*handle = ev.dma;
	return cpu;

fail_vmap:
	if (rec->vaddr)
		vunmap(rec->vaddr);
fail_pages:
	vtd_dma_unmap_range(dd, ev.alloc,
			    vtd_dma_range_pages(rec->count, true));
	vtd_dma_pages_free(rec->pages, rec->count);
fail_rec:
	kfree(rec);
fail:
	vtd_dma_map_failed(dd, "alloc", size, -ENOMEM);
	return NULL;
}

static void vtd_dma_free(struct device *dev, size_t size, void *vaddr,
			 dma_addr_t handle, unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	struct vtd_dma_pages *rec;

	if (!dd)
		return;
	rec = xa_load(&dd->bufs, handle >> PAGE_SHIFT);
	/* Not ours: leak it rather than free pages we cannot vouch for. */
	if (vtd_dma_release(dd, handle, PAGE_ALIGN(size), true, NULL))
		return;
	this_cpu_inc(dd->stats->unmaps[VTD_DMA_COHERENT]);
	if (!rec) {
		free_pages((unsigned long)vaddr, get_order(size));
		return;
	}
	xa_erase(&dd->bufs, handle >> PAGE_SHIFT);
	if (rec->vaddr)
		vunmap(rec->vaddr);
	vtd_dma_pages_free(rec->pages, rec->count);
	kfree(rec);
}

/*
 * dma_mmap_coherent(): the buffer's own pages into the user's VMA. The
 * protection stays as the VMA has it: DMA is coherent here (section 10),
 * so the user needs no uncached mapping.
 */
static int vtd_dma_mmap(struct device *dev, struct vm_area_struct *vma,
			void *cpu_addr, dma_addr_t dma_addr, size_t size,
			unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct vtd_dma_pages *rec;

	if (!dd)
		return -ENXIO;
	if (vma->vm_pgoff >= count || vma_pages(vma) > count - vma->vm_pgoff)
		return -ENXIO;
	rec = xa_load(&dd->bufs, dma_addr >> PAGE_SHIFT);
	if (rec)
		return vm_map_pages(vma, rec->pages, rec->count);
	return remap_pfn_range(vma, vma->vm_start,
			       page_to_pfn(virt_to_page(cpu_addr)) +
			       vma->vm_pgoff,
			       vma_pages(vma) << PAGE_SHIFT, vma->vm_page_prot);
}

/* dma_get_sgtable(): the buffer's pages as a table (dma-buf exporters). */
static int vtd_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			       void *cpu_addr, dma_addr_t dma_addr,
			       size_t size, unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	struct vtd_dma_pages *rec;
	int ret;

	if (!dd)
		return -ENXIO;
	rec = xa_load(&dd->bufs, dma_addr >> PAGE_SHIFT);
	if (rec)
		return sg_alloc_table_from_pages(sgt, rec->pages, rec->count,
						 0, size, GFP_KERNEL);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (!ret)
		sg_set_page(sgt->sgl, virt_to_page(cpu_addr), PAGE_ALIGN(size),
			    0);
	return ret;
}

/*
 * dma_alloc_pages(), and dma_alloc_noncoherent() through it: one
 * contiguous block (the API returns a struct page), mapped for @dir.
 */
static struct page *vtd_dma_alloc_pages(struct device *dev, size_t size,
					dma_addr_t *handle,
					enum dma_data_direction dir, gfp_t gfp)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	struct vtd_dma_event ev = {
		.size = size, .nents = 1, .kind = VTD_DMA_PAGES,
		.dir = dir,
	};
	struct page *page;

	if (!dd || !size || !vtd_dma_prot(dd, dir))
		return NULL;
	page = vtd_dma_alloc_contig(dd, size, gfp, vtd_dma_prot(dd, dir),
				    dev->coherent_dma_mask, &ev);
	if (!page) {
		vtd_dma_map_failed(dd, "alloc_pages", size, -ENOMEM);
		return NULL;
	}
	vtd_dma_count_map(dd, VTD_DMA_PAGES, size);
	vtd_dma_recent_add(dd, &ev);
	*handle = ev.dma;
	return page;
}

static void vtd_dma_free_pages(struct device *dev, size_t size,
			       struct page *page, dma_addr_t handle,
			       enum dma_data_direction dir)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);

	if (!dd || vtd_dma_release(dd, handle, PAGE_ALIGN(size), true, NULL))
		return;
	__free_pages(page, get_order(size));
	this_cpu_inc(dd->stats->unmaps[VTD_DMA_PAGES]);
}

/*
 * dma_alloc_noncontiguous(): separate pages, mapped contiguously; the
 * table's first entry carries the one DMA segment (the core sets nents to
 * 1). The core's dma_vmap_noncontiguous() and dma_mmap_noncontiguous()
 * use the pages array of the struct dma_sgt_handle around the table.
 */
static struct sg_table *vtd_dma_alloc_noncontiguous(struct device *dev,
						    size_t size,
						    enum dma_data_direction dir,
						    gfp_t gfp,
						    unsigned long attrs)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct vtd_dma_event ev = {
		.size = size, .nents = count, .kind = VTD_DMA_NONCONTIG,
		.dir = dir,
	};
	struct dma_sgt_handle *sh;
	int prot;

	if (!dd || !size)
		return NULL;
	prot = vtd_dma_prot(dd, dir);
	if (!prot || !gfpflags_allow_blocking(gfp))
		return NULL;
	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!sh)
		goto fail;
	sh->pages = vtd_dma_alloc_paged(dd, size, gfp,
					attrs & DMA_ATTR_ALLOC_SINGLE_PAGES,
					prot, dev->coherent_dma_mask,
					&ev.alloc);
	if (!sh->pages)
		goto fail_sh;
	if (sg_alloc_table_from_pages(&sh->sgt, sh->pages, count, 0,
				      PAGE_ALIGN(size), GFP_KERNEL))
		goto fail_pages;
	ev.dma = ev.alloc;
	ev.phys = page_to_phys(sh->pages[0]);
	sg_dma_address(sh->sgt.sgl) = ev.dma;
	sg_dma_len(sh->sgt.sgl) = PAGE_ALIGN(size);
	vtd_dma_count_map(dd, VTD_DMA_NONCONTIG, size);
	vtd_dma_recent_add(dd, &ev);
	return &sh->sgt;

fail_pages:
	vtd_dma_unmap_range(dd, ev.alloc, vtd_dma_range_pages(count, true));
	vtd_dma_pages_free(sh->pages, count);
fail_sh:
	kfree(sh);
fail:
	vtd_dma_map_failed(dd, "alloc_noncontiguous", size, -ENOMEM);
	return NULL;
}

static void vtd_dma_free_noncontiguous(struct device *dev, size_t size,
				       struct sg_table *sgt,
				       enum dma_data_direction dir)
{
	struct vtd_dma_dev *dd = vtd_dma_dev_of(dev);
	struct dma_sgt_handle *sh = sgt_handle(sgt);

	if (!dd || vtd_dma_release(dd, sg_dma_address(sgt->sgl),
				   PAGE_ALIGN(size), true, NULL))
		return;
	this_cpu_inc(dd->stats->unmaps[VTD_DMA_NONCONTIG]);
	sg_free_table(sgt);
	vtd_dma_pages_free(sh->pages, PAGE_ALIGN(size) >> PAGE_SHIFT);
	kfree(sh);
}

/* --- the rest of the ops --------------------------------------------- */

/* Any mask from 24 bits up: every range is placed under the mask. */
static int vtd_dma_supported(struct device *dev, u64 mask)
{
	return mask >= VTD_DMA_MIN_MASK;
}

static u64 vtd_dma_required_mask(struct device *dev)
{
	return VTD_DMA_REQUIRED_MASK;
}

static size_t vtd_dma_max_mapping_size(struct device *dev)
{
	return vtd_dma_max_map;
}

/*
 * The largest mapping whose range size is one a per-CPU range cache can
 * serve (section 4); SCSI caps its requests to it.
 */
static size_t vtd_dma_opt_mapping_size(void)
{
	return (size_t)VTD_DMA_ROUND_PAGES << PAGE_SHIFT;
}

/*
 * Section 10 says why each operation the core can reach is here or not:
 * no sync callbacks (so dma_need_sync() is false), no cache_sync (no 6.1
 * caller), no get_merge_boundary (a list mapped one range per segment is
 * not merged, so callers must not count on it), no DMA_F_PCI_P2PDMA_SUPPORTED.
 */
static const struct dma_map_ops vtd_dma_ops = {
	.alloc			= vtd_dma_alloc,
	.free			= vtd_dma_free,
	.alloc_pages		= vtd_dma_alloc_pages,
	.free_pages		= vtd_dma_free_pages,
	.alloc_noncontiguous	= vtd_dma_alloc_noncontiguous,
	.free_noncontiguous	= vtd_dma_free_noncontiguous,
	.mmap			= vtd_dma_mmap,
	.get_sgtable		= vtd_dma_get_sgtable,
	.map_page		= vtd_dma_map_page,
	.unmap_page		= vtd_dma_unmap_page,
	.map_sg			= vtd_dma_map_sg,
	.unmap_sg		= vtd_dma_unmap_sg,
	.map_resource		= vtd_dma_map_resource,
	.unmap_resource		= vtd_dma_unmap_resource,
	.dma_supported		= vtd_dma_supported,
	.get_required_mask	= vtd_dma_required_mask,
	.max_mapping_size	= vtd_dma_max_mapping_size,
	.opt_mapping_size	= vtd_dma_opt_mapping_size,
};

/*
 * Shadow-mode devices (section 10): the same, but streaming maps go
 * through shadows, and the four syncs copy (so dma_need_sync() is true
 * for them, and only for them).
 */
static const struct dma_map_ops vtd_dma_shadow_ops = {
	.alloc			= vtd_dma_alloc,
	.free			= vtd_dma_free,
	.alloc_pages		= vtd_dma_alloc_pages,
	.free_pages		= vtd_dma_free_pages,
	.alloc_noncontiguous	= vtd_dma_alloc_noncontiguous,
	.free_noncontiguous	= vtd_dma_free_noncontiguous,
	.mmap			= vtd_dma_mmap,
	.get_sgtable		= vtd_dma_get_sgtable,
	.map_page		= vtd_dma_shadow_map_page,
	.unmap_page		= vtd_dma_shadow_unmap_page,
	.map_sg			= vtd_dma_shadow_map_sg,
	.unmap_sg		= vtd_dma_shadow_unmap_sg,
	.map_resource		= vtd_dma_map_resource,
	.unmap_resource		= vtd_dma_unmap_resource,
	.sync_single_for_cpu	= vtd_dma_sync_single_for_cpu,
	.sync_single_for_device	= vtd_dma_sync_single_for_device,
	.sync_sg_for_cpu	= vtd_dma_sync_sg_for_cpu,
	.sync_sg_for_device	= vtd_dma_sync_sg_for_device,
	.dma_supported		= vtd_dma_supported,
	.get_required_mask	= vtd_dma_required_mask,
	.max_mapping_size	= vtd_dma_max_mapping_size,
	.opt_mapping_size	= vtd_dma_opt_mapping_size,
};

/* --- debugfs --------------------------------------------------------- */

static const char *vtd_dma_dir_name(u8 dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return "bidi";
	case DMA_TO_DEVICE:
		return "to-dev";
	case DMA_FROM_DEVICE:
		return "from-dev";
	default:
		return "?";
	}
}

/* @dd's counters, summed over the CPUs (a moment's, not a snapshot). */
static void vtd_dma_stats_sum(struct vtd_dma_dev *dd, struct vtd_dma_stats *sum)
{
	const u64 *c;
	u64 *t = (u64 *)sum;
	unsigned int i, cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		c = (const u64 *)per_cpu_ptr(dd->stats, cpu);
		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			t[i] += READ_ONCE(c[i]);
	}
}

static void vtd_dma_show_dev(struct seq_file *m, struct vtd_dma_dev *dd)
{
	struct device *dev = &dd->pdev->dev;
	struct vtd_dma_stats sum, *st = &sum;
	struct vtd_iova_cache_stats cs;
	struct vtd_flush_stats fs;
	struct vtd_iova_stats is;
	unsigned long shadow_chunks = 0;

	vtd_dma_stats_sum(dd, st);

	if (dd->shadow)
		shadow_chunks = vtd_shadow_chunks(dd->shadow);
	vtd_iova_get_stats(&dd->dom->iova, &is);
	vtd_iova_cache_get_stats(&dd->dom->iova, &cs);
	vtd_flush_get_stats(dd->dom, &fs);
	/* Under vtd_dma_mutex, which the notifier takes to set @driver. */
	seq_printf(m, "%s driver %s%s: %s domain %u\n", pci_name(dd->pdev),
		   dd->driver ?: "-",
		   dd->rebound ? " (re-probed at load)" : "",
		   dd->unit->name, dd->dom->did);
	if (dd->owned->in_use)
		seq_printf(m, "  in use: keeps vtd_remap loaded (%u driver(s) of group %u bound%s)\n",
			   dd->owned->nr_bound, dd->owned->grp->id,
			   dd->owned->nr_bound ? "" :
			   "; ranges they mapped still live");
	seq_printf(m, "  masks: dma %#llx coherent %#llx; segment boundary %#lx, max segment %u\n",
		   dma_get_mask(dev), dev->coherent_dma_mask,
		   dma_get_seg_boundary(dev), dma_get_max_seg_size(dev));
	seq_printf(m, "  unmap: %s\n",
		   vtd_flush_mode_name(vtd_flush_mode(dd->dom)));
	/*
	 * Ranges waiting in a per-CPU cache or a flush queue are still
	 * allocated in the tree, but no driver holds them.
	 */
	/* Shadow chunks stay mapped for good: not the driver's. */
	seq_printf(m, "  live: %lu ranges, %lld bytes mapped\n",
		   is.nr_allocated - min(is.nr_allocated,
					 cs.cached_ranges + fs.queued +
					 shadow_chunks),
		   (long long)vtd_domain_mapped_bytes(dd->dom) -
		   (long long)shadow_chunks * VTD_SHADOW_CHUNK_SIZE);
	seq_printf(m, "  iova: %lu ranges (%lu pages) allocated in the tree, of which %lu in per-CPU caches and %lu in flush queues\n",
		   is.nr_allocated, is.allocated_frames, cs.cached_ranges,
		   fs.queued);
	seq_printf(m, "  maps: page %lld sg %lld (one range) + %lld (per segment), %lld segments -> %lld, coherent %lld, resource %lld, pages %lld, noncontig %lld; %lld bytes in all\n",
		   (long long)st->maps[VTD_DMA_PAGE],
		   (long long)st->maps[VTD_DMA_SG],
		   (long long)st->maps[VTD_DMA_SG_EACH],
		   (long long)st->sg_in,
		   (long long)st->sg_out,
		   (long long)st->maps[VTD_DMA_COHERENT],
		   (long long)st->maps[VTD_DMA_RESOURCE],
		   (long long)st->maps[VTD_DMA_PAGES],
		   (long long)st->maps[VTD_DMA_NONCONTIG],
		   (long long)st->bytes);
	seq_printf(m, "  unmaps: page %lld sg %lld coherent %lld resource %lld pages %lld noncontig %lld; failed maps %lld, bad unmaps %lld\n",
		   (long long)st->unmaps[VTD_DMA_PAGE],
		   (long long)st->unmaps[VTD_DMA_SG],
		   (long long)st->unmaps[VTD_DMA_COHERENT],
		   (long long)st->unmaps[VTD_DMA_RESOURCE],
		   (long long)st->unmaps[VTD_DMA_PAGES],
		   (long long)st->unmaps[VTD_DMA_NONCONTIG],
		   (long long)st->errors,
		   (long long)st->bad_unmaps);
	if (dd->shadow)
		vtd_shadow_show(m, dd->shadow);
}

static int vtd_dma_devices_show(struct seq_file *m, void *unused)
{
	struct vtd_dma_dev *dd;
	unsigned long key;

	seq_printf(m, "largest mapping %zu bytes; unmap %s unless own= says otherwise (strict: IOTLB invalidated before unmap returns; deferred: within the window, see the domain's flush file)\n",
		   vtd_dma_max_map,
		   vtd_flush_mode_name(vtd_flush_default_mode()));
	mutex_lock(&vtd_dma_mutex);
	xa_for_each(&vtd_dma_devs, key, dd)
		vtd_dma_show_dev(m, dd);
	mutex_unlock(&vtd_dma_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_dma_devices);

/* One recent map, with what the page table says about it now. */
static void vtd_dma_show_event(struct seq_file *m, struct vtd_dma_dev *dd,
			       const struct vtd_dma_event *ev)
{
	phys_addr_t phys;
	const char *table;

	if (vtd_domain_lookup(dd->dom, ev->dma, &phys))
		table = "not mapped";
	else if (phys == ev->phys)
		table = "maps to phys";
	else
		table = "remapped since";	/* unmapped and reused */
	seq_printf(m, "  dma %#014llx -> phys %#014llx %10llu bytes %3u seg %-8s %-8s table: %s\n",
		   ev->dma, ev->phys, ev->size, ev->nents,
		   vtd_dma_kind_name[ev->kind], vtd_dma_dir_name(ev->dir),
		   table);
}

static int vtd_dma_mappings_show(struct seq_file *m, void *unused)
{
	struct vtd_dma_event ev;
	unsigned int next, n, i, cpu;
	struct vtd_dma_ring *r;
	struct vtd_dma_dev *dd;
	unsigned long key;

	mutex_lock(&vtd_dma_mutex);
	xa_for_each(&vtd_dma_devs, key, dd) {
		seq_printf(m, "%s domain %u: %lld bytes mapped now\n",
			   pci_name(dd->pdev), dd->dom->did,
			   (long long)vtd_domain_mapped_bytes(dd->dom));
		for_each_possible_cpu(cpu) {
			r = per_cpu_ptr(dd->recent, cpu);
			next = READ_ONCE(r->next);
			if (!next)
				continue;
			n = min_t(unsigned int, next, VTD_DMA_RECENT);
			seq_printf(m, " cpu %u: the last %u of %u maps, newest first:\n",
				   cpu, n, next);
			for (i = 1; i <= n; i++) {
				if (vtd_dma_recent_read(r, next - i, &ev))
					vtd_dma_show_event(m, dd, &ev);
				else
					seq_puts(m, "  (being written)\n");
			}
		}
	}
	mutex_unlock(&vtd_dma_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_dma_mappings);

static void vtd_dma_debugfs_init(void)
{
	struct dentry *root = debugfs_lookup(KBUILD_MODNAME, NULL);

	if (!root) {
		/* The module's debugfs code did not make its directory. */
		root = debugfs_create_dir(KBUILD_MODNAME, NULL);
		if (IS_ERR(root))
			return;
		vtd_dma_root_made = root;
		dget(root);
	}
	vtd_dma_dir = debugfs_create_dir("dma", root);
	dput(root);
	debugfs_create_file("devices", 0444, vtd_dma_dir, NULL,
			    &vtd_dma_devices_fops);
	debugfs_create_file("mappings", 0444, vtd_dma_dir, NULL,
			    &vtd_dma_mappings_fops);
}

static void vtd_dma_debugfs_exit(void)
{
	debugfs_remove(vtd_dma_dir);
	vtd_dma_dir = NULL;
	debugfs_remove(vtd_dma_root_made);
	vtd_dma_root_made = NULL;
}

/* --- taking and giving back devices ---------------------------------- */

/*
 * Unbind a device's driver with vtd_dma_mutex dropped (section 6): the
 * driver core calls the bus notifiers, under the bus's notifier rwsem,
 * and ours takes vtd_dma_mutex.
 */
static void vtd_dma_release_unlocked(struct device *dev)
{
	lockdep_assert_held(&vtd_dma_mutex);
	mutex_unlock(&vtd_dma_mutex);
	device_release_driver(dev);
	mutex_lock(&vtd_dma_mutex);
}

/*
 * The ranges of the shadow pools of @og's members, in its domain: they
 * stay until the pools go (vtd_dma_dev_free()).
 */
static unsigned long vtd_dma_group_shadow_chunks(struct vtd_dma_group *og)
{
	struct vtd_dma_dev *m;
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < og->grp->nr; i++) {
		m = xa_load(&vtd_dma_devs, vtd_dma_key(og->grp->members[i]));
		if (m && m->owned == og && m->shadow)
			n += vtd_shadow_chunks(m->shadow);
	}
	return n;
}

/* Whether nothing the drivers of @og's members mapped is still mapped. */
static bool vtd_dma_idle(struct vtd_dma_group *og)
{
	struct vtd_iova_stats st;

	/*
	 * Deferred unmaps hold their ranges until a flush, the per-CPU
	 * caches until they give them back; quarantined ones forever.
	 */
	vtd_flush_domain_all(og->dom);
	vtd_iova_cache_flush(&og->dom->iova);
	vtd_iova_get_stats(&og->dom->iova, &st);
	return st.nr_allocated <= vtd_flush_quarantined_ranges(og->dom) +
				  vtd_dma_group_shadow_chunks(og);
}

static void vtd_dma_wait_idle(struct vtd_dma_dev *dd)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(VTD_DMA_IDLE_WAIT_MS);

	while (!vtd_dma_idle(dd->owned) && time_before(jiffies, deadline))
		msleep(20);
	/* The domain goes now; a later free through other ops would be wrong. */
	dev_WARN_ONCE(&dd->pdev->dev, !vtd_dma_idle(dd->owned),
		      "dma: %lld bytes still mapped %u ms after the driver was unbound (device held open?)\n",
		      (long long)vtd_domain_mapped_bytes(dd->dom),
		      VTD_DMA_IDLE_WAIT_MS);
}

static void vtd_dma_busy_poll(struct work_struct *work);
static DECLARE_DELAYED_WORK(vtd_dma_busy_work, vtd_dma_busy_poll);
static void vtd_dma_give_back(struct vtd_dma_dev *dd, bool probe_all);

/*
 * Section 2: make @og hold a reference to this module exactly while it
 * keeps vtd_remap in use - a member's driver is bound through the shim,
 * or none is but ranges they mapped are still live (a driver that frees
 * after its remove: nvme's controller held open). A driver bound while
 * the module is going gets no reference (the unload's give-back unbinds
 * it). Return: whether @og is in use with no driver bound, to be looked
 * at again (vtd_dma_busy_poll()).
 */
static bool vtd_dma_group_use(struct vtd_dma_group *og)
{
	bool busy;

	lockdep_assert_held(&vtd_dma_mutex);
	/* Idle is asked only with no driver bound: it drains the caches. */
	busy = og->nr_bound || !vtd_dma_idle(og);
	if (busy && !og->in_use) {
		og->in_use = try_module_get(THIS_MODULE);
	} else if (!busy && og->in_use) {
		og->in_use = false;
		module_put(THIS_MODULE);
	}
	return og->in_use && !og->nr_bound;
}

/*
 * Look again at the groups whose drivers are gone but whose ranges were
 * not (vtd_dma_group_use()), every VTD_DMA_BUSY_POLL_MS until none is
 * left. Unload cancels it: the last module_put() may come from here.
 */
static void vtd_dma_busy_poll(struct work_struct *work)
{
	struct vtd_dma_group *og;
	struct vtd_dma_dev *dd;
	unsigned long key;
	bool again = false;

	mutex_lock(&vtd_dma_mutex);
	xa_for_each(&vtd_dma_devs, key, dd) {
		og = dd->owned;
		if (dd->leaving || !og->in_use || og->nr_bound)
			continue;
		if (og->gone && vtd_dma_idle(og)) {
			pci_info(dd->pdev, "dma: what its removed member's driver left mapped is freed: group %u given back\n",
				 og->grp->id);
			/* Its last record drops the module reference. */
			vtd_dma_give_back(dd, false);
		} else if (vtd_dma_group_use(og)) {
			again = true;
		} else {
			pci_info(dd->pdev, "dma: what its driver left mapped is freed: group %u no longer keeps vtd_remap loaded\n",
				 og->grp->id);
		}
	}
	mutex_unlock(&vtd_dma_mutex);
	if (again)
		schedule_delayed_work(&vtd_dma_busy_work,
				      msecs_to_jiffies(VTD_DMA_BUSY_POLL_MS));
}

/*
 * Probe a driver again, with vtd_dma_mutex dropped (section 6); @had_one:
 * we unbound one, so none taking it is worth a warning.
 */
static void vtd_dma_reprobe(struct pci_dev *pdev, bool had_one)
{
	int ret;

	lockdep_assert_held(&vtd_dma_mutex);
	mutex_unlock(&vtd_dma_mutex);
	ret = device_attach(&pdev->dev);
	mutex_lock(&vtd_dma_mutex);
	if (ret < 0)
		pci_warn(pdev, "dma: probing its driver again failed: %d\n",
			 ret);
	else if (!ret && had_one)
		pci_warn(pdev, "dma: no driver took it back\n");
}

/* Drop a reference to an owned group; the last frees its domain, once. */
static void vtd_dma_group_put(struct vtd_dma_group *og)
{
	if (--og->nr_recs)
		return;
	/* Given back (unload, removal): the drivers are gone. */
	if (og->in_use)
		module_put(THIS_MODULE);
	vtd_domain_free(og->dom);
	vtd_group_free(og->grp);
	kfree(og);
}

static void vtd_dma_dev_free(struct vtd_dma_dev *dd)
{
	struct vtd_dma_group *og = dd->owned;

	/* Empty unless a driver leaked a buffer (then its record stays). */
	xa_destroy(&dd->bufs);
	vtd_shadow_pool_destroy(dd->shadow);
	pci_dev_put(dd->pdev);
	free_percpu(dd->stats);
	free_percpu(dd->recent);
	kfree(dd);
	vtd_dma_group_put(og);
}

/*
 * Give back the whole group @dd is a member of (sections 1 and 2): every
 * member's driver unbound, the shared domain drained, every member's ops
 * removed, every member detached, drivers probed again, the domain freed
 * once. The members whose drivers it unbound are probed again, and with
 * @probe_all every member (unload: a driver unbound by hand before
 * rmmod comes back without us). While the mutex is dropped to unbind or
 * probe drivers, the records are marked @leaving (the bus notifier
 * leaves them alone) and then out of vtd_dma_devs.
 */
static void vtd_dma_give_back(struct vtd_dma_dev *dd, bool probe_all)
{
	struct vtd_dma_group *og = dd->owned;
	struct vtd_group *grp = og->grp;
	struct vtd_dma_dev *recs[8], **m = recs;
	unsigned int i, n = 0;

	lockdep_assert_held(&vtd_dma_mutex);
	if (grp->nr > ARRAY_SIZE(recs))
		m = kcalloc(grp->nr, sizeof(*m), GFP_KERNEL | __GFP_NOFAIL);
	for (i = 0; i < grp->nr; i++) {
		m[n] = xa_load(&vtd_dma_devs, vtd_dma_key(grp->members[i]));
		if (!WARN_ON_ONCE(!m[n] || m[n]->owned != og))
			m[n++]->leaving = true;
	}
	for (i = 0; i < n; i++) {
		m[i]->unbound = READ_ONCE(m[i]->pdev->dev.driver);
		if (m[i]->unbound)
			vtd_dma_release_unlocked(&m[i]->pdev->dev);
	}
	/* The domain is shared: idle only once every member's driver is gone. */
	vtd_dma_wait_idle(dd);
	for (i = 0; i < n; i++) {
		set_dma_ops(&m[i]->pdev->dev, NULL);
		xa_erase(&vtd_dma_devs, vtd_dma_key(m[i]->pdev));
	}
	vtd_group_detach(grp, og->dom);
	/* Removed while busy: their default entries go now, as at removal. */
	for (i = 0; i < n; i++)
		if (m[i]->removed)
			vtd_unit_remove_device(m[i]->unit, m[i]->pdev);
	for (i = 0; i < n; i++) {
		pci_info(m[i]->pdev, "dma: given back with group %u (%lld bytes were mapped through domain %u)%s\n",
			 grp->id, (long long)vtd_dma_bytes(m[i]),
			 og->dom->did,
			 m[i]->unbound ? "; probing its driver again" : "");
		if (m[i]->unbound || probe_all)
			vtd_dma_reprobe(m[i]->pdev, m[i]->unbound);
	}
	for (i = 0; i < n; i++)
		vtd_dma_dev_free(m[i]);
	if (m != recs)
		kfree(m);
}

/*
 * A record for member @pdev of @og, published in vtd_dma_devs; in shadow
 * mode with a shadow pool of its own in the group's domain.
 */
static int vtd_dma_dev_add(struct pci_dev *pdev, struct vtd_unit *unit,
			   struct vtd_dma_group *og, enum vtd_unmap_mode mode)
{
	struct vtd_dma_dev *dd;
	int ret;

	dd = kzalloc(sizeof(*dd), GFP_KERNEL);
	if (!dd)
		return -ENOMEM;
	dd->stats = alloc_percpu(struct vtd_dma_stats);
	dd->recent = alloc_percpu(struct vtd_dma_ring);
	if (!dd->stats || !dd->recent) {
		free_percpu(dd->stats);
		free_percpu(dd->recent);
		kfree(dd);
		return -ENOMEM;
	}
	/* alloc_percpu() zeroes: every ring empty, every slot's seq 0. */
	xa_init(&dd->bufs);
	dd->unit = unit;
	dd->dom = og->dom;
	dd->owned = og;
	dd->pdev = pci_dev_get(pdev);
	og->nr_recs++;
	/* Until the take is done: the mutex is dropped for the drivers. */
	dd->leaving = true;
	if (mode == VTD_UNMAP_SHADOW) {
		dd->shadow = vtd_shadow_pool_create(dd->dom, 0);
		if (IS_ERR(dd->shadow)) {
			ret = PTR_ERR(dd->shadow);
			dd->shadow = NULL;
			vtd_dma_dev_free(dd);
			return ret;
		}
	}
	ret = xa_insert(&vtd_dma_devs, vtd_dma_key(pdev), dd, GFP_KERNEL);
	if (ret)
		vtd_dma_dev_free(dd);
	return ret;
}

/*
 * Take @pdev's whole group (sections 1 and 2), all or nothing: one
 * domain for every member, attached at once. The caller has checked that
 * own= asks for every member. Return: 0 or -errno, nothing taken.
 */
static int vtd_dma_take(struct pci_dev *pdev, struct vtd_unit *unit,
			enum vtd_unmap_mode mode)
{
	struct vtd_dma_group *og;
	struct vtd_dma_dev *dd;
	struct vtd_group *grp;
	unsigned int i, added = 0;
	int ret;

	lockdep_assert_held(&vtd_dma_mutex);
	grp = vtd_group_of(pdev);
	if (IS_ERR(grp))
		return PTR_ERR(grp);
	og = kzalloc(sizeof(*og), GFP_KERNEL);
	if (!og) {
		vtd_group_free(grp);
		return -ENOMEM;
	}
	og->grp = grp;
	og->dom = vtd_domain_alloc(unit, VTD_DOMAIN_DMA);
	if (IS_ERR(og->dom)) {
		ret = PTR_ERR(og->dom);
		vtd_group_free(grp);
		kfree(og);
		return ret;
	}
	/* A reference of our own while records come and go. */
	og->nr_recs = 1;
	ret = vtd_flush_set_mode(og->dom, mode, NULL);
	for (added = 0; !ret && added < grp->nr; added++) {
		ret = vtd_dma_dev_add(grp->members[added], unit, og, mode);
		if (ret)
			break;
	}
	if (ret)
		goto out_erase;

	/* Their drivers' remove frees with the ops they allocated with. */
	for (i = 0; i < grp->nr; i++) {
		dd = xa_load(&vtd_dma_devs, vtd_dma_key(grp->members[i]));
		dd->rebound = READ_ONCE(dd->pdev->dev.driver);
		if (dd->rebound)
			vtd_dma_release_unlocked(&dd->pdev->dev);
	}
	ret = vtd_group_attach(grp, og->dom);
	if (ret)
		goto out_erase;
	for (i = 0; i < grp->nr; i++) {
		dd = xa_load(&vtd_dma_devs, vtd_dma_key(grp->members[i]));
		set_dma_ops(&dd->pdev->dev,
			    dd->shadow ? &vtd_dma_shadow_ops : &vtd_dma_ops);
		pci_info(dd->pdev, "dma: DMA through the shim, group %u of %u device(s), domain %u on %s, %s unmap%s\n",
			 grp->id, grp->nr, og->dom->did, unit->name,
			 vtd_flush_mode_name(mode),
			 dd->rebound ? "; probing its driver again" : "");
		dd->leaving = false;
	}
	/* The records may be given back while the mutex is dropped. */
	for (i = 0; i < grp->nr; i++) {
		dd = xa_load(&vtd_dma_devs, vtd_dma_key(grp->members[i]));
		if (dd && dd->rebound)
			vtd_dma_reprobe(grp->members[i], true);
	}
	vtd_dma_group_put(og);
	return 0;

out_erase:
	/* Records go first, then the drivers come back without us. */
	for (i = 0; i < added; i++) {
		bool rebound;

		dd = xa_erase(&vtd_dma_devs, vtd_dma_key(grp->members[i]));
		rebound = dd->rebound;
		vtd_dma_dev_free(dd);
		if (rebound)
			vtd_dma_reprobe(grp->members[i], true);
	}
	/* Our own reference: frees the domain and the group. */
	vtd_dma_group_put(og);
	return ret;
}

/* Whether own= asks for @pdev: by address, or by its unit or "all". */
static bool vtd_dma_wanted(const struct vtd_dma_want *want,
			   struct pci_dev *pdev, struct vtd_unit *unit)
{
	unsigned int i;

	if (want->all || (unit->index < BITS_PER_LONG &&
			  (want->units & BIT(unit->index))))
		return true;
	for (i = 0; i < want->nr; i++)
		if (want->addr[i] == vtd_dma_key(pdev))
			return true;
	return false;
}

/*
 * Whether @pdev's group may be taken: own= asks for every member and none
 * is in a domain already. Return: 0, -EBUSY with a message naming the
 * group and its members (@why says what was asked), -ENODEV, -ENOMEM.
 */
static int vtd_dma_group_check(const struct vtd_dma_want *want,
			       struct pci_dev *pdev, struct vtd_unit *unit,
			       const char *why)
{
	struct vtd_group *grp;
	char desc[192];
	unsigned int i;
	int ret = 0;

	grp = vtd_group_of(pdev);
	if (IS_ERR(grp))
		return PTR_ERR(grp);
	vtd_group_describe(grp, desc, sizeof(desc));
	for (i = 0; i < grp->nr && !ret; i++) {
		struct pci_dev *m = grp->members[i];

		if (!vtd_dma_wanted(want, m, unit)) {
			pci_err(pdev, "dma: %s, but it is in %s with %s, which own= does not name: a group is owned whole or not at all\n",
				why, desc, pci_name(m));
			ret = -EBUSY;
		} else if (vtd_domain_of(m) &&
			   !xa_load(&vtd_dma_devs, vtd_dma_key(m))) {
			pci_err(pdev, "dma: %s, but %s of its %s is in a domain already\n",
				why, pci_name(m), desc);
			ret = -EBUSY;
		}
	}
	vtd_group_free(grp);
	return ret;
}

/* Take a device named by address, with its group; any failure fails the load. */
static int vtd_dma_take_listed(const struct vtd_dma_want *want,
			       unsigned int i)
{
	u32 addr = want->addr[i];
	unsigned int seg = addr >> 16, bus = (addr >> 8) & 0xff;
	struct pci_dev *pdev;
	struct vtd_unit *unit;
	int ret;

	pdev = pci_get_domain_bus_and_slot(seg, bus, addr & 0xff);
	if (!pdev) {
		pr_err("own: no PCI device %04x:%02x:%02x.%u\n", seg, bus,
		       PCI_SLOT(addr & 0xff), PCI_FUNC(addr & 0xff));
		return -ENODEV;
	}
	unit = vtd_unit_for_pci(pdev);
	if (!unit) {
		pci_err(pdev, "dma: no unit the module drives translates it\n");
		ret = -ENODEV;
	} else if (xa_load(&vtd_dma_devs, vtd_dma_key(pdev))) {
		ret = 0;	/* named twice, or taken with its group */
	} else if (vtd_pci_is_bridge(pdev)) {
		pci_err(pdev, "dma: a bridge originates no DMA of its own: not owned\n");
		ret = -EINVAL;
	} else {
		ret = vtd_dma_group_check(want, pdev, unit, "own= names it");
		if (!ret)
			ret = vtd_dma_take(pdev, unit, want->mode[i]);
		if (ret)
			pci_err(pdev, "dma: cannot take it: %d\n", ret);
	}
	pci_dev_put(pdev);
	return ret;
}

/*
 * Take every endpoint of the units @want names, each with its group;
 * failures (a group own= does not cover whole) are skipped with a
 * message.
 */
static void vtd_dma_take_scope(const struct vtd_dma_want *want)
{
	struct pci_dev *pdev = NULL;
	struct vtd_unit *unit;
	int ret, domain;

	for_each_pci_dev(pdev) {
		if (vtd_pci_is_bridge(pdev))
			continue;
		domain = pci_domain_nr(pdev->bus);
		if (vtd_pci_segment(domain) < 0) {
			pci_info(pdev, "dma: not taken: PCI domain %#x is no 16-bit segment (behind VMD?), no unit translates it\n",
				 domain);
			continue;
		}
		unit = vtd_unit_for_pci(pdev);
		if (!unit || (!want->all && (unit->index >= BITS_PER_LONG ||
					     !(want->units & BIT(unit->index)))))
			continue;
		if (xa_load(&vtd_dma_devs, vtd_dma_key(pdev)))
			continue;
		if (vtd_domain_of(pdev)) {
			pci_info(pdev, "dma: left alone: already in a domain\n");
			continue;
		}
		ret = vtd_dma_group_check(want, pdev, unit,
					  "own= covers its unit");
		if (!ret)
			ret = vtd_dma_take(pdev, unit, want->scope_mode);
		if (ret)
			pci_warn(pdev, "dma: not taken: %d\n", ret);
	}
}

/*
 * One word of "own", optionally "<word>@<mode>" ('@' is in no PCI address
 * or unit name). Return: 0 or -EINVAL.
 */
static int vtd_dma_parse_word(char *w, struct vtd_dma_want *want)
{
	unsigned int seg = 0, bus, slot, fn, unit;
	enum vtd_unmap_mode mode = vtd_flush_default_mode();
	char *at = strchr(w, '@');
	char end;

	if (at) {
		if (vtd_flush_parse_mode(at + 1, &mode))
			return -EINVAL;
		*at = '\0';
	}
	if (!strcmp(w, "all")) {
		want->all = true;
		want->scope_mode = mode;
		return 0;
	}
	if (!strncmp(w, "dmar", 4)) {
		if (kstrtouint(w + 4, 10, &unit) || unit >= BITS_PER_LONG)
			return -EINVAL;
		want->units |= BIT(unit);
		want->scope_mode = mode;
		return 0;
	}
	if (sscanf(w, "%x:%x:%x.%x%c", &seg, &bus, &slot, &fn, &end) != 4) {
		seg = 0;
		if (sscanf(w, "%x:%x.%x%c", &bus, &slot, &fn, &end) != 3)
			return -EINVAL;
	}
	if (seg > 0xffff || bus > 0xff || slot > 0x1f || fn > 7 ||
	    want->nr == VTD_DMA_MAX_LISTED)
		return -EINVAL;
	want->mode[want->nr] = mode;
	want->addr[want->nr++] = seg << 16 | bus << 8 | PCI_DEVFN(slot, fn);
	return 0;
}

static int vtd_dma_parse(const char *param, struct vtd_dma_want *want)
{
	char *buf, *cur, *w;
	int ret = 0;

	memset(want, 0, sizeof(*want));
	want->scope_mode = vtd_flush_default_mode();
	if (!param || !*param)
		return 0;
	buf = kstrdup(param, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cur = buf;
	while (!ret && (w = strsep(&cur, ",")) != NULL) {
		w = strim(w);
		if (!*w)
			continue;
		ret = vtd_dma_parse_word(w, want);
		if (ret)
			pr_err("own: cannot parse \"%s\" (want [SSSS:]BB:DD.F, dmarN or all, each with an optional @strict, @deferred or @shadow; at most %u addresses)\n",
			       w, VTD_DMA_MAX_LISTED);
	}
	kfree(buf);
	return ret;
}

/* Section 7: the largest power of two whose tables fit the budget. */
static size_t vtd_dma_max_mapping(void)
{
	u64 size = PAGE_SIZE;

	while (vtd_pgtable_map_pages(4, size * 2) <= VTD_DMA_MAP_TABLE_PAGES)
		size *= 2;
	return size;
}

static void vtd_dma_give_back_all(bool probe_all)
{
	struct vtd_dma_want *want;
	struct vtd_dma_dev *dd;
	unsigned long key;

	mutex_lock(&vtd_dma_mutex);
	want = vtd_dma_own;
	vtd_dma_own = NULL;
	xa_for_each(&vtd_dma_devs, key, dd)
		vtd_dma_give_back(dd, probe_all);
	mutex_unlock(&vtd_dma_mutex);
	kfree(want);
}

/* Whether @want covers @pdev of @unit; its unmap mode in @mode. */
static bool vtd_dma_covers(const struct vtd_dma_want *want,
			   struct pci_dev *pdev, struct vtd_unit *unit,
			   enum vtd_unmap_mode *mode)
{
	unsigned int i;

	for (i = 0; i < want->nr; i++) {
		if (want->addr[i] == vtd_dma_key(pdev)) {
			*mode = want->mode[i];
			return true;
		}
	}
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL ||
	    pdev->class >> 16 == PCI_BASE_CLASS_BRIDGE)
		return false;
	if (!want->all && (unit->index >= BITS_PER_LONG ||
			   !(want->units & BIT(unit->index))))
		return false;
	*mode = want->scope_mode;
	return true;
}

/**
 * vtd_dma_device_added() - take a device that appeared after load
 * @pdev: the device, on the bus but not probed yet (BUS_NOTIFY_ADD_DEVICE)
 * @unit: the unit translating it
 *
 * If "own" covers @pdev (its address, its unit's name, or "all"), it is
 * taken as at load (section 2): no driver is bound yet, so this is attach
 * and ops. A record left at its address by a device whose removal was
 * not seen is given back first.
 *
 * Context: process, the PCI bus notifier; sleeps.
 * Return: whether @pdev is owned now.
 */
bool vtd_dma_device_added(struct pci_dev *pdev, struct vtd_unit *unit)
{
	enum vtd_unmap_mode mode;
	struct vtd_dma_dev *dd;
	int ret = 0;

	mutex_lock(&vtd_dma_mutex);
	if (!vtd_dma_own ||
	    !vtd_dma_covers(vtd_dma_own, pdev, unit, &mode)) {
		ret = -ENOENT;
		goto out;
	}
	dd = xa_load(&vtd_dma_devs, vtd_dma_key(pdev));
	if (dd && dd->leaving) {
		pci_warn(pdev, "dma: added while the record of a removed device at this address is given back: not taken\n");
		ret = -EBUSY;
		goto out;
	}
	if (dd && dd->pdev != pdev) {
		pci_info(pdev, "dma: a stale record of a removed device at this address: given back first\n");
		vtd_dma_give_back(dd, false);
		dd = NULL;
	}
	if (!dd) {
		/* Its group is owned whole or not at all, as at load. */
		ret = vtd_dma_group_check(vtd_dma_own, pdev, unit,
					  "added after load");
		if (!ret)
			ret = vtd_dma_take(pdev, unit, mode);
		if (ret)
			pci_warn(pdev, "dma: added after load, not taken: %d\n",
				 ret);
	}
out:
	mutex_unlock(&vtd_dma_mutex);
	return !ret;
}

/**
 * vtd_dma_device_removed() - give back an owned device that went away
 * @pdev: the device, its driver unbound (BUS_NOTIFY_REMOVED_DEVICE)
 *
 * Gives back its group (vtd_dma_give_back()): removes the ops, detaches,
 * frees the domain and the records and drops their references. If its
 * driver left ranges mapped (freed only when something holding the device
 * open lets go) and no member has a driver, the group stays as it is until
 * vtd_dma_busy_poll() finds them freed. Nothing for a device not owned.
 *
 * Context: process, the PCI bus notifier; sleeps.
 */
void vtd_dma_device_removed(struct pci_dev *pdev)
{
	struct vtd_dma_dev *dd;

	struct vtd_dma_group *og;

	mutex_lock(&vtd_dma_mutex);
	dd = xa_load(&vtd_dma_devs, vtd_dma_key(pdev));
	/* A record being given back (@leaving) is finished by its giver. */
	if (!dd || dd->pdev != pdev || dd->leaving)
		goto out;
	og = dd->owned;
	/*
	 * Its driver is gone but what it mapped is not (a disk held open):
	 * freed later through these ops, so they stay until then, and the
	 * group's module reference with them (vtd_dma_busy_poll()).
	 */
	if (!og->nr_bound && og->in_use && !vtd_dma_idle(og)) {
		og->gone = true;
		dd->removed = true;
		pci_warn(pdev, "dma: removed with %lld bytes still mapped (device held open?): given back once they are freed\n",
			 (long long)vtd_domain_mapped_bytes(og->dom));
		schedule_delayed_work(&vtd_dma_busy_work,
				      msecs_to_jiffies(VTD_DMA_BUSY_POLL_MS));
		goto out;
	}
	vtd_dma_give_back(dd, false);
out:
	mutex_unlock(&vtd_dma_mutex);
}

int vtd_dma_init(void)
{
	struct vtd_dma_want *want;
	unsigned long key;
	unsigned int i, n = 0;
	void *entry;
	int ret;

	vtd_dma_max_map = vtd_dma_max_mapping();
	want = kmalloc(sizeof(*want), GFP_KERNEL);
	if (!want)
		return -ENOMEM;
	ret = vtd_dma_parse(own, want);
	if (ret)
		goto out_free;

	mutex_lock(&vtd_dma_mutex);
	/* From here on, devices added are taken by vtd_dma_device_added(). */
	vtd_dma_own = want;
	for (i = 0; i < want->nr && !ret; i++)
		ret = vtd_dma_take_listed(want, i);
	if (!ret && (want->all || want->units))
		vtd_dma_take_scope(want);
	mutex_unlock(&vtd_dma_mutex);
	if (ret) {
		/* Frees @want. */
		vtd_dma_give_back_all(false);
		return ret;
	}

	xa_for_each(&vtd_dma_devs, key, entry)
		n++;
	vtd_dma_debugfs_init();
	pr_info("%u device(s) owned; largest mapping %zu KiB; %s unmap unless own= says otherwise\n",
		n, vtd_dma_max_map / 1024,
		vtd_flush_mode_name(vtd_flush_default_mode()));
	return 0;

out_free:
	kfree(want);
	return ret;
}

/**
 * vtd_dma_driver_bound() - a driver was bound to a device (section 2)
 * @pdev: the device (BUS_NOTIFY_BOUND_DRIVER, under its device_lock)
 *
 * If the device is owned, its group keeps vtd_remap loaded from now on,
 * until its drivers are unbound and what they mapped is freed.
 *
 * Context: process, the PCI bus notifier; sleeps.
 */
void vtd_dma_driver_bound(struct pci_dev *pdev)
{
	struct vtd_dma_dev *dd;

	mutex_lock(&vtd_dma_mutex);
	dd = xa_load(&vtd_dma_devs, vtd_dma_key(pdev));
	if (dd && dd->pdev == pdev && !dd->leaving && !dd->driver &&
	    pdev->dev.driver) {
		dd->driver = pdev->dev.driver->name;
		dd->owned->nr_bound++;
		vtd_dma_group_use(dd->owned);
	}
	mutex_unlock(&vtd_dma_mutex);
}

/**
 * vtd_dma_driver_unbound() - a driver was unbound from a device
 * @pdev: the device (BUS_NOTIFY_UNBOUND_DRIVER, under its device_lock)
 *
 * The last driver of an owned group gone, the group stops keeping
 * vtd_remap loaded once nothing they mapped is left: at once, or when
 * vtd_dma_busy_poll() finds the ranges freed. A record being given back
 * (@leaving) keeps its reference until it is freed.
 *
 * Context: process, the PCI bus notifier; sleeps.
 */
void vtd_dma_driver_unbound(struct pci_dev *pdev)
{
	struct vtd_dma_group *og;
	struct vtd_dma_dev *dd;

	mutex_lock(&vtd_dma_mutex);
	dd = xa_load(&vtd_dma_devs, vtd_dma_key(pdev));
	if (!dd || dd->pdev != pdev || !dd->driver)
		goto out;
	og = dd->owned;
	dd->driver = NULL;
	og->nr_bound--;
	if (dd->leaving || og->nr_bound || !vtd_dma_group_use(og))
		goto out;
	pci_warn(pdev, "dma: its driver is unbound with %lld bytes still mapped (device held open?): vtd_remap stays loaded until they are freed\n",
		 (long long)vtd_domain_mapped_bytes(og->dom));
	schedule_delayed_work(&vtd_dma_busy_work,
			      msecs_to_jiffies(VTD_DMA_BUSY_POLL_MS));
out:
	mutex_unlock(&vtd_dma_mutex);
}

void vtd_dma_exit(void)
{
	/* No group holds a reference now; the poll may be finishing. */
	cancel_delayed_work_sync(&vtd_dma_busy_work);
	vtd_dma_debugfs_exit();
	vtd_dma_give_back_all(true);
}
