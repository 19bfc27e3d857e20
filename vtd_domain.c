// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap domains: an IOVA space, a second-level page table and a domain
 * ID on one unit, with the PCI devices attached to it. The locking and the
 * invariants shared with the unit code are in the theory statement at the
 * top of vtd_unit.c; what is particular to domains:
 *
 * 1. Kinds. A DMA domain translates through its table and hands out IOVAs
 *    from its allocator. The unit's default domain is either pass-through
 *    (context entries with TT=2, no table) or, on units without ECAP.PT or
 *    with passthrough=0, an identity domain whose table maps all RAM and
 *    every RMRR 1:1.
 * 2. Holes. Every DMA domain's IOVA space starts as a clone of its unit's
 *    @resv domain: the MSI/APIC window (DMA there is an interrupt and is
 *    never translated), the memory windows of the PCI root buses (a DMA
 *    to one of those may be routed peer to peer by a switch and never
 *    reach the unit) and the unit's RMRRs (kept 1:1 for their devices).
 * 3. Invariants. A device (each of its source IDs) is on exactly one
 *    domain's device list iff @unit->devices maps its source IDs to that
 *    domain iff its context entries point at that domain. A source ID
 *    several devices share (their DMA alias: the devices behind one
 *    PCIe-to-PCI bridge) is on a DMA domain only while every one of
 *    those devices that is not a bridge is attached to it: an attach
 *    that would move it while one of them stays out is refused
 *    (vtd_domain_attach_devs() takes a whole group at once), and a
 *    detach leaves it on the domain until the last device using it
 *    goes. So no device ever translates through a domain it is not
 *    attached to. A DMA domain
 *    with a device attached that an RMRR names maps that RMRR 1:1, and
 *    maps each attached device's own memory BARs at their bus addresses
 *    (in a root-bus window, so never an IOVA the allocator hands out).
 * 4. Mapping. Callers allocate an IOVA range first, so concurrent maps
 *    and unmaps of one domain touch disjoint ranges, which is what the
 *    page table requires. vtd_domain_unmap() is always strict: the IOTLB
 *    is invalidated (page selective where the unit allows) before it
 *    returns, and the caller keeps its range. vtd_domain_unmap_free()
 *    unmaps a whole range and gives it back, in the domain's mode
 *    (vtd_flush.c): strict, the same invalidation and then the range and
 *    the emptied table pages are released; deferred, the PTEs are cleared
 *    and the range and pages are queued on this CPU's flush queue, to be
 *    released after one domain-selective invalidation within the window.
 *    Either way a range is handed out again, and a table page reused,
 *    only after an invalidation that started after its PTEs were cleared
 *    has succeeded. With caching mode, a map is invalidated too.
 * 5. Failure policy. Attach is all or nothing: on error the devices'
 *    source IDs are back on the default domain (those already on the
 *    domain through an attached device stay). A device sharing a
 *    requester ID with a device left out is refused with -EBUSY and a
 *    message naming both. Invalidation errors are
 *    logged and counted by the unit code; a map that fails leaves nothing
 *    mapped. A detach (or an attach's undo) whose context-entry change
 *    could not be invalidated leaves the unit free to use the old entry:
 *    the domain is then stale, and freeing it keeps its table pages
 *    (abandoned to the pool's leaked count) and its domain ID for good,
 *    with a message and the unit's ctx_clear_failed and
 *    domains_abandoned counters. An unmap whose invalidation fails (in
 *    either mode) frees nothing: its table pages and, with
 *    vtd_domain_unmap_free(), its range are quarantined (vtd_flush.c)
 *    and never reused; the pages are returned to the pool only once the
 *    unit is off.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vtd_debugfs.h"
#include "vtd_unit.h"

static int vtd_domain_iotlb_sync(void *cookie, u64 iova, u64 size,
				 bool tables)
{
	struct vtd_domain *dom = cookie;

	return vtd_unit_flush_iotlb_range(dom->unit, dom->did, iova, size,
					  tables);
}

/*
 * Caching mode (CAP.CM): the unit may cache not-present entries at any
 * level, so a new mapping is invalidated like a removed one.
 */
static int vtd_domain_iotlb_map(void *cookie, u64 iova, u64 size)
{
	struct vtd_domain *dom = cookie;

	return vtd_unit_flush_iotlb_range(dom->unit, dom->did, iova, size,
					  true);
}

static const struct vtd_pgtable_flush_ops vtd_domain_flush_ops = {
	.iotlb_sync = vtd_domain_iotlb_sync,
};

static const struct vtd_pgtable_flush_ops vtd_domain_flush_ops_cm = {
	.iotlb_sync = vtd_domain_iotlb_sync,
	.iotlb_map = vtd_domain_iotlb_map,
};

static bool vtd_domain_has_table(const struct vtd_domain *dom)
{
	return dom->type != VTD_DOMAIN_PASSTHROUGH;
}

/* Holes. */

static unsigned long vtd_pfn(u64 addr)
{
	return addr >> VTD_PAGE_SHIFT;
}

/* Reserve every memory window of every PCI root bus in @resv. */
static int vtd_resv_pci_windows(struct vtd_iova_domain *resv)
{
	struct pci_bus *bus = NULL;
	struct resource *res;
	unsigned int i;
	int ret;

	while ((bus = pci_find_next_bus(bus))) {
		pci_bus_for_each_resource(bus, res, i) {
			if (!res || !(res->flags & IORESOURCE_MEM) ||
			    res->end <= res->start)
				continue;
			ret = vtd_iova_reserve(resv, vtd_pfn(res->start),
					       vtd_pfn(res->end), GFP_KERNEL);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool vtd_rmrr_usable(const struct vtd_unit *unit,
			    const struct vtd_dmar_rmrr *rmrr)
{
	return !rmrr->ignored && rmrr->segment == unit->drhd->segment &&
	       rmrr->limit > rmrr->base;
}

static int vtd_resv_rmrrs(struct vtd_unit *unit, struct vtd_iova_domain *resv)
{
	unsigned int i;
	int ret;

	for (i = 0; i < unit->dmar->nr_rmrr; i++) {
		const struct vtd_dmar_rmrr *rmrr = &unit->dmar->rmrr[i];

		if (!vtd_rmrr_usable(unit, rmrr))
			continue;
		ret = vtd_iova_reserve(resv, vtd_pfn(rmrr->base),
				       vtd_pfn(rmrr->limit), GFP_KERNEL);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether an RMRR's scope names @pdev (an endpoint, or a bridge above it). */
static bool vtd_rmrr_names(const struct vtd_dmar_rmrr *rmrr,
			   struct pci_dev *pdev)
{
	unsigned int i, bus = pdev->bus->number;

	for (i = 0; i < rmrr->nr_scopes; i++) {
		const struct vtd_dmar_scope *sc = &rmrr->scopes[i];

		if (!sc->resolved)
			continue;
		if (sc->res_bus == bus && sc->res_devfn == pdev->devfn)
			return true;
		if (sc->type == VTD_DMAR_SCOPE_PCI_BRIDGE && sc->sec_bus <= bus &&
		    bus <= sc->sub_bus)
			return true;
	}
	return false;
}

/* Map [first, last] 1:1, leaving what is already mapped as it is. */
static int vtd_domain_map_identity(struct vtd_domain *dom, u64 first,
				   u64 last)
{
	u64 start = round_down(first, VTD_PAGE_SIZE);
	u64 end = round_up(last + 1, VTD_PAGE_SIZE);
	phys_addr_t phys;
	int ret;

	if (end > BIT_ULL(dom->unit->iova_bits))
		end = BIT_ULL(dom->unit->iova_bits);
	if (start >= end)
		return 0;
	ret = vtd_domain_map(dom, start, start, end - start,
			     VTD_PGT_READ | VTD_PGT_WRITE, GFP_KERNEL);
	if (ret != -EEXIST)
		return ret;
	/* Part of it is mapped already (an RMRR inside RAM): fill the rest. */
	for (; start < end; start += VTD_PAGE_SIZE) {
		if (!vtd_domain_lookup(dom, start, &phys))
			continue;
		ret = vtd_domain_map(dom, start, start, VTD_PAGE_SIZE,
				     VTD_PGT_READ | VTD_PGT_WRITE, GFP_KERNEL);
		if (ret)
			return ret;
	}
	return 0;
}

/* Identity-map the RMRRs that name @pdev into its new DMA domain. */
/*
 * A device's own memory BARs, mapped at their bus addresses to themselves:
 * a device that reaches into its own BAR by DMA then gets there. On real
 * hardware such a request stays inside the device, but QEMU's
 * lsi53c895a, for one, fetches the SCRIPTS it runs from its own RAM BAR
 * by DMA through the IOMMU. The addresses lie in a PCI root-bus window,
 * a hole of every DMA domain (section 2), so no IOVA is ever handed out
 * there. A BAR that is not page aligned or lies beyond the domain's
 * width is left out.
 */
static int vtd_domain_map_own_bars(struct vtd_domain *dom,
				   struct pci_dev *pdev)
{
	u64 width = BIT_ULL(dom->unit->iova_bits);
	unsigned int bar;
	int ret;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		u64 iova = pci_bus_address(pdev, bar);
		u64 len = pci_resource_len(pdev, bar);

		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    !len || !IS_ALIGNED(iova | len, VTD_PAGE_SIZE) ||
		    iova >= width || len > width - iova)
			continue;
		ret = vtd_domain_map(dom, iova, pci_resource_start(pdev, bar),
				     len, VTD_PGT_READ | VTD_PGT_WRITE,
				     GFP_KERNEL);
		if (ret && ret != -EEXIST)
			return ret;
	}
	return 0;
}

static int vtd_domain_map_rmrrs(struct vtd_domain *dom, struct pci_dev *pdev)
{
	struct vtd_unit *unit = dom->unit;
	unsigned int i;
	int ret;

	for (i = 0; i < unit->dmar->nr_rmrr; i++) {
		const struct vtd_dmar_rmrr *rmrr = &unit->dmar->rmrr[i];

		if (!vtd_rmrr_usable(unit, rmrr) || !vtd_rmrr_names(rmrr, pdev))
			continue;
		pci_info(pdev, "RMRR [%#llx-%#llx] mapped 1:1 in domain %u\n",
			 rmrr->base, rmrr->limit, dom->did);
		ret = vtd_domain_map_identity(dom, rmrr->base, rmrr->limit);
		if (ret)
			return ret;
	}
	return 0;
}

static int vtd_identity_ram(struct resource *res, void *arg)
{
	return vtd_domain_map_identity(arg, res->start, res->end);
}

/* The identity domain: all RAM and every RMRR of the unit, 1:1. */
static int vtd_domain_fill_identity(struct vtd_domain *dom)
{
	struct vtd_unit *unit = dom->unit;
	unsigned int i;
	int ret;

	ret = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
				  BIT_ULL(unit->iova_bits) - 1, dom,
				  vtd_identity_ram);
	if (ret && ret != -EINVAL)	/* -EINVAL: no RAM resource at all */
		return ret;
	for (i = 0; i < unit->dmar->nr_rmrr; i++) {
		const struct vtd_dmar_rmrr *rmrr = &unit->dmar->rmrr[i];

		if (!vtd_rmrr_usable(unit, rmrr))
			continue;
		ret = vtd_domain_map_identity(dom, rmrr->base, rmrr->limit);
		if (ret)
			return ret;
	}
	return 0;
}

/* Domain life cycle. */

/*
 * Free a domain. A stale one (a context entry the unit may still cache
 * points at it) keeps its table pages and its domain ID for good: the
 * unit may walk the one and tag cached entries with the other.
 */
static void vtd_domain_release(struct vtd_domain *dom)
{
	struct vtd_unit *unit = dom->unit;
	unsigned long kept = 0;

	/* Queued ranges go back to the allocator before it goes. */
	vtd_flush_domain_exit(dom);
	if (dom->stale) {
		if (vtd_domain_has_table(dom))
			kept = vtd_pgtable_abandon(&dom->pgt);
		atomic64_inc(&unit->stats.domains_abandoned);
		pr_err("%s: domain %u freed while the unit may still use it: its %lu table pages and its domain ID are kept, never reused\n",
		       unit->name, dom->did, kept);
	} else {
		if (vtd_domain_has_table(dom) && dom->pgt.root)
			vtd_pgtable_destroy(&dom->pgt);
		vtd_iova_free(&unit->dids, dom->did, 1);
	}
	vtd_iova_cache_destroy(&dom->iova);
	vtd_iova_domain_destroy(&dom->iova);
	free_percpu(dom->stats);
	kfree(dom);
}

static int vtd_domain_setup(struct vtd_domain *dom)
{
	struct vtd_unit *unit = dom->unit;
	struct vtd_pgtable_cfg cfg = unit->pgt_cfg;
	int ret;

	ret = vtd_iova_domain_init(&dom->iova, VTD_PAGE_SIZE, 1,
				   (1UL << (unit->iova_bits - VTD_PAGE_SHIFT)) - 1);
	if (ret)
		return ret;
	ret = vtd_iova_clone_reserved(&dom->iova, &unit->resv, GFP_KERNEL);
	if (ret || !vtd_domain_has_table(dom))
		return ret;
	/* Per-CPU range caches for the sizes the shim maps most. */
	if (dom->type == VTD_DOMAIN_DMA) {
		ret = vtd_iova_cache_init(&dom->iova);
		if (ret)
			return ret;
	}
	cfg.ops = vtd_unit_caching_mode(unit) ? &vtd_domain_flush_ops_cm :
					   &vtd_domain_flush_ops;
	cfg.cookie = dom;
	ret = vtd_pgtable_init(&dom->pgt, &cfg);
	if (ret)
		return ret;
	if (dom->type == VTD_DOMAIN_IDENTITY)
		ret = vtd_domain_fill_identity(dom);
	return ret;
}

/**
 * vtd_domain_alloc() - make a domain on a unit
 * @unit: the unit
 * @type: VTD_DOMAIN_DMA for a translating domain (the others are the
 *	  unit's default domain)
 *
 * Context: process; sleeps.
 * Return: the domain, or ERR_PTR(-ENOSPC) when the unit's domain IDs are
 * all taken, ERR_PTR(-ENOMEM).
 */
struct vtd_domain *vtd_domain_alloc(struct vtd_unit *unit,
				    enum vtd_domain_type type)
{
	struct vtd_domain *dom;
	unsigned long did;
	int ret;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	dom->stats = alloc_percpu(struct vtd_domain_stats);
	ret = dom->stats ? vtd_iova_alloc(&unit->dids, 1,
					  unit->nr_domain_ids - 1, 1,
					  GFP_KERNEL, &did) : -ENOMEM;
	if (ret) {
		free_percpu(dom->stats);
		kfree(dom);
		return ERR_PTR(ret);
	}
	dom->unit = unit;
	dom->type = type;
	dom->did = did;
	INIT_LIST_HEAD(&dom->devices);
	vtd_flush_domain_init(dom);
	ret = vtd_domain_setup(dom);
	if (ret) {
		vtd_domain_release(dom);
		return ERR_PTR(ret);
	}
	mutex_lock(&unit->mutex);
	list_add_tail(&dom->node, &unit->domains);
	mutex_unlock(&unit->mutex);
	vtd_debugfs_add_domain(dom);
	return dom;
}
EXPORT_SYMBOL_GPL(vtd_domain_alloc);

/*
 * Give source ID @sid of @pdev back to the default domain. If that fails
 * (an invalidation did not complete), the unit may go on using its cached
 * entry for @dom: @dom becomes stale, so that it is never freed for real.
 */
static void vtd_domain_clear_sid_locked(struct vtd_domain *dom,
					struct pci_dev *pdev, u16 sid)
{
	struct vtd_unit *unit = dom->unit;
	int ret;

	lockdep_assert_held(&unit->mutex);
	ret = vtd_unit_set_context(unit, sid, unit->default_domain);
	xa_erase(&unit->devices, sid);
	if (!ret)
		return;
	dom->stale = true;
	atomic64_inc(&unit->stats.ctx_clear_failed);
	pci_err(pdev, "%s: context entry of %02x:%02x.%d not cleared (%d): the unit may still use domain %u, whose tables will never be freed\n",
		unit->name, sid >> 8, PCI_SLOT(sid & 0xff), PCI_FUNC(sid & 0xff),
		ret, dom->did);
}

/* Whether a device on @dom's list other than @skip uses source ID @sid. */
static bool vtd_domain_sid_shared_locked(struct vtd_domain *dom, u16 sid,
					 const struct vtd_domain_dev *skip)
{
	struct vtd_domain_dev *dd;
	unsigned int i;

	lockdep_assert_held(&dom->unit->mutex);
	list_for_each_entry(dd, &dom->devices, node) {
		if (dd == skip)
			continue;
		for (i = 0; i < dd->nr_sids; i++)
			if (dd->sids[i] == sid)
				return true;
	}
	return false;
}

/*
 * Take @dd off @dom: its source IDs go back to the default domain, except
 * those another attached device shares (an alias of a group), which stay
 * on @dom until the last device using them goes.
 */
static void vtd_domain_detach_locked(struct vtd_domain *dom,
				     struct vtd_domain_dev *dd)
{
	struct vtd_unit *unit = dom->unit;
	unsigned int i;

	lockdep_assert_held(&unit->mutex);
	for (i = 0; i < dd->nr_sids; i++)
		if (!vtd_domain_sid_shared_locked(dom, dd->sids[i], dd))
			vtd_domain_clear_sid_locked(dom, dd->pdev,
						    dd->sids[i]);
	list_del(&dd->node);
	dom->nr_devices--;
	pci_dev_put(dd->pdev);
	kfree(dd->sids);
	kfree(dd);
}

/**
 * vtd_domain_free() - free a domain
 * @dom: the domain; no device should be attached (any that is gets
 *	 detached with a warning)
 *
 * Context: process; sleeps.
 */
void vtd_domain_free(struct vtd_domain *dom)
{
	struct vtd_unit *unit = dom->unit;
	struct vtd_domain_dev *dd, *tmp;

	vtd_debugfs_remove_domain(dom);
	mutex_lock(&unit->mutex);
	WARN_ON_ONCE(dom->nr_devices && dom != unit->default_domain);
	list_for_each_entry_safe(dd, tmp, &dom->devices, node)
		vtd_domain_detach_locked(dom, dd);
	list_del(&dom->node);
	mutex_unlock(&unit->mutex);
	vtd_domain_release(dom);
}
EXPORT_SYMBOL_GPL(vtd_domain_free);

/* Attach and detach. */

static bool vtd_domain_has_dev_locked(struct vtd_domain *dom,
				      struct pci_dev *pdev)
{
	struct vtd_domain_dev *dd;

	list_for_each_entry(dd, &dom->devices, node)
		if (dd->pdev == pdev)
			return true;
	return false;
}

/*
 * Attach one device whose source IDs are in @dd. A source ID already on
 * @dom is one it shares with a device attached before (a group's alias):
 * it is left as it is. On error, the IDs this call wrote are back on the
 * default domain.
 */
static int vtd_domain_attach_locked(struct vtd_domain *dom,
				    struct vtd_domain_dev *dd)
{
	struct vtd_unit *unit = dom->unit;
	unsigned int i, done;
	int ret;

	lockdep_assert_held(&unit->mutex);
	if (vtd_domain_has_dev_locked(dom, dd->pdev))
		return -EEXIST;
	for (i = 0; i < dd->nr_sids; i++) {
		struct vtd_domain *cur = xa_load(&unit->devices, dd->sids[i]);

		if (cur && cur != dom)
			return -EBUSY;
	}
	if (dom->type == VTD_DOMAIN_DMA) {
		ret = vtd_domain_map_rmrrs(dom, dd->pdev);
		if (!ret)
			ret = vtd_domain_map_own_bars(dom, dd->pdev);
		if (ret)
			return ret;
	}
	for (done = 0; done < dd->nr_sids; done++) {
		if (xa_load(&unit->devices, dd->sids[done]) == dom)
			continue;
		ret = xa_err(xa_store(&unit->devices, dd->sids[done], dom,
				      GFP_KERNEL));
		if (!ret)
			ret = vtd_unit_set_context(unit, dd->sids[done], dom);
		if (ret)
			goto out_undo;
	}
	list_add_tail(&dd->node, &dom->devices);
	dom->nr_devices++;
	return 0;

out_undo:
	for (i = 0; i <= done && i < dd->nr_sids; i++)
		if (!vtd_domain_sid_shared_locked(dom, dd->sids[i], NULL))
			vtd_domain_clear_sid_locked(dom, dd->pdev, dd->sids[i]);
	return ret;
}

static bool vtd_domain_sid_in(u16 sid, const u16 *sids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (sids[i] == sid)
			return true;
	return false;
}

/*
 * Section 3: no device may be left behind on a source ID that moves to
 * @dom. Every other device of the unit that would DMA with one of the
 * IDs of @dds (a sibling behind the same PCIe-to-PCI bridge, a quirk's
 * alias) must be attached to @dom already; otherwise -EBUSY, naming it.
 * Bridges (which originate no DMA of their own) are not asked.
 */
static int vtd_domain_check_shared_locked(struct vtd_domain *dom,
					  struct vtd_domain_dev **dds,
					  unsigned int n)
{
	struct vtd_unit *unit = dom->unit;
	struct pci_dev *other = NULL;
	unsigned int i, j;
	int nr, ret = 0;
	u16 *sids;

	lockdep_assert_held(&unit->mutex);
	for_each_pci_dev(other) {
		if (vtd_pci_is_bridge(other) || vtd_unit_for_pci(other) != unit ||
		    vtd_domain_has_dev_locked(dom, other))
			continue;
		for (i = 0; i < n && dds[i]->pdev != other; i++)
			;
		if (i < n)
			continue;
		nr = vtd_pci_sids(other, &sids);
		if (nr < 0) {
			pci_dev_put(other);
			return nr;
		}
		for (i = 0; i < n && !ret; i++) {
			for (j = 0; j < dds[i]->nr_sids; j++) {
				if (!vtd_domain_sid_in(dds[i]->sids[j], sids, nr))
					continue;
				pci_err(dds[i]->pdev, "%s: requester ID %02x:%02x.%d is also %s's, which would translate through domain %u too: attach both (their group)\n",
					unit->name, dds[i]->sids[j] >> 8,
					PCI_SLOT(dds[i]->sids[j] & 0xff),
					PCI_FUNC(dds[i]->sids[j] & 0xff),
					pci_name(other), dom->did);
				ret = -EBUSY;
				break;
			}
		}
		kfree(sids);
		if (ret) {
			pci_dev_put(other);
			return ret;
		}
	}
	return 0;
}

/* Free a record that was never attached. */
static void vtd_domain_dev_free(struct vtd_domain_dev *dd)
{
	if (!dd)
		return;
	pci_dev_put(dd->pdev);
	kfree(dd->sids);
	kfree(dd);
}

/**
 * vtd_domain_attach_devs() - attach devices to a domain, all or none
 * @dom: a DMA domain
 * @pdevs: devices of @dom's unit (a group: every device that shares a
 *	   requester ID with one of them is among them, or attached already)
 * @n: how many
 *
 * Every source ID of each device (vtd_pci_sids()) gets a context entry
 * pointing at @dom, each once however many of the devices share it; the
 * RMRRs naming a device are mapped 1:1 first. Refused if another device
 * of the unit, not attached to @dom and not among @pdevs, shares one of
 * those IDs: its DMA would translate through @dom. When it returns, the
 * unit's caches hold no older translation for the devices.
 *
 * Context: process; sleeps.
 * Return: 0; -ENODEV if another unit (or none) translates a device;
 * -EBUSY if a device is attached to another domain or shares an ID with a
 * device left out, -EEXIST if one is attached to this one already;
 * -ENOMEM; an invalidation error. On error nothing is attached.
 */
int vtd_domain_attach_devs(struct vtd_domain *dom, struct pci_dev **pdevs,
			   unsigned int n)
{
	struct vtd_unit *unit = dom->unit;
	struct vtd_domain_dev **dds;
	unsigned int i, done = 0;
	int ret = 0;

	if (WARN_ON_ONCE(dom->type != VTD_DOMAIN_DMA))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (vtd_unit_for_pci(pdevs[i]) != unit)
			return -ENODEV;
	dds = kcalloc(n, sizeof(*dds), GFP_KERNEL);
	if (!dds)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		dds[i] = kzalloc(sizeof(*dds[i]), GFP_KERNEL);
		if (!dds[i]) {
			ret = -ENOMEM;
			break;
		}
		dds[i]->pdev = pci_dev_get(pdevs[i]);
		ret = vtd_pci_sids(pdevs[i], &dds[i]->sids);
		if (ret > 0) {
			dds[i]->nr_sids = ret;
			ret = 0;
		}
	}
	if (ret)
		goto out_free;

	mutex_lock(&unit->mutex);
	ret = vtd_domain_check_shared_locked(dom, dds, n);
	for (done = 0; done < n && !ret; done++) {
		ret = vtd_domain_attach_locked(dom, dds[done]);
		if (ret)
			break;
	}
	if (ret) {
		/* Undo in reverse: shared IDs go with the last user. */
		while (done--) {
			vtd_domain_detach_locked(dom, dds[done]);
			dds[done] = NULL;
		}
	}
	mutex_unlock(&unit->mutex);
	if (ret)
		goto out_free;
	for (i = 0; i < n; i++) {
		pci_info(pdevs[i], "%s: attached to domain %u\n", unit->name,
			 dom->did);
	}
	kfree(dds);
	return 0;

out_free:
	for (i = 0; i < n; i++)
		vtd_domain_dev_free(dds[i]);
	kfree(dds);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_domain_attach_devs);

/**
 * vtd_domain_attach() - make a device's DMA translate through a domain
 * @dom: a DMA domain
 * @pdev: a device of @dom's unit
 *
 * vtd_domain_attach_devs() of @pdev alone: refused (-EBUSY) if a device
 * not attached to @dom shares one of its requester IDs.
 *
 * Context: process; sleeps.
 * Return: as vtd_domain_attach_devs().
 */
int vtd_domain_attach(struct vtd_domain *dom, struct pci_dev *pdev)
{
	return vtd_domain_attach_devs(dom, &pdev, 1);
}
EXPORT_SYMBOL_GPL(vtd_domain_attach);

/**
 * vtd_domain_detach() - give a device back to its unit's default domain
 * @dom: the domain it is attached to
 * @pdev: the device
 *
 * A requester ID @pdev shares with another device still attached to @dom
 * (an alias of its group) stays on @dom until that device is detached
 * too: detach a group's devices together.
 *
 * Context: process; sleeps.
 */
void vtd_domain_detach(struct vtd_domain *dom, struct pci_dev *pdev)
{
	struct vtd_unit *unit = dom->unit;
	struct vtd_domain_dev *dd, *found = NULL;

	mutex_lock(&unit->mutex);
	list_for_each_entry(dd, &dom->devices, node) {
		if (dd->pdev == pdev) {
			found = dd;
			break;
		}
	}
	if (!WARN_ON_ONCE(!found))
		vtd_domain_detach_locked(dom, found);
	mutex_unlock(&unit->mutex);
	if (found)
		pci_info(pdev, "%s: detached from domain %u\n", unit->name,
			 dom->did);
}
EXPORT_SYMBOL_GPL(vtd_domain_detach);

/**
 * vtd_domain_of() - the domain a device is attached to
 * @pdev: the device
 *
 * Return: the DMA domain, or NULL if @pdev uses its unit's default domain
 * or no unit translates it. The caller keeps the domain alive.
 */
struct vtd_domain *vtd_domain_of(struct pci_dev *pdev)
{
	struct vtd_unit *unit = vtd_unit_for_pci(pdev);

	return unit ? xa_load(&unit->devices, pci_dev_id(pdev)) : NULL;
}
EXPORT_SYMBOL_GPL(vtd_domain_of);

/**
 * vtd_domain_did_of() - the domain ID a device is attached to, if any
 * @pdev: the device
 *
 * Read under the unit's mutex, so the domain cannot go meanwhile.
 * Context: process; sleeps.
 * Return: the ID of its DMA domain, or -1 if it uses its unit's default
 * domain or no unit translates it.
 */
int vtd_domain_did_of(struct pci_dev *pdev)
{
	struct vtd_unit *unit = vtd_unit_for_pci(pdev);
	struct vtd_domain *dom;
	int did = -1;

	if (!unit)
		return -1;
	mutex_lock(&unit->mutex);
	dom = xa_load(&unit->devices, pci_dev_id(pdev));
	if (dom)
		did = dom->did;
	mutex_unlock(&unit->mutex);
	return did;
}
EXPORT_SYMBOL_GPL(vtd_domain_did_of);

/* Mapping. */

/* Whether a map of [@iova, @iova + @size) may go to the table: 0 or -errno. */
static int vtd_domain_map_ok(struct vtd_domain *dom, u64 iova, u64 size)
{
	if (WARN_ON_ONCE(!vtd_domain_has_table(dom)))
		return -EINVAL;
	/* The table may cover more than the unit translates (CAP.MGAW). */
	if (iova >= BIT_ULL(dom->unit->iova_bits) ||
	    size > BIT_ULL(dom->unit->iova_bits) - iova)
		return -ERANGE;
	return 0;
}

/*
 * After the table's map returned @ret: on failure, invalidate what its
 * undo took out; on success, flush the write buffer if the unit needs it
 * and count @mapped bytes. Return: @ret.
 */
static int vtd_domain_map_done(struct vtd_domain *dom, int ret,
			       struct vtd_pgtable_gather *gather, u64 mapped)
{
	if (ret) {
		vtd_pgtable_sync(&dom->pgt, gather);
		return ret;
	}
	if (!vtd_unit_caching_mode(dom->unit))
		vtd_unit_flush_write_buffer(dom->unit);
	this_cpu_add(dom->stats->mapped, mapped);
	this_cpu_inc(dom->stats->maps);
	return 0;
}

/**
 * vtd_domain_map() - map a physical range at an IOVA
 * @dom: a DMA or identity domain
 * @iova: 4 KiB aligned; normally from vtd_domain_alloc_iova()
 * @phys: 4 KiB aligned
 * @size: a multiple of 4 KiB
 * @prot: VTD_PGT_READ and/or VTD_PGT_WRITE; with VTD_PGT_NO_MAP_FLUSH
 *	  the caller invalidates (vtd_domain_map_flush()) once for several
 *	  maps, before handing out any of their addresses
 * @gfp: GFP_KERNEL where sleeping is allowed; GFP_ATOMIC takes table pages
 *	 only from the unit's pool
 *
 * All or nothing. With caching mode the new range is invalidated too,
 * unless @prot says the caller does it.
 * Context: any, with a matching @gfp.
 * Return: 0, -EEXIST, -ERANGE (beyond the unit's IOVA width), -EINVAL or
 * -ENOMEM.
 */
int vtd_domain_map(struct vtd_domain *dom, u64 iova, phys_addr_t phys,
		   u64 size, int prot, gfp_t gfp)
{
	struct vtd_pgtable_gather gather;
	int ret = vtd_domain_map_ok(dom, iova, size);

	if (ret)
		return ret;
	vtd_pgtable_gather_init(&gather);
	ret = vtd_pgtable_map(&dom->pgt, iova, phys, size, prot, gfp, NULL,
			      &gather);
	return vtd_domain_map_done(dom, ret, &gather, size);
}
EXPORT_SYMBOL_GPL(vtd_domain_map);

/**
 * vtd_domain_map_runs() - map physically contiguous runs inside one span
 * @dom: a DMA or identity domain
 * @iova: the span's first address, 4 KiB aligned; the caller owns the
 *	  whole span (normally one range from vtd_domain_alloc_iova())
 * @size: its bytes, a multiple of 4 KiB
 * @next: gives the runs in rising IOVA order (vtd_pgtable_map_runs())
 * @cookie: for @next
 * @prot: as for vtd_domain_map(); a tag goes on the first leaf
 * @gfp: as for vtd_domain_map()
 *
 * One page-table walk for all the runs, counted as one map. All or
 * nothing. With caching mode the span is invalidated too, unless @prot
 * says the caller does it.
 * Context: any, with a matching @gfp; @next is called in it.
 * Return: 0, -EEXIST, -ERANGE, -EINVAL (also for a bad run) or -ENOMEM.
 */
int vtd_domain_map_runs(struct vtd_domain *dom, u64 iova, u64 size,
			vtd_pgtable_next_runs next, void *cookie, int prot,
			gfp_t gfp)
{
	struct vtd_pgtable_gather gather;
	int ret = vtd_domain_map_ok(dom, iova, size);
	u64 mapped = 0;

	if (ret)
		return ret;
	vtd_pgtable_gather_init(&gather);
	ret = vtd_pgtable_map_runs(&dom->pgt, iova, size, next, cookie, prot,
				   gfp, NULL, &mapped, &gather);
	return vtd_domain_map_done(dom, ret, &gather, mapped);
}
EXPORT_SYMBOL_GPL(vtd_domain_map_runs);

/**
 * vtd_domain_map_flush() - make maps done with VTD_PGT_NO_MAP_FLUSH visible
 * @dom: the domain they were made in
 * @iova: the start of a range covering all of them
 * @size: its size
 *
 * Under caching mode one IOTLB invalidation of the range (the unit may
 * have cached its entries as not present); otherwise nothing: the maps
 * flushed the write buffer themselves. The unit reports its own errors.
 * Context: any.
 */
void vtd_domain_map_flush(struct vtd_domain *dom, u64 iova, u64 size)
{
	if (vtd_unit_caching_mode(dom->unit))
		vtd_domain_iotlb_map(dom, iova, size);
}
EXPORT_SYMBOL_GPL(vtd_domain_map_flush);

/*
 * Invalidate what @gather holds, strictly. Return: 0, or the error (the
 * unit's, or an injected one) after which nothing it covers may be freed.
 */
static int vtd_domain_inv_gather(struct vtd_domain *dom,
				 struct vtd_pgtable_gather *gather)
{
	int ret = 0;

	if (gather->start <= gather->last)
		ret = vtd_unit_flush_iotlb_range(dom->unit, dom->did,
						 gather->start,
						 gather->last - gather->start + 1,
						 gather->tables);
	return vtd_flush_inject(ret);
}

/* Clear the PTEs of [@iova, @iova + @size) into @gather and count it. */
static u64 vtd_domain_clear(struct vtd_domain *dom, u64 iova, u64 size,
			    gfp_t gfp, struct vtd_pgtable_gather *gather)
{
	u64 unmapped;

	vtd_pgtable_gather_init(gather);
	unmapped = vtd_pgtable_unmap(&dom->pgt, iova, size, gfp, NULL, gather);
	this_cpu_sub(dom->stats->mapped, unmapped);
	this_cpu_inc(dom->stats->unmaps);
	return unmapped;
}

/**
 * vtd_domain_unmap() - unmap a range, strictly
 * @dom: the domain
 * @iova: 4 KiB aligned
 * @size: a multiple of 4 KiB
 * @gfp: as for vtd_domain_map() (splitting a superpage needs a page)
 *
 * The IOTLB (and the paging-structure caches, if tables were freed) is
 * invalidated before this returns, whatever the domain's unmap mode;
 * freed table pages go back to the pool only after that. The caller keeps
 * the IOVA range. If the invalidation fails, the table pages are
 * quarantined; a caller that wants its range quarantined too (never handed
 * out again) uses vtd_domain_unmap_free() instead.
 * Context: any, with a matching @gfp.
 * Return: the bytes that were mapped and are not any more.
 */
u64 vtd_domain_unmap(struct vtd_domain *dom, u64 iova, u64 size, gfp_t gfp)
{
	struct vtd_pgtable_gather gather;
	u64 unmapped;
	int ret;

	if (WARN_ON_ONCE(!vtd_domain_has_table(dom)))
		return 0;
	unmapped = vtd_domain_clear(dom, iova, size, gfp, &gather);
	ret = vtd_domain_inv_gather(dom, &gather);
	if (ret)
		vtd_flush_quarantine(dom, 0, 0, &gather.freelist,
				     gather.nr_freed, ret);
	else
		vtd_pool_put_list(&dom->unit->pool, &gather.freelist);
	return unmapped;
}
EXPORT_SYMBOL_GPL(vtd_domain_unmap);

/**
 * vtd_domain_unmap_free() - unmap a range and give it back
 * @dom: a DMA domain
 * @iova: the first address of a range from vtd_domain_alloc_iova()
 * @size: the size it was allocated with (whatever part of it is mapped
 *	  is unmapped)
 * @gfp: as for vtd_domain_map()
 *
 * Strict domains: invalidate, then release the range and the emptied
 * table pages. Deferred domains: queue them on this CPU's flush queue,
 * released after the queue's next invalidation (within the window,
 * vtd_flush.c). If an invalidation fails, the range and the pages are
 * quarantined instead: never handed out or reused again.
 * Context: any, with a matching @gfp.
 * Return: 0 (released or queued), or the failed invalidation's error (the
 * range is quarantined).
 */
int vtd_domain_unmap_free(struct vtd_domain *dom, u64 iova, u64 size,
			  gfp_t gfp)
{
	struct vtd_pgtable_gather gather;
	int ret;

	if (WARN_ON_ONCE(!vtd_domain_has_table(dom)))
		return -EINVAL;
	vtd_domain_clear(dom, iova, size, gfp, &gather);
	if (gather.start > gather.last && !gather.nr_freed) {
		/* Nothing was mapped: nothing the unit can have cached. */
		vtd_domain_free_iova(dom, iova, size);
		return 0;
	}
	if (vtd_flush_defer(dom, iova, size, &gather))
		return 0;
	ret = vtd_domain_inv_gather(dom, &gather);
	if (ret) {
		vtd_flush_quarantine(dom, iova, size, &gather.freelist,
				     gather.nr_freed, ret);
		return ret;
	}
	vtd_pool_put_list(&dom->unit->pool, &gather.freelist);
	vtd_domain_free_iova(dom, iova, size);
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_domain_unmap_free);

/**
 * vtd_domain_lookup() - what an IOVA translates to
 * @dom: the domain
 * @iova: any IOVA
 * @phys: the physical address, if mapped
 *
 * Return: 0, or -ENOENT if @iova is not mapped.
 */
int vtd_domain_lookup(struct vtd_domain *dom, u64 iova, phys_addr_t *phys)
{
	if (!vtd_domain_has_table(dom))
		return -ENOENT;
	return vtd_pgtable_lookup(&dom->pgt, iova, phys);
}
EXPORT_SYMBOL_GPL(vtd_domain_lookup);

/**
 * vtd_domain_take_tag() - take back the tag a map left on its first leaf
 * @dom: the domain
 * @iova: the first address of that map (VTD_PGT_TAG() in its prot)
 *
 * Lockless; of two calls for one tag only one gets it
 * (vtd_pgtable_take_tag()).
 * Context: any.
 * Return: the tag, or 0 if @iova is not such an address or it was taken.
 */
unsigned int vtd_domain_take_tag(struct vtd_domain *dom, u64 iova)
{
	if (!vtd_domain_has_table(dom))
		return 0;
	return vtd_pgtable_take_tag(&dom->pgt, iova);
}
EXPORT_SYMBOL_GPL(vtd_domain_take_tag);

/**
 * vtd_domain_get_stats() - a domain's counters, summed over the CPUs
 * @dom: the domain
 * @st: filled in
 *
 * A sum of per-CPU counters read one after another: exact when no map or
 * unmap runs meanwhile, otherwise a moment's approximation.
 * Context: any.
 */
void vtd_domain_get_stats(struct vtd_domain *dom, struct vtd_domain_stats *st)
{
	const struct vtd_domain_stats *c;
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(dom->stats, cpu);
		st->mapped += READ_ONCE(c->mapped);
		st->maps += READ_ONCE(c->maps);
		st->unmaps += READ_ONCE(c->unmaps);
	}
}
EXPORT_SYMBOL_GPL(vtd_domain_get_stats);

/**
 * vtd_domain_mapped_bytes() - bytes mapped in a domain now
 * @dom: the domain
 *
 * Context: any. Return: the sum of vtd_domain_get_stats(), never negative.
 */
u64 vtd_domain_mapped_bytes(struct vtd_domain *dom)
{
	struct vtd_domain_stats st;

	vtd_domain_get_stats(dom, &st);
	return st.mapped > 0 ? st.mapped : 0;
}
EXPORT_SYMBOL_GPL(vtd_domain_mapped_bytes);

/* Sizes the per-CPU range caches serve: powers of two up to 32 pages. */
static bool vtd_domain_cached_size(unsigned long pages)
{
	return pages <= VTD_IOVA_CACHE_MAX_SIZE && is_power_of_2(pages);
}

/**
 * vtd_domain_alloc_iova() - take an IOVA range, top-down under a limit
 * @dom: a DMA domain
 * @size: bytes, rounded up to 4 KiB pages
 * @dma_limit: highest address the device can reach (its DMA mask)
 * @gfp: allocation flags
 * @iova: the range's first address
 *
 * A power-of-two number of pages is aligned to its size, so superpages
 * can be used and the allocator's fast path applies; up to
 * VTD_IOVA_CACHE_MAX_SIZE pages it comes from this CPU's range cache when
 * it can (iova_rcache.c). Other sizes are taken exactly, unaligned.
 * Context: any, with a matching @gfp.
 * Return: 0, -EINVAL for a zero size, -ENOSPC, -ENOMEM.
 */
int vtd_domain_alloc_iova(struct vtd_domain *dom, u64 size, u64 dma_limit,
			  gfp_t gfp, u64 *iova)
{
	unsigned long pages = DIV_ROUND_UP_ULL(size, VTD_PAGE_SIZE);
	unsigned long pfn;
	int ret;

	if (!pages)
		return -EINVAL;
	if (vtd_domain_cached_size(pages))
		ret = vtd_iova_alloc_fast(&dom->iova, pages, vtd_pfn(dma_limit),
					  gfp, &pfn);
	else
		ret = vtd_iova_alloc(&dom->iova, pages, vtd_pfn(dma_limit),
				     is_power_of_2(pages) ? pages : 1, gfp,
				     &pfn);
	if (!ret)
		*iova = (u64)pfn << VTD_PAGE_SHIFT;
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_domain_alloc_iova);

/**
 * vtd_domain_free_iova() - give back a range from vtd_domain_alloc_iova()
 * @dom: the domain
 * @iova: the range's first address
 * @size: the size it was allocated with
 *
 * Context: any.
 */
void vtd_domain_free_iova(struct vtd_domain *dom, u64 iova, u64 size)
{
	unsigned long pages = DIV_ROUND_UP_ULL(size, VTD_PAGE_SIZE);

	if (vtd_domain_cached_size(pages))
		vtd_iova_free_fast(&dom->iova, vtd_pfn(iova), pages);
	else
		vtd_iova_free(&dom->iova, vtd_pfn(iova), pages);
}
EXPORT_SYMBOL_GPL(vtd_domain_free_iova);

/* Per-unit setup and teardown, called by vtd_unit.c. */

/**
 * vtd_domains_unit_init() - domain IDs, holes, pool and default domain
 * @unit: the unit being brought up (translation still off)
 * @template: the module's holes (the MSI window)
 * @default_type: VTD_DOMAIN_PASSTHROUGH or VTD_DOMAIN_IDENTITY
 *
 * Return: 0 or -errno; vtd_domains_unit_exit() undoes a partial setup.
 */
int vtd_domains_unit_init(struct vtd_unit *unit,
			  struct vtd_iova_domain *template,
			  enum vtd_domain_type default_type)
{
	struct vtd_domain *dom;
	int ret;

	/* With caching mode, domain ID 0 is the unit's (VT-d 6.1). */
	ret = vtd_iova_domain_init(&unit->dids, 1,
				   vtd_unit_caching_mode(unit) ? 1 : 0,
				   unit->nr_domain_ids - 1);
	if (ret)
		return ret;
	ret = vtd_iova_domain_init(&unit->resv, VTD_PAGE_SIZE, 1,
				   (1UL << (unit->iova_bits - VTD_PAGE_SHIFT)) - 1);
	if (ret)
		return ret;
	ret = vtd_iova_clone_reserved(&unit->resv, template, GFP_KERNEL);
	if (!ret)
		ret = vtd_resv_pci_windows(&unit->resv);
	if (!ret)
		ret = vtd_resv_rmrrs(unit, &unit->resv);
	if (ret)
		return ret;
	ret = vtd_pool_init(&unit->pool, VTD_POOL_LOW, VTD_POOL_HIGH);
	if (ret)
		return ret;
	dom = vtd_domain_alloc(unit, default_type);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	unit->default_domain = dom;
	return 0;
}

/**
 * vtd_domains_unit_exit() - free what vtd_domains_unit_init() made
 * @unit: the unit, with translation off
 *
 * DMA domains still there were leaked by a user of the API: they are
 * detached and freed with a warning.
 */
void vtd_domains_unit_exit(struct vtd_unit *unit)
{
	struct vtd_domain *dom, *tmp;

	list_for_each_entry_safe(dom, tmp, &unit->domains, node) {
		if (dom == unit->default_domain)
			continue;
		WARN(1, "%s: domain %u still exists at unload\n", unit->name,
		     dom->did);
		vtd_domain_free(dom);
	}
	if (unit->default_domain)
		vtd_domain_free(unit->default_domain);
	unit->default_domain = NULL;
	/* Translation is off: quarantined table pages can go back now. */
	vtd_flush_unit_exit(unit);
	if (unit->pool.wq)
		vtd_pool_destroy(&unit->pool);
	if (unit->resv.anchor)
		vtd_iova_domain_destroy(&unit->resv);
	if (unit->dids.anchor)
		vtd_iova_domain_destroy(&unit->dids);
	xa_destroy(&unit->devices);
}
