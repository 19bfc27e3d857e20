// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap hardware units: one struct vtd_unit per DRHD of the DMAR table.
 * Registers, root and context tables, invalidation (register-based and
 * queued), fault recording, fault storms, and turning translation on and
 * off.
 *
 * Theory of operation
 *
 * 1. Concepts. A unit (VT-d chapter 10) translates the DMA of the PCI
 *    devices in its DRHD's scope. A request's source ID (bus << 8 | devfn)
 *    selects a root entry (by bus) and a context entry (by devfn); the
 *    context entry names a domain ID and either a second-level page table
 *    (translation type 0) or pass-through (type 2, ECAP.PT). A domain
 *    (vtd_domain.c) is an IOVA space plus a page table plus a domain ID.
 *    A device's requests may carry other requester IDs than its own
 *    (vtd_pci_sids(), reasoned like the PCI core's DMA alias walk: a
 *    PCIe-to-PCI bridge above it, quirks), and devices behind one such
 *    bridge share one: each ID has one context entry, however many
 *    devices use it. A source ID names a 16-bit segment: a device whose
 *    PCI domain is beyond 16 bits (behind Intel VMD) is translated by no
 *    unit (vtd_pci_segment()), never given a truncated ID.
 *
 * 2. Data structures. @root is one 4 KiB page of 256 root entries
 *    (VT-d 9.1: bit 0 present, bits 63:12 the context table). @ctx[bus] is
 *    that bus's context table, 256 entries of 16 bytes (VT-d 9.3: low
 *    qword bit 0 present, bits 3:2 translation type, bits 63:12 the
 *    second-level table; high qword bits 2:0 address width, bits 23:8
 *    domain ID). The address width is the depth of the table the entry
 *    points at; a pass-through entry names the largest width SAGAW
 *    offers (VT-d 9.3), whatever depth the unit's tables use. @devices
 *    maps a source ID to the DMA or identity domain it is attached to; a
 *    source ID absent from it uses @default_domain.
 *    @blocked is a bitmap of the source IDs a fault storm got blocked;
 *    @storm counts the recent faults of up to VTD_STORM_SOURCES sources.
 *
 * 3. Invariants.
 *    - A root entry is present iff @ctx[bus] is non-NULL, and it points
 *      at @ctx[bus].
 *    - Once translation is on, every source ID of every PCI device in the
 *      unit's scope has a present context entry: its attached domain's,
 *      or the default domain's, or the blocking entry. For the devices
 *      found at load the unit's bring-up writes them; a device that
 *      appears later (hotplug, rescan, an SR-IOV VF) gets them from the
 *      PCI bus notifier (vtd_hotplug.c, vtd_unit_add_device()) before
 *      its driver can probe. Only a device that appears after the unit's
 *      scan and before the notifier is registered (module load) has
 *      none until vtd_hotplug_init()'s sweep right after; its DMA faults
 *      meanwhile (recorded, nothing reaches memory). A source ID no
 *      present device uses, attached to no domain and not blocked, has
 *      no entry once its device's removal was notified
 *      (vtd_unit_remove_device()). A source ID several devices share
 *      points at a DMA domain only while every one of them that is not a
 *      bridge is attached to that domain (vtd_domain.c section 3).
 *    - A source ID's context entry is the blocking entry iff its bit in
 *      @blocked is set (vtd_unit_set_context() writes it whatever domain
 *      it is given): present, Fault Processing Disable set, an all-zero
 *      table (@block_table) and @block_did, a domain ID no domain has. A
 *      blocked source's DMA translates nowhere and records no fault.
 *    - A context entry written while translation is on is followed by a
 *      device-selective context-cache invalidation before the writer
 *      returns; a present entry is made not present, and its old domain's
 *      IOTLB entries invalidated, before it is rewritten (VT-d 6.5.3.3).
 *    - qi_on iff GSTS.QIES was set by us; while it is on, no register-based
 *      invalidation is issued (QEMU ignores them and their busy bits never
 *      clear, and the specification forbids mixing them).
 *    - A queue slot is written only after the unit has consumed it (IQH
 *      moved past it), so the queue never holds more than
 *      VTD_QI_ENTRIES - 1 descriptors and never loses one; a submission
 *      that finds no room fails with -EBUSY and writes nothing.
 *    - Every wait descriptor writes its own sequence number (@qi_seq), and
 *      a submission is complete iff the status word holds its number: a
 *      late completion of an earlier, timed-out wait never satisfies a
 *      later one.
 *    - The invalidation queue is empty (head == tail, last descriptor a
 *      wait descriptor) whenever @inv_lock is free, unless a submission
 *      timed out: its descriptors stay queued until the unit consumes
 *      them, and every later submission rings the tail again.
 *    - Domain ID 0 is never handed out when CAP.CM is set (VT-d 6.1: with
 *      caching mode, ID 0 tags cached not-present entries).
 *    - A source is marked blocked in @storm iff it had fault_storm_faults
 *      faults within fault_storm_ms since it was last unblocked; the storm
 *      work then sets its @blocked bit, with one message naming it.
 *
 * 4. Locking. Lock order: @mutex, then @ctx_lock, then @inv_lock; the
 *    fault lock and the allocators' locks are leaves. @mutex (sleeping)
 *    covers attach, detach, the default entries of devices added and
 *    removed after load, and the domain list, so context entries change
 *    one at a time; @ctx_lock (spinning) covers the table memory; @inv_lock
 *    (irq-safe spinning) covers the invalidation hardware, which is driven
 *    from any context because DMA unmaps happen in interrupt handlers.
 *    @fault_lock covers the fault ring and @storm; faults are counted
 *    where they are drained (any context), and the blocking itself, which
 *    writes context entries, is left to @storm_work under @mutex. @blocked
 *    changes only under @mutex.
 *
 * 5. Waiting. Every wait for hardware is a poll bounded in real time:
 *    vtd_wait_us (parameter wait_us) measured with ktime, however slow each
 *    register read is, with one last look after the deadline. It spins
 *    with udelay() so it is legal in atomic context. On timeout the
 *    request fails with -ETIMEDOUT, is counted and logged; nothing panics.
 *
 * 6. Failure policy. A unit that cannot be used (registers read all ones,
 *    translation or queued invalidation already on, no supported table
 *    depth) is refused with a message and the module goes on without it.
 *    An error while bringing a unit up undoes everything done to that unit.
 *    An invalidation queue error (IQE) is recovered from where it is seen:
 *    the refused descriptor is replaced by a Status Write wait descriptor
 *    (the one form every unit, QEMU 7.2 included, accepts), IQE cleared and
 *    the tail written again; the request that saw it fails with -EIO and
 *    the queue goes on working.
 *    Faults are drained from the fault event interrupt when it can be
 *    wired, and by a periodic poll in any case (vtd_unit_poll_faults()),
 *    and logged rate-limited. A source that faults fault_storm_faults times
 *    within fault_storm_ms is blocked (Xen disables such a device's bus
 *    mastering; here the unit's own context entry blocks it) until
 *    vtd_unit_unblock_source() (debugfs dmar<N>/unblock), so that one
 *    broken device cannot keep the fault path, the one fault recording
 *    register and the log busy for the others. The tests inject failures
 *    through @inject (struct vtd_unit_inject).
 *
 * 7. Suspend, resume and shutdown. Syscore operations, registered while
 *    any unit is up, run on one CPU with interrupts off, after every
 *    device has been suspended or shut down and before any is resumed.
 *    - Suspend parks each unit (vtd_unit_park()): the fault event masked
 *      and its message (FEDATA, FEADDR, FEUADDR) saved, translation and
 *      queued invalidation turned off, under @inv_lock. Tables, the queue
 *      page, domains and attachments are kept: RAM survives S3, the unit
 *      does not (QEMU resets every device on the wake-up from S3, its
 *      vtd unit included; a real unit loses its power).
 *    - @parked is set iff the unit is parked; while it is, invalidation
 *      requests and the write-buffer flush do nothing and succeed (they
 *      are checked under @inv_lock): with translation off nothing is
 *      cached that is used, and the restore invalidates every cache
 *      before translation is back on.
 *    - Resume restores each parked unit (vtd_unit_restore()) from
 *      whatever state it is in (reset, or as parked when the suspend was
 *      aborted after the syscore step): TE and QIE off if on, the queue
 *      set up again empty (IQT 0, IQA, QIE; IQH 0, qi_tail = qi_head =
 *      0) if it was on, then as at bring-up: root table (SRTP), global
 *      context-cache and IOTLB invalidation, write-buffer flush, TE; then
 *      the fault message written back, unmasked if the interrupt is wired.
 *      Every context entry is as it was, so each device's DMA translates
 *      as before the suspend. A restore that fails is logged and leaves
 *      the unit parked (translation off): an owned device's DMA then
 *      reaches the IOVA as a physical address, which the message names.
 *    - Shutdown (reboot, power-off, kexec; not a crash kexec, which runs
 *      no shutdown hooks) parks every unit, so the next kernel finds
 *      translation and queued invalidation off. A device whose driver
 *      has no shutdown method may still be doing DMA then; it continues
 *      untranslated, as under the kernel's own VT-d driver.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/syscore_ops.h>

#include <asm/cacheflush.h>

#include "vtd_debugfs.h"
#include "vtd_unit.h"

/* Register offsets, VT-d 11.4; the comment gives the access width. */
#define VTD_VER_REG		0x00	/* 32 */
#define VTD_CAP_REG		0x08	/* 64 */
#define VTD_ECAP_REG		0x10	/* 64 */
#define VTD_GCMD_REG		0x18	/* 32 */
#define VTD_GSTS_REG		0x1c	/* 32 */
#define VTD_RTADDR_REG		0x20	/* 64 */
#define VTD_CCMD_REG		0x28	/* 64 */
#define VTD_FSTS_REG		0x34	/* 32 */
#define VTD_FECTL_REG		0x38	/* 32 */
#define VTD_FEDATA_REG		0x3c	/* 32 */
#define VTD_FEADDR_REG		0x40	/* 32 */
#define VTD_FEUADDR_REG		0x44	/* 32 */
#define VTD_IQH_REG		0x80	/* 64 */
#define VTD_IQT_REG		0x88	/* 64 */
#define VTD_IQA_REG		0x90	/* 64 */

/* CAP_REG fields, VT-d 11.4.2. */
#define VTD_CAP_ND		GENMASK_ULL(2, 0)
#define VTD_CAP_RWBF		BIT_ULL(4)
#define VTD_CAP_CM		BIT_ULL(7)	/* vtd_unit_caching_mode() */
#define VTD_CAP_SAGAW		GENMASK_ULL(12, 8)
#define VTD_CAP_MGAW		GENMASK_ULL(21, 16)
#define VTD_CAP_FRO		GENMASK_ULL(33, 24)
#define VTD_CAP_SLLPS		GENMASK_ULL(37, 34)
#define VTD_CAP_PSI		BIT_ULL(39)
#define VTD_CAP_NFR		GENMASK_ULL(47, 40)
#define VTD_CAP_MAMV		GENMASK_ULL(53, 48)
#define VTD_CAP_DWD		BIT_ULL(54)
#define VTD_CAP_DRD		BIT_ULL(55)

/* ECAP_REG fields, VT-d 11.4.3. */
#define VTD_ECAP_C		BIT_ULL(0)
#define VTD_ECAP_QI		BIT_ULL(1)
#define VTD_ECAP_PT		BIT_ULL(6)
#define VTD_ECAP_SC		BIT_ULL(7)
#define VTD_ECAP_IRO		GENMASK_ULL(17, 8)

/* GCMD_REG / GSTS_REG bits, VT-d 11.4.4 and 11.4.5 (same positions). */
#define VTD_GCMD_TE		BIT(31)
#define VTD_GCMD_SRTP		BIT(30)
#define VTD_GCMD_WBF		BIT(27)
#define VTD_GCMD_QIE		BIT(26)
#define VTD_GCMD_IRE		BIT(25)
#define VTD_GCMD_CFI		BIT(23)
/*
 * The bits of GSTS that reflect a persistent command (TE, QIE, IRE, CFI):
 * a GCMD write must carry them as they are, or it turns them off. The
 * one-shot bits (SRTP, SFL, WBF, SIRTP) must not be carried.
 */
#define VTD_GSTS_PERSISTENT	(VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | \
				 VTD_GCMD_CFI)

/* CCMD_REG, VT-d 11.4.7.1. */
#define VTD_CCMD_ICC		BIT_ULL(63)
#define VTD_CCMD_CIRG		GENMASK_ULL(62, 61)
#define VTD_CCMD_CAIG		GENMASK_ULL(60, 59)
#define VTD_CCMD_SID		GENMASK_ULL(31, 16)
#define VTD_CCMD_DID		GENMASK_ULL(15, 0)

/* IOTLB_REG and IVA_REG at ECAP.IRO * 16, VT-d 11.4.8. */
#define VTD_IOTLB_IVT		BIT_ULL(63)
#define VTD_IOTLB_IIRG		GENMASK_ULL(61, 60)
#define VTD_IOTLB_IAIG		GENMASK_ULL(58, 57)
#define VTD_IOTLB_DR		BIT_ULL(49)
#define VTD_IOTLB_DW		BIT_ULL(48)
#define VTD_IOTLB_DID		GENMASK_ULL(47, 32)
#define VTD_IVA_IH		BIT_ULL(6)
#define VTD_IVA_AM		GENMASK_ULL(5, 0)

/* Granularities shared by CCMD.CIRG, IOTLB.IIRG and the descriptors' G. */
#define VTD_GRAN_GLOBAL		1
#define VTD_GRAN_DOMAIN		2
#define VTD_GRAN_DEVICE		3	/* context cache: one source ID */
#define VTD_GRAN_PAGE		3	/* IOTLB: an aligned range */

/* FSTS_REG, VT-d 11.4.9.1. */
#define VTD_FSTS_PFO		BIT(0)
#define VTD_FSTS_PPF		BIT(1)
#define VTD_FSTS_IQE		BIT(4)
#define VTD_FSTS_ICE		BIT(5)
#define VTD_FSTS_ITE		BIT(6)
#define VTD_FSTS_FRI		GENMASK(15, 8)

/* Fault recording register, high qword, VT-d 11.4.14. */
#define VTD_FRCD_F		BIT_ULL(63)
#define VTD_FRCD_T		BIT_ULL(62)
#define VTD_FRCD_FR		GENMASK_ULL(39, 32)
#define VTD_FRCD_SID		GENMASK_ULL(15, 0)

/* FECTL_REG: interrupt mask. */
#define VTD_FECTL_IM		BIT(31)

/* Invalidation queue descriptors, VT-d 6.5.2 (128-bit form). */
#define VTD_QI_TYPE		GENMASK_ULL(3, 0)
#define VTD_QI_CC		1
#define VTD_QI_IOTLB		2
#define VTD_QI_WAIT		5
#define VTD_QI_GRAN		GENMASK_ULL(5, 4)
#define VTD_QI_CC_DID		GENMASK_ULL(31, 16)
#define VTD_QI_CC_SID		GENMASK_ULL(47, 32)
#define VTD_QI_IOTLB_DW		BIT_ULL(6)
#define VTD_QI_IOTLB_DR		BIT_ULL(7)
#define VTD_QI_IOTLB_DID	GENMASK_ULL(31, 16)
#define VTD_QI_WAIT_SW		BIT_ULL(5)
#define VTD_QI_WAIT_FN		BIT_ULL(6)
#define VTD_QI_WAIT_DATA	GENMASK_ULL(63, 32)
/* One page of 128-bit descriptors: IQA.QS = 0 gives 2^0 pages. */
#define VTD_QI_ENTRIES		(PAGE_SIZE / 16)

/* Context entry, VT-d 9.3. */
#define VTD_CTX_P		BIT_ULL(0)
#define VTD_CTX_TT		GENMASK_ULL(3, 2)
#define VTD_CTX_TT_PT		2
#define VTD_CTX_FPD		BIT_ULL(1)	/* fault processing disable */
#define VTD_CTX_SLPTPTR		GENMASK_ULL(63, 12)
#define VTD_CTX_AW		GENMASK_ULL(2, 0)
#define VTD_CTX_DID		GENMASK_ULL(23, 8)
/* Root entry, VT-d 9.1. */
#define VTD_ROOT_P		BIT_ULL(0)

/*
 * Longest wait for the hardware to finish a command. QEMU completes every
 * command inside the register write; real units take microseconds. 100 ms
 * is far beyond both, short enough that a dead unit is reported promptly.
 */
unsigned int vtd_wait_us = 100000;
module_param_named(wait_us, vtd_wait_us, uint, 0644);
MODULE_PARM_DESC(wait_us, "longest wait for the unit to finish a command (us)");
EXPORT_SYMBOL_GPL(vtd_wait_us);

static char *invalidation = "auto";
module_param(invalidation, charp, 0444);
MODULE_PARM_DESC(invalidation,
		 "auto (queued if ECAP.QI), qi, or register: how caches are invalidated");

static bool passthrough = true;
module_param(passthrough, bool, 0444);
MODULE_PARM_DESC(passthrough,
		 "devices the module does not own use pass-through (ECAP.PT); 0: an identity domain");

static unsigned int fault_poll_ms = 10;
module_param(fault_poll_ms, uint, 0644);
MODULE_PARM_DESC(fault_poll_ms,
		 "how often the fault recording registers are polled (ms); a backstop when the interrupt is on");

static bool fault_irq = true;
module_param(fault_irq, bool, 0444);
MODULE_PARM_DESC(fault_irq, "take the fault event interrupt (0: poll only)");

/*
 * Fault storms. A source ID with fault_storm_faults faults within
 * fault_storm_ms has its DMA blocked until unblocked through debugfs.
 * 100 in 1 s: a driver bug that touches a stale IOVA faults a handful of
 * times; a device faulting 100 times a second is broken or hostile, and
 * its faults would otherwise keep the fault interrupt, the recording
 * register (QEMU has one) and the log busy for the other devices.
 */
unsigned int vtd_fault_storm_faults = 100;
module_param_named(fault_storm_faults, vtd_fault_storm_faults, uint, 0644);
MODULE_PARM_DESC(fault_storm_faults,
		 "faults of one source within fault_storm_ms that get its DMA blocked (0: never block)");
EXPORT_SYMBOL_GPL(vtd_fault_storm_faults);

unsigned int vtd_fault_storm_ms = 1000;
module_param_named(fault_storm_ms, vtd_fault_storm_ms, uint, 0644);
MODULE_PARM_DESC(fault_storm_ms, "the window of fault_storm_faults (ms)");
EXPORT_SYMBOL_GPL(vtd_fault_storm_ms);

LIST_HEAD(vtd_units);
EXPORT_SYMBOL_GPL(vtd_units);

/* The DMAR table the units came from; set while any unit exists. */
static struct vtd_dmar_table *vtd_units_dmar;

/* Register access at the width VT-d 11.4 gives each register. */
static u32 vtd_readl(struct vtd_unit *unit, unsigned int off)
{
	return readl(unit->regs + off);
}

static void vtd_writel(struct vtd_unit *unit, unsigned int off, u32 val)
{
	writel(val, unit->regs + off);
}

static u64 vtd_readq(struct vtd_unit *unit, unsigned int off)
{
	return readq(unit->regs + off);
}

static void vtd_writeq(struct vtd_unit *unit, unsigned int off, u64 val)
{
	writeq(val, unit->regs + off);
}

static unsigned int vtd_iotlb_reg(struct vtd_unit *unit)
{
	return FIELD_GET(VTD_ECAP_IRO, unit->ecap) * 16;
}

static unsigned int vtd_frcd_reg(struct vtd_unit *unit, unsigned int i)
{
	return FIELD_GET(VTD_CAP_FRO, unit->cap) * 16 + i * 16;
}

static unsigned int vtd_nr_frcd(struct vtd_unit *unit)
{
	return FIELD_GET(VTD_CAP_NFR, unit->cap) + 1;
}

/* What a slow register read would add to each poll (tests only). */
static void vtd_poll_delay(struct vtd_unit *unit)
{
	unsigned int us = READ_ONCE(unit->inject.poll_delay_us);

	if (us)
		udelay(us);
}

/* The end of a wait that starts now: vtd_wait_us of real time. */
static ktime_t vtd_deadline(void)
{
	return ktime_add_us(ktime_get(), READ_ONCE(vtd_wait_us));
}

/* Whether @deadline has passed. */
static bool vtd_past(ktime_t deadline)
{
	return ktime_after(ktime_get(), deadline);
}

/**
 * vtd_unit_wait32() - wait until (32-bit register & @mask) == @want
 * @unit: the unit
 * @off: the register
 * @mask: bits to look at
 * @want: what they must read
 * @what: for the timeout message
 *
 * Polls for at most vtd_wait_us of real time (ktime), however long each
 * poll takes; the register is read once more after the deadline, so a
 * wait that was held up (an interrupt, a host that descheduled the vCPU)
 * does not fail a command that has completed.
 * Context: any; spins.
 * Return: 0, or -ETIMEDOUT.
 */
int vtd_unit_wait32(struct vtd_unit *unit, unsigned int off, u32 mask,
		    u32 want, const char *what)
{
	ktime_t deadline = vtd_deadline();
	bool late;

	for (;;) {
		late = vtd_past(deadline);
		if ((vtd_readl(unit, off) & mask) == want)
			return 0;
		if (late)
			break;
		vtd_poll_delay(unit);
		udelay(1);
	}
	pr_err_ratelimited("%s: timed out waiting for %s\n", unit->name, what);
	return -ETIMEDOUT;
}
EXPORT_SYMBOL_GPL(vtd_unit_wait32);

/* Wait until a 64-bit command register's busy bit @busy clears. */
static int vtd_wait64_clear(struct vtd_unit *unit, unsigned int off, u64 busy,
			    u64 *val, const char *what)
{
	ktime_t deadline = vtd_deadline();
	bool late;

	for (;;) {
		late = vtd_past(deadline);
		*val = vtd_readq(unit, off);
		if (!(*val & busy))
			return 0;
		if (late)
			break;
		vtd_poll_delay(unit);
		udelay(1);
	}
	pr_err_ratelimited("%s: timed out waiting for %s\n", unit->name, what);
	return -ETIMEDOUT;
}

/*
 * Turn a persistent global command (TE, QIE) on or off, keeping the other
 * persistent bits as GSTS shows them (VT-d 11.4.4).
 */
static int vtd_gcmd_set(struct vtd_unit *unit, u32 bit, bool on,
			const char *what)
{
	u32 val = vtd_readl(unit, VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;

	val = on ? val | bit : val & ~bit;
	vtd_writel(unit, VTD_GCMD_REG, val);
	return vtd_unit_wait32(unit, VTD_GSTS_REG, bit, on ? bit : 0, what);
}

/* A one-shot global command: SRTP waits for RTPS set, WBF for WBFS clear. */
static int vtd_gcmd_oneshot(struct vtd_unit *unit, u32 bit, bool wait_set,
			    const char *what)
{
	u32 val = vtd_readl(unit, VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;

	vtd_writel(unit, VTD_GCMD_REG, val | bit);
	return vtd_unit_wait32(unit, VTD_GSTS_REG, bit, wait_set ? bit : 0, what);
}

/* Make CPU writes to tables visible to a unit whose walk does not snoop. */
static void vtd_flush_table(struct vtd_unit *unit, void *addr, size_t size)
{
	if (!(unit->ecap & VTD_ECAP_C))
		clflush_cache_range(addr, size);
}

/*
 * Write-buffer flush (VT-d 6.8): units with CAP.RWBF may hold table writes
 * in a buffer; a non-present to present change needs it flushed.
 */
void vtd_unit_flush_write_buffer(struct vtd_unit *unit)
{
	unsigned long flags;

	if (!(unit->cap & VTD_CAP_RWBF))
		return;
	spin_lock_irqsave(&unit->inv_lock, flags);
	if (!unit->parked &&
	    !vtd_gcmd_oneshot(unit, VTD_GCMD_WBF, false, "write-buffer flush"))
		atomic64_inc(&unit->stats.wbf);
	spin_unlock_irqrestore(&unit->inv_lock, flags);
}

/* Queued invalidation, VT-d 6.5.2. */

/* Consume one injected event of @count; true if there was one. */
static bool vtd_injected(atomic_t *count)
{
	return atomic_read(count) > 0 && atomic_dec_if_positive(count) >= 0;
}

/*
 * Tests: redo the status write of the wait descriptor in slot @slot, as
 * the unit would if that wait completed only now.
 */
static void vtd_qi_replay_wait(struct vtd_unit *unit, unsigned int slot)
{
	u64 lo = unit->qi_queue[slot * 2], hi = unit->qi_queue[slot * 2 + 1];

	if (FIELD_GET(VTD_QI_TYPE, lo) == VTD_QI_WAIT && (lo & VTD_QI_WAIT_SW))
		WRITE_ONCE(*(u32 *)phys_to_virt(hi),
			   FIELD_GET(VTD_QI_WAIT_DATA, lo));
}

/* Slots the unit has not consumed, from our last look at IQH. */
static unsigned int vtd_qi_free_locked(struct vtd_unit *unit)
{
	lockdep_assert_held(&unit->inv_lock);
	return (unit->qi_head + VTD_QI_ENTRIES - unit->qi_tail - 1) %
	       VTD_QI_ENTRIES;
}

/* Tell the unit about every descriptor written (unless a test stalls it). */
static void vtd_qi_doorbell_locked(struct vtd_unit *unit)
{
	lockdep_assert_held(&unit->inv_lock);
	if (atomic_read(&unit->inject.qi_stall) > 0)
		return;
	vtd_writeq(unit, VTD_IQT_REG, (u64)unit->qi_tail << 4);
}

/*
 * After an invalidation queue error the unit stops at the bad descriptor
 * (IQH points at it; VT-d 6.5.2.10). Put a harmless wait descriptor
 * there, clear IQE and write the tail again so the queue runs on to our
 * own wait descriptor (slot @wait).
 *
 * The replacement must be one every unit accepts. QEMU 7.2 refuses a wait
 * descriptor with neither Status Write nor Interrupt Flag (an IQE again;
 * upstream accepts Fence alone only since 2025) and aborts on both; so it is Status
 * Write alone, to a scratch word (qi_status[1]) no waiter looks at. QEMU
 * also fetches nothing when IQE is cleared, only on a write of the tail
 * register; a real unit resumes on its own, and the rewrite is harmless.
 * Return: false if the refused descriptor was our wait itself.
 */
static bool vtd_qi_recover_locked(struct vtd_unit *unit, unsigned int wait)
{
	unsigned int head = (vtd_readq(unit, VTD_IQH_REG) >> 4) %
			    VTD_QI_ENTRIES;

	lockdep_assert_held(&unit->inv_lock);
	pr_err_ratelimited("%s: invalidation queue error at descriptor %u (%#llx %#llx)\n",
			   unit->name, head, unit->qi_queue[head * 2],
			   unit->qi_queue[head * 2 + 1]);
	unit->qi_queue[head * 2] = FIELD_PREP(VTD_QI_TYPE, VTD_QI_WAIT) |
				   VTD_QI_WAIT_SW;
	unit->qi_queue[head * 2 + 1] = virt_to_phys(&unit->qi_status[1]);
	vtd_flush_table(unit, &unit->qi_queue[head * 2], 16);
	/* The new descriptor is in memory before the unit fetches it again. */
	wmb();
	vtd_writel(unit, VTD_FSTS_REG, VTD_FSTS_IQE);
	vtd_qi_doorbell_locked(unit);
	if (head == wait) {
		pr_err_ratelimited("%s: the queue refused our own wait descriptor\n",
				   unit->name);
		return false;
	}
	return true;
}

/*
 * Wait until @need slots are free. The queue holds at most
 * VTD_QI_ENTRIES - 1 descriptors (head == tail means empty), and a slot
 * is free only once the unit has moved IQH past it: a descriptor it has
 * not fetched is never overwritten. Return: 0, or -EBUSY (counted).
 */
static int vtd_qi_room_locked(struct vtd_unit *unit, unsigned int need)
{
	ktime_t deadline;
	bool late;

	if (vtd_qi_free_locked(unit) >= need)
		return 0;
	/* Descriptors left by a timed-out submission: let the unit run. */
	vtd_qi_doorbell_locked(unit);
	deadline = vtd_deadline();
	for (;;) {
		late = vtd_past(deadline);
		/* Stuck on an error a timed-out submission left behind? */
		if (vtd_readl(unit, VTD_FSTS_REG) & VTD_FSTS_IQE)
			vtd_qi_recover_locked(unit, VTD_QI_ENTRIES);
		unit->qi_head = (vtd_readq(unit, VTD_IQH_REG) >> 4) %
				VTD_QI_ENTRIES;
		if (vtd_qi_free_locked(unit) >= need)
			return 0;
		if (late)
			break;
		vtd_poll_delay(unit);
		udelay(1);
	}
	atomic64_inc(&unit->stats.qi_full);
	pr_err_ratelimited("%s: invalidation queue full: the unit has not consumed its descriptors\n",
			   unit->name);
	return -EBUSY;
}

/* Write one descriptor at the tail. */
static void vtd_qi_put_locked(struct vtd_unit *unit, u64 lo, u64 hi)
{
	u64 *slot = &unit->qi_queue[unit->qi_tail * 2];

	slot[0] = lo;
	slot[1] = hi;
	vtd_flush_table(unit, slot, 16);
	unit->qi_tail = (unit->qi_tail + 1) % VTD_QI_ENTRIES;
}

/*
 * Wait for the wait descriptor in slot @wait, which writes @seq to
 * qi_status[0] (its own value: an earlier wait completing late writes an
 * older one). An IQE on the way is recovered from and fails the request.
 */
static int vtd_qi_wait_locked(struct vtd_unit *unit, u32 seq,
			      unsigned int wait, unsigned int prev_wait)
{
	bool replay = vtd_injected(&unit->inject.qi_late), late;
	ktime_t deadline;
	int ret = 0;
	u32 fsts;

	/*
	 * Usually done by now (QEMU runs the queue at the doorbell): no
	 * clock read then, which under TCG is an HPET read of ~190 ns.
	 */
	if (!replay && READ_ONCE(unit->qi_status[0]) == seq)
		return 0;
	deadline = vtd_deadline();
	for (;;) {
		late = vtd_past(deadline);
		if (replay) {
			vtd_qi_replay_wait(unit, prev_wait);
			replay = false;
		}
		if (READ_ONCE(unit->qi_status[0]) == seq)
			return ret;
		fsts = vtd_readl(unit, VTD_FSTS_REG);
		if (fsts & VTD_FSTS_IQE) {
			ret = -EIO;
			if (!vtd_qi_recover_locked(unit, wait))
				return ret;
		}
		if (fsts & (VTD_FSTS_ICE | VTD_FSTS_ITE)) {
			/* Device-TLB errors: we issue no device-TLB requests. */
			vtd_writel(unit, VTD_FSTS_REG,
				   fsts & (VTD_FSTS_ICE | VTD_FSTS_ITE));
		}
		if (late)
			break;
		vtd_poll_delay(unit);
		udelay(1);
	}
	pr_err_ratelimited("%s: invalidation wait descriptor %u timed out\n",
			   unit->name, seq);
	return ret ?: -ETIMEDOUT;
}

/*
 * Submit @n descriptors followed by a wait descriptor that writes its own
 * sequence number to qi_status[0], and wait for it. The wait descriptor
 * uses Status Write only: QEMU 7.2 aborts on SW and IF together.
 * Return: 0; -EBUSY if the queue has no room (nothing written);
 * -ETIMEDOUT; -EIO after an invalidation queue error.
 */
static int vtd_qi_submit(struct vtd_unit *unit, const u64 (*desc)[2],
			 unsigned int n)
{
	unsigned int i, wait, prev_wait;
	unsigned long flags;
	bool bad;
	int ret;
	u32 seq;

	spin_lock_irqsave(&unit->inv_lock, flags);
	ret = 0;
	if (unit->parked)	/* translation is off: nothing to invalidate */
		goto out_unlock;
	bad = atomic_read(&unit->inject.qi_bad) > 0;
	ret = vtd_qi_room_locked(unit, n + 1 + bad);
	if (ret)
		goto out_unlock;
	prev_wait = (unit->qi_tail + VTD_QI_ENTRIES - 1) % VTD_QI_ENTRIES;
	if (bad && vtd_injected(&unit->inject.qi_bad)) {
		/* Type 0 is no descriptor type (VT-d 6.5.2): an IQE. */
		vtd_qi_put_locked(unit, 0xbadULL << 32, 0);
	}
	for (i = 0; i < n; i++)
		vtd_qi_put_locked(unit, desc[i][0], desc[i][1]);
	seq = ++unit->qi_seq;
	wait = unit->qi_tail;
	vtd_qi_put_locked(unit, FIELD_PREP(VTD_QI_TYPE, VTD_QI_WAIT) |
			  VTD_QI_WAIT_SW | VTD_QI_WAIT_FN |
			  FIELD_PREP(VTD_QI_WAIT_DATA, seq),
			  virt_to_phys(&unit->qi_status[0]));
	atomic64_add(n + 1, &unit->stats.qi_submitted);
	/* The descriptors are in memory before the unit is told of them. */
	wmb();
	vtd_qi_doorbell_locked(unit);
	vtd_injected(&unit->inject.qi_stall);
	ret = vtd_qi_wait_locked(unit, seq, wait, prev_wait);
out_unlock:
	spin_unlock_irqrestore(&unit->inv_lock, flags);
	return ret;
}

/*
 * Point the unit at the (allocated) queue, empty, and turn QI on. Enabling
 * QI resets IQH to 0 (VT-d 11.4.9.2); IQT is written 0 before it.
 */
static int vtd_qi_hw_on(struct vtd_unit *unit)
{
	int ret;

	memset(unit->qi_queue, 0, PAGE_SIZE);
	vtd_flush_table(unit, unit->qi_queue, PAGE_SIZE);
	unit->qi_tail = 0;
	unit->qi_head = 0;
	vtd_writeq(unit, VTD_IQT_REG, 0);
	/* IQA: base, DW=0 (128-bit descriptors), QS=0 (one page). */
	vtd_writeq(unit, VTD_IQA_REG, virt_to_phys(unit->qi_queue));
	ret = vtd_gcmd_set(unit, VTD_GCMD_QIE, true, "queued invalidation on");
	if (ret)
		return ret;
	unit->qi_on = true;
	return 0;
}

static int vtd_qi_enable(struct vtd_unit *unit)
{
	unit->qi_queue = (u64 *)get_zeroed_page(GFP_KERNEL);
	unit->qi_status = kcalloc(2, sizeof(*unit->qi_status), GFP_KERNEL);
	if (!unit->qi_queue || !unit->qi_status)
		return -ENOMEM;
	return vtd_qi_hw_on(unit);
}

/*
 * QEMU turns QI off only when the last descriptor processed was a wait
 * descriptor and the queue is empty; every submission ends that way.
 */
static void vtd_qi_disable(struct vtd_unit *unit)
{
	if (unit->qi_on) {
		if (vtd_readq(unit, VTD_IQH_REG) != vtd_readq(unit, VTD_IQT_REG))
			pr_warn("%s: invalidation queue not empty at disable\n",
				unit->name);
		vtd_gcmd_set(unit, VTD_GCMD_QIE, false, "queued invalidation off");
		unit->qi_on = false;
	}
	free_page((unsigned long)unit->qi_queue);
	kfree(unit->qi_status);
	unit->qi_queue = NULL;
	unit->qi_status = NULL;
}

/* Invalidation requests, either way. */

static int vtd_inv_done(struct vtd_unit *unit, enum vtd_inv_kind kind,
			int ret)
{
	if (ret)
		atomic64_inc(&unit->stats.inv_failed);
	else
		atomic64_inc(&unit->stats.inv[kind]);
	return ret;
}

/* Context-cache invalidation: global, or one source ID of domain @did. */
static int vtd_inv_context(struct vtd_unit *unit, bool global, u16 did,
			   u16 sid)
{
	unsigned int gran = global ? VTD_GRAN_GLOBAL : VTD_GRAN_DEVICE;
	enum vtd_inv_kind kind = global ? VTD_INV_CC_GLOBAL : VTD_INV_CC_DEVICE;
	unsigned long flags;
	u64 val;
	int ret;

	if (vtd_injected(&unit->inject.inv_fail))
		return vtd_inv_done(unit, kind, -ETIMEDOUT);
	if (unit->qi_on) {
		u64 desc[1][2] = { {
			FIELD_PREP(VTD_QI_TYPE, VTD_QI_CC) |
			FIELD_PREP(VTD_QI_GRAN, gran) |
			FIELD_PREP(VTD_QI_CC_DID, did) |
			FIELD_PREP(VTD_QI_CC_SID, sid), 0 } };

		return vtd_inv_done(unit, kind, vtd_qi_submit(unit, desc, 1));
	}
	spin_lock_irqsave(&unit->inv_lock, flags);
	if (unit->parked) {	/* translation is off: nothing to invalidate */
		spin_unlock_irqrestore(&unit->inv_lock, flags);
		return vtd_inv_done(unit, kind, 0);
	}
	vtd_writeq(unit, VTD_CCMD_REG, VTD_CCMD_ICC |
		   FIELD_PREP(VTD_CCMD_CIRG, gran) |
		   FIELD_PREP(VTD_CCMD_SID, sid) | FIELD_PREP(VTD_CCMD_DID, did));
	ret = vtd_wait64_clear(unit, VTD_CCMD_REG, VTD_CCMD_ICC, &val,
			       "context-cache invalidation");
	if (!ret && !FIELD_GET(VTD_CCMD_CAIG, val))
		ret = -EIO;
	spin_unlock_irqrestore(&unit->inv_lock, flags);
	return vtd_inv_done(unit, kind, ret);
}

/*
 * IOTLB invalidation (and, unless @leaf_only, the paging-structure caches):
 * @gran global, domain @did, or the 2^@am pages at @addr in domain @did.
 */
static int vtd_inv_iotlb(struct vtd_unit *unit, unsigned int gran, u16 did,
			 u64 addr, unsigned int am, bool leaf_only)
{
	enum vtd_inv_kind kind = gran == VTD_GRAN_GLOBAL ? VTD_INV_IOTLB_GLOBAL :
				 gran == VTD_GRAN_DOMAIN ? VTD_INV_IOTLB_DOMAIN :
				 VTD_INV_IOTLB_PAGE;
	u64 iva = gran == VTD_GRAN_PAGE ?
		  addr | FIELD_PREP(VTD_IVA_AM, am) |
		  (leaf_only ? VTD_IVA_IH : 0) : 0;
	bool dr = unit->cap & VTD_CAP_DRD, dw = unit->cap & VTD_CAP_DWD;
	unsigned int reg = vtd_iotlb_reg(unit);
	unsigned long flags;
	u64 val;
	int ret;

	if (vtd_injected(&unit->inject.inv_fail))
		return vtd_inv_done(unit, kind, -ETIMEDOUT);
	if (unit->qi_on) {
		u64 desc[1][2] = { {
			FIELD_PREP(VTD_QI_TYPE, VTD_QI_IOTLB) |
			FIELD_PREP(VTD_QI_GRAN, gran) |
			(dr ? VTD_QI_IOTLB_DR : 0) | (dw ? VTD_QI_IOTLB_DW : 0) |
			FIELD_PREP(VTD_QI_IOTLB_DID, did), iva } };

		return vtd_inv_done(unit, kind, vtd_qi_submit(unit, desc, 1));
	}
	spin_lock_irqsave(&unit->inv_lock, flags);
	if (unit->parked) {	/* translation is off: nothing to invalidate */
		spin_unlock_irqrestore(&unit->inv_lock, flags);
		return vtd_inv_done(unit, kind, 0);
	}
	if (gran == VTD_GRAN_PAGE)
		vtd_writeq(unit, reg, iva);
	vtd_writeq(unit, reg + 8, VTD_IOTLB_IVT |
		   FIELD_PREP(VTD_IOTLB_IIRG, gran) |
		   (dr ? VTD_IOTLB_DR : 0) | (dw ? VTD_IOTLB_DW : 0) |
		   FIELD_PREP(VTD_IOTLB_DID, did));
	ret = vtd_wait64_clear(unit, reg + 8, VTD_IOTLB_IVT, &val,
			       "IOTLB invalidation");
	if (!ret && !FIELD_GET(VTD_IOTLB_IAIG, val))
		ret = -EIO;
	spin_unlock_irqrestore(&unit->inv_lock, flags);
	return vtd_inv_done(unit, kind, ret);
}

/**
 * vtd_unit_flush_iotlb_domain() - invalidate every IOTLB entry of a domain
 * @unit: the unit
 * @did: the domain ID
 *
 * Context: any; spins until the unit is done.
 * Return: 0, -ETIMEDOUT or -EIO.
 */
int vtd_unit_flush_iotlb_domain(struct vtd_unit *unit, u16 did)
{
	return vtd_inv_iotlb(unit, VTD_GRAN_DOMAIN, did, 0, 0, false);
}
EXPORT_SYMBOL_GPL(vtd_unit_flush_iotlb_domain);

/**
 * vtd_unit_flush_iotlb_range() - invalidate the translations of a range
 * @unit: the unit
 * @did: the domain ID
 * @iova: first IOVA
 * @size: bytes
 * @tables: non-leaf entries changed too (paging-structure caches)
 *
 * Page-selective when CAP.PSI allows a naturally aligned block of at most
 * 2^CAP.MAMV pages covering the range, domain-selective otherwise.
 * Context: any; spins until the unit is done.
 * Return: 0, -ETIMEDOUT or -EIO.
 */
int vtd_unit_flush_iotlb_range(struct vtd_unit *unit, u16 did, u64 iova,
			       u64 size, bool tables)
{
	u64 first = iova >> VTD_PAGE_SHIFT;
	u64 last = (iova + size - 1) >> VTD_PAGE_SHIFT;
	unsigned int am = 0;

	if (!size)
		return 0;
	/* Smallest aligned block of 2^am pages holding [first, last]. */
	while ((first >> am) != (last >> am))
		am++;
	if (!(unit->cap & VTD_CAP_PSI) || am > FIELD_GET(VTD_CAP_MAMV, unit->cap))
		return vtd_unit_flush_iotlb_domain(unit, did);
	return vtd_inv_iotlb(unit, VTD_GRAN_PAGE, did,
			     (first >> am) << (am + VTD_PAGE_SHIFT), am, !tables);
}
EXPORT_SYMBOL_GPL(vtd_unit_flush_iotlb_range);

/* Root and context tables. */

/**
 * vtd_unit_context_aw() - the AW field of a context entry (VT-d 9.3)
 * @cap: the unit's CAP_REG
 * @aw_bits: the width of the unit's tables (struct vtd_unit)
 * @passthrough: for a pass-through entry (translation type 2)
 *
 * AW encodes 39 bits as 1, 48 as 2 and 57 as 3. A translating (or
 * blocking) entry names the depth of the table it points at, @aw_bits;
 * a pass-through entry the largest width the unit supports (SAGAW's
 * highest bit), as VT-d 9.3 requires, even where the unit's tables use
 * a shallower one (MGAW 39 on a unit offering 48).
 * Return: the value for the field.
 */
u64 vtd_unit_context_aw(u64 cap, unsigned int aw_bits, bool passthrough)
{
	/* VT-d 9.3: pass-through entries name the largest AGAW in SAGAW. */
	if (passthrough)
		return fls(FIELD_GET(VTD_CAP_SAGAW, cap) & 0xf) - 1;
	return aw_bits == 48 ? 2 : 1;
}
EXPORT_SYMBOL_GPL(vtd_unit_context_aw);

/*
 * The context entry of @sid for @dom: @dom's, unless @sid is blocked
 * (a fault storm). A blocked source gets a present entry with Fault
 * Processing Disable (VT-d 9.3) pointing at an all-zero table under the
 * unit's blocking domain ID: every DMA fails translation and is not
 * recorded, so the storm stops reaching the fault registers too.
 */
static void vtd_context_value(struct vtd_unit *unit, u16 sid,
			      struct vtd_domain *dom, u64 *lo, u64 *hi)
{
	if (test_bit(sid, unit->blocked)) {
		*lo = VTD_CTX_P | VTD_CTX_FPD |
		      (virt_to_phys(unit->block_table) & VTD_CTX_SLPTPTR);
		*hi = FIELD_PREP(VTD_CTX_AW,
				 vtd_unit_context_aw(unit->cap, unit->aw_bits,
						     false)) |
		      FIELD_PREP(VTD_CTX_DID, unit->block_did);
		return;
	}
	if (dom->type == VTD_DOMAIN_PASSTHROUGH) {
		*lo = VTD_CTX_P | FIELD_PREP(VTD_CTX_TT, VTD_CTX_TT_PT);
		*hi = FIELD_PREP(VTD_CTX_AW,
				 vtd_unit_context_aw(unit->cap, unit->aw_bits,
						     true));
	} else {
		*lo = VTD_CTX_P | (vtd_pgtable_root_phys(&dom->pgt) &
				   VTD_CTX_SLPTPTR);
		*hi = FIELD_PREP(VTD_CTX_AW, vtd_pgtable_context_aw(&dom->pgt));
	}
	*hi |= FIELD_PREP(VTD_CTX_DID, dom->did);
}

/* The context entry of @sid, making the bus's context table if needed. */
static u64 *vtd_context_entry(struct vtd_unit *unit, u16 sid, bool *new_root)
{
	unsigned int bus = sid >> 8;
	u64 *table = NULL;

	*new_root = false;
	if (!READ_ONCE(unit->ctx[bus])) {
		table = (u64 *)get_zeroed_page(GFP_KERNEL);
		if (!table)
			return NULL;
		vtd_flush_table(unit, table, PAGE_SIZE);
	}
	spin_lock(&unit->ctx_lock);
	if (!unit->ctx[bus] && table) {
		unit->ctx[bus] = table;
		table = NULL;
		WRITE_ONCE(unit->root[bus * 2],
			   virt_to_phys(unit->ctx[bus]) | VTD_ROOT_P);
		vtd_flush_table(unit, &unit->root[bus * 2], 16);
		*new_root = true;
	}
	spin_unlock(&unit->ctx_lock);
	free_page((unsigned long)table);
	return &unit->ctx[bus][(sid & 0xff) * 2];
}

/**
 * vtd_unit_set_context() - point a source ID at a domain
 * @unit: the unit
 * @sid: the source ID
 * @dom: the domain, or NULL to make the entry not present
 *
 * A present entry is first made not present and its old domain's cached
 * translations invalidated; the new entry is then written, high qword
 * first, and the context cache invalidated for @sid (VT-d 6.5.3.3). With
 * caching mode, the not-present to present change is invalidated with
 * domain ID 0, which is where such a unit caches not-present entries.
 *
 * Context: process, with @unit->mutex held (or during unit bring-up).
 * Return: 0, -ENOMEM, or an invalidation error.
 */
int vtd_unit_set_context(struct vtd_unit *unit, u16 sid,
			 struct vtd_domain *dom)
{
	u64 *entry, lo = 0, hi = 0, old_lo, old_hi;
	bool new_root;
	int ret = 0;

	entry = vtd_context_entry(unit, sid, &new_root);
	if (!entry)
		return -ENOMEM;
	if (new_root && unit->translating)
		ret = vtd_inv_context(unit, true, 0, 0);
	if (dom)
		vtd_context_value(unit, sid, dom, &lo, &hi);

	spin_lock(&unit->ctx_lock);
	old_lo = entry[0];
	old_hi = entry[1];
	if (old_lo & VTD_CTX_P) {
		WRITE_ONCE(entry[0], 0);
		vtd_flush_table(unit, entry, 16);
	}
	spin_unlock(&unit->ctx_lock);

	if ((old_lo & VTD_CTX_P) && unit->translating) {
		u16 old_did = FIELD_GET(VTD_CTX_DID, old_hi);

		ret = vtd_inv_context(unit, false, old_did, sid) ?: ret;
		ret = vtd_unit_flush_iotlb_domain(unit, old_did) ?: ret;
	}
	if (!dom)
		return ret;

	spin_lock(&unit->ctx_lock);
	WRITE_ONCE(entry[1], hi);
	/* The high qword is in place before the entry becomes present. */
	wmb();
	WRITE_ONCE(entry[0], lo);
	vtd_flush_table(unit, entry, 16);
	spin_unlock(&unit->ctx_lock);

	if (!unit->translating)
		return ret;
	if (vtd_unit_caching_mode(unit)) {
		ret = vtd_inv_context(unit, false, 0, sid) ?: ret;
		ret = vtd_unit_flush_iotlb_domain(unit,
						  FIELD_GET(VTD_CTX_DID, hi)) ?:
		      ret;
	} else {
		vtd_unit_flush_write_buffer(unit);
		/* QEMU re-reads an entry only after a context invalidation. */
		ret = vtd_inv_context(unit, false, FIELD_GET(VTD_CTX_DID, hi),
				      sid) ?: ret;
	}
	return ret;
}

/**
 * vtd_unit_read_context() - the context entry of a source ID, as it is now
 * @unit: the unit
 * @sid: the source ID
 * @did: its domain ID, if present
 * @tt: its translation type (VT-d 9.3: 0 translated, 2 pass-through),
 *	or -1 for the blocking entry (fault storm), if present
 *
 * Context: any; takes @unit->ctx_lock.
 * Return: whether the entry is present.
 */
bool vtd_unit_read_context(struct vtd_unit *unit, u16 sid, u16 *did, int *tt)
{
	unsigned int bus = sid >> 8;
	u64 lo = 0, hi = 0;

	spin_lock(&unit->ctx_lock);
	if (unit->ctx[bus]) {
		lo = READ_ONCE(unit->ctx[bus][(sid & 0xff) * 2]);
		hi = READ_ONCE(unit->ctx[bus][(sid & 0xff) * 2 + 1]);
	}
	spin_unlock(&unit->ctx_lock);
	if (!(lo & VTD_CTX_P))
		return false;
	*did = FIELD_GET(VTD_CTX_DID, hi);
	*tt = lo & VTD_CTX_FPD ? -1 : (int)FIELD_GET(VTD_CTX_TT, lo);
	return true;
}
EXPORT_SYMBOL_GPL(vtd_unit_read_context);

/* Faults, VT-d 7.1. */

static const char * const vtd_fault_reasons[] = {
	[0x1] = "root entry not present",
	[0x2] = "context entry not present",
	[0x3] = "invalid context entry",
	[0x4] = "address beyond the domain's width",
	[0x5] = "write to a page without write permission",
	[0x6] = "read of a page without read permission",
	[0x7] = "next-level table address invalid",
	[0x8] = "root table address invalid",
	[0x9] = "context table pointer invalid",
	[0xa] = "reserved bits set in a root entry",
	[0xb] = "reserved bits set in a context entry",
	[0xc] = "reserved bits set in a page-table entry",
	[0xd] = "translation type blocked by the context entry",
};

/**
 * vtd_fault_reason() - a fault reason in words
 * @reason: FRCD.FR (VT-d 7.1.3)
 *
 * Return: a constant string; "unknown reason" for codes not listed.
 */
const char *vtd_fault_reason(u8 reason)
{
	if (reason < ARRAY_SIZE(vtd_fault_reasons) && vtd_fault_reasons[reason])
		return vtd_fault_reasons[reason];
	return "unknown reason";
}
EXPORT_SYMBOL_GPL(vtd_fault_reason);

static void vtd_fault_log(struct vtd_unit *unit, const struct vtd_fault *f)
{
	pr_err_ratelimited("%s: DMA %s fault #%llu from %02x:%02x.%d at IOVA %#llx: reason %#x, %s\n",
			   unit->name, f->read ? "read" : "write", f->seq,
			   f->sid >> 8, PCI_SLOT(f->sid & 0xff),
			   PCI_FUNC(f->sid & 0xff), f->addr, f->reason,
			   vtd_fault_reason(f->reason));
}

/**
 * vtd_fault_storm_account() - count one fault of a source, spot a storm
 * @srcs: the tracked sources
 * @n: how many slots @srcs has
 * @sid: the faulting source ID
 * @now_ns: the time of the fault
 * @max: faults within @window_ns that make a storm (0: never)
 * @window_ns: the window
 *
 * A source not tracked yet takes a free slot, else the slot of the
 * unblocked source whose window began longest ago; blocked sources keep
 * theirs. A window begins at a source's first fault and ends @window_ns
 * later; the next fault after that begins a new one.
 * Context: any; the caller serialises calls on @srcs.
 * Return: true iff this fault is the @max-th of its window and the source
 * was not marked blocked yet: it is marked now, and must be blocked.
 */
bool vtd_fault_storm_account(struct vtd_fault_source *srcs, unsigned int n,
			     u16 sid, u64 now_ns, unsigned int max,
			     u64 window_ns)
{
	struct vtd_fault_source *src = NULL, *victim = NULL;
	unsigned int i;

	for (i = 0; i < n && !src; i++) {
		if (srcs[i].used && srcs[i].sid == sid)
			src = &srcs[i];
		else if (!srcs[i].blocked &&
			 (!victim || (victim->used && (!srcs[i].used ||
			  srcs[i].window_ns < victim->window_ns))))
			victim = &srcs[i];
	}
	if (!src) {
		if (!victim)
			return false;	/* every slot holds a blocked source */
		*victim = (struct vtd_fault_source) {
			.sid = sid, .used = true, .window_ns = now_ns,
		};
		src = victim;
	}
	src->total++;
	if (now_ns < src->window_ns || now_ns - src->window_ns > window_ns) {
		src->window_ns = now_ns;
		src->count = 0;
	}
	src->count++;
	if (!max || src->blocked || src->count < max)
		return false;
	src->blocked = true;
	return true;
}
EXPORT_SYMBOL_GPL(vtd_fault_storm_account);

static bool vtd_storm_account_locked(struct vtd_unit *unit,
				     const struct vtd_fault *f)
{
	lockdep_assert_held(&unit->fault_lock);
	return vtd_fault_storm_account(unit->storm, ARRAY_SIZE(unit->storm),
				       f->sid, f->time_ns,
				       READ_ONCE(vtd_fault_storm_faults),
				       (u64)READ_ONCE(vtd_fault_storm_ms) *
				       NSEC_PER_MSEC);
}

/**
 * vtd_unit_account_fault() - count a fault as if it had been drained
 * @unit: the unit
 * @f: the fault (its @sid and @time_ns are used)
 *
 * For the tests: the storm detection and blocking of a drained fault,
 * without a device that faults.
 * Context: any.
 */
void vtd_unit_account_fault(struct vtd_unit *unit, const struct vtd_fault *f)
{
	unsigned long flags;
	bool storm;

	spin_lock_irqsave(&unit->fault_lock, flags);
	storm = vtd_storm_account_locked(unit, f);
	spin_unlock_irqrestore(&unit->fault_lock, flags);
	if (storm)
		schedule_work(&unit->storm_work);
}
EXPORT_SYMBOL_GPL(vtd_unit_account_fault);

/* Take one recorded fault out of FRCD @i; false if it holds none. */
static bool vtd_fault_take_locked(struct vtd_unit *unit, unsigned int i,
				  struct vtd_fault *f)
{
	unsigned int off = vtd_frcd_reg(unit, i);
	u64 hi = vtd_readq(unit, off + 8);

	lockdep_assert_held(&unit->fault_lock);
	if (!(hi & VTD_FRCD_F))
		return false;
	f->addr = vtd_readq(unit, off) & ~(u64)(VTD_PAGE_SIZE - 1);
	f->sid = FIELD_GET(VTD_FRCD_SID, hi);
	f->reason = FIELD_GET(VTD_FRCD_FR, hi);
	f->read = hi & VTD_FRCD_T;
	f->time_ns = ktime_get_ns();
	f->seq = ++unit->fault_seq;
	unit->fault_ring[(f->seq - 1) % VTD_FAULT_RING] = *f;
	/* F is write-1-to-clear, in the record's top dword. */
	vtd_writel(unit, off + 12, BIT(31));
	return true;
}

/* Faults that must not reach the log at all: a storm's own are counted. */
static bool vtd_fault_quiet_locked(struct vtd_unit *unit, u16 sid)
{
	unsigned int i;

	lockdep_assert_held(&unit->fault_lock);
	for (i = 0; i < ARRAY_SIZE(unit->storm); i++)
		if (unit->storm[i].used && unit->storm[i].sid == sid)
			return unit->storm[i].blocked;
	return false;
}

/**
 * vtd_unit_poll_faults() - drain the unit's fault recording registers
 * @unit: the unit
 *
 * Reads the records from FSTS.FRI on until one has F clear, keeps each in
 * the ring, counts and logs it (rate-limited), and clears exactly the bits
 * it handled: each record's F and, if it was set, FSTS.PFO.
 *
 * Called from the fault event interrupt (vtd_irq.c wires one, stacked on
 * the x86 vector domain, since the kernel's dmar_alloc_hwirq() is not
 * exported) and from a poll every fault_poll_ms, which drains alone when
 * the interrupt could not be set up (fault_irq=0, or another
 * architecture) and otherwise catches an event lost while the interrupt
 * was being moved.
 *
 * Context: any.
 * Return: the number of faults drained.
 */
unsigned int vtd_unit_poll_faults(struct vtd_unit *unit)
{
	struct vtd_fault got[4];
	unsigned int i, n = 0, nfr = vtd_nr_frcd(unit), fri, taken = 0;
	unsigned long flags;
	bool storm = false;
	u32 fsts;

	spin_lock_irqsave(&unit->fault_lock, flags);
	atomic64_inc(&unit->stats.fault_polls);
	fsts = vtd_readl(unit, VTD_FSTS_REG);
	if (fsts & VTD_FSTS_PPF) {
		fri = FIELD_GET(VTD_FSTS_FRI, fsts);
		for (i = 0; i < nfr; i++) {
			struct vtd_fault f;

			if (!vtd_fault_take_locked(unit, (fri + i) % nfr, &f))
				break;
			storm |= vtd_storm_account_locked(unit, &f);
			if (taken < ARRAY_SIZE(got) &&
			    !vtd_fault_quiet_locked(unit, f.sid))
				got[taken++] = f;
			n++;
		}
	}
	if (fsts & VTD_FSTS_PFO) {
		vtd_writel(unit, VTD_FSTS_REG, VTD_FSTS_PFO);
		atomic64_inc(&unit->stats.fault_overflows);
	}
	spin_unlock_irqrestore(&unit->fault_lock, flags);

	if (storm)
		schedule_work(&unit->storm_work);
	atomic64_add(n, &unit->stats.faults);
	for (i = 0; i < taken; i++)
		vtd_fault_log(unit, &got[i]);
	if (fsts & VTD_FSTS_PFO)
		pr_err_ratelimited("%s: fault records overflowed; faults were lost\n",
				   unit->name);
	return n;
}
EXPORT_SYMBOL_GPL(vtd_unit_poll_faults);

/**
 * vtd_unit_fault_seq() - how many faults the unit has drained so far
 * @unit: the unit
 *
 * Return: the sequence number of the last fault (0: none yet).
 */
u64 vtd_unit_fault_seq(struct vtd_unit *unit)
{
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&unit->fault_lock, flags);
	seq = unit->fault_seq;
	spin_unlock_irqrestore(&unit->fault_lock, flags);
	return seq;
}
EXPORT_SYMBOL_GPL(vtd_unit_fault_seq);

/**
 * vtd_unit_find_fault() - look for a recent fault in the ring
 * @unit: the unit
 * @sid: source ID to match
 * @addr: address to match (compared by 4 KiB page)
 * @after_seq: only faults with a larger sequence number count
 * @out: the newest matching fault, if any
 *
 * Return: true if one was found.
 */
bool vtd_unit_find_fault(struct vtd_unit *unit, u16 sid, u64 addr,
			 u64 after_seq, struct vtd_fault *out)
{
	unsigned long flags;
	bool found = false;
	u64 seq;

	spin_lock_irqsave(&unit->fault_lock, flags);
	for (seq = unit->fault_seq; seq > after_seq; seq--) {
		const struct vtd_fault *f;

		if (unit->fault_seq - seq >= VTD_FAULT_RING)
			break;
		f = &unit->fault_ring[(seq - 1) % VTD_FAULT_RING];
		if (f->sid == sid && f->addr >> VTD_PAGE_SHIFT ==
		    addr >> VTD_PAGE_SHIFT) {
			*out = *f;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&unit->fault_lock, flags);
	return found;
}
EXPORT_SYMBOL_GPL(vtd_unit_find_fault);

/* Blocking and unblocking sources (fault storms). */

/* Remember in @sid's slot whether it has a present context entry now. */
static void vtd_storm_note_entry(struct vtd_unit *unit, u16 sid)
{
	unsigned long flags;
	bool present = false;
	unsigned int i;

	lockdep_assert_held(&unit->mutex);
	spin_lock(&unit->ctx_lock);
	if (unit->ctx[sid >> 8])
		present = unit->ctx[sid >> 8][(sid & 0xff) * 2] & VTD_CTX_P;
	spin_unlock(&unit->ctx_lock);
	spin_lock_irqsave(&unit->fault_lock, flags);
	for (i = 0; i < ARRAY_SIZE(unit->storm); i++)
		if (unit->storm[i].used && unit->storm[i].sid == sid)
			unit->storm[i].had_entry = present;
	spin_unlock_irqrestore(&unit->fault_lock, flags);
}

static void vtd_storm_block_locked(struct vtd_unit *unit,
				   const struct vtd_fault_source *src)
{
	struct vtd_domain *dom;
	u16 sid = src->sid;
	int ret;

	lockdep_assert_held(&unit->mutex);
	vtd_storm_note_entry(unit, sid);
	set_bit(sid, unit->blocked);
	dom = xa_load(&unit->devices, sid) ?: unit->default_domain;
	ret = vtd_unit_set_context(unit, sid, dom);
	atomic64_inc(&unit->stats.sources_blocked);
	pr_warn("%s: %02x:%02x.%d faulted %u times within %u ms: its DMA is blocked (%s); to let it through again: echo %02x:%02x.%d > /sys/kernel/debug/vtd_remap/%s/unblock\n",
		unit->name, sid >> 8, PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff),
		src->count, READ_ONCE(vtd_fault_storm_ms),
		ret ? "its context entry could not be invalidated" :
		"blocking context entry, faults not recorded",
		sid >> 8, PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff),
		unit->name);
}

/* Block every source the fault path marked and that is not blocked yet. */
static void vtd_storm_work(struct work_struct *work)
{
	struct vtd_unit *unit = container_of(work, struct vtd_unit,
					     storm_work);
	struct vtd_fault_source todo[VTD_STORM_SOURCES];
	unsigned int i, n = 0;
	unsigned long flags;

	mutex_lock(&unit->mutex);
	spin_lock_irqsave(&unit->fault_lock, flags);
	for (i = 0; i < ARRAY_SIZE(unit->storm); i++) {
		const struct vtd_fault_source *src = &unit->storm[i];

		if (src->used && src->blocked && !test_bit(src->sid,
							   unit->blocked))
			todo[n++] = *src;
	}
	spin_unlock_irqrestore(&unit->fault_lock, flags);
	for (i = 0; i < n; i++)
		vtd_storm_block_locked(unit, &todo[i]);
	mutex_unlock(&unit->mutex);
}

/**
 * vtd_unit_storm_flush() - wait until every storm seen so far is blocked
 * @unit: the unit
 *
 * Context: process; sleeps.
 */
void vtd_unit_storm_flush(struct vtd_unit *unit)
{
	flush_work(&unit->storm_work);
}
EXPORT_SYMBOL_GPL(vtd_unit_storm_flush);

/**
 * vtd_unit_source_blocked() - whether a source's DMA is blocked
 * @unit: the unit
 * @sid: the source ID
 *
 * Return: true if a fault storm got @sid blocked and it was not unblocked.
 */
bool vtd_unit_source_blocked(struct vtd_unit *unit, u16 sid)
{
	return test_bit(sid, unit->blocked);
}
EXPORT_SYMBOL_GPL(vtd_unit_source_blocked);

/**
 * vtd_unit_blocked_sources() - the blocked source IDs
 * @unit: the unit
 * @sids: filled with up to @max of them, in order
 * @max: room in @sids
 *
 * Return: how many are blocked (may exceed @max).
 */
unsigned int vtd_unit_blocked_sources(struct vtd_unit *unit, u16 *sids,
				      unsigned int max)
{
	unsigned int n = 0, sid;

	for_each_set_bit(sid, unit->blocked, 1U << 16) {
		if (n < max)
			sids[n] = sid;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_GPL(vtd_unit_blocked_sources);

/**
 * vtd_unit_unblock_source() - let a blocked source's DMA through again
 * @unit: the unit
 * @sid: the source ID
 *
 * Its context entry goes back to the domain it is attached to (or the
 * default domain; not present if it had none when it was blocked), and
 * its fault count starts again from zero.
 * Context: process; sleeps.
 * Return: 0; -ENOENT if @sid was not blocked; an error of
 * vtd_unit_set_context() (the source then stays blocked).
 */
int vtd_unit_unblock_source(struct vtd_unit *unit, u16 sid)
{
	struct vtd_domain *dom = NULL;
	bool had_entry = true;
	unsigned long flags;
	unsigned int i;
	int ret = -ENOENT;

	mutex_lock(&unit->mutex);
	spin_lock_irqsave(&unit->fault_lock, flags);
	for (i = 0; i < ARRAY_SIZE(unit->storm); i++) {
		if (unit->storm[i].used && unit->storm[i].sid == sid) {
			had_entry = unit->storm[i].had_entry;
			unit->storm[i] = (struct vtd_fault_source) {};
		}
	}
	spin_unlock_irqrestore(&unit->fault_lock, flags);
	if (test_bit(sid, unit->blocked)) {
		clear_bit(sid, unit->blocked);
		/* A source that had no entry (not a device of ours) gets none. */
		if (had_entry)
			dom = xa_load(&unit->devices, sid) ?:
			      unit->default_domain;
		ret = vtd_unit_set_context(unit, sid, dom);
		if (ret)
			set_bit(sid, unit->blocked);
		pr_info("%s: %02x:%02x.%d %s\n", unit->name, sid >> 8,
			PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff),
			ret ? "stays blocked: its context entry could not be restored" :
			dom ? "unblocked: its DMA translates again" :
			"unblocked: back to no context entry");
	}
	mutex_unlock(&unit->mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_unit_unblock_source);

static void vtd_fault_work(struct work_struct *work)
{
	struct vtd_unit *unit = container_of(to_delayed_work(work),
					     struct vtd_unit, fault_work);

	vtd_unit_poll_faults(unit);
	schedule_delayed_work(&unit->fault_work,
			      msecs_to_jiffies(max(fault_poll_ms, 1U)));
}

/*
 * Write the fault event message (vtd_irq.c calls this whenever the vector
 * moves, with the interrupt's descriptor lock held and interrupts off).
 * IM is set around the writes so the unit never signals a half-written
 * message; 32-bit writes only (QEMU aborts on wider ones).
 */
static void vtd_fault_irq_program(void *data, u32 addr, u32 upper,
				  u32 msi_data)
{
	struct vtd_unit *unit = data;

	vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
	vtd_writel(unit, VTD_FEDATA_REG, msi_data);
	vtd_writel(unit, VTD_FEADDR_REG, addr);
	vtd_writel(unit, VTD_FEUADDR_REG, upper);
	if (READ_ONCE(unit->fault_irq_on))
		vtd_writel(unit, VTD_FECTL_REG, 0);
}

static irqreturn_t vtd_fault_irq_handler(int irq, void *data)
{
	struct vtd_unit *unit = data;

	atomic64_inc(&unit->fault_irqs);
	vtd_unit_poll_faults(unit);
	return IRQ_HANDLED;	/* not shared: the unit is its only source */
}

static void vtd_unit_fault_irq_setup(struct vtd_unit *unit)
{
	char name[32];
	int ret;

	if (!fault_irq)
		return;
	snprintf(name, sizeof(name), "%s-fault", unit->name);
	WRITE_ONCE(unit->fault_irq_on, true);	/* the first program() unmasks */
	ret = vtd_irq_setup(&unit->fault_irq, name, vtd_fault_irq_handler,
			    unit, vtd_fault_irq_program);
	if (ret) {
		WRITE_ONCE(unit->fault_irq_on, false);
		vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
		pr_warn("%s: no fault interrupt (%d); faults are polled\n",
			unit->name, ret);
	}
}

static void vtd_unit_fault_irq_teardown(struct vtd_unit *unit)
{
	WRITE_ONCE(unit->fault_irq_on, false);
	if (unit->regs)
		vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
	vtd_irq_teardown(&unit->fault_irq);	/* a no-op if never set up */
	/* A program() racing with the write above may have cleared IM. */
	if (unit->regs)
		vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
}

/* Bring-up and teardown of one unit. */

/* Source IDs being collected: a growing array, each ID once. */
struct vtd_sid_set {
	u16 *sids;
	unsigned int n;
	unsigned int room;
	int err;
};

static void vtd_sid_add(struct vtd_sid_set *set, u16 sid)
{
	unsigned int i, room;
	u16 *grown;

	if (set->err)
		return;
	for (i = 0; i < set->n; i++)
		if (set->sids[i] == sid)
			return;
	if (set->n == set->room) {
		room = set->room ? set->room * 2 : 4;
		grown = krealloc_array(set->sids, room, sizeof(*grown),
				       GFP_KERNEL);
		if (!grown) {
			set->err = -ENOMEM;
			return;
		}
		set->sids = grown;
		set->room = room;
	}
	set->sids[set->n++] = sid;
}

/**
 * vtd_pci_sids() - the source IDs a PCI device's DMA can carry
 * @pdev: the device
 * @sids: set to a kmalloc()ed array of them (kfree() it), each once
 *
 * The requester IDs a unit can see on @pdev's DMA, reasoned the way the
 * PCI core's pci_for_each_dma_alias() does (it is not exported to
 * modules): the device's own ID; the other functions its quirks name
 * (dma_alias_mask, same bus); then, bus by bus up to the root bus, what
 * each bridge does to the requests it forwards:
 *  - a PCIe-to-PCI/PCI-X bridge takes them over as (secondary bus, 00.0)
 *    (PCI Express to PCI/PCI-X Bridge specification 2.3), and so does a
 *    conventional bridge flagged PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS (a
 *    PCIe-to-PCI bridge without a PCI Express capability);
 *  - a PCI-to-PCIe bridge, and any other conventional bridge, as
 *    itself;
 *  - PCIe root and switch ports forward them unchanged;
 *  - a bus without a bridge device (a virtual bus) is passed over, and
 *    a bridge flagged PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT ends the walk (a
 *    unit sits there, nothing above it sees the requests).
 * However many there are: there is no limit, the array grows.
 *
 * Context: process; sleeps.
 * Return: how many (at least 1), or -ENOMEM.
 */
int vtd_pci_sids(struct pci_dev *pdev, u16 **sids)
{
	struct vtd_sid_set set = {};
	struct pci_bus *bus;
	struct pci_dev *br;
	unsigned int devfn;

	vtd_sid_add(&set, pci_dev_id(pdev));
	if (pdev->dma_alias_mask)
		for_each_set_bit(devfn, pdev->dma_alias_mask, 256)
			vtd_sid_add(&set, PCI_DEVID(pdev->bus->number, devfn));
	for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		br = bus->self;
		if (!br)
			continue;
		if (br->dev_flags & PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT)
			break;
		if (!pci_is_pcie(br))
			vtd_sid_add(&set, br->dev_flags &
				    PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS ?
				    PCI_DEVID(bus->number, 0) : pci_dev_id(br));
		else if (pci_pcie_type(br) == PCI_EXP_TYPE_PCI_BRIDGE)
			vtd_sid_add(&set, PCI_DEVID(bus->number, 0));
		else if (pci_pcie_type(br) == PCI_EXP_TYPE_PCIE_BRIDGE)
			vtd_sid_add(&set, pci_dev_id(br));
	}
	if (set.err) {
		kfree(set.sids);
		return set.err;
	}
	*sids = set.sids;
	return set.n;
}
EXPORT_SYMBOL_GPL(vtd_pci_sids);

/**
 * vtd_pci_is_bridge() - whether a device is a bridge, not a DMA master
 * @pdev: the device
 *
 * A bridge (a type 1 or 2 header, or a bridge class such as ISA/LPC)
 * forwards the requests of the devices behind it; it does not originate
 * DMA through the DMA API. Such devices are never owned, and sharing a
 * requester ID with one isolates nothing.
 * Return: true for a bridge.
 */
bool vtd_pci_is_bridge(struct pci_dev *pdev)
{
	return pdev->hdr_type != PCI_HEADER_TYPE_NORMAL ||
	       pdev->class >> 16 == PCI_BASE_CLASS_BRIDGE;
}
EXPORT_SYMBOL_GPL(vtd_pci_is_bridge);

/**
 * vtd_pci_segment() - the PCI segment of a PCI domain number
 * @domain: pci_domain_nr() of a device's bus
 *
 * DRHD scopes and requester IDs name 16-bit segments. Linux numbers the
 * domains behind an Intel VMD controller from 0x10000: no DRHD names
 * those, and truncating them would give a device another segment's
 * requester ID.
 * Return: the segment, or -ERANGE if @domain is not one.
 */
int vtd_pci_segment(int domain)
{
	return domain < 0 || domain > 0xffff ? -ERANGE : domain;
}
EXPORT_SYMBOL_GPL(vtd_pci_segment);

/**
 * vtd_unit_for_pci() - the unit that translates a PCI device's DMA
 * @pdev: the device
 *
 * Return: the unit, or NULL if no unit the module drives covers @pdev
 * (or its PCI domain is no 16-bit segment: vtd_pci_segment()).
 */
struct vtd_unit *vtd_unit_for_pci(struct pci_dev *pdev)
{
	const struct vtd_dmar_drhd *drhd;
	struct vtd_unit *unit;

	if (!vtd_units_dmar || vtd_pci_segment(pci_domain_nr(pdev->bus)) < 0)
		return NULL;
	drhd = vtd_dmar_unit_for_pci(vtd_units_dmar, pdev);
	if (!drhd)
		return NULL;
	list_for_each_entry(unit, &vtd_units, node)
		if (unit->drhd == drhd)
			return unit;
	return NULL;
}
EXPORT_SYMBOL_GPL(vtd_unit_for_pci);

/* Read the identification registers and refuse a unit we must not drive. */
static int vtd_unit_probe_regs(struct vtd_unit *unit)
{
	unsigned int sagaw;
	u32 gsts;

	unit->ver = vtd_readl(unit, VTD_VER_REG);
	unit->cap = vtd_readq(unit, VTD_CAP_REG);
	unit->ecap = vtd_readq(unit, VTD_ECAP_REG);
	if (unit->cap == ~0ULL || unit->ecap == ~0ULL) {
		pr_err("%s: CAP or ECAP reads all ones: no unit at %#llx\n",
		       unit->name, unit->drhd->base);
		return -ENODEV;
	}
	gsts = vtd_readl(unit, VTD_GSTS_REG);
	if (gsts & (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE)) {
		pr_err("%s: %s is already on (GSTS %#x): another driver owns this unit (boot with intel_iommu=off intremap=off)\n",
		       unit->name, gsts & VTD_GCMD_TE ? "translation" :
		       gsts & VTD_GCMD_IRE ? "interrupt remapping" :
		       "queued invalidation", gsts);
		return -EBUSY;
	}
	sagaw = FIELD_GET(VTD_CAP_SAGAW, unit->cap);
	unit->iova_bits = FIELD_GET(VTD_CAP_MGAW, unit->cap) + 1;
	/* The shallowest table that covers MGAW; 4 levels only if needed. */
	if ((sagaw & BIT(1)) && (unit->iova_bits <= 39 || !(sagaw & BIT(2)))) {
		unit->aw_bits = 39;
	} else if (sagaw & BIT(2)) {
		unit->aw_bits = 48;
	} else {
		pr_err("%s: SAGAW %#x offers neither 3- nor 4-level tables\n",
		       unit->name, sagaw);
		return -ENODEV;
	}
	if (unit->iova_bits > unit->aw_bits)
		unit->iova_bits = unit->aw_bits;
	if (unit->iova_bits <= 32) {
		pr_err("%s: MGAW %u bits is too narrow to be useful\n",
		       unit->name, unit->iova_bits);
		return -ENODEV;
	}
	unit->nr_domain_ids = 1UL << (4 + 2 * FIELD_GET(VTD_CAP_ND, unit->cap));
	return 0;
}

/* Bytes of register window the unit's CAP/ECAP say we will touch. */
static size_t vtd_unit_reg_size(struct vtd_unit *unit)
{
	size_t size = max_t(size_t, vtd_iotlb_reg(unit) + 16,
			    vtd_frcd_reg(unit, vtd_nr_frcd(unit)));

	size = max_t(size_t, size, PAGE_SIZE << unit->drhd->size);
	return PAGE_ALIGN(size);
}

static int vtd_unit_map_regs(struct vtd_unit *unit)
{
	size_t size;
	int ret;

	if (!unit->drhd->base || !PAGE_ALIGNED(unit->drhd->base)) {
		pr_err("%s: register base %#llx is not usable\n", unit->name,
		       unit->drhd->base);
		return -EINVAL;
	}
	/* The built-in driver may hold the region even when told off. */
	unit->regs = ioremap(unit->drhd->base, PAGE_SIZE);
	if (!unit->regs)
		return -ENOMEM;
	ret = vtd_unit_probe_regs(unit);
	if (ret)
		return ret;
	size = vtd_unit_reg_size(unit);
	if (size > PAGE_SIZE) {
		iounmap(unit->regs);
		unit->regs = ioremap(unit->drhd->base, size);
		if (!unit->regs)
			return -ENOMEM;
	}
	return 0;
}

static int vtd_unit_choose_inv(struct vtd_unit *unit)
{
	bool has_qi = unit->ecap & VTD_ECAP_QI;

	if (!strcmp(invalidation, "register"))
		return 0;
	if (!strcmp(invalidation, "qi") && !has_qi) {
		pr_err("%s: invalidation=qi but the unit has no ECAP.QI\n",
		       unit->name);
		return -EINVAL;
	}
	if (strcmp(invalidation, "qi") && strcmp(invalidation, "auto")) {
		pr_err("invalidation=%s: expected auto, qi or register\n",
		       invalidation);
		return -EINVAL;
	}
	return has_qi ? vtd_qi_enable(unit) : 0;
}

/**
 * vtd_unit_add_device() - give a device its default context entries
 * @unit: the unit translating @pdev (vtd_unit_for_pci())
 * @pdev: a device found at load, or one that appeared later (hotplug,
 *	  rescan, an SR-IOV virtual function: the bus notifier, vtd_hotplug.c)
 *
 * Every source ID of @pdev that has no present context entry and is not
 * attached to a domain gets the default domain's entry (pass-through or
 * identity). Entries already present are left as they are: a source ID
 * shared with another device (a PCIe-to-PCI bridge's alias), one attached
 * to a DMA domain, one blocked by a fault storm. So calling it twice, or
 * for a device the unit already covers, changes nothing.
 *
 * Context: process; sleeps; takes @unit->mutex.
 * Return: 0, -ENOMEM, or an invalidation error (the entries written so far
 * stay: each is complete).
 */
int vtd_unit_add_device(struct vtd_unit *unit, struct pci_dev *pdev)
{
	int i, n, ret = 0, tt;
	u16 *sids, did;

	n = vtd_pci_sids(pdev, &sids);
	if (n < 0)
		return n;
	mutex_lock(&unit->mutex);
	for (i = 0; i < n && !ret; i++) {
		if (xa_load(&unit->devices, sids[i]) ||
		    vtd_unit_read_context(unit, sids[i], &did, &tt))
			continue;
		ret = vtd_unit_set_context(unit, sids[i], unit->default_domain);
	}
	mutex_unlock(&unit->mutex);
	kfree(sids);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_unit_add_device);

/*
 * Whether a device of @unit other than @gone still sends as @sid (true
 * also when that cannot be told: the entry then stays).
 */
static bool vtd_unit_sid_in_use(struct vtd_unit *unit, struct pci_dev *gone,
				u16 sid)
{
	struct pci_dev *pdev = NULL;
	bool found = false;
	int i, n;
	u16 *sids;

	for_each_pci_dev(pdev) {
		if (pdev == gone || vtd_unit_for_pci(pdev) != unit)
			continue;
		n = vtd_pci_sids(pdev, &sids);
		if (n < 0) {
			pci_dev_put(pdev);
			return true;
		}
		for (i = 0; i < n && !found; i++)
			found = sids[i] == sid;
		kfree(sids);
		if (found) {
			pci_dev_put(pdev);
			return true;
		}
	}
	return false;
}

/**
 * vtd_unit_remove_device() - clear the entries of a device that went away
 * @unit: the unit that translated @pdev
 * @pdev: a device removed from the bus (its driver unbound)
 *
 * Each source ID of @pdev whose entry is the default domain's is made not
 * present, unless another device still uses it (an alias), it is attached
 * to a domain (whoever attached it detaches it), or it is blocked (a fault
 * storm; it stays blocked until unblocked).
 *
 * Context: process; sleeps; takes @unit->mutex.
 */
void vtd_unit_remove_device(struct vtd_unit *unit, struct pci_dev *pdev)
{
	int i, n, ret;
	u16 *sids;

	n = vtd_pci_sids(pdev, &sids);
	if (n < 0) {
		pci_warn(pdev, "%s: its context entries stay: %d\n",
			 unit->name, n);
		return;
	}
	mutex_lock(&unit->mutex);
	for (i = 0; i < n; i++) {
		if (xa_load(&unit->devices, sids[i]) ||
		    test_bit(sids[i], unit->blocked) ||
		    vtd_unit_sid_in_use(unit, pdev, sids[i]))
			continue;
		ret = vtd_unit_set_context(unit, sids[i], NULL);
		if (ret)
			pci_warn(pdev, "%s: context entry of %02x:%02x.%d not cleared: %d\n",
				 unit->name, sids[i] >> 8,
				 PCI_SLOT(sids[i] & 0xff),
				 PCI_FUNC(sids[i] & 0xff), ret);
	}
	mutex_unlock(&unit->mutex);
	kfree(sids);
}
EXPORT_SYMBOL_GPL(vtd_unit_remove_device);

/* Give every device in the unit's scope its default context entry. */
static int vtd_unit_default_contexts(struct vtd_unit *unit)
{
	struct pci_dev *pdev = NULL;
	int ret;

	for_each_pci_dev(pdev) {
		if (vtd_unit_for_pci(pdev) != unit)
			continue;
		ret = vtd_unit_add_device(unit, pdev);
		if (ret) {
			pci_dev_put(pdev);
			return ret;
		}
	}
	return 0;
}

/* Program the root table, flush every cache, then turn translation on. */
static int vtd_unit_enable(struct vtd_unit *unit)
{
	int ret;

	vtd_writeq(unit, VTD_RTADDR_REG, virt_to_phys(unit->root));
	ret = vtd_gcmd_oneshot(unit, VTD_GCMD_SRTP, true, "root table pointer");
	if (ret)
		return ret;
	ret = vtd_inv_context(unit, true, 0, 0);
	if (!ret)
		ret = vtd_inv_iotlb(unit, VTD_GRAN_GLOBAL, 0, 0, 0, false);
	if (ret)
		return ret;
	vtd_unit_flush_write_buffer(unit);
	ret = vtd_gcmd_set(unit, VTD_GCMD_TE, true, "translation enable");
	if (ret)
		return ret;
	unit->translating = true;
	return 0;
}

static void vtd_unit_disable(struct vtd_unit *unit)
{
	if (!unit->translating)
		return;
	vtd_gcmd_set(unit, VTD_GCMD_TE, false, "translation disable");
	unit->translating = false;
}

/**
 * vtd_unit_gsts() - the unit's global status register (GSTS) as it reads now
 * @unit: the unit
 *
 * For the tests: TES (bit 31) and QIES (bit 26) say whether translation and
 * queued invalidation are on in the hardware, whatever the module believes.
 */
u32 vtd_unit_gsts(struct vtd_unit *unit)
{
	return vtd_readl(unit, VTD_GSTS_REG);
}
EXPORT_SYMBOL_GPL(vtd_unit_gsts);

/**
 * vtd_unit_park() - turn translation and queued invalidation off, keep the rest
 * @unit: the unit
 *
 * For a suspend and a shutdown (theory, section 7): the fault event is
 * masked and its message saved, then translation and queued invalidation
 * are turned off, with @inv_lock held so that no invalidation request is
 * half done; @parked then makes every later request a no-op until
 * vtd_unit_restore(). The tables, the queue page and the domains stay as
 * they are. Parking a parked unit does nothing. A command that times out
 * is logged (vtd_unit_wait32()) and the rest is done anyway.
 * Context: any; spins (syscore suspend and shutdown: one CPU, interrupts
 * off).
 */
void vtd_unit_park(struct vtd_unit *unit)
{
	unsigned long flags;

	spin_lock_irqsave(&unit->inv_lock, flags);
	if (unit->parked) {
		spin_unlock_irqrestore(&unit->inv_lock, flags);
		return;
	}
	unit->parked = true;
	unit->park_qi = unit->qi_on;
	vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
	unit->park_fe[0] = vtd_readl(unit, VTD_FEDATA_REG);
	unit->park_fe[1] = vtd_readl(unit, VTD_FEADDR_REG);
	unit->park_fe[2] = vtd_readl(unit, VTD_FEUADDR_REG);
	if (unit->translating) {
		vtd_gcmd_set(unit, VTD_GCMD_TE, false, "translation disable");
		unit->translating = false;
	}
	/* The queue is empty: @inv_lock is ours and no submission timed out. */
	if (unit->qi_on) {
		vtd_gcmd_set(unit, VTD_GCMD_QIE, false, "queued invalidation off");
		unit->qi_on = false;
	}
	spin_unlock_irqrestore(&unit->inv_lock, flags);
}
EXPORT_SYMBOL_GPL(vtd_unit_park);

/**
 * vtd_unit_restore() - bring a parked unit back as it was
 * @unit: the unit
 *
 * After a resume the unit may hold anything from what vtd_unit_park() left
 * to its reset values (QEMU resets it on the wake-up from S3; a real unit
 * loses its power): whatever it holds, translation and queued invalidation
 * are turned off if on, the queue is set up empty again, the root table
 * programmed, every context-cache and IOTLB entry invalidated, translation
 * turned on, and the fault event message written back and unmasked if the
 * interrupt is wired. Restoring a unit that is not parked does nothing.
 * Context: any; spins (syscore resume: one CPU, interrupts off).
 * Return: 0, -ENODEV if the unit's registers read all ones, or the error
 * of the command that failed (the unit then stays parked, untranslated).
 */
int vtd_unit_restore(struct vtd_unit *unit)
{
	unsigned long flags;
	u32 gsts, was;
	int ret = 0;

	spin_lock_irqsave(&unit->inv_lock, flags);
	if (!unit->parked)
		goto out_unlock;
	gsts = vtd_readl(unit, VTD_GSTS_REG);
	was = gsts;
	if (gsts == ~0U) {
		ret = -ENODEV;
		goto out_unlock;
	}
	vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
	if (gsts & VTD_GCMD_TE)
		ret = vtd_gcmd_set(unit, VTD_GCMD_TE, false, "translation disable");
	if (!ret && (gsts & VTD_GCMD_QIE))
		ret = vtd_gcmd_set(unit, VTD_GCMD_QIE, false,
				   "queued invalidation off");
	if (!ret && unit->park_qi)
		ret = vtd_qi_hw_on(unit);
	if (!ret)
		unit->parked = false;
	spin_unlock_irqrestore(&unit->inv_lock, flags);
	if (ret)
		goto out_err;

	ret = vtd_unit_enable(unit);
	if (ret)
		goto out_err;
	vtd_writel(unit, VTD_FEDATA_REG, unit->park_fe[0]);
	vtd_writel(unit, VTD_FEADDR_REG, unit->park_fe[1]);
	vtd_writel(unit, VTD_FEUADDR_REG, unit->park_fe[2]);
	if (READ_ONCE(unit->fault_irq_on))
		vtd_writel(unit, VTD_FECTL_REG, 0);
	pr_info("%s: restored after resume: GSTS %#x before, %#x now (translation %s, %s invalidation)\n",
		unit->name, was, vtd_readl(unit, VTD_GSTS_REG),
		unit->translating ? "on" : "off",
		unit->qi_on ? "queued" : "register-based");
	return 0;

out_unlock:
	spin_unlock_irqrestore(&unit->inv_lock, flags);
	if (!ret)
		return 0;
out_err:
	pr_err("%s: not restored after resume (%d): translation stays off, DMA of its owned devices is not translated\n",
	       unit->name, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_unit_restore);

/*
 * Syscore operations (theory, section 7): run on one CPU with interrupts
 * off, after every device has been suspended or shut down and before any
 * is resumed.
 */
static int vtd_units_suspend(void)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		vtd_unit_park(unit);
	return 0;
}

static void vtd_units_resume(void)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		vtd_unit_restore(unit);
}

static void vtd_units_shutdown(void)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node) {
		vtd_unit_park(unit);
		pr_info("%s: off for shutdown: GSTS %#x\n", unit->name,
			vtd_readl(unit, VTD_GSTS_REG));
	}
}

static struct syscore_ops vtd_syscore_ops = {
	.suspend = vtd_units_suspend,
	.resume = vtd_units_resume,
	.shutdown = vtd_units_shutdown,
};

static bool vtd_syscore_registered;

/* Undo whatever vtd_unit_setup() did; copes with a partial setup. */
static void vtd_unit_teardown(struct vtd_unit *unit)
{
	unsigned int bus;

	if (unit->fault_work.work.func)
		cancel_delayed_work_sync(&unit->fault_work);
	vtd_unit_fault_irq_teardown(unit);
	cancel_work_sync(&unit->storm_work);
	vtd_unit_disable(unit);
	if (unit->regs && unit->root) {
		/* Drain what is left so nothing stays pending for the next owner. */
		vtd_unit_poll_faults(unit);
	}
	vtd_domains_unit_exit(unit);
	if (unit->qi_queue || unit->qi_on)
		vtd_qi_disable(unit);
	for (bus = 0; bus < ARRAY_SIZE(unit->ctx); bus++)
		free_page((unsigned long)unit->ctx[bus]);
	free_page((unsigned long)unit->root);
	free_page((unsigned long)unit->block_table);
	bitmap_free(unit->blocked);
	if (unit->regs)
		iounmap(unit->regs);
	kfree(unit);
}

/* The domain ID of blocking context entries, never a domain's. */
static int vtd_unit_block_did(struct vtd_unit *unit)
{
	unsigned long did;
	int ret;

	ret = vtd_iova_alloc(&unit->dids, 1, unit->nr_domain_ids - 1, 1,
			     GFP_KERNEL, &did);
	if (!ret)
		unit->block_did = did;
	return ret;
}

static int vtd_unit_setup(struct vtd_unit *unit,
			  struct vtd_iova_domain *template)
{
	int ret;

	ret = vtd_unit_map_regs(unit);
	if (ret)
		return ret;
	unit->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	unit->block_table = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!unit->root || !unit->block_table)
		return -ENOMEM;
	vtd_flush_table(unit, unit->root, PAGE_SIZE);
	vtd_flush_table(unit, unit->block_table, PAGE_SIZE);
	unit->pgt_cfg = (struct vtd_pgtable_cfg) {
		.sagaw = FIELD_GET(VTD_CAP_SAGAW, unit->cap),
		.page_sizes = FIELD_GET(VTD_CAP_SLLPS, unit->cap),
		.aw_bits = unit->aw_bits,
		.coherent = unit->ecap & VTD_ECAP_C,
		.snoop_ctl = unit->ecap & VTD_ECAP_SC,
		.pool = &unit->pool,
	};
	/* Masked until vtd_unit_fault_irq_setup() has a message for it. */
	vtd_writel(unit, VTD_FECTL_REG, VTD_FECTL_IM);
	ret = vtd_unit_choose_inv(unit);
	if (ret)
		return ret;
	ret = vtd_domains_unit_init(unit, template,
				    passthrough && (unit->ecap & VTD_ECAP_PT) ?
				    VTD_DOMAIN_PASSTHROUGH : VTD_DOMAIN_IDENTITY);
	if (ret)
		return ret;
	ret = vtd_unit_block_did(unit);
	if (ret)
		return ret;
	ret = vtd_unit_default_contexts(unit);
	if (ret)
		return ret;
	vtd_unit_poll_faults(unit);
	INIT_DELAYED_WORK(&unit->fault_work, vtd_fault_work);
	vtd_unit_fault_irq_setup(unit);
	ret = vtd_unit_enable(unit);
	if (ret)
		return ret;
	schedule_delayed_work(&unit->fault_work,
			      msecs_to_jiffies(max(fault_poll_ms, 1U)));
	return 0;
}

static struct vtd_unit *vtd_unit_alloc(const struct vtd_dmar_drhd *drhd,
				       unsigned int index)
{
	struct vtd_unit *unit = kzalloc(sizeof(*unit), GFP_KERNEL);

	if (!unit)
		return NULL;
	unit->index = index;
	unit->dmar = vtd_units_dmar;
	snprintf(unit->name, sizeof(unit->name), "dmar%u", index);
	unit->drhd = drhd;
	unit->blocked = bitmap_zalloc(1U << 16, GFP_KERNEL);
	if (!unit->blocked) {
		kfree(unit);
		return NULL;
	}
	INIT_WORK(&unit->storm_work, vtd_storm_work);
	mutex_init(&unit->mutex);
	INIT_LIST_HEAD(&unit->domains);
	xa_init(&unit->devices);
	spin_lock_init(&unit->ctx_lock);
	spin_lock_init(&unit->inv_lock);
	spin_lock_init(&unit->fault_lock);
	return unit;
}

static void vtd_unit_report(struct vtd_unit *unit)
{
	pr_info("%s: at %#llx, VER %u.%u, CAP %#llx, ECAP %#llx\n",
		unit->name, unit->drhd->base, (unit->ver >> 4) & 0xf,
		unit->ver & 0xf, unit->cap, unit->ecap);
	pr_info("%s: %u-level tables (%u-bit IOVAs), %lu domain IDs, %s invalidation, faults %s (poll every %u ms)%s%s; translation on\n",
		unit->name, unit->aw_bits == 48 ? 4 : 3, unit->iova_bits,
		unit->nr_domain_ids, unit->qi_on ? "queued" : "register-based",
		unit->fault_irq.irq ? "by interrupt" : "polled", fault_poll_ms,
		vtd_unit_caching_mode(unit) ? ", caching mode" : "",
		unit->default_domain->type == VTD_DOMAIN_PASSTHROUGH ?
		", others pass through" : ", others identity-mapped");
}

/* Say once which devices no unit can translate for want of a segment. */
static void vtd_units_report_segments(void)
{
	struct pci_dev *pdev = NULL;
	int domain;

	for_each_pci_dev(pdev) {
		domain = pci_domain_nr(pdev->bus);
		if (vtd_pci_segment(domain) < 0)
			pci_warn(pdev, "PCI domain %#x is no 16-bit PCI segment (a device behind Intel VMD?): no unit translates it, it gets no context entry and cannot be owned\n",
				 domain);
	}
}

/**
 * vtd_units_init() - bring up every unit the DMAR table describes
 * @dmar: the parsed table; must outlive the units
 * @template: holes every DMA domain keeps (the MSI window)
 *
 * A unit that cannot be used is refused with a message; the others go on.
 * Return: 0, or -ENODEV if no unit could be brought up.
 */
int vtd_units_init(struct vtd_dmar_table *dmar,
		   struct vtd_iova_domain *template)
{
	unsigned int i, up = 0;
	int ret;

	vtd_units_dmar = dmar;
	vtd_units_report_segments();
	for (i = 0; i < dmar->nr_drhd; i++) {
		struct vtd_unit *unit;

		if (dmar->drhd[i].ignored)
			continue;
		unit = vtd_unit_alloc(&dmar->drhd[i], i);
		if (!unit)
			return -ENOMEM;
		/* vtd_unit_for_pci() looks units up on the list. */
		list_add_tail(&unit->node, &vtd_units);
		ret = vtd_unit_setup(unit, template);
		if (ret) {
			pr_err("%s: not used (%d)\n", unit->name, ret);
			list_del(&unit->node);
			vtd_unit_teardown(unit);
			continue;
		}
		vtd_unit_report(unit);
		vtd_debugfs_add_unit(unit);
		up++;
	}
	if (!up)
		return -ENODEV;
	register_syscore_ops(&vtd_syscore_ops);
	vtd_syscore_registered = true;
	return 0;
}

/**
 * vtd_units_exit() - turn every unit off and free it
 *
 * Every DMA domain must be gone (the shim and the test modules free theirs
 * first); what is left is detached with a warning.
 */
void vtd_units_exit(void)
{
	struct vtd_unit *unit, *tmp;

	if (vtd_syscore_registered) {
		unregister_syscore_ops(&vtd_syscore_ops);
		vtd_syscore_registered = false;
	}
	list_for_each_entry_safe(unit, tmp, &vtd_units, node) {
		list_del(&unit->node);
		vtd_unit_teardown(unit);
	}
	vtd_units_dmar = NULL;
}
